/* SPDX-License-Identifier: MIT */
/*
 * The protocol interface. A protocol is one module, user/proto/<name>/,
 * registered by one line in protocols.def. The tracer knows protocols only
 * through this header:
 *
 *   - detection: the module's sniff (its <name>_wire.h, shared with the
 *     kernel) on the first bytes either side sends, the port as a hint;
 *   - per-connection state: `state_size` bytes the tracer allocates when
 *     the connection's protocol is known, set up by init, ended by close;
 *   - feed: what one syscall moved on one side, as the kernel captured it
 *     (copied ranges and the gaps between them);
 *   - the sink: the module reports each request as its head is complete
 *     (so its span's ids are decided in causal order) and each finished
 *     exchange as a neutral record: name, status and its own code, times,
 *     sizes, a typed attribute list, the request key that pairs it, and the
 *     trace context it carried.
 *
 * Modules are pure: byte buffers in, callbacks out, no I/O, no globals.
 */
#ifndef ZT_PROTO_H
#define ZT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "protocols.h"
#include "span.h"
#include "wire.h"

/* The largest module state: allocated per connection once its protocol is
 * known, so a bound on what one connection can cost. */
#define PROTO_STATE_MAX 49152
/* Requests a connection may have in flight (pipelining); a module keeps at
 * most this many, so keys modulo it never collide. */
#define PROTO_INFLIGHT_MAX 32

enum proto_side {
	PROTO_SIDE_REQUEST = 0,  /* bytes the client sent */
	PROTO_SIDE_RESPONSE = 1, /* bytes the server sent */
};

/* Trace context a request carried, as raw header values ("" when absent). */
struct proto_context {
	char traceparent[64];   /* 55 for version 00; longer values are invalid */
	char tracestate[SPAN_TRACESTATE_MAX]; /* kept truncated beyond this */
	char b3[80];            /* the longest valid single b3 value is 68 */
	char b3_trace_id[40];
	char b3_span_id[24];
	char b3_sampled[8];
	char b3_flags[4];
	uint8_t dups;           /* a header repeated or cut: none of it is adopted */
};

/* A range of one syscall's bytes, of which the first `cap` were copied.
 * In a framed chunk (the kernel walked the protocol's frames) it is a
 * frame's start (frames 1), the rest of a frame begun before (frames 0),
 * or `frames` whole frames of kind cls counted, not copied (cap 0). */
struct proto_seg {
	uint64_t off;
	uint64_t len;
	const uint8_t *data;
	uint32_t cap;
	uint32_t frames;
	uint8_t cls;
};

/* What one syscall moved on one side: `total` bytes, of which the ranges
 * in segs (ascending, inside [0, total)) were copied; the rest is a gap the
 * kernel counted but did not copy. With no segment, `tail` may hold the
 * last bytes of the syscall. */
struct proto_chunk {
	enum proto_side side;
	uint8_t cont;           /* continues the previous chunk's syscall (not a write's start) */
	uint8_t framed;         /* segs come from the kernel's frame walk */
	uint64_t tag;           /* when the bytes were seen (CLOCK_MONOTONIC) */
	uint64_t total;
	const struct proto_seg *segs;
	uint32_t nsegs;
	uint32_t tail_len;
	const uint8_t *tail;
	/* a datagram protocol's chunk is one whole datagram (what was copied
	 * of it), and this its address pair: an unconnected socket's peer
	 * changes from one datagram to the next */
	const struct zt_conn_tuple *peer;
};

/* A request whose head is complete: its span's ids are decided now. */
struct proto_request {
	uint32_t key;           /* pairs it with its exchange */
	/* a multiplexed protocol's stream id (HTTP/2), which pairs a client's
	 * request with its server's on the same connection (rule 2) whatever
	 * the order; 0: requests are answered in order */
	uint32_t stream;
	uint64_t start_tag;
	const struct proto_context *wire; /* NULL: none */
	/* a datagram's address pair (proto_chunk.peer); NULL: the connection's */
	const struct zt_conn_tuple *peer;
};

/* One finished exchange (or a request the connection ended before any
 * answer), built once by its module. */
struct proto_exchange {
	uint32_t key;
	uint8_t has_response;
	uint8_t status;         /* enum span_status */
	uint8_t endpoints_at;   /* the connection's address attributes go before attrs.a[endpoints_at] */
	uint64_t start_tag;     /* first byte of the request */
	uint64_t end_tag;       /* last byte of the response (of the request without one) */
	uint64_t req_size;      /* payload bytes, as the protocol counts them (HTTP: bodies) */
	uint64_t resp_size;
	char name[SPAN_NAME_MAX];
	char code[SPAN_CODE_MAX];
	char status_message[SPAN_STATUS_MSG_MAX];
	const struct proto_context *wire; /* as in proto_request */
	const struct zt_conn_tuple *peer; /* as in proto_request */
	struct span_metric metric;
	struct span_attrs attrs;
};

/* The request a connection was answering when it changed protocol under
 * it (HTTP/1.1's Upgrade: h2c, whose request RFC 9113 §3.2 answers on
 * stream 1): the next protocol's module answers it. Its span's ids were
 * decided when the first module announced it under `key`; 0: no request
 * is handed on. */
#define PROTO_HANDOFF_METHOD_MAX 16
#define PROTO_HANDOFF_TARGET_MAX 192 /* longer ones are cut */

struct proto_handoff {
	uint32_t key;
	uint64_t start_tag;
	uint64_t req_size;
	char method[PROTO_HANDOFF_METHOD_MAX];
	char target[PROTO_HANDOFF_TARGET_MAX];
	struct proto_context wire;
	/* the switch was seen late (at the client's first bytes in the new
	 * protocol): the server's answers in it began unseen */
	uint8_t answers_unseen;
};

/* What a module counts besides parse misses (names in proto_note_names). */
enum proto_note {
	PROTO_NOTE_PUSH = 0,      /* a server message that answers no request (pub/sub, MONITOR) */
	PROTO_NOTE_CACHE_FULL,    /* a bounded per-connection cache had to forget an entry */
	PROTO_NOTE_UNANSWERED,    /* a request that got no answer in the protocol's time (DNS) */
	PROTO_NOTE_INCOMPLETE,    /* a span whose header fields could not all be read (HPACK) */
	PROTO_NOTE_COUNT,
};

extern const char *const proto_note_names[PROTO_NOTE_COUNT];

/* Where a module reports; ctx is the tracer's. */
struct proto_sink {
	void *ctx;
	uint8_t kind;           /* enum span_kind of this connection's spans */
	uint8_t tls;            /* the bytes are a TLS connection's plaintext */
	/* also the older RPC attribute names (rpc.system, rpc.service,
	 * rpc.grpc.status_code): OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup */
	uint8_t rpc_dup;
	void (*request)(void *ctx, const struct proto_request *r);
	void (*exchange)(void *ctx, struct proto_exchange *x);
	/* the request of this key will never have an exchange (dropped to make
	 * room): its stitch state must not outlive it */
	void (*abandon)(void *ctx, uint32_t key);
	void (*note)(void *ctx, enum proto_note n);
};

struct proto {
	const char *name;       /* as in --protocols and the counters */
	uint8_t id;             /* enum zt_proto */
	size_t state_size;      /* <= PROTO_STATE_MAX */
	/* --inject-traceparent cannot add a header to its requests (HTTP/2:
	 * a header block can't grow without the peer's HPACK state): each
	 * client request is counted in inject_skipped */
	uint8_t uninjectable;
	void (*init)(void *state);
	/* Returns the parse misses this chunk found (0 on clean input). */
	unsigned int (*feed)(void *state, const struct proto_chunk *c, const struct proto_sink *k);
	/* The connection ended: report what is still open. The state is dead after. */
	void (*close)(void *state, const struct proto_sink *k);
	/* Optional, for a protocol whose requests may never be answered
	 * (datagrams): end those that have waited too long at `now`
	 * (CLOCK_MONOTONIC); called about once a second. */
	void (*expire)(void *state, uint64_t now, const struct proto_sink *k);
	/* Optional, for a protocol a connection may leave for another (the
	 * kernel saw the switch and names the new one in its records): like
	 * close, except that the request the new protocol answers goes into
	 * *h instead of being reported; 1 when there is one. */
	int (*hand_off)(void *state, struct proto_handoff *h, const struct proto_sink *k);
	/* Optional, for a protocol a connection may turn into (state fresh
	 * from init): how it began, and its first request if that came
	 * before, in the old protocol. */
	void (*adopt)(void *state, const struct proto_handoff *h);
	/* Optional, for a protocol whose state between messages is what init
	 * leaves but for a few fields: when nothing is in progress (nothing
	 * to report at close, to hand off or to expire), writes those fields
	 * into *carry and returns 1. The tracer then releases the state, so an
	 * idle connection costs none, and gives the next chunk to a state
	 * fresh from init and resume. */
	int (*park)(const void *state, uint64_t *carry);
	void (*resume)(void *state, uint64_t carry);
};

/* The module registered under id, or NULL. */
const struct proto *proto_by_id(uint8_t id);
/* The module of that name (exact, as in protocols.def), or NULL. */
const struct proto *proto_by_name(const char *name, size_t len);
/* Which registered protocol p[0..n) starts, among `enabled` (a bit per
 * id); *side gets ZT_SNIFF_REQUEST/RESPONSE. ZT_PROTO_UNKNOWN when none. */
uint8_t proto_sniff(const uint8_t *p, size_t n, uint16_t lport, uint16_t rport,
		    uint32_t enabled, uint8_t midstream, int *side);

/* Helpers for modules. */

/* A request header that carries trace context (traceparent, tracestate,
 * b3 and its X-B3-* forms; the name in any case) kept in w: returns 1 for
 * one of those, 0 for any other. A repeated one, or one cut short
 * (truncated), makes the context ambiguous: none of it is adopted. Split
 * tracestate fields are joined into one list. */
int proto_context_header(struct proto_context *w, const char *name, size_t name_len,
			 const char *val, size_t val_len, int truncated);

/* Calls bytes() for each copied range and gap() for each uncopied one, in
 * order, over the whole chunk; stops early when either returns nonzero. */
void proto_chunk_walk(const struct proto_chunk *c,
		      int (*bytes)(void *ctx, const uint8_t *p, size_t n),
		      int (*gap)(void *ctx, uint64_t n), void *ctx);

#endif /* ZT_PROTO_H */
