/* SPDX-License-Identifier: MIT */
/*
 * The consumer side of the per-CPU BPF ring buffers, read through their
 * own mappings and merged by time: each record is handed on in the order
 * of its key among the rings' next records, so the reorder window gets
 * them nearly sorted (it would take each CPU's batch after another's as
 * late records). A ring's consumer position is stored once a batch (and
 * every RING_READER_RELEASE_BYTES), not after every record as libbpf's
 * reader does: fewer writes to a line the producer reads on each reserve
 * (on this 2-CPU machine no difference showed either way).
 */
#ifndef ZT_RING_READER_H
#define ZT_RING_READER_H

#include <stddef.h>
#include <stdint.h>

/* Consumed bytes after which a ring's position is published mid-batch,
 * so a long batch frees space to its producer as it goes. */
#define RING_READER_RELEASE_BYTES (256 * 1024)

/* Called with each record; a negative return stops the batch (the record
 * counts as consumed). */
typedef int (*ring_reader_fn)(void *ctx, void *data, size_t size);
/* The order records are merged in (reorder_event_key). */
typedef uint64_t (*ring_reader_key_fn)(const void *data, size_t size);

/* One ring as the kernel lays it out: a consumer page, then the producer
 * page and the data, mapped twice in a row so a record never wraps. */
struct ring_view {
	unsigned long *consumer_pos;
	const unsigned long *producer_pos;
	const unsigned char *data;
	unsigned long mask;
	/* reader state */
	unsigned long cons, prod, published;
	uint64_t head_key;   /* key of the record at cons, when head_ready */
	int head_ready;
	/* the mappings; NULL for a view over memory a test laid out */
	void *cons_map, *data_map;
	size_t data_map_len;
};

struct ring_reader {
	struct ring_view *rings;
	int n;
	int epoll_fd;
	size_t page_size;
	ring_reader_fn fn;
	ring_reader_key_fn key;
	void *ctx;
};

/* Maps n BPF_MAP_TYPE_RINGBUF maps; 0 or -errno. */
int ring_reader_open(struct ring_reader *r, const int *map_fds, int n, ring_reader_fn fn,
		     ring_reader_key_fn key, void *ctx);
/* Waits up to timeout_ms for a wakeup; 0 or -errno (-EINTR on a signal). */
int ring_reader_wait(struct ring_reader *r, int timeout_ms);
/* Hands on the records committed when it is called, merged by key; the
 * count handed on, or fn's negative return. */
long ring_reader_consume(struct ring_reader *r);
void ring_reader_close(struct ring_reader *r);

#endif
