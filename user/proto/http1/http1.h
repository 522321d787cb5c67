/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x stream parser: pure C over byte buffers, no I/O, no globals.
 *
 * One struct http1_conn follows both directions of one TCP connection, seen
 * from one process. The caller feeds it what the kernel captured, in order:
 * the request side (bytes the client sent) and the response side (bytes the
 * server sent). A feed may hold fewer captured bytes than the syscall moved
 * (`total` > `captured`): the rest is a gap the parser counts without seeing.
 * Each finished request/response pair is handed to a callback.
 */
#ifndef ZT_HTTP1_H
#define ZT_HTTP1_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define HTTP1_METHOD_MAX 24
#define HTTP1_TARGET_MAX 512
#define HTTP1_HOST_MAX 128
#define HTTP1_LINE_MAX 1024 /* longer lines are kept truncated */
#define HTTP1_TRACEPARENT_MAX sizeof(((struct proto_context *)0)->traceparent)
#define HTTP1_TRACESTATE_MAX sizeof(((struct proto_context *)0)->tracestate)
#define HTTP1_B3_MAX sizeof(((struct proto_context *)0)->b3)
#define HTTP1_PIPELINE_MAX 8 /* requests awaiting a response, per connection */

enum http1_side {
	HTTP1_SIDE_REQUEST = 0,  /* bytes sent by the client */
	HTTP1_SIDE_RESPONSE = 1, /* bytes sent by the server */
};

enum http1_proto {
	HTTP1_PROTO_UNKNOWN = 0, /* nothing seen yet */
	HTTP1_PROTO_HTTP = 1,
	HTTP1_PROTO_OTHER = 2,   /* first bytes were not HTTP/1.x: ignored from now on */
};

/*
 * Message flags. After HEAD_TRUNCATED or FRAMING_LOST the message's further
 * bytes (the gap that lost the framing included) are counted in body_size
 * but not parsed; it ends when the other side sends, when a later feed on
 * its side starts with a new message, or at close.
 */
#define HTTP1_MSG_HEAD_TRUNCATED 0x01  /* part of the head was never captured */
#define HTTP1_MSG_TARGET_TRUNCATED 0x02 /* request-target longer than HTTP1_TARGET_MAX-1 */
#define HTTP1_MSG_CHUNKED 0x04
#define HTTP1_MSG_CLOSE_DELIMITED 0x08 /* body ended by the connection closing */
#define HTTP1_MSG_FRAMING_LOST 0x10    /* body length unknown; ended by the peer or close */
#define HTTP1_MSG_EXPECT_CONTINUE 0x20
#define HTTP1_MSG_INCOMPLETE 0x40      /* connection closed before the message ended */

struct http1_request {
	uint64_t start_tag;  /* tag of the feed holding the first byte */
	uint64_t end_tag;    /* tag of the feed holding the last byte */
	uint64_t body_size;  /* decoded body bytes (chunked: payload only) */
	uint32_t flags;      /* HTTP1_MSG_* */
	uint8_t version_minor; /* 1 for HTTP/1.1, 0 for HTTP/1.0 */
	uint8_t head_ended;    /* the request callback was given it */
	char method[HTTP1_METHOD_MAX]; /* "" when a gap hid the request line */
	char target[HTTP1_TARGET_MAX]; /* as on the wire, NUL-terminated */
	char host[HTTP1_HOST_MAX];     /* Host header value, "" when absent */
	uint32_t seq;                  /* requests on this connection, from 1 */
	struct proto_context wire;     /* context already on the wire (dups: a
					* context header appeared twice) */
};

struct http1_response {
	uint64_t start_tag;
	uint64_t end_tag;
	uint64_t body_size;
	uint32_t flags;
	uint16_t status;       /* final status; 1xx responses are skipped, never
				* reported; 0 when a gap hid the status line */
	uint8_t version_minor;
};

struct http1_exchange {
	struct http1_request req;
	struct http1_response resp;
	uint8_t has_response; /* 0: connection ended before a response came */
};

typedef void (*http1_exchange_cb)(void *ctx, const struct http1_exchange *ex);
/* A request's head was parsed (headers complete): called with the ctx of
 * the feed that completed it. The request stays valid until its exchange. */
typedef void (*http1_request_cb)(void *ctx, const struct http1_request *req);

/* Internal per-direction state; callers never touch it. */
#define HTTP1_LINE_TAIL 16 /* end of an over-long line, where the version is */

struct http1_stream {
	uint64_t start_tag;      /* tag of the open message's first byte */
	uint64_t last_tag;       /* tag of the latest feed on this side */
	uint64_t remaining;      /* body or chunk bytes still expected */
	uint64_t body_size;
	uint64_t content_length;
	uint32_t flags;          /* HTTP1_MSG_* of the open message */
	uint32_t line_over;      /* bytes of the current line that did not fit */
	uint32_t orphans;        /* response side: responses owed to dropped requests */
	uint16_t line_len;
	uint16_t status;
	uint8_t state;
	uint8_t in_message;      /* a message is open and will be reported */
	uint8_t paired;          /* request: owns the newest pending slot;
				  * response: answers the oldest pending request */
	uint8_t version_minor;
	uint8_t has_content_length;
	uint8_t has_transfer_encoding;
	uint8_t chunked;         /* the last transfer coding is chunked */
	uint8_t tunnel;          /* response: the connection leaves HTTP after it */
	char line_tail[HTTP1_LINE_TAIL];
	char line[HTTP1_LINE_MAX];
};

struct http1_conn {
	uint32_t pending_head;  /* index of the oldest */
	uint32_t pending_count; /* includes the request still being received */
	uint8_t proto;          /* enum http1_proto */
	uint64_t misses;        /* parse misses on this connection */
	uint64_t pipeline_drops; /* requests dropped because pending was full */
	uint32_t next_seq;
	http1_request_cb on_request; /* kept across http1_conn_close */
	http1_request_cb on_drop;    /* likewise */
	/* from here on, init clears each stream's head only: the line buffers
	 * and the pending ring are written before they are read, and 11 KiB
	 * cleared per message (a parked connection's next one) would cost
	 * more than parsing it */
	struct http1_stream req_stream;
	struct http1_stream resp_stream;
	/* requests whose request line was parsed, oldest first (ring of
	 * HTTP1_PIPELINE_MAX); the newest may still be arriving */
	struct http1_request pending[HTTP1_PIPELINE_MAX];
};

void http1_conn_init(struct http1_conn *c);
/* Between messages, with nothing pending on either side, the connection is
 * its init state but for its request numbering and what it was found to
 * speak: http1_conn_park then returns 1 with those two in *carry (else 0),
 * and http1_conn_resume puts them back into a connection fresh from init
 * (its counters start over). */
int http1_conn_park(const struct http1_conn *c, uint64_t *carry);
void http1_conn_resume(struct http1_conn *c, uint64_t carry);
void http1_conn_set_request_cb(struct http1_conn *c, http1_request_cb cb);
/* A request dropped to make room in the pending ring (counted in
 * pipeline_drops): it will have no exchange. Called with the feed's ctx,
 * only for a request whose head ended (one the request callback saw). */
void http1_conn_set_drop_cb(struct http1_conn *c, http1_request_cb cb);

/*
 * Feed `total` bytes moved on one side; the first `captured` of them are in
 * `buf` (captured <= total). `tag` is stored as start_tag/end_tag of the
 * messages this feed begins or ends (the caller uses a timestamp).
 * Returns the number of parse misses this call found (0 on clean input).
 * Never reads outside buf[0..captured).
 */
unsigned int http1_conn_feed(struct http1_conn *c, enum http1_side side,
			     const uint8_t *buf, size_t captured, uint64_t total,
			     uint64_t tag, http1_exchange_cb cb, void *ctx);

/* Continuation of a large body with no payload, but the last `tail_len`
 * bytes of it (for finding the end of a chunked body whose framing was lost). */
unsigned int http1_conn_feed_gap(struct http1_conn *c, enum http1_side side,
				 uint64_t total, const uint8_t *tail,
				 size_t tail_len, uint64_t tag,
				 http1_exchange_cb cb, void *ctx);

/* The connection ended: finish close-delimited responses and report
 * requests that never got one (has_response = 0). Messages still open end
 * with the last feed of their side (end_tag), not with `tag`. Then the
 * conn is reset to its init state, counters included: read misses and
 * pipeline_drops before closing. */
void http1_conn_close(struct http1_conn *c, uint64_t tag, http1_exchange_cb cb,
		      void *ctx);

/* The connection switched protocol (101 to h2c): its oldest request,
 * which the new protocol answers, goes to *out (1) instead of being
 * reported; then as http1_conn_close. 0 when no request was waiting. */
int http1_conn_hand_off(struct http1_conn *c, struct http1_request *out, http1_exchange_cb cb,
			void *ctx);

/* Cheap test on the first bytes of a stream: 1 if they can start an
 * HTTP/1.x request (method token + space) or response ("HTTP/1."). Bytes
 * too few to decide give 1 when they are a valid prefix; len 0 gives 0. */
int http1_looks_like_request(const uint8_t *buf, size_t len);
int http1_looks_like_response(const uint8_t *buf, size_t len);

/*
 * The neutral record of an exchange seen from a `kind` (SPAN_KIND_*) span:
 * name "{method} {route}" (numeric, UUID and long hex path segments as
 * {id}), attributes http.request.method, url.path, url.query (secret
 * values redacted; only when the target had a '?'),
 * http.response.status_code (only when a status line was seen), then the
 * connection's addresses, network.protocol.version, http.request.body.size,
 * http.response.body.size; status ERROR for 5xx, for 4xx on a CLIENT span,
 * and when no status line was seen; the HTTP server or client duration
 * metric with method, route and status code.
 */
void http1_exchange_record(const struct http1_exchange *ex, uint8_t kind,
			   struct proto_exchange *x);

#endif /* ZT_HTTP1_H */
