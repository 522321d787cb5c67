/* SPDX-License-Identifier: MIT */
/*
 * OTLP trace encoding: ExportTraceServiceRequest as protobuf (the default of
 * OTLP/HTTP) and as OTLP/JSON. Pure: the exporter thread hands in a batch,
 * gets bytes back. Field numbers from opentelemetry-proto
 * (collector/trace/v1, trace/v1, resource/v1, common/v1).
 */
#ifndef ZT_OTLP_ENCODE_H
#define ZT_OTLP_ENCODE_H

#include <stddef.h>
#include <stdint.h>
#include "otlp_wire.h"
#include "process.h"
#include "span.h"

#define OTLP_SCOPE_NAME "zerotrace"

/* One span with a snapshot of its process's resource: a batch given whole
 * (otlp_encode_proto); the exporter's queue holds them encoded
 * (struct otlp_encoded below). */
struct otlp_item {
	struct span span;
	struct procinfo resource;
	char host_name[PROCINFO_NAME_MAX];
};

/* struct otlp_buf and otlp_buf_free: otlp_wire.h. */

/* The span's own attributes, then thread.id. */
#define OTLP_SPAN_ATTRS_MAX (SPAN_ATTRS_MAX + 1)
/* 8 the agent sets, then the process's own. */
#define OTLP_RES_ATTRS_MAX (8 + PROCINFO_ATTRS_MAX)

/* The attribute lists every span exporter writes (OTLP, Zipkin's tags):
 * the span's, as the JSON lines print it minus process.pid and
 * process.executable.name (the resource's), plus thread.id; into
 * a[OTLP_SPAN_ATTRS_MAX], returning how many. */
size_t otlp_span_attrs(const struct span *s, struct otlp_attr *a);
/* The resource's: service.name, process.pid, process.executable.name and
 * .path, host.name, container.id, k8s.pod.name, k8s.namespace.name when
 * known, then the process's other OTEL_RESOURCE_ATTRIBUTES (keys unique);
 * s stands in for the process's names when it was gone too soon. Into
 * a[OTLP_RES_ATTRS_MAX]. */
size_t otlp_resource_attrs(const struct procinfo *r, const struct span *s, const char *host_name,
			   struct otlp_attr *a);

/*
 * Encodes the batch: one ResourceSpans per process (items grouped by pid and
 * start_time, in first-seen order), each with one ScopeSpans (scope name
 * OTLP_SCOPE_NAME, version ZT_VERSION). Resource attributes: service.name,
 * process.pid, process.executable.name, process.executable.path, host.name,
 * container.id and k8s.pod.name / k8s.namespace.name when known, and the
 * process's other OTEL_RESOURCE_ATTRIBUTES. Span: trace_id, span_id,
 * parent_span_id (absent for a root), trace_state (w3c.tracestate), name,
 * kind (SERVER=2, CLIENT=3), start/end time, the span's attribute list
 * (the one the JSON lines print) and thread.id, and its status as the
 * protocol decided it (message and code when ERROR; absent when UNSET).
 * Returns 0, or -1 when out of memory (b->oom).
 */
int otlp_encode_proto(struct otlp_buf *b, const struct otlp_item *items, size_t n);
/* The same request as OTLP/JSON (ids as lowercase hex, 64-bit integers as
 * decimal strings, enums as integers, per the OTLP/JSON mapping). */
int otlp_encode_json(struct otlp_buf *b, const struct otlp_item *items, size_t n);
/*
 * What the exporter's queue holds: a span encoded when it was queued, its
 * Span (protobuf: the whole spans field of ScopeSpans, tag and length
 * included; JSON: the span object) and its process's Resource attributes
 * (protobuf: the Resource message's body; JSON: the "attributes" member),
 * kept apart per (pid, start_time) as the batch groups them.
 */
struct otlp_encoded {
	uint64_t start_time;
	uint32_t pid;
	uint32_t span_len;
	uint32_t resource_len;
	const uint8_t *span;
	const uint8_t *resource;
};

/* A process's resource bytes are the same on each of its spans: kept per
 * procinfo.generation, for one protocol and host name (one exporter's). */
#define OTLP_RESOURCE_CACHE 16       /* processes, direct-mapped */
#define OTLP_RESOURCE_BYTES_MAX 1024 /* longer ones are encoded each time */

struct otlp_resource_bytes {
	uint64_t generation; /* 0: empty */
	uint32_t len;
	uint8_t bytes[OTLP_RESOURCE_BYTES_MAX];
};

struct otlp_resource_cache {
	struct otlp_resource_bytes e[OTLP_RESOURCE_CACHE];
};

/* Appends s's bytes, then its resource's, to b; their lengths in
 * *span_len and *resource_len. resource is not NULL: for a process that
 * is gone, a zeroed one with its pid (s's own names stand in for its
 * empty ones). With cache, a resource with a generation and names of its
 * own is encoded once. Returns 0, or -1 when out of memory. */
int otlp_encode_item(struct otlp_buf *b, int json, const struct span *s,
		     const struct procinfo *resource, const char *host_name,
		     struct otlp_resource_cache *cache, uint32_t *span_len, uint32_t *resource_len);
/* The request for n encoded spans, grouped as otlp_encode_proto says; the
 * same bytes as otlp_encode_proto (json: otlp_encode_json) of the items
 * they were encoded from. */
int otlp_encode_assemble(struct otlp_buf *b, int json, const struct otlp_encoded *items,
			 size_t n);

#endif /* ZT_OTLP_ENCODE_H */
