// SPDX-License-Identifier: MIT
/*
 * Prometheus metrics registry: its tables and what records into them.
 * metrics_render.c formats them, metrics_accept.c picks the format;
 * metrics_internal.h holds what they share.
 *
 * Every table is allocated once in metrics_new: record only copies labels
 * into a stack key, finds the series through an open-addressing index and
 * adds to integer counters, so the event loop never touches the heap.
 *
 * - A table holds up to max_series label sets in a dense array (in the
 *   order they were first seen, so the output is stable) plus one extra slot,
 *   the "other" series, for everything past the cap; each recording that
 *   lands there because of the cap is counted (metrics_overflows).
 * - Label values are made valid UTF-8 when they are recorded (each byte that
 *   starts no valid sequence becomes U+FFFD), not when they are rendered, so
 *   two raw values that print the same are one series: Prometheus rejects a
 *   scrape with duplicate series. A value longer than its slot is cut at a
 *   character boundary.
 * - Durations are kept in integer nanoseconds; buckets are compared in ns and
 *   the sum is printed as an exact decimal.
 * - Service graph: from calls (common/call.h: the two spans of a call on
 *   this node are already one), under the names Tempo's metrics-generator
 *   and the OpenTelemetry Collector's servicegraph connector use, so
 *   Grafana draws it as it draws theirs. An end known only by its address
 *   is named "address" (a client) or "address:port" (a server).
 * - render copies the used series under the lock and formats without it, so
 *   a scrape never holds the event loop for the time formatting takes.
 * - Exemplars: each bucket of a span family's series keeps the ids of the
 *   last span of an exported trace that fell in it, so a latency bucket
 *   leads to a trace the backend has. Only OpenMetrics can carry them; the
 *   text format 0.0.4 has no syntax for them. The service graph's
 *   histograms have none: a call does not know whether its trace was
 *   exported.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "metrics_internal.h"
#include "utf8.h"

/* OpenTelemetry's advice for http.*.request.duration, in ns and as le. */
const uint64_t mt_bounds_ns[MT_NBUCKETS] = {
	5000000ULL,   10000000ULL,   25000000ULL,   50000000ULL,  75000000ULL,
	100000000ULL, 250000000ULL,  500000000ULL,  750000000ULL, 1000000000ULL,
	2500000000ULL, 5000000000ULL, 7500000000ULL, 10000000000ULL,
};
const char *const mt_bounds_le[MT_NBUCKETS] = {
	"0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25",
	"0.5",   "0.75", "1",     "2.5",  "5",     "7.5", "10",
};

static const struct mt_layout mt_graph_layout = {
	3,
	{ { "client", SPAN_SERVICE_MAX }, { "server", MT_SERVER_MAX },
	  { "connection_type", MT_CONN_TYPE_MAX } },
	SPAN_SERVICE_MAX + MT_SERVER_MAX + MT_CONN_TYPE_MAX,
};

_Static_assert(MT_KEY_MAX >= SPAN_SERVICE_MAX + MT_SERVER_MAX + MT_CONN_TYPE_MAX, "graph key fits");

static const struct mt_layout mt_alert_layout = {
	2, { { "rule", 32 }, { "severity", 16 } }, 48,
};
_Static_assert(MT_SERVER_MAX >= SPAN_ADDR_MAX + sizeof("[]:65535"), "address:port fits");

/* ---- label values ---- */

/*
 * Copies s (up to n bytes or its NUL) into out[width] as valid UTF-8, whole
 * characters only, NUL-padded to width so keys compare with memcmp. Returns
 * the FNV-1a hash of the value folded into h.
 */
static uint64_t mt_put_label(char *out, size_t width, const char *s, size_t n, uint64_t h)
{
	static const char repl[] = "\xef\xbf\xbd"; /* U+FFFD */
	const uint8_t *u = (const uint8_t *)s;
	size_t i = 0, o = 0, len, k;
	const char *src;

	memset(out, 0, width);
	n = strnlen(s, n);
	while (i < n) {
		len = utf8_char_len(u + i, n - i);
		src = len ? s + i : repl;
		k = len ? len : 3;
		if (o + k > width - 1)
			break;
		memcpy(out + o, src, k);
		o += k;
		i += len ? len : 1;
	}
	for (k = 0; k < o; k++)
		h = (h ^ (uint8_t)out[k]) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL; /* separator: ("ab","c") != ("a","bc") */
}

/* ---- tables ---- */


/* Adds ns; returns its bucket. */
static uint32_t mt_hist_add(struct mt_hist *h, uint64_t ns)
{
	uint32_t b = 0;

	while (b < MT_NBUCKETS && ns > mt_bounds_ns[b])
		b++;
	h->bucket[b]++;
	h->count++;
	h->sum_ns = ns > UINT64_MAX - h->sum_ns ? UINT64_MAX : h->sum_ns + ns;
	return b;
}

/* exemplars: keep one per bucket (a span family's table). */
static int mt_table_init(struct mt_table *t, const struct mt_layout *l, uint32_t cap,
			 int exemplars)
{
	size_t isize = 1;
	uint32_t i;
	char *other;

	while (isize < 2 * (size_t)cap)
		isize <<= 1;
	t->layout = l;
	t->cap = cap;
	t->used = 0;
	t->mask = (uint32_t)(isize - 1);
	t->index = calloc(isize, sizeof(*t->index));
	t->keys = calloc((size_t)cap + 1, l->key_size);
	t->hist = calloc((size_t)cap + 1, sizeof(*t->hist));
	t->ex = exemplars ? calloc((size_t)cap + 1, sizeof(*t->ex)) : NULL;
	if (!t->index || !t->keys || !t->hist || (exemplars && !t->ex))
		return -1;
	other = t->keys + (size_t)cap * l->key_size;
	for (i = 0; i < l->nlabels; i++) {
		memcpy(other, MT_OTHER, sizeof(MT_OTHER));
		other += l->label[i].width;
	}
	return 0;
}

static void mt_table_free(struct mt_table *t)
{
	free(t->index);
	free(t->keys);
	free(t->hist);
	free(t->ex);
}

/* The slot of key's series (hash h), added if there is room, else "other"'s. */
static uint32_t mt_table_slot(struct metrics *m, struct mt_table *t, const char *key, uint64_t h)
{
	size_t ks = t->layout->key_size;
	char *other = t->keys + (size_t)t->cap * ks;
	uint32_t i, v;

	/* A real label set that reads all "other" shares that series. */
	if (memcmp(key, other, ks) == 0)
		return t->cap;
	if (t->cap) {
		/* Load <= 1/2 and no deletions: the probe always meets an empty slot. */
		for (i = (uint32_t)(h ^ (h >> 32)) & t->mask;; i = (i + 1) & t->mask) {
			v = t->index[i];
			if (!v)
				break;
			if (memcmp(t->keys + (size_t)(v - 1) * ks, key, ks) == 0)
				return v - 1;
		}
		if (t->used < t->cap) {
			v = t->used++;
			memcpy(t->keys + (size_t)v * ks, key, ks);
			t->index[i] = v + 1;
			return v;
		}
	}
	m->overflows++;
	return t->cap;
}

static struct mt_hist *mt_table_get(struct metrics *m, struct mt_table *t,
				    const char *key, uint64_t h)
{
	return &t->hist[mt_table_slot(m, t, key, h)];
}

/* ---- API ---- */

/* service_name, then the family's own labels; -1 when they would not fit
 * a key (a family described wrong is refused, not cut). */
static int mt_layout_of(struct mt_layout *l, const struct metric_family_desc *d)
{
	if (d->nlabels > METRIC_LABELS_MAX)
		return -1;
	l->nlabels = 1 + d->nlabels;
	l->label[0] = (struct mt_label){ "service_name", SPAN_SERVICE_MAX };
	l->key_size = SPAN_SERVICE_MAX;
	for (uint32_t i = 0; i < d->nlabels; i++) {
		l->label[1 + i] = (struct mt_label){ d->label[i].name, d->label[i].width };
		l->key_size += d->label[i].width;
	}
	return l->key_size <= MT_KEY_MAX ? 0 : -1;
}

struct metrics *metrics_new(uint32_t max_series)
{
	struct metrics *m;

	if (max_series > MT_MAX_SERIES) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return NULL;
	}
	m->agent.sample_ratio = 1; /* until the agent says: every trace */
	for (uint32_t g = 0; g < MT_GRAPH_COUNT; g++)
		if (mt_table_init(&m->graph[g], &mt_graph_layout, max_series, 0))
			goto oom;
	/* every (rule, severity) pair fits: the table never overflows */
	if (mt_table_init(&m->alerts, &mt_alert_layout, ALERT_RULE_COUNT * ALERT_SEV_COUNT, 0))
		goto oom;
	for (uint32_t f = METRIC_NONE + 1; f < METRIC_FAMILY_COUNT; f++) {
		if (mt_layout_of(&m->layout[f], &metric_families[f])) {
			metrics_free(m);
			errno = EINVAL;
			return NULL;
		}
		if (mt_table_init(&m->family[f], &m->layout[f], max_series, 1))
			goto oom;
	}
	return m;
oom:
	metrics_free(m);
	errno = ENOMEM;
	return NULL;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (uint32_t f = METRIC_NONE + 1; f < METRIC_FAMILY_COUNT; f++)
		mt_table_free(&m->family[f]);
	for (uint32_t g = 0; g < MT_GRAPH_COUNT; g++)
		mt_table_free(&m->graph[g]);
	mt_table_free(&m->alerts);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void metrics_record_span(struct metrics *m, const struct span *s)
{
	char key[MT_KEY_MAX];
	struct mt_table *t;
	const struct mt_label *lb;
	uint64_t ns, h = 0xcbf29ce484222325ULL;
	uint32_t slot, b;
	size_t off;
	int exemplar;

	if (!m || !s || (s->kind != SPAN_KIND_SERVER && s->kind != SPAN_KIND_CLIENT) ||
	    s->metric.family <= METRIC_NONE || s->metric.family >= METRIC_FAMILY_COUNT)
		return;
	ns = s->end_unix_ns > s->start_unix_ns ? s->end_unix_ns - s->start_unix_ns : 0;
	/* The key is built before locking: it depends on the span only. */
	t = &m->family[s->metric.family];
	lb = t->layout->label;
	h = mt_put_label(key, lb[0].width, s->service_name, sizeof(s->service_name), h);
	off = lb[0].width;
	for (uint32_t i = 1; i < t->layout->nlabels; i++) {
		const char *v = span_metric_label(&s->metric, i - 1);

		h = mt_put_label(key + off, lb[i].width, v, lb[i].width, h);
		off += lb[i].width;
	}
	/* Only a trace that is exported: an exemplar must lead somewhere. */
	exemplar = s->sampled && !ids_all_zero(s->trace_id, sizeof(s->trace_id));
	pthread_mutex_lock(&m->lock);
	slot = mt_table_slot(m, t, key, h);
	b = mt_hist_add(&t->hist[slot], ns);
	if (exemplar) {
		struct mt_exemplar *e = &t->ex[slot].bucket[b];

		memcpy(e->trace_id, s->trace_id, sizeof(e->trace_id));
		memcpy(e->span_id, s->span_id, sizeof(e->span_id));
		e->value_ns = ns;
		e->unix_ns = s->end_unix_ns;
	}
	pthread_mutex_unlock(&m->lock);
}

static const char *const mt_conn_type[] = {
	[CALL_CONN_UNSET] = "",
	[CALL_CONN_VIRTUAL] = "virtual_node",
	[CALL_CONN_DATABASE] = "database",
};

void metrics_record_call(struct metrics *m, const struct call *c)
{
	const struct mt_label *lb = mt_graph_layout.label;
	char key[MT_KEY_MAX], server[MT_SERVER_MAX];
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *ct;

	if (!m || !c)
		return;
	if (c->server.address[0]) {
		const char *a = c->server.address;
		int v6 = strchr(a, ':') != NULL;

		snprintf(server, sizeof(server), "%s%.*s%s:%u", v6 ? "[" : "", SPAN_ADDR_MAX, a,
			 v6 ? "]" : "", (unsigned)c->port);
	} else {
		snprintf(server, sizeof(server), "%s", c->server.service);
	}
	ct = c->connection < sizeof(mt_conn_type) / sizeof(mt_conn_type[0]) ?
		     mt_conn_type[c->connection] : "";
	h = mt_put_label(key, lb[0].width, alert_identity_label(&c->client), lb[0].width, h);
	h = mt_put_label(key + lb[0].width, lb[1].width, server, sizeof(server), h);
	h = mt_put_label(key + lb[0].width + lb[1].width, lb[2].width, ct, lb[2].width, h);
	pthread_mutex_lock(&m->lock);
	mt_hist_add(mt_table_get(m, &m->graph[MT_GRAPH_TOTAL], key, h), 0);
	if (c->error)
		mt_hist_add(mt_table_get(m, &m->graph[MT_GRAPH_FAILED], key, h), 0);
	if (c->server_seen)
		mt_hist_add(mt_table_get(m, &m->graph[MT_GRAPH_SERVER], key, h), c->server_ns);
	if (c->client_seen)
		mt_hist_add(mt_table_get(m, &m->graph[MT_GRAPH_CLIENT], key, h), c->client_ns);
	pthread_mutex_unlock(&m->lock);
}

void metrics_record_alert(struct metrics *m, const struct alert *a)
{
	const struct mt_label *lb = mt_alert_layout.label;
	char key[MT_KEY_MAX];
	uint64_t h = 0xcbf29ce484222325ULL;
	struct mt_hist *x;

	if (!m || !a || a->rule >= ALERT_RULE_COUNT)
		return;
	h = mt_put_label(key, lb[0].width, alert_rules[a->rule].name, lb[0].width, h);
	h = mt_put_label(key + lb[0].width, lb[1].width, alert_severity_name(a->severity), lb[1].width,
			 h);
	pthread_mutex_lock(&m->lock);
	/* an alert that stands for several occurrences counts them all */
	x = mt_table_get(m, &m->alerts, key, h);
	x->count += a->count ? a->count : 1;
	x->bucket[0] = x->count;
	pthread_mutex_unlock(&m->lock);
}

void metrics_set_agent(struct metrics *m, const struct agent_counters *c)
{
	if (!m || !c)
		return;
	pthread_mutex_lock(&m->lock);
	m->agent = *c;
	pthread_mutex_unlock(&m->lock);
}

uint64_t metrics_overflows(struct metrics *m)
{
	uint64_t v;

	if (!m)
		return 0;
	pthread_mutex_lock(&m->lock);
	v = m->overflows;
	pthread_mutex_unlock(&m->lock);
	return v;
}
