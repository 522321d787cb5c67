/* SPDX-License-Identifier: MIT */
/* Redis (RESP2/RESP3) on the wire: see wire.h for what each definition is for. */
#ifndef ZT_REDIS_WIRE_H
#define ZT_REDIS_WIRE_H

#include "wire.h"

/* RESP has no length prefix to skip by: pipelined commands and replies are
 * only found by reading every byte, so each write is copied whole. */
static const struct zt_wire_rule redis_rule = { .capture = ZT_CAPTURE_WHOLE, .port = 6379 };

ZT_WIRE_NO_FRAMES(redis)

/* Decimal digits at p[i..], then CRLF; returns the index after the LF, or 0
 * (also when n ends first). */
static __always_inline __u32 redis_wire_count(const __u8 *p, __u32 n, __u32 i)
{
	__u32 start = i;

	for (; i < n && i < ZT_SNIFF_LEN && i < start + 10 && zt_wire_digit(p[i]); i++)
		;
	if (i == start || i + 1 >= n || i + 1 >= ZT_SNIFF_LEN || p[i] != '\r' || p[i + 1] != '\n')
		return 0;
	return i + 2;
}

/*
 * "*<n>\r\n$<len>\r\n" starts a command, or a reply holding strings: strong
 * either way. A reply alone ('+OK', ':1', '$5', '-ERR ...') and an inline
 * command ("PING\r\n", "GET k\r\n") could be many things: weak.
 */
static __always_inline int redis_sniff(const __u8 *p, __u32 n)
{
	__u32 i;

	if (n < 3)
		return 0;
	if (p[0] == '*') {
		i = redis_wire_count(p, n, 1);
		if (i && i < n && i < ZT_SNIFF_LEN && p[i] == '$' && redis_wire_count(p, n, i + 1))
			return ZT_SNIFF_REQUEST | ZT_SNIFF_RESPONSE;
		return i ? ZT_SNIFF_RESPONSE | ZT_SNIFF_WEAK : 0;
	}
	if (p[0] == ':' || p[0] == '$')
		return (p[1] == '-' && p[2] == '1' && n >= 5 && p[3] == '\r') ||
			       redis_wire_count(p, n, 1) ?
		       ZT_SNIFF_RESPONSE | ZT_SNIFF_WEAK : 0;
	if (p[0] == '+' || p[0] == '-') {
		for (i = 1; i < n && i < ZT_SNIFF_LEN; i++) {
			if (p[i] == '\r')
				return i + 1 < n && p[i + 1] == '\n' ? ZT_SNIFF_RESPONSE | ZT_SNIFF_WEAK : 0;
			if (p[i] < ' ' || p[i] > '~')
				return 0;
		}
		return ZT_SNIFF_RESPONSE | ZT_SNIFF_WEAK;
	}
	/* an inline command: a word of letters, then a space or the line's end */
	for (i = 0; i < n && i < ZT_SNIFF_LEN && i < 16 &&
		    ((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z'));
	     i++)
		;
	if (i < 2 || i >= n || i >= ZT_SNIFF_LEN)
		return 0;
	if (p[i] == ' ' || (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n'))
		return ZT_SNIFF_REQUEST | ZT_SNIFF_WEAK;
	return 0;
}

/* RESP messages start with a type byte: worth a copy deep in a long run. */
static __always_inline int redis_message_start(const __u8 *p)
{
	return p[0] == '*' || p[0] == '$' || p[0] == '+' || p[0] == '-' || p[0] == ':';
}

#endif /* ZT_REDIS_WIRE_H */
