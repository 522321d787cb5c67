#!/usr/bin/env bash
# (t) Clients that give up before the answer: curl --max-time, and a client
# that closes right after sending. The server's late send provokes a reset
# that loopback delivers inside that very send; the SERVER span must still
# carry the response the kernel accepted (status 200, 1000 body bytes), and
# the CLIENT span is exported without a response. Each SERVER span is the child
# of its CLIENT span, also when the client closed before the server read.
. "$(dirname "$0")/lib.sh"
zt_init

PORT=$(zt_free_port 4)
N_CURL=3
N_DROP=3
zt_bg late "$PY" -u "$ZT_LIB_DIR/late_server.py" --port "$PORT" --count $((N_CURL + N_DROP)) --delay 0.6
SRV_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$PORT" 10
# the readiness probe was one connection without a request: start a fresh count
zt_stop_pid "$SRV_PID"
zt_bg late "$PY" -u "$ZT_LIB_DIR/late_server.py" --port "$PORT" --count $((N_CURL + N_DROP)) --delay 0.6
SRV_PID=$ZT_LAST_PID
for ((i = 0; i < 100; i++)); do
	grep -q listening "$TMP/late.out" && break
	sleep 0.1
done
grep -q listening "$TMP/late.out" || zt_fail "late_server did not start: $(cat "$TMP/late.err")"
export PORT SRV_PID N_CURL N_DROP

zt_agent_start --port "$PORT"
: >"$TMP/curl_pids"
for ((i = 0; i < N_CURL; i++)); do
	curl -sS -o /dev/null --max-time 0.3 "http://127.0.0.1:$PORT/slow/$i" 2>/dev/null &
	cpid=$!
	wait "$cpid"
	rc=$?
	[ "$rc" -eq 28 ] || zt_fail "curl --max-time 0.3: expected exit 28 (timeout), got $rc"
	echo "$cpid" >>"$TMP/curl_pids"
done
"$PY" - "$PORT" "$N_DROP" <<'PYEOF' || zt_fail "dropping client failed"
import socket, sys
for i in range(int(sys.argv[2])):
    c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    c.sendall(b"GET /dropped/%d HTTP/1.1\r\nHost: late\r\n\r\n" % i)
    c.close()
PYEOF
for ((i = 0; i < 50; i++)); do
	[ "$(grep -c '^sent\|^send error' "$TMP/late.out")" -ge $((N_CURL + N_DROP)) ] && break
	sleep 0.1
done
zt_settle
zt_agent_stop
export CURL_PIDS=$TMP/curl_pids SERVER_OUT=$TMP/late.out UNJOINED=$(zt_final unanswered_unjoined)

zt_py_check <<'EOF'
from ztcheck import *
port, srv_pid = env("PORT", int), env("SRV_PID", int)
n_curl, n_drop = env("N_CURL", int), env("N_DROP", int)
sent = [l.split() for l in open(env("SERVER_OUT")) if l.startswith("sent")]
eq(len(sent), n_curl + n_drop, "sends the server completed (late.out)")
check(all(int(s[1]) == 1000 + 67 for s in sent), "server sent partial responses: %s" % sent)
curl_pids = {int(l) for l in open(env("CURL_PIDS"))}

S = load(allow_no_response=True)
srv, cli = servers(S), clients(S)
eq(len(srv), n_curl + n_drop, "SERVER spans")
eq(len(cli), n_curl + n_drop, "CLIENT spans")
paths = sorted(attr(s, "url.path") for s in srv)
eq(paths, sorted(["/slow/%d" % i for i in range(n_curl)] + ["/dropped/%d" % i for i in range(n_drop)]),
   "SERVER span paths")
for s in srv:
    expect_span(s, "SERVER %s" % attr(s, "url.path"), kind="SERVER",
                attrs={"http.response.status_code": 200, "http.response.body.size": 1000,
                       "process.pid": srv_pid, "server.port": port})
by_id = {c["span_id"]: c for c in cli}
for c in cli:
    where = "CLIENT %s" % attr(c, "url.path")
    check("http.response.status_code" not in c["attributes"],
          "%s: has a response status %r, but its client never read one" % (where, attr(c, "http.response.status_code")))
    if attr(c, "url.path", "").startswith("/slow/"):
        check(attr(c, "process.pid") in curl_pids, "%s: pid %r is not a curl we ran" % (where, attr(c, "process.pid")))
        eq(attr(c, "process.executable.name"), "curl", "%s executable" % where)
# rule 2 joins each SERVER span to the CLIENT span of its connection, even when
# that client closed before the server read the request (queued behind a slow one)
for s in srv:
    p = by_id.get(s["parent_span_id"])
    check(p is not None and attr(p, "url.path") == attr(s, "url.path") and p["trace_id"] == s["trace_id"],
          "SERVER %s: parent is not the CLIENT span of its connection" % attr(s, "url.path"))
eq(env("UNJOINED", int), 0, "unanswered_unjoined in the final line")
done()
