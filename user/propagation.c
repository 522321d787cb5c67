// SPDX-License-Identifier: MIT
/*
 * W3C traceparent and B3 (single and multi-header) parsers, and the
 * traceparent writer. Pure functions over (pointer, length): no allocation,
 * no I/O, no state; never read at or past n, so values need no NUL.
 *
 * Every parser decodes into a local context and copies it to *out only once
 * the whole value has checked out, so a rejected value leaves *out as it was.
 *
 * Interpretations where the specs leave room (see propagation.h first):
 *  - OWS (space, tab) around any value is dropped, as HTTP field values
 *    exclude it (RFC 9110 5.5); any other byte, NUL included, is data.
 *  - B3 ids take hex in either case, in both encodings (the single-header
 *    rule in propagation.h, applied to the multi-header ids alike).
 *  - B3 ParentSpanId is validated (16 hex, not all zero) but not kept: the
 *    context's span_id is the sender's span, which is what we parent to.
 *  - X-B3-Flags other than "1" (or absent/empty) is rejected; "1" wins over
 *    X-B3-Sampled, as debug implies accept (b3-propagation README), but
 *    X-B3-Sampled must still be one of its four spellings.
 */
#include "propagation.h"
#include "text.h"

#include <string.h>

#define PROP_TP_LEN 55      /* "vv-" 32 hex "-" 16 hex "-" "ff" */
#define PROP_TP_TRACE 3     /* offsets of each field in a traceparent */
#define PROP_TP_SPAN 36
#define PROP_TP_FLAGS 53
#define PROP_B3_ID_HEX 16   /* span ids and short trace ids, in digits */
#define PROP_B3_TRACE_HEX 32

static const char prop_hex_digits[] = "0123456789abcdef";

/* Value of one hex digit, or -1; A-F only when upper_ok. */
static int prop_hex_val(char c, int upper_ok)
{
	if (!upper_ok && c >= 'A' && c <= 'F')
		return -1;
	return text_hex_value(c);
}

/* Decodes 2 * len hex digits from s into dst[len]; 0, or -1 on a non-digit. */
static int prop_hex_decode(const char *s, uint8_t *dst, size_t len, int upper_ok)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		hi = prop_hex_val(s[2 * i], upper_ok);
		lo = prop_hex_val(s[2 * i + 1], upper_ok);
		if (hi < 0 || lo < 0)
			return -1;
		dst[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int prop_is_zero(const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return 0;
	return 1;
}

/* s[0..n) spells exactly the NUL-terminated lit. */
static int prop_eq(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* A B3 trace id of 16 or 32 hex digits, any case; 16 is left-padded. */
static int prop_b3_trace_id(const char *s, size_t n, uint8_t dst[16])
{
	if (n == PROP_B3_TRACE_HEX)
		return prop_hex_decode(s, dst, 16, 1);
	if (n == PROP_B3_ID_HEX) {
		memset(dst, 0, 8);
		return prop_hex_decode(s, dst + 8, 8, 1);
	}
	return -1;
}

/* A B3 64-bit id: exactly 16 hex digits, any case, not all zero. */
static int prop_b3_span_id(const char *s, size_t n, uint8_t dst[8])
{
	if (n != PROP_B3_ID_HEX || prop_hex_decode(s, dst, 8, 1))
		return -1;
	return prop_is_zero(dst, 8) ? -1 : 0;
}

int propagation_parse_traceparent(const char *v, size_t n, struct trace_context *out)
{
	struct trace_context tc = { 0 };
	uint8_t version, flags;

	if (!v || !out)
		return -1;
	text_trim_ows(&v, &n);
	if (n < PROP_TP_LEN)
		return -1;
	if (v[PROP_TP_TRACE - 1] != '-' || v[PROP_TP_SPAN - 1] != '-' ||
	    v[PROP_TP_FLAGS - 1] != '-')
		return -1;
	if (prop_hex_decode(v, &version, 1, 0) ||
	    prop_hex_decode(v + PROP_TP_TRACE, tc.trace_id, 16, 0) ||
	    prop_hex_decode(v + PROP_TP_SPAN, tc.span_id, 8, 0) ||
	    prop_hex_decode(v + PROP_TP_FLAGS, &flags, 1, 0))
		return -1;
	if (version == 0xff)
		return -1;
	/* Version 00 is exactly 55 chars; later ones may append "-...". */
	if (n > PROP_TP_LEN && (version == 0 || v[PROP_TP_LEN] != '-'))
		return -1;
	if (prop_is_zero(tc.trace_id, 16) || prop_is_zero(tc.span_id, 8))
		return -1;
	tc.sampled = flags & 1;
	*out = tc;
	return 0;
}

int propagation_parse_b3(const char *v, size_t n, struct trace_context *out)
{
	struct trace_context tc = { 0 };
	uint8_t parent[8];
	size_t tlen, pos;

	if (!v || !out)
		return -1;
	text_trim_ows(&v, &n);
	/* The trace id runs to the first '-': 16 or 32 digits. A
	 * sampling-only value ("0", "1", "d") has no '-' and fails here. */
	if (n > PROP_B3_ID_HEX && v[PROP_B3_ID_HEX] == '-')
		tlen = PROP_B3_ID_HEX;
	else if (n > PROP_B3_TRACE_HEX && v[PROP_B3_TRACE_HEX] == '-')
		tlen = PROP_B3_TRACE_HEX;
	else
		return -1;
	if (prop_b3_trace_id(v, tlen, tc.trace_id) || prop_is_zero(tc.trace_id, 16))
		return -1;
	pos = tlen + 1;

	/* Span id: 16 digits, then the end or '-'. */
	if (n - pos < PROP_B3_ID_HEX)
		return -1;
	if (prop_b3_span_id(v + pos, PROP_B3_ID_HEX, tc.span_id))
		return -1;
	pos += PROP_B3_ID_HEX;
	tc.sampled = 2;
	if (pos == n)
		goto done;

	/* "-{sampling}", one character. */
	if (n - pos < 2 || v[pos] != '-')
		return -1;
	switch (v[pos + 1]) {
	case '0':
		tc.sampled = 0;
		break;
	case '1':
	case 'd': /* debug implies accept */
		tc.sampled = 1;
		break;
	default:
		return -1;
	}
	pos += 2;
	if (pos == n)
		goto done;

	/* "-{parent}", the last field: checked, then dropped. */
	if (n - pos != 1 + PROP_B3_ID_HEX || v[pos] != '-' ||
	    prop_b3_span_id(v + pos + 1, PROP_B3_ID_HEX, parent))
		return -1;
done:
	*out = tc;
	return 0;
}

int propagation_parse_b3_multi(const char *trace_id, size_t trace_len, const char *span_id,
			       size_t span_len, const char *sampled, size_t sampled_len,
			       const char *flags, size_t flags_len, struct trace_context *out)
{
	struct trace_context tc = { 0 };

	if (!trace_id || !span_id || !out)
		return -1;
	text_trim_ows(&trace_id, &trace_len);
	text_trim_ows(&span_id, &span_len);
	if (prop_b3_trace_id(trace_id, trace_len, tc.trace_id) ||
	    prop_is_zero(tc.trace_id, 16))
		return -1;
	if (prop_b3_span_id(span_id, span_len, tc.span_id))
		return -1;

	/* Optional headers: NULL or blank means absent. */
	if (sampled)
		text_trim_ows(&sampled, &sampled_len);
	if (flags)
		text_trim_ows(&flags, &flags_len);

	tc.sampled = 2;
	if (sampled && sampled_len) {
		if (prop_eq(sampled, sampled_len, "1") ||
		    prop_eq(sampled, sampled_len, "true"))
			tc.sampled = 1;
		else if (prop_eq(sampled, sampled_len, "0") ||
			 prop_eq(sampled, sampled_len, "false"))
			tc.sampled = 0;
		else
			return -1;
	}
	if (flags && flags_len) {
		if (!prop_eq(flags, flags_len, "1"))
			return -1;
		tc.sampled = 1; /* debug implies accept */
	}
	*out = tc;
	return 0;
}

static char *prop_hex_encode(char *p, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		*p++ = prop_hex_digits[b[i] >> 4];
		*p++ = prop_hex_digits[b[i] & 0xf];
	}
	return p;
}

void propagation_format_traceparent(char *out, const uint8_t trace_id[16],
				    const uint8_t span_id[8], int sampled)
{
	char *p = out;

	if (!out)
		return;
	if (!trace_id || !span_id) {
		out[0] = '\0';
		return;
	}
	*p++ = '0';
	*p++ = '0';
	*p++ = '-';
	p = prop_hex_encode(p, trace_id, 16);
	*p++ = '-';
	p = prop_hex_encode(p, span_id, 8);
	*p++ = '-';
	*p++ = '0';
	/* Only an explicit 1: an undecided 2 must not turn into "sampled". */
	*p++ = sampled == 1 ? '1' : '0';
	*p = '\0';
}
