#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""psycopg2 (libpq: SSL_write / SSL_read of libssl.so.3) over TLS:
sslmode=require, connection settings from PG* (PGHOST, PGPORT, PGUSER,
PGPASSWORD, PGDATABASE, as dblib's zt_pg_start exports them). Autocommit, so
psycopg2 sends no BEGIN: every statement below is one simple query.

  1 select ssl, version from pg_stat_ssl where pid = pg_backend_pid()
  2 insert into tls_items values (3, 'three')
  3 insert into tls_items values (4, '<BIG bytes of y>')   (a query bigger
                                                            than a TLS record)
  4 select name from tls_items where id = 3
  5 select count(*) from tls_items

Usage: pg_tls_client.py BIG
Prints one JSON line: {"pid", "local_port", "ssl": [ssl, version], "name",
"count", "statements": 5}.
"""
import json
import os
import socket
import sys

import psycopg2

big = int(sys.argv[1])
conn = psycopg2.connect("sslmode=require gssencmode=disable connect_timeout=10")
conn.autocommit = True
s = socket.fromfd(conn.fileno(), socket.AF_INET, socket.SOCK_STREAM)
local_port = s.getsockname()[1]
s.close()
cur = conn.cursor()
cur.execute("select ssl, version from pg_stat_ssl where pid = pg_backend_pid()")
ssl_row = list(cur.fetchone())
cur.execute("insert into tls_items values (%s, %s)", (3, "three"))
cur.execute("insert into tls_items values (%s, %s)", (4, "y" * big))
cur.execute("select name from tls_items where id = %s", (3,))
name = cur.fetchone()[0]
cur.execute("select count(*) from tls_items")
count = cur.fetchone()[0]
conn.close()
print(json.dumps({"pid": os.getpid(), "local_port": local_port, "ssl": ssl_row,
                  "name": name, "count": count, "statements": 5}))
