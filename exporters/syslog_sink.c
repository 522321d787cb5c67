// SPDX-License-Identifier: MIT
/*
 * RFC 5424 syslog: formatter and non-blocking sender.
 *
 * Choices:
 * - No default address, and in particular not /dev/log: glibc's syslog(3)
 *   speaks BSD-style lines there, and the daemons that own it do not keep
 *   RFC 5424 intact: journald does not parse RFC 5424 on /dev/log
 *   (systemd#19251, #7791) and rsyslog's imuxsock mangles its header unless
 *   useSpecialParser="off" (rsyslog#4749, #437), losing the structured data
 *   a SIEM maps. The operator names a receiver that speaks RFC 5424
 *   (rsyslog imudp/imtcp, syslog-ng, a collector's syslog receiver);
 *   "unix:/dev/log" still works for whoever configured it to.
 * - MSG has no BOM. RFC 5424 allows MSG-ANY; rsyslog and syslog-ng keep a
 *   BOM as three bytes at the start of the text and several SIEMs show it
 *   as garbage. MSG is made valid UTF-8 anyway (as PARAM-VALUEs are).
 * - Text from traffic (operations, reasons quoting it) never carries a line
 *   break or other control character into a log file: C0, DEL and C1 become
 *   a space, invalid UTF-8 bytes U+FFFD. In PARAM-VALUE '"', '\' and ']'
 *   are escaped with '\' (RFC 5424 6.3.3).
 * - Header fields are printable US-ASCII only: any other byte becomes '_'
 *   (a hostname with a space would shift every field after it).
 * - Datagram transports (UDP, AF_UNIX datagram) send or drop: nothing is
 *   queued. Stream transports (TCP, an AF_UNIX stream socket) frame with
 *   octet counting and keep an outbox of SYSLOG_OUTBOX bytes, so a message
 *   that meets a full socket buffer, a connection on its way or a peer
 *   being reconnected waits there rather than being lost; what does not fit
 *   is dropped. A stream that breaks mid-message drops that message (its
 *   head already went out on the old connection); whole messages behind it
 *   go on the next connection. Bytes the kernel accepted before a peer
 *   died are counted as sent: TCP cannot tell.
 * - A peer that closed is noticed before writing (a syslog receiver never
 *   sends, so a readable socket means EOF or RST), not one message later.
 */
#define _GNU_SOURCE
#include "syslog_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "alert_json.h"
#include "procinfo.h"
#include "utf8.h"

#define SL_HOSTNAME_MAX 255
#define SL_PROCID_MAX 128
#define SL_MSGID_MAX 32
#define SL_SDNAME_MAX 32
#define SYSLOG_OUTBOX (64u << 10)
#define SYSLOG_OUTBOX_FRAMES 256
#define SL_RECONNECT_NS 1000000000ULL

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

/* ---------------------------------------------------------------------- */
/* Addresses                                                              */
/* ---------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int sl_fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err && err_len) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int sl_host_char_ok(char c)
{
	return c > 32 && c < 127 && c != '[' && c != ']' && c != '/' && c != '@';
}

/* Inside [...]: hex digits, ':', '.', and a zone ("%eth0"). */
static int sl_v6_char_ok(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == ':' || c == '.' || c == '%' || c == '-' || c == '_';
}

int syslog_parse_addr(const char *text, struct syslog_addr *out, char *err, size_t err_len)
{
	const char *rest, *host, *colon, *port;
	size_t host_len, port_len, n;
	unsigned long v = 0;

	memset(out, 0, sizeof(*out));
	if (!text)
		text = "";
	if (strncmp(text, "unix:", 5) == 0) {
		out->transport = SYSLOG_UNIX;
		n = strlen(text + 5);
		if (n == 0 || (n == 1 && text[5] == '@'))
			return sl_fail(err, err_len, "syslog address %s: no socket path", text);
		if (n >= sizeof(out->path))
			return sl_fail(err, err_len,
				       "syslog address: the socket path is longer than %zu bytes",
				       sizeof(out->path) - 1);
		memcpy(out->path, text + 5, n);
		return 0;
	}
	if (strncmp(text, "udp:", 4) == 0)
		out->transport = SYSLOG_UDP;
	else if (strncmp(text, "tcp:", 4) == 0)
		out->transport = SYSLOG_TCP;
	else
		return sl_fail(err, err_len,
			       "syslog address must be unix:PATH, udp:HOST:PORT or tcp:HOST:PORT");
	rest = text + 4;
	if (rest[0] == '[') {
		host = rest + 1;
		colon = strchr(host, ']');
		if (!colon || colon[1] != ':')
			return sl_fail(err, err_len, "syslog address %s: want [IPV6]:PORT", text);
		host_len = (size_t)(colon - host);
		port = colon + 2;
		for (size_t i = 0; i < host_len; i++)
			if (!sl_v6_char_ok(host[i]))
				return sl_fail(err, err_len, "syslog address %s: bad IPv6 address",
					       text);
	} else {
		host = rest;
		colon = strchr(host, ':');
		if (!colon)
			return sl_fail(err, err_len, "syslog address %s: no port (HOST:PORT)",
				       text);
		if (strchr(colon + 1, ':'))
			return sl_fail(err, err_len,
				       "syslog address %s: write an IPv6 address as [ADDR]:PORT",
				       text);
		host_len = (size_t)(colon - host);
		port = colon + 1;
		for (size_t i = 0; i < host_len; i++)
			if (!sl_host_char_ok(host[i]))
				return sl_fail(err, err_len, "syslog address %s: bad host name",
					       text);
	}
	if (host_len == 0)
		return sl_fail(err, err_len, "syslog address %s: no host", text);
	if (host_len >= sizeof(out->host))
		return sl_fail(err, err_len, "syslog address: the host is longer than %zu bytes",
			       sizeof(out->host) - 1);
	port_len = strlen(port);
	if (port_len == 0 || port_len > 5 || port[0] == '0')
		return sl_fail(err, err_len, "syslog address %s: the port must be 1..65535", text);
	for (size_t i = 0; i < port_len; i++) {
		if (port[i] < '0' || port[i] > '9')
			return sl_fail(err, err_len, "syslog address %s: the port must be 1..65535",
				       text);
		v = v * 10 + (unsigned long)(port[i] - '0');
	}
	if (v < 1 || v > 65535)
		return sl_fail(err, err_len, "syslog address %s: the port must be 1..65535", text);
	memcpy(out->host, host, host_len);
	snprintf(out->port, sizeof(out->port), "%lu", v);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* The sink                                                               */
/* ---------------------------------------------------------------------- */

enum sl_state {
	SL_DOWN = 0,
	SL_CONNECTING, /* TCP: a non-blocking connect on its way */
	SL_UP,
};

struct syslog_sink {
	struct syslog_addr addr;
	struct sockaddr_storage sa;
	socklen_t sa_len;
	int fd;
	int stream;               /* octet-counting frames: TCP, or a unix stream socket */
	enum sl_state state;
	int tried;                /* a connection was attempted once */
	uint64_t last_try_ns;     /* CLOCK_MONOTONIC of the last attempt */
	char host_name[SL_HOSTNAME_MAX + 1];
	uint32_t pid;
	struct syslog_stats stats;

	/* stream outbox: frames [0, out_len); out_off bytes of the first are out */
	size_t out_len;
	size_t out_off;
	uint32_t n_frames;
	uint32_t ends[SYSLOG_OUTBOX_FRAMES]; /* where each frame ends */
	char out[SYSLOG_OUTBOX];
	char msg[SYSLOG_MSG_MAX + 8];        /* "LEN SP" then the message */
};

static uint64_t sl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sl_close_fd(struct syslog_sink *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->state = SL_DOWN;
}

/* The connection broke: the frame whose head went out is lost; whole
 * frames behind it wait for the next connection. */
static void sl_broken(struct syslog_sink *s)
{
	sl_close_fd(s);
	if (s->n_frames && s->out_off) {
		size_t first = s->ends[0];

		memmove(s->out, s->out + first, s->out_len - first);
		s->out_len -= first;
		for (uint32_t i = 1; i < s->n_frames; i++)
			s->ends[i - 1] = s->ends[i] - (uint32_t)first;
		s->n_frames--;
		s->out_off = 0;
		s->stats.dropped++;
	}
}

static int sl_socket(int family, int type)
{
	return socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

/* One connection attempt; sets state. */
static void sl_connect(struct syslog_sink *s, uint64_t now)
{
	int type = s->addr.transport == SYSLOG_TCP ? SOCK_STREAM : SOCK_DGRAM;

	if (s->tried)
		s->stats.reconnects++;
	s->tried = 1;
	s->last_try_ns = now;
	sl_close_fd(s);
	s->fd = sl_socket(s->sa.ss_family, type);
	if (s->fd < 0)
		return;
	if (connect(s->fd, (struct sockaddr *)&s->sa, s->sa_len) == 0) {
		s->stream = type == SOCK_STREAM;
		s->state = SL_UP;
		if (!s->stream && s->n_frames) {
			/* a unix receiver that was a stream is now a datagram
			 * socket: the frames waiting are not messages for it */
			s->stats.dropped += s->n_frames;
			s->n_frames = 0;
			s->out_len = s->out_off = 0;
		}
		return;
	}
	if (errno == EINPROGRESS && type == SOCK_STREAM) {
		s->stream = 1;
		s->state = SL_CONNECTING;
		return;
	}
	/* A unix socket that is a stream (syslog-ng's default, some
	 * collectors): the same messages with octet counting. */
	if (errno == EPROTOTYPE && s->addr.transport == SYSLOG_UNIX) {
		sl_close_fd(s);
		s->fd = sl_socket(AF_UNIX, SOCK_STREAM);
		if (s->fd < 0)
			return;
		if (connect(s->fd, (struct sockaddr *)&s->sa, s->sa_len) == 0) {
			s->stream = 1;
			s->state = SL_UP;
			return;
		}
	}
	sl_close_fd(s);
}

/* Brings the state up to date: reconnects when due, finishes a connect,
 * notices a stream peer that went away. */
static void sl_refresh(struct syslog_sink *s)
{
	struct pollfd p;
	char sink[256];
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	uint64_t now;
	ssize_t got;

	if (s->state == SL_DOWN) {
		now = sl_now_ns();
		if (s->tried && now - s->last_try_ns < SL_RECONNECT_NS)
			return;
		sl_connect(s, now);
	}
	if (s->state == SL_CONNECTING) {
		p = (struct pollfd){ .fd = s->fd, .events = POLLOUT };
		if (poll(&p, 1, 0) <= 0)
			return;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr) {
			sl_broken(s);
			return;
		}
		s->state = SL_UP;
	}
	if (s->state == SL_UP && s->stream) {
		p = (struct pollfd){ .fd = s->fd, .events = POLLIN | POLLRDHUP };
		if (poll(&p, 1, 0) <= 0)
			return;
		/* a receiver never talks: readable is EOF or an error; a chatty one
		 * is drained a little and otherwise ignored */
		for (int i = 0; i < 4; i++) {
			got = recv(s->fd, sink, sizeof(sink), MSG_DONTWAIT);
			if (got > 0)
				continue;
			if (got < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			sl_broken(s);
			return;
		}
	}
}

/* Sends what the outbox holds, as far as the socket takes it. */
static void sl_flush(struct syslog_sink *s)
{
	size_t done_to = 0; /* end of the last frame sent whole */
	uint32_t popped = 0;
	ssize_t w;

	while (s->state == SL_UP && s->out_off < s->out_len) {
		w = send(s->fd, s->out + s->out_off, s->out_len - s->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				goto broken;
			break;
		}
		s->out_off += (size_t)w;
		while (popped < s->n_frames && s->ends[popped] <= s->out_off) {
			done_to = s->ends[popped++];
			s->stats.sent++;
		}
	}
	goto compact;
broken:
	/* compact first so that sl_broken sees the frame cut in half as the
	 * first one */
	if (popped) {
		memmove(s->out, s->out + done_to, s->out_len - done_to);
		s->out_len -= done_to;
		s->out_off -= done_to;
		for (uint32_t i = popped; i < s->n_frames; i++)
			s->ends[i - popped] = s->ends[i] - (uint32_t)done_to;
		s->n_frames -= popped;
	}
	sl_broken(s);
	return;
compact:
	if (!popped)
		return;
	memmove(s->out, s->out + done_to, s->out_len - done_to);
	s->out_len -= done_to;
	s->out_off -= done_to;
	for (uint32_t i = popped; i < s->n_frames; i++)
		s->ends[i - popped] = s->ends[i] - (uint32_t)done_to;
	s->n_frames -= popped;
}

static int sl_send_datagram(struct syslog_sink *s, const char *m, size_t n)
{
	ssize_t w;

	for (int attempt = 0; attempt < 2 && s->state == SL_UP; attempt++) {
		w = send(s->fd, m, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w == (ssize_t)n) {
			s->stats.sent++;
			return 0;
		}
		if (w >= 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ||
		    errno == EMSGSIZE)
			break;
		if (errno == EINTR)
			continue;
		/* UDP: an ICMP error an earlier datagram left comes back on
		 * this send, which did not go: once more. */
		if (s->addr.transport == SYSLOG_UDP) {
			if (errno == ECONNREFUSED)
				continue;
			break;
		}
		/* unix: a receiver that restarted made a new socket; connect
		 * again (at most once a second) */
		sl_close_fd(s);
		sl_refresh(s);
	}
	s->stats.dropped++;
	return -1;
}

static int sl_send(struct syslog_sink *s, const char *m, size_t n)
{
	char head[8];
	size_t hl;

	sl_refresh(s);
	if (!s->stream && s->state != SL_CONNECTING)
		return sl_send_datagram(s, m, n);
	/* stream: "LEN SP MSG" into the outbox, then out as far as it goes */
	hl = (size_t)snprintf(head, sizeof(head), "%zu ", n);
	if (s->n_frames == SYSLOG_OUTBOX_FRAMES || hl + n > SYSLOG_OUTBOX - s->out_len) {
		s->stats.dropped++;
		sl_flush(s);
		return -1;
	}
	memcpy(s->out + s->out_len, head, hl);
	memcpy(s->out + s->out_len + hl, m, n);
	s->out_len += hl + n;
	s->ends[s->n_frames++] = (uint32_t)s->out_len;
	sl_flush(s);
	return 0;
}

struct syslog_sink *syslog_open(const char *addr, char *err, size_t err_len)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	struct syslog_sink *s;
	struct sockaddr_un *un;
	const char *host;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s) {
		sl_fail(err, err_len, "%s", strerror(ENOMEM));
		return NULL;
	}
	s->fd = -1;
	if (syslog_parse_addr(addr, &s->addr, err, err_len) < 0)
		goto fail;
	s->stream = s->addr.transport == SYSLOG_TCP;
	if (s->addr.transport == SYSLOG_UNIX) {
		un = (struct sockaddr_un *)&s->sa;
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, s->addr.path, strlen(s->addr.path));
		s->sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
					strlen(s->addr.path));
		if (s->addr.path[0] == '@')
			un->sun_path[0] = '\0'; /* abstract: no NUL at the end */
		else
			s->sa_len++;
	} else {
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = s->addr.transport == SYSLOG_TCP ? SOCK_STREAM : SOCK_DGRAM;
		hints.ai_flags = AI_NUMERICSERV;
		rc = getaddrinfo(s->addr.host, s->addr.port, &hints, &res);
		if (rc != 0 || !res) {
			sl_fail(err, err_len, "syslog address %s: %s", addr,
				rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
			goto fail;
		}
		if (res->ai_addrlen > sizeof(s->sa)) {
			freeaddrinfo(res);
			sl_fail(err, err_len, "syslog address %s: address too long", addr);
			goto fail;
		}
		memcpy(&s->sa, res->ai_addr, res->ai_addrlen);
		s->sa_len = res->ai_addrlen;
		freeaddrinfo(res);
	}
	/* a socket that cannot be made at all is an error now, not a drop later */
	rc = sl_socket(s->sa.ss_family, SOCK_DGRAM);
	if (rc < 0) {
		sl_fail(err, err_len, "syslog socket: %s", strerror(errno));
		goto fail;
	}
	close(rc);
	host = procinfo_host_name();
	snprintf(s->host_name, sizeof(s->host_name), "%s", host ? host : "");
	s->pid = (uint32_t)getpid();
	sl_connect(s, sl_now_ns());
	return s;
fail:
	free(s);
	return NULL;
}

int syslog_send_alert(struct syslog_sink *s, const struct alert *a)
{
	size_t n;

	if (!s || !a)
		return -1;
	n = syslog_format_alert(a, s->host_name, s->pid, s->msg, sizeof(s->msg));
	if (!n) {
		s->stats.dropped++;
		return -1;
	}
	return sl_send(s, s->msg, n);
}

int syslog_send_note(struct syslog_sink *s, const struct alert_note *note)
{
	size_t n;

	if (!s || !note)
		return -1;
	n = syslog_format_note(note, s->host_name, s->pid, s->msg, sizeof(s->msg));
	if (!n) {
		s->stats.dropped++;
		return -1;
	}
	return sl_send(s, s->msg, n);
}

void syslog_tick(struct syslog_sink *s)
{
	if (!s)
		return;
	if (s->state == SL_UP && !s->n_frames)
		return; /* nothing waits; a dead peer is noticed at the next send */
	sl_refresh(s);
	sl_flush(s);
}

void syslog_get_stats(const struct syslog_sink *s, struct syslog_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	*out = s->stats;
	out->queued = s->n_frames;
	out->connected = s->state == SL_UP;
}

void syslog_close(struct syslog_sink *s)
{
	if (!s)
		return;
	if (s->n_frames) {
		sl_refresh(s);
		sl_flush(s);
		s->stats.dropped += s->n_frames;
	}
	sl_close_fd(s);
	free(s);
}
