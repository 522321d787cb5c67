/* SPDX-License-Identifier: MIT */
/* Renders finished spans (one JSON object per line, or one readable line)
 * and log records (a JSON line); "type" tells them apart in one stream. */
#ifndef ZT_SPAN_FORMAT_H
#define ZT_SPAN_FORMAT_H

#include <stddef.h>
#include "json.h"
#include "log_record.h"
#include "process.h"
#include "span.h"

/* A JSON line holds any span the model can hold, with any resource, even
 * when every byte is escaped to 6 (\u00XX). */
#define SPAN_JSONL_MAX 65536

/* A process's "resource" object is the same on each of its spans: rendered
 * once per procinfo.generation (and host name) and copied after that. */
#define SPAN_RESOURCE_CACHE 16      /* processes, direct-mapped */
#define SPAN_RESOURCE_JSON_MAX 1024 /* a longer one is rendered each time */

struct span_resource_json {
	uint64_t generation; /* 0: empty */
	const char *host_name;
	uint32_t len;
	char json[SPAN_RESOURCE_JSON_MAX];
};

struct span_resource_cache {
	struct span_resource_json e[SPAN_RESOURCE_CACHE];
};

/* The JSON-lines record (no trailing newline). With res, a "resource"
 * object carries the process's resource as OTLP exports it. With cache, a
 * res whose generation is not 0 is rendered once: the string host_name
 * points to must not change while the cache is in use. */
void span_format_jsonl(struct json_buf *b, const struct span *s, const struct procinfo *res,
		       const char *host_name, struct span_resource_cache *cache);

/* A log record's JSON line (--logs; no trailing newline): "type":"log",
 * its times, severity, body, the ids of the request it was written for
 * ("" when none) and trace_flags, service.name, attributes (log.iostream
 * or zerotrace.log.fd, process.pid, thread.id, process.executable.name,
 * zerotrace.log.truncated when cut) and the process's resource, as spans
 * have them. */
void log_format_jsonl(struct json_buf *b, const struct log_record *r, const char *host_name,
		      struct span_resource_cache *cache);

/* "12:00:01.123 SERVER python3[41] GET /items/{id} 200 1.20ms ..." into out. */
void span_format_pretty(char *out, size_t out_len, const struct span *s);

void span_hex(char *out, const uint8_t *bytes, size_t n);

#endif /* ZT_SPAN_FORMAT_H */
