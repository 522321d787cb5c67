// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert_note.h"
#include "alert_sinks.h"
#include "metrics.h"
#include "otlp_exporter.h"
#include "procinfo.h"

struct alert_sinks {
	struct alert_sinks_config cfg;
	struct alert_file *file;
	struct syslog_sink *syslog;
	struct audit *audit;
	uint64_t heads_sent;
};

/* The audit chain's head leaves the node: what `audit verify --head` checks. */
static void as_on_head(void *ctx, const char *file_name, uint64_t seq, const char *sha256_hex)
{
	struct alert_sinks *k = ctx;
	struct alert_note n = { .severity = ALERT_SEV_INFO };
	struct timespec ts;
	char s[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	n.time_unix_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	snprintf(n.name, sizeof(n.name), "zerotrace.audit.head");
	snprintf(n.message, sizeof(n.message), "audit head %s seq=%" PRIu64 " sha256=%s", file_name,
		 seq, sha256_hex);
	snprintf(s, sizeof(s), "%" PRIu64, seq);
	alert_note_param(&n, "file", file_name);
	alert_note_param(&n, "seq", s);
	alert_note_param(&n, "sha256", sha256_hex);
	if (k->cfg.otlp)
		otlp_exporter_enqueue_note(k->cfg.otlp, &n);
	if (k->syslog)
		syslog_send_note(k->syslog, &n);
	k->heads_sent++;
}

struct alert_sinks *alert_sinks_open(const struct alert_sinks_config *c, char *err, size_t err_len)
{
	struct alert_sinks *k = calloc(1, sizeof(*k));
	char why[512];

	if (!k) {
		snprintf(err, err_len, "allocate the alert outputs: %s", strerror(ENOMEM));
		return NULL;
	}
	k->cfg = *c;
	if (c->alerts_output[0]) {
		k->file = alert_file_open(c->alerts_output, why, sizeof(why));
		if (!k->file) {
			snprintf(err, err_len, "--alerts-output: %s", why);
			goto fail;
		}
	}
	if (c->syslog_addr[0]) {
		k->syslog = syslog_open(c->syslog_addr, why, sizeof(why));
		if (!k->syslog) {
			snprintf(err, err_len, "--syslog-addr: %s", why);
			goto fail;
		}
	}
	if (c->audit_dir[0]) {
		struct audit_config ac = {
			.dir = c->audit_dir, .max_size = c->audit_max_size,
			.max_age_ns = c->audit_max_age_ns, .keep = c->audit_keep,
			.host_name = procinfo_host_name(),
		};

		k->audit = audit_open(&ac, as_on_head, k, why, sizeof(why));
		if (!k->audit) {
			snprintf(err, err_len, "--audit-dir: %s", why);
			goto fail;
		}
	}
	return k;
fail:
	alert_sinks_close(k, NULL);
	return NULL;
}

void alert_sinks_alert(void *ctx, const struct alert *a)
{
	struct alert_sinks *k = ctx;

	if (k->file)
		alert_file_write(k->file, a, procinfo_host_name());
	if (k->cfg.metrics)
		metrics_record_alert(k->cfg.metrics, a);
	if (k->cfg.otlp)
		otlp_exporter_enqueue_alert(k->cfg.otlp, a);
	if (k->syslog)
		syslog_send_alert(k->syslog, a);
	if (k->audit)
		audit_alert(k->audit, a);
}

void alert_sinks_span(struct alert_sinks *k, const struct span *s)
{
	int server_side = s->kind == SPAN_KIND_SERVER;
	const char *protocol = "";

	if (!k->audit)
		return;
	if (s->metric.family == METRIC_HTTP_SERVER || s->metric.family == METRIC_HTTP_CLIENT)
		protocol = "http";
	else if (s->metric.family == METRIC_DB_SERVER || s->metric.family == METRIC_DB_CLIENT)
		protocol = span_metric_label(&s->metric, 0);
	/* this process's end by its service.name, the other by its address */
	audit_span(k->audit, s, server_side ? s->client.address : s->service_name,
		   server_side ? s->service_name : s->server.address, protocol);
}

void alert_sinks_tick(struct alert_sinks *k, uint64_t now_unix_ns)
{
	int e;

	syslog_tick(k->syslog);
	if (!k->audit)
		return;
	audit_tick(k->audit, now_unix_ns);
	e = audit_take_failure(k->audit);
	if (e && !(k->cfg.disabled_rules & (1u << ALERT_AUDIT_WRITE_FAILED))) {
		struct alert a = {
			.time_unix_ns = now_unix_ns,
			.rule = ALERT_AUDIT_WRITE_FAILED,
			.severity = alert_rules[ALERT_AUDIT_WRITE_FAILED].severity,
			.count = 1,
		};

		snprintf(a.reason, sizeof(a.reason), "the audit trail in %s cannot be written (%s): records are lost and counted until it can",
			 k->cfg.audit_dir, strerror(e));
		alert_sinks_alert(k, &a);
	}
}

void alert_sinks_close(struct alert_sinks *k, struct alert_sinks_stats *final)
{
	if (!k)
		return;
	if (final)
		memset(final, 0, sizeof(*final));
	if (k->audit) {
		if (final)
			audit_get_stats(k->audit, &final->audit);
		/* closing chains the file: its head leaves while syslog is open */
		audit_close(k->audit);
		k->audit = NULL;
	}
	if (final) {
		if (k->file)
			alert_file_get_stats(k->file, &final->file);
		if (k->syslog)
			syslog_get_stats(k->syslog, &final->syslog);
		final->heads_sent = k->heads_sent;
	}
	alert_file_close(k->file);
	syslog_close(k->syslog);
	free(k);
}
