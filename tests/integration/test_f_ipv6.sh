#!/usr/bin/env bash
# (f) IPv6 loopback: server on ::1, curl -g http://[::1]:PORT/... -> spans with
# server.address, client.address and network.peer.address "::1".
. "$(dirname "$0")/lib.sh"
zt_init

PORT=$(zt_free_port 6)
zt_server srv ::1 "$PORT" 1.1
SRV_PID=$ZT_LAST_PID
export PORT SRV_PID
head -c 500 /dev/urandom >"$TMP/body500"

zt_agent_start --port "$PORT"
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
zt_settle
zt_agent_stop
export EXPECTED=$TMP/expected

zt_py_check <<'EOF'
from ztcheck import *
port, srv_pid = env("PORT", int), env("SRV_PID", int)
exp = [l.split() for l in open(env("EXPECTED"))]
sizes = {"/items/1": (200, 0, 1234, "GET /items/{id}"), "/upload": (201, 500, 8, "POST /upload")}
S = load()
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
