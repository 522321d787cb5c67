// SPDX-License-Identifier: MIT
/*
 * OTLP/HTTP exporter of spans and log records. Two halves:
 *
 * - Pure configuration code (environment, headers, backoff, Retry-After):
 *   no I/O, no globals, unit-tested and fuzzed.
 * - The queue and its thread. The event loop copies each finished span into
 *   a preallocated ring under one mutex and never waits for anything else;
 *   a full ring drops the span and counts it. The exporter thread claims up
 *   to max_batch slots, copies them out *without* the lock (the producer
 *   cannot reuse a slot until the thread gives it back, so the event loop
 *   never waits behind a 3 MB memcpy), encodes, gzips, and POSTs with
 *   libcurl, retrying the same bytes until max_retry_ms is spent.
 *
 * Log records (alerts, notes) have a second ring with the same rules, sent
 * by the same thread over the same handle to the logs URL: one batch at a
 * time, a log batch first whenever one is due (alerts are rare and
 * urgent; they never wait behind a backlog of spans). Retries, Retry-After,
 * the drain at stop and the request counters are shared; what is queued,
 * exported and dropped is counted per signal, log records one by one.
 *
 * libcurl runs through a one-handle multi stack rather than
 * curl_easy_perform so that stop can interrupt a request that hangs:
 * curl_multi_wakeup breaks the poll, and the drain deadline is checked on
 * every turn. The easy handle stays alive between batches, so the collector
 * connection is reused.
 */
#include "otlp_exporter.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "procinfo.h"
#include "text.h"

#ifndef ZT_VERSION
#define ZT_VERSION "dev"
#endif

#define OTLP_DEFAULT_TIMEOUT_MS 10000
#define OTLP_DEFAULT_MAX_BATCH 512
#define OTLP_DEFAULT_MAX_DELAY_MS 1000
#define OTLP_DEFAULT_QUEUE_SIZE 2048 /* the OTel batch processor default; 6 KiB a span */
#define OTLP_DEFAULT_MAX_RETRY_MS 60000
#define OTLP_DEFAULT_LOGS_QUEUE_SIZE 512 /* alerts are rare; 2 KiB a record */
#define OTLP_TIMEOUT_MAX_MS 3600000 /* an hour: anything longer is a typo */
#define OTLP_TRACES_PATH "/v1/traces"
#define OTLP_LOGS_PATH "/v1/logs"
#define OTLP_BACKOFF_BASE_MS 100
#define OTLP_BACKOFF_CAP_MS 5000
#define OTLP_RETRY_AFTER_CAP_MS 60000
#define OTLP_RETRY_AFTER_MAX 64      /* longer header values are not valid */
#define OTLP_POLL_MS 1000            /* longest curl_multi_poll between checks */
#define NS_PER_MS 1000000ULL

/* ---------------------------------------------------------------------- */
/* Pure parsers                                                           */
/* ---------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err && err_len) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Narrows [*s, *s + *n) to its content without surrounding spaces/tabs. */
static void trim(const char **s, size_t *n)
{
	while (*n && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

static int eq_nocase(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* Headers the exporter sets itself: a second copy would corrupt the request. */
static int is_reserved_header(const char *s, size_t n)
{
	return eq_nocase(s, n, "content-type") || eq_nocase(s, n, "content-encoding") ||
	       eq_nocase(s, n, "content-length") || eq_nocase(s, n, "transfer-encoding");
}

/* Percent-decodes [s, s + n) into out (cap bytes, NUL-terminated). Control
 * characters other than tab are refused: a decoded CR/LF would let a config
 * value inject headers. */
static int decode_value(const char *s, size_t n, char *out, size_t cap, const char **why)
{
	size_t i, o = 0;
	int hi, lo;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			hi = n - i >= 3 ? text_hex_value(s[i + 1]) : -1;
			lo = n - i >= 3 ? text_hex_value(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				*why = "bad percent-encoding";
				return -1;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			*why = "control character in value";
			return -1;
		}
		if (o + 1 >= cap) {
			*why = "value too long";
			return -1;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int otlp_parse_headers(struct otlp_config *cfg, const char *text, char *err, size_t err_len)
{
	/* Parsed aside and committed at the end: an error leaves cfg as it was. */
	struct otlp_header got[OTLP_HEADERS_MAX];
	const char *p = text, *end, *key, *val, *eq, *why;
	size_t klen, vlen, member = 0;
	uint32_t n = 0, room;

	if (cfg->n_headers > OTLP_HEADERS_MAX)
		return fail(err, err_len, "too many headers (at most %d)", OTLP_HEADERS_MAX);
	room = OTLP_HEADERS_MAX - cfg->n_headers;
	memset(got, 0, sizeof(got));
	while (p && *p) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		member++;
		key = p;
		klen = (size_t)(end - p);
		p = *end ? end + 1 : end;
		trim(&key, &klen);
		if (klen == 0)
			continue; /* "a=b,,c=d" and a trailing comma: nothing to set */
		eq = memchr(key, '=', klen);
		if (!eq)
			return fail(err, err_len, "header %zu: missing '='", member);
		val = eq + 1;
		vlen = klen - (size_t)(val - key);
		klen = (size_t)(eq - key);
		trim(&key, &klen);
		trim(&val, &vlen);
		if (klen == 0)
			return fail(err, err_len, "header %zu: empty name", member);
		for (size_t i = 0; i < klen; i++)
			if (!text_is_tchar(key[i]))
				return fail(err, err_len, "header %zu: invalid character in name",
					    member);
		if (klen >= sizeof(got[0].name))
			return fail(err, err_len, "header %zu: name longer than %zu bytes", member,
				    sizeof(got[0].name) - 1);
		if (is_reserved_header(key, klen))
			return fail(err, err_len, "header \"%.*s\" is set by the exporter",
				    (int)klen, key);
		if (n >= room)
			return fail(err, err_len, "too many headers (at most %d)", OTLP_HEADERS_MAX);
		/* The value may be a secret: errors name the header, never echo it. */
		if (decode_value(val, vlen, got[n].value, sizeof(got[n].value), &why) < 0)
			return fail(err, err_len, "header \"%.*s\": %s", (int)klen, key, why);
		memcpy(got[n].name, key, klen);
		n++;
	}
	memcpy(&cfg->headers[cfg->n_headers], got, n * sizeof(got[0]));
	cfg->n_headers += n;
	return 0;
}

/* The traces-specific variable when set and not empty, else the general one
 * (the SDK spec reads an empty value as unset); *which names the winner. */
static const char *env_pick(const char *(*getenv_fn)(const char *), const char *specific,
			    const char *general, const char **which)
{
	const char *v = getenv_fn(specific);

	*which = specific;
	if (v && *v)
		return v;
	v = getenv_fn(general);
	*which = general;
	return v && *v ? v : NULL;
}

/* Checks v and writes it to out (cap bytes), with `append` (a signal's
 * path, or NULL for a URL used as is). */
static int set_url(char *out, size_t cap, const char *var, const char *v, const char *append,
		   char *err, size_t err_len)
{
	size_t n = strlen(v), scheme, extra = append ? strlen(append) : 0;

	trim(&v, &n);
	if (n >= 7 && strncasecmp(v, "http://", 7) == 0)
		scheme = 7;
	else if (n >= 8 && strncasecmp(v, "https://", 8) == 0)
		scheme = 8;
	else
		return fail(err, err_len, "%s: the URL must start with http:// or https://", var);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f)
			return fail(err, err_len, "%s: space or control character in the URL",
				    var);
	/* The base URL gets "/v1/traces": "http://c:4318/" must not become
	 * "http://c:4318//v1/traces". */
	if (append)
		while (n > scheme && v[n - 1] == '/')
			n--;
	if (n == scheme || v[scheme] == '/')
		return fail(err, err_len, "%s: the URL has no host", var);
	if (n + extra >= cap)
		return fail(err, err_len, "%s: the URL is longer than %zu bytes", var, cap - 1);
	memcpy(out, v, n);
	if (extra)
		memcpy(out + n, append, extra);
	out[n + extra] = '\0';
	return 0;
}

int otlp_config_set_endpoint(struct otlp_config *cfg, const char *what, const char *base,
			     char *err, size_t err_len)
{
	char traces[sizeof(cfg->url)], logs[sizeof(cfg->logs_url)];

	if (set_url(traces, sizeof(traces), what, base, OTLP_TRACES_PATH, err, err_len) < 0 ||
	    set_url(logs, sizeof(logs), what, base, OTLP_LOGS_PATH, err, err_len) < 0)
		return -1;
	memcpy(cfg->url, traces, sizeof(traces));
	memcpy(cfg->logs_url, logs, sizeof(logs));
	return 0;
}

/* Plain decimal 1..OTLP_TIMEOUT_MAX_MS: no sign, no unit, no exponent. */
static int parse_timeout(const char *var, const char *v, uint32_t *out, char *err,
			 size_t err_len)
{
	size_t n = strlen(v);
	uint64_t x = 0;

	trim(&v, &n);
	if (n == 0)
		return fail(err, err_len, "%s: empty timeout", var);
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return fail(err, err_len, "%s: the timeout is whole milliseconds", var);
		x = x * 10 + (uint64_t)(v[i] - '0');
		if (x > OTLP_TIMEOUT_MAX_MS)
			break;
	}
	if (x < 1 || x > OTLP_TIMEOUT_MAX_MS)
		return fail(err, err_len, "%s: the timeout must be 1..%d ms", var,
			    OTLP_TIMEOUT_MAX_MS);
	*out = (uint32_t)x;
	return 0;
}

int otlp_config_from_env(struct otlp_config *cfg, const char *(*getenv_fn)(const char *),
			 char *err, size_t err_len)
{
	const char *v, *var;
	char sub[192];
	size_t n;

	memset(cfg, 0, sizeof(*cfg));
	cfg->protocol = OTLP_HTTP_PROTOBUF;
	cfg->timeout_ms = OTLP_DEFAULT_TIMEOUT_MS;
	cfg->max_batch = OTLP_DEFAULT_MAX_BATCH;
	cfg->max_delay_ms = OTLP_DEFAULT_MAX_DELAY_MS;
	cfg->queue_size = OTLP_DEFAULT_QUEUE_SIZE;
	cfg->max_retry_ms = OTLP_DEFAULT_MAX_RETRY_MS;
	cfg->logs_queue_size = OTLP_DEFAULT_LOGS_QUEUE_SIZE;
	if (err && err_len)
		err[0] = '\0';

	/* The signal-specific endpoint is the full URL; the general one is a
	 * base that every signal appends its path to. */
	v = getenv_fn("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
	if (v && *v) {
		if (set_url(cfg->url, sizeof(cfg->url), "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", v, NULL,
			    err, err_len) < 0)
			return -1;
	} else {
		v = getenv_fn("OTEL_EXPORTER_OTLP_ENDPOINT");
		if (v && *v &&
		    set_url(cfg->url, sizeof(cfg->url), "OTEL_EXPORTER_OTLP_ENDPOINT", v,
			    OTLP_TRACES_PATH, err, err_len) < 0)
			return -1;
	}
	v = getenv_fn("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT");
	if (v && *v) {
		if (set_url(cfg->logs_url, sizeof(cfg->logs_url), "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
			    v, NULL, err, err_len) < 0)
			return -1;
	} else {
		v = getenv_fn("OTEL_EXPORTER_OTLP_ENDPOINT");
		if (v && *v &&
		    set_url(cfg->logs_url, sizeof(cfg->logs_url), "OTEL_EXPORTER_OTLP_ENDPOINT", v,
			    OTLP_LOGS_PATH, err, err_len) < 0)
			return -1;
	}

	v = env_pick(getenv_fn, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
		     "OTEL_EXPORTER_OTLP_PROTOCOL", &var);
	if (v) {
		n = strlen(v);
		trim(&v, &n);
		if (eq_nocase(v, n, "http/protobuf"))
			cfg->protocol = OTLP_HTTP_PROTOBUF;
		else if (eq_nocase(v, n, "http/json"))
			cfg->protocol = OTLP_HTTP_JSON;
		else if (eq_nocase(v, n, "grpc"))
			return fail(err, err_len, "%s: grpc is not supported; use http/protobuf",
				    var);
		else
			return fail(err, err_len, "%s: unknown protocol (http/protobuf or http/json)",
				    var);
	}

	v = env_pick(getenv_fn, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
		     "OTEL_EXPORTER_OTLP_COMPRESSION", &var);
	if (v) {
		n = strlen(v);
		trim(&v, &n);
		if (eq_nocase(v, n, "gzip"))
			cfg->gzip = 1;
		else if (eq_nocase(v, n, "none"))
			cfg->gzip = 0;
		else
			return fail(err, err_len, "%s: unknown compression (gzip or none)", var);
	}

	v = env_pick(getenv_fn, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT",
		     &var);
	if (v && parse_timeout(var, v, &cfg->timeout_ms, err, err_len) < 0)
		return -1;

	/* The specific list replaces the general one (no merging), as the
	 * other variables do. */
	v = env_pick(getenv_fn, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS",
		     &var);
	if (v && otlp_parse_headers(cfg, v, sub, sizeof(sub)) < 0)
		return fail(err, err_len, "%s: %s", var, sub);
	return 0;
}

uint32_t otlp_backoff_ms(uint32_t attempt, double rnd, uint32_t retry_after_ms)
{
	/* 100 << 6 already passes the cap: no shift can overflow. */
	uint32_t cap = attempt >= 6 ? OTLP_BACKOFF_CAP_MS : OTLP_BACKOFF_BASE_MS << attempt;
	uint32_t ms;

	if (cap > OTLP_BACKOFF_CAP_MS)
		cap = OTLP_BACKOFF_CAP_MS;
	if (!(rnd > 0.0)) /* also NaN */
		rnd = 0.0;
	ms = rnd < 1.0 ? (uint32_t)(cap * rnd) : cap;
	if (ms >= cap) /* full jitter is [0, cap) */
		ms = cap - 1;
	return ms > retry_after_ms ? ms : retry_after_ms;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	return x;
}

/* IMF-fixdate only ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110 5.6.7), case
 * sensitive as the RFC says; the obsolete RFC 850 and asctime forms are not
 * read: no collector sends them. Returns 0 and *t, or -1. */
static int parse_imf_fixdate(const char *s, size_t n, int64_t *t)
{
	static const char days[] = "MonTueWedThuFriSatSun";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int i, day, mon = -1, year, hh, mm, ss;
	int found = 0;

	if (n != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
	    s[16] != ' ' || s[19] != ':' || s[22] != ':' || s[25] != ' ' ||
	    memcmp(s + 26, "GMT", 3) != 0)
		return -1;
	for (i = 0; i < 7; i++)
		found |= memcmp(s, days + 3 * i, 3) == 0;
	for (i = 0; i < 12; i++)
		if (memcmp(s + 8, months + 3 * i, 3) == 0)
			mon = i + 1;
	day = digits(s + 5, 2);
	year = digits(s + 12, 4);
	hh = digits(s + 17, 2);
	mm = digits(s + 20, 2);
	ss = digits(s + 23, 2);
	if (!found || mon < 0 || day < 1 || year < 0 || hh < 0 || hh > 23 || mm < 0 ||
	    mm > 59 || ss < 0 || ss > 60 || day > mdays[mon - 1])
		return -1;
	if (mon == 2 && day == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return -1;
	*t = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

uint32_t otlp_parse_retry_after(const char *value, int64_t now_unix)
{
	const uint64_t cap_s = OTLP_RETRY_AFTER_CAP_MS / 1000;
	size_t n;
	uint64_t secs = 0;
	int64_t t;

	if (!value)
		return 0;
	n = strlen(value);
	trim(&value, &n);
	if (n == 0)
		return 0;
	if (value[0] >= '0' && value[0] <= '9') {
		for (size_t i = 0; i < n; i++) {
			if (value[i] < '0' || value[i] > '9')
				return 0;
			if (secs <= cap_s) /* saturate: "99999999999999999999" is just long */
				secs = secs * 10 + (uint64_t)(value[i] - '0');
		}
	} else {
		if (parse_imf_fixdate(value, n, &t) < 0 || t <= now_unix)
			return 0;
		/* Written so that no subtraction can overflow for any now_unix. */
		secs = t - (int64_t)cap_s > now_unix ? cap_s + 1 : (uint64_t)(t - now_unix);
	}
	return secs >= cap_s ? OTLP_RETRY_AFTER_CAP_MS : (uint32_t)(secs * 1000);
}

int otlp_status_is_retryable(long http_status)
{
	return http_status == 429 || http_status == 502 || http_status == 503 ||
	       http_status == 504;
}

/* ---------------------------------------------------------------------- */
/* The queue and the exporter thread                                      */
/* ---------------------------------------------------------------------- */

enum send_result {
	SEND_OK,
	SEND_RETRY,     /* connection error or a retryable status */
	SEND_PERMANENT, /* any other status, or a request curl will never make */
};

struct otlp_exporter {
	struct otlp_config cfg;
	char host_name[PROCINFO_NAME_MAX];

	/* Shared: everything below `mu` is read and written under it. */
	pthread_mutex_t mu;
	pthread_cond_t cv;           /* the thread waits here: items, stop, backoff */
	struct otlp_item *ring;      /* cfg.queue_size slots, preallocated */
	uint64_t *queued_ns;         /* when each slot was filled (CLOCK_MONOTONIC) */
	uint32_t head;               /* oldest slot */
	uint32_t count;              /* filled slots, including ones being copied out */
	int stopping;
	uint64_t drain_deadline_ns;
	struct otlp_stats stats;     /* queue depths are filled in on read */
	struct otlp_log_item *log_ring; /* cfg.logs_queue_size slots (logs on) */
	uint64_t *log_queued_ns;
	uint32_t log_head;
	uint32_t log_count;

	/* The exporter thread's own state (stop only joins and wakes). */
	pthread_t thread;
	CURLM *multi;                /* curl_multi_wakeup is the one call from stop */
	CURL *curl;
	struct curl_slist *headers;
	struct otlp_item *batch;     /* cfg.max_batch items */
	struct otlp_log_item *log_batch; /* log_max_batch records */
	uint32_t log_max_batch;      /* min(max_batch, logs_queue_size) */
	int traces_on;               /* cfg.url set */
	int logs_on;                 /* cfg.logs_url set */
	int url_logs;                /* CURLOPT_URL is the logs URL (-1: not set) */
	struct otlp_buf body;        /* encoded batch, reused */
	uint8_t *gz;                 /* gzipped batch, reused */
	size_t gz_cap;
	uint32_t retry_after_ms;     /* from the last response's headers */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Jitter only: splitmix64 per thread, seeded from the clock and the thread,
 * so that agents restarted together do not retry in lockstep. */
static __thread uint64_t rng_state;

static double rng_unit(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1.0p-53;
}

/* Called with mu held; returns on a signal, a stop or the deadline. */
static void wait_until(struct otlp_exporter *e, uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / 1000000000ULL),
		.tv_nsec = (long)(deadline_ns % 1000000000ULL),
	};

	pthread_cond_timedwait(&e->cv, &e->mu, &ts);
}

/* With mu held: 1 while the thread must give up (stop and the deadline has
 * passed). */
static int past_drain(const struct otlp_exporter *e, uint64_t now)
{
	return e->stopping && now >= e->drain_deadline_ns;
}

void otlp_exporter_enqueue(struct otlp_exporter *e, const struct span *s,
			   const struct procinfo *resource)
{
	struct otlp_item *it;
	uint32_t slot;
	uint64_t now = now_ns();
	int wake;

	if (!e || !s || !e->traces_on)
		return;
	pthread_mutex_lock(&e->mu);
	if (e->count == e->cfg.queue_size) {
		e->stats.dropped_full++;
		pthread_mutex_unlock(&e->mu);
		return;
	}
	slot = (e->head + e->count) % e->cfg.queue_size;
	it = &e->ring[slot];
	it->span = *s;
	if (resource) {
		it->resource = *resource;
	} else {
		/* No process entry: the span's own names still make a resource. */
		memset(&it->resource, 0, sizeof(it->resource));
		it->resource.pid = s->pid;
		snprintf(it->resource.exe_name, sizeof(it->resource.exe_name), "%s", s->exe_name);
		snprintf(it->resource.service_name, sizeof(it->resource.service_name), "%s",
			 s->service_name);
	}
	memcpy(it->host_name, e->host_name, sizeof(it->host_name));
	e->queued_ns[slot] = now;
	e->count++;
	e->stats.enqueued++;
	/* The thread needs a wake only to start the delay clock or to send a
	 * full batch; otherwise it is already sleeping until the right time. */
	wake = e->count == 1 || e->count == e->cfg.max_batch;
	pthread_mutex_unlock(&e->mu);
	if (wake)
		pthread_cond_signal(&e->cv);
}

/* Copies a record into the log ring: alert or note, observed now. */
static int enqueue_log(struct otlp_exporter *e, const struct alert *a, const struct alert_note *n)
{
	struct otlp_log_item *it;
	struct timespec wall;
	uint32_t slot;
	uint64_t now = now_ns();
	int wake;

	clock_gettime(CLOCK_REALTIME, &wall);
	pthread_mutex_lock(&e->mu);
	if (e->log_count == e->cfg.logs_queue_size) {
		e->stats.logs_dropped_full++;
		pthread_mutex_unlock(&e->mu);
		return -1;
	}
	slot = (e->log_head + e->log_count) % e->cfg.logs_queue_size;
	it = &e->log_ring[slot];
	it->observed_unix_ns = (uint64_t)wall.tv_sec * 1000000000ULL + (uint64_t)wall.tv_nsec;
	if (a) {
		it->kind = OTLP_LOG_ALERT;
		it->alert = *a;
	} else {
		it->kind = OTLP_LOG_NOTE;
		it->note = *n;
	}
	e->log_queued_ns[slot] = now;
	e->log_count++;
	e->stats.logs_enqueued++;
	wake = e->log_count == 1 || e->log_count == e->log_max_batch;
	pthread_mutex_unlock(&e->mu);
	if (wake)
		pthread_cond_signal(&e->cv);
	return 0;
}

int otlp_exporter_enqueue_alert(struct otlp_exporter *e, const struct alert *a)
{
	if (!e || !a || !e->logs_on)
		return -1;
	return enqueue_log(e, a, NULL);
}

int otlp_exporter_enqueue_note(struct otlp_exporter *e, const struct alert_note *n)
{
	if (!e || !n || !e->logs_on)
		return -1;
	return enqueue_log(e, NULL, n);
}

void otlp_exporter_get_stats(struct otlp_exporter *e, struct otlp_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!e)
		return;
	pthread_mutex_lock(&e->mu);
	*out = e->stats;
	out->queue_depth = e->count;
	out->logs_queue_depth = e->log_count;
	pthread_mutex_unlock(&e->mu);
}

/* With mu held: how many items to send now, waiting as long as needed; 0
 * when the thread must end. *logs says which queue: the log queue whenever
 * it holds records once a batch is due (either queue's). */
static uint32_t wait_for_batch(struct otlp_exporter *e, int *logs)
{
	uint64_t now, due, delay_ns = (uint64_t)e->cfg.max_delay_ms * NS_PER_MS;

	for (;;) {
		now = now_ns();
		if (e->stopping) {
			if ((!e->count && !e->log_count) || past_drain(e, now))
				return 0;
			break; /* draining: send at once, no batching delay */
		}
		if (e->count >= e->cfg.max_batch ||
		    (e->log_count && e->log_count >= e->log_max_batch))
			break;
		due = UINT64_MAX;
		if (e->count)
			due = e->queued_ns[e->head] + delay_ns;
		if (e->log_count && e->log_queued_ns[e->log_head] + delay_ns < due)
			due = e->log_queued_ns[e->log_head] + delay_ns;
		if (due == UINT64_MAX)
			pthread_cond_wait(&e->cv, &e->mu);
		else if (now >= due)
			break;
		else
			wait_until(e, due);
	}
	*logs = e->log_count != 0;
	if (*logs)
		return e->log_count < e->log_max_batch ? e->log_count : e->log_max_batch;
	return e->count < e->cfg.max_batch ? e->count : e->cfg.max_batch;
}

static size_t on_body(char *buf, size_t size, size_t nitems, void *ud)
{
	(void)buf;
	(void)ud;
	return size * nitems; /* the response body is not used */
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
	struct otlp_exporter *e = ud;
	size_t n = size * nitems;
	char value[OTLP_RETRY_AFTER_MAX];

	if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		e->retry_after_ms = 0; /* a new response: after a 100, or a redirect */
	} else if (n > 12 && strncasecmp(buf, "retry-after:", 12) == 0) {
		n -= 12;
		while (n && (buf[12 + n - 1] == '\r' || buf[12 + n - 1] == '\n'))
			n--;
		if (n < sizeof(value)) {
			memcpy(value, buf + 12, n);
			value[n] = '\0';
			e->retry_after_ms = otlp_parse_retry_after(value, (int64_t)time(NULL));
		}
	}
	return size * nitems;
}

/* One POST of the prepared body. Bounded by timeout_ms, and during a stop
 * by the drain deadline too. */
static enum send_result do_request(struct otlp_exporter *e, long *status)
{
	uint64_t timeout_ms = e->cfg.timeout_ms, now, deadline = 0;
	CURLcode res = CURLE_OK;
	CURLMsg *msg;
	int running = 1, left, aborted = 0, stopping, poll_ms;

	pthread_mutex_lock(&e->mu);
	now = now_ns();
	stopping = e->stopping;
	if (stopping) {
		deadline = e->drain_deadline_ns;
		if (deadline > now && (deadline - now) / NS_PER_MS + 1 < timeout_ms)
			timeout_ms = (deadline - now) / NS_PER_MS + 1;
	}
	pthread_mutex_unlock(&e->mu);

	*status = 0;
	e->retry_after_ms = 0;
	curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	if (curl_multi_add_handle(e->multi, e->curl) != CURLM_OK)
		return SEND_RETRY;
	for (;;) {
		if (curl_multi_perform(e->multi, &running) != CURLM_OK || !running)
			break;
		poll_ms = OTLP_POLL_MS;
		now = now_ns();
		if (stopping && deadline <= now)
			poll_ms = 0; /* encoding ate the last of the drain time */
		else if (stopping && (deadline - now) / NS_PER_MS + 1 < OTLP_POLL_MS)
			poll_ms = (int)((deadline - now) / NS_PER_MS + 1);
		if (curl_multi_poll(e->multi, NULL, 0, poll_ms, NULL) != CURLM_OK)
			break;
		pthread_mutex_lock(&e->mu);
		stopping = e->stopping;
		deadline = e->drain_deadline_ns;
		aborted = past_drain(e, now_ns());
		pthread_mutex_unlock(&e->mu);
		if (aborted)
			break;
	}
	res = running ? CURLE_ABORTED_BY_CALLBACK : CURLE_SEND_ERROR;
	while ((msg = curl_multi_info_read(e->multi, &left)))
		if (msg->msg == CURLMSG_DONE)
			res = msg->data.result;
	curl_multi_remove_handle(e->multi, e->curl);
	if (res != CURLE_OK) {
		/* Only a request curl can never make is given up at once; every
		 * network error may pass. */
		if (res == CURLE_URL_MALFORMAT || res == CURLE_UNSUPPORTED_PROTOCOL ||
		    res == CURLE_NOT_BUILT_IN)
			return SEND_PERMANENT;
		return SEND_RETRY;
	}
	curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, status);
	if (*status >= 200 && *status < 300)
		return SEND_OK;
	return otlp_status_is_retryable(*status) ? SEND_RETRY : SEND_PERMANENT;
}

/* gzip (windowBits 31) of in into e->gz; speed over ratio, because this
 * runs on the traced node. Returns the compressed size, or 0 on failure. */
static size_t gzip_body(struct otlp_exporter *e, const uint8_t *in, size_t len)
{
	z_stream z;
	size_t bound, out = 0;
	uint8_t *p;

	if (len > UINT32_MAX / 2)
		return 0;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	bound = deflateBound(&z, (uLong)len);
	if (bound > e->gz_cap) {
		p = realloc(e->gz, bound);
		if (!p)
			goto end;
		e->gz = p;
		e->gz_cap = bound;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = e->gz;
	z.avail_out = (uInt)e->gz_cap;
	if (deflate(&z, Z_FINISH) == Z_STREAM_END)
		out = z.total_out;
end:
	deflateEnd(&z);
	return out;
}

/* With mu held: a batch of n given up. */
static void count_failed(struct otlp_exporter *e, uint32_t n, int logs)
{
	if (logs)
		e->stats.logs_dropped_failed += n;
	else
		e->stats.dropped_failed++;
}

/* Encodes, compresses and sends e->batch[0..n) (e->log_batch when logs),
 * retrying the same bytes. */
static void send_batch(struct otlp_exporter *e, uint32_t n, int logs)
{
	const uint8_t *data;
	size_t len;
	uint64_t start, resume, retry_ns = (uint64_t)e->cfg.max_retry_ms * NS_PER_MS;
	uint32_t wait_ms;
	enum send_result r;
	long status;
	int rc;

	e->body.len = 0;
	e->body.oom = 0;
	if (logs)
		rc = e->cfg.protocol == OTLP_HTTP_JSON
			     ? otlp_logs_encode_json(&e->body, e->log_batch, n, e->host_name)
			     : otlp_logs_encode_proto(&e->body, e->log_batch, n, e->host_name);
	else
		rc = e->cfg.protocol == OTLP_HTTP_JSON ? otlp_encode_json(&e->body, e->batch, n)
						       : otlp_encode_proto(&e->body, e->batch, n);
	data = e->body.data;
	len = e->body.len;
	if (rc == 0 && !e->body.oom && e->cfg.gzip) {
		len = gzip_body(e, e->body.data, e->body.len);
		data = e->gz;
	}
	if (rc != 0 || e->body.oom || (e->cfg.gzip && len == 0) ||
	    (e->url_logs != logs &&
	     curl_easy_setopt(e->curl, CURLOPT_URL, logs ? e->cfg.logs_url : e->cfg.url) !=
		     CURLE_OK)) {
		pthread_mutex_lock(&e->mu);
		count_failed(e, n, logs);
		pthread_mutex_unlock(&e->mu);
		return;
	}
	e->url_logs = logs;
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, data);

	start = now_ns();
	for (uint32_t attempt = 0;; attempt++) {
		r = do_request(e, &status);
		pthread_mutex_lock(&e->mu);
		e->stats.requests++;
		if (r == SEND_OK) {
			if (logs)
				e->stats.logs_exported += n;
			else
				e->stats.exported += n;
			break;
		}
		e->stats.failures++;
		if (r == SEND_PERMANENT) {
			count_failed(e, n, logs);
			break;
		}
		wait_ms = otlp_backoff_ms(attempt, rng_unit(), e->retry_after_ms);
		resume = now_ns() + (uint64_t)wait_ms * NS_PER_MS;
		/* Sleep on the condition variable so that stop cuts the wait
		 * short; then decide with the deadline stop may have set. */
		while (!e->stopping && now_ns() < resume && resume - start <= retry_ns)
			wait_until(e, resume);
		if (resume - start > retry_ns ||
		    (e->stopping && resume >= e->drain_deadline_ns)) {
			count_failed(e, n, logs);
			break;
		}
		while (now_ns() < resume) /* stopping, and the wait fits the deadline */
			wait_until(e, resume);
		e->stats.retries++;
		pthread_mutex_unlock(&e->mu);
	}
	pthread_mutex_unlock(&e->mu);
}

/* Copies n items from a ring at head (cap slots) into a batch, wrapping. */
static void copy_out(void *batch, const void *ring, uint32_t head, uint32_t n, uint32_t cap,
		     size_t size)
{
	uint32_t first = cap - head < n ? cap - head : n;

	memcpy(batch, (const char *)ring + (size_t)head * size, first * size);
	memcpy((char *)batch + first * size, ring, (n - first) * size);
}

static void *exporter_main(void *arg)
{
	struct otlp_exporter *e = arg;
	uint32_t n, head;
	const uint32_t cap = e->cfg.queue_size, log_cap = e->cfg.logs_queue_size;
	int logs;

	rng_state = now_ns() ^ ((uint64_t)(uintptr_t)&n << 16) ^ (uint64_t)getpid();
	pthread_mutex_lock(&e->mu);
	while ((n = wait_for_batch(e, &logs)) != 0) {
		head = logs ? e->log_head : e->head;
		pthread_mutex_unlock(&e->mu);
		/* The slots stay counted, so no producer writes them meanwhile. */
		if (logs)
			copy_out(e->log_batch, e->log_ring, head, n, log_cap, sizeof(*e->log_batch));
		else
			copy_out(e->batch, e->ring, head, n, cap, sizeof(*e->batch));
		pthread_mutex_lock(&e->mu);
		if (logs) {
			e->log_head = (head + n) % log_cap;
			e->log_count -= n;
		} else {
			e->head = (head + n) % cap;
			e->count -= n;
		}
		pthread_mutex_unlock(&e->mu);
		send_batch(e, n, logs);
		pthread_mutex_lock(&e->mu);
	}
	/* Stopped past the drain deadline: what is left is lost, and counted
	 * as the batches it would have made (log records one by one). */
	e->stats.dropped_failed += (e->count + e->cfg.max_batch - 1) / e->cfg.max_batch;
	e->count = 0;
	e->stats.logs_dropped_failed += e->log_count;
	e->log_count = 0;
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

/* libcurl's global state lives as long as the process; never cleaned up,
 * because another part of the program may use curl too. */
static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void exporter_free(struct otlp_exporter *e)
{
	if (e->curl && e->multi)
		curl_multi_remove_handle(e->multi, e->curl);
	if (e->curl)
		curl_easy_cleanup(e->curl);
	if (e->multi)
		curl_multi_cleanup(e->multi);
	curl_slist_free_all(e->headers);
	otlp_buf_free(&e->body);
	free(e->gz);
	free(e->batch);
	free(e->queued_ns);
	free(e->ring);
	free(e->log_batch);
	free(e->log_queued_ns);
	free(e->log_ring);
	free(e);
}

static int add_header(struct otlp_exporter *e, const char *line)
{
	struct curl_slist *l = curl_slist_append(e->headers, line);

	if (!l)
		return -1; /* the list so far stays in e->headers, freed once */
	e->headers = l;
	return 0;
}

/* 0, or an errno value. */
static int setup_curl(struct otlp_exporter *e)
{
	char line[sizeof(e->cfg.headers[0].name) + sizeof(e->cfg.headers[0].value) + 4];
	const struct otlp_header *h;

	e->multi = curl_multi_init();
	e->curl = curl_easy_init();
	if (!e->multi || !e->curl)
		return ENOMEM;
	if (add_header(e, e->cfg.protocol == OTLP_HTTP_JSON
				  ? "Content-Type: application/json"
				  : "Content-Type: application/x-protobuf") < 0 ||
	    (e->cfg.gzip && add_header(e, "Content-Encoding: gzip") < 0) ||
	    /* No "Expect: 100-continue" round trip before large bodies. */
	    add_header(e, "Expect:") < 0)
		return ENOMEM;
	for (uint32_t i = 0; i < e->cfg.n_headers; i++) {
		h = &e->cfg.headers[i];
		/* "Name;" is curl's way to send a header with an empty value. */
		if (h->value[0])
			snprintf(line, sizeof(line), "%s: %s", h->name, h->value);
		else
			snprintf(line, sizeof(line), "%s;", h->name);
		if (add_header(e, line) < 0)
			return ENOMEM;
	}

	/* Checked here, set again per batch (send_batch). */
	if (curl_easy_setopt(e->curl, CURLOPT_URL,
			     e->traces_on ? e->cfg.url : e->cfg.logs_url) != CURLE_OK ||
	    (e->traces_on && e->logs_on &&
	     curl_easy_setopt(e->curl, CURLOPT_URL, e->cfg.logs_url) != CURLE_OK) ||
	    curl_easy_setopt(e->curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK)
		return EINVAL;
	curl_easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, e->headers);
	curl_easy_setopt(e->curl, CURLOPT_USERAGENT, "zerotrace/" ZT_VERSION);
	curl_easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)e->cfg.timeout_ms);
	curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, (long)e->cfg.timeout_ms);
	curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e->curl, CURLOPT_HEADERDATA, e);
	curl_easy_setopt(e->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	return 0;
}

struct otlp_exporter *otlp_exporter_start(const struct otlp_config *cfg)
{
	struct otlp_exporter *e;
	pthread_condattr_t ca;
	sigset_t all, old;
	const char *host;
	int rc;

	/* errno says why for the caller's message. */
	if (!cfg || (!cfg->url[0] && !cfg->logs_url[0]) || !cfg->max_batch || !cfg->queue_size ||
	    !cfg->timeout_ms || (cfg->logs_url[0] && !cfg->logs_queue_size) ||
	    cfg->n_headers > OTLP_HEADERS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK) {
		errno = ENOMEM; /* curl_global_init fails only without memory */
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->cfg = *cfg;
	e->cfg.url[sizeof(e->cfg.url) - 1] = '\0';
	e->cfg.logs_url[sizeof(e->cfg.logs_url) - 1] = '\0';
	e->traces_on = e->cfg.url[0] != '\0';
	e->logs_on = e->cfg.logs_url[0] != '\0';
	e->url_logs = -1;
	for (uint32_t i = 0; i < e->cfg.n_headers; i++) {
		e->cfg.headers[i].name[sizeof(e->cfg.headers[i].name) - 1] = '\0';
		e->cfg.headers[i].value[sizeof(e->cfg.headers[i].value) - 1] = '\0';
	}
	if (e->cfg.max_batch > e->cfg.queue_size)
		e->cfg.max_batch = e->cfg.queue_size;
	/* host.name is read once here, in the caller's thread. */
	host = procinfo_host_name();
	snprintf(e->host_name, sizeof(e->host_name), "%s", host ? host : "");

	/* calloc: the ring's pages (about 6 KB an item) are touched only as
	 * traffic first reaches them. */
	if (e->traces_on) {
		e->ring = calloc(e->cfg.queue_size, sizeof(*e->ring));
		e->queued_ns = calloc(e->cfg.queue_size, sizeof(*e->queued_ns));
		e->batch = calloc(e->cfg.max_batch, sizeof(*e->batch));
	}
	if (e->logs_on) {
		e->log_max_batch = e->cfg.max_batch < e->cfg.logs_queue_size ? e->cfg.max_batch
									     : e->cfg.logs_queue_size;
		e->log_ring = calloc(e->cfg.logs_queue_size, sizeof(*e->log_ring));
		e->log_queued_ns = calloc(e->cfg.logs_queue_size, sizeof(*e->log_queued_ns));
		e->log_batch = calloc(e->log_max_batch, sizeof(*e->log_batch));
	}
	if ((e->traces_on && (!e->ring || !e->queued_ns || !e->batch)) ||
	    (e->logs_on && (!e->log_ring || !e->log_queued_ns || !e->log_batch))) {
		exporter_free(e);
		errno = ENOMEM;
		return NULL;
	}
	rc = setup_curl(e);
	if (rc != 0) {
		exporter_free(e);
		errno = rc;
		return NULL;
	}

	pthread_mutex_init(&e->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->cv, &ca);
	pthread_condattr_destroy(&ca);

	/* Signals belong to the main loop: the thread starts with all blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&e->thread, NULL, exporter_main, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&e->cv);
		pthread_mutex_destroy(&e->mu);
		exporter_free(e);
		errno = rc;
		return NULL;
	}
	return e;
}

void otlp_exporter_stop(struct otlp_exporter *e, uint32_t drain_ms, struct otlp_stats *final)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->mu);
	e->stopping = 1;
	e->drain_deadline_ns = now_ns() + (uint64_t)drain_ms * NS_PER_MS;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
	curl_multi_wakeup(e->multi); /* a request in flight notices at once */
	pthread_join(e->thread, NULL);
	if (final)
		otlp_exporter_get_stats(e, final);
	pthread_cond_destroy(&e->cv);
	pthread_mutex_destroy(&e->mu);
	exporter_free(e);
}
