#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A gRPC server on grpcio (Debian's python3-grpcio), no generated code:
raw-bytes handlers for the HTTP/2 tests.

    grpc_server.py PORT

  /zt.Echo/Say        unary: "echo:" + the request; a request starting with
                      "fail" aborts INTERNAL, "missing" aborts NOT_FOUND
  /zt.Echo/Count      server streaming: the request is a count N (<= 100),
                      answered with N messages
Prints "ready" once listening.
"""
import sys
from concurrent import futures

import grpc


def say(req, ctx):
    if req.startswith(b"fail"):
        ctx.abort(grpc.StatusCode.INTERNAL, "boom")
    if req.startswith(b"missing"):
        ctx.abort(grpc.StatusCode.NOT_FOUND, "no such row")
    return b"echo:" + req


def count(req, ctx):
    for i in range(min(int(req or b"0"), 100)):
        yield b"item %d" % i


def main():
    port = int(sys.argv[1])
    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    srv.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("zt.Echo", {
        "Say": grpc.unary_unary_rpc_method_handler(say),
        "Count": grpc.unary_stream_rpc_method_handler(count),
    }),))
    srv.add_insecure_port("127.0.0.1:%d" % port)
    srv.start()
    print("ready", flush=True)
    srv.wait_for_termination()


main()
