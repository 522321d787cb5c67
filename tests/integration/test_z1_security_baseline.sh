#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Security: the learned service graph and its alerts, on the 3-service chain
# (+ a load generator and redis-server, all in one traced cgroup).
#  1. --learn 12s: steady load (5/s loadgen -> users, 1% of it 500s) and the
#     chain; no alert while learning.
#  2. After it: the same calls, and 2x the rate for 10 s with one error in
#     a hundred, raise nothing.
#  3. A process of the users service calls redis-server, which it never
#     called: exactly one new_edge alert, whose trace_id and span_id are
#     those of the exported CLIENT span of that call.
#  4. A burst of 10x the learned rate: one call_spike; all-error answers:
#     one error_spike.
#  5. `zerotrace baseline accept ID` while the agent runs: the redis edge
#     joins the baseline and calling it again raises nothing.
#  6. Restart on the same --state-dir: the baseline is loaded, the known
#     calls (redis included) raise nothing. (A corrupt state file: test_z2.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dblib.sh"
. "$(dirname "$0")/services/scenario.sh"
. "$(dirname "$0")/security/seclib.sh"
zt_init

sc_start_services
zt_redis_start
echo "$REDIS_PID" >"$SC_CG/cgroup.procs" || zt_fail "cannot move redis-server into $SC_CG"
STATE=$TMP/state
ALERTS=$TMP/alerts.jsonl

redis_call() {
	zt_cg_bg "$1" "$SC_CG" env OTEL_SERVICE_NAME=users "$PY" -c '
import redis, sys, time
r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
r.set("session:1", "x")
print(r.get("session:1"))
# a service lives on: the agent reads its environment after its first span
time.sleep(1.5)' "$REDIS_PORT"
	local pid=$ZT_LAST_PID
	wait "$pid" || zt_fail "redis client $1 failed: $(cat "$TMP/$1.err")"
	zt_stop_untrack "$pid"
}

# ---- 1. learning ----
zt_agent_start --tag learn --cgroup "$SC_CG" --learn 12s --state-dir "$STATE" \
	--alerts-output "$ALERTS" --alert-window 600
LEARN_T0=$(date +%s)
sc_drive chain1 20 1 1
sec_load learn 5 11 100
sc_drive chain2 20 1 100
sec_expect_count "$ALERTS" "" 0 "while learning"
while (($(date +%s) - LEARN_T0 < 13)); do sleep 0.2; done

# ---- 2. known calls, 2x the rate, 1% errors: nothing ----
sc_drive chain3 20 1 200
sec_load double 10 10 100
zt_settle 2.5
[ "$(sec_count "$ALERTS" "")" -eq 0 ] || {
	sec_alerts "$ALERTS" >&2
	zt_fail "known calls after learning raised alerts"
}

# ---- 3. a new edge ----
redis_call redis1
zt_settle 3
sec_expect_count "$ALERTS" new_edge 1 "users calls redis-server"

# ---- 4. spikes ----
sec_load burst 50 5
zt_settle 1.5
sec_expect_count "$ALERTS" call_spike 1 "10x the learned rate"
sec_load errors 10 8 1
zt_settle 1.5
sec_expect_count "$ALERTS" error_spike 1 "every answer a 500"

# ---- 5. accept the redis edge while the agent runs ----
EDGE_ID=$("$ZT_BIN" baseline show --state-dir "$STATE" | awk '$2 == "candidate" && / redis: / {print $1; exit}')
[ -n "$EDGE_ID" ] || {
	"$ZT_BIN" baseline show --state-dir "$STATE" >&2
	zt_fail "no candidate redis edge in 'baseline show' (the agent saves every 10 s)"
}
"$ZT_BIN" baseline accept --state-dir "$STATE" "$EDGE_ID" >"$TMP/accept.out" 2>&1 ||
	zt_fail "baseline accept failed: $(cat "$TMP/accept.out")"
grep -q "sent to the running agent" "$TMP/accept.out" || zt_fail "accept did not reach the agent: $(cat "$TMP/accept.out")"
sleep 1.5
grep -q "baseline accept by request: [1-9]" "$ZT_AGENT_ERR" || zt_fail "the agent did not apply the accept: $(cat "$ZT_AGENT_ERR")"
redis_call redis2
zt_settle 3
sec_expect_count "$ALERTS" new_edge 1 "the accepted edge again"
zt_agent_stop

"$PY" - "$ALERTS" "$ZT_SPANS" "$REDIS_PORT" <<'PYEND' || zt_fail "alert checks failed"
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1])]
spans = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
port = int(sys.argv[3])
edge = [a for a in alerts if a["rule"]["id"] == "new_edge"][0]
print("new_edge alert:", json.dumps(edge))
ok = True
def check(cond, what):
    global ok
    if not cond:
        print("ASSERT FAILED:", what)
        ok = False
check(edge["source"].get("service") == "users", "source service users: %r" % edge["source"])
servers = {s["service.name"] for s in spans if s.get("kind") == "SERVER" and s.get("attributes", {}).get("db.system.name") == "redis"}
check(len(servers) == 1 and edge["destination"].get("service") in servers, "destination: redis-server's service.name %r: %r" % (servers, edge["destination"]))
check(edge["destination"].get("port") == port, "destination port %d" % port)
check(edge["network"]["protocol"] == "redis", "protocol redis")
check(edge["severity"] == "medium" and edge["count"] == 1, "severity medium, count 1")
clients = [s for s in spans if s.get("kind") == "CLIENT" and s.get("attributes", {}).get("db.system.name") == "redis"]
match = [s for s in clients if s["trace_id"] == edge["trace_id"] and s["span_id"] == edge["span_id"]]
check(len(match) == 1, "the alert's trace_id/span_id name one exported redis CLIENT span (%d candidates)" % len(clients))
spike = [a for a in alerts if a["rule"]["id"] == "call_spike"][0]
check(spike["source"].get("service") == "loadgen" and spike["destination"].get("service") == "users", "spike on loadgen -> users")
check(any(s["trace_id"] == spike["trace_id"] and s["span_id"] == spike["span_id"] for s in spans), "the spike alert names an exported span")
err = [a for a in alerts if a["rule"]["id"] == "error_spike"][0]
check(err["destination"].get("service") == "users", "error spike on -> users")
other = [a["rule"]["id"] for a in alerts if a["rule"]["id"] not in ("new_edge", "call_spike", "error_spike", "new_listener")]
check(not other, "no other alerts: %r" % other)
sys.exit(0 if ok else 1)
PYEND

# ---- 6. restart: loaded, nothing new ----
: >"$ALERTS"
zt_agent_start --tag restart --cgroup "$SC_CG" --learn 12s --state-dir "$STATE" \
	--alerts-output "$ALERTS" --alert-window 600
grep -q "baseline loaded from $STATE/baseline.v1" "$ZT_AGENT_ERR" || zt_fail "baseline not loaded: $(cat "$ZT_AGENT_ERR")"
grep -q "learning the service graph" "$ZT_AGENT_ERR" && zt_fail "the restarted agent learns again: $(cat "$ZT_AGENT_ERR")"
sc_drive chain4 20 1 300
sec_load again 5 3
redis_call redis3
zt_settle 3
zt_agent_stop
[ "$(sec_count "$ALERTS" "")" -eq 0 ] || {
	sec_alerts "$ALERTS" >&2
	zt_fail "known calls after a restart raised alerts"
}

zt_pass
