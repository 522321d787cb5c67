/* SPDX-License-Identifier: MIT */
/*
 * The span model every stage below the parsers and every exporter shares.
 * A protocol builds a span's name, status and typed attribute list once;
 * JSON lines, OTLP protobuf and OTLP/JSON iterate that one list. Fixed
 * size: a span is copied by value, never allocated per event.
 */
#ifndef ZT_SPAN_H
#define ZT_SPAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "metric_family.h"
#include "process.h"

#define SPAN_NAME_MAX 288       /* "{method} {route}", "{operation} {table}" */
#define SPAN_ADDR_MAX 48        /* INET6_ADDRSTRLEN rounded up */
#define SPAN_SERVICE_MAX 128
#define SPAN_TRACESTATE_MAX 256
#define SPAN_CODE_MAX 16
#define SPAN_STATUS_MSG_MAX 96
#define SPAN_ATTRS_MAX 24
#define SPAN_TEXT_MAX 3072      /* every string attribute value, back to back */
#define SPAN_COMM_LEN 16

enum span_kind {
	SPAN_KIND_SERVER = 1,
	SPAN_KIND_CLIENT = 2,
};

/* OTLP Status.StatusCode values, so exporters write them as they are. */
enum span_status {
	SPAN_STATUS_UNSET = 0,
	SPAN_STATUS_ERROR = 2,
};

enum span_attr_type {
	SPAN_ATTR_STR = 1,
	SPAN_ATTR_INT = 2,
	SPAN_ATTR_STRS = 3, /* a list of strings: in text, each followed by a NUL */
};

/* A value lives in the list's text (strings) or in the attribute (ints);
 * keys are string literals of the module that adds them, their length
 * kept so that no exporter measures them again per span. */
struct span_attr {
	const char *key;
	int64_t num;
	uint16_t off;  /* string: offset in text */
	uint16_t len;  /* string: length (no NUL in text) */
	uint8_t type;  /* enum span_attr_type */
	uint8_t key_len;
};

#define SPAN_ATTR_KEY_MAX 255

struct span_attrs {
	uint16_t n;
	uint16_t text_len;
	uint8_t overflow; /* an attribute did not fit: dropped, never cut silently */
	struct span_attr a[SPAN_ATTRS_MAX];
	char text[SPAN_TEXT_MAX];
};

/* The metric a span feeds: a family of metric_family.h and its label
 * values after service_name, NUL-separated, each cut to its label's width. */
struct span_metric {
	uint8_t family; /* enum metric_family; METRIC_NONE: none */
	uint16_t off[METRIC_LABELS_MAX];
	char text[METRIC_LABELS_TEXT_MAX];
};

struct span_endpoint {
	char address[SPAN_ADDR_MAX];
	uint16_t port;
};

struct span {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_span_id[8];
	uint8_t has_parent;
	uint8_t kind;           /* enum span_kind */
	uint8_t status;         /* enum span_status */
	uint8_t sampled;        /* its trace's head decision: 1, exported */
	uint8_t sample_reason;  /* why (user/sampler.h, enum sample_reason) */
	uint8_t sample_head;    /* it made that decision: the trace's first span here */
	uint64_t start_unix_ns;
	uint64_t end_unix_ns;
	uint64_t req_size;      /* the request's payload bytes, as its protocol counts them */
	uint64_t resp_size;
	uint32_t pid;
	uint32_t tid;
	const struct procinfo *process; /* snapshot for synchronous sinks; NULL: none */
	char name[SPAN_NAME_MAX];
	char code[SPAN_CODE_MAX];   /* the protocol's own status code, "" when none */
	char status_message[SPAN_STATUS_MSG_MAX]; /* with SPAN_STATUS_ERROR */
	char tracestate[SPAN_TRACESTATE_MAX]; /* adopted with a wire context, else "" */
	struct span_endpoint server;
	struct span_endpoint client;
	struct span_endpoint peer;
	char exe_name[SPAN_COMM_LEN];
	char comm[SPAN_COMM_LEN];   /* with pid: the key of the process's resource */
	char service_name[SPAN_SERVICE_MAX];
	struct span_metric metric;
	struct span_attrs attrs;
};

_Static_assert(offsetof(struct span, attrs) + offsetof(struct span_attrs, text) +
		       SPAN_TEXT_MAX == sizeof(struct span),
	       "the attributes' text ends the span: span_copy copies up to what it holds");

/* A copy of what src holds, its attributes' text only as far as it is
 * used (of 3 KiB): what a queue of spans copies per span. */
void span_copy(struct span *dst, const struct span *src);

/* Appends an attribute; returns 0, or -1 (counted in overflow) when the
 * list or its text is full. Strings are copied (n bytes, may hold NULs).
 * span_attrs_str's offset is what span_metric and views point at. */
int span_attrs_put_str(struct span_attrs *l, const char *key, size_t key_len, const char *s,
		       size_t n);
int span_attrs_put_int(struct span_attrs *l, const char *key, size_t key_len, int64_t v);
/* Inline, so a literal key's length is known where it is written. */
static inline int span_attrs_str(struct span_attrs *l, const char *key, const char *s, size_t n)
{
	return span_attrs_put_str(l, key, strlen(key), s, n);
}
static inline int span_attrs_cstr(struct span_attrs *l, const char *key, const char *s)
{
	return span_attrs_put_str(l, key, strlen(key), s, s ? strlen(s) : 0);
}
static inline int span_attrs_int(struct span_attrs *l, const char *key, int64_t v)
{
	return span_attrs_put_int(l, key, strlen(key), v);
}
/* A list of strings, s[0..n) holding each followed by a NUL ("a\0b\0"). */
int span_attrs_list(struct span_attrs *l, const char *key, const char *s, size_t n);
/* The value of a string attribute (not NUL-terminated), len in *n; of a
 * list, its NUL-separated items. */
const char *span_attr_str(const struct span_attrs *l, const struct span_attr *a, size_t *n);

/* Sets the family and its label values (the family's label count of
 * them; NULL is ""), each cut to its label's width. */
void span_metric_set(struct span_metric *m, uint8_t family, const char *const values[]);
/* Label i's value, NUL-terminated ("" past the family's labels). */
const char *span_metric_label(const struct span_metric *m, uint32_t i);

/* Renders an address from a tuple (v4-mapped IPv6 shown as IPv4). */
void span_format_addr(char *out, size_t out_len, uint16_t family, const uint8_t addr[16]);
/* server.address/port, client.address/port, network.peer.address/port from
 * the span's endpoints, in that order. */
void span_attrs_endpoints(struct span_attrs *l, const struct span *s);

#endif /* ZT_SPAN_H */
