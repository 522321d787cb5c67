// SPDX-License-Identifier: MIT
#include <string.h>

#include "ws_frame.h"

size_t ws_frame_encode(uint8_t *out, size_t cap, uint8_t op, const uint8_t *payload, size_t n,
		       const uint8_t mask[4])
{
	size_t h = 2;

	if (n >= 126)
		h += n > 0xffff ? 8 : 2;
	h += 4;
	if (cap < h || n > cap - h)
		return 0;
	out[0] = 0x80 | (op & 0x0f);
	if (n < 126) {
		out[1] = 0x80 | (uint8_t)n;
	} else if (n <= 0xffff) {
		out[1] = 0x80 | 126;
		out[2] = (uint8_t)(n >> 8);
		out[3] = (uint8_t)n;
	} else {
		out[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	}
	memcpy(out + h - 4, mask, 4);
	for (size_t i = 0; i < n; i++)
		out[h + i] = payload[i] ^ mask[i & 3];
	return h + n;
}

int ws_frame_decode(const uint8_t *buf, size_t n, struct ws_frame *f)
{
	uint64_t len;
	size_t h = 2;

	if (n < 2)
		return 0;
	/* no extension is negotiated, and a server never masks */
	if ((buf[0] & 0x70) || (buf[1] & 0x80))
		return -1;
	f->fin = buf[0] >> 7;
	f->op = buf[0] & 0x0f;
	len = buf[1] & 0x7f;
	if (len == 126) {
		if (n < 4)
			return 0;
		len = (uint64_t)buf[2] << 8 | buf[3];
		h = 4;
	} else if (len == 127) {
		if (n < 10)
			return 0;
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | buf[2 + i];
		if (len >> 63)
			return -1;
		h = 10;
	}
	if ((f->op & 0x8) && len > 125)
		return -1;
	f->header_len = h;
	f->payload_len = len;
	return len <= n - h ? 1 : 0;
}
