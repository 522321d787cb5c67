// SPDX-License-Identifier: MIT
#include "zipkin_encode.h"

#include <arpa/inet.h>
#include <string.h>

static int zk_zero(const uint8_t *b, size_t n)
{
	while (n && !b[n - 1])
		n--;
	return n == 0;
}

/* ns to microseconds, rounded half up, as OpenTelemetry's exporter does. */
static uint64_t zk_micros(uint64_t ns)
{
	return ns / 1000 + (ns % 1000 >= 500);
}

/* An attribute's value as the string tag Zipkin takes. */
static void zk_tag_value(struct otlp_buf *b, const struct otlp_attr *a)
{
	char joined[SPAN_TEXT_MAX];
	size_t n;

	if (!a->str) {
		otlp_js_i64(b, a->num);
		return;
	}
	if (!a->list) {
		otlp_js_str(b, a->str, a->str_len);
		return;
	}
	/* each string ends in a NUL: the last goes, the others become "," */
	n = a->str_len < sizeof(joined) ? a->str_len : sizeof(joined);
	memcpy(joined, a->str, n);
	if (n && joined[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (joined[i] == '\0')
			joined[i] = ',';
	otlp_js_str(b, joined, n);
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
	int first = 1;

	otlp_js_raw(b, ",\"tags\":");
	for (size_t i = 0; i < n; i++)
		if (!zk_key_in(res, n_res, &attrs[i]))
			zk_tag(b, &attrs[i], &first);
	if (s->status == SPAN_STATUS_ERROR) {
		otlp_js_raw(b, first ? "{" : ",");
		first = 0;
		otlp_js_raw(b, "\"otel.status_code\":\"ERROR\"");
		if (OTLP_FLEN(s->status_message)) {
			otlp_js_raw(b, ",\"error\":");
			otlp_js_str(b, s->status_message, OTLP_FLEN(s->status_message));
		}
	}
	for (size_t i = 0; i < n_res; i++)
		zk_tag(b, &res[i], &first);
	otlp_js_raw(b, first ? "{}" : "}");
}

/* {"ipv4"|"ipv6":..,"port":..} of the connection's other end; nothing
 * when its address is not an IP literal. */
static void zk_remote(struct otlp_buf *b, const struct span_endpoint *e)
{
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
	otlp_js_raw(b, is_v4 ? ",\"remoteEndpoint\":{\"ipv4\":" : ",\"remoteEndpoint\":{\"ipv6\":");
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
	int short_id = zk_zero(s->trace_id, 8);

	otlp_js_hex(b, "{\"traceId\":", s->trace_id + (short_id ? 8 : 0), short_id ? 8 : 16);
	if (s->has_parent && !zk_zero(s->parent_span_id, sizeof(s->parent_span_id)))
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
	zk_remote(b, &s->peer);
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
