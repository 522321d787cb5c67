/* SPDX-License-Identifier: MIT */
/*
 * Between the tracer and the exporters: a finished span goes out when its
 * trace was sampled (user/sampler.h), or later with the rest of its trace
 * when the hold keeps a sampled-out trace for an error or a slow span
 * (user/trace_hold.h); otherwise it is sampled out. Counts both per
 * reason. The daemon and `zerotrace replay` go through the same gate.
 */
#ifndef ZT_SAMPLE_GATE_H
#define ZT_SAMPLE_GATE_H

#include <stdint.h>

#include "config.h"
#include "sampler.h"
#include "span.h"
#include "trace_hold.h"

/* Spans held at once, and how long a trace whose head never ends here is
 * held: a trace's spans wait at most as long as the trace lasts, or this. */
#define SAMPLE_HOLD_SPANS 2048
#define SAMPLE_HOLD_TIMEOUT_NS (10ULL * 1000000000ULL)

typedef void (*sample_export_fn)(void *ctx, const struct span *s);

struct sample_gate {
	struct trace_hold *hold; /* NULL: no sampling set, or no keep rule */
	sample_export_fn export;
	void *ctx;
	uint64_t kept[SAMPLE_REASONS];
	uint64_t sampled_out[SAMPLE_REASONS];
	struct span *scratch;    /* a kept span rewritten on its way out */
	struct trace_hold_stats hold_final; /* the hold's, at close */
};

/* Returns 0, or -1 when the hold cannot be allocated. */
int sample_gate_init(struct sample_gate *g, const struct zt_config *cfg, sample_export_fn export,
		     void *ctx);
void sample_gate_span(struct sample_gate *g, const struct span *s, uint64_t now_mono_ns);
/* Gives up the traces held too long. */
void sample_gate_tick(struct sample_gate *g, uint64_t now_mono_ns);
/* Drops what is still held (counted as sampled out), keeps the hold's
 * counters in hold_final, then frees. */
void sample_gate_close(struct sample_gate *g);

#endif /* ZT_SAMPLE_GATE_H */
