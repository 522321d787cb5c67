// SPDX-License-Identifier: MIT
/*
 * The service graph of a baseline, the expect file (its format is in
 * graph.h), their difference, and the graph as YAML, DOT or Mermaid.
 * Every table is sized from its input: the baseline's (bounded) tables or
 * the expect file's (bounded by the parser).
 */
#include "graph.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "yaml_read.h"

/* ---- text out ------------------------------------------------------------ */

struct gr_out {
	char *buf;
	size_t len, cap;
	int oom;
};

static void gr_put(struct gr_out *o, const char *s, size_t n)
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

static void gr_puts(struct gr_out *o, const char *s)
{
	gr_put(o, s, strlen(s));
}

/* Short formatted pieces (numbers); strings go through the escapers. */
static void gr_printf(struct gr_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void gr_printf(struct gr_out *o, const char *fmt, ...)
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
static char *gr_done(struct gr_out *o, size_t *len)
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

/* The code point of a well-formed UTF-8 character of n bytes. */
static uint32_t gr_code_point(const uint8_t *s, size_t n)
{
	uint32_t cp = n == 2 ? s[0] & 0x1fu : n == 3 ? s[0] & 0x0fu : s[0] & 0x07u;

	for (size_t k = 1; k < n; k++)
		cp = cp << 6 | (s[k] & 0x3fu);
	return cp;
}

/* A YAML double-quoted scalar holding a glob that matches s exactly: the
 * glob characters escaped with '\'; what YAML would not keep as it is
 * (controls, C1, line and paragraph separators, the BOM, non-characters)
 * as escapes; a byte that is not UTF-8 as '?' (it matches that byte). */
static void gr_yaml_glob(struct gr_out *o, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = strlen(s);
	char esc[16];

	gr_put(o, "\"", 1);
	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		size_t k = utf8_char_len(p + i, n - i);

		if (c == '*' || c == '?' || c == '[' || c == '\\')
			gr_put(o, "\\\\", 2);
		if (c == '\\' || c == '"') {
			esc[0] = '\\';
			esc[1] = (char)c;
			gr_put(o, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02X", c);
			gr_puts(o, esc);
		} else if (k == 0) {
			gr_put(o, "?", 1);
			k = 1;
		} else if (k > 1) {
			uint32_t cp = gr_code_point(p + i, k);

			if (cp < 0xa0 || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
			    cp == 0xfffe || cp == 0xffff) {
				snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)cp);
				gr_puts(o, esc);
			} else {
				gr_put(o, s + i, k);
			}
		} else {
			gr_put(o, s + i, 1);
		}
		i += k ? k : 1;
	}
	gr_put(o, "\"", 1);
}

/* A DOT quoted string (quote included) or a Mermaid label (entity codes):
 * printable ASCII and UTF-8 from U+00A0 as they are, anything else '?'. */
static void gr_label(struct gr_out *o, const char *s, int mermaid)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		size_t k = utf8_char_len(p + i, n - i);

		if (mermaid && c && strchr("\"<>&#|`", c)) {
			gr_printf(o, "#%u;", c);
		} else if (!mermaid && (c == '"' || c == '\\')) {
			gr_put(o, "\\", 1);
			gr_put(o, s + i, 1);
		} else if (c < 0x20 || c == 0x7f || k == 0 || (k > 1 && gr_code_point(p + i, k) < 0xa0)) {
			gr_put(o, "?", 1);
		} else {
			gr_put(o, s + i, k);
		}
		i += k ? k : 1;
	}
}

/* A line of the difference: bytes below 0x20 and 0x7f as \xNN. */
static void gr_plain(struct gr_out *o, const char *s)
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

/* ---- rendering ------------------------------------------------------------ */

int graph_format_of(const char *name, enum graph_format *f)
{
	if (!strcmp(name, "yaml"))
		*f = GRAPH_YAML;
	else if (!strcmp(name, "dot"))
		*f = GRAPH_DOT;
	else if (!strcmp(name, "mermaid"))
		*f = GRAPH_MERMAID;
	else
		return -1;
	return 0;
}

static void gr_yaml(struct gr_out *o, const struct graph *g)
{
	gr_puts(o, g->n_edges ? "version: 1\nedges:\n" : "version: 1\nedges: []\n");
	for (uint32_t i = 0; i < g->n_edges; i++) {
		const struct graph_edge *e = &g->edges[i];

		gr_puts(o, "  - from: ");
		gr_yaml_glob(o, e->from);
		gr_puts(o, "\n    to: ");
		gr_yaml_glob(o, e->to);
		gr_puts(o, "\n");
		if (e->protocol[0]) {
			/* a protocol is compared as it is, not as a glob */
			gr_puts(o, "    protocol: \"");
			gr_plain(o, e->protocol);
			gr_puts(o, "\"\n");
		}
		if (e->port)
			gr_printf(o, "    port: %u\n", e->port);
		gr_puts(o, e->op_count ? "    operations:\n" : "    operations: []\n");
		for (uint32_t k = 0; k < e->op_count; k++) {
			gr_puts(o, "      - ");
			gr_yaml_glob(o, g->ops[e->op_first + k]);
			gr_puts(o, "\n");
		}
		gr_puts(o, "    required: true\n");
	}
}

struct gr_node {
	const char *label;
	uint8_t address;
};

static int gr_node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gr_node *)a)->label, ((const struct gr_node *)b)->label);
}

/* The distinct labels, sorted: *n of them. NULL without memory. */
static struct gr_node *gr_nodes(const struct graph *g, uint32_t *n)
{
	struct gr_node *v = malloc((2 * (size_t)g->n_edges + 1) * sizeof(*v));
	uint32_t k = 0, out = 0;

	if (!v)
		return NULL;
	for (uint32_t i = 0; i < g->n_edges; i++) {
		v[k++] = (struct gr_node){ g->edges[i].from, g->edges[i].from_address };
		v[k++] = (struct gr_node){ g->edges[i].to, g->edges[i].to_address };
	}
	qsort(v, k, sizeof(*v), gr_node_cmp);
	for (uint32_t i = 0; i < k; i++) {
		if (out && !strcmp(v[out - 1].label, v[i].label)) {
			v[out - 1].address &= v[i].address;
			continue;
		}
		v[out++] = v[i];
	}
	*n = out;
	return v;
}

static uint32_t gr_node_index(const struct gr_node *v, uint32_t n, const char *label)
{
	struct gr_node key = { label, 0 };
	const struct gr_node *at = bsearch(&key, v, n, sizeof(*v), gr_node_cmp);

	return at ? (uint32_t)(at - v) : 0;
}

/* "http:8080" or "http" (no port); "tcp" when the protocol is unknown. */
static void gr_edge_label(struct gr_out *o, const struct graph_edge *e, int mermaid)
{
	gr_label(o, e->protocol[0] ? e->protocol : "tcp", mermaid);
	if (e->port)
		gr_printf(o, ":%u", e->port);
	gr_printf(o, "%s%" PRIu64 " call%s", mermaid ? ", " : "\\n", e->calls,
		  e->calls == 1 ? "" : "s");
}

static void gr_dot(struct gr_out *o, const struct graph *g, const struct gr_node *v, uint32_t n)
{
	gr_puts(o, "digraph zerotrace {\n  rankdir=LR;\n  node [shape=box];\n");
	for (uint32_t i = 0; i < n; i++) {
		gr_puts(o, "  \"");
		gr_label(o, v[i].label, 0);
		gr_puts(o, v[i].address ? "\" [shape=ellipse];\n" : "\";\n");
	}
	for (uint32_t i = 0; i < g->n_edges; i++) {
		const struct graph_edge *e = &g->edges[i];

		gr_puts(o, "  \"");
		gr_label(o, e->from, 0);
		gr_puts(o, "\" -> \"");
		gr_label(o, e->to, 0);
		gr_puts(o, "\" [label=\"");
		gr_edge_label(o, e, 0);
		gr_puts(o, e->candidate ? "\", style=dashed];\n" : "\"];\n");
	}
	gr_puts(o, "}\n");
}

static void gr_mermaid(struct gr_out *o, const struct graph *g, const struct gr_node *v, uint32_t n)
{
	gr_puts(o, "flowchart LR\n");
	for (uint32_t i = 0; i < n; i++) {
		gr_printf(o, "  n%u%s\"", i, v[i].address ? "([" : "[");
		gr_label(o, v[i].label, 1);
		gr_puts(o, v[i].address ? "\"])\n" : "\"]\n");
	}
	for (uint32_t i = 0; i < g->n_edges; i++) {
		const struct graph_edge *e = &g->edges[i];

		gr_printf(o, "  n%u %s|\"", gr_node_index(v, n, e->from),
			  e->candidate ? "-.->" : "-->");
		gr_edge_label(o, e, 1);
		gr_printf(o, "\"| n%u\n", gr_node_index(v, n, e->to));
	}
}

char *graph_render(const struct graph *g, enum graph_format f, size_t *len)
{
	struct gr_out o = { 0 };
	struct gr_node *v;
	uint32_t n;

	if (f == GRAPH_YAML) {
		gr_yaml(&o, g);
		return gr_done(&o, len);
	}
	v = gr_nodes(g, &n);
	if (!v)
		return NULL;
	if (f == GRAPH_DOT)
		gr_dot(&o, g, v, n);
	else
		gr_mermaid(&o, g, v, n);
	free(v);
	return gr_done(&o, len);
}

/* ---- the expect file ------------------------------------------------------ */

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
	int e;

	e = yread_slurp(path, &buf, &len);
	if (e) {
		if (err && err_len)
			snprintf(err, err_len, "%s: cannot read: %s", path, strerror(e));
		return NULL;
	}
	x = graph_expect_parse(buf, len, path, err, err_len);
	free(buf);
	return x;
}

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
