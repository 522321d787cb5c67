// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "load_feedback.h"
#include "procinfo.h"

#define CPU_WINDOW_MIN_NS 500000000ULL

/* utime + stime (fields 14 and 15) of this process, in clock ticks; 0
 * when unreadable. */
static uint64_t self_cpu_ticks(void)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	return procinfo_stat_field(buf, n, 14) + procinfo_stat_field(buf, n, 15);
}

void load_feedback_init(struct load_feedback *lf, const struct zt_config *cfg,
			struct otlp_exporter *const queue[LOAD_FEEDBACK_QUEUES],
			uint64_t queue_capacity, uint64_t now_ns)
{
	int queues = 0;

	memset(lf, 0, sizeof(*lf));
	sample_control_init(&lf->ctl, cfg->sample_ratio, cfg->cpu_budget_pct / 100.0);
	for (int i = 0; i < LOAD_FEEDBACK_QUEUES; i++)
		queues += (lf->queue[i] = queue[i]) != NULL;
	lf->queue_capacity = queues ? queue_capacity : 0;
	/* the queue steers only where the user took sampling (--sample-ratio,
	 * 1 included): without it every span is exported, or counted dropped */
	lf->on = (lf->queue_capacity > 0 && config_sampling_set(cfg)) || cfg->cpu_budget_pct > 0;
	/* the first second is measured too */
	if (cfg->cpu_budget_pct) {
		lf->cpu_ticks = self_cpu_ticks();
		lf->cpu_at_ns = lf->cpu_ticks ? now_ns : 0;
	}
}

void load_feedback_turn(struct load_feedback *lf, struct tracer *t, struct loader *l,
			uint64_t now_ns, int second)
{
	struct sample_pressure p = { .queue_capacity = lf->queue_capacity };
	double before = lf->ctl.ratio, ratio;

	if (!lf->on)
		return;
	for (int i = 0; i < LOAD_FEEDBACK_QUEUES; i++) {
		struct otlp_stats os;

		if (!lf->queue[i])
			continue;
		otlp_exporter_get_stats(lf->queue[i], &os);
		if (os.queue_depth > p.queue_depth)
			p.queue_depth = os.queue_depth;
	}
	/* over half a second at least: the counts move in 10 ms ticks */
	if (second && lf->ctl.cpu_budget > 0 &&
	    (!lf->cpu_at_ns || now_ns - lf->cpu_at_ns >= CPU_WINDOW_MIN_NS)) {
		uint64_t ticks = self_cpu_ticks();
		long hz = sysconf(_SC_CLK_TCK);

		p.cpu_valid = lf->cpu_at_ns && ticks && hz > 0;
		if (p.cpu_valid)
			p.cpu = (double)(ticks - lf->cpu_ticks) / (double)hz /
				((double)(now_ns - lf->cpu_at_ns) / 1e9);
		lf->cpu_ticks = ticks;
		lf->cpu_at_ns = ticks ? now_ns : 0;
	}
	ratio = sample_control_step(&lf->ctl, &p, now_ns);
	if (ratio != before) {
		tracer_set_sample_ratio(t, ratio);
		loader_set_sampling(l, tracer_sample_threshold(t), tracer_sample_follows_parent(t));
	}
}
