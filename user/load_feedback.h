/* SPDX-License-Identifier: MIT */
/*
 * The daemon's side of load feedback (user/sample_control.h): measures the
 * export queues every turn of the event loop (with --sample-ratio: the
 * fullest one, OTLP's or Zipkin's, is the pressure) and the
 * agent's own CPU every second (with --cpu-budget, from /proc/self/stat),
 * and puts the ratio the controller picks into the tracer and the
 * kernel's injected flag.
 */
#ifndef ZT_LOAD_FEEDBACK_H
#define ZT_LOAD_FEEDBACK_H

#include <stdint.h>

#include "config.h"
#include "loader.h"
#include "otlp_exporter.h"
#include "sample_control.h"
#include "tracer.h"

#define LOAD_FEEDBACK_QUEUES 2 /* the OTLP exporter's, the Zipkin exporter's */

struct load_feedback {
	struct sample_control ctl;
	int on;                  /* an export queue, or a CPU budget */
	struct otlp_exporter *queue[LOAD_FEEDBACK_QUEUES]; /* NULL: none */
	uint64_t queue_capacity; /* spans, each queue's; 0: no queue */
	uint64_t cpu_ticks;      /* utime + stime at cpu_at_ns */
	uint64_t cpu_at_ns;
};

/* queue: the exporters whose span queues steer (NULL: none), each holding
 * queue_capacity spans. */
void load_feedback_init(struct load_feedback *lf, const struct zt_config *cfg,
			struct otlp_exporter *const queue[LOAD_FEEDBACK_QUEUES],
			uint64_t queue_capacity, uint64_t now_ns);
/* One turn of the event loop; second: a second has passed (CPU measured). */
void load_feedback_turn(struct load_feedback *lf, struct tracer *t, struct loader *l,
			uint64_t now_ns, int second);

#endif /* ZT_LOAD_FEEDBACK_H */
