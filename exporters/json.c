// SPDX-License-Identifier: MIT
/*
 * Fixed-buffer JSON writer for the span hot path.
 *
 * Buffer contract (what json.h leaves to the implementation):
 * - One byte of cap is kept for a terminating NUL: at most cap-1 bytes of
 *   content are written and data[len] is '\0' whenever cap > 0. cap == 0
 *   (or a NULL storage) holds nothing: every non-empty put overflows.
 * - Output is written in units: a raw byte, a whole number, a whole escape
 *   ("\n", "\u001f", "\ufffd") or a whole UTF-8 character. A unit either fits
 *   completely or overflow is set, so a truncated buffer holds a prefix that
 *   never ends inside an escape or a character, and never contains a NUL
 *   (json_put_raw excepted: it copies what the caller gives it).
 * - overflow is sticky: once set, every put is a no-op until
 *   json_buf_reset(), so later small values never land after a gap.
 * After overflow the data is not valid JSON (the string or object is left
 * open); the caller drops the line and counts it.
 */
#include "json.h"
#include "utf8.h"

#include <string.h>

static const char json_hex[] = "0123456789abcdef";

/* Bytes that still fit, keeping one for the NUL; 0 once overflowed. */
static size_t json_room(const struct json_buf *b)
{
	if (b->overflow || !b->data || b->len >= b->cap)
		return 0;
	return b->cap - 1 - b->len;
}

static void json_terminate(struct json_buf *b)
{
	if (b->data && b->len < b->cap)
		b->data[b->len] = '\0';
}

/* Appends one unit whole, or sets overflow and returns 0. */
static int json_emit(struct json_buf *b, const void *p, size_t n)
{
	if (b->overflow)
		return 0;
	if (n > json_room(b)) {
		b->overflow = 1;
		return 0;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 1;
}

void json_buf_init(struct json_buf *b, char *storage, size_t cap)
{
	b->data = storage;
	b->cap = storage ? cap : 0;
	json_buf_reset(b);
}

void json_buf_reset(struct json_buf *b)
{
	b->len = 0;
	b->overflow = 0;
	json_terminate(b);
}

/* Raw bytes are their own units: on overflow the prefix that fits is kept. */
void json_put_raw_cut(struct json_buf *b, const char *s, size_t n)
{
	size_t room;

	if (b->overflow || !s || n == 0)
		return;
	room = json_room(b);
	if (n > room) {
		n = room;
		b->overflow = 1;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	json_terminate(b);
}

void json_put_rawz(struct json_buf *b, const char *s)
{
	if (s)
		json_put_raw(b, s, strlen(s));
}

/* ASCII that JSON carries as is (0x7f included: RFC 8259 allows it). */
static int json_plain(uint8_t c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

#define JSON_ONES 0x0101010101010101ULL
#define JSON_HIGHS 0x8080808080808080ULL

/* The high bit of each byte of w that is zero (and maybe of bytes above
 * one that is: only "is there one" is exact). */
static uint64_t json_zero_bytes(uint64_t w)
{
	return (w - JSON_ONES) & ~w & JSON_HIGHS;
}

/* Eight plain ASCII bytes from p. */
static int json_plain_word(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return !((w & JSON_HIGHS) | json_zero_bytes(w & ~(0x1fULL * JSON_ONES)) |
		 json_zero_bytes(w ^ ('"' * JSON_ONES)) | json_zero_bytes(w ^ ('\\' * JSON_ONES)));
}

/* Eight bytes at a time: the plain ASCII from s[i] on, up to n; a span's
 * line is mostly keys and values that need no escape. */
static size_t json_plain_run_end(const uint8_t *s, size_t i, size_t n)
{
	for (; i + 8 <= n; i += 8)
		if (!json_plain_word(s + i))
			break;
	/* the last bytes: the word that ends at n, seen again in part */
	if (i < n && n >= 8 && i + 8 > n && json_plain_word(s + n - 8))
		return n;
	while (i < n && json_plain(s[i]))
		i++;
	return i;
}

/* Writes the escape for an ASCII byte that is not plain; returns its size. */
static size_t json_escape(uint8_t c, char esc[6])
{
	char short_form = 0;

	switch (c) {
	case '"': short_form = '"'; break;
	case '\\': short_form = '\\'; break;
	case '\n': short_form = 'n'; break;
	case '\r': short_form = 'r'; break;
	case '\t': short_form = 't'; break;
	case '\b': short_form = 'b'; break;
	case '\f': short_form = 'f'; break;
	}
	esc[0] = '\\';
	if (short_form) {
		esc[1] = short_form;
		return 2;
	}
	esc[1] = 'u';
	esc[2] = '0';
	esc[3] = '0';
	esc[4] = json_hex[c >> 4];
	esc[5] = json_hex[c & 0xf];
	return 6;
}

void json_put_string(struct json_buf *b, const uint8_t *s, size_t n)
{
	size_t i = 0;

	if (b->overflow)
		return;
	if (!s)
		n = 0;
	/* the common case, all plain and room for it: one copy */
	if (n + 2 <= json_room(b) && json_plain_run_end(s, 0, n) == n) {
		char *d = b->data + b->len;

		d[0] = '"';
		if (n)
			memcpy(d + 1, s, n);
		d[n + 1] = '"';
		b->len += n + 2;
		d[n + 2] = '\0';
		return;
	}
	if (!json_emit(b, "\"", 1))
		goto out;
	while (i < n) {
		uint8_t c = s[i];
		size_t j, run, room, ulen;
		char esc[6];

		if (json_plain(c)) {
			/* Copy the whole run of plain ASCII in one step. */
			j = json_plain_run_end(s, i + 1, n);
			run = j - i;
			room = json_room(b);
			if (run > room) {
				memcpy(b->data + b->len, s + i, room);
				b->len += room;
				b->overflow = 1;
				goto out;
			}
			memcpy(b->data + b->len, s + i, run);
			b->len += run;
			i = j;
		} else if (c < 0x80) {
			if (!json_emit(b, esc, json_escape(c, esc)))
				goto out;
			i++;
		} else if ((ulen = utf8_char_len(s + i, n - i)) != 0) {
			if (!json_emit(b, s + i, ulen))
				goto out;
			i += ulen;
		} else {
			/* One replacement per bad byte; resync on the next. */
			if (!json_emit(b, "\\ufffd", 6))
				goto out;
			i++;
		}
	}
	json_emit(b, "\"", 1);
out:
	json_terminate(b);
}

void json_put_key(struct json_buf *b, const char *key)
{
	json_put_key_n(b, key, strlen(key));
}

void json_put_key_n(struct json_buf *b, const char *key, size_t n)
{
	char *d;

	if (n + 3 > json_room(b)) {
		json_put_string(b, (const uint8_t *)key, n);
		json_put_raw(b, ":", 1);
		return;
	}
	d = b->data + b->len;
	d[0] = '"';
	memcpy(d + 1, key, n);
	d[n + 1] = '"';
	d[n + 2] = ':';
	d[n + 3] = '\0';
	b->len += n + 3;
}

void json_put_cstr(struct json_buf *b, const char *s)
{
	json_put_string(b, (const uint8_t *)s, s ? strlen(s) : 0);
}

/* Digits of v, written backwards ending at end; returns the first digit. */
/* Two digits a step: a span's nanosecond times have 19. */
static const char json_digit_pairs[] = "00010203040506070809"
				       "10111213141516171819"
				       "20212223242526272829"
				       "30313233343536373839"
				       "40414243444546474849"
				       "50515253545556575859"
				       "60616263646566676869"
				       "70717273747576777879"
				       "80818283848586878889"
				       "90919293949596979899";

static char *json_u64_digits(uint64_t v, char *end)
{
	while (v >= 100) {
		uint32_t pair = (uint32_t)(v % 100);

		v /= 100;
		end -= 2;
		memcpy(end, json_digit_pairs + 2 * pair, 2);
	}
	if (v >= 10) {
		end -= 2;
		memcpy(end, json_digit_pairs + 2 * v, 2);
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

void json_put_u64(struct json_buf *b, uint64_t v)
{
	char tmp[20]; /* UINT64_MAX has 20 digits */
	char *p = json_u64_digits(v, tmp + sizeof(tmp));

	json_emit(b, p, (size_t)(tmp + sizeof(tmp) - p));
	json_terminate(b);
}

void json_put_i64(struct json_buf *b, int64_t v)
{
	char tmp[21]; /* '-' and the 19 digits of INT64_MIN */
	/* Negate in unsigned arithmetic: -INT64_MIN does not fit an int64_t. */
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char *p = json_u64_digits(mag, tmp + sizeof(tmp));

	if (v < 0)
		*--p = '-';
	json_emit(b, p, (size_t)(tmp + sizeof(tmp) - p));
	json_terminate(b);
}
