// SPDX-License-Identifier: MIT
/*
 * Route templating and request-target splitting. Pure functions over
 * (pointer, length): no allocation, no I/O, run once per span.
 *
 * Truncation: route_template writes the longest prefix of the full templated
 * path that fits out_cap-1 bytes (so "{id}" itself may be cut), then a NUL.
 * An embedded NUL byte in the input ends the path, so the returned length is
 * always strlen(out).
 */
#include "route.h"

#include <string.h>
#include "outbuf.h"

/* Path for absolute-form targets with an empty path ("http://h?q"). */
static const char route_root[] = "/";

static int route_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int route_is_hex(char c)
{
	return route_is_digit(c) || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* 8-4-4-4-12 hex digits, any case. */
static int route_is_uuid(const char *s, size_t n)
{
	size_t i;

	if (n != 36)
		return 0;
	for (i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!route_is_hex(s[i])) {
			return 0;
		}
	}
	return 1;
}

/* A segment that identifies one resource: digits, a UUID, or >= 16 hex. */
static int route_segment_is_id(const char *s, size_t n)
{
	size_t i, digits = 0, hex = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		digits += route_is_digit(s[i]);
		hex += route_is_hex(s[i]);
	}
	if (digits == n)
		return 1;
	if (hex == n && n >= 16)
		return 1;
	return route_is_uuid(s, n);
}

size_t route_template(const char *path, size_t path_len, char *out,
		      size_t out_cap)
{
	struct outbuf w = { out, out_cap, 0 };
	const char *nul;
	size_t i, start;

	if (!out || out_cap == 0)
		return 0;
	if (!path)
		path_len = 0;
	if (path_len && (nul = memchr(path, '\0', path_len)))
		path_len = (size_t)(nul - path);

	if (path_len == 0 || path[0] != '/') {
		outbuf_put(&w, path, path_len);
	} else {
		/* Invariant: path[i] == '/' at the top of each iteration. */
		for (i = 0; i < path_len && w.len < out_cap - 1;) {
			outbuf_put(&w, "/", 1);
			start = ++i;
			while (i < path_len && path[i] != '/')
				i++;
			if (route_segment_is_id(path + start, i - start))
				outbuf_put(&w, "{id}", 4);
			else
				outbuf_put(&w, path + start, i - start);
		}
	}
	out[w.len] = '\0';
	return w.len;
}

static int route_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Absolute-form ("scheme://authority/path"): returns the offset where the
 * path starts (after the authority), or 0 when target is not absolute-form.
 * scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986, 3.1).
 */
static size_t route_skip_authority(const char *t, size_t len)
{
	size_t i = 0;

	if (len == 0 || !route_is_alpha(t[0]))
		return 0;
	for (i = 1; i < len; i++) {
		char c = t[i];

		if (!route_is_alpha(c) && !route_is_digit(c) && c != '+' &&
		    c != '-' && c != '.')
			break;
	}
	if (len - i < 3 || memcmp(t + i, "://", 3) != 0)
		return 0;
	for (i += 3; i < len; i++)
		if (t[i] == '/' || t[i] == '?' || t[i] == '#')
			break;
	return i;
}

size_t route_split_target(const char *target, size_t len, const char **path,
			  const char **query, size_t *query_len)
{
	const char *p, *q = NULL;
	size_t skip, rlen, plen, qlen = 0;

	if (!target) {
		target = route_root + 1; /* "" */
		len = 0;
	}
	skip = route_skip_authority(target, len);
	p = target + skip;
	rlen = len - skip;
	for (plen = 0; plen < rlen; plen++)
		if (p[plen] == '?' || p[plen] == '#')
			break;
	if (plen < rlen && p[plen] == '?') {
		q = p + plen + 1;
		while (q + qlen < p + rlen && q[qlen] != '#')
			qlen++;
	}
	if (skip && plen == 0) {
		p = route_root;
		plen = 1;
	}
	if (path)
		*path = p;
	if (query)
		*query = q;
	if (query_len)
		*query_len = qlen;
	return plen;
}
