// SPDX-License-Identifier: MIT
/*
 * exporters/otlp_config.c, the OTLP exporter's pure half, pinned to exact
 * values: the OTEL_EXPORTER_OTLP_* environment, headers, backoff,
 * Retry-After and the statuses worth a retry. The queue and its thread:
 * test_otlp_exporter.c.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "otlp_exporter.h"

#define OX_ERR_LEN 256

/* ---- A fake environment: a NULL-terminated table read by ox_getenv ---- */

struct ox_env_var {
	const char *name;
	const char *value;
};

static const struct ox_env_var *ox_env;

static const char *ox_getenv(const char *name)
{
	for (const struct ox_env_var *v = ox_env; v && v->name; v++)
		if (strcmp(v->name, name) == 0)
			return v->value;
	return NULL;
}

#define EP "OTEL_EXPORTER_OTLP_ENDPOINT"
#define TEP "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
#define PROTO "OTEL_EXPORTER_OTLP_PROTOCOL"
#define TPROTO "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
#define HDRS "OTEL_EXPORTER_OTLP_HEADERS"
#define THDRS "OTEL_EXPORTER_OTLP_TRACES_HEADERS"
#define COMP "OTEL_EXPORTER_OTLP_COMPRESSION"
#define TCOMP "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"
#define TMO "OTEL_EXPORTER_OTLP_TIMEOUT"
#define TTMO "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"

struct ox_env_case {
	const char *what;
	struct ox_env_var env[8];
	const char *err;       /* NULL: success with the fields below */
	const char *url;
	enum otlp_protocol protocol;
	int gzip;
	uint32_t timeout_ms;
	const char *header;    /* "name=value" of the only header, NULL for none */
};

static const struct ox_env_case ox_env_cases[] = {
	{ "nothing set: exporter off, defaults", { { 0 } }, NULL, "", OTLP_HTTP_PROTOBUF, 0, 10000, NULL },
	{ "base endpoint gets the path", { { EP, "http://c:4318" } }, NULL,
	  "http://c:4318/v1/traces", 0, 0, 10000, NULL },
	{ "base endpoint trailing slash", { { EP, "http://c:4318/" } }, NULL,
	  "http://c:4318/v1/traces", 0, 0, 10000, NULL },
	{ "base endpoint slashes and spaces", { { EP, " https://c:4318/otlp// " } }, NULL,
	  "https://c:4318/otlp/v1/traces", 0, 0, 10000, NULL },
	{ "traces endpoint used as is", { { TEP, "http://t:9/custom/" } }, NULL,
	  "http://t:9/custom/", 0, 0, 10000, NULL },
	{ "traces endpoint wins", { { EP, "http://c:4318" }, { TEP, "http://t:9/x" } }, NULL,
	  "http://t:9/x", 0, 0, 10000, NULL },
	{ "empty traces endpoint is unset", { { TEP, "" }, { EP, "http://c" } }, NULL,
	  "http://c/v1/traces", 0, 0, 10000, NULL },
	{ "empty base endpoint is unset", { { EP, "" } }, NULL, "", 0, 0, 10000, NULL },
	{ "endpoint without scheme", { { EP, "collector:4318" } },
	  .err = EP ": the URL must start with http:// or https://" },
	{ "grpc scheme", { { TEP, "grpc://c:4317" } },
	  .err = TEP ": the URL must start with http:// or https://" },
	{ "endpoint without host", { { EP, "http:///" } }, .err = EP ": the URL has no host" },
	{ "endpoint with a space", { { EP, "http://c/a b" } },
	  .err = EP ": space or control character in the URL" },
	{ "http/json", { { PROTO, "http/json" } }, NULL, "", OTLP_HTTP_JSON, 0, 10000, NULL },
	{ "protocol case-insensitive", { { PROTO, " HTTP/JSON " } }, NULL, "", OTLP_HTTP_JSON, 0,
	  10000, NULL },
	{ "traces protocol wins", { { PROTO, "http/json" }, { TPROTO, "http/protobuf" } }, NULL,
	  "", OTLP_HTTP_PROTOBUF, 0, 10000, NULL },
	{ "grpc refused", { { PROTO, "grpc" } },
	  .err = PROTO ": grpc is not supported; use http/protobuf" },
	{ "traces grpc refused even over json", { { PROTO, "http/json" }, { TPROTO, "grpc" } },
	  .err = TPROTO ": grpc is not supported; use http/protobuf" },
	{ "unknown protocol", { { PROTO, "http" } },
	  .err = PROTO ": unknown protocol (http/protobuf or http/json)" },
	{ "gzip", { { COMP, "gzip" } }, NULL, "", 0, 1, 10000, NULL },
	{ "traces none wins over gzip", { { COMP, "gzip" }, { TCOMP, "none" } }, NULL, "", 0, 0,
	  10000, NULL },
	{ "GZIP case-insensitive", { { TCOMP, "GZIP" } }, NULL, "", 0, 1, 10000, NULL },
	{ "unknown compression", { { COMP, "zstd" } },
	  .err = COMP ": unknown compression (gzip or none)" },
	{ "timeout", { { TMO, "2500" } }, NULL, "", 0, 0, 2500, NULL },
	{ "traces timeout wins", { { TMO, "5000" }, { TTMO, "100" } }, NULL, "", 0, 0, 100, NULL },
	{ "timeout max", { { TMO, "3600000" } }, NULL, "", 0, 0, 3600000, NULL },
	{ "timeout zero", { { TMO, "0" } }, .err = TMO ": the timeout must be 1..3600000 ms" },
	{ "timeout too big", { { TTMO, "99999999999999999999" } },
	  .err = TTMO ": the timeout must be 1..3600000 ms" },
	{ "timeout with unit", { { TMO, "10s" } }, .err = TMO ": the timeout is whole milliseconds" },
	{ "timeout negative", { { TMO, "-1" } }, .err = TMO ": the timeout is whole milliseconds" },
	{ "timeout blank", { { TMO, "  " } }, .err = TMO ": empty timeout" },
	{ "headers", { { HDRS, "api-key=s%3Dcret" } }, NULL, "", 0, 0, 10000, "api-key=s=cret" },
	{ "traces headers replace the general ones", { { HDRS, "a=1,b=2" }, { THDRS, "c=3" } },
	  NULL, "", 0, 0, 10000, "c=3" },
	{ "bad headers name the variable", { { THDRS, "novalue" } },
	  .err = THDRS ": header 1: missing '='" },
	{ "everything at once",
	  { { EP, "http://c:4318/" }, { TPROTO, "http/json" }, { TCOMP, "gzip" }, { TTMO, "7" },
	    { THDRS, " x = y " } },
	  NULL, "http://c:4318/v1/traces", OTLP_HTTP_JSON, 1, 7, "x=y" },
};

Test(otlp_config, env_resolution_table)
{
	for (size_t i = 0; i < sizeof(ox_env_cases) / sizeof(ox_env_cases[0]); i++) {
		const struct ox_env_case *c = &ox_env_cases[i];
		struct otlp_config cfg;
		char err[OX_ERR_LEN] = "untouched", want[OX_ERR_LEN + 64];
		int rc;

		ox_env = c->env;
		memset(&cfg, 0xa5, sizeof(cfg));
		rc = otlp_config_from_env(&cfg, ox_getenv, err, sizeof(err));
		if (c->err) {
			cr_expect_eq(rc, -1, "%s: rc %d", c->what, rc);
			cr_expect_str_eq(err, c->err, "%s", c->what);
			continue;
		}
		cr_expect_eq(rc, 0, "%s: %s", c->what, err);
		cr_expect_str_eq(cfg.url, c->url, "%s", c->what);
		cr_expect_eq(cfg.protocol, c->protocol, "%s", c->what);
		cr_expect_eq(cfg.gzip, c->gzip, "%s", c->what);
		cr_expect_eq(cfg.timeout_ms, c->timeout_ms, "%s", c->what);
		cr_expect_eq(cfg.max_batch, 512, "%s", c->what);
		cr_expect_eq(cfg.max_delay_ms, 1000, "%s", c->what);
		cr_expect_eq(cfg.queue_size, 2048, "%s", c->what);
		cr_expect_eq(cfg.max_retry_ms, 60000, "%s", c->what);
		cr_expect_eq(cfg.n_headers, c->header ? 1u : 0u, "%s", c->what);
		if (c->header && cfg.n_headers == 1) {
			snprintf(want, sizeof(want), "%s=%s", cfg.headers[0].name,
				 cfg.headers[0].value);
			cr_expect_str_eq(want, c->header, "%s", c->what);
		}
	}
}

Test(otlp_config, env_error_truncated_to_err_len)
{
	static const struct ox_env_var env[] = { { PROTO, "grpc" }, { 0 } };
	struct otlp_config cfg;
	char err[12];

	ox_env = env;
	memset(err, 'x', sizeof(err));
	cr_assert_eq(otlp_config_from_env(&cfg, ox_getenv, err, 8), -1);
	cr_expect_str_eq(err, "OTEL_EX");
	cr_expect_eq(err[8], 'x');
	cr_expect_eq(otlp_config_from_env(&cfg, ox_getenv, NULL, 0), -1);
}

/* Zipkin's: the OTLP exporter's settings less its URLs, headers and gzip,
 * then its two variables. */
Test(otlp_config, zipkin_from_env)
{
	static const struct ox_env_var none[] = { { HDRS, "a=b" }, { TMO, "7000" }, { 0 } };
	static const struct ox_env_var set[] = {
		{ "OTEL_EXPORTER_ZIPKIN_ENDPOINT", " http://z:9411/api/v2/spans " },
		{ "OTEL_EXPORTER_ZIPKIN_TIMEOUT", "250" }, { 0 } };
	static const struct ox_env_var bad_url[] = {
		{ "OTEL_EXPORTER_ZIPKIN_ENDPOINT", "z:9411" }, { 0 } };
	static const struct ox_env_var bad_tmo[] = {
		{ "OTEL_EXPORTER_ZIPKIN_TIMEOUT", "1s" }, { 0 } };
	struct otlp_config oc, zc;
	char err[OX_ERR_LEN];

	ox_env = none;
	cr_assert_eq(otlp_config_from_env(&oc, ox_getenv, err, sizeof(err)), 0);
	oc.gzip = 1;
	strcpy(oc.url, "http://c:4318/v1/traces");
	strcpy(oc.logs_url, "http://c:4318/v1/logs");
	cr_assert_eq(zipkin_config_from_env(&zc, &oc, ox_getenv, err, sizeof(err)), 0);
	cr_expect_str_eq(zc.url, "");
	cr_expect_str_eq(zc.logs_url, "");
	cr_expect_eq(zc.n_headers, 0);
	cr_expect_eq(zc.gzip, 0);
	cr_expect_eq(zc.protocol, ZIPKIN_JSON_V2);
	cr_expect_eq(zc.timeout_ms, 7000); /* OTLP's */
	cr_expect_eq(zc.queue_size, 2048);
	cr_expect_eq(zc.max_batch, 512);

	ox_env = set;
	cr_assert_eq(zipkin_config_from_env(&zc, &oc, ox_getenv, err, sizeof(err)), 0);
	cr_expect_str_eq(zc.url, "http://z:9411/api/v2/spans"); /* as is, trimmed */
	cr_expect_eq(zc.timeout_ms, 250);
	cr_assert_eq(otlp_config_set_traces_url(&zc, "--zipkin-endpoint", "https://y/spans/", err,
						sizeof(err)), 0);
	cr_expect_str_eq(zc.url, "https://y/spans/");
	cr_expect_eq(otlp_config_set_traces_url(&zc, "--zipkin-endpoint", "https://", err,
						sizeof(err)), -1);
	cr_expect_str_eq(err, "--zipkin-endpoint: the URL has no host");
	cr_expect_str_eq(zc.url, "https://y/spans/"); /* unchanged */

	ox_env = bad_url;
	cr_expect_eq(zipkin_config_from_env(&zc, &oc, ox_getenv, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "OTEL_EXPORTER_ZIPKIN_ENDPOINT: the URL must start with http:// or "
			      "https://");
	ox_env = bad_tmo;
	cr_expect_eq(zipkin_config_from_env(&zc, &oc, ox_getenv, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "OTEL_EXPORTER_ZIPKIN_TIMEOUT: the timeout is whole milliseconds");
}

/* ---- Headers ---- */

static int ox_headers(struct otlp_config *cfg, const char *text, char *err)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(err, "untouched");
	return otlp_parse_headers(cfg, text, err, OX_ERR_LEN);
}

Test(otlp_config, headers_parse_trim_and_decode)
{
	struct otlp_config cfg;
	char err[OX_ERR_LEN];

	cr_assert_eq(ox_headers(&cfg, " Authorization = Bearer%20t0k%3D%3d ,x-tenant=blue,,"
				      "k=a=b,empty=,tab=%09x,utf=%C3%A9,plus=a+b ,",
				err), 0, "%s", err);
	cr_assert_eq(cfg.n_headers, 7);
	cr_expect_str_eq(cfg.headers[0].name, "Authorization");
	cr_expect_str_eq(cfg.headers[0].value, "Bearer t0k==");
	cr_expect_str_eq(cfg.headers[1].name, "x-tenant");
	cr_expect_str_eq(cfg.headers[1].value, "blue");
	cr_expect_str_eq(cfg.headers[2].name, "k");
	cr_expect_str_eq(cfg.headers[2].value, "a=b");
	cr_expect_str_eq(cfg.headers[3].name, "empty");
	cr_expect_str_eq(cfg.headers[3].value, "");
	cr_expect_str_eq(cfg.headers[4].value, "\tx");
	cr_expect_str_eq(cfg.headers[5].value, "\xc3\xa9");
	cr_expect_str_eq(cfg.headers[6].value, "a+b"); /* not form encoding */

	cr_expect_eq(ox_headers(&cfg, "", err), 0);
	cr_expect_eq(cfg.n_headers, 0);
	cr_expect_eq(ox_headers(&cfg, " , ,", err), 0);
	cr_expect_eq(cfg.n_headers, 0);
	cr_expect_eq(ox_headers(&cfg, NULL, err), 0);
}

Test(otlp_config, headers_errors)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "novalue", "header 1: missing '='" },
		{ "a=b, c", "header 2: missing '='" },
		{ "=v", "header 1: empty name" },
		{ "  =v", "header 1: empty name" },
		{ "a b=c", "header 1: invalid character in name" },
		{ "a:b=c", "header 1: invalid character in name" },
		{ "a=%zz", "header \"a\": bad percent-encoding" },
		{ "a=%2", "header \"a\": bad percent-encoding" },
		{ "a=x%", "header \"a\": bad percent-encoding" },
		{ "a=%0d%0aEvil: 1", "header \"a\": control character in value" },
		{ "a=%00", "header \"a\": control character in value" },
		{ "a=%7F", "header \"a\": control character in value" },
		{ "Content-Type=text/plain", "header \"Content-Type\" is set by the exporter" },
		{ "content-encoding=br", "header \"content-encoding\" is set by the exporter" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1",
		  "header 1: name longer than 63 bytes" },
	};
	struct otlp_config cfg;
	char err[OX_ERR_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(ox_headers(&cfg, cases[i].text, err), -1, "%s", cases[i].text);
		cr_expect_str_eq(err, cases[i].err, "%s", cases[i].text);
		cr_expect_eq(cfg.n_headers, 0, "%s: partial result kept", cases[i].text);
	}
}

Test(otlp_config, headers_value_length_limit)
{
	struct otlp_config cfg;
	char text[400], big[2 + 3 * 256 + 1] = "k=", err[OX_ERR_LEN];

	memset(text, 'v', sizeof(text));
	memcpy(text, "k=", 2);
	text[2 + 255] = '\0'; /* 255 bytes: the most that fits with the NUL */
	cr_expect_eq(ox_headers(&cfg, text, err), 0, "%s", err);
	cr_expect_eq(strlen(cfg.headers[0].value), 255);
	text[2 + 255] = 'v';
	text[2 + 256] = '\0';
	cr_expect_eq(ox_headers(&cfg, text, err), -1);
	cr_expect_str_eq(err, "header \"k\": value too long");
	/* The limit is on decoded bytes: 255 x "%41" fits, 256 do not. */
	for (int i = 0; i < 255; i++)
		memcpy(big + 2 + 3 * i, "%41", 3);
	big[2 + 3 * 255] = '\0';
	cr_expect_eq(ox_headers(&cfg, big, err), 0, "%s", err);
	cr_expect_eq(strlen(cfg.headers[0].value), 255);
	memcpy(big + 2 + 3 * 255, "%41", 4);
	cr_expect_eq(ox_headers(&cfg, big, err), -1);
}

Test(otlp_config, headers_too_many_and_appending)
{
	struct otlp_config cfg;
	char text[512], err[OX_ERR_LEN];
	size_t n = 0;

	for (int i = 0; i < OTLP_HEADERS_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "h%d=%d,", i, i);
	cr_assert_eq(ox_headers(&cfg, text, err), 0, "%s", err);
	cr_expect_eq(cfg.n_headers, OTLP_HEADERS_MAX);
	cr_expect_str_eq(cfg.headers[15].name, "h15");
	snprintf(text + n, sizeof(text) - n, "h16=16");
	cr_expect_eq(ox_headers(&cfg, text, err), -1);
	cr_expect_str_eq(err, "too many headers (at most 16)");
	cr_expect_eq(cfg.n_headers, 0);

	/* Appending: a second call adds after the first, and a failing call
	 * keeps what was there. */
	cr_assert_eq(ox_headers(&cfg, "a=1", err), 0);
	cr_assert_eq(otlp_parse_headers(&cfg, "b=2,c=3", err, sizeof(err)), 0);
	cr_expect_eq(cfg.n_headers, 3);
	cr_expect_str_eq(cfg.headers[2].name, "c");
	cr_expect_eq(otlp_parse_headers(&cfg, "d=4,bad", err, sizeof(err)), -1);
	cr_expect_eq(cfg.n_headers, 3);
	cr_expect_str_eq(err, "header 2: missing '='");
}

/* ---- Backoff, Retry-After, statuses ---- */

Test(otlp_config, backoff_bounds_and_growth)
{
	static const struct {
		uint32_t attempt;
		uint32_t at0, at_half, at_999;
	} cases[] = {
		{ 0, 0, 50, 99 },       { 1, 0, 100, 199 },     { 2, 0, 200, 399 },
		{ 3, 0, 400, 799 },     { 4, 0, 800, 1598 },    { 5, 0, 1600, 3196 },
		{ 6, 0, 2500, 4995 },   { 7, 0, 2500, 4995 },   { 31, 0, 2500, 4995 },
		{ 32, 0, 2500, 4995 },  { UINT32_MAX, 0, 2500, 4995 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t a = cases[i].attempt;

		cr_expect_eq(otlp_backoff_ms(a, 0.0, 0), cases[i].at0, "attempt %u", a);
		cr_expect_eq(otlp_backoff_ms(a, 0.5, 0), cases[i].at_half, "attempt %u", a);
		cr_expect_eq(otlp_backoff_ms(a, 0.999, 0), cases[i].at_999, "attempt %u", a);
	}
	/* Never the cap itself, and out-of-range jitter is clamped. */
	cr_expect_eq(otlp_backoff_ms(0, 0.99999999999, 0), 99);
	cr_expect_eq(otlp_backoff_ms(0, 1.0, 0), 99);
	cr_expect_eq(otlp_backoff_ms(0, 7.5, 0), 99);
	cr_expect_eq(otlp_backoff_ms(0, -3.0, 0), 0);
	cr_expect_eq(otlp_backoff_ms(0, NAN, 0), 0);
	cr_expect_eq(otlp_backoff_ms(9, INFINITY, 0), 4999);
	/* Retry-After wins only when larger. */
	cr_expect_eq(otlp_backoff_ms(0, 0.5, 1000), 1000);
	cr_expect_eq(otlp_backoff_ms(6, 0.999, 1000), 4995);
	cr_expect_eq(otlp_backoff_ms(6, 0.999, 60000), 60000);
}

#define OX_NOW 1445412480 /* Wed, 21 Oct 2015 07:28:00 GMT */

Test(otlp_config, retry_after_both_forms)
{
	static const struct {
		const char *v;
		uint32_t ms;
	} cases[] = {
		{ "0", 0 },
		{ "1", 1000 },
		{ "  7 ", 7000 },
		{ "\t12", 12000 },
		{ "59", 59000 },
		{ "60", 60000 },
		{ "61", 60000 },
		{ "0000000000000000000000000000003", 3000 },
		{ "99999999999999999999999999", 60000 },
		{ "Wed, 21 Oct 2015 07:28:10 GMT", 10000 },
		{ "Wed, 21 Oct 2015 07:28:01 GMT", 1000 },
		{ "Wed, 21 Oct 2015 07:29:00 GMT", 60000 },
		{ "Wed, 21 Oct 2015 07:29:01 GMT", 60000 },
		{ "Wed, 21 Oct 2015 07:28:00 GMT", 0 }, /* now: no wait */
		{ "Wed, 21 Oct 2015 07:27:00 GMT", 0 }, /* past */
		{ "Fri, 01 Jan 2100 00:00:00 GMT", 60000 },
		{ "Thu, 01 Jan 1970 00:00:00 GMT", 0 },
		{ " Wed, 21 Oct 2015 07:28:30 GMT ", 30000 },
		{ "Sun, 21 Oct 2015 07:28:30 GMT", 30000 }, /* wrong weekday: still a date */
		{ "Wed, 21 Oct 2015 07:28:60 GMT", 60000 }, /* leap second */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(otlp_parse_retry_after(cases[i].v, OX_NOW), cases[i].ms, "\"%s\"",
			     cases[i].v);
	/* Leap day, relative to its own midnight. */
	cr_expect_eq(otlp_parse_retry_after("Mon, 29 Feb 2016 00:00:05 GMT", 1456704000), 5000);
	cr_expect_eq(otlp_parse_retry_after("Tue, 29 Feb 2000 00:00:02 GMT", 951782400), 2000);
	/* No overflow at the ends of now. */
	cr_expect_eq(otlp_parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", INT64_MIN), 60000);
	cr_expect_eq(otlp_parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", INT64_MAX), 0);
}

Test(otlp_config, retry_after_garbage_is_zero)
{
	static const char *const bad[] = {
		"", "   ", "abc", "5s", "-5", "+5", "1.5", "5 5", "0x10",
		"Wed, 21 Oct 2015 07:28:10 UTC",
		"Wed, 21 Oct 2015 07:28:10 gmt",
		"wed, 21 Oct 2015 07:28:10 GMT",
		"Wed, 21 oct 2015 07:28:10 GMT",
		"Wed,21 Oct 2015 07:28:10 GMT",
		"Wed, 21 Oct 2015 07:28:10 GMT x",
		"Wed, 21 Oct 2015 7:28:10 GMT",
		"Wed, 32 Oct 2016 07:28:10 GMT",
		"Wed, 00 Oct 2016 07:28:10 GMT",
		"Wed, 31 Nov 2016 07:28:10 GMT",
		"Sun, 29 Feb 2015 07:28:10 GMT",
		"Mon, 29 Feb 2100 07:28:10 GMT",
		"Wed, 21 Foo 2016 07:28:10 GMT",
		"Xyz, 21 Oct 2016 07:28:10 GMT",
		"Wed, 21 Oct 2016 24:00:00 GMT",
		"Wed, 21 Oct 2016 07:60:00 GMT",
		"Wed, 21 Oct 2016 07:28:61 GMT",
		"Wed, 21 Oct 20x6 07:28:10 GMT",
		"Wednesday, 21-Oct-16 07:28:10 GMT", /* RFC 850: not read */
		"Wed Oct 21 07:28:10 2016",          /* asctime: not read */
	};

	cr_expect_eq(otlp_parse_retry_after(NULL, OX_NOW), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(otlp_parse_retry_after(bad[i], 0), 0, "\"%s\"", bad[i]);
}

Test(otlp_config, retryable_statuses)
{
	static const long yes[] = { 429, 502, 503, 504 };
	static const long no[] = { -1, 0, 100, 200, 204, 301, 400, 401, 403, 404, 408, 413,
				   500, 501, 505, 599, 4290 };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		cr_expect_eq(otlp_status_is_retryable(yes[i]), 1, "%ld", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_expect_eq(otlp_status_is_retryable(no[i]), 0, "%ld", no[i]);
}
