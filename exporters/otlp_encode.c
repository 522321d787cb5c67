// SPDX-License-Identifier: MIT
/*
 * OTLP trace encoding: ExportTraceServiceRequest as protobuf and as OTLP/JSON.
 *
 * Field numbers, checked against opentelemetry-proto:
 *   collector/trace/v1 ExportTraceServiceRequest: resource_spans = 1
 *   trace/v1 ResourceSpans: resource = 1, scope_spans = 2 (schema_url = 3 unused)
 *   trace/v1 ScopeSpans: scope = 1, spans = 2 (schema_url = 3 unused)
 *   trace/v1 Span: trace_id = 1, span_id = 2, trace_state = 3,
 *     parent_span_id = 4, name = 5, kind = 6, start_time_unix_nano = 7
 *     (fixed64), end_time_unix_nano = 8 (fixed64), attributes = 9,
 *     status = 15, flags = 16 (fixed32)
 *   trace/v1 Status: message = 2, code = 3 (1 is reserved)
 *   resource/v1 Resource: attributes = 1
 *   common/v1 InstrumentationScope: name = 1, version = 2
 *   common/v1 KeyValue: key = 1, value = 2
 *   common/v1 AnyValue: string_value = 1, int_value = 3 (int64 varint)
 *
 * Choices the header leaves to the implementation (the writers are
 * otlp_wire.c, shared with the log encoder):
 * - The buffer is reused per call: its contents are replaced (len and oom
 *   reset), its storage kept and grown geometrically (x2, 4 KiB first).
 * - Nested lengths are written in place: a length-delimited field gets one
 *   byte reserved for its length; when the body turns out to be 128 bytes or
 *   more, the body is moved forward by the extra varint bytes. Short strings,
 *   most KeyValues, the Status and the scope need no move; a span, its
 *   ScopeSpans and ResourceSpans each move once, so every byte moves at most
 *   once per nesting level (6 at most), and there is no second "size of"
 *   code path that must agree with the writer.
 * - Items are grouped with one scratch allocation per call (a chain per
 *   (pid, start_time) and a small hash table), so a batch of many processes
 *   stays linear. The group's resource is the first-seen item's.
 * - Fields equal to their proto3 default are left out, as protoc does:
 *   trace_state when "", parent_span_id for a root, kind when unknown, the
 *   status when UNSET (an absent status means UNSET). An attribute value is
 *   a oneof, so an empty string or a 0 is still written.
 * - Span flags: 0x01 (W3C sampled: every span the agent emits is recorded).
 *   The SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE bit (0x100) is left clear, meaning
 *   "unknown": a SERVER span's parent usually came off the wire, but a
 *   CLIENT span's parent may be a local span or the application's own, and
 *   struct span does not say which.
 * - A parent_span_id of all zeros is an invalid id: the span is sent as a
 *   root rather than with it.
 * - Integer attributes are int64, as the span holds them (protocols clamp
 *   what they count to INT64_MAX).
 * - Strings must be valid UTF-8 in protobuf: each byte of invalid UTF-8 is
 *   replaced by U+FFFD, the same rule as json_put_string, which writes every
 *   OTLP/JSON string here.
 * - Resource attribute keys are unique: an OTEL_RESOURCE_ATTRIBUTES pair
 *   whose key the agent sets itself (service.name, process.pid, ...) or
 *   that repeats an earlier pair is left out.
 * - w3c.tracestate of the JSON-lines output is the span's trace_state here;
 *   process.pid and process.executable.name are resource attributes.
 */
#include "otlp_encode.h"

#include <stdlib.h>
#include <string.h>

#include "span_format.h"

#ifndef ZT_VERSION
#error "ZT_VERSION is set by the Makefile"
#endif

/* W3C sampled; the remote bits (0x100, 0x200) are left "unknown". */
#define OTLP_SPAN_FLAGS 0x01u

/* OTLP Span.SpanKind and Status.StatusCode values. */
enum {
	OTLP_KIND_UNSPECIFIED = 0,
	OTLP_KIND_SERVER = 2,
	OTLP_KIND_CLIENT = 3,
};

/* ---- The attribute lists, shared by both encoders ---- */

size_t otlp_span_attrs(const struct span *s, struct otlp_attr *a)
{
	const struct span_attrs *l = &s->attrs;
	size_t n = 0;

	for (uint16_t i = 0; i < l->n && i < SPAN_ATTRS_MAX; i++) {
		const struct span_attr *sa = &l->a[i];
		size_t len;
		const char *v;

		if (sa->type == SPAN_ATTR_INT) {
			a[n++] = (struct otlp_attr){ .key = sa->key, .key_len = sa->key_len,
						     .num = sa->num };
		} else {
			v = span_attr_str(l, sa, &len);
			a[n++] = (struct otlp_attr){ .key = sa->key, .key_len = sa->key_len,
						     .str = v, .str_len = len,
						     .list = sa->type == SPAN_ATTR_STRS };
		}
	}
	otlp_attr_int(a, &n, "thread.id", s->tid);
	return n;
}

static int attr_key_taken(const struct otlp_attr *a, size_t n, const char *key, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].key_len == len && !memcmp(a[i].key, key, len))
			return 1;
	return 0;
}

size_t otlp_resource_attrs(const struct procinfo *r, const struct span *s, const char *host_name,
			   struct otlp_attr *a)
{
	const char *svc = r->service_name, *exe = r->exe_name;
	size_t n = 0, len, svc_len = OTLP_FLEN(r->service_name);
	size_t exe_len = OTLP_FLEN(r->exe_name);
	uint32_t n_extra = r->n_attrs < PROCINFO_ATTRS_MAX ? r->n_attrs : PROCINFO_ATTRS_MAX;

	if (!svc_len) {
		svc = s->service_name;
		svc_len = OTLP_FLEN(s->service_name);
	}
	if (!exe_len) {
		exe = s->exe_name;
		exe_len = OTLP_FLEN(s->exe_name);
	}
	otlp_attr_str(a, &n, "service.name", svc, svc_len);
	otlp_attr_int(a, &n, "process.pid", r->pid);
	if (exe_len)
		otlp_attr_str(a, &n, "process.executable.name", exe, exe_len);
	if ((len = OTLP_FLEN(r->exe_path)))
		otlp_attr_str(a, &n, "process.executable.path", r->exe_path, len);
	if ((len = strnlen(host_name, PROCINFO_NAME_MAX)))
		otlp_attr_str(a, &n, "host.name", host_name, len);
	if ((len = OTLP_FLEN(r->container_id)))
		otlp_attr_str(a, &n, "container.id", r->container_id, len);
	if ((len = OTLP_FLEN(r->k8s_pod_name)))
		otlp_attr_str(a, &n, "k8s.pod.name", r->k8s_pod_name, len);
	if ((len = OTLP_FLEN(r->k8s_namespace)))
		otlp_attr_str(a, &n, "k8s.namespace.name", r->k8s_namespace, len);
	for (uint32_t i = 0; i < n_extra; i++) {
		const struct resource_attr *ra = &r->attrs[i];
		size_t klen = OTLP_FLEN(ra->key);

		if (!klen || attr_key_taken(a, n, ra->key, klen))
			continue;
		a[n++] = (struct otlp_attr){ .key = ra->key,
					     .key_len = klen,
					     .str = ra->value,
					     .str_len = OTLP_FLEN(ra->value) };
	}
	return n;
}

/* ---- Kind and parent ---- */

static int otlp_kind(const struct span *s)
{
	if (s->kind == SPAN_KIND_SERVER)
		return OTLP_KIND_SERVER;
	if (s->kind == SPAN_KIND_CLIENT)
		return OTLP_KIND_CLIENT;
	return OTLP_KIND_UNSPECIFIED;
}

static int otlp_has_parent(const struct span *s)
{
	static const uint8_t zero[sizeof(s->parent_span_id)];

	return s->has_parent && memcmp(s->parent_span_id, zero, sizeof(zero));
}

/* ---- One span, encoded when it is queued ---- */

static void pb_span(struct otlp_buf *b, const struct span *s)
{
	struct otlp_attr attrs[OTLP_SPAN_ATTRS_MAX];
	size_t at = otlp_pb_open(b, 2), n_attrs = otlp_span_attrs(s, attrs), st, len;

	otlp_pb_bytes(b, 1, s->trace_id, sizeof(s->trace_id));
	otlp_pb_bytes(b, 2, s->span_id, sizeof(s->span_id));
	if ((len = OTLP_FLEN(s->tracestate)))
		otlp_pb_string(b, 3, s->tracestate, len);
	if (otlp_has_parent(s))
		otlp_pb_bytes(b, 4, s->parent_span_id, sizeof(s->parent_span_id));
	otlp_pb_string(b, 5, s->name, OTLP_FLEN(s->name));
	if (otlp_kind(s) != OTLP_KIND_UNSPECIFIED)
		otlp_pb_uint(b, 6, (uint64_t)otlp_kind(s));
	otlp_pb_fixed64(b, 7, s->start_unix_ns);
	otlp_pb_fixed64(b, 8, s->end_unix_ns);
	for (size_t i = 0; i < n_attrs; i++)
		otlp_pb_keyvalue(b, 9, &attrs[i]);
	if (s->status != SPAN_STATUS_UNSET) {
		st = otlp_pb_open(b, 15);
		otlp_pb_string(b, 2, s->status_message, OTLP_FLEN(s->status_message));
		otlp_pb_uint(b, 3, s->status);
		otlp_pb_close(b, st);
	}
	otlp_pb_fixed32(b, 16, OTLP_SPAN_FLAGS);
	otlp_pb_close(b, at);
}

static void js_span(struct otlp_buf *b, const struct span *s)
{
	struct otlp_attr attrs[OTLP_SPAN_ATTRS_MAX];
	size_t n_attrs = otlp_span_attrs(s, attrs), len;

	otlp_js_hex(b, "{\"traceId\":", s->trace_id, sizeof(s->trace_id));
	otlp_js_hex(b, ",\"spanId\":", s->span_id, sizeof(s->span_id));
	if ((len = OTLP_FLEN(s->tracestate))) {
		otlp_js_raw(b, ",\"traceState\":");
		otlp_js_str(b, s->tracestate, len);
	}
	if (otlp_has_parent(s))
		otlp_js_hex(b, ",\"parentSpanId\":", s->parent_span_id, sizeof(s->parent_span_id));
	otlp_js_raw(b, ",\"name\":");
	otlp_js_str(b, s->name, OTLP_FLEN(s->name));
	if (otlp_kind(s) != OTLP_KIND_UNSPECIFIED) {
		otlp_js_raw(b, ",\"kind\":");
		otlp_js_u64(b, (uint64_t)otlp_kind(s), 0);
	}
	otlp_js_raw(b, ",\"startTimeUnixNano\":");
	otlp_js_u64(b, s->start_unix_ns, 1);
	otlp_js_raw(b, ",\"endTimeUnixNano\":");
	otlp_js_u64(b, s->end_unix_ns, 1);
	otlp_js_raw(b, ",");
	otlp_js_attrs(b, attrs, n_attrs);
	if (s->status != SPAN_STATUS_UNSET) {
		otlp_js_raw(b, ",\"status\":{\"code\":");
		otlp_js_u64(b, s->status, 0);
		otlp_js_raw(b, ",\"message\":");
		otlp_js_str(b, s->status_message, OTLP_FLEN(s->status_message));
		otlp_js_raw(b, "}");
	}
	otlp_js_raw(b, ",\"flags\":");
	otlp_js_u64(b, OTLP_SPAN_FLAGS, 0);
	otlp_js_raw(b, "}");
}

static void otlp_encode_resource(struct otlp_buf *b, int json, const struct span *s,
				 const struct procinfo *resource, const char *host_name)
{
	struct otlp_attr attrs[OTLP_RES_ATTRS_MAX];
	size_t n_attrs = otlp_resource_attrs(resource, s, host_name, attrs);

	if (json) {
		otlp_js_attrs(b, attrs, n_attrs);
	} else {
		for (size_t i = 0; i < n_attrs; i++)
			otlp_pb_keyvalue(b, 1, &attrs[i]);
	}
}

/* The cache's entry for resource, or NULL when its bytes may depend on
 * the span (no generation, or a name the span stands in for). */
static struct otlp_resource_bytes *otlp_resource_entry(struct otlp_resource_cache *cache,
							const struct procinfo *r)
{
	if (!cache || !r->generation || !r->service_name[0] || !r->exe_name[0])
		return NULL;
	return &cache->e[r->generation % OTLP_RESOURCE_CACHE];
}

int otlp_encode_item(struct otlp_buf *b, int json, const struct span *s,
		     const struct procinfo *resource, const char *host_name,
		     struct otlp_resource_cache *cache, uint32_t *span_len, uint32_t *resource_len)
{
	struct otlp_resource_bytes *e = otlp_resource_entry(cache, resource);
	size_t start = b->len;

	if (json)
		js_span(b, s);
	else
		pb_span(b, s);
	*span_len = (uint32_t)(b->len - start);
	start = b->len;
	if (e && e->generation == resource->generation) {
		otlp_buf_put(b, e->bytes, e->len);
	} else {
		otlp_encode_resource(b, json, s, resource, host_name);
		if (e && !b->oom && b->len - start <= sizeof(e->bytes)) {
			e->generation = resource->generation;
			e->len = (uint32_t)(b->len - start);
			memcpy(e->bytes, b->data + start, e->len);
		}
	}
	*resource_len = (uint32_t)(b->len - start);
	return b->oom ? -1 : 0;
}

/* ---- Grouping: (pid, start_time) in first-seen order ---- */

#define OTLP_NONE SIZE_MAX

struct otlp_groups {
	size_t *next;  /* next item of the same group, or OTLP_NONE */
	size_t *head;  /* first item of each group, in first-seen order */
	size_t *tail;
	size_t *slot;  /* hash table: group index + 1, 0 = empty */
	size_t n_groups;
};

static int same_process(const struct otlp_encoded *a, const struct otlp_encoded *b)
{
	return a->pid == b->pid && a->start_time == b->start_time;
}

static uint64_t process_hash(const struct otlp_encoded *it)
{
	uint64_t h = it->start_time * 0x9e3779b97f4a7c15ULL ^ it->pid;

	/* splitmix64 finaliser: pids and start times are both small and dense */
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static int otlp_group(struct otlp_groups *g, const struct otlp_encoded *items, size_t n)
{
	size_t hsize = 2, mask, i;

	*g = (struct otlp_groups){ 0 };
	if (!n)
		return 0;
	while (hsize < 2 * n) {
		if (hsize > SIZE_MAX / 16 / sizeof(size_t))
			return -1;
		hsize *= 2;
	}
	mask = hsize - 1;
	/* one block: next, head, tail (n each) and the table */
	g->next = calloc(3 * n + hsize, sizeof(size_t));
	if (!g->next)
		return -1;
	g->head = g->next + n;
	g->tail = g->head + n;
	g->slot = g->tail + n;
	for (i = 0; i < n; i++) {
		size_t h = (size_t)process_hash(&items[i]) & mask, k;

		/* linear probing; the table is at most half full */
		while ((k = g->slot[h]) && !same_process(&items[g->head[k - 1]], &items[i]))
			h = (h + 1) & mask;
		g->next[i] = OTLP_NONE;
		if (k) {
			g->next[g->tail[k - 1]] = i;
			g->tail[k - 1] = i;
		} else {
			g->head[g->n_groups] = g->tail[g->n_groups] = i;
			g->slot[h] = ++g->n_groups;
		}
	}
	return 0;
}

static void otlp_groups_free(struct otlp_groups *g)
{
	free(g->next);
	*g = (struct otlp_groups){ 0 };
}

/* ---- The request, from encoded spans ---- */

static void pb_resource_spans(struct otlp_buf *b, const struct otlp_encoded *items,
			      const struct otlp_groups *g, size_t group)
{
	const struct otlp_encoded *first = &items[g->head[group]];
	size_t rs = otlp_pb_open(b, 1), res, ss, scope;

	res = otlp_pb_open(b, 1);
	otlp_buf_put(b, first->resource, first->resource_len);
	otlp_pb_close(b, res);

	ss = otlp_pb_open(b, 2);
	scope = otlp_pb_open(b, 1);
	otlp_pb_string(b, 1, OTLP_SCOPE_NAME, strlen(OTLP_SCOPE_NAME));
	otlp_pb_string(b, 2, ZT_VERSION, strlen(ZT_VERSION));
	otlp_pb_close(b, scope);
	for (size_t i = g->head[group]; i != OTLP_NONE; i = g->next[i])
		otlp_buf_put(b, items[i].span, items[i].span_len);
	otlp_pb_close(b, ss);
	otlp_pb_close(b, rs);
}

static void js_resource_spans(struct otlp_buf *b, const struct otlp_encoded *items,
			      const struct otlp_groups *g, size_t group)
{
	const struct otlp_encoded *first = &items[g->head[group]];

	otlp_js_raw(b, group ? ",{\"resource\":{" : "{\"resource\":{");
	otlp_buf_put(b, first->resource, first->resource_len);
	otlp_js_raw(b, "},\"scopeSpans\":[{\"scope\":{\"name\":");
	otlp_js_cstr(b, OTLP_SCOPE_NAME);
	otlp_js_raw(b, ",\"version\":");
	otlp_js_cstr(b, ZT_VERSION);
	otlp_js_raw(b, "},\"spans\":[");
	for (size_t i = g->head[group]; i != OTLP_NONE; i = g->next[i]) {
		if (i != g->head[group])
			otlp_js_raw(b, ",");
		otlp_buf_put(b, items[i].span, items[i].span_len);
	}
	otlp_js_raw(b, "]}]}");
}

int otlp_encode_assemble(struct otlp_buf *b, int json, const struct otlp_encoded *items,
			 size_t n)
{
	struct otlp_groups g;

	otlp_buf_start(b);
	if (otlp_group(&g, items, n)) {
		b->oom = 1;
		return -1;
	}
	if (json)
		otlp_js_raw(b, "{\"resourceSpans\":[");
	for (size_t k = 0; k < g.n_groups && !b->oom; k++) {
		if (json)
			js_resource_spans(b, items, &g, k);
		else
			pb_resource_spans(b, items, &g, k);
	}
	if (json)
		otlp_js_raw(b, "]}");
	otlp_groups_free(&g);
	return b->oom ? -1 : 0;
}

/* ---- A batch of whole items: each encoded, then assembled ---- */

static int encode_items(struct otlp_buf *b, int json, const struct otlp_item *items, size_t n)
{
	struct otlp_encoded *enc = n && n <= SIZE_MAX / 2 / sizeof(*enc) ? calloc(n, sizeof(*enc)) : NULL;
	struct otlp_buf bytes = { 0 };
	size_t at = 0;
	int rc = -1;

	if (n && !enc) {
		otlp_buf_start(b);
		b->oom = 1;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		enc[i].pid = items[i].resource.pid;
		enc[i].start_time = items[i].resource.start_time;
		if (otlp_encode_item(&bytes, json, &items[i].span, &items[i].resource,
				     items[i].host_name, NULL, &enc[i].span_len, &enc[i].resource_len))
			goto out;
	}
	/* the bytes moved while they grew: point into them only now */
	for (size_t i = 0; i < n; i++) {
		enc[i].span = bytes.data + at;
		enc[i].resource = enc[i].span + enc[i].span_len;
		at += (size_t)enc[i].span_len + enc[i].resource_len;
	}
	rc = otlp_encode_assemble(b, json, enc, n);
out:
	if (rc) {
		otlp_buf_start(b);
		b->oom = 1;
	}
	otlp_buf_free(&bytes);
	free(enc);
	return rc;
}

int otlp_encode_proto(struct otlp_buf *b, const struct otlp_item *items, size_t n)
{
	return encode_items(b, 0, items, n);
}

int otlp_encode_json(struct otlp_buf *b, const struct otlp_item *items, size_t n)
{
	return encode_items(b, 1, items, n);
}
