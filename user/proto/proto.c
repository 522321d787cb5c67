// SPDX-License-Identifier: MIT
/* The registry: every module of protocols.def, by id and by name. */
#include <stddef.h>
#include <string.h>

#include "proto.h"
#include "sniff.h"
#include "text.h"

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
	[PROTO_NOTE_UNANSWERED] = "unanswered",
	[PROTO_NOTE_INCOMPLETE] = "incomplete",
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
		    uint32_t enabled, uint8_t midstream, int *side)
{
	return zt_sniff(p, n < ZT_SNIFF_LEN ? (__u32)n : ZT_SNIFF_LEN, lport, rport, enabled,
			midstream, side);
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

int proto_context_header(struct proto_context *w, const char *name, size_t name_len,
			 const char *val, size_t val_len, int truncated)
{
	static const struct {
		const char *name;
		size_t off, cap;
	} slots[] = {
#define PROTO_SLOT(n, f) { n, offsetof(struct proto_context, f), sizeof(((struct proto_context *)0)->f) }
		PROTO_SLOT("traceparent", traceparent),
		PROTO_SLOT("tracestate", tracestate),
		PROTO_SLOT("b3", b3),
		PROTO_SLOT("x-b3-traceid", b3_trace_id),
		PROTO_SLOT("x-b3-spanid", b3_span_id),
		PROTO_SLOT("x-b3-sampled", b3_sampled),
		PROTO_SLOT("x-b3-flags", b3_flags),
#undef PROTO_SLOT
	};
	char *slot = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]) && !slot; i++) {
		if (text_ieq(name, name_len, slots[i].name)) {
			slot = (char *)w + slots[i].off;
			cap = slots[i].cap;
		}
	}
	if (!slot)
		return 0;
	/* a context we did not see whole is not a context */
	if (truncated) {
		w->dups = 1;
		return 1;
	}
	/* W3C: split tracestate fields are one list */
	if (slot == w->tracestate && slot[0]) {
		size_t used = strlen(slot);

		if (used + 1 + val_len < cap) {
			slot[used] = ',';
			memcpy(slot + used + 1, val, val_len);
		}
		return 1;
	}
	if (slot[0]) {
		w->dups = 1;
		return 1;
	}
	/* an empty value still marks the header as seen, for duplicates */
	if (!val_len) {
		slot[0] = ' ';
		return 1;
	}
	if (val_len > cap - 1)
		val_len = cap - 1;
	memcpy(slot, val, val_len);
	return 1;
}
