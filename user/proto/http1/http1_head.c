/* SPDX-License-Identifier: MIT */
/*
 * A message's head: its start line opens the message (a request takes its
 * pending slot there), its header fields set the framing, and its empty
 * line chooses how the body is delimited (RFC 9112 6.3).
 */
#include "http1_internal.h"
#include "text.h"

#include <string.h>

/* ---- start lines ------------------------------------------------------- */

void http1_open_request(struct http1_run *r, const struct http1_reqline *rl)
{
	struct http1_stream *s = r->s;
	struct http1_request *req = http1_push_request(r);
	size_t n = rl->target_len;

	if (n > HTTP1_TARGET_MAX - 1)
		n = HTTP1_TARGET_MAX - 1;
	if (n < rl->target_len || rl->target_cut)
		s->flags |= HTTP1_MSG_TARGET_TRUNCATED;
	memcpy(req->method, rl->method, rl->method_len);
	memcpy(req->target, rl->target, n);
	req->start_tag = s->start_tag;
	req->version_minor = (uint8_t)rl->version_minor;
	s->version_minor = (uint8_t)rl->version_minor;
	s->in_message = 1;
	s->paired = 1;
}

void http1_on_request_line(struct http1_run *r, const struct http1_line *l)
{
	struct http1_reqline rl;

	if (http1_split_request_line(l, 0, &rl) < 0) {
		http1_malformed(r, 0);
		return;
	}
	if (rl.h2_preface) {
		r->misses++;
		r->c->proto = HTTP1_PROTO_OTHER;
		return;
	}
	http1_open_request(r, &rl);
	r->s->state = HTTP1_ST_HEADERS;
}

void http1_on_status_line(struct http1_run *r, const struct http1_line *l)
{
	if (http1_parse_status_line(r->s, l, 0) < 0) {
		http1_malformed(r, 0);
		return;
	}
	r->s->in_message = 1;
	r->s->state = HTTP1_ST_HEADERS;
}

/* ---- header fields ----------------------------------------------------- */

static void http1_on_request_header(struct http1_run *r, const char *name,
				    size_t name_len, const char *val,
				    size_t val_len, int truncated)
{
	struct http1_stream *s = r->s;

	if (text_ieq(name, name_len, "expect")) {
		if (text_ieq(val, val_len, "100-continue"))
			s->flags |= HTTP1_MSG_EXPECT_CONTINUE;
		return;
	}
	if (!s->paired)
		return;
	http1_keep_request_header(http1_newest(r->c), name, name_len, val,
				  val_len, truncated);
}

static void http1_on_header(struct http1_run *r, const char *name,
			    size_t name_len, const char *val, size_t val_len,
			    int truncated)
{
	struct http1_stream *s = r->s;

	if (text_ieq(name, name_len, "content-length")) {
		uint64_t cl;

		if (truncated || http1_parse_content_length(val, val_len, &cl) ||
		    (s->has_content_length && cl != s->content_length)) {
			http1_malformed(r, HTTP1_MSG_FRAMING_LOST);
			return;
		}
		s->has_content_length = 1;
		s->content_length = cl;
	} else if (text_ieq(name, name_len, "transfer-encoding")) {
		int chunked = http1_last_coding_is_chunked(val, val_len);

		s->has_transfer_encoding = 1;
		if (chunked >= 0)
			s->chunked = (uint8_t)chunked;
	} else if (r->side == HTTP1_SIDE_REQUEST) {
		http1_on_request_header(r, name, name_len, val, val_len, truncated);
	}
}

/* ---- the end of the head ----------------------------------------------- */

/* Chooses how the body is delimited (RFC 9112 6.3). */
static void http1_open_body(struct http1_run *r)
{
	struct http1_stream *s = r->s;

	if (s->chunked) {
		s->flags |= HTTP1_MSG_CHUNKED;
		s->state = HTTP1_ST_CHUNK_SIZE;
	} else if (r->side == HTTP1_SIDE_REQUEST && s->has_transfer_encoding) {
		/* a request body we cannot delimit (RFC 9112 6.3 rule 4) */
		http1_malformed(r, HTTP1_MSG_FRAMING_LOST);
	} else if (r->side == HTTP1_SIDE_RESPONSE &&
		   (s->has_transfer_encoding || !s->has_content_length)) {
		s->flags |= HTTP1_MSG_CLOSE_DELIMITED;
		s->state = HTTP1_ST_UNTIL_CLOSE;
	} else if (s->content_length) {
		s->remaining = s->content_length;
		s->state = HTTP1_ST_BODY;
	} else {
		http1_finish(r);
	}
}

static void http1_head_end(struct http1_run *r)
{
	struct http1_stream *s = r->s;

	if (r->side == HTTP1_SIDE_REQUEST) {
		if (s->paired) {
			struct http1_request *req = http1_newest(r->c);

			req->head_ended = 1;
			if (r->c->on_request)
				r->c->on_request(r->ctx, req);
		}
		http1_open_body(r);
		return;
	}
	if (!http1_bind_response(r)) {
		http1_stream_clear(s); /* 1xx: the final response follows */
		return;
	}
	if (s->tunnel || s->status == 204 || s->status == 304 ||
	    http1_answers_head(r))
		http1_finish(r);
	else
		http1_open_body(r);
}

void http1_on_header_line(struct http1_run *r, const struct http1_line *l)
{
	const char *colon, *name, *val;
	size_t name_len, val_len;

	if (!l->len) {
		http1_head_end(r);
		return;
	}
	/* obs-fold continues the previous field; none we read is ever folded */
	if (text_is_ows(l->p[0]))
		return;
	colon = memchr(l->p, ':', l->len);
	if (!colon) {
		http1_malformed(r, HTTP1_MSG_FRAMING_LOST);
		return;
	}
	name = l->p;
	name_len = (size_t)(colon - l->p);
	text_trim_ows(&name, &name_len);
	val = colon + 1;
	val_len = (size_t)(l->p + l->len - val);
	text_trim_ows(&val, &val_len);
	if (!name_len) {
		http1_malformed(r, HTTP1_MSG_FRAMING_LOST);
		return;
	}
	http1_on_header(r, name, name_len, val, val_len, l->truncated);
}
