/* SPDX-License-Identifier: MIT */
/*
 * The duration histograms a span can feed, described once: the metrics
 * registry makes one table per family and renders them in this order; a
 * protocol names its family and label values when it builds a span. Every
 * family's first label is service_name, from the span.
 */
#ifndef ZT_METRIC_FAMILY_H
#define ZT_METRIC_FAMILY_H

#include <stddef.h>
#include <stdint.h>

#define METRIC_LABELS_MAX 3      /* after service_name */
#define METRIC_LABELS_TEXT_MAX 320

enum metric_family {
	METRIC_NONE = 0,
	METRIC_HTTP_SERVER,
	METRIC_HTTP_CLIENT,
	METRIC_DB_CLIENT,
	METRIC_DB_SERVER,
	METRIC_RPC_SERVER,
	METRIC_RPC_CLIENT,
	METRIC_DNS_CLIENT,
	METRIC_DNS_SERVER,
	METRIC_FAMILY_COUNT,
};

struct metric_label_desc {
	const char *name;
	size_t width; /* bytes kept for a value, NUL included */
};

struct metric_family_desc {
	const char *name;
	const char *help;
	uint32_t nlabels;
	struct metric_label_desc label[METRIC_LABELS_MAX];
};

/* Indexed by enum metric_family; METRIC_NONE's entry has no name. */
extern const struct metric_family_desc metric_families[METRIC_FAMILY_COUNT];

#endif /* ZT_METRIC_FAMILY_H */
