// SPDX-License-Identifier: MIT
/*
 * Fuzzes config_file_apply, the --config reader (user/config_file.c over
 * config.c's option table).
 *
 * Input: byte 0 picks the error buffer size (bits 0-6, 0..127) and the
 * mode (bit 7): the rest is the YAML text as is, or a sequence of tokens
 * (option names, values, indents, brackets) that random bytes rarely
 * spell, one per byte. The text is malloc'd to its exact size, with no NUL
 * after it, so ASan sees any over-read.
 *
 * Checks: an error leaves the config byte for byte as it was and says why
 * (terminated, inside err_len, the bytes past it untouched, naming the
 * file); a success leaves err empty and every field inside the range its
 * option documents, with only file bits set; applying is deterministic,
 * and applying the same text again onto its result changes nothing (values
 * and lists replace, never append).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "config.h"
#include "config_file.h"
#include "events.h"
#include "fuzz_check.h"

#define CANARY 0x5a
#define NS 1000000000ULL

static const char *const tokens[] = {
	": ", "\n", "  ", "- ", "[", "]", "{", "}", ", ", "'", "\"", "~", "---", "# c", "&a ", "*a",
	"? ", "\\0", "output", "jsonl", "capture-bytes", "4096", "ringbuf-size", "64K", "pid",
	"port", "80", "0", "65536", "comm", "nginx", "stats-interval", "0.5", "max-conns",
	"idle-timeout", "verbose", "true", "false", "inject-traceparent", "cgroup", "/sys/fs",
	"reorder-window-ms", "otlp-endpoint", "http://c:4318", "otlp-protocol", "http/json",
	"otlp-headers", "a=b,c=d", "otlp-compression", "gzip", "otlp-timeout", "metrics-addr",
	"[::1]:9464", ":9464", "off", "protocols", "http1,redis", "learn", "10s", "1.5h", "365d",
	"state-dir", "/var/lib/zt", "alerts-output", "-", "alert-window", "alert-rate", "100000",
	"disable-rule", "new_edge", "sql_tautology", "policy", "p.yaml", "syslog-addr",
	"udp:[::1]:514", "unix:/dev/log", "tcp:h.example:601", "audit-dir", "audit-max-size",
	"1G", "audit-max-age", "30d", "audit-keep", "168", "config", "help", "x", "1",
};

#define N_TOKENS (sizeof(tokens) / sizeof(tokens[0]))

static size_t tokenize(const uint8_t *data, size_t size, char **out)
{
	size_t i, len = 0, n;

	for (i = 0; i < size; i++)
		len += strlen(tokens[data[i] % N_TOKENS]);
	*out = malloc(len ? len : 1);
	CHECK(*out);
	for (len = 0, i = 0; i < size; i++) {
		n = strlen(tokens[data[i] % N_TOKENS]);
		memcpy(*out + len, tokens[data[i] % N_TOKENS], n);
		len += n;
	}
	return len;
}

static void check_str(const char *s, size_t cap)
{
	CHECK(memchr(s, '\0', cap) != NULL);
}

/* Every field inside the range its option documents. */
static void check_ranges(const struct zt_config *c)
{
	CHECK(c->output <= ZT_OUTPUT_NONE);
	CHECK(c->capture_bytes >= 1 && c->capture_bytes <= ZT_CAPTURE_MAX);
	CHECK(c->ringbuf_size >= (64u << 10) && c->ringbuf_size <= (1u << 30));
	CHECK((c->ringbuf_size & (c->ringbuf_size - 1)) == 0);
	CHECK(c->n_pids <= ZT_MAX_PID_FILTERS && c->n_ports <= ZT_MAX_PORT_FILTERS);
	for (uint32_t i = 0; i < c->n_pids; i++)
		CHECK(c->pids[i] >= 1 && c->pids[i] <= 4194304);
	for (uint32_t i = 0; i < c->n_ports; i++)
		CHECK(c->ports[i] >= 1);
	check_str(c->comm, sizeof(c->comm));
	CHECK(c->stats_interval > 0 && c->stats_interval <= 86400);
	CHECK(c->idle_timeout > 0 && c->idle_timeout <= 86400);
	CHECK(c->alert_window > 0 && c->alert_window <= 86400);
	CHECK(c->max_conns >= 16 && c->max_conns <= 262144);
	CHECK(c->verbose == 0 || c->verbose == 1);
	CHECK(c->inject_traceparent == 0 || c->inject_traceparent == 1);
	check_str(c->cgroup, sizeof(c->cgroup));
	CHECK(!c->cgroup[0] || c->cgroup[0] == '/');
	CHECK(c->reorder_window_ms <= 10000);
	check_str(c->otlp_endpoint, sizeof(c->otlp_endpoint));
	CHECK(!c->otlp_endpoint[0] || !strncmp(c->otlp_endpoint, "http://", 7) ||
	      !strncmp(c->otlp_endpoint, "https://", 8));
	CHECK(!c->otlp_protocol[0] || !strcmp(c->otlp_protocol, "http/protobuf") ||
	      !strcmp(c->otlp_protocol, "http/json"));
	check_str(c->otlp_headers, sizeof(c->otlp_headers));
	CHECK(!c->otlp_compression[0] || !strcmp(c->otlp_compression, "gzip") ||
	      !strcmp(c->otlp_compression, "none"));
	CHECK(c->otlp_timeout_ms <= 600000);
	check_str(c->metrics_addr, sizeof(c->metrics_addr));
	CHECK(c->metrics_addr[0]);
	CHECK(c->protocols != 0);
	CHECK(c->learn_ns <= 365 * 86400 * NS);
	check_str(c->state_dir, sizeof(c->state_dir));
	CHECK(c->state_dir[0] == '/');
	check_str(c->alerts_output, sizeof(c->alerts_output));
	CHECK(c->alert_rate >= 1 && c->alert_rate <= 100000);
	CHECK((c->disabled_rules >> ALERT_RULE_COUNT) == 0);
	check_str(c->policy_file, sizeof(c->policy_file));
	check_str(c->syslog_addr, sizeof(c->syslog_addr));
	CHECK(!c->syslog_addr[0] || !strncmp(c->syslog_addr, "unix:/", 6) ||
	      !strncmp(c->syslog_addr, "udp:", 4) || !strncmp(c->syslog_addr, "tcp:", 4));
	check_str(c->audit_dir, sizeof(c->audit_dir));
	CHECK(!c->audit_dir[0] || c->audit_dir[0] == '/');
	CHECK(c->audit_max_size >= 4096 && c->audit_max_size <= (1u << 30));
	CHECK(c->audit_max_age_ns >= NS && c->audit_max_age_ns <= 30 * 86400 * NS);
	CHECK(c->audit_keep >= 1 && c->audit_keep <= 100000);
	/* the file cannot name another file */
	CHECK(c->config_file[0] == '\0');
	CHECK(c->set_by_cmdline == 0);
}

static void check_text(const char *text, size_t len, size_t err_len)
{
	struct zt_config *c = malloc(sizeof(*c)), *d = malloc(sizeof(*d)), *again = malloc(sizeof(*again));
	char err[160], err2[160];
	enum config_result rc;

	CHECK(c && d && again);
	config_defaults(c);
	config_defaults(d);
	memset(err, CANARY, sizeof(err));
	rc = config_file_apply(c, text, len, "f.yaml", err_len ? err : NULL, err_len);
	CHECK(rc == CONFIG_OK || rc == CONFIG_ERROR);
	for (size_t i = err_len; i < sizeof(err); i++)
		CHECK((unsigned char)err[i] == CANARY);
	if (err_len)
		CHECK(memchr(err, '\0', err_len) != NULL);

	config_defaults(again);
	CHECK(config_file_apply(again, text, len, "f.yaml", err2, sizeof(err2)) == rc);
	if (rc == CONFIG_ERROR) {
		CHECK(memcmp(c, d, sizeof(*c)) == 0);
		if (err_len > 1)
			CHECK(strncmp(err, "f.yaml", err_len - 1 < 6 ? err_len - 1 : 6) == 0);
		if (err_len == sizeof(err))
			CHECK(strcmp(err, err2) == 0);
		goto out;
	}
	if (err_len)
		CHECK(err[0] == '\0');
	CHECK(memcmp(c, again, sizeof(*c)) == 0);
	check_ranges(c);
	/* a second application changes nothing */
	CHECK(config_file_apply(again, text, len, "f.yaml", NULL, 0) == CONFIG_OK);
	CHECK(memcmp(c, again, sizeof(*c)) == 0);
out:
	free(again);
	free(d);
	free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t err_len, len;
	char *text;

	if (size < 1)
		return 0;
	err_len = data[0] & 0x7f;
	if (err_len >= 127)
		err_len = 160; /* the full buffer: messages compared */
	if (data[0] & 0x80) {
		len = tokenize(data + 1, size - 1, &text);
	} else {
		len = size - 1;
		text = malloc(len ? len : 1);
		CHECK(text);
		memcpy(text, data + 1, len);
	}
	check_text(text, len, err_len);
	free(text);
	return 0;
}
