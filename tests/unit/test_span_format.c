// SPDX-License-Identifier: MIT
/* exporters/span_format.c: the exact JSON line, escaping, the pretty line. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "span_format.h"

#define SF_LINE_MAX 16384

/* A fully specified SERVER span: every field set to a distinct value. */
static struct span sf_span(void)
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
	s.has_status = 1;
	s.status = 200;
	s.version_minor = 1;
	s.start_unix_ns = 1700000000123456789ULL;
	s.end_unix_ns = 1700000000124691356ULL; /* + 1234567 ns */
	s.req_body_size = 12;
	s.resp_body_size = 5;
	s.pid = 4242;
	s.tid = 4243;
	strcpy(s.method, "GET");
	strcpy(s.path, "/items/42");
	strcpy(s.query, "a=1&token=REDACTED");
	s.has_query = 1;
	strcpy(s.route, "/items/{id}");
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

/* Renders s and checks the buffer contract (terminated, no overflow). */
static const char *sf_jsonl(const struct span *s)
{
	static char line[SF_LINE_MAX];
	struct json_buf b;

	json_buf_init(&b, line, sizeof(line));
	span_format_jsonl(&b, s, NULL, NULL);
	cr_assert_eq(b.overflow, 0);
	cr_assert_eq(strlen(line), b.len);
	return line;
}

#define SF_HEAD                                                                \
	"{\"trace_id\":\"0102030405060708090a0b0c0d0e0f10\","                   \
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
	struct span s = sf_span();

	s.has_query = 0;
	s.query[0] = '\0';
	s.has_status = 0;
	s.status = 0;
	cr_expect_str_eq(sf_jsonl(&s),
			 SF_HEAD "\"parent_span_id\":\"\",\"name\":\"GET /items/{id}\","
			 "\"kind\":\"SERVER\","
			 "\"start_time_unix_nano\":1700000000123456789,"
			 "\"end_time_unix_nano\":1700000000124691356,"
			 "\"service.name\":\"shop\",\"attributes\":{"
			 "\"http.request.method\":\"GET\",\"url.path\":\"/items/42\","
			 SF_TAIL);
}

Test(span_format, jsonl_empty_query_is_kept)
{
	struct span s = sf_span();

	s.query[0] = '\0'; /* "/items/42?" */
	s.has_status = 0;
	cr_expect_str_eq(sf_jsonl(&s),
			 SF_HEAD "\"parent_span_id\":\"\",\"name\":\"GET /items/{id}\","
			 "\"kind\":\"SERVER\","
			 "\"start_time_unix_nano\":1700000000123456789,"
			 "\"end_time_unix_nano\":1700000000124691356,"
			 "\"service.name\":\"shop\",\"attributes\":{"
			 "\"http.request.method\":\"GET\",\"url.path\":\"/items/42\","
			 "\"url.query\":\"\"," SF_TAIL);
}

Test(span_format, jsonl_client_http10_zero_values)
{
	struct span s = sf_span();

	s.kind = SPAN_KIND_CLIENT;
	s.version_minor = 0;
	s.status = 503;
	s.req_body_size = 0;
	s.resp_body_size = UINT64_MAX;
	s.start_unix_ns = 0;
	s.end_unix_ns = 0;
	s.has_query = 0;
	s.pid = UINT32_MAX;
	s.tid = 0;
	s.server.port = 65535;
	s.client.port = 0;
	s.exe_name[0] = '\0';
	s.service_name[0] = '\0';
	cr_expect_str_eq(sf_jsonl(&s),
			 SF_HEAD "\"parent_span_id\":\"\",\"name\":\"GET /items/{id}\","
			 "\"kind\":\"CLIENT\","
			 "\"start_time_unix_nano\":0,\"end_time_unix_nano\":0,"
			 "\"service.name\":\"\",\"attributes\":{"
			 "\"http.request.method\":\"GET\",\"url.path\":\"/items/42\","
			 "\"http.response.status_code\":503,"
			 "\"server.address\":\"10.0.0.1\",\"server.port\":65535,"
			 "\"client.address\":\"10.0.0.2\",\"client.port\":0,"
			 "\"network.peer.address\":\"10.0.0.2\",\"network.peer.port\":54321,"
			 "\"network.protocol.version\":\"1.0\","
			 "\"http.request.body.size\":0,"
			 "\"http.response.body.size\":18446744073709551615,"
			 "\"process.pid\":4294967295,\"process.executable.name\":\"\","
			 "\"thread.id\":0}}");
}

Test(span_format, jsonl_escapes_wire_strings)
{
	struct span s = sf_span();
	const char *line;

	/* quote, backslash, control bytes, invalid UTF-8, valid UTF-8 */
	strcpy(s.path, "/a\"b\\c\x01\n\x1b[2J\xff\xc3\xa9");
	strcpy(s.route, "/a\"b\\c\x01\n\x1b[2J\xff\xc3\xa9");
	strcpy(s.method, "G\tT");
	strcpy(s.query, "q=\x7f\xed\xa0\x80");
	strcpy(s.service_name, "svc\r");
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
	struct span s = sf_span();
	static char line[SF_LINE_MAX];
	struct json_buf b;

	/* every wire string at its longest, every byte escaped as \u00XX */
	memset(s.method, 0x01, sizeof(s.method) - 1);
	s.method[sizeof(s.method) - 1] = '\0';
	memset(s.path, 0x01, sizeof(s.path) - 1);
	s.path[sizeof(s.path) - 1] = '\0';
	memset(s.query, 0x01, sizeof(s.query) - 1);
	s.query[sizeof(s.query) - 1] = '\0';
	memset(s.route, 0x01, sizeof(s.route) - 1);
	s.route[sizeof(s.route) - 1] = '\0';
	memset(s.service_name, 0x01, sizeof(s.service_name) - 1);
	s.service_name[sizeof(s.service_name) - 1] = '\0';
	memset(s.exe_name, 0x01, sizeof(s.exe_name) - 1);
	s.exe_name[sizeof(s.exe_name) - 1] = '\0';
	json_buf_init(&b, line, sizeof(line));
	span_format_jsonl(&b, &s, NULL, NULL);
	cr_expect_eq(b.overflow, 0, "the daemon's 16 KiB line must hold the worst span");
	cr_expect_lt(b.len, 10000);
}

Test(span_format, jsonl_overflow_is_flagged)
{
	struct span s = sf_span();
	char small[64];
	struct json_buf b;

	json_buf_init(&b, small, sizeof(small));
	span_format_jsonl(&b, &s, NULL, NULL);
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
	struct span s = sf_span();
	char out[512];

	s.kind = SPAN_KIND_CLIENT;
	s.has_status = 0;
	s.start_unix_ns = 1700000000000000000ULL;
	s.end_unix_ns = 1700000002500000999ULL;
	span_format_pretty(out, sizeof(out), &s);
	cr_expect_str_eq(out, "22:13:20.000 CLIENT shop[4242] GET /items/{id} --- 2500.000ms "
			      "10.0.0.2:54321 -> 10.0.0.1:8080 req=12B resp=5B");
}

Test(span_format, pretty_has_no_control_bytes, .init = sf_utc)
{
	struct span s = sf_span();
	char out[1024];

	strcpy(s.method, "GET\x1b]0;pwned\x07");
	strcpy(s.route, "/a\r\n\x1b[2J\x7f\x01");
	strcpy(s.service_name, "svc\x1b[31m");
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
	struct span s = sf_span();
	char out[1024];

	strcpy(s.route, "/a\xc2\x9b" "2J\x9b" "31m");
	span_format_pretty(out, sizeof(out), &s);
	cr_expect_null(strstr(out, "\xc2\x9b"), "UTF-8 CSI (U+009B) passed through");
	cr_expect_null(strchr(out, 0x9b), "8-bit CSI (0x9b) passed through");
}
