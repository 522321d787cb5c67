#!/usr/bin/env bash
# (h2 upgrade) HTTP/1.1 to h2c (RFC 7540 §3.2): nghttpx (Debian's
# nghttp2-proxy) upgrades in the clear and forwards to nghttpd over HTTP/2;
# curl --http2 asks with "Upgrade: h2c". On one connection curl fetches /f1
# (the upgraded request, answered on stream 1) and then /f2 (stream 3, plain
# HTTP/2); then a 404, a POST whose 500-byte body went in HTTP/1.1, and a
# request carrying a traceparent. Each is one CLIENT span (curl) and one
# SERVER span (nghttpx), its child, with the path, status and body sizes,
# version "2", the upgraded ones marked zerotrace.http.upgrade=h2c; the
# traceparent request's spans are in that trace. A WebSocket's 101 on the same
# agent stays HTTP/1.1 (its span has status 101) and switches nothing:
# proto_upgrades counts the four h2c connections on both ends, 8. Then,
# with --capture-bytes shorter than the 101's head, the client's preface
# switches the connection: /f1 ends as its 101, /f2 is HTTP/2.
. "$(dirname "$0")/lib.sh"
zt_init

for b in nghttpd nghttpx curl; do
	command -v "$b" >/dev/null || zt_fail "$b missing (scripts/install-deps.sh brings nghttp2-server, nghttp2-proxy)"
done
mkdir -p "$TMP/www"
for k in 1 2 3; do head -c $((k * 1000)) /dev/zero | tr '\0' "$k" >"$TMP/www/f$k"; done
FRONT=$(zt_free_port)
BACK=$(zt_free_port)
WS=$(zt_free_port)
zt_bg nghttpd nghttpd --no-tls -d "$TMP/www" "$BACK"
BACK_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$BACK" 10
zt_bg nghttpx nghttpx --conf=/dev/null --single-process --workers=1 \
	--frontend="127.0.0.1,$FRONT;no-tls" --backend="127.0.0.1,$BACK;;proto=h2" \
	--errorlog-file="$TMP/nghttpx.log" --accesslog-file="$TMP/nghttpx.access"
FRONT_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$FRONT" 10
zt_alive "$FRONT_PID" || zt_fail "nghttpx died: $(cat "$TMP/nghttpx.err" "$TMP/nghttpx.log")"

# a server that answers a WebSocket handshake, then sends one text frame
zt_bg ws "$PY" -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(4)
while True:
    c, _ = s.accept()
    req = b""
    while b"\r\n\r\n" not in req:
        d = c.recv(4096)
        if not d:
            break  # the test waiting for the port
        req += d
    if b"\r\n\r\n" in req:
        c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi")
        c.recv(1)
    c.close()' "$WS"
WS_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$WS" 10

zt_agent_start --port "$FRONT" --port "$BACK" --port "$WS"
U=http://127.0.0.1:$FRONT
TP=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
head -c 500 /dev/zero | tr '\0' b >"$TMP/body"
out=$(curl -s --http2 -o /dev/null -w '%{http_version} %{http_code} %{num_connects}\n' "$U/f1" \
	-o /dev/null "$U/f2") || zt_fail "curl --http2 /f1 /f2 failed"
[ "$out" = $'2 200 1\n2 200 0' ] || zt_fail "curl /f1 /f2: expected two HTTP/2 200s on one connection, got: $out"
[ "$(curl -s --http2 -o /dev/null -w '%{http_version} %{http_code}' "$U/missing")" = "2 404" ] ||
	zt_fail "curl --http2 /missing: expected an HTTP/2 404"
[ "$(curl -s --http2 -d @"$TMP/body" -o /dev/null -w '%{http_version} %{http_code}' "$U/f3")" = "2 200" ] ||
	zt_fail "curl --http2 POST /f3: expected an HTTP/2 200"
[ "$(curl -s --http2 -H "traceparent: $TP" -o /dev/null -w '%{http_version} %{http_code}' "$U/f2")" = "2 200" ] ||
	zt_fail "curl --http2 /f2 with a traceparent: expected an HTTP/2 200"
"$PY" -c '
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
c.sendall(b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
got = b""
while not got.endswith(b"\x81\x02hi"):
    d = c.recv(4096)
    if not d:
        sys.exit("websocket server closed early")
    got += d
c.sendall(b"x")
c.close()' "$WS" || zt_fail "websocket client failed"
zt_settle 1
zt_agent_stop
export FRONT_PID BACK_PID WS_PID TP FINAL="$ZT_FINAL" SPANS1="$ZT_SPANS"

# The 101's head (71 bytes) longer than the copy: the client's preface
# switches the connection instead, on both ends. /f1 ends as the 101 seen
# (HTTP/1.1), /f2 on the same connection is an HTTP/2 span.
zt_agent_start --tag short --capture-bytes 48 --port "$FRONT"
out=$(curl -s --http2 -o /dev/null -w '%{http_version} %{http_code}\n' "$U/f1" -o /dev/null "$U/f2") ||
	zt_fail "curl --http2 /f1 /f2 (short capture) failed"
[ "$out" = $'2 200\n2 200' ] || zt_fail "curl /f1 /f2 (short capture): $out"
zt_settle 1
zt_agent_stop
export SPANS2="$ZT_SPANS" FINAL2="$ZT_FINAL"

zt_py_check <<'PYEND'
from ztcheck import *
spans = load(env("SPANS1"))
front, back, ws = env("FRONT_PID", int), env("BACK_PID", int), env("WS_PID", int)
tp_trace, tp_parent = env("TP").split("-")[1:3]
# (path, method, status, request body, upgraded) per request
want = [("/f1", "GET", 200, 0, True), ("/f2", "GET", 200, 0, False), ("/missing", "GET", 404, 0, True),
        ("/f3", "POST", 200, 500, True), ("/f2", "GET", 200, 0, True)]
def key(s):
    return (attr(s, "url.path"), attr(s, "http.request.method"), attr(s, "http.response.status_code"),
            attr(s, "http.request.body.size"), attr(s, "zerotrace.http.upgrade") == "h2c")
exp = sorted(want)
curl = [s for s in spans if s["kind"] == "CLIENT" and attr(s, "process.executable.name") == "curl"]
servers = [s for s in spans if s["kind"] == "SERVER" and attr(s, "process.pid") == front]
eq(sorted(key(s) for s in curl), exp, "curl's CLIENT spans (path, method, status, request body, upgraded)")
eq(sorted(key(s) for s in servers), exp, "nghttpx's SERVER spans (path, method, status, request body, upgraded)")
for s in spans:
    path = attr(s, "url.path")
    where = "%s %s %s %s" % (s["kind"], attr(s, "process.executable.name"), path, s["span_id"])
    if path == "/chat":
        continue
    eq(attr(s, "network.protocol.version"), "2", where + " version")
    eq(s["name"], "%s %s" % (attr(s, "http.request.method"), path), where + " name")
    size = {"/f1": 1000, "/f2": 2000, "/f3": 3000}.get(path)
    if size is not None:
        eq(attr(s, "http.response.body.size"), size, where + " response body")
    check(attr(s, "zerotrace.hpack.incomplete") is None, where + " has every header field")
# the curl -> nghttpx spans pair by connection: each SERVER the child of its CLIENT
clients = {s["span_id"]: s for s in curl}
for s in servers:
    c = clients.get(s.get("parent_span_id"))
    check(c is not None and c["trace_id"] == s["trace_id"] and attr(c, "url.path") == attr(s, "url.path"),
          "SERVER %s %s is the child of its CLIENT span" % (attr(s, "url.path"), s["span_id"]))
# the traceparent went in the HTTP/1.1 request: both ends of it are in that trace
tp = [s for s in curl + servers if s["trace_id"] == tp_trace]
eq(sorted(s["kind"] for s in tp), ["CLIENT", "SERVER"], "curl and nghttpx spans in the traceparent's trace")
for s in tp:
    eq(attr(s, "zerotrace.http.upgrade"), "h2c", "the traceparent request was the upgraded one")
    if s["kind"] == "CLIENT":
        eq(s.get("parent_span_id"), tp_parent, "the traceparent request's CLIENT parent")
# nghttpx forwards each request to nghttpd over HTTP/2 (prior knowledge)
eq(sorted(attr(s, "url.path") for s in spans if s["kind"] == "SERVER" and attr(s, "process.pid") == back),
   sorted(["/f1", "/f2", "/missing", "/f3", "/f2"]), "nghttpd SERVER spans")
# the WebSocket handshake: an HTTP/1.1 span with status 101, no switch
chat = [s for s in spans if attr(s, "url.path") == "/chat"]
eq(sorted(s["kind"] for s in chat), ["CLIENT", "SERVER"], "WebSocket handshake spans")
for s in chat:
    eq(attr(s, "network.protocol.version"), "1.1", "WebSocket %s version" % s["kind"])
    eq(attr(s, "http.response.status_code"), 101, "WebSocket %s status" % s["kind"])
    if s["kind"] == "SERVER":
        eq(attr(s, "process.pid"), ws, "WebSocket SERVER pid")
fin = env("FINAL") + " "
for k, v in (("proto_upgrades", 8), ("http2_misses", 0), ("http1_misses", 0), ("frames_lost", 0),
             ("parse_misses", 0), ("ringbuf_drops", 0), ("http2_incomplete", 0)):
    check(" %s=%d " % (k, v) in fin, "final %s not %d: %s" % (k, v, fin))

short = load(env("SPANS2"))
got = sorted((s["kind"], attr(s, "url.path"), attr(s, "network.protocol.version"),
              attr(s, "http.response.status_code"), attr(s, "zerotrace.http.upgrade")) for s in short)
eq(got, [("CLIENT", "/f1", "1.1", 101, None), ("CLIENT", "/f2", "2", 200, None),
         ("SERVER", "/f1", "1.1", 101, None), ("SERVER", "/f2", "2", 200, None)],
   "short capture: (kind, path, version, status, upgrade) of each span")
fin = env("FINAL2") + " "
for k, v in (("proto_upgrades", 2), ("http2_misses", 0), ("frames_lost", 0), ("ringbuf_drops", 0)):
    check(" %s=%d " % (k, v) in fin, "short capture: final %s not %d: %s" % (k, v, fin))
done()
PYEND
zt_pass
