#!/usr/bin/env bash
# (y) TLS plaintext through OpenSSL's libssl.so.3 (uprobes on SSL_read,
# SSL_write and their _ex forms; no agent flag). Servers started once for the
# file, each part with an agent run of its own (--tag a..d), so its counters
# are its own:
#  a. nginx (Debian's, http_ssl_module; 1 worker) with a TLS server block
#     (TLSv1.2 and TLSv1.3) and a plaintext one, self-signed cert; 20 curl -k
#     processes over HTTPS, 10 at TLS 1.2 and 10 at 1.3 (as curl -v reports:
#     GET of a 5000- and a 100-byte file, one with a query, a 404, a HEAD)
#     and 2 over plain HTTP: one SERVER (nginx worker) and one CLIENT (curl) span
#     per request with method, path, query, status, body sizes,
#     url.scheme=https, tls.protocol.name=tls and tls.protocol.version as
#     curl negotiated it (url.scheme=http and no
#     tls.protocol.name in plain), every CLIENT span the parent of its SERVER
#     span; tls_conns=2 per TLS connection (each end is a socket the agent
#     tracks, as conns= counts them).
#  b. tls/https_server.py (server.py's routes in an ssl.SSLContext) and
#     tls/https_client.py (http.client.HTTPSConnection, unverified context):
#     7 keep-alive requests on one connection, request bodies 0, 1 KiB and
#     10 MiB, responses 8 B .. 10 MiB: 7+7 spans in order, exact sizes, one
#     client.port, joined; tls_bytes between the bodies' bytes seen at both
#     ends and a bound above that.
#  c. openssl s_server -www and 3 openssl s_client -quiet processes sending
#     "GET / HTTP/1.0": 3 CLIENT spans (status 200, the close-delimited body
#     size s_client printed) and NO SERVER span: s_server -www never calls
#     the probed functions (see below).
#  d. a keep-alive https_client.py connection to nginx made and used once
#     BEFORE the agent starts; 3 requests after: exactly 3 SERVER and 3
#     CLIENT spans, url.scheme=https.
# Every part: tls_unbound=0, parse_misses=0, http1_misses=0, ringbuf_drops=0,
# tls_libs >= 1. A failing part does not hide the others: all parts run,
# then the test fails naming the parts that failed.
#
# Which OpenSSL calls the programs make (gdb breakpoints on libssl.so.3's
# SSL_read, SSL_read_ex, SSL_write, SSL_write_ex, SSL_peek(_ex),
# SSL_sendfile, SSL_read_early_data; OpenSSL 3.0.x, Debian 12):
#   curl 7.88 (libcurl):  SSL_write per request, SSL_read(buf, 102400) for the
#                         response, one more SSL_read(32) at the end.
#   nginx 1.22:           SSL_read(1024) until it would block, one SSL_write
#                         per response (headers and a small file together);
#                         no SSL_sendfile (no kTLS configured).
#   python3.11 (_ssl):    SSL_read_ex and SSL_write_ex only. A 10 MiB sendall
#                         on a socket with a timeout (http.client) is
#                         SSL_write_ex(10 MiB) retried after WANT_WRITE until
#                         one returns 1 with written=10 MiB (the earlier
#                         ones return 0); on a blocking socket (the server)
#                         one call. Reads return at most a record (16 KiB).
#   openssl s_client:     SSL_write(request), SSL_write(0 bytes), SSL_read(1024).
#   openssl s_server -www: NONE of them: it reads and writes through a
#                         BIO_f_buffer over BIO_f_ssl, whose methods call
#                         libssl's internal ssl_read_internal/ssl_write_internal
#                         (not exported), so probes on the SSL_* functions
#                         never see its plaintext: its socket is TLS
#                         ciphertext only (tls_conns, tls_bytes), no span.
# Also why (d) uses nginx as the server: a blocking server (python
# http.server) waits for the next request INSIDE SSL_read_ex; a call that
# began before the agent attached never reaches the agent's uretprobe, so
# the first request after the start would be lost on the server side by
# construction. nginx calls SSL_read only once epoll says data is there.
. "$(dirname "$0")/lib.sh"
zt_init
. "$ZT_LIB_DIR/tls/tlslib.sh"

[ -x /usr/sbin/nginx ] || zt_fail "/usr/sbin/nginx not installed"
/usr/sbin/nginx -V 2>&1 | grep -q -- --with-http_ssl_module || zt_fail "/usr/sbin/nginx has no http_ssl_module"
for c in openssl curl; do command -v "$c" >/dev/null || zt_fail "$c not installed"; done

CERT=$TMP/cert.pem KEY=$TMP/key.pem
zt_tls_cert "$KEY" "$CERT"

# Agent runs: only the test's ports; no /metrics listener (another agent on
# the machine may hold its default port).
agent_start() {
	local tag=$1
	shift
	zt_agent_start --tag "$tag" --metrics-addr off "$@"
}

FAILED_PARTS=()
# part_check NAME: the python check on stdin; a failure is remembered, the
# next part still runs.
part_check() {
	if "$PY" -; then
		log "part $1: checks ok"
	else
		log "part $1: FAILED (ASSERT FAILED lines above)"
		FAILED_PARTS+=("$1")
	fi
}

# ---- servers, once for the file ----

# nginx: master + 1 worker, a TLS and a plaintext server on the same root.
NGX_PORT=$(zt_free_port 4)
for ((i = 0; i < 10; i++)); do
	NGX_PLAIN_PORT=$(zt_free_port 4)
	[ "$NGX_PLAIN_PORT" != "$NGX_PORT" ] && break
done
zt_tls_nginx nginx "$NGX_PORT" "$NGX_PLAIN_PORT"
NGINX_PID=$NGX_MASTER

# python https server (part b)
PY_PORT=$(zt_free_port 4)
zt_bg pysrv "$PY" "$ZT_LIB_DIR/tls/https_server.py" --host 127.0.0.1 --port "$PY_PORT" --cert "$CERT" --key "$KEY"
PYSRV_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$PY_PORT" 10

# openssl s_server -www (part c); it serves one connection at a time
SS_PORT=$(zt_free_port 4)
openssl s_server -www -accept "127.0.0.1:$SS_PORT" -cert "$CERT" -key "$KEY" \
	</dev/null >"$TMP/s_server.out" 2>"$TMP/s_server.err" &
SS_PID=$!
zt_track "$SS_PID"
zt_wait_port 127.0.0.1 "$SS_PORT" 10

# The handshakes work (before any agent): one request each (nginx over
# TLS was probed by zt_tls_nginx).
probe=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NGX_PLAIN_PORT/file5k" 2>&1)
[ "$probe" = 200 ] || zt_fail "nginx plaintext: probe got '$probe'"
probe=$(curl -sS -k --http1.1 --max-time 10 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PY_PORT/items/1" 2>&1)
[ "$probe" = 200 ] || zt_fail "https_server.py: probe got '$probe': $(tail -5 "$TMP/pysrv.err")"
probe=$(printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -connect "127.0.0.1:$SS_PORT" -quiet 2>/dev/null | head -n 1 | tr -d '\r')
[ "$probe" = "HTTP/1.0 200 ok" ] || zt_fail "s_server -www: probe got '$probe': $(tail -5 "$TMP/s_server.err")"
for p in $NGINX_PID $NGX_WORKER $PYSRV_PID $SS_PID; do
	zt_alive "$p" || zt_fail "server pid $p died during the probes"
done
log "servers: nginx $NGINX_PID (worker $NGX_WORKER) tls :$NGX_PORT plain :$NGX_PLAIN_PORT;" \
	"https_server.py $PYSRV_PID :$PY_PORT; s_server $SS_PID :$SS_PORT"
: >"$TMP/nginx/logs/access.log"
export NGX_PORT NGX_PLAIN_PORT NGX_WORKER PY_PORT PYSRV_PID SS_PORT SS_PID

# ---- (a) nginx over TLS, curl processes ----
agent_start a --port "$NGX_PORT" --port "$NGX_PLAIN_PORT"
# scheme|method|path|query|TLS version (curl -v says which it got)
KINDS=(
	"https|GET|/file5k|"
	"https|GET|/docs/note.txt|"
	"https|GET|/missing.html|"
	"https|GET|/file5k|v=1"
	"https|HEAD|/docs/note.txt|"
)
: >"$TMP/a.expected"
for v in 1.2 1.2 1.3 1.3; do
	printf "%s|$v\n" "${KINDS[@]}"
done >"$TMP/a.plan"
printf '%s\n' "http|GET|/file5k||-" "http|GET|/missing.html||-" >>"$TMP/a.plan"
while IFS='|' read -r scheme method path query tlsv; do
	if [ "$scheme" = https ]; then port=$NGX_PORT; else port=$NGX_PLAIN_PORT; fi
	url="$scheme://127.0.0.1:$port$path${query:+?$query}"
	args=(-v -sS -k --http1.1 --max-time 10 -o /dev/null -w '%{http_code} %{local_port} %{size_download}')
	if [ "$method" = HEAD ]; then args+=(-I); else args+=(-X "$method"); fi
	case $tlsv in
	1.2) args+=(--tls-max 1.2) ;;
	1.3) args+=(--tlsv1.3) ;;
	esac
	run_bounded 15 /dev/null "$TMP/curl.out" "$TMP/curl.err" curl "${args[@]}" "$url" ||
		zt_fail "curl $method $url failed: $(grep -v '^[<>{}*] ' "$TMP/curl.err" | tail -5)"
	got=$(sed -n 's/^\* SSL connection using TLSv\([0-9.]*\) .*/\1/p' "$TMP/curl.err")
	echo "$RB_PID $scheme $method $path ${query:--} $tlsv ${got:--} $(cat "$TMP/curl.out")" >>"$TMP/a.expected"
done <"$TMP/a.plan"
log "part a: $(wc -l <"$TMP/a.expected") curl requests"
zt_settle
zt_agent_stop
cp "$TMP/nginx/logs/access.log" "$TMP/a.access.log"
EXPECTED=$TMP/a.expected ACCESS=$TMP/a.access.log FINAL=$ZT_FINAL part_check a <<'EOF'
from ztcheck import *
from tlscheck import *
port, plain_port, worker = env("NGX_PORT", int), env("NGX_PLAIN_PORT", int), env("NGX_WORKER", int)
SIZES = {"/file5k": 5000, "/docs/note.txt": 100}
exp = []
for line in open(env("EXPECTED")):
    cpid, scheme, method, path, query, tlsv, got_tlsv, code, lport, down = line.split()
    eq(got_tlsv, tlsv, "TLS version curl negotiated for %s %s://%s" % (method, scheme, path))
    status = 404 if path == "/missing.html" else 200
    eq(int(code), status, "curl saw status for %s %s://%s" % (method, scheme, path))
    if status == 200:
        eq(int(down), 0 if method == "HEAD" else SIZES[path], "curl downloaded bytes for %s %s" % (method, path))
    else:
        check(int(down) > 0, "curl got no 404 page for %s" % path)
    exp.append(dict(pid=int(cpid), scheme=scheme, method=method, path=path,
                    query=None if query == "-" else query, status=status,
                    respb=0 if method == "HEAD" else int(down), lport=int(lport), tlsv=got_tlsv))
N = len(exp)
n_tls = sum(1 for e in exp if e["scheme"] == "https")
eq((N, n_tls), (22, 20), "requests sent (all, over TLS)")
log_lines = [l for l in open(env("ACCESS")) if l.strip()]
eq(len(log_lines), N, "nginx access log lines")

S = load()
srv, cli = servers(S), clients(S)
eq(len(srv), N, "number of SERVER spans")
eq(len(cli), N, "number of CLIENT spans")
eq(len(S), 2 * N, "total number of spans")
for i, e in enumerate(exp):
    where = "#%d %s %s://127.0.0.1%s%s" % (i, e["method"], e["scheme"], e["path"],
                                           "?" + e["query"] if e["query"] else "")
    p = port if e["scheme"] == "https" else plain_port
    s = one(srv, "SERVER " + where, lambda s: attr(s, "client.port") == e["lport"])
    c = one(cli, "CLIENT " + where, lambda s: attr(s, "client.port") == e["lport"])
    common = {
        "http.request.method": e["method"], "url.path": e["path"],
        "http.response.status_code": e["status"],
        "http.request.body.size": 0, "http.response.body.size": e["respb"],
        "server.address": "127.0.0.1", "server.port": p,
        "client.address": "127.0.0.1", "client.port": e["lport"],
        "network.protocol.version": "1.1",
    }
    if e["query"]:
        common["url.query"] = e["query"]
    no = [] if e["query"] else ["url.query"]
    name = "%s %s" % (e["method"], e["path"])
    if s is not None:
        a = dict(common, **{"network.peer.port": e["lport"], "process.pid": worker,
                            "process.executable.name": "nginx"})
        expect_span(s, "SERVER " + where, kind="SERVER", name=name, attrs=a, no_attrs=no)
    if c is not None:
        a = dict(common, **{"network.peer.port": p, "process.pid": e["pid"],
                            "process.executable.name": "curl", "thread.id": e["pid"]})
        expect_span(c, "CLIENT " + where, kind="CLIENT", name=name, attrs=a, no_attrs=no)
        eq(c.get("parent_span_id"), "", "CLIENT " + where + " parent_span_id (curl is a root)")
    for k, sp in (("SERVER", s), ("CLIENT", c)):
        if sp is None:
            continue
        if e["scheme"] == "https":
            expect_tls(sp, "%s %s" % (k, where))
            # OpenSSL 3.0 keeps the version in the SSL object: both ends know it
            eq(attr(sp, "tls.protocol.version", "<absent>"), e["tlsv"],
               "%s %s tls.protocol.version (what curl negotiated)" % (k, where))
        else:
            expect_plain_http(sp, "%s %s" % (k, where))
    expect_joined(s, c, where)

C = final_counters()
for k in ("tls_unbound", "parse_misses", "http1_misses", "ringbuf_drops"):
    counter_eq(C, k, 0)
counter_eq(C, "tls_conns", 2 * n_tls, "both ends of %d TLS connections" % n_tls)
counter_between(C, "tls_libs", 1, 64, "libssl.so.3 at least")
# ciphertext of the 20 TLS exchanges, seen at both ends: more than the bodies,
# less than bodies + 16 KiB a connection (handshake, headers, records)
body = sum(e["respb"] for e in exp if e["scheme"] == "https")
counter_between(C, "tls_bytes", 2 * body, 2 * (body + 16384 * n_tls), "ciphertext at both ends")
note_counters(C, ("conns", "tls_conns", "tls_bytes", "tls_libs", "tls_unbound", "events", "spans"))
done()
EOF

# ---- (b) python https server and client: one keep-alive connection ----
agent_start b --port "$PY_PORT"
timeout 60 "$PY" "$ZT_LIB_DIR/tls/https_client.py" 127.0.0.1 "$PY_PORT" \
	GET:/items/1 POST:/upload POST:/upload:1024 POST:/upload:10485760 PUT:/items/7:1024 \
	GET:/big GET:/missing >"$TMP/b.client.json" 2>"$TMP/b.client.err" </dev/null &
CPID=$!
zt_track "$CPID"
wait "$CPID" || zt_fail "https_client.py failed: $(tail -c 600 "$TMP/b.client.err")"
zt_stop_untrack "$CPID"
log "part b: $(cut -c1-200 "$TMP/b.client.json")"
zt_settle
zt_agent_stop
CLIENT_JSON=$TMP/b.client.json FINAL=$ZT_FINAL part_check b <<'EOF'
from ztcheck import *
from tlscheck import *
import json
port, srv_pid = env("PY_PORT", int), env("PYSRV_PID", int)
c = json.load(open(env("CLIENT_JSON")))
MIB10 = 10485760
# method, path, request body, status, response body, name
want = [("GET", "/items/1", 0, 200, 1234, "GET /items/{id}"),
        ("POST", "/upload", 0, 201, 8, "POST /upload"),
        ("POST", "/upload", 1024, 201, 8, "POST /upload"),
        ("POST", "/upload", MIB10, 201, 8, "POST /upload"),
        ("PUT", "/items/7", 1024, 200, 1024, "PUT /items/{id}"),
        ("GET", "/big", 0, 200, MIB10, "GET /big"),
        ("GET", "/missing", 0, 404, 10, "GET /missing")]
eq([tuple(r) for r in c["results"]], [(m, p, st, rq, rs) for m, p, rq, st, rs, _ in want],
   "what the client sent and got: [method, path, status, request body, response body]")
note("client: pid %s port %s %s %s" % (c["pid"], c["local_port"], c["tls_version"], c["cipher"]))
lport = c["local_port"]
S = load()
srv, cli = servers(S), clients(S)
eq(len(srv), len(want), "number of SERVER spans")
eq(len(cli), len(want), "number of CLIENT spans")
eq(len(S), 2 * len(want), "total number of spans")
eq(sorted({attr(s, "client.port") for s in S}), [lport], "client.port over all spans (one connection)")
for kind, spans in (("SERVER", srv), ("CLIENT", cli)):
    eq([(attr(s, "http.request.method"), attr(s, "url.path")) for s in spans],
       [w[:2] for w in want], "%s (method, path) sequence" % kind)
    for i, (m, p, rq, st, rs, name) in enumerate(want):
        if i >= len(spans):
            break
        where = "%s #%d %s %s" % (kind, i, m, p)
        expect_span(spans[i], where, kind=kind, name=name, attrs={
            "http.request.method": m, "url.path": p, "http.response.status_code": st,
            "http.request.body.size": rq, "http.response.body.size": rs,
            "server.address": "127.0.0.1", "server.port": port, "client.port": lport,
            "network.protocol.version": "1.1", "process.executable.name": is_python_exe,
            "process.pid": srv_pid if kind == "SERVER" else c["pid"],
            "network.peer.port": lport if kind == "SERVER" else port})
        expect_tls(spans[i], where)
for i in range(min(len(srv), len(cli))):
    expect_joined(srv[i], cli[i], "request #%d %s %s" % (i, want[i][0], want[i][1]))
    eq(cli[i].get("parent_span_id"), "", "CLIENT #%d parent_span_id (the client is a root)" % i)

C = final_counters()
for k in ("tls_unbound", "parse_misses", "http1_misses", "ringbuf_drops"):
    counter_eq(C, k, 0)
counter_eq(C, "tls_conns", 2, "both ends of the one connection")
counter_between(C, "tls_libs", 1, 64, "libssl.so.3 at least")
body = sum(w[2] + w[4] for w in want)
counter_between(C, "tls_bytes", 2 * body, 2 * (body * 102 // 100 + 65536),
                "ciphertext at both ends: bodies + < 2%% records + handshake/headers")
note_counters(C, ("conns", "tls_conns", "tls_bytes", "tls_libs", "tls_unbound", "events", "payload_bytes"))
done()
EOF

# ---- (c) openssl s_server -www, openssl s_client ----
agent_start c --port "$SS_PORT"
printf 'GET / HTTP/1.0\r\n\r\n' >"$TMP/c.request"
: >"$TMP/c.expected"
for k in 1 2 3; do
	run_bounded 10 "$TMP/c.request" "$TMP/c.$k.out" "$TMP/c.$k.err" \
		openssl s_client -connect "127.0.0.1:$SS_PORT" -quiet ||
		zt_fail "s_client #$k failed: $(tail -5 "$TMP/c.$k.err")"
	echo "$RB_PID $TMP/c.$k.out" >>"$TMP/c.expected"
done
zt_settle
zt_agent_stop
EXPECTED=$TMP/c.expected FINAL=$ZT_FINAL part_check c <<'EOF'
from ztcheck import *
from tlscheck import *
port = env("SS_PORT", int)
exp = []
for line in open(env("EXPECTED")):
    cpid, path = line.split()
    raw = open(path, "rb").read()
    head, sep, body = raw.partition(b"\r\n\r\n")
    check(sep and head.startswith(b"HTTP/1.0 200 ok\r\n"),
          "s_client %s did not get a 200 from s_server: %r" % (cpid, raw[:80]))
    exp.append((int(cpid), len(body)))
eq(len(exp), 3, "s_client runs")
S = load()
srv, cli = servers(S), clients(S)
# s_server -www moves its plaintext through BIO_f_ssl (ssl_read_internal /
# ssl_write_internal), never through SSL_read/SSL_write(_ex): no SERVER span
eq(len(srv), 0, "SERVER spans (s_server -www calls none of the probed functions)")
eq(len(cli), len(exp), "number of CLIENT spans")
eq(len(S), len(exp), "total number of spans")
by_pid = {attr(s, "process.pid"): s for s in cli}
eq(len(by_pid), len(cli), "CLIENT spans of distinct s_client processes")
for i, (cpid, blen) in enumerate(exp):
    s = by_pid.get(cpid)
    where = "CLIENT s_client #%d (pid %d)" % (i, cpid)
    if s is None:
        check(False, "%s: no span" % where)
        continue
    expect_span(s, where, kind="CLIENT", name="GET /", attrs={
        "http.request.method": "GET", "url.path": "/", "http.response.status_code": 200,
        "http.request.body.size": 0, "http.response.body.size": blen,
        "network.protocol.version": "1.0", "server.address": "127.0.0.1", "server.port": port,
        "network.peer.port": port, "process.executable.name": "openssl", "process.pid": cpid})
    expect_tls(s, where)
    eq(s.get("parent_span_id"), "", "%s parent_span_id" % where)

C = final_counters()
for k in ("tls_unbound", "parse_misses", "http1_misses", "ringbuf_drops"):
    counter_eq(C, k, 0)
# s_server's sockets are TLS too (their ClientHello is seen), only without plaintext
counter_eq(C, "tls_conns", 2 * len(exp), "both ends of %d TLS connections" % len(exp))
counter_between(C, "tls_libs", 1, 64, "libssl.so.3 at least")
body = sum(b for _, b in exp)
counter_between(C, "tls_bytes", 2 * body, 2 * (body + 16384 * len(exp)), "ciphertext at both ends")
note_counters(C, ("conns", "tls_conns", "tls_bytes", "tls_libs", "tls_unbound", "events", "spans"))
done()
EOF

# ---- (d) a TLS connection up before the agent starts (nginx, python client) ----
rm -f "$TMP/d.ready" "$TMP/d.go"
: >"$TMP/nginx/logs/access.log"
timeout 60 "$PY" "$ZT_LIB_DIR/tls/https_client.py" 127.0.0.1 "$NGX_PORT" \
	"GET:/file5k?before=1" GET:/docs/note.txt GET:/missing.html GET:/file5k \
	--pause-after 1 --ready-file "$TMP/d.ready" --go-file "$TMP/d.go" \
	>"$TMP/d.client.json" 2>"$TMP/d.client.err" </dev/null &
CPID=$!
zt_track "$CPID"
for ((i = 0; i < 100; i++)); do
	[ -e "$TMP/d.ready" ] && break
	zt_alive "$CPID" || break
	sleep 0.1
done
[ -e "$TMP/d.ready" ] || zt_fail "https_client.py did not make its first request: $(tail -c 600 "$TMP/d.client.err")"
log "part d: pre-agent request done on client port $(cat "$TMP/d.ready")"
agent_start d --port "$NGX_PORT"
touch "$TMP/d.go"
wait "$CPID" || zt_fail "https_client.py (d) failed: $(tail -c 600 "$TMP/d.client.err")"
zt_stop_untrack "$CPID"
log "part d: $(cut -c1-300 "$TMP/d.client.json")"
zt_settle
zt_agent_stop
CLIENT_JSON=$TMP/d.client.json FINAL=$ZT_FINAL part_check d <<'EOF'
from ztcheck import *
from tlscheck import *
import json
port, worker = env("NGX_PORT", int), env("NGX_WORKER", int)
c = json.load(open(env("CLIENT_JSON")))
lport = c["local_port"]
want = [("/docs/note.txt", 200, 100), ("/missing.html", 404, None), ("/file5k", 200, 5000)]
res = c["results"]
eq([tuple(r[:3]) for r in res], [("GET", "/file5k?before=1", 200)] + [("GET", p, st) for p, st, _ in want],
   "what the client got")
sizes = [r[4] for r in res[1:]]
S = load()
srv, cli = servers(S), clients(S)
eq(len(srv), 3, "number of SERVER spans")
eq(len(cli), 3, "number of CLIENT spans")
eq(len(S), 6, "total number of spans")
check(all(attr(s, "url.query") != "before=1" for s in S), "a span for the request made before the agent started")
for kind, spans in (("SERVER", srv), ("CLIENT", cli)):
    eq([attr(s, "url.path") for s in spans], [w[0] for w in want], "%s url.path sequence" % kind)
    for i, (p, st, _) in enumerate(want):
        if i >= len(spans) or i >= len(sizes):
            break
        where = "%s #%d GET %s" % (kind, i, p)
        expect_span(spans[i], where, kind=kind, name="GET " + p, attrs={
            "http.request.method": "GET", "url.path": p, "http.response.status_code": st,
            "http.request.body.size": 0, "http.response.body.size": sizes[i],
            "server.port": port, "client.port": lport,
            "network.peer.port": lport if kind == "SERVER" else port,
            "process.pid": worker if kind == "SERVER" else c["pid"]}, no_attrs=["url.query"])
        expect_tls(spans[i], where)
eq(sizes[0::2], [100, 5000], "body sizes the client got")
stitch_report(srv, cli)
C = final_counters()
for k in ("tls_unbound", "parse_misses", "http1_misses", "ringbuf_drops"):
    counter_eq(C, k, 0)
counter_between(C, "tls_libs", 1, 64, "libssl.so.3 at least")
note_counters(C, ("conns", "tls_conns", "tls_bytes", "tls_libs", "tls_unbound", "events", "spans"))
done()
EOF

if ((${#FAILED_PARTS[@]})); then
	zt_fail "span checks failed in part(s): ${FAILED_PARTS[*]} (see ASSERT FAILED lines above)"
fi
zt_pass
