/* SPDX-License-Identifier: MIT */
/* Secrets never leave the daemon: values of secret-looking keys, in query
 * strings and in free text. */
#ifndef ZT_REDACT_H
#define ZT_REDACT_H

#include <stddef.h>

#define REDACTED_VALUE "REDACTED"

/* 1 if a query key (case-insensitive, percent-encoding not decoded) looks
 * secret: it contains token, password, passwd, pwd, secret, key, auth,
 * signature, sig, credential, session, or jwt. */
int redact_key_is_secret(const char *key, size_t len);

/*
 * Copies the query string (without '?') into out with the value of every
 * secret-looking key replaced by REDACTED_VALUE ("a=1&token=x" ->
 * "a=1&token=REDACTED"); keys without '=' are kept as they are. Always
 * NUL-terminates; returns the length written (truncated to out_cap-1).
 */
size_t redact_query(const char *query, size_t len, char *out, size_t out_cap);

/*
 * Free text (a log line): the value after every secret-looking key
 * followed by '=' or ':' ("password=x", "token: x", JSON's
 * "password":"x", "Authorization: Bearer x"). A quoted value is what its
 * quotes hold; an unquoted one runs to a space, &, comma, semicolon, quote,
 * } or ]; an auth scheme word (Bearer, Basic, ...) takes the word after it.
 * redact_text_next finds the first such value at or after from:
 * [*vstart, *vend); 0 when there is none.
 */
int redact_text_next(const char *s, size_t len, size_t from, size_t *vstart, size_t *vend);
/* A copy of text[0..len) with each of those values REDACTED_VALUE (an empty
 * one too); NUL-terminated, cut to out_cap-1 bytes; returns its length. */
size_t redact_text(const char *text, size_t len, char *out, size_t out_cap);

#endif /* ZT_REDACT_H */
