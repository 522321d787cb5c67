#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Pipelining: sends all GET requests in ONE send() on one connection, then
reads the responses (Content-Length framed) in order.

Usage: pipeline_client.py HOST PORT PATH...
Reads with recv(RECV_SIZE) (env ZT_RECV_SIZE, default 512, the agent's default
--capture-bytes): the point is pipelined *requests*; several responses
coalesced into one large read whose later heads lie beyond the capture limit
are a different (capture-size) matter, and would make the client side flaky.
Prints one JSON line: {"pid", "local_port", "send_calls": 1, "results": [[path, status, body_len], ...]}.
"""
import json
import os
import socket
import sys

host, port, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
RECV_SIZE = int(os.environ.get("ZT_RECV_SIZE", "512"))
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(10)
s.connect((host, port))
local_port = s.getsockname()[1]
hosthdr = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
payload = b"".join(
    ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: zt-pipeline\r\nAccept: */*\r\n\r\n"
     % (p, hosthdr)).encode() for p in paths)
sent = s.send(payload)  # one syscall; the payload is far below the socket buffer
if sent != len(payload):
    sys.exit("pipeline_client: short send %d/%d" % (sent, len(payload)))

buf = b""
results = []


def fill():
    global buf
    d = s.recv(RECV_SIZE)
    if not d:
        sys.exit("pipeline_client: connection closed after %d responses" % len(results))
    buf += d


for p in paths:
    while b"\r\n\r\n" not in buf:
        fill()
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    clen = 0
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        if k.strip().lower() == "content-length":
            clen = int(v.strip())
    while len(buf) < clen:
        fill()
    buf = buf[clen:]
    results.append([p, status, clen])
s.close()
print(json.dumps({"pid": os.getpid(), "local_port": local_port, "send_calls": 1,
                  "results": results}))
