/* SPDX-License-Identifier: MIT */
/*
 * HTTP/2 (RFC 9113) and gRPC over it: one span per stream. Frames come
 * from the kernel's walk (http2_wire.h) through frames.h; each direction's
 * header blocks go, in order and for every stream, through a libnghttp2
 * HPACK inflater of its own (RFC 7541 §2.2: one decoding context per
 * endpoint). Streams pair by id, never by order.
 *
 * A header block the agent could not see whole (the kernel's copy was cut,
 * or a frame was lost), or a connection joined after its preface, leaves
 * that direction's table unknown: from then on its blocks go through
 * hpack_tolerant.h, which reads what needs no entry from before and never
 * guesses the rest, and the spans missing fields say so
 * (zerotrace.hpack.incomplete=1, counted as PROTO_NOTE_INCOMPLETE).
 */
#ifndef ZT_HTTP2_H
#define ZT_HTTP2_H

#include <stdint.h>

#include "proto.h"

/* The gRPC status code's name (OTel's rpc.status_code values), or NULL. */
const char *grpc_status_name(int32_t code);
/* Whether a gRPC status is an error on a span of that kind (OTel: every
 * non-OK on a client; on a server only the codes that say the server
 * failed). */
int grpc_status_is_error(int32_t code, uint8_t kind);

extern const struct proto proto_http2;

#endif /* ZT_HTTP2_H */
