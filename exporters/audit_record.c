// SPDX-License-Identifier: MIT
/*
 * The audit writer's records: spans and alerts rendered as one JSON line
 * each and handed to the open member (audit.c has the overview).
 */
#include <stdint.h>
#include <string.h>

#include "audit.h"
#include "audit_internal.h"
#include "json.h"
#include "span_format.h"

#define IDENT_MAX 512
#define PROTO_MAX 64

/* ---- records ---- */

void audit__put_key(struct json_buf *b, const char *key)
{
	json_put_raw(b, ",\"", 2);
	json_put_rawz(b, key);
	json_put_raw(b, "\":", 2);
}

void audit__put_str(struct json_buf *b, const char *key, const char *s, size_t max)
{
	audit__put_key(b, key);
	json_put_string(b, (const uint8_t *)(s ? s : ""), s ? strnlen(s, max) : 0);
}

/* RFC 3339 with nanoseconds; the date and time of day are formatted once
 * per second (gmtime and printf were a fifth of a record's cost). */
void audit__put_time(struct audit *a, struct json_buf *b, const char *key, uint64_t ns)
{
	uint64_t sec = ns / 1000000000ULL;
	uint32_t frac = (uint32_t)(ns % 1000000000ULL);
	char t[AUDIT_TIME_MAX];

	if (!a->time_valid || sec != a->time_sec) {
		audit_time_format(t, ns);
		memcpy(a->time_prefix, t, TIME_PREFIX);
		a->time_sec = sec;
		a->time_valid = 1;
	}
	memcpy(t + 1, a->time_prefix, TIME_PREFIX);
	t[0] = '"';
	t[TIME_PREFIX + 1] = '.';
	for (int i = 9; i >= 1; i--, frac /= 10)
		t[TIME_PREFIX + 1 + i] = (char)('0' + frac % 10);
	t[TIME_PREFIX + 11] = 'Z';
	t[TIME_PREFIX + 12] = '"';
	audit__put_key(b, key);
	json_put_raw(b, t, TIME_PREFIX + 13);
}

static void put_hex(struct json_buf *b, const char *key, const uint8_t *id, size_t n, int has)
{
	char hex[33];

	if (has)
		span_hex(hex, id, n);
	else
		hex[0] = '\0';
	audit__put_key(b, key);
	json_put_raw(b, "\"", 1);
	json_put_rawz(b, hex);
	json_put_raw(b, "\"", 1);
}

/* Writes one rendered line (newline appended here). */
static void emit(struct audit *a, struct json_buf *b)
{
	int err;

	json_put_raw(b, "\n", 1);
	if (a->fd < 0 || a->losing || b->overflow) {
		audit__lose(a, 1);
		return;
	}
	a->member_records++;
	a->file_records++;
	err = audit__member_put(a, b->data, b->len);
	if (!err && a->member_records >= AUDIT_MEMBER_RECORDS)
		err = audit__member_end(a);
	if (err) {
		audit__fail(a, err);
		return;
	}
	if (a->max_size && a->file_len + a->out_len >= a->max_size)
		audit__rotate(a);
}

void audit_span(struct audit *a, const struct span *s, const char *client_identity,
		const char *server_identity, const char *protocol)
{
	struct json_buf b;

	if (!a)
		return;
	json_buf_init(&b, a->line, LINE_CAP);
	json_put_rawz(&b, "{\"type\":\"span\"");
	audit__put_time(a, &b, "start_time", s->start_unix_ns);
	audit__put_time(a, &b, "end_time", s->end_unix_ns);
	audit__put_key(&b, "duration_ns");
	json_put_u64(&b, s->end_unix_ns > s->start_unix_ns ? s->end_unix_ns - s->start_unix_ns : 0);
	put_hex(&b, "trace_id", s->trace_id, sizeof(s->trace_id), 1);
	put_hex(&b, "span_id", s->span_id, sizeof(s->span_id), 1);
	put_hex(&b, "parent_span_id", s->parent_span_id, sizeof(s->parent_span_id), s->has_parent);
	audit__put_key(&b, "kind");
	json_put_rawz(&b, s->kind == SPAN_KIND_SERVER ? "\"SERVER\"" : "\"CLIENT\"");
	audit__put_str(&b, "service", s->service_name, sizeof(s->service_name));
	audit__put_str(&b, "client", client_identity, IDENT_MAX);
	audit__put_str(&b, "server", server_identity, IDENT_MAX);
	audit__put_str(&b, "protocol", protocol, PROTO_MAX);
	audit__put_str(&b, "operation", s->name, sizeof(s->name));
	audit__put_key(&b, "status");
	json_put_rawz(&b, s->status == SPAN_STATUS_ERROR ? "\"error\"" : "\"unset\"");
	if (s->code[0])
		audit__put_str(&b, "code", s->code, sizeof(s->code));
	json_put_raw(&b, "}", 1);
	emit(a, &b);
}

static void put_identity(struct json_buf *b, const char *key, const struct alert_identity *id,
			 const struct alert_evidence *ev)
{
	const struct {
		const char *key;
		const char *val;
		size_t max;
	} f[] = {
		{ "service", id->service, sizeof(id->service) },
		{ "namespace", id->k8s_namespace, sizeof(id->k8s_namespace) },
		{ "workload", id->k8s_workload, sizeof(id->k8s_workload) },
		{ "exe", id->exe, sizeof(id->exe) },
		{ "address", id->address, sizeof(id->address) },
		{ "container_id", ev->container_id, sizeof(ev->container_id) },
		{ "pod", ev->k8s_pod_name, sizeof(ev->k8s_pod_name) },
	};
	int first = 1;

	audit__put_key(b, key);
	json_put_raw(b, "{", 1);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		size_t n = strnlen(f[i].val, f[i].max);

		if (!n)
			continue;
		json_put_rawz(b, first ? "\"" : ",\"");
		json_put_rawz(b, f[i].key);
		json_put_raw(b, "\":", 2);
		json_put_string(b, (const uint8_t *)f[i].val, n);
		first = 0;
	}
	if (ev->pid) {
		json_put_rawz(b, first ? "\"pid\":" : ",\"pid\":");
		json_put_u64(b, ev->pid);
	}
	json_put_raw(b, "}", 1);
}

void audit_alert(struct audit *a, const struct alert *al)
{
	struct json_buf b;

	if (!a)
		return;
	json_buf_init(&b, a->line, LINE_CAP);
	json_put_rawz(&b, "{\"type\":\"alert\"");
	audit__put_time(a, &b, "time", al->time_unix_ns);
	audit__put_key(&b, "rule");
	json_put_cstr(&b, al->rule < ALERT_RULE_COUNT ? alert_rules[al->rule].name : "unknown");
	audit__put_key(&b, "severity");
	json_put_cstr(&b, alert_severity_name(al->severity));
	audit__put_str(&b, "reason", al->reason, sizeof(al->reason));
	audit__put_key(&b, "count");
	json_put_u64(&b, al->count);
	audit__put_str(&b, "protocol", al->protocol, sizeof(al->protocol));
	audit__put_str(&b, "operation", al->operation, sizeof(al->operation));
	audit__put_key(&b, "port");
	json_put_u64(&b, al->port);
	put_hex(&b, "trace_id", al->trace_id, sizeof(al->trace_id), al->has_trace);
	put_hex(&b, "span_id", al->span_id, sizeof(al->span_id), al->has_trace);
	put_identity(&b, "src", &al->src, &al->src_evidence);
	put_identity(&b, "dst", &al->dst, &al->dst_evidence);
	json_put_raw(&b, "}", 1);
	emit(a, &b);
}
