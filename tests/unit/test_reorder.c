// SPDX-License-Identifier: MIT
/*
 * user/reorder.c: the bounded window between the ring buffer and the
 * tracer. Order by key, ties in arrival order, the release bound, the two
 * refusals (full, too large), the bytes handed back, and the causal key of
 * each record type.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "events.h"
#include "reorder.h"

struct ro_rec {
	uint64_t key;
	uint32_t id;
	uint8_t fill[20];
};

static struct reorder *ro_new(size_t slot_size, uint32_t slots)
{
	struct reorder *r = reorder_new(slot_size, slots, 0, 0);

	cr_assert_not_null(r);
	return r;
}

static void ro_push(struct reorder *r, uint64_t key, uint32_t id)
{
	struct ro_rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.key = key;
	rec.id = id;
	memset(rec.fill, (int)(id & 0xff), sizeof(rec.fill));
	cr_assert_eq(reorder_push(r, key, &rec, sizeof(rec)), 0, "push key %llu",
		     (unsigned long long)key);
}

/* Pops one record below bound, checks its bytes, returns its id (-1: none). */
static int64_t ro_pop(struct reorder *r, uint64_t bound)
{
	const struct ro_rec *rec;
	size_t len = 0;

	rec = reorder_pop(r, bound, &len);
	if (!rec)
		return -1;
	cr_assert_eq(len, sizeof(*rec));
	for (size_t i = 0; i < sizeof(rec->fill); i++)
		cr_assert_eq(rec->fill[i], (uint8_t)(rec->id & 0xff), "byte %zu of record %u", i,
			     rec->id);
	return rec->id;
}

Test(reorder, keys_out_of_order_come_out_sorted)
{
	static const uint64_t keys[] = { 50, 10, 40, 30, 20, 60, 5, 45 };
	static const uint32_t want[] = { 6, 1, 4, 3, 2, 7, 0, 5 }; /* ids by key */
	struct reorder *r = ro_new(sizeof(struct ro_rec), 16);

	for (uint32_t i = 0; i < 8; i++)
		ro_push(r, keys[i], i);
	cr_expect_eq(reorder_count(r), 8);
	for (uint32_t i = 0; i < 8; i++)
		cr_expect_eq(ro_pop(r, UINT64_MAX), want[i], "pop %u", i);
	cr_expect_eq(ro_pop(r, UINT64_MAX), -1);
	cr_expect_eq(reorder_count(r), 0);
	reorder_free(r);
}

Test(reorder, ties_keep_arrival_order)
{
	struct reorder *r = ro_new(sizeof(struct ro_rec), 32);

	/* interleave two keys; within each key the ids must come out in order */
	for (uint32_t i = 0; i < 20; i++)
		ro_push(r, i % 2 ? 7 : 3, i);
	for (uint32_t i = 0; i < 20; i += 2)
		cr_expect_eq(ro_pop(r, UINT64_MAX), i);
	for (uint32_t i = 1; i < 20; i += 2)
		cr_expect_eq(ro_pop(r, UINT64_MAX), i);
	reorder_free(r);
}

Test(reorder, ties_keep_arrival_order_across_pops)
{
	struct reorder *r = ro_new(sizeof(struct ro_rec), 4);

	ro_push(r, 9, 0);
	ro_push(r, 9, 1);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 0);
	ro_push(r, 9, 2);
	ro_push(r, 9, 3);
	ro_push(r, 9, 4);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 1);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 2);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 3);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 4);
	reorder_free(r);
}

Test(reorder, pop_respects_the_bound)
{
	struct reorder *r = ro_new(sizeof(struct ro_rec), 8);

	ro_push(r, 100, 1);
	ro_push(r, 200, 2);
	ro_push(r, 150, 3);
	cr_expect_eq(ro_pop(r, 100), -1, "the bound is exclusive");
	cr_expect_eq(ro_pop(r, 0), -1);
	cr_expect_eq(ro_pop(r, 101), 1);
	cr_expect_eq(ro_pop(r, 101), -1);
	cr_expect_eq(ro_pop(r, 200), 3);
	cr_expect_eq(ro_pop(r, 200), -1);
	cr_expect_eq(reorder_count(r), 1);
	cr_expect_eq(ro_pop(r, 201), 2);
	cr_expect_eq(reorder_count(r), 0);
	reorder_free(r);
}

Test(reorder, key_zero_and_max)
{
	struct reorder *r = ro_new(sizeof(struct ro_rec), 8);

	ro_push(r, UINT64_MAX, 1);
	ro_push(r, 0, 2);
	cr_expect_eq(ro_pop(r, 1), 2);
	/* UINT64_MAX is never < a bound: the window's largest key stays */
	cr_expect_eq(ro_pop(r, UINT64_MAX), -1);
	cr_expect_eq(reorder_count(r), 1);
	reorder_free(r);
}

Test(reorder, full_window_refuses_then_accepts_after_a_pop)
{
	struct reorder *r = ro_new(sizeof(struct ro_rec), 3);
	struct ro_rec rec = { .key = 1, .id = 99 };

	ro_push(r, 30, 0);
	ro_push(r, 10, 1);
	ro_push(r, 20, 2);
	cr_expect_eq(reorder_push(r, 5, &rec, sizeof(rec)), -1);
	cr_expect_eq(reorder_count(r), 3);
	/* the caller's recovery: release the oldest, then push */
	cr_expect_eq(ro_pop(r, UINT64_MAX), 1);
	ro_push(r, 5, 3);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 3);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 2);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 0);
	cr_expect_eq(ro_pop(r, UINT64_MAX), -1);
	reorder_free(r);
}

Test(reorder, record_larger_than_a_slot_is_refused)
{
	struct reorder *r = ro_new(16, 4);
	uint8_t big[17], fit[16];
	const uint8_t *p;
	size_t len = 0;

	memset(big, 0xab, sizeof(big));
	memset(fit, 0xcd, sizeof(fit));
	cr_expect_eq(reorder_push(r, 1, big, sizeof(big)), -1);
	cr_expect_eq(reorder_count(r), 0);
	cr_expect_eq(reorder_push(r, 1, fit, sizeof(fit)), 0);
	cr_expect_eq(reorder_push(r, 2, fit, 0), 0, "an empty record fits");
	p = reorder_pop(r, UINT64_MAX, &len);
	cr_assert_not_null(p);
	cr_expect_eq(len, 16);
	cr_expect_arr_eq(p, fit, 16);
	p = reorder_pop(r, UINT64_MAX, &len);
	cr_assert_not_null(p);
	cr_expect_eq(len, 0);
	reorder_free(r);
}

Test(reorder, popped_bytes_are_intact_and_sizes_vary)
{
	enum { SLOT = 300 };
	struct reorder *r = ro_new(SLOT, 8);
	uint8_t buf[SLOT];

	/* record i: length 37 * i + 1, bytes (i * 31 + j) & 0xff, key 8 - i */
	for (uint32_t i = 0; i < 8; i++) {
		size_t n = 37 * i + 1;

		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)(i * 31 + j);
		cr_assert_eq(reorder_push(r, 8 - i, buf, n), 0);
	}
	for (uint32_t k = 0; k < 8; k++) {
		uint32_t i = 7 - k;
		size_t len = 0;
		const uint8_t *p = reorder_pop(r, UINT64_MAX, &len);

		cr_assert_not_null(p);
		cr_assert_eq(len, 37 * i + 1);
		for (size_t j = 0; j < len; j++)
			cr_assert_eq(p[j], (uint8_t)(i * 31 + j), "record %u byte %zu", i, j);
	}
	reorder_free(r);
}

/* The popped record stays readable until the next call, even when that
 * call is a push that reuses slots. */
Test(reorder, popped_pointer_valid_until_next_call)
{
	struct reorder *r = ro_new(sizeof(struct ro_rec), 1);
	const struct ro_rec *p;
	struct ro_rec copy;
	size_t len;

	ro_push(r, 1, 0x11);
	p = reorder_pop(r, UINT64_MAX, &len);
	cr_assert_not_null(p);
	copy = *p;
	cr_expect_eq(copy.id, 0x11);
	/* a window of one slot: the popped slot is free again for the push */
	ro_push(r, 2, 0x22);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 0x22);
	reorder_free(r);
}

Test(reorder, new_rejects_zero_slots)
{
	cr_expect_null(reorder_new(64, 0, 0, 0));
	reorder_free(NULL);
}

/* ---- reorder_event_key --------------------------------------------------- */

static struct zt_event ro_event(uint16_t type, uint8_t dir)
{
	struct zt_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.dir = dir;
	e.ts_enter_ns = 1000;
	e.ts_exit_ns = 2000;
	return e;
}

Test(reorder, event_key_by_record_type)
{
	struct zt_event e;

	e = ro_event(ZT_EV_DATA, ZT_DIR_INGRESS);
	cr_expect_eq(reorder_event_key(&e, sizeof(e)), 2000, "a read sees bytes when it returns");
	e = ro_event(ZT_EV_DATA, ZT_DIR_EGRESS);
	cr_expect_eq(reorder_event_key(&e, sizeof(e)), 1000, "a write sends when it is called");
	e = ro_event(ZT_EV_CLOSE, 0);
	cr_expect_eq(reorder_event_key(&e, sizeof(e)), 1000);
	e = ro_event(ZT_EV_CONNECT, 0);
	cr_expect_eq(reorder_event_key(&e, sizeof(e)), 2000);
	e = ro_event(ZT_EV_ACCEPT, 0);
	cr_expect_eq(reorder_event_key(&e, sizeof(e)), 2000);
}

Test(reorder, event_key_with_payload_and_short_records)
{
	uint8_t buf[sizeof(struct zt_event) + 8];
	struct zt_event e = ro_event(ZT_EV_DATA, ZT_DIR_INGRESS);

	e.cap_len = 8;
	memcpy(buf, &e, sizeof(e));
	memset(buf + sizeof(e), 'x', 8);
	cr_expect_eq(reorder_event_key(buf, sizeof(buf)), 2000);
	cr_expect_eq(reorder_event_key(buf, sizeof(e) - 1), 0, "short: released at once");
	cr_expect_eq(reorder_event_key(buf, 0), 0);
}

/* The daemon's use: the server's read returned after the client's write was
 * issued, though the ring buffer delivered it first. */
Test(reorder, client_write_leaves_before_the_server_read)
{
	struct reorder *r = ro_new(sizeof(struct zt_event), 4);
	struct zt_event srv_read = ro_event(ZT_EV_DATA, ZT_DIR_INGRESS);
	struct zt_event cli_write = ro_event(ZT_EV_DATA, ZT_DIR_EGRESS);
	const struct zt_event *p;
	size_t len;

	srv_read.ts_enter_ns = 900; /* blocked in read before the write */
	srv_read.ts_exit_ns = 1600;
	srv_read.pid = 2;
	cli_write.ts_enter_ns = 1500;
	cli_write.ts_exit_ns = 1700;
	cli_write.pid = 1;
	cr_assert_eq(reorder_push(r, reorder_event_key(&srv_read, sizeof(srv_read)), &srv_read,
				  sizeof(srv_read)), 0);
	cr_assert_eq(reorder_push(r, reorder_event_key(&cli_write, sizeof(cli_write)), &cli_write,
				  sizeof(cli_write)), 0);
	p = reorder_pop(r, UINT64_MAX, &len);
	cr_assert_not_null(p);
	cr_expect_eq(p->pid, 1);
	p = reorder_pop(r, UINT64_MAX, &len);
	cr_assert_not_null(p);
	cr_expect_eq(p->pid, 2);
	reorder_free(r);
}

/* Two sizes of slots: a record takes the smallest it fits; when the slots
 * of its size are all taken, it is refused even if small ones are free. */
Test(reorder, big_records_have_slots_of_their_own)
{
	struct reorder *r = reorder_new(32, 2, 256, 1);
	uint8_t big[200], small[32];
	const uint8_t *got;
	size_t len;

	cr_assert_not_null(r);
	memset(big, 0xb, sizeof(big));
	memset(small, 0x5, sizeof(small));
	cr_expect_eq(reorder_push(r, 30, big, sizeof(big)), 0);
	cr_expect_eq(reorder_push(r, 20, big, sizeof(big)), -1);
	cr_expect_eq(reorder_push(r, 10, small, sizeof(small)), 0);
	cr_expect_eq(reorder_push(r, 40, small, 1), 0);
	cr_expect_eq(reorder_push(r, 50, small, 1), -1);
	cr_expect_eq(reorder_push(r, 60, big, 257), -1);
	cr_expect_eq(reorder_count(r), 3);
	/* still released in key order across the classes */
	got = reorder_pop(r, UINT64_MAX, &len);
	cr_expect_eq(len, sizeof(small));
	cr_expect_eq(got[0], 0x5);
	got = reorder_pop(r, UINT64_MAX, &len);
	cr_expect_eq(len, sizeof(big));
	cr_expect_eq(memcmp(got, big, sizeof(big)), 0);
	/* the big slot is free again once the next call comes */
	cr_expect_eq(reorder_push(r, 70, big, sizeof(big)), 0);
	got = reorder_pop(r, UINT64_MAX, &len);
	cr_expect_eq(len, 1);
	got = reorder_pop(r, UINT64_MAX, &len);
	cr_expect_eq(len, sizeof(big));
	cr_expect_null(reorder_pop(r, UINT64_MAX, &len));
	reorder_free(r);
}

Test(reorder, big_slots_smaller_than_small_ones_are_refused)
{
	cr_expect_null(reorder_new(64, 4, 32, 1));
}

/* Records far behind the run's end (more than its few insertion steps)
 * go to the outliers; the two merge in order, ties by arrival across
 * them. */
Test(reorder, outliers_merge_with_the_run)
{
	struct reorder *r = ro_new(sizeof(struct ro_rec), 64);
	uint32_t id = 0;

	for (uint64_t k = 100; k < 120; k++)
		ro_push(r, k * 10, id++);              /* ids 0..19: keys 1000..1190 */
	ro_push(r, 1000, id++);                        /* 20: ties key of id 0, far back */
	ro_push(r, 5, id++);                           /* 21: before everything */
	ro_push(r, 1185, id++);                        /* 22: one step back, into the run */
	ro_push(r, 1100, id++);                        /* 23: ties id 10, nine steps back */
	cr_expect_eq(reorder_count(r), 24);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 21);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 0);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 20);
	for (uint32_t i = 1; i <= 10; i++)
		cr_expect_eq(ro_pop(r, UINT64_MAX), i, "key %u", 1000 + 10 * i);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 23);
	for (uint32_t i = 11; i <= 18; i++)
		cr_expect_eq(ro_pop(r, UINT64_MAX), i, "key %u", 1000 + 10 * i);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 22);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 19);
	cr_expect_eq(ro_pop(r, UINT64_MAX), -1);
	cr_expect_eq(reorder_count(r), 0);
	reorder_free(r);
}

/* The run is circular: thousands of pushes and pops through four slots
 * keep their order as it wraps, with an insertion across the wrap. */
Test(reorder, run_wraps_around)
{
	struct reorder *r = ro_new(sizeof(struct ro_rec), 4);
	uint64_t key = 10;

	for (uint32_t i = 0; i < 1000; i++) {
		ro_push(r, key + 2, 2 * i);
		ro_push(r, key + 1, 2 * i + 1); /* one step back */
		cr_expect_eq(ro_pop(r, UINT64_MAX), 2 * i + 1, "round %u", i);
		cr_expect_eq(ro_pop(r, key + 3), 2 * i, "round %u", i);
		cr_expect_eq(ro_pop(r, UINT64_MAX), -1);
		key += 3;
	}
	ro_push(r, 1, 7);
	ro_push(r, 2, 8);
	ro_push(r, 3, 9);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 7);
	ro_push(r, 0, 10);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 10);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 8);
	cr_expect_eq(ro_pop(r, UINT64_MAX), 9);
	reorder_free(r);
}

/* How many records of each class a window of this length takes. */
static uint32_t ro_fill(struct reorder *r, size_t len)
{
	static uint8_t rec[sizeof(struct zt_event) + ZT_CAPTURE_MAX];
	uint32_t n = 0;

	while (reorder_push(r, n, rec, len) == 0)
		n++;
	return n;
}

/* The window's memory follows its length (64 MiB at 50 ms, 4 MiB at
 * least), half for records of a header and capture_bytes, half for whole
 * ZT_CAPTURE_MAX records. */
Test(reorder, window_memory_follows_its_length)
{
	static const uint64_t ms[] = { 1, 5, 50 };
	const size_t small = sizeof(struct zt_event) + 512;
	const size_t big = sizeof(struct zt_event) + ZT_CAPTURE_MAX;

	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		uint64_t memory = ms[i] * ((64ull << 20) / 50);
		struct reorder *r = reorder_new_window(512, ms[i] * 1000000);

		if (memory < (4ull << 20))
			memory = 4ull << 20;
		cr_assert_not_null(r);
		cr_expect_eq(ro_fill(r, small), memory / 2 / small, "%llu ms", (unsigned long long)ms[i]);
		cr_expect_eq(ro_fill(r, big), memory / 2 / big, "%llu ms", (unsigned long long)ms[i]);
		reorder_free(r);
	}
}
