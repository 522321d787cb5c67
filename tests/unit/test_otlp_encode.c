// SPDX-License-Identifier: MIT
/*
 * exporters/otlp_encode.c: exact protobuf bytes, grouping, the span's status
 * written as given (the rule that decides it is the protocol's:
 * test_http1_record.c), optional fields, varints, UTF-8 repair, exact OTLP/JSON and its escaping.
 *
 * Protobuf output is checked structurally by oe_walk: a generic wire-format
 * reader (tags, varints, lengths) driven by a table of the OTLP field
 * numbers, not a decoder of the encoder's own types.
 */
#define _GNU_SOURCE /* memmem, strndup */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "otlp_encode.h"
#include "span_fixture.h"

/* OTLP/JSON attributes */
#define OE_KV_S(k, v) "{\"key\":\"" k "\",\"value\":{\"stringValue\":\"" v "\"}}"
#define OE_KV_I(k, v) "{\"key\":\"" k "\",\"value\":{\"intValue\":\"" v "\"}}"

/* ---- Items ---- */

/* The smallest span the encoder sees: GET / -> 200, everything else empty. */
static struct otlp_item oe_min_item(void)
{
	struct otlp_item it;

	memset(&it, 0, sizeof(it));
	for (int i = 0; i < 16; i++)
		it.span.trace_id[i] = (uint8_t)(i + 1);
	for (int i = 0; i < 8; i++)
		it.span.span_id[i] = (uint8_t)(0xa1 + i);
	it.span.kind = SPAN_KIND_SERVER;
	it.span.start_unix_ns = 1000;
	it.span.end_unix_ns = 2000;
	span_fixture_http(&it.span, &(struct http_fields){ .method = "GET", .path = "/",
							  .status = 200, .version_minor = 1 });
	it.resource.pid = 7;
	it.resource.start_time = 1;
	strcpy(it.resource.service_name, "svc");
	return it;
}

/* A fully specified SERVER span of a fully described process. */
static struct otlp_item oe_full_item(void)
{
	struct otlp_item it;
	struct span *s = &it.span;
	struct procinfo *r = &it.resource;

	memset(&it, 0, sizeof(it));
	for (int i = 0; i < 16; i++)
		s->trace_id[i] = (uint8_t)(i + 1);
	for (int i = 0; i < 8; i++) {
		s->span_id[i] = (uint8_t)(0xa1 + i);
		s->parent_span_id[i] = (uint8_t)(0xf0 + i);
	}
	s->has_parent = 1;
	s->kind = SPAN_KIND_SERVER;
	s->start_unix_ns = 1700000000123456789ULL;
	s->end_unix_ns = 1700000000124691356ULL;
	s->pid = 4242;
	s->tid = 4243;
	strcpy(s->server.address, "10.0.0.1");
	s->server.port = 8080;
	strcpy(s->client.address, "10.0.0.2");
	s->client.port = 54321;
	strcpy(s->peer.address, "10.0.0.2");
	s->peer.port = 54321;
	span_fixture_http(s, &(struct http_fields){ .method = "GET", .path = "/items/42",
						   .query = "a=1&token=REDACTED",
						   .route = "/items/{id}", .status = 503,
						   .version_minor = 1, .req_body = 12, .resp_body = 5 });
	strcpy(s->tracestate, "vendor=1");
	strcpy(s->exe_name, "python3");
	strcpy(s->service_name, "shop");
	r->pid = 4242;
	r->start_time = 99;
	strcpy(r->comm, "python3");
	strcpy(r->exe_name, "python3");
	strcpy(r->exe_path, "/usr/bin/python3");
	strcpy(r->service_name, "shop");
	strcpy(r->container_id, "abc123");
	strcpy(r->k8s_pod_name, "shop-7d9");
	strcpy(r->k8s_namespace, "prod");
	r->n_attrs = 2;
	strcpy(r->attrs[0].key, "deployment.environment");
	strcpy(r->attrs[0].value, "staging");
	strcpy(r->attrs[1].key, "service.name"); /* the agent's own key wins */
	strcpy(r->attrs[1].value, "ignored");
	strcpy(it.host_name, "node-1");
	return it;
}

/* ---- A generic protobuf wire-format walker ---- */

struct oe_slice {
	const uint8_t *p;
	size_t n;
};

enum oe_wt { OE_WT_VARINT = 0, OE_WT_I64 = 1, OE_WT_LEN = 2, OE_WT_I32 = 5 };

/* Reads a varint: at most 10 bytes, the 10th holding only bit 63. */
static int oe_varint(struct oe_slice *m, uint64_t *v)
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

/*
 * Takes one field off the front of m: 1 with its number, wire type, value
 * (a varint or fixed as num, a length-delimited body as val); 0 at the end;
 * -1 when malformed (field 0 or > 2^29-1, groups or unknown wire types,
 * truncated varints or fixed values, a length past the end).
 */
static int oe_next(struct oe_slice *m, uint32_t *field, int *wt, uint64_t *num,
		   struct oe_slice *val)
{
	uint64_t tag, len;

	if (!m->n)
		return 0;
	if (oe_varint(m, &tag) || tag >> 3 == 0 || tag >> 3 > 0x1fffffff)
		return -1;
	*field = (uint32_t)(tag >> 3);
	*wt = (int)(tag & 7);
	*num = 0;
	*val = (struct oe_slice){ m->p, 0 };
	switch (*wt) {
	case OE_WT_VARINT:
		return oe_varint(m, num) ? -1 : 1;
	case OE_WT_I64:
	case OE_WT_I32:
		len = *wt == OE_WT_I64 ? 8 : 4;
		if (m->n < len)
			return -1;
		for (unsigned int i = 0; i < len; i++)
			*num |= (uint64_t)m->p[i] << (8 * i);
		break;
	case OE_WT_LEN:
		if (oe_varint(m, &len) || len > m->n)
			return -1;
		*val = (struct oe_slice){ m->p, (size_t)len };
		break;
	default:
		return -1;
	}
	m->p += len;
	m->n -= len;
	return 1;
}

/* The OTLP messages the walker knows, and what a field holds. */
enum oe_msg { OE_REQ, OE_RS, OE_RES, OE_SS, OE_SCOPE, OE_SPAN, OE_KV, OE_ANY, OE_STATUS,
	      OE_ARR };
enum oe_val { OE_MSG, OE_STRING, OE_BYTES, OE_ID16, OE_ID8, OE_VARINT, OE_I64, OE_I32 };

struct oe_rule {
	uint8_t msg;
	uint32_t field;
	uint8_t val;
	uint8_t child;    /* for OE_MSG */
	uint8_t repeated;
};

/* Field numbers from opentelemetry-proto. */
static const struct oe_rule oe_schema[] = {
	{ OE_REQ, 1, OE_MSG, OE_RS, 1 },          /* resource_spans */
	{ OE_RS, 1, OE_MSG, OE_RES, 0 },          /* resource */
	{ OE_RS, 2, OE_MSG, OE_SS, 1 },           /* scope_spans */
	{ OE_RS, 3, OE_STRING, 0, 0 },            /* schema_url */
	{ OE_RES, 1, OE_MSG, OE_KV, 1 },          /* attributes */
	{ OE_RES, 2, OE_VARINT, 0, 0 },           /* dropped_attributes_count */
	{ OE_SS, 1, OE_MSG, OE_SCOPE, 0 },        /* scope */
	{ OE_SS, 2, OE_MSG, OE_SPAN, 1 },         /* spans */
	{ OE_SS, 3, OE_STRING, 0, 0 },            /* schema_url */
	{ OE_SCOPE, 1, OE_STRING, 0, 0 },         /* name */
	{ OE_SCOPE, 2, OE_STRING, 0, 0 },         /* version */
	{ OE_SCOPE, 3, OE_MSG, OE_KV, 1 },        /* attributes */
	{ OE_SPAN, 1, OE_ID16, 0, 0 },            /* trace_id */
	{ OE_SPAN, 2, OE_ID8, 0, 0 },             /* span_id */
	{ OE_SPAN, 3, OE_STRING, 0, 0 },          /* trace_state */
	{ OE_SPAN, 4, OE_ID8, 0, 0 },             /* parent_span_id */
	{ OE_SPAN, 5, OE_STRING, 0, 0 },          /* name */
	{ OE_SPAN, 6, OE_VARINT, 0, 0 },          /* kind */
	{ OE_SPAN, 7, OE_I64, 0, 0 },             /* start_time_unix_nano */
	{ OE_SPAN, 8, OE_I64, 0, 0 },             /* end_time_unix_nano */
	{ OE_SPAN, 9, OE_MSG, OE_KV, 1 },         /* attributes */
	{ OE_SPAN, 10, OE_VARINT, 0, 0 },         /* dropped_attributes_count */
	{ OE_SPAN, 15, OE_MSG, OE_STATUS, 0 },    /* status */
	{ OE_SPAN, 16, OE_I32, 0, 0 },            /* flags */
	{ OE_KV, 1, OE_STRING, 0, 0 },            /* key */
	{ OE_KV, 2, OE_MSG, OE_ANY, 0 },          /* value */
	{ OE_ANY, 1, OE_STRING, 0, 0 },           /* string_value */
	{ OE_ANY, 2, OE_VARINT, 0, 0 },           /* bool_value */
	{ OE_ANY, 3, OE_VARINT, 0, 0 },           /* int_value */
	{ OE_ANY, 4, OE_I64, 0, 0 },              /* double_value */
	{ OE_ANY, 5, OE_MSG, OE_ARR, 0 },         /* array_value */
	{ OE_ANY, 7, OE_BYTES, 0, 0 },            /* bytes_value */
	{ OE_STATUS, 2, OE_STRING, 0, 0 },        /* message */
	{ OE_STATUS, 3, OE_VARINT, 0, 0 },        /* code */
	{ OE_ARR, 1, OE_MSG, OE_ANY, 1 },         /* ArrayValue.values */
};

static char oe_why[160];

/* Strict UTF-8 by code point (a different method from the encoder's). */
static int oe_utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0, len, k;
	uint32_t cp, min;

	while (i < n) {
		uint8_t c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

static const struct oe_rule *oe_rule_for(int msg, uint32_t field)
{
	for (size_t i = 0; i < sizeof(oe_schema) / sizeof(oe_schema[0]); i++)
		if (oe_schema[i].msg == msg && oe_schema[i].field == field)
			return &oe_schema[i];
	return NULL;
}

/* 0 when m is a well-formed message of type msg, all the way down; else -1
 * with the reason in oe_why. */
static int oe_walk(struct oe_slice m, int msg, int depth)
{
	static const int wire_of[] = { [OE_MSG] = OE_WT_LEN,  [OE_STRING] = OE_WT_LEN,
				       [OE_BYTES] = OE_WT_LEN, [OE_ID16] = OE_WT_LEN,
				       [OE_ID8] = OE_WT_LEN,   [OE_VARINT] = OE_WT_VARINT,
				       [OE_I64] = OE_WT_I64,   [OE_I32] = OE_WT_I32 };
	uint32_t seen = 0, field;
	struct oe_slice val;
	uint64_t num;
	int wt, r;

	if (depth > 8) {
		snprintf(oe_why, sizeof(oe_why), "nested too deep");
		return -1;
	}
	while ((r = oe_next(&m, &field, &wt, &num, &val)) == 1) {
		const struct oe_rule *rule = oe_rule_for(msg, field);

		if (!rule || wire_of[rule->val] != wt) {
			snprintf(oe_why, sizeof(oe_why), "msg %d: unexpected field %u wire type %d",
				 msg, field, wt);
			return -1;
		}
		if (!rule->repeated && field < 32 && (seen & (1u << field))) {
			snprintf(oe_why, sizeof(oe_why), "msg %d: field %u twice", msg, field);
			return -1;
		}
		if (field < 32)
			seen |= 1u << field;
		if ((rule->val == OE_ID16 && val.n != 16) || (rule->val == OE_ID8 && val.n != 8) ||
		    (rule->val == OE_STRING && !oe_utf8_valid(val.p, val.n))) {
			snprintf(oe_why, sizeof(oe_why), "msg %d: field %u: bad id or string", msg, field);
			return -1;
		}
		if (rule->val == OE_MSG && oe_walk(val, rule->child, depth + 1))
			return -1;
	}
	if (r < 0) {
		snprintf(oe_why, sizeof(oe_why), "msg %d: malformed wire data", msg);
		return -1;
	}
	return 0;
}

static void oe_assert_wellformed(const struct otlp_buf *b)
{
	oe_why[0] = '\0';
	cr_assert_eq(oe_walk((struct oe_slice){ b->data, b->len }, OE_REQ, 0), 0, "%s", oe_why);
}

/* The nth occurrence of field in m (0-based): 1 with its value, or 0. */
static int oe_find(struct oe_slice m, uint32_t field, size_t nth, struct oe_slice *val,
		   uint64_t *num)
{
	uint32_t f;
	uint64_t x;
	struct oe_slice v;
	int wt;

	while (oe_next(&m, &f, &wt, &x, &v) == 1) {
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

static size_t oe_count(struct oe_slice m, uint32_t field)
{
	size_t n = 0;

	while (oe_find(m, field, n, NULL, NULL))
		n++;
	return n;
}

/* The AnyValue of the attribute named key among m's field `field`. */
static int oe_attr(struct oe_slice m, uint32_t field, const char *key, struct oe_slice *any)
{
	struct oe_slice kv, k;

	for (size_t i = 0; oe_find(m, field, i, &kv, NULL); i++)
		if (oe_find(kv, 1, 0, &k, NULL) && k.n == strlen(key) && !memcmp(k.p, key, k.n))
			return oe_find(kv, 2, 0, any, NULL);
	return 0;
}

static int oe_eq(struct oe_slice s, const void *p, size_t n)
{
	return s.n == n && !memcmp(s.p, p, n);
}

/* The request's single span (asserting there is exactly one). */
static struct oe_slice oe_only_span(const struct otlp_buf *b)
{
	struct oe_slice req = { b->data, b->len }, rs, ss, sp;

	cr_assert_eq(oe_count(req, 1), 1);
	cr_assert(oe_find(req, 1, 0, &rs, NULL));
	cr_assert_eq(oe_count(rs, 2), 1);
	cr_assert(oe_find(rs, 2, 0, &ss, NULL));
	cr_assert_eq(oe_count(ss, 2), 1);
	cr_assert(oe_find(ss, 2, 0, &sp, NULL));
	return sp;
}

static struct oe_slice oe_encode_one(struct otlp_buf *b, const struct otlp_item *it)
{
	cr_assert_eq(otlp_encode_proto(b, it, 1), 0);
	oe_assert_wellformed(b);
	return oe_only_span(b);
}

/* ---- The walker itself ---- */

Test(otlp_encode, walker_rejects_malformed_wire_data)
{
	static const uint8_t trunc_len[] = { 0x0a, 0x05, 0x0a, 0x00 };      /* LEN 5, 2 left */
	static const uint8_t group[] = { 0x0b, 0x0c };                      /* wire type 3 */
	static const uint8_t field0[] = { 0x02, 0x00 };                     /* field 0 */
	static const uint8_t long_varint[] = { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80,
					       0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
	static const uint8_t wrong_type[] = { 0x08, 0x01 };                 /* rs as varint */
	static const uint8_t bad_utf8[] = { 0x0a, 0x0a, 0x12, 0x08, 0x0a, 0x06,
					    0x0a, 0x04, 0x0a, 0x02, 0xc0, 0xaf };
	static const uint8_t ok[] = { 0x0a, 0x00 };                         /* one empty rs */
	const struct { const uint8_t *p; size_t n; int want; } cases[] = {
		{ trunc_len, sizeof(trunc_len), -1 }, { group, sizeof(group), -1 },
		{ field0, sizeof(field0), -1 },       { long_varint, sizeof(long_varint), -1 },
		{ wrong_type, sizeof(wrong_type), -1 }, { bad_utf8, sizeof(bad_utf8), -1 },
		{ ok, sizeof(ok), 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(oe_walk((struct oe_slice){ cases[i].p, cases[i].n }, OE_REQ, 0),
			     cases[i].want, "case %zu", i);
}

/* ---- Protobuf ---- */

/*
 * Derived by hand from the proto rules: tag = field << 3 | wire type (0
 * varint, 1 fixed64, 2 length-delimited, 5 fixed32), lengths as varints.
 * Sizes, inside out:
 *   KeyValue{string}: 2 + key + 2 + 2 + value; KeyValue{int}: 2 + key + 2 +
 *   1 + varint. Span attributes (each + 2 for its tag and length):
 *   method 28, url.path 15, status_code 32 (200 = c8 01), server.address 20,
 *   server.port 17, client.address 20, client.port 17, network.peer.address
 *   26, network.peer.port 23, network.protocol.version 33, request body 28,
 *   response body 29, thread.id 15 -> 329 with tags.
 *   Span = trace_id 18 + span_id 10 + name 7 + kind 2 + start 9 + end 9 +
 *   329 + flags 6 = 390 (varint 86 03). No status: 200 on a SERVER is UNSET.
 *   Scope = 11 + 7 = 18; ScopeSpans = 2 + 18 + 3 + 390 = 413 (9d 03).
 *   Resource = service.name 2 + 21 + process.pid 2 + 17 = 42.
 *   ResourceSpans = 2 + 42 + 3 + 413 = 460 (cc 03); request = 3 + 460.
 */
static const uint8_t oe_min_expected[] = {
	0x0a, 0xcc, 0x03,  /* resource_spans (1), LEN 460 */
		0x0a, 0x2a,  /* resource (1), LEN 42 */
			0x0a, 0x15,  /* attributes (1), LEN 21 */
				0x0a, 0x0c,  /* key (12) */
				0x73, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65, 0x2e, 0x6e, 0x61, 0x6d, 0x65,  /* "service.name" */
				0x12, 0x05, 0x0a, 0x03, 0x73, 0x76, 0x63,  /* value: AnyValue{string_value "svc"} */
			0x0a, 0x11,  /* attributes (1), LEN 17 */
				0x0a, 0x0b,  /* key (11) */
				0x70, 0x72, 0x6f, 0x63, 0x65, 0x73, 0x73, 0x2e, 0x70, 0x69, 0x64,  /* "process.pid" */
				0x12, 0x02, 0x18, 0x07,  /* value: AnyValue{int_value 7} */
		0x12, 0x9d, 0x03,  /* scope_spans (2), LEN 413 */
			0x0a, 0x12,  /* scope (1), LEN 18 */
				0x0a, 0x09, 0x7a, 0x65, 0x72, 0x6f, 0x74, 0x72, 0x61, 0x63, 0x65,  /* name "zerotrace" */
				0x12, 0x05, 0x30, 0x2e, 0x31, 0x2e, 0x30,  /* version "0.1.0" */
			0x12, 0x86, 0x03,  /* spans (2), LEN 390 */
				0x0a, 0x10,  /* trace_id (1), 16 bytes */
				0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
				0x0d, 0x0e, 0x0f, 0x10,
				0x12, 0x08, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,  /* span_id (2), 8 bytes */
				0x2a, 0x05, 0x47, 0x45, 0x54, 0x20, 0x2f,  /* name (5) "GET /" */
				0x30, 0x02,  /* kind (6) = SPAN_KIND_SERVER */
				0x39, 0xe8, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  /* start_time (7): 1000 */
				0x41, 0xd0, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  /* end_time (8): 2000 */
				0x4a, 0x1c,  /* attributes (9), LEN 28 */
					0x0a, 0x13,  /* key (19) */
					/* "http.request.method" */
					0x68, 0x74, 0x74, 0x70, 0x2e, 0x72, 0x65, 0x71, 0x75, 0x65, 0x73, 0x74,
					0x2e, 0x6d, 0x65, 0x74, 0x68, 0x6f, 0x64,
					0x12, 0x05, 0x0a, 0x03, 0x47, 0x45, 0x54,  /* value: AnyValue{string_value "GET"} */
				0x4a, 0x0f,  /* attributes (9), LEN 15 */
					0x0a, 0x08,  /* key (8) */
					0x75, 0x72, 0x6c, 0x2e, 0x70, 0x61, 0x74, 0x68,  /* "url.path" */
					0x12, 0x03, 0x0a, 0x01, 0x2f,  /* value: AnyValue{string_value "/"} */
				0x4a, 0x20,  /* attributes (9), LEN 32 */
					0x0a, 0x19,  /* key (25) */
					/* "http.response.status_code" */
					0x68, 0x74, 0x74, 0x70, 0x2e, 0x72, 0x65, 0x73, 0x70, 0x6f, 0x6e, 0x73,
					0x65, 0x2e, 0x73, 0x74, 0x61, 0x74, 0x75, 0x73, 0x5f, 0x63, 0x6f, 0x64,
					0x65,
					0x12, 0x03, 0x18, 0xc8, 0x01,  /* value: AnyValue{int_value 200} */
				0x4a, 0x14,  /* attributes (9), LEN 20 */
					0x0a, 0x0e,  /* key (14) */
					/* "server.address" */
					0x73, 0x65, 0x72, 0x76, 0x65, 0x72, 0x2e, 0x61, 0x64, 0x64, 0x72, 0x65,
					0x73, 0x73,
					0x12, 0x02, 0x0a, 0x00,  /* value: AnyValue{string_value ""} */
				0x4a, 0x11,  /* attributes (9), LEN 17 */
					0x0a, 0x0b,  /* key (11) */
					0x73, 0x65, 0x72, 0x76, 0x65, 0x72, 0x2e, 0x70, 0x6f, 0x72, 0x74,  /* "server.port" */
					0x12, 0x02, 0x18, 0x00,  /* value: AnyValue{int_value 0} */
				0x4a, 0x14,  /* attributes (9), LEN 20 */
					0x0a, 0x0e,  /* key (14) */
					/* "client.address" */
					0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x2e, 0x61, 0x64, 0x64, 0x72, 0x65,
					0x73, 0x73,
					0x12, 0x02, 0x0a, 0x00,  /* value: AnyValue{string_value ""} */
				0x4a, 0x11,  /* attributes (9), LEN 17 */
					0x0a, 0x0b,  /* key (11) */
					0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x2e, 0x70, 0x6f, 0x72, 0x74,  /* "client.port" */
					0x12, 0x02, 0x18, 0x00,  /* value: AnyValue{int_value 0} */
				0x4a, 0x1a,  /* attributes (9), LEN 26 */
					0x0a, 0x14,  /* key (20) */
					/* "network.peer.address" */
					0x6e, 0x65, 0x74, 0x77, 0x6f, 0x72, 0x6b, 0x2e, 0x70, 0x65, 0x65, 0x72,
					0x2e, 0x61, 0x64, 0x64, 0x72, 0x65, 0x73, 0x73,
					0x12, 0x02, 0x0a, 0x00,  /* value: AnyValue{string_value ""} */
				0x4a, 0x17,  /* attributes (9), LEN 23 */
					0x0a, 0x11,  /* key (17) */
					/* "network.peer.port" */
					0x6e, 0x65, 0x74, 0x77, 0x6f, 0x72, 0x6b, 0x2e, 0x70, 0x65, 0x65, 0x72,
					0x2e, 0x70, 0x6f, 0x72, 0x74,
					0x12, 0x02, 0x18, 0x00,  /* value: AnyValue{int_value 0} */
				0x4a, 0x21,  /* attributes (9), LEN 33 */
					0x0a, 0x18,  /* key (24) */
					/* "network.protocol.version" */
					0x6e, 0x65, 0x74, 0x77, 0x6f, 0x72, 0x6b, 0x2e, 0x70, 0x72, 0x6f, 0x74,
					0x6f, 0x63, 0x6f, 0x6c, 0x2e, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e,
					0x12, 0x05, 0x0a, 0x03, 0x31, 0x2e, 0x31,  /* value: AnyValue{string_value "1.1"} */
				0x4a, 0x1c,  /* attributes (9), LEN 28 */
					0x0a, 0x16,  /* key (22) */
					/* "http.request.body.size" */
					0x68, 0x74, 0x74, 0x70, 0x2e, 0x72, 0x65, 0x71, 0x75, 0x65, 0x73, 0x74,
					0x2e, 0x62, 0x6f, 0x64, 0x79, 0x2e, 0x73, 0x69, 0x7a, 0x65,
					0x12, 0x02, 0x18, 0x00,  /* value: AnyValue{int_value 0} */
				0x4a, 0x1d,  /* attributes (9), LEN 29 */
					0x0a, 0x17,  /* key (23) */
					/* "http.response.body.size" */
					0x68, 0x74, 0x74, 0x70, 0x2e, 0x72, 0x65, 0x73, 0x70, 0x6f, 0x6e, 0x73,
					0x65, 0x2e, 0x62, 0x6f, 0x64, 0x79, 0x2e, 0x73, 0x69, 0x7a, 0x65,
					0x12, 0x02, 0x18, 0x00,  /* value: AnyValue{int_value 0} */
				0x4a, 0x0f,  /* attributes (9), LEN 15 */
					0x0a, 0x09,  /* key (9) */
					0x74, 0x68, 0x72, 0x65, 0x61, 0x64, 0x2e, 0x69, 0x64,  /* "thread.id" */
					0x12, 0x02, 0x18, 0x00,  /* value: AnyValue{int_value 0} */
				0x85, 0x01, 0x01, 0x00, 0x00, 0x00,  /* flags (16), fixed32 0x00000001 */
};

Test(otlp_encode, proto_minimal_span_exact_bytes)
{
	struct otlp_item it = oe_min_item();
	struct otlp_buf b = { 0 };

	cr_assert_str_eq(ZT_VERSION, "0.1.0", "the version changed: update oe_min_expected");
	cr_assert_eq(sizeof(oe_min_expected), 463);
	cr_assert_eq(otlp_encode_proto(&b, &it, 1), 0);
	cr_assert_eq(b.oom, 0);
	cr_assert_eq(b.len, sizeof(oe_min_expected), "len %zu", b.len);
	for (size_t i = 0; i < b.len; i++)
		cr_assert_eq(b.data[i], oe_min_expected[i], "byte %zu: %02x, want %02x", i,
			     b.data[i], oe_min_expected[i]);
	oe_assert_wellformed(&b);
	otlp_buf_free(&b);
	cr_assert_null(b.data);
	cr_assert_eq(b.len + b.cap, 0);
}

Test(otlp_encode, empty_batch)
{
	struct otlp_buf b = { 0 };

	cr_assert_eq(otlp_encode_proto(&b, NULL, 0), 0);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(otlp_encode_json(&b, NULL, 0), 0);
	cr_assert_eq(b.len, strlen("{\"resourceSpans\":[]}"));
	cr_assert_eq(memcmp(b.data, "{\"resourceSpans\":[]}", b.len), 0);
	otlp_buf_free(&b);
}

static void oe_set_span_id(struct otlp_item *it, uint8_t tag)
{
	memset(it->span.span_id, tag, sizeof(it->span.span_id));
}

Test(otlp_encode, two_processes_two_resource_spans_first_seen_order)
{
	struct otlp_item *items = calloc(5, sizeof(*items));
	struct otlp_buf b = { 0 };
	struct oe_slice req, rs, res, ss, sp, v, any;
	/* pid 20 comes first; pid 10 twice; pid 20 again but a new process */
	const uint32_t pid[5] = { 20, 10, 20, 10, 20 };
	const uint64_t start[5] = { 5, 6, 5, 6, 9 };
	const uint8_t want[3][2] = { { 0x01, 0x03 }, { 0x02, 0x04 }, { 0x05, 0 } };
	uint64_t num;

	cr_assert_not_null(items);
	for (int i = 0; i < 5; i++) {
		items[i] = oe_min_item();
		items[i].resource.pid = pid[i];
		items[i].resource.start_time = start[i];
		oe_set_span_id(&items[i], (uint8_t)(i + 1));
	}
	cr_assert_eq(otlp_encode_proto(&b, items, 5), 0);
	oe_assert_wellformed(&b);
	req = (struct oe_slice){ b.data, b.len };
	cr_assert_eq(oe_count(req, 1), 3);
	for (size_t g = 0; g < 3; g++) {
		size_t n_want = want[g][1] ? 2 : 1;

		cr_assert(oe_find(req, 1, g, &rs, NULL));
		cr_assert(oe_find(rs, 1, 0, &res, NULL));
		cr_assert(oe_attr(res, 1, "process.pid", &any));
		cr_assert(oe_find(any, 3, 0, NULL, &num));
		cr_assert_eq(num, g == 1 ? 10 : 20);
		cr_assert_eq(oe_count(rs, 2), 1, "one ScopeSpans per resource");
		cr_assert(oe_find(rs, 2, 0, &ss, NULL));
		cr_assert(oe_find(ss, 1, 0, &v, NULL)); /* the scope */
		cr_assert_eq(oe_count(ss, 2), n_want, "group %zu", g);
		for (size_t k = 0; k < n_want; k++) {
			uint8_t id[8];

			memset(id, want[g][k], sizeof(id));
			cr_assert(oe_find(ss, 2, k, &sp, NULL));
			cr_assert(oe_find(sp, 2, 0, &v, NULL));
			cr_assert(oe_eq(v, id, 8), "group %zu span %zu", g, k);
		}
	}

	/* The JSON groups the same way. */
	cr_assert_eq(otlp_encode_json(&b, items, 5), 0);
	{
		char *js = strndup((const char *)b.data, b.len);
		const char *p1 = strstr(js, "\"spanId\":\"0101010101010101\"");
		const char *p3 = strstr(js, "\"spanId\":\"0303030303030303\"");
		const char *p2 = strstr(js, "\"spanId\":\"0202020202020202\"");
		const char *p5 = strstr(js, "\"spanId\":\"0505050505050505\"");

		cr_assert(p1 && p2 && p3 && p5);
		cr_assert(p1 < p3 && p3 < p2 && p2 < p5);
		free(js);
	}
	otlp_buf_free(&b);
	free(items);
}

/* Spans encoded one by one as they are queued (their bytes anywhere,
 * here in reverse order), then assembled: byte for byte the request of the
 * same items encoded as a batch. */
Test(otlp_encode, queued_spans_assemble_to_the_batch)
{
	const uint32_t pick[4] = { 4, 1, 3, 0 }, pid[5] = { 20, 10, 20, 10, 30 };
	struct otlp_item *items = calloc(5, sizeof(*items)), *copied = calloc(4, sizeof(*copied));
	struct otlp_buf want = { 0 }, got = { 0 }, bytes = { 0 };
	struct otlp_encoded enc[4];
	size_t off[4];

	cr_assert(items && copied);
	for (int i = 0; i < 5; i++) {
		items[i] = oe_min_item();
		items[i].resource.pid = pid[i];
		oe_set_span_id(&items[i], (uint8_t)(i + 1));
	}
	for (int i = 0; i < 4; i++)
		copied[i] = items[pick[i]];
	for (int json = 0; json < 2; json++) {
		cr_assert_eq(json ? otlp_encode_json(&want, copied, 4) : otlp_encode_proto(&want, copied, 4), 0);
		otlp_buf_start(&bytes);
		for (int i = 3; i >= 0; i--) {
			const struct otlp_item *it = &items[pick[i]];

			off[i] = bytes.len;
			enc[i].pid = it->resource.pid;
			enc[i].start_time = it->resource.start_time;
			cr_assert_eq(otlp_encode_item(&bytes, json, &it->span, &it->resource, it->host_name, NULL,
						      &enc[i].span_len, &enc[i].resource_len), 0);
		}
		for (int i = 0; i < 4; i++) {
			enc[i].span = bytes.data + off[i];
			enc[i].resource = enc[i].span + enc[i].span_len;
		}
		cr_assert_eq(otlp_encode_assemble(&got, json, enc, 4), 0);
		cr_assert_eq(got.len, want.len, "json %d", json);
		cr_assert(!memcmp(got.data, want.data, want.len), "json %d", json);
		if (!json) { /* three resources (30, 10, 20, first seen in that order) */
			struct oe_slice req = { got.data, got.len };

			cr_assert_eq(oe_count(req, 1), 3);
		}
	}
	otlp_buf_free(&want);
	otlp_buf_free(&got);
	otlp_buf_free(&bytes);
	free(items);
	free(copied);
}

/* One item's resource bytes, encoded with or without the cache. */
static size_t oe_item_resource(const struct otlp_item *it, int json,
			       struct otlp_resource_cache *cache, uint8_t *out, size_t cap)
{
	struct otlp_buf b = { 0 };
	uint32_t span_len, resource_len;

	cr_assert_eq(otlp_encode_item(&b, json, &it->span, &it->resource, it->host_name, cache,
				      &span_len, &resource_len), 0);
	cr_assert_eq(span_len + resource_len, b.len);
	cr_assert_leq(resource_len, cap);
	memcpy(out, b.data + span_len, resource_len);
	otlp_buf_free(&b);
	return resource_len;
}

/* The resource is encoded once per generation and copied after that: the
 * same bytes; a change the generation does not tell is not seen, one it
 * tells is; a resource without a generation, or one that takes a name from
 * the span, is never kept. */
Test(otlp_encode, resource_bytes_cached_per_generation)
{
	static struct otlp_resource_cache cache;
	struct otlp_item it = oe_full_item();
	uint8_t plain[2048], got[2048];
	size_t n, m;

	for (int json = 0; json < 2; json++) {
		memset(&cache, 0, sizeof(cache));
		it = oe_full_item();
		it.resource.generation = 3;
		n = oe_item_resource(&it, json, NULL, plain, sizeof(plain));
		m = oe_item_resource(&it, json, &cache, got, sizeof(got));
		cr_assert(n == m && !memcmp(plain, got, n), "json %d: first", json);
		cr_assert_eq(cache.e[3].generation, 3);
		strcpy(it.resource.service_name, "other");
		m = oe_item_resource(&it, json, &cache, got, sizeof(got));
		cr_assert(n == m && !memcmp(plain, got, n), "json %d: kept", json);
		it.resource.generation = 3 + OTLP_RESOURCE_CACHE;
		n = oe_item_resource(&it, json, NULL, plain, sizeof(plain));
		m = oe_item_resource(&it, json, &cache, got, sizeof(got));
		cr_assert(n == m && !memcmp(plain, got, n), "json %d: a new generation", json);
		cr_assert(memmem(got, m, "other", 5), "json %d", json);

		it.resource.generation = 0;
		strcpy(it.resource.service_name, "third");
		n = oe_item_resource(&it, json, NULL, plain, sizeof(plain));
		m = oe_item_resource(&it, json, &cache, got, sizeof(got));
		cr_assert(n == m && !memcmp(plain, got, n), "json %d: generation 0", json);
		cr_assert_eq(cache.e[0].generation, 0);

		it.resource.generation = 5;
		it.resource.exe_name[0] = '\0'; /* the span's stands in */
		n = oe_item_resource(&it, json, NULL, plain, sizeof(plain));
		m = oe_item_resource(&it, json, &cache, got, sizeof(got));
		cr_assert(n == m && !memcmp(plain, got, n), "json %d: a name from the span", json);
		cr_assert_eq(cache.e[5].generation, 0);
	}
}

Test(otlp_encode, resource_attributes)
{
	struct otlp_item it = oe_full_item();
	struct otlp_buf b = { 0 };
	struct oe_slice req, rs, res, any, key;
	static const char *const keys[] = {
		"service.name",  "process.pid",  "process.executable.name",
		"process.executable.path", "host.name", "container.id",
		"k8s.pod.name",  "k8s.namespace.name", "deployment.environment",
	};
	uint64_t num;

	/* past the array: clamped; a repeated key: the first kept */
	it.resource.n_attrs = 1000;
	for (int i = 2; i < PROCINFO_ATTRS_MAX; i++) {
		snprintf(it.resource.attrs[i].key, sizeof(it.resource.attrs[i].key),
			 i == 5 ? "deployment.environment" : "extra.%d", i);
		strcpy(it.resource.attrs[i].value, "x");
	}
	cr_assert_eq(otlp_encode_proto(&b, &it, 1), 0);
	oe_assert_wellformed(&b);
	req = (struct oe_slice){ b.data, b.len };
	cr_assert(oe_find(req, 1, 0, &rs, NULL));
	cr_assert(oe_find(rs, 1, 0, &res, NULL));
	cr_assert_eq(oe_count(res, 1), 9 + PROCINFO_ATTRS_MAX - 3);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct oe_slice kv;

		cr_assert(oe_find(res, 1, i, &kv, NULL));
		cr_assert(oe_find(kv, 1, 0, &key, NULL));
		cr_assert(oe_eq(key, keys[i], strlen(keys[i])), "attribute %zu", i);
	}
	cr_assert(oe_attr(res, 1, "service.name", &any));
	cr_assert(oe_find(any, 1, 0, &key, NULL));
	cr_assert(oe_eq(key, "shop", 4));
	cr_assert(oe_attr(res, 1, "deployment.environment", &any));
	cr_assert(oe_find(any, 1, 0, &key, NULL));
	cr_assert(oe_eq(key, "staging", 7));
	cr_assert(oe_attr(res, 1, "process.pid", &any));
	cr_assert(oe_find(any, 3, 0, NULL, &num));
	cr_assert_eq(num, 4242);

	/* The span keeps only the span attributes. */
	{
		struct oe_slice sp = oe_only_span(&b);

		cr_assert_not(oe_attr(sp, 9, "process.pid", &any));
		cr_assert_not(oe_attr(sp, 9, "process.executable.name", &any));
		cr_assert_not(oe_attr(sp, 9, "w3c.tracestate", &any));
		cr_assert(oe_attr(sp, 9, "thread.id", &any));
		cr_assert(oe_find(any, 3, 0, NULL, &num));
		cr_assert_eq(num, 4243);
		cr_assert_eq(oe_count(sp, 9), 14);
	}
	otlp_buf_free(&b);
}

Test(otlp_encode, resource_falls_back_to_the_span_names)
{
	struct otlp_item it = oe_min_item();
	struct otlp_buf b = { 0 };
	struct oe_slice req, rs, res, any, v;

	it.resource.service_name[0] = '\0';
	strcpy(it.span.service_name, "from-span");
	strcpy(it.span.exe_name, "curl");
	cr_assert_eq(otlp_encode_proto(&b, &it, 1), 0);
	req = (struct oe_slice){ b.data, b.len };
	cr_assert(oe_find(req, 1, 0, &rs, NULL));
	cr_assert(oe_find(rs, 1, 0, &res, NULL));
	cr_assert(oe_attr(res, 1, "service.name", &any));
	cr_assert(oe_find(any, 1, 0, &v, NULL));
	cr_assert(oe_eq(v, "from-span", 9));
	cr_assert(oe_attr(res, 1, "process.executable.name", &any));
	cr_assert(oe_find(any, 1, 0, &v, NULL));
	cr_assert(oe_eq(v, "curl", 4));
	cr_assert_not(oe_attr(res, 1, "host.name", &any), "empty: left out");
	otlp_buf_free(&b);
}

/* ---- Status ---- */

static char *oe_json(const struct otlp_item *items, size_t n);

/* The encoded Status of a span whose status and message are set as given:
 * 1 with its code and message, 0 when absent; the JSON must agree. */
static int oe_span_status(uint8_t status, const char *message, uint64_t *code, char *msg,
			  size_t msg_len)
{
	struct otlp_item it = oe_min_item();
	struct otlp_buf b = { 0 };
	struct oe_slice sp, st, m;
	char *js, want[256];
	int found;

	it.span.status = status;
	snprintf(it.span.status_message, sizeof(it.span.status_message), "%s", message);
	sp = oe_encode_one(&b, &it);
	found = oe_find(sp, 15, 0, &st, NULL);
	if (found) {
		cr_assert(oe_find(st, 3, 0, NULL, code));
		cr_assert(oe_find(st, 2, 0, &m, NULL));
		cr_assert_lt(m.n, msg_len);
		memcpy(msg, m.p, m.n);
		msg[m.n] = '\0';
	}
	otlp_buf_free(&b);
	js = oe_json(&it, 1);
	snprintf(want, sizeof(want), "\"status\":{\"code\":%u,\"message\":\"%s\"}", status,
		 message);
	if (found)
		cr_assert_not_null(strstr(js, want), "%s", js);
	else
		cr_assert_null(strstr(js, "\"status\""), "%s", js);
	free(js);
	return found;
}

Test(otlp_encode, status_written_as_given)
{
	uint64_t code = 0;
	char msg[SPAN_STATUS_MSG_MAX];

	cr_assert(oe_span_status(SPAN_STATUS_ERROR, "HTTP 500", &code, msg, sizeof(msg)));
	cr_assert_eq(code, 2);
	cr_assert_str_eq(msg, "HTTP 500");
	cr_assert(oe_span_status(SPAN_STATUS_ERROR, "connection closed before a response", &code,
				 msg, sizeof(msg)));
	cr_assert_eq(code, 2);
	cr_assert_str_eq(msg, "connection closed before a response");
	/* not re-derived from the span's HTTP status (200 here) */
	cr_assert(oe_span_status(SPAN_STATUS_ERROR, "deadlock detected", &code, msg, sizeof(msg)));
	cr_assert_eq(code, 2);
	cr_assert_str_eq(msg, "deadlock detected");
	cr_assert(oe_span_status(SPAN_STATUS_ERROR, "", &code, msg, sizeof(msg)));
	cr_assert_eq(code, 2);
	cr_assert_str_eq(msg, "");
	/* UNSET: no Status field, whatever message is left in the span */
	cr_assert_not(oe_span_status(SPAN_STATUS_UNSET, "", &code, msg, sizeof(msg)),
		      "UNSET: no status field");
	cr_assert_not(oe_span_status(SPAN_STATUS_UNSET, "HTTP 503", &code, msg, sizeof(msg)),
		      "UNSET: no status field");
}

/* The spans the HTTP module builds: the status its rule decided. */
Test(otlp_encode, status_encoded)
{
	struct otlp_item it = oe_full_item(); /* a SERVER's 503 */
	struct otlp_buf b = { 0 };
	struct oe_slice sp, st, m;
	uint64_t code;

	sp = oe_encode_one(&b, &it);
	cr_assert(oe_find(sp, 15, 0, &st, NULL));
	cr_assert(oe_find(st, 3, 0, NULL, &code));
	cr_assert_eq(code, 2);
	cr_assert(oe_find(st, 2, 0, &m, NULL));
	cr_assert(oe_eq(m, "HTTP 503", 8));
	it = oe_min_item(); /* a SERVER's 200 */
	sp = oe_encode_one(&b, &it);
	cr_assert_not(oe_find(sp, 15, 0, &st, NULL));
	otlp_buf_free(&b);
}

/* ---- Optional span fields ---- */

Test(otlp_encode, root_span_has_no_parent_span_id)
{
	struct otlp_item it = oe_min_item();
	struct otlp_buf b = { 0 };
	struct oe_slice sp, v;
	const uint8_t parent[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	sp = oe_encode_one(&b, &it);
	cr_assert_not(oe_find(sp, 4, 0, &v, NULL));

	/* has_parent with an all-zero (invalid) id: still a root */
	it.span.has_parent = 1;
	sp = oe_encode_one(&b, &it);
	cr_assert_not(oe_find(sp, 4, 0, &v, NULL));

	memcpy(it.span.parent_span_id, parent, 8);
	sp = oe_encode_one(&b, &it);
	cr_assert(oe_find(sp, 4, 0, &v, NULL));
	cr_assert(oe_eq(v, parent, 8));

	/* an id without has_parent is ignored */
	it.span.has_parent = 0;
	sp = oe_encode_one(&b, &it);
	cr_assert_not(oe_find(sp, 4, 0, &v, NULL));
	otlp_buf_free(&b);
}

Test(otlp_encode, trace_state_only_when_not_empty)
{
	struct otlp_item it = oe_min_item();
	struct otlp_buf b = { 0 };
	struct oe_slice sp, v;

	sp = oe_encode_one(&b, &it);
	cr_assert_not(oe_find(sp, 3, 0, &v, NULL));
	cr_assert_eq(otlp_encode_json(&b, &it, 1), 0);
	cr_assert_null(memmem(b.data, b.len, "traceState", 10));

	strcpy(it.span.tracestate, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
	sp = oe_encode_one(&b, &it);
	cr_assert(oe_find(sp, 3, 0, &v, NULL));
	cr_assert(oe_eq(v, it.span.tracestate, strlen(it.span.tracestate)));
	cr_assert_eq(otlp_encode_json(&b, &it, 1), 0);
	cr_assert_not_null(memmem(b.data, b.len,
				  "\"traceState\":\"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7\"", 54));
	otlp_buf_free(&b);
}

Test(otlp_encode, kind_and_flags)
{
	struct otlp_item it = oe_min_item();
	struct otlp_buf b = { 0 };
	struct oe_slice sp, v;
	uint64_t num;

	it.span.kind = SPAN_KIND_CLIENT;
	sp = oe_encode_one(&b, &it);
	cr_assert(oe_find(sp, 6, 0, NULL, &num));
	cr_assert_eq(num, 3, "SPAN_KIND_CLIENT");
	cr_assert(oe_find(sp, 16, 0, NULL, &num));
	cr_assert_eq(num, 0x01, "sampled; remote bits unknown");
	it.span.kind = 0;
	sp = oe_encode_one(&b, &it);
	cr_assert_not(oe_find(sp, 6, 0, &v, NULL), "UNSPECIFIED is the default");
	otlp_buf_free(&b);
}

/* ---- The attribute list ---- */

/* Whatever list a protocol built, in its order, then thread.id; int64
 * values as they are, negative ones included. */
Test(otlp_encode, attribute_list_as_built)
{
	static const uint8_t minus_one[] = { 0x18, 0xff, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t int64_min[] = { 0x18, 0x80, 0x80, 0x80, 0x80, 0x80,
					     0x80, 0x80, 0x80, 0x80, 0x01 };
	static const char *const keys[SPAN_ATTRS_MAX] = {
		"k00", "k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08", "k09", "k10", "k11",
		"k12", "k13", "k14", "k15", "k16", "k17", "k18", "k19", "k20", "k21", "k22", "k23",
	};
	struct otlp_item it = oe_min_item();
	struct otlp_buf b = { 0 };
	struct oe_slice sp, kv, k, any, v;
	char *js;

	it.span.attrs.n = it.span.attrs.text_len = 0;
	span_attrs_cstr(&it.span.attrs, "db.system.name", "postgresql");
	span_attrs_int(&it.span.attrs, "db.rows", -1);
	span_attrs_int(&it.span.attrs, "db.min", INT64_MIN);
	it.span.tid = 9;
	sp = oe_encode_one(&b, &it);
	cr_assert_eq(oe_count(sp, 9), 4);
	for (size_t i = 0; i < 4; i++) {
		static const char *const want[] = { "db.system.name", "db.rows", "db.min",
						    "thread.id" };

		cr_assert(oe_find(sp, 9, i, &kv, NULL));
		cr_assert(oe_find(kv, 1, 0, &k, NULL));
		cr_assert(oe_eq(k, want[i], strlen(want[i])), "attribute %zu", i);
	}
	cr_assert(oe_attr(sp, 9, "db.system.name", &any));
	cr_assert(oe_find(any, 1, 0, &v, NULL));
	cr_assert(oe_eq(v, "postgresql", 10));
	cr_assert(oe_attr(sp, 9, "db.rows", &any));
	cr_assert(oe_eq(any, minus_one, sizeof(minus_one)));
	cr_assert(oe_attr(sp, 9, "db.min", &any));
	cr_assert(oe_eq(any, int64_min, sizeof(int64_min)));
	js = oe_json(&it, 1);
	cr_assert_not_null(strstr(js, "\"attributes\":["
				  OE_KV_S("db.system.name", "postgresql") ","
				  OE_KV_I("db.rows", "-1") ","
				  OE_KV_I("db.min", "-9223372036854775808") ","
				  OE_KV_I("thread.id", "9") "]"), "%s", js);
	free(js);

	/* a full list: every attribute and thread.id */
	it.span.attrs.n = it.span.attrs.text_len = 0;
	for (int i = 0; i < SPAN_ATTRS_MAX; i++)
		cr_assert_eq(span_attrs_int(&it.span.attrs, keys[i], i), 0);
	sp = oe_encode_one(&b, &it);
	cr_assert_eq(oe_count(sp, 9), SPAN_ATTRS_MAX + 1);
	cr_assert(oe_attr(sp, 9, "k23", &any));
	otlp_buf_free(&b);
}

/* A list of strings (dns.answers): AnyValue.array_value (5), an ArrayValue
 * whose values (1) are each AnyValue{string_value (1)}; in OTLP/JSON an
 * arrayValue of stringValues. */
Test(otlp_encode, list_attribute_as_array_value)
{
	/* the KeyValue's body, by hand */
	static const uint8_t kv_want[] = {
		0x0a, 0x0b,  /* key (1), 11 bytes */
		'd', 'n', 's', '.', 'a', 'n', 's', 'w', 'e', 'r', 's',
		0x12, 0x15,  /* value (2): AnyValue, LEN 21 */
			0x2a, 0x13,  /* array_value (5): ArrayValue, LEN 19 */
				0x0a, 0x0a,  /* values (1): AnyValue, LEN 10 */
					0x0a, 0x08, '1', '0', '.', '1', '.', '2', '.', '3',
				0x0a, 0x05,  /* values (1): AnyValue, LEN 5 */
					0x0a, 0x03, ':', ':', '1',
	};
	static const uint8_t empty_want[] = { 0x2a, 0x00 };
	/* an invalid byte repaired as in any string */
	static const uint8_t bad_want[] = { 0x2a, 0x0e, 0x0a, 0x05, 0x0a, 0x03, 0xef, 0xbf, 0xbd,
					    0x0a, 0x05, 0x0a, 0x03, 'a', 'b', 'c' };
	struct otlp_item it = oe_min_item();
	struct otlp_buf b = { 0 };
	struct oe_slice sp, kv, any;
	uint8_t field[2 + sizeof(kv_want)];
	char *js;

	cr_assert_eq(sizeof(kv_want), 36);
	it.span.attrs.n = it.span.attrs.text_len = 0;
	cr_assert_eq(span_attrs_list(&it.span.attrs, "dns.answers", "10.1.2.3\0::1\0", 13), 0);
	it.span.tid = 9;
	sp = oe_encode_one(&b, &it);
	cr_assert_eq(oe_count(sp, 9), 2);
	cr_assert(oe_find(sp, 9, 0, &kv, NULL));
	cr_assert_eq(kv.n, sizeof(kv_want), "len %zu", kv.n);
	for (size_t i = 0; i < kv.n; i++)
		cr_assert_eq(kv.p[i], kv_want[i], "byte %zu: %02x, want %02x", i, kv.p[i],
			     kv_want[i]);
	/* with its tag: attributes (9), LEN 36 */
	field[0] = 0x4a;
	field[1] = 0x24;
	memcpy(field + 2, kv_want, sizeof(kv_want));
	cr_assert_not_null(memmem(b.data, b.len, field, sizeof(field)));
	js = oe_json(&it, 1);
	cr_assert_not_null(strstr(js, "\"attributes\":["
				  "{\"key\":\"dns.answers\",\"value\":{\"arrayValue\":{\"values\":["
				  "{\"stringValue\":\"10.1.2.3\"},{\"stringValue\":\"::1\"}]}}},"
				  OE_KV_I("thread.id", "9") "]"), "%s", js);
	free(js);

	/* an empty list; an item that is not UTF-8 */
	it.span.attrs.n = it.span.attrs.text_len = 0;
	cr_assert_eq(span_attrs_list(&it.span.attrs, "empty", "", 0), 0);
	cr_assert_eq(span_attrs_list(&it.span.attrs, "bad", "\xff\0abc\0", 6), 0);
	sp = oe_encode_one(&b, &it);
	cr_assert(oe_attr(sp, 9, "empty", &any));
	cr_assert(oe_eq(any, empty_want, sizeof(empty_want)));
	cr_assert(oe_attr(sp, 9, "bad", &any));
	cr_assert(oe_eq(any, bad_want, sizeof(bad_want)));
	js = oe_json(&it, 1);
	cr_assert_not_null(strstr(js, "\"attributes\":["
				  "{\"key\":\"empty\",\"value\":{\"arrayValue\":{\"values\":[]}}},"
				  "{\"key\":\"bad\",\"value\":{\"arrayValue\":{\"values\":["
				  "{\"stringValue\":\"\\ufffd\"},{\"stringValue\":\"abc\"}]}}},"
				  OE_KV_I("thread.id", "9") "]"), "%s", js);
	free(js);
	otlp_buf_free(&b);
}

/* ---- Varints ---- */

/* The bytes of http.request.body.size's AnyValue for a given size. */
static void oe_check_body_size(uint64_t size, const uint8_t *want, size_t want_len,
			       const char *json_want)
{
	struct otlp_item it = oe_min_item();
	struct otlp_buf b = { 0 };
	struct oe_slice sp, any;
	char needle[128];

	span_fixture_http(&it.span, &(struct http_fields){ .method = "GET", .path = "/",
							  .status = 200, .version_minor = 1,
							  .req_body = size });
	sp = oe_encode_one(&b, &it);
	cr_assert(oe_attr(sp, 9, "http.request.body.size", &any));
	cr_assert(oe_eq(any, want, want_len), "size %llu", (unsigned long long)size);
	cr_assert_eq(otlp_encode_json(&b, &it, 1), 0);
	snprintf(needle, sizeof(needle),
		 "{\"key\":\"http.request.body.size\",\"value\":{\"intValue\":\"%s\"}}", json_want);
	cr_assert_not_null(memmem(b.data, b.len, needle, strlen(needle)), "%s", needle);
	otlp_buf_free(&b);
}

Test(otlp_encode, varint_edges)
{
	static const uint8_t v0[] = { 0x18, 0x00 };
	static const uint8_t v127[] = { 0x18, 0x7f };
	static const uint8_t v128[] = { 0x18, 0x80, 0x01 };
	static const uint8_t v16383[] = { 0x18, 0xff, 0x7f };
	static const uint8_t v16384[] = { 0x18, 0x80, 0x80, 0x01 };
	/* INT64_MAX: 63 one bits, 9 groups of 7 */
	static const uint8_t vmax[] = { 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f };

	oe_check_body_size(0, v0, sizeof(v0), "0");
	oe_check_body_size(127, v127, sizeof(v127), "127");
	oe_check_body_size(128, v128, sizeof(v128), "128");
	oe_check_body_size(16383, v16383, sizeof(v16383), "16383");
	oe_check_body_size(16384, v16384, sizeof(v16384), "16384");
	oe_check_body_size(INT64_MAX, vmax, sizeof(vmax), "9223372036854775807");
	/* 2^63 does not fit int_value (int64): clamped, never negative */
	oe_check_body_size(1ULL << 63, vmax, sizeof(vmax), "9223372036854775807");
	oe_check_body_size(UINT64_MAX, vmax, sizeof(vmax), "9223372036854775807");
}

Test(otlp_encode, nested_lengths_past_one_byte)
{
	enum { N = 300 };
	struct otlp_item *items = calloc(N, sizeof(*items));
	struct otlp_buf b = { 0 };
	struct oe_slice req, rs, ss, sp, v;

	cr_assert_not_null(items);
	for (int i = 0; i < N; i++) {
		items[i] = oe_full_item();
		memset(items[i].span.name + 4, 'r', 255); /* name: 2-byte length */
		items[i].span.span_id[0] = (uint8_t)i;
		items[i].span.span_id[1] = (uint8_t)(i >> 8);
	}
	cr_assert_eq(otlp_encode_proto(&b, items, N), 0);
	oe_assert_wellformed(&b);
	cr_assert_gt(b.len, 1 << 17, "ScopeSpans length takes 3 varint bytes");
	cr_assert_eq(b.cap & (b.cap - 1), 0, "grown by doubling from 4 KiB");
	req = (struct oe_slice){ b.data, b.len };
	cr_assert(oe_find(req, 1, 0, &rs, NULL));
	cr_assert_eq(rs.n + 4, b.len, "tag + 3-byte length + body is the whole request");
	cr_assert(oe_find(rs, 2, 0, &ss, NULL));
	cr_assert_eq(oe_count(ss, 2), N);
	for (int i = 0; i < N; i += 37) {
		cr_assert(oe_find(ss, 2, (size_t)i, &sp, NULL));
		cr_assert(oe_find(sp, 2, 0, &v, NULL));
		cr_assert_eq(v.p[0] | v.p[1] << 8, i);
		cr_assert(oe_find(sp, 5, 0, &v, NULL));
		cr_assert_eq(v.n, 4 + 255);
	}

	/* The buffer is reused: a small batch replaces the big one, byte for
	 * byte what a fresh buffer gets. */
	{
		struct otlp_buf fresh = { 0 };
		size_t big_cap = b.cap;

		cr_assert_eq(otlp_encode_proto(&b, items, 1), 0);
		cr_assert_eq(otlp_encode_proto(&fresh, items, 1), 0);
		cr_assert_eq(b.cap, big_cap, "storage kept");
		cr_assert_eq(b.len, fresh.len);
		cr_assert_eq(memcmp(b.data, fresh.data, b.len), 0);
		otlp_buf_free(&fresh);
	}
	otlp_buf_free(&b);
	free(items);
}

#ifndef __SANITIZE_ADDRESS__ /* ASan reserves terabytes: no RLIMIT_AS there */
/* Address space in use now, from /proc/self/statm (pages). */
static size_t oe_vm_bytes(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%lu", &pages), 1);
	fclose(f);
	return pages * (size_t)sysconf(_SC_PAGESIZE);
}
#endif

Test(otlp_encode, out_of_memory_is_reported)
{
	struct otlp_item it = oe_min_item();
	struct otlp_buf b = { 0 };

	/* a batch too large to group is refused before any item is read */
	cr_assert_eq(otlp_encode_proto(&b, &it, SIZE_MAX / 4), -1);
	cr_assert_eq(b.oom, 1);
	cr_assert_eq(otlp_encode_json(&b, &it, SIZE_MAX / 4), -1);
	cr_assert_eq(b.oom, 1);
	/* the next call starts afresh */
	cr_assert_eq(otlp_encode_proto(&b, &it, 1), 0);
	cr_assert_eq(b.oom, 0);
	otlp_buf_free(&b);

#ifndef __SANITIZE_ADDRESS__
	{
		enum { N = 2000 };
		struct otlp_item *items = calloc(N, sizeof(*items));
		struct rlimit old, lim;
		int rc_proto, rc_json, oom_proto, oom_json;

		cr_assert_not_null(items);
		for (int i = 0; i < N; i++) {
			items[i] = oe_full_item();
			memset(items[i].span.name + 4, 0xff, 255); /* 6x in JSON */
		}
		/* realloc fails part-way: a growth past 256 KiB more is refused */
		cr_assert_eq(getrlimit(RLIMIT_AS, &old), 0);
		lim = old;
		lim.rlim_cur = oe_vm_bytes() + (256 << 10);
		cr_assert_eq(setrlimit(RLIMIT_AS, &lim), 0);
		rc_proto = otlp_encode_proto(&b, items, N);
		oom_proto = b.oom;
		otlp_buf_free(&b);
		rc_json = otlp_encode_json(&b, items, N);
		oom_json = b.oom;
		otlp_buf_free(&b);
		cr_assert_eq(setrlimit(RLIMIT_AS, &old), 0);
		cr_assert_eq(rc_proto, -1);
		cr_assert_eq(oom_proto, 1);
		cr_assert_eq(rc_json, -1);
		cr_assert_eq(oom_json, 1);
		/* with memory back, the same batch encodes and walks clean */
		cr_assert_eq(otlp_encode_proto(&b, items, N), 0);
		oe_assert_wellformed(&b);
		otlp_buf_free(&b);
		free(items);
	}
#endif
}

/* ---- UTF-8 ---- */

Test(otlp_encode, invalid_utf8_replaced_in_protobuf)
{
	struct otlp_item it = oe_min_item();
	struct otlp_buf b = { 0 };
	struct oe_slice sp, v, any;
	/* valid 2-, 3- and 4-byte characters kept; then a stray continuation,
	 * an overlong '/', a surrogate, a cut 3-byte sequence, 0xff */
	static const char route[] = "/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
				    "\x80|\xc0\xaf|\xed\xa0\x80|\xe2\x82|\xff";
	static const char want[] = "GET /\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
				   "\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
				   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
				   "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd";

	span_fixture_http(&it.span, &(struct http_fields){ .method = "GET", .path = "\xfe/x",
							  .route = route, .status = 200,
							  .version_minor = 1 });
	strcpy(it.resource.service_name, "caf\xe9"); /* Latin-1 */
	sp = oe_encode_one(&b, &it); /* the walker checks every string is UTF-8 */
	cr_assert(oe_find(sp, 5, 0, &v, NULL));
	cr_assert(oe_eq(v, want, sizeof(want) - 1), "name %.*s", (int)v.n, (const char *)v.p);
	cr_assert(oe_attr(sp, 9, "url.path", &any));
	cr_assert(oe_find(any, 1, 0, &v, NULL));
	cr_assert(oe_eq(v, "\xef\xbf\xbd/x", 5));
	{
		struct oe_slice req = { b.data, b.len }, rs, res;

		cr_assert(oe_find(req, 1, 0, &rs, NULL));
		cr_assert(oe_find(rs, 1, 0, &res, NULL));
		cr_assert(oe_attr(res, 1, "service.name", &any));
		cr_assert(oe_find(any, 1, 0, &v, NULL));
		cr_assert(oe_eq(v, "caf\xef\xbf\xbd", 6));
	}
	otlp_buf_free(&b);
}

/* Strings are scanned eight bytes at a time while they are ASCII: a bad
 * byte or a valid multibyte character at every offset of a 24-byte string
 * (each word position, the byte tail) comes out as the per-byte rule says. */
Test(otlp_encode, utf8_at_every_offset_in_protobuf)
{
	for (size_t k = 0; k < 24; k++) {
		for (int multi = 0; multi < 2; multi++) {
			char in[32], want[40];
			struct otlp_buf b = { 0 };
			size_t n = 24, w = 0;

			memset(in, 'a' + (int)(k % 26), sizeof(in));
			want[w++] = (char)(7 << 3 | OTLP_PB_LEN);
			want[w++] = 0; /* the length, set below */
			memcpy(want + w, in, k);
			w += k;
			if (multi) { /* U+00E9, kept */
				in[k] = '\xc3';
				in[k + 1] = '\xa9';
				n = 25;
				memcpy(want + w, "\xc3\xa9", 2);
				w += 2;
				memcpy(want + w, in + k + 2, n - k - 2);
				w += n - k - 2;
			} else {   /* a stray 0xff, replaced */
				in[k] = '\xff';
				memcpy(want + w, "\xef\xbf\xbd", 3);
				w += 3;
				memcpy(want + w, in + k + 1, n - k - 1);
				w += n - k - 1;
			}
			want[1] = (char)(w - 2);
			otlp_pb_string(&b, 7, in, n);
			cr_assert_eq(b.len, w, "offset %zu multi %d", k, multi);
			cr_assert(!memcmp(b.data, want, w), "offset %zu multi %d", k, multi);
			otlp_buf_free(&b);
		}
	}
}

/* A protobuf length-delimited field the long way, for the expectations. */
static size_t oe_ref_varint(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

static size_t oe_ref_len_field(uint8_t *out, uint32_t field, const uint8_t *body, size_t n)
{
	size_t w = oe_ref_varint(out, (uint64_t)field << 3 | OTLP_PB_LEN);

	w += oe_ref_varint(out + w, n);
	memcpy(out + w, body, n);
	return w + n;
}

/* KeyValue{key, AnyValue{string_value | int_value}} as the spec lays it out. */
static size_t oe_ref_keyvalue(uint8_t *out, uint32_t field, const struct otlp_attr *a)
{
	uint8_t any[512], kv[1024];
	size_t an = 0, kn;

	if (a->str) {
		an = oe_ref_len_field(any, 1, (const uint8_t *)a->str, a->str_len);
	} else {
		any[an++] = 3 << 3 | OTLP_PB_VARINT;
		an += oe_ref_varint(any + an, (uint64_t)a->num);
	}
	kn = oe_ref_len_field(kv, 1, (const uint8_t *)a->key, a->key_len);
	kn += oe_ref_len_field(kv + kn, 2, any, an);
	return oe_ref_len_field(out, field, kv, kn);
}

/* KeyValues whose lengths fit one byte are written at once; at the edge
 * (127/128), with a long key or value, a negative int, a key or value
 * that is not ASCII, or too little room left in the buffer, the bytes are
 * the same as the spec's layout. */
Test(otlp_encode, keyvalue_bytes_at_every_edge)
{
	static char value[300], key[200];
	const size_t lens[] = { 0, 1, 119, 120, 121, 126, 127, 128, 200 };
	const int64_t nums[] = { 0, 1, 127, 128, -1, INT64_MAX, INT64_MIN };
	uint8_t want[1024];

	memset(value, 'v', sizeof(value));
	memset(key, 'k', sizeof(key));
	for (size_t f = 0; f < 2; f++) {
		for (size_t room = 0; room < 2; room++) {
			for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
				for (size_t k = 0; k < 3; k++) {
					struct otlp_attr a = {
						.key = key, .key_len = k == 2 ? 127 : k + 1,
						.str = value, .str_len = lens[i],
					};
					struct otlp_buf b = { 0 };
					size_t w, at;

					/* room 1: the buffer nearly full, so the
					 * attribute has to grow it */
					cr_assert_eq(otlp_buf_reserve(&b, 1), 0);
					at = room ? b.cap - 3 : 0;
					b.len = at;
					otlp_pb_keyvalue(&b, f ? 9 : 1, &a);
					w = oe_ref_keyvalue(want, f ? 9 : 1, &a);
					cr_assert_eq(b.len - at, w, "len %zu key %zu", lens[i], a.key_len);
					cr_assert(!memcmp(b.data + at, want, w), "len %zu key %zu",
						  lens[i], a.key_len);
					otlp_buf_free(&b);
				}
			}
		}
	}
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		struct otlp_attr a = { .key = "n", .key_len = 1, .num = nums[i] };
		struct otlp_buf b = { 0 };

		otlp_pb_keyvalue(&b, 9, &a);
		{
			size_t w = oe_ref_keyvalue(want, 9, &a);

			cr_assert_eq(b.len, w, "num %lld", (long long)nums[i]);
			cr_assert(!memcmp(b.data, want, w), "num %lld", (long long)nums[i]);
		}
		otlp_buf_free(&b);
	}
	{
		/* not ASCII: valid UTF-8 kept, a bad byte replaced, by the long way */
		struct otlp_attr a = { .key = "k\xc3\xa9", .key_len = 3, .str = "x\xff", .str_len = 2 };
		struct otlp_attr fixed = { .key = "k\xc3\xa9", .key_len = 3, .str = "x\xef\xbf\xbd",
					   .str_len = 4 };
		struct otlp_buf b = { 0 };
		size_t w = oe_ref_keyvalue(want, 1, &fixed);

		otlp_pb_keyvalue(&b, 1, &a);
		cr_assert_eq(b.len, w);
		cr_assert(!memcmp(b.data, want, w));
		otlp_buf_free(&b);
	}
}

/* ---- OTLP/JSON ---- */

static char *oe_json(const struct otlp_item *items, size_t n)
{
	struct otlp_buf b = { 0 };
	char *s;

	cr_assert_eq(otlp_encode_json(&b, items, n), 0);
	cr_assert_eq(b.oom, 0);
	s = strndup((const char *)b.data, b.len);
	cr_assert_eq(strlen(s), b.len, "no NUL inside");
	otlp_buf_free(&b);
	return s;
}


Test(otlp_encode, json_one_span_exact)
{
	struct otlp_item it = oe_full_item();
	char *js = oe_json(&it, 1);
	const char *want =
		"{\"resourceSpans\":[{\"resource\":{\"attributes\":["
		OE_KV_S("service.name", "shop") ","
		OE_KV_I("process.pid", "4242") ","
		OE_KV_S("process.executable.name", "python3") ","
		OE_KV_S("process.executable.path", "/usr/bin/python3") ","
		OE_KV_S("host.name", "node-1") ","
		OE_KV_S("container.id", "abc123") ","
		OE_KV_S("k8s.pod.name", "shop-7d9") ","
		OE_KV_S("k8s.namespace.name", "prod") ","
		OE_KV_S("deployment.environment", "staging")
		"]},\"scopeSpans\":[{\"scope\":{\"name\":\"zerotrace\",\"version\":\"" ZT_VERSION "\"},"
		"\"spans\":[{"
		"\"traceId\":\"0102030405060708090a0b0c0d0e0f10\","
		"\"spanId\":\"a1a2a3a4a5a6a7a8\","
		"\"traceState\":\"vendor=1\","
		"\"parentSpanId\":\"f0f1f2f3f4f5f6f7\","
		"\"name\":\"GET /items/{id}\","
		"\"kind\":2,"
		"\"startTimeUnixNano\":\"1700000000123456789\","
		"\"endTimeUnixNano\":\"1700000000124691356\","
		"\"attributes\":["
		OE_KV_S("http.request.method", "GET") ","
		OE_KV_S("url.path", "/items/42") ","
		OE_KV_S("url.query", "a=1&token=REDACTED") ","
		OE_KV_I("http.response.status_code", "503") ","
		OE_KV_S("server.address", "10.0.0.1") ","
		OE_KV_I("server.port", "8080") ","
		OE_KV_S("client.address", "10.0.0.2") ","
		OE_KV_I("client.port", "54321") ","
		OE_KV_S("network.peer.address", "10.0.0.2") ","
		OE_KV_I("network.peer.port", "54321") ","
		OE_KV_S("network.protocol.version", "1.1") ","
		OE_KV_I("http.request.body.size", "12") ","
		OE_KV_I("http.response.body.size", "5") ","
		OE_KV_I("thread.id", "4243")
		"],"
		"\"status\":{\"code\":2,\"message\":\"HTTP 503\"},"
		"\"flags\":1"
		"}]}]}]}";

	cr_assert_str_eq(js, want);
	free(js);
}

Test(otlp_encode, json_root_unset_span)
{
	struct otlp_item it = oe_min_item();
	char *js = oe_json(&it, 1);
	const char *want =
		"{\"resourceSpans\":[{\"resource\":{\"attributes\":["
		OE_KV_S("service.name", "svc") "," OE_KV_I("process.pid", "7")
		"]},\"scopeSpans\":[{\"scope\":{\"name\":\"zerotrace\",\"version\":\"" ZT_VERSION "\"},"
		"\"spans\":[{"
		"\"traceId\":\"0102030405060708090a0b0c0d0e0f10\","
		"\"spanId\":\"a1a2a3a4a5a6a7a8\","
		"\"name\":\"GET /\",\"kind\":2,"
		"\"startTimeUnixNano\":\"1000\",\"endTimeUnixNano\":\"2000\","
		"\"attributes\":["
		OE_KV_S("http.request.method", "GET") "," OE_KV_S("url.path", "/") ","
		OE_KV_I("http.response.status_code", "200") ","
		OE_KV_S("server.address", "") "," OE_KV_I("server.port", "0") ","
		OE_KV_S("client.address", "") "," OE_KV_I("client.port", "0") ","
		OE_KV_S("network.peer.address", "") "," OE_KV_I("network.peer.port", "0") ","
		OE_KV_S("network.protocol.version", "1.1") ","
		OE_KV_I("http.request.body.size", "0") "," OE_KV_I("http.response.body.size", "0") ","
		OE_KV_I("thread.id", "0")
		"],\"flags\":1}]}]}]}";

	cr_assert_str_eq(js, want);
	free(js);
}

Test(otlp_encode, json_escaping)
{
	struct otlp_item it = oe_min_item();
	char *js;

	span_fixture_http(&it.span, &(struct http_fields){ .method = "GET",
							  .path = "/\xc3\xa9\xff",
							  .query = "</script>",
							  .route = "/a\"b\\c\n\t\x01\x7f",
							  .status = 200, .version_minor = 1 });
	it.resource.n_attrs = 1;
	strcpy(it.resource.attrs[0].key, "we\"ird");
	strcpy(it.resource.attrs[0].value, "line\r\nbreak");
	js = oe_json(&it, 1);
	cr_assert_not_null(strstr(js, "\"name\":\"GET /a\\\"b\\\\c\\n\\t\\u0001\x7f\""), "%s", js);
	cr_assert_not_null(strstr(js, OE_KV_S("url.path", "/\xc3\xa9\\ufffd")), "%s", js);
	cr_assert_not_null(strstr(js, OE_KV_S("url.query", "</script>")), "%s", js);
	cr_assert_not_null(strstr(js, OE_KV_S("we\\\"ird", "line\\r\\nbreak")), "%s", js);
	free(js);
}
