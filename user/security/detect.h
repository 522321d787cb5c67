/* SPDX-License-Identifier: MIT */
/*
 * The detector: calls in, alerts out. While the baseline learns, calls
 * teach it; after, a call outside it (a new edge, listener or operation)
 * is an alert, and once a second each known edge's last seconds are held
 * against its learned rates (the thresholds are in detect.c and README).
 * Policy and payload rules need no baseline and run from the start.
 *
 * Alerts are deduplicated: the first of a (rule, key) in a window leaves
 * at once; the others in that window are counted and leave as one alert
 * with their count when the window closes. Then a rate limit (a token
 * bucket) caps what leaves; what it holds back is counted.
 */
#ifndef ZT_DETECT_H
#define ZT_DETECT_H

#include <stdint.h>

#include "alert.h"
#include "baseline.h"
#include "call.h"

typedef void (*alert_fn)(void *ctx, const struct alert *a);
/* A policy's verdict on a call: 1 denied (severity and reason filled),
 * 0 allowed. */
typedef int (*detect_policy_fn)(void *ctx, const struct call *c, uint8_t *severity, char *reason,
				size_t reason_len);

struct detect_config {
	uint64_t learn_ns;     /* how long a new baseline learns; 0: not at all */
	uint64_t window_ns;    /* deduplication window */
	uint32_t rate;         /* alerts per second that may leave (the burst too) */
	uint32_t disabled;     /* a bit per enum alert_rule switched off */
	detect_policy_fn policy;
	void *policy_ctx;
};

struct detect_stats {
	uint64_t calls;
	uint64_t alerts[ALERT_RULE_COUNT];   /* left the detector, by rule */
	uint64_t deduplicated;   /* counted into a later alert's count */
	uint64_t rate_limited;   /* held back by the rate limit: lost */
	uint64_t dedup_full;     /* the window table was full: sent without deduplication */
};

struct detect;

/* b is the detector's from then on (it learns into it); a b loaded with
 * no learn period yet (created_ns 0) starts learning at now_unix_ns. */
struct detect *detect_new(const struct detect_config *c, struct baseline *b, alert_fn fn, void *ctx,
			  uint64_t now_unix_ns);
void detect_free(struct detect *d);
void detect_call(struct detect *d, const struct call *c, uint64_t now_unix_ns);
/* At least once a second: moves the per-edge seconds on (several when
 * ticks were missed), runs the spike rules, closes dedup windows. */
void detect_tick(struct detect *d, uint64_t now_unix_ns);
int detect_learning(const struct detect *d, uint64_t now_unix_ns);
void detect_get_stats(const struct detect *d, struct detect_stats *out);
/* Sends the repeats of every open window now (at exit). */
void detect_flush(struct detect *d, uint64_t now_unix_ns);
/* Forgets the open dedup windows (after a baseline accept or reset). */
void detect_forget_windows(struct detect *d);

/* The thresholds, for README and tests. */
#define DETECT_SPIKE_SECS 5      /* call_spike looks at the last 5 s */
#define DETECT_SPIKE_MIN_CALLS 20
#define DETECT_SPIKE_FACTOR 5.0  /* rate > max(5 x mean, mean + 6 sd) */
#define DETECT_SPIKE_SD 6.0
#define DETECT_RATIO_SECS 10     /* error and latency spikes: the last 10 s */
#define DETECT_ERROR_MIN_CALLS 10
#define DETECT_ERROR_MIN_ERRORS 5
#define DETECT_ERROR_FLOOR 0.25  /* ratio >= max(min(1, max(0.25, 2 x learned)), learned + 0.1) */
#define DETECT_LATENCY_MIN_CALLS 10
#define DETECT_LATENCY_FACTOR 3.0 /* mean > max(3 x learned, learned + 4 sd), and +10 ms */
#define DETECT_LATENCY_SD 4.0
#define DETECT_LATENCY_MIN_MS 10.0
#define DETECT_MIN_SECONDS 10    /* an edge needs this many learned seconds for spike rules */

#endif /* ZT_DETECT_H */
