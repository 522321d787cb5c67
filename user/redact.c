// SPDX-License-Identifier: MIT
/*
 * Query-string redaction. Pure, allocation-free, run once per span.
 *
 * - Parameters are separated by '&' only (';' is kept as data).
 * - A key is everything before the first '=' of its parameter; the whole
 *   value, up to the next '&', becomes REDACTED_VALUE, even when empty
 *   ("token=" -> "token=REDACTED"), so the output never tells whether a
 *   secret was set.
 * - Truncation keeps the longest prefix of the redacted query that fits
 *   out_cap-1 bytes: a prefix of redacted text cannot hold a secret.
 * - An embedded NUL byte ends the query, so the result is strlen(out).
 */
#include "redact.h"

#include <string.h>
#include "outbuf.h"

/* Lower-case; matched as substrings of the lower-cased key. */
static const char *const redact_secret_words[] = {
	"token", "password", "passwd", "pwd", "secret", "key", "auth",
	"signature", "sig", "credential", "session", "jwt",
};

#define REDACT_N_WORDS \
	(sizeof(redact_secret_words) / sizeof(redact_secret_words[0]))

static char redact_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive (ASCII) search of lower-case word in s[0..n). */
static int redact_contains(const char *s, size_t n, const char *word)
{
	size_t wlen = strlen(word), i, k;

	for (i = 0; i + wlen <= n; i++) {
		for (k = 0; k < wlen && redact_lower(s[i + k]) == word[k]; k++)
			;
		if (k == wlen)
			return 1;
	}
	return 0;
}

int redact_key_is_secret(const char *key, size_t len)
{
	size_t i;

	if (!key)
		return 0;
	for (i = 0; i < REDACT_N_WORDS; i++)
		if (redact_contains(key, len, redact_secret_words[i]))
			return 1;
	return 0;
}

size_t redact_query(const char *query, size_t len, char *out, size_t out_cap)
{
	struct outbuf w = { out, out_cap, 0 };
	const char *nul, *amp, *eq;
	size_t i = 0, end, klen;

	if (!out || out_cap == 0)
		return 0;
	if (!query)
		len = 0;
	if (len && (nul = memchr(query, '\0', len)))
		len = (size_t)(nul - query);

	while (i < len && w.len < out_cap - 1) {
		amp = memchr(query + i, '&', len - i);
		end = amp ? (size_t)(amp - query) : len;
		eq = memchr(query + i, '=', end - i);
		klen = eq ? (size_t)(eq - (query + i)) : 0;
		if (eq && redact_key_is_secret(query + i, klen)) {
			outbuf_put(&w, query + i, klen + 1);
			outbuf_put(&w, REDACTED_VALUE, sizeof(REDACTED_VALUE) - 1);
		} else {
			outbuf_put(&w, query + i, end - i);
		}
		if (!amp)
			break;
		outbuf_put(&w, "&", 1);
		i = end + 1;
	}
	out[w.len] = '\0';
	return w.len;
}

static int redact_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

static int redact_value_end(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '&' || c == ',' ||
	       c == ';' || c == '}' || c == ']' || c == '"' || c == '\'';
}

/* An HTTP auth scheme: the credentials follow it after one space. */
static int redact_is_scheme(const char *s, size_t n)
{
	static const char *const schemes[] = { "bearer", "basic", "token", "digest", "negotiate" };

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strlen(schemes[i]) == n && redact_contains(s, n, schemes[i]))
			return 1;
	return 0;
}

/* Where a value that starts at i ends: inside its quotes (escapes
 * skipped), or at the first separator; a scheme word takes the next word. */
static size_t redact_value_span(const char *s, size_t len, size_t i, size_t *start)
{
	size_t j;

	if (i < len && (s[i] == '"' || s[i] == '\'')) {
		char q = s[i];

		*start = j = i + 1;
		while (j < len && s[j] != q)
			j += s[j] == '\\' && j + 1 < len ? 2 : 1;
		return j < len ? j : len;
	}
	*start = i;
	for (j = i; j < len && !redact_value_end(s[j]); j++)
		;
	if (j + 1 < len && s[j] == ' ' && redact_is_scheme(s + i, j - i) && !redact_value_end(s[j + 1]))
		for (j++; j < len && !redact_value_end(s[j]); j++)
			;
	return j;
}

int redact_text_next(const char *s, size_t len, size_t from, size_t *vstart, size_t *vend)
{
	size_t i = from;

	while (i < len) {
		size_t k = i, j;

		if (!redact_key_char(s[i]) || (i > 0 && redact_key_char(s[i - 1]))) {
			i++;
			continue;
		}
		while (k < len && redact_key_char(s[k]))
			k++;
		j = k;
		if (j < len && (s[j] == '"' || s[j] == '\'') && i > 0 && s[i - 1] == s[j])
			j++;
		while (j < len && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (j >= len || (s[j] != '=' && s[j] != ':')) {
			i = k;
			continue;
		}
		for (j++; j < len && (s[j] == ' ' || s[j] == '\t'); j++)
			;
		if (redact_key_is_secret(s + i, k - i)) {
			*vend = redact_value_span(s, len, j, vstart);
			return 1;
		}
		i = k;
	}
	return 0;
}

size_t redact_text(const char *text, size_t len, char *out, size_t out_cap)
{
	struct outbuf w = { out, out_cap, 0 };
	size_t at = 0, vs, ve;

	if (!out || out_cap == 0)
		return 0;
	while (redact_text_next(text, len, at, &vs, &ve)) {
		outbuf_put(&w, text + at, vs - at);
		outbuf_put(&w, REDACTED_VALUE, sizeof(REDACTED_VALUE) - 1);
		at = ve;
	}
	if (at < len)
		outbuf_put(&w, text + at, len - at);
	out[w.len] = '\0';
	return w.len;
}
