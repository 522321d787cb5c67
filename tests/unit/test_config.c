// SPDX-License-Identifier: MIT
/* user/config.c: every flag, every error path, --help and the usage text. */
#define _GNU_SOURCE /* open_memstream */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "protocols.h"

#define ERR_LEN 256

struct parsed {
	struct zt_config cfg;
	enum config_result rc;
	char err[ERR_LEN];
	const char *help;
};

/* argv is NULL-terminated and starts after the program name. */
static struct parsed parse_argv(char **args)
{
	char *argv[200] = { "zerotrace" };
	struct parsed p;
	int argc = 1;

	while (args[argc - 1]) {
		cr_assert_lt(argc, 199);
		argv[argc] = args[argc - 1];
		argc++;
	}
	memset(&p, 0xa5, sizeof(p));
	p.help = "unset";
	p.rc = config_parse(&p.cfg, argc, argv, p.err, sizeof(p.err), &p.help);
	return p;
}

#define PARSE(...) parse_argv((char *[]){ __VA_ARGS__, NULL })

/* Asserts the arguments fail with exactly `want` as the message. */
#define EXPECT_ERR(want, ...)                                                  \
	do {                                                                   \
		struct parsed p_ = PARSE(__VA_ARGS__);                         \
		cr_expect_eq(p_.rc, CONFIG_ERROR, "expected an error: %s",     \
			     (want));                                          \
		cr_expect_str_eq(p_.err, (want));                              \
	} while (0)

#define EXPECT_OK(...)                                                         \
	({                                                                     \
		struct parsed p_ = PARSE(__VA_ARGS__);                         \
		cr_expect_eq(p_.rc, CONFIG_OK, "unexpected error: %s", p_.err); \
		cr_expect_str_eq(p_.err, "");                                  \
		p_.cfg;                                                        \
	})

static void expect_defaults(const struct zt_config *c)
{
	cr_expect_eq(c->output, ZT_OUTPUT_AUTO);
	cr_expect_eq(c->capture_bytes, 512);
	cr_expect_eq(c->ringbuf_size, 16777216);
	cr_expect_eq(c->n_pids, 0);
	cr_expect_str_eq(c->comm, "");
	cr_expect_eq(c->n_ports, 0);
	cr_expect_eq(c->stats_interval, 5.0);
	cr_expect_eq(c->max_conns, 16384);
	cr_expect_eq(c->idle_timeout, 300.0);
	cr_expect_eq(c->verbose, 0);
}

Test(config, defaults_exact)
{
	struct zt_config c;

	memset(&c, 0xa5, sizeof(c));
	config_defaults(&c);
	expect_defaults(&c);
}

Test(config, no_arguments_gives_defaults)
{
	char *argv[] = { "zerotrace", NULL };
	struct zt_config c;
	char err[64] = "stale";
	const char *help = "stale";

	memset(&c, 0xa5, sizeof(c));
	cr_expect_eq(config_parse(&c, 1, argv, err, sizeof(err), &help),
		     CONFIG_OK);
	expect_defaults(&c);
	cr_expect_str_eq(err, "");
	cr_expect_null(help);
}

Test(config, output_values)
{
	cr_expect_eq(EXPECT_OK("--output", "jsonl").output, ZT_OUTPUT_JSONL);
	cr_expect_eq(EXPECT_OK("--output", "pretty").output, ZT_OUTPUT_PRETTY);
	cr_expect_eq(EXPECT_OK("--output=pretty").output, ZT_OUTPUT_PRETTY);
	cr_expect_eq(EXPECT_OK("--output", "jsonl", "--output", "auto").output,
		     ZT_OUTPUT_AUTO);
}

Test(config, output_errors)
{
	EXPECT_ERR("--output: must be jsonl, pretty, none or auto (got 'json')",
		   "--output", "json");
	EXPECT_ERR("--output: must be jsonl, pretty, none or auto (got 'JSONL')",
		   "--output", "JSONL");
	EXPECT_ERR("--output: must be jsonl, pretty, none or auto (got '')",
		   "--output=");
	EXPECT_ERR("--output: missing value", "--output");
}

Test(config, capture_bytes_values)
{
	cr_expect_eq(EXPECT_OK("--capture-bytes", "1").capture_bytes, 1);
	cr_expect_eq(EXPECT_OK("--capture-bytes", "4096").capture_bytes, 4096);
	cr_expect_eq(EXPECT_OK("--capture-bytes=64").capture_bytes, 64);
	cr_expect_eq(EXPECT_OK("--capture-bytes", "0100").capture_bytes, 100);
}

Test(config, capture_bytes_errors)
{
	static const char *const bad[] = {
		"0", "4097", "-1", "12x", "", " 12", "12 ", "+12", "0x10",
		"1.5", "1e3", "99999999999999999999999999",
	};
	char want[ERR_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want),
			 "--capture-bytes: must be an integer between 1 and 4096 (got '%s')",
			 bad[i]);
		EXPECT_ERR(want, "--capture-bytes", (char *)bad[i]);
	}
	EXPECT_ERR("--capture-bytes: must be an integer between 1 and 4096 (got '0')",
		   "--capture-bytes", "0");
	EXPECT_ERR("--capture-bytes: must be an integer between 1 and 4096 (got '12x')",
		   "--capture-bytes=12x");
	EXPECT_ERR("--capture-bytes: missing value", "--capture-bytes");
}

Test(config, ringbuf_size_values)
{
	cr_expect_eq(EXPECT_OK("--ringbuf-size", "64K").ringbuf_size, 65536);
	cr_expect_eq(EXPECT_OK("--ringbuf-size", "65536").ringbuf_size, 65536);
	cr_expect_eq(EXPECT_OK("--ringbuf-size", "128k").ringbuf_size, 131072);
	cr_expect_eq(EXPECT_OK("--ringbuf-size", "2m").ringbuf_size, 2097152);
	cr_expect_eq(EXPECT_OK("--ringbuf-size", "16M").ringbuf_size, 16777216);
	cr_expect_eq(EXPECT_OK("--ringbuf-size=1G").ringbuf_size, 1073741824);
	cr_expect_eq(EXPECT_OK("--ringbuf-size", "1g").ringbuf_size, 1073741824);
	cr_expect_eq(EXPECT_OK("--ringbuf-size", "1024M").ringbuf_size,
		     1073741824);
	cr_expect_eq(EXPECT_OK("--ringbuf-size", "1048576K").ringbuf_size,
		     1073741824);
}

Test(config, ringbuf_size_errors)
{
	static const char *const bad[] = {
		"32K",	/* below 64K */
		"4096", /* a page, but below 64K */
		"2G",	/* above 1G */
		"3M",	/* not a power of two */
		"100000", "0", "", "16MB", "M", "-16M", "16 M", "1T", "16.5M",
		"99999999999999999999K", "18014398509481984K", /* 2^64 bytes */
	};
	char want[ERR_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want),
			 "--ringbuf-size: must be a power of two between 64K and 1G (got '%s')",
			 bad[i]);
		EXPECT_ERR(want, "--ringbuf-size", (char *)bad[i]);
	}
	EXPECT_ERR("--ringbuf-size: must be a power of two between 64K and 1G (got '3M')",
		   "--ringbuf-size", "3M");
	EXPECT_ERR("--ringbuf-size: missing value", "--ringbuf-size");
}

Test(config, pid_values_and_forms)
{
	struct zt_config c;

	c = EXPECT_OK("--pid", "1", "-p", "42", "-p4194304", "--pid=7");
	cr_expect_eq(c.n_pids, 4);
	cr_expect_eq(c.pids[0], 1);
	cr_expect_eq(c.pids[1], 42);
	cr_expect_eq(c.pids[2], 4194304);
	cr_expect_eq(c.pids[3], 7);
}

Test(config, pid_repeatable_up_to_the_limit)
{
	char *args[2 * ZT_MAX_PID_FILTERS + 3];
	char vals[ZT_MAX_PID_FILTERS + 1][16];
	struct parsed p;
	int i;

	for (i = 0; i <= ZT_MAX_PID_FILTERS; i++) {
		snprintf(vals[i], sizeof(vals[i]), "%d", 100 + i);
		args[2 * i] = "--pid";
		args[2 * i + 1] = vals[i];
	}
	args[2 * ZT_MAX_PID_FILTERS] = NULL;
	p = parse_argv(args);
	cr_expect_eq(p.rc, CONFIG_OK);
	cr_expect_eq(p.cfg.n_pids, ZT_MAX_PID_FILTERS);
	cr_expect_eq(p.cfg.pids[ZT_MAX_PID_FILTERS - 1], 163);

	args[2 * ZT_MAX_PID_FILTERS] = "--pid";
	args[2 * ZT_MAX_PID_FILTERS + 2] = NULL;
	p = parse_argv(args);
	cr_expect_eq(p.rc, CONFIG_ERROR);
	cr_expect_str_eq(p.err, "--pid: at most 64 may be given");
}

Test(config, pid_errors)
{
	static const char *const bad[] = {
		"0", "4194305", "-5", "12x", "", "abc", "1.0", "99999999999",
	};
	char want[ERR_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want),
			 "--pid: must be an integer between 1 and 4194304 (got '%s')",
			 bad[i]);
		EXPECT_ERR(want, "--pid", (char *)bad[i]);
		EXPECT_ERR(want, "-p", (char *)bad[i]);
	}
	EXPECT_ERR("--pid: must be an integer between 1 and 4194304 (got 'x')",
		   "-px");
	EXPECT_ERR("--pid: missing value", "--pid");
	EXPECT_ERR("--pid: missing value", "-p");
}

Test(config, comm_values)
{
	cr_expect_str_eq(EXPECT_OK("--comm", "nginx").comm, "nginx");
	cr_expect_str_eq(EXPECT_OK("--comm=curl").comm, "curl");
	cr_expect_str_eq(EXPECT_OK("--comm", "abcdefghijklmno").comm,
			 "abcdefghijklmno");
	cr_expect_str_eq(EXPECT_OK("--comm", "a b").comm, "a b");
	cr_expect_str_eq(EXPECT_OK("--comm", "-x").comm, "-x");
}

Test(config, comm_errors)
{
	EXPECT_ERR("--comm: must be 1 to 15 characters (got 'abcdefghijklmnop')",
		   "--comm", "abcdefghijklmnop");
	EXPECT_ERR("--comm: must be 1 to 15 characters (got '')", "--comm", "");
	EXPECT_ERR("--comm: must be 1 to 15 characters (got '')", "--comm=");
	EXPECT_ERR("--comm: missing value", "--comm");
	/* A forgotten value never swallows the next flag. */
	EXPECT_ERR("--comm: missing value", "--comm", "--verbose");
}

Test(config, port_values)
{
	struct zt_config c = EXPECT_OK("--port", "80", "--port=65535", "--port",
				       "1", "--port", "8080");

	cr_expect_eq(c.n_ports, 4);
	cr_expect_eq(c.ports[0], 80);
	cr_expect_eq(c.ports[1], 65535);
	cr_expect_eq(c.ports[2], 1);
	cr_expect_eq(c.ports[3], 8080);
}

Test(config, port_repeatable_up_to_the_limit)
{
	char *args[2 * ZT_MAX_PORT_FILTERS + 3];
	char vals[ZT_MAX_PORT_FILTERS + 1][16];
	struct parsed p;
	int i;

	for (i = 0; i <= ZT_MAX_PORT_FILTERS; i++) {
		snprintf(vals[i], sizeof(vals[i]), "%d", 1000 + i);
		args[2 * i] = "--port";
		args[2 * i + 1] = vals[i];
	}
	args[2 * ZT_MAX_PORT_FILTERS] = NULL;
	p = parse_argv(args);
	cr_expect_eq(p.rc, CONFIG_OK);
	cr_expect_eq(p.cfg.n_ports, ZT_MAX_PORT_FILTERS);
	cr_expect_eq(p.cfg.ports[ZT_MAX_PORT_FILTERS - 1], 1063);

	args[2 * ZT_MAX_PORT_FILTERS] = "--port";
	args[2 * ZT_MAX_PORT_FILTERS + 2] = NULL;
	p = parse_argv(args);
	cr_expect_eq(p.rc, CONFIG_ERROR);
	cr_expect_str_eq(p.err, "--port: at most 64 may be given");
}

Test(config, port_errors)
{
	static const char *const bad[] = {
		"0", "65536", "-1", "80x", "", "http", "99999999999999999999999",
	};
	char want[ERR_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want),
			 "--port: must be an integer between 1 and 65535 (got '%s')",
			 bad[i]);
		EXPECT_ERR(want, "--port", (char *)bad[i]);
	}
	EXPECT_ERR("--port: missing value", "--port");
}

Test(config, stats_interval_values)
{
	cr_expect_eq(EXPECT_OK("--stats-interval", "1").stats_interval, 1.0);
	cr_expect_eq(EXPECT_OK("--stats-interval", "0.5").stats_interval, 0.5);
	cr_expect_eq(EXPECT_OK("--stats-interval", ".25").stats_interval, 0.25);
	cr_expect_eq(EXPECT_OK("--stats-interval", "2.").stats_interval, 2.0);
	cr_expect_eq(EXPECT_OK("--stats-interval", "0.1").stats_interval, 0.1);
	cr_expect_eq(EXPECT_OK("--stats-interval", "1.1").stats_interval, 1.1);
	cr_expect_eq(EXPECT_OK("--stats-interval=86400").stats_interval,
		     86400.0);
	cr_expect_eq(EXPECT_OK("--stats-interval", "86400.000").stats_interval,
		     86400.0);
	cr_expect_eq(EXPECT_OK("--stats-interval", "0.000000001").stats_interval,
		     1e-9);
	cr_expect_eq(EXPECT_OK("--stats-interval", "007").stats_interval, 7.0);
}

Test(config, stats_interval_errors)
{
	static const char *const bad[] = {
		"0",	 "0.0",	  "-1",	 "86400.5", "86401", "1e3", "",
		".",	 "1.2.3", "abc", "inf",	    "nan",   " 1",  "1s",
		"0x10", "+1",	  "1,5", "0.0000000001", "999999999999999999999",
	};
	char want[ERR_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want),
			 "--stats-interval: must be a number of seconds greater than 0 and at most 86400 (got '%s')",
			 bad[i]);
		EXPECT_ERR(want, "--stats-interval", (char *)bad[i]);
	}
	EXPECT_ERR("--stats-interval: missing value", "--stats-interval");
}

Test(config, max_conns_values)
{
	cr_expect_eq(EXPECT_OK("--max-conns", "16").max_conns, 16);
	cr_expect_eq(EXPECT_OK("--max-conns=262144").max_conns, 262144);
	cr_expect_eq(EXPECT_OK("--max-conns", "65536").max_conns, 65536);
}

Test(config, max_conns_errors)
{
	static const char *const bad[] = {
		"15", "262145", "0", "-16", "", "1k", "16x",
	};
	char want[ERR_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want),
			 "--max-conns: must be an integer between 16 and 262144 (got '%s')",
			 bad[i]);
		EXPECT_ERR(want, "--max-conns", (char *)bad[i]);
	}
	EXPECT_ERR("--max-conns: missing value", "--max-conns");
}

Test(config, idle_timeout_values)
{
	cr_expect_eq(EXPECT_OK("--idle-timeout", "300").idle_timeout, 300.0);
	cr_expect_eq(EXPECT_OK("--idle-timeout", "0.1").idle_timeout, 0.1);
	cr_expect_eq(EXPECT_OK("--idle-timeout=86400").idle_timeout, 86400.0);
}

Test(config, idle_timeout_errors)
{
	static const char *const bad[] = {
		"0", "86401", "-3", "", "10m", ".",
	};
	char want[ERR_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want),
			 "--idle-timeout: must be a number of seconds greater than 0 and at most 86400 (got '%s')",
			 bad[i]);
		EXPECT_ERR(want, "--idle-timeout", (char *)bad[i]);
	}
	EXPECT_ERR("--idle-timeout: missing value", "--idle-timeout");
}

Test(config, verbose_forms)
{
	cr_expect_eq(EXPECT_OK("-v").verbose, 1);
	cr_expect_eq(EXPECT_OK("--verbose").verbose, 1);
	EXPECT_ERR("--verbose: takes no value (got '1')", "--verbose=1");
	EXPECT_ERR("--verbose: takes no value (got '')", "--verbose=");
}

Test(config, help_and_version)
{
	struct parsed p;

	p = PARSE("--help");
	cr_expect_eq(p.rc, CONFIG_HELP);
	cr_expect_str_eq(p.help, "usage");
	p = PARSE("-h");
	cr_expect_eq(p.rc, CONFIG_HELP);
	cr_expect_str_eq(p.help, "usage");
	p = PARSE("--version");
	cr_expect_eq(p.rc, CONFIG_HELP);
	cr_expect_str_eq(p.help, "version");
	/* Left to right: whatever comes first wins. */
	p = PARSE("--pid", "1", "--help", "--bogus");
	cr_expect_eq(p.rc, CONFIG_HELP);
	cr_expect_str_eq(p.help, "usage");
	expect_defaults(&p.cfg);
	EXPECT_ERR("--bogus: unknown option (see --help)", "--bogus", "--help");
	EXPECT_ERR("--help: takes no value (got 'x')", "--help=x");
	EXPECT_ERR("--version: takes no value (got '2')", "--version=2");
}

Test(config, unknown_options)
{
	EXPECT_ERR("--bogus: unknown option (see --help)", "--bogus");
	EXPECT_ERR("--bogus: unknown option (see --help)", "--bogus=1");
	EXPECT_ERR("--Output: unknown option (see --help)", "--Output", "jsonl");
	EXPECT_ERR("--out: unknown option (see --help)", "--out", "jsonl");
	EXPECT_ERR("--: unknown option (see --help)", "--=x");
	EXPECT_ERR("-x: unknown option (see --help)", "-x");
	EXPECT_ERR("-P: unknown option (see --help)", "-P", "1");
	EXPECT_ERR("-vh: unknown option (see --help)", "-vh");
	EXPECT_ERR("-hv: unknown option (see --help)", "-hv");
}

Test(config, positional_arguments_rejected)
{
	EXPECT_ERR("unexpected argument 'foo' (zerotrace takes options only)",
		   "foo");
	EXPECT_ERR("unexpected argument '1234' (zerotrace takes options only)",
		   "--verbose", "1234");
	EXPECT_ERR("unexpected argument '-' (zerotrace takes options only)", "-");
	EXPECT_ERR("unexpected argument '' (zerotrace takes options only)", "");
	EXPECT_ERR("unexpected argument '--help' (zerotrace takes options only)",
		   "--", "--help");
	cr_expect_eq(EXPECT_OK("-v", "--").verbose, 1);
}

Test(config, all_flags_together)
{
	struct zt_config c = EXPECT_OK(
		"--output", "jsonl", "--capture-bytes", "1024",
		"--ringbuf-size", "256K", "--pid", "10", "--comm", "python3",
		"--port", "443", "--stats-interval", "2.5", "--max-conns", "100",
		"--idle-timeout", "60", "-v");

	cr_expect_eq(c.output, ZT_OUTPUT_JSONL);
	cr_expect_eq(c.capture_bytes, 1024);
	cr_expect_eq(c.ringbuf_size, 262144);
	cr_expect_eq(c.n_pids, 1);
	cr_expect_eq(c.pids[0], 10);
	cr_expect_str_eq(c.comm, "python3");
	cr_expect_eq(c.n_ports, 1);
	cr_expect_eq(c.ports[0], 443);
	cr_expect_eq(c.stats_interval, 2.5);
	cr_expect_eq(c.max_conns, 100);
	cr_expect_eq(c.idle_timeout, 60.0);
	cr_expect_eq(c.verbose, 1);
}

Test(config, reentrant_and_defaults_after_error)
{
	struct parsed p;

	p = PARSE("--pid", "5", "--capture-bytes", "9");
	cr_expect_eq(p.rc, CONFIG_OK);
	cr_expect_eq(p.cfg.n_pids, 1);
	/* A second parse in the same process starts over. */
	p = PARSE("--port", "80");
	cr_expect_eq(p.rc, CONFIG_OK);
	cr_expect_eq(p.cfg.n_pids, 0);
	cr_expect_eq(p.cfg.capture_bytes, 512);
	/* On error the config is the defaults, not half-applied. */
	p = PARSE("--pid", "5", "--port", "0");
	cr_expect_eq(p.rc, CONFIG_ERROR);
	expect_defaults(&p.cfg);
}

Test(config, error_buffer_small_or_absent)
{
	char *argv[] = { "zerotrace", "--capture-bytes", "0", NULL };
	struct zt_config c;
	char err[8];

	cr_expect_eq(config_parse(&c, 3, argv, err, sizeof(err), NULL),
		     CONFIG_ERROR);
	cr_expect_str_eq(err, "--captu");
	cr_expect_eq(config_parse(&c, 3, argv, NULL, 0, NULL), CONFIG_ERROR);
	cr_expect_eq(config_parse(&c, 0, NULL, NULL, 0, NULL), CONFIG_OK);
	expect_defaults(&c);
}

Test(config, argc_bounds_argv)
{
	char *argv[] = { "zerotrace", "--pid", "5", "--bogus", NULL };
	struct zt_config c;
	char err[64];

	/* argv[3] lies beyond argc and is never read. */
	cr_expect_eq(config_parse(&c, 3, argv, err, sizeof(err), NULL),
		     CONFIG_OK);
	cr_expect_eq(c.n_pids, 1);
	cr_expect_eq(config_parse(&c, 2, argv, err, sizeof(err), NULL),
		     CONFIG_ERROR);
	cr_expect_str_eq(err, "--pid: missing value");
}

static char *usage_text(const char *prog)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	config_usage(f, prog);
	fclose(f);
	return text;
}

Test(config, usage_lists_every_flag_with_a_default)
{
	static const char *const lines[] = {
		"      --output jsonl|pretty|none jsonl: one JSON object per line; pretty: trace trees for humans; none (default: pretty on a terminal, else jsonl)\n",
		"      --capture-bytes N        payload bytes copied per syscall, 1..4096 (default: 512)\n",
		"      --ringbuf-size SIZE      ring buffer size, power of two 64K..1G (K/M/G suffixes) (default: 16M)\n",
		"  -p, --pid PID                trace only this process, 1..4194304; repeatable (64 max) (default: all)\n",
		"      --comm NAME              trace only this exact process name, 1..15 characters (default: any)\n",
		"      --port PORT              trace only this local or remote port, 1..65535; repeatable (64 max) (default: all)\n",
		"      --stats-interval SECONDS seconds between statistics reports, 0 < s <= 86400, decimals ok (default: 5)\n",
		"      --max-conns N            connections tracked at once, 16..262144 (default: 16384)\n",
		"      --idle-timeout SECONDS   forget a connection idle this long, 0 < s <= 86400, decimals ok (default: 300)\n",
		"      --cgroup PATH            trace only processes in this cgroup v2 directory or below (default: all)\n",
		"      --inject-traceparent     write a W3C traceparent into outgoing plain HTTP/1.x requests (default: off)\n",
		"      --reorder-window-ms MS   hold events this long to release them in causal order, 0..10000 (default: 50)\n",
		"      --otlp-endpoint URL      send spans over OTLP/HTTP to URL/v1/traces (or OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT) (default: off)\n",
		"      --metrics-addr ADDR      serve Prometheus /metrics on ADDR (host:port, [v6]:port, :port), or off (default: 127.0.0.1:9464)\n",
		"  -v, --verbose                print libbpf messages (default: off)\n",
		"  -h, --help                   print this help and exit\n",
		"      --version                print the version and exit\n",
	};
	char *text = usage_text("zt");
	size_t i;

	cr_expect_eq(strncmp(text, "Usage: zt [options]\n", 20), 0);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		cr_expect_not_null(strstr(text, lines[i]), "missing: %s",
				   lines[i]);
	free(text);

	text = usage_text(NULL);
	cr_expect_eq(strncmp(text, "Usage: zerotrace [options]\n", 27), 0);
	free(text);
}

Test(config, protocols_values)
{
	struct zt_config c = EXPECT_OK("--protocols", "redis");

	cr_expect_eq(c.protocols, 1u << ZT_PROTO_REDIS);
	c = EXPECT_OK("--protocols=http1,postgresql,mysql");
	cr_expect_eq(c.protocols,
		     (1u << ZT_PROTO_HTTP1) | (1u << ZT_PROTO_POSTGRESQL) | (1u << ZT_PROTO_MYSQL));
	c = EXPECT_OK("--protocols", "http1,http1");
	cr_expect_eq(c.protocols, 1u << ZT_PROTO_HTTP1);
	/* the last one given wins, as for every flag with one value */
	c = EXPECT_OK("--protocols", "redis", "--protocols", "mysql");
	cr_expect_eq(c.protocols, 1u << ZT_PROTO_MYSQL);
	c = EXPECT_OK("--port", "80");
	cr_expect_eq(c.protocols, ZT_PROTO_ALL);
}

Test(config, protocols_errors)
{
	EXPECT_ERR("--protocols: must be a comma-separated list of: http1, redis, postgresql, mysql "
		   "(got 'http')",
		   "--protocols", "http");
	EXPECT_ERR("--protocols: must be a comma-separated list of: http1, redis, postgresql, mysql "
		   "(got 'redis,')",
		   "--protocols", "redis,");
	EXPECT_ERR("--protocols: must be a comma-separated list of: http1, redis, postgresql, mysql "
		   "(got '')",
		   "--protocols=");
	EXPECT_ERR("--protocols: must be a comma-separated list of: http1, redis, postgresql, mysql "
		   "(got 'Redis')",
		   "--protocols", "Redis");
	EXPECT_ERR("--protocols: missing value", "--protocols");
}
