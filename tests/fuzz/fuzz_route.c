// SPDX-License-Identifier: MIT
/*
 * Fuzzes route_split_target, route_template and redact_query on one input.
 * Input: byte 0 picks the small output size (0..31), the rest is a
 * request-target, checked as is and again read as a sequence of tokens
 * (secret keys, ids, separators) that random bytes rarely spell. Every
 * buffer is malloc'd to its exact size so ASan sees any overrun or
 * over-read; the target carries no NUL terminator.
 *
 * Checks: split results point into the target (or at a static "/"), the
 * path holds no '?' or '#', the query no '#'; template and redaction
 * results are NUL-terminated with strlen == the returned length, a small
 * buffer holds a prefix of the large result, both are idempotent, template
 * keeps every '/', and redaction matches a parameter-by-parameter reference.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "route.h"
#include "fuzz_check.h"

/* Length up to the first NUL: both writers stop there. */
static size_t cut_at_nul(const char *s, size_t n)
{
	const char *z = n ? memchr(s, '\0', n) : NULL;

	return z ? (size_t)(z - s) : n;
}

static size_t count(const char *s, size_t n, char c)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += s[i] == c;
	return k;
}

/* Runs fn with a large and a small buffer; returns the large result. */
typedef size_t (*writer_fn)(const char *, size_t, char *, size_t);

static char *run_writer(writer_fn fn, const char *in, size_t len,
			size_t big_cap, size_t small_cap, size_t *out_len)
{
	char *big = malloc(big_cap), *small = malloc(small_cap ? small_cap : 1);
	size_t n, m;

	CHECK(big && small);
	n = fn(in, len, big, big_cap);
	CHECK(n < big_cap && big[n] == '\0' && strlen(big) == n);

	m = fn(in, len, small_cap ? small : NULL, small_cap);
	if (small_cap == 0) {
		CHECK(m == 0);
	} else {
		CHECK(m < small_cap && small[m] == '\0' && strlen(small) == m);
		CHECK(m == (n < small_cap - 1 ? n : small_cap - 1));
		CHECK(memcmp(small, big, m) == 0);
	}
	free(small);
	*out_len = n;
	return big;
}

static void check_template(const char *path, size_t plen, size_t small_cap)
{
	size_t eff = cut_at_nul(path, plen), n, n2;
	/* "/1" (2 bytes) becomes "/{id}" (5): growth stays under 3x. */
	size_t big_cap = 3 * eff + 2;
	char *out, *again;

	out = run_writer(route_template, path, plen, big_cap, small_cap, &n);
	CHECK(count(out, n, '/') == count(path, eff, '/'));
	if (eff == 0 || path[0] != '/')
		CHECK(n == eff && memcmp(out, path, n) == 0);
	again = run_writer(route_template, out, n, 3 * n + 2, small_cap, &n2);
	CHECK(n2 == n && memcmp(again, out, n) == 0);
	free(again);
	free(out);
}

/* Parameter-by-parameter reference for redact_query. */
static void check_redaction(const char *q, size_t qlen, const char *out,
			    size_t n)
{
	size_t i = 0, o = 0, end, oend, klen;
	const char *eq;

	qlen = cut_at_nul(q, qlen);
	for (;;) {
		const char *amp = memchr(q + i, '&', qlen - i);
		const char *oamp = memchr(out + o, '&', n - o);

		end = amp ? (size_t)(amp - q) : qlen;
		oend = oamp ? (size_t)(oamp - out) : n;
		eq = memchr(q + i, '=', end - i);
		klen = eq ? (size_t)(eq - (q + i)) : 0;
		if (eq && redact_key_is_secret(q + i, klen)) {
			CHECK(oend - o == klen + 1 + strlen(REDACTED_VALUE));
			CHECK(memcmp(out + o, q + i, klen + 1) == 0);
			CHECK(memcmp(out + o + klen + 1, REDACTED_VALUE,
				     strlen(REDACTED_VALUE)) == 0);
		} else {
			CHECK(oend - o == end - i);
			CHECK(memcmp(out + o, q + i, end - i) == 0);
		}
		CHECK(!amp == !oamp);
		if (!amp)
			break;
		i = end + 1;
		o = oend + 1;
	}
}

static void check_redact(const char *q, size_t qlen, size_t small_cap)
{
	size_t eff = cut_at_nul(q, qlen), n, n2;
	size_t big_cap = eff + strlen(REDACTED_VALUE) * (count(q, eff, '&') + 1) + 1;
	char *out, *again;

	out = run_writer(redact_query, q, qlen, big_cap, small_cap, &n);
	check_redaction(q, qlen, out, n);
	again = run_writer(redact_query, out, n,
			   n + strlen(REDACTED_VALUE) * (count(out, n, '&') + 1) + 1,
			   small_cap, &n2);
	CHECK(n2 == n && memcmp(again, out, n) == 0);
	free(again);
	free(out);
}

/* Pieces that random bytes rarely spell: secret keys, ids, separators. */
static const char *const tokens[] = {
	"/", "?", "#", "&", "=", "token", "Api_Key", "sig", "PWD", "page",
	"1", "42", "0123456789abcdef", "550e8400-e29b-41d4-a716-446655440000",
	"http://", "h:80", "*", "x", "", "%20", ";", "SessionID", "v1",
};

#define N_TOKENS (sizeof(tokens) / sizeof(tokens[0]))

static void check_target(const char *t, size_t len, size_t small_cap)
{
	const char *path, *query;
	size_t plen, qlen;

	plen = route_split_target(t, len, &path, &query, &qlen);
	/* Compared as integers: the root may be another object. */
	if ((uintptr_t)path >= (uintptr_t)t &&
	    (uintptr_t)path <= (uintptr_t)(t + len)) {
		CHECK(path + plen <= t + len);
		CHECK(!memchr(path, '?', plen) && !memchr(path, '#', plen));
	} else {
		CHECK(plen == 1 && path[0] == '/'); /* the static root */
	}
	if (query) {
		CHECK(query > t && query <= t + len && query[-1] == '?');
		CHECK(query + qlen <= t + len);
		CHECK(!memchr(query, '#', qlen));
		CHECK(query + qlen == t + len || query[qlen] == '#');
		check_redact(query, qlen, small_cap);
	} else {
		CHECK(qlen == 0);
	}
	check_template(path, plen, small_cap);

	/* The raw input through each writer as well. */
	check_template(t, len, small_cap);
	check_redact(t, len, small_cap);
}

/* The input as a sequence of tokens, one per byte (a byte >= 128 adds a
 * NUL after its token), in an exact-size buffer; returns its length. */
static size_t tokenize(const uint8_t *data, size_t size, char **out)
{
	size_t i, len = 0, n;

	for (i = 0; i < size; i++)
		len += strlen(tokens[data[i] % N_TOKENS]) + (data[i] >= 128);
	*out = malloc(len ? len : 1);
	CHECK(*out);
	for (len = 0, i = 0; i < size; i++) {
		n = strlen(tokens[data[i] % N_TOKENS]);
		memcpy(*out + len, tokens[data[i] % N_TOKENS], n);
		len += n;
		if (data[i] >= 128)
			(*out)[len++] = '\0';
	}
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t small_cap, len;
	char *target;

	if (size < 1)
		return 0;
	small_cap = data[0] % 32;
	len = size - 1;
	target = malloc(len ? len : 1);
	CHECK(target);
	memcpy(target, data + 1, len);
	check_target(target, len, small_cap);
	free(target);

	len = tokenize(data + 1, size - 1, &target);
	check_target(target, len, small_cap);
	free(target);
	return 0;
}
