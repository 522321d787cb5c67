// SPDX-License-Identifier: MIT
/* An HTTP/2 stream's exchange record: gRPC's status and names, OTel's HTTP
 * and RPC attributes; the contract is in http2.h. */
#include <stdio.h>
#include <string.h>

#include "http2.h"
#include "http2_stream.h"
#include "redact.h"
#include "route.h"
#include "text.h"

/* ---- gRPC status -------------------------------------------------------- */

static const char *const grpc_names[] = {
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
	"UNAUTHENTICATED",
};

const char *grpc_status_name(int32_t code)
{
	return code >= 0 && code < (int32_t)(sizeof(grpc_names) / sizeof(grpc_names[0])) ?
		       grpc_names[code] : NULL;
}

int grpc_status_is_error(int32_t code, uint8_t kind)
{
	if (code == 0)
		return 0;
	if (kind != SPAN_KIND_SERVER)
		return 1;
	switch (code) {
	case 2:  /* UNKNOWN */
	case 4:  /* DEADLINE_EXCEEDED */
	case 12: /* UNIMPLEMENTED */
	case 13: /* INTERNAL */
	case 14: /* UNAVAILABLE */
	case 15: /* DATA_LOSS */
		return 1;
	}
	return code < 0 || code > 16;
}

/* ---- the exchange record ------------------------------------------------ */

/* "a: b" (or "a" when b is empty) into out[cap], cut to fit. */
static void h2_message(char *out, size_t cap, const char *a, const char *b)
{
	size_t n = strnlen(a, cap - 1), m;

	memcpy(out, a, n);
	if (b[0] && n + 2 < cap) {
		out[n++] = ':';
		out[n++] = ' ';
		m = strnlen(b, cap - 1 - n);
		memcpy(out + n, b, m);
		n += m;
	}
	out[n] = '\0';
}

static void h2_record_status(struct proto_exchange *x, const struct h2_stream *s, uint8_t kind)
{
	if (s->grpc && s->has_grpc_status) {
		const char *name = grpc_status_name(s->grpc_status);

		if (!grpc_status_is_error(s->grpc_status, kind))
			return;
		x->status = SPAN_STATUS_ERROR;
		h2_message(x->status_message, sizeof(x->status_message), name ? name : "gRPC status",
			   s->grpc_message);
		return;
	}
	if (s->reset) {
		x->status = SPAN_STATUS_ERROR;
		snprintf(x->status_message, sizeof(x->status_message), "stream reset (error %u)",
			 s->rst_code);
	} else if (!s->status) {
		x->status = SPAN_STATUS_ERROR;
		snprintf(x->status_message, sizeof(x->status_message), "%s",
			 s->incomplete ? "response headers not decoded" : "stream ended before a response");
	} else if (s->status >= 500 || (s->status >= 400 && kind == SPAN_KIND_CLIENT)) {
		x->status = SPAN_STATUS_ERROR;
		snprintf(x->status_message, sizeof(x->status_message), "HTTP %u", s->status);
	} else if (s->grpc && !s->has_grpc_status && s->ended[PROTO_SIDE_RESPONSE]) {
		x->status = SPAN_STATUS_ERROR;
		snprintf(x->status_message, sizeof(x->status_message), "gRPC call without a status");
	}
}

/* The names before OTel's RPC conventions were reworked, for dashboards
 * that still read them (rpc/dup). rpc.method keeps its current value
 * ("Service/Method"): one key cannot hold both. */
static void h2_record_rpc_dup(struct proto_exchange *x, const struct h2_stream *s,
			      const char *path, size_t path_len)
{
	const char *slash = path_len > 1 ? memchr(path + 1, '/', path_len - 1) : NULL;

	span_attrs_cstr(&x->attrs, "rpc.system", "grpc");
	if (slash)
		span_attrs_str(&x->attrs, "rpc.service", path + 1, (size_t)(slash - path - 1));
	if (s->has_grpc_status)
		span_attrs_int(&x->attrs, "rpc.grpc.status_code", s->grpc_status);
}

void h2_stream_record(const struct h2_stream *s, const struct proto_sink *k, uint64_t end_tag,
		      struct proto_exchange *x)
{
	const char *path, *q, *labels[3];
	char route[160], query[160], status[11] = "";
	size_t path_len, q_len, route_len = 0;

	memset(x, 0, offsetof(struct proto_exchange, attrs));
	x->attrs.n = x->attrs.text_len = x->attrs.overflow = 0;
	x->key = s->key;
	x->has_response = s->status != 0 || s->has_grpc_status;
	x->start_tag = s->start_tag;
	x->end_tag = end_tag < s->start_tag ? s->start_tag : end_tag;
	x->wire = &s->wire;
	x->req_size = s->body[PROTO_SIDE_REQUEST];
	x->resp_size = s->body[PROTO_SIDE_RESPONSE];

	path_len = route_split_target(s->path, strlen(s->path), &path, &q, &q_len);
	if (s->grpc && path_len > 1 && path[0] == '/') {
		/* "/pkg.Service/Method" names the span "pkg.Service/Method" */
		h2_copy(x->name, sizeof(x->name), (const uint8_t *)path + 1, path_len - 1);
	} else {
		route_len = route_template(path, path_len, route, sizeof(route));
		snprintf(x->name, sizeof(x->name), "%s%s%.*s", s->method[0] ? s->method : "HTTP",
			 route_len ? " " : "", (int)route_len, route);
	}
	if (s->method[0])
		span_attrs_cstr(&x->attrs, "http.request.method", s->method);
	if (path_len)
		span_attrs_str(&x->attrs, "url.path", path, path_len);
	if (q)
		span_attrs_str(&x->attrs, "url.query", query,
			       redact_query(q, q_len, query, sizeof(query)));
	if (s->status) {
		text_decimal(status, s->status);
		span_attrs_int(&x->attrs, "http.response.status_code", s->status);
	}
	if (s->grpc) {
		span_attrs_cstr(&x->attrs, "rpc.system.name", "grpc");
		if (path_len > 1)
			span_attrs_str(&x->attrs, "rpc.method", path + 1, path_len - 1);
		if (s->has_grpc_status) {
			const char *name = grpc_status_name(s->grpc_status);

			if (name)
				span_attrs_cstr(&x->attrs, "rpc.status_code", name);
			else
				span_attrs_int(&x->attrs, "rpc.status_code", s->grpc_status);
			text_decimal(x->code, (unsigned int)s->grpc_status);
		}
		if (k->rpc_dup)
			h2_record_rpc_dup(x, s, path, path_len);
		/* counts known only when every message's prefix was seen */
		if (!s->msgs_lost[PROTO_SIDE_REQUEST] && !s->msg_left[PROTO_SIDE_REQUEST])
			span_attrs_int(&x->attrs, "zerotrace.rpc.request.messages",
				       s->msgs[PROTO_SIDE_REQUEST]);
		if (!s->msgs_lost[PROTO_SIDE_RESPONSE] && !s->msg_left[PROTO_SIDE_RESPONSE])
			span_attrs_int(&x->attrs, "zerotrace.rpc.response.messages",
				       s->msgs[PROTO_SIDE_RESPONSE]);
	} else {
		memcpy(x->code, status, sizeof(status));
	}
	x->endpoints_at = (uint8_t)x->attrs.n;
	span_attrs_cstr(&x->attrs, "network.protocol.version", "2");
	span_attrs_cstr(&x->attrs, "url.scheme",
			s->scheme[0] ? s->scheme : (k->tls ? "https" : "http"));
	span_attrs_int(&x->attrs, "http.request.body.size",
		       x->req_size > INT64_MAX ? INT64_MAX : (int64_t)x->req_size);
	span_attrs_int(&x->attrs, "http.response.body.size",
		       x->resp_size > INT64_MAX ? INT64_MAX : (int64_t)x->resp_size);
	if (s->incomplete)
		span_attrs_int(&x->attrs, "zerotrace.hpack.incomplete", 1);
	if (s->upgraded)
		span_attrs_cstr(&x->attrs, "zerotrace.http.upgrade", "h2c");
	h2_record_status(x, s, k->kind);
	if (s->grpc) {
		const char *name = s->has_grpc_status ? grpc_status_name(s->grpc_status) : NULL;

		labels[0] = "grpc";
		labels[1] = x->name;
		labels[2] = name ? name : (s->has_grpc_status ? x->code : "");
		span_metric_set(&x->metric,
				k->kind == SPAN_KIND_SERVER ? METRIC_RPC_SERVER : METRIC_RPC_CLIENT, labels);
		return;
	}
	labels[0] = s->method;
	labels[1] = route;
	labels[2] = status;
	span_metric_set(&x->metric,
			k->kind == SPAN_KIND_SERVER ? METRIC_HTTP_SERVER : METRIC_HTTP_CLIENT, labels);
}

