#!/usr/bin/env bash
# (c) nginx (master + 2 workers) under wrk -t2 -c16 -d3s, 1 ms between each
# connection's requests: SERVER spans ==
# requests nginx answered (access log) and wrk's counted requests == complete
# CLIENT spans of wrk; wrk's count <= nginx's <= wrk's + 16 (requests in flight
# when wrk stopped); final stats: ringbuf_drops=0.
. "$(dirname "$0")/lib.sh"
zt_init

[ -x /usr/sbin/nginx ] || zt_fail "/usr/sbin/nginx not installed"
command -v wrk >/dev/null || zt_fail "wrk not installed"

PORT=$(zt_free_port 4)
mkdir -p "$TMP/www" "$TMP/tmp" "$TMP/logs"
head -c 4096 /dev/urandom >"$TMP/www/file4k"
cat >"$TMP/nginx.conf" <<EOF
user root root;
worker_processes 2;
master_process on;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/logs/error.log warn;
events { worker_connections 512; }
http {
    access_log $TMP/logs/access.log;
    client_body_temp_path $TMP/tmp/body;
    proxy_temp_path $TMP/tmp/proxy;
    fastcgi_temp_path $TMP/tmp/fastcgi;
    uwsgi_temp_path $TMP/tmp/uwsgi;
    scgi_temp_path $TMP/tmp/scgi;
    server {
        listen 127.0.0.1:$PORT;
        root $TMP/www;
        location / { }
    }
}
EOF
# A bounded load: each connection waits 1 ms between requests (about 10k
# requests/s in all), so the agent's share of two shared cores is not the
# limit being tested; `make bench` measures the unbounded case.
cat >"$TMP/done.lua" <<'EOF'
delay = function()
  return 1
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("ZT_WRK requests=%d errors=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
    e.connect, e.read, e.write, e.status, e.timeout))
end
EOF

zt_bg nginx /usr/sbin/nginx -c "$TMP/nginx.conf" -p "$TMP"
NGINX_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$PORT" 10
for ((i = 0; i < 50; i++)); do
	WORKERS=$(ps -o pid= --ppid "$NGINX_PID" | tr -s ' \n' ' ')
	[ "$(wc -w <<<"$WORKERS")" -ge 2 ] && break
	sleep 0.1
done
# stopped after the master (which stops them itself), only if they outlive it
zt_on_cleanup "for w in $WORKERS; do zt_alive \$w && kill -KILL \$w; done"
[ "$(wc -w <<<"$WORKERS")" -eq 2 ] || zt_fail "expected 2 nginx workers, found '$WORKERS': $(cat "$TMP/logs/error.log" "$TMP/nginx.err")"
# the readiness probe left no HTTP request; start from an empty access log
: >"$TMP/logs/access.log"
export PORT NGINX_PID WORKERS

zt_agent_start --port "$PORT"
timeout 30 wrk -t2 -c16 -d3s -s "$TMP/done.lua" "http://127.0.0.1:$PORT/file4k" >"$TMP/wrk.out" 2>&1 ||
	zt_fail "wrk failed: $(cat "$TMP/wrk.out")"
cat "$TMP/wrk.out"
zt_settle 1
zt_agent_stop
export WRK_OUT=$TMP/wrk.out ACCESS_LOG=$TMP/logs/access.log DROPS=$(zt_final ringbuf_drops) FINAL="$ZT_FINAL"

zt_py_check <<'EOF'
from ztcheck import *
import re
port = env("PORT", int)
workers = {int(p) for p in env("WORKERS").split()}
m = re.search(r"ZT_WRK requests=(\d+) errors=(\d+)", open(env("WRK_OUT")).read())
check(m is not None, "wrk printed no ZT_WRK line (lua done hook)")
W, werr = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
eq(werr, 0, "wrk errors")
log_lines = [l for l in open(env("ACCESS_LOG")) if l.strip()]
L = len(log_lines)
check(all('"GET /file4k HTTP/1.1" 200 4096' in l for l in log_lines), "access log has a line that is not GET /file4k 200 4096")
check(W > 0 and W <= L <= W + 16, "wrk counted %d requests, nginx logged %d: expected W <= L <= W+16" % (W, L))
print("wrk requests=%d nginx access log=%d" % (W, L))

S = load(allow_no_response=True)
srv, cli = servers(S), clients(S)
done_cli = [s for s in cli if attr(s, "http.response.status_code") not in (None, 0)]
print("spans: SERVER=%d CLIENT=%d (complete CLIENT=%d)" % (len(srv), len(cli), len(done_cli)))
eq(len(srv), L, "number of SERVER spans vs requests nginx answered (access log lines)")
eq(len(done_cli), W, "number of complete CLIENT spans vs requests wrk counted")
check(len(cli) - len(done_cli) <= 16, "%d CLIENT spans without response (> 16 connections)" % (len(cli) - len(done_cli)))
eq(len(S), len(srv) + len(cli), "spans of another kind")

def first_bad(spans, pred):
    for i, s in enumerate(spans):
        if not pred(s):
            return i, summarize(s)
    return None

ok_srv = lambda s: (s.get("name") == "GET /file4k" and attr(s, "http.request.method") == "GET"
                    and attr(s, "url.path") == "/file4k" and attr(s, "http.response.status_code") == 200
                    and attr(s, "http.response.body.size") == 4096 and attr(s, "http.request.body.size") == 0
                    and attr(s, "server.port") == port and attr(s, "process.executable.name") == "nginx"
                    and attr(s, "process.pid") in workers and attr(s, "network.peer.port") == attr(s, "client.port"))
eq(first_bad(srv, ok_srv), None, "first SERVER span that is not GET /file4k 200 4096 from an nginx worker")
ok_cli = lambda s: (s.get("name") == "GET /file4k" and attr(s, "url.path") == "/file4k"
                    and attr(s, "http.response.status_code") == 200 and attr(s, "http.response.body.size") == 4096
                    and attr(s, "server.port") == port and attr(s, "network.peer.port") == port
                    and attr(s, "process.executable.name") == "wrk")
eq(first_bad(done_cli, ok_cli), None, "first complete CLIENT span that is not wrk GET /file4k 200 4096")
eq(len({attr(s, "process.pid") for s in cli}), 1, "distinct process.pid among wrk CLIENT spans")
tids = {attr(s, "thread.id") for s in cli}
eq(len(tids), 2, "distinct thread.id among wrk CLIENT spans (wrk -t2)")
eq(len({attr(s, "client.port") for s in cli} - {attr(s, "client.port") for s in srv}), 0,
   "CLIENT spans on a client port that no SERVER span has")
eq(env("DROPS", int), 0, "ringbuf_drops in final line (%s)" % env("FINAL"))
note(env("FINAL"))
done()
EOF
zt_pass
