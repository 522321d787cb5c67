/* SPDX-License-Identifier: MIT */
/*
 * A finished exchange as a span: the connection's part (kind, process,
 * endpoints, TLS), the protocol's (name, times, sizes, attributes) and the
 * ids the stitcher chose when its request arrived. Runs once per span and
 * allocates nothing: it fills the caller's span.
 */
#ifndef ZT_SPAN_BUILD_H
#define ZT_SPAN_BUILD_H

#include <stdint.h>

#include "conn_table.h"
#include "proto.h"
#include "span.h"

/* r: what was decided when the request arrived; NULL gives fresh ids.
 * s->attrs.overflow says whether attributes were lost. */
void span_build(struct span *s, const struct conn *c, const struct conn_request *r,
		const struct proto_exchange *ex, int64_t mono_to_unix_ns);

#endif /* ZT_SPAN_BUILD_H */
