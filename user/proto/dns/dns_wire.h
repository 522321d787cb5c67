/* SPDX-License-Identifier: MIT */
/* DNS (RFC 1035) on the wire: see wire.h for what each definition is for.
 * Over UDP every datagram is one message and the kernel's datagram path
 * copies each whole (bpf/datagram.bpf.h); over TCP each message has a
 * two-byte length before it (§4.2.2), and messages are small: each write
 * is copied whole. */
#ifndef ZT_DNS_WIRE_H
#define ZT_DNS_WIRE_H

#include "wire.h"

#define DNS_WIRE_PORT 53
#define DNS_WIRE_HEADER 12

static const struct zt_wire_rule dns_rule = { .capture = ZT_CAPTURE_WHOLE, .port = DNS_WIRE_PORT };

ZT_WIRE_NO_FRAMES(dns)

/* A message header at p[0..n): a standard query, an inverse one, a status
 * request, a notify or an update (opcodes 0..5), asking one question; a
 * response may answer none (FORMERR). */
static __always_inline int dns_wire_header(const __u8 *p, __u32 n)
{
	__u8 opcode;
	__u16 qd;

	if (n < DNS_WIRE_HEADER)
		return 0;
	opcode = (p[2] >> 3) & 0xf;
	qd = (__u16)(p[4] << 8 | p[5]);
	if (opcode > 5 || opcode == 3 || qd > 1)
		return 0;
	if (!(p[2] & 0x80))
		return qd == 1 ? ZT_SNIFF_REQUEST : 0;
	return ZT_SNIFF_RESPONSE;
}

/* Over TCP: a length that holds at least a header, then the header. Only
 * with port 53 at one end: twelve bytes prove little. A server may read
 * the length alone, a byte at a time (dnsmasq does): fewer bytes than a
 * header that do not contradict one are taken too, either side. */
static __always_inline int dns_sniff(const __u8 *p, __u32 n)
{
	__u32 len;
	int side;

	if (n < 2)
		return n ? ZT_SNIFF_REQUEST | ZT_SNIFF_RESPONSE | ZT_SNIFF_WEAK : 0;
	len = (__u32)p[0] << 8 | p[1];
	if (len < DNS_WIRE_HEADER)
		return 0;
	if (n < 2 + DNS_WIRE_HEADER)
		return ZT_SNIFF_REQUEST | ZT_SNIFF_RESPONSE | ZT_SNIFF_WEAK;
	side = dns_wire_header(p + 2, n - 2);
	return side ? side | ZT_SNIFF_WEAK : 0;
}

static __always_inline int dns_message_start(const __u8 *p)
{
	(void)p;
	return 1;
}

#endif /* ZT_DNS_WIRE_H */
