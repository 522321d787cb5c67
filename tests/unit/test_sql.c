// SPDX-License-Identifier: MIT
/* user/proto/sql/sql.c: literal redaction and the operation/collection summary. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sql.h"

#define CANARY 0x5a
#define PG SQL_DIALECT_POSTGRESQL
#define MY SQL_DIALECT_MYSQL

/* Redacts sql (len bytes) into an out_cap buffer guarded by canaries;
 * returns the result in got (NUL-terminated) and checks the length it
 * reported. */
static size_t redact(enum sql_dialect d, const char *sql, size_t len,
		     size_t out_cap, char *got, int *truncated)
{
	char out[8192];
	size_t n, i;

	cr_assert(out_cap + 16 <= sizeof(out));
	memset(out, CANARY, sizeof(out));
	*truncated = -1;
	n = sql_redact(d, sql, len, out_cap ? out : NULL, out_cap, truncated);
	cr_assert(*truncated == 0 || *truncated == 1);
	for (i = out_cap; i < out_cap + 16; i++)
		cr_assert_eq((unsigned char)out[i], CANARY,
			     "byte %zu past out_cap %zu written", i, out_cap);
	if (out_cap == 0) {
		cr_assert_eq(n, 0);
		got[0] = '\0';
		return 0;
	}
	cr_assert_lt(n, out_cap);
	cr_assert_eq(out[n], '\0');
	cr_assert_eq(strlen(out), n);
	memcpy(got, out, n + 1);
	return n;
}

/* Exact redaction with room to spare; redacting it again changes nothing. */
#define EXPECT_REDACT(d, sql, want)                                            \
	do {                                                                   \
		char got_[8192], again_[8192];                                 \
		int tr_;                                                       \
		size_t n_ = redact((d), (sql), strlen(sql), 4096, got_, &tr_); \
		cr_expect_str_eq(got_, (want), "sql %s", (sql));               \
		cr_expect_eq(n_, strlen(want), "sql %s", (sql));               \
		cr_expect_eq(tr_, 0, "sql %s", (sql));                         \
		redact((d), got_, n_, 4096, again_, &tr_);                     \
		cr_expect_str_eq(again_, got_, "not idempotent: %s", (sql));  \
	} while (0)

#define EXPECT_BOTH(sql, want)                                                 \
	do {                                                                   \
		EXPECT_REDACT(PG, sql, want);                                  \
		EXPECT_REDACT(MY, sql, want);                                  \
	} while (0)

#define EXPECT_SUMMARY(d, sql, op, coll)                                       \
	do {                                                                   \
		struct sql_info si_;                                           \
		memset(&si_, CANARY, sizeof(si_));                             \
		sql_summarize((d), (sql), strlen(sql), &si_);                  \
		cr_expect_str_eq(si_.operation, (op), "sql %s", (sql));        \
		cr_expect_str_eq(si_.collection, (coll), "sql %s", (sql));     \
	} while (0)

#define EXPECT_SUMMARY_BOTH(sql, op, coll)                                     \
	do {                                                                   \
		EXPECT_SUMMARY(PG, sql, op, coll);                             \
		EXPECT_SUMMARY(MY, sql, op, coll);                             \
	} while (0)

/* The examples the PostgreSQL and MySQL parsers were specified with. */
Test(sql_redact, brief_examples)
{
	EXPECT_REDACT(PG, "UPDATE pgbench_accounts SET abalance = abalance + -4321 WHERE aid = 12345;",
		      "UPDATE pgbench_accounts SET abalance = abalance + -? WHERE aid = ?;");
	EXPECT_REDACT(PG, "SELECT abalance FROM pgbench_accounts WHERE aid = $1",
		      "SELECT abalance FROM pgbench_accounts WHERE aid = $1");
	EXPECT_REDACT(PG, "insert into t(a,b) values (1.5e3, 'it''s') -- note",
		      "insert into t(a,b) values (?, ?) ");
	EXPECT_REDACT(PG, "SELECT $tag$ a ' b $tag$, $1 FROM x", "SELECT ?, $1 FROM x");
	EXPECT_REDACT(MY, "SELECT * FROM users WHERE name = \"bob\" AND id=0x1F",
		      "SELECT * FROM users WHERE name = ? AND id=?");
	EXPECT_REDACT(MY, "SELECT 'a\\'b' FROM t # c", "SELECT ? FROM t ");
}

Test(sql_redact, numbers)
{
	EXPECT_BOTH("SELECT 0, 42, 3.14, .5, 5., 1e10, 1.5E-3, 2e+7",
		    "SELECT ?, ?, ?, ?, ?, ?, ?, ?");
	EXPECT_BOTH("LIMIT 10 OFFSET 20", "LIMIT ? OFFSET ?");
	EXPECT_BOTH("a=-1", "a=-?");
	EXPECT_BOTH("x[1:2]", "x[?:?]");
	/* PostgreSQL 16: non-decimal integers and digit separators. */
	EXPECT_REDACT(PG, "SELECT 0x1F, 0X1f, 0o17, 0b101, 1_000_000, 1_0.5_0",
		      "SELECT ?, ?, ?, ?, ?, ?");
	/* MySQL: 0x and 0b in lower case only; 0X1F is an identifier. */
	EXPECT_REDACT(MY, "SELECT 0x1F, 0b101, 0X1F", "SELECT ?, ?, 0X1F");
	/* A PL/pgSQL range is two numbers, not 1. and .10. */
	EXPECT_REDACT(PG, "FOR i IN 1..10 LOOP", "FOR i IN ?.? LOOP");
}

Test(sql_redact, identifiers_with_digits_kept)
{
	EXPECT_BOTH("SELECT t1.col_2, c3po, x2y FROM t1 WHERE t1.a9 = 9",
		    "SELECT t1.col_2, c3po, x2y FROM t1 WHERE t1.a9 = ?");
	EXPECT_BOTH("SELECT a$1 FROM t_2024_01", "SELECT a$1 FROM t_2024_01");
	/* MySQL identifiers may start with digits when they are not numbers. */
	EXPECT_REDACT(MY, "SELECT 1col, 0x1g, 1e5x, 12 FROM db.1t",
		      "SELECT 1col, 0x1g, 1e5x, ? FROM db.1t");
	/* PostgreSQL has no such identifiers: the number ends where it ends. */
	EXPECT_REDACT(PG, "SELECT 1col", "SELECT ?col");
	/* A digit after "t." is a column name's start, not a fraction. */
	EXPECT_REDACT(MY, "SELECT t.1col FROM t", "SELECT t.1col FROM t");
	EXPECT_REDACT(PG, "SELECT \"t\".5", "SELECT \"t\".?");
}

Test(sql_redact, single_quoted_strings)
{
	EXPECT_BOTH("SELECT 'abc', '', 'it''s', 'a''''b'", "SELECT ?, ?, ?, ?");
	EXPECT_BOTH("WHERE a='x'AND b='y'", "WHERE a=?AND b=?");
	/* Standard strings in PostgreSQL: a backslash is just a byte. */
	EXPECT_REDACT(PG, "SELECT 'C:\\', 1", "SELECT ?, ?");
	/* E'' strings and every MySQL string take backslash escapes. */
	EXPECT_REDACT(PG, "SELECT E'it\\'s', e'\\\\', 2", "SELECT ?, ?, ?");
	EXPECT_REDACT(MY, "SELECT 'it\\'s', '\\\\', 2", "SELECT ?, ?, ?");
	/* Literal prefixes belong to the literal. */
	EXPECT_BOTH("SELECT N'x', X'1F', x'1f', B'101', b'0'", "SELECT ?, ?, ?, ?, ?");
	EXPECT_REDACT(MY, "SELECT _utf8mb4'x', _binary'y'", "SELECT _utf8mb4?, _binary?");
	/* A word ending in one of those letters is not a prefix. */
	EXPECT_BOTH("SELECT ax'1'", "SELECT ax?");
}

Test(sql_redact, double_quotes_per_dialect)
{
	/* PostgreSQL: a quoted identifier, kept with its doubled quotes. */
	EXPECT_REDACT(PG, "SELECT \"Col 1\", \"a\"\"b\" FROM \"T\"",
		      "SELECT \"Col 1\", \"a\"\"b\" FROM \"T\"");
	/* MySQL: a string, with backslash escapes and "" doubling. */
	EXPECT_REDACT(MY, "SELECT \"Col 1\", \"a\"\"b\", \"x\\\"y\" FROM `T`",
		      "SELECT ?, ?, ? FROM `T`");
	EXPECT_REDACT(MY, "SELECT `a``b`, `it's`, `1` FROM `db`.`t 2`",
		      "SELECT `a``b`, `it's`, `1` FROM `db`.`t 2`");
	/* Backticks are plain bytes in PostgreSQL. */
	EXPECT_REDACT(PG, "SELECT `a`", "SELECT `a`");
}

Test(sql_redact, dollar_quotes)
{
	EXPECT_REDACT(PG, "SELECT $$it's$$, $q$ $$ $1 ' $q$, $1",
		      "SELECT ?, ?, $1");
	EXPECT_REDACT(PG, "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql",
		      "CREATE FUNCTION f() RETURNS int AS ? LANGUAGE sql");
	/* Tags are case-sensitive; a "$" inside an identifier opens nothing. */
	EXPECT_REDACT(PG, "SELECT $a$ x $A$ y $a$", "SELECT ?");
	EXPECT_REDACT(PG, "SELECT a$b$c, $2", "SELECT a$b$c, $2");
	/* "$1" is a placeholder, never a tag (tags do not start with a digit). */
	EXPECT_REDACT(PG, "SELECT $1, $12", "SELECT $1, $12");
	/* MySQL has no dollar quotes: '$' is an identifier byte there. */
	EXPECT_REDACT(MY, "SELECT $a$, 'b'", "SELECT $a$, ?");
}

Test(sql_redact, comments)
{
	EXPECT_BOTH("SELECT 1 -- one\nFROM t", "SELECT ? \nFROM t");
	EXPECT_BOTH("SELECT /* c */ 1", "SELECT  ?");
	EXPECT_BOTH("SELECT/* c */1", "SELECT ?");
	EXPECT_BOTH("SELECT a/**/FROM/**/t", "SELECT a FROM t");
	EXPECT_BOTH("/* leading */SELECT 1", "SELECT ?");
	EXPECT_BOTH("SELECT 1/* trailing */", "SELECT ?");
	EXPECT_BOTH("SELECT 1 /* a */ /* b */ + 2", "SELECT ?   + ?");
	EXPECT_BOTH("a/*x*//*y*/b", "a b");
	/* PostgreSQL block comments nest; MySQL ones end at the first close. */
	EXPECT_REDACT(PG, "SELECT /* a /* b */ c */ 1", "SELECT  ?");
	EXPECT_REDACT(MY, "SELECT /* a /* b */ c */ 1", "SELECT  c */ ?");
	/* MySQL: '#' comments, executable comments and hints are comments. */
	EXPECT_REDACT(MY, "SELECT 1 # one\n, 2", "SELECT ? \n, ?");
	EXPECT_REDACT(MY, "SELECT /*!40001 SQL_NO_CACHE */ * FROM t", "SELECT  * FROM t");
	EXPECT_REDACT(MY, "SELECT /*+ NO_INDEX(t) */ a FROM t", "SELECT  a FROM t");
	/* '#' is an operator byte in PostgreSQL. */
	EXPECT_REDACT(PG, "SELECT 5 # 3", "SELECT ? # ?");
	/* Comment markers inside literals are literal bytes. */
	EXPECT_BOTH("SELECT '-- no', '/* no */' FROM t", "SELECT ?, ? FROM t");
}

Test(sql_redact, double_dash_per_dialect)
{
	/* PostgreSQL: "--" always starts a comment. */
	EXPECT_REDACT(PG, "SELECT 1--2", "SELECT ?");
	/* MySQL: only before a space or control byte; otherwise two minus
	 * signs, written "- -" so that no later edit can make them one. */
	EXPECT_REDACT(MY, "SELECT 1--2", "SELECT ?- -?");
	EXPECT_REDACT(MY, "SELECT 1-- 2", "SELECT ?");
	EXPECT_REDACT(MY, "SELECT 1--\t2", "SELECT ?");
	EXPECT_REDACT(MY, "SELECT 1--", "SELECT ?");
	EXPECT_REDACT(MY, "SELECT 1--#c", "SELECT ?- -");
	EXPECT_REDACT(MY, "SELECT 1 - -2", "SELECT ? - -?");
}

Test(sql_redact, placeholders_and_operators_kept)
{
	EXPECT_BOTH("WHERE a = ? AND b = :name AND c = %s AND d = %(d)s",
		    "WHERE a = ? AND b = :name AND c = %s AND d = %(d)s");
	EXPECT_REDACT(PG, "SELECT a::int, b->>'k', c @> '{}' , d ? 'e'",
		      "SELECT a::int, b->>?, c @> ? , d ? ?");
	EXPECT_REDACT(MY, "SELECT @v := 1, @@session.sql_mode",
		      "SELECT @v := ?, @@session.sql_mode");
	EXPECT_BOTH("  SELECT\t*\r\n FROM t  ", "  SELECT\t*\r\n FROM t  ");
}

Test(sql_redact, cut_short_literals_still_redacted)
{
	EXPECT_BOTH("SELECT 'unterminated", "SELECT ?");
	EXPECT_BOTH("SELECT 'it''", "SELECT ?");
	EXPECT_REDACT(MY, "SELECT 'ends in \\", "SELECT ?");
	EXPECT_REDACT(MY, "SELECT \"half", "SELECT ?");
	EXPECT_REDACT(PG, "SELECT $x$ body", "SELECT ?");
	EXPECT_REDACT(PG, "SELECT E'a\\", "SELECT ?");
	EXPECT_BOTH("SELECT 1 /* never closed 'x' 2", "SELECT ? ");
	EXPECT_BOTH("SELECT 12", "SELECT ?");
	/* An unterminated quoted identifier is still an identifier. */
	EXPECT_REDACT(PG, "SELECT \"Abc", "SELECT \"Abc");
	EXPECT_REDACT(MY, "SELECT `Abc", "SELECT `Abc");
}

Test(sql_redact, nul_ends_the_text)
{
	char got[64];
	int tr;

	cr_assert_eq(redact(PG, "SELECT 1\0' 2'", 13, 64, got, &tr), 8);
	cr_expect_str_eq(got, "SELECT ?");
	cr_assert_eq(redact(MY, "\0SELECT", 7, 64, got, &tr), 0);
	cr_expect_str_eq(got, "");
	cr_expect_eq(tr, 0);
}

Test(sql_redact, empty_and_null)
{
	char got[8];
	int tr;

	cr_assert_eq(redact(PG, NULL, 0, 8, got, &tr), 0);
	cr_expect_str_eq(got, "");
	cr_expect_eq(tr, 0);
	EXPECT_BOTH("/* only a comment */", "");
	EXPECT_BOTH("", "");
	/* truncated may be NULL. */
	cr_expect_eq(sql_redact(PG, "SELECT 1", 8, got, sizeof(got), NULL), 7);
	cr_expect_str_eq(got, "SELECT ");
}

Test(sql_redact, truncation)
{
	const char *sql = "SELECT 'secret', 42 FROM t";
	char got[64];
	int tr;

	/* Full output is "SELECT ?, ? FROM t" (18 bytes). */
	cr_expect_eq(redact(PG, sql, strlen(sql), 19, got, &tr), 18);
	cr_expect_eq(tr, 0);
	cr_expect_eq(redact(PG, sql, strlen(sql), 18, got, &tr), 17);
	cr_expect_str_eq(got, "SELECT ?, ? FROM ");
	cr_expect_eq(tr, 1);
	cr_expect_eq(redact(PG, sql, strlen(sql), 9, got, &tr), 8);
	cr_expect_str_eq(got, "SELECT ?");
	cr_expect_eq(tr, 1);
	cr_expect_eq(redact(PG, sql, strlen(sql), 1, got, &tr), 0);
	cr_expect_eq(tr, 1);
	cr_expect_eq(redact(PG, sql, strlen(sql), 0, got, &tr), 0);
	cr_expect_eq(tr, 1);
	/* Nothing to write is not truncation, whatever the room. */
	cr_expect_eq(redact(PG, "-- c", 4, 0, got, &tr), 0);
	cr_expect_eq(tr, 0);
}

Test(sql_redact, truncation_keeps_utf8_characters_whole)
{
	/* "é" is 2 bytes, "€" 3, "😀" 4. */
	const char *sql = "SELECT caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80";
	char got[64];
	int tr;

	cr_expect_eq(redact(PG, sql, strlen(sql), 12, got, &tr), 10);
	cr_expect_str_eq(got, "SELECT caf");
	cr_expect_eq(redact(PG, sql, strlen(sql), 13, got, &tr), 12);
	cr_expect_str_eq(got, "SELECT caf\xc3\xa9");
	cr_expect_eq(redact(PG, sql, strlen(sql), 16, got, &tr), 14);
	cr_expect_str_eq(got, "SELECT caf\xc3\xa9, ");
	cr_expect_eq(redact(PG, sql, strlen(sql), 20, got, &tr), 19);
	cr_expect_str_eq(got, "SELECT caf\xc3\xa9, \xe2\x82\xac, ");
	cr_expect_eq(redact(PG, sql, strlen(sql), 23, got, &tr), 19);
	cr_expect_eq(tr, 1);
	cr_expect_eq(redact(PG, sql, strlen(sql), 24, got, &tr), 23);
	cr_expect_eq(tr, 0);
}

Test(sql_redact, invalid_utf8_copied_as_is)
{
	/* A lone continuation byte and a cut sequence: no character to keep
	 * whole, so bytes are cut where the room ends. */
	EXPECT_BOTH("SELECT \x80\xff x", "SELECT \x80\xff x");
	EXPECT_BOTH("SELECT 'caf\xc3', t\xe2\x82", "SELECT ?, t\xe2\x82");
	{
		char got[16];
		int tr;

		cr_expect_eq(redact(PG, "ab\x80\x80\x80\x80\x80", 7, 5, got, &tr), 4);
		cr_expect_eq(tr, 1);
	}
}

Test(sql_redact, pgbench_and_psql_statements)
{
	EXPECT_REDACT(PG, "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (7, 1, 12345, -4321, CURRENT_TIMESTAMP);",
		      "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (?, ?, ?, -?, CURRENT_TIMESTAMP);");
	EXPECT_REDACT(PG, "UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;",
		      "UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;");
	EXPECT_REDACT(PG, "create table pgbench_history(tid int,bid int,aid    int,delta int,mtime timestamp,filler char(22))",
		      "create table pgbench_history(tid int,bid int,aid    int,delta int,mtime timestamp,filler char(?))");
	EXPECT_REDACT(PG, "WHERE c.relname OPERATOR(pg_catalog.~) '^(accounts)$' COLLATE pg_catalog.default\nORDER BY 2, 3;",
		      "WHERE c.relname OPERATOR(pg_catalog.~) ? COLLATE pg_catalog.default\nORDER BY ?, ?;");
}

Test(sql_redact, mysql_client_statements)
{
	EXPECT_REDACT(MY, "INSERT INTO `users` VALUES (1,'bob'),(2,'O\\'Brien'),(3,_binary 0xDEADBEEF);",
		      "INSERT INTO `users` VALUES (?,?),(?,?),(?,_binary ?);");
	EXPECT_REDACT(MY, "/*!40101 SET NAMES utf8mb4 */;", ";");
	EXPECT_REDACT(MY, "SELECT JSON_EXTRACT(HISTOGRAM, '$.\"number-of-buckets-specified\"') FROM information_schema.COLUMN_STATISTICS",
		      "SELECT JSON_EXTRACT(HISTOGRAM, ?) FROM information_schema.COLUMN_STATISTICS");
	EXPECT_REDACT(MY, "select @@version_comment limit 1", "select @@version_comment limit ?");
	EXPECT_REDACT(MY, "SHOW VARIABLES LIKE 'ndbinfo\\_version'", "SHOW VARIABLES LIKE ?");
}

Test(sql_summary, brief_examples)
{
	EXPECT_SUMMARY(PG, "UPDATE pgbench_accounts SET abalance = abalance + -4321 WHERE aid = 12345;",
		       "UPDATE", "pgbench_accounts");
	EXPECT_SUMMARY(PG, "SELECT abalance FROM pgbench_accounts WHERE aid = $1",
		       "SELECT", "pgbench_accounts");
	EXPECT_SUMMARY(PG, "insert into t(a,b) values (1.5e3, 'it''s') -- note", "INSERT", "t");
	EXPECT_SUMMARY_BOTH("SELECT a FROM t1 JOIN t2 ON t1.a = t2.a", "SELECT", "");
	EXPECT_SUMMARY_BOTH("WITH x AS (SELECT 1) SELECT * FROM x", "SELECT", "");
	EXPECT_SUMMARY_BOTH("BEGIN", "BEGIN", "");
	EXPECT_SUMMARY_BOTH("COMMIT", "COMMIT", "");
	EXPECT_SUMMARY_BOTH("set search_path = public", "SET", "");
}

Test(sql_summary, operation_is_the_first_keyword)
{
	EXPECT_SUMMARY_BOTH("select 1", "SELECT", "");
	EXPECT_SUMMARY_BOTH("  \n\t-- why\n/* c */ ((SELECT 1))", "SELECT", "");
	EXPECT_SUMMARY_BOTH("rollback to savepoint s", "ROLLBACK", "");
	EXPECT_SUMMARY_BOTH("START TRANSACTION", "START", "");
	EXPECT_SUMMARY_BOTH("SHOW TABLES", "SHOW", "");
	EXPECT_SUMMARY_BOTH("CALL proc(1, 'x')", "CALL", "");
	EXPECT_SUMMARY_BOTH("GRANT SELECT ON t TO u", "GRANT", "");
	EXPECT_SUMMARY_BOTH("END;", "END", "");
	EXPECT_SUMMARY_BOTH("VALUES (1), (2)", "VALUES", "");
	EXPECT_SUMMARY(MY, "USE shop", "USE", "");
	/* No word of letters first, or one longer than any keyword: none. */
	EXPECT_SUMMARY_BOTH("", "", "");
	EXPECT_SUMMARY_BOTH("-- only a comment", "", "");
	EXPECT_SUMMARY_BOTH("'x'", "", "");
	EXPECT_SUMMARY_BOTH("t1", "", "");
	EXPECT_SUMMARY_BOTH("caf\xc3\xa9", "", "");
	EXPECT_SUMMARY_BOTH("ABCDEFGHIJKLMNOPQRSTUVW", "ABCDEFGHIJKLMNOPQRSTUVW", "");
	EXPECT_SUMMARY_BOTH("ABCDEFGHIJKLMNOPQRSTUVWX", "", "");
	/* MySQL's executable comments are comments. */
	EXPECT_SUMMARY(MY, "/*!40101 SET NAMES utf8mb4 */;", "", "");
	/* Only the first statement counts. */
	EXPECT_SUMMARY_BOTH("BEGIN; UPDATE t SET a = 1", "BEGIN", "");
}

Test(sql_summary, with_gives_its_main_statement)
{
	EXPECT_SUMMARY_BOTH("WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n+1 FROM t WHERE n < 100) SELECT sum(n) FROM t",
			    "SELECT", "");
	EXPECT_SUMMARY_BOTH("WITH a AS (SELECT 1), b AS (SELECT 2) INSERT INTO t SELECT * FROM a",
			    "INSERT", "");
	EXPECT_SUMMARY(PG, "WITH upd AS (UPDATE t SET a = 1 RETURNING *) DELETE FROM u WHERE id IN (SELECT id FROM upd)",
		       "DELETE", "");
	EXPECT_SUMMARY(PG, "WITH x AS MATERIALIZED (SELECT 1) UPDATE t SET a = 1", "UPDATE", "");
	/* A CTE may be named like a statement. */
	EXPECT_SUMMARY(PG, "WITH update AS (SELECT 1), delete AS (SELECT 2) SELECT 3", "SELECT", "");
	/* Cut before the main statement: WITH is what the text shows. */
	EXPECT_SUMMARY_BOTH("WITH x AS (SELECT * FROM t WHERE", "WITH", "");
}

Test(sql_summary, select_collection)
{
	EXPECT_SUMMARY_BOTH("SELECT count(*) FROM orders WHERE id = 1", "SELECT", "orders");
	EXPECT_SUMMARY_BOTH("SELECT * FROM public.accounts a WHERE a.id = 1", "SELECT", "public.accounts");
	EXPECT_SUMMARY_BOTH("SELECT * FROM db . sch . t", "SELECT", "db.sch.t");
	EXPECT_SUMMARY(PG, "SELECT * FROM \"public\".\"Pgbench \"\"Accounts\"\"\"",
		       "SELECT", "public.Pgbench \"Accounts\"");
	EXPECT_SUMMARY(MY, "SELECT * FROM `shop`.`order``s` o", "SELECT", "shop.order`s");
	EXPECT_SUMMARY(PG, "SELECT * FROM ONLY measurements", "SELECT", "measurements");
	EXPECT_SUMMARY_BOTH("SELECT 1", "SELECT", "");
	EXPECT_SUMMARY(MY, "SELECT 1 FROM DUAL", "SELECT", "");
	EXPECT_SUMMARY_BOTH("SELECT * FROM t ORDER BY a, b LIMIT 5", "SELECT", "t");
	EXPECT_SUMMARY_BOTH("SELECT a, b FROM t GROUP BY a, b", "SELECT", "t");
	EXPECT_SUMMARY(MY, "SELECT * FROM t LIMIT 10, 20", "SELECT", "t");
	EXPECT_SUMMARY_BOTH("SELECT * FROM t FOR UPDATE", "SELECT", "t");
	/* FROM inside a function call or IS DISTINCT FROM names no table. */
	EXPECT_SUMMARY_BOTH("SELECT EXTRACT(YEAR FROM created) FROM events", "SELECT", "events");
	EXPECT_SUMMARY_BOTH("SELECT SUBSTRING(name FROM 2 FOR 3), TRIM(LEADING 'x' FROM y) FROM u",
			    "SELECT", "u");
	EXPECT_SUMMARY(PG, "SELECT * FROM t WHERE a IS DISTINCT FROM b", "SELECT", "t");
	/* The same table twice is still one table. */
	EXPECT_SUMMARY_BOTH("SELECT * FROM t WHERE id IN (SELECT id FROM t WHERE x = 1)", "SELECT", "t");
	EXPECT_SUMMARY_BOTH("(SELECT a FROM t) UNION (SELECT a FROM t)", "SELECT", "t");
}

Test(sql_summary, several_tables_or_none)
{
	EXPECT_SUMMARY_BOTH("SELECT * FROM a, b WHERE a.id = b.id", "SELECT", "");
	EXPECT_SUMMARY_BOTH("SELECT * FROM a LEFT OUTER JOIN b USING (id)", "SELECT", "");
	EXPECT_SUMMARY(MY, "SELECT * FROM a STRAIGHT_JOIN b", "SELECT", "");
	EXPECT_SUMMARY_BOTH("SELECT * FROM (SELECT * FROM t) s", "SELECT", "");
	EXPECT_SUMMARY(PG, "SELECT * FROM generate_series(1, 10)", "SELECT", "");
	EXPECT_SUMMARY(PG, "SELECT * FROM t, LATERAL f(t.x)", "SELECT", "");
	EXPECT_SUMMARY_BOTH("SELECT * FROM a WHERE id IN (SELECT id FROM b)", "SELECT", "");
	EXPECT_SUMMARY_BOTH("SELECT (SELECT max(x) FROM b) FROM a", "SELECT", "");
	EXPECT_SUMMARY_BOTH("SELECT a FROM t1 UNION ALL SELECT a FROM t2", "SELECT", "");
	EXPECT_SUMMARY_BOTH("INSERT INTO t SELECT * FROM s", "INSERT", "");
	EXPECT_SUMMARY(PG, "UPDATE t SET a = s.a FROM s WHERE s.id = t.id", "UPDATE", "");
	EXPECT_SUMMARY(MY, "UPDATE t1, t2 SET t1.a = t2.a", "UPDATE", "");
	EXPECT_SUMMARY(MY, "DELETE t1 FROM t1 INNER JOIN t2 ON t1.id = t2.id", "DELETE", "");
	EXPECT_SUMMARY(PG, "DELETE FROM t USING s WHERE s.id = t.id", "DELETE", "");
	EXPECT_SUMMARY(PG, "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = 1",
		       "MERGE", "");
	/* The table name is a string in MySQL ("t"): not an identifier. */
	EXPECT_SUMMARY(MY, "SELECT * FROM \"t\"", "SELECT", "");
}

Test(sql_summary, insert_update_delete)
{
	EXPECT_SUMMARY_BOTH("INSERT INTO t (a, b) VALUES (1, 2), (3, 4)", "INSERT", "t");
	EXPECT_SUMMARY(PG, "INSERT INTO s.t VALUES (1) ON CONFLICT (id) DO UPDATE SET a = EXCLUDED.a RETURNING id",
		       "INSERT", "s.t");
	EXPECT_SUMMARY(MY, "INSERT IGNORE INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES(a)",
		       "INSERT", "t");
	EXPECT_SUMMARY(MY, "INSERT LOW_PRIORITY t SET a = 1, b = 2", "INSERT", "t");
	EXPECT_SUMMARY(MY, "REPLACE INTO `t` VALUES (1)", "REPLACE", "t");
	EXPECT_SUMMARY_BOTH("INSERT INTO t SELECT * FROM t WHERE a = 1", "INSERT", "t");
	EXPECT_SUMMARY(PG, "UPDATE ONLY t AS x SET a = 1, b = 2 WHERE id = 3", "UPDATE", "t");
	EXPECT_SUMMARY(MY, "UPDATE LOW_PRIORITY IGNORE t SET a = 1 ORDER BY id LIMIT 1", "UPDATE", "t");
	EXPECT_SUMMARY_BOTH("UPDATE t SET a = (SELECT max(a) FROM t)", "UPDATE", "t");
	EXPECT_SUMMARY_BOTH("DELETE FROM t WHERE id = 1", "DELETE", "t");
	EXPECT_SUMMARY(MY, "DELETE QUICK IGNORE FROM t WHERE id = 1", "DELETE", "t");
	EXPECT_SUMMARY(PG, "MERGE INTO t USING t ON true WHEN MATCHED THEN DELETE", "MERGE", "t");
}

Test(sql_summary, ddl_and_utility)
{
	EXPECT_SUMMARY(PG, "create table pgbench_history(tid int,bid int,aid    int,delta int,mtime timestamp,filler char(22))",
		       "CREATE", "pgbench_history");
	EXPECT_SUMMARY(PG, "CREATE UNLOGGED TABLE IF NOT EXISTS s.t (a int, b int)", "CREATE", "s.t");
	EXPECT_SUMMARY(PG, "CREATE TABLE n AS SELECT * FROM o", "CREATE", "n");
	EXPECT_SUMMARY(PG, "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY s.t USING btree (a, b)",
		       "CREATE", "s.t");
	EXPECT_SUMMARY(MY, "CREATE INDEX i ON `t` (a)", "CREATE", "t");
	EXPECT_SUMMARY_BOTH("CREATE VIEW v AS SELECT * FROM t", "CREATE", "");
	EXPECT_SUMMARY_BOTH("CREATE OR REPLACE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql",
			    "CREATE", "");
	EXPECT_SUMMARY_BOTH("DROP TABLE IF EXISTS t CASCADE", "DROP", "t");
	EXPECT_SUMMARY(MY, "DROP TEMPORARY TABLE `t`", "DROP", "t");
	EXPECT_SUMMARY(PG, "drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers",
		       "DROP", "");
	EXPECT_SUMMARY_BOTH("DROP INDEX i", "DROP", "");
	EXPECT_SUMMARY(PG, "alter table pgbench_branches add primary key (bid)", "ALTER", "pgbench_branches");
	EXPECT_SUMMARY(PG, "ALTER TABLE IF EXISTS ONLY t ADD a int, ADD b int", "ALTER", "t");
	EXPECT_SUMMARY_BOTH("ALTER USER u PASSWORD 'x'", "ALTER", "");
	EXPECT_SUMMARY(PG, "truncate table pgbench_accounts, pgbench_branches", "TRUNCATE", "");
	EXPECT_SUMMARY(PG, "TRUNCATE ONLY t RESTART IDENTITY", "TRUNCATE", "t");
	EXPECT_SUMMARY(PG, "copy pgbench_accounts from stdin with (freeze on)", "COPY", "pgbench_accounts");
	EXPECT_SUMMARY(PG, "COPY t (a, b) TO STDOUT WITH (FORMAT csv)", "COPY", "t");
	EXPECT_SUMMARY(PG, "COPY (SELECT * FROM t) TO STDOUT", "COPY", "");
	EXPECT_SUMMARY(PG, "vacuum analyze pgbench_branches", "VACUUM", "pgbench_branches");
	EXPECT_SUMMARY(PG, "VACUUM (VERBOSE, ANALYZE) t (a, b)", "VACUUM", "t");
	EXPECT_SUMMARY(PG, "VACUUM a, b", "VACUUM", "");
	EXPECT_SUMMARY(PG, "VACUUM", "VACUUM", "");
	EXPECT_SUMMARY(MY, "ANALYZE TABLE t", "ANALYZE", "t");
	EXPECT_SUMMARY(MY, "LOCK TABLES `users` WRITE", "LOCK", "users");
	EXPECT_SUMMARY(MY, "LOCK TABLES a READ, b WRITE", "LOCK", "");
	EXPECT_SUMMARY(PG, "LOCK TABLE t IN ACCESS EXCLUSIVE MODE", "LOCK", "t");
	EXPECT_SUMMARY(PG, "TABLE t", "TABLE", "t");
}

Test(sql_summary, explain_and_describe)
{
	EXPECT_SUMMARY(PG, "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM t WHERE a = 1", "EXPLAIN", "t");
	EXPECT_SUMMARY(PG, "EXPLAIN ANALYZE VERBOSE UPDATE t SET a = 1", "EXPLAIN", "t");
	EXPECT_SUMMARY(MY, "EXPLAIN FORMAT=JSON SELECT * FROM a JOIN b", "EXPLAIN", "");
	EXPECT_SUMMARY(MY, "explain format=tree select * from shop.orders", "EXPLAIN", "shop.orders");
	EXPECT_SUMMARY(MY, "DESCRIBE `users`", "DESCRIBE", "users");
	EXPECT_SUMMARY(MY, "DESC shop.users id", "DESC", "shop.users");
	/* Not a table named EXPLAIN: the statement further on is explained. */
	EXPECT_SUMMARY(PG, "EXPLAIN EXPLAIN SELECT * FROM t", "EXPLAIN", "t");
	EXPECT_SUMMARY_BOTH("EXPLAIN", "EXPLAIN", "");
}

Test(sql_summary, cut_short_text)
{
	const char *sql = "SELECT abalance FROM pgbench_accounts WHERE aid = 1";
	struct sql_info si;

	sql_summarize(PG, sql, 6, &si); /* "SELECT" */
	cr_expect_str_eq(si.operation, "SELECT");
	cr_expect_str_eq(si.collection, "");
	sql_summarize(PG, sql, 3, &si); /* "SEL" */
	cr_expect_str_eq(si.operation, "SEL");
	sql_summarize(PG, sql, 20, &si); /* "... FROM" */
	cr_expect_str_eq(si.collection, "");
	sql_summarize(PG, sql, 29, &si); /* "... FROM pgbench_" */
	cr_expect_str_eq(si.collection, "pgbench_");
	EXPECT_SUMMARY(PG, "UPDATE \"unterminated", "UPDATE", "unterminated");
	EXPECT_SUMMARY(PG, "SELECT * FROM s.", "SELECT", "s");
	EXPECT_SUMMARY_BOTH("SELECT * FROM (SELECT", "SELECT", "");
	EXPECT_SUMMARY(PG, "SELECT 'a', $$ FROM t", "SELECT", "");
	memset(&si, CANARY, sizeof(si));
	sql_summarize(PG, NULL, 0, &si);
	cr_expect_str_eq(si.operation, "");
	cr_expect_str_eq(si.collection, "");
}

Test(sql_summary, long_names_cut_on_utf8_boundary)
{
	char sql[256], want[SQL_COLLECTION_MAX];
	struct sql_info si;

	/* 62 ASCII bytes then "é": 64 bytes do not fit 63, the é is dropped
	 * whole. */
	memset(want, 'a', 62);
	want[62] = '\0';
	snprintf(sql, sizeof(sql), "SELECT * FROM %s\xc3\xa9 WHERE x", want);
	sql_summarize(PG, sql, strlen(sql), &si);
	cr_expect_str_eq(si.collection, want);
	/* A schema and a table that fit only together up to 63 bytes. */
	snprintf(sql, sizeof(sql), "SELECT * FROM s%060d.tbl", 0);
	sql_summarize(PG, sql, strlen(sql), &si);
	cr_expect_eq(strlen(si.collection), 63);
	cr_expect_eq(memcmp(si.collection + 61, ".t", 2), 0);
}

Test(sql_summary, deep_parentheses)
{
	char sql[1024];
	size_t i, n = 0;

	n += (size_t)snprintf(sql, sizeof(sql), "SELECT * FROM t WHERE a IN ");
	for (i = 0; i < 200; i++)
		sql[n++] = '(';
	n += (size_t)snprintf(sql + n, sizeof(sql) - n, "SELECT 1 FROM u");
	for (i = 0; i < 200; i++)
		sql[n++] = ')';
	sql[n] = '\0';
	/* Beyond 64 levels nothing counts: t is the one table seen. */
	EXPECT_SUMMARY(PG, sql, "SELECT", "t");
}
