// SPDX-License-Identifier: MIT
/* user/security/payload_rules.c: the rules one request is enough for. Each
 * attack form must trip its rule; each near miss a normal program sends
 * must not. SQL is given as the span holds it: literals already '?'. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "payload_rules.h"

#define PATH_TRIPS(p)   cr_expect_eq(payload_path_traversal((p), strlen(p)), 1, "path %s", (p))
#define PATH_OK(p)      cr_expect_eq(payload_path_traversal((p), strlen(p)), 0, "path %s", (p))
#define QUERY_TRIPS(q)  cr_expect_eq(payload_query_traversal((q), strlen(q)), 1, "query %s", (q))
#define QUERY_OK(q)     cr_expect_eq(payload_query_traversal((q), strlen(q)), 0, "query %s", (q))
#define REDIS_TRIPS(op) cr_expect_eq(payload_redis_dangerous(op), 1, "op %s", (op))
#define REDIS_OK(op)    cr_expect_eq(payload_redis_dangerous(op), 0, "op %s", (op))
#define EXEC_TRIPS(dialect, q)                                                  \
	cr_expect_eq(payload_sql_command_exec((dialect), (q), strlen(q)), 1, "%s: %s", (dialect), (q))
#define EXEC_OK(dialect, q)                                                     \
	cr_expect_eq(payload_sql_command_exec((dialect), (q), strlen(q)), 0, "%s: %s", (dialect), (q))
#define STACKED_TRIPS(q) cr_expect_eq(payload_sql_stacked((q), strlen(q)), 1, "%s", (q))
#define STACKED_OK(q)    cr_expect_eq(payload_sql_stacked((q), strlen(q)), 0, "%s", (q))
#define TAUT_TRIPS(q)    cr_expect_eq(payload_sql_tautology((q), strlen(q)), 1, "%s", (q))
#define TAUT_OK(q)       cr_expect_eq(payload_sql_tautology((q), strlen(q)), 0, "%s", (q))

#define BIT(r) (1u << (r))

/* "SELECT c0, c1, ..., c<n-1> FROM t": an ORM's column list, 4 tokens a column. */
static void long_select(char *out, size_t cap, int n)
{
	size_t o = (size_t)snprintf(out, cap, "SELECT ");

	for (int i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, cap - o, "%st.c%d", i ? ", " : "", i);
	snprintf(out + o, cap - o, " FROM t");
}

/* A span with string attributes (key, value pairs, NULL-terminated). */
static void span_with(struct span *s, const char *const *kv)
{
	memset(s, 0, sizeof(*s));
	for (; kv[0]; kv += 2)
		cr_assert_eq(span_attrs_cstr(&s->attrs, kv[0], kv[1]), 0);
}

/* --- path traversal --- */

Test(payload_rules, path_dotdot_segment)
{
	PATH_TRIPS("/../etc/passwd");
	PATH_TRIPS("/static/../../etc/passwd");
	PATH_TRIPS("/a/..");
	PATH_TRIPS("..");
	PATH_TRIPS("../x");
}

Test(payload_rules, path_dotdot_with_parameter)
{
	PATH_TRIPS("/a/..;/b");
	PATH_TRIPS("/a/..;jsessionid=1/b");
}

Test(payload_rules, path_percent_encoded)
{
	PATH_TRIPS("%2e%2e%2f");
	PATH_TRIPS("/%2e%2e%2fetc/passwd");
	PATH_TRIPS("/%2E%2E/etc/passwd");
	PATH_TRIPS("/cgi-bin/.%2e/.%2e/bin/sh"); /* CVE-2021-41773 */
	PATH_TRIPS("/..%2fetc");
}

Test(payload_rules, path_double_encoded)
{
	PATH_TRIPS("%252e%252e/");
	PATH_TRIPS("/%252e%252e%252fetc");
	PATH_TRIPS("/cgi-bin/%%32%65%%32%65/bin/sh"); /* CVE-2021-42013 */
	PATH_TRIPS("/%25252e%25252e/"); /* three rounds */
}

Test(payload_rules, path_backslash)
{
	PATH_TRIPS("..%5c");
	PATH_TRIPS("/..%5cwindows");
	PATH_TRIPS("/..\\windows");
	PATH_TRIPS("\\..\\x");
}

Test(payload_rules, path_overlong_utf8)
{
	PATH_TRIPS("%c0%ae%c0%ae/");
	PATH_TRIPS("/%c0%ae%c0%ae%c0%afetc");
	PATH_TRIPS("/..%c0%afetc");
	PATH_TRIPS("/%e0%80%ae%e0%80%ae/");
}

Test(payload_rules, path_iis_unicode)
{
	PATH_TRIPS("/%u002e%u002e%u2216etc");
	PATH_TRIPS("/%U002E%U002E/etc");
	PATH_TRIPS("/..%u2215etc");
}

Test(payload_rules, path_near_misses)
{
	PATH_OK("/a..b/");
	PATH_OK("/.../");
	PATH_OK("/..foo");
	PATH_OK("/files/x..");
	PATH_OK("/files/..x/y");
	PATH_OK("/./a/.");
	PATH_OK("/%2e/");
	PATH_OK("/%2e%2e%2e/");
	PATH_OK("/a/...;/b");
	PATH_OK("/");
	PATH_OK("");
	PATH_OK("/users/{id}/orders");
	PATH_OK("/%zz%2");
	PATH_OK("/100%25/x");
}

Test(payload_rules, path_reads_len_bytes_only)
{
	cr_expect_eq(payload_path_traversal("/a/../b", 3), 0);
	cr_expect_eq(payload_path_traversal("/a/../b", 5), 1);
}

Test(payload_rules, path_past_four_decodings_not_seen)
{
	/* three decoding rounds after the raw text: a fourth is none of ours */
	PATH_OK("/%2525252e%2525252e/");
}

/* --- query traversal --- */

Test(payload_rules, query_value_dotdot)
{
	QUERY_TRIPS("file=../etc/passwd");
	QUERY_TRIPS("a=1&file=..%2fsecret");
	QUERY_TRIPS("..&a=1");
	QUERY_TRIPS("page=%2e%2e%5cboot.ini");
	QUERY_TRIPS("x=/var/../etc");
}

Test(payload_rules, query_near_misses)
{
	QUERY_OK("q=...");
	QUERY_OK("range=1..5");
	QUERY_OK("v=a..b&w=..x");
	QUERY_OK("a=1&b=2");
	QUERY_OK("");
	/* a path segment is not split at '=' */
	PATH_OK("file=../etc/passwd");
}

/* --- Redis --- */

Test(payload_rules, redis_dangerous_commands)
{
	REDIS_TRIPS("CONFIG SET");
	REDIS_TRIPS("config set");
	REDIS_TRIPS("SLAVEOF");
	REDIS_TRIPS("REPLICAOF");
	REDIS_TRIPS("MODULE LOAD");
	REDIS_TRIPS("MODULE LOADEX");
}

Test(payload_rules, redis_near_misses)
{
	REDIS_OK("CONFIG GET");
	REDIS_OK("CONFIG");
	REDIS_OK("CONFIG SETX");
	REDIS_OK("MODULE LIST");
	REDIS_OK("SET");
	REDIS_OK("GET");
	REDIS_OK("SLAVEOFF");
	REDIS_OK("");
}

/* --- SQL that runs a program or touches server files --- */

Test(payload_rules, sql_copy_program)
{
	EXEC_TRIPS("postgresql", "COPY t FROM PROGRAM ?");
	EXEC_TRIPS("postgresql", "COPY (SELECT ?) TO PROGRAM ?");
	EXEC_TRIPS("postgresql", "copy t (a, b) from program ? with (format csv)");
	EXEC_TRIPS("postgresql", "  COPY\n\tt\nFROM\nPROGRAM ?");
}

Test(payload_rules, sql_copy_program_stacked_after_another_statement)
{
	EXEC_TRIPS("postgresql", "SELECT * FROM u WHERE id = ?; COPY t FROM PROGRAM ?");
	EXEC_TRIPS("postgresql", "SELECT ?;COPY t TO PROGRAM ?;");
}

Test(payload_rules, sql_copy_program_past_a_long_select)
{
	char q[2048], q2[2100];

	long_select(q, sizeof(q), 100);
	snprintf(q2, sizeof(q2), "%s; COPY x FROM PROGRAM ?", q);
	EXEC_TRIPS("postgresql", q2);
}

Test(payload_rules, sql_copy_near_misses)
{
	EXEC_OK("postgresql", "COPY t FROM STDIN");
	EXEC_OK("postgresql", "COPY t TO STDOUT");
	EXEC_OK("postgresql", "COPY t (a, b) FROM STDIN WITH (FORMAT csv)");
	EXEC_OK("postgresql", "SELECT * FROM program");           /* a table named program */
	EXEC_OK("postgresql", "SELECT program FROM t");
	EXEC_OK("postgresql", "INSERT INTO log SELECT * FROM program WHERE ? = ?");
	EXEC_OK("postgresql", "COPY t FROM STDIN; SELECT * FROM program");
	EXEC_OK("mysql", "COPY t FROM PROGRAM ?");                /* not MySQL's */
}

Test(payload_rules, sql_server_file_functions)
{
	EXEC_TRIPS("postgresql", "SELECT lo_import(?)");
	EXEC_TRIPS("postgresql", "SELECT lo_export(?, ?)");
	EXEC_TRIPS("postgresql", "SELECT pg_read_file(?)");
	EXEC_TRIPS("postgresql", "SELECT pg_catalog.pg_read_binary_file(?)");
	EXEC_TRIPS("postgresql", "select LO_IMPORT (?)");
	EXEC_TRIPS("mysql", "SELECT LOAD_FILE(?)");
}

Test(payload_rules, sql_server_file_near_misses)
{
	EXEC_OK("postgresql", "SELECT lo_import FROM t");
	EXEC_OK("postgresql", "SELECT my_lo_import(?)");
	EXEC_OK("postgresql", "SELECT load_file(?)");             /* a user function in PostgreSQL */
	EXEC_OK("mysql", "SELECT load_file FROM t");
}

Test(payload_rules, sql_into_outfile_mysql_only)
{
	EXEC_TRIPS("mysql", "SELECT ? INTO OUTFILE ?");
	EXEC_TRIPS("mysql", "SELECT * FROM u INTO DUMPFILE ?");
	EXEC_TRIPS("mysql", "select a into outfile ? fields terminated by ?");
	EXEC_OK("postgresql", "SELECT ? INTO OUTFILE ?");
	EXEC_OK("mysql", "SELECT a INTO @x FROM t");
	EXEC_OK("mysql", "INSERT INTO t VALUES (?)");
}

Test(payload_rules, sql_create_function_language_c)
{
	EXEC_TRIPS("postgresql", "CREATE FUNCTION f() RETURNS int AS ?, ? LANGUAGE C STRICT");
	EXEC_TRIPS("postgresql",
		   "CREATE OR REPLACE FUNCTION sys(cstring) RETURNS int AS ?, ? language c");
	EXEC_TRIPS("postgresql", "SELECT ?; CREATE FUNCTION f() RETURNS int AS ? LANGUAGE C");
}

Test(payload_rules, sql_mysql_udf_from_shared_object)
{
	EXEC_TRIPS("mysql", "CREATE FUNCTION sys_exec RETURNS INT SONAME ?");
	EXEC_TRIPS("mysql", "create aggregate function f returns string soname ?");
	EXEC_OK("mysql", "SELECT soname FROM plugins");
	EXEC_OK("postgresql", "CREATE FUNCTION sys_exec RETURNS INT SONAME ?");
}

Test(payload_rules, sql_create_function_near_misses)
{
	EXEC_OK("postgresql", "CREATE FUNCTION f() RETURNS int AS ? LANGUAGE plpgsql");
	EXEC_OK("postgresql", "CREATE FUNCTION f() RETURNS int AS ? LANGUAGE SQL");
	EXEC_OK("postgresql", "SELECT language c FROM t");        /* a column named language */
	EXEC_OK("mysql", "CREATE FUNCTION f() RETURNS int LANGUAGE C");
}

Test(payload_rules, sql_exec_empty)
{
	EXEC_OK("postgresql", "");
	EXEC_OK("mysql", "");
	cr_expect_eq(payload_sql_command_exec("postgresql", "COPY t FROM PROGRAM ?", 17), 0);
}

/* --- stacked statements --- */

Test(payload_rules, sql_stacked)
{
	STACKED_TRIPS("SELECT ?; DROP TABLE t");
	STACKED_TRIPS("SELECT ?;SELECT ?");
	STACKED_TRIPS("SELECT ?;;SELECT ?");
	STACKED_TRIPS("BEGIN; UPDATE t SET a = ?; COMMIT;");
}

Test(payload_rules, sql_stacked_near_misses)
{
	STACKED_OK("SELECT ?;");
	STACKED_OK("SELECT ?; ");
	STACKED_OK("SELECT ?;;\n");
	STACKED_OK("SELECT \"a;b\" FROM t");
	STACKED_OK("SELECT `a;b` FROM t");
	STACKED_OK("SELECT ? FROM t");
	STACKED_OK("");
}

Test(payload_rules, sql_stacked_past_a_long_select)
{
	char q[2048], q2[2100];

	long_select(q, sizeof(q), 100);
	snprintf(q2, sizeof(q2), "%s; DROP TABLE t", q);
	STACKED_TRIPS(q2);
}

/* --- tautologies --- */

Test(payload_rules, sql_tautology_or_equal_literals)
{
	TAUT_TRIPS("SELECT * FROM u WHERE id = ? OR ? = ?");
	TAUT_TRIPS("SELECT * FROM u WHERE name = ? OR ?=? LIMIT ?");
	TAUT_TRIPS("SELECT * FROM u WHERE a = ? OR ? = ? AND b = ?");
	TAUT_TRIPS("SELECT * FROM u WHERE (a = ? OR ? = ?)");
	TAUT_TRIPS("SELECT * FROM u WHERE a = ? OR ? = ?; SELECT ?");
	TAUT_TRIPS("SELECT * FROM u WHERE a = ? OR ? = ? ORDER BY a");
	TAUT_TRIPS("SELECT * FROM u WHERE a = ? OR ? = ? GROUP BY a");
	TAUT_TRIPS("SELECT * FROM u WHERE a = ? or ? = ? or b = ?");
}

Test(payload_rules, sql_tautology_or_same_word)
{
	TAUT_TRIPS("SELECT * FROM u WHERE id = ? OR x = x");
	TAUT_TRIPS("SELECT * FROM u WHERE id = ? OR \"a\" = \"a\"");
}

Test(payload_rules, sql_tautology_or_literal_alone)
{
	TAUT_TRIPS("SELECT * FROM u WHERE id = ? OR ? --");
	TAUT_TRIPS("SELECT * FROM u WHERE id = ? OR ? #");
	TAUT_TRIPS("SELECT * FROM u WHERE id = ? OR ?");
	TAUT_TRIPS("SELECT * FROM u WHERE id = ? OR TRUE");
	TAUT_TRIPS("select * from u where id = ? or true");
}

Test(payload_rules, sql_tautology_in_parentheses)
{
	/* "') OR ('1'='1" inside "WHERE (name = '...')" */
	TAUT_TRIPS("SELECT * FROM u WHERE (name = ?) OR (? = ?)");
	TAUT_TRIPS("SELECT * FROM u WHERE id = ? OR (?)");
}

Test(payload_rules, sql_tautology_past_a_long_select)
{
	char q[2048], q2[2100];

	long_select(q, sizeof(q), 100);
	snprintf(q2, sizeof(q2), "%s WHERE id = ? OR ? = ?", q);
	TAUT_TRIPS(q2);
}

Test(payload_rules, sql_tautology_near_misses)
{
	TAUT_OK("SELECT * FROM u WHERE ? = ? AND x = ?"); /* builders' WHERE 1=1 */
	TAUT_OK("SELECT * FROM u WHERE a = ? OR b = ?");
	TAUT_OK("SELECT * FROM u WHERE a = b OR a = c");
	TAUT_OK("SELECT * FROM u WHERE x = ? OR a = b");
	TAUT_OK("SELECT * FROM u WHERE a = ? OR ? IS NULL");
	TAUT_OK("SELECT * FROM u WHERE a = ? OR ? = b");
	TAUT_OK("SELECT * FROM u WHERE a = ? OR ? = ? + ?");
	TAUT_OK("SELECT * FROM u WHERE a = ? OR y");
	TAUT_OK("SELECT * FROM u WHERE a = ? OR (b = ?)");
	TAUT_OK("SELECT * FROM u ORDER BY ?");
	TAUT_OK("SELECT * FROM u WHERE x = ? ORDER BY a");
	TAUT_OK("CREATE OR REPLACE VIEW v AS SELECT ?");
	TAUT_OK("SELECT * FROM u WHERE a = ? OR");
	TAUT_OK("");
}

/* --- payload_check on a span --- */

Test(payload_rules, check_http_path)
{
	static const char *const kv[] = { "http.request.method", "GET", "url.path", "/a/../etc/passwd",
					  NULL };
	struct span s;
	char detail[96];

	span_with(&s, kv);
	cr_expect_eq(payload_check(&s, detail, sizeof(detail)), BIT(ALERT_HTTP_PATH_TRAVERSAL));
	cr_expect_str_eq(detail, "url.path /a/../etc/passwd");
}

/* The rules read the first string attribute of each key: one of another
 * type or a later one of the same key does not count, nor does a key that
 * only starts like one. */
Test(payload_rules, check_reads_the_first_string_of_each_key)
{
	static const char *const kv[] = { "url.pathname", "/../x", "url.path", "/ok",
					  "url.path", "/a/../etc/passwd", NULL };
	struct span s;
	char detail[96];

	memset(&s, 0, sizeof(s));
	cr_assert_eq(span_attrs_int(&s.attrs, "url.path", 7), 0);
	for (const char *const *p = kv; p[0]; p += 2)
		cr_assert_eq(span_attrs_cstr(&s.attrs, p[0], p[1]), 0);
	cr_expect_eq(payload_check(&s, detail, sizeof(detail)), 0);
	cr_expect_str_eq(detail, "");
}

Test(payload_rules, check_http_query)
{
	static const char *const kv[] = { "url.path", "/download", "url.query", "file=../etc/passwd",
					  NULL };
	struct span s;
	char detail[96];

	span_with(&s, kv);
	cr_expect_eq(payload_check(&s, detail, sizeof(detail)), BIT(ALERT_HTTP_PATH_TRAVERSAL));
	cr_expect_str_eq(detail, "url.query file=../etc/passwd");
}

Test(payload_rules, check_redis)
{
	static const char *const kv[] = { "db.system.name", "redis", "db.operation.name", "CONFIG SET",
					  "db.query.text", "CONFIG SET", NULL };
	struct span s;
	char detail[96];

	span_with(&s, kv);
	cr_expect_eq(payload_check(&s, detail, sizeof(detail)), BIT(ALERT_REDIS_DANGEROUS));
	cr_expect_str_eq(detail, "redis command CONFIG SET");
}

Test(payload_rules, check_redis_command_on_another_system)
{
	static const char *const kv[] = { "db.system.name", "postgresql", "db.operation.name",
					  "CONFIG SET", NULL };
	struct span s;
	char detail[96];

	span_with(&s, kv);
	cr_expect_eq(payload_check(&s, detail, sizeof(detail)), 0);
	cr_expect_str_eq(detail, "");
}

Test(payload_rules, check_postgresql)
{
	static const char *const kv[] = { "db.system.name", "postgresql", "db.operation.name", "COPY",
					  "db.query.text", "COPY t FROM PROGRAM ?", NULL };
	struct span s;
	char detail[96];

	span_with(&s, kv);
	cr_expect_eq(payload_check(&s, detail, sizeof(detail)), BIT(ALERT_SQL_COMMAND_EXEC));
	cr_expect_str_eq(detail, "db.query.text COPY t FROM PROGRAM ?");
}

Test(payload_rules, check_mysql_and_mariadb)
{
	static const char *const my[] = { "db.system.name", "mysql", "db.query.text",
					  "SELECT ? INTO OUTFILE ?", NULL };
	static const char *const maria[] = { "db.system.name", "mariadb", "db.query.text",
					     "SELECT ? INTO OUTFILE ?", NULL };
	static const char *const pg[] = { "db.system.name", "postgresql", "db.query.text",
					  "SELECT ? INTO OUTFILE ?", NULL };
	struct span s;
	char detail[96];

	span_with(&s, my);
	cr_expect_eq(payload_check(&s, detail, sizeof(detail)), BIT(ALERT_SQL_COMMAND_EXEC));
	span_with(&s, maria);
	cr_expect_eq(payload_check(&s, detail, sizeof(detail)), BIT(ALERT_SQL_COMMAND_EXEC));
	span_with(&s, pg);
	cr_expect_eq(payload_check(&s, detail, sizeof(detail)), 0);
}

Test(payload_rules, check_every_sql_rule_at_once)
{
	static const char *const kv[] = {
		"db.system.name", "postgresql", "db.query.text",
		"SELECT * FROM u WHERE id = ? OR ? = ?; COPY t FROM PROGRAM ?", NULL
	};
	struct span s;
	char detail[96];

	span_with(&s, kv);
	cr_expect_eq(payload_check(&s, detail, sizeof(detail)),
		     BIT(ALERT_SQL_COMMAND_EXEC) | BIT(ALERT_SQL_STACKED) | BIT(ALERT_SQL_TAUTOLOGY));
	/* the first match's detail */
	cr_expect_str_eq(detail, "db.query.text SELECT * FROM u WHERE id = ? OR ? = ?; COPY t FROM PROGRAM ?");
}

Test(payload_rules, check_sql_without_a_system)
{
	static const char *const kv[] = { "db.query.text", "SELECT ?; DROP TABLE t", NULL };
	struct span s;
	char detail[96];

	span_with(&s, kv);
	cr_expect_eq(payload_check(&s, detail, sizeof(detail)), 0);
}

Test(payload_rules, check_clean_span)
{
	static const char *const kv[] = { "http.request.method", "GET", "url.path", "/users/1",
					  "url.query", "page=2", NULL };
	struct span s;
	char detail[96];

	span_with(&s, kv);
	memset(detail, 'X', sizeof(detail));
	cr_expect_eq(payload_check(&s, detail, sizeof(detail)), 0);
	cr_expect_str_eq(detail, "");
}

Test(payload_rules, check_detail_cut_to_cap)
{
	static const char *const kv[] = { "url.path", "/a/../etc/passwd", NULL };
	struct span s;
	char detail[12];

	span_with(&s, kv);
	cr_expect_eq(payload_check(&s, detail, sizeof(detail)), BIT(ALERT_HTTP_PATH_TRAVERSAL));
	cr_expect_str_eq(detail, "url.path /a");
	cr_expect_eq(payload_check(&s, NULL, 0), BIT(ALERT_HTTP_PATH_TRAVERSAL));
}

Test(payload_rules, check_detail_value_cut_at_200)
{
	char path[400];
	static const char *kv[] = { "url.path", NULL, NULL };
	struct span s;
	char detail[400];

	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	memcpy(path, "/../", 4);
	kv[1] = path;
	span_with(&s, kv);
	cr_expect_eq(payload_check(&s, detail, sizeof(detail)), BIT(ALERT_HTTP_PATH_TRAVERSAL));
	cr_expect_eq(strlen(detail), strlen("url.path ") + 200);
}
