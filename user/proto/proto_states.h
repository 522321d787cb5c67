/* SPDX-License-Identifier: MIT */
/*
 * Spare protocol states, one list per protocol, reused last in first out.
 * A connection that goes idle parks its state here (proto.park) and takes
 * one back for its next message, so the states in memory are those of the
 * connections busy at once, not of all those open, with no allocation per
 * message once the busiest moment has been seen. A bounded number is kept
 * spare; the rest go back to the allocator.
 */
#ifndef ZT_PROTO_STATES_H
#define ZT_PROTO_STATES_H

#include <stdint.h>
#include "proto.h"

struct proto_states_stats {
	uint64_t allocated; /* states taken from the allocator */
	uint64_t reused;    /* states taken from the spares */
	uint64_t spare;     /* spare now, all protocols */
};

struct proto_states;

/* keep: spare states kept per protocol */
struct proto_states *proto_states_new(uint32_t keep);
void proto_states_free(struct proto_states *s);
/* p->state_size bytes, not initialized; NULL when out of memory. */
void *proto_states_take(struct proto_states *s, const struct proto *p);
/* state (from take, or NULL) is p's and no longer used. */
void proto_states_give(struct proto_states *s, const struct proto *p, void *state);
void proto_states_get_stats(const struct proto_states *s, struct proto_states_stats *out);

#endif /* ZT_PROTO_STATES_H */
