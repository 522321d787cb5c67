// SPDX-License-Identifier: MIT
/*
 * Records wait in preallocated slot pools: small slots for the common
 * record, a few big ones for records that carry a whole write
 * (ZT_CAPTURE_WHOLE) or a frame walk, so memory goes to records, not to
 * slack.
 *
 * Their order is kept by (key, arrival) in two places. The ring buffer
 * delivers records almost sorted (each CPU's in order, CPUs interleaved
 * closely), so most go on the end of a sorted run, a circular array, in
 * O(1), or a few places before its end; the rare record that belongs
 * further back (a send stamped long before it was submitted) goes to a
 * min-heap of outliers. A pop takes the smaller of the two heads.
 */
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
	struct reorder_entry *run;   /* sorted, circular: run_count from run_head */
	uint32_t run_head, run_count;
	struct reorder_entry *heap;  /* the outliers */
	uint32_t count;              /* in the heap */
	uint32_t capacity;           /* of run and of heap: every slot */
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
	r->capacity = slots + big_slots;
	r->run = calloc(r->capacity, sizeof(*r->run));
	r->heap = calloc(r->capacity, sizeof(*r->heap));
	if (!r->run || !r->heap || class_init(&r->cls[0], slot_size, slots) ||
	    class_init(&r->cls[1], big_size, big_slots))
		goto fail;
	return r;
fail:
	reorder_free(r);
	return NULL;
}

/* The window holds every record for its length, so its depth is the record
 * rate times that length. Pages are touched only as deep as the window
 * gets (the slots are reused last in first out). */
#define REORDER_MEMORY_PER_MS ((64ull << 20) / 50)
#define REORDER_MEMORY_MIN (4ull << 20)
#define REORDER_MEMORY_MAX (1ull << 30)

struct reorder *reorder_new_window(uint32_t capture_bytes, uint64_t window_ns)
{
	size_t slot_size = sizeof(struct zt_event) + capture_bytes;
	size_t big_slot_size = sizeof(struct zt_event) + ZT_CAPTURE_MAX;
	uint64_t ms = window_ns / 1000000, memory;

	memory = ms > REORDER_MEMORY_MAX / REORDER_MEMORY_PER_MS ? REORDER_MEMORY_MAX :
								     ms * REORDER_MEMORY_PER_MS;
	if (memory < REORDER_MEMORY_MIN)
		memory = REORDER_MEMORY_MIN;
	/* most records are a head, a few a whole write or a frame walk */
	return reorder_new(slot_size, (uint32_t)(memory / 2 / slot_size), big_slot_size,
			   (uint32_t)(memory / 2 / big_slot_size));
}

void reorder_free(struct reorder *r)
{
	if (!r)
		return;
	for (int i = 0; i < 2; i++) {
		free(r->cls[i].pool);
		free(r->cls[i].free_slots);
	}
	free(r->run);
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

/* How far back from its end the run takes a record; one that belongs
 * further back is an outlier. Each step moves one entry. */
#define RUN_INSERT_STEPS 8

static uint32_t run_index(const struct reorder *r, uint32_t pos)
{
	uint32_t i = r->run_head + pos;

	return i >= r->capacity ? i - r->capacity : i;
}

/* Puts e in order into the run if it belongs among its last
 * RUN_INSERT_STEPS entries or after them; false when it belongs further
 * back. Arrivals only grow, so e goes after every equal key. */
static int run_insert(struct reorder *r, const struct reorder_entry *e)
{
	uint32_t pos = r->run_count, steps = 0;

	while (pos && e->key < r->run[run_index(r, pos - 1)].key) {
		if (++steps > RUN_INSERT_STEPS)
			return 0;
		pos--;
	}
	for (uint32_t i = r->run_count; i > pos; i--)
		r->run[run_index(r, i)] = r->run[run_index(r, i - 1)];
	r->run[run_index(r, pos)] = *e;
	r->run_count++;
	return 1;
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
	if (!run_insert(r, &e))
		heap_sift_up(r, r->count++, &e);
	return 0;
}

const void *reorder_pop(struct reorder *r, uint64_t bound, size_t *len)
{
	const struct reorder_entry *first = r->run_count ? &r->run[r->run_head] : NULL;
	struct reorder_entry top;

	release_popped(r);
	if (r->count && (!first || entry_less(&r->heap[0], first)))
		first = &r->heap[0];
	if (!first || first->key >= bound)
		return NULL;
	top = *first;
	if (first != r->heap) {
		r->run_head = run_index(r, 1);
		r->run_count--;
	} else if (--r->count) {
		heap_sift_down(r, &r->heap[r->count]);
	}
	r->popped = top;
	r->has_popped = 1;
	*len = top.len;
	return slot_at(r, &top);
}

uint32_t reorder_count(const struct reorder *r)
{
	return r->run_count + r->count;
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
