/* SPDX-License-Identifier: MIT */
/*
 * What the files of the HTTP/1.x parser share; the contract is in http1.h,
 * and nothing outside this folder includes this header.
 *
 * Each side runs a line-oriented state machine over whatever bytes a feed
 * brings; only the current line is buffered. A request takes a slot in the
 * conn's pending ring as soon as its request line is parsed, so its response
 * can pair with it before its body is complete; a response answers the
 * oldest pending request and pops it when the response completes.
 *
 * When bytes are missing (a gap) where framing matters, the open message goes
 * to SKIP: its bytes are counted but not parsed, and it ends when the peer
 * speaks, when a later feed on its side starts with a new message, or when
 * the connection closes.
 *
 *   http1_line.c     assembling the current line from the feeds
 *   http1_grammar.c  the text: start lines, header values, chunk sizes
 *   http1_head.c     a message's head, up to choosing how its body ends
 *   http1_stream.c   the byte loop: lines, bodies, chunks, gaps
 *   http1.c          pending requests, pairing, feeding, close
 */
#ifndef ZT_HTTP1_INTERNAL_H
#define ZT_HTTP1_INTERNAL_H

#include "http1.h"

/* The tail view drops one byte so it can still end right before a CR. */
#define HTTP1_TAIL_VIEW (HTTP1_LINE_TAIL - 1)

enum http1_state {
	HTTP1_ST_START = 0,   /* before or inside a start line */
	HTTP1_ST_HEADERS,
	HTTP1_ST_BODY,        /* Content-Length body, `remaining` > 0 */
	HTTP1_ST_CHUNK_SIZE,
	HTTP1_ST_CHUNK_DATA,  /* `remaining` > 0 */
	HTTP1_ST_CHUNK_END,   /* the CRLF after a chunk's data */
	HTTP1_ST_TRAILERS,
	HTTP1_ST_UNTIL_CLOSE, /* close-delimited response body */
	HTTP1_ST_SKIP,        /* count bytes (if a message is open), parse none */
};

/* One call's context: which side is being fed, and where reports go. */
struct http1_run {
	struct http1_conn *c;
	struct http1_stream *s;
	enum http1_side side;
	uint64_t tag;
	http1_exchange_cb cb;
	void *ctx;
	unsigned int misses;
};

/* A complete (or, after a gap, partial) line, CR of the ending removed. */
struct http1_line {
	const char *p;
	size_t len;
	int truncated;    /* longer than line[]: p is its start, tail its end */
	const char *tail; /* HTTP1_TAIL_VIEW bytes, valid when truncated */
};

struct http1_reqline {
	const char *method;
	size_t method_len; /* 0 when a gap cut the method */
	const char *target;
	size_t target_len;
	int target_cut;    /* the end of the target was not seen */
	int version_minor;
	int h2_preface;    /* "PRI * HTTP/2.0": prior-knowledge HTTP/2 */
};

/* http1_line.c */
void http1_line_reset(struct http1_stream *s);
size_t http1_line_feed(struct http1_stream *s, const uint8_t *buf, size_t n,
		       int *ended);
void http1_line_view(struct http1_stream *s, struct http1_line *l);

int http1_looks_like(enum http1_side side, const uint8_t *buf, size_t len);
int http1_start_prefix_ok(enum http1_side side, const char *line, size_t len);
int http1_split_request_line(const struct http1_line *l, int partial,
			     struct http1_reqline *rl);
int http1_parse_status_line(struct http1_stream *s, const struct http1_line *l,
			    int partial);
int http1_parse_content_length(const char *p, size_t n, uint64_t *out);
int http1_last_coding_is_chunked(const char *p, size_t n);
void http1_keep_request_header(struct http1_request *req, const char *name,
			       size_t name_len, const char *val, size_t val_len,
			       int truncated);
int http1_parse_chunk_size(const struct http1_line *l, uint64_t *out);

/* http1_head.c */
void http1_open_request(struct http1_run *r, const struct http1_reqline *rl);
void http1_on_request_line(struct http1_run *r, const struct http1_line *l);
void http1_on_status_line(struct http1_run *r, const struct http1_line *l);
void http1_on_header_line(struct http1_run *r, const struct http1_line *l);

/* http1_stream.c */
void http1_malformed(struct http1_run *r, uint32_t lost);
void http1_consume(struct http1_run *r, const uint8_t *buf, size_t n);
void http1_gap(struct http1_run *r, uint64_t gap);
void http1_tail_check(struct http1_run *r, const uint8_t *tail, size_t n);

/* http1.c */
struct http1_request *http1_newest(struct http1_conn *c);
struct http1_request *http1_push_request(struct http1_run *r);
void http1_stream_clear(struct http1_stream *s);
void http1_finish(struct http1_run *r);
int http1_bind_response(struct http1_run *r);
int http1_answers_head(const struct http1_run *r);

#endif /* ZT_HTTP1_INTERNAL_H */
