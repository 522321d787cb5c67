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

#endif /* ZT_HTTP1_WIRE_H */
