/* SPDX-License-Identifier: MIT */
/*
 * --output pretty: buffers finished spans by trace and prints each trace as
 * an indented tree once it is complete (a root has arrived: a span with no
 * parent, or a SERVER span whose parent is elsewhere, and no span has
 * arrived for a short grace period) or once its wait bound expires. Memory is a fixed pool of spans; when it is full the
 * oldest trace is printed early and counted.
 */
#ifndef ZT_TRACE_TREE_H
#define ZT_TRACE_TREE_H

#include <stdint.h>
#include <stdio.h>
#include "span.h"

struct trace_tree_stats {
	uint64_t traces_printed;
	uint64_t traces_forced;    /* printed before complete: wait bound or pool full */
	uint64_t spans_printed;
	uint64_t spans_dropped;    /* could not be buffered at all (never expected) */
};

struct trace_tree;

/* max_spans: pool size; grace_ns: wait after completion for stragglers;
 * wait_ns: longest a trace is held after its first span arrived. */
struct trace_tree *trace_tree_new(uint32_t max_spans, uint64_t grace_ns, uint64_t wait_ns,
				  FILE *out);
void trace_tree_free(struct trace_tree *t);
/* Copies a finished span in; now_ns is CLOCK_MONOTONIC. */
void trace_tree_add(struct trace_tree *t, const struct span *s, uint64_t now_ns);
/* Prints the traces that are complete past their grace, or past their wait. */
void trace_tree_tick(struct trace_tree *t, uint64_t now_ns);
/* Prints everything still buffered (at exit). */
void trace_tree_flush(struct trace_tree *t);
void trace_tree_get_stats(const struct trace_tree *t, struct trace_tree_stats *out);

#endif /* ZT_TRACE_TREE_H */
