// SPDX-License-Identifier: MIT
/*
 * The difference between an expect file and the graph of a baseline.
 */
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "graph_int.h"

/* ---- the difference --------------------------------------------------------- */

enum { GD_EDGE = 0, GD_OP = 1 };

struct gd_line {
	char sign;           /* '+' extra, '-' missing */
	uint8_t kind;        /* GD_EDGE, GD_OP */
	char *edge;          /* "FROM -> TO[ PROTOCOL][ port PORT]" */
	const char *op;      /* GD_OP: the operation or pattern (not owned) */
};

struct gd_lines {
	uint32_t n, cap;
	struct gd_line *v;
	int oom;
};

static char *gd_edge_text(const char *from, const char *to, const char *protocol, uint16_t port)
{
	size_t n = strlen(from) + strlen(to) + strlen(protocol) + 32;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s -> %s%s%s", from, to, protocol[0] ? " " : "", protocol);
	if (s && port)
		snprintf(s + strlen(s), n - strlen(s), " port %u", port);
	return s;
}

static void gd_add(struct gd_lines *l, char sign, uint8_t kind, const char *edge, const char *op)
{
	struct gd_line *v;

	if (l->oom)
		return;
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 16;

		v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			l->oom = 1;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	v = &l->v[l->n];
	v->sign = sign;
	v->kind = kind;
	v->op = op;
	v->edge = strdup(edge);
	if (!v->edge) {
		l->oom = 1;
		return;
	}
	l->n++;
}

static int gd_cmp(const void *pa, const void *pb)
{
	const struct gd_line *a = pa, *b = pb;
	int c = strcmp(a->edge, b->edge);

	if (!c)
		c = (int)a->kind - (int)b->kind;
	if (!c && a->kind == GD_OP)
		c = strcmp(a->op, b->op);
	if (!c)
		c = a->sign - b->sign;
	return c;
}

static int gx_match(const struct gx_edge *x, const struct graph_edge *e)
{
	return fnmatch(x->from, e->from, 0) == 0 && fnmatch(x->to, e->to, 0) == 0 &&
	       (!x->protocol[0] || strcmp(x->protocol, e->protocol) == 0) &&
	       (!x->port || x->port == e->port);
}

static int gx_any(const struct graph_expect *x, uint32_t first, uint32_t n, const char *op)
{
	for (uint32_t j = first; j < first + n; j++)
		if (fnmatch(x->pats[j], op, 0) == 0)
			return 1;
	return 0;
}

void graph_diff_free(struct graph_diff *d)
{
	free(d->text);
	memset(d, 0, sizeof(*d));
}

/* Checks an observed edge's operations against the expected edges that
 * match it (hits[0..nh)); marks the required patterns they meet. */
static void gd_ops(const struct graph_expect *x, const struct graph *g, const struct graph_edge *e,
		   const char *et, const uint32_t *hits, uint32_t nh, uint8_t *seen,
		   struct gd_lines *l)
{
	for (uint32_t k = 0; k < e->op_count; k++) {
		const char *op = g->ops[e->op_first + k];
		int allowed = 0;

		for (uint32_t h = 0; h < nh; h++) {
			const struct gx_edge *xe = &x->edges[hits[h]];

			if (!xe->has_ops || gx_any(x, xe->ops_first, xe->ops_n, op) ||
			    gx_any(x, xe->req_first, xe->req_n, op))
				allowed = 1;
			for (uint32_t j = xe->req_first; j < xe->req_first + xe->req_n; j++)
				if (fnmatch(x->pats[j], op, 0) == 0)
					seen[j] = 1;
		}
		if (!allowed)
			gd_add(l, '+', GD_OP, et, op);
	}
}

static int gd_render(struct gd_lines *l, struct graph_diff *d)
{
	struct gr_out o = { 0 };

	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), gd_cmp);
	for (uint32_t i = 0; i < l->n; i++) {
		const struct gd_line *v = &l->v[i];

		gr_put(&o, &v->sign, 1);
		gr_puts(&o, v->kind == GD_EDGE ? " edge " : " operation ");
		gr_plain(&o, v->edge);
		if (v->kind == GD_OP) {
			gr_puts(&o, ": ");
			gr_plain(&o, v->op);
		}
		gr_puts(&o, "\n");
		if (v->sign == '+')
			d->extra++;
		else
			d->missing++;
	}
	d->text = gr_done(&o, &d->len);
	return d->text ? 0 : -1;
}

int graph_compare(const struct graph_expect *x, const struct graph *g, struct graph_diff *d)
{
	uint8_t *matched = calloc((size_t)x->n_edges + 1, 1);
	uint8_t *seen = calloc((size_t)x->n_pats + 1, 1);
	uint32_t *hits = malloc(((size_t)x->n_edges + 1) * sizeof(*hits));
	struct gd_lines l = { 0 };
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if (!matched || !seen || !hits)
		goto out;
	for (uint32_t i = 0; i < g->n_edges && !l.oom; i++) {
		const struct graph_edge *e = &g->edges[i];
		char *et = gd_edge_text(e->from, e->to, e->protocol, e->port);
		uint32_t nh = 0;

		if (!et)
			goto out;
		for (uint32_t k = 0; k < x->n_edges; k++)
			if (gx_match(&x->edges[k], e)) {
				hits[nh++] = k;
				matched[k] = 1;
			}
		if (nh) {
			gd_ops(x, g, e, et, hits, nh, seen, &l);
		} else {
			gd_add(&l, '+', GD_EDGE, et, NULL);
			for (uint32_t k = 0; k < e->op_count; k++)
				gd_add(&l, '+', GD_OP, et, g->ops[e->op_first + k]);
		}
		free(et);
	}
	for (uint32_t k = 0; k < x->n_edges && !l.oom; k++) {
		const struct gx_edge *xe = &x->edges[k];
		char *et;

		if (!matched[k] && !xe->required)
			continue;
		et = gd_edge_text(xe->from, xe->to, xe->protocol, xe->port);
		if (!et)
			goto out;
		if (!matched[k])
			gd_add(&l, '-', GD_EDGE, et, NULL);
		else
			for (uint32_t j = xe->req_first; j < xe->req_first + xe->req_n; j++)
				if (!seen[j])
					gd_add(&l, '-', GD_OP, et, x->pats[j]);
		free(et);
	}
	if (!l.oom)
		rc = gd_render(&l, d);
out:
	for (uint32_t i = 0; i < l.n; i++)
		free(l.v[i].edge);
	free(l.v);
	free(matched);
	free(seen);
	free(hits);
	if (rc)
		graph_diff_free(d);
	return rc;
}

