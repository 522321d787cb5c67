/* SPDX-License-Identifier: MIT */
/* What the tracer makes of one DATA record before a protocol sees it. */
#ifndef ZT_RECORD_CHUNK_H
#define ZT_RECORD_CHUNK_H

#include <stdint.h>

#include "conn_table.h"
#include "events.h"
#include "proto.h"

/* The record's bytes as a chunk: the window of the syscall it covers and
 * what of it was copied, its segments in segs (room for 256). Returns -1
 * for a record that contradicts itself. */
int record_chunk(const struct zt_event *e, const uint8_t *payload, struct proto_chunk *ch,
		 struct proto_seg *segs);

/* Drops a framed chunk's leading segments that continue no frame (the
 * head of a protocol switch the kernel skipped, a segment per iovec);
 * what is left starts at offset 0. segs is the array the chunk's segments
 * are in (record_chunk's). Returns the bytes dropped. */
uint64_t record_chunk_skip_head(struct proto_chunk *ch, struct proto_seg *segs);

/* How many bytes of the record's direction went by in records that were
 * lost before it (a gap to feed first), or -1 for a record from before
 * what was fed. */
int64_t record_stream_advance(struct conn *c, const struct zt_event *e, uint64_t total);

#endif /* ZT_RECORD_CHUNK_H */
