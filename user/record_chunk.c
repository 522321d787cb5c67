// SPDX-License-Identifier: MIT
/* A ring-buffer record as a protocol's chunk, and where it stands in its
 * connection's stream; the contract is in record_chunk.h. */
#include <string.h>

#include "record_chunk.h"

/*
 * A record's bytes as the protocol's chunk: the window of the syscall it
 * covers and what of it was copied. segs has room for every segment a
 * record can hold. Returns -1 for a record that contradicts itself.
 */
int record_chunk(const struct zt_event *e, const uint8_t *payload, struct proto_chunk *ch,
		 struct proto_seg *segs)
{
	uint64_t bytes = (uint64_t)e->bytes, end = bytes;
	uint32_t at = 0;

	ch->cont = e->win_off > 0;
	if (e->win_off > bytes)
		return -1;
	if (!(e->flags & ZT_F_SEGS)) {
		if (e->cap_len > bytes - e->win_off)
			return -1;
		if (e->flags & ZT_F_MORE)
			end = (uint64_t)e->win_off + e->cap_len;
		if (e->cap_len) {
			segs[0] = (struct proto_seg){ .len = e->cap_len, .data = payload, .cap = e->cap_len };
			ch->segs = segs;
			ch->nsegs = 1;
		}
		ch->total = end - e->win_off;
		return 0;
	}
	/* a frame walk: nsegs records, each followed by its copied bytes */
	for (uint32_t i = 0; i < e->nsegs; i++) {
		struct zt_seg z;

		if (e->cap_len - at < sizeof(z))
			return -1;
		memcpy(&z, payload + at, sizeof(z));
		at += sizeof(z);
		if (z.cap > z.len || z.cap > e->cap_len - at || z.off < e->win_off ||
		    (uint64_t)z.off + z.len > bytes ||
		    (i && z.off < segs[i - 1].off + e->win_off + segs[i - 1].len))
			return -1;
		segs[i] = (struct proto_seg){ .off = z.off - e->win_off, .len = z.len,
					      .data = payload + at, .cap = z.cap, .frames = z.frames,
					      .cls = z.cls };
		at += z.cap;
	}
	if (at != e->cap_len)
		return -1;
	if (e->flags & ZT_F_MORE)
		end = e->nsegs ? (uint64_t)e->win_off + segs[e->nsegs - 1].off + segs[e->nsegs - 1].len :
				 e->win_off;
	ch->segs = segs;
	ch->nsegs = e->nsegs;
	ch->framed = 1;
	ch->total = end - e->win_off;
	return 0;
}

uint64_t record_chunk_skip_head(struct proto_chunk *ch, struct proto_seg *segs)
{
	uint64_t head = 0;
	uint32_t k = 0, kept = 0;

	if (ch->cont || !ch->framed)
		return 0;
	while (k < ch->nsegs && !ch->segs[k].frames && ch->segs[k].off == head)
		head += ch->segs[k++].len;
	if (!head)
		return 0;
	for (uint32_t i = k; i < ch->nsegs; i++) {
		segs[kept] = ch->segs[i];
		segs[kept++].off -= head;
	}
	ch->segs = segs;
	ch->nsegs = kept;
	ch->total -= head;
	return head;
}

/*
 * Where this record's window starts in its direction's stream, against
 * where the last one fed ended: the bytes between were in records the ring
 * buffer (or a forced reorder release) lost, and the parser must see them
 * as a gap, never join what came before them to what came after. Returns
 * how many are missing, or -1 for a record from before what was fed (its
 * bytes went by as a gap when a later record came first).
 */
int64_t record_stream_advance(struct conn *c, const struct zt_event *e, uint64_t total)
{
	uint8_t d = e->dir & 1;
	uint32_t at = e->stream_pos + e->win_off;
	uint32_t missing = at - c->stream_next[d];

	if (c->stream_known[!d] == CONN_STREAM_UNKNOWN) {
		c->stream_known[!d] = CONN_STREAM_PEER;
		c->stream_next[!d] = e->peer_stream_pos;
	}
	if (missing >= UINT32_C(1) << 31) {
		if (c->stream_known[d] == CONN_STREAM_FED)
			return -1;
		missing = 0;
	}
	if (c->stream_known[d] == CONN_STREAM_UNKNOWN)
		missing = 0;
	c->stream_known[d] = CONN_STREAM_FED;
	c->stream_next[d] = at + (uint32_t)total;
	return missing;
}
