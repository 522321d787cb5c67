// SPDX-License-Identifier: MIT
/*
 * HTTP/1.x behind the protocol interface: the stream parser (http1.c) turns
 * bytes into exchanges; this turns an exchange into the neutral record,
 * with the HTTP semantic-convention attributes, "{method} {route}" as its
 * name, and the HTTP status rule of OTel's span conventions.
 */
#include <stdio.h>
#include <string.h>

#include "http1.h"
#include "http1_wire.h"
#include "proto.h"
#include "redact.h"
#include "route.h"
#include "text.h"

#define HTTP1_ROUTE_MAX 256
#define HTTP1_QUERY_MAX 512

_Static_assert(sizeof(struct http1_conn) <= PROTO_STATE_MAX, "http1 state fits a slot");
_Static_assert(HTTP1_PIPELINE_MAX <= PROTO_INFLIGHT_MAX, "pending requests have distinct keys");
_Static_assert(HTTP1_METHOD_MAX + HTTP1_ROUTE_MAX <= SPAN_NAME_MAX, "the name fits");

static void http1_proto_on_request(void *ctx, const struct http1_request *req)
{
	const struct proto_sink *k = ctx;
	struct proto_request r = { .key = req->seq, .start_tag = req->start_tag, .wire = &req->wire };

	k->request(k->ctx, &r);
}

static void http1_proto_on_drop(void *ctx, const struct http1_request *req)
{
	const struct proto_sink *k = ctx;

	k->abandon(k->ctx, req->seq);
}

/*
 * OTel's HTTP span status: a 5xx is an error on either side, a 4xx only on
 * the client's; a code outside 1xx-5xx (which the parser never produces) is
 * an error the agent cannot interpret; an exchange whose status line was
 * never seen is an error of the connection.
 */
static void http1_status(struct proto_exchange *x, int has_status, uint16_t st, uint8_t kind)
{
	x->status = SPAN_STATUS_ERROR;
	if (!has_status)
		snprintf(x->status_message, sizeof(x->status_message),
			 "connection closed before a response");
	else if (st >= 400 && st <= 999 && (st >= 500 || kind == SPAN_KIND_CLIENT))
		snprintf(x->status_message, sizeof(x->status_message), "HTTP %u", st);
	else if (st < 100 || st > 999)
		snprintf(x->status_message, sizeof(x->status_message), "invalid HTTP status");
	else
		x->status = SPAN_STATUS_UNSET;
}

/* "a b" into out[cap], cut to fit (no snprintf: this runs per span). */
static void http1_join(char *out, size_t cap, const char *a, size_t an, const char *b, size_t bn)
{
	if (an > cap - 1)
		an = cap - 1;
	memcpy(out, a, an);
	if (an < cap - 1) {
		out[an++] = ' ';
		if (bn > cap - 1 - an)
			bn = cap - 1 - an;
		memcpy(out + an, b, bn);
		an += bn;
	}
	out[an] = '\0';
}

void http1_exchange_record(const struct http1_exchange *ex, uint8_t kind,
			   struct proto_exchange *x)
{
	const struct http1_request *req = &ex->req;
	char route[HTTP1_ROUTE_MAX], query[HTTP1_QUERY_MAX], status[11] = "";
	const char *path, *q, *labels[3];
	size_t path_len, q_len, route_len, method_len = strnlen(req->method, sizeof(req->method));
	uint16_t st = ex->resp.status;
	int has_status = ex->has_response && st != 0;
	uint64_t end_tag = ex->has_response ? ex->resp.end_tag : req->end_tag;

	memset(x, 0, offsetof(struct proto_exchange, attrs));
	x->attrs.n = x->attrs.text_len = x->attrs.overflow = 0;
	x->key = req->seq;
	x->has_response = ex->has_response;
	x->start_tag = req->start_tag;
	x->end_tag = end_tag < req->start_tag ? req->start_tag : end_tag;
	x->wire = &req->wire;
	x->req_size = req->body_size;
	x->resp_size = ex->has_response ? ex->resp.body_size : 0;

	path_len = route_split_target(req->target, strnlen(req->target, sizeof(req->target)),
				      &path, &q, &q_len);
	route_len = route_template(path, path_len, route, sizeof(route));
	http1_join(x->name, sizeof(x->name), req->method, method_len, route, route_len);

	span_attrs_str(&x->attrs, "http.request.method", req->method, method_len);
	span_attrs_str(&x->attrs, "url.path", path, path_len);
	if (q)
		span_attrs_str(&x->attrs, "url.query", query,
			       redact_query(q, q_len, query, sizeof(query)));
	if (has_status) {
		text_decimal(status, st);
		memcpy(x->code, status, sizeof(status));
		span_attrs_int(&x->attrs, "http.response.status_code", st);
	}
	x->endpoints_at = (uint8_t)x->attrs.n;
	span_attrs_str(&x->attrs, "network.protocol.version", req->version_minor ? "1.1" : "1.0", 3);
	span_attrs_int(&x->attrs, "http.request.body.size",
		       req->body_size > INT64_MAX ? INT64_MAX : (int64_t)req->body_size);
	span_attrs_int(&x->attrs, "http.response.body.size",
		       x->resp_size > INT64_MAX ? INT64_MAX : (int64_t)x->resp_size);

	http1_status(x, has_status, st, kind);
	labels[0] = req->method;
	labels[1] = route;
	labels[2] = status;
	span_metric_set(&x->metric,
			kind == SPAN_KIND_SERVER ? METRIC_HTTP_SERVER : METRIC_HTTP_CLIENT, labels);
}

static void http1_proto_on_exchange(void *ctx, const struct http1_exchange *ex)
{
	const struct proto_sink *k = ctx;
	struct proto_exchange x;

	http1_exchange_record(ex, k->kind, &x);
	span_attrs_cstr(&x.attrs, "url.scheme", k->tls ? "https" : "http");
	k->exchange(k->ctx, &x);
}

static void http1_proto_init(void *state)
{
	struct http1_conn *c = state;

	http1_conn_init(c);
	http1_conn_set_request_cb(c, http1_proto_on_request);
	http1_conn_set_drop_cb(c, http1_proto_on_drop);
}

static unsigned int http1_proto_feed(void *state, const struct proto_chunk *ch,
				     const struct proto_sink *k)
{
	enum http1_side side = ch->side == PROTO_SIDE_REQUEST ? HTTP1_SIDE_REQUEST :
								HTTP1_SIDE_RESPONSE;

	/* HEAD capture: at most one copied range, from the first byte */
	if (ch->nsegs && ch->segs[0].off == 0)
		return http1_conn_feed(state, side, ch->segs[0].data, ch->segs[0].cap, ch->total,
				       ch->tag, http1_proto_on_exchange, (void *)k);
	return http1_conn_feed_gap(state, side, ch->total, ch->tail, ch->tail_len, ch->tag,
				   http1_proto_on_exchange, (void *)k);
}

static void http1_proto_close(void *state, const struct proto_sink *k)
{
	http1_conn_close(state, 0, http1_proto_on_exchange, (void *)k);
}

static int http1_proto_hand_off(void *state, struct proto_handoff *h, const struct proto_sink *k)
{
	struct http1_request req;

	if (!http1_conn_hand_off(state, &req, http1_proto_on_exchange, (void *)k))
		return 0;
	memset(h, 0, sizeof(*h));
	h->key = req.seq;
	h->start_tag = req.start_tag;
	h->req_size = req.body_size;
	text_copy_cut(h->method, sizeof(h->method), req.method);
	text_copy_cut(h->target, sizeof(h->target), req.target);
	h->wire = req.wire;
	return 1;
}

static int http1_proto_park(const void *state, uint64_t *carry)
{
	return http1_conn_park(state, carry);
}

static void http1_proto_resume(void *state, uint64_t carry)
{
	http1_conn_resume(state, carry);
}

const struct proto proto_http1 = {
	.name = "http1",
	.id = ZT_PROTO_HTTP1,
	.state_size = sizeof(struct http1_conn),
	.init = http1_proto_init,
	.feed = http1_proto_feed,
	.close = http1_proto_close,
	.hand_off = http1_proto_hand_off,
	.park = http1_proto_park,
	.resume = http1_proto_resume,
};
