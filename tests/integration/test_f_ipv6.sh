#!/usr/bin/env bash
# (f) IPv6 loopback: server on ::1, curl -g http://[::1]:PORT/... -> spans with
# server.address, client.address and network.peer.address "::1".
# v4-mapped: a dual-stack server on [::] reached over 127.0.0.1 accepts an
# AF_INET6 socket holding ::ffff:127.0.0.1 -> its spans say "127.0.0.1".
. "$(dirname "$0")/lib.sh"
zt_init

PORT=$(zt_free_port 6)
zt_server srv ::1 "$PORT" 1.1
SRV_PID=$ZT_LAST_PID
PORT2=$(zt_free_port 6)
zt_bg dual "$PY" "$ZT_LIB_DIR/server.py" --host :: --port "$PORT2" --proto 1.1
DUAL_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$PORT2" 10
export PORT SRV_PID PORT2 DUAL_PID
head -c 500 /dev/urandom >"$TMP/body500"

zt_agent_start --port "$PORT" --port "$PORT2"
: >"$TMP/expected"
for spec in "GET /items/1" "POST /upload"; do
	set -- $spec
	args=(-g -sS --max-time 10 -o /dev/null -w '%{http_code} %{local_port}' -X "$1")
	[ "$1" = POST ] && args+=(--data-binary "@$TMP/body500")
	curl "${args[@]}" "http://[::1]:$PORT$2" >"$TMP/curl.out" 2>"$TMP/curl.err" &
	cpid=$!
	wait "$cpid" || zt_fail "curl [::1] failed: $(cat "$TMP/curl.err")"
	echo "$cpid $1 $2 $(cat "$TMP/curl.out")" >>"$TMP/expected"
done
curl -sS --max-time 10 -o /dev/null -w '%{http_code} %{local_port}' "http://127.0.0.1:$PORT2/items/7" \
	>"$TMP/mapped.out" 2>"$TMP/mapped.err" &
MAPPED_CURL=$!
wait "$MAPPED_CURL" || zt_fail "curl 127.0.0.1 to [::] failed: $(cat "$TMP/mapped.err")"
echo "$MAPPED_CURL $(cat "$TMP/mapped.out")" >"$TMP/mapped"
export MAPPED=$TMP/mapped
zt_settle
zt_agent_stop
export EXPECTED=$TMP/expected

zt_py_check <<'EOF'
from ztcheck import *
port, srv_pid = env("PORT", int), env("SRV_PID", int)
exp = [l.split() for l in open(env("EXPECTED"))]
sizes = {"/items/1": (200, 0, 1234, "GET /items/{id}"), "/upload": (201, 500, 8, "POST /upload")}
S = load()
port2, dual_pid = env("PORT2", int), env("DUAL_PID", int)
mapped = [s for s in S if s["attributes"].get("server.port") == port2]
S = [s for s in S if s["attributes"].get("server.port") == port]
mcpid, mcode, mlport = (int(x) for x in open(env("MAPPED")).read().split())
eq(mcode, 200, "curl status over v4-mapped")
msrv, mcli = servers(mapped), clients(mapped)
eq(len(msrv), 1, "number of v4-mapped SERVER spans")
eq(len(mcli), 1, "number of v4-mapped CLIENT spans")
for kind, spans in (("SERVER", msrv), ("CLIENT", mcli)):
    if spans:
        expect_span(spans[0], "%s v4-mapped GET /items/7" % kind, kind=kind, name="GET /items/{id}",
                    attrs={"http.request.method": "GET", "url.path": "/items/7",
                           "http.response.status_code": 200, "http.response.body.size": 1234,
                           "server.address": "127.0.0.1", "server.port": port2,
                           "client.address": "127.0.0.1", "client.port": mlport,
                           "network.peer.address": "127.0.0.1",
                           "network.peer.port": mlport if kind == "SERVER" else port2,
                           "process.pid": dual_pid if kind == "SERVER" else mcpid})
srv, cli = servers(S), clients(S)
eq(len(srv), 2, "number of SERVER spans")
eq(len(cli), 2, "number of CLIENT spans")
for kind, spans in (("SERVER", srv), ("CLIENT", cli)):
    for i, (cpid, m, p, code, lport) in enumerate(exp[:len(spans)]):
        st, rq, rs, name = sizes[p]
        eq(int(code), st, "curl status for %s" % p)
        expect_span(spans[i], "%s %s %s" % (kind, m, p), kind=kind, name=name,
                    attrs={"http.request.method": m, "url.path": p, "http.response.status_code": st,
                           "http.request.body.size": rq, "http.response.body.size": rs,
                           "server.address": "::1", "server.port": port,
                           "client.address": "::1", "client.port": int(lport),
                           "network.peer.address": "::1",
                           "network.peer.port": int(lport) if kind == "SERVER" else port,
                           "process.pid": srv_pid if kind == "SERVER" else int(cpid)})
done()
EOF
zt_pass
