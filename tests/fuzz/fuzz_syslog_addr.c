// SPDX-License-Identifier: MIT
/*
 * Fuzzes the alert sinks' pure code: syslog_parse_addr on the whole input,
 * and an alert (and a note) whose fields are cut from the input through
 * syslog_format_alert, syslog_format_note, alert_json_format and the OTLP
 * log encoders.
 *
 * Input: byte 0 the error buffer size (0..63) and the severity, byte 1 the
 * rule and has_trace, bytes 2-9 the time; the rest is the address text,
 * and also split at '\n' into the alert's string fields in struct order.
 * The address is malloc'd to its exact size so ASan sees an over-read.
 *
 * Checks: parse errors stay inside err_len and say something; a parsed
 * address is a known transport with a non-empty path or host, a port of
 * 1..65535 without a leading zero, and parses back the same from its
 * canonical text. A syslog line is what strlen says, starts "<PRI>1 ",
 * holds no control byte or DEL (so no line break from traffic), its six header
 * fields are printable ASCII within the RFC 5424 limits, and it is valid
 * UTF-8; a buffer too small gives 0 and an empty string. The JSON line has
 * no raw C0 control byte and is valid UTF-8; the OTLP/JSON body too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_json.h"
#include "otlp_logs_encode.h"
#include "syslog_sink.h"
#include "utf8.h"
#include "fuzz_check.h"

#define CANARY 0x5a

static int valid_utf8(const char *s, size_t n)
{
	size_t i = 0, len;

	while (i < n) {
		len = utf8_char_len((const uint8_t *)s + i, n - i);
		if (!len)
			return 0;
		i += len;
	}
	return 1;
}

/* No C0 control byte (and no DEL when del is set: JSON may carry DEL). */
static int no_controls(const char *s, size_t n, int del)
{
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)s[i] < 0x20 || (del && (uint8_t)s[i] == 0x7f))
			return 0;
	return 1;
}

static void check_addr(const char *text, size_t err_len)
{
	struct syslog_addr a, b;
	char err[80], canon[400];
	int rc;

	memset(err, CANARY, sizeof(err));
	rc = syslog_parse_addr(text, &a, err_len ? err : NULL, err_len);
	for (size_t i = err_len; i < sizeof(err); i++)
		CHECK((uint8_t)err[i] == CANARY);
	if (rc < 0) {
		if (err_len > 1)
			CHECK(strnlen(err, err_len) > 0 && strnlen(err, err_len) < err_len);
		return;
	}
	CHECK(rc == 0);
	if (a.transport == SYSLOG_UNIX) {
		CHECK(a.path[0] && strnlen(a.path, sizeof(a.path)) < sizeof(a.path));
		snprintf(canon, sizeof(canon), "unix:%s", a.path);
	} else {
		unsigned long port;
		char *end;

		CHECK(a.transport == SYSLOG_UDP || a.transport == SYSLOG_TCP);
		CHECK(a.host[0] && strnlen(a.host, sizeof(a.host)) < sizeof(a.host));
		for (const char *p = a.host; *p; p++)
			CHECK((uint8_t)*p > 32 && (uint8_t)*p < 127);
		CHECK(a.port[0] != '0');
		port = strtoul(a.port, &end, 10);
		CHECK(*end == '\0' && port >= 1 && port <= 65535);
		snprintf(canon, sizeof(canon), "%s:%s%s%s:%s",
			 a.transport == SYSLOG_UDP ? "udp" : "tcp", strchr(a.host, ':') ? "[" : "",
			 a.host, strchr(a.host, ':') ? "]" : "", a.port);
	}
	CHECK(syslog_parse_addr(canon, &b, NULL, 0) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
}

/* Copies the next '\n'-separated piece of data into a field (cut to fit). */
static void take(const uint8_t **p, const uint8_t *end, char *field, size_t cap)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = (size_t)((nl ? nl : end) - *p);

	memcpy(field, *p, n < cap - 1 ? n : cap - 1);
	field[n < cap - 1 ? n : cap - 1] = '\0';
	*p = nl ? nl + 1 : end;
}

static void check_syslog_line(const char *s, size_t n)
{
	static const size_t max[6] = { 5 + 32, 32, 255, 48, 128, 32 };
	const char *p = s, *sp;

	CHECK(n == strlen(s));
	CHECK(s[0] == '<');
	CHECK(no_controls(s, n, 1));
	CHECK(valid_utf8(s, n));
	/* <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID */
	for (int f = 0; f < 6; f++) {
		sp = strchr(p, ' ');
		CHECK(sp && sp > p && (size_t)(sp - p) <= max[f]);
		for (const char *q = p; q < sp; q++)
			CHECK((uint8_t)*q > 32 && (uint8_t)*q < 127);
		p = sp + 1;
	}
	CHECK(*p == '[');
}

static void check_formats(const uint8_t *data, size_t size)
{
	static char line[SYSLOG_MSG_MAX], json[ALERT_JSON_MAX];
	const uint8_t *p = data + 10, *end = data + size;
	struct alert a;
	struct alert_note note;
	struct otlp_log_item items[2];
	struct otlp_buf b = { 0 };
	char small[40], tiny[40];
	size_t n;

	memset(&a, 0, sizeof(a));
	a.severity = data[0] >> 6 ? (uint8_t)(data[0] >> 6) + 1 : 0;
	a.rule = (uint8_t)(data[1] % (ALERT_RULE_COUNT + 1));
	a.has_trace = data[1] >> 7;
	memcpy(&a.time_unix_ns, data + 2, 8);
	a.count = a.time_unix_ns ^ 0x5555;
	a.port = (uint16_t)a.time_unix_ns;
	a.src_evidence.pid = (uint32_t)(a.time_unix_ns >> 16);
	memcpy(a.trace_id, data + 2, 8);
	memcpy(a.span_id, data + 2, 8);
	take(&p, end, a.reason, sizeof(a.reason));
	take(&p, end, a.protocol, sizeof(a.protocol));
	take(&p, end, a.operation, sizeof(a.operation));
	take(&p, end, a.src.service, sizeof(a.src.service));
	take(&p, end, a.src.k8s_namespace, sizeof(a.src.k8s_namespace));
	take(&p, end, a.src.exe, sizeof(a.src.exe));
	take(&p, end, a.dst.address, sizeof(a.dst.address));
	take(&p, end, a.dst_evidence.k8s_pod_name, sizeof(a.dst_evidence.k8s_pod_name));
	take(&p, end, small, sizeof(small)); /* the host name */

	n = syslog_format_alert(&a, small, (uint32_t)a.count, line, sizeof(line));
	CHECK(n > 0);
	check_syslog_line(line, n);
	CHECK(syslog_format_alert(&a, small, 1, tiny, sizeof(tiny)) == 0 && tiny[0] == '\0');

	memset(&note, 0, sizeof(note));
	note.severity = a.severity;
	note.time_unix_ns = a.time_unix_ns;
	memcpy(note.name, a.protocol, sizeof(a.protocol));
	memcpy(note.message, a.reason, sizeof(note.message));
	alert_note_param(&note, a.src.exe, a.operation);
	alert_note_param(&note, a.src.k8s_namespace, a.src.service);
	n = syslog_format_note(&note, a.dst.address, 7, line, sizeof(line));
	CHECK(n > 0);
	check_syslog_line(line, n);

	n = alert_json_format(&a, a.dst.address, json, sizeof(json));
	CHECK(n > 0 && n == strlen(json));
	CHECK(no_controls(json, n, 0) && valid_utf8(json, n));
	CHECK(json[0] == '{' && json[n - 1] == '}');

	memset(items, 0, sizeof(items));
	items[0].kind = OTLP_LOG_ALERT;
	items[0].alert = a;
	items[1].kind = OTLP_LOG_NOTE;
	items[1].note = note;
	CHECK(otlp_logs_encode_proto(&b, items, 2, small) == 0 && b.len > 0);
	CHECK(otlp_logs_encode_json(&b, items, 2, a.src.service) == 0);
	CHECK(no_controls((const char *)b.data, b.len, 0) &&
	      valid_utf8((const char *)b.data, b.len));
	otlp_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 10)
		return 0;
	text = malloc(size - 10 + 1);
	CHECK(text);
	memcpy(text, data + 10, size - 10);
	text[size - 10] = '\0';
	check_addr(text, data[0] % 64);
	free(text);
	check_formats(data, size);
	return 0;
}
