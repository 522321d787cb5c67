// SPDX-License-Identifier: MIT
/*
 * The expect file parser (its format is in graph.h). Every table is sized
 * from the input and bounded by the parser.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "graph_int.h"
#include "yaml_read.h"

void graph_expect_free(struct graph_expect *x)
{
	if (!x)
		return;
	for (uint32_t i = 0; i < x->n_edges; i++) {
		free(x->edges[i].from);
		free(x->edges[i].to);
	}
	for (uint32_t i = 0; i < x->n_pats; i++)
		free(x->pats[i]);
	free(x->edges);
	free(x->pats);
	free(x);
}

uint32_t graph_expect_edges(const struct graph_expect *x)
{
	return x ? x->n_edges : 0;
}

struct gx_parse {
	struct yread r;
	struct graph_expect *x;
	char key[32];            /* the key being read, for messages */
};

static int gx_oom(struct gx_parse *p)
{
	return yread_fail(&p->r, &p->r.ev.start_mark, "out of memory");
}

/* The current event as a string (an empty one allowed); NULL (err) when
 * it is not a value, a null, longer than max or holds a NUL. */
static const char *gx_string(struct gx_parse *p, size_t max)
{
	const char *t;

	if (p->r.ev.type != YAML_SCALAR_EVENT) {
		yread_fail(&p->r, &p->r.ev.start_mark, "%s: must be a value, not %s", p->key,
			   yread_kind(&p->r));
		return NULL;
	}
	if (yread_is_null(&p->r)) {
		yread_fail(&p->r, &p->r.ev.start_mark, "%s: missing value", p->key);
		return NULL;
	}
	t = yread_text(&p->r, p->key);
	if (t && strlen(t) > max) {
		yread_fail(&p->r, &p->r.ev.start_mark, "%s: longer than %zu bytes", p->key, max);
		return NULL;
	}
	return t;
}

static int gx_pattern_add(struct gx_parse *p, const char *t)
{
	struct graph_expect *x = p->x;

	if (x->n_pats >= GRAPH_EXPECT_PATTERNS_MAX)
		return yread_fail(&p->r, &p->r.ev.start_mark,
				  "%s: more than %d operation patterns in the file", p->key,
				  GRAPH_EXPECT_PATTERNS_MAX);
	if (x->n_pats == x->pats_cap) {
		uint32_t cap = x->pats_cap ? x->pats_cap * 2 : 16;
		char **v = realloc(x->pats, cap * sizeof(*v));

		if (!v)
			return gx_oom(p);
		x->pats = v;
		x->pats_cap = cap;
	}
	x->pats[x->n_pats] = strdup(t);
	if (!x->pats[x->n_pats])
		return gx_oom(p);
	x->n_pats++;
	return 0;
}

/* A pattern or a list of patterns (maybe empty) into pats; *first, *n. */
static int gx_patterns(struct gx_parse *p, uint32_t *first, uint32_t *n)
{
	const char *t;

	*first = p->x->n_pats;
	if (p->r.ev.type == YAML_SCALAR_EVENT) {
		t = gx_string(p, GRAPH_PATTERN_MAX);
		if (!t || gx_pattern_add(p, t))
			return -1;
		*n = 1;
		return 0;
	}
	if (p->r.ev.type != YAML_SEQUENCE_START_EVENT)
		return yread_fail(&p->r, &p->r.ev.start_mark,
				  "%s: must be a pattern or a list of patterns, not %s", p->key,
				  yread_kind(&p->r));
	for (;;) {
		if (yread_next(&p->r))
			return -1;
		if (p->r.ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		t = gx_string(p, GRAPH_PATTERN_MAX);
		if (!t || gx_pattern_add(p, t))
			return -1;
	}
	*n = p->x->n_pats - *first;
	return 0;
}

static int gx_protocol(struct gx_parse *p, struct gx_edge *e)
{
	const char *t = gx_string(p, ALERT_PROTOCOL_MAX - 1);
	size_t n;

	if (!t)
		return -1;
	n = strlen(t);
	if (!n || strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789._-") != n)
		return yread_fail(&p->r, &p->r.ev.start_mark,
				  "protocol: must be a protocol name as alerts show it (http, redis, postgresql, mysql, mariadb; got '%s')",
				  t);
	memcpy(e->protocol, t, n + 1);
	return 0;
}

static int gx_port(struct gx_parse *p, struct gx_edge *e)
{
	const char *t = gx_string(p, 16);
	unsigned v = 0;
	size_t n;

	if (!t)
		return -1;
	n = strlen(t);
	if (n && n <= 5 && strspn(t, "0123456789") == n)
		v = (unsigned)strtoul(t, NULL, 10);
	if (v < 1 || v > 65535)
		return yread_fail(&p->r, &p->r.ev.start_mark,
				  "port: must be a number 1..65535 (got '%s')", t);
	e->port = (uint16_t)v;
	return 0;
}

static int gx_bool(struct gx_parse *p, uint8_t *out)
{
	const char *t = gx_string(p, 16);

	if (!t)
		return -1;
	if (!strcmp(t, "true") || !strcmp(t, "True") || !strcmp(t, "TRUE"))
		*out = 1;
	else if (!strcmp(t, "false") || !strcmp(t, "False") || !strcmp(t, "FALSE"))
		*out = 0;
	else
		return yread_fail(&p->r, &p->r.ev.start_mark, "%s: must be true or false (got '%s')",
				  p->key, t);
	return 0;
}

/* The key of a mapping into p->key; 0, -1. */
static int gx_key(struct gx_parse *p)
{
	size_t n;

	if (p->r.ev.type != YAML_SCALAR_EVENT)
		return yread_fail(&p->r, &p->r.ev.start_mark, "keys must be plain names, not %s",
				  yread_kind(&p->r));
	n = p->r.ev.data.scalar.length;
	if (n >= sizeof(p->key) || memchr(p->r.ev.data.scalar.value, '\0', n))
		n = sizeof(p->key) - 1; /* unknown anyway: the message shows its start */
	memcpy(p->key, p->r.ev.data.scalar.value, n);
	p->key[n] = '\0';
	return 0;
}

/* The index of key in names (a bit each), -1 (err) when it is not one or
 * was seen already. */
static int gx_key_index(struct gx_parse *p, const char *const *names, int count, uint32_t *seen,
			const char *what)
{
	for (int i = 0; i < count; i++) {
		if (strcmp(p->key, names[i]))
			continue;
		if (*seen & (1u << i))
			return yread_fail(&p->r, &p->r.ev.start_mark, "%s: given twice", p->key);
		*seen |= 1u << i;
		return i;
	}
	return yread_fail(&p->r, &p->r.ev.start_mark, "%s: unknown key %s", p->key, what);
}

enum { GX_FROM, GX_TO, GX_PROTOCOL, GX_PORT, GX_OPS, GX_REQ_OPS, GX_REQUIRED, GX_EDGE_KEYS };

static const char *const gx_edge_keys[GX_EDGE_KEYS] = {
	"from", "to", "protocol", "port", "operations", "required_operations", "required",
};

/* One edge; the current event is its MAPPING_START. */
static int gx_edge(struct gx_parse *p, struct gx_edge *e)
{
	yaml_mark_t start = p->r.ev.start_mark;
	uint32_t seen = 0;
	const char *t;
	int k, rc;

	e->required = 1;
	for (;;) {
		if (yread_next(&p->r))
			return -1;
		if (p->r.ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (gx_key(p))
			return -1;
		k = gx_key_index(p, gx_edge_keys, GX_EDGE_KEYS, &seen,
				 "of an edge (from, to, protocol, port, operations, required_operations, required)");
		if (k < 0 || yread_next(&p->r))
			return -1;
		switch (k) {
		case GX_FROM:
		case GX_TO:
			t = gx_string(p, GRAPH_PATTERN_MAX);
			if (!t)
				return -1;
			if (!(k == GX_FROM ? (e->from = strdup(t)) : (e->to = strdup(t))))
				return gx_oom(p);
			rc = 0;
			break;
		case GX_PROTOCOL:
			rc = gx_protocol(p, e);
			break;
		case GX_PORT:
			rc = gx_port(p, e);
			break;
		case GX_OPS:
			rc = gx_patterns(p, &e->ops_first, &e->ops_n);
			e->has_ops = 1;
			break;
		case GX_REQ_OPS:
			rc = gx_patterns(p, &e->req_first, &e->req_n);
			break;
		default:
			rc = gx_bool(p, &e->required);
			break;
		}
		if (rc)
			return -1;
	}
	if (!e->from)
		return yread_fail(&p->r, &start, "from: missing (every edge has one)");
	if (!e->to)
		return yread_fail(&p->r, &start, "to: missing (every edge has one)");
	return 0;
}

static int gx_edges(struct gx_parse *p)
{
	struct graph_expect *x = p->x;

	if (p->r.ev.type != YAML_SEQUENCE_START_EVENT)
		return yread_fail(&p->r, &p->r.ev.start_mark,
				  "edges: must be a list of edges (edges: [] for none), not %s",
				  yread_kind(&p->r));
	for (;;) {
		if (yread_next(&p->r))
			return -1;
		if (p->r.ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (p->r.ev.type != YAML_MAPPING_START_EVENT)
			return yread_fail(&p->r, &p->r.ev.start_mark,
					  "edges: each edge must be a mapping (from, to, ...), not %s",
					  yread_kind(&p->r));
		if (x->n_edges >= GRAPH_EXPECT_EDGES_MAX)
			return yread_fail(&p->r, &p->r.ev.start_mark, "edges: more than %d",
					  GRAPH_EXPECT_EDGES_MAX);
		if (x->n_edges == x->edges_cap) {
			uint32_t cap = x->edges_cap ? x->edges_cap * 2 : 8;
			struct gx_edge *v = realloc(x->edges, cap * sizeof(*v));

			if (!v)
				return gx_oom(p);
			x->edges = v;
			x->edges_cap = cap;
		}
		memset(&x->edges[x->n_edges], 0, sizeof(x->edges[0]));
		/* counted now, so that graph_expect_free frees what a failed edge holds */
		if (gx_edge(p, &x->edges[x->n_edges++]))
			return -1;
	}
}

static int gx_walk(struct gx_parse *p)
{
	static const char *const keys[] = { "version", "edges" };
	const yaml_mark_t top = { 0, 0, 0 };
	uint32_t seen = 0;
	const char *t;
	int rc = yread_begin(&p->r, "an expect file must be a mapping (version, edges)"), k;

	if (rc < 0)
		return -1;
	if (rc == 0)
		return yread_fail(&p->r, &top, "version: missing (this is version 1)");
	for (;;) {
		if (yread_next(&p->r))
			return -1;
		if (p->r.ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (gx_key(p))
			return -1;
		k = gx_key_index(p, keys, 2, &seen, "(version, edges)");
		if (k < 0 || yread_next(&p->r))
			return -1;
		if (k == 1) {
			if (gx_edges(p))
				return -1;
			continue;
		}
		t = gx_string(p, 16);
		if (!t)
			return -1;
		if (strcmp(t, "1"))
			return yread_fail(&p->r, &p->r.ev.start_mark, "version: must be 1 (got '%s')",
					  t);
	}
	if (!(seen & 1))
		return yread_fail(&p->r, &top, "version: missing (this is version 1)");
	return yread_end(&p->r);
}

struct graph_expect *graph_expect_parse(const char *text, size_t len, const char *file, char *err,
					size_t err_len)
{
	struct gx_parse p;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	p.x = calloc(1, sizeof(*p.x));
	if (!p.x) {
		if (err && err_len)
			snprintf(err, err_len, "%s: out of memory", file ? file : "(input)");
		return NULL;
	}
	if (yread_init(&p.r, text, len, file, err, err_len) == 0)
		rc = gx_walk(&p);
	yread_free(&p.r);
	if (rc) {
		graph_expect_free(p.x);
		return NULL;
	}
	return p.x;
}

struct graph_expect *graph_expect_load(const char *path, char *err, size_t err_len)
{
	struct graph_expect *x;
	char *buf = NULL;
	size_t len = 0;

	if (yread_slurp_or_say(path, &buf, &len, err, err_len))
		return NULL;
	x = graph_expect_parse(buf, len, path, err, err_len);
	free(buf);
	return x;
}
