/* SPDX-License-Identifier: MIT */
/*
 * The event pipeline: ring-buffer records in, finished spans out. Owns the
 * connection table; finds each connection's protocol and feeds its module
 * (through user/proto/proto.h only); hands each span to a sink.
 */
#ifndef ZT_TRACER_H
#define ZT_TRACER_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "proto.h"
#include "log_record.h"
#include "span.h"
#include "helper_links.h"
#include "proto_states.h"
#include "stitch.h"

typedef void (*span_sink_fn)(void *ctx, const struct span *s);

/* What became of a --logs write: linked to the one request its thread
 * (or the helper) named; a record under no request; a record under
 * several (an event loop without --node-helper); not exactly one line
 * (no record); longer than the 4 KiB copy (a record linked to nothing:
 * a line end may hide in what was not copied). */
enum tracer_log_outcome {
	TRACER_LOG_LINKED = 0,
	TRACER_LOG_NO_REQUEST,
	TRACER_LOG_AMBIGUOUS,
	TRACER_LOG_NOT_ONE_LINE,
	TRACER_LOG_TOO_LONG,
	TRACER_LOG_OUTCOMES,
};
extern const char *const tracer_log_outcome_names[TRACER_LOG_OUTCOMES];
/* --logs: a line a traced thread wrote (r is valid during the call; the
 * sink stamps r->observed_unix_ns). */
typedef void (*log_sink_fn)(void *ctx, struct log_record *r);

struct tracer_stats {
	uint64_t events;          /* records received */
	uint64_t bad_events;      /* malformed records (size/length mismatch) */
	uint64_t spans;
	uint64_t parse_misses;    /* every protocol's, summed */
	uint64_t pipeline_drops;  /* requests dropped: too many in flight */
	uint64_t unsniffed;       /* data records from before the kernel named the protocol */
	uint64_t state_alloc_failures; /* a protocol's state could not be allocated: not parsed */
	uint64_t role_unknown;    /* data on a connection whose side stayed unknown */
	uint64_t attr_overflows;  /* spans that lost attributes: the list or its text was full */
	uint64_t inject_skipped;  /* client requests of a protocol --inject-traceparent cannot write into */
	uint64_t record_gaps;     /* a syscall's records arrived with one missing: parsed as a gap */
	uint64_t tls_conn_resets; /* connections that turned TLS after plaintext (an SSLRequest) */
	uint64_t proto_upgrades;  /* connections that changed protocol (HTTP/1.1 to h2c) */
	uint64_t conns_opened;
	uint64_t conns_evicted;   /* full table or idle */
	/* connections whose unanswered requests could not be timed (the list
	 * of them was full): they end with the connection instead */
	uint64_t timed_full;
	uint64_t connect_failures;
	uint64_t continuations;   /* data records that carried no payload */
	uint64_t payload_bytes;   /* payload bytes received from the kernel */
	uint64_t proto_misses[ZT_PROTO_COUNT]; /* parse misses by enum zt_proto */
	uint64_t proto_spans[ZT_PROTO_COUNT];
	uint64_t proto_notes[ZT_PROTO_COUNT][PROTO_NOTE_COUNT];
	uint64_t logs[TRACER_LOG_OUTCOMES]; /* --logs: writes by outcome */
	struct stitch_stats stitch;
	struct helper_links_stats helpers;
	struct proto_states_stats states; /* protocol states taken, reused, spare */
};

struct tracer;

struct tracer *tracer_new(const struct zt_config *cfg, span_sink_fn sink, void *sink_ctx);
void tracer_free(struct tracer *t);
/* Asked once per connection: does process pid run goroutines? The kernel
 * names goroutines only once user space has told it (a new Go program's
 * first records name threads, which say nothing there). */
typedef int (*tracer_runs_goroutines_fn)(void *ctx, uint32_t pid);
/* Where ZT_EV_LOG records go; without one they are ignored. */
void tracer_set_log_sink(struct tracer *t, log_sink_fn sink, void *ctx);
void tracer_set_goroutine_lookup(struct tracer *t, tracer_runs_goroutines_fn fn, void *ctx);
/* Adds a port known to be listening (from /proc/net/tcp* or an accept). */
void tracer_add_listen_port(struct tracer *t, uint16_t port);
/* One ring-buffer record. Returns 0 (malformed input is counted, not fatal). */
int tracer_handle_event(struct tracer *t, const void *data, size_t size);
/* Periodic work: idle eviction, unanswered requests' timeouts, and the
 * wall-clock offset. */
void tracer_tick(struct tracer *t, uint64_t now_mono_ns, int64_t mono_to_unix_ns);
void tracer_get_stats(const struct tracer *t, struct tracer_stats *out);
uint64_t tracer_conns_tracked(const struct tracer *t);
/* The ratio new traces are sampled with (1 when no ratio was set). */
double tracer_sample_ratio(const struct tracer *t);
/* Load feedback: the ratio for the traces that start from now on. */
void tracer_set_sample_ratio(struct tracer *t, double ratio);
/* The threshold the kernel's injected flag uses: 0 (every trace) while no
 * ratio is in force. */
uint64_t tracer_sample_threshold(const struct tracer *t);
/* Whether a wire context's sampled flag is followed now. */
int tracer_sample_follows_parent(const struct tracer *t);

#endif /* ZT_TRACER_H */
