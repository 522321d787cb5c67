/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x stream parser; the contract is in http1.h.
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
 */
#include "http1.h"
#include "http1_wire.h"
#include "text.h"

#include <string.h>

#define HTTP1_PENDING_MASK (HTTP1_PIPELINE_MAX - 1)
_Static_assert(HTTP1_PIPELINE_MAX >= 2 &&
		       (HTTP1_PIPELINE_MAX & HTTP1_PENDING_MASK) == 0,
	       "the pending ring is indexed with a mask");
_Static_assert(HTTP1_LINE_MAX >= HTTP1_LINE_TAIL && HTTP1_LINE_MAX <= 65535,
	       "line_len is 16 bits and the tail is copied from line[]");

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

/* ---- characters -------------------------------------------------------- */

static int http1_is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* ASCII-only, so the result never depends on the locale. */
static int http1_ieq(const char *p, size_t n, const char *lit)
{
	size_t i;

	if (strlen(lit) != n)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = p[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch != lit[i])
			return 0;
	}
	return 1;
}

/* ---- public detection -------------------------------------------------- */

int http1_looks_like_request(const uint8_t *buf, size_t len)
{
	if (!buf)
		return 0;
	return (http1_wire_kind(buf, len < ZT_SNIFF_LEN ? (__u32)len : ZT_SNIFF_LEN, 0) &
		ZT_SNIFF_REQUEST) != 0;
}

int http1_looks_like_response(const uint8_t *buf, size_t len)
{
	if (!buf)
		return 0;
	return (http1_wire_kind(buf, len < ZT_SNIFF_LEN ? (__u32)len : ZT_SNIFF_LEN, 0) &
		ZT_SNIFF_RESPONSE) != 0;
}

static int http1_looks_like(enum http1_side side, const uint8_t *buf, size_t len)
{
	return side == HTTP1_SIDE_REQUEST ? http1_looks_like_request(buf, len) :
					    http1_looks_like_response(buf, len);
}

/* ---- the line buffer --------------------------------------------------- */

static void http1_line_reset(struct http1_stream *s)
{
	s->line_len = 0;
	s->line_over = 0;
}

/* Keeps the start of an over-long line in line[] and its last bytes in
 * line_tail[], so a request line still yields its version. */
static void http1_line_append(struct http1_stream *s, const uint8_t *p,
			      size_t n)
{
	const size_t tail = HTTP1_LINE_TAIL;
	size_t room = HTTP1_LINE_MAX - s->line_len;
	size_t keep = n < room ? n : room;

	memcpy(s->line + s->line_len, p, keep);
	s->line_len = (uint16_t)(s->line_len + keep);
	p += keep;
	n -= keep;
	if (!n)
		return;
	if (!s->line_over)
		memcpy(s->line_tail, s->line + HTTP1_LINE_MAX - tail, tail);
	if (n >= tail) {
		memcpy(s->line_tail, p + n - tail, tail);
	} else {
		memmove(s->line_tail, s->line_tail + n, tail - n);
		memcpy(s->line_tail + tail - n, p, n);
	}
	s->line_over = n > UINT32_MAX - s->line_over ? UINT32_MAX :
						       (uint32_t)(s->line_over + n);
}

/* Adds bytes up to and including the first '\n'; returns how many it used. */
static size_t http1_line_feed(struct http1_stream *s, const uint8_t *buf,
			      size_t n, int *ended)
{
	const uint8_t *nl = memchr(buf, '\n', n);
	size_t len = nl ? (size_t)(nl - buf) : n;

	http1_line_append(s, buf, len);
	*ended = nl != NULL;
	return nl ? len + 1 : len;
}

/* Views the current line without the CR of a CRLF ending. Also used on a
 * line a gap cut, whose '\n' is likely the first unseen byte. */
static void http1_line_view(struct http1_stream *s, struct http1_line *l)
{
	const char *tail = s->line_tail + 1;

	if (!s->line_over) {
		if (s->line_len && s->line[s->line_len - 1] == '\r')
			s->line_len--;
	} else if (s->line_tail[HTTP1_LINE_TAIL - 1] == '\r') {
		tail = s->line_tail;
		s->line_over--;
	}
	l->p = s->line;
	l->len = s->line_len;
	l->truncated = s->line_over > 0;
	l->tail = tail;
}

/* ---- the pending ring -------------------------------------------------- */

static struct http1_request *http1_newest(struct http1_conn *c)
{
	return &c->pending[(c->pending_head + c->pending_count - 1) &
			   HTTP1_PENDING_MASK];
}

static void http1_drop_oldest(struct http1_run *r)
{
	struct http1_conn *c = r->c;
	struct http1_stream *resp = &c->resp_stream;

	if (c->on_drop)
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

static struct http1_request *http1_push_request(struct http1_run *r)
{
	struct http1_conn *c = r->c;
	struct http1_request *req;

	if (c->pending_count == HTTP1_PIPELINE_MAX)
		http1_drop_oldest(r);
	c->pending_count++;
	req = http1_newest(c);
	memset(req, 0, sizeof(*req));
	req->seq = ++c->next_seq;
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
static void http1_stream_clear(struct http1_stream *s)
{
	uint64_t last_tag = s->last_tag;
	uint32_t orphans = s->orphans;

	memset(s, 0, offsetof(struct http1_stream, line_tail));
	s->last_tag = last_tag;
	s->orphans = orphans;
}

/* Bytes that belong to no message are dropped until a feed starts with one. */
static void http1_skip_garbage(struct http1_stream *s)
{
	http1_stream_clear(s);
	s->state = HTTP1_ST_SKIP;
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

		memset(&ex, 0, sizeof(ex));
		http1_pop_request(c, &ex.req);
		ex.resp.start_tag = s->start_tag;
		ex.resp.end_tag = end_tag;
		ex.resp.body_size = s->body_size;
		ex.resp.flags = s->flags;
		ex.resp.status = s->status;
		ex.resp.version_minor = s->version_minor;
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
static void http1_finish(struct http1_run *r)
{
	http1_end_message(r, r->side, r->tag);
}

/* ---- pairing a response ------------------------------------------------ */

/* Decides which request the response answers. Returns 0 for an interim
 * (1xx) response: it answers nothing and is dropped. */
static int http1_bind_response(struct http1_run *r)
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

static int http1_answers_head(const struct http1_run *r)
{
	return r->s->paired &&
	       !strcmp(r->c->pending[r->c->pending_head].method, "HEAD");
}

/* ---- losing framing ---------------------------------------------------- */

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
static void http1_malformed(struct http1_run *r, uint32_t lost)
{
	r->misses++;
	if (lost && r->s->in_message)
		http1_lose_framing(r, lost);
	else
		http1_skip_garbage(r->s);
}

/* ---- start lines ------------------------------------------------------- */

static int http1_parse_version(const char *p, size_t n, int *minor)
{
	if (n != 8 || memcmp(p, "HTTP/1.", 7) || !http1_is_digit(p[7]))
		return -1;
	*minor = p[7] - '0';
	return 0;
}

/* Version of a request line too long for line[]: its last bytes. */
static int http1_tail_version(const struct http1_line *l, int *minor)
{
	const char *v = l->tail + HTTP1_TAIL_VIEW - 8;

	if (v[-1] != ' ')
		return -1;
	return http1_parse_version(v, 8, minor);
}

/* method SP+ target SP+ HTTP/1.d. A `partial` line (cut by a gap) may stop
 * anywhere; what it has must still be well-formed. */
static int http1_split_request_line(const struct http1_line *l, int partial,
				    struct http1_reqline *rl)
{
	const char *p = l->p, *end = l->p + l->len;
	const char *ver;
	size_t ver_len;

	memset(rl, 0, sizeof(*rl));
	rl->version_minor = 1;
	rl->method = p;
	rl->target = end;
	while (p < end && text_is_tchar(*p))
		p++;
	if (p == end) /* only a cut line stops inside the method */
		return partial ? 0 : -1;
	rl->method_len = (size_t)(p - rl->method);
	if (*p != ' ' || !rl->method_len || rl->method_len >= HTTP1_METHOD_MAX)
		return -1;
	while (p < end && *p == ' ')
		p++;
	rl->target = p;
	for (; p < end && *p != ' '; p++)
		if ((uint8_t)*p < 0x21 || *p == 0x7f)
			return -1;
	rl->target_len = (size_t)(p - rl->target);
	rl->target_cut = p == end;
	if (l->truncated) {
		/* the version is past line[]: it is in the line's tail */
		if (http1_tail_version(l, &rl->version_minor) < 0 && !partial)
			return -1;
		return 0;
	}
	if (p == end)
		return partial ? 0 : -1;
	if (!rl->target_len)
		return -1;
	while (p < end && *p == ' ')
		p++;
	ver = p;
	ver_len = (size_t)(end - p);
	text_trim_ows(&ver, &ver_len);
	if (http1_parse_version(ver, ver_len, &rl->version_minor) == 0)
		return 0;
	if (partial)
		return 0;
	rl->h2_preface = ver_len == 8 && !memcmp(ver, "HTTP/2.0", 8) &&
			 rl->method_len == 3 && !memcmp(rl->method, "PRI", 3);
	return rl->h2_preface ? 0 : -1;
}

static void http1_open_request(struct http1_run *r,
			       const struct http1_reqline *rl)
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

static void http1_on_request_line(struct http1_run *r,
				  const struct http1_line *l)
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

/* HTTP/1.d SP 3DIGIT [SP reason]. A partial line too short to hold the
 * status leaves it 0. */
static int http1_parse_status_line(struct http1_stream *s,
				   const struct http1_line *l, int partial)
{
	const char *p = l->p;
	int minor;

	if (l->len < 12) {
		if (!partial)
			return -1;
		/* empty: the whole response began inside the gap */
		if (!l->len)
			return 0;
		return http1_looks_like_response((const uint8_t *)p, l->len) ?
			       0 : -1;
	}
	if (http1_parse_version(p, 8, &minor) < 0 || p[8] != ' ')
		return -1;
	if (p[9] < '1' || p[9] > '9' || !http1_is_digit(p[10]) ||
	    !http1_is_digit(p[11]) || (l->len > 12 && p[12] != ' '))
		return -1;
	s->version_minor = (uint8_t)minor;
	s->status = (uint16_t)((p[9] - '0') * 100 + (p[10] - '0') * 10 +
			       (p[11] - '0'));
	return 0;
}

static void http1_on_status_line(struct http1_run *r,
				 const struct http1_line *l)
{
	if (http1_parse_status_line(r->s, l, 0) < 0) {
		http1_malformed(r, 0);
		return;
	}
	r->s->in_message = 1;
	r->s->state = HTTP1_ST_HEADERS;
}

/* Rejects a start line as soon as its first bytes cannot begin one, so
 * binary garbage without a '\n' is not buffered as a line forever. */
static int http1_start_prefix_ok(const struct http1_run *r)
{
	const struct http1_stream *s = r->s;
	size_t i;

	if (r->side == HTTP1_SIDE_RESPONSE)
		return http1_looks_like_response((const uint8_t *)s->line,
						 s->line_len);
	for (i = 0; i < s->line_len && text_is_tchar(s->line[i]); i++)
		;
	if (i >= HTTP1_METHOD_MAX)
		return 0;
	return i == s->line_len || (i > 0 && s->line[i] == ' ');
}

/* ---- headers ----------------------------------------------------------- */

/* RFC 9110 8.6: a list of identical values counts as one value. */
static int http1_parse_content_length(const char *p, size_t n, uint64_t *out)
{
	uint64_t first = 0;
	size_t i = 0;
	int have = 0;

	for (;;) {
		uint64_t v = 0;
		size_t digits = 0;

		while (i < n && text_is_ows(p[i]))
			i++;
		for (; i < n && http1_is_digit(p[i]); i++, digits++) {
			if (v > (UINT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (uint64_t)(p[i] - '0');
		}
		if (!digits || (have && v != first))
			return -1;
		first = v;
		have = 1;
		while (i < n && text_is_ows(p[i]))
			i++;
		if (i == n)
			break;
		if (p[i++] != ',')
			return -1;
	}
	*out = first;
	return 0;
}

/* The body is chunked only if chunked is the last coding applied. Returns
 * -1 when the value names no coding (empty list elements are ignored). */
static int http1_last_coding_is_chunked(const char *p, size_t n)
{
	size_t end = n, start;

	while (end && (text_is_ows(p[end - 1]) || p[end - 1] == ','))
		end--;
	if (!end)
		return -1;
	for (start = end; start && p[start - 1] != ','; start--)
		;
	p += start;
	n = end - start;
	text_trim_ows(&p, &n);
	return http1_ieq(p, n, "chunked");
}

/* Context headers: value slots by lowercase name. A repeated one makes the
 * context ambiguous, so none of it is adopted. */
static char *http1_trace_header_slot(struct http1_request *req, const char *name,
				     size_t name_len, size_t *cap)
{
	static const struct {
		const char *name;
		size_t off, cap;
	} slots[] = {
#define HTTP1_SLOT(n, f) { n, offsetof(struct http1_request, wire.f), sizeof(req->wire.f) }
		HTTP1_SLOT("traceparent", traceparent),
		HTTP1_SLOT("tracestate", tracestate),
		HTTP1_SLOT("b3", b3),
		HTTP1_SLOT("x-b3-traceid", b3_trace_id),
		HTTP1_SLOT("x-b3-spanid", b3_span_id),
		HTTP1_SLOT("x-b3-sampled", b3_sampled),
		HTTP1_SLOT("x-b3-flags", b3_flags),
#undef HTTP1_SLOT
	};

	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		if (http1_ieq(name, name_len, slots[i].name)) {
			*cap = slots[i].cap;
			return (char *)req + slots[i].off;
		}
	}
	return NULL;
}

static void http1_on_request_header(struct http1_run *r, const char *name,
				    size_t name_len, const char *val,
				    size_t val_len, int truncated)
{
	struct http1_stream *s = r->s;
	struct http1_request *req;
	char *slot;
	size_t cap;

	if (http1_ieq(name, name_len, "expect")) {
		if (http1_ieq(val, val_len, "100-continue"))
			s->flags |= HTTP1_MSG_EXPECT_CONTINUE;
		return;
	}
	if (!s->paired)
		return;
	req = http1_newest(r->c);
	if (http1_ieq(name, name_len, "host")) {
		if (req->host[0])
			return; /* a second Host is invalid: keep the first */
		if (val_len > HTTP1_HOST_MAX - 1)
			val_len = HTTP1_HOST_MAX - 1;
		memcpy(req->host, val, val_len);
		return;
	}
	slot = http1_trace_header_slot(req, name, name_len, &cap);
	if (!slot)
		return;
	/* a context we did not see whole is not a context */
	if (truncated) {
		req->wire.dups = 1;
		return;
	}
	/* W3C: split tracestate fields are one list */
	if (slot == req->wire.tracestate && slot[0]) {
		size_t used = strlen(slot);

		if (used + 1 + val_len < cap) {
			slot[used] = ',';
			memcpy(slot + used + 1, val, val_len);
		}
		return;
	}
	if (slot[0]) {
		req->wire.dups = 1;
		return;
	}
	/* an empty value still marks the header as seen, for duplicates */
	if (!val_len) {
		slot[0] = ' ';
		return;
	}
	if (val_len > cap - 1)
		val_len = cap - 1;
	memcpy(slot, val, val_len);
}

static void http1_on_header(struct http1_run *r, const char *name,
			    size_t name_len, const char *val, size_t val_len,
			    int truncated)
{
	struct http1_stream *s = r->s;

	if (http1_ieq(name, name_len, "content-length")) {
		uint64_t cl;

		if (truncated || http1_parse_content_length(val, val_len, &cl) ||
		    (s->has_content_length && cl != s->content_length)) {
			http1_malformed(r, HTTP1_MSG_FRAMING_LOST);
			return;
		}
		s->has_content_length = 1;
		s->content_length = cl;
	} else if (http1_ieq(name, name_len, "transfer-encoding")) {
		int chunked = http1_last_coding_is_chunked(val, val_len);

		s->has_transfer_encoding = 1;
		if (chunked >= 0)
			s->chunked = (uint8_t)chunked;
	} else if (r->side == HTTP1_SIDE_REQUEST) {
		http1_on_request_header(r, name, name_len, val, val_len, truncated);
	}
}

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
		if (s->paired && r->c->on_request)
			r->c->on_request(r->ctx, http1_newest(r->c));
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

static void http1_on_header_line(struct http1_run *r,
				 const struct http1_line *l)
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

/* ---- chunked framing --------------------------------------------------- */

/* 1*HEXDIG [BWS ; chunk-ext]; extensions are ignored. */
static int http1_parse_chunk_size(const struct http1_line *l, uint64_t *out)
{
	const char *p = l->p, *end = l->p + l->len;
	uint64_t v = 0;
	size_t digits = 0;
	int d;

	for (; p < end && (d = text_hex_value(*p)) >= 0; p++, digits++) {
		if (v >> 60)
			return -1;
		v = (v << 4) | (uint64_t)d;
	}
	while (p < end && text_is_ows(*p))
		p++;
	if (!digits || (p < end && *p != ';'))
		return -1;
	*out = v;
	return 0;
}

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

/* ---- the byte loop ----------------------------------------------------- */

static void http1_on_line(struct http1_run *r)
{
	struct http1_stream *s = r->s;
	struct http1_line l;

	http1_line_view(s, &l);
	switch (s->state) {
	case HTTP1_ST_START:
		if (r->side == HTTP1_SIDE_REQUEST)
			http1_on_request_line(r, &l);
		else
			http1_on_status_line(r, &l);
		break;
	case HTTP1_ST_HEADERS:
		http1_on_header_line(r, &l);
		break;
	case HTTP1_ST_CHUNK_SIZE:
		http1_on_chunk_size(r, &l);
		break;
	case HTTP1_ST_CHUNK_END:
		if (l.len)
			http1_malformed(r, HTTP1_MSG_FRAMING_LOST);
		else
			s->state = HTTP1_ST_CHUNK_SIZE;
		break;
	case HTTP1_ST_TRAILERS:
		if (!l.len) /* trailer fields themselves are not needed */
			http1_finish(r);
		break;
	default:
		break;
	}
	http1_line_reset(s);
}

static size_t http1_take_line(struct http1_run *r, const uint8_t *buf,
			      size_t n)
{
	struct http1_stream *s = r->s;
	size_t used = 0;
	int ended;

	if (s->state == HTTP1_ST_START && !s->line_len && !s->line_over) {
		/* RFC 9112 2.2: empty lines before a start line are ignored */
		while (used < n && (buf[used] == '\r' || buf[used] == '\n'))
			used++;
		if (used == n)
			return used;
		s->start_tag = r->tag;
	}
	used += http1_line_feed(s, buf + used, n - used, &ended);
	if (ended)
		http1_on_line(r);
	else if (s->state == HTTP1_ST_START && !http1_start_prefix_ok(r))
		http1_malformed(r, 0);
	return used;
}

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

static void http1_consume(struct http1_run *r, const uint8_t *buf, size_t n)
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
static void http1_gap(struct http1_run *r, uint64_t gap)
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
static void http1_tail_check(struct http1_run *r, const uint8_t *tail,
			     size_t n)
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
	memset(c, 0, sizeof(*c));
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

void http1_conn_close(struct http1_conn *c, uint64_t tag, http1_exchange_cb cb,
		      void *ctx)
{
	http1_request_cb on_request, on_drop;
	struct http1_run r;

	/* End tags come from the last feed of each side (see above). */
	(void)tag;
	if (c->proto == HTTP1_PROTO_HTTP) {
		http1_run_init(&r, c, HTTP1_SIDE_REQUEST, 0, cb, ctx);
		http1_close_stream(&r);
		http1_run_init(&r, c, HTTP1_SIDE_RESPONSE, 0, cb, ctx);
		http1_close_stream(&r);
	}
	while (c->pending_count) {
		struct http1_exchange ex;

		memset(&ex, 0, sizeof(ex));
		http1_pop_request(c, &ex.req);
		if (cb)
			cb(ctx, &ex);
	}
	on_request = c->on_request;
	on_drop = c->on_drop;
	http1_conn_init(c);
	c->on_request = on_request;
	c->on_drop = on_drop;
}
