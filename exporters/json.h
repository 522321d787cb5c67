/* SPDX-License-Identifier: MIT */
/*
 * JSON writer into a caller-owned fixed buffer: no allocation, so the span
 * hot path can render a line without touching the heap. On overflow the
 * buffer keeps what fit and `overflow` is set; the caller drops and counts.
 */
#ifndef ZT_JSON_H
#define ZT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct json_buf {
	char *data;
	size_t len;
	size_t cap;
	int overflow;
};

void json_buf_init(struct json_buf *b, char *storage, size_t cap);
void json_buf_reset(struct json_buf *b);
/* Appends bytes as they are (for punctuation and keys known to be clean);
 * on overflow, what fits. Inline: a span's line is mostly punctuation and
 * known keys, whose length the compiler then knows. */
void json_put_raw_cut(struct json_buf *b, const char *s, size_t n);
static inline void json_put_raw(struct json_buf *b, const char *s, size_t n)
{
	if (b->overflow || !s || !n || !b->data || b->len >= b->cap || n > b->cap - 1 - b->len) {
		json_put_raw_cut(b, s, n);
		return;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}
void json_put_rawz(struct json_buf *b, const char *s);
/* A string literal as is: its length known where it is written. */
#define json_put_lit(b, lit) json_put_raw((b), "" lit, sizeof(lit) - 1)
/* Appends a quoted JSON string: ", \ and control bytes escaped (\n \r \t \b
 * \f, others \u00XX), valid UTF-8 copied, each byte of invalid UTF-8
 * (overlong forms, surrogates, > U+10FFFF, truncated sequences) replaced
 * by \ufffd. */
void json_put_string(struct json_buf *b, const uint8_t *s, size_t n);
void json_put_cstr(struct json_buf *b, const char *s);
/* "key": for a key the code wrote (a literal, plain ASCII): copied as it
 * is, no escape looked for. */
void json_put_key(struct json_buf *b, const char *key);
void json_put_key_n(struct json_buf *b, const char *key, size_t n);
void json_put_u64(struct json_buf *b, uint64_t v);
void json_put_i64(struct json_buf *b, int64_t v);

#endif /* ZT_JSON_H */
