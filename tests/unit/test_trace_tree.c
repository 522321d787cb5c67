// SPDX-License-Identifier: MIT
/* exporters/trace_tree.c: when traces print, their exact trees, the bounds. */
#define _GNU_SOURCE /* open_memstream */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "span_fixture.h"
#include "trace_tree.h"

#define TT_MS 1000000ULL
#define TT_T0 1700000000000000000ULL /* wall clock of the spans */
#define TT_M0 (5000 * TT_MS)         /* monotonic clock of the arrivals */
#define TT_GRACE (5 * TT_MS)
#define TT_WAIT (1000 * TT_MS)

TestSuite(trace_tree);

struct tt_out {
	char *buf;
	size_t len;
	FILE *f;
};

static void tt_out_open(struct tt_out *o)
{
	memset(o, 0, sizeof(*o));
	o->f = open_memstream(&o->buf, &o->len);
	cr_assert_not_null(o->f);
}

/* Everything printed so far. */
static const char *tt_text(struct tt_out *o)
{
	fflush(o->f);
	return o->buf;
}

static void tt_out_close(struct tt_out *o)
{
	fclose(o->f);
	free(o->buf);
}

/*
 * A span of trace tid (the id is tid then fixed bytes) with span id sid and,
 * when pid_ is not 0, parent psid (both as 8 bytes 00..00xx); times in
 * microseconds after TT_T0; status 0 means no response.
 */
static struct span tt_span(uint8_t tid, uint8_t sid, int has_parent, uint8_t psid,
			   enum span_kind kind, const char *svc, uint32_t pid,
			   const char *method, const char *route, uint16_t status,
			   uint64_t start_us, uint64_t end_us)
{
	static const uint8_t trace_id[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
					      0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
	struct span s;

	memset(&s, 0, sizeof(s));
	memcpy(s.trace_id, trace_id, sizeof(trace_id));
	s.trace_id[15] = (uint8_t)(trace_id[15] + tid);
	s.span_id[7] = sid;
	s.has_parent = (uint8_t)has_parent;
	s.parent_span_id[7] = psid;
	s.kind = (uint8_t)kind;
	s.start_unix_ns = TT_T0 + start_us * 1000;
	s.end_unix_ns = TT_T0 + end_us * 1000;
	s.pid = pid;
	snprintf(s.service_name, sizeof(s.service_name), "%s", svc);
	strcpy(s.client.address, "10.0.0.1");
	s.client.port = 40000;
	strcpy(s.server.address, "10.0.0.2");
	s.server.port = 8080;
	span_fixture_http(&s, &(struct http_fields){ .method = method, .path = route,
						    .route = route, .status = status,
						    .version_minor = 1 });
	return s;
}

/* The endpoints tt_span sets, as a line ends with them. */
#define TT_EP " 10.0.0.1:40000 -> 10.0.0.2:8080"

static void tt_ep(struct span *s, const char *client, uint16_t cport, const char *server,
		  uint16_t sport)
{
	snprintf(s->client.address, sizeof(s->client.address), "%s", client);
	s->client.port = cport;
	snprintf(s->server.address, sizeof(s->server.address), "%s", server);
	s->server.port = sport;
}

/* A one-span trace: a SERVER with no parent, 1 ms long. */
static struct span tt_root(uint8_t tid, uint8_t sid, const char *route, uint64_t start_us)
{
	return tt_span(tid, sid, 0, 0, SPAN_KIND_SERVER, "svc", 7, "GET", route, 200, start_us,
		       start_us + 1000);
}

static struct trace_tree_stats tt_stats(const struct trace_tree *t)
{
	struct trace_tree_stats st;

	trace_tree_get_stats(t, &st);
	return st;
}

/*
 * gateway serves /api/{id} for a caller elsewhere (remote parent 0x99),
 * calls users and orders; orders calls stock. Listed in the order spans
 * finish: children first, the root last.
 */
static void tt_seven(struct span out[7])
{
	out[0] = tt_span(0, 3, 1, 2, SPAN_KIND_SERVER, "users", 52, "GET", "/users/{id}", 200,
			 1100, 4000);
	out[1] = tt_span(0, 2, 1, 1, SPAN_KIND_CLIENT, "gateway", 41, "GET", "/users/{id}", 200,
			 1000, 4100);
	out[2] = tt_span(0, 7, 1, 6, SPAN_KIND_SERVER, "stock", 74, "POST", "/stock/{id}", 503,
			 6500, 8500);
	out[3] = tt_span(0, 6, 1, 5, SPAN_KIND_CLIENT, "orders", 63, "POST", "/stock/{id}", 0,
			 6000, 9000);
	out[4] = tt_span(0, 5, 1, 4, SPAN_KIND_SERVER, "orders", 63, "GET", "/orders/{id}", 200,
			 5200, 10800);
	out[5] = tt_span(0, 4, 1, 1, SPAN_KIND_CLIENT, "gateway", 41, "GET", "/orders/{id}", 200,
			 5000, 11000);
	out[6] = tt_span(0, 1, 1, 0x99, SPAN_KIND_SERVER, "gateway", 41, "GET", "/api/{id}", 200,
			 0, 12345);
	tt_ep(&out[0], "10.0.0.1", 41000, "10.0.0.2", 8001);
	tt_ep(&out[1], "10.0.0.1", 41000, "10.0.0.2", 8001);
	tt_ep(&out[2], "10.0.0.3", 42000, "fd00::4", 8003);
	tt_ep(&out[3], "10.0.0.3", 42000, "fd00::4", 8003);
	tt_ep(&out[4], "10.0.0.1", 41001, "10.0.0.3", 8002);
	tt_ep(&out[5], "10.0.0.1", 41001, "10.0.0.3", 8002);
	tt_ep(&out[6], "10.0.0.9", 50000, "10.0.0.1", 8000);
}

/* Lines of the seven spans, after their indent. */
#define TT_GW "SERVER gateway[41] GET /api/{id} 200 12.345ms 10.0.0.9:50000 -> 10.0.0.1:8000\n"
#define TT_GW_USERS "CLIENT gateway[41] GET /users/{id} 200 3.100ms 10.0.0.1:41000 -> 10.0.0.2:8001\n"
#define TT_USERS "SERVER users[52] GET /users/{id} 200 2.900ms 10.0.0.1:41000 -> 10.0.0.2:8001\n"
#define TT_GW_ORDERS "CLIENT gateway[41] GET /orders/{id} 200 6.000ms 10.0.0.1:41001 -> 10.0.0.3:8002\n"
#define TT_ORDERS "SERVER orders[63] GET /orders/{id} 200 5.600ms 10.0.0.1:41001 -> 10.0.0.3:8002\n"
#define TT_ORDERS_STOCK "CLIENT orders[63] POST /stock/{id} --- 3.000ms 10.0.0.3:42000 -> [fd00::4]:8003\n"
#define TT_STOCK "SERVER stock[74] POST /stock/{id} 503 2.000ms 10.0.0.3:42000 -> [fd00::4]:8003\n"

#define TT_SEVEN_TEXT                                                          \
	"trace 4bf92f3577b34da6a3ce929d0e0e4736  7 spans  12.345ms\n"          \
	"  "         TT_GW                                                     \
	"    "       TT_GW_USERS                                               \
	"      "     TT_USERS                                                  \
	"    "       TT_GW_ORDERS                                              \
	"      "     TT_ORDERS                                                 \
	"        "   TT_ORDERS_STOCK                                           \
	"          " TT_STOCK

Test(trace_tree, seven_spans_children_first_print_once_after_grace)
{
	struct tt_out o;
	struct trace_tree *t;
	struct trace_tree_stats st;
	struct span s[7];

	tt_out_open(&o);
	t = trace_tree_new(64, TT_GRACE, TT_WAIT, o.f);
	cr_assert_not_null(t);
	tt_seven(s);
	for (int i = 0; i < 7; i++) {
		trace_tree_add(t, &s[i], TT_M0 + (uint64_t)i * TT_MS);
		trace_tree_tick(t, TT_M0 + (uint64_t)i * TT_MS);
	}
	/* the last span arrived at +6 ms: due at +11 ms */
	trace_tree_tick(t, TT_M0 + 11 * TT_MS - 1);
	cr_assert_str_eq(tt_text(&o), "");
	trace_tree_tick(t, TT_M0 + 11 * TT_MS);
	cr_assert_str_eq(tt_text(&o), TT_SEVEN_TEXT);
	trace_tree_tick(t, TT_M0 + 2 * TT_WAIT);
	trace_tree_flush(t);
	cr_assert_str_eq(tt_text(&o), TT_SEVEN_TEXT);

	st = tt_stats(t);
	cr_assert_eq(st.traces_printed, 1);
	cr_assert_eq(st.traces_forced, 0);
	cr_assert_eq(st.spans_printed, 7);
	cr_assert_eq(st.spans_dropped, 0);
	trace_tree_free(t);
	tt_out_close(&o);
}

Test(trace_tree, nothing_printed_before_grace)
{
	struct tt_out o;
	struct trace_tree *t;
	struct span r = tt_root(1, 1, "/a", 0);

	tt_out_open(&o);
	t = trace_tree_new(8, TT_GRACE, TT_WAIT, o.f);
	trace_tree_add(t, &r, TT_M0);
	trace_tree_tick(t, TT_M0);
	trace_tree_tick(t, TT_M0 + TT_GRACE - 1);
	cr_assert_str_eq(tt_text(&o), "");
	cr_assert_eq(tt_stats(t).traces_printed, 0);
	trace_tree_tick(t, TT_M0 + TT_GRACE);
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4737  1 span  1.000ms\n"
				      "  SERVER svc[7] GET /a 200 1.000ms" TT_EP "\n");
	trace_tree_free(t);
	tt_out_close(&o);
}

/* A straggler within the grace restarts it. */
Test(trace_tree, grace_restarts_on_each_span)
{
	struct tt_out o;
	struct trace_tree *t;
	struct span r = tt_root(1, 1, "/a", 0);
	struct span c = tt_span(1, 2, 1, 1, SPAN_KIND_CLIENT, "svc", 7, "GET", "/b", 200, 100,
				600);

	tt_out_open(&o);
	t = trace_tree_new(8, TT_GRACE, TT_WAIT, o.f);
	trace_tree_add(t, &r, TT_M0);
	trace_tree_add(t, &c, TT_M0 + TT_GRACE - 1);
	trace_tree_tick(t, TT_M0 + TT_GRACE);
	trace_tree_tick(t, TT_M0 + 2 * TT_GRACE - 2);
	cr_assert_str_eq(tt_text(&o), "");
	trace_tree_tick(t, TT_M0 + 2 * TT_GRACE - 1);
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4737  2 spans  1.000ms\n"
				      "  SERVER svc[7] GET /a 200 1.000ms" TT_EP "\n"
				      "    CLIENT svc[7] GET /b 200 0.500ms" TT_EP "\n");
	trace_tree_free(t);
	tt_out_close(&o);
}

/* No root ever arrives: the wait bound prints what is there, forced. */
Test(trace_tree, wait_bound_forces_incomplete_trace)
{
	struct tt_out o;
	struct trace_tree *t;
	struct trace_tree_stats st;
	struct span s[7];

	tt_out_open(&o);
	t = trace_tree_new(64, TT_GRACE, TT_WAIT, o.f);
	tt_seven(s);
	/* users SERVER then its parent CLIENT: the SERVER is no root after all */
	trace_tree_add(t, &s[0], TT_M0);
	trace_tree_add(t, &s[1], TT_M0 + TT_MS);
	trace_tree_tick(t, TT_M0 + 100 * TT_MS);
	trace_tree_tick(t, TT_M0 + TT_WAIT - 1);
	cr_assert_str_eq(tt_text(&o), "");
	trace_tree_tick(t, TT_M0 + TT_WAIT);
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4736  2 spans  3.100ms\n"
				      "  " TT_GW_USERS
				      "    " TT_USERS);
	st = tt_stats(t);
	cr_assert_eq(st.traces_printed, 1);
	cr_assert_eq(st.traces_forced, 1);
	cr_assert_eq(st.spans_printed, 2);
	trace_tree_free(t);
	tt_out_close(&o);
}

/* Spans keep arriving within the grace: the wait bound still prints it. */
Test(trace_tree, wait_bound_caps_a_complete_trace)
{
	struct tt_out o;
	struct trace_tree *t;
	struct span r = tt_root(1, 1, "/a", 0);
	uint64_t now = TT_M0;

	tt_out_open(&o);
	t = trace_tree_new(64, 10 * TT_MS, 20 * TT_MS, o.f);
	trace_tree_add(t, &r, now);
	for (uint8_t i = 2; i < 8; i++) {
		struct span c = tt_span(1, i, 1, 1, SPAN_KIND_CLIENT, "svc", 7, "GET", "/c", 200,
					100 * i, 100 * i + 50);

		now += 5 * TT_MS;
		trace_tree_tick(t, now);
		trace_tree_add(t, &c, now);
	}
	/* each arrival pushed the grace out; the wait bound at +20 ms printed
	 * the root and the three spans before it */
	cr_assert_eq(tt_stats(t).traces_printed, 1);
	cr_assert_eq(tt_stats(t).traces_forced, 1);
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4737  4 spans  1.000ms\n"
				      "  SERVER svc[7] GET /a 200 1.000ms" TT_EP "\n"
				      "    CLIENT svc[7] GET /c 200 0.050ms" TT_EP "\n"
				      "    CLIENT svc[7] GET /c 200 0.050ms" TT_EP "\n"
				      "    CLIENT svc[7] GET /c 200 0.050ms" TT_EP "\n");
	trace_tree_free(t);
	tt_out_close(&o);
}

/* Grace and wait running out together: the trace is complete, not forced. */
Test(trace_tree, grace_wins_a_tie_with_wait)
{
	struct tt_out o;
	struct trace_tree *t;
	struct span r = tt_root(1, 1, "/a", 0);

	tt_out_open(&o);
	t = trace_tree_new(4, TT_GRACE, TT_GRACE, o.f);
	trace_tree_add(t, &r, TT_M0);
	trace_tree_tick(t, TT_M0 + TT_GRACE);
	cr_assert_eq(tt_stats(t).traces_printed, 1);
	cr_assert_eq(tt_stats(t).traces_forced, 0);
	trace_tree_free(t);
	tt_out_close(&o);
}

/* Two traces' spans interleaved: each prints whole, in the order due. */
Test(trace_tree, two_interleaved_traces)
{
	struct tt_out o;
	struct trace_tree *t;
	struct span a_c = tt_span(1, 2, 1, 1, SPAN_KIND_CLIENT, "a", 1, "GET", "/a/x", 200, 100,
				  200);
	struct span b_c = tt_span(2, 2, 1, 1, SPAN_KIND_CLIENT, "b", 2, "GET", "/b/x", 500, 300,
				  700);
	struct span a_r = tt_span(1, 1, 0, 0, SPAN_KIND_SERVER, "a", 1, "GET", "/a", 200, 0, 900);
	struct span b_r = tt_span(2, 1, 0, 0, SPAN_KIND_SERVER, "b", 2, "PUT", "/b", 500, 50,
				  1050);

	tt_out_open(&o);
	t = trace_tree_new(16, TT_GRACE, TT_WAIT, o.f);
	trace_tree_add(t, &a_c, TT_M0);
	trace_tree_add(t, &b_c, TT_M0 + 1 * TT_MS);
	trace_tree_add(t, &b_r, TT_M0 + 2 * TT_MS);
	trace_tree_add(t, &a_r, TT_M0 + 3 * TT_MS);
	trace_tree_tick(t, TT_M0 + 7 * TT_MS);
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4738  2 spans  1.000ms\n"
				      "  SERVER b[2] PUT /b 500 1.000ms" TT_EP "\n"
				      "    CLIENT b[2] GET /b/x 500 0.400ms" TT_EP "\n");
	trace_tree_tick(t, TT_M0 + 8 * TT_MS);
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4738  2 spans  1.000ms\n"
				      "  SERVER b[2] PUT /b 500 1.000ms" TT_EP "\n"
				      "    CLIENT b[2] GET /b/x 500 0.400ms" TT_EP "\n"
				      "trace 4bf92f3577b34da6a3ce929d0e0e4737  2 spans  0.900ms\n"
				      "  SERVER a[1] GET /a 200 0.900ms" TT_EP "\n"
				      "    CLIENT a[1] GET /a/x 200 0.100ms" TT_EP "\n");
	cr_assert_eq(tt_stats(t).traces_printed, 2);
	cr_assert_eq(tt_stats(t).traces_forced, 0);
	trace_tree_free(t);
	tt_out_close(&o);
}

/* Several traces due at one tick come out in due order, not id or arrival. */
Test(trace_tree, due_order_across_traces)
{
	struct tt_out o;
	struct trace_tree *t;
	struct span a_c = tt_span(1, 2, 1, 1, SPAN_KIND_CLIENT, "a", 1, "GET", "/a", 200, 0, 10);
	struct span b = tt_root(2, 1, "/b", 0);
	struct span c = tt_root(3, 1, "/c", 0);

	tt_out_open(&o);
	/* grace 5 ms, wait 8 ms: a (no root) is due at +8, b at +6, c at +7 */
	t = trace_tree_new(16, TT_GRACE, 8 * TT_MS, o.f);
	trace_tree_add(t, &a_c, TT_M0);
	trace_tree_add(t, &b, TT_M0 + TT_MS);
	trace_tree_add(t, &c, TT_M0 + 2 * TT_MS);
	trace_tree_tick(t, TT_M0 + 100 * TT_MS);
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4738  1 span  1.000ms\n"
				      "  SERVER svc[7] GET /b 200 1.000ms" TT_EP "\n"
				      "trace 4bf92f3577b34da6a3ce929d0e0e4739  1 span  1.000ms\n"
				      "  SERVER svc[7] GET /c 200 1.000ms" TT_EP "\n"
				      "trace 4bf92f3577b34da6a3ce929d0e0e4737  1 span  0.010ms\n"
				      "  CLIENT a[1] GET /a 200 0.010ms" TT_EP "\n");
	cr_assert_eq(tt_stats(t).traces_forced, 1);
	trace_tree_free(t);
	tt_out_close(&o);
}

/* A span whose parent is not buffered prints at the top level; with two
 * top-level spans the header spans first start to last end. */
Test(trace_tree, orphan_printed_at_top_level)
{
	struct tt_out o;
	struct trace_tree *t;
	struct span r = tt_root(1, 1, "/a", 1000);                   /* 1000..2000 us */
	struct span k = tt_span(1, 2, 1, 1, SPAN_KIND_CLIENT, "svc", 7, "GET", "/k", 200, 1200,
				1300);
	struct span orphan = tt_span(1, 3, 1, 0x42, SPAN_KIND_CLIENT, "lost", 9, "DELETE",
				     "/o/{id}", 204, 500, 2500);

	tt_out_open(&o);
	t = trace_tree_new(16, TT_GRACE, TT_WAIT, o.f);
	trace_tree_add(t, &k, TT_M0);
	trace_tree_add(t, &orphan, TT_M0);
	trace_tree_add(t, &r, TT_M0);
	trace_tree_tick(t, TT_M0 + TT_GRACE);
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4737  3 spans  2.000ms\n"
				      "  CLIENT lost[9] DELETE /o/{id} 204 2.000ms" TT_EP "\n"
				      "  SERVER svc[7] GET /a 200 1.000ms" TT_EP "\n"
				      "    CLIENT svc[7] GET /k 200 0.100ms" TT_EP "\n");
	cr_assert_eq(tt_stats(t).traces_forced, 0);
	trace_tree_free(t);
	tt_out_close(&o);
}

/* Children by start time, then span id; arrival order does not matter. */
Test(trace_tree, children_sorted_by_start_then_span_id)
{
	struct tt_out o;
	struct trace_tree *t;
	struct span r = tt_root(1, 1, "/r", 0);
	struct span c[4] = {
		tt_span(1, 9, 1, 1, SPAN_KIND_CLIENT, "svc", 7, "GET", "/late", 200, 300, 400),
		tt_span(1, 5, 1, 1, SPAN_KIND_CLIENT, "svc", 7, "GET", "/tie5", 200, 100, 400),
		tt_span(1, 4, 1, 1, SPAN_KIND_CLIENT, "svc", 7, "GET", "/tie4", 200, 100, 200),
		tt_span(1, 8, 1, 1, SPAN_KIND_CLIENT, "svc", 7, "GET", "/first", 200, 50, 60),
	};

	tt_out_open(&o);
	t = trace_tree_new(16, TT_GRACE, TT_WAIT, o.f);
	for (int i = 0; i < 4; i++)
		trace_tree_add(t, &c[i], TT_M0);
	trace_tree_add(t, &r, TT_M0);
	trace_tree_flush(t);
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4737  5 spans  1.000ms\n"
				      "  SERVER svc[7] GET /r 200 1.000ms" TT_EP "\n"
				      "    CLIENT svc[7] GET /first 200 0.010ms" TT_EP "\n"
				      "    CLIENT svc[7] GET /tie4 200 0.100ms" TT_EP "\n"
				      "    CLIENT svc[7] GET /tie5 200 0.300ms" TT_EP "\n"
				      "    CLIENT svc[7] GET /late 200 0.100ms" TT_EP "\n");
	trace_tree_free(t);
	tt_out_close(&o);
}

/* Pool of 3: a fourth span prints the oldest open trace early. */
Test(trace_tree, pool_full_forces_the_oldest)
{
	struct tt_out o;
	struct trace_tree *t;
	struct trace_tree_stats st;
	struct span a1 = tt_span(1, 2, 1, 1, SPAN_KIND_CLIENT, "a", 1, "GET", "/a1", 200, 0, 100);
	struct span a2 = tt_span(1, 3, 1, 1, SPAN_KIND_CLIENT, "a", 1, "GET", "/a2", 200, 200, 300);
	struct span b = tt_span(2, 2, 1, 1, SPAN_KIND_CLIENT, "b", 2, "GET", "/b", 200, 0, 100);
	struct span c = tt_root(3, 1, "/c", 0);

	tt_out_open(&o);
	t = trace_tree_new(3, TT_GRACE, TT_WAIT, o.f);
	trace_tree_add(t, &a1, TT_M0);
	trace_tree_add(t, &b, TT_M0 + TT_MS);
	trace_tree_add(t, &a2, TT_M0 + 2 * TT_MS);
	cr_assert_str_eq(tt_text(&o), "");
	trace_tree_add(t, &c, TT_M0 + 3 * TT_MS);
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4737  2 spans  0.300ms\n"
				      "  CLIENT a[1] GET /a1 200 0.100ms" TT_EP "\n"
				      "  CLIENT a[1] GET /a2 200 0.100ms" TT_EP "\n");
	st = tt_stats(t);
	cr_assert_eq(st.traces_printed, 1);
	cr_assert_eq(st.traces_forced, 1);
	trace_tree_tick(t, TT_M0 + 3 * TT_MS + TT_GRACE);
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4737  2 spans  0.300ms\n"
				      "  CLIENT a[1] GET /a1 200 0.100ms" TT_EP "\n"
				      "  CLIENT a[1] GET /a2 200 0.100ms" TT_EP "\n"
				      "trace 4bf92f3577b34da6a3ce929d0e0e4739  1 span  1.000ms\n"
				      "  SERVER svc[7] GET /c 200 1.000ms" TT_EP "\n");
	trace_tree_free(t);
	tt_out_close(&o);
}

/* A full pool first prints what is already due: nothing is forced. */
Test(trace_tree, pool_full_prints_due_traces_first)
{
	struct tt_out o;
	struct trace_tree *t;
	struct span a = tt_span(1, 2, 1, 1, SPAN_KIND_CLIENT, "a", 1, "GET", "/a", 200, 0, 100);
	struct span b = tt_root(2, 1, "/b", 0);
	struct span c = tt_root(3, 1, "/c", 0);

	tt_out_open(&o);
	t = trace_tree_new(2, TT_GRACE, TT_WAIT, o.f);
	trace_tree_add(t, &a, TT_M0);
	trace_tree_add(t, &b, TT_M0 + TT_MS);
	trace_tree_add(t, &c, TT_M0 + TT_MS + TT_GRACE); /* no tick since: b is due */
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4738  1 span  1.000ms\n"
				      "  SERVER svc[7] GET /b 200 1.000ms" TT_EP "\n");
	cr_assert_eq(tt_stats(t).traces_forced, 0);
	trace_tree_free(t);
	tt_out_close(&o);
}

/* One trace larger than the pool: what is there prints, forced, and the
 * rest starts the trace again. */
#define TT_FIRST_FOUR                                                          \
	"trace 4bf92f3577b34da6a3ce929d0e0e4736  4 spans  8.000ms\n"           \
	"  "   TT_GW_USERS                                                     \
	"    " TT_USERS                                                        \
	"  "   TT_ORDERS_STOCK                                                 \
	"    " TT_STOCK

Test(trace_tree, trace_larger_than_pool)
{
	struct tt_out o;
	struct trace_tree *t;
	struct trace_tree_stats st;
	struct span s[7];

	tt_out_open(&o);
	t = trace_tree_new(4, TT_GRACE, TT_WAIT, o.f);
	tt_seven(s);
	for (int i = 0; i < 7; i++)
		trace_tree_add(t, &s[i], TT_M0 + (uint64_t)i * TT_MS);
	cr_assert_str_eq(tt_text(&o), TT_FIRST_FOUR);
	trace_tree_tick(t, TT_M0 + 6 * TT_MS + TT_GRACE);
	cr_assert_str_eq(tt_text(&o), TT_FIRST_FOUR
			 "trace 4bf92f3577b34da6a3ce929d0e0e4736  3 spans  12.345ms\n"
			 "  "     TT_GW
			 "    "   TT_GW_ORDERS
			 "      " TT_ORDERS);
	st = tt_stats(t);
	cr_assert_eq(st.traces_printed, 2);
	cr_assert_eq(st.traces_forced, 1);
	cr_assert_eq(st.spans_printed, 7);
	trace_tree_free(t);
	tt_out_close(&o);
}

/* flush prints every buffered trace in due order; only rootless ones count
 * as forced. */
Test(trace_tree, flush_prints_all)
{
	struct tt_out o;
	struct trace_tree *t;
	struct trace_tree_stats st;
	struct span a = tt_span(1, 2, 1, 1, SPAN_KIND_CLIENT, "a", 1, "GET", "/a", 200, 0, 100);
	struct span b = tt_root(2, 1, "/b", 0);
	struct span c = tt_root(3, 1, "/c", 0);

	tt_out_open(&o);
	t = trace_tree_new(16, TT_GRACE, TT_WAIT, o.f);
	trace_tree_add(t, &a, TT_M0);
	trace_tree_add(t, &c, TT_M0 + TT_MS);
	trace_tree_add(t, &b, TT_M0 + 2 * TT_MS);
	trace_tree_flush(t);
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4739  1 span  1.000ms\n"
				      "  SERVER svc[7] GET /c 200 1.000ms" TT_EP "\n"
				      "trace 4bf92f3577b34da6a3ce929d0e0e4738  1 span  1.000ms\n"
				      "  SERVER svc[7] GET /b 200 1.000ms" TT_EP "\n"
				      "trace 4bf92f3577b34da6a3ce929d0e0e4737  1 span  0.100ms\n"
				      "  CLIENT a[1] GET /a 200 0.100ms" TT_EP "\n");
	st = tt_stats(t);
	cr_assert_eq(st.traces_printed, 3);
	cr_assert_eq(st.traces_forced, 1);
	cr_assert_eq(st.spans_printed, 3);
	/* empty now: a second flush and a late tick print nothing */
	trace_tree_flush(t);
	trace_tree_tick(t, UINT64_MAX);
	cr_assert_eq(tt_stats(t).traces_printed, 3);
	trace_tree_free(t);
	tt_out_close(&o);
}

Test(trace_tree, control_bytes_sanitized)
{
	struct tt_out o;
	struct trace_tree *t;
	struct span r = tt_span(1, 1, 0, 0, SPAN_KIND_SERVER, "svc\x1b[31m\x7f", 3,
				"G\tET", "/a\r\n\xc2\x9b/b", 200, 0, 1000);

	tt_out_open(&o);
	t = trace_tree_new(4, TT_GRACE, TT_WAIT, o.f);
	trace_tree_add(t, &r, TT_M0);
	trace_tree_flush(t);
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4737  1 span  1.000ms\n"
				      "  SERVER svc?[31m?[3] G?ET /a\?\?\?\?/b 200 1.000ms" TT_EP "\n");
	trace_tree_free(t);
	tt_out_close(&o);
}

/* Unterminated strings in a span are cut at their field's end. */
Test(trace_tree, unterminated_strings_are_bounded)
{
	struct tt_out o;
	struct trace_tree *t;
	struct span r = tt_root(1, 1, "/a", 0);
	char want[1024], name[sizeof(r.name)], svc[sizeof(r.service_name)], code[sizeof(r.code)];

	memset(r.name, 'M', sizeof(r.name));
	memset(r.code, '9', sizeof(r.code));
	memset(r.service_name, 'S', sizeof(r.service_name));
	memset(name, 'M', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(code, '9', sizeof(code) - 1);
	code[sizeof(code) - 1] = '\0';
	memset(svc, 'S', sizeof(svc) - 1);
	svc[sizeof(svc) - 1] = '\0';
	tt_out_open(&o);
	t = trace_tree_new(4, TT_GRACE, TT_WAIT, o.f);
	trace_tree_add(t, &r, TT_M0);
	trace_tree_flush(t);
	snprintf(want, sizeof(want),
		 "trace 4bf92f3577b34da6a3ce929d0e0e4737  1 span  1.000ms\n"
		 "  SERVER %s[7] %s %s 1.000ms" TT_EP "\n", svc, name, code);
	cr_assert_str_eq(tt_text(&o), want);
	trace_tree_free(t);
	tt_out_close(&o);
}

/* Hostile ids: A's parent is B, B's parent is A, C is its own parent. No
 * root: the wait bound prints them, each span once, the cycle broken at its
 * earliest span. */
Test(trace_tree, cycle_terminates)
{
	struct tt_out o;
	struct trace_tree *t;
	struct span a = tt_span(1, 0xa, 1, 0xb, SPAN_KIND_SERVER, "a", 1, "GET", "/a", 200, 100, 900);
	struct span b = tt_span(1, 0xb, 1, 0xa, SPAN_KIND_SERVER, "b", 2, "GET", "/b", 200, 200, 800);
	struct span c = tt_span(1, 0xc, 1, 0xc, SPAN_KIND_CLIENT, "c", 3, "GET", "/c", 200, 0, 50);
	struct span d = tt_span(1, 0xd, 1, 0xb, SPAN_KIND_CLIENT, "d", 4, "GET", "/d", 200, 300, 400);

	tt_out_open(&o);
	t = trace_tree_new(16, TT_GRACE, TT_WAIT, o.f);
	trace_tree_add(t, &a, TT_M0);
	trace_tree_add(t, &b, TT_M0);
	trace_tree_add(t, &c, TT_M0);
	trace_tree_add(t, &d, TT_M0);
	trace_tree_tick(t, TT_M0 + TT_GRACE);
	cr_assert_str_eq(tt_text(&o), "");
	trace_tree_tick(t, TT_M0 + TT_WAIT);
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4737  4 spans  0.900ms\n"
				      "  CLIENT c[3] GET /c 200 0.050ms" TT_EP "\n"
				      "  SERVER a[1] GET /a 200 0.800ms" TT_EP "\n"
				      "    SERVER b[2] GET /b 200 0.600ms" TT_EP "\n"
				      "      CLIENT d[4] GET /d 200 0.100ms" TT_EP "\n");
	cr_assert_eq(tt_stats(t).traces_forced, 1);
	cr_assert_eq(tt_stats(t).spans_printed, 4);
	trace_tree_free(t);
	tt_out_close(&o);
}

/* A child that starts before its parent (clock skew) still nests under it. */
Test(trace_tree, child_starting_before_parent_nests)
{
	struct tt_out o;
	struct trace_tree *t;
	struct span r = tt_root(1, 1, "/r", 1000);
	struct span k = tt_span(1, 2, 1, 1, SPAN_KIND_CLIENT, "svc", 7, "GET", "/k", 200, 900,
				1500);

	tt_out_open(&o);
	t = trace_tree_new(4, TT_GRACE, TT_WAIT, o.f);
	trace_tree_add(t, &k, TT_M0);
	trace_tree_add(t, &r, TT_M0);
	trace_tree_flush(t);
	cr_assert_str_eq(tt_text(&o), "trace 4bf92f3577b34da6a3ce929d0e0e4737  2 spans  1.000ms\n"
				      "  SERVER svc[7] GET /r 200 1.000ms" TT_EP "\n"
				      "    CLIENT svc[7] GET /k 200 0.600ms" TT_EP "\n");
	trace_tree_free(t);
	tt_out_close(&o);
}

/*
 * Many open traces sharing hash buckets, half of them closed in between:
 * later spans must still find their trace (a lost one would open a second
 * trace and print it apart). 20 traces in 64 buckets, ten rounds of ids.
 */
Test(trace_tree, traces_found_after_neighbours_close)
{
	struct tt_out o;
	struct trace_tree *t;
	struct trace_tree_stats st;
	uint64_t now = TT_M0;

	tt_out_open(&o);
	t = trace_tree_new(32, TT_GRACE, TT_WAIT, o.f);
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 20; i++) {
			uint8_t tid = (uint8_t)(round * 20 + i);
			struct span c = tt_span(tid, 2, 1, 1, SPAN_KIND_CLIENT, "svc", 7, "GET",
						"/c", 200, 100, 200);

			trace_tree_add(t, &c, now);
		}
		for (int i = 0; i < 20; i += 2) {
			struct span r = tt_root((uint8_t)(round * 20 + i), 1, "/r", 0);

			trace_tree_add(t, &r, now);
		}
		now += TT_GRACE;
		trace_tree_tick(t, now);
		for (int i = 1; i < 20; i += 2) {
			uint8_t tid = (uint8_t)(round * 20 + i);
			struct span c = tt_span(tid, 3, 1, 1, SPAN_KIND_CLIENT, "svc", 7, "GET",
						"/c", 200, 300, 400);
			struct span r = tt_root(tid, 1, "/r", 0);

			trace_tree_add(t, &c, now);
			trace_tree_add(t, &r, now);
		}
		now += TT_GRACE;
		trace_tree_tick(t, now);
		st = tt_stats(t);
		cr_assert_eq(st.traces_printed, 20 * (uint64_t)(round + 1));
		cr_assert_eq(st.spans_printed, 50 * (uint64_t)(round + 1));
		cr_assert_eq(st.traces_forced, 0);
	}
	trace_tree_free(t);
	tt_out_close(&o);
}

/* A clock that goes back is held at its latest value. */
Test(trace_tree, clock_going_back_is_ignored)
{
	struct tt_out o;
	struct trace_tree *t;
	struct span r = tt_root(1, 1, "/a", 0);

	tt_out_open(&o);
	t = trace_tree_new(4, TT_GRACE, TT_WAIT, o.f);
	trace_tree_tick(t, TT_M0 + 10 * TT_MS);
	trace_tree_add(t, &r, TT_M0); /* counted as arriving at +10 ms */
	trace_tree_tick(t, TT_M0 + 14 * TT_MS);
	cr_assert_str_eq(tt_text(&o), "");
	trace_tree_tick(t, TT_M0 + 15 * TT_MS);
	cr_assert_eq(tt_stats(t).traces_printed, 1);
	trace_tree_free(t);
	tt_out_close(&o);
}

Test(trace_tree, new_rejects_bad_arguments)
{
	cr_assert_null(trace_tree_new(0, TT_GRACE, TT_WAIT, stdout));
	cr_assert_null(trace_tree_new(4, TT_GRACE, TT_WAIT, NULL));
}
