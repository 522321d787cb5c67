/* SPDX-License-Identifier: MIT */
/* Command-line configuration: parsing is pure so every error is unit-tested. */
#ifndef ZT_CONFIG_H
#define ZT_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ZT_MAX_PID_FILTERS 64
#define ZT_MAX_PORT_FILTERS 64

enum zt_output {
	ZT_OUTPUT_AUTO = 0, /* pretty on a terminal, jsonl otherwise */
	ZT_OUTPUT_JSONL,
	ZT_OUTPUT_PRETTY,
	ZT_OUTPUT_NONE,     /* spans leave only by OTLP and metrics */
};

struct zt_config {
	enum zt_output output;
	uint32_t capture_bytes;    /* --capture-bytes, 1..4096, default 512 */
	uint64_t ringbuf_size;     /* --ringbuf-size, power of two, 64K..1G, default 16M */
	uint32_t pids[ZT_MAX_PID_FILTERS]; /* --pid, repeatable */
	uint32_t n_pids;
	char comm[16];             /* --comm, exact process name, "" = any */
	uint16_t ports[ZT_MAX_PORT_FILTERS]; /* --port, repeatable, local or remote */
	uint32_t n_ports;
	double stats_interval;     /* --stats-interval seconds, > 0, default 5 */
	uint32_t max_conns;        /* --max-conns, 16..262144, default 16384 */
	double idle_timeout;       /* --idle-timeout seconds, > 0, default 300 */
	int verbose;               /* --verbose: libbpf messages */
	int inject_traceparent;    /* --inject-traceparent */
	int go_handoffs;           /* --go-handoffs */
	int node_helper;           /* --node-helper */
	int logs;                  /* --logs */
	int rpc_dup;               /* OTEL_SEMCONV_STABILITY_OPT_IN holds rpc/dup */
	char cgroup[256];          /* --cgroup, a cgroup v2 directory, "" = all */
	uint32_t reorder_window_ms; /* --reorder-window-ms, 0..10000, default 50 */
	/* Head sampling (user/sampler.h): only export is sampled. */
	double sample_ratio;       /* --sample-ratio, 0 < r <= 1, default 1 */
	int sample_ignore_parent;  /* --sample-ignore-parent */
	int sample_keep_errors;    /* --sample-keep-errors (default) / --no-sample-keep-errors */
	uint64_t sample_keep_slow_ns; /* --sample-keep-slow, 0 = off */
	uint32_t cpu_budget_pct;   /* --cpu-budget, % of one CPU, 0 = none */
	/* OTLP export: each "" / 0 leaves the OTEL_EXPORTER_OTLP_* value in force */
	char otlp_endpoint[1024];  /* --otlp-endpoint, base URL: /v1/traces is appended */
	char otlp_protocol[16];    /* --otlp-protocol http/protobuf|http/json */
	char otlp_headers[1024];   /* --otlp-headers k=v,k2=v2 */
	char otlp_compression[8];  /* --otlp-compression gzip|none */
	uint32_t otlp_timeout_ms;  /* --otlp-timeout MS */
	/* Zipkin export: "" leaves OTEL_EXPORTER_ZIPKIN_ENDPOINT in force */
	char zipkin_endpoint[1024]; /* --zipkin-endpoint, the full URL (.../api/v2/spans) */
	char zipkin_compression[8]; /* --zipkin-compression gzip|none */
	char metrics_addr[128];    /* --metrics-addr, default 127.0.0.1:9464, "off" = none */
	uint32_t protocols;        /* --protocols: a bit per enum zt_proto, default all */
	/* The security detector and where its alerts go. */
	uint64_t learn_ns;         /* --learn, 0..365d, default 24h; 0: the baseline stays as loaded */
	char state_dir[256];       /* --state-dir, absolute, default /var/lib/zerotrace */
	char alerts_output[256];   /* --alerts-output FILE (appended) or "-" (stdout); "" = off */
	double alert_window;       /* --alert-window seconds, 0 < s <= 86400, default 60 */
	uint32_t alert_rate;       /* --alert-rate, alerts per second, 1..100000, default 100 */
	uint32_t disabled_rules;   /* --disable-rule, repeatable: a bit per enum alert_rule */
	char policy_file[256];     /* --policy FILE, "" = none; loaded by policy_load */
	char syslog_addr[256];     /* --syslog-addr unix:/PATH|udp:HOST:PORT|tcp:HOST:PORT; "" = off */
	char audit_dir[256];       /* --audit-dir, absolute; "" = off */
	uint64_t audit_max_size;   /* --audit-max-size bytes, 4K..1G, default 64M */
	uint64_t audit_max_age_ns; /* --audit-max-age, 1s..30d, default 1h */
	uint32_t audit_keep;       /* --audit-keep closed files, 1..100000, default 168 */
	char config_file[256];     /* --config FILE, "" = none */
	/* Where each option's value came from: a bit per option (config_source). */
	uint64_t set_by_cmdline;
	uint64_t set_by_file;
};

enum config_result {
	CONFIG_OK = 0,
	CONFIG_HELP = 1,  /* --help or --version: print and exit 0 */
	CONFIG_ERROR = 2, /* err holds "--flag: why"; exit status 2 */
};

/* Room for any message config_parse writes (a --disable-rule error lists
 * every rule; a config file's names its path). Longer ones are cut. */
#define CONFIG_ERR_MAX 1024

void config_defaults(struct zt_config *cfg);
/* Whether the user asked for head sampling (--sample-ratio or its line in
 * the file): only then is a threshold decided and written. */
int config_sampling_set(const struct zt_config *cfg);
/* Parses argv (argv[0] is the program). Sizes accept K, M, G suffixes
 * (powers of 1024); durations N, Ns, Nm, Nh, Nd (decimals ok). On
 * CONFIG_HELP, *help_text is "usage" or "version".
 *
 * With --config FILE the file's options are read too (config_file.h): the
 * command line wins over the file, option by option, and a list given on
 * the command line (--port, --pid, --disable-rule) replaces the file's
 * list. The file is read only after the whole command line parsed; every
 * value in it is checked even where the command line overrides it. */
enum config_result config_parse(struct zt_config *cfg, int argc, char **argv,
				char *err, size_t err_len,
				const char **help_text);
void config_usage(FILE *out, const char *prog);

enum config_source {
	CONFIG_SOURCE_DEFAULT = 0,
	CONFIG_SOURCE_FILE,    /* the --config file */
	CONFIG_SOURCE_CMDLINE,
};

/* Where option `name` (long name, no "--") got its value; DEFAULT for an
 * unknown name. */
enum config_source config_source(const struct zt_config *cfg, const char *name);

/*
 * The OTEL_EXPORTER_OTLP_* variables win over the config file (and lose to
 * the command line): every otlp-* value that came from the file is cleared
 * (back to "" / 0, "the environment decides") when its variable, or its
 * _TRACES_ variant, is set and not empty, as otlp_config_from_env reads
 * them. `getenv_fn` is getenv in the daemon and a table in tests. Call it
 * on the parsed config before applying the otlp-* fields over the
 * environment's configuration.
 */
void config_yield_to_env(struct zt_config *cfg, const char *(*getenv_fn)(const char *));

/* Whether OTEL_SEMCONV_STABILITY_OPT_IN's value (a comma-separated list,
 * NULL when unset) holds `want` ("rpc/dup"), as OTel's instrumentations read
 * it: entries trimmed of spaces, matched exactly. */
int config_semconv_opt_in(const char *value, const char *want);

/* For the config file reader (config_file.c): the option table by name. */
struct config_option;

#define CONFIG_OPT_SWITCH 1u       /* no value: true or false in a file */
#define CONFIG_OPT_LIST 2u         /* repeatable: a list in a file */
#define CONFIG_OPT_CMDLINE_ONLY 4u /* --help, --version, --config */

/* The option of that long name (no "--"), or NULL. */
const struct config_option *config_option_find(const char *name, size_t len);
unsigned config_option_flags(const struct config_option *opt);
/* Its bit in set_by_cmdline / set_by_file. */
uint64_t config_option_bit(const struct config_option *opt);
/* Empties a list option (--port, --pid, --disable-rule); others stay. */
void config_option_clear(struct zt_config *cfg, const struct config_option *opt);
/* Applies one value (a switch takes "true" or "false"). `first`: the
 * first value of this option from this source, so a list starts over.
 * On CONFIG_ERROR `why` holds the reason without the option's name:
 * "must be an integer between 1 and 65535 (got '0')". */
enum config_result config_option_set(struct zt_config *cfg, const struct config_option *opt,
				     const char *val, int first, char *why, size_t why_len);

#endif /* ZT_CONFIG_H */
