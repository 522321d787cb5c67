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

#include <string.h>

#include "config_file.h"
#include "config_internal.h"
#include "proto.h"
#include "text.h"

/* The one list of flags: parsing and usage both read it. */
const struct config_option config_options[] = {
	{ "output", 0, "jsonl|pretty|none",
	  "jsonl: one JSON object per line; pretty: trace trees for humans; none",
	  "pretty on a terminal, else jsonl", OPT_OUTPUT },
	{ "capture-bytes", 0, "N", "payload bytes copied per syscall, 1..4096",
	  "512", OPT_CAPTURE_BYTES },
	{ "ringbuf-size", 0, "SIZE",
	  "ring buffers, split between the online CPUs, power of two 64K..1G (K/M/G suffixes)", "16M",
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
	{ "go-handoffs", 0, NULL,
	  "follow requests handed between goroutines (Go runtime uprobes: costly, see README)",
	  "off", OPT_GO_HANDOFFS },
	{ "node-helper", 0, NULL,
	  "link calls in Node.js processes through a script put in through their inspector (see README)",
	  "off", OPT_NODE_HELPER },
	{ "logs", 0, NULL,
	  "turn the lines traced servers write to stdout, stderr or appended files into log records linked to their request (see README)",
	  "off", OPT_LOGS },
	{ "reorder-window-ms", 0, "MS",
	  "hold events this long to release them in causal order, 0..10000",
	  "50", OPT_REORDER_MS },
	{ "sample-ratio", 0, "R",
	  "export this fraction of traces, 0 < R <= 1, chosen by trace id the same way on every node",
	  "1 (all)", OPT_SAMPLE_RATIO },
	{ "sample-ignore-parent", 0, NULL,
	  "decide by --sample-ratio even when a trace's context on the wire says sampled or not",
	  "off (follow it)", OPT_SAMPLE_IGNORE_PARENT },
	{ "sample-keep-errors", 0, NULL,
	  "with --sample-ratio, also export a trace this node saw an error span of", "on",
	  OPT_SAMPLE_KEEP_ERRORS },
	{ "no-sample-keep-errors", 0, NULL, "do not (the ratio alone decides)", "off",
	  OPT_NO_SAMPLE_KEEP_ERRORS },
	{ "sample-keep-slow", 0, "DURATION",
	  "with --sample-ratio, also export a trace with a span at least this long (0.5, 2s, 1m)",
	  "off", OPT_SAMPLE_KEEP_SLOW },
	{ "cpu-budget", 0, "PERCENT",
	  "lower the sampling ratio while the agent uses more CPU than this (% of one CPU), 1..10000",
	  "none", OPT_CPU_BUDGET },
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
	{ "zipkin-endpoint", 0, "URL",
	  "also send spans as Zipkin JSON v2 to URL, e.g. http://host:9411/api/v2/spans "
	  "(or OTEL_EXPORTER_ZIPKIN_ENDPOINT)", "off", OPT_ZIPKIN_ENDPOINT },
	{ "zipkin-compression", 0, "gzip|none", "Zipkin request compression", "none",
	  OPT_ZIPKIN_COMPRESSION },
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

const size_t config_n_options = CONFIG_N_OPTIONS;

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
	cfg->sample_ratio = 1.0;
	cfg->sample_keep_errors = 1;
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

int config_sampling_set(const struct zt_config *cfg)
{
	return config_source(cfg, "sample-ratio") != CONFIG_SOURCE_DEFAULT;
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

/* The variables the exporters read for each otlp-* option and for
 * zipkin-endpoint (general NULL: no general one). */
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
	{ OPT_ZIPKIN_ENDPOINT, "OTEL_EXPORTER_ZIPKIN_ENDPOINT", NULL },
};

int config_semconv_opt_in(const char *value, const char *want)
{
	size_t n = strlen(want);

	while (value && *value) {
		const char *end = strchr(value, ','), *entry = value;
		size_t len = end ? (size_t)(end - value) : strlen(value);

		text_trim_ows(&entry, &len);
		if (len == n && !memcmp(entry, want, n))
			return 1;
		value = end ? end + 1 : NULL;
	}
	return 0;
}

void config_yield_to_env(struct zt_config *cfg, const char *(*getenv_fn)(const char *))
{
	for (size_t i = 0; i < sizeof(config_otlp_env) / sizeof(config_otlp_env[0]); i++) {
		uint64_t bit = 1ULL << config_otlp_env[i].id;
		const char *a, *b;

		if ((cfg->set_by_cmdline & bit) || !(cfg->set_by_file & bit))
			continue;
		/* an empty variable is unset, as the SDK specification reads it */
		a = getenv_fn(config_otlp_env[i].specific);
		b = config_otlp_env[i].general ? getenv_fn(config_otlp_env[i].general) : NULL;
		if (!(a && *a) && !(b && *b))
			continue;
		switch (config_otlp_env[i].id) {
		case OPT_OTLP_ENDPOINT: cfg->otlp_endpoint[0] = '\0'; break;
		case OPT_OTLP_PROTOCOL: cfg->otlp_protocol[0] = '\0'; break;
		case OPT_OTLP_HEADERS: cfg->otlp_headers[0] = '\0'; break;
		case OPT_OTLP_COMPRESSION: cfg->otlp_compression[0] = '\0'; break;
		case OPT_ZIPKIN_ENDPOINT: cfg->zipkin_endpoint[0] = '\0'; break;
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
