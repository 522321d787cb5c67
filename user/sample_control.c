// SPDX-License-Identifier: MIT
#include <string.h>

#include "sample_control.h"

void sample_control_init(struct sample_control *c, double configured, double cpu_budget)
{
	memset(c, 0, sizeof(*c));
	c->configured = configured;
	c->cpu_budget = cpu_budget;
	c->ratio = configured;
}

double sample_control_step(struct sample_control *c, const struct sample_pressure *p,
			   uint64_t now_ns)
{
	double fill = p->queue_capacity ? (double)p->queue_depth / (double)p->queue_capacity : 0;
	int cpu_over = c->cpu_budget > 0 && p->cpu_valid && p->cpu > c->cpu_budget;
	/* calm: the CPU too, where it was measured, with some room */
	int cpu_calm = c->cpu_budget <= 0 || !p->cpu_valid || p->cpu < 0.8 * c->cpu_budget;

	if (fill >= SAMPLE_CONTROL_QUEUE_HIGH || cpu_over) {
		c->calm_since_ns = 0;
		if (c->ratio > SAMPLE_CONTROL_MIN_RATIO && now_ns - c->changed_ns >= SAMPLE_CONTROL_FALL_NS) {
			c->ratio /= 2;
			if (c->ratio < SAMPLE_CONTROL_MIN_RATIO)
				c->ratio = SAMPLE_CONTROL_MIN_RATIO;
			c->changed_ns = now_ns;
			c->falls++;
		}
		return c->ratio;
	}
	if (fill > SAMPLE_CONTROL_QUEUE_CALM || !cpu_calm || c->ratio >= c->configured) {
		c->calm_since_ns = 0;
		return c->ratio;
	}
	if (!c->calm_since_ns)
		c->calm_since_ns = now_ns;
	if (now_ns - c->calm_since_ns >= SAMPLE_CONTROL_RISE_NS &&
	    now_ns - c->changed_ns >= SAMPLE_CONTROL_RISE_NS) {
		c->ratio *= 2;
		if (c->ratio > c->configured)
			c->ratio = c->configured;
		c->changed_ns = now_ns;
		c->calm_since_ns = now_ns;
		c->rises++;
	}
	return c->ratio;
}
