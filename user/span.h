/* SPDX-License-Identifier: MIT */
/*
 * Span model and builder: turns one HTTP exchange seen on one connection into
 * a span. Pure: the caller supplies the connection facts, the clock offset
 * and the ids.
 */
#ifndef ZT_SPAN_H
#define ZT_SPAN_H

#include <stdint.h>
#include "events.h"
#include "http1.h"

#define SPAN_ROUTE_MAX 256
#define SPAN_QUERY_MAX 512
#define SPAN_ADDR_MAX 48 /* INET6_ADDRSTRLEN rounded up */
#define SPAN_SERVICE_MAX 128

enum span_kind {
	SPAN_KIND_SERVER = 1,
	SPAN_KIND_CLIENT = 2,
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
	uint8_t has_status;     /* a response was seen */
	uint8_t version_minor;
	uint16_t status;
	uint64_t start_unix_ns;
	uint64_t end_unix_ns;
	uint64_t req_body_size;
	uint64_t resp_body_size;
	uint32_t pid;
	uint32_t tid;
	uint32_t msg_flags;     /* HTTP1_MSG_* of request | response */
	char method[HTTP1_METHOD_MAX];
	char path[HTTP1_TARGET_MAX];
	char query[SPAN_QUERY_MAX]; /* redacted; "" when the target had no '?' */
	uint8_t has_query;
	char route[SPAN_ROUTE_MAX];
	struct span_endpoint server;
	struct span_endpoint client;
	struct span_endpoint peer;
	char tracestate[HTTP1_TRACESTATE_MAX]; /* adopted with a wire context, else "" */
	char exe_name[ZT_COMM_LEN];
	char comm[ZT_COMM_LEN];     /* with pid: the key of the process's resource */
	char service_name[SPAN_SERVICE_MAX];
};

/* What the connection knows when an exchange completes. */
struct span_conn_info {
	const struct zt_conn_tuple *tuple;
	uint8_t role;            /* ZT_ROLE_SERVER or ZT_ROLE_CLIENT */
	uint32_t pid;
	uint32_t tid;
	const char *exe_name;
	const char *comm;
	const char *service_name;
	int64_t mono_to_unix_ns; /* add to CLOCK_MONOTONIC tags for wall time */
};

/* Renders an address from a tuple (v4-mapped IPv6 shown as IPv4). */
void span_format_addr(char *out, size_t out_len, uint16_t family, const uint8_t addr[16]);

/* Fills everything but the ids. Returns 0, or -1 if role is not known. */
int span_build(struct span *s, const struct http1_exchange *ex,
	       const struct span_conn_info *ci);

/* "{method} {route}" into out. */
void span_name(const struct span *s, char *out, size_t out_len);

#endif /* ZT_SPAN_H */
