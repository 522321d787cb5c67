// SPDX-License-Identifier: MIT
/*
 * Frame reader; the contract is in frames.h. A frame's header is read a
 * byte at a time until frame_len can tell its length, so a reader never
 * takes a byte of the next frame (a PostgreSQL SSL answer is one byte).
 */
#include <string.h>

#include "frames.h"

void frame_reader_init(struct frame_reader *r, frame_len_fn fn, uint8_t request, uint8_t *state,
		       uint8_t *buf, uint32_t keep_max)
{
	memset(r, 0, sizeof(*r));
	r->frame_len = fn;
	r->request = request;
	r->state = state;
	r->buf = buf;
	r->keep_max = keep_max;
}

void frame_reader_restart(struct frame_reader *r)
{
	if (!r->opaque)
		frame_reader_init(r, r->frame_len, r->request, r->state, r->buf, r->keep_max);
}

struct frame_run {
	struct frame_reader *r;
	const struct frame_sink *k;
	uint64_t tag;
	unsigned int misses;
};

static int frame_lose(struct frame_run *x)
{
	x->r->lost = 1;
	x->misses++;
	return 1;
}

static void frame_done(struct frame_run *x)
{
	struct frame_reader *r = x->r;
	struct frame f = { .data = r->buf, .kept = r->kept, .cut = r->cut, .len = r->len,
			   .start_tag = r->start_tag, .end_tag = x->tag };

	r->seen = 0;
	r->kept = 0;
	r->have_len = 0;
	r->cut = 0;
	if (x->k->frame)
		x->k->frame(x->k->ctx, &f);
}

static int frame_bytes(void *ctx, const uint8_t *p, size_t n)
{
	struct frame_run *x = ctx;
	struct frame_reader *r = x->r;

	while (n) {
		size_t take;

		if (!r->seen)
			r->start_tag = x->tag;
		if (!r->have_len) {
			int64_t len;

			/* one header byte at a time: never a byte of the next frame */
			if (r->kept < r->keep_max)
				r->buf[r->kept++] = *p;
			r->seen++;
			p++;
			n--;
			len = r->frame_len(r->buf, r->kept, r->request, r->state);
			if (len == ZT_FRAME_SHORT && r->kept < ZT_FRAME_PEEK)
				continue;
			if (len == ZT_FRAME_OPAQUE) {
				r->lost = r->opaque = 1;
				return 1;
			}
			if (len < (int64_t)r->seen)
				return frame_lose(x);
			r->len = (uint64_t)len;
			r->have_len = 1;
		} else {
			take = n < r->len - r->seen ? n : (size_t)(r->len - r->seen);
			if (r->kept < r->keep_max) {
				size_t keep = take < r->keep_max - r->kept ? take : r->keep_max - r->kept;

				memcpy(r->buf + r->kept, p, keep);
				r->kept += (uint32_t)keep;
			}
			r->seen += take;
			p += take;
			n -= take;
		}
		if (r->seen == r->len)
			frame_done(x);
	}
	return 0;
}

/* Bytes that went by uncopied: only inside a frame whose length is known. */
static int frame_gap(void *ctx, uint64_t n)
{
	struct frame_run *x = ctx;
	struct frame_reader *r = x->r;

	if (!n)
		return 0;
	if (!r->have_len || n > r->len - r->seen)
		return frame_lose(x);
	r->seen += n;
	r->cut = 1;
	if (r->seen == r->len)
		frame_done(x);
	return 0;
}

/* The kernel's segments: a frame's start, the rest of one, or a run. */
static void frame_segs(struct frame_run *x, const struct proto_chunk *c)
{
	uint64_t pos = 0;

	for (uint32_t i = 0; i < c->nsegs && !x->r->lost; i++) {
		const struct proto_seg *s = &c->segs[i];

		if (s->off < pos || s->len < s->cap || s->off + s->len > c->total) {
			frame_lose(x);
			return;
		}
		if (frame_gap(x, s->off - pos))
			return;
		/* a frame (or run) starts here: nothing may be open */
		if (s->frames && x->r->seen) {
			frame_lose(x);
			return;
		}
		if (!s->frames && !x->r->seen) {
			frame_lose(x);
			return;
		}
		if (s->frames && !s->cap) {
			if (!s->cls) {
				frame_lose(x);
				return;
			}
			if (x->k->run)
				x->k->run(x->k->ctx, s->cls, s->frames, s->len, x->tag);
		} else if (frame_bytes(x, s->data, s->cap) || frame_gap(x, s->len - s->cap)) {
			return;
		}
		pos = s->off + s->len;
	}
	if (!x->r->lost)
		frame_gap(x, c->total - pos);
}

unsigned int frame_reader_feed(struct frame_reader *r, const struct proto_chunk *c,
			       const struct frame_sink *k)
{
	struct frame_run x = { .r = r, .k = k, .tag = c->tag };

	if (r->lost)
		return 0;
	if (c->framed)
		frame_segs(&x, c);
	else
		proto_chunk_walk(c, frame_bytes, frame_gap, &x);
	return x.misses;
}
