// SPDX-License-Identifier: MIT
/* The dns module through the protocol interface (see proto_fuzz.h):
 * datagrams from two peers, TCP streams, gaps and timeouts. */
#include "proto_fuzz.h"

extern const struct proto proto_dns;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	pf_run(&proto_dns, (data[0] & 1) ? SPAN_KIND_SERVER : SPAN_KIND_CLIENT, data + 1, size - 1);
	return 0;
}
