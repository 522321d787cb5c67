/* SPDX-License-Identifier: MIT */
/*
 * The trace stitcher: gives each span its trace id and parent when its
 * request starts, by the rules of DESIGN.md in order of strength:
 *  1. a context already on the wire (traceparent / B3) is adopted;
 *  2. on one node, the CLIENT span of a connection is the parent of the
 *     SERVER span of the process that accepted it;
 *  3. a CLIENT call made by a task serving exactly one request is a child
 *     of that request's SERVER span. A task is what the kernel says moved
 *     the bytes: a thread, or in a Go program a goroutine, which may have
 *     been handed its request by another (struct stitch_task). A call from
 *     a task that serves no request (a pool's worker, a client's own I/O
 *     thread or goroutine) is a child of the one request its process
 *     serves, when it serves exactly one and that one began first.
 * Otherwise a span starts a new trace: no rule, no parent. Pure and bounded:
 * both tables have fixed capacity and count what they drop.
 */
#ifndef ZT_STITCH_H
#define ZT_STITCH_H

#include <stdint.h>
#include "propagation.h"
#include "sampler.h"

/* Client requests in flight on one connection that rule 2 can join:
 * as many as a protocol pipelines (Redis -P 16, say). */
#define STITCH_CONN_QUEUE 32
/* Threads remembered as event loops (stitch_task_serving). */
#define STITCH_EVENT_LOOPS 4096

enum stitch_rule {
	STITCH_NEW_TRACE = 0,
	STITCH_WIRE = 1,       /* rule 1 */
	STITCH_CONNECTION = 2, /* rule 2 */
	STITCH_THREAD = 3,     /* rule 3 */
	STITCH_KERNEL = 4,     /* ids the kernel wrote on the wire (--inject-traceparent) */
};

struct stitch_ids {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_id[8];
	uint8_t has_parent;
	uint8_t rule;          /* enum stitch_rule */
	struct sample_decision sample; /* the trace's, made where it began here */
};

/* Both ends of a TCP connection name it the same way: addresses as 16
 * bytes (IPv4 v4-mapped), the client's end first. */
struct stitch_conn_key {
	uint8_t client_addr[16];
	uint8_t server_addr[16];
	uint16_t client_port;
	uint16_t server_port;
	uint32_t stream; /* a multiplexed protocol's stream (HTTP/2); 0: requests in order */
};

/* Who moved a request's bytes (zt_event.task, task_kind, handoff_ns). */
struct stitch_task {
	uint64_t id;         /* the thread id, or the goroutine */
	uint64_t handoff_ns; /* CLIENT: the task was handed the context then; 0: its own */
	uint64_t start_ns;   /* when the request's first byte arrived (SERVER) or left (CLIENT) */
	uint8_t kind;        /* enum zt_task_kind */
};

/* Rule 3 by task: a thread, a goroutine serving its own request, a
 * goroutine handed one, and a goroutine nobody could name; and, links only
 * (a call they placed counts there, not under its task), the process as a
 * whole when it serves exactly one request, and a runtime's helper. */
enum stitch_task_class {
	STITCH_TASK_THREAD = 0,
	STITCH_TASK_GOROUTINE,
	STITCH_TASK_HANDOFF,
	STITCH_TASK_UNKNOWN,
	STITCH_TASK_PROCESS,
	STITCH_TASK_HELPER,
	STITCH_TASK_CLASSES,
};
extern const char *const stitch_task_class_names[STITCH_TASK_CLASSES];

struct stitch_stats {
	uint64_t by_rule[5];        /* spans per enum stitch_rule */
	uint64_t ambiguous_thread;  /* a client call on a task with >1 request in flight */
	/* client calls linked by rule 3, and left without a parent, per task
	 * class (a call another rule placed is in neither) */
	uint64_t task_links[STITCH_TASK_CLASSES];
	uint64_t task_unlinked[STITCH_TASK_CLASSES];
	/* a call from a task serving no request, in a process serving several:
	 * handed over from one of them, but which one is not known */
	uint64_t ambiguous_handoff;
	/* a handed-over context older than the one request its task now serves */
	uint64_t stale_handoff;
	uint64_t conn_table_drops;  /* client starts evicted before a server joined them */
	uint64_t unanswered_unjoined; /* client requests no server read: expired, or
				       * still queued when the server's end closed */
	uint64_t thread_table_drops;
	uint64_t process_table_drops;
	uint64_t bad_wire_context;  /* malformed or duplicated traceparent / B3 */
	/* an event-loop thread forgotten for another in its slot: its lines
	 * may be linked by the thread rule again */
	uint64_t event_loops_evicted;
};

struct stitch;

struct stitch *stitch_new(uint32_t max_conns, uint32_t max_threads);
void stitch_free(struct stitch *s);
/* Who decides a trace's sampling where it begins on this node (a new
 * trace, a context off the wire); NULL (the default) keeps every trace
 * and follows a wire context's flag. Not owned; it outlives s. */
void stitch_set_sampler(struct stitch *s, const struct sampler *sampler);

/* A SERVER request head arrived on task (pid, task). `wire` is the context
 * its headers carried (NULL when none or invalid). `kernel` is set when the
 * kernel already chose this span's ids (they are then used as they are). */
void stitch_server_start(struct stitch *s, const struct stitch_conn_key *key, uint32_t pid,
			 const struct stitch_task *task, const struct trace_context *wire,
			 const struct stitch_ids *kernel, struct stitch_ids *out);
/* The SERVER span ended (its response was sent, or the connection ended);
 * task: the one its start named. */
void stitch_server_end(struct stitch *s, uint32_t pid, const struct stitch_task *task,
		       const uint8_t span_id[8]);

/* A helper's word that a call serves no request (a timer's): as `helper`
 * below, the call gets no parent by any in-process rule. */
extern const struct stitch_ids stitch_helper_none;

/* A CLIENT request head was sent by task (pid, task). `wire`: a context its
 * own headers carried; `kernel`: the ids injected on the wire, if any;
 * `helper`: the SERVER span a runtime's helper (--node-helper) named as the
 * request this call serves, which beats every guess, or
 * &stitch_helper_none. */
void stitch_client_start(struct stitch *s, const struct stitch_conn_key *key, uint32_t pid,
			 const struct stitch_task *task, const struct trace_context *wire,
			 const struct stitch_ids *kernel, const struct stitch_ids *helper,
			 struct stitch_ids *out);
/* The CLIENT span ended: a server that never joined it no longer can. */
void stitch_client_end(struct stitch *s, const struct stitch_conn_key *key,
		       const uint8_t span_id[8]);
/* The client closed before any answer (at now_ns): its server may not have
 * read the request yet (a timed-out client behind a slow accept queue), so
 * rule 2 still joins it, until the address pair carries a new request, the
 * server's end closes, or stitch_expire_unanswered() runs past it. */
void stitch_client_unanswered(struct stitch *s, const struct stitch_conn_key *key,
			      const uint8_t span_id[8], uint64_t now_ns);
/* Forgets unanswered requests whose client closed before closed_before_ns
 * (counted in unanswered_unjoined): their server is on another node or never
 * read them. One pass over the table, only while there are any. */
void stitch_expire_unanswered(struct stitch *s, uint64_t closed_before_ns);
/* The server's end of the connection closed: no request still queued on it
 * will be read. */
void stitch_server_closed(struct stitch *s, const struct stitch_conn_key *key);

/* What a task serves now (--logs: the request a log line it wrote belongs
 * to), changing nothing: NONE, or ONE with that request's SERVER span in
 * *out (its trace, span and sampling), or SEVERAL (an event loop's
 * requests, one the table could not keep, or a thread once seen serving
 * two at once, whatever it serves now): a line then names none. */
enum stitch_serving {
	STITCH_SERVES_NONE = 0,
	STITCH_SERVES_ONE = 1,
	STITCH_SERVES_SEVERAL = 2,
};
enum stitch_serving stitch_task_serving(struct stitch *s, uint32_t pid,
					const struct stitch_task *task, struct stitch_ids *out);

void stitch_count_bad_wire(struct stitch *s);
void stitch_get_stats(const struct stitch *s, struct stitch_stats *out);

/* The key for a connection seen from one end (role: ZT_ROLE_*). */
void stitch_conn_key_from_tuple(struct stitch_conn_key *key, uint8_t role, uint16_t family,
				const uint8_t local[16], uint16_t local_port,
				const uint8_t remote[16], uint16_t remote_port);

#endif /* ZT_STITCH_H */
