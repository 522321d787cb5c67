// SPDX-License-Identifier: MIT
/*
 * Process metadata for span resources (OpenTelemetry resource semantic
 * conventions: service.name, process.executable.*, container.id, k8s.*).
 *
 * Cache: 1024 entries as 256 sets of 4 ways (two busy pids never evict
 * each other), LRU within a set, no allocation. Keyed by pid; an entry also
 * remembers up to PI_ALIASES other thread names (comm) checked to belong to
 * it. A hit (pid and a known comm) makes no syscall, not even a clock read.
 *
 * Re-validation happens only when comm differs, not once per second: a
 * timer would need a clock read per event and still serve a reused pid for
 * up to a second, while exec and most pid reuses change comm at once. An
 * unknown comm reads /proc/PID/stat start_time (pid reuse) and
 * /proc/PID/exe (exec, which keeps start_time); if both match it is one
 * more thread name, learnt so that thread hits next time. A pid reused
 * under the same comm stays stale until procinfo_evict(), which the
 * tracer's process-exit event calls.
 *
 * Not thread-safe: procinfo_get/procinfo_evict run on the tracer's thread
 * (the environ buffer is static), and the pointer procinfo_get returns
 * stays valid until the next procinfo_get or procinfo_evict call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procinfo.h"
#include "text.h"

#define PI_SET_BITS 8
#define PI_SETS (1u << PI_SET_BITS)
#define PI_WAYS 4
#define PI_ALIASES 4               /* other thread names of one process */
#define PI_COMM_LEN 16             /* TASK_COMM_LEN */
#define PI_ENV_MAX 65536
#define PI_CGROUP_MAX 8192
#define PI_STAT_MAX 1024
#define PI_STAT_START_FIELD 22
#define PI_UTF8_BACKOFF 3          /* a UTF-8 sequence is at most 4 bytes */
#define PI_DELETED " (deleted)"
#define PI_SA_NAMESPACE "var/run/secrets/kubernetes.io/serviceaccount/namespace"

struct pi_slot {
	struct procinfo info;
	uint64_t last_use;                     /* pi_tick at the last get: LRU */
	char alias[PI_ALIASES][PI_COMM_LEN];   /* comms checked to be this process */
	uint8_t next_alias;
	uint8_t used;
};

_Static_assert(sizeof(((struct procinfo *)0)->comm) == PI_COMM_LEN, "comm is TASK_COMM_LEN");
_Static_assert(sizeof(((struct procinfo *)0)->container_id) > 64, "a 64-hex id fits");

static struct pi_slot pi_cache[PI_SETS][PI_WAYS];
static uint64_t pi_tick;
static uint64_t pi_generation;
/* One environ at a time; wiped after parsing (it can hold other programs'
 * secrets, which a core dump of the agent should not). */
static char pi_env[PI_ENV_MAX];

static struct procinfo_hooks pi_hooks;

static pthread_once_t pi_host_once = PTHREAD_ONCE_INIT;
static char pi_host[HOST_NAME_MAX + 1];

/* ---- text helpers ---- */

static int pi_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* ASCII letters and digits: what may not touch a container id. */
static int pi_is_word(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int pi_is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static void pi_trim(const char **s, size_t *n)
{
	while (*n && pi_is_space((*s)[0])) {
		(*s)++;
		(*n)--;
	}
	while (*n && pi_is_space((*s)[*n - 1]))
		(*n)--;
}

/* src[0..n) into dst[cap] as a string. A cut backs off over UTF-8
 * continuation bytes so no character is split (OTLP strings must be
 * UTF-8); at most PI_UTF8_BACKOFF bytes, so junk input cannot empty it. */
static void pi_copy(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap) {
		n = cap - 1;
		for (int k = 0; k < PI_UTF8_BACKOFF && n > 0 &&
				((unsigned char)src[n] & 0xc0) == 0x80; k++)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- pure parsers ---- */

/* Percent-decodes s[0..n) into out[0..cap): bytes beyond cap are still
 * validated but dropped. -1 on a bad escape or an encoded NUL, which a C
 * string cannot hold. */
static int pi_unescape(const char *s, size_t n, char *out, size_t cap, size_t *out_n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return -1;
			hi = text_hex_value(s[i + 1]);
			lo = text_hex_value(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (o < cap)
			out[o++] = c;
	}
	*out_n = o;
	return 0;
}

/* Stores key=value, the last value winning for a repeated key (OTLP keys
 * must be unique). 1 when added, 0 when replaced, -1 when the table is full. */
static int pi_attr_put(struct procinfo *pi, const char *key, const char *val, size_t val_n)
{
	struct resource_attr *a;

	for (uint32_t i = 0; i < pi->n_attrs; i++) {
		if (strcmp(pi->attrs[i].key, key) == 0) {
			pi_copy(pi->attrs[i].value, sizeof(a->value), val, val_n);
			return 0;
		}
	}
	if (pi->n_attrs >= PROCINFO_ATTRS_MAX)
		return -1;
	a = &pi->attrs[pi->n_attrs++];
	pi_copy(a->key, sizeof(a->key), key, strlen(key));
	pi_copy(a->value, sizeof(a->value), val, val_n);
	return 1;
}

/*
 * Follows the OTel SDK rules for OTEL_RESOURCE_ATTRIBUTES, with one
 * deliberate leniency: a bad pair is skipped instead of discarding the
 * whole value (the spec's SHOULD), so one typo does not cost a service its
 * other attributes. A raw '=' inside a value is kept (split at the first).
 */
int procinfo_parse_resource_attributes(const char *text, size_t len, struct procinfo *pi)
{
	static const char svc_key[] = "service.name";
	char key[PROCINFO_ATTR_KEY_MAX], val[PROCINFO_ATTR_VALUE_MAX];
	int added = 0, svc_free, svc_set = 0;
	size_t pos = 0;

	if (!text || !pi)
		return -1;
	len = strnlen(text, len);      /* environment text ends at a NUL */
	if (pi->n_attrs > PROCINFO_ATTRS_MAX)
		pi->n_attrs = PROCINFO_ATTRS_MAX;
	svc_free = pi->service_name[0] == '\0';

	while (pos < len) {
		const char *p = text + pos, *comma = memchr(p, ',', len - pos);
		size_t pair_n = comma ? (size_t)(comma - p) : len - pos;
		const char *eq = memchr(p, '=', pair_n);
		const char *k = p, *v;
		size_t kn, vn, val_n;

		pos += pair_n + 1;
		if (!eq)
			continue;
		kn = (size_t)(eq - p);
		v = eq + 1;
		vn = pair_n - kn - 1;
		pi_trim(&k, &kn);
		pi_trim(&v, &vn);
		if (!kn || pi_unescape(v, vn, val, sizeof(val), &val_n))
			continue;
		if (kn == sizeof(svc_key) - 1 && memcmp(k, svc_key, kn) == 0) {
			/* OTEL_SERVICE_NAME, applied before, keeps precedence */
			if (svc_free && val_n) {
				pi_copy(pi->service_name, sizeof(pi->service_name), val, val_n);
				svc_set = 1;
			}
			continue;
		}
		/* a cut key would be another key, maybe one already set */
		if (kn >= sizeof(key))
			continue;
		memcpy(key, k, kn);
		key[kn] = '\0';
		if (pi_attr_put(pi, key, val, val_n) == 1)
			added++;
	}
	return added + svc_set;
}

int procinfo_container_id(const char *cgroup_text, size_t len, char *out, size_t out_len)
{
	const char *t = cgroup_text;
	size_t i = 0, found = SIZE_MAX;

	if (out && out_len)
		out[0] = '\0';
	if (!t || !out || out_len < 65)
		return -1;
	/* A whole word of exactly 64 lowercase hex digits: the id sits between
	 * '/', '-' or '.' in every runtime's layout; the last one wins. */
	while (i < len) {
		size_t start;

		if (!pi_is_lower_hex(t[i])) {
			i++;
			continue;
		}
		start = i;
		while (i < len && pi_is_lower_hex(t[i]))
			i++;
		if (i - start == 64 && (start == 0 || !pi_is_word(t[start - 1])) &&
		    (i == len || !pi_is_word(t[i])))
			found = start;
	}
	if (found == SIZE_MAX)
		return -1;
	memcpy(out, t + found, 64);
	out[64] = '\0';
	return 0;
}

/* The value of key in a NUL-separated environ block, trimmed; the first
 * occurrence wins (getenv). NULL when absent or empty, which the OTel
 * environment-variable spec treats alike. */
static const char *pi_env_get(const char *env, size_t len, const char *key, size_t *vn)
{
	size_t kn = strlen(key), pos = 0;

	while (pos < len) {
		const char *e = env + pos, *nul = memchr(e, '\0', len - pos);
		size_t en = nul ? (size_t)(nul - e) : len - pos;

		pos += en + 1;
		if (en > kn && e[kn] == '=' && memcmp(e, key, kn) == 0) {
			const char *v = e + kn + 1;

			*vn = en - kn - 1;
			pi_trim(&v, vn);
			return *vn ? v : NULL;
		}
	}
	return NULL;
}

int procinfo_k8s_from_environ(const char *env, size_t len, struct procinfo *pi)
{
	static const char *const pod_keys[] = { "POD_NAME", "K8S_POD_NAME" };
	static const char *const ns_keys[] = {
		"POD_NAMESPACE", "K8S_NAMESPACE", "K8S_POD_NAMESPACE",
	};
	const char *v = NULL;
	size_t vn = 0, i;
	int found = 0;

	if (!env || !pi)
		return 0;
	for (i = 0; !v && i < sizeof(pod_keys) / sizeof(pod_keys[0]); i++)
		v = pi_env_get(env, len, pod_keys[i], &vn);
	/* a pod's HOSTNAME is its name, unless the pod spec overrides it */
	if (!v && pi_env_get(env, len, "KUBERNETES_SERVICE_HOST", &vn))
		v = pi_env_get(env, len, "HOSTNAME", &vn);
	if (v) {
		pi_copy(pi->k8s_pod_name, sizeof(pi->k8s_pod_name), v, vn);
		found++;
	}
	v = NULL;
	for (i = 0; !v && i < sizeof(ns_keys) / sizeof(ns_keys[0]); i++)
		v = pi_env_get(env, len, ns_keys[i], &vn);
	if (v) {
		pi_copy(pi->k8s_namespace, sizeof(pi->k8s_namespace), v, vn);
		found++;
	}
	return found;
}

/* comm (field 2) may hold spaces and ')', so fields are counted from the
 * last ')'. */
uint64_t procinfo_stat_field(const char *s, size_t n, unsigned int want)
{
	const char *paren = memrchr(s, ')', n);
	size_t i, field = 2;
	uint64_t v = 0;

	if (!paren || want < 3)
		return 0;
	i = (size_t)(paren - s) + 1;
	while (field < want) {
		if (i >= n || s[i] != ' ')
			return 0;
		i++;
		field++;
		if (field == want)
			break;
		while (i < n && s[i] != ' ')
			i++;
	}
	if (i >= n || s[i] < '0' || s[i] > '9')
		return 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v;
}

/* ---- /proc readers: every path is relative to one /proc/PID dirfd, so
 * all of an entry comes from one process even if the pid is reused
 * meanwhile (the old dirfd then fails instead of reading the new one). ---- */

static ssize_t pi_read_at(int dfd, const char *name, char *buf, size_t cap)
{
	size_t got = 0;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -1;
	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

static uint64_t pi_read_start_time(int dfd)
{
	char buf[PI_STAT_MAX];
	ssize_t n = pi_read_at(dfd, "stat", buf, sizeof(buf));

	return n > 0 ? procinfo_stat_field(buf, (size_t)n, PI_STAT_START_FIELD) : 0;
}

/* process.executable.path and .name; -1 (both "") when exe is unreadable:
 * a kernel thread, or no ptrace access. */
static int pi_read_exe(int dfd, char path[PROCINFO_PATH_MAX], char name[PROCINFO_NAME_MAX])
{
	const size_t dl = sizeof(PI_DELETED) - 1;
	char t[PATH_MAX];
	const char *base;
	ssize_t n = readlinkat(dfd, "exe", t, sizeof(t));

	path[0] = name[0] = '\0';
	if (n <= 0 || (size_t)n >= sizeof(t))
		return -1;
	/* an upgraded binary still runs: name it, not its unlinked state */
	if ((size_t)n > dl && memcmp(t + n - dl, PI_DELETED, dl) == 0)
		n -= (ssize_t)dl;
	base = memrchr(t, '/', (size_t)n);
	base = base ? base + 1 : t;
	pi_copy(name, PROCINFO_NAME_MAX, base, (size_t)(t + n - base));
	pi_copy(path, PROCINFO_PATH_MAX, t, (size_t)n);
	return 0;
}

/* The service account namespace the kubelet mounts into every pod. Resolved
 * with RESOLVE_IN_ROOT: /var/run is often an absolute link to /run, which a
 * plain walk through /proc/PID/root would follow into the agent's own root
 * (and, in a pod, its own namespace). Kernels before 5.6 just skip this. */
static void pi_read_sa_namespace(int dfd, struct procinfo *pi)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	char buf[PROCINFO_NAME_MAX];
	const char *v = buf;
	size_t vn = 0;
	ssize_t n;
	int root, fd;

	root = openat(dfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return;
	fd = (int)syscall(SYS_openat2, root, PI_SA_NAMESPACE, &how, sizeof(how));
	close(root);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return;
	vn = strnlen(buf, (size_t)n);
	pi_trim(&v, &vn);
	pi_copy(pi->k8s_namespace, sizeof(pi->k8s_namespace), v, vn);
}

static void pi_read_environ(int dfd, struct procinfo *pi)
{
	ssize_t n = pi_read_at(dfd, "environ", pi_env, sizeof(pi_env));
	const char *v;
	size_t vn;

	if (n <= 0)
		return;
	v = pi_env_get(pi_env, (size_t)n, "OTEL_SERVICE_NAME", &vn);
	if (v)
		pi_copy(pi->service_name, sizeof(pi->service_name), v, vn);
	v = pi_env_get(pi_env, (size_t)n, "OTEL_RESOURCE_ATTRIBUTES", &vn);
	if (v)
		procinfo_parse_resource_attributes(v, vn, pi);
	procinfo_k8s_from_environ(pi_env, (size_t)n, pi);
	explicit_bzero(pi_env, (size_t)n);
}

/* ---- the cache ---- */

static void pi_comm_copy(char dst[PI_COMM_LEN], const char *comm)
{
	size_t n = comm ? strnlen(comm, PI_COMM_LEN - 1) : 0;

	memset(dst, 0, PI_COMM_LEN);
	if (n)
		memcpy(dst, comm, n);
}

static struct pi_slot *pi_set_of(uint32_t pid)
{
	/* Fibonacci hashing: neighbouring pids spread over the sets */
	return pi_cache[((pid * 2654435761u) >> (32 - PI_SET_BITS)) & (PI_SETS - 1)];
}

static struct pi_slot *pi_find(struct pi_slot *set, uint32_t pid)
{
	for (int w = 0; w < PI_WAYS; w++)
		if (set[w].used && set[w].info.pid == pid)
			return &set[w];
	return NULL;
}

static struct pi_slot *pi_victim(struct pi_slot *set)
{
	struct pi_slot *v = &set[0];

	for (int w = 0; w < PI_WAYS; w++) {
		if (!set[w].used)
			return &set[w];
		if (set[w].last_use < v->last_use)
			v = &set[w];
	}
	return v;
}

static int pi_knows_comm(const struct pi_slot *s, const char *comm)
{
	if (strcmp(s->info.comm, comm) == 0)
		return 1;
	for (int a = 0; a < PI_ALIASES; a++)
		if (s->alias[a][0] && strcmp(s->alias[a], comm) == 0)
			return 1;
	return 0;
}

/* Same start_time and the same executable: a thread with its own name
 * (or a name set by prctl), not a new process and not an exec. */
static int pi_same_process(const struct pi_slot *s, int dfd, uint64_t start_time)
{
	char path[PROCINFO_PATH_MAX], name[PROCINFO_NAME_MAX];

	/* a gone entry has start_time 0, a live process never */
	if (start_time != s->info.start_time)
		return 0;
	pi_read_exe(dfd, path, name);
	return strcmp(path, s->info.exe_path) == 0;
}

static void pi_fill_gone(struct procinfo *pi, uint32_t pid, const char *comm)
{
	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	memcpy(pi->comm, comm, PI_COMM_LEN);
	pi_copy(pi->exe_name, sizeof(pi->exe_name), comm, strlen(comm));
	pi_copy(pi->service_name, sizeof(pi->service_name), comm, strlen(comm));
}

static void pi_fill(struct procinfo *pi, uint32_t pid, const char *comm, int dfd,
		    uint64_t start_time)
{
	char cgroup[PI_CGROUP_MAX];
	ssize_t n;

	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	pi->start_time = start_time;
	memcpy(pi->comm, comm, PI_COMM_LEN);
	if (pi_read_exe(dfd, pi->exe_path, pi->exe_name))
		pi_copy(pi->exe_name, sizeof(pi->exe_name), comm, strlen(comm));
	/* service.name: OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES */
	pi_read_environ(dfd, pi);
	n = pi_read_at(dfd, "cgroup", cgroup, sizeof(cgroup));
	if (n > 0)
		procinfo_container_id(cgroup, (size_t)n, pi->container_id,
				      sizeof(pi->container_id));
	if (!pi->k8s_namespace[0])
		pi_read_sa_namespace(dfd, pi);
	if (!pi->service_name[0])
		memcpy(pi->service_name, pi->exe_name, sizeof(pi->service_name));
}

/* A miss answered from /proc: s is the pid's cached entry, if any. */
static void pi_miss_from_proc(const struct pi_slot *s, uint32_t pid, const char *name,
			      struct procinfo_miss *m)
{
	char dir[32];
	uint64_t start_time = 0;
	int dfd;

	snprintf(dir, sizeof(dir), "/proc/%u", pid);
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		start_time = pi_read_start_time(dfd);
	m->same_process = s && dfd >= 0 && start_time && pi_same_process(s, dfd, start_time);
	if (!m->same_process && dfd >= 0 && start_time)
		pi_fill(&m->info, pid, name, dfd, start_time);
	else if (!m->same_process)
		pi_fill_gone(&m->info, pid, name);
	if (dfd >= 0)
		close(dfd);
}

const struct procinfo *procinfo_get(uint32_t pid, const char *comm)
{
	struct pi_slot *set = pi_set_of(pid), *s = pi_find(set, pid);
	struct procinfo_miss m;
	char name[PI_COMM_LEN];

	pi_comm_copy(name, comm);
	pi_tick++;
	if (s && pi_knows_comm(s, name)) {
		s->last_use = pi_tick;
		return &s->info;
	}

	/* zeroed whole: a recording writes it out, padding and all */
	memset(&m, 0, sizeof(m));
	m.pid = pid;
	memcpy(m.comm, name, PI_COMM_LEN);
	if (!pi_hooks.answer)
		pi_miss_from_proc(s, pid, m.comm, &m);
	else if (pi_hooks.answer(pi_hooks.ctx, pid, m.comm, &m) != 0) {
		m.same_process = 0;
		pi_fill_gone(&m.info, pid, m.comm);
	}
	if (pi_hooks.record)
		pi_hooks.record(pi_hooks.ctx, &m);
	if (s && m.same_process) {
		memcpy(s->alias[s->next_alias], m.comm, PI_COMM_LEN);
		s->next_alias = (uint8_t)((s->next_alias + 1) % PI_ALIASES);
	} else {
		if (!s)
			s = pi_victim(set);
		memset(s, 0, sizeof(*s));
		s->used = 1;
		/* a replay's answer may not fit the cache it finds: a gone entry */
		if (m.same_process)
			pi_fill_gone(&s->info, pid, m.comm);
		else
			s->info = m.info;
		s->info.generation = ++pi_generation;
	}
	s->last_use = pi_tick;
	return &s->info;
}

void procinfo_set_hooks(const struct procinfo_hooks *h)
{
	pi_hooks = h ? *h : (struct procinfo_hooks){ 0 };
}

void procinfo_evict(uint32_t pid)
{
	struct pi_slot *s = pi_find(pi_set_of(pid), pid);

	if (s)
		s->used = 0;
}

static void pi_host_init(void)
{
	if (gethostname(pi_host, sizeof(pi_host) - 1))
		pi_host[0] = '\0';
	pi_host[sizeof(pi_host) - 1] = '\0';
}

void procinfo_set_host_name(const char *name)
{
	pthread_once(&pi_host_once, pi_host_init);
	pi_copy(pi_host, sizeof(pi_host), name, strnlen(name, sizeof(pi_host) - 1));
}

const char *procinfo_host_name(void)
{
	pthread_once(&pi_host_once, pi_host_init);
	return pi_host;
}
