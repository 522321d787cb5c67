/* SPDX-License-Identifier: MIT */
/*
 * The first bytes of a TLS connection, as the kernel sees them on the
 * socket: a handshake record (RFC 8446 5.1, 4) holding a ClientHello or a
 * ServerHello. Pure, compiled for BPF and for the unit tests.
 */
#ifndef ZT_TLS_RECORD_H
#define ZT_TLS_RECORD_H

#define ZT_TLS_HELLO_LEN 11

#define ZT_TLS_RECORD_HDR 5

/*
 * type 22 (handshake), record version 3.x, then the handshake header:
 * type 1 or 2, a 24-bit length under 64 KiB, and legacy_version 3.x. Eight
 * fixed bytes: a MySQL packet of 790 bytes (16 03 00 ..) is not mistaken.
 * OpenSSL reads a record's 5-byte header on its own first: a message of
 * exactly those 5 bytes is judged on them (a record is at most 2^14 + 2048).
 */
static inline int zt_tls_hello(const unsigned char *p, unsigned int n)
{
	if (n < ZT_TLS_RECORD_HDR || p[0] != 0x16 || p[1] != 0x03 || p[2] > 0x04)
		return 0;
	if (n == ZT_TLS_RECORD_HDR)
		return ((unsigned int)p[3] << 8 | p[4]) <= (1u << 14) + 2048;
	if (n < ZT_TLS_HELLO_LEN)
		return 0;
	return (p[5] == 1 || p[5] == 2) && p[6] == 0 && p[9] == 0x03 && p[10] <= 0x04;
}

#endif /* ZT_TLS_RECORD_H */
