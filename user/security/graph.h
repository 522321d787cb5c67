/* SPDX-License-Identifier: MIT */
/*
 * The service graph as a CI check sees it: the graph a baseline holds
 * (edges between ends named by alert_identity_label: a service.name, or an
 * address for an end off the node or not traced), an expected graph read
 * from YAML, the difference between the two, and the graph written out as
 * YAML (an expect file), Graphviz DOT or Mermaid. Pure: no I/O but
 * graph_expect_load's read of its file.
 *
 * The expect file (`zerotrace check --expect FILE`):
 *
 *   version: 1
 *   edges:
 *     - from: gateway            # the client end's label; a glob (fnmatch)
 *       to: users                # the server end's: "users", "127.0.0.1", "10.0.*"
 *       protocol: http           # optional, as alerts name it: http, redis,
 *                                #   postgresql, mysql, mariadb
 *       port: 8080               # optional: the server port (test ports are
 *                                #   often random: leave it out)
 *       operations: ["GET /users", "GET /users/{id}"]
 *                                # optional: the operations allowed (globs)
 *       required_operations: ["GET /users"]
 *                                # optional: each must be seen (and is allowed)
 *       required: true           # default true: the edge must be seen
 *
 * An observed edge matches an expected one when from, to, protocol and
 * port all match (a key left out matches anything). Then:
 *   - an observed edge no expected edge matches is extra ("+ edge"), and
 *     so is each of its operations ("+ operation");
 *   - an operation of an observed edge is extra unless one expected edge
 *     that matches the edge has no `operations` key, or lists a pattern
 *     (in operations or required_operations) that matches it;
 *   - a required expected edge no observed edge matches is missing
 *     ("- edge"); a required_operations pattern of an expected edge that
 *     is matched, but that no operation of its observed edges matches, is
 *     missing ("- operation").
 * `operations: []` allows no operation at all. Globs are fnmatch(3)
 * patterns without flags ('*' also crosses '/', '\' escapes), over bytes.
 * A value is a string, or (operations, required_operations) a string or a
 * list of strings. Unknown keys, wrong types, a second document, aliases
 * and values out of range are errors "FILE:LINE:COL: what" (1-based).
 * Bounded: GRAPH_EXPECT_EDGES_MAX edges, GRAPH_EXPECT_PATTERNS_MAX
 * operation patterns in all, GRAPH_PATTERN_MAX bytes a pattern,
 * YREAD_MAX_BYTES a file; the first two are the baseline's own table
 * sizes, so the YAML of any baseline is a valid expect file (when it fits
 * in YREAD_MAX_BYTES).
 */
#ifndef ZT_GRAPH_H
#define ZT_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "baseline.h"

#define GRAPH_EXPECT_EDGES_MAX BASELINE_EDGES_MAX
#define GRAPH_EXPECT_PATTERNS_MAX BASELINE_OPS_MAX
/* An operation escaped for a glob takes at most twice its bytes. */
#define GRAPH_PATTERN_MAX (2 * ALERT_OPERATION_MAX)

/* graph_build flags */
#define GRAPH_CANDIDATES 1u  /* candidate edges and operations too, not only learned ones */
#define GRAPH_NO_PORTS 2u    /* leave ports out: edges that differ only by port are one */

enum graph_format {
	GRAPH_YAML = 0,  /* an expect file: every edge and operation, required */
	GRAPH_DOT,       /* Graphviz digraph: edges labelled protocol:port and calls */
	GRAPH_MERMAID,   /* Mermaid flowchart LR, labelled as DOT */
};

/* One edge between two labels. Baseline edges whose ends have the same
 * labels (identities that differ only by namespace, workload or exe), the
 * same protocol and port are one graph edge. */
struct graph_edge {
	const char *from, *to;   /* labels; they point into the baseline */
	const char *protocol;    /* "" unknown */
	uint16_t port;           /* 0 with GRAPH_NO_PORTS */
	uint8_t from_address;    /* the end is known by its address only */
	uint8_t to_address;
	uint8_t candidate;       /* it is made of candidate edges only */
	uint64_t calls;          /* counted while learning, summed */
	uint32_t op_first;       /* its operations: ops[op_first, op_first + op_count) */
	uint32_t op_count;
};

/* Edges sorted by from, to, protocol, port; each edge's operations sorted
 * (strcmp) and unique. Valid while the baseline it was built from lives. */
struct graph {
	uint32_t n_edges, n_ops;
	struct graph_edge *edges;
	const char **ops;
};

/* 0, or -1 without memory (g is then empty). */
int graph_build(struct graph *g, const struct baseline *b, unsigned flags);
void graph_free(struct graph *g);

/* "yaml", "dot", "mermaid": 0, or -1 for another name. */
int graph_format_of(const char *name, enum graph_format *f);
/* The graph as text in a malloc'd, NUL-terminated buffer of *len bytes;
 * NULL without memory. Labels and operations are escaped for the format
 * (YAML: double-quoted, with the glob characters *?[\ escaped so that
 * each pattern matches its text; a byte that is not UTF-8 becomes the
 * glob '?'); DOT and Mermaid show a byte outside printable ASCII and
 * UTF-8 as '?'. */
char *graph_render(const struct graph *g, enum graph_format f, size_t *len);

struct graph_expect;

/* Parses an expect file held in text[0..len) (not NUL-terminated); NULL
 * on error, with err "FILE:LINE:COL: what" (or "FILE: what"). */
struct graph_expect *graph_expect_parse(const char *text, size_t len, const char *file, char *err,
					size_t err_len);
/* Reads the file at path and parses it; "PATH: why" when it cannot be read. */
struct graph_expect *graph_expect_load(const char *path, char *err, size_t err_len);
void graph_expect_free(struct graph_expect *x);
uint32_t graph_expect_edges(const struct graph_expect *x);

/* The difference, one line each, sorted by edge, then the edge's line
 * before its operations', then operation, then '+' before '-':
 *   "+ edge FROM -> TO[ PROTOCOL][ port PORT]"
 *   "+ operation FROM -> TO[ PROTOCOL][ port PORT]: OPERATION"
 *   "- edge FROM -> TO[ PROTOCOL][ port PORT]"           (the expected patterns)
 *   "- operation FROM -> TO[ PROTOCOL][ port PORT]: PATTERN"
 * Bytes below 0x20 and 0x7f show as \xNN. */
struct graph_diff {
	uint32_t extra;    /* '+' lines */
	uint32_t missing;  /* '-' lines */
	char *text;        /* the lines, each ending in '\n'; "" when they match */
	size_t len;
};

/* 0, or -1 without memory. */
int graph_compare(const struct graph_expect *x, const struct graph *g, struct graph_diff *d);
void graph_diff_free(struct graph_diff *d);

#endif /* ZT_GRAPH_H */
