// SPDX-License-Identifier: MIT
/*
 * SQL statement text: literal redaction and the operation/collection
 * summary. One small lexer serves both, so they agree on where a literal,
 * comment or identifier starts and ends. Every scan moves forward only:
 * linear time, and no read past the text's length (or its first NUL).
 */
#include "sql.h"

#include <stdint.h>
#include <string.h>

enum tok_kind {
	TK_END,
	TK_SPACE,
	TK_COMMENT,
	TK_WORD,   /* keyword, plain identifier, PostgreSQL $1 */
	TK_QIDENT, /* PostgreSQL "ident", MySQL `ident` */
	TK_STRING,
	TK_NUMBER,
	TK_PUNCT,  /* any other single byte */
};

/* The text and its current token, s[start..pos). */
struct lexer {
	const unsigned char *s;
	size_t len, start, pos;
	enum tok_kind kind;
	int mysql;
};

/* A bounded string writer that never cuts a UTF-8 character in two. */
struct sbuf {
	char *p;
	size_t cap, n;
	int full;
};

static int is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* Bytes >= 0x80 are identifier characters in both servers' lexers. */
static int is_ident(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '_' || c == '$' || c >= 0x80;
}

/* base: 'x', 'o' or 'b' after a 0, anything else for decimal. */
static int is_base_digit(unsigned char c, unsigned char base)
{
	if (base == 'x')
		return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
	if (base == 'o' || base == 'b')
		return c >= '0' && c <= (base == 'o' ? '7' : '1');
	return is_digit(c);
}

/* How much of src fits in room bytes without cutting a UTF-8 character;
 * src[room] exists. Bytes that are not valid UTF-8 are cut anywhere. */
static size_t utf8_cut(const unsigned char *src, size_t room)
{
	size_t j = room, need;

	if ((src[room] & 0xc0) != 0x80)
		return room;
	while (j > 0 && room - j < 3 && (src[j - 1] & 0xc0) == 0x80)
		j--;
	if (j == 0 || src[j - 1] < 0xc0)
		return room;
	need = src[j - 1] >= 0xf0 ? 4 : src[j - 1] >= 0xe0 ? 3 : 2;
	return need > room - (j - 1) ? j - 1 : room;
}

static void put(struct sbuf *b, const void *src, size_t k)
{
	size_t room = b->cap ? b->cap - 1 - b->n : 0;

	if (b->full)
		return;
	if (k > room) {
		k = utf8_cut(src, room);
		b->full = 1;
	}
	if (k) {
		memcpy(b->p + b->n, src, k);
		b->n += k;
	}
}

/* i is just past the opening quote q; returns the index past the closing
 * one, or the end of the text. A doubled quote stands for itself. */
static size_t skip_quoted(const struct lexer *lx, size_t i, unsigned char q,
			  int backslash)
{
	while (i < lx->len) {
		unsigned char c = lx->s[i++];

		if (backslash && c == '\\') {
			i += i < lx->len;
		} else if (c == q) {
			if (i >= lx->len || lx->s[i] != q)
				return i;
			i++;
		}
	}
	return lx->len;
}

/* i is just past the opening slash-star; PostgreSQL comments nest. */
static size_t skip_block_comment(const struct lexer *lx, size_t i)
{
	size_t depth = 1;

	while (i + 1 < lx->len) {
		if (lx->s[i] == '*' && lx->s[i + 1] == '/') {
			i += 2;
			if (--depth == 0)
				return i;
		} else if (!lx->mysql && lx->s[i] == '/' && lx->s[i + 1] == '*') {
			i += 2;
			depth++;
		} else {
			i++;
		}
	}
	return lx->len;
}

/* PostgreSQL $tag$...$tag$ at i ('$'): returns its end, or 0 when i does
 * not open one. The tag holds no '$', so a failed match never overlaps the
 * next candidate: the search stays linear. */
static size_t skip_dollar_quote(const struct lexer *lx, size_t i)
{
	const unsigned char *s = lx->s;
	size_t j = i + 1, tag, p, k;

	if (j < lx->len && !is_digit(s[j]))
		while (j < lx->len && is_ident(s[j]) && s[j] != '$')
			j++;
	if (j >= lx->len || s[j] != '$')
		return 0;
	tag = j + 1 - i;
	for (p = j + 1; p < lx->len; p++) {
		for (k = 0; k < tag && p + k < lx->len && s[p + k] == s[i + k]; k++)
			;
		if (k == tag)
			return p + tag;
		p += k ? k - 1 : 0;
	}
	return lx->len;
}

/* Digits in base; PostgreSQL 16 also takes 1_000. */
static size_t skip_digits(const struct lexer *lx, size_t i, unsigned char base)
{
	const unsigned char *s = lx->s;

	while (i < lx->len && (is_base_digit(s[i], base) ||
			       (!lx->mysql && s[i] == '_' && i + 1 < lx->len &&
				is_base_digit(s[i + 1], base) &&
				is_base_digit(s[i - 1], base))))
		i++;
	return i;
}

/* A number at i (a digit, or '.' before one): 0x1F, 1, 1.5, .5, 1e-3.
 * MySQL spells its prefixes 0x and 0b in lower case only. */
static size_t skip_number(const struct lexer *lx, size_t i)
{
	const unsigned char *s = lx->s;
	unsigned char b = i + 2 < lx->len && s[i] == '0' ? s[i + 1] : 0;
	size_t j;

	if (!lx->mysql)
		b |= 0x20;
	if ((b == 'x' || b == 'b' || (b == 'o' && !lx->mysql)) &&
	    is_base_digit(s[i + 2], b))
		return skip_digits(lx, i + 2, b);
	i = skip_digits(lx, i, 'd');
	/* "1..10" is a PL/pgSQL range: the dots are not a fraction. */
	if (i < lx->len && s[i] == '.' && !(i + 1 < lx->len && s[i + 1] == '.'))
		i = skip_digits(lx, i + 1, 'd');
	if (i < lx->len && (s[i] | 0x20) == 'e') {
		j = i + 1 + (i + 1 < lx->len && (s[i + 1] == '+' || s[i + 1] == '-'));
		if (j < lx->len && is_digit(s[j]))
			i = skip_digits(lx, j, 'd');
	}
	return i;
}

static void lexer_init(struct lexer *lx, enum sql_dialect d, const char *sql,
		       size_t len)
{
	const char *nul = len ? memchr(sql, '\0', len) : NULL;

	memset(lx, 0, sizeof(*lx));
	lx->mysql = d == SQL_DIALECT_MYSQL;
	lx->s = (const unsigned char *)(len ? sql : ""); /* sql may be NULL */
	lx->len = nul ? (size_t)(nul - sql) : len;
	lx->kind = TK_SPACE;
}

/* Reads the next token; returns its kind. */
static enum tok_kind lex(struct lexer *lx)
{
	const unsigned char *s = lx->s;
	size_t i = lx->pos, j = i + 1, n = lx->len, q;
	unsigned char c = i < n ? s[i] : 0;
	enum tok_kind k = TK_PUNCT;

	if (i >= n) {
		k = TK_END;
		j = i;
	} else if (is_space(c)) {
		while (j < n && is_space(s[j]))
			j++;
		k = TK_SPACE;
	} else if ((c == '-' && j < n && s[j] == '-' &&
		    /* MySQL: "--" starts a comment only before a space */
		    (!lx->mysql || j + 1 >= n || s[j + 1] <= ' ')) ||
		   (c == '#' && lx->mysql)) {
		while (j < n && s[j] != '\n' && s[j] != '\r')
			j++;
		k = TK_COMMENT;
	} else if (c == '/' && j < n && s[j] == '*') {
		j = skip_block_comment(lx, j + 1);
		k = TK_COMMENT;
	} else if (c == '\'' || (c == '"' && lx->mysql)) {
		j = skip_quoted(lx, j, c, lx->mysql);
		k = TK_STRING;
	} else if (c == '"' || (c == '`' && lx->mysql)) {
		j = skip_quoted(lx, j, c, 0);
		k = TK_QIDENT;
	} else if (is_digit(c) || (c == '.' && j < n && is_digit(s[j]) &&
				   lx->kind != TK_WORD && lx->kind != TK_QIDENT)) {
		j = skip_number(lx, i);
		k = TK_NUMBER;
		/* MySQL identifiers may start with digits: 1col, 0x1g, 1e5x. */
		if (lx->mysql && j < n && is_ident(s[j]) && !memchr(s + i, '.', j - i)) {
			for (j = i; j < n && is_ident(s[j]); j++)
				;
			k = TK_WORD;
		}
	} else if (is_alpha(c) || c == '_' || c >= 0x80 || (c == '$' && lx->mysql) ||
		   (c == '$' && j < n && is_digit(s[j]))) {
		while (j < n && is_ident(s[j]))
			j++;
		k = TK_WORD;
		/* E'..', N'..', X'..', B'..': the prefix is part of the literal. */
		if (j == i + 1 && j < n && s[j] == '\'' &&
		    strchr(lx->mysql ? "NnXxBb" : "EeNnXxBb", c)) {
			j = skip_quoted(lx, j + 1, '\'', lx->mysql || (c | 0x20) == 'e');
			k = TK_STRING;
		}
	} else if (c == '$' && (q = skip_dollar_quote(lx, i)) != 0) {
		j = q;
		k = TK_STRING;
	}
	lx->start = i;
	lx->pos = j;
	return lx->kind = k;
}

size_t sql_redact(enum sql_dialect d, const char *sql, size_t len, char *out,
		  size_t cap, int *truncated)
{
	struct sbuf b = { out, cap, 0, 0 };
	struct lexer lx;

	lexer_init(&lx, d, sql, len);
	while (!b.full && lex(&lx) != TK_END) {
		if (lx.kind == TK_STRING || lx.kind == TK_NUMBER)
			put(&b, "?", 1);
		/* MySQL's "--" is a comment before a space or the end, which a
		 * dropped comment could bring ("1--#c"): a minus after a minus is
		 * written "- -", which means the same. */
		else if (lx.mysql && lx.kind == TK_PUNCT && lx.s[lx.start] == '-' &&
			 b.n > 0 && out[b.n - 1] == '-')
			put(&b, " -", 2);
		else if (lx.kind != TK_COMMENT)
			put(&b, lx.s + lx.start, lx.pos - lx.start);
		/* A comment between two tokens becomes one space, not nothing. */
		else if (b.n > 0 && !is_space((unsigned char)out[b.n - 1]) &&
			 lx.pos < lx.len && !is_space(lx.s[lx.pos]))
			put(&b, " ", 1);
	}
	if (cap)
		out[b.n] = '\0';
	if (truncated)
		*truncated = b.full;
	return b.n;
}

/* The summary walks the significant tokens of the first statement. */
struct scan {
	struct lexer lx;
	char name[SQL_COLLECTION_MAX]; /* the table seen so far */
	int have, ambiguous;
};

static void next(struct scan *sc)
{
	while (lex(&sc->lx) == TK_SPACE || sc->lx.kind == TK_COMMENT)
		;
}

static int is_punct(const struct scan *sc, char c)
{
	return sc->lx.kind == TK_PUNCT && sc->lx.s[sc->lx.start] == (unsigned char)c;
}

static int is_name(const struct scan *sc)
{
	return sc->lx.kind == TK_WORD || sc->lx.kind == TK_QIDENT;
}

/* Is the current token one of the '|'-separated upper-case words in set? */
static int is_kw(const struct scan *sc, const char *set)
{
	const unsigned char *w = sc->lx.s + sc->lx.start;
	size_t n = sc->lx.pos - sc->lx.start, i;

	if (sc->lx.kind != TK_WORD)
		return 0;
	for (; set; set = strchr(set, '|'), set = set ? set + 1 : NULL) {
		for (i = 0; i < n && set[i] == (char)(w[i] & ~(is_alpha(w[i]) << 5)); i++)
			;
		if (i == n && (set[i] == '|' || set[i] == '\0'))
			return 1;
	}
	return 0;
}

/* The current word, upper-cased, when it is all ASCII letters and fits. */
static int set_operation(struct sql_info *out, const struct scan *sc)
{
	const unsigned char *w = sc->lx.s + sc->lx.start;
	size_t n = sc->lx.pos - sc->lx.start, i;

	if (sc->lx.kind != TK_WORD || n >= sizeof(out->operation))
		return 0;
	for (i = 0; i < n; i++)
		if (!is_alpha(w[i]))
			return 0;
	for (i = 0; i < n; i++)
		out->operation[i] = (char)(w[i] & ~0x20);
	out->operation[n] = '\0';
	return 1;
}

/* Reads schema.table (any number of parts) into buf without the quotes,
 * a doubled quote being one, and leaves the token after it current.
 * Parts are put whole or cut at a quote: no UTF-8 character is split. */
static int read_name(struct scan *sc, char *buf, size_t cap)
{
	struct sbuf b = { buf, cap, 0, 0 };
	const unsigned char *q, *p, *e, *seg;

	if (!is_name(sc))
		return 0;
	do {
		q = p = sc->lx.s + sc->lx.start;
		e = sc->lx.s + sc->lx.pos;
		if (sc->lx.kind == TK_QIDENT && e > ++p && e[-1] == *q)
			e--; /* no closing quote when cut short */
		for (seg = p; sc->lx.kind == TK_QIDENT && p + 1 < e; p++)
			if (*p == *q && p[1] == *q) {
				put(&b, seg, (size_t)(++p - seg));
				seg = p + 1;
			}
		put(&b, seg, (size_t)(e - seg));
		next(sc);
		if (!is_punct(sc, '.'))
			break;
		next(sc);
		if (is_name(sc))
			put(&b, ".", 1);
	} while (is_name(sc));
	buf[b.n] = '\0';
	return 1;
}

static void record(struct scan *sc, const char *name)
{
	if (!sc->have)
		memcpy(sc->name, name, strlen(name) + 1);
	else if (strcmp(sc->name, name) != 0)
		sc->ambiguous = 1;
	sc->have = 1;
}

/* A table in FROM/JOIN/INTO/USING position. A subquery, LATERAL item or
 * function (in_from: a '(' after the name) is not one table. */
static void table_ref(struct scan *sc, int in_from)
{
	char name[SQL_COLLECTION_MAX];

	while (is_kw(sc, "ONLY"))
		next(sc);
	if (sc->lx.kind == TK_END) /* cut short */
		return;
	if (is_kw(sc, "DUAL")) { /* MySQL's "no table" */
		next(sc);
		return;
	}
	if (is_kw(sc, "LATERAL") || !read_name(sc, name, sizeof(name)) ||
	    (in_from && is_punct(sc, '(')))
		sc->ambiguous = 1;
	else
		record(sc, name);
}

/* Moves to the first keyword in set or punctuation c outside parentheses,
 * before the statement's end; returns 0 when there is none. From a '(',
 * find(sc, "", ')') after next(sc) finds its ')'. */
static int find(struct scan *sc, const char *set, char c)
{
	size_t depth = 0;

	for (; sc->lx.kind != TK_END; next(sc)) {
		if (depth == 0 && (is_punct(sc, c) || is_kw(sc, set)))
			return 1;
		if (is_punct(sc, '('))
			depth++;
		else if (is_punct(sc, ')'))
			depth -= depth > 0;
		else if (depth == 0 && is_punct(sc, ';'))
			return 0;
	}
	return 0;
}

/* Words that end a FROM list (or UPDATE's table list) at their level. */
#define SQL_CLAUSES                                                            \
	"WHERE|GROUP|HAVING|ORDER|LIMIT|OFFSET|FETCH|FOR|WINDOW|UNION|"        \
	"INTERSECT|EXCEPT|RETURNING|SET|ON|VALUES|SELECT|INTO|LOCK|PROCEDURE"
#define SQL_STATEMENTS "SELECT|INSERT|UPDATE|DELETE|MERGE|VALUES|TABLE|REPLACE"
/* Parenthesis levels tracked; deeper ones never count as queries. */
#define SQL_LEVELS 64

/*
 * SELECT/INSERT/UPDATE/DELETE/MERGE, from the text's start. A level (the
 * statement, or a parenthesis) is a query when its first word is a
 * statement keyword; only there FROM names a table, so EXTRACT(x FROM y)
 * and "IS DISTINCT FROM" do not. JOIN, or a ',' in a FROM list, means
 * several tables.
 */
static void scan_query(struct scan *sc)
{
	uint64_t query = 0, from_list = 0, pending = 1, bit;
	size_t depth = 0;
	int after_distinct = 0, using_tables = 0, update;

	next(sc);
	while (!sc->ambiguous && sc->lx.kind != TK_END) {
		bit = depth < SQL_LEVELS ? (uint64_t)1 << depth : 0;
		if ((pending & bit) && is_kw(sc, "SELECT|WITH")) {
			query |= bit;
		} else if ((pending & bit) &&
			   is_kw(sc, "INSERT|REPLACE|UPDATE|DELETE|MERGE")) {
			query |= bit;
			if (depth == 0) /* DELETE ... USING t, MERGE ... USING t */
				using_tables = is_kw(sc, "DELETE|MERGE");
			if (!is_kw(sc, "DELETE")) { /* DELETE's table follows FROM */
				update = is_kw(sc, "UPDATE");
				from_list |= update ? bit : 0; /* MySQL: UPDATE t1, t2 */
				pending &= ~bit;
				next(sc);
				while (is_kw(sc, "LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE|INTO"))
					next(sc);
				table_ref(sc, update);
				continue;
			}
		}
		pending &= ~bit;
		if (is_punct(sc, '(')) {
			depth++;
			bit = depth < SQL_LEVELS ? (uint64_t)1 << depth : 0;
			pending |= bit;
			query &= ~bit;
			from_list &= ~bit;
		} else if (is_punct(sc, ')')) {
			depth -= depth > 0;
		} else if (depth == 0 && is_punct(sc, ';')) {
			break;
		} else if (query & bit) {
			if (is_kw(sc, "JOIN|STRAIGHT_JOIN") ||
			    (is_punct(sc, ',') && (from_list & bit))) {
				sc->ambiguous = 1;
				break;
			}
			if ((is_kw(sc, "FROM") && !after_distinct) ||
			    (depth == 0 && using_tables && is_kw(sc, "USING"))) {
				next(sc);
				table_ref(sc, 1);
				from_list |= bit;
				after_distinct = 0;
				continue;
			}
			if (is_kw(sc, SQL_CLAUSES))
				from_list &= ~bit;
		}
		after_distinct = is_kw(sc, "DISTINCT");
		next(sc);
	}
}

/* WITH's main statement: the first statement keyword outside parentheses
 * that is not a CTE's name (those follow WITH, RECURSIVE or ','). */
static void with_main(struct scan *sc, struct sql_info *out)
{
	size_t depth = 0;
	int after_sep = 1;

	for (next(sc); sc->lx.kind != TK_END; next(sc)) {
		if (is_punct(sc, '('))
			depth++;
		else if (is_punct(sc, ')'))
			depth -= depth > 0;
		else if (depth == 0 && is_punct(sc, ';'))
			return;
		else if (depth == 0 && !after_sep && is_kw(sc, SQL_STATEMENTS) &&
			 set_operation(out, sc))
			return;
		after_sep = is_kw(sc, "RECURSIVE") || is_punct(sc, ',');
	}
}

/* Statements naming their table after a few words: TRUNCATE TABLE t.
 * With list, "t1, t2" names several, and an option list in parentheses
 * may come first (VACUUM (VERBOSE) t); COPY (query) names none. */
static void head_table(struct scan *sc, const char *skip, int list)
{
	char name[SQL_COLLECTION_MAX];

	for (next(sc); is_kw(sc, skip) || (list && is_punct(sc, '(')); next(sc))
		if (is_punct(sc, '(')) {
			next(sc);
			find(sc, "", ')');
		}
	if (read_name(sc, name, sizeof(name)) && !(list && find(sc, "", ',')))
		record(sc, name);
}

/* EXPLAIN [options] statement: the statement's table, from its own
 * summary (which never starts at EXPLAIN, so this recurses once at most).
 * MySQL's EXPLAIN t and DESCRIBE t name the table directly. */
static void explain(struct scan *sc, enum sql_dialect d)
{
	struct sql_info inner;
	int i;

	next(sc);
	if (is_name(sc) && !is_kw(sc, "ANALYZE|ANALYSE|VERBOSE|EXTENDED|FORMAT|"
				      "PARTITIONS|FOR|WITH|EXPLAIN|" SQL_STATEMENTS)) {
		if (read_name(sc, inner.collection, sizeof(inner.collection)))
			record(sc, inner.collection);
		return;
	}
	for (i = 0; i < 16 && sc->lx.kind != TK_END; i++, next(sc)) {
		if (is_punct(sc, '(')) {
			next(sc);
			find(sc, "", ')');
		}
		if (!is_kw(sc, "WITH|" SQL_STATEMENTS))
			continue;
		sql_summarize(d, (const char *)sc->lx.s + sc->lx.start,
			      sc->lx.len - sc->lx.start, &inner);
		if (inner.collection[0])
			record(sc, inner.collection);
		return;
	}
}

void sql_summarize(enum sql_dialect d, const char *sql, size_t len,
		   struct sql_info *out)
{
	struct scan sc;
	int create;

	memset(out, 0, sizeof(*out));
	memset(&sc, 0, sizeof(sc));
	lexer_init(&sc.lx, d, sql, len);
	for (next(&sc); is_punct(&sc, '('); next(&sc))
		;
	if (!set_operation(out, &sc))
		return;
	create = is_kw(&sc, "CREATE");
	if (is_kw(&sc, "WITH")) {
		/* Its tables are CTEs or subqueries: no one collection. */
		with_main(&sc, out);
	} else if (is_kw(&sc, "SELECT|INSERT|REPLACE|UPDATE|DELETE|MERGE")) {
		lexer_init(&sc.lx, d, sql, len);
		scan_query(&sc);
	} else if (is_kw(&sc, "TRUNCATE|LOCK")) {
		head_table(&sc, "TABLE|TABLES|ONLY", 1);
	} else if (is_kw(&sc, "VACUUM|ANALYZE|ANALYSE|OPTIMIZE")) {
		head_table(&sc, "FULL|FREEZE|VERBOSE|ANALYZE|ANALYSE|SKIP_LOCKED|"
				"TABLE|NO_WRITE_TO_BINLOG|LOCAL", 1);
	} else if (is_kw(&sc, "COPY|TABLE")) {
		head_table(&sc, "ONLY|BINARY", 0);
	} else if (is_kw(&sc, "EXPLAIN|DESCRIBE|DESC")) {
		explain(&sc, d);
	} else if (is_kw(&sc, "CREATE|DROP|ALTER")) {
		/* Tables only; an index counts for the table it is ON. */
		for (next(&sc); is_kw(&sc, "OR|REPLACE|TEMP|TEMPORARY|UNLOGGED|"
					    "GLOBAL|LOCAL|UNIQUE|ONLINE|IGNORE");
		     next(&sc))
			;
		if (is_kw(&sc, "TABLE"))
			head_table(&sc, create ? "IF|NOT|EXISTS" : "IF|EXISTS|ONLY",
				   out->operation[0] == 'D');
		else if (create && is_kw(&sc, "INDEX") && find(&sc, "ON", 0))
			head_table(&sc, "ONLY", 0);
	}
	if (sc.have && !sc.ambiguous)
		memcpy(out->collection, sc.name, sizeof(out->collection));
}
