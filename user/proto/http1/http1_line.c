/* SPDX-License-Identifier: MIT */
/*
 * The current line of one side: only it is buffered, across feeds. A line
 * longer than line[] keeps its start there and its last bytes in
 * line_tail[], so a request line still yields its version.
 */
#include "http1_internal.h"

#include <string.h>

_Static_assert(HTTP1_LINE_MAX >= HTTP1_LINE_TAIL && HTTP1_LINE_MAX <= 65535,
	       "line_len is 16 bits and the tail is copied from line[]");

void http1_line_reset(struct http1_stream *s)
{
	s->line_len = 0;
	s->line_over = 0;
}

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
size_t http1_line_feed(struct http1_stream *s, const uint8_t *buf, size_t n,
		       int *ended)
{
	const uint8_t *nl = memchr(buf, '\n', n);
	size_t len = nl ? (size_t)(nl - buf) : n;

	http1_line_append(s, buf, len);
	*ended = nl != NULL;
	return nl ? len + 1 : len;
}

/* Views the current line without the CR of a CRLF ending. Also used on a
 * line a gap cut, whose '\n' is likely the first unseen byte. */
void http1_line_view(struct http1_stream *s, struct http1_line *l)
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
