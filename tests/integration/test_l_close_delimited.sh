#!/usr/bin/env bash
# (l) close-delimited response: HTTP/1.0 handler, no Content-Length, 3000
# bytes in 3 writes, then close -> one SERVER and one CLIENT span, body 3000.
. "$(dirname "$0")/lib.sh"
zt_init

PORT=$(zt_free_port 4)
zt_server srv 127.0.0.1 "$PORT" 1.0
SRV_PID=$ZT_LAST_PID
export PORT SRV_PID

zt_agent_start --port "$PORT"
curl --http1.0 -sS --max-time 10 -o "$TMP/body" -w '%{http_code} %{local_port} %{size_download}' \
	"http://127.0.0.1:$PORT/close" >"$TMP/curl.out" 2>"$TMP/curl.err" &
CPID=$!
wait "$CPID" || zt_fail "curl failed: $(cat "$TMP/curl.err")"
log "curl: $(cat "$TMP/curl.out")"
zt_settle
zt_agent_stop
export CURL="$CPID $(cat "$TMP/curl.out")"

zt_py_check <<'EOF'
from ztcheck import *
port, srv_pid = env("PORT", int), env("SRV_PID", int)
cpid, code, lport, down = (int(x) for x in env("CURL").split())
eq((code, down), (200, 3000), "curl status and body bytes")
S = load()
srv, cli = servers(S), clients(S)
eq(len(srv), 1, "number of SERVER spans")
eq(len(cli), 1, "number of CLIENT spans")
for kind, spans in (("SERVER", srv), ("CLIENT", cli)):
    if spans:
        expect_span(spans[0], kind, kind=kind, name="GET /close",
                    attrs={"http.request.method": "GET", "url.path": "/close",
                           "http.response.status_code": 200, "http.response.body.size": 3000,
                           "http.request.body.size": 0, "network.protocol.version": "1.0",
                           "server.port": port, "client.port": lport,
                           "process.pid": srv_pid if kind == "SERVER" else cpid})
done()
EOF
zt_pass
