// SPDX-License-Identifier: MIT
/*
 * user/proto/http1.c, the parts the stitcher relies on: the on_request
 * callback (once per request, when its head completes, with seq 1, 2, 3 ...),
 * the context headers it captures (traceparent, tracestate, b3, X-B3-*), and
 * the same captured values whatever the feed boundaries.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"

#define H1C_REQ HTTP1_SIDE_REQUEST
#define H1C_RESP HTTP1_SIDE_RESPONSE
#define H1C_MAX 16

struct h1c_fixture {
	struct http1_conn conn;
	struct http1_request heads[H1C_MAX]; /* what on_request saw */
	void *head_ctx[H1C_MAX];
	size_t n_heads;
	struct http1_exchange ex[H1C_MAX];
	size_t n_ex;
	size_t heads_at_exchange[H1C_MAX]; /* n_heads when exchange i came */
	unsigned int misses;
};

/* Every callback gets the fixture as ctx, or a tagged pointer into it. */
static struct h1c_fixture *h1c_of(void *ctx)
{
	return *(struct h1c_fixture **)ctx;
}

struct h1c_ctx {
	struct h1c_fixture *f; /* first: h1c_of reads it */
	int tag;
};

static void h1c_on_request(void *ctx, const struct http1_request *req)
{
	struct h1c_fixture *f = h1c_of(ctx);

	cr_assert_lt(f->n_heads, H1C_MAX);
	f->head_ctx[f->n_heads] = ctx;
	f->heads[f->n_heads++] = *req;
}

static void h1c_on_exchange(void *ctx, const struct http1_exchange *ex)
{
	struct h1c_fixture *f = h1c_of(ctx);

	cr_assert_lt(f->n_ex, H1C_MAX);
	f->heads_at_exchange[f->n_ex] = f->n_heads;
	f->ex[f->n_ex++] = *ex;
}

static struct h1c_fixture *h1c_new(void)
{
	struct h1c_fixture *f = calloc(1, sizeof(*f));

	cr_assert_not_null(f);
	http1_conn_init(&f->conn);
	http1_conn_set_request_cb(&f->conn, h1c_on_request);
	return f;
}

static void h1c_feed_ctx(struct h1c_fixture *f, struct h1c_ctx *x, enum http1_side side,
			 const char *data, size_t n, uint64_t tag)
{
	f->misses += http1_conn_feed(&f->conn, side, (const uint8_t *)data, n, n, tag,
				     h1c_on_exchange, x);
}

static struct h1c_ctx h1c_default_ctx(struct h1c_fixture *f)
{
	return (struct h1c_ctx){ .f = f, .tag = 0 };
}

static void h1c_feed(struct h1c_fixture *f, enum http1_side side, const char *data, uint64_t tag)
{
	struct h1c_ctx x = h1c_default_ctx(f);

	h1c_feed_ctx(f, &x, side, data, strlen(data), tag);
}

static void h1c_close(struct h1c_fixture *f)
{
	struct h1c_ctx x = h1c_default_ctx(f);

	http1_conn_close(&f->conn, 999, h1c_on_exchange, &x);
}

#define H1C_TP "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
#define H1C_OK "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

/* ---- the callback -------------------------------------------------------- */

Test(http1_context, callback_once_per_request_with_seq)
{
	struct h1c_fixture *f = h1c_new();

	for (int i = 0; i < 3; i++) {
		char req[64];

		snprintf(req, sizeof(req), "GET /%d HTTP/1.1\r\nHost: h\r\n\r\n", i + 1);
		h1c_feed(f, H1C_REQ, req, (uint64_t)(10 * i + 1));
		cr_expect_eq(f->n_heads, (size_t)i + 1, "the head is reported when it completes");
		h1c_feed(f, H1C_RESP, H1C_OK, (uint64_t)(10 * i + 2));
	}
	cr_assert_eq(f->n_heads, 3);
	cr_assert_eq(f->n_ex, 3);
	for (uint32_t i = 0; i < 3; i++) {
		char target[8];

		snprintf(target, sizeof(target), "/%u", i + 1);
		cr_expect_eq(f->heads[i].seq, i + 1);
		cr_expect_str_eq(f->heads[i].target, target);
		cr_expect_str_eq(f->heads[i].host, "h");
		cr_expect_eq(f->ex[i].req.seq, i + 1, "the exchange carries the same seq");
		cr_expect_eq(f->heads_at_exchange[i], (size_t)i + 1,
			     "the head came before its exchange");
	}
	cr_expect_eq(f->misses, 0);
	free(f);
}

Test(http1_context, callback_when_the_head_completes_not_the_body)
{
	struct h1c_fixture *f = h1c_new();

	h1c_feed(f, H1C_REQ, "POST /p HTTP/1.1\r\nContent-Length: 4\r\n", 1);
	cr_expect_eq(f->n_heads, 0, "headers not complete yet");
	h1c_feed(f, H1C_REQ, "\r\n", 2);
	cr_assert_eq(f->n_heads, 1);
	cr_expect_eq(f->heads[0].seq, 1);
	cr_expect_eq(f->heads[0].start_tag, 1);
	cr_expect_eq(f->heads[0].body_size, 0, "the body has not come");
	h1c_feed(f, H1C_REQ, "ab", 3);
	h1c_feed(f, H1C_REQ, "cd", 4);
	cr_expect_eq(f->n_heads, 1);
	h1c_feed(f, H1C_RESP, H1C_OK, 5);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].req.body_size, 4);
	cr_expect_eq(f->ex[0].req.end_tag, 4);
	free(f);
}

Test(http1_context, callback_gets_the_ctx_of_the_completing_feed)
{
	struct h1c_fixture *f = h1c_new();
	struct h1c_ctx a = { .f = f, .tag = 1 }, b = { .f = f, .tag = 2 };
	const char *p1 = "GET / HTTP/1.1\r\nHost: x\r\n", *p2 = "\r\n";

	h1c_feed_ctx(f, &a, H1C_REQ, p1, strlen(p1), 1);
	h1c_feed_ctx(f, &b, H1C_REQ, p2, strlen(p2), 2);
	cr_assert_eq(f->n_heads, 1);
	cr_expect_eq(f->head_ctx[0], &b);
	free(f);
}

Test(http1_context, pipelined_heads_each_fire_in_order)
{
	struct h1c_fixture *f = h1c_new();

	h1c_feed(f, H1C_REQ,
		 "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\ntraceparent: " H1C_TP
		 "\r\n\r\nGET /c HTTP/1.1\r\n\r\n",
		 1);
	cr_assert_eq(f->n_heads, 3);
	cr_expect_str_eq(f->heads[0].target, "/a");
	cr_expect_str_eq(f->heads[1].target, "/b");
	cr_expect_str_eq(f->heads[2].target, "/c");
	cr_expect_str_eq(f->heads[0].wire.traceparent, "");
	cr_expect_str_eq(f->heads[1].wire.traceparent, H1C_TP);
	cr_expect_str_eq(f->heads[2].wire.traceparent, "");
	for (uint32_t i = 0; i < 3; i++)
		cr_expect_eq(f->heads[i].seq, i + 1);
	free(f);
}

Test(http1_context, no_callback_for_a_head_cut_by_a_gap)
{
	struct h1c_fixture *f = h1c_new();
	const char *part = "GET /big HTTP/1.1\r\nHost: x\r\nX-Long: aaaa";
	struct h1c_ctx x = h1c_default_ctx(f);

	/* 40 bytes captured of 5000 written: the head's end was never seen */
	f->misses += http1_conn_feed(&f->conn, H1C_REQ, (const uint8_t *)part, strlen(part), 5000,
				     1, h1c_on_exchange, &x);
	cr_expect_eq(f->n_heads, 0);
	h1c_feed(f, H1C_RESP, H1C_OK, 2);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->n_heads, 0);
	cr_expect_eq(f->ex[0].req.seq, 1);
	cr_expect(f->ex[0].req.flags & HTTP1_MSG_HEAD_TRUNCATED);
	/* the next request on the connection is whole again */
	h1c_feed(f, H1C_REQ, "GET /next HTTP/1.1\r\n\r\n", 3);
	cr_assert_eq(f->n_heads, 1);
	cr_expect_eq(f->heads[0].seq, 2);
	cr_expect_str_eq(f->heads[0].target, "/next");
	free(f);
}

Test(http1_context, callback_survives_close)
{
	struct h1c_fixture *f = h1c_new();

	h1c_feed(f, H1C_REQ, "GET /1 HTTP/1.1\r\n\r\n", 1);
	h1c_close(f);
	cr_expect_eq(f->n_ex, 1, "the unanswered request is reported at close");
	cr_expect_eq(f->conn.on_request, h1c_on_request);
	/* the conn is reused from its init state: seq starts again at 1 */
	h1c_feed(f, H1C_REQ, "GET /2 HTTP/1.1\r\n\r\n", 2);
	cr_assert_eq(f->n_heads, 2);
	cr_expect_eq(f->heads[1].seq, 1);
	cr_expect_str_eq(f->heads[1].target, "/2");
	free(f);
}

Test(http1_context, no_callback_without_one_set)
{
	struct http1_conn c;
	struct h1c_fixture *f = h1c_new();
	struct h1c_ctx x = h1c_default_ctx(f);
	const char *req = "GET / HTTP/1.1\r\ntraceparent: " H1C_TP "\r\n\r\n";

	http1_conn_init(&c);
	cr_expect_eq(http1_conn_feed(&c, H1C_REQ, (const uint8_t *)req, strlen(req), strlen(req),
				     1, h1c_on_exchange, &x), 0);
	http1_conn_close(&c, 2, h1c_on_exchange, &x);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_str_eq(f->ex[0].req.wire.traceparent, H1C_TP);
	cr_expect_eq(f->n_heads, 0);
	free(f);
}

/* ---- the captured headers ------------------------------------------------ */

#define H1C_CTX_REQ                                                                      \
	"GET /ctx HTTP/1.1\r\n"                                                          \
	"Host: svc\r\n"                                                                  \
	"TraceParent:   " H1C_TP "  \r\n"                                                \
	"TRACESTATE:\tcongo=t61rcWkgMzE,rojo=00f067aa0ba902b7\t\r\n"                    \
	"B3: 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90\r\n" \
	"x-b3-traceid: 463ac35c9f6413ad48485a3953bb6124\r\n"                            \
	"X-B3-SPANID:  a2fb4a1d1a96d312 \r\n"                                            \
	"x-B3-Sampled: 1\r\n"                                                            \
	"X-b3-Flags:\t1\r\n"                                                             \
	"X-Other: traceparent\r\n"                                                       \
	"\r\n"

static void h1c_expect_ctx_headers(const struct http1_request *r)
{
	cr_expect_str_eq(r->wire.traceparent, H1C_TP);
	cr_expect_str_eq(r->wire.tracestate, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
	cr_expect_str_eq(r->wire.b3, "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90");
	cr_expect_str_eq(r->wire.b3_trace_id, "463ac35c9f6413ad48485a3953bb6124");
	cr_expect_str_eq(r->wire.b3_span_id, "a2fb4a1d1a96d312");
	cr_expect_str_eq(r->wire.b3_sampled, "1");
	cr_expect_str_eq(r->wire.b3_flags, "1");
	cr_expect_eq(r->wire.dups, 0);
	cr_expect_str_eq(r->host, "svc");
	cr_expect_str_eq(r->target, "/ctx");
}

Test(http1_context, context_headers_any_case_ows_trimmed)
{
	struct h1c_fixture *f = h1c_new();

	h1c_feed(f, H1C_REQ, H1C_CTX_REQ, 1);
	cr_assert_eq(f->n_heads, 1);
	h1c_expect_ctx_headers(&f->heads[0]);
	h1c_feed(f, H1C_RESP, H1C_OK, 2);
	cr_assert_eq(f->n_ex, 1);
	h1c_expect_ctx_headers(&f->ex[0].req);
	cr_expect_eq(f->misses, 0);
	free(f);
}

Test(http1_context, absent_headers_are_empty)
{
	struct h1c_fixture *f = h1c_new();

	h1c_feed(f, H1C_REQ, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1);
	cr_assert_eq(f->n_heads, 1);
	cr_expect_str_eq(f->heads[0].wire.traceparent, "");
	cr_expect_str_eq(f->heads[0].wire.tracestate, "");
	cr_expect_str_eq(f->heads[0].wire.b3, "");
	cr_expect_str_eq(f->heads[0].wire.b3_trace_id, "");
	cr_expect_str_eq(f->heads[0].wire.b3_span_id, "");
	cr_expect_str_eq(f->heads[0].wire.b3_sampled, "");
	cr_expect_str_eq(f->heads[0].wire.b3_flags, "");
	cr_expect_eq(f->heads[0].wire.dups, 0);
	free(f);
}

Test(http1_context, response_headers_are_not_captured)
{
	struct h1c_fixture *f = h1c_new();

	h1c_feed(f, H1C_REQ, "GET / HTTP/1.1\r\n\r\n", 1);
	h1c_feed(f, H1C_RESP,
		 "HTTP/1.1 200 OK\r\ntraceparent: " H1C_TP "\r\nContent-Length: 0\r\n\r\n", 2);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_str_eq(f->ex[0].req.wire.traceparent, "");
	free(f);
}

static void h1c_long_header(struct h1c_fixture *f, const char *name, size_t len, char fill)
{
	char req[1024];
	size_t n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\n%s: ", name);

	cr_assert_lt(n + len + 4, sizeof(req));
	memset(req + n, fill, len);
	memcpy(req + n + len, "\r\n\r\n", 5);
	h1c_feed(f, H1C_REQ, req, 1);
	cr_assert_eq(f->n_heads, 1);
}

static void h1c_expect_run(const char *got, size_t len, char fill)
{
	cr_expect_eq(strlen(got), len, "kept %zu, want %zu", strlen(got), len);
	for (size_t i = 0; i < len && got[i]; i++)
		cr_assert_eq(got[i], fill);
}

Test(http1_context, long_values_are_truncated_to_their_slot)
{
	static const struct {
		const char *name;
		size_t len, keep;
	} cases[] = {
		{ "traceparent", 100, HTTP1_TRACEPARENT_MAX - 1 },
		{ "tracestate", 400, HTTP1_TRACESTATE_MAX - 1 },
		{ "b3", 200, HTTP1_B3_MAX - 1 },
		{ "X-B3-TraceId", 60, 39 },
		{ "X-B3-SpanId", 40, 23 },
		{ "X-B3-Sampled", 20, 7 },
		{ "X-B3-Flags", 10, 3 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct h1c_fixture *f = h1c_new();
		const struct http1_request *r;
		const char *got;

		h1c_long_header(f, cases[i].name, cases[i].len, 'f');
		r = &f->heads[0];
		switch (i) {
		case 0: got = r->wire.traceparent; break;
		case 1: got = r->wire.tracestate; break;
		case 2: got = r->wire.b3; break;
		case 3: got = r->wire.b3_trace_id; break;
		case 4: got = r->wire.b3_span_id; break;
		case 5: got = r->wire.b3_sampled; break;
		default: got = r->wire.b3_flags; break;
		}
		h1c_expect_run(got, cases[i].keep, 'f');
		cr_expect_eq(r->wire.dups, 0, "%s", cases[i].name);
		free(f);
	}
}

Test(http1_context, exact_fit_is_kept_whole)
{
	struct h1c_fixture *f = h1c_new();

	h1c_long_header(f, "tracestate", HTTP1_TRACESTATE_MAX - 1, 'k');
	h1c_expect_run(f->heads[0].wire.tracestate, HTTP1_TRACESTATE_MAX - 1, 'k');
	free(f);
}

Test(http1_context, repeated_traceparent_sets_dups)
{
	struct h1c_fixture *f = h1c_new();

	h1c_feed(f, H1C_REQ,
		 "GET / HTTP/1.1\r\ntraceparent: " H1C_TP "\r\nTraceparent: "
		 "00-11111111111111111111111111111111-2222222222222222-01\r\n\r\n",
		 1);
	cr_assert_eq(f->n_heads, 1);
	cr_expect_eq(f->heads[0].wire.dups, 1);
	cr_expect_str_eq(f->heads[0].wire.traceparent, H1C_TP, "the first value stays");
	free(f);
}

Test(http1_context, repeated_empty_traceparent_sets_dups)
{
	struct h1c_fixture *f = h1c_new();

	h1c_feed(f, H1C_REQ, "GET / HTTP/1.1\r\ntraceparent:\r\ntraceparent: " H1C_TP "\r\n\r\n",
		 1);
	cr_assert_eq(f->n_heads, 1);
	cr_expect_eq(f->heads[0].wire.dups, 1);
	free(f);
}

Test(http1_context, repeated_b3_headers_set_dups)
{
	static const char *const reqs[] = {
		"GET / HTTP/1.1\r\nb3: 1\r\nb3: 0\r\n\r\n",
		"GET / HTTP/1.1\r\nX-B3-TraceId: 1\r\nx-b3-traceid: 2\r\n\r\n",
		"GET / HTTP/1.1\r\nX-B3-SpanId: 1\r\nx-b3-spanid: 2\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		struct h1c_fixture *f = h1c_new();

		h1c_feed(f, H1C_REQ, reqs[i], 1);
		cr_assert_eq(f->n_heads, 1);
		cr_expect_eq(f->heads[0].wire.dups, 1, "request %zu", i);
		free(f);
	}
}

Test(http1_context, dups_do_not_leak_into_the_next_request)
{
	struct h1c_fixture *f = h1c_new();

	h1c_feed(f, H1C_REQ, "GET / HTTP/1.1\r\ntraceparent: a\r\ntraceparent: b\r\n\r\n", 1);
	h1c_feed(f, H1C_RESP, H1C_OK, 2);
	h1c_feed(f, H1C_REQ, "GET / HTTP/1.1\r\ntraceparent: " H1C_TP "\r\n\r\n", 3);
	cr_assert_eq(f->n_heads, 2);
	cr_expect_eq(f->heads[0].wire.dups, 1);
	cr_expect_eq(f->heads[1].wire.dups, 0);
	cr_expect_str_eq(f->heads[1].wire.traceparent, H1C_TP);
	free(f);
}

/* ---- feed boundaries ----------------------------------------------------- */

static void h1c_expect_same_request(const struct http1_request *got,
				    const struct http1_request *want, size_t split)
{
	cr_expect_str_eq(got->wire.traceparent, want->wire.traceparent, "split %zu", split);
	cr_expect_str_eq(got->wire.tracestate, want->wire.tracestate, "split %zu", split);
	cr_expect_str_eq(got->wire.b3, want->wire.b3, "split %zu", split);
	cr_expect_str_eq(got->wire.b3_trace_id, want->wire.b3_trace_id, "split %zu", split);
	cr_expect_str_eq(got->wire.b3_span_id, want->wire.b3_span_id, "split %zu", split);
	cr_expect_str_eq(got->wire.b3_sampled, want->wire.b3_sampled, "split %zu", split);
	cr_expect_str_eq(got->wire.b3_flags, want->wire.b3_flags, "split %zu", split);
	cr_expect_eq(got->wire.dups, want->wire.dups, "split %zu", split);
	cr_expect_eq(got->seq, want->seq, "split %zu", split);
}

Test(http1_context, split_at_every_offset_gives_the_same_values)
{
	const char *req = H1C_CTX_REQ;
	size_t n = strlen(req);
	struct h1c_fixture *ref = h1c_new();

	h1c_feed(ref, H1C_REQ, req, 1);
	cr_assert_eq(ref->n_heads, 1);
	for (size_t split = 1; split < n; split++) {
		struct h1c_fixture *f = h1c_new();
		struct h1c_ctx x = h1c_default_ctx(f);

		h1c_feed_ctx(f, &x, H1C_REQ, req, split, 1);
		cr_assert_eq(f->n_heads, split == n ? 1 : 0, "split %zu: early head", split);
		h1c_feed_ctx(f, &x, H1C_REQ, req + split, n - split, 2);
		cr_assert_eq(f->n_heads, 1, "split %zu", split);
		h1c_expect_same_request(&f->heads[0], &ref->heads[0], split);
		h1c_expect_ctx_headers(&f->heads[0]);
		cr_expect_eq(f->misses, 0, "split %zu", split);
		free(f);
	}
	free(ref);
}

Test(http1_context, one_byte_per_feed_gives_the_same_values)
{
	const char *req = H1C_CTX_REQ;
	size_t n = strlen(req);
	struct h1c_fixture *f = h1c_new();
	struct h1c_ctx x = h1c_default_ctx(f);

	for (size_t i = 0; i < n; i++) {
		h1c_feed_ctx(f, &x, H1C_REQ, req + i, 1, i + 1);
		cr_assert_eq(f->n_heads, i + 1 == n ? 1 : 0, "byte %zu", i);
	}
	h1c_expect_ctx_headers(&f->heads[0]);
	cr_expect_eq(f->misses, 0);
	free(f);
}

/*
 * W3C Trace Context 3.3.1: tracestate MAY be split over several header
 * fields, which the receiver MUST combine (RFC 7230 3.2.2). A repeated
 * tracestate is therefore not an ambiguous context.
 */
Test(http1_context, repeated_tracestate_is_combined_not_a_dup)
{
	struct h1c_fixture *f = h1c_new();

	h1c_feed(f, H1C_REQ,
		 "GET / HTTP/1.1\r\ntraceparent: " H1C_TP
		 "\r\ntracestate: a=1\r\ntracestate: b=2\r\n\r\n",
		 1);
	cr_assert_eq(f->n_heads, 1);
	cr_expect_eq(f->heads[0].wire.dups, 0);
	cr_expect_str_eq(f->heads[0].wire.tracestate, "a=1,b=2");
	free(f);
}
