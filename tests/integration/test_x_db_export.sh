#!/usr/bin/env bash
# (x) Database spans leave the agent intact: Redis, PostgreSQL and MariaDB
# (each started once for this file) with a few commands each, errors
# included, and the agent exporting OTLP/HTTP protobuf to the receiver that
# decodes with the official OTLP schema (tests/otlp/receiver.js) and serving
# /metrics. Every JSON-lines span arrives exactly once over OTLP with the
# same ids, name, attributes (value and type), resource and status; the
# exposition passes `promtool check metrics`, and the database histograms
# count exactly the CLIENT and SERVER spans, per system and operation. With
# --protocols http1,postgresql, the Redis traffic gives no span and is
# counted as unknown_protocol.
. "$(dirname "$0")/lib.sh"
. "$ZT_LIB_DIR/dblib.sh"
zt_init
zt_otlp_require_agent
zt_otlp_setup
PROMTOOL=${PROMTOOL:-/usr/bin/promtool}
[ -x "$PROMTOOL" ] || zt_fail "$PROMTOOL is not installed (make deps)"

zt_redis_start
zt_pg_start
zt_mariadb_start
RX_PORT=$(zt_free_port 4)
MPORT=$(zt_free_port 4)
zt_otlp_receiver rx "$RX_PORT"
RX_PID=$ZT_LAST_PID
RX_OUT=$ZT_OTLP_OUT
zt_agent_start --port "$REDIS_PORT" --port "$PG_PORT" --port "$MYSQL_PORT" \
	--otlp-endpoint "http://127.0.0.1:$RX_PORT" --metrics-addr "127.0.0.1:$MPORT"

redis-cli -p "$REDIS_PORT" SET k:1 v >/dev/null
redis-cli -p "$REDIS_PORT" GET k:1 >/dev/null
redis-cli -p "$REDIS_PORT" LPUSH k:1 x >/dev/null
redis-cli -p "$REDIS_PORT" PING >/dev/null
PGSSLMODE=disable psql -q -c "select 1" -c "create table t (a int)" -c "insert into t values (1), (2)" \
	-c "select a from t" -c "selec 1" >"$TMP/psql.out" 2>&1
M=(mariadb -h 127.0.0.1 -P "$MYSQL_PORT" -u zt -pzt-pw --skip-ssl ztdb)
"${M[@]}" -e "select 1; create table t (a int); insert into t values (1), (2); select a from t" \
	>"$TMP/my.out" 2>&1 || zt_fail "mariadb client failed: $(cat "$TMP/my.out")"
"${M[@]}" -e "selec 1" >>"$TMP/my.out" 2>&1
zt_settle
# every span reaches the registry after the reorder window
sleep 1
curl -sS --max-time 5 -o "$TMP/metrics.txt" "http://127.0.0.1:$MPORT/metrics" ||
	zt_fail "GET /metrics failed"
"$PROMTOOL" check metrics <"$TMP/metrics.txt" >"$TMP/promtool.out" 2>&1 ||
	zt_fail "promtool check metrics: $(cat "$TMP/promtool.out")"
zt_agent_stop
sleep 0.5
zt_stop_untrack "$RX_PID"
HOST_NAME=$(hostname)
ZT_VERSION=$(zt_version)
export RX_OUT HOST_NAME ZT_VERSION METRICS=$TMP/metrics.txt

zt_py_check <<'EOF2'
from ztcheck import *
from otlpcheck import *
import collections, re
S = load()
systems = collections.Counter(attr(s, "db.system.name") for s in S)
# each command or statement: a CLIENT and a SERVER span
eq(dict(systems), {"redis": 8, "postgresql": 10, "mariadb": 10}, "spans per database")
R = load_requests(env("RX_OUT"))
check_requests(R, fmt="protobuf", gzip=False, headers={})
D = delivered(R)
eq(len(D), len(S), "spans delivered over OTLP vs JSON lines")
got = compare_spans(S, D, host=env("HOST_NAME"), version=env("ZT_VERSION"),
                    require_exe_path=lambda s: False)
for s in S:
    d = got.get((s["trace_id"], s["span_id"]))
    if d and attr(s, "db.response.status_code"):
        check((d["span"].get("status") or {}).get("message"),
              "error span %s has no status message" % s["name"])
# the histograms count exactly the spans, per kind, system and operation
want = collections.Counter()
for s in S:
    fam = "db_client_operation_duration_seconds" if s["kind"] == "CLIENT" else \
        "zerotrace_db_server_operation_duration_seconds"
    want[(fam, s["service.name"], attr(s, "db.system.name"), attr(s, "db.operation.name"))] += 1
have = collections.Counter()
for line in open(env("METRICS")):
    m = re.match(r'^(db_client_operation_duration_seconds|zerotrace_db_server_operation_duration_seconds)_count'
                 r'\{service_name="([^"]*)",db_system_name="([^"]*)",db_operation_name="([^"]*)"\} (\d+)$', line)
    if m:
        have[m.groups()[:4]] += int(m.group(5))
eq(dict(have), dict(want), "database histogram counts")
done()
EOF2

# --protocols: a parser switched off costs a counter, not a copy or a parse
zt_agent_start --tag off --port "$REDIS_PORT" --port "$PG_PORT" --protocols http1,postgresql
redis-cli -p "$REDIS_PORT" SET k:2 v >/dev/null
PGSSLMODE=disable psql -q -c "select 2" >/dev/null
zt_settle
zt_agent_stop
export OFF_SPANS=$ZT_SPANS
zt_py_check <<'EOF2'
from ztcheck import *
S = load(env("OFF_SPANS"))
eq(sorted(set(attr(s, "db.system.name") for s in S)), ["postgresql"], "database systems with --protocols http1,postgresql")
eq(len(S), 2, "spans of the one PostgreSQL statement")
done()
EOF2
for k in unknown_protocol redis_spans; do
	v=$(zt_final "$k")
	case $k in
	unknown_protocol) [ "${v:-0}" -ge 2 ] || zt_fail "final unknown_protocol=$v: the Redis connection's two ends were not counted" ;;
	*) [ "$v" = 0 ] || zt_fail "final $k=$v with redis switched off" ;;
	esac
done
zt_pass
