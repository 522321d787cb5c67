// SPDX-License-Identifier: MIT
/*
 * Fuzzes json_put_string (and the number writers) into small buffers.
 * Input: byte 0 picks the buffer size (0..95), the rest is the string.
 *
 * Checks, for every input:
 * - nothing is written past cap (the buffer is malloc'd to exactly cap, so
 *   ASan sees any overrun), len < cap, data[len] == '\0', no NUL inside;
 * - without overflow: the output is a valid JSON string (own checker below,
 *   strict UTF-8) and equals, byte for byte, an independent reference
 *   encoding of the input;
 * - with overflow: the output is a prefix of the reference that ends on a
 *   unit boundary (never inside an escape or a character) and is maximal:
 *   the next unit would not have fit.
 * - numbers match snprintf, or are not written at all when they do not fit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "fuzz_check.h"

/* Decodes one strict UTF-8 character by computing its code point (a
 * different method from json.c's table); returns its length or 0. */
static size_t ref_utf8(const uint8_t *s, size_t n, uint32_t *cp_out)
{
	uint8_t c = s[0];
	size_t len, k;
	uint32_t cp, min;

	if (c < 0x80) {
		*cp_out = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_out = cp;
	return len;
}

/* Appends one output unit and marks where it starts. */
static void ref_unit(char *out, uint8_t *bound, size_t *o, const void *p,
		     size_t len)
{
	memcpy(out + *o, p, len);
	bound[*o] = 1;
	memset(bound + *o + 1, 0, len - 1);
	*o += len;
}

/* Reference encoding of the whole string; bound[i] = 1 where a unit starts
 * (and at the very end). */
static size_t ref_encode(const uint8_t *s, size_t n, char *out, uint8_t *bound)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, o = 0, len;
	uint32_t cp;
	char esc[6];

	ref_unit(out, bound, &o, "\"", 1);
	while (i < n) {
		len = ref_utf8(s + i, n - i, &cp);
		if (len == 0) {
			ref_unit(out, bound, &o, "\\ufffd", 6);
			i++;
			continue;
		}
		if (len > 1 || (cp >= 0x20 && cp != '"' && cp != '\\')) {
			ref_unit(out, bound, &o, s + i, len);
			i += len;
			continue;
		}
		esc[0] = '\\';
		switch (cp) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default: esc[1] = 0; break;
		}
		if (esc[1]) {
			ref_unit(out, bound, &o, esc, 2);
		} else {
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[cp >> 4];
			esc[5] = hex[cp & 0xf];
			ref_unit(out, bound, &o, esc, 6);
		}
		i++;
	}
	ref_unit(out, bound, &o, "\"", 1);
	bound[o] = 1; /* the end is a boundary too */
	return o;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/*
 * A JSON string (RFC 8259, section 7) with strict UTF-8: returns 1 when
 * s[0..n) is exactly one complete, valid string. \u escapes must not be
 * lone surrogates.
 */
static int json_string_valid(const char *s, size_t n)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t i = 1, len;
	uint32_t cp, hi;

	if (n < 2 || s[0] != '"')
		return 0;
	while (i < n) {
		if (u[i] == '"')
			return i == n - 1;
		if (u[i] < 0x20)
			return 0;
		if (u[i] == '\\') {
			if (i + 1 >= n)
				return 0;
			if (strchr("\"\\/bfnrt", s[i + 1]) && s[i + 1]) {
				i += 2;
				continue;
			}
			if (s[i + 1] != 'u' || i + 6 > n)
				return 0;
			for (len = 2; len < 6; len++)
				if (!is_hex(s[i + len]))
					return 0;
			hi = (uint32_t)strtoul((char[5]){ s[i + 2], s[i + 3],
							  s[i + 4], s[i + 5], 0 },
					       NULL, 16);
			i += 6;
			if (hi >= 0xdc00 && hi <= 0xdfff)
				return 0;
			if (hi >= 0xd800 && hi <= 0xdbff) {
				if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u')
					return 0;
				for (len = 2; len < 6; len++)
					if (!is_hex(s[i + len]))
						return 0;
				cp = (uint32_t)strtoul(
					(char[5]){ s[i + 2], s[i + 3], s[i + 4],
						   s[i + 5], 0 },
					NULL, 16);
				if (cp < 0xdc00 || cp > 0xdfff)
					return 0;
				i += 6;
			}
			continue;
		}
		len = ref_utf8(u + i, n - i, &cp);
		if (len == 0)
			return 0;
		i += len;
	}
	return 0; /* no closing quote */
}

static void check_numbers(const uint8_t *data, size_t size, size_t cap)
{
	char want[32], *store = malloc(cap ? cap : 1);
	struct json_buf b;
	uint64_t u = 0;
	int64_t v;
	size_t n;

	CHECK(store);
	memcpy(&u, data, size < 8 ? size : 8);
	memcpy(&v, &u, sizeof(v));

	n = (size_t)snprintf(want, sizeof(want), "%" PRIu64, u);
	json_buf_init(&b, cap ? store : NULL, cap);
	json_put_u64(&b, u);
	CHECK(n < cap ? !b.overflow && b.len == n &&
				memcmp(store, want, n + 1) == 0 :
			b.overflow && b.len == 0);

	n = (size_t)snprintf(want, sizeof(want), "%" PRId64, v);
	json_buf_init(&b, cap ? store : NULL, cap);
	json_put_i64(&b, v);
	CHECK(n < cap ? !b.overflow && b.len == n &&
				memcmp(store, want, n + 1) == 0 :
			b.overflow && b.len == 0);
	free(store);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_buf b;
	size_t cap, n, ref_len;
	char *store, *ref;
	uint8_t *bound;

	if (size < 1)
		return 0;
	cap = data[0] % 96;
	data++;
	size--;

	store = malloc(cap ? cap : 1);
	ref = malloc(6 * size + 2);
	bound = malloc(6 * size + 3);
	CHECK(store && ref && bound);

	json_buf_init(&b, cap ? store : NULL, cap);
	json_put_string(&b, data, size);
	n = b.len;
	if (cap == 0) {
		CHECK(n == 0 && b.overflow);
	} else {
		CHECK(n < cap);
		CHECK(store[n] == '\0');
		CHECK(memchr(store, '\0', n) == NULL);
	}

	ref_len = ref_encode(data, size, ref, bound);
	CHECK(json_string_valid(ref, ref_len));
	if (!b.overflow) {
		CHECK(n == ref_len);
		CHECK(memcmp(store, ref, n) == 0);
		CHECK(json_string_valid(store, n));
	} else {
		size_t next;

		CHECK(n < ref_len);
		CHECK(memcmp(store, ref, n) == 0);
		CHECK(bound[n]); /* never inside an escape or a character */
		for (next = n + 1; !bound[next]; next++)
			;
		CHECK(cap == 0 || next - n > cap - 1 - n); /* maximal */
		/* Sticky: nothing more lands after a truncated value. */
		json_put_raw(&b, "}", 1);
		json_put_u64(&b, 0);
		CHECK(b.len == n);
	}

	check_numbers(data, size, cap);
	free(bound);
	free(ref);
	free(store);
	return 0;
}
