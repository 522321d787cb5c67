#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""An HTTP/1.1 server whose handler calls grpc_server.py: the gRPC call is
a call the HTTP request makes, on one channel every handler shares.

    grpc_gateway.py HTTP_PORT GRPC_PORT

GET /say/N calls /zt.Echo/Say with a request of 600 + N bytes and answers
200 with what it got. Prints "ready" once listening.
"""
import http.server
import sys

import grpc


def main():
    http_port, grpc_port = int(sys.argv[1]), int(sys.argv[2])
    say = grpc.insecure_channel("127.0.0.1:%d" % grpc_port).unary_unary("/zt.Echo/Say")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            n = int(self.path.rsplit("/", 1)[1])
            body = say(b"gw".ljust(600 + n, b"."), timeout=10)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", http_port), Handler)
    print("ready", flush=True)
    srv.serve_forever()


main()
