// SPDX-License-Identifier: MIT
/*
 * Fuzzes sql_redact and sql_summarize in both dialects on one input. The
 * whole input is the SQL text, so the seeds are plain statements; byte 0
 * also picks the small output size (0..39). The input is checked as is and
 * again read as a sequence of SQL pieces (quotes, comment markers, dollar
 * tags, numbers, keywords) that random bytes rarely spell. Every buffer is
 * malloc'd to its exact size so ASan sees any overrun or over-read; the
 * text carries no NUL terminator.
 *
 * Checks: results are NUL-terminated with strlen == the returned length
 * and never longer than the text (every literal or comment shrinks) but
 * for MySQL's "--" written "- -"; a
 * small buffer holds a prefix of the large result, cut at most 3 bytes
 * early (a UTF-8 character) and only when the flag says so, and valid
 * UTF-8 stays valid; redaction is idempotent; plain ASCII without quotes
 * keeps no all-digit word; the operation is upper-case letters; the
 * redacted text summarizes the same; a cut-short text is summarized too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql.h"
#include "fuzz_check.h"

/* Length up to the first NUL: both functions stop there. */
static size_t cut_at_nul(const char *s, size_t n)
{
	const char *z = n ? memchr(s, '\0', n) : NULL;

	return z ? (size_t)(z - s) : n;
}

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k, need;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			need = 1, cp = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			need = 2, cp = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			need = 3, cp = s[i] & 0x07;
		else
			return 0;
		if (i + need >= n)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += need + 1;
	}
	return 1;
}

static size_t dashes(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += s[i] == '-';
	return k;
}

static int is_word_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
	       c == '_' || c == '$' || c >= 0x80;
}

/* No run of word bytes is all digits: every number became '?'. */
static void check_no_bare_number(const char *s, size_t n)
{
	size_t i = 0, j, digits;

	while (i < n) {
		if (!is_word_byte((unsigned char)s[i])) {
			i++;
			continue;
		}
		for (j = i, digits = 0; j < n && is_word_byte((unsigned char)s[j]); j++)
			digits += s[j] >= '0' && s[j] <= '9';
		CHECK(digits < j - i);
		i = j;
	}
}

static int plain_ascii_unquoted(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == '\'' || s[i] == '"' ||
		    s[i] == '`')
			return 0;
	return 1;
}

static void check_info(const struct sql_info *si)
{
	size_t i;

	CHECK(memchr(si->operation, '\0', sizeof(si->operation)));
	CHECK(memchr(si->collection, '\0', sizeof(si->collection)));
	for (i = 0; si->operation[i]; i++)
		CHECK(si->operation[i] >= 'A' && si->operation[i] <= 'Z');
}

/* Redacts text into a buffer of exactly cap bytes; returns it (malloc'd). */
static char *redact(enum sql_dialect d, const char *text, size_t len,
		    size_t cap, size_t *n, int *truncated)
{
	char *out = malloc(cap ? cap : 1);

	CHECK(out);
	*truncated = -1;
	*n = sql_redact(d, text, len, cap ? out : NULL, cap, truncated);
	CHECK(*truncated == 0 || *truncated == 1);
	if (cap == 0) {
		CHECK(*n == 0);
		out[0] = '\0';
	} else {
		CHECK(*n < cap && out[*n] == '\0' && strlen(out) == *n);
	}
	return out;
}

static void check_dialect(enum sql_dialect d, const char *text, size_t len,
			  size_t small_cap)
{
	size_t eff = cut_at_nul(text, len), n, m, n2;
	struct sql_info a, b, c;
	char *big, *small, *again;
	int tr;

	/* Only MySQL's "--" -> "- -" grows the text: one byte per dash. */
	big = redact(d, text, len, eff + dashes(text, eff) + 1, &n, &tr);
	CHECK(!tr && n <= eff + (d == SQL_DIALECT_MYSQL ? dashes(text, eff) : 0));

	small = redact(d, text, len, small_cap, &m, &tr);
	CHECK(memcmp(small, big, m) == 0);
	if (tr)
		CHECK(m < n && m + 3 >= (small_cap ? small_cap - 1 : 0));
	else
		CHECK(m == n);
	if (utf8_valid((const unsigned char *)text, eff))
		CHECK(utf8_valid((const unsigned char *)small, m));

	again = redact(d, big, n, n + dashes(big, n) + 1, &n2, &tr);
	CHECK(!tr && n2 == n && memcmp(again, big, n) == 0);
	if (plain_ascii_unquoted(text, eff))
		check_no_bare_number(big, n);

	sql_summarize(d, text, len, &a);
	check_info(&a);
	sql_summarize(d, big, n, &b);
	CHECK(strcmp(a.operation, b.operation) == 0);
	CHECK(strcmp(a.collection, b.collection) == 0);
	sql_summarize(d, text, len / 2, &c); /* a capture cut short */
	check_info(&c);

	free(again);
	free(small);
	free(big);
}

static void check_text(const char *text, size_t len, size_t small_cap)
{
	check_dialect(SQL_DIALECT_POSTGRESQL, text, len, small_cap);
	check_dialect(SQL_DIALECT_MYSQL, text, len, small_cap);
}

/* Pieces that random bytes rarely spell. */
static const char *const tokens[] = {
	" ", "'", "''", "\"", "`", "\\", "--", "-- ", "#", "/*", "*/", "/*!",
	"$", "$$", "$a$", "$1", "?", ":x", "%s", "(", ")", ",", ";", ".", "\n",
	"0", "12", "1.5", ".5", "e", "E", "1e+3", "0x1F", "0b1", "1_0", "N",
	"X", "B", "x", "t1", "\"T\"", "SELECT", "FROM", "JOIN", "WHERE",
	"INSERT INTO", "UPDATE", "SET", "DELETE", "WITH", "AS", "DISTINCT",
	"EXTRACT", "VALUES", "TRUNCATE", "TABLE", "EXPLAIN", "CREATE INDEX",
	"ON", "USING", "DUAL", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	"\xe2\x82", "\xff",
};

#define N_TOKENS (sizeof(tokens) / sizeof(tokens[0]))

/* The input as a sequence of tokens, one per byte (a byte >= 128 adds a
 * NUL after its token), in an exact-size buffer; returns its length. */
static size_t tokenize(const uint8_t *data, size_t size, char **out)
{
	size_t i, len = 0, n;

	for (i = 0; i < size; i++)
		len += strlen(tokens[data[i] % N_TOKENS]) + (data[i] >= 248);
	*out = malloc(len ? len : 1);
	CHECK(*out);
	for (len = 0, i = 0; i < size; i++) {
		n = strlen(tokens[data[i] % N_TOKENS]);
		memcpy(*out + len, tokens[data[i] % N_TOKENS], n);
		len += n;
		if (data[i] >= 248)
			(*out)[len++] = '\0';
	}
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t small_cap, len;
	char *text;

	if (size < 1)
		return 0;
	small_cap = data[0] % 40;
	text = malloc(size);
	CHECK(text);
	memcpy(text, data, size);
	check_text(text, size, small_cap);
	free(text);

	len = tokenize(data, size, &text);
	check_text(text, len, small_cap);
	free(text);
	return 0;
}
