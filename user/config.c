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
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "events.h"
#include "proto.h"

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
	OPT_HELP,
	OPT_VERSION,
};

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
	  "serve Prometheus /metrics on ADDR (host:port, [v6]:port, :port), or off",
	  "127.0.0.1:9464", OPT_METRICS_ADDR },
	{ "protocols", 0, "LIST",
	  "protocol parsers to run, comma-separated (the others cost a counter, not a parse)",
	  "all", OPT_PROTOCOLS },
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
static enum config_result config_copy(char *dst, size_t cap, const char *name, const char *val,
				      char *err, size_t err_len)
{
	size_t n = strlen(val);

	if (n == 0 || n >= cap)
		return config_fail(err, err_len, "--%s: must be 1 to %zu characters (got '%s')",
				   name, cap - 1, val);
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

/* N, NK, NM or NG (powers of 1024, either case); a power of two in range. */
static int config_parse_ringbuf(const char *s, uint64_t *out)
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
	if (v > (CONFIG_RINGBUF_MAX >> shift))
		return 0;
	v <<= shift;
	/* Powers of two >= 64K are multiples of the 4K page, as libbpf needs. */
	if (v < CONFIG_RINGBUF_MIN || (v & (v - 1)) != 0)
		return 0;
	*out = v;
	return 1;
}

/* Seconds: "N", "N.F" or ".F"; > 0 and <= one day. Own parser rather than
 * strtod, which also takes signs, spaces, hex, inf, nan and the locale's
 * decimal point. Fraction digits past the ninth are checked, then ignored. */
static int config_parse_seconds(const char *s, double *out)
{
	uint64_t ip = 0, frac = 0, scale = 1;
	const char *p = s;
	int digits = 0, nfrac = 0;

	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (ip <= CONFIG_SECONDS_MAX)
			ip = ip * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (nfrac++ < CONFIG_FRAC_DIGITS) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
		}
	}
	if (digits == 0 || *p != '\0' || ip > CONFIG_SECONDS_MAX)
		return 0;
	frac *= CONFIG_FRAC_SCALE / scale;
	if (ip == 0 && frac == 0)
		return 0;
	if (ip == CONFIG_SECONDS_MAX && frac != 0)
		return 0;
	/* One correctly rounded division of an exact integer (< 2^53). */
	*out = (double)(ip * CONFIG_FRAC_SCALE + frac) / (double)CONFIG_FRAC_SCALE;
	return 1;
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
static enum config_result config_parse_protocols(struct zt_config *cfg, const char *name,
						 const char *val, char *err, size_t err_len)
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
	return config_fail(err, err_len,
			   "--%s: must be a comma-separated list of: %s (got '%s')", name, known, val);
}

/* Applies one option that takes a value. */
static enum config_result config_apply(struct zt_config *cfg,
				       const struct config_option *opt,
				       const char *val, char *err,
				       size_t err_len)
{
	const char *name = opt->name;
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
			return config_fail(err, err_len,
					   "--%s: must be jsonl, pretty, none or auto (got '%s')",
					   name, val);
		return CONFIG_OK;
	case OPT_CAPTURE_BYTES:
		if (!config_parse_range(val, 1, ZT_CAPTURE_MAX, &u))
			return config_fail(err, err_len,
					   "--%s: must be an integer between 1 and %d (got '%s')",
					   name, ZT_CAPTURE_MAX, val);
		cfg->capture_bytes = (uint32_t)u;
		return CONFIG_OK;
	case OPT_RINGBUF_SIZE:
		if (!config_parse_ringbuf(val, &u))
			return config_fail(err, err_len,
					   "--%s: must be a power of two between 64K and 1G (got '%s')",
					   name, val);
		cfg->ringbuf_size = u;
		return CONFIG_OK;
	case OPT_PID:
		if (!config_parse_range(val, 1, CONFIG_PID_MAX, &u))
			return config_fail(err, err_len,
					   "--%s: must be an integer between 1 and %d (got '%s')",
					   name, CONFIG_PID_MAX, val);
		if (cfg->n_pids >= ZT_MAX_PID_FILTERS)
			return config_fail(err, err_len,
					   "--%s: at most %d may be given",
					   name, ZT_MAX_PID_FILTERS);
		cfg->pids[cfg->n_pids++] = (uint32_t)u;
		return CONFIG_OK;
	case OPT_COMM:
		n = strlen(val);
		if (n == 0 || n >= sizeof(cfg->comm))
			return config_fail(err, err_len,
					   "--%s: must be 1 to %zu characters (got '%s')",
					   name, sizeof(cfg->comm) - 1, val);
		memcpy(cfg->comm, val, n + 1);
		return CONFIG_OK;
	case OPT_PORT:
		if (!config_parse_range(val, 1, 65535, &u))
			return config_fail(err, err_len,
					   "--%s: must be an integer between 1 and 65535 (got '%s')",
					   name, val);
		if (cfg->n_ports >= ZT_MAX_PORT_FILTERS)
			return config_fail(err, err_len,
					   "--%s: at most %d may be given",
					   name, ZT_MAX_PORT_FILTERS);
		cfg->ports[cfg->n_ports++] = (uint16_t)u;
		return CONFIG_OK;
	case OPT_STATS_INTERVAL:
	case OPT_IDLE_TIMEOUT:
		if (!config_parse_seconds(val, opt->id == OPT_STATS_INTERVAL ?
							&cfg->stats_interval :
							&cfg->idle_timeout))
			return config_fail(err, err_len,
					   "--%s: must be a number of seconds greater than 0 and at most %d (got '%s')",
					   name, CONFIG_SECONDS_MAX, val);
		return CONFIG_OK;
	case OPT_MAX_CONNS:
		if (!config_parse_range(val, CONFIG_MAX_CONNS_MIN,
					CONFIG_MAX_CONNS_MAX, &u))
			return config_fail(err, err_len,
					   "--%s: must be an integer between %d and %d (got '%s')",
					   name, CONFIG_MAX_CONNS_MIN,
					   CONFIG_MAX_CONNS_MAX, val);
		cfg->max_conns = (uint32_t)u;
		return CONFIG_OK;
	case OPT_CGROUP:
		n = strlen(val);
		if (n == 0 || n >= sizeof(cfg->cgroup) || val[0] != '/')
			return config_fail(err, err_len,
					   "--%s: must be an absolute path shorter than %zu characters (got '%s')",
					   name, sizeof(cfg->cgroup), val);
		memcpy(cfg->cgroup, val, n + 1);
		return CONFIG_OK;
	case OPT_REORDER_MS:
		if (!config_parse_range(val, 0, CONFIG_REORDER_MAX, &u))
			return config_fail(err, err_len,
					   "--%s: must be an integer between 0 and %d (got '%s')",
					   name, CONFIG_REORDER_MAX, val);
		cfg->reorder_window_ms = (uint32_t)u;
		return CONFIG_OK;
	case OPT_OTLP_ENDPOINT:
		if (strncmp(val, "http://", 7) && strncmp(val, "https://", 8))
			return config_fail(err, err_len,
					   "--%s: must be an http:// or https:// URL (got '%s')", name, val);
		return config_copy(cfg->otlp_endpoint, sizeof(cfg->otlp_endpoint), name, val, err,
				   err_len);
	case OPT_OTLP_PROTOCOL:
		if (strcmp(val, "http/protobuf") && strcmp(val, "http/json"))
			return config_fail(err, err_len,
					   "--%s: must be http/protobuf or http/json (got '%s')", name, val);
		return config_copy(cfg->otlp_protocol, sizeof(cfg->otlp_protocol), name, val, err,
				   err_len);
	case OPT_OTLP_HEADERS:
		return config_copy(cfg->otlp_headers, sizeof(cfg->otlp_headers), name, val, err,
				   err_len);
	case OPT_OTLP_COMPRESSION:
		if (strcmp(val, "gzip") && strcmp(val, "none"))
			return config_fail(err, err_len, "--%s: must be gzip or none (got '%s')", name,
					   val);
		return config_copy(cfg->otlp_compression, sizeof(cfg->otlp_compression), name, val,
				   err, err_len);
	case OPT_OTLP_TIMEOUT:
		if (!config_parse_range(val, 1, 600000, &u))
			return config_fail(err, err_len,
					   "--%s: must be an integer between 1 and 600000 (got '%s')",
					   name, val);
		cfg->otlp_timeout_ms = (uint32_t)u;
		return CONFIG_OK;
	case OPT_METRICS_ADDR:
		return config_copy(cfg->metrics_addr, sizeof(cfg->metrics_addr), name, val, err,
				   err_len);
	case OPT_PROTOCOLS:
		return config_parse_protocols(cfg, name, val, err, err_len);
	case OPT_VERBOSE:
	case OPT_INJECT:
	case OPT_HELP:
	case OPT_VERSION:
		break;
	}
	return config_fail(err, err_len, "--%s: takes no value", name);
}

/* Switches: stops parsing with CONFIG_HELP for --help and --version. */
static enum config_result config_switch(struct zt_config *cfg,
					const struct config_option *opt,
					const char **help_text)
{
	switch (opt->id) {
	case OPT_HELP:
		*help_text = "usage";
		return CONFIG_HELP;
	case OPT_VERSION:
		*help_text = "version";
		return CONFIG_HELP;
	case OPT_INJECT:
		cfg->inject_traceparent = 1;
		return CONFIG_OK;
	default:
		cfg->verbose = 1;
		return CONFIG_OK;
	}
}

enum config_result config_parse(struct zt_config *cfg, int argc, char **argv,
				char *err, size_t err_len,
				const char **help_text)
{
	const struct config_option *opt;
	const char *unused_help, *arg, *val, *eq;
	struct zt_config tmp;
	enum config_result rc = CONFIG_OK;
	int i, only_positional = 0;
	size_t nlen;

	if (!help_text)
		help_text = &unused_help;
	*help_text = NULL;
	if (err && err_len)
		err[0] = '\0';
	config_defaults(&tmp);

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

		if (!opt->value) {
			if (val)
				rc = config_fail(err, err_len,
						 "--%s: takes no value (got '%s')",
						 opt->name, val);
			else
				rc = config_switch(&tmp, opt, help_text);
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
		rc = config_apply(&tmp, opt, val, err, err_len);
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
}
