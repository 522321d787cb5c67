// SPDX-License-Identifier: MIT
/*
 * A recording's payloads are redacted as spans are, before they are
 * written. Secret bytes become '*' in place: a record keeps its length, so
 * the stream positions of the records after it stay right and the parsers
 * read the same framing in the replay. A span never shows what is
 * overwritten here (its query keeps secret values as REDACTED, Redis
 * arguments as '?'), so the replay gives the same spans.
 *
 * Each record is scanned alone: a secret cut across two records is caught
 * only where its start is recognisable (a header name cut in two is not).
 * What is not redacted here: HTTP/2 headers (HPACK-coded) and a MySQL
 * handshake's auth response (a hash, unless the cleartext plugin is used).
 * PostgreSQL password and SASL messages need nothing: the kernel copies no
 * byte of them past their header.
 */
#include <stddef.h>
#include <string.h>

#include "events.h"
#include "recording.h"
#include "redact.h"

#define REDACT_MARK '*'
#define REDIS_AUTH_ARGS 2   /* AUTH [user] password, HELLO ... AUTH user password */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* buf[0..len) starts with lower-case word, case-insensitively. */
static int starts_with(const uint8_t *buf, size_t len, const char *word)
{
	size_t n = strlen(word);

	if (len < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower(buf[i]) != word[i])
			return 0;
	return 1;
}

static size_t mark(uint8_t *buf, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		buf[i] = REDACT_MARK;
	return to > from ? to - from : 0;
}

/* Where the line that starts at i ends (its CR or LF, or len). */
static size_t line_end(const uint8_t *buf, size_t len, size_t i)
{
	while (i < len && buf[i] != '\r' && buf[i] != '\n')
		i++;
	return i;
}

/* "Name: value" of a header whose whole value is secret. */
static size_t redact_header(uint8_t *buf, size_t len, size_t i)
{
	static const char *const names[] = { "authorization:", "proxy-authorization:", "cookie:",
					     "set-cookie:" };

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if (starts_with(buf + i, len - i, names[k])) {
			size_t v = i + strlen(names[k]);

			while (v < len && (buf[v] == ' ' || buf[v] == '\t'))
				v++;
			return mark(buf, v, line_end(buf, len, v));
		}
	}
	return 0;
}

/* A request line "METHOD target ...": the target's user:password@ and
 * the values of its secret-looking query keys. */
static size_t redact_request_line(uint8_t *buf, size_t len, size_t i)
{
	size_t end = line_end(buf, len, i), t = i, n = 0, at, colon, q;

	while (t < end && buf[t] >= 'A' && buf[t] <= 'Z')
		t++;
	if (t == i || t >= end || buf[t] != ' ')
		return 0;
	i = ++t;
	while (t < end && buf[t] != ' ')
		t++;
	end = t; /* the target is [i, end) */
	for (q = i; q < end && buf[q] != '?'; q++)
		;
	while (q < end) {
		size_t k = q + 1, eq, amp;

		for (amp = k; amp < end && buf[amp] != '&' && buf[amp] != '#'; amp++)
			;
		for (eq = k; eq < amp && buf[eq] != '='; eq++)
			;
		if (eq < amp && redact_key_is_secret((const char *)buf + k, eq - k))
			n += mark(buf, eq + 1, amp);
		if (amp >= end || buf[amp] == '#')
			break;
		q = amp;
	}
	/* scheme://user:password@host: the part after the first ':'. Looked
	 * for only before the query, so neither redaction moves the other's
	 * bounds (a second pass finds what this one did) */
	for (at = i; at + 2 < end && memcmp(buf + at, "://", 3) != 0 && buf[at] != '/' &&
		     buf[at] != '?'; at++)
		;
	if (at + 2 < end && buf[at] == ':') {
		size_t u = at + 3;

		for (colon = 0, t = u; t < end && buf[t] != '/' && buf[t] != '?' && buf[t] != '@'; t++)
			if (buf[t] == ':' && !colon)
				colon = t;
		if (t < end && buf[t] == '@' && colon)
			n += mark(buf, colon + 1, t);
	}
	return n;
}

/* RESP "$4\r\nAUTH\r\n" then its bulk-string arguments. */
static size_t redact_redis_auth(uint8_t *buf, size_t len, size_t i)
{
	size_t n = 0;

	if (!starts_with(buf + i, len - i, "$4\r\nauth\r\n"))
		return 0;
	i += 10;
	for (int arg = 0; arg < REDIS_AUTH_ARGS && i < len && buf[i] == '$'; arg++) {
		size_t size = 0, d = i + 1;

		while (d < len && buf[d] >= '0' && buf[d] <= '9' && size < REC_RECORD_MAX)
			size = size * 10 + (size_t)(buf[d++] - '0');
		if (d + 2 > len || buf[d] != '\r' || buf[d + 1] != '\n')
			break;
		d += 2;
		n += mark(buf, d, size < len - d ? d + size : len);
		i = d + size + 2;
	}
	return n;
}

size_t recording_redact(uint8_t *buf, size_t len)
{
	size_t n = 0;

	if (!buf)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '$')
			n += redact_redis_auth(buf, len, i);
		if (i && buf[i - 1] != '\n')
			continue;
		/* a line start: a header, a request line, an inline AUTH */
		n += redact_header(buf, len, i);
		n += redact_request_line(buf, len, i);
		if (starts_with(buf + i, len - i, "auth "))
			n += mark(buf, i + 5, line_end(buf, len, i + 5));
	}
	return n;
}

size_t recording_redact_event(uint8_t *rec, size_t len)
{
	struct zt_event e;
	uint8_t *p = rec + sizeof(e);
	size_t cap, n = 0;

	if (len < sizeof(e))
		return 0;
	memcpy(&e, rec, sizeof(e));
	cap = e.cap_len < len - sizeof(e) ? e.cap_len : len - sizeof(e);
	if (e.type == ZT_EV_LOG) {
		size_t at = 0, vs, ve;

		/* a log line's secret values, as its record's body has them;
		 * its tail (the end of a long line) keeps only its line ends */
		while (redact_text_next((const char *)p, cap, at, &vs, &ve)) {
			n += mark(p, vs, ve);
			at = ve;
		}
		for (size_t i = 0; i < e.tail_len && i < ZT_TAIL_LEN; i++) {
			uint8_t *c = rec + offsetof(struct zt_event, tail) + i;

			if (*c != '\n') {
				*c = REDACT_MARK;
				n++;
			}
		}
		return n;
	}
	if (e.type != ZT_EV_DATA)
		return 0;
	if (!(e.flags & ZT_F_SEGS))
		return recording_redact(p, cap);
	/* a frame walk: segment headers, each followed by its copied bytes */
	for (uint32_t s = 0; s < e.nsegs; s++) {
		struct zt_seg seg;

		if (cap < sizeof(seg))
			break;
		memcpy(&seg, p, sizeof(seg));
		p += sizeof(seg);
		cap -= sizeof(seg);
		if (seg.cap > cap)
			seg.cap = (uint16_t)cap;
		n += recording_redact(p, seg.cap);
		p += seg.cap;
		cap -= seg.cap;
	}
	return n;
}
