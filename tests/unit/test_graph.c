// SPDX-License-Identifier: MIT
/* user/security/graph.c: the graph of a baseline (learned only or with
 * candidates, ports merged), the expect file and every parse error at its
 * line and column, the difference (exact text), and the exact YAML, DOT and
 * Mermaid of a small baseline; a baseline's YAML is an expect file it
 * passes, whatever its labels and operations hold. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graph.h"

#define ERR_LEN 512

static struct baseline B;

static void setup(void)
{
	cr_assert_eq(baseline_init(&B), 0);
}

static void teardown(void)
{
	baseline_free(&B);
}

static struct alert_identity svc(const char *service)
{
	struct alert_identity id;

	memset(&id, 0, sizeof(id));
	snprintf(id.service, sizeof(id.service), "%s", service);
	snprintf(id.exe, sizeof(id.exe), "python3");
	return id;
}

static struct alert_identity addr(const char *a)
{
	struct alert_identity id;

	memset(&id, 0, sizeof(id));
	snprintf(id.address, sizeof(id.address), "%s", a);
	return id;
}

/* An edge of that state with `calls` calls; returns its index. */
static uint32_t edge(struct alert_identity c, struct alert_identity s, const char *proto,
		     uint16_t port, uint8_t state, uint64_t calls)
{
	struct baseline_edge *e = baseline_edge_get(&B, &c, &s, proto, port, 1, state, 1);

	cr_assert_not_null(e);
	e->rates.calls = calls;
	return (uint32_t)(e - B.edges);
}

static void op(uint32_t e, const char *text, uint8_t state)
{
	cr_assert_not_null(baseline_op_get(&B, e, text, 1, state, 1));
}

/* gateway -> users, gateway -> orders, orders -> users (http), users ->
 * redis-server (redis), 10.0.0.9 -> gateway; a candidate users -> 1.2.3.4
 * and a candidate operation on gateway -> users. */
static void small_baseline(void)
{
	uint32_t e;

	e = edge(svc("gateway"), svc("users"), "http", 8080, BASELINE_LEARNED, 12);
	op(e, "GET /users/{id}", BASELINE_LEARNED);
	op(e, "GET /users", BASELINE_LEARNED);
	op(e, "DELETE /users/{id}", BASELINE_CANDIDATE);
	e = edge(svc("gateway"), svc("orders"), "http", 8081, BASELINE_LEARNED, 5);
	op(e, "GET /orders", BASELINE_LEARNED);
	e = edge(svc("orders"), svc("users"), "http", 8080, BASELINE_LEARNED, 1);
	op(e, "GET /users/{id}", BASELINE_LEARNED);
	e = edge(svc("users"), svc("redis-server"), "redis", 6379, BASELINE_LEARNED, 40);
	op(e, "SET", BASELINE_LEARNED);
	op(e, "GET", BASELINE_LEARNED);
	e = edge(addr("10.0.0.9"), svc("gateway"), "http", 8000, BASELINE_LEARNED, 7);
	op(e, "GET /api", BASELINE_LEARNED);
	e = edge(svc("users"), addr("1.2.3.4"), "http", 443, BASELINE_CANDIDATE, 2);
	op(e, "POST /exfil", BASELINE_CANDIDATE);
}

static char *render(unsigned flags, enum graph_format f)
{
	struct graph g;
	size_t len = 0;
	char *text;

	cr_assert_eq(graph_build(&g, &B, flags), 0);
	text = graph_render(&g, f, &len);
	cr_assert_not_null(text);
	cr_expect_eq(strlen(text), len);
	graph_free(&g);
	return text;
}

static struct graph_expect *parse(const char *text)
{
	char err[ERR_LEN] = "";
	struct graph_expect *x = graph_expect_parse(text, strlen(text), "e.yaml", err, sizeof(err));

	cr_assert_not_null(x, "unexpected error: %s", err);
	return x;
}

static void expect_error(const char *text, const char *want)
{
	char err[ERR_LEN];
	struct graph_expect *x;

	memset(err, 0xa5, sizeof(err));
	x = graph_expect_parse(text, strlen(text), "e.yaml", err, sizeof(err));
	cr_expect_null(x, "expected an error: %s", want);
	cr_expect_str_eq(err, want, "for:\n%s", text);
	graph_expect_free(x);
}

/* The difference between the expect text and the graph of B (flags). */
static void expect_diff(const char *expect, unsigned flags, const char *want, uint32_t extra,
			uint32_t missing)
{
	struct graph_expect *x = parse(expect);
	struct graph_diff d;
	struct graph g;

	cr_assert_eq(graph_build(&g, &B, flags), 0);
	cr_assert_eq(graph_compare(x, &g, &d), 0);
	cr_expect_str_eq(d.text, want, "for:\n%s", expect);
	cr_expect_eq(d.len, strlen(want));
	cr_expect_eq(d.extra, extra);
	cr_expect_eq(d.missing, missing);
	graph_diff_free(&d);
	graph_free(&g);
	graph_expect_free(x);
}

TestSuite(graph, .init = setup, .fini = teardown);

Test(graph, build_learned_only)
{
	struct graph g;

	small_baseline();
	cr_assert_eq(graph_build(&g, &B, 0), 0);
	cr_assert_eq(g.n_edges, 5);
	cr_expect_str_eq(g.edges[0].from, "10.0.0.9");
	cr_expect(g.edges[0].from_address);
	cr_expect_not(g.edges[0].to_address);
	cr_expect_str_eq(g.edges[1].to, "orders");
	cr_expect_str_eq(g.edges[2].to, "users");
	cr_expect_eq(g.edges[2].port, 8080);
	cr_expect_eq(g.edges[2].calls, 12);
	cr_assert_eq(g.edges[2].op_count, 2);
	cr_expect_str_eq(g.ops[g.edges[2].op_first], "GET /users");
	cr_expect_str_eq(g.ops[g.edges[2].op_first + 1], "GET /users/{id}");
	cr_expect_eq(g.n_ops, 7);
	graph_free(&g);

	cr_assert_eq(graph_build(&g, &B, GRAPH_CANDIDATES), 0);
	cr_expect_eq(g.n_edges, 6);
	cr_expect_eq(g.n_ops, 9);
	cr_expect_eq(g.edges[2].op_count, 3);
	cr_expect_str_eq(g.ops[g.edges[2].op_first], "DELETE /users/{id}");
	cr_expect_str_eq(g.edges[4].to, "1.2.3.4");
	cr_expect(g.edges[4].candidate);
	cr_expect_not(g.edges[5].candidate);
	graph_free(&g);
}

Test(graph, build_merges_ends_and_ports)
{
	struct alert_identity other = svc("users");
	struct graph g;
	uint32_t e;

	/* the same labels: another namespace, another port, the same operation */
	snprintf(other.k8s_namespace, sizeof(other.k8s_namespace), "staging");
	e = edge(svc("gateway"), svc("users"), "http", 8080, BASELINE_LEARNED, 3);
	op(e, "GET /users", BASELINE_LEARNED);
	e = edge(svc("gateway"), other, "http", 8080, BASELINE_LEARNED, 4);
	op(e, "GET /users", BASELINE_LEARNED);
	op(e, "POST /users", BASELINE_LEARNED);
	e = edge(svc("gateway"), svc("users"), "http", 9090, BASELINE_CANDIDATE, 5);
	op(e, "GET /health", BASELINE_CANDIDATE);

	cr_assert_eq(graph_build(&g, &B, GRAPH_CANDIDATES), 0);
	cr_assert_eq(g.n_edges, 2);
	cr_expect_eq(g.edges[0].calls, 7);
	cr_expect_eq(g.edges[0].op_count, 2);
	cr_expect_eq(g.edges[1].port, 9090);
	cr_expect(g.edges[1].candidate);
	graph_free(&g);

	cr_assert_eq(graph_build(&g, &B, GRAPH_CANDIDATES | GRAPH_NO_PORTS), 0);
	cr_assert_eq(g.n_edges, 1);
	cr_expect_eq(g.edges[0].port, 0);
	cr_expect_eq(g.edges[0].calls, 12);
	cr_expect_not(g.edges[0].candidate);
	cr_assert_eq(g.edges[0].op_count, 3);
	cr_expect_str_eq(g.ops[0], "GET /health");
	cr_expect_str_eq(g.ops[1], "GET /users");
	cr_expect_str_eq(g.ops[2], "POST /users");
	graph_free(&g);
}

Test(graph, empty_baseline)
{
	char *t = render(0, GRAPH_YAML);

	cr_expect_str_eq(t, "version: 1\nedges: []\n");
	free(t);
	t = render(0, GRAPH_DOT);
	cr_expect_str_eq(t, "digraph zerotrace {\n  rankdir=LR;\n  node [shape=box];\n}\n");
	free(t);
	t = render(0, GRAPH_MERMAID);
	cr_expect_str_eq(t, "flowchart LR\n");
	free(t);
	expect_diff("version: 1\nedges: []\n", 0, "", 0, 0);
}

Test(graph, yaml)
{
	char *t;

	small_baseline();
	t = render(0, GRAPH_YAML);
	cr_expect_str_eq(t,
			 "version: 1\n"
			 "edges:\n"
			 "  - from: \"10.0.0.9\"\n"
			 "    to: \"gateway\"\n"
			 "    protocol: \"http\"\n"
			 "    port: 8000\n"
			 "    operations:\n"
			 "      - \"GET /api\"\n"
			 "    required: true\n"
			 "  - from: \"gateway\"\n"
			 "    to: \"orders\"\n"
			 "    protocol: \"http\"\n"
			 "    port: 8081\n"
			 "    operations:\n"
			 "      - \"GET /orders\"\n"
			 "    required: true\n"
			 "  - from: \"gateway\"\n"
			 "    to: \"users\"\n"
			 "    protocol: \"http\"\n"
			 "    port: 8080\n"
			 "    operations:\n"
			 "      - \"GET /users\"\n"
			 "      - \"GET /users/{id}\"\n"
			 "    required: true\n"
			 "  - from: \"orders\"\n"
			 "    to: \"users\"\n"
			 "    protocol: \"http\"\n"
			 "    port: 8080\n"
			 "    operations:\n"
			 "      - \"GET /users/{id}\"\n"
			 "    required: true\n"
			 "  - from: \"users\"\n"
			 "    to: \"redis-server\"\n"
			 "    protocol: \"redis\"\n"
			 "    port: 6379\n"
			 "    operations:\n"
			 "      - \"GET\"\n"
			 "      - \"SET\"\n"
			 "    required: true\n");
	free(t);
}

Test(graph, yaml_no_ports_and_no_operations)
{
	char *t;

	edge(svc("a"), svc("b"), "", 5000, BASELINE_LEARNED, 1);
	t = render(GRAPH_NO_PORTS, GRAPH_YAML);
	cr_expect_str_eq(t,
			 "version: 1\n"
			 "edges:\n"
			 "  - from: \"a\"\n"
			 "    to: \"b\"\n"
			 "    operations: []\n"
			 "    required: true\n");
	free(t);
}

Test(graph, dot)
{
	char *t;

	small_baseline();
	t = render(GRAPH_CANDIDATES, GRAPH_DOT);
	cr_expect_str_eq(t,
			 "digraph zerotrace {\n"
			 "  rankdir=LR;\n"
			 "  node [shape=box];\n"
			 "  \"1.2.3.4\" [shape=ellipse];\n"
			 "  \"10.0.0.9\" [shape=ellipse];\n"
			 "  \"gateway\";\n"
			 "  \"orders\";\n"
			 "  \"redis-server\";\n"
			 "  \"users\";\n"
			 "  \"10.0.0.9\" -> \"gateway\" [label=\"http:8000\\n7 calls\"];\n"
			 "  \"gateway\" -> \"orders\" [label=\"http:8081\\n5 calls\"];\n"
			 "  \"gateway\" -> \"users\" [label=\"http:8080\\n12 calls\"];\n"
			 "  \"orders\" -> \"users\" [label=\"http:8080\\n1 call\"];\n"
			 "  \"users\" -> \"1.2.3.4\" [label=\"http:443\\n2 calls\", style=dashed];\n"
			 "  \"users\" -> \"redis-server\" [label=\"redis:6379\\n40 calls\"];\n"
			 "}\n");
	free(t);
}

Test(graph, mermaid)
{
	char *t;

	small_baseline();
	t = render(GRAPH_CANDIDATES | GRAPH_NO_PORTS, GRAPH_MERMAID);
	cr_expect_str_eq(t,
			 "flowchart LR\n"
			 "  n0([\"1.2.3.4\"])\n"
			 "  n1([\"10.0.0.9\"])\n"
			 "  n2[\"gateway\"]\n"
			 "  n3[\"orders\"]\n"
			 "  n4[\"redis-server\"]\n"
			 "  n5[\"users\"]\n"
			 "  n1 -->|\"http, 7 calls\"| n2\n"
			 "  n2 -->|\"http, 5 calls\"| n3\n"
			 "  n2 -->|\"http, 12 calls\"| n5\n"
			 "  n3 -->|\"http, 1 call\"| n5\n"
			 "  n5 -.->|\"http, 2 calls\"| n0\n"
			 "  n5 -->|\"redis, 40 calls\"| n4\n");
	free(t);
}

Test(graph, escaping_dot_and_mermaid)
{
	char *t;

	edge(svc("a\"b\\c"), svc("x<y>&#|`z\x01\xff"), "", 0, BASELINE_LEARNED, 0);
	t = render(0, GRAPH_DOT);
	cr_expect_str_eq(t,
			 "digraph zerotrace {\n"
			 "  rankdir=LR;\n"
			 "  node [shape=box];\n"
			 "  \"a\\\"b\\\\c\";\n"
			 "  \"x<y>&#|`z??\";\n"
			 "  \"a\\\"b\\\\c\" -> \"x<y>&#|`z??\" [label=\"tcp\\n0 calls\"];\n"
			 "}\n");
	free(t);
	t = render(0, GRAPH_MERMAID);
	cr_expect_str_eq(t,
			 "flowchart LR\n"
			 "  n0[\"a#34;b\\c\"]\n"
			 "  n1[\"x#60;y#62;#38;#35;#124;#96;z??\"]\n"
			 "  n0 -->|\"tcp, 0 calls\"| n1\n");
	free(t);
}

Test(graph, yaml_escaping)
{
	char *t;

	edge(svc("svc*?[a]\\\"q\""), svc("caf\xc3\xa9\x7f"), "http", 80, BASELINE_LEARNED, 1);
	op(0, "GET /a\tb\xe2\x80\xa8\xc2\x85\xef\xbb\xbf\xff", BASELINE_LEARNED);
	t = render(0, GRAPH_YAML);
	cr_expect_str_eq(t,
			 "version: 1\n"
			 "edges:\n"
			 "  - from: \"svc\\\\*\\\\?\\\\[a]\\\\\\\\\\\"q\\\"\"\n"
			 "    to: \"caf\xc3\xa9\\x7F\"\n"
			 "    protocol: \"http\"\n"
			 "    port: 80\n"
			 "    operations:\n"
			 "      - \"GET /a\\x09b\\u2028\\u0085\\uFEFF?\"\n"
			 "    required: true\n");
	free(t);
}

/* The YAML of a baseline is an expect file that its graph passes. */
static void expect_round_trip(unsigned flags)
{
	struct graph_expect *x;
	struct graph_diff d;
	struct graph g;
	char *t = render(flags, GRAPH_YAML);

	x = parse(t);
	cr_assert_eq(graph_build(&g, &B, flags), 0);
	cr_expect_eq(graph_expect_edges(x), g.n_edges);
	cr_assert_eq(graph_compare(x, &g, &d), 0);
	cr_expect_str_eq(d.text, "", "for:\n%s", t);
	graph_diff_free(&d);
	graph_free(&g);
	graph_expect_free(x);
	free(t);
}

Test(graph, round_trip)
{
	uint32_t e;

	small_baseline();
	e = edge(svc("svc*?[a]\\\"q\""), svc("caf\xc3\xa9\x7f"), "http", 80, BASELINE_LEARNED, 1);
	op(e, "GET /a\tb\xe2\x80\xa8\xc2\x85\xef\xbb\xbf\xff", BASELINE_LEARNED);
	op(e, "[x]*", BASELINE_LEARNED);
	op(e, "", BASELINE_LEARNED);
	op(e, "null", BASELINE_LEARNED);
	e = edge(svc(""), addr("::1"), "mariadb", 3306, BASELINE_LEARNED, 1);
	op(e, "SELECT", BASELINE_LEARNED);
	expect_round_trip(0);
	expect_round_trip(GRAPH_CANDIDATES);
	expect_round_trip(GRAPH_NO_PORTS);
}

static const char *const GOOD =
	"version: 1\n"
	"edges:\n"
	"  - from: \"10.0.*\"\n"
	"    to: gateway\n"
	"  - from: gateway\n"
	"    to: users\n"
	"    protocol: http\n"
	"    port: 8080\n"
	"    operations: [\"GET /users*\"]\n"
	"    required_operations: GET /users/{id}\n"
	"  - from: gateway\n"
	"    to: orders\n"
	"  - from: orders\n"
	"    to: users\n"
	"    operations: [\"GET /users/{id}\"]\n"
	"  - from: users\n"
	"    to: redis-server\n"
	"    protocol: redis\n"
	"    operations: [GET, SET]\n"
	"  - from: \"*\"\n"
	"    to: payments\n"
	"    required: false\n";

Test(graph, compare_match)
{
	small_baseline();
	expect_diff(GOOD, 0, "", 0, 0);
}

Test(graph, compare_extra_edge_and_candidates)
{
	small_baseline();
	expect_diff(GOOD, GRAPH_CANDIDATES,
		    "+ operation gateway -> users http port 8080: DELETE /users/{id}\n"
		    "+ edge users -> 1.2.3.4 http port 443\n"
		    "+ operation users -> 1.2.3.4 http port 443: POST /exfil\n",
		    3, 0);
}

Test(graph, compare_missing)
{
	small_baseline();
	expect_diff("version: 1\n"
		    "edges:\n"
		    "  - from: \"*\"\n"
		    "    to: \"*\"\n"
		    "  - from: gateway\n"
		    "    to: payments\n"
		    "    protocol: http\n"
		    "    port: 9000\n"
		    "  - from: gateway\n"
		    "    to: users\n"
		    "    protocol: http\n"
		    "    required_operations: [\"GET /users\", \"PUT /users/*\", \"GET /users/*\"]\n"
		    "  - from: gateway\n"
		    "    to: users\n"
		    "    port: 9999\n"
		    "    required: false\n"
		    "    required_operations: [\"POST /never\"]\n"
		    "  - from: users\n"
		    "    to: redis-server\n"
		    "    protocol: postgresql\n",
		    0,
		    "- edge gateway -> payments http port 9000\n"
		    "- operation gateway -> users http: PUT /users/*\n"
		    "- edge users -> redis-server postgresql\n",
		    0, 3);
}

Test(graph, compare_operations)
{
	small_baseline();
	/* an operation is allowed when ANY matching expected edge allows it;
	 * one without `operations` allows all; `operations: []` none */
	expect_diff("version: 1\n"
		    "edges:\n"
		    "  - from: gateway\n"
		    "    to: users\n"
		    "    operations: \"GET /users\"\n"
		    "  - from: gateway\n"
		    "    to: \"u*\"\n"
		    "    operations: []\n"
		    "    required_operations: [\"GET /users/{id}\"]\n"
		    "  - from: \"*\"\n"
		    "    to: \"*\"\n"
		    "    protocol: redis\n"
		    "    operations: [\"G*\"]\n"
		    "  - from: users\n"
		    "    to: redis-server\n"
		    "    protocol: redis\n"
		    "    port: 6379\n"
		    "    operations: []\n"
		    "  - from: \"*\"\n"
		    "    to: \"*\"\n"
		    "    protocol: http\n"
		    "    operations: [\"GET /a*\", \"GET /orders\"]\n",
		    0,
		    "+ operation orders -> users http port 8080: GET /users/{id}\n"
		    "+ operation users -> redis-server redis port 6379: SET\n",
		    2, 0);
}

Test(graph, compare_diff_escapes_controls)
{
	uint32_t e = edge(svc("a\nb"), svc("c"), "http", 1, BASELINE_LEARNED, 1);

	op(e, "GET /\x1b[31m", BASELINE_LEARNED);
	expect_diff("version: 1\nedges: []\n", 0,
		    "+ edge a\\x0Ab -> c http port 1\n"
		    "+ operation a\\x0Ab -> c http port 1: GET /\\x1B[31m\n",
		    2, 0);
}

Test(graph, parse_ok)
{
	struct graph_expect *x = parse("# a comment\n"
				       "version: 1\n"
				       "edges:\n"
				       "  - {from: a, to: b, protocol: mariadb, port: 65535, required: FALSE}\n"
				       "  - from: \"\"\n"
				       "    to: 'c'\n"
				       "    port: \"1\"\n"
				       "    operations: []\n"
				       "    required: True\n");

	cr_expect_eq(graph_expect_edges(x), 2);
	graph_expect_free(x);
	x = parse("version: 1\n");
	cr_expect_eq(graph_expect_edges(x), 0);
	graph_expect_free(x);
}

Test(graph, parse_errors)
{
	expect_error("version: 2\nedges: []\n", "e.yaml:1:10: version: must be 1 (got '2')");
	expect_error("edges: []\n", "e.yaml:1:1: version: missing (this is version 1)");
	expect_error("", "e.yaml:1:1: version: missing (this is version 1)");
	expect_error("version: 1\nversion: 1\n", "e.yaml:2:1: version: given twice");
	expect_error("version: 1\nnodes: []\n", "e.yaml:2:1: nodes: unknown key (version, edges)");
	expect_error("- a\n",
		     "e.yaml:1:1: an expect file must be a mapping (version, edges), not a list");
	expect_error("version: 1\nedges: {}\n",
		     "e.yaml:2:8: edges: must be a list of edges (edges: [] for none), not a mapping");
	expect_error("version: 1\nedges:\n  - a\n",
		     "e.yaml:3:5: edges: each edge must be a mapping (from, to, ...), not a value");
	expect_error("version: 1\nedges:\n  - from: a\n", "e.yaml:3:5: to: missing (every edge has one)");
	expect_error("version: 1\nedges:\n  - to: a\n", "e.yaml:3:5: from: missing (every edge has one)");
	expect_error("version: 1\nedges:\n  - from:\n    to: b\n", "e.yaml:3:10: from: missing value");
	expect_error("version: 1\nedges:\n  - from: [a]\n    to: b\n",
		     "e.yaml:3:11: from: must be a value, not a list");
	expect_error("version: 1\nedges:\n  - from: a\n    to: b\n    port: 0\n",
		     "e.yaml:5:11: port: must be a number 1..65535 (got '0')");
	expect_error("version: 1\nedges:\n  - from: a\n    to: b\n    port: 65536\n",
		     "e.yaml:5:11: port: must be a number 1..65535 (got '65536')");
	expect_error("version: 1\nedges:\n  - from: a\n    to: b\n    port: http\n",
		     "e.yaml:5:11: port: must be a number 1..65535 (got 'http')");
	expect_error("version: 1\nedges:\n  - from: a\n    to: b\n    protocol: HTTP\n",
		     "e.yaml:5:15: protocol: must be a protocol name as alerts show it (http, redis, "
		     "postgresql, mysql, mariadb; got 'HTTP')");
	expect_error("version: 1\nedges:\n  - from: a\n    to: b\n    form: c\n",
		     "e.yaml:5:5: form: unknown key of an edge (from, to, protocol, port, operations, "
		     "required_operations, required)");
	expect_error("version: 1\nedges:\n  - from: a\n    to: b\n    from: c\n",
		     "e.yaml:5:5: from: given twice");
	expect_error("version: 1\nedges:\n  - from: a\n    to: b\n    operations: {a: b}\n",
		     "e.yaml:5:17: operations: must be a pattern or a list of patterns, not a mapping");
	expect_error("version: 1\nedges:\n  - from: a\n    to: b\n    required_operations: [[a]]\n",
		     "e.yaml:5:27: required_operations: must be a value, not a list");
	expect_error("version: 1\nedges:\n  - from: a\n    to: b\n    required: maybe\n",
		     "e.yaml:5:15: required: must be true or false (got 'maybe')");
	expect_error("version: 1\nedges:\n  - from: \"a\n",
		     "e.yaml:4:1: invalid YAML: found unexpected end of stream (while scanning a quoted scalar)");
	expect_error("version: 1\nedges: []\n---\nversion: 1\n",
		     "e.yaml:3:1: only one document is read: remove the second '---'");
	expect_error("version: 1\nedges:\n  - from: &x a\n    to: *x\n",
		     "e.yaml:4:9: aliases (*x) are not supported: write the value out");
	expect_error("version: 1\nedges:\n  - from: \"a\\0b\"\n    to: b\n",
		     "e.yaml:3:11: from: must not hold a NUL character");
}

Test(graph, parse_limits)
{
	size_t cap = 64 + (GRAPH_PATTERN_MAX + 2) * 2, n;
	char *text = malloc(cap);

	cr_assert_not_null(text);
	n = (size_t)snprintf(text, cap, "version: 1\nedges:\n  - from: ");
	memset(text + n, 'a', GRAPH_PATTERN_MAX + 1);
	n += GRAPH_PATTERN_MAX + 1;
	snprintf(text + n, cap - n, "\n    to: b\n");
	expect_error(text, "e.yaml:3:11: from: longer than 576 bytes");
	free(text);
}

Test(graph, load)
{
	char err[ERR_LEN];
	char path[] = "/tmp/zt-test-graph-XXXXXX";
	int fd = mkstemp(path);
	struct graph_expect *x;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, GOOD, strlen(GOOD)), (ssize_t)strlen(GOOD));
	close(fd);
	x = graph_expect_load(path, err, sizeof(err));
	cr_assert_not_null(x, "%s", err);
	cr_expect_eq(graph_expect_edges(x), 6);
	graph_expect_free(x);
	unlink(path);
	x = graph_expect_load(path, err, sizeof(err));
	cr_expect_null(x);
	cr_expect(strstr(err, ": cannot read: No such file or directory") != NULL, "%s", err);
}

Test(graph, format_names)
{
	enum graph_format f;

	cr_expect_eq(graph_format_of("yaml", &f), 0);
	cr_expect_eq(f, GRAPH_YAML);
	cr_expect_eq(graph_format_of("dot", &f), 0);
	cr_expect_eq(f, GRAPH_DOT);
	cr_expect_eq(graph_format_of("mermaid", &f), 0);
	cr_expect_eq(f, GRAPH_MERMAID);
	cr_expect_eq(graph_format_of("svg", &f), -1);
}
