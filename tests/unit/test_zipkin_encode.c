// SPDX-License-Identifier: MIT
/*
 * exporters/zipkin_encode.c: the exact Zipkin v2 JSON of a span (ids,
 * kind, times in microseconds, endpoints, tags with the status and the
 * resource), 64-bit trace ids, rounding, remote endpoints of each address
 * family, list tags, a resource key over a span key, and the request body.
 */
#define _GNU_SOURCE /* strndup */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zipkin_encode.h"
#include "span_fixture.h"

/* A SERVER span of a fully described process, answered 503. */
static void zk_full(struct span *s, struct procinfo *r)
{
	memset(s, 0, sizeof(*s));
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 16; i++)
		s->trace_id[i] = (uint8_t)(i + 1);
	for (int i = 0; i < 8; i++) {
		s->span_id[i] = (uint8_t)(0xa1 + i);
		s->parent_span_id[i] = (uint8_t)(0xf0 + i);
	}
	s->has_parent = 1;
	s->kind = SPAN_KIND_SERVER;
	s->start_unix_ns = 1700000000123456789ULL;
	s->end_unix_ns = 1700000000124691356ULL; /* 1,234,567 ns */
	s->pid = 4242;
	s->tid = 4243;
	strcpy(s->server.address, "10.0.0.1");
	s->server.port = 8080;
	strcpy(s->client.address, "10.0.0.2");
	s->client.port = 54321;
	strcpy(s->peer.address, "10.0.0.2");
	s->peer.port = 54321;
	span_fixture_http(s, &(struct http_fields){ .method = "GET", .path = "/items/42",
						   .route = "/items/{id}", .status = 503,
						   .version_minor = 1, .req_body = 12, .resp_body = 5 });
	strcpy(s->exe_name, "python3");
	strcpy(s->service_name, "shop");
	r->pid = 4242;
	r->start_time = 99;
	strcpy(r->exe_name, "python3");
	strcpy(r->exe_path, "/usr/bin/python3");
	strcpy(r->service_name, "shop");
	r->n_attrs = 1;
	strcpy(r->attrs[0].key, "deployment.environment");
	strcpy(r->attrs[0].value, "staging");
}

/* One span's JSON; free() it. */
static char *zk_json(const struct span *s, const struct procinfo *r, const char *host)
{
	struct otlp_buf b = { 0 };
	char *out;

	cr_assert_eq(zipkin_encode_span(&b, s, r, host), 0);
	out = strndup((const char *)b.data, b.len);
	cr_assert_not_null(out);
	otlp_buf_free(&b);
	return out;
}

Test(zipkin_encode, full_server_span_exact)
{
	struct span s;
	struct procinfo r;
	char *j;

	zk_full(&s, &r);
	j = zk_json(&s, &r, "node-1");
	cr_expect_str_eq(j,
		"{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"parentId\":\"f0f1f2f3f4f5f6f7\","
		"\"id\":\"a1a2a3a4a5a6a7a8\",\"kind\":\"SERVER\",\"name\":\"GET /items/{id}\","
		"\"timestamp\":1700000000123457,\"duration\":1235,"
		"\"localEndpoint\":{\"serviceName\":\"shop\"},"
		"\"remoteEndpoint\":{\"ipv4\":\"10.0.0.2\",\"port\":54321},"
		"\"tags\":{\"http.request.method\":\"GET\",\"url.path\":\"/items/42\","
		"\"http.response.status_code\":\"503\",\"server.address\":\"10.0.0.1\","
		"\"server.port\":\"8080\",\"client.address\":\"10.0.0.2\",\"client.port\":\"54321\","
		"\"network.peer.address\":\"10.0.0.2\",\"network.peer.port\":\"54321\","
		"\"network.protocol.version\":\"1.1\",\"http.request.body.size\":\"12\","
		"\"http.response.body.size\":\"5\",\"thread.id\":\"4243\","
		"\"otel.status_code\":\"ERROR\",\"error\":\"HTTP 503\","
		"\"service.name\":\"shop\",\"process.pid\":\"4242\","
		"\"process.executable.name\":\"python3\","
		"\"process.executable.path\":\"/usr/bin/python3\",\"host.name\":\"node-1\","
		"\"deployment.environment\":\"staging\"}}");
	free(j);
}

/* A trace id whose high 64 bits are zero is a 64-bit Zipkin id: 16 hex. A
 * root has no parentId. A CLIENT span; microseconds round half up, and a
 * span shorter than half a microsecond lasts 1. */
Test(zipkin_encode, short_trace_id_root_client_rounding)
{
	struct span s;
	struct procinfo r;
	char *j;

	zk_full(&s, &r);
	memset(s.trace_id, 0, 8);
	s.has_parent = 0;
	s.kind = SPAN_KIND_CLIENT;
	s.start_unix_ns = 1500;
	s.end_unix_ns = 1899; /* 399 ns */
	j = zk_json(&s, &r, "");
	cr_expect(strncmp(j, "{\"traceId\":\"090a0b0c0d0e0f10\",\"id\":\"a1a2a3a4a5a6a7a8\","
			     "\"kind\":\"CLIENT\",\"name\":\"GET /items/{id}\",\"timestamp\":2,"
			     "\"duration\":1,", strlen("{\"traceId\":\"090a0b0c0d0e0f10\",\"id\":"
						       "\"a1a2a3a4a5a6a7a8\",\"kind\":\"CLIENT\","
						       "\"name\":\"GET /items/{id}\",\"timestamp\":2,"
						       "\"duration\":1,")) == 0, "%s", j);
	cr_expect_null(strstr(j, "host.name"), "an empty host name is no tag: %s", j);
	/* a CLIENT span names its server */
	cr_expect_not_null(strstr(j, ",\"remoteEndpoint\":{\"serviceName\":\"10.0.0.1\","
				     "\"ipv4\":\"10.0.0.2\",\"port\":54321},"), "%s", j);
	free(j);

	s.start_unix_ns = 1499;
	s.end_unix_ns = 1499 + 2500; /* 2.5 us: 3 */
	j = zk_json(&s, &r, "");
	cr_expect_not_null(strstr(j, "\"timestamp\":1,\"duration\":3,"), "%s", j);
	free(j);
	s.end_unix_ns = 1000; /* ends before it starts */
	j = zk_json(&s, &r, "");
	cr_expect_not_null(strstr(j, "\"duration\":1,"), "%s", j);
	free(j);
}

/* Zipkin marks a span failed by its error tag: an error span with no
 * message still has one; an attribute of the status's names gives way. */
Test(zipkin_encode, error_tag_always_on_an_error_span)
{
	struct span s;
	struct procinfo r;
	char *j;

	zk_full(&s, &r);
	s.status_message[0] = '\0';
	span_attrs_cstr(&s.attrs, "error", "from the app");
	j = zk_json(&s, &r, "h");
	cr_expect_not_null(strstr(j, ",\"otel.status_code\":\"ERROR\",\"error\":\"\","), "%s", j);
	cr_expect_null(strstr(j, "from the app"), "%s", j);
	free(j);
	s.status = SPAN_STATUS_UNSET; /* not an error: the attribute is a tag like any */
	j = zk_json(&s, &r, "h");
	cr_expect_not_null(strstr(j, "\"error\":\"from the app\""), "%s", j);
	cr_expect_null(strstr(j, "otel.status_code"), "%s", j);
	free(j);
}

Test(zipkin_encode, remote_endpoint_of_each_address)
{
	static const struct {
		const char *addr;
		uint16_t port;
		const char *want; /* NULL: no remoteEndpoint */
	} cases[] = {
		{ "::1", 6379, ",\"remoteEndpoint\":{\"ipv6\":\"::1\",\"port\":6379}," },
		{ "::ffff:127.0.0.1", 80, ",\"remoteEndpoint\":{\"ipv4\":\"127.0.0.1\",\"port\":80}," },
		{ "fe80::1", 0, ",\"remoteEndpoint\":{\"ipv6\":\"fe80::1\"}," },
		{ "", 80, NULL },
		{ "not-an-ip", 80, NULL },
		{ "::ffff:zz", 80, NULL },
	};
	struct span s;
	struct procinfo r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *j;

		zk_full(&s, &r);
		snprintf(s.peer.address, sizeof(s.peer.address), "%s", cases[i].addr);
		s.peer.port = cases[i].port;
		j = zk_json(&s, &r, "h");
		if (cases[i].want)
			cr_expect_not_null(strstr(j, cases[i].want), "%s: %s", cases[i].addr, j);
		else
			cr_expect_null(strstr(j, "remoteEndpoint"), "%s: %s", cases[i].addr, j);
		free(j);
	}
}

/* A list attribute is one tag, a JSON list in a string; a resource
 * attribute replaces a span attribute of the same key (as OpenTelemetry's
 * exporter does); a span with no status has no status tags; strings are
 * escaped and repaired. */
Test(zipkin_encode, list_tags_resource_wins_escaping)
{
	struct span s;
	struct procinfo r;
	char *j;

	zk_full(&s, &r);
	s.attrs.n = s.attrs.text_len = 0;
	s.status = SPAN_STATUS_UNSET;
	cr_assert_eq(span_attrs_list(&s.attrs, "db.x", "a\0b\0c\0", 6), 0);
	span_attrs_cstr(&s.attrs, "deployment.environment", "span's");
	span_attrs_cstr(&s.attrs, "q", "say \"hi\"\n\xff");
	j = zk_json(&s, &r, "h");
	cr_expect_not_null(strstr(j, "\"tags\":{\"db.x\":\"[\\\"a\\\",\\\"b\\\",\\\"c\\\"]\",\"q\":\"say \\\"hi\\\"\\n\\ufffd\","
				     "\"thread.id\":\"4243\",\"service.name\":\"shop\","),
			   "%s", j);
	cr_expect_not_null(strstr(j, "\"deployment.environment\":\"staging\"}}"), "%s", j);
	cr_expect_null(strstr(j, "span's"), "%s", j);
	cr_expect_null(strstr(j, "otel.status_code"), "%s", j);
	free(j);
}

Test(zipkin_encode, request_body_is_an_array)
{
	struct otlp_encoded items[2] = {
		{ .span = (const uint8_t *)"{\"id\":\"1\"}", .span_len = 10 },
		{ .span = (const uint8_t *)"{\"id\":\"2\"}", .span_len = 10 },
	};
	struct otlp_buf b = { 0 };

	cr_assert_eq(zipkin_encode_assemble(&b, items, 2), 0);
	cr_expect_eq(b.len, 23);
	cr_expect(memcmp(b.data, "[{\"id\":\"1\"},{\"id\":\"2\"}]", 23) == 0);
	b.len = 0;
	cr_assert_eq(zipkin_encode_assemble(&b, items, 0), 0);
	cr_expect(b.len == 2 && memcmp(b.data, "[]", 2) == 0);
	otlp_buf_free(&b);
}
