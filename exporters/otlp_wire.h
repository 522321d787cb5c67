/* SPDX-License-Identifier: MIT */
/*
 * The OTLP wire writers the trace and the log encoders share: a growable
 * buffer, protobuf fields (tags, varints, fixed ints, nested messages with
 * their length written in place, UTF-8-repaired strings, KeyValue
 * attributes) and the OTLP/JSON pieces (strings through json.c, 64-bit
 * integers as decimal strings, hex ids, attribute lists). Pure: no I/O.
 */
#ifndef ZT_OTLP_WIRE_H
#define ZT_OTLP_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A growable output buffer (the exporter thread may allocate; the event
 * loop never encodes). */
struct otlp_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int oom; /* an allocation failed: the contents are incomplete */
};

void otlp_buf_free(struct otlp_buf *b);
/* Empties the buffer for a new request, keeping its storage. */
void otlp_buf_start(struct otlp_buf *b);
/* Room for n more bytes, or -1 and oom (sticky: every later write is a no-op). */
int otlp_buf_reserve(struct otlp_buf *b, size_t n);
void otlp_buf_put_grow(struct otlp_buf *b, const void *p, size_t n);

/* Inline while there is room: the encoder puts a few bytes at a time. */
static inline void otlp_buf_put(struct otlp_buf *b, const void *p, size_t n)
{
	if (n && n <= b->cap - b->len && !b->oom) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		return;
	}
	otlp_buf_put_grow(b, p, n);
}

/* One attribute: a string (str != NULL) or an int64. */
struct otlp_attr {
	const char *key;
	size_t key_len;
	const char *str; /* NULL for an int_value */
	size_t str_len;
	int64_t num;
	uint8_t list;    /* str holds strings, each followed by a NUL: an array_value */
};

/* Length of a string in a fixed array, even one with no NUL. */
#define OTLP_FLEN(arr) strnlen((arr), sizeof(arr))

/* Appends a[*n] and counts it; ints above INT64_MAX are clamped. */
void otlp_attr_str(struct otlp_attr *a, size_t *n, const char *key, const char *s, size_t len);
void otlp_attr_int(struct otlp_attr *a, size_t *n, const char *key, uint64_t v);

/* ---- Protobuf ---- */

enum otlp_pb_wire {
	OTLP_PB_VARINT = 0,
	OTLP_PB_I64 = 1,
	OTLP_PB_LEN = 2,
	OTLP_PB_I32 = 5,
};

void otlp_pb_varint_grow(struct otlp_buf *b, uint64_t v);

/* Written in place while ten bytes fit: a tag or a length per field. */
static inline void otlp_pb_varint(struct otlp_buf *b, uint64_t v)
{
	uint8_t *p;

	if (b->cap - b->len < 10 || b->oom) {
		otlp_pb_varint_grow(b, v);
		return;
	}
	p = b->data + b->len;
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	b->len = (size_t)(p - b->data);
}

static inline void otlp_pb_tag(struct otlp_buf *b, uint32_t field, enum otlp_pb_wire wt)
{
	otlp_pb_varint(b, (uint64_t)field << 3 | wt);
}
void otlp_pb_fixed64(struct otlp_buf *b, uint32_t field, uint64_t v);
void otlp_pb_fixed32(struct otlp_buf *b, uint32_t field, uint32_t v);
void otlp_pb_uint(struct otlp_buf *b, uint32_t field, uint64_t v);
/* A nested message: open returns where its body starts, close writes the
 * body's length in front of it (one byte is reserved; a longer length moves
 * the body forward once). */
size_t otlp_pb_open(struct otlp_buf *b, uint32_t field);
void otlp_pb_close_long(struct otlp_buf *b, size_t body_start);

static inline void otlp_pb_close(struct otlp_buf *b, size_t body_start)
{
	size_t body = b->len - body_start;

	if (body < 0x80 && !b->oom) {
		b->data[body_start - 1] = (uint8_t)body;
		return;
	}
	otlp_pb_close_long(b, body_start);
}
void otlp_pb_bytes(struct otlp_buf *b, uint32_t field, const void *p, size_t n);
/* A string field: valid UTF-8 copied, each bad byte as U+FFFD. */
void otlp_pb_string(struct otlp_buf *b, uint32_t field, const char *str, size_t n);
/* A KeyValue message as field `field` (string_value = 1 or int_value = 3). */
void otlp_pb_keyvalue(struct otlp_buf *b, uint32_t field, const struct otlp_attr *a);

/* ---- OTLP/JSON ---- */

void otlp_js_raw(struct otlp_buf *b, const char *s);
/* A quoted JSON string, escaped as json_put_string does (U+FFFD rule too). */
void otlp_js_str(struct otlp_buf *b, const char *s, size_t n);
void otlp_js_cstr(struct otlp_buf *b, const char *s);
/* Decimal digits, bare (numbers) or quoted (64-bit integers, proto3 JSON). */
void otlp_js_u64(struct otlp_buf *b, uint64_t v, int quoted);
/* An int64 as a quoted decimal. */
void otlp_js_i64(struct otlp_buf *b, int64_t v);
/* key (already with its quotes, colon and any leading comma), then the id
 * as a quoted lowercase hex string. */
void otlp_js_hex(struct otlp_buf *b, const char *key, const uint8_t *id, size_t n);
/* "attributes":[{"key":..,"value":{"stringValue"|"intValue":..}},...] */
void otlp_js_attrs(struct otlp_buf *b, const struct otlp_attr *a, size_t n);

#endif /* ZT_OTLP_WIRE_H */
