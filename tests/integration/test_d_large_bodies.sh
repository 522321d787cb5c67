#!/usr/bin/env bash
# (d) 10 MiB upload (curl --data-binary, POST /upload) and 10 MiB download
# (GET /big) -> exactly one SERVER and one CLIENT span each, body sizes
# 10485760; final stats: events < 3000 and payload_bytes < 1 MiB (the bodies
# were counted, not copied).
. "$(dirname "$0")/lib.sh"
zt_init

PORT=$(zt_free_port 4)
zt_server srv 127.0.0.1 "$PORT" 1.1
SRV_PID=$ZT_LAST_PID
export PORT SRV_PID
head -c 10485760 /dev/urandom >"$TMP/big.bin"

zt_agent_start --port "$PORT"
# 'Expect:' off: this test is about body sizes, not 100-continue.
curl -sS --max-time 30 -H 'Expect:' --data-binary "@$TMP/big.bin" -o "$TMP/up.resp" \
	-w '%{http_code} %{local_port} %{size_upload} %{size_download}' \
	"http://127.0.0.1:$PORT/upload" >"$TMP/up.out" 2>"$TMP/up.err" &
UP_PID=$!
wait "$UP_PID" || zt_fail "upload failed: $(cat "$TMP/up.err")"
curl -sS --max-time 30 -o "$TMP/down.bin" \
	-w '%{http_code} %{local_port} %{size_upload} %{size_download}' \
	"http://127.0.0.1:$PORT/big" >"$TMP/down.out" 2>"$TMP/down.err" &
DOWN_PID=$!
wait "$DOWN_PID" || zt_fail "download failed: $(cat "$TMP/down.err")"
log "upload: $(cat "$TMP/up.out"); download: $(cat "$TMP/down.out")"
zt_settle
zt_agent_stop
export UP="$UP_PID $(cat "$TMP/up.out")" DOWN="$DOWN_PID $(cat "$TMP/down.out")"
export EVENTS=$(zt_final events) PAYLOAD=$(zt_final payload_bytes) FINAL="$ZT_FINAL"

zt_py_check <<'EOF'
from ztcheck import *
port, srv_pid = env("PORT", int), env("SRV_PID", int)
BIG = 10485760
up = [int(x) for x in env("UP").split()]
down = [int(x) for x in env("DOWN").split()]
# pid, status, local port, bytes uploaded, bytes downloaded (as curl reports)
eq([up[1], up[3], up[4]], [201, BIG, 8], "curl upload: status, uploaded, downloaded")
eq([down[1], down[3], down[4]], [200, 0, BIG], "curl download: status, uploaded, downloaded")
S = load()
srv, cli = servers(S), clients(S)
eq(len(srv), 2, "number of SERVER spans")
eq(len(cli), 2, "number of CLIENT spans")
cases = [("POST", "/upload", 201, BIG, 8, up), ("GET", "/big", 200, 0, BIG, down)]
for kind, spans in (("SERVER", srv), ("CLIENT", cli)):
    for i, (m, p, st, rq, rs, c) in enumerate(cases):
        if i >= len(spans):
            break
        expect_span(spans[i], "%s %s %s" % (kind, m, p), kind=kind, name="%s %s" % (m, p),
                    attrs={"http.request.method": m, "url.path": p,
                           "http.response.status_code": st, "http.request.body.size": rq,
                           "http.response.body.size": rs, "server.port": port,
                           "client.port": c[2],
                           "process.pid": srv_pid if kind == "SERVER" else c[0]})
events, payload = env("EVENTS", int), env("PAYLOAD", int)
check(events < 3000, "events=%d in final line, expected < 3000 (%s)" % (events, env("FINAL")))
check(payload < 1048576, "payload_bytes=%d in final line, expected < 1048576 (%s)" % (payload, env("FINAL")))
note(env("FINAL"))
done()
EOF
zt_pass
