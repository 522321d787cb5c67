/* SPDX-License-Identifier: MIT */
/*
 * Alerts (and notes) as RFC 5424 syslog messages, and a sender that never
 * blocks the event loop:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME zerotrace PROCID MSGID [zerotrace@32473 rule="..."
 *   severity="..." count="..." src="..." dst="..." protocol="..." operation="..."
 *   port="..." ...][opentelemetry trace_id="..." span_id="..." trace_flags="01"] MSG
 *
 * The formatters are pure (unit-tested and fuzzed); the sink owns one
 * socket and is used from one thread (the event loop).
 */
#ifndef ZT_SYSLOG_SINK_H
#define ZT_SYSLOG_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "alert_note.h"

/* Facility 10, authpriv (security/authorization messages, private): the
 * facility that stock rsyslog and syslog-ng configurations already route
 * to a root-only file (/var/log/auth.log on Debian, /var/log/secure on
 * RHEL), which suits alerts that quote operations and addresses. 13 (log
 * audit) has no name in glibc's <syslog.h> and lands only in catch-all
 * rules by default. */
#define SYSLOG_FACILITY 10
#define SYSLOG_APP_NAME "zerotrace"
/* RFC 5424 private SD-IDs are NAME@<IANA private enterprise number>. 32473
 * is the number RFC 5612 reserves for documentation; zerotrace has none of
 * its own, so this is the honest placeholder until it registers one. */
#define SYSLOG_SD_ID "zerotrace@32473"
/* Room for the longest message either formatter makes (every field full of
 * bytes that expand); formatting into this never returns 0. */
#define SYSLOG_MSG_MAX 8192

/* ---- Pure formatting ---- */

/*
 * The message for an alert: PRI = SYSLOG_FACILITY * 8 +
 * alert_severity_syslog(severity); TIMESTAMP in UTC with microseconds;
 * HOSTNAME, PROCID ("-" when 0) and MSGID (the rule's stable id) cut to
 * their RFC limits (255, 128, 32) and printable ASCII only (others become
 * '_'; empty is "-"). SD params are left out when empty; the opentelemetry
 * SD element only when has_trace. MSG is the reason, without a BOM (see
 * syslog.c), absent when empty. No trailing newline. Returns the length, or
 * 0 when it did not fit cap (out is NUL-terminated when cap > 0).
 */
size_t syslog_format_alert(const struct alert *a, const char *host_name, uint32_t procid,
			   char *out, size_t cap);
/* The same for a note: MSGID is the note's name, the SD element holds
 * severity then the note's params in order (names cut to 32 characters
 * without '=', ' ', ']', '"'; a param whose name is left empty is skipped),
 * MSG is its message. */
size_t syslog_format_note(const struct alert_note *n, const char *host_name, uint32_t procid,
			  char *out, size_t cap);

enum syslog_transport {
	SYSLOG_UNIX = 0,  /* AF_UNIX datagram, or stream with octet counting */
	SYSLOG_UDP,       /* one message per datagram (RFC 5426) */
	SYSLOG_TCP,       /* octet counting: "LEN SP MSG" (RFC 6587 3.4.1) */
};

struct syslog_addr {
	enum syslog_transport transport;
	char path[108];  /* unix: the socket path; "@name" is an abstract socket */
	char host[256];  /* udp, tcp: a name or an address (IPv6 without brackets) */
	char port[6];    /* udp, tcp: 1..65535 in decimal */
};

/* "unix:PATH", "udp:HOST:PORT" or "tcp:HOST:PORT" (IPv6 as [ADDR]:PORT).
 * 0, or -1 with err filled. */
int syslog_parse_addr(const char *text, struct syslog_addr *out, char *err, size_t err_len);

/* ---- The sink ---- */

struct syslog_stats {
	uint64_t sent;        /* messages handed whole to the kernel */
	uint64_t dropped;     /* would block, no connection, send error, stream cut mid-message */
	uint64_t reconnects;  /* connection attempts after the first (at most one a second) */
	uint64_t queued;      /* stream: messages waiting for the connection */
	uint32_t connected;   /* 1 while the socket is usable */
};

struct syslog_sink;

/*
 * Parses addr, resolves HOST once (getaddrinfo: a name is looked up here,
 * never again) and connects, non-blocking. A receiver that is not there yet
 * is not an error: the sink counts drops and reconnects at most once a
 * second. NULL with err filled for a bad address, a name that does not
 * resolve or a socket that cannot be made.
 */
struct syslog_sink *syslog_open(const char *addr, char *err, size_t err_len);
/* Formats (host name and pid of this agent) and sends one message. 0 when
 * sent, or queued on a stream whose connection is on its way; -1 when
 * dropped (counted). Never blocks. Accepts s == NULL (-1, not counted). */
int syslog_send_alert(struct syslog_sink *s, const struct alert *a);
int syslog_send_note(struct syslog_sink *s, const struct alert_note *n);
/* Sends what a stream still holds and reconnects when due; call it about
 * once a second from the event loop (cheap when there is nothing to do). */
void syslog_tick(struct syslog_sink *s);
void syslog_get_stats(const struct syslog_sink *s, struct syslog_stats *out);
/* Tries once more to send what is queued (non-blocking), then closes. */
void syslog_close(struct syslog_sink *s);

#endif /* ZT_SYSLOG_SINK_H */
