#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Sends requests over ONE keep-alive connection with http.client.

Usage: keepalive_client.py HOST PORT REQUEST... [--pause-after K --ready-file F --go-file G]
A REQUEST is "METHOD:PATH" (e.g. GET:/items/1, HEAD:/items/5); "N*METHOD:PATH"
repeats it N times with the index appended (e.g. 100*GET:/items/ -> /items/0..99).
With --pause-after K, after K requests it writes its local port to F and waits
(at most 30 s) for G to exist before sending the rest.
Prints one JSON line: {"pid", "local_port", "results": [[method, path, status, body_len], ...]}.
Exits 1 if the connection had to be reopened (local port changed) or on error.
"""
import argparse
import http.client
import json
import os
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
    n = None
    if "*" in r:
        n, r = r.split("*", 1)
    method, path = r.split(":", 1)
    if n is None:
        reqs.append((method, path))
    else:
        reqs.extend((method, "%s%d" % (path, i)) for i in range(int(n)))

conn = http.client.HTTPConnection(a.host, a.port, timeout=10)
conn.connect()
local_port = conn.sock.getsockname()[1]
results = []
deadline = time.monotonic() + 60
for i, (method, path) in enumerate(reqs):
    if i == a.pause_after:
        with open(a.ready_file + ".tmp", "w") as f:
            f.write("%d\n" % local_port)
        os.rename(a.ready_file + ".tmp", a.ready_file)
        t_end = time.monotonic() + 30
        while not os.path.exists(a.go_file):
            if time.monotonic() > t_end:
                sys.exit("keepalive_client: timed out waiting for " + a.go_file)
            time.sleep(0.05)
    if time.monotonic() > deadline:
        sys.exit("keepalive_client: overall deadline passed")
    conn.request(method, path)
    resp = conn.getresponse()
    body = resp.read()
    if conn.sock is None or conn.sock.getsockname()[1] != local_port:
        sys.exit("keepalive_client: connection was not kept alive at request %d" % i)
    results.append([method, path, resp.status, len(body)])
conn.close()
print(json.dumps({"pid": os.getpid(), "local_port": local_port, "results": results}))
