#!/usr/bin/env bash
# (k) response framing: hand-written chunked (4 chunks, each its own write),
# HEAD (Content-Length 1234, no body), 204 and 304 -> right status and
# http.response.body.size (2151 decoded; 0 for HEAD/204/304). Once with one
# curl per request, once on one keep-alive connection (python http.client)
# followed by a plain GET that only parses right if the framing was followed.
. "$(dirname "$0")/lib.sh"
zt_init

PORT=$(zt_free_port 4)
zt_server srv 127.0.0.1 "$PORT" 1.1
SRV_PID=$ZT_LAST_PID
export PORT SRV_PID

zt_agent_start --port "$PORT"
: >"$TMP/curls"
for spec in "GET /chunked" "HEAD /items/5" "GET /nocontent" "GET /notmod"; do
	set -- $spec
	args=(-sS --max-time 10 -o /dev/null -w '%{http_code} %{local_port} %{size_download}')
	[ "$1" = HEAD ] && args+=(-I)
	curl "${args[@]}" "http://127.0.0.1:$PORT$2" >"$TMP/curl.out" 2>"$TMP/curl.err" &
	cpid=$!
	wait "$cpid" || zt_fail "curl $spec failed: $(cat "$TMP/curl.err")"
	echo "$cpid $1 $2 $(cat "$TMP/curl.out")" >>"$TMP/curls"
done
timeout 20 "$PY" "$ZT_LIB_DIR/keepalive_client.py" 127.0.0.1 "$PORT" \
	GET:/chunked HEAD:/items/5 GET:/nocontent GET:/notmod GET:/items/6 \
	>"$TMP/client.json" 2>"$TMP/client.err" || zt_fail "keep-alive client failed: $(cat "$TMP/client.err")"
zt_settle
zt_agent_stop
export CURLS=$TMP/curls CLIENT_JSON=$TMP/client.json

zt_py_check <<'EOF'
from ztcheck import *
import json
port, srv_pid = env("PORT", int), env("SRV_PID", int)
want = {("GET", "/chunked"): (200, 2151, "GET /chunked"), ("HEAD", "/items/5"): (200, 0, "HEAD /items/{id}"),
        ("GET", "/nocontent"): (204, 0, "GET /nocontent"), ("GET", "/notmod"): (304, 0, "GET /notmod"),
        ("GET", "/items/6"): (200, 1234, "GET /items/{id}")}
exp = []
for cpid, m, p, code, lport, down in (l.split() for l in open(env("CURLS"))):
    eq(int(code), want[(m, p)][0], "curl status for %s %s" % (m, p))
    if m != "HEAD":
        eq(int(down), want[(m, p)][1], "curl body bytes for %s %s" % (m, p))
    exp.append((m, p, int(cpid), int(lport)))
c = json.load(open(env("CLIENT_JSON")))
for m, p, st, n in c["results"]:
    eq((st, n), want[(m, p)][:2], "python client status/body for %s %s" % (m, p))
    exp.append((m, p, c["pid"], c["local_port"]))
S = load()
srv, cli = servers(S), clients(S)
eq(len(srv), 9, "number of SERVER spans")
eq(len(cli), 9, "number of CLIENT spans")
for kind, spans in (("SERVER", srv), ("CLIENT", cli)):
    eq([(attr(s, "http.request.method"), attr(s, "url.path")) for s in spans], [e[:2] for e in exp],
       "%s (method, path) sequence" % kind)
    for i, (m, p, pid, lport) in enumerate(exp[:len(spans)]):
        st, size, name = want[(m, p)]
        expect_span(spans[i], "%s #%d %s %s" % (kind, i, m, p), kind=kind, name=name,
                    attrs={"http.request.method": m, "url.path": p, "http.response.status_code": st,
                           "http.response.body.size": size, "http.request.body.size": 0,
                           "server.port": port, "client.port": lport,
                           "process.pid": srv_pid if kind == "SERVER" else pid})
done()
EOF
zt_pass
