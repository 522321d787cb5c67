#!/usr/bin/env bash
# Trace accuracy: the share of requests whose whole trace tree comes out
# right (every hop, the right parent for each, one trace id), measured on
# the 3-service python scenario of tests/integration/services (gateway ->
# users, gateway -> orders -> users; keep-alive connection pools) with the
# services in a cgroup of their own and the agent on --cgroup of it.
#
#   scripts/accuracy.sh            200 requests at concurrency 1, 1,000 at 16:
#                                  "trace accuracy c=1: X% (n/N)", "... c=16: ..."
#   scripts/accuracy.sh --nginx    nginx (Debian's, 2 workers, upstream
#                                  keepalive) in front of the gateway: the
#                                  9-span tree, without and with
#                                  --inject-traceparent, and per parent edge
#                                  the share that was right (which rule
#                                  carries it: rule 2 = same connection,
#                                  rule 3 = in-process causality)
#
# A measurement, not an assertion: exits 0 whatever the figures, 1 only
# when it cannot measure (not root, no agent, agent without --cgroup, ...).
# Environment: ZT_BIN (agent, default build/zerotrace), ZT_KEEP=1 keeps the
# temp dir, ACCURACY_SHOW_BAD=K describes the first K bad trees (default 3),
# ACCURACY_AGENT_FLAGS="..." more agent flags for the default mode (e.g.
# --inject-traceparent).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/services/scenario.sh"

NGINX=0
case "${1:-}" in
"") ;;
--nginx) NGINX=1 ;;
*)
	echo "usage: $0 [--nginx]" >&2
	exit 2
	;;
esac
SHOW_BAD=${ACCURACY_SHOW_BAD:-3}
# progress on stderr; stdout has the figures only
log() { printf '[accuracy %s] %s\n' "$(date +%T.%3N)" "$*" >&2; }

zt_init
zt_agent_has_flag --cgroup || zt_fail "$ZT_BIN has no --cgroup flag: trace stitching is not built in"

# measure LABEL SPEC [AGENT FLAGS...]: fresh services (and nginx), fresh
# agent, c=1 and c=16 runs, figures printed.
measure() {
	local label=$1 spec=$2 port edges=()
	shift 2
	sc_start_services "$label"
	port=$GW_PORT
	if [ "$spec" = nginx ]; then
		sc_start_nginx
		port=$NGINX_PORT
		edges=(--edges)
	fi
	zt_agent_start_tag "$label" --cgroup "$SC_CG" "$@"
	sc_drive "$label.c1" 200 1 1 "$port"
	sc_drive "$label.c16" 1000 16 100001 "$port"
	zt_settle 1
	zt_agent_stop_tag "$label"
	sc_stop_all
	local name
	for c in 1 16; do
		name="c=$c"
		[ "$spec" = nginx ] && name="nginx $label c=$c"
		sc_check "$TMP/$label.spans.jsonl" "$name" "" --spec "$spec" --show-bad "$SHOW_BAD" \
			"${edges[@]}" "$TMP/$label.c$c.driver.json" ||
			zt_fail "treecheck failed on $label c=$c"
	done
}

if [ "$NGINX" = 0 ]; then
	# shellcheck disable=SC2086
	measure plain 7 ${ACCURACY_AGENT_FLAGS:-}
else
	zt_agent_has_flag --inject-traceparent || zt_fail "$ZT_BIN has no --inject-traceparent flag"
	echo "== nginx -> gateway -> users, orders -> users (9 spans), without --inject-traceparent"
	measure no-inject nginx
	echo "== the same with --inject-traceparent"
	measure inject nginx --inject-traceparent
fi
exit 0
