/* SPDX-License-Identifier: MIT */
/*
 * A call: one request from a client workload to a server workload, as the
 * spans of this node show it. The two spans of a call between two traced
 * processes of this node become one call; a span whose other end is off
 * the node (or not traced) is a call with an address at that end. The
 * service graph and the security detector both read calls, so there is one
 * service graph.
 */
#ifndef ZT_CALL_H
#define ZT_CALL_H

#include <stdint.h>

#include "alert.h"

#define CALL_DETAIL_MAX 96

enum call_connection {
	CALL_CONN_UNSET = 0,   /* both ends traced here */
	CALL_CONN_VIRTUAL,     /* one end is only an address (off the node or not traced) */
	CALL_CONN_DATABASE,    /* the server is a database */
};

struct call {
	struct alert_identity client;
	struct alert_identity server;
	struct alert_evidence client_evidence;
	struct alert_evidence server_evidence;
	char protocol[ALERT_PROTOCOL_MAX];   /* "http", "redis", "postgresql", "mysql" */
	char operation[ALERT_OPERATION_MAX]; /* the span name: "GET /users/{id}", "FLUSHALL" */
	char detail[CALL_DETAIL_MAX];        /* what a payload rule matched, for its reason */
	char client_address[ALERT_ADDR_MAX]; /* the connection's ends, for CIDR rules */
	char server_address[ALERT_ADDR_MAX];
	uint16_t port;           /* the server port */
	uint8_t error;           /* a span of it has status error */
	uint8_t client_seen;     /* the client's span was seen (client_ns holds) */
	uint8_t server_seen;     /* the server's span was seen: a process here accepted it */
	uint8_t connection;      /* enum call_connection */
	uint8_t trace_id[16];    /* of the span alerts point at: the client's when seen */
	uint8_t span_id[8];
	uint32_t payload_rules;  /* a bit per enum alert_rule that the payload tripped */
	uint64_t end_unix_ns;
	uint64_t client_ns;      /* duration as the client saw it */
	uint64_t server_ns;      /* duration as the server saw it */
};

#endif /* ZT_CALL_H */
