// SPDX-License-Identifier: MIT
/*
 * exporters/otlp_logs_encode.c and the log half of otlp_exporter.c.
 *
 * Encoding: exact protobuf bytes for two alerts and a log line, produced
 * independently by protobufjs with the official generated root
 * (tests/otlp/node_modules, otlp-proto = @opentelemetry/otlp-transformer
 * 0.214.0) from the message written out as an object; exact OTLP/JSON for
 * an alert with every field, a note, and log lines of each stream; the
 * fields of log lines read back from the protobuf (optional ones left out,
 * flags and ids); how a batch of alerts, notes and the lines of several
 * processes is grouped; bodies of any bytes; UTF-8 repair; the copies into
 * an item and the size bound; empty batches. write_samples and
 * write_app_samples leave protobuf and OTLP/JSON requests in
 * $ZT_OTLP_LOGS_SAMPLES for tests/otlp/logs_schema_check.js
 * (tests/otlp/logs_schema_test.sh reads the first pair).
 *
 * Exporter: records reach POST /v1/logs of a real HTTP server on loopback
 * (a thread here) next to spans on /v1/traces, retried like spans, counted
 * one by one (exported, dropped when full, dropped when failed, on stop);
 * log lines with their process's resource, the room kept for alerts; the
 * logs URL from the environment and from a base endpoint.
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

/* ---- Log lines (--logs): OTLP_LOG_APP ---- */

#define LG_HOST "node-1"

/* The process of most lines: a cache entry (generation 5) with one
 * OTEL_RESOURCE_ATTRIBUTES pair. */
static struct procinfo lg_proc(uint32_t pid, const char *name, uint64_t generation)
{
	struct procinfo p;

	memset(&p, 0, sizeof(p));
	p.pid = pid;
	p.start_time = 777;
	p.generation = generation;
	snprintf(p.comm, sizeof(p.comm), "%s", name);
	snprintf(p.exe_name, sizeof(p.exe_name), "%s", name);
	snprintf(p.exe_path, sizeof(p.exe_path), "/usr/bin/%s", name);
	snprintf(p.service_name, sizeof(p.service_name), "%s", name);
	p.n_attrs = 1;
	strcpy(p.attrs[0].key, "deployment.environment");
	strcpy(p.attrs[0].value, "prod");
	return p;
}

/* A line of pid 4242 (tid 4243) to stdout inside a sampled trace. */
static void lg_line(struct log_record *r, const char *body, const struct procinfo *p)
{
	memset(r, 0, sizeof(*r));
	r->time_unix_ns = AF_TIME_NS;
	for (int i = 0; i < 16; i++)
		r->trace_id[i] = (uint8_t)(i + 1);
	for (int i = 0; i < 8; i++)
		r->span_id[i] = (uint8_t)(0xa1 + i);
	r->has_trace = 1;
	r->sampled = 1;
	r->severity_number = 9;
	strcpy(r->severity_text, "INFO");
	r->stream = LOG_STREAM_STDOUT;
	r->pid = p ? p->pid : 4242;
	r->tid = 4243;
	r->fd = 1;
	r->body_len = (uint32_t)strlen(body);
	memcpy(r->body, body, r->body_len);
	snprintf(r->comm, sizeof(r->comm), "%s", p ? p->comm : "shop");
	r->process = p;
}

static struct otlp_log_item lg_app_item(const struct log_record *r)
{
	struct otlp_log_item it;

	memset(&it, 0, sizeof(it));
	otlp_log_item_set_app(&it, r, LG_OBSERVED);
	return it;
}

/* 339 bytes, from protobufjs and the official root (see the header): the
 * line of lg_line("GET /items/7 200") of lg_proc(4242, "shop", 5), host
 * node-1 */
static const uint8_t lg_app_expected[] = {
	0x0a, 0xd0, 0x02, 0x0a, 0xb4, 0x01, 0x0a, 0x16, 0x0a, 0x0c, 0x73, 0x65,
	0x72, 0x76, 0x69, 0x63, 0x65, 0x2e, 0x6e, 0x61, 0x6d, 0x65, 0x12, 0x06,
	0x0a, 0x04, 0x73, 0x68, 0x6f, 0x70, 0x0a, 0x12, 0x0a, 0x0b, 0x70, 0x72,
	0x6f, 0x63, 0x65, 0x73, 0x73, 0x2e, 0x70, 0x69, 0x64, 0x12, 0x03, 0x18,
	0x92, 0x21, 0x0a, 0x21, 0x0a, 0x17, 0x70, 0x72, 0x6f, 0x63, 0x65, 0x73,
	0x73, 0x2e, 0x65, 0x78, 0x65, 0x63, 0x75, 0x74, 0x61, 0x62, 0x6c, 0x65,
	0x2e, 0x6e, 0x61, 0x6d, 0x65, 0x12, 0x06, 0x0a, 0x04, 0x73, 0x68, 0x6f,
	0x70, 0x0a, 0x2a, 0x0a, 0x17, 0x70, 0x72, 0x6f, 0x63, 0x65, 0x73, 0x73,
	0x2e, 0x65, 0x78, 0x65, 0x63, 0x75, 0x74, 0x61, 0x62, 0x6c, 0x65, 0x2e,
	0x70, 0x61, 0x74, 0x68, 0x12, 0x0f, 0x0a, 0x0d, 0x2f, 0x75, 0x73, 0x72,
	0x2f, 0x62, 0x69, 0x6e, 0x2f, 0x73, 0x68, 0x6f, 0x70, 0x0a, 0x15, 0x0a,
	0x09, 0x68, 0x6f, 0x73, 0x74, 0x2e, 0x6e, 0x61, 0x6d, 0x65, 0x12, 0x08,
	0x0a, 0x06, 0x6e, 0x6f, 0x64, 0x65, 0x2d, 0x31, 0x0a, 0x20, 0x0a, 0x16,
	0x64, 0x65, 0x70, 0x6c, 0x6f, 0x79, 0x6d, 0x65, 0x6e, 0x74, 0x2e, 0x65,
	0x6e, 0x76, 0x69, 0x72, 0x6f, 0x6e, 0x6d, 0x65, 0x6e, 0x74, 0x12, 0x06,
	0x0a, 0x04, 0x70, 0x72, 0x6f, 0x64, 0x12, 0x96, 0x01, 0x0a, 0x17, 0x0a,
	0x0e, 0x7a, 0x65, 0x72, 0x6f, 0x74, 0x72, 0x61, 0x63, 0x65, 0x2e, 0x6c,
	0x6f, 0x67, 0x73, 0x12, 0x05, 0x30, 0x2e, 0x31, 0x2e, 0x30, 0x12, 0x7b,
	0x09, 0x15, 0xcd, 0x85, 0x3d, 0xfe, 0x9c, 0x97, 0x17, 0x10, 0x09, 0x1a,
	0x04, 0x49, 0x4e, 0x46, 0x4f, 0x2a, 0x12, 0x0a, 0x10, 0x47, 0x45, 0x54,
	0x20, 0x2f, 0x69, 0x74, 0x65, 0x6d, 0x73, 0x2f, 0x37, 0x20, 0x32, 0x30,
	0x30, 0x32, 0x18, 0x0a, 0x0c, 0x6c, 0x6f, 0x67, 0x2e, 0x69, 0x6f, 0x73,
	0x74, 0x72, 0x65, 0x61, 0x6d, 0x12, 0x08, 0x0a, 0x06, 0x73, 0x74, 0x64,
	0x6f, 0x75, 0x74, 0x32, 0x10, 0x0a, 0x09, 0x74, 0x68, 0x72, 0x65, 0x61,
	0x64, 0x2e, 0x69, 0x64, 0x12, 0x03, 0x18, 0x93, 0x21, 0x45, 0x01, 0x00,
	0x00, 0x00, 0x4a, 0x10, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x52, 0x08, 0xa1, 0xa2,
	0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0x59, 0x00, 0xca, 0xc4, 0x71, 0xfe,
	0x9c, 0x97, 0x17,
};

Test(otlp_logs, app_proto_exact_bytes)
{
	struct procinfo p = lg_proc(4242, "shop", 5);
	struct log_record r;
	struct otlp_log_item it;
	struct otlp_buf b = { 0 };

	lg_line(&r, "GET /items/7 200", &p);
	it = lg_app_item(&r);
	cr_assert_eq(otlp_logs_encode_proto(&b, &it, 1, LG_HOST), 0);
	lg_expect_bytes(&b, lg_app_expected, sizeof(lg_app_expected), "a line in a trace");
	otlp_buf_free(&b);
}

#define LG_APP_RESOURCE(svc, pid)                                                           \
	"{\"resource\":{\"attributes\":[" LG_KV_S("service.name", svc) ","                  \
	LG_KV_I("process.pid", pid) "," LG_KV_S("process.executable.name", svc) ","         \
	LG_KV_S("process.executable.path", "/usr/bin/" svc) "," LG_KV_S("host.name", LG_HOST) \
	"," LG_KV_S("deployment.environment", "prod") "]},\"scopeLogs\":[{\"scope\":"       \
	"{\"name\":\"zerotrace.logs\",\"version\":\"" ZT_VERSION "\"},\"logRecords\":["
#define LG_APP_TIMES                                                                        \
	"{\"timeUnixNano\":\"1700000000123456789\",\"observedTimeUnixNano\":"                 \
	"\"1700000001000000000\""
#define LG_APP_IDS                                                                          \
	"\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"a1a2a3a4a5a6a7a8\""

/* stdout in a sampled trace */
#define LG_APP_OUT                                                                          \
	LG_APP_TIMES ",\"severityNumber\":9,\"severityText\":\"INFO\","                      \
	"\"body\":{\"stringValue\":\"GET /items/7 200\"},\"attributes\":["                    \
	LG_KV_S("log.iostream", "stdout") "," LG_KV_I("thread.id", "4243") "],"               \
	"\"flags\":1," LG_APP_IDS "}"
/* stderr, no trace, no severity, cut */
#define LG_APP_ERR                                                                          \
	LG_APP_TIMES ",\"body\":{\"stringValue\":\"disk full\"},\"attributes\":["           \
	LG_KV_S("log.iostream", "stderr") "," LG_KV_I("thread.id", "4243") ","                \
	LG_KV_I("zerotrace.log.truncated", "1") "]}"
/* a file, in a trace not sampled */
#define LG_APP_FILE                                                                         \
	LG_APP_TIMES ",\"severityNumber\":17,\"severityText\":\"ERROR\","                    \
	"\"body\":{\"stringValue\":\"payment declined\"},\"attributes\":["                    \
	LG_KV_I("zerotrace.log.fd", "7") "," LG_KV_I("thread.id", "4243") "]," LG_APP_IDS "}"

static void lg_line_err(struct log_record *r, const struct procinfo *p)
{
	lg_line(r, "disk full", p);
	r->stream = LOG_STREAM_STDERR;
	r->fd = 2;
	r->has_trace = r->sampled = 0;
	memset(r->trace_id, 0, sizeof(r->trace_id));
	memset(r->span_id, 0, sizeof(r->span_id));
	r->severity_number = 0;
	r->severity_text[0] = '\0';
	r->cut = 1;
}

static void lg_line_file(struct log_record *r, const struct procinfo *p)
{
	lg_line(r, "payment declined", p);
	r->stream = LOG_STREAM_FILE;
	r->fd = 7;
	r->sampled = 0;
	r->severity_number = 17;
	strcpy(r->severity_text, "ERROR");
}

static void lg_expect_json(const struct otlp_log_item *items, size_t n, const char *want)
{
	struct otlp_buf b = { 0 };

	cr_assert_eq(otlp_logs_encode_json(&b, items, n, LG_HOST), 0);
	cr_expect(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0, "got  %.*s\nwant %s",
		  (int)b.len, (const char *)b.data, want);
	otlp_buf_free(&b);
}

Test(otlp_logs, app_json_exact)
{
	struct procinfo p = lg_proc(4242, "shop", 5);
	struct log_record r;
	struct otlp_log_item it;

	lg_line(&r, "GET /items/7 200", &p);
	it = lg_app_item(&r);
	lg_expect_json(&it, 1, "{\"resourceLogs\":[" LG_APP_RESOURCE("shop", "4242") LG_APP_OUT
			       "]}]}]}");
	lg_line_err(&r, &p);
	it = lg_app_item(&r);
	lg_expect_json(&it, 1, "{\"resourceLogs\":[" LG_APP_RESOURCE("shop", "4242") LG_APP_ERR
			       "]}]}]}");
	lg_line_file(&r, &p);
	it = lg_app_item(&r);
	lg_expect_json(&it, 1, "{\"resourceLogs\":[" LG_APP_RESOURCE("shop", "4242") LG_APP_FILE
			       "]}]}]}");
}

/* ---- A protobuf field reader, for the fields of a request ---- */

struct lg_slice {
	const uint8_t *p;
	size_t n;
};

static int lg_varint(struct lg_slice *m, uint64_t *v)
{
	*v = 0;
	for (unsigned int i = 0; i < 10 && m->n; i++) {
		uint8_t c = *m->p++;

		m->n--;
		*v |= (uint64_t)(c & 0x7f) << (7 * i);
		if (!(c & 0x80))
			return 0;
	}
	return -1;
}

/* One field off the front: 1, 0 at the end; malformed data fails the test. */
static int lg_next(struct lg_slice *m, uint32_t *field, uint64_t *num, struct lg_slice *val)
{
	uint64_t tag, len = 0;

	if (!m->n)
		return 0;
	cr_assert_eq(lg_varint(m, &tag), 0, "a bad tag");
	*field = (uint32_t)(tag >> 3);
	*num = 0;
	switch (tag & 7) {
	case 0:
		cr_assert_eq(lg_varint(m, num), 0, "a bad varint");
		return 1;
	case 1:
	case 5:
		len = (tag & 7) == 1 ? 8 : 4;
		cr_assert_geq(m->n, len, "a fixed int cut short");
		for (unsigned int i = 0; i < len; i++)
			*num |= (uint64_t)m->p[i] << (8 * i);
		break;
	case 2:
		cr_assert_eq(lg_varint(m, &len), 0, "a bad length");
		cr_assert_geq(m->n, len, "a length past the end");
		break;
	default:
		cr_assert_fail("wire type %u", (unsigned)(tag & 7));
	}
	*val = (struct lg_slice){ m->p, (size_t)len };
	m->p += len;
	m->n -= len;
	return 1;
}

/* The nth occurrence of field in m (0-based): 1 with its value, or 0. */
static int lg_find(struct lg_slice m, uint32_t field, size_t nth, struct lg_slice *val,
		   uint64_t *num)
{
	struct lg_slice v;
	uint32_t f;
	uint64_t x;

	while (lg_next(&m, &f, &x, &v) == 1) {
		if (f == field && nth-- == 0) {
			if (val)
				*val = v;
			if (num)
				*num = x;
			return 1;
		}
	}
	return 0;
}

static size_t lg_count(struct lg_slice m, uint32_t field)
{
	size_t n = 0;

	while (lg_find(m, field, n, NULL, NULL))
		n++;
	return n;
}

static int lg_eq(struct lg_slice s, const void *p, size_t n)
{
	return s.n == n && !memcmp(s.p, p, n);
}

/* The AnyValue of attribute key among m's field `field`. */
static int lg_attr(struct lg_slice m, uint32_t field, const char *key, struct lg_slice *any)
{
	struct lg_slice kv, k;

	for (size_t i = 0; lg_find(m, field, i, &kv, NULL); i++)
		if (lg_find(kv, 1, 0, &k, NULL) && lg_eq(k, key, strlen(key)))
			return lg_find(kv, 2, 0, any, NULL);
	return 0;
}

static int lg_attr_str(struct lg_slice m, uint32_t field, const char *key, const char *want)
{
	struct lg_slice any, s;

	return lg_attr(m, field, key, &any) && lg_find(any, 1, 0, &s, NULL) &&
	       lg_eq(s, want, strlen(want));
}

static int lg_attr_int(struct lg_slice m, uint32_t field, const char *key, uint64_t want)
{
	struct lg_slice any;
	uint64_t v;

	return lg_attr(m, field, key, &any) && lg_find(any, 3, 0, NULL, &v) && v == want;
}

/* ResourceLogs g of the request, its scope's name, and its records. */
static struct lg_slice lg_group(const struct otlp_buf *b, size_t g, const char *scope_name,
				size_t n_records)
{
	struct lg_slice req = { b->data, b->len }, rl, sl, scope, name;

	cr_assert(lg_find(req, 1, g, &rl, NULL), "no ResourceLogs %zu", g);
	cr_assert_eq(lg_count(rl, 2), 1, "one ScopeLogs");
	cr_assert(lg_find(rl, 2, 0, &sl, NULL));
	cr_assert(lg_find(sl, 1, 0, &scope, NULL) && lg_find(scope, 1, 0, &name, NULL));
	cr_expect(lg_eq(name, scope_name, strlen(scope_name)), "group %zu: scope %.*s", g,
		  (int)name.n, (const char *)name.p);
	cr_expect_eq(lg_count(sl, 2), n_records, "group %zu", g);
	return rl;
}

/* Record k of group rl. */
static struct lg_slice lg_record(struct lg_slice rl, size_t k)
{
	struct lg_slice sl, rec;

	cr_assert(lg_find(rl, 2, 0, &sl, NULL));
	cr_assert(lg_find(sl, 2, k, &rec, NULL), "no record %zu", k);
	return rec;
}

static int lg_body_is(struct lg_slice rec, const void *want, size_t n)
{
	struct lg_slice any, s;

	return lg_find(rec, 5, 0, &any, NULL) && lg_find(any, 1, 0, &s, NULL) && lg_eq(s, want, n);
}

/* Optional fields left out, attributes per stream, ids and flags. */
Test(otlp_logs, app_proto_fields)
{
	struct procinfo p = lg_proc(4242, "shop", 5);
	struct log_record r;
	struct otlp_log_item items[2];
	struct otlp_buf b = { 0 };
	struct lg_slice rl, rec, v;
	uint64_t num;

	lg_line_err(&r, &p);
	items[0] = lg_app_item(&r);
	lg_line_file(&r, &p);
	items[1] = lg_app_item(&r);
	cr_assert_eq(otlp_logs_encode_proto(&b, items, 2, LG_HOST), 0);
	cr_expect_eq(lg_count((struct lg_slice){ b.data, b.len }, 1), 1, "one process, one group");
	rl = lg_group(&b, 0, "zerotrace.logs", 2);

	/* stderr, no trace, no severity, cut */
	rec = lg_record(rl, 0);
	cr_expect(lg_find(rec, 1, 0, NULL, &num) && num == AF_TIME_NS);
	cr_expect(lg_find(rec, 11, 0, NULL, &num) && num == LG_OBSERVED);
	cr_expect_eq(lg_count(rec, 2) + lg_count(rec, 3), 0, "severity left out");
	cr_expect_eq(lg_count(rec, 8) + lg_count(rec, 9) + lg_count(rec, 10), 0, "no trace");
	cr_expect_eq(lg_count(rec, 12), 0, "no event_name");
	cr_expect(lg_body_is(rec, "disk full", 9));
	cr_expect_eq(lg_count(rec, 6), 3);
	cr_expect(lg_attr_str(rec, 6, "log.iostream", "stderr"));
	cr_expect(lg_attr_int(rec, 6, "thread.id", 4243));
	cr_expect(lg_attr_int(rec, 6, "zerotrace.log.truncated", 1));

	/* a file, a trace not sampled: ids, no flags */
	rec = lg_record(rl, 1);
	cr_expect(lg_find(rec, 2, 0, NULL, &num) && num == 17);
	cr_expect(lg_find(rec, 3, 0, &v, NULL) && lg_eq(v, "ERROR", 5));
	cr_expect_eq(lg_count(rec, 8), 0, "not sampled: no flags");
	cr_expect(lg_find(rec, 9, 0, &v, NULL) && lg_eq(v, r.trace_id, 16));
	cr_expect(lg_find(rec, 10, 0, &v, NULL) && lg_eq(v, r.span_id, 8));
	cr_expect_eq(lg_count(rec, 6), 2);
	cr_expect(lg_attr_int(rec, 6, "zerotrace.log.fd", 7));
	cr_expect(lg_attr_int(rec, 6, "thread.id", 4243));
	cr_expect(!lg_attr(rec, 6, "log.iostream", &v) &&
		  !lg_attr(rec, 6, "zerotrace.log.truncated", &v));

	/* an unknown stream: no stream attribute at all */
	r.stream = 9;
	items[0] = lg_app_item(&r);
	cr_assert_eq(otlp_logs_encode_proto(&b, items, 1, LG_HOST), 0);
	rec = lg_record(lg_group(&b, 0, "zerotrace.logs", 1), 0);
	cr_expect_eq(lg_count(rec, 6), 1, "thread.id only");
	otlp_buf_free(&b);
}

/* The agent's ResourceLogs first (alerts, notes), then one per run of a
 * process's lines; an alert between two lines does not cut their run. */
Test(otlp_logs, app_mixed_batch_groups)
{
	struct procinfo shop = lg_proc(4242, "shop", 5), cart = lg_proc(5151, "cart", 6);
	struct procinfo shop2 = lg_proc(4242, "shop", 9); /* pid reused: a new entry */
	struct alert a = alert_fixture_min();
	struct alert_note note = lg_note();
	struct log_record r;
	struct otlp_log_item items[7];
	struct otlp_buf b = { 0 };
	struct lg_slice rl, res;
	const char *json;

	lg_line(&r, "one", &shop);
	items[0] = lg_app_item(&r);
	items[1] = lg_alert_item(&a, LG_OBSERVED);
	lg_line(&r, "two", &shop);
	items[2] = lg_app_item(&r);
	lg_line(&r, "three", &cart);
	items[3] = lg_app_item(&r);
	items[4] = lg_note_item(&note, LG_OBSERVED);
	lg_line(&r, "four", &shop);
	items[5] = lg_app_item(&r);
	lg_line(&r, "five", &shop2);
	items[6] = lg_app_item(&r);

	cr_assert_eq(otlp_logs_encode_proto(&b, items, 7, LG_HOST), 0);
	cr_assert_eq(lg_count((struct lg_slice){ b.data, b.len }, 1), 5);
	rl = lg_group(&b, 0, "zerotrace.security", 2);
	cr_assert(lg_find(rl, 1, 0, &res, NULL));
	cr_expect(lg_attr_str(res, 1, "service.name", "zerotrace"));
	cr_expect(lg_body_is(lg_record(rl, 0), "x", 1), "the alert");
	cr_expect(lg_body_is(lg_record(rl, 1), note.message, strlen(note.message)), "the note");
	{
		static const struct {
			const char *svc;
			uint32_t pid;
			const char *bodies[2];
		} want[4] = {
			{ "shop", 4242, { "one", "two" } },
			{ "cart", 5151, { "three" } },
			{ "shop", 4242, { "four" } },
			{ "shop", 4242, { "five" } },
		};

		for (size_t g = 0; g < 4; g++) {
			size_t n = want[g].bodies[1] ? 2 : 1;

			rl = lg_group(&b, g + 1, "zerotrace.logs", n);
			cr_assert(lg_find(rl, 1, 0, &res, NULL));
			cr_expect(lg_attr_str(res, 1, "service.name", want[g].svc), "group %zu", g);
			cr_expect(lg_attr_int(res, 1, "process.pid", want[g].pid), "group %zu", g);
			cr_expect(lg_attr_str(res, 1, "host.name", LG_HOST));
			for (size_t k = 0; k < n; k++)
				cr_expect(lg_body_is(lg_record(rl, k), want[g].bodies[k],
						     strlen(want[g].bodies[k])),
					  "group %zu record %zu", g, k);
		}
	}

	/* JSON: the same groups in the same order */
	cr_assert_eq(otlp_logs_encode_json(&b, items, 7, LG_HOST), 0);
	json = (const char *)b.data;
	{
		static const char *const marks[] = {
			LG_KV_S("service.name", "zerotrace"), "\"stringValue\":\"x\"",
			"\"stringValue\":\"audit chain head", LG_KV_S("service.name", "shop"),
			"\"stringValue\":\"one\"", "\"stringValue\":\"two\"",
			LG_KV_S("service.name", "cart"), "\"stringValue\":\"three\"",
			LG_KV_S("service.name", "shop"), "\"stringValue\":\"four\"",
			LG_KV_S("service.name", "shop"), "\"stringValue\":\"five\"",
		};
		const char *at = json, *end = json + b.len, *m;

		for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
			m = memmem(at, (size_t)(end - at), marks[i], strlen(marks[i]));
			cr_assert_not_null(m, "mark %zu (%s) not in order in %.*s", i, marks[i],
					   (int)b.len, json);
			at = m + strlen(marks[i]);
		}
	}
	{
		size_t n_res = 0;

		for (const char *p = json; (p = memmem(p, (size_t)(json + b.len - p),
						     "{\"resource\":", 12)) != NULL; p++)
			n_res++;
		cr_expect_eq(n_res, 5);
	}
	/* only lines: no agent ResourceLogs */
	cr_assert_eq(otlp_logs_encode_json(&b, items + 2, 2, LG_HOST), 0);
	cr_expect(memmem(b.data, b.len, "zerotrace.security", 18) == NULL);
	cr_expect(b.len > 17 && memcmp(b.data, "{\"resourceLogs\":[{\"resource\"", 28) == 0);
	otlp_buf_free(&b);
}

/* A body is any bytes: quotes, backslashes, control bytes, NUL, DEL,
 * invalid UTF-8 (each bad byte U+FFFD), a character cut at the end. */
Test(otlp_logs, app_body_any_bytes)
{
	static const char in[] = "q\"\\\x01\x1f\x7f\t\xc3\xa9\xff\xc0\xaf\xed\xa0\x80\x00z\xe2\x82";
	static const char pb_want[] = "q\"\\\x01\x1f\x7f\t\xc3\xa9"
				      "\xef\xbf\xbd"
				      "\xef\xbf\xbd\xef\xbf\xbd"
				      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
				      "\x00z"
				      "\xef\xbf\xbd\xef\xbf\xbd";
	const char *js_want = "\"body\":{\"stringValue\":\"q\\\"\\\\\\u0001\\u001f\x7f\\t\xc3\xa9"
			      "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\u0000z\\ufffd\\ufffd\"}";
	struct procinfo p = lg_proc(4242, "shop", 5);
	struct log_record r;
	struct otlp_log_item it;
	struct otlp_buf b = { 0 };

	lg_line(&r, "", &p);
	memcpy(r.body, in, sizeof(in) - 1);
	r.body_len = sizeof(in) - 1;
	it = lg_app_item(&r);
	cr_assert_eq(otlp_logs_encode_proto(&b, &it, 1, LG_HOST), 0);
	cr_expect(lg_body_is(lg_record(lg_group(&b, 0, "zerotrace.logs", 1), 0), pb_want,
			     sizeof(pb_want) - 1));
	cr_assert_eq(otlp_logs_encode_json(&b, &it, 1, LG_HOST), 0);
	cr_expect(memmem(b.data, b.len, js_want, strlen(js_want)) != NULL, "%.*s", (int)b.len,
		  (const char *)b.data);
	for (size_t i = 0; i < b.len; i++)
		cr_assert_geq(b.data[i], 0x20, "a raw control byte at %zu", i);
	otlp_buf_free(&b);
}

/* The copy into an item: the record's fields, body_len bytes of its body,
 * the resource's attributes in use; never the pointer. */
Test(otlp_logs, app_item_copies_only_what_is_used)
{
	struct procinfo p = lg_proc(4242, "shop", 5);
	struct otlp_log_item *it = malloc(sizeof(*it)), *copy = malloc(sizeof(*copy));
	struct log_record *r = calloc(1, sizeof(*r));
	struct otlp_buf b = { 0 };
	const char *json;

	cr_assert(it && copy && r);
	lg_line(r, "hello", &p);
	memset(r->body + 5, 'X', LOG_BODY_MAX - 5); /* past body_len: not copied */
	memset(it, 0xaa, sizeof(*it));
	otlp_log_item_set_app(it, r, 42);
	cr_expect_eq(it->kind, OTLP_LOG_APP);
	cr_expect_eq(it->observed_unix_ns, 42);
	cr_expect_null(it->app.rec.process);
	cr_expect_eq(it->app.rec.body_len, 5);
	cr_expect(memcmp(it->app.rec.body, "hello", 5) == 0);
	cr_expect_eq((uint8_t)it->app.rec.body[5], 0xaa, "the body past body_len is untouched");
	cr_expect_eq((uint8_t)it->app.rec.body[LOG_BODY_MAX - 1], 0xaa);
	cr_expect_eq(it->app.resource.generation, 5);
	cr_expect_str_eq(it->app.resource.attrs[0].value, "prod");
	cr_expect_eq((uint8_t)it->app.resource.attrs[1].key[0], 0xaa, "unused attributes");

	memset(copy, 0x55, sizeof(*copy));
	otlp_log_item_copy(copy, it);
	cr_expect_eq(copy->kind, OTLP_LOG_APP);
	cr_expect_eq(copy->observed_unix_ns, 42);
	cr_expect_eq((uint8_t)copy->app.rec.body[5], 0x55, "copies only body_len bytes");
	cr_expect_eq((uint8_t)copy->app.resource.attrs[1].key[0], 0x55);

	/* no process (gone before the agent looked): pid and comm stand in */
	r->process = NULL;
	r->pid = 99;
	strcpy(r->comm, "worker");
	r->body_len = LOG_BODY_MAX + 100; /* clamped */
	otlp_log_item_set_app(it, r, 42);
	cr_expect_eq(it->app.rec.body_len, LOG_BODY_MAX);
	cr_expect_eq(it->app.resource.pid, 99);
	cr_expect_eq(it->app.resource.generation, 0);
	cr_expect_eq(it->app.resource.n_attrs, 0);
	cr_expect_str_eq(it->app.resource.service_name, "worker");
	cr_expect_str_eq(it->app.resource.exe_name, "worker");
	cr_expect_str_eq(it->app.resource.exe_path, "");
	cr_assert_eq(otlp_logs_encode_json(&b, it, 1, ""), 0);
	json = (const char *)b.data;
	{
		const char *want = "{\"resourceLogs\":[{\"resource\":{\"attributes\":["
				   LG_KV_S("service.name", "worker") ","
				   LG_KV_I("process.pid", "99") ","
				   LG_KV_S("process.executable.name", "worker") "]}";

		cr_expect(b.len > strlen(want) && memcmp(json, want, strlen(want)) == 0, "%.*s",
			  (int)b.len, json);
	}
	otlp_buf_free(&b);
	free(r);
	free(copy);
	free(it);
}

/* otlp_log_item_size_max bounds what an item adds, worst cases included;
 * otlp_log_record_size_max is at least the encoding of the line's item. */
Test(otlp_logs, app_size_max_bounds_the_encoding)
{
	struct procinfo p = lg_proc(4242, "shop", 5);
	struct alert worst_alert = alert_fixture_filled('\xff');
	struct log_record *r = calloc(1, sizeof(*r));
	struct otlp_log_item *items = calloc(64, sizeof(*items));
	struct otlp_buf b = { 0 };
	char host[PROCINFO_NAME_MAX];
	size_t host_len, sum[2] = { 0, 0 };

	cr_assert(r && items);
	/* every string of the resource full of bytes escaped 6 to 1 */
	memset(host, '\x01', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	host_len = strlen(host);
	memset(p.exe_name, '\xff', sizeof(p.exe_name) - 1);
	memset(p.exe_path, '\xff', sizeof(p.exe_path) - 1);
	memset(p.service_name, '\x02', sizeof(p.service_name) - 1);
	memset(p.container_id, '\xff', sizeof(p.container_id) - 1);
	memset(p.k8s_pod_name, '\xff', sizeof(p.k8s_pod_name) - 1);
	memset(p.k8s_namespace, '\xff', sizeof(p.k8s_namespace) - 1);
	p.n_attrs = PROCINFO_ATTRS_MAX;
	for (int i = 0; i < PROCINFO_ATTRS_MAX; i++) {
		memset(p.attrs[i].key, '\xff', sizeof(p.attrs[i].key) - 1);
		p.attrs[i].key[0] = (char)('a' + i); /* unique keys: all written */
		memset(p.attrs[i].value, '\xff', sizeof(p.attrs[i].value) - 1);
	}
	lg_line(r, "", &p);
	memset(r->body, '\xff', LOG_BODY_MAX);
	r->body_len = LOG_BODY_MAX;
	memset(r->severity_text, '\x03', sizeof(r->severity_text)); /* no NUL */
	memset(r->comm, '\xff', sizeof(r->comm));
	r->cut = 1;
	r->stream = LOG_STREAM_FILE;
	r->fd = INT32_MIN;
	r->tid = UINT32_MAX;
	r->severity_number = 255;
	r->time_unix_ns = UINT64_MAX;
	for (int json = 0; json < 2; json++) {
		struct otlp_log_item it = lg_app_item(r);
		size_t max = otlp_log_item_size_max(&it, json, host_len);

		cr_assert_eq((json ? otlp_logs_encode_json : otlp_logs_encode_proto)(&b, &it, 1, host),
			     0);
		cr_expect_leq(b.len, OTLP_LOGS_REQUEST_OVERHEAD + max, "json %d: %zu > %zu", json,
			      b.len, max);
		cr_expect_leq(b.len, OTLP_LOGS_REQUEST_OVERHEAD +
					     otlp_log_record_size_max(r, json, host_len));
		cr_expect_gt(b.len, max / 2, "json %d: a bound, not a guess (%zu of %zu)", json,
			     b.len, max);
	}
	/* a batch: lines of alternating processes (a group each), alerts */
	for (int i = 0; i < 64; i++) {
		if (i % 5 == 4) {
			items[i] = lg_alert_item(&worst_alert, UINT64_MAX);
		} else {
			p.pid = (uint32_t)(i & 1);
			r->process = &p;
			items[i] = lg_app_item(r);
		}
		sum[0] += otlp_log_item_size_max(&items[i], 0, host_len);
		sum[1] += otlp_log_item_size_max(&items[i], 1, host_len);
	}
	cr_assert_eq(otlp_logs_encode_proto(&b, items, 64, host), 0);
	cr_expect_leq(b.len, OTLP_LOGS_REQUEST_OVERHEAD + sum[0]);
	cr_assert_eq(otlp_logs_encode_json(&b, items, 64, host), 0);
	cr_expect_leq(b.len, OTLP_LOGS_REQUEST_OVERHEAD + sum[1]);
	otlp_buf_free(&b);
	free(items);
	free(r);
}

/* The sample the schema check can decode (logs_schema_check.js): lines of
 * two processes, every kind of line, and an alert. */
Test(otlp_logs, write_app_samples)
{
	const char *dir = getenv("ZT_OTLP_LOGS_SAMPLES");
	struct procinfo shop = lg_proc(4242, "shop", 5), cart = lg_proc(5151, "cart", 6);
	struct alert a = alert_fixture_full();
	struct log_record r;
	struct otlp_log_item items[5];
	struct otlp_buf pb = { 0 }, js = { 0 };

	lg_line(&r, "GET /items/7 200", &shop);
	items[0] = lg_app_item(&r);
	lg_line_err(&r, &shop);
	items[1] = lg_app_item(&r);
	items[2] = lg_alert_item(&a, LG_OBSERVED);
	lg_line_file(&r, &cart);
	items[3] = lg_app_item(&r);
	lg_line(&r, "", &cart);
	memcpy(r.body, "a\xff\"b\x01", 5);
	r.body_len = 5;
	r.process = NULL;
	items[4] = lg_app_item(&r);
	cr_assert_eq(otlp_logs_encode_proto(&pb, items, 5, LG_HOST), 0);
	cr_assert_eq(otlp_logs_encode_json(&js, items, 5, LG_HOST), 0);
	if (dir && *dir) {
		lg_write(dir, "app_logs.pb", &pb);
		lg_write(dir, "app_logs.json", &js);
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

/* Log lines next to an alert, one batch: the body is the encoder's, each
 * line under its own process; the caller's record and procinfo may change
 * or go once enqueue_log returns (ASan: never read again). */
Test(otlp_logs, exporter_sends_log_lines_with_their_resource)
{
	struct lx_server *srv = lx_start(NULL, 0);
	struct otlp_config c = lx_config(srv->port);
	struct procinfo *shop = malloc(sizeof(*shop)), cart = lg_proc(5151, "cart", 6);
	struct log_record *r = malloc(sizeof(*r));
	struct otlp_log_item *want = calloc(4, sizeof(*want));
	struct alert a = alert_fixture_min();
	struct otlp_exporter *e;
	struct otlp_stats fin;

	cr_assert(shop && r && want);
	*shop = lg_proc(4242, "shop", 5);
	c.protocol = OTLP_HTTP_JSON;
	c.max_delay_ms = 60000; /* only the stop sends: one request */
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	lg_line(r, "GET /items/7 200", shop);
	want[0] = lg_app_item(r);
	cr_expect_eq(otlp_exporter_enqueue_log(e, r), 0);
	memset(shop, 0, sizeof(*shop));
	free(shop);
	memset(r->body, 'Z', 16);
	r->process = NULL;
	want[1] = lg_alert_item(&a, LG_OBSERVED);
	cr_expect_eq(otlp_exporter_enqueue_alert(e, &a), 0);
	lg_line_err(r, &cart);
	want[2] = lg_app_item(r);
	cr_expect_eq(otlp_exporter_enqueue_log(e, r), 0);
	lg_line_file(r, NULL); /* no procinfo: pid 4242, comm "shop" */
	want[3] = lg_app_item(r);
	cr_expect_eq(otlp_exporter_enqueue_log(e, r), 0);
	otlp_exporter_stop(e, 2000, &fin);
	cr_expect_eq(fin.logs_enqueued, 4);
	cr_expect_eq(fin.logs_exported, 4);
	cr_expect_eq(fin.logs_dropped_full + fin.logs_dropped_failed, 0);
	cr_assert_eq(srv->n_reqs, 1);
	cr_expect_str_eq(srv->reqs[0].path, "/v1/logs");
	lx_expect_json(&srv->reqs[0], want, 4);
	cr_expect(memmem(srv->reqs[0].body, srv->reqs[0].body_len, "GET /items/7 200", 16));
	lx_stop(srv);
	free(want);
	free(r);
}

/* Log lines never take the last eighth of the log queue: alerts and notes
 * still find room when a process floods it. Exact counts, against a port
 * that holds the first batch retrying. */
Test(otlp_logs, exporter_keeps_room_for_alerts)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct procinfo p = lg_proc(4242, "shop", 5);
	struct alert a = alert_fixture_min();
	struct alert_note n = lg_note();
	struct log_record *r = malloc(sizeof(*r));
	struct otlp_config c;
	struct otlp_exporter *e;
	struct otlp_stats st, fin;

	cr_assert(r);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &alen), 0);
	close(fd);
	c = lx_config(ntohs(sa.sin_port));
	c.logs_queue_size = 16; /* 14 for lines, 2 kept */
	c.max_retry_ms = 60000;
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	lg_line(r, "first", &p);
	cr_expect_eq(otlp_exporter_enqueue_log(e, r), 0);
	for (int i = 0; i < 300; i++) { /* the thread takes it, then retries */
		otlp_exporter_get_stats(e, &st);
		if (!st.logs_queue_depth && st.requests)
			break;
		usleep(10000);
	}
	cr_assert_eq(st.logs_queue_depth, 0);
	for (int i = 0; i < 14; i++)
		cr_expect_eq(otlp_exporter_enqueue_log(e, r), 0, "line %d", i);
	cr_expect_eq(otlp_exporter_enqueue_log(e, r), -1, "the kept room");
	cr_expect_eq(otlp_exporter_enqueue_alert(e, &a), 0);
	cr_expect_eq(otlp_exporter_enqueue_log(e, r), -1);
	cr_expect_eq(otlp_exporter_enqueue_note(e, &n), 0);
	cr_expect_eq(otlp_exporter_enqueue_alert(e, &a), -1, "full for everyone");
	otlp_exporter_get_stats(e, &st);
	cr_expect_eq(st.logs_dropped_full, 3);
	cr_expect_eq(st.logs_queue_depth, 16);
	cr_expect_eq(st.logs_enqueued, 17);
	otlp_exporter_stop(e, 0, &fin);
	cr_expect_eq(fin.logs_dropped_failed, 17, "the line in flight and the 16 queued");
	cr_expect_eq(fin.logs_queue_depth, 0);
	free(r);
}

/* enqueue_log's contract: -1 and nothing counted without a logs URL or a
 * record. */
Test(otlp_logs, exporter_enqueue_log_refused_without_logs)
{
	struct lx_server *srv = lx_start(NULL, 0);
	struct otlp_config c = lx_config(srv->port);
	struct log_record *r = malloc(sizeof(*r));
	struct otlp_exporter *e;
	struct otlp_stats st;

	cr_assert(r);
	lg_line(r, "x", NULL);
	cr_expect_eq(otlp_exporter_enqueue_log(NULL, r), -1);
	c.logs_url[0] = '\0';
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	cr_expect_eq(otlp_exporter_enqueue_log(e, r), -1);
	otlp_exporter_get_stats(e, &st);
	cr_expect_eq(st.logs_enqueued + st.logs_dropped_full, 0);
	otlp_exporter_stop(e, 0, NULL);
	c = lx_config(srv->port);
	e = otlp_exporter_start(&c);
	cr_assert_not_null(e);
	cr_expect_eq(otlp_exporter_enqueue_log(e, NULL), -1);
	otlp_exporter_get_stats(e, &st);
	cr_expect_eq(st.logs_enqueued + st.logs_dropped_full, 0);
	otlp_exporter_stop(e, 0, NULL);
	lx_stop(srv);
	free(r);
}
