// SPDX-License-Identifier: MIT
/*
 * Fuzzes the OTLP encoders (exporters/otlp_encode.c) with batches built from
 * the input: up to 24 items whose pids and start times come from tiny
 * alphabets (so processes share, and reuse, pids), kinds and HTTP statuses
 * including impossible ones (the span built as the agent builds it:
 * span_fixture.h), span statuses and messages set raw, attribute lists
 * extended by a protocol's own attributes (negative ints, strings holding
 * NULs, a full list) or emptied, counts past the arrays, and every string
 * taken raw from the input (invalid UTF-8, control bytes, quotes).
 *
 * Checks, for every input, with the output buffers reused across inputs:
 * - protobuf: a generic wire-format walker (tags, varints, every length,
 *   driven by the OTLP field numbers) accepts it, every string is strict
 *   UTF-8, ids are 16/8 bytes; one ResourceSpans per (pid, start_time) in
 *   first-seen order, each span in it in input order (span ids carry the
 *   item index), with its trace id, a Status exactly when the span's status
 *   is not UNSET, with that code and (valid UTF-8) that message, and its
 *   attribute list in order then thread.id, keys and values as in the span
 *   (int64 as they are, valid UTF-8 strings byte for byte);
 * - JSON: one complete, strictly valid JSON value (balanced, strings with
 *   valid escapes and strict UTF-8, no raw control bytes) with one "spanId"
 *   key per item and one "resource" key per process;
 * - Zipkin (exporters/zipkin_encode.c), each item encoded alone and the
 *   body assembled from them as the exporter's queue does: one strictly
 *   valid JSON array with one "localEndpoint" key per item and no OTLP key.
 *
 * Then the log encoders (exporters/otlp_logs_encode.c) with a batch of up
 * to 12 log records from the same input: mostly log lines (OTLP_LOG_APP,
 * made by otlp_log_item_set_app as the exporter makes them) whose bodies
 * are any bytes up to LOG_BODY_MAX, with any severity, stream, flags,
 * severity text and comm (NUL or not), of a few processes (tiny pid and
 * generation alphabets, so runs form and break) or of none; now and then
 * an alert or a note between them, and a body_len past LOG_BODY_MAX set
 * behind set_app's back. Checks:
 * - protobuf: the walker with the logs schema accepts it (strict UTF-8,
 *   16/8-byte ids); the agent's ResourceLogs first when there is an alert
 *   or a note, then one per run of a process's lines; each line's
 *   LogRecord field by field (times, severity and its text only when set,
 *   flags 1 exactly when in a sampled trace, ids exactly when in a trace,
 *   no event_name, the body byte for byte when it is valid UTF-8, the
 *   stream's attribute, thread.id, truncated only when cut);
 * - JSON: one strictly valid JSON value with one "resource" key per group,
 *   one "body" key per record and one "spanId" per record in a trace;
 * - both: no longer than the records' otlp_log_item_size_max allow, and
 *   the same bytes from items copied with otlp_log_item_copy.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_encode.h"
#include "otlp_logs_encode.h"
#include "zipkin_encode.h"
#include "../unit/span_fixture.h"
#include "fuzz_check.h"

#define FZ_ITEMS_MAX 24
#define FZ_LOGS_MAX 12

/* The input decoding and the checkers stay out of the coverage map: only
 * the encoder's edges should steer the fuzzer (ASan/UBSan still instrument
 * them). */
#define CHECKER __attribute__((no_sanitize("coverage")))

/* ---- Building items from the input ---- */

/* Reads the input round and round, so that even a short input fills a whole
 * batch, with different bytes landing in each field of each item. */
struct cursor {
	const uint8_t *p;
	size_t n, i;
};

CHECKER static uint8_t take8(struct cursor *c)
{
	return c->n ? c->p[c->i++ % c->n] : 0;
}

CHECKER static uint64_t take_n(struct cursor *c, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | take8(c);
	return v;
}

/* A length byte, then that many bytes (NUL-terminated, may hold NULs). */
CHECKER static void take_str(struct cursor *c, char *dst, size_t cap)
{
	size_t len = take8(c);

	if (len > cap - 1)
		len = cap - 1;
	for (size_t i = 0, k; i < len && c->n; i += k) {
		c->i %= c->n;
		k = c->n - c->i < len - i ? c->n - c->i : len - i;
		memcpy(dst + i, c->p + c->i, k);
		c->i += k;
	}
	dst[len] = '\0'; /* len is 0 for an empty input */
}

#define TAKE_STR(c, arr) take_str((c), (arr), sizeof(arr))

/* Keys a protocol might add (literals, as modules use). */
static const char *const extra_keys[] = { "db.system.name", "db.response.returned_rows",
					  "url.path", "x", "messaging.batch.message_count" };

CHECKER static void build_item(struct cursor *c, struct otlp_item *it, size_t index)
{
	static const uint32_t pids[4] = { 0, 1, 4242, UINT32_MAX };
	static char method[24], path[512], query[512], route[256], val[256];
	struct span *s = &it->span;
	struct procinfo *r = &it->resource;
	uint8_t sel = take8(c), bits = take8(c), more = take8(c);
	struct http_fields f = { 0 };

	memset(it, 0, sizeof(*it));
	r->pid = pids[sel & 3];
	r->start_time = (sel >> 2) & 1 ? 7 : UINT64_MAX;
	s->kind = (uint8_t)((sel >> 3) & 3); /* 0 and 3 are not kinds */
	s->has_parent = (bits >> 1) & 1;
	f.query = (bits >> 2) & 1 ? query : NULL;
	f.version_minor = (bits >> 3) & 1;
	f.status = (uint16_t)take_n(c, 2);
	if (!(bits & 1))
		f.status = 0; /* no status line seen */
	for (size_t i = 0; i < sizeof(s->trace_id); i++)
		s->trace_id[i] = take8(c);
	for (size_t i = 0; i < sizeof(s->span_id); i++)
		s->span_id[i] = (uint8_t)(index >> (8 * i)); /* tells the order */
	for (size_t i = 0; i < sizeof(s->parent_span_id); i++)
		s->parent_span_id[i] = (bits >> 4) & 1 ? 0 : take8(c);
	s->start_unix_ns = take_n(c, 8);
	s->end_unix_ns = take_n(c, 8);
	f.req_body = take_n(c, 8);
	f.resp_body = (bits >> 5) & 1 ? UINT64_MAX : take_n(c, 2);
	s->pid = (uint32_t)take_n(c, 4);
	s->tid = (uint32_t)take_n(c, 4);
	s->server.port = (uint16_t)take_n(c, 2);
	TAKE_STR(c, method);
	TAKE_STR(c, path);
	TAKE_STR(c, query);
	TAKE_STR(c, route);
	f.method = method;
	f.path = path;
	f.route = route[0] || !(more & 8) ? route : NULL;
	TAKE_STR(c, s->server.address);
	TAKE_STR(c, s->client.address);
	TAKE_STR(c, s->peer.address);
	span_fixture_http(s, &f);
	/* a status and message as any protocol may set them */
	if (more & 1) {
		s->status = take8(c);
		TAKE_STR(c, s->status_message);
	}
	/* a protocol's own attributes: after HTTP's, or alone, up to past full */
	if (more & 2)
		s->attrs.n = s->attrs.text_len = 0;
	if (more & 4) {
		size_t n = take8(c) % (SPAN_ATTRS_MAX + 4);

		for (size_t i = 0; i < n; i++) {
			uint8_t how = take8(c);
			const char *key = extra_keys[how % (sizeof(extra_keys) / sizeof(extra_keys[0]))];

			if (how & 0x80) {
				span_attrs_int(&s->attrs, key, (int64_t)take_n(c, 8));
			} else {
				size_t len = take8(c) % sizeof(val);

				for (size_t k = 0; k < len; k++)
					val[k] = (char)take8(c); /* NULs too */
				span_attrs_str(&s->attrs, key, val, len);
			}
		}
	}
	if (more & 16) {
		TAKE_STR(c, s->name);
		TAKE_STR(c, s->code);
	}
	if (more & 32) { /* no NUL: read within the field only */
		memset(s->name, 'n', sizeof(s->name));
		memset(s->status_message, 'm', sizeof(s->status_message));
	}
	TAKE_STR(c, s->tracestate);
	TAKE_STR(c, s->exe_name);
	TAKE_STR(c, s->service_name);
	TAKE_STR(c, r->exe_name);
	TAKE_STR(c, r->exe_path);
	TAKE_STR(c, r->service_name);
	TAKE_STR(c, r->container_id);
	TAKE_STR(c, r->k8s_pod_name);
	TAKE_STR(c, r->k8s_namespace);
	TAKE_STR(c, it->host_name);
	r->n_attrs = take8(c); /* may exceed PROCINFO_ATTRS_MAX */
	for (uint32_t i = 0; i < r->n_attrs && i < PROCINFO_ATTRS_MAX; i++) {
		TAKE_STR(c, r->attrs[i].key);
		TAKE_STR(c, r->attrs[i].value);
	}
}

/* ---- A generic protobuf wire-format walker (as in the unit test) ---- */

struct slice {
	const uint8_t *p;
	size_t n;
};

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

CHECKER static int rd_varint(struct slice *m, uint64_t *v)
{
	*v = 0;
	for (unsigned int i = 0; i < 10; i++) {
		if (!m->n)
			return -1;
		uint8_t c = *m->p++;

		m->n--;
		if (i == 9 && c > 1)
			return -1;
		*v |= (uint64_t)(c & 0x7f) << (7 * i);
		if (!(c & 0x80))
			return 0;
	}
	return -1;
}

/* One field off the front: 1, 0 at the end, -1 malformed. */
CHECKER static int rd_field(struct slice *m, uint32_t *field, int *wt, uint64_t *num,
			    struct slice *val)
{
	uint64_t tag, len;

	if (!m->n)
		return 0;
	if (rd_varint(m, &tag) || tag >> 3 == 0 || tag >> 3 > 0x1fffffff)
		return -1;
	*field = (uint32_t)(tag >> 3);
	*wt = (int)(tag & 7);
	*num = 0;
	*val = (struct slice){ m->p, 0 };
	switch (*wt) {
	case WT_VARINT:
		return rd_varint(m, num) ? -1 : 1;
	case WT_I64:
	case WT_I32:
		len = *wt == WT_I64 ? 8 : 4;
		if (m->n < len)
			return -1;
		for (unsigned int i = 0; i < len; i++)
			*num |= (uint64_t)m->p[i] << (8 * i);
		break;
	case WT_LEN:
		if (rd_varint(m, &len) || len > m->n)
			return -1;
		*val = (struct slice){ m->p, (size_t)len };
		break;
	default:
		return -1;
	}
	m->p += len;
	m->n -= len;
	return 1;
}

enum msg { M_REQ, M_RS, M_RES, M_SS, M_SCOPE, M_SPAN, M_KV, M_ANY, M_STATUS,
	   M_LREQ, M_RL, M_SL, M_LR };
enum val { V_MSG, V_STRING, V_BYTES, V_ID16, V_ID8, V_VARINT, V_I64, V_I32 };

struct rule {
	uint8_t msg;
	uint32_t field;
	uint8_t val;
	uint8_t child;
	uint8_t repeated;
};

/* Field numbers from opentelemetry-proto. */
static const struct rule schema[] = {
	{ M_REQ, 1, V_MSG, M_RS, 1 },     { M_RS, 1, V_MSG, M_RES, 0 },
	{ M_RS, 2, V_MSG, M_SS, 1 },      { M_RS, 3, V_STRING, 0, 0 },
	{ M_RES, 1, V_MSG, M_KV, 1 },     { M_RES, 2, V_VARINT, 0, 0 },
	{ M_SS, 1, V_MSG, M_SCOPE, 0 },   { M_SS, 2, V_MSG, M_SPAN, 1 },
	{ M_SS, 3, V_STRING, 0, 0 },      { M_SCOPE, 1, V_STRING, 0, 0 },
	{ M_SCOPE, 2, V_STRING, 0, 0 },   { M_SCOPE, 3, V_MSG, M_KV, 1 },
	{ M_SPAN, 1, V_ID16, 0, 0 },      { M_SPAN, 2, V_ID8, 0, 0 },
	{ M_SPAN, 3, V_STRING, 0, 0 },    { M_SPAN, 4, V_ID8, 0, 0 },
	{ M_SPAN, 5, V_STRING, 0, 0 },    { M_SPAN, 6, V_VARINT, 0, 0 },
	{ M_SPAN, 7, V_I64, 0, 0 },       { M_SPAN, 8, V_I64, 0, 0 },
	{ M_SPAN, 9, V_MSG, M_KV, 1 },    { M_SPAN, 10, V_VARINT, 0, 0 },
	{ M_SPAN, 15, V_MSG, M_STATUS, 0 }, { M_SPAN, 16, V_I32, 0, 0 },
	{ M_KV, 1, V_STRING, 0, 0 },      { M_KV, 2, V_MSG, M_ANY, 0 },
	{ M_ANY, 1, V_STRING, 0, 0 },     { M_ANY, 2, V_VARINT, 0, 0 },
	{ M_ANY, 3, V_VARINT, 0, 0 },     { M_ANY, 4, V_I64, 0, 0 },
	{ M_ANY, 7, V_BYTES, 0, 0 },      { M_STATUS, 2, V_STRING, 0, 0 },
	{ M_STATUS, 3, V_VARINT, 0, 0 },
	/* logs: collector/logs/v1, logs/v1 */
	{ M_LREQ, 1, V_MSG, M_RL, 1 },    { M_RL, 1, V_MSG, M_RES, 0 },
	{ M_RL, 2, V_MSG, M_SL, 1 },      { M_RL, 3, V_STRING, 0, 0 },
	{ M_SL, 1, V_MSG, M_SCOPE, 0 },   { M_SL, 2, V_MSG, M_LR, 1 },
	{ M_SL, 3, V_STRING, 0, 0 },      { M_LR, 1, V_I64, 0, 0 },
	{ M_LR, 2, V_VARINT, 0, 0 },      { M_LR, 3, V_STRING, 0, 0 },
	{ M_LR, 5, V_MSG, M_ANY, 0 },     { M_LR, 6, V_MSG, M_KV, 1 },
	{ M_LR, 7, V_VARINT, 0, 0 },      { M_LR, 8, V_I32, 0, 0 },
	{ M_LR, 9, V_ID16, 0, 0 },        { M_LR, 10, V_ID8, 0, 0 },
	{ M_LR, 11, V_I64, 0, 0 },        { M_LR, 12, V_STRING, 0, 0 },
};

/* Strict UTF-8 by code point; returns the character's length or 0. */
CHECKER static size_t utf8_char(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	size_t len, k;
	uint32_t cp, min;

	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		len = 2, cp = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		len = 3, cp = c & 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		len = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

CHECKER static int utf8_valid(const uint8_t *s, size_t n)
{
	size_t len;

	for (size_t i = 0; i < n; i += len)
		if (!(len = utf8_char(s + i, n - i)))
			return 0;
	return 1;
}

CHECKER static const struct rule *rule_for(int msg, uint32_t field)
{
	for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
		if (schema[i].msg == msg && schema[i].field == field)
			return &schema[i];
	return NULL;
}

/* Aborts unless m is a well-formed message of type msg, all the way down. */
CHECKER static void walk(struct slice m, int msg, int depth)
{
	static const int wire_of[] = { [V_MSG] = WT_LEN,    [V_STRING] = WT_LEN,
				       [V_BYTES] = WT_LEN,  [V_ID16] = WT_LEN,
				       [V_ID8] = WT_LEN,    [V_VARINT] = WT_VARINT,
				       [V_I64] = WT_I64,    [V_I32] = WT_I32 };
	uint32_t seen = 0, field;
	struct slice val;
	uint64_t num;
	int wt, r;

	CHECK(depth <= 8);
	while ((r = rd_field(&m, &field, &wt, &num, &val)) == 1) {
		const struct rule *rl = rule_for(msg, field);

		CHECK(rl && wire_of[rl->val] == wt);
		CHECK(rl->repeated || field >= 32 || !(seen & (1u << field)));
		if (field < 32)
			seen |= 1u << field;
		CHECK(rl->val != V_ID16 || val.n == 16);
		CHECK(rl->val != V_ID8 || val.n == 8);
		CHECK(rl->val != V_STRING || utf8_valid(val.p, val.n));
		if (rl->val == V_MSG)
			walk(val, rl->child, depth + 1);
	}
	CHECK(r == 0);
}

CHECKER static int find(struct slice m, uint32_t field, size_t nth, struct slice *val,
			uint64_t *num)
{
	uint32_t f;
	uint64_t x;
	struct slice v;
	int wt;

	while (rd_field(&m, &f, &wt, &x, &v) == 1) {
		if (f == field && nth-- == 0) {
			if (val)
				*val = v;
			if (num)
				*num = x;
			return 1;
		}
	}
	return 0;
}

/* ---- A strict JSON checker (RFC 8259) ---- */

struct js {
	const uint8_t *p;
	size_t n, i;
	size_t span_ids, resources, local_endpoints, bodies;
};

CHECKER static void js_ws(struct js *j)
{
	while (j->i < j->n && strchr(" \t\r\n", j->p[j->i]) && j->p[j->i])
		j->i++;
}

CHECKER static int js_hex4(struct js *j, uint32_t *v)
{
	*v = 0;
	for (int k = 0; k < 4; k++, j->i++) {
		uint8_t c;

		if (j->i >= j->n)
			return -1;
		c = j->p[j->i];
		if (c >= '0' && c <= '9')
			*v = *v << 4 | (uint32_t)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			*v = *v << 4 | (uint32_t)((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return 0;
}

/* A string; *start and *len get its raw contents (escapes included). */
CHECKER static int js_string(struct js *j, size_t *start, size_t *len)
{
	uint32_t u, lo;
	size_t l;

	if (j->i >= j->n || j->p[j->i] != '"')
		return -1;
	*start = ++j->i;
	while (j->i < j->n) {
		uint8_t c = j->p[j->i];

		if (c == '"') {
			*len = j->i++ - *start;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			if (!(l = utf8_char(j->p + j->i, j->n - j->i)))
				return -1;
			j->i += l;
			continue;
		}
		if (++j->i >= j->n)
			return -1;
		c = j->p[j->i++];
		if (c == 'u') {
			if (js_hex4(j, &u))
				return -1;
			if (u >= 0xdc00 && u <= 0xdfff)
				return -1;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (j->i + 2 > j->n || j->p[j->i] != '\\' || j->p[j->i + 1] != 'u')
					return -1;
				j->i += 2;
				if (js_hex4(j, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return -1;
			}
		} else if (!strchr("\"\\/bfnrt", c) || !c) {
			return -1;
		}
	}
	return -1;
}

static int js_value(struct js *j, int depth);

CHECKER static int js_number(struct js *j)
{
	size_t s = j->i;

	if (j->i < j->n && j->p[j->i] == '-')
		j->i++;
	if (j->i >= j->n)
		return -1;
	if (j->p[j->i] == '0') {
		j->i++;
	} else if (j->p[j->i] >= '1' && j->p[j->i] <= '9') {
		while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9')
			j->i++;
	} else {
		return -1;
	}
	/* the encoder writes integers only */
	return j->i > s ? 0 : -1;
}

CHECKER static int js_container(struct js *j, int depth, int object)
{
	size_t ks, kl;

	j->i++;
	js_ws(j);
	if (j->i < j->n && j->p[j->i] == (object ? '}' : ']')) {
		j->i++;
		return 0;
	}
	for (;;) {
		js_ws(j);
		if (object) {
			if (js_string(j, &ks, &kl))
				return -1;
			if (kl == 6 && !memcmp(j->p + ks, "spanId", 6))
				j->span_ids++;
			if (kl == 8 && !memcmp(j->p + ks, "resource", 8))
				j->resources++;
			if (kl == 13 && !memcmp(j->p + ks, "localEndpoint", 13))
				j->local_endpoints++;
			if (kl == 4 && !memcmp(j->p + ks, "body", 4))
				j->bodies++;
			js_ws(j);
			if (j->i >= j->n || j->p[j->i++] != ':')
				return -1;
		}
		if (js_value(j, depth + 1))
			return -1;
		js_ws(j);
		if (j->i >= j->n)
			return -1;
		if (j->p[j->i] == ',') {
			j->i++;
			continue;
		}
		if (j->p[j->i] != (object ? '}' : ']'))
			return -1;
		j->i++;
		return 0;
	}
}

CHECKER static int js_value(struct js *j, int depth)
{
	size_t s, l;

	if (depth > 32)
		return -1;
	js_ws(j);
	if (j->i >= j->n)
		return -1;
	switch (j->p[j->i]) {
	case '{':
		return js_container(j, depth, 1);
	case '[':
		return js_container(j, depth, 0);
	case '"':
		return js_string(j, &s, &l);
	default:
		return js_number(j);
	}
}

/* ---- The target ---- */

CHECKER static size_t expected_order(const struct otlp_item *items, size_t n, size_t *order,
			     size_t *group_len)
{
	size_t n_groups = 0, k = 0;

	for (size_t i = 0; i < n; i++) {
		int first = 1;

		for (size_t j = 0; j < i && first; j++)
			if (items[j].resource.pid == items[i].resource.pid &&
			    items[j].resource.start_time == items[i].resource.start_time)
				first = 0;
		if (!first)
			continue;
		group_len[n_groups] = 0;
		for (size_t j = i; j < n; j++)
			if (items[j].resource.pid == items[i].resource.pid &&
			    items[j].resource.start_time == items[i].resource.start_time) {
				order[k++] = j;
				group_len[n_groups]++;
			}
		n_groups++;
	}
	return n_groups;
}

/* The span's list in order, then thread.id. */
CHECKER static void check_span_attrs(struct slice sp, const struct span *want)
{
	const struct span_attrs *l = &want->attrs;
	struct slice kv, key, any, v;
	uint64_t num;
	size_t len;
	const char *str;

	CHECK(!find(sp, 9, (size_t)l->n + 1, NULL, NULL));
	for (uint16_t i = 0; i <= l->n; i++) {
		const char *k = i < l->n ? l->a[i].key : "thread.id";

		CHECK(find(sp, 9, i, &kv, NULL));
		CHECK(find(kv, 1, 0, &key, NULL));
		CHECK(key.n == strlen(k) && !memcmp(key.p, k, key.n));
		CHECK(find(kv, 2, 0, &any, NULL));
		if (i == l->n) {
			CHECK(find(any, 3, 0, NULL, &num) && num == want->tid);
		} else if (l->a[i].type == SPAN_ATTR_INT) {
			CHECK(find(any, 3, 0, NULL, &num) && num == (uint64_t)l->a[i].num);
		} else {
			CHECK(find(any, 1, 0, &v, NULL));
			str = span_attr_str(l, &l->a[i], &len);
			if (utf8_valid((const uint8_t *)str, len))
				CHECK(v.n == len && !memcmp(v.p, str, len));
		}
	}
}

CHECKER static void check_proto(const struct otlp_buf *b, const struct otlp_item *items,
				size_t n)
{
	size_t order[FZ_ITEMS_MAX], group_len[FZ_ITEMS_MAX], k = 0;
	size_t n_groups = expected_order(items, n, order, group_len);
	struct slice req = { b->data, b->len }, rs, ss, sp, v, st, m;
	uint64_t code;

	walk(req, M_REQ, 0);
	CHECK(!find(req, 1, n_groups, NULL, NULL));
	for (size_t g = 0; g < n_groups; g++) {
		CHECK(find(req, 1, g, &rs, NULL));
		CHECK(find(rs, 1, 0, &v, NULL));       /* a resource */
		CHECK(find(rs, 2, 0, &ss, NULL));
		CHECK(!find(rs, 2, 1, NULL, NULL));    /* one scope */
		CHECK(!find(ss, 2, group_len[g], NULL, NULL));
		for (size_t s = 0; s < group_len[g]; s++, k++) {
			const struct span *want = &items[order[k]].span;
			const char *msg = want->status_message;

			CHECK(find(ss, 2, s, &sp, NULL));
			CHECK(find(sp, 2, 0, &v, NULL));
			CHECK(v.n == 8 && !memcmp(v.p, want->span_id, 8));
			CHECK(find(sp, 1, 0, &v, NULL));
			CHECK(v.n == 16 && !memcmp(v.p, want->trace_id, 16));
			CHECK(find(sp, 15, 0, &st, NULL) == (want->status != SPAN_STATUS_UNSET));
			if (want->status != SPAN_STATUS_UNSET) {
				CHECK(find(st, 3, 0, NULL, &code) && code == want->status);
				CHECK(find(st, 2, 0, &m, NULL));
				size_t ml = strnlen(msg, sizeof(want->status_message));

				if (utf8_valid((const uint8_t *)msg, ml))
					CHECK(m.n == ml && !memcmp(m.p, msg, m.n));
			}
			check_span_attrs(sp, want);
		}
	}
	CHECK(k == n);
}

CHECKER static void check_json(const struct otlp_buf *b, const struct otlp_item *items,
			       size_t n)
{
	size_t order[FZ_ITEMS_MAX], group_len[FZ_ITEMS_MAX];
	struct js j = { .p = b->data, .n = b->len };

	CHECK(b->len > 0 && b->data[0] == '{');
	CHECK(js_value(&j, 0) == 0);
	js_ws(&j);
	CHECK(j.i == j.n); /* nothing after the value */
	CHECK(j.span_ids == n);
	CHECK(j.resources == expected_order(items, n, order, group_len));
}

/* Each item alone into one buffer (as the queue holds them), then the body. */
CHECKER static void check_zipkin(const struct otlp_item *items, size_t n)
{
	static struct otlp_buf one, body;
	struct otlp_encoded enc[FZ_ITEMS_MAX];
	size_t at[FZ_ITEMS_MAX + 1];
	struct js j;

	otlp_buf_start(&one);
	for (size_t i = 0; i < n; i++) {
		at[i] = one.len;
		CHECK(zipkin_encode_span(&one, &items[i].span, &items[i].resource,
					 items[i].host_name) == 0);
	}
	at[n] = one.len;
	for (size_t i = 0; i < n; i++)
		enc[i] = (struct otlp_encoded){ .span = one.data + at[i],
						.span_len = (uint32_t)(at[i + 1] - at[i]) };
	otlp_buf_start(&body);
	CHECK(zipkin_encode_assemble(&body, enc, n) == 0 && !body.oom);
	j = (struct js){ .p = body.data, .n = body.len };
	CHECK(body.len >= 2 && body.data[0] == '[');
	CHECK(js_value(&j, 0) == 0);
	CHECK(j.i == j.n);
	CHECK(j.local_endpoints == n && j.span_ids == 0 && j.resources == 0);
}

/* ---- Log records ---- */

/* len bytes of the input, round and round (any bytes: NULs too). */
CHECKER static void take_bytes(struct cursor *c, char *dst, size_t len)
{
	for (size_t i = 0, k; i < len; i += k) {
		if (!c->n) {
			memset(dst + i, 0, len - i);
			return;
		}
		c->i %= c->n;
		k = c->n - c->i < len - i ? c->n - c->i : len - i;
		memcpy(dst + i, c->p + c->i, k);
		c->i += k;
	}
}

/* The processes lines come from: few pids and generations, so that runs
 * of one process form, break and repeat. */
CHECKER static void build_procs(struct cursor *c, struct procinfo *procs, size_t n)
{
	static const uint32_t pids[4] = { 0, 1, 4242, UINT32_MAX };

	for (size_t i = 0; i < n; i++) {
		struct procinfo *p = &procs[i];
		uint8_t sel = take8(c);

		memset(p, 0, sizeof(*p));
		p->pid = pids[sel & 3];
		p->generation = (sel >> 2) & 1;
		p->start_time = (sel >> 3) & 1 ? 7 : UINT64_MAX;
		take_bytes(c, p->comm, sizeof(p->comm)); /* NUL or not */
		TAKE_STR(c, p->exe_name);
		TAKE_STR(c, p->exe_path);
		TAKE_STR(c, p->service_name);
		TAKE_STR(c, p->container_id);
		TAKE_STR(c, p->k8s_pod_name);
		TAKE_STR(c, p->k8s_namespace);
		p->n_attrs = take8(c) % (PROCINFO_ATTRS_MAX + 3); /* may exceed the array */
		for (uint32_t k = 0; k < p->n_attrs && k < PROCINFO_ATTRS_MAX; k++) {
			TAKE_STR(c, p->attrs[k].key);
			TAKE_STR(c, p->attrs[k].value);
		}
	}
}

CHECKER static void build_log(struct cursor *c, struct otlp_log_item *it,
			      const struct procinfo *procs, size_t n_procs)
{
	static struct log_record r;
	uint8_t sel = take8(c), bits = take8(c);
	size_t len;

	memset(it, 0, sizeof(*it));
	if ((sel & 7) == 6) {
		it->kind = OTLP_LOG_ALERT;
		it->alert.time_unix_ns = take_n(c, 8);
		it->alert.rule = take8(c);
		it->alert.severity = take8(c);
		it->alert.has_trace = bits & 1;
		take_bytes(c, (char *)it->alert.trace_id, 16);
		take_bytes(c, (char *)it->alert.span_id, 8);
		TAKE_STR(c, it->alert.reason);
		TAKE_STR(c, it->alert.src.service);
		it->observed_unix_ns = take_n(c, 8);
		return;
	}
	if ((sel & 7) == 7) {
		it->kind = OTLP_LOG_NOTE;
		it->note.severity = take8(c);
		TAKE_STR(c, it->note.name);
		TAKE_STR(c, it->note.message);
		alert_note_param(&it->note, "k", it->note.name);
		return;
	}
	memset(&r, 0, offsetof(struct log_record, body));
	r.time_unix_ns = take_n(c, 8);
	take_bytes(c, (char *)r.trace_id, 16);
	take_bytes(c, (char *)r.span_id, 8);
	r.has_trace = bits & 1;
	r.sampled = (bits >> 1) & 1;
	r.cut = (bits >> 2) & 1;
	r.stream = (uint8_t)((bits >> 3) % 5); /* 0 and 4 are not streams */
	r.severity_number = take8(c);
	if ((bits >> 6) & 1)
		take_bytes(c, r.severity_text, sizeof(r.severity_text)); /* maybe no NUL */
	else
		TAKE_STR(c, r.severity_text);
	r.pid = (uint32_t)take_n(c, 4);
	r.tid = (uint32_t)take_n(c, 4);
	r.fd = (int32_t)take_n(c, 4);
	take_bytes(c, r.comm, sizeof(r.comm));
	/* mostly short (long bodies are slow to escape), now and then up to
	 * or at LOG_BODY_MAX */
	switch ((sel >> 3) & 3) {
	case 2:
		len = take_n(c, 2) % (LOG_BODY_MAX + 1);
		break;
	case 3:
		len = LOG_BODY_MAX;
		break;
	default:
		len = take8(c);
	}
	take_bytes(c, r.body, len);
	r.body_len = (uint32_t)len;
	if (((sel >> 5) & 3) == 3)
		r.body_len = UINT32_MAX - (uint32_t)len; /* past the array: clamped */
	r.process = n_procs && !(sel >> 7) ? &procs[take8(c) % n_procs] : NULL;
	otlp_log_item_set_app(it, &r, take_n(c, 8));
	if ((bits >> 7) & (sel >> 5) & 1)
		it->app.rec.body_len = UINT32_MAX; /* behind set_app's back */
}

CHECKER static int same_proc(const struct otlp_log_item *a, const struct otlp_log_item *b)
{
	const struct procinfo *p = &a->app.resource, *q = &b->app.resource;

	return p->pid == q->pid && p->start_time == q->start_time &&
	       p->generation == q->generation && !memcmp(p->comm, q->comm, sizeof(p->comm));
}

/* Expected ResourceLogs: [0] the agent's when any alert or note, then one
 * per run; first[g] is the group's first item (SIZE_MAX: the agent's). */
CHECKER static size_t log_groups(const struct otlp_log_item *items, size_t n, size_t *first,
				 size_t *len)
{
	size_t g = 0, agent = 0, last = SIZE_MAX;

	for (size_t i = 0; i < n; i++)
		agent += items[i].kind != OTLP_LOG_APP;
	if (agent) {
		first[g] = SIZE_MAX;
		len[g++] = agent;
	}
	for (size_t i = 0; i < n; i++) {
		if (items[i].kind != OTLP_LOG_APP)
			continue;
		if (last != SIZE_MAX && same_proc(&items[last], &items[i])) {
			len[g - 1]++;
		} else {
			first[g] = i;
			len[g++] = 1;
		}
		last = i;
	}
	return g;
}

CHECKER static int attr_is(struct slice rec, const char *key, int str, const char *sval,
			   uint64_t ival)
{
	struct slice kv, k, any, v;
	uint64_t num;

	for (size_t i = 0; find(rec, 6, i, &kv, NULL); i++) {
		if (!find(kv, 1, 0, &k, NULL) || k.n != strlen(key) || memcmp(k.p, key, k.n))
			continue;
		CHECK(find(kv, 2, 0, &any, NULL));
		if (str)
			return find(any, 1, 0, &v, NULL) && v.n == strlen(sval) &&
			       !memcmp(v.p, sval, v.n);
		return find(any, 3, 0, NULL, &num) && num == ival;
	}
	return 0;
}

CHECKER static void check_app_record(struct slice rec, const struct otlp_log_item *it)
{
	const struct log_record *r = &it->app.rec;
	size_t blen = r->body_len < LOG_BODY_MAX ? r->body_len : LOG_BODY_MAX;
	size_t slen = strnlen(r->severity_text, sizeof(r->severity_text)), n_attrs = 2;
	struct slice v, any;
	uint64_t num;

	CHECK(find(rec, 1, 0, NULL, &num) && num == r->time_unix_ns);
	CHECK(find(rec, 11, 0, NULL, &num) && num == it->observed_unix_ns);
	CHECK(find(rec, 2, 0, NULL, &num) == (r->severity_number != 0));
	CHECK(!r->severity_number || num == r->severity_number);
	CHECK(find(rec, 3, 0, &v, NULL) == (slen != 0));
	if (slen && utf8_valid((const uint8_t *)r->severity_text, slen))
		CHECK(v.n == slen && !memcmp(v.p, r->severity_text, slen));
	CHECK(find(rec, 8, 0, NULL, &num) == (r->has_trace && r->sampled));
	CHECK(!(r->has_trace && r->sampled) || num == 1);
	CHECK(find(rec, 9, 0, &v, NULL) == (r->has_trace != 0));
	CHECK(!r->has_trace || !memcmp(v.p, r->trace_id, 16));
	CHECK(find(rec, 10, 0, &v, NULL) == (r->has_trace != 0));
	CHECK(!r->has_trace || !memcmp(v.p, r->span_id, 8));
	CHECK(!find(rec, 12, 0, NULL, NULL));
	CHECK(find(rec, 5, 0, &any, NULL) && find(any, 1, 0, &v, NULL));
	if (utf8_valid((const uint8_t *)r->body, blen))
		CHECK(v.n == blen && !memcmp(v.p, r->body, blen));
	else
		CHECK(v.n > blen); /* each bad byte became three */
	if (r->stream == LOG_STREAM_STDOUT || r->stream == LOG_STREAM_STDERR)
		CHECK(attr_is(rec, "log.iostream", 1,
			      r->stream == LOG_STREAM_STDOUT ? "stdout" : "stderr", 0));
	else if (r->stream == LOG_STREAM_FILE)
		CHECK(attr_is(rec, "zerotrace.log.fd", 0, NULL, (uint64_t)(int64_t)r->fd));
	else
		n_attrs = 1;
	CHECK(attr_is(rec, "thread.id", 0, NULL, r->tid));
	CHECK(attr_is(rec, "zerotrace.log.truncated", 0, NULL, 1) == (r->cut != 0));
	n_attrs += r->cut != 0;
	CHECK(find(rec, 6, n_attrs - 1, NULL, NULL) && !find(rec, 6, n_attrs, NULL, NULL));
}

CHECKER static void check_logs_proto(const struct otlp_buf *b, const struct otlp_log_item *items,
				     size_t n)
{
	size_t first[FZ_LOGS_MAX + 1], len[FZ_LOGS_MAX + 1];
	size_t n_groups = log_groups(items, n, first, len);
	struct slice req = { b->data, b->len }, rl, sl, scope, name, rec, res;

	walk(req, M_LREQ, 0);
	CHECK(!find(req, 1, n_groups, NULL, NULL));
	for (size_t g = 0; g < n_groups; g++) {
		const char *want = first[g] == SIZE_MAX ? OTLP_LOGS_SCOPE_NAME
							: OTLP_APP_LOGS_SCOPE_NAME;
		size_t k = first[g];

		CHECK(find(req, 1, g, &rl, NULL));
		CHECK(find(rl, 1, 0, &res, NULL));
		CHECK(find(rl, 2, 0, &sl, NULL) && !find(rl, 2, 1, NULL, NULL));
		CHECK(find(sl, 1, 0, &scope, NULL) && find(scope, 1, 0, &name, NULL));
		CHECK(name.n == strlen(want) && !memcmp(name.p, want, name.n));
		CHECK(!find(sl, 2, len[g], NULL, NULL));
		if (first[g] == SIZE_MAX)
			continue;
		/* the group's resource is its process's */
		{
			struct slice kv, any;
			uint64_t pid;

			CHECK(find(res, 1, 1, &kv, NULL) && find(kv, 2, 0, &any, NULL));
			CHECK(find(any, 3, 0, NULL, &pid) && pid == items[k].app.resource.pid);
		}
		for (size_t r = 0; r < len[g]; r++, k++) {
			while (items[k].kind != OTLP_LOG_APP)
				k++;
			CHECK(find(sl, 2, r, &rec, NULL));
			check_app_record(rec, &items[k]);
		}
	}
}

CHECKER static void check_logs_json(const struct otlp_buf *b, const struct otlp_log_item *items,
				    size_t n)
{
	size_t first[FZ_LOGS_MAX + 1], len[FZ_LOGS_MAX + 1], traced = 0;
	struct js j = { .p = b->data, .n = b->len };

	for (size_t i = 0; i < n; i++)
		traced += items[i].kind == OTLP_LOG_APP ? items[i].app.rec.has_trace != 0
		       : items[i].kind == OTLP_LOG_ALERT ? items[i].alert.has_trace != 0
							 : 0;
	CHECK(b->len > 0 && b->data[0] == '{');
	CHECK(js_value(&j, 0) == 0);
	js_ws(&j);
	CHECK(j.i == j.n);
	CHECK(j.resources == log_groups(items, n, first, len));
	CHECK(j.bodies == n);
	CHECK(j.span_ids == traced);
}

CHECKER static void check_logs(struct cursor *c)
{
	static struct otlp_buf pb, js, again;
	static struct otlp_log_item items[FZ_LOGS_MAX], copies[FZ_LOGS_MAX];
	static struct procinfo procs[3];
	static char host[PROCINFO_NAME_MAX];
	size_t n = take8(c) % (FZ_LOGS_MAX + 1), n_procs = take8(c) % 4, host_len;
	size_t bound[2] = { OTLP_LOGS_REQUEST_OVERHEAD, OTLP_LOGS_REQUEST_OVERHEAD };

	build_procs(c, procs, n_procs);
	TAKE_STR(c, host);
	host_len = strlen(host);
	for (size_t i = 0; i < n; i++) {
		build_log(c, &items[i], procs, n_procs);
		bound[0] += otlp_log_item_size_max(&items[i], 0, host_len);
		bound[1] += otlp_log_item_size_max(&items[i], 1, host_len);
		memset(&copies[i], 0xa5, sizeof(copies[i]));
		otlp_log_item_copy(&copies[i], &items[i]);
	}
	CHECK(otlp_logs_encode_proto(&pb, items, n, host) == 0 && !pb.oom);
	CHECK(pb.len <= bound[0]);
	check_logs_proto(&pb, items, n);
	CHECK(otlp_logs_encode_proto(&again, copies, n, host) == 0);
	CHECK(again.len == pb.len && (!pb.len || !memcmp(again.data, pb.data, pb.len)));

	CHECK(otlp_logs_encode_json(&js, items, n, host) == 0 && !js.oom);
	CHECK(js.len <= bound[1]);
	check_logs_json(&js, items, n);
	CHECK(otlp_logs_encode_json(&again, copies, n, host) == 0);
	CHECK(again.len == js.len && !memcmp(again.data, js.data, js.len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* reused across inputs, as the exporter thread reuses its buffer */
	static struct otlp_buf pb, js;
	static struct otlp_item items[FZ_ITEMS_MAX];
	struct cursor c = { data, size, 0 };
	size_t n = take8(&c) % (FZ_ITEMS_MAX + 1);

	for (size_t i = 0; i < n; i++)
		build_item(&c, &items[i], i);

	CHECK(otlp_encode_proto(&pb, items, n) == 0 && !pb.oom);
	CHECK(pb.len <= pb.cap);
	check_proto(&pb, items, n);

	CHECK(otlp_encode_json(&js, items, n) == 0 && !js.oom);
	CHECK(js.len <= js.cap);
	check_json(&js, items, n);
	check_zipkin(items, n);
	check_logs(&c);
	return 0;
}
