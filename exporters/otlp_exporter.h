/* SPDX-License-Identifier: MIT */
/*
 * OTLP/HTTP exporter of traces and logs: a bounded queue per signal filled
 * by the event loop (never blocking it) and one thread that batches,
 * encodes, optionally gzips, and POSTs spans to <endpoint>/v1/traces and
 * alerts, notes and the traced processes' log lines (--logs) as log
 * records to <endpoint>/v1/logs with libcurl,
 * retrying with exponential backoff and jitter on connection errors, 429,
 * 502, 503 and 504 (honouring Retry-After). Everything dropped is counted.
 */
#ifndef ZT_OTLP_EXPORTER_H
#define ZT_OTLP_EXPORTER_H

#include <stddef.h>
#include <stdint.h>
#include "alert.h"
#include "alert_note.h"
#include "log_record.h"
#include "otlp_encode.h"
#include "otlp_logs_encode.h"

#define OTLP_HEADERS_MAX 16
/* A logs request's bytes at most, before gzip: a batch of log records is
 * cut short of max_batch when their otlp_log_item_size_max add up to more
 * (one record always goes). 4 MiB: gRPC's default message size, a limit
 * OTLP receivers commonly keep (the collector's OTLP/HTTP receiver takes
 * 20 MiB by default). Without it, 512 lines of 4 KiB could make 13 MiB
 * of OTLP/JSON (\ufffd: six bytes for each byte of invalid UTF-8). */
#define OTLP_LOGS_REQUEST_MAX (4u << 20)
/* Log lines (enqueue_log) may fill the log queue but for its last
 * 1/OTLP_LOGS_RESERVE_DIV: that room is kept for alerts and notes, so a
 * chatty process cannot crowd out the audit trail. */
#define OTLP_LOGS_RESERVE_DIV 8
/* The log queue with --logs (the default, 512, is for alerts): ~8 KiB a
 * record at most, pages touched only as lines fill them. */
#define OTLP_LOGS_QUEUE_SIZE_WITH_LOGS 2048
/* Log records per request: at most a quarter of the log queue. */
#define OTLP_LOGS_BATCH_DIV 4

/* What the requests carry. The exporter also speaks Zipkin: the same
 * queue, batching, retry and counters, posting Zipkin's JSON v2 span list
 * (zipkin_encode.h) to url, with no logs. */
enum otlp_protocol {
	OTLP_HTTP_PROTOBUF = 0,
	OTLP_HTTP_JSON = 1,
	ZIPKIN_JSON_V2 = 2,
};

struct otlp_header {
	char name[64];
	char value[256];
};

struct otlp_config {
	char url[1024];          /* full URL, .../v1/traces; "" = no traces */
	char logs_url[1024];     /* full URL, .../v1/logs; "" = no logs */
	enum otlp_protocol protocol;
	int gzip;
	uint32_t timeout_ms;     /* per request, default 10000 */
	uint32_t n_headers;
	struct otlp_header headers[OTLP_HEADERS_MAX];
	uint32_t max_batch;      /* spans per request, default 512 */
	uint32_t max_delay_ms;   /* longest a span waits for a batch, default 1000 */
	uint32_t queue_size;     /* spans waiting at most, default 2048 */
	/* bytes they take at most, encoded; 0: queue_size x 2 KiB (256 KiB at least) */
	uint32_t queue_bytes;
	uint32_t max_retry_ms;   /* give a batch up after retrying this long, default 60000 */
	uint32_t logs_queue_size; /* log records waiting at most, default 512 */
};

struct otlp_stats {
	uint64_t enqueued;
	uint64_t exported;        /* spans the receiver accepted (2xx) */
	uint64_t dropped_full;    /* queue full when the span arrived */
	uint64_t dropped_failed;  /* batches given up: permanent error or retry time spent */
	uint64_t requests;        /* requests, retries and failures: both signals */
	uint64_t retries;
	uint64_t failures;        /* requests that did not get a 2xx */
	uint64_t queue_depth;
	/* Log records (alerts, notes, log lines), each counted once, never in
	 * batches. */
	uint64_t logs_enqueued;
	uint64_t logs_exported;       /* records the receiver accepted (2xx) */
	uint64_t logs_dropped_full;   /* the log queue was full */
	uint64_t logs_dropped_failed; /* permanent error, retry time spent, or stop */
	uint64_t logs_queue_depth;
};

/*
 * Resolves the configuration the standard way: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
 * (used as is) over OTEL_EXPORTER_OTLP_ENDPOINT (+ "/v1/traces") for url,
 * OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (used as is) over
 * OTEL_EXPORTER_OTLP_ENDPOINT (+ "/v1/logs") for logs_url (one signal's
 * URL is never derived from the other's, as the SDK spec says),
 * OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf, http/json),
 * OTEL_EXPORTER_OTLP_HEADERS ("k=v,k2=v2", percent-decoded),
 * OTEL_EXPORTER_OTLP_COMPRESSION (gzip, none), OTEL_EXPORTER_OTLP_TIMEOUT (ms);
 * the _TRACES_ variants win over the general ones, and logs requests use
 * the same protocol, compression, headers and timeout (the _LOGS_ variants
 * of those are not read). `getenv_fn` is getenv in
 * the daemon and a table in tests. Flags are applied afterwards by the
 * caller. Returns 0, or -1 with err filled for an invalid value.
 */
int otlp_config_from_env(struct otlp_config *cfg, const char *(*getenv_fn)(const char *),
			 char *err, size_t err_len);
/*
 * The Zipkin exporter's configuration: base's (the resolved OTLP one:
 * queue, batching, retry, timeout) with no logs, no headers (they are the
 * OTLP collector's credentials), no gzip and protocol ZIPKIN_JSON_V2; then
 * OTEL_EXPORTER_ZIPKIN_ENDPOINT (the full URL, used as is) and
 * OTEL_EXPORTER_ZIPKIN_TIMEOUT (ms) when set. Returns 0, or -1 with err
 * filled for an invalid value.
 */
int zipkin_config_from_env(struct otlp_config *zc, const struct otlp_config *base,
			   const char *(*getenv_fn)(const char *), char *err, size_t err_len);
/* A full URL for the traces (the --zipkin-endpoint flag): 0, or -1 with
 * err (naming `what`) and cfg unchanged. */
int otlp_config_set_traces_url(struct otlp_config *cfg, const char *what, const char *url,
			       char *err, size_t err_len);
/* A base URL for both signals (the --otlp-endpoint flag): url = base +
 * "/v1/traces", logs_url = base + "/v1/logs" (trailing slashes dropped);
 * 0, or -1 with err (naming `what`) and cfg unchanged. */
int otlp_config_set_endpoint(struct otlp_config *cfg, const char *what, const char *base,
			     char *err, size_t err_len);
/* Parses "k=v,k2=v2" into cfg->headers (appending); 0 or -1. */
int otlp_parse_headers(struct otlp_config *cfg, const char *text, char *err, size_t err_len);
/* Backoff before retry `attempt` (0-based): min(5000, 100 * 2^attempt) ms
 * with full jitter from `rnd` in [0, 1); a Retry-After (seconds or HTTP-date,
 * parsed by the caller into ms, 0 = none) wins when larger. */
uint32_t otlp_backoff_ms(uint32_t attempt, double rnd, uint32_t retry_after_ms);
/* Retry-After value to ms: delta-seconds or an IMF-fixdate relative to
 * now_unix; 0 when absent or invalid. */
uint32_t otlp_parse_retry_after(const char *value, int64_t now_unix);
/* 1 for the statuses that are retried: 429, 502, 503, 504. */
int otlp_status_is_retryable(long http_status);

struct otlp_exporter;

/* Copies cfg and starts the thread. NULL when both cfg->url and
 * cfg->logs_url are "" (exporter off), max_batch, queue_size or timeout_ms
 * is 0, logs_queue_size is 0 with a logs_url, or on failure (memory,
 * thread, libcurl). The queues' memory is allocated here: queue_size spans
 * and logs_queue_size log records. Every call below accepts NULL and does
 * nothing with it. */
struct otlp_exporter *otlp_exporter_start(const struct otlp_config *cfg);
/* Copies span + resource into the queue; never blocks; counts a drop when full.
 * resource may be NULL (the span's own names are used). Any thread, never
 * after or during stop. Without a url (logs only) the span is ignored. */
void otlp_exporter_enqueue(struct otlp_exporter *e, const struct span *s,
			   const struct procinfo *resource);
/* Copies the alert into the log queue (sent as one LogRecord, see
 * otlp_logs_encode.h; observed time = now); never blocks. 0 when queued;
 * -1 when the queue was full (counted in logs_dropped_full) or the
 * exporter has no logs_url (not counted: nothing was asked of it). Any
 * thread, never after or during stop. */
int otlp_exporter_enqueue_alert(struct otlp_exporter *e, const struct alert *a);
/* The same for a note (e.g. the audit trail's head hash). */
int otlp_exporter_enqueue_note(struct otlp_exporter *e, const struct alert_note *n);
/* The same for a traced process's log line (OTLP_LOG_APP, see
 * otlp_logs_encode.h): r and the procinfo r->process points to (NULL: a
 * resource of r's pid and comm) are copied, only the bytes in use, so
 * neither is read after the call (the copy, up to ~8 KiB, is made under
 * the queue's lock; the size bound before it). Observed time:
 * r->observed_unix_ns, or now when it is 0. Full also when the line
 * would take the room kept for alerts and notes (OTLP_LOGS_RESERVE_DIV). */
int otlp_exporter_enqueue_log(struct otlp_exporter *e, const struct log_record *r);
/* Sends what is queued (bounded by drain_ms), stops the thread, frees;
 * *final (when not NULL) gets the counters as they stood at the end. */
void otlp_exporter_stop(struct otlp_exporter *e, uint32_t drain_ms, struct otlp_stats *final);
void otlp_exporter_get_stats(struct otlp_exporter *e, struct otlp_stats *out);

#endif /* ZT_OTLP_EXPORTER_H */
