// SPDX-License-Identifier: MIT
/* HTTP/1.1 turning to h2c: the 101 head the kernel looks for
 * (http1_h2c_head_len), then the http1 module handing its request to the
 * http2 module mid-script (proto_fuzz.h, step bit 7). Seeds:
 * tests/fuzz/corpus/h2c_*. */
#include "http1_wire.h"
#include "proto_fuzz.h"

extern const struct proto proto_http1;
extern const struct proto proto_http2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	__u32 head;

	if (!size)
		return 0;
	head = http1_h2c_head_len(data + 1, (__u32)(size - 1 < 4096 ? size - 1 : 4096));
	if (head && (head > HTTP1_H2C_HEAD_MAX || head > size - 1 || memcmp(data + 1 + head - 4, "\r\n\r\n", 4)))
		__builtin_trap();
	pf_run_upgrade(&proto_http1, &proto_http2, (data[0] & 1) ? SPAN_KIND_SERVER : SPAN_KIND_CLIENT,
		       data + 1, size - 1);
	return 0;
}
