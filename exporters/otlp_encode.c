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
 * Choices the header leaves to the implementation:
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

#include "json.h"
#include "span_format.h"
#include "utf8.h"

#ifndef ZT_VERSION
#error "ZT_VERSION is set by the Makefile"
#endif

#define OTLP_BUF_MIN 4096
/* W3C sampled; the remote bits (0x100, 0x200) are left "unknown". */
#define OTLP_SPAN_FLAGS 0x01u

enum pb_wire {
	PB_VARINT = 0,
	PB_I64 = 1,
	PB_LEN = 2,
	PB_I32 = 5,
};

/* OTLP Span.SpanKind and Status.StatusCode values. */
enum {
	OTLP_KIND_UNSPECIFIED = 0,
	OTLP_KIND_SERVER = 2,
	OTLP_KIND_CLIENT = 3,
};

/* ---- The attribute lists, shared by both encoders ---- */

struct otlp_attr {
	const char *key;
	size_t key_len;
	const char *str; /* NULL for an int_value */
	size_t str_len;
	int64_t num;
};

/* The span's own attributes, then thread.id. */
#define OTLP_SPAN_ATTRS_MAX (SPAN_ATTRS_MAX + 1)
/* 8 the agent sets, then the process's own. */
#define OTLP_RES_ATTRS_MAX (8 + PROCINFO_ATTRS_MAX)

/* Length of a string in a fixed array, even one with no NUL. */
#define OTLP_FLEN(arr) strnlen((arr), sizeof(arr))

static void attr_str(struct otlp_attr *a, size_t *n, const char *key, const char *s,
		     size_t len)
{
	a[*n] = (struct otlp_attr){ .key = key, .key_len = strlen(key), .str = s, .str_len = len };
	(*n)++;
}

static void attr_int(struct otlp_attr *a, size_t *n, const char *key, uint64_t v)
{
	a[*n] = (struct otlp_attr){ .key = key,
				    .key_len = strlen(key),
				    .num = v > INT64_MAX ? INT64_MAX : (int64_t)v };
	(*n)++;
}

/* The protocol's list as the JSON lines print it, minus process.pid and
 * process.executable.name (resource attributes here), plus thread.id. */
static size_t otlp_span_attrs(const struct span *s, struct otlp_attr *a)
{
	const struct span_attrs *l = &s->attrs;
	size_t n = 0;

	for (uint16_t i = 0; i < l->n && i < SPAN_ATTRS_MAX; i++) {
		const struct span_attr *sa = &l->a[i];
		size_t len;
		const char *v;

		if (sa->type == SPAN_ATTR_INT) {
			a[n++] = (struct otlp_attr){ .key = sa->key, .key_len = strlen(sa->key),
						     .num = sa->num };
		} else {
			v = span_attr_str(l, sa, &len);
			attr_str(a, &n, sa->key, v, len);
		}
	}
	attr_int(a, &n, "thread.id", s->tid);
	return n;
}

static int attr_key_taken(const struct otlp_attr *a, size_t n, const char *key, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].key_len == len && !memcmp(a[i].key, key, len))
			return 1;
	return 0;
}

static size_t otlp_resource_attrs(const struct otlp_item *it, struct otlp_attr *a)
{
	const struct procinfo *r = &it->resource;
	const char *svc = r->service_name, *exe = r->exe_name;
	size_t n = 0, len, svc_len = OTLP_FLEN(r->service_name);
	size_t exe_len = OTLP_FLEN(r->exe_name);
	uint32_t n_extra = r->n_attrs < PROCINFO_ATTRS_MAX ? r->n_attrs : PROCINFO_ATTRS_MAX;

	/* The span's own copies stand in when the process was gone too soon. */
	if (!svc_len) {
		svc = it->span.service_name;
		svc_len = OTLP_FLEN(it->span.service_name);
	}
	if (!exe_len) {
		exe = it->span.exe_name;
		exe_len = OTLP_FLEN(it->span.exe_name);
	}
	attr_str(a, &n, "service.name", svc, svc_len);
	attr_int(a, &n, "process.pid", r->pid);
	if (exe_len)
		attr_str(a, &n, "process.executable.name", exe, exe_len);
	if ((len = OTLP_FLEN(r->exe_path)))
		attr_str(a, &n, "process.executable.path", r->exe_path, len);
	if ((len = OTLP_FLEN(it->host_name)))
		attr_str(a, &n, "host.name", it->host_name, len);
	if ((len = OTLP_FLEN(r->container_id)))
		attr_str(a, &n, "container.id", r->container_id, len);
	if ((len = OTLP_FLEN(r->k8s_pod_name)))
		attr_str(a, &n, "k8s.pod.name", r->k8s_pod_name, len);
	if ((len = OTLP_FLEN(r->k8s_namespace)))
		attr_str(a, &n, "k8s.namespace.name", r->k8s_namespace, len);
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

/* ---- The output buffer ---- */

void otlp_buf_free(struct otlp_buf *b)
{
	free(b->data);
	*b = (struct otlp_buf){ 0 };
}

/* Room for n more bytes, or oom (sticky: every later write is a no-op). */
static int buf_reserve(struct otlp_buf *b, size_t n)
{
	size_t need, cap;
	uint8_t *p;

	if (b->oom)
		return -1;
	if (n <= b->cap - b->len)
		return 0;
	if (n > SIZE_MAX - b->len)
		goto fail;
	need = b->len + n;
	cap = b->cap ? b->cap : OTLP_BUF_MIN;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		goto fail;
	b->data = p;
	b->cap = cap;
	return 0;
fail:
	b->oom = 1;
	return -1;
}

static void buf_put(struct otlp_buf *b, const void *p, size_t n)
{
	if (!n || buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void buf_start(struct otlp_buf *b)
{
	b->len = 0;
	b->oom = 0;
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

static int same_process(const struct otlp_item *a, const struct otlp_item *b)
{
	return a->resource.pid == b->resource.pid &&
	       a->resource.start_time == b->resource.start_time;
}

static uint64_t process_hash(const struct otlp_item *it)
{
	uint64_t h = it->resource.start_time * 0x9e3779b97f4a7c15ULL ^ it->resource.pid;

	/* splitmix64 finaliser: pids and start times are both small and dense */
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static int otlp_group(struct otlp_groups *g, const struct otlp_item *items, size_t n)
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

/* ---- Protobuf ---- */

static size_t pb_varint_write(uint8_t out[10], uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

static void pb_varint(struct otlp_buf *b, uint64_t v)
{
	uint8_t tmp[10];

	buf_put(b, tmp, pb_varint_write(tmp, v));
}

static void pb_tag(struct otlp_buf *b, uint32_t field, enum pb_wire wt)
{
	pb_varint(b, (uint64_t)field << 3 | wt);
}

static void pb_fixed64(struct otlp_buf *b, uint32_t field, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	pb_tag(b, field, PB_I64);
	buf_put(b, le, sizeof(le));
}

static void pb_fixed32(struct otlp_buf *b, uint32_t field, uint32_t v)
{
	uint8_t le[4];

	for (int i = 0; i < 4; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	pb_tag(b, field, PB_I32);
	buf_put(b, le, sizeof(le));
}

static void pb_uint(struct otlp_buf *b, uint32_t field, uint64_t v)
{
	pb_tag(b, field, PB_VARINT);
	pb_varint(b, v);
}

/* Opens a length-delimited field with one byte reserved for the length;
 * returns where the body starts. */
static size_t pb_open(struct otlp_buf *b, uint32_t field)
{
	pb_tag(b, field, PB_LEN);
	buf_put(b, "", 1);
	return b->len;
}

/* Writes the body's length before it, moving the body when the length
 * needs more than the one byte reserved. */
static void pb_close(struct otlp_buf *b, size_t body_start)
{
	uint8_t tmp[10];
	size_t body, n;

	if (b->oom)
		return;
	body = b->len - body_start;
	n = pb_varint_write(tmp, body);
	if (n > 1) {
		if (buf_reserve(b, n - 1))
			return;
		memmove(b->data + body_start + n - 1, b->data + body_start, body);
		b->len += n - 1;
	}
	memcpy(b->data + body_start - 1, tmp, n);
}

static void pb_bytes(struct otlp_buf *b, uint32_t field, const void *p, size_t n)
{
	pb_tag(b, field, PB_LEN);
	pb_varint(b, n);
	buf_put(b, p, n);
}

/* A string field: valid UTF-8 copied in runs, each bad byte as U+FFFD. */
static void pb_string(struct otlp_buf *b, uint32_t field, const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t at = pb_open(b, field), i = 0, run = 0, len;

	while (i + run < n) {
		len = utf8_char_len(s + i + run, n - i - run);
		if (len) {
			run += len;
			continue;
		}
		buf_put(b, s + i, run);
		buf_put(b, "\xef\xbf\xbd", 3);
		i += run + 1;
		run = 0;
	}
	buf_put(b, s + i, run);
	pb_close(b, at);
}

static void pb_keyvalue(struct otlp_buf *b, uint32_t field, const struct otlp_attr *a)
{
	size_t kv = pb_open(b, field), val;

	pb_string(b, 1, a->key, a->key_len);
	val = pb_open(b, 2);
	if (a->str)
		pb_string(b, 1, a->str, a->str_len);
	else
		pb_uint(b, 3, (uint64_t)a->num); /* int64: two's complement varint */
	pb_close(b, val);
	pb_close(b, kv);
}

static void pb_span(struct otlp_buf *b, const struct span *s)
{
	struct otlp_attr attrs[OTLP_SPAN_ATTRS_MAX];
	size_t at = pb_open(b, 2), n_attrs = otlp_span_attrs(s, attrs), st, len;

	pb_bytes(b, 1, s->trace_id, sizeof(s->trace_id));
	pb_bytes(b, 2, s->span_id, sizeof(s->span_id));
	if ((len = OTLP_FLEN(s->tracestate)))
		pb_string(b, 3, s->tracestate, len);
	if (otlp_has_parent(s))
		pb_bytes(b, 4, s->parent_span_id, sizeof(s->parent_span_id));
	pb_string(b, 5, s->name, OTLP_FLEN(s->name));
	if (otlp_kind(s) != OTLP_KIND_UNSPECIFIED)
		pb_uint(b, 6, (uint64_t)otlp_kind(s));
	pb_fixed64(b, 7, s->start_unix_ns);
	pb_fixed64(b, 8, s->end_unix_ns);
	for (size_t i = 0; i < n_attrs; i++)
		pb_keyvalue(b, 9, &attrs[i]);
	if (s->status != SPAN_STATUS_UNSET) {
		st = pb_open(b, 15);
		pb_string(b, 2, s->status_message, OTLP_FLEN(s->status_message));
		pb_uint(b, 3, s->status);
		pb_close(b, st);
	}
	pb_fixed32(b, 16, OTLP_SPAN_FLAGS);
	pb_close(b, at);
}

static void pb_resource_spans(struct otlp_buf *b, const struct otlp_item *items,
			      const struct otlp_groups *g, size_t group)
{
	struct otlp_attr attrs[OTLP_RES_ATTRS_MAX];
	const struct otlp_item *first = &items[g->head[group]];
	size_t n_attrs = otlp_resource_attrs(first, attrs);
	size_t rs = pb_open(b, 1), res, ss, scope;

	res = pb_open(b, 1);
	for (size_t i = 0; i < n_attrs; i++)
		pb_keyvalue(b, 1, &attrs[i]);
	pb_close(b, res);

	ss = pb_open(b, 2);
	scope = pb_open(b, 1);
	pb_string(b, 1, OTLP_SCOPE_NAME, strlen(OTLP_SCOPE_NAME));
	pb_string(b, 2, ZT_VERSION, strlen(ZT_VERSION));
	pb_close(b, scope);
	for (size_t i = g->head[group]; i != OTLP_NONE; i = g->next[i])
		pb_span(b, &items[i].span);
	pb_close(b, ss);
	pb_close(b, rs);
}

int otlp_encode_proto(struct otlp_buf *b, const struct otlp_item *items, size_t n)
{
	struct otlp_groups g;

	buf_start(b);
	if (otlp_group(&g, items, n)) {
		b->oom = 1;
		return -1;
	}
	for (size_t k = 0; k < g.n_groups && !b->oom; k++)
		pb_resource_spans(b, items, &g, k);
	otlp_groups_free(&g);
	return b->oom ? -1 : 0;
}

/* ---- OTLP/JSON ---- */

static void js_raw(struct otlp_buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

/* A JSON string through json_put_string (same escaping and U+FFFD rule as
 * the JSON-lines output), written straight into the buffer: 6 bytes per
 * input byte at worst (\u00XX, \ufffd), the quotes and json.c's NUL. */
static void js_str(struct otlp_buf *b, const char *s, size_t n)
{
	struct json_buf jb;

	if (n > (SIZE_MAX - 3) / 6) {
		b->oom = 1;
		return;
	}
	if (buf_reserve(b, 6 * n + 3))
		return;
	json_buf_init(&jb, (char *)b->data + b->len, b->cap - b->len);
	json_put_string(&jb, (const uint8_t *)s, n);
	b->len += jb.len;
}

static void js_cstr(struct otlp_buf *b, const char *s)
{
	js_str(b, s, strlen(s));
}

/* Decimal digits, bare (for numbers) or quoted (64-bit integers). */
static void js_u64(struct otlp_buf *b, uint64_t v, int quoted)
{
	char tmp[22], *p = tmp + sizeof(tmp);

	if (quoted)
		*--p = '"';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (quoted)
		*--p = '"';
	buf_put(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* An int64 as a quoted decimal (proto3 JSON). */
static void js_i64(struct otlp_buf *b, int64_t v)
{
	if (v >= 0) {
		js_u64(b, (uint64_t)v, 1);
		return;
	}
	js_raw(b, "\"-");
	js_u64(b, (uint64_t)0 - (uint64_t)v, 0);
	js_raw(b, "\"");
}

static void js_hex(struct otlp_buf *b, const char *key, const uint8_t *id, size_t n)
{
	char hex[33];

	span_hex(hex, id, n);
	js_raw(b, key);
	buf_put(b, "\"", 1);
	js_raw(b, hex);
	buf_put(b, "\"", 1);
}

static void js_attrs(struct otlp_buf *b, const struct otlp_attr *a, size_t n)
{
	js_raw(b, "\"attributes\":[");
	for (size_t i = 0; i < n; i++) {
		js_raw(b, i ? ",{\"key\":" : "{\"key\":");
		js_str(b, a[i].key, a[i].key_len);
		if (a[i].str) {
			js_raw(b, ",\"value\":{\"stringValue\":");
			js_str(b, a[i].str, a[i].str_len);
		} else {
			/* int64 as a decimal string (proto3 JSON) */
			js_raw(b, ",\"value\":{\"intValue\":");
			js_i64(b, a[i].num);
		}
		js_raw(b, "}}");
	}
	js_raw(b, "]");
}

static void js_span(struct otlp_buf *b, const struct span *s)
{
	struct otlp_attr attrs[OTLP_SPAN_ATTRS_MAX];
	size_t n_attrs = otlp_span_attrs(s, attrs), len;

	js_hex(b, "{\"traceId\":", s->trace_id, sizeof(s->trace_id));
	js_hex(b, ",\"spanId\":", s->span_id, sizeof(s->span_id));
	if ((len = OTLP_FLEN(s->tracestate))) {
		js_raw(b, ",\"traceState\":");
		js_str(b, s->tracestate, len);
	}
	if (otlp_has_parent(s))
		js_hex(b, ",\"parentSpanId\":", s->parent_span_id, sizeof(s->parent_span_id));
	js_raw(b, ",\"name\":");
	js_str(b, s->name, OTLP_FLEN(s->name));
	if (otlp_kind(s) != OTLP_KIND_UNSPECIFIED) {
		js_raw(b, ",\"kind\":");
		js_u64(b, (uint64_t)otlp_kind(s), 0);
	}
	js_raw(b, ",\"startTimeUnixNano\":");
	js_u64(b, s->start_unix_ns, 1);
	js_raw(b, ",\"endTimeUnixNano\":");
	js_u64(b, s->end_unix_ns, 1);
	js_raw(b, ",");
	js_attrs(b, attrs, n_attrs);
	if (s->status != SPAN_STATUS_UNSET) {
		js_raw(b, ",\"status\":{\"code\":");
		js_u64(b, s->status, 0);
		js_raw(b, ",\"message\":");
		js_str(b, s->status_message, OTLP_FLEN(s->status_message));
		js_raw(b, "}");
	}
	js_raw(b, ",\"flags\":");
	js_u64(b, OTLP_SPAN_FLAGS, 0);
	js_raw(b, "}");
}

static void js_resource_spans(struct otlp_buf *b, const struct otlp_item *items,
			      const struct otlp_groups *g, size_t group)
{
	struct otlp_attr attrs[OTLP_RES_ATTRS_MAX];
	size_t n_attrs = otlp_resource_attrs(&items[g->head[group]], attrs);

	js_raw(b, group ? ",{\"resource\":{" : "{\"resource\":{");
	js_attrs(b, attrs, n_attrs);
	js_raw(b, "},\"scopeSpans\":[{\"scope\":{\"name\":");
	js_cstr(b, OTLP_SCOPE_NAME);
	js_raw(b, ",\"version\":");
	js_cstr(b, ZT_VERSION);
	js_raw(b, "},\"spans\":[");
	for (size_t i = g->head[group]; i != OTLP_NONE; i = g->next[i]) {
		if (i != g->head[group])
			js_raw(b, ",");
		js_span(b, &items[i].span);
	}
	js_raw(b, "]}]}");
}

int otlp_encode_json(struct otlp_buf *b, const struct otlp_item *items, size_t n)
{
	struct otlp_groups g;

	buf_start(b);
	if (otlp_group(&g, items, n)) {
		b->oom = 1;
		return -1;
	}
	js_raw(b, "{\"resourceSpans\":[");
	for (size_t k = 0; k < g.n_groups && !b->oom; k++)
		js_resource_spans(b, items, &g, k);
	js_raw(b, "]}");
	otlp_groups_free(&g);
	return b->oom ? -1 : 0;
}
