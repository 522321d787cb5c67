// SPDX-License-Identifier: MIT
/*
 * The tolerant HPACK decoder on blocks libnghttp2's own deflater encodes,
 * of which it is shown only those after a join: what it reads must be
 * exactly the fields, what it cannot read it must count, never guess.
 */
#include <criterion/criterion.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <string.h>

#include "hpack_tolerant.h"

#define HT_FIELDS 16

struct ht_got {
	int n;
	char f[HT_FIELDS][320];
};

static void ht_field(void *ctx, const uint8_t *name, size_t name_len, const uint8_t *value,
		     size_t value_len)
{
	struct ht_got *g = ctx;

	cr_assert_lt(g->n, HT_FIELDS);
	snprintf(g->f[g->n++], sizeof(g->f[0]), "%.*s: %.*s", (int)name_len, (const char *)name,
		 (int)value_len, (const char *)value);
}

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE }

/* The next block of enc for the fields nv[0..n). */
static size_t ht_block(nghttp2_hd_deflater *enc, const nghttp2_nv *nv, size_t n, uint8_t *out,
		       size_t cap)
{
	ssize_t len = nghttp2_hd_deflate_hd(enc, out, cap, nv, n);

	cr_assert_geq(len, 0);
	return (size_t)len;
}

/* Decodes block p[0..n) whole; returns decode's result. */
static int ht_decode(struct hpack_tolerant *t, const uint8_t *p, size_t n, struct ht_got *g)
{
	memset(g, 0, sizeof(*g));
	cr_assert_eq(hpack_tolerant_append(t, p, n), 0);
	return hpack_tolerant_decode(t, ht_field, g);
}

static const nghttp2_nv grpc_call_m1[] = {
	NV(":method", "POST"), NV(":scheme", "http"), NV(":path", "/zt.Echo/Say"),
	NV("content-type", "application/grpc"), NV("te", "trailers"),
	NV("user-agent", "grpc-python/1.51 grpc-c/29.0.0 (linux; chttp2)"),
};
/* libnghttp2's deflater never indexes :path; x-kind it does */
static const nghttp2_nv grpc_call_m2[] = {
	NV(":method", "POST"), NV(":scheme", "http"), NV(":path", "/zt.Echo/Count"),
	NV("content-type", "application/grpc"), NV("te", "trailers"),
	NV("user-agent", "grpc-python/1.51 grpc-c/29.0.0 (linux; chttp2)"), NV("x-kind", "count"),
};

Test(hpack_tolerant, joined_after_the_table_filled)
{
	nghttp2_hd_deflater *enc;
	struct hpack_tolerant *t = hpack_tolerant_new();
	uint8_t b[1024];
	struct ht_got g;
	size_t n;

	cr_assert(t);
	cr_assert_eq(nghttp2_hd_deflate_new(&enc, 4096), 0);
	/* before the join: every field of M1 goes into the table */
	ht_block(enc, grpc_call_m1, 6, b, sizeof(b));
	/* after: M1 again is references but for :path, a literal never
	 * indexed; only the static ones and the literal are known */
	n = ht_block(enc, grpc_call_m1, 6, b, sizeof(b));
	cr_expect_eq(ht_decode(t, b, n, &g), 3);
	cr_expect_eq(g.n, 3);
	cr_expect_str_eq(g.f[0], ":method: POST");
	cr_expect_str_eq(g.f[1], ":scheme: http");
	cr_expect_str_eq(g.f[2], ":path: /zt.Echo/Say");
	/* M2: x-kind is new, a literal (Huffman-coded by the deflater) inserted */
	n = ht_block(enc, grpc_call_m2, 7, b, sizeof(b));
	cr_expect_eq(ht_decode(t, b, n, &g), 3);
	cr_expect_eq(g.n, 4);
	cr_expect_str_eq(g.f[2], ":path: /zt.Echo/Count");
	cr_expect_str_eq(g.f[3], "x-kind: count");
	/* M2 again: x-kind is a reference to the entry seen inserted */
	n = ht_block(enc, grpc_call_m2, 7, b, sizeof(b));
	cr_expect_eq(ht_decode(t, b, n, &g), 3);
	cr_expect_eq(g.n, 4);
	cr_expect_str_eq(g.f[3], "x-kind: count");
	/* M1's entries are still the unknown ones */
	n = ht_block(enc, grpc_call_m1, 6, b, sizeof(b));
	cr_expect_eq(ht_decode(t, b, n, &g), 3);
	nghttp2_hd_deflate_del(enc);
	hpack_tolerant_free(t);
}

Test(hpack_tolerant, seen_from_the_start_reads_everything)
{
	nghttp2_hd_deflater *enc;
	struct hpack_tolerant *t = hpack_tolerant_new();
	uint8_t b[1024];
	struct ht_got g;
	size_t n;

	cr_assert_eq(nghttp2_hd_deflate_new(&enc, 4096), 0);
	for (int i = 0; i < 3; i++) {
		n = ht_block(enc, i == 1 ? grpc_call_m2 : grpc_call_m1, i == 1 ? 7 : 6, b, sizeof(b));
		cr_expect_eq(ht_decode(t, b, n, &g), 0, "block %d", i);
		cr_expect_eq(g.n, i == 1 ? 7 : 6);
		cr_expect_str_eq(g.f[2], i == 1 ? ":path: /zt.Echo/Count" : ":path: /zt.Echo/Say");
		cr_expect_str_eq(g.f[5], "user-agent: grpc-python/1.51 grpc-c/29.0.0 (linux; chttp2)");
	}
	/* a block missed: what was known is forgotten */
	hpack_tolerant_forget(t);
	n = ht_block(enc, grpc_call_m1, 6, b, sizeof(b));
	cr_expect_eq(ht_decode(t, b, n, &g), 3);
	nghttp2_hd_deflate_del(enc);
	hpack_tolerant_free(t);
}

Test(hpack_tolerant, hand_written_representations)
{
	struct hpack_tolerant *t = hpack_tolerant_new();
	struct ht_got g;
	/* indexed :status 200; literal never indexed, new name "x-a" = "1";
	 * literal with indexing, static name :authority (1) = "h"; then its
	 * dynamic reference (62); a size update to 0 empties the table, so
	 * 62 is then past it */
	static const uint8_t blk[] = { 0x88, 0x10, 0x03, 'x', '-', 'a', 0x01, '1', 0x41, 0x01, 'h',
				       0xbe };
	static const uint8_t after_clear[] = { 0x20, 0xbe };

	cr_expect_eq(ht_decode(t, blk, sizeof(blk), &g), 0);
	cr_expect_eq(g.n, 4);
	cr_expect_str_eq(g.f[0], ":status: 200");
	cr_expect_str_eq(g.f[1], "x-a: 1");
	cr_expect_str_eq(g.f[2], ":authority: h");
	cr_expect_str_eq(g.f[3], ":authority: h");
	cr_expect_eq(ht_decode(t, after_clear, sizeof(after_clear), &g), 1);
	cr_expect_eq(g.n, 0);
	hpack_tolerant_free(t);
}

Test(hpack_tolerant, malformed_blocks_forget)
{
	struct hpack_tolerant *t = hpack_tolerant_new();
	struct ht_got g;
	static const uint8_t insert[] = { 0x41, 0x01, 'h' };
	static const uint8_t ref[] = { 0xbe };
	static const uint8_t *const bad[] = {
		(const uint8_t *)"\x80",                 /* index 0 */
		(const uint8_t *)"\xff\xff\xff\xff\xff\xff\x7f", /* an integer past 2^32 */
		(const uint8_t *)"\x41\x05hi",           /* a string past the block */
		(const uint8_t *)"\x41\x7f",             /* an integer cut */
	};
	static const size_t bad_len[] = { 1, 7, 4, 2 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(ht_decode(t, insert, sizeof(insert), &g), 0);
		cr_expect_eq(ht_decode(t, ref, sizeof(ref), &g), 0, "case %zu: known before", i);
		cr_expect_eq(ht_decode(t, bad[i], bad_len[i], &g), -1, "case %zu", i);
		cr_expect_eq(ht_decode(t, ref, sizeof(ref), &g), 1, "case %zu: forgotten", i);
	}
	hpack_tolerant_free(t);
}

Test(hpack_tolerant, bad_huffman_is_unread_not_malformed)
{
	struct hpack_tolerant *t = hpack_tolerant_new();
	struct ht_got g;
	/* a Huffman string of all ones is EOS padding longer than 7 bits:
	 * RFC 7541 §5.2 makes it an error; the field is unread, the next one
	 * (indexed :method GET) still is */
	static const uint8_t blk[] = { 0x10, 0x01, 'x', 0x82, 0xff, 0xff, 0x82 };

	cr_expect_eq(ht_decode(t, blk, sizeof(blk), &g), 1);
	cr_expect_eq(g.n, 1);
	cr_expect_str_eq(g.f[0], ":method: GET");
	/* and the scratch decoder still works after the error */
	{
		nghttp2_hd_deflater *enc;
		uint8_t b[512];
		size_t n;

		cr_assert_eq(nghttp2_hd_deflate_new(&enc, 4096), 0);
		n = ht_block(enc, grpc_call_m2, 7, b, sizeof(b));
		cr_expect_eq(ht_decode(t, b, n, &g), 0);
		cr_expect_str_eq(g.f[2], ":path: /zt.Echo/Count");
		nghttp2_hd_deflate_del(enc);
	}
	hpack_tolerant_free(t);
}

Test(hpack_tolerant, a_block_too_long_to_gather)
{
	struct hpack_tolerant *t = hpack_tolerant_new();
	static uint8_t big[HPACK_TOL_BLOCK_MAX + 1];

	cr_expect_eq(hpack_tolerant_append(t, big, HPACK_TOL_BLOCK_MAX), 0);
	cr_expect_eq(hpack_tolerant_append(t, big, 1), -1);
	hpack_tolerant_free(t);
}
