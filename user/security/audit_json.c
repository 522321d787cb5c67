// SPDX-License-Identifier: MIT
/*
 * The audit trail reader's flat JSON object parser: string, unsigned
 * integer and literal values. It parses bytes an attacker may have
 * written: lengths are bounded and numbers checked for overflow.
 */
#include <stdint.h>
#include <string.h>

#include "audit_json.h"
#include "utf8.h"

struct jp {
	const char *p, *end;
	const char *why;
};

static void jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static int jp_fail(struct jp *j, const char *why)
{
	j->why = why;
	return -1;
}

static int jp_hex4(struct jp *j, uint32_t *out)
{
	uint32_t v = 0;

	if (j->end - j->p < 4)
		return jp_fail(j, "short \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = j->p[i];
		int d = (c >= '0' && c <= '9') ? c - '0' :
			(c >= 'a' && c <= 'f') ? c - 'a' + 10 :
			(c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;

		if (d < 0)
			return jp_fail(j, "bad \\u escape");
		v = v << 4 | (uint32_t)d;
	}
	j->p += 4;
	*out = v;
	return 0;
}

/* A JSON string at j->p (its opening quote), decoded into out; NUL inside
 * (\u0000) is refused so the result is a C string. */
static int jp_string(struct jp *j, char *out, size_t cap, size_t *len)
{
	size_t o = 0;

	if (j->p >= j->end || *j->p != '"')
		return jp_fail(j, "expected a string");
	j->p++;
	while (j->p < j->end) {
		uint8_t c = (uint8_t)*j->p, enc[4];
		size_t n;

		if (c == '"') {
			j->p++;
			out[o] = '\0';
			*len = o;
			return 0;
		}
		if (c < 0x20)
			return jp_fail(j, "control byte in a string");
		if (c == '\\') {
			uint32_t cp, lo;

			if (j->end - j->p < 2)
				return jp_fail(j, "unterminated string");
			c = (uint8_t)j->p[1];
			j->p += 2;
			switch (c) {
			case '"': case '\\': case '/': cp = c; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				if (jp_hex4(j, &cp) < 0)
					return -1;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return jp_fail(j, "lone low surrogate");
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
						return jp_fail(j, "lone high surrogate");
					j->p += 2;
					if (jp_hex4(j, &lo) < 0)
						return -1;
					if (lo < 0xdc00 || lo > 0xdfff)
						return jp_fail(j, "lone high surrogate");
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				if (cp == 0)
					return jp_fail(j, "NUL in a string");
				break;
			default:
				return jp_fail(j, "bad escape");
			}
			if (cp < 0x80) {
				enc[0] = (uint8_t)cp, n = 1;
			} else if (cp < 0x800) {
				enc[0] = (uint8_t)(0xc0 | cp >> 6), n = 2;
			} else if (cp < 0x10000) {
				enc[0] = (uint8_t)(0xe0 | cp >> 12), n = 3;
			} else {
				enc[0] = (uint8_t)(0xf0 | cp >> 18), n = 4;
			}
			for (size_t k = 1; k < n; k++)
				enc[k] = (uint8_t)(0x80 | ((cp >> (6 * (n - 1 - k))) & 0x3f));
			if (o + n >= cap)
				return jp_fail(j, "string too long");
			memcpy(out + o, enc, n);
			o += n;
			continue;
		}
		n = utf8_char_len((const uint8_t *)j->p, (size_t)(j->end - j->p));
		if (n == 0)
			return jp_fail(j, "invalid UTF-8 in a string");
		if (o + n >= cap)
			return jp_fail(j, "string too long");
		memcpy(out + o, j->p, n);
		o += n;
		j->p += n;
	}
	return jp_fail(j, "unterminated string");
}

static int jp_uint(struct jp *j, uint64_t *out)
{
	uint64_t v = 0;
	const char *start = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
		uint64_t d = (uint64_t)(*j->p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return jp_fail(j, "number too large");
		v = v * 10 + d;
		j->p++;
	}
	if (j->p - start > 1 && *start == '0')
		return jp_fail(j, "leading zero in a number");
	if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E'))
		return jp_fail(j, "not an unsigned integer");
	*out = v;
	return 0;
}

static int jp_literal(struct jp *j, struct jv *v)
{
	static const char *const lits[] = { "true", "false", "null" };

	for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
		size_t n = strlen(lits[i]);

		if ((size_t)(j->end - j->p) >= n && memcmp(j->p, lits[i], n) == 0) {
			j->p += n;
			v->type = JV_LIT;
			v->s = lits[i];
			v->len = n;
			return 0;
		}
	}
	return jp_fail(j, "bad value");
}

int audit__flat_parse(const char *s, size_t n, jp_kv_fn fn, void *ctx, const char **why)
{
	struct jp j = { s, s + n, NULL };
	char key[64], val[1024];
	size_t klen, vlen;

	jp_ws(&j);
	if (j.p >= j.end || *j.p != '{')
		return *why = "not a JSON object", -1;
	j.p++;
	jp_ws(&j);
	if (j.p < j.end && *j.p == '}') {
		j.p++;
		goto done;
	}
	for (;;) {
		struct jv v = { 0 };

		jp_ws(&j);
		if (jp_string(&j, key, sizeof(key), &klen) < 0)
			goto fail;
		jp_ws(&j);
		if (j.p >= j.end || *j.p != ':')
			return *why = "expected ':'", -1;
		j.p++;
		jp_ws(&j);
		if (j.p >= j.end)
			return *why = "missing value", -1;
		if (*j.p == '"') {
			if (jp_string(&j, val, sizeof(val), &vlen) < 0)
				goto fail;
			v.type = JV_STR, v.s = val, v.len = vlen;
		} else if (*j.p >= '0' && *j.p <= '9') {
			if (jp_uint(&j, &v.u) < 0)
				goto fail;
			v.type = JV_UINT;
		} else if (*j.p == '{' || *j.p == '[') {
			return *why = "nested value", -1;
		} else if (*j.p == '-') {
			return *why = "negative number", -1;
		} else if (jp_literal(&j, &v) < 0) {
			goto fail;
		}
		if (fn(ctx, key, &v, why) < 0)
			return -1;
		jp_ws(&j);
		if (j.p < j.end && *j.p == ',') {
			j.p++;
			continue;
		}
		if (j.p < j.end && *j.p == '}') {
			j.p++;
			break;
		}
		return *why = "expected ',' or '}'", -1;
	}
done:
	jp_ws(&j);
	if (j.p != j.end)
		return *why = "bytes after the object", -1;
	return 0;
fail:
	*why = j.why;
	return -1;
}
