/* SPDX-License-Identifier: MIT */
/*
 * One side's byte loop: lines go to the head or the chunk framing, body
 * bytes are counted, and bytes a gap hid are counted where the framing is
 * known or lose it where it is not.
 */
#include "http1_internal.h"

#include <string.h>

/* ---- losing framing ---------------------------------------------------- */

/* Bytes that belong to no message are dropped until a feed starts with one. */
static void http1_skip_garbage(struct http1_stream *s)
{
	http1_stream_clear(s);
	s->state = HTTP1_ST_SKIP;
}

/* The open message keeps counting bytes, unparsed, until it is ended by the
 * peer, by a new message on its side, or by close. */
static void http1_lose_framing(struct http1_run *r, uint32_t flag)
{
	struct http1_stream *s = r->s;
	int in_head = s->state == HTTP1_ST_HEADERS;

	s->flags |= flag;
	s->state = HTTP1_ST_SKIP;
	http1_line_reset(s);
	if (r->side == HTTP1_SIDE_RESPONSE && in_head && !http1_bind_response(r))
		http1_skip_garbage(s);
}

/* A parse miss. With `lost`, an open message survives with that flag;
 * otherwise the bytes are garbage until a feed starts a new message. */
void http1_malformed(struct http1_run *r, uint32_t lost)
{
	r->misses++;
	if (lost && r->s->in_message)
		http1_lose_framing(r, lost);
	else
		http1_skip_garbage(r->s);
}

/* ---- lines ------------------------------------------------------------- */

static void http1_on_chunk_size(struct http1_run *r, const struct http1_line *l)
{
	struct http1_stream *s = r->s;
	uint64_t size;

	if (http1_parse_chunk_size(l, &size) < 0) {
		http1_malformed(r, HTTP1_MSG_FRAMING_LOST);
		return;
	}
	s->remaining = size;
	s->state = size ? HTTP1_ST_CHUNK_DATA : HTTP1_ST_TRAILERS;
}

static void http1_on_line(struct http1_run *r, const struct http1_line *l)
{
	struct http1_stream *s = r->s;

	switch (s->state) {
	case HTTP1_ST_START:
		if (r->side == HTTP1_SIDE_REQUEST)
			http1_on_request_line(r, l);
		else
			http1_on_status_line(r, l);
		break;
	case HTTP1_ST_HEADERS:
		http1_on_header_line(r, l);
		break;
	case HTTP1_ST_CHUNK_SIZE:
		http1_on_chunk_size(r, l);
		break;
	case HTTP1_ST_CHUNK_END:
		if (l->len)
			http1_malformed(r, HTTP1_MSG_FRAMING_LOST);
		else
			s->state = HTTP1_ST_CHUNK_SIZE;
		break;
	case HTTP1_ST_TRAILERS:
		if (!l->len) /* trailer fields themselves are not needed */
			http1_finish(r);
		break;
	default:
		break;
	}
	http1_line_reset(s);
}

/* A whole line that starts and ends in this feed and fits line[] is read
 * where it lies: the same view as buffering it, without the copy. */
static size_t http1_take_whole_line(struct http1_run *r, const uint8_t *buf, size_t n)
{
	const uint8_t *nl;
	struct http1_line l;
	size_t len;

	if (r->s->line_len || r->s->line_over)
		return 0;
	nl = memchr(buf, '\n', n < HTTP1_LINE_MAX + 1 ? n : HTTP1_LINE_MAX + 1);
	if (!nl)
		return 0;
	len = (size_t)(nl - buf);
	l.p = (const char *)buf;
	l.len = len && buf[len - 1] == '\r' ? len - 1 : len;
	l.truncated = 0;
	l.tail = l.p;
	http1_on_line(r, &l);
	return len + 1;
}

static size_t http1_take_line(struct http1_run *r, const uint8_t *buf,
			      size_t n)
{
	struct http1_stream *s = r->s;
	size_t used = 0, whole;
	int ended;

	if (s->state == HTTP1_ST_START && !s->line_len && !s->line_over) {
		/* RFC 9112 2.2: empty lines before a start line are ignored */
		while (used < n && (buf[used] == '\r' || buf[used] == '\n'))
			used++;
		if (used == n)
			return used;
		s->start_tag = r->tag;
	}
	whole = http1_take_whole_line(r, buf + used, n - used);
	if (whole)
		return used + whole;
	used += http1_line_feed(s, buf + used, n - used, &ended);
	if (ended) {
		struct http1_line l;

		http1_line_view(s, &l);
		http1_on_line(r, &l);
	} else if (s->state == HTTP1_ST_START &&
		 !http1_start_prefix_ok(r->side, s->line, s->line_len))
		http1_malformed(r, 0);
	return used;
}

/* ---- bytes ------------------------------------------------------------- */

/* Counts up to n bytes of a Content-Length body or chunk; used for captured
 * bytes and gaps alike. */
static uint64_t http1_take_body(struct http1_run *r, uint64_t n)
{
	struct http1_stream *s = r->s;
	uint64_t take = n < s->remaining ? n : s->remaining;

	s->body_size += take;
	s->remaining -= take;
	if (s->remaining)
		return take;
	if (s->state == HTTP1_ST_CHUNK_DATA)
		s->state = HTTP1_ST_CHUNK_END;
	else
		http1_finish(r);
	return take;
}

/* Consumes at least one byte whenever n > 0, so the caller's loop ends. */
static size_t http1_step(struct http1_run *r, const uint8_t *buf, size_t n)
{
	struct http1_stream *s = r->s;

	switch (s->state) {
	case HTTP1_ST_BODY:
	case HTTP1_ST_CHUNK_DATA:
		return (size_t)http1_take_body(r, n);
	case HTTP1_ST_UNTIL_CLOSE:
	case HTTP1_ST_SKIP:
		if (s->in_message)
			s->body_size += n;
		return n;
	default:
		return http1_take_line(r, buf, n);
	}
}

void http1_consume(struct http1_run *r, const uint8_t *buf, size_t n)
{
	while (n && r->c->proto == HTTP1_PROTO_HTTP) {
		size_t used = http1_step(r, buf, n);

		if (!used) /* cannot happen; never spin if it ever did */
			break;
		buf += used;
		n -= used;
	}
}

/* ---- gaps -------------------------------------------------------------- */

/* A gap cut the start line, or the next message began inside a gap: keep
 * what was seen (for pairing) and skip the rest of the message. */
static void http1_gap_in_start(struct http1_run *r)
{
	struct http1_stream *s = r->s;
	struct http1_line l;

	if (!s->line_len && !s->line_over)
		s->start_tag = r->tag;
	http1_line_view(s, &l);
	if (r->side == HTTP1_SIDE_REQUEST) {
		struct http1_reqline rl;

		if (http1_split_request_line(&l, 1, &rl) < 0) {
			http1_malformed(r, 0);
			return;
		}
		http1_open_request(r, &rl);
	} else {
		if (http1_parse_status_line(s, &l, 1) < 0) {
			http1_malformed(r, 0);
			return;
		}
		s->in_message = 1;
	}
	http1_line_reset(s);
	s->state = HTTP1_ST_HEADERS;
	http1_lose_framing(r, HTTP1_MSG_HEAD_TRUNCATED);
}

/* The CRLF after a chunk's data is two known bytes: a chunk written in one
 * syscall larger than the capture ends its gap there, and the next chunk-size
 * line is usually captured again. Returns the gap left. */
static uint64_t http1_gap_chunk_end(struct http1_run *r, uint64_t gap)
{
	struct http1_stream *s = r->s;
	uint64_t need;

	if (s->line_over || s->line_len > 1 || (s->line_len == 1 && s->line[0] != '\r')) {
		http1_lose_framing(r, HTTP1_MSG_FRAMING_LOST);
		return gap;
	}
	need = 2 - s->line_len;
	if (gap < need) {
		s->line[0] = '\r';
		s->line_len = 1;
		return 0;
	}
	http1_line_reset(s);
	s->state = HTTP1_ST_CHUNK_SIZE;
	return gap - need;
}

/* Body bytes in a gap are counted; a gap where framing is read loses it.
 * Each pass uses up gap bytes or moves to SKIP, which takes the rest. */
void http1_gap(struct http1_run *r, uint64_t gap)
{
	struct http1_stream *s = r->s;

	while (gap && r->c->proto == HTTP1_PROTO_HTTP) {
		switch (s->state) {
		case HTTP1_ST_BODY:
		case HTTP1_ST_CHUNK_DATA:
			gap -= http1_take_body(r, gap);
			break;
		case HTTP1_ST_UNTIL_CLOSE:
		case HTTP1_ST_SKIP:
			/* the gap that lost framing is counted too */
			if (s->in_message)
				s->body_size += gap;
			gap = 0;
			break;
		case HTTP1_ST_START:
			http1_gap_in_start(r);
			break;
		case HTTP1_ST_HEADERS:
			http1_lose_framing(r, HTTP1_MSG_HEAD_TRUNCATED);
			break;
		case HTTP1_ST_CHUNK_END:
			gap = http1_gap_chunk_end(r, gap);
			break;
		default: /* chunk-size line, trailers */
			http1_lose_framing(r, HTTP1_MSG_FRAMING_LOST);
			break;
		}
	}
}

/* A chunked body whose framing was lost still ends with the last chunk: a
 * feed whose known last bytes are "0\r\n\r\n" ends the message there. The
 * byte before must end a line, or "10\r\n\r\n" (a chunk of 16) would match. */
void http1_tail_check(struct http1_run *r, const uint8_t *tail, size_t n)
{
	static const char last_chunk[] = "0\r\n\r\n";
	const size_t len = sizeof(last_chunk) - 1;
	struct http1_stream *s = r->s;

	if (s->state != HTTP1_ST_SKIP || !s->in_message || !s->chunked)
		return;
	if (n < len || memcmp(tail + n - len, last_chunk, len))
		return;
	if (n > len && tail[n - len - 1] != '\n')
		return;
	http1_finish(r);
	s->state = HTTP1_ST_SKIP; /* what follows was not parsed either */
}
