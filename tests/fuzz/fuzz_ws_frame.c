// SPDX-License-Identifier: MIT
/*
 * Fuzzes user/ws_frame.c two ways: the input as bytes a server sent, and
 * the input as the payload of a frame the client sends.
 *
 * Checks: never a crash or a sanitizer report; decode returns -1, 0 or 1;
 * 0 ("more bytes") never for a header already refusable (mask, RSV bits, a
 * 64-bit length with the top bit); on 1 the header is 2, 4 or 10 bytes, the
 * frame fits the input, fin, op and the length form agree with the bytes, a
 * control frame is at most 125 bytes, and the frame cut by one byte returns 0. The input encoded with a
 * fixed mask has the exact length, header and key, does not fit one byte
 * less, and decodes back to the input once turned into the server form.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_frame.h"
#include "fuzz_check.h"

/* large enough to reach the 64-bit form (payloads over 65535) */
#define WF_MAX_PAYLOAD (70 * 1024)
#define WF_CAP (WF_MAX_PAYLOAD + 14)

static void wf_decode(const uint8_t *data, size_t size)
{
	struct ws_frame f, g;
	int rc = ws_frame_decode(data, size, &f);
	size_t whole;

	CHECK(rc == -1 || rc == 0 || rc == 1);
	if (rc == -1) {
		CHECK(size >= 2);
		return;
	}
	if (rc == 0) {
		/* more bytes never fix a frame refused by what is already in */
		CHECK(size < 2 || ((data[0] & 0x70) == 0 && (data[1] & 0x80) == 0));
		CHECK(size < 10 || (data[1] & 0x7f) != 127 || !(data[2] & 0x80));
		return;
	}
	CHECK(f.header_len == 2 || f.header_len == 4 || f.header_len == 10);
	CHECK(f.header_len <= size && f.payload_len <= size - f.header_len);
	CHECK((data[0] & 0x70) == 0 && (data[1] & 0x80) == 0);
	CHECK(f.fin == data[0] >> 7 && f.op == (data[0] & 0x0f));
	CHECK(f.header_len == ((data[1] & 0x7f) == 126 ? 4 : (data[1] & 0x7f) == 127 ? 10 : 2));
	CHECK(f.header_len != 2 || f.payload_len == (data[1] & 0x7f));
	CHECK(!(f.op & 0x8) || f.payload_len <= 125);
	/* the frame alone decodes the same; one byte less is incomplete */
	whole = f.header_len + f.payload_len;
	CHECK(ws_frame_decode(data, whole, &g) == 1);
	CHECK(g.header_len == f.header_len && g.payload_len == f.payload_len);
	CHECK(ws_frame_decode(data, whole - 1, &g) == 0);
}

/* dst = src ^ the mask, 8 bytes a step: the 64-bit forms are 64 KiB, and
 * every loop compare here is traced by the fuzzer's instrumentation. */
static void wf_unmask(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t mask[4])
{
	uint8_t m8[8];
	uint64_t w, m;
	size_t i = 0;

	memcpy(m8, mask, 4);
	memcpy(m8 + 4, mask, 4);
	memcpy(&m, m8, 8);
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, src + i, 8);
		w ^= m;
		memcpy(dst + i, &w, 8);
	}
	for (; i < n; i++)
		dst[i] = src[i] ^ mask[i & 3];
}

/* Encodes payload[0..n) as op, checks the client frame's exact bytes, turns
 * it into the server form in place (mask bit cleared, key shifted off,
 * payload unmasked) and decodes it back. */
static void wf_round_trip(const uint8_t *payload, size_t n, uint8_t op)
{
	static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	static uint8_t frame[WF_CAP];
	size_t want_h = n < 126 ? 6 : n <= 0xffff ? 8 : 14, h = want_h - 4, len;
	struct ws_frame f;

	CHECK(n <= WF_MAX_PAYLOAD);
	/* one byte short never fits */
	CHECK(ws_frame_encode(frame, want_h + n - 1, op, payload, n, mask) == 0);
	len = ws_frame_encode(frame, sizeof(frame), op, payload, n, mask);
	CHECK(len == want_h + n);
	CHECK(frame[0] == (0x80 | op) && (frame[1] & 0x80));
	CHECK(memcmp(frame + h, mask, 4) == 0);

	frame[1] &= 0x7f;
	wf_unmask(frame + h, frame + want_h, n, mask);
	if ((op & 0x8) && n > 125) {
		/* a control frame this long is one a server must not send */
		CHECK(ws_frame_decode(frame, len - 4, &f) == -1);
		return;
	}
	CHECK(ws_frame_decode(frame, len - 4, &f) == 1);
	CHECK(f.fin == 1 && f.op == op);
	CHECK(f.header_len == h && f.payload_len == n);
	CHECK(memcmp(frame + h, payload, n) == 0);
}

/* Inputs are short; "WT", a selector byte and up to 5 more bytes repeat
 * those bytes to a length at the 16-bit and 64-bit boundaries, so the long
 * forms get round-tripped too. Only short inputs: a 64 KiB round trip costs
 * a millisecond, and the fuzzer would otherwise spend most runs on it. */
static void wf_tiled(const uint8_t *data, size_t size)
{
	static const size_t lens[] = { 125, 126, 127, 65535, 65536, 65537 };
	static uint8_t tile[WF_MAX_PAYLOAD];
	size_t n, fill;

	if (size < 4 || size > 8 || data[0] != 'W' || data[1] != 'T')
		return;
	n = lens[data[2] % (sizeof(lens) / sizeof(lens[0]))];
	/* the input after the selector, repeated by doubling */
	fill = size - 3 < n ? size - 3 : n;
	memcpy(tile, data + 3, fill);
	while (fill < n) {
		size_t more = fill < n - fill ? fill : n - fill;

		memcpy(tile + fill, tile, more);
		fill += more;
	}
	wf_round_trip(tile, n, WS_OP_TEXT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = size < WF_MAX_PAYLOAD ? size : WF_MAX_PAYLOAD;

	wf_decode(data, size);
	wf_round_trip(data, n, WS_OP_TEXT);
	/* the other opcodes too, control frames over 125 bytes included */
	if (size)
		wf_round_trip(data, n, data[0] & 0x0f);
	wf_tiled(data, size);
	return 0;
}
