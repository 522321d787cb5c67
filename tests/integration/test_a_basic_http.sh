#!/usr/bin/env bash
# (a) python ThreadingHTTPServer + curl: 20 mixed requests, one curl process
# each -> exactly 20 SERVER and 20 CLIENT spans with the right method, path,
# query (token redacted), status, body sizes, route names, addresses, ports,
# executables and pids.
. "$(dirname "$0")/lib.sh"
zt_init

PORT=$(zt_free_port 4)
# service.name comes from OTEL_SERVICE_NAME when the traced process has it.
OTEL_SERVICE_NAME=zt-test-server zt_server srv 127.0.0.1 "$PORT" 1.1
SRV_PID=$ZT_LAST_PID
export PORT SRV_PID

head -c 500 /dev/urandom >"$TMP/body500"
head -c 64 /dev/urandom >"$TMP/body64"

zt_agent_start --port "$PORT"

UUID=9f1c2e3a-1b2c-4d5e-8f90-123456789abc
HEX=0123456789abcdef0123
# method|path|query|body file
CYCLE=(
	"GET|/items/42||"
	"POST|/upload||$TMP/body500"
	"GET|/missing||"
	"GET|/search|q=abc&token=secret|"
)
EXTRA=(
	"PUT|/items/$UUID||$TMP/body64"
	"DELETE|/items/$HEX||"
	"GET|/users/123/orders/456||"
	"GET|/items/42|page=2|"
)
: >"$TMP/expected"
for r in 0 1 2 3; do
	for spec in "${CYCLE[@]}" "${EXTRA[$r]}"; do
		IFS='|' read -r method path query body <<<"$spec"
		url="http://127.0.0.1:$PORT$path${query:+?$query}"
		args=(-sS -o /dev/null --max-time 10 -w '%{http_code} %{local_port} %{size_download} %{size_upload}' -X "$method")
		[ -n "$body" ] && args+=(--data-binary "@$body")
		curl "${args[@]}" "$url" >"$TMP/curl.out" 2>"$TMP/curl.err" &
		cpid=$!
		wait "$cpid" || zt_fail "curl $method $url failed: $(cat "$TMP/curl.err")"
		echo "$cpid $method $path ${query:--} $(cat "$TMP/curl.out")" >>"$TMP/expected"
	done
done
log "sent $(wc -l <"$TMP/expected") requests"
zt_settle
zt_agent_stop
# every send here is small and never sleeps: its start is stamped at
# tcp_sendmsg_locked (a broken stamp would count 40 and more; a preemption
# between the two hooks, rarely, one)
unstamped=$(zt_final send_unstamped)
[ -n "$unstamped" ] && [ "$unstamped" -lt 5 ] ||
	zt_fail "send_unstamped: expected under 5 of $(wc -l <"$TMP/expected") requests' sends, got '${unstamped}'"
export EXPECTED=$TMP/expected

zt_py_check <<'EOF'
from ztcheck import *
port, srv_pid = env("PORT", int), env("SRV_PID", int)
ITEM, SEARCH = 1234, 100
uuid = "9f1c2e3a-1b2c-4d5e-8f90-123456789abc"
hexid = "0123456789abcdef0123"
# (method, path) -> (status, req body, resp body, route name)
table = {
    ("GET", "/items/42"): (200, 0, ITEM, "GET /items/{id}"),
    ("POST", "/upload"): (201, 500, 8, "POST /upload"),
    ("GET", "/missing"): (404, 0, 10, "GET /missing"),
    ("GET", "/search"): (200, 0, SEARCH, "GET /search"),
    ("PUT", "/items/" + uuid): (200, 64, 64, "PUT /items/{id}"),
    ("DELETE", "/items/" + hexid): (200, 0, 8, "DELETE /items/{id}"),
    ("GET", "/users/123/orders/456"): (200, 0, ITEM, "GET /users/{id}/orders/{id}"),
}
exp = []
for line in open(env("EXPECTED")):
    cpid, method, path, query, code, lport, down, up = line.split()
    status, reqb, respb, name = table[(method, path)]
    eq(int(code), status, "curl saw status for %s %s" % (method, path))
    eq(int(down), respb, "curl downloaded bytes for %s %s" % (method, path))
    q = None if query == "-" else query.replace("token=secret", "token=REDACTED")
    exp.append(dict(pid=int(cpid), method=method, path=path, query=q, status=status,
                    reqb=reqb, respb=respb, name=name, lport=int(lport)))
N = len(exp)
eq(N, 20, "requests sent")

S = load()
srv, cli = servers(S), clients(S)
eq(len(srv), N, "number of SERVER spans")
eq(len(cli), N, "number of CLIENT spans")
eq(len(S), 2 * N, "total number of spans")
for text in (open(env("ZT_SPANS")).read(),):
    check("secret" not in text, "the string 'secret' (token value) appears in the output")

for i, e in enumerate(exp):
    common = {
        "http.request.method": e["method"], "url.path": e["path"],
        "http.response.status_code": e["status"],
        "http.request.body.size": e["reqb"], "http.response.body.size": e["respb"],
        "server.address": "127.0.0.1", "server.port": port,
        "client.address": "127.0.0.1", "client.port": e["lport"],
        "network.protocol.version": "1.1",
    }
    if e["query"] is not None:
        common["url.query"] = e["query"]
    no = [] if e["query"] is not None else ["url.query"]
    if i < len(srv):
        a = dict(common)
        a.update({"network.peer.address": "127.0.0.1", "network.peer.port": e["lport"],
                  "process.pid": srv_pid, "process.executable.name": is_python_exe,
                  "thread.id": lambda t: is_int(t) and t > 0})
        expect_span(srv[i], "SERVER #%d (%s %s)" % (i, e["method"], e["path"]),
                    kind="SERVER", name=e["name"], service_name="zt-test-server",
                    attrs=a, no_attrs=no)
    if i < len(cli):
        a = dict(common)
        a.update({"network.peer.address": "127.0.0.1", "network.peer.port": port,
                  "process.pid": e["pid"], "process.executable.name": "curl",
                  "thread.id": e["pid"]})
        expect_span(cli[i], "CLIENT #%d (%s %s)" % (i, e["method"], e["path"]),
                    kind="CLIENT", name=e["name"], service_name="curl",
                    attrs=a, no_attrs=no)
stitch_report(srv, cli)
done()
EOF
zt_pass
