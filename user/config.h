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
	char cgroup[256];          /* --cgroup, a cgroup v2 directory, "" = all */
	uint32_t reorder_window_ms; /* --reorder-window-ms, 0..10000, default 50 */
	/* OTLP export: each "" / 0 leaves the OTEL_EXPORTER_OTLP_* value in force */
	char otlp_endpoint[1024];  /* --otlp-endpoint, base URL: /v1/traces is appended */
	char otlp_protocol[16];    /* --otlp-protocol http/protobuf|http/json */
	char otlp_headers[1024];   /* --otlp-headers k=v,k2=v2 */
	char otlp_compression[8];  /* --otlp-compression gzip|none */
	uint32_t otlp_timeout_ms;  /* --otlp-timeout MS */
	char metrics_addr[128];    /* --metrics-addr, default 127.0.0.1:9464, "off" = none */
	uint32_t protocols;        /* --protocols: a bit per enum zt_proto, default all */
};

enum config_result {
	CONFIG_OK = 0,
	CONFIG_HELP = 1,  /* --help or --version: print and exit 0 */
	CONFIG_ERROR = 2, /* err holds "--flag: why"; exit status 2 */
};

void config_defaults(struct zt_config *cfg);
/* Parses argv (argv[0] is the program). Sizes accept K, M, G suffixes
 * (powers of 1024). On CONFIG_HELP, *help_text is "usage" or "version". */
enum config_result config_parse(struct zt_config *cfg, int argc, char **argv,
				char *err, size_t err_len,
				const char **help_text);
void config_usage(FILE *out, const char *prog);

#endif /* ZT_CONFIG_H */
