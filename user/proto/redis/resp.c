// SPDX-License-Identifier: MIT
/*
 * RESP reader; the contract is in resp.h.
 *
 * Every element is a type byte and a line ("+OK", ":12", "$5", "*3"); a
 * bulk ('$', '!', '=') is then followed by its bytes and CRLF, an aggregate
 * by its elements. The reader holds one line at a time and a stack of the
 * elements each open aggregate still owes; a bulk body is only counted
 * (kept when it is one of a top-level aggregate's first elements), so a
 * gap inside one costs nothing. RESP3 streamed strings ("$?" then ";n"
 * chunks) and aggregates ("*?" ... ".") are followed the same way.
 */
#include <string.h>

#include "resp.h"

enum resp_state {
	RESP_ST_TYPE = 0,  /* expecting an element's type byte */
	RESP_ST_LINE,      /* inside its line, up to CRLF */
	RESP_ST_BULK,      /* inside a bulk body (CRLF included) */
	RESP_ST_LOST,      /* framing lost: drop until reset */
};

/* A streamed string's chunks: ";n" lines each followed by a bulk. */
#define RESP_TYPE_CHUNK ';'
#define RESP_TYPE_END '.'

void resp_reader_init(struct resp_reader *r, int inline_ok)
{
	memset(r, 0, offsetof(struct resp_reader, msg));
	r->inline_ok = (uint8_t)(inline_ok != 0);
}

void resp_reader_reset(struct resp_reader *r)
{
	resp_reader_init(r, r->inline_ok);
}

int resp_reader_lost(const struct resp_reader *r)
{
	return r->state == RESP_ST_LOST;
}

int resp_reader_idle(const struct resp_reader *r)
{
	return !r->in_msg;
}

static int resp_is_type(uint8_t c)
{
	return c && strchr("+-:$*_,#!=(%~>|", c) != NULL;
}

/* The signed decimal of a line ("12", "-1"); -2 when it is not one. */
static int64_t resp_number(const char *p, size_t n)
{
	int64_t v = 0;
	size_t i = 0;

	if (n == 2 && p[0] == '-' && p[1] == '1')
		return -1;
	if (!n || n > 18)
		return -2;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -2;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static unsigned int resp_lose(struct resp_reader *r)
{
	r->state = RESP_ST_LOST;
	return 1;
}

/* Element `elem` of a top-level aggregate is kept when it is among the
 * first RESP_KEEP. */
static char *resp_keep_slot(struct resp_reader *r, uint16_t **len, uint8_t **cut)
{
	struct resp_msg *m = &r->msg;

	/* a top-level streamed string's chunks are a value, not elements */
	if (r->depth != 1 || r->elem >= RESP_KEEP || r->level[0].left == -2)
		return NULL;
	if (m->nkept <= r->elem)
		m->nkept = r->elem + 1;
	*len = &m->keep_len[r->elem];
	*cut = &m->keep_cut[r->elem];
	return m->keep[r->elem];
}

static void resp_keep_bytes(struct resp_reader *r, const uint8_t *p, size_t n)
{
	uint16_t *len;
	uint8_t *cut;
	char *slot = resp_keep_slot(r, &len, &cut);
	size_t room;

	if (!slot || !n)
		return;
	room = RESP_KEEP_MAX - 1 - *len;
	if (n > room) {
		n = room;
		*cut = 1;
	}
	memcpy(slot + *len, p, n);
	*len = (uint16_t)(*len + n);
	slot[*len] = '\0';
}

static void resp_message_end(struct resp_reader *r, uint64_t tag, resp_msg_cb cb, void *ctx)
{
	struct resp_msg *m = &r->msg;
	int attr = r->attr;

	m->end_tag = tag;
	r->state = RESP_ST_TYPE;
	r->attr = 0;
	/* a RESP3 attribute only annotates the reply that follows it: its
	 * bytes count with that reply */
	if (attr) {
		uint64_t bytes = m->bytes, start = m->start_tag;

		memset(m, 0, sizeof(*m));
		m->bytes = bytes;
		m->start_tag = start;
		return;
	}
	r->in_msg = 0;
	if (cb)
		cb(ctx, m);
}

/* An element is complete: pop every aggregate it completes. */
static void resp_element_done(struct resp_reader *r, uint64_t tag, resp_msg_cb cb, void *ctx)
{
	r->state = RESP_ST_TYPE;
	for (;;) {
		struct resp_level *lv;

		if (!r->depth) {
			resp_message_end(r, tag, cb, ctx);
			return;
		}
		lv = &r->level[r->depth - 1];
		if (r->depth == 1)
			r->elem++;
		if (lv->left < 0 || --lv->left > 0)
			return;
		r->depth--;
	}
}

static unsigned int resp_open_aggregate(struct resp_reader *r, int64_t count, uint64_t tag,
					resp_msg_cb cb, void *ctx)
{
	if (r->depth == 0)
		r->msg.nelems = count > UINT32_MAX ? UINT32_MAX : (uint32_t)(count < 0 ? 0 : count);
	if (count == 0) {
		resp_element_done(r, tag, cb, ctx);
		return 0;
	}
	if (r->depth >= RESP_DEPTH_MAX)
		return resp_lose(r);
	r->level[r->depth].left = count;
	if (r->depth == 0)
		r->elem = 0;
	r->depth++;
	r->state = RESP_ST_TYPE;
	return 0;
}

/* Splits an inline command into its first words, as Redis does (spaces). */
static void resp_inline(struct resp_reader *r)
{
	struct resp_msg *m = &r->msg;
	const char *p = r->line, *end = r->line + r->line_len;

	m->type = RESP_TYPE_INLINE;
	while (p < end) {
		const char *w;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			break;
		w = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if (m->nelems < RESP_KEEP) {
			size_t n = (size_t)(p - w);

			if (n > RESP_KEEP_MAX - 1) {
				n = RESP_KEEP_MAX - 1;
				m->keep_cut[m->nelems] = 1;
			}
			memcpy(m->keep[m->nelems], w, n);
			m->keep[m->nelems][n] = '\0';
			m->keep_len[m->nelems] = (uint16_t)n;
			m->nkept = m->nelems + 1;
		}
		m->nelems++;
	}
}

static void resp_copy_text(struct resp_msg *m, const char *p, size_t n)
{
	if (n > RESP_TEXT_MAX - 1)
		n = RESP_TEXT_MAX - 1;
	memcpy(m->text, p, n);
	m->text[n] = '\0';
}

/* A line is complete (CR removed): what its type says comes next. */
static unsigned int resp_line_done(struct resp_reader *r, uint64_t tag, resp_msg_cb cb, void *ctx)
{
	const char *p = r->line;
	size_t n = r->line_len;
	int64_t v;
	uint16_t *klen;
	uint8_t *kcut;
	char *slot;

	if (r->type == RESP_TYPE_INLINE) {
		if (!n) { /* Redis skips empty inline lines */
			r->state = RESP_ST_TYPE;
			r->in_msg = 0;
			return 0;
		}
		resp_inline(r);
		resp_message_end(r, tag, cb, ctx);
		return 0;
	}
	if (r->line_cut && strchr("$!=*%~>|;", r->type))
		return resp_lose(r); /* a length line never needs this much */
	switch (r->type) {
	case '+':
	case '-':
	case ':':
	case ',':
	case '#':
	case '(':
	case '_':
		if (r->depth == 0 && (r->type == '+' || r->type == '-'))
			resp_copy_text(&r->msg, p, n);
		if (r->depth == 0 && r->type == '_')
			r->msg.is_null = 1;
		slot = resp_keep_slot(r, &klen, &kcut);
		if (slot) {
			resp_keep_bytes(r, (const uint8_t *)p, n);
			*kcut |= r->line_cut;
		}
		resp_element_done(r, tag, cb, ctx);
		return 0;
	case '$':
	case '!':
	case '=':
	case RESP_TYPE_CHUNK:
		if (n == 1 && p[0] == '?' && r->type != RESP_TYPE_CHUNK) {
			/* a streamed string: chunks until ";0" */
			if (r->depth >= RESP_DEPTH_MAX)
				return resp_lose(r);
			r->level[r->depth++].left = -2;
			r->state = RESP_ST_TYPE;
			return 0;
		}
		v = resp_number(p, n);
		if (v == -1 && r->type != RESP_TYPE_CHUNK) {
			if (r->depth == 0)
				r->msg.is_null = 1;
			resp_element_done(r, tag, cb, ctx);
			return 0;
		}
		if (v < 0)
			return resp_lose(r);
		if (r->type == RESP_TYPE_CHUNK && v == 0) {
			r->depth--; /* the streamed string ends */
			resp_element_done(r, tag, cb, ctx);
			return 0;
		}
		r->bulk_len = (uint64_t)v;
		r->bulk_left = (uint64_t)v + 2;
		r->state = RESP_ST_BULK;
		return 0;
	case '*':
	case '%':
	case '~':
	case '>':
	case '|':
		if (n == 1 && p[0] == '?') {
			if (r->depth == 0)
				r->elem = 0;
			return resp_open_aggregate(r, -1, tag, cb, ctx);
		}
		v = resp_number(p, n);
		if (v == -1) {
			if (r->depth == 0)
				r->msg.is_null = 1;
			resp_element_done(r, tag, cb, ctx);
			return 0;
		}
		if (v < 0 || v > (INT64_MAX >> 1))
			return resp_lose(r);
		if (r->type == '%' || r->type == '|')
			v *= 2; /* a map's keys and values */
		return resp_open_aggregate(r, v, tag, cb, ctx);
	case RESP_TYPE_END:
		/* ends a streamed aggregate */
		if (!r->depth || r->level[r->depth - 1].left != -1 || n)
			return resp_lose(r);
		r->depth--;
		resp_element_done(r, tag, cb, ctx);
		return 0;
	default:
		return resp_lose(r);
	}
}

/* An element's first byte. */
static unsigned int resp_type(struct resp_reader *r, uint8_t c, uint64_t tag)
{
	int streamed_str = r->depth && r->level[r->depth - 1].left == -2;

	if (!r->in_msg) {
		/* line ends between inline commands are no message */
		if (r->inline_ok && (c == '\r' || c == '\n'))
			return 0;
		memset(&r->msg, 0, sizeof(r->msg));
		r->msg.start_tag = tag;
		r->in_msg = 1;
	}
	r->msg.bytes++;
	if (streamed_str) {
		if (c != RESP_TYPE_CHUNK)
			return resp_lose(r);
	} else if (c == RESP_TYPE_END) {
		if (!r->depth || r->level[r->depth - 1].left != -1)
			return resp_lose(r);
	} else if (!resp_is_type(c)) {
		if (!r->inline_ok || r->depth || r->attr)
			return resp_lose(r);
		r->type = RESP_TYPE_INLINE;
		r->msg.type = RESP_TYPE_INLINE;
		r->line[0] = (char)c;
		r->line_len = 1;
		r->line_cut = 0;
		r->state = RESP_ST_LINE;
		return 0;
	}
	if (r->depth == 0 && !r->attr) {
		r->msg.type = c;
		r->attr = c == '|';
	}
	if (r->depth == 1 && r->elem < RESP_KEEP && r->level[0].left != -2 &&
	    r->msg.nkept <= r->elem)
		r->msg.nkept = r->elem + 1;
	r->type = c;
	r->line_len = 0;
	r->line_cut = 0;
	r->state = RESP_ST_LINE;
	return 0;
}

/* Line bytes up to and including LF; returns how many were used. */
static size_t resp_line(struct resp_reader *r, const uint8_t *p, size_t n, uint64_t tag,
			resp_msg_cb cb, void *ctx, unsigned int *misses)
{
	const uint8_t *lf = memchr(p, '\n', n);
	size_t take = lf ? (size_t)(lf - p) + 1 : n, body = lf ? take - 1 : take, room;

	r->msg.bytes += take;
	room = RESP_LINE_MAX - r->line_len;
	if (body > room) {
		memcpy(r->line + r->line_len, p, room);
		r->line_len = RESP_LINE_MAX;
		r->line_cut = 1;
	} else {
		memcpy(r->line + r->line_len, p, body);
		r->line_len = (uint16_t)(r->line_len + body);
	}
	if (!lf)
		return take;
	/* the line ends in CRLF; a bare LF only in an inline command */
	if (r->line_len && r->line[r->line_len - 1] == '\r' && !r->line_cut)
		r->line_len--;
	else if (r->type != RESP_TYPE_INLINE && !r->line_cut) {
		*misses += resp_lose(r);
		return take;
	}
	*misses += resp_line_done(r, tag, cb, ctx);
	return take;
}

/* Bulk body bytes; returns how many were used. */
static size_t resp_bulk(struct resp_reader *r, const uint8_t *p, size_t n, uint64_t tag,
			resp_msg_cb cb, void *ctx, unsigned int *misses)
{
	size_t take = n < r->bulk_left ? n : (size_t)r->bulk_left;
	uint64_t done_before = r->bulk_len + 2 - r->bulk_left;
	uint64_t body_end = r->bulk_len;

	r->msg.bytes += take;
	if (done_before < body_end) {
		uint64_t body = body_end - done_before;
		size_t k = take < body ? take : (size_t)body;

		resp_keep_bytes(r, p, k);
		if (r->depth == 0 && r->type == '!' && done_before < RESP_TEXT_MAX - 1) {
			size_t room = RESP_TEXT_MAX - 1 - (size_t)done_before;

			memcpy(r->msg.text + done_before, p, k < room ? k : room);
		}
	}
	r->bulk_left -= take;
	/* the last two bytes must be the CRLF */
	for (uint64_t at = body_end; at < body_end + 2; at++) {
		if (at < done_before || at >= done_before + take)
			continue;
		if (p[at - done_before] != (at == body_end ? '\r' : '\n')) {
			*misses += resp_lose(r);
			return take;
		}
	}
	if (r->bulk_left)
		return take;
	if (r->type == RESP_TYPE_CHUNK) {
		r->state = RESP_ST_TYPE; /* the next chunk of a streamed string */
		return take;
	}
	resp_element_done(r, tag, cb, ctx);
	return take;
}

unsigned int resp_feed(struct resp_reader *r, const uint8_t *p, size_t n, uint64_t tag,
		       resp_msg_cb cb, void *ctx)
{
	unsigned int misses = 0;

	while (n && r->state != RESP_ST_LOST) {
		size_t used = 1;

		if (r->state == RESP_ST_TYPE)
			misses += resp_type(r, p[0], tag);
		else if (r->state == RESP_ST_LINE)
			used = resp_line(r, p, n, tag, cb, ctx, &misses);
		else
			used = resp_bulk(r, p, n, tag, cb, ctx, &misses);
		p += used;
		n -= used;
	}
	return misses;
}

unsigned int resp_gap(struct resp_reader *r, uint64_t n, uint64_t tag, resp_msg_cb cb, void *ctx)
{
	if (!n || r->state == RESP_ST_LOST)
		return 0;
	/* only a bulk's bytes may go unseen; its framing is known all along */
	if (r->state != RESP_ST_BULK || n > r->bulk_left)
		return resp_lose(r);
	r->bulk_left -= n;
	r->msg.bytes += n;
	if (!r->bulk_left) {
		if (r->type == RESP_TYPE_CHUNK)
			r->state = RESP_ST_TYPE;
		else
			resp_element_done(r, tag, cb, ctx);
	}
	return 0;
}
