// SPDX-License-Identifier: MIT
/*
 * Internal to the config module (config.c, config_values.c,
 * config_apply.c, config_usage.c): the option table's shape, the limits
 * and defaults, and the value checks. Nothing outside user/config*.c
 * includes it; the public API is config.h.
 */
#ifndef ZT_CONFIG_INTERNAL_H
#define ZT_CONFIG_INTERNAL_H

#include "config.h"

#include "alert.h"
#include "events.h"


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
	OPT_GO_HANDOFFS,
	OPT_NODE_HELPER,
	OPT_LOGS,
	OPT_CGROUP,
	OPT_REORDER_MS,
	OPT_SAMPLE_RATIO,
	OPT_SAMPLE_IGNORE_PARENT,
	OPT_SAMPLE_KEEP_ERRORS,
	OPT_NO_SAMPLE_KEEP_ERRORS,
	OPT_SAMPLE_KEEP_SLOW,
	OPT_CPU_BUDGET,
	OPT_OTLP_ENDPOINT,
	OPT_OTLP_PROTOCOL,
	OPT_OTLP_HEADERS,
	OPT_OTLP_COMPRESSION,
	OPT_OTLP_TIMEOUT,
	OPT_ZIPKIN_ENDPOINT,
	OPT_ZIPKIN_COMPRESSION,
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


/* The one list of flags: parsing and usage both read it (config.c). */
extern const struct config_option config_options[];
extern const size_t config_n_options;

enum config_host {
	CONFIG_HOST_LITERAL = 0, /* IPv4 or [IPv6] literals only */
	CONFIG_HOST_NAMES = 1,   /* host names as well */
	CONFIG_HOST_EMPTY = 2,   /* ":PORT" (every IPv4 interface) as well */
};

__attribute__((format(printf, 3, 4))) enum config_result
config_fail(char *err, size_t err_len, const char *fmt, ...);

/* Value checks (config_values.c). */
enum config_result config_copy(char *dst, size_t cap, const char *val, char *why,
			       size_t why_len);
int config_parse_u64(const char *s, const char **end, uint64_t *out);
int config_parse_range(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int config_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int config_parse_ringbuf(const char *s, uint64_t *out);
int config_parse_seconds(const char *s, double *out);
int config_parse_ratio(const char *s, double *out);
int config_parse_duration(const char *s, uint64_t min_ns, uint64_t max_ns, uint64_t *out);
int config_parse_hostport(const char *s, unsigned allow);
int config_parse_syslog(const char *s);

/* Applying one option (config_apply.c). */
enum config_result config_apply(struct zt_config *cfg, const struct config_option *opt,
				const char *val, int first, char *why, size_t why_len);
enum config_result config_switch(struct zt_config *cfg, const struct config_option *opt,
				 int on, const char **help_text);

#endif /* ZT_CONFIG_INTERNAL_H */
