#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Security: a policy (--policy FILE, YAML) on the 3-service chain.
#  - A malformed policy file (a bad value, a YAML syntax error, a missing
#    file): exit status 2, and "FILE:LINE:COL: what" for the first two.
#  - A rule denying orders -> users: its calls alert while the agent is
#    still learning; one alert per 3-second window (--alert-window 3), the
#    first at once with count 1, each later one with the count of the
#    calls its window saw; the counts add up to every orders -> users call,
#    and gateway -> users (allowed) raises nothing.
#  - A policy whose default is deny, with allow rules: the calls they do
#    not allow alert with the default's reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/services/scenario.sh"
. "$(dirname "$0")/security/seclib.sh"
zt_init

# zt_exit_status FILE ARGS...: runs the agent, output to FILE; prints its status.
agent_status() {
	local out=$1
	shift
	"$ZT_BIN" "$@" --output none --metrics-addr off --state-dir "$TMP/none" >"$out" 2>&1
	echo $?
}

# ---- a malformed policy stops the start ----
printf 'version: 1\nrules:\n  - name: x\n    action: maybe\n' >"$TMP/bad.yaml"
rc=$(agent_status "$TMP/bad.out" --policy "$TMP/bad.yaml")
[ "$rc" -eq 2 ] || zt_fail "a malformed policy: exit $rc, want 2: $(cat "$TMP/bad.out")"
grep -q "^zerotrace: --policy: $TMP/bad.yaml:4:13: " "$TMP/bad.out" ||
	zt_fail "no FILE:LINE:COL in the error: $(cat "$TMP/bad.out")"
log "malformed policy: $(cat "$TMP/bad.out")"
printf 'version: 1\nrules: [\n' >"$TMP/bad2.yaml"
rc=$(agent_status "$TMP/bad2.out" --policy "$TMP/bad2.yaml")
{ [ "$rc" -eq 2 ] && grep -q "bad2.yaml:[0-9]*:[0-9]*: " "$TMP/bad2.out"; } ||
	zt_fail "a YAML syntax error: exit $rc: $(cat "$TMP/bad2.out")"
rc=$(agent_status "$TMP/bad3.out" --policy "$TMP/missing.yaml")
{ [ "$rc" -eq 2 ] && grep -q "missing.yaml" "$TMP/bad3.out"; } ||
	zt_fail "a missing policy file: exit $rc: $(cat "$TMP/bad3.out")"

# ---- deny orders -> users ----
sc_start_services
cat >"$TMP/policy.yaml" <<'YAMLEND'
version: 1
default: allow
rules:
  - name: orders-may-not-call-users
    action: deny
    severity: critical
    from: { service: orders }
    to: { service: users }
    protocols: [http]
    operations: ["GET /users*"]
YAMLEND
ALERTS=$TMP/alerts.jsonl
zt_agent_start --cgroup "$SC_CG" --policy "$TMP/policy.yaml" --state-dir "$TMP/state" \
	--alerts-output "$ALERTS" --alert-window 3
grep -q "learning the service graph for 86400 s" "$ZT_AGENT_ERR" || zt_fail "not learning: $(cat "$ZT_AGENT_ERR")"
N=0
T0=$(date +%s)
while (($(date +%s) - T0 < 7)); do
	sc_drive "d$N" 10 1 $((N * 10 + 1))
	N=$((N + 1))
	sleep 0.5
done
zt_settle 1
zt_agent_stop
CALLS=$((N * 10))
"$PY" - "$ALERTS" "$ZT_SPANS" "$CALLS" <<'PYEND' || zt_fail "policy alert checks failed"
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1])]
spans = {(s["trace_id"], s["span_id"]): s for s in map(json.loads, open(sys.argv[2])) if s}
calls = int(sys.argv[3])
ok = True
def check(cond, what):
    global ok
    print(("ok: " if cond else "ASSERT FAILED: ") + what)
    ok &= bool(cond)
deny = [a for a in alerts if a["rule"]["id"] == "policy_deny"]
check(len(deny) == len(alerts), "only policy_deny alerts: %r" % sorted({a["rule"]["id"] for a in alerts}))
check(len(deny) >= 3, "an alert per 3 s window over ~8 s: %d alerts" % len(deny))
check(deny and deny[0]["count"] == 1, "the first alert leaves at once, count 1")
check(sum(a["count"] for a in deny) == calls, "counts add up to the %d orders -> users calls: %d (%r)" % (calls, sum(a["count"] for a in deny), [a["count"] for a in deny]))
for a in deny:
    check(a["source"].get("service") == "orders" and a["destination"].get("service") == "users", "orders -> users")
    check(a["severity"] == "critical", "the rule's severity")
    check("orders-may-not-call-users" in a["reason"], "the rule named in the reason: %s" % a["reason"])
    s = spans.get((a["trace_id"], a["span_id"]))
    check(s is not None and s["kind"] == "CLIENT" and s["service.name"] == "orders", "names the orders CLIENT span")
sys.exit(0 if ok else 1)
PYEND

# ---- default deny, allow rules ----
cat >"$TMP/allow.yaml" <<'YAMLEND'
version: 1
default: deny
rules:
  - name: gateway-to-users
    action: allow
    from: { service: gateway }
    to: { service: users }
  - name: the-driver
    action: allow
    from: { cidr: 127.0.0.0/8 }
    to: { service: gateway }
YAMLEND
: >"$ALERTS"
zt_agent_start --tag allow --cgroup "$SC_CG" --policy "$TMP/allow.yaml" --state-dir "$TMP/state2" \
	--alerts-output "$ALERTS" --alert-window 60
sc_drive allow 5 1 1000
zt_settle 2.5
zt_agent_stop
"$PY" - "$ALERTS" <<'PYEND' || zt_fail "default-deny checks failed"
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1])]
pairs = sorted({(a["source"].get("service"), a["destination"].get("service")) for a in alerts})
print("denied:", pairs, [a["reason"] for a in alerts])
ok = pairs == [("gateway", "orders"), ("orders", "users")]
ok &= all("default: deny" in a["reason"] for a in alerts)
ok &= sum(a["count"] for a in alerts if a["source"].get("service") == "gateway") == 5
print("ok" if ok else "ASSERT FAILED: the calls outside the allow rules, each with the default's reason")
sys.exit(0 if ok else 1)
PYEND
zt_pass
