// SPDX-License-Identifier: MIT
/*
 * user/ring_reader.c over rings laid out in memory as the kernel lays them
 * out (a header per record, the data mapped twice): records merged by key
 * across rings, discarded ones skipped, a record still being written
 * ending the batch, wrapping, the position published, a call taking
 * what was there when it began. user/event_rings.c: the online CPU list
 * and each ring's share of --ringbuf-size.
 */
#include <criterion/criterion.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>

#include "event_rings.h"
#include "ring_reader.h"

#define FAKE_SIZE 1024u

struct fake_ring {
	unsigned long consumer_pos;
	unsigned long producer_pos;
	unsigned char *data; /* twice the size: the kernel maps the data twice */
	unsigned long mask;
};

struct fake_rec {
	uint64_t key;
	uint32_t id;
};

static void fake_write(struct fake_ring *f, unsigned long pos, const void *src, size_t n)
{
	const unsigned char *b = src;

	for (size_t i = 0; i < n; i++) {
		unsigned long o = (pos + i) & f->mask;

		f->data[o] = f->data[o + f->mask + 1] = b[i];
	}
}

/* Appends a record; flags: BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT.
 * Returns where it starts. */
static unsigned long fake_put(struct fake_ring *f, uint64_t key, uint32_t id, uint32_t flags)
{
	struct fake_rec rec = { .key = key, .id = id };
	uint32_t hdr[2] = { (uint32_t)sizeof(rec) | flags, 0 };
	unsigned long at = f->producer_pos;

	fake_write(f, at, hdr, sizeof(hdr));
	fake_write(f, at + sizeof(hdr), &rec, sizeof(rec));
	f->producer_pos += (sizeof(hdr) + sizeof(rec) + 7) & ~7UL;
	return at;
}

static void fake_commit(struct fake_ring *f, unsigned long at)
{
	uint32_t len = (uint32_t)sizeof(struct fake_rec);

	fake_write(f, at, &len, sizeof(len));
}

static void fake_init(struct fake_ring *f, unsigned char *data, unsigned long size,
		      unsigned long start)
{
	memset(f, 0, sizeof(*f));
	memset(data, 0, 2 * size);
	f->data = data;
	f->mask = size - 1;
	f->consumer_pos = f->producer_pos = start;
}

struct seen {
	uint32_t ids[4096];
	unsigned n;
	int stop_at;          /* return -1 on this call (1-based); 0: never */
	struct fake_ring *grow; /* a producer that adds a record per record read */
	struct fake_ring *watch;
	unsigned long watch_max; /* the highest consumer_pos seen during the batch */
};

static int seen_fn(void *ctx, void *data, size_t size)
{
	struct seen *s = ctx;
	struct fake_rec rec;

	cr_assert_eq(size, sizeof(rec));
	memcpy(&rec, data, sizeof(rec));
	s->ids[s->n++ % 4096] = rec.id;
	if (s->grow)
		fake_put(s->grow, rec.key + 1000, rec.id + 1000, 0);
	if (s->watch && s->watch->consumer_pos > s->watch_max)
		s->watch_max = s->watch->consumer_pos;
	return s->stop_at && (int)s->n == s->stop_at ? -1 : 0;
}

static uint64_t rec_key(const void *data, size_t size)
{
	struct fake_rec rec;

	cr_assert_eq(size, sizeof(rec));
	memcpy(&rec, data, sizeof(rec));
	return rec.key;
}

static struct ring_view views[2];

static void reader_over(struct ring_reader *r, struct fake_ring **f, int n, struct seen *s)
{
	memset(r, 0, sizeof(*r));
	memset(views, 0, sizeof(views));
	r->rings = views;
	r->n = n;
	r->epoll_fd = -1;
	r->fn = seen_fn;
	r->key = rec_key;
	r->ctx = s;
	for (int i = 0; i < n; i++) {
		views[i].consumer_pos = &f[i]->consumer_pos;
		views[i].producer_pos = &f[i]->producer_pos;
		views[i].data = f[i]->data;
		views[i].mask = f[i]->mask;
		views[i].cons = views[i].published = f[i]->consumer_pos;
	}
}

static struct fake_ring ring_a, ring_b;
static unsigned char data_a[2 * FAKE_SIZE], data_b[2 * FAKE_SIZE];

Test(ring_reader, merges_rings_by_key)
{
	struct fake_ring *f[2] = { &ring_a, &ring_b };
	struct ring_reader r;
	struct seen s = { 0 };
	static const uint32_t want[] = { 1, 2, 3, 4, 5, 6 };

	fake_init(&ring_a, data_a, FAKE_SIZE, 0);
	fake_init(&ring_b, data_b, FAKE_SIZE, 0);
	fake_put(&ring_a, 10, 1, 0);
	fake_put(&ring_a, 40, 4, 0);
	fake_put(&ring_a, 50, 5, 0);
	fake_put(&ring_b, 20, 2, 0);
	fake_put(&ring_b, 30, 3, 0);
	fake_put(&ring_b, 60, 6, 0);
	reader_over(&r, f, 2, &s);
	cr_assert_eq(ring_reader_consume(&r), 6);
	cr_assert_eq(s.n, 6);
	cr_assert_arr_eq(s.ids, want, sizeof(want));
	cr_assert_eq(ring_a.consumer_pos, ring_a.producer_pos);
	cr_assert_eq(ring_b.consumer_pos, ring_b.producer_pos);
	cr_assert_eq(ring_reader_consume(&r), 0);
}

Test(ring_reader, skips_discarded_and_stops_at_a_busy_record)
{
	struct fake_ring *f[1] = { &ring_a };
	struct ring_reader r;
	struct seen s = { 0 };
	unsigned long busy;
	static const uint32_t want[] = { 1, 3, 4, 5 };

	fake_init(&ring_a, data_a, FAKE_SIZE, 0);
	fake_put(&ring_a, 1, 1, 0);
	fake_put(&ring_a, 2, 2, BPF_RINGBUF_DISCARD_BIT);
	fake_put(&ring_a, 3, 3, 0);
	busy = fake_put(&ring_a, 4, 4, BPF_RINGBUF_BUSY_BIT);
	fake_put(&ring_a, 5, 5, 0);
	reader_over(&r, f, 1, &s);
	cr_assert_eq(ring_reader_consume(&r), 2);
	cr_assert_eq(ring_a.consumer_pos, busy, "stopped before the busy record: %lu", ring_a.consumer_pos);
	fake_commit(&ring_a, busy);
	cr_assert_eq(ring_reader_consume(&r), 2);
	cr_assert_arr_eq(s.ids, want, sizeof(want));
	cr_assert_eq(ring_a.consumer_pos, ring_a.producer_pos);
}

Test(ring_reader, reads_records_across_the_wrap)
{
	struct fake_ring *f[1] = { &ring_a };
	struct ring_reader r;
	struct seen s = { 0 };
	static const uint32_t want[] = { 7, 8, 9, 10 };

	/* a 64-byte ring holds two 24-byte records; the first one here
	 * straddles the end (its header at 48, its payload past 64) */
	fake_init(&ring_a, data_a, 64, 1000 * 64 + 48);
	fake_put(&ring_a, 7, 7, 0);
	fake_put(&ring_a, 8, 8, 0);
	reader_over(&r, f, 1, &s);
	cr_assert_eq(ring_reader_consume(&r), 2);
	fake_put(&ring_a, 9, 9, 0);
	fake_put(&ring_a, 10, 10, 0);
	cr_assert_eq(ring_reader_consume(&r), 2);
	cr_assert_arr_eq(s.ids, want, sizeof(want));
	cr_assert_eq(ring_a.consumer_pos, 1000 * 64 + 48 + 4 * 24);
}

Test(ring_reader, a_negative_return_ends_the_batch_after_that_record)
{
	struct fake_ring *f[1] = { &ring_a };
	struct ring_reader r;
	struct seen s = { .stop_at = 2 };

	fake_init(&ring_a, data_a, FAKE_SIZE, 0);
	for (uint32_t id = 1; id <= 4; id++)
		fake_put(&ring_a, id, id, 0);
	reader_over(&r, f, 1, &s);
	cr_assert_eq(ring_reader_consume(&r), -1);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(ring_a.consumer_pos, 2 * 24, "the record that failed is consumed");
	s.stop_at = 0;
	cr_assert_eq(ring_reader_consume(&r), 2);
}

Test(ring_reader, a_call_takes_what_was_there_when_it_began)
{
	struct fake_ring *f[1] = { &ring_a };
	struct ring_reader r;
	struct seen s = { .grow = &ring_a };

	/* the callback adds a record for each one it reads, as a producer
	 * that keeps up would */
	fake_init(&ring_a, data_a, FAKE_SIZE, 0);
	fake_put(&ring_a, 1, 1, 0);
	fake_put(&ring_a, 2, 2, 0);
	reader_over(&r, f, 1, &s);
	cr_assert_eq(ring_reader_consume(&r), 2);
	cr_assert_eq(ring_a.consumer_pos, 2 * 24);
	cr_assert_eq(ring_a.producer_pos, 4 * 24);
	cr_assert_eq(ring_reader_consume(&r), 2, "the next call takes what came meanwhile");
	cr_assert_eq(s.ids[2], 1001);
	cr_assert_eq(s.ids[3], 1002);
}

Test(ring_reader, a_long_batch_publishes_its_position_as_it_goes)
{
	static unsigned char big[2 * 1024 * 1024];
	static struct fake_ring big_ring_store;
	struct fake_ring *big_ring = &big_ring_store;
	struct fake_ring *f[1] = { big_ring };
	struct ring_reader r;
	struct seen s = { 0 };
	unsigned long n = 0;

	fake_init(big_ring, big, 1024 * 1024, 0);
	while (big_ring->producer_pos + 24 <= 600 * 1024) {
		fake_put(big_ring, n, (uint32_t)n, 0);
		n++;
	}
	s.watch = big_ring;
	reader_over(&r, f, 1, &s);
	cr_assert_eq(ring_reader_consume(&r), (long)n);
	cr_assert_geq(s.watch_max, RING_READER_RELEASE_BYTES);
	cr_assert_lt(s.watch_max, big_ring->producer_pos);
	cr_assert_eq(big_ring->consumer_pos, big_ring->producer_pos);
}

Test(event_rings, online_cpu_lists)
{
	uint8_t on[8];
	static const uint8_t want[8] = { 1, 0, 1, 1, 0, 1, 0, 0 };

	cr_assert_eq(cpulist_parse("0-1\n", on, 8), 2);
	cr_assert(on[0] && on[1] && !on[2]);
	cr_assert_eq(cpulist_parse("0,2-3,5\n", on, 8), 4);
	cr_assert_arr_eq(on, want, sizeof(want));
	cr_assert_eq(cpulist_parse("0-15", on, 2), 2, "CPUs past the possible ones are left out");
	cr_assert_eq(cpulist_parse("3", on, 8), 1);
	cr_assert_eq(cpulist_parse("", on, 8), 0);
	cr_assert_eq(cpulist_parse("x", on, 8), -1);
	cr_assert_eq(cpulist_parse("3-1", on, 8), -1);
	cr_assert_eq(cpulist_parse("1-", on, 8), -1);
	cr_assert_eq(cpulist_parse("0,,1", on, 8), -1);
	cr_assert_eq(cpulist_parse("-1", on, 8), -1);
	cr_assert_eq(cpulist_parse("0 1", on, 8), -1);
}

Test(event_rings, each_ring_a_power_of_two_share)
{
	cr_assert_eq(event_ring_bytes(16u << 20, 2), 8u << 20);
	cr_assert_eq(event_ring_bytes(16u << 20, 3), 4u << 20);
	cr_assert_eq(event_ring_bytes(16u << 20, 1), 16u << 20);
	cr_assert_eq(event_ring_bytes(64u << 10, 4), EVENT_RING_MIN);
	cr_assert_eq(event_ring_bytes(0, 0), EVENT_RING_MIN);
	cr_assert_eq(event_ring_bytes(4ULL << 30, 1), 1u << 30);
}
