// SPDX-License-Identifier: MIT
/* user/conn_table.c: index, backward-shift deletion, LRU, idle sweep, request ring. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "conn_table.h"

/* What the evict callback saw, in order. */
struct ct_evictions {
	uint64_t ids[64];
	uint64_t last_seen[64];
	uint32_t n;
	int still_findable; /* the victim was still in the table during the call */
	struct conn_table *t;
};

static void ct_record_evict(void *ctx, struct conn *c)
{
	struct ct_evictions *ev = ctx;

	cr_assert_lt(ev->n, 64);
	ev->ids[ev->n] = c->conn_id;
	ev->last_seen[ev->n] = c->last_seen_ns;
	if (ev->t && conn_table_lookup(ev->t, c->conn_id) == c)
		ev->still_findable++;
	ev->n++;
}

static struct conn *ct_insert(struct conn_table *t, uint64_t id, uint64_t now)
{
	int created = -1;
	struct conn *c = conn_table_upsert(t, id, now, &created, NULL, NULL);

	cr_assert_not_null(c);
	cr_assert_eq(created, 1, "id %llu was not created", (unsigned long long)id);
	return c;
}

static struct conn_table_stats ct_stats(const struct conn_table *t)
{
	struct conn_table_stats s;

	memset(&s, 0xa5, sizeof(s));
	conn_table_get_stats(t, &s);
	return s;
}

/*
 * A copy of the table's private hash, used only to build sets of ids that
 * share a home cell. If the table's hash changes the tests still check
 * correctness; they just stop forcing long clusters.
 */
static uint32_t ct_hash_copy(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (uint32_t)id;
}

/* n ids whose home cell (index of 2048 cells, mask 2047) is one of the last
 * four: one long cluster that also wraps around the end of the index. */
static void ct_colliding_ids(uint64_t *ids, uint32_t n)
{
	uint64_t id = 1;

	for (uint32_t k = 0; k < n; id++)
		if ((ct_hash_copy(id) & 2047) >= 2044)
			ids[k++] = id;
}

Test(conn_table, new_table_is_empty)
{
	struct conn_table *t = conn_table_new(16);
	struct conn_table_stats s;

	cr_assert_not_null(t);
	s = ct_stats(t);
	cr_expect_eq(s.tracked, 0);
	cr_expect_eq(s.evicted_full, 0);
	cr_expect_eq(s.evicted_idle, 0);
	cr_expect_null(conn_table_lookup(t, 1));
	cr_expect_null(conn_table_lookup(t, 0));
	cr_expect_eq(conn_table_sweep_idle(t, UINT64_MAX, NULL, NULL), 0);
	conn_table_free(t);
	conn_table_free(NULL);
}

Test(conn_table, insert_lookup_remove)
{
	struct conn_table *t = conn_table_new(16);
	struct conn *a, *b;
	int created = -1;

	a = ct_insert(t, 42, 1000);
	cr_expect_eq(a->conn_id, 42);
	cr_expect_eq(a->last_seen_ns, 1000);
	cr_expect_eq(a->role, ZT_ROLE_UNKNOWN);
	cr_expect_eq(a->pid, 0);
	cr_expect_eq(a->first_tid, 0);
	b = ct_insert(t, 43, 1001);
	cr_expect_neq(a, b);
	cr_expect_eq(conn_table_lookup(t, 42), a);
	cr_expect_eq(conn_table_lookup(t, 43), b);
	cr_expect_null(conn_table_lookup(t, 44));
	cr_expect_eq(ct_stats(t).tracked, 2);

	/* upsert of a known id returns the same entry and refreshes it */
	a->pid = 7;
	cr_expect_eq(conn_table_upsert(t, 42, 2000, &created, NULL, NULL), a);
	cr_expect_eq(created, 0);
	cr_expect_eq(a->pid, 7, "an existing entry must not be reset");
	cr_expect_eq(a->last_seen_ns, 2000);
	cr_expect_eq(ct_stats(t).tracked, 2);

	conn_table_remove(t, a);
	cr_expect_null(conn_table_lookup(t, 42));
	cr_expect_eq(conn_table_lookup(t, 43), b);
	cr_expect_eq(ct_stats(t).tracked, 1);

	/* the same id comes back as a fresh entry */
	a = ct_insert(t, 42, 3000);
	cr_expect_eq(a->pid, 0, "a reused slot must be cleared");
	cr_expect_eq(a->last_seen_ns, 3000);
	cr_expect_eq(ct_stats(t).tracked, 2);
	conn_table_free(t);
}

Test(conn_table, fresh_entry_is_fully_reset)
{
	struct conn_table *t = conn_table_new(16);
	struct conn *c = ct_insert(t, 5, 10);

	c->pid = 1;
	c->first_tid = 2;
	c->role = ZT_ROLE_SERVER;
	memcpy(c->comm, "dirty", 6);
	c->tuple.local_port = 80;
	conn_request_slot(t, c, 3)->tid = 12;
	conn_table_remove(t, c);
	/* only one slot was freed: the next insert must reuse it */
	c = ct_insert(t, 6, 20);
	cr_expect_eq(c->conn_id, 6);
	cr_expect_eq(c->pid, 0);
	cr_expect_eq(c->first_tid, 0);
	cr_expect_eq(c->role, ZT_ROLE_UNKNOWN);
	cr_expect_str_eq(c->comm, "");
	cr_expect_eq(c->tuple.local_port, 0);
	cr_expect_null(conn_request_find(c, 3));
	conn_table_free(t);
}

Test(conn_table, fills_to_max_without_eviction)
{
	struct conn_table *t = conn_table_new(16);
	struct ct_evictions ev = { .t = t };
	int created;

	for (uint64_t id = 1; id <= 16; id++)
		cr_assert_not_null(conn_table_upsert(t, id, id, &created, ct_record_evict, &ev));
	cr_expect_eq(ev.n, 0);
	cr_expect_eq(ct_stats(t).tracked, 16);
	cr_expect_eq(ct_stats(t).evicted_full, 0);
	for (uint64_t id = 1; id <= 16; id++)
		cr_expect_not_null(conn_table_lookup(t, id), "id %llu", (unsigned long long)id);
	conn_table_free(t);
}

Test(conn_table, colliding_ids_survive_backward_shift_deletion)
{
	static uint64_t ids[1000];
	static struct conn *where[1000];
	struct conn_table *t = conn_table_new(1000);

	ct_colliding_ids(ids, 1000);
	for (uint32_t i = 0; i < 1000; i++)
		where[i] = ct_insert(t, ids[i], i);
	cr_assert_eq(ct_stats(t).tracked, 1000);
	for (uint32_t i = 0; i < 1000; i++)
		cr_assert_eq(conn_table_lookup(t, ids[i]), where[i], "before removal: id #%u", i);

	for (uint32_t i = 0; i < 1000; i += 2)
		conn_table_remove(t, where[i]);
	cr_expect_eq(ct_stats(t).tracked, 500);
	for (uint32_t i = 0; i < 1000; i++) {
		if (i % 2 == 0)
			cr_assert_null(conn_table_lookup(t, ids[i]), "removed id #%u still found", i);
		else
			cr_assert_eq(conn_table_lookup(t, ids[i]), where[i], "kept id #%u lost", i);
	}

	/* put the removed half back: every id findable again */
	for (uint32_t i = 0; i < 1000; i += 2)
		where[i] = ct_insert(t, ids[i], 5000 + i);
	cr_expect_eq(ct_stats(t).tracked, 1000);
	for (uint32_t i = 0; i < 1000; i++)
		cr_assert_eq(conn_table_lookup(t, ids[i]), where[i], "after reinsert: id #%u", i);
	cr_expect_eq(ct_stats(t).evicted_full, 0);
	conn_table_free(t);
}

Test(conn_table, colliding_ids_removed_in_scrambled_order)
{
	static uint64_t ids[1000];
	static struct conn *where[1000];
	static uint8_t gone[1000];
	struct conn_table *t = conn_table_new(1000);
	uint32_t x = 12345;

	ct_colliding_ids(ids, 1000);
	for (uint32_t i = 0; i < 1000; i++)
		where[i] = ct_insert(t, ids[i], i);
	/* remove 700 in an order unrelated to insertion, checking all after each
	 * hundred removals */
	for (uint32_t round = 0; round < 700; round++) {
		uint32_t i;

		do {
			x = x * 1103515245u + 12345u;
			i = (x >> 8) % 1000;
		} while (gone[i]);
		conn_table_remove(t, where[i]);
		gone[i] = 1;
		if (round % 100 != 99)
			continue;
		for (uint32_t k = 0; k < 1000; k++) {
			if (gone[k])
				cr_assert_null(conn_table_lookup(t, ids[k]), "round %u: #%u", round, k);
			else
				cr_assert_eq(conn_table_lookup(t, ids[k]), where[k], "round %u: #%u",
					     round, k);
		}
	}
	cr_expect_eq(ct_stats(t).tracked, 300);
	conn_table_free(t);
}

Test(conn_table, sequential_ids_remove_every_other)
{
	static struct conn *where[1001];
	struct conn_table *t = conn_table_new(1000);

	for (uint64_t id = 1; id <= 1000; id++)
		where[id] = ct_insert(t, id, id);
	for (uint64_t id = 1; id <= 1000; id += 2)
		conn_table_remove(t, where[id]);
	for (uint64_t id = 1; id <= 1000; id++) {
		if (id % 2)
			cr_assert_null(conn_table_lookup(t, id), "id %llu", (unsigned long long)id);
		else
			cr_assert_eq(conn_table_lookup(t, id), where[id], "id %llu",
				     (unsigned long long)id);
	}
	cr_expect_eq(ct_stats(t).tracked, 500);
	conn_table_free(t);
}

Test(conn_table, full_table_evicts_least_recently_used)
{
	struct conn_table *t = conn_table_new(16);
	struct ct_evictions ev = { .t = t };
	struct conn *c;
	int created;

	for (uint64_t id = 1; id <= 16; id++)
		ct_insert(t, id, 100 + id);
	/* touch 1: now 2 is the least recently used */
	c = conn_table_upsert(t, 1, 500, &created, ct_record_evict, &ev);
	cr_expect_eq(created, 0);
	cr_expect_eq(ev.n, 0);

	c = conn_table_upsert(t, 17, 600, &created, ct_record_evict, &ev);
	cr_assert_not_null(c);
	cr_expect_eq(created, 1);
	cr_expect_eq(c->conn_id, 17);
	cr_assert_eq(ev.n, 1);
	cr_expect_eq(ev.ids[0], 2);
	cr_expect_eq(ev.last_seen[0], 102);
	cr_expect_eq(ev.still_findable, 1, "the callback must see the victim still in place");
	cr_expect_null(conn_table_lookup(t, 2));
	cr_expect_not_null(conn_table_lookup(t, 1));
	cr_expect_not_null(conn_table_lookup(t, 17));

	/* next victims follow insertion order: 3, then 4 */
	conn_table_upsert(t, 18, 601, &created, ct_record_evict, &ev);
	conn_table_upsert(t, 19, 602, &created, ct_record_evict, &ev);
	cr_assert_eq(ev.n, 3);
	cr_expect_eq(ev.ids[1], 3);
	cr_expect_eq(ev.ids[2], 4);

	cr_expect_eq(ct_stats(t).tracked, 16);
	cr_expect_eq(ct_stats(t).evicted_full, 3);
	cr_expect_eq(ct_stats(t).evicted_idle, 0);
	conn_table_free(t);
}

Test(conn_table, eviction_without_callback_still_counts)
{
	struct conn_table *t = conn_table_new(16);
	int created;

	for (uint64_t id = 1; id <= 20; id++)
		conn_table_upsert(t, id, id, &created, NULL, NULL);
	cr_expect_eq(ct_stats(t).tracked, 16);
	cr_expect_eq(ct_stats(t).evicted_full, 4);
	for (uint64_t id = 1; id <= 4; id++)
		cr_expect_null(conn_table_lookup(t, id));
	for (uint64_t id = 5; id <= 20; id++)
		cr_expect_not_null(conn_table_lookup(t, id));
	conn_table_free(t);
}

Test(conn_table, lookup_does_not_refresh_lru)
{
	struct conn_table *t = conn_table_new(16);
	struct ct_evictions ev = { 0 };
	int created;

	for (uint64_t id = 1; id <= 16; id++)
		ct_insert(t, id, id);
	cr_expect_not_null(conn_table_lookup(t, 1));
	conn_table_upsert(t, 99, 99, &created, ct_record_evict, &ev);
	cr_assert_eq(ev.n, 1);
	cr_expect_eq(ev.ids[0], 1, "only upsert marks an entry as used");
	conn_table_free(t);
}

Test(conn_table, idle_sweep_evicts_exactly_older_entries)
{
	struct conn_table *t = conn_table_new(16);
	struct ct_evictions ev = { .t = t };

	for (uint64_t id = 1; id <= 6; id++)
		ct_insert(t, id, id * 100); /* last seen 100..600 */

	cr_expect_eq(conn_table_sweep_idle(t, 100, ct_record_evict, &ev), 0,
		     "last_seen == bound is not older");
	cr_expect_eq(conn_table_sweep_idle(t, 350, ct_record_evict, &ev), 3);
	cr_assert_eq(ev.n, 3);
	cr_expect_eq(ev.ids[0], 1);
	cr_expect_eq(ev.ids[1], 2);
	cr_expect_eq(ev.ids[2], 3);
	cr_expect_eq(ev.last_seen[2], 300);
	cr_expect_eq(ev.still_findable, 3);
	for (uint64_t id = 1; id <= 3; id++)
		cr_expect_null(conn_table_lookup(t, id));
	for (uint64_t id = 4; id <= 6; id++)
		cr_expect_not_null(conn_table_lookup(t, id));
	cr_expect_eq(ct_stats(t).tracked, 3);
	cr_expect_eq(ct_stats(t).evicted_idle, 3);
	cr_expect_eq(ct_stats(t).evicted_full, 0);

	/* a refreshed entry is no longer idle */
	{
		int created;

		conn_table_upsert(t, 4, 1000, &created, NULL, NULL);
	}
	cr_expect_eq(conn_table_sweep_idle(t, 601, ct_record_evict, &ev), 2);
	cr_expect_eq(ev.ids[3], 5);
	cr_expect_eq(ev.ids[4], 6);
	cr_expect_not_null(conn_table_lookup(t, 4));
	cr_expect_eq(conn_table_sweep_idle(t, 1001, NULL, NULL), 1);
	cr_expect_eq(ct_stats(t).tracked, 0);
	cr_expect_eq(ct_stats(t).evicted_idle, 6);
	conn_table_free(t);
}

Test(conn_table, remove_from_middle_keeps_lru_order)
{
	struct conn_table *t = conn_table_new(16);
	struct ct_evictions ev = { 0 };

	for (uint64_t id = 1; id <= 5; id++)
		ct_insert(t, id, id * 10);
	conn_table_remove(t, conn_table_lookup(t, 1)); /* tail */
	conn_table_remove(t, conn_table_lookup(t, 3)); /* middle */
	conn_table_remove(t, conn_table_lookup(t, 5)); /* head */
	cr_expect_eq(conn_table_sweep_idle(t, UINT64_MAX, ct_record_evict, &ev), 2);
	cr_assert_eq(ev.n, 2);
	cr_expect_eq(ev.ids[0], 2);
	cr_expect_eq(ev.ids[1], 4);
	cr_expect_eq(ct_stats(t).tracked, 0);
	/* the emptied table takes a full load again */
	for (uint64_t id = 100; id < 116; id++)
		ct_insert(t, id, id);
	cr_expect_eq(ct_stats(t).tracked, 16);
	cr_expect_eq(ct_stats(t).evicted_full, 0);
	conn_table_free(t);
}

Test(conn_table, large_ids_and_zero_id)
{
	struct conn_table *t = conn_table_new(16);
	struct conn *a = ct_insert(t, UINT64_MAX, 1);
	struct conn *b = ct_insert(t, 1ULL << 63, 2);

	cr_expect_eq(conn_table_lookup(t, UINT64_MAX), a);
	cr_expect_eq(conn_table_lookup(t, 1ULL << 63), b);
	conn_table_remove(t, a);
	cr_expect_null(conn_table_lookup(t, UINT64_MAX));
	cr_expect_eq(conn_table_lookup(t, 1ULL << 63), b);
	conn_table_free(t);
}

Test(conn_table, request_ring_finds_by_seq)
{
	struct conn_table *t = conn_table_new(4);
	struct conn *c = ct_insert(t, 1, 10);
	const struct conn_request *r;

	cr_expect_null(c->reqs, "an idle connection holds no request block");
	conn_request_slot(t, c, 1)->tid = 11;
	conn_request_slot(t, c, 2)->tid = 12;
	r = conn_request_find(c, 1);
	cr_assert_not_null(r);
	cr_expect_eq(r->tid, 11);
	cr_expect_eq(conn_request_find(c, 2)->tid, 12);
	cr_expect_null(conn_request_find(c, 3));
	cr_expect_null(conn_request_find(c, 0), "seq 0 is never a request");
	cr_expect_null(conn_request_sole(c), "two in flight: no sole one");
	conn_request_done(t, c, 1);
	cr_expect_eq(conn_request_sole(c), conn_request_find(c, 2));
	conn_table_free(t);
}

Test(conn_table, request_ring_overwrites_a_full_lap)
{
	struct conn_table *t = conn_table_new(4);
	struct conn *c = ct_insert(t, 1, 10);

	conn_request_slot(t, c, 1)->tid = 11;
	cr_expect_eq(conn_request_occupant(c, 1 + PROTO_INFLIGHT_MAX)->key, 1,
		     "the slot of a key a lap newer holds the older one");
	conn_request_slot(t, c, 1 + PROTO_INFLIGHT_MAX)->tid = 99;
	cr_expect_null(conn_request_find(c, 1), "a request a full lap older is gone");
	cr_expect_eq(conn_request_find(c, 1 + PROTO_INFLIGHT_MAX)->tid, 99);
	cr_expect_eq(c->reqs_live, 1);
	conn_table_free(t);
}

/* Every request a protocol may have in flight has its own slot. */
Test(conn_table, request_ring_holds_a_full_lap)
{
	struct conn_table *t = conn_table_new(4);
	struct conn *c = ct_insert(t, 1, 10);

	for (uint32_t k = 1; k <= PROTO_INFLIGHT_MAX; k++)
		conn_request_slot(t, c, k)->tid = 100 + k;
	for (uint32_t k = 1; k <= PROTO_INFLIGHT_MAX; k++) {
		cr_assert_not_null(conn_request_find(c, k), "key %u", k);
		cr_expect_eq(conn_request_find(c, k)->tid, 100 + k);
	}
	conn_request_done(t, c, 5);
	cr_expect_null(conn_request_find(c, 5));
	cr_expect_not_null(conn_request_find(c, 6));
	conn_table_free(t);
}

/* A connection holds its request block only while a request is in flight,
 * and a block goes back empty: the next connection to take it finds no
 * request of the last one. */
Test(conn_table, request_block_is_held_only_while_busy)
{
	struct conn_table *t = conn_table_new(4);
	struct conn *a = ct_insert(t, 1, 10), *b = ct_insert(t, 2, 10);
	const struct conn_request *block;

	conn_request_slot(t, a, 7)->tid = 70;
	block = a->reqs;
	cr_assert_not_null(block);
	conn_request_done(t, a, 8);
	cr_expect_eq(a->reqs, block, "a key not in flight frees nothing");
	conn_request_done(t, a, 7);
	cr_expect_null(a->reqs, "the last request done returns the block");
	conn_request_slot(t, b, 9);
	cr_expect_eq(b->reqs, block, "blocks are reused last in, first out");
	cr_expect_null(conn_request_find(b, 7));
	conn_request_slot(t, b, 10)->tid = 100;
	conn_table_remove(t, b);
	b = ct_insert(t, 3, 20);
	conn_request_slot(t, b, 1);
	cr_expect_eq(b->reqs, block, "a removed connection's block is free again");
	cr_expect_null(conn_request_find(b, 9), "and empty");
	cr_expect_null(conn_request_find(b, 10));
	cr_expect_eq(b->reqs_live, 1);
	conn_table_free(t);
}

