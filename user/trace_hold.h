/* SPDX-License-Identifier: MIT */
/*
 * Keeping what is interesting of the traces the sampler dropped: the spans
 * of a sampled-out trace wait here until the trace shows an error span
 * (--sample-keep-errors) or a span longer than a limit (--sample-keep-slow),
 * and then go out with the rest of the trace as it ends; or until its head
 * span (the one that decided, user/sampler.h) ends without either, or a
 * timeout passes, and then they are dropped as sampled out. Spans of a kept
 * trace pass through at once: only a trace that turns out interesting waits,
 * and only until it does.
 *
 * Bounded: a pool of spans and a table of traces, both allocated at start.
 * When the pool is full the oldest held trace is given up (sampled out,
 * counted in full_drops). No I/O, no clock of its own: the caller gives
 * the time.
 */
#ifndef ZT_TRACE_HOLD_H
#define ZT_TRACE_HOLD_H

#include <stdint.h>

#include "span.h"

struct trace_hold_config {
	uint32_t max_spans;   /* spans held at once (and traces) */
	uint64_t timeout_ns;  /* a trace whose head never ends here is dropped after this */
	uint8_t keep_errors;  /* an error span keeps its trace */
	uint64_t keep_slow_ns; /* a span at least this long keeps its trace; 0: off */
};

struct trace_hold_stats {
	uint64_t held;        /* spans that waited here */
	uint64_t traces_kept; /* traces an error or a slow span kept */
	uint64_t expired;     /* traces dropped at the timeout */
	uint64_t full_drops;  /* traces given up because the pool was full */
	uint32_t spans_now;   /* spans waiting now */
};

/* Where a span goes: out (exported, with the reason it is kept: the
 * sampler's, or SAMPLE_ERROR / SAMPLE_SLOW) or dropped (sampled out, with
 * its sampler's reason). */
typedef void (*trace_hold_fn)(void *ctx, const struct span *s, int exported, uint8_t reason);

struct trace_hold;

/* NULL when out of memory. */
struct trace_hold *trace_hold_new(const struct trace_hold_config *cfg, trace_hold_fn out,
				  void *ctx);
void trace_hold_free(struct trace_hold *h);

/* A finished span of a sampled-out trace (s->sampled == 0): held, or
 * given to out with its trace. */
void trace_hold_span(struct trace_hold *h, const struct span *s, uint64_t now_ns);
/* Drops the traces held since before now_ns - timeout. */
void trace_hold_expire(struct trace_hold *h, uint64_t now_ns);
/* Drops everything still held (at the agent's stop). */
void trace_hold_drain(struct trace_hold *h);
void trace_hold_get_stats(const struct trace_hold *h, struct trace_hold_stats *out);

#endif /* ZT_TRACE_HOLD_H */
