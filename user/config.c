// SPDX-License-Identifier: MIT
/*
 * Command-line parsing without getopt: getopt_long keeps state in globals
 * (optind, optarg, and glibc's hidden __nextchar), so it cannot be called
 * twice in one process without resetting it in a libc-specific way. This
 * loop is re-entrant, so every error path is a plain unit test.
 *
 * Accepted forms: "--flag value", "--flag=value", "-p PID", "-pPID", "-v",
 * "-h". Options are read left to right; the first error, --help or
 * --version stops parsing. A value that starts with "--" is taken as a
 * missing value ("--comm --verbose"), so a forgotten value never swallows
 * the next flag. "--" ends the options; any positional argument is an error.
 * Numbers are plain decimal: no sign, no spaces, no hex, no exponent.
 *
 * The same table and the same checks serve the --config file
 * (config_file.c): a value is checked by config_apply whichever way it
 * came, and only the prefix of its message differs ("--learn: ..." here,
 * "FILE:LINE:COL: learn: ..." there).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <string.h>

#include "alert.h"
#include "config_file.h"
#include "events.h"
#include "otlp_exporter.h"
#include "proto.h"
#include "syslog_sink.h"

#define CONFIG_RINGBUF_DEFAULT (16ULL << 20)
#define CONFIG_RINGBUF_MIN (64ULL << 10)
#define CONFIG_RINGBUF_MAX (1ULL << 30)
#define CONFIG_PID_MAX 4194304 /* PID_MAX_LIMIT on 64-bit kernels */
#define CONFIG_STATS_DEFAULT 5.0
#define CONFIG_MAX_CONNS_MIN 16
#define CONFIG_MAX_CONNS_MAX 262144 /* 2 KiB each, touched only when used, and a
				    * protocol state (12-23 KiB) while one lives */
#define CONFIG_MAX_CONNS_DEFAULT 16384
#define CONFIG_IDLE_DEFAULT 300.0
#define CONFIG_SECONDS_MAX 86400 /* one day */
#define CONFIG_REORDER_DEFAULT 50
#define CONFIG_REORDER_MAX 10000
#define CONFIG_METRICS_DEFAULT "127.0.0.1:9464"
#define CONFIG_NS 1000000000ULL
#define CONFIG_DAY_S 86400ULL
#define CONFIG_LEARN_DEFAULT (CONFIG_DAY_S * CONFIG_NS)
#define CONFIG_LEARN_MAX (365 * CONFIG_DAY_S * CONFIG_NS)
#define CONFIG_STATE_DIR_DEFAULT "/var/lib/zerotrace"
#define CONFIG_ALERT_WINDOW_DEFAULT 60.0
#define CONFIG_ALERT_RATE_DEFAULT 100
#define CONFIG_ALERT_RATE_MAX 100000
#define CONFIG_AUDIT_SIZE_MIN (4ULL << 10)
#define CONFIG_AUDIT_SIZE_MAX (1ULL << 30)
#define CONFIG_AUDIT_SIZE_DEFAULT (64ULL << 20)
#define CONFIG_AUDIT_AGE_MIN CONFIG_NS
#define CONFIG_AUDIT_AGE_MAX (30 * CONFIG_DAY_S * CONFIG_NS)
#define CONFIG_AUDIT_AGE_DEFAULT (3600ULL * CONFIG_NS)
#define CONFIG_AUDIT_KEEP_DEFAULT 168 /* a week of hourly files */
#define CONFIG_AUDIT_KEEP_MAX 100000
#define CONFIG_SUN_PATH_MAX 107 /* sizeof(sockaddr_un.sun_path) - 1 */
/* Fraction digits kept when parsing seconds: nanosecond resolution. */
#define CONFIG_FRAC_DIGITS 9
#define CONFIG_FRAC_SCALE 1000000000ULL

enum config_opt_id {
	OPT_OUTPUT,
	OPT_CAPTURE_BYTES,
	OPT_RINGBUF_SIZE,
	OPT_PID,
	OPT_COMM,
	OPT_PORT,
	OPT_STATS_INTERVAL,
	OPT_MAX_CONNS,
	OPT_IDLE_TIMEOUT,
	OPT_VERBOSE,
	OPT_INJECT,
	OPT_CGROUP,
	OPT_REORDER_MS,
	OPT_OTLP_ENDPOINT,
	OPT_OTLP_PROTOCOL,
	OPT_OTLP_HEADERS,
	OPT_OTLP_COMPRESSION,
	OPT_OTLP_TIMEOUT,
	OPT_METRICS_ADDR,
	OPT_PROTOCOLS,
	OPT_LEARN,
	OPT_STATE_DIR,
	OPT_ALERTS_OUTPUT,
	OPT_ALERT_WINDOW,
	OPT_ALERT_RATE,
	OPT_DISABLE_RULE,
	OPT_POLICY,
	OPT_SYSLOG_ADDR,
	OPT_AUDIT_DIR,
	OPT_AUDIT_MAX_SIZE,
	OPT_AUDIT_MAX_AGE,
	OPT_AUDIT_KEEP,
	OPT_CONFIG,
	OPT_HELP,
	OPT_VERSION,
	OPT_COUNT,
};

_Static_assert(OPT_COUNT <= 64, "set_by_cmdline/set_by_file hold a bit per option");
_Static_assert(ALERT_RULE_COUNT <= 32, "disabled_rules holds a bit per rule");

struct config_option {
	const char *name;  /* long form, without "--" */
	char short_name;   /* 0 when there is none */
	const char *value; /* placeholder shown in usage; NULL for a switch */
	const char *help;  /* one line for usage */
	const char *def;   /* default shown in usage; NULL when none applies */
	enum config_opt_id id;
};

/* The one list of flags: parsing and usage both read it. */
static const struct config_option config_options[] = {
	{ "output", 0, "jsonl|pretty|none",
	  "jsonl: one JSON object per line; pretty: trace trees for humans; none",
	  "pretty on a terminal, else jsonl", OPT_OUTPUT },
	{ "capture-bytes", 0, "N", "payload bytes copied per syscall, 1..4096",
	  "512", OPT_CAPTURE_BYTES },
	{ "ringbuf-size", 0, "SIZE",
	  "ring buffer size, power of two 64K..1G (K/M/G suffixes)", "16M",
	  OPT_RINGBUF_SIZE },
	{ "pid", 'p', "PID",
	  "trace only this process, 1..4194304; repeatable (64 max)", "all",
	  OPT_PID },
	{ "comm", 0, "NAME",
	  "trace only this exact process name, 1..15 characters", "any",
	  OPT_COMM },
	{ "port", 0, "PORT",
	  "trace only this local or remote port, 1..65535; repeatable (64 max)",
	  "all", OPT_PORT },
	{ "stats-interval", 0, "SECONDS",
	  "seconds between statistics reports, 0 < s <= 86400, decimals ok",
	  "5", OPT_STATS_INTERVAL },
	{ "max-conns", 0, "N", "connections tracked at once, 16..262144",
	  "16384", OPT_MAX_CONNS },
	{ "idle-timeout", 0, "SECONDS",
	  "forget a connection idle this long, 0 < s <= 86400, decimals ok",
	  "300", OPT_IDLE_TIMEOUT },
	{ "cgroup", 0, "PATH",
	  "trace only processes in this cgroup v2 directory or below", "all",
	  OPT_CGROUP },
	{ "inject-traceparent", 0, NULL,
	  "write a W3C traceparent into outgoing plain HTTP/1.x requests",
	  "off", OPT_INJECT },
	{ "reorder-window-ms", 0, "MS",
	  "hold events this long to release them in causal order, 0..10000",
	  "50", OPT_REORDER_MS },
	{ "otlp-endpoint", 0, "URL",
	  "send spans over OTLP/HTTP to URL/v1/traces (or OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT)",
	  "off", OPT_OTLP_ENDPOINT },
	{ "otlp-protocol", 0, "PROTO", "http/protobuf or http/json (or OTEL_EXPORTER_OTLP_PROTOCOL)",
	  "http/protobuf", OPT_OTLP_PROTOCOL },
	{ "otlp-headers", 0, "K=V,...", "extra request headers (or OTEL_EXPORTER_OTLP_HEADERS)",
	  "none", OPT_OTLP_HEADERS },
	{ "otlp-compression", 0, "gzip|none", "request compression (or OTEL_EXPORTER_OTLP_COMPRESSION)",
	  "none", OPT_OTLP_COMPRESSION },
	{ "otlp-timeout", 0, "MS", "per-request timeout, 1..600000 (or OTEL_EXPORTER_OTLP_TIMEOUT)",
	  "10000", OPT_OTLP_TIMEOUT },
	{ "metrics-addr", 0, "ADDR",
	  "serve Prometheus /metrics on ADDR (ipv4:port, [ipv6]:port, :port), or off",
	  "127.0.0.1:9464", OPT_METRICS_ADDR },
	{ "protocols", 0, "LIST",
	  "protocol parsers to run, comma-separated (the others cost a counter, not a parse)",
	  "all", OPT_PROTOCOLS },
	{ "learn", 0, "DURATION",
	  "learn the normal calls this long, then alert on new ones (0: keep the saved baseline), up to 365d",
	  "24h", OPT_LEARN },
	{ "state-dir", 0, "DIR", "absolute directory where the learned baseline is kept",
	  "/var/lib/zerotrace", OPT_STATE_DIR },
	{ "alerts-output", 0, "FILE|-", "append alerts as JSON lines to FILE, or - for stdout",
	  "off", OPT_ALERTS_OUTPUT },
	{ "alert-window", 0, "SECONDS",
	  "repeats of one alert inside this window are counted, not sent, 0 < s <= 86400",
	  "60", OPT_ALERT_WINDOW },
	{ "alert-rate", 0, "N",
	  "alerts sent per second at most, 1..100000 (the others are counted as suppressed)",
	  "100", OPT_ALERT_RATE },
	{ "disable-rule", 0, "ID", "switch a detection rule off (ids below); repeatable", "none",
	  OPT_DISABLE_RULE },
	{ "policy", 0, "FILE", "alert on the calls this YAML policy denies", "none", OPT_POLICY },
	{ "syslog-addr", 0, "ADDR",
	  "send alerts as RFC 5424 syslog to unix:/PATH, udp:HOST:PORT or tcp:HOST:PORT",
	  "off", OPT_SYSLOG_ADDR },
	{ "audit-dir", 0, "DIR", "write the audit trail of alerts into this absolute directory",
	  "off", OPT_AUDIT_DIR },
	{ "audit-max-size", 0, "SIZE", "start a new audit file at this size, 4K..1G (K/M/G suffixes)",
	  "64M", OPT_AUDIT_MAX_SIZE },
	{ "audit-max-age", 0, "DURATION", "start a new audit file at this age, 1s..30d", "1h",
	  OPT_AUDIT_MAX_AGE },
	{ "audit-keep", 0, "N", "closed audit files kept (the oldest are deleted), 1..100000",
	  "168", OPT_AUDIT_KEEP },
	{ "config", 0, "FILE",
	  "read options from this YAML file (the command line and OTEL_* variables win)",
	  "none", OPT_CONFIG },
	{ "verbose", 'v', NULL, "print libbpf messages", "off", OPT_VERBOSE },
	{ "help", 'h', NULL, "print this help and exit", NULL, OPT_HELP },
	{ "version", 0, NULL, "print the version and exit", NULL, OPT_VERSION },
};

#define CONFIG_N_OPTIONS (sizeof(config_options) / sizeof(config_options[0]))

void config_defaults(struct zt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->output = ZT_OUTPUT_AUTO;
	cfg->capture_bytes = ZT_CAPTURE_DEFAULT;
	cfg->ringbuf_size = CONFIG_RINGBUF_DEFAULT;
	cfg->stats_interval = CONFIG_STATS_DEFAULT;
	cfg->max_conns = CONFIG_MAX_CONNS_DEFAULT;
	cfg->idle_timeout = CONFIG_IDLE_DEFAULT;
	cfg->reorder_window_ms = CONFIG_REORDER_DEFAULT;
	cfg->protocols = ZT_PROTO_ALL;
	snprintf(cfg->metrics_addr, sizeof(cfg->metrics_addr), "%s", CONFIG_METRICS_DEFAULT);
	cfg->learn_ns = CONFIG_LEARN_DEFAULT;
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", CONFIG_STATE_DIR_DEFAULT);
	cfg->alert_window = CONFIG_ALERT_WINDOW_DEFAULT;
	cfg->alert_rate = CONFIG_ALERT_RATE_DEFAULT;
	cfg->audit_max_size = CONFIG_AUDIT_SIZE_DEFAULT;
	cfg->audit_max_age_ns = CONFIG_AUDIT_AGE_DEFAULT;
	cfg->audit_keep = CONFIG_AUDIT_KEEP_DEFAULT;
}

__attribute__((format(printf, 3, 4))) static enum config_result
config_fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err && err_len) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return CONFIG_ERROR;
}


/* Copies a string value that must fit and be non-empty. */
static enum config_result config_copy(char *dst, size_t cap, const char *val, char *why,
				      size_t why_len)
{
	size_t n = strlen(val);

	if (n == 0 || n >= cap)
		return config_fail(why, why_len, "must be 1 to %zu characters (got '%s')", cap - 1,
				   val);
	memcpy(dst, val, n + 1);
	return CONFIG_OK;
}

/* Plain decimal, at least one digit; 0 on syntax error or overflow. */
static int config_parse_u64(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	if (p == s)
		return 0;
	*end = p;
	*out = v;
	return 1;
}

/* An integer in [min, max] with nothing after it. */
static int config_parse_range(const char *s, uint64_t min, uint64_t max,
			      uint64_t *out)
{
	const char *end;

	return config_parse_u64(s, &end, out) && *end == '\0' && *out >= min &&
	       *out <= max;
}

/* N, NK, NM or NG (powers of 1024, either case), in [min, max]. */
static int config_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;
	unsigned shift = 0;

	if (!config_parse_u64(s, &end, &v))
		return 0;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	default: return 0;
	}
	if (shift && end[1] != '\0')
		return 0;
	if (v > (max >> shift))
		return 0;
	v <<= shift;
	if (v < min)
		return 0;
	*out = v;
	return 1;
}

/* A power of two in range. */
static int config_parse_ringbuf(const char *s, uint64_t *out)
{
	uint64_t v;

	/* Powers of two >= 64K are multiples of the 4K page, as libbpf needs. */
	if (!config_parse_size(s, CONFIG_RINGBUF_MIN, CONFIG_RINGBUF_MAX, &v) || (v & (v - 1)) != 0)
		return 0;
	*out = v;
	return 1;
}

/* "N", "N.F" or ".F" into whole and fractional nanoseconds (the first nine
 * fraction digits; later ones are checked, then ignored). The whole part
 * saturates past `cap`. Returns the end, or NULL without a digit. */
static const char *config_parse_decimal(const char *s, uint64_t cap, uint64_t *ip,
					uint64_t *frac_ns)
{
	uint64_t frac = 0, scale = 1;
	const char *p = s;
	int digits = 0, nfrac = 0;

	*ip = 0;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (*ip <= cap)
			*ip = *ip * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (nfrac++ < CONFIG_FRAC_DIGITS) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
		}
	}
	if (digits == 0)
		return NULL;
	*frac_ns = frac * (CONFIG_FRAC_SCALE / scale);
	return p;
}

/* Seconds: "N", "N.F" or ".F"; > 0 and <= one day. Own parser rather than
 * strtod, which also takes signs, spaces, hex, inf, nan and the locale's
 * decimal point. */
static int config_parse_seconds(const char *s, double *out)
{
	uint64_t ip, frac;
	const char *p = config_parse_decimal(s, CONFIG_SECONDS_MAX, &ip, &frac);

	if (!p || *p != '\0' || ip > CONFIG_SECONDS_MAX)
		return 0;
	if (ip == 0 && frac == 0)
		return 0;
	if (ip == CONFIG_SECONDS_MAX && frac != 0)
		return 0;
	/* One correctly rounded division of an exact integer (< 2^53). */
	*out = (double)(ip * CONFIG_FRAC_SCALE + frac) / (double)CONFIG_FRAC_SCALE;
	return 1;
}

/* A duration: a decimal number of seconds ("90", "1.5"), or followed by
 * s, m, h or d ("90s", "15m", "24h", "7d", "1.5h"); in [min_ns, max_ns]. */
static int config_parse_duration(const char *s, uint64_t min_ns, uint64_t max_ns, uint64_t *out)
{
	uint64_t ip, frac, unit = 1, ns;
	const char *p = config_parse_decimal(s, max_ns / CONFIG_NS + 1, &ip, &frac);

	if (!p)
		return 0;
	switch (*p) {
	case '\0': break;
	case 's': p++; break;
	case 'm': unit = 60; p++; break;
	case 'h': unit = 3600; p++; break;
	case 'd': unit = CONFIG_DAY_S; p++; break;
	default: return 0;
	}
	if (*p != '\0' || ip > max_ns / (unit * CONFIG_NS))
		return 0;
	/* ip * unit s <= max_ns; frac * unit < 1 s * one day: no overflow */
	ns = ip * unit * CONFIG_NS + frac * unit;
	if (ns < min_ns || ns > max_ns)
		return 0;
	*out = ns;
	return 1;
}

/* An IPv4 literal: what inet_pton takes, dotted quad only. */
static int config_is_ipv4(const char *host)
{
	struct in_addr a;

	return inet_pton(AF_INET, host, &a) == 1;
}

/* A DNS name: labels of letters, digits, '-' and '_' (Docker and Compose
 * names), 1..63 each, not starting or ending with '-', 253 in all; the
 * last label not all digits (that is a mistyped IPv4 address). */
static int config_is_hostname(const char *h, size_t len)
{
	size_t i, label = 0;
	int all_digits = 1;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i <= len; i++) {
		char c = i < len ? h[i] : '.';

		if (c == '.') {
			if (label == 0 || label > 63 || h[i - 1] == '-')
				return 0;
			if (i == len && all_digits)
				return 0;
			label = 0;
			all_digits = 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
		if (label == 0 && c == '-')
			return 0;
		if (c < '0' || c > '9')
			all_digits = 0;
		label++;
	}
	return 1;
}

enum config_host {
	CONFIG_HOST_LITERAL = 0, /* IPv4 or [IPv6] literals only */
	CONFIG_HOST_NAMES = 1,   /* host names as well */
	CONFIG_HOST_EMPTY = 2,   /* ":PORT" (every IPv4 interface) as well */
};

/* "HOST:PORT" or "[IPV6]:PORT", port 1..65535. The literal rules are
 * exporters/metrics_http.c's mh_parse_addr, so an address accepted here
 * is one it binds. */
static int config_parse_hostport(const char *s, unsigned allow)
{
	char host[256];
	struct in6_addr a6;
	const char *end, *port;
	size_t hlen;
	uint64_t u;

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			return 0;
		hlen = (size_t)(end - s - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return 0;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return 0;
		port = end + 2;
	} else {
		end = strchr(s, ':');
		/* an IPv6 address without brackets, or a second port */
		if (!end || strchr(end + 1, ':'))
			return 0;
		hlen = (size_t)(end - s);
		if (hlen >= sizeof(host))
			return 0;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		if (hlen == 0) {
			if (!(allow & CONFIG_HOST_EMPTY))
				return 0;
		} else if (!config_is_ipv4(host) &&
			   !((allow & CONFIG_HOST_NAMES) && config_is_hostname(host, hlen))) {
			return 0;
		}
		port = end + 1;
	}
	return config_parse_range(port, 1, 65535, &u);
}

/* unix:/PATH or unix:@NAME (abstract; either fits sun_path), udp:HOST:PORT,
 * tcp:HOST:PORT. Stricter than the sink's own syslog_parse_addr (absolute
 * paths, IP literals and DNS names only), and never looser: both must
 * accept, so an address that passes here is one the sink opens. */
static int config_parse_syslog(const char *s)
{
	struct syslog_addr a;
	size_t n;
	int ok = 0;

	if (strncmp(s, "unix:", 5) == 0) {
		n = strlen(s + 5);
		ok = (s[5] == '/' || (s[5] == '@' && n > 1)) && n <= CONFIG_SUN_PATH_MAX;
	} else if (strncmp(s, "udp:", 4) == 0 || strncmp(s, "tcp:", 4) == 0) {
		ok = config_parse_hostport(s + 4, CONFIG_HOST_NAMES);
	}
	return ok && syslog_parse_addr(s, &a, NULL, 0) == 0;
}

static const struct config_option *config_find_long(const char *name,
						     size_t len)
{
	size_t i;

	for (i = 0; i < CONFIG_N_OPTIONS; i++)
		if (strlen(config_options[i].name) == len &&
		    memcmp(config_options[i].name, name, len) == 0)
			return &config_options[i];
	return NULL;
}

static const struct config_option *config_find_short(char c)
{
	size_t i;

	for (i = 0; i < CONFIG_N_OPTIONS; i++)
		if (config_options[i].short_name == c)
			return &config_options[i];
	return NULL;
}

/* "http1,redis": each a registered module's name, at least one. */
static enum config_result config_parse_protocols(struct zt_config *cfg, const char *val, char *why,
						 size_t why_len)
{
	char known[256] = "";
	const char *p = val;
	uint32_t set = 0;

	for (;;) {
		size_t n = strcspn(p, ",");
		const struct proto *pr = proto_by_name(p, n);

		if (!pr)
			break;
		set |= 1u << pr->id;
		if (!p[n]) {
			cfg->protocols = set;
			return CONFIG_OK;
		}
		p += n + 1;
	}
	for (uint8_t id = 1; id < ZT_PROTO_COUNT; id++)
		snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
			 id > 1 ? ", " : "", proto_by_id(id)->name);
	return config_fail(why, why_len, "must be a comma-separated list of: %s (got '%s')", known,
			   val);
}

static enum config_result config_disable_rule(struct zt_config *cfg, const char *val, char *why,
					      size_t why_len)
{
	uint32_t r = alert_rule_by_name(val, strlen(val));
	char known[512] = "";

	if (r < ALERT_RULE_COUNT) {
		cfg->disabled_rules |= 1u << r;
		return CONFIG_OK;
	}
	for (r = 0; r < ALERT_RULE_COUNT; r++)
		snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
			 r ? ", " : "", alert_rules[r].name);
	return config_fail(why, why_len, "must be a rule id, one of: %s (got '%s')", known, val);
}

static int config_otlp_headers_ok(const char *val, char *why, size_t why_len)
{
	struct otlp_config oc = { 0 };
	char sub[256];

	if (otlp_parse_headers(&oc, val, sub, sizeof(sub)) == 0)
		return 1;
	config_fail(why, why_len, "%s (got '%s')", sub, val);
	return 0;
}

/* A path that must be absolute. */
static enum config_result config_abs_path(char *dst, size_t cap, const char *val, char *why,
					  size_t why_len)
{
	size_t n = strlen(val);

	if (n == 0 || n >= cap || val[0] != '/')
		return config_fail(why, why_len,
				   "must be an absolute path shorter than %zu characters (got '%s')",
				   cap, val);
	memcpy(dst, val, n + 1);
	return CONFIG_OK;
}

/* A file path, relative or absolute. */
static enum config_result config_file_path(char *dst, size_t cap, const char *val, char *why,
					   size_t why_len)
{
	size_t n = strlen(val);

	if (n == 0 || n >= cap)
		return config_fail(why, why_len,
				   "must be a file path of 1 to %zu characters (got '%s')", cap - 1,
				   val);
	memcpy(dst, val, n + 1);
	return CONFIG_OK;
}

/* Applies one option that takes a value; `why` gets the reason without
 * the option's name. `first`: a list given again starts over. */
static enum config_result config_apply(struct zt_config *cfg, const struct config_option *opt,
				       const char *val, int first, char *why, size_t why_len)
{
	uint64_t u;
	size_t n;

	switch (opt->id) {
	case OPT_OUTPUT:
		if (strcmp(val, "jsonl") == 0)
			cfg->output = ZT_OUTPUT_JSONL;
		else if (strcmp(val, "pretty") == 0)
			cfg->output = ZT_OUTPUT_PRETTY;
		else if (strcmp(val, "auto") == 0)
			cfg->output = ZT_OUTPUT_AUTO;
		else if (strcmp(val, "none") == 0)
			cfg->output = ZT_OUTPUT_NONE;
		else
			return config_fail(why, why_len,
					   "must be jsonl, pretty, none or auto (got '%s')", val);
		return CONFIG_OK;
	case OPT_CAPTURE_BYTES:
		if (!config_parse_range(val, 1, ZT_CAPTURE_MAX, &u))
			return config_fail(why, why_len,
					   "must be an integer between 1 and %d (got '%s')",
					   ZT_CAPTURE_MAX, val);
		cfg->capture_bytes = (uint32_t)u;
		return CONFIG_OK;
	case OPT_RINGBUF_SIZE:
		if (!config_parse_ringbuf(val, &u))
			return config_fail(why, why_len,
					   "must be a power of two between 64K and 1G (got '%s')", val);
		cfg->ringbuf_size = u;
		return CONFIG_OK;
	case OPT_PID:
		if (!config_parse_range(val, 1, CONFIG_PID_MAX, &u))
			return config_fail(why, why_len,
					   "must be an integer between 1 and %d (got '%s')",
					   CONFIG_PID_MAX, val);
		if (first)
			cfg->n_pids = 0;
		if (cfg->n_pids >= ZT_MAX_PID_FILTERS)
			return config_fail(why, why_len, "at most %d may be given",
					   ZT_MAX_PID_FILTERS);
		cfg->pids[cfg->n_pids++] = (uint32_t)u;
		return CONFIG_OK;
	case OPT_COMM:
		return config_copy(cfg->comm, sizeof(cfg->comm), val, why, why_len);
	case OPT_PORT:
		if (!config_parse_range(val, 1, 65535, &u))
			return config_fail(why, why_len,
					   "must be an integer between 1 and 65535 (got '%s')", val);
		if (first)
			cfg->n_ports = 0;
		if (cfg->n_ports >= ZT_MAX_PORT_FILTERS)
			return config_fail(why, why_len, "at most %d may be given",
					   ZT_MAX_PORT_FILTERS);
		cfg->ports[cfg->n_ports++] = (uint16_t)u;
		return CONFIG_OK;
	case OPT_STATS_INTERVAL:
	case OPT_IDLE_TIMEOUT:
	case OPT_ALERT_WINDOW:
		if (!config_parse_seconds(val, opt->id == OPT_STATS_INTERVAL ? &cfg->stats_interval :
					       opt->id == OPT_IDLE_TIMEOUT ? &cfg->idle_timeout :
									   &cfg->alert_window))
			return config_fail(why, why_len,
					   "must be a number of seconds greater than 0 and at most %d (got '%s')",
					   CONFIG_SECONDS_MAX, val);
		return CONFIG_OK;
	case OPT_MAX_CONNS:
		if (!config_parse_range(val, CONFIG_MAX_CONNS_MIN, CONFIG_MAX_CONNS_MAX, &u))
			return config_fail(why, why_len,
					   "must be an integer between %d and %d (got '%s')",
					   CONFIG_MAX_CONNS_MIN, CONFIG_MAX_CONNS_MAX, val);
		cfg->max_conns = (uint32_t)u;
		return CONFIG_OK;
	case OPT_CGROUP:
		return config_abs_path(cfg->cgroup, sizeof(cfg->cgroup), val, why, why_len);
	case OPT_REORDER_MS:
		if (!config_parse_range(val, 0, CONFIG_REORDER_MAX, &u))
			return config_fail(why, why_len,
					   "must be an integer between 0 and %d (got '%s')",
					   CONFIG_REORDER_MAX, val);
		cfg->reorder_window_ms = (uint32_t)u;
		return CONFIG_OK;
	case OPT_OTLP_ENDPOINT:
		if (strncmp(val, "http://", 7) && strncmp(val, "https://", 8))
			return config_fail(why, why_len,
					   "must be an http:// or https:// URL (got '%s')", val);
		return config_copy(cfg->otlp_endpoint, sizeof(cfg->otlp_endpoint), val, why,
				   why_len);
	case OPT_OTLP_PROTOCOL:
		if (strcmp(val, "http/protobuf") && strcmp(val, "http/json"))
			return config_fail(why, why_len,
					   "must be http/protobuf or http/json (got '%s')", val);
		return config_copy(cfg->otlp_protocol, sizeof(cfg->otlp_protocol), val, why,
				   why_len);
	case OPT_OTLP_HEADERS:
		/* the exporter's own parser, so a bad list fails here, at its place */
		if (!config_otlp_headers_ok(val, why, why_len))
			return CONFIG_ERROR;
		return config_copy(cfg->otlp_headers, sizeof(cfg->otlp_headers), val, why, why_len);
	case OPT_OTLP_COMPRESSION:
		if (strcmp(val, "gzip") && strcmp(val, "none"))
			return config_fail(why, why_len, "must be gzip or none (got '%s')", val);
		return config_copy(cfg->otlp_compression, sizeof(cfg->otlp_compression), val, why,
				   why_len);
	case OPT_OTLP_TIMEOUT:
		if (!config_parse_range(val, 1, 600000, &u))
			return config_fail(why, why_len,
					   "must be an integer between 1 and 600000 (got '%s')", val);
		cfg->otlp_timeout_ms = (uint32_t)u;
		return CONFIG_OK;
	case OPT_METRICS_ADDR:
		n = strlen(val);
		if (strcmp(val, "off") != 0 &&
		    (n >= sizeof(cfg->metrics_addr) ||
		     !config_parse_hostport(val, CONFIG_HOST_LITERAL | CONFIG_HOST_EMPTY)))
			return config_fail(why, why_len,
					   "must be IPV4:PORT, [IPV6]:PORT, :PORT (every interface) or off, "
					   "with a port from 1 to 65535; host names are not resolved (got '%s')",
					   val);
		memcpy(cfg->metrics_addr, val, n + 1);
		return CONFIG_OK;
	case OPT_PROTOCOLS:
		return config_parse_protocols(cfg, val, why, why_len);
	case OPT_LEARN:
		if (!config_parse_duration(val, 0, CONFIG_LEARN_MAX, &cfg->learn_ns))
			return config_fail(why, why_len,
					   "must be a duration from 0 to 365d, such as 3600, 90s, 15m, 24h or 7d (got '%s')",
					   val);
		return CONFIG_OK;
	case OPT_STATE_DIR:
		return config_abs_path(cfg->state_dir, sizeof(cfg->state_dir), val, why, why_len);
	case OPT_ALERTS_OUTPUT:
		n = strlen(val);
		if (n == 0 || n >= sizeof(cfg->alerts_output))
			return config_fail(why, why_len,
					   "must be - (stdout) or a file path of 1 to %zu characters (got '%s')",
					   sizeof(cfg->alerts_output) - 1, val);
		memcpy(cfg->alerts_output, val, n + 1);
		return CONFIG_OK;
	case OPT_ALERT_RATE:
		if (!config_parse_range(val, 1, CONFIG_ALERT_RATE_MAX, &u))
			return config_fail(why, why_len,
					   "must be an integer between 1 and %d (got '%s')",
					   CONFIG_ALERT_RATE_MAX, val);
		cfg->alert_rate = (uint32_t)u;
		return CONFIG_OK;
	case OPT_DISABLE_RULE:
		if (first)
			cfg->disabled_rules = 0;
		return config_disable_rule(cfg, val, why, why_len);
	case OPT_POLICY:
		return config_file_path(cfg->policy_file, sizeof(cfg->policy_file), val, why, why_len);
	case OPT_SYSLOG_ADDR:
		n = strlen(val);
		if (n >= sizeof(cfg->syslog_addr) || !config_parse_syslog(val))
			return config_fail(why, why_len,
					   "must be unix:/PATH, unix:@NAME, udp:HOST:PORT or tcp:HOST:PORT (HOST a name, "
					   "an IPv4 address or [IPv6], port 1..65535, PATH up to %d characters) (got '%s')",
					   CONFIG_SUN_PATH_MAX, val);
		memcpy(cfg->syslog_addr, val, n + 1);
		return CONFIG_OK;
	case OPT_AUDIT_DIR:
		return config_abs_path(cfg->audit_dir, sizeof(cfg->audit_dir), val, why, why_len);
	case OPT_AUDIT_MAX_SIZE:
		if (!config_parse_size(val, CONFIG_AUDIT_SIZE_MIN, CONFIG_AUDIT_SIZE_MAX,
				       &cfg->audit_max_size))
			return config_fail(why, why_len,
					   "must be a size from 4K to 1G (K/M/G suffixes) (got '%s')", val);
		return CONFIG_OK;
	case OPT_AUDIT_MAX_AGE:
		if (!config_parse_duration(val, CONFIG_AUDIT_AGE_MIN, CONFIG_AUDIT_AGE_MAX,
					   &cfg->audit_max_age_ns))
			return config_fail(why, why_len,
					   "must be a duration from 1s to 30d, such as 3600, 90s, 15m, 24h or 7d (got '%s')",
					   val);
		return CONFIG_OK;
	case OPT_AUDIT_KEEP:
		if (!config_parse_range(val, 1, CONFIG_AUDIT_KEEP_MAX, &u))
			return config_fail(why, why_len,
					   "must be an integer between 1 and %d (got '%s')",
					   CONFIG_AUDIT_KEEP_MAX, val);
		cfg->audit_keep = (uint32_t)u;
		return CONFIG_OK;
	case OPT_CONFIG:
		return config_file_path(cfg->config_file, sizeof(cfg->config_file), val, why, why_len);
	case OPT_VERBOSE:
	case OPT_INJECT:
	case OPT_HELP:
	case OPT_VERSION:
	case OPT_COUNT:
		break;
	}
	return config_fail(why, why_len, "takes no value");
}

/* Switches: stops parsing with CONFIG_HELP for --help and --version. */
static enum config_result config_switch(struct zt_config *cfg, const struct config_option *opt,
					int on, const char **help_text)
{
	switch (opt->id) {
	case OPT_HELP:
		*help_text = "usage";
		return CONFIG_HELP;
	case OPT_VERSION:
		*help_text = "version";
		return CONFIG_HELP;
	case OPT_INJECT:
		cfg->inject_traceparent = on;
		return CONFIG_OK;
	default:
		cfg->verbose = on;
		return CONFIG_OK;
	}
}

const struct config_option *config_option_find(const char *name, size_t len)
{
	return config_find_long(name, len);
}

unsigned config_option_flags(const struct config_option *opt)
{
	unsigned f = opt->value ? 0 : CONFIG_OPT_SWITCH;

	if (opt->id == OPT_PID || opt->id == OPT_PORT || opt->id == OPT_DISABLE_RULE)
		f |= CONFIG_OPT_LIST;
	if (opt->id == OPT_HELP || opt->id == OPT_VERSION || opt->id == OPT_CONFIG)
		f |= CONFIG_OPT_CMDLINE_ONLY;
	return f;
}

uint64_t config_option_bit(const struct config_option *opt)
{
	return 1ULL << opt->id;
}

void config_option_clear(struct zt_config *cfg, const struct config_option *opt)
{
	if (opt->id == OPT_PID)
		cfg->n_pids = 0;
	else if (opt->id == OPT_PORT)
		cfg->n_ports = 0;
	else if (opt->id == OPT_DISABLE_RULE)
		cfg->disabled_rules = 0;
}

enum config_result config_option_set(struct zt_config *cfg, const struct config_option *opt,
				     const char *val, int first, char *why, size_t why_len)
{
	const char *unused;

	if (config_option_flags(opt) & CONFIG_OPT_CMDLINE_ONLY)
		return config_fail(why, why_len, "can be given on the command line only");
	if (opt->value)
		return config_apply(cfg, opt, val, first, why, why_len);
	if (strcmp(val, "true") == 0)
		return config_switch(cfg, opt, 1, &unused);
	if (strcmp(val, "false") == 0)
		return config_switch(cfg, opt, 0, &unused);
	return config_fail(why, why_len, "must be true or false (got '%s')", val);
}

enum config_source config_source(const struct zt_config *cfg, const char *name)
{
	const struct config_option *opt = config_find_long(name, strlen(name));

	if (!opt)
		return CONFIG_SOURCE_DEFAULT;
	if (cfg->set_by_cmdline & config_option_bit(opt))
		return CONFIG_SOURCE_CMDLINE;
	if (cfg->set_by_file & config_option_bit(opt))
		return CONFIG_SOURCE_FILE;
	return CONFIG_SOURCE_DEFAULT;
}

/* The variables otlp_config_from_env reads for each otlp-* option. */
static const struct {
	enum config_opt_id id;
	const char *specific, *general;
} config_otlp_env[] = {
	{ OPT_OTLP_ENDPOINT, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT" },
	{ OPT_OTLP_PROTOCOL, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL" },
	{ OPT_OTLP_HEADERS, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS" },
	{ OPT_OTLP_COMPRESSION, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
	  "OTEL_EXPORTER_OTLP_COMPRESSION" },
	{ OPT_OTLP_TIMEOUT, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT" },
};

void config_yield_to_env(struct zt_config *cfg, const char *(*getenv_fn)(const char *))
{
	for (size_t i = 0; i < sizeof(config_otlp_env) / sizeof(config_otlp_env[0]); i++) {
		uint64_t bit = 1ULL << config_otlp_env[i].id;
		const char *a, *b;

		if ((cfg->set_by_cmdline & bit) || !(cfg->set_by_file & bit))
			continue;
		/* an empty variable is unset, as the SDK specification reads it */
		a = getenv_fn(config_otlp_env[i].specific);
		b = getenv_fn(config_otlp_env[i].general);
		if (!(a && *a) && !(b && *b))
			continue;
		switch (config_otlp_env[i].id) {
		case OPT_OTLP_ENDPOINT: cfg->otlp_endpoint[0] = '\0'; break;
		case OPT_OTLP_PROTOCOL: cfg->otlp_protocol[0] = '\0'; break;
		case OPT_OTLP_HEADERS: cfg->otlp_headers[0] = '\0'; break;
		case OPT_OTLP_COMPRESSION: cfg->otlp_compression[0] = '\0'; break;
		default: cfg->otlp_timeout_ms = 0; break;
		}
		cfg->set_by_file &= ~bit;
	}
}

/* One pass over argv onto cfg (the defaults, or the config file's values
 * on the second pass). Sets set_by_cmdline. */
static enum config_result config_parse_args(struct zt_config *cfg, int argc, char **argv,
					    char *err, size_t err_len, const char **help_text)
{
	const struct config_option *opt;
	const char *arg, *val, *eq;
	char why[CONFIG_ERR_MAX];
	enum config_result rc = CONFIG_OK;
	int i, only_positional = 0;
	uint64_t seen = 0, bit;
	size_t nlen;

	for (i = 1; i < argc && argv && argv[i] && rc == CONFIG_OK; i++) {
		arg = argv[i];
		val = NULL;
		if (only_positional || arg[0] != '-' || arg[1] == '\0') {
			rc = config_fail(err, err_len,
					 "unexpected argument '%s' (zerotrace takes options only)",
					 arg);
			break;
		}
		if (arg[1] == '-') {
			if (arg[2] == '\0') {
				only_positional = 1;
				continue;
			}
			eq = strchr(arg + 2, '=');
			nlen = eq ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
			opt = config_find_long(arg + 2, nlen);
			if (!opt) {
				rc = config_fail(err, err_len,
						 "--%.*s: unknown option (see --help)",
						 (int)nlen, arg + 2);
				break;
			}
			if (eq)
				val = eq + 1;
		} else {
			opt = config_find_short(arg[1]);
			if (!opt) {
				rc = config_fail(err, err_len,
						 "-%c: unknown option (see --help)",
						 arg[1]);
				break;
			}
			if (arg[2] != '\0') {
				/* Only a value may follow: no "-vh" bundles. */
				if (!opt->value) {
					rc = config_fail(err, err_len,
							 "%s: unknown option (see --help)",
							 arg);
					break;
				}
				val = arg + 2;
			}
		}

		bit = config_option_bit(opt);
		if (!opt->value) {
			if (val)
				rc = config_fail(err, err_len,
						 "--%s: takes no value (got '%s')",
						 opt->name, val);
			else
				rc = config_switch(cfg, opt, 1, help_text);
			cfg->set_by_cmdline |= bit;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc || !argv[i + 1] ||
			    strncmp(argv[i + 1], "--", 2) == 0) {
				rc = config_fail(err, err_len,
						 "--%s: missing value", opt->name);
				break;
			}
			val = argv[++i];
		}
		if (opt->id == OPT_CONFIG && (seen & bit)) {
			rc = config_fail(err, err_len, "--%s: may be given once", opt->name);
			break;
		}
		if (config_apply(cfg, opt, val, !(seen & bit), why, sizeof(why)) != CONFIG_OK)
			rc = config_fail(err, err_len, "--%s: %s", opt->name, why);
		seen |= bit;
		cfg->set_by_cmdline |= bit;
	}
	return rc;
}

enum config_result config_parse(struct zt_config *cfg, int argc, char **argv,
				char *err, size_t err_len,
				const char **help_text)
{
	const char *unused_help;
	struct zt_config tmp, merged;
	enum config_result rc;

	if (!help_text)
		help_text = &unused_help;
	*help_text = NULL;
	if (err && err_len)
		err[0] = '\0';
	config_defaults(&tmp);
	rc = config_parse_args(&tmp, argc, argv, err, err_len, help_text);

	/* The file under the command line: read it onto the defaults, then
	 * the command line again on top (a pass that cannot fail now). */
	if (rc == CONFIG_OK && tmp.config_file[0]) {
		config_defaults(&merged);
		rc = config_file_load(&merged, tmp.config_file, err, err_len);
		if (rc == CONFIG_OK) {
			merged.set_by_cmdline = 0;
			rc = config_parse_args(&merged, argc, argv, err, err_len, help_text);
			tmp = merged;
		}
	}

	/* cfg changes only on success; otherwise it holds the defaults. */
	if (rc == CONFIG_OK)
		*cfg = tmp;
	else
		config_defaults(cfg);
	return rc;
}

void config_usage(FILE *out, const char *prog)
{
	const struct config_option *o;
	char flag[48];
	size_t i;

	fprintf(out,
		"Usage: %s [options]\n"
		"Traces the HTTP/1.x traffic of unmodified processes with eBPF: spans, traces, OTLP, /metrics.\n"
		"\nOptions:\n",
		prog && prog[0] ? prog : "zerotrace");
	for (i = 0; i < CONFIG_N_OPTIONS; i++) {
		o = &config_options[i];
		if (o->short_name)
			snprintf(flag, sizeof(flag), "-%c, --%s%s%s",
				 o->short_name, o->name, o->value ? " " : "",
				 o->value ? o->value : "");
		else
			snprintf(flag, sizeof(flag), "    --%s%s%s", o->name,
				 o->value ? " " : "", o->value ? o->value : "");
		if (o->def)
			fprintf(out, "  %-28s %s (default: %s)\n", flag,
				o->help, o->def);
		else
			fprintf(out, "  %-28s %s\n", flag, o->help);
	}
	fprintf(out,
		"\nA --config file is a YAML mapping of these names without \"--\" (learn: 10s,\n"
		"port: [80, 8080], verbose: true). The command line wins over it, and so do the\n"
		"OTEL_EXPORTER_OTLP_* variables for the otlp-* options.\n"
		"\nDetection rules (ids for --disable-rule, default severity):\n");
	for (i = 0; i < ALERT_RULE_COUNT; i++)
		fprintf(out, "  %-24s %-8s %s\n", alert_rules[i].name,
			alert_severity_name(alert_rules[i].severity), alert_rules[i].summary);
	fprintf(out,
		"\nCommands (each with its own usage):\n"
		"  %s baseline show|accept|reset [--state-dir DIR]   the learned service graph\n"
		"  %s audit verify DIR [--head SHA256]              check the audit trail's chain\n"
		"  %s check --expect FILE -- CMD...                 CMD's calls against a graph\n"
		"  %s graph [--format yaml|dot|mermaid]             the learned graph\n",
		prog && prog[0] ? prog : "zerotrace", prog && prog[0] ? prog : "zerotrace",
		prog && prog[0] ? prog : "zerotrace", prog && prog[0] ? prog : "zerotrace");
}
