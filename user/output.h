/* SPDX-License-Identifier: MIT */
/* The span and log sink for stdout: JSON lines or readable lines, fully
 * buffered. */
#ifndef ZT_OUTPUT_H
#define ZT_OUTPUT_H

#include <stdint.h>
#include <stdio.h>
#include "config.h"
#include "procinfo.h"
#include "log_record.h"
#include "span.h"

struct trace_tree;

struct output {
	FILE *out;
	enum zt_output mode;  /* JSONL or PRETTY, resolved from AUTO */
	struct trace_tree *tree; /* PRETTY: traces wait here until whole */
	uint64_t now_ns;      /* CLOCK_MONOTONIC as of the last flush */
	uint64_t written;
	uint64_t dropped;     /* lines that did not fit the line buffer or failed to write */
};

/* Returns 0, or -1 when the pretty mode's trace buffer cannot be allocated. */
int output_init(struct output *o, FILE *out, enum zt_output mode);
/* res: the span's process resource (NULL: none in the JSON line). */
void output_span(struct output *o, const struct span *s, const struct procinfo *res);
/* A log record's JSON line (--logs); nothing in the readable mode. */
void output_log(struct output *o, const struct log_record *r);
/* Writes what is due (complete traces in pretty mode) and flushes. */
void output_flush(struct output *o, uint64_t now_ns);
/* Writes everything still held, then frees. */
void output_close(struct output *o);

#endif /* ZT_OUTPUT_H */
