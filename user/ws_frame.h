/* SPDX-License-Identifier: MIT */
/*
 * The few WebSocket (RFC 6455) frames --node-helper needs to speak to a
 * Node inspector: a client's masked text frame, and the server's frames
 * read back. Pure: byte buffers in, byte buffers out.
 */
#ifndef ZT_WS_FRAME_H
#define ZT_WS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define WS_OP_TEXT 0x1
#define WS_OP_CLOSE 0x8
#define WS_OP_PING 0x9

/* A masked frame of opcode op carrying payload[0..n) into out (room for
 * cap bytes), with the 4-byte mask key; returns its length, or 0 when it
 * does not fit. */
size_t ws_frame_encode(uint8_t *out, size_t cap, uint8_t op, const uint8_t *payload, size_t n,
		       const uint8_t mask[4]);

struct ws_frame {
	uint8_t op;
	uint8_t fin;
	uint64_t header_len;  /* bytes before the payload */
	uint64_t payload_len;
};

/* Reads the header of the frame at buf[0..n): 1 and *f filled when the
 * whole frame is in buf; 0 when more bytes are needed; -1 for a frame a
 * server must not send (masked, reserved bits, a control frame over 125
 * bytes, a length with the top bit set). The payload, unmasked, is at
 * buf + f->header_len. */
int ws_frame_decode(const uint8_t *buf, size_t n, struct ws_frame *f);

#endif /* ZT_WS_FRAME_H */
