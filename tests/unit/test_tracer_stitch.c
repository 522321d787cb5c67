// SPDX-License-Identifier: MIT
/*
 * Trace stitching through the whole user-space pipeline: synthetic
 * ring-buffer records (as in test_tracer.c) from several processes on one
 * node go through tracer_handle_event, optionally through the reorder
 * window first, and the exported spans must form the right tree.
 *
 * The tracer alone is order-sensitive: a SERVER span's ids are decided when
 * its request head is parsed, so the CLIENT span it joins (rule 2) must have
 * been seen first. The ring buffer does not promise that order; the reorder
 * window (reorder_event_key) restores it. Both facts are pinned below.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "events.h"
#include "reorder.h"
#include "sampler.h"
#include "tracer.h"
#include "span_attrs_check.h"
#include "test_stream.h"

/* pids at and above PID_MAX_LIMIT: procinfo never finds a real process */
#define TRS_PID_A 4194304u
#define TRS_PID_B 4194305u
#define TRS_PID_C 4194306u
#define TRS_PID_B2 4194307u
#define TRS_SPANS_MAX 32

struct trs_sink {
	struct span spans[TRS_SPANS_MAX];
	uint32_t n;
};

static void trs_record_span(void *ctx, const struct span *s)
{
	struct trs_sink *k = ctx;

	cr_assert_lt(k->n, TRS_SPANS_MAX);
	k->spans[k->n++] = *s;
}

union trs_record {
	struct zt_event e;
	uint8_t bytes[sizeof(struct zt_event) + ZT_CAPTURE_MAX + 64];
};

/* One end of a connection, as one process sees it. */
struct trs_end {
	uint64_t conn_id;
	uint32_t pid;
	uint8_t role;
	struct zt_conn_tuple tuple;
};

static struct trs_end trs_end(uint64_t conn_id, uint32_t pid, uint8_t role, const char *local,
			      uint16_t lport, const char *remote, uint16_t rport)
{
	struct trs_end x;

	memset(&x, 0, sizeof(x));
	x.conn_id = conn_id;
	x.pid = pid;
	x.role = role;
	x.tuple.family = AF_INET;
	cr_assert_eq(inet_pton(AF_INET, local, x.tuple.local_addr), 1);
	cr_assert_eq(inet_pton(AF_INET, remote, x.tuple.remote_addr), 1);
	x.tuple.local_port = lport;
	x.tuple.remote_port = rport;
	return x;
}

/* A fully captured DATA record from one end. */
static void trs_build(union trs_record *r, const struct trs_end *x, uint8_t dir,
		      uint64_t ts_enter, uint64_t ts_exit, uint32_t tid, const char *payload)
{
	size_t n = strlen(payload);

	cr_assert_leq(n, ZT_CAPTURE_MAX);
	memset(r, 0, sizeof(*r));
	r->e.type = ZT_EV_DATA;
	r->e.syscall = dir == ZT_DIR_INGRESS ? ZT_SYS_READ : ZT_SYS_WRITE;
	r->e.conn_id = x->conn_id;
	r->e.role = x->role;
	r->e.dir = dir;
	r->e.ts_enter_ns = ts_enter;
	r->e.ts_exit_ns = ts_exit;
	r->e.pid = x->pid;
	r->e.tid = tid;
	r->e.fd = 5;
	memcpy(r->e.comm, "svc", 4);
	r->e.tuple = x->tuple;
	r->e.proto = ZT_PROTO_HTTP1;
	r->e.cap_len = (uint32_t)n;
	r->e.bytes = (int64_t)n;
	memcpy(r->bytes + sizeof(r->e), payload, n);
}

static size_t trs_size(const union trs_record *r)
{
	return sizeof(r->e) + r->e.cap_len;
}

static void trs_feed(struct tracer *t, const union trs_record *r)
{
	union trs_record stamped = *r;

	test_stream_stamp(&stamped.e);
	cr_assert_eq(tracer_handle_event(t, &stamped, trs_size(&stamped)), 0);
}

static void trs_data(struct tracer *t, const struct trs_end *x, uint8_t dir, uint64_t ts_enter,
		     uint64_t ts_exit, uint32_t tid, const char *payload)
{
	union trs_record r;

	trs_build(&r, x, dir, ts_enter, ts_exit, tid, payload);
	trs_feed(t, &r);
}

static void trs_conn_event(struct tracer *t, const struct trs_end *x, uint16_t type,
			   uint32_t tid, uint64_t ts)
{
	union trs_record r;

	memset(&r, 0, sizeof(r));
	r.e.type = type;
	r.e.syscall = type == ZT_EV_ACCEPT ? ZT_SYS_ACCEPT4 : ZT_SYS_CONNECT;
	r.e.conn_id = x->conn_id;
	r.e.role = x->role;
	r.e.ts_enter_ns = ts;
	r.e.ts_exit_ns = ts + 5;
	r.e.pid = x->pid;
	r.e.tid = tid;
	r.e.fd = 6;
	memcpy(r.e.comm, "svc", 4);
	r.e.tuple = x->tuple;
	trs_feed(t, &r);
}

static struct tracer *trs_new(struct trs_sink *sink)
{
	struct zt_config cfg;
	struct tracer *t;

	memset(sink, 0, sizeof(*sink));
	config_defaults(&cfg);
	cfg.max_conns = 64;
	t = tracer_new(&cfg, trs_record_span, sink);
	cr_assert_not_null(t);
	tracer_tick(t, 0, 0);
	return t;
}

static struct tracer_stats trs_stats(const struct tracer *t)
{
	struct tracer_stats s;

	tracer_get_stats(t, &s);
	return s;
}

/* The one span of that kind and path. */
static const struct span *trs_span(const struct trs_sink *k, uint8_t kind, const char *path)
{
	const struct span *found = NULL;

	for (uint32_t i = 0; i < k->n; i++) {
		if (k->spans[i].kind == kind &&
		    !strcmp(sa_str(&k->spans[i].attrs, "url.path"), path)) {
			cr_assert_null(found, "two %s spans for %s", kind == SPAN_KIND_SERVER ?
				       "SERVER" : "CLIENT", path);
			found = &k->spans[i];
		}
	}
	cr_assert_not_null(found, "no %s span for %s",
			   kind == SPAN_KIND_SERVER ? "SERVER" : "CLIENT", path);
	return found;
}

/* "%s %s" of a span: its method and path, for messages */
#define TRS_WHAT(s) sa_str(&(s)->attrs, "http.request.method"), sa_str(&(s)->attrs, "url.path")

static void trs_expect_root(const struct span *s)
{
	cr_expect_eq(s->has_parent, 0, "%s %s has a parent", TRS_WHAT(s));
}

static void trs_expect_child_of(const struct span *child, const struct span *parent)
{
	cr_expect_eq(child->has_parent, 1, "%s %s: no parent", TRS_WHAT(child));
	cr_expect_arr_eq(child->trace_id, parent->trace_id, 16, "%s %s: other trace",
			 TRS_WHAT(child));
	cr_expect_arr_eq(child->parent_span_id, parent->span_id, 8, "%s %s: wrong parent",
			 TRS_WHAT(child));
}

static void trs_hex(uint8_t *out, const char *hex, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

#define TRS_OK "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

/* ---- rule 2 through the tracer, and ordering ----------------------------- */

/* Client A (10.0.0.2:50000) calls server B (10.0.0.1:8080), one node. */
struct trs_pair {
	struct trs_end cli, srv;
	union trs_record rec[4]; /* in causal order */
};

static void trs_pair_init(struct trs_pair *p)
{
	p->cli = trs_end(1, TRS_PID_A, ZT_ROLE_CLIENT, "10.0.0.2", 50000, "10.0.0.1", 8080);
	p->srv = trs_end(2, TRS_PID_B, ZT_ROLE_SERVER, "10.0.0.1", 8080, "10.0.0.2", 50000);
	/* client write [1000,1100]; server read blocked since 900, returns 1200;
	 * server write [2000,2100]; client read blocked since 1150, returns 2200 */
	trs_build(&p->rec[0], &p->cli, ZT_DIR_EGRESS, 1000, 1100, 11,
		  "GET /pair HTTP/1.1\r\nHost: b\r\n\r\n");
	trs_build(&p->rec[1], &p->srv, ZT_DIR_INGRESS, 900, 1200, 21,
		  "GET /pair HTTP/1.1\r\nHost: b\r\n\r\n");
	trs_build(&p->rec[2], &p->srv, ZT_DIR_EGRESS, 2000, 2100, 21, TRS_OK);
	trs_build(&p->rec[3], &p->cli, ZT_DIR_INGRESS, 1150, 2200, 11, TRS_OK);
}

Test(tracer_stitch, client_then_server_share_a_trace)
{
	static struct trs_sink sink;
	static struct trs_pair p;
	struct tracer *t = trs_new(&sink);
	const struct span *c, *s;

	trs_pair_init(&p);
	for (int i = 0; i < 4; i++)
		trs_feed(t, &p.rec[i]);
	cr_assert_eq(sink.n, 2);
	c = trs_span(&sink, SPAN_KIND_CLIENT, "/pair");
	s = trs_span(&sink, SPAN_KIND_SERVER, "/pair");
	trs_expect_root(c);
	trs_expect_child_of(s, c);
	cr_expect_eq(s->pid, TRS_PID_B);
	cr_expect_eq(c->pid, TRS_PID_A);
	cr_expect_eq(trs_stats(t).stitch.by_rule[STITCH_CONNECTION], 1);
	cr_expect_eq(trs_stats(t).stitch.by_rule[STITCH_NEW_TRACE], 1);
	tracer_free(t);
}

/* The tracer alone does not reorder: server records first give two traces. */
Test(tracer_stitch, server_records_first_without_the_window_break_the_join)
{
	static struct trs_sink sink;
	static struct trs_pair p;
	static const int ring_order[4] = { 1, 2, 0, 3 };
	struct tracer *t = trs_new(&sink);
	const struct span *c, *s;

	trs_pair_init(&p);
	for (int i = 0; i < 4; i++)
		trs_feed(t, &p.rec[ring_order[i]]);
	cr_assert_eq(sink.n, 2);
	c = trs_span(&sink, SPAN_KIND_CLIENT, "/pair");
	s = trs_span(&sink, SPAN_KIND_SERVER, "/pair");
	trs_expect_root(s);
	trs_expect_root(c);
	cr_expect_neq(memcmp(s->trace_id, c->trace_id, 16), 0);
	cr_expect_eq(trs_stats(t).stitch.by_rule[STITCH_CONNECTION], 0);
	tracer_free(t);
}

/* Ring order -> reorder window (keyed by reorder_event_key) -> tracer. */
static void trs_through_window(struct tracer *t, union trs_record *recs, const int *ring_order,
			       int n)
{
	struct reorder *w = reorder_new(sizeof(union trs_record), 16, 0, 0);
	const void *rec;
	size_t len;

	cr_assert_not_null(w);
	for (int i = 0; i < n; i++) {
		const union trs_record *r = &recs[ring_order[i]];

		cr_assert_eq(reorder_push(w, reorder_event_key(r, trs_size(r)), r, trs_size(r)), 0);
	}
	while ((rec = reorder_pop(w, UINT64_MAX, &len)))
		cr_assert_eq(tracer_handle_event(t, rec, len), 0);
	reorder_free(w);
}

Test(tracer_stitch, server_records_first_through_the_window_join)
{
	static struct trs_sink sink;
	static struct trs_pair p;
	static const int ring_order[4] = { 1, 2, 0, 3 };
	struct tracer *t = trs_new(&sink);
	const struct span *c, *s;

	trs_pair_init(&p);
	trs_through_window(t, p.rec, ring_order, 4);
	cr_assert_eq(sink.n, 2);
	c = trs_span(&sink, SPAN_KIND_CLIENT, "/pair");
	s = trs_span(&sink, SPAN_KIND_SERVER, "/pair");
	trs_expect_root(c);
	trs_expect_child_of(s, c);
	cr_expect_eq(s->start_unix_ns, 1200);
	cr_expect_eq(c->start_unix_ns, 1000);
	tracer_free(t);
}

Test(tracer_stitch, ipv4_client_and_v4_mapped_server_join)
{
	static struct trs_sink sink;
	struct tracer *t = trs_new(&sink);
	struct trs_end cli = trs_end(1, TRS_PID_A, ZT_ROLE_CLIENT, "10.0.0.2", 50000, "10.0.0.1",
				     8080);
	struct trs_end srv = cli;
	const struct span *c, *s;

	srv.conn_id = 2;
	srv.pid = TRS_PID_B;
	srv.role = ZT_ROLE_SERVER;
	srv.tuple.family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:10.0.0.1", srv.tuple.local_addr);
	inet_pton(AF_INET6, "::ffff:10.0.0.2", srv.tuple.remote_addr);
	srv.tuple.local_port = 8080;
	srv.tuple.remote_port = 50000;

	trs_data(t, &cli, ZT_DIR_EGRESS, 1000, 1100, 11, "GET /v6 HTTP/1.1\r\n\r\n");
	trs_data(t, &srv, ZT_DIR_INGRESS, 900, 1200, 21, "GET /v6 HTTP/1.1\r\n\r\n");
	trs_data(t, &srv, ZT_DIR_EGRESS, 2000, 2100, 21, TRS_OK);
	trs_data(t, &cli, ZT_DIR_INGRESS, 1150, 2200, 11, TRS_OK);
	c = trs_span(&sink, SPAN_KIND_CLIENT, "/v6");
	s = trs_span(&sink, SPAN_KIND_SERVER, "/v6");
	trs_expect_child_of(s, c);
	tracer_free(t);
}

Test(tracer_stitch, keepalive_requests_each_join_their_own_client)
{
	static struct trs_sink sink;
	struct tracer *t = trs_new(&sink);
	struct trs_end cli = trs_end(1, TRS_PID_A, ZT_ROLE_CLIENT, "10.0.0.2", 50000, "10.0.0.1",
				     8080);
	struct trs_end srv = trs_end(2, TRS_PID_B, ZT_ROLE_SERVER, "10.0.0.1", 8080, "10.0.0.2",
				     50000);

	for (uint64_t i = 0; i < 3; i++) {
		char req[64], path[8];
		uint64_t b = 10000 * (i + 1);

		snprintf(path, sizeof(path), "/k%u", (unsigned)i);
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n\r\n", path);
		trs_data(t, &cli, ZT_DIR_EGRESS, b, b + 100, 11, req);
		trs_data(t, &srv, ZT_DIR_INGRESS, b - 50, b + 200, 21, req);
		trs_data(t, &srv, ZT_DIR_EGRESS, b + 1000, b + 1100, 21, TRS_OK);
		trs_data(t, &cli, ZT_DIR_INGRESS, b + 150, b + 1200, 11, TRS_OK);
		trs_expect_child_of(trs_span(&sink, SPAN_KIND_SERVER, path),
				    trs_span(&sink, SPAN_KIND_CLIENT, path));
	}
	cr_expect_eq(sink.n, 6);
	tracer_free(t);
}

/* ---- three hops ---------------------------------------------------------- */

/*
 * A -> B -> C on one node. B's thread 21 reads A's request, calls C, then
 * answers A. Records in causal order, numbered for the shuffled variant.
 */
struct trs_chain {
	struct trs_end a_cli, b_srv, b_cli, c_srv;
	union trs_record rec[8];
};

static void trs_chain_init(struct trs_chain *ch)
{
	ch->a_cli = trs_end(1, TRS_PID_A, ZT_ROLE_CLIENT, "10.0.0.2", 50000, "10.0.0.1", 8080);
	ch->b_srv = trs_end(2, TRS_PID_B, ZT_ROLE_SERVER, "10.0.0.1", 8080, "10.0.0.2", 50000);
	ch->b_cli = trs_end(3, TRS_PID_B, ZT_ROLE_CLIENT, "10.0.0.1", 40000, "10.0.0.3", 9090);
	ch->c_srv = trs_end(4, TRS_PID_C, ZT_ROLE_SERVER, "10.0.0.3", 9090, "10.0.0.1", 40000);
	trs_build(&ch->rec[0], &ch->a_cli, ZT_DIR_EGRESS, 1000, 1010, 11, "GET /a HTTP/1.1\r\n\r\n");
	trs_build(&ch->rec[1], &ch->b_srv, ZT_DIR_INGRESS, 500, 1020, 21, "GET /a HTTP/1.1\r\n\r\n");
	trs_build(&ch->rec[2], &ch->b_cli, ZT_DIR_EGRESS, 1100, 1110, 21, "GET /c HTTP/1.1\r\n\r\n");
	trs_build(&ch->rec[3], &ch->c_srv, ZT_DIR_INGRESS, 600, 1150, 31, "GET /c HTTP/1.1\r\n\r\n");
	trs_build(&ch->rec[4], &ch->c_srv, ZT_DIR_EGRESS, 1200, 1210, 31, TRS_OK);
	trs_build(&ch->rec[5], &ch->b_cli, ZT_DIR_INGRESS, 1115, 1250, 21, TRS_OK);
	trs_build(&ch->rec[6], &ch->b_srv, ZT_DIR_EGRESS, 1300, 1310, 21, TRS_OK);
	trs_build(&ch->rec[7], &ch->a_cli, ZT_DIR_INGRESS, 1015, 1350, 11, TRS_OK);
}

static void trs_expect_chain(const struct trs_sink *sink)
{
	const struct span *a = trs_span(sink, SPAN_KIND_CLIENT, "/a");
	const struct span *b = trs_span(sink, SPAN_KIND_SERVER, "/a");
	const struct span *bc = trs_span(sink, SPAN_KIND_CLIENT, "/c");
	const struct span *c = trs_span(sink, SPAN_KIND_SERVER, "/c");

	cr_expect_eq(sink->n, 4);
	trs_expect_root(a);
	trs_expect_child_of(b, a);
	trs_expect_child_of(bc, b);
	trs_expect_child_of(c, bc);
}

Test(tracer_stitch, three_hops_one_trace)
{
	static struct trs_sink sink;
	static struct trs_chain ch;
	struct tracer *t = trs_new(&sink);
	struct tracer_stats st;

	trs_chain_init(&ch);
	for (int i = 0; i < 8; i++)
		trs_feed(t, &ch.rec[i]);
	trs_expect_chain(&sink);
	st = trs_stats(t);
	cr_expect_eq(st.stitch.by_rule[STITCH_NEW_TRACE], 1);
	cr_expect_eq(st.stitch.by_rule[STITCH_CONNECTION], 2);
	cr_expect_eq(st.stitch.by_rule[STITCH_THREAD], 1);
	cr_expect_eq(st.stitch.ambiguous_thread, 0);
	tracer_free(t);
}

Test(tracer_stitch, three_hops_shuffled_through_the_window)
{
	static struct trs_sink sink;
	static struct trs_chain ch;
	/* every server read (and C's answer) delivered before what caused it */
	static const int ring_order[8] = { 3, 1, 4, 2, 0, 6, 5, 7 };
	struct tracer *t = trs_new(&sink);

	trs_chain_init(&ch);
	trs_through_window(t, ch.rec, ring_order, 8);
	trs_expect_chain(&sink);
	tracer_free(t);
}

/*
 * A forking server: the parent (B) accepts, a child (B2) reads the request
 * and makes the downstream call on its own thread. Rule 3 is about the
 * thread that read the request, so the child's call is the server span's
 * child, whatever process accepted the connection.
 */
Test(tracer_stitch, forked_child_serving_an_accepted_conn_keeps_rule3)
{
	static struct trs_sink sink;
	static struct trs_chain ch;
	struct tracer *t = trs_new(&sink);
	struct trs_end b_cli;

	trs_chain_init(&ch);
	b_cli = ch.b_cli;
	b_cli.pid = TRS_PID_B2;
	trs_conn_event(t, &ch.b_srv, ZT_EV_ACCEPT, 21, 400);
	trs_feed(t, &ch.rec[0]);
	ch.b_srv.pid = TRS_PID_B2; /* every later record on it comes from the child */
	trs_data(t, &ch.b_srv, ZT_DIR_INGRESS, 500, 1020, 61, "GET /a HTTP/1.1\r\n\r\n");
	trs_conn_event(t, &b_cli, ZT_EV_CONNECT, 61, 1050);
	trs_data(t, &b_cli, ZT_DIR_EGRESS, 1100, 1110, 61, "GET /c HTTP/1.1\r\n\r\n");
	trs_feed(t, &ch.rec[3]);
	trs_feed(t, &ch.rec[4]);
	trs_data(t, &b_cli, ZT_DIR_INGRESS, 1115, 1250, 61, TRS_OK);
	trs_data(t, &ch.b_srv, ZT_DIR_EGRESS, 1300, 1310, 61, TRS_OK);
	trs_feed(t, &ch.rec[7]);
	trs_expect_chain(&sink);
	tracer_free(t);
}

/* ---- rule 1 through the tracer ------------------------------------------ */

#define TRS_TP_TRACE "0af7651916cd43dd8448eb211c80319c"
#define TRS_TP_SPAN "b7ad6b7169203331"
#define TRS_TP "00-" TRS_TP_TRACE "-" TRS_TP_SPAN "-01"

/* One SERVER exchange on B whose request is `req`; returns its span. */
static const struct span *trs_server_exchange(struct tracer *t, struct trs_sink *sink,
					      const char *req)
{
	struct trs_end srv = trs_end(2, TRS_PID_B, ZT_ROLE_SERVER, "10.0.0.1", 8080, "10.9.9.9",
				     50000);
	uint32_t before = sink->n;

	trs_data(t, &srv, ZT_DIR_INGRESS, 900, 1200, 21, req);
	trs_data(t, &srv, ZT_DIR_EGRESS, 2000, 2100, 21, TRS_OK);
	cr_assert_eq(sink->n, before + 1);
	return &sink->spans[sink->n - 1];
}

Test(tracer_stitch, incoming_traceparent_is_adopted_with_tracestate)
{
	static struct trs_sink sink;
	struct tracer *t = trs_new(&sink);
	const struct span *s;
	uint8_t trace[16], parent[8];

	s = trs_server_exchange(t, &sink,
				"GET /w HTTP/1.1\r\ntraceparent: " TRS_TP
				"\r\ntracestate:  rojo=00f067aa0ba902b7,congo=t61rcWkgMzE\r\n\r\n");
	trs_hex(trace, TRS_TP_TRACE, 16);
	trs_hex(parent, TRS_TP_SPAN, 8);
	cr_expect_eq(s->has_parent, 1);
	cr_expect_arr_eq(s->trace_id, trace, 16);
	cr_expect_arr_eq(s->parent_span_id, parent, 8);
	cr_expect_neq(memcmp(s->span_id, parent, 8), 0);
	cr_expect_str_eq(s->tracestate, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
	cr_expect_eq(trs_stats(t).stitch.by_rule[STITCH_WIRE], 1);
	cr_expect_eq(trs_stats(t).stitch.bad_wire_context, 0);
	tracer_free(t);
}

Test(tracer_stitch, incoming_b3_is_adopted)
{
	static struct trs_sink sink;
	struct tracer *t = trs_new(&sink);
	const struct span *s;
	uint8_t trace[16], parent[8];

	s = trs_server_exchange(t, &sink,
				"GET /b3 HTTP/1.1\r\nb3: 80f198ee56343ba864fe8b2a57d3eff7-"
				"e457b5a2e4d86bd1-1\r\n\r\n");
	trs_hex(trace, "80f198ee56343ba864fe8b2a57d3eff7", 16);
	trs_hex(parent, "e457b5a2e4d86bd1", 8);
	cr_expect_eq(s->has_parent, 1);
	cr_expect_arr_eq(s->trace_id, trace, 16);
	cr_expect_arr_eq(s->parent_span_id, parent, 8);
	cr_expect_str_eq(s->tracestate, "");
	s = trs_server_exchange(t, &sink,
				"GET /b3m HTTP/1.1\r\nX-B3-TraceId: 463ac35c9f6413ad\r\n"
				"X-B3-SpanId: a2fb4a1d1a96d312\r\nX-B3-Sampled: 1\r\n\r\n");
	memset(trace, 0, 8);
	trs_hex(trace + 8, "463ac35c9f6413ad", 8);
	trs_hex(parent, "a2fb4a1d1a96d312", 8);
	cr_expect_eq(s->has_parent, 1);
	cr_expect_arr_eq(s->trace_id, trace, 16, "a 64-bit B3 trace id is left-padded");
	cr_expect_arr_eq(s->parent_span_id, parent, 8);
	cr_expect_eq(trs_stats(t).stitch.by_rule[STITCH_WIRE], 2);
	tracer_free(t);
}

Test(tracer_stitch, malformed_traceparent_starts_a_trace_and_is_counted)
{
	static struct trs_sink sink;
	struct tracer *t = trs_new(&sink);
	const struct span *s;
	uint8_t trace[16];

	s = trs_server_exchange(t, &sink,
				"GET /bad HTTP/1.1\r\ntraceparent: "
				"00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01\r\n"
				"tracestate: k=v\r\n\r\n");
	trs_hex(trace, TRS_TP_TRACE, 16);
	cr_expect_eq(s->has_parent, 0);
	cr_expect_neq(memcmp(s->trace_id, trace, 16), 0);
	cr_expect_str_eq(s->tracestate, "", "no tracestate without its traceparent");
	cr_expect_eq(trs_stats(t).stitch.bad_wire_context, 1);
	cr_expect_eq(trs_stats(t).stitch.by_rule[STITCH_NEW_TRACE], 1);
	tracer_free(t);
}

Test(tracer_stitch, duplicated_traceparent_is_ignored_and_counted)
{
	static struct trs_sink sink;
	struct tracer *t = trs_new(&sink);
	const struct span *s;
	uint8_t trace[16];

	s = trs_server_exchange(t, &sink,
				"GET /dup HTTP/1.1\r\ntraceparent: " TRS_TP "\r\ntraceparent: " TRS_TP
				"\r\n\r\n");
	trs_hex(trace, TRS_TP_TRACE, 16);
	cr_expect_eq(s->has_parent, 0);
	cr_expect_neq(memcmp(s->trace_id, trace, 16), 0);
	cr_expect_eq(trs_stats(t).stitch.bad_wire_context, 1);
	tracer_free(t);
}

/* A bad traceparent next to a valid b3: the b3 context is adopted, but the
 * tracestate belonged to the traceparent (W3C: a vendor that cannot parse
 * traceparent MUST NOT use tracestate), so none is exported. */
Test(tracer_stitch, b3_fallback_does_not_export_the_w3c_tracestate)
{
	static struct trs_sink sink;
	struct tracer *t = trs_new(&sink);
	const struct span *s;
	uint8_t trace[16], parent[8];

	s = trs_server_exchange(t, &sink,
				"GET /mix HTTP/1.1\r\ntraceparent: 00-zz-b7ad6b7169203331-01\r\n"
				"tracestate: vendor=x\r\n"
				"b3: 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1\r\n\r\n");
	trs_hex(trace, "80f198ee56343ba864fe8b2a57d3eff7", 16);
	trs_hex(parent, "e457b5a2e4d86bd1", 8);
	cr_expect_eq(s->has_parent, 1);
	cr_expect_arr_eq(s->trace_id, trace, 16);
	cr_expect_arr_eq(s->parent_span_id, parent, 8);
	cr_expect_str_eq(s->tracestate, "");
	tracer_free(t);
}

/* W3C Trace Context: several tracestate fields are one combined value, not
 * an ambiguous context; the traceparent is still adopted. */
Test(tracer_stitch, split_tracestate_still_adopts_the_traceparent)
{
	static struct trs_sink sink;
	struct tracer *t = trs_new(&sink);
	const struct span *s;
	uint8_t trace[16];

	s = trs_server_exchange(t, &sink,
				"GET /ts2 HTTP/1.1\r\ntraceparent: " TRS_TP
				"\r\ntracestate: a=1\r\ntracestate: b=2\r\n\r\n");
	trs_hex(trace, TRS_TP_TRACE, 16);
	cr_expect_eq(s->has_parent, 1);
	cr_expect_arr_eq(s->trace_id, trace, 16);
	cr_expect_eq(trs_stats(t).stitch.bad_wire_context, 0);
	tracer_free(t);
}

/* A header line longer than the parser's line buffer: its value is not
 * what the first 1024 bytes show, so it must not be adopted as valid. */
Test(tracer_stitch, overlong_traceparent_line_is_not_adopted)
{
	static struct trs_sink sink;
	static char req[2048];
	struct tracer *t = trs_new(&sink);
	const struct span *s;
	size_t n;

	n = (size_t)snprintf(req, sizeof(req), "GET /long HTTP/1.1\r\ntraceparent: %s", TRS_TP);
	memset(req + n, ' ', 1100);
	n += 1100;
	memcpy(req + n, "zz\r\n\r\n", 7);
	cr_assert_lt(strlen(req), ZT_CAPTURE_MAX);
	s = trs_server_exchange(t, &sink, req);
	cr_expect_eq(s->has_parent, 0, "the value \"" TRS_TP "<1100 spaces>zz\" is invalid");
	tracer_free(t);
}

/* ---- the kernel's ids (--inject-traceparent) ---------------------------- */

Test(tracer_stitch, kernel_server_ids_are_exported)
{
	static struct trs_sink sink;
	struct tracer *t = trs_new(&sink);
	struct trs_end srv = trs_end(2, TRS_PID_B, ZT_ROLE_SERVER, "10.0.0.1", 8080, "10.9.9.9",
				     50000);
	union trs_record r;
	const struct span *s;

	trs_build(&r, &srv, ZT_DIR_INGRESS, 900, 1200, 21,
		  "GET /k HTTP/1.1\r\ntraceparent: " TRS_TP "\r\n\r\n");
	r.e.flags = ZT_F_CTX_SERVER | ZT_F_CTX_PARENT;
	trs_hex(r.e.ctx_trace_id, TRS_TP_TRACE, 16);
	trs_hex(r.e.ctx_parent_id, TRS_TP_SPAN, 8);
	memset(r.e.ctx_span_id, 0x5c, 8);
	trs_feed(t, &r);
	trs_data(t, &srv, ZT_DIR_EGRESS, 2000, 2100, 21, TRS_OK);
	cr_assert_eq(sink.n, 1);
	s = &sink.spans[0];
	cr_expect_arr_eq(s->trace_id, r.e.ctx_trace_id, 16);
	cr_expect_arr_eq(s->span_id, r.e.ctx_span_id, 8);
	cr_expect_arr_eq(s->parent_span_id, r.e.ctx_parent_id, 8);
	cr_expect_eq(s->has_parent, 1);
	cr_expect_eq(trs_stats(t).stitch.by_rule[STITCH_KERNEL], 1);
	tracer_free(t);
}

Test(tracer_stitch, kernel_server_ids_without_parent)
{
	static struct trs_sink sink;
	struct tracer *t = trs_new(&sink);
	struct trs_end srv = trs_end(2, TRS_PID_B, ZT_ROLE_SERVER, "10.0.0.1", 8080, "10.9.9.9",
				     50000);
	union trs_record r;
	const struct span *s;

	trs_build(&r, &srv, ZT_DIR_INGRESS, 900, 1200, 21, "GET /k0 HTTP/1.1\r\n\r\n");
	r.e.flags = ZT_F_CTX_SERVER;
	memset(r.e.ctx_trace_id, 0x4d, 16);
	memset(r.e.ctx_span_id, 0x5c, 8);
	memset(r.e.ctx_parent_id, 0x6e, 8); /* not flagged: must not be used */
	trs_feed(t, &r);
	trs_data(t, &srv, ZT_DIR_EGRESS, 2000, 2100, 21, TRS_OK);
	cr_assert_eq(sink.n, 1);
	s = &sink.spans[0];
	cr_expect_arr_eq(s->trace_id, r.e.ctx_trace_id, 16);
	cr_expect_arr_eq(s->span_id, r.e.ctx_span_id, 8);
	cr_expect_eq(s->has_parent, 0);
	tracer_free(t);
}

Test(tracer_stitch, kernel_injected_client_ids_are_exported)
{
	static struct trs_sink sink;
	struct tracer *t = trs_new(&sink);
	struct trs_end cli = trs_end(1, TRS_PID_A, ZT_ROLE_CLIENT, "10.0.0.2", 50000, "10.0.0.1",
				     8080);
	struct trs_end srv = trs_end(2, TRS_PID_B, ZT_ROLE_SERVER, "10.0.0.1", 8080, "10.0.0.2",
				     50000);
	union trs_record w, rd;
	const struct span *c, *s;
	char req[160];

	/* the request as it left: sk_msg wrote the injected header into it */
	snprintf(req, sizeof(req),
		 "GET /inj HTTP/1.1\r\ntraceparent: 00-%s-%s-01\r\n\r\n",
		 "21212121212121212121212121212121", "3232323232323232");
	trs_build(&w, &cli, ZT_DIR_EGRESS, 1000, 1100, 11, req);
	w.e.flags = ZT_F_CTX_INJECTED | ZT_F_CTX_PARENT;
	memset(w.e.ctx_trace_id, 0x21, 16);
	memset(w.e.ctx_span_id, 0x32, 8);
	memset(w.e.ctx_parent_id, 0x43, 8);
	trs_feed(t, &w);
	/* the server on this node read it; its kernel adopted the wire */
	trs_build(&rd, &srv, ZT_DIR_INGRESS, 900, 1200, 21, req);
	rd.e.flags = ZT_F_CTX_SERVER | ZT_F_CTX_PARENT;
	memset(rd.e.ctx_trace_id, 0x21, 16);
	memset(rd.e.ctx_span_id, 0x54, 8);
	memset(rd.e.ctx_parent_id, 0x32, 8);
	trs_feed(t, &rd);
	trs_data(t, &srv, ZT_DIR_EGRESS, 2000, 2100, 21, TRS_OK);
	trs_data(t, &cli, ZT_DIR_INGRESS, 1150, 2200, 11, TRS_OK);
	c = trs_span(&sink, SPAN_KIND_CLIENT, "/inj");
	s = trs_span(&sink, SPAN_KIND_SERVER, "/inj");
	cr_expect_arr_eq(c->trace_id, w.e.ctx_trace_id, 16);
	cr_expect_arr_eq(c->span_id, w.e.ctx_span_id, 8);
	cr_expect_arr_eq(c->parent_span_id, w.e.ctx_parent_id, 8);
	cr_expect_eq(c->has_parent, 1);
	cr_expect_arr_eq(s->span_id, rd.e.ctx_span_id, 8);
	trs_expect_child_of(s, c);
	cr_expect_eq(trs_stats(t).stitch.by_rule[STITCH_KERNEL], 2);
	tracer_free(t);
}

/* ---- bookkeeping that rule 3 depends on --------------------------------- */

/*
 * More pipelined requests than the parser keeps (HTTP1_PIPELINE_MAX = 8):
 * the oldest is dropped without an exchange. Its SERVER start must not stay
 * "in flight" on thread 21 forever: afterwards, a call from thread 21 while
 * it serves nothing is a new trace, and a call while it serves one request
 * is that request's child.
 */
Test(tracer_stitch, pipeline_drop_does_not_leave_the_thread_busy)
{
	static struct trs_sink sink;
	static char reqs[512], resps[1024];
	struct tracer *t = trs_new(&sink);
	struct trs_end srv = trs_end(2, TRS_PID_B, ZT_ROLE_SERVER, "10.0.0.1", 8080, "10.9.9.9",
				     50000);
	struct trs_end out = trs_end(3, TRS_PID_B, ZT_ROLE_CLIENT, "10.0.0.1", 40000, "10.8.8.8",
				     9090);
	const struct span *s, *c;

	reqs[0] = resps[0] = '\0';
	for (int i = 0; i < 9; i++) {
		char one[64];

		snprintf(one, sizeof(one), "GET /p%d HTTP/1.1\r\n\r\n", i);
		strcat(reqs, one);
		strcat(resps, TRS_OK);
	}
	trs_data(t, &srv, ZT_DIR_INGRESS, 100, 200, 21, reqs);
	trs_data(t, &srv, ZT_DIR_EGRESS, 300, 400, 21, resps);
	/* /p0 was dropped (tracer_stats.pipeline_drops only sees it at close) */
	cr_expect_eq(sink.n, 8);

	/* thread 21 serves nothing now: its call starts a trace */
	trs_data(t, &out, ZT_DIR_EGRESS, 1000, 1010, 21, "GET /idle HTTP/1.1\r\n\r\n");
	trs_data(t, &out, ZT_DIR_INGRESS, 1005, 1100, 21, TRS_OK);
	c = trs_span(&sink, SPAN_KIND_CLIENT, "/idle");
	trs_expect_root(c);

	/* then one request on a new connection, and a call made while serving it */
	srv.conn_id = 4;
	srv.tuple.remote_port = 50001;
	trs_data(t, &srv, ZT_DIR_INGRESS, 2000, 2100, 21, "GET /one HTTP/1.1\r\n\r\n");
	trs_data(t, &out, ZT_DIR_EGRESS, 2200, 2210, 21, "GET /down HTTP/1.1\r\n\r\n");
	trs_data(t, &out, ZT_DIR_INGRESS, 2205, 2300, 21, TRS_OK);
	trs_data(t, &srv, ZT_DIR_EGRESS, 2400, 2410, 21, TRS_OK);
	s = trs_span(&sink, SPAN_KIND_SERVER, "/one");
	c = trs_span(&sink, SPAN_KIND_CLIENT, "/down");
	trs_expect_child_of(c, s);
	cr_expect_eq(trs_stats(t).stitch.ambiguous_thread, 0);
	tracer_free(t);
}

/* A request the connection's close reports without a response still ends
 * its server span on the thread. */
Test(tracer_stitch, close_with_a_pending_request_frees_the_thread)
{
	static struct trs_sink sink;
	struct tracer *t = trs_new(&sink);
	struct trs_end srv = trs_end(2, TRS_PID_B, ZT_ROLE_SERVER, "10.0.0.1", 8080, "10.9.9.9",
				     50000);
	struct trs_end out = trs_end(3, TRS_PID_B, ZT_ROLE_CLIENT, "10.0.0.1", 40000, "10.8.8.8",
				     9090);
	union trs_record cl;

	trs_data(t, &srv, ZT_DIR_INGRESS, 100, 200, 21, "GET /gone HTTP/1.1\r\n\r\n");
	memset(&cl, 0, sizeof(cl));
	cl.e.type = ZT_EV_CLOSE;
	cl.e.syscall = ZT_SYS_CLOSE;
	cl.e.conn_id = srv.conn_id;
	cl.e.pid = srv.pid;
	cl.e.tid = 21;
	cl.e.ts_enter_ns = 300;
	cl.e.ts_exit_ns = 310;
	trs_feed(t, &cl);
	cr_assert_eq(sink.n, 1);
	cr_expect_null(sa_find(&sink.spans[0].attrs, "http.response.status_code"));
	cr_expect_str_eq(sink.spans[0].code, "");
	trs_data(t, &out, ZT_DIR_EGRESS, 1000, 1010, 21, "GET /after HTTP/1.1\r\n\r\n");
	trs_data(t, &out, ZT_DIR_INGRESS, 1005, 1100, 21, TRS_OK);
	trs_expect_root(trs_span(&sink, SPAN_KIND_CLIENT, "/after"));
	tracer_free(t);
}

/* ---- head sampling through the tracer ------------------------------------ */

static struct tracer *trs_new_args(struct trs_sink *sink, int argc, char **argv)
{
	struct zt_config cfg;
	const char *help = NULL;
	char err[256];
	struct tracer *t;

	memset(sink, 0, sizeof(*sink));
	cr_assert_eq(config_parse(&cfg, argc, argv, err, sizeof(err), &help), CONFIG_OK, "%s", err);
	cfg.max_conns = 64;
	t = tracer_new(&cfg, trs_record_span, sink);
	cr_assert_not_null(t);
	tracer_tick(t, 0, 0);
	return t;
}

/* --sample-ratio 0.25: the trace's head decides by its trace id, every span
 * of it carries that decision and says th:c. */
Test(tracer_stitch, sample_ratio_decides_once_per_trace)
{
	static struct trs_sink sink;
	static struct trs_chain ch;
	char *argv[] = { "zt", "--sample-ratio", "0.25", NULL };
	int kept = 0, dropped = 0;

	for (int round = 0; round < 24; round++) {
		struct tracer *t = trs_new_args(&sink, 3, argv);
		const struct span *a;

		trs_chain_init(&ch);
		for (int i = 0; i < 8; i++)
			trs_feed(t, &ch.rec[i]);
		trs_expect_chain(&sink);
		a = trs_span(&sink, SPAN_KIND_CLIENT, "/a");
		cr_expect_eq(a->sampled, sample_randomness(a->trace_id, NULL) >= 0xc0000000000000ULL);
		for (uint32_t i = 0; i < sink.n; i++) {
			cr_expect_eq(sink.spans[i].sampled, a->sampled, "%s %s", TRS_WHAT(&sink.spans[i]));
			cr_expect_eq(sink.spans[i].sample_reason, SAMPLE_RATIO);
			cr_expect_str_eq(sink.spans[i].tracestate, "ot=th:c", "%s %s",
					 TRS_WHAT(&sink.spans[i]));
		}
		kept += a->sampled;
		dropped += !a->sampled;
		tracer_free(t);
	}
	cr_expect(kept > 0 && dropped > 0, "24 traces: %d kept, %d dropped", kept, dropped);
}

/* The wire's flag wins over the ratio, and its tracestate stays as it came;
 * with --sample-ignore-parent the ratio decides. No ratio set: every trace,
 * and no th written. */
Test(tracer_stitch, sample_follows_the_wire_flag)
{
	static struct trs_sink sink;
	char *ratio[] = { "zt", "--sample-ratio", "0.25", NULL };
	char *ignore[] = { "zt", "--sample-ratio", "0.25", "--sample-ignore-parent", NULL };
	char *none[] = { "zt", NULL };
	struct tracer *t = trs_new_args(&sink, 3, ratio);
	const struct span *s;

	/* R = 0x48eb211c80319c < th c: the ratio alone would drop it */
	s = trs_server_exchange(t, &sink, "GET /w HTTP/1.1\r\ntraceparent: " TRS_TP
				"\r\ntracestate: rojo=1\r\n\r\n");
	cr_expect_eq(s->sampled, 1);
	cr_expect_eq(s->sample_reason, SAMPLE_PARENT);
	cr_expect_str_eq(s->tracestate, "rojo=1");
	s = trs_server_exchange(t, &sink, "GET /w HTTP/1.1\r\ntraceparent: 00-" TRS_TP_TRACE
				"-" TRS_TP_SPAN "-00\r\n\r\n");
	cr_expect_eq(s->sampled, 0);
	cr_expect_eq(s->sample_reason, SAMPLE_PARENT);
	/* a threshold that contradicts the flag is erased */
	s = trs_server_exchange(t, &sink, "GET /w HTTP/1.1\r\ntraceparent: " TRS_TP
				"\r\ntracestate: rojo=1,ot=th:8\r\n\r\n");
	cr_expect_eq(s->sampled, 1);
	cr_expect_str_eq(s->tracestate, "rojo=1");
	tracer_free(t);

	t = trs_new_args(&sink, 4, ignore);
	s = trs_server_exchange(t, &sink, "GET /w HTTP/1.1\r\ntraceparent: " TRS_TP
				"\r\ntracestate: rojo=1\r\n\r\n");
	cr_expect_eq(s->sampled, 0);
	cr_expect_eq(s->sample_reason, SAMPLE_RATIO);
	cr_expect_str_eq(s->tracestate, "ot=th:c,rojo=1");
	tracer_free(t);

	t = trs_new_args(&sink, 1, none);
	s = trs_server_exchange(t, &sink, "GET /w HTTP/1.1\r\n\r\n");
	cr_expect_eq(s->sampled, 1);
	cr_expect_eq(s->sample_reason, SAMPLE_ALL);
	cr_expect_str_eq(s->tracestate, "");
	s = trs_server_exchange(t, &sink, "GET /w HTTP/1.1\r\ntraceparent: 00-" TRS_TP_TRACE
				"-" TRS_TP_SPAN "-00\r\n\r\n");
	cr_expect_eq(s->sampled, 1, "no sampling in force: exported, whatever the wire says");
	cr_expect_eq(s->sample_reason, SAMPLE_ALL);
	/* load feedback puts sampling in force: from then on the flag counts */
	tracer_set_sample_ratio(t, 0.5);
	s = trs_server_exchange(t, &sink, "GET /w HTTP/1.1\r\ntraceparent: 00-" TRS_TP_TRACE
				"-" TRS_TP_SPAN "-00\r\n\r\n");
	cr_expect_eq(s->sampled, 0);
	cr_expect_eq(s->sample_reason, SAMPLE_PARENT);
	cr_expect_eq(tracer_sample_threshold(t), 0x80000000000000ULL);
	cr_expect_eq(tracer_sample_follows_parent(t), 1);
	tracer_free(t);
}
