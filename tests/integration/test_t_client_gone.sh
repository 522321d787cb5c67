#!/usr/bin/env bash
# (t) Clients that give up before the answer: curl --max-time, and a client
# that closes right after sending. The server's late send provokes a reset
# that loopback delivers inside that very send; the SERVER span must still
# carry the response the kernel accepted (status 200, 1000 body bytes), and
# the CLIENT span is exported without a response. A client that half-closes
# (shutdown SHUT_WR) and then reads the answer gets a whole CLIENT span. Each
# SERVER span is the child of its CLIENT span, also when the client closed
# before the server read.
. "$(dirname "$0")/lib.sh"
zt_init

PORT=$(zt_free_port 4)
N_CURL=3
N_DROP=3
N_HALF=2
N_ALL=$((N_CURL + N_DROP + N_HALF))
# ready when it says so: a connect probe would use up one of its accepts
zt_bg late "$PY" -u "$ZT_LIB_DIR/late_server.py" --port "$PORT" --count "$N_ALL" --delay 0.6
SRV_PID=$ZT_LAST_PID
for ((i = 0; i < 100; i++)); do
	grep -qs listening "$TMP/late.out" && break
	sleep 0.1
done
grep -q listening "$TMP/late.out" || zt_fail "late_server did not start: $(cat "$TMP/late.err")"
export PORT SRV_PID N_CURL N_DROP N_HALF

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
# half-closing clients: their end reaches TCP_CLOSE (via FIN_WAIT2) while
# they still read the answer
"$PY" - "$PORT" "$N_HALF" <<'PYEOF' || zt_fail "half-closing client failed"
import socket, sys
for i in range(int(sys.argv[2])):
    c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    c.sendall(b"GET /half/%d HTTP/1.1\r\nHost: late\r\n\r\n" % i)
    c.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        got += chunk
    c.close()
    assert got.startswith(b"HTTP/1.1 200 OK") and got.endswith(b"z" * 1000), got[:80]
PYEOF
# the server answers one request every 0.6 s and exits after the last
for ((i = 0; i < 300; i++)); do
	zt_alive "$SRV_PID" || break
	sleep 0.1
done
zt_alive "$SRV_PID" && zt_fail "late_server still running 30 s after the last client: $(cat "$TMP/late.out")"

zt_settle
zt_agent_stop
export CURL_PIDS=$TMP/curl_pids SERVER_OUT=$TMP/late.out UNJOINED=$(zt_final unanswered_unjoined) \
	FORCED=$(zt_final reorder_forced)

zt_py_check <<'EOF'
from ztcheck import *
port, srv_pid = env("PORT", int), env("SRV_PID", int)
n_curl, n_drop, n_half = env("N_CURL", int), env("N_DROP", int), env("N_HALF", int)
n_all = n_curl + n_drop + n_half
sent = [l.split() for l in open(env("SERVER_OUT")) if l.startswith("sent")]
eq(len(sent), n_all, "sends the server completed (late.out)")
check(all(int(s[1]) == 1000 + 67 for s in sent), "server sent partial responses: %s" % sent)
curl_pids = {int(l) for l in open(env("CURL_PIDS"))}

S = load(allow_no_response=True)
srv, cli = servers(S), clients(S)
eq(len(srv), n_all, "SERVER spans")
eq(len(cli), n_all, "CLIENT spans")
paths = sorted(attr(s, "url.path") for s in srv)
eq(paths, sorted(["/slow/%d" % i for i in range(n_curl)] + ["/dropped/%d" % i for i in range(n_drop)]
                  + ["/half/%d" % i for i in range(n_half)]),
   "SERVER span paths")
for s in srv:
    expect_span(s, "SERVER %s" % attr(s, "url.path"), kind="SERVER",
                attrs={"http.response.status_code": 200, "http.response.body.size": 1000,
                       "process.pid": srv_pid, "server.port": port})
by_id = {c["span_id"]: c for c in cli}
for c in cli:
    where = "CLIENT %s" % attr(c, "url.path")
    if attr(c, "url.path", "").startswith("/half/"):
        expect_span(c, where, attrs={"http.response.status_code": 200, "http.response.body.size": 1000})
        continue
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
eq(env("FORCED", int), 0, "reorder_forced in the final line (events released out of order)")
done()
EOF
zt_pass
