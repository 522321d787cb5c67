// SPDX-License-Identifier: MIT
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "identity.h"

#define DD_WAYS 8
#define DD_SETS 128 /* 1024 (rule, key) windows open at once */
#define NS 1000000000ULL

/* dt_closed reads whole seconds behind the current one */
_Static_assert(DETECT_RATIO_SECS < BASELINE_WINDOW && DETECT_SPIKE_SECS < BASELINE_WINDOW,
	       "the live window holds the seconds the spike rules read");

struct dd_entry {
	uint64_t key;          /* 0: free */
	uint64_t window_end_ns;
	uint64_t repeats;      /* occurrences since the window's alert left */
	struct alert last;     /* the latest of them: the one a summary shows */
};

struct detect {
	struct detect_config cfg;
	struct baseline *b;
	alert_fn fn;
	void *ctx;
	uint64_t second_ns;    /* unix time the current second of every edge began */
	uint64_t tokens_ns;    /* last refill of the rate limit */
	double tokens;
	struct detect_stats stats;
	struct dd_entry dd[DD_SETS * DD_WAYS];
};

struct detect *detect_new(const struct detect_config *c, struct baseline *b, alert_fn fn, void *ctx,
			  uint64_t now_unix_ns)
{
	struct detect *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->cfg = *c;
	if (!d->cfg.rate)
		d->cfg.rate = 1;
	d->b = b;
	d->fn = fn;
	d->ctx = ctx;
	d->second_ns = now_unix_ns;
	d->tokens_ns = now_unix_ns;
	d->tokens = d->cfg.rate;
	if (!b->created_ns) {
		b->created_ns = now_unix_ns;
		b->learn_until_ns = now_unix_ns + c->learn_ns;
		b->changes++;
	}
	return d;
}

void detect_free(struct detect *d)
{
	free(d);
}

int detect_learning(const struct detect *d, uint64_t now)
{
	return now < d->b->learn_until_ns;
}

/* A reason is one line, cut where it must be. */
__attribute__((format(printf, 3, 4))) static void dt_fmt(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, cap, fmt, ap);
	va_end(ap);
}

/* "users" or "users (shop/users)"; an address as it is. */
static const char *dt_name(const struct alert_identity *id, char *buf, size_t cap)
{
	if (id->address[0])
		return id->address;
	if (id->k8s_namespace[0] || id->k8s_workload[0])
		dt_fmt(buf, cap, "%s (%s/%s)", id->service, id->k8s_namespace, id->k8s_workload);
	else
		dt_fmt(buf, cap, "%s", id->service);
	return buf;
}

static void dt_alert_of_call(struct alert *a, uint8_t rule, const struct call *c, uint64_t now)
{
	memset(a, 0, sizeof(*a));
	a->time_unix_ns = now;
	a->rule = rule;
	a->severity = alert_rules[rule].severity;
	a->has_trace = 1;
	memcpy(a->trace_id, c->trace_id, 16);
	memcpy(a->span_id, c->span_id, 8);
	a->port = c->port;
	a->count = 1;
	memcpy(a->protocol, c->protocol, sizeof(a->protocol));
	memcpy(a->operation, c->operation, sizeof(a->operation));
	a->src = c->client;
	a->dst = c->server;
	a->src_evidence = c->client_evidence;
	a->dst_evidence = c->server_evidence;
}

static void dt_alert_of_edge(struct alert *a, uint8_t rule, const struct baseline_edge *e, uint64_t now)
{
	memset(a, 0, sizeof(*a));
	a->time_unix_ns = now;
	a->rule = rule;
	a->severity = alert_rules[rule].severity;
	a->has_trace = 1;
	memcpy(a->trace_id, e->last_trace_id, 16);
	memcpy(a->span_id, e->last_span_id, 8);
	a->port = e->port;
	a->count = 1;
	memcpy(a->protocol, e->protocol, sizeof(a->protocol));
	a->src = e->client;
	a->dst = e->server;
	a->src_evidence = e->last_client_ev;
	a->dst_evidence = e->last_server_ev;
}

/* The rate limit, then the sink. */
static void dt_send(struct detect *d, const struct alert *a)
{
	uint64_t now = a->time_unix_ns;

	/* the wall clock stepped back: refill from there, not from the future */
	if (now < d->tokens_ns)
		d->tokens_ns = now;
	if (now > d->tokens_ns) {
		d->tokens += (double)(now - d->tokens_ns) / 1e9 * d->cfg.rate;
		if (d->tokens > d->cfg.rate)
			d->tokens = d->cfg.rate;
		d->tokens_ns = now;
	}
	if (d->tokens < 1.0) {
		d->stats.rate_limited++;
		return;
	}
	d->tokens -= 1.0;
	d->stats.alerts[a->rule]++;
	d->fn(d->ctx, a);
}

/* Deduplication by (rule, key): see detect.h. */
static void dt_raise(struct detect *d, struct alert *a, uint64_t key)
{
	struct dd_entry *set, *slot = NULL;
	uint64_t k = (key ^ ((uint64_t)a->rule + 1) * 0x9e3779b97f4a7c15ULL) | 1;

	if (d->cfg.disabled & (1u << a->rule))
		return;
	set = &d->dd[(k * 0x9e3779b97f4a7c15ULL >> 57) % DD_SETS * DD_WAYS];
	for (uint32_t w = 0; w < DD_WAYS; w++) {
		if (set[w].key == k) {
			set[w].repeats++;
			set[w].last = *a;
			d->stats.deduplicated++;
			return;
		}
		if (!set[w].key && !slot)
			slot = &set[w];
	}
	if (slot) {
		slot->key = k;
		slot->window_end_ns = a->time_unix_ns + d->cfg.window_ns;
		slot->repeats = 0;
	} else {
		d->stats.dedup_full++;
	}
	dt_send(d, a);
}

static void dt_payload(struct detect *d, const struct call *c, struct baseline_edge *e, int learning,
		       uint64_t edge_id, uint64_t now)
{
	char cn[256], sn[256];
	struct alert a;

	for (uint32_t r = 0; r < ALERT_RULE_COUNT; r++) {
		if (!(c->payload_rules & (1u << r)))
			continue;
		if (r == ALERT_SQL_STACKED) {
			/* stacked statements are a habit of some clients: learned per edge */
			if (learning && e) {
				if (!e->rates.stacked)
					d->b->changes++;
				e->rates.stacked = 1;
			}
			if (learning || (e && e->rates.stacked))
				continue;
		}
		dt_alert_of_call(&a, (uint8_t)r, c, now);
		dt_fmt(a.reason, sizeof(a.reason), "%s: %s; %s called %s on port %u",
			 alert_rules[r].summary, c->detail, dt_name(&c->client, cn, sizeof(cn)),
			 dt_name(&c->server, sn, sizeof(sn)), c->port);
		dt_raise(d, &a, edge_id);
	}
}

void detect_call(struct detect *d, const struct call *c, uint64_t now)
{
	struct baseline *b = d->b;
	int learning = detect_learning(d, now);
	uint64_t edge_id = baseline_edge_id(&c->client, &c->server, c->protocol, c->port);
	struct baseline_edge *e;
	char cn[256], sn[256];
	struct alert a;
	uint8_t sev;

	d->stats.calls++;
	if (d->cfg.policy) {
		dt_alert_of_call(&a, ALERT_POLICY_DENY, c, now);
		if (d->cfg.policy(d->cfg.policy_ctx, c, &sev, a.reason, sizeof(a.reason))) {
			a.severity = sev;
			dt_raise(d, &a, edge_id);
		}
	}
	e = baseline_edge_get(b, &c->client, &c->server, c->protocol, c->port, learning,
			      BASELINE_LEARNED, now);
	dt_payload(d, c, e, learning, edge_id, now);
	if (learning) {
		if (!e)
			return;
		baseline_edge_count(e, c, 1);
		baseline_op_get(b, (uint32_t)(e - b->edges), c->operation, 1, BASELINE_LEARNED, now);
		if (c->server_seen)
			baseline_listener_get(b, &c->server, c->port, 1, BASELINE_LEARNED, now);
		return;
	}
	if (c->server_seen) {
		struct baseline_listener *l = baseline_listener_get(b, &c->server, c->port, 0, 0, now);

		if (!l || l->state == BASELINE_CANDIDATE) {
			if (!l)
				l = baseline_listener_get(b, &c->server, c->port, 1, BASELINE_CANDIDATE,
							  now);
			dt_alert_of_call(&a, ALERT_NEW_LISTENER, c, now);
			dt_fmt(a.reason, sizeof(a.reason),
				 "%s accepted a %s call on port %u, a port it never served while learning",
				 dt_name(&c->server, sn, sizeof(sn)), c->protocol[0] ? c->protocol : "TCP",
				 c->port);
			/* one listener, whoever calls it */
			dt_raise(d, &a, l ? l->id : edge_id ^ 0x5bd1e995);
		}
	}
	if (!e || e->state == BASELINE_CANDIDATE) {
		/* its operations wait with it, so accepting the edge accepts them */
		if (!e)
			e = baseline_edge_get(b, &c->client, &c->server, c->protocol, c->port, 1,
					      BASELINE_CANDIDATE, now);
		if (e)
			baseline_op_get(b, (uint32_t)(e - b->edges), c->operation, 1, BASELINE_CANDIDATE,
					now);
		dt_alert_of_call(&a, ALERT_NEW_EDGE, c, now);
		dt_fmt(a.reason, sizeof(a.reason),
			 "%s called %s on port %u (%s), an edge not in the baseline",
			 dt_name(&c->client, cn, sizeof(cn)), dt_name(&c->server, sn, sizeof(sn)),
			 c->port, c->protocol[0] ? c->protocol : "TCP");
		dt_raise(d, &a, edge_id);
		return;
	}
	baseline_edge_count(e, c, 0);
	{
		struct baseline_op *o = baseline_op_get(b, (uint32_t)(e - b->edges), c->operation, 0, 0, now);

		if (!o || o->state == BASELINE_CANDIDATE) {
			if (!o)
				o = baseline_op_get(b, (uint32_t)(e - b->edges), c->operation, 1,
						    BASELINE_CANDIDATE, now);
			dt_alert_of_call(&a, ALERT_NEW_OPERATION, c, now);
			dt_fmt(a.reason, sizeof(a.reason),
				 "%s sent \"%s\" to %s on port %u, an operation not in the baseline of this edge",
				 dt_name(&c->client, cn, sizeof(cn)), c->operation,
				 dt_name(&c->server, sn, sizeof(sn)), c->port);
			dt_raise(d, &a, o ? o->id : edge_id ^ 0x27d4eb2f);
		}
	}
}

/* The sums of the last `secs` whole seconds (the current one left out). */
static void dt_closed(const struct baseline_edge *e, uint32_t secs, uint64_t *calls, uint64_t *errors,
		      uint64_t *lat_ns)
{
	*calls = *errors = *lat_ns = 0;
	for (uint32_t k = 1; k <= secs && k < BASELINE_WINDOW; k++) {
		uint32_t i = (e->at + BASELINE_WINDOW - k) % BASELINE_WINDOW;

		*calls += e->win_calls[i];
		*errors += e->win_errors[i];
		*lat_ns += e->win_lat_ns[i];
	}
}

/* Raises rule on the edge when cond starts to hold; nothing while it goes on. */
static void dt_spike(struct detect *d, struct baseline_edge *e, uint8_t rule, int cond, uint64_t now,
		     const char *reason)
{
	uint8_t bit = (uint8_t)(1u << (rule - ALERT_CALL_SPIKE));
	struct alert a;

	if (!cond) {
		e->spiking &= (uint8_t)~bit;
		return;
	}
	if (e->spiking & bit)
		return;
	e->spiking |= bit;
	dt_alert_of_edge(&a, rule, e, now);
	dt_fmt(a.reason, sizeof(a.reason), "%s", reason);
	dt_raise(d, &a, e->id);
}

static void dt_spikes(struct detect *d, struct baseline_edge *e, uint64_t now)
{
	const struct baseline_rates *r = &e->rates;
	char cn[256], sn[256], why[ALERT_REASON_MAX];
	uint64_t calls, errors, lat_ns;
	double rate, limit, ratio, mean_ms, sd;

	if (e->state != BASELINE_LEARNED || r->seconds < DETECT_MIN_SECONDS)
		return;
	dt_name(&e->client, cn, sizeof(cn));
	dt_name(&e->server, sn, sizeof(sn));

	dt_closed(e, DETECT_SPIKE_SECS, &calls, &errors, &lat_ns);
	rate = (double)calls / DETECT_SPIKE_SECS;
	sd = sqrt(r->rate_var);
	limit = fmax(DETECT_SPIKE_FACTOR * r->rate_mean, r->rate_mean + DETECT_SPIKE_SD * sd);
	dt_fmt(why, sizeof(why),
		 "%llu calls in %d s from %s to %s on port %u: %.1f/s, above %.1f/s (learned %.2f/s, sd %.2f)",
		 (unsigned long long)calls, DETECT_SPIKE_SECS, cn, sn, e->port, rate, limit, r->rate_mean, sd);
	dt_spike(d, e, ALERT_CALL_SPIKE, calls >= DETECT_SPIKE_MIN_CALLS && rate > limit, now, why);

	dt_closed(e, DETECT_RATIO_SECS, &calls, &errors, &lat_ns);
	ratio = calls ? (double)errors / (double)calls : 0;
	/* the doubling is capped at 100%, the +10 points are not: an edge that
	 * always failed while learning has no error spike to show */
	limit = fmax(fmin(1.0, fmax(DETECT_ERROR_FLOOR, 2 * r->err_mean)), r->err_mean + 0.1);
	dt_fmt(why, sizeof(why),
		 "%llu of %llu calls in %d s from %s to %s on port %u failed (%.0f%%), at or above %.0f%% (learned %.1f%%)",
		 (unsigned long long)errors, (unsigned long long)calls, DETECT_RATIO_SECS, cn, sn, e->port,
		 100 * ratio, 100 * limit, 100 * r->err_mean);
	dt_spike(d, e, ALERT_ERROR_SPIKE,
		 calls >= DETECT_ERROR_MIN_CALLS && errors >= DETECT_ERROR_MIN_ERRORS && ratio >= limit, now,
		 why);

	mean_ms = calls ? (double)lat_ns / (double)calls / 1e6 : 0;
	sd = sqrt(r->lat_var);
	limit = fmax(fmax(DETECT_LATENCY_FACTOR * r->lat_mean, r->lat_mean + DETECT_LATENCY_SD * sd),
		     r->lat_mean + DETECT_LATENCY_MIN_MS);
	dt_fmt(why, sizeof(why),
		 "mean latency of %llu calls in %d s from %s to %s on port %u: %.1f ms, above %.1f ms (learned %.2f ms, sd %.2f)",
		 (unsigned long long)calls, DETECT_RATIO_SECS, cn, sn, e->port, mean_ms, limit, r->lat_mean, sd);
	dt_spike(d, e, ALERT_LATENCY_SPIKE, calls >= DETECT_LATENCY_MIN_CALLS && mean_ms > limit, now,
		 why);
}

static void dt_windows(struct detect *d, uint64_t now)
{
	for (uint32_t i = 0; i < DD_SETS * DD_WAYS; i++) {
		struct dd_entry *x = &d->dd[i];

		if (!x->key || x->window_end_ns > now)
			continue;
		if (!x->repeats) {
			x->key = 0;
			continue;
		}
		/* the repeats of this window leave as one alert; a new window opens */
		x->last.count = x->repeats;
		x->last.time_unix_ns = now;
		x->repeats = 0;
		x->window_end_ns = now + d->cfg.window_ns;
		dt_send(d, &x->last);
	}
}

void detect_tick(struct detect *d, uint64_t now)
{
	struct baseline *b = d->b;
	uint64_t secs;

	/* the wall clock stepped back: seconds go on from there */
	if (now < d->second_ns)
		d->second_ns = now;
	if (now < d->second_ns + NS) {
		dt_windows(d, now);
		return;
	}
	secs = (now - d->second_ns) / NS;
	d->second_ns += secs * NS;
	/* a long stall: the window is all quiet seconds by now */
	if (secs > BASELINE_WINDOW + 1)
		secs = BASELINE_WINDOW + 1;
	for (uint64_t k = 0; k < secs; k++) {
		/* a second belongs to learning when it started before its end */
		int learning = d->second_ns - (secs - k) * NS < b->learn_until_ns;

		for (uint64_t i = 0; i < b->stats.edges; i++)
			baseline_edge_second(&b->edges[i], learning && b->edges[i].state == BASELINE_LEARNED);
		if (learning)
			b->changes++;
	}
	if (!detect_learning(d, now))
		for (uint64_t i = 0; i < b->stats.edges; i++)
			dt_spikes(d, &b->edges[i], now);
	dt_windows(d, now);
}

void detect_flush(struct detect *d, uint64_t now)
{
	for (uint32_t i = 0; i < DD_SETS * DD_WAYS; i++)
		d->dd[i].window_end_ns = 0;
	dt_windows(d, now);
	memset(d->dd, 0, sizeof(d->dd));
}

void detect_forget_windows(struct detect *d)
{
	memset(d->dd, 0, sizeof(d->dd));
}

void detect_get_stats(const struct detect *d, struct detect_stats *out)
{
	*out = d->stats;
}
