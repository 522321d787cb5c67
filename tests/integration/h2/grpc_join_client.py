#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""One long-lived channel to grpc_server.py, for an agent that starts in
its middle: calls made before it fill both HPACK tables with what later
calls only reference.

    grpc_join_client.py PORT GO_FILE OUT.json

10 Say calls, then "warm" on stdout; once GO_FILE exists, one call at a
time: 10 Say, 10 Count (server streaming, 3 messages; never called
before, so its :path is sent as a literal once), 5 Say. Writes the paths
of the calls after GO_FILE, in order, as JSON. Exits 1 if a call fails.
"""
import json
import os
import sys
import time

import grpc


def main():
    port, go, out = sys.argv[1:4]
    ch = grpc.insecure_channel("127.0.0.1:%s" % port)
    say = ch.unary_unary("/zt.Echo/Say")
    count = ch.unary_stream("/zt.Echo/Count")
    for i in range(10):
        say(b"warm %d" % i, timeout=10)
    print("warm", flush=True)
    deadline = time.monotonic() + 60
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            sys.exit("no go")
        time.sleep(0.05)
    done = []
    for i in range(25):
        if 10 <= i < 20:
            if len(list(count(b"3", timeout=10))) != 3:
                sys.exit("Count %d: not 3 messages" % i)
            done.append("/zt.Echo/Count")
        else:
            if say(b"hello %d" % i, timeout=10) != b"echo:hello %d" % i:
                sys.exit("Say %d: wrong answer" % i)
            done.append("/zt.Echo/Say")
    ch.close()
    json.dump(done, open(out, "w"))


main()
