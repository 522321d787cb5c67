/* SPDX-License-Identifier: MIT */
/*
 * Frames out of chunks, for length-prefixed protocols (PostgreSQL, MySQL,
 * later HTTP/2): one reader per direction follows frame boundaries with the
 * module's own frame_len from its wire header -- the function the kernel's
 * walk runs -- through copied bytes, gaps inside frames, and the kernel's
 * segments (a frame's start, the rest of a frame, a run of counted frames).
 * A complete frame is handed over with the bytes of it that were copied
 * (up to FRAME_KEEP_MAX); a run as its count. A gap where a header should
 * be loses the framing: the reader drops bytes until frame_reader_restart.
 * A stream frame_len calls opaque (TLS, compression) is dropped for good.
 * Pure: no I/O, no globals.
 */
#ifndef ZT_FRAMES_H
#define ZT_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define FRAME_KEEP_MAX 1024 /* bytes of a frame kept for its module, unless it gives more room */

struct frame {
	const uint8_t *data;  /* its first `kept` bytes, header included */
	uint32_t kept;
	uint8_t cut;          /* some of its bytes (past kept) were never seen */
	uint64_t len;         /* its whole length, header included */
	uint64_t start_tag;   /* when its first byte was seen */
	uint64_t end_tag;     /* and its last */
};

/* A frame, or (frame NULL) `frames` counted frames of kind cls, `bytes` long. */
struct frame_sink {
	void (*frame)(void *ctx, const struct frame *f);
	void (*run)(void *ctx, uint8_t cls, uint32_t frames, uint64_t bytes, uint64_t tag);
	void *ctx;
};

/* The module's frame length function, with the reader's framing state. */
typedef __s64 (*frame_len_fn)(const __u8 *hdr, __u32 n, __u8 request, __u8 *state);

struct frame_reader {
	frame_len_fn frame_len;
	uint8_t request;      /* this direction carries requests */
	uint8_t lost;
	uint8_t opaque;       /* the stream turned unreadable (TLS): lost for good, no miss */
	uint8_t have_len;     /* len is known (the header was read) */
	uint8_t cut;
	uint8_t *state;       /* the connection's framing state, shared by both directions */
	uint32_t kept;
	uint64_t len;         /* the open frame's length (have_len) */
	uint64_t seen;        /* its bytes gone by, copied or not */
	uint64_t start_tag;
	uint32_t keep_max;    /* buf's size */
	uint8_t *buf;         /* the module's: a frame's first keep_max bytes */
};

/* buf (keep_max bytes, FRAME_KEEP_MAX unless a module needs more) lives in
 * the module's state with the reader. */
void frame_reader_init(struct frame_reader *r, frame_len_fn fn, uint8_t request, uint8_t *state,
		       uint8_t *buf, uint32_t keep_max);
/* Reads one chunk. Returns the parse misses: 1 when framing was lost now. */
unsigned int frame_reader_feed(struct frame_reader *r, const struct proto_chunk *c,
			       const struct frame_sink *k);
/* The next byte starts a frame (after a loss, at the next turn). */
void frame_reader_restart(struct frame_reader *r);

#endif /* ZT_FRAMES_H */
