// SPDX-License-Identifier: MIT
/*
 * RFC 5424 syslog: the non-blocking sender (syslog_format.c formats,
 * syslog_addr.c parses addresses).
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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "procinfo.h"
#include "syslog_internal.h"

#define SYSLOG_OUTBOX (64u << 10)
#define SYSLOG_OUTBOX_FRAMES 256
#define SL_RECONNECT_NS 1000000000ULL

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
		errmsg_set(err, err_len, "%s", strerror(ENOMEM));
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
			errmsg_set(err, err_len, "syslog address %s: %s", addr,
				rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
			goto fail;
		}
		if (res->ai_addrlen > sizeof(s->sa)) {
			freeaddrinfo(res);
			errmsg_set(err, err_len, "syslog address %s: address too long", addr);
			goto fail;
		}
		memcpy(&s->sa, res->ai_addr, res->ai_addrlen);
		s->sa_len = res->ai_addrlen;
		freeaddrinfo(res);
	}
	/* a socket that cannot be made at all is an error now, not a drop later */
	rc = sl_socket(s->sa.ss_family, SOCK_DGRAM);
	if (rc < 0) {
		errmsg_set(err, err_len, "syslog socket: %s", strerror(errno));
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
