// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1's Upgrade: h2c (RFC 7540 §3.2): the 101 head the kernel looks
 * for (http1_h2c_head_len), the record's bytes after it (record_chunk_skip_head),
 * the request HTTP/1.1 hands over for HTTP/2's stream 1 (hand_off, adopt),
 * and the tracer doing all of it on one connection.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "events.h"
#include "http1_wire.h"
#include "proto.h"
#include "record_chunk.h"
#include "span_attrs_check.h"
#include "test_stream.h"
#include "tracer.h"
#include "walk_sim.h"

/* nghttpx's answer to an upgrade, as it writes it */
#define H2C_HEAD "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
#define H2C_HEAD_LEN 71u
#define H2C_TP "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
#define H2C_GET                                                                          \
	"GET /f3 HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nConnection: Upgrade, HTTP2-Settings\r\n" \
	"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\ntraceparent: " H2C_TP "\r\n\r\n"

static __u32 h2c_len(const char *s, size_t n)
{
	return http1_h2c_head_len((const __u8 *)s, (__u32)n);
}

#define H2C_LEN(lit) h2c_len((lit), sizeof(lit) - 1)

/* ---- the 101 head ------------------------------------------------------- */

Test(h2c_head, nghttpx_head_and_the_token_forms)
{
	/* the head and the 9-byte header of the SETTINGS frame in the same write */
	static const char settings[9] = { 0, 0, 12, 4, 0, 0, 0, 0, 0 };
	char buf[128] = { 0 };

	cr_assert_eq(sizeof(H2C_HEAD) - 1, H2C_HEAD_LEN);
	memcpy(buf, H2C_HEAD, H2C_HEAD_LEN);
	memcpy(buf + H2C_HEAD_LEN, settings, sizeof(settings));
	cr_expect_eq(h2c_len(buf, H2C_HEAD_LEN + 9), H2C_HEAD_LEN);
	cr_expect_eq(h2c_len(buf, H2C_HEAD_LEN), H2C_HEAD_LEN, "the head alone");
	/* the header's NUL bytes are past the head: never looked at as text */
	cr_expect_eq(h2c_len(buf, sizeof(buf)), H2C_HEAD_LEN);
	/* the token in any case, after a space, a colon or a comma */
	cr_expect_eq(H2C_LEN("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
			     "Upgrade: H2C\r\n\r\n"), H2C_HEAD_LEN);
	cr_expect_eq(H2C_LEN("HTTP/1.1 101 Switching Protocols\r\nUpgrade:h2c\r\n\r\n"), 49);
	cr_expect_eq(H2C_LEN("HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo,h2c\r\n\r\n"), 54);
}

Test(h2c_head, other_heads_are_none)
{
	/* RFC 6455's example: the Accept value ends in '=' */
	cr_expect_eq(H2C_LEN("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			     "Connection: Upgrade\r\n"
			     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"), 0);
	cr_expect_eq(H2C_LEN("HTTP/1.1 200 OK\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"), 0);
	cr_expect_eq(H2C_LEN("HTTP/1.0 101 Switching Protocols\r\nConnection: Upgrade\r\n"
			     "Upgrade: h2c\r\n\r\n"), 0);
	cr_expect_eq(H2C_LEN("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
			     "Upgrade: xh2c\r\n\r\n"), 0);
	cr_expect_eq(H2C_LEN("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
			     "Upgrade: h2cx\r\n\r\n"), 0);
	/* the token must end the value */
	cr_expect_eq(H2C_LEN("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c, foo\r\n\r\n"), 0);
}

/* Every prefix of the head: its end is not in view, so no length. */
Test(h2c_head, a_head_cut_short_is_none)
{
	for (uint32_t n = 0; n < H2C_HEAD_LEN; n++)
		cr_expect_eq(h2c_len(H2C_HEAD, n), 0, "cut at %u", n);
	/* one '\r' short of the end, with bytes after that are not "\n" */
	cr_expect_eq(H2C_LEN("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\rX\n\r\n"), 0);
}

/* The head at most HTTP1_H2C_HEAD_MAX bytes, "\r\n\r\n" included. */
static __u32 h2c_padded(uint32_t head, uint32_t n)
{
	static const char pre[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nServer: ";
	char buf[512] = { 0 };
	uint32_t pad = head - (sizeof(pre) - 1) - 4;

	memcpy(buf, pre, sizeof(pre) - 1);
	memset(buf + sizeof(pre) - 1, 'x', pad);
	memcpy(buf + sizeof(pre) - 1 + pad, "\r\n\r\n", 4);
	return h2c_len(buf, n);
}

Test(h2c_head, only_the_first_256_bytes)
{
	cr_assert_eq(HTTP1_H2C_HEAD_MAX, 256);
	cr_expect_eq(h2c_padded(256, 256), 256);
	cr_expect_eq(h2c_padded(256, 400), 256, "bytes after the head do not matter");
	cr_expect_eq(h2c_padded(257, 257), 0);
	cr_expect_eq(h2c_padded(257, 400), 0);
	cr_expect_eq(h2c_padded(300, 400), 0);
}

/* ---- dropping the head from a record ------------------------------------ */

static uint8_t sk_bytes[64];

/* A framed chunk of 100 bytes: a head skipped in two iovecs (30 + 10),
 * a copied frame, three counted, then the rest of no frame. */
static struct proto_chunk sk_chunk(struct proto_seg in[5])
{
	in[0] = (struct proto_seg){ .off = 0, .len = 30 };
	in[1] = (struct proto_seg){ .off = 30, .len = 10 };
	in[2] = (struct proto_seg){ .off = 40, .len = 20, .data = sk_bytes, .cap = 20, .frames = 1 };
	in[3] = (struct proto_seg){ .off = 60, .len = 30, .frames = 3, .cls = 1 };
	in[4] = (struct proto_seg){ .off = 90, .len = 10, .data = sk_bytes + 20, .cap = 4 };
	return (struct proto_chunk){ .side = PROTO_SIDE_RESPONSE, .framed = 1, .total = 100,
				     .segs = in, .nsegs = 5 };
}

static void sk_expect(const struct proto_seg *s, uint64_t off, uint64_t len, const uint8_t *data,
		      uint32_t cap, uint32_t frames, uint8_t cls)
{
	cr_expect_eq(s->off, off);
	cr_expect_eq(s->len, len);
	cr_expect_eq(s->data, data, "data at %td, want %td", s->data - sk_bytes, data - sk_bytes);
	cr_expect_eq(s->cap, cap);
	cr_expect_eq(s->frames, frames);
	cr_expect_eq(s->cls, cls);
}

Test(h2c_skip, the_leading_rest_of_no_frame_goes)
{
	struct proto_seg in[5], out[5];
	struct proto_chunk ch = sk_chunk(in);

	cr_expect_eq(record_chunk_skip_head(&ch, out), 40);
	cr_assert_eq(ch.segs, out);
	cr_assert_eq(ch.nsegs, 3);
	cr_expect_eq(ch.total, 60);
	sk_expect(&out[0], 0, 20, sk_bytes, 20, 1, 0);
	sk_expect(&out[1], 20, 30, NULL, 0, 3, 1);
	sk_expect(&out[2], 50, 10, sk_bytes + 20, 4, 0, 0);
	/* in place (the tracer's segs are the chunk's) */
	ch = sk_chunk(in);
	cr_expect_eq(record_chunk_skip_head(&ch, in), 40);
	cr_assert_eq(ch.nsegs, 3);
	sk_expect(&in[0], 0, 20, sk_bytes, 20, 1, 0);
	/* a frame first: nothing to skip */
	ch = sk_chunk(in);
	ch.segs = in + 2;
	ch.nsegs = 3;
	cr_expect_eq(record_chunk_skip_head(&ch, in), 0);
	cr_expect_eq(ch.nsegs, 3);
	cr_expect_eq(ch.total, 100);
	/* a continuation window, or bytes not walked, begin no switch */
	ch = sk_chunk(in);
	ch.cont = 1;
	cr_expect_eq(record_chunk_skip_head(&ch, out), 0);
	cr_expect_eq(ch.nsegs, 5);
	ch = sk_chunk(in);
	ch.framed = 0;
	cr_expect_eq(record_chunk_skip_head(&ch, out), 0);
	cr_expect_eq(ch.total, 100);
}

/* ---- HTTP/2 frames as one syscall's bytes ------------------------------- */

struct wb {
	uint8_t b[8192];
	uint32_t n;
};

static void wb_put(struct wb *w, const void *p, uint32_t n)
{
	cr_assert_leq(w->n + n, sizeof(w->b));
	if (n)
		memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void wb_frame(struct wb *w, uint8_t type, uint8_t flags, uint8_t stream, const void *p,
		     uint32_t n)
{
	const uint8_t h[9] = { (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n, type, flags,
			       0, 0, 0, stream };

	wb_put(w, h, 9);
	wb_put(w, p, n);
}

#define H2C_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

static const uint8_t hx_settings[6] = { 0, 3, 0, 0, 0, 100 }; /* MAX_CONCURRENT_STREAMS */
static const uint8_t st200 = 0x88, st404 = 0x8d;          /* HPACK static entries */
static uint8_t hx_body[3000];

/* ---- HTTP/1.1 hands its request to HTTP/2 ------------------------------- */

#define HX_MAX 40

struct hx_ex {
	uint32_t key;
	uint8_t has_response, status;
	uint64_t start;
	char name[SPAN_NAME_MAX], code[SPAN_CODE_MAX], attrs[1024];
};

/* Both modules' states on one connection, and one sink, as the tracer has. */
struct hx {
	_Alignas(16) uint8_t h1[PROTO_STATE_MAX];
	_Alignas(16) uint8_t h2[PROTO_STATE_MAX];
	uint32_t n_req, n_ex;
	uint32_t req_key[HX_MAX], req_stream[HX_MAX];
	char req_tp[HX_MAX][64];
	struct hx_ex ex[HX_MAX];
	struct proto_sink sink;
	struct walk_sim sim;
	uint64_t tag;
	unsigned int misses;
};

static void hx_request(void *ctx, const struct proto_request *r)
{
	struct hx *f = ctx;

	cr_assert_lt(f->n_req, HX_MAX);
	f->req_key[f->n_req] = r->key;
	f->req_stream[f->n_req] = r->stream;
	snprintf(f->req_tp[f->n_req], 64, "%s", r->wire ? r->wire->traceparent : "");
	f->n_req++;
}

static void hx_exchange(void *ctx, struct proto_exchange *x)
{
	struct hx *f = ctx;
	struct hx_ex *e;
	const char *a;

	cr_assert_lt(f->n_ex, HX_MAX);
	cr_assert_eq(x->attrs.overflow, 0);
	e = &f->ex[f->n_ex++];
	*e = (struct hx_ex){ .key = x->key, .has_response = x->has_response, .status = x->status,
			     .start = x->start_tag };
	memcpy(e->name, x->name, sizeof(e->name));
	memcpy(e->code, x->code, sizeof(e->code));
	/* the whole list, to compare exactly (the sizes are in it) */
	a = sa_render(&x->attrs);
	cr_assert_lt(strlen(a), sizeof(e->attrs));
	memcpy(e->attrs, a, strlen(a) + 1);
}

static void hx_abandon(void *ctx, uint32_t key)
{
	(void)ctx;
	cr_assert_fail("request %u abandoned", key);
}

static void hx_note(void *ctx, enum proto_note n)
{
	(void)ctx;
	cr_assert_fail("note %d", n);
}

/* HTTP/1.1 bytes of one side as one syscall, copied whole. */
static void hx_h1(struct hx *f, int side, const char *s)
{
	struct proto_seg seg = { .len = strlen(s), .data = (const uint8_t *)s,
				 .cap = (uint32_t)strlen(s) };
	struct proto_chunk c = { .side = side, .tag = ++f->tag, .total = seg.len, .segs = &seg,
				 .nsegs = 1 };

	f->misses += proto_by_id(ZT_PROTO_HTTP1)->feed(f->h1, &c, &f->sink);
}

/* w as one syscall of side, segmented by the kernel's frame walk. */
static void hx_h2(struct hx *f, int side, struct wb *w)
{
	int ns = walk_sim_syscall(&f->sim, w->b, w->n, side == PROTO_SIDE_REQUEST, 64);
	struct proto_chunk c = { .side = side, .framed = 1, .tag = ++f->tag, .total = w->n,
				 .segs = f->sim.segs };

	cr_assert_geq(ns, 0, "the kernel's walk lost the framing");
	c.nsegs = (uint32_t)ns;
	f->misses += proto_by_id(ZT_PROTO_HTTP2)->feed(f->h2, &c, &f->sink);
	w->n = 0;
}

static void hx_init(struct hx *f)
{
	const struct proto *h1 = proto_by_id(ZT_PROTO_HTTP1), *h2 = proto_by_id(ZT_PROTO_HTTP2);

	memset(f, 0, sizeof(*f));
	f->sim.proto = ZT_PROTO_HTTP2;
	f->sink = (struct proto_sink){ .ctx = f, .kind = SPAN_KIND_SERVER, .request = hx_request,
				       .exchange = hx_exchange, .abandon = hx_abandon,
				       .note = hx_note };
	cr_assert(h1 && h2 && h1->hand_off && h2->adopt);
	cr_assert_leq(h2->state_size, PROTO_STATE_MAX);
	h1->init(f->h1);
}

/* An upgrade after `before` plain exchanges on the connection: the handed
 * over request's key is before + 1, its HTTP/2 slot that key modulo 32. */
static void h2c_conversation(uint32_t before)
{
	const struct proto *h1 = proto_by_id(ZT_PROTO_HTTP1), *h2 = proto_by_id(ZT_PROTO_HTTP2);
	/* :method GET, :scheme http, :path "/s3" (a literal, not indexed) */
	static const uint8_t get_s3[] = { 0x82, 0x86, 0x04, 3, '/', 's', '3' };
	static struct hx f;
	static struct wb w;
	struct proto_handoff h, none;
	uint32_t k1, k3;
	uint64_t req_tag;

	hx_init(&f);
	for (uint32_t i = 0; i < before; i++) {
		hx_h1(&f, PROTO_SIDE_REQUEST, "GET /w HTTP/1.1\r\nHost: x\r\n\r\n");
		hx_h1(&f, PROTO_SIDE_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	}
	cr_assert_eq(f.n_ex, before);
	hx_h1(&f, PROTO_SIDE_REQUEST, H2C_GET);
	req_tag = f.tag;
	cr_assert_eq(f.n_req, before + 1);
	k1 = f.req_key[before];
	cr_expect_eq(k1, before + 1);
	cr_expect_str_eq(f.req_tp[before], H2C_TP);

	/* the 101 went by in the kernel: the request is handed over, unreported */
	memset(&h, 0xa5, sizeof(h));
	cr_assert_eq(h1->hand_off(f.h1, &h, &f.sink), 1);
	cr_expect_eq(f.n_ex, before);
	cr_expect_eq(h.key, k1);
	cr_expect_eq(h.start_tag, req_tag);
	cr_expect_eq(h.req_size, 0);
	cr_expect_str_eq(h.method, "GET");
	cr_expect_str_eq(h.target, "/f3");
	cr_expect_str_eq(h.wire.traceparent, H2C_TP);
	cr_expect_str_eq(h.wire.tracestate, "");
	/* the state is as after close: nothing more to hand over */
	cr_expect_eq(h1->hand_off(f.h1, &none, &f.sink), 0);
	cr_expect_eq(f.n_ex, before);

	h2->init(f.h2);
	h2->adopt(f.h2, &h);
	/* the server's SETTINGS, and stream 1's answer begins */
	wb_frame(&w, 0x4, 0, 0, hx_settings, sizeof(hx_settings));
	wb_frame(&w, 0x1, 0x4, 1, &st200, 1);
	hx_h2(&f, PROTO_SIDE_RESPONSE, &w);
	cr_expect_eq(f.n_ex, before);
	/* the client's preface, and stream 3 while stream 1 is open */
	wb_put(&w, H2C_PREFACE, 24);
	wb_frame(&w, 0x4, 0, 0, NULL, 0);
	wb_frame(&w, 0x4, 0x1, 0, NULL, 0);
	wb_frame(&w, 0x1, 0x5, 3, get_s3, sizeof(get_s3));
	hx_h2(&f, PROTO_SIDE_REQUEST, &w);
	cr_assert_eq(f.n_req, before + 2, "stream 3 announced, stream 1 not again");
	cr_expect_eq(f.req_stream[before + 1], 3);
	k3 = f.req_key[before + 1];
	cr_expect_neq(k3, 0);
	cr_expect_neq(k3 % PROTO_INFLIGHT_MAX, k1 % PROTO_INFLIGHT_MAX,
		      "keys %u and %u share a slot while both are in flight", k1, k3);
	/* stream 1's body ends it */
	wb_frame(&w, 0x0, 0x1, 1, hx_body, sizeof(hx_body));
	hx_h2(&f, PROTO_SIDE_RESPONSE, &w);
	cr_assert_eq(f.n_ex, before + 1);
	cr_expect_eq(f.ex[before].key, k1);
	cr_expect_str_eq(f.ex[before].name, "GET /f3");
	cr_expect_str_eq(f.ex[before].code, "200");
	cr_expect_eq(f.ex[before].has_response, 1);
	cr_expect_eq(f.ex[before].status, SPAN_STATUS_UNSET);
	cr_expect_eq(f.ex[before].start, req_tag, "the span starts at the HTTP/1.1 request");
	cr_expect_str_eq(f.ex[before].attrs,
			 "http.request.method=\"GET\" url.path=\"/f3\" "
			 "http.response.status_code=200 network.protocol.version=\"2\" "
			 "url.scheme=\"http\" http.request.body.size=0 "
			 "http.response.body.size=3000 zerotrace.http.upgrade=\"h2c\"");
	/* stream 3 is HTTP/2's own: no upgrade attribute */
	wb_frame(&w, 0x1, 0x4, 3, &st404, 1);
	wb_frame(&w, 0x0, 0x1, 3, hx_body, 10);
	hx_h2(&f, PROTO_SIDE_RESPONSE, &w);
	cr_assert_eq(f.n_ex, before + 2);
	cr_expect_eq(f.ex[before + 1].key, k3);
	cr_expect_str_eq(f.ex[before + 1].name, "GET /s3");
	cr_expect_str_eq(f.ex[before + 1].code, "404");
	cr_expect_str_eq(f.ex[before + 1].attrs,
			 "http.request.method=\"GET\" url.path=\"/s3\" "
			 "http.response.status_code=404 network.protocol.version=\"2\" "
			 "url.scheme=\"http\" http.request.body.size=0 http.response.body.size=10");
	cr_expect_eq(f.misses, 0);
	h2->close(f.h2, &f.sink);
	cr_expect_eq(f.n_ex, before + 2, "nothing left open");
}

Test(h2c_handoff, first_request_upgrades)
{
	h2c_conversation(0);
}

/* key 32: stream 1 takes slot 0, the one a new stream would take first */
Test(h2c_handoff, upgrade_of_the_32nd_request)
{
	h2c_conversation(31);
}

/* A request after the one that asked for the upgrade (pipelined, which
 * RFC 9113 §3.2 forbids) is ended as at close; the oldest is handed over. */
Test(h2c_handoff, later_requests_end_as_at_close)
{
	static struct hx f;
	struct proto_handoff h;

	hx_init(&f);
	hx_h1(&f, PROTO_SIDE_REQUEST, H2C_GET);
	hx_h1(&f, PROTO_SIDE_REQUEST, "GET /g HTTP/1.1\r\nHost: x\r\n\r\n");
	cr_assert_eq(f.n_req, 2);
	cr_assert_eq(proto_by_id(ZT_PROTO_HTTP1)->hand_off(f.h1, &h, &f.sink), 1);
	cr_expect_eq(h.key, f.req_key[0]);
	cr_expect_str_eq(h.target, "/f3");
	cr_assert_eq(f.n_ex, 1);
	cr_expect_eq(f.ex[0].key, f.req_key[1]);
	cr_expect_str_eq(f.ex[0].name, "GET /g");
	cr_expect_eq(f.ex[0].has_response, 0);
	cr_expect_eq(f.ex[0].status, SPAN_STATUS_ERROR);
	cr_expect_eq(f.misses, 0);
}

/* ---- the tracer --------------------------------------------------------- */

#define TR_OFFSET 1700000000000000000LL

struct tr_sink {
	struct span spans[4];
	uint32_t n;
};

static void tr_span(void *ctx, const struct span *s)
{
	struct tr_sink *k = ctx;

	cr_assert_lt(k->n, 4);
	k->spans[k->n++] = *s;
}

union tr_record {
	struct zt_event e;
	uint8_t bytes[sizeof(struct zt_event) + ZT_CAPTURE_MAX + 64];
};

/* Connection 9, a server's, 10.0.0.1:3000 <- 10.0.0.2:50000. */
static void tr_header(union tr_record *r, uint8_t dir, uint64_t ts, uint8_t proto)
{
	/* pid above PID_MAX_LIMIT: the process is named from comm */
	r->e = (struct zt_event){ .type = ZT_EV_DATA, .conn_id = 9, .role = ZT_ROLE_SERVER,
				  .syscall = dir == ZT_DIR_INGRESS ? ZT_SYS_READ : ZT_SYS_WRITE,
				  .dir = dir, .ts_enter_ns = ts, .ts_exit_ns = ts + 50,
				  .pid = 4194304u, .tid = 201, .fd = 5, .comm = "nghttpx",
				  .proto = proto, .tuple = { .family = AF_INET, .local_port = 3000,
							     .remote_port = 50000 } };
	inet_pton(AF_INET, "10.0.0.1", r->e.tuple.local_addr);
	inet_pton(AF_INET, "10.0.0.2", r->e.tuple.remote_addr);
}

static void tr_feed(struct tracer *t, union tr_record *r)
{
	test_stream_stamp(&r->e);
	cr_assert_eq(tracer_handle_event(t, r, sizeof(r->e) + r->e.cap_len), 0);
}

/* A record of s copied whole, as HEAD capture sends it. */
static void tr_plain(struct tracer *t, uint8_t dir, uint64_t ts, uint8_t proto, const char *s)
{
	union tr_record r;

	tr_header(&r, dir, ts, proto);
	r.e.bytes = r.e.cap_len = (uint32_t)strlen(s);
	memcpy(r.bytes + sizeof(r.e), s, strlen(s));
	tr_feed(t, &r);
}

/* A record as the kernel's frame walk makes it of `head` bytes it skipped
 * (the 101: rest of no frame, nothing copied; a segment per iovec, split
 * at `split` when not 0), then w's frames. */
static void tr_framed(struct tracer *t, struct walk_sim *sim, uint8_t dir, uint64_t ts,
		      uint32_t head, uint32_t split, struct wb *w)
{
	union tr_record r;
	uint8_t *out = r.bytes + sizeof(r.e);
	int ns = walk_sim_syscall(sim, w->b, w->n, dir == ZT_DIR_INGRESS, 64);
	int lead = head ? (split ? 2 : 1) : 0;

	cr_assert_geq(ns, 0);
	tr_header(&r, dir, ts, ZT_PROTO_HTTP2);
	r.e.flags = ZT_F_SEGS;
	r.e.bytes = head + w->n;
	for (int i = -lead; i < ns; i++) {
		struct zt_seg z = { .len = head };

		if (i == -2)
			z.len = split;
		else if (i == -1 && split)
			z = (struct zt_seg){ .off = split, .len = head - split };
		else if (i >= 0)
			z = (struct zt_seg){ .off = (uint32_t)(sim->segs[i].off + head),
					     .len = (uint32_t)sim->segs[i].len,
					     .frames = sim->segs[i].frames,
					     .cap = (uint16_t)sim->segs[i].cap, .cls = sim->segs[i].cls };
		cr_assert_leq(r.e.cap_len + sizeof(z) + z.cap, ZT_CAPTURE_MAX);
		memcpy(out + r.e.cap_len, &z, sizeof(z));
		if (z.cap)
			memcpy(out + r.e.cap_len + sizeof(z), sim->segs[i].data, z.cap);
		r.e.cap_len += sizeof(z) + z.cap;
		r.e.nsegs++;
	}
	w->n = 0;
	tr_feed(t, &r);
}

static struct tracer_stats tr_stats(const struct tracer *t)
{
	struct tracer_stats s;

	tracer_get_stats(t, &s);
	return s;
}

static struct tracer *tr_new(struct tr_sink *sink)
{
	struct zt_config cfg;
	struct tracer *t;

	config_defaults(&cfg);
	cfg.max_conns = 64;
	t = tracer_new(&cfg, tr_span, sink);
	cr_assert_not_null(t);
	tracer_tick(t, 0, TR_OFFSET);
	return t;
}

/* nghttpx behind zerotrace: GET /f3 asks for h2c; the 101 and the server's
 * SETTINGS in one write, the preface, then the answer on stream 1. */
static void tr_upgrade(uint32_t split, int head_alone)
{
	static struct walk_sim sim;
	static struct wb w;
	struct tr_sink *sink = calloc(1, sizeof(*sink));
	struct tracer *t = tr_new(sink);
	struct tracer_stats st;
	const struct span *s = &sink->spans[0];
	int64_t code = 0, size = 0;

	memset(&sim, 0, sizeof(sim));
	sim.proto = ZT_PROTO_HTTP2;
	tr_plain(t, ZT_DIR_INGRESS, 1000, ZT_PROTO_HTTP1, H2C_GET);
	if (head_alone)
		tr_framed(t, &sim, ZT_DIR_EGRESS, 1900, H2C_HEAD_LEN, split, &w);
	wb_frame(&w, 0x4, 0, 0, hx_settings, sizeof(hx_settings));
	tr_framed(t, &sim, ZT_DIR_EGRESS, 2000, head_alone ? 0 : H2C_HEAD_LEN, split, &w);
	cr_expect_eq(tr_stats(t).proto_upgrades, 1, "at the 101's write");
	wb_put(&w, H2C_PREFACE, 24);
	wb_frame(&w, 0x4, 0, 0, NULL, 0);
	wb_frame(&w, 0x4, 0x1, 0, NULL, 0);
	tr_framed(t, &sim, ZT_DIR_INGRESS, 3000, 0, 0, &w);
	wb_frame(&w, 0x1, 0x4, 1, &st200, 1);
	wb_frame(&w, 0x0, 0x1, 1, hx_body, sizeof(hx_body));
	tr_framed(t, &sim, ZT_DIR_EGRESS, 4000, 0, 0, &w);

	cr_assert_eq(sink->n, 1);
	cr_expect_eq(s->kind, SPAN_KIND_SERVER);
	cr_expect_str_eq(s->name, "GET /f3");
	cr_expect_str_eq(s->code, "200");
	cr_expect_eq(s->status, SPAN_STATUS_UNSET);
	cr_expect(sa_int(&s->attrs, "http.response.status_code", &code) && code == 200);
	cr_expect(sa_int(&s->attrs, "http.response.body.size", &size) && size == 3000);
	cr_expect_str_eq(sa_str(&s->attrs, "zerotrace.http.upgrade"), "h2c");
	cr_expect_str_eq(sa_str(&s->attrs, "network.protocol.version"), "2");
	cr_expect_null(sa_find(&s->attrs, "zerotrace.hpack.incomplete"));
	cr_expect_eq(s->start_unix_ns, 1700000000000001050ULL, "the HTTP/1.1 request read's exit");
	cr_expect_eq(s->end_unix_ns, 1700000000000004000ULL, "the DATA write's entry");
	/* the ids decided when HTTP/1.1 announced it: its traceparent's */
	cr_expect_eq(s->has_parent, 1);
	cr_expect_arr_eq(s->trace_id, "\x0a\xf7\x65\x19\x16\xcd\x43\xdd\x84\x48\xeb\x21\x1c\x80\x31\x9c",
			 16);
	cr_expect_arr_eq(s->parent_span_id, "\xb7\xad\x6b\x71\x69\x20\x33\x31", 8);
	st = tr_stats(t);
	cr_expect_eq(st.proto_upgrades, 1);
	cr_expect_eq(st.parse_misses, 0);
	cr_expect_eq(st.bad_events, 0);
	cr_expect_eq(st.record_gaps, 0);
	cr_expect_eq(st.spans, 1);
	tracer_free(t);
	cr_expect_eq(sink->n, 1, "nothing left open");
	free(sink);
}

Test(h2c_tracer, upgraded_request_is_one_server_span)
{
	tr_upgrade(0, 0);
}

/* a writev of the 101 in two iovecs: the kernel skips it as two segments */
Test(h2c_tracer, a_head_in_two_iovecs_is_skipped_whole)
{
	tr_upgrade(40, 0);
}

/* the 101 in a write of its own: nothing is left of it to read */
Test(h2c_tracer, a_head_alone_in_its_write)
{
	tr_upgrade(0, 1);
}

/* A record the kernel names HTTP/2 that is no switch (not framed: no head
 * was skipped) is read as the connection's HTTP/1.1. */
/* A 101 the kernel did not see whole (a head longer than its copy) went
 * by as HTTP/1.1; the client's preface switches the connection. The
 * upgraded request ends as what was seen, a 101; later streams are HTTP/2. */
Test(h2c_tracer, the_preface_switches_after_an_unseen_101)
{
	static const uint8_t get_s3[] = { 0x82, 0x86, 0x04, 3, '/', 's', '3' };
	static struct walk_sim sim = { .proto = ZT_PROTO_HTTP2 };
	static struct wb w;
	struct tr_sink *sink = calloc(1, sizeof(*sink));
	struct tracer *t = tr_new(sink);
	struct tracer_stats st;
	int64_t code = 0;

	tr_plain(t, ZT_DIR_INGRESS, 1000, ZT_PROTO_HTTP1, H2C_GET);
	tr_plain(t, ZT_DIR_EGRESS, 2000, ZT_PROTO_HTTP1, H2C_HEAD);
	cr_assert_eq(sink->n, 1);
	cr_expect_str_eq(sink->spans[0].name, "GET /f3");
	cr_expect(sa_int(&sink->spans[0].attrs, "http.response.status_code", &code) && code == 101);
	cr_expect_str_eq(sa_str(&sink->spans[0].attrs, "network.protocol.version"), "1.1");
	wb_put(&w, H2C_PREFACE, 24);
	wb_frame(&w, 0x4, 0, 0, NULL, 0);
	wb_frame(&w, 0x1, 0x5, 3, get_s3, sizeof(get_s3));
	tr_framed(t, &sim, ZT_DIR_INGRESS, 3000, 0, 0, &w);
	cr_expect_eq(tr_stats(t).proto_upgrades, 1, "at the preface");
	wb_frame(&w, 0x1, 0x5, 3, &st404, 1);
	tr_framed(t, &sim, ZT_DIR_EGRESS, 4000, 0, 0, &w);
	cr_assert_eq(sink->n, 2);
	cr_expect_str_eq(sink->spans[1].name, "GET /s3");
	cr_expect_str_eq(sink->spans[1].code, "404");
	cr_expect_str_eq(sa_str(&sink->spans[1].attrs, "network.protocol.version"), "2");
	cr_expect_null(sa_find(&sink->spans[1].attrs, "zerotrace.http.upgrade"));
	cr_expect_null(sa_find(&sink->spans[1].attrs, "zerotrace.hpack.incomplete"));
	st = tr_stats(t);
	cr_expect_eq(st.parse_misses, 0);
	cr_expect_eq(st.record_gaps, 0);
	tracer_free(t);
	cr_expect_eq(sink->n, 2, "nothing left open");
	free(sink);
}
