#!/usr/bin/env bash
# (e) pipelining: 5 GET requests in ONE send() on one connection, 5 responses
# read back -> 5 SERVER spans in request order with the right paths, 5 CLIENT spans.
# The client reads at most 512 bytes per recv (see pipeline_client.py).
. "$(dirname "$0")/lib.sh"
zt_init

PORT=$(zt_free_port 4)
zt_server srv 127.0.0.1 "$PORT" 1.1
SRV_PID=$ZT_LAST_PID
export PORT SRV_PID

zt_agent_start --port "$PORT"
timeout 20 "$PY" "$ZT_LIB_DIR/pipeline_client.py" 127.0.0.1 "$PORT" \
	/items/1 /search /items/3 /missing /users/5 >"$TMP/client.json" 2>"$TMP/client.err" &
CPID=$!
wait "$CPID" || zt_fail "pipelining client failed: $(cat "$TMP/client.err")"
log "client: $(cat "$TMP/client.json")"
zt_settle
zt_agent_stop
export CLIENT_JSON=$TMP/client.json

zt_py_check <<'EOF'
from ztcheck import *
import json
port, srv_pid = env("PORT", int), env("SRV_PID", int)
c = json.load(open(env("CLIENT_JSON")))
want = [("/items/1", 200, 1234, "GET /items/{id}"), ("/search", 200, 100, "GET /search"),
        ("/items/3", 200, 1234, "GET /items/{id}"), ("/missing", 404, 10, "GET /missing"),
        ("/users/5", 200, 1234, "GET /users/{id}")]
eq([tuple(r) for r in c["results"]], [w[:3] for w in want], "responses the client read")
S = load()
# order: as written by the agent (start times may be equal: one recv held all 5)
srv = [s for s in S if s.get("kind") == "SERVER"]
cli = [s for s in S if s.get("kind") == "CLIENT"]
eq(len(srv), 5, "number of SERVER spans")
eq(len(cli), 5, "number of CLIENT spans")
for kind, spans in (("SERVER", srv), ("CLIENT", cli)):
    eq([attr(s, "url.path") for s in spans], [w[0] for w in want], "%s url.path in output order" % kind)
    st = [s.get("start_time_unix_nano") for s in spans]
    check(st == sorted(st), "%s start times not non-decreasing in output order: %r" % (kind, st))
    for i, (p, status, size, name) in enumerate(want[:len(spans)]):
        expect_span(spans[i], "%s #%d %s" % (kind, i, p), kind=kind, name=name,
                    attrs={"http.request.method": "GET", "url.path": p,
                           "http.response.status_code": status,
                           "http.response.body.size": size, "http.request.body.size": 0,
                           "client.port": c["local_port"], "server.port": port,
                           "process.pid": srv_pid if kind == "SERVER" else c["pid"]})
done()
EOF
zt_pass
