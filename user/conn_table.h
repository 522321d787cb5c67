/* SPDX-License-Identifier: MIT */
/*
 * Bounded table of the connections the agent follows, keyed by the kernel's
 * conn_id. Slots are preallocated; a full table evicts its least recently
 * used entry and counts it, idle entries are swept, closed ones freed.
 */
#ifndef ZT_CONN_TABLE_H
#define ZT_CONN_TABLE_H

#include <stdint.h>
#include "events.h"
#include "proto.h"
#include "stitch.h"

/* How a connection knows where a direction's stream stands. */
enum conn_stream {
	CONN_STREAM_UNKNOWN = 0,
	/* from the other direction's record: a record of this one that ended
	 * before it may still come (the ring buffer orders CPUs loosely) */
	CONN_STREAM_PEER,
	CONN_STREAM_FED,          /* from this direction's own last record */
};

/* What the tracer decided when a request's head arrived, kept until its
 * exchange completes: the thread that moved it and the span's ids. */
struct conn_request {
	uint32_t key;  /* the protocol's request key (never 0); 0 = empty */
	uint32_t pid;  /* a forked child may serve what its parent accepted */
	uint32_t tid;
	uint8_t w3c;   /* the context came from a valid traceparent */
	uint32_t stream; /* proto_request.stream */
	struct stitch_task task; /* what moved it, as the stitcher keys it */
	struct stitch_ids ids;
};

struct conn {
	uint64_t conn_id;        /* 0: free slot */
	uint64_t last_seen_ns;   /* CLOCK_MONOTONIC of the newest event */
	uint32_t pid;
	uint32_t first_tid;
	int32_t fd;              /* the newest fd a data record named; -1 before */
	uint8_t role;            /* enum zt_role; UNKNOWN until resolved */
	uint8_t goroutines;      /* its process runs goroutines: a thread names no task */
	uint8_t run_dir;         /* direction of the newest record; 0xff before the first */
	struct stitch_task run_task; /* what moved the first record of that direction's run */
	char comm[ZT_COMM_LEN];
	struct zt_conn_tuple tuple;
	/* the tuple's addresses as spans show them, formatted once */
	char local_addr[SPAN_ADDR_MAX];
	char remote_addr[SPAN_ADDR_MAX];
	/* where each direction's stream stands (zt_event.stream_pos): the
	 * next record should start there; enum conn_stream says how sure */
	uint32_t stream_next[2];
	uint8_t stream_known[2];
	const struct proto *proto; /* NULL until the kernel names its protocol */
	uint8_t tls;             /* records carry the plaintext of TLS calls (ZT_F_TLS) */
	uint8_t tls_minor;       /* zt_event.tls_minor of the newest such record */
	uint8_t kernel_ids_valid;
	struct stitch_ids kernel_ids; /* the kernel's ids for the request being read */
	/* requests in flight, by key % PROTO_INFLIGHT_MAX: a block of the
	 * table's pool, held only while one is (an idle connection costs
	 * none of it); NULL when none */
	struct conn_request *reqs;
	uint8_t reqs_live;       /* slots of reqs whose key is set */
	/* the protocol's state (proto->state_size bytes), taken when the
	 * protocol is known: a slot costs only what its protocol needs; NULL
	 * while parked (proto->park), its carry in proto_carry */
	void *state;
	uint64_t proto_carry;
	/* LRU list links (slot indexes, UINT32_MAX for none) */
	uint32_t lru_prev, lru_next;
};

struct conn_table_stats {
	uint64_t tracked;        /* entries in use now */
	uint64_t evicted_full;   /* evicted because the table was full */
	uint64_t evicted_idle;   /* evicted by the idle sweep */
};

struct conn_table;

struct conn_table *conn_table_new(uint32_t max_conns);
void conn_table_free(struct conn_table *t);
struct conn *conn_table_lookup(struct conn_table *t, uint64_t conn_id);
/* Returns the entry for conn_id, creating it (fresh, *created = 1) when
 * absent; evicts the least recently used entry when full (through
 * evict_cb, so its pending exchanges can still be reported). */
struct conn *conn_table_upsert(struct conn_table *t, uint64_t conn_id, uint64_t now_ns,
			       int *created, void (*evict_cb)(void *, struct conn *), void *ctx);
/* Frees c's slot and its protocol state. */
void conn_table_remove(struct conn_table *t, struct conn *c);
/* Evicts entries not seen since before `older_than_ns`; returns how many. */
uint32_t conn_table_sweep_idle(struct conn_table *t, uint64_t older_than_ns,
			       void (*evict_cb)(void *, struct conn *), void *ctx);
void conn_table_get_stats(const struct conn_table *t, struct conn_table_stats *out);

/* The slot for request key (overwriting what was there), and its lookup. */
struct conn_request *conn_request_slot(struct conn_table *t, struct conn *c, uint32_t key);
const struct conn_request *conn_request_find(const struct conn *c, uint32_t key);
/* The live request in key's slot, whatever its key (a lap older), or NULL. */
const struct conn_request *conn_request_occupant(const struct conn *c, uint32_t key);
/* The one request in flight, or NULL when there are none or several. */
const struct conn_request *conn_request_sole(const struct conn *c);
/* The request's span ended: its slot is free. */
void conn_request_done(struct conn_table *t, struct conn *c, uint32_t key);

#endif /* ZT_CONN_TABLE_H */
