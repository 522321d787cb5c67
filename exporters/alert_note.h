/* SPDX-License-Identifier: MIT */
/*
 * A note: a record that is not an alert but travels the same sinks (syslog,
 * OTLP logs), such as the audit trail's head hash, which is only worth
 * anything once it is kept somewhere the node cannot rewrite. Fixed size,
 * copied by value (the OTLP exporter queues it).
 *
 *   struct alert_note n = { .time_unix_ns = now, .severity = ALERT_SEV_INFO };
 *   snprintf(n.name, sizeof(n.name), "zerotrace.audit.head");
 *   snprintf(n.message, sizeof(n.message), "audit chain head after record %llu", seq);
 *   alert_note_param(&n, "sha256", hex);
 *   alert_note_param(&n, "seq", seq_text);
 *   syslog_send_note(sink, &n);
 *   otlp_exporter_enqueue_note(otlp, &n);
 */
#ifndef ZT_ALERT_NOTE_H
#define ZT_ALERT_NOTE_H

#include <stdint.h>
#include <stdio.h>

#include "alert.h"

#define ALERT_NOTE_NAME_MAX 33    /* RFC 5424 MSGID: 32 characters */
#define ALERT_NOTE_PARAMS_MAX 6
#define ALERT_NOTE_PARAM_NAME_MAX 33 /* RFC 5424 SD-NAME: 32 characters */
#define ALERT_NOTE_PARAM_VALUE_MAX 160

struct alert_note_param {
	char name[ALERT_NOTE_PARAM_NAME_MAX];   /* printable ASCII but '=', ']', '"' */
	char value[ALERT_NOTE_PARAM_VALUE_MAX]; /* UTF-8 text */
};

struct alert_note {
	uint64_t time_unix_ns;
	uint8_t severity;  /* enum alert_severity */
	uint8_t n_params;
	/* Syslog MSGID and OTLP event_name, e.g. "zerotrace.audit.head":
	 * printable ASCII, 32 characters at most. */
	char name[ALERT_NOTE_NAME_MAX];
	char message[ALERT_REASON_MAX]; /* syslog MSG, OTLP body */
	/* Syslog PARAM-NAME/VALUE in [zerotrace@32473 ...], OTLP attributes. */
	struct alert_note_param params[ALERT_NOTE_PARAMS_MAX];
};

/* Appends name=value; -1 when the note is full (values are cut to fit). */
static inline int alert_note_param(struct alert_note *n, const char *name, const char *value)
{
	struct alert_note_param *p;

	if (n->n_params >= ALERT_NOTE_PARAMS_MAX)
		return -1;
	p = &n->params[n->n_params++];
	snprintf(p->name, sizeof(p->name), "%s", name ? name : "");
	snprintf(p->value, sizeof(p->value), "%s", value ? value : "");
	return 0;
}

#endif /* ZT_ALERT_NOTE_H */
