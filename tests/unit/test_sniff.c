// SPDX-License-Identifier: MIT
/*
 * user/proto/sniff.h, the code the kernel runs to name a connection's
 * protocol from the first bytes either side sends, here compiled for user
 * space: real first bytes of each registered protocol, the port as a hint
 * for weak matches only, --protocols, and the capture policy each names.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "proto.h"
#include "sniff.h"

#define SN_ALL ZT_PROTO_ALL

static __u8 sn_at(const char *s, size_t n, __u16 lport, __u16 rport, __u32 enabled,
		  __u8 midstream, int *side)
{
	return zt_sniff((const __u8 *)s, n < ZT_SNIFF_LEN ? (__u32)n : ZT_SNIFF_LEN, lport, rport,
			enabled, midstream, side);
}

static __u8 sn(const char *s, size_t n, __u16 lport, __u16 rport, __u32 enabled, int *side)
{
	return sn_at(s, n, lport, rport, enabled, 0, side);
}

#define SN(lit, lp, rp, side) sn((lit), sizeof(lit) - 1, (lp), (rp), SN_ALL, (side))

Test(sniff, http_requests_and_responses)
{
	int side;

	cr_expect_eq(SN("GET /items/42 HTTP/1.1\r\nHost: x\r\n", 50000, 8080, &side), ZT_PROTO_HTTP1);
	cr_expect_eq(side, ZT_SNIFF_REQUEST);
	cr_expect_eq(SN("HTTP/1.1 200 OK\r\n", 8080, 50000, &side), ZT_PROTO_HTTP1);
	cr_expect_eq(side, ZT_SNIFF_RESPONSE);
	cr_expect_eq(SN("M-SEARCH * HTTP/1.1\r\n", 1, 2, &side), ZT_PROTO_HTTP1);
	cr_expect_eq(SN("PROPFIND /dav/ HTTP/1.1\r\n", 1, 2, &side), ZT_PROTO_HTTP1);
	/* a long target: the line's end is out of view, the method decides */
	cr_expect_eq(SN("POST /a/very/long/path/that/goes/on HTTP/1.1\r\n", 1, 2, &side),
		     ZT_PROTO_HTTP1);
}

Test(sniff, a_line_not_ending_in_http_version_is_not_http)
{
	int side;

	/* an inline Redis command looks like a request line until its end */
	cr_expect_eq(SN("GET user:1\r\n", 50000, 7000, &side), ZT_PROTO_UNKNOWN);
	cr_expect_eq(SN("GET user:1\r\n", 50000, 6379, &side), ZT_PROTO_REDIS);
	cr_expect_eq(side, ZT_SNIFF_REQUEST);
}

Test(sniff, redis_commands_and_replies)
{
	int side;

	cr_expect_eq(SN("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", 50000, 7000, &side),
		     ZT_PROTO_REDIS);
	cr_expect_eq(side, ZT_SNIFF_REQUEST | ZT_SNIFF_RESPONSE);
	/* replies and inline commands alone are weak: the port decides */
	cr_expect_eq(SN("+OK\r\n", 7000, 50000, &side), ZT_PROTO_UNKNOWN);
	cr_expect_eq(SN("+OK\r\n", 6379, 50000, &side), ZT_PROTO_REDIS);
	cr_expect_eq(side, ZT_SNIFF_RESPONSE);
	cr_expect_eq(SN(":42\r\n", 50000, 6379, &side), ZT_PROTO_REDIS);
	cr_expect_eq(SN("$-1\r\n", 50000, 6379, &side), ZT_PROTO_REDIS);
	cr_expect_eq(SN("-ERR unknown command\r\n", 50000, 6379, &side), ZT_PROTO_REDIS);
	cr_expect_eq(SN("PING\r\n", 50000, 6379, &side), ZT_PROTO_REDIS);
	cr_expect_eq(side, ZT_SNIFF_REQUEST);
	cr_expect_eq(SN("PING\r\n", 50000, 7000, &side), ZT_PROTO_UNKNOWN);
}

Test(sniff, other_bytes_match_nothing)
{
	static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
	int side;

	cr_expect_eq(sn(tls, sizeof(tls) - 1, 50000, 443, SN_ALL, &side), ZT_PROTO_UNKNOWN);
	cr_expect_eq(side, 0);
	cr_expect_eq(SN("SSH-2.0-OpenSSH_9.2\r\n", 50000, 22, &side), ZT_PROTO_UNKNOWN);
	cr_expect_eq(sn("", 0, 1, 2, SN_ALL, &side), ZT_PROTO_UNKNOWN);
	cr_expect_eq(SN("\x00\x00\x00\x00", 1, 2, &side), ZT_PROTO_UNKNOWN);
}

Test(sniff, disabled_protocols_are_not_looked_for)
{
	int side;

	cr_expect_eq(sn("GET / HTTP/1.1\r\n", 16, 50000, 80, 1u << ZT_PROTO_REDIS, &side),
		     ZT_PROTO_UNKNOWN);
	cr_expect_eq(sn("*1\r\n$4\r\nPING\r\n", 14, 50000, 6379, 1u << ZT_PROTO_HTTP1, &side),
		     ZT_PROTO_UNKNOWN);
	cr_expect_eq(sn("*1\r\n$4\r\nPING\r\n", 14, 50000, 6379, 1u << ZT_PROTO_REDIS, &side),
		     ZT_PROTO_REDIS);
}

Test(sniff, only_what_is_in_view_decides)
{
	int side;

	/* a prefix too short to decide still matches the protocol it starts */
	cr_expect_eq(sn("GE", 2, 50000, 80, SN_ALL, &side), ZT_PROTO_HTTP1);
	/* past ZT_SNIFF_LEN bytes nothing is read */
	cr_expect_eq(sn("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 46, 1, 2, SN_ALL, &side),
		     ZT_PROTO_HTTP1);
}

Test(sniff, capture_policy_and_message_starts)
{
	cr_expect_eq(zt_wire_capture(ZT_PROTO_UNKNOWN), ZT_CAPTURE_HEAD);
	cr_expect_eq(zt_wire_capture(ZT_PROTO_OPAQUE), ZT_CAPTURE_HEAD);
	cr_expect_eq(zt_wire_capture(ZT_PROTO_HTTP1), ZT_CAPTURE_HEAD);
	cr_expect_eq(zt_wire_capture(ZT_PROTO_REDIS), ZT_CAPTURE_WHOLE);
	cr_expect(zt_message_start(ZT_PROTO_HTTP1, (const __u8 *)"GET "));
	cr_expect(zt_message_start(ZT_PROTO_HTTP1, (const __u8 *)"HTTP"));
	cr_expect(!zt_message_start(ZT_PROTO_HTTP1, (const __u8 *)"\x00\x01xy"));
	cr_expect(zt_message_start(ZT_PROTO_REDIS, (const __u8 *)"*2\r\n"));
	cr_expect(!zt_message_start(ZT_PROTO_REDIS, (const __u8 *)"abcd"));
	cr_expect(!zt_message_start(ZT_PROTO_UNKNOWN, (const __u8 *)"GET "));
}

Test(sniff, registry_names_and_ids_agree)
{
	for (uint8_t id = 1; id < ZT_PROTO_COUNT; id++) {
		const struct proto *p = proto_by_id(id);

		cr_assert_not_null(p);
		cr_expect_eq(p->id, id);
		cr_expect_eq(proto_by_name(p->name, strlen(p->name)), p);
		cr_expect_leq(p->state_size, PROTO_STATE_MAX);
	}
	cr_expect_null(proto_by_id(ZT_PROTO_UNKNOWN));
	cr_expect_null(proto_by_id(ZT_PROTO_COUNT));
	cr_expect_null(proto_by_name("http", 4));
	cr_expect_null(proto_by_name("http1x", 6));
}

/* HTTP/2 is known by its client's connection preface alone (no port), the
 * one request line HTTP/1 refuses ("HTTP/2.0" is not "HTTP/1.x"). */
Test(sniff, http2_preface)
{
	int side;

	cr_expect_eq(SN("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04", 50000, 50051, &side),
		     ZT_PROTO_HTTP2);
	cr_expect_eq(side, ZT_SNIFF_REQUEST);
	cr_expect_eq(SN("PRI * HTTP/2.0\r\n\r\nSX\r\n\r\n", 1, 2, &side), ZT_PROTO_UNKNOWN);
	/* a server's SETTINGS frame alone names nothing */
	cr_expect_eq(SN("\x00\x00\x12\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64", 50051, 1, &side),
		     ZT_PROTO_UNKNOWN);
	cr_expect_eq(sn("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24, 1, 2, SN_ALL & ~(1u << ZT_PROTO_HTTP2),
			&side), ZT_PROTO_UNKNOWN);
	cr_expect_eq(zt_wire_capture(ZT_PROTO_HTTP2), ZT_CAPTURE_FRAMES);
}

/* http2_wire.h's frame rules, which the kernel's walk runs: the preface is
 * a 24-byte unit of its own, then 9 bytes of header plus the length; header
 * blocks and SETTINGS are copied whole, DATA only its header and first
 * bytes (gRPC message prefixes), flow control only counted. */
Test(sniff, http2_frames)
{
	const __u8 preface[8] = { 'P', 'R', 'I', ' ', '*', ' ', 'H', 'T' };
	const __u8 headers[8] = { 0, 1, 0x2c, 1, 4, 0, 0, 0 };
	const __u8 data[8] = { 0, 0x40, 0, 0, 1, 0, 0, 0 };
	const __u8 window[8] = { 0, 0, 4, 8, 0, 0, 0, 0 };
	const __u8 reserved[8] = { 0, 0, 4, 8, 0, 0x80, 0, 0 };
	__u8 st = 0, cls = 0;

	cr_expect_eq(http2_frame_len(preface, 8, 1, &st), 24);
	cr_expect_eq(http2_frame_len(preface, 3, 1, &st), ZT_FRAME_SHORT);
	cr_expect_eq(http2_frame_len(headers, 8, 1, &st), 0x12c + 9);
	cr_expect_eq(http2_frame_len(headers, 5, 1, &st), ZT_FRAME_SHORT);
	cr_expect_eq(http2_frame_len(data, 8, 0, &st), 0x4000 + 9);
	cr_expect_eq(http2_frame_len(reserved, 8, 0, &st), ZT_FRAME_BAD);
	cr_expect_eq(http2_frame_copy(preface, 8, 1, 64, &cls), 24);
	cr_expect_eq(http2_frame_copy(headers, 8, 1, 64, &cls), 0x12c + 9, "whatever --capture-bytes says");
	cr_expect_eq(cls, 0);
	cr_expect_eq(http2_frame_copy(data, 8, 0, 64, &cls), 9 + H2_WIRE_DATA_COPY);
	cr_expect_eq(http2_frame_copy(window, 8, 0, 64, &cls), 0);
	cr_expect_eq(cls, 1);
}

/* Inside a connection opened before the agent, a write that starts with a
 * frame header as RFC 9113 allows it is HTTP/2, from either side; never on
 * a connection whose start was seen, and never ahead of another protocol. */
Test(sniff, http2_frames_midstream)
{
	/* HEADERS (END_HEADERS) on stream 3, 0x2c bytes */
	static const char headers[] = "\x00\x00\x2c\x01\x04\x00\x00\x00\x03";
	/* WINDOW_UPDATE on 0, then PING: both headers in view */
	static const char wu_ping[] = "\x00\x00\x04\x08\x00\x00\x00\x00\x00"
				      "\x00\x00\x10\x00"
				      "\x00\x00\x08\x06\x00\x00\x00\x00\x00";
	/* WINDOW_UPDATE, then a header with the reserved bit set */
	static const char wu_bad[] = "\x00\x00\x04\x08\x00\x00\x00\x00\x00"
				     "\x00\x00\x10\x00"
				     "\x00\x00\x08\x06\x00\x80\x00\x00\x00";
	static const struct { const char *p; size_t n; } no[] = {
		{ "\x00\x40\x01\x00\x00\x00\x00\x00\x01", 9 }, /* DATA of 16385 bytes */
		{ "\x00\x00\x05\x00\x00\x00\x00\x00\x00", 9 }, /* DATA on stream 0 */
		{ "\x00\x00\x04\x0a\x00\x00\x00\x00\x01", 9 }, /* type 10 */
		{ "\x00\x00\x07\x06\x00\x00\x00\x00\x00", 9 }, /* PING of 7 bytes */
		{ "\x00\x00\x06\x04\x01\x00\x00\x00\x00", 9 }, /* SETTINGS ack with a payload */
		{ "\x00\x00\x04\x03\x00\x00\x00\x00\x00", 9 }, /* RST_STREAM on stream 0 */
		{ "\x00\x00\x2c\x01\x04\x00\x00\x00", 8 },     /* a header cut */
	};
	int side;

	cr_expect_eq(sn_at(headers, 9, 40000, 50051, SN_ALL, 1, &side), ZT_PROTO_HTTP2);
	cr_expect_eq(side, ZT_SNIFF_REQUEST | ZT_SNIFF_RESPONSE | ZT_SNIFF_MIDSTREAM);
	cr_expect_eq(sn_at(headers, 9, 40000, 50051, SN_ALL, 0, &side), ZT_PROTO_UNKNOWN,
		     "a connection seen from its start must show the preface");
	cr_expect_eq(sn_at(wu_ping, 22, 1, 2, SN_ALL, 1, &side), ZT_PROTO_HTTP2);
	cr_expect_eq(sn_at(wu_bad, 22, 1, 2, SN_ALL, 1, &side), ZT_PROTO_UNKNOWN,
		     "the second header in view decides too");
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_expect_eq(sn_at(no[i].p, no[i].n, 1, 2, SN_ALL, 1, &side), ZT_PROTO_UNKNOWN,
			     "case %zu", i);
	/* a message of another protocol wins: a Redis reply "*1\r\n$..." is not
	 * a frame, and a DNS query over TCP on port 53 stays DNS */
	cr_expect_eq(sn_at("\x00\x1d\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www",
			   17, 40000, 53, SN_ALL, 1, &side), ZT_PROTO_DNS);
	cr_expect_eq(side, ZT_SNIFF_REQUEST);
}
