// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alert.h"
#include "payload_rules.h"
#include "text.h"

#define PR_PATH_MAX 2048
#define PR_DECODE_ROUNDS 3 /* %252e%252e: double encoding, and one more */

/* One round of percent-decoding, with the evasions servers have honoured:
 * %u002e and %u2216 (IIS), overlong UTF-8 for '.' and '/' (%c0%ae,
 * %c0%af), and '\' as a separator. Returns the new length. */
static size_t pr_decode(const char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)in[i], h, l;

		if (c == '%' && i + 5 < n && (in[i + 1] == 'u' || in[i + 1] == 'U')) {
			unsigned v = 0;
			int ok = 1;

			for (int k = 2; k < 6; k++) {
				int d = text_hex_value((char)in[i + k]);

				ok &= d >= 0;
				v = v << 4 | (unsigned)(d < 0 ? 0 : d);
			}
			if (ok) {
				out[o++] = v == 0x2e ? '.' : (v == 0x2f || v == 0x5c || v == 0x2215 || v == 0x2216) ? '/' : '?';
				i += 5;
				continue;
			}
		}
		if (c == '%' && i + 2 < n && (h = text_hex_value((char)in[i + 1])) >= 0 && (l = text_hex_value((char)in[i + 2])) >= 0) {
			c = h << 4 | l;
			i += 2;
		}
		if (c == '\\')
			c = '/';
		out[o++] = (char)c;
	}
	/* overlong encodings of '.' (c0 ae) and '/' (c0 af, e0 80 af) */
	size_t w = 0;

	for (size_t i = 0; i < o; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c == 0xc0 && i + 1 < o && ((unsigned char)out[i + 1] == 0xae || (unsigned char)out[i + 1] == 0xaf)) {
			out[w++] = (unsigned char)out[i + 1] == 0xae ? '.' : '/';
			i++;
		} else if (c == 0xe0 && i + 2 < o && (unsigned char)out[i + 1] == 0x80 &&
			   ((unsigned char)out[i + 2] == 0xae || (unsigned char)out[i + 2] == 0xaf)) {
			out[w++] = (unsigned char)out[i + 2] == 0xae ? '.' : '/';
			i += 2;
		} else {
			out[w++] = (char)c;
		}
	}
	return w;
}

/* A segment that is "..", also with a path parameter ("..;x", Tomcat);
 * in a query a value is a segment too ("file=../x"). */
static int pr_has_dotdot(const char *p, size_t n, int query)
{
	size_t i = 0;

	while (i <= n) {
		size_t j = i;

		while (j < n && p[j] != '/' && !(query && (p[j] == '=' || p[j] == '&')))
			j++;
		if (j - i >= 2 && p[i] == '.' && p[i + 1] == '.' && (j - i == 2 || p[i + 2] == ';'))
			return 1;
		i = j + 1;
	}
	return 0;
}

static int pr_traversal(const char *path, size_t len, int query)
{
	char a[PR_PATH_MAX], b[PR_PATH_MAX];
	const char *cur = path;
	size_t n = len < PR_PATH_MAX ? len : PR_PATH_MAX;

	for (int round = 0; round <= PR_DECODE_ROUNDS; round++) {
		char *out = round % 2 ? b : a;

		if (pr_has_dotdot(cur, n, query))
			return 1;
		if (round == PR_DECODE_ROUNDS || (!memchr(cur, '%', n) && !memchr(cur, '\\', n) &&
						  !memchr(cur, 0xc0, n) && !memchr(cur, 0xe0, n)))
			break;
		n = pr_decode(cur, n, out);
		cur = out;
	}
	return 0;
}

int payload_path_traversal(const char *path, size_t len)
{
	return pr_traversal(path, len, 0);
}

int payload_query_traversal(const char *query, size_t len)
{
	return pr_traversal(query, len, 1);
}

int payload_redis_dangerous(const char *op)
{
	static const char *const ops[] = { "CONFIG SET", "SLAVEOF", "REPLICAOF", "MODULE LOAD",
					   "MODULE LOADEX" };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcasecmp(op, ops[i]) == 0)
			return 1;
	return 0;
}

/* SQL after redaction, read one token at a time to its end (an ORM's
 * SELECT has hundreds; an injection sits at its end): words (compared
 * without case), '?', and single punctuation bytes; quoted identifiers
 * are one word. */
struct pr_tok {
	const char *p;
	size_t n;
};

struct pr_lex {
	const char *s;
	size_t n, i;
};

static int pr_word_byte(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$' || c >= 0x80;
}

/* The next token into t; 0 at the end of the text. */
static int pr_next(struct pr_lex *lx, struct pr_tok *t)
{
	const char *s = lx->s;
	size_t i = lx->i, j;
	int c;

	while (i < lx->n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	if (i >= lx->n) {
		lx->i = i;
		return 0;
	}
	c = (unsigned char)s[i];
	j = i + 1;
	if (pr_word_byte(c)) {
		while (j < lx->n && pr_word_byte((unsigned char)s[j]))
			j++;
	} else if (c == '"' || c == '`') {
		while (j < lx->n && s[j] != c)
			j++;
		j = j < lx->n ? j + 1 : lx->n;
	}
	t->p = s + i;
	t->n = j - i;
	lx->i = j;
	return 1;
}

/* The k-th token after the cursor (1: the next), which stays where it is. */
static int pr_peek(const struct pr_lex *lx, uint32_t k, struct pr_tok *t)
{
	struct pr_lex c = *lx;

	while (k--)
		if (!pr_next(&c, t))
			return 0;
	return 1;
}

static int pr_is(const struct pr_tok *t, const char *w)
{
	size_t n = strlen(w);

	return t->n == n && strncasecmp(t->p, w, n) == 0;
}

static int pr_same(const struct pr_tok *a, const struct pr_tok *b)
{
	return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

int payload_sql_command_exec(const char *dialect, const char *text, size_t len)
{
	struct pr_lex lx = { text, len, 0 };
	struct pr_tok prev = { "", 0 }, first = { "", 0 }, t;
	int pg = strcmp(dialect, "postgresql") == 0, at_start = 1;

	while (pr_next(&lx, &t)) {
		/* the first word of each statement: a stacked one counts too */
		if (at_start)
			first = t;
		at_start = pr_is(&t, ";");
		/* COPY ... FROM|TO PROGRAM: runs a shell command on the server */
		if (pg && pr_is(&t, "PROGRAM") && (pr_is(&prev, "FROM") || pr_is(&prev, "TO")) &&
		    pr_is(&first, "COPY"))
			return 1;
		/* server-side file access: lo_import/lo_export, pg_read_file, LOAD_FILE */
		if (pr_is(&t, "(") &&
		    (pr_is(&prev, "lo_import") || pr_is(&prev, "lo_export") ||
		     pr_is(&prev, "pg_read_file") || pr_is(&prev, "pg_read_binary_file") ||
		     (!pg && pr_is(&prev, "LOAD_FILE"))))
			return 1;
		/* MySQL: SELECT ... INTO OUTFILE|DUMPFILE writes a server file */
		if (!pg && pr_is(&prev, "INTO") && (pr_is(&t, "OUTFILE") || pr_is(&t, "DUMPFILE")))
			return 1;
		/* a C function: the way to call libc's system() (T1505.001);
		 * MySQL's is a UDF from a shared object (lib_mysqludf_sys) */
		if (pg && pr_is(&prev, "LANGUAGE") && pr_is(&t, "C") && pr_is(&first, "CREATE"))
			return 1;
		if (!pg && pr_is(&t, "SONAME") && pr_is(&first, "CREATE"))
			return 1;
		prev = t;
	}
	return 0;
}

int payload_sql_stacked(const char *text, size_t len)
{
	struct pr_lex lx = { text, len, 0 };
	struct pr_tok prev = { "", 0 }, t;

	/* a ';' with a statement after it; literals are '?' by now, so the
	 * ';' is SQL's own */
	while (pr_next(&lx, &t)) {
		if (pr_is(&prev, ";") && !pr_is(&t, ";"))
			return 1;
		prev = t;
	}
	return 0;
}

/* Whether the k-th token after the cursor ends a condition (or there is none). */
static int pr_ends_condition(const struct pr_lex *lx, uint32_t k)
{
	struct pr_tok t;

	return !pr_peek(lx, k, &t) || pr_is(&t, ")") || pr_is(&t, ";") || pr_is(&t, "AND") ||
	       pr_is(&t, "OR") || pr_is(&t, "ORDER") || pr_is(&t, "LIMIT") ||
	       pr_is(&t, "GROUP") || pr_is(&t, "-") || pr_is(&t, "#");
}

int payload_sql_tautology(const char *text, size_t len)
{
	struct pr_lex lx = { text, len, 0 };
	struct pr_tok t, a, eq, b;

	/* OR x = x (two literals, or the same word twice), OR ?, OR TRUE,
	 * also in parentheses ("') OR ('1'='1"): after OR only, since
	 * "WHERE 1=1 AND ..." is how query builders start a clause */
	while (pr_next(&lx, &t)) {
		uint32_t k = 1;

		if (!pr_is(&t, "OR"))
			continue;
		if (pr_peek(&lx, 1, &a) && pr_is(&a, "("))
			k = 2;
		if (!pr_peek(&lx, k, &a))
			continue;
		if (pr_peek(&lx, k + 1, &eq) && pr_is(&eq, "=") && pr_peek(&lx, k + 2, &b) &&
		    pr_same(&a, &b) && !pr_is(&a, "(") && pr_ends_condition(&lx, k + 3))
			return 1;
		if ((pr_is(&a, "?") || pr_is(&a, "TRUE")) && pr_ends_condition(&lx, k + 1))
			return 1;
	}
	return 0;
}

/* The string attributes the rules read, each the first of its key. */
enum pr_field { PR_SYSTEM, PR_PATH, PR_QUERY, PR_OPERATION, PR_SQL, PR_FIELDS };

struct pr_fields {
	const char *v[PR_FIELDS]; /* NULL: absent */
	size_t n[PR_FIELDS];
};

static const struct {
	const char *key;
	size_t len;
} pr_keys[PR_FIELDS] = {
#define PR_KEY(s) { s, sizeof(s) - 1 }
	[PR_SYSTEM] = PR_KEY("db.system.name"),
	[PR_PATH] = PR_KEY("url.path"),
	[PR_QUERY] = PR_KEY("url.query"),
	[PR_OPERATION] = PR_KEY("db.operation.name"),
	[PR_SQL] = PR_KEY("db.query.text"),
#undef PR_KEY
};

/* One pass over the span's attributes, each key compared by its length
 * first: this runs on every span. */
static void pr_fields_of(const struct span *s, struct pr_fields *f)
{
	memset(f, 0, sizeof(*f));
	for (uint16_t i = 0; i < s->attrs.n; i++) {
		const struct span_attr *a = &s->attrs.a[i];

		if (a->type != SPAN_ATTR_STR)
			continue;
		for (int k = 0; k < PR_FIELDS; k++)
			if (!f->v[k] && a->key_len == pr_keys[k].len &&
			    memcmp(a->key, pr_keys[k].key, pr_keys[k].len) == 0)
				f->v[k] = span_attr_str(&s->attrs, a, &f->n[k]);
	}
}

static void pr_detail(char *detail, size_t cap, const char *what, const char *v, size_t n, int *first)
{
	if (!*first || !cap)
		return;
	*first = 0;
	snprintf(detail, cap, "%s %.*s", what, (int)(n > 200 ? 200 : n), v);
}

uint32_t payload_check(const struct span *s, char *detail, size_t cap)
{
	struct pr_fields f;
	size_t n, qn;
	const char *v;
	char system[16] = "";
	uint32_t hit = 0;
	int first = 1;

	if (cap)
		detail[0] = '\0';
	pr_fields_of(s, &f);
	if (f.v[PR_SYSTEM] && f.n[PR_SYSTEM] < sizeof(system))
		memcpy(system, f.v[PR_SYSTEM], f.n[PR_SYSTEM]);
	v = f.v[PR_PATH];
	n = f.n[PR_PATH];
	if (v && payload_path_traversal(v, n)) {
		hit |= 1u << ALERT_HTTP_PATH_TRAVERSAL;
		pr_detail(detail, cap, "url.path", v, n, &first);
	}
	v = f.v[PR_QUERY];
	n = f.n[PR_QUERY];
	if (v && payload_query_traversal(v, n)) {
		hit |= 1u << ALERT_HTTP_PATH_TRAVERSAL;
		pr_detail(detail, cap, "url.query", v, n, &first);
	}
	if (!strcmp(system, "redis")) {
		char op[64] = "";

		v = f.v[PR_OPERATION];
		n = f.n[PR_OPERATION];
		if (v && n < sizeof(op)) {
			memcpy(op, v, n);
			if (payload_redis_dangerous(op)) {
				hit |= 1u << ALERT_REDIS_DANGEROUS;
				pr_detail(detail, cap, "redis command", op, n, &first);
			}
		}
	}
	/* MariaDB speaks MySQL's SQL (the mysql module names it "mariadb") */
	if (!strcmp(system, "postgresql") || !strcmp(system, "mysql") || !strcmp(system, "mariadb")) {
		v = f.v[PR_SQL];
		qn = f.n[PR_SQL];
		if (v && payload_sql_command_exec(system, v, qn)) {
			hit |= 1u << ALERT_SQL_COMMAND_EXEC;
			pr_detail(detail, cap, "db.query.text", v, qn, &first);
		}
		if (v && payload_sql_stacked(v, qn)) {
			hit |= 1u << ALERT_SQL_STACKED;
			pr_detail(detail, cap, "db.query.text", v, qn, &first);
		}
		if (v && payload_sql_tautology(v, qn)) {
			hit |= 1u << ALERT_SQL_TAUTOLOGY;
			pr_detail(detail, cap, "db.query.text", v, qn, &first);
		}
	}
	return hit;
}
