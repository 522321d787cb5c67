/* SPDX-License-Identifier: MIT */
/*
 * Alerts as JSON lines, in field names a SIEM maps without glue (ECS
 * flavoured: @timestamp, event.kind/category, rule.id, source.*,
 * destination.*, host.name; trace_id/span_id/trace_flags top level as the
 * OTel "trace context in non-OTLP logs" rule asks), and a small file
 * writer for them.
 */
#ifndef ZT_ALERT_JSON_H
#define ZT_ALERT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"

/* Room for the longest alert line (every string field full of bytes that
 * escape to \u00XX) and its newline: alert_json_format never returns 0
 * with a buffer this big. */
#define ALERT_JSON_MAX 16384

/*
 * One JSON object, no newline, NUL-terminated:
 *   {"@timestamp":"2023-11-14T22:13:20.123456789Z",
 *    "event":{"kind":"alert","category":["network","intrusion_detection"]},
 *    "rule":{"id":"new_edge","description":"..."},"severity":"medium",
 *    "severity_number":16,"reason":"...","count":1,
 *    "network":{"protocol":"http"},"operation":"GET /x",
 *    "source":{"service","namespace","workload","executable","address",
 *              "pid","container_id","pod"},
 *    "destination":{... the same, "port"},
 *    "trace_id":"<32 hex>","span_id":"<16 hex>","trace_flags":"01",
 *    "host":{"name":"node-1"}}
 * Empty strings and zero pid/port are left out, and so are network,
 * operation, source or destination when nothing is in them; the trace
 * fields only when has_trace. Strings are escaped (json.h: invalid UTF-8
 * becomes U+FFFD). Returns the length, or 0 when it did not fit cap.
 */
size_t alert_json_format(const struct alert *a, const char *host_name, char *out, size_t cap);

/* RFC 3339 UTC with `digits` (0..9) fraction digits, e.g.
 * "2023-11-14T22:13:20.123456Z"; returns its length (out: 32 bytes). */
size_t alert_time_rfc3339(char out[32], uint64_t unix_ns, unsigned digits);

/* ---- A JSON-lines alert file ---- */

struct alert_file_stats {
	uint64_t written;  /* lines written whole */
	uint64_t dropped;  /* lines that failed to write (a full disk, a closed pipe) */
};

struct alert_file;

/* path "-" is stdout (shared with the span output: one line per write, so
 * lines never interleave); anything else is opened for appending, created
 * 0600 (alerts carry operations and addresses). NULL with err filled on
 * failure. */
struct alert_file *alert_file_open(const char *path, char *err, size_t err_len);
/* Formats and writes one line, flushed at once (alerts are rare). 0, or -1
 * when the line was dropped (counted; never fatal). Accepts f == NULL. */
int alert_file_write(struct alert_file *f, const struct alert *a, const char *host_name);
void alert_file_get_stats(const struct alert_file *f, struct alert_file_stats *out);
/* Flushes and closes (stdout is flushed, not closed). Accepts NULL. */
void alert_file_close(struct alert_file *f);

#endif /* ZT_ALERT_JSON_H */
