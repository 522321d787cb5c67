// SPDX-License-Identifier: MIT
/* A binary min-heap of (key, arrival) over a preallocated slot pool. */
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "reorder.h"

struct reorder_entry {
	uint64_t key;
	uint64_t arrival; /* breaks ties: equal keys leave in arrival order */
	uint32_t slot;
	uint32_t len;
};

struct reorder {
	uint8_t *pool;
	size_t slot_size;
	uint32_t slots;
	uint32_t *free_slots;
	uint32_t free_count;
	struct reorder_entry *heap;
	uint32_t count;
	uint64_t arrivals;
	uint32_t popped_slot; /* returned by the last pop, freed by the next call */
	int has_popped;
};

struct reorder *reorder_new(size_t slot_size, uint32_t slots)
{
	struct reorder *r = calloc(1, sizeof(*r));

	if (!r || !slots)
		goto fail;
	r->pool = calloc(slots, slot_size);
	r->free_slots = calloc(slots, sizeof(*r->free_slots));
	r->heap = calloc(slots, sizeof(*r->heap));
	if (!r->pool || !r->free_slots || !r->heap)
		goto fail;
	r->slot_size = slot_size;
	r->slots = slots;
	for (uint32_t i = 0; i < slots; i++)
		r->free_slots[i] = slots - 1 - i;
	r->free_count = slots;
	return r;
fail:
	reorder_free(r);
	return NULL;
}

void reorder_free(struct reorder *r)
{
	if (!r)
		return;
	free(r->pool);
	free(r->free_slots);
	free(r->heap);
	free(r);
}

static int entry_less(const struct reorder_entry *a, const struct reorder_entry *b)
{
	return a->key < b->key || (a->key == b->key && a->arrival < b->arrival);
}

static void heap_swap(struct reorder *r, uint32_t i, uint32_t j)
{
	struct reorder_entry tmp = r->heap[i];

	r->heap[i] = r->heap[j];
	r->heap[j] = tmp;
}

static void release_popped(struct reorder *r)
{
	if (r->has_popped) {
		r->free_slots[r->free_count++] = r->popped_slot;
		r->has_popped = 0;
	}
}

int reorder_push(struct reorder *r, uint64_t key, const void *data, size_t len)
{
	uint32_t i;

	release_popped(r);
	if (len > r->slot_size || !r->free_count)
		return -1;
	i = r->count++;
	r->heap[i].key = key;
	r->heap[i].arrival = r->arrivals++;
	r->heap[i].slot = r->free_slots[--r->free_count];
	r->heap[i].len = (uint32_t)len;
	memcpy(r->pool + (size_t)r->heap[i].slot * r->slot_size, data, len);
	while (i && entry_less(&r->heap[i], &r->heap[(i - 1) / 2])) {
		heap_swap(r, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

const void *reorder_pop(struct reorder *r, uint64_t bound, size_t *len)
{
	struct reorder_entry top;
	uint32_t i = 0;

	release_popped(r);
	if (!r->count || r->heap[0].key >= bound)
		return NULL;
	top = r->heap[0];
	r->heap[0] = r->heap[--r->count];
	for (;;) {
		uint32_t l = 2 * i + 1, m = i;

		if (l < r->count && entry_less(&r->heap[l], &r->heap[m]))
			m = l;
		if (l + 1 < r->count && entry_less(&r->heap[l + 1], &r->heap[m]))
			m = l + 1;
		if (m == i)
			break;
		heap_swap(r, i, m);
		i = m;
	}
	r->popped_slot = top.slot;
	r->has_popped = 1;
	*len = top.len;
	return r->pool + (size_t)top.slot * r->slot_size;
}

uint32_t reorder_count(const struct reorder *r)
{
	return r->count;
}

uint64_t reorder_event_key(const void *data, size_t len)
{
	const struct zt_event *e = data;

	if (len < sizeof(*e))
		return 0; /* malformed: release at once, the tracer counts it */
	if (e->type == ZT_EV_DATA)
		return e->dir == ZT_DIR_INGRESS ? e->ts_exit_ns : e->ts_enter_ns;
	if (e->type == ZT_EV_CLOSE)
		return e->ts_enter_ns;
	return e->ts_exit_ns;
}
