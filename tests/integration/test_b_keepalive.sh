#!/usr/bin/env bash
# (b) 100 requests over one keep-alive connection (python http.client)
# -> exactly 100 SERVER and 100 CLIENT spans, in order, all on the same client.port.
. "$(dirname "$0")/lib.sh"
zt_init

PORT=$(zt_free_port 4)
zt_server srv 127.0.0.1 "$PORT" 1.1
SRV_PID=$ZT_LAST_PID
export PORT SRV_PID

zt_agent_start --port "$PORT"
timeout 30 "$PY" "$ZT_LIB_DIR/keepalive_client.py" 127.0.0.1 "$PORT" '100*GET:/items/' \
	>"$TMP/client.json" 2>"$TMP/client.err" &
CPID=$!
zt_track "$CPID"
wait "$CPID" || zt_fail "keep-alive client failed: $(cat "$TMP/client.err")"
export CLIENT_JSON=$TMP/client.json
zt_settle
zt_agent_stop

zt_py_check <<'EOF'
from ztcheck import *
import json
port, srv_pid = env("PORT", int), env("SRV_PID", int)
c = json.load(open(env("CLIENT_JSON")))
cpid = c["pid"]
lport = c["local_port"]
eq(len(c["results"]), 100, "requests completed by the client")
check(all(r[2] == 200 and r[3] == 1234 for r in c["results"]), "client saw a non-200 or short body")
S = load()
srv, cli = servers(S), clients(S)
eq(len(srv), 100, "number of SERVER spans")
eq(len(cli), 100, "number of CLIENT spans")
eq(sorted({attr(s, "client.port") for s in S}), [lport], "set of client.port values over all spans")
for kind, spans in (("SERVER", srv), ("CLIENT", cli)):
    eq([attr(s, "url.path") for s in spans], ["/items/%d" % i for i in range(100)][:len(spans)],
       "%s url.path sequence" % kind)
    for i, s in enumerate(spans):
        a = {"http.request.method": "GET", "http.response.status_code": 200,
             "http.request.body.size": 0, "http.response.body.size": 1234,
             "server.port": port, "client.port": lport, "server.address": "127.0.0.1",
             "network.protocol.version": "1.1", "process.executable.name": is_python_exe,
             "process.pid": srv_pid if kind == "SERVER" else cpid,
             "network.peer.port": lport if kind == "SERVER" else port}
        expect_span(s, "%s #%d" % (kind, i), kind=kind, name="GET /items/{id}", attrs=a)
    check(all(spans[i]["end_time_unix_nano"] <= spans[i + 1]["start_time_unix_nano"]
              for i in range(len(spans) - 1)
              if is_int(spans[i].get("end_time_unix_nano")) and is_int(spans[i + 1].get("start_time_unix_nano"))),
          "%s spans overlap in time although the requests were sequential" % kind)
done()
EOF
zt_pass
