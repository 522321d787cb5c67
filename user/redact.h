/* SPDX-License-Identifier: MIT */
/* Secrets never leave the daemon: query-string values of secret-looking keys. */
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

#endif /* ZT_REDACT_H */
