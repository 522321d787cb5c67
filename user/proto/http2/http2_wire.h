/* SPDX-License-Identifier: MIT */
/* HTTP/2 (RFC 9113) on the wire: see wire.h for what each definition is for. */
#ifndef ZT_HTTP2_WIRE_H
#define ZT_HTTP2_WIRE_H

#include "wire.h"

/* No usual port: h2c is found by its preface, not guessed. */
static const struct zt_wire_rule http2_rule = { .capture = ZT_CAPTURE_FRAMES };

#define H2_WIRE_HDR 9         /* length(24) type(8) flags(8) R+stream(32) */
#define H2_WIRE_PREFACE_LEN 24 /* "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" */

enum h2_frame_type {
	H2_DATA = 0x0,
	H2_HEADERS = 0x1,
	H2_PRIORITY = 0x2,
	H2_RST_STREAM = 0x3,
	H2_SETTINGS = 0x4,
	H2_PUSH_PROMISE = 0x5,
	H2_PING = 0x6,
	H2_GOAWAY = 0x7,
	H2_WINDOW_UPDATE = 0x8,
	H2_CONTINUATION = 0x9,
};

/* 1 when p[0..n) (n <= 8) is a prefix of the client's connection preface. */
static __always_inline int h2_wire_preface(const __u8 *p, __u32 n)
{
	const char lit[8] = { 'P', 'R', 'I', ' ', '*', ' ', 'H', 'T' };

	for (__u32 i = 0; i < n && i < 8; i++)
		if (p[i] != (__u8)lit[i])
			return 0;
	return 1;
}

/* The client's preface is a 24-byte "frame" of its own; then every frame
 * is its 9-byte header plus the length it gives. The reserved bit of the
 * stream id is never set by a sender: a header with it set is not one. */
static __always_inline __s64 http2_frame_len(const __u8 *hdr, __u32 n, __u8 request, __u8 *state)
{
	(void)state;
	if (request && n && h2_wire_preface(hdr, n))
		return n >= 8 ? H2_WIRE_PREFACE_LEN : ZT_FRAME_SHORT;
	if (n < 6)
		return ZT_FRAME_SHORT;
	if (hdr[5] & 0x80)
		return ZT_FRAME_BAD;
	return (__s64)((__u32)hdr[0] << 16 | (__u32)hdr[1] << 8 | hdr[2]) + H2_WIRE_HDR;
}

/* DATA frames: their header (the stream, END_STREAM, the body's size) and
 * the first bytes of the payload, where gRPC's 5-byte message prefixes of
 * small messages are (a stream of them shares a frame). */
#define H2_WIRE_DATA_COPY 64

/* Header blocks whole (HPACK state: every block must reach the decoder,
 * whatever --capture-bytes says), SETTINGS whole (the table size), DATA
 * frames' heads, RST_STREAM with its error code; flow control, pings and
 * GOAWAY (streams still open end with the connection) only count. */
static __always_inline __u32 http2_frame_copy(const __u8 *hdr, __u32 n, __u8 request,
					      __u32 capture, __u8 *cls)
{
	__u32 len;

	(void)capture;
	if (n < 4)
		return 0;
	if (request && n >= 8 && h2_wire_preface(hdr, 8))
		return H2_WIRE_PREFACE_LEN;
	len = (__u32)hdr[0] << 16 | (__u32)hdr[1] << 8 | hdr[2];
	switch (hdr[3]) {
	case H2_HEADERS:
	case H2_CONTINUATION:
	case H2_PUSH_PROMISE:
	case H2_SETTINGS:
		return len + H2_WIRE_HDR;
	case H2_DATA:
		return H2_WIRE_HDR + H2_WIRE_DATA_COPY;
	case H2_RST_STREAM:
		return H2_WIRE_HDR + 4;
	case H2_WINDOW_UPDATE:
		*cls = 1;
		return 0;
	case H2_PING:
		*cls = 2;
		return 0;
	}
	*cls = 3;
	return 0;
}

/* Frames an endpoint sends before raising SETTINGS_MAX_FRAME_SIZE: the
 * most a joined connection's frames are believed to hold. */
#define H2_WIRE_FRAME_DEFAULT_MAX 16384

/* A frame header at p[0..9) as RFC 9113 §6 allows it: a known type, its
 * flags, its stream (0 or not) and, where fixed, its length; 0 when not. */
static __always_inline int h2_wire_frame_ok(const __u8 *p)
{
	__u32 len = (__u32)p[0] << 16 | (__u32)p[1] << 8 | p[2];
	__u32 id = ((__u32)p[5] & 0x7f) << 24 | (__u32)p[6] << 16 | (__u32)p[7] << 8 | p[8];
	__u8 type = p[3], flags = p[4];

	if (len > H2_WIRE_FRAME_DEFAULT_MAX || (p[5] & 0x80))
		return 0;
	switch (type) {
	case H2_DATA:
		return id && !(flags & ~0x09);
	case H2_HEADERS:
		return id && !(flags & ~0x2d);
	case H2_PRIORITY:
		return id && len == 5 && !flags;
	case H2_RST_STREAM:
		return id && len == 4 && !flags;
	case H2_SETTINGS:
		return !id && !(flags & ~0x01) && len % 6 == 0 && (!(flags & 1) || !len);
	case H2_PUSH_PROMISE:
		return id && !(flags & ~0x0c) && len >= 4;
	case H2_PING:
		return !id && len == 8 && !(flags & ~0x01);
	case H2_GOAWAY:
		return !id && len >= 8 && !flags;
	case H2_WINDOW_UPDATE:
		return len == 4 && !flags;
	case H2_CONTINUATION:
		return id && !(flags & ~0x04);
	}
	return 0;
}

/*
 * The client's preface: a new connection. Inside a connection opened
 * before the agent, a write starting with a frame header as RFC 9113
 * allows it (and a second one, where the first frame ends within the bytes
 * seen) is HTTP/2 from either side: nine bytes prove little on their own,
 * so only there (ZT_SNIFF_MIDSTREAM).
 */
static __always_inline int http2_sniff(const __u8 *p, __u32 n)
{
	const char lit[H2_WIRE_PREFACE_LEN] = { 'P', 'R', 'I', ' ', '*', ' ', 'H', 'T', 'T', 'P',
						'/', '2', '.', '0', '\r', '\n', '\r', '\n', 'S', 'M',
						'\r', '\n', '\r', '\n' };
	__u32 next;

	if (!n)
		return 0;
	if (h2_wire_preface(p, n)) {
		for (__u32 i = 0; i < n && i < H2_WIRE_PREFACE_LEN && i < ZT_SNIFF_LEN; i++)
			if (p[i] != (__u8)lit[i])
				return 0;
		return ZT_SNIFF_REQUEST;
	}
	if (n < H2_WIRE_HDR || !h2_wire_frame_ok(p))
		return 0;
	next = H2_WIRE_HDR + ((__u32)p[1] << 8 | p[2]);
	if (next <= ZT_SNIFF_LEN - H2_WIRE_HDR && next + H2_WIRE_HDR <= n &&
	    !h2_wire_frame_ok(p + next))
		return 0;
	return ZT_SNIFF_REQUEST | ZT_SNIFF_RESPONSE | ZT_SNIFF_MIDSTREAM;
}

static __always_inline int http2_message_start(const __u8 *p)
{
	(void)p;
	return 0; /* frames are walked, never guessed */
}

#endif /* ZT_HTTP2_WIRE_H */
