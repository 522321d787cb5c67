#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Requests over ONE keep-alive HTTPS connection (http.client.HTTPSConnection,
certificate not verified: the test's self-signed one). CPython's _ssl calls
SSL_write_ex / SSL_read_ex of libssl.so.3.

Usage: https_client.py HOST PORT REQUEST... [--pause-after K --ready-file F --go-file G]
A REQUEST is "METHOD:PATH" or "METHOD:PATH:N" (N request body bytes, sent with
Content-Length; POST/PUT without N send an empty body, Content-Length: 0).
With --pause-after K, after K requests it writes its local port to F and waits
(at most 30 s) for G to exist before sending the rest.
Prints one JSON line: {"pid", "local_port", "tls_version", "cipher",
"results": [[method, path, status, request body bytes, response body bytes], ...]}.
Exits 1 if the connection had to be reopened (local port changed) or on error.
"""
import argparse
import http.client
import json
import os
import ssl
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("host")
ap.add_argument("port", type=int)
ap.add_argument("requests", nargs="+")
ap.add_argument("--pause-after", type=int, default=-1)
ap.add_argument("--ready-file")
ap.add_argument("--go-file")
a = ap.parse_args()

reqs = []
for r in a.requests:
    parts = r.split(":")
    method, path = parts[0], parts[1]
    n = int(parts[2]) if len(parts) > 2 else None
    reqs.append((method, path, n))

ctx = ssl._create_unverified_context()
conn = http.client.HTTPSConnection(a.host, a.port, timeout=20, context=ctx)
conn.connect()
local_port = conn.sock.getsockname()[1]
tls_version, cipher = conn.sock.version(), conn.sock.cipher()[0]
results = []
deadline = time.monotonic() + 60
for i, (method, path, n) in enumerate(reqs):
    if i == a.pause_after:
        with open(a.ready_file + ".tmp", "w") as f:
            f.write("%d\n" % local_port)
        os.rename(a.ready_file + ".tmp", a.ready_file)
        t_end = time.monotonic() + 30
        while not os.path.exists(a.go_file):
            if time.monotonic() > t_end:
                sys.exit("https_client: timed out waiting for " + a.go_file)
            time.sleep(0.05)
    if time.monotonic() > deadline:
        sys.exit("https_client: overall deadline passed")
    body = None
    if n is not None:
        body = b"u" * n
    elif method in ("POST", "PUT"):
        body = b""
    conn.request(method, path, body=body)
    resp = conn.getresponse()
    data = resp.read()
    if conn.sock is None or conn.sock.getsockname()[1] != local_port:
        sys.exit("https_client: connection was not kept alive at request %d" % i)
    results.append([method, path, resp.status, len(body) if body is not None else 0, len(data)])
conn.close()
print(json.dumps({"pid": os.getpid(), "local_port": local_port, "tls_version": tls_version,
                  "cipher": cipher, "results": results}))
