// SPDX-License-Identifier: MIT
/*
 * zerotrace baseline show   [--state-dir DIR]
 * zerotrace baseline accept [--state-dir DIR] (--all | ID...)
 * zerotrace baseline reset  [--state-dir DIR]
 *
 * With an agent running on DIR (it holds DIR/lock), accept and reset are
 * requests it applies within a second; without one they edit the file.
 * Exit: 0 done, 1 failure (I/O, a corrupt file), 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_baseline.h"
#include "identity.h"
#include "security.h"

#define CLI_DEFAULT_STATE_DIR "/var/lib/zerotrace"

static int cli_usage(const char *why)
{
	fprintf(stderr,
		"zerotrace baseline: %s\n"
		"Usage: zerotrace baseline show [--state-dir DIR]\n"
		"       zerotrace baseline accept [--state-dir DIR] (--all | ID...)\n"
		"       zerotrace baseline reset [--state-dir DIR]\n",
		why);
	return 2;
}

/* The baseline file, or a message: 0, 1 no file, -1 unreadable or corrupt. */
static int cli_read(struct baseline *b, const char *path)
{
	char err[256];
	int rc = baseline_read(b, path, err, sizeof(err));

	if (rc < 0)
		fprintf(stderr, "zerotrace baseline: %s: %s (not trusted)\n", path, err);
	return rc < 0 ? -1 : rc;
}

static void cli_time(uint64_t ns, char *out, size_t cap)
{
	time_t t = (time_t)(ns / 1000000000ULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *cli_state(uint8_t s)
{
	return s == BASELINE_CANDIDATE ? "candidate" : "learned";
}

static void cli_end(const struct alert_identity *id, char *out, size_t cap)
{
	if (id->address[0])
		snprintf(out, cap, "%s", id->address);
	else
		snprintf(out, cap, "%s[%s%s%s%s%s]", id->service, id->exe,
			 id->k8s_namespace[0] ? " ns=" : "", id->k8s_namespace,
			 id->k8s_workload[0] ? " wl=" : "", id->k8s_workload);
}

static int cli_show(const char *dir)
{
	char path[PATH_MAX], from[32], until[32], c[512], s[512];
	struct baseline b;
	uint64_t now = (uint64_t)time(NULL) * 1000000000ULL;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, SECURITY_BASELINE_FILE);
	if (baseline_init(&b))
		return 1;
	rc = cli_read(&b, path);
	if (rc) {
		if (rc > 0)
			printf("no baseline in %s: the agent has not saved one yet\n", dir);
		baseline_free(&b);
		return rc > 0 ? 0 : 1;
	}
	cli_time(b.created_ns, from, sizeof(from));
	cli_time(b.learn_until_ns, until, sizeof(until));
	printf("baseline %s: learning from %s until %s (%s)\n", path, from, until,
	       now < b.learn_until_ns ? "learning" : "detecting");
	printf("edges: %" PRIu64 "\n", b.stats.edges);
	for (uint64_t i = 0; i < b.stats.edges; i++) {
		const struct baseline_edge *e = &b.edges[i];
		const struct baseline_rates *r = &e->rates;

		cli_end(&e->client, c, sizeof(c));
		cli_end(&e->server, s, sizeof(s));
		printf("  %016" PRIx64 " %-9s %s -> %s port %u %s: %" PRIu64 " calls, %.2f/s, %.1f%% errors, %.2f ms\n",
		       e->id, cli_state(e->state), c, s, e->port, e->protocol[0] ? e->protocol : "tcp",
		       r->calls, r->rate_mean, 100 * r->err_mean, r->lat_mean);
	}
	printf("operations: %" PRIu64 "\n", b.stats.ops);
	for (uint64_t i = 0; i < b.stats.ops; i++)
		printf("  %016" PRIx64 " %-9s edge %016" PRIx64 " \"%s\"\n", b.ops[i].id,
		       cli_state(b.ops[i].state), b.edges[b.ops[i].edge].id, b.ops[i].operation);
	printf("listeners: %" PRIu64 "\n", b.stats.listeners);
	for (uint64_t i = 0; i < b.stats.listeners; i++) {
		cli_end(&b.listeners[i].server, s, sizeof(s));
		printf("  %016" PRIx64 " %-9s %s port %u\n", b.listeners[i].id,
		       cli_state(b.listeners[i].state), s, b.listeners[i].port);
	}
	baseline_free(&b);
	return 0;
}

/* 1 when an agent holds the directory's lock. */
static int cli_agent_running(const char *dir)
{
	char lock[PATH_MAX];
	int fd, held;

	snprintf(lock, sizeof(lock), "%s/%s", dir, SECURITY_LOCK_FILE);
	fd = open(lock, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/* Writes a request file atomically (temp, rename): the agent never reads half. */
static int cli_request(const char *dir, const char *name, const char *text)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "zerotrace baseline: write %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("sent to the running agent: it applies %s within a second\n", name);
	return 0;
}

static int cli_accept(const char *dir, char **ids, int n, int all)
{
	char path[PATH_MAX], err[PATH_MAX + 256], *text;
	uint64_t v[4096];
	struct baseline b;
	size_t len = 0;
	uint32_t changed;
	int rc;

	if (n > 4096)
		return cli_usage("at most 4096 ids at once");
	text = calloc((size_t)n + 1, 18);
	if (!text)
		return 1;
	for (int i = 0; i < n; i++) {
		char *end;

		errno = 0;
		v[i] = strtoull(ids[i], &end, 16);
		if (errno || end == ids[i] || *end || strlen(ids[i]) > 16) {
			free(text);
			return cli_usage("an ID is the 16-digit hex id `baseline show` prints");
		}
		len += (size_t)sprintf(text + len, "%016" PRIx64 "\n", v[i]);
	}
	if (all)
		len += (size_t)sprintf(text + len, "all\n");
	if (cli_agent_running(dir)) {
		rc = cli_request(dir, SECURITY_ACCEPT_REQUEST, text);
		free(text);
		return rc;
	}
	free(text);
	snprintf(path, sizeof(path), "%s/%s", dir, SECURITY_BASELINE_FILE);
	if (baseline_init(&b))
		return 1;
	rc = cli_read(&b, path);
	if (rc) {
		if (rc > 0)
			fprintf(stderr, "zerotrace baseline: no baseline in %s\n", dir);
		baseline_free(&b);
		return 1;
	}
	changed = baseline_accept(&b, v, all ? 0 : (uint32_t)n);
	rc = changed && baseline_save(&b, path, err, sizeof(err));
	if (rc)
		fprintf(stderr, "zerotrace baseline: %s\n", err);
	else
		printf("%u entries joined the baseline\n", changed);
	baseline_free(&b);
	return rc ? 1 : 0;
}

static int cli_reset(const char *dir)
{
	char path[PATH_MAX];

	if (cli_agent_running(dir))
		return cli_request(dir, SECURITY_RESET_REQUEST, "reset\n");
	snprintf(path, sizeof(path), "%s/%s", dir, SECURITY_BASELINE_FILE);
	if (unlink(path) && errno != ENOENT) {
		fprintf(stderr, "zerotrace baseline: remove %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("baseline removed: the next start learns again\n");
	return 0;
}

int cli_baseline(int argc, char **argv)
{
	const char *dir = CLI_DEFAULT_STATE_DIR, *cmd;
	char *ids[4097];
	int n = 0, all = 0;

	if (argc < 2)
		return cli_usage("missing command");
	cmd = argv[1];
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--state-dir") && i + 1 < argc) {
			dir = argv[++i];
		} else if (!strncmp(argv[i], "--state-dir=", 12)) {
			dir = argv[i] + 12;
		} else if (!strcmp(argv[i], "--all")) {
			all = 1;
		} else if (argv[i][0] == '-' || n == 4096) {
			return cli_usage("unknown option or too many ids");
		} else {
			ids[n++] = argv[i];
		}
	}
	if (!dir[0] || dir[0] != '/')
		return cli_usage("--state-dir must be an absolute path");
	if (!strcmp(cmd, "show") && !n && !all)
		return cli_show(dir);
	if (!strcmp(cmd, "reset") && !n && !all)
		return cli_reset(dir);
	if (!strcmp(cmd, "accept") && (n || all) && !(n && all))
		return cli_accept(dir, ids, n, all);
	return cli_usage("unknown command or arguments");
}
