#!/usr/bin/env bash
# (h2) HTTP/2 and gRPC: grpcio's server and client (Debian's python3-grpcio,
# cleartext with prior knowledge, no generated code), one channel = one
# HTTP/2 connection, eight client threads so that streams interleave on it.
# 420 unary calls that succeed, 20 that end INTERNAL, 20 NOT_FOUND and 40
# server-streaming calls of 5 messages: 500 calls. Every call must be one
# CLIENT and one SERVER span named "zt.Echo/Say" or "zt.Echo/Count" with
# rpc.system.name=grpc, rpc.method, rpc.status_code as the client saw it,
# network.protocol.version=2, the request's body size, the messages each way
# (1 and 1, 1 and 0 for an error, 1 and 5 streamed) (which codes make a
# span an error is pinned by test_http2.c); each SERVER span the child of
# the CLIENT span of its stream (rule 2 pairs by stream id: a pairing by
# order would be wrong as soon as streams interleave). Then an HTTP server
# whose handler calls Say on a channel all its handlers share (gRPC's own
# threads write on it too) serves 10 requests: each of its gRPC CLIENT
# spans is the child of its handler's SERVER span (rule 3, by the thread
# that wrote the stream's HEADERS). Then Node (@grpc/grpc-js from the npm
# registry, one channel, 8 calls in flight) calls the Python server 100
# times (80 OK, 10 INTERNAL, 10 NOT_FOUND): the same checks across
# languages. The agent runs with
# --inject-traceparent, which cannot write into HTTP/2: only curl's 10
# HTTP/1 requests are injected, each of the 610 gRPC client requests is
# counted in inject_skipped. /metrics:
# rpc_server_call_duration_seconds and rpc_client_call_duration_seconds
# count each call by method and status (promtool check metrics passes). Counters:
# http2_misses=0, frames_lost=0, parse_misses=0.
. "$(dirname "$0")/lib.sh"
zt_init

/usr/bin/python3 -c "import grpc" 2>/dev/null || zt_fail "python3-grpcio missing (scripts/install-deps.sh brings it)"
zt_npm_ci "$ZT_LIB_DIR/h2/node" @grpc/grpc-js
PORT=$(zt_free_port 1)
zt_bg grpcsrv /usr/bin/python3 "$ZT_LIB_DIR/h2/grpc_server.py" "$PORT"
SRV_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$PORT" 15
zt_alive "$SRV_PID" || zt_fail "grpc server died: $(cat "$TMP/grpcsrv.err")"

GWPORT=$(zt_free_port 1)
zt_bg gateway /usr/bin/python3 "$ZT_LIB_DIR/h2/grpc_gateway.py" "$GWPORT" "$PORT"
GW_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$GWPORT" 15

MPORT=$(zt_free_port 1)
zt_agent_start --port "$PORT" --port "$GWPORT" --inject-traceparent --metrics-addr "127.0.0.1:$MPORT"
zt_wait_port 127.0.0.1 "$MPORT" 5
/usr/bin/python3 "$ZT_LIB_DIR/h2/grpc_client.py" "$PORT" 420 20 20 40 "$TMP/client.json" \
	2>"$TMP/client.err" || zt_fail "grpc client: $(tail -5 "$TMP/client.err")"
log "$(cat "$TMP/client.err")"
for i in $(seq 1 10); do
	curl -sf -o /dev/null "http://127.0.0.1:$GWPORT/say/$i" || zt_fail "gateway request $i failed"
done
node "$ZT_LIB_DIR/h2/node/grpc_node_client.js" "$PORT" 80 10 10 "$TMP/node.json" >"$TMP/node.out" 2>&1 &
NODE_PID=$!
zt_track "$NODE_PID"
wait "$NODE_PID" || zt_fail "node grpc client: $(tail -5 "$TMP/node.out") $(cat "$TMP/node.json" 2>/dev/null)"
zt_settle 1
# the last spans leave the reorder window within a second
for ((i = 0; i < 50; i++)); do
	curl -sS --max-time 5 -o "$TMP/metrics.txt" "http://127.0.0.1:$MPORT/metrics" ||
		zt_fail "scrape of /metrics failed"
	n=$(awk '/^rpc_server_call_duration_seconds_count/ { n += $NF } END { print n + 0 }' "$TMP/metrics.txt")
	[ "$n" = 610 ] && break
	sleep 0.2
done
promtool check metrics <"$TMP/metrics.txt" >"$TMP/promtool.out" 2>&1 ||
	zt_fail "promtool check metrics: $(head -5 "$TMP/promtool.out")"
zt_agent_stop
export SRV_PID GW_PID NODE_PID PORT FINAL="$ZT_FINAL" METRICS=$TMP/metrics.txt

zt_py_check <<'PYEND'
from ztcheck import *
import collections, json, re
spans = load()
srv_pid, gw_pid = env("SRV_PID", int), env("GW_PID", int)
# the gateway's HTTP spans, and its gRPC calls' parents, apart
http = [s for s in spans if "rpc.system.name" not in s["attributes"]]
spans = [s for s in spans if "rpc.system.name" in s["attributes"]]
handlers = {s["span_id"]: s for s in http if s["kind"] == "SERVER"}
eq(len(handlers), 10, "the gateway's HTTP SERVER spans")
gw_calls = [s for s in spans if s["kind"] == "CLIENT" and attr(s, "process.pid") == gw_pid]
eq(len(gw_calls), 10, "the gateway's gRPC CLIENT spans")
for s in gw_calls:
    h = handlers.get(s["parent_span_id"])
    check(h is not None and h["trace_id"] == s["trace_id"] and
          attr(h, "url.path") == "/say/%d" % (attr(s, "http.request.body.size") - 5 - 600),
          "gateway call %s (%d bytes) is not the child of its handler" %
          (s["span_id"], attr(s, "http.request.body.size")))
node = collections.Counter(attr(s, "rpc.status_code") for s in spans
                           if s["kind"] == "CLIENT" and attr(s, "process.pid") == env("NODE_PID", int))
eq(node, {"OK": 80, "INTERNAL": 10, "NOT_FOUND": 10}, "Node's gRPC CLIENT spans by status")
want = {("zt.Echo/Say", "OK"): 510, ("zt.Echo/Say", "INTERNAL"): 30,
        ("zt.Echo/Say", "NOT_FOUND"): 30, ("zt.Echo/Count", "OK"): 40}
by = collections.Counter()
for s in spans:
    by[(s["kind"], s["name"], attr(s, "rpc.status_code"))] += 1
note("spans by kind, name, status: %s" % dict(by))
for (name, st), n in want.items():
    for kind in ("CLIENT", "SERVER"):
        eq(by[(kind, name, st)], n, "%s spans %s %s" % (kind, name, st))
eq(len(spans), 2 * sum(want.values()), "spans in all")
for s in spans:
    where = "%s %s" % (s["kind"], s["span_id"])
    eq(attr(s, "rpc.system.name"), "grpc", where + " rpc.system.name")
    eq(attr(s, "rpc.method"), s["name"], where + " rpc.method")
    eq(attr(s, "network.protocol.version"), "2", where + " network.protocol.version")
    eq(attr(s, "http.request.method"), "POST", where + " http.request.method")
    eq(attr(s, "http.response.status_code"), 200, where + " http.response.status_code")
    check(attr(s, "http.request.body.size", 0) > 5, where + " request body (a 5-byte prefix and a message)")
    eq(attr(s, "zerotrace.rpc.request.messages"), 1, where + " request messages")
    eq(attr(s, "zerotrace.rpc.response.messages"),
       5 if s["name"] == "zt.Echo/Count" else (1 if attr(s, "rpc.status_code") == "OK" else 0),
       where + " response messages")
    if s["kind"] == "SERVER":
        eq(attr(s, "process.pid"), srv_pid, where + " server pid")
clients = {s["span_id"]: s for s in spans if s["kind"] == "CLIENT"}
# every call sent a body of its own size (grpc_client.py): a server span
# joined to another stream's client span shows as a size that differs
sizes = collections.Counter(attr(c, "http.request.body.size") for c in clients.values())
eq(len(sizes), len(clients), "distinct request sizes among the CLIENT spans")
joined = [s for s in spans if s["kind"] == "SERVER" and s.get("parent_span_id") in clients]
eq(len(joined), sum(want.values()), "SERVER spans whose parent is a CLIENT span")
for s in joined:
    c = clients[s["parent_span_id"]]
    check(c["trace_id"] == s["trace_id"] and c["name"] == s["name"] and
          attr(c, "rpc.status_code") == attr(s, "rpc.status_code") and
          attr(c, "http.request.body.size") == attr(s, "http.request.body.size"),
          "server span %s joined to a client span of another call: %s" % (s["span_id"], summarize(c)))
series = collections.Counter()
for line in open(env("METRICS")):
    m = re.match(r'^rpc_(server|client)_call_duration_seconds_count\{service_name="[^"]*",'
                 r'rpc_system_name="grpc",rpc_method="([^"]+)",rpc_status_code="([^"]+)"\} (\d+)$', line)
    if m:
        series[(m.group(1), m.group(2), m.group(3))] += int(m.group(4))
for (name, st), n in want.items():
    for side in ("server", "client"):
        eq(series[(side, name, st)], n, "rpc_%s_call_duration_seconds_count %s %s" % (side, name, st))
fin = env("FINAL")
for k, v in (("http2_misses", 0), ("frames_lost", 0), ("parse_misses", 0), ("ringbuf_drops", 0),
             ("injected", 10), ("inject_skipped", sum(want.values()))):
    check(" %s=%d " % (k, v) in fin + " ", "final %s not %d: %s" % (k, v, fin))
done()
PYEND
zt_pass
