/* SPDX-License-Identifier: MIT */
/*
 * The security pipeline of the daemon: finished spans -> calls (callpair)
 * -> the detector, with the baseline kept in --state-dir: loaded at start,
 * saved atomically when it changed (at most every SECURITY_SAVE_EVERY_NS)
 * and at exit. An operator's `zerotrace baseline accept|reset` reaches a
 * running agent as a request file in that directory (the agent holds
 * <state-dir>/lock while it runs); without a running agent the command
 * edits the file itself.
 */
#ifndef ZT_SECURITY_H
#define ZT_SECURITY_H

#include <stdint.h>

#include "baseline.h"
#include "callpair.h"
#include "detect.h"

#define SECURITY_SAVE_EVERY_NS (10ULL * 1000000000ULL)
#define SECURITY_PAIR_WAIT_NS (2ULL * 1000000000ULL)
#define SECURITY_BASELINE_FILE "baseline.v1"
#define SECURITY_LOCK_FILE "lock"
#define SECURITY_ACCEPT_REQUEST "accept.request"
#define SECURITY_RESET_REQUEST "reset.request"

typedef void (*security_call_fn)(void *ctx, const struct call *c);

struct policy;

struct security_config {
	const char *state_dir;  /* "": the baseline lives in memory only */
	const struct policy *policy; /* NULL: none; the caller frees it after security_close */
	struct detect_config detect;
};

struct security_stats {
	struct detect_stats detect;
	struct callpair_stats pairs;
	struct baseline_stats baseline;
	uint64_t saves;
	uint64_t save_failures;
	int learning;
};

struct security;

/* Never fails for a state problem (reported on stderr, then in memory);
 * NULL only without memory. */
struct security *security_open(const struct security_config *c, alert_fn on_alert, void *alert_ctx,
			       security_call_fn on_call, void *call_ctx, uint64_t now_unix_ns);
void security_span(struct security *s, const struct span *sp, uint64_t now_mono_ns,
		   uint64_t now_unix_ns);
/* At least once a second. */
void security_tick(struct security *s, uint64_t now_mono_ns, uint64_t now_unix_ns);
/* Releases every waiting span and open window, fills final (may be NULL)
 * with the counters after that, saves, frees. */
void security_close(struct security *s, uint64_t now_unix_ns, struct security_stats *final);
void security_get_stats(const struct security *s, struct security_stats *out);

#endif /* ZT_SECURITY_H */
