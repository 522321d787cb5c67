// SPDX-License-Identifier: MIT
/*
 * Fuzzes user/trace_hold.c with a sequence of finished spans and clock
 * turns read from the input: each byte a span of one of 8 traces (head,
 * error, slow bits) or a turn of the clock. Checks: every span comes out
 * exactly once by the end (after the drain), never more spans wait than
 * the pool holds, and a span comes out exported only with an error or slow
 * reason, dropped only with its own (all were sampled out by the ratio).
 */
#include <stdint.h>
#include <string.h>

#include "sampler.h"
#include "trace_hold.h"
#include "fuzz_check.h"

#define FZ_MAX_SPANS 8
#define FZ_MAX_IN 4096

static uint8_t fz_seen[FZ_MAX_IN];

static void fz_out(void *ctx, const struct span *s, int exported, uint8_t reason)
{
	uint32_t n;

	(void)ctx;
	memcpy(&n, s->span_id, sizeof(n));
	CHECK(n < FZ_MAX_IN && !fz_seen[n]);
	fz_seen[n] = 1;
	if (exported)
		CHECK(reason == SAMPLE_ERROR || reason == SAMPLE_SLOW);
	else
		CHECK(reason == SAMPLE_RATIO);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_hold_config cfg = { .max_spans = FZ_MAX_SPANS, .timeout_ns = 50,
					 .keep_errors = 1, .keep_slow_ns = 100 };
	struct trace_hold *h;
	struct trace_hold_stats st;
	static struct span s;
	uint64_t now = 1;
	uint32_t n = 0;

	if (size > FZ_MAX_IN)
		return 0;
	memset(fz_seen, 0, sizeof(fz_seen));
	h = trace_hold_new(&cfg, fz_out, NULL);
	CHECK(h);
	for (size_t i = 0; i < size; i++) {
		uint8_t b = data[i];

		if ((b & 0xf0) == 0xf0) {
			now += b & 0x0f;
			trace_hold_expire(h, now);
			continue;
		}
		memset(&s, 0, offsetof(struct span, attrs));
		s.trace_id[0] = b & 7;
		memcpy(s.span_id, &n, sizeof(n));
		s.sample_head = (b >> 3) & 1;
		s.status = (b >> 4) & 1 ? SPAN_STATUS_ERROR : SPAN_STATUS_UNSET;
		s.start_unix_ns = 1000;
		s.end_unix_ns = 1000 + ((b >> 5) & 1 ? 100 : 99);
		s.sample_reason = SAMPLE_RATIO;
		trace_hold_span(h, &s, now);
		n++;
		trace_hold_get_stats(h, &st);
		CHECK(st.spans_now <= FZ_MAX_SPANS);
	}
	trace_hold_drain(h);
	trace_hold_get_stats(h, &st);
	CHECK(st.spans_now == 0);
	for (uint32_t k = 0; k < n; k++)
		CHECK(fz_seen[k]);
	trace_hold_free(h);
	return 0;
}
