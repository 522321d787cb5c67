// SPDX-License-Identifier: MIT
/*
 * exporters/otlp_logs_encode.c and the log half of otlp_exporter.c.
 *
 * Encoding: exact protobuf bytes for two records, produced independently
 * by protobufjs with the official generated root (tests/otlp/node_modules,
 * otlp-proto = @opentelemetry/otlp-transformer 0.214.0) from the message
 * written out as an object; exact OTLP/JSON for an alert with every field
 * and a note; UTF-8 repair; empty batches. write_samples leaves a protobuf
 * and an OTLP/JSON request in $ZT_OTLP_LOGS_SAMPLES for
 * tests/otlp/logs_schema_check.js (tests/otlp/logs_schema_test.sh).
 *
 * Exporter: records reach POST /v1/logs of a real HTTP server on loopback
 * (a thread here) next to spans on /v1/traces, retried like spans, counted
 * one by one (exported, dropped when full, dropped when failed, on stop);
 * the logs URL from the environment and from a base endpoint.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alert_fixture.h"
#include "otlp_exporter.h"
#include "otlp_logs_encode.h"
#include "procinfo.h"

#define LG_KV_S(k, v) "{\"key\":\"" k "\",\"value\":{\"stringValue\":\"" v "\"}}"
#define LG_KV_I(k, v) "{\"key\":\"" k "\",\"value\":{\"intValue\":\"" v "\"}}"
#define LG_OBSERVED 1700000001000000000ULL

/* 306 bytes, from protobufjs and the official root (see the header) */
static const uint8_t lg_min_expected[] = {
	0x0a, 0xaf, 0x02, 0x0a, 0x2f, 0x0a, 0x1b, 0x0a, 0x0c, 0x73, 0x65, 0x72,
	0x76, 0x69, 0x63, 0x65, 0x2e, 0x6e, 0x61, 0x6d, 0x65, 0x12, 0x0b, 0x0a,
	0x09, 0x7a, 0x65, 0x72, 0x6f, 0x74, 0x72, 0x61, 0x63, 0x65, 0x0a, 0x10,
	0x0a, 0x09, 0x68, 0x6f, 0x73, 0x74, 0x2e, 0x6e, 0x61, 0x6d, 0x65, 0x12,
	0x03, 0x0a, 0x01, 0x68, 0x12, 0xfb, 0x01, 0x0a, 0x1b, 0x0a, 0x12, 0x7a,
	0x65, 0x72, 0x6f, 0x74, 0x72, 0x61, 0x63, 0x65, 0x2e, 0x73, 0x65, 0x63,
	0x75, 0x72, 0x69, 0x74, 0x79, 0x12, 0x05, 0x30, 0x2e, 0x31, 0x2e, 0x30,
	0x12, 0xdb, 0x01, 0x09, 0xe8, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x10, 0x10, 0x1a, 0x06, 0x6d, 0x65, 0x64, 0x69, 0x75, 0x6d, 0x2a, 0x03,
	0x0a, 0x01, 0x78, 0x32, 0x22, 0x0a, 0x14, 0x7a, 0x65, 0x72, 0x6f, 0x74,
	0x72, 0x61, 0x63, 0x65, 0x2e, 0x61, 0x6c, 0x65, 0x72, 0x74, 0x2e, 0x72,
	0x75, 0x6c, 0x65, 0x12, 0x0a, 0x0a, 0x08, 0x6e, 0x65, 0x77, 0x5f, 0x65,
	0x64, 0x67, 0x65, 0x32, 0x24, 0x0a, 0x18, 0x7a, 0x65, 0x72, 0x6f, 0x74,
	0x72, 0x61, 0x63, 0x65, 0x2e, 0x61, 0x6c, 0x65, 0x72, 0x74, 0x2e, 0x73,
	0x65, 0x76, 0x65, 0x72, 0x69, 0x74, 0x79, 0x12, 0x08, 0x0a, 0x06, 0x6d,
	0x65, 0x64, 0x69, 0x75, 0x6d, 0x32, 0x1b, 0x0a, 0x15, 0x7a, 0x65, 0x72,
	0x6f, 0x74, 0x72, 0x61, 0x63, 0x65, 0x2e, 0x61, 0x6c, 0x65, 0x72, 0x74,
	0x2e, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x12, 0x02, 0x18, 0x01, 0x32, 0x24,
	0x0a, 0x1d, 0x7a, 0x65, 0x72, 0x6f, 0x74, 0x72, 0x61, 0x63, 0x65, 0x2e,
	0x73, 0x6f, 0x75, 0x72, 0x63, 0x65, 0x2e, 0x73, 0x65, 0x72, 0x76, 0x69,
	0x63, 0x65, 0x2e, 0x6e, 0x61, 0x6d, 0x65, 0x12, 0x03, 0x0a, 0x01, 0x61,
	0x32, 0x1a, 0x0a, 0x13, 0x64, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x61, 0x74,
	0x69, 0x6f, 0x6e, 0x2e, 0x61, 0x64, 0x64, 0x72, 0x65, 0x73, 0x73, 0x12,
	0x03, 0x0a, 0x01, 0x62, 0x59, 0xd0, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x62, 0x0f, 0x7a, 0x65, 0x72, 0x6f, 0x74, 0x72, 0x61, 0x63, 0x65,
	0x2e, 0x61, 0x6c, 0x65, 0x72, 0x74,
};

/* 331 bytes, from protobufjs and the official root (see the header) */
static const uint8_t lg_trace_expected[] = {
	0x0a, 0xc8, 0x02, 0x0a, 0x2f, 0x0a, 0x1b, 0x0a, 0x0c, 0x73, 0x65, 0x72,
	0x76, 0x69, 0x63, 0x65, 0x2e, 0x6e, 0x61, 0x6d, 0x65, 0x12, 0x0b, 0x0a,
	0x09, 0x7a, 0x65, 0x72, 0x6f, 0x74, 0x72, 0x61, 0x63, 0x65, 0x0a, 0x10,
	0x0a, 0x09, 0x68, 0x6f, 0x73, 0x74, 0x2e, 0x6e, 0x61, 0x6d, 0x65, 0x12,
	0x03, 0x0a, 0x01, 0x68, 0x12, 0x94, 0x02, 0x0a, 0x1b, 0x0a, 0x12, 0x7a,
	0x65, 0x72, 0x6f, 0x74, 0x72, 0x61, 0x63, 0x65, 0x2e, 0x73, 0x65, 0x63,
	0x75, 0x72, 0x69, 0x74, 0x79, 0x12, 0x05, 0x30, 0x2e, 0x31, 0x2e, 0x30,
	0x12, 0xf4, 0x01, 0x09, 0xe8, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x10, 0x11, 0x1a, 0x04, 0x68, 0x69, 0x67, 0x68, 0x2a, 0x02, 0x0a, 0x00,
	0x32, 0x2d, 0x0a, 0x14, 0x7a, 0x65, 0x72, 0x6f, 0x74, 0x72, 0x61, 0x63,
	0x65, 0x2e, 0x61, 0x6c, 0x65, 0x72, 0x74, 0x2e, 0x72, 0x75, 0x6c, 0x65,
	0x12, 0x15, 0x0a, 0x13, 0x68, 0x74, 0x74, 0x70, 0x5f, 0x70, 0x61, 0x74,
	0x68, 0x5f, 0x74, 0x72, 0x61, 0x76, 0x65, 0x72, 0x73, 0x61, 0x6c, 0x32,
	0x22, 0x0a, 0x18, 0x7a, 0x65, 0x72, 0x6f, 0x74, 0x72, 0x61, 0x63, 0x65,
	0x2e, 0x61, 0x6c, 0x65, 0x72, 0x74, 0x2e, 0x73, 0x65, 0x76, 0x65, 0x72,
	0x69, 0x74, 0x79, 0x12, 0x06, 0x0a, 0x04, 0x68, 0x69, 0x67, 0x68, 0x32,
	0x1b, 0x0a, 0x15, 0x7a, 0x65, 0x72, 0x6f, 0x74, 0x72, 0x61, 0x63, 0x65,
	0x2e, 0x61, 0x6c, 0x65, 0x72, 0x74, 0x2e, 0x63, 0x6f, 0x75, 0x6e, 0x74,
	0x12, 0x02, 0x18, 0x02, 0x32, 0x1f, 0x0a, 0x15, 0x6e, 0x65, 0x74, 0x77,
	0x6f, 0x72, 0x6b, 0x2e, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x63, 0x6f, 0x6c,
	0x2e, 0x6e, 0x61, 0x6d, 0x65, 0x12, 0x06, 0x0a, 0x04, 0x68, 0x74, 0x74,
	0x70, 0x32, 0x11, 0x0a, 0x0b, 0x73, 0x65, 0x72, 0x76, 0x65, 0x72, 0x2e,
	0x70, 0x6f, 0x72, 0x74, 0x12, 0x02, 0x18, 0x50, 0x45, 0x01, 0x00, 0x00,
	0x00, 0x4a, 0x10, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
	0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x52, 0x08, 0xa1, 0xa2, 0xa3,
	0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0x59, 0xd0, 0x07, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x62, 0x0f, 0x7a, 0x65, 0x72, 0x6f, 0x74, 0x72, 0x61, 0x63,
	0x65, 0x2e, 0x61, 0x6c, 0x65, 0x72, 0x74,
};

static struct otlp_log_item lg_alert_item(const struct alert *a, uint64_t observed)
{
	struct otlp_log_item it;

	memset(&it, 0, sizeof(it));
	it.kind = OTLP_LOG_ALERT;
	it.observed_unix_ns = observed;
	it.alert = *a;
	return it;
}

static struct alert_note lg_note(void)
{
	struct alert_note n = { .time_unix_ns = AF_TIME_NS, .severity = ALERT_SEV_INFO };

	strcpy(n.name, "zerotrace.audit.head");
	strcpy(n.message, "audit chain head after record 42");
	alert_note_param(&n, "sha256", "9f86d081884c7d65");
	alert_note_param(&n, "seq", "42");
	return n;
}

static struct otlp_log_item lg_note_item(const struct alert_note *n, uint64_t observed)
{
	struct otlp_log_item it;

	memset(&it, 0, sizeof(it));
	it.kind = OTLP_LOG_NOTE;
	it.observed_unix_ns = observed;
	it.note = *n;
	return it;
}

static void lg_expect_bytes(const struct otlp_buf *b, const uint8_t *want, size_t n,
			    const char *what)
{
	cr_assert_eq(b->len, n, "%s: %zu bytes, want %zu", what, b->len, n);
	for (size_t i = 0; i < n; i++)
		if (b->data[i] != want[i])
			cr_assert_fail("%s: byte %zu is 0x%02x, want 0x%02x", what, i, b->data[i],
				       want[i]);
}

Test(otlp_logs, proto_exact_bytes)
{
	struct alert a = alert_fixture_min();
	struct otlp_log_item it = lg_alert_item(&a, 2000);
	struct otlp_buf b = { 0 };

	cr_assert_str_eq(ZT_VERSION, "0.1.0", "the version changed: regenerate the expected bytes");
	cr_assert_eq(otlp_logs_encode_proto(&b, &it, 1, "h"), 0);
	lg_expect_bytes(&b, lg_min_expected, sizeof(lg_min_expected), "bare alert");

	/* a trace, no ends, an empty reason (the body is still written) */
	memset(&a, 0, sizeof(a));
	a.time_unix_ns = 1000;
	a.rule = ALERT_HTTP_PATH_TRAVERSAL;
	a.severity = ALERT_SEV_HIGH;
	a.count = 2;
	a.port = 80;
	strcpy(a.protocol, "http");
	a.has_trace = 1;
	for (int i = 0; i < 16; i++)
		a.trace_id[i] = (uint8_t)(i + 1);
	for (int i = 0; i < 8; i++)
		a.span_id[i] = (uint8_t)(0xa1 + i);
	it = lg_alert_item(&a, 2000);
	cr_assert_eq(otlp_logs_encode_proto(&b, &it, 1, "h"), 0);
	lg_expect_bytes(&b, lg_trace_expected, sizeof(lg_trace_expected), "alert with a trace");
	otlp_buf_free(&b);
}

#define LG_RESOURCE                                                                       \
	"{\"resourceLogs\":[{\"resource\":{\"attributes\":[" LG_KV_S("service.name",       \
								     "zerotrace") ","  \
	LG_KV_S("host.name", "node-1") "]},\"scopeLogs\":[{\"scope\":{\"name\":"              \
				       "\"zerotrace.security\",\"version\":\"" ZT_VERSION "\"}," \
				       "\"logRecords\":["

#define LG_FULL_RECORD                                                                        \
	"{\"timeUnixNano\":\"1700000000123456789\",\"observedTimeUnixNano\":"                 \
	"\"1700000001000000000\",\"severityNumber\":21,\"severityText\":\"critical\","         \
	"\"body\":{\"stringValue\":\"checkout ran a program through postgresql\"},"          \
	"\"attributes\":[" LG_KV_S("zerotrace.alert.rule", "sql_command_exec") ","             \
	LG_KV_S("zerotrace.alert.severity", "critical") ","                                   \
	LG_KV_I("zerotrace.alert.count", "3") ","                                             \
	LG_KV_S("network.protocol.name", "postgresql") ","                                    \
	LG_KV_S("zerotrace.alert.operation", "COPY users TO PROGRAM 'id'") ","                \
	LG_KV_I("server.port", "5432") ","                                                    \
	LG_KV_S("zerotrace.source.service.name", "checkout") ","                              \
	LG_KV_S("zerotrace.source.k8s.namespace.name", "shop") ","                            \
	LG_KV_S("zerotrace.source.k8s.workload.name", "checkout") ","                         \
	LG_KV_S("zerotrace.source.process.executable.name", "python3") ","                    \
	LG_KV_I("zerotrace.source.process.pid", "4242") ","                                   \
	LG_KV_S("zerotrace.source.container.id", "abc123") ","                                \
	LG_KV_S("zerotrace.source.k8s.pod.name", "checkout-7d9f") ","                         \
	LG_KV_S("destination.address", "10.0.0.7") "],"                                       \
	"\"flags\":1,\"traceId\":\"0102030405060708090a0b0c0d0e0f10\","                      \
	"\"spanId\":\"a1a2a3a4a5a6a7a8\",\"eventName\":\"zerotrace.alert\"}"

#define LG_NOTE_RECORD                                                                        \
	"{\"timeUnixNano\":\"1700000000123456789\",\"observedTimeUnixNano\":"                 \
	"\"1700000001000000000\",\"severityNumber\":9,\"severityText\":\"info\","              \
	"\"body\":{\"stringValue\":\"audit chain head after record 42\"},"                    \
	"\"attributes\":[" LG_KV_S("sha256", "9f86d081884c7d65") "," LG_KV_S("seq", "42") "]," \
	"\"eventName\":\"zerotrace.audit.head\"}"

Test(otlp_logs, json_exact)
{
	struct alert a = alert_fixture_full();
	struct alert_note n = lg_note();
	struct otlp_log_item items[2] = { lg_alert_item(&a, LG_OBSERVED),
					  lg_note_item(&n, LG_OBSERVED) };
	struct otlp_buf b = { 0 };

	cr_assert_eq(otlp_logs_encode_json(&b, items, 2, "node-1"), 0);
	cr_expect_eq(b.len, strlen(LG_RESOURCE LG_FULL_RECORD "," LG_NOTE_RECORD "]}]}]}"));
	cr_expect(b.len && memcmp(b.data, LG_RESOURCE LG_FULL_RECORD "," LG_NOTE_RECORD "]}]}]}",
				  b.len) == 0,
		  "%.*s", (int)b.len, (const char *)b.data);
	otlp_buf_free(&b);
}

Test(otlp_logs, empty_batch_and_no_host)
{
	struct alert a = alert_fixture_min();
	struct otlp_log_item it = lg_alert_item(&a, 2000);
	struct otlp_buf b = { 0 };

	cr_assert_eq(otlp_logs_encode_proto(&b, NULL, 0, "h"), 0);
	cr_expect_eq(b.len, 0);
	cr_assert_eq(otlp_logs_encode_json(&b, NULL, 0, "h"), 0);
	cr_expect_eq(b.len, strlen("{\"resourceLogs\":[]}"));
	cr_expect(memcmp(b.data, "{\"resourceLogs\":[]}", b.len) == 0);
	cr_assert_eq(otlp_logs_encode_json(&b, &it, 1, NULL), 0);
	cr_expect(memmem(b.data, b.len,
			 "{\"resource\":{\"attributes\":[" LG_KV_S("service.name", "zerotrace") "]}",
			 strlen("{\"resource\":{\"attributes\":[" LG_KV_S("service.name",
									     "zerotrace") "]}")) != NULL,
		  "%.*s", (int)b.len, (const char *)b.data);
	otlp_buf_free(&b);
}

Test(otlp_logs, note_without_name_and_params)
{
	struct alert_note n = { .time_unix_ns = 5, .severity = ALERT_SEV_CRITICAL };
	struct otlp_log_item it;
	struct otlp_buf b = { 0 };
	const char *want = "{\"timeUnixNano\":\"5\",\"observedTimeUnixNano\":\"6\","
			   "\"severityNumber\":21,\"severityText\":\"critical\","
			   "\"body\":{\"stringValue\":\"\"},\"attributes\":[],"
			   "\"eventName\":\"zerotrace.note\"}";

	alert_note_param(&n, "", "a param without a name is left out");
	it = lg_note_item(&n, 6);
	cr_assert_eq(otlp_logs_encode_json(&b, &it, 1, "h"), 0);
	cr_expect(memmem(b.data, b.len, want, strlen(want)) != NULL, "%.*s", (int)b.len,
		  (const char *)b.data);
	otlp_buf_free(&b);
}

Test(otlp_logs, invalid_utf8_repaired_in_both)
{
	struct alert a = alert_fixture_min();
	struct otlp_log_item it;
	struct otlp_buf b = { 0 };

	strcpy(a.reason, "a\xff\"b");
	it = lg_alert_item(&a, 2000);
	cr_assert_eq(otlp_logs_encode_proto(&b, &it, 1, "h"), 0);
	/* body: AnyValue { string_value = "a" U+FFFD "\"b" } */
	cr_expect(memmem(b.data, b.len, "\x2a\x08\x0a\x06" "a\xef\xbf\xbd\"b", 10) != NULL);
	cr_assert_eq(otlp_logs_encode_json(&b, &it, 1, "h"), 0);
#define LG_BAD_BODY "\"body\":{\"stringValue\":\"a\\ufffd\\\"b\"}"
	cr_expect(memmem(b.data, b.len, LG_BAD_BODY, strlen(LG_BAD_BODY)) != NULL,
		  "%.*s", (int)b.len, (const char *)b.data);
	otlp_buf_free(&b);
}

/* Big records: lengths of two and three varint bytes, 100 records. */
Test(otlp_logs, worst_case_batch_encodes)
{
	struct alert a = alert_fixture_filled('\xff');
	struct otlp_log_item *items = calloc(100, sizeof(*items));
	struct otlp_buf b = { 0 };

	cr_assert_not_null(items);
	for (int i = 0; i < 100; i++)
		items[i] = lg_alert_item(&a, 1);
	cr_assert_eq(otlp_logs_encode_proto(&b, items, 100, "h"), 0);
	cr_expect_gt(b.len, 100 * 3 * 1000);
	cr_assert_eq(otlp_logs_encode_json(&b, items, 100, "h"), 0);
	cr_expect_gt(b.len, 100 * 6 * 1000);
	otlp_buf_free(&b);
	free(items);
}

static void lg_write(const char *dir, const char *name, const struct otlp_buf *b)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(b->data, 1, b->len, f), b->len);
	cr_assert_eq(fclose(f), 0);
}

/* The sample the schema check decodes: every kind of record. */
Test(otlp_logs, write_samples)
{
	const char *dir = getenv("ZT_OTLP_LOGS_SAMPLES");
	struct alert full = alert_fixture_full(), bare = alert_fixture_min();
	struct alert worst = alert_fixture_filled('\xff');
	struct alert_note n = lg_note();
	struct otlp_log_item items[4] = { lg_alert_item(&full, LG_OBSERVED),
					  lg_alert_item(&bare, LG_OBSERVED),
					  lg_note_item(&n, LG_OBSERVED),
					  lg_alert_item(&worst, LG_OBSERVED) };
	struct otlp_buf pb = { 0 }, js = { 0 };

	cr_assert_eq(otlp_logs_encode_proto(&pb, items, 4, "node-1"), 0);
	cr_assert_eq(otlp_logs_encode_json(&js, items, 4, "node-1"), 0);
	if (dir && *dir) {
		lg_write(dir, "logs.pb", &pb);
		lg_write(dir, "logs.json", &js);
	}
	otlp_buf_free(&pb);
	otlp_buf_free(&js);
}

/* ---- Configuration ---- */

struct lg_env {
	const char *name;
	const char *value;
};

static const struct lg_env *lg_env_now;

static const char *lg_getenv(const char *name)
{
	for (const struct lg_env *v = lg_env_now; v && v->name; v++)
		if (strcmp(v->name, name) == 0)
			return v->value;
	return NULL;
}

Test(otlp_logs, logs_url_from_env_and_base)
{
	static const struct {
		struct lg_env env[4];
		const char *url, *logs_url, *err;
	} cases[] = {
		{ { { 0 } }, "", "", NULL },
		{ { { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/" } },
		  "http://c:4318/v1/traces", "http://c:4318/v1/logs", NULL },
		{ { { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318" },
		    { "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "https://l:1/custom" } },
		  "http://c:4318/v1/traces", "https://l:1/custom", NULL },
		/* a signal's own URL is never derived from another's */
		{ { { "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:1/v1/traces" } },
		  "http://t:1/v1/traces", "", NULL },
		{ { { "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://l:2/v1/logs" } }, "",
		  "http://l:2/v1/logs", NULL },
		{ { { "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "" },
		    { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c" } },
		  "http://c/v1/traces", "http://c/v1/logs", NULL },
		{ { { "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "c:4318" } }, NULL, NULL,
		  "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: the URL must start with http:// or https://" },
	};
	struct otlp_config c;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lg_env_now = cases[i].env;
		err[0] = '\0';
		if (cases[i].err) {
			cr_expect_eq(otlp_config_from_env(&c, lg_getenv, err, sizeof(err)), -1);
			cr_expect_str_eq(err, cases[i].err);
			continue;
		}
		cr_assert_eq(otlp_config_from_env(&c, lg_getenv, err, sizeof(err)), 0, "%zu: %s", i,
			     err);
		cr_expect_str_eq(c.url, cases[i].url, "case %zu", i);
		cr_expect_str_eq(c.logs_url, cases[i].logs_url, "case %zu", i);
		cr_expect_eq(c.logs_queue_size, 512);
	}

	lg_env_now = NULL;
	cr_assert_eq(otlp_config_from_env(&c, lg_getenv, err, sizeof(err)), 0);
	cr_expect_eq(otlp_config_set_endpoint(&c, "--otlp-endpoint", " https://c:4318/otlp// ", err,
					      sizeof(err)),
		     0);
	cr_expect_str_eq(c.url, "https://c:4318/otlp/v1/traces");
	cr_expect_str_eq(c.logs_url, "https://c:4318/otlp/v1/logs");
	cr_expect_eq(otlp_config_set_endpoint(&c, "--otlp-endpoint", "ftp://x", err, sizeof(err)),
		     -1);
	cr_expect_str_eq(err, "--otlp-endpoint: the URL must start with http:// or https://");
	cr_expect_str_eq(c.url, "https://c:4318/otlp/v1/traces", "unchanged on error");
}

/* ---- The exporter against a real HTTP server ---- */

#define LX_MAX_REQS 32
#define LX_CONN_MAX (4u << 20)

struct lx_req {
	char path[64];
	char content_type[64];
	uint8_t *body;
	size_t body_len;
};

struct lx_server {
	int lfd;
	uint16_t port;
	pthread_t thread;
	pthread_mutex_t mu;
	const int *statuses; /* answers in order; 200 after the end */
	size_t n_statuses;
	int quit;
	size_t n_reqs;
	struct lx_req reqs[LX_MAX_REQS];
};

static int lx_quitting(struct lx_server *s)
{
	int q;

	pthread_mutex_lock(&s->mu);
	q = s->quit;
	pthread_mutex_unlock(&s->mu);
	return q;
}

static int lx_readable(struct lx_server *s, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (!lx_quitting(s))
		if (poll(&p, 1, 20) > 0)
			return 1;
	return 0;
}

/* The value of header `name` in head (NUL-terminated), copied to out. */
static void lx_header(const char *head, const char *name, char *out, size_t cap)
{
	const char *p = head, *eol;
	size_t n = strlen(name);

	out[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			eol = strstr(p, "\r\n");
			snprintf(out, cap, "%.*s", (int)(eol ? eol - p : (long)strlen(p)), p);
			return;
		}
	}
}

static void lx_serve(struct lx_server *s, int fd)
{
	char *buf = malloc(LX_CONN_MAX), *end, out[160], cl[32];
	size_t len = 0, head_len, body_len, idx;
	ssize_t got;
	int status, n;

	cr_assert_not_null(buf);
	for (;;) {
		while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
			if (len == LX_CONN_MAX || !lx_readable(s, fd))
				goto out;
			got = recv(fd, buf + len, LX_CONN_MAX - len, 0);
			if (got <= 0)
				goto out;
			len += (size_t)got;
		}
		head_len = (size_t)(end - buf) + 4;
		buf[head_len - 2] = '\0';
		lx_header(buf, "Content-Length", cl, sizeof(cl));
		body_len = strtoul(cl, NULL, 10);
		if (body_len > LX_CONN_MAX - head_len)
			goto out;
		while (len < head_len + body_len) {
			if (!lx_readable(s, fd))
				goto out;
			got = recv(fd, buf + len, LX_CONN_MAX - len, 0);
			if (got <= 0)
				goto out;
			len += (size_t)got;
		}
		pthread_mutex_lock(&s->mu);
		idx = s->n_reqs++;
		if (idx < LX_MAX_REQS) {
			struct lx_req *q = &s->reqs[idx];

			sscanf(buf, "POST %63s ", q->path);
			lx_header(buf, "Content-Type", q->content_type, sizeof(q->content_type));
			q->body = malloc(body_len + 1);
			memcpy(q->body, buf + head_len, body_len);
			q->body[body_len] = 0;
			q->body_len = body_len;
		}
		status = idx < s->n_statuses ? s->statuses[idx] : 200;
		pthread_mutex_unlock(&s->mu);
		n = snprintf(out, sizeof(out),
			     "HTTP/1.1 %d X\r\nContent-Length: 0\r\n%s\r\n", status,
			     status == 503 ? "Retry-After: 0\r\n" : "");
		if (send(fd, out, (size_t)n, MSG_NOSIGNAL) != n)
			goto out;
		len -= head_len + body_len;
		memmove(buf, buf + head_len + body_len, len);
	}
out:
	free(buf);
}

static void *lx_main(void *arg)
{
	struct lx_server *s = arg;
	int fd;

	while (lx_readable(s, s->lfd)) {
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		lx_serve(s, fd);
		close(fd);
	}
	return NULL;
}

static struct lx_server *lx_start(const int *statuses, size_t n)
{
	struct lx_server *s = calloc(1, sizeof(*s));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);

	cr_assert_not_null(s);
	s->statuses = statuses;
	s->n_statuses = n;
	pthread_mutex_init(&s->mu, NULL);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s->lfd, 8), 0);
	cr_assert_eq(getsockname(s->lfd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	cr_assert_eq(pthread_create(&s->thread, NULL, lx_main, s), 0);
	return s;
}

static void lx_stop(struct lx_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->quit = 1;
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	close(s->lfd);
	for (size_t i = 0; i < s->n_reqs && i < LX_MAX_REQS; i++)
		free(s->reqs[i].body);
	free(s);
}

static uint64_t lx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Polls the stats until field >= want or ms pass; returns the last read. */
static struct otlp_stats lx_wait(struct otlp_exporter *e, size_t off, uint64_t want, unsigned ms)
{
	uint64_t until = lx_now_ms() + ms;
	struct otlp_stats st;
	struct timespec nap = { 0, 2000000 };

	for (;;) {
		otlp_exporter_get_stats(e, &st);
		if (*(const uint64_t *)((const char *)&st + off) >= want || lx_now_ms() >= until)
			return st;
		nanosleep(&nap, NULL);
	}
}

#define LX_WAIT(e, field, want, ms) lx_wait((e), offsetof(struct otlp_stats, field), (want), (ms))

static struct otlp_config lx_config(uint16_t port)
{
	struct otlp_config c;
	char base[64];

	lg_env_now = NULL;
	cr_assert_eq(otlp_config_from_env(&c, lg_getenv, NULL, 0), 0);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", port);
	cr_assert_eq(otlp_config_set_endpoint(&c, "test", base, NULL, 0), 0);
	c.timeout_ms = 2000;
	c.max_batch = 10;
	c.max_delay_ms = 20;
	c.queue_size = 16;
	c.max_retry_ms = 2000;
	return c;
}

/* The received OTLP/JSON body with every observedTimeUnixNano (set when
 * queued) replaced by LG_OBSERVED, to compare with the encoder's. */
static char *lx_fix_observed(const struct lx_req *q)
{
	char *out = malloc(q->body_len + 64 * 32), *o = out;
	const char *p = (const char *)q->body, *m;
	const char *key = "\"observedTimeUnixNano\":\"";

	cr_assert_not_null(out);
	while ((m = strstr(p, key)) != NULL) {
		memcpy(o, p, (size_t)(m - p) + strlen(key));
		o += (m - p) + strlen(key);
		o += sprintf(o, "%llu", (unsigned long long)LG_OBSERVED);
		p = strchr(m + strlen(key), '"');
		cr_assert_not_null(p);
	}
	strcpy(o, p);
	return out;
}

static void lx_expect_json(const struct lx_req *q, const struct otlp_log_item *items, size_t n)
{
	struct otlp_buf b = { 0 };
	char *got = lx_fix_observed(q);

	cr_assert_eq(otlp_logs_encode_json(&b, items, n, procinfo_host_name()), 0);
	cr_expect_eq(strlen(got), b.len);
	cr_expect(strlen(got) == b.len && memcmp(got, b.data, b.len) == 0, "got %s\nwant %.*s", got,
		  (int)b.len, (const char *)b.data);
	otlp_buf_free(&b);
	free(got);
}

Test(otlp_logs, exporter_sends_logs_and_spans_to_their_paths)
{
	struct lx_server *srv = lx_start(NULL, 0);
	struct otlp_config c = lx_config(srv->port);
	struct alert a = alert_fixture_full(), b = alert_fixture_min();
	struct alert_note n = lg_note();
	struct otlp_log_item want[3] = { lg_alert_item(&a, LG_OBSERVED),
					 lg_alert_item(&b, LG_OBSERVED),
					 lg_note_item(&n, LG_OBSERVED) };
	struct otlp_exporter *e;
	struct otlp_stats st;
	struct span s;
	int saw_logs = 0, saw_traces = 0;

	c.protocol = OTLP_HTTP_JSON;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	memset(&s, 0, sizeof(s));
	s.trace_id[0] = s.span_id[0] = 1;
	strcpy(s.name, "GET /");
	otlp_exporter_enqueue(e, &s, NULL);
	cr_expect_eq(otlp_exporter_enqueue_alert(e, &a), 0);
	cr_expect_eq(otlp_exporter_enqueue_alert(e, &b), 0);
	cr_expect_eq(otlp_exporter_enqueue_note(e, &n), 0);
	st = LX_WAIT(e, logs_exported, 3, 3000);
	cr_expect_eq(st.logs_exported, 3);
	cr_expect_eq(st.logs_enqueued, 3);
	st = LX_WAIT(e, exported, 1, 3000);
	cr_expect_eq(st.exported, 1);
	cr_expect_eq(st.logs_dropped_full + st.logs_dropped_failed + st.dropped_failed, 0);
	cr_expect_eq(st.logs_queue_depth, 0);
	otlp_exporter_stop(e, 1000, NULL);

	pthread_mutex_lock(&srv->mu);
	for (size_t i = 0; i < srv->n_reqs; i++) {
		struct lx_req *q = &srv->reqs[i];

		cr_expect_str_eq(q->content_type, "application/json");
		if (strcmp(q->path, "/v1/logs") == 0) {
			saw_logs++;
			lx_expect_json(q, want, 3);
		} else {
			cr_expect_str_eq(q->path, "/v1/traces");
			saw_traces++;
		}
	}
	pthread_mutex_unlock(&srv->mu);
	cr_expect_eq(saw_logs, 1, "one batch of three records");
	cr_expect_eq(saw_traces, 1);
	lx_stop(srv);
}

Test(otlp_logs, exporter_retries_logs_and_counts_records)
{
	static const int statuses[] = { 503, 200, 400 };
	struct lx_server *srv = lx_start(statuses, 3);
	struct otlp_config c = lx_config(srv->port);
	struct alert a = alert_fixture_full();
	struct otlp_exporter *e;
	struct otlp_stats st;
	struct otlp_buf want = { 0 };
	struct otlp_log_item it = lg_alert_item(&a, 0);

	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	for (int i = 0; i < 4; i++)
		otlp_exporter_enqueue_alert(e, &a);
	st = LX_WAIT(e, logs_exported, 4, 3000);
	cr_expect_eq(st.logs_exported, 4);
	cr_expect_eq(st.retries, 1);
	cr_expect_eq(st.requests, 2);
	/* a permanent error drops the batch: its records are counted */
	for (int i = 0; i < 3; i++)
		otlp_exporter_enqueue_alert(e, &a);
	st = LX_WAIT(e, logs_dropped_failed, 3, 3000);
	cr_expect_eq(st.logs_dropped_failed, 3);
	cr_expect_eq(st.dropped_failed, 0, "spans untouched");
	otlp_exporter_stop(e, 500, NULL);

	/* protobuf: same bytes every attempt; the same length as the encoder's
	 * (observed times are fixed64, so only their values differ) */
	cr_assert_eq(srv->n_reqs, 3);
	cr_expect_str_eq(srv->reqs[0].path, "/v1/logs");
	cr_expect_str_eq(srv->reqs[0].content_type, "application/x-protobuf");
	cr_expect_eq(srv->reqs[0].body_len, srv->reqs[1].body_len);
	cr_expect(memcmp(srv->reqs[0].body, srv->reqs[1].body, srv->reqs[0].body_len) == 0);
	{
		struct otlp_log_item four[4] = { it, it, it, it };

		cr_assert_eq(otlp_logs_encode_proto(&want, four, 4, procinfo_host_name()), 0);
		cr_expect_eq(srv->reqs[0].body_len, want.len);
	}
	otlp_buf_free(&want);
	lx_stop(srv);
}

/* A queue of 4 behind a batch stuck retrying a dead port: exact counts. */
Test(otlp_logs, exporter_log_queue_full_and_stop_counted)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct otlp_config c;
	struct alert a = alert_fixture_min();
	struct otlp_exporter *e;
	struct otlp_stats st, fin;

	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &alen), 0);
	close(fd);
	c = lx_config(ntohs(sa.sin_port));
	c.logs_queue_size = 4;
	c.max_retry_ms = 60000;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	cr_expect_eq(otlp_exporter_enqueue_alert(e, &a), 0);
	for (int i = 0; i < 300; i++) { /* the thread takes it, then retries */
		otlp_exporter_get_stats(e, &st);
		if (!st.logs_queue_depth && st.requests)
			break;
		usleep(10000);
	}
	cr_assert_eq(st.logs_queue_depth, 0);
	for (int i = 0; i < 4; i++)
		cr_expect_eq(otlp_exporter_enqueue_alert(e, &a), 0);
	cr_expect_eq(otlp_exporter_enqueue_alert(e, &a), -1);
	cr_expect_eq(otlp_exporter_enqueue_alert(e, &a), -1);
	otlp_exporter_get_stats(e, &st);
	cr_expect_eq(st.logs_dropped_full, 2);
	cr_expect_eq(st.logs_queue_depth, 4);
	cr_expect_eq(st.logs_enqueued, 5);
	otlp_exporter_stop(e, 0, &fin);
	cr_expect_eq(fin.logs_dropped_failed, 5, "the batch in flight and the 4 queued");
	cr_expect_eq(fin.logs_exported, 0);
	cr_expect_eq(fin.logs_queue_depth, 0);
}

Test(otlp_logs, exporter_one_signal_only)
{
	struct lx_server *srv = lx_start(NULL, 0);
	struct otlp_config c = lx_config(srv->port);
	struct alert a = alert_fixture_min();
	struct alert_note n = lg_note();
	struct otlp_exporter *e;
	struct otlp_stats st;
	struct span s;

	memset(&s, 0, sizeof(s));
	/* traces only: alerts are refused, not counted */
	c.logs_url[0] = '\0';
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	cr_expect_eq(otlp_exporter_enqueue_alert(e, &a), -1);
	cr_expect_eq(otlp_exporter_enqueue_note(e, &n), -1);
	otlp_exporter_get_stats(e, &st);
	cr_expect_eq(st.logs_enqueued + st.logs_dropped_full, 0);
	otlp_exporter_stop(e, 0, NULL);

	/* logs only: spans are ignored, records delivered */
	c = lx_config(srv->port);
	c.url[0] = '\0';
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	otlp_exporter_enqueue(e, &s, NULL);
	cr_expect_eq(otlp_exporter_enqueue_note(e, &n), 0);
	st = LX_WAIT(e, logs_exported, 1, 3000);
	cr_expect_eq(st.logs_exported, 1);
	cr_expect_eq(st.enqueued, 0);
	otlp_exporter_stop(e, 500, NULL);
	cr_expect_eq(srv->n_reqs, 1);
	cr_expect_str_eq(srv->reqs[0].path, "/v1/logs");

	/* neither, or logs without a queue: not started */
	c.logs_url[0] = '\0';
	errno = 0;
	cr_expect_null(otlp_exporter_start(&c));
	cr_expect_eq(errno, EINVAL);
	c = lx_config(srv->port);
	c.logs_queue_size = 0;
	cr_expect_null(otlp_exporter_start(&c));
	cr_expect_eq(otlp_exporter_enqueue_alert(NULL, &a), -1);
	cr_expect_eq(otlp_exporter_enqueue_note(NULL, &n), -1);
	lx_stop(srv);
}

/* Records queued with a long batching delay go out on stop (the drain). */
Test(otlp_logs, exporter_stop_drains_logs)
{
	struct lx_server *srv = lx_start(NULL, 0);
	struct otlp_config c = lx_config(srv->port);
	struct alert a = alert_fixture_min();
	struct otlp_exporter *e;
	struct otlp_stats fin;

	c.max_delay_ms = 60000;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	for (int i = 0; i < 3; i++)
		otlp_exporter_enqueue_alert(e, &a);
	otlp_exporter_stop(e, 2000, &fin);
	cr_expect_eq(fin.logs_exported, 3);
	cr_expect_eq(srv->n_reqs, 1);
	lx_stop(srv);
}
