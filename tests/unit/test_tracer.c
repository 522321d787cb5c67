// SPDX-License-Identifier: MIT
/*
 * user/tracer.c: synthetic ring-buffer records (header + payload in one
 * buffer, as libbpf hands them over) in, spans out through a recording sink->
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "events.h"
#include "http1.h"
#include "span_attrs_check.h"
#include "test_stream.h"
#include "tracer.h"

/* PID_MAX_LIMIT: pids are always below it, so procinfo never finds this
 * process and names it from the event's comm. */
#define TRC_PID 4194304u
#define TRC_OFFSET 1700000000000000000LL
#define TRC_SPANS_MAX 64

struct trc_sink {
	struct span spans[TRC_SPANS_MAX];
	uint32_t n;
};

/* On the heap, not in .bss: every test process's leak check scans .bss.
 * Held here so that the check finds them reachable. */
static struct trc_sink *trc_sinks[4];

static struct trc_sink *trc_sink_new(void)
{
	for (size_t i = 0; i < sizeof(trc_sinks) / sizeof(trc_sinks[0]); i++) {
		if (!trc_sinks[i]) {
			trc_sinks[i] = calloc(1, sizeof(*trc_sinks[i]));
			cr_assert_not_null(trc_sinks[i]);
			return trc_sinks[i];
		}
	}
	cr_assert_fail("more than 4 sinks in one test");
	return NULL;
}

static void trc_record_span(void *ctx, const struct span *s)
{
	struct trc_sink *k = ctx;

	cr_assert_lt(k->n, TRC_SPANS_MAX);
	k->spans[k->n++] = *s;
}

/* A record as it sits in the ring buffer: 8-aligned header, then payload. */
union trc_record {
	struct zt_event e;
	uint8_t bytes[sizeof(struct zt_event) + ZT_CAPTURE_MAX + 64];
};

enum trc_side { TRC_SERVER_SIDE, TRC_CLIENT_SIDE };

/* Server side: 10.0.0.1:8080 local, 10.0.0.2:50000 remote; the client side
 * is the same connection seen from the other end. */
static struct zt_conn_tuple trc_tuple(enum trc_side side)
{
	struct zt_conn_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = AF_INET;
	inet_pton(AF_INET, side == TRC_SERVER_SIDE ? "10.0.0.1" : "10.0.0.2", t.local_addr);
	inet_pton(AF_INET, side == TRC_SERVER_SIDE ? "10.0.0.2" : "10.0.0.1", t.remote_addr);
	t.local_port = side == TRC_SERVER_SIDE ? 8080 : 50000;
	t.remote_port = side == TRC_SERVER_SIDE ? 50000 : 8080;
	return t;
}

/* A DATA event header with sane defaults; callers adjust fields. */
static void trc_header(union trc_record *r, uint64_t conn_id, uint8_t role, uint8_t dir,
		       uint64_t ts_enter, uint64_t ts_exit, uint32_t tid)
{
	memset(r, 0, sizeof(*r));
	r->e.type = ZT_EV_DATA;
	r->e.syscall = dir == ZT_DIR_INGRESS ? ZT_SYS_READ : ZT_SYS_WRITE;
	r->e.conn_id = conn_id;
	r->e.role = role;
	r->e.dir = dir;
	r->e.ts_enter_ns = ts_enter;
	r->e.ts_exit_ns = ts_exit;
	r->e.pid = TRC_PID;
	r->e.tid = tid;
	r->e.fd = 5;
	memcpy(r->e.comm, "srv", 4);
	r->e.tuple = trc_tuple(role == ZT_ROLE_CLIENT ? TRC_CLIENT_SIDE : TRC_SERVER_SIDE);
	/* the kernel's sniff named the protocol */
	r->e.proto = ZT_PROTO_HTTP1;
}

static void trc_feed(struct tracer *t, union trc_record *r)
{
	test_stream_stamp(&r->e);
	cr_assert_eq(tracer_handle_event(t, r, sizeof(r->e) + r->e.cap_len), 0);
}

/* One fully captured DATA record. */
static void trc_data(struct tracer *t, uint64_t conn_id, uint8_t role, uint8_t dir,
		     uint64_t ts_enter, uint64_t ts_exit, uint32_t tid, const char *payload)
{
	union trc_record r;
	size_t n = strlen(payload);

	cr_assert_leq(n, ZT_CAPTURE_MAX);
	trc_header(&r, conn_id, role, dir, ts_enter, ts_exit, tid);
	r.e.cap_len = (uint32_t)n;
	r.e.bytes = (int64_t)n;
	memcpy(r.bytes + sizeof(r.e), payload, n);
	trc_feed(t, &r);
}

/* A DATA record with no payload: `bytes` more of a large run. */
static void trc_continuation(struct tracer *t, uint64_t conn_id, uint8_t role, uint8_t dir,
			     uint64_t ts_enter, uint64_t ts_exit, uint32_t tid, int64_t bytes)
{
	union trc_record r;

	trc_header(&r, conn_id, role, dir, ts_enter, ts_exit, tid);
	r.e.flags = ZT_F_CONTINUATION;
	r.e.bytes = bytes;
	trc_feed(t, &r);
}

static void trc_close(struct tracer *t, uint64_t conn_id, uint16_t syscall, uint32_t pid,
		      uint64_t ts)
{
	union trc_record r;

	trc_header(&r, conn_id, ZT_ROLE_UNKNOWN, 0, ts, ts + 10, 1);
	r.e.type = ZT_EV_CLOSE;
	r.e.syscall = syscall;
	r.e.pid = pid;
	trc_feed(t, &r);
}

static void trc_conn_event(struct tracer *t, uint16_t type, uint64_t conn_id, uint8_t role,
			   int64_t ret, uint32_t tid, uint64_t ts)
{
	union trc_record r;

	trc_header(&r, conn_id, role, 0, ts, ts + 10, tid);
	r.e.type = type;
	r.e.syscall = type == ZT_EV_ACCEPT ? ZT_SYS_ACCEPT4 : ZT_SYS_CONNECT;
	r.e.bytes = ret;
	trc_feed(t, &r);
}

static struct tracer *trc_new(struct trc_sink *sink, uint32_t max_conns)
{
	struct zt_config cfg;
	struct tracer *t;

	config_defaults(&cfg);
	cfg.max_conns = max_conns;
	t = tracer_new(&cfg, trc_record_span, sink);
	cr_assert_not_null(t);
	tracer_tick(t, 0, TRC_OFFSET);
	return t;
}

static struct tracer_stats trc_stats(const struct tracer *t)
{
	struct tracer_stats s;

	tracer_get_stats(t, &s);
	return s;
}

/* The int attribute key of s (asserting it is there). */
static int64_t trc_int(const struct span *s, const char *key)
{
	int64_t v = 0;

	cr_assert(sa_int(&s->attrs, key, &v), "no int attribute %s in %s", key, sa_render(&s->attrs));
	return v;
}

#define TRC_STR(s, key) sa_str(&(s)->attrs, (key))

/* No status code: none seen, none made up. */
static void trc_expect_no_status_code(const struct span *s)
{
	cr_expect_null(sa_find(&s->attrs, "http.response.status_code"), "%s", sa_render(&s->attrs));
	cr_expect_str_eq(s->code, "");
	cr_expect_str_eq(span_metric_label(&s->metric, 2), "");
}

static int trc_all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

#define TRC_GET "GET /a?token=s HTTP/1.1\r\nHost: x\r\n\r\n"
#define TRC_OK "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"

Test(tracer, server_exchange_gives_one_span)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	struct tracer_stats st;
	const struct span *s;

	/* accepted by thread 100; request read by 201, response written by 202 */
	trc_conn_event(t, ZT_EV_ACCEPT, 7, ZT_ROLE_SERVER, 5, 100, 500);
	trc_data(t, 7, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 1000, 1500, 201, TRC_GET);
	cr_expect_eq(sink->n, 0, "no span before the response");
	trc_data(t, 7, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 3000, 3200, 202, TRC_OK);
	cr_assert_eq(sink->n, 1);
	s = &sink->spans[0];
	cr_expect_eq(s->kind, SPAN_KIND_SERVER);
	cr_expect_str_eq(TRC_STR(s, "http.request.method"), "GET");
	cr_expect_str_eq(TRC_STR(s, "url.path"), "/a");
	cr_expect_eq(sa_count(&s->attrs, "url.query"), 1);
	cr_expect_str_eq(TRC_STR(s, "url.query"), "token=REDACTED");
	cr_expect_str_eq(s->name, "GET /a");
	cr_expect_eq(trc_int(s, "http.response.status_code"), 200);
	cr_expect_str_eq(s->code, "200");
	cr_expect_eq(s->status, SPAN_STATUS_UNSET);
	cr_expect_str_eq(s->status_message, "");
	cr_expect_str_eq(TRC_STR(s, "network.protocol.version"), "1.1");
	cr_expect_eq(s->req_size, 0);
	cr_expect_eq(s->resp_size, 5);
	cr_expect_eq(trc_int(s, "http.request.body.size"), 0);
	cr_expect_eq(trc_int(s, "http.response.body.size"), 5);
	/* the module's attributes, the connection's addresses where it put them */
	cr_expect_str_eq(sa_render(&s->attrs),
			 "http.request.method=\"GET\" url.path=\"/a\" url.query=\"token=REDACTED\" "
			 "http.response.status_code=200 "
			 "server.address=\"10.0.0.1\" server.port=8080 "
			 "client.address=\"10.0.0.2\" client.port=50000 "
			 "network.peer.address=\"10.0.0.2\" network.peer.port=50000 "
			 "network.protocol.version=\"1.1\" http.request.body.size=0 "
			 "http.response.body.size=5 url.scheme=\"http\"");
	cr_expect_eq(s->attrs.overflow, 0);
	cr_expect_eq(s->metric.family, METRIC_HTTP_SERVER);
	cr_expect_str_eq(span_metric_label(&s->metric, 0), "GET");
	cr_expect_str_eq(span_metric_label(&s->metric, 1), "/a");
	cr_expect_str_eq(span_metric_label(&s->metric, 2), "200");
	cr_expect_eq(s->start_unix_ns, 1700000000000001500ULL, "read is seen at its exit");
	cr_expect_eq(s->end_unix_ns, 1700000000000003000ULL, "write is seen at its entry");
	cr_expect_eq(s->pid, TRC_PID);
	cr_expect_eq(s->tid, 201, "the thread that read the request");
	cr_expect_str_eq(s->exe_name, "srv");
	cr_expect_str_eq(s->service_name, "srv");
	cr_expect_str_eq(s->server.address, "10.0.0.1");
	cr_expect_eq(s->server.port, 8080);
	cr_expect_str_eq(s->client.address, "10.0.0.2");
	cr_expect_eq(s->client.port, 50000);
	cr_expect_str_eq(s->peer.address, "10.0.0.2");
	cr_expect_eq(s->peer.port, 50000);
	cr_expect_eq(s->has_parent, 0);
	cr_expect_not(trc_all_zero(s->trace_id, sizeof(s->trace_id)));
	cr_expect_not(trc_all_zero(s->span_id, sizeof(s->span_id)));

	st = trc_stats(t);
	cr_expect_eq(st.events, 3);
	cr_expect_eq(st.spans, 1);
	cr_expect_eq(st.bad_events, 0);
	cr_expect_eq(st.parse_misses, 0);
	cr_expect_eq(st.conns_opened, 1);
	cr_expect_eq(st.role_unknown, 0);
	cr_expect_eq(st.continuations, 0);
	cr_expect_eq(st.payload_bytes, strlen(TRC_GET) + strlen(TRC_OK));
	cr_expect_eq(tracer_conns_tracked(t), 1, "keep-alive: the conn stays");
	tracer_free(t);
}

Test(tracer, client_exchange_mirrors_server)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	const struct span *s;

	trc_conn_event(t, ZT_EV_CONNECT, 9, ZT_ROLE_CLIENT, 0, 300, 500);
	trc_data(t, 9, ZT_ROLE_CLIENT, ZT_DIR_EGRESS, 1000, 1100, 301, TRC_GET);
	trc_data(t, 9, ZT_ROLE_CLIENT, ZT_DIR_INGRESS, 2000, 2600, 302, TRC_OK);
	cr_assert_eq(sink->n, 1);
	s = &sink->spans[0];
	cr_expect_eq(s->kind, SPAN_KIND_CLIENT);
	cr_expect_str_eq(TRC_STR(s, "http.request.method"), "GET");
	cr_expect_str_eq(TRC_STR(s, "url.path"), "/a");
	cr_expect_str_eq(TRC_STR(s, "url.query"), "token=REDACTED");
	cr_expect_eq(trc_int(s, "http.response.status_code"), 200);
	cr_expect_eq(s->resp_size, 5);
	cr_expect_eq(trc_int(s, "http.response.body.size"), 5);
	cr_expect_eq(s->metric.family, METRIC_HTTP_CLIENT);
	/* a client's addresses: the server is the remote end */
	cr_expect_str_eq(sa_render(&s->attrs),
			 "http.request.method=\"GET\" url.path=\"/a\" url.query=\"token=REDACTED\" "
			 "http.response.status_code=200 "
			 "server.address=\"10.0.0.1\" server.port=8080 "
			 "client.address=\"10.0.0.2\" client.port=50000 "
			 "network.peer.address=\"10.0.0.1\" network.peer.port=8080 "
			 "network.protocol.version=\"1.1\" http.request.body.size=0 "
			 "http.response.body.size=5 url.scheme=\"http\"");
	cr_expect_eq(s->start_unix_ns, 1700000000000001000ULL, "write is seen at its entry");
	cr_expect_eq(s->end_unix_ns, 1700000000000002600ULL, "read is seen at its exit");
	cr_expect_eq(s->tid, 301, "the thread that wrote the request");
	cr_expect_str_eq(s->server.address, "10.0.0.1");
	cr_expect_eq(s->server.port, 8080);
	cr_expect_str_eq(s->client.address, "10.0.0.2");
	cr_expect_eq(s->client.port, 50000);
	cr_expect_str_eq(s->peer.address, "10.0.0.1");
	cr_expect_eq(s->peer.port, 8080);
	cr_expect_eq(trc_stats(t).conns_opened, 1);
	tracer_free(t);
}

Test(tracer, keepalive_exchanges_each_get_their_reader_thread)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);

	trc_data(t, 3, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 100, 110, 11, "GET /items/1 HTTP/1.1\r\n\r\n");
	trc_data(t, 3, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 200, 210, 11, TRC_OK);
	trc_data(t, 3, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 300, 310, 12, "GET /items/2 HTTP/1.1\r\n\r\n");
	trc_data(t, 3, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 400, 410, 12,
		 "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
	cr_assert_eq(sink->n, 2);
	cr_expect_eq(sink->spans[0].tid, 11);
	cr_expect_eq(sink->spans[1].tid, 12);
	cr_expect_str_eq(sink->spans[1].name, "GET /items/{id}");
	cr_expect_str_eq(span_metric_label(&sink->spans[1].metric, 1), "/items/{id}");
	cr_expect_eq(trc_int(&sink->spans[1], "http.response.status_code"), 404);
	cr_expect_str_eq(sink->spans[1].code, "404");
	cr_expect_eq(sink->spans[1].start_unix_ns, TRC_OFFSET + 310);
	cr_expect_eq(sink->spans[1].end_unix_ns, TRC_OFFSET + 400);
	cr_expect_eq(trc_stats(t).conns_opened, 1);
	tracer_free(t);
}

/*
 * A keep-alive connection between exchanges holds no parser state: it is
 * parked after the response and taken back (the same memory, no new
 * allocation) for the next request, whose numbering goes on.
 */
Test(tracer, idle_keepalive_connection_parks_its_state)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	struct tracer_stats st;

	trc_data(t, 3, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 100, 110, 11, "GET /a HTTP/1.1\r\n\r\n");
	st = trc_stats(t);
	cr_expect_eq(st.states.allocated, 1);
	cr_expect_eq(st.states.spare, 0, "a request waiting for its response is not idle");
	trc_data(t, 3, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 200, 210, 11, TRC_OK);
	st = trc_stats(t);
	cr_expect_eq(st.states.spare, 1, "answered: the state is parked");
	trc_data(t, 3, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 300, 310, 12, "GET /b HTTP/1.1\r\n");
	st = trc_stats(t);
	cr_expect_eq(st.states.allocated, 1);
	cr_expect_eq(st.states.reused, 1);
	cr_expect_eq(st.states.spare, 0, "a head still arriving keeps its state");
	trc_data(t, 3, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 320, 330, 12, "\r\n");
	trc_data(t, 3, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 400, 410, 12,
		 "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
	cr_assert_eq(sink->n, 2);
	cr_expect_str_eq(sink->spans[1].name, "GET /b");
	cr_expect_eq(trc_int(&sink->spans[1], "http.response.status_code"), 404);
	cr_expect_eq(sink->spans[1].start_unix_ns, TRC_OFFSET + 310);
	cr_expect_eq(trc_stats(t).states.spare, 1);
	/* a parked connection's close has nothing to report */
	trc_close(t, 3, ZT_SYS_CLOSE, TRC_PID, 500);
	cr_expect_eq(sink->n, 2);
	cr_expect_eq(trc_stats(t).parse_misses, 0);
	tracer_free(t);
}

/* Two connections busy at once each have a state; both parked, the next
 * ones reuse them. */
Test(tracer, parked_states_are_reused_across_connections)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	struct tracer_stats st;

	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 100, 110, 11, "GET /a HTTP/1.1\r\n\r\n");
	trc_data(t, 2, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 120, 130, 12, "GET /a HTTP/1.1\r\n\r\n");
	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 200, 210, 11, TRC_OK);
	trc_data(t, 2, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 220, 230, 12, TRC_OK);
	for (uint64_t id = 3; id <= 6; id++) {
		trc_data(t, id, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 100 * id + 300, 100 * id + 310, 13,
			 "GET /a HTTP/1.1\r\n\r\n");
		trc_data(t, id, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 100 * id + 320, 100 * id + 330, 13,
			 TRC_OK);
	}
	st = trc_stats(t);
	cr_expect_eq(sink->n, 6);
	cr_expect_eq(st.states.allocated, 2);
	cr_expect_eq(st.states.reused, 4);
	cr_expect_eq(st.states.spare, 2);
	tracer_free(t);
}

Test(tracer, continuation_counts_in_body_size)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	const char head[] = "POST /up HTTP/1.1\r\nContent-Length: 100000\r\n\r\n";
	union trc_record r;
	struct tracer_stats st;
	size_t hl = strlen(head);

	/* head + 50 body bytes captured; the syscall moved the head and 60000
	 * body bytes */
	trc_header(&r, 4, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 1000, 1100, 21);
	memcpy(r.bytes + sizeof(r.e), head, hl);
	memset(r.bytes + sizeof(r.e) + hl, 'b', 50);
	r.e.cap_len = (uint32_t)(hl + 50);
	r.e.bytes = (int64_t)hl + 60000;
	r.e.flags = ZT_F_TRUNCATED;
	trc_feed(t, &r);
	/* the rest arrives without payload */
	trc_continuation(t, 4, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 2000, 2100, 21, 40000);
	cr_expect_eq(sink->n, 0);
	trc_data(t, 4, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 3000, 3100, 21,
		 "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	cr_assert_eq(sink->n, 1);
	cr_expect_str_eq(TRC_STR(&sink->spans[0], "http.request.method"), "POST");
	cr_expect_eq(sink->spans[0].req_size, 100000);
	cr_expect_eq(trc_int(&sink->spans[0], "http.request.body.size"), 100000);
	cr_expect_eq(trc_int(&sink->spans[0], "http.response.status_code"), 201);
	cr_expect_eq(sink->spans[0].start_unix_ns, TRC_OFFSET + 1100);
	cr_expect_eq(sink->spans[0].end_unix_ns, TRC_OFFSET + 3000);
	cr_expect_eq(sink->spans[0].tid, 21);
	st = trc_stats(t);
	cr_expect_eq(st.continuations, 1);
	cr_expect_eq(st.payload_bytes, hl + 50 + strlen("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"));
	cr_expect_eq(st.parse_misses, 0);
	tracer_free(t);
}

Test(tracer, response_continuation_ends_the_span)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n";
	union trc_record r;
	size_t hl = strlen(head);

	trc_data(t, 5, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 100, 150, 31, "GET /big HTTP/1.1\r\n\r\n");
	trc_header(&r, 5, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 1000, 1100, 31);
	memcpy(r.bytes + sizeof(r.e), head, hl);
	r.e.cap_len = (uint32_t)hl;
	r.e.bytes = (int64_t)hl + 65536;
	r.e.flags = ZT_F_TRUNCATED;
	trc_feed(t, &r);
	trc_continuation(t, 5, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 2000, 2100, 31, 65536);
	cr_expect_eq(sink->n, 0);
	trc_continuation(t, 5, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 3000, 3100, 31, 200000 - 131072);
	cr_assert_eq(sink->n, 1);
	cr_expect_eq(sink->spans[0].resp_size, 200000);
	cr_expect_eq(trc_int(&sink->spans[0], "http.response.body.size"), 200000);
	cr_expect_eq(sink->spans[0].start_unix_ns, TRC_OFFSET + 150);
	cr_expect_eq(sink->spans[0].end_unix_ns, TRC_OFFSET + 3000);
	cr_expect_eq(trc_stats(t).continuations, 2);
	tracer_free(t);
}

Test(tracer, malformed_records_are_counted)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	union trc_record r;
	struct tracer_stats st;

	/* shorter than the header */
	trc_header(&r, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 1, 2, 3);
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) - 1), 0);
	cr_expect_eq(tracer_handle_event(t, &r, 0), 0);
	cr_expect_eq(tracer_handle_event(t, &r, 1), 0);
	/* cap_len larger than what follows the header */
	trc_header(&r, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 1, 2, 3);
	memcpy(r.bytes + sizeof(r.e), TRC_GET, strlen(TRC_GET));
	r.e.cap_len = 10;
	r.e.bytes = 10;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) + 9), 0);
	/* cap_len beyond the capture maximum, even with the bytes there */
	r.e.cap_len = ZT_CAPTURE_MAX + 1;
	r.e.bytes = ZT_CAPTURE_MAX + 1;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r)), 0);
	/* cap_len huge: no size_t wrap in the bound */
	r.e.cap_len = UINT32_MAX;
	r.e.bytes = INT64_MAX;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r)), 0);
	/* bytes fewer than captured, and negative */
	r.e.cap_len = 10;
	r.e.bytes = 9;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) + 10), 0);
	r.e.bytes = -1;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) + 10), 0);
	/* a tail longer than the tail field */
	r.e.bytes = 10;
	r.e.tail_len = ZT_TAIL_LEN + 1;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) + 10), 0);
	/* unknown event types */
	r.e.tail_len = 0;
	r.e.type = 0;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) + 10), 0);
	r.e.type = ZT_EV_EXIT + 1;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) + 10), 0);
	r.e.type = 0xffff;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) + 10), 0);

	st = trc_stats(t);
	cr_expect_eq(st.events, 12);
	cr_expect_eq(st.bad_events, 12);
	cr_expect_eq(st.conns_opened, 0);
	cr_expect_eq(st.payload_bytes, 0);
	cr_expect_eq(tracer_conns_tracked(t), 0);
	cr_expect_eq(sink->n, 0);

	/* the same record, well formed, is taken */
	r.e.type = ZT_EV_DATA;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) + 10), 0);
	st = trc_stats(t);
	cr_expect_eq(st.bad_events, 12);
	cr_expect_eq(st.payload_bytes, 10);
	cr_expect_eq(st.conns_opened, 1);
	/* extra bytes after the payload are tolerated (ring records are padded) */
	r.e.conn_id = 2;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) + 16), 0);
	cr_expect_eq(trc_stats(t).bad_events, 12);
	tracer_free(t);
}

Test(tracer, close_reports_pending_request_without_status)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);

	trc_data(t, 8, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 1000, 1500, 41, TRC_GET);
	cr_expect_eq(tracer_conns_tracked(t), 1);
	trc_close(t, 8, ZT_SYS_CLOSE, TRC_PID, 9000);
	cr_assert_eq(sink->n, 1);
	trc_expect_no_status_code(&sink->spans[0]);
	cr_expect_eq(sink->spans[0].status, SPAN_STATUS_ERROR);
	cr_expect_str_eq(sink->spans[0].status_message, "connection closed before a response");
	cr_expect_str_eq(TRC_STR(&sink->spans[0], "url.path"), "/a");
	cr_expect_eq(sink->spans[0].tid, 41);
	cr_expect_eq(sink->spans[0].start_unix_ns, TRC_OFFSET + 1500);
	cr_expect_eq(sink->spans[0].end_unix_ns, TRC_OFFSET + 1500,
		     "ends with the request's last byte, not the close");
	cr_expect_eq(tracer_conns_tracked(t), 0);
	/* a second close and data after it: a new conn, nothing reported */
	trc_close(t, 8, ZT_SYS_CLOSE, TRC_PID, 9100);
	cr_expect_eq(sink->n, 1);
	cr_expect_eq(trc_stats(t).bad_events, 0);
	tracer_free(t);
}

Test(tracer, close_after_complete_exchange_reports_nothing_more)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);

	trc_data(t, 8, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 1000, 1500, 41, TRC_GET);
	trc_data(t, 8, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 2000, 2100, 41, TRC_OK);
	trc_close(t, 8, ZT_SYS_STATE, 0, 3000);
	cr_expect_eq(sink->n, 1);
	cr_expect_eq(tracer_conns_tracked(t), 0);
	tracer_free(t);
}

Test(tracer, close_by_another_process_keeps_the_conn)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);

	trc_data(t, 8, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 1000, 1500, 41, TRC_GET);
	/* a forked child closing its copy of the fd */
	trc_close(t, 8, ZT_SYS_CLOSE, TRC_PID + 1, 2000);
	cr_expect_eq(sink->n, 0);
	cr_expect_eq(tracer_conns_tracked(t), 1);
	trc_data(t, 8, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 3000, 3100, 42, TRC_OK);
	cr_expect_eq(sink->n, 1);
	cr_expect_eq(trc_int(&sink->spans[0], "http.response.status_code"), 200);
	/* the socket reaching TCP_CLOSE ends it whoever is current */
	trc_close(t, 8, ZT_SYS_STATE, TRC_PID + 1, 4000);
	cr_expect_eq(tracer_conns_tracked(t), 0);
	tracer_free(t);
}

Test(tracer, close_of_unknown_conn_is_ignored)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);

	trc_close(t, 77, ZT_SYS_CLOSE, TRC_PID, 1);
	cr_expect_eq(trc_stats(t).events, 1);
	cr_expect_eq(trc_stats(t).bad_events, 0);
	cr_expect_eq(trc_stats(t).conns_opened, 0);
	cr_expect_eq(tracer_conns_tracked(t), 0);
	tracer_free(t);
}

Test(tracer, unknown_role_from_local_listen_port)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);

	tracer_add_listen_port(t, 8080);
	/* the first record carries no payload: only the port can decide */
	trc_continuation(t, 6, ZT_ROLE_UNKNOWN, ZT_DIR_INGRESS, 10, 20, 51, 1000);
	cr_expect_eq(trc_stats(t).role_unknown, 0);
	trc_data(t, 6, ZT_ROLE_UNKNOWN, ZT_DIR_INGRESS, 100, 150, 51, TRC_GET);
	trc_data(t, 6, ZT_ROLE_UNKNOWN, ZT_DIR_EGRESS, 200, 250, 51, TRC_OK);
	cr_assert_eq(sink->n, 1);
	cr_expect_eq(sink->spans[0].kind, SPAN_KIND_SERVER);
	cr_expect_str_eq(sink->spans[0].server.address, "10.0.0.1");
	cr_expect_eq(sink->spans[0].server.port, 8080);
	cr_expect_eq(sink->spans[0].client.port, 50000);
	cr_expect_eq(trc_stats(t).role_unknown, 0);
	tracer_free(t);
}

Test(tracer, unknown_role_from_remote_listen_port)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	union trc_record r;

	/* 10.0.0.2:50000 -> 10.0.0.1:8080, and 8080 listens here */
	tracer_add_listen_port(t, 8080);
	trc_header(&r, 6, ZT_ROLE_UNKNOWN, ZT_DIR_EGRESS, 10, 20, 61);
	r.e.tuple = trc_tuple(TRC_CLIENT_SIDE);
	r.e.flags = ZT_F_CONTINUATION;
	r.e.bytes = 100;
	trc_feed(t, &r);
	cr_expect_eq(trc_stats(t).role_unknown, 0);
	trc_data(t, 6, ZT_ROLE_UNKNOWN, ZT_DIR_EGRESS, 100, 150, 61, TRC_GET);
	trc_data(t, 6, ZT_ROLE_UNKNOWN, ZT_DIR_INGRESS, 200, 250, 62, TRC_OK);
	cr_assert_eq(sink->n, 1);
	cr_expect_eq(sink->spans[0].kind, SPAN_KIND_CLIENT);
	cr_expect_str_eq(sink->spans[0].server.address, "10.0.0.1");
	cr_expect_eq(sink->spans[0].server.port, 8080);
	cr_expect_str_eq(sink->spans[0].client.address, "10.0.0.2");
	cr_expect_eq(sink->spans[0].client.port, 50000);
	cr_expect_eq(sink->spans[0].start_unix_ns, TRC_OFFSET + 100);
	cr_expect_eq(sink->spans[0].end_unix_ns, TRC_OFFSET + 250);
	cr_expect_eq(sink->spans[0].tid, 61);
	tracer_free(t);
}

Test(tracer, accept_adds_a_listen_port)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);

	trc_conn_event(t, ZT_EV_ACCEPT, 1, ZT_ROLE_SERVER, 4, 70, 5);
	cr_expect_eq(trc_stats(t).conns_opened, 1);
	/* an older connection on the same local port is a server's */
	trc_continuation(t, 2, ZT_ROLE_UNKNOWN, ZT_DIR_INGRESS, 10, 20, 71, 100);
	cr_expect_eq(trc_stats(t).role_unknown, 0);
	tracer_free(t);
}

Test(tracer, unknown_role_from_payload_direction)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);

	/* a request going out: client */
	trc_data(t, 1, ZT_ROLE_UNKNOWN, ZT_DIR_EGRESS, 100, 110, 81, TRC_GET);
	trc_data(t, 1, ZT_ROLE_UNKNOWN, ZT_DIR_INGRESS, 200, 210, 81, TRC_OK);
	/* a request coming in: server */
	trc_data(t, 2, ZT_ROLE_UNKNOWN, ZT_DIR_INGRESS, 300, 310, 82, TRC_GET);
	trc_data(t, 2, ZT_ROLE_UNKNOWN, ZT_DIR_EGRESS, 400, 410, 82, TRC_OK);
	cr_assert_eq(sink->n, 2);
	cr_expect_eq(sink->spans[0].kind, SPAN_KIND_CLIENT);
	cr_expect_eq(sink->spans[0].start_unix_ns, TRC_OFFSET + 100);
	cr_expect_eq(sink->spans[0].end_unix_ns, TRC_OFFSET + 210);
	cr_expect_eq(sink->spans[1].kind, SPAN_KIND_SERVER);
	cr_expect_eq(sink->spans[1].start_unix_ns, TRC_OFFSET + 310);
	cr_expect_eq(sink->spans[1].end_unix_ns, TRC_OFFSET + 400);

	/* a response going out (its request was missed): server, so the next
	 * exchange is reported as one */
	trc_data(t, 3, ZT_ROLE_UNKNOWN, ZT_DIR_EGRESS, 500, 510, 83, TRC_OK);
	trc_data(t, 3, ZT_ROLE_UNKNOWN, ZT_DIR_INGRESS, 600, 610, 83, TRC_GET);
	trc_data(t, 3, ZT_ROLE_UNKNOWN, ZT_DIR_EGRESS, 700, 710, 83, TRC_OK);
	/* a response coming in: client */
	trc_data(t, 4, ZT_ROLE_UNKNOWN, ZT_DIR_INGRESS, 800, 810, 84, TRC_OK);
	trc_data(t, 4, ZT_ROLE_UNKNOWN, ZT_DIR_EGRESS, 900, 910, 84, TRC_GET);
	trc_data(t, 4, ZT_ROLE_UNKNOWN, ZT_DIR_INGRESS, 1000, 1010, 84, TRC_OK);
	cr_assert_eq(sink->n, 4);
	cr_expect_eq(sink->spans[2].kind, SPAN_KIND_SERVER);
	cr_expect_eq(sink->spans[3].kind, SPAN_KIND_CLIENT);
	cr_expect_eq(trc_stats(t).role_unknown, 0);
	tracer_free(t);
}

Test(tracer, role_stays_unknown_without_evidence)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);

	trc_data(t, 1, ZT_ROLE_UNKNOWN, ZT_DIR_INGRESS, 100, 110, 91, "\x16\x03\x01 tls hello");
	trc_continuation(t, 1, ZT_ROLE_UNKNOWN, ZT_DIR_INGRESS, 200, 210, 91, 4000);
	cr_expect_eq(trc_stats(t).role_unknown, 2);
	cr_expect_eq(trc_stats(t).conns_opened, 1);
	/* later evidence still resolves it */
	trc_data(t, 1, ZT_ROLE_UNKNOWN, ZT_DIR_INGRESS, 300, 310, 91, TRC_GET);
	trc_data(t, 1, ZT_ROLE_UNKNOWN, ZT_DIR_EGRESS, 400, 410, 91, TRC_OK);
	cr_assert_eq(sink->n, 1);
	cr_expect_eq(sink->spans[0].kind, SPAN_KIND_SERVER);
	cr_expect_eq(trc_stats(t).role_unknown, 2);
	tracer_free(t);
}

Test(tracer, connect_results)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	struct tracer_stats st;

	trc_conn_event(t, ZT_EV_CONNECT, 1, ZT_ROLE_CLIENT, -111, 1, 10); /* ECONNREFUSED */
	st = trc_stats(t);
	cr_expect_eq(st.connect_failures, 1);
	cr_expect_eq(st.conns_opened, 0);
	cr_expect_eq(tracer_conns_tracked(t), 0);
	trc_conn_event(t, ZT_EV_CONNECT, 2, ZT_ROLE_CLIENT, -115, 1, 20); /* EINPROGRESS */
	trc_conn_event(t, ZT_EV_CONNECT, 3, ZT_ROLE_CLIENT, 0, 1, 30);
	st = trc_stats(t);
	cr_expect_eq(st.connect_failures, 1);
	cr_expect_eq(st.conns_opened, 2);
	cr_expect_eq(tracer_conns_tracked(t), 2);
	cr_expect_eq(st.bad_events, 0);
	tracer_free(t);
}

Test(tracer, tuple_filled_in_by_a_later_event)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	union trc_record r;

	/* accept reported without addresses */
	trc_header(&r, 1, ZT_ROLE_SERVER, 0, 10, 20, 5);
	r.e.type = ZT_EV_ACCEPT;
	memset(&r.e.tuple, 0, sizeof(r.e.tuple));
	trc_feed(t, &r);
	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 100, 110, 5, TRC_GET);
	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 200, 210, 5, TRC_OK);
	cr_assert_eq(sink->n, 1);
	cr_expect_str_eq(sink->spans[0].server.address, "10.0.0.1");
	cr_expect_eq(sink->spans[0].server.port, 8080);
	cr_expect_str_eq(sink->spans[0].client.address, "10.0.0.2");
	tracer_free(t);
}

Test(tracer, full_table_evicts_and_reports)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 16);
	struct tracer_stats st;

	for (uint64_t id = 1; id <= 17; id++)
		trc_data(t, id, ZT_ROLE_SERVER, ZT_DIR_INGRESS, id * 100, id * 100 + 10,
			 (uint32_t)id, TRC_GET);
	cr_assert_eq(sink->n, 1, "the evicted conn's pending request is reported");
	trc_expect_no_status_code(&sink->spans[0]);
	cr_expect_eq(sink->spans[0].tid, 1);
	cr_expect_eq(sink->spans[0].start_unix_ns, TRC_OFFSET + 110);
	st = trc_stats(t);
	cr_expect_eq(st.conns_evicted, 1);
	cr_expect_eq(st.conns_opened, 17);
	cr_expect_eq(tracer_conns_tracked(t), 16);
	tracer_free(t);
}

Test(tracer, idle_conns_swept_on_tick)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	const uint64_t idle = 300ULL * 1000000000ULL; /* config default */

	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 1000000000, 1000000000, 7, TRC_GET);
	trc_data(t, 2, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 2000000000, 2000000000, 8, TRC_GET);
	tracer_tick(t, 1000000000 + idle, TRC_OFFSET);
	cr_expect_eq(sink->n, 0, "seen exactly idle_timeout ago: not yet idle");
	cr_expect_eq(tracer_conns_tracked(t), 2);
	tracer_tick(t, 1000000001 + idle, TRC_OFFSET);
	cr_assert_eq(sink->n, 1);
	cr_expect_eq(sink->spans[0].tid, 7);
	trc_expect_no_status_code(&sink->spans[0]);
	cr_expect_eq(tracer_conns_tracked(t), 1);
	cr_expect_eq(trc_stats(t).conns_evicted, 1);
	/* a tick before the timeout has passed since boot sweeps nothing */
	tracer_tick(t, 5, TRC_OFFSET);
	cr_expect_eq(tracer_conns_tracked(t), 1);
	tracer_free(t);
}

Test(tracer, tick_sets_the_wall_clock_offset)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);

	tracer_tick(t, 0, 1000000);
	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 100, 150, 7, TRC_GET);
	tracer_tick(t, 0, 2000000);
	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 300, 350, 7, TRC_OK);
	cr_assert_eq(sink->n, 1);
	/* the offset in force when the span is built applies to both ends */
	cr_expect_eq(sink->spans[0].start_unix_ns, 2000150);
	cr_expect_eq(sink->spans[0].end_unix_ns, 2000300);
	tracer_free(t);
}

/* Records from before the kernel named a protocol (or of a connection it
 * never names) are counted, not parsed. */
Test(tracer, unsniffed_records_are_counted_not_parsed)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	union trc_record r;
	const char *tls = "\x16\x03\x01\x02\x00 tls";

	trc_header(&r, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 100, 110, 7);
	r.e.proto = ZT_PROTO_UNKNOWN;
	r.e.cap_len = r.e.bytes = (uint32_t)strlen(tls);
	memcpy(r.bytes + sizeof(r.e), tls, strlen(tls));
	trc_feed(t, &r);
	trc_header(&r, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 200, 210, 7);
	r.e.proto = ZT_PROTO_OPAQUE;
	r.e.cap_len = r.e.bytes = (uint32_t)strlen(TRC_GET);
	memcpy(r.bytes + sizeof(r.e), TRC_GET, strlen(TRC_GET));
	trc_feed(t, &r);
	cr_expect_eq(sink->n, 0);
	cr_expect_eq(trc_stats(t).parse_misses, 0);
	cr_expect_eq(trc_stats(t).unsniffed, 2);
	/* the kernel names it at a later message start: parsed from there */
	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 300, 310, 7, TRC_GET);
	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 400, 410, 7, TRC_OK);
	cr_expect_eq(sink->n, 1);
	trc_close(t, 1, ZT_SYS_CLOSE, TRC_PID, 500);
	tracer_free(t);
}

/*
 * http1_conn_close() resets the parser, pipeline_drops included: the tracer
 * must collect the counter before closing. 33 requests without a response
 * overflow the 32-slot pending ring once.
 */
Test(tracer, pipeline_drops_are_counted)
{
	struct trc_sink *sink = trc_sink_new();
	static char reqs[33 * 32];
	struct tracer *t = trc_new(sink, 64);

	reqs[0] = '\0';
	for (int i = 0; i < HTTP1_PIPELINE_MAX + 1; i++)
		strcat(reqs, "GET /p HTTP/1.1\r\n\r\n");
	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 100, 110, 7, reqs);
	trc_close(t, 1, ZT_SYS_CLOSE, TRC_PID, 200);
	cr_expect_eq(sink->n, HTTP1_PIPELINE_MAX, "the kept requests are reported");
	cr_expect_eq(trc_stats(t).pipeline_drops, 1);
	tracer_free(t);
}

/*
 * The 16-entry feed ring must not lose the feed that began a request: a
 * request body read in more than 16 syscalls (here continuations) would
 * otherwise push it out, and the span would fall back to first_tid (the
 * accepting thread) instead of the worker that read the request.
 */
Test(tracer, thread_id_survives_a_long_request_body)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);

	trc_conn_event(t, ZT_EV_ACCEPT, 1, ZT_ROLE_SERVER, 4, 100, 10); /* acceptor */
	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 1000, 1010, 201,
		 "POST /upload HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n");
	for (uint64_t i = 0; i < 16; i++)
		trc_continuation(t, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 2000 + i * 10, 2005 + i * 10,
				 201, 65536);
	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 5000, 5010, 201,
		 "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	cr_assert_eq(sink->n, 1);
	cr_expect_eq(sink->spans[0].req_size, 1048576);
	cr_expect_eq(trc_int(&sink->spans[0], "http.request.body.size"), 1048576);
	cr_expect_eq(sink->spans[0].tid, 201, "tid %u: fell back to the acceptor", sink->spans[0].tid);
	tracer_free(t);
}

/*
 * With a small --capture-bytes the response's status line is cut; http1
 * reports the response with status 0, and the span must then carry no
 * status rather than "http.response.status_code":0.
 */
Test(tracer, response_with_unseen_status_code_has_no_status)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	union trc_record r;

	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 100, 110, 7, TRC_GET);
	/* --capture-bytes 5: only "HTTP/" of a 40-byte response */
	trc_header(&r, 1, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 200, 210, 7);
	memcpy(r.bytes + sizeof(r.e), "HTTP/", 5);
	r.e.cap_len = 5;
	r.e.bytes = 40;
	r.e.flags = ZT_F_TRUNCATED;
	trc_feed(t, &r);
	trc_close(t, 1, ZT_SYS_STATE, TRC_PID, 300);
	cr_assert_eq(sink->n, 1);
	trc_expect_no_status_code(&sink->spans[0]);
	tracer_free(t);
}

/*
 * A request read that also ends the previous response (one whose framing
 * was lost, ended by the client speaking again) still names its thread.
 * BUG (tracer.c:160/174): handle_data records the feed only when
 * pending_count + pipeline_drops changed, but this feed pops one request
 * (the response it ends) and pushes one (the new request): the sum is
 * unchanged, the feed is not recorded, and the span falls back to
 * first_tid (100, the acceptor) instead of 202.
 */
Test(tracer, thread_id_when_a_request_ends_a_skipped_response)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	union trc_record r;

	trc_conn_event(t, ZT_EV_ACCEPT, 1, ZT_ROLE_SERVER, 4, 100, 10); /* acceptor */
	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 1000, 1010, 201, TRC_GET);
	/* only "HTTP/" of the first response captured: its end is unknown */
	trc_header(&r, 1, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 2000, 2010, 201);
	memcpy(r.bytes + sizeof(r.e), "HTTP/", 5);
	r.e.cap_len = 5;
	r.e.bytes = 40;
	r.e.flags = ZT_F_TRUNCATED;
	trc_feed(t, &r);
	cr_expect_eq(sink->n, 0);
	/* the next request, read by another worker, ends that response */
	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 3000, 3010, 202,
		 "GET /b HTTP/1.1\r\n\r\n");
	cr_assert_eq(sink->n, 1);
	cr_expect_eq(sink->spans[0].tid, 201);
	cr_expect_eq(sink->spans[0].end_unix_ns, TRC_OFFSET + 2000);
	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 4000, 4010, 202, TRC_OK);
	cr_assert_eq(sink->n, 2);
	cr_expect_str_eq(TRC_STR(&sink->spans[1], "url.path"), "/b");
	cr_expect_eq(trc_int(&sink->spans[1], "http.response.status_code"), 200);
	cr_expect_eq(sink->spans[1].tid, 202, "tid %u", sink->spans[1].tid);
	tracer_free(t);
}

/* ---- The connection's half of a span: endpoints, times, names ---- */

/* local:lport <-> remote:rport over IPv6 (v4-mapped addresses too). */
static struct zt_conn_tuple trc_tuple6(const char *local, uint16_t lport, const char *remote,
				       uint16_t rport)
{
	struct zt_conn_tuple tp;

	memset(&tp, 0, sizeof(tp));
	tp.family = AF_INET6;
	cr_assert_eq(inet_pton(AF_INET6, local, tp.local_addr), 1);
	cr_assert_eq(inet_pton(AF_INET6, remote, tp.remote_addr), 1);
	tp.local_port = lport;
	tp.remote_port = rport;
	return tp;
}

/* trc_data over a given tuple. */
static void trc_data_on(struct tracer *t, const struct zt_conn_tuple *tp, uint64_t conn_id,
			uint8_t role, uint8_t dir, uint64_t ts_enter, uint64_t ts_exit,
			const char *payload)
{
	union trc_record r;
	size_t n = strlen(payload);

	trc_header(&r, conn_id, role, dir, ts_enter, ts_exit, 7);
	r.e.tuple = *tp;
	r.e.cap_len = (uint32_t)n;
	r.e.bytes = (int64_t)n;
	memcpy(r.bytes + sizeof(r.e), payload, n);
	trc_feed(t, &r);
}

/* One exchange on conn_id as role over tp; its span. */
static const struct span *trc_exchange_on(struct tracer *t, struct trc_sink *sink,
					  const struct zt_conn_tuple *tp, uint64_t conn_id,
					  uint8_t role)
{
	uint32_t before = sink->n;
	uint8_t out = role == ZT_ROLE_SERVER ? ZT_DIR_EGRESS : ZT_DIR_INGRESS;
	uint8_t in = role == ZT_ROLE_SERVER ? ZT_DIR_INGRESS : ZT_DIR_EGRESS;

	trc_data_on(t, tp, conn_id, role, in, 1000, 1000, TRC_GET);
	trc_data_on(t, tp, conn_id, role, out, 5000, 5000, TRC_OK);
	cr_assert_eq(sink->n, before + 1);
	return &sink->spans[before];
}

static void trc_expect_ep(const struct span_endpoint *ep, const char *addr, uint16_t port)
{
	cr_expect_str_eq(ep->address, addr);
	cr_expect_eq(ep->port, port);
}

/* The endpoint attributes agree with the endpoints. */
static void trc_expect_ep_attrs(const struct span *s)
{
	cr_expect_str_eq(TRC_STR(s, "server.address"), s->server.address);
	cr_expect_eq(trc_int(s, "server.port"), s->server.port);
	cr_expect_str_eq(TRC_STR(s, "client.address"), s->client.address);
	cr_expect_eq(trc_int(s, "client.port"), s->client.port);
	cr_expect_str_eq(TRC_STR(s, "network.peer.address"), s->peer.address);
	cr_expect_eq(trc_int(s, "network.peer.port"), s->peer.port);
}

Test(tracer, server_and_client_ipv6_endpoints)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	struct zt_conn_tuple tp = trc_tuple6("2001:db8::1", 443, "2001:db8:0:0:0:0:0:2", 40000);
	const struct span *s;

	s = trc_exchange_on(t, sink, &tp, 1, ZT_ROLE_SERVER);
	cr_expect_eq(s->kind, SPAN_KIND_SERVER);
	trc_expect_ep(&s->server, "2001:db8::1", 443);
	trc_expect_ep(&s->client, "2001:db8::2", 40000);
	trc_expect_ep(&s->peer, "2001:db8::2", 40000);
	trc_expect_ep_attrs(s);

	/* the same tuple seen by a client: its remote end is the server */
	s = trc_exchange_on(t, sink, &tp, 2, ZT_ROLE_CLIENT);
	cr_expect_eq(s->kind, SPAN_KIND_CLIENT);
	trc_expect_ep(&s->server, "2001:db8::2", 40000);
	trc_expect_ep(&s->client, "2001:db8::1", 443);
	trc_expect_ep(&s->peer, "2001:db8::2", 40000);
	trc_expect_ep_attrs(s);
	tracer_free(t);
}

Test(tracer, v4_mapped_ipv6_shown_as_ipv4)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	struct zt_conn_tuple tp = trc_tuple6("::ffff:192.0.2.1", 443, "::ffff:198.51.100.7", 40000);
	const struct span *s;

	s = trc_exchange_on(t, sink, &tp, 1, ZT_ROLE_SERVER);
	trc_expect_ep(&s->server, "192.0.2.1", 443);
	trc_expect_ep(&s->client, "198.51.100.7", 40000);
	trc_expect_ep(&s->peer, "198.51.100.7", 40000);
	trc_expect_ep_attrs(s);

	s = trc_exchange_on(t, sink, &tp, 2, ZT_ROLE_CLIENT);
	trc_expect_ep(&s->server, "198.51.100.7", 40000);
	trc_expect_ep(&s->client, "192.0.2.1", 443);
	trc_expect_ep(&s->peer, "198.51.100.7", 40000);
	trc_expect_ep_attrs(s);
	tracer_free(t);
}

Test(tracer, times_are_tags_plus_offset)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	struct zt_conn_tuple tp = trc_tuple(TRC_SERVER_SIDE);

	tracer_tick(t, 0, 0);
	trc_data_on(t, &tp, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 900, 1000, TRC_GET);
	trc_data_on(t, &tp, 1, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 5000, 5100, TRC_OK);
	cr_assert_eq(sink->n, 1);
	cr_expect_eq(sink->spans[0].start_unix_ns, 1000);
	cr_expect_eq(sink->spans[0].end_unix_ns, 5000);

	/* a response tag before the request start is clamped: no negative span */
	tracer_tick(t, 0, 5);
	trc_data_on(t, &tp, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 900, 1000, TRC_GET);
	trc_data_on(t, &tp, 1, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 10, 20, TRC_OK);
	cr_assert_eq(sink->n, 2);
	cr_expect_eq(sink->spans[1].start_unix_ns, 1005);
	cr_expect_eq(sink->spans[1].end_unix_ns, 1005);

	/* a negative offset is applied as such */
	tracer_tick(t, 0, -500);
	trc_data_on(t, &tp, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 900, 1000, TRC_GET);
	trc_data_on(t, &tp, 1, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 5000, 5100, TRC_OK);
	cr_assert_eq(sink->n, 3);
	cr_expect_eq(sink->spans[2].start_unix_ns, 500);
	cr_expect_eq(sink->spans[2].end_unix_ns, 4500);
	tracer_free(t);
}

/* A comm that fills its field (no NUL): the names are cut, terminated. */
Test(tracer, names_bounded)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	union trc_record r;
	char want[ZT_COMM_LEN];
	const struct span *s;

	memset(want, 'c', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	trc_header(&r, 1, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 100, 110, 7);
	memset(r.e.comm, 'c', sizeof(r.e.comm));
	r.e.cap_len = (uint32_t)strlen(TRC_GET);
	r.e.bytes = r.e.cap_len;
	memcpy(r.bytes + sizeof(r.e), TRC_GET, r.e.cap_len);
	trc_feed(t, &r);
	trc_data(t, 1, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 200, 210, 7, TRC_OK);
	cr_assert_eq(sink->n, 1);
	s = &sink->spans[0];
	cr_expect_str_eq(s->exe_name, want);
	cr_expect_str_eq(s->service_name, want);
	cr_expect_str_eq(s->comm, want);
	tracer_free(t);
}

/* ---- the kernel's record forms: whole-write windows, frame segments ---- */

/* A write the kernel copied whole in two records (ZT_CAPTURE_WHOLE): the
 * Redis reply of a 6000-byte value, read back to one span. */
Test(tracer, whole_write_windows_make_one_chunk_stream)
{
	struct trc_sink *sink = trc_sink_new();
	static char reply[6100];
	struct tracer *t = trc_new(sink, 64);
	const char *cmd = "*2\r\n$3\r\nGET\r\n$6\r\nuser:7\r\n";
	union trc_record r;
	size_t n;

	n = (size_t)snprintf(reply, sizeof(reply), "$6000\r\n");
	memset(reply + n, 'x', 6000);
	memcpy(reply + n + 6000, "\r\n", 2);
	n += 6002;
	trc_header(&r, 9, ZT_ROLE_CLIENT, ZT_DIR_EGRESS, 100, 110, 7);
	r.e.proto = ZT_PROTO_REDIS;
	r.e.cap_len = r.e.bytes = (uint32_t)strlen(cmd);
	memcpy(r.bytes + sizeof(r.e), cmd, strlen(cmd));
	trc_feed(t, &r);
	/* the first ZT_CAPTURE_MAX bytes, more to come ... */
	trc_header(&r, 9, ZT_ROLE_CLIENT, ZT_DIR_INGRESS, 200, 210, 7);
	r.e.proto = ZT_PROTO_REDIS;
	r.e.bytes = (int64_t)n;
	r.e.cap_len = ZT_CAPTURE_MAX;
	r.e.flags = ZT_F_MORE;
	memcpy(r.bytes + sizeof(r.e), reply, ZT_CAPTURE_MAX);
	trc_feed(t, &r);
	cr_expect_eq(sink->n, 0);
	/* ... and the rest of the same read */
	r.e.win_off = ZT_CAPTURE_MAX;
	r.e.cap_len = (uint32_t)(n - ZT_CAPTURE_MAX);
	r.e.flags = 0;
	memcpy(r.bytes + sizeof(r.e), reply + ZT_CAPTURE_MAX, n - ZT_CAPTURE_MAX);
	trc_feed(t, &r);
	cr_assert_eq(sink->n, 1);
	cr_expect_str_eq(sink->spans[0].name, "GET user:{id}");
	cr_expect_str_eq(sa_str(&sink->spans[0].attrs, "db.query.text"), "GET user:7");
	cr_expect_eq(sink->spans[0].resp_size, n);
	cr_expect_eq(sink->spans[0].kind, SPAN_KIND_CLIENT);
	cr_expect_eq(trc_stats(t).parse_misses, 0);
	cr_expect_eq(trc_stats(t).bad_events, 0);
	tracer_free(t);
}

/* A window past the bytes it belongs to, copied bytes past the window, a
 * segment table that does not add up: malformed, counted, no connection. */
Test(tracer, records_that_contradict_themselves_are_refused)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	struct zt_seg seg = { .off = 0, .len = 5, .frames = 1, .cap = 5 };
	union trc_record r;

	trc_header(&r, 3, ZT_ROLE_CLIENT, ZT_DIR_EGRESS, 1, 2, 7);
	r.e.proto = ZT_PROTO_REDIS;
	r.e.bytes = 10;
	r.e.win_off = 11;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e)), 0);
	r.e.win_off = 6;
	r.e.cap_len = 5;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) + 5), 0);
	/* segments: the table must hold exactly cap_len bytes */
	r.e.win_off = 0;
	r.e.flags = ZT_F_SEGS;
	r.e.nsegs = 1;
	memcpy(r.bytes + sizeof(r.e), &seg, sizeof(seg));
	memcpy(r.bytes + sizeof(r.e) + sizeof(seg), "Q\0\0\0\4", 5);
	r.e.cap_len = sizeof(seg) + 4;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) + r.e.cap_len), 0);
	r.e.cap_len = sizeof(seg) + 6;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) + r.e.cap_len), 0);
	/* a segment past the syscall's bytes, and one that copies more than it covers */
	seg.len = 11;
	memcpy(r.bytes + sizeof(r.e), &seg, sizeof(seg));
	r.e.cap_len = sizeof(seg) + 5;
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) + r.e.cap_len), 0);
	seg.len = 4;
	memcpy(r.bytes + sizeof(r.e), &seg, sizeof(seg));
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) + r.e.cap_len), 0);
	cr_expect_eq(trc_stats(t).bad_events, 6);
	cr_expect_eq(trc_stats(t).conns_opened, 0);
	/* well formed, it is taken */
	seg.len = 5;
	memcpy(r.bytes + sizeof(r.e), &seg, sizeof(seg));
	cr_expect_eq(tracer_handle_event(t, &r, sizeof(r.e) + r.e.cap_len), 0);
	cr_expect_eq(trc_stats(t).bad_events, 6);
	cr_expect_eq(trc_stats(t).conns_opened, 1);
	tracer_free(t);
}

/* The record a ring buffer dropped: its bytes moved, the tracer never saw it. */
static void trc_lost(uint64_t conn_id, uint8_t role, uint8_t dir, const char *payload)
{
	union trc_record r;

	trc_header(&r, conn_id, role, dir, 0, 0, 1);
	r.e.bytes = (int64_t)strlen(payload);
	test_stream_stamp(&r.e);
}

Test(tracer, a_lost_response_is_a_gap_not_the_next_answer)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);

	trc_data(t, 7, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 1000, 1100, 201, "GET /a HTTP/1.1\r\n\r\n");
	trc_lost(7, ZT_ROLE_SERVER, ZT_DIR_EGRESS, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	trc_data(t, 7, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 3000, 3100, 201, "GET /b HTTP/1.1\r\n\r\n");
	trc_data(t, 7, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 4000, 4100, 201,
		 "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
	trc_close(t, 7, ZT_SYS_CLOSE, TRC_PID, 5000);
	/* the 404 answers /b, not /a; /a's answer is unknown, never made up */
	cr_assert_eq(sink->n, 2);
	cr_expect_str_eq(TRC_STR(&sink->spans[0], "url.path"), "/a");
	trc_expect_no_status_code(&sink->spans[0]);
	cr_expect_str_eq(TRC_STR(&sink->spans[1], "url.path"), "/b");
	cr_expect_eq(trc_int(&sink->spans[1], "http.response.status_code"), 404);
	cr_expect_eq(trc_stats(t).record_gaps, 1);
	tracer_free(t);
}

Test(tracer, a_lost_first_response_is_seen_from_the_request_side)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);

	/* the connection's first egress record is the one lost: the ingress
	 * record before it said where egress stood */
	trc_data(t, 7, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 1000, 1100, 201, "GET /a HTTP/1.1\r\n\r\n");
	trc_lost(7, ZT_ROLE_SERVER, ZT_DIR_EGRESS, TRC_OK);
	trc_data(t, 7, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 3000, 3100, 201, "GET /b HTTP/1.1\r\n\r\n");
	trc_data(t, 7, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 4000, 4100, 201, TRC_OK);
	cr_assert_eq(sink->n, 2);
	cr_expect_str_eq(TRC_STR(&sink->spans[0], "url.path"), "/a");
	trc_expect_no_status_code(&sink->spans[0]);
	cr_expect_eq(trc_int(&sink->spans[1], "http.response.status_code"), 200);
	cr_expect_eq(trc_stats(t).record_gaps, 1);
	tracer_free(t);
}

Test(tracer, a_record_from_before_what_was_fed_is_counted_not_parsed)
{
	struct trc_sink *sink = trc_sink_new();
	struct tracer *t = trc_new(sink, 64);
	union trc_record r;

	trc_data(t, 7, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 1000, 1100, 201, "GET /a HTTP/1.1\r\n\r\n");
	/* bytes 1.. of the stream again, as if delivered late */
	trc_header(&r, 7, ZT_ROLE_SERVER, ZT_DIR_INGRESS, 1200, 1300, 201);
	r.e.stream_pos = 1;
	r.e.bytes = r.e.cap_len = 19;
	memcpy(r.bytes + sizeof(r.e), "GET /x HTTP/1.1\r\n\r\n", 19);
	trc_feed(t, &r);
	trc_data(t, 7, ZT_ROLE_SERVER, ZT_DIR_EGRESS, 4000, 4100, 201, TRC_OK);
	cr_assert_eq(sink->n, 1);
	cr_expect_str_eq(TRC_STR(&sink->spans[0], "url.path"), "/a");
	cr_expect_eq(trc_int(&sink->spans[0], "http.response.status_code"), 200);
	cr_expect_eq(trc_stats(t).record_gaps, 1);
	cr_expect_eq(trc_stats(t).parse_misses, 0);
	tracer_free(t);
}
