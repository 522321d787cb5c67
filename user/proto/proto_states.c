// SPDX-License-Identifier: MIT
/* Spare protocol states (see proto_states.h): a spare is linked through
 * its own first bytes, so the lists cost no memory of their own. */
#include <stdlib.h>

#include "proto_states.h"

struct spare {
	struct spare *next;
};

struct proto_states {
	struct spare *head[ZT_PROTO_COUNT];
	uint32_t count[ZT_PROTO_COUNT];
	uint32_t keep;
	struct proto_states_stats stats;
};

struct proto_states *proto_states_new(uint32_t keep)
{
	struct proto_states *s = calloc(1, sizeof(*s));

	if (s)
		s->keep = keep;
	return s;
}

void proto_states_free(struct proto_states *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < ZT_PROTO_COUNT; i++) {
		while (s->head[i]) {
			struct spare *next = s->head[i]->next;

			free(s->head[i]);
			s->head[i] = next;
		}
	}
	free(s);
}

void *proto_states_take(struct proto_states *s, const struct proto *p)
{
	struct spare *st;

	if (p->id >= ZT_PROTO_COUNT || !s->head[p->id]) {
		st = malloc(p->state_size < sizeof(*st) ? sizeof(*st) : p->state_size);
		if (st)
			s->stats.allocated++;
		return st;
	}
	st = s->head[p->id];
	s->head[p->id] = st->next;
	s->count[p->id]--;
	s->stats.spare--;
	s->stats.reused++;
	return st;
}

void proto_states_give(struct proto_states *s, const struct proto *p, void *state)
{
	struct spare *st = state;

	if (!st)
		return;
	if (p->id >= ZT_PROTO_COUNT || s->count[p->id] >= s->keep) {
		free(st);
		return;
	}
	st->next = s->head[p->id];
	s->head[p->id] = st;
	s->count[p->id]++;
	s->stats.spare++;
}

void proto_states_get_stats(const struct proto_states *s, struct proto_states_stats *out)
{
	*out = s->stats;
}
