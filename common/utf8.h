/* SPDX-License-Identifier: MIT */
/* The one UTF-8 validity rule every exporter applies to wire strings. */
#ifndef ZT_UTF8_H
#define ZT_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Length of the well-formed UTF-8 character at s (RFC 3629, section 4), 1
 * for ASCII, or 0 when the byte starts none: C0/C1/F5..FF leads, overlongs,
 * surrogates, > U+10FFFF, stray continuations, sequences cut short by n.
 */
static inline size_t utf8_char_len(const uint8_t *s, size_t n)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* How many of s[0..n) lead before the first non-ASCII byte, read eight at
 * a time: the common wire string is all ASCII and needs no per-byte rule. */
static inline size_t utf8_ascii_prefix(const uint8_t *s, size_t n)
{
	size_t i = 0;
	uint64_t w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ULL)
			break;
	}
	/* the last bytes: the word that ends at n, seen again in part */
	if (i < n && i + 8 > n && n >= 8) {
		memcpy(&w, s + n - 8, 8);
		if (!(w & 0x8080808080808080ULL))
			return n;
	}
	while (i < n && s[i] < 0x80)
		i++;
	return i;
}

#endif /* ZT_UTF8_H */
