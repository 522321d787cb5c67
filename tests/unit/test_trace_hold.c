// SPDX-License-Identifier: MIT
/*
 * user/trace_hold.c: the spans of a sampled-out trace wait until an error
 * or slow span keeps the trace (then all of it goes out, in order) or its
 * head ends (then all of it is dropped); timeouts, a full pool, a process
 * slot reused while a span waited, and the stop's drain. Every case pins
 * which spans went where, in which order, with which reason.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "process.h"
#include "sample_gate.h"
#include "sampler.h"
#include "trace_hold.h"

#define TH_OUT_MAX 64

struct th_out {
	uint8_t id[TH_OUT_MAX];       /* span_id[0] of each span given out */
	uint8_t exported[TH_OUT_MAX];
	uint8_t reason[TH_OUT_MAX];
	const struct procinfo *process[TH_OUT_MAX];
	uint32_t n;
};

static void th_record(void *ctx, const struct span *s, int exported, uint8_t reason)
{
	struct th_out *o = ctx;

	cr_assert_lt(o->n, TH_OUT_MAX);
	o->id[o->n] = s->span_id[0];
	o->exported[o->n] = (uint8_t)exported;
	o->reason[o->n] = reason;
	o->process[o->n] = s->process;
	o->n++;
}

static struct span th_span;

/* A span of trace `trace` (its id's first byte), span id `id`, sampled out
 * by the ratio; head: it decided; err: an error; dur: ns it lasted. */
static const struct span *sp(uint8_t trace, uint8_t id, int head, int err, uint64_t dur)
{
	memset(&th_span, 0, sizeof(th_span));
	th_span.trace_id[0] = trace;
	th_span.span_id[0] = id;
	th_span.sample_reason = SAMPLE_RATIO;
	th_span.sample_head = (uint8_t)head;
	th_span.status = err ? SPAN_STATUS_ERROR : SPAN_STATUS_UNSET;
	th_span.start_unix_ns = 1000;
	th_span.end_unix_ns = 1000 + dur;
	return &th_span;
}

static struct trace_hold *th_new(struct th_out *o, uint32_t max, uint64_t slow_ns)
{
	struct trace_hold_config c = { .max_spans = max, .timeout_ns = 100, .keep_errors = 1,
				       .keep_slow_ns = slow_ns };
	struct trace_hold *h;

	memset(o, 0, sizeof(*o));
	h = trace_hold_new(&c, th_record, o);
	cr_assert_not_null(h);
	return h;
}

static struct trace_hold_stats th_stats(const struct trace_hold *h)
{
	struct trace_hold_stats st;

	trace_hold_get_stats(h, &st);
	return st;
}

static void th_expect(const struct th_out *o, uint32_t n, const uint8_t *ids,
		      const uint8_t *exported, const uint8_t *reasons)
{
	cr_assert_eq(o->n, n, "%u spans given out, want %u", o->n, n);
	for (uint32_t i = 0; i < n; i++) {
		cr_expect_eq(o->id[i], ids[i], "out[%u]: span %u, want %u", i, o->id[i], ids[i]);
		cr_expect_eq(o->exported[i], exported[i], "out[%u] (span %u) exported", i, o->id[i]);
		cr_expect_eq(o->reason[i], reasons[i], "out[%u] (span %u) reason", i, o->id[i]);
	}
}

/* Nothing interesting: held until the head ends, then all dropped. */
Test(trace_hold, dropped_with_its_head)
{
	struct th_out o;
	struct trace_hold *h = th_new(&o, 16, 0);

	trace_hold_span(h, sp(1, 1, 0, 0, 10), 5);
	trace_hold_span(h, sp(1, 2, 0, 0, 10), 6);
	cr_expect_eq(o.n, 0, "held, not given out");
	cr_expect_eq(th_stats(h).spans_now, 2);
	trace_hold_span(h, sp(1, 3, 1, 0, 10), 7);
	th_expect(&o, 3, (uint8_t[]){ 1, 2, 3 }, (uint8_t[]){ 0, 0, 0 },
		  (uint8_t[]){ SAMPLE_RATIO, SAMPLE_RATIO, SAMPLE_RATIO });
	cr_expect_eq(th_stats(h).spans_now, 0);
	cr_expect_eq(th_stats(h).held, 2);
	cr_expect_eq(th_stats(h).traces_kept, 0);
	trace_hold_free(h);
}

/* An error: what waited goes out first, in order, then the rest as it ends. */
Test(trace_hold, an_error_keeps_the_whole_trace)
{
	struct th_out o;
	struct trace_hold *h = th_new(&o, 16, 0);

	trace_hold_span(h, sp(1, 1, 0, 0, 10), 5);
	trace_hold_span(h, sp(2, 9, 0, 0, 10), 5); /* another trace, left alone */
	trace_hold_span(h, sp(1, 2, 0, 1, 10), 6);
	trace_hold_span(h, sp(1, 3, 0, 0, 10), 7);
	trace_hold_span(h, sp(1, 4, 1, 0, 10), 8);
	th_expect(&o, 4, (uint8_t[]){ 1, 2, 3, 4 }, (uint8_t[]){ 1, 1, 1, 1 },
		  (uint8_t[]){ SAMPLE_ERROR, SAMPLE_ERROR, SAMPLE_ERROR, SAMPLE_ERROR });
	cr_expect_eq(th_stats(h).traces_kept, 1);
	cr_expect_eq(th_stats(h).spans_now, 1, "trace 2's span still waits");
	/* trace 1 is over: a late span of it starts afresh, held */
	trace_hold_span(h, sp(1, 5, 0, 0, 10), 9);
	cr_expect_eq(o.n, 4);
	trace_hold_drain(h);
	cr_expect_eq(o.n, 6);
	cr_expect_eq(o.exported[4] + o.exported[5], 0, "the drain drops");
	trace_hold_free(h);
}

Test(trace_hold, a_slow_span_keeps_its_trace)
{
	struct th_out o;
	struct trace_hold *h = th_new(&o, 16, 1000);

	trace_hold_span(h, sp(1, 1, 0, 0, 999), 5);
	trace_hold_span(h, sp(1, 2, 1, 0, 1000), 6);
	th_expect(&o, 2, (uint8_t[]){ 1, 2 }, (uint8_t[]){ 1, 1 },
		  (uint8_t[]){ SAMPLE_SLOW, SAMPLE_SLOW });
	trace_hold_free(h);
	/* no slow limit: the same trace is dropped */
	h = th_new(&o, 16, 0);
	trace_hold_span(h, sp(1, 1, 0, 0, 999), 5);
	trace_hold_span(h, sp(1, 2, 1, 0, 1000000), 6);
	th_expect(&o, 2, (uint8_t[]){ 1, 2 }, (uint8_t[]){ 0, 0 },
		  (uint8_t[]){ SAMPLE_RATIO, SAMPLE_RATIO });
	trace_hold_free(h);
}

/* A trace of one span here never waits. */
Test(trace_hold, a_lone_head_is_decided_at_once)
{
	struct th_out o;
	struct trace_hold *h = th_new(&o, 16, 0);

	trace_hold_span(h, sp(1, 1, 1, 0, 10), 5);
	trace_hold_span(h, sp(2, 2, 1, 1, 10), 5);
	th_expect(&o, 2, (uint8_t[]){ 1, 2 }, (uint8_t[]){ 0, 1 },
		  (uint8_t[]){ SAMPLE_RATIO, SAMPLE_ERROR });
	cr_expect_eq(th_stats(h).held, 0);
	trace_hold_free(h);
}

/* A trace whose head never ends here is dropped at the timeout (100 ns
 * here), the oldest first; a younger one waits on. */
Test(trace_hold, timeout_drops_the_oldest)
{
	struct th_out o;
	struct trace_hold *h = th_new(&o, 16, 0);

	trace_hold_span(h, sp(1, 1, 0, 0, 10), 1000);
	trace_hold_span(h, sp(2, 2, 0, 0, 10), 1050);
	trace_hold_span(h, sp(1, 3, 0, 0, 10), 1060);
	trace_hold_expire(h, 1099);
	cr_expect_eq(o.n, 0);
	trace_hold_expire(h, 1100);
	th_expect(&o, 2, (uint8_t[]){ 1, 3 }, (uint8_t[]){ 0, 0 },
		  (uint8_t[]){ SAMPLE_RATIO, SAMPLE_RATIO });
	cr_expect_eq(th_stats(h).expired, 1);
	trace_hold_expire(h, 1150);
	cr_expect_eq(o.n, 3);
	cr_expect_eq(o.id[2], 2);
	cr_expect_eq(th_stats(h).expired, 2);
	trace_hold_free(h);
}

/* Four spans at most: the oldest trace is given up for a new span. */
Test(trace_hold, full_pool_gives_up_the_oldest_trace)
{
	struct th_out o;
	struct trace_hold *h = th_new(&o, 4, 0);

	trace_hold_span(h, sp(1, 1, 0, 0, 10), 1);
	trace_hold_span(h, sp(1, 2, 0, 0, 10), 2);
	trace_hold_span(h, sp(1, 3, 0, 0, 10), 3);
	trace_hold_span(h, sp(2, 4, 0, 0, 10), 4);
	cr_expect_eq(o.n, 0);
	trace_hold_span(h, sp(2, 5, 0, 0, 10), 5);
	th_expect(&o, 3, (uint8_t[]){ 1, 2, 3 }, (uint8_t[]){ 0, 0, 0 },
		  (uint8_t[]){ SAMPLE_RATIO, SAMPLE_RATIO, SAMPLE_RATIO });
	cr_expect_eq(th_stats(h).full_drops, 1);
	cr_expect_eq(th_stats(h).spans_now, 2);
	/* the only trace holding spans fills the pool: it is given up itself */
	trace_hold_span(h, sp(2, 6, 0, 0, 10), 6);
	trace_hold_span(h, sp(2, 7, 0, 0, 10), 7);
	trace_hold_span(h, sp(2, 8, 0, 0, 10), 8);
	cr_expect_eq(o.n, 3 + 5, "trace 2's four and the fifth dropped");
	cr_expect_eq(th_stats(h).full_drops, 2);
	cr_expect_eq(th_stats(h).spans_now, 0);
	trace_hold_free(h);
}

/* A kept trace holds no span: room is never made by giving it up, and
 * each of its spans restarts its timeout, so its later spans still go out. */
Test(trace_hold, a_kept_trace_stays_kept)
{
	struct th_out o;
	struct trace_hold *h = th_new(&o, 2, 0);

	trace_hold_span(h, sp(1, 1, 0, 1, 10), 1000); /* trace 1 kept */
	trace_hold_span(h, sp(2, 2, 0, 0, 10), 1001);
	trace_hold_span(h, sp(2, 3, 0, 0, 10), 1002);
	trace_hold_span(h, sp(2, 4, 0, 0, 10), 1003); /* full: trace 2 itself goes */
	cr_expect_eq(th_stats(h).full_drops, 1);
	trace_hold_span(h, sp(1, 5, 0, 0, 10), 1090);
	trace_hold_expire(h, 1150); /* 1090 + 100 not reached */
	trace_hold_span(h, sp(1, 6, 1, 0, 10), 1180);
	cr_assert_eq(o.n, 1 + 3 + 2);
	cr_expect_eq(o.id[4], 5);
	cr_expect_eq(o.exported[4], 1);
	cr_expect_eq(o.reason[4], SAMPLE_ERROR);
	cr_expect_eq(o.id[5], 6);
	cr_expect_eq(o.exported[5], 1);
	cr_expect_eq(th_stats(h).expired, 0);
	trace_hold_free(h);
}

/* A process slot reused while its span waited: the span goes out without
 * the wrong resource. */
Test(trace_hold, reused_process_slot_is_not_the_span_s)
{
	static struct procinfo pi = { .generation = 7 };
	struct th_out o;
	struct trace_hold *h = th_new(&o, 16, 0);
	struct span s;

	memcpy(&s, sp(1, 1, 0, 0, 10), sizeof(s));
	s.process = &pi;
	trace_hold_span(h, &s, 1);
	memcpy(&s, sp(1, 2, 0, 0, 10), sizeof(s));
	s.process = &pi;
	trace_hold_span(h, &s, 2);
	pi.generation = 8;
	trace_hold_span(h, sp(1, 3, 1, 1, 10), 3);
	cr_assert_eq(o.n, 3);
	cr_expect_null(o.process[0]);
	cr_expect_null(o.process[1]);
	trace_hold_free(h);
}

/* ---- the gate: sampled spans out at once, the others through the hold --- */

static uint32_t gate_exported;

static void gate_export(void *ctx, const struct span *s)
{
	(void)ctx;
	(void)s;
	gate_exported++;
}

static char gate_tracestate[SPAN_TRACESTATE_MAX];

static void gate_export_ts(void *ctx, const struct span *s)
{
	(void)ctx;
	memcpy(gate_tracestate, s->tracestate, sizeof(gate_tracestate));
}

static void gate_cfg(struct zt_config *cfg, int argc, char **argv)
{
	const char *help = NULL;
	char err[256];

	cr_assert_eq(config_parse(cfg, argc, argv, err, sizeof(err), &help), CONFIG_OK, "%s", err);
}

Test(sample_gate, counts_per_reason_and_keeps_errors)
{
	char *with[] = { "zt", "--sample-ratio", "0.5", NULL };
	char *without[] = { "zt", "--sample-ratio", "0.5", "--no-sample-keep-errors", NULL };
	char *none[] = { "zt", NULL };
	struct zt_config cfg;
	struct sample_gate g;
	struct span s;

	gate_cfg(&cfg, 3, with);
	gate_exported = 0;
	cr_assert_eq(sample_gate_init(&g, &cfg, gate_export, NULL), 0);
	cr_expect_not_null(g.hold);
	memcpy(&s, sp(1, 1, 1, 0, 10), sizeof(s));
	s.sampled = 1;
	sample_gate_span(&g, &s, 1);                 /* kept by the ratio */
	sample_gate_span(&g, sp(2, 2, 0, 0, 10), 1); /* held */
	sample_gate_span(&g, sp(2, 3, 1, 1, 10), 2); /* its head, an error: both out */
	sample_gate_span(&g, sp(3, 4, 1, 0, 10), 3); /* dropped */
	cr_expect_eq(gate_exported, 3);
	cr_expect_eq(g.kept[SAMPLE_RATIO], 1);
	cr_expect_eq(g.kept[SAMPLE_ERROR], 2);
	cr_expect_eq(g.sampled_out[SAMPLE_RATIO], 1);
	sample_gate_span(&g, sp(4, 5, 0, 0, 10), 4); /* held at the stop: dropped */
	sample_gate_close(&g);
	cr_expect_eq(g.sampled_out[SAMPLE_RATIO], 2);
	cr_expect_eq(gate_exported, 3);

	/* kept for its error: the ratio's threshold is not its weight */
	gate_cfg(&cfg, 3, with);
	cr_assert_eq(sample_gate_init(&g, &cfg, gate_export_ts, NULL), 0);
	memcpy(&s, sp(5, 1, 1, 1, 10), sizeof(s));
	strcpy(s.tracestate, "ot=th:8;rv:0123456789abcd,v=1");
	sample_gate_span(&g, &s, 1);
	cr_expect_str_eq(gate_tracestate, "ot=rv:0123456789abcd,v=1");
	memcpy(&s, sp(6, 1, 1, 0, 10), sizeof(s));
	s.sampled = 1;
	strcpy(s.tracestate, "ot=th:8");
	sample_gate_span(&g, &s, 1);
	cr_expect_str_eq(gate_tracestate, "ot=th:8", "kept by the ratio: th stays");
	sample_gate_close(&g);

	gate_cfg(&cfg, 4, without);
	cr_assert_eq(sample_gate_init(&g, &cfg, gate_export, NULL), 0);
	cr_expect_null(g.hold, "no keep rule: nothing is held");
	sample_gate_span(&g, sp(2, 3, 1, 1, 10), 2);
	cr_expect_eq(g.sampled_out[SAMPLE_RATIO], 1);
	sample_gate_close(&g);

	gate_cfg(&cfg, 1, none);
	cr_assert_eq(sample_gate_init(&g, &cfg, gate_export, NULL), 0);
	cr_expect_null(g.hold, "no ratio set: nothing is held");
	sample_gate_close(&g);
}
