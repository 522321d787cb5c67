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
	while (*n && text_is_ows(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n && text_is_ows((*p)[*n - 1]))
		(*n)--;
}

/* RFC 9110 5.6.2 tchar: what a token (method, header name) may hold. */
static inline int text_is_tchar(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

#endif /* ZT_TEXT_H */
