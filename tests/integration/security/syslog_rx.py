#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A syslog receiver for the security tests: one of --udp PORT, --tcp PORT
(RFC 6587 octet counting: "LEN SP MSG") or --unix PATH (datagrams), on
127.0.0.1; each message is appended to --out as one JSON line
{"transport": ..., "msg": "<the message text>"}. Prints "ready" once
bound; exits after --max-seconds (default 90) or on SIGTERM.
"""
import argparse
import json
import os
import select
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--udp", type=int)
    ap.add_argument("--tcp", type=int)
    ap.add_argument("--unix")
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-seconds", type=float, default=90)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if a.udp:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", a.udp))
        kind = "udp"
    elif a.tcp:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", a.tcp))
        s.listen(4)
        kind = "tcp"
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(a.unix)
        kind = "unix"
    out = open(a.out, "a", encoding="utf-8")
    print("ready", flush=True)
    end = time.monotonic() + a.max_seconds
    conns, bufs = [], {}

    def emit(raw):
        out.write(json.dumps({"transport": kind, "msg": raw.decode("utf-8", "replace")}) + "\n")
        out.flush()

    while time.monotonic() < end:
        r, _, _ = select.select([s] + conns, [], [], 0.2)
        for x in r:
            if x is s and kind == "tcp":
                c, _ = s.accept()
                conns.append(c)
                bufs[c] = b""
            elif x is s:
                emit(s.recv(65536))
            else:
                d = x.recv(65536)
                if not d:
                    conns.remove(x)
                    continue
                bufs[x] += d
                while b" " in bufs[x]:
                    n, rest = bufs[x].split(b" ", 1)
                    if not n.isdigit() or len(rest) < int(n):
                        break
                    emit(rest[:int(n)])
                    bufs[x] = rest[int(n):]
    return 0


if __name__ == "__main__":
    sys.exit(main())
