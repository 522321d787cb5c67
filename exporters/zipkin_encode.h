/* SPDX-License-Identifier: MIT */
/*
 * Zipkin's JSON v2 span list (POST /api/v2/spans), for the exporter's
 * Zipkin mode. Pure: bytes in, bytes out. Field by field, following
 * Zipkin's API description (zipkin2-api.yaml) and matching what
 * OpenTelemetry's Zipkin exporter writes for the same span:
 *
 *   traceId        32 lowercase hex; 16 when its high 64 bits are zero (a
 *                  64-bit trace from a Zipkin-instrumented peer)
 *   id, parentId   16 hex; parentId absent for a root
 *   kind           SERVER or CLIENT
 *   name           the span's name
 *   timestamp      start, epoch microseconds (rounded)
 *   duration       microseconds (rounded); at least 1, as Zipkin asks
 *   localEndpoint  {"serviceName"}: the process's service.name
 *   remoteEndpoint the connection's other end, {"ipv4"|"ipv6", "port"}
 *                  (an IPv4-mapped IPv6 address as ipv4), and on a CLIENT
 *                  span "serviceName": server.address; absent when the
 *                  address is not known
 *   tags           every attribute as a string (a list as a JSON list in
 *                  the string, ["a","b"]), otel.status_code and error (the
 *                  status message, "" when none) for an error span, then
 *                  the resource's attributes, which win over a span
 *                  attribute of the same key; an attribute named error or
 *                  otel.status_code gives way to the status on an error span
 *
 * "shared" is never written: a SERVER span here has its own id, the CLIENT
 * span's id is its parentId, so no two spans share an id. "debug" and
 * "annotations" have nothing to carry.
 */
#ifndef ZT_ZIPKIN_ENCODE_H
#define ZT_ZIPKIN_ENCODE_H

#include <stddef.h>
#include <stdint.h>
#include "otlp_encode.h"

/* Appends s as one Zipkin span object. 0, or -1 when out of memory. */
int zipkin_encode_span(struct otlp_buf *b, const struct span *s, const struct procinfo *resource,
		       const char *host_name);
/* The request body for n spans encoded by zipkin_encode_span: a JSON
 * array of them. */
int zipkin_encode_assemble(struct otlp_buf *b, const struct otlp_encoded *items, size_t n);

#endif /* ZT_ZIPKIN_ENCODE_H */
