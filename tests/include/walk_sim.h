/* SPDX-License-Identifier: MIT */
/*
 * Tests only: the kernel's FRAMES capture (bpf/capture.bpf.h) redone in
 * user space over a byte string, with the same wire functions, so a
 * protocol module can be fed the segments the kernel would send: frame
 * starts copied as the module's frame_copy says, counted frames coalesced
 * into runs, frames that go on into the next syscall carried over.
 */
#ifndef ZT_WALK_SIM_H
#define ZT_WALK_SIM_H

#include <string.h>

#include "proto.h"
#include "sniff.h"

#define WALK_SEGS_MAX 256

struct walk_sim {
	__u8 proto;
	__u8 state;              /* shared by both directions, as in the kernel */
	struct {
		uint64_t left;
		uint32_t copy_left;
		uint8_t hdr[ZT_FRAME_PEEK];
		uint8_t hdr_len;
	} dir[2];
	struct proto_seg segs[WALK_SEGS_MAX];
	uint8_t hdrbuf[WALK_SEGS_MAX][ZT_FRAME_PEEK];
};

/* The segments of one syscall of n bytes at p, in direction `request`;
 * returns how many (-1: the walk lost the framing). */
static inline int walk_sim_syscall(struct walk_sim *w, const uint8_t *p, uint64_t n, int request,
				   uint32_t capture)
{
	int d = request ? 1 : 0, ns = 0;
	uint64_t off = 0;
	int run = -1;
	uint8_t run_cls = 0;

	if (w->dir[d].left) {
		uint64_t take = w->dir[d].left < n ? w->dir[d].left : n;
		uint32_t c = w->dir[d].copy_left < take ? w->dir[d].copy_left : (uint32_t)take;

		w->segs[ns++] = (struct proto_seg){ .off = 0, .len = take, .data = p, .cap = c };
		w->dir[d].copy_left -= c;
		w->dir[d].left -= take;
		off = take;
	}
	while (off < n && !w->dir[d].left) {
		uint8_t hdr[ZT_FRAME_PEEK * 2], cls = 0;
		uint32_t k = w->dir[d].hdr_len, m = n - off < ZT_FRAME_PEEK - k ? (uint32_t)(n - off) :
									   ZT_FRAME_PEEK - k;
		int64_t flen;
		uint64_t in;
		uint32_t want;

		if (ns >= WALK_SEGS_MAX - 1)
			return -1;
		memcpy(hdr, w->dir[d].hdr, k);
		memcpy(hdr + k, p + off, m);
		flen = zt_frame_len(w->proto, hdr, k + m, (uint8_t)request, &w->state);
		if (flen == ZT_FRAME_SHORT && m == n - off) {
			w->segs[ns++] = (struct proto_seg){ .off = off, .len = m, .data = p + off,
							    .cap = m, .frames = k ? 0 : 1 };
			memcpy(w->dir[d].hdr, hdr, k + m);
			w->dir[d].hdr_len = (uint8_t)(k + m);
			return ns;
		}
		if (flen <= (int64_t)k)
			return -1;
		in = (uint64_t)flen - k;
		if (in > n - off)
			in = n - off;
		want = zt_frame_copy(w->proto, hdr, k + m, (uint8_t)request, capture, &cls);
		if (!want && (in < (uint64_t)flen - k || k))
			want = ZT_FRAME_PEEK;
		if (!want) {
			if (run >= 0 && run_cls == cls) {
				w->segs[run].len += in;
				w->segs[run].frames++;
			} else {
				run = ns;
				run_cls = cls;
				w->segs[ns++] = (struct proto_seg){ .off = off, .len = in, .frames = 1,
								    .cls = cls };
			}
		} else {
			uint32_t cap = want > k ? want - k : 0;

			if (cap > in)
				cap = (uint32_t)in;
			run = -1;
			w->segs[ns++] = (struct proto_seg){ .off = off, .len = in, .data = p + off,
							    .cap = cap, .frames = k ? 0 : 1 };
			w->dir[d].copy_left = want > k + in ? (uint32_t)(want - k - in) : 0;
		}
		w->dir[d].hdr_len = 0;
		off += in;
		if (in < (uint64_t)flen - k)
			w->dir[d].left = (uint64_t)flen - k - in;
	}
	return ns;
}

#endif /* ZT_WALK_SIM_H */
