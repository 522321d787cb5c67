/* SPDX-License-Identifier: MIT */
/* The span sink for stdout: JSON lines or readable lines, fully buffered. */
#ifndef ZT_OUTPUT_H
#define ZT_OUTPUT_H

#include <stdint.h>
#include <stdio.h>
#include "config.h"
#include "span.h"

struct output {
	FILE *out;
	enum zt_output mode;  /* JSONL or PRETTY, resolved from AUTO */
	uint64_t written;
	uint64_t dropped;     /* lines that did not fit the line buffer or failed to write */
};

void output_init(struct output *o, FILE *out, enum zt_output mode);
void output_span(void *ctx, const struct span *s);
void output_flush(struct output *o);

#endif /* ZT_OUTPUT_H */
