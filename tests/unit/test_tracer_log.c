// SPDX-License-Identifier: MIT
/*
 * --logs through the tracer: ZT_EV_LOG records beside the DATA records of
 * a server's requests. A line names the request its thread serves when it
 * serves exactly one, or the one --node-helper's report names; never a
 * guess (an event loop with several in flight, a thread between requests).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "events.h"
#include "tracer.h"
#include "span_attrs_check.h"
#include "test_stream.h"

/* at and above PID_MAX_LIMIT: procinfo never finds a real process */
#define TL_PID 4194310u
#define TL_MAX 16
#define TL_OK "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

struct tl_sink {
	struct span spans[TL_MAX];
	struct log_record logs[TL_MAX];
	uint32_t n_spans, n_logs;
};

static void tl_span(void *ctx, const struct span *s)
{
	struct tl_sink *k = ctx;

	cr_assert_lt(k->n_spans, TL_MAX);
	k->spans[k->n_spans++] = *s;
}

static void tl_log(void *ctx, struct log_record *r)
{
	struct tl_sink *k = ctx;

	cr_assert_lt(k->n_logs, TL_MAX);
	k->logs[k->n_logs] = *r;
	k->logs[k->n_logs++].process = NULL;
}

union tl_record {
	struct zt_event e;
	uint8_t bytes[sizeof(struct zt_event) + ZT_CAPTURE_MAX];
};

static struct tracer *tl_new(struct tl_sink *k, int node_helper)
{
	struct zt_config cfg;
	struct tracer *t;

	memset(k, 0, sizeof(*k));
	config_defaults(&cfg);
	cfg.max_conns = 64;
	cfg.logs = 1;
	cfg.node_helper = node_helper;
	t = tracer_new(&cfg, tl_span, k);
	cr_assert_not_null(t);
	tracer_set_log_sink(t, tl_log, k);
	tracer_tick(t, 0, 1000);
	return t;
}

static void tl_feed(struct tracer *t, union tl_record *r)
{
	test_stream_stamp(&r->e);
	cr_assert_eq(tracer_handle_event(t, r, sizeof(r->e) + r->e.cap_len), 0);
}

/* Server connection conn_id of TL_PID on fd, from 10.0.0.9:port. */
static void tl_data(struct tracer *t, uint64_t conn_id, int32_t fd, uint16_t port, uint8_t dir,
		    uint64_t ts, uint32_t tid, const char *payload)
{
	static union tl_record r;
	size_t n = strlen(payload);

	memset(&r, 0, sizeof(r));
	r.e.type = ZT_EV_DATA;
	r.e.syscall = dir == ZT_DIR_INGRESS ? ZT_SYS_READ : ZT_SYS_WRITE;
	r.e.conn_id = conn_id;
	r.e.role = ZT_ROLE_SERVER;
	r.e.dir = dir;
	r.e.ts_enter_ns = ts;
	r.e.ts_exit_ns = ts + 10;
	r.e.pid = TL_PID;
	r.e.tid = tid;
	r.e.task = tid;
	r.e.fd = fd;
	memcpy(r.e.comm, "svc", 4);
	r.e.tuple.family = AF_INET;
	cr_assert_eq(inet_pton(AF_INET, "10.0.0.1", r.e.tuple.local_addr), 1);
	cr_assert_eq(inet_pton(AF_INET, "10.0.0.9", r.e.tuple.remote_addr), 1);
	r.e.tuple.local_port = 8080;
	r.e.tuple.remote_port = port;
	r.e.proto = ZT_PROTO_HTTP1;
	r.e.cap_len = (uint32_t)n;
	r.e.bytes = (int64_t)n;
	memcpy(r.bytes + sizeof(r.e), payload, n);
	tl_feed(t, &r);
}

/* A write of line by tid to fd: all of it copied, unless cap is smaller. */
static void tl_write(struct tracer *t, uint32_t tid, int32_t fd, uint64_t ts, const char *line,
		     uint32_t cap)
{
	static union tl_record r;
	size_t n = strlen(line);

	memset(&r, 0, sizeof(r));
	r.e.type = ZT_EV_LOG;
	r.e.syscall = ZT_SYS_WRITE;
	r.e.ts_enter_ns = r.e.ts_exit_ns = ts;
	r.e.pid = TL_PID;
	r.e.tid = tid;
	r.e.task = tid;
	r.e.fd = fd;
	memcpy(r.e.comm, "svc", 4);
	r.e.bytes = (int64_t)n;
	r.e.cap_len = cap < n ? cap : (uint32_t)n;
	if (r.e.cap_len < n) {
		r.e.flags = ZT_F_TRUNCATED;
		r.e.tail_len = ZT_TAIL_LEN;
		memcpy(r.e.tail, line + n - ZT_TAIL_LEN, ZT_TAIL_LEN);
	}
	memcpy(r.bytes + sizeof(r.e), line, r.e.cap_len);
	tl_feed(t, &r);
}

static struct tracer_stats tl_stats(const struct tracer *t)
{
	struct tracer_stats s;

	tracer_get_stats(t, &s);
	return s;
}

static const struct span *tl_server(const struct tl_sink *k, const char *path)
{
	for (uint32_t i = 0; i < k->n_spans; i++)
		if (k->spans[i].kind == SPAN_KIND_SERVER &&
		    !strcmp(sa_str(&k->spans[i].attrs, "url.path"), path))
			return &k->spans[i];
	cr_assert_fail("no SERVER span for %s", path);
	return NULL;
}

/* Answers the request on conn_id and returns its SERVER span. */
static const struct span *tl_server_pending(struct tracer *t, struct tl_sink *k, uint64_t conn_id,
					    int32_t fd, uint16_t port, uint32_t tid, const char *path)
{
	tl_data(t, conn_id, fd, port, ZT_DIR_EGRESS, 600, tid, TL_OK);
	return tl_server(k, path);
}

static void tl_expect_of(const struct log_record *r, const struct span *s)
{
	cr_expect_eq(r->has_trace, 1);
	cr_expect_arr_eq(r->trace_id, s->trace_id, 16);
	cr_expect_arr_eq(r->span_id, s->span_id, 8);
	cr_expect_eq(r->sampled, 1);
}

static void tl_body_is(const struct log_record *r, const char *want)
{
	cr_expect_eq(r->body_len, strlen(want));
	cr_expect(r->body_len == strlen(want) && !memcmp(r->body, want, r->body_len),
		  "body %.*s, want %s", (int)r->body_len, r->body, want);
}

/* A thread's lines while it serves one request carry that request's ids;
 * before and after it, none. */
Test(tracer_log, thread_serving_one_request)
{
	static struct tl_sink k;
	struct tracer *t = tl_new(&k, 0);
	const struct span *s;

	tl_write(t, 21, 1, 50, "INFO before\n", ZT_CAPTURE_MAX);
	tl_data(t, 2, 5, 50001, ZT_DIR_INGRESS, 100, 21, "GET /a HTTP/1.1\r\n\r\n");
	tl_write(t, 21, 1, 200, "INFO rid=1 password=x\n", ZT_CAPTURE_MAX);
	tl_write(t, 21, 2, 210, "{\"level\":\"warning\"}\r\n", ZT_CAPTURE_MAX);
	tl_write(t, 21, 7, 220, "ERROR file line\n", ZT_CAPTURE_MAX);
	tl_data(t, 2, 5, 50001, ZT_DIR_EGRESS, 300, 21, TL_OK);
	tl_write(t, 21, 1, 400, "INFO after\n", ZT_CAPTURE_MAX);
	s = tl_server(&k, "/a");
	cr_assert_eq(k.n_logs, 5);
	cr_expect_eq(k.logs[0].has_trace, 0);
	tl_body_is(&k.logs[0], "INFO before");
	tl_expect_of(&k.logs[1], s);
	tl_body_is(&k.logs[1], "INFO rid=1 password=REDACTED");
	cr_expect_eq(k.logs[1].severity_number, 9);
	cr_expect_str_eq(k.logs[1].severity_text, "INFO");
	cr_expect_eq(k.logs[1].stream, LOG_STREAM_STDOUT);
	cr_expect_eq(k.logs[1].time_unix_ns, 1200);
	cr_expect_eq(k.logs[1].pid, TL_PID);
	cr_expect_eq(k.logs[1].tid, 21);
	cr_expect_eq(k.logs[1].cut, 0);
	tl_expect_of(&k.logs[2], s);
	tl_body_is(&k.logs[2], "{\"level\":\"warning\"}");
	cr_expect_eq(k.logs[2].severity_number, 13);
	cr_expect_eq(k.logs[2].stream, LOG_STREAM_STDERR);
	tl_expect_of(&k.logs[3], s);
	cr_expect_eq(k.logs[3].stream, LOG_STREAM_FILE);
	cr_expect_eq(k.logs[3].fd, 7);
	cr_expect_eq(k.logs[3].severity_number, 17);
	cr_expect_eq(k.logs[4].has_trace, 0);
	cr_expect_eq(tl_stats(t).logs[TRACER_LOG_LINKED], 3);
	cr_expect_eq(tl_stats(t).logs[TRACER_LOG_NO_REQUEST], 2);
	cr_expect_eq(tl_stats(t).logs[TRACER_LOG_AMBIGUOUS], 0);
	tracer_free(t);
}

/* Another thread of the process serves nothing: its line names nothing. */
Test(tracer_log, other_thread_names_nothing)
{
	static struct tl_sink k;
	struct tracer *t = tl_new(&k, 0);

	tl_data(t, 2, 5, 50001, ZT_DIR_INGRESS, 100, 21, "GET /a HTTP/1.1\r\n\r\n");
	tl_write(t, 22, 1, 200, "INFO tick\n", ZT_CAPTURE_MAX);
	cr_assert_eq(k.n_logs, 1);
	cr_expect_eq(k.logs[0].has_trace, 0);
	cr_expect_eq(tl_stats(t).logs[TRACER_LOG_NO_REQUEST], 1);
	tracer_free(t);
}

/* An event loop with two requests in flight: no line is linked. */
Test(tracer_log, event_loop_with_two_requests_links_none)
{
	static struct tl_sink k;
	struct tracer *t = tl_new(&k, 0);

	tl_data(t, 2, 5, 50001, ZT_DIR_INGRESS, 100, 21, "GET /a HTTP/1.1\r\n\r\n");
	tl_data(t, 3, 6, 50002, ZT_DIR_INGRESS, 110, 21, "GET /b HTTP/1.1\r\n\r\n");
	tl_write(t, 21, 1, 200, "INFO rid=1\n", ZT_CAPTURE_MAX);
	cr_assert_eq(k.n_logs, 1);
	cr_expect_eq(k.logs[0].has_trace, 0);
	cr_expect_eq(tl_stats(t).logs[TRACER_LOG_AMBIGUOUS], 1);
	tracer_free(t);
}

/* A thread once seen serving two requests is an event loop: with one in
 * flight again, its line (the last request's, written after its response,
 * or a timer's) is linked to none. A thread that never served two is. */
Test(tracer_log, event_loop_seen_once_links_none_after)
{
	static struct tl_sink k;
	struct tracer *t = tl_new(&k, 0);

	tl_data(t, 2, 5, 50001, ZT_DIR_INGRESS, 100, 21, "GET /a HTTP/1.1\r\n\r\n");
	tl_data(t, 3, 6, 50002, ZT_DIR_INGRESS, 110, 21, "GET /b HTTP/1.1\r\n\r\n");
	tl_data(t, 2, 5, 50001, ZT_DIR_EGRESS, 200, 21, TL_OK);
	tl_write(t, 21, 1, 300, "INFO access log of /a\n", ZT_CAPTURE_MAX);
	tl_data(t, 4, 7, 50003, ZT_DIR_INGRESS, 400, 22, "GET /c HTTP/1.1\r\n\r\n");
	tl_write(t, 22, 1, 500, "INFO rid=c\n", ZT_CAPTURE_MAX);
	cr_assert_eq(k.n_logs, 2);
	cr_expect_eq(k.logs[0].has_trace, 0);
	tl_expect_of(&k.logs[1], tl_server_pending(t, &k, 4, 7, 50003, 22, "/c"));
	cr_expect_eq(tl_stats(t).logs[TRACER_LOG_AMBIGUOUS], 1);
	cr_expect_eq(tl_stats(t).logs[TRACER_LOG_LINKED], 1);
	tracer_free(t);
}

/* --node-helper named the request on fd 6 as the one fd 1 writes for. */
Test(tracer_log, helper_report_names_the_request)
{
	static struct tl_sink k;
	static union tl_record r;
	struct tracer *t = tl_new(&k, 1);
	const char *path = ZT_HELPER_PREFIX "6/1";
	const struct span *b;

	tl_data(t, 2, 5, 50001, ZT_DIR_INGRESS, 100, 21, "GET /a HTTP/1.1\r\n\r\n");
	tl_data(t, 3, 6, 50002, ZT_DIR_INGRESS, 110, 21, "GET /b HTTP/1.1\r\n\r\n");
	memset(&r, 0, sizeof(r));
	r.e.type = ZT_EV_HELPER_LINK;
	r.e.ts_enter_ns = r.e.ts_exit_ns = 150;
	r.e.pid = TL_PID;
	r.e.tid = 21;
	r.e.fd = -1;
	r.e.cap_len = (uint32_t)strlen(path);
	memcpy(r.bytes + sizeof(r.e), path, r.e.cap_len);
	tl_feed(t, &r);
	tl_write(t, 21, 1, 200, "INFO rid=b\n", ZT_CAPTURE_MAX);
	tl_data(t, 3, 6, 50002, ZT_DIR_EGRESS, 300, 21, TL_OK);
	b = tl_server(&k, "/b");
	cr_assert_eq(k.n_logs, 1);
	tl_expect_of(&k.logs[0], b);
	/* the helper says fd 1 now writes for no request */
	path = ZT_HELPER_PREFIX ZT_HELPER_NONE "1";
	r.e.cap_len = (uint32_t)strlen(path);
	memcpy(r.bytes + sizeof(r.e), path, r.e.cap_len);
	r.e.ts_enter_ns = r.e.ts_exit_ns = 400;
	tl_feed(t, &r);
	tl_write(t, 21, 1, 500, "INFO timer\n", ZT_CAPTURE_MAX);
	cr_assert_eq(k.n_logs, 2);
	cr_expect_eq(k.logs[1].has_trace, 0);
	cr_expect_eq(tl_stats(t).logs[TRACER_LOG_LINKED], 1);
	cr_expect_eq(tl_stats(t).logs[TRACER_LOG_NO_REQUEST], 1);
	tracer_free(t);
}

/* Several lines in one write, part of one, or a line end alone: counted,
 * no record. A line longer than --capture-bytes (512 here) is seen whole
 * (the kernel copies 4 KiB) and linked, its body cut; one longer than the
 * copy may hide a line end: a record, linked to nothing. */
Test(tracer_log, not_one_line_is_counted_and_long_lines)
{
	static struct tl_sink k;
	static char longline[600], huge[ZT_CAPTURE_MAX + 100];
	struct tracer *t = tl_new(&k, 0);

	tl_data(t, 2, 5, 50001, ZT_DIR_INGRESS, 100, 21, "GET /a HTTP/1.1\r\n\r\n");
	tl_write(t, 21, 1, 200, "INFO a\nINFO b\n", ZT_CAPTURE_MAX);
	tl_write(t, 21, 1, 210, "INFO no end", ZT_CAPTURE_MAX);
	tl_write(t, 21, 1, 215, "\n", ZT_CAPTURE_MAX);
	memset(longline, 'x', sizeof(longline) - 2);
	longline[sizeof(longline) - 2] = '\n';
	tl_write(t, 21, 1, 220, longline, ZT_CAPTURE_MAX);
	memset(huge, 'y', sizeof(huge) - 2);
	huge[sizeof(huge) - 2] = '\n';
	tl_write(t, 21, 1, 230, huge, ZT_CAPTURE_MAX);
	cr_expect_eq(tl_stats(t).logs[TRACER_LOG_NOT_ONE_LINE], 3);
	cr_assert_eq(k.n_logs, 2);
	cr_expect_eq(k.logs[0].body_len, 512);
	cr_expect_eq(k.logs[0].cut, 1);
	cr_expect_eq(k.logs[0].has_trace, 1);
	cr_expect_eq(k.logs[1].body_len, 512);
	cr_expect_eq(k.logs[1].cut, 1);
	cr_expect_eq(k.logs[1].has_trace, 0);
	cr_expect_eq(tl_stats(t).logs[TRACER_LOG_TOO_LONG], 1);
	cr_expect_eq(tl_stats(t).logs[TRACER_LOG_LINKED], 1);
	tracer_free(t);
}

/* Without a log sink (no --logs), records are ignored; malformed ones are
 * counted. */
Test(tracer_log, malformed_record_is_counted)
{
	static struct tl_sink k;
	static union tl_record r;
	struct tracer *t = tl_new(&k, 0);

	memset(&r, 0, sizeof(r));
	r.e.type = ZT_EV_LOG;
	r.e.bytes = 4;
	r.e.cap_len = 8; /* more than it wrote */
	cr_assert_eq(tracer_handle_event(t, &r, sizeof(r.e) + 8), 0);
	r.e.cap_len = 2;
	r.e.bytes = 2;
	r.e.tail_len = ZT_TAIL_LEN + 1;
	cr_assert_eq(tracer_handle_event(t, &r, sizeof(r.e) + 2), 0);
	cr_expect_eq(tl_stats(t).bad_events, 2);
	cr_expect_eq(k.n_logs, 0);
	tracer_free(t);
}
