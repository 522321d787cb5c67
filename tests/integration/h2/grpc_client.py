#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Drives grpc_server.py over one channel (one HTTP/2 connection), from
several threads at once so that streams interleave, and writes what it
did as JSON.

    grpc_client.py PORT N_OK N_FAIL N_MISSING N_STREAMS OUT.json

N_OK unary calls that succeed, N_FAIL that end INTERNAL, N_MISSING that end
NOT_FOUND, N_STREAMS server-streaming calls of 5 messages each; 8 threads.
Call j of the plan sends a request of 10 + j bytes (gRPC prefix apart), so
the test can tell every call's spans apart by http.request.body.size.
Exits 1 if any call ended otherwise than planned.
"""
import json
import sys
import threading

import grpc


def main():
    port, n_ok, n_fail, n_missing, n_streams, out = sys.argv[1:7]
    ch = grpc.insecure_channel("127.0.0.1:%s" % port)
    say = ch.unary_unary("/zt.Echo/Say")
    count = ch.unary_stream("/zt.Echo/Count")
    plan = [("ok", i) for i in range(int(n_ok))] + [("fail", i) for i in range(int(n_fail))] + \
        [("missing", i) for i in range(int(n_missing))] + [("stream", i) for i in range(int(n_streams))]
    got = {"ok": 0, "fail": 0, "missing": 0, "stream": 0, "wrong": []}
    lock = threading.Lock()

    def one(j, kind, i):
        try:
            if kind == "stream":
                items = list(count(b"5".ljust(10 + j), timeout=10))
                ok = len(items) == 5
            else:
                body = {"ok": b"hello", "fail": b"fail", "missing": b"missing"}[kind].ljust(10 + j, b".")
                ok = say(body, timeout=10) == b"echo:" + body and kind == "ok"
        except grpc.RpcError as e:
            ok = (kind, e.code()) in (("fail", grpc.StatusCode.INTERNAL),
                                      ("missing", grpc.StatusCode.NOT_FOUND))
        with lock:
            if ok:
                got[kind] += 1
            else:
                got["wrong"].append("%s %d" % (kind, i))

    def worker(k):
        for j, (kind, i) in enumerate(plan):
            if j % 8 == k:
                one(j, kind, i)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    ch.close()
    json.dump(got, open(out, "w"))
    print("grpc client: %s" % {k: v for k, v in got.items() if k != "wrong"}, file=sys.stderr)
    sys.exit(1 if got["wrong"] else 0)


main()
