/* SPDX-License-Identifier: MIT */
/*
 * Internal to the metrics registry: the tables that metrics.c records into
 * and metrics_render.c formats. No other file includes this.
 */
#ifndef ZT_METRICS_INTERNAL_H
#define ZT_METRICS_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

/* Keeps the index (twice the cap, rounded up to a power of two) in 32 bits. */
#define MT_MAX_SERIES (1u << 24)
#define MT_NBUCKETS 14
#define MT_SERVER_MAX SPAN_SERVICE_MAX /* a service.name or "[address]:port" */
/* service_name, then a family's labels (mt_layout_of checks they fit) */
#define MT_KEY_MAX (SPAN_SERVICE_MAX + METRIC_LABELS_TEXT_MAX)
#define MT_MAX_LABELS (1 + METRIC_LABELS_MAX)
/* Rendered labels: every byte escaped at most to 2, names and punctuation. */
#define MT_LABELS_TEXT_MAX (2 * MT_KEY_MAX + 256)
#define MT_CONN_TYPE_MAX 16
#define MT_OTHER "other"

/* OpenTelemetry's advice for http.*.request.duration, in ns and as le
 * (metrics.c): one list, the recorder's and the renderer's. */
extern const uint64_t mt_bounds_ns[MT_NBUCKETS];
extern const char *const mt_bounds_le[MT_NBUCKETS];

struct mt_hist {
	uint64_t bucket[MT_NBUCKETS + 1]; /* per bucket, not cumulative; last is > 10 s */
	uint64_t count;
	uint64_t sum_ns; /* saturates rather than wrapping (a counter must not go back) */
};

/* A bucket's last span of an exported trace; an all-zero trace id: none yet. */
struct mt_exemplar {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint64_t value_ns;
	uint64_t unix_ns; /* the span's end */
};

/* One series' exemplars, a bucket each (the +Inf one included). */
struct mt_exemplars {
	struct mt_exemplar bucket[MT_NBUCKETS + 1];
};

struct mt_label {
	const char *name;
	size_t width; /* bytes kept for the value, NUL included */
};

struct mt_layout {
	uint32_t nlabels;
	struct mt_label label[MT_MAX_LABELS];
	size_t key_size; /* sum of the widths */
};

/* The graph's series: one table each, all with mt_graph_layout. */
enum mt_graph {
	MT_GRAPH_TOTAL = 0,  /* every call */
	MT_GRAPH_FAILED,     /* calls with an error span */
	MT_GRAPH_SERVER,     /* durations of calls whose SERVER span was seen */
	MT_GRAPH_CLIENT,     /* durations of calls whose CLIENT span was seen */
	MT_GRAPH_COUNT,
};

/* One metric family's series; slot cap is the "other" series. */
struct mt_table {
	const struct mt_layout *layout;
	uint32_t cap;
	uint32_t used;
	uint32_t mask;         /* index size - 1 */
	uint32_t *index;       /* slot + 1, 0 = empty */
	char *keys;            /* (cap + 1) * key_size */
	struct mt_hist *hist;  /* cap + 1 */
	struct mt_exemplars *ex; /* cap + 1, span families only; else NULL */
};

struct metrics {
	pthread_mutex_t lock;
	struct mt_layout layout[METRIC_FAMILY_COUNT]; /* service_name + the family's labels */
	struct mt_table family[METRIC_FAMILY_COUNT];  /* by enum metric_family; 0 unused */
	struct mt_table graph[MT_GRAPH_COUNT];
	struct mt_table alerts; /* zerotrace_alerts_total{rule,severity} */
	uint64_t overflows;
	struct agent_counters agent;
};

#endif /* ZT_METRICS_INTERNAL_H */
