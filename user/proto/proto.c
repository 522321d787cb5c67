// SPDX-License-Identifier: MIT
/* The registry: every module of protocols.def, by id and by name. */
#include <string.h>

#include "proto.h"
#include "sniff.h"

#define ZT_PROTOCOL(ID, name) extern const struct proto proto_##name;
#include "protocols.def"
#undef ZT_PROTOCOL

static const struct proto *const proto_table[ZT_PROTO_COUNT] = {
#define ZT_PROTOCOL(ID, name) [ZT_PROTO_##ID] = &proto_##name,
#include "protocols.def"
#undef ZT_PROTOCOL
};

const char *const proto_note_names[PROTO_NOTE_COUNT] = {
	[PROTO_NOTE_PUSH] = "pushes",
	[PROTO_NOTE_CACHE_FULL] = "cache_full",
};

const struct proto *proto_by_id(uint8_t id)
{
	return id < ZT_PROTO_COUNT ? proto_table[id] : NULL;
}

const struct proto *proto_by_name(const char *name, size_t len)
{
	for (uint32_t i = 1; i < ZT_PROTO_COUNT; i++)
		if (strlen(proto_table[i]->name) == len && !memcmp(proto_table[i]->name, name, len))
			return proto_table[i];
	return NULL;
}

uint8_t proto_sniff(const uint8_t *p, size_t n, uint16_t lport, uint16_t rport,
		    uint32_t enabled, int *side)
{
	return zt_sniff(p, n < ZT_SNIFF_LEN ? (__u32)n : ZT_SNIFF_LEN, lport, rport, enabled, side);
}

void proto_chunk_walk(const struct proto_chunk *c,
		      int (*bytes)(void *ctx, const uint8_t *p, size_t n),
		      int (*gap)(void *ctx, uint64_t n), void *ctx)
{
	uint64_t pos = 0;

	for (uint32_t i = 0; i < c->nsegs; i++) {
		const struct proto_seg *s = &c->segs[i];

		if (s->off < pos || s->off > c->total)
			break; /* the tracer validates segments; never walk back */
		if (s->off > pos && gap(ctx, s->off - pos))
			return;
		if (s->cap && bytes(ctx, s->data, s->cap))
			return;
		pos = s->off + s->cap;
	}
	if (c->total > pos)
		gap(ctx, c->total - pos);
}
