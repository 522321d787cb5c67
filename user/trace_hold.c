// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "fixed_table.h"
#include "sampler.h"
#include "trace_hold.h"

#define NONE UINT32_MAX

struct held_trace {
	uint8_t trace_id[16]; /* the key */
	uint64_t since_ns;    /* when its first span came */
	uint32_t first, last; /* its spans in the pool, oldest first */
	uint32_t older, newer; /* the list of traces by age */
	uint8_t keep;         /* 0, or SAMPLE_ERROR / SAMPLE_SLOW: its spans go out */
};

struct held_span {
	struct span span;
	uint64_t generation; /* of span.process when held: a reused slot is not its process */
	uint32_t next;       /* the next span of its trace */
};

struct trace_hold {
	struct trace_hold_config cfg;
	trace_hold_fn out;
	void *ctx;
	struct fixed_table traces;
	struct held_span *pool;
	uint32_t *free;
	uint32_t free_count;
	uint32_t oldest, newest; /* trace entry numbers */
	struct trace_hold_stats stats;
};

struct trace_hold *trace_hold_new(const struct trace_hold_config *cfg, trace_hold_fn out,
				  void *ctx)
{
	struct trace_hold *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->cfg = *cfg;
	h->out = out;
	h->ctx = ctx;
	h->oldest = h->newest = NONE;
	/* calloc: the pool's pages stay untouched until spans wait in them */
	h->pool = calloc(cfg->max_spans, sizeof(*h->pool));
	h->free = calloc(cfg->max_spans, sizeof(*h->free));
	if (!h->pool || !h->free ||
	    fixed_table_init(&h->traces, cfg->max_spans, sizeof(struct held_trace),
			     offsetof(struct held_trace, trace_id), 16)) {
		trace_hold_free(h);
		return NULL;
	}
	for (uint32_t i = 0; i < cfg->max_spans; i++)
		h->free[i] = cfg->max_spans - 1 - i;
	h->free_count = cfg->max_spans;
	return h;
}

void trace_hold_free(struct trace_hold *h)
{
	if (!h)
		return;
	fixed_table_release(&h->traces);
	free(h->pool);
	free(h->free);
	free(h);
}

static uint32_t entry_no(const struct trace_hold *h, const struct held_trace *t)
{
	return (uint32_t)(((const uint8_t *)t - h->traces.entries) / sizeof(*t));
}

static struct held_trace *entry_at(const struct trace_hold *h, uint32_t n)
{
	return (struct held_trace *)fixed_table_at(&h->traces, n);
}

/* Why s keeps its trace: SAMPLE_ERROR, SAMPLE_SLOW, or 0. */
static uint8_t interesting(const struct trace_hold *h, const struct span *s)
{
	if (h->cfg.keep_errors && s->status == SPAN_STATUS_ERROR)
		return SAMPLE_ERROR;
	if (h->cfg.keep_slow_ns && s->end_unix_ns >= s->start_unix_ns &&
	    s->end_unix_ns - s->start_unix_ns >= h->cfg.keep_slow_ns)
		return SAMPLE_SLOW;
	return 0;
}

/* The trace gives up its held spans: out when it is kept, else dropped. */
static void trace_flush(struct trace_hold *h, struct held_trace *t)
{
	for (uint32_t i = t->first; i != NONE;) {
		struct held_span *hs = &h->pool[i];
		uint32_t next = hs->next;

		if (hs->span.process && hs->span.process->generation != hs->generation)
			hs->span.process = NULL;
		h->out(h->ctx, &hs->span, t->keep != 0, t->keep ? t->keep : hs->span.sample_reason);
		h->free[h->free_count++] = i;
		h->stats.spans_now--;
		i = next;
	}
	t->first = t->last = NONE;
}

/* The age list: oldest first, so that timeouts and room are taken from
 * its head. */
static void age_unlink(struct trace_hold *h, struct held_trace *t)
{
	if (t->older != NONE)
		entry_at(h, t->older)->newer = t->newer;
	else
		h->oldest = t->newer;
	if (t->newer != NONE)
		entry_at(h, t->newer)->older = t->older;
	else
		h->newest = t->older;
}

static void age_push(struct trace_hold *h, struct held_trace *t, uint64_t now_ns)
{
	uint32_t n = entry_no(h, t);

	t->since_ns = now_ns;
	t->newer = NONE;
	t->older = h->newest;
	if (h->newest != NONE)
		entry_at(h, h->newest)->newer = n;
	else
		h->oldest = n;
	h->newest = n;
}

static void trace_remove(struct trace_hold *h, struct held_trace *t)
{
	trace_flush(h, t);
	age_unlink(h, t);
	fixed_table_delete(&h->traces, (uint8_t *)t);
}

/* A new trace of s (not held yet); full: the oldest trace is given up. */
static struct held_trace *trace_add_new(struct trace_hold *h, const struct span *s,
					uint64_t now_ns)
{
	struct held_trace *t;

	while (!(t = (struct held_trace *)fixed_table_get_or_add(&h->traces, s->trace_id))) {
		if (h->oldest == NONE)
			return NULL;
		t = entry_at(h, h->oldest);
		h->stats.full_drops += t->first != NONE;
		trace_remove(h, t);
	}
	t->first = t->last = NONE;
	age_push(h, t, now_ns);
	return t;
}

/* The oldest trace holding spans other than t, or NULL. A kept trace
 * holds none (its spans went out): it is never given up for room, else
 * its later spans would wait and be dropped. */
static struct held_trace *oldest_holding(struct trace_hold *h, const struct held_trace *t)
{
	for (uint32_t n = h->oldest; n != NONE;) {
		struct held_trace *v = entry_at(h, n);

		if (v != t && v->first != NONE)
			return v;
		n = v->newer;
	}
	return NULL;
}

/* Holds s in t; with the pool full, the oldest other trace holding spans
 * is given up first, or (t the only one) t itself. Returns 0, or -1 when
 * t was given up and s not held. */
static int trace_add(struct trace_hold *h, struct held_trace *t, const struct span *s)
{
	struct held_span *hs;
	uint32_t i;

	while (!h->free_count) {
		struct held_trace *victim = oldest_holding(h, t);

		h->stats.full_drops++;
		if (!victim) {
			trace_remove(h, t);
			return -1;
		}
		trace_remove(h, victim);
	}
	i = h->free[--h->free_count];
	hs = &h->pool[i];
	span_copy(&hs->span, s);
	hs->generation = s->process ? s->process->generation : 0;
	hs->next = NONE;
	if (t->last != NONE)
		h->pool[t->last].next = i;
	else
		t->first = i;
	t->last = i;
	h->stats.held++;
	h->stats.spans_now++;
	return 0;
}

void trace_hold_span(struct trace_hold *h, const struct span *s, uint64_t now_ns)
{
	uint8_t why = interesting(h, s);
	struct held_trace *t = (struct held_trace *)fixed_table_find(&h->traces, s->trace_id);

	if (!t && !s->sample_head)
		t = trace_add_new(h, s, now_ns);
	/* a trace of one span here (or whose other spans ended already), or
	 * no room for another: decided on its own */
	if (!t) {
		h->stats.traces_kept += why != 0;
		h->out(h->ctx, s, why != 0, why ? why : s->sample_reason);
		return;
	}
	if (why && !t->keep) {
		t->keep = why;
		h->stats.traces_kept++;
		trace_flush(h, t);
	}
	if (t->keep) {
		/* a kept trace lives on while its spans do: its timeout restarts */
		age_unlink(h, t);
		age_push(h, t, now_ns);
		h->out(h->ctx, s, 1, t->keep);
	} else if (s->sample_head) {
		trace_flush(h, t);
		h->out(h->ctx, s, 0, s->sample_reason);
	} else if (trace_add(h, t, s) < 0) {
		h->out(h->ctx, s, 0, s->sample_reason);
		return;
	}
	if (s->sample_head)
		trace_remove(h, t);
}

void trace_hold_expire(struct trace_hold *h, uint64_t now_ns)
{
	while (h->oldest != NONE) {
		struct held_trace *t = entry_at(h, h->oldest);

		if (t->since_ns + h->cfg.timeout_ns > now_ns)
			break;
		/* a kept trace that went quiet holds nothing: no loss to count */
		h->stats.expired += t->first != NONE;
		trace_remove(h, t);
	}
}

void trace_hold_drain(struct trace_hold *h)
{
	while (h->oldest != NONE)
		trace_remove(h, entry_at(h, h->oldest));
}

void trace_hold_get_stats(const struct trace_hold *h, struct trace_hold_stats *out)
{
	*out = h->stats;
}
