#!/usr/bin/env bash
# (v) PostgreSQL 15: one cluster (initdb + postgres, password auth over TCP,
# log_statement=all) for the whole file. psql simple queries (one an error,
# COPY in and out), pgbench -i, pgbench -c 4 -t 200 -M simple and
# -M prepared, python3-psycopg2 inside a traced HTTP handler. Expected counts
# come from the server's statement log: one CLIENT and one SERVER span per
# statement it logged; prepared executes carry their statement's text; the
# error its SQLSTATE; the handler's statements are children of its SERVER span.
. "$(dirname "$0")/lib.sh"
. "$ZT_LIB_DIR/dblib.sh"
zt_init

zt_pg_start
SVC_PORT=$(zt_free_port 4)
zt_bg dbsvc "$PY" "$ZT_LIB_DIR/services/dbsvc.py" --port "$SVC_PORT"
SVC_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$SVC_PORT" 10
export PG_PORT SVC_PORT SVC_PID

zt_agent_start --port "$PG_PORT" --port "$SVC_PORT" --ringbuf-size 64M
zt_pg_log_mark

psql -q -v ON_ERROR_STOP=0 >"$TMP/psql.out" 2>&1 <<'SQL'
select 1;
create table items (id int primary key, name text);
insert into items values (1, 'one'), (2, 'two'), (3, 'it''s three');
select id, name from items where id > 0;
selec 1;
\copy items from stdin
4	four
5	five
\.
copy items to stdout;
update items set name = 'x' where id = 4; select count(*) from items
SQL
grep -q 'syntax error' "$TMP/psql.out" || zt_fail "the error statement did not fail: $(cat "$TMP/psql.out")"
"$PG_BIN/pgbench" -i -s 1 -q >"$TMP/pgbench-i.out" 2>&1 || zt_fail "pgbench -i failed: $(tail -5 "$TMP/pgbench-i.out")"
for mode in simple prepared; do
	log "pgbench -c 4 -t 200 -M $mode"
	"$PG_BIN/pgbench" -c 4 -t 200 -M "$mode" >"$TMP/pgbench-$mode.out" 2>&1 ||
		zt_fail "pgbench -M $mode failed: $(tail -5 "$TMP/pgbench-$mode.out")"
done
for rid in $(seq 1 20); do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$SVC_PORT/pg?rid=$rid")
	[ "$code" = 200 ] || zt_fail "GET /pg?rid=$rid answered $code: $(tail -3 "$TMP/dbsvc.err")"
done
zt_settle 1
zt_pg_log_statements >"$TMP/statements.log"
# a statement PostgreSQL cannot parse is logged as an ERROR with its
# STATEMENT, not as a statement: it ran (and failed) all the same
tail -c "+$((PG_LOG_MARK + 1))" "$PG_LOG" | grep -c 'ERROR:  syntax error' >"$TMP/syntax_errors"
zt_settle
zt_agent_stop
export STMTS=$TMP/statements.log SYNTAX=$TMP/syntax_errors AGENT_ERR=$ZT_AGENT_ERR

zt_py_check <<'EOF'
from ztcheck import *
import collections, re
port, svc_pid = env("PG_PORT", int), env("SVC_PID", int)
logged = [l.split("LOG:  ", 1)[1].rstrip("\n") for l in open(env("STMTS"))]
unparsed = int(open(env("SYNTAX")).read())
eq(unparsed, 1, "statements the server could not parse (selec 1)")
note("the server logged %d statements and %d it could not parse" % (len(logged), unparsed))
S = load()
pg = [s for s in S if attr(s, "db.system.name") == "postgresql"]
http = [s for s in S if "http.request.method" in s.get("attributes", {})]
eq(len(pg) + len(http), len(S), "every span is a PostgreSQL or an HTTP span")
cli = [s for s in pg if s["kind"] == "CLIENT"]
srv = [s for s in pg if s["kind"] == "SERVER"]
eq(len(cli), len(logged) + unparsed, "CLIENT spans == statements the server logged")
eq(len(srv), len(logged) + unparsed, "SERVER spans == statements the server logged")
for s in pg:
    eq(attr(s, "server.port"), port, "server.port of %s" % s["name"])
    eq(attr(s, "db.namespace"), "ztdb", "db.namespace of %s" % s["name"])

# prepared: every execute of pgbench's SELECT carries the text its Parse named
sel = "SELECT abalance FROM pgbench_accounts WHERE aid = $1;"
n_exec = sum(1 for l in logged if l.startswith("execute ") and l.endswith(": " + sel))
eq(n_exec, 800, "executes of the prepared SELECT in the log")
for spans, kind in ((cli, "CLIENT"), (srv, "SERVER")):
    got = [s for s in spans if attr(s, "db.query.text") == sel]
    eq(len(got), n_exec, "%s spans of the prepared SELECT, with its text" % kind)
    for s in got[:3]:
        eq(s["name"], "SELECT pgbench_accounts", "its name")
        eq(attr(s, "db.operation.name"), "SELECT", "its operation")
        eq(attr(s, "db.collection.name"), "pgbench_accounts", "its table")
        eq(attr(s, "db.response.returned_rows"), 1, "its rows")
# the simple-mode run: literals redacted
upd = [s for s in cli if attr(s, "db.query.text", "").startswith("UPDATE pgbench_accounts SET abalance")]
eq(len(upd), 1600, "CLIENT UPDATE pgbench_accounts spans (800 per mode)")
check(all(not re.search(r"\d", attr(s, "db.query.text").replace("$1", "").replace("$2", ""))
          for s in upd), "digits left in a redacted UPDATE: %s" % [attr(s, "db.query.text") for s in upd[:2]])

# the error, with its SQLSTATE
err = [s for s in cli if attr(s, "db.response.status_code")]
eq([attr(s, "db.response.status_code") for s in err], ["42601"], "CLIENT error spans")
for s in err:
    eq(attr(s, "db.query.text"), "selec ?;", "the error statement's text")
# rows and COPY
sel_items = [s for s in cli if attr(s, "db.query.text") == "select id, name from items where id > ?;"]
eq([attr(s, "db.response.returned_rows") for s in sel_items], [3], "rows of the items SELECT")
copies = collections.Counter(attr(s, "db.query.text") for s in cli if attr(s, "db.operation.name") == "COPY")
note("COPY spans: %s" % dict(copies))
check(len(copies) >= 3, "COPY in (psql \\copy and pgbench -i) and out: %s" % dict(copies))

# rule 2: each SERVER span joins its statement's CLIENT span
joined = joined_to_client(srv, cli, lambda c, s: attr(c, "db.query.text") == attr(s, "db.query.text"))
eq(len(joined), len(srv), "SERVER spans joined to their statement's CLIENT span")

# rule 3: the handler's statements are children of its SERVER span
mine = [s for s in cli if attr(s, "process.pid") == svc_pid]
check(len(mine) >= 40, "PostgreSQL CLIENT spans of the handler: %d" % len(mine))
expect_children_of_handler(mine, http, svc_pid, "/pg", 20, "handler statement")

# credentials
expect_secret_absent("zt-pw", (env("ZT_SPANS"), env("AGENT_ERR")))
done()
EOF
for k in ringbuf_drops postgresql_misses bad_events; do
	v=$(zt_final "$k")
	[ "$v" = 0 ] || zt_fail "final $k=$v, expected 0 ($ZT_FINAL)"
done
zt_pass
