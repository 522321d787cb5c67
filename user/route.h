/* SPDX-License-Identifier: MIT */
/* Route templating: keeps span names and metric labels low-cardinality. */
#ifndef ZT_ROUTE_H
#define ZT_ROUTE_H

#include <stddef.h>

/*
 * Writes the templated form of `path` (no query string) into out, always
 * NUL-terminated, and returns its length. A segment becomes "{id}" when it is
 * all decimal digits, a UUID (8-4-4-4-12 hex, any case), or 16 or more hex
 * digits. "" and paths not starting with '/' (e.g. "*", absolute-form
 * leftovers) are copied as they are. Truncates to out_cap-1.
 */
size_t route_template(const char *path, size_t path_len, char *out,
		      size_t out_cap);

/* Splits a request-target into path and query: returns the path length;
 * *query points after '?' (or NULL when there is none), *query_len its
 * length (a '#' fragment is excluded). Absolute-form targets
 * ("http://host:port/p?q") are reduced to their path. */
size_t route_split_target(const char *target, size_t len, const char **path,
			  const char **query, size_t *query_len);

#endif /* ZT_ROUTE_H */
