/* SPDX-License-Identifier: MIT */
/*
 * Prometheus metrics: request-duration histograms following the
 * OpenTelemetry HTTP metric conventions as Prometheus exposes them, a
 * service graph, and the agent's own counters. Label cardinality is bounded:
 * routes are templated, and past max_series new label sets go to an "other"
 * series and are counted. Thread-safe (the event loop records, the HTTP
 * thread renders).
 */
#ifndef ZT_METRICS_H
#define ZT_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "span.h"
#include "alert.h"
#include "call.h"

/* The agent's own counters, copied in by the event loop each tick. */
/* Client calls per task kind (the tracer's names): linked to a parent by
 * the in-process rule, and left without one. */
#define AGENT_TASK_KINDS_MAX 8
struct agent_task_calls {
	const char *task; /* NULL: unused slot */
	uint64_t linked, unlinked;
};

/* Spans by the sampling decision of their trace (the sampler's reasons):
 * exported, and sampled out (still in every metric and detection). */
#define AGENT_SAMPLE_REASONS_MAX 8
struct agent_sample_counts {
	const char *reason; /* NULL: unused slot */
	uint64_t kept, sampled_out;
};

/* --logs: writes by what became of them (the tracer's outcomes). */
#define AGENT_LOG_OUTCOMES_MAX 8
struct agent_log_counts {
	const char *outcome; /* NULL: unused slot */
	uint64_t writes;
};

struct agent_counters {
	uint64_t events;
	uint64_t ringbuf_drops;
	uint64_t parse_misses;
	uint64_t spans;
	uint64_t spans_exported;
	uint64_t export_failures;
	uint64_t export_dropped;
	uint64_t queue_depth;
	uint64_t conns_tracked;
	struct agent_task_calls calls[AGENT_TASK_KINDS_MAX];
	double sample_ratio; /* the ratio new traces are sampled with */
	struct agent_sample_counts sampling[AGENT_SAMPLE_REASONS_MAX];
	struct agent_log_counts logs[AGENT_LOG_OUTCOMES_MAX];
};

struct metrics;

/* max_series label sets per family (at most 1 << 24), all allocated here;
 * NULL with errno set. */
struct metrics *metrics_new(uint32_t max_series);
void metrics_free(struct metrics *m);
/*
 * One finished span:
 *  http_server_request_duration_seconds / http_client_request_duration_seconds
 *    histograms (buckets 0.005 .. 10 s, the OTel advice), labels
 *    service_name, http_request_method, http_route, http_response_status_code;
 *    and the database families of metric_family.h.
 * Never allocates. Label values are made valid UTF-8 (U+FFFD) when recorded.
 */
void metrics_record_span(struct metrics *m, const struct span *s);
/* One call of the service graph (Tempo's and the OTel servicegraph
 * connector's names): traces_service_graph_request_total,
 * _request_failed_total, and the _request_server_seconds and
 * _request_client_seconds histograms, labels client, server,
 * connection_type ("", virtual_node, database). */
void metrics_record_call(struct metrics *m, const struct call *c);
/* zerotrace_alerts_total{rule,severity}, by the alert's count. */
void metrics_record_alert(struct metrics *m, const struct alert *a);
void metrics_set_agent(struct metrics *m, const struct agent_counters *c);
enum metrics_format {
	METRICS_TEXT = 0,    /* Prometheus text exposition format 0.0.4 */
	METRICS_OPENMETRICS, /* OpenMetrics 1.0.0: the same samples, with exemplars */
};

/* The format an Accept header asks for: OpenMetrics only when it ranks
 * application/openmetrics-text above text/plain (q values, the most
 * specific range winning); NULL, a tie or garbage: the text format. */
enum metrics_format metrics_format_of_accept(const char *accept);
/* Every family with HELP and TYPE lines. In OpenMetrics a counter's
 * family is named without its _total, each bucket of a span family carries
 * the trace and span id of the last span of an exported trace that fell in
 * it (an exemplar), and "# EOF" ends the exposition. */
void metrics_render(struct metrics *m, FILE *out, enum metrics_format format);
/* Label sets that went to "other" because of the cap, counted per recording
 * (a CLIENT span can count twice: its histogram and its graph edge). */
uint64_t metrics_overflows(struct metrics *m);

struct metrics_http;

/* Serves GET /metrics on addr ("127.0.0.1:9464", "[::1]:9464", ":9464" for
 * every IPv4 interface; IP literals only, port 1..65535) on its own thread;
 * other paths 404, other methods 405. NULL after printing why on stderr. */
struct metrics_http *metrics_http_start(const char *addr, struct metrics *m);
void metrics_http_stop(struct metrics_http *h);

#endif /* ZT_METRICS_H */
