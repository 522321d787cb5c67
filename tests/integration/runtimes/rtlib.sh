# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# The 3-service chain (gateway -> users, gateway -> orders -> users) built on
# other runtimes than python, for the causality tests (rt_*). Source after
# lib.sh, services/scenario.sh and zt_init; the driver and the checker are
# scenario.sh's (sc_drive, sc_check).
#
#   rt_go_build OUT [GO BUILD FLAGS...]
#                     builds runtimes/gosvc (standard library only) into OUT
#   rt_chain_start LABEL CMD...
#                     a new cgroup (or $RT_CG when set) + users, orders,
#                     gateway, each started as
#                     CMD --role R --listen 127.0.0.1:P --down ... (orders
#                     also with the words of $RT_ORDERS_ARGS); sets what
#                     sc_start_services sets (SC_CG, *_PORT, *_PID, SC_PORTS,
#                     SC_TLS). With SC_TLS_CERT and SC_TLS_KEY set, as for
#                     sc_start_services, every service serves HTTPS with
#                     them and calls on over HTTPS (CMD takes --tls-cert,
#                     --tls-key and --down-tls, as gosvc does), and sc_drive
#                     drives the gateway over HTTPS
#   rt_chain_stop     stops them (by pid)

RT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

rt_go_build() {
	local out=$1
	shift
	command -v go >/dev/null || zt_fail "go not installed (Debian golang-go; scripts/install-deps.sh brings it)"
	# a build cache shared by the tests of one run: the standard library
	# compiles once
	(cd "$RT_DIR/gosvc" && HOME=${HOME:-/root} GOCACHE=/tmp/zt-gocache GOFLAGS=-mod=mod \
		GOTOOLCHAIN=local timeout 300 go build "$@" -o "$out" .) >"$TMP/go-build.log" 2>&1 ||
		zt_fail "go build of runtimes/gosvc failed: $(cat "$TMP/go-build.log")"
	log "built $out ($(go version | awk '{ print $3 }') $*)"
}

# rt_service NAME PORT CMD...: one service of the chain in $SC_CG with
# OTEL_SERVICE_NAME=NAME; waits until it listens.
rt_service() {
	local name=$1 port=$2
	shift 2
	zt_cg_bg "$SC_LABEL.$name" "$SC_CG" env OTEL_SERVICE_NAME="$name" "$@" --role "$name" \
		--listen "127.0.0.1:$port"
	local pid=$ZT_LAST_PID
	zt_wait_port 127.0.0.1 "$port" 20
	zt_alive "$pid" || zt_fail "service $name died: $(cat "$TMP/$SC_LABEL.$name.err")"
	ZT_LAST_PID=$pid
}

rt_chain_start() {
	SC_LABEL=$1
	shift
	SC_TLS=0
	if [ -n "${SC_TLS_CERT:-}" ] || [ -n "${SC_TLS_KEY:-}" ]; then
		{ [ -r "${SC_TLS_CERT:-}" ] && [ -r "${SC_TLS_KEY:-}" ]; } ||
			zt_fail "SC_TLS_CERT and SC_TLS_KEY must both name readable PEM files"
		set -- "$@" --tls-cert "$SC_TLS_CERT" --tls-key "$SC_TLS_KEY" --down-tls
		SC_TLS=1
	fi
	if [ -n "${RT_CG:-}" ]; then
		SC_CG=$RT_CG
	else
		zt_cgroup_new "$SC_LABEL"
		SC_CG=$ZT_LAST_CG
	fi
	read -r USERS_PORT ORDERS_PORT GW_PORT <<<"$(sc_ports)"
	rt_service users "$USERS_PORT" "$@"
	USERS_PID=$ZT_LAST_PID
	# shellcheck disable=SC2086 # words on purpose
	rt_service orders "$ORDERS_PORT" "$@" --down "users=127.0.0.1:$USERS_PORT" ${RT_ORDERS_ARGS:-}
	ORDERS_PID=$ZT_LAST_PID
	rt_service gateway "$GW_PORT" "$@" --down "users=127.0.0.1:$USERS_PORT,orders=127.0.0.1:$ORDERS_PORT"
	GW_PID=$ZT_LAST_PID
	SC_PORTS="gateway=$GW_PORT,users=$USERS_PORT,orders=$ORDERS_PORT"
	export SC_CG USERS_PORT ORDERS_PORT GW_PORT USERS_PID ORDERS_PID GW_PID SC_PORTS SC_TLS
	log "$SC_LABEL chain in $SC_CG: gateway :$GW_PORT (pid $GW_PID), users :$USERS_PORT (pid $USERS_PID), orders :$ORDERS_PORT (pid $ORDERS_PID)"
}

rt_chain_stop() {
	zt_stop_untrack "$GW_PID" "$ORDERS_PID" "$USERS_PID"
}
