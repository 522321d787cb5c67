// SPDX-License-Identifier: MIT
/*
 * user/proto/http1/http1_proto.c, http1_exchange_record(): an HTTP exchange
 * as the neutral record every exporter shares. The exact name, attribute
 * keys, values and order (and where the connection's addresses go), the
 * code, the status and its message for SERVER and CLIENT (OTel's HTTP span
 * status rule), the metric family and its labels, sizes and tags; route
 * templating, query split and redaction, a missing response, a status line
 * never seen, HTTP/1.0, the longest target.
 *
 * The connection's half of a span (endpoints, address forms, times plus the
 * clock offset, process names, roles) is the tracer's: test_tracer.c.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "http1.h"
#include "proto.h"
#include "span_attrs_check.h"
#include "span_fixture.h"

#define HR_SEQ 7

/* GET target, request tags 1000..1100 (body 7), response 2000..5000 status
 * 200 (body 5), both HTTP/1.1. */
static struct http1_exchange hr_exchange(const char *method, const char *target)
{
	struct http1_exchange ex;

	memset(&ex, 0, sizeof(ex));
	ex.req.start_tag = 1000;
	ex.req.end_tag = 1100;
	ex.req.body_size = 7;
	ex.req.flags = HTTP1_MSG_EXPECT_CONTINUE;
	ex.req.version_minor = 1;
	ex.req.seq = HR_SEQ;
	strcpy(ex.req.method, method);
	strcpy(ex.req.target, target);
	strcpy(ex.req.host, "example.test");
	ex.has_response = 1;
	ex.resp.start_tag = 2000;
	ex.resp.end_tag = 5000;
	ex.resp.body_size = 5;
	ex.resp.flags = HTTP1_MSG_CHUNKED;
	ex.resp.status = 200;
	ex.resp.version_minor = 1;
	return ex;
}

/* As the parser reports a request the connection ended before any answer:
 * the response zeroed. */
static struct http1_exchange hr_unanswered(const char *method, const char *target)
{
	struct http1_exchange ex = hr_exchange(method, target);

	memset(&ex.resp, 0, sizeof(ex.resp));
	ex.has_response = 0;
	ex.req.flags = HTTP1_MSG_INCOMPLETE;
	return ex;
}

/* The record of ex as a kind span, built over stale bytes (so nothing a
 * previous record left can show through). Rotating static storage. */
static const struct proto_exchange *hr_record(const struct http1_exchange *ex, uint8_t kind)
{
	static struct proto_exchange x[4];
	static unsigned int next;
	struct proto_exchange *p = &x[next++ % 4];

	memset(p, 0xa5, sizeof(*p));
	http1_exchange_record(ex, kind, p);
	return p;
}

static void hr_expect_metric(const struct proto_exchange *x, uint8_t family, const char *method,
			     const char *route, const char *status)
{
	cr_expect_eq(x->metric.family, family);
	cr_expect_str_eq(span_metric_label(&x->metric, 0), method);
	cr_expect_str_eq(span_metric_label(&x->metric, 1), route);
	cr_expect_str_eq(span_metric_label(&x->metric, 2), status);
	cr_expect_str_eq(span_metric_label(&x->metric, 3), "", "HTTP has 3 labels");
}

#define HR_TAIL "network.protocol.version=\"1.1\" http.request.body.size=7 " \
		"http.response.body.size=5"

Test(http1_record, server_every_field)
{
	struct http1_exchange ex = hr_exchange("GET", "/items/42?a=1&token=x");
	const struct proto_exchange *x = hr_record(&ex, SPAN_KIND_SERVER);

	cr_expect_str_eq(x->name, "GET /items/{id}");
	cr_expect_str_eq(sa_render(&x->attrs),
			 "http.request.method=\"GET\" url.path=\"/items/42\" "
			 "url.query=\"a=1&token=REDACTED\" http.response.status_code=200 " HR_TAIL);
	cr_expect_eq(x->endpoints_at, 4, "the addresses go after the status code");
	cr_expect_eq(x->attrs.overflow, 0);
	cr_expect_str_eq(x->code, "200");
	cr_expect_eq(x->status, SPAN_STATUS_UNSET);
	cr_expect_str_eq(x->status_message, "");
	hr_expect_metric(x, METRIC_HTTP_SERVER, "GET", "/items/{id}", "200");
	cr_expect_eq(x->key, HR_SEQ);
	cr_expect_eq(x->has_response, 1);
	cr_expect_eq(x->start_tag, 1000);
	cr_expect_eq(x->end_tag, 5000);
	cr_expect_eq(x->req_size, 7);
	cr_expect_eq(x->resp_size, 5);
	cr_expect_eq(x->wire, &ex.req.wire, "the request's own trace context");
}

Test(http1_record, client_same_exchange)
{
	struct http1_exchange ex = hr_exchange("POST", "/orders");
	const struct proto_exchange *x = hr_record(&ex, SPAN_KIND_CLIENT);

	cr_expect_str_eq(x->name, "POST /orders");
	cr_expect_str_eq(sa_render(&x->attrs),
			 "http.request.method=\"POST\" url.path=\"/orders\" "
			 "http.response.status_code=200 " HR_TAIL);
	cr_expect_eq(x->endpoints_at, 3);
	cr_expect_null(sa_find(&x->attrs, "url.query"), "no '?': no url.query");
	cr_expect_str_eq(x->code, "200");
	cr_expect_eq(x->status, SPAN_STATUS_UNSET);
	cr_expect_str_eq(x->status_message, "");
	hr_expect_metric(x, METRIC_HTTP_CLIENT, "POST", "/orders", "200");
	cr_expect_eq(x->start_tag, 1000);
	cr_expect_eq(x->end_tag, 5000);
}

Test(http1_record, missing_response_has_no_status)
{
	struct http1_exchange ex = hr_unanswered("DELETE", "/items/7");
	const struct proto_exchange *x;

	for (uint8_t kind = SPAN_KIND_SERVER; kind <= SPAN_KIND_CLIENT; kind++) {
		x = hr_record(&ex, kind);
		cr_expect_str_eq(x->name, "DELETE /items/{id}");
		cr_expect_str_eq(sa_render(&x->attrs),
				 "http.request.method=\"DELETE\" url.path=\"/items/7\" "
				 "network.protocol.version=\"1.1\" http.request.body.size=7 "
				 "http.response.body.size=0");
		cr_expect_eq(x->endpoints_at, 2);
		cr_expect_null(sa_find(&x->attrs, "http.response.status_code"));
		cr_expect_str_eq(x->code, "");
		cr_expect_eq(x->status, SPAN_STATUS_ERROR);
		cr_expect_str_eq(x->status_message, "connection closed before a response");
		hr_expect_metric(x, kind == SPAN_KIND_SERVER ? METRIC_HTTP_SERVER :
							       METRIC_HTTP_CLIENT,
				 "DELETE", "/items/{id}", "");
		cr_expect_eq(x->has_response, 0);
		cr_expect_eq(x->start_tag, 1000);
		cr_expect_eq(x->end_tag, 1100, "ends with the request");
		cr_expect_eq(x->req_size, 7);
		cr_expect_eq(x->resp_size, 0);
	}
}

/*
 * span_build's contract: without a response, the response's fields are
 * ignored (its body size, status) whatever the exchange holds there.
 */
Test(http1_record, missing_response_ignores_response_fields)
{
	struct http1_exchange ex = hr_exchange("DELETE", "/items/7");
	const struct proto_exchange *x;

	ex.has_response = 0;
	ex.req.flags = HTTP1_MSG_INCOMPLETE;
	x = hr_record(&ex, SPAN_KIND_SERVER);
	cr_expect_null(sa_find(&x->attrs, "http.response.status_code"));
	cr_expect_str_eq(x->code, "");
	cr_expect_eq(x->status, SPAN_STATUS_ERROR);
	cr_expect_eq(x->end_tag, 1100, "ends with the request");
	cr_expect_eq(x->resp_size, 0, "response size %llu without a response",
		     (unsigned long long)x->resp_size);
	cr_expect_str_eq(sa_render(&x->attrs),
			 "http.request.method=\"DELETE\" url.path=\"/items/7\" "
			 "network.protocol.version=\"1.1\" http.request.body.size=7 "
			 "http.response.body.size=0");
}

Test(http1_record, query_split_and_redaction)
{
	struct http1_exchange ex;
	const struct proto_exchange *x;

	ex = hr_exchange("GET", "/search?a=1&token=x");
	x = hr_record(&ex, SPAN_KIND_SERVER);
	cr_expect_str_eq(sa_str(&x->attrs, "url.path"), "/search");
	cr_expect_str_eq(sa_str(&x->attrs, "url.query"), "a=1&token=REDACTED");

	ex = hr_exchange("GET", "/p?Password=hunter2&API_KEY=k&x");
	x = hr_record(&ex, SPAN_KIND_SERVER);
	cr_expect_str_eq(sa_str(&x->attrs, "url.query"), "Password=REDACTED&API_KEY=REDACTED&x");

	/* '?' with nothing after it: a query, empty */
	ex = hr_exchange("GET", "/p?");
	x = hr_record(&ex, SPAN_KIND_SERVER);
	cr_expect_str_eq(sa_str(&x->attrs, "url.path"), "/p");
	cr_expect_eq(sa_count(&x->attrs, "url.query"), 1);
	cr_expect_str_eq(sa_str(&x->attrs, "url.query"), "");

	/* a fragment is not part of the query */
	ex = hr_exchange("GET", "/p?q=1#frag");
	x = hr_record(&ex, SPAN_KIND_SERVER);
	cr_expect_str_eq(sa_str(&x->attrs, "url.path"), "/p");
	cr_expect_str_eq(sa_str(&x->attrs, "url.query"), "q=1");

	/* absolute-form (proxy requests) keeps only the path */
	ex = hr_exchange("GET", "http://example.test:8080/a/b?sig=zz");
	x = hr_record(&ex, SPAN_KIND_SERVER);
	cr_expect_str_eq(sa_str(&x->attrs, "url.path"), "/a/b");
	cr_expect_str_eq(x->name, "GET /a/b");
	cr_expect_str_eq(span_metric_label(&x->metric, 1), "/a/b");
	cr_expect_str_eq(sa_str(&x->attrs, "url.query"), "sig=REDACTED");
	cr_expect_str_eq(sa_keys(&x->attrs),
			 "http.request.method,url.path,url.query,http.response.status_code,"
			 "network.protocol.version,http.request.body.size,http.response.body.size");
}

Test(http1_record, route_and_name)
{
	struct http1_exchange ex;
	const struct proto_exchange *x;

	ex = hr_exchange("GET", "/items/42?a=1");
	x = hr_record(&ex, SPAN_KIND_SERVER);
	cr_expect_str_eq(x->name, "GET /items/{id}");
	cr_expect_str_eq(span_metric_label(&x->metric, 1), "/items/{id}");

	ex = hr_exchange("PUT", "/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301/files/deadbeefdeadbeef");
	x = hr_record(&ex, SPAN_KIND_CLIENT);
	cr_expect_str_eq(x->name, "PUT /users/{id}/files/{id}");
	cr_expect_str_eq(sa_str(&x->attrs, "url.path"),
			 "/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301/files/deadbeefdeadbeef");
	hr_expect_metric(x, METRIC_HTTP_CLIENT, "PUT", "/users/{id}/files/{id}", "200");

	ex = hr_exchange("OPTIONS", "*");
	x = hr_record(&ex, SPAN_KIND_SERVER);
	cr_expect_str_eq(x->name, "OPTIONS *");
	cr_expect_str_eq(sa_str(&x->attrs, "url.path"), "*");

	/* a gap hid the request line: no method, no target */
	ex = hr_exchange("", "");
	x = hr_record(&ex, SPAN_KIND_SERVER);
	cr_expect_str_eq(x->name, " ");
	cr_expect_str_eq(sa_str(&x->attrs, "http.request.method"), "");
	cr_expect_str_eq(sa_str(&x->attrs, "url.path"), "");
	hr_expect_metric(x, METRIC_HTTP_SERVER, "", "", "200");
}

Test(http1_record, longest_target_fits)
{
	struct http1_exchange ex = hr_exchange("GET", "/");
	const struct proto_exchange *x;
	char method[HTTP1_METHOD_MAX], want[SPAN_NAME_MAX];

	/* a 511-byte path: kept whole in url.path, route cut to 255 ('z' is
	 * not hex, so the segment is not an id) */
	memset(ex.req.target, 'z', HTTP1_TARGET_MAX - 1);
	ex.req.target[0] = '/';
	ex.req.target[HTTP1_TARGET_MAX - 1] = '\0';
	ex.req.flags = HTTP1_MSG_TARGET_TRUNCATED;
	/* and the longest method: the name still holds both whole */
	memset(method, 'M', sizeof(method) - 1);
	method[sizeof(method) - 1] = '\0';
	strcpy(ex.req.method, method);
	x = hr_record(&ex, SPAN_KIND_SERVER);
	cr_expect_eq(sa_len(&x->attrs, "url.path"), HTTP1_TARGET_MAX - 1,
		     "url.path has %zu bytes", sa_len(&x->attrs, "url.path"));
	cr_expect_eq(strlen(span_metric_label(&x->metric, 1)), 255);
	snprintf(want, sizeof(want), "%s /%.254s", method, ex.req.target + 1);
	cr_expect_str_eq(x->name, want);
	cr_expect_str_eq(span_metric_label(&x->metric, 0), method);
	cr_expect_null(sa_find(&x->attrs, "url.query"));
	cr_expect_eq(x->attrs.overflow, 0);

	/* a 509-byte query: redacted output whole */
	memset(ex.req.target, 'z', HTTP1_TARGET_MAX - 1);
	memcpy(ex.req.target, "/?", 2);
	x = hr_record(&ex, SPAN_KIND_SERVER);
	cr_expect_str_eq(sa_str(&x->attrs, "url.path"), "/");
	cr_expect_eq(sa_len(&x->attrs, "url.query"), HTTP1_TARGET_MAX - 3);
	cr_expect_eq(x->attrs.overflow, 0);
}

/*
 * The route is the template of the whole path, cut after templating: ids
 * shorten a long path, so its last segments (often the ones that tell
 * routes apart) stay in the name and the metric label. 261 bytes of path.
 */
Test(http1_record, route_of_a_long_path_keeps_its_tail)
{
	static const char seg[] = "/0123456789abcdef0123456789abcdef01234567"; /* 40 hex */
	struct http1_exchange ex = hr_exchange("GET", "/");
	const struct proto_exchange *x;
	char target[HTTP1_TARGET_MAX] = "/files";

	for (int i = 0; i < 6; i++)
		strcat(target, seg);
	strcat(target, "/download");
	cr_assert_eq(strlen(target), 261);
	strcpy(ex.req.target, target);
	x = hr_record(&ex, SPAN_KIND_SERVER);
	cr_expect_str_eq(x->name, "GET /files/{id}/{id}/{id}/{id}/{id}/{id}/download");
	cr_expect_str_eq(span_metric_label(&x->metric, 1),
			 "/files/{id}/{id}/{id}/{id}/{id}/{id}/download");
	cr_expect_str_eq(sa_str(&x->attrs, "url.path"), target);
}

Test(http1_record, http10_version)
{
	struct http1_exchange ex = hr_exchange("GET", "/");
	const struct proto_exchange *x;

	ex.req.version_minor = 0;
	ex.resp.status = 404;
	x = hr_record(&ex, SPAN_KIND_SERVER);
	cr_expect_str_eq(sa_str(&x->attrs, "network.protocol.version"), "1.0");
	cr_expect_str_eq(sa_render(&x->attrs),
			 "http.request.method=\"GET\" url.path=\"/\" "
			 "http.response.status_code=404 network.protocol.version=\"1.0\" "
			 "http.request.body.size=7 http.response.body.size=5");
	cr_expect_str_eq(x->code, "404");
	cr_expect_eq(x->status, SPAN_STATUS_UNSET, "a 4xx is the client's error");
	hr_expect_metric(x, METRIC_HTTP_SERVER, "GET", "/", "404");
}

/*
 * http1 reports a response whose status line a capture cut short with
 * status 0: the record has no status code (no "http.response.status_code":0
 * in the JSON, no code, "" as the metric label), but keeps the response's
 * body size and end time.
 */
Test(http1_record, response_without_a_seen_status_code)
{
	struct http1_exchange ex = hr_exchange("GET", "/");
	const struct proto_exchange *x;

	ex.resp.status = 0;
	ex.resp.flags = HTTP1_MSG_HEAD_TRUNCATED;
	x = hr_record(&ex, SPAN_KIND_SERVER);
	cr_expect_eq(x->end_tag, 5000);
	cr_expect_eq(x->resp_size, 5);
	cr_expect_eq(x->has_response, 1);
	cr_expect_null(sa_find(&x->attrs, "http.response.status_code"));
	cr_expect_str_eq(sa_render(&x->attrs),
			 "http.request.method=\"GET\" url.path=\"/\" " HR_TAIL);
	cr_expect_str_eq(x->code, "");
	cr_expect_eq(x->status, SPAN_STATUS_ERROR);
	cr_expect_str_eq(x->status_message, "connection closed before a response");
	hr_expect_metric(x, METRIC_HTTP_SERVER, "GET", "/", "");
}

/* A response tag before the request start is clamped: no negative span. */
Test(http1_record, end_never_before_start)
{
	struct http1_exchange ex = hr_exchange("GET", "/");
	const struct proto_exchange *x;

	ex.resp.end_tag = 10;
	x = hr_record(&ex, SPAN_KIND_SERVER);
	cr_expect_eq(x->start_tag, 1000);
	cr_expect_eq(x->end_tag, 1000);
	ex = hr_unanswered("GET", "/");
	ex.req.end_tag = 999;
	x = hr_record(&ex, SPAN_KIND_CLIENT);
	cr_expect_eq(x->end_tag, 1000);
}

/* Body sizes are int64 attributes: past INT64_MAX they are clamped, never
 * negative; the span's sizes keep the count as it is. */
Test(http1_record, body_sizes_clamped_to_int64)
{
	struct http1_exchange ex = hr_exchange("POST", "/up");
	const struct proto_exchange *x;
	int64_t v;

	ex.req.body_size = UINT64_MAX;
	ex.resp.body_size = (uint64_t)INT64_MAX + 1;
	x = hr_record(&ex, SPAN_KIND_CLIENT);
	cr_assert(sa_int(&x->attrs, "http.request.body.size", &v));
	cr_expect_eq(v, INT64_MAX);
	cr_assert(sa_int(&x->attrs, "http.response.body.size", &v));
	cr_expect_eq(v, INT64_MAX);
	cr_expect_eq(x->req_size, UINT64_MAX);
	cr_expect_eq(x->resp_size, (uint64_t)INT64_MAX + 1);
	ex.req.body_size = INT64_MAX;
	x = hr_record(&ex, SPAN_KIND_CLIENT);
	cr_assert(sa_int(&x->attrs, "http.request.body.size", &v));
	cr_expect_eq(v, INT64_MAX);
}

/* ---- The status rule (OTel HTTP span status), formerly the encoder's ---- */

/* The record's status for a kind span of a response with `status` (-1: no
 * response at all); its message in *msg (static). */
static int hr_status(uint8_t kind, int status, const char **msg)
{
	static char m[SPAN_STATUS_MSG_MAX];
	struct http1_exchange ex = status < 0 ? hr_unanswered("GET", "/") :
						hr_exchange("GET", "/");
	const struct proto_exchange *x;

	if (status >= 0)
		ex.resp.status = (uint16_t)status;
	x = hr_record(&ex, kind);
	memcpy(m, x->status_message, sizeof(m));
	cr_assert(memchr(m, '\0', sizeof(m)), "message not terminated");
	*msg = m;
	cr_assert(x->status == SPAN_STATUS_UNSET || x->status == SPAN_STATUS_ERROR);
	if (x->status == SPAN_STATUS_UNSET)
		cr_expect_str_eq(m, "", "UNSET carries no message");
	return x->status;
}

Test(http1_record, status_rule)
{
	const char *msg = NULL;

	cr_assert_eq(hr_status(SPAN_KIND_SERVER, 500, &msg), SPAN_STATUS_ERROR);
	cr_assert_str_eq(msg, "HTTP 500");
	cr_assert_eq(hr_status(SPAN_KIND_SERVER, 503, &msg), SPAN_STATUS_ERROR);
	cr_assert_str_eq(msg, "HTTP 503");
	cr_assert_eq(hr_status(SPAN_KIND_SERVER, 599, &msg), SPAN_STATUS_ERROR);
	cr_assert_str_eq(msg, "HTTP 599");
	cr_assert_eq(hr_status(SPAN_KIND_SERVER, 404, &msg), SPAN_STATUS_UNSET);
	cr_assert_str_eq(msg, "");
	cr_assert_eq(hr_status(SPAN_KIND_SERVER, 200, &msg), SPAN_STATUS_UNSET);
	cr_assert_eq(hr_status(SPAN_KIND_CLIENT, 404, &msg), SPAN_STATUS_ERROR);
	cr_assert_str_eq(msg, "HTTP 404");
	cr_assert_eq(hr_status(SPAN_KIND_CLIENT, 400, &msg), SPAN_STATUS_ERROR);
	cr_assert_str_eq(msg, "HTTP 400");
	cr_assert_eq(hr_status(SPAN_KIND_CLIENT, 502, &msg), SPAN_STATUS_ERROR);
	cr_assert_str_eq(msg, "HTTP 502");
	cr_assert_eq(hr_status(SPAN_KIND_CLIENT, 399, &msg), SPAN_STATUS_UNSET);
	cr_assert_eq(hr_status(SPAN_KIND_CLIENT, 101, &msg), SPAN_STATUS_UNSET);
	cr_assert_eq(hr_status(SPAN_KIND_CLIENT, 200, &msg), SPAN_STATUS_UNSET);
	cr_assert_eq(hr_status(SPAN_KIND_SERVER, -1, &msg), SPAN_STATUS_ERROR);
	cr_assert_str_eq(msg, "connection closed before a response");
	cr_assert_eq(hr_status(SPAN_KIND_CLIENT, -1, &msg), SPAN_STATUS_ERROR);
	cr_assert_str_eq(msg, "connection closed before a response");
	/* codes no HTTP/1 parser yields: uninterpretable, so ERROR */
	cr_assert_eq(hr_status(SPAN_KIND_SERVER, 999, &msg), SPAN_STATUS_ERROR);
	cr_assert_str_eq(msg, "HTTP 999");
	cr_assert_eq(hr_status(SPAN_KIND_SERVER, 1000, &msg), SPAN_STATUS_ERROR);
	cr_assert_str_eq(msg, "invalid HTTP status");
	cr_assert_eq(hr_status(SPAN_KIND_CLIENT, 65535, &msg), SPAN_STATUS_ERROR);
	cr_assert_str_eq(msg, "invalid HTTP status");
	cr_assert_eq(hr_status(SPAN_KIND_SERVER, 99, &msg), SPAN_STATUS_ERROR);
	cr_assert_str_eq(msg, "invalid HTTP status");
	/* a response whose status line was never seen (status 0) */
	cr_assert_eq(hr_status(SPAN_KIND_SERVER, 0, &msg), SPAN_STATUS_ERROR);
	cr_assert_str_eq(msg, "connection closed before a response");
}

/* Every code and kind: ERROR exactly for 5xx, for 4xx on a CLIENT, and for
 * what is no HTTP status; the code and label are its decimal. */
Test(http1_record, status_rule_every_code)
{
	for (uint32_t st = 1; st <= 1100; st++) {
		for (uint8_t kind = SPAN_KIND_SERVER; kind <= SPAN_KIND_CLIENT; kind++) {
			struct http1_exchange ex = hr_exchange("GET", "/");
			const struct proto_exchange *x;
			int error = st >= 500 || (st >= 400 && kind == SPAN_KIND_CLIENT) || st < 100;
			char code[8];
			int64_t v;

			ex.resp.status = (uint16_t)st;
			x = hr_record(&ex, kind);
			snprintf(code, sizeof(code), "%u", st);
			cr_assert_eq(x->status, error ? SPAN_STATUS_ERROR : SPAN_STATUS_UNSET,
				     "status %u kind %u", st, kind);
			cr_assert_str_eq(x->code, code);
			cr_assert_str_eq(span_metric_label(&x->metric, 2), code);
			cr_assert(sa_int(&x->attrs, "http.response.status_code", &v));
			cr_assert_eq(v, st);
		}
	}
}

/* ---- The exporters' fixture builds what the module builds ---- */

/* The span the tracer makes from x: the connection's addresses inserted at
 * x->endpoints_at (as span_from_exchange does). */
static void hr_span_of(struct span *s, const struct proto_exchange *x)
{
	const struct span_attrs *src = &x->attrs;
	size_t n;
	const char *v;

	s->attrs.n = s->attrs.text_len = s->attrs.overflow = 0;
	for (uint16_t i = 0; i <= src->n; i++) {
		if (i == x->endpoints_at)
			span_attrs_endpoints(&s->attrs, s);
		if (i == src->n)
			break;
		if (src->a[i].type == SPAN_ATTR_INT) {
			span_attrs_int(&s->attrs, src->a[i].key, src->a[i].num);
		} else {
			v = span_attr_str(src, &src->a[i], &n);
			span_attrs_str(&s->attrs, src->a[i].key, v, n);
		}
	}
	memcpy(s->name, x->name, sizeof(s->name));
	memcpy(s->code, x->code, sizeof(s->code));
	memcpy(s->status_message, x->status_message, sizeof(s->status_message));
	s->status = x->status;
	s->metric = x->metric;
	s->req_size = x->req_size;
	s->resp_size = x->resp_size;
}

static void hr_endpoints(struct span *s, uint8_t kind)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	strcpy(s->server.address, "10.0.0.1");
	s->server.port = 8080;
	strcpy(s->client.address, "10.0.0.2");
	s->client.port = 54321;
	strcpy(s->peer.address, kind == SPAN_KIND_SERVER ? "10.0.0.2" : "10.0.0.1");
	s->peer.port = kind == SPAN_KIND_SERVER ? 54321 : 8080;
}

Test(http1_record, fixture_matches_the_module)
{
	static const struct {
		const char *method, *target;
		int status; /* -1: no response */
		uint8_t version_minor;
		uint64_t req_body, resp_body;
		struct http_fields f;
	} cases[] = {
		{ "GET", "/items/42?a=1&token=x", 200, 1, 7, 5,
		  { "GET", "/items/42", "a=1&token=REDACTED", "/items/{id}", 200, 1, 7, 5 } },
		{ "POST", "/orders", 503, 1, 12, 0,
		  { "POST", "/orders", NULL, NULL, 503, 1, 12, 0 } },
		{ "DELETE", "/x/7?", 404, 0, 0, 9,
		  { "DELETE", "/x/7", "", "/x/{id}", 404, 0, 0, 9 } },
		{ "GET", "/slow", -1, 1, 3, 0,
		  { "GET", "/slow", NULL, NULL, 0, 1, 3, 0 } },
		{ "GET", "/cut", 0, 1, 0, 44,
		  { "GET", "/cut", NULL, NULL, 0, 1, 0, 44 } },
		{ "GET", "/odd", 1000, 1, 0, 0,
		  { "GET", "/odd", NULL, NULL, 1000, 1, 0, 0 } },
		{ "PUT", "/big", 201, 1, UINT64_MAX, (uint64_t)INT64_MAX + 1,
		  { "PUT", "/big", NULL, NULL, 201, 1, UINT64_MAX, (uint64_t)INT64_MAX + 1 } },
	};
	static struct span mod, fix;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (uint8_t kind = SPAN_KIND_SERVER; kind <= SPAN_KIND_CLIENT; kind++) {
			struct http1_exchange ex = cases[i].status < 0 ?
				hr_unanswered(cases[i].method, cases[i].target) :
				hr_exchange(cases[i].method, cases[i].target);

			ex.req.version_minor = cases[i].version_minor;
			ex.req.body_size = cases[i].req_body;
			if (cases[i].status >= 0) {
				ex.resp.status = (uint16_t)cases[i].status;
				ex.resp.body_size = cases[i].resp_body;
			}
			hr_endpoints(&mod, kind);
			hr_span_of(&mod, hr_record(&ex, kind));
			hr_endpoints(&fix, kind);
			span_fixture_http(&fix, &cases[i].f);
			cr_expect_str_eq(sa_render(&fix.attrs), sa_render(&mod.attrs), "case %zu", i);
			cr_expect_str_eq(fix.name, mod.name, "case %zu", i);
			cr_expect_str_eq(fix.code, mod.code, "case %zu", i);
			cr_expect_eq(fix.status, mod.status, "case %zu kind %u", i, kind);
			cr_expect_str_eq(fix.status_message, mod.status_message, "case %zu", i);
			cr_expect_eq(fix.req_size, mod.req_size, "case %zu", i);
			cr_expect_eq(fix.resp_size, mod.resp_size, "case %zu", i);
			cr_expect_eq(fix.metric.family, mod.metric.family, "case %zu", i);
			for (uint32_t k = 0; k < METRIC_LABELS_MAX; k++)
				cr_expect_str_eq(span_metric_label(&fix.metric, k),
						 span_metric_label(&mod.metric, k), "case %zu", i);
		}
	}
}
