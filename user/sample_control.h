/* SPDX-License-Identifier: MIT */
/*
 * Load feedback for head sampling: the ratio new traces are sampled with
 * falls, a halving at a time, while the export queue is past its high-water
 * mark or the agent's own CPU is past its budget, and rises again, a
 * doubling at a time, once both have been calm for a while, never above the
 * configured ratio. Powers of two keep the thresholds exact (ot=th:8, c,
 * e, ...). Spans are then sampled out, whole traces at a time, instead of
 * being dropped from a full queue. Pure: the caller measures and gives the
 * time.
 */
#ifndef ZT_SAMPLE_CONTROL_H
#define ZT_SAMPLE_CONTROL_H

#include <stdint.h>

#define SAMPLE_CONTROL_MIN_RATIO (1.0 / 1024)
/* The queue's high-water mark, and its calm one, as a share of it. */
#define SAMPLE_CONTROL_QUEUE_HIGH 0.5
#define SAMPLE_CONTROL_QUEUE_CALM 0.125
/* A halving at most this often: the queue needs a moment to show it, and
 * at loopback rates (8,000 spans/s) it fills in a quarter of a second. */
#define SAMPLE_CONTROL_FALL_NS 100000000ULL
/* Calm this long before a doubling. */
#define SAMPLE_CONTROL_RISE_NS 3000000000ULL

struct sample_control {
	double configured;   /* --sample-ratio */
	double cpu_budget;   /* share of one CPU (--cpu-budget / 100); 0: none */
	double ratio;        /* in force */
	uint64_t changed_ns; /* when it last fell, or rose */
	uint64_t calm_since_ns; /* 0: not calm */
	uint64_t falls, rises;
};

/* What the agent measured: its export queue (0 capacity: no queue) and,
 * when cpu_valid, its CPU over the last second as a share of one CPU. */
struct sample_pressure {
	uint64_t queue_depth;
	uint64_t queue_capacity;
	double cpu;
	int cpu_valid;
};

void sample_control_init(struct sample_control *c, double configured, double cpu_budget);
/* Returns the ratio to sample new traces with from now on. */
double sample_control_step(struct sample_control *c, const struct sample_pressure *p,
			   uint64_t now_ns);

#endif /* ZT_SAMPLE_CONTROL_H */
