/* SPDX-License-Identifier: MIT */
/* Byte-level helpers the text parsers share (HTTP, trace context, OTel
 * environment values): ASCII only, so nothing depends on the locale. */
#ifndef ZT_TEXT_H
#define ZT_TEXT_H

#include <stddef.h>
#include <string.h>

/* Value of a hex digit, either case, or -1. */
static inline int text_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 9110 OWS: space or tab. */
static inline int text_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Narrows [*p, *p + *n) to drop leading and trailing OWS. */
static inline void text_trim_ows(const char **p, size_t *n)
{
	/* in locals: through the pointers each step would be a load and a store */
	const char *s = *p;
	size_t len = *n;

	while (len && text_is_ows(*s)) {
		s++;
		len--;
	}
	while (len && text_is_ows(s[len - 1]))
		len--;
	*p = s;
	*n = len;
}

/* RFC 9110 5.6.2 tchar: what a token (method, header name) may hold. */
static inline int text_is_tchar(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* p[0..n) equals the lowercase literal lit, ASCII case ignored. */
static inline int text_ieq(const char *p, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch != lit[i])
			return 0;
	}
	return 1;
}

/* The C string s into out[cap], cut to fit. */
static inline void text_copy_cut(char *out, size_t cap, const char *s)
{
	size_t n = strnlen(s, cap - 1);

	memcpy(out, s, n);
	out[n] = '\0';
}

/* v in decimal into out[11] (no snprintf: spans are built with it). */
static inline void text_decimal(char out[11], unsigned int v)
{
	char tmp[10];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < 10);
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

#endif /* ZT_TEXT_H */
