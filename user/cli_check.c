// SPDX-License-Identifier: MIT
/*
 * zerotrace check --expect FILE [--settle SECONDS] [--state-dir DIR]
 *                 [AGENT OPTION...] -- CMD [ARG...]
 *
 * Runs CMD (a service's integration tests) under the agent and compares
 * the service graph it made with the expected one in FILE (format in
 * user/security/graph.h):
 *  1. a cgroup v2 directory <cgroup2 mount>/zerotrace-check-<pid>;
 *  2. the agent, a child: /proc/self/exe --cgroup CG --learn 365d
 *     --state-dir STATE --output none --metrics-addr off AGENT OPTION...,
 *     in a process group of its own (a Ctrl-C reaches CMD and check, and
 *     check stops the agent in order), its stderr in WORK/agent.log; check
 *     waits for its "zerotrace: ready" line (CHECK_READY_MS);
 *  3. CMD, a child that writes its own pid into CG/cgroup.procs and then
 *     execs CMD: CMD and everything it starts are traced. Its stdout goes
 *     to check's stderr (as the agent's does): stdout holds the difference
 *     alone;
 *  4. when CMD has exited, what it left running in the cgroup gets SIGTERM
 *     (SIGKILL a second later); --settle seconds later (default 3: the
 *     reorder window and the call pairing wait) the agent gets SIGINT and
 *     saves STATE/baseline.v1 as it exits (CHECK_STOP_MS at most);
 *  5. every edge and operation of that baseline (all learned: the agent
 *     learns for a year) is the observed graph; the difference with FILE
 *     goes to stdout, one line each, sorted (graph_compare);
 *  6. the cgroup and WORK (a mkdtemp directory in $TMPDIR or /tmp) are
 *     removed on every path, a SIGINT, SIGTERM or SIGHUP to check
 *     included. With --state-dir (a directory without a baseline.v1),
 *     STATE is kept, for `zerotrace graph --state-dir DIR`.
 * Options before `--` other than check's own go to the agent verbatim
 * ("--protocols http1,redis", "--reorder-window-ms 100"); the ones check
 * sets itself are refused.
 * Exit: 0 the graph matches, 1 it does not, 2 bad usage or a bad expect
 * file (or agent options the agent refuses), 3 CMD failed (exited non-zero
 * or by a signal, or could not run; the graph is still compared and
 * printed), 4 the agent failed to start or stop, or saved no baseline;
 * 128+N when check itself got signal N (after cleaning up).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_check.h"
#include "cli_graph.h"
#include "graph.h"
#include "security.h"

#define CHECK_READY_MS 30000     /* the agent loads and attaches in a few seconds */
#define CHECK_STOP_MS 30000      /* it drains, saves and detaches */
#define CHECK_GRACE_MS 1000      /* SIGTERM to SIGKILL, for what CMD left running */
#define CHECK_SETTLE_MAX 600.0
#define CHECK_AGENT_OPTS_MAX 64
#define CHECK_CGROUP_DEPTH 8     /* cgroups CMD made below ours */
#define CHECK_POLL_MS 20

#define CHECK_MATCH 0
#define CHECK_DIFFERS 1
#define CHECK_USAGE 2
#define CHECK_CMD_FAILED 3
#define CHECK_AGENT_FAILED 4

static volatile sig_atomic_t ck_signal;

static void ck_on_signal(int sig)
{
	ck_signal = sig;
}

struct ck {
	const char *expect_path;
	double settle;
	const char *state_arg;     /* --state-dir, or NULL */
	char **agent_opts;
	int n_agent_opts;
	char **cmd;
	char cgroup[PATH_MAX];     /* "" until made */
	char work[PATH_MAX - 32];  /* "" until made; room for its files' names */
	char state[PATH_MAX];
	char log[PATH_MAX];
	pid_t agent;               /* 0: not running */
	pid_t child;               /* CMD; 0: not running */
};

static void ck_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Waits for pid up to timeout_ms (< 0: no limit): 1 it exited (*status),
 * 0 timed out, -1 (when interruptible) check got a signal first. */
static int ck_wait(pid_t pid, int *status, int timeout_ms, int interruptible)
{
	for (int waited = 0;; waited += CHECK_POLL_MS) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return 1;
		if (ck_signal && interruptible)
			return -1;
		if (timeout_ms >= 0 && waited >= timeout_ms)
			return 0;
		ck_sleep_ms(CHECK_POLL_MS);
	}
}

/* The agent's log as text: its first or (tail) its last cap - 1 bytes,
 * from the start of a line; "" when unreadable. */
static void ck_log_read(const struct ck *c, char *buf, size_t cap, int tail)
{
	int fd = open(c->log, O_RDONLY | O_CLOEXEC);
	off_t size = fd >= 0 && tail ? lseek(fd, 0, SEEK_END) : 0;
	ssize_t n = 0;
	char *nl;

	if (fd >= 0 && size > (off_t)cap - 1)
		lseek(fd, size - (off_t)cap + 1, SEEK_SET);
	else if (fd >= 0)
		lseek(fd, 0, SEEK_SET);
	if (fd >= 0) {
		n = read(fd, buf, cap - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	if (size > (off_t)cap - 1 && (nl = strchr(buf, '\n')))
		memmove(buf, nl + 1, strlen(nl + 1) + 1);
}

/* The last lines of the agent's stderr, for a failure's message. */
static void ck_log_tail(const struct ck *c)
{
	char buf[4096];

	ck_log_read(c, buf, sizeof(buf), 1);
	if (!buf[0])
		return;
	fprintf(stderr, "zerotrace check: the agent's last messages:\n");
	for (char *line = buf, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		fprintf(stderr, "  | %.*s\n", (int)(nl ? nl - line : (long)strlen(line)), line);
		if (!nl)
			break;
	}
}

/* ---- the cgroup ---------------------------------------------------------- */

static int ck_cgroup2_root(char *out, size_t cap)
{
	FILE *f = setmntent("/proc/mounts", "re");
	struct mntent *m;
	int rc = -1;

	if (!f)
		return -1;
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2") && strlen(m->mnt_dir) < cap) {
			snprintf(out, cap, "%s", m->mnt_dir);
			rc = 0;
			break;
		}
	endmntent(f);
	return rc;
}

/* Sends sig (0: none) to every process in dir and the cgroups below it;
 * returns how many processes there were. By pid, as cgroup.procs lists
 * them: nothing else is ever signalled. */
static unsigned ck_cgroup_signal(const char *dir, int sig, int depth)
{
	char path[PATH_MAX], line[32];
	unsigned n = 0;
	struct dirent *d;
	FILE *f;
	DIR *dd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		long pid = strtol(line, NULL, 10);

		if (pid > 1 && pid != (long)getpid()) {
			n++;
			if (sig)
				kill((pid_t)pid, sig);
		}
	}
	if (f)
		fclose(f);
	if (depth >= CHECK_CGROUP_DEPTH || !(dd = opendir(dir)))
		return n;
	while ((d = readdir(dd)))
		if (d->d_type == DT_DIR && d->d_name[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) < (int)sizeof(path))
			n += ck_cgroup_signal(path, sig, depth + 1);
	closedir(dd);
	return n;
}

/* SIGTERM to what is left in the cgroup, SIGKILL after the grace time;
 * returns how many processes were left. Reaps CMD if it was among them. */
static unsigned ck_cgroup_empty(struct ck *c)
{
	unsigned left = ck_cgroup_signal(c->cgroup, SIGTERM, 0);
	int st;

	for (int t = 0; left && t < CHECK_GRACE_MS && ck_cgroup_signal(c->cgroup, 0, 0);
	     t += CHECK_POLL_MS)
		ck_sleep_ms(CHECK_POLL_MS);
	for (int t = 0; left && t < 3000 && ck_cgroup_signal(c->cgroup, SIGKILL, 0);
	     t += CHECK_POLL_MS)
		ck_sleep_ms(CHECK_POLL_MS);
	if (c->child && waitpid(c->child, &st, WNOHANG) == c->child)
		c->child = 0;
	return left;
}

/* rmdir of the cgroup and the ones below it, deepest first. */
static int ck_cgroup_rmdir(const char *dir, int depth)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dd;

	if (depth < CHECK_CGROUP_DEPTH && (dd = opendir(dir))) {
		while ((d = readdir(dd)))
			if (d->d_type == DT_DIR && d->d_name[0] != '.' &&
			    snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) < (int)sizeof(path))
				ck_cgroup_rmdir(path, depth + 1);
		closedir(dd);
	}
	return rmdir(dir);
}

static int ck_cgroup_make(struct ck *c)
{
	char root[PATH_MAX - 64];

	if (ck_cgroup2_root(root, sizeof(root))) {
		fprintf(stderr, "zerotrace check: no cgroup2 mount in /proc/mounts\n");
		return -1;
	}
	snprintf(c->cgroup, sizeof(c->cgroup), "%s/zerotrace-check-%d", root, (int)getpid());
	/* an empty one of a check that was killed with this pid */
	rmdir(c->cgroup);
	if (mkdir(c->cgroup, 0755)) {
		fprintf(stderr, "zerotrace check: create cgroup %s: %s%s\n", c->cgroup,
			strerror(errno), errno == EACCES || errno == EPERM ? " (check runs as root, as the agent does)" : "");
		c->cgroup[0] = '\0';
		return -1;
	}
	return 0;
}

/* ---- the work directory ----------------------------------------------------- */

static int ck_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP ? rmdir(path) : unlink(path))
		fprintf(stderr, "zerotrace check: remove %s: %s\n", path, strerror(errno));
	return 0;
}

static int ck_work_make(struct ck *c)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || tmp[0] != '/' || strlen(tmp) > PATH_MAX - 64)
		tmp = "/tmp";
	snprintf(c->work, sizeof(c->work), "%s/zerotrace-check-XXXXXX", tmp);
	if (!mkdtemp(c->work)) {
		fprintf(stderr, "zerotrace check: mkdtemp %s: %s\n", c->work, strerror(errno));
		c->work[0] = '\0';
		return -1;
	}
	snprintf(c->log, sizeof(c->log), "%s/agent.log", c->work);
	if (c->state_arg)
		snprintf(c->state, sizeof(c->state), "%s", c->state_arg);
	else
		snprintf(c->state, sizeof(c->state), "%s/state", c->work);
	return 0;
}

/* ---- the agent -------------------------------------------------------------- */

static int ck_agent_start(struct ck *c)
{
	char *argv[12 + CHECK_AGENT_OPTS_MAX] = {
		"zerotrace", "--cgroup", c->cgroup, "--learn", "365d", "--state-dir", c->state,
		"--output", "none", "--metrics-addr", "off",
	};
	char text[16384];
	int n = 11, log, null, st;

	for (int i = 0; i < c->n_agent_opts; i++)
		argv[n++] = c->agent_opts[i];
	argv[n] = NULL;
	log = open(c->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (log < 0 || null < 0) {
		fprintf(stderr, "zerotrace check: open %s: %s\n", log < 0 ? c->log : "/dev/null",
			strerror(errno));
		if (log >= 0)
			close(log);
		if (null >= 0)
			close(null);
		return CHECK_AGENT_FAILED;
	}
	fflush(NULL);
	c->agent = fork();
	if (c->agent == 0) {
		/* its own group: a terminal's Ctrl-C is for CMD and check */
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(null, STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0 ||
		    dup2(log, STDERR_FILENO) < 0)
			_exit(127);
		execv("/proc/self/exe", argv);
		fprintf(stderr, "zerotrace check: exec /proc/self/exe: %s\n", strerror(errno));
		_exit(127);
	}
	close(log);
	close(null);
	if (c->agent < 0) {
		fprintf(stderr, "zerotrace check: fork: %s\n", strerror(errno));
		c->agent = 0;
		return CHECK_AGENT_FAILED;
	}
	for (int t = 0; t <= CHECK_READY_MS; t += CHECK_POLL_MS) {
		ck_log_read(c, text, sizeof(text), 0);
		if (!strncmp(text, "zerotrace: ready", 16) || strstr(text, "\nzerotrace: ready"))
			return 0;
		if (waitpid(c->agent, &st, WNOHANG) == c->agent) {
			c->agent = 0;
			fprintf(stderr, "zerotrace check: the agent exited (status %d) before it was ready\n",
				WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			ck_log_tail(c);
			/* its status 2: the agent options given to check are wrong */
			return WIFEXITED(st) && WEXITSTATUS(st) == 2 ? CHECK_USAGE : CHECK_AGENT_FAILED;
		}
		if (ck_signal)
			return CHECK_AGENT_FAILED;
		ck_sleep_ms(CHECK_POLL_MS);
	}
	fprintf(stderr, "zerotrace check: the agent was not ready after %d s\n", CHECK_READY_MS / 1000);
	ck_log_tail(c);
	return CHECK_AGENT_FAILED;
}

/* SIGINT, then SIGKILL when it does not stop in time (a signal to check
 * meanwhile does not cut this short): 0 when it exited 0. */
static int ck_agent_stop(struct ck *c)
{
	int st = 0;

	if (!c->agent)
		return 0;
	kill(c->agent, SIGINT);
	if (!ck_wait(c->agent, &st, CHECK_STOP_MS, 0)) {
		kill(c->agent, SIGKILL);
		waitpid(c->agent, &st, 0);
		c->agent = 0;
		fprintf(stderr, "zerotrace check: the agent did not stop within %d s (killed)\n",
			CHECK_STOP_MS / 1000);
		ck_log_tail(c);
		return -1;
	}
	c->agent = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "zerotrace check: the agent exited with status %d\n",
			WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		ck_log_tail(c);
		return -1;
	}
	return 0;
}

/* A graph is only as complete as the events that reached the agent. */
static void ck_agent_losses(const struct ck *c)
{
	char text[16384], *final = NULL, *p;

	ck_log_read(c, text, sizeof(text), 1);
	for (p = text; (p = strstr(p, "zerotrace: final ")); p++)
		final = p;
	p = final ? strstr(final, " ringbuf_drops=") : NULL;
	if (p && strtoull(p + 15, NULL, 10))
		fprintf(stderr, "zerotrace check: warning: the agent lost %llu events (ringbuf_drops): "
			"the observed graph may lack calls\n", strtoull(p + 15, NULL, 10));
}

/* ---- CMD ------------------------------------------------------------------ */

struct ck_child_err {
	int stage;   /* 1 joining the cgroup, 2 exec */
	int err;
};

/* Starts CMD in the cgroup: 0, CHECK_AGENT_FAILED when it could not join
 * the cgroup, CHECK_CMD_FAILED when it could not run (*status set). */
static int ck_cmd_start(struct ck *c, int *status)
{
	struct ck_child_err e = { 0, 0 };
	char procs[PATH_MAX + 16], pid[24];
	int p[2], fd;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC)) {
		fprintf(stderr, "zerotrace check: pipe: %s\n", strerror(errno));
		return CHECK_AGENT_FAILED;
	}
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", c->cgroup);
	fflush(NULL);
	c->child = fork();
	if (c->child == 0) {
		close(p[0]);
		signal(SIGPIPE, SIG_DFL);
		/* stdout is for the difference alone */
		if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(126);
		snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
		fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, pid, strlen(pid)) < 0) {
			e = (struct ck_child_err){ 1, errno };
		} else {
			close(fd);
			execvp(c->cmd[0], c->cmd);
			e = (struct ck_child_err){ 2, errno };
		}
		if (write(p[1], &e, sizeof(e)) < 0)
			_exit(126);
		_exit(e.stage == 1 ? 126 : 127);
	}
	close(p[1]);
	if (c->child < 0) {
		close(p[0]);
		c->child = 0;
		fprintf(stderr, "zerotrace check: fork: %s\n", strerror(errno));
		return CHECK_AGENT_FAILED;
	}
	/* EOF: the exec closed the pipe */
	do
		n = read(p[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n != (ssize_t)sizeof(e))
		return 0;
	waitpid(c->child, status, 0);
	c->child = 0;
	if (e.stage == 1) {
		fprintf(stderr, "zerotrace check: join cgroup %s: %s\n", c->cgroup, strerror(e.err));
		return CHECK_AGENT_FAILED;
	}
	fprintf(stderr, "zerotrace check: cannot run %s: %s\n", c->cmd[0], strerror(e.err));
	return CHECK_CMD_FAILED;
}

/* 0 when CMD succeeded; else says how it ended. */
static int ck_cmd_result(int st)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st))
		fprintf(stderr, "zerotrace check: the command exited with status %d\n",
			WEXITSTATUS(st));
	else
		fprintf(stderr, "zerotrace check: the command was killed by signal %d (%s)\n",
			WTERMSIG(st), strsignal(WTERMSIG(st)));
	return -1;
}

/* ---- the comparison ------------------------------------------------------- */

static int ck_compare(struct ck *c, const struct graph_expect *x)
{
	char path[PATH_MAX + 32];
	struct graph_diff d;
	struct baseline b;
	struct graph g;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", c->state, SECURITY_BASELINE_FILE);
	if (baseline_init(&b)) {
		fprintf(stderr, "zerotrace check: %s\n", strerror(ENOMEM));
		return CHECK_AGENT_FAILED;
	}
	rc = cli_graph_read(&b, path, "check");
	if (rc) {
		if (rc > 0)
			fprintf(stderr, "zerotrace check: the agent saved no baseline in %s\n", c->state);
		ck_log_tail(c);
		baseline_free(&b);
		return CHECK_AGENT_FAILED;
	}
	if (graph_build(&g, &b, GRAPH_CANDIDATES) || graph_compare(x, &g, &d)) {
		fprintf(stderr, "zerotrace check: %s\n", strerror(ENOMEM));
		graph_free(&g);
		baseline_free(&b);
		return CHECK_AGENT_FAILED;
	}
	fwrite(d.text, 1, d.len, stdout);
	fflush(stdout);
	if (d.extra || d.missing)
		fprintf(stderr, "zerotrace check: the observed graph does not match %s: %u extra, %u missing\n",
			c->expect_path, d.extra, d.missing);
	else
		fprintf(stderr, "zerotrace check: the observed graph matches %s (%u edges, %u operations)\n",
			c->expect_path, g.n_edges, g.n_ops);
	rc = d.extra || d.missing ? CHECK_DIFFERS : CHECK_MATCH;
	graph_diff_free(&d);
	graph_free(&g);
	baseline_free(&b);
	return rc;
}

/* ---- the run ---------------------------------------------------------------- */

/* Everything check made goes, whatever happened. */
static void ck_cleanup(struct ck *c)
{
	unsigned left;

	if (c->cgroup[0]) {
		left = ck_cgroup_empty(c);
		if (left)
			fprintf(stderr, "zerotrace check: stopped %u processes left in %s\n", left,
				c->cgroup);
	}
	if (c->child) {
		kill(c->child, SIGKILL);
		waitpid(c->child, NULL, 0);
		c->child = 0;
	}
	if (c->agent)
		ck_agent_stop(c);
	if (c->cgroup[0]) {
		int t = 0;

		while (ck_cgroup_rmdir(c->cgroup, 0) && errno == EBUSY && t < 3000) {
			ck_cgroup_signal(c->cgroup, SIGKILL, 0);
			ck_sleep_ms(CHECK_POLL_MS);
			t += CHECK_POLL_MS;
		}
		if (access(c->cgroup, F_OK) == 0)
			fprintf(stderr, "zerotrace check: could not remove cgroup %s: %s\n", c->cgroup,
				strerror(errno));
	}
	if (c->work[0])
		nftw(c->work, ck_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int ck_run(struct ck *c, const struct graph_expect *x)
{
	int st = 0, rc, cmd_failed;
	unsigned left;

	if (ck_cgroup_make(c) || ck_work_make(c))
		return CHECK_AGENT_FAILED;
	rc = ck_agent_start(c);
	if (rc)
		return rc;
	rc = ck_cmd_start(c, &st);
	if (rc == CHECK_AGENT_FAILED)
		return rc;
	if (rc == 0 && ck_wait(c->child, &st, -1, 1) < 0)
		return -1;
	c->child = 0;
	cmd_failed = ck_cmd_result(st);
	left = ck_cgroup_empty(c);
	if (left)
		fprintf(stderr, "zerotrace check: stopped %u processes the command left running\n",
			left);
	for (double t = 0; t < c->settle * 1000 && !ck_signal; t += CHECK_POLL_MS)
		ck_sleep_ms(CHECK_POLL_MS);
	if (ck_signal)
		return -1;
	if (ck_agent_stop(c))
		return CHECK_AGENT_FAILED;
	ck_agent_losses(c);
	rc = ck_compare(c, x);
	return cmd_failed && rc != CHECK_AGENT_FAILED ? CHECK_CMD_FAILED : rc;
}

static int ck_usage(const char *why)
{
	fprintf(stderr,
		"zerotrace check: %s\n"
		"Usage: zerotrace check --expect FILE [--settle SECONDS] [--state-dir DIR]\n"
		"                       [AGENT OPTION...] -- CMD [ARG...]\n"
		"Runs CMD under the agent (CMD and what it starts, by a cgroup of their own)\n"
		"and compares the service graph they made with FILE.\n"
		"Exit: 0 it matches, 1 it does not (the difference is on stdout), 2 bad usage\n"
		"or FILE, 3 CMD failed, 4 the agent failed.\n",
		why);
	return CHECK_USAGE;
}

/* Options the agent gets from check, never from its caller. */
static int ck_reserved(const char *a)
{
	static const char *const names[] = { "--cgroup", "--learn", "--output", "--metrics-addr",
					     "--help", "-h", "--version" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);

		if (!strncmp(a, names[i], n) && (a[n] == '\0' || a[n] == '='))
			return 1;
	}
	return 0;
}

static int ck_args(struct ck *c, int argc, char **argv, char **opts)
{
	char *end;
	int i;

	c->settle = 3;
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i], *v = NULL;
		int which = !strncmp(a, "--expect", 8) ? 1 : !strncmp(a, "--settle", 8) ? 2 :
			    !strncmp(a, "--state-dir", 11) ? 3 : 0;
		size_t n = which == 3 ? 11 : 8;

		if (which && a[n] == '=')
			v = a + n + 1;
		else if (which && a[n] == '\0' && i + 1 < argc)
			v = argv[++i];
		else if (which && a[n] == '\0')
			return ck_usage("an option is missing its value");
		else
			which = 0;
		if (which == 1) {
			c->expect_path = v;
		} else if (which == 2) {
			errno = 0;
			c->settle = strtod(v, &end);
			if (errno || end == v || *end || !isfinite(c->settle) || c->settle < 0 ||
			    c->settle > CHECK_SETTLE_MAX)
				return ck_usage("--settle takes seconds, 0 to 600 (3 by default)");
		} else if (which == 3) {
			if (v[0] != '/' || strlen(v) > PATH_MAX - 64)
				return ck_usage("--state-dir must be an absolute path (of a sane length)");
			c->state_arg = v;
		} else if (ck_reserved(a)) {
			fprintf(stderr, "zerotrace check: %s: check sets it for the agent\n", a);
			return ck_usage("an agent option check sets itself");
		} else if (c->n_agent_opts == CHECK_AGENT_OPTS_MAX) {
			return ck_usage("more than 64 agent options");
		} else {
			opts[c->n_agent_opts++] = argv[i];
		}
	}
	if (!c->expect_path)
		return ck_usage("--expect FILE is required");
	if (c->state_arg) {
		char path[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", c->state_arg, SECURITY_BASELINE_FILE);
		if (stat(path, &st) == 0)
			return ck_usage("--state-dir already holds a baseline: give a directory without one");
	}
	if (i + 1 >= argc)
		return ck_usage("no command: give it after --");
	c->agent_opts = opts;
	c->cmd = argv + i + 1;
	return 0;
}

int cli_check(int argc, char **argv)
{
	char err[512], *opts[CHECK_AGENT_OPTS_MAX];
	struct ck c = { 0 };
	struct graph_expect *x;
	struct sigaction sa = { 0 };
	int rc;

	if (ck_args(&c, argc, argv, opts))
		return CHECK_USAGE;
	x = graph_expect_load(c.expect_path, err, sizeof(err));
	if (!x) {
		fprintf(stderr, "zerotrace check: %s\n", err);
		return CHECK_USAGE;
	}
	/* no SA_RESTART: a signal ends the sleeps and waits at once */
	sa.sa_handler = ck_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a reader of the difference that goes away must not stop the cleanup */
	signal(SIGPIPE, SIG_IGN);
	rc = ck_run(&c, x);
	ck_cleanup(&c);
	graph_expect_free(x);
	if (ck_signal) {
		fprintf(stderr, "zerotrace check: stopped by signal %d (%s)\n", (int)ck_signal,
			strsignal(ck_signal));
		return 128 + ck_signal;
	}
	return rc;
}
