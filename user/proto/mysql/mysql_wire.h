/* SPDX-License-Identifier: MIT */
/* MySQL/MariaDB client/server protocol on the wire: see wire.h for what each definition is for. */
#ifndef ZT_MYSQL_WIRE_H
#define ZT_MYSQL_WIRE_H

#include "wire.h"

static const struct zt_wire_rule mysql_rule = { .capture = ZT_CAPTURE_FRAMES, .port = 3306 };

/* A packet: 3-byte LE payload length, 1-byte sequence id, payload. A
 * payload of MYSQL_WIRE_MAX goes on in the next packet. */
#define MYSQL_WIRE_HDR 4
#define MYSQL_WIRE_MAX 0xffffffu

/* Capability flags (the greeting's and the handshake response's). */
#define MYSQL_CLIENT_CONNECT_WITH_DB 0x00000008u
#define MYSQL_CLIENT_COMPRESS 0x00000020u
#define MYSQL_CLIENT_PROTOCOL_41 0x00000200u
#define MYSQL_CLIENT_SSL 0x00000800u
#define MYSQL_CLIENT_SECURE_CONNECTION 0x00008000u
#define MYSQL_CLIENT_PLUGIN_AUTH_LENENC 0x00200000u
#define MYSQL_CLIENT_DEPRECATE_EOF 0x01000000u
#define MYSQL_CLIENT_ZSTD 0x04000000u
#define MYSQL_CLIENT_QUERY_ATTRIBUTES 0x08000000u

/* The connection's framing state bits. */
#define MYSQL_WIRE_TLS 0x01      /* the client sent SSLRequest: encrypted from here on */
#define MYSQL_WIRE_ZIP_NEXT 0x02 /* compression agreed: it starts after the auth's OK */
#define MYSQL_WIRE_ZIP 0x04      /* compressed packets (another header): not walked */
#define MYSQL_WIRE_REQ_CONT 0x08 /* the last request packet was MYSQL_WIRE_MAX long */
#define MYSQL_WIRE_INFILE 0x10   /* LOAD DATA LOCAL: the client sends a file, any seq */

static __always_inline __u32 mysql_wire_le32(const __u8 *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24;
}

/* A command byte a client may send: MySQL's 0x00..0x21 with room for new
 * ones, MariaDB's 0xfa (bulk execute) .. 0xfe. */
static __always_inline int mysql_wire_command(__u8 c)
{
	return c < 0x40 || (c >= 0xfa && c <= 0xfe);
}

/*
 * 4 + the payload length; for the server's packets once the first payload
 * byte is in view too (frame_copy tells OK, ERR, EOF from rows by it, and
 * copies it: see there). A request's first packet
 * (seq 0, unless it continues a long one or is a file's) holds a command. The
 * client's packet of seq 1 is its handshake response, or an SSLRequest
 * (32 bytes, CLIENT_SSL): TLS follows and nothing more is framed (the
 * stream is opaque from there); with compression agreed, packets change
 * shape after the server's auth OK, likewise.
 */
static __always_inline __s64 mysql_frame_len(const __u8 *hdr, __u32 n, __u8 request,
					     __u8 *state)
{
	__u32 len, caps;

	if (*state & (MYSQL_WIRE_TLS | MYSQL_WIRE_ZIP))
		return ZT_FRAME_OPAQUE;
	if (n < MYSQL_WIRE_HDR)
		return ZT_FRAME_SHORT;
	len = zt_wire_le24(hdr);
	if (!request) {
		if (len && n < MYSQL_WIRE_HDR + 1)
			return ZT_FRAME_SHORT;
		if ((*state & MYSQL_WIRE_ZIP_NEXT) && len && hdr[4] == 0x00)
			*state = (*state & ~MYSQL_WIRE_ZIP_NEXT) | MYSQL_WIRE_ZIP;
		/* 0xfb answering a query asks for a file; the next answer ends it */
		if (hdr[3] == 1 && len && hdr[4] == 0xfb)
			*state |= MYSQL_WIRE_INFILE;
		else
			*state &= ~MYSQL_WIRE_INFILE;
		return (__s64)len + MYSQL_WIRE_HDR;
	}
	if (!(*state & (MYSQL_WIRE_REQ_CONT | MYSQL_WIRE_INFILE))) {
		if (hdr[3] == 0) {
			if (!len)
				return ZT_FRAME_BAD;
			if (n < MYSQL_WIRE_HDR + 1)
				return ZT_FRAME_SHORT;
			if (!mysql_wire_command(hdr[4]))
				return ZT_FRAME_BAD;
		}
		if (hdr[3] == 1 && len >= 32 && len < MYSQL_WIRE_MAX) {
			if (n < 8)
				return ZT_FRAME_SHORT;
			caps = mysql_wire_le32(hdr + 4);
			if (len == 32 && (caps & MYSQL_CLIENT_SSL))
				*state |= MYSQL_WIRE_TLS;
			else if (caps & (MYSQL_CLIENT_COMPRESS | MYSQL_CLIENT_ZSTD))
				*state |= MYSQL_WIRE_ZIP_NEXT;
		}
	}
	if (len == MYSQL_WIRE_MAX)
		*state |= MYSQL_WIRE_REQ_CONT;
	else
		*state &= ~MYSQL_WIRE_REQ_CONT;
	return (__s64)len + MYSQL_WIRE_HDR;
}

/*
 * Commands and the handshake response (user, database; the module skips
 * its auth response by length) are copied; other client packets (auth
 * data, LOAD DATA LOCAL file contents, the rest of a long packet) only
 * by header. Of the server's: the greeting's version, ERR's message, what
 * OK/EOF say (status flags), a result's column count; column definitions
 * and text rows are counted. A packet that goes on in the next one is
 * never counted, nor a column count (payload 1..250 as one byte, or 0xfc +
 * 2 bytes, which no text row can be), so the module knows where runs end.
 */
static __always_inline __u32 mysql_frame_copy(const __u8 *hdr, __u32 n, __u8 request,
					      __u32 capture, __u8 *cls)
{
	__u32 len;

	if (request) /* frame_len needs up to 8 bytes of seq 0 and 1 */
		return hdr[3] > 1 ? MYSQL_WIRE_HDR : capture > ZT_FRAME_PEEK ? capture : ZT_FRAME_PEEK;
	if (n < MYSQL_WIRE_HDR + 1)
		return MYSQL_WIRE_HDR; /* an empty packet: the end of a long one */
	len = zt_wire_le24(hdr);
	if (hdr[4] == 0xff)
		return 256;
	if (hdr[3] == 0)
		return 96;
	if (hdr[4] == 0x00 || hdr[4] == 0xfe)
		return 32;
	if (hdr[3] == 1 || (len == 1 && hdr[4] <= 0xfa) || (len == 3 && hdr[4] == 0xfc))
		return 16;
	if (len == MYSQL_WIRE_MAX)
		return ZT_FRAME_PEEK;
	*cls = 1;
	return 0;
}

/*
 * The server's greeting (seq 0, protocol 10, a version "8.0.36",
 * "5.5.5-10.11.6-MariaDB") is strong; a COM_QUERY (seq 0, 0x03, text, or
 * the query-attributes prefix 0x00 0x01 then text) is weak.
 */
static __always_inline int mysql_sniff(const __u8 *p, __u32 n)
{
	__u32 len, i, at;
	__u8 dot = 0, digits = 1;

	if (n < 6 || p[3] != 0)
		return 0;
	len = zt_wire_le24(p);
	if (p[4] == 0x0a) {
		if (len < 24 || len > 1024 || !zt_wire_digit(p[5]))
			return 0;
		/* one loop, flags not counters: the verifier follows each value
		 * of a counter as a path of its own */
		for (i = 6; i < ZT_SNIFF_LEN && i < n && p[i]; i++) {
			if (p[i] < 0x20 || p[i] > 0x7e)
				return 0;
			if (digits && p[i] == '.')
				dot = 1;
			else if (!zt_wire_digit(p[i]))
				digits = 0;
		}
		return dot ? ZT_SNIFF_RESPONSE : 0;
	}
	if (p[4] != 0x03 || len < 2)
		return 0;
	at = 5;
	if (p[5] == 0 && n > 6 && p[6] == 1 && len > 3)
		at = 7;
	if (at >= n)
		return 0;
	for (i = at; i < ZT_SNIFF_LEN && i < n && i < len + MYSQL_WIRE_HDR; i++)
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') || p[i] == 0x7f)
			return 0;
	return ZT_SNIFF_REQUEST | ZT_SNIFF_WEAK;
}

static __always_inline int mysql_message_start(const __u8 *p)
{
	(void)p;
	return 0; /* frames are walked, never guessed */
}

#endif /* ZT_MYSQL_WIRE_H */
