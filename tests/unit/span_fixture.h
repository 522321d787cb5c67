/* SPDX-License-Identifier: MIT */
/*
 * Test fixture: a span as the agent builds one for an HTTP exchange, from
 * plain fields, without the parser. Exporter tests use it so their expected
 * output stays the one the tracer produces (the tracer tests build the same
 * spans from bytes). Header-only, for tests and fuzzers.
 */
#ifndef ZT_SPAN_FIXTURE_H
#define ZT_SPAN_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "span.h"

struct http_fields {
	const char *method;
	const char *path;
	const char *query;      /* NULL: no '?' in the target */
	const char *route;      /* NULL: the path */
	uint16_t status;        /* 0: no status line seen */
	uint8_t version_minor;  /* 1: "1.1" */
	uint64_t req_body;
	uint64_t resp_body;
};

/* Sets s's name, code, status, metric and attribute list as the HTTP module
 * and the tracer would (the endpoints already set in s->server/client/peer),
 * leaving ids, times, process and kind to the caller (kind must be set). */
static inline void span_fixture_http(struct span *s, const struct http_fields *f)
{
	const char *route = f->route ? f->route : f->path;
	char status[8] = "";
	const char *labels[3];

	s->attrs.n = s->attrs.text_len = s->attrs.overflow = 0;
	snprintf(s->name, sizeof(s->name), "%s %s", f->method, route);
	span_attrs_cstr(&s->attrs, "http.request.method", f->method);
	span_attrs_cstr(&s->attrs, "url.path", f->path);
	if (f->query)
		span_attrs_cstr(&s->attrs, "url.query", f->query);
	s->code[0] = '\0';
	if (f->status) {
		span_attrs_int(&s->attrs, "http.response.status_code", f->status);
		snprintf(status, sizeof(status), "%u", f->status);
		snprintf(s->code, sizeof(s->code), "%u", f->status);
	}
	span_attrs_endpoints(&s->attrs, s);
	span_attrs_cstr(&s->attrs, "network.protocol.version", f->version_minor ? "1.1" : "1.0");
	/* int64 attributes: the module clamps what it counts */
	span_attrs_int(&s->attrs, "http.request.body.size",
		       f->req_body > INT64_MAX ? INT64_MAX : (int64_t)f->req_body);
	span_attrs_int(&s->attrs, "http.response.body.size",
		       f->resp_body > INT64_MAX ? INT64_MAX : (int64_t)f->resp_body);
	s->req_size = f->req_body;
	s->resp_size = f->resp_body;
	s->status = SPAN_STATUS_UNSET;
	s->status_message[0] = '\0';
	if (!f->status) {
		s->status = SPAN_STATUS_ERROR;
		snprintf(s->status_message, sizeof(s->status_message),
			 "connection closed before a response");
	} else if (f->status >= 400 && f->status <= 999 &&
		   (f->status >= 500 || s->kind == SPAN_KIND_CLIENT)) {
		s->status = SPAN_STATUS_ERROR;
		snprintf(s->status_message, sizeof(s->status_message), "HTTP %u", f->status);
	} else if (f->status < 100 || f->status > 999) {
		/* a code no HTTP/1 parser yields */
		s->status = SPAN_STATUS_ERROR;
		snprintf(s->status_message, sizeof(s->status_message), "invalid HTTP status");
	}
	labels[0] = f->method;
	labels[1] = route;
	labels[2] = status;
	span_metric_set(&s->metric,
			s->kind == SPAN_KIND_SERVER ? METRIC_HTTP_SERVER : METRIC_HTTP_CLIENT, labels);
}

#endif /* ZT_SPAN_FIXTURE_H */
