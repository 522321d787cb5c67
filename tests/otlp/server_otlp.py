#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""tests/integration/server.py plus one route for the OTLP status tests:

  GET /fail     500 "internal error\\n" (15 bytes)

and TCP_NODELAY on accepted connections (fast keep-alive load).

Everything else (routes, options, "ready <pid>" line, stderr log) is
server.py's. Usage: server_otlp.py --host 127.0.0.1 --port P [--proto 1.1|1.0]
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import server  # noqa: E402

FAIL_BODY = b"internal error\n"
_orig_get = server.Handler._get


def _get(self, head_only):
    if self._path() == "/fail":
        return self._send(500, FAIL_BODY, head_only)
    return _orig_get(self, head_only)


server.Handler._get = _get
# TCP_NODELAY: headers and body are two writes; without it every keep-alive
# request waits for a delayed ACK (~40 ms), too slow for the load tests
server.Handler.disable_nagle_algorithm = True

if __name__ == "__main__":
    server.main()
