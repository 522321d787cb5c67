#!/usr/bin/env bash
# (y2) PostgreSQL 15 over TLS: dblib's cluster (started once for the file),
# then ssl=on (self-signed server.crt/server.key in the data directory,
# owned by postgres, mode 0600) and log_connections=on by ALTER SYSTEM and a
# reload. Three connections, all sslmode=require (gssencmode=disable, so
# libpq's first message is the SSLRequest):
#   psql #1: 4 statements and one the server cannot parse (-c each, one
#            connection), psql #2: 2 statements, one answering 100 kB (more
#            than a TLS record), tls/pg_tls_client.py (psycopg2,
#            autocommit): 5 statements, one a 1 MiB INSERT.
# Each connection asks pg_stat_ssl about itself (ssl = t, its TLS version)
# and the server's log says "SSL enabled" for each: the connections really
# were TLS. Expected: the statements the server logged are exactly those 11
# (+1 unparsable), and there are that many PostgreSQL CLIENT and SERVER
# spans (12 each), with db.system.name=postgresql, db.namespace=ztdb,
# tls.protocol.name=tls, the redacted texts in order, rows, the error's
# SQLSTATE; every SERVER span joined to its statement's CLIENT span; the
# password nowhere in the output. Final line: tls_unbound=0,
# parse_misses=0, postgresql_misses=0, ringbuf_drops=0, tls_conns=6 (both
# ends of 3 connections), tls_libs >= 1.
#
# OpenSSL calls (gdb breakpoints on libssl.so.3's SSL_read(_ex) and
# SSL_write(_ex), for psql, psycopg2 and a backend): SSL_read and SSL_write
# only, never the _ex forms. libpq (psql, psycopg2): one SSL_write per batch
# of messages (the 1 MiB query in one call), SSL_read with all the room its
# input buffer has (16384 .. 131072 for the 100 kB row). The backend:
# SSL_read(8192) and SSL_write of at most 8192 bytes (its send buffer).
# Both read and write the socket inside those calls on the same thread
# (libpq: SSL_set_fd; the backend: its own socket BIO), which is how the
# agent ties a call to its connection.
. "$(dirname "$0")/lib.sh"
. "$ZT_LIB_DIR/dblib.sh"
zt_init
. "$ZT_LIB_DIR/tls/tlslib.sh"
command -v openssl >/dev/null || zt_fail "openssl not installed"
"$PY" -c 'import psycopg2' 2>/dev/null || zt_fail "python3-psycopg2 not installed"

zt_pg_start
# TLS on: the key and certificate where ssl_cert_file/ssl_key_file look by
# default (the data directory), readable by postgres only.
zt_tls_cert "$PG_DATA/server.key" "$PG_DATA/server.crt"
chown postgres:postgres "$PG_DATA/server.key" "$PG_DATA/server.crt"
chmod 0600 "$PG_DATA/server.key" "$PG_DATA/server.crt"
"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK_DIR" -p "$PG_PORT" -U postgres -d postgres \
	-c "ALTER SYSTEM SET ssl = on" -c "ALTER SYSTEM SET log_connections = on" \
	-c "SELECT pg_reload_conf()" >"$TMP/pg/ssl-setup.log" 2>&1 ||
	_zt_db_fail "turning ssl on failed" "$TMP/pg/ssl-setup.log" "$PG_LOG"
CONNSTR="host=127.0.0.1 port=$PG_PORT sslmode=require gssencmode=disable connect_timeout=10"
# the reload is asynchronous: wait (at most 50 tries, 10 s) until a TLS
# connection works
t0=$(_zt_db_ms)
for ((i = 0; i < 50; i++)); do
	got=$(timeout 5 "$PG_BIN/psql" "$CONNSTR" -X -A -t -c "select ssl from pg_stat_ssl where pid = pg_backend_pid()" 2>"$TMP/pg/ssl-probe.err")
	[ "$got" = t ] && break
	(($(_zt_db_ms) - t0 < 10000)) || break
	sleep 0.1
done
[ "$got" = t ] || _zt_db_fail "no TLS connection to postgres after ssl=on and a reload (got '$got')" \
	"$TMP/pg/ssl-probe.err" "$PG_LOG"
log "postgres: ssl on, a sslmode=require connection works"
export PG_PORT

zt_pg_log_mark
zt_agent_start --port "$PG_PORT" --metrics-addr off
BIG_ROW=100000 BIG_QUERY=1048576
export BIG_ROW BIG_QUERY
run_bounded 20 /dev/null "$TMP/psql1.out" "$TMP/psql1.err" \
	"$PG_BIN/psql" "$CONNSTR" -X -q -A -t -v ON_ERROR_STOP=0 \
	-c "select ssl, version from pg_stat_ssl where pid = pg_backend_pid()" \
	-c "create table tls_items (id int primary key, name text)" \
	-c "insert into tls_items values (1, 'one'), (2, 'two')" \
	-c "selec 1" \
	-c "select id, name from tls_items order by id"
PSQL1_RC=$? PSQL1_PID=$RB_PID
grep -q 'syntax error' "$TMP/psql1.err" || zt_fail "psql #1: the error statement did not fail (rc $PSQL1_RC): $(cat "$TMP/psql1.err")"
run_bounded 20 /dev/null "$TMP/psql2.out" "$TMP/psql2.err" \
	"$PG_BIN/psql" "$CONNSTR" -X -q -A -t -v ON_ERROR_STOP=1 \
	-c "select ssl from pg_stat_ssl where pid = pg_backend_pid()" \
	-c "select repeat('x', $BIG_ROW) as big" ||
	zt_fail "psql #2 failed: $(cat "$TMP/psql2.err")"
PSQL2_PID=$RB_PID
run_bounded 30 /dev/null "$TMP/psycopg2.json" "$TMP/psycopg2.err" \
	"$PY" "$ZT_LIB_DIR/tls/pg_tls_client.py" "$BIG_QUERY" ||
	zt_fail "pg_tls_client.py failed: $(tail -c 800 "$TMP/psycopg2.err")"
log "psql #1 (pid $PSQL1_PID, rc $PSQL1_RC): $(tr '\n' ' ' <"$TMP/psql1.out")"
log "psql #2 (pid $PSQL2_PID): $(head -n 1 "$TMP/psql2.out"), $(sed -n 2p "$TMP/psql2.out" | wc -c) bytes"
log "psycopg2: $(cut -c1-300 "$TMP/psycopg2.json")"
zt_settle 1
zt_pg_log_statements >"$TMP/statements.log"
tail -c "+$((PG_LOG_MARK + 1))" "$PG_LOG" | grep -c 'ERROR:  syntax error' >"$TMP/syntax_errors"
tail -c "+$((PG_LOG_MARK + 1))" "$PG_LOG" | grep 'LOG:  connection authorized:' >"$TMP/connections.log"
zt_settle
zt_agent_stop
export STMTS=$TMP/statements.log SYNTAX=$TMP/syntax_errors CONNS=$TMP/connections.log \
	AGENT_ERR=$ZT_AGENT_ERR FINAL=$ZT_FINAL PSQL1_PID PSQL2_PID \
	PSQL1_OUT=$TMP/psql1.out PSQL2_OUT=$TMP/psql2.out PYCLIENT=$TMP/psycopg2.json

zt_py_check <<'EOF'
from ztcheck import *
from tlscheck import *
import json, re
port = env("PG_PORT", int)
big_row, big_query = env("BIG_ROW", int), env("BIG_QUERY", int)
psql1, psql2 = env("PSQL1_PID", int), env("PSQL2_PID", int)
py = json.load(open(env("PYCLIENT")))

# ---- the connections were TLS, as the server saw them ----
out1 = open(env("PSQL1_OUT")).read().split("\n")
out2 = open(env("PSQL2_OUT")).read().split("\n")
eq(out1[:3], ["t|TLSv1.3", "1|one", "2|two"], "psql #1 output (pg_stat_ssl; the rows)")
eq(out2[0], "t", "psql #2: pg_stat_ssl.ssl of its own connection")
eq(len(out2[1]) if len(out2) > 1 else -1, big_row, "psql #2: length of the repeat() value")
eq(py["ssl"], [True, "TLSv1.3"], "psycopg2: pg_stat_ssl (ssl, version) of its own connection")
eq((py["name"], py["count"]), ("three", 4), "psycopg2: the row it read, the count")
conns = [l.rstrip("\n") for l in open(env("CONNS"))]
eq(len(conns), 3, "connections the server authorized (log_connections)")
check(all(re.search(r"user=zt database=ztdb .*SSL enabled \(protocol=TLSv1\.3", l) for l in conns),
      "a connection not logged as 'SSL enabled (protocol=TLSv1.3': %s" % conns)

# ---- the statements the server logged: exactly the ones sent ----
logged = [l.split("LOG:  ", 1)[1].rstrip("\n") for l in open(env("STMTS"))]
unparsed = int(open(env("SYNTAX")).read())
eq(unparsed, 1, "statements the server could not parse (selec 1)")
# (raw statement as logged, redacted db.query.text, operation, table, rows, process)
want = [
    ("select ssl, version from pg_stat_ssl where pid = pg_backend_pid()",
     "select ssl, version from pg_stat_ssl where pid = pg_backend_pid()", "SELECT", "pg_stat_ssl", 1, psql1),
    ("create table tls_items (id int primary key, name text)",
     "create table tls_items (id int primary key, name text)", "CREATE", "tls_items", None, psql1),
    ("insert into tls_items values (1, 'one'), (2, 'two')",
     "insert into tls_items values (?, ?), (?, ?)", "INSERT", "tls_items", None, psql1),
    (None, "selec ?", None, None, None, psql1),  # the error: logged as ERROR, not as a statement
    ("select id, name from tls_items order by id",
     "select id, name from tls_items order by id", "SELECT", "tls_items", 2, psql1),
    ("select ssl from pg_stat_ssl where pid = pg_backend_pid()",
     "select ssl from pg_stat_ssl where pid = pg_backend_pid()", "SELECT", "pg_stat_ssl", 1, psql2),
    ("select repeat('x', %d) as big" % big_row, "select repeat(?, ?) as big", "SELECT", "", 1, psql2),
    ("select ssl, version from pg_stat_ssl where pid = pg_backend_pid()",
     "select ssl, version from pg_stat_ssl where pid = pg_backend_pid()", "SELECT", "pg_stat_ssl", 1, py["pid"]),
    ("insert into tls_items values (3, 'three')",
     "insert into tls_items values (?, ?)", "INSERT", "tls_items", None, py["pid"]),
    ("insert into tls_items values (4, '%s')" % ("y" * big_query),
     "insert into tls_items values (?, ?)", "INSERT", "tls_items", None, py["pid"]),
    ("select name from tls_items where id = 3",
     "select name from tls_items where id = ?", "SELECT", "tls_items", 1, py["pid"]),
    ("select count(*) from tls_items",
     "select count(*) from tls_items", "SELECT", "tls_items", 1, py["pid"]),
]
BIG_I = 9
want_logged = ["statement: " + w[0] for w in want if w[0] is not None]
eq(len(logged), len(want_logged), "statements the server logged")
eq([l[:200] for l in logged], [l[:200] for l in want_logged], "the statements the server logged (first 200 chars)")
check(len(logged) == len(want_logged) and logged == want_logged,
      "the logged statements differ from the ones sent (beyond their first 200 characters)")
N = len(want)

# ---- the spans ----
S = load()
pg = [s for s in S if attr(s, "db.system.name") == "postgresql"]
eq(len(pg), len(S), "every span is a PostgreSQL span")
cli = [s for s in pg if s.get("kind") == "CLIENT"]
srv = [s for s in pg if s.get("kind") == "SERVER"]
eq(len(cli), len(logged) + unparsed, "CLIENT spans == statements the server logged (+ the unparsable one)")
eq(len(srv), len(logged) + unparsed, "SERVER spans == statements the server logged (+ the unparsable one)")
eq(len(cli), N, "CLIENT spans == statements sent")

def text(s, i):
    t = attr(s, "db.query.text")
    # the 1 MiB INSERT: its text may be cut, the literal still becomes ?
    if i == BIG_I and isinstance(t, str) and t.startswith("insert into tls_items values (?, ?"):
        return "insert into tls_items values (?, ?)"
    return t

for kind, spans in (("CLIENT", cli), ("SERVER", srv)):
    eq([text(s, i) for i, s in enumerate(spans)], [w[1] for w in want][:len(spans)],
       "%s db.query.text sequence" % kind)
    for i, s in enumerate(spans[:N]):
        raw, red, op, table, rows, pid = want[i]
        where = "%s #%d %s" % (kind, i, red)
        a = {"db.namespace": "ztdb", "server.address": "127.0.0.1", "server.port": port,
             "network.peer.port": port if kind == "CLIENT" else attr(s, "client.port")}
        if kind == "CLIENT":
            a["process.pid"] = pid
            a["process.executable.name"] = "psql" if pid in (psql1, psql2) else is_python_exe
        else:
            a["process.executable.name"] = "postgres"
        if op is not None:
            a["db.operation.name"] = op
        if table:
            a["db.collection.name"] = table
        if rows is not None:
            a["db.response.returned_rows"] = rows
        if raw is None:
            a["db.response.status_code"] = "42601"
        expect_span(s, where, kind=kind, attrs=a,
                    no_attrs=([] if raw is None else ["db.response.status_code"]) + ["url.scheme"])
        expect_tls(s, where, http=False)

# three connections: psql #1, psql #2, psycopg2 (its port as it saw it)
ports = [attr(s, "client.port") for s in cli]
eq(len(set(ports)), 3, "client ports among CLIENT spans (3 connections)")
if len(ports) == N:
    eq(ports[7:], [py["local_port"]] * 5, "client.port of psycopg2's statements")
    eq(len({ports[0], ports[4]}), 1, "psql #1's statements on one connection")
eq(sorted(attr(s, "client.port") for s in srv), sorted(ports), "SERVER spans' client ports == CLIENT spans'")
eq(len({attr(s, "process.pid") for s in srv}), 3, "backend pids among SERVER spans (one per connection)")

# rule 2: each SERVER span joins its statement's CLIENT span
by_id = {s["span_id"]: s for s in cli}
for i, s in enumerate(srv):
    c = by_id.get(s.get("parent_span_id"))
    check(c is not None and c.get("trace_id") == s.get("trace_id") and
          attr(c, "client.port") == attr(s, "client.port") and text(c, i) == text(s, i),
          "SERVER #%d %s is not the child of its statement's CLIENT span" % (i, attr(s, "db.query.text", "")[:80]))
for i, c in enumerate(cli):
    eq(c.get("parent_span_id"), "", "CLIENT #%d parent (the clients are roots)" % i)

for path in (env("ZT_SPANS"), env("AGENT_ERR")):
    check("zt-pw" not in open(path, errors="replace").read(), "the password appears in %s" % path)

C = final_counters()
for k in ("tls_unbound", "parse_misses", "postgresql_misses", "ringbuf_drops"):
    counter_eq(C, k, 0)
counter_eq(C, "tls_conns", 6, "both ends of 3 connections")
counter_between(C, "tls_libs", 1, 64, "libssl.so.3 at least")
counter_between(C, "tls_bytes", 2 * (big_query + big_row), 2 * (big_query + big_row) * 11 // 10 + 2 * 3 * 65536,
                "ciphertext at both ends: the two big messages and more")
note_counters(C, ("conns", "tls_conns", "tls_conn_resets", "tls_bytes", "tls_libs", "tls_unbound",
                  "postgresql_spans", "events"))
done()
EOF
zt_pass
