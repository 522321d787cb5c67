// SPDX-License-Identifier: MIT
/*
 * Fuzzes the whole user-space pipeline: ring-buffer records in, spans out.
 * One tracer per input (max_conns 64, so evictions happen), fed a sequence
 * of records cut from the input. Each step's first byte picks its kind:
 *   raw     - header and payload bytes taken as they are (any size, any
 *             cap_len): the record validation must hold;
 *   data    - a well-formed DATA record whose fields come from a few input
 *             bytes and whose payload is input bytes or a slice of a known
 *             HTTP/1.x message (random bytes rarely spell one);
 *   close, connect/accept, tick - the other events and the periodic work;
 *   log     - a --logs write (fzt_check_log checks each record).
 * Every record is malloc'd to its exact size, so ASan sees any read past it.
 *
 * Checks, per span: kind is SERVER or CLIENT, end >= start, strings are
 * terminated inside their arrays, the attribute list is well formed (within
 * its bounds, no overflow) and holds the HTTP attributes in their order with
 * the endpoints', a status code is 100..999 or absent and agrees with the
 * code, the span status and its message, and the metric labels, the name
 * is "{method} {route}", the peer is the client (SERVER) or the server
 * (CLIENT), ids are non-zero, the JSON line fits the daemon's 16 KiB line
 * and the pretty line holds no control byte. Per record: conns tracked <= max_conns, spans counted ==
 * spans delivered, every record counted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "events.h"
#include "fuzz_check.h"
#include "json.h"
#include "span_format.h"
#include "tracer.h"
#include "../unit/span_attrs_check.h"

#define FZT_MAX_CONNS 64
#define FZT_CONN_IDS 80 /* more ids than slots: the table fills and evicts */
#define FZT_PID 4194304u /* PID_MAX_LIMIT: no such process, no /proc hits */
#define FZT_TS_MASK ((1ULL << 62) - 1)

/* Messages and fragments the parser must handle; slices of them too. */
static const char *const fzt_snippets[] = {
	"GET /a?token=s HTTP/1.1\r\nHost: x\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	"POST /items/42 HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789",
	"POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n",
	"HTTP/1.0 200 OK\r\n\r\nbody until close",
	"HTTP/1.1 204 No Content\r\n\r\n",
	"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
	"HEAD /h HTTP/1.1\r\n\r\n",
	"HTTP/1.1 100 Continue\r\n\r\n",
	"PUT /u HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
	"CONNECT example.test:443 HTTP/1.1\r\n\r\n",
	"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
	"GET http://h:8080/p/3f2504e0-4f89-11d3-9a0c-0305e82c3301?password=p#f HTTP/1.1\r\n\r\n",
	"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 404 NF\r\nContent-Length: 1\r\n\r\nx",
	"HTTP/1.1 500 E\r\nContent-Length: 1, 1\r\nConnection: close\r\n\r\n!",
	"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Length: 13\r\n\r\n",
	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
	"\r\n\r\n",
	"0\r\n\r\n",
	"GET /\x1b[2J\"\\\xff\xc3\xa9 HTTP/1.1\r\n\r\n",
};

#define FZT_N_SNIPPETS (sizeof(fzt_snippets) / sizeof(fzt_snippets[0]))

struct fzt_input {
	const uint8_t *p;
	size_t n;
};

static uint8_t fzt_u8(struct fzt_input *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = in->p[0];
		in->p++;
		in->n--;
	}
	return v;
}

static uint16_t fzt_u16(struct fzt_input *in)
{
	uint16_t lo = fzt_u8(in);

	return (uint16_t)(lo | (uint16_t)fzt_u8(in) << 8);
}

/* Up to want bytes of input, fewer at its end. */
static size_t fzt_take(struct fzt_input *in, uint8_t *out, size_t want)
{
	size_t n = want < in->n ? want : in->n;

	memcpy(out, in->p, n);
	in->p += n;
	in->n -= n;
	return n;
}

struct fzt_state {
	struct tracer *t;
	uint64_t events;
	uint64_t spans_seen;
	uint64_t logs_seen;
	uint64_t now;
	uint64_t max_ts; /* newest timestamp any record carried */
};

static int fzt_terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static int fzt_nonzero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 1;
	return 0;
}

static int fzt_same_endpoint(const struct span_endpoint *a, const struct span_endpoint *b)
{
	return a->port == b->port && strcmp(a->address, b->address) == 0;
}

/* The attribute list: within its bounds, every string inside the text. */
static void fzt_check_attrs(const struct span_attrs *l)
{
	CHECK(l->n <= SPAN_ATTRS_MAX);
	CHECK(l->text_len <= SPAN_TEXT_MAX);
	for (uint16_t i = 0; i < l->n; i++) {
		const struct span_attr *a = &l->a[i];

		CHECK(a->key && a->key[0]);
		CHECK(a->type == SPAN_ATTR_STR || a->type == SPAN_ATTR_INT);
		if (a->type == SPAN_ATTR_STR)
			CHECK((uint32_t)a->off + a->len <= l->text_len);
	}
}

/* The string attribute key is the endpoint's address, the int key the
 * port. */
static void fzt_check_ep_attrs(const struct span_attrs *l, const char *addr_key,
			       const char *port_key, const struct span_endpoint *ep)
{
	int64_t v;

	CHECK(strcmp(sa_str(l, addr_key), ep->address) == 0);
	CHECK(sa_int(l, port_key, &v) && v == ep->port);
}

/* The HTTP attributes, in the module's order, the endpoints' where the
 * tracer puts them. */
static const char *const fzt_http_keys[] = {
	"http.request.method", "url.path", "url.query", "http.response.status_code",
	"server.address", "server.port", "client.address", "client.port",
	"network.peer.address", "network.peer.port", "network.protocol.version",
	"http.request.body.size", "http.response.body.size", "url.scheme",
	/* the connection's, after the module's own: only when TLS */
	"tls.protocol.name", "tls.protocol.version",
};
#define FZT_HTTP_KEYS (sizeof(fzt_http_keys) / sizeof(fzt_http_keys[0]))

static void fzt_check_http(const struct span *s)
{
	const struct span_attrs *l = &s->attrs;
	const char *method, *route;
	char code[8] = "", name[SPAN_NAME_MAX + 8];
	size_t k = 0, n;
	int64_t v;

	/* each key once at most, in order; url.query and the status code may
	 * be absent, nothing else */
	for (uint16_t i = 0; i < l->n; i++) {
		while (k < FZT_HTTP_KEYS && strcmp(l->a[i].key, fzt_http_keys[k]) != 0) {
			CHECK(k == 2 || k == 3);
			k++;
		}
		CHECK(k < FZT_HTTP_KEYS);
		k++;
	}
	/* tls.* only on a TLS connection (the version when known), then https */
	CHECK(k >= FZT_HTTP_KEYS - 2);
	CHECK(strcmp(sa_str(l, "url.scheme"), k >= FZT_HTTP_KEYS - 1 ? "https" : "http") == 0);
	CHECK(sa_find(l, "http.request.method")->type == SPAN_ATTR_STR);
	CHECK(sa_find(l, "url.path")->type == SPAN_ATTR_STR);
	/* the query is split off the path */
	CHECK(!memchr(span_attr_str(l, sa_find(l, "url.path"), &n), '?', n));
	CHECK(!sa_find(l, "url.query") || sa_find(l, "url.query")->type == SPAN_ATTR_STR);
	CHECK(strcmp(sa_str(l, "network.protocol.version"), "1.1") == 0 ||
		  strcmp(sa_str(l, "network.protocol.version"), "1.0") == 0);
	CHECK(sa_int(l, "http.request.body.size", &v) && v >= 0 &&
		  (uint64_t)v == (s->req_size > INT64_MAX ? INT64_MAX : s->req_size));
	CHECK(sa_int(l, "http.response.body.size", &v) && v >= 0 &&
		  (uint64_t)v == (s->resp_size > INT64_MAX ? INT64_MAX : s->resp_size));
	fzt_check_ep_attrs(l, "server.address", "server.port", &s->server);
	fzt_check_ep_attrs(l, "client.address", "client.port", &s->client);
	fzt_check_ep_attrs(l, "network.peer.address", "network.peer.port", &s->peer);

	/* a response whose status line was never captured has no status code */
	if (sa_int(l, "http.response.status_code", &v)) {
		CHECK(v >= 100 && v <= 999);
		snprintf(code, sizeof(code), "%u", (unsigned)v);
		CHECK(s->status == (v >= 500 || (v >= 400 && s->kind == SPAN_KIND_CLIENT) ?
					SPAN_STATUS_ERROR : SPAN_STATUS_UNSET));
	} else {
		CHECK(s->status == SPAN_STATUS_ERROR);
	}
	CHECK(strcmp(s->code, code) == 0);
	if (s->status == SPAN_STATUS_ERROR)
		CHECK(s->status_message[0]);
	else
		CHECK(!s->status_message[0]);

	/* the metric: the span's own family, its method, route and code */
	CHECK(s->metric.family == (s->kind == SPAN_KIND_SERVER ? METRIC_HTTP_SERVER :
								      METRIC_HTTP_CLIENT));
	method = span_metric_label(&s->metric, 0);
	route = span_metric_label(&s->metric, 1);
	CHECK(strcmp(method, sa_str(l, "http.request.method")) == 0);
	CHECK(strcmp(span_metric_label(&s->metric, 2), code) == 0);
	snprintf(name, sizeof(name), "%s %s", method, route);
	CHECK(strcmp(s->name, name) == 0);
}

static void fzt_check_span(void *ctx, const struct span *s)
{
	static char line[SPAN_JSONL_MAX];
	char pretty[2048];
	struct fzt_state *st = ctx;
	struct json_buf b;

	st->spans_seen++;
	CHECK(s->kind == SPAN_KIND_SERVER || s->kind == SPAN_KIND_CLIENT);
	CHECK(s->end_unix_ns >= s->start_unix_ns);
	CHECK(s->pid == FZT_PID || s->pid == FZT_PID + 1);
	CHECK(fzt_nonzero(s->trace_id, sizeof(s->trace_id)));
	CHECK(fzt_nonzero(s->span_id, sizeof(s->span_id)));
	/* stitching may give a parent; it is a real id, never the span's own */
	CHECK(!s->has_parent || (fzt_nonzero(s->parent_span_id, sizeof(s->parent_span_id)) &&
				     memcmp(s->parent_span_id, s->span_id, sizeof(s->span_id))));
	CHECK(fzt_terminated(s->name, sizeof(s->name)));
	CHECK(fzt_terminated(s->code, sizeof(s->code)));
	CHECK(fzt_terminated(s->status_message, sizeof(s->status_message)));
	CHECK(fzt_terminated(s->tracestate, sizeof(s->tracestate)));
	CHECK(fzt_terminated(s->comm, sizeof(s->comm)));
	CHECK(fzt_terminated(s->exe_name, sizeof(s->exe_name)));
	CHECK(fzt_terminated(s->service_name, sizeof(s->service_name)));
	CHECK(fzt_terminated(s->server.address, sizeof(s->server.address)));
	CHECK(fzt_terminated(s->client.address, sizeof(s->client.address)));
	CHECK(fzt_terminated(s->peer.address, sizeof(s->peer.address)));
	fzt_check_attrs(&s->attrs);
	CHECK(!s->attrs.overflow);
	/* HTTP/2 (an h2c upgrade, or a preface) has its own order of
	 * attributes, and fuzz_http2 its own checks: here only the head */
	if ((s->metric.family == METRIC_HTTP_SERVER || s->metric.family == METRIC_HTTP_CLIENT) &&
	    !strcmp(sa_str(&s->attrs, "network.protocol.version"), "2")) {
		CHECK(sa_find(&s->attrs, "http.request.method"));
		CHECK(sa_find(&s->attrs, "url.scheme"));
	} else if (s->metric.family == METRIC_HTTP_SERVER || s->metric.family == METRIC_HTTP_CLIENT) {
		fzt_check_http(s);
	}
	if (s->kind == SPAN_KIND_SERVER)
		CHECK(fzt_same_endpoint(&s->peer, &s->client));
	else
		CHECK(fzt_same_endpoint(&s->peer, &s->server));

	json_buf_init(&b, line, sizeof(line));
	span_format_jsonl(&b, s, NULL, NULL, NULL);
	CHECK(!b.overflow);
	CHECK(b.len == strlen(line));
	CHECK(line[0] == '{' && line[b.len - 1] == '}');

	span_format_pretty(pretty, sizeof(pretty), s);
	for (const char *p = pretty; *p; p++)
		CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
}

/* Hands one record of exactly `size` bytes to the tracer, then checks the
 * tracer-wide invariants. */
static void fzt_deliver(struct fzt_state *st, const void *rec, size_t size)
{
	void *copy = malloc(size ? size : 1);
	struct tracer_stats ts;

	CHECK(copy);
	memcpy(copy, rec, size);
	if (size >= sizeof(struct zt_event)) {
		const struct zt_event *e = rec;

		if (e->ts_exit_ns > st->max_ts)
			st->max_ts = e->ts_exit_ns;
	}
	CHECK(tracer_handle_event(st->t, copy, size) == 0);
	free(copy);
	st->events++;
	tracer_get_stats(st->t, &ts);
	CHECK(ts.events == st->events);
	CHECK(ts.spans == st->spans_seen);
	CHECK(ts.bad_events <= ts.events);
	CHECK(tracer_conns_tracked(st->t) <= FZT_MAX_CONNS);
}

union fzt_record {
	struct zt_event e;
	uint8_t bytes[sizeof(struct zt_event) + ZT_CAPTURE_MAX + 64];
};

static void fzt_tuple(struct zt_conn_tuple *t, uint8_t sel)
{
	static const uint8_t a4[] = { 10, 0, 0, 1 }, b4[] = { 10, 0, 0, 2 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	memset(t, 0, sizeof(*t));
	switch (sel % 4) {
	case 0: /* no tuple known */
		return;
	case 1:
		t->family = AF_INET;
		memcpy(t->local_addr, a4, 4);
		memcpy(t->remote_addr, b4, 4);
		break;
	case 2:
		t->family = AF_INET6;
		t->local_addr[15] = 1;
		t->remote_addr[0] = 0x20;
		t->remote_addr[1] = 0x01;
		t->remote_addr[15] = 2;
		break;
	default:
		t->family = AF_INET6;
		memcpy(t->local_addr, mapped, 12);
		memcpy(t->local_addr + 12, a4, 4);
		memcpy(t->remote_addr, mapped, 12);
		memcpy(t->remote_addr + 12, b4, 4);
		break;
	}
	/* a few ports, so listen-port resolution both hits and misses */
	t->local_port = (uint16_t)((sel >> 2) & 1 ? 8080 : 40000 + (sel >> 3));
	t->remote_port = (uint16_t)((sel >> 2) & 1 ? 50000 : 8080);
}

/* Header fields shared by the structured kinds. */
static void fzt_header(struct fzt_state *st, struct fzt_input *in, union fzt_record *r)
{
	uint8_t sel = fzt_u8(in), step = fzt_u8(in);

	memset(&r->e, 0, sizeof(r->e));
	r->e.conn_id = 1 + sel % FZT_CONN_IDS;
	/* time mostly moves forward; sometimes it stalls or jumps back a bit,
	 * as records from different CPUs do */
	if (step == 0xff && st->now > 5000)
		st->now -= 5000;
	else
		st->now += (uint64_t)step * 1000;
	r->e.ts_enter_ns = st->now;
	r->e.ts_exit_ns = st->now + (fzt_u8(in) & 0x3f);
	r->e.pid = FZT_PID + (fzt_u8(in) == 0xee);
	r->e.tid = 1 + fzt_u8(in) % 8;
	r->e.fd = 3;
	memcpy(r->e.comm, "fzsrv", 6);
	fzt_tuple(&r->e.tuple, fzt_u8(in));
}

static void fzt_step_raw(struct fzt_state *st, struct fzt_input *in)
{
	static union fzt_record r;
	size_t want = fzt_u16(in) % sizeof(r.bytes);
	size_t n = fzt_take(in, r.bytes, want);

	if (n >= sizeof(r.e)) {
		/* keep timestamps and pids in a range where the span checks
		 * hold; everything else is as the input says */
		r.e.ts_enter_ns &= FZT_TS_MASK;
		r.e.ts_exit_ns &= FZT_TS_MASK;
		r.e.pid = FZT_PID + (r.e.pid & 1);
	}
	fzt_deliver(st, r.bytes, n);
}

static void fzt_step_data(struct fzt_state *st, struct fzt_input *in)
{
	static union fzt_record r;
	uint8_t how, role, extra;
	size_t cap = 0;

	fzt_header(st, in, &r);
	how = fzt_u8(in);
	role = fzt_u8(in);
	extra = fzt_u8(in);
	r.e.type = ZT_EV_DATA;
	/* mostly the protocol the kernel would name, sometimes none or junk */
	r.e.proto = extra % 8 ? ZT_PROTO_HTTP1 : extra >> 3;
	r.e.role = role % 3;
	r.e.dir = role >> 7;
	r.e.syscall = r.e.dir == ZT_DIR_INGRESS ? ZT_SYS_READ : ZT_SYS_WRITE;
	/* a TLS call's plaintext, turning the connection TLS if it was not */
	if (role & 0x40) {
		r.e.syscall = r.e.dir == ZT_DIR_INGRESS ? ZT_SYS_TLS_READ : ZT_SYS_TLS_WRITE;
		r.e.flags = ZT_F_TLS;
	}

	if ((how & 3) == 0) {
		/* continuation: no payload, maybe a tail */
		r.e.flags |= ZT_F_CONTINUATION;
		r.e.tail_len = (uint8_t)fzt_take(in, r.e.tail, (how >> 2) % (ZT_TAIL_LEN + 1));
	} else if ((how & 3) == 1) {
		cap = fzt_take(in, r.bytes + sizeof(r.e), fzt_u16(in) % (ZT_CAPTURE_MAX + 1));
	} else {
		/* a slice of a known message, whole more often than not */
		const char *m = fzt_snippets[fzt_u8(in) % FZT_N_SNIPPETS];
		size_t len = strlen(m), from = 0, to = len;

		if ((how & 3) == 3) {
			from = fzt_u8(in) % (len + 1);
			to = from + fzt_u8(in) % (len - from + 1);
		}
		cap = to - from;
		memcpy(r.bytes + sizeof(r.e), m + from, cap);
	}
	r.e.cap_len = (uint32_t)cap;
	/* the syscall may have moved more than was captured */
	r.e.bytes = (int64_t)cap;
	if (extra & 0x80)
		r.e.bytes += (int64_t)(extra & 0x7f) << ((extra & 0x40) ? 12 : 0);
	if (r.e.bytes > (int64_t)cap)
		r.e.flags |= r.e.flags & ZT_F_CONTINUATION ? 0 : ZT_F_TRUNCATED;
	fzt_deliver(st, r.bytes, sizeof(r.e) + cap + (how >> 6));
}

static void fzt_step_close(struct fzt_state *st, struct fzt_input *in)
{
	union fzt_record r;
	uint8_t how;

	fzt_header(st, in, &r);
	how = fzt_u8(in);
	r.e.type = ZT_EV_CLOSE;
	r.e.syscall = how & 1 ? ZT_SYS_STATE : ZT_SYS_CLOSE;
	fzt_deliver(st, &r.e, sizeof(r.e));
}

static void fzt_step_open(struct fzt_state *st, struct fzt_input *in)
{
	static const int64_t rets[] = { 0, 4, -115, -111, -1, INT64_MIN };
	union fzt_record r;
	uint8_t how;

	fzt_header(st, in, &r);
	how = fzt_u8(in);
	r.e.type = how & 1 ? ZT_EV_ACCEPT : ZT_EV_CONNECT;
	r.e.role = how & 1 ? ZT_ROLE_SERVER : ZT_ROLE_CLIENT;
	if (how & 2)
		r.e.role = ZT_ROLE_UNKNOWN;
	r.e.bytes = rets[(how >> 2) % (sizeof(rets) / sizeof(rets[0]))];
	fzt_deliver(st, &r.e, sizeof(r.e));
}

/* --logs: a record is one line (no '\n' kept), bounded, with a known
 * severity and stream; a linked one names non-zero ids. */
static void fzt_check_log(void *ctx, struct log_record *r)
{
	static const uint8_t severities[] = { 0, 1, 5, 9, 10, 13, 17, 21 };
	struct fzt_state *st = ctx;
	int known = 0;

	st->logs_seen++;
	CHECK(r->body_len < sizeof(r->body));
	CHECK(!memchr(r->body, '\n', r->body_len));
	for (size_t i = 0; i < sizeof(severities); i++)
		known |= severities[i] == r->severity_number;
	CHECK(known);
	CHECK(fzt_terminated(r->severity_text, sizeof(r->severity_text)));
	CHECK(r->stream >= LOG_STREAM_STDOUT && r->stream <= LOG_STREAM_FILE);
	CHECK(r->has_trace ? fzt_nonzero(r->trace_id, 16) && fzt_nonzero(r->span_id, 8) :
			     !fzt_nonzero(r->trace_id, 16) && !fzt_nonzero(r->span_id, 8));
	CHECK(r->pid >= FZT_PID && r->pid <= FZT_PID + 1);
}

/* A ZT_EV_LOG record from a thread that may be serving a request: input
 * bytes or a line, copied whole or cut with a tail. */
static void fzt_step_log(struct fzt_state *st, struct fzt_input *in)
{
	static union fzt_record r;
	uint8_t how, body[ZT_CAPTURE_MAX];
	size_t n;

	fzt_header(st, in, &r);
	how = fzt_u8(in);
	r.e.type = ZT_EV_LOG;
	r.e.syscall = ZT_SYS_WRITE;
	r.e.conn_id = 0;
	memset(&r.e.tuple, 0, sizeof(r.e.tuple));
	r.e.task = r.e.tid;
	r.e.fd = (int32_t)(how & 7);
	n = fzt_take(in, body, fzt_u8(in));
	if (how & 8 && n < sizeof(body))
		body[n++] = '\n';
	r.e.bytes = (int64_t)n;
	r.e.cap_len = (uint32_t)n;
	if (how & 0x10 && n > ZT_TAIL_LEN) {
		r.e.cap_len = (uint32_t)(n - ZT_TAIL_LEN);
		r.e.bytes = (int64_t)n + (how >> 5);
		r.e.flags = ZT_F_TRUNCATED;
		r.e.tail_len = ZT_TAIL_LEN;
		memcpy(r.e.tail, body + n - ZT_TAIL_LEN, ZT_TAIL_LEN);
	}
	memcpy(r.bytes + sizeof(r.e), body, r.e.cap_len);
	fzt_deliver(st, r.bytes, sizeof(r.e) + r.e.cap_len);
}

static void fzt_step_tick(struct fzt_state *st, struct fzt_input *in)
{
	uint8_t how = fzt_u8(in);
	int64_t offset = (int64_t)fzt_u16(in) * 1000000000000LL;

	/* mostly short steps; sometimes past the idle timeout (300 s) */
	st->now += how & 0x80 ? (uint64_t)(how & 0x7f) * 10000000000ULL : (uint64_t)how * 1000;
	st->now &= FZT_TS_MASK;
	if (how & 1)
		tracer_add_listen_port(st->t, how & 2 ? 8080 : 50000);
	tracer_tick(st->t, st->now, offset);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fzt_input in = { data, size };
	struct fzt_state st = { 0 };
	struct zt_config cfg;
	struct tracer_stats ts;

	config_defaults(&cfg);
	cfg.max_conns = FZT_MAX_CONNS;
	cfg.logs = 1;
	st.t = tracer_new(&cfg, fzt_check_span, &st);
	CHECK(st.t);
	tracer_set_log_sink(st.t, fzt_check_log, &st);
	st.now = 1000000000;
	tracer_tick(st.t, st.now, 1700000000000000000LL);

	while (in.n) {
		switch (fzt_u8(&in) % 9) {
		case 0:
			fzt_step_raw(&st, &in);
			break;
		case 8:
			fzt_step_log(&st, &in);
			break;
		case 1:
		case 2:
		case 3:
		case 4:
			fzt_step_data(&st, &in);
			break;
		case 5:
			fzt_step_close(&st, &in);
			break;
		case 6:
			fzt_step_open(&st, &in);
			break;
		default:
			fzt_step_tick(&st, &in);
			break;
		}
	}
	/* everything still open is reported by a sweep past every timeout */
	if (st.now > st.max_ts)
		st.max_ts = st.now;
	tracer_tick(st.t, st.max_ts + 400000000000ULL, 0);
	CHECK(tracer_conns_tracked(st.t) == 0);
	tracer_get_stats(st.t, &ts);
	CHECK(ts.spans == st.spans_seen);
	CHECK(ts.logs[TRACER_LOG_LINKED] + ts.logs[TRACER_LOG_NO_REQUEST] +
		      ts.logs[TRACER_LOG_AMBIGUOUS] + ts.logs[TRACER_LOG_TOO_LONG] ==
	      st.logs_seen);
	tracer_free(st.t);
	return 0;
}
