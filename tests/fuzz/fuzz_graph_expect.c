// SPDX-License-Identifier: MIT
/*
 * Fuzzes the expect file of `zerotrace check` (user/security/graph.c):
 *  1. the input as an expect file: parsed with an error buffer of 0..127
 *     bytes (byte 0), which must hold a NUL-terminated "f.yaml..." message
 *     and nothing past its size; parsing is deterministic; a file that
 *     parses is compared with a fixed graph: every line of the difference
 *     starts "+ " or "- ", the counts match the lines, and the text holds
 *     no control byte but '\n';
 *  2. the input as labels and operations: split at '\n' into fields, they
 *     make the ends and operations of a baseline's edges; the YAML of that
 *     baseline must parse as an expect file that its graph passes (the
 *     escaping round trip), and DOT and Mermaid must hold no control byte
 *     but '\n'.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "fuzz_check.h"

#define CANARY 0x5a
#define MAX_FIELDS 12

static struct baseline B;
static int B_ready;

static void check_text(const char *t, size_t len)
{
	CHECK(strlen(t) == len);
	for (size_t i = 0; i < len; i++)
		CHECK((unsigned char)t[i] >= 0x20 || t[i] == '\n');
}

static void check_diff(const struct graph_diff *d)
{
	uint32_t plus = 0, minus = 0;

	check_text(d->text, d->len);
	for (const char *l = d->text; *l; l = strchr(l, '\n') + 1) {
		CHECK(strchr(l, '\n'));
		CHECK((l[0] == '+' || l[0] == '-') && l[1] == ' ');
		plus += l[0] == '+';
		minus += l[0] == '-';
	}
	CHECK(plus == d->extra && minus == d->missing);
}

static struct alert_identity end_of(const char *label, int address)
{
	struct alert_identity id;

	memset(&id, 0, sizeof(id));
	if (address)
		snprintf(id.address, sizeof(id.address), "%s", label);
	else
		snprintf(id.service, sizeof(id.service), "%s", label);
	return id;
}

/* Fields: from, to, operation, from, to, operation, ... */
static void round_trip(char **f, size_t n, uint8_t bits)
{
	static const char *const protocols[] = { "http", "redis", "", "mariadb" };
	struct graph_expect *x;
	struct graph_diff d;
	struct graph g;
	char err[256];
	size_t len;
	char *t;

	baseline_clear(&B);
	for (size_t i = 0; i + 1 < n; i += 3) {
		struct alert_identity c = end_of(f[i], bits & 1), s = end_of(f[i + 1], bits & 2);
		struct baseline_edge *e = baseline_edge_get(&B, &c, &s, protocols[(bits >> 2) & 3],
							    (uint16_t)(i * 1000 * (bits >> 7)), 1,
							    (bits & 16) ? BASELINE_CANDIDATE : BASELINE_LEARNED, 1);

		CHECK(e);
		if (i + 2 < n)
			CHECK(baseline_op_get(&B, (uint32_t)(e - B.edges), f[i + 2], 1,
					      (bits & 32) ? BASELINE_CANDIDATE : BASELINE_LEARNED, 1));
		bits = (uint8_t)(bits * 37 + 11);
	}
	for (unsigned flags = 0; flags < 4; flags++) {
		CHECK(graph_build(&g, &B, flags) == 0);
		t = graph_render(&g, GRAPH_YAML, &len);
		CHECK(t);
		x = graph_expect_parse(t, len, "g.yaml", err, sizeof(err));
		if (!x)
			fprintf(stderr, "%s\n---\n%s", err, t);
		CHECK(x);
		CHECK(graph_expect_edges(x) == g.n_edges);
		CHECK(graph_compare(x, &g, &d) == 0);
		CHECK(d.len == 0 && d.extra == 0 && d.missing == 0);
		graph_diff_free(&d);
		graph_expect_free(x);
		free(t);
		for (int fmt = GRAPH_DOT; fmt <= GRAPH_MERMAID; fmt++) {
			t = graph_render(&g, (enum graph_format)fmt, &len);
			CHECK(t);
			check_text(t, len);
			free(t);
		}
		graph_free(&g);
	}
}

/* A fixed graph to compare parsed files with. */
static void fixed_graph(void)
{
	static const char *const ends[][3] = {
		{ "gateway", "users", "GET /users/{id}" },
		{ "gateway", "orders", "GET /orders" },
		{ "users", "redis-server", "SET" },
		{ "10.0.0.9", "gateway", "GET /api" },
	};

	baseline_clear(&B);
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		struct alert_identity c = end_of(ends[i][0], i == 3), s = end_of(ends[i][1], 0);
		struct baseline_edge *e = baseline_edge_get(&B, &c, &s, i == 2 ? "redis" : "http",
							    (uint16_t)(8080 + i), 1, BASELINE_LEARNED, 1);

		CHECK(e);
		CHECK(baseline_op_get(&B, (uint32_t)(e - B.edges), ends[i][2], 1, BASELINE_LEARNED, 1));
	}
}

static void parse_and_compare(const uint8_t *data, size_t size, size_t err_len)
{
	char err[160], again[160];
	struct graph_expect *x, *y;
	struct graph_diff d;
	struct graph g;

	memset(err, CANARY, sizeof(err));
	x = graph_expect_parse((const char *)data, size, "f.yaml", err_len ? err : NULL, err_len);
	for (size_t i = err_len; i < sizeof(err); i++)
		CHECK((unsigned char)err[i] == CANARY);
	y = graph_expect_parse((const char *)data, size, "f.yaml", again, sizeof(again));
	CHECK(!x == !y);
	if (!x) {
		if (err_len) {
			CHECK(memchr(err, '\0', err_len));
			CHECK(!strncmp(err, "f.yaml", strnlen(err, 6)));
		}
		CHECK(!strncmp(again, "f.yaml:", 7));
		return;
	}
	CHECK(graph_expect_edges(x) == graph_expect_edges(y));
	fixed_graph();
	CHECK(graph_build(&g, &B, GRAPH_CANDIDATES) == 0);
	CHECK(graph_compare(x, &g, &d) == 0);
	check_diff(&d);
	graph_diff_free(&d);
	graph_free(&g);
	graph_expect_free(x);
	graph_expect_free(y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *fields[MAX_FIELDS];
	size_t n = 0, start;

	if (!B_ready) {
		CHECK(baseline_init(&B) == 0);
		B_ready = 1;
	}
	if (size < 2)
		return 0;
	parse_and_compare(data + 1, size - 1, data[0] % 128);
	/* fields are NUL-free: a label or an operation never holds one */
	start = 2;
	for (size_t i = 2; i <= size && n < MAX_FIELDS; i++) {
		if (i == size || data[i] == '\n' || data[i] == '\0') {
			fields[n] = malloc(i - start + 1);
			CHECK(fields[n]);
			memcpy(fields[n], data + start, i - start);
			fields[n][i - start] = '\0';
			n++;
			start = i + 1;
		}
	}
	round_trip(fields, n, data[1]);
	for (size_t i = 0; i < n; i++)
		free(fields[i]);
	return 0;
}
