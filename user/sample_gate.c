// SPDX-License-Identifier: MIT
#include <string.h>

#include "sample_gate.h"

static void gate_out(void *ctx, const struct span *s, int exported, uint8_t reason)
{
	struct sample_gate *g = ctx;

	if (reason >= SAMPLE_REASONS)
		reason = SAMPLE_ALL;
	if (exported) {
		g->kept[reason]++;
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
	return g->hold ? 0 : -1;
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
	if (!g->hold)
		return;
	trace_hold_drain(g->hold);
	trace_hold_free(g->hold);
	g->hold = NULL;
}
