// SPDX-License-Identifier: MIT
/*
 * Open addressing (linear probing, backward-shift deletion) over a
 * preallocated slot array. calloc'd slots cost memory only once touched, so
 * a large --max-conns does not cost RSS until connections need it. The
 * request slots (3 KiB a connection) are blocks of a pool taken while a
 * connection has a request in flight: reused last-in first-out, the pages
 * touched are those of the most connections busy at once, not of all open.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conn_table.h"

#define NIL UINT32_MAX

struct conn_table {
	struct conn *slots;
	uint32_t *index;     /* slot + 1, 0 = empty */
	uint32_t index_mask;
	uint32_t max_conns;
	uint32_t *free_list;
	uint32_t free_count;
	/* one block of PROTO_INFLIGHT_MAX requests per slot at most, so it
	 * never runs out */
	struct conn_request *req_pool;
	struct conn_request **req_free;
	uint32_t req_free_count;
	uint32_t lru_head;   /* most recently used */
	uint32_t lru_tail;   /* least recently used */
	struct conn_table_stats stats;
};

static uint32_t hash_id(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (uint32_t)id;
}

struct conn_table *conn_table_new(uint32_t max_conns)
{
	struct conn_table *t = calloc(1, sizeof(*t));
	uint32_t cap = 16;

	if (!t)
		return NULL;
	while (cap < max_conns * 2)
		cap <<= 1;
	t->slots = calloc(max_conns, sizeof(*t->slots));
	t->index = calloc(cap, sizeof(*t->index));
	t->free_list = calloc(max_conns, sizeof(*t->free_list));
	t->req_pool = calloc((size_t)max_conns * PROTO_INFLIGHT_MAX, sizeof(*t->req_pool));
	t->req_free = calloc(max_conns, sizeof(*t->req_free));
	if (!t->slots || !t->index || !t->free_list || !t->req_pool || !t->req_free) {
		conn_table_free(t);
		return NULL;
	}
	t->index_mask = cap - 1;
	t->max_conns = max_conns;
	for (uint32_t i = 0; i < max_conns; i++)
		t->free_list[i] = max_conns - 1 - i;
	t->free_count = max_conns;
	for (uint32_t i = 0; i < max_conns; i++)
		t->req_free[i] = &t->req_pool[(size_t)(max_conns - 1 - i) * PROTO_INFLIGHT_MAX];
	t->req_free_count = max_conns;
	t->lru_head = t->lru_tail = NIL;
	return t;
}

void conn_table_free(struct conn_table *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; t->slots && i < t->max_conns; i++)
		free(t->slots[i].state);
	free(t->slots);
	free(t->index);
	free(t->free_list);
	free(t->req_pool);
	free(t->req_free);
	free(t);
}

static uint32_t slot_of(const struct conn_table *t, const struct conn *c)
{
	return (uint32_t)(c - t->slots);
}

static void lru_unlink(struct conn_table *t, struct conn *c)
{
	if (c->lru_prev != NIL)
		t->slots[c->lru_prev].lru_next = c->lru_next;
	else
		t->lru_head = c->lru_next;
	if (c->lru_next != NIL)
		t->slots[c->lru_next].lru_prev = c->lru_prev;
	else
		t->lru_tail = c->lru_prev;
	c->lru_prev = c->lru_next = NIL;
}

static void lru_push_front(struct conn_table *t, struct conn *c)
{
	uint32_t s = slot_of(t, c);

	c->lru_prev = NIL;
	c->lru_next = t->lru_head;
	if (t->lru_head != NIL)
		t->slots[t->lru_head].lru_prev = s;
	t->lru_head = s;
	if (t->lru_tail == NIL)
		t->lru_tail = s;
}

/* Index position holding conn_id, or of the empty cell where it would go. */
static uint32_t index_find(const struct conn_table *t, uint64_t conn_id)
{
	uint32_t pos = hash_id(conn_id) & t->index_mask;

	while (t->index[pos] && t->slots[t->index[pos] - 1].conn_id != conn_id)
		pos = (pos + 1) & t->index_mask;
	return pos;
}

struct conn *conn_table_lookup(struct conn_table *t, uint64_t conn_id)
{
	uint32_t pos = index_find(t, conn_id);

	return t->index[pos] ? &t->slots[t->index[pos] - 1] : NULL;
}

static void index_delete(struct conn_table *t, uint32_t pos)
{
	uint32_t next = (pos + 1) & t->index_mask;

	t->index[pos] = 0;
	/* backward shift: move later members of the cluster into the hole */
	while (t->index[next]) {
		uint32_t home = hash_id(t->slots[t->index[next] - 1].conn_id) & t->index_mask;

		if (((next - home) & t->index_mask) >= ((next - pos) & t->index_mask)) {
			t->index[pos] = t->index[next];
			t->index[next] = 0;
			pos = next;
		}
		next = (next + 1) & t->index_mask;
	}
}

void conn_table_remove(struct conn_table *t, struct conn *c)
{
	uint32_t pos = index_find(t, c->conn_id);

	if (t->index[pos])
		index_delete(t, pos);
	lru_unlink(t, c);
	if (c->reqs) {
		/* its keys go with it: a block on the free list is all empty */
		memset(c->reqs, 0, PROTO_INFLIGHT_MAX * sizeof(*c->reqs));
		t->req_free[t->req_free_count++] = c->reqs;
		c->reqs = NULL;
	}
	free(c->state);
	c->state = NULL;
	c->conn_id = 0;
	t->free_list[t->free_count++] = slot_of(t, c);
	t->stats.tracked--;
}

struct conn *conn_table_upsert(struct conn_table *t, uint64_t conn_id, uint64_t now_ns,
			       int *created, void (*evict_cb)(void *, struct conn *), void *ctx)
{
	struct conn *c = conn_table_lookup(t, conn_id);
	uint32_t s;

	*created = 0;
	if (c) {
		c->last_seen_ns = now_ns;
		lru_unlink(t, c);
		lru_push_front(t, c);
		return c;
	}
	if (!t->free_count) {
		struct conn *victim = &t->slots[t->lru_tail];

		if (evict_cb)
			evict_cb(ctx, victim);
		conn_table_remove(t, victim);
		t->stats.evicted_full++;
	}
	s = t->free_list[--t->free_count];
	c = &t->slots[s];
	memset(c, 0, sizeof(*c));
	c->conn_id = conn_id;
	c->last_seen_ns = now_ns;
	c->lru_prev = c->lru_next = NIL;
	t->index[index_find(t, conn_id)] = s + 1;
	lru_push_front(t, c);
	t->stats.tracked++;
	*created = 1;
	return c;
}

uint32_t conn_table_sweep_idle(struct conn_table *t, uint64_t older_than_ns,
			       void (*evict_cb)(void *, struct conn *), void *ctx)
{
	uint32_t n = 0;

	while (t->lru_tail != NIL && t->slots[t->lru_tail].last_seen_ns < older_than_ns) {
		struct conn *victim = &t->slots[t->lru_tail];

		if (evict_cb)
			evict_cb(ctx, victim);
		conn_table_remove(t, victim);
		t->stats.evicted_idle++;
		n++;
	}
	return n;
}

void conn_table_get_stats(const struct conn_table *t, struct conn_table_stats *out)
{
	*out = t->stats;
}

struct conn_request *conn_request_slot(struct conn_table *t, struct conn *c, uint32_t key)
{
	struct conn_request *r;

	if (!c->reqs) {
		c->reqs = t->req_free[--t->req_free_count];
		c->reqs_live = 0;
	}
	r = &c->reqs[key % PROTO_INFLIGHT_MAX];
	if (!r->key)
		c->reqs_live++;
	memset(r, 0, sizeof(*r));
	r->key = key;
	return r;
}

const struct conn_request *conn_request_occupant(const struct conn *c, uint32_t key)
{
	const struct conn_request *r = c->reqs ? &c->reqs[key % PROTO_INFLIGHT_MAX] : NULL;

	return r && r->key ? r : NULL;
}

const struct conn_request *conn_request_find(const struct conn *c, uint32_t key)
{
	const struct conn_request *r = conn_request_occupant(c, key);

	return key && r && r->key == key ? r : NULL;
}

const struct conn_request *conn_request_sole(const struct conn *c)
{
	if (c->reqs_live != 1)
		return NULL;
	for (uint32_t i = 0; i < PROTO_INFLIGHT_MAX; i++)
		if (c->reqs[i].key)
			return &c->reqs[i];
	return NULL;
}

void conn_request_done(struct conn_table *t, struct conn *c, uint32_t key)
{
	struct conn_request *r = c->reqs ? &c->reqs[key % PROTO_INFLIGHT_MAX] : NULL;

	if (!key || !r || r->key != key)
		return;
	r->key = 0;
	if (--c->reqs_live == 0) {
		t->req_free[t->req_free_count++] = c->reqs;
		c->reqs = NULL;
	}
}
