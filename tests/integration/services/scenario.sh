# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# The 3-service scenario (gateway -> users, gateway -> orders -> users) for
# tests m, n, p, y4 and scripts/accuracy.sh. Source after lib.sh and zt_init.
#
#   sc_start_services [LABEL]
#                            a new cgroup (named after LABEL, default
#                            "services") + users, orders, gateway in it
#                            (loopback, free ports); sets SC_CG, USERS_PORT,
#                            ORDERS_PORT, GW_PORT, USERS_PID, ORDERS_PID,
#                            GW_PID, SC_PORTS, SC_TLS
#   sc_start_nginx           nginx (2 workers) in $SC_CG in front of the
#                            gateway (upstream keepalive); sets NGINX_PORT,
#                            NGINX_PID (plain HTTP only: fails when SC_TLS=1)
#   sc_stop_all              stops what sc_start_* started (by pid)
#   sc_drive TAG N C [RID_START] [PORT] [PATH]
#                            driver.py: N requests at concurrency C to the
#                            gateway (or PORT; PATH as driver.py's --path,
#                            default /api?rid={rid}); results in $TMP/TAG.driver.json
#                            (over HTTPS when SC_TLS=1)
#   sc_check SPANS LABEL MIN_PCT [--spec nginx] [--edges] DRIVER_JSON...
#                            treecheck.py; fails the test when below MIN_PCT
#                            ("" = only measure)
#
# TLS: with SC_TLS_CERT and SC_TLS_KEY set (PEM files, e.g. from
# zt_tls_cert in tls/tlslib.sh) when sc_start_services runs, every service
# serves HTTPS with that certificate (svc.py --tls-cert/--tls-key) and calls
# its downstreams over HTTPS (--down-tls), and sc_drive drives the gateway
# over HTTPS (driver.py --tls); sc_start_services sets SC_TLS=1 then, else
# SC_TLS=0 and everything is plain HTTP, as without these variables.

SC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# sc_service NAME ROLE PORT [--down NAME=HOST:PORT ...]: one service in $SC_CG,
# with OTEL_SERVICE_NAME=NAME; waits until it listens. Its files:
# $TMP/$SC_LABEL.NAME.{out,err} and .ctx.log (the traceparent of every
# request it received, see svc.py --log). With SC_TLS=1: HTTPS in and out.
sc_service() {
	local name=$1 role=$2 port=$3
	shift 3
	local f=$SC_LABEL.$name
	if [ "${SC_TLS:-0}" = 1 ]; then
		set -- "$@" --tls-cert "$SC_TLS_CERT" --tls-key "$SC_TLS_KEY" --down-tls
	fi
	zt_cg_bg "$f" "$SC_CG" env OTEL_SERVICE_NAME="$name" "$PY" "$SC_DIR/svc.py" \
		--role "$role" --host 127.0.0.1 --port "$port" --log "$TMP/$f.ctx.log" "$@"
	local pid=$ZT_LAST_PID
	zt_wait_port 127.0.0.1 "$port" 10
	zt_alive "$pid" || zt_fail "service $name died: $(cat "$TMP/$f.err")"
	zt_in_cgroup "$pid" "$SC_CG" || zt_fail "service $name (pid $pid) is not in cgroup $SC_CG: $(cat "/proc/$pid/cgroup")"
	ZT_LAST_PID=$pid
}

# Three distinct free loopback ports.
sc_ports() {
	"$PY" - <<'EOF'
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))
EOF
}

sc_start_services() {
	SC_LABEL=${1:-services}
	SC_TLS=0
	if [ -n "${SC_TLS_CERT:-}" ] || [ -n "${SC_TLS_KEY:-}" ]; then
		{ [ -r "${SC_TLS_CERT:-}" ] && [ -r "${SC_TLS_KEY:-}" ]; } ||
			zt_fail "SC_TLS_CERT and SC_TLS_KEY must both name readable PEM files (got '${SC_TLS_CERT:-}', '${SC_TLS_KEY:-}')"
		SC_TLS=1
	fi
	zt_cgroup_new "$SC_LABEL"
	SC_CG=$ZT_LAST_CG
	read -r USERS_PORT ORDERS_PORT GW_PORT <<<"$(sc_ports)"
	sc_service users users "$USERS_PORT"
	USERS_PID=$ZT_LAST_PID
	sc_service orders orders "$ORDERS_PORT" --down "users=127.0.0.1:$USERS_PORT"
	ORDERS_PID=$ZT_LAST_PID
	sc_service gateway gateway "$GW_PORT" --down "users=127.0.0.1:$USERS_PORT" \
		--down "orders=127.0.0.1:$ORDERS_PORT"
	GW_PID=$ZT_LAST_PID
	SC_PORTS="gateway=$GW_PORT,users=$USERS_PORT,orders=$ORDERS_PORT"
	export SC_CG USERS_PORT ORDERS_PORT GW_PORT USERS_PID ORDERS_PID GW_PID SC_PORTS SC_TLS
	log "services$( ((SC_TLS)) && echo " (HTTPS)") in $SC_CG: gateway :$GW_PORT (pid $GW_PID), users :$USERS_PORT (pid $USERS_PID), orders :$ORDERS_PORT (pid $ORDERS_PID)"
}

# sc_drive TAG N C [RID_START] [PORT] [PATH]: bounded (40 s); does not fail
# the test by itself (failed requests count as bad trees in sc_check).
sc_drive() {
	local tag=$1 n=$2 c=$3 start=${4:-1} port=${5:-$GW_PORT} mycg tls=()
	if [ "${SC_TLS:-0}" = 1 ]; then tls=(--tls); fi
	if [ -n "${6:-}" ]; then tls+=(--path "$6"); fi
	# the driver inherits this shell's cgroup: it must not be the traced one
	mycg=$(sed -n 's/^0:://p' /proc/$BASHPID/cgroup)
	[[ "$(zt_cgroup2_mount)$mycg/" == "$SC_CG/"* ]] && zt_fail "the driver would run inside $SC_CG"
	timeout 60 "$PY" "$SC_DIR/driver.py" --port "$port" --n "$n" --c "$c" --rid-start "$start" \
		--timeout 40 "${tls[@]}" --out "$TMP/$tag.driver.json" 2>"$TMP/$tag.driver.err" &
	local pid=$!
	zt_track "$pid"
	wait "$pid"
	local rc=$?
	zt_stop_untrack "$pid"
	log "$(cat "$TMP/$tag.driver.err") (driver in cgroup ${mycg:-?}, outside the traced one)"
	[ -s "$TMP/$tag.driver.json" ] || zt_fail "driver $tag wrote no results (status $rc): $(cat "$TMP/$tag.driver.err")"
	return 0
}

# sc_check SPANS LABEL MIN_PCT [treecheck options] DRIVER_JSON...
sc_check() {
	local spans=$1 label=$2 min=$3 opts=() drivers=()
	shift 3
	while (($#)); do
		case $1 in
		--spec | --show-bad | --max-false-links) opts+=("$1" "$2"); shift 2 ;;
		--*) opts+=("$1"); shift ;;
		*) drivers+=(--driver "$1"); shift ;;
		esac
	done
	[ -n "$min" ] && opts+=(--min-pct "$min")
	"$PY" "$SC_DIR/treecheck.py" --spans "$spans" --ports "$SC_PORTS" --label "$label" \
		"${opts[@]}" "${drivers[@]}"
}

sc_start_nginx() {
	[ -x /usr/sbin/nginx ] || zt_fail "/usr/sbin/nginx not installed"
	if [ "${SC_TLS:-0}" = 1 ]; then
		zt_fail "sc_start_nginx: nginx in front speaks plain HTTP to the gateway; not with SC_TLS=1"
	fi
	NGINX_PORT=$(zt_free_port 4)
	local d=$TMP/nginx.$NGINX_PORT
	mkdir -p "$d/tmp" "$d/logs"
	cat >"$d/nginx.conf" <<EOF
user root root;
worker_processes 2;
master_process on;
daemon off;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    upstream gateway {
        server 127.0.0.1:$GW_PORT;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        keepalive_requests 100000;
        location / {
            proxy_pass http://gateway;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
	zt_cg_bg "nginx.$NGINX_PORT" "$SC_CG" /usr/sbin/nginx -c "$d/nginx.conf" -p "$d"
	NGINX_PID=$ZT_LAST_PID
	zt_wait_port 127.0.0.1 "$NGINX_PORT" 10
	zt_alive "$NGINX_PID" || zt_fail "nginx died: $(cat "$d/logs/error.log" "$TMP/nginx.$NGINX_PORT.err")"
	zt_in_cgroup "$NGINX_PID" "$SC_CG" || zt_fail "nginx (pid $NGINX_PID) is not in cgroup $SC_CG"
	export NGINX_PORT NGINX_PID
	log "nginx :$NGINX_PORT (pid $NGINX_PID) -> gateway :$GW_PORT, in $SC_CG"
}

sc_stop_all() {
	# nginx's master stops its workers; what is left in the cgroup goes with it
	[ -n "${NGINX_PID:-}" ] && zt_stop_untrack "$NGINX_PID"
	zt_stop_untrack "$GW_PID" "$ORDERS_PID" "$USERS_PID"
	NGINX_PID=""
}
