/* SPDX-License-Identifier: MIT */
/* One HTTP/2 stream as the module follows it (http2.c), and the exchange
 * record built from it when it ends (http2_record.c). */
#ifndef ZT_HTTP2_STREAM_H
#define ZT_HTTP2_STREAM_H

#include <stdint.h>
#include <string.h>

#include "proto.h"

struct h2_stream {
	uint32_t id;              /* 0: the slot is free */
	uint32_t key;             /* slot + H2_STREAMS * generation: unique while in flight */
	uint8_t blocks[2];        /* header blocks seen per side */
	uint8_t ended[2];         /* END_STREAM per side */
	uint8_t reset;            /* RST_STREAM */
	uint8_t incomplete;       /* a block of it was dropped (table unknown) */
	uint8_t grpc;             /* content-type application/grpc* */
	uint8_t has_grpc_status;
	uint8_t upgraded;         /* stream 1 of h2c: its request was HTTP/1.1 */
	uint16_t status;          /* :status of the final response; 0: none */
	int32_t grpc_status;
	uint32_t rst_code;
	uint64_t start_tag, end_tag;
	uint64_t body[2];         /* DATA payload bytes per side, padding excluded */
	/* gRPC messages per side, followed by their 5-byte prefixes: the bytes
	 * of the current one still to come; a prefix not copied loses the count */
	uint32_t msgs[2];
	uint32_t msg_left[2];
	uint8_t msgs_lost[2];
	char method[PROTO_HANDOFF_METHOD_MAX];
	char scheme[8];
	char path[PROTO_HANDOFF_TARGET_MAX];
	char grpc_message[SPAN_STATUS_MSG_MAX];
	struct proto_context wire;
};

/* p[0..n) as a C string in out[cap], cut to fit. */
static inline void h2_copy(char *out, size_t cap, const uint8_t *p, size_t n)
{
	if (n > cap - 1)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* The stream's exchange: its span's name, status and attributes. */
void h2_stream_record(const struct h2_stream *s, const struct proto_sink *k, uint64_t end_tag,
		      struct proto_exchange *x);

#endif /* ZT_HTTP2_STREAM_H */
