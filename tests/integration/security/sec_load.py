#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Steady HTTP load for the security tests: GET URL at RATE requests per
second for SECONDS (bounded: at most RATE*SECONDS requests, and 3*SECONDS+10
seconds of wall time), on one keep-alive connection, paced by the clock so
the per-second counts are even. With --fail-every K every K-th request asks
for a 500 (&fail=1 to svc.py's users). Prints "sent N failed F" at the end.

Usage: sec_load.py --url http://127.0.0.1:PORT/users --rate R --seconds S [--fail-every K]
"""
import argparse
import http.client
import sys
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--rate", type=float, required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--fail-every", type=int, default=0)
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    total = int(a.rate * a.seconds)
    start = time.monotonic()
    deadline = start + 3 * a.seconds + 10
    sent = failed = 0
    for i in range(total):
        due = start + i / a.rate
        now = time.monotonic()
        if now > deadline:
            break
        if due > now:
            time.sleep(due - now)
        fail = a.fail_every and (i + 1) % a.fail_every == 0
        path = "%s?rid=%d%s" % (u.path, i, "&fail=1" if fail else "")
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        sent += 1
        failed += r.status >= 500
    conn.close()
    print("sent %d failed %d" % (sent, failed))
    return 0 if sent == total else 1


if __name__ == "__main__":
    sys.exit(main())
