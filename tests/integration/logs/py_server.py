#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Python server of test_sd_logs: http.server's ThreadingHTTPServer
(HTTP/1.0: a thread per connection, one request each), whose handlers write
log lines the way Python programs do, each line ONE write(2):

  GET /work?rid=N   three lines while the request is served, before the
                    response:
                      stdout  print(..., flush=True)
                              "INFO rid=N stdout line token=t0kN"
                      --log   logging.FileHandler (open(..., "a"): O_APPEND)
                              "[error] rid=N file line"
                      stderr  logging.StreamHandler(sys.stderr), a JSON line
                              {"level": "warning", "rid": N, "msg": "json line",
                               "password": "hunter2"}
                    answers 200 "ok rid=N\n" (Content-Length)
  GET /multi?rid=N  two lines in ONE write to stdout ("INFO multi rid=N a\n
                    INFO multi rid=N b\n") and a line without its end, alone
                    in --partial-log ("INFO partial rid=N"): no record may
                    come of either; answers 200
  anything else     404, no line

After the connection was answered and closed, the same thread writes
"INFO rid=N after response" to stdout: a line outside any request (rid 0
when the request had none). http.server's own access log is off, and
stdout's writers share one lock, so no line is ever split or joined with
another thread's. The log file is opened at start (as long-running services
do), before any agent starts.

A thread that never reads a request (the main thread, the "ticker" that
writes "INFO tick outside any request" to stdout every 50 ms) is no server
thread: its lines are not records at all.

Run it WITHOUT -u or PYTHONUNBUFFERED (it refuses): unbuffered, print
writes the text and its end in two write(2)s, two pieces of a line, and so
does the "after response" line (logging's handlers write msg+"\n" at once
either way).

Usage: py_server.py --port P --log FILE --partial-log FILE [--host H]
Prints "ready <pid> <port>" on stdout once listening.
"""
import argparse
import json
import logging
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

OUT_LOCK = threading.Lock()
FILE_LOG = logging.getLogger("zt.file")
JSON_LOG = logging.getLogger("zt.json")
PARTIAL = {"fd": -1}


def out(line):
    """One stdout line, one write(2): print writes the text and the end
    separately into the buffer, flush=True sends both at once; the lock keeps
    another thread's print from landing between them."""
    with OUT_LOCK:
        print(line, flush=True)


class FileFormatter(logging.Formatter):
    def format(self, record):
        return "[%s] %s" % (record.levelname.lower(), record.getMessage())


class JsonFormatter(logging.Formatter):
    def format(self, record):
        return json.dumps({"level": record.levelname.lower(), "rid": record.rid,
                           "msg": record.getMessage(), "password": "hunter2"},
                          separators=(",", ":"))


def rid_of(query):
    try:
        return int(parse_qs(query).get("rid", ["0"])[0])
    except ValueError:
        return 0


class Handler(BaseHTTPRequestHandler):
    server_version = "zt-logs"
    sys_version = ""

    def log_message(self, fmt, *args):  # no access log: every line is ours
        pass

    def answer(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urlsplit(self.path)
        rid = rid_of(u.query)
        threading.current_thread().zt_rid = rid
        if u.path == "/work":
            out("INFO rid=%d stdout line token=t0k%d" % (rid, rid))
            FILE_LOG.error("rid=%d file line", rid)
            JSON_LOG.warning("json line", extra={"rid": rid})
            self.answer(200, b"ok rid=%d\n" % rid)
        elif u.path == "/multi":
            with OUT_LOCK:
                sys.stdout.write("INFO multi rid=%d a\nINFO multi rid=%d b\n" % (rid, rid))
                sys.stdout.flush()
            os.write(PARTIAL["fd"], b"INFO partial rid=%d" % rid)
            self.answer(200, b"ok rid=%d\n" % rid)
        else:
            self.answer(404, b"not found\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def process_request_thread(self, request, client_address):
        # the request was answered and its connection shut down and closed:
        # what the thread writes now is outside any request
        threading.current_thread().zt_rid = 0
        super().process_request_thread(request, client_address)
        out("INFO rid=%d after response" % threading.current_thread().zt_rid)


def ticker():
    while True:
        out("INFO tick outside any request")
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--partial-log", required=True)
    a = ap.parse_args()
    if sys.stdout.write_through:
        sys.exit("py_server.py: stdout is unbuffered (-u or PYTHONUNBUFFERED): print would "
                 "write each line in two pieces; run it without")
    fh = logging.FileHandler(a.log, mode="a")
    fh.setFormatter(FileFormatter())
    FILE_LOG.addHandler(fh)
    FILE_LOG.propagate = False
    FILE_LOG.setLevel(logging.INFO)
    sh = logging.StreamHandler(sys.stderr)
    sh.setFormatter(JsonFormatter())
    JSON_LOG.addHandler(sh)
    JSON_LOG.propagate = False
    JSON_LOG.setLevel(logging.INFO)
    PARTIAL["fd"] = os.open(a.partial_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    srv = Server((a.host, a.port), Handler)
    threading.Thread(target=ticker, name="ticker", daemon=True).start()
    out("ready %d %d" % (os.getpid(), srv.server_address[1]))
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
