// SPDX-License-Identifier: MIT
/* HPACK for a partly unknown table; the contract is in hpack_tolerant.h. */
#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>

#include "hpack_tolerant.h"

/* Insertions kept; an entry whose name or value is longer is kept as
 * unknown (its index still counts). */
#define TOL_ENTRIES 64
#define TOL_NAME_MAX 64
#define TOL_VALUE_MAX 256
/* A decoded string longer than this is not read. */
#define TOL_STRING_MAX 4096
#define TOL_STATIC 61

struct tol_entry {
	uint8_t known;
	uint16_t name_len;
	uint16_t value_len;
	uint8_t name[TOL_NAME_MAX];
	uint8_t value[TOL_VALUE_MAX];
};

struct hpack_tolerant {
	nghttp2_hd_inflater *huff; /* scratch: decodes Huffman strings, indexes nothing */
	uint32_t head;             /* the slot the next insertion takes */
	uint32_t count;            /* insertions kept, newest first from head - 1 */
	struct tol_entry e[TOL_ENTRIES];
	size_t block_len;
	uint8_t block[HPACK_TOL_BLOCK_MAX];
	uint8_t str[2][TOL_STRING_MAX]; /* a field's decoded name and value */
};

/* RFC 7541 Appendix A */
static const char *const static_table[TOL_STATIC][2] = {
	{ ":authority", "" }, { ":method", "GET" }, { ":method", "POST" }, { ":path", "/" },
	{ ":path", "/index.html" }, { ":scheme", "http" }, { ":scheme", "https" },
	{ ":status", "200" }, { ":status", "204" }, { ":status", "206" }, { ":status", "304" },
	{ ":status", "400" }, { ":status", "404" }, { ":status", "500" }, { "accept-charset", "" },
	{ "accept-encoding", "gzip, deflate" }, { "accept-language", "" }, { "accept-ranges", "" },
	{ "accept", "" }, { "access-control-allow-origin", "" }, { "age", "" }, { "allow", "" },
	{ "authorization", "" }, { "cache-control", "" }, { "content-disposition", "" },
	{ "content-encoding", "" }, { "content-language", "" }, { "content-length", "" },
	{ "content-location", "" }, { "content-range", "" }, { "content-type", "" },
	{ "cookie", "" }, { "date", "" }, { "etag", "" }, { "expect", "" }, { "expires", "" },
	{ "from", "" }, { "host", "" }, { "if-match", "" }, { "if-modified-since", "" },
	{ "if-none-match", "" }, { "if-range", "" }, { "if-unmodified-since", "" },
	{ "last-modified", "" }, { "link", "" }, { "location", "" }, { "max-forwards", "" },
	{ "proxy-authenticate", "" }, { "proxy-authorization", "" }, { "range", "" },
	{ "referer", "" }, { "refresh", "" }, { "retry-after", "" }, { "server", "" },
	{ "set-cookie", "" }, { "strict-transport-security", "" }, { "transfer-encoding", "" },
	{ "user-agent", "" }, { "vary", "" }, { "via", "" }, { "www-authenticate", "" },
};

/* A field as read: known parts point at their bytes. */
struct tol_field {
	const uint8_t *name, *value;
	size_t name_len, value_len;
	uint8_t name_known, value_known;
};

struct hpack_tolerant *hpack_tolerant_new(void)
{
	struct hpack_tolerant *t = malloc(sizeof(*t));

	if (!t)
		return NULL;
	if (nghttp2_hd_inflate_new(&t->huff)) {
		free(t);
		return NULL;
	}
	t->head = t->count = 0;
	t->block_len = 0;
	return t;
}

void hpack_tolerant_free(struct hpack_tolerant *t)
{
	if (!t)
		return;
	if (t->huff)
		nghttp2_hd_inflate_del(t->huff);
	free(t);
}

void hpack_tolerant_forget(struct hpack_tolerant *t)
{
	t->count = 0;
	t->block_len = 0;
}

int hpack_tolerant_append(struct hpack_tolerant *t, const uint8_t *p, size_t n)
{
	if (n > HPACK_TOL_BLOCK_MAX - t->block_len)
		return -1;
	memcpy(t->block + t->block_len, p, n);
	t->block_len += n;
	return 0;
}

/* An integer with an N-bit prefix (§5.1) at p[*i]; -1 when malformed. */
static int64_t tol_int(const uint8_t *p, size_t n, size_t *i, int bits)
{
	uint32_t mask = (1u << bits) - 1;
	uint64_t v;
	int shift = 0;

	if (*i >= n)
		return -1;
	v = p[(*i)++] & mask;
	if (v < mask)
		return (int64_t)v;
	for (;;) {
		uint8_t b;

		if (*i >= n || shift > 28)
			return -1;
		b = p[(*i)++];
		v += (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v > UINT32_MAX ? -1 : (int64_t)v;
	}
}

/* The Huffman-coded string whose representation (H bit, length, bytes) is
 * lit[0..n), through the scratch inflater as the value of a literal field
 * "x" that is never indexed. 0, or 1 when it cannot be read. */
static int tol_huffman(struct hpack_tolerant *t, const uint8_t *lit, size_t n, uint8_t *out,
		       size_t *out_len)
{
	static const uint8_t head[3] = { 0x10, 0x01, 'x' };
	nghttp2_nv nv;
	int flags = 0, emitted = 0;
	ssize_t rv;

	if (!t->huff)
		return 1;
	rv = nghttp2_hd_inflate_hd2(t->huff, &nv, &flags, head, sizeof(head), 0);
	while (rv >= 0) {
		rv = nghttp2_hd_inflate_hd2(t->huff, &nv, &flags, lit, n, 1);
		if (rv < 0)
			break;
		lit += rv;
		n -= (size_t)rv;
		if ((flags & NGHTTP2_HD_INFLATE_EMIT) && nv.valuelen <= TOL_STRING_MAX) {
			memcpy(out, nv.value, nv.valuelen);
			*out_len = nv.valuelen;
			emitted = 1;
		}
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(t->huff);
			return !emitted;
		}
	}
	/* a failed inflater stays failed: a fresh one for the next string */
	nghttp2_hd_inflate_del(t->huff);
	if (nghttp2_hd_inflate_new(&t->huff))
		t->huff = NULL;
	return 1;
}

/* A string literal (§5.2) at p[*i] into s and len (known = 1), or skipped
 * (known = 0) when it cannot be decoded; -1 when malformed. */
static int tol_string(struct hpack_tolerant *t, const uint8_t *p, size_t n, size_t *i, int which,
		      const uint8_t **s, size_t *len, uint8_t *known)
{
	size_t at = *i;
	int huffman = *i < n && (p[*i] & 0x80);
	int64_t l = tol_int(p, n, i, 7);

	if (l < 0 || (uint64_t)l > n - *i)
		return -1;
	*known = 1;
	if (!huffman) {
		*s = p + *i;
		*len = (size_t)l;
	} else if (tol_huffman(t, p + at, *i - at + (size_t)l, t->str[which], len)) {
		*known = 0;
	} else {
		*s = t->str[which];
	}
	*i += (size_t)l;
	return 0;
}

/* Index idx (static or dynamic) into f's name, and its value too when
 * with_value. */
static void tol_lookup(const struct hpack_tolerant *t, uint64_t idx, struct tol_field *f,
		       int with_value)
{
	const struct tol_entry *e;

	if (idx <= TOL_STATIC) {
		f->name = (const uint8_t *)static_table[idx - 1][0];
		f->name_len = strlen(static_table[idx - 1][0]);
		f->name_known = 1;
		if (with_value) {
			f->value = (const uint8_t *)static_table[idx - 1][1];
			f->value_len = strlen(static_table[idx - 1][1]);
			f->value_known = 1;
		}
		return;
	}
	if (idx - TOL_STATIC > t->count)
		return;
	e = &t->e[(t->head + TOL_ENTRIES - (uint32_t)(idx - TOL_STATIC)) % TOL_ENTRIES];
	if (!e->known)
		return;
	f->name = e->name;
	f->name_len = e->name_len;
	f->name_known = 1;
	if (with_value) {
		f->value = e->value;
		f->value_len = e->value_len;
		f->value_known = 1;
	}
}

static void tol_insert(struct hpack_tolerant *t, const struct tol_field *f)
{
	struct tol_entry *e = &t->e[t->head];

	t->head = (t->head + 1) % TOL_ENTRIES;
	if (t->count < TOL_ENTRIES)
		t->count++;
	e->known = f->name_known && f->value_known && f->name_len <= TOL_NAME_MAX &&
		   f->value_len <= TOL_VALUE_MAX;
	if (!e->known)
		return;
	/* a literal may name the very entry this one replaces */
	memmove(e->name, f->name, f->name_len);
	memmove(e->value, f->value, f->value_len);
	e->name_len = (uint16_t)f->name_len;
	e->value_len = (uint16_t)f->value_len;
}

/* One literal field (§6.2) whose first byte is at p[*i]. */
static int tol_literal(struct hpack_tolerant *t, const uint8_t *p, size_t n, size_t *i,
		       struct tol_field *f)
{
	int incremental = (p[*i] & 0xc0) == 0x40;
	int64_t idx = tol_int(p, n, i, incremental ? 6 : 4);

	if (idx < 0)
		return -1;
	if (idx == 0) {
		if (tol_string(t, p, n, i, 0, &f->name, &f->name_len, &f->name_known))
			return -1;
	} else {
		tol_lookup(t, (uint64_t)idx, f, 0);
	}
	if (tol_string(t, p, n, i, 1, &f->value, &f->value_len, &f->value_known))
		return -1;
	if (incremental)
		tol_insert(t, f);
	return 0;
}

/* The string literal at p[*i] skipped; -1 when it runs past the block. */
static int tol_skip_string(const uint8_t *p, size_t n, size_t *i)
{
	int64_t l = tol_int(p, n, i, 7);

	if (l < 0 || (uint64_t)l > n - *i)
		return -1;
	*i += (size_t)l;
	return 0;
}

/* Whether the block is made of whole representations (§6): checked before
 * any field of it is given out, so a block that turns out malformed (a
 * connection taken for HTTP/2 that is not) gives none. */
static int tol_well_formed(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b = p[i];
		int64_t v;

		if (b & 0x80) {
			if (tol_int(p, n, &i, 7) <= 0)
				return 0;
			continue;
		}
		if ((b & 0xe0) == 0x20) {
			if (tol_int(p, n, &i, 5) < 0)
				return 0;
			continue;
		}
		v = tol_int(p, n, &i, (b & 0xc0) == 0x40 ? 6 : 4);
		if (v < 0 || (v == 0 && tol_skip_string(p, n, &i)) || tol_skip_string(p, n, &i))
			return 0;
	}
	return 1;
}

int hpack_tolerant_decode(struct hpack_tolerant *t, hpack_field_fn fn, void *ctx)
{
	const uint8_t *p = t->block;
	size_t n = t->block_len, i = 0;
	int unknown = 0;

	t->block_len = 0;
	if (!tol_well_formed(p, n))
		goto malformed;
	while (i < n) {
		struct tol_field f = { 0 };
		int64_t v;

		if (p[i] & 0x80) {
			v = tol_int(p, n, &i, 7);
			if (v <= 0)
				goto malformed;
			tol_lookup(t, (uint64_t)v, &f, 1);
		} else if ((p[i] & 0xe0) == 0x20) {
			/* a size update: to 0 it empties the table, which is then known */
			v = tol_int(p, n, &i, 5);
			if (v < 0)
				goto malformed;
			if (v == 0)
				t->count = 0;
			continue;
		} else if (tol_literal(t, p, n, &i, &f)) {
			goto malformed;
		}
		if (f.name_known && f.value_known)
			fn(ctx, f.name, f.name_len, f.value, f.value_len);
		else
			unknown++;
	}
	return unknown;
malformed:
	hpack_tolerant_forget(t);
	return -1;
}
