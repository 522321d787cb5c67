/* SPDX-License-Identifier: MIT */
/*
 * Trace context already on the wire: W3C traceparent and B3 (single `b3`
 * header and multi-header X-B3-*). Pure parsers over header values; a value
 * that is not exactly valid yields -1 and is never half-adopted.
 */
#ifndef ZT_PROPAGATION_H
#define ZT_PROPAGATION_H

#include <stddef.h>
#include <stdint.h>

#include "sampler.h"

struct trace_context {
	uint8_t trace_id[16];
	uint8_t span_id[8];   /* the sender's span: our parent */
	uint8_t sampled;      /* 1, 0, or 2 when the header did not say */
	struct sample_ot ot;  /* its tracestate's sampling sub-keys (W3C only; the
			       * parsers leave it zero) */
};

/*
 * W3C Trace Context level 1: "00-<32 hex>-<16 hex>-<2 hex>", lowercase hex
 * only, all-zero trace or span id invalid, version "ff" invalid. A version
 * other than 00 is accepted when it is 2 lowercase hex digits, the first 55
 * characters parse as above, and the value is exactly 55 characters or has
 * '-' at position 55 (forward compatibility, per the spec). Surrounding
 * spaces/tabs (OWS) are ignored. Returns 0 or -1.
 */
int propagation_parse_traceparent(const char *v, size_t n, struct trace_context *out);

/*
 * B3 single header: "{trace}-{span}", "{trace}-{span}-{sampling}",
 * "{trace}-{span}-{sampling}-{parent}" where trace is 16 or 32 hex digits
 * (16 is left-padded with zeros), span 16 hex, sampling one of 0, 1, d
 * (d = debug, counted as sampled). Hex may be upper or lower case. A
 * sampling-only value ("0", "1", "d") carries no context: -1. All-zero ids
 * are invalid. Surrounding OWS is ignored; the parent id is checked, not
 * kept. Returns 0 or -1.
 */
int propagation_parse_b3(const char *v, size_t n, struct trace_context *out);

/*
 * B3 multi-header: X-B3-TraceId (16 or 32 hex) and X-B3-SpanId (16 hex);
 * X-B3-Sampled ("0", "1", "true", "false"; may be NULL/empty when absent) and
 * X-B3-Flags ("1" = debug = sampled; may be NULL/empty). Ids take hex of
 * either case as above; surrounding OWS is ignored in every value. Flags
 * other than "1" are invalid; "1" wins over Sampled "0". Returns 0 or -1.
 */
int propagation_parse_b3_multi(const char *trace_id, size_t trace_len, const char *span_id,
			       size_t span_len, const char *sampled, size_t sampled_len,
			       const char *flags, size_t flags_len, struct trace_context *out);

/* Writes "00-<trace>-<span>-01" (55 chars + NUL) into out (>= 56 bytes);
 * flags "00" unless sampled == 1 (an undecided 2 is not a decision). */
void propagation_format_traceparent(char *out, const uint8_t trace_id[16],
				    const uint8_t span_id[8], int sampled);

#endif /* ZT_PROPAGATION_H */
