// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "security.h"

struct security {
	struct baseline b;
	struct detect *detect;
	struct callpair *pairs;
	security_call_fn on_call;
	void *call_ctx;
	uint64_t learn_ns;
	uint64_t now_unix_ns;    /* as of the last span or tick, for calls released by pairing */
	uint64_t saved_changes;  /* b.changes when last saved */
	uint64_t saved_at_ns;
	uint64_t saves, save_failures;
	int lock_fd;             /* -1: no state dir in use */
	char path[PATH_MAX];     /* the baseline file */
	char dir[PATH_MAX];
};

/* The policy's verdict, as the detector asks for it. */
static int sec_policy(void *ctx, const struct call *c, uint8_t *severity, char *reason, size_t len)
{
	const struct policy_rule_info *m = NULL;
	struct policy_call pc = {
		.src = &c->client, .dst = &c->server,
		.src_ev = &c->client_evidence, .dst_ev = &c->server_evidence,
		.src_addr = c->client_address, .dst_addr = c->server_address,
		.protocol = c->protocol, .port = c->port, .operation = c->operation,
	};
	int n;

	if (policy_check(ctx, &pc, &m) != POLICY_DENY)
		return 0;
	*severity = m->severity;
	n = policy_describe(m, reason, len);
	if (n > 0 && (size_t)n < len)
		snprintf(reason + n, len - (size_t)n, ": %s -> %s port %u %s \"%s\"",
			 alert_identity_label(&c->client), alert_identity_label(&c->server), c->port,
			 c->protocol[0] ? c->protocol : "tcp", c->operation);
	return 1;
}

static void sec_on_call(void *ctx, const struct call *c)
{
	struct security *s = ctx;

	detect_call(s->detect, c, s->now_unix_ns);
	if (s->on_call)
		s->on_call(s->call_ctx, c);
}

/* mkdir -p, 0700: the baseline says what the node's services do. */
static int sec_mkdirs(const char *dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", dir);
	for (char *q = p + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return -1;
		*q = '/';
	}
	return mkdir(p, 0700) && errno != EEXIST ? -1 : 0;
}

static void sec_state_open(struct security *s, const char *dir)
{
	char lock[PATH_MAX + 8], err[PATH_MAX + 256];
	int rc;

	s->lock_fd = -1;
	if (!dir || !dir[0])
		return;
	if (sec_mkdirs(dir)) {
		fprintf(stderr, "zerotrace: state dir %s: %s; the baseline is kept in memory only\n", dir,
			strerror(errno));
		return;
	}
	snprintf(lock, sizeof(lock), "%s/%s", dir, SECURITY_LOCK_FILE);
	s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX | LOCK_NB)) {
		fprintf(stderr, "zerotrace: state dir %s: %s; the baseline is kept in memory only\n", dir,
			errno == EWOULDBLOCK ? "another zerotrace uses it" : strerror(errno));
		if (s->lock_fd >= 0)
			close(s->lock_fd);
		s->lock_fd = -1;
		return;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	snprintf(s->path, sizeof(s->path), "%s/%s", dir, SECURITY_BASELINE_FILE);
	rc = baseline_load(&s->b, s->path, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "zerotrace: baseline %s; learning starts again\n", err);
	else if (rc == 0)
		fprintf(stderr, "zerotrace: baseline loaded from %s: %" PRIu64 " edges, %" PRIu64
			" operations, %" PRIu64 " listeners\n", s->path, s->b.stats.edges, s->b.stats.ops,
			s->b.stats.listeners);
	s->saved_changes = s->b.changes;
}

struct security *security_open(const struct security_config *c, alert_fn on_alert, void *alert_ctx,
			       security_call_fn on_call, void *call_ctx, uint64_t now_unix_ns)
{
	struct security *s = calloc(1, sizeof(*s));
	struct detect_config dc;

	if (!s)
		return NULL;
	if (baseline_init(&s->b)) {
		free(s);
		return NULL;
	}
	s->on_call = on_call;
	s->call_ctx = call_ctx;
	s->learn_ns = c->detect.learn_ns;
	s->now_unix_ns = now_unix_ns;
	sec_state_open(s, c->state_dir);
	dc = c->detect;
	if (c->policy) {
		dc.policy = sec_policy;
		dc.policy_ctx = (void *)c->policy;
	}
	s->detect = detect_new(&dc, &s->b, on_alert, alert_ctx, now_unix_ns);
	s->pairs = callpair_new(SECURITY_PAIR_WAIT_NS, sec_on_call, s);
	if (!s->detect || !s->pairs) {
		security_close(s, now_unix_ns, NULL);
		return NULL;
	}
	if (now_unix_ns < s->b.learn_until_ns)
		fprintf(stderr, "zerotrace: learning the service graph for %" PRIu64 " s more\n",
			(s->b.learn_until_ns - now_unix_ns + 999999999u) / 1000000000u);
	return s;
}

void security_span(struct security *s, const struct span *sp, uint64_t now_mono_ns,
		   uint64_t now_unix_ns)
{
	s->now_unix_ns = now_unix_ns;
	callpair_span(s->pairs, sp, now_mono_ns);
}

static void sec_save(struct security *s, uint64_t now_unix_ns)
{
	char err[PATH_MAX + 256];

	if (!s->path[0] || s->b.changes == s->saved_changes)
		return;
	if (baseline_save(&s->b, s->path, err, sizeof(err))) {
		/* reported once per failure streak: the next success says it is over */
		if (!s->save_failures++ || s->saves)
			fprintf(stderr, "zerotrace: save the baseline: %s\n", err);
		s->saved_at_ns = now_unix_ns;
		return;
	}
	s->saves++;
	s->saved_changes = s->b.changes;
	s->saved_at_ns = now_unix_ns;
}

/* A request file of `zerotrace baseline`: 1 when it was there. */
static int sec_take_request(struct security *s, const char *name, char *buf, size_t cap)
{
	char path[PATH_MAX + 32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	n = read(fd, buf, cap - 1);
	close(fd);
	unlink(path);
	buf[n > 0 ? n : 0] = '\0';
	return 1;
}

static void sec_requests(struct security *s, uint64_t now_unix_ns)
{
	char text[65536];
	uint64_t ids[4096];
	uint32_t n = 0, all = 0, changed;

	if (!s->dir[0])
		return;
	if (sec_take_request(s, SECURITY_RESET_REQUEST, text, sizeof(text))) {
		baseline_clear(&s->b);
		s->b.created_ns = now_unix_ns;
		s->b.learn_until_ns = now_unix_ns + s->learn_ns;
		detect_forget_windows(s->detect);
		fprintf(stderr, "zerotrace: baseline reset by request: learning for %" PRIu64 " s\n",
			s->learn_ns / 1000000000u);
	}
	if (sec_take_request(s, SECURITY_ACCEPT_REQUEST, text, sizeof(text))) {
		for (char *line = strtok(text, "\n"); line && n < 4096; line = strtok(NULL, "\n")) {
			char *end;

			if (!strcmp(line, "all")) {
				all = 1;
				continue;
			}
			errno = 0;
			ids[n] = strtoull(line, &end, 16);
			if (!errno && end != line && !*end)
				n++;
		}
		if (all || n) {
			changed = baseline_accept(&s->b, ids, all ? 0 : n);
			detect_forget_windows(s->detect);
			fprintf(stderr, "zerotrace: baseline accept by request: %u entries joined the baseline\n",
				changed);
		}
	}
}

void security_tick(struct security *s, uint64_t now_mono_ns, uint64_t now_unix_ns)
{
	s->now_unix_ns = now_unix_ns;
	callpair_tick(s->pairs, now_mono_ns);
	sec_requests(s, now_unix_ns);
	detect_tick(s->detect, now_unix_ns);
	if (now_unix_ns >= s->saved_at_ns + SECURITY_SAVE_EVERY_NS)
		sec_save(s, now_unix_ns);
}

void security_close(struct security *s, uint64_t now_unix_ns, struct security_stats *final)
{
	if (!s)
		return;
	s->now_unix_ns = now_unix_ns;
	if (s->pairs && s->detect) {
		callpair_flush(s->pairs);
		detect_flush(s->detect, now_unix_ns);
		if (final)
			security_get_stats(s, final);
	}
	sec_save(s, now_unix_ns);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	callpair_free(s->pairs);
	detect_free(s->detect);
	baseline_free(&s->b);
	free(s);
}

void security_get_stats(const struct security *s, struct security_stats *out)
{
	memset(out, 0, sizeof(*out));
	detect_get_stats(s->detect, &out->detect);
	callpair_get_stats(s->pairs, &out->pairs);
	out->baseline = s->b.stats;
	out->saves = s->saves;
	out->save_failures = s->save_failures;
	out->learning = detect_learning(s->detect, s->now_unix_ns);
}
