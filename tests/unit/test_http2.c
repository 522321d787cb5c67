// SPDX-License-Identifier: MIT
/*
 * user/proto/http2 through the protocol interface: conversations whose
 * header blocks libnghttp2's own HPACK deflater encodes (so the dynamic
 * table is really used from the second request on), fed as plain bytes
 * and as the kernel's frame walk segments them.
 */
#include <criterion/criterion.h>
#include <nghttp2/nghttp2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "http2.h"
#include "proto.h"
#include "span_attrs_check.h"
#include "walk_sim.h"

#define H2T_EX_MAX 64
#define H2T_BUF 8192

struct h2t_ex {
	uint32_t key, stream;
	uint8_t has_response, status;
	uint64_t start, end, req_size, resp_size;
	int64_t http_status, incomplete;
	char name[SPAN_NAME_MAX], code[SPAN_CODE_MAX], msg[SPAN_STATUS_MSG_MAX];
	char method[16], path[200], rpc_method[200], rpc_status[32], rpc_system[16], version[16];
	char traceparent[64];
	char old_system[16], old_service[64];
	int64_t old_status, req_msgs, resp_msgs;
	uint8_t family;
	char metric[3][160];
};

struct h2t {
	_Alignas(16) uint8_t state[PROTO_STATE_MAX];
	struct h2t_ex ex[H2T_EX_MAX];
	uint32_t n_ex, n_req, n_cache_full, n_push;
	uint32_t req_stream[H2T_EX_MAX], req_key[H2T_EX_MAX];
	char req_traceparent[H2T_EX_MAX][64];
	struct proto_sink sink;
	uint64_t tag;
	struct walk_sim sim;
	int framed;
	unsigned int misses;
	/* one HPACK encoder per direction, as the two endpoints have */
	nghttp2_hd_deflater *enc[2];
	uint8_t out[2][H2T_BUF];
	size_t out_len[2];
};

static void h2t_request(void *ctx, const struct proto_request *r)
{
	struct h2t *f = ctx;

	cr_assert_neq(r->key, 0);
	cr_assert_lt(f->n_req, H2T_EX_MAX);
	f->req_stream[f->n_req] = r->stream;
	f->req_key[f->n_req] = r->key;
	snprintf(f->req_traceparent[f->n_req], 64, "%s", r->wire ? r->wire->traceparent : "");
	f->n_req++;
}

static void h2t_exchange(void *ctx, struct proto_exchange *x)
{
	struct h2t *f = ctx;
	struct h2t_ex *e;

	cr_assert_lt(f->n_ex, H2T_EX_MAX);
	cr_assert_eq(x->attrs.overflow, 0);
	e = &f->ex[f->n_ex++];
	memset(e, 0, sizeof(*e));
	e->key = x->key;
	for (uint32_t i = 0; i < f->n_req; i++)
		if (f->req_key[i] == x->key)
			e->stream = f->req_stream[i];
	e->has_response = x->has_response;
	e->status = x->status;
	e->start = x->start_tag;
	e->end = x->end_tag;
	e->req_size = x->req_size;
	e->resp_size = x->resp_size;
	memcpy(e->name, x->name, sizeof(e->name));
	memcpy(e->code, x->code, sizeof(e->code));
	memcpy(e->msg, x->status_message, sizeof(e->msg));
	sa_text(&x->attrs, "http.request.method", e->method, sizeof(e->method), NULL);
	sa_text(&x->attrs, "url.path", e->path, sizeof(e->path), NULL);
	sa_text(&x->attrs, "rpc.method", e->rpc_method, sizeof(e->rpc_method), NULL);
	sa_text(&x->attrs, "rpc.status_code", e->rpc_status, sizeof(e->rpc_status), NULL);
	sa_text(&x->attrs, "rpc.system.name", e->rpc_system, sizeof(e->rpc_system), NULL);
	sa_text(&x->attrs, "network.protocol.version", e->version, sizeof(e->version), NULL);
	snprintf(e->traceparent, sizeof(e->traceparent), "%s", x->wire ? x->wire->traceparent : "");
	e->http_status = -1;
	sa_int(&x->attrs, "http.response.status_code", &e->http_status);
	e->incomplete = 0;
	sa_int(&x->attrs, "zerotrace.hpack.incomplete", &e->incomplete);
	sa_text(&x->attrs, "rpc.system", e->old_system, sizeof(e->old_system), NULL);
	sa_text(&x->attrs, "rpc.service", e->old_service, sizeof(e->old_service), NULL);
	e->old_status = -1;
	sa_int(&x->attrs, "rpc.grpc.status_code", &e->old_status);
	e->family = x->metric.family;
	for (int i = 0; i < 3; i++)
		snprintf(e->metric[i], sizeof(e->metric[i]), "%s", span_metric_label(&x->metric, (uint32_t)i));
	e->req_msgs = e->resp_msgs = -1;
	sa_int(&x->attrs, "zerotrace.rpc.request.messages", &e->req_msgs);
	sa_int(&x->attrs, "zerotrace.rpc.response.messages", &e->resp_msgs);
}

static void h2t_abandon(void *ctx, uint32_t key)
{
	(void)ctx, (void)key;
	cr_assert_fail("HTTP/2 abandons no request");
}

static void h2t_note(void *ctx, enum proto_note n)
{
	if (n == PROTO_NOTE_CACHE_FULL)
		((struct h2t *)ctx)->n_cache_full++;
	if (n == PROTO_NOTE_PUSH)
		((struct h2t *)ctx)->n_push++;
}

static struct h2t *h2t_new(int framed, uint8_t kind)
{
	static struct h2t f;

	for (int i = 0; i < 2; i++)
		if (f.enc[i])
			nghttp2_hd_deflate_del(f.enc[i]);
	memset(&f, 0, sizeof(f));
	f.framed = framed;
	f.sim.proto = ZT_PROTO_HTTP2;
	f.sink = (struct proto_sink){ .ctx = &f, .kind = kind, .request = h2t_request,
				      .exchange = h2t_exchange, .abandon = h2t_abandon,
				      .note = h2t_note };
	cr_assert_leq(proto_http2.state_size, PROTO_STATE_MAX);
	proto_http2.init(f.state);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(nghttp2_hd_deflate_new(&f.enc[i], 4096), 0);
	return &f;
}

static void h2t_done(struct h2t *f)
{
	proto_http2.close(f->state, &f->sink);
	for (int i = 0; i < 2; i++) {
		nghttp2_hd_deflate_del(f->enc[i]);
		f->enc[i] = NULL;
	}
}

/* ---- building a side's bytes ---- */

static void h2t_put(struct h2t *f, int side, const void *p, size_t n)
{
	cr_assert_leq(f->out_len[side] + n, H2T_BUF);
	memcpy(f->out[side] + f->out_len[side], p, n);
	f->out_len[side] += n;
}

static void h2t_frame(struct h2t *f, int side, uint8_t type, uint8_t flags, uint32_t stream,
		      const void *payload, size_t n)
{
	uint8_t h[9] = { (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n, type, flags,
			 (uint8_t)(stream >> 24), (uint8_t)(stream >> 16), (uint8_t)(stream >> 8),
			 (uint8_t)stream };

	h2t_put(f, side, h, sizeof(h));
	if (n)
		h2t_put(f, side, payload, n);
}

#define NV(n, v)                                                                          \
	{ (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE }

/* A header block of side's encoder, as one HEADERS frame or split into
 * HEADERS + CONTINUATION frames of at most `split` bytes. */
static void h2t_headers(struct h2t *f, int side, uint32_t stream, const nghttp2_nv *nv,
			size_t nvlen, int end_stream, size_t split)
{
	uint8_t block[6144];
	ssize_t n = nghttp2_hd_deflate_hd(f->enc[side], block, sizeof(block), nv, nvlen);
	size_t off = 0;

	cr_assert_gt(n, 0);
	do {
		size_t take = (size_t)n - off;
		uint8_t flags = 0;

		if (split && take > split)
			take = split;
		if (off + take == (size_t)n)
			flags |= 0x4; /* END_HEADERS */
		if (!off && end_stream)
			flags |= 0x1;
		h2t_frame(f, side, off ? 0x9 : 0x1, flags, stream, block + off, take);
		off += take;
	} while (off < (size_t)n);
}

static void h2t_data(struct h2t *f, int side, uint32_t stream, size_t n, int end_stream)
{
	uint8_t body[512];

	cr_assert_leq(n, sizeof(body));
	memset(body, 'x', n);
	h2t_frame(f, side, 0x0, end_stream ? 0x1 : 0, stream, body, n);
}

/* gRPC messages of the given payload sizes, each behind its 5-byte prefix,
 * in one DATA frame. */
static void h2t_grpc_data(struct h2t *f, int side, uint32_t stream, const uint32_t *sizes, int n,
			  int end_stream)
{
	uint8_t body[4096];
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		cr_assert_leq(len + 5 + sizes[i], sizeof(body));
		body[len] = 0;
		body[len + 1] = (uint8_t)(sizes[i] >> 24);
		body[len + 2] = (uint8_t)(sizes[i] >> 16);
		body[len + 3] = (uint8_t)(sizes[i] >> 8);
		body[len + 4] = (uint8_t)sizes[i];
		memset(body + len + 5, 'm', sizes[i]);
		len += 5 + sizes[i];
	}
	h2t_frame(f, side, 0x0, end_stream ? 0x1 : 0, stream, body, len);
}

static void h2t_preface(struct h2t *f)
{
	static const uint8_t settings_c[] = { 0, 2, 0, 0, 0, 0 }; /* ENABLE_PUSH 0 */
	static const uint8_t settings_s[] = { 0, 3, 0, 0, 0, 100 }; /* MAX_CONCURRENT_STREAMS */

	h2t_put(f, PROTO_SIDE_REQUEST, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	h2t_frame(f, PROTO_SIDE_REQUEST, 0x4, 0, 0, settings_c, sizeof(settings_c));
	h2t_frame(f, PROTO_SIDE_RESPONSE, 0x4, 0, 0, settings_s, sizeof(settings_s));
	h2t_frame(f, PROTO_SIDE_RESPONSE, 0x4, 0x1, 0, NULL, 0);
}

/* Sends what side has built as syscalls of at most `chunk` bytes. */
static void h2t_flush(struct h2t *f, int side, size_t chunk)
{
	size_t off = 0;

	while (off < f->out_len[side]) {
		size_t n = f->out_len[side] - off;
		struct proto_seg seg;
		struct proto_chunk c;
		int ns;

		if (chunk && n > chunk)
			n = chunk;
		seg = (struct proto_seg){ .off = 0, .len = n, .data = f->out[side] + off,
					  .cap = (uint32_t)n };
		c = (struct proto_chunk){ .side = side, .tag = ++f->tag, .total = n, .segs = &seg,
					  .nsegs = 1 };
		if (f->framed) {
			ns = walk_sim_syscall(&f->sim, f->out[side] + off, n,
					      side == PROTO_SIDE_REQUEST, 64);
			cr_assert_geq(ns, 0, "the kernel's walk lost the framing");
			c.segs = f->sim.segs;
			c.nsegs = (uint32_t)ns;
			c.framed = 1;
		}
		f->misses += proto_http2.feed(f->state, &c, &f->sink);
		off += n;
	}
	f->out_len[side] = 0;
}

static const nghttp2_nv grpc_req[] = {
	NV(":method", "POST"), NV(":scheme", "http"), NV(":path", "/zt.Echo/Say"),
	NV(":authority", "127.0.0.1:50051"), NV("content-type", "application/grpc"),
	NV("te", "trailers"),
	NV("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
};
static const nghttp2_nv grpc_resp[] = { NV(":status", "200"),
					NV("content-type", "application/grpc") };
static const nghttp2_nv grpc_ok[] = { NV("grpc-status", "0") };

/* One unary call on stream id: request, answer, trailers. */
static void h2t_unary(struct h2t *f, uint32_t id, size_t chunk)
{
	static const uint32_t four = 4, nine = 9;

	h2t_headers(f, PROTO_SIDE_REQUEST, id, grpc_req, 7, 0, 0);
	h2t_grpc_data(f, PROTO_SIDE_REQUEST, id, &four, 1, 1);
	h2t_flush(f, PROTO_SIDE_REQUEST, chunk);
	h2t_headers(f, PROTO_SIDE_RESPONSE, id, grpc_resp, 2, 0, 0);
	h2t_grpc_data(f, PROTO_SIDE_RESPONSE, id, &nine, 1, 0);
	h2t_headers(f, PROTO_SIDE_RESPONSE, id, grpc_ok, 1, 1, 0);
	h2t_flush(f, PROTO_SIDE_RESPONSE, chunk);
}

static void h2t_expect_unary(const struct h2t_ex *e, uint32_t stream)
{
	cr_expect_eq(e->stream, stream);
	cr_expect_str_eq(e->name, "zt.Echo/Say");
	cr_expect_str_eq(e->method, "POST");
	cr_expect_str_eq(e->path, "/zt.Echo/Say");
	cr_expect_str_eq(e->rpc_system, "grpc");
	cr_expect_str_eq(e->rpc_method, "zt.Echo/Say");
	cr_expect_str_eq(e->rpc_status, "OK");
	cr_expect_str_eq(e->code, "0");
	cr_expect_str_eq(e->version, "2");
	cr_expect_eq(e->http_status, 200);
	cr_expect_eq(e->status, SPAN_STATUS_UNSET);
	cr_expect_eq(e->has_response, 1);
	cr_expect_eq(e->req_size, 9);
	cr_expect_eq(e->resp_size, 14);
	cr_expect_eq(e->incomplete, 0);
	cr_expect_eq(e->req_msgs, 1);
	cr_expect_eq(e->resp_msgs, 1);
	cr_expect(e->family == METRIC_RPC_SERVER || e->family == METRIC_RPC_CLIENT);
	cr_expect_str_eq(e->metric[0], "grpc");
	cr_expect_str_eq(e->metric[1], "zt.Echo/Say");
	cr_expect_str_eq(e->metric[2], "OK");
	cr_expect_str_eq(e->traceparent, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
}

/* ---- tests ---- */

static void unary_calls(int framed, size_t chunk)
{
	struct h2t *f = h2t_new(framed, SPAN_KIND_SERVER);

	h2t_preface(f);
	h2t_flush(f, PROTO_SIDE_REQUEST, chunk);
	h2t_flush(f, PROTO_SIDE_RESPONSE, chunk);
	/* the second and third blocks are mostly dynamic-table references */
	for (uint32_t id = 1; id <= 5; id += 2)
		h2t_unary(f, id, chunk);
	cr_assert_eq(f->n_req, 3);
	cr_assert_eq(f->n_ex, 3);
	for (uint32_t i = 0; i < 3; i++) {
		cr_expect_eq(f->req_stream[i], 1 + 2 * i);
		h2t_expect_unary(&f->ex[i], 1 + 2 * i);
		cr_expect_str_eq(f->req_traceparent[i],
				 "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
	}
	cr_expect_eq(f->misses, 0);
	h2t_done(f);
	cr_expect_eq(f->n_ex, 3, "nothing left open at close");
}

Test(http2, unary_grpc_calls_plain)
{
	unary_calls(0, 0);
}

Test(http2, unary_grpc_calls_kernel_walk)
{
	unary_calls(1, 0);
}

Test(http2, unary_grpc_calls_split_every_7_bytes)
{
	unary_calls(1, 7);
}

/* Streams answered out of order pair by id, never by order. */
Test(http2, interleaved_streams_pair_by_id)
{
	static const nghttp2_nv a[] = { NV(":method", "GET"), NV(":scheme", "http"),
					NV(":path", "/a/123"), NV(":authority", "h") };
	static const nghttp2_nv b[] = { NV(":method", "DELETE"), NV(":scheme", "https"),
					NV(":path", "/b?token=secret"), NV(":authority", "h") };
	static const nghttp2_nv r404[] = { NV(":status", "404") };
	static const nghttp2_nv r503[] = { NV(":status", "503") };
	struct h2t *f = h2t_new(1, SPAN_KIND_CLIENT);

	h2t_preface(f);
	h2t_headers(f, PROTO_SIDE_REQUEST, 1, a, 4, 1, 0);
	h2t_headers(f, PROTO_SIDE_REQUEST, 3, b, 4, 0, 0);
	h2t_data(f, PROTO_SIDE_REQUEST, 3, 100, 1);
	h2t_flush(f, PROTO_SIDE_REQUEST, 0);
	/* stream 3 is answered first, in one write with stream 1's headers */
	h2t_headers(f, PROTO_SIDE_RESPONSE, 3, r503, 1, 0, 0);
	h2t_headers(f, PROTO_SIDE_RESPONSE, 1, r404, 1, 0, 0);
	h2t_data(f, PROTO_SIDE_RESPONSE, 3, 30, 1);
	h2t_data(f, PROTO_SIDE_RESPONSE, 1, 40, 1);
	h2t_flush(f, PROTO_SIDE_RESPONSE, 0);
	cr_assert_eq(f->n_ex, 2);
	cr_expect_eq(f->ex[0].stream, 3);
	cr_expect_str_eq(f->ex[0].name, "DELETE /b");
	cr_expect_str_eq(f->ex[0].method, "DELETE");
	cr_expect_eq(f->ex[0].http_status, 503);
	cr_expect_eq(f->ex[0].req_size, 100);
	cr_expect_eq(f->ex[0].resp_size, 30);
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_ERROR);
	cr_expect_str_eq(f->ex[0].msg, "HTTP 503");
	cr_expect_str_eq(f->ex[0].rpc_system, "<absent>", "not gRPC");
	cr_expect_eq(f->ex[0].family, METRIC_HTTP_CLIENT);
	cr_expect_str_eq(f->ex[0].metric[0], "DELETE");
	cr_expect_str_eq(f->ex[0].metric[1], "/b");
	cr_expect_str_eq(f->ex[0].metric[2], "503");
	cr_expect_eq(f->ex[1].stream, 1);
	cr_expect_str_eq(f->ex[1].name, "GET /a/{id}");
	cr_expect_eq(f->ex[1].http_status, 404);
	cr_expect_eq(f->ex[1].req_size, 0);
	cr_expect_eq(f->ex[1].resp_size, 40);
	cr_expect_eq(f->ex[1].status, SPAN_STATUS_ERROR, "a 4xx is a client's error");
	cr_expect_eq(f->misses, 0);
	h2t_done(f);
}

/* A header block split over HEADERS and CONTINUATION frames. */
Test(http2, continuation_frames)
{
	static const uint32_t four = 4, nine = 9;
	struct h2t *f = h2t_new(1, SPAN_KIND_SERVER);

	h2t_preface(f);
	h2t_headers(f, PROTO_SIDE_REQUEST, 1, grpc_req, 7, 0, 10);
	h2t_grpc_data(f, PROTO_SIDE_REQUEST, 1, &four, 1, 1);
	h2t_flush(f, PROTO_SIDE_REQUEST, 0);
	h2t_headers(f, PROTO_SIDE_RESPONSE, 1, grpc_resp, 2, 0, 3);
	h2t_grpc_data(f, PROTO_SIDE_RESPONSE, 1, &nine, 1, 0);
	h2t_headers(f, PROTO_SIDE_RESPONSE, 1, grpc_ok, 1, 1, 2);
	h2t_flush(f, PROTO_SIDE_RESPONSE, 0);
	cr_assert_eq(f->n_ex, 1);
	h2t_expect_unary(&f->ex[0], 1);
	cr_expect_eq(f->misses, 0);
	h2t_done(f);
}

/* A trailers-only answer carries the gRPC status; which codes are errors
 * depends on the side. */
static void grpc_error(uint8_t kind, const char *status, const char *name, int error)
{
	const nghttp2_nv only[] = { NV(":status", "200"), NV("content-type", "application/grpc"),
				    { (uint8_t *)"grpc-status", (uint8_t *)status, 11, strlen(status),
				      NGHTTP2_NV_FLAG_NONE },
				    NV("grpc-message", "no such row") };
	struct h2t *f = h2t_new(1, kind);

	h2t_preface(f);
	h2t_headers(f, PROTO_SIDE_REQUEST, 1, grpc_req, 7, 0, 0);
	h2t_data(f, PROTO_SIDE_REQUEST, 1, 9, 1);
	h2t_flush(f, PROTO_SIDE_REQUEST, 0);
	h2t_headers(f, PROTO_SIDE_RESPONSE, 1, only, 4, 1, 0);
	h2t_flush(f, PROTO_SIDE_RESPONSE, 0);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_str_eq(f->ex[0].rpc_status, name);
	cr_expect_str_eq(f->ex[0].code, status);
	cr_expect_eq(f->ex[0].status, error ? SPAN_STATUS_ERROR : SPAN_STATUS_UNSET, "%s on %d",
		     name, kind);
	if (error) {
		char want[SPAN_STATUS_MSG_MAX];

		snprintf(want, sizeof(want), "%s: no such row", name);
		cr_expect_str_eq(f->ex[0].msg, want);
	}
	h2t_done(f);
}

Test(http2, grpc_status_errors_by_side)
{
	grpc_error(SPAN_KIND_SERVER, "5", "NOT_FOUND", 0);
	grpc_error(SPAN_KIND_CLIENT, "5", "NOT_FOUND", 1);
	grpc_error(SPAN_KIND_SERVER, "13", "INTERNAL", 1);
	grpc_error(SPAN_KIND_SERVER, "14", "UNAVAILABLE", 1);
	grpc_error(SPAN_KIND_CLIENT, "0", "OK", 0);
}

Test(http2, grpc_status_table)
{
	cr_expect_str_eq(grpc_status_name(0), "OK");
	cr_expect_str_eq(grpc_status_name(16), "UNAUTHENTICATED");
	cr_expect_null(grpc_status_name(17));
	cr_expect_null(grpc_status_name(-1));
	for (int32_t c = 0; c <= 16; c++)
		cr_expect_eq(grpc_status_is_error(c, SPAN_KIND_SERVER),
			     c == 2 || c == 4 || c == 12 || c == 13 || c == 14 || c == 15, "%d", c);
	for (int32_t c = 0; c <= 16; c++)
		cr_expect_eq(grpc_status_is_error(c, SPAN_KIND_CLIENT), c != 0, "%d", c);
}

/* RST_STREAM ends the stream with an error, the others go on. */
Test(http2, reset_stream)
{
	static const uint8_t cancel[4] = { 0, 0, 0, 8 };
	struct h2t *f = h2t_new(1, SPAN_KIND_CLIENT);

	h2t_preface(f);
	h2t_headers(f, PROTO_SIDE_REQUEST, 1, grpc_req, 7, 0, 0);
	h2t_frame(f, PROTO_SIDE_REQUEST, 0x3, 0, 1, cancel, 4);
	h2t_flush(f, PROTO_SIDE_REQUEST, 0);
	h2t_unary(f, 3, 0);
	cr_assert_eq(f->n_ex, 2);
	cr_expect_eq(f->ex[0].stream, 1);
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_ERROR);
	cr_expect_str_eq(f->ex[0].msg, "stream reset (error 8)");
	cr_expect_eq(f->ex[0].has_response, 0);
	h2t_expect_unary(&f->ex[1], 3);
	h2t_done(f);
}

/* A header block the agent did not see whole: the direction's table is
 * unknown from then on; its fields are read only where they need no entry
 * from before (static entries, literals: hpack_tolerant.h), never guessed,
 * and the spans say so; the other direction goes on. */
Test(http2, lost_block_marks_spans_incomplete)
{
	struct h2t *f = h2t_new(0, SPAN_KIND_SERVER);
	uint8_t cut[64];
	struct proto_seg seg;
	struct proto_chunk c;

	h2t_preface(f);
	h2t_flush(f, PROTO_SIDE_REQUEST, 0);
	h2t_flush(f, PROTO_SIDE_RESPONSE, 0);
	h2t_unary(f, 1, 0);
	/* stream 3's request headers: the first 12 bytes copied, the rest a gap */
	h2t_headers(f, PROTO_SIDE_REQUEST, 3, grpc_req, 7, 0, 0);
	cr_assert_gt(f->out_len[PROTO_SIDE_REQUEST], 12);
	memcpy(cut, f->out[PROTO_SIDE_REQUEST], 12);
	seg = (struct proto_seg){ .off = 0, .len = f->out_len[PROTO_SIDE_REQUEST], .data = cut,
				  .cap = 12 };
	c = (struct proto_chunk){ .side = PROTO_SIDE_REQUEST, .tag = ++f->tag,
				  .total = f->out_len[PROTO_SIDE_REQUEST], .segs = &seg, .nsegs = 1 };
	f->misses += proto_http2.feed(f->state, &c, &f->sink);
	f->out_len[PROTO_SIDE_REQUEST] = 0;
	h2t_data(f, PROTO_SIDE_REQUEST, 3, 9, 1);
	h2t_flush(f, PROTO_SIDE_REQUEST, 0);
	h2t_headers(f, PROTO_SIDE_RESPONSE, 3, grpc_resp, 2, 0, 0);
	h2t_headers(f, PROTO_SIDE_RESPONSE, 3, grpc_ok, 1, 1, 0);
	h2t_flush(f, PROTO_SIDE_RESPONSE, 0);
	/* stream 5: its request fields would come from a table no longer known */
	h2t_unary(f, 5, 0);
	cr_assert_eq(f->n_ex, 3);
	h2t_expect_unary(&f->ex[0], 1);
	cr_expect_eq(f->ex[1].stream, 3);
	cr_expect_eq(f->ex[1].incomplete, 1);
	cr_expect_str_eq(f->ex[1].method, "<absent>");
	cr_expect_str_eq(f->ex[1].path, "<absent>");
	cr_expect_str_eq(f->ex[1].traceparent, "");
	cr_expect_eq(f->ex[1].http_status, 200, "the response direction is still known");
	cr_expect_eq(f->ex[2].stream, 5);
	cr_expect_eq(f->ex[2].incomplete, 1);
	/* libnghttp2 sends :path as a literal never indexed, :method POST is
	 * static: both read; the rest referenced entries from before the loss */
	cr_expect_str_eq(f->ex[2].path, "/zt.Echo/Say");
	cr_expect_str_eq(f->ex[2].method, "POST");
	cr_expect_str_eq(f->ex[2].traceparent, "");
	cr_expect_eq(f->ex[2].http_status, 200);
	cr_expect_geq(f->misses, 1);
	h2t_done(f);
}

/* More streams in flight than the module follows: the newest are counted
 * and their blocks still decoded, so the table stays right for the rest. */
Test(http2, streams_beyond_the_table)
{
	struct h2t *f = h2t_new(1, SPAN_KIND_SERVER);

	h2t_preface(f);
	for (uint32_t i = 0; i < PROTO_INFLIGHT_MAX + 3; i++)
		h2t_headers(f, PROTO_SIDE_REQUEST, 1 + 2 * i, grpc_req, 7, 1, 0);
	h2t_flush(f, PROTO_SIDE_REQUEST, 0);
	cr_expect_eq(f->n_req, PROTO_INFLIGHT_MAX);
	cr_expect_eq(f->n_cache_full, 3);
	h2t_headers(f, PROTO_SIDE_RESPONSE, 1, grpc_resp, 2, 0, 0);
	h2t_headers(f, PROTO_SIDE_RESPONSE, 1, grpc_ok, 1, 1, 0);
	h2t_flush(f, PROTO_SIDE_RESPONSE, 0);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].stream, 1);
	cr_expect_str_eq(f->ex[0].rpc_status, "OK");
	/* a stream after the burst: its block refers to the table the dropped ones filled */
	h2t_unary(f, 2 * (PROTO_INFLIGHT_MAX + 3) + 1, 0);
	cr_assert_eq(f->n_ex, 2);
	h2t_expect_unary(&f->ex[1], 2 * (PROTO_INFLIGHT_MAX + 3) + 1);
	cr_expect_eq(f->misses, 0);
	h2t_done(f);
	cr_expect_eq(f->n_ex, 1 + PROTO_INFLIGHT_MAX, "the streams still open are reported at close");
}

/* A header frame of 3 KiB (a bearer token): kept whole, decoded, and the
 * table stays right for the next call. */
Test(http2, big_header_block)
{
	static const uint32_t four = 4, nine = 9;
	static char token[3000];
	nghttp2_nv req[8];
	struct h2t *f = h2t_new(1, SPAN_KIND_SERVER);

	memset(token, '~', sizeof(token) - 1); /* no shorter in Huffman: sent raw */
	memcpy(req, grpc_req, sizeof(grpc_req));
	req[7] = (nghttp2_nv){ (uint8_t *)"authorization", (uint8_t *)token, 13, sizeof(token) - 1,
			       NGHTTP2_NV_FLAG_NO_INDEX };
	h2t_preface(f);
	h2t_headers(f, PROTO_SIDE_REQUEST, 1, req, 8, 0, 0);
	cr_assert_gt(f->out_len[PROTO_SIDE_REQUEST], 3000);
	h2t_grpc_data(f, PROTO_SIDE_REQUEST, 1, &four, 1, 1);
	h2t_flush(f, PROTO_SIDE_REQUEST, 0);
	h2t_headers(f, PROTO_SIDE_RESPONSE, 1, grpc_resp, 2, 0, 0);
	h2t_grpc_data(f, PROTO_SIDE_RESPONSE, 1, &nine, 1, 0);
	h2t_headers(f, PROTO_SIDE_RESPONSE, 1, grpc_ok, 1, 1, 0);
	h2t_flush(f, PROTO_SIDE_RESPONSE, 0);
	h2t_unary(f, 3, 0);
	cr_assert_eq(f->n_ex, 2);
	h2t_expect_unary(&f->ex[0], 1);
	h2t_expect_unary(&f->ex[1], 3);
	cr_expect_eq(f->misses, 0);
	h2t_done(f);
}

/* OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup: the older RPC names as well;
 * without it, only the current ones. */
static void rpc_names(int dup)
{
	struct h2t *f = h2t_new(1, SPAN_KIND_CLIENT);

	f->sink.rpc_dup = (uint8_t)dup;
	h2t_preface(f);
	h2t_unary(f, 1, 0);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_str_eq(f->ex[0].rpc_system, "grpc");
	cr_expect_str_eq(f->ex[0].old_system, dup ? "grpc" : "<absent>");
	cr_expect_str_eq(f->ex[0].old_service, dup ? "zt.Echo" : "<absent>");
	cr_expect_eq(f->ex[0].old_status, dup ? 0 : -1);
	cr_expect_str_eq(f->ex[0].rpc_method, "zt.Echo/Say", "one key, the current value");
	h2t_done(f);
}

Test(http2, rpc_dup_names)
{
	rpc_names(0);
	rpc_names(1);
}

/* A server-streaming answer: five small messages in one DATA frame, then
 * one of 3000 bytes over two frames: 6 messages. A message whose prefix was
 * not copied (past the kernel's DATA copy) leaves the count unknown: no
 * attribute rather than a wrong number. */
Test(http2, grpc_message_counts)
{
	static const uint32_t four = 4, small[5] = { 6, 6, 6, 6, 6 }, big = 3000;
	static const uint32_t many[12] = { 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6 };
	uint8_t half[1600];
	struct h2t *f = h2t_new(1, SPAN_KIND_SERVER);

	h2t_preface(f);
	h2t_headers(f, PROTO_SIDE_REQUEST, 1, grpc_req, 7, 0, 0);
	h2t_grpc_data(f, PROTO_SIDE_REQUEST, 1, &four, 1, 1);
	h2t_headers(f, PROTO_SIDE_REQUEST, 3, grpc_req, 7, 0, 0);
	h2t_grpc_data(f, PROTO_SIDE_REQUEST, 3, &four, 1, 1);
	h2t_flush(f, PROTO_SIDE_REQUEST, 0);
	h2t_headers(f, PROTO_SIDE_RESPONSE, 1, grpc_resp, 2, 0, 0);
	h2t_grpc_data(f, PROTO_SIDE_RESPONSE, 1, small, 5, 0);
	/* the big one: its prefix and 1595 bytes, then the rest */
	half[0] = 0;
	half[1] = 0, half[2] = 0, half[3] = (uint8_t)(big >> 8), half[4] = (uint8_t)big;
	memset(half + 5, 'b', sizeof(half) - 5);
	h2t_frame(f, PROTO_SIDE_RESPONSE, 0x0, 0, 1, half, sizeof(half));
	h2t_frame(f, PROTO_SIDE_RESPONSE, 0x0, 0, 1, half + 5, big + 5 - sizeof(half));
	h2t_headers(f, PROTO_SIDE_RESPONSE, 1, grpc_ok, 1, 1, 0);
	/* stream 3: twelve in one frame, the last ones past what is copied */
	h2t_headers(f, PROTO_SIDE_RESPONSE, 3, grpc_resp, 2, 0, 0);
	h2t_grpc_data(f, PROTO_SIDE_RESPONSE, 3, many, 12, 0);
	h2t_headers(f, PROTO_SIDE_RESPONSE, 3, grpc_ok, 1, 1, 0);
	h2t_flush(f, PROTO_SIDE_RESPONSE, 0);
	cr_assert_eq(f->n_ex, 2);
	cr_expect_eq(f->ex[0].stream, 1);
	cr_expect_eq(f->ex[0].req_msgs, 1);
	cr_expect_eq(f->ex[0].resp_msgs, 6);
	cr_expect_eq(f->ex[0].resp_size, 5 * 11 + 5 + big);
	cr_expect_eq(f->ex[1].stream, 3);
	cr_expect_eq(f->ex[1].req_msgs, 1);
	cr_expect_eq(f->ex[1].resp_msgs, -1, "not every prefix was seen");
	cr_expect_eq(f->ex[1].resp_size, 12 * 11);
	h2t_done(f);
}

/* A server push: its PUSH_PROMISE block goes through the response
 * direction's table (the next answer refers to it), counted, no span. */
Test(http2, push_promise_keeps_the_table)
{
	static const nghttp2_nv pushed[] = { NV(":method", "GET"), NV(":scheme", "http"),
					     NV(":path", "/style.css"), NV(":authority", "h") };
	static const nghttp2_nv css[] = { NV(":status", "200"), NV("content-type", "text/css") };
	uint8_t block[256], payload[260];
	ssize_t n;
	struct h2t *f = h2t_new(1, SPAN_KIND_CLIENT);

	h2t_preface(f);
	h2t_flush(f, PROTO_SIDE_REQUEST, 0);
	h2t_flush(f, PROTO_SIDE_RESPONSE, 0);
	n = nghttp2_hd_deflate_hd(f->enc[PROTO_SIDE_RESPONSE], block, sizeof(block), pushed, 4);
	cr_assert_gt(n, 0);
	payload[0] = 0, payload[1] = 0, payload[2] = 0, payload[3] = 2; /* promised stream 2 */
	memcpy(payload + 4, block, (size_t)n);
	h2t_frame(f, PROTO_SIDE_RESPONSE, 0x5, 0x4, 1, payload, (size_t)n + 4);
	h2t_headers(f, PROTO_SIDE_RESPONSE, 2, css, 2, 1, 0);
	h2t_flush(f, PROTO_SIDE_RESPONSE, 0);
	h2t_unary(f, 3, 0);
	cr_expect_eq(f->n_push, 1);
	cr_assert_eq(f->n_ex, 1);
	h2t_expect_unary(&f->ex[0], 3);
	cr_expect_eq(f->misses, 0);
	h2t_done(f);
}

/* A client's trailers after the server already ended the stream (a
 * client-streaming call answered early) open no new stream, and a table
 * size over what the agent holds leaves that direction's fields unknown. */
Test(http2, late_trailers_and_a_table_too_big)
{
	static const nghttp2_nv trailers[] = { NV("x-checksum", "abc") };
	static const uint8_t big_table[6] = { 0, 1, 0, 2, 0, 0 }; /* 131072 */
	struct h2t *f = h2t_new(1, SPAN_KIND_SERVER);

	h2t_preface(f);
	h2t_unary(f, 1, 0);
	h2t_headers(f, PROTO_SIDE_REQUEST, 1, trailers, 1, 1, 0);
	h2t_flush(f, PROTO_SIDE_REQUEST, 0);
	cr_expect_eq(f->n_req, 1, "the trailers opened nothing");
	/* the client says its decoder holds 128 KiB: the server's blocks */
	h2t_frame(f, PROTO_SIDE_REQUEST, 0x4, 0, 0, big_table, sizeof(big_table));
	h2t_flush(f, PROTO_SIDE_REQUEST, 0);
	h2t_unary(f, 3, 0);
	h2t_done(f);
	cr_assert_eq(f->n_ex, 2);
	h2t_expect_unary(&f->ex[0], 1);
	cr_expect_eq(f->ex[1].stream, 3);
	cr_expect_str_eq(f->ex[1].path, "/zt.Echo/Say", "the request direction is still known");
	cr_expect_eq(f->ex[1].incomplete, 1);
	/* :status 200 is a static entry; what came from the table is not guessed */
	cr_expect_eq(f->ex[1].http_status, 200);
	cr_expect_str_eq(f->ex[1].rpc_status, "<absent>");
	cr_expect_eq(f->misses, 1);
}
