// SPDX-License-Identifier: MIT
/*
 * OTLP log encoding: ExportLogsServiceRequest as protobuf and as OTLP/JSON,
 * with the writers of otlp_wire.c (the trace encoder's): alerts and notes
 * as the agent's records, log lines (--logs) as their process's.
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
 *   resource/v1 Resource: attributes = 1
 *   common/v1 InstrumentationScope: name = 1, version = 2
 *   common/v1 AnyValue: string_value = 1
 *
 * Choices:
 * - An alert's resource is the agent, not a traced process: an alert is
 *   about two processes (or a process and an address), so both ends are
 *   attributes of the record and the resource says who reported it. A log
 *   line's resource is the process that wrote it, the same attributes as
 *   its spans', so a backend joins the two.
 * - A log line's attributes: log.iostream is the OTel semantic convention
 *   (stdout, stderr); a file has no semconv name for its descriptor, so
 *   zerotrace.log.fd; thread.id as on spans. "Truncated" is an int 1, as
 *   zerotrace.dns.truncated is: the attribute writers have no bool.
 * - A log line's flags say sampled only when its trace was: a backend
 *   should not expect that trace's spans otherwise. It has no event_name:
 *   it is not an event, only a line.
 * - Attribute names: OTel semantic conventions where one fits
 *   (network.protocol.name, server.port, source.address,
 *   destination.address); the rest under zerotrace.* with the semconv name
 *   of the field after the end (zerotrace.source.service.name, ...), so
 *   nothing squats on a semconv namespace with a different meaning.
 * - Fields at their proto3 default are left out (flags, trace_id and span_id
 *   without a trace; a line's severity_number 0 and severity_text ""); the
 *   body is always written, and an alert's or a note's event_name.
 * - severity_text is zerotrace's own name for the severity ("high"): the
 *   OTel data model keeps the source's text there, the number is the
 *   normalised one.
 */
#include "otlp_logs_encode.h"

#include <stddef.h>
#include <string.h>

#include "otlp_encode.h"

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

/* ---- Log lines (OTLP_LOG_APP) ---- */

/* log.iostream or zerotrace.log.fd, thread.id, zerotrace.log.truncated */
#define OTLP_APP_ATTRS_MAX 3

/* Stands in for the span otlp_resource_attrs takes its fallback names
 * from: a line's resource has its own (otlp_log_item_set_app). */
static const struct span no_span;

void otlp_log_item_set_app(struct otlp_log_item *it, const struct log_record *r,
			   uint64_t observed_ns)
{
	struct otlp_app_log *a = &it->app;
	uint32_t len = r->body_len < LOG_BODY_MAX ? r->body_len : LOG_BODY_MAX;
	struct procinfo *p = &a->resource;
	size_t comm_len = OTLP_FLEN(r->comm);

	it->observed_unix_ns = observed_ns;
	it->kind = OTLP_LOG_APP;
	memcpy(&a->rec, r, offsetof(struct log_record, body));
	memcpy(a->rec.body, r->body, len);
	a->rec.body_len = len;
	a->rec.process = NULL; /* the agent's cache: never read from here on */
	if (r->process) {
		procinfo_copy(p, r->process);
	} else {
		memset(p, 0, offsetof(struct procinfo, attrs));
		p->pid = r->pid;
		memcpy(p->comm, r->comm, sizeof(p->comm));
	}
	if (!p->exe_name[0]) {
		memcpy(p->exe_name, r->comm, comm_len);
		p->exe_name[comm_len] = '\0';
	}
	if (!p->service_name[0]) {
		memcpy(p->service_name, r->comm, comm_len);
		p->service_name[comm_len] = '\0';
	}
}

void otlp_log_item_copy(struct otlp_log_item *dst, const struct otlp_log_item *src)
{
	const struct log_record *r = &src->app.rec;

	dst->observed_unix_ns = src->observed_unix_ns;
	dst->kind = src->kind;
	if (src->kind == OTLP_LOG_ALERT) {
		dst->alert = src->alert;
	} else if (src->kind == OTLP_LOG_NOTE) {
		dst->note = src->note;
	} else {
		memcpy(&dst->app.rec, r, offsetof(struct log_record, body));
		memcpy(dst->app.rec.body, r->body,
		       r->body_len < LOG_BODY_MAX ? r->body_len : LOG_BODY_MAX);
		procinfo_copy(&dst->app.resource, &src->app.resource);
	}
}

/* ---- Bounds: what an item adds to a request at most ---- */

/* Per attribute, besides its escaped value and non-literal key: the JSON
 * around it ({"key":"","value":{"stringValue":""}}, 38 bytes) and the
 * longest literal key (46), or protobuf's tags and lengths. */
#define OTLP_ATTR_OVERHEAD 96
/* A LogRecord's fields other than the body and attributes (ids as hex,
 * times as quoted decimals, names of JSON keys). */
#define OTLP_RECORD_OVERHEAD 384
/* A ResourceLogs around a record: its resource, scope and their keys,
 * besides the attributes and the version. */
#define OTLP_GROUP_OVERHEAD 256

/* Bytes of text in a resource, as otlp_resource_attrs may write it, and
 * how many attributes; plus comm_len twice, for the names comm may stand
 * in for. */
static size_t resource_text(const struct procinfo *p, size_t comm_len, size_t *n_attrs)
{
	uint32_t n = p->n_attrs < PROCINFO_ATTRS_MAX ? p->n_attrs : PROCINFO_ATTRS_MAX;
	size_t len = OTLP_FLEN(p->service_name) + OTLP_FLEN(p->exe_name) +
		     OTLP_FLEN(p->exe_path) + OTLP_FLEN(p->container_id) +
		     OTLP_FLEN(p->k8s_pod_name) + OTLP_FLEN(p->k8s_namespace) + 2 * comm_len;

	for (uint32_t i = 0; i < n; i++)
		len += OTLP_FLEN(p->attrs[i].key) + OTLP_FLEN(p->attrs[i].value);
	*n_attrs = OTLP_RES_ATTRS_MAX;
	return len;
}

/* text bytes escaped at most 6 to 1 in JSON (\u00XX; U+FFFD as \ufffd)
 * and 3 to 1 in protobuf (U+FFFD for one bad byte) */
static size_t size_max(size_t text, size_t n_attrs, int json, size_t host_len)
{
	size_t f = json ? 6 : 3;

	text += host_len + strlen(ZT_VERSION) + strlen(OTLP_APP_LOGS_SCOPE_NAME) +
		strlen(OTLP_LOGS_SCOPE_NAME) + strlen(OTLP_LOGS_SERVICE_NAME);
	return f * text + OTLP_ATTR_OVERHEAD * n_attrs + OTLP_RECORD_OVERHEAD +
	       OTLP_GROUP_OVERHEAD;
}

static size_t app_size_max(const struct log_record *r, const struct procinfo *p, int json,
			   size_t host_len)
{
	size_t comm_len = OTLP_FLEN(r->comm), n_attrs, text;
	size_t body = r->body_len < LOG_BODY_MAX ? r->body_len : LOG_BODY_MAX;

	text = body + OTLP_FLEN(r->severity_text) + resource_text(p, comm_len, &n_attrs);
	return size_max(text, n_attrs + OTLP_APP_ATTRS_MAX, json, host_len);
}

size_t otlp_log_record_size_max(const struct log_record *r, int json, size_t host_len)
{
	static const struct procinfo none; /* the names come from comm */

	return app_size_max(r, r->process ? r->process : &none, json, host_len);
}

size_t otlp_log_item_size_max(const struct otlp_log_item *it, int json, size_t host_len)
{
	if (it->kind == OTLP_LOG_APP)
		return app_size_max(&it->app.rec, &it->app.resource, json, host_len);
	/* an alert or a note: rare, bounded by its size */
	return size_max(it->kind == OTLP_LOG_ALERT ? sizeof(it->alert) : sizeof(it->note),
			OTLP_LOG_ATTRS_MAX + 2, json, host_len);
}

/* What both encoders need of a line, resolved once. */
struct app_view {
	const struct log_record *r;
	size_t body_len;
	size_t sev_len;
	size_t n_attrs;
	struct otlp_attr attrs[OTLP_APP_ATTRS_MAX];
};

static void app_view(const struct otlp_log_item *it, struct app_view *v)
{
	const struct log_record *r = &it->app.rec;
	size_t n = 0;

	v->r = r;
	v->body_len = r->body_len < LOG_BODY_MAX ? r->body_len : LOG_BODY_MAX;
	v->sev_len = OTLP_FLEN(r->severity_text);
	if (r->stream == LOG_STREAM_STDOUT)
		otlp_attr_str(v->attrs, &n, "log.iostream", "stdout", 6);
	else if (r->stream == LOG_STREAM_STDERR)
		otlp_attr_str(v->attrs, &n, "log.iostream", "stderr", 6);
	else if (r->stream == LOG_STREAM_FILE)
		v->attrs[n++] = (struct otlp_attr){ .key = "zerotrace.log.fd",
						    .key_len = strlen("zerotrace.log.fd"),
						    .num = r->fd };
	otlp_attr_int(v->attrs, &n, "thread.id", r->tid);
	if (r->cut)
		otlp_attr_int(v->attrs, &n, "zerotrace.log.truncated", 1);
	v->n_attrs = n;
}

/* One run of a process's lines: the same resource. */
static int same_process(const struct otlp_log_item *a, const struct otlp_log_item *b)
{
	const struct procinfo *p = &a->app.resource, *q = &b->app.resource;

	return p->pid == q->pid && p->start_time == q->start_time &&
	       p->generation == q->generation && !memcmp(p->comm, q->comm, sizeof(p->comm));
}

/* The first log line at or after i, or n. */
static size_t next_app(const struct otlp_log_item *items, size_t n, size_t i)
{
	while (i < n && items[i].kind != OTLP_LOG_APP)
		i++;
	return i;
}

static int has_agent_records(const struct otlp_log_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].kind != OTLP_LOG_APP)
			return 1;
	return 0;
}

static size_t app_resource_attrs(const struct otlp_log_item *it, const char *host_name,
				 struct otlp_attr *a)
{
	return otlp_resource_attrs(&it->app.resource, &no_span, host_name ? host_name : "", a);
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

static void pb_app_record(struct otlp_buf *b, const struct otlp_log_item *it)
{
	size_t at = otlp_pb_open(b, 2), body;
	struct app_view v;

	app_view(it, &v);
	otlp_pb_fixed64(b, 1, v.r->time_unix_ns);
	if (v.r->severity_number)
		otlp_pb_uint(b, 2, v.r->severity_number);
	if (v.sev_len)
		otlp_pb_string(b, 3, v.r->severity_text, v.sev_len);
	body = otlp_pb_open(b, 5);
	otlp_pb_string(b, 1, v.r->body, v.body_len);
	otlp_pb_close(b, body);
	for (size_t i = 0; i < v.n_attrs; i++)
		otlp_pb_keyvalue(b, 6, &v.attrs[i]);
	if (v.r->has_trace && v.r->sampled)
		otlp_pb_fixed32(b, 8, OTLP_LOG_FLAGS_SAMPLED);
	if (v.r->has_trace) {
		otlp_pb_bytes(b, 9, v.r->trace_id, 16);
		otlp_pb_bytes(b, 10, v.r->span_id, 8);
	}
	otlp_pb_fixed64(b, 11, it->observed_unix_ns);
	otlp_pb_close(b, at);
}

/* A ResourceLogs and its ScopeLogs opened: *rl and *sl for the close. */
static void pb_open_group(struct otlp_buf *b, const struct otlp_attr *attrs, size_t n_attrs,
			  const char *scope_name, size_t *rl, size_t *sl)
{
	size_t res, scope;

	*rl = otlp_pb_open(b, 1);
	res = otlp_pb_open(b, 1);
	for (size_t i = 0; i < n_attrs; i++)
		otlp_pb_keyvalue(b, 1, &attrs[i]);
	otlp_pb_close(b, res);
	*sl = otlp_pb_open(b, 2);
	scope = otlp_pb_open(b, 1);
	otlp_pb_string(b, 1, scope_name, strlen(scope_name));
	otlp_pb_string(b, 2, ZT_VERSION, strlen(ZT_VERSION));
	otlp_pb_close(b, scope);
}

static void pb_close_group(struct otlp_buf *b, size_t rl, size_t sl)
{
	otlp_pb_close(b, sl);
	otlp_pb_close(b, rl);
}

int otlp_logs_encode_proto(struct otlp_buf *b, const struct otlp_log_item *items, size_t n,
			   const char *host_name)
{
	struct otlp_attr attrs[OTLP_RES_ATTRS_MAX];
	size_t n_attrs, rl, sl, i, j;

	otlp_buf_start(b);
	if (!n)
		return 0; /* an empty request: no ResourceLogs */
	if (has_agent_records(items, n)) {
		n_attrs = resource_attrs(host_name, attrs);
		pb_open_group(b, attrs, n_attrs, OTLP_LOGS_SCOPE_NAME, &rl, &sl);
		for (i = 0; i < n && !b->oom; i++)
			if (items[i].kind != OTLP_LOG_APP)
				pb_log_record(b, &items[i]);
		pb_close_group(b, rl, sl);
	}
	for (i = next_app(items, n, 0); i < n && !b->oom; i = j) {
		n_attrs = app_resource_attrs(&items[i], host_name, attrs);
		pb_open_group(b, attrs, n_attrs, OTLP_APP_LOGS_SCOPE_NAME, &rl, &sl);
		for (j = i; j < n && same_process(&items[i], &items[j]) && !b->oom;
		     j = next_app(items, n, j + 1))
			pb_app_record(b, &items[j]);
		pb_close_group(b, rl, sl);
	}
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

static void js_app_record(struct otlp_buf *b, const struct otlp_log_item *it)
{
	struct app_view v;

	app_view(it, &v);
	otlp_js_raw(b, "{\"timeUnixNano\":");
	otlp_js_u64(b, v.r->time_unix_ns, 1);
	otlp_js_raw(b, ",\"observedTimeUnixNano\":");
	otlp_js_u64(b, it->observed_unix_ns, 1);
	if (v.r->severity_number) {
		otlp_js_raw(b, ",\"severityNumber\":");
		otlp_js_u64(b, v.r->severity_number, 0);
	}
	if (v.sev_len) {
		otlp_js_raw(b, ",\"severityText\":");
		otlp_js_str(b, v.r->severity_text, v.sev_len);
	}
	otlp_js_raw(b, ",\"body\":{\"stringValue\":");
	otlp_js_str(b, v.r->body, v.body_len);
	otlp_js_raw(b, "},");
	otlp_js_attrs(b, v.attrs, v.n_attrs);
	if (v.r->has_trace && v.r->sampled) {
		otlp_js_raw(b, ",\"flags\":");
		otlp_js_u64(b, OTLP_LOG_FLAGS_SAMPLED, 0);
	}
	if (v.r->has_trace) {
		otlp_js_hex(b, ",\"traceId\":", v.r->trace_id, 16);
		otlp_js_hex(b, ",\"spanId\":", v.r->span_id, 8);
	}
	otlp_js_raw(b, "}");
}

/* A ResourceLogs up to its first record; the first one has no comma. */
static void js_open_group(struct otlp_buf *b, int first, const struct otlp_attr *attrs,
			  size_t n_attrs, const char *scope_name)
{
	otlp_js_raw(b, first ? "{\"resource\":{" : ",{\"resource\":{");
	otlp_js_attrs(b, attrs, n_attrs);
	otlp_js_raw(b, "},\"scopeLogs\":[{\"scope\":{\"name\":");
	otlp_js_cstr(b, scope_name);
	otlp_js_raw(b, ",\"version\":");
	otlp_js_cstr(b, ZT_VERSION);
	otlp_js_raw(b, "},\"logRecords\":[");
}

int otlp_logs_encode_json(struct otlp_buf *b, const struct otlp_log_item *items, size_t n,
			  const char *host_name)
{
	struct otlp_attr attrs[OTLP_RES_ATTRS_MAX];
	size_t n_attrs, i, j;
	int first = 1, sep;

	otlp_buf_start(b);
	otlp_js_raw(b, "{\"resourceLogs\":[");
	if (has_agent_records(items, n)) {
		n_attrs = resource_attrs(host_name, attrs);
		js_open_group(b, first, attrs, n_attrs, OTLP_LOGS_SCOPE_NAME);
		first = sep = 0;
		for (i = 0; i < n && !b->oom; i++) {
			if (items[i].kind == OTLP_LOG_APP)
				continue;
			if (sep)
				otlp_js_raw(b, ",");
			js_log_record(b, &items[i]);
			sep = 1;
		}
		otlp_js_raw(b, "]}]}");
	}
	for (i = next_app(items, n, 0); i < n && !b->oom; i = j) {
		n_attrs = app_resource_attrs(&items[i], host_name, attrs);
		js_open_group(b, first, attrs, n_attrs, OTLP_APP_LOGS_SCOPE_NAME);
		first = 0;
		for (j = i; j < n && same_process(&items[i], &items[j]) && !b->oom;
		     j = next_app(items, n, j + 1)) {
			if (j != i)
				otlp_js_raw(b, ",");
			js_app_record(b, &items[j]);
		}
		otlp_js_raw(b, "]}]}");
	}
	otlp_js_raw(b, "]}");
	return b->oom ? -1 : 0;
}
