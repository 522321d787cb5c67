/* SPDX-License-Identifier: MIT */
/*
 * Head sampling: which traces are exported. OpenTelemetry's consistent
 * probability sampling (spec "TraceState: Probability Sampling"): a trace
 * is kept when its randomness R (the explicit `rv` of its tracestate, else
 * the low 56 bits of its trace id) is at least a rejection threshold T =
 * (1 - ratio) * 2^56, written on exported spans as `ot=th:<hex>`. Every
 * agent and every SDK that uses the same rule keeps the same traces
 * without talking to each other. A context that came off the wire with the
 * sampled flag set is followed (parent-based) unless told otherwise.
 *
 * Pure: no clock, no I/O. The stitcher decides once per trace, where the
 * trace starts on this node or arrives from the wire, and every span of it
 * inherits that decision, so a trace is exported whole or not at all.
 */
#ifndef ZT_SAMPLER_H
#define ZT_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

/* Hex digits of a threshold made from a ratio: the SDKs' default. */
#define SAMPLE_PRECISION 4
/* 2^56: thresholds and randomness are 56-bit */
#define SAMPLE_SPAN (1ULL << 56)
/* "0" .. 14 hex digits, and a NUL */
#define SAMPLE_TH_TEXT_MAX 15

/* Why a span is kept or sampled out: what /metrics counts them by. */
enum sample_reason {
	SAMPLE_ALL = 0,     /* no sampling configured: every trace */
	SAMPLE_RATIO = 1,   /* this agent's ratio, by the trace's randomness */
	SAMPLE_PARENT = 2,  /* the sampled flag of the context on the wire */
	SAMPLE_ERROR = 3,   /* sampled out, kept: this node saw an error span of it */
	SAMPLE_SLOW = 4,    /* sampled out, kept: a span of it took too long */
	SAMPLE_REASONS = 5,
};
extern const char *const sample_reason_names[SAMPLE_REASONS];

/* What a trace's head decided; every span of the trace carries it. */
struct sample_decision {
	uint64_t th;      /* the threshold to write as ot=th (when has_th) */
	uint8_t sampled;  /* 1: exported */
	uint8_t has_th;   /* 0: write none, erase an incoming one */
	uint8_t reason;   /* enum sample_reason */
	uint8_t head;     /* set on the span that made it, not on those that inherit it */
};

/* The `ot` member of a tracestate: the sub-keys sampling reads. */
struct sample_ot {
	uint64_t th;
	uint64_t rv;
	uint8_t has_th;
	uint8_t has_rv;
};

struct sampler {
	double ratio;          /* (0, 1] */
	uint64_t threshold;    /* of ratio, SAMPLE_PRECISION digits */
	uint8_t active;        /* a ratio was set: write th; else keep all */
	uint8_t ignore_parent; /* decide by ratio even when the wire says */
};

/* ratio in (0, 1]; active says whether the user asked for sampling
 * (1.0 given explicitly still writes th:0 on exported spans). */
void sampler_init(struct sampler *s, double ratio, int active, int ignore_parent);

/* A new ratio for the traces that start from now on (load feedback); a
 * ratio below 1 makes the sampler write its threshold. */
void sampler_set_ratio(struct sampler *s, double ratio);

/* The spec's ProbabilityToThresholdWithPrecision: p in [2^-56, 1], digits
 * of precision (1..12, more near p = 0), rounded to nearest. */
uint64_t sample_threshold(double p, int precision);
/* T as th's text: lowercase hex of 14 digits, trailing zeros dropped, "0"
 * for 0. Returns its length. */
size_t sample_th_format(uint64_t th, char out[SAMPLE_TH_TEXT_MAX]);
/* The ot member's th and rv in a tracestate list (n bytes). A sub-key with
 * a bad value is ignored (th: 1..14 lowercase hex digits, rv: exactly 14).
 * Returns 1 when an ot member was found, else 0. */
int sample_ot_parse(const char *tracestate, size_t n, struct sample_ot *out);
/* R: rv when the tracestate has one, else the trace id's low 56 bits. */
uint64_t sample_randomness(const uint8_t trace_id[16], const struct sample_ot *ot);

/* A trace that starts here, or whose wire context did not say (or is
 * ignored): by the ratio. ot: the wire's tracestate sub-keys, or NULL. */
void sampler_decide_root(const struct sampler *s, const uint8_t trace_id[16],
			 const struct sample_ot *ot, struct sample_decision *out);
/* A context off the wire: its flag (1, 0; 2 = unsaid) and tracestate.
 * Followed only while sampling is in force: without a ratio every trace is
 * exported, as without sampling. */
void sampler_decide_wire(const struct sampler *s, const uint8_t trace_id[16], uint8_t sampled,
			 const struct sample_ot *ot, struct sample_decision *out);

/* Writes into out (cap bytes, NUL-terminated) tracestate `in` with its ot
 * member's th set to d->th (d->has_th) or removed, the ot member first and
 * its other sub-keys and the other members kept in order; members that no
 * longer fit, or past the 32 members W3C allows, are dropped from the
 * end, as W3C says. Returns the length. */
#define SAMPLE_TRACESTATE_MEMBERS_MAX 32 /* W3C tracestate's list-members at most */
size_t sample_tracestate_put(char *out, size_t cap, const char *in,
			     const struct sample_decision *d);

#endif /* ZT_SAMPLER_H */
