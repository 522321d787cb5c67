// SPDX-License-Identifier: MIT
/* The http2 module through the protocol interface (see proto_fuzz.h).
 * Seeds: tests/fuzz/corpus/http2_* (record_seed.py between grpcio's client
 * and server). */
#include "proto_fuzz.h"

extern const struct proto proto_http2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	pf_run(&proto_http2, (data[0] & 1) ? SPAN_KIND_SERVER : SPAN_KIND_CLIENT, data + 1, size - 1);
	return 0;
}
