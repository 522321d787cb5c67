#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Client for test q (--inject-traceparent rules). Sends, in this order:
  rid 1..5     GET users /users?rid=N on one keep-alive connection, no traceparent
  rid 11..13   the same connection, each with "traceparent: TP" (argv) of its own
  rid 31       POST back /back?rid=31, 100 KB body, headers+body in one send
  rid 32       POST back /back?rid=32, 100 KB body, headers and body in two sends
  rid 41, 42   two GET users requests pipelined in one send on a new connection
Every body carries X-Body-Sha256 (back checks it and answers 500 on mismatch).

Usage: inject_client.py USERS_PORT BACK_PORT TP
Prints JSON {"pid", "results": {rid: [status, local_port]}}; exit 1 on error.
"""
import hashlib
import http.client
import json
import os
import random
import socket
import sys
import time

users, back, tp = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
res = {}
deadline = time.monotonic() + 30


def get(conn, rid, headers=None):
    conn.request("GET", "/users?rid=%d" % rid, headers=headers or {})
    r = conn.getresponse()
    r.read()
    res[rid] = [r.status, conn.sock.getsockname()[1]]


c = http.client.HTTPConnection("127.0.0.1", users, timeout=10)
for rid in range(1, 6):
    get(c, rid)
for rid in range(11, 14):
    get(c, rid, {"traceparent": tp})
c.close()

b = http.client.HTTPConnection("127.0.0.1", back, timeout=10)
for rid, split in ((31, False), (32, True)):
    body = random.Random(rid).randbytes(100 * 1024)
    hdrs = {"Content-Type": "application/octet-stream", "X-Body-Sha256": hashlib.sha256(body).hexdigest()}
    if not split:
        b.request("POST", "/back?rid=%d" % rid, body=body, headers=hdrs)
    else:
        b.putrequest("POST", "/back?rid=%d" % rid)
        for k, v in list(hdrs.items()) + [("Content-Length", str(len(body)))]:
            b.putheader(k, v)
        b.endheaders()          # the head alone, then the body in its own send
        time.sleep(0.05)
        b.send(body)
    r = b.getresponse()
    answer = r.read()
    ok = r.status == 200 and r.getheader("X-Body-Sha256") == hashlib.sha256(answer).hexdigest()
    res[rid] = [r.status if ok or r.status != 200 else 599, b.sock.getsockname()[1]]
b.close()

s = socket.create_connection(("127.0.0.1", users), timeout=10)
s.sendall(b"".join(b"GET /users?rid=%d HTTP/1.1\r\nHost: x\r\n\r\n" % rid for rid in (41, 42)))
buf, statuses = b"", []
while len(statuses) < 2:  # parse whole answers (Content-Length framed) as they come
    head_end = buf.find(b"\r\n\r\n")
    if head_end >= 0:
        head = buf[:head_end].decode("latin-1").split("\r\n")
        n = next((int(h.split(":", 1)[1]) for h in head if h.lower().startswith("content-length:")), 0)
        if len(buf) >= head_end + 4 + n:
            statuses.append(int(head[0].split(" ")[1]))
            buf = buf[head_end + 4 + n:]
            continue
    if time.monotonic() > deadline:
        sys.exit("inject_client: pipelined answers incomplete: %r" % buf[:300])
    part = s.recv(65536)
    if not part:
        break
    buf += part
lp = s.getsockname()[1]
s.close()
for rid, st in zip((41, 42), statuses + [0, 0]):
    res[rid] = [st, lp]
print(json.dumps({"pid": os.getpid(), "results": res}))
