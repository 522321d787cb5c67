/* SPDX-License-Identifier: MIT */
/*
 * What the tracer's two halves share: tracer.c takes records to
 * connections and their protocol's state, tracer_exchange.c turns what a
 * protocol reports (a request's head, an exchange) into stitched span ids
 * and spans.
 */
#ifndef ZT_TRACER_INTERNAL_H
#define ZT_TRACER_INTERNAL_H

#include "conn_table.h"
#include "events.h"
#include "listen_ports.h"
#include "proto.h"
#include "proto_states.h"
#include "stitch.h"
#include "helper_links.h"
#include "tracer.h"

#define EINPROGRESS_NEG (-115)

_Static_assert(PROTO_INFLIGHT_MAX <= STITCH_CONN_QUEUE, "every pipelined request can be joined");
/* How long a request whose client gave up waits for its server to read it. */
#define TRACER_UNANSWERED_KEEP_NS (10ULL * 1000000000ULL)
/* Connections whose protocol times its requests out (proto.expire) that
 * the tick visits: a resolver's socket, a client's few in-flight lookups. */
#define TRACER_TIMED_MAX 256
/* A request expires this long after its wait ends by the clock: the answer
 * may still be in the reorder window, not yet fed. */
#define TRACER_EXPIRE_SLACK_NS 1000000000ULL
/* Parked states kept for reuse, per protocol: enough for the connections
 * a busy node has mid-message at once; beyond, a burst's states are freed. */
#define TRACER_SPARE_STATES 256

struct tracer {
	struct conn_table *conns;
	struct proto_states *states; /* idle connections' states, for reuse */
	uint8_t rpc_dup;             /* proto_sink.rpc_dup */
	uint8_t inject;              /* --inject-traceparent */
	struct port_set listening;
	span_sink_fn sink;
	void *sink_ctx;
	int64_t mono_to_unix_ns;
	uint64_t idle_timeout_ns;
	struct tracer_stats stats;
	struct stitch *stitch;
	struct sampler sampler;      /* the stitcher's, for each trace's head */
	tracer_runs_goroutines_fn runs_goroutines;
	void *runs_goroutines_ctx;
	struct helper_links *helpers;
	uint64_t timed[TRACER_TIMED_MAX]; /* conn_ids, for proto.expire */
	uint32_t n_timed;
	struct span span; /* reused: no allocation per span */
	log_sink_fn log_sink;        /* --logs */
	uint32_t capture_bytes;      /* a log record's body keeps this much */
	void *log_sink_ctx;
	struct log_record log;       /* reused, as span */
};

/* What the protocol's callbacks need to turn an exchange into a span. */
struct exchange_ctx {
	struct tracer *t;
	struct conn *c;
	const struct zt_event *e; /* the record being fed; NULL at close */
};

/* tracer_log.c: a ZT_EV_LOG record with its cap_len payload bytes p. */
void tracer_log_event(struct tracer *t, const struct zt_event *e, const uint8_t *p);

/* tracer_exchange.c */
/* The server connection a runtime's helper (--node-helper) says writes on
 * (pid, fd) serve, if it is still that process's; *id: what the report
 * named (0: no report; HELPER_LINKS_NO_REQUEST: none). */
const struct conn *tracer_helper_conn(struct tracer *t, uint32_t pid, int32_t fd, uint64_t *id);
/* The sink a protocol reports to for x's connection. */
struct proto_sink tracer_sink_for(struct exchange_ctx *x);
/* The kernel's ids (--inject-traceparent) a record of c carries. */
void tracer_kernel_ids_note(struct conn *c, const struct zt_event *e);
/* The first record of a direction's run names the task that moved it. */
void tracer_run_task_note(struct conn *c, const struct zt_event *e, uint64_t tag);
/* The stitcher's key of c's request r (NULL: the connection's). */
void tracer_conn_key(const struct conn *c, const struct conn_request *r,
		     const struct zt_conn_tuple *peer, struct stitch_conn_key *key);

#endif /* ZT_TRACER_INTERNAL_H */
