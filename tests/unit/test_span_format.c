// SPDX-License-Identifier: MIT
/* exporters/span_format.c: the exact JSON line, escaping, the pretty line. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "span_fixture.h"
#include "span_format.h"

#define SF_LINE_MAX SPAN_JSONL_MAX

/* The HTTP exchange of sf_span. */
static const struct http_fields sf_fields = {
	.method = "GET",
	.path = "/items/42",
	.query = "a=1&token=REDACTED",
	.route = "/items/{id}",
	.status = 200,
	.version_minor = 1,
	.req_body = 12,
	.resp_body = 5,
};

/* A SERVER span with every field but its HTTP part set to a distinct value:
 * adjust, then sf_http. */
static struct span sf_base(void)
{
	struct span s;

	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 16; i++)
		s.trace_id[i] = (uint8_t)(i + 1);
	for (int i = 0; i < 8; i++) {
		s.span_id[i] = (uint8_t)(0xa1 + i);
		s.parent_span_id[i] = (uint8_t)(0xf0 + i);
	}
	s.kind = SPAN_KIND_SERVER;
	s.start_unix_ns = 1700000000123456789ULL;
	s.end_unix_ns = 1700000000124691356ULL; /* + 1234567 ns */
	s.pid = 4242;
	s.tid = 4243;
	strcpy(s.server.address, "10.0.0.1");
	s.server.port = 8080;
	strcpy(s.client.address, "10.0.0.2");
	s.client.port = 54321;
	strcpy(s.peer.address, "10.0.0.2");
	s.peer.port = 54321;
	strcpy(s.exe_name, "python3");
	strcpy(s.service_name, "shop");
	return s;
}

/* The HTTP part, as the agent builds it, from the span's kind and endpoints. */
static void sf_http(struct span *s, const struct http_fields *f)
{
	span_fixture_http(s, f);
}

/* A fully specified SERVER span: every field set to a distinct value. */
static struct span sf_span(void)
{
	struct span s = sf_base();

	sf_http(&s, &sf_fields);
	return s;
}

/* Renders s and checks the buffer contract (terminated, no overflow). */
static const char *sf_jsonl(const struct span *s)
{
	static char line[SF_LINE_MAX];
	struct json_buf b;

	json_buf_init(&b, line, sizeof(line));
	span_format_jsonl(&b, s, NULL, NULL, NULL);
	cr_assert_eq(b.overflow, 0);
	cr_assert_eq(strlen(line), b.len);
	return line;
}

#define SF_HEAD                                                                \
	"{\"type\":\"span\",\"trace_id\":\"0102030405060708090a0b0c0d0e0f10\","   \
	"\"span_id\":\"a1a2a3a4a5a6a7a8\","

#define SF_TAIL                                                                \
	"\"server.address\":\"10.0.0.1\",\"server.port\":8080,"                 \
	"\"client.address\":\"10.0.0.2\",\"client.port\":54321,"                \
	"\"network.peer.address\":\"10.0.0.2\",\"network.peer.port\":54321,"    \
	"\"network.protocol.version\":\"1.1\","                                 \
	"\"http.request.body.size\":12,\"http.response.body.size\":5,"          \
	"\"process.pid\":4242,\"process.executable.name\":\"python3\","         \
	"\"thread.id\":4243}}"

Test(span_format, jsonl_full_span_exact)
{
	struct span s = sf_span();

	cr_expect_str_eq(sf_jsonl(&s),
			 SF_HEAD "\"parent_span_id\":\"\",\"name\":\"GET /items/{id}\","
			 "\"kind\":\"SERVER\","
			 "\"start_time_unix_nano\":1700000000123456789,"
			 "\"end_time_unix_nano\":1700000000124691356,"
			 "\"service.name\":\"shop\",\"attributes\":{"
			 "\"http.request.method\":\"GET\",\"url.path\":\"/items/42\","
			 "\"url.query\":\"a=1&token=REDACTED\","
			 "\"http.response.status_code\":200," SF_TAIL);
}

Test(span_format, jsonl_with_parent)
{
	struct span s = sf_span();

	s.has_parent = 1;
	cr_expect_str_eq(sf_jsonl(&s),
			 SF_HEAD "\"parent_span_id\":\"f0f1f2f3f4f5f6f7\","
			 "\"name\":\"GET /items/{id}\",\"kind\":\"SERVER\","
			 "\"start_time_unix_nano\":1700000000123456789,"
			 "\"end_time_unix_nano\":1700000000124691356,"
			 "\"service.name\":\"shop\",\"attributes\":{"
			 "\"http.request.method\":\"GET\",\"url.path\":\"/items/42\","
			 "\"url.query\":\"a=1&token=REDACTED\","
			 "\"http.response.status_code\":200," SF_TAIL);
}

Test(span_format, jsonl_without_query_and_status)
{
	struct span s = sf_base();
	struct http_fields f = sf_fields;

	f.query = NULL;
	f.status = 0;
	sf_http(&s, &f);
	cr_expect_str_eq(sf_jsonl(&s),
			 SF_HEAD "\"parent_span_id\":\"\",\"name\":\"GET /items/{id}\","
			 "\"kind\":\"SERVER\","
			 "\"status\":{\"code\":\"ERROR\","
			 "\"message\":\"connection closed before a response\"},"
			 "\"start_time_unix_nano\":1700000000123456789,"
			 "\"end_time_unix_nano\":1700000000124691356,"
			 "\"service.name\":\"shop\",\"attributes\":{"
			 "\"http.request.method\":\"GET\",\"url.path\":\"/items/42\","
			 SF_TAIL);
}

Test(span_format, jsonl_empty_query_is_kept)
{
	struct span s = sf_base();
	struct http_fields f = sf_fields;

	f.query = ""; /* "/items/42?" */
	f.status = 0;
	sf_http(&s, &f);
	cr_expect_str_eq(sf_jsonl(&s),
			 SF_HEAD "\"parent_span_id\":\"\",\"name\":\"GET /items/{id}\","
			 "\"kind\":\"SERVER\","
			 "\"status\":{\"code\":\"ERROR\","
			 "\"message\":\"connection closed before a response\"},"
			 "\"start_time_unix_nano\":1700000000123456789,"
			 "\"end_time_unix_nano\":1700000000124691356,"
			 "\"service.name\":\"shop\",\"attributes\":{"
			 "\"http.request.method\":\"GET\",\"url.path\":\"/items/42\","
			 "\"url.query\":\"\"," SF_TAIL);
}

Test(span_format, jsonl_client_http10_zero_values)
{
	struct span s = sf_base();
	struct http_fields f = sf_fields;

	s.kind = SPAN_KIND_CLIENT;
	f.version_minor = 0;
	f.status = 503;
	f.req_body = 0;
	/* integer attributes are int64 in every output: sizes past it are clamped */
	f.resp_body = UINT64_MAX;
	s.start_unix_ns = 0;
	s.end_unix_ns = 0;
	f.query = NULL;
	s.pid = UINT32_MAX;
	s.tid = 0;
	s.server.port = 65535;
	s.client.port = 0;
	s.exe_name[0] = '\0';
	s.service_name[0] = '\0';
	sf_http(&s, &f);
	cr_expect_str_eq(sf_jsonl(&s),
			 SF_HEAD "\"parent_span_id\":\"\",\"name\":\"GET /items/{id}\","
			 "\"kind\":\"CLIENT\","
			 "\"status\":{\"code\":\"ERROR\",\"message\":\"HTTP 503\"},"
			 "\"start_time_unix_nano\":0,\"end_time_unix_nano\":0,"
			 "\"service.name\":\"\",\"attributes\":{"
			 "\"http.request.method\":\"GET\",\"url.path\":\"/items/42\","
			 "\"http.response.status_code\":503,"
			 "\"server.address\":\"10.0.0.1\",\"server.port\":65535,"
			 "\"client.address\":\"10.0.0.2\",\"client.port\":0,"
			 "\"network.peer.address\":\"10.0.0.2\",\"network.peer.port\":54321,"
			 "\"network.protocol.version\":\"1.0\","
			 "\"http.request.body.size\":0,"
			 "\"http.response.body.size\":9223372036854775807,"
			 "\"process.pid\":4294967295,\"process.executable.name\":\"\","
			 "\"thread.id\":0}}");
}

Test(span_format, jsonl_escapes_wire_strings)
{
	struct span s = sf_base();
	struct http_fields f = sf_fields;
	const char *line;

	/* quote, backslash, control bytes, invalid UTF-8, valid UTF-8 */
	f.path = "/a\"b\\c\x01\n\x1b[2J\xff\xc3\xa9";
	f.route = "/a\"b\\c\x01\n\x1b[2J\xff\xc3\xa9";
	f.method = "G\tT";
	f.query = "q=\x7f\xed\xa0\x80";
	strcpy(s.service_name, "svc\r");
	sf_http(&s, &f);
	line = sf_jsonl(&s);
	cr_expect_str_eq(line,
			 SF_HEAD "\"parent_span_id\":\"\","
			 "\"name\":\"G\\tT /a\\\"b\\\\c\\u0001\\n\\u001b[2J\\ufffd\xc3\xa9\","
			 "\"kind\":\"SERVER\","
			 "\"start_time_unix_nano\":1700000000123456789,"
			 "\"end_time_unix_nano\":1700000000124691356,"
			 "\"service.name\":\"svc\\r\",\"attributes\":{"
			 "\"http.request.method\":\"G\\tT\","
			 "\"url.path\":\"/a\\\"b\\\\c\\u0001\\n\\u001b[2J\\ufffd\xc3\xa9\","
			 "\"url.query\":\"q=\x7f\\ufffd\\ufffd\\ufffd\","
			 "\"http.response.status_code\":200," SF_TAIL);
	for (const char *p = line; *p; p++)
		cr_assert_geq((unsigned char)*p, 0x20, "raw control byte at %td", p - line);
}

Test(span_format, jsonl_worst_case_fits_output_line)
{
	struct span s = sf_base();
	struct http_fields f = sf_fields;
	static char line[SF_LINE_MAX];
	static char method[24], path[512], query[512], route[256];
	struct json_buf b;

	/* every HTTP wire string at its longest (a 23-byte method, a 511-byte
	 * target's path, a 511-byte redacted query, a 255-byte route), every
	 * byte escaped as \u00XX */
	memset(method, 0x01, sizeof(method) - 1);
	memset(path, 0x01, sizeof(path) - 1);
	memset(query, 0x01, sizeof(query) - 1);
	memset(route, 0x01, sizeof(route) - 1);
	f.method = method;
	f.path = path;
	f.query = query;
	f.route = route;
	memset(s.service_name, 0x01, sizeof(s.service_name) - 1);
	s.service_name[sizeof(s.service_name) - 1] = '\0';
	memset(s.exe_name, 0x01, sizeof(s.exe_name) - 1);
	s.exe_name[sizeof(s.exe_name) - 1] = '\0';
	sf_http(&s, &f);
	cr_assert_eq(s.attrs.overflow, 0);
	json_buf_init(&b, line, sizeof(line));
	span_format_jsonl(&b, &s, NULL, NULL, NULL);
	cr_expect_eq(b.overflow, 0, "the daemon's 16 KiB line must hold the worst span");
	cr_expect_lt(b.len, 10000);
}

/*
 * The same rule for the span model itself: any protocol may fill the
 * attribute list (SPAN_TEXT_MAX bytes of values) and the name; a span the
 * model can hold must still fit the daemon's line, SPAN_JSONL_MAX (user/output.c
 * drops a span whose line overflows).
 */
Test(span_format, jsonl_worst_case_of_the_model_fits_output_line)
{
	struct span s = sf_base();
	static char line[SF_LINE_MAX];
	static char text[SPAN_TEXT_MAX];
	static const char *const keys[SPAN_ATTRS_MAX] = {
		"k00", "k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08", "k09", "k10", "k11",
		"k12", "k13", "k14", "k15", "k16", "k17", "k18", "k19", "k20", "k21", "k22", "k23",
	};
	struct json_buf b;

	memset(text, 0x01, sizeof(text));
	memset(s.name, 0x01, sizeof(s.name) - 1);
	s.name[sizeof(s.name) - 1] = '\0';
	memset(s.service_name, 0x01, sizeof(s.service_name) - 1);
	s.service_name[sizeof(s.service_name) - 1] = '\0';
	memset(s.exe_name, 0x01, sizeof(s.exe_name) - 1);
	s.exe_name[sizeof(s.exe_name) - 1] = '\0';
	memset(s.tracestate, 0x01, sizeof(s.tracestate) - 1);
	s.tracestate[sizeof(s.tracestate) - 1] = '\0';
	for (int i = 0; i < SPAN_ATTRS_MAX; i++)
		cr_assert_eq(span_attrs_str(&s.attrs, keys[i], text, SPAN_TEXT_MAX / SPAN_ATTRS_MAX),
			     0);
	cr_assert_eq(s.attrs.text_len, SPAN_TEXT_MAX);
	json_buf_init(&b, line, sizeof(line));
	span_format_jsonl(&b, &s, NULL, NULL, NULL);
	cr_expect_eq(b.overflow, 0, "a span the model holds overflows the JSON line");
}

/* The list is printed as the protocol built it: order, types, NULs. */
Test(span_format, jsonl_prints_the_attribute_list_as_built)
{
	struct span s = sf_base();

	span_attrs_cstr(&s.attrs, "db.system.name", "postgresql");
	span_attrs_int(&s.attrs, "db.response.returned_rows", -3);
	span_attrs_str(&s.attrs, "bytes", "a\0b", 3);
	strcpy(s.name, "SELECT users");
	cr_expect_str_eq(sf_jsonl(&s),
			 SF_HEAD "\"parent_span_id\":\"\",\"name\":\"SELECT users\","
			 "\"kind\":\"SERVER\","
			 "\"start_time_unix_nano\":1700000000123456789,"
			 "\"end_time_unix_nano\":1700000000124691356,"
			 "\"service.name\":\"shop\",\"attributes\":{"
			 "\"db.system.name\":\"postgresql\",\"db.response.returned_rows\":-3,"
			 "\"bytes\":\"a\\u0000b\","
			 "\"process.pid\":4242,\"process.executable.name\":\"python3\","
			 "\"thread.id\":4243}}");

	/* an empty list: the process attributes only */
	s.attrs.n = s.attrs.text_len = 0;
	cr_expect_str_eq(sf_jsonl(&s),
			 SF_HEAD "\"parent_span_id\":\"\",\"name\":\"SELECT users\","
			 "\"kind\":\"SERVER\","
			 "\"start_time_unix_nano\":1700000000123456789,"
			 "\"end_time_unix_nano\":1700000000124691356,"
			 "\"service.name\":\"shop\",\"attributes\":{"
			 "\"process.pid\":4242,\"process.executable.name\":\"python3\","
			 "\"thread.id\":4243}}");
}

/* A list attribute (dns.answers) is a JSON array of its strings; an error
 * span's status object comes right after "kind". */
Test(span_format, jsonl_list_attribute_and_error_status)
{
	struct span s = sf_base();

	s.kind = SPAN_KIND_CLIENT;
	s.status = SPAN_STATUS_ERROR;
	strcpy(s.status_message, "NXDOMAIN");
	strcpy(s.name, "DNS A");
	span_attrs_cstr(&s.attrs, "network.protocol.name", "dns");
	span_attrs_list(&s.attrs, "dns.answers", "10.1.2.3\0002001:db8::1\0", 21);
	span_attrs_int(&s.attrs, "zerotrace.dns.answers.count", 2);
	cr_assert_eq(s.attrs.a[1].type, SPAN_ATTR_STRS);
	cr_expect_str_eq(sf_jsonl(&s),
			 SF_HEAD "\"parent_span_id\":\"\",\"name\":\"DNS A\","
			 "\"kind\":\"CLIENT\","
			 "\"status\":{\"code\":\"ERROR\",\"message\":\"NXDOMAIN\"},"
			 "\"start_time_unix_nano\":1700000000123456789,"
			 "\"end_time_unix_nano\":1700000000124691356,"
			 "\"service.name\":\"shop\",\"attributes\":{"
			 "\"network.protocol.name\":\"dns\","
			 "\"dns.answers\":[\"10.1.2.3\",\"2001:db8::1\"],"
			 "\"zerotrace.dns.answers.count\":2,"
			 "\"process.pid\":4242,\"process.executable.name\":\"python3\","
			 "\"thread.id\":4243}}");

	/* UNSET: no status object, whatever message is left in the span */
	s.status = SPAN_STATUS_UNSET;
	cr_expect_null(strstr(sf_jsonl(&s), "\"status\""));
}

/* Items are escaped one by one; an empty item and an empty list stay. */
Test(span_format, jsonl_list_edges)
{
	struct span s = sf_base();

	strcpy(s.name, "L");
	s.status = SPAN_STATUS_ERROR;
	strcpy(s.status_message, "a\"b\n\x01");
	span_attrs_list(&s.attrs, "empty", "", 0);
	span_attrs_list(&s.attrs, "one_empty", "\0", 1);
	span_attrs_list(&s.attrs, "odd", "q\"\\\0\0\xff\t\0", 8);
	cr_expect_str_eq(sf_jsonl(&s),
			 SF_HEAD "\"parent_span_id\":\"\",\"name\":\"L\","
			 "\"kind\":\"SERVER\","
			 "\"status\":{\"code\":\"ERROR\",\"message\":\"a\\\"b\\n\\u0001\"},"
			 "\"start_time_unix_nano\":1700000000123456789,"
			 "\"end_time_unix_nano\":1700000000124691356,"
			 "\"service.name\":\"shop\",\"attributes\":{"
			 "\"empty\":[],\"one_empty\":[\"\"],"
			 "\"odd\":[\"q\\\"\\\\\",\"\",\"\\ufffd\\t\"],"
			 "\"process.pid\":4242,\"process.executable.name\":\"python3\","
			 "\"thread.id\":4243}}");
}

Test(span_format, jsonl_overflow_is_flagged)
{
	struct span s = sf_span();
	char small[64];
	struct json_buf b;

	json_buf_init(&b, small, sizeof(small));
	span_format_jsonl(&b, &s, NULL, NULL, NULL);
	cr_expect_eq(b.overflow, 1);
	cr_expect_lt(b.len, sizeof(small));
	cr_expect_eq(small[b.len], '\0');
}

Test(span_format, hex)
{
	static const uint8_t bytes[] = { 0x00, 0x0f, 0x10, 0xab, 0xff };
	char out[11];

	span_hex(out, bytes, sizeof(bytes));
	cr_expect_str_eq(out, "000f10abff");
	span_hex(out, bytes, 0);
	cr_expect_str_eq(out, "");
}

static void sf_utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

Test(span_format, pretty_exact, .init = sf_utc)
{
	struct span s = sf_span();
	char out[512];

	span_format_pretty(out, sizeof(out), &s);
	cr_expect_str_eq(out, "22:13:20.123 SERVER shop[4242] GET /items/{id} 200 1.234ms "
			      "10.0.0.2:54321 -> 10.0.0.1:8080 req=12B resp=5B");
}

Test(span_format, pretty_client_without_status, .init = sf_utc)
{
	struct span s = sf_base();
	struct http_fields f = sf_fields;
	char out[512];

	s.kind = SPAN_KIND_CLIENT;
	f.status = 0;
	sf_http(&s, &f);
	s.start_unix_ns = 1700000000000000000ULL;
	s.end_unix_ns = 1700000002500000999ULL;
	span_format_pretty(out, sizeof(out), &s);
	cr_expect_str_eq(out, "22:13:20.000 CLIENT shop[4242] GET /items/{id} --- 2500.000ms "
			      "10.0.0.2:54321 -> 10.0.0.1:8080 req=12B resp=5B");
}

Test(span_format, pretty_has_no_control_bytes, .init = sf_utc)
{
	struct span s = sf_base();
	struct http_fields f = sf_fields;
	char out[1024];

	f.method = "GET\x1b]0;pwned\x07";
	f.route = "/a\r\n\x1b[2J\x7f\x01";
	strcpy(s.service_name, "svc\x1b[31m");
	sf_http(&s, &f);
	span_format_pretty(out, sizeof(out), &s);
	cr_expect_str_eq(out, "22:13:20.123 SERVER svc?[31m[4242] GET?]0;pwned? /a???[2J?? 200 "
			      "1.234ms 10.0.0.2:54321 -> 10.0.0.1:8080 req=12B resp=5B");
	for (const char *p = out; *p; p++) {
		cr_assert_geq((unsigned char)*p, 0x20, "control byte at %td", p - out);
		cr_assert_neq((unsigned char)*p, 0x7f, "DEL at %td", p - out);
	}
}

Test(span_format, pretty_truncates_to_buffer, .init = sf_utc)
{
	struct span s = sf_span();
	char out[13];

	span_format_pretty(out, sizeof(out), &s);
	cr_expect_str_eq(out, "22:13:20.123");
}

/*
 * C1 controls are controls too: U+009B encoded as UTF-8 ("\xc2\x9b") is CSI
 * to xterm-like terminals and a bare 0x9b is CSI to 8-bit ones, so neither
 * may reach whoever watches --output pretty.
 */
Test(span_format, pretty_has_no_c1_controls, .init = sf_utc)
{
	struct span s = sf_base();
	struct http_fields f = sf_fields;
	char out[1024];

	f.route = "/a\xc2\x9b" "2J\x9b" "31m";
	sf_http(&s, &f);
	span_format_pretty(out, sizeof(out), &s);
	cr_expect_null(strstr(out, "\xc2\x9b"), "UTF-8 CSI (U+009B) passed through");
	cr_expect_null(strchr(out, 0x9b), "8-bit CSI (0x9b) passed through");
}

/* ---- the resource object ---- */

#define SF_RESOURCE                                                            \
	",\"resource\":{\"service.name\":\"shop\",\"process.pid\":4242,"       \
	"\"process.executable.name\":\"python3\","                              \
	"\"process.executable.path\":\"/usr/bin/python3\","                     \
	"\"host.name\":\"node-1\",\"container.id\":\"c0ffee\","                \
	"\"deployment.environment\":\"prod\"}}"

static struct procinfo sf_resource(uint64_t generation)
{
	struct procinfo pi;

	memset(&pi, 0, sizeof(pi));
	pi.pid = 4242;
	pi.generation = generation;
	strcpy(pi.exe_name, "python3");
	strcpy(pi.exe_path, "/usr/bin/python3");
	strcpy(pi.service_name, "shop");
	strcpy(pi.container_id, "c0ffee");
	pi.n_attrs = 1;
	strcpy(pi.attrs[0].key, "deployment.environment");
	strcpy(pi.attrs[0].value, "prod");
	return pi;
}

/* The line's end: from its resource object on. */
static const char *sf_resource_of(const struct span *s, const struct procinfo *res,
				  const char *host, struct span_resource_cache *cache)
{
	static char line[SF_LINE_MAX];
	struct json_buf b;
	const char *at;

	json_buf_init(&b, line, sizeof(line));
	span_format_jsonl(&b, s, res, host, cache);
	cr_assert_eq(b.overflow, 0);
	cr_assert_eq(strlen(line), b.len);
	at = strstr(line, ",\"resource\":");
	cr_assert_not_null(at);
	return at;
}

Test(span_format, jsonl_resource_exact)
{
	struct span s = sf_span();
	struct procinfo pi = sf_resource(0);

	cr_expect_str_eq(sf_resource_of(&s, &pi, "node-1", NULL), SF_RESOURCE);
}

/* Rendered once per generation and host name, then copied: a change the
 * generation does not tell is not seen (the cache's contract), one it
 * tells is, as is another host name. */
Test(span_format, jsonl_resource_cached_per_generation)
{
	static struct span_resource_cache cache;
	static const char other_host[] = "node-2";
	struct span s = sf_span();
	struct procinfo pi = sf_resource(5);

	cr_expect_str_eq(sf_resource_of(&s, &pi, "node-1", &cache), SF_RESOURCE);
	strcpy(pi.service_name, "cart");
	cr_expect_str_eq(sf_resource_of(&s, &pi, "node-1", &cache), SF_RESOURCE);
	pi.generation = 5 + SPAN_RESOURCE_CACHE; /* the same slot */
	cr_expect(strstr(sf_resource_of(&s, &pi, "node-1", &cache),
			 "{\"service.name\":\"cart\","));
	cr_expect(strstr(sf_resource_of(&s, &pi, other_host, &cache), "\"host.name\":\"node-2\""));
	/* generation 0 is never cached */
	pi = sf_resource(0);
	cr_expect_str_eq(sf_resource_of(&s, &pi, "node-1", &cache), SF_RESOURCE);
	strcpy(pi.service_name, "cart");
	cr_expect(strstr(sf_resource_of(&s, &pi, "node-1", &cache), "{\"service.name\":\"cart\","));
}

/* A resource too long for a cache entry is rendered whole each time. */
Test(span_format, jsonl_resource_too_long_to_cache)
{
	static struct span_resource_cache cache;
	static char plain[SF_LINE_MAX];
	struct span s = sf_span();
	struct procinfo pi = sf_resource(3);

	pi.n_attrs = PROCINFO_ATTRS_MAX;
	for (uint32_t i = 0; i < PROCINFO_ATTRS_MAX; i++) {
		snprintf(pi.attrs[i].key, sizeof(pi.attrs[i].key), "attr.%u", i);
		memset(pi.attrs[i].value, 'a' + (int)i, PROCINFO_ATTR_VALUE_MAX - 1);
	}
	strcpy(plain, sf_resource_of(&s, &pi, "node-1", NULL));
	cr_assert_gt(strlen(plain), SPAN_RESOURCE_JSON_MAX);
	cr_expect_str_eq(sf_resource_of(&s, &pi, "node-1", &cache), plain);
	cr_expect_eq(cache.e[3].generation, 0);
	pi.attrs[0].value[0] = 'z';
	cr_expect(strstr(sf_resource_of(&s, &pi, "node-1", &cache), "\"attr.0\":\"zaaa"));
}

/* --logs: a log record's JSON line, linked (file, cut) and not (stdout). */
Test(span_format, log_jsonl_exact)
{
	static struct log_record r;
	static struct procinfo pi;
	static char out[4096];
	struct json_buf b;

	memset(&r, 0, sizeof(r));
	r.time_unix_ns = 1700000000123456789ull;
	for (int i = 0; i < 16; i++)
		r.trace_id[i] = (uint8_t)(i + 1);
	memset(r.span_id, 0xa1, 8);
	r.has_trace = 1;
	r.sampled = 1;
	r.severity_number = 13;
	strcpy(r.severity_text, "warning");
	r.stream = LOG_STREAM_FILE;
	r.cut = 1;
	r.pid = 4242;
	r.tid = 4243;
	r.fd = 7;
	strcpy(r.comm, "python3");
	memcpy(r.body, "{\"level\":\"warning\"}\t\xff", 21);
	r.body_len = 21;
	pi.pid = 4242;
	strcpy(pi.service_name, "shop");
	strcpy(pi.exe_name, "python3.11");
	r.process = &pi;
	json_buf_init(&b, out, sizeof(out));
	r.observed_unix_ns = 1700000000200000000ull;
	log_format_jsonl(&b, &r, "node-1", NULL);
	cr_assert_eq(b.overflow, 0);
	out[b.len] = '\0';
	cr_expect_str_eq(out,
			 "{\"type\":\"log\",\"time_unix_nano\":1700000000123456789,"
			 "\"observed_time_unix_nano\":1700000000200000000,"
			 "\"severity_number\":13,\"severity_text\":\"warning\","
			 "\"body\":\"{\\\"level\\\":\\\"warning\\\"}\\t\\ufffd\","
			 "\"trace_id\":\"0102030405060708090a0b0c0d0e0f10\","
			 "\"span_id\":\"a1a1a1a1a1a1a1a1\",\"trace_flags\":1,\"service.name\":\"shop\","
			 "\"attributes\":{\"zerotrace.log.fd\":7,\"process.pid\":4242,"
			 "\"thread.id\":4243,\"process.executable.name\":\"python3.11\","
			 "\"zerotrace.log.truncated\":true},"
			 "\"resource\":{\"service.name\":\"shop\",\"process.pid\":4242,"
			 "\"process.executable.name\":\"python3.11\",\"host.name\":\"node-1\"}}");

	memset(r.trace_id, 0, 16);
	memset(r.span_id, 0, 8);
	r.has_trace = 0;
	r.severity_number = 0;
	r.severity_text[0] = '\0';
	r.stream = LOG_STREAM_STDOUT;
	r.fd = 1;
	r.cut = 0;
	r.process = NULL;
	memcpy(r.body, "tick", 4);
	r.body_len = 4;
	json_buf_init(&b, out, sizeof(out));
	r.observed_unix_ns = 5;
	log_format_jsonl(&b, &r, NULL, NULL);
	out[b.len] = '\0';
	cr_expect_str_eq(out,
			 "{\"type\":\"log\",\"time_unix_nano\":1700000000123456789,"
			 "\"observed_time_unix_nano\":5,\"severity_number\":0,\"severity_text\":\"\","
			 "\"body\":\"tick\",\"trace_id\":\"\",\"span_id\":\"\",\"trace_flags\":0,"
			 "\"service.name\":\"python3\",\"attributes\":{\"log.iostream\":\"stdout\","
			 "\"process.pid\":4242,\"thread.id\":4243}}");
}
