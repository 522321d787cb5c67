#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""An HTTP service whose handlers call databases with their usual Python
clients (python3-redis, python3-psycopg2, python3-pymysql), unmodified as
far as tracing goes: the database spans of one request must come out as
children of that request's SERVER span.

    GET /redis?rid=N   SET rid:N, GET rid:N, INCR hits       (3 Redis commands)
    GET /pg?rid=N      SELECT %s::int, UPDATE ... (2 statements, parameters bound
                       client-side by psycopg2: simple queries)
    GET /mysql?rid=N   SELECT %s, INSERT ... (2 statements, pymysql)

Each serving thread keeps its own client connection (created on its first
request). Environment: REDIS_PORT, REDIS_PASSWORD; PGHOST/PGPORT/PGUSER/
PGPASSWORD/PGDATABASE; MYSQL_PORT (user zt, password zt-pw, database ztdb).
Usage: dbsvc.py --port P. Prints "ready <pid>" once listening; one line per
request on stderr ("PATH rid STATUS").
"""
import argparse
import http.server
import os
import sys
import threading
import urllib.parse

LOCAL = threading.local()


def redis_conn():
    if not hasattr(LOCAL, "redis"):
        import redis
        LOCAL.redis = redis.Redis(host="127.0.0.1", port=int(os.environ["REDIS_PORT"]),
                                  password=os.environ.get("REDIS_PASSWORD") or None)
    return LOCAL.redis


def pg_conn():
    if not hasattr(LOCAL, "pg"):
        import psycopg2
        LOCAL.pg = psycopg2.connect(sslmode="disable")
        LOCAL.pg.autocommit = True
        with LOCAL.pg.cursor() as c:
            c.execute("CREATE TABLE IF NOT EXISTS zt_hits (rid int PRIMARY KEY, n int)")
    return LOCAL.pg


def mysql_conn():
    if not hasattr(LOCAL, "mysql"):
        import pymysql
        LOCAL.mysql = pymysql.connect(host="127.0.0.1", port=int(os.environ["MYSQL_PORT"]),
                                      user="zt", password="zt-pw", database="ztdb",
                                      autocommit=True)
        with LOCAL.mysql.cursor() as c:
            c.execute("CREATE TABLE IF NOT EXISTS zt_hits (rid int PRIMARY KEY, n int)")
    return LOCAL.mysql


def do_redis(rid):
    r = redis_conn()
    r.set("rid:%d" % rid, rid)
    if int(r.get("rid:%d" % rid)) != rid:
        raise RuntimeError("redis read back a different value")
    r.incr("hits")


def do_pg(rid):
    with pg_conn().cursor() as c:
        c.execute("SELECT %s::int AS rid", (rid,))
        if c.fetchone()[0] != rid:
            raise RuntimeError("postgres answered a different rid")
        c.execute("INSERT INTO zt_hits VALUES (%s, 1) ON CONFLICT (rid) DO UPDATE SET n = zt_hits.n + 1",
                  (rid,))


def do_mysql(rid):
    with mysql_conn().cursor() as c:
        c.execute("SELECT %s AS rid", (rid,))
        if int(c.fetchone()[0]) != rid:
            raise RuntimeError("mariadb answered a different rid")
        c.execute("INSERT INTO zt_hits VALUES (%s, 1) ON DUPLICATE KEY UPDATE n = n + 1", (rid,))


ROUTES = {"/redis": do_redis, "/pg": do_pg, "/mysql": do_mysql}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        rid = int(urllib.parse.parse_qs(u.query).get("rid", ["0"])[0])
        status, body = 200, b"ok\n"
        try:
            ROUTES[u.path](rid)
        except KeyError:
            status, body = 404, b"no such route\n"
        except Exception as e:  # the test sees the status and the reason
            status, body = 500, ("%s\n" % e).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        sys.stderr.write("%s %d %d\n" % (u.path, rid, status))
        sys.stderr.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    a = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    print("ready %d" % os.getpid(), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
