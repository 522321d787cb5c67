// SPDX-License-Identifier: MIT
/*
 * OTLP wire writers, shared by otlp_encode.c (traces) and
 * otlp_logs_encode.c (logs).
 *
 * - The buffer is reused per request: otlp_buf_start keeps its storage,
 *   which grows geometrically (x2, 4 KiB first).
 * - Nested lengths are written in place: a length-delimited field gets one
 *   byte reserved for its length; when the body turns out to be 128 bytes or
 *   more, the body is moved forward by the extra varint bytes, so every byte
 *   moves at most once per nesting level and there is no second "size of"
 *   code path that must agree with the writer.
 * - Strings must be valid UTF-8 in protobuf: each byte of invalid UTF-8 is
 *   replaced by U+FFFD, the same rule as json_put_string, which writes every
 *   OTLP/JSON string here.
 */
#include "otlp_wire.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "span_format.h"
#include "utf8.h"

#define OTLP_BUF_MIN 4096

/* ---- The output buffer ---- */

void otlp_buf_free(struct otlp_buf *b)
{
	free(b->data);
	*b = (struct otlp_buf){ 0 };
}

void otlp_buf_start(struct otlp_buf *b)
{
	b->len = 0;
	b->oom = 0;
}

int otlp_buf_reserve(struct otlp_buf *b, size_t n)
{
	size_t need, cap;
	uint8_t *p;

	if (b->oom)
		return -1;
	if (n <= b->cap - b->len)
		return 0;
	if (n > SIZE_MAX - b->len)
		goto fail;
	need = b->len + n;
	cap = b->cap ? b->cap : OTLP_BUF_MIN;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		goto fail;
	b->data = p;
	b->cap = cap;
	return 0;
fail:
	b->oom = 1;
	return -1;
}

void otlp_buf_put_grow(struct otlp_buf *b, const void *p, size_t n)
{
	if (!n || otlp_buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* ---- Attributes ---- */

void otlp_attr_str(struct otlp_attr *a, size_t *n, const char *key, const char *s, size_t len)
{
	a[*n] = (struct otlp_attr){ .key = key, .key_len = strlen(key), .str = s, .str_len = len };
	(*n)++;
}

void otlp_attr_int(struct otlp_attr *a, size_t *n, const char *key, uint64_t v)
{
	a[*n] = (struct otlp_attr){ .key = key,
				    .key_len = strlen(key),
				    .num = v > INT64_MAX ? INT64_MAX : (int64_t)v };
	(*n)++;
}

/* ---- Protobuf ---- */

static size_t pb_varint_write(uint8_t out[10], uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

void otlp_pb_varint_grow(struct otlp_buf *b, uint64_t v)
{
	uint8_t tmp[10];

	otlp_buf_put(b, tmp, pb_varint_write(tmp, v));
}

void otlp_pb_fixed64(struct otlp_buf *b, uint32_t field, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	otlp_pb_tag(b, field, OTLP_PB_I64);
	otlp_buf_put(b, le, sizeof(le));
}

void otlp_pb_fixed32(struct otlp_buf *b, uint32_t field, uint32_t v)
{
	uint8_t le[4];

	for (int i = 0; i < 4; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	otlp_pb_tag(b, field, OTLP_PB_I32);
	otlp_buf_put(b, le, sizeof(le));
}

void otlp_pb_uint(struct otlp_buf *b, uint32_t field, uint64_t v)
{
	otlp_pb_tag(b, field, OTLP_PB_VARINT);
	otlp_pb_varint(b, v);
}

size_t otlp_pb_open(struct otlp_buf *b, uint32_t field)
{
	otlp_pb_tag(b, field, OTLP_PB_LEN);
	otlp_buf_put(b, "", 1);
	return b->len;
}

void otlp_pb_close_long(struct otlp_buf *b, size_t body_start)
{
	uint8_t tmp[10];
	size_t body, n;

	if (b->oom)
		return;
	body = b->len - body_start;
	n = pb_varint_write(tmp, body);
	if (n > 1) {
		if (otlp_buf_reserve(b, n - 1))
			return;
		memmove(b->data + body_start + n - 1, b->data + body_start, body);
		b->len += n - 1;
	}
	memcpy(b->data + body_start - 1, tmp, n);
}

void otlp_pb_bytes(struct otlp_buf *b, uint32_t field, const void *p, size_t n)
{
	otlp_pb_tag(b, field, OTLP_PB_LEN);
	otlp_pb_varint(b, n);
	otlp_buf_put(b, p, n);
}

void otlp_pb_string(struct otlp_buf *b, uint32_t field, const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t at, i = 0, run = 0, len;

	/* most of a span's strings: short ASCII, a one-byte tag and length */
	if (n < 0x80 && field < 16 && !b->oom && b->cap - b->len >= n + 2 &&
	    utf8_ascii_prefix(s, n) == n) {
		uint8_t *p = b->data + b->len;

		p[0] = (uint8_t)(field << 3 | OTLP_PB_LEN);
		p[1] = (uint8_t)n;
		memcpy(p + 2, s, n);
		b->len += n + 2;
		return;
	}
	at = otlp_pb_open(b, field);

	while (i + run < n) {
		run += utf8_ascii_prefix(s + i + run, n - i - run);
		if (i + run == n)
			break;
		len = utf8_char_len(s + i + run, n - i - run);
		if (len) {
			run += len;
			continue;
		}
		otlp_buf_put(b, s + i, run);
		otlp_buf_put(b, "\xef\xbf\xbd", 3);
		i += run + 1;
		run = 0;
	}
	otlp_buf_put(b, s + i, run);
	otlp_pb_close(b, at);
}

/* AnyValue.array_value (5): an ArrayValue whose values (1) are each an
 * AnyValue.string_value (1). */
static void pb_string_list(struct otlp_buf *b, const char *s, size_t n)
{
	size_t arr = otlp_pb_open(b, 5), item, at = 0, len;

	while (at < n) {
		len = strnlen(s + at, n - at);
		item = otlp_pb_open(b, 1);
		otlp_pb_string(b, 1, s + at, len);
		otlp_pb_close(b, item);
		at += len + 1;
	}
	otlp_pb_close(b, arr);
}

/* A KeyValue whose lengths are each one byte, written at once, or 0 when
 * it is not one (or has no room): a span's attributes nearly all are. */
static int pb_keyvalue_short(struct otlp_buf *b, uint32_t field, const struct otlp_attr *a)
{
	uint8_t num[10], *p;
	size_t num_len = 0, value_len, body;

	if (field >= 16 || a->list || b->oom || a->key_len >= 0x80 ||
	    (a->str && a->str_len >= 0x80))
		return 0;
	if (a->str) {
		value_len = 2 + a->str_len;
	} else {
		num_len = pb_varint_write(num, (uint64_t)a->num);
		value_len = 1 + num_len;
	}
	body = 2 + a->key_len + 2 + value_len;
	if (body >= 0x80 || b->cap - b->len < 2 + body ||
	    utf8_ascii_prefix((const uint8_t *)a->key, a->key_len) != a->key_len ||
	    (a->str && utf8_ascii_prefix((const uint8_t *)a->str, a->str_len) != a->str_len))
		return 0;
	p = b->data + b->len;
	*p++ = (uint8_t)(field << 3 | OTLP_PB_LEN);
	*p++ = (uint8_t)body;
	*p++ = 1 << 3 | OTLP_PB_LEN; /* key */
	*p++ = (uint8_t)a->key_len;
	memcpy(p, a->key, a->key_len);
	p += a->key_len;
	*p++ = 2 << 3 | OTLP_PB_LEN; /* value: AnyValue */
	*p++ = (uint8_t)value_len;
	if (a->str) {
		*p++ = 1 << 3 | OTLP_PB_LEN; /* string_value */
		*p++ = (uint8_t)a->str_len;
		memcpy(p, a->str, a->str_len);
		p += a->str_len;
	} else {
		*p++ = 3 << 3 | OTLP_PB_VARINT; /* int_value */
		memcpy(p, num, num_len);
		p += num_len;
	}
	b->len = (size_t)(p - b->data);
	return 1;
}

void otlp_pb_keyvalue(struct otlp_buf *b, uint32_t field, const struct otlp_attr *a)
{
	size_t kv, val;

	if (pb_keyvalue_short(b, field, a))
		return;
	kv = otlp_pb_open(b, field);

	otlp_pb_string(b, 1, a->key, a->key_len);
	val = otlp_pb_open(b, 2);
	if (a->list)
		pb_string_list(b, a->str, a->str_len);
	else if (a->str)
		otlp_pb_string(b, 1, a->str, a->str_len);
	else
		otlp_pb_uint(b, 3, (uint64_t)a->num); /* int64: two's complement varint */
	otlp_pb_close(b, val);
	otlp_pb_close(b, kv);
}

/* ---- OTLP/JSON ---- */

void otlp_js_raw(struct otlp_buf *b, const char *s)
{
	otlp_buf_put(b, s, strlen(s));
}

/* Through json_put_string, written straight into the buffer: 6 bytes per
 * input byte at worst (\u00XX, \ufffd), the quotes and json.c's NUL. */
void otlp_js_str(struct otlp_buf *b, const char *s, size_t n)
{
	struct json_buf jb;

	if (n > (SIZE_MAX - 3) / 6) {
		b->oom = 1;
		return;
	}
	if (otlp_buf_reserve(b, 6 * n + 3))
		return;
	json_buf_init(&jb, (char *)b->data + b->len, b->cap - b->len);
	json_put_string(&jb, (const uint8_t *)s, n);
	b->len += jb.len;
}

void otlp_js_cstr(struct otlp_buf *b, const char *s)
{
	otlp_js_str(b, s, strlen(s));
}

void otlp_js_u64(struct otlp_buf *b, uint64_t v, int quoted)
{
	char tmp[22], *p = tmp + sizeof(tmp);

	if (quoted)
		*--p = '"';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (quoted)
		*--p = '"';
	otlp_buf_put(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void otlp_js_i64(struct otlp_buf *b, int64_t v)
{
	if (v >= 0) {
		otlp_js_u64(b, (uint64_t)v, 1);
		return;
	}
	otlp_js_raw(b, "\"-");
	otlp_js_u64(b, (uint64_t)0 - (uint64_t)v, 0);
	otlp_js_raw(b, "\"");
}

void otlp_js_hex(struct otlp_buf *b, const char *key, const uint8_t *id, size_t n)
{
	char hex[33];

	if (n > 16)
		n = 16;
	span_hex(hex, id, n);
	otlp_js_raw(b, key);
	otlp_buf_put(b, "\"", 1);
	otlp_js_raw(b, hex);
	otlp_buf_put(b, "\"", 1);
}

static void js_string_list(struct otlp_buf *b, const char *s, size_t n)
{
	size_t at = 0, len;

	otlp_js_raw(b, ",\"value\":{\"arrayValue\":{\"values\":[");
	while (at < n) {
		len = strnlen(s + at, n - at);
		otlp_js_raw(b, at ? ",{\"stringValue\":" : "{\"stringValue\":");
		otlp_js_str(b, s + at, len);
		otlp_js_raw(b, "}");
		at += len + 1;
	}
	otlp_js_raw(b, "]}");
}

void otlp_js_attrs(struct otlp_buf *b, const struct otlp_attr *a, size_t n)
{
	otlp_js_raw(b, "\"attributes\":[");
	for (size_t i = 0; i < n; i++) {
		otlp_js_raw(b, i ? ",{\"key\":" : "{\"key\":");
		otlp_js_str(b, a[i].key, a[i].key_len);
		if (a[i].list) {
			js_string_list(b, a[i].str, a[i].str_len);
		} else if (a[i].str) {
			otlp_js_raw(b, ",\"value\":{\"stringValue\":");
			otlp_js_str(b, a[i].str, a[i].str_len);
		} else {
			/* int64 as a decimal string (proto3 JSON) */
			otlp_js_raw(b, ",\"value\":{\"intValue\":");
			otlp_js_i64(b, a[i].num);
		}
		otlp_js_raw(b, "}}");
	}
	otlp_js_raw(b, "]");
}
