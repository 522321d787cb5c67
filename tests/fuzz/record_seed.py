#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Records a real client/server conversation as a protocol fuzzer seed.

    record_seed.py LISTEN_PORT SERVER_PORT OUT [SECONDS]

Relays one connection at a time from 127.0.0.1:LISTEN_PORT to
127.0.0.1:SERVER_PORT and writes what each side sent, one step per recv,
in the script format of tests/fuzz/proto_fuzz.h: a byte 0 (client kind),
then per step: side (0 client, 1 server; mode 0, plain), the length (LE16),
a share byte, and the bytes. Stops after SECONDS (default 10) or when the
first connection closes.
"""
import select
import socket
import struct
import sys
import time


def main():
    lport, sport, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    secs = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", lport))
    ls.listen(1)
    ls.settimeout(secs)
    steps = bytearray([0])
    c, _ = ls.accept()
    s = socket.create_connection(("127.0.0.1", sport))
    end = time.monotonic() + secs
    peers = {c: (s, 0), s: (c, 1)}
    while time.monotonic() < end:
        r, _, _ = select.select(list(peers), [], [], 0.2)
        done = False
        for sock in r:
            data = sock.recv(65535)
            if not data:
                done = True
                break
            other, side = peers[sock]
            other.sendall(data)
            for i in range(0, len(data), 65535):
                part = data[i:i + 65535]
                steps += struct.pack("<BHB", side, len(part), 0) + part
        if done:
            break
    c.close()
    s.close()
    with open(out, "wb") as f:
        f.write(steps)


if __name__ == "__main__":
    main()
