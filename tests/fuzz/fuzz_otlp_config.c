// SPDX-License-Identifier: MIT
/*
 * Fuzzes the OTLP exporter's pure parsers: otlp_config_from_env and
 * zipkin_config_from_env (the input as environment values),
 * otlp_parse_headers, otlp_parse_retry_after, otlp_backoff_ms and
 * otlp_status_is_retryable.
 *
 * Input: bytes 0-1 say which of the twelve variables are set (one bit each),
 * byte 2 the error buffer size (0..63) and how many headers are already
 * present (0..16), bytes 3-10 a clock / jitter / status word; the rest is
 * split at '\n' into values: value i is variable i's when its bit is set,
 * and every value also goes through the header and Retry-After parsers.
 * Every value is malloc'd to its exact size so ASan sees an over-read.
 *
 * Checks: error text stays inside err_len and says something; a resolved
 * config has an http(s) URL without spaces, "/v1/traces" when built from the
 * base endpoint, valid enums and timeout, and headers a request can carry
 * (Zipkin's: its own URL as given, OTLP's queue, no headers, logs or gzip)
 * (token names, no CR/LF, no reserved names); parsing is deterministic; a
 * failed header parse leaves the config byte for byte as it was; headers
 * re-encoded with percent-escapes parse back to the same; Retry-After is a
 * whole number of seconds up to 60 s and equals a plain decimal's value;
 * backoff is within [retry_after, max(retry_after, cap)).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "otlp_exporter.h"
#include "fuzz_check.h"

#define N_VARS 12
#define MAX_FIELDS 24
#define CANARY 0x5a

static const char *const var_names[N_VARS] = {
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT",
	"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL",
	"OTEL_EXPORTER_OTLP_TRACES_HEADERS",  "OTEL_EXPORTER_OTLP_HEADERS",
	"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION",
	"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",  "OTEL_EXPORTER_OTLP_TIMEOUT",
	"OTEL_EXPORTER_ZIPKIN_ENDPOINT",      "OTEL_EXPORTER_ZIPKIN_TIMEOUT",
};

static const char *var_values[N_VARS];

static const char *fake_getenv(const char *name)
{
	for (int i = 0; i < N_VARS; i++)
		if (strcmp(name, var_names[i]) == 0)
			return var_values[i];
	return NULL;
}

static int is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static void check_header(const struct otlp_header *h)
{
	size_t n = strnlen(h->name, sizeof(h->name)), v = strnlen(h->value, sizeof(h->value));

	CHECK(n > 0 && n < sizeof(h->name));
	CHECK(v < sizeof(h->value));
	for (size_t i = 0; i < n; i++)
		CHECK(is_tchar((unsigned char)h->name[i]));
	for (size_t i = 0; i < v; i++) {
		unsigned char c = (unsigned char)h->value[i];

		CHECK((c >= 0x20 || c == '\t') && c != 0x7f);
	}
	CHECK(strcasecmp(h->name, "content-type") != 0);
	CHECK(strcasecmp(h->name, "content-encoding") != 0);
	CHECK(strcasecmp(h->name, "content-length") != 0);
	CHECK(strcasecmp(h->name, "transfer-encoding") != 0);
}

/* err_len bytes may be written, then canaries; a failure says why. */
static void check_err(const char *err, size_t err_len, size_t store, int rc)
{
	for (size_t i = err_len; i < store; i++)
		CHECK((unsigned char)err[i] == CANARY);
	if (rc < 0 && err_len) {
		CHECK(memchr(err, '\0', err_len) != NULL);
		if (err_len > 1)
			CHECK(err[0] != '\0');
	}
}

/* Zipkin's from the OTLP settings: its URL as the variable has it
 * (trimmed), never OTLP's headers, logs or gzip. */
static void check_zipkin(const struct otlp_config *base, size_t err_len)
{
	struct otlp_config zc;
	char err[80];
	const char *zep = var_values[10];
	size_t n;
	int rc;

	memset(err, CANARY, sizeof(err));
	rc = zipkin_config_from_env(&zc, base, fake_getenv, err_len ? err : NULL, err_len);
	CHECK(rc == 0 || rc == -1);
	check_err(err, err_len, sizeof(err), rc);
	if (rc < 0)
		return;
	CHECK(zc.protocol == ZIPKIN_JSON_V2 && !zc.gzip && !zc.n_headers && !zc.logs_url[0]);
	CHECK(zc.queue_size == base->queue_size && zc.max_batch == base->max_batch);
	CHECK(zc.timeout_ms >= 1 && zc.timeout_ms <= 3600000);
	n = strnlen(zc.url, sizeof(zc.url));
	CHECK(n < sizeof(zc.url));
	CHECK(n ? zep && strstr(zep, zc.url) != NULL : !zep || !*zep);
	if (!var_values[11] || !*var_values[11])
		CHECK(zc.timeout_ms == base->timeout_ms);
}

static void check_env(size_t err_len)
{
	struct otlp_config cfg, again;
	char err[80];
	const char *tep = var_values[0];
	size_t n;
	int rc;

	memset(err, CANARY, sizeof(err));
	rc = otlp_config_from_env(&cfg, fake_getenv, err_len ? err : NULL, err_len);
	CHECK(rc == 0 || rc == -1);
	check_err(err, err_len, sizeof(err), rc);
	CHECK(otlp_config_from_env(&again, fake_getenv, NULL, 0) == rc);
	if (rc < 0)
		return;
	CHECK(memcmp(&cfg, &again, sizeof(cfg)) == 0);

	n = strnlen(cfg.url, sizeof(cfg.url));
	CHECK(n < sizeof(cfg.url));
	if (n) {
		CHECK(strncasecmp(cfg.url, "http://", 7) == 0 ||
		      strncasecmp(cfg.url, "https://", 8) == 0);
		for (size_t i = 0; i < n; i++)
			CHECK((unsigned char)cfg.url[i] > 0x20 && cfg.url[i] != 0x7f);
		if (tep && *tep) {
			CHECK(strstr(tep, cfg.url) != NULL); /* as is, but trimmed */
		} else {
			CHECK(n > 10 && strcmp(cfg.url + n - 10, "/v1/traces") == 0);
			CHECK(cfg.url[n - 11] != '/');
		}
	} else {
		CHECK(!tep || !*tep);
		CHECK(!var_values[1] || !*var_values[1]);
	}
	CHECK(cfg.protocol == OTLP_HTTP_PROTOBUF || cfg.protocol == OTLP_HTTP_JSON);
	CHECK(cfg.gzip == 0 || cfg.gzip == 1);
	CHECK(cfg.timeout_ms >= 1 && cfg.timeout_ms <= 3600000);
	CHECK(cfg.max_batch == 512 && cfg.queue_size == 2048);
	CHECK(cfg.max_delay_ms == 1000 && cfg.max_retry_ms == 60000);
	CHECK(cfg.n_headers <= OTLP_HEADERS_MAX);
	for (uint32_t i = 0; i < cfg.n_headers; i++)
		check_header(&cfg.headers[i]);
	check_zipkin(&cfg, err_len);
}

/* Writes the headers back as "k=%xx%xx,..." (every value byte escaped)
 * and checks they parse to the same. */
static void check_roundtrip(const struct otlp_config *cfg, uint32_t from)
{
	size_t cap = OTLP_HEADERS_MAX * (64 + 1 + 3 * 256 + 1) + 1, len = 0;
	char *text = malloc(cap), err[64];
	struct otlp_config back;

	CHECK(text);
	text[0] = '\0';
	for (uint32_t i = from; i < cfg->n_headers; i++) {
		const struct otlp_header *h = &cfg->headers[i];

		len += (size_t)snprintf(text + len, cap - len, "%s%s=", len ? "," : "", h->name);
		for (const char *p = h->value; *p; p++)
			len += (size_t)snprintf(text + len, cap - len, "%%%02X", (unsigned char)*p);
	}
	memset(&back, 0, sizeof(back));
	CHECK(otlp_parse_headers(&back, text, err, sizeof(err)) == 0);
	CHECK(back.n_headers == cfg->n_headers - from);
	for (uint32_t i = 0; i < back.n_headers; i++) {
		CHECK(strcmp(back.headers[i].name, cfg->headers[from + i].name) == 0);
		CHECK(strcmp(back.headers[i].value, cfg->headers[from + i].value) == 0);
	}
	free(text);
}

static void check_headers(const char *text, uint32_t preset, size_t err_len)
{
	struct otlp_config cfg, before;
	char err[80];
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	for (uint32_t i = 0; i < preset; i++)
		snprintf(cfg.headers[i].name, sizeof(cfg.headers[i].name), "p%u", i);
	cfg.n_headers = preset;
	before = cfg;
	memset(err, CANARY, sizeof(err));
	rc = otlp_parse_headers(&cfg, text, err_len ? err : NULL, err_len);
	CHECK(rc == 0 || rc == -1);
	check_err(err, err_len, sizeof(err), rc);
	if (rc < 0) {
		CHECK(memcmp(&cfg, &before, sizeof(cfg)) == 0);
		return;
	}
	CHECK(cfg.n_headers >= preset && cfg.n_headers <= OTLP_HEADERS_MAX);
	CHECK(memcmp(cfg.headers, before.headers, preset * sizeof(cfg.headers[0])) == 0);
	for (uint32_t i = preset; i < cfg.n_headers; i++)
		check_header(&cfg.headers[i]);
	check_roundtrip(&cfg, preset);
}

static void check_retry_after(const char *v, int64_t now, uint64_t word)
{
	uint32_t r = otlp_parse_retry_after(v, now), b, attempt = (uint32_t)(word >> 32);
	const char *p = v;
	uint64_t secs = 0;
	double rnd;
	size_t n;

	CHECK(r <= 60000 && r % 1000 == 0);
	CHECK(otlp_parse_retry_after(v, now) == r);
	/* A plain decimal (spaces around allowed) is its own value. */
	while (*p == ' ' || *p == '\t')
		p++;
	n = strspn(p, "0123456789");
	if (n && n <= 12 && p[n + strspn(p + n, " \t")] == '\0') {
		for (size_t i = 0; i < n; i++)
			secs = secs * 10 + (uint64_t)(p[i] - '0');
		CHECK(r == (secs >= 60 ? 60000 : secs * 1000));
	}

	memcpy(&rnd, &word, sizeof(rnd)); /* any double: NaN and inf included */
	b = otlp_backoff_ms(attempt, rnd, r);
	CHECK(b >= r);
	if (b > r) {
		CHECK(b < 5000);
		if (attempt < 6)
			CHECK(b < (100u << attempt));
	}
	CHECK(otlp_status_is_retryable((long)(int32_t)word) ==
	      ((int32_t)word == 429 || (int32_t)word == 502 || (int32_t)word == 503 ||
	       (int32_t)word == 504));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *fields[MAX_FIELDS];
	size_t n_fields = 0, i, start, err_len;
	uint32_t mask, preset;
	uint64_t word;
	int64_t now;

	if (size < 11)
		return 0;
	mask = (uint32_t)data[0] | (uint32_t)(data[1] & 0xf) << 8;
	err_len = data[2] % 64;
	preset = (uint32_t)(data[2] >> 2) % (OTLP_HEADERS_MAX + 1);
	memcpy(&word, data + 3, sizeof(word));
	now = (int64_t)word;
	/* Most of the time a clock near the dates the fuzzer can spell. */
	if (!(data[1] & 0x80))
		now = 1445412480 + (int64_t)(int16_t)word;

	for (start = 11, i = 11; i <= size && n_fields < MAX_FIELDS; i++) {
		if (i == size || data[i] == '\n') {
			fields[n_fields] = malloc(i - start + 1);
			CHECK(fields[n_fields]);
			memcpy(fields[n_fields], data + start, i - start);
			fields[n_fields][i - start] = '\0';
			n_fields++;
			start = i + 1;
		}
	}

	memset(var_values, 0, sizeof(var_values));
	for (i = 0; i < N_VARS && i < n_fields; i++)
		if (mask & (1u << i))
			var_values[i] = fields[i];
	check_env(err_len);

	for (i = 0; i < n_fields; i++) {
		check_headers(fields[i], preset, err_len);
		check_retry_after(fields[i], now, word);
	}
	for (i = 0; i < n_fields; i++)
		free(fields[i]);
	return 0;
}
