/* SPDX-License-Identifier: MIT */
/*
 * OTLP log encoding of alerts and notes: ExportLogsServiceRequest
 * (opentelemetry-proto collector/logs/v1, logs/v1) as protobuf and as
 * OTLP/JSON. Pure: the exporter thread hands in a batch, gets bytes back.
 */
#ifndef ZT_OTLP_LOGS_ENCODE_H
#define ZT_OTLP_LOGS_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "alert_note.h"
#include "otlp_wire.h"

#define OTLP_LOGS_SERVICE_NAME "zerotrace"
#define OTLP_LOGS_SCOPE_NAME "zerotrace.security"
#define OTLP_ALERT_EVENT_NAME "zerotrace.alert"
#define OTLP_NOTE_EVENT_NAME "zerotrace.note" /* a note without a name */

enum otlp_log_kind {
	OTLP_LOG_ALERT = 0,
	OTLP_LOG_NOTE = 1,
};

/* One log record to be: an alert or a note, and when it was queued. */
struct otlp_log_item {
	uint64_t observed_unix_ns;
	uint8_t kind; /* enum otlp_log_kind */
	union {
		struct alert alert;
		struct alert_note note;
	};
};

/*
 * One ResourceLogs (the agent itself: service.name "zerotrace", host.name
 * when host_name is not empty) with one ScopeLogs (OTLP_LOGS_SCOPE_NAME,
 * version ZT_VERSION) holding every item in order. A LogRecord has
 * time_unix_nano, observed_time_unix_nano, severity_number
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
 * values) and its event_name its name. Returns 0, or -1 when out of memory
 * (b->oom).
 */
int otlp_logs_encode_proto(struct otlp_buf *b, const struct otlp_log_item *items, size_t n,
			   const char *host_name);
/* The same request as OTLP/JSON (ids as lowercase hex, 64-bit integers as
 * decimal strings, enums as integers). */
int otlp_logs_encode_json(struct otlp_buf *b, const struct otlp_log_item *items, size_t n,
			  const char *host_name);

#endif /* ZT_OTLP_LOGS_ENCODE_H */
