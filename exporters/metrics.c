// SPDX-License-Identifier: MIT
/*
 * Prometheus metrics registry.
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
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ids.h"
#include "metrics.h"
#include "span_format.h"
#include "utf8.h"

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

/* OpenTelemetry's advice for http.*.request.duration, in ns and as le. */
static const uint64_t mt_bounds_ns[MT_NBUCKETS] = {
	5000000ULL,   10000000ULL,   25000000ULL,   50000000ULL,  75000000ULL,
	100000000ULL, 250000000ULL,  500000000ULL,  750000000ULL, 1000000000ULL,
	2500000000ULL, 5000000000ULL, 7500000000ULL, 10000000000ULL,
};
static const char *const mt_bounds_le[MT_NBUCKETS] = {
	"0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25",
	"0.5",   "0.75", "1",     "2.5",  "5",     "7.5", "10",
};

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

static const struct mt_layout mt_graph_layout = {
	3,
	{ { "client", SPAN_SERVICE_MAX }, { "server", MT_SERVER_MAX },
	  { "connection_type", MT_CONN_TYPE_MAX } },
	SPAN_SERVICE_MAX + MT_SERVER_MAX + MT_CONN_TYPE_MAX,
};

/* The graph's series: one table each, all with mt_graph_layout. */
enum mt_graph {
	MT_GRAPH_TOTAL = 0,  /* every call */
	MT_GRAPH_FAILED,     /* calls with an error span */
	MT_GRAPH_SERVER,     /* durations of calls whose SERVER span was seen */
	MT_GRAPH_CLIENT,     /* durations of calls whose CLIENT span was seen */
	MT_GRAPH_COUNT,
};

static const struct {
	const char *name;
	const char *help;
	int hist;
} mt_graph_desc[MT_GRAPH_COUNT] = {
	[MT_GRAPH_TOTAL] = { "traces_service_graph_request_total",
			     "Requests between two nodes of the service graph.", 0 },
	[MT_GRAPH_FAILED] = { "traces_service_graph_request_failed_total",
			      "Requests between two nodes of the service graph that failed.", 0 },
	[MT_GRAPH_SERVER] = { "traces_service_graph_request_server_seconds",
			      "Duration of requests between two nodes, as the server saw them.", 1 },
	[MT_GRAPH_CLIENT] = { "traces_service_graph_request_client_seconds",
			      "Duration of requests between two nodes, as the client saw them.", 1 },
};

_Static_assert(MT_KEY_MAX >= SPAN_SERVICE_MAX + MT_SERVER_MAX + MT_CONN_TYPE_MAX, "graph key fits");

static const struct mt_layout mt_alert_layout = {
	2, { { "rule", 32 }, { "severity", 16 } }, 48,
};
_Static_assert(MT_SERVER_MAX >= SPAN_ADDR_MAX + sizeof("[]:65535"), "address:port fits");

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

/* Label value escaping of the text format: backslash, quote, newline. */
static size_t mt_escape(char *out, const char *s)
{
	size_t o = 0;

	for (; *s; s++) {
		if (*s == '\\' || *s == '"') {
			out[o++] = '\\';
			out[o++] = *s;
		} else if (*s == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *s;
		}
	}
	return o;
}

/* {name="value",...} of one key, without the closing brace, into out. */
static size_t mt_labels_text(char *out, const struct mt_layout *l, const char *key)
{
	size_t o = 0, off = 0;
	uint32_t i;

	out[o++] = '{';
	for (i = 0; i < l->nlabels; i++) {
		if (i)
			out[o++] = ',';
		o += (size_t)sprintf(out + o, "%s=\"", l->label[i].name);
		o += mt_escape(out + o, key + off);
		out[o++] = '"';
		off += l->label[i].width;
	}
	out[o] = '\0';
	return o;
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

/* ---- rendering ---- */

/* What render reads: a copy of a table's used series, or the table itself. */
struct mt_view {
	const struct mt_layout *layout;
	uint32_t used;
	const char *keys;
	const struct mt_hist *hist;
	const struct mt_hist *other;
	const struct mt_exemplars *ex;       /* used of them, or NULL */
	const struct mt_exemplars *other_ex;
};

struct mt_snapshot {
	struct mt_view family[METRIC_FAMILY_COUNT], graph[MT_GRAPH_COUNT], alerts;
	struct agent_counters agent;
	uint64_t overflows;
	enum metrics_format format;
};

/* ex: with the exemplars (only OpenMetrics prints them). */
static size_t mt_view_bytes(const struct mt_table *t, int ex)
{
	return ((size_t)t->used + 1) * sizeof(struct mt_hist) +
	       (t->ex && ex ? ((size_t)t->used + 1) * sizeof(struct mt_exemplars) : 0) +
	       (size_t)t->used * t->layout->key_size;
}

/* Points v at t, or copies t into mem (mt_view_bytes, 8-aligned) when mem
 * is set, its exemplars only with ex. */
static char *mt_view_of(struct mt_view *v, const struct mt_table *t, char *mem, int ex)
{
	size_t ks = t->layout->key_size;

	v->layout = t->layout;
	v->used = t->used;
	if (!mem) {
		v->keys = t->keys;
		v->hist = t->hist;
		v->other = &t->hist[t->cap];
		v->ex = t->ex;
		v->other_ex = t->ex ? &t->ex[t->cap] : NULL;
		return NULL;
	}
	memcpy(mem, t->hist, (size_t)t->used * sizeof(struct mt_hist));
	memcpy(mem + (size_t)t->used * sizeof(struct mt_hist), &t->hist[t->cap],
	       sizeof(struct mt_hist));
	v->hist = (const struct mt_hist *)mem;
	v->other = v->hist + t->used;
	mem += ((size_t)t->used + 1) * sizeof(struct mt_hist);
	v->ex = v->other_ex = NULL;
	if (t->ex && ex) {
		memcpy(mem, t->ex, (size_t)t->used * sizeof(struct mt_exemplars));
		memcpy(mem + (size_t)t->used * sizeof(struct mt_exemplars), &t->ex[t->cap],
		       sizeof(struct mt_exemplars));
		v->ex = (const struct mt_exemplars *)mem;
		v->other_ex = v->ex + t->used;
		mem += ((size_t)t->used + 1) * sizeof(struct mt_exemplars);
	}
	memcpy(mem, t->keys, (size_t)t->used * ks);
	v->keys = mem;
	return mem + (((size_t)t->used * ks + 7) & ~(size_t)7);
}

/* ns as exact decimal seconds: "0.012", "3", "1.000000001". */
static void mt_put_seconds(FILE *out, uint64_t ns)
{
	const uint64_t giga = 1000000000;
	char frac[16];
	int n;

	if (ns % giga == 0) {
		fprintf(out, "%" PRIu64, ns / giga);
		return;
	}
	n = snprintf(frac, sizeof(frac), "%09" PRIu64, ns % giga);
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	fprintf(out, "%" PRIu64 ".%s", ns / giga, frac);
}

/* HELP text: the text format escapes backslash and newline; OpenMetrics
 * the double quote too. */
static void mt_put_help(FILE *out, const char *help, int om)
{
	for (; *help; help++) {
		if (*help == '\\' || (om && *help == '"'))
			fputc('\\', out);
		if (*help == '\n')
			fputs("\\n", out);
		else
			fputc(*help, out);
	}
}

/* OpenMetrics names a counter's family without the _total its sample has. */
static void mt_header(FILE *out, const char *name, const char *type, const char *help, int om)
{
	size_t n = strlen(name);

	if (om && strcmp(type, "counter") == 0 && n > 6 && strcmp(name + n - 6, "_total") == 0)
		n -= 6;
	fprintf(out, "# HELP %.*s ", (int)n, name);
	mt_put_help(out, help, om);
	fprintf(out, "\n# TYPE %.*s %s\n", (int)n, name, type);
}

/* " # {trace_id="..",span_id=".."} seconds timestamp", the OpenMetrics
 * exemplar, when the bucket has one. */
static void mt_put_exemplar(FILE *out, const struct mt_exemplar *e)
{
	char trace[2 * sizeof(e->trace_id) + 1], span[2 * sizeof(e->span_id) + 1];

	if (!e || ids_all_zero(e->trace_id, sizeof(e->trace_id)))
		return;
	span_hex(trace, e->trace_id, sizeof(e->trace_id));
	span_hex(span, e->span_id, sizeof(e->span_id));
	fprintf(out, " # {trace_id=\"%s\",span_id=\"%s\"} ", trace, span);
	mt_put_seconds(out, e->value_ns);
	fputc(' ', out);
	mt_put_seconds(out, e->unix_ns);
}

/* ex: the series' exemplars, printed only in OpenMetrics (om). */
static void mt_hist_lines(FILE *out, const char *name, const char *labels,
			  const struct mt_hist *h, const struct mt_exemplars *ex, int om)
{
	uint64_t cum = 0;
	uint32_t b;

	if (!om)
		ex = NULL;
	for (b = 0; b < MT_NBUCKETS; b++) {
		cum += h->bucket[b];
		fprintf(out, "%s_bucket%s,le=\"%s\"} %" PRIu64, name, labels, mt_bounds_le[b], cum);
		mt_put_exemplar(out, ex ? &ex->bucket[b] : NULL);
		fputc('\n', out);
	}
	fprintf(out, "%s_bucket%s,le=\"+Inf\"} %" PRIu64, name, labels, h->count);
	mt_put_exemplar(out, ex ? &ex->bucket[MT_NBUCKETS] : NULL);
	fprintf(out, "\n%s_sum%s} ", name, labels);
	mt_put_seconds(out, h->sum_ns);
	fprintf(out, "\n%s_count%s} %" PRIu64 "\n", name, labels, h->count);
}

/* One family: every used series in first-seen order, then "other" if used.
 * hist: histogram lines; else a counter of each histogram's count. */
static void mt_family(FILE *out, const struct mt_view *v, const char *name,
		      const char *help, int hist, int om)
{
	char labels[MT_LABELS_TEXT_MAX], other[MT_KEY_MAX];
	const struct mt_layout *l = v->layout;
	const struct mt_exemplars *ex;
	const struct mt_hist *h;
	const char *key;
	size_t off = 0;
	uint32_t i;

	memset(other, 0, sizeof(other));
	for (i = 0; i < l->nlabels; i++) {
		memcpy(other + off, MT_OTHER, sizeof(MT_OTHER));
		off += l->label[i].width;
	}
	mt_header(out, name, hist ? "histogram" : "counter", help, om);
	for (i = 0; i <= v->used; i++) {
		h = i < v->used ? &v->hist[i] : v->other;
		key = i < v->used ? v->keys + (size_t)i * l->key_size : other;
		ex = !v->ex ? NULL : i < v->used ? &v->ex[i] : v->other_ex;
		if (i == v->used && !h->count)
			break;
		mt_labels_text(labels, l, key);
		if (hist)
			mt_hist_lines(out, name, labels, h, ex, om);
		else
			fprintf(out, "%s%s} %" PRIu64 "\n", name, labels, h->count);
	}
}

static void mt_scalar(FILE *out, const char *name, const char *type,
		      const char *help, uint64_t v, int om)
{
	mt_header(out, name, type, help, om);
	fprintf(out, "%s %" PRIu64 "\n", name, v);
}

/* Client calls by the task that made them, linked or not (README "Traces"). */
static void mt_task_calls(FILE *out, const struct agent_counters *a, int linked, int om)
{
	const char *name = linked ? "zerotrace_calls_linked_total" : "zerotrace_calls_unlinked_total";

	mt_header(out, name, "counter",
		  linked ? "Client calls given a parent by the in-process rule, by the task that made them." :
			   "Client calls no rule gave a parent, by the task that made them.", om);
	for (uint32_t i = 0; i < AGENT_TASK_KINDS_MAX && a->calls[i].task; i++)
		fprintf(out, "%s{task=\"%s\"} %" PRIu64 "\n", name, a->calls[i].task,
			linked ? a->calls[i].linked : a->calls[i].unlinked);
}

/* Head sampling: the ratio in force, and spans by decision and reason. */
static void mt_sampling(FILE *out, const struct agent_counters *a, int om)
{
	static const char name[] = "zerotrace_spans_sampled_total";

	mt_header(out, "zerotrace_sample_ratio", "gauge",
		  "The fraction of new traces exported (--sample-ratio, lowered under load).", om);
	fprintf(out, "zerotrace_sample_ratio %.9g\n", a->sample_ratio);
	mt_header(out, name, "counter",
		  "Spans by their trace's sampling decision (kept: exported; sampled_out: "
		  "counted in every metric, not exported) and its reason.", om);
	for (uint32_t i = 0; i < AGENT_SAMPLE_REASONS_MAX && a->sampling[i].reason; i++) {
		fprintf(out, "%s{decision=\"kept\",reason=\"%s\"} %" PRIu64 "\n", name,
			a->sampling[i].reason, a->sampling[i].kept);
		fprintf(out, "%s{decision=\"sampled_out\",reason=\"%s\"} %" PRIu64 "\n", name,
			a->sampling[i].reason, a->sampling[i].sampled_out);
	}
}

/* The agent's own counters and gauges, in the order they are rendered. */
static const struct {
	const char *name, *type, *help;
	size_t offset; /* of the uint64_t in struct agent_counters */
} mt_agent_scalars[] = {
	{ "zerotrace_events_total", "counter", "Events read from the BPF ring buffer.",
	  offsetof(struct agent_counters, events) },
	{ "zerotrace_ringbuf_drops_total", "counter",
	  "Events the BPF programs could not put in the ring buffer.",
	  offsetof(struct agent_counters, ringbuf_drops) },
	{ "zerotrace_parse_misses_total", "counter", "Payloads the HTTP parser could not use.",
	  offsetof(struct agent_counters, parse_misses) },
	{ "zerotrace_spans_total", "counter", "Spans built.",
	  offsetof(struct agent_counters, spans) },
	{ "zerotrace_spans_exported_total", "counter",
	  "Spans the exporters delivered (OTLP and Zipkin each count theirs).",
	  offsetof(struct agent_counters, spans_exported) },
	{ "zerotrace_export_failures_total", "counter",
	  "Export attempts that failed (OTLP and Zipkin).",
	  offsetof(struct agent_counters, export_failures) },
	{ "zerotrace_export_dropped_total", "counter",
	  "Spans the exporters dropped (OTLP and Zipkin each count theirs).",
	  offsetof(struct agent_counters, export_dropped) },
	{ "zerotrace_export_queue_depth", "gauge",
	  "Spans waiting in the export queues (OTLP and Zipkin).",
	  offsetof(struct agent_counters, queue_depth) },
	{ "zerotrace_connections_tracked", "gauge", "Connections in the connection table.",
	  offsetof(struct agent_counters, conns_tracked) },
};

static void mt_render_view(FILE *out, const struct mt_snapshot *s)
{
	const struct agent_counters *a = &s->agent;
	int om = s->format == METRICS_OPENMETRICS;

	for (uint32_t f = METRIC_NONE + 1; f < METRIC_FAMILY_COUNT; f++)
		mt_family(out, &s->family[f], metric_families[f].name, metric_families[f].help, 1,
			  om);
	for (uint32_t g = 0; g < MT_GRAPH_COUNT; g++)
		mt_family(out, &s->graph[g], mt_graph_desc[g].name, mt_graph_desc[g].help,
			  mt_graph_desc[g].hist, om);
	mt_family(out, &s->alerts, "zerotrace_alerts_total",
		  "Security alerts raised, by rule and severity (deduplicated repeats included).", 0,
		  om);
	for (size_t i = 0; i < sizeof(mt_agent_scalars) / sizeof(mt_agent_scalars[0]); i++) {
		uint64_t v;

		memcpy(&v, (const char *)a + mt_agent_scalars[i].offset, sizeof(v));
		mt_scalar(out, mt_agent_scalars[i].name, mt_agent_scalars[i].type,
			  mt_agent_scalars[i].help, v, om);
	}
	mt_scalar(out, "zerotrace_metric_series_overflow_total", "counter",
		  "Recordings that went to the \"other\" series because their family "
		  "had reached its series cap.", s->overflows, om);
	mt_task_calls(out, a, 1, om);
	mt_task_calls(out, a, 0, om);
	mt_sampling(out, a, om);
	if (om)
		fputs("# EOF\n", out);
}

void metrics_render(struct metrics *m, FILE *out, enum metrics_format format)
{
	int ex = format == METRICS_OPENMETRICS;
	struct mt_snapshot s;
	size_t bytes;
	char *mem, *p;
	uint32_t f;

	if (!m || !out)
		return;
	s.format = format;
	pthread_mutex_lock(&m->lock);
	s.agent = m->agent;
	s.overflows = m->overflows;
	/* Each view's keys end 8-aligned: + 8 covers the padding of each. */
	bytes = mt_view_bytes(&m->alerts, ex) + 8;
	for (uint32_t g = 0; g < MT_GRAPH_COUNT; g++)
		bytes += mt_view_bytes(&m->graph[g], ex) + 8;
	for (f = METRIC_NONE + 1; f < METRIC_FAMILY_COUNT; f++)
		bytes += mt_view_bytes(&m->family[f], ex) + 8;
	mem = malloc(bytes);
	if (!mem) {
		/* No memory for a copy: format under the lock instead. */
		for (f = METRIC_NONE + 1; f < METRIC_FAMILY_COUNT; f++)
			mt_view_of(&s.family[f], &m->family[f], NULL, ex);
		for (uint32_t g = 0; g < MT_GRAPH_COUNT; g++)
			mt_view_of(&s.graph[g], &m->graph[g], NULL, ex);
		mt_view_of(&s.alerts, &m->alerts, NULL, ex);
		mt_render_view(out, &s);
		pthread_mutex_unlock(&m->lock);
		return;
	}
	p = mem;
	for (f = METRIC_NONE + 1; f < METRIC_FAMILY_COUNT; f++)
		p = mt_view_of(&s.family[f], &m->family[f], p, ex);
	for (uint32_t g = 0; g < MT_GRAPH_COUNT; g++)
		p = mt_view_of(&s.graph[g], &m->graph[g], p, ex);
	mt_view_of(&s.alerts, &m->alerts, p, ex);
	pthread_mutex_unlock(&m->lock);
	mt_render_view(out, &s);
	free(mem);
}

/* The q of one media range's parameters (";q=0.5"), 1 when absent. */
static double mt_accept_q(const char *p, const char *end)
{
	double q = 1;

	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));

		if (!semi)
			break;
		p = semi + 1;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			q = 0;
			p += 2;
			if (p < end && *p == '1')
				q = 1;
			else if (p < end && *p == '0') {
				double scale = 0.1;

				p++; /* "0", then ".ddd" */
				if (p < end && *p == '.')
					p++;
				for (; p < end && *p >= '0' && *p <= '9'; p++, scale /= 10)
					q += (*p - '0') * scale;
			}
		}
	}
	return q;
}

/* Whether the media range [p, end) names type/subtype: exactly, by
 * type/ *, or by * / *; returns how specifically (3, 2, 1), 0 if not. */
static int mt_accept_match(const char *p, const char *end, const char *type, const char *subtype)
{
	const char *semi = memchr(p, ';', (size_t)(end - p));
	size_t tl = strlen(type), sl = strlen(subtype), n;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	end = semi ? semi : end;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	n = (size_t)(end - p);
	if (n == 3 && memcmp(p, "*/*", 3) == 0)
		return 1;
	if (n < tl + 2 || strncasecmp(p, type, tl) != 0 || p[tl] != '/')
		return 0;
	if (n == tl + 2 && p[tl + 1] == '*')
		return 2;
	return n == tl + 1 + sl && strncasecmp(p + tl + 1, subtype, sl) == 0 ? 3 : 0;
}

/* The q the header gives type/subtype: its most specific range's (RFC 9110 12.5.1). */
static double mt_accept_q_of(const char *accept, const char *type, const char *subtype)
{
	const char *p = accept, *end;
	int best = 0, k;
	double q = 0;

	while (*p) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		k = mt_accept_match(p, end, type, subtype);
		/* equally specific ranges (two versions of one type): the best q */
		if (k > best || (k && k == best && mt_accept_q(p, end) > q)) {
			best = k;
			q = mt_accept_q(p, end);
		}
		p = *end ? end + 1 : end;
	}
	return q;
}

enum metrics_format metrics_format_of_accept(const char *accept)
{
	if (!accept)
		return METRICS_TEXT;
	return mt_accept_q_of(accept, "application", "openmetrics-text") >
			       mt_accept_q_of(accept, "text", "plain") ?
		       METRICS_OPENMETRICS :
		       METRICS_TEXT;
}
