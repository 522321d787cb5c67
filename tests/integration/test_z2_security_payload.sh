#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Security: the payload rules, which need no baseline. Real clients against
# real servers on loopback; for each rule one request that trips it (exactly
# one alert, naming the exported span of that request) and a close variant
# that must not. --learn 0 and the baseline rules switched off by id
# (--disable-rule), so only payload rules speak.
#   http_path_traversal      curl --path-as-is /static/../etc/passwd, and
#                            %2e%2e%2f; not /static/a..b/c
#   redis_dangerous_command  redis-cli CONFIG SET; not CONFIG GET
#   sql_command_exec         psql COPY ... FROM PROGRAM; not COPY ... TO STDOUT
#   sql_stacked_query        psql "SELECT 1; SELECT 2"; not "SELECT 3;"
#   sql_tautology            psql "... WHERE id = 5 OR 1=1"; not "... OR name = 'x'"
# Then the baseline that run saved is cut in half: the next start reports
# it ("line N: why"), sets it aside as baseline.v1.bad-<time>, never trusts
# it, and learns again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dblib.sh"
. "$(dirname "$0")/security/seclib.sh"
zt_init

HTTP_PORT=$(zt_free_port 4)
zt_server web 127.0.0.1 "$HTTP_PORT" 1.1
zt_redis_start
zt_pg_start
PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=0)
"${PSQL[@]}" -c "CREATE TABLE t (id int, name text)" >"$TMP/setup.out" 2>&1 ||
	zt_fail "create table: $(cat "$TMP/setup.out")"
ALERTS=$TMP/alerts.jsonl
zt_agent_start --port "$HTTP_PORT" --port "$REDIS_PORT" --port "$PG_PORT" --learn 0 \
	--state-dir "$TMP/state" --alerts-output "$ALERTS" \
	--disable-rule new_edge --disable-rule new_listener --disable-rule new_operation

web() { curl -sS --path-as-is -o /dev/null --max-time 5 "http://127.0.0.1:$HTTP_PORT$1" || zt_fail "curl $1 failed"; }
rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@" >>"$TMP/redis.out" 2>&1 || zt_fail "redis-cli $* failed: $(cat "$TMP/redis.out")"; }
sql() { "${PSQL[@]}" -c "$1" >>"$TMP/psql.out" 2>&1; }

web /static/a..b/c
web "/static/..%2fetc%2fpasswd"
web /static/../etc/passwd
rcli CONFIG GET maxmemory-policy
rcli CONFIG SET maxmemory-policy noeviction
sql "COPY t TO STDOUT"
sql "COPY t FROM PROGRAM 'echo 1'"
sql "SELECT 3;"
sql "SELECT 1; SELECT 2"
sql "SELECT * FROM t WHERE id = 5 OR name = 'x'"
sql "SELECT * FROM t WHERE id = 5 OR 1=1"
grep -q "must be superuser\|permission denied\|pg_execute_server_program" "$TMP/psql.out" ||
	log "note: COPY FROM PROGRAM was allowed here: $(cat "$TMP/psql.out")"
zt_settle 3
zt_agent_stop

# the traversal rule: two requests on one edge, one alert with count 2 (the
# second is a repeat inside the window, counted at exit)
sec_expect_count "$ALERTS" http_path_traversal 2 "path traversal (the first, then its repeat's count)"
sec_expect_count "$ALERTS" redis_dangerous_command 1 "CONFIG SET"
sec_expect_count "$ALERTS" sql_command_exec 1 "COPY FROM PROGRAM"
sec_expect_count "$ALERTS" sql_stacked_query 1 "two statements"
sec_expect_count "$ALERTS" sql_tautology 1 "OR 1=1"
[ "$(sec_count "$ALERTS" "")" -eq 6 ] || {
	sec_alerts "$ALERTS" >&2
	zt_fail "expected 6 alert lines in all"
}

"$PY" - "$ALERTS" "$ZT_SPANS" <<'PYEND' || zt_fail "alert checks failed"
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1])]
spans = {(s["trace_id"], s["span_id"]): s for s in map(json.loads, open(sys.argv[2])) if s}
ok = True
def check(cond, what):
    global ok
    print(("ok: " if cond else "ASSERT FAILED: ") + what)
    ok &= bool(cond)
want = {
    "http_path_traversal": ("url.path", None),
    "redis_dangerous_command": ("db.operation.name", "CONFIG SET"),
    "sql_command_exec": ("db.query.text", "COPY t FROM PROGRAM ?"),
    "sql_stacked_query": ("db.query.text", "SELECT ?; SELECT ?"),
    "sql_tautology": ("db.query.text", "SELECT * FROM t WHERE id = ? OR ?=?"),
}
for a in alerts:
    rule = a["rule"]["id"]
    s = spans.get((a["trace_id"], a["span_id"]))
    check(s is not None, "%s names an exported span" % rule)
    if s is None:
        continue
    key, val = want[rule]
    got = s["attributes"].get(key)
    if val is not None:
        check(got == val, "%s: the span's %s is %r (got %r)" % (rule, key, val, got))
    check(s["kind"] == "CLIENT", "%s points at the client's span" % rule)
    check(a["severity"] in ("high", "critical", "medium"), "%s severity %s" % (rule, a["severity"]))
trav = [a for a in alerts if a["rule"]["id"] == "http_path_traversal"]
check([a["count"] for a in trav] == [1, 1], "traversal: first alert count 1, then the window's repeat count 1")
paths = sorted(spans[(a["trace_id"], a["span_id"])]["attributes"]["url.path"] for a in trav)
check(paths == ["/static/..%2fetc%2fpasswd", "/static/../etc/passwd"], "traversal alerts name the encoded, then the plain request: %r" % paths)
sys.exit(0 if ok else 1)
PYEND
# a truncated state file: set aside, reported, learning again
SIZE=$(stat -c %s "$TMP/state/baseline.v1")
truncate -s $((SIZE / 2)) "$TMP/state/baseline.v1"
zt_agent_start --tag corrupt --port "$HTTP_PORT" --learn 12s --state-dir "$TMP/state"
grep -q "baseline $TMP/state/baseline.v1: line [0-9]*: .*; set aside as $TMP/state/baseline.v1.bad-[0-9]*, not trusted; learning starts again" "$ZT_AGENT_ERR" ||
	zt_fail "no clear message for the truncated state file: $(cat "$ZT_AGENT_ERR")"
grep -q "learning the service graph for 12 s" "$ZT_AGENT_ERR" || zt_fail "not learning again: $(cat "$ZT_AGENT_ERR")"
ls "$TMP/state"/baseline.v1.bad-* >/dev/null 2>&1 || zt_fail "the bad file was not set aside: $(ls -la "$TMP/state")"
zt_agent_stop
log "truncated state file: $(grep 'set aside' "$ZT_AGENT_ERR")"
zt_pass
