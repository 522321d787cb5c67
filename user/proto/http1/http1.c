/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x stream parser, the connection: the ring of pending requests,
 * ending messages and pairing each response with its request, the feed
 * entry points and close. The contract is in http1.h; how the parser is
 * laid out across its files is in http1_internal.h.
 */
#include "http1_internal.h"

#include <string.h>

#define HTTP1_PENDING_MASK (HTTP1_PIPELINE_MAX - 1)
_Static_assert(HTTP1_PIPELINE_MAX >= 2 &&
		       (HTTP1_PIPELINE_MAX & HTTP1_PENDING_MASK) == 0,
	       "the pending ring is indexed with a mask");

/* ---- the pending ring -------------------------------------------------- */

struct http1_request *http1_newest(struct http1_conn *c)
{
	return &c->pending[(c->pending_head + c->pending_count - 1) &
			   HTTP1_PENDING_MASK];
}

static void http1_drop_oldest(struct http1_run *r)
{
	struct http1_conn *c = r->c;
	struct http1_stream *resp = &c->resp_stream;

	/* a request whose head never ended was never announced: nothing
	 * waits on it to be let go */
	if (c->on_drop && c->pending[c->pending_head].head_ended)
		c->on_drop(r->ctx, &c->pending[c->pending_head]);
	c->pending_head = (c->pending_head + 1) & HTTP1_PENDING_MASK;
	c->pending_count--;
	c->pipeline_drops++;
	/* The dropped request's response still comes: it must not take the
	 * next request's place, or every later pair would be off by one. */
	if (resp->paired)
		resp->paired = 0;
	else if (resp->orphans < UINT32_MAX)
		resp->orphans++;
}

struct http1_request *http1_push_request(struct http1_run *r)
{
	struct http1_conn *c = r->c;
	struct http1_request *req;

	if (c->pending_count == HTTP1_PIPELINE_MAX)
		http1_drop_oldest(r);
	c->pending_count++;
	req = http1_newest(c);
	memset(req, 0, sizeof(*req));
	/* 0 is no request (the tracer's key): skipped when the count wraps */
	req->seq = ++c->next_seq ? c->next_seq : ++c->next_seq;
	return req;
}

/* Takes the oldest request; one still being received reports what was
 * counted so far and is no longer tracked by its stream. */
static void http1_pop_request(struct http1_conn *c, struct http1_request *out)
{
	struct http1_stream *rs = &c->req_stream;

	*out = c->pending[c->pending_head];
	if (rs->paired && c->pending_count == 1) {
		out->end_tag = rs->last_tag;
		out->body_size = rs->body_size;
		out->flags = rs->flags;
		rs->paired = 0;
	}
	c->pending_head = (c->pending_head + 1) & HTTP1_PENDING_MASK;
	c->pending_count--;
}

/* ---- ending messages --------------------------------------------------- */

/* Forgets the open message; the side's history (last tag, orphans) stays. */
void http1_stream_clear(struct http1_stream *s)
{
	uint64_t last_tag = s->last_tag;
	uint32_t orphans = s->orphans;

	memset(s, 0, offsetof(struct http1_stream, line_tail));
	s->last_tag = last_tag;
	s->orphans = orphans;
}

static void http1_end_request(struct http1_conn *c, uint64_t end_tag)
{
	struct http1_stream *s = &c->req_stream;

	if (s->paired) {
		struct http1_request *req = http1_newest(c);

		req->end_tag = end_tag;
		req->body_size = s->body_size;
		req->flags = s->flags;
	}
	http1_stream_clear(s);
}

static void http1_end_response(struct http1_run *r, uint64_t end_tag)
{
	struct http1_conn *c = r->c;
	struct http1_stream *s = &c->resp_stream;
	int tunnel = s->tunnel;

	if (s->paired) {
		struct http1_exchange ex;

		/* each part written whole: no 1.2 KB clear before the copy */
		http1_pop_request(c, &ex.req);
		ex.resp = (struct http1_response){ .start_tag = s->start_tag,
						   .end_tag = end_tag,
						   .body_size = s->body_size,
						   .flags = s->flags,
						   .status = s->status,
						   .version_minor = s->version_minor };
		ex.has_response = 1;
		if (r->cb)
			r->cb(r->ctx, &ex);
	}
	http1_stream_clear(s);
	if (tunnel)
		c->proto = HTTP1_PROTO_OTHER;
}

static void http1_end_message(struct http1_run *r, enum http1_side side,
			      uint64_t end_tag)
{
	if (side == HTTP1_SIDE_REQUEST)
		http1_end_request(r->c, end_tag);
	else
		http1_end_response(r, end_tag);
}

/* The message's last byte is in this feed. */
void http1_finish(struct http1_run *r)
{
	http1_end_message(r, r->side, r->tag);
}

/* ---- pairing a response ------------------------------------------------ */

/* Decides which request the response answers. Returns 0 for an interim
 * (1xx) response: it answers nothing and is dropped. */
int http1_bind_response(struct http1_run *r)
{
	struct http1_conn *c = r->c;
	struct http1_stream *s = r->s;
	const struct http1_request *req;

	s->paired = 0;
	/* 101 switches protocols: treated as final, then as a tunnel. */
	if (s->status >= 100 && s->status < 200 && s->status != 101)
		return 0;
	s->tunnel = s->status == 101;
	if (s->orphans) {
		s->orphans--;
		return 1;
	}
	if (!c->pending_count)
		return 1;
	s->paired = 1;
	req = &c->pending[c->pending_head];
	if (!strcmp(req->method, "CONNECT") && s->status >= 200 &&
	    s->status < 300)
		s->tunnel = 1;
	return 1;
}

int http1_answers_head(const struct http1_run *r)
{
	return r->s->paired &&
	       !strcmp(r->c->pending[r->c->pending_head].method, "HEAD");
}

/* ---- feeding ----------------------------------------------------------- */

/* The first bytes on the connection decide whether it is HTTP/1.x at all.
 * Returns 1 when this feed is to be parsed. */
static int http1_detect(struct http1_run *r, const uint8_t *buf,
			size_t captured)
{
	struct http1_conn *c = r->c;

	if (c->proto == HTTP1_PROTO_HTTP)
		return 1;
	if (c->proto == HTTP1_PROTO_OTHER || !captured)
		return 0; /* an unseen first feed cannot decide */
	if (http1_looks_like(r->side, buf, captured)) {
		c->proto = HTTP1_PROTO_HTTP;
		return 1;
	}
	c->proto = HTTP1_PROTO_OTHER;
	r->misses++;
	return 0;
}

/* The peer speaking ends a message whose end we lost on this side: a
 * request's response starts, or a response is followed by a new request. */
static void http1_peer_spoke(struct http1_run *r)
{
	enum http1_side peer_side = r->side == HTTP1_SIDE_REQUEST ?
					    HTTP1_SIDE_RESPONSE :
					    HTTP1_SIDE_REQUEST;
	struct http1_stream *peer = peer_side == HTTP1_SIDE_REQUEST ?
					    &r->c->req_stream :
					    &r->c->resp_stream;

	if (peer->state != HTTP1_ST_SKIP || !peer->in_message)
		return;
	http1_end_message(r, peer_side, peer->last_tag);
	peer->state = HTTP1_ST_SKIP;
}

/* While skipping, a feed that starts like a new message starts one; the
 * skipped message ended with the previous feed on this side. */
static void http1_resync(struct http1_run *r, const uint8_t *buf, size_t n)
{
	struct http1_stream *s = r->s;

	if (s->state != HTTP1_ST_SKIP || !http1_looks_like(r->side, buf, n))
		return;
	if (s->in_message)
		http1_end_message(r, r->side, s->last_tag);
	http1_stream_clear(s);
}

static unsigned int http1_feed(struct http1_run *r, const uint8_t *buf,
			       size_t captured, uint64_t gap,
			       const uint8_t *tail, size_t tail_len)
{
	if (!http1_detect(r, buf, captured))
		goto out;
	http1_peer_spoke(r);
	if (r->c->proto == HTTP1_PROTO_HTTP)
		http1_resync(r, buf, captured);
	r->s->last_tag = r->tag;
	http1_consume(r, buf, captured);
	http1_gap(r, gap);
	if (tail && r->c->proto == HTTP1_PROTO_HTTP)
		http1_tail_check(r, tail, tail_len);
out:
	r->c->misses += r->misses;
	return r->misses;
}

static void http1_run_init(struct http1_run *r, struct http1_conn *c,
			   enum http1_side side, uint64_t tag,
			   http1_exchange_cb cb, void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->side = side;
	r->s = side == HTTP1_SIDE_REQUEST ? &c->req_stream : &c->resp_stream;
	r->tag = tag;
	r->cb = cb;
	r->ctx = ctx;
}

void http1_conn_init(struct http1_conn *c)
{
	memset(c, 0, offsetof(struct http1_conn, req_stream));
	memset(&c->req_stream, 0, offsetof(struct http1_stream, line_tail));
	memset(&c->resp_stream, 0, offsetof(struct http1_stream, line_tail));
}

/* Nothing open on the side: all but its last tag as cleared, and no line
 * begun (a start line begun is before HTTP1_ST_START ends). */
static int http1_stream_quiet(const struct http1_stream *s)
{
	static const struct http1_stream clear;
	struct http1_stream head;

	memcpy(&head, s, offsetof(struct http1_stream, line_tail));
	head.last_tag = 0;
	return !memcmp(&head, &clear, offsetof(struct http1_stream, line_tail));
}

int http1_conn_park(const struct http1_conn *c, uint64_t *carry)
{
	if (c->pending_count || !http1_stream_quiet(&c->req_stream) ||
	    !http1_stream_quiet(&c->resp_stream))
		return 0;
	*carry = (uint64_t)c->proto << 32 | c->next_seq;
	return 1;
}

void http1_conn_resume(struct http1_conn *c, uint64_t carry)
{
	c->next_seq = (uint32_t)carry;
	c->proto = (uint8_t)(carry >> 32);
}

void http1_conn_set_request_cb(struct http1_conn *c, http1_request_cb cb)
{
	c->on_request = cb;
}

void http1_conn_set_drop_cb(struct http1_conn *c, http1_request_cb cb)
{
	c->on_drop = cb;
}

unsigned int http1_conn_feed(struct http1_conn *c, enum http1_side side,
			     const uint8_t *buf, size_t captured, uint64_t total,
			     uint64_t tag, http1_exchange_cb cb, void *ctx)
{
	struct http1_run r;

	if (side != HTTP1_SIDE_REQUEST && side != HTTP1_SIDE_RESPONSE)
		return 0;
	if (!buf)
		captured = 0;
	if (total < captured) /* a caller bug; the captured bytes are real */
		total = captured;
	if (!total)
		return 0;
	http1_run_init(&r, c, side, tag, cb, ctx);
	/* A fully captured feed knows its last bytes: they may end a body
	 * whose chunk framing was lost earlier. */
	return http1_feed(&r, buf, captured, total - captured,
			  total == captured ? buf : NULL, captured);
}

unsigned int http1_conn_feed_gap(struct http1_conn *c, enum http1_side side,
				 uint64_t total, const uint8_t *tail,
				 size_t tail_len, uint64_t tag,
				 http1_exchange_cb cb, void *ctx)
{
	struct http1_run r;

	if (side != HTTP1_SIDE_REQUEST && side != HTTP1_SIDE_RESPONSE)
		return 0;
	if (!tail)
		tail_len = 0;
	if (tail_len > total) /* the tail is part of the gap */
		tail_len = (size_t)total;
	if (!total)
		return 0;
	http1_run_init(&r, c, side, tag, cb, ctx);
	return http1_feed(&r, NULL, 0, total, tail, tail_len);
}

/* ---- close ------------------------------------------------------------- */

/* A message still open at close ends with the last feed on its side: no
 * byte of it is in the close. */
static void http1_close_stream(struct http1_run *r)
{
	struct http1_stream *s = r->s;

	r->tag = s->last_tag;
	switch (s->state) {
	case HTTP1_ST_START: /* a start line never finished reports nothing */
		return;
	case HTTP1_ST_SKIP:
		if (s->in_message)
			http1_finish(r);
		return;
	case HTTP1_ST_UNTIL_CLOSE:
		http1_finish(r); /* the normal end of a close-delimited body */
		return;
	case HTTP1_ST_HEADERS:
		s->flags |= HTTP1_MSG_INCOMPLETE;
		if (r->side == HTTP1_SIDE_RESPONSE && !http1_bind_response(r))
			return;
		http1_finish(r);
		return;
	default:
		s->flags |= HTTP1_MSG_INCOMPLETE;
		http1_finish(r);
		return;
	}
}

/* Both sides' open messages end (a response answers its request). */
static void http1_close_streams(struct http1_conn *c, http1_exchange_cb cb, void *ctx)
{
	struct http1_run r;

	if (c->proto != HTTP1_PROTO_HTTP)
		return;
	http1_run_init(&r, c, HTTP1_SIDE_REQUEST, 0, cb, ctx);
	http1_close_stream(&r);
	http1_run_init(&r, c, HTTP1_SIDE_RESPONSE, 0, cb, ctx);
	http1_close_stream(&r);
}

void http1_conn_close(struct http1_conn *c, uint64_t tag, http1_exchange_cb cb,
		      void *ctx)
{
	http1_request_cb on_request, on_drop;

	/* End tags come from the last feed of each side (see above). */
	(void)tag;
	http1_close_streams(c, cb, ctx);
	while (c->pending_count) {
		struct http1_exchange ex;

		http1_pop_request(c, &ex.req);
		ex.resp = (struct http1_response){ 0 };
		ex.has_response = 0;
		if (cb)
			cb(ctx, &ex);
	}
	on_request = c->on_request;
	on_drop = c->on_drop;
	http1_conn_init(c);
	c->on_request = on_request;
	c->on_drop = on_drop;
}

int http1_conn_hand_off(struct http1_conn *c, struct http1_request *out, http1_exchange_cb cb,
			void *ctx)
{
	int has;

	/* a response still open answers its own request, before the switch */
	http1_close_streams(c, cb, ctx);
	has = c->pending_count > 0;
	if (has)
		http1_pop_request(c, out);
	http1_conn_close(c, 0, cb, ctx);
	return has;
}
