/* SPDX-License-Identifier: MIT */
/*
 * Spans to calls. A call between two traced processes of this node shows
 * as two spans, the SERVER one a child of the CLIENT one (stitch rule 2),
 * usually finishing first. A span whose other end may be on this node (a
 * loopback address, or the same address at both ends) waits up to wait_ns
 * for its partner; every other span is a call at once, with an address at
 * the far end. A span that waited in vain is a call alone, never lost.
 * Bounded: a full set releases its oldest entry early (counted).
 */
#ifndef ZT_CALLPAIR_H
#define ZT_CALLPAIR_H

#include <stdint.h>

#include "call.h"
#include "span.h"

typedef void (*call_fn)(void *ctx, const struct call *c);

struct callpair_stats {
	uint64_t paired;        /* calls made of two spans */
	uint64_t client_only;   /* a CLIENT span that found no partner */
	uint64_t server_only;
	uint64_t evicted;       /* released before their time: the table was full */
	uint64_t local_full;    /* spans whose own address the full local-address set could not keep */
};

struct callpair;

struct callpair *callpair_new(uint64_t wait_ns, call_fn fn, void *ctx);
void callpair_free(struct callpair *p);
/* now_ns: CLOCK_MONOTONIC, for the wait. */
void callpair_span(struct callpair *p, const struct span *s, uint64_t now_ns);
/* Releases what waited past its time. */
void callpair_tick(struct callpair *p, uint64_t now_ns);
/* Releases everything (at exit). */
void callpair_flush(struct callpair *p);
void callpair_get_stats(const struct callpair *p, struct callpair_stats *out);
/* The call one span makes alone (exposed for tests and the fuzzer). */
void callpair_of_span(const struct span *s, struct call *c);

#endif /* ZT_CALLPAIR_H */
