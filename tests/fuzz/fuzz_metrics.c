// SPDX-License-Identifier: MIT
/*
 * Fuzzes the metrics registry against an independent model.
 *
 * Input: byte 0 picks max_series (0..5); then operations, each an op byte
 * and its operands: record a SERVER or CLIENT span of an HTTP exchange (as
 * the agent builds it: span_fixture.h) or of any metric family (none
 * included) with raw label values (labels raw from the input or from a
 * small pool, so series repeat; durations on and around the bucket bounds),
 * record a span of no known kind, record a call of the service graph (ends
 * by service or address, any connection type, error, either side seen),
 * record an alert (any rule and severity, in range or not, any count), set
 * the agent counters, or render and check now.
 *
 * Checks, at every render:
 * - the output is valid UTF-8, and its comment lines are exactly HELP then
 *   TYPE of each family, in order: every described duration family
 *   (metric_family.h; the two HTTP ones first), then the fixed ones;
 * - the sample lines equal, byte for byte, what the model renders: series in
 *   first-seen order, up to max_series per family then "other" (and a real
 *   all-"other" label set in that series, not counted), label values made
 *   cut to their label's width, valid UTF-8 (U+FFFD per bad byte, cut at a
 *   character boundary to fit),
 *   escaped, cumulative buckets, exact sums, the service graph's four
 *   families (a server known by address as address:port, [v6]:port), the
 *   alerts by rule and severity (each counting its count), the agent
 *   counters and the overflow count;
 * - metrics_overflows() equals the model's count;
 * - the same again in OpenMetrics: counter families named without _total,
 *   HELP quotes escaped, "# EOF" last, and on each bucket line of a span
 *   family the exemplar of the last span in it whose trace was sampled and
 *   whose trace id is not zero.
 */
#define _GNU_SOURCE /* open_memstream */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "../unit/span_fixture.h"
#include "fuzz_check.h"

#define FZ_MAX_SERIES 5
#define FZ_NB 14
#define FZ_METHOD_MAX 24  /* the HTTP label widths */
#define FZ_ROUTE_MAX 256
#define FZ_STATUS_MAX 8
#define FZ_LABEL_MAX (METRIC_LABELS_TEXT_MAX > SPAN_SERVICE_MAX ? METRIC_LABELS_TEXT_MAX : \
		      SPAN_SERVICE_MAX)
#define FZ_GRAPH 4 /* total, failed, server seconds, client seconds */

static const uint64_t fz_bounds[FZ_NB] = {
	5000000ULL,   10000000ULL,   25000000ULL,   50000000ULL,  75000000ULL,
	100000000ULL, 250000000ULL,  500000000ULL,  750000000ULL, 1000000000ULL,
	2500000000ULL, 5000000000ULL, 7500000000ULL, 10000000000ULL,
};
static const char *const fz_le[FZ_NB] = {
	"0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25",
	"0.5",   "0.75", "1",     "2.5",  "5",     "7.5", "10",
};

struct fz_exemplar {
	int set;
	uint8_t trace[16], span[8];
	uint64_t value, ts;
};

struct fz_hist {
	uint64_t b[FZ_NB + 1];
	uint64_t count, sum;
	struct fz_exemplar ex[FZ_NB + 1];
};

struct fz_series {
	char l[1 + METRIC_LABELS_MAX][FZ_LABEL_MAX];
	struct fz_hist h;
};

struct fz_family {
	int nl;
	const char *names[1 + METRIC_LABELS_MAX];
	size_t width[1 + METRIC_LABELS_MAX];
	int n;
	struct fz_series s[ALERT_RULE_COUNT * ALERT_SEV_COUNT];
	struct fz_hist other;
};

struct fz_model {
	uint32_t cap;
	struct fz_family fam[METRIC_FAMILY_COUNT]; /* by enum metric_family; 0 unused */
	struct fz_family graph[FZ_GRAPH];
	struct fz_family alerts;
	uint64_t overflows;
	struct agent_counters agent;
};

struct fz_in {
	const uint8_t *p;
	size_t n;
};

static uint8_t fz_byte(struct fz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* ---- reference label sanitizing and escaping ---- */

/* Decodes one character by computing its code point; length or 0 if invalid. */
static size_t ref_utf8(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	size_t len, k;
	uint32_t cp, min;

	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		len = 2, cp = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		len = 3, cp = c & 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		len = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Whole characters (bad bytes as U+FFFD) while they fit in width - 1. */
static void ref_sanitize(char *out, size_t width, const char *s)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t n = strlen(s), i = 0, o = 0, len;

	while (i < n) {
		len = ref_utf8(u + i, n - i);
		if (o + (len ? len : 3) > width - 1)
			break;
		if (len) {
			memcpy(out + o, s + i, len);
			o += len;
			i += len;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
}

static void ref_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

/* Exact decimal seconds: digits of ns, a point before the last nine,
 * trailing zeros (and a bare point) dropped. */
static void ref_seconds(FILE *f, uint64_t ns)
{
	char d[32], s[40], *p = s;
	int n = 0, i;

	do {
		d[n++] = (char)('0' + ns % 10);
		ns /= 10;
	} while (ns);
	while (n < 10)
		d[n++] = '0';
	for (i = n - 1; i >= 9; i--)
		*p++ = d[i];
	*p++ = '.';
	for (i = 8; i >= 0; i--)
		*p++ = d[i];
	*p = '\0';
	while (p[-1] == '0')
		*--p = '\0';
	if (p[-1] == '.')
		*--p = '\0';
	fputs(s, f);
}

/* ---- model ---- */

static void fz_hist_add(struct fz_hist *h, uint64_t ns);

/* A counter's n at once (the registry adds an alert's count so). */
static void fz_hist_add_n(struct fz_hist *h, uint64_t ns, uint64_t n)
{
	if (n != 1) {
		h->b[0] += n;
		h->count += n;
		return;
	}
	fz_hist_add(h, ns);
}

static int fz_bucket(uint64_t ns)
{
	int b;

	for (b = 0; b < FZ_NB; b++)
		if (ns <= fz_bounds[b])
			break;
	return b;
}

static void fz_hist_add(struct fz_hist *h, uint64_t ns)
{
	int b = fz_bucket(ns);

	h->b[b]++;
	h->count++;
	h->sum = h->sum + ns < h->sum ? UINT64_MAX : h->sum + ns;
}

/* labels already sanitized; n observations of ns (a counter's n); returns
 * the series' histogram */
static struct fz_hist *fz_family_add_n(struct fz_model *md, struct fz_family *f, uint32_t cap,
				       char lab[][FZ_LABEL_MAX], uint64_t ns, uint64_t n)
{
	struct fz_hist *h = &f->other;
	int i, k, all_other = 1;

	for (k = 0; k < f->nl; k++)
		all_other &= strcmp(lab[k], "other") == 0;
	for (i = 0; !all_other && i < f->n; i++) {
		for (k = 0; k < f->nl; k++)
			if (strcmp(f->s[i].l[k], lab[k]) != 0)
				break;
		if (k == f->nl)
			break;
	}
	if (!all_other && i < f->n) {
		h = &f->s[i].h;
	} else if (!all_other && (uint32_t)f->n < cap) {
		for (k = 0; k < f->nl; k++)
			strcpy(f->s[f->n].l[k], lab[k]);
		h = &f->s[f->n++].h;
	} else if (!all_other) {
		md->overflows++;
	}
	fz_hist_add_n(h, ns, n);
	return h;
}

static struct fz_hist *fz_family_add(struct fz_model *md, struct fz_family *f,
				     char lab[][FZ_LABEL_MAX], uint64_t ns)
{
	return fz_family_add_n(md, f, md->cap, lab, ns, 1);
}

/* A span recorded with its metric family and raw label values (each cut
 * to its label's width, as the span carries them). */
static void fz_model_record(struct fz_model *md, const struct span *s, uint8_t family,
			    const char *const vals[METRIC_LABELS_MAX])
{
	char lab[1 + METRIC_LABELS_MAX][FZ_LABEL_MAX], cut[FZ_LABEL_MAX];
	uint64_t ns = s->end_unix_ns > s->start_unix_ns ? s->end_unix_ns - s->start_unix_ns : 0;
	static const uint8_t zero[16];
	struct fz_hist *h;

	if (s->kind != SPAN_KIND_SERVER && s->kind != SPAN_KIND_CLIENT)
		return;
	if (family > METRIC_NONE && family < METRIC_FAMILY_COUNT) {
		struct fz_family *f = &md->fam[family];

		ref_sanitize(lab[0], SPAN_SERVICE_MAX, s->service_name);
		for (int k = 1; k < f->nl; k++) {
			snprintf(cut, sizeof(cut), "%.*s", (int)(f->width[k] - 1),
				 vals[k - 1] ? vals[k - 1] : "");
			ref_sanitize(lab[k], f->width[k], cut);
		}
		h = fz_family_add(md, f, lab, ns);
		if (s->sampled && memcmp(s->trace_id, zero, sizeof(zero)) != 0) {
			struct fz_exemplar *e = &h->ex[fz_bucket(ns)];

			e->set = 1;
			memcpy(e->trace, s->trace_id, 16);
			memcpy(e->span, s->span_id, 8);
			e->value = ns;
			e->ts = s->end_unix_ns;
		}
	}
}

/* One call: its ends as the graph names them (a server by address with
 * its port), its connection type. */
static void fz_model_call(struct fz_model *md, const struct call *c)
{
	static const char *const ct[] = { "", "virtual_node", "database" };
	char lab[3][FZ_LABEL_MAX], server[SPAN_SERVICE_MAX + 64];

	if (c->server.address[0] && strchr(c->server.address, ':'))
		snprintf(server, sizeof(server), "[%s]:%u", c->server.address, c->port);
	else if (c->server.address[0])
		snprintf(server, sizeof(server), "%s:%u", c->server.address, c->port);
	else
		snprintf(server, sizeof(server), "%s", c->server.service);
	ref_sanitize(lab[0], SPAN_SERVICE_MAX, c->client.address[0] ? c->client.address : c->client.service);
	ref_sanitize(lab[1], SPAN_SERVICE_MAX, server);
	ref_sanitize(lab[2], 16, c->connection < 3 ? ct[c->connection] : "");
	fz_family_add(md, &md->graph[0], lab, 0);
	if (c->error)
		fz_family_add(md, &md->graph[1], lab, 0);
	if (c->server_seen)
		fz_family_add(md, &md->graph[2], lab, c->server_ns);
	if (c->client_seen)
		fz_family_add(md, &md->graph[3], lab, c->client_ns);
}

static void fz_model_alert(struct fz_model *md, const struct alert *a)
{
	char lab[2][FZ_LABEL_MAX];

	if (a->rule >= ALERT_RULE_COUNT)
		return;
	ref_sanitize(lab[0], 32, alert_rules[a->rule].name);
	ref_sanitize(lab[1], 16, alert_severity_name(a->severity));
	fz_family_add_n(md, &md->alerts, ALERT_RULE_COUNT * ALERT_SEV_COUNT, lab, 0,
			a->count ? a->count : 1);
}

/* ---- expected samples ---- */

static void fz_labels(FILE *f, const struct fz_family *fam, const char (*l)[FZ_LABEL_MAX])
{
	int k;

	fputc('{', f);
	for (k = 0; k < fam->nl; k++) {
		fprintf(f, "%s%s=\"", k ? "," : "", fam->names[k]);
		ref_escape(f, l ? l[k] : "other");
		fputc('"', f);
	}
}

/* " # {trace_id=..,span_id=..} value ts", OpenMetrics only */
static void fz_exemplar(FILE *f, const struct fz_exemplar *e, int om)
{
	if (!om || !e->set)
		return;
	fputs(" # {trace_id=\"", f);
	for (int i = 0; i < 16; i++)
		fprintf(f, "%02x", e->trace[i]);
	fputs("\",span_id=\"", f);
	for (int i = 0; i < 8; i++)
		fprintf(f, "%02x", e->span[i]);
	fputs("\"} ", f);
	ref_seconds(f, e->value);
	fputc(' ', f);
	ref_seconds(f, e->ts);
}

static void fz_expect_family(FILE *f, const struct fz_family *fam, const char *name, int hist,
			     int om)
{
	const struct fz_hist *h;
	uint64_t cum;
	int i, b;

	for (i = 0; i <= fam->n; i++) {
		h = i < fam->n ? &fam->s[i].h : &fam->other;
		if (i == fam->n && !h->count)
			break;
		if (!hist) {
			fputs(name, f);
			fz_labels(f, fam, i < fam->n ? fam->s[i].l : NULL);
			fprintf(f, "} %" PRIu64 "\n", h->count);
			continue;
		}
		cum = 0;
		for (b = 0; b <= FZ_NB; b++) {
			cum += h->b[b];
			fprintf(f, "%s_bucket", name);
			fz_labels(f, fam, i < fam->n ? fam->s[i].l : NULL);
			fprintf(f, ",le=\"%s\"} %" PRIu64, b < FZ_NB ? fz_le[b] : "+Inf", cum);
			fz_exemplar(f, &h->ex[b], om);
			fputc('\n', f);
		}
		fprintf(f, "%s_sum", name);
		fz_labels(f, fam, i < fam->n ? fam->s[i].l : NULL);
		fputs("} ", f);
		ref_seconds(f, h->sum);
		fprintf(f, "\n%s_count", name);
		fz_labels(f, fam, i < fam->n ? fam->s[i].l : NULL);
		fprintf(f, "} %" PRIu64 "\n", h->count);
	}
}

/* After the described duration families (histograms), in this order. */
static const struct {
	const char *name, *type;
} fz_families[] = {
	{ "traces_service_graph_request_total", "counter" },
	{ "traces_service_graph_request_failed_total", "counter" },
	{ "traces_service_graph_request_server_seconds", "histogram" },
	{ "traces_service_graph_request_client_seconds", "histogram" },
	{ "zerotrace_alerts_total", "counter" },
	{ "zerotrace_events_total", "counter" },
	{ "zerotrace_ringbuf_drops_total", "counter" },
	{ "zerotrace_parse_misses_total", "counter" },
	{ "zerotrace_spans_total", "counter" },
	{ "zerotrace_spans_exported_total", "counter" },
	{ "zerotrace_export_failures_total", "counter" },
	{ "zerotrace_export_dropped_total", "counter" },
	{ "zerotrace_export_queue_depth", "gauge" },
	{ "zerotrace_connections_tracked", "gauge" },
	{ "zerotrace_metric_series_overflow_total", "counter" },
	{ "zerotrace_calls_linked_total", "counter" },
	{ "zerotrace_calls_unlinked_total", "counter" },
	{ "zerotrace_sample_ratio", "gauge" },
	{ "zerotrace_spans_sampled_total", "counter" },
	{ "zerotrace_log_writes_total", "counter" },
};

/* Task names the agent gives the calls counters (stitch_task_class_names). */
static const char *const fz_tasks[] = { "thread", "goroutine", "handoff", "process" };
/* Reasons the agent gives the sampling counters (sample_reason_names). */
static const char *const fz_reasons[] = { "all", "ratio", "parent", "error", "slow" };
/* Outcomes the agent gives the log counters (tracer_log_outcome_names). */
static const char *const fz_outcomes[] = { "linked", "no_request", "ambiguous", "not_one_line",
					    "too_long" };

static char *fz_expected(const struct fz_model *md, size_t *len, int om)
{
	const struct agent_counters *a = &md->agent;
	const uint64_t scalars[] = {
		a->events, a->ringbuf_drops, a->parse_misses, a->spans, a->spans_exported,
		a->export_failures, a->export_dropped, a->queue_depth, a->conns_tracked,
		md->overflows,
	};
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	size_t i;

	CHECK(f);
	for (i = METRIC_NONE + 1; i < METRIC_FAMILY_COUNT; i++)
		fz_expect_family(f, &md->fam[i], metric_families[i].name, 1, om);
	for (i = 0; i < FZ_GRAPH; i++)
		fz_expect_family(f, &md->graph[i], fz_families[i].name, i >= 2, om);
	fz_expect_family(f, &md->alerts, fz_families[FZ_GRAPH].name, 0, om);
	for (i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
		fprintf(f, "%s %" PRIu64 "\n", fz_families[FZ_GRAPH + 1 + i].name, scalars[i]);
	for (int linked = 1; linked >= 0; linked--) {
		const char *name = fz_families[FZ_GRAPH + 1 + i + !linked].name;

		for (size_t k = 0; k < AGENT_TASK_KINDS_MAX && a->calls[k].task; k++)
			fprintf(f, "%s{task=\"%s\"} %" PRIu64 "\n", name, a->calls[k].task,
				linked ? a->calls[k].linked : a->calls[k].unlinked);
	}
	fprintf(f, "zerotrace_sample_ratio %.9g\n", a->sample_ratio);
	for (size_t k = 0; k < AGENT_SAMPLE_REASONS_MAX && a->sampling[k].reason; k++)
		fprintf(f, "zerotrace_spans_sampled_total{decision=\"kept\",reason=\"%s\"} %" PRIu64
			"\nzerotrace_spans_sampled_total{decision=\"sampled_out\",reason=\"%s\"} %" PRIu64
			"\n", a->sampling[k].reason, a->sampling[k].kept, a->sampling[k].reason,
			a->sampling[k].sampled_out);
	for (size_t k = 0; k < AGENT_LOG_OUTCOMES_MAX && a->logs[k].outcome; k++)
		fprintf(f, "zerotrace_log_writes_total{outcome=\"%s\"} %" PRIu64 "\n",
			a->logs[k].outcome, a->logs[k].writes);
	CHECK(fclose(f) == 0);
	return buf;
}

/* ---- checking a render ---- */

#define FZ_N_DURATION ((size_t)METRIC_FAMILY_COUNT - 1)

/* The name of the i-th family of the exposition: OpenMetrics names a
 * counter's family without its _total. */
static void fz_family_name(char *out, size_t size, size_t i, int om)
{
	const char *name = i < FZ_N_DURATION ? metric_families[METRIC_NONE + 1 + i].name :
					       fz_families[i - FZ_N_DURATION].name;
	size_t n = strlen(name);

	if (om && i >= FZ_N_DURATION && strcmp(fz_families[i - FZ_N_DURATION].type, "counter") == 0) {
		CHECK(n > 6 && strcmp(name + n - 6, "_total") == 0);
		n -= 6;
	}
	snprintf(out, size, "%.*s", (int)n, name);
}

static void fz_check_format(struct metrics *m, const struct fz_model *md, int om)
{
	char *out = NULL, *want, *samples, *line, *next, head[160], name[128];
	size_t len = 0, want_len, i, fam = 0, o = 0;
	FILE *f = open_memstream(&out, &len);

	CHECK(f);
	metrics_render(m, f, om ? METRICS_OPENMETRICS : METRICS_TEXT);
	CHECK(fclose(f) == 0 && out);
	CHECK(strlen(out) == len);
	for (i = 0; i < len;) {
		size_t k = ref_utf8((const uint8_t *)out + i, len - i);

		CHECK(k);
		i += k;
	}
	CHECK(len && out[len - 1] == '\n');
	if (om) {
		CHECK(len >= 6 && strcmp(out + len - 6, "# EOF\n") == 0);
		out[len -= 6] = '\0';
	}
	CHECK(strncmp(out, "# EOF", 5) != 0 && !strstr(out, "\n# EOF")); /* only the last line */

	/* Comments: HELP and TYPE of each family in order; the rest are samples. */
	samples = malloc(len + 1);
	CHECK(samples);
	for (line = out; *line; line = next) {
		next = strchr(line, '\n') + 1;
		if (line[0] != '#') {
			memcpy(samples + o, line, (size_t)(next - line));
			o += (size_t)(next - line);
			continue;
		}
		CHECK(fam < FZ_N_DURATION + sizeof(fz_families) / sizeof(fz_families[0]));
		fz_family_name(name, sizeof(name), fam, om);
		snprintf(head, sizeof(head), "# HELP %s ", name);
		CHECK(strncmp(line, head, strlen(head)) == 0);
		/* OpenMetrics escapes a quote in HELP; the text format need not */
		for (const char *q = line + strlen(head); om && *q != '\n'; q++)
			CHECK(*q != '"' || q[-1] == '\\');
		line = next;
		next = strchr(line, '\n') + 1;
		snprintf(head, sizeof(head), "# TYPE %s %s\n", name,
			 fam < FZ_N_DURATION ? "histogram" : fz_families[fam - FZ_N_DURATION].type);
		CHECK((size_t)(next - line) == strlen(head) && strncmp(line, head, strlen(head)) == 0);
		fam++;
	}
	samples[o] = '\0';
	CHECK(fam == FZ_N_DURATION + sizeof(fz_families) / sizeof(fz_families[0]));

	want = fz_expected(md, &want_len, om);
	if (want_len != o || memcmp(want, samples, o) != 0) {
		fprintf(stderr, "---- got:\n%s---- want:\n%s", samples, want);
		CHECK(0);
	}
	CHECK(metrics_overflows(m) == md->overflows);
	free(want);
	free(samples);
	free(out);
}

static void fz_check(struct metrics *m, const struct fz_model *md)
{
	fz_check_format(m, md, 0);
	fz_check_format(m, md, 1);
}

/* ---- input to spans ---- */

static const char *const fz_pool[] = { "other", "a", "b", "GET", "/x", "caf\xc3\xa9", "\xff" };
static const char *const fz_addrs[] = { "127.0.0.1", "::1", "10.0.0.1", "fe80::2" };

/* A label from the pool (high bit) or raw input bytes, NUL-terminated. */
static void fz_string(struct fz_in *in, char *out, size_t size)
{
	uint8_t b = fz_byte(in);
	size_t n, i;

	if (b & 0x80) {
		snprintf(out, size, "%s", fz_pool[(b & 0x7f) % (sizeof(fz_pool) / sizeof(fz_pool[0]))]);
		return;
	}
	n = b % size;
	for (i = 0; i < n; i++)
		out[i] = (char)fz_byte(in);
	out[n] = '\0';
}

static uint64_t fz_duration(uint8_t b, struct span *s)
{
	static const uint64_t d[] = {
		0, 1, 5000000, 5000001, 10000000, 25000000, 75000000, 100000000,
		999999999, 1000000000, 2500000001ULL, 10000000000ULL, 10000000001ULL,
		1000000000000ULL,
	};

	s->start_unix_ns = 1700000000000000000ULL;
	if ((b & 15) == 14) { /* the whole range */
		s->start_unix_ns = 0;
		return s->end_unix_ns = UINT64_MAX;
	}
	if ((b & 15) == 15) { /* ends before it starts */
		s->end_unix_ns = s->start_unix_ns - 1;
		return 0;
	}
	s->end_unix_ns = s->start_unix_ns + d[b & 15];
	return d[b & 15];
}

/* The families as described; the HTTP ones first, with the labels and
 * widths an HTTP span has always had. */
static void fz_model_init(struct fz_model *md)
{
	static const char *const http[] = { "http_request_method", "http_route",
					    "http_response_status_code" };
	static const size_t http_width[] = { FZ_METHOD_MAX, FZ_ROUTE_MAX, FZ_STATUS_MAX };

	CHECK(strcmp(metric_families[METRIC_HTTP_SERVER].name,
		     "http_server_request_duration_seconds") == 0);
	CHECK(strcmp(metric_families[METRIC_HTTP_CLIENT].name,
		     "http_client_request_duration_seconds") == 0);
	CHECK(METRIC_HTTP_SERVER == 1 && METRIC_HTTP_CLIENT == 2);
	md->agent.sample_ratio = 1; /* metrics_new's, until the agent says */
	for (uint32_t f = METRIC_HTTP_SERVER; f <= METRIC_HTTP_CLIENT; f++) {
		CHECK(metric_families[f].nlabels == 3);
		for (int k = 0; k < 3; k++) {
			CHECK(strcmp(metric_families[f].label[k].name, http[k]) == 0);
			CHECK(metric_families[f].label[k].width == http_width[k]);
		}
	}
	for (uint32_t f = METRIC_NONE + 1; f < METRIC_FAMILY_COUNT; f++) {
		const struct metric_family_desc *d = &metric_families[f];
		struct fz_family *fam = &md->fam[f];

		CHECK(d->nlabels <= METRIC_LABELS_MAX);
		fam->nl = 1 + (int)d->nlabels;
		fam->names[0] = "service_name";
		fam->width[0] = SPAN_SERVICE_MAX;
		for (uint32_t k = 0; k < d->nlabels; k++) {
			CHECK(d->label[k].width >= 1 && d->label[k].width <= FZ_LABEL_MAX);
			fam->names[1 + k] = d->label[k].name;
			fam->width[1 + k] = d->label[k].width;
		}
	}
	for (int g = 0; g < FZ_GRAPH; g++) {
		md->graph[g].nl = 3;
		md->graph[g].names[0] = "client";
		md->graph[g].names[1] = "server";
		md->graph[g].names[2] = "connection_type";
	}
	md->alerts.nl = 2;
	md->alerts.names[0] = "rule";
	md->alerts.names[1] = "severity";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct fz_model *md;
	struct metrics *m;
	static struct span s;
	static char val[METRIC_LABELS_MAX][FZ_LABEL_MAX + 64];
	const char *vals[METRIC_LABELS_MAX];
	uint16_t status;
	uint8_t op, family, exemplar;
	int ops = 0;

	md = calloc(1, sizeof(*md));
	CHECK(md);
	md->cap = fz_byte(&in) % (FZ_MAX_SERIES + 1);
	fz_model_init(md);
	m = metrics_new(md->cap);
	CHECK(m);

	while (in.n && ops++ < 64) {
		op = fz_byte(&in);
		if ((op & 3) == 3) {
			fz_check(m, md);
			continue;
		}
		if ((op & 3) == 2 && (op & 48) == 32) {
			static struct call c;
			uint8_t b = fz_byte(&in);

			memset(&c, 0, sizeof(c));
			if (b & 1)
				snprintf(c.client.address, sizeof(c.client.address), "%s",
					 fz_addrs[(b >> 1) % 4]);
			else
				fz_string(&in, c.client.service, sizeof(c.client.service));
			if (b & 8)
				snprintf(c.server.address, sizeof(c.server.address), "%s",
					 fz_addrs[(b >> 4) % 4]);
			else
				fz_string(&in, c.server.service, sizeof(c.server.service));
			b = fz_byte(&in);
			c.connection = b % 4;
			c.error = (b >> 2) & 1;
			c.client_seen = (b >> 3) & 1;
			c.server_seen = (b >> 4) & 1;
			c.port = fz_byte(&in);
			c.client_ns = fz_duration(fz_byte(&in), &s);
			c.server_ns = fz_duration(fz_byte(&in), &s);
			metrics_record_call(m, &c);
			fz_model_call(md, &c);
			continue;
		}
		if ((op & 3) == 2 && (op & 48) == 48) {
			struct alert a;

			memset(&a, 0, sizeof(a));
			a.rule = fz_byte(&in) % (ALERT_RULE_COUNT + 1);
			a.severity = fz_byte(&in) % (ALERT_SEV_COUNT + 1);
			a.count = fz_byte(&in);
			metrics_record_alert(m, &a);
			fz_model_alert(md, &a);
			continue;
		}
		if ((op & 3) == 2 && (op & 16)) {
			uint64_t v[9];
			size_t k, n_tasks;

			for (k = 0; k < 9; k++)
				v[k] = (uint64_t)fz_byte(&in) * 1000003u;
			memset(&md->agent, 0, sizeof(md->agent));
			memcpy(&md->agent, v, sizeof(v));
			n_tasks = fz_byte(&in) % (sizeof(fz_tasks) / sizeof(fz_tasks[0]) + 1);
			for (k = 0; k < n_tasks; k++)
				md->agent.calls[k] = (struct agent_task_calls){
					.task = fz_tasks[k], .linked = fz_byte(&in),
					.unlinked = (uint64_t)fz_byte(&in) << 40 };
			md->agent.sample_ratio = (fz_byte(&in) + 1) / 256.0;
			n_tasks = fz_byte(&in) % (sizeof(fz_reasons) / sizeof(fz_reasons[0]) + 1);
			for (k = 0; k < n_tasks; k++)
				md->agent.sampling[k] = (struct agent_sample_counts){
					.reason = fz_reasons[k], .kept = fz_byte(&in),
					.sampled_out = (uint64_t)fz_byte(&in) << 33 };
			n_tasks = fz_byte(&in) % (sizeof(fz_outcomes) / sizeof(fz_outcomes[0]) + 1);
			for (k = 0; k < n_tasks; k++)
				md->agent.logs[k] = (struct agent_log_counts){
					.outcome = fz_outcomes[k], .writes = (uint64_t)fz_byte(&in) << 20 };
			metrics_set_agent(m, &md->agent);
			continue;
		}
		memset(&s, 0, sizeof(s));
		s.kind = (op & 3) == 0 ? SPAN_KIND_SERVER : (op & 3) == 1 ? SPAN_KIND_CLIENT : 0;
		status = 0;
		if (op & 4)
			status = (uint16_t)(fz_byte(&in) | fz_byte(&in) << 8);
		s.has_parent = (op >> 3) & 1;
		fz_duration(fz_byte(&in), &s);
		exemplar = fz_byte(&in);
		s.sampled = exemplar & 1;
		if (exemplar & 2) { /* ids from the input, else all zero: none */
			memset(s.trace_id, exemplar, sizeof(s.trace_id));
			s.trace_id[15] = (uint8_t)ops;
			memset(s.span_id, (uint8_t)~exemplar, sizeof(s.span_id));
		}
		fz_string(&in, s.service_name, sizeof(s.service_name));
		fz_string(&in, val[0], FZ_METHOD_MAX);
		fz_string(&in, val[1], FZ_ROUTE_MAX);
		if (op & 32) {
			/* any family (or none), raw values past their widths */
			family = fz_byte(&in) % (METRIC_FAMILY_COUNT + 1);
			fz_string(&in, val[2], sizeof(val[2]));
			if (op & 64) {
				memset(val[1] + strlen(val[1]), 'w',
				       sizeof(val[1]) - 1 - strlen(val[1]));
				val[1][sizeof(val[1]) - 1] = '\0';
			}
			vals[0] = val[0];
			vals[1] = val[1];
			vals[2] = (op & 128) ? NULL : val[2];
			span_metric_set(&s.metric, family, vals);
			if (family >= METRIC_FAMILY_COUNT)
				family = METRIC_NONE;
		} else {
			/* an HTTP exchange: method, route, status code */
			struct http_fields f = { .method = val[0], .path = val[1],
						 .status = status, .version_minor = 1 };

			span_fixture_http(&s, &f);
			family = s.kind == SPAN_KIND_SERVER ? METRIC_HTTP_SERVER :
							      METRIC_HTTP_CLIENT;
			val[2][0] = '\0';
			if (status)
				snprintf(val[2], sizeof(val[2]), "%u", status);
			vals[0] = val[0];
			vals[1] = val[1];
			vals[2] = val[2];
		}
		snprintf(s.server.address, sizeof(s.server.address), "%s",
			 fz_addrs[fz_byte(&in) % (sizeof(fz_addrs) / sizeof(fz_addrs[0]))]);
		s.server.port = fz_byte(&in);
		metrics_record_span(m, &s);
		fz_model_record(md, &s, family, vals);
	}
	fz_check(m, md);
	metrics_free(m);
	free(md);
	return 0;
}
