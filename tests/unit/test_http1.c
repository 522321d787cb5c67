/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x parser: exact exchanges for each feature, and for every
 * well-formed conversation the same exchanges whatever the feed boundaries
 * (split at every byte offset, and one byte per feed).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "http1_internal.h"

#define REQ HTTP1_SIDE_REQUEST
#define RESP HTTP1_SIDE_RESPONSE
#define MAX_EXCHANGES 64
#define CLOSE_TAG 1000

struct collect {
	struct http1_exchange ex[MAX_EXCHANGES];
	size_t n;
};

static void collect_cb(void *ctx, const struct http1_exchange *ex)
{
	struct collect *col = ctx;

	cr_assert_lt(col->n, MAX_EXCHANGES, "too many exchanges");
	col->ex[col->n++] = *ex;
}

/* One feed of a conversation: step i carries tag i + 1. */
struct step {
	enum http1_side side;
	const char *data;
};

struct fixture {
	struct http1_conn conn;
	struct collect col;
	unsigned int misses;
};

static struct fixture *fixture_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));

	cr_assert_not_null(f);
	http1_conn_init(&f->conn);
	return f;
}

static unsigned int feed(struct fixture *f, enum http1_side side,
			 const char *data, uint64_t tag)
{
	unsigned int m = http1_conn_feed(&f->conn, side, (const uint8_t *)data,
					 strlen(data), strlen(data), tag,
					 collect_cb, &f->col);

	f->misses += m;
	return m;
}

/* `captured` bytes of data seen, `total` moved. */
static unsigned int feed_part(struct fixture *f, enum http1_side side,
			      const char *data, size_t captured, uint64_t total,
			      uint64_t tag)
{
	unsigned int m = http1_conn_feed(&f->conn, side, (const uint8_t *)data,
					 captured, total, tag, collect_cb,
					 &f->col);

	f->misses += m;
	return m;
}

static void close_conn(struct fixture *f, uint64_t tag)
{
	http1_conn_close(&f->conn, tag, collect_cb, &f->col);
}

/*
 * Feeds the steps and closes. Step `split` is fed as two feeds cut at byte
 * `cut` (no split when cut is 0); with `bytewise` every step goes one byte
 * per feed. All pieces of a step keep the step's tag.
 */
static void run_steps(const struct step *st, size_t n, size_t split,
		      size_t cut, int bytewise, struct fixture *f)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		const char *d = st[i].data;
		size_t len = strlen(d);

		if (bytewise) {
			for (k = 0; k < len; k++)
				feed_part(f, st[i].side, d + k, 1, 1, i + 1);
		} else if (i == split && cut) {
			feed_part(f, st[i].side, d, cut, cut, i + 1);
			feed_part(f, st[i].side, d + cut, len - cut, len - cut,
				  i + 1);
		} else {
			feed_part(f, st[i].side, d, len, len, i + 1);
		}
	}
	close_conn(f, CLOSE_TAG);
}

static void assert_same_exchange(const struct http1_exchange *a,
				 const struct http1_exchange *b,
				 const char *how)
{
	cr_assert_str_eq(a->req.method, b->req.method, "%s: method", how);
	cr_assert_str_eq(a->req.target, b->req.target, "%s: target", how);
	cr_assert_str_eq(a->req.host, b->req.host, "%s: host", how);
	cr_assert_eq(a->req.flags, b->req.flags, "%s: req flags", how);
	cr_assert_eq(a->req.body_size, b->req.body_size, "%s: req body", how);
	cr_assert_eq(a->req.version_minor, b->req.version_minor,
		     "%s: req version", how);
	cr_assert_eq(a->req.start_tag, b->req.start_tag, "%s: req start", how);
	cr_assert_eq(a->req.end_tag, b->req.end_tag, "%s: req end", how);
	cr_assert_eq(a->has_response, b->has_response, "%s: has_response",
		     how);
	cr_assert_eq(a->resp.status, b->resp.status, "%s: status", how);
	cr_assert_eq(a->resp.flags, b->resp.flags, "%s: resp flags", how);
	cr_assert_eq(a->resp.body_size, b->resp.body_size, "%s: resp body",
		     how);
	cr_assert_eq(a->resp.version_minor, b->resp.version_minor,
		     "%s: resp version", how);
	cr_assert_eq(a->resp.start_tag, b->resp.start_tag, "%s: resp start",
		     how);
	cr_assert_eq(a->resp.end_tag, b->resp.end_tag, "%s: resp end", how);
}

static void assert_same_run(const struct fixture *want,
			    const struct fixture *got, const char *how)
{
	size_t i;

	cr_assert_eq(got->misses, want->misses, "%s: misses", how);
	cr_assert_eq(got->col.n, want->col.n, "%s: exchange count", how);
	for (i = 0; i < want->col.n; i++)
		assert_same_exchange(&want->col.ex[i], &got->col.ex[i], how);
}

/*
 * Runs the conversation whole, returns that run, and checks that splitting
 * any step at any byte offset, or feeding every byte alone, changes nothing.
 */
static struct fixture *run_everywhere(const struct step *st, size_t n)
{
	struct fixture *want = fixture_new();
	struct fixture *got = fixture_new();
	char how[64];
	size_t i, k;

	run_steps(st, n, 0, 0, 0, want);
	for (i = 0; i < n; i++) {
		for (k = 1; k < strlen(st[i].data); k++) {
			memset(got, 0, sizeof(*got));
			http1_conn_init(&got->conn);
			run_steps(st, n, i, k, 0, got);
			snprintf(how, sizeof(how), "step %zu cut %zu", i, k);
			assert_same_run(want, got, how);
		}
	}
	memset(got, 0, sizeof(*got));
	http1_conn_init(&got->conn);
	run_steps(st, n, 0, 0, 1, got);
	assert_same_run(want, got, "bytewise");
	free(got);
	return want;
}

#define RUN(steps) run_everywhere(steps, sizeof(steps) / sizeof(steps[0]))

static void expect_req(const struct http1_exchange *ex, const char *method,
		       const char *target, const char *host, uint64_t body,
		       uint32_t flags)
{
	cr_assert_str_eq(ex->req.method, method);
	cr_assert_str_eq(ex->req.target, target);
	cr_assert_str_eq(ex->req.host, host);
	cr_assert_eq(ex->req.body_size, body, "req body %llu, want %llu",
		     (unsigned long long)ex->req.body_size,
		     (unsigned long long)body);
	cr_assert_eq(ex->req.flags, flags, "req flags 0x%x, want 0x%x",
		     ex->req.flags, flags);
}

static void expect_resp(const struct http1_exchange *ex, uint16_t status,
			uint64_t body, uint32_t flags)
{
	cr_assert_eq(ex->has_response, 1);
	cr_assert_eq(ex->resp.status, status, "status %u, want %u",
		     ex->resp.status, status);
	cr_assert_eq(ex->resp.body_size, body, "resp body %llu, want %llu",
		     (unsigned long long)ex->resp.body_size,
		     (unsigned long long)body);
	cr_assert_eq(ex->resp.flags, flags, "resp flags 0x%x, want 0x%x",
		     ex->resp.flags, flags);
}

static void expect_tags(const struct http1_exchange *ex, uint64_t req_start,
			uint64_t req_end, uint64_t resp_start,
			uint64_t resp_end)
{
	cr_assert_eq(ex->req.start_tag, req_start);
	cr_assert_eq(ex->req.end_tag, req_end);
	cr_assert_eq(ex->resp.start_tag, resp_start);
	cr_assert_eq(ex->resp.end_tag, resp_end);
}

/* ---- basic exchanges ---------------------------------------------------- */

Test(http1, simple_get)
{
	static const struct step st[] = {
		{ REQ, "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\n"
		       "User-Agent: curl/8\r\nAccept: */*\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
			"Content-Type: text/plain\r\n\r\nhello" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "GET", "/index.html?q=1", "example.com", 0, 0);
	expect_resp(&f->col.ex[0], 200, 5, 0);
	expect_tags(&f->col.ex[0], 1, 1, 2, 2);
	cr_assert_eq(f->col.ex[0].req.version_minor, 1);
	cr_assert_eq(f->col.ex[0].resp.version_minor, 1);
	free(f);
}

Test(http1, reported_when_response_completes)
{
	struct fixture *f = fixture_new();

	feed(f, REQ, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1);
	cr_assert_eq(f->conn.pending_count, 1);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab", 2);
	cr_assert_eq(f->col.n, 0);
	feed(f, RESP, "cd", 3);
	cr_assert_eq(f->col.n, 1);
	cr_assert_eq(f->conn.pending_count, 0);
	expect_tags(&f->col.ex[0], 1, 1, 2, 3);
	free(f);
}

Test(http1, post_content_length)
{
	static const struct step st[] = {
		{ REQ, "POST /api/items HTTP/1.1\r\nHost: api.local:8080\r\n"
		       "Content-Type: application/json\r\n"
		       "Content-Length: 13\r\n\r\n{\"name\":\"x\"}\n" },
		{ RESP, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "POST", "/api/items", "api.local:8080", 13, 0);
	expect_resp(&f->col.ex[0], 201, 0, 0);
	free(f);
}

Test(http1, methods_and_versions)
{
	static const struct step st[] = {
		{ REQ, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n" },
		{ RESP, "HTTP/1.1 204 No Content\r\nAllow: GET\r\n\r\n" },
		{ REQ, "DELETE /r/1 HTTP/1.1\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
		{ REQ, "PATCH /r/1 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
		{ REQ, "TRACE / HTTP/1.1\r\n\r\n" },
		{ RESP, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n" },
		{ REQ, "PURGE /cache HTTP/1.1\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
		{ REQ, "M-SEARCH * HTTP/1.1\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
		{ REQ, "PUT http://proxy.example/x HTTP/1.0\r\nContent-Length: 1\r\n\r\nz" },
		{ RESP, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n" },
	};
	static const char *const methods[] = { "OPTIONS", "DELETE", "PATCH",
					       "TRACE", "PURGE", "M-SEARCH",
					       "PUT" };
	struct fixture *f = RUN(st);
	size_t i;

	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 7);
	for (i = 0; i < 7; i++)
		cr_assert_str_eq(f->col.ex[i].req.method, methods[i]);
	expect_req(&f->col.ex[0], "OPTIONS", "*", "h", 0, 0);
	expect_resp(&f->col.ex[0], 204, 0, 0);
	expect_req(&f->col.ex[2], "PATCH", "/r/1", "", 2, 0);
	expect_resp(&f->col.ex[3], 405, 0, 0);
	expect_req(&f->col.ex[6], "PUT", "http://proxy.example/x", "", 1, 0);
	cr_assert_eq(f->col.ex[6].req.version_minor, 0);
	cr_assert_eq(f->col.ex[6].resp.version_minor, 0);
	free(f);
}

Test(http1, headers_case_insensitive_and_trimmed)
{
	static const struct step st[] = {
		{ REQ, "POST /p HTTP/1.1\r\nhOsT: \t spaced.host \t\r\n"
		       "cOnTeNt-LeNgTh:   3  \r\n\r\nabc" },
		{ RESP, "HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: Chunked\r\n\r\n"
			"2\r\nok\r\n0\r\n\r\n" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "POST", "/p", "spaced.host", 3, 0);
	expect_resp(&f->col.ex[0], 200, 2, HTTP1_MSG_CHUNKED);
	free(f);
}

Test(http1, bare_lf_line_endings)
{
	static const struct step st[] = {
		{ REQ, "GET /lf HTTP/1.1\nHost: lf\n\n" },
		{ RESP, "HTTP/1.1 200 OK\nContent-Length: 3\n\nabc" },
		{ REQ, "POST /lf2 HTTP/1.1\nTransfer-Encoding: chunked\n\n"
		       "2\nab\n0\nX-T: 1\n\n" },
		{ RESP, "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n"
			"1\nx\n0\n\n" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 2);
	expect_req(&f->col.ex[0], "GET", "/lf", "lf", 0, 0);
	expect_resp(&f->col.ex[0], 200, 3, 0);
	expect_req(&f->col.ex[1], "POST", "/lf2", "", 2, HTTP1_MSG_CHUNKED);
	expect_resp(&f->col.ex[1], 200, 1, HTTP1_MSG_CHUNKED);
	free(f);
}

/* ---- chunked ------------------------------------------------------------- */

Test(http1, chunked_request)
{
	static const struct step st[] = {
		{ REQ, "POST /upload HTTP/1.1\r\nHost: u\r\n"
		       "Transfer-Encoding: chunked\r\n\r\n"
		       "5;name=val\r\nhello\r\n"
		       "6 ; a=\"b;c\"\r\n world\r\n"
		       "0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "POST", "/upload", "u", 11, HTTP1_MSG_CHUNKED);
	expect_resp(&f->col.ex[0], 200, 2, 0);
	free(f);
}

Test(http1, chunked_response)
{
	static const struct step st[] = {
		{ REQ, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
			"1A\r\nabcdefghijklmnopqrstuvwxyz\r\n"
			"3;ext=1\r\nabc\r\n"
			"0000\r\nServer-Timing: x\r\n\r\n"
			"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n!" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 2);
	expect_req(&f->col.ex[0], "GET", "/a", "", 0, 0);
	expect_resp(&f->col.ex[0], 200, 29, HTTP1_MSG_CHUNKED);
	expect_req(&f->col.ex[1], "GET", "/b", "", 0, 0);
	expect_resp(&f->col.ex[1], 200, 1, 0);
	free(f);
}

Test(http1, chunked_wins_over_content_length)
{
	static const struct step st[] = {
		{ REQ, "POST /x HTTP/1.1\r\nContent-Length: 100\r\n"
		       "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n"
			"Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" },
		{ REQ, "GET /after HTTP/1.1\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 2);
	expect_req(&f->col.ex[0], "POST", "/x", "", 3, HTTP1_MSG_CHUNKED);
	expect_resp(&f->col.ex[0], 200, 2, HTTP1_MSG_CHUNKED);
	expect_req(&f->col.ex[1], "GET", "/after", "", 0, 0);
	free(f);
}

/* ---- keep-alive and pipelining ------------------------------------------ */

Test(http1, keepalive_three_requests)
{
	static const struct step st[] = {
		{ REQ, "GET /1 HTTP/1.1\r\nHost: k\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na" },
		{ REQ, "POST /2 HTTP/1.1\r\nHost: k\r\nContent-Length: 2\r\n\r\nbb" },
		{ RESP, "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nccc" },
		{ REQ, "GET /3 HTTP/1.1\r\nHost: k\r\n\r\n" },
		{ RESP, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\ndddd" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->col.n, 3);
	expect_req(&f->col.ex[0], "GET", "/1", "k", 0, 0);
	expect_resp(&f->col.ex[0], 200, 1, 0);
	expect_tags(&f->col.ex[0], 1, 1, 2, 2);
	expect_req(&f->col.ex[1], "POST", "/2", "k", 2, 0);
	expect_resp(&f->col.ex[1], 404, 3, 0);
	expect_tags(&f->col.ex[1], 3, 3, 4, 4);
	expect_req(&f->col.ex[2], "GET", "/3", "k", 0, 0);
	expect_resp(&f->col.ex[2], 500, 4, 0);
	expect_tags(&f->col.ex[2], 5, 5, 6, 6);
	free(f);
}

Test(http1, pipelining_three_in_one_feed)
{
	static const struct step st[] = {
		{ REQ, "GET /a HTTP/1.1\r\nHost: p\r\n\r\n"
		       "POST /b HTTP/1.1\r\nHost: p\r\nContent-Length: 4\r\n\r\nbody"
		       "GET /c HTTP/1.1\r\nHost: q\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
			"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nBB"
			"HTTP/1.1 202 Accepted\r\nContent-Length: 3\r\n\r\nCCC" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->col.n, 3);
	expect_req(&f->col.ex[0], "GET", "/a", "p", 0, 0);
	expect_resp(&f->col.ex[0], 200, 1, 0);
	expect_req(&f->col.ex[1], "POST", "/b", "p", 4, 0);
	expect_resp(&f->col.ex[1], 201, 2, 0);
	expect_req(&f->col.ex[2], "GET", "/c", "q", 0, 0);
	expect_resp(&f->col.ex[2], 202, 3, 0);
	free(f);
}

Test(http1, pipelining_pending_count)
{
	struct fixture *f = fixture_new();

	feed(f, REQ, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n", 1);
	cr_assert_eq(f->conn.pending_count, 3);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2);
	cr_assert_eq(f->conn.pending_count, 2);
	cr_assert_eq(f->col.n, 1);
	cr_assert_str_eq(f->col.ex[0].req.target, "/a");
	free(f);
}

Test(http1, pipeline_overflow_counts_drops)
{
	static char reqs[64 * 40], resps[64 * 80];
	struct fixture *f = fixture_new();
	size_t i, rl = 0, sl = 0;
	char want[16];

	/* MAX+3 requests: the 3 oldest are dropped; responses i carry i+1 bytes */
	for (i = 0; i < HTTP1_PIPELINE_MAX + 3; i++) {
		rl += (size_t)sprintf(reqs + rl, "GET /%zu HTTP/1.1\r\n\r\n", i);
		sl += (size_t)sprintf(resps + sl,
				      "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%.*s",
				      i + 1, (int)(i + 1),
				      "0123456789012345678901234567890123456789");
	}
	feed(f, REQ, reqs, 1);
	cr_assert_eq(f->conn.pending_count, HTTP1_PIPELINE_MAX);
	cr_assert_eq(f->conn.pipeline_drops, 3);
	feed(f, RESP, resps, 2);
	cr_assert_eq(f->misses, 0);
	/* the dropped requests' responses are skipped, so pairs stay aligned */
	cr_assert_eq(f->col.n, HTTP1_PIPELINE_MAX);
	for (i = 0; i < HTTP1_PIPELINE_MAX; i++) {
		snprintf(want, sizeof(want), "/%zu", i + 3);
		cr_assert_str_eq(f->col.ex[i].req.target, want);
		cr_assert_eq(f->col.ex[i].resp.body_size, i + 4);
	}
	cr_assert_eq(f->conn.pending_count, 0);
	free(f);
}

Test(http1, pipeline_overflow_split_everywhere)
{
	static char reqs[64 * 40];
	struct step st[2] = {
		{ REQ, reqs },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
	};
	struct fixture *f;
	size_t i, rl = 0;

	for (i = 0; i < HTTP1_PIPELINE_MAX + 2; i++)
		rl += (size_t)sprintf(reqs + rl, "GET /%zu HTTP/1.1\r\n\r\n", i);
	f = RUN(st);
	/* one response (an orphan of a drop) and MAX unanswered at close */
	cr_assert_eq(f->col.n, HTTP1_PIPELINE_MAX);
	cr_assert_str_eq(f->col.ex[0].req.target, "/2");
	cr_assert_eq(f->col.ex[0].has_response, 0);
	free(f);
}

/* ---- responses without a body ------------------------------------------ */

Test(http1, head_response_has_no_body)
{
	static const struct step st[] = {
		{ REQ, "HEAD /big.iso HTTP/1.1\r\nHost: h\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 1234567\r\n\r\n" },
		{ REQ, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 2);
	expect_req(&f->col.ex[0], "HEAD", "/big.iso", "h", 0, 0);
	expect_resp(&f->col.ex[0], 200, 0, 0);
	expect_req(&f->col.ex[1], "GET", "/next", "h", 0, 0);
	expect_resp(&f->col.ex[1], 200, 2, 0);
	free(f);
}

Test(http1, status_204_has_no_body)
{
	static const struct step st[] = {
		{ REQ, "DELETE /x HTTP/1.1\r\n\r\nGET /y HTTP/1.1\r\n\r\n" },
		{ RESP, "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
			"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 2);
	expect_resp(&f->col.ex[0], 204, 0, 0);
	expect_req(&f->col.ex[1], "GET", "/y", "", 0, 0);
	expect_resp(&f->col.ex[1], 200, 1, 0);
	free(f);
}

Test(http1, status_304_has_no_body)
{
	static const struct step st[] = {
		{ REQ, "GET /c HTTP/1.1\r\nIf-None-Match: \"e\"\r\n\r\n" },
		{ RESP, "HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n"
			"Content-Length: 5000\r\n\r\n" },
		{ REQ, "GET /d HTTP/1.1\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nddd" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 2);
	expect_resp(&f->col.ex[0], 304, 0, 0);
	expect_req(&f->col.ex[1], "GET", "/d", "", 0, 0);
	expect_resp(&f->col.ex[1], 200, 3, 0);
	free(f);
}

Test(http1, expect_100_continue)
{
	static const struct step st[] = {
		{ REQ, "PUT /file HTTP/1.1\r\nHost: s3\r\nExpect: 100-Continue\r\n"
		       "Content-Length: 8\r\n\r\n" },
		{ RESP, "HTTP/1.1 100 Continue\r\n\r\n" },
		{ REQ, "12345678" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "PUT", "/file", "s3", 8,
		   HTTP1_MSG_EXPECT_CONTINUE);
	expect_resp(&f->col.ex[0], 200, 0, 0);
	/* the 100 is not the response: it starts at the final one */
	expect_tags(&f->col.ex[0], 1, 3, 4, 4);
	free(f);
}

Test(http1, interim_response_keeps_pairing)
{
	static const struct step st[] = {
		{ REQ, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n" },
		{ RESP, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
			"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
			"HTTP/1.1 102 Processing\r\n\r\n"
			"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nbb" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->col.n, 2);
	cr_assert_str_eq(f->col.ex[0].req.target, "/a");
	expect_resp(&f->col.ex[0], 200, 1, 0);
	cr_assert_str_eq(f->col.ex[1].req.target, "/b");
	expect_resp(&f->col.ex[1], 200, 2, 0);
	free(f);
}

Test(http1, close_delimited_response)
{
	static const struct step st[] = {
		{ REQ, "GET /stream HTTP/1.0\r\n\r\n" },
		{ RESP, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome data" },
		{ RESP, " and more" },
	};
	struct fixture *f = fixture_new();

	feed(f, st[0].side, st[0].data, 1);
	feed(f, st[1].side, st[1].data, 2);
	feed(f, st[2].side, st[2].data, 3);
	cr_assert_eq(f->col.n, 0, "ends only at close");
	close_conn(f, 4);
	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "GET", "/stream", "", 0, 0);
	expect_resp(&f->col.ex[0], 200, 18, HTTP1_MSG_CLOSE_DELIMITED);
	cr_assert_eq(f->col.ex[0].resp.version_minor, 0);
	/* the last byte was in feed 3, not in the close */
	expect_tags(&f->col.ex[0], 1, 1, 2, 3);
	cr_assert_eq(f->conn.proto, HTTP1_PROTO_UNKNOWN, "reset after close");
	free(f);

	f = RUN(st);
	cr_assert_eq(f->col.n, 1);
	expect_resp(&f->col.ex[0], 200, 18, HTTP1_MSG_CLOSE_DELIMITED);
	free(f);
}

/* ---- tunnels ------------------------------------------------------------- */

Test(http1, connect_2xx_becomes_tunnel)
{
	static const struct step st[] = {
		{ REQ, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 Connection Established\r\n\r\n" },
		{ REQ, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" },
		{ RESP, "\x16\x03\x03\x00\x7a\x02" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "CONNECT", "example.com:443",
		   "example.com:443", 0, 0);
	expect_resp(&f->col.ex[0], 200, 0, 0);
	free(f);

	f = fixture_new();
	feed(f, REQ, st[0].data, 1);
	feed(f, RESP, st[1].data, 2);
	cr_assert_eq(f->conn.proto, HTTP1_PROTO_OTHER);
	cr_assert_eq(feed(f, REQ, st[2].data, 3), 0);
	cr_assert_eq(f->col.n, 1);
	free(f);
}

Test(http1, connect_refused_is_plain_response)
{
	static const struct step st[] = {
		{ REQ, "CONNECT a:443 HTTP/1.1\r\n\r\n" },
		{ RESP, "HTTP/1.1 407 Proxy Authentication Required\r\n"
			"Content-Length: 3\r\n\r\nno!" },
		{ REQ, "GET /x HTTP/1.1\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->col.n, 2);
	expect_resp(&f->col.ex[0], 407, 3, 0);
	expect_req(&f->col.ex[1], "GET", "/x", "", 0, 0);
	free(f);
}

Test(http1, switching_protocols_becomes_tunnel)
{
	static const struct step st[] = {
		{ REQ, "GET /ws HTTP/1.1\r\nHost: w\r\nUpgrade: websocket\r\n"
		       "Connection: Upgrade\r\n\r\n" },
		{ RESP, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			"Connection: Upgrade\r\n\r\n\x81\x05hello" },
		{ REQ, "\x81\x85\x00\x00\x00\x00hello" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "GET", "/ws", "w", 0, 0);
	expect_resp(&f->col.ex[0], 101, 0, 0);
	free(f);
}

/* ---- long lines ---------------------------------------------------------- */

Test(http1, request_target_longer_than_max)
{
	static char req[1024];
	struct step st[2] = {
		{ REQ, req },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
	};
	struct fixture *f;
	char target[601];

	memset(target, 'a', 600);
	target[0] = '/';
	target[600] = '\0';
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: t\r\n\r\n", target);
	f = RUN(st);
	cr_assert_eq(f->col.n, 1);
	cr_assert_eq(strlen(f->col.ex[0].req.target), HTTP1_TARGET_MAX - 1);
	cr_assert_eq(strncmp(f->col.ex[0].req.target, target,
			     HTTP1_TARGET_MAX - 1), 0);
	cr_assert_eq(f->col.ex[0].req.flags, HTTP1_MSG_TARGET_TRUNCATED);
	cr_assert_eq(f->col.ex[0].req.version_minor, 0);
	cr_assert_str_eq(f->col.ex[0].req.host, "t");
	free(f);
}

Test(http1, request_line_longer_than_line_max)
{
	static char req[4096];
	struct step st[2] = {
		{ REQ, req },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
	};
	struct fixture *f;
	char target[3001];

	memset(target, 'b', 3000);
	target[0] = '/';
	target[3000] = '\0';
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: t\r\n\r\n", target);
	f = RUN(st);
	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 1);
	cr_assert_eq(strlen(f->col.ex[0].req.target), HTTP1_TARGET_MAX - 1);
	cr_assert_eq(f->col.ex[0].req.flags, HTTP1_MSG_TARGET_TRUNCATED);
	/* the version sits past line[]; it is read from the line's tail */
	cr_assert_eq(f->col.ex[0].req.version_minor, 0);
	free(f);
}

Test(http1, header_line_longer_than_line_max)
{
	static char req[8192];
	struct step st[2] = {
		{ REQ, req },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" },
	};
	struct fixture *f;
	char cookie[3001], host[201];

	memset(cookie, 'c', 3000);
	cookie[3000] = '\0';
	memset(host, 'h', 200);
	host[200] = '\0';
	snprintf(req, sizeof(req),
		 "POST /c HTTP/1.1\r\nCookie: %s\r\nHost: %s\r\n"
		 "Content-Length: 3\r\n\r\nxyz", cookie, host);
	f = RUN(st);
	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 1);
	host[HTTP1_HOST_MAX - 1] = '\0'; /* kept truncated */
	expect_req(&f->col.ex[0], "POST", "/c", host, 3, 0);
	expect_resp(&f->col.ex[0], 200, 2, 0);
	free(f);
}

Test(http1, line_exactly_line_max)
{
	static char req[4096];
	struct step st[2] = {
		{ REQ, req },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
	};
	struct fixture *f;
	size_t pad = HTTP1_LINE_MAX - strlen("X-Pad: ");

	/* a header line of exactly HTTP1_LINE_MAX bytes before its CRLF */
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nX-Pad: %0*d\r\n"
		 "Content-Length: 1\r\n\r\nz", (int)pad, 0);
	f = RUN(st);
	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "GET", "/", "", 1, 0);
	free(f);
}

/* ---- gaps ---------------------------------------------------------------- */

Test(http1, head_longer_than_capture)
{
	static char req[512];
	struct fixture *f = fixture_new();
	size_t n;

	n = (size_t)snprintf(req, sizeof(req),
			     "GET /long HTTP/1.1\r\nHost: cut.example\r\n"
			     "X-Filler: %0300d\r\n\r\n", 0);
	/* the capture stops inside X-Filler */
	feed_part(f, REQ, req, 60, n, 1);
	cr_assert_eq(f->conn.pending_count, 1);
	feed(f, REQ, "more bytes the client sent", 2);
	cr_assert_eq(f->col.n, 0);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 3);
	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 1);
	/* the unseen rest of feed 1 and all of feed 2 are counted */
	expect_req(&f->col.ex[0], "GET", "/long", "cut.example",
		   (n - 60) + 26, HTTP1_MSG_HEAD_TRUNCATED);
	expect_resp(&f->col.ex[0], 200, 2, 0);
	expect_tags(&f->col.ex[0], 1, 2, 3, 3);
	free(f);
}

Test(http1, gap_inside_request_line)
{
	struct fixture *f = fixture_new();
	const char *req = "GET /some/long/path HTTP/1.1\r\n\r\n";

	feed_part(f, REQ, req, 12, strlen(req), 1);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2);
	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "GET", "/some/lo", "", strlen(req) - 12,
		   HTTP1_MSG_HEAD_TRUNCATED | HTTP1_MSG_TARGET_TRUNCATED);
	free(f);
}

Test(http1, big_body_behind_a_gap)
{
	static char head[512];
	const uint64_t body = 10ull << 20;
	struct fixture *f = fixture_new();
	uint64_t seen, left;
	size_t n;

	n = (size_t)snprintf(head, sizeof(head),
			     "POST /upload HTTP/1.1\r\nHost: big\r\n"
			     "Content-Length: %llu\r\n\r\n",
			     (unsigned long long)body);
	memset(head + n, 'x', sizeof(head) - n);
	/* 512 bytes captured of a 64 KiB write */
	feed_part(f, REQ, head, sizeof(head), 65536, 1);
	seen = 65536 - n;
	left = body - seen;
	cr_assert_eq(http1_conn_feed(&f->conn, REQ, NULL, 0, left / 2, 2,
				     collect_cb, &f->col), 0);
	cr_assert_eq(http1_conn_feed_gap(&f->conn, REQ, left - left / 2,
					 (const uint8_t *)"xxxxxxxx", 8, 3,
					 collect_cb, &f->col), 0);
	feed(f, RESP, "HTTP/1.1 204 No Content\r\n\r\n", 4);
	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "POST", "/upload", "big", body, 0);
	expect_resp(&f->col.ex[0], 204, 0, 0);
	expect_tags(&f->col.ex[0], 1, 3, 4, 4);

	/* a big response body the same way */
	feed(f, REQ, "GET /dl HTTP/1.1\r\n\r\n", 5);
	n = strlen("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n");
	feed_part(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\nab",
		  n + 1, 4096, 6);
	http1_conn_feed_gap(&f->conn, RESP, 1000000 - (4096 - n), NULL, 0, 7,
			    collect_cb, &f->col);
	cr_assert_eq(f->col.n, 2);
	expect_resp(&f->col.ex[1], 200, 1000000, 0);
	expect_tags(&f->col.ex[1], 5, 5, 6, 7);
	free(f);
}

Test(http1, lost_chunk_framing_ends_with_tail)
{
	static char resp[512];
	struct fixture *f = fixture_new();
	size_t n;

	feed(f, REQ, "GET /chunks HTTP/1.1\r\n\r\n", 1);
	n = (size_t)snprintf(resp, sizeof(resp),
			     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			     "10\r\n0123456789abcdef\r\n2");
	/* the capture stops inside the second chunk-size line */
	feed_part(f, RESP, resp, n, n + 5000, 2);
	cr_assert_eq(f->col.n, 0);
	http1_conn_feed_gap(&f->conn, RESP, 3000, NULL, 0, 3, collect_cb,
			    &f->col);
	cr_assert_eq(f->col.n, 0, "no end in sight without a tail");
	http1_conn_feed_gap(&f->conn, RESP, 2000,
			    (const uint8_t *)"xyz\r\n0\r\n\r\n", 10, 4,
			    collect_cb, &f->col);
	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 1);
	expect_resp(&f->col.ex[0], 200, 16 + 5000 + 3000 + 2000,
		    HTTP1_MSG_CHUNKED | HTTP1_MSG_FRAMING_LOST);
	expect_tags(&f->col.ex[0], 1, 1, 2, 4);

	/* the connection goes on */
	feed(f, REQ, "GET /next HTTP/1.1\r\n\r\n", 5);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n!", 6);
	cr_assert_eq(f->col.n, 2);
	expect_req(&f->col.ex[1], "GET", "/next", "", 0, 0);
	expect_resp(&f->col.ex[1], 200, 1, 0);
	free(f);
}

Test(http1, gap_past_chunk_data_loses_framing)
{
	struct fixture *f = fixture_new();
	const char *head = "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			   "100\r\nabc";

	feed_part(f, REQ, head, strlen(head), strlen(head) + 400, 1);
	/* 253 more chunk bytes, its CRLF, then 145 bytes of unseen framing
	 * and data, counted as they are */
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2);
	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "POST", "/c", "", 3 + 400 - 2,
		   HTTP1_MSG_CHUNKED | HTTP1_MSG_FRAMING_LOST);
	free(f);
}

/* A server writing each chunk (size line, data, CRLF) in one syscall larger
 * than the capture: the gap ends on the chunk's CRLF, the next size line is
 * captured again, and the decoded size stays exact. */
Test(http1, gap_over_chunk_data_and_crlf_keeps_framing)
{
	struct fixture *f = fixture_new();
	const char *head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	const char *chunk = "7d0\r\nabcdef";

	feed(f, REQ, "GET /chunked HTTP/1.1\r\n\r\n", 1);
	feed(f, RESP, head, 2);
	feed_part(f, RESP, chunk, strlen(chunk), 5 + 2000 + 2, 3);
	feed_part(f, RESP, chunk, strlen(chunk), 5 + 2000 + 1, 4);
	feed(f, RESP, "\n0\r\n\r\n", 5);
	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 1);
	expect_resp(&f->col.ex[0], 200, 4000, HTTP1_MSG_CHUNKED);
	free(f);
}

Test(http1, gap_in_chunk_data_only_counts)
{
	struct fixture *f = fixture_new();
	const char *head = "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			   "1000\r\nabc";

	feed_part(f, REQ, head, strlen(head), strlen(head) + 0x1000 - 3, 1);
	feed(f, REQ, "\r\n0\r\n\r\n", 2);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 3);
	cr_assert_eq(f->misses, 0);
	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "POST", "/c", "", 0x1000, HTTP1_MSG_CHUNKED);
	expect_tags(&f->col.ex[0], 1, 2, 3, 3);
	free(f);
}

Test(http1, truncated_response_ends_at_next_request)
{
	struct fixture *f = fixture_new();
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n";

	feed(f, REQ, "GET /a HTTP/1.1\r\n\r\n", 1);
	feed_part(f, RESP, resp, 20, 2000, 2);
	http1_conn_feed(&f->conn, RESP, NULL, 0, 500, 3, collect_cb, &f->col);
	cr_assert_eq(f->col.n, 0);
	feed(f, REQ, "GET /b HTTP/1.1\r\n\r\n", 4);
	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "GET", "/a", "", 0, 0);
	expect_resp(&f->col.ex[0], 200, 1980 + 500, HTTP1_MSG_HEAD_TRUNCATED);
	expect_tags(&f->col.ex[0], 1, 1, 2, 3);
	/* the response side waits for a new response; leftovers are ignored */
	cr_assert_eq(feed(f, RESP, "tail of the old body", 5), 0);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 6);
	cr_assert_eq(f->col.n, 2);
	expect_req(&f->col.ex[1], "GET", "/b", "", 0, 0);
	expect_resp(&f->col.ex[1], 200, 0, 0);
	cr_assert_eq(f->misses, 0);
	free(f);
}

Test(http1, skip_ends_at_new_message_on_same_side)
{
	struct fixture *f = fixture_new();

	feed(f, REQ, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 1);
	feed_part(f, RESP, "HTTP/1.1 200 OK\r\nX-A: 1\r\n", 20, 700, 2);
	feed(f, RESP, "still the old body", 3);
	cr_assert_eq(f->col.n, 0);
	feed(f, RESP, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 4);
	cr_assert_eq(f->col.n, 2);
	cr_assert_str_eq(f->col.ex[0].req.target, "/a");
	expect_resp(&f->col.ex[0], 200, 680 + 18, HTTP1_MSG_HEAD_TRUNCATED);
	expect_tags(&f->col.ex[0], 1, 1, 2, 3);
	cr_assert_str_eq(f->col.ex[1].req.target, "/b");
	expect_resp(&f->col.ex[1], 404, 0, 0);
	expect_tags(&f->col.ex[1], 1, 1, 4, 4);
	cr_assert_eq(f->misses, 0);
	free(f);
}

Test(http1, gap_at_message_boundary_keeps_pairing)
{
	struct fixture *f = fixture_new();
	const char *req = "GET /seen HTTP/1.1\r\n\r\n";

	/* a second, unseen request follows in the same write */
	feed_part(f, REQ, req, strlen(req), strlen(req) + 30, 1);
	cr_assert_eq(f->conn.pending_count, 2);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
		      "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 2);
	cr_assert_eq(f->col.n, 2);
	expect_req(&f->col.ex[0], "GET", "/seen", "", 0, 0);
	expect_resp(&f->col.ex[0], 200, 0, 0);
	expect_req(&f->col.ex[1], "", "", "", 30, HTTP1_MSG_HEAD_TRUNCATED);
	expect_resp(&f->col.ex[1], 201, 0, 0);
	free(f);
}

/* ---- early response -------------------------------------------------------- */

Test(http1, response_before_request_body_ends)
{
	struct fixture *f = fixture_new();

	feed(f, REQ, "POST /up HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", 1);
	feed(f, RESP, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n", 2);
	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "POST", "/up", "", 3, 0);
	expect_resp(&f->col.ex[0], 413, 0, 0);
	expect_tags(&f->col.ex[0], 1, 1, 2, 2);
	cr_assert_eq(feed(f, REQ, "defghij", 3), 0);
	feed(f, REQ, "GET /again HTTP/1.1\r\n\r\n", 4);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 5);
	cr_assert_eq(f->col.n, 2);
	expect_req(&f->col.ex[1], "GET", "/again", "", 0, 0);
	cr_assert_eq(f->misses, 0);
	free(f);
}

/* ---- protocol detection and misses ------------------------------------------- */

Test(http1, non_http_first_bytes)
{
	struct fixture *f = fixture_new();

	cr_assert_eq(feed(f, REQ, "*1\r\n$4\r\nPING\r\n", 1), 1);
	cr_assert_eq(f->conn.proto, HTTP1_PROTO_OTHER);
	cr_assert_eq(f->conn.misses, 1);
	cr_assert_eq(feed(f, RESP, "+PONG\r\n", 2), 0);
	cr_assert_eq(feed(f, REQ, "GET / HTTP/1.1\r\n\r\n", 3), 0);
	cr_assert_eq(feed(f, RESP, "HTTP/1.1 200 OK\r\n\r\n", 4), 0);
	close_conn(f, 5);
	cr_assert_eq(f->col.n, 0);
	free(f);
}

Test(http1, non_http_server_speaks_first)
{
	struct fixture *f = fixture_new();

	cr_assert_eq(feed(f, RESP, "SSH-2.0-OpenSSH_9.6\r\n", 1), 1);
	cr_assert_eq(f->conn.proto, HTTP1_PROTO_OTHER);
	free(f);
}

Test(http1, tls_and_h2c_are_not_http1)
{
	struct fixture *f = fixture_new();

	cr_assert_eq(feed_part(f, REQ, "\x16\x03\x01\x00\xa5", 5, 5, 1), 1);
	cr_assert_eq(f->conn.proto, HTTP1_PROTO_OTHER);
	free(f);

	f = fixture_new();
	cr_assert_eq(feed(f, REQ, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 1), 1);
	cr_assert_eq(f->conn.proto, HTTP1_PROTO_OTHER);
	cr_assert_eq(f->conn.pending_count, 0);
	free(f);
}

Test(http1, garbage_mid_stream_then_recovery)
{
	struct fixture *f = fixture_new();

	feed(f, REQ, "GET /1 HTTP/1.1\r\n\r\n", 1);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2);
	cr_assert_eq(feed(f, REQ, "\x01\x02garbage\r\nmore garbage\r\n", 3), 1);
	cr_assert_eq(feed(f, REQ, "still garbage", 4), 0);
	cr_assert_eq(feed(f, REQ, "GET /2 HTTP/1.1\r\n\r\n", 5), 0);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 6);
	cr_assert_eq(f->conn.misses, 1);
	cr_assert_eq(f->col.n, 2);
	expect_req(&f->col.ex[1], "GET", "/2", "", 0, 0);
	free(f);
}

Test(http1, bad_request_line_is_a_miss)
{
	struct fixture *f = fixture_new();

	feed(f, REQ, "GET /1 HTTP/1.1\r\n\r\n", 1);
	cr_assert_eq(feed(f, REQ, "GET /nohttp\r\n\r\n", 2), 1);
	/* a feed that starts like a request is parsed again */
	cr_assert_eq(feed(f, REQ, "GET /x HTTP/3.0\r\n\r\n", 3), 1);
	cr_assert_eq(f->conn.pending_count, 1);
	free(f);
}

Test(http1, bad_status_line_is_a_miss)
{
	struct fixture *f = fixture_new();

	feed(f, REQ, "GET /1 HTTP/1.1\r\n\r\n", 1);
	cr_assert_eq(feed(f, RESP, "HTTP/1.1 2x0 OK\r\n\r\n", 2), 1);
	cr_assert_eq(f->col.n, 0);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 3);
	cr_assert_eq(f->col.n, 1);
	expect_resp(&f->col.ex[0], 200, 0, 0);
	free(f);
}

Test(http1, bad_content_length_is_a_miss)
{
	struct fixture *f = fixture_new();

	cr_assert_eq(feed(f, REQ, "POST /a HTTP/1.1\r\nContent-Length: 12abc\r\n\r\nbody", 1), 1);
	feed(f, RESP, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 2);
	cr_assert_eq(f->col.n, 1);
	/* what followed the bad line ("\r\nbody") is counted, not parsed */
	expect_req(&f->col.ex[0], "POST", "/a", "", 6, HTTP1_MSG_FRAMING_LOST);
	expect_resp(&f->col.ex[0], 400, 0, 0);
	cr_assert_eq(feed(f, REQ, "POST /b HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n", 3), 1);
	free(f);

	/* a list of identical values is one value */
	f = fixture_new();
	cr_assert_eq(feed(f, REQ, "POST /a HTTP/1.1\r\nContent-Length: 2, 2\r\n"
			  "Content-Length: 2\r\n\r\nok", 1), 0);
	free(f);
}

Test(http1, bad_chunk_size_is_a_miss)
{
	struct fixture *f = fixture_new();

	feed(f, REQ, "GET /a HTTP/1.1\r\n\r\n", 1);
	cr_assert_eq(feed(f, RESP, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			  "zz\r\nhello\r\n", 2), 1);
	cr_assert_eq(f->col.n, 0);
	feed(f, REQ, "GET /b HTTP/1.1\r\n\r\n", 3);
	cr_assert_eq(f->col.n, 1);
	expect_resp(&f->col.ex[0], 200, 7, HTTP1_MSG_CHUNKED | HTTP1_MSG_FRAMING_LOST);
	free(f);

	f = fixture_new();
	feed(f, REQ, "GET /a HTTP/1.1\r\n\r\n", 1);
	cr_assert_eq(feed(f, RESP, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			  "3\r\nabcX\r\n0\r\n\r\n", 2), 1, "chunk data too long");
	free(f);
}

Test(http1, header_without_colon_is_a_miss)
{
	struct fixture *f = fixture_new();

	cr_assert_eq(feed(f, REQ, "GET /a HTTP/1.1\r\nthis is not a header\r\n\r\n", 1), 1);
	cr_assert_eq(f->conn.pending_count, 1);
	feed(f, RESP, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 2);
	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "GET", "/a", "", 2, HTTP1_MSG_FRAMING_LOST);
	free(f);
}

Test(http1, binary_garbage_without_newline)
{
	static uint8_t junk[5000];
	struct fixture *f = fixture_new();

	feed(f, REQ, "GET /1 HTTP/1.1\r\n\r\n", 1);
	memset(junk, 0xff, sizeof(junk));
	cr_assert_eq(feed_part(f, REQ, (const char *)junk, sizeof(junk),
			       sizeof(junk), 2), 1);
	cr_assert_eq(feed(f, REQ, "GET /2 HTTP/1.1\r\n\r\n", 3), 0);
	cr_assert_eq(f->conn.pending_count, 2);
	free(f);
}

/* ---- close --------------------------------------------------------------- */

Test(http1, close_with_pending_requests)
{
	static const struct step st[] = {
		{ REQ, "GET /one HTTP/1.1\r\n\r\n" },
		{ REQ, "GET /two HTTP/1.1\r\n\r\n" },
	};
	struct fixture *f = RUN(st);

	cr_assert_eq(f->col.n, 2);
	expect_req(&f->col.ex[0], "GET", "/one", "", 0, 0);
	cr_assert_eq(f->col.ex[0].has_response, 0);
	cr_assert_eq(f->col.ex[0].resp.status, 0);
	expect_req(&f->col.ex[1], "GET", "/two", "", 0, 0);
	cr_assert_eq(f->col.ex[1].has_response, 0);
	cr_assert_eq(f->conn.pending_count, 0);
	cr_assert_eq(f->conn.proto, HTTP1_PROTO_UNKNOWN);
	free(f);
}

Test(http1, close_mid_body_is_incomplete)
{
	struct fixture *f = fixture_new();

	feed(f, REQ, "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\n"
		     "Content-Length: 9\r\n\r\nabc", 1);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", 2);
	close_conn(f, 3);
	cr_assert_eq(f->col.n, 2);
	expect_req(&f->col.ex[0], "GET", "/a", "", 0, 0);
	expect_resp(&f->col.ex[0], 200, 10, HTTP1_MSG_INCOMPLETE);
	expect_tags(&f->col.ex[0], 1, 1, 2, 2);
	expect_req(&f->col.ex[1], "POST", "/b", "", 3, HTTP1_MSG_INCOMPLETE);
	cr_assert_eq(f->col.ex[1].has_response, 0);
	free(f);
}

Test(http1, conn_is_reusable_after_close)
{
	struct fixture *f = fixture_new();

	feed(f, REQ, "*1\r\n", 1);
	close_conn(f, 2);
	cr_assert_eq(f->conn.proto, HTTP1_PROTO_UNKNOWN);
	cr_assert_eq(f->conn.misses, 0);
	feed(f, REQ, "GET / HTTP/1.1\r\n\r\n", 3);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 4);
	cr_assert_eq(f->col.n, 1);
	free(f);
}

/* ---- tags ------------------------------------------------------------------ */

Test(http1, tags_follow_first_and_last_byte)
{
	struct fixture *f = fixture_new();

	feed(f, REQ, "POST /t HTTP/1.1\r\nCont", 10);
	feed(f, REQ, "ent-Length: 4\r\n\r\nab", 11);
	feed(f, REQ, "cd", 12);
	feed(f, RESP, "HTTP/1.1 200", 20);
	feed(f, RESP, " OK\r\nContent-Length: 3\r\n\r\nx", 21);
	feed(f, RESP, "yz", 22);
	cr_assert_eq(f->col.n, 1);
	expect_tags(&f->col.ex[0], 10, 12, 20, 22);
	/* a message starting mid-feed takes that feed's tag */
	feed(f, REQ, "GET /u HTTP/1.1\r\n\r\nGET /v", 30);
	feed(f, REQ, " HTTP/1.1\r\n\r\n", 31);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent", 40);
	feed(f, RESP, "-Length: 0\r\n\r\n", 41);
	cr_assert_eq(f->col.n, 3);
	expect_tags(&f->col.ex[1], 30, 30, 40, 40);
	expect_tags(&f->col.ex[2], 30, 31, 40, 41);
	free(f);
}

/* ---- looks_like ------------------------------------------------------------ */

static int req_like(const char *s)
{
	return http1_looks_like_request((const uint8_t *)s, strlen(s));
}

static int resp_like(const char *s)
{
	return http1_looks_like_response((const uint8_t *)s, strlen(s));
}

Test(http1, looks_like_request)
{
	cr_assert(req_like("GET / HTTP/1.1\r\n"));
	cr_assert(req_like("OPTIONS *"));
	cr_assert(req_like("PROPFIND /dav HTTP/1.1"));
	cr_assert(req_like("M-SEARCH * HTTP/1.1"));
	cr_assert(req_like("M-SE"));
	cr_assert(req_like("G"), "prefix of a method");
	cr_assert(req_like("DELET"));
	cr_assert(req_like("ABCDEFGHIJKLMNOPQRST "), "20 letters");
	cr_assert_not(req_like("ABCDEFGHIJKLMNOPQRSTU "), "21 letters");
	cr_assert_not(req_like("get / HTTP/1.1"));
	cr_assert_not(req_like(" GET /"));
	cr_assert_not(req_like("PING\r\n"));
	cr_assert_not(req_like("*1\r\n"));
	cr_assert_not(req_like("HTTP/1.1 200 OK"));
	cr_assert_not(req_like(""));
	cr_assert_not(http1_looks_like_request(NULL, 4));
}

Test(http1, looks_like_response)
{
	cr_assert(resp_like("HTTP/1.1 200 OK"));
	cr_assert(resp_like("HTTP/1.0 404"));
	cr_assert(resp_like("HTT"), "prefix");
	cr_assert(resp_like("HTTP/1."));
	cr_assert_not(resp_like("HTTP/2 200"));
	cr_assert_not(resp_like("http/1.1 200"));
	cr_assert_not(resp_like("+OK\r\n"));
	cr_assert_not(resp_like(""));
}

/* ---- API edges ------------------------------------------------------------- */

Test(http1, api_edges_are_harmless)
{
	struct fixture *f = fixture_new();
	const char *get = "GET / HTTP/1.1\r\n\r\n";

	/* nothing captured: the first feed cannot decide the protocol */
	cr_assert_eq(http1_conn_feed(&f->conn, REQ, NULL, 10, 10, 1,
				     collect_cb, &f->col), 0);
	cr_assert_eq(f->conn.proto, HTTP1_PROTO_UNKNOWN);
	cr_assert_eq(http1_conn_feed(&f->conn, (enum http1_side)7,
				     (const uint8_t *)get, strlen(get),
				     strlen(get), 2, collect_cb, &f->col), 0);
	cr_assert_eq(f->conn.proto, HTTP1_PROTO_UNKNOWN);
	/* total smaller than captured: the captured bytes still count */
	feed_part(f, REQ, get, strlen(get), 3, 3);
	cr_assert_eq(f->conn.pending_count, 1);
	/* a tail longer than the gap is clamped to it */
	cr_assert_eq(http1_conn_feed_gap(&f->conn, RESP, 2,
					 (const uint8_t *)"0\r\n\r\n", 5, 4,
					 collect_cb, &f->col), 0);
	/* no callback: exchanges are dropped, state still advances */
	http1_conn_feed(&f->conn, RESP,
			(const uint8_t *)"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
			38, 38, 5, NULL, NULL);
	cr_assert_eq(f->conn.pending_count, 0);
	http1_conn_close(&f->conn, 6, NULL, NULL);
	http1_conn_close(&f->conn, 7, collect_cb, &f->col);
	cr_assert_eq(f->col.n, 0);
	free(f);
}

Test(http1, response_starting_inside_a_gap)
{
	struct fixture *f = fixture_new();

	feed(f, REQ, "GET /a HTTP/1.1\r\n\r\n", 1);
	cr_assert_eq(http1_conn_feed(&f->conn, RESP, NULL, 0, 300, 2,
				     collect_cb, &f->col), 0);
	feed(f, REQ, "GET /b HTTP/1.1\r\n\r\n", 3);
	cr_assert_eq(f->col.n, 1);
	expect_req(&f->col.ex[0], "GET", "/a", "", 0, 0);
	expect_resp(&f->col.ex[0], 0, 300, HTTP1_MSG_HEAD_TRUNCATED);
	expect_tags(&f->col.ex[0], 1, 1, 2, 2);
	cr_assert_eq(f->misses, 0);
	free(f);
}

/* Feeds each step, parking the connection whenever it allows and resuming
 * it into a fresh state before the next: returns how many parks. */
static int run_parking(const struct step *st, size_t n, struct fixture *f)
{
	int parks = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t carry = 0;

		feed(f, st[i].side, st[i].data, i + 1);
		if (http1_conn_park(&f->conn, &carry)) {
			memset(&f->conn, 0xa5, sizeof(f->conn)); /* what a reused state may hold */
			http1_conn_init(&f->conn);
			http1_conn_resume(&f->conn, carry);
			parks++;
		}
	}
	close_conn(f, CLOSE_TAG);
	return parks;
}

/* Parking between exchanges changes nothing a caller sees: the same
 * exchanges, numbered on, as a connection that kept its state. */
Test(http1, parking_between_exchanges_is_invisible)
{
	static const struct step st[] = {
		{ REQ, "GET /1 HTTP/1.1\r\nHost: k\r\n\r\n" },
		{ RESP, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na" },
		{ REQ, "POST /2 HTTP/1.1\r\nHost: k\r\nContent-Length: 4\r\n\r\nbb" },
		{ REQ, "bb" },
		{ RESP, "HTTP/1.1 100 Continue\r\n\r\n" },
		{ RESP, "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nccc\r\n" },
		{ RESP, "0\r\n\r\n" },
		{ REQ, "GET /3 HTTP/1.1\r\nHo" },
		{ REQ, "st: k\r\n\r\nGET /4 HTTP/1.1\r\n\r\n" },
		{ RESP, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n" },
		{ RESP, "HTTP/1.1 204 No Content\r\n\r\n" },
	};
	struct fixture *plain = fixture_new(), *parked = fixture_new();

	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		feed(plain, st[i].side, st[i].data, i + 1);
	close_conn(plain, CLOSE_TAG);
	cr_expect_eq(run_parking(st, sizeof(st) / sizeof(st[0]), parked), 3,
		     "parked after each whole exchange only");
	cr_assert_eq(plain->col.n, 4);
	cr_assert_eq(parked->col.n, 4);
	for (size_t i = 0; i < 4; i++)
		cr_expect_eq(memcmp(&plain->col.ex[i], &parked->col.ex[i], sizeof(plain->col.ex[i])),
			     0, "exchange %zu differs", i);
	cr_expect_eq(parked->col.ex[3].req.seq, 4);
	cr_expect_eq(parked->misses, 0);
	free(plain);
	free(parked);
}

/* What must not be parked: a request awaiting its response, a line begun,
 * a body still arriving, a response owed to a dropped request, a side
 * skipping to resynchronize. */
Test(http1, busy_connection_does_not_park)
{
	struct fixture *f = fixture_new();
	uint64_t carry = 0;

	cr_expect_eq(http1_conn_park(&f->conn, &carry), 1, "a fresh connection is idle");
	cr_expect_eq(carry, 0);
	feed(f, REQ, "GET /1 HTTP/1.1\r\n\r\n", 1);
	cr_expect_eq(http1_conn_park(&f->conn, &carry), 0, "awaiting a response");
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\na", 2);
	cr_expect_eq(http1_conn_park(&f->conn, &carry), 0, "a body still arriving");
	feed(f, RESP, "bc", 3);
	cr_expect_eq(http1_conn_park(&f->conn, &carry), 1);
	cr_expect_eq(carry, (uint64_t)HTTP1_PROTO_HTTP << 32 | 1);
	feed(f, REQ, "GE", 4);
	cr_expect_eq(http1_conn_park(&f->conn, &carry), 0, "a start line begun");
	close_conn(f, CLOSE_TAG);

	f->conn.resp_stream.orphans = 1;
	cr_expect_eq(http1_conn_park(&f->conn, &carry), 0, "a response owed to a dropped request");
	f->conn.resp_stream.orphans = 0;
	f->conn.req_stream.state = HTTP1_ST_SKIP;
	cr_expect_eq(http1_conn_park(&f->conn, &carry), 0, "skipping to resynchronize");
	free(f);
}

/* A connection found not to speak HTTP stays so across a park. */
Test(http1, parked_non_http_connection_stays_ignored)
{
	struct fixture *f = fixture_new();
	uint64_t carry = 0;

	feed(f, REQ, "\x16\x03\x01 not http", 1);
	cr_assert_eq(http1_conn_park(&f->conn, &carry), 1);
	http1_conn_init(&f->conn);
	http1_conn_resume(&f->conn, carry);
	cr_expect_eq(feed(f, REQ, "GET / HTTP/1.1\r\n\r\n", 2), 0);
	cr_expect_eq(feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 3), 0);
	close_conn(f, CLOSE_TAG);
	cr_expect_eq(f->col.n, 0);
	free(f);
}

/* Request numbers are keys and 0 is none: the count skips it when it wraps. */
Test(http1, request_numbering_skips_zero_when_it_wraps)
{
	struct fixture *f = fixture_new();

	f->conn.next_seq = UINT32_MAX - 1;
	feed(f, REQ, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 1);
	feed(f, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
		      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2);
	cr_assert_eq(f->col.n, 2);
	cr_expect_eq(f->col.ex[0].req.seq, UINT32_MAX);
	cr_expect_eq(f->col.ex[1].req.seq, 1);
	free(f);
}

/* The request and drop callbacks get the feed's ctx (the collector here),
 * so what they saw is kept beside it. */
static struct {
	uint32_t requests[16], drops[16];
	size_t n_requests, n_drops;
} seen;

static void note_request(void *ctx, const struct http1_request *req)
{
	(void)ctx;
	cr_assert_lt(seen.n_requests, 16);
	seen.requests[seen.n_requests++] = req->seq;
}

static void note_drop(void *ctx, const struct http1_request *req)
{
	(void)ctx;
	cr_assert_lt(seen.n_drops, 16);
	seen.drops[seen.n_drops++] = req->seq;
}

/* A request whose head broke off was never announced, so making room for
 * newer ones lets go of it silently: a drop names only announced keys. */
Test(http1, pipeline_drop_names_only_announced_requests)
{
	struct fixture *f = fixture_new();
	char req[64];
	uint64_t tag = 1;
	size_t i;

	memset(&seen, 0, sizeof(seen));
	http1_conn_set_request_cb(&f->conn, note_request);
	http1_conn_set_drop_cb(&f->conn, note_drop);
	feed(f, REQ, "GET /bad HTTP/1.1\r\nContent-Length: x\r\n\r\n", tag++);
	for (i = 0; i <= HTTP1_PIPELINE_MAX; i++) {
		snprintf(req, sizeof(req), "GET /%zu HTTP/1.1\r\n\r\n", i);
		feed(f, REQ, req, tag++);
	}
	cr_assert_eq(f->conn.pipeline_drops, 2);
	cr_assert_eq(f->misses, 1);
	cr_assert_eq(seen.n_requests, HTTP1_PIPELINE_MAX + 1);
	for (i = 0; i <= HTTP1_PIPELINE_MAX; i++)
		cr_assert_eq(seen.requests[i], i + 2);
	cr_assert_eq(seen.n_drops, 1);
	cr_assert_eq(seen.drops[0], 2);
	free(f);
}
