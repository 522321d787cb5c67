// SPDX-License-Identifier: MIT
/*
 * OTLP exporter configuration: the environment, headers, endpoints,
 * backoff and Retry-After. Pure code: no I/O, no globals, unit-tested and
 * fuzzed.
 */
#include "errmsg.h"
#include "otlp_exporter.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "text.h"

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

/* ---------------------------------------------------------------------- */
/* Pure parsers                                                           */
/* ---------------------------------------------------------------------- */

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
		return errmsg_set(err, err_len, "too many headers (at most %d)", OTLP_HEADERS_MAX);
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
			return errmsg_set(err, err_len, "header %zu: missing '='", member);
		val = eq + 1;
		vlen = klen - (size_t)(val - key);
		klen = (size_t)(eq - key);
		trim(&key, &klen);
		trim(&val, &vlen);
		if (klen == 0)
			return errmsg_set(err, err_len, "header %zu: empty name", member);
		for (size_t i = 0; i < klen; i++)
			if (!text_is_tchar(key[i]))
				return errmsg_set(err, err_len, "header %zu: invalid character in name",
					    member);
		if (klen >= sizeof(got[0].name))
			return errmsg_set(err, err_len, "header %zu: name longer than %zu bytes", member,
				    sizeof(got[0].name) - 1);
		if (is_reserved_header(key, klen))
			return errmsg_set(err, err_len, "header \"%.*s\" is set by the exporter",
				    (int)klen, key);
		if (n >= room)
			return errmsg_set(err, err_len, "too many headers (at most %d)", OTLP_HEADERS_MAX);
		/* The value may be a secret: errors name the header, never echo it. */
		if (decode_value(val, vlen, got[n].value, sizeof(got[n].value), &why) < 0)
			return errmsg_set(err, err_len, "header \"%.*s\": %s", (int)klen, key, why);
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
		return errmsg_set(err, err_len, "%s: the URL must start with http:// or https://", var);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f)
			return errmsg_set(err, err_len, "%s: space or control character in the URL",
				    var);
	/* The base URL gets "/v1/traces": "http://c:4318/" must not become
	 * "http://c:4318//v1/traces". */
	if (append)
		while (n > scheme && v[n - 1] == '/')
			n--;
	if (n == scheme || v[scheme] == '/')
		return errmsg_set(err, err_len, "%s: the URL has no host", var);
	if (n + extra >= cap)
		return errmsg_set(err, err_len, "%s: the URL is longer than %zu bytes", var, cap - 1);
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
int otlp_config_set_traces_url(struct otlp_config *cfg, const char *what, const char *url,
			       char *err, size_t err_len)
{
	char traces[sizeof(cfg->url)];

	if (set_url(traces, sizeof(traces), what, url, NULL, err, err_len) < 0)
		return -1;
	memcpy(cfg->url, traces, sizeof(traces));
	return 0;
}

static int parse_timeout(const char *var, const char *v, uint32_t *out, char *err,
			 size_t err_len)
{
	size_t n = strlen(v);
	uint64_t x = 0;

	trim(&v, &n);
	if (n == 0)
		return errmsg_set(err, err_len, "%s: empty timeout", var);
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return errmsg_set(err, err_len, "%s: the timeout is whole milliseconds", var);
		x = x * 10 + (uint64_t)(v[i] - '0');
		if (x > OTLP_TIMEOUT_MAX_MS)
			break;
	}
	if (x < 1 || x > OTLP_TIMEOUT_MAX_MS)
		return errmsg_set(err, err_len, "%s: the timeout must be 1..%d ms", var,
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
			return errmsg_set(err, err_len, "%s: grpc is not supported; use http/protobuf",
				    var);
		else
			return errmsg_set(err, err_len, "%s: unknown protocol (http/protobuf or http/json)",
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
			return errmsg_set(err, err_len, "%s: unknown compression (gzip or none)", var);
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
		return errmsg_set(err, err_len, "%s: %s", var, sub);
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

int zipkin_config_from_env(struct otlp_config *zc, const struct otlp_config *base,
			   const char *(*getenv_fn)(const char *), char *err, size_t err_len)
{
	const char *v;

	*zc = *base;
	zc->url[0] = zc->logs_url[0] = '\0';
	zc->n_headers = 0;
	zc->gzip = 0;
	zc->protocol = ZIPKIN_JSON_V2;
	if (err && err_len)
		err[0] = '\0';
	v = getenv_fn("OTEL_EXPORTER_ZIPKIN_ENDPOINT");
	if (v && *v &&
	    set_url(zc->url, sizeof(zc->url), "OTEL_EXPORTER_ZIPKIN_ENDPOINT", v, NULL, err,
		    err_len) < 0)
		return -1;
	v = getenv_fn("OTEL_EXPORTER_ZIPKIN_TIMEOUT");
	if (v && *v && parse_timeout("OTEL_EXPORTER_ZIPKIN_TIMEOUT", v, &zc->timeout_ms, err,
				     err_len) < 0)
		return -1;
	return 0;
}
