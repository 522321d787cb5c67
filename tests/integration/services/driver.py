#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Load driver for the trace-stitching tests: N requests at concurrency C,
each worker thread on its own keep-alive http.client connection, one unique
request id (rid) per request, bounded in time.

Usage: driver.py --port P [--host H] [--path '/api?rid={rid}'] --n N --c C
                 [--rid-start K] [--timeout SECONDS] [--check-sha] [--tls] --out FILE
With --tls the requests go over HTTPS (http.client.HTTPSConnection, a client
context that verifies neither the certificate nor the host name).
rids are K, K+1, ..., K+N-1 (default K=1). With --check-sha the answer's
X-Body-Sha256 header must match its body (else the request counts as bad).
Writes JSON {"n", "c", "elapsed", "ok": [rid...], "bad": [[rid, why]...]}
to FILE and a one-line summary on stderr. Exit 0 when every request got a
200 (and a matching checksum), else 1.
"""
import argparse
import hashlib
import http.client
import json
import socket
import ssl
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--path", default="/api?rid={rid}")
ap.add_argument("--n", type=int, required=True)
ap.add_argument("--c", type=int, default=1)
ap.add_argument("--rid-start", type=int, default=1)
ap.add_argument("--timeout", type=float, default=40.0)
ap.add_argument("--check-sha", action="store_true")
ap.add_argument("--tls", action="store_true", help="HTTPS, certificate not verified")
ap.add_argument("--out", required=True)
a = ap.parse_args()

lock = threading.Lock()
next_rid = [a.rid_start]
ok, bad = [], []
deadline = time.monotonic() + a.timeout
tls_ctx = None
if a.tls:
    tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls_ctx.check_hostname = False
    tls_ctx.verify_mode = ssl.CERT_NONE


def take():
    with lock:
        r = next_rid[0]
        if r >= a.rid_start + a.n:
            return None
        next_rid[0] += 1
        return r


def connect():
    t = max(1.0, min(20.0, a.timeout))
    if tls_ctx is not None:
        c = http.client.HTTPSConnection(a.host, a.port, timeout=t, context=tls_ctx)
    else:
        c = http.client.HTTPConnection(a.host, a.port, timeout=t)
    c.connect()
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def worker():
    conn = None
    while True:
        rid = take()
        if rid is None:
            break
        if time.monotonic() > deadline:
            with lock:
                bad.append([rid, "not sent: deadline passed"])
            continue
        try:
            if conn is None:
                conn = connect()
            conn.request("GET", a.path.format(rid=rid))
            resp = conn.getresponse()
            body = resp.read()
            why = None
            if resp.status != 200:
                why = "status %d: %.200s" % (resp.status, body.decode("utf-8", "replace"))
            elif a.check_sha and resp.getheader("X-Body-Sha256") != hashlib.sha256(body).hexdigest():
                why = "answer checksum mismatch (%d bytes)" % len(body)
            if resp.will_close:
                conn.close()
                conn = None
        except Exception as e:
            why = "%s: %s" % (type(e).__name__, e)
            if conn is not None:
                conn.close()
            conn = None
        with lock:
            (ok.append(rid) if why is None else bad.append([rid, why]))
    if conn is not None:
        conn.close()


t0 = time.monotonic()
threads = [threading.Thread(target=worker, daemon=True) for _ in range(a.c)]
for t in threads:
    t.start()
for t in threads:
    t.join(max(0.0, deadline - time.monotonic()) + 5)
elapsed = time.monotonic() - t0
with lock:
    res = {"n": a.n, "c": a.c, "rid_start": a.rid_start, "elapsed": round(elapsed, 3),
           "ok": sorted(ok), "bad": sorted(bad)}
    done = set(ok) | {b[0] for b in bad}
    res["bad"] += [[r, "no answer (driver timed out)"]
                   for r in range(a.rid_start, a.rid_start + a.n) if r not in done]
with open(a.out, "w") as f:
    json.dump(res, f)
sys.stderr.write("driver: %d %srequests at c=%d in %.2fs (%.0f req/s): %d ok, %d bad%s\n" % (
    a.n, "HTTPS " if a.tls else "", a.c, elapsed, a.n / max(elapsed, 1e-9), len(res["ok"]), len(res["bad"]),
    ("; first: %s" % res["bad"][0]) if res["bad"] else ""))
sys.exit(0 if not res["bad"] else 1)
