// SPDX-License-Identifier: MIT
/* A min-heap (four children a node) of (key, arrival) over preallocated slot pools: small
 * slots for the common record, a few big ones for records that carry a
 * whole write (ZT_CAPTURE_WHOLE) or a frame walk, so memory goes to
 * records, not to slack. */
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "reorder.h"

struct reorder_entry {
	uint64_t key;
	uint64_t arrival; /* breaks ties: equal keys leave in arrival order */
	uint32_t slot;    /* in its class */
	uint32_t len;
	uint8_t cls;
};

struct reorder_class {
	uint8_t *pool;
	size_t slot_size;
	uint32_t slots;
	uint32_t *free_slots;
	uint32_t free_count;
};

struct reorder {
	struct reorder_class cls[2]; /* small, big */
	struct reorder_entry *heap;
	uint32_t count;
	uint64_t arrivals;
	struct reorder_entry popped; /* returned by the last pop, freed by the next call */
	int has_popped;
};

static int class_init(struct reorder_class *c, size_t slot_size, uint32_t slots)
{
	c->slot_size = slot_size;
	c->slots = slots;
	if (!slots)
		return 0;
	c->pool = calloc(slots, slot_size);
	c->free_slots = calloc(slots, sizeof(*c->free_slots));
	if (!c->pool || !c->free_slots)
		return -1;
	for (uint32_t i = 0; i < slots; i++)
		c->free_slots[i] = slots - 1 - i;
	c->free_count = slots;
	return 0;
}

struct reorder *reorder_new(size_t slot_size, uint32_t slots, size_t big_size, uint32_t big_slots)
{
	struct reorder *r = calloc(1, sizeof(*r));

	if (!r || !slots || (big_slots && big_size < slot_size) ||
	    slots > UINT32_MAX - big_slots)
		goto fail;
	r->heap = calloc((size_t)slots + big_slots, sizeof(*r->heap));
	if (!r->heap || class_init(&r->cls[0], slot_size, slots) ||
	    class_init(&r->cls[1], big_size, big_slots))
		goto fail;
	return r;
fail:
	reorder_free(r);
	return NULL;
}

void reorder_free(struct reorder *r)
{
	if (!r)
		return;
	for (int i = 0; i < 2; i++) {
		free(r->cls[i].pool);
		free(r->cls[i].free_slots);
	}
	free(r->heap);
	free(r);
}

static int entry_less(const struct reorder_entry *a, const struct reorder_entry *b)
{
	return a->key < b->key || (a->key == b->key && a->arrival < b->arrival);
}

/* Four children a node: half the levels of a binary heap, and a node's
 * children share a cache line or two; entries move into a hole instead of
 * being swapped. */
#define HEAP_ARITY 4

static void heap_sift_up(struct reorder *r, uint32_t i, const struct reorder_entry *e)
{
	while (i) {
		uint32_t parent = (i - 1) / HEAP_ARITY;

		if (!entry_less(e, &r->heap[parent]))
			break;
		r->heap[i] = r->heap[parent];
		i = parent;
	}
	r->heap[i] = *e;
}

static void heap_sift_down(struct reorder *r, const struct reorder_entry *e)
{
	uint32_t i = 0, n = r->count;

	for (;;) {
		uint32_t first = HEAP_ARITY * i + 1, best = first, end;

		if (first >= n)
			break;
		end = n - first > HEAP_ARITY ? first + HEAP_ARITY : n;
		for (uint32_t j = first + 1; j < end; j++)
			if (entry_less(&r->heap[j], &r->heap[best]))
				best = j;
		if (!entry_less(&r->heap[best], e))
			break;
		r->heap[i] = r->heap[best];
		i = best;
	}
	r->heap[i] = *e;
}

static void release_popped(struct reorder *r)
{
	if (r->has_popped) {
		struct reorder_class *c = &r->cls[r->popped.cls];

		c->free_slots[c->free_count++] = r->popped.slot;
		r->has_popped = 0;
	}
}

static uint8_t *slot_at(const struct reorder *r, const struct reorder_entry *e)
{
	const struct reorder_class *c = &r->cls[e->cls];

	return c->pool + (size_t)e->slot * c->slot_size;
}

int reorder_push(struct reorder *r, uint64_t key, const void *data, size_t len)
{
	struct reorder_class *c;
	struct reorder_entry e;
	uint8_t cls;

	release_popped(r);
	/* a record goes to the smallest class it fits */
	cls = len > r->cls[0].slot_size;
	c = &r->cls[cls];
	if (len > c->slot_size || !c->free_count)
		return -1;
	e.key = key;
	e.arrival = r->arrivals++;
	e.cls = cls;
	e.slot = c->free_slots[--c->free_count];
	e.len = (uint32_t)len;
	memcpy(slot_at(r, &e), data, len);
	heap_sift_up(r, r->count++, &e);
	return 0;
}

const void *reorder_pop(struct reorder *r, uint64_t bound, size_t *len)
{
	struct reorder_entry top;

	release_popped(r);
	if (!r->count || r->heap[0].key >= bound)
		return NULL;
	top = r->heap[0];
	if (--r->count)
		heap_sift_down(r, &r->heap[r->count]);
	r->popped = top;
	r->has_popped = 1;
	*len = top.len;
	return slot_at(r, &top);
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
