#!/usr/bin/env bash
# (g) a keep-alive connection opened (and used once) BEFORE the agent started:
# the 5 requests made on it after the agent is ready -> 5 SERVER spans (kind
# SERVER, right paths) and 5 CLIENT spans.
. "$(dirname "$0")/lib.sh"
zt_init

PORT=$(zt_free_port 4)
zt_server srv 127.0.0.1 "$PORT" 1.1
SRV_PID=$ZT_LAST_PID
export PORT SRV_PID

zt_bg client timeout 60 "$PY" "$ZT_LIB_DIR/keepalive_client.py" 127.0.0.1 "$PORT" \
	GET:/before/0 GET:/items/1 GET:/search GET:/items/3 GET:/missing GET:/users/5 \
	--pause-after 1 --ready-file "$TMP/ready" --go-file "$TMP/go"
CPID=$ZT_LAST_PID
for ((i = 0; i < 100; i++)); do [ -e "$TMP/ready" ] && break; sleep 0.1; done
[ -e "$TMP/ready" ] || zt_fail "client did not make its first request: $(cat "$TMP/client.err")"
log "pre-agent request done on client port $(cat "$TMP/ready")"

zt_agent_start --port "$PORT"
touch "$TMP/go"
wait "$CPID" || zt_fail "client failed: $(cat "$TMP/client.err")"
log "client: $(cat "$TMP/client.out")"
zt_settle
zt_agent_stop
export CLIENT_JSON=$TMP/client.out

zt_py_check <<'EOF'
from ztcheck import *
import json
port, srv_pid = env("PORT", int), env("SRV_PID", int)
c = json.load(open(env("CLIENT_JSON")))
want = [("/items/1", 200, 1234, "GET /items/{id}"), ("/search", 200, 100, "GET /search"),
        ("/items/3", 200, 1234, "GET /items/{id}"), ("/missing", 404, 10, "GET /missing"),
        ("/users/5", 200, 1234, "GET /users/{id}")]
eq([tuple(r[1:3]) for r in c["results"][1:]], [w[:2] for w in want], "what the client got after the agent started")
S = load()
srv, cli = servers(S), clients(S)
eq(len(srv), 5, "number of SERVER spans")
eq(len(cli), 5, "number of CLIENT spans")
check(all(attr(s, "url.path") != "/before/0" for s in S), "a span for the request made before the agent started")
for kind, spans in (("SERVER", srv), ("CLIENT", cli)):
    eq([attr(s, "url.path") for s in spans], [w[0] for w in want], "%s url.path sequence" % kind)
    by_path = {attr(s, "url.path"): s for s in spans}
    for i, (p, status, size, name) in enumerate(want):
        if p not in by_path:
            check(False, "%s span for request #%d %s is missing" % (kind, i, p))
            continue
        expect_span(by_path[p], "%s #%d %s" % (kind, i, p), kind=kind, name=name,
                    attrs={"http.request.method": "GET", "url.path": p,
                           "http.response.status_code": status, "http.response.body.size": size,
                           "server.address": "127.0.0.1", "server.port": port,
                           "client.port": c["local_port"],
                           "network.peer.port": c["local_port"] if kind == "SERVER" else port,
                           "process.pid": srv_pid if kind == "SERVER" else c["pid"]})
done()
EOF
zt_pass
