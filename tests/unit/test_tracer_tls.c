// SPDX-License-Identifier: MIT
/*
 * The tracer on TLS plaintext records (ZT_F_TLS): the same HTTP spans with
 * url.scheme=https and tls.protocol.name=tls; a connection that spoke in
 * the clear before its handshake starts over; cleartext that arrives after
 * the TLS plaintext began is counted, never parsed into the new stream.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "events.h"
#include "span_attrs_check.h"
#include "tracer.h"

#define TLS_SPANS_MAX 8

struct tls_sink {
	struct span spans[TLS_SPANS_MAX];
	uint32_t n;
};

static void tls_record_span(void *ctx, const struct span *s)
{
	struct tls_sink *k = ctx;

	cr_assert_lt(k->n, TLS_SPANS_MAX);
	k->spans[k->n++] = *s;
}

union tls_record {
	struct zt_event e;
	uint8_t bytes[sizeof(struct zt_event) + ZT_CAPTURE_MAX];
};

static struct tracer *tls_tracer(struct tls_sink *sink)
{
	struct zt_config cfg;
	struct tracer *t;

	config_defaults(&cfg);
	t = tracer_new(&cfg, tls_record_span, sink);
	cr_assert_not_null(t);
	tracer_tick(t, 0, 0);
	return t;
}

/* A server-side record of conn 9 (10.0.0.1:443 <- 10.0.0.2:50000). */
static void tls_feed(struct tracer *t, uint8_t dir, uint8_t flags, uint16_t syscall,
		     uint8_t proto, uint64_t ts, const char *payload, uint32_t stream_pos)
{
	union tls_record r;
	size_t n = strlen(payload);

	memset(&r, 0, sizeof(r));
	r.e.type = ZT_EV_DATA;
	r.e.syscall = syscall;
	r.e.conn_id = 9;
	r.e.role = ZT_ROLE_SERVER;
	r.e.dir = dir;
	r.e.flags = flags;
	r.e.ts_enter_ns = ts;
	r.e.ts_exit_ns = ts + 10;
	r.e.pid = 4194304u;
	r.e.tid = 4194304u;
	r.e.fd = 5;
	memcpy(r.e.comm, "srv", 4);
	r.e.tuple.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", r.e.tuple.local_addr);
	inet_pton(AF_INET, "10.0.0.2", r.e.tuple.remote_addr);
	r.e.tuple.local_port = 443;
	r.e.tuple.remote_port = 50000;
	r.e.proto = proto;
	r.e.cap_len = (uint32_t)n;
	r.e.bytes = (int64_t)n;
	r.e.stream_pos = stream_pos;
	r.e.tls_minor = flags & ZT_F_TLS ? 3 : 0;
	memcpy(r.bytes + sizeof(r.e), payload, n);
	cr_assert_eq(tracer_handle_event(t, &r, sizeof(r.e) + n), 0);
}

static int64_t tls_status(const struct span *s)
{
	int64_t v = -1;

	cr_expect(sa_int(&s->attrs, "http.response.status_code", &v));
	return v;
}

#define TLS_GET "GET /secure HTTP/1.1\r\nHost: x\r\n\r\n"
#define TLS_OK "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

Test(tracer_tls, plaintext_records_give_https_spans)
{
	static struct tls_sink sink;
	struct tracer *t = tls_tracer(&sink);
	struct tracer_stats st;

	tls_feed(t, ZT_DIR_INGRESS, ZT_F_TLS, ZT_SYS_TLS_READ, ZT_PROTO_HTTP1, 1000, TLS_GET, 0);
	tls_feed(t, ZT_DIR_EGRESS, ZT_F_TLS, ZT_SYS_TLS_WRITE, ZT_PROTO_HTTP1, 2000, TLS_OK, 0);
	cr_assert_eq(sink.n, 1);
	cr_expect_str_eq(sink.spans[0].name, "GET /secure");
	cr_expect_str_eq(sa_str(&sink.spans[0].attrs, "url.scheme"), "https");
	cr_expect_str_eq(sa_str(&sink.spans[0].attrs, "tls.protocol.name"), "tls");
	cr_expect_str_eq(sa_str(&sink.spans[0].attrs, "tls.protocol.version"), "1.2");
	cr_expect_eq(sa_count(&sink.spans[0].attrs, "url.scheme"), 1);
	tracer_get_stats(t, &st);
	cr_expect_eq(st.tls_conn_resets, 0);
	cr_expect_eq(st.parse_misses, 0);
	cr_expect_eq(st.record_gaps, 0);
	tracer_free(t);
}

Test(tracer_tls, cleartext_before_the_handshake_is_left_behind)
{
	static struct tls_sink sink;
	struct tracer *t = tls_tracer(&sink);
	struct tracer_stats st;

	/* a request in the clear that never got its answer, then TLS from
	 * stream position 0 again, as the kernel restarts it */
	tls_feed(t, ZT_DIR_INGRESS, 0, ZT_SYS_READ, ZT_PROTO_HTTP1, 100,
		 "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n", 0);
	tls_feed(t, ZT_DIR_INGRESS, ZT_F_TLS, ZT_SYS_TLS_READ, ZT_PROTO_HTTP1, 1000, TLS_GET, 0);
	tls_feed(t, ZT_DIR_EGRESS, ZT_F_TLS, ZT_SYS_TLS_WRITE, ZT_PROTO_HTTP1, 2000, TLS_OK, 0);
	tracer_get_stats(t, &st);
	cr_expect_eq(st.tls_conn_resets, 1);
	cr_expect_eq(st.record_gaps, 0, "the plaintext stream starts at 0: nothing is missing");
	cr_assert_eq(sink.n, 2, "the cleartext request ends unanswered, the TLS one is paired");
	cr_expect_str_eq(sink.spans[0].name, "GET /plain");
	cr_expect_eq(sa_count(&sink.spans[0].attrs, "http.response.status_code"), 0);
	cr_expect_str_eq(sa_str(&sink.spans[0].attrs, "url.scheme"), "http");
	cr_expect_eq(sa_count(&sink.spans[0].attrs, "tls.protocol.name"), 0);
	cr_expect_str_eq(sink.spans[1].name, "GET /secure");
	cr_expect_eq(tls_status(&sink.spans[1]), 200);
	cr_expect_str_eq(sa_str(&sink.spans[1].attrs, "url.scheme"), "https");
	tracer_free(t);
}

Test(tracer_tls, cleartext_after_the_plaintext_began_is_counted_not_parsed)
{
	static struct tls_sink sink;
	struct tracer *t = tls_tracer(&sink);
	struct tracer_stats st;

	tls_feed(t, ZT_DIR_INGRESS, ZT_F_TLS, ZT_SYS_TLS_READ, ZT_PROTO_HTTP1, 1000, TLS_GET, 0);
	tls_feed(t, ZT_DIR_EGRESS, 0, ZT_SYS_WRITE, ZT_PROTO_HTTP1, 1500,
		 "HTTP/1.1 500 No\r\nContent-Length: 0\r\n\r\n", 0);
	tls_feed(t, ZT_DIR_EGRESS, ZT_F_TLS, ZT_SYS_TLS_WRITE, ZT_PROTO_HTTP1, 2000, TLS_OK, 0);
	tracer_get_stats(t, &st);
	cr_expect_eq(st.record_gaps, 1);
	cr_assert_eq(sink.n, 1);
	cr_expect_eq(tls_status(&sink.spans[0]), 200);
	tracer_free(t);
}
