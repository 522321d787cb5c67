#!/usr/bin/env bash
# (w) MariaDB (Debian's mariadb-server, mariadb-install-db into a temp
# datadir, password auth, general log, max_allowed_packet=64M) for the whole
# file: the mariadb client (queries, USE, an error), server-side prepared
# statements through libmariadb (mysql_stmt_client.c), python3-pymysql inside
# a traced HTTP handler and one 20 MiB query. Expected counts come from the
# server's general log: one CLIENT and one SERVER span per Query, Prepare,
# Execute and Init DB it logged; executes carry their statement's text; the
# error its code; the handler's statements are children of its SERVER span.
. "$(dirname "$0")/lib.sh"
. "$ZT_LIB_DIR/dblib.sh"
zt_init

command -v mariadb_config >/dev/null || zt_fail "mariadb_config missing (libmariadb-dev: scripts/install-deps.sh)"
# shellcheck disable=SC2046 # the flags are words
gcc -O2 -Wall -Wextra -Werror -o "$TMP/mysql_stmt_client" "$ZT_LIB_DIR/mysql_stmt_client.c" \
	$(mariadb_config --cflags --libs) || zt_fail "cannot build mysql_stmt_client"
zt_mariadb_start
SVC_PORT=$(zt_free_port 4)
zt_bg dbsvc "$PY" "$ZT_LIB_DIR/services/dbsvc.py" --port "$SVC_PORT"
SVC_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$SVC_PORT" 10
export MYSQL_PORT SVC_PORT SVC_PID

zt_agent_start --port "$MYSQL_PORT" --port "$SVC_PORT" --ringbuf-size 64M
zt_mysql_log_mark

M=(mariadb -h 127.0.0.1 -P "$MYSQL_PORT" -u zt -pzt-pw --skip-ssl ztdb)
"${M[@]}" -e "select 1; create table if not exists t1 (a int, b varchar(20)); insert into t1 values (1, 'one'), (2, 'it''s two'), (3, 'three'); select a, b from t1 where a > 1" \
	>"$TMP/cli.out" 2>&1 || zt_fail "mariadb client failed: $(cat "$TMP/cli.out")"
"${M[@]}" -e "use information_schema; select count(*) from schemata" >>"$TMP/cli.out" 2>&1 || zt_fail "USE failed: $(cat "$TMP/cli.out")"
"${M[@]}" -e "selec 1" >>"$TMP/cli.out" 2>&1 && zt_fail "the error statement did not fail"
grep -q 'ERROR 1064' "$TMP/cli.out" || zt_fail "no syntax error: $(cat "$TMP/cli.out")"
"$TMP/mysql_stmt_client" "$MYSQL_PORT" 30 >"$TMP/stmt.out" 2>&1 || zt_fail "mysql_stmt_client failed: $(cat "$TMP/stmt.out")"
[ "$(cat "$TMP/stmt.out")" = "rows 5 10 30" ] || zt_fail "prepared SELECTs read $(cat "$TMP/stmt.out")"
"$PY" - "$MYSQL_PORT" >"$TMP/big.out" 2>&1 <<'EOF' || zt_fail "the 20 MiB query failed: $(cat "$TMP/big.out")"
import sys, pymysql
c = pymysql.connect(host="127.0.0.1", port=int(sys.argv[1]), user="zt", password="zt-pw", database="ztdb")
with c.cursor() as cur:
    cur.execute("SELECT LENGTH(%s)", ("x" * (20 << 20),))
    n = cur.fetchone()[0]
assert n == 20 << 20, n
print(n)
EOF
for rid in $(seq 1 20); do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$SVC_PORT/mysql?rid=$rid")
	[ "$code" = 200 ] || zt_fail "GET /mysql?rid=$rid answered $code: $(tail -3 "$TMP/dbsvc.err")"
done
zt_settle 1
for c in Query Prepare Execute 'Init DB'; do
	echo "$c $(zt_mysql_log_count "$c")"
done >"$TMP/counts"
zt_mysql_log_lines Execute >"$TMP/executes"
zt_settle
zt_agent_stop
export COUNTS=$TMP/counts EXECUTES=$TMP/executes AGENT_ERR=$ZT_AGENT_ERR

zt_py_check <<'EOF'
from ztcheck import *
import collections
port, svc_pid = env("MYSQL_PORT", int), env("SVC_PID", int)
logged = {}
for line in open(env("COUNTS")):
    cmd, n = line.rsplit(" ", 1)
    logged[cmd] = int(n)
note("the server logged %s" % logged)
S = load()
my = [s for s in S if attr(s, "db.system.name") in ("mariadb", "mysql")]
http = [s for s in S if "http.request.method" in s.get("attributes", {})]
eq(len(my) + len(http), len(S), "every span is a MariaDB or an HTTP span")
check(all(attr(s, "db.system.name") == "mariadb" for s in my), "db.system.name from the greeting")
cli = [s for s in my if s["kind"] == "CLIENT"]
srv = [s for s in my if s["kind"] == "SERVER"]
note("CLIENT operations: %s" % dict(collections.Counter(attr(s, "db.operation.name") for s in cli)))
total = sum(logged.values())
eq(len(cli), total, "CLIENT spans == Query + Prepare + Execute + Init DB the server logged")
eq(len(srv), total, "SERVER spans == the same")
for spans, kind in ((cli, "CLIENT"), (srv, "SERVER")):
    prep = [s for s in spans if attr(s, "db.operation.name") == "PREPARE"]
    eq(len(prep), logged["Prepare"], "%s PREPARE spans" % kind)
    init = [s for s in spans if attr(s, "db.operation.name") == "INIT_DB"]
    eq(len(init), logged["Init DB"], "%s INIT_DB spans" % kind)
    ins = [s for s in spans if attr(s, "db.query.text") == "INSERT INTO zt_items (id, name) VALUES (?, ?)"
           and attr(s, "db.operation.name") == "INSERT"]
    eq(len(ins), 30, "%s executes of the prepared INSERT, with its text" % kind)
    sel = [s for s in spans if attr(s, "db.query.text") == "SELECT id, name FROM zt_items WHERE id <= ? ORDER BY id"
           and attr(s, "db.operation.name") == "SELECT"]
    eq([attr(s, "db.response.returned_rows") for s in sel], [5, 10, 30],
       "%s executes of the prepared SELECT: rows" % kind)
    for s in sel:
        eq(s["name"], "SELECT zt_items", "its name")
execs = open(env("EXECUTES")).read()
eq(execs.count("INSERT INTO zt_items"), 30, "INSERT executes in the general log")

# the error, with its code
err = [s for s in cli if attr(s, "db.response.status_code")]
eq([attr(s, "db.response.status_code") for s in err], ["1064"], "CLIENT error spans")
for s in err:
    eq(s.get("name"), "SELEC", "the error statement's name")
# rows of a text result set, and the namespace after USE
rows = [s for s in cli if attr(s, "db.query.text") == "select a, b from t1 where a > ?"]
eq([attr(s, "db.response.returned_rows") for s in rows], [2], "rows of the t1 SELECT")
cnt = [s for s in cli if attr(s, "db.query.text") == "select count(*) from schemata"]
eq([attr(s, "db.namespace") for s in cnt], ["information_schema"], "db.namespace after USE")
# the 20 MiB query: one request of its whole size
big = [s for s in cli if attr(s, "db.query.text", "").startswith("SELECT LENGTH(?")]
eq(len(big), 1, "CLIENT spans of the 20 MiB query")
for s in big:
    check(attr(s, "db.namespace") == "ztdb", "its namespace %r" % attr(s, "db.namespace"))
    dur_ms = (s["end_time_unix_nano"] - s["start_time_unix_nano"]) / 1e6
    note("20 MiB query: %.1f ms" % dur_ms)

# rule 2: each SERVER span joins its CLIENT span
joined = joined_to_client(srv, cli, lambda c, s: attr(c, "db.operation.name") == attr(s, "db.operation.name"))
eq(len(joined), len(srv), "SERVER spans joined to their CLIENT span")
# rule 3: the handler's statements are children of its SERVER span
mine = [s for s in cli if attr(s, "process.pid") == svc_pid]
check(len(mine) >= 40, "MariaDB CLIENT spans of the handler: %d" % len(mine))
expect_children_of_handler(mine, http, svc_pid, "/mysql", 20, "handler statement")
expect_secret_absent("zt-pw", (env("ZT_SPANS"), env("AGENT_ERR")))
done()
EOF
for k in ringbuf_drops mysql_misses bad_events; do
	v=$(zt_final "$k")
	[ "$v" = 0 ] || zt_fail "final $k=$v, expected 0 ($ZT_FINAL)"
done
zt_pass
