#!/usr/bin/env python3
"""A DNS server on UDP that answers what no real one would: for the DNS test.

  tc.zt.test       a response with TC set and no answer (the client should
                   retry over TCP; `dig +ignore` does not)
  loop.zt.test     a response whose question is fine but whose one answer's
                   name is a compression pointer to itself
  garbage.zt.test  three bytes that are no message at all
  anything else    REFUSED

Usage: fake_resolver.py ADDR PORT (prints "ready" once bound)."""
import socket
import struct
import sys


def question_end(msg):
    i = 12
    while msg[i]:
        i += 1 + msg[i]
    return i + 1 + 4


def qname(msg):
    i, labels = 12, []
    while msg[i]:
        labels.append(msg[i + 1:i + 1 + msg[i]].decode())
        i += 1 + msg[i]
    return ".".join(labels)


def answer(msg):
    qid, qflags = struct.unpack("!HH", msg[:4])
    q = msg[12:question_end(msg)]
    name = qname(msg)
    rd = qflags & 0x0100
    if name == "garbage.zt.test":
        return b"\x00\x01\x02"
    if name == "tc.zt.test":
        return struct.pack("!HHHHHH", qid, 0x8000 | 0x0200 | rd | 0x0080, 1, 0, 0, 0) + q
    if name == "loop.zt.test":
        at = 12 + len(q)
        rr = struct.pack("!H", 0xC000 | at) + struct.pack("!HHIH", 1, 1, 60, 4) + b"\x0a\x00\x00\x01"
        return struct.pack("!HHHHHH", qid, 0x8000 | rd | 0x0080, 1, 1, 0, 0) + q + rr
    return struct.pack("!HHHHHH", qid, 0x8000 | rd | 0x0080 | 5, 1, 0, 0, 0) + q


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[1], int(sys.argv[2])))
    print("ready", flush=True)
    while True:
        msg, peer = s.recvfrom(4096)
        if len(msg) > 12:
            s.sendto(answer(msg), peer)


main()
