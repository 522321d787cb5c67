// SPDX-License-Identifier: MIT
/*
 * The service graph as YAML (an expect file that matches it exactly), DOT
 * or Mermaid, with the escapers each format needs.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "graph_int.h"
#include "utf8.h"

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
