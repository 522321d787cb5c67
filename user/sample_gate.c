// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "sample_gate.h"

/* A span kept for an error or for its length was not kept by a
 * probability: its threshold goes (the spec: a sampled span without th has
 * no adjusted count), or a collector would weigh it as 1/ratio spans. */
static const struct span *without_threshold(struct sample_gate *g, const struct span *s)
{
	static const struct sample_decision none;
	struct sample_ot ot;

	if (!sample_ot_parse(s->tracestate, strnlen(s->tracestate, sizeof(s->tracestate)), &ot) ||
	    !ot.has_th)
		return s;
	span_copy(g->scratch, s);
	sample_tracestate_put(g->scratch->tracestate, sizeof(g->scratch->tracestate), s->tracestate,
			      &none);
	return g->scratch;
}

static void gate_out(void *ctx, const struct span *s, int exported, uint8_t reason)
{
	struct sample_gate *g = ctx;

	if (reason >= SAMPLE_REASONS)
		reason = SAMPLE_ALL;
	if (exported) {
		g->kept[reason]++;
		if (reason == SAMPLE_ERROR || reason == SAMPLE_SLOW)
			s = without_threshold(g, s);
		g->export(g->ctx, s);
	} else {
		g->sampled_out[reason]++;
	}
}

int sample_gate_init(struct sample_gate *g, const struct zt_config *cfg, sample_export_fn export,
		     void *ctx)
{
	struct trace_hold_config hc = {
		.max_spans = SAMPLE_HOLD_SPANS,
		.timeout_ns = SAMPLE_HOLD_TIMEOUT_NS,
		.keep_errors = cfg->sample_keep_errors != 0,
		.keep_slow_ns = cfg->sample_keep_slow_ns,
	};

	memset(g, 0, sizeof(*g));
	g->export = export;
	g->ctx = ctx;
	if (!config_sampling_set(cfg) || (!hc.keep_errors && !hc.keep_slow_ns))
		return 0;
	g->hold = trace_hold_new(&hc, gate_out, g);
	g->scratch = malloc(sizeof(*g->scratch));
	return g->hold && g->scratch ? 0 : -1;
}

void sample_gate_span(struct sample_gate *g, const struct span *s, uint64_t now_mono_ns)
{
	if (!s->sampled && g->hold)
		trace_hold_span(g->hold, s, now_mono_ns);
	else
		gate_out(g, s, s->sampled, s->sample_reason);
}

void sample_gate_tick(struct sample_gate *g, uint64_t now_mono_ns)
{
	if (g->hold)
		trace_hold_expire(g->hold, now_mono_ns);
}

void sample_gate_close(struct sample_gate *g)
{
	if (g->hold) {
		trace_hold_drain(g->hold);
		trace_hold_get_stats(g->hold, &g->hold_final);
		trace_hold_free(g->hold);
		g->hold = NULL;
	}
	free(g->scratch);
	g->scratch = NULL;
}
