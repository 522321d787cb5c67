// SPDX-License-Identifier: MIT
/*
 * OTLP log encoding: ExportLogsServiceRequest as protobuf and as OTLP/JSON,
 * with the writers of otlp_wire.c (the trace encoder's).
 *
 * Field numbers, checked against opentelemetry-proto (and the generated
 * root of @opentelemetry/otlp-transformer 0.214.0):
 *   collector/logs/v1 ExportLogsServiceRequest: resource_logs = 1
 *   logs/v1 ResourceLogs: resource = 1, scope_logs = 2
 *   logs/v1 ScopeLogs: scope = 1, log_records = 2
 *   logs/v1 LogRecord: time_unix_nano = 1 (fixed64), severity_number = 2,
 *     severity_text = 3, body = 5, attributes = 6, flags = 8 (fixed32),
 *     trace_id = 9, span_id = 10, observed_time_unix_nano = 11 (fixed64),
 *     event_name = 12
 *   common/v1 AnyValue: string_value = 1
 *
 * Choices:
 * - The resource is the agent, not a traced process: an alert is about two
 *   processes (or a process and an address), so both ends are attributes
 *   of the record and the resource says who reported it.
 * - Attribute names: OTel semantic conventions where one fits
 *   (network.protocol.name, server.port, source.address,
 *   destination.address); the rest under zerotrace.* with the semconv name
 *   of the field after the end (zerotrace.source.service.name, ...), so
 *   nothing squats on a semconv namespace with a different meaning.
 * - Fields at their proto3 default are left out (flags, trace_id and span_id
 *   without a trace); the body and event_name are always written.
 * - severity_text is zerotrace's own name for the severity ("high"): the
 *   OTel data model keeps the source's text there, the number is the
 *   normalised one.
 */
#include "otlp_logs_encode.h"

#include <string.h>

#ifndef ZT_VERSION
#error "ZT_VERSION is set by the Makefile"
#endif

/* W3C trace flags in LogRecord.flags: sampled (every exported span is). */
#define OTLP_LOG_FLAGS_SAMPLED 0x01u
/* 6 of the alert, 8 per end. */
#define OTLP_LOG_ATTRS_MAX 24

enum { END_SRC = 0, END_DST = 1 };

static const char *const end_keys[2][8] = {
	{ "zerotrace.source.service.name", "zerotrace.source.k8s.namespace.name",
	  "zerotrace.source.k8s.workload.name", "zerotrace.source.process.executable.name",
	  "source.address", "zerotrace.source.process.pid", "zerotrace.source.container.id",
	  "zerotrace.source.k8s.pod.name" },
	{ "zerotrace.destination.service.name", "zerotrace.destination.k8s.namespace.name",
	  "zerotrace.destination.k8s.workload.name",
	  "zerotrace.destination.process.executable.name", "destination.address",
	  "zerotrace.destination.process.pid", "zerotrace.destination.container.id",
	  "zerotrace.destination.k8s.pod.name" },
};

static void attr_opt(struct otlp_attr *a, size_t *n, const char *key, const char *s, size_t len)
{
	if (len)
		otlp_attr_str(a, n, key, s, len);
}

static void end_attrs(struct otlp_attr *a, size_t *n, int end, const struct alert_identity *id,
		      const struct alert_evidence *ev)
{
	const char *const *k = end_keys[end];

	attr_opt(a, n, k[0], id->service, OTLP_FLEN(id->service));
	attr_opt(a, n, k[1], id->k8s_namespace, OTLP_FLEN(id->k8s_namespace));
	attr_opt(a, n, k[2], id->k8s_workload, OTLP_FLEN(id->k8s_workload));
	attr_opt(a, n, k[3], id->exe, OTLP_FLEN(id->exe));
	attr_opt(a, n, k[4], id->address, OTLP_FLEN(id->address));
	if (ev->pid)
		otlp_attr_int(a, n, k[5], ev->pid);
	attr_opt(a, n, k[6], ev->container_id, OTLP_FLEN(ev->container_id));
	attr_opt(a, n, k[7], ev->k8s_pod_name, OTLP_FLEN(ev->k8s_pod_name));
}

static const char *rule_name(const struct alert *al)
{
	return al->rule < ALERT_RULE_COUNT ? alert_rules[al->rule].name : "unknown";
}

/* The record's attributes, in the order the header lists them. */
static size_t log_attrs(const struct otlp_log_item *it, struct otlp_attr *a)
{
	size_t n = 0, len;

	if (it->kind == OTLP_LOG_NOTE) {
		const struct alert_note *no = &it->note;
		uint8_t np = no->n_params < ALERT_NOTE_PARAMS_MAX ? no->n_params
								  : ALERT_NOTE_PARAMS_MAX;

		for (uint8_t i = 0; i < np; i++) {
			const struct alert_note_param *p = &no->params[i];

			if (!OTLP_FLEN(p->name))
				continue;
			a[n++] = (struct otlp_attr){ .key = p->name,
						     .key_len = OTLP_FLEN(p->name),
						     .str = p->value,
						     .str_len = OTLP_FLEN(p->value) };
		}
		return n;
	}
	const struct alert *al = &it->alert;
	const char *rule = rule_name(al), *sev = alert_severity_name(al->severity);

	otlp_attr_str(a, &n, "zerotrace.alert.rule", rule, strlen(rule));
	otlp_attr_str(a, &n, "zerotrace.alert.severity", sev, strlen(sev));
	otlp_attr_int(a, &n, "zerotrace.alert.count", al->count);
	if ((len = OTLP_FLEN(al->protocol)))
		otlp_attr_str(a, &n, "network.protocol.name", al->protocol, len);
	if ((len = OTLP_FLEN(al->operation)))
		otlp_attr_str(a, &n, "zerotrace.alert.operation", al->operation, len);
	if (al->port)
		otlp_attr_int(a, &n, "server.port", al->port);
	end_attrs(a, &n, END_SRC, &al->src, &al->src_evidence);
	end_attrs(a, &n, END_DST, &al->dst, &al->dst_evidence);
	return n;
}

/* What both encoders need of a record, resolved once. */
struct log_view {
	uint64_t time_ns;
	uint8_t severity;
	const char *body;
	size_t body_len;
	const char *event;
	size_t event_len;
	const uint8_t *trace_id; /* NULL: no trace */
	const uint8_t *span_id;
};

static void log_view(const struct otlp_log_item *it, struct log_view *v)
{
	memset(v, 0, sizeof(*v));
	if (it->kind == OTLP_LOG_NOTE) {
		v->time_ns = it->note.time_unix_ns;
		v->severity = it->note.severity;
		v->body = it->note.message;
		v->body_len = OTLP_FLEN(it->note.message);
		v->event = it->note.name;
		v->event_len = OTLP_FLEN(it->note.name);
		if (!v->event_len) {
			v->event = OTLP_NOTE_EVENT_NAME;
			v->event_len = strlen(OTLP_NOTE_EVENT_NAME);
		}
		return;
	}
	v->time_ns = it->alert.time_unix_ns;
	v->severity = it->alert.severity;
	v->body = it->alert.reason;
	v->body_len = OTLP_FLEN(it->alert.reason);
	v->event = OTLP_ALERT_EVENT_NAME;
	v->event_len = strlen(OTLP_ALERT_EVENT_NAME);
	if (it->alert.has_trace) {
		v->trace_id = it->alert.trace_id;
		v->span_id = it->alert.span_id;
	}
}

static size_t resource_attrs(const char *host_name, struct otlp_attr *a)
{
	size_t n = 0;

	otlp_attr_str(a, &n, "service.name", OTLP_LOGS_SERVICE_NAME, strlen(OTLP_LOGS_SERVICE_NAME));
	if (host_name && host_name[0])
		otlp_attr_str(a, &n, "host.name", host_name, strlen(host_name));
	return n;
}

/* ---- Protobuf ---- */

static void pb_log_record(struct otlp_buf *b, const struct otlp_log_item *it)
{
	struct otlp_attr attrs[OTLP_LOG_ATTRS_MAX];
	size_t n_attrs = log_attrs(it, attrs), at = otlp_pb_open(b, 2), body;
	const char *sev = NULL;
	struct log_view v;

	log_view(it, &v);
	sev = alert_severity_name(v.severity);
	otlp_pb_fixed64(b, 1, v.time_ns);
	otlp_pb_uint(b, 2, alert_severity_otel(v.severity));
	otlp_pb_string(b, 3, sev, strlen(sev));
	body = otlp_pb_open(b, 5);
	otlp_pb_string(b, 1, v.body, v.body_len);
	otlp_pb_close(b, body);
	for (size_t i = 0; i < n_attrs; i++)
		otlp_pb_keyvalue(b, 6, &attrs[i]);
	if (v.trace_id) {
		otlp_pb_fixed32(b, 8, OTLP_LOG_FLAGS_SAMPLED);
		otlp_pb_bytes(b, 9, v.trace_id, 16);
		otlp_pb_bytes(b, 10, v.span_id, 8);
	}
	otlp_pb_fixed64(b, 11, it->observed_unix_ns);
	otlp_pb_string(b, 12, v.event, v.event_len);
	otlp_pb_close(b, at);
}

int otlp_logs_encode_proto(struct otlp_buf *b, const struct otlp_log_item *items, size_t n,
			   const char *host_name)
{
	struct otlp_attr attrs[2];
	size_t n_attrs = resource_attrs(host_name, attrs), rl, res, sl, scope;

	otlp_buf_start(b);
	if (!n)
		return 0; /* an empty request: no ResourceLogs */
	rl = otlp_pb_open(b, 1);
	res = otlp_pb_open(b, 1);
	for (size_t i = 0; i < n_attrs; i++)
		otlp_pb_keyvalue(b, 1, &attrs[i]);
	otlp_pb_close(b, res);
	sl = otlp_pb_open(b, 2);
	scope = otlp_pb_open(b, 1);
	otlp_pb_string(b, 1, OTLP_LOGS_SCOPE_NAME, strlen(OTLP_LOGS_SCOPE_NAME));
	otlp_pb_string(b, 2, ZT_VERSION, strlen(ZT_VERSION));
	otlp_pb_close(b, scope);
	for (size_t i = 0; i < n && !b->oom; i++)
		pb_log_record(b, &items[i]);
	otlp_pb_close(b, sl);
	otlp_pb_close(b, rl);
	return b->oom ? -1 : 0;
}

/* ---- OTLP/JSON ---- */

static void js_log_record(struct otlp_buf *b, const struct otlp_log_item *it)
{
	struct otlp_attr attrs[OTLP_LOG_ATTRS_MAX];
	size_t n_attrs = log_attrs(it, attrs);
	struct log_view v;

	log_view(it, &v);
	otlp_js_raw(b, "{\"timeUnixNano\":");
	otlp_js_u64(b, v.time_ns, 1);
	otlp_js_raw(b, ",\"observedTimeUnixNano\":");
	otlp_js_u64(b, it->observed_unix_ns, 1);
	otlp_js_raw(b, ",\"severityNumber\":");
	otlp_js_u64(b, alert_severity_otel(v.severity), 0);
	otlp_js_raw(b, ",\"severityText\":");
	otlp_js_cstr(b, alert_severity_name(v.severity));
	otlp_js_raw(b, ",\"body\":{\"stringValue\":");
	otlp_js_str(b, v.body, v.body_len);
	otlp_js_raw(b, "},");
	otlp_js_attrs(b, attrs, n_attrs);
	if (v.trace_id) {
		otlp_js_raw(b, ",\"flags\":");
		otlp_js_u64(b, OTLP_LOG_FLAGS_SAMPLED, 0);
		otlp_js_hex(b, ",\"traceId\":", v.trace_id, 16);
		otlp_js_hex(b, ",\"spanId\":", v.span_id, 8);
	}
	otlp_js_raw(b, ",\"eventName\":");
	otlp_js_str(b, v.event, v.event_len);
	otlp_js_raw(b, "}");
}

int otlp_logs_encode_json(struct otlp_buf *b, const struct otlp_log_item *items, size_t n,
			  const char *host_name)
{
	struct otlp_attr attrs[2];
	size_t n_attrs = resource_attrs(host_name, attrs);

	otlp_buf_start(b);
	if (!n) {
		otlp_js_raw(b, "{\"resourceLogs\":[]}");
		return b->oom ? -1 : 0;
	}
	otlp_js_raw(b, "{\"resourceLogs\":[{\"resource\":{");
	otlp_js_attrs(b, attrs, n_attrs);
	otlp_js_raw(b, "},\"scopeLogs\":[{\"scope\":{\"name\":");
	otlp_js_cstr(b, OTLP_LOGS_SCOPE_NAME);
	otlp_js_raw(b, ",\"version\":");
	otlp_js_cstr(b, ZT_VERSION);
	otlp_js_raw(b, "},\"logRecords\":[");
	for (size_t i = 0; i < n && !b->oom; i++) {
		if (i)
			otlp_js_raw(b, ",");
		js_log_record(b, &items[i]);
	}
	otlp_js_raw(b, "]}]}]}");
	return b->oom ? -1 : 0;
}
