/* SPDX-License-Identifier: MIT */
/*
 * OTLP log encoding of alerts, notes and the log lines of traced processes
 * (--logs): ExportLogsServiceRequest (opentelemetry-proto
 * collector/logs/v1, logs/v1) as protobuf and as OTLP/JSON. Pure: the
 * exporter thread hands in a batch, gets bytes back.
 */
#ifndef ZT_OTLP_LOGS_ENCODE_H
#define ZT_OTLP_LOGS_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "alert_note.h"
#include "log_record.h"
#include "otlp_wire.h"
#include "process.h"

#define OTLP_LOGS_SERVICE_NAME "zerotrace"
#define OTLP_LOGS_SCOPE_NAME "zerotrace.security"
#define OTLP_ALERT_EVENT_NAME "zerotrace.alert"
#define OTLP_NOTE_EVENT_NAME "zerotrace.note" /* a note without a name */
#define OTLP_APP_LOGS_SCOPE_NAME "zerotrace.logs" /* a traced process's lines */

enum otlp_log_kind {
	OTLP_LOG_ALERT = 0,
	OTLP_LOG_NOTE = 1,
	OTLP_LOG_APP = 2, /* a line a traced process wrote */
};

/* An application's log line and its process: copies, so the exporter
 * thread never follows a pointer into the agent's procinfo cache
 * (rec.process is NULL; only rec.body_len bytes of rec.body are set, and
 * only the resource's attributes in use, as procinfo_copy copies them). */
struct otlp_app_log {
	struct log_record rec;
	struct procinfo resource;
};

/* One log record to be: an alert, a note or a log line, and when it was
 * queued. */
struct otlp_log_item {
	uint64_t observed_unix_ns;
	uint8_t kind; /* enum otlp_log_kind */
	union {
		struct alert alert;
		struct alert_note note;
		struct otlp_app_log app;
	};
};

/*
 * Makes *it an OTLP_LOG_APP item observed at observed_ns from r: r's
 * fields (body_len clamped to LOG_BODY_MAX) and body_len bytes of its body,
 * and r->process copied with procinfo_copy; when r->process is NULL, a
 * resource of r's pid and comm alone (comm stands for the executable and
 * service names, as for a process gone before the agent read /proc).
 * Either way an empty service or executable name is comm. Cost: the bytes
 * in use, not sizeof(*it).
 */
void otlp_log_item_set_app(struct otlp_log_item *it, const struct log_record *r,
			   uint64_t observed_ns);
/* Copies src to dst, only as much as its kind uses (for an OTLP_LOG_APP
 * item: the record's body_len bytes and the resource's attributes in use). */
void otlp_log_item_copy(struct otlp_log_item *dst, const struct otlp_log_item *src);
/*
 * At most how many bytes the item adds to a request of either encoder
 * (json: OTLP/JSON, else protobuf) with host name host_len bytes long,
 * counting a ResourceLogs of its own: what a batch is cut by to keep a
 * request bounded. Every string as if each byte were escaped (\u00XX in
 * JSON, U+FFFD in protobuf); the request's own few bytes are
 * OTLP_LOGS_REQUEST_OVERHEAD. otlp_log_record_size_max is the same for the
 * item otlp_log_item_set_app would make of r.
 */
#define OTLP_LOGS_REQUEST_OVERHEAD 64
size_t otlp_log_item_size_max(const struct otlp_log_item *it, int json, size_t host_len);
size_t otlp_log_record_size_max(const struct log_record *r, int json, size_t host_len);

/*
 * Alerts and notes: one ResourceLogs (the agent itself: service.name
 * "zerotrace", host.name when host_name is not empty) with one ScopeLogs
 * (OTLP_LOGS_SCOPE_NAME, version ZT_VERSION) holding them in order. A
 * LogRecord has time_unix_nano, observed_time_unix_nano, severity_number
 * (alert_severity_otel), severity_text (alert_severity_name), body (a
 * string: the reason, or the note's message), attributes, and event_name.
 * An alert's attributes: zerotrace.alert.rule, zerotrace.alert.severity,
 * zerotrace.alert.count (int), network.protocol.name, zerotrace.alert.operation,
 * server.port (int), then for each end (source, destination):
 * zerotrace.<end>.service.name, .k8s.namespace.name, .k8s.workload.name,
 * .process.executable.name, <end>.address, zerotrace.<end>.process.pid (int),
 * .container.id, .k8s.pod.name (empty ones and zero numbers left out);
 * trace_id, span_id and flags 0x01 (W3C sampled) when has_trace; event_name
 * OTLP_ALERT_EVENT_NAME. A note's attributes are its params (string
 * values) and its event_name its name.
 *
 * Log lines (OTLP_LOG_APP) are not the agent's: after the agent's
 * ResourceLogs (present only when the batch holds an alert or a note), each
 * run of log lines of one process (same pid, start_time, procinfo
 * generation and comm), consecutive among the batch's log lines (an alert
 * or note between two lines does not cut a run), is a ResourceLogs of its
 * own in batch order: the process's Resource, written as spans write it
 * (otlp_resource_attrs, host.name included), and one ScopeLogs
 * (OTLP_APP_LOGS_SCOPE_NAME, version ZT_VERSION). One ResourceLogs per run
 * rather than per process keeps this linear and allocation-free; the
 * exporter's queue is FIFO, so a process's lines mostly come in runs. A
 * line's LogRecord: time_unix_nano (rec.time_unix_ns),
 * observed_time_unix_nano, severity_number (left out when 0),
 * severity_text (left out when ""), body (a string AnyValue of
 * body[0..body_len), invalid UTF-8 repaired as everywhere: each bad byte
 * U+FFFD), attributes: log.iostream "stdout" or "stderr" (LOG_STREAM_FILE:
 * zerotrace.log.fd, int, instead; another stream value: neither),
 * thread.id (int), zerotrace.log.truncated (int 1, as
 * zerotrace.dns.truncated; only when cut); flags 0x01 when has_trace and
 * sampled (else left out); trace_id and span_id when has_trace; no
 * event_name.
 *
 * Returns 0, or -1 when out of memory (b->oom).
 */
int otlp_logs_encode_proto(struct otlp_buf *b, const struct otlp_log_item *items, size_t n,
			   const char *host_name);
/* The same request as OTLP/JSON (ids as lowercase hex, 64-bit integers as
 * decimal strings, enums as integers). */
int otlp_logs_encode_json(struct otlp_buf *b, const struct otlp_log_item *items, size_t n,
			  const char *host_name);

#endif /* ZT_OTLP_LOGS_ENCODE_H */
