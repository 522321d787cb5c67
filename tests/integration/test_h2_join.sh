#!/usr/bin/env bash
# (h2 join) The agent starts in the middle of a long-lived gRPC channel
# (grpcio client and server, cleartext): the connection's preface went by
# before it, and so did the calls that filled both HPACK tables. The kernel
# finds HTTP/2 from a frame header (only on a connection older than the
# agent); each header block is read as far as a table partly unknown
# allows (hpack_tolerant.h): static entries, literals, and the entries
# inserted since the agent came. 25 calls after the join, one at a time
# (Say, then Count, a method first called after the join, then Say again):
# one CLIENT and one SERVER span each (the first may go unseen: one write
# that looks like HTTP/2 is only a candidate), SERVER the child of CLIENT; a span's
# url.path and rpc.method are the call's own or absent, never another's,
# and a span with fields it could not read says zerotrace.hpack.incomplete;
# every Count span has its path (a literal, then an entry inserted after
# the join); http2_incomplete counts the incomplete ones.
. "$(dirname "$0")/lib.sh"
zt_init

/usr/bin/python3 -c "import grpc" 2>/dev/null || zt_fail "python3-grpcio missing (scripts/install-deps.sh brings it)"
PORT=$(zt_free_port 1)
zt_bg grpcsrv /usr/bin/python3 "$ZT_LIB_DIR/h2/grpc_server.py" "$PORT"
SRV_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$PORT" 15
zt_alive "$SRV_PID" || zt_fail "grpc server died: $(cat "$TMP/grpcsrv.err")"
zt_bg client /usr/bin/python3 "$ZT_LIB_DIR/h2/grpc_join_client.py" "$PORT" "$TMP/go" "$TMP/calls.json"
CLIENT_PID=$ZT_LAST_PID
for ((i = 0; i < 150; i++)); do
	grep -q warm "$TMP/client.out" && break
	zt_alive "$CLIENT_PID" || zt_fail "client died: $(cat "$TMP/client.err")"
	sleep 0.1
done
grep -q warm "$TMP/client.out" || zt_fail "client not warm after 15 s"

zt_agent_start --port "$PORT"
touch "$TMP/go"
wait "$CLIENT_PID" || zt_fail "client failed: $(tail -3 "$TMP/client.err")"
zt_settle 1
zt_agent_stop
export CALLS=$TMP/calls.json SRV_PID CLIENT_PID FINAL="$ZT_FINAL"

zt_py_check <<'PYEND'
from ztcheck import *
import json
spans = load()
calls = json.load(open(env("CALLS")))
eq(len(calls), 25, "calls after the join")
for kind, pid in (("CLIENT", env("CLIENT_PID", int)), ("SERVER", env("SRV_PID", int))):
    mine = sorted((s for s in spans if s["kind"] == kind), key=lambda s: s["start_time_unix_nano"])
    # the first write that looks like HTTP/2 is only a candidate: the
    # second names the protocol, so the first call may go unseen
    check(24 <= len(mine) <= 25, "%s spans: %d, not 24 or 25" % (kind, len(mine)))
    incomplete = 0
    for s, path in zip(mine, calls[len(calls) - len(mine):]):
        where = "%s call %d (%s)" % (kind, calls.index(path), path)
        eq(attr(s, "process.pid"), pid, where + " pid")
        got = attr(s, "url.path")
        check(got in (None, path), "%s: url.path %r is another call's" % (where, got))
        m = attr(s, "rpc.method")
        check(m in (None, path[1:]), "%s: rpc.method %r is another call's" % (where, m))
        if got is None or m is None:
            eq(attr(s, "zerotrace.hpack.incomplete"), 1, where + ": fields missing, marked")
        if attr(s, "zerotrace.hpack.incomplete"):
            incomplete += 1
        if path == "/zt.Echo/Count":
            eq(got, path, where + ": a path sent after the join is known")
    note("%s spans incomplete: %d of 25" % (kind, incomplete))
    check(incomplete > 0, kind + ": calls whose fields were all in the table before the join "
          "cannot be complete")
clients = {s["span_id"]: s for s in spans if s["kind"] == "CLIENT"}
for s in spans:
    if s["kind"] == "SERVER":
        c = clients.get(s["parent_span_id"])
        check(c is not None and attr(c, "url.path") in (None, attr(s, "url.path"))
              and attr(s, "url.path") in (None, attr(c, "url.path")),
              "SERVER %s is not the child of its stream's CLIENT span" % s["span_id"])
fin = env("FINAL") + " "
inc = int(fin.split(" http2_incomplete=")[1].split()[0]) if " http2_incomplete=" in fin else -1
check(inc > 0, "http2_incomplete counts the incomplete spans: %d" % inc)
for k in ("frames_lost", "ringbuf_drops"):
    check(" %s=0 " % k in fin, "final %s not 0" % k)
done()
PYEND
zt_pass
