/* SPDX-License-Identifier: MIT */
/*
 * SQL statement text for database spans: literal redaction (db.query.text)
 * and the operation/collection summary (db.operation.name,
 * db.collection.name). Pure functions over (buf, len): no globals, no I/O,
 * linear time. Shared by the PostgreSQL and MySQL protocol parsers.
 *
 * Both read the text only up to its first NUL byte: PostgreSQL query
 * strings are C strings, and MySQL clients send NUL in literals escaped
 * ("\0"), so a raw NUL is never part of a statement.
 */
#ifndef ZT_SQL_H
#define ZT_SQL_H

#include <stddef.h>

#define SQL_OPERATION_MAX 24
#define SQL_COLLECTION_MAX 64

enum sql_dialect {
	SQL_DIALECT_POSTGRESQL = 0,
	SQL_DIALECT_MYSQL = 1,
};

/* What a span needs from a statement. Both strings NUL-terminated. */
struct sql_info {
	/* db.operation.name: the first keyword, upper-cased: SELECT, INSERT,
	 * BEGIN, SET, SHOW, COPY, CALL, EXPLAIN, ... For WITH, the main
	 * statement's keyword (WITH x AS (...) SELECT -> SELECT), or "WITH"
	 * when the text was cut before it. "" unless the statement starts
	 * with a word of 1 to 23 ASCII letters. */
	char operation[SQL_OPERATION_MAX];
	/* db.collection.name: the one table the statement is clearly about,
	 * with its schema ("public.accounts") and without identifier quotes,
	 * cut to fit on a UTF-8 boundary. Found after FROM, INSERT INTO,
	 * UPDATE, MERGE INTO, DELETE ... USING, COPY, TRUNCATE, LOCK, VACUUM,
	 * ANALYZE, TABLE, CREATE/DROP/ALTER TABLE, CREATE INDEX ... ON, and
	 * in the statement an EXPLAIN shows. The same table named twice is
	 * one. "" for a JOIN, a second table (in a list, a subquery, a UNION),
	 * a subquery or function in FROM, WITH statements, and statements
	 * about no table (BEGIN, SET, SHOW, CALL, CREATE VIEW, ...). */
	char collection[SQL_COLLECTION_MAX];
};

/*
 * Copies `sql` (len bytes; sql may be NULL when len is 0) into out (cap
 * bytes including the NUL; out may be NULL when cap is 0) with every
 * literal replaced by '?':
 *   - numbers: 1, 1.5, .5, 1e-3; PostgreSQL's 0x1F, 0o17, 0b101, 1_000;
 *     MySQL's 0x1f, 0b101 (lower-case prefix; MySQL identifiers such as
 *     1col or 0x1g are kept);
 *   - 'strings' with '' doubling; backslash escapes in PostgreSQL E'..'
 *     and in every MySQL string; N'..', X'..', B'..' (and PostgreSQL
 *     E'..') prefixes are part of the literal; PostgreSQL $$..$$ and
 *     $tag$..$tag$; MySQL "strings".
 * Comments are left out: --, block comments (nested in PostgreSQL;
 * MySQL's executable comments and optimizer hints included), MySQL's #.
 * A comment becomes one space where it separated two tokens, nothing
 * where whitespace or the start or end of the text is next to it. In
 * MySQL, where "--" before a space starts a comment, two minus signs are
 * written "- -" (1--2 -> ?- -?) so that the output reads the same when
 * redacted again; this is the only way the output grows (by one byte per
 * such '-'). Everything else is copied as it is: keywords, identifiers,
 * PostgreSQL "quoted" and MySQL `backtick` identifiers, placeholders ($1,
 * ?, :name, %s), operators, whitespace, and bytes that are not valid
 * UTF-8. A literal cut short by the end of the text still becomes '?'.
 *
 * The output is cut at cap-1 bytes, or up to 3 bytes earlier rather than
 * in the middle of a UTF-8 character. Returns the length written (==
 * strlen(out)); *truncated (may be NULL) is set to 1 when out was too
 * small, else 0. Redacting a whole (not truncated) output again gives
 * the same output.
 */
size_t sql_redact(enum sql_dialect d, const char *sql, size_t len, char *out,
		  size_t cap, int *truncated);

/*
 * Fills out from the first statement of `sql` (up to a ';' outside
 * parentheses); leading whitespace, comments and '(' are skipped. A text
 * cut short gives what its start shows.
 */
void sql_summarize(enum sql_dialect d, const char *sql, size_t len,
		   struct sql_info *out);

#endif /* ZT_SQL_H */
