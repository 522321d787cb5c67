// SPDX-License-Identifier: MIT
#include "zipkin_encode.h"

#include <arpa/inet.h>
#include <string.h>

#include "ids.h"
#include "json.h"

/* A list tag: a JSON list in a string, as OpenTelemetry's Zipkin mapping
 * asks; each element escaped up to 6 bytes a byte, quotes and commas. */
#define ZK_LIST_JSON_MAX (6 * SPAN_TEXT_MAX + 3 * SPAN_TEXT_MAX + 3)

/* ns to microseconds, rounded half up, as OpenTelemetry's exporter does. */
static uint64_t zk_micros(uint64_t ns)
{
	return ns / 1000 + (ns % 1000 >= 500);
}

/* An attribute's value as the string tag Zipkin takes. */
static void zk_tag_value(struct otlp_buf *b, const struct otlp_attr *a)
{
	char list[ZK_LIST_JSON_MAX];
	struct json_buf j;

	if (!a->str) {
		otlp_js_i64(b, a->num);
		return;
	}
	if (!a->list) {
		otlp_js_str(b, a->str, a->str_len);
		return;
	}
	/* ["a","b"]: each string of the list ends in a NUL */
	json_buf_init(&j, list, sizeof(list));
	json_put_lit(&j, "[");
	for (size_t at = 0, n; at < a->str_len; at += n + 1) {
		n = strnlen(a->str + at, a->str_len - at);
		if (at)
			json_put_lit(&j, ",");
		json_put_string(&j, (const uint8_t *)a->str + at, n);
	}
	json_put_lit(&j, "]");
	otlp_js_str(b, list, j.len);
}

/* The keys the status writes on an error span: an attribute of the same
 * name would repeat a key. */
static int zk_status_key(const struct otlp_attr *a)
{
	return (a->key_len == 5 && !memcmp(a->key, "error", 5)) ||
	       (a->key_len == 16 && !memcmp(a->key, "otel.status_code", 16));
}

static int zk_key_in(const struct otlp_attr *a, size_t n, const struct otlp_attr *k)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].key_len == k->key_len && !memcmp(a[i].key, k->key, k->key_len))
			return 1;
	return 0;
}

static void zk_tag(struct otlp_buf *b, const struct otlp_attr *a, int *first)
{
	otlp_js_raw(b, *first ? "{" : ",");
	*first = 0;
	otlp_js_str(b, a->key, a->key_len);
	otlp_js_raw(b, ":");
	zk_tag_value(b, a);
}

static void zk_tags(struct otlp_buf *b, const struct span *s, const struct otlp_attr *res,
		    size_t n_res)
{
	struct otlp_attr attrs[OTLP_SPAN_ATTRS_MAX];
	size_t n = otlp_span_attrs(s, attrs);
	int first = 1, error = s->status == SPAN_STATUS_ERROR;

	otlp_js_raw(b, ",\"tags\":");
	for (size_t i = 0; i < n; i++)
		if (!zk_key_in(res, n_res, &attrs[i]) && !(error && zk_status_key(&attrs[i])))
			zk_tag(b, &attrs[i], &first);
	/* Zipkin marks a span failed by its error tag: written even empty */
	if (error) {
		otlp_js_raw(b, first ? "{" : ",");
		first = 0;
		otlp_js_raw(b, "\"otel.status_code\":\"ERROR\",\"error\":");
		otlp_js_str(b, s->status_message, OTLP_FLEN(s->status_message));
	}
	for (size_t i = 0; i < n_res; i++)
		if (!(error && zk_status_key(&res[i])))
			zk_tag(b, &res[i], &first);
	otlp_js_raw(b, first ? "{}" : "}");
}

/* {"serviceName", "ipv4"|"ipv6", "port"} of the connection's other end;
 * nothing when its address is not an IP literal. A CLIENT span names its
 * server by server.address, the rank OpenTelemetry's mapping gives when
 * there is no peer.service, so Zipkin's dependency graph has an edge to a
 * server nobody traces (a database). */
static void zk_remote(struct otlp_buf *b, const struct span *s)
{
	const struct span_endpoint *e = &s->peer;
	char addr[sizeof(e->address) + 1];
	uint8_t bin[16];
	const char *v4;
	int is_v4;

	memcpy(addr, e->address, sizeof(e->address));
	addr[sizeof(e->address)] = '\0';
	v4 = strncmp(addr, "::ffff:", 7) == 0 && strchr(addr + 7, '.') ? addr + 7 : addr;
	is_v4 = inet_pton(AF_INET, v4, bin) == 1;
	if (!is_v4 && inet_pton(AF_INET6, addr, bin) != 1)
		return;
	otlp_js_raw(b, ",\"remoteEndpoint\":{");
	if (s->kind == SPAN_KIND_CLIENT && OTLP_FLEN(s->server.address)) {
		otlp_js_raw(b, "\"serviceName\":");
		otlp_js_str(b, s->server.address, OTLP_FLEN(s->server.address));
		otlp_js_raw(b, ",");
	}
	otlp_js_raw(b, is_v4 ? "\"ipv4\":" : "\"ipv6\":");
	otlp_js_cstr(b, is_v4 ? v4 : addr);
	if (e->port) {
		otlp_js_raw(b, ",\"port\":");
		otlp_js_u64(b, e->port, 0);
	}
	otlp_js_raw(b, "}");
}

int zipkin_encode_span(struct otlp_buf *b, const struct span *s, const struct procinfo *resource,
		       const char *host_name)
{
	struct otlp_attr res[OTLP_RES_ATTRS_MAX];
	size_t n_res = otlp_resource_attrs(resource, s, host_name, res);
	uint64_t dur = s->end_unix_ns > s->start_unix_ns ? s->end_unix_ns - s->start_unix_ns : 0;
	int short_id = ids_all_zero(s->trace_id, 8);

	otlp_js_hex(b, "{\"traceId\":", s->trace_id + (short_id ? 8 : 0), short_id ? 8 : 16);
	if (s->has_parent && !ids_all_zero(s->parent_span_id, sizeof(s->parent_span_id)))
		otlp_js_hex(b, ",\"parentId\":", s->parent_span_id, sizeof(s->parent_span_id));
	otlp_js_hex(b, ",\"id\":", s->span_id, sizeof(s->span_id));
	if (s->kind == SPAN_KIND_SERVER)
		otlp_js_raw(b, ",\"kind\":\"SERVER\"");
	else if (s->kind == SPAN_KIND_CLIENT)
		otlp_js_raw(b, ",\"kind\":\"CLIENT\"");
	otlp_js_raw(b, ",\"name\":");
	otlp_js_str(b, s->name, OTLP_FLEN(s->name));
	otlp_js_raw(b, ",\"timestamp\":");
	otlp_js_u64(b, zk_micros(s->start_unix_ns), 0);
	otlp_js_raw(b, ",\"duration\":");
	otlp_js_u64(b, zk_micros(dur) ? zk_micros(dur) : 1, 0);
	/* service.name is the resource's first attribute */
	otlp_js_raw(b, ",\"localEndpoint\":{\"serviceName\":");
	otlp_js_str(b, res[0].str, res[0].str_len);
	otlp_js_raw(b, "}");
	zk_remote(b, s);
	zk_tags(b, s, res, n_res);
	otlp_js_raw(b, "}");
	return b->oom ? -1 : 0;
}

int zipkin_encode_assemble(struct otlp_buf *b, const struct otlp_encoded *items, size_t n)
{
	otlp_buf_put(b, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			otlp_buf_put(b, ",", 1);
		otlp_buf_put(b, items[i].span, items[i].span_len);
	}
	otlp_buf_put(b, "]", 1);
	return b->oom ? -1 : 0;
}
