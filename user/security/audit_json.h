// SPDX-License-Identifier: MIT
/*
 * Internal to the audit trail reader (audit_*.c): the flat JSON object
 * parser shared by the header parser and the per-file check.
 */
#ifndef ZT_AUDIT_JSON_H
#define ZT_AUDIT_JSON_H

#include <stddef.h>
#include <stdint.h>

/* ---- a flat JSON object: string, unsigned integer and literal values ---- */

enum { JV_STR = 1, JV_UINT, JV_LIT };

struct jv {
	int type;
	const char *s; /* JV_STR: decoded, NUL-terminated; JV_LIT: the literal */
	size_t len;
	uint64_t u;
};

typedef int (*jp_kv_fn)(void *ctx, const char *key, const struct jv *v, const char **why);

/* Parses one flat object spanning exactly s[0..n), calling fn per member. */
int audit__flat_parse(const char *s, size_t n, jp_kv_fn fn, void *ctx, const char **why);

#endif
