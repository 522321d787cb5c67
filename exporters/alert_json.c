// SPDX-License-Identifier: MIT
/*
 * Alert JSON lines: a fixed-buffer formatter (json.h, no allocation) and a
 * file writer.
 *
 * Choices:
 * - The layout follows ECS where ECS has a field (event.kind "alert",
 *   event.category, rule.id and rule.description, source.address,
 *   destination.address and destination.port, host.name), so Elastic and
 *   OpenSearch take it as is; what ECS has no
 *   field for (the workload identity) uses the same nesting with plain
 *   names: service, namespace, workload, executable, container_id, pod.
 * - severity is the rule's name for it and severity_number the OTel
 *   SeverityNumber, the same numbers the OTLP logs carry.
 * - The trace context is top level (trace_id, span_id, trace_flags "01": the
 *   spans the agent exports are all sampled), as OTel's "trace context in
 *   non-OTLP log formats" asks of JSON.
 * - Files are written with write(2) and one call per line: after a failed or
 *   short write the next line starts with a newline, so one broken line
 *   never swallows the next. stdout goes through stdio because the span
 *   output buffers there too.
 */
#define _GNU_SOURCE
#include "alert_json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"

/* Length of a string in a fixed array, even one with no NUL. */
#define AJ_FLEN(arr) strnlen((arr), sizeof(arr))

size_t alert_time_rfc3339(char out[32], uint64_t unix_ns, unsigned digits)
{
	time_t secs = (time_t)(unix_ns / 1000000000ULL);
	uint32_t frac = (uint32_t)(unix_ns % 1000000000ULL);
	struct tm tm;
	size_t n;

	if (digits > 9)
		digits = 9;
	if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 > 9999) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = 70;
		tm.tm_mday = 1;
		frac = 0;
	}
	n = (size_t)snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
			     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (digits) {
		for (unsigned i = digits; i < 9; i++)
			frac /= 10;
		n += (size_t)snprintf(out + n, 32 - n, ".%0*u", (int)digits, frac);
	}
	out[n++] = 'Z';
	out[n] = '\0';
	return n;
}

/* ,"key":"value" when value is not empty; *first says whether a comma goes
 * before it (the first member of an object has none). */
static void put_member(struct json_buf *b, int *first, const char *key, const char *v, size_t n)
{
	if (!n)
		return;
	json_put_rawz(b, *first ? "\"" : ",\"");
	json_put_rawz(b, key);
	json_put_rawz(b, "\":");
	json_put_string(b, (const uint8_t *)v, n);
	*first = 0;
}

static void put_member_u64(struct json_buf *b, int *first, const char *key, uint64_t v)
{
	if (!v)
		return;
	json_put_rawz(b, *first ? "\"" : ",\"");
	json_put_rawz(b, key);
	json_put_rawz(b, "\":");
	json_put_u64(b, v);
	*first = 0;
}

static int identity_empty(const struct alert_identity *id, const struct alert_evidence *ev,
			  uint16_t port)
{
	return !id->service[0] && !id->k8s_namespace[0] && !id->k8s_workload[0] && !id->exe[0] &&
	       !id->address[0] && !ev->pid && !ev->container_id[0] && !ev->k8s_pod_name[0] &&
	       !port;
}

/* ,"source":{...} (port 0 for the source: the client's port is not kept). */
static void put_end(struct json_buf *b, const char *key, const struct alert_identity *id,
		    const struct alert_evidence *ev, uint16_t port)
{
	int first = 1;

	if (identity_empty(id, ev, port))
		return;
	json_put_rawz(b, ",\"");
	json_put_rawz(b, key);
	json_put_rawz(b, "\":{");
	put_member(b, &first, "service", id->service, AJ_FLEN(id->service));
	put_member(b, &first, "namespace", id->k8s_namespace, AJ_FLEN(id->k8s_namespace));
	put_member(b, &first, "workload", id->k8s_workload, AJ_FLEN(id->k8s_workload));
	put_member(b, &first, "executable", id->exe, AJ_FLEN(id->exe));
	put_member(b, &first, "address", id->address, AJ_FLEN(id->address));
	put_member_u64(b, &first, "port", port);
	put_member_u64(b, &first, "pid", ev->pid);
	put_member(b, &first, "container_id", ev->container_id, AJ_FLEN(ev->container_id));
	put_member(b, &first, "pod", ev->k8s_pod_name, AJ_FLEN(ev->k8s_pod_name));
	json_put_rawz(b, "}");
}

static void put_hex(struct json_buf *b, const char *key, const uint8_t *id, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char hex[33];

	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[id[i] >> 4];
		hex[2 * i + 1] = digits[id[i] & 0xf];
	}
	json_put_rawz(b, key);
	json_put_string(b, (const uint8_t *)hex, 2 * n);
}

size_t alert_json_format(const struct alert *a, const char *host_name, char *out, size_t cap)
{
	const struct alert_rule_desc *rule =
		a->rule < ALERT_RULE_COUNT ? &alert_rules[a->rule] : NULL;
	struct json_buf b;
	char ts[32];
	size_t n;
	int first;

	if (!out || !cap)
		return 0;
	json_buf_init(&b, out, cap);
	alert_time_rfc3339(ts, a->time_unix_ns, 9);
	json_put_rawz(&b, "{\"type\":\"alert\",\"@timestamp\":\"");
	json_put_rawz(&b, ts);
	json_put_rawz(&b, "\",\"event\":{\"kind\":\"alert\",\"category\":[\"network\","
			  "\"intrusion_detection\"]},\"rule\":{\"id\":");
	json_put_cstr(&b, rule ? rule->name : "unknown");
	json_put_rawz(&b, ",\"description\":");
	json_put_cstr(&b, rule ? rule->summary : "");
	json_put_rawz(&b, "},\"severity\":");
	json_put_cstr(&b, alert_severity_name(a->severity));
	json_put_rawz(&b, ",\"severity_number\":");
	json_put_u64(&b, alert_severity_otel(a->severity));
	json_put_rawz(&b, ",\"reason\":");
	json_put_string(&b, (const uint8_t *)a->reason, AJ_FLEN(a->reason));
	json_put_rawz(&b, ",\"count\":");
	json_put_u64(&b, a->count);
	if ((n = AJ_FLEN(a->protocol))) {
		first = 1;
		json_put_rawz(&b, ",\"network\":{");
		put_member(&b, &first, "protocol", a->protocol, n);
		json_put_rawz(&b, "}");
	}
	if ((n = AJ_FLEN(a->operation))) {
		json_put_rawz(&b, ",\"operation\":");
		json_put_string(&b, (const uint8_t *)a->operation, n);
	}
	put_end(&b, "source", &a->src, &a->src_evidence, 0);
	put_end(&b, "destination", &a->dst, &a->dst_evidence, a->port);
	if (a->has_trace) {
		put_hex(&b, ",\"trace_id\":", a->trace_id, sizeof(a->trace_id));
		put_hex(&b, ",\"span_id\":", a->span_id, sizeof(a->span_id));
		json_put_rawz(&b, ",\"trace_flags\":\"01\"");
	}
	if (host_name && host_name[0]) {
		json_put_rawz(&b, ",\"host\":{\"name\":");
		json_put_cstr(&b, host_name);
		json_put_rawz(&b, "}");
	}
	json_put_rawz(&b, "}");
	return b.overflow ? 0 : b.len;
}

/* ---- The file ---- */

struct alert_file {
	FILE *std;     /* stdout, or NULL for a file */
	int fd;        /* the file, or -1 */
	int broken;    /* the last write stopped inside a line */
	struct alert_file_stats stats;
	char line[ALERT_JSON_MAX + 1]; /* a leading newline, then the line */
};

struct alert_file *alert_file_open(const char *path, char *err, size_t err_len)
{
	struct alert_file *f;

	if (!path || !path[0]) {
		snprintf(err, err_len, "no alert file given");
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, err_len, "%s", strerror(ENOMEM));
		return NULL;
	}
	f->fd = -1;
	if (strcmp(path, "-") == 0) {
		f->std = stdout;
		return f;
	}
	f->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (f->fd < 0) {
		snprintf(err, err_len, "open %s: %s", path, strerror(errno));
		free(f);
		return NULL;
	}
	return f;
}

/* Writes as much of p as the file takes; returns the bytes written. */
static size_t write_all(int fd, const char *p, size_t n)
{
	size_t done = 0;
	ssize_t w;

	while (done < n) {
		w = write(fd, p + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	return done;
}

int alert_file_write(struct alert_file *f, const struct alert *a, const char *host_name)
{
	char *line;
	size_t len, done, lead;
	int fail;

	if (!f || !a)
		return -1;
	/* line[0] is kept for the newline that ends a broken line */
	line = f->line + 1;
	len = alert_json_format(a, host_name, line, ALERT_JSON_MAX);
	if (!len || len + 1 >= ALERT_JSON_MAX) {
		f->stats.dropped++;
		return -1;
	}
	line[len++] = '\n';
	if (f->std) {
		fail = fwrite(line, 1, len, f->std) != len || fflush(f->std) != 0;
		if (fail)
			clearerr(f->std);
	} else {
		lead = f->broken; /* end the line cut short before this one */
		if (lead) {
			line--;
			line[0] = '\n';
			len++;
		}
		done = write_all(f->fd, line, len);
		fail = done < len;
		f->broken = fail && (done > lead || (lead && done == 0));
	}
	if (fail) {
		f->stats.dropped++;
		return -1;
	}
	f->stats.written++;
	return 0;
}

void alert_file_get_stats(const struct alert_file *f, struct alert_file_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (f)
		*out = f->stats;
}

void alert_file_close(struct alert_file *f)
{
	if (!f)
		return;
	if (f->std)
		fflush(f->std);
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}
