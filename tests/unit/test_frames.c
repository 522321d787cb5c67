// SPDX-License-Identifier: MIT
/*
 * user/proto/frames.c with a toy framing (a type byte, a 2-byte big-endian
 * body length): frames across chunks, header bytes a chunk cut, gaps inside
 * frames and where a header should be, the kernel's segments and runs, an
 * opaque stream.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "frames.h"

#define FR_MAX 64

/* 'X' ends the readable stream (as TLS would). */
static __s64 toy_len(const __u8 *hdr, __u32 n, __u8 request, __u8 *state)
{
	(void)request;
	(void)state;
	if (n && hdr[0] == 'X')
		return ZT_FRAME_OPAQUE;
	if (n < 3)
		return ZT_FRAME_SHORT;
	if (hdr[0] < 'a' || hdr[0] > 'z')
		return ZT_FRAME_BAD;
	return 3 + ((__s64)hdr[1] << 8 | hdr[2]);
}

struct fr_out {
	char types[FR_MAX];
	uint64_t lens[FR_MAX];
	uint32_t kept[FR_MAX];
	uint8_t cut[FR_MAX];
	uint64_t start[FR_MAX], end[FR_MAX];
	uint32_t n;
	uint32_t run_frames;
	uint64_t run_bytes;
	uint8_t run_cls;
};

static void fr_frame(void *ctx, const struct frame *f)
{
	struct fr_out *o = ctx;

	cr_assert_lt(o->n, FR_MAX);
	o->types[o->n] = (char)f->data[0];
	o->lens[o->n] = f->len;
	o->kept[o->n] = f->kept;
	o->cut[o->n] = f->cut;
	o->start[o->n] = f->start_tag;
	o->end[o->n] = f->end_tag;
	o->n++;
}

static void fr_run(void *ctx, uint8_t cls, uint32_t frames, uint64_t bytes, uint64_t tag)
{
	struct fr_out *o = ctx;

	(void)tag;
	o->run_cls = cls;
	o->run_frames += frames;
	o->run_bytes += bytes;
}

struct fr_fix {
	struct frame_reader r;
	uint8_t buf[FRAME_KEEP_MAX];
	uint8_t state;
	struct fr_out out;
	struct frame_sink k;
	uint64_t tag;
};

static struct fr_fix *fr_new(void)
{
	static struct fr_fix f;

	memset(&f, 0, sizeof(f));
	frame_reader_init(&f.r, toy_len, 1, &f.state, f.buf, FRAME_KEEP_MAX);
	f.k = (struct frame_sink){ .frame = fr_frame, .run = fr_run, .ctx = &f.out };
	return &f;
}

/* cap of n bytes copied (the rest a gap). */
static unsigned int fr_feed(struct fr_fix *f, const char *p, size_t cap, uint64_t total)
{
	struct proto_seg s = { .off = 0, .len = cap, .data = (const uint8_t *)p, .cap = (uint32_t)cap };
	struct proto_chunk c = { .side = PROTO_SIDE_REQUEST, .tag = ++f->tag, .total = total,
				 .segs = &s, .nsegs = cap ? 1 : 0 };

	return frame_reader_feed(&f->r, &c, &f->k);
}

Test(frames, frames_across_chunks_at_every_split)
{
	static const char s[] = "a\0\3xyzb\0\0c\0\1Q";
	size_t n = sizeof(s) - 1;

	for (size_t a = 0; a <= n; a++) {
		struct fr_fix *f = fr_new();

		cr_assert_eq(fr_feed(f, s, a, a), 0);
		cr_assert_eq(fr_feed(f, s + a, n - a, n - a), 0);
		cr_assert_eq(f->out.n, 3, "split at %zu", a);
		cr_expect_eq(f->out.types[0], 'a');
		cr_expect_eq(f->out.lens[0], 6);
		cr_expect_eq(f->out.kept[0], 6);
		cr_expect_eq(f->out.types[1], 'b');
		cr_expect_eq(f->out.lens[1], 3);
		cr_expect_eq(f->out.lens[2], 4);
		cr_expect(!f->r.lost && !f->r.seen, "between frames");
		/* a frame ends in the chunk holding its last byte */
		cr_expect_eq(f->out.end[0], a >= 6 ? 1 : 2, "split at %zu", a);
	}
}

Test(frames, a_gap_inside_a_body_is_counted_not_lost)
{
	struct fr_fix *f = fr_new();

	/* a 1000-byte body of which the first 5 bytes were copied */
	cr_assert_eq(fr_feed(f, "a\x03\xe8" "hello", 8, 1003), 0);
	cr_assert_eq(f->out.n, 1);
	cr_expect_eq(f->out.lens[0], 1003);
	cr_expect_eq(f->out.kept[0], 8);
	cr_expect_eq(f->out.cut[0], 1);
	cr_assert_eq(fr_feed(f, "b\0\0", 3, 3), 0);
	cr_expect_eq(f->out.n, 2);
}

Test(frames, a_gap_where_a_header_should_be_loses_framing)
{
	struct fr_fix *f = fr_new();

	cr_assert_eq(fr_feed(f, "a\0\1z", 4, 10), 1);
	cr_expect_eq(f->out.n, 1);
	cr_expect(f->r.lost);
	/* lost: nothing is read until a restart */
	cr_assert_eq(fr_feed(f, "b\0\0", 3, 3), 0);
	cr_expect_eq(f->out.n, 1);
	frame_reader_restart(&f->r);
	cr_assert_eq(fr_feed(f, "b\0\0", 3, 3), 0);
	cr_expect_eq(f->out.n, 2);
}

Test(frames, bad_header_is_a_miss)
{
	struct fr_fix *f = fr_new();

	cr_expect_eq(fr_feed(f, "A\0\0", 3, 3), 1);
	cr_expect_eq(f->out.n, 0);
}

Test(frames, kernel_segments_and_runs)
{
	struct fr_fix *f = fr_new();
	/* [a: 6 bytes, 4 copied][run of 10 frames of kind 1, 40 bytes][b: 3, whole] */
	struct proto_seg segs[3] = {
		{ .off = 0, .len = 6, .data = (const uint8_t *)"a\0\3x", .cap = 4, .frames = 1 },
		{ .off = 6, .len = 40, .frames = 10, .cls = 1 },
		{ .off = 46, .len = 3, .data = (const uint8_t *)"b\0\0", .cap = 3, .frames = 1 },
	};
	struct proto_chunk c = { .side = PROTO_SIDE_REQUEST, .tag = 5, .total = 49, .segs = segs,
				 .nsegs = 3, .framed = 1 };

	cr_assert_eq(frame_reader_feed(&f->r, &c, &f->k), 0);
	cr_assert_eq(f->out.n, 2);
	cr_expect_eq(f->out.lens[0], 6);
	cr_expect_eq(f->out.cut[0], 1);
	cr_expect_eq(f->out.run_frames, 10);
	cr_expect_eq(f->out.run_bytes, 40);
	cr_expect_eq(f->out.run_cls, 1);
	cr_expect_eq(f->out.types[1], 'b');
}

Test(frames, a_run_inside_an_open_frame_is_a_miss)
{
	struct fr_fix *f = fr_new();
	struct proto_seg segs[2] = {
		{ .off = 0, .len = 4, .data = (const uint8_t *)"a\0\11x", .cap = 4, .frames = 1 },
		{ .off = 4, .len = 8, .frames = 2, .cls = 1 },
	};
	struct proto_chunk c = { .side = PROTO_SIDE_REQUEST, .tag = 5, .total = 12, .segs = segs,
				 .nsegs = 2, .framed = 1 };

	cr_expect_eq(frame_reader_feed(&f->r, &c, &f->k), 1);
	cr_expect_eq(f->out.run_frames, 0);
}

Test(frames, opaque_stream_stops_for_good_without_a_miss)
{
	struct fr_fix *f = fr_new();

	cr_assert_eq(fr_feed(f, "a\0\0X\x16\x03\x01", 7, 7), 0);
	cr_expect_eq(f->out.n, 1);
	cr_expect(f->r.opaque);
	frame_reader_restart(&f->r);
	cr_assert_eq(fr_feed(f, "b\0\0", 3, 3), 0);
	cr_expect_eq(f->out.n, 1);
}

Test(frames, long_frames_keep_their_first_bytes)
{
	static char big[3 + 2000];
	struct fr_fix *f = fr_new();

	big[0] = 'q';
	big[1] = (char)(2000 >> 8);
	big[2] = (char)(2000 & 0xff);
	memset(big + 3, 'v', 2000);
	cr_assert_eq(fr_feed(f, big, sizeof(big), sizeof(big)), 0);
	cr_assert_eq(f->out.n, 1);
	cr_expect_eq(f->out.kept[0], FRAME_KEEP_MAX);
	cr_expect_eq(f->out.lens[0], 2003);
	cr_expect_eq(f->out.cut[0], 0);
}
