// SPDX-License-Identifier: MIT
/*
 * The registry's exposition: a snapshot of the used series taken under the
 * lock, formatted without it, as the Prometheus text format 0.0.4 or as
 * OpenMetrics 1.0.0 (exemplars, counter families without _total, # EOF).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "metrics_internal.h"
#include "span_format.h"

/* The service graph's families, by enum mt_graph. */
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

/* --logs: log writes by outcome (README "Logs linked to traces"). */
static void mt_log_writes(FILE *out, const struct agent_counters *a, int om)
{
	static const char name[] = "zerotrace_log_writes_total";

	mt_header(out, name, "counter",
		  "Log writes of traced servers (--logs) by outcome: a record linked to its "
		  "request, a record under no request or under several, or no record (not one line).",
		  om);
	for (uint32_t i = 0; i < AGENT_LOG_OUTCOMES_MAX && a->logs[i].outcome; i++)
		fprintf(out, "%s{outcome=\"%s\"} %" PRIu64 "\n", name, a->logs[i].outcome,
			a->logs[i].writes);
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
	mt_log_writes(out, a, om);
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
