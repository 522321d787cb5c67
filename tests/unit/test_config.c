// SPDX-License-Identifier: MIT
/* user/config.c and user/config_file.c: every flag, every error path,
 * --help and the usage text, the --config file and its precedence. */
#define _GNU_SOURCE /* open_memstream */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "config.h"
#include "config_file.h"
#include "protocols.h"

#define ERR_LEN CONFIG_ERR_MAX

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
	cr_expect_eq(c->inject_traceparent, 0);
	cr_expect_str_eq(c->cgroup, "");
	cr_expect_eq(c->reorder_window_ms, 50);
	cr_expect_str_eq(c->otlp_endpoint, "");
	cr_expect_str_eq(c->otlp_protocol, "");
	cr_expect_str_eq(c->otlp_headers, "");
	cr_expect_str_eq(c->otlp_compression, "");
	cr_expect_eq(c->otlp_timeout_ms, 0);
	cr_expect_str_eq(c->metrics_addr, "127.0.0.1:9464");
	cr_expect_eq(c->protocols, ZT_PROTO_ALL);
	cr_expect_eq(c->learn_ns, 86400000000000ULL);
	cr_expect_str_eq(c->state_dir, "/var/lib/zerotrace");
	cr_expect_str_eq(c->alerts_output, "");
	cr_expect_eq(c->alert_window, 60.0);
	cr_expect_eq(c->alert_rate, 100);
	cr_expect_eq(c->disabled_rules, 0);
	cr_expect_str_eq(c->policy_file, "");
	cr_expect_str_eq(c->syslog_addr, "");
	cr_expect_str_eq(c->audit_dir, "");
	cr_expect_eq(c->audit_max_size, 67108864ULL);
	cr_expect_eq(c->audit_max_age_ns, 3600000000000ULL);
	cr_expect_eq(c->audit_keep, 168);
	cr_expect_str_eq(c->config_file, "");
	cr_expect_eq(c->set_by_cmdline, 0);
	cr_expect_eq(c->set_by_file, 0);
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
		"      --ringbuf-size SIZE      ring buffers, split between the online CPUs, power of two 64K..1G (K/M/G suffixes) (default: 16M)\n",
		"  -p, --pid PID                trace only this process, 1..4194304; repeatable (64 max) (default: all)\n",
		"      --comm NAME              trace only this exact process name, 1..15 characters (default: any)\n",
		"      --port PORT              trace only this local or remote port, 1..65535; repeatable (64 max) (default: all)\n",
		"      --stats-interval SECONDS seconds between statistics reports, 0 < s <= 86400, decimals ok (default: 5)\n",
		"      --max-conns N            connections tracked at once, 16..262144 (default: 16384)\n",
		"      --idle-timeout SECONDS   forget a connection idle this long, 0 < s <= 86400, decimals ok (default: 300)\n",
		"      --cgroup PATH            trace only processes in this cgroup v2 directory or below (default: all)\n",
		"      --inject-traceparent     write a W3C traceparent into outgoing plain HTTP/1.x requests (default: off)\n",
		"      --reorder-window-ms MS   hold events this long to release them in causal order, 0..10000 (default: 50)\n",
		"      --sample-ratio R         export this fraction of traces, 0 < R <= 1, chosen by trace id the same way on every node (default: 1 (all))\n",
		"      --sample-ignore-parent   decide by --sample-ratio even when a trace's context on the wire says sampled or not (default: off (follow it))\n",
		"      --sample-keep-errors     with --sample-ratio, also export a trace this node saw an error span of (default: on)\n",
		"      --no-sample-keep-errors  do not (the ratio alone decides) (default: off)\n",
		"      --sample-keep-slow DURATION with --sample-ratio, also export a trace with a span at least this long (0.5, 2s, 1m) (default: off)\n",
		"      --cpu-budget PERCENT     lower the sampling ratio while the agent uses more CPU than this (% of one CPU), 1..10000 (default: none)\n",
		"      --otlp-endpoint URL      send spans over OTLP/HTTP to URL/v1/traces (or OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT) (default: off)\n",
		"      --metrics-addr ADDR      serve Prometheus /metrics on ADDR (ipv4:port, [ipv6]:port, :port), or off (default: 127.0.0.1:9464)\n",
		"      --otlp-protocol PROTO    http/protobuf or http/json (or OTEL_EXPORTER_OTLP_PROTOCOL) (default: http/protobuf)\n",
		"      --otlp-headers K=V,...   extra request headers (or OTEL_EXPORTER_OTLP_HEADERS) (default: none)\n",
		"      --otlp-compression gzip|none request compression (or OTEL_EXPORTER_OTLP_COMPRESSION) (default: none)\n",
		"      --otlp-timeout MS        per-request timeout, 1..600000 (or OTEL_EXPORTER_OTLP_TIMEOUT) (default: 10000)\n",
		"      --zipkin-endpoint URL    also send spans as Zipkin JSON v2 to URL, e.g. http://host:9411/api/v2/spans (or OTEL_EXPORTER_ZIPKIN_ENDPOINT) (default: off)\n",
		"      --zipkin-compression gzip|none Zipkin request compression (default: none)\n",
		"      --protocols LIST         protocol parsers to run, comma-separated (the others cost a counter, not a parse) (default: all)\n",
		"      --learn DURATION         learn the normal calls this long, then alert on new ones (0: keep the saved baseline), up to 365d (default: 24h)\n",
		"      --state-dir DIR          absolute directory where the learned baseline is kept (default: /var/lib/zerotrace)\n",
		"      --alerts-output FILE|-   append alerts as JSON lines to FILE, or - for stdout (default: off)\n",
		"      --alert-window SECONDS   repeats of one alert inside this window are counted, not sent, 0 < s <= 86400 (default: 60)\n",
		"      --alert-rate N           alerts sent per second at most, 1..100000 (the others are counted as suppressed) (default: 100)\n",
		"      --disable-rule ID        switch a detection rule off (ids below); repeatable (default: none)\n",
		"      --policy FILE            alert on the calls this YAML policy denies (default: none)\n",
		"      --syslog-addr ADDR       send alerts as RFC 5424 syslog to unix:/PATH, udp:HOST:PORT or tcp:HOST:PORT (default: off)\n",
		"      --audit-dir DIR          write the audit trail of alerts into this absolute directory (default: off)\n",
		"      --audit-max-size SIZE    start a new audit file at this size, 4K..1G (K/M/G suffixes) (default: 64M)\n",
		"      --audit-max-age DURATION start a new audit file at this age, 1s..30d (default: 1h)\n",
		"      --audit-keep N           closed audit files kept (the oldest are deleted), 1..100000 (default: 168)\n",
		"      --config FILE            read options from this YAML file (the command line and OTEL_* variables win) (default: none)\n",
		"\nDetection rules (ids for --disable-rule, default severity):\n",
		"  new_edge                 medium   a service called a service, a port or an address it never called while learning\n",
		"  sql_command_exec         critical SQL that runs a program or reads or writes server files: COPY ... PROGRAM, INTO OUTFILE\n",
		"  audit_write_failed       high     the audit trail could not be written (a full disk): records are being lost\n",
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
	c = EXPECT_OK("--protocols", "grpc,dns");
	cr_expect_eq(c.protocols, 1u << ZT_PROTO_HTTP2 | 1u << ZT_PROTO_DNS);
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
	EXPECT_ERR("--protocols: must be a comma-separated list of: http1, redis, postgresql, mysql, http2, dns, grpc "
		   "(got 'http')",
		   "--protocols", "http");
	EXPECT_ERR("--protocols: must be a comma-separated list of: http1, redis, postgresql, mysql, http2, dns, grpc "
		   "(got 'redis,')",
		   "--protocols", "redis,");
	EXPECT_ERR("--protocols: must be a comma-separated list of: http1, redis, postgresql, mysql, http2, dns, grpc "
		   "(got '')",
		   "--protocols=");
	EXPECT_ERR("--protocols: must be a comma-separated list of: http1, redis, postgresql, mysql, http2, dns, grpc "
		   "(got 'Redis')",
		   "--protocols", "Redis");
	EXPECT_ERR("--protocols: missing value", "--protocols");
}

/* Every bad value of one option gives `fmt` with the value in it. */
static void expect_all_bad(const char *flag, const char *fmt, const char *const *bad, size_t n)
{
	char want[ERR_LEN], arg[600];

	for (size_t i = 0; i < n; i++) {
		snprintf(want, sizeof(want), fmt, bad[i]);
		EXPECT_ERR(want, (char *)flag, (char *)bad[i]);
		snprintf(arg, sizeof(arg), "%s=%s", flag, bad[i]);
		EXPECT_ERR(want, arg);
	}
}

#define EXPECT_ALL_BAD(flag, fmt, ...)                                                   \
	do {                                                                             \
		const char *const bad_[] = { __VA_ARGS__ };                              \
		expect_all_bad(flag, fmt, bad_, sizeof(bad_) / sizeof(bad_[0]));         \
	} while (0)

static char *repeat(char c, size_t n)
{
	static char buf[8][1100];
	static int k;
	char *b = buf[k++ % 8];

	cr_assert_lt(n, sizeof(buf[0]));
	memset(b, c, n);
	b[n] = '\0';
	return b;
}

Test(config, cgroup_values)
{
	cr_expect_str_eq(EXPECT_OK("--cgroup", "/sys/fs/cgroup/system.slice").cgroup,
			 "/sys/fs/cgroup/system.slice");
	cr_expect_str_eq(EXPECT_OK("--cgroup=/").cgroup, "/");
}

Test(config, cgroup_errors)
{
	char long_path[300];

	snprintf(long_path, sizeof(long_path), "/%s", repeat('a', 255));
	EXPECT_ALL_BAD("--cgroup",
		       "--cgroup: must be an absolute path shorter than 256 characters (got '%s')",
		       "", "sys/fs/cgroup", "./x", long_path);
	EXPECT_ERR("--cgroup: missing value", "--cgroup");
}

Test(config, inject_traceparent_switch)
{
	cr_expect_eq(EXPECT_OK("--inject-traceparent").inject_traceparent, 1);
	cr_expect_eq(EXPECT_OK("--logs").logs, 1);
	cr_expect_eq(EXPECT_OK("--port", "80").logs, 0);
	EXPECT_ERR("--logs: takes no value (got 'yes')", "--logs=yes");
	EXPECT_ERR("--inject-traceparent: takes no value (got 'yes')", "--inject-traceparent=yes");
}

Test(config, reorder_window_values)
{
	cr_expect_eq(EXPECT_OK("--reorder-window-ms", "0").reorder_window_ms, 0);
	cr_expect_eq(EXPECT_OK("--reorder-window-ms=10000").reorder_window_ms, 10000);
	cr_expect_eq(EXPECT_OK("--reorder-window-ms", "75").reorder_window_ms, 75);
}

Test(config, reorder_window_errors)
{
	EXPECT_ALL_BAD("--reorder-window-ms",
		       "--reorder-window-ms: must be an integer between 0 and 10000 (got '%s')",
		       "10001", "-1", "", "5ms", "1.5");
	EXPECT_ERR("--reorder-window-ms: missing value", "--reorder-window-ms");
}

Test(config, sample_ratio_values)
{
	struct zt_config c;

	config_defaults(&c);
	cr_expect_eq(c.sample_ratio, 1.0);
	cr_expect_eq(c.sample_ignore_parent, 0);
	cr_expect_eq(EXPECT_OK("--sample-ratio", "0.25").sample_ratio, 0.25);
	cr_expect_eq(EXPECT_OK("--sample-ratio=1").sample_ratio, 1.0);
	cr_expect_eq(EXPECT_OK("--sample-ratio", "1.000").sample_ratio, 1.0);
	cr_expect_eq(EXPECT_OK("--sample-ratio", ".5").sample_ratio, 0.5);
	cr_expect_eq(EXPECT_OK("--sample-ratio", "0.000000001").sample_ratio, 1e-9);
	cr_expect_eq(EXPECT_OK("--sample-ignore-parent").sample_ignore_parent, 1);
	cr_expect_eq(c.sample_keep_errors, 1, "on by default");
	cr_expect_eq(c.sample_keep_slow_ns, 0, "off by default");
	cr_expect_eq(EXPECT_OK("--no-sample-keep-errors").sample_keep_errors, 0);
	cr_expect_eq(EXPECT_OK("--no-sample-keep-errors", "--sample-keep-errors").sample_keep_errors, 1);
	cr_expect_eq(EXPECT_OK("--sample-keep-errors", "--no-sample-keep-errors").sample_keep_errors, 0);
	cr_expect_eq(EXPECT_OK("--sample-keep-slow", "0.25").sample_keep_slow_ns, 250000000ULL);
	cr_expect_eq(EXPECT_OK("--sample-keep-slow=2s").sample_keep_slow_ns, 2000000000ULL);
	cr_expect_eq(EXPECT_OK("--sample-keep-slow", "0.001").sample_keep_slow_ns, 1000000ULL);
	cr_expect_eq(EXPECT_OK("--sample-keep-slow", "1d").sample_keep_slow_ns, 86400000000000ULL);
	cr_expect_eq(c.cpu_budget_pct, 0, "no budget by default");
	cr_expect_eq(EXPECT_OK("--cpu-budget", "50").cpu_budget_pct, 50);
	cr_expect_eq(EXPECT_OK("--cpu-budget=10000").cpu_budget_pct, 10000);
	cr_expect_eq(EXPECT_OK("--cpu-budget", "1").cpu_budget_pct, 1);
}

Test(config, sample_ratio_errors)
{
	EXPECT_ALL_BAD("--sample-ratio",
		       "--sample-ratio: must be a decimal number greater than 0 and at most 1, such as 0.25 (got '%s')",
		       "0", "0.0", "1.5", "2", "-0.5", "", "25%", "1e-3", "0.0000000001", "0.5x",
		       "nan");
	EXPECT_ERR("--sample-ratio: missing value", "--sample-ratio");
	EXPECT_ERR("--sample-ignore-parent: takes no value (got 'yes')",
		   "--sample-ignore-parent=yes");
	EXPECT_ALL_BAD("--sample-keep-slow",
		       "--sample-keep-slow: must be a duration from 0.001 (1 ms) to 1d, such as 0.25, 2s or 1m (got '%s')",
		       "0", "0.0009", "2d", "-1", "", "5ms", "1x");
	EXPECT_ALL_BAD("--cpu-budget",
		       "--cpu-budget: must be an integer percentage of one CPU between 1 and 10000 (got '%s')",
		       "0", "10001", "50%", "0.5", "-1", "");
}

Test(config, otlp_endpoint_values)
{
	cr_expect_str_eq(EXPECT_OK("--otlp-endpoint", "http://collector:4318").otlp_endpoint,
			 "http://collector:4318");
	cr_expect_str_eq(EXPECT_OK("--otlp-endpoint=https://x/base/").otlp_endpoint,
			 "https://x/base/");
}

Test(config, otlp_endpoint_errors)
{
	char long_url[1100];

	EXPECT_ALL_BAD("--otlp-endpoint",
		       "--otlp-endpoint: must be an http:// or https:// URL (got '%s')", "",
		       "collector:4318", "ftp://x", "HTTP://x", "grpc://x:4317");
	snprintf(long_url, sizeof(long_url), "http://%s", repeat('a', 1017));
	{
		struct parsed p = PARSE("--otlp-endpoint", long_url);

		cr_expect_eq(p.rc, CONFIG_ERROR);
		cr_expect_eq(strncmp(p.err, "--otlp-endpoint: must be 1 to 1023 characters (got 'http://aaa", 62), 0);
	}
	EXPECT_ERR("--otlp-endpoint: missing value", "--otlp-endpoint");
}

Test(config, otlp_protocol_values_and_errors)
{
	cr_expect_str_eq(EXPECT_OK("--otlp-protocol", "http/json").otlp_protocol, "http/json");
	cr_expect_str_eq(EXPECT_OK("--otlp-protocol=http/protobuf").otlp_protocol,
			 "http/protobuf");
	EXPECT_ALL_BAD("--otlp-protocol",
		       "--otlp-protocol: must be http/protobuf or http/json (got '%s')", "grpc", "",
		       "HTTP/JSON", "json");
	EXPECT_ERR("--otlp-protocol: missing value", "--otlp-protocol");
}

Test(config, otlp_headers_values_and_errors)
{
	cr_expect_str_eq(EXPECT_OK("--otlp-headers", "X-Scope-OrgID=team-a,api-key=x%20y").otlp_headers,
			 "X-Scope-OrgID=team-a,api-key=x%20y");
	EXPECT_ERR("--otlp-headers: must be 1 to 1023 characters (got '')", "--otlp-headers=");
	/* the exporter's own parser says what is wrong, at parse time */
	EXPECT_ERR("--otlp-headers: header 1: missing '=' (got 'novalue')", "--otlp-headers",
		   "novalue");
	EXPECT_ERR("--otlp-headers: header 2: empty name (got 'a=b,=c')", "--otlp-headers",
		   "a=b,=c");
	EXPECT_ERR("--otlp-headers: header \"content-type\" is set by the exporter (got 'content-type=x')",
		   "--otlp-headers", "content-type=x");
	EXPECT_ERR("--otlp-headers: missing value", "--otlp-headers");
}

Test(config, otlp_compression_values_and_errors)
{
	cr_expect_str_eq(EXPECT_OK("--otlp-compression", "gzip").otlp_compression, "gzip");
	cr_expect_str_eq(EXPECT_OK("--otlp-compression=none").otlp_compression, "none");
	EXPECT_ALL_BAD("--otlp-compression", "--otlp-compression: must be gzip or none (got '%s')",
		       "zstd", "", "GZIP");
	EXPECT_ERR("--otlp-compression: missing value", "--otlp-compression");
}

Test(config, otlp_timeout_values_and_errors)
{
	cr_expect_eq(EXPECT_OK("--otlp-timeout", "1").otlp_timeout_ms, 1);
	cr_expect_eq(EXPECT_OK("--otlp-timeout=600000").otlp_timeout_ms, 600000);
	EXPECT_ALL_BAD("--otlp-timeout",
		       "--otlp-timeout: must be an integer between 1 and 600000 (got '%s')", "0",
		       "600001", "", "10s", "-5");
	EXPECT_ERR("--otlp-timeout: missing value", "--otlp-timeout");
}

Test(config, zipkin_values_and_errors)
{
	struct zt_config c = EXPECT_OK("--zipkin-endpoint", "http://127.0.0.1:9411/api/v2/spans");

	cr_expect_str_eq(c.zipkin_endpoint, "http://127.0.0.1:9411/api/v2/spans");
	cr_expect_str_eq(c.zipkin_compression, "");
	cr_expect_str_eq(EXPECT_OK("--zipkin-endpoint=https://z/api/v2/spans").zipkin_endpoint,
			 "https://z/api/v2/spans");
	EXPECT_ALL_BAD("--zipkin-endpoint",
		       "--zipkin-endpoint: must be an http:// or https:// URL (got '%s')", "",
		       "127.0.0.1:9411", "ftp://z", "HTTP://z");
	EXPECT_ERR("--zipkin-endpoint: missing value", "--zipkin-endpoint");
	cr_expect_str_eq(EXPECT_OK("--zipkin-compression", "gzip").zipkin_compression, "gzip");
	cr_expect_str_eq(EXPECT_OK("--zipkin-compression=none").zipkin_compression, "none");
	EXPECT_ALL_BAD("--zipkin-compression",
		       "--zipkin-compression: must be gzip or none (got '%s')", "zstd", "", "GZIP");
	EXPECT_ERR("--zipkin-compression: missing value", "--zipkin-compression");
}

Test(config, metrics_addr_values)
{
	cr_expect_str_eq(EXPECT_OK("--metrics-addr", "off").metrics_addr, "off");
	cr_expect_str_eq(EXPECT_OK("--metrics-addr", "0.0.0.0:9464").metrics_addr, "0.0.0.0:9464");
	cr_expect_str_eq(EXPECT_OK("--metrics-addr=:80").metrics_addr, ":80");
	cr_expect_str_eq(EXPECT_OK("--metrics-addr", "[::1]:9464").metrics_addr, "[::1]:9464");
	cr_expect_str_eq(EXPECT_OK("--metrics-addr", "[::]:1").metrics_addr, "[::]:1");
	cr_expect_str_eq(EXPECT_OK("--metrics-addr", "10.1.2.3:65535").metrics_addr,
			 "10.1.2.3:65535");
	cr_expect_str_eq(EXPECT_OK("--metrics-addr", "[fe80::1:2]:9000").metrics_addr,
			 "[fe80::1:2]:9000");
}

Test(config, metrics_addr_errors)
{
	EXPECT_ALL_BAD("--metrics-addr",
		       "--metrics-addr: must be IPV4:PORT, [IPV6]:PORT, :PORT (every interface) or off, "
		       "with a port from 1 to 65535; host names are not resolved (got '%s')",
		       "0.0.0.0:99999", "nonsense", "", "OFF", "localhost:9464", "::1:9464",
		       "[::1]", "[::1]:", "[::1]9464", "1.2.3.4:", "1.2.3:80", "1.2.3.4.5:80",
		       "256.1.1.1:80", "[1.2.3.4]:80", "[]:80", ":0", ":65536", "1.2.3.4:80x",
		       "1.2.3.4:-1", "1.2.3.4:8 0", " 1.2.3.4:80", "1.2.3.4:80:81");
	EXPECT_ERR("--metrics-addr: missing value", "--metrics-addr");
}

Test(config, learn_values)
{
	const uint64_t s = 1000000000ULL;

	cr_expect_eq(EXPECT_OK("--learn", "0").learn_ns, 0);
	cr_expect_eq(EXPECT_OK("--learn", "0s").learn_ns, 0);
	cr_expect_eq(EXPECT_OK("--learn", "0.0h").learn_ns, 0);
	cr_expect_eq(EXPECT_OK("--learn", "90").learn_ns, 90 * s);
	cr_expect_eq(EXPECT_OK("--learn", "90s").learn_ns, 90 * s);
	cr_expect_eq(EXPECT_OK("--learn=15m").learn_ns, 900 * s);
	cr_expect_eq(EXPECT_OK("--learn", "24h").learn_ns, 86400 * s);
	cr_expect_eq(EXPECT_OK("--learn", "7d").learn_ns, 7 * 86400 * s);
	cr_expect_eq(EXPECT_OK("--learn", "365d").learn_ns, 365 * 86400 * s);
	cr_expect_eq(EXPECT_OK("--learn", "31536000").learn_ns, 365 * 86400 * s);
	cr_expect_eq(EXPECT_OK("--learn", "1.5h").learn_ns, 5400 * s);
	cr_expect_eq(EXPECT_OK("--learn", ".5m").learn_ns, 30 * s);
	cr_expect_eq(EXPECT_OK("--learn", "0.25").learn_ns, 250000000ULL);
	cr_expect_eq(EXPECT_OK("--learn", "0.000000001s").learn_ns, 1);
	cr_expect_eq(EXPECT_OK("--learn", "2.").learn_ns, 2 * s);
	cr_expect_eq(EXPECT_OK("--learn", "010s").learn_ns, 10 * s);
}

Test(config, learn_errors)
{
	EXPECT_ALL_BAD("--learn",
		       "--learn: must be a duration from 0 to 365d, such as 3600, 90s, 15m, 24h or 7d (got '%s')",
		       "366d", "365.5d", "31536001", "8761h", "-1", "", "1w", "1H", "10ms", "1.5.3",
		       "s", "h", ".", " 1h", "1h ", "1e3", "99999999999999999999d",
		       "99999999999999999999999", "1 h", "+1h", "1hh", "1d2h", "0x10");
	EXPECT_ERR("--learn: missing value", "--learn");
}

Test(config, state_dir_values_and_errors)
{
	char long_path[300];

	cr_expect_str_eq(EXPECT_OK("--state-dir", "/srv/zt").state_dir, "/srv/zt");
	cr_expect_str_eq(EXPECT_OK("--state-dir=/").state_dir, "/");
	snprintf(long_path, sizeof(long_path), "/%s", repeat('d', 254));
	cr_expect_str_eq(EXPECT_OK("--state-dir", long_path).state_dir, long_path);
	snprintf(long_path, sizeof(long_path), "/%s", repeat('d', 255));
	EXPECT_ALL_BAD("--state-dir",
		       "--state-dir: must be an absolute path shorter than 256 characters (got '%s')",
		       "", "var/lib/zerotrace", "~/zt", long_path);
	EXPECT_ERR("--state-dir: missing value", "--state-dir");
}

Test(config, alerts_output_values_and_errors)
{
	cr_expect_str_eq(EXPECT_OK("--alerts-output", "-").alerts_output, "-");
	cr_expect_str_eq(EXPECT_OK("--alerts-output", "/var/log/zt.jsonl").alerts_output,
			 "/var/log/zt.jsonl");
	cr_expect_str_eq(EXPECT_OK("--alerts-output=alerts.jsonl").alerts_output, "alerts.jsonl");
	EXPECT_ALL_BAD("--alerts-output",
		       "--alerts-output: must be - (stdout) or a file path of 1 to 255 characters (got '%s')",
		       "", repeat('f', 256));
	/* a value that starts with "--" is a missing value */
	EXPECT_ERR("--alerts-output: missing value", "--alerts-output", "--verbose");
	EXPECT_ERR("--alerts-output: missing value", "--alerts-output");
}

Test(config, alert_window_values_and_errors)
{
	cr_expect_eq(EXPECT_OK("--alert-window", "60").alert_window, 60.0);
	cr_expect_eq(EXPECT_OK("--alert-window", "0.5").alert_window, 0.5);
	cr_expect_eq(EXPECT_OK("--alert-window=86400").alert_window, 86400.0);
	EXPECT_ALL_BAD("--alert-window",
		       "--alert-window: must be a number of seconds greater than 0 and at most 86400 (got '%s')",
		       "0", "0.0", "86400.1", "-1", "", "1m", "1e2", "inf");
	EXPECT_ERR("--alert-window: missing value", "--alert-window");
}

Test(config, alert_rate_values_and_errors)
{
	cr_expect_eq(EXPECT_OK("--alert-rate", "1").alert_rate, 1);
	cr_expect_eq(EXPECT_OK("--alert-rate=100000").alert_rate, 100000);
	EXPECT_ALL_BAD("--alert-rate",
		       "--alert-rate: must be an integer between 1 and 100000 (got '%s')", "0",
		       "100001", "", "-1", "10/s", "1.5");
	EXPECT_ERR("--alert-rate: missing value", "--alert-rate");
}

Test(config, disable_rule_values)
{
	struct zt_config c = EXPECT_OK("--disable-rule", "new_edge");

	cr_expect_eq(c.disabled_rules, 1u << ALERT_NEW_EDGE);
	c = EXPECT_OK("--disable-rule", "sql_tautology", "--disable-rule=latency_spike",
		      "--disable-rule", "sql_tautology");
	cr_expect_eq(c.disabled_rules, (1u << ALERT_SQL_TAUTOLOGY) | (1u << ALERT_LATENCY_SPIKE));
	/* every id of the table is accepted */
	for (uint32_t r = 0; r < ALERT_RULE_COUNT; r++) {
		struct parsed p = PARSE("--disable-rule", (char *)alert_rules[r].name);

		cr_expect_eq(p.rc, CONFIG_OK);
		cr_expect_eq(p.cfg.disabled_rules, 1u << r);
	}
}

Test(config, disable_rule_errors)
{
	EXPECT_ALL_BAD("--disable-rule",
		       "--disable-rule: must be a rule id, one of: new_edge, new_listener, new_operation, "
		       "call_spike, error_spike, latency_spike, policy_deny, http_path_traversal, "
		       "redis_dangerous_command, sql_command_exec, sql_stacked_query, sql_tautology, "
		       "audit_write_failed (got '%s')",
		       "", "NEW_EDGE", "new-edge", "new_edge,call_spike", "all");
	EXPECT_ERR("--disable-rule: missing value", "--disable-rule");
}

Test(config, policy_values_and_errors)
{
	cr_expect_str_eq(EXPECT_OK("--policy", "/etc/zerotrace/policy.yaml").policy_file,
			 "/etc/zerotrace/policy.yaml");
	cr_expect_str_eq(EXPECT_OK("--policy=policy.yaml").policy_file, "policy.yaml");
	EXPECT_ALL_BAD("--policy", "--policy: must be a file path of 1 to 255 characters (got '%s')",
		       "", repeat('p', 256));
	EXPECT_ERR("--policy: missing value", "--policy");
}

Test(config, syslog_addr_values)
{
	static const char *const good[] = {
		"unix:/dev/log", "unix:/run/systemd/journal/syslog", "udp:127.0.0.1:514",
		"tcp:[::1]:6514", "udp:[fe80::1]:514", "udp:syslog.example.com:514",
		"tcp:log_server:601", "tcp:LOGS-1:1", "udp:a:65535",
		"udp:1a:514", "udp:1.a:514", "unix:@zerotrace", "unix:@a",
	};
	char path[120];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_str_eq(EXPECT_OK("--syslog-addr", (char *)good[i]).syslog_addr, good[i]);
	snprintf(path, sizeof(path), "unix:/%s", repeat('s', 106)); /* 107: sun_path's room */
	cr_expect_str_eq(EXPECT_OK("--syslog-addr", path).syslog_addr, path);
}

Test(config, syslog_addr_errors)
{
	char path[120], host[300];

	snprintf(path, sizeof(path), "unix:/%s", repeat('s', 107));
	snprintf(host, sizeof(host), "udp:%s:514", repeat('h', 64));
	EXPECT_ALL_BAD("--syslog-addr",
		       "--syslog-addr: must be unix:/PATH, unix:@NAME, udp:HOST:PORT or tcp:HOST:PORT (HOST a name, "
		       "an IPv4 address or [IPv6], port 1..65535, PATH up to 107 characters) (got '%s')",
		       "", "unix:", "unix:dev/log", "udp:host", "udp::514", "udp:host:0",
		       "udp:host:65536", "tcp:::1:514", "tcp:[::1]514", "tcp:[::1]:", "udp:[nothex]:514",
		       "udp:[]:514", "http://x:514", "UDP:h:1", "udp:-bad:514", "udp:bad-:514",
		       "udp:1.2.3.999:514", "udp:a.1:514", "udp:a..b:514", "udp:.a:514", "udp:a.:514", "udp:a b:514",
		       "udp:h:514x", "udp:h:514:1", "syslog:514", "tcp:10.0.0.1", "unix:@",
		       "unix:relative/log", "udp:10.0.0.1:00514", "tcp:[fe80::1%eth0]:514", path, host);
	EXPECT_ERR("--syslog-addr: missing value", "--syslog-addr");
}

Test(config, audit_dir_values_and_errors)
{
	cr_expect_str_eq(EXPECT_OK("--audit-dir", "/var/lib/zerotrace/audit").audit_dir,
			 "/var/lib/zerotrace/audit");
	EXPECT_ALL_BAD("--audit-dir",
		       "--audit-dir: must be an absolute path shorter than 256 characters (got '%s')",
		       "", "audit", "-");
	EXPECT_ERR("--audit-dir: missing value", "--audit-dir");
}

Test(config, audit_max_size_values)
{
	cr_expect_eq(EXPECT_OK("--audit-max-size", "4K").audit_max_size, 4096);
	cr_expect_eq(EXPECT_OK("--audit-max-size", "4096").audit_max_size, 4096);
	cr_expect_eq(EXPECT_OK("--audit-max-size", "5000").audit_max_size, 5000);
	cr_expect_eq(EXPECT_OK("--audit-max-size", "64m").audit_max_size, 67108864);
	cr_expect_eq(EXPECT_OK("--audit-max-size=1G").audit_max_size, 1073741824);
	cr_expect_eq(EXPECT_OK("--audit-max-size", "1048576K").audit_max_size, 1073741824);
	cr_expect_eq(EXPECT_OK("--audit-max-size", "3M").audit_max_size, 3145728);
}

Test(config, audit_max_size_errors)
{
	EXPECT_ALL_BAD("--audit-max-size",
		       "--audit-max-size: must be a size from 4K to 1G (K/M/G suffixes) (got '%s')",
		       "4095", "3K", "0", "1025M", "2G", "1073741825", "", "64MB", "1T", "-1", "K",
		       "1.5M", "99999999999999999999G", "18014398509481984K");
	EXPECT_ERR("--audit-max-size: missing value", "--audit-max-size");
}

Test(config, audit_max_age_values)
{
	const uint64_t s = 1000000000ULL;

	cr_expect_eq(EXPECT_OK("--audit-max-age", "1").audit_max_age_ns, s);
	cr_expect_eq(EXPECT_OK("--audit-max-age", "1s").audit_max_age_ns, s);
	cr_expect_eq(EXPECT_OK("--audit-max-age", "1.5h").audit_max_age_ns, 5400 * s);
	cr_expect_eq(EXPECT_OK("--audit-max-age", "0.5m").audit_max_age_ns, 30 * s);
	cr_expect_eq(EXPECT_OK("--audit-max-age=720h").audit_max_age_ns, 720 * 3600 * s);
	cr_expect_eq(EXPECT_OK("--audit-max-age", "30d").audit_max_age_ns, 30 * 86400 * s);
}

Test(config, audit_max_age_errors)
{
	EXPECT_ALL_BAD("--audit-max-age",
		       "--audit-max-age: must be a duration from 1s to 30d, such as 3600, 90s, 15m, 24h or 7d (got '%s')",
		       "0", "0s", "0.5", "0.999999999s", "30.1d", "31d", "721h", "", "1w", "-1h",
		       "h");
	EXPECT_ERR("--audit-max-age: missing value", "--audit-max-age");
}

Test(config, audit_keep_values_and_errors)
{
	cr_expect_eq(EXPECT_OK("--audit-keep", "1").audit_keep, 1);
	cr_expect_eq(EXPECT_OK("--audit-keep=100000").audit_keep, 100000);
	EXPECT_ALL_BAD("--audit-keep",
		       "--audit-keep: must be an integer between 1 and 100000 (got '%s')", "0",
		       "100001", "", "-1", "1k");
	EXPECT_ERR("--audit-keep: missing value", "--audit-keep");
}

Test(config, usage_lists_every_rule)
{
	char *text = usage_text("zt");
	char line[200];

	for (uint32_t r = 0; r < ALERT_RULE_COUNT; r++) {
		snprintf(line, sizeof(line), "  %-24s %-8s %s\n", alert_rules[r].name,
			 alert_severity_name(alert_rules[r].severity), alert_rules[r].summary);
		cr_expect_not_null(strstr(text, line), "missing: %s", line);
	}
	free(text);
}

Test(config, sources_of_command_line_values)
{
	struct zt_config c = EXPECT_OK("--learn", "1h", "--port", "80", "-v");

	cr_expect_eq(config_source(&c, "learn"), CONFIG_SOURCE_CMDLINE);
	cr_expect_eq(config_source(&c, "port"), CONFIG_SOURCE_CMDLINE);
	cr_expect_eq(config_source(&c, "verbose"), CONFIG_SOURCE_CMDLINE);
	cr_expect_eq(config_source(&c, "pid"), CONFIG_SOURCE_DEFAULT);
	cr_expect_eq(config_source(&c, "no-such-option"), CONFIG_SOURCE_DEFAULT);
}

/* ---- the --config file ---------------------------------------------------- */

struct applied {
	struct zt_config cfg;
	enum config_result rc;
	char err[ERR_LEN];
};

static struct applied apply_text(const char *text)
{
	struct applied a;

	config_defaults(&a.cfg);
	memset(a.err, 0xa5, sizeof(a.err));
	a.rc = config_file_apply(&a.cfg, text, strlen(text), "zt.yaml", a.err, sizeof(a.err));
	return a;
}

#define FILE_ERR(want, text)                                                     \
	do {                                                                     \
		struct applied a_ = apply_text(text);                            \
		struct zt_config d_;                                             \
		cr_expect_eq(a_.rc, CONFIG_ERROR, "expected an error: %s", want); \
		cr_expect_str_eq(a_.err, want);                                  \
		config_defaults(&d_);                                            \
		/* cfg is untouched on an error */                               \
		cr_expect_eq(memcmp(&a_.cfg, &d_, sizeof(d_)), 0);               \
	} while (0)

#define FILE_OK(text)                                                            \
	({                                                                       \
		struct applied a_ = apply_text(text);                            \
		cr_expect_eq(a_.rc, CONFIG_OK, "unexpected error: %s", a_.err);  \
		cr_expect_str_eq(a_.err, "");                                    \
		a_.cfg;                                                          \
	})

/* The sampling options from the file, and the source that makes the
 * sampler write its threshold (user/tracer.c reads it). */
Test(config_file, sampling_options)
{
	struct zt_config c = FILE_OK("sample-ratio: 0.1\nsample-ignore-parent: true\n"
				     "sample-keep-errors: false\nsample-keep-slow: 1.5\n");

	cr_expect_eq(c.sample_ratio, 0.1);
	cr_expect_eq(c.sample_ignore_parent, 1);
	cr_expect_eq(c.sample_keep_errors, 0);
	cr_expect_eq(c.sample_keep_slow_ns, 1500000000ULL);
	cr_expect_eq(config_source(&c, "sample-ratio"), CONFIG_SOURCE_FILE);
	c = FILE_OK("output: none\n");
	cr_expect_eq(config_source(&c, "sample-ratio"), CONFIG_SOURCE_DEFAULT);
	FILE_ERR("zt.yaml:1:15: sample-ratio: must be a decimal number greater than 0 and at "
		 "most 1, such as 0.25 (got '0')",
		 "sample-ratio: 0\n");
}

Test(config_file, every_kind_of_value)
{
	struct zt_config c = FILE_OK(
		"# zerotrace options\n"
		"otlp-endpoint: http://collector:4318\n"
		"output: none\n"
		"port: [80, 8080]\n"
		"pid: 42\n"
		"verbose: true\n"
		"inject-traceparent: false\n"
		"logs: true\n"
		"learn: 10s\n"
		"alert-window: 1.5\n"
		"disable-rule:\n"
		"  - new_edge\n"
		"  - \"sql_tautology\"\n"
		"metrics-addr: '[::1]:9464'\n"
		"audit-max-size: 4K\n"
		"comm: 'a b'\n");

	cr_expect_str_eq(c.otlp_endpoint, "http://collector:4318");
	cr_expect_eq(c.output, ZT_OUTPUT_NONE);
	cr_expect_eq(c.n_ports, 2);
	cr_expect_eq(c.ports[0], 80);
	cr_expect_eq(c.ports[1], 8080);
	cr_expect_eq(c.n_pids, 1);
	cr_expect_eq(c.pids[0], 42);
	cr_expect_eq(c.verbose, 1);
	cr_expect_eq(c.inject_traceparent, 0);
	cr_expect_eq(c.logs, 1);
	cr_expect_eq(c.learn_ns, 10000000000ULL);
	cr_expect_eq(c.alert_window, 1.5);
	cr_expect_eq(c.disabled_rules, (1u << ALERT_NEW_EDGE) | (1u << ALERT_SQL_TAUTOLOGY));
	cr_expect_str_eq(c.metrics_addr, "[::1]:9464");
	cr_expect_eq(c.audit_max_size, 4096);
	cr_expect_str_eq(c.comm, "a b");
	cr_expect_eq(config_source(&c, "learn"), CONFIG_SOURCE_FILE);
	cr_expect_eq(config_source(&c, "inject-traceparent"), CONFIG_SOURCE_FILE);
	cr_expect_eq(config_source(&c, "state-dir"), CONFIG_SOURCE_DEFAULT);
	cr_expect_eq(c.set_by_cmdline, 0);
	/* what the file leaves out keeps its value */
	cr_expect_eq(c.capture_bytes, 512);
	cr_expect_str_eq(c.state_dir, "/var/lib/zerotrace");
}

Test(config_file, lists_scalars_and_empty_lists)
{
	struct zt_config c = FILE_OK("port: 443\n");

	cr_expect_eq(c.n_ports, 1);
	cr_expect_eq(c.ports[0], 443);
	c = FILE_OK("port: []\npid: []\ndisable-rule: []\n");
	cr_expect_eq(c.n_ports, 0);
	cr_expect_eq(c.n_pids, 0);
	cr_expect_eq(c.disabled_rules, 0);
	c = FILE_OK("port: [\"1\", 2, '3']\n");
	cr_expect_eq(c.n_ports, 3);
	cr_expect_eq(c.ports[2], 3);
	cr_expect_eq(config_source(&c, "port"), CONFIG_SOURCE_FILE);
}

Test(config_file, a_list_replaces_the_one_in_cfg)
{
	struct zt_config c;
	char err[ERR_LEN];

	config_defaults(&c);
	c.ports[0] = 1;
	c.n_ports = 1;
	c.disabled_rules = 1u << ALERT_CALL_SPIKE;
	static const char text[] = "port: [2, 3]\ndisable-rule: new_edge\n";

	cr_assert_eq(config_file_apply(&c, text, strlen(text), "f", err, sizeof(err)),
		     CONFIG_OK, "%s", err);
	cr_expect_eq(c.n_ports, 2);
	cr_expect_eq(c.ports[0], 2);
	cr_expect_eq(c.disabled_rules, 1u << ALERT_NEW_EDGE);
}

Test(config_file, empty_files)
{
	struct zt_config d, c;

	config_defaults(&d);
	c = FILE_OK("");
	cr_expect_eq(memcmp(&c, &d, sizeof(d)), 0);
	c = FILE_OK("# nothing here\n\n");
	cr_expect_eq(memcmp(&c, &d, sizeof(d)), 0);
	c = FILE_OK("---\n");
	cr_expect_eq(memcmp(&c, &d, sizeof(d)), 0);
	c = FILE_OK("---\n...\n");
	cr_expect_eq(memcmp(&c, &d, sizeof(d)), 0);
	c = FILE_OK("{}\n");
	cr_expect_eq(memcmp(&c, &d, sizeof(d)), 0);
}

Test(config_file, bad_values_name_the_place)
{
	FILE_ERR("zt.yaml:3:8: learn: must be a duration from 0 to 365d, such as 3600, 90s, 15m, 24h or 7d (got 'x')",
		 "verbose: true\n# a comment\nlearn: x\n");
	FILE_ERR("zt.yaml:1:16: capture-bytes: must be an integer between 1 and 4096 (got '0')",
		 "capture-bytes: 0\n");
	FILE_ERR("zt.yaml:3:5: port: must be an integer between 1 and 65535 (got '70000')",
		 "port:\n  - 80\n  - 70000\n");
	FILE_ERR("zt.yaml:1:15: metrics-addr: must be IPV4:PORT, [IPV6]:PORT, :PORT (every interface) or off, "
		 "with a port from 1 to 65535; host names are not resolved (got '0.0.0.0:99999')",
		 "metrics-addr: 0.0.0.0:99999\n");
	FILE_ERR("zt.yaml:1:10: verbose: must be true or false (got 'yes')", "verbose: yes\n");
	FILE_ERR("zt.yaml:1:10: verbose: must be true or false (got '1')", "verbose: 1\n");
	FILE_ERR("zt.yaml:1:15: disable-rule: must be a rule id, one of: new_edge, new_listener, "
		 "new_operation, call_spike, error_spike, latency_spike, policy_deny, "
		 "http_path_traversal, redis_dangerous_command, sql_command_exec, sql_stacked_query, "
		 "sql_tautology, audit_write_failed (got 'nope')",
		 "disable-rule: nope\n");
	FILE_ERR("zt.yaml:1:7: comm: must not hold a NUL character", "comm: \"a\\0b\"\n");
	FILE_ERR("zt.yaml:1:15: otlp-headers: header 1: missing '=' (got 'novalue')",
		 "otlp-headers: novalue\n");
	FILE_ERR("zt.yaml:1:7: comm: must be 1 to 15 characters (got '')", "comm: ''\n");
}

Test(config_file, missing_values)
{
	FILE_ERR("zt.yaml:1:7: learn: missing value", "learn:\n");
	FILE_ERR("zt.yaml:1:8: learn: missing value", "learn: ~\n");
	FILE_ERR("zt.yaml:1:8: learn: missing value", "learn: null\n");
	FILE_ERR("zt.yaml:1:8: port: missing value", "port: [~]\n");
	/* a quoted "null" is a string like any other */
	FILE_ERR("zt.yaml:1:8: learn: must be a duration from 0 to 365d, such as 3600, 90s, 15m, 24h or 7d (got 'null')",
		 "learn: 'null'\n");
}

Test(config_file, wrong_types)
{
	FILE_ERR("zt.yaml:1:8: learn: must be a value, not a mapping", "learn: {a: 1}\n");
	FILE_ERR("zt.yaml:2:3: learn: must be a value, not a mapping", "learn:\n  a: 1\n");
	FILE_ERR("zt.yaml:1:8: learn: takes one value, not a list", "learn: [1s]\n");
	FILE_ERR("zt.yaml:1:10: verbose: takes one value, not a list", "verbose: [true]\n");
	FILE_ERR("zt.yaml:1:8: port: a list of values, not of lists", "port: [[80]]\n");
	FILE_ERR("zt.yaml:1:8: port: a list of values, not of mappings", "port: [{a: 1}]\n");
	FILE_ERR("zt.yaml:1:1: an option name must be a plain name, not a list", "[a]: 1\n");
	FILE_ERR("zt.yaml:1:3: an option name must be a plain name, not a mapping", "? {a: 1}\n: 2\n");
	FILE_ERR("zt.yaml:1:1: a config file must be a mapping of option names to values, not a list",
		 "- learn: 1s\n");
	FILE_ERR("zt.yaml:1:1: a config file must be a mapping of option names to values, not a value",
		 "learn\n");
}

Test(config_file, unknown_repeated_and_command_line_only)
{
	FILE_ERR("zt.yaml:2:1: bogus: unknown option (see --help)", "learn: 1s\nbogus: 1\n");
	FILE_ERR("zt.yaml:1:1: --learn: unknown option (see --help)", "--learn: 1s\n");
	FILE_ERR("zt.yaml:1:1: Learn: unknown option (see --help)", "Learn: 1s\n");
	FILE_ERR("zt.yaml:1:1: v: unknown option (see --help)", "v: true\n");
	FILE_ERR("zt.yaml:2:1: port: given twice", "port: 80\nport: 81\n");
	FILE_ERR("zt.yaml:1:1: config: can be given on the command line only", "config: a.yaml\n");
	FILE_ERR("zt.yaml:1:1: help: can be given on the command line only", "help: true\n");
	FILE_ERR("zt.yaml:1:1: version: can be given on the command line only", "version: true\n");
}

Test(config_file, list_limits)
{
	char text[1024] = "port: [";
	char want[ERR_LEN];
	size_t n = strlen(text);

	for (int i = 1; i <= ZT_MAX_PORT_FILTERS + 1; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%d", i > 1 ? ", " : "", 1000 + i);
	snprintf(text + n, sizeof(text) - n, "]\n");
	/* "port: [" is 7, then 64 items of 4 digits and ", " */
	snprintf(want, sizeof(want), "zt.yaml:1:%d: port: at most 64 may be given", 8 + 64 * 6);
	FILE_ERR(want, text);
}

Test(config_file, yaml_syntax_errors)
{
	FILE_ERR("zt.yaml:2:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence)",
		 "port: [80\n");
	/* in a flow list a line break is a space: the next line is part of the value */
	FILE_ERR("zt.yaml:1:8: port: must be an integer between 1 and 65535 (got '80 learn')",
		 "port: [80\nlearn: 1s\n");
	FILE_ERR("zt.yaml:2:9: invalid YAML: mapping values are not allowed in this context",
		 "learn: 1s\nport: 80: 81\n");
	FILE_ERR("zt.yaml:2:1: invalid YAML: did not find expected <document start>",
		 "  learn: 1s\nport: 80\n");
	FILE_ERR("zt.yaml:2:1: invalid YAML: did not find expected key (while parsing a block mapping)",
		 "learn: 1s\n- 80\n");
	FILE_ERR("zt.yaml:2:1: invalid YAML: found unexpected end of stream (while scanning a quoted scalar)",
		 "learn: \"1s\n");
	FILE_ERR("zt.yaml:1:8: invalid YAML: invalid leading UTF-8 octet", "learn: \xff\n");
	FILE_ERR("zt.yaml:1:9: invalid YAML: control characters are not allowed", "learn: 1\x01s\n");
	FILE_ERR("zt.yaml:2:1: only one document is read: remove the second '---'",
		 "learn: 1s\n---\nlearn: 2s\n");
	FILE_ERR("zt.yaml:2:16: aliases (*x) are not supported: write the value out",
		 "learn: &x 1s\naudit-max-age: *x\n");
}

Test(config_file, embedded_nul_and_size_limits)
{
	static const char text[] = "learn: 1s\0port: 80\n";
	struct zt_config c;
	char err[ERR_LEN];
	char *big;

	config_defaults(&c);
	cr_expect_eq(config_file_apply(&c, text, sizeof(text) - 1, "f.yaml", err, sizeof(err)),
		     CONFIG_ERROR);
	cr_expect_str_eq(err, "f.yaml:1:10: invalid YAML: control characters are not allowed");

	big = malloc((1u << 20) + 1);
	cr_assert_not_null(big);
	memset(big, '#', (1u << 20) + 1);
	cr_expect_eq(config_file_apply(&c, big, (1u << 20) + 1, "f.yaml", err, sizeof(err)),
		     CONFIG_ERROR);
	cr_expect_str_eq(err, "f.yaml: larger than 1048576 bytes");
	cr_expect_eq(config_file_apply(&c, big, 1u << 20, "f.yaml", err, sizeof(err)), CONFIG_OK);
	free(big);
	/* no file name, no error buffer */
	cr_expect_eq(config_file_apply(&c, "bogus: 1", 8, NULL, err, sizeof(err)), CONFIG_ERROR);
	cr_expect_str_eq(err, "(input):1:1: bogus: unknown option (see --help)");
	cr_expect_eq(config_file_apply(&c, "bogus: 1", 8, "f", NULL, 0), CONFIG_ERROR);
	cr_expect_eq(config_file_apply(&c, "bogus: 1", 8, "f", err, 12), CONFIG_ERROR);
	cr_expect_str_eq(err, "f:1:1: bogu");
}

/* A temporary file holding text; its path in path (free with unlink). */
static void temp_file(char path[64], const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, 64, "/tmp/zt_config_test_XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(config_file, command_line_wins_over_the_file)
{
	char path[64], cfgarg[80];
	struct zt_config c;

	temp_file(path, "learn: 10s\nport: [80, 81]\nalert-rate: 5\ncomm: nginx\nverbose: true\n");
	snprintf(cfgarg, sizeof(cfgarg), "--config=%s", path);
	c = EXPECT_OK("--port", "443", cfgarg, "--comm", "redis-server");
	cr_expect_str_eq(c.config_file, path);
	cr_expect_eq(c.learn_ns, 10000000000ULL);
	cr_expect_eq(c.alert_rate, 5);
	cr_expect_eq(c.verbose, 1);
	/* the command line's list replaces the file's */
	cr_expect_eq(c.n_ports, 1);
	cr_expect_eq(c.ports[0], 443);
	cr_expect_str_eq(c.comm, "redis-server");
	cr_expect_eq(config_source(&c, "port"), CONFIG_SOURCE_CMDLINE);
	cr_expect_eq(config_source(&c, "comm"), CONFIG_SOURCE_CMDLINE);
	cr_expect_eq(config_source(&c, "learn"), CONFIG_SOURCE_FILE);
	cr_expect_eq(config_source(&c, "config"), CONFIG_SOURCE_CMDLINE);
	cr_expect_eq(config_source(&c, "capture-bytes"), CONFIG_SOURCE_DEFAULT);
	/* the file alone */
	c = EXPECT_OK("--config", path);
	cr_expect_eq(c.n_ports, 2);
	cr_expect_str_eq(c.comm, "nginx");
	unlink(path);
}

Test(config_file, file_errors_through_config_parse)
{
	char path[64], want[ERR_LEN];

	temp_file(path, "learn: 10s\nport: 0\n");
	snprintf(want, sizeof(want),
		 "%s:2:7: port: must be an integer between 1 and 65535 (got '0')", path);
	/* checked even where the command line overrides it */
	EXPECT_ERR(want, "--config", path, "--port", "80");
	/* the command line is parsed first: its error comes first */
	EXPECT_ERR("--learn: must be a duration from 0 to 365d, such as 3600, 90s, 15m, 24h or 7d (got 'x')",
		   "--config", path, "--learn", "x");
	{
		struct parsed p = PARSE("--config", path, "--help");

		cr_expect_eq(p.rc, CONFIG_HELP);
		expect_defaults(&p.cfg);
	}
	unlink(path);
	EXPECT_ERR("--config: cannot read '/nonexistent/zt.yaml': No such file or directory",
		   "--config", "/nonexistent/zt.yaml");
	EXPECT_ERR("--config: cannot read '/tmp': Is a directory", "--config", "/tmp");
	EXPECT_ERR("--config: may be given once", "--config", "/a.yaml", "--config", "/b.yaml");
	EXPECT_ALL_BAD("--config", "--config: must be a file path of 1 to 255 characters (got '%s')",
		       "", repeat('c', 256));
	EXPECT_ERR("--config: missing value", "--config");
}

static const char *env_table[16][2];

static const char *fake_getenv(const char *name)
{
	for (int i = 0; i < 16 && env_table[i][0]; i++)
		if (strcmp(env_table[i][0], name) == 0)
			return env_table[i][1];
	return NULL;
}

Test(config_file, otlp_environment_wins_over_the_file_only)
{
	char path[64];
	struct zt_config c;

	temp_file(path, "otlp-endpoint: http://from-file:4318\n"
			"otlp-protocol: http/json\n"
			"otlp-headers: a=b\n"
			"otlp-compression: gzip\n"
			"otlp-timeout: 5000\n");
	c = EXPECT_OK("--config", path, "--otlp-timeout", "7000");
	memset(env_table, 0, sizeof(env_table));
	env_table[0][0] = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
	env_table[0][1] = "http://from-env:4318/v1/traces";
	env_table[1][0] = "OTEL_EXPORTER_OTLP_COMPRESSION";
	env_table[1][1] = "none";
	env_table[2][0] = "OTEL_EXPORTER_OTLP_TIMEOUT";
	env_table[2][1] = "1000";
	env_table[3][0] = "OTEL_EXPORTER_OTLP_PROTOCOL";
	env_table[3][1] = ""; /* empty: unset */
	config_yield_to_env(&c, fake_getenv);
	cr_expect_str_eq(c.otlp_endpoint, "");         /* the variable decides */
	cr_expect_str_eq(c.otlp_compression, "");      /* the general variable too */
	cr_expect_eq(c.otlp_timeout_ms, 7000);         /* the command line wins */
	cr_expect_str_eq(c.otlp_protocol, "http/json"); /* no variable: the file */
	cr_expect_str_eq(c.otlp_headers, "a=b");
	cr_expect_eq(config_source(&c, "otlp-endpoint"), CONFIG_SOURCE_DEFAULT);
	cr_expect_eq(config_source(&c, "otlp-protocol"), CONFIG_SOURCE_FILE);
	cr_expect_eq(config_source(&c, "otlp-timeout"), CONFIG_SOURCE_CMDLINE);

	/* no environment: the file's values stand */
	c = EXPECT_OK("--config", path);
	memset(env_table, 0, sizeof(env_table));
	config_yield_to_env(&c, fake_getenv);
	cr_expect_str_eq(c.otlp_endpoint, "http://from-file:4318");
	cr_expect_str_eq(c.otlp_compression, "gzip");
	cr_expect_eq(c.otlp_timeout_ms, 5000);

	/* the headers variable clears the file's headers, not others' */
	env_table[0][0] = "OTEL_EXPORTER_OTLP_TRACES_HEADERS";
	env_table[0][1] = "x=y";
	config_yield_to_env(&c, fake_getenv);
	cr_expect_str_eq(c.otlp_headers, "");
	cr_expect_str_eq(c.otlp_endpoint, "http://from-file:4318");
	unlink(path);

	/* the Zipkin endpoint's variable (it has no general one) likewise */
	temp_file(path, "zipkin-endpoint: http://from-file:9411/api/v2/spans\n"
			"zipkin-compression: gzip\n");
	c = EXPECT_OK("--config", path);
	memset(env_table, 0, sizeof(env_table));
	config_yield_to_env(&c, fake_getenv);
	cr_expect_str_eq(c.zipkin_endpoint, "http://from-file:9411/api/v2/spans");
	env_table[0][0] = "OTEL_EXPORTER_ZIPKIN_ENDPOINT";
	env_table[0][1] = "http://from-env:9411/api/v2/spans";
	config_yield_to_env(&c, fake_getenv);
	cr_expect_str_eq(c.zipkin_endpoint, "");
	cr_expect_str_eq(c.zipkin_compression, "gzip");
	unlink(path);
	memset(env_table, 0, sizeof(env_table));

	/* a command-line value is never cleared */
	c = EXPECT_OK("--otlp-endpoint", "http://flag:4318");
	env_table[1][0] = "OTEL_EXPORTER_OTLP_ENDPOINT";
	env_table[1][1] = "http://env:4318";
	config_yield_to_env(&c, fake_getenv);
	cr_expect_str_eq(c.otlp_endpoint, "http://flag:4318");
}

Test(config_file, option_api_for_the_reader)
{
	const struct config_option *o = config_option_find("port", 4);
	struct zt_config c;
	char why[ERR_LEN];

	cr_assert_not_null(o);
	cr_expect_eq(config_option_flags(o), CONFIG_OPT_LIST);
	cr_expect_eq(config_option_flags(config_option_find("verbose", 7)), CONFIG_OPT_SWITCH);
	cr_expect_eq(config_option_flags(config_option_find("help", 4)),
		     CONFIG_OPT_SWITCH | CONFIG_OPT_CMDLINE_ONLY);
	cr_expect_eq(config_option_flags(config_option_find("config", 6)), CONFIG_OPT_CMDLINE_ONLY);
	cr_expect_eq(config_option_flags(config_option_find("learn", 5)), 0);
	cr_expect_null(config_option_find("por", 3));
	cr_expect_null(config_option_find("portx", 5));
	config_defaults(&c);
	cr_expect_eq(config_option_set(&c, o, "80", 1, why, sizeof(why)), CONFIG_OK);
	cr_expect_eq(config_option_set(&c, o, "81", 0, why, sizeof(why)), CONFIG_OK);
	cr_expect_eq(c.n_ports, 2);
	cr_expect_eq(config_option_set(&c, o, "82", 1, why, sizeof(why)), CONFIG_OK);
	cr_expect_eq(c.n_ports, 1);
	cr_expect_eq(config_option_set(&c, o, "0", 0, why, sizeof(why)), CONFIG_ERROR);
	cr_expect_str_eq(why, "must be an integer between 1 and 65535 (got '0')");
	config_option_clear(&c, o);
	cr_expect_eq(c.n_ports, 0);
	cr_expect_eq(config_option_set(&c, config_option_find("help", 4), "true", 1, why,
				       sizeof(why)),
		     CONFIG_ERROR);
	cr_expect_str_eq(why, "can be given on the command line only");
	cr_expect_neq(config_option_bit(o), 0);
	cr_expect_neq(config_option_bit(o), config_option_bit(config_option_find("pid", 3)));
}

/* OTEL_SEMCONV_STABILITY_OPT_IN as OTel's instrumentations read it: a
 * comma-separated list, entries trimmed, matched whole. */
Test(config, semconv_opt_in)
{
	cr_expect_eq(config_semconv_opt_in(NULL, "rpc/dup"), 0);
	cr_expect_eq(config_semconv_opt_in("", "rpc/dup"), 0);
	cr_expect_eq(config_semconv_opt_in("rpc/dup", "rpc/dup"), 1);
	cr_expect_eq(config_semconv_opt_in("http, rpc/dup ,database", "rpc/dup"), 1);
	cr_expect_eq(config_semconv_opt_in("http/dup,database/dup", "rpc/dup"), 0);
	cr_expect_eq(config_semconv_opt_in("rpc", "rpc/dup"), 0);
	cr_expect_eq(config_semconv_opt_in("rpc/dupx,xrpc/dup", "rpc/dup"), 0);
	cr_expect_eq(config_semconv_opt_in(",,rpc/dup,", "rpc/dup"), 1);
}
