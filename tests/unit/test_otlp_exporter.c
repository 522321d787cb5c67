// SPDX-License-Identifier: MIT
/*
 * exporters/otlp_exporter.c: the queue and thread against a real HTTP
 * server on loopback (a thread in this test answering scripted statuses),
 * a port with nothing listening, gzip bodies checked by inflating them,
 * exact overflow counts, and the queue's bytes wrapping; log lines
 * (enqueue_log) batched by bytes and not starving spans (log records
 * themselves: test_otlp_logs.c). The pure half (environment, headers,
 * backoff): test_otlp_config.c.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "otlp_encode.h"
#include "otlp_exporter.h"
#include "procinfo.h"
#include "span_fixture.h"

#define OX_ERR_LEN 256


/* ---- A scripted HTTP/1.1 server on 127.0.0.1:0 ---- */

#define OX_MAX_REQS 32
#define OX_HEAD_MAX 4096
#define OX_CONN_MAX (8u << 20)

struct ox_req {
	char head[OX_HEAD_MAX]; /* request line and headers, NUL-terminated */
	uint8_t *body;
	size_t body_len;
	uint64_t at_ms;
};

struct ox_reply {
	int status;
	const char *headers; /* extra header lines, each ending in "\r\n" */
};

struct ox_server {
	int lfd;
	uint16_t port;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct ox_reply *script; /* replies in order; 200 after the end */
	size_t n_script;
	int hold;                      /* read requests, answer none */
	int quit;
	size_t n_reqs;
	struct ox_req reqs[OX_MAX_REQS];
};

static uint64_t ox_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void ox_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int ox_quitting(struct ox_server *s)
{
	int q;

	pthread_mutex_lock(&s->mu);
	q = s->quit;
	pthread_mutex_unlock(&s->mu);
	return q;
}

/* Waits for fd to be readable in 20 ms steps so that quit is noticed;
 * 1 when readable, 0 on quit. */
static int ox_wait_readable(struct ox_server *s, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (!ox_quitting(s))
		if (poll(&p, 1, 20) > 0)
			return 1;
	return 0;
}

static size_t ox_content_length(const char *head)
{
	const char *p = head;

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, "content-length:", 15) == 0)
			return strtoul(p + 15, NULL, 10);
	}
	return 0;
}

/* Serves requests on one connection until the peer closes it or quit. */
static void ox_serve_conn(struct ox_server *s, int fd)
{
	char *buf = malloc(OX_CONN_MAX), *end, out[512];
	size_t len = 0, head_len, body_len, idx;
	struct ox_reply r;
	ssize_t got;
	int n;

	cr_assert(buf);
	for (;;) {
		while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
			if (len == OX_CONN_MAX || !ox_wait_readable(s, fd))
				goto out;
			got = recv(fd, buf + len, OX_CONN_MAX - len, 0);
			if (got <= 0)
				goto out;
			len += (size_t)got;
		}
		head_len = (size_t)(end - buf) + 4;
		buf[head_len - 2] = '\0'; /* keeps one CRLF after the last header */
		body_len = ox_content_length(buf);
		if (body_len > OX_CONN_MAX - head_len)
			goto out;
		while (len < head_len + body_len) {
			if (!ox_wait_readable(s, fd))
				goto out;
			got = recv(fd, buf + len, OX_CONN_MAX - len, 0);
			if (got <= 0)
				goto out;
			len += (size_t)got;
		}

		pthread_mutex_lock(&s->mu);
		idx = s->n_reqs++;
		if (idx < OX_MAX_REQS) {
			struct ox_req *q = &s->reqs[idx];

			snprintf(q->head, sizeof(q->head), "%s", buf);
			q->body = malloc(body_len ? body_len : 1);
			memcpy(q->body, buf + head_len, body_len);
			q->body_len = body_len;
			q->at_ms = ox_now_ms();
		}
		pthread_cond_broadcast(&s->cv);
		while (s->hold && !s->quit)
			pthread_cond_wait(&s->cv, &s->mu);
		r = idx < s->n_script ? s->script[idx] : (struct ox_reply){ 200, NULL };
		pthread_mutex_unlock(&s->mu);
		if (ox_quitting(s))
			goto out;

		n = snprintf(out, sizeof(out), "HTTP/1.1 %d Scripted\r\nContent-Length: 0\r\n%s\r\n",
			     r.status, r.headers ? r.headers : "");
		if (send(fd, out, (size_t)n, MSG_NOSIGNAL) != n)
			goto out;
		len -= head_len + body_len;
		memmove(buf, buf + head_len + body_len, len);
	}
out:
	free(buf);
}

static void *ox_server_main(void *arg)
{
	struct ox_server *s = arg;
	int fd;

	while (ox_wait_readable(s, s->lfd)) {
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		ox_serve_conn(s, fd);
		close(fd);
	}
	return NULL;
}

static struct ox_server *ox_server_start(const struct ox_reply *script, size_t n_script,
					 int hold)
{
	struct ox_server *s = calloc(1, sizeof(*s));
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);

	cr_assert(s);
	s->script = script;
	s->n_script = n_script;
	s->hold = hold;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(s->lfd, 0);
	cr_assert_eq(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s->lfd, 8), 0);
	cr_assert_eq(getsockname(s->lfd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	cr_assert_eq(pthread_create(&s->thread, NULL, ox_server_main, s), 0);
	return s;
}

static void ox_server_release(struct ox_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->hold = 0;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Waits until the server has read n requests; returns how many it has. */
static size_t ox_server_wait(struct ox_server *s, size_t n, unsigned ms)
{
	uint64_t until = ox_now_ms() + ms;
	size_t got;

	for (;;) {
		pthread_mutex_lock(&s->mu);
		got = s->n_reqs;
		pthread_mutex_unlock(&s->mu);
		if (got >= n || ox_now_ms() >= until)
			return got;
		ox_sleep_ms(2);
	}
}

static void ox_server_stop(struct ox_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->quit = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	close(s->lfd);
	for (size_t i = 0; i < s->n_reqs && i < OX_MAX_REQS; i++)
		free(s->reqs[i].body);
	free(s);
}

/* The value of a request header (first match, case-insensitive name), or
 * NULL; copied into a static buffer. */
static const char *ox_header(const struct ox_req *q, const char *name)
{
	static char val[512];
	const char *p = q->head, *eol;
	size_t n = strlen(name);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			eol = strstr(p, "\r\n");
			snprintf(val, sizeof(val), "%.*s", (int)(eol ? eol - p : (long)strlen(p)), p);
			return val;
		}
	}
	return NULL;
}

/* A port on 127.0.0.1 with nothing listening: bound, then closed. */
static uint16_t ox_dead_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* ---- Spans, configs, encodings ---- */

/* An environment without OTEL_EXPORTER_OTLP_*: the defaults. */
static const char *ox_no_getenv(const char *name)
{
	(void)name;
	return NULL;
}

static struct otlp_config ox_config(uint16_t port)
{
	struct otlp_config c;

	cr_assert_eq(otlp_config_from_env(&c, ox_no_getenv, NULL, 0), 0);
	snprintf(c.url, sizeof(c.url), "http://127.0.0.1:%u/v1/traces", port);
	c.timeout_ms = 2000;
	c.max_batch = 10;
	c.max_delay_ms = 20;
	c.queue_size = 64;
	c.max_retry_ms = 2000;
	return c;
}

/* n distinct spans from one process, as the exporter will have copied them. */
static struct otlp_item *ox_items(size_t n)
{
	struct otlp_item *items = calloc(n, sizeof(*items));
	const char *host = procinfo_host_name();

	cr_assert(items);
	for (size_t i = 0; i < n; i++) {
		struct span *s = &items[i].span;
		struct procinfo *r = &items[i].resource;

		s->trace_id[0] = 0xab;
		s->trace_id[15] = (uint8_t)(i + 1);
		s->span_id[0] = 0x5a;
		s->span_id[7] = (uint8_t)(i + 1);
		char path[32];

		s->kind = SPAN_KIND_SERVER;
		s->start_unix_ns = 1700000000000000000ULL + i * 1000000;
		s->end_unix_ns = s->start_unix_ns + 500000;
		s->pid = 4242;
		s->tid = 4243;
		snprintf(path, sizeof(path), "/items/%zu", i);
		snprintf(s->server.address, sizeof(s->server.address), "127.0.0.1");
		s->server.port = 8080;
		snprintf(s->client.address, sizeof(s->client.address), "10.0.0.1");
		s->client.port = (uint16_t)(40000 + i);
		s->peer = s->client;
		span_fixture_http(s, &(struct http_fields){ .method = "GET", .path = path,
							   .route = "/items/{id}", .status = 200,
							   .version_minor = 1 });
		snprintf(s->exe_name, sizeof(s->exe_name), "svc");
		snprintf(s->service_name, sizeof(s->service_name), "shop");
		r->pid = 4242;
		r->start_time = 777;
		snprintf(r->comm, sizeof(r->comm), "svc");
		snprintf(r->exe_name, sizeof(r->exe_name), "svc");
		snprintf(r->exe_path, sizeof(r->exe_path), "/usr/bin/svc");
		snprintf(r->service_name, sizeof(r->service_name), "shop");
		snprintf(items[i].host_name, sizeof(items[i].host_name), "%s", host ? host : "");
	}
	return items;
}

static void ox_enqueue(struct otlp_exporter *e, const struct otlp_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		otlp_exporter_enqueue(e, &items[i].span, &items[i].resource);
}

/* Asserts body is exactly what the encoder makes of items[0..n). */
static void ox_expect_body(const uint8_t *body, size_t len, int json,
			   const struct otlp_item *items, size_t n, const char *what)
{
	struct otlp_buf b = { 0 };

	cr_assert_eq(json ? otlp_encode_json(&b, items, n) : otlp_encode_proto(&b, items, n), 0);
	cr_expect_eq(len, b.len, "%s: %zu bytes, want %zu", what, len, b.len);
	if (len == b.len)
		cr_expect(memcmp(body, b.data, len) == 0, "%s: body differs", what);
	otlp_buf_free(&b);
}

static uint8_t *ox_gunzip(const uint8_t *in, size_t len, size_t *out_len)
{
	size_t cap = 1 << 20;
	uint8_t *out = malloc(cap);
	z_stream z;

	memset(&z, 0, sizeof(z));
	cr_assert(out);
	cr_assert_eq(inflateInit2(&z, 31), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END, "not one complete gzip stream");
	cr_expect_eq(z.avail_in, 0, "bytes after the gzip stream");
	*out_len = z.total_out;
	inflateEnd(&z);
	return out;
}

/* Polls the stats until field >= want or ms pass; returns the last read. */
static struct otlp_stats ox_wait_stat(struct otlp_exporter *e, size_t off, uint64_t want,
				      unsigned ms)
{
	uint64_t until = ox_now_ms() + ms;
	struct otlp_stats st;

	for (;;) {
		otlp_exporter_get_stats(e, &st);
		if (*(const uint64_t *)((const char *)&st + off) >= want || ox_now_ms() >= until)
			return st;
		ox_sleep_ms(2);
	}
}

#define OX_WAIT(e, field, want, ms) \
	ox_wait_stat((e), offsetof(struct otlp_stats, field), (want), (ms))

/* ---- The exporter against real sockets ---- */

Test(otlp_exporter, start_off_and_null_safe)
{
	struct otlp_config c = ox_config(1);
	struct otlp_stats st;

	c.url[0] = '\0';
	errno = 0;
	cr_expect_null(otlp_exporter_start(&c));
	cr_expect_eq(errno, EINVAL);
	c = ox_config(1);
	c.max_batch = 0;
	cr_expect_null(otlp_exporter_start(&c));
	cr_expect_null(otlp_exporter_start(NULL));
	memset(&st, 0xff, sizeof(st));
	otlp_exporter_get_stats(NULL, &st);
	cr_expect_eq(st.enqueued + st.exported + st.queue_depth, 0);
	otlp_exporter_enqueue(NULL, NULL, NULL);
	otlp_exporter_stop(NULL, 100, NULL);
}

Test(otlp_exporter, retries_then_delivers_each_span_once)
{
	static const struct ox_reply script[] = {
		{ 503, "Retry-After: 0\r\n" }, { 503, "Retry-After: 0\r\n" }, { 200, NULL },
		{ 200, NULL },
	};
	struct ox_server *srv = ox_server_start(script, 4, 0);
	struct otlp_config c = ox_config(srv->port);
	struct otlp_item *items = ox_items(20);
	struct otlp_exporter *e = otlp_exporter_start(&c);
	struct otlp_stats st;

	cr_assert_not_null(e);
	ox_enqueue(e, items, 20);
	st = OX_WAIT(e, exported, 20, 3000);
	cr_expect_eq(st.enqueued, 20);
	cr_expect_eq(st.exported, 20);
	cr_expect_eq(st.requests, 4);
	cr_expect_eq(st.retries, 2);
	cr_expect_eq(st.failures, 2);
	cr_expect_eq(st.dropped_failed, 0);
	cr_expect_eq(st.dropped_full, 0);
	cr_expect_eq(st.queue_depth, 0);
	otlp_exporter_stop(e, 1000, NULL);

	cr_assert_eq(ox_server_wait(srv, 4, 0), 4, "each batch accepted once, no resend");
	/* The first batch is sent three times, byte for byte; the second once. */
	for (int i = 0; i < 3; i++)
		ox_expect_body(srv->reqs[i].body, srv->reqs[i].body_len, 0, items, 10, "batch 1");
	ox_expect_body(srv->reqs[3].body, srv->reqs[3].body_len, 0, items + 10, 10, "batch 2");
	cr_expect(strncmp(srv->reqs[0].head, "POST /v1/traces HTTP/1.1\r\n", 26) == 0);
	cr_expect_str_eq(ox_header(&srv->reqs[0], "Content-Type"), "application/x-protobuf");
	cr_expect_null(ox_header(&srv->reqs[0], "Content-Encoding"));
	cr_expect_null(ox_header(&srv->reqs[0], "Expect"));
	cr_expect_str_eq(ox_header(&srv->reqs[0], "User-Agent"), "zerotrace/" ZT_VERSION);
	ox_server_stop(srv);
	free(items);
}

Test(otlp_exporter, retry_after_seconds_is_waited)
{
	static const struct ox_reply script[] = { { 429, "Retry-After: 1\r\n" }, { 200, NULL } };
	struct ox_server *srv = ox_server_start(script, 2, 0);
	struct otlp_config c = ox_config(srv->port);
	struct otlp_item *items = ox_items(1);
	struct otlp_exporter *e;
	struct otlp_stats st;
	uint64_t gap;

	c.max_delay_ms = 0;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	ox_enqueue(e, items, 1);
	st = OX_WAIT(e, exported, 1, 3000);
	cr_expect_eq(st.exported, 1);
	cr_expect_eq(st.retries, 1);
	otlp_exporter_stop(e, 0, NULL);
	cr_assert_eq(ox_server_wait(srv, 2, 0), 2);
	gap = srv->reqs[1].at_ms - srv->reqs[0].at_ms;
	cr_expect(gap >= 990 && gap < 1500, "retried after %llu ms, want 1000",
		  (unsigned long long)gap);
	ox_server_stop(srv);
	free(items);
}

Test(otlp_exporter, unreachable_collector_drops_after_max_retry)
{
	struct otlp_config c = ox_config(ox_dead_port());
	struct otlp_item *items = ox_items(10);
	struct otlp_exporter *e;
	struct otlp_stats st;
	uint64_t t0 = ox_now_ms(), took;

	c.max_retry_ms = 300;
	c.max_batch = 5;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	ox_enqueue(e, items, 10);
	st = OX_WAIT(e, dropped_failed, 2, 3000);
	took = ox_now_ms() - t0;
	cr_expect_eq(st.dropped_failed, 2);
	cr_expect_eq(st.exported, 0);
	cr_expect_eq(st.enqueued, 10);
	cr_expect_eq(st.queue_depth, 0);
	cr_expect_geq(st.requests, 4, "each batch is tried more than once");
	cr_expect_eq(st.failures, st.requests);
	cr_expect_eq(st.retries, st.requests - 2);
	/* Two batches one after the other, each given up within 300 ms. */
	cr_expect_lt(took, 1000, "took %llu ms", (unsigned long long)took);
	otlp_exporter_stop(e, 0, NULL);
	free(items);
}

Test(otlp_exporter, permanent_errors_dropped_at_once)
{
	static const struct ox_reply script[] = {
		{ 400, "Retry-After: 5\r\n" }, { 500, NULL }, { 200, NULL },
	};
	struct ox_server *srv = ox_server_start(script, 3, 0);
	struct otlp_config c = ox_config(srv->port);
	struct otlp_item *items = ox_items(15);
	struct otlp_exporter *e;
	struct otlp_stats st;

	c.max_batch = 5;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	ox_enqueue(e, items, 5);
	st = OX_WAIT(e, dropped_failed, 1, 2000);
	cr_expect_eq(st.dropped_failed, 1);
	ox_enqueue(e, items + 5, 5);
	st = OX_WAIT(e, dropped_failed, 2, 2000);
	cr_expect_eq(st.dropped_failed, 2);
	ox_enqueue(e, items + 10, 5);
	st = OX_WAIT(e, exported, 5, 2000);
	cr_expect_eq(st.exported, 5);
	cr_expect_eq(st.requests, 3);
	cr_expect_eq(st.retries, 0);
	cr_expect_eq(st.failures, 2);
	otlp_exporter_stop(e, 500, NULL);
	cr_expect_eq(ox_server_wait(srv, 3, 0), 3);
	ox_expect_body(srv->reqs[2].body, srv->reqs[2].body_len, 0, items + 10, 5, "third");
	ox_server_stop(srv);
	free(items);
}

Test(otlp_exporter, gzip_body_inflates_to_the_encoding)
{
	struct ox_server *srv = ox_server_start(NULL, 0, 0);
	struct otlp_config c = ox_config(srv->port);
	struct otlp_item *items = ox_items(7);
	struct otlp_exporter *e;
	struct otlp_stats st;
	uint8_t *plain;
	size_t plain_len;

	c.gzip = 1;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	ox_enqueue(e, items, 7);
	st = OX_WAIT(e, exported, 7, 2000);
	cr_expect_eq(st.exported, 7);
	cr_expect_eq(st.requests, 1);
	otlp_exporter_stop(e, 500, NULL);
	cr_assert_eq(ox_server_wait(srv, 1, 0), 1);
	cr_expect_str_eq(ox_header(&srv->reqs[0], "Content-Encoding"), "gzip");
	cr_expect_str_eq(ox_header(&srv->reqs[0], "Content-Type"), "application/x-protobuf");
	cr_assert_gt(srv->reqs[0].body_len, 2);
	cr_expect(srv->reqs[0].body[0] == 0x1f && srv->reqs[0].body[1] == 0x8b, "gzip magic");
	plain = ox_gunzip(srv->reqs[0].body, srv->reqs[0].body_len, &plain_len);
	ox_expect_body(plain, plain_len, 0, items, 7, "inflated");
	free(plain);
	ox_server_stop(srv);
	free(items);
}

Test(otlp_exporter, json_protocol_body_and_type)
{
	struct ox_server *srv = ox_server_start(NULL, 0, 0);
	struct otlp_config c = ox_config(srv->port);
	struct otlp_item *items = ox_items(3);
	struct otlp_exporter *e;

	c.protocol = OTLP_HTTP_JSON;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	ox_enqueue(e, items, 3);
	cr_expect_eq(OX_WAIT(e, exported, 3, 2000).exported, 3);
	otlp_exporter_stop(e, 500, NULL);
	cr_assert_eq(ox_server_wait(srv, 1, 0), 1);
	cr_expect_str_eq(ox_header(&srv->reqs[0], "Content-Type"), "application/json");
	ox_expect_body(srv->reqs[0].body, srv->reqs[0].body_len, 1, items, 3, "json");
	ox_server_stop(srv);
	free(items);
}

Test(otlp_exporter, custom_headers_arrive)
{
	struct ox_server *srv = ox_server_start(NULL, 0, 0);
	struct otlp_config c = ox_config(srv->port);
	struct otlp_item *items = ox_items(1);
	struct otlp_exporter *e;
	char err[OX_ERR_LEN];

	cr_assert_eq(otlp_parse_headers(&c, "Authorization=Bearer%20t0k%3D, X-Tenant = blue team ,"
					    "X-Empty=",
					err, sizeof(err)),
		     0, "%s", err);
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	ox_enqueue(e, items, 1);
	cr_expect_eq(OX_WAIT(e, exported, 1, 2000).exported, 1);
	otlp_exporter_stop(e, 500, NULL);
	cr_assert_eq(ox_server_wait(srv, 1, 0), 1);
	cr_expect_str_eq(ox_header(&srv->reqs[0], "Authorization"), "Bearer t0k=");
	cr_expect_str_eq(ox_header(&srv->reqs[0], "X-Tenant"), "blue team");
	cr_expect_str_eq(ox_header(&srv->reqs[0], "X-Empty"), "");
	ox_server_stop(srv);
	free(items);
}

Test(otlp_exporter, queue_overflow_counted_exactly)
{
	struct ox_server *srv = ox_server_start(NULL, 0, 1);
	struct otlp_config c = ox_config(srv->port);
	struct otlp_item *items = ox_items(11);
	struct otlp_exporter *e;
	struct otlp_stats st;

	c.queue_size = 4;
	c.max_batch = 1;
	c.max_delay_ms = 0;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	/* One span in flight, held by the server: the queue is empty again. */
	ox_enqueue(e, items, 1);
	cr_assert_eq(ox_server_wait(srv, 1, 2000), 1);
	ox_enqueue(e, items + 1, 10);
	otlp_exporter_get_stats(e, &st);
	cr_expect_eq(st.enqueued, 5);
	cr_expect_eq(st.dropped_full, 6);
	cr_expect_eq(st.queue_depth, 4);
	cr_expect_eq(st.exported, 0);

	ox_server_release(srv);
	st = OX_WAIT(e, exported, 5, 2000);
	cr_expect_eq(st.exported, 5);
	cr_expect_eq(st.requests, 5);
	cr_expect_eq(st.dropped_full, 6);
	cr_expect_eq(st.queue_depth, 0);
	otlp_exporter_stop(e, 500, NULL);
	cr_expect_eq(ox_server_wait(srv, 5, 0), 5);
	for (int i = 0; i < 5; i++)
		ox_expect_body(srv->reqs[i].body, srv->reqs[i].body_len, 0, items + i, 1, "kept");
	ox_server_stop(srv);
	free(items);
}

Test(otlp_exporter, stop_sends_what_is_queued)
{
	struct ox_server *srv = ox_server_start(NULL, 0, 0);
	struct otlp_config c = ox_config(srv->port);
	struct otlp_item *items = ox_items(3);
	struct otlp_exporter *e;
	uint64_t t0;

	c.max_delay_ms = 60000; /* only the stop makes it send */
	c.max_batch = 100;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	ox_enqueue(e, items, 3);
	ox_sleep_ms(50);
	cr_expect_eq(ox_server_wait(srv, 1, 0), 0, "sent before max_delay");
	t0 = ox_now_ms();
	otlp_exporter_stop(e, 2000, NULL);
	cr_expect_lt(ox_now_ms() - t0, 1000);
	cr_assert_eq(ox_server_wait(srv, 1, 0), 1);
	ox_expect_body(srv->reqs[0].body, srv->reqs[0].body_len, 0, items, 3, "drained");
	ox_server_stop(srv);
	free(items);
}

Test(otlp_exporter, stop_is_bounded_by_drain_on_a_hung_collector)
{
	struct ox_server *srv = ox_server_start(NULL, 0, 1);
	struct otlp_config c = ox_config(srv->port);
	struct otlp_item *items = ox_items(2);
	struct otlp_exporter *e;
	uint64_t t0, took;

	c.timeout_ms = 10000;
	c.max_retry_ms = 60000;
	c.max_delay_ms = 0;
	c.max_batch = 1;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	ox_enqueue(e, items, 2); /* one in flight, one queued */
	cr_assert_eq(ox_server_wait(srv, 1, 2000), 1);
	t0 = ox_now_ms();
	otlp_exporter_stop(e, 200, NULL);
	took = ox_now_ms() - t0;
	cr_expect(took >= 190 && took < 400, "stop took %llu ms, drain 200",
		  (unsigned long long)took);
	ox_server_stop(srv);
	free(items);
}

Test(otlp_exporter, full_batch_goes_before_max_delay)
{
	struct ox_server *srv = ox_server_start(NULL, 0, 0);
	struct otlp_config c = ox_config(srv->port);
	struct otlp_item *items = ox_items(12);
	struct otlp_exporter *e;
	struct otlp_stats st;

	c.max_delay_ms = 60000;
	c.max_batch = 5;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	/* The thread is asleep until max_delay when the batch fills up. */
	ox_enqueue(e, items, 1);
	ox_sleep_ms(50);
	ox_enqueue(e, items + 1, 11);
	st = OX_WAIT(e, exported, 10, 1000);
	cr_expect_eq(st.exported, 10, "two full batches sent at once");
	cr_expect_eq(st.requests, 2);
	cr_expect_eq(st.queue_depth, 2, "the partial batch waits for max_delay");
	otlp_exporter_stop(e, 1000, NULL);
	cr_assert_eq(ox_server_wait(srv, 3, 0), 3);
	ox_expect_body(srv->reqs[1].body, srv->reqs[1].body_len, 0, items + 5, 5, "second");
	ox_expect_body(srv->reqs[2].body, srv->reqs[2].body_len, 0, items + 10, 2, "at stop");
	ox_server_stop(srv);
	free(items);
}

/* Items are reused last in first out while the ring of their numbers wraps:
 * over many rounds of a small queue each span still goes out once, in the
 * order it came, with its own content. */
Test(otlp_exporter, reused_items_keep_order_and_content)
{
	struct ox_server *srv = ox_server_start(NULL, 0, 0);
	struct otlp_config c = ox_config(srv->port);
	struct otlp_item *items = ox_items(15);
	struct otlp_exporter *e;
	struct otlp_stats st;

	c.queue_size = 4;
	c.max_batch = 1;
	c.max_delay_ms = 0;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	for (int round = 0; round < 5; round++) {
		ox_enqueue(e, items + 3 * round, 3);
		st = OX_WAIT(e, exported, (uint64_t)(3 * round + 3), 2000);
		cr_assert_eq(st.exported, (uint64_t)(3 * round + 3), "round %d", round);
	}
	otlp_exporter_stop(e, 500, NULL);
	cr_expect_eq(st.dropped_full, 0);
	cr_assert_eq(ox_server_wait(srv, 15, 0), 15);
	for (int i = 0; i < 15; i++)
		ox_expect_body(srv->reqs[i].body, srv->reqs[i].body_len, 0, items + i, 1, "in order");
	ox_server_stop(srv);
	free(items);
}

/* Gives span i an attribute whose length varies (0..299 bytes), so the
 * queue's encoded items differ in size. */
static void ox_vary(struct otlp_item *items, size_t n)
{
	char text[300];

	memset(text, 'v', sizeof(text));
	for (size_t i = 0; i < n; i++)
		span_attrs_str(&items[i].span.attrs, "test.pad", text, (i * 97) % sizeof(text));
}

/* The encoded size of item it in the queue (its span and resource). */
static size_t ox_item_bytes(const struct otlp_item *it)
{
	struct otlp_buf b = { 0 };
	uint32_t span_len, res_len;
	size_t n;

	cr_assert_eq(otlp_encode_item(&b, 0, &it->span, &it->resource, it->host_name, NULL, &span_len,
				      &res_len), 0);
	n = b.len;
	otlp_buf_free(&b);
	return n;
}

/* A queue whose bytes hold five spans of different sizes and that never
 * empties (one span always waits for the next batch): the items wrap
 * around its end again and again, leaving gaps there, and every span still
 * arrives once, in order, byte for byte. */
Test(otlp_exporter, queue_bytes_wrap_keep_order_and_content)
{
	struct ox_server *srv = ox_server_start(NULL, 0, 0);
	struct otlp_config c = ox_config(srv->port);
	struct otlp_item *items = ox_items(28);
	struct otlp_exporter *e;
	struct otlp_stats st;
	size_t biggest = 0;

	ox_vary(items, 28);
	for (int i = 0; i < 28; i++)
		if (ox_item_bytes(&items[i]) > biggest)
			biggest = ox_item_bytes(&items[i]);
	c.queue_size = 16;
	c.queue_bytes = (uint32_t)(5 * biggest);
	c.max_batch = 3;
	c.max_delay_ms = 60000;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	ox_enqueue(e, items, 1);
	for (int round = 0; round < 9; round++) {
		ox_enqueue(e, items + 1 + 3 * round, 3);
		st = OX_WAIT(e, exported, (uint64_t)(3 * round + 3), 2000);
		cr_assert_eq(st.exported, (uint64_t)(3 * round + 3), "round %d", round);
	}
	otlp_exporter_stop(e, 500, &st);
	cr_expect_eq(st.dropped_full, 0);
	cr_expect_eq(st.exported, 28);
	cr_assert_eq(ox_server_wait(srv, 10, 0), 10);
	for (int r = 0; r < 9; r++)
		ox_expect_body(srv->reqs[r].body, srv->reqs[r].body_len, 0, items + 3 * r, 3,
			       "a batch in order");
	ox_expect_body(srv->reqs[9].body, srv->reqs[9].body_len, 0, items + 27, 1, "the last");
	ox_server_stop(srv);
	free(items);
}

/* The queue's bytes fill before its count: the spans that do not fit are
 * dropped and counted, those queued before them sent. */
Test(otlp_exporter, queue_bytes_full_counted_exactly)
{
	struct ox_server *srv = ox_server_start(NULL, 0, 1);
	struct otlp_config c = ox_config(srv->port);
	struct otlp_item *items = ox_items(6);
	struct otlp_exporter *e;
	struct otlp_stats st;
	size_t one = ox_item_bytes(&items[1]);

	for (int i = 1; i < 6; i++)
		cr_assert_eq(ox_item_bytes(&items[i]), one, "same size");
	c.queue_size = 16;
	c.queue_bytes = (uint32_t)(2 * one + one / 2);
	c.max_batch = 1;
	c.max_delay_ms = 0;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	/* One span in flight, held by the server: its bytes are free again. */
	ox_enqueue(e, items, 1);
	cr_assert_eq(ox_server_wait(srv, 1, 2000), 1);
	ox_enqueue(e, items + 1, 5);
	otlp_exporter_get_stats(e, &st);
	cr_expect_eq(st.enqueued, 3);
	cr_expect_eq(st.dropped_full, 3);
	cr_expect_eq(st.queue_depth, 2);

	ox_server_release(srv);
	st = OX_WAIT(e, exported, 3, 2000);
	cr_expect_eq(st.exported, 3);
	otlp_exporter_stop(e, 500, NULL);
	cr_expect_eq(ox_server_wait(srv, 3, 0), 3);
	for (int i = 0; i < 3; i++)
		ox_expect_body(srv->reqs[i].body, srv->reqs[i].body_len, 0, items + i, 1, "kept");
	ox_server_stop(srv);
	free(items);
}

/* ---- Log lines (enqueue_log) next to spans ---- */

static void ox_logs_url(struct otlp_config *c, uint16_t port)
{
	snprintf(c->logs_url, sizeof(c->logs_url), "http://127.0.0.1:%u/v1/logs", port);
}

/* A line of pid 4242 with no procinfo, body_len bytes of `fill`. */
static struct log_record *ox_line(char fill, uint32_t body_len)
{
	struct log_record *r = calloc(1, sizeof(*r));

	cr_assert(r);
	r->time_unix_ns = 1700000000000000000ULL;
	r->stream = LOG_STREAM_STDOUT;
	r->pid = 4242;
	r->tid = 4243;
	r->fd = 1;
	strcpy(r->comm, "big");
	memset(r->body, fill, body_len);
	r->body_len = body_len;
	return r;
}

/* A batch of log lines is cut at OTLP_LOGS_REQUEST_MAX by the bound of
 * each, and goes at once (long before max_delay) when the queue holds that
 * many bytes: lines of 4 KiB of invalid UTF-8, 6 bytes each in JSON. */
Test(otlp_exporter, log_batches_bounded_in_bytes)
{
	struct ox_server *srv = ox_server_start(NULL, 0, 0);
	struct otlp_config c = ox_config(srv->port);
	struct log_record *r = ox_line('\xff', LOG_BODY_MAX);
	const char *host = procinfo_host_name();
	size_t one, per_batch, n;
	struct otlp_exporter *e;
	struct otlp_stats st, fin;

	c.url[0] = '\0';
	ox_logs_url(&c, srv->port);
	c.protocol = OTLP_HTTP_JSON;
	/* a batch of 512 by count: the bytes end it first */
	c.queue_size = c.max_batch = 512;
	c.logs_queue_size = 512 * OTLP_LOGS_BATCH_DIV;
	c.max_delay_ms = 60000;
	one = otlp_log_record_size_max(r, 1, host ? strlen(host) : 0);
	per_batch = (OTLP_LOGS_REQUEST_MAX - OTLP_LOGS_REQUEST_OVERHEAD) / one;
	n = per_batch + per_batch / 2;
	cr_assert(per_batch > 10 && per_batch < 512 && n < 1792, "%zu lines of %zu bytes a batch",
		  per_batch, one);
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(otlp_exporter_enqueue_log(e, r), 0);
	st = OX_WAIT(e, logs_exported, per_batch, 3000);
	cr_expect_eq(st.logs_exported, per_batch, "a batch as large as the bytes allow");
	cr_expect_eq(st.logs_queue_depth, n - per_batch, "the rest waits for max_delay");
	otlp_exporter_stop(e, 2000, &fin);
	cr_expect_eq(fin.logs_exported, n);
	cr_assert_eq(ox_server_wait(srv, 2, 0), 2);
	for (int i = 0; i < 2; i++) {
		cr_expect_leq(srv->reqs[i].body_len, OTLP_LOGS_REQUEST_MAX);
		cr_expect(strstr(srv->reqs[i].head, "POST /v1/logs ") == srv->reqs[i].head);
	}
	cr_expect_gt(srv->reqs[0].body_len, OTLP_LOGS_REQUEST_MAX * 3 / 4, "%zu",
		     srv->reqs[0].body_len);
	ox_server_stop(srv);
	free(r);
}

/* A burst of lines goes in batches of a quarter of the log queue, at once:
 * the rest of the queue takes what comes while one is sent. */
Test(otlp_exporter, log_batch_is_a_quarter_of_the_queue)
{
	struct ox_server *srv = ox_server_start(NULL, 0, 0);
	struct otlp_config c = ox_config(srv->port);
	struct log_record *r = ox_line('a', 40);
	struct otlp_exporter *e;
	struct otlp_stats st, fin;

	c.url[0] = '\0';
	ox_logs_url(&c, srv->port);
	c.max_batch = 512;
	c.logs_queue_size = 64;
	c.max_delay_ms = 60000;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	for (int i = 0; i < 20; i++)
		cr_assert_eq(otlp_exporter_enqueue_log(e, r), 0);
	st = OX_WAIT(e, logs_exported, 16, 3000);
	cr_expect_eq(st.logs_exported, 16);
	cr_expect_eq(st.logs_queue_depth, 4, "the rest waits for max_delay");
	otlp_exporter_stop(e, 2000, &fin);
	cr_expect_eq(fin.logs_exported, 20);
	cr_expect_eq(fin.logs_dropped_full, 0);
	ox_server_stop(srv);
	free(r);
}

/* A log batch goes first whenever one is due, but never twice in a row
 * while spans are due too: lines written without pause (the log queue
 * never empty) cannot starve spans. The server holds the first log
 * request until a span and more lines are due. */
Test(otlp_exporter, log_batches_alternate_with_due_spans)
{
	struct ox_server *srv = ox_server_start(NULL, 0, 1);
	struct otlp_config c = ox_config(srv->port);
	struct otlp_item *items = ox_items(1);
	struct log_record *r = ox_line('x', 64);
	struct otlp_exporter *e;
	struct otlp_stats st;

	ox_logs_url(&c, srv->port);
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	cr_assert_eq(otlp_exporter_enqueue_log(e, r), 0);
	cr_assert_eq(ox_server_wait(srv, 1, 2000), 1); /* held */
	ox_enqueue(e, items, 1);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(otlp_exporter_enqueue_log(e, r), 0);
	ox_sleep_ms(3 * c.max_delay_ms); /* both queues due */
	ox_server_release(srv);
	st = OX_WAIT(e, logs_exported, 4, 2000);
	cr_expect_eq(st.logs_exported, 4);
	cr_expect_eq(st.exported, 1);
	otlp_exporter_stop(e, 500, NULL);
	cr_assert_eq(ox_server_wait(srv, 3, 0), 3);
	cr_expect(strncmp(srv->reqs[0].head, "POST /v1/logs ", 14) == 0);
	cr_expect(strncmp(srv->reqs[1].head, "POST /v1/traces ", 16) == 0,
		  "spans after one log batch: %.20s", srv->reqs[1].head);
	cr_expect(strncmp(srv->reqs[2].head, "POST /v1/logs ", 14) == 0);
	ox_server_stop(srv);
	free(items);
	free(r);
}
