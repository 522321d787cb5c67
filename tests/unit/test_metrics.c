// SPDX-License-Identifier: MIT
/*
 * exporters/metrics.c and metrics_http.c: the exact exposition text, buckets
 * and sums, the service graph, the series cap, escaping, the agent counters,
 * OpenMetrics with exemplars and the Accept header that picks it, and
 * /metrics over a real socket (200, 404, 405, listen errors).
 */
#define _GNU_SOURCE /* open_memstream */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "metrics.h"
#include "span_fixture.h"

#define MT_MS 1000000ULL
#define MT_T0 1700000000000000000ULL

TestSuite(metrics);

/* A span of kind with the given labels (status -1: none seen), lasting
 * dur_ns, as the agent builds it for an HTTP exchange. */
static struct span mt_span(uint8_t kind, const char *service, const char *method,
			   const char *route, int status, uint64_t dur_ns)
{
	struct span s;
	struct http_fields f = {
		.method = method,
		.path = route,
		.route = route,
		.status = status >= 0 ? (uint16_t)status : 0,
		.version_minor = 1,
	};

	memset(&s, 0, sizeof(s));
	s.kind = kind;
	snprintf(s.service_name, sizeof(s.service_name), "%s", service);
	s.start_unix_ns = MT_T0;
	s.end_unix_ns = MT_T0 + dur_ns;
	snprintf(s.server.address, sizeof(s.server.address), "10.0.0.9");
	s.server.port = 8080;
	span_fixture_http(&s, &f);
	return s;
}

/* The whole exposition in format; free() it. */
static char *mt_render_as(struct metrics *m, enum metrics_format format)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	metrics_render(m, f, format);
	cr_assert_eq(fclose(f), 0);
	cr_assert_not_null(buf);
	cr_assert_eq(strlen(buf), len, "NUL inside the exposition");
	return buf;
}

static char *mt_render(struct metrics *m)
{
	return mt_render_as(m, METRICS_TEXT);
}

/* The lines of one family: from its HELP line to the next HELP line. */
static char *mt_section(const char *text, const char *family)
{
	char head[256], *out;
	const char *p, *end;

	snprintf(head, sizeof(head), "# HELP %s ", family);
	p = strstr(text, head);
	cr_assert_not_null(p, "no family %s in:\n%s", family, text);
	cr_assert(p == text || p[-1] == '\n');
	end = strstr(p + 1, "\n# HELP ");
	end = end ? end + 1 : p + strlen(p);
	out = strndup(p, (size_t)(end - p));
	cr_assert_not_null(out);
	return out;
}

/* The value of the sample line that starts with "series " (NULL if none). */
static const char *mt_value(const char *text, const char *series)
{
	static char val[64];
	size_t n = strlen(series);
	const char *p = text;

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ') {
			size_t k = strcspn(p + n + 1, "\n");

			cr_assert_lt(k, sizeof(val));
			memcpy(val, p + n + 1, k);
			val[k] = '\0';
			return val;
		}
		p += n;
	}
	return NULL;
}

static void mt_expect_value(const char *text, const char *series, const char *want)
{
	const char *got = mt_value(text, series);

	cr_expect_not_null(got, "no sample %s in:\n%s", series, text);
	if (got)
		cr_expect_str_eq(got, want, "%s", series);
}

static size_t mt_count_lines(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);
	const char *p = text;

	while (*p) {
		if (strncmp(p, prefix, len) == 0)
			n++;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return n;
}

#define MT_CO "{service_name=\"checkout\",http_request_method=\"GET\",http_route=\"/items/{id}\",http_response_status_code=\"200\""

/* Everything an empty registry renders after three SERVER spans of one series:
 * 3 ms (first bucket), exactly 10 ms (le is inclusive) and 12.5 s (+Inf only). */
Test(metrics, exact_text_of_one_server_series)
{
	struct metrics *m = metrics_new(8);
	struct span s;
	char *text;

	cr_assert_not_null(m);
	s = mt_span(SPAN_KIND_SERVER, "checkout", "GET", "/items/{id}", 200, 3 * MT_MS);
	metrics_record_span(m, &s);
	s.end_unix_ns = s.start_unix_ns + 10 * MT_MS;
	metrics_record_span(m, &s);
	s.end_unix_ns = s.start_unix_ns + 12500 * MT_MS;
	metrics_record_span(m, &s);
	text = mt_render(m);
	cr_expect_str_eq(text,
		"# HELP http_server_request_duration_seconds Duration of HTTP server requests.\n"
		"# TYPE http_server_request_duration_seconds histogram\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.005\"} 1\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.01\"} 2\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.025\"} 2\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.05\"} 2\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.075\"} 2\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.1\"} 2\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.25\"} 2\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.5\"} 2\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.75\"} 2\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"1\"} 2\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"2.5\"} 2\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"5\"} 2\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"7.5\"} 2\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"10\"} 2\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"+Inf\"} 3\n"
		"http_server_request_duration_seconds_sum" MT_CO "} 12.513\n"
		"http_server_request_duration_seconds_count" MT_CO "} 3\n"
		"# HELP http_client_request_duration_seconds Duration of HTTP client requests.\n"
		"# TYPE http_client_request_duration_seconds histogram\n"
		"# HELP db_client_operation_duration_seconds Duration of database client operations.\n"
		"# TYPE db_client_operation_duration_seconds histogram\n"
		"# HELP zerotrace_db_server_operation_duration_seconds Duration of database "
		"operations, as the database server saw them.\n"
		"# TYPE zerotrace_db_server_operation_duration_seconds histogram\n"
		"# HELP rpc_server_call_duration_seconds Duration of RPCs, as their servers saw them.\n"
		"# TYPE rpc_server_call_duration_seconds histogram\n"
		"# HELP rpc_client_call_duration_seconds Duration of RPCs, as their clients saw them.\n"
		"# TYPE rpc_client_call_duration_seconds histogram\n"
		"# HELP dns_lookup_duration_seconds Duration of DNS queries, as their clients saw them.\n"
		"# TYPE dns_lookup_duration_seconds histogram\n"
		"# HELP zerotrace_dns_server_duration_seconds Duration of DNS queries, as the DNS server saw them.\n"
		"# TYPE zerotrace_dns_server_duration_seconds histogram\n"
		"# HELP traces_service_graph_request_total Requests between two nodes of the service graph.\n"
		"# TYPE traces_service_graph_request_total counter\n"
		"# HELP traces_service_graph_request_failed_total Requests between two nodes of the "
		"service graph that failed.\n"
		"# TYPE traces_service_graph_request_failed_total counter\n"
		"# HELP traces_service_graph_request_server_seconds Duration of requests between two "
		"nodes, as the server saw them.\n"
		"# TYPE traces_service_graph_request_server_seconds histogram\n"
		"# HELP traces_service_graph_request_client_seconds Duration of requests between two "
		"nodes, as the client saw them.\n"
		"# TYPE traces_service_graph_request_client_seconds histogram\n"
		"# HELP zerotrace_alerts_total Security alerts raised, by rule and severity "
		"(deduplicated repeats included).\n"
		"# TYPE zerotrace_alerts_total counter\n"
		"# HELP zerotrace_events_total Events read from the BPF ring buffer.\n"
		"# TYPE zerotrace_events_total counter\n"
		"zerotrace_events_total 0\n"
		"# HELP zerotrace_ringbuf_drops_total Events the BPF programs could not put in the ring buffer.\n"
		"# TYPE zerotrace_ringbuf_drops_total counter\n"
		"zerotrace_ringbuf_drops_total 0\n"
		"# HELP zerotrace_parse_misses_total Payloads the HTTP parser could not use.\n"
		"# TYPE zerotrace_parse_misses_total counter\n"
		"zerotrace_parse_misses_total 0\n"
		"# HELP zerotrace_spans_total Spans built.\n"
		"# TYPE zerotrace_spans_total counter\n"
		"zerotrace_spans_total 0\n"
		"# HELP zerotrace_spans_exported_total Spans the exporters delivered (OTLP and Zipkin each "
		"count theirs).\n"
		"# TYPE zerotrace_spans_exported_total counter\n"
		"zerotrace_spans_exported_total 0\n"
		"# HELP zerotrace_export_failures_total Export attempts that failed (OTLP and Zipkin).\n"
		"# TYPE zerotrace_export_failures_total counter\n"
		"zerotrace_export_failures_total 0\n"
		"# HELP zerotrace_export_dropped_total Spans the exporters dropped (OTLP and Zipkin each "
		"count theirs).\n"
		"# TYPE zerotrace_export_dropped_total counter\n"
		"zerotrace_export_dropped_total 0\n"
		"# HELP zerotrace_export_queue_depth Spans waiting in the export queues (OTLP and Zipkin).\n"
		"# TYPE zerotrace_export_queue_depth gauge\n"
		"zerotrace_export_queue_depth 0\n"
		"# HELP zerotrace_connections_tracked Connections in the connection table.\n"
		"# TYPE zerotrace_connections_tracked gauge\n"
		"zerotrace_connections_tracked 0\n"
		"# HELP zerotrace_metric_series_overflow_total Recordings that went to the \"other\" "
		"series because their family had reached its series cap.\n"
		"# TYPE zerotrace_metric_series_overflow_total counter\n"
		"zerotrace_metric_series_overflow_total 0\n"
		"# HELP zerotrace_calls_linked_total Client calls given a parent by the in-process "
		"rule, by the task that made them.\n"
		"# TYPE zerotrace_calls_linked_total counter\n"
		"# HELP zerotrace_calls_unlinked_total Client calls no rule gave a parent, by the "
		"task that made them.\n"
		"# TYPE zerotrace_calls_unlinked_total counter\n"
		"# HELP zerotrace_sample_ratio The fraction of new traces exported (--sample-ratio, "
		"lowered under load).\n"
		"# TYPE zerotrace_sample_ratio gauge\n"
		"zerotrace_sample_ratio 1\n"
		"# HELP zerotrace_spans_sampled_total Spans by their trace's sampling decision (kept: "
		"exported; sampled_out: counted in every metric, not exported) and its reason.\n"
		"# TYPE zerotrace_spans_sampled_total counter\n"
		"# HELP zerotrace_log_writes_total Log writes of traced servers (--logs) by outcome: "
		"a record linked to its request, a record under no request or under several, or no "
		"record (not one line).\n"
		"# TYPE zerotrace_log_writes_total counter\n");
	free(text);
	metrics_free(m);
}

/* The calls by task: one series per named task, in the order given. */
Test(metrics, calls_by_task_exact_lines)
{
	struct metrics *m = metrics_new(64);
	struct agent_counters ac = { 0 };
	char *text;
	size_t len;
	FILE *f;

	cr_assert_not_null(m);
	ac.calls[0] = (struct agent_task_calls){ .task = "thread", .linked = 7, .unlinked = 2 };
	ac.calls[1] = (struct agent_task_calls){ .task = "goroutine", .linked = 0, .unlinked = 9 };
	metrics_set_agent(m, &ac);
	f = open_memstream(&text, &len);
	metrics_render(m, f, METRICS_TEXT);
	fclose(f);
	cr_expect_not_null(strstr(text, "# TYPE zerotrace_calls_linked_total counter\n"
					"zerotrace_calls_linked_total{task=\"thread\"} 7\n"
					"zerotrace_calls_linked_total{task=\"goroutine\"} 0\n"
					"# HELP zerotrace_calls_unlinked_total"));
	cr_expect_not_null(strstr(text, "# TYPE zerotrace_calls_unlinked_total counter\n"
					"zerotrace_calls_unlinked_total{task=\"thread\"} 2\n"
					"zerotrace_calls_unlinked_total{task=\"goroutine\"} 9\n"));
	free(text);
	metrics_free(m);
}

/* The sampling series: the ratio as set, then kept and sampled out per
 * reason, in the order given. */
Test(metrics, sampling_exact_lines)
{
	struct metrics *m = metrics_new(64);
	struct agent_counters ac = { 0 };
	char *text;
	size_t len;
	FILE *f;

	cr_assert_not_null(m);
	ac.sample_ratio = 0.25;
	ac.sampling[0] = (struct agent_sample_counts){ .reason = "ratio", .kept = 3,
						       .sampled_out = 9 };
	ac.sampling[1] = (struct agent_sample_counts){ .reason = "parent", .kept = 0,
						       .sampled_out = 4 };
	metrics_set_agent(m, &ac);
	f = open_memstream(&text, &len);
	metrics_render(m, f, METRICS_TEXT);
	fclose(f);
	cr_expect_not_null(strstr(text, "# TYPE zerotrace_sample_ratio gauge\n"
					"zerotrace_sample_ratio 0.25\n"));
	cr_expect_not_null(strstr(
		text, "# TYPE zerotrace_spans_sampled_total counter\n"
		      "zerotrace_spans_sampled_total{decision=\"kept\",reason=\"ratio\"} 3\n"
		      "zerotrace_spans_sampled_total{decision=\"sampled_out\",reason=\"ratio\"} 9\n"
		      "zerotrace_spans_sampled_total{decision=\"kept\",reason=\"parent\"} 0\n"
		      "zerotrace_spans_sampled_total{decision=\"sampled_out\",reason=\"parent\"} 4\n"));
	free(text);
	metrics_free(m);
}

/* The log writes by outcome, in the order given. */
Test(metrics, log_writes_exact_lines)
{
	struct metrics *m = metrics_new(64);
	struct agent_counters ac = { 0 };
	char *text;
	size_t len;
	FILE *f;

	cr_assert_not_null(m);
	ac.logs[0] = (struct agent_log_counts){ .outcome = "linked", .writes = 900 };
	ac.logs[1] = (struct agent_log_counts){ .outcome = "not_one_line", .writes = 4 };
	metrics_set_agent(m, &ac);
	f = open_memstream(&text, &len);
	metrics_render(m, f, METRICS_TEXT);
	fclose(f);
	cr_expect_not_null(strstr(text, "# TYPE zerotrace_log_writes_total counter\n"
					"zerotrace_log_writes_total{outcome=\"linked\"} 900\n"
					"zerotrace_log_writes_total{outcome=\"not_one_line\"} 4\n"));
	free(text);
	metrics_free(m);
}

/* Each duration lands in the first bucket whose bound is >= it; the sum is exact. */
Test(metrics, bucket_edges_and_exact_sums)
{
	static const struct {
		uint64_t ns;
		const char *le; /* first bucket that counts it */
	} c[] = {
		{ 0, "0.005" },
		{ 5 * MT_MS, "0.005" },
		{ 5 * MT_MS + 1, "0.01" },
		{ 75 * MT_MS, "0.075" },
		{ 999999999, "1" },
		{ 1000 * MT_MS, "1" },
		{ 1000 * MT_MS + 1, "2.5" },
		{ 10000 * MT_MS, "10" },
		{ 10000 * MT_MS + 1, "+Inf" },
	};
	static const char *les[] = { "0.005", "0.01", "0.025", "0.05", "0.075",
				     "0.1",   "0.25", "0.5",   "0.75", "1",
				     "2.5",   "5",    "7.5",   "10",   "+Inf" };
	char series[512], want[32];
	size_t i, b;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct metrics *m = metrics_new(4);
		struct span s = mt_span(SPAN_KIND_SERVER, "checkout", "GET", "/items/{id}",
					200, c[i].ns);
		char *text;
		int reached = 0;

		metrics_record_span(m, &s);
		text = mt_render(m);
		for (b = 0; b < sizeof(les) / sizeof(les[0]); b++) {
			reached |= strcmp(les[b], c[i].le) == 0;
			snprintf(series, sizeof(series),
				 "http_server_request_duration_seconds_bucket" MT_CO ",le=\"%s\"}",
				 les[b]);
			mt_expect_value(text, series, reached ? "1" : "0");
		}
		snprintf(want, sizeof(want), "%llu.%09llu", (unsigned long long)(c[i].ns / 1000000000),
			 (unsigned long long)(c[i].ns % 1000000000));
		/* The exact decimal, trailing zeros (and a bare point) dropped. */
		for (b = strlen(want); want[b - 1] == '0'; b--)
			want[b - 1] = '\0';
		if (want[strlen(want) - 1] == '.')
			want[strlen(want) - 1] = '\0';
		mt_expect_value(text, "http_server_request_duration_seconds_sum" MT_CO "}", want);
		free(text);
		metrics_free(m);
	}
}

Test(metrics, end_before_start_counts_as_zero_and_sum_saturates)
{
	struct metrics *m = metrics_new(4);
	struct span s = mt_span(SPAN_KIND_SERVER, "checkout", "GET", "/items/{id}", 200, 0);
	char *text;

	s.start_unix_ns = 2000;
	s.end_unix_ns = 1000;
	metrics_record_span(m, &s);
	text = mt_render(m);
	mt_expect_value(text, "http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.005\"}", "1");
	mt_expect_value(text, "http_server_request_duration_seconds_sum" MT_CO "}", "0");
	free(text);

	s.start_unix_ns = 0;
	s.end_unix_ns = UINT64_MAX;
	metrics_record_span(m, &s);
	metrics_record_span(m, &s);
	text = mt_render(m);
	mt_expect_value(text, "http_server_request_duration_seconds_sum" MT_CO "}",
			"18446744073.709551615");
	mt_expect_value(text, "http_server_request_duration_seconds_count" MT_CO "}", "3");
	free(text);
	metrics_free(m);
}

/* SERVER and CLIENT spans go to their own families; no response: status "". */
Test(metrics, server_and_client_families)
{
	struct metrics *m = metrics_new(8);
	struct span s;
	char *text, *srv, *cli;

	s = mt_span(SPAN_KIND_SERVER, "checkout", "POST", "/orders", 201, 30 * MT_MS);
	metrics_record_span(m, &s);
	s = mt_span(SPAN_KIND_CLIENT, "curl", "POST", "/orders", 201, 40 * MT_MS);
	metrics_record_span(m, &s);
	s = mt_span(SPAN_KIND_CLIENT, "curl", "GET", "/slow", -1, 900 * MT_MS);
	metrics_record_span(m, &s);
	s = mt_span(0, "nobody", "GET", "/", 200, MT_MS); /* no kind: ignored */
	metrics_record_span(m, &s);

	text = mt_render(m);
	srv = mt_section(text, "http_server_request_duration_seconds");
	cli = mt_section(text, "http_client_request_duration_seconds");
	cr_expect_eq(mt_count_lines(srv, "http_server_request_duration_seconds_count"), 1);
	mt_expect_value(srv, "http_server_request_duration_seconds_count{service_name=\"checkout\","
			"http_request_method=\"POST\",http_route=\"/orders\",http_response_status_code=\"201\"}", "1");
	mt_expect_value(srv, "http_server_request_duration_seconds_sum{service_name=\"checkout\","
			"http_request_method=\"POST\",http_route=\"/orders\",http_response_status_code=\"201\"}", "0.03");
	cr_expect_eq(mt_count_lines(cli, "http_client_request_duration_seconds_count"), 2);
	mt_expect_value(cli, "http_client_request_duration_seconds_count{service_name=\"curl\","
			"http_request_method=\"POST\",http_route=\"/orders\",http_response_status_code=\"201\"}", "1");
	mt_expect_value(cli, "http_client_request_duration_seconds_bucket{service_name=\"curl\","
			"http_request_method=\"GET\",http_route=\"/slow\",http_response_status_code=\"\",le=\"0.75\"}", "0");
	mt_expect_value(cli, "http_client_request_duration_seconds_bucket{service_name=\"curl\","
			"http_request_method=\"GET\",http_route=\"/slow\",http_response_status_code=\"\",le=\"1\"}", "1");
	mt_expect_value(cli, "http_client_request_duration_seconds_sum{service_name=\"curl\","
			"http_request_method=\"GET\",http_route=\"/slow\",http_response_status_code=\"\"}", "0.9");
	cr_expect_null(strstr(text, "nobody"));
	free(srv);
	free(cli);
	free(text);
	metrics_free(m);
}

/* A call of two spans seen here: both ends named by service, both
 * durations, connection_type unset; a failed one counts twice. */
Test(metrics, service_graph_of_a_local_call)
{
	struct metrics *m = metrics_new(8);
	struct call c;
	char *text, *total, *srv;

	memset(&c, 0, sizeof(c));
	snprintf(c.client.service, sizeof(c.client.service), "frontend");
	snprintf(c.server.service, sizeof(c.server.service), "checkout");
	c.port = 8000;
	c.client_seen = c.server_seen = 1;
	c.client_ns = 9 * MT_MS;
	c.server_ns = 8 * MT_MS;
	metrics_record_call(m, &c);
	c.error = 1;
	metrics_record_call(m, &c);

	text = mt_render(m);
	total = mt_section(text, "traces_service_graph_request_total");
	cr_expect_str_eq(total,
		"# HELP traces_service_graph_request_total Requests between two nodes of the service graph.\n"
		"# TYPE traces_service_graph_request_total counter\n"
		"traces_service_graph_request_total{client=\"frontend\",server=\"checkout\",connection_type=\"\"} 2\n");
	mt_expect_value(text, "traces_service_graph_request_failed_total{client=\"frontend\",server=\"checkout\","
			"connection_type=\"\"}", "1");
	srv = mt_section(text, "traces_service_graph_request_server_seconds");
	mt_expect_value(srv, "traces_service_graph_request_server_seconds_bucket{client=\"frontend\","
			"server=\"checkout\",connection_type=\"\",le=\"0.005\"}", "0");
	mt_expect_value(srv, "traces_service_graph_request_server_seconds_bucket{client=\"frontend\","
			"server=\"checkout\",connection_type=\"\",le=\"0.01\"}", "2");
	mt_expect_value(srv, "traces_service_graph_request_server_seconds_sum{client=\"frontend\","
			"server=\"checkout\",connection_type=\"\"}", "0.016");
	mt_expect_value(text, "traces_service_graph_request_client_seconds_sum{client=\"frontend\","
			"server=\"checkout\",connection_type=\"\"}", "0.018");
	cr_expect_eq(mt_count_lines(srv, "traces_service_graph_request_server_seconds_bucket"), 15);
	free(total);
	free(srv);
	free(text);
	metrics_free(m);
}

/* An end known by its address: a server as address:port ([v6]:port), a
 * client as its address; only the side that was seen has a duration. */
Test(metrics, service_graph_with_an_address_at_one_end)
{
	struct metrics *m = metrics_new(8);
	struct call c;
	char *text;

	memset(&c, 0, sizeof(c));
	snprintf(c.client.service, sizeof(c.client.service), "frontend");
	snprintf(c.server.address, sizeof(c.server.address), "fe80::1");
	c.port = 443;
	c.connection = CALL_CONN_VIRTUAL;
	c.client_seen = 1;
	c.client_ns = 2 * MT_MS;
	metrics_record_call(m, &c);
	snprintf(c.server.address, sizeof(c.server.address), "10.1.2.3");
	c.port = 5432;
	c.connection = CALL_CONN_DATABASE;
	metrics_record_call(m, &c);
	memset(&c, 0, sizeof(c));
	snprintf(c.client.address, sizeof(c.client.address), "10.9.9.9");
	snprintf(c.server.service, sizeof(c.server.service), "checkout");
	c.port = 8080;
	c.connection = CALL_CONN_VIRTUAL;
	c.server_seen = 1;
	c.server_ns = MT_MS;
	metrics_record_call(m, &c);

	text = mt_render(m);
	mt_expect_value(text, "traces_service_graph_request_total{client=\"frontend\",server=\"[fe80::1]:443\","
			"connection_type=\"virtual_node\"}", "1");
	mt_expect_value(text, "traces_service_graph_request_total{client=\"frontend\",server=\"10.1.2.3:5432\","
			"connection_type=\"database\"}", "1");
	mt_expect_value(text, "traces_service_graph_request_total{client=\"10.9.9.9\",server=\"checkout\","
			"connection_type=\"virtual_node\"}", "1");
	mt_expect_value(text, "traces_service_graph_request_client_seconds_count{client=\"frontend\","
			"server=\"[fe80::1]:443\",connection_type=\"virtual_node\"}", "1");
	cr_expect_null(strstr(text, "traces_service_graph_request_server_seconds_count{client=\"frontend\""));
	cr_expect_null(strstr(text, "traces_service_graph_request_client_seconds_count{client=\"10.9.9.9\""));
	cr_expect_null(strstr(text, "traces_service_graph_request_failed_total{"));
	free(text);
	metrics_free(m);
}

/* zerotrace_alerts_total counts every occurrence an alert stands for. */
Test(metrics, alerts_by_rule_and_severity)
{
	struct metrics *m = metrics_new(8);
	struct alert a;
	char *text;

	memset(&a, 0, sizeof(a));
	a.rule = ALERT_NEW_EDGE;
	a.severity = ALERT_SEV_MEDIUM;
	a.count = 1;
	metrics_record_alert(m, &a);
	a.count = 41;
	metrics_record_alert(m, &a);
	a.rule = ALERT_POLICY_DENY;
	a.severity = ALERT_SEV_CRITICAL;
	a.count = 0;
	metrics_record_alert(m, &a);
	text = mt_render(m);
	mt_expect_value(text, "zerotrace_alerts_total{rule=\"new_edge\",severity=\"medium\"}", "42");
	mt_expect_value(text, "zerotrace_alerts_total{rule=\"policy_deny\",severity=\"critical\"}", "1");
	free(text);
	metrics_free(m);
}

/* Past max_series new label sets go to "other" and are counted; known ones
 * keep their series; a real all-"other" label set is not an overflow. */
Test(metrics, cardinality_cap_and_other)
{
	struct metrics *m = metrics_new(2);
	char route[32], *text, *srv;
	struct span s;
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(route, sizeof(route), "/r%d", i);
		s = mt_span(SPAN_KIND_SERVER, "checkout", "GET", route, 200, MT_MS);
		metrics_record_span(m, &s);
		metrics_record_span(m, &s);
	}
	cr_expect_eq(metrics_overflows(m), 6);
	s = mt_span(SPAN_KIND_SERVER, "checkout", "GET", "/r1", 200, MT_MS);
	metrics_record_span(m, &s); /* known: its own series */
	s = mt_span(SPAN_KIND_SERVER, "other", "other", "other", -1, MT_MS);
	metrics_record_span(m, &s); /* status "" : a new label set, overflows */
	cr_expect_eq(metrics_overflows(m), 7);

	text = mt_render(m);
	srv = mt_section(text, "http_server_request_duration_seconds");
	cr_expect_eq(mt_count_lines(srv, "http_server_request_duration_seconds_count"), 3);
	mt_expect_value(srv, "http_server_request_duration_seconds_count{service_name=\"checkout\","
			"http_request_method=\"GET\",http_route=\"/r0\",http_response_status_code=\"200\"}", "2");
	mt_expect_value(srv, "http_server_request_duration_seconds_count{service_name=\"checkout\","
			"http_request_method=\"GET\",http_route=\"/r1\",http_response_status_code=\"200\"}", "3");
	mt_expect_value(srv, "http_server_request_duration_seconds_count{service_name=\"other\","
			"http_request_method=\"other\",http_route=\"other\",http_response_status_code=\"other\"}", "7");
	mt_expect_value(srv, "http_server_request_duration_seconds_bucket{service_name=\"other\","
			"http_request_method=\"other\",http_route=\"other\",http_response_status_code=\"other\","
			"le=\"+Inf\"}", "7");
	/* "other" is the last series of its family. */
	cr_expect_not_null(strstr(text, "http_server_request_duration_seconds_count{service_name=\"other\","
				       "http_request_method=\"other\",http_route=\"other\","
				       "http_response_status_code=\"other\"} 7\n# HELP"));
	mt_expect_value(text, "zerotrace_metric_series_overflow_total", "7");
	free(srv);
	free(text);

	metrics_free(m);
}

/* A graph node really named "other" is a series of its own: the graph's
 * overflow series has connection_type="other", which no call has. */
Test(metrics, real_other_label_set_is_not_an_overflow)
{
	struct metrics *m = metrics_new(2);
	struct call c;
	char *text;

	memset(&c, 0, sizeof(c));
	snprintf(c.client.service, sizeof(c.client.service), "other");
	snprintf(c.server.service, sizeof(c.server.service), "other");
	metrics_record_call(m, &c);
	cr_expect_eq(metrics_overflows(m), 0);
	text = mt_render(m);
	mt_expect_value(text, "traces_service_graph_request_total{client=\"other\",server=\"other\","
			"connection_type=\"\"}", "1");
	cr_expect_eq(mt_count_lines(text, "traces_service_graph_request_total{"), 1);
	free(text);
	metrics_free(m);
}

/* The cap is per family: the graph has its own; max_series 0 keeps only "other". */
Test(metrics, cap_per_family_and_zero)
{
	struct metrics *m = metrics_new(1);
	struct metrics *z = metrics_new(0);
	struct span s;
	struct call c;
	char *text;

	s = mt_span(SPAN_KIND_CLIENT, "a", "GET", "/", 200, MT_MS);
	metrics_record_span(m, &s);
	metrics_record_span(m, &s);
	memset(&c, 0, sizeof(c));
	snprintf(c.client.service, sizeof(c.client.service), "a");
	snprintf(c.server.address, sizeof(c.server.address), "10.0.0.9");
	c.port = 8080;
	metrics_record_call(m, &c);
	c.port = 8081; /* same client, new edge */
	metrics_record_call(m, &c);
	cr_expect_eq(metrics_overflows(m), 1);
	text = mt_render(m);
	mt_expect_value(text, "traces_service_graph_request_total{client=\"a\",server=\"10.0.0.9:8080\","
			"connection_type=\"\"}", "1");
	mt_expect_value(text, "traces_service_graph_request_total{client=\"other\",server=\"other\","
			"connection_type=\"other\"}", "1");
	mt_expect_value(text, "http_client_request_duration_seconds_count{service_name=\"a\","
			"http_request_method=\"GET\",http_route=\"/\",http_response_status_code=\"200\"}", "2");
	free(text);

	metrics_record_span(z, &s);
	metrics_record_call(z, &c);
	cr_expect_eq(metrics_overflows(z), 2); /* client family and graph */
	text = mt_render(z);
	mt_expect_value(text, "http_client_request_duration_seconds_count{service_name=\"other\","
			"http_request_method=\"other\",http_route=\"other\",http_response_status_code=\"other\"}", "1");
	mt_expect_value(text, "zerotrace_metric_series_overflow_total", "2");
	free(text);
	metrics_free(m);
	metrics_free(z);
	cr_expect_null(metrics_new(UINT32_MAX));
}

/* Backslash, quote and newline escaped; invalid UTF-8 becomes U+FFFD when
 * recorded, so raw values that print alike are one series. */
Test(metrics, label_escaping)
{
	struct metrics *m = metrics_new(8);
	struct span s;
	char *text;

	s = mt_span(SPAN_KIND_SERVER, "sv\"c\\1\n", "GET", "/caf\xc3\xa9/\xff", 200, MT_MS);
	metrics_record_span(m, &s);
	s = mt_span(SPAN_KIND_SERVER, "sv\"c\\1\n", "GET", "/caf\xc3\xa9/\xfe", 200, MT_MS);
	metrics_record_span(m, &s); /* also one U+FFFD */
	text = mt_render(m);
	mt_expect_value(text, "http_server_request_duration_seconds_count{service_name=\"sv\\\"c\\\\1\\n\","
			"http_request_method=\"GET\",http_route=\"/caf\xc3\xa9/\xef\xbf\xbd\","
			"http_response_status_code=\"200\"}", "2");
	cr_expect_eq(mt_count_lines(text, "http_server_request_duration_seconds_count"), 1);
	free(text);
	metrics_free(m);
}

/* A value longer than its slot is cut at a character boundary. */
Test(metrics, long_values_cut_on_characters)
{
	struct metrics *m = metrics_new(8);
	char method[64], want[512];
	struct span s;
	char *text;

	/* 22 bytes: "A" + 7 x "\xff" -> "A" + 7 x U+FFFD = 22 bytes of 23 kept. */
	memset(method, 0, sizeof(method));
	method[0] = 'A';
	memset(method + 1, 0xff, 21);
	s = mt_span(SPAN_KIND_SERVER, "svc", method, "/", 200, MT_MS);
	metrics_record_span(m, &s);
	text = mt_render(m);
	snprintf(want, sizeof(want),
		 "http_server_request_duration_seconds_count{service_name=\"svc\","
		 "http_request_method=\"A%s\",http_route=\"/\",http_response_status_code=\"200\"}",
		 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	mt_expect_value(text, want, "1");
	free(text);

	/* A value longer than its label (http_request_method: 24 bytes) is
	 * kept only within its width. */
	memset(method, 'M', sizeof(method) - 1);
	method[sizeof(method) - 1] = '\0';
	s = mt_span(SPAN_KIND_SERVER, "svc", method, "/", 200, MT_MS);
	metrics_record_span(m, &s);
	/* and a label with no NUL within its width (a metric not built by
	 * span_metric_set) is read only within it */
	memset(s.metric.text, 'M', sizeof(s.metric.text) - 1);
	s.metric.text[sizeof(s.metric.text) - 1] = '\0';
	s.metric.off[0] = 0;
	s.metric.off[1] = 100;
	s.metric.off[2] = 102;
	s.metric.text[101] = '\0';
	memcpy(s.metric.text + 100, "/", 2);
	memcpy(s.metric.text + 102, "200", 4);
	metrics_record_span(m, &s);
	text = mt_render(m);
	method[23] = '\0';
	snprintf(want, sizeof(want),
		 "http_server_request_duration_seconds_count{service_name=\"svc\","
		 "http_request_method=\"%s\",http_route=\"/\",http_response_status_code=\"200\"}",
		 method);
	mt_expect_value(text, want, "2");
	free(text);
	metrics_free(m);
}

Test(metrics, agent_counters)
{
	struct metrics *m = metrics_new(8);
	struct agent_counters c = {
		.events = 1000, .ringbuf_drops = 2, .parse_misses = 3, .spans = 40,
		.spans_exported = 38, .export_failures = 1, .export_dropped = 2,
		.queue_depth = 5, .conns_tracked = 7,
	};
	char *text;

	metrics_set_agent(m, &c);
	c.events = 1234; /* the latest copy wins */
	c.conns_tracked = 6;
	metrics_set_agent(m, &c);
	text = mt_render(m);
	mt_expect_value(text, "zerotrace_events_total", "1234");
	mt_expect_value(text, "zerotrace_ringbuf_drops_total", "2");
	mt_expect_value(text, "zerotrace_parse_misses_total", "3");
	mt_expect_value(text, "zerotrace_spans_total", "40");
	mt_expect_value(text, "zerotrace_spans_exported_total", "38");
	mt_expect_value(text, "zerotrace_export_failures_total", "1");
	mt_expect_value(text, "zerotrace_export_dropped_total", "2");
	mt_expect_value(text, "zerotrace_export_queue_depth", "5");
	mt_expect_value(text, "zerotrace_connections_tracked", "6");
	cr_expect_not_null(strstr(text, "# TYPE zerotrace_export_queue_depth gauge\n"));
	cr_expect_not_null(strstr(text, "# TYPE zerotrace_connections_tracked gauge\n"));
	cr_expect_not_null(strstr(text, "# TYPE zerotrace_events_total counter\n"));
	free(text);
	metrics_free(m);
	metrics_free(NULL);
	metrics_record_span(NULL, NULL);
	metrics_set_agent(NULL, &c);
	cr_expect_eq(metrics_overflows(NULL), 0);
}

/* ---- concurrency: recorders and a renderer at once ---- */

#define MT_THREAD_SPANS 20000

static void *mt_recorder(void *arg)
{
	struct metrics *m = arg;
	struct span s = mt_span(SPAN_KIND_SERVER, "checkout", "GET", "/items/{id}", 200, MT_MS);
	int i;

	for (i = 0; i < MT_THREAD_SPANS; i++)
		metrics_record_span(m, &s);
	return NULL;
}

Test(metrics, concurrent_record_and_render)
{
	struct metrics *m = metrics_new(8);
	pthread_t t[2];
	char *text;
	int i;

	for (i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, mt_recorder, m), 0);
	for (i = 0; i < 20; i++)
		free(mt_render(m));
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	text = mt_render(m);
	mt_expect_value(text, "http_server_request_duration_seconds_count" MT_CO "}", "40000");
	mt_expect_value(text, "http_server_request_duration_seconds_sum" MT_CO "}", "40");
	free(text);
	metrics_free(m);
}

/* ---- /metrics over HTTP ---- */

/* A loopback port nobody listens on (libmicrohttpd is given a real port). */
static uint16_t mt_free_port(int family)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(family, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	cr_assert_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
	len = sizeof(ss);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	close(fd);
	return ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					: ((struct sockaddr_in *)&ss)->sin_port);
}

struct mt_reply {
	int status;
	char *head; /* status line and headers */
	char *body;
};

/* One request on a fresh connection (Connection: close), read to EOF. */
static struct mt_reply mt_http(int family, uint16_t port, const char *request)
{
	struct sockaddr_storage ss;
	struct timeval tv = { .tv_sec = 5 };
	struct mt_reply r = { 0 };
	socklen_t len;
	char *buf = NULL, *sep;
	size_t n = 0, cap = 0;
	ssize_t got;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons(port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons(port);
		len = sizeof(*a);
	}
	fd = socket(family, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	cr_assert_eq(connect(fd, (struct sockaddr *)&ss, len), 0, "connect to port %u", port);
	cr_assert_eq(send(fd, request, strlen(request), MSG_NOSIGNAL), (ssize_t)strlen(request));
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
		got = recv(fd, buf + n, cap - n - 1, 0);
		cr_assert_geq(got, 0, "recv failed or timed out");
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	buf[n] = '\0';
	sep = strstr(buf, "\r\n\r\n");
	cr_assert_not_null(sep, "no end of headers in: %s", buf);
	r.body = strdup(sep + 4);
	*sep = '\0';
	r.head = buf;
	cr_assert_eq(sscanf(buf, "HTTP/1.1 %d", &r.status), 1, "status line: %s", buf);
	return r;
}

static void mt_reply_free(struct mt_reply *r)
{
	free(r->head);
	free(r->body);
}

static struct metrics *mt_filled(void)
{
	struct metrics *m = metrics_new(8);
	struct span s = mt_span(SPAN_KIND_SERVER, "checkout", "GET", "/items/{id}", 200, 3 * MT_MS);
	struct agent_counters c = { .events = 77 };

	s.sampled = 1;
	memset(s.trace_id, 0xab, sizeof(s.trace_id));
	memset(s.span_id, 0xcd, sizeof(s.span_id));
	metrics_record_span(m, &s);
	metrics_set_agent(m, &c);
	return m;
}

Test(metrics, http_get_metrics_404_405)
{
	struct metrics *m = mt_filled();
	uint16_t port = mt_free_port(AF_INET);
	struct metrics_http *h;
	struct mt_reply r;
	char addr[64], *want, *head;

	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	h = metrics_http_start(addr, m);
	cr_assert_not_null(h, "metrics_http_start(%s)", addr);

	r = mt_http(AF_INET, port, "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	cr_expect_eq(r.status, 200);
	head = r.head;
	cr_expect_not_null(strcasestr(head, "\r\nContent-Type: text/plain; version=0.0.4"), "%s", head);
	want = mt_render(m);
	cr_expect_str_eq(r.body, want);
	cr_expect_not_null(strstr(r.body, "\nzerotrace_events_total 77\n"));
	free(want);
	mt_reply_free(&r);

	/* Prometheus' own Accept header: OpenMetrics, with the exemplar. */
	r = mt_http(AF_INET, port,
		    "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAccept: "
		    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
		    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n\r\n");
	cr_expect_eq(r.status, 200);
	cr_expect_not_null(strcasestr(r.head, "\r\nContent-Type: application/openmetrics-text; "
					      "version=1.0.0; charset=utf-8"), "%s", r.head);
	cr_expect_not_null(strcasestr(r.head, "\r\nVary: Accept"), "%s", r.head);
	want = mt_render_as(m, METRICS_OPENMETRICS);
	cr_expect_str_eq(r.body, want);
	cr_expect_not_null(strstr(r.body, "le=\"0.005\"} 1 # {trace_id=\"abababababababab"
					  "abababababababab\",span_id=\"cdcdcdcdcdcdcdcd\"} 0.003 "
					  "1700000000.003\n"), "%s", r.body);
	free(want);
	mt_reply_free(&r);

	/* A query string does not change the path. */
	r = mt_http(AF_INET, port, "GET /metrics?x=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	cr_expect_eq(r.status, 200);
	mt_reply_free(&r);

	r = mt_http(AF_INET, port, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	cr_expect_eq(r.status, 404);
	mt_reply_free(&r);
	r = mt_http(AF_INET, port, "GET /metricsx HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	cr_expect_eq(r.status, 404);
	mt_reply_free(&r);

	r = mt_http(AF_INET, port,
		    "POST /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		    "Content-Length: 5\r\n\r\nhello");
	cr_expect_eq(r.status, 405);
	cr_expect_not_null(strcasestr(r.head, "\r\nAllow: GET"), "%s", r.head);
	mt_reply_free(&r);
	r = mt_http(AF_INET, port, "DELETE /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	cr_expect_eq(r.status, 405);
	mt_reply_free(&r);

	metrics_http_stop(h);
	metrics_free(m);
}

/* Which format each Accept header gets. */
Test(metrics, format_of_accept)
{
	static const struct {
		const char *accept;
		enum metrics_format want;
	} cases[] = {
		{ NULL, METRICS_TEXT },
		{ "", METRICS_TEXT },
		{ "*/*", METRICS_TEXT },
		{ "text/plain", METRICS_TEXT },
		{ "text/plain;version=0.0.4", METRICS_TEXT },
		{ "application/openmetrics-text", METRICS_OPENMETRICS },
		{ "Application/OpenMetrics-Text; version=1.0.0", METRICS_OPENMETRICS },
		{ "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
		  "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
		  METRICS_OPENMETRICS },
		{ "application/openmetrics-text;q=0", METRICS_TEXT },
		{ "application/openmetrics-text;q=0.4, text/plain;q=0.5", METRICS_TEXT },
		{ "text/plain;q=0.4, application/openmetrics-text;q=0.5", METRICS_OPENMETRICS },
		/* two versions of one type: the better q counts */
		{ "application/openmetrics-text;version=0.0.1;q=0.1,application/openmetrics-text;"
		  "version=1.0.0;q=0.9,text/plain;q=0.5", METRICS_OPENMETRICS },
		{ "application/openmetrics-text;q=0.9,application/openmetrics-text;q=0.1,"
		  "text/plain;q=0.5", METRICS_OPENMETRICS },
		{ "application/openmetrics-text;q=0.05,text/plain;q=0.5,text/plain;q=0.01",
		  METRICS_TEXT },
		{ "application/openmetrics-text;q=0.75", METRICS_OPENMETRICS },
		{ "application/openmetrics-text;q=0.", METRICS_TEXT },
		{ "application/openmetrics-text, text/plain", METRICS_TEXT }, /* a tie: the default */
		{ "application/*", METRICS_OPENMETRICS },
		{ "application/*;q=0.2, text/*;q=0.3", METRICS_TEXT },
		{ "application/openmetrics-textx", METRICS_TEXT },
		{ "application/openmetrics", METRICS_TEXT },
		{ ",,;;q=,garbage/", METRICS_TEXT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(metrics_format_of_accept(cases[i].accept), cases[i].want, "Accept: %s",
			     cases[i].accept ? cases[i].accept : "(none)");
}

/* OpenMetrics: the same samples, a bucket's exemplar from the last span of
 * an exported trace in it (not a sampled-out one, not a span of another
 * bucket), counters named without _total, HELP quotes escaped, # EOF. */
Test(metrics, openmetrics_exemplars_exact)
{
	struct metrics *m = metrics_new(8);
	struct span s;
	char *text, *om, *sec;

	cr_assert_not_null(m);
	s = mt_span(SPAN_KIND_SERVER, "checkout", "GET", "/items/{id}", 200, 3 * MT_MS);
	s.sampled = 1;
	memset(s.trace_id, 0x11, sizeof(s.trace_id));
	memset(s.span_id, 0x22, sizeof(s.span_id));
	metrics_record_span(m, &s);
	s.trace_id[15] = 0x12; /* later, same bucket: replaces it */
	s.end_unix_ns = s.start_unix_ns + 4 * MT_MS;
	metrics_record_span(m, &s);
	s.sampled = 0; /* sampled out: counted, never an exemplar */
	s.trace_id[15] = 0x13;
	metrics_record_span(m, &s);
	s.end_unix_ns = s.start_unix_ns + 20 * MT_MS;
	metrics_record_span(m, &s);
	s.sampled = 1;
	s.trace_id[15] = 0x14;
	s.end_unix_ns = s.start_unix_ns + 11000 * MT_MS;
	metrics_record_span(m, &s);

	text = mt_render(m);
	cr_expect_null(strstr(text, "# {"), "the text format has no exemplars");
	cr_expect_null(strstr(text, "# EOF"));
	om = mt_render_as(m, METRICS_OPENMETRICS);
	sec = mt_section(om, "http_server_request_duration_seconds");
	cr_expect_str_eq(sec,
		"# HELP http_server_request_duration_seconds Duration of HTTP server requests.\n"
		"# TYPE http_server_request_duration_seconds histogram\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.005\"} 3"
		" # {trace_id=\"11111111111111111111111111111112\",span_id=\"2222222222222222\"}"
		" 0.004 1700000000.004\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.01\"} 3\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.025\"} 4\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.05\"} 4\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.075\"} 4\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.1\"} 4\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.25\"} 4\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.5\"} 4\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"0.75\"} 4\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"1\"} 4\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"2.5\"} 4\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"5\"} 4\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"7.5\"} 4\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"10\"} 4\n"
		"http_server_request_duration_seconds_bucket" MT_CO ",le=\"+Inf\"} 5"
		" # {trace_id=\"11111111111111111111111111111114\",span_id=\"2222222222222222\"}"
		" 11 1700000011\n"
		"http_server_request_duration_seconds_sum" MT_CO "} 11.031\n"
		"http_server_request_duration_seconds_count" MT_CO "} 5\n");
	free(sec);
	sec = mt_section(om, "zerotrace_events");
	cr_expect_str_eq(sec,
		"# HELP zerotrace_events Events read from the BPF ring buffer.\n"
		"# TYPE zerotrace_events counter\n"
		"zerotrace_events_total 0\n");
	free(sec);
	cr_expect_not_null(strstr(om, "\n# HELP zerotrace_metric_series_overflow Recordings that went "
				      "to the \\\"other\\\" series"), "%s", om);
	cr_expect_not_null(strstr(om, "\n# TYPE zerotrace_export_queue_depth gauge\n"));
	cr_expect_not_null(strstr(om, "\n# TYPE traces_service_graph_request counter\n"
				      "# HELP traces_service_graph_request_failed "), "%s", om);
	cr_expect_eq(strstr(om, "# EOF\n"), om + strlen(om) - 6, "# EOF ends it, once");
	free(text);
	free(om);
	metrics_free(m);
}

/* Scrapes see new spans; a second server on the same port fails with why. */
Test(metrics, http_address_in_use, .init = cr_redirect_stderr)
{
	struct metrics *m = mt_filled();
	uint16_t port = mt_free_port(AF_INET);
	struct metrics_http *h, *h2;
	struct mt_reply r;
	char addr[64], want[128];
	struct span s = mt_span(SPAN_KIND_SERVER, "late", "GET", "/", 200, MT_MS);

	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	h = metrics_http_start(addr, m);
	cr_assert_not_null(h);
	metrics_record_span(m, &s);
	r = mt_http(AF_INET, port, "GET /metrics HTTP/1.0\r\n\r\n");
	cr_expect_eq(r.status, 200);
	cr_expect_not_null(strstr(r.body, "service_name=\"late\""));
	mt_reply_free(&r);

	h2 = metrics_http_start(addr, m);
	cr_expect_null(h2);
	metrics_http_stop(h);
	metrics_http_stop(NULL);
	metrics_free(m);
	fflush(stderr);
	snprintf(want, sizeof(want), "metrics: listen on %s: Address already in use\n", addr);
	cr_expect_stderr_eq_str(want);
}

Test(metrics, http_ipv6_and_any, .init = cr_redirect_stderr)
{
	struct metrics *m = mt_filled();
	struct metrics_http *h;
	struct mt_reply r;
	char addr[64];
	uint16_t port;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	/* ":port" is every IPv4 interface, the loopback included. */
	port = mt_free_port(AF_INET);
	snprintf(addr, sizeof(addr), ":%u", port);
	h = metrics_http_start(addr, m);
	cr_assert_not_null(h, "%s", addr);
	r = mt_http(AF_INET, port, "GET /metrics HTTP/1.0\r\n\r\n");
	cr_expect_eq(r.status, 200);
	mt_reply_free(&r);
	metrics_http_stop(h);

	if (fd >= 0) { /* IPv6 may be off in a container */
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		int ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

		close(fd);
		if (ok) {
			port = mt_free_port(AF_INET6);
			snprintf(addr, sizeof(addr), "[::1]:%u", port);
			h = metrics_http_start(addr, m);
			cr_assert_not_null(h, "%s", addr);
			r = mt_http(AF_INET6, port, "GET /metrics HTTP/1.0\r\n\r\n");
			cr_expect_eq(r.status, 200);
			mt_reply_free(&r);
			metrics_http_stop(h);
		}
	}
	metrics_free(m);
	fflush(stderr);
	cr_expect_stderr_eq_str("");
}

/* Bad addresses fail before any socket, each with its reason. */
Test(metrics, http_bad_addresses, .init = cr_redirect_stderr)
{
	static const char *bad[] = {
		"localhost:9464", "::1:9464", "127.0.0.1", "127.0.0.1:", ":0", ":65536",
		"1.2.3.4:12x", "[::1]9464", "[::1:9464", "[1.2.3.4]:9464", "",
	};
	struct metrics *m = metrics_new(1);
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_null(metrics_http_start(bad[i], m), "%s", bad[i]);
	cr_expect_null(metrics_http_start("127.0.0.1:9464", NULL));
	metrics_free(m);
	fflush(stderr);
	cr_expect_stderr_eq_str(
		"metrics: bad listen address \"localhost:9464\": not an IPv4 address literal (host names are not resolved)\n"
		"metrics: bad listen address \"::1:9464\": an IPv6 address goes in brackets, as in [::1]:9464\n"
		"metrics: bad listen address \"127.0.0.1\": expected HOST:PORT, [IPv6]:PORT or :PORT\n"
		"metrics: bad listen address \"127.0.0.1:\": port must be a number from 1 to 65535\n"
		"metrics: bad listen address \":0\": port must be a number from 1 to 65535\n"
		"metrics: bad listen address \":65536\": port must be a number from 1 to 65535\n"
		"metrics: bad listen address \"1.2.3.4:12x\": port must be a number from 1 to 65535\n"
		"metrics: bad listen address \"[::1]9464\": expected [IPv6]:PORT\n"
		"metrics: bad listen address \"[::1:9464\": expected [IPv6]:PORT\n"
		"metrics: bad listen address \"[1.2.3.4]:9464\": not an IPv6 address literal\n"
		"metrics: bad listen address \"\": expected HOST:PORT, [IPv6]:PORT or :PORT\n"
		"metrics: no address or registry to serve\n");
}
