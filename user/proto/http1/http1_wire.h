/* SPDX-License-Identifier: MIT */
/* HTTP/1.x on the wire: see wire.h for what each definition is for. */
#ifndef ZT_HTTP1_WIRE_H
#define ZT_HTTP1_WIRE_H

#include "wire.h"

static const struct zt_wire_rule http1_rule = { .capture = ZT_CAPTURE_HEAD };

ZT_WIRE_NO_FRAMES(http1)

/* 1 if p[0..n) is a prefix of lit (n may pass the literal's end: 0). */
static __always_inline int http1_wire_prefix(const __u8 *p, __u32 n, const char *lit, __u32 len)
{
	for (__u32 i = 0; i < len && i < ZT_SNIFF_LEN; i++) {
		if (i >= n)
			return 1;
		if (p[i] != (__u8)lit[i])
			return 0;
	}
	return 1;
}

/*
 * A request starts with a method token (the registered ones are upper-case
 * letters, three with a '-') and a space; a response with "HTTP/1.". Bytes
 * too few to decide count when they are a valid prefix. With line_end, a
 * request line whose end is in view must end in "HTTP/1.x": that tells
 * "GET key\r\n", an inline Redis command, from HTTP when detecting; the
 * parser, which already knows the connection is HTTP, leaves a bad version
 * for its request-line check to count.
 */
static __always_inline int http1_wire_kind(const __u8 *p, __u32 n, int line_end)
{
	int resp = n && http1_wire_prefix(p, n, "HTTP/1.", 7) ? ZT_SNIFF_RESPONSE : 0;
	__u32 i, sp;

	if (!n)
		return 0;
	if (http1_wire_prefix(p, n, "M-SEARCH ", 9) ||
	    http1_wire_prefix(p, n, "VERSION-CONTROL ", 16) ||
	    http1_wire_prefix(p, n, "BASELINE-CONTROL ", 17))
		return ZT_SNIFF_REQUEST | resp;
	for (i = 0; i < n && i < ZT_SNIFF_LEN && i <= 20 && zt_wire_upper(p[i]); i++)
		;
	if (i == n)
		return i <= 20 ? ZT_SNIFF_REQUEST | resp : resp;
	if (i < 1 || i > 20 || i >= ZT_SNIFF_LEN || p[i] != ' ')
		return resp;
	sp = i;
	for (i = sp; line_end && i < n && i < ZT_SNIFF_LEN; i++) {
		if (p[i] != '\r' && p[i] != '\n')
			continue;
		if (i < sp + 10 || !http1_wire_prefix(p + i - 8, 7, "HTTP/1.", 7))
			return resp;
		break;
	}
	return ZT_SNIFF_REQUEST | resp;
}

static __always_inline int http1_sniff(const __u8 *p, __u32 n)
{
	return http1_wire_kind(p, n, 1);
}

/* The first four bytes of a common request or of a response: worth a copy
 * even deep in a long run (responses pipelined back to back). */
static __always_inline int http1_message_start(const __u8 *p)
{
	__u32 w = p[0] | p[1] << 8 | p[2] << 16 | (__u32)p[3] << 24;

	switch (w) {
	case 0x50545448: /* HTTP */
	case 0x20544547: /* GET  */
	case 0x54534f50: /* POST */
	case 0x20545550: /* PUT  */
	case 0x44414548: /* HEAD */
	case 0x454c4544: /* DELE */
	case 0x43544150: /* PATC */
	case 0x4954504f: /* OPTI */
	case 0x4e4e4f43: /* CONN */
	case 0x43415254: /* TRAC */
		return 1;
	}
	return 0;
}

/* The longest 101 head an h2c upgrade is looked for in. */
#define HTTP1_H2C_HEAD_MAX 256

/* The first bytes of a 101 that may switch to h2c. */
static __always_inline int http1_h2c_maybe(const __u8 *p, __u32 n)
{
	return n >= 16 && http1_wire_prefix(p, n, "HTTP/1.1 101 ", 13);
}

/* Byte i (13 <= i < n <= HTTP1_H2C_HEAD_MAX) of such a head: returns 1
 * at its end ("\r\n\r\n" from i), 0 to go on; *h2c is set where a line
 * of it ends in the h2c token, which in a 101 can only be Upgrade's (a
 * reason phrase "Switching to h2c" counts too, and means it). A WebSocket's
 * Sec-WebSocket-Accept value ends in '=', never in the token. */
static __always_inline int http1_h2c_step(const __u8 *p, __u32 n, __u32 i, __u8 *h2c)
{
	if (i + 4 > n)
		return 1;
	if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n')
		return 1;
	if ((p[i] == ' ' || p[i] == ':' || p[i] == ',') && i + 5 <= n &&
	    (p[i + 1] | 0x20) == 'h' && p[i + 2] == '2' && (p[i + 3] | 0x20) == 'c' &&
	    p[i + 4] == '\r')
		*h2c = 1;
	return 0;
}

/*
 * A response head "HTTP/1.1 101 ..." that switches to h2c (RFC 7540 §3.2):
 * its length, "\r\n\r\n" included, when p[0..n) holds it whole within
 * HTTP1_H2C_HEAD_MAX bytes; the bytes after it are HTTP/2 frames. 0 for
 * any other head. (The kernel runs the same steps under bpf_loop.)
 */
static __always_inline __u32 http1_h2c_head_len(const __u8 *p, __u32 n)
{
	__u8 h2c = 0;
	__u32 i;

	if (n > HTTP1_H2C_HEAD_MAX)
		n = HTTP1_H2C_HEAD_MAX;
	if (!http1_h2c_maybe(p, n))
		return 0;
	for (i = 13; i < n; i++)
		if (http1_h2c_step(p, n, i, &h2c))
			break;
	return h2c && i + 4 <= n ? i + 4 : 0;
}

#endif /* ZT_HTTP1_WIRE_H */
