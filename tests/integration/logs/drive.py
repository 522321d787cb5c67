#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Bounded driver of test_sd_logs: N requests GET PATH?rid=R, R from FIRST
to FIRST+N-1 (each sent once), from C threads at once, each thread on its
own http.client connection (kept alive when the server keeps it, opened
again when it closes it). Every request has a 10 s timeout; the whole run
gives up after --max-seconds.

Usage: drive.py --port P --n N --c C --first FIRST [--path /work]
                [--max-seconds S] --out FILE
Writes {"port", "path", "c", "sent": [[rid, status, t_start_ns, t_end_ns],
...], "errors": [...]} to --out; exit 0 only if every request got 200.
"""
import argparse
import http.client
import json
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--c", type=int, required=True)
    ap.add_argument("--first", type=int, required=True)
    ap.add_argument("--path", default="/work")
    ap.add_argument("--max-seconds", type=float, default=30)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    lock = threading.Lock()
    todo = list(range(a.first, a.first + a.n))
    sent, errors = [], []
    deadline = time.monotonic() + a.max_seconds

    def worker():
        conn = http.client.HTTPConnection(a.host, a.port, timeout=10)
        while time.monotonic() < deadline:
            with lock:
                if not todo:
                    break
                rid = todo.pop(0)
            t0 = time.time_ns()
            try:
                conn.request("GET", "%s?rid=%d" % (a.path, rid))
                r = conn.getresponse()
                body = r.read()
                st = r.status
                if st == 200 and body != b"ok rid=%d\n" % rid:
                    st = -1
                    errors.append("rid %d: body %r" % (rid, body[:80]))
                if r.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException) as e:
                st = 0
                conn.close()
                with lock:
                    errors.append("rid %d: %s" % (rid, e))
            with lock:
                sent.append([rid, st, t0, time.time_ns()])
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(a.c)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic() + 11))
    with lock:
        if len(sent) != a.n:
            errors.append("%d of %d requests done in %gs" % (len(sent), a.n, a.max_seconds))
        sent.sort()
        res = {"port": a.port, "path": a.path, "c": a.c, "sent": sent, "errors": errors}
    with open(a.out, "w") as f:
        json.dump(res, f)
    bad = [s for s in sent if s[1] != 200]
    print("%s c=%d: %d requests, %d not 200, %d errors" % (a.path, a.c, len(sent), len(bad), len(errors)))
    sys.exit(0 if not bad and not errors and len(sent) == a.n else 1)


if __name__ == "__main__":
    main()
