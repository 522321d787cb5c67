#!/usr/bin/env python3
"""An HTTP server whose handler resolves the name in its path with
getaddrinfo (glibc: A and AAAA in one sendmmsg) and answers with the
addresses: the DNS queries are calls the request makes.

Usage: lookup_server.py ADDR PORT"""
import http.server
import socket
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        name = self.path.strip("/")
        try:
            addrs = sorted({a[4][0] for a in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)})
            body, code = (" ".join(addrs) + "\n").encode(), 200
        except socket.gaierror as e:
            body, code = ("%s\n" % e).encode(), 404
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
