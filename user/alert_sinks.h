/* SPDX-License-Identifier: MIT */
/*
 * Where alerts go, and the audit trail: JSON lines (--alerts-output),
 * syslog (--syslog-addr), the audit files (--audit-dir), and the /metrics
 * and OTLP exporters the caller owns. The audit chain's new head (on every
 * rotation) leaves the node as an OTLP log record and a syslog line, and a
 * failing audit trail is one audit_write_failed alert per episode.
 */
#ifndef ZT_ALERT_SINKS_H
#define ZT_ALERT_SINKS_H

#include <stdint.h>

#include "alert.h"
#include "alert_json.h"
#include "audit.h"
#include "span.h"
#include "syslog_sink.h"

struct metrics;
struct otlp_exporter;

struct alert_sinks_config {
	const char *alerts_output;  /* "" off, "-" stdout */
	const char *syslog_addr;    /* "" off */
	const char *audit_dir;      /* "" off */
	uint64_t audit_max_size;
	uint64_t audit_max_age_ns;
	uint32_t audit_keep;
	uint32_t disabled_rules;    /* a bit per enum alert_rule */
	struct metrics *metrics;    /* NULL: none; the caller's */
	struct otlp_exporter *otlp; /* NULL: none; the caller's, stopped after alert_sinks_close */
};

struct alert_sinks_stats {
	struct alert_file_stats file;
	struct syslog_stats syslog;
	struct audit_stats audit;
	uint64_t heads_sent;
};

struct alert_sinks;

/* NULL with err ("--audit-dir: ...") when an output cannot be opened. */
struct alert_sinks *alert_sinks_open(const struct alert_sinks_config *c, char *err, size_t err_len);
/* An alert_fn: every output. */
void alert_sinks_alert(void *ctx, const struct alert *a);
/* A finished span: its audit record. */
void alert_sinks_span(struct alert_sinks *k, const struct span *s);
/* At least once a second (wall clock). */
void alert_sinks_tick(struct alert_sinks *k, uint64_t now_unix_ns);
/* Closes the audit file (its head is sent), the alert file and syslog;
 * fills final (may be NULL). */
void alert_sinks_close(struct alert_sinks *k, struct alert_sinks_stats *final);

#endif /* ZT_ALERT_SINKS_H */
