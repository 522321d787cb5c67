// SPDX-License-Identifier: MIT
/*
 * The service graph of a baseline, and the text builder the rendering
 * (graph_render.c) and the difference (graph_compare.c) write with; the
 * expect file (its format is in graph.h) is parsed in graph_expect.c.
 * Every table is sized from its input: the baseline's (bounded) tables or
 * the expect file's (bounded by the parser).
 */
#include "graph.h"
#include "graph_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text out ------------------------------------------------------------ */

void gr_put(struct gr_out *o, const char *s, size_t n)
{
	size_t cap;
	char *nb;

	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		for (cap = o->cap ? o->cap : 4096; cap < o->len + n + 1; cap *= 2)
			;
		nb = realloc(o->buf, cap);
		if (!nb) {
			o->oom = 1;
			return;
		}
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

void gr_puts(struct gr_out *o, const char *s)
{
	gr_put(o, s, strlen(s));
}

/* Short formatted pieces (numbers); strings go through the escapers. */
void gr_printf(struct gr_out *o, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->oom = 1;
		return;
	}
	gr_put(o, tmp, (size_t)n);
}

/* The text (an empty one when nothing was written), or NULL. */
char *gr_done(struct gr_out *o, size_t *len)
{
	if (!o->oom && !o->buf)
		gr_put(o, "", 0);
	if (o->oom) {
		free(o->buf);
		return NULL;
	}
	*len = o->len;
	return o->buf;
}

/* A line of the difference: bytes below 0x20 and 0x7f as \xNN. */
void gr_plain(struct gr_out *o, const char *s)
{
	char esc[8];

	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02X", (unsigned char)*s);
			gr_puts(o, esc);
		} else {
			gr_put(o, s, 1);
		}
	}
}

/* ---- the graph of a baseline ------------------------------------------- */

struct gb_key {
	const char *from, *to, *protocol;
	uint16_t port;
	uint32_t edge;   /* index in the baseline */
};

struct gb_op {
	uint32_t edge;   /* index in the graph */
	const char *text;
};

static int gb_key_cmp(const void *pa, const void *pb)
{
	const struct gb_key *a = pa, *b = pb;
	int c = strcmp(a->from, b->from);

	if (!c)
		c = strcmp(a->to, b->to);
	if (!c)
		c = strcmp(a->protocol, b->protocol);
	if (!c)
		c = (a->port > b->port) - (a->port < b->port);
	return c;
}

static int gb_op_cmp(const void *pa, const void *pb)
{
	const struct gb_op *a = pa, *b = pb;

	if (a->edge != b->edge)
		return a->edge < b->edge ? -1 : 1;
	return strcmp(a->text, b->text);
}

void graph_free(struct graph *g)
{
	free(g->edges);
	free(g->ops);
	memset(g, 0, sizeof(*g));
}

int graph_build(struct graph *g, const struct baseline *b, unsigned flags)
{
	uint32_t ne = (uint32_t)b->stats.edges, nops = (uint32_t)b->stats.ops, nk = 0, no = 0;
	struct gb_key *keys = malloc((ne ? ne : 1) * sizeof(*keys));
	uint32_t *group = malloc((ne ? ne : 1) * sizeof(*group));
	struct gb_op *ops = malloc((nops ? nops : 1) * sizeof(*ops));
	int all = (flags & GRAPH_CANDIDATES) != 0;

	memset(g, 0, sizeof(*g));
	g->edges = malloc((ne ? ne : 1) * sizeof(*g->edges));
	g->ops = malloc((nops ? nops : 1) * sizeof(*g->ops));
	if (!keys || !group || !ops || !g->edges || !g->ops) {
		free(keys);
		free(group);
		free(ops);
		graph_free(g);
		return -1;
	}
	for (uint32_t i = 0; i < ne; i++) {
		const struct baseline_edge *e = &b->edges[i];

		group[i] = UINT32_MAX;
		if (e->state != BASELINE_LEARNED && !all)
			continue;
		keys[nk++] = (struct gb_key){ alert_identity_label(&e->client),
					      alert_identity_label(&e->server), e->protocol,
					      (flags & GRAPH_NO_PORTS) ? 0 : e->port, i };
	}
	qsort(keys, nk, sizeof(*keys), gb_key_cmp);
	for (uint32_t k = 0; k < nk; k++) {
		const struct baseline_edge *e = &b->edges[keys[k].edge];
		struct graph_edge *ge;

		if (k == 0 || gb_key_cmp(&keys[k - 1], &keys[k]) != 0) {
			ge = &g->edges[g->n_edges++];
			memset(ge, 0, sizeof(*ge));
			ge->from = keys[k].from;
			ge->to = keys[k].to;
			ge->protocol = keys[k].protocol;
			ge->port = keys[k].port;
			ge->from_address = e->client.address[0] != '\0';
			ge->to_address = e->server.address[0] != '\0';
			ge->candidate = 1;
		}
		ge = &g->edges[g->n_edges - 1];
		group[keys[k].edge] = g->n_edges - 1;
		ge->calls += e->rates.calls;
		if (e->state == BASELINE_LEARNED)
			ge->candidate = 0;
	}
	for (uint32_t i = 0; i < nops; i++) {
		const struct baseline_op *p = &b->ops[i];

		if (p->edge >= ne || group[p->edge] == UINT32_MAX ||
		    (p->state != BASELINE_LEARNED && !all))
			continue;
		ops[no++] = (struct gb_op){ group[p->edge], p->operation };
	}
	qsort(ops, no, sizeof(*ops), gb_op_cmp);
	for (uint32_t k = 0; k < no; k++) {
		struct graph_edge *ge = &g->edges[ops[k].edge];

		if (k > 0 && gb_op_cmp(&ops[k - 1], &ops[k]) == 0)
			continue;
		if (!ge->op_count)
			ge->op_first = g->n_ops;
		ge->op_count++;
		g->ops[g->n_ops++] = ops[k].text;
	}
	free(keys);
	free(group);
	free(ops);
	return 0;
}
