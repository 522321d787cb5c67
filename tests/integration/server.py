#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Test HTTP server for zerotrace integration tests.

Every route answers with a body whose size the tests know in advance:

  GET/HEAD /items/*, /users/*   200, 1234 bytes (HEAD: headers only)
  GET /search                    200, 100 bytes
  GET /big                       200, 10485760 bytes (Content-Length)
  GET /chunked                   200, chunked, chunks of 100, 2000, 1, 50 bytes
                                 (2151 decoded), each chunk its own write+flush
  GET /nocontent                 204, no body
  GET /notmod                    304, no body
  GET /close                     200, 3000 bytes, no Content-Length, then the
                                 connection is closed (meant for --proto 1.0)
  POST /upload                   reads Content-Length bytes, 201 "created\\n" (8)
  PUT /items/*                   echoes the request body, 200
  DELETE /items/*                200 "deleted\\n" (8)
  anything else                  404 "not found\\n" (10)

Usage: server.py --host 127.0.0.1 --port P [--proto 1.1|1.0]
Prints "ready <pid>" on stdout once listening; one log line per request on
stderr ("METHOD PATH STATUS REQ_BODY RESP_BODY").
"""
import argparse
import http.server
import os
import socket
import sys
import time

ITEM_SIZE = 1234
SEARCH_SIZE = 100
BIG_SIZE = 10 * 1024 * 1024
CHUNKS = (100, 2000, 1, 50)
CLOSE_SIZE = 3000
_BIG = None


def big_body():
    global _BIG
    if _BIG is None:
        _BIG = b"b" * BIG_SIZE
    return _BIG


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "zt-test/1.0"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet default access log
        pass

    def _log(self, status, req_body, resp_body):
        path = self.path
        sys.stderr.write("%s %s %d %d %d\n" % (self.command, path, status,
                                               req_body, resp_body))
        sys.stderr.flush()

    def _path(self):
        return self.path.split("?", 1)[0]

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        got = 0
        chunks = []
        while got < n:
            part = self.rfile.read(min(1 << 20, n - got))
            if not part:
                break
            got += len(part)
            if n <= (1 << 20):
                chunks.append(part)
        return got, b"".join(chunks)

    def _send(self, status, body, head_only=False, length=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if not head_only and body:
            self.wfile.write(body)
            self.wfile.flush()
        self._log(status, 0, 0 if head_only else len(body))

    def _get(self, head_only):
        p = self._path()
        if p.startswith("/items/") or p.startswith("/users/"):
            return self._send(200, b"i" * ITEM_SIZE, head_only)
        if p == "/search":
            return self._send(200, b"s" * SEARCH_SIZE, head_only)
        if p == "/big":
            return self._send(200, big_body(), head_only)
        if p == "/chunked" and not head_only:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            for n in CHUNKS:
                self.wfile.write(b"%x\r\n" % n + b"c" * n + b"\r\n")
                self.wfile.flush()
                time.sleep(0.005)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return self._log(200, 0, sum(CHUNKS))
        if p == "/nocontent":
            self.send_response(204)
            self.end_headers()
            return self._log(204, 0, 0)
        if p == "/notmod":
            self.send_response(304)
            self.send_header("ETag", '"zt-etag"')
            self.end_headers()
            return self._log(304, 0, 0)
        if p == "/close" and not head_only:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.flush()
            for _ in range(3):
                self.wfile.write(b"z" * (CLOSE_SIZE // 3))
                self.wfile.flush()
                time.sleep(0.005)
            self.close_connection = True
            return self._log(200, 0, CLOSE_SIZE)
        return self._send(404, b"not found\n", head_only)

    def do_GET(self):
        self._get(False)

    def do_HEAD(self):
        self._get(True)

    def do_POST(self):
        got, _ = self._read_body()
        if self._path() == "/upload":
            self._send(201, b"created\n")
        else:
            self._send(404, b"not found\n")
        sys.stderr.write("  body received: %d\n" % got)

    def do_PUT(self):
        got, body = self._read_body()
        if self._path().startswith("/items/"):
            self._send(200, body)
        else:
            self._send(404, b"not found\n")

    def do_DELETE(self):
        if self._path().startswith("/items/"):
            self._send(200, b"deleted\n")
        else:
            self._send(404, b"not found\n")


class Server6(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--proto", default="1.1", choices=("1.0", "1.1"))
    a = ap.parse_args()
    Handler.protocol_version = "HTTP/" + a.proto
    cls = Server6 if ":" in a.host else http.server.ThreadingHTTPServer
    cls.daemon_threads = True
    cls.allow_reuse_address = True
    srv = cls((a.host, a.port), Handler)
    print("ready %d" % os.getpid(), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
