// SPDX-License-Identifier: MIT
/*
 * RFC 5424 syslog: the formatter (pure; syslog_sink.c sends).
 *
 * Choices:
 * - MSG has no BOM. RFC 5424 allows MSG-ANY; rsyslog and syslog-ng keep a
 *   BOM as three bytes at the start of the text and several SIEMs show it
 *   as garbage. MSG is made valid UTF-8 anyway (as PARAM-VALUEs are).
 * - Text from traffic (operations, reasons quoting it) never carries a line
 *   break or other control character into a log file: C0, DEL and C1 become
 *   a space, invalid UTF-8 bytes U+FFFD. In PARAM-VALUE '"', '\' and ']'
 *   are escaped with '\' (RFC 5424 6.3.3).
 * - Header fields are printable US-ASCII only: any other byte becomes '_'
 *   (a hostname with a space would shift every field after it).
 */
#include "syslog_sink.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alert_json.h"
#include "syslog_internal.h"
#include "utf8.h"

#define SL_PROCID_MAX 128
#define SL_MSGID_MAX 32
#define SL_SDNAME_MAX 32

#define SL_FLEN(arr) strnlen((arr), sizeof(arr))

/* ---------------------------------------------------------------------- */
/* Formatting                                                             */
/* ---------------------------------------------------------------------- */

/* A fixed output buffer; over is sticky, one byte kept for the NUL. */
struct sl_out {
	char *p;
	size_t len;
	size_t cap;
	int over;
};

static void sl_put(struct sl_out *o, const void *s, size_t n)
{
	if (o->over)
		return;
	if (o->cap == 0 || n > o->cap - 1 - o->len) {
		o->over = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void sl_putz(struct sl_out *o, const char *s)
{
	sl_put(o, s, strlen(s));
}

static void sl_putc(struct sl_out *o, char c)
{
	sl_put(o, &c, 1);
}

static void sl_u64(struct sl_out *o, uint64_t v)
{
	char tmp[21];

	sl_put(o, tmp, (size_t)snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v));
}

/* A header field: printable US-ASCII (33..126), others '_', at most max
 * characters; "-" (NILVALUE) when empty. */
static void sl_header_field(struct sl_out *o, const char *s, size_t n, size_t max)
{
	if (n > max)
		n = max;
	if (!n) {
		sl_putc(o, '-');
		return;
	}
	for (size_t i = 0; i < n; i++)
		sl_putc(o, s[i] >= 33 && s[i] <= 126 ? s[i] : '_');
}

/* UTF-8 text with control characters as spaces and bad bytes as U+FFFD;
 * PARAM-VALUE escapes on top when `escape`. */
static void sl_text(struct sl_out *o, const char *str, size_t n, int escape)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0, len;

	while (i < n && !o->over) {
		uint8_t c = s[i];

		if (c < 0x20 || c == 0x7f) {
			sl_putc(o, ' ');
			i++;
		} else if (c < 0x80) {
			if (escape && (c == '"' || c == '\\' || c == ']'))
				sl_putc(o, '\\');
			sl_putc(o, (char)c);
			i++;
		} else if ((len = utf8_char_len(s + i, n - i)) == 0) {
			sl_put(o, "\xef\xbf\xbd", 3);
			i++;
		} else if (c == 0xc2 && s[i + 1] < 0xa0) {
			sl_putc(o, ' '); /* C1 control (U+0080..U+009F), NEL among them */
			i += len;
		} else {
			sl_put(o, s + i, len);
			i += len;
		}
	}
}

/* <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID */
static void sl_header(struct sl_out *o, uint8_t severity, uint64_t unix_ns, const char *host,
		      uint32_t procid, const char *msgid)
{
	char ts[32], pid[16];
	size_t n;

	sl_putc(o, '<');
	sl_u64(o, SYSLOG_FACILITY * 8u + alert_severity_syslog(severity));
	sl_putz(o, ">1 ");
	n = alert_time_rfc3339(ts, unix_ns, 6);
	sl_put(o, ts, n);
	sl_putc(o, ' ');
	sl_header_field(o, host ? host : "", host ? strlen(host) : 0, SL_HOSTNAME_MAX);
	sl_putc(o, ' ');
	sl_header_field(o, SYSLOG_APP_NAME, strlen(SYSLOG_APP_NAME), 48);
	sl_putc(o, ' ');
	n = procid ? (size_t)snprintf(pid, sizeof(pid), "%u", procid) : 0;
	sl_header_field(o, pid, n, SL_PROCID_MAX);
	sl_putc(o, ' ');
	sl_header_field(o, msgid, strlen(msgid), SL_MSGID_MAX);
	sl_putc(o, ' ');
}

/* SP name="value" (the name is known to be a valid SD-NAME). */
static void sl_param(struct sl_out *o, const char *name, const char *v, size_t n)
{
	sl_putc(o, ' ');
	sl_putz(o, name);
	sl_putz(o, "=\"");
	sl_text(o, v, n, 1);
	sl_putc(o, '"');
}

static void sl_param_opt(struct sl_out *o, const char *name, const char *v, size_t n)
{
	if (n)
		sl_param(o, name, v, n);
}

static void sl_param_u64(struct sl_out *o, const char *name, uint64_t v)
{
	char tmp[21];

	sl_param(o, name, tmp, (size_t)snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v));
}

/* One end: the label (address, else service, else executable), then what
 * else is known, each as <prefix>_<what>. */
static void sl_end(struct sl_out *o, const char *prefix, const struct alert_identity *id,
		   const struct alert_evidence *ev)
{
	char name[SL_SDNAME_MAX + 1];
	size_t n;

	if ((n = SL_FLEN(id->address)))
		sl_param(o, prefix, id->address, n);
	else if ((n = SL_FLEN(id->service)))
		sl_param(o, prefix, id->service, n);
	else if ((n = SL_FLEN(id->exe)))
		sl_param(o, prefix, id->exe, n);
#define SL_END_PARAM(what, field)                                       \
	do {                                                            \
		snprintf(name, sizeof(name), "%s_" what, prefix);       \
		sl_param_opt(o, name, (field), SL_FLEN(field));         \
	} while (0)
	SL_END_PARAM("namespace", id->k8s_namespace);
	SL_END_PARAM("workload", id->k8s_workload);
	if (id->address[0] || id->service[0])
		SL_END_PARAM("exe", id->exe); /* else it is the label */
#undef SL_END_PARAM
	if (ev->pid) {
		snprintf(name, sizeof(name), "%s_pid", prefix);
		sl_param_u64(o, name, ev->pid);
	}
	snprintf(name, sizeof(name), "%s_container", prefix);
	sl_param_opt(o, name, ev->container_id, SL_FLEN(ev->container_id));
	snprintf(name, sizeof(name), "%s_pod", prefix);
	sl_param_opt(o, name, ev->k8s_pod_name, SL_FLEN(ev->k8s_pod_name));
}

static void sl_hex(char *out, const uint8_t *id, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static size_t sl_finish(struct sl_out *o)
{
	if (o->cap)
		o->p[o->over ? 0 : o->len] = '\0';
	return o->over ? 0 : o->len;
}

size_t syslog_format_alert(const struct alert *a, const char *host_name, uint32_t procid,
			   char *out, size_t cap)
{
	struct sl_out o = { .p = out, .cap = out ? cap : 0 };
	const char *rule = a->rule < ALERT_RULE_COUNT ? alert_rules[a->rule].name : "unknown";
	const char *sev = alert_severity_name(a->severity);
	char hex[33];
	size_t n;

	sl_header(&o, a->severity, a->time_unix_ns, host_name, procid, rule);
	sl_putz(&o, "[" SYSLOG_SD_ID);
	sl_param(&o, "rule", rule, strlen(rule));
	sl_param(&o, "severity", sev, strlen(sev));
	sl_param_u64(&o, "count", a->count);
	sl_end(&o, "src", &a->src, &a->src_evidence);
	sl_end(&o, "dst", &a->dst, &a->dst_evidence);
	sl_param_opt(&o, "protocol", a->protocol, SL_FLEN(a->protocol));
	sl_param_opt(&o, "operation", a->operation, SL_FLEN(a->operation));
	if (a->port)
		sl_param_u64(&o, "port", a->port);
	sl_putc(&o, ']');
	if (a->has_trace) {
		sl_putz(&o, "[opentelemetry");
		sl_hex(hex, a->trace_id, sizeof(a->trace_id));
		sl_param(&o, "trace_id", hex, 32);
		sl_hex(hex, a->span_id, sizeof(a->span_id));
		sl_param(&o, "span_id", hex, 16);
		sl_param(&o, "trace_flags", "01", 2);
		sl_putc(&o, ']');
	}
	if ((n = SL_FLEN(a->reason))) {
		sl_putc(&o, ' ');
		sl_text(&o, a->reason, n, 0);
	}
	return sl_finish(&o);
}

/* A note's param name as an SD-NAME: printable ASCII but '=', ' ', ']',
 * '"', at most 32; returns its length (0: skip the param). */
static size_t sl_sd_name(char out[SL_SDNAME_MAX + 1], const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < SL_SDNAME_MAX; i++)
		if (s[i] > 32 && s[i] < 127 && s[i] != '=' && s[i] != ']' && s[i] != '"')
			out[k++] = s[i];
	out[k] = '\0';
	return k;
}

size_t syslog_format_note(const struct alert_note *n, const char *host_name, uint32_t procid,
			  char *out, size_t cap)
{
	struct sl_out o = { .p = out, .cap = out ? cap : 0 };
	const char *sev = alert_severity_name(n->severity);
	char name[SL_SDNAME_MAX + 1], msgid[ALERT_NOTE_NAME_MAX];
	uint8_t n_params = n->n_params < ALERT_NOTE_PARAMS_MAX ? n->n_params : ALERT_NOTE_PARAMS_MAX;
	size_t len;

	snprintf(msgid, sizeof(msgid), "%.*s", (int)SL_FLEN(n->name), n->name);
	sl_header(&o, n->severity, n->time_unix_ns, host_name, procid, msgid);
	sl_putz(&o, "[" SYSLOG_SD_ID);
	sl_param(&o, "severity", sev, strlen(sev));
	for (uint8_t i = 0; i < n_params; i++) {
		const struct alert_note_param *p = &n->params[i];

		if (sl_sd_name(name, p->name, SL_FLEN(p->name)))
			sl_param(&o, name, p->value, SL_FLEN(p->value));
	}
	sl_putc(&o, ']');
	if ((len = SL_FLEN(n->message))) {
		sl_putc(&o, ' ');
		sl_text(&o, n->message, len, 0);
	}
	return sl_finish(&o);
}
