// SPDX-License-Identifier: MIT
/* user/span.c: roles, address families, times, query redaction, names. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "span.h"

#define SP_OFFSET 1700000000000000000LL

/* 10.0.0.1:8080 (local) <-> 10.0.0.2:54321 (remote) */
static struct zt_conn_tuple sp_tuple_v4(void)
{
	struct zt_conn_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", t.local_addr);
	inet_pton(AF_INET, "10.0.0.2", t.remote_addr);
	t.local_port = 8080;
	t.remote_port = 54321;
	return t;
}

static struct zt_conn_tuple sp_tuple_v6(const char *local, const char *remote)
{
	struct zt_conn_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = AF_INET6;
	cr_assert_eq(inet_pton(AF_INET6, local, t.local_addr), 1);
	cr_assert_eq(inet_pton(AF_INET6, remote, t.remote_addr), 1);
	t.local_port = 443;
	t.remote_port = 40000;
	return t;
}

/* GET target, request tags 1000..1100, response 2000..5000 status 200. */
static struct http1_exchange sp_exchange(const char *method, const char *target)
{
	struct http1_exchange ex;

	memset(&ex, 0, sizeof(ex));
	ex.req.start_tag = 1000;
	ex.req.end_tag = 1100;
	ex.req.body_size = 7;
	ex.req.flags = HTTP1_MSG_EXPECT_CONTINUE;
	ex.req.version_minor = 1;
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

static struct span_conn_info sp_info(const struct zt_conn_tuple *t, uint8_t role)
{
	struct span_conn_info ci = {
		.tuple = t,
		.role = role,
		.pid = 4242,
		.tid = 4243,
		.exe_name = "python3",
		.service_name = "shop",
		.mono_to_unix_ns = SP_OFFSET,
	};
	return ci;
}

static struct span sp_build_ok(const struct http1_exchange *ex, const struct span_conn_info *ci)
{
	struct span s;

	memset(&s, 0xa5, sizeof(s));
	cr_assert_eq(span_build(&s, ex, ci), 0);
	return s;
}

Test(span, server_ipv4_every_field)
{
	struct zt_conn_tuple t = sp_tuple_v4();
	struct http1_exchange ex = sp_exchange("GET", "/items/42?a=1&token=x");
	struct span_conn_info ci = sp_info(&t, ZT_ROLE_SERVER);
	struct span s = sp_build_ok(&ex, &ci);
	static const uint8_t zero[16];

	cr_expect_eq(s.kind, SPAN_KIND_SERVER);
	cr_expect_eq(memcmp(s.trace_id, zero, 16), 0, "ids are left to the caller (zeroed)");
	cr_expect_eq(memcmp(s.span_id, zero, 8), 0);
	cr_expect_eq(s.has_parent, 0);
	cr_expect_eq(s.has_status, 1);
	cr_expect_eq(s.status, 200);
	cr_expect_eq(s.version_minor, 1);
	cr_expect_eq(s.start_unix_ns, 1700000000000001000ULL);
	cr_expect_eq(s.end_unix_ns, 1700000000000005000ULL);
	cr_expect_eq(s.req_body_size, 7);
	cr_expect_eq(s.resp_body_size, 5);
	cr_expect_eq(s.pid, 4242);
	cr_expect_eq(s.tid, 4243);
	cr_expect_eq(s.msg_flags, HTTP1_MSG_EXPECT_CONTINUE | HTTP1_MSG_CHUNKED);
	cr_expect_str_eq(s.method, "GET");
	cr_expect_str_eq(s.path, "/items/42");
	cr_expect_eq(s.has_query, 1);
	cr_expect_str_eq(s.query, "a=1&token=REDACTED");
	cr_expect_str_eq(s.route, "/items/{id}");
	cr_expect_str_eq(s.server.address, "10.0.0.1");
	cr_expect_eq(s.server.port, 8080);
	cr_expect_str_eq(s.client.address, "10.0.0.2");
	cr_expect_eq(s.client.port, 54321);
	cr_expect_str_eq(s.peer.address, "10.0.0.2");
	cr_expect_eq(s.peer.port, 54321);
	cr_expect_str_eq(s.exe_name, "python3");
	cr_expect_str_eq(s.service_name, "shop");
}

Test(span, client_ipv4_endpoints)
{
	struct zt_conn_tuple t = sp_tuple_v4();
	struct http1_exchange ex = sp_exchange("POST", "/orders");
	struct span_conn_info ci = sp_info(&t, ZT_ROLE_CLIENT);
	struct span s = sp_build_ok(&ex, &ci);

	cr_expect_eq(s.kind, SPAN_KIND_CLIENT);
	/* a client's local end is the client, its remote end the server */
	cr_expect_str_eq(s.server.address, "10.0.0.2");
	cr_expect_eq(s.server.port, 54321);
	cr_expect_str_eq(s.client.address, "10.0.0.1");
	cr_expect_eq(s.client.port, 8080);
	cr_expect_str_eq(s.peer.address, "10.0.0.2");
	cr_expect_eq(s.peer.port, 54321);
	cr_expect_str_eq(s.method, "POST");
	cr_expect_str_eq(s.path, "/orders");
	cr_expect_eq(s.has_query, 0);
	cr_expect_str_eq(s.query, "");
	cr_expect_eq(s.start_unix_ns, 1700000000000001000ULL);
	cr_expect_eq(s.end_unix_ns, 1700000000000005000ULL);
}

Test(span, server_and_client_ipv6)
{
	struct zt_conn_tuple t = sp_tuple_v6("2001:db8::1", "2001:db8:0:0:0:0:0:2");
	struct http1_exchange ex = sp_exchange("GET", "/");
	struct span_conn_info ci = sp_info(&t, ZT_ROLE_SERVER);
	struct span s = sp_build_ok(&ex, &ci);

	cr_expect_str_eq(s.server.address, "2001:db8::1");
	cr_expect_eq(s.server.port, 443);
	cr_expect_str_eq(s.client.address, "2001:db8::2");
	cr_expect_eq(s.client.port, 40000);
	cr_expect_str_eq(s.peer.address, "2001:db8::2");
	cr_expect_eq(s.peer.port, 40000);

	ci.role = ZT_ROLE_CLIENT;
	s = sp_build_ok(&ex, &ci);
	cr_expect_str_eq(s.server.address, "2001:db8::2");
	cr_expect_eq(s.server.port, 40000);
	cr_expect_str_eq(s.client.address, "2001:db8::1");
	cr_expect_eq(s.client.port, 443);
	cr_expect_str_eq(s.peer.address, "2001:db8::2");
	cr_expect_eq(s.peer.port, 40000);
}

Test(span, v4_mapped_ipv6_shown_as_ipv4)
{
	struct zt_conn_tuple t = sp_tuple_v6("::ffff:192.0.2.1", "::ffff:198.51.100.7");
	struct http1_exchange ex = sp_exchange("GET", "/");
	struct span_conn_info ci = sp_info(&t, ZT_ROLE_SERVER);
	struct span s = sp_build_ok(&ex, &ci);

	cr_expect_str_eq(s.server.address, "192.0.2.1");
	cr_expect_eq(s.server.port, 443);
	cr_expect_str_eq(s.client.address, "198.51.100.7");
	cr_expect_str_eq(s.peer.address, "198.51.100.7");

	ci.role = ZT_ROLE_CLIENT;
	s = sp_build_ok(&ex, &ci);
	cr_expect_str_eq(s.server.address, "198.51.100.7");
	cr_expect_str_eq(s.client.address, "192.0.2.1");
	cr_expect_str_eq(s.peer.address, "198.51.100.7");
}

Test(span, format_addr_forms)
{
	uint8_t a[16];
	char out[SPAN_ADDR_MAX];

	memset(a, 0, sizeof(a));
	span_format_addr(out, sizeof(out), AF_INET6, a);
	cr_expect_str_eq(out, "::");
	a[15] = 1;
	span_format_addr(out, sizeof(out), AF_INET6, a);
	cr_expect_str_eq(out, "::1");
	/* only ::ffff:0:0/96 is v4-mapped; ::a.b.c.d stays IPv6 */
	inet_pton(AF_INET6, "::192.0.2.1", a);
	span_format_addr(out, sizeof(out), AF_INET6, a);
	cr_expect_str_eq(out, "::192.0.2.1");
	inet_pton(AF_INET6, "::fffe:192.0.2.1", a);
	span_format_addr(out, sizeof(out), AF_INET6, a);
	cr_expect_str_eq(out, "::fffe:c000:201");
	inet_pton(AF_INET6, "::ffff:127.0.0.1", a);
	span_format_addr(out, sizeof(out), AF_INET6, a);
	cr_expect_str_eq(out, "127.0.0.1");
	memset(a, 0, sizeof(a));
	inet_pton(AF_INET, "255.255.255.255", a);
	span_format_addr(out, sizeof(out), AF_INET, a);
	cr_expect_str_eq(out, "255.255.255.255");
	inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", a);
	span_format_addr(out, sizeof(out), AF_INET6, a);
	cr_expect_str_eq(out, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	/* a family the kernel never sends (0: tuple unknown) renders as IPv6 */
	memset(a, 0, sizeof(a));
	span_format_addr(out, sizeof(out), 0, a);
	cr_expect_str_eq(out, "::");
	/* too small a buffer: empty, not truncated garbage */
	inet_pton(AF_INET6, "2001:db8::1", a);
	span_format_addr(out, 4, AF_INET6, a);
	cr_expect_str_eq(out, "");
}

Test(span, times_are_tags_plus_offset)
{
	struct zt_conn_tuple t = sp_tuple_v4();
	struct http1_exchange ex = sp_exchange("GET", "/");
	struct span_conn_info ci = sp_info(&t, ZT_ROLE_SERVER);
	struct span s;

	ci.mono_to_unix_ns = 0;
	s = sp_build_ok(&ex, &ci);
	cr_expect_eq(s.start_unix_ns, 1000);
	cr_expect_eq(s.end_unix_ns, 5000);

	/* a response tag before the request start is clamped: no negative span */
	ex.resp.end_tag = 10;
	ci.mono_to_unix_ns = 5;
	s = sp_build_ok(&ex, &ci);
	cr_expect_eq(s.start_unix_ns, 1005);
	cr_expect_eq(s.end_unix_ns, 1005);

	/* a negative offset is applied as such */
	ex = sp_exchange("GET", "/");
	ci.mono_to_unix_ns = -500;
	s = sp_build_ok(&ex, &ci);
	cr_expect_eq(s.start_unix_ns, 500);
	cr_expect_eq(s.end_unix_ns, 4500);
}

Test(span, missing_response_has_no_status)
{
	struct zt_conn_tuple t = sp_tuple_v4();
	struct http1_exchange ex = sp_exchange("DELETE", "/items/7");
	struct span_conn_info ci = sp_info(&t, ZT_ROLE_SERVER);
	struct span s;

	ex.has_response = 0;
	ex.req.flags = HTTP1_MSG_INCOMPLETE;
	s = sp_build_ok(&ex, &ci);
	cr_expect_eq(s.has_status, 0);
	cr_expect_eq(s.status, 0);
	cr_expect_eq(s.resp_body_size, 0);
	cr_expect_eq(s.msg_flags, HTTP1_MSG_INCOMPLETE, "response flags ignored without a response");
	cr_expect_eq(s.start_unix_ns, 1700000000000001000ULL);
	cr_expect_eq(s.end_unix_ns, 1700000000000001100ULL, "ends with the request");
	cr_expect_eq(s.req_body_size, 7);
}

Test(span, query_split_and_redaction)
{
	struct zt_conn_tuple t = sp_tuple_v4();
	struct span_conn_info ci = sp_info(&t, ZT_ROLE_SERVER);
	struct http1_exchange ex;
	struct span s;

	ex = sp_exchange("GET", "/search?a=1&token=x");
	s = sp_build_ok(&ex, &ci);
	cr_expect_str_eq(s.path, "/search");
	cr_expect_eq(s.has_query, 1);
	cr_expect_str_eq(s.query, "a=1&token=REDACTED");

	ex = sp_exchange("GET", "/p?Password=hunter2&API_KEY=k&x");
	s = sp_build_ok(&ex, &ci);
	cr_expect_str_eq(s.query, "Password=REDACTED&API_KEY=REDACTED&x");

	/* '?' with nothing after it: a query, empty */
	ex = sp_exchange("GET", "/p?");
	s = sp_build_ok(&ex, &ci);
	cr_expect_str_eq(s.path, "/p");
	cr_expect_eq(s.has_query, 1);
	cr_expect_str_eq(s.query, "");

	/* a fragment is not part of the query */
	ex = sp_exchange("GET", "/p?q=1#frag");
	s = sp_build_ok(&ex, &ci);
	cr_expect_str_eq(s.path, "/p");
	cr_expect_str_eq(s.query, "q=1");

	/* absolute-form (proxy requests) keeps only the path */
	ex = sp_exchange("GET", "http://example.test:8080/a/b?sig=zz");
	s = sp_build_ok(&ex, &ci);
	cr_expect_str_eq(s.path, "/a/b");
	cr_expect_str_eq(s.route, "/a/b");
	cr_expect_str_eq(s.query, "sig=REDACTED");
}

Test(span, route_and_name)
{
	struct zt_conn_tuple t = sp_tuple_v4();
	struct span_conn_info ci = sp_info(&t, ZT_ROLE_SERVER);
	struct http1_exchange ex;
	struct span s;
	char name[300];

	ex = sp_exchange("GET", "/items/42?a=1");
	s = sp_build_ok(&ex, &ci);
	span_name(&s, name, sizeof(name));
	cr_expect_str_eq(name, "GET /items/{id}");

	ex = sp_exchange("PUT", "/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301/files/deadbeefdeadbeef");
	s = sp_build_ok(&ex, &ci);
	span_name(&s, name, sizeof(name));
	cr_expect_str_eq(name, "PUT /users/{id}/files/{id}");
	cr_expect_str_eq(s.path, "/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301/files/deadbeefdeadbeef");

	ex = sp_exchange("OPTIONS", "*");
	s = sp_build_ok(&ex, &ci);
	span_name(&s, name, sizeof(name));
	cr_expect_str_eq(name, "OPTIONS *");

	/* a short buffer truncates and stays terminated */
	ex = sp_exchange("GET", "/items/42");
	s = sp_build_ok(&ex, &ci);
	span_name(&s, name, 8);
	cr_expect_str_eq(name, "GET /it");
}

Test(span, unknown_role_is_refused)
{
	struct zt_conn_tuple t = sp_tuple_v4();
	struct http1_exchange ex = sp_exchange("GET", "/");
	struct span_conn_info ci = sp_info(&t, ZT_ROLE_UNKNOWN);
	struct span s, before;

	memset(&s, 0x5a, sizeof(s));
	before = s;
	cr_expect_eq(span_build(&s, &ex, &ci), -1);
	cr_expect_eq(memcmp(&s, &before, sizeof(s)), 0, "a refused span is left untouched");
	ci.role = 3;
	cr_expect_eq(span_build(&s, &ex, &ci), -1);
}

Test(span, names_null_and_truncated)
{
	struct zt_conn_tuple t = sp_tuple_v4();
	struct http1_exchange ex = sp_exchange("GET", "/");
	struct span_conn_info ci = sp_info(&t, ZT_ROLE_CLIENT);
	char long_name[300];
	struct span s;

	ci.exe_name = NULL;
	ci.service_name = NULL;
	s = sp_build_ok(&ex, &ci);
	cr_expect_str_eq(s.exe_name, "");
	cr_expect_str_eq(s.service_name, "");

	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ci.exe_name = long_name;
	ci.service_name = long_name;
	s = sp_build_ok(&ex, &ci);
	cr_expect_eq(strlen(s.exe_name), ZT_COMM_LEN - 1);
	cr_expect_eq(strlen(s.service_name), SPAN_SERVICE_MAX - 1);
}

Test(span, longest_target_fits)
{
	struct zt_conn_tuple t = sp_tuple_v4();
	struct span_conn_info ci = sp_info(&t, ZT_ROLE_SERVER);
	struct http1_exchange ex = sp_exchange("GET", "/");
	struct span s;

	/* a 511-byte path: kept whole in path, route cut to 255 ('z' is not
	 * hex, so the segment is not an id) */
	memset(ex.req.target, 'z', HTTP1_TARGET_MAX - 1);
	ex.req.target[0] = '/';
	ex.req.target[HTTP1_TARGET_MAX - 1] = '\0';
	ex.req.flags = HTTP1_MSG_TARGET_TRUNCATED;
	s = sp_build_ok(&ex, &ci);
	cr_expect_eq(strlen(s.path), HTTP1_TARGET_MAX - 1);
	cr_expect_eq(strlen(s.route), SPAN_ROUTE_MAX - 1);
	cr_expect_eq(s.has_query, 0);
	cr_expect(s.msg_flags & HTTP1_MSG_TARGET_TRUNCATED);

	/* a 509-byte query: redacted output cut to SPAN_QUERY_MAX - 1 */
	memset(ex.req.target, 'z', HTTP1_TARGET_MAX - 1);
	memcpy(ex.req.target, "/?", 2);
	s = sp_build_ok(&ex, &ci);
	cr_expect_str_eq(s.path, "/");
	cr_expect_eq(s.has_query, 1);
	cr_expect_eq(strlen(s.query), HTTP1_TARGET_MAX - 3);
}

Test(span, http10_version)
{
	struct zt_conn_tuple t = sp_tuple_v4();
	struct span_conn_info ci = sp_info(&t, ZT_ROLE_SERVER);
	struct http1_exchange ex = sp_exchange("GET", "/");
	struct span s;

	ex.req.version_minor = 0;
	ex.resp.status = 404;
	s = sp_build_ok(&ex, &ci);
	cr_expect_eq(s.version_minor, 0);
	cr_expect_eq(s.status, 404);
}

/*
 * http1 reports a response whose status line a capture cut short with
 * status 0: the span has no status (no "http.response.status_code":0 in
 * the JSON), but keeps the response's body size and end time.
 */
Test(span, response_without_a_seen_status_code)
{
	struct zt_conn_tuple t = sp_tuple_v4();
	struct http1_exchange ex = sp_exchange("GET", "/");
	struct span_conn_info ci = sp_info(&t, ZT_ROLE_SERVER);
	struct span s;

	ex.resp.status = 0;
	ex.resp.flags = HTTP1_MSG_HEAD_TRUNCATED;
	s = sp_build_ok(&ex, &ci);
	cr_expect_eq(s.end_unix_ns, 1700000000000005000ULL);
	cr_expect_eq(s.resp_body_size, 5);
	cr_expect_eq(s.status, 0);
	cr_expect_eq(s.has_status, 0);
}
