// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* setns */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "node_helper.h"
#include "proc_filter.h"
#include "process.h"
#include "ws_frame.h"

#define QUEUE_MAX 1024
#define DONE_MAX 4096
#define INSPECTOR_PORT 9229
/* Node installs its SIGUSR1 handler early, the program its server later */
#define DELAY_NS 1000000000ull
#define IO_TIMEOUT_MS 2000
#define OPEN_WAIT_MS 3000
#define BUF_MAX 65536

/*
 * The script. The incoming socket's fd rides in an AsyncLocalStorage from
 * the 'request' event of every http and https server on; a socket written
 * first, or under a request it (or whatever wrote its fd last) did not last
 * write for, reports the pair, and one written under no request reports
 * "none": a timer's call on a pooled socket is then not taken for the
 * request its last report named, nor, on an event loop, for the one request
 * in flight (a socket still connecting has no fd: it reports when it
 * connects, before the writes it holds go out). It closes the inspector
 * once the agent has hung up (close() waits for sessions). Nothing it
 * leaves behind may throw: `require` exists only while the inspector
 * evaluates, so everything is required up front. A process that already
 * runs it (its pid came round again) gets the inspector closed and nothing
 * else.
 */
static const char helper_script_head[] =
	"(function () {"
	" const inspector = require('inspector');"
	" setTimeout(() => { try { inspector.close(); } catch (e) {} }, 50);"
	" if (globalThis.__zerotrace_helper) return 'zerotrace-ok';"
	" const { AsyncLocalStorage } = require('async_hooks');"
	" const fs = require('fs'), net = require('net');"
	" const als = new AsyncLocalStorage();"
	" globalThis.__zerotrace_helper = als;"
	" const fdOf = (s) => { const h = s && s._handle;"
	"   return h && typeof h.fd === 'number' ? h.fd : -1; };"
	" for (const name of ['http', 'https']) {"
	"  const proto = require(name).Server.prototype, emit = proto.emit;"
	"  proto.emit = function (ev, req) {"
	"   if (ev !== 'request') return emit.apply(this, arguments);"
	"   const fd = fdOf(req && req.socket), args = arguments;"
	"   return fd < 0 ? emit.apply(this, args) : als.run(fd, () => emit.apply(this, args));"
	"  };"
	" }"
	" const lastIn = new Map();"
	" const report = (inFd, outFd) => { if (outFd >= 0 && outFd !== inFd) { lastIn.set(outFd, inFd);"
	"   try { fs.accessSync('" ZT_HELPER_PREFIX "' +"
	"     (inFd === undefined ? '" ZT_HELPER_NONE "' : inFd + '/') + outFd); } catch (e) {} } };"
	" const write = net.Socket.prototype.write;"
	" net.Socket.prototype.write = function () {"
	"  const inFd = als.getStore(), fd = fdOf(this);"
	"  if (!('__zerotrace_in' in this) || this.__zerotrace_in !== inFd ||"
	"      (fd >= 0 && lastIn.get(fd) !== inFd)) {"
	"   this.__zerotrace_in = inFd;"
	"   if (fd >= 0) report(inFd, fd);"
	"   else this.once('connect', () => report(inFd, fdOf(this)));"
	"  }"
	"  return write.apply(this, arguments);"
	" };";

/*
 * With --logs: every fs.writeSync reports (console.log to a file whose
 * stream took the function before the script came is not seen: its lines
 * stay unlinked), and fs.writeFileSync in append mode with a string or
 * bytes (fs.appendFileSync goes through it, and writes a string from C++
 * with no fd a wrapper could see) opens the file itself so the report can
 * name the fd, and says "none" for it once closed.
 */
static const char helper_script_logs[] =
	" const writeSync = fs.writeSync, writeFileSync = fs.writeFileSync;"
	" fs.writeSync = function (fd) {"
	"  if (typeof fd === 'number') report(als.getStore(), fd);"
	"  return writeSync.apply(this, arguments);"
	" };"
	" fs.writeFileSync = function (file, data, options) {"
	"  if (typeof file === 'number') {"
	"   report(als.getStore(), file); return writeFileSync.apply(this, arguments); }"
	"  const o = options && typeof options === 'object' ? options : {};"
	"  if (typeof o.flag !== 'string' || o.flag[0] !== 'a' ||"
	"      (typeof data !== 'string' && !ArrayBuffer.isView(data)))"
	"   return writeFileSync.apply(this, arguments);"
	"  let fd;"
	"  try { fd = fs.openSync(file, o.flag, o.mode); }"
	"  catch (e) { return writeFileSync.apply(this, arguments); }"
	"  try { report(als.getStore(), fd);"
	"   return writeFileSync.call(this, fd, data, Object.assign({}, o, { flag: undefined })); }"
	"  finally { try { fs.closeSync(fd); } catch (e) {} report(undefined, fd); }"
	" };";

static const char helper_script_tail[] = " return 'zerotrace-ok';})()";

struct nh_item {
	uint32_t pid;
	uint64_t due_ns;
};

struct node_helper {
	struct proc_filter filter;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	int home_ns; /* the agent's own network namespace */
	struct nh_item queue[QUEUE_MAX];
	uint32_t n_queue;
	uint32_t done[DONE_MAX]; /* pids already looked at (a ring) */
	uint32_t n_done;
	struct node_helper_stats stats;
	char script[sizeof(helper_script_head) + sizeof(helper_script_logs) +
		    sizeof(helper_script_tail)];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* "node", "nodejs", or a program that maps libnode. */
static int is_node(uint32_t pid)
{
	char path[64], exe[512], line[1024];
	ssize_t n;
	const char *base;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	if (process_exe_is_node(base))
		return 1;
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, "/libnode.so") != NULL;
	if (f)
		fclose(f);
	return found;
}

/* Whether a SIGUSR1 handler is installed, and the pid the process sees
 * itself as (the last NSpid: inside a container, its own namespace's). */
static int status_read(uint32_t pid, int *handles_usr1, long *ns_pid)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	*handles_usr1 = 0;
	*ns_pid = pid;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "SigCgt:", 7) == 0)
			*handles_usr1 = (strtoull(line + 7, NULL, 16) >> (SIGUSR1 - 1)) & 1;
		else if (strncmp(line, "NSpid:", 6) == 0) {
			char *p = strrchr(line, '\t');

			*ns_pid = strtol(p ? p + 1 : line + 6, NULL, 10);
		}
	}
	fclose(f);
	return 0;
}

static int inspector_connect(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(INSPECTOR_PORT),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = IO_TIMEOUT_MS / 1000 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int port_open(void)
{
	int fd = inspector_connect();

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* Waits up to ms for the port to be open (want 1) or closed (want 0). */
static int port_wait(int want, int ms)
{
	for (int waited = 0; waited <= ms; waited += 50) {
		if (port_open() == want)
			return 0;
		sleep_ms(50);
	}
	return -1;
}

static int send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads an HTTP answer: its head, and with_body, the Content-Length bytes
 * that follow it (the inspector keeps the connection open). */
static ssize_t http_read(int fd, char *buf, size_t cap, int with_body)
{
	size_t n = 0;

	while (n + 1 < cap) {
		ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
		const char *end, *cl;

		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		if (!with_body)
			break;
		cl = strcasestr(buf, "\r\nContent-Length:");
		if (cl && cl < end && n - (size_t)(end + 4 - buf) >= strtoul(cl + 17, NULL, 10))
			break;
	}
	buf[n] = '\0';
	return n ? (ssize_t)n : -1;
}

/* The path of the first target's WebSocket, from /json/list. */
static int debugger_path(char *path, size_t cap)
{
	static const char req[] = "GET /json/list HTTP/1.1\r\nHost: 127.0.0.1:9229\r\n"
				  "Connection: close\r\n\r\n";
	char *buf = malloc(BUF_MAX);
	const char *p, *end;
	int fd = inspector_connect(), rc = -1;

	if (fd >= 0 && buf && send_all(fd, req, sizeof(req) - 1) == 0 &&
	    http_read(fd, buf, BUF_MAX, 1) > 0) {
		p = strstr(buf, "\"webSocketDebuggerUrl\"");
		p = p ? strstr(p, "ws://") : NULL;
		p = p ? strchr(p + 5, '/') : NULL;
		end = p ? strchr(p, '"') : NULL;
		if (end && (size_t)(end - p) < cap) {
			memcpy(path, p, (size_t)(end - p));
			path[end - p] = '\0';
			rc = 0;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

static int ws_open(const char *path)
{
	char req[512], resp[1024];
	int fd = inspector_connect();

	if (fd < 0)
		return -1;
	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:9229\r\nUpgrade: websocket\r\n"
		 "Connection: Upgrade\r\nSec-WebSocket-Key: emVyb3RyYWNlLWhlbHBlcg==\r\n"
		 "Sec-WebSocket-Version: 13\r\n\r\n",
		 path);
	if (send_all(fd, req, strlen(req)) || http_read(fd, resp, sizeof(resp), 0) < 0 ||
	    strncmp(resp, "HTTP/1.1 101", 12) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Appends s to out as the inside of a JSON string; -1 when it does not fit. */
static int json_escape(char *out, size_t cap, size_t *at, const char *s)
{
	for (; *s; s++) {
		if (*at + 3 > cap)
			return -1;
		if (*s == '"' || *s == '\\')
			out[(*at)++] = '\\';
		out[(*at)++] = *s;
	}
	out[*at] = '\0';
	return 0;
}

/* Runtime.evaluate of expr as message id; the answer's text in buf. */
static int ws_evaluate(int fd, int id, const char *expr, char *buf, size_t cap)
{
	static const uint8_t mask[4] = { 0x5a, 0x17, 0xc3, 0x2e };
	char *msg = malloc(BUF_MAX);
	uint8_t *frame = malloc(BUF_MAX);
	size_t at, have = 0, n;
	char want[32];
	int rc = -1;

	if (!msg || !frame)
		goto out;
	at = (size_t)snprintf(msg, BUF_MAX,
			      "{\"id\":%d,\"method\":\"Runtime.evaluate\",\"params\":{"
			      "\"includeCommandLineAPI\":true,\"returnByValue\":true,\"expression\":\"",
			      id);
	if (json_escape(msg, BUF_MAX - 4, &at, expr))
		goto out;
	memcpy(msg + at, "\"}}", 4);
	n = ws_frame_encode(frame, BUF_MAX, WS_OP_TEXT, (const uint8_t *)msg, strlen(msg), mask);
	if (!n || send_all(fd, frame, n))
		goto out;
	snprintf(want, sizeof(want), "\"id\":%d,", id);
	/* the inspector may send events first: read frames until the answer */
	for (;;) {
		struct ws_frame f;
		ssize_t r;
		int d = ws_frame_decode(frame, have, &f);

		if (d < 0)
			goto out;
		if (d == 1) {
			size_t len = (size_t)f.payload_len;

			if (f.op == WS_OP_CLOSE)
				goto out;
			if (f.op == WS_OP_TEXT && len < cap) {
				memcpy(buf, frame + f.header_len, len);
				buf[len] = '\0';
				if (strstr(buf, want)) {
					rc = 0;
					goto out;
				}
			}
			have -= (size_t)(f.header_len + f.payload_len);
			memmove(frame, frame + f.header_len + f.payload_len, have);
			continue;
		}
		if (have == BUF_MAX)
			goto out;
		r = recv(fd, frame + have, BUF_MAX - have, 0);
		if (r <= 0)
			goto out;
		have += (size_t)r;
	}
out:
	free(msg);
	free(frame);
	return rc;
}

static void ws_close(int fd)
{
	static const uint8_t mask[4] = { 1, 2, 3, 4 };
	uint8_t frame[16];
	size_t n = ws_frame_encode(frame, sizeof(frame), WS_OP_CLOSE, NULL, 0, mask);

	send_all(fd, frame, n);
	close(fd);
}

/* The session on an open inspector: its pid must be ns_pid's. Returns
 * 0 when the script is in, 1 when the inspector is another process's. */
static int inject_session(long ns_pid, const char *script, const char **why)
{
	char path[256], *buf = malloc(BUF_MAX);
	const char *v;
	int fd = -1, rc = -1;

	*why = "no debugger target in /json/list";
	if (!buf || debugger_path(path, sizeof(path)))
		goto out;
	*why = "WebSocket handshake refused";
	fd = ws_open(path);
	if (fd < 0)
		goto out;
	*why = "evaluate process.pid failed";
	if (ws_evaluate(fd, 1, "process.pid", buf, BUF_MAX))
		goto out;
	v = strstr(buf, "\"value\":");
	if (!v || strtol(v + 8, NULL, 10) != ns_pid) {
		*why = "the inspector on 127.0.0.1:9229 belongs to another process";
		rc = 1;
		goto out;
	}
	*why = "the script failed";
	if (ws_evaluate(fd, 2, script, buf, BUF_MAX) || !strstr(buf, "\"zerotrace-ok\""))
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		ws_close(fd);
	free(buf);
	return rc;
}

static void inject(struct node_helper *nh, uint32_t pid)
{
	int handles_usr1, ns = -1, rc;
	uint64_t t0;
	long ns_pid;
	const char *why = NULL;
	char path[64];

	if (!proc_filter_match(&nh->filter, pid) || !is_node(pid) ||
	    status_read(pid, &handles_usr1, &ns_pid))
		return;
	if (!handles_usr1) {
		fprintf(stderr, "zerotrace: node helper: pid %u has no SIGUSR1 handler (its inspector is off): not signalled\n",
			pid);
		__atomic_add_fetch(&nh->stats.skipped, 1, __ATOMIC_RELAXED);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWNET)) {
		why = "cannot enter its network namespace";
		goto fail;
	}
	if (port_open()) {
		fprintf(stderr, "zerotrace: node helper: pid %u: 127.0.0.1:9229 is taken in its network namespace: not signalled\n",
			pid);
		__atomic_add_fetch(&nh->stats.skipped, 1, __ATOMIC_RELAXED);
		goto out;
	}
	t0 = mono_ns();
	if (kill((pid_t)pid, SIGUSR1)) {
		why = "SIGUSR1 refused";
		goto fail;
	}
	if (port_wait(1, OPEN_WAIT_MS)) {
		why = "its inspector did not open";
		goto fail;
	}
	rc = inject_session(ns_pid, nh->script, &why);
	if (rc)
		goto fail;
	__atomic_add_fetch(&nh->stats.injected, 1, __ATOMIC_RELAXED);
	if (port_wait(0, IO_TIMEOUT_MS)) {
		fprintf(stderr, "zerotrace: node helper: pid %u: its inspector is still open on 127.0.0.1:9229\n",
			pid);
		__atomic_add_fetch(&nh->stats.left_open, 1, __ATOMIC_RELAXED);
	} else {
		fprintf(stderr, "zerotrace: node helper: pid %u: script in, inspector closed (%llu ms)\n",
			pid, (unsigned long long)((mono_ns() - t0) / 1000000));
	}
	goto out;
fail:
	fprintf(stderr, "zerotrace: node helper: pid %u: %s: %s\n", pid, why,
		errno ? strerror(errno) : "");
	__atomic_add_fetch(&nh->stats.failed, 1, __ATOMIC_RELAXED);
out:
	if (ns >= 0)
		close(ns);
	if (setns(nh->home_ns, CLONE_NEWNET))
		fprintf(stderr, "zerotrace: node helper: back to the agent's network namespace: %s\n",
			strerror(errno));
}

static int done_has(const struct node_helper *nh, uint32_t pid)
{
	uint32_t n = nh->n_done < DONE_MAX ? nh->n_done : DONE_MAX;

	for (uint32_t i = 0; i < n; i++)
		if (nh->done[i] == pid)
			return 1;
	return 0;
}

static void *worker(void *arg)
{
	struct node_helper *nh = arg;

	pthread_mutex_lock(&nh->lock);
	while (!nh->stop) {
		uint64_t now = mono_ns();
		uint32_t pid = 0;

		for (uint32_t i = 0; i < nh->n_queue; i++) {
			if (nh->queue[i].due_ns > now)
				continue;
			pid = nh->queue[i].pid;
			nh->queue[i] = nh->queue[--nh->n_queue];
			break;
		}
		if (!pid) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&nh->cond, &nh->lock, &ts);
			continue;
		}
		nh->done[nh->n_done++ % DONE_MAX] = pid;
		pthread_mutex_unlock(&nh->lock);
		errno = 0;
		inject(nh, pid);
		pthread_mutex_lock(&nh->lock);
	}
	pthread_mutex_unlock(&nh->lock);
	return NULL;
}

struct node_helper *node_helper_start(const struct zt_config *cfg)
{
	struct node_helper *nh = calloc(1, sizeof(*nh));
	int err;

	if (!nh)
		return NULL;
	proc_filter_init(&nh->filter, cfg);
	snprintf(nh->script, sizeof(nh->script), "%s%s%s", helper_script_head,
		 cfg->logs ? helper_script_logs : "", helper_script_tail);
	nh->home_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (nh->home_ns < 0) {
		fprintf(stderr, "zerotrace: node helper: open our network namespace: %s\n",
			strerror(errno));
		free(nh);
		return NULL;
	}
	pthread_mutex_init(&nh->lock, NULL);
	pthread_cond_init(&nh->cond, NULL);
	err = pthread_create(&nh->thread, NULL, worker, nh);
	if (err) {
		fprintf(stderr, "zerotrace: node helper: start its thread: %s\n", strerror(err));
		close(nh->home_ns);
		free(nh);
		return NULL;
	}
	return nh;
}

static void queue_add(struct node_helper *nh, uint32_t pid, uint64_t due_ns)
{
	if (done_has(nh, pid))
		return;
	for (uint32_t i = 0; i < nh->n_queue; i++)
		if (nh->queue[i].pid == pid)
			return;
	if (nh->n_queue == QUEUE_MAX) {
		nh->stats.queue_full++;
		return;
	}
	nh->queue[nh->n_queue++] = (struct nh_item){ pid, due_ns };
	pthread_cond_signal(&nh->cond);
}

void node_helper_consider(struct node_helper *nh, uint32_t pid, uint64_t now_ns)
{
	if (!nh)
		return;
	pthread_mutex_lock(&nh->lock);
	queue_add(nh, pid, now_ns + DELAY_NS);
	pthread_mutex_unlock(&nh->lock);
}

static void queue_if_node(void *ctx, uint32_t pid)
{
	struct node_helper *nh = ctx;

	if (is_node(pid))
		queue_add(nh, pid, mono_ns());
}

void node_helper_scan_all(struct node_helper *nh)
{
	int err;

	if (!nh)
		return;
	pthread_mutex_lock(&nh->lock);
	err = proc_each_pid(queue_if_node, nh);
	pthread_mutex_unlock(&nh->lock);
	if (err)
		fprintf(stderr, "zerotrace: node helper: list /proc: %s; Node processes are found as they start\n",
			strerror(-err));
}

void node_helper_get_stats(struct node_helper *nh, struct node_helper_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!nh)
		return;
	pthread_mutex_lock(&nh->lock);
	*out = nh->stats;
	pthread_mutex_unlock(&nh->lock);
}

void node_helper_stop(struct node_helper *nh)
{
	if (!nh)
		return;
	pthread_mutex_lock(&nh->lock);
	nh->stop = 1;
	pthread_cond_signal(&nh->cond);
	pthread_mutex_unlock(&nh->lock);
	pthread_join(nh->thread, NULL);
	close(nh->home_ns);
	pthread_mutex_destroy(&nh->lock);
	pthread_cond_destroy(&nh->cond);
	free(nh);
}
