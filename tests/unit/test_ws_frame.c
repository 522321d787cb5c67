// SPDX-License-Identifier: MIT
/*
 * user/ws_frame.c: the exact bytes of a client's masked frame in each length
 * form (7-bit, 16-bit, 64-bit) and when it does not fit; a server's frames
 * read back in each form, cut short at every length, and refused when a
 * server must not send them; an encoded frame, turned into the server form,
 * decodes to its own payload.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws_frame.h"

static const uint8_t wf_mask[4] = { 1, 2, 3, 4 };

static uint8_t *wf_alloc(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	cr_assert_not_null(p);
	return p;
}

/* A payload whose bytes are not all the same, so a shifted offset shows. */
static uint8_t *wf_payload(size_t n)
{
	uint8_t *p = wf_alloc(n);

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	return p;
}

/* The server form of a client frame: the mask bit cleared, the 4-byte key
 * taken out and the payload unmasked. Returns the new length. */
static size_t wf_unmask(const uint8_t *frame, size_t len, uint8_t *out)
{
	size_t h = (frame[1] & 0x7f) == 127 ? 14 : (frame[1] & 0x7f) == 126 ? 8 : 6;
	const uint8_t *key = frame + h - 4;

	cr_assert_geq(len, h);
	memcpy(out, frame, h - 4);
	out[1] &= 0x7f;
	for (size_t i = h; i < len; i++)
		out[i - 4] = frame[i] ^ key[(i - h) & 3];
	return len - 4;
}

/* ---- encode ---- */

Test(ws_frame, encode_short_text_exact_bytes)
{
	static const uint8_t want[] = { 0x81, 0x85, 0x01, 0x02, 0x03, 0x04,
					'h' ^ 1,  'e' ^ 2,  'l' ^ 3,  'l' ^ 4, 'o' ^ 1 };
	uint8_t out[32];

	memset(out, 0xee, sizeof(out));
	cr_assert_eq(ws_frame_encode(out, sizeof(out), WS_OP_TEXT, (const uint8_t *)"hello", 5,
				     wf_mask),
		     sizeof(want));
	/* the same bytes, spelled out */
	cr_expect_eq(out[6], 0x69);
	cr_expect_eq(out[7], 0x67);
	cr_expect_eq(out[8], 0x6f);
	cr_expect_eq(out[9], 0x68);
	cr_expect_eq(out[10], 0x6e);
	cr_expect_arr_eq(out, want, sizeof(want));
	cr_expect_eq(out[sizeof(want)], 0xee, "wrote past the frame");
}

Test(ws_frame, encode_empty_close)
{
	static const uint8_t want[] = { 0x88, 0x80, 0x01, 0x02, 0x03, 0x04 };
	uint8_t out[8];

	cr_assert_eq(ws_frame_encode(out, sizeof(out), WS_OP_CLOSE, NULL, 0, wf_mask), 6);
	cr_expect_arr_eq(out, want, sizeof(want));
	/* exactly the room it needs, then one byte less */
	cr_expect_eq(ws_frame_encode(out, 6, WS_OP_CLOSE, NULL, 0, wf_mask), 6);
	cr_expect_eq(ws_frame_encode(out, 5, WS_OP_CLOSE, NULL, 0, wf_mask), 0);
	cr_expect_eq(ws_frame_encode(out, 0, WS_OP_CLOSE, NULL, 0, wf_mask), 0);
}

Test(ws_frame, encode_opcode_keeps_low_four_bits)
{
	uint8_t out[8];

	cr_assert_eq(ws_frame_encode(out, sizeof(out), 0x19, NULL, 0, wf_mask), 6);
	cr_expect_eq(out[0], 0x89, "fin set, RSV clear, op 9");
}

struct wf_form {
	size_t n;
	size_t header; /* with the mask key */
	uint8_t len_bytes[9]; /* byte 1, then the extended length */
};

static const struct wf_form wf_forms[] = {
	{ 0, 6, { 0x80 } },
	{ 125, 6, { 0x80 | 125 } },
	{ 126, 8, { 0x80 | 126, 0x00, 0x7e } },
	{ 127, 8, { 0x80 | 126, 0x00, 0x7f } },
	{ 256, 8, { 0x80 | 126, 0x01, 0x00 } },
	{ 65535, 8, { 0x80 | 126, 0xff, 0xff } },
	{ 65536, 14, { 0x80 | 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00 } },
	{ 70000, 14, { 0x80 | 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70 } },
};

Test(ws_frame, encode_length_forms_exact)
{
	for (size_t k = 0; k < sizeof(wf_forms) / sizeof(wf_forms[0]); k++) {
		const struct wf_form *w = &wf_forms[k];
		size_t total = w->header + w->n;
		uint8_t *payload = wf_payload(w->n), *out = wf_alloc(total + 1);

		out[total] = 0xee;
		cr_assert_eq(ws_frame_encode(out, total + 1, 0x2, payload, w->n, wf_mask), total,
			     "n=%zu", w->n);
		cr_expect_eq(out[0], 0x82, "n=%zu", w->n);
		cr_expect_arr_eq(out + 1, w->len_bytes, w->header - 5, "n=%zu: length bytes",
				 w->n);
		cr_expect_arr_eq(out + w->header - 4, wf_mask, 4, "n=%zu: mask key", w->n);
		for (size_t i = 0; i < w->n; i++)
			if (out[w->header + i] != (payload[i] ^ wf_mask[i & 3])) {
				cr_expect_fail("n=%zu: byte %zu masked wrong", w->n, i);
				break;
			}
		cr_expect_eq(out[total], 0xee, "n=%zu: wrote past the frame", w->n);
		free(payload);
		free(out);
	}
}

Test(ws_frame, encode_one_byte_short_returns_zero)
{
	for (size_t k = 0; k < sizeof(wf_forms) / sizeof(wf_forms[0]); k++) {
		const struct wf_form *w = &wf_forms[k];
		size_t total = w->header + w->n;
		uint8_t *payload = wf_payload(w->n), *out = wf_alloc(total);

		cr_expect_eq(ws_frame_encode(out, total - 1, 0x2, payload, w->n, wf_mask), 0,
			     "n=%zu", w->n);
		cr_expect_eq(ws_frame_encode(out, total, 0x2, payload, w->n, wf_mask), total,
			     "n=%zu", w->n);
		/* room for the payload but not the header that goes with it */
		cr_expect_eq(ws_frame_encode(out, w->n, 0x2, payload, w->n, wf_mask), 0,
			     "n=%zu", w->n);
		free(payload);
		free(out);
	}
}

/* ---- decode ---- */

Test(ws_frame, decode_short_form)
{
	static const uint8_t buf[] = { 0x81, 0x05, 'h', 'e', 'l', 'l', 'o' };
	struct ws_frame f;

	cr_assert_eq(ws_frame_decode(buf, sizeof(buf), &f), 1);
	cr_expect_eq(f.fin, 1);
	cr_expect_eq(f.op, WS_OP_TEXT);
	cr_expect_eq(f.header_len, 2);
	cr_expect_eq(f.payload_len, 5);
	cr_expect_arr_eq(buf + f.header_len, "hello", 5);
}

Test(ws_frame, decode_empty_and_125)
{
	uint8_t buf[2 + 125] = { 0x88, 0x00 };
	struct ws_frame f;

	cr_assert_eq(ws_frame_decode(buf, 2, &f), 1);
	cr_expect(f.fin == 1 && f.op == WS_OP_CLOSE && f.header_len == 2 && f.payload_len == 0);
	buf[0] = 0x89; /* a ping of 125 bytes: the largest control frame */
	buf[1] = 125;
	cr_assert_eq(ws_frame_decode(buf, sizeof(buf), &f), 1);
	cr_expect(f.op == WS_OP_PING && f.header_len == 2 && f.payload_len == 125);
}

Test(ws_frame, decode_16bit_form)
{
	uint8_t buf[4 + 300] = { 0x82, 126, 0x01, 0x2c };
	struct ws_frame f;

	cr_assert_eq(ws_frame_decode(buf, sizeof(buf), &f), 1);
	cr_expect_eq(f.fin, 1);
	cr_expect_eq(f.op, 0x2);
	cr_expect_eq(f.header_len, 4);
	cr_expect_eq(f.payload_len, 300);
	/* 65535, the largest 16-bit length, only needs its header here */
	buf[2] = buf[3] = 0xff;
	cr_expect_eq(ws_frame_decode(buf, sizeof(buf), &f), 0);
	cr_expect_eq(f.header_len, 4);
	cr_expect_eq(f.payload_len, 65535);
}

Test(ws_frame, decode_64bit_form)
{
	size_t total = 10 + 65536;
	uint8_t *buf = wf_alloc(total + 3);
	static const uint8_t hdr[] = { 0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00 };
	struct ws_frame f;

	memset(buf, 'x', total + 3);
	memcpy(buf, hdr, sizeof(hdr));
	cr_assert_eq(ws_frame_decode(buf, total, &f), 1);
	cr_expect_eq(f.fin, 1);
	cr_expect_eq(f.op, WS_OP_TEXT);
	cr_expect_eq(f.header_len, 10);
	cr_expect_eq(f.payload_len, 65536);
	cr_expect_eq(ws_frame_decode(buf, total + 3, &f), 1, "bytes after the frame are fine");
	/* the largest length without the top bit: never complete, never refused */
	buf[2] = 0x7f;
	memset(buf + 3, 0xff, 7);
	cr_expect_eq(ws_frame_decode(buf, total, &f), 0);
	cr_expect_eq(f.payload_len, 0x7fffffffffffffffull);
	free(buf);
}

/* Every proper prefix of a whole frame asks for more. */
static void wf_expect_cuts(const uint8_t *buf, size_t total)
{
	struct ws_frame f;

	for (size_t n = 0; n < total; n++) {
		int rc = ws_frame_decode(buf, n, &f);

		if (rc != 0) {
			cr_expect_fail("frame of %zu cut at %zu: %d, not 0", total, n, rc);
			return;
		}
	}
	cr_expect_eq(ws_frame_decode(buf, total, &f), 1, "frame of %zu whole", total);
}

Test(ws_frame, decode_incomplete_every_cut)
{
	static const uint8_t small[] = { 0x81, 0x05, 'h', 'e', 'l', 'l', 'o' };
	static const uint8_t empty[] = { 0x8a, 0x00 };
	uint8_t mid[4 + 200] = { 0x82, 126, 0x00, 200 };
	size_t big_len = 10 + 65536;
	uint8_t *big = wf_alloc(big_len);
	static const uint8_t big_hdr[] = { 0x82, 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00 };

	memset(big, 0, big_len);
	memcpy(big, big_hdr, sizeof(big_hdr));
	wf_expect_cuts(small, sizeof(small));
	wf_expect_cuts(empty, sizeof(empty));
	wf_expect_cuts(mid, sizeof(mid));
	wf_expect_cuts(big, big_len);
	/* nothing at all, not even a buffer */
	cr_expect_eq(ws_frame_decode(NULL, 0, &(struct ws_frame){ 0 }), 0);
	free(big);
}

Test(ws_frame, decode_fin_and_op)
{
	static const struct {
		uint8_t b0;
		uint8_t fin, op;
	} cases[] = {
		{ 0x01, 0, 0x1 }, /* the first fragment of a text message */
		{ 0x00, 0, 0x0 }, /* a middle continuation */
		{ 0x80, 1, 0x0 }, /* the last continuation */
		{ 0x82, 1, 0x2 }, /* binary */
		{ 0x88, 1, 0x8 }, /* close */
		{ 0x89, 1, 0x9 }, /* ping */
		{ 0x8a, 1, 0xa }, /* pong */
		{ 0x8f, 1, 0xf }, /* reserved opcodes are passed up, not refused */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[] = { cases[i].b0, 0x01, 'z' };
		struct ws_frame f = { .fin = 7, .op = 77 };

		cr_expect_eq(ws_frame_decode(buf, sizeof(buf), &f), 1, "0x%02x", cases[i].b0);
		cr_expect_eq(f.fin, cases[i].fin, "0x%02x", cases[i].b0);
		cr_expect_eq(f.op, cases[i].op, "0x%02x", cases[i].b0);
		cr_expect_eq(f.header_len, 2);
		cr_expect_eq(f.payload_len, 1);
	}
}

Test(ws_frame, decode_refuses_what_a_server_must_not_send)
{
	static const struct {
		const char *why;
		uint8_t buf[14];
		size_t n;
	} cases[] = {
		{ "masked", { 0x81, 0x85, 1, 2, 3, 4, 'h', 'e', 'l', 'l', 'o' }, 11 },
		{ "masked, header only", { 0x81, 0x80 }, 2 },
		{ "RSV1", { 0xc1, 0x01, 'a' }, 3 },
		{ "RSV2", { 0xa1, 0x01, 'a' }, 3 },
		{ "RSV3", { 0x91, 0x01, 'a' }, 3 },
		{ "RSV bits, header only", { 0x70, 0x00 }, 2 },
		{ "close over 125, 16-bit", { 0x88, 126, 0x00, 126 }, 4 },
		{ "ping over 125, 16-bit", { 0x89, 126, 0xff, 0xff }, 4 },
		{ "pong over 125, 64-bit", { 0x8a, 127, 0, 0, 0, 0, 0, 0, 0, 200 }, 10 },
		{ "reserved control op over 125", { 0x8b, 126, 0x01, 0x00 }, 4 },
		{ "64-bit length, top bit", { 0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1 }, 10 },
		{ "64-bit length, all ones", { 0x82, 127, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					       0xff },
		  10 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ws_frame f;

		cr_expect_eq(ws_frame_decode(cases[i].buf, cases[i].n, &f), -1, "%s",
			     cases[i].why);
	}
}

Test(ws_frame, decode_long_control_frame_needs_its_length_first)
{
	/* the length is only known once the extended bytes are in */
	static const uint8_t buf[] = { 0x88, 126, 0x00, 126 };
	struct ws_frame f;

	cr_expect_eq(ws_frame_decode(buf, 2, &f), 0);
	cr_expect_eq(ws_frame_decode(buf, 3, &f), 0);
	cr_expect_eq(ws_frame_decode(buf, 4, &f), -1);
	/* the same length in a data frame is fine, only incomplete */
	cr_expect_eq(ws_frame_decode((const uint8_t[]){ 0x82, 126, 0x00, 126 }, 4, &f), 0);
	cr_expect_eq(f.payload_len, 126);
}

Test(ws_frame, decode_first_of_two_frames)
{
	static const uint8_t buf[] = { 0x81, 0x02, 'h', 'i', 0x89, 0x03, 'a', 'b', 'c' };
	struct ws_frame f;
	size_t at;

	cr_assert_eq(ws_frame_decode(buf, sizeof(buf), &f), 1);
	cr_expect_eq(f.op, WS_OP_TEXT);
	cr_expect_eq(f.header_len, 2);
	cr_expect_eq(f.payload_len, 2);
	cr_expect_arr_eq(buf + f.header_len, "hi", 2);
	/* the second starts right after */
	at = f.header_len + f.payload_len;
	cr_assert_eq(ws_frame_decode(buf + at, sizeof(buf) - at, &f), 1);
	cr_expect_eq(f.op, WS_OP_PING);
	cr_expect_eq(f.payload_len, 3);
	cr_expect_arr_eq(buf + at + f.header_len, "abc", 3);
}

/* ---- round trip ---- */

Test(ws_frame, round_trip_every_form)
{
	static const size_t sizes[] = { 0, 1, 3, 4, 5, 125, 126, 127, 1000, 65535, 65536, 70001 };
	static const uint8_t mask[4] = { 0xa5, 0x00, 0xff, 0x3c };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k], cap = n + 14, len, slen;
		uint8_t *payload = wf_payload(n), *frame = wf_alloc(cap), *server = wf_alloc(cap);
		struct ws_frame f;

		len = ws_frame_encode(frame, cap, WS_OP_TEXT, payload, n, mask);
		cr_assert_gt(len, 0, "n=%zu", n);
		slen = wf_unmask(frame, len, server);
		cr_assert_eq(ws_frame_decode(server, slen, &f), 1, "n=%zu", n);
		cr_expect_eq(f.fin, 1);
		cr_expect_eq(f.op, WS_OP_TEXT);
		cr_expect_eq(f.header_len, n < 126 ? 2 : n <= 0xffff ? 4 : 10, "n=%zu", n);
		cr_expect_eq(f.payload_len, n, "n=%zu", n);
		cr_expect_eq(f.header_len + f.payload_len, slen);
		cr_expect_arr_eq(server + f.header_len, payload, n, "n=%zu", n);
		free(payload);
		free(frame);
		free(server);
	}
}
