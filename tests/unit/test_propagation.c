// SPDX-License-Identifier: MIT
/* user/propagation.c: W3C traceparent and B3 parsing, traceparent writing. */
#include <criterion/criterion.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "propagation.h"

/* The W3C spec's example and its exact bytes. */
#define PROP_TP_SPEC "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
#define PROP_TP_TRACE_HEX "4bf92f3577b34da6a3ce929d0e0e4736"
#define PROP_TP_SPAN_HEX "00f067aa0ba902b7"
#define PROP_ZERO32 "00000000000000000000000000000000"
#define PROP_ZERO16 "0000000000000000"

static const uint8_t prop_spec_trace[16] = {
	0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
	0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36,
};
static const uint8_t prop_spec_span[8] = {
	0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7,
};

/* The b3-propagation README's ids. */
#define PROP_B3_TRACE "80f198ee56343ba864fe8b2a57d3eff7"
#define PROP_B3_TRACE64 "64fe8b2a57d3eff7"
#define PROP_B3_SPAN "e457b5a2e4d86bd1"
#define PROP_B3_PARENT "05e3ac9a4f6e3b90"

static const uint8_t prop_b3_trace[16] = {
	0x80, 0xf1, 0x98, 0xee, 0x56, 0x34, 0x3b, 0xa8,
	0x64, 0xfe, 0x8b, 0x2a, 0x57, 0xd3, 0xef, 0xf7,
};
static const uint8_t prop_b3_trace64[16] = {
	0, 0, 0, 0, 0, 0, 0, 0,
	0x64, 0xfe, 0x8b, 0x2a, 0x57, 0xd3, 0xef, 0xf7,
};
static const uint8_t prop_b3_span[8] = {
	0xe4, 0x57, 0xb5, 0xa2, 0xe4, 0xd8, 0x6b, 0xd1,
};

#define PROP_POISON 0xa5

typedef int (*prop_parse_fn)(const char *, size_t, struct trace_context *);

/* Runs fn on a heap copy of s[0..n) with no terminator, so ASan flags any
 * read at or past n; out starts filled with PROP_POISON. */
static int prop_run(prop_parse_fn fn, const char *s, size_t n,
		    struct trace_context *out)
{
	char *buf = malloc(n ? n : 1);
	int rc;

	cr_assert(buf);
	memcpy(buf, s, n);
	memset(out, PROP_POISON, sizeof(*out));
	rc = fn(buf, n, out);
	free(buf);
	return rc;
}

/* A heap copy of s[0..n), or NULL for NULL: for the multi-header fields. */
static char *prop_dup(const char *s, size_t n)
{
	char *buf;

	if (!s)
		return NULL;
	buf = malloc(n ? n : 1);
	cr_assert(buf);
	memcpy(buf, s, n);
	return buf;
}

static int prop_run_multi(const char *t, size_t tn, const char *s, size_t sn,
			  const char *smp, size_t smpn, const char *f, size_t fn,
			  struct trace_context *out)
{
	char *bt = prop_dup(t, tn), *bs = prop_dup(s, sn);
	char *bsmp = prop_dup(smp, smpn), *bf = prop_dup(f, fn);
	int rc;

	memset(out, PROP_POISON, sizeof(*out));
	rc = propagation_parse_b3_multi(bt, tn, bs, sn, bsmp, smpn, bf, fn, out);
	free(bt);
	free(bs);
	free(bsmp);
	free(bf);
	return rc;
}

static int prop_untouched(const struct trace_context *tc)
{
	struct trace_context poison;

	memset(&poison, PROP_POISON, sizeof(poison));
	return memcmp(tc, &poison, sizeof(*tc)) == 0;
}

static void prop_expect_reject_n(prop_parse_fn fn, const char *name,
				 const char *s, size_t n)
{
	struct trace_context tc;

	cr_expect_eq(prop_run(fn, s, n, &tc), -1, "%s accepted \"%.*s\" (%zu bytes)",
		     name, (int)n, s, n);
	cr_expect(prop_untouched(&tc), "%s wrote out on reject of \"%.*s\"", name,
		  (int)n, s);
}

#define PROP_REJECT_TP(s)                                                      \
	prop_expect_reject_n(propagation_parse_traceparent, "traceparent", (s), \
			     strlen(s))
#define PROP_REJECT_B3(s)                                                      \
	prop_expect_reject_n(propagation_parse_b3, "b3", (s), strlen(s))

/* Parses s and checks the exact context. */
static void prop_expect_ctx_n(prop_parse_fn fn, const char *name, const char *s,
			      size_t n, const uint8_t trace[16],
			      const uint8_t span[8], int sampled)
{
	struct trace_context tc;

	cr_assert_eq(prop_run(fn, s, n, &tc), 0, "%s rejected \"%.*s\"", name,
		     (int)n, s);
	cr_expect_arr_eq(tc.trace_id, trace, 16, "%s: trace id of \"%.*s\"", name,
			 (int)n, s);
	cr_expect_arr_eq(tc.span_id, span, 8, "%s: span id of \"%.*s\"", name,
			 (int)n, s);
	cr_expect_eq(tc.sampled, sampled, "%s: sampled %d of \"%.*s\"", name,
		     tc.sampled, (int)n, s);
}

#define PROP_ACCEPT_TP(s, trace, span, smp)                                    \
	prop_expect_ctx_n(propagation_parse_traceparent, "traceparent", (s),    \
			  strlen(s), (trace), (span), (smp))
#define PROP_ACCEPT_B3(s, trace, span, smp)                                    \
	prop_expect_ctx_n(propagation_parse_b3, "b3", (s), strlen(s), (trace),  \
			  (span), (smp))

/* Multi-header with NUL-terminated fields (NULL = absent). */
static int prop_multi(const char *t, const char *s, const char *smp,
		      const char *f, struct trace_context *out)
{
	return prop_run_multi(t, t ? strlen(t) : 0, s, s ? strlen(s) : 0, smp,
			      smp ? strlen(smp) : 0, f, f ? strlen(f) : 0, out);
}

static void prop_expect_multi_reject(const char *t, const char *s,
				     const char *smp, const char *f)
{
	struct trace_context tc;

	cr_expect_eq(prop_multi(t, s, smp, f, &tc), -1,
		     "multi accepted trace=%s span=%s sampled=%s flags=%s",
		     t ? t : "(null)", s ? s : "(null)", smp ? smp : "(null)",
		     f ? f : "(null)");
	cr_expect(prop_untouched(&tc), "multi wrote out on reject");
}

static void prop_expect_multi(const char *t, const char *s, const char *smp,
			      const char *f, const uint8_t trace[16],
			      const uint8_t span[8], int sampled)
{
	struct trace_context tc;

	cr_assert_eq(prop_multi(t, s, smp, f, &tc), 0,
		     "multi rejected trace=%s span=%s sampled=%s flags=%s", t, s,
		     smp ? smp : "(null)", f ? f : "(null)");
	cr_expect_arr_eq(tc.trace_id, trace, 16);
	cr_expect_arr_eq(tc.span_id, span, 8);
	cr_expect_eq(tc.sampled, sampled, "sampled %d, want %d (sampled=%s flags=%s)",
		     tc.sampled, sampled, smp ? smp : "(null)", f ? f : "(null)");
}

/* The spec example with byte i replaced by c, into buf (>= 56 bytes). */
static const char *prop_tp_with(char *buf, size_t i, char c)
{
	strcpy(buf, PROP_TP_SPEC);
	buf[i] = c;
	return buf;
}

/* ---- traceparent ------------------------------------------------------ */

Test(propagation, traceparent_spec_example)
{
	PROP_ACCEPT_TP(PROP_TP_SPEC, prop_spec_trace, prop_spec_span, 1);
}

Test(propagation, traceparent_flags_bit0_is_sampled)
{
	PROP_ACCEPT_TP("00-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-00",
		       prop_spec_trace, prop_spec_span, 0);
	/* Other flag bits are unknown in level 1: only bit 0 counts. */
	PROP_ACCEPT_TP("00-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-fe",
		       prop_spec_trace, prop_spec_span, 0);
	PROP_ACCEPT_TP("00-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-ff",
		       prop_spec_trace, prop_spec_span, 1);
	PROP_ACCEPT_TP("00-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-09",
		       prop_spec_trace, prop_spec_span, 1);
}

Test(propagation, traceparent_ids_with_zero_halves_are_valid)
{
	static const uint8_t t[16] = { [15] = 1 };
	static const uint8_t s[8] = { [0] = 0x80 };

	PROP_ACCEPT_TP("00-00000000000000000000000000000001-8000000000000000-01",
		       t, s, 1);
}

Test(propagation, traceparent_rejects_uppercase_hex)
{
	PROP_REJECT_TP("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01");
	PROP_REJECT_TP("00-4bf92f3577b34da6a3ce929d0e0e473F-00f067aa0ba902b7-01");
	PROP_REJECT_TP("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01");
	PROP_REJECT_TP("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0F");
	PROP_REJECT_TP("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
	PROP_REJECT_TP("CC-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

Test(propagation, traceparent_rejects_wrong_lengths)
{
	size_t n;

	PROP_REJECT_TP("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01");
	PROP_REJECT_TP("00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01");
	PROP_REJECT_TP("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01");
	PROP_REJECT_TP("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b77-01");
	PROP_REJECT_TP("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1");
	PROP_REJECT_TP("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-011");
	PROP_REJECT_TP("0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
	PROP_REJECT_TP("000-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
	/* Every proper prefix of a valid value. */
	for (n = 0; n < strlen(PROP_TP_SPEC); n++)
		prop_expect_reject_n(propagation_parse_traceparent, "traceparent",
				     PROP_TP_SPEC, n);
}

Test(propagation, traceparent_rejects_all_zero_ids)
{
	PROP_REJECT_TP("00-" PROP_ZERO32 "-" PROP_TP_SPAN_HEX "-01");
	PROP_REJECT_TP("00-" PROP_TP_TRACE_HEX "-" PROP_ZERO16 "-01");
	PROP_REJECT_TP("00-" PROP_ZERO32 "-" PROP_ZERO16 "-00");
	/* Future versions too. */
	PROP_REJECT_TP("cc-" PROP_ZERO32 "-" PROP_TP_SPAN_HEX "-01-x");
	PROP_REJECT_TP("cc-" PROP_TP_TRACE_HEX "-" PROP_ZERO16 "-01-x");
}

Test(propagation, traceparent_rejects_version_ff)
{
	PROP_REJECT_TP("ff-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-01");
	PROP_REJECT_TP("ff-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-01-extra");
}

Test(propagation, traceparent_rejects_non_hex)
{
	static const char bad[] = "gGxz-+ .:/\x7f\x80\xff";
	static const size_t digits[] = { 0, 1, 3, 20, 34, 36, 45, 51, 53, 54 };
	char buf[64];
	size_t i, j;

	for (i = 0; i < sizeof(digits) / sizeof(digits[0]); i++)
		for (j = 0; j < sizeof(bad) - 1; j++)
			PROP_REJECT_TP(prop_tp_with(buf, digits[i], bad[j]));
}

Test(propagation, traceparent_rejects_missing_dashes)
{
	static const size_t dashes[] = { 2, 35, 52 };
	char buf[64];
	size_t i;

	for (i = 0; i < 3; i++) {
		PROP_REJECT_TP(prop_tp_with(buf, dashes[i], '_'));
		PROP_REJECT_TP(prop_tp_with(buf, dashes[i], '0'));
		PROP_REJECT_TP(prop_tp_with(buf, dashes[i], ' '));
	}
	/* A dash dropped, the rest shifted left. */
	PROP_REJECT_TP("004bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
	PROP_REJECT_TP("00-4bf92f3577b34da6a3ce929d0e0e473600f067aa0ba902b7-01");
	PROP_REJECT_TP("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b701");
	PROP_REJECT_TP("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b701-");
	PROP_REJECT_TP("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01");
}

Test(propagation, traceparent_version_00_rejects_trailing_data)
{
	PROP_REJECT_TP(PROP_TP_SPEC "-");
	PROP_REJECT_TP(PROP_TP_SPEC "-extra");
	PROP_REJECT_TP(PROP_TP_SPEC "x");
	PROP_REJECT_TP(PROP_TP_SPEC "0");
	PROP_REJECT_TP(PROP_TP_SPEC " x");
	PROP_REJECT_TP(PROP_TP_SPEC ",00-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-01");
}

Test(propagation, traceparent_rejects_empty_and_blank)
{
	struct trace_context tc;

	PROP_REJECT_TP("");
	PROP_REJECT_TP(" ");
	PROP_REJECT_TP("      ");
	PROP_REJECT_TP("\t \t");
	memset(&tc, PROP_POISON, sizeof(tc));
	cr_expect_eq(propagation_parse_traceparent(NULL, 0, &tc), -1);
	cr_expect_eq(propagation_parse_traceparent(NULL, 55, &tc), -1);
	cr_expect(prop_untouched(&tc));
	cr_expect_eq(propagation_parse_traceparent(PROP_TP_SPEC, 55, NULL), -1);
}

Test(propagation, traceparent_rejects_embedded_nul)
{
	char buf[64];
	size_t i;

	for (i = 0; i < 55; i++)
		prop_expect_reject_n(propagation_parse_traceparent, "traceparent",
				     prop_tp_with(buf, i, '\0'), 55);
	/* A NUL after the value: 56 bytes for version 00. */
	prop_expect_reject_n(propagation_parse_traceparent, "traceparent",
			     PROP_TP_SPEC, 56);
	prop_expect_reject_n(propagation_parse_traceparent, "traceparent",
			     "\0" PROP_TP_SPEC, 56);
	prop_expect_reject_n(propagation_parse_traceparent, "traceparent",
			     "cc-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-01\0-x", 58);
}

Test(propagation, traceparent_future_version)
{
	PROP_ACCEPT_TP("cc-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-01-extra",
		       prop_spec_trace, prop_spec_span, 1);
	PROP_ACCEPT_TP("cc-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-00",
		       prop_spec_trace, prop_spec_span, 0);
	PROP_ACCEPT_TP("01-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-01-",
		       prop_spec_trace, prop_spec_span, 1);
	PROP_ACCEPT_TP("fe-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-01-a-b-c",
		       prop_spec_trace, prop_spec_span, 1);
	/* After the '-' the future fields are opaque to a level-1 parser. */
	prop_expect_ctx_n(propagation_parse_traceparent, "traceparent",
			  "cc-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-01-\0\xff", 58,
			  prop_spec_trace, prop_spec_span, 1);

	PROP_REJECT_TP("cc-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-01extra");
	PROP_REJECT_TP("cc-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-01.extra");
	PROP_REJECT_TP("cc-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-011");
	PROP_REJECT_TP("cc-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-1");
	PROP_REJECT_TP("cc-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX);
	PROP_REJECT_TP("cc-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-0g-extra");
}

Test(propagation, traceparent_ows_trimmed)
{
	PROP_ACCEPT_TP(" " PROP_TP_SPEC, prop_spec_trace, prop_spec_span, 1);
	PROP_ACCEPT_TP(PROP_TP_SPEC "  ", prop_spec_trace, prop_spec_span, 1);
	PROP_ACCEPT_TP("\t \t" PROP_TP_SPEC " \t ", prop_spec_trace, prop_spec_span, 1);
	PROP_ACCEPT_TP("  cc-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-01-x\t",
		       prop_spec_trace, prop_spec_span, 1);
	/* OWS is space and tab only; inner blanks are not trimmed. */
	PROP_REJECT_TP("\r" PROP_TP_SPEC);
	PROP_REJECT_TP(PROP_TP_SPEC "\r\n");
	PROP_REJECT_TP("\v" PROP_TP_SPEC);
	PROP_REJECT_TP("00- 4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

/* ---- b3 single header -------------------------------------------------- */

Test(propagation, b3_128bit_trace_id)
{
	PROP_ACCEPT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN, prop_b3_trace, prop_b3_span, 2);
	PROP_ACCEPT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-1", prop_b3_trace,
		       prop_b3_span, 1);
	PROP_ACCEPT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-0", prop_b3_trace,
		       prop_b3_span, 0);
	PROP_ACCEPT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-1-" PROP_B3_PARENT,
		       prop_b3_trace, prop_b3_span, 1);
	PROP_ACCEPT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-0-" PROP_B3_PARENT,
		       prop_b3_trace, prop_b3_span, 0);
}

Test(propagation, b3_64bit_trace_id_is_left_padded)
{
	PROP_ACCEPT_B3(PROP_B3_TRACE64 "-" PROP_B3_SPAN, prop_b3_trace64,
		       prop_b3_span, 2);
	PROP_ACCEPT_B3(PROP_B3_TRACE64 "-" PROP_B3_SPAN "-1", prop_b3_trace64,
		       prop_b3_span, 1);
	PROP_ACCEPT_B3(PROP_B3_TRACE64 "-" PROP_B3_SPAN "-d-" PROP_B3_PARENT,
		       prop_b3_trace64, prop_b3_span, 1);
}

Test(propagation, b3_debug_counts_as_sampled)
{
	PROP_ACCEPT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-d", prop_b3_trace,
		       prop_b3_span, 1);
	PROP_ACCEPT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-d-" PROP_B3_PARENT,
		       prop_b3_trace, prop_b3_span, 1);
}

Test(propagation, b3_uppercase_hex_accepted)
{
	PROP_ACCEPT_B3("80F198EE56343BA864FE8B2A57D3EFF7-E457B5A2E4D86BD1-1",
		       prop_b3_trace, prop_b3_span, 1);
	PROP_ACCEPT_B3("80f198EE56343ba864FE8b2a57d3EFF7-e457B5A2e4d86BD1-0-05E3AC9A4F6E3B90",
		       prop_b3_trace, prop_b3_span, 0);
	PROP_ACCEPT_B3("64FE8B2A57D3EFF7-E457B5A2E4D86BD1", prop_b3_trace64,
		       prop_b3_span, 2);
}

Test(propagation, b3_sampling_only_carries_no_context)
{
	PROP_REJECT_B3("0");
	PROP_REJECT_B3("1");
	PROP_REJECT_B3("d");
	PROP_REJECT_B3(" 1 ");
}

Test(propagation, b3_rejects_bad_lengths)
{
	/* Trace ids of 15, 17, 31, 33 and 0 digits. */
	PROP_REJECT_B3("4fe8b2a57d3eff7-" PROP_B3_SPAN);
	PROP_REJECT_B3("064fe8b2a57d3eff7-" PROP_B3_SPAN);
	PROP_REJECT_B3("0f198ee56343ba864fe8b2a57d3eff7-" PROP_B3_SPAN);
	PROP_REJECT_B3("080f198ee56343ba864fe8b2a57d3eff7-" PROP_B3_SPAN);
	PROP_REJECT_B3("-" PROP_B3_SPAN);
	/* Span ids of 15, 17 and 0 digits. */
	PROP_REJECT_B3(PROP_B3_TRACE "-457b5a2e4d86bd1");
	PROP_REJECT_B3(PROP_B3_TRACE "-e457b5a2e4d86bd11");
	PROP_REJECT_B3(PROP_B3_TRACE "-");
	PROP_REJECT_B3(PROP_B3_TRACE);
	PROP_REJECT_B3(PROP_B3_TRACE64);
	/* Sampling of 0 or 2 characters, parent of 15 or 17. */
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-");
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-01");
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "--" PROP_B3_PARENT);
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-1-5e3ac9a4f6e3b90");
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-1-05e3ac9a4f6e3b900");
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-1-");
	/* A fifth field, or a parent without sampling. */
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-1-" PROP_B3_PARENT "-1");
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-" PROP_B3_PARENT);
}

Test(propagation, b3_rejects_all_zero_ids)
{
	PROP_REJECT_B3(PROP_ZERO32 "-" PROP_B3_SPAN);
	PROP_REJECT_B3(PROP_ZERO16 "-" PROP_B3_SPAN "-1");
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_ZERO16 "-1");
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-1-" PROP_ZERO16);
}

Test(propagation, b3_rejects_garbage)
{
	PROP_REJECT_B3("");
	PROP_REJECT_B3("   ");
	PROP_REJECT_B3("-");
	PROP_REJECT_B3("---");
	PROP_REJECT_B3("x");
	PROP_REJECT_B3("true");
	PROP_REJECT_B3(PROP_TP_SPEC);
	PROP_REJECT_B3("80f198ee56343ba864fe8b2a57d3eff g-" PROP_B3_SPAN);
	PROP_REJECT_B3("80f198ee56343ba864fe8b2a57d3effg-" PROP_B3_SPAN);
	PROP_REJECT_B3(PROP_B3_TRACE "-e457b5a2e4d86bdz");
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-D");
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-x");
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-2");
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-true");
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "-1-05e3ac9a4f6e3b9x");
	PROP_REJECT_B3(PROP_B3_TRACE "_" PROP_B3_SPAN);
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN ",1");
	prop_expect_reject_n(propagation_parse_b3, "b3",
			     PROP_B3_TRACE "-" PROP_B3_SPAN "\0", 50);
	prop_expect_reject_n(propagation_parse_b3, "b3",
			     PROP_B3_TRACE "-" PROP_B3_SPAN "-\0", 51);
	prop_expect_reject_n(propagation_parse_b3, "b3",
			     PROP_B3_TRACE "\0" PROP_B3_SPAN, 49);
}

Test(propagation, b3_ows_trimmed)
{
	PROP_ACCEPT_B3(" \t" PROP_B3_TRACE "-" PROP_B3_SPAN "-1 \t", prop_b3_trace,
		       prop_b3_span, 1);
	PROP_REJECT_B3(PROP_B3_TRACE "- " PROP_B3_SPAN);
	PROP_REJECT_B3(PROP_B3_TRACE "-" PROP_B3_SPAN "\r\n");
}

/* ---- b3 multi-header --------------------------------------------------- */

Test(propagation, b3_multi_valid)
{
	prop_expect_multi(PROP_B3_TRACE, PROP_B3_SPAN, "1", NULL, prop_b3_trace,
			  prop_b3_span, 1);
	prop_expect_multi(PROP_B3_TRACE, PROP_B3_SPAN, NULL, NULL, prop_b3_trace,
			  prop_b3_span, 2);
	prop_expect_multi(PROP_B3_TRACE, PROP_B3_SPAN, "", "", prop_b3_trace,
			  prop_b3_span, 2);
	prop_expect_multi(" " PROP_B3_TRACE "\t", "\t" PROP_B3_SPAN " ", " 0 ",
			  NULL, prop_b3_trace, prop_b3_span, 0);
	prop_expect_multi("80F198EE56343BA864FE8B2A57D3EFF7", "E457B5A2E4D86BD1",
			  NULL, NULL, prop_b3_trace, prop_b3_span, 2);
}

Test(propagation, b3_multi_missing_span_id)
{
	prop_expect_multi_reject(PROP_B3_TRACE, NULL, "1", NULL);
	prop_expect_multi_reject(PROP_B3_TRACE, "", "1", NULL);
	prop_expect_multi_reject(PROP_B3_TRACE, "  ", NULL, NULL);
	prop_expect_multi_reject(NULL, PROP_B3_SPAN, "1", NULL);
	prop_expect_multi_reject("", PROP_B3_SPAN, "1", NULL);
}

Test(propagation, b3_multi_64bit_trace_id)
{
	prop_expect_multi(PROP_B3_TRACE64, PROP_B3_SPAN, "1", NULL, prop_b3_trace64,
			  prop_b3_span, 1);
}

Test(propagation, b3_multi_sampled_spellings)
{
	prop_expect_multi(PROP_B3_TRACE, PROP_B3_SPAN, "true", NULL, prop_b3_trace,
			  prop_b3_span, 1);
	prop_expect_multi(PROP_B3_TRACE, PROP_B3_SPAN, "false", NULL,
			  prop_b3_trace, prop_b3_span, 0);
	prop_expect_multi(PROP_B3_TRACE, PROP_B3_SPAN, "0", NULL, prop_b3_trace,
			  prop_b3_span, 0);
	prop_expect_multi(PROP_B3_TRACE, PROP_B3_SPAN, "1", NULL, prop_b3_trace,
			  prop_b3_span, 1);
	prop_expect_multi_reject(PROP_B3_TRACE, PROP_B3_SPAN, "2", NULL);
	prop_expect_multi_reject(PROP_B3_TRACE, PROP_B3_SPAN, "d", NULL);
	prop_expect_multi_reject(PROP_B3_TRACE, PROP_B3_SPAN, "TRUE", NULL);
	prop_expect_multi_reject(PROP_B3_TRACE, PROP_B3_SPAN, "yes", NULL);
	prop_expect_multi_reject(PROP_B3_TRACE, PROP_B3_SPAN, "01", NULL);
	prop_expect_multi_reject(PROP_B3_TRACE, PROP_B3_SPAN, "truex", NULL);
}

Test(propagation, b3_multi_flags_debug)
{
	prop_expect_multi(PROP_B3_TRACE, PROP_B3_SPAN, NULL, "1", prop_b3_trace,
			  prop_b3_span, 1);
	/* Debug implies accept, whatever X-B3-Sampled says. */
	prop_expect_multi(PROP_B3_TRACE, PROP_B3_SPAN, "0", "1", prop_b3_trace,
			  prop_b3_span, 1);
	prop_expect_multi_reject(PROP_B3_TRACE, PROP_B3_SPAN, NULL, "0");
	prop_expect_multi_reject(PROP_B3_TRACE, PROP_B3_SPAN, NULL, "2");
	prop_expect_multi_reject(PROP_B3_TRACE, PROP_B3_SPAN, NULL, "true");
	prop_expect_multi_reject(PROP_B3_TRACE, PROP_B3_SPAN, "x", "1");
}

Test(propagation, b3_multi_rejects_bad_ids)
{
	prop_expect_multi_reject(PROP_ZERO32, PROP_B3_SPAN, NULL, NULL);
	prop_expect_multi_reject(PROP_ZERO16, PROP_B3_SPAN, NULL, NULL);
	prop_expect_multi_reject(PROP_B3_TRACE, PROP_ZERO16, NULL, NULL);
	prop_expect_multi_reject("4fe8b2a57d3eff7", PROP_B3_SPAN, NULL, NULL);
	prop_expect_multi_reject(PROP_B3_TRACE "0", PROP_B3_SPAN, NULL, NULL);
	prop_expect_multi_reject(PROP_B3_TRACE, PROP_B3_SPAN "0", NULL, NULL);
	prop_expect_multi_reject(PROP_B3_TRACE, PROP_B3_TRACE, NULL, NULL);
	prop_expect_multi_reject(PROP_B3_TRACE, "e457b5a2e4d86bdg", NULL, NULL);
	prop_expect_multi_reject(PROP_B3_TRACE "-" PROP_B3_SPAN, PROP_B3_SPAN, NULL,
				 NULL);
}

/* ---- traceparent writer ------------------------------------------------ */

Test(propagation, format_exact_string)
{
	char out[80];

	memset(out, PROP_POISON, sizeof(out));
	propagation_format_traceparent(out, prop_spec_trace, prop_spec_span, 1);
	cr_expect_str_eq(out, PROP_TP_SPEC);
	cr_expect_eq((unsigned char)out[56], PROP_POISON, "wrote past 56 bytes");
}

Test(propagation, format_not_sampled)
{
	char out[56];

	propagation_format_traceparent(out, prop_spec_trace, prop_spec_span, 0);
	cr_expect_str_eq(out, "00-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-00");
	/* Undecided (2) is not a decision to sample. */
	propagation_format_traceparent(out, prop_spec_trace, prop_spec_span, 2);
	cr_expect_str_eq(out, "00-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-00");
}

Test(propagation, format_round_trips)
{
	static const uint8_t t[16] = { 0xff, 0, 0x10, 0x0f, 1, 2, 3, 4,
				       5, 6, 7, 8, 9, 0xa, 0xb, 0xc };
	static const uint8_t s[8] = { 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1 };
	struct trace_context tc;
	char out[56];

	propagation_format_traceparent(out, t, s, 1);
	cr_expect_str_eq(out, "00-ff00100f0102030405060708090a0b0c-deadbeef00000001-01");
	cr_assert_eq(propagation_parse_traceparent(out, strlen(out), &tc), 0);
	cr_expect_arr_eq(tc.trace_id, t, 16);
	cr_expect_arr_eq(tc.span_id, s, 8);
	cr_expect_eq(tc.sampled, 1);
}

/* ---- hostile input ----------------------------------------------------- */

#define PROP_BIG (64 * 1024)

Test(propagation, hostile_64k_of_dashes)
{
	static const char fill[] = { '-', '0', 'f', ' ' };
	char *big = malloc(PROP_BIG);
	struct trace_context tc;
	size_t i;

	cr_assert(big);
	for (i = 0; i < sizeof(fill); i++) {
		memset(big, fill[i], PROP_BIG);
		prop_expect_reject_n(propagation_parse_traceparent, "traceparent",
				     big, PROP_BIG);
		prop_expect_reject_n(propagation_parse_b3, "b3", big, PROP_BIG);
		cr_expect_eq(prop_run_multi(big, PROP_BIG, big, PROP_BIG, big,
					    PROP_BIG, big, PROP_BIG, &tc),
			     -1);
		cr_expect(prop_untouched(&tc));
	}
	/* A valid value then 64 KB of dashes: a future version takes it. */
	memset(big, '-', PROP_BIG);
	memcpy(big, "cc-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-01", 55);
	prop_expect_ctx_n(propagation_parse_traceparent, "traceparent", big,
			  PROP_BIG, prop_spec_trace, prop_spec_span, 1);
	memcpy(big, PROP_TP_SPEC, 55);
	prop_expect_reject_n(propagation_parse_traceparent, "traceparent", big,
			     PROP_BIG);
	free(big);
}

/*
 * Reference validators, written apart from the parser: POSIX regexes over a
 * NUL-terminated copy, ids read back with sscanf. A NUL in a copied field
 * shortens it, so it fails the anchored pattern as it should.
 */
static void prop_ref_trim(const char **s, size_t *n)
{
	while (*n && strchr(" \t", (*s)[0]) && (*s)[0])
		(*s)++, (*n)--;
	while (*n && strchr(" \t", (*s)[*n - 1]) && (*s)[*n - 1])
		(*n)--;
}

/* Each pattern compiled once per test process: regcomp would dominate. */
static const regex_t *prop_ref_regex(const char *pattern)
{
	static struct {
		const char *pattern;
		regex_t re;
	} cache[16];
	static size_t used;
	size_t i;

	for (i = 0; i < used; i++)
		if (!strcmp(cache[i].pattern, pattern))
			return &cache[i].re;
	cr_assert_lt(used, sizeof(cache) / sizeof(cache[0]));
	cr_assert_eq(regcomp(&cache[used].re, pattern, REG_EXTENDED), 0, "%s",
		     pattern);
	cache[used].pattern = pattern;
	return &cache[used++].re;
}

static int prop_ref_match(const char *pattern, const char *s, size_t n,
			  regmatch_t *m, size_t nm)
{
	char *z = malloc(n + 1);
	int rc;

	cr_assert(z);
	memcpy(z, s, n);
	z[n] = '\0';
	rc = regexec(prop_ref_regex(pattern), z, nm, m, 0) == 0 && strlen(z) == n;
	free(z);
	return rc;
}

/* Reads 2 * len hex digits starting at s into dst. */
static void prop_ref_unhex(const char *s, uint8_t *dst, size_t len)
{
	unsigned int b;
	size_t i;
	char two[3] = { 0 };

	for (i = 0; i < len; i++) {
		memcpy(two, s + 2 * i, 2);
		cr_assert_eq(sscanf(two, "%2x", &b), 1);
		dst[i] = (uint8_t)b;
	}
}

static int prop_ref_zero(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] == '0'; i++)
		;
	return i == n;
}

#define PROP_LC "[0123456789abcdef]"
#define PROP_AC "[0123456789abcdefABCDEF]"

static int prop_ref_traceparent(const char *s, size_t n, struct trace_context *want)
{
	regmatch_t m[5];
	char head[56];

	prop_ref_trim(&s, &n);
	if (n < 55)
		return -1;
	memcpy(head, s, 55);
	head[55] = '\0';
	if (!prop_ref_match("^(" PROP_LC "{2})-(" PROP_LC "{32})-(" PROP_LC
			    "{16})-(" PROP_LC "{2})$",
			    head, 55, m, 5))
		return -1;
	if (!strncmp(head, "ff", 2) || prop_ref_zero(head + 3, 32) ||
	    prop_ref_zero(head + 36, 16))
		return -1;
	if (n > 55 && (!strncmp(head, "00", 2) || s[55] != '-'))
		return -1;
	prop_ref_unhex(head + 3, want->trace_id, 16);
	prop_ref_unhex(head + 36, want->span_id, 8);
	want->sampled = (uint8_t)(strchr("13579bdf", head[54]) != NULL);
	return 0;
}

static int prop_ref_b3(const char *s, size_t n, struct trace_context *want)
{
	regmatch_t m[7];
	size_t tl;

	prop_ref_trim(&s, &n);
	if (!prop_ref_match("^(" PROP_AC "{32}|" PROP_AC "{16})-(" PROP_AC
			    "{16})(-([01d])(-(" PROP_AC "{16}))?)?$",
			    s, n, m, 7))
		return -1;
	tl = (size_t)(m[1].rm_eo - m[1].rm_so);
	if (prop_ref_zero(s, tl) || prop_ref_zero(s + m[2].rm_so, 16))
		return -1;
	if (m[6].rm_so >= 0 && prop_ref_zero(s + m[6].rm_so, 16))
		return -1;
	memset(want->trace_id, 0, 16);
	prop_ref_unhex(s, want->trace_id + (32 - tl) / 2, tl / 2);
	prop_ref_unhex(s + m[2].rm_so, want->span_id, 8);
	want->sampled = m[4].rm_so < 0 ? 2 : s[m[4].rm_so] != '0';
	return 0;
}

static int prop_ref_multi(const char *t, size_t tn, const char *s, size_t sn,
			  const char *smp, size_t smpn, const char *f, size_t fn,
			  struct trace_context *want)
{
	regmatch_t m[2];

	if (!t || !s)
		return -1;
	prop_ref_trim(&t, &tn);
	prop_ref_trim(&s, &sn);
	if (!prop_ref_match("^(" PROP_AC "{32}|" PROP_AC "{16})$", t, tn, m, 2) ||
	    !prop_ref_match("^" PROP_AC "{16}$", s, sn, m, 1) ||
	    prop_ref_zero(t, tn) || prop_ref_zero(s, sn))
		return -1;
	memset(want->trace_id, 0, 16);
	prop_ref_unhex(t, want->trace_id + (32 - tn) / 2, tn / 2);
	prop_ref_unhex(s, want->span_id, 8);
	want->sampled = 2;
	if (smp) {
		prop_ref_trim(&smp, &smpn);
		if (prop_ref_match("^(1|true)$", smp, smpn, m, 1))
			want->sampled = 1;
		else if (prop_ref_match("^(0|false)$", smp, smpn, m, 1))
			want->sampled = 0;
		else if (smpn)
			return -1;
	}
	if (f) {
		prop_ref_trim(&f, &fn);
		if (prop_ref_match("^1$", f, fn, m, 1))
			want->sampled = 1;
		else if (fn)
			return -1;
	}
	return 0;
}

/* xorshift64*: a fixed seed makes every run see the same inputs. */
static uint64_t prop_rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t prop_rand(void)
{
	prop_rng_state ^= prop_rng_state >> 12;
	prop_rng_state ^= prop_rng_state << 25;
	prop_rng_state ^= prop_rng_state >> 27;
	return (uint32_t)((prop_rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

/* Bytes that sit on the parsers' edges. */
static const char prop_tricky[] = "0123456789abcdefABCDEFgG-- \t\r\0" "xd1";

static const char *const prop_templates[] = {
	PROP_TP_SPEC,
	"cc-" PROP_TP_TRACE_HEX "-" PROP_TP_SPAN_HEX "-00-future",
	PROP_B3_TRACE "-" PROP_B3_SPAN "-1-" PROP_B3_PARENT,
	PROP_B3_TRACE64 "-" PROP_B3_SPAN "-d",
	PROP_B3_TRACE "-" PROP_B3_SPAN,
	"\t " PROP_TP_SPEC " ",
};

#define PROP_N_TEMPLATES (sizeof(prop_templates) / sizeof(prop_templates[0]))

/* Fills buf[0..len): uniform bytes, tricky bytes, or a mutated template. */
static void prop_fill(char *buf, size_t len, unsigned mode)
{
	const char *t;
	size_t i, tl, k;

	for (i = 0; i < len; i++)
		buf[i] = mode == 0 ? (char)prop_rand()
				   : prop_tricky[prop_rand() % (sizeof(prop_tricky) - 1)];
	if (mode < 2)
		return;
	t = prop_templates[prop_rand() % PROP_N_TEMPLATES];
	tl = strlen(t);
	memcpy(buf, t, tl < len ? tl : len);
	/* Beyond the template: mostly dashes and blanks, then 0-2 flips. */
	for (i = tl; i < len; i++)
		if (prop_rand() % 2)
			buf[i] = "- \t"[prop_rand() % 3];
	for (k = prop_rand() % 3; k > 0 && len; k--)
		buf[prop_rand() % len] =
			prop_tricky[prop_rand() % (sizeof(prop_tricky) - 1)];
}

static void prop_check_one(prop_parse_fn fn, const char *name,
			   int (*ref)(const char *, size_t, struct trace_context *),
			   const char *buf, size_t len, unsigned *accepted)
{
	struct trace_context got, want;
	int rc = prop_run(fn, buf, len, &got);
	int wrc = ref(buf, len, &want);

	cr_assert_eq(rc, wrc, "%s: rc %d, reference %d for \"%.*s\" (%zu)", name,
		     rc, wrc, (int)len, buf, len);
	if (rc) {
		cr_assert(prop_untouched(&got), "%s wrote out on reject", name);
		return;
	}
	cr_assert_arr_eq(got.trace_id, want.trace_id, 16, "%s: \"%.*s\"", name,
			 (int)len, buf);
	cr_assert_arr_eq(got.span_id, want.span_id, 8, "%s: \"%.*s\"", name,
			 (int)len, buf);
	cr_assert_eq(got.sampled, want.sampled, "%s: \"%.*s\"", name, (int)len, buf);
	(*accepted)++;
}

#define PROP_PER_MODE 400

Test(propagation, hostile_every_length_matches_reference)
{
	unsigned tp_ok = 0, b3_ok = 0, multi_ok = 0, total = 0;
	struct trace_context got, want;
	char buf[80];
	size_t len, cut[3], a, b;
	unsigned mode, i;
	int rc, wrc;

	for (len = 0; len <= 80; len++) {
		for (mode = 0; mode < 3; mode++) {
			for (i = 0; i < PROP_PER_MODE; i++, total++) {
				prop_fill(buf, len, mode);
				prop_check_one(propagation_parse_traceparent,
					       "traceparent", prop_ref_traceparent,
					       buf, len, &tp_ok);
				prop_check_one(propagation_parse_b3, "b3",
					       prop_ref_b3, buf, len, &b3_ok);

				/* The same bytes cut into four header values;
				 * a cut at len makes the last fields empty. */
				a = len ? prop_rand() % (len + 1) : 0;
				b = len ? prop_rand() % (len + 1) : 0;
				cut[0] = a < b ? a : b;
				cut[1] = a < b ? b : a;
				cut[2] = cut[1] + (len - cut[1]) / 2;
				rc = prop_run_multi(buf, cut[0], buf + cut[0],
						    cut[1] - cut[0], buf + cut[1],
						    cut[2] - cut[1],
						    i % 2 ? buf + cut[2] : NULL,
						    len - cut[2], &got);
				wrc = prop_ref_multi(buf, cut[0], buf + cut[0],
						     cut[1] - cut[0], buf + cut[1],
						     cut[2] - cut[1],
						     i % 2 ? buf + cut[2] : NULL,
						     len - cut[2], &want);
				cr_assert_eq(rc, wrc, "multi: rc %d, reference %d", rc,
					     wrc);
				if (rc == 0) {
					cr_assert_arr_eq(got.trace_id, want.trace_id, 16);
					cr_assert_arr_eq(got.span_id, want.span_id, 8);
					cr_assert_eq(got.sampled, want.sampled);
					multi_ok++;
				} else {
					cr_assert(prop_untouched(&got));
				}
			}
		}
	}
	/* The mutated templates must reach the accepting paths too. */
	cr_log_info("hostile: %u inputs, accepted traceparent %u, b3 %u, multi %u",
		    total, tp_ok, b3_ok, multi_ok);
	cr_expect_gt(tp_ok, 100);
	cr_expect_gt(b3_ok, 100);
}

Test(propagation, hostile_multi_fields_match_reference)
{
	/* Per header: mostly its own valid spellings, some of the others'. */
	static const char *const fields[4][8] = {
		{ PROP_B3_TRACE, PROP_B3_TRACE64, " " PROP_B3_TRACE "\t",
		  "80F198EE56343BA864FE8B2A57D3EFF7", PROP_ZERO32, PROP_B3_SPAN, "",
		  "1" },
		{ PROP_B3_SPAN, "E457B5A2E4D86BD1", "\t" PROP_B3_SPAN, PROP_B3_SPAN,
		  PROP_ZERO16, PROP_B3_TRACE64, "", PROP_B3_TRACE },
		{ "1", "0", "true", "false", "", " 1\t", "TRUE", "d" },
		{ "1", "", "1", " ", "0", "d", "true", PROP_B3_SPAN },
	};
	struct trace_context got, want;
	unsigned ok = 0, i, k;
	const char *f[4];
	size_t fl[4];
	char bufs[4][40];
	int rc, wrc;

	for (i = 0; i < 20000; i++) {
		for (k = 0; k < 4; k++) {
			f[k] = fields[k][prop_rand() % 8];
			fl[k] = strlen(f[k]);
			memcpy(bufs[k], f[k], fl[k]);
			/* One flip in one field now and then. */
			if (fl[k] && prop_rand() % 8 == 0)
				bufs[k][prop_rand() % fl[k]] =
					prop_tricky[prop_rand() % (sizeof(prop_tricky) - 1)];
			f[k] = prop_rand() % 6 == 0 && k >= 2 ? NULL : bufs[k];
		}
		rc = prop_run_multi(f[0], fl[0], f[1], fl[1], f[2], fl[2], f[3],
				    fl[3], &got);
		wrc = prop_ref_multi(f[0], fl[0], f[1], fl[1], f[2], fl[2], f[3],
				     fl[3], &want);
		cr_assert_eq(rc, wrc, "multi: rc %d, reference %d (%.*s|%.*s)", rc, wrc,
			     (int)fl[0], bufs[0], (int)fl[1], bufs[1]);
		if (rc == 0) {
			cr_assert_arr_eq(got.trace_id, want.trace_id, 16);
			cr_assert_arr_eq(got.span_id, want.span_id, 8);
			cr_assert_eq(got.sampled, want.sampled);
			ok++;
		}
	}
	cr_log_info("hostile multi: 20000 inputs, accepted %u", ok);
	cr_expect_gt(ok, 500);
}
