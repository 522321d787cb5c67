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
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
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

static void mt_hist_add(struct mt_hist *h, uint64_t ns)
{
	uint32_t b = 0;

	while (b < MT_NBUCKETS && ns > mt_bounds_ns[b])
		b++;
	h->bucket[b]++;
	h->count++;
	h->sum_ns = ns > UINT64_MAX - h->sum_ns ? UINT64_MAX : h->sum_ns + ns;
}

static int mt_table_init(struct mt_table *t, const struct mt_layout *l, uint32_t cap)
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
	if (!t->index || !t->keys || !t->hist)
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
}

/* The series of key (hash h), added if there is room, else "other". */
static struct mt_hist *mt_table_get(struct metrics *m, struct mt_table *t,
				    const char *key, uint64_t h)
{
	size_t ks = t->layout->key_size;
	char *other = t->keys + (size_t)t->cap * ks;
	uint32_t i, v;

	/* A real label set that reads all "other" shares that series. */
	if (memcmp(key, other, ks) == 0)
		return &t->hist[t->cap];
	if (t->cap) {
		/* Load <= 1/2 and no deletions: the probe always meets an empty slot. */
		for (i = (uint32_t)(h ^ (h >> 32)) & t->mask;; i = (i + 1) & t->mask) {
			v = t->index[i];
			if (!v)
				break;
			if (memcmp(t->keys + (size_t)(v - 1) * ks, key, ks) == 0)
				return &t->hist[v - 1];
		}
		if (t->used < t->cap) {
			v = t->used++;
			memcpy(t->keys + (size_t)v * ks, key, ks);
			t->index[i] = v + 1;
			return &t->hist[v];
		}
	}
	m->overflows++;
	return &t->hist[t->cap];
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
		if (mt_table_init(&m->graph[g], &mt_graph_layout, max_series))
			goto oom;
	/* every (rule, severity) pair fits: the table never overflows */
	if (mt_table_init(&m->alerts, &mt_alert_layout, ALERT_RULE_COUNT * ALERT_SEV_COUNT))
		goto oom;
	for (uint32_t f = METRIC_NONE + 1; f < METRIC_FAMILY_COUNT; f++) {
		if (mt_layout_of(&m->layout[f], &metric_families[f])) {
			metrics_free(m);
			errno = EINVAL;
			return NULL;
		}
		if (mt_table_init(&m->family[f], &m->layout[f], max_series))
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
	size_t off;

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
	pthread_mutex_lock(&m->lock);
	mt_hist_add(mt_table_get(m, t, key, h), ns);
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
};

struct mt_snapshot {
	struct mt_view family[METRIC_FAMILY_COUNT], graph[MT_GRAPH_COUNT], alerts;
	struct agent_counters agent;
	uint64_t overflows;
};

static size_t mt_view_bytes(const struct mt_table *t)
{
	return ((size_t)t->used + 1) * sizeof(struct mt_hist) +
	       (size_t)t->used * t->layout->key_size;
}

/* Points v at t, or copies t into mem (mt_view_bytes, 8-aligned) when mem is set. */
static char *mt_view_of(struct mt_view *v, const struct mt_table *t, char *mem)
{
	size_t ks = t->layout->key_size;

	v->layout = t->layout;
	v->used = t->used;
	if (!mem) {
		v->keys = t->keys;
		v->hist = t->hist;
		v->other = &t->hist[t->cap];
		return NULL;
	}
	memcpy(mem, t->hist, (size_t)t->used * sizeof(struct mt_hist));
	memcpy(mem + (size_t)t->used * sizeof(struct mt_hist), &t->hist[t->cap],
	       sizeof(struct mt_hist));
	v->hist = (const struct mt_hist *)mem;
	v->other = v->hist + t->used;
	mem += ((size_t)t->used + 1) * sizeof(struct mt_hist);
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

static void mt_header(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void mt_hist_lines(FILE *out, const char *name, const char *labels,
			  const struct mt_hist *h)
{
	uint64_t cum = 0;
	uint32_t b;

	for (b = 0; b < MT_NBUCKETS; b++) {
		cum += h->bucket[b];
		fprintf(out, "%s_bucket%s,le=\"%s\"} %" PRIu64 "\n", name, labels,
			mt_bounds_le[b], cum);
	}
	fprintf(out, "%s_bucket%s,le=\"+Inf\"} %" PRIu64 "\n", name, labels, h->count);
	fprintf(out, "%s_sum%s} ", name, labels);
	mt_put_seconds(out, h->sum_ns);
	fprintf(out, "\n%s_count%s} %" PRIu64 "\n", name, labels, h->count);
}

/* One family: every used series in first-seen order, then "other" if used.
 * hist: histogram lines; else a counter of each histogram's count. */
static void mt_family(FILE *out, const struct mt_view *v, const char *name,
		      const char *help, int hist)
{
	char labels[MT_LABELS_TEXT_MAX], other[MT_KEY_MAX];
	const struct mt_layout *l = v->layout;
	const struct mt_hist *h;
	const char *key;
	size_t off = 0;
	uint32_t i;

	memset(other, 0, sizeof(other));
	for (i = 0; i < l->nlabels; i++) {
		memcpy(other + off, MT_OTHER, sizeof(MT_OTHER));
		off += l->label[i].width;
	}
	mt_header(out, name, hist ? "histogram" : "counter", help);
	for (i = 0; i <= v->used; i++) {
		h = i < v->used ? &v->hist[i] : v->other;
		key = i < v->used ? v->keys + (size_t)i * l->key_size : other;
		if (i == v->used && !h->count)
			break;
		mt_labels_text(labels, l, key);
		if (hist)
			mt_hist_lines(out, name, labels, h);
		else
			fprintf(out, "%s%s} %" PRIu64 "\n", name, labels, h->count);
	}
}

static void mt_scalar(FILE *out, const char *name, const char *type,
		      const char *help, uint64_t v)
{
	mt_header(out, name, type, help);
	fprintf(out, "%s %" PRIu64 "\n", name, v);
}

/* Client calls by the task that made them, linked or not (README "Traces"). */
static void mt_task_calls(FILE *out, const struct agent_counters *a, int linked)
{
	const char *name = linked ? "zerotrace_calls_linked_total" : "zerotrace_calls_unlinked_total";

	mt_header(out, name, "counter",
		  linked ? "Client calls given a parent by the in-process rule, by the task that made them." :
			   "Client calls no rule gave a parent, by the task that made them.");
	for (uint32_t i = 0; i < AGENT_TASK_KINDS_MAX && a->calls[i].task; i++)
		fprintf(out, "%s{task=\"%s\"} %" PRIu64 "\n", name, a->calls[i].task,
			linked ? a->calls[i].linked : a->calls[i].unlinked);
}

/* Head sampling: the ratio in force, and spans by decision and reason. */
static void mt_sampling(FILE *out, const struct agent_counters *a)
{
	static const char name[] = "zerotrace_spans_sampled_total";

	mt_header(out, "zerotrace_sample_ratio", "gauge",
		  "The fraction of new traces exported (--sample-ratio, lowered under load).");
	fprintf(out, "zerotrace_sample_ratio %.9g\n", a->sample_ratio);
	mt_header(out, name, "counter",
		  "Spans by their trace's sampling decision (kept: exported; sampled_out: "
		  "counted in every metric, not exported) and its reason.");
	for (uint32_t i = 0; i < AGENT_SAMPLE_REASONS_MAX && a->sampling[i].reason; i++) {
		fprintf(out, "%s{decision=\"kept\",reason=\"%s\"} %" PRIu64 "\n", name,
			a->sampling[i].reason, a->sampling[i].kept);
		fprintf(out, "%s{decision=\"sampled_out\",reason=\"%s\"} %" PRIu64 "\n", name,
			a->sampling[i].reason, a->sampling[i].sampled_out);
	}
}

static void mt_render_view(FILE *out, const struct mt_snapshot *s)
{
	const struct agent_counters *a = &s->agent;

	for (uint32_t f = METRIC_NONE + 1; f < METRIC_FAMILY_COUNT; f++)
		mt_family(out, &s->family[f], metric_families[f].name, metric_families[f].help, 1);
	for (uint32_t g = 0; g < MT_GRAPH_COUNT; g++)
		mt_family(out, &s->graph[g], mt_graph_desc[g].name, mt_graph_desc[g].help,
			  mt_graph_desc[g].hist);
	mt_family(out, &s->alerts, "zerotrace_alerts_total",
		  "Security alerts raised, by rule and severity (deduplicated repeats included).", 0);
	mt_scalar(out, "zerotrace_events_total", "counter",
		  "Events read from the BPF ring buffer.", a->events);
	mt_scalar(out, "zerotrace_ringbuf_drops_total", "counter",
		  "Events the BPF programs could not put in the ring buffer.", a->ringbuf_drops);
	mt_scalar(out, "zerotrace_parse_misses_total", "counter",
		  "Payloads the HTTP parser could not use.", a->parse_misses);
	mt_scalar(out, "zerotrace_spans_total", "counter", "Spans built.", a->spans);
	mt_scalar(out, "zerotrace_spans_exported_total", "counter",
		  "Spans the exporter delivered.", a->spans_exported);
	mt_scalar(out, "zerotrace_export_failures_total", "counter",
		  "Export attempts that failed.", a->export_failures);
	mt_scalar(out, "zerotrace_export_dropped_total", "counter",
		  "Spans the exporter dropped.", a->export_dropped);
	mt_scalar(out, "zerotrace_export_queue_depth", "gauge",
		  "Spans waiting in the export queue.", a->queue_depth);
	mt_scalar(out, "zerotrace_connections_tracked", "gauge",
		  "Connections in the connection table.", a->conns_tracked);
	mt_scalar(out, "zerotrace_metric_series_overflow_total", "counter",
		  "Recordings that went to the \"other\" series because their family "
		  "had reached its series cap.", s->overflows);
	mt_task_calls(out, a, 1);
	mt_task_calls(out, a, 0);
	mt_sampling(out, a);
}

void metrics_render(struct metrics *m, FILE *out)
{
	struct mt_snapshot s;
	size_t bytes;
	char *mem, *p;
	uint32_t f;

	if (!m || !out)
		return;
	pthread_mutex_lock(&m->lock);
	s.agent = m->agent;
	s.overflows = m->overflows;
	/* Each view's keys end 8-aligned: + 8 covers the padding of each. */
	bytes = mt_view_bytes(&m->alerts) + 8;
	for (uint32_t g = 0; g < MT_GRAPH_COUNT; g++)
		bytes += mt_view_bytes(&m->graph[g]) + 8;
	for (f = METRIC_NONE + 1; f < METRIC_FAMILY_COUNT; f++)
		bytes += mt_view_bytes(&m->family[f]) + 8;
	mem = malloc(bytes);
	if (!mem) {
		/* No memory for a copy: format under the lock instead. */
		for (f = METRIC_NONE + 1; f < METRIC_FAMILY_COUNT; f++)
			mt_view_of(&s.family[f], &m->family[f], NULL);
		for (uint32_t g = 0; g < MT_GRAPH_COUNT; g++)
			mt_view_of(&s.graph[g], &m->graph[g], NULL);
		mt_view_of(&s.alerts, &m->alerts, NULL);
		mt_render_view(out, &s);
		pthread_mutex_unlock(&m->lock);
		return;
	}
	p = mem;
	for (f = METRIC_NONE + 1; f < METRIC_FAMILY_COUNT; f++)
		p = mt_view_of(&s.family[f], &m->family[f], p);
	for (uint32_t g = 0; g < MT_GRAPH_COUNT; g++)
		p = mt_view_of(&s.graph[g], &m->graph[g], p);
	mt_view_of(&s.alerts, &m->alerts, p);
	pthread_mutex_unlock(&m->lock);
	mt_render_view(out, &s);
	free(mem);
}
