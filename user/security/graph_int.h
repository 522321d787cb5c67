// SPDX-License-Identifier: MIT
/*
 * Internal to the service graph (graph*.c): the text builder shared by
 * rendering and the difference, and the parsed expect file shared by its
 * parser and the comparison.
 */
#ifndef ZT_GRAPH_INT_H
#define ZT_GRAPH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"

struct gr_out {
	char *buf;
	size_t len, cap;
	int oom;
};

void gr_put(struct gr_out *o, const char *s, size_t n);
void gr_puts(struct gr_out *o, const char *s);
/* Short formatted pieces (numbers); strings go through the escapers. */
void gr_printf(struct gr_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (an empty one when nothing was written), or NULL. */
char *gr_done(struct gr_out *o, size_t *len);
/* A line of the difference: bytes below 0x20 and 0x7f as \xNN. */
void gr_plain(struct gr_out *o, const char *s);

struct gx_edge {
	char *from, *to;         /* globs */
	char protocol[ALERT_PROTOCOL_MAX]; /* "": any */
	uint16_t port;           /* 0: any */
	uint8_t required;
	uint8_t has_ops;         /* operations: given (an empty list allows none) */
	uint32_t ops_first, ops_n; /* in pats */
	uint32_t req_first, req_n;
};

struct graph_expect {
	uint32_t n_edges, edges_cap;
	struct gx_edge *edges;
	uint32_t n_pats, pats_cap;
	char **pats;
};

#endif
