/* SPDX-License-Identifier: MIT */
/*
 * The text of HTTP/1.x: start lines, the header values the parser acts on,
 * chunk-size lines. Pure functions over a line; what to do with the result
 * is http1_head.c's and http1_stream.c's business.
 */
#include "http1_internal.h"
#include "http1_wire.h"
#include "text.h"

#include <string.h>

static int http1_is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* ASCII-only, so the result never depends on the locale. */
/* ---- detection --------------------------------------------------------- */

/* The kernel's sniffing rule (ZT_SNIFF_*), so both sides agree. */
static int http1_sniff_kind(const uint8_t *buf, size_t len)
{
	if (!buf)
		return 0;
	return http1_wire_kind(buf, len < ZT_SNIFF_LEN ? (__u32)len : ZT_SNIFF_LEN, 0);
}

int http1_looks_like_request(const uint8_t *buf, size_t len)
{
	return (http1_sniff_kind(buf, len) & ZT_SNIFF_REQUEST) != 0;
}

int http1_looks_like_response(const uint8_t *buf, size_t len)
{
	return (http1_sniff_kind(buf, len) & ZT_SNIFF_RESPONSE) != 0;
}

int http1_looks_like(enum http1_side side, const uint8_t *buf, size_t len)
{
	return side == HTTP1_SIDE_REQUEST ? http1_looks_like_request(buf, len) :
					    http1_looks_like_response(buf, len);
}

/* Rejects a start line as soon as its first bytes cannot begin one, so
 * binary garbage without a '\n' is not buffered as a line forever. */
int http1_start_prefix_ok(enum http1_side side, const char *line, size_t len)
{
	size_t i;

	if (side == HTTP1_SIDE_RESPONSE)
		return http1_looks_like_response((const uint8_t *)line, len);
	for (i = 0; i < len && text_is_tchar(line[i]); i++)
		;
	if (i >= HTTP1_METHOD_MAX)
		return 0;
	return i == len || (i > 0 && line[i] == ' ');
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
int http1_split_request_line(const struct http1_line *l, int partial,
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

/* HTTP/1.d SP 3DIGIT [SP reason]. A partial line too short to hold the
 * status leaves it 0. */
int http1_parse_status_line(struct http1_stream *s, const struct http1_line *l,
			    int partial)
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

/* ---- header values ----------------------------------------------------- */

/* RFC 9110 8.6: a list of identical values counts as one value. */
int http1_parse_content_length(const char *p, size_t n, uint64_t *out)
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
int http1_last_coding_is_chunked(const char *p, size_t n)
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
	return text_ieq(p, n, "chunked");
}

/* Keeps what the exchange's record needs: Host and the trace context. */
void http1_keep_request_header(struct http1_request *req, const char *name,
			       size_t name_len, const char *val, size_t val_len,
			       int truncated)
{
	if (text_ieq(name, name_len, "host")) {
		if (req->host[0])
			return; /* a second Host is invalid: keep the first */
		if (val_len > HTTP1_HOST_MAX - 1)
			val_len = HTTP1_HOST_MAX - 1;
		memcpy(req->host, val, val_len);
		return;
	}
	proto_context_header(&req->wire, name, name_len, val, val_len, truncated);
}

/* ---- chunked framing --------------------------------------------------- */

/* 1*HEXDIG [BWS ; chunk-ext]; extensions are ignored. */
int http1_parse_chunk_size(const struct http1_line *l, uint64_t *out)
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
