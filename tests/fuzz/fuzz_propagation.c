// SPDX-License-Identifier: MIT
/*
 * Fuzzes the trace-context parsers in user/propagation.c. The whole input
 * is one traceparent value and one b3 value; split at '\n' it is the four
 * multi-header values X-B3-TraceId, X-B3-SpanId, X-B3-Sampled, X-B3-Flags
 * (a missing part is an absent header: NULL). Every value sits in its own
 * exact-size heap buffer with no terminator, so ASan sees any read past n.
 *
 * Checks: a rejected value leaves the output untouched; an accepted one has
 * non-zero ids and sampled in {0, 1, 2} ({0, 1} for traceparent); its ids,
 * re-formatted with propagation_format_traceparent, spell the input's hex
 * (lower-cased, a 16-digit B3 trace id zero-padded), and parsing that
 * string again gives the identical context (sampled 2 becoming 0).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "propagation.h"
#include "fuzz_check.h"

#define PROP_POISON 0xa5
#define PROP_TP_LEN 55

static char *prop_dup(const uint8_t *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	CHECK(p);
	memcpy(p, s, n);
	return p;
}

static void prop_poison(struct trace_context *tc)
{
	memset(tc, PROP_POISON, sizeof(*tc));
}

static int prop_untouched(const struct trace_context *tc)
{
	struct trace_context p;

	prop_poison(&p);
	return memcmp(tc, &p, sizeof(p)) == 0;
}

static int prop_is_zero(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static char prop_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Skips leading spaces and tabs; returns the new start. */
static const char *prop_skip_ows(const char *s, size_t *n)
{
	while (*n && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		(*n)--;
	}
	return s;
}

/* Common checks on an accepted context; writes its traceparent to tp. */
static void prop_check_accepted(const struct trace_context *tc, char tp[56])
{
	struct trace_context again;

	CHECK(!prop_is_zero(tc->trace_id, 16));
	CHECK(!prop_is_zero(tc->span_id, 8));
	CHECK(tc->sampled <= 2);

	memset(tp, PROP_POISON, 56);
	propagation_format_traceparent(tp, tc->trace_id, tc->span_id, tc->sampled);
	CHECK(tp[PROP_TP_LEN] == '\0' && strlen(tp) == PROP_TP_LEN);
	CHECK(!memcmp(tp, "00-", 3) && tp[35] == '-' && tp[52] == '-');
	CHECK(!memcmp(tp + 53, tc->sampled == 1 ? "01" : "00", 2));

	prop_poison(&again);
	CHECK(propagation_parse_traceparent(tp, PROP_TP_LEN, &again) == 0);
	CHECK(!memcmp(again.trace_id, tc->trace_id, 16));
	CHECK(!memcmp(again.span_id, tc->span_id, 8));
	CHECK(again.sampled == (tc->sampled == 1));
}

/* The formatted hex spells the input's: trace of tlen digits at t, span at s. */
static void prop_check_spelling(const char *tp, const char *t, size_t tlen,
				const char *s)
{
	size_t i, pad = 32 - tlen;

	CHECK(tlen == 16 || tlen == 32);
	for (i = 0; i < pad; i++)
		CHECK(tp[3 + i] == '0');
	for (i = 0; i < tlen; i++)
		CHECK(tp[3 + pad + i] == prop_lower(t[i]));
	for (i = 0; i < 16; i++)
		CHECK(tp[36 + i] == prop_lower(s[i]));
}

static void prop_fuzz_traceparent(const uint8_t *data, size_t size)
{
	char *v = prop_dup(data, size), tp[56];
	struct trace_context tc;
	const char *p;
	size_t n = size;

	prop_poison(&tc);
	if (propagation_parse_traceparent(v, size, &tc) == 0) {
		CHECK(tc.sampled <= 1);
		prop_check_accepted(&tc, tp);
		/* The input was lowercase: ids re-format to its very bytes. */
		p = prop_skip_ows(v, &n);
		CHECK(n >= PROP_TP_LEN);
		CHECK(!memcmp(tp + 2, p + 2, 51));
	} else {
		CHECK(prop_untouched(&tc));
	}
	free(v);
}

static void prop_fuzz_b3(const uint8_t *data, size_t size)
{
	char *v = prop_dup(data, size), tp[56];
	struct trace_context tc;
	const char *p, *dash;
	size_t n = size;

	prop_poison(&tc);
	if (propagation_parse_b3(v, size, &tc) == 0) {
		prop_check_accepted(&tc, tp);
		p = prop_skip_ows(v, &n);
		dash = memchr(p, '-', n);
		CHECK(dash && (size_t)(p + n - dash) > 16);
		prop_check_spelling(tp, p, (size_t)(dash - p), dash + 1);
	} else {
		CHECK(prop_untouched(&tc));
	}
	free(v);
}

/* Splits at '\n' into at most four parts; the last keeps any further '\n'. */
static void prop_fuzz_b3_multi(const uint8_t *data, size_t size)
{
	char *part[4] = { NULL, NULL, NULL, NULL }, tp[56];
	size_t len[4] = { 0, 0, 0, 0 }, pos = 0, k, n;
	const uint8_t *nl;
	struct trace_context tc;
	const char *t, *s;

	for (k = 0; k < 4 && pos <= size; k++) {
		nl = k < 3 ? memchr(data + pos, '\n', size - pos) : NULL;
		len[k] = nl ? (size_t)(nl - (data + pos)) : size - pos;
		part[k] = prop_dup(data + pos, len[k]);
		pos += len[k] + 1;
	}

	prop_poison(&tc);
	if (propagation_parse_b3_multi(part[0], len[0], part[1], len[1], part[2],
				       len[2], part[3], len[3], &tc) == 0) {
		CHECK(part[0] && part[1]);
		prop_check_accepted(&tc, tp);
		n = len[0];
		t = prop_skip_ows(part[0], &n);
		while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
			n--;
		k = len[1];
		s = prop_skip_ows(part[1], &k);
		CHECK(k >= 16);
		prop_check_spelling(tp, t, n, s);
	} else {
		CHECK(prop_untouched(&tc));
	}
	for (k = 0; k < 4; k++)
		free(part[k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	prop_fuzz_traceparent(data, size);
	prop_fuzz_b3(data, size);
	prop_fuzz_b3_multi(data, size);
	return 0;
}
