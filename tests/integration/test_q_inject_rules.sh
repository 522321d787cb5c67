#!/usr/bin/env bash
# (q) --inject-traceparent rules, one node: a python client in a cgroup the
# test makes (agent --cgroup of it --inject-traceparent) calls two servers
# outside it (untraced; they log every traceparent header they receive):
#   rid 1..5    plain GETs on one keep-alive connection -> each received exactly
#               one "traceparent: 00-<trace>-<span>-01", the ids of the CLIENT
#               span exported for that request, all distinct;
#   rid 11..13  GETs that already carry a traceparent -> received unchanged,
#               exactly once (nothing added);
#   rid 31, 32  100 KB POSTs (one send; head and body in two sends) -> one
#               injected traceparent each = the CLIENT span's ids, bodies intact
#               (sha256 checked by the server: 200);
#   rid 21      curl from outside the cgroup -> no traceparent, no span;
#   rid 41, 42  two GETs pipelined in one send: answered 200; what was injected
#               is reported, not asserted (the contract does not say).
. "$(dirname "$0")/lib.sh"
zt_init

zt_agent_has_flag --inject-traceparent || zt_fail "agent has no --inject-traceparent flag (not in $ZT_BIN yet)"
SVC=$ZT_LIB_DIR/services
zt_cgroup_new client
CG=$ZT_LAST_CG
USERS_PORT=$(zt_free_port 4)
BACK_PORT=$(zt_free_port 4)
while [ "$BACK_PORT" = "$USERS_PORT" ]; do BACK_PORT=$(zt_free_port 4); done
zt_bg users env OTEL_SERVICE_NAME=users "$PY" "$SVC/svc.py" --role users --port "$USERS_PORT" --log "$TMP/users.ctx.log"
zt_bg back env OTEL_SERVICE_NAME=back "$PY" "$SVC/svc.py" --role back --port "$BACK_PORT" --log "$TMP/back.ctx.log"
zt_wait_port 127.0.0.1 "$USERS_PORT" 10
zt_wait_port 127.0.0.1 "$BACK_PORT" 10
: >"$TMP/users.ctx.log"
TP=00-$("$PY" -c 'import secrets; print(secrets.token_hex(16) + "-" + secrets.token_hex(8))')-01
export USERS_PORT BACK_PORT TP

zt_agent_start_tag run --cgroup "$CG" --inject-traceparent
zt_cg_bg client "$CG" timeout 40 "$PY" "$SVC/inject_client.py" "$USERS_PORT" "$BACK_PORT" "$TP"
CPID=$ZT_LAST_PID
wait "$CPID"
rc=$?
zt_stop_untrack "$CPID"
[ "$rc" -eq 0 ] || zt_fail "client failed (status $rc): $(cat "$TMP/client.err")"
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$USERS_PORT/users?rid=21" 2>&1)
[ "$code" = 200 ] || zt_fail "curl rid=21: $code"
zt_settle 1
zt_agent_stop_tag run
export SPANS=$TMP/run.spans.jsonl CLIENT_JSON=$TMP/client.out CTX_USERS=$TMP/users.ctx.log CTX_BACK=$TMP/back.ctx.log

zt_py_check <<'EOF'
from ztcheck import *
import json, re

TPRE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-01$")
c = json.load(open(env("CLIENT_JSON")))
res = {int(k): v for k, v in c["results"].items()}
for rid, (st, _) in sorted(res.items()):
    eq(st, 200, "rid=%d: status the client got (599 = answer checksum mismatch)" % rid)
got = {}
for path in (env("CTX_USERS"), env("CTX_BACK")):
    for line in open(path):
        m = re.match(r"rid=(\d+) traceparent=(\S+) size=(\d+)", line)
        if m:
            got.setdefault(int(m.group(1)), []).append(m.group(2))
S = load(env("SPANS"))
eq(sorted({attr(s, "process.pid") for s in S}), [c["pid"]], "pids in the spans (only the client is in the cgroup)")
cli = {}
for s in clients(S):
    m = re.search(r"(?:^|&)rid=(\d+)", attr(s, "url.query") or "")
    if m:
        cli.setdefault(int(m.group(1)), []).append(s)

def injected(rid):
    spans = cli.get(rid, [])
    if not check(len(spans) == 1, "rid=%d: %d CLIENT spans, expected 1" % (rid, len(spans))):
        return
    s = spans[0]
    want = "00-%s-%s-01" % (s.get("trace_id"), s.get("span_id"))
    eq(got.get(rid), [want], "rid=%d: traceparent(s) the server received vs the CLIENT span's ids" % rid)
    return got.get(rid, [""])[0]

seen = [injected(r) for r in (1, 2, 3, 4, 5)]
eq(len(set(seen)), 5, "distinct traceparents injected into rid 1..5")
for r in (11, 12, 13):
    eq(got.get(r), [env("TP")], "rid=%d: traceparent(s) received for a request that carried its own" % r)
    eq(len(cli.get(r, [])), 1, "rid=%d: CLIENT spans" % r)
injected(31)
injected(32)
eq(got.get(21), ["-"], "rid=21 (curl outside the cgroup): traceparent received")
check(21 not in cli, "rid=21 (curl outside the cgroup) has a CLIENT span")
for r in (41, 42):
    note("rid=%d (pipelined, 2 requests in one send): server received traceparent %s; CLIENT spans: %s"
         % (r, got.get(r), [(s.get("trace_id")[:8], s.get("span_id")[:8]) for s in cli.get(r, [])]))
done()
EOF
zt_pass
