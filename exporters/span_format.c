// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "span_format.h"

void span_hex(char *out, const uint8_t *bytes, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* Keys are the code's literals (span.h), but for the resource attributes
 * a user configured, which are escaped like any value. */
static void attr_str(struct json_buf *b, const char *key, const char *val)
{
	json_put_lit(b, ",");
	json_put_key(b, key);
	json_put_cstr(b, val);
}

static void attr_u64(struct json_buf *b, const char *key, uint64_t val)
{
	json_put_lit(b, ",");
	json_put_key(b, key);
	json_put_u64(b, val);
}

static void resource_format(struct json_buf *b, const struct procinfo *res, const char *host_name)
{
	json_put_lit(b, ",\"resource\":{");
	json_put_key(b, "service.name");
	json_put_cstr(b, res->service_name);
	attr_u64(b, "process.pid", res->pid);
	attr_str(b, "process.executable.name", res->exe_name);
	if (res->exe_path[0])
		attr_str(b, "process.executable.path", res->exe_path);
	if (host_name && host_name[0])
		attr_str(b, "host.name", host_name);
	if (res->container_id[0])
		attr_str(b, "container.id", res->container_id);
	if (res->k8s_pod_name[0])
		attr_str(b, "k8s.pod.name", res->k8s_pod_name);
	if (res->k8s_namespace[0])
		attr_str(b, "k8s.namespace.name", res->k8s_namespace);
	for (uint32_t i = 0; i < res->n_attrs && i < PROCINFO_ATTRS_MAX; i++) {
		json_put_lit(b, ",");
		json_put_cstr(b, res->attrs[i].key);
		json_put_lit(b, ":");
		json_put_cstr(b, res->attrs[i].value);
	}
	json_put_lit(b, "}");
}

static void resource_put(struct json_buf *b, const struct procinfo *res, const char *host_name,
			 struct span_resource_cache *cache)
{
	struct json_buf r;
	struct span_resource_json *e;

	if (!cache || !res->generation) {
		resource_format(b, res, host_name);
		return;
	}
	e = &cache->e[res->generation % SPAN_RESOURCE_CACHE];
	if (e->generation != res->generation || e->host_name != host_name) {
		json_buf_init(&r, e->json, sizeof(e->json));
		resource_format(&r, res, host_name);
		if (r.overflow) {
			e->generation = 0;
			resource_format(b, res, host_name);
			return;
		}
		e->generation = res->generation;
		e->host_name = host_name;
		e->len = (uint32_t)r.len;
	}
	json_put_raw(b, e->json, e->len);
}

/* A list attribute's items (each followed by a NUL) as a JSON array. */
static void list_format(struct json_buf *b, const char *v, size_t n)
{
	size_t at = 0, len;

	json_put_lit(b, "[");
	while (at < n) {
		len = strnlen(v + at, n - at);
		if (at)
			json_put_lit(b, ",");
		json_put_string(b, (const uint8_t *)v + at, len);
		at += len + 1;
	}
	json_put_lit(b, "]");
}

/* The span's own attribute list, as the protocol built it. */
static void attrs_format(struct json_buf *b, const struct span_attrs *l)
{
	for (uint16_t i = 0; i < l->n; i++) {
		const struct span_attr *a = &l->a[i];
		const char *v;
		size_t n;

		if (i)
			json_put_lit(b, ",");
		json_put_key_n(b, a->key, a->key_len);
		v = span_attr_str(l, a, &n);
		if (a->type == SPAN_ATTR_INT)
			json_put_i64(b, a->num);
		else if (a->type == SPAN_ATTR_STRS)
			list_format(b, v, n);
		else
			json_put_string(b, (const uint8_t *)v, n);
	}
}

void span_format_jsonl(struct json_buf *b, const struct span *s, const struct procinfo *res,
		       const char *host_name, struct span_resource_cache *cache)
{
	char hex[33];

	span_hex(hex, s->trace_id, sizeof(s->trace_id));
	json_put_lit(b, "{\"type\":\"span\",\"trace_id\":\"");
	json_put_raw(b, hex, 2 * sizeof(s->trace_id));
	span_hex(hex, s->span_id, sizeof(s->span_id));
	json_put_lit(b, "\",\"span_id\":\"");
	json_put_raw(b, hex, 2 * sizeof(s->span_id));
	json_put_lit(b, "\",\"parent_span_id\":\"");
	if (s->has_parent) {
		span_hex(hex, s->parent_span_id, sizeof(s->parent_span_id));
		json_put_raw(b, hex, 2 * sizeof(s->parent_span_id));
	}
	json_put_lit(b, "\",\"name\":");
	json_put_string(b, (const uint8_t *)s->name, strnlen(s->name, sizeof(s->name)));
	if (s->kind == SPAN_KIND_SERVER)
		json_put_lit(b, ",\"kind\":\"SERVER\"");
	else
		json_put_lit(b, ",\"kind\":\"CLIENT\"");
	if (s->status == SPAN_STATUS_ERROR) {
		json_put_lit(b, ",\"status\":{\"code\":\"ERROR\",\"message\":");
		json_put_string(b, (const uint8_t *)s->status_message,
				strnlen(s->status_message, sizeof(s->status_message)));
		json_put_lit(b, "}");
	}
	json_put_lit(b, ",\"start_time_unix_nano\":");
	json_put_u64(b, s->start_unix_ns);
	json_put_lit(b, ",\"end_time_unix_nano\":");
	json_put_u64(b, s->end_unix_ns);
	json_put_lit(b, ",\"service.name\":");
	json_put_cstr(b, s->service_name);

	json_put_lit(b, ",\"attributes\":{");
	attrs_format(b, &s->attrs);
	if (s->attrs.n)
		json_put_lit(b, ",");
	json_put_lit(b, "\"process.pid\":");
	json_put_u64(b, s->pid);
	json_put_lit(b, ",\"process.executable.name\":");
	json_put_cstr(b, s->exe_name);
	json_put_lit(b, ",\"thread.id\":");
	json_put_u64(b, s->tid);
	if (s->tracestate[0]) {
		json_put_lit(b, ",\"w3c.tracestate\":");
		json_put_cstr(b, s->tracestate);
	}
	json_put_lit(b, "}");
	if (res)
		resource_put(b, res, host_name, cache);
	json_put_lit(b, "}");
}

void log_format_jsonl(struct json_buf *b, const struct log_record *r, const char *host_name,
		      struct span_resource_cache *cache)
{
	static const char *const iostreams[] = { [LOG_STREAM_STDOUT] = "stdout",
						 [LOG_STREAM_STDERR] = "stderr" };
	char hex[33];

	json_put_lit(b, "{\"type\":\"log\",\"time_unix_nano\":");
	json_put_u64(b, r->time_unix_ns);
	json_put_lit(b, ",\"observed_time_unix_nano\":");
	json_put_u64(b, r->observed_unix_ns);
	json_put_lit(b, ",\"severity_number\":");
	json_put_u64(b, r->severity_number);
	json_put_lit(b, ",\"severity_text\":");
	json_put_string(b, (const uint8_t *)r->severity_text,
			strnlen(r->severity_text, sizeof(r->severity_text)));
	json_put_lit(b, ",\"body\":");
	json_put_string(b, (const uint8_t *)r->body,
			r->body_len < sizeof(r->body) ? r->body_len : sizeof(r->body));
	json_put_lit(b, ",\"trace_id\":\"");
	if (r->has_trace) {
		span_hex(hex, r->trace_id, sizeof(r->trace_id));
		json_put_raw(b, hex, 2 * sizeof(r->trace_id));
	}
	json_put_lit(b, "\",\"span_id\":\"");
	if (r->has_trace) {
		span_hex(hex, r->span_id, sizeof(r->span_id));
		json_put_raw(b, hex, 2 * sizeof(r->span_id));
	}
	json_put_lit(b, "\",\"trace_flags\":");
	json_put_u64(b, r->has_trace && r->sampled);
	json_put_lit(b, ",\"service.name\":");
	json_put_cstr(b, r->process ? r->process->service_name : r->comm);
	json_put_lit(b, ",\"attributes\":{");
	if (r->stream == LOG_STREAM_STDOUT || r->stream == LOG_STREAM_STDERR) {
		json_put_lit(b, "\"log.iostream\":");
		json_put_cstr(b, iostreams[r->stream]);
	} else {
		json_put_lit(b, "\"zerotrace.log.fd\":");
		json_put_i64(b, r->fd);
	}
	attr_u64(b, "process.pid", r->pid);
	attr_u64(b, "thread.id", r->tid);
	if (r->process)
		attr_str(b, "process.executable.name", r->process->exe_name);
	if (r->cut)
		json_put_lit(b, ",\"zerotrace.log.truncated\":true");
	json_put_lit(b, "}");
	if (r->process)
		resource_put(b, r->process, host_name, cache);
	json_put_lit(b, "}");
}

/* "addr:port", or "[addr]:port" for IPv6 so the port is unambiguous. */
static void endpoint_format(char *out, size_t out_len, const struct span_endpoint *ep)
{
	const char *fmt = strchr(ep->address, ':') ? "[%s]:%u" : "%s:%u";

	snprintf(out, out_len, fmt, ep->address, ep->port);
}

void span_format_pretty(char *out, size_t out_len, const struct span *s)
{
	time_t secs = (time_t)(s->start_unix_ns / 1000000000ULL);
	uint64_t dur_us = (s->end_unix_ns - s->start_unix_ns) / 1000;
	char when[16], client[SPAN_ADDR_MAX + 8], server[SPAN_ADDR_MAX + 8];
	const char *code = s->code[0] ? s->code : "---";
	struct tm tm;

	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	endpoint_format(client, sizeof(client), &s->client);
	endpoint_format(server, sizeof(server), &s->server);
	snprintf(out, out_len, "%s.%03u %-6s %s[%u] %s %s %llu.%03llums %s -> %s req=%lluB resp=%lluB",
		 when, (unsigned int)(s->start_unix_ns / 1000000 % 1000),
		 s->kind == SPAN_KIND_SERVER ? "SERVER" : "CLIENT", s->service_name, s->pid, s->name,
		 code, (unsigned long long)(dur_us / 1000), (unsigned long long)(dur_us % 1000),
		 client, server,
		 (unsigned long long)s->req_size, (unsigned long long)s->resp_size);
	/* names and codes come off the wire: nothing a terminal would act on
	 * (C0, DEL, and C1 whether raw or UTF-8 encoded), so printable ASCII only */
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}
