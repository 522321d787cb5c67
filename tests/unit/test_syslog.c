// SPDX-License-Identifier: MIT
/*
 * exporters/syslog.c: the exact RFC 5424 line for an alert and a note,
 * escaping and header limits, the worst case fitting SYSLOG_MSG_MAX, the
 * address parser, and real round trips: a UDP socket bound here on
 * 127.0.0.1, AF_UNIX datagram and stream sockets in a temp dir (the stream
 * one framed with octet counting), a TCP listener that drops the
 * connection (reconnect at most once a second), one that never reads and
 * one that is not there (drops counted, never a block).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "alert_fixture.h"
#include "procinfo.h"
#include "syslog_sink.h"

static char sl_buf[SYSLOG_MSG_MAX];

static const char *sl_alert(const struct alert *a, const char *host, uint32_t pid)
{
	size_t n = syslog_format_alert(a, host, pid, sl_buf, sizeof(sl_buf));

	cr_assert_gt(n, 0, "did not fit");
	cr_assert_eq(n, strlen(sl_buf));
	return sl_buf;
}

#define SL_FULL_SD                                                                              \
	"[zerotrace@32473 rule=\"sql_command_exec\" severity=\"critical\" count=\"3\" "         \
	"src=\"checkout\" src_namespace=\"shop\" src_workload=\"checkout\" src_exe=\"python3\" " \
	"src_pid=\"4242\" src_container=\"abc123\" src_pod=\"checkout-7d9f\" dst=\"10.0.0.7\" "  \
	"protocol=\"postgresql\" operation=\"COPY users TO PROGRAM 'id'\" port=\"5432\"]"       \
	"[opentelemetry trace_id=\"0102030405060708090a0b0c0d0e0f10\" "                         \
	"span_id=\"a1a2a3a4a5a6a7a8\" trace_flags=\"01\"]"

Test(syslog, full_alert_exact_line)
{
	struct alert a = alert_fixture_full();

	/* PRI: authpriv (10) * 8 + critical (2) */
	cr_expect_str_eq(sl_alert(&a, "node-1", 777),
			 "<82>1 2023-11-14T22:13:20.123456Z node-1 zerotrace 777 sql_command_exec "
			 SL_FULL_SD " checkout ran a program through postgresql");
}

Test(syslog, bare_alert_exact_line)
{
	struct alert a = alert_fixture_min();

	cr_expect_str_eq(sl_alert(&a, "h", 1),
			 "<84>1 1970-01-01T00:00:00.000001Z h zerotrace 1 new_edge [zerotrace@32473 "
			 "rule=\"new_edge\" severity=\"medium\" count=\"1\" src=\"a\" dst=\"b\"] x");
	/* no reason: no MSG; no host, no pid: NILVALUE */
	a.reason[0] = '\0';
	a.src.service[0] = '\0';
	strcpy(a.src.exe, "curl"); /* the executable is the label when nothing else is */
	a.src_evidence.pid = 9;
	cr_expect_str_eq(sl_alert(&a, NULL, 0),
			 "<84>1 1970-01-01T00:00:00.000001Z - zerotrace - new_edge [zerotrace@32473 "
			 "rule=\"new_edge\" severity=\"medium\" count=\"1\" src=\"curl\" src_pid=\"9\" "
			 "dst=\"b\"]");
}

Test(syslog, severities_make_pri)
{
	struct alert a = alert_fixture_min();
	static const char *const want[] = { "<86>", "<85>", "<84>", "<83>", "<82>", "<85>" };

	for (uint8_t s = 0; s <= ALERT_SEV_COUNT; s++) {
		a.severity = s;
		cr_expect(strncmp(sl_alert(&a, "h", 1), want[s], 4) == 0, "severity %u: %.5s", s,
			  sl_buf);
	}
	a.rule = ALERT_RULE_COUNT;
	cr_expect(strstr(sl_alert(&a, "h", 1), " zerotrace 1 unknown [zerotrace@32473 "
					       "rule=\"unknown\" ") != NULL, "%s", sl_buf);
}

Test(syslog, values_escaped_and_cleaned)
{
	struct alert a = alert_fixture_min();

	strcpy(a.operation, "a\"b\\c]d[e'");
	strcpy(a.reason, "line1\nline2\r\t\x7f \xc2\x85 caf\xc3\xa9 \xff ]\"");
	strcpy(a.dst.address, "]");
	sl_alert(&a, "h", 1);
	cr_expect(strstr(sl_buf, " operation=\"a\\\"b\\\\c\\]d[e'\"") != NULL, "%s", sl_buf);
	cr_expect(strstr(sl_buf, " dst=\"\\]\"") != NULL, "%s", sl_buf);
	/* MSG: controls (C0, DEL, C1 NEL) as spaces, bad bytes U+FFFD, no escapes */
	cr_expect(strstr(sl_buf, "] line1 line2      caf\xc3\xa9 \xef\xbf\xbd ]\"") != NULL,
		  "%s", sl_buf);
	cr_expect_null(strchr(sl_buf, '\n'));
	cr_expect_null(strchr(sl_buf, '\r'));
}

Test(syslog, header_fields_cut_and_ascii)
{
	struct alert a = alert_fixture_min();
	char host[400], want[300];

	sl_alert(&a, "my host\xc3\xa9", 1);
	cr_expect(strstr(sl_buf, " my_host__ zerotrace ") != NULL, "%s", sl_buf);
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	sl_alert(&a, host, 4294967295u);
	snprintf(want, sizeof(want), " %.255s zerotrace 4294967295 new_edge ", host);
	cr_expect(strstr(sl_buf, want) != NULL, "hostname cut to 255: %s", sl_buf);
}

Test(syslog, worst_case_fits)
{
	const char fills[] = { ']', '\x01', '\xff' };
	char small[100];

	for (size_t i = 0; i < sizeof(fills); i++) {
		struct alert a = alert_fixture_filled(fills[i]);
		size_t n = syslog_format_alert(&a, "node-1", 1, sl_buf, sizeof(sl_buf));

		cr_expect_gt(n, 0, "fill 0x%02x must fit SYSLOG_MSG_MAX", (uint8_t)fills[i]);
		cr_expect_eq(syslog_format_alert(&a, "node-1", 1, small, sizeof(small)), 0);
		cr_expect_str_empty(small);
		cr_expect_eq(syslog_format_alert(&a, "node-1", 1, sl_buf, n), 0, "no NUL room");
		cr_expect_eq(syslog_format_alert(&a, "node-1", 1, sl_buf, n + 1), n);
	}
}

Test(syslog, note_exact_line)
{
	struct alert_note n = { .time_unix_ns = AF_TIME_NS, .severity = ALERT_SEV_INFO };

	strcpy(n.name, "zerotrace.audit.head");
	strcpy(n.message, "audit chain head after record 42");
	cr_assert_eq(alert_note_param(&n, "sha256", "9f86d081884c7d65"), 0);
	cr_assert_eq(alert_note_param(&n, "seq", "42"), 0);
	cr_assert_eq(alert_note_param(&n, "bad name=\"x]", "v]"), 0); /* name cleaned */
	cr_assert_eq(alert_note_param(&n, " ", "dropped"), 0);       /* nothing left: skipped */
	cr_assert_eq(syslog_format_note(&n, "node-1", 777, sl_buf, sizeof(sl_buf)),
		     strlen(sl_buf));
	cr_expect_str_eq(sl_buf, "<86>1 2023-11-14T22:13:20.123456Z node-1 zerotrace 777 "
				 "zerotrace.audit.head [zerotrace@32473 severity=\"info\" "
				 "sha256=\"9f86d081884c7d65\" seq=\"42\" badnamex=\"v\\]\"] "
				 "audit chain head after record 42");
	/* a full note */
	for (int i = 0; i < 2; i++)
		alert_note_param(&n, "more", "x");
	cr_expect_eq(alert_note_param(&n, "one-too-many", "x"), -1);
	cr_expect_eq(n.n_params, ALERT_NOTE_PARAMS_MAX);
	/* no name, no message */
	memset(n.name, 0, sizeof(n.name));
	memset(n.message, 0, sizeof(n.message));
	n.n_params = 0;
	syslog_format_note(&n, "h", 1, sl_buf, sizeof(sl_buf));
	cr_expect_str_eq(sl_buf, "<86>1 2023-11-14T22:13:20.123456Z h zerotrace 1 - "
				 "[zerotrace@32473 severity=\"info\"]");
}

/* ---- Addresses ---- */

struct sl_addr_case {
	const char *text;
	const char *err; /* NULL: parses to the fields below */
	enum syslog_transport transport;
	const char *path_or_host;
	const char *port;
};

static const struct sl_addr_case sl_addr_cases[] = {
	{ "unix:/dev/log", NULL, SYSLOG_UNIX, "/dev/log", "" },
	{ "unix:@abstract", NULL, SYSLOG_UNIX, "@abstract", "" },
	{ "udp:127.0.0.1:514", NULL, SYSLOG_UDP, "127.0.0.1", "514" },
	{ "tcp:syslog.example:6514", NULL, SYSLOG_TCP, "syslog.example", "6514" },
	{ "tcp:[::1]:601", NULL, SYSLOG_TCP, "::1", "601" },
	{ "udp:[fe80::1%eth0]:514", NULL, SYSLOG_UDP, "fe80::1%eth0", "514" },
	{ "udp:h:0065535", .err = "syslog address udp:h:0065535: the port must be 1..65535" },
	{ "udp:h:0514", .err = "syslog address udp:h:0514: the port must be 1..65535" },
	{ "udp:h:65536", .err = "syslog address udp:h:65536: the port must be 1..65535" },
	{ "udp:h:0", .err = "syslog address udp:h:0: the port must be 1..65535" },
	{ "udp:h:", .err = "syslog address udp:h:: the port must be 1..65535" },
	{ "udp:h:5x", .err = "syslog address udp:h:5x: the port must be 1..65535" },
	{ "udp:h", .err = "syslog address udp:h: no port (HOST:PORT)" },
	{ "udp::514", .err = "syslog address udp::514: no host" },
	{ "tcp:::1:514", .err = "syslog address tcp:::1:514: write an IPv6 address as [ADDR]:PORT" },
	{ "tcp:[::1]514", .err = "syslog address tcp:[::1]514: want [IPV6]:PORT" },
	{ "tcp:[::1 ]:514", .err = "syslog address tcp:[::1 ]:514: bad IPv6 address" },
	{ "tcp:a b:514", .err = "syslog address tcp:a b:514: bad host name" },
	{ "unix:", .err = "syslog address unix:: no socket path" },
	{ "unix:@", .err = "syslog address unix:@: no socket path" },
	{ "/dev/log", .err = "syslog address must be unix:PATH, udp:HOST:PORT or tcp:HOST:PORT" },
	{ "", .err = "syslog address must be unix:PATH, udp:HOST:PORT or tcp:HOST:PORT" },
	{ "UDP:h:1", .err = "syslog address must be unix:PATH, udp:HOST:PORT or tcp:HOST:PORT" },
};

Test(syslog, addresses)
{
	struct syslog_addr a;
	char err[160], path[200];

	for (size_t i = 0; i < sizeof(sl_addr_cases) / sizeof(sl_addr_cases[0]); i++) {
		const struct sl_addr_case *c = &sl_addr_cases[i];
		int rc;

		err[0] = '\0';
		rc = syslog_parse_addr(c->text, &a, err, sizeof(err));
		if (c->err) {
			cr_expect_eq(rc, -1, "%s: parsed", c->text);
			cr_expect_str_eq(err, c->err, "%s", c->text);
			continue;
		}
		cr_expect_eq(rc, 0, "%s: %s", c->text, err);
		cr_expect_eq(a.transport, c->transport, "%s", c->text);
		cr_expect_str_eq(a.transport == SYSLOG_UNIX ? a.path : a.host, c->path_or_host, "%s",
				 c->text);
		cr_expect_str_eq(a.port, c->port, "%s", c->text);
	}
	cr_expect_eq(syslog_parse_addr(NULL, &a, err, sizeof(err)), -1);
	memset(path, 'p', sizeof(path));
	memcpy(path, "unix:/", 6);
	path[5 + 108] = '\0'; /* 108 bytes of path: one too many */
	cr_expect_eq(syslog_parse_addr(path, &a, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "syslog address: the socket path is longer than 107 bytes");
	path[5 + 107] = '\0';
	cr_expect_eq(syslog_parse_addr(path, &a, err, sizeof(err)), 0);
}

/* ---- Round trips ---- */

static const char *sl_host(void)
{
	const char *h = procinfo_host_name();

	return h ? h : "";
}

/* What the sink sends for a: the formatter's line with this agent's names. */
static size_t sl_want(const struct alert *a, char *out, size_t cap)
{
	return syslog_format_alert(a, sl_host(), (uint32_t)getpid(), out, cap);
}

static ssize_t sl_recv(int fd, char *buf, size_t cap, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms) <= 0)
		return -1;
	return recv(fd, buf, cap, MSG_DONTWAIT);
}

static void sl_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static struct syslog_stats sl_stats(struct syslog_sink *s)
{
	struct syslog_stats st;

	syslog_get_stats(s, &st);
	return st;
}

Test(syslog, udp_round_trip)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	struct alert a = alert_fixture_full(), b = alert_fixture_min();
	char addr[64], err[160], got[SYSLOG_MSG_MAX], want[SYSLOG_MSG_MAX];
	struct syslog_sink *s;
	struct syslog_stats st;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ssize_t n;

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(addr, sizeof(addr), "udp:127.0.0.1:%u", ntohs(sa.sin_port));
	s = syslog_open(addr, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	cr_expect_eq(syslog_send_alert(s, &a), 0);
	cr_expect_eq(syslog_send_alert(s, &b), 0);
	for (int i = 0; i < 2; i++) {
		n = sl_recv(fd, got, sizeof(got), 2000);
		cr_assert_gt(n, 0, "datagram %d", i);
		cr_expect_eq((size_t)n, sl_want(i ? &b : &a, want, sizeof(want)));
		cr_expect(memcmp(got, want, (size_t)n) == 0, "datagram %d: %.*s", i, (int)n, got);
	}
	st = sl_stats(s);
	cr_expect_eq(st.sent, 2);
	cr_expect_eq(st.dropped, 0);
	cr_expect_eq(st.connected, 1);
	syslog_close(s);
	close(fd);
}

Test(syslog, udp_nobody_listening_is_not_fatal)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	struct alert a = alert_fixture_min();
	char addr[64], err[160];
	struct syslog_sink *s;
	struct syslog_stats st;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd); /* the port answers with ICMP port unreachable */
	snprintf(addr, sizeof(addr), "udp:127.0.0.1:%u", ntohs(sa.sin_port));
	s = syslog_open(addr, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	for (int i = 0; i < 10; i++)
		syslog_send_alert(s, &a);
	st = sl_stats(s);
	cr_expect_eq(st.sent + st.dropped, 10);
	cr_expect_geq(st.sent, 5, "an ICMP error costs at most the datagram that met it");
	syslog_close(s);
}

/* A datagram AF_UNIX receiver in a temp dir, then one that restarts. */
Test(syslog, unix_datagram_round_trip_and_restart)
{
	char dir[] = "/tmp/zt-syslog-XXXXXX", addr[128], err[160];
	char got[SYSLOG_MSG_MAX], want[SYSLOG_MSG_MAX];
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct alert a = alert_fixture_full();
	struct syslog_sink *s;
	struct syslog_stats st;
	ssize_t n;
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(un.sun_path, sizeof(un.sun_path), "%s/log", dir);
	snprintf(addr, sizeof(addr), "unix:%s", un.sun_path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	s = syslog_open(addr, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	cr_expect_eq(syslog_send_alert(s, &a), 0);
	n = sl_recv(fd, got, sizeof(got), 2000);
	cr_assert_gt(n, 0);
	cr_expect_eq((size_t)n, sl_want(&a, want, sizeof(want)));
	cr_expect(memcmp(got, want, (size_t)n) == 0, "%.*s", (int)n, got);

	/* the receiver restarts: a new socket at the same path */
	close(fd);
	unlink(un.sun_path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	cr_expect_eq(syslog_send_alert(s, &a), -1, "within a second of the last connect: dropped");
	st = sl_stats(s);
	cr_expect_eq(st.dropped, 1);
	cr_expect_eq(st.connected, 0);
	sl_sleep_ms(1100);
	cr_expect_eq(syslog_send_alert(s, &a), 0, "reconnected");
	n = sl_recv(fd, got, sizeof(got), 2000);
	cr_expect_eq((size_t)n, strlen(want));
	st = sl_stats(s);
	cr_expect_eq(st.sent, 2);
	cr_expect_eq(st.dropped, 1);
	cr_expect_eq(st.reconnects, 1);
	syslog_close(s);
	close(fd);
	unlink(un.sun_path);
	rmdir(dir);
}

/* Reads one octet-counted frame ("LEN SP MSG") from a stream into out. */
static size_t sl_read_frame(int fd, char *out, size_t cap)
{
	char c;
	size_t len = 0, got = 0;
	ssize_t r;

	for (;;) {
		cr_assert_gt(sl_recv(fd, &c, 1, 3000), 0, "frame length");
		if (c == ' ')
			break;
		cr_assert(c >= '0' && c <= '9', "frame length digit, got 0x%02x", (uint8_t)c);
		len = len * 10 + (size_t)(c - '0');
	}
	cr_assert_lt(len, cap);
	while (got < len) {
		r = sl_recv(fd, out + got, len - got, 3000);
		cr_assert_gt(r, 0, "frame body");
		got += (size_t)r;
	}
	out[len] = '\0';
	return len;
}

Test(syslog, unix_stream_fallback_octet_counting)
{
	char dir[] = "/tmp/zt-syslog-XXXXXX", addr[128], err[160];
	char got[SYSLOG_MSG_MAX], want[SYSLOG_MSG_MAX];
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct alert a = alert_fixture_full(), b = alert_fixture_min();
	struct syslog_sink *s;
	struct syslog_stats st;
	int lfd, fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(un.sun_path, sizeof(un.sun_path), "%s/log", dir);
	snprintf(addr, sizeof(addr), "unix:%s", un.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&un, sizeof(un)), 0);
	cr_assert_eq(listen(lfd, 4), 0);
	s = syslog_open(addr, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	fd = accept(lfd, NULL, NULL);
	cr_assert_geq(fd, 0);
	cr_expect_eq(syslog_send_alert(s, &a), 0);
	cr_expect_eq(syslog_send_alert(s, &b), 0);
	sl_want(&a, want, sizeof(want));
	sl_read_frame(fd, got, sizeof(got));
	cr_expect_str_eq(got, want);
	sl_want(&b, want, sizeof(want));
	sl_read_frame(fd, got, sizeof(got));
	cr_expect_str_eq(got, want);
	st = sl_stats(s);
	cr_expect_eq(st.sent, 2);
	cr_expect_eq(st.queued, 0);
	syslog_close(s);
	close(fd);
	close(lfd);
	unlink(un.sun_path);
	rmdir(dir);
}

static int sl_tcp_listener(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	cr_assert_geq(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 4), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Ticks the sink until nothing is queued or ms pass. */
static void sl_tick_until_sent(struct syslog_sink *s, unsigned ms)
{
	for (unsigned t = 0; t < ms && sl_stats(s).queued; t += 5) {
		syslog_tick(s);
		sl_sleep_ms(5);
	}
}

Test(syslog, tcp_frames_then_reconnect_once_a_second)
{
	char addr[64], err[160], got[SYSLOG_MSG_MAX], want[SYSLOG_MSG_MAX];
	struct alert a = alert_fixture_full(), b = alert_fixture_min();
	struct syslog_sink *s;
	struct syslog_stats st;
	uint16_t port;
	int lfd = sl_tcp_listener(&port), fd;

	snprintf(addr, sizeof(addr), "tcp:127.0.0.1:%u", port);
	s = syslog_open(addr, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	fd = accept(lfd, NULL, NULL);
	cr_assert_geq(fd, 0);
	for (int i = 0; i < 3; i++)
		cr_expect_eq(syslog_send_alert(s, i == 1 ? &b : &a), 0);
	sl_tick_until_sent(s, 2000);
	for (int i = 0; i < 3; i++) {
		sl_want(i == 1 ? &b : &a, want, sizeof(want));
		sl_read_frame(fd, got, sizeof(got));
		cr_expect_str_eq(got, want, "frame %d", i);
	}
	st = sl_stats(s);
	cr_expect_eq(st.sent, 3);
	cr_expect_eq(st.connected, 1);

	/* the receiver drops the connection: noticed before the next write,
	 * and the message waits for the reconnect a second after the last */
	close(fd);
	sl_sleep_ms(50);
	cr_expect_eq(syslog_send_alert(s, &b), 0, "queued");
	st = sl_stats(s);
	cr_expect_eq(st.connected, 0);
	cr_expect_eq(st.queued, 1);
	cr_expect_eq(st.dropped, 0);
	cr_expect_eq(st.reconnects, 0);
	syslog_tick(s);
	cr_expect_eq(sl_stats(s).reconnects, 0, "not again within a second");
	sl_sleep_ms(1000);
	sl_tick_until_sent(s, 2000);
	fd = accept(lfd, NULL, NULL);
	cr_assert_geq(fd, 0);
	sl_want(&b, want, sizeof(want));
	sl_read_frame(fd, got, sizeof(got));
	cr_expect_str_eq(got, want);
	st = sl_stats(s);
	cr_expect_eq(st.sent, 4);
	cr_expect_eq(st.dropped, 0);
	cr_expect_eq(st.reconnects, 1);
	cr_expect_eq(st.connected, 1);
	syslog_close(s);
	close(fd);
	close(lfd);
}

/* Nothing listening: queued up to the outbox, the rest dropped, the close
 * counts what never went; never a block. */
Test(syslog, tcp_peer_down_counts_drops)
{
	char addr[64], err[160];
	struct alert a = alert_fixture_full();
	struct syslog_sink *s;
	struct syslog_stats st;
	uint16_t port;
	int lfd = sl_tcp_listener(&port), total = 200;

	close(lfd);
	snprintf(addr, sizeof(addr), "tcp:127.0.0.1:%u", port);
	s = syslog_open(addr, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	for (int i = 0; i < total; i++)
		syslog_send_alert(s, &a);
	st = sl_stats(s);
	cr_expect_eq(st.connected, 0);
	cr_expect_eq(st.sent, 0);
	cr_expect_gt(st.queued, 0);
	cr_expect_gt(st.dropped, 0);
	cr_expect_eq(st.queued + st.dropped, (uint64_t)total);
	syslog_close(s);
}

/* A receiver that accepts and never reads: the socket buffer, then the
 * outbox, fill; sends keep returning at once. */
Test(syslog, tcp_receiver_not_reading_never_blocks)
{
	char addr[64], err[160];
	struct alert a = alert_fixture_filled('x');
	struct syslog_sink *s;
	struct syslog_stats st;
	struct timespec t0, t1;
	uint16_t port;
	int lfd = sl_tcp_listener(&port), fd, total = 20000;

	snprintf(addr, sizeof(addr), "tcp:127.0.0.1:%u", port);
	s = syslog_open(addr, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	fd = accept(lfd, NULL, NULL);
	cr_assert_geq(fd, 0);
	sl_sleep_ms(20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < total; i++)
		syslog_send_alert(s, &a);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st = sl_stats(s);
	cr_expect_gt(st.sent, 0);
	cr_expect_gt(st.dropped, 0, "sent %llu queued %llu", (unsigned long long)st.sent,
		     (unsigned long long)st.queued);
	cr_expect_eq(st.sent + st.queued + st.dropped, (uint64_t)total);
	cr_expect_lt((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000, 5000);
	syslog_close(s);
	close(fd);
	close(lfd);
}

Test(syslog, open_errors_and_null)
{
	char err[160];
	struct syslog_stats st;
	struct alert a = alert_fixture_min();

	cr_expect_null(syslog_open("file:/x", err, sizeof(err)));
	cr_expect_str_eq(err, "syslog address must be unix:PATH, udp:HOST:PORT or tcp:HOST:PORT");
	cr_expect_null(syslog_open("udp:no-such-host.invalid:514", err, sizeof(err)));
	cr_expect(strncmp(err, "syslog address udp:no-such-host.invalid:514: ", 45) == 0, "%s",
		  err);
	cr_expect_eq(syslog_send_alert(NULL, &a), -1);
	cr_expect_eq(syslog_send_note(NULL, NULL), -1);
	syslog_tick(NULL);
	memset(&st, 0xff, sizeof(st));
	syslog_get_stats(NULL, &st);
	cr_expect_eq(st.sent + st.dropped + st.reconnects + st.queued + st.connected, 0);
	syslog_close(NULL);
}

/* A unix path with nobody there: open succeeds, sends are dropped until a
 * receiver appears (checked at most once a second). */
Test(syslog, unix_receiver_not_there_yet)
{
	char dir[] = "/tmp/zt-syslog-XXXXXX", addr[128], err[160], got[SYSLOG_MSG_MAX];
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct alert_note n = { .time_unix_ns = AF_TIME_NS, .severity = ALERT_SEV_LOW };
	struct syslog_sink *s;
	struct syslog_stats st;
	ssize_t r;
	int fd;

	strcpy(n.name, "zerotrace.audit.head");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(un.sun_path, sizeof(un.sun_path), "%s/log", dir);
	snprintf(addr, sizeof(addr), "unix:%s", un.sun_path);
	s = syslog_open(addr, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	cr_expect_eq(syslog_send_note(s, &n), -1);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	sl_sleep_ms(1050);
	syslog_tick(s);
	cr_expect_eq(syslog_send_note(s, &n), 0);
	r = sl_recv(fd, got, sizeof(got) - 1, 2000);
	cr_assert_gt(r, 0);
	got[r] = '\0';
	cr_expect(strstr(got, " zerotrace.audit.head [zerotrace@32473 severity=\"low\"]") != NULL,
		  "%s", got);
	st = sl_stats(s);
	cr_expect_eq(st.sent, 1);
	cr_expect_eq(st.dropped, 1);
	cr_expect_eq(st.reconnects, 1);
	syslog_close(s);
	close(fd);
	unlink(un.sun_path);
	rmdir(dir);
}
