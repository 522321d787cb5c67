// SPDX-License-Identifier: MIT
/* A binary min-heap of (key, arrival) over preallocated slot pools: small
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

static void heap_swap(struct reorder *r, uint32_t i, uint32_t j)
{
	struct reorder_entry tmp = r->heap[i];

	r->heap[i] = r->heap[j];
	r->heap[j] = tmp;
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
	uint32_t i;
	uint8_t cls;

	release_popped(r);
	/* a record goes to the smallest class it fits */
	cls = len > r->cls[0].slot_size;
	c = &r->cls[cls];
	if (len > c->slot_size || !c->free_count)
		return -1;
	i = r->count++;
	r->heap[i].key = key;
	r->heap[i].arrival = r->arrivals++;
	r->heap[i].cls = cls;
	r->heap[i].slot = c->free_slots[--c->free_count];
	r->heap[i].len = (uint32_t)len;
	memcpy(slot_at(r, &r->heap[i]), data, len);
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
