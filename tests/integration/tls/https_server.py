#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""server.py's routes (and body sizes) over TLS: a ThreadingHTTPServer whose
listening socket is wrapped in an ssl.SSLContext (server side), so every
accepted connection speaks TLS (handshake in accept, then CPython's _ssl:
SSL_read_ex / SSL_write_ex of libssl.so.3).

Usage: https_server.py --host 127.0.0.1 --port P --cert CERT --key KEY
Prints "ready <pid>" on stdout once listening; one log line per request on
stderr (server.py's "METHOD PATH STATUS REQ_BODY RESP_BODY"), and one line
"tls <version> <cipher> <client port>" per connection.
"""
import argparse
import http.server
import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import server  # noqa: E402  (tests/integration/server.py)


class Handler(server.Handler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        c = self.connection
        if isinstance(c, ssl.SSLSocket):
            cipher = c.cipher()
            sys.stderr.write("tls %s %s %d\n" % (c.version(), cipher[0] if cipher else "-",
                                                 self.client_address[1]))
            sys.stderr.flush()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # a TCP probe that never says hello (zt_wait_port) is no error worth a trace
        sys.stderr.write("connection error from %s: %s\n" % (client_address, sys.exc_info()[1]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv = Server((a.host, a.port), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("ready %d" % os.getpid(), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
