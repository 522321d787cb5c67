// SPDX-License-Identifier: MIT
/*
 * Applying one option's value onto a zt_config: the same checks whether
 * the value came from the command line or the --config file.
 */
#include <string.h>

#include "config_internal.h"
#include "otlp_exporter.h"
#include "proto.h"

/* "http1,redis": each a registered module's name, at least one; "grpc"
 * is the http2 module's (gRPC is read from HTTP/2 streams). */
static enum config_result config_parse_protocols(struct zt_config *cfg, const char *val, char *why,
						 size_t why_len)
{
	char known[256] = "";
	const char *p = val;
	uint32_t set = 0;

	for (;;) {
		size_t n = strcspn(p, ",");
		const struct proto *pr = n == 4 && !memcmp(p, "grpc", 4) ? proto_by_id(ZT_PROTO_HTTP2) :
									  proto_by_name(p, n);

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
	return config_fail(why, why_len, "must be a comma-separated list of: %s, grpc (got '%s')",
			   known, val);
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
enum config_result config_apply(struct zt_config *cfg, const struct config_option *opt,
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
	case OPT_SAMPLE_RATIO:
		if (!config_parse_ratio(val, &cfg->sample_ratio))
			return config_fail(why, why_len,
					   "must be a decimal number greater than 0 and at most 1, such as 0.25 (got '%s')",
					   val);
		return CONFIG_OK;
	case OPT_SAMPLE_KEEP_SLOW:
		if (!config_parse_duration(val, 1000000ULL, CONFIG_DAY_S * CONFIG_NS,
					   &cfg->sample_keep_slow_ns))
			return config_fail(why, why_len,
					   "must be a duration from 0.001 (1 ms) to 1d, such as 0.25, 2s or 1m (got '%s')",
					   val);
		return CONFIG_OK;
	case OPT_CPU_BUDGET:
		if (!config_parse_range(val, 1, 10000, &u))
			return config_fail(why, why_len,
					   "must be an integer percentage of one CPU between 1 and 10000 (got '%s')",
					   val);
		cfg->cpu_budget_pct = (uint32_t)u;
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
	case OPT_ZIPKIN_ENDPOINT:
		if (strncmp(val, "http://", 7) && strncmp(val, "https://", 8))
			return config_fail(why, why_len,
					   "must be an http:// or https:// URL (got '%s')", val);
		return config_copy(cfg->zipkin_endpoint, sizeof(cfg->zipkin_endpoint), val, why,
				   why_len);
	case OPT_ZIPKIN_COMPRESSION:
		if (strcmp(val, "gzip") && strcmp(val, "none"))
			return config_fail(why, why_len, "must be gzip or none (got '%s')", val);
		return config_copy(cfg->zipkin_compression, sizeof(cfg->zipkin_compression), val,
				   why, why_len);
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
	case OPT_GO_HANDOFFS:
	case OPT_NODE_HELPER:
	case OPT_LOGS:
	case OPT_SAMPLE_IGNORE_PARENT:
	case OPT_SAMPLE_KEEP_ERRORS:
	case OPT_NO_SAMPLE_KEEP_ERRORS:
	case OPT_HELP:
	case OPT_VERSION:
	case OPT_COUNT:
		break;
	}
	return config_fail(why, why_len, "takes no value");
}

/* Switches: stops parsing with CONFIG_HELP for --help and --version. */
enum config_result config_switch(struct zt_config *cfg, const struct config_option *opt,
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
	case OPT_GO_HANDOFFS:
		cfg->go_handoffs = on;
		return CONFIG_OK;
	case OPT_NODE_HELPER:
		cfg->node_helper = on;
		return CONFIG_OK;
	case OPT_LOGS:
		cfg->logs = on;
		return CONFIG_OK;
	case OPT_SAMPLE_IGNORE_PARENT:
		cfg->sample_ignore_parent = on;
		return CONFIG_OK;
	case OPT_SAMPLE_KEEP_ERRORS:
	case OPT_NO_SAMPLE_KEEP_ERRORS:
		cfg->sample_keep_errors = opt->id == OPT_SAMPLE_KEEP_ERRORS ? on : !on;
		return CONFIG_OK;
	default:
		cfg->verbose = on;
		return CONFIG_OK;
	}
}
