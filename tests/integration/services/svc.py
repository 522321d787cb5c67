#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Small multi-service app for the trace-stitching tests (m..q) and
scripts/accuracy.sh. One script, one role per process; unmodified as far as
tracing goes: it never writes traceparent and never acts on one (with --log
it records the one it received, for a test to compare).

Roles (every answer is 200 unless a downstream call or a checksum failed):
  users    GET /users?rid=N    -> {"user": N, ...}; with &fail=1: 500
  orders   GET /orders?rid=N   -> calls users /users?rid=N, -> {"orders": ..., "user": ...}
  gateway  GET /api?rid=N      -> calls users /users?rid=N, then orders /orders?rid=N;
                               with &fail=1 it asks users to fail (its 500 becomes a 502)
  back     POST /back?rid=N    body checked against header X-Body-Sha256 (mismatch: 500);
                               answers a body of the same size (the request body reversed,
                               xor 0x5a) with its own X-Body-Sha256
  front    GET /front?rid=N[&size=S]
                               builds a body of S bytes (default: from rid, < 6000),
                               POSTs it to back /back?rid=N with X-Body-Sha256, checks
                               back's answer against back's X-Body-Sha256 (mismatch: 500)
                               and returns back's body with X-Body-Sha256

Downstream calls use http.client keep-alive connections from a per-downstream
pool (a connection is taken by one thread for one request and put back), so
connections are reused across requests and across serving threads.
The rid of the incoming request is forwarded in the query string.

Usage: svc.py --role ROLE --host H --port P [--down NAME=HOST:PORT ...] [--log FILE]
              [--tls-cert FILE --tls-key FILE] [--down-tls]
With --tls-cert/--tls-key it serves HTTPS (the listening socket wrapped in an
ssl.SSLContext(PROTOCOL_TLS_SERVER); each connection's handshake is done by
its serving thread, not in accept()); with --down-tls its downstream calls
are HTTPS (http.client.HTTPSConnection, a client context that verifies
neither the certificate nor the host name), through the same keep-alive
pools. Without these options it speaks plain HTTP, as before.
Prints "ready <pid>" once listening. One line per request on stderr
("ROLE METHOD PATH STATUS [note]"); with --log, also "rid=N traceparent=V
size=S" per request received (V: its traceparent header(s), comma-separated,
"-" when there was none; S the body size).
"""
import argparse
import hashlib
import http.client
import http.server
import json
import os
import queue
import random
import socket
import ssl
import sys
import threading
import urllib.parse

ARGS = None
POOLS = {}
LOG_LOCK = threading.Lock()
LOG_FILE = None


class Pool:
    """Keep-alive http.client connections to one downstream."""

    def __init__(self, host, port, tls_context=None):
        self.host, self.port = host, port
        self.tls_context = tls_context  # None: plain HTTP
        self.free = queue.LifoQueue()

    def _new(self):
        if self.tls_context is not None:
            c = http.client.HTTPSConnection(self.host, self.port, timeout=20, context=self.tls_context)
        else:
            c = http.client.HTTPConnection(self.host, self.port, timeout=20)
        c.connect()
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return c

    def call(self, method, path, body=None, headers=None):
        """Returns (status, headers dict (lower-case names), body)."""
        try:
            conn = self.free.get_nowait()
            reused = True
        except queue.Empty:
            conn, reused = self._new(), False
        try:
            try:
                conn.request(method, path, body=body, headers=headers or {})
                resp = conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # a kept-alive connection the server closed meanwhile: one retry
                # on a fresh connection (never expected with these servers)
                conn.close()
                if not reused:
                    raise
                sys.stderr.write("%s: reconnecting to %s:%d\n" % (ARGS.role, self.host, self.port))
                conn = self._new()
                conn.request(method, path, body=body, headers=headers or {})
                resp = conn.getresponse()
            data = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            if resp.will_close:
                conn.close()
            else:
                self.free.put(conn)
            return resp.status, hdrs, data
        except Exception:
            conn.close()
            raise


def sha(b):
    return hashlib.sha256(b).hexdigest()


def front_body(rid, size):
    return random.Random(rid).randbytes(size)


def back_answer(body):
    return bytes(x ^ 0x5A for x in reversed(body))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "zt-svc/1.0"
    sys_version = ""
    # headers and body of an answer leave in one write (flushed by
    # handle_one_request), and no Nagle delay on what is left
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def handle(self):
        if isinstance(self.connection, ssl.SSLSocket):
            # --tls-cert: the handshake here, in the serving thread; a client
            # that leaves without one (a port probe) is one line, not a traceback
            try:
                self.connection.do_handshake()
            except OSError as e:  # ssl.SSLError is one
                sys.stderr.write("%s: TLS handshake with %s failed: %s\n"
                                 % (ARGS.role, self.client_address, e))
                return
        super().handle()

    def _query(self):
        u = urllib.parse.urlsplit(self.path)
        return u.path, {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}

    def _reply(self, status, body, ctype="application/json", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _log(self, status, note=""):
        sys.stderr.write("%s %s %s %d %s\n" % (ARGS.role, self.command, self.path, status, note))

    def _json(self, status, obj):
        self._reply(status, json.dumps(obj).encode() + b"\n")
        self._log(status)

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        chunks, got = [], 0
        while got < n:
            part = self.rfile.read(min(1 << 20, n - got))
            if not part:
                break
            chunks.append(part)
            got += len(part)
        return b"".join(chunks)

    def _down(self, name, path, method="GET", body=None, headers=None):
        return POOLS[name].call(method, path, body, headers)

    def _log_context(self, rid, size):
        if LOG_FILE:
            with LOG_LOCK:
                tp = ",".join(self.headers.get_all("traceparent") or []) or "-"
                LOG_FILE.write("rid=%s traceparent=%s size=%d\n" % (rid, tp, size))
                LOG_FILE.flush()

    def do_GET(self):
        path, q = self._query()
        rid = q.get("rid", "")
        self._log_context(rid, 0)
        role = ARGS.role
        try:
            if role == "users" and path == "/users":
                if q.get("fail") == "1":
                    return self._json(500, {"error": "asked to fail"})
                return self._json(200, {"user": rid, "name": "user-%s" % rid})
            if role == "orders" and path == "/orders":
                st, _, b = self._down("users", "/users?rid=%s" % rid)
                if st != 200:
                    return self._json(502, {"error": "users said %d" % st})
                return self._json(200, {"orders": [rid], "user": json.loads(b)})
            if role == "gateway" and path == "/api":
                fail = "&fail=1" if q.get("fail") == "1" else ""
                st1, _, b1 = self._down("users", "/users?rid=%s%s" % (rid, fail))
                st2, _, b2 = self._down("orders", "/orders?rid=%s" % rid)
                if st1 != 200 or st2 != 200:
                    return self._json(502, {"error": "users %d orders %d" % (st1, st2)})
                return self._json(200, {"rid": rid, "user": json.loads(b1), "orders": json.loads(b2)})
            if role == "front" and path == "/front":
                return self._front(rid, q)
        except Exception as e:  # a downstream failure is an answer, not a crash
            return self._json(502, {"error": "%s: %s" % (type(e).__name__, e)})
        return self._json(404, {"error": "not found"})

    def _front(self, rid, q):
        size = int(q["size"]) if "size" in q else (int(rid or 0) * 7919) % 6000
        body = front_body(int(rid or 0), size)
        st, h, answer = self._down("back", "/back?rid=%s" % rid, "POST", body,
                                   {"Content-Type": "application/octet-stream",
                                    "X-Body-Sha256": sha(body)})
        if st != 200:
            self._reply(500, b"back said %d\n" % st, "text/plain")
            return self._log(500, "back said %d" % st)
        if h.get("x-body-sha256") != sha(answer) or answer != back_answer(body):
            self._reply(500, b"checksum mismatch on back's answer\n", "text/plain")
            return self._log(500, "answer checksum mismatch (%d bytes)" % len(answer))
        self._reply(200, answer, "application/octet-stream", [("X-Body-Sha256", sha(answer))])
        self._log(200, "%d bytes" % size)

    def do_POST(self):
        path, q = self._query()
        body = self._read_body()
        if ARGS.role == "back" and path == "/back":
            self._log_context(q.get("rid", ""), len(body))
            if self.headers.get("X-Body-Sha256") != sha(body):
                self._reply(500, b"checksum mismatch on the request body\n", "text/plain")
                return self._log(500, "request checksum mismatch (%d bytes)" % len(body))
            answer = back_answer(body)
            self._reply(200, answer, "application/octet-stream", [("X-Body-Sha256", sha(answer))])
            return self._log(200, "%d bytes" % len(body))
        self._json(404, {"error": "not found"})


def main():
    global ARGS, LOG_FILE
    ap = argparse.ArgumentParser()
    ap.add_argument("--role", required=True, choices=("gateway", "users", "orders", "front", "back"))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--down", action="append", default=[], help="NAME=HOST:PORT")
    ap.add_argument("--log")
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM; needs --tls-key)")
    ap.add_argument("--tls-key", help="the private key of --tls-cert (PEM)")
    ap.add_argument("--down-tls", action="store_true",
                    help="call the downstreams over HTTPS (certificate not verified)")
    ARGS = ap.parse_args()
    if bool(ARGS.tls_cert) != bool(ARGS.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    down_ctx = None
    if ARGS.down_tls:
        down_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        down_ctx.check_hostname = False
        down_ctx.verify_mode = ssl.CERT_NONE
    for d in ARGS.down:
        name, hp = d.split("=", 1)
        host, port = hp.rsplit(":", 1)
        POOLS[name] = Pool(host, int(port), down_ctx)
    if ARGS.log:
        LOG_FILE = open(ARGS.log, "a")
    http.server.ThreadingHTTPServer.daemon_threads = True
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    http.server.ThreadingHTTPServer.request_queue_size = 128
    srv = http.server.ThreadingHTTPServer((ARGS.host, ARGS.port), Handler)
    if ARGS.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
        # no handshake inside accept() (the serve_forever thread): a slow or
        # silent client must not hold up the others; Handler.handle does it
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    print("ready %d" % os.getpid(), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
