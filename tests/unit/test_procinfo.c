// SPDX-License-Identifier: MIT
/*
 * user/procinfo.c: the three pure parsers with exact values and hostile
 * input; procinfo_get on real processes (this test, `sleep` children with a
 * chosen environment, a chrooted child, a reused pid, a gone pid); a cache
 * hit checked to make no syscall at all under seccomp strict mode.
 */
#define _GNU_SOURCE /* execvpe, pipe2 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h> /* struct clone_args */
#include <sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procinfo.h"

TestSuite(procinfo);

#define PI_HEX64 "4bf92f3577b34da6a3ce929d0e0e47364bf92f3577b34da6a3ce929d0e0e4736"
#define PI_HEX64_B "00f067aa0ba902b700f067aa0ba902b700f067aa0ba902b700f067aa0ba902b7"
#define PI_POD_UID "9a54f49b-d260-4dd3-bf6b-953bb6018d58"
/* Above PID_MAX_LIMIT: no /proc entry can ever exist for these. */
#define PI_NO_PID 4194304u
#define PI_WAIT_MS 3000

/* ---- parser helpers ---- */

/* Runs the parser on a heap copy of s[0..n) with no terminator, so ASan
 * flags any read at or past n. */
static int pi_attrs(const char *s, size_t n, struct procinfo *pi)
{
	char *buf = malloc(n ? n : 1);
	int rc;

	cr_assert_not_null(buf);
	memcpy(buf, s, n);
	rc = procinfo_parse_resource_attributes(buf, n, pi);
	free(buf);
	return rc;
}

static int pi_attrs_str(const char *s, struct procinfo *pi)
{
	memset(pi, 0, sizeof(*pi));
	return pi_attrs(s, strlen(s), pi);
}

static void pi_assert_attr(const struct procinfo *pi, uint32_t i, const char *k, const char *v)
{
	cr_assert_lt(i, pi->n_attrs);
	cr_assert_str_eq(pi->attrs[i].key, k);
	cr_assert_str_eq(pi->attrs[i].value, v);
}

static int pi_cid(const char *s, char out[72])
{
	size_t n = strlen(s);
	char *buf = malloc(n ? n : 1);
	int rc;

	cr_assert_not_null(buf);
	memcpy(buf, s, n);
	memset(out, 'X', 72);
	rc = procinfo_container_id(buf, n, out, 72);
	free(buf);
	return rc;
}

static void pi_assert_cid(const char *cgroup, const char *want)
{
	char out[72];

	cr_assert_eq(pi_cid(cgroup, out), 0, "no id in %s", cgroup);
	cr_assert_str_eq(out, want);
}

/* An environ block from NULL-terminated strings, each ending in NUL. */
static size_t pi_env_block(char *buf, size_t cap, const char *const *vars)
{
	size_t n = 0;

	for (; *vars; vars++) {
		size_t l = strlen(*vars) + 1;

		cr_assert_leq(n + l, cap);
		memcpy(buf + n, *vars, l);
		n += l;
	}
	return n;
}

static int pi_k8s(const char *const *vars, struct procinfo *pi)
{
	char block[4096], *buf;
	size_t n = pi_env_block(block, sizeof(block), vars);
	int rc;

	buf = malloc(n ? n : 1);
	cr_assert_not_null(buf);
	memcpy(buf, block, n);
	memset(pi, 0, sizeof(*pi));
	rc = procinfo_k8s_from_environ(buf, n, pi);
	free(buf);
	return rc;
}

/* ---- process helpers ---- */

static void pi_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static ssize_t pi_slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap);
	close(fd);
	return n;
}

/* starttime, field 22, parsed independently of procinfo.c with sscanf. */
static uint64_t pi_start_time_of(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long st = 0;
	const char *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = pi_slurp(path, buf, sizeof(buf) - 1);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	cr_assert_not_null(p);
	cr_assert_eq(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
			    "%*d %*d %*d %*d %*d %*d %llu", &st), 1);
	return st;
}

/* The readlink of /proc/PID/exe, " (deleted)" kept (tests run binaries
 * that exist). */
static void pi_exe_of(pid_t pid, char *buf, size_t cap)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, cap - 1);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
}

static const char *pi_base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Until pid runs `sleep` with its environment in place: the close-on-exec
 * pipe closes before the new image's environ is set up. */
static void pi_wait_exec(pid_t pid)
{
	char path[64], buf[256], exe[PATH_MAX];
	int ms;

	for (ms = 0; ms < PI_WAIT_MS; ms += 2) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/environ", pid);
		n = pi_slurp(path, buf, sizeof(buf));
		pi_exe_of(pid, exe, sizeof(exe));
		if (n > 0 && strcmp(pi_base(exe), "sleep") == 0)
			return;
		pi_sleep_ms(2);
	}
	cr_assert_fail("pid %d never ran sleep", pid);
}

/* fork + exec `sleep 5` with exactly envp; returns once it runs. */
static pid_t pi_spawn_sleep(char *const envp[])
{
	char *const argv[] = { "sleep", "5", NULL };
	int fds[2];
	char c;
	pid_t pid;

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		execvpe("sleep", argv, envp);
		if (write(fds[1], "x", 1) < 0)
			_exit(126);
		_exit(127);
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], &c, 1), 0, "exec sleep failed");
	close(fds[0]);
	pi_wait_exec(pid);
	return pid;
}

static void pi_kill(pid_t pid)
{
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
}

/*
 * Calls procinfo_get(pid, comm) in a forked child under seccomp strict
 * mode, where any syscall but read/write/exit kills it (and any /proc read
 * needs an open first). True when the call made none and returned an entry
 * at the same offset in the cache as want.
 */
static int pi_hit_without_syscalls(uint32_t pid, const char *comm, const struct procinfo *want)
{
	int status;
	pid_t child = fork();

	cr_assert_geq(child, 0);
	if (child == 0) {
		const struct procinfo *got;

		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT))
			syscall(SYS_exit, 2);
		got = procinfo_get(pid, comm);
		syscall(SYS_exit, got == want ? 0 : 1);
	}
	cr_assert_eq(waitpid(child, &status, 0), child);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The namespace a pod's service account mount would show this test (our
 * own root is the children's): "" outside Kubernetes. */
static void pi_expected_sa_namespace(char *out, size_t cap)
{
	char buf[PROCINFO_NAME_MAX];
	ssize_t n = pi_slurp("/var/run/secrets/kubernetes.io/serviceaccount/namespace",
			     buf, sizeof(buf) - 1);

	out[0] = '\0';
	if (n <= 0)
		return;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	snprintf(out, cap, "%s", buf);
}

static void pi_expected_container_id(pid_t pid, char out[72])
{
	char path[64], buf[8192];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	n = pi_slurp(path, buf, sizeof(buf));
	cr_assert_geq(n, 0);
	if (procinfo_container_id(buf, (size_t)n, out, 72))
		out[0] = '\0';
}

/* ======== procinfo_parse_resource_attributes ======== */

Test(procinfo, attrs_two_pairs_exact)
{
	struct procinfo pi;

	cr_assert_eq(pi_attrs_str("deployment.environment=prod,service.version=1.2", &pi), 2);
	cr_assert_eq(pi.n_attrs, 2);
	pi_assert_attr(&pi, 0, "deployment.environment", "prod");
	pi_assert_attr(&pi, 1, "service.version", "1.2");
	cr_assert_str_eq(pi.service_name, "");
}

Test(procinfo, attrs_trimmed_and_percent_decoded)
{
	struct procinfo pi;

	cr_assert_eq(pi_attrs_str("  k1 = v1 ,\tk2=\tv2\t,k3=hello%20world%2C%3d,"
				  "k4=%E2%9C%93,k5= %20x%20 ,k6=a+b", &pi), 6);
	pi_assert_attr(&pi, 0, "k1", "v1");
	pi_assert_attr(&pi, 1, "k2", "v2");
	pi_assert_attr(&pi, 2, "k3", "hello world,=");
	pi_assert_attr(&pi, 3, "k4", "\xe2\x9c\x93");
	/* trimmed before decoding: encoded spaces stay */
	pi_assert_attr(&pi, 4, "k5", " x ");
	/* baggage, not a form: '+' is a plus */
	pi_assert_attr(&pi, 5, "k6", "a+b");
}

Test(procinfo, attrs_bad_escape_skips_only_its_pair)
{
	struct procinfo pi;

	cr_assert_eq(pi_attrs_str("a=%zz,b=%4,c=ok,d=100%,e=%,f=%0g,g=x%00y,h=%41", &pi), 2);
	cr_assert_eq(pi.n_attrs, 2);
	pi_assert_attr(&pi, 0, "c", "ok");
	pi_assert_attr(&pi, 1, "h", "A");
	/* percent as the very last byte of the text */
	cr_assert_eq(pi_attrs_str("k=v%", &pi), 0);
	cr_assert_eq(pi.n_attrs, 0);
	cr_assert_eq(pi_attrs_str("k=v%4", &pi), 0);
}

Test(procinfo, attrs_malformed_pairs_skipped)
{
	struct procinfo pi;

	cr_assert_eq(pi_attrs_str("novalue,=v,  =w,,, ,k=v,justtext", &pi), 1);
	cr_assert_eq(pi.n_attrs, 1);
	pi_assert_attr(&pi, 0, "k", "v");
	cr_assert_eq(pi_attrs_str(",,,,", &pi), 0);
	cr_assert_eq(pi_attrs_str("no equals sign at all", &pi), 0);
	cr_assert_eq(pi_attrs_str("", &pi), 0);
	cr_assert_eq(pi.n_attrs, 0);
}

Test(procinfo, attrs_empty_value_and_raw_equals_kept)
{
	struct procinfo pi;

	cr_assert_eq(pi_attrs_str("empty=,k=a=b,sp=   ", &pi), 3);
	pi_assert_attr(&pi, 0, "empty", "");
	pi_assert_attr(&pi, 1, "k", "a=b");
	pi_assert_attr(&pi, 2, "sp", "");
}

Test(procinfo, attrs_service_name_fills_only_an_empty_one)
{
	struct procinfo pi;

	cr_assert_eq(pi_attrs_str("service.name=cart%20v2,team=shop", &pi), 2);
	cr_assert_str_eq(pi.service_name, "cart v2");
	cr_assert_eq(pi.n_attrs, 1);
	pi_assert_attr(&pi, 0, "team", "shop");

	/* OTEL_SERVICE_NAME already set it: kept, and not copied to attrs */
	memset(&pi, 0, sizeof(pi));
	strcpy(pi.service_name, "checkout");
	cr_assert_eq(pi_attrs("service.name=cart,team=shop", 27, &pi), 1);
	cr_assert_str_eq(pi.service_name, "checkout");
	cr_assert_eq(pi.n_attrs, 1);
	pi_assert_attr(&pi, 0, "team", "shop");

	/* an empty service.name is no name; the last one in the text wins */
	cr_assert_eq(pi_attrs_str("service.name=,x=1", &pi), 1);
	cr_assert_str_eq(pi.service_name, "");
	cr_assert_eq(pi_attrs_str("service.name=a,service.name=b", &pi), 1);
	cr_assert_str_eq(pi.service_name, "b");
	cr_assert_eq(pi.n_attrs, 0);
}

Test(procinfo, attrs_repeated_key_last_wins_once)
{
	struct procinfo pi;

	cr_assert_eq(pi_attrs_str("a=1,b=2,a=3", &pi), 2);
	cr_assert_eq(pi.n_attrs, 2);
	pi_assert_attr(&pi, 0, "a", "3");
	pi_assert_attr(&pi, 1, "b", "2");
	/* a second text appends, still with unique keys */
	cr_assert_eq(pi_attrs("b=9,c=4", 7, &pi), 1);
	cr_assert_eq(pi.n_attrs, 3);
	pi_assert_attr(&pi, 1, "b", "9");
	pi_assert_attr(&pi, 2, "c", "4");
}

Test(procinfo, attrs_hundred_pairs_keep_the_first_sixteen)
{
	char text[2048], key[16], val[16];
	struct procinfo pi;
	size_t n = 0;

	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%sk%d=v%d", i ? "," : "", i, i);
	memset(&pi, 0, sizeof(pi));
	cr_assert_eq(pi_attrs(text, n, &pi), PROCINFO_ATTRS_MAX);
	cr_assert_eq(pi.n_attrs, PROCINFO_ATTRS_MAX);
	for (int i = 0; i < PROCINFO_ATTRS_MAX; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		snprintf(val, sizeof(val), "v%d", i);
		pi_assert_attr(&pi, (uint32_t)i, key, val);
	}
	/* a full table still takes the new value of a key it has */
	cr_assert_eq(pi_attrs("k3=new,k99=no", 13, &pi), 0);
	pi_assert_attr(&pi, 3, "k3", "new");
	cr_assert_eq(pi.n_attrs, PROCINFO_ATTRS_MAX);
}

Test(procinfo, attrs_long_key_skipped_long_value_truncated)
{
	static char text[20000];
	struct procinfo pi;
	size_t n = 0;

	memset(text, 'k', 1000);
	n = 1000;
	text[n++] = '=';
	memset(text + n, 'v', 10000);
	n += 10000;
	memset(&pi, 0, sizeof(pi));
	cr_assert_eq(pi_attrs(text, n, &pi), 0);
	cr_assert_eq(pi.n_attrs, 0);

	memcpy(text, "k=", 2);
	memset(text + 2, 'v', 10000);
	n = 10002;
	memset(&pi, 0, sizeof(pi));
	cr_assert_eq(pi_attrs(text, n, &pi), 1);
	cr_assert_str_eq(pi.attrs[0].key, "k");
	cr_assert_eq(strlen(pi.attrs[0].value), PROCINFO_ATTR_VALUE_MAX - 1);
	cr_assert_eq(strspn(pi.attrs[0].value, "v"), PROCINFO_ATTR_VALUE_MAX - 1);

	/* 200 x U+00E9 (2 bytes): cut to 126 bytes, never half a character */
	n = (size_t)snprintf(text, sizeof(text), "name=");
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%%C3%%A9");
	memset(&pi, 0, sizeof(pi));
	cr_assert_eq(pi_attrs(text, n, &pi), 1);
	cr_assert_eq(strlen(pi.attrs[0].value), 126);
	cr_assert_eq((unsigned char)pi.attrs[0].value[124], 0xc3);
	cr_assert_eq((unsigned char)pi.attrs[0].value[125], 0xa9);

	/* 63 bytes fit; 64 would be cut, and a cut key can be another key:
	 * here service.name, which must not become an attribute */
	n = (size_t)snprintf(text, sizeof(text), "k%062d=v", 0);
	memset(&pi, 0, sizeof(pi));
	cr_assert_eq(pi_attrs(text, n, &pi), 1);
	cr_assert_eq(strlen(pi.attrs[0].key), 63);
	n = (size_t)snprintf(text, sizeof(text), "k%063d=v", 0);
	memset(&pi, 0, sizeof(pi));
	cr_assert_eq(pi_attrs(text, n, &pi), 0);
	n = (size_t)snprintf(text, sizeof(text), "service.name%60s tail=cart,a=b", "");
	memset(&pi, 0, sizeof(pi));
	cr_assert_eq(pi_attrs(text, n, &pi), 1);
	cr_assert_str_eq(pi.service_name, "");
	pi_assert_attr(&pi, 0, "a", "b");

	/* a long bad escape far out still voids the pair */
	memset(text, 'a', 5000);
	memcpy(text, "k=", 2);
	memcpy(text + 4998, "%G", 2);
	memset(&pi, 0, sizeof(pi));
	cr_assert_eq(pi_attrs(text, 5000, &pi), 0);
}

Test(procinfo, attrs_null_len_and_nul_bound_the_text)
{
	struct procinfo pi;

	memset(&pi, 0, sizeof(pi));
	cr_assert_eq(procinfo_parse_resource_attributes(NULL, 5, &pi), -1);
	cr_assert_eq(procinfo_parse_resource_attributes("a=b", 3, NULL), -1);
	/* only len bytes count */
	cr_assert_eq(pi_attrs("a=1,b=2", 3, &pi), 1);
	pi_assert_attr(&pi, 0, "a", "1");
	/* environment text ends at its NUL */
	memset(&pi, 0, sizeof(pi));
	cr_assert_eq(pi_attrs("a=1\0b=2", 7, &pi), 1);
	cr_assert_eq(pi.n_attrs, 1);
}

/* ======== procinfo_container_id ======== */

Test(procinfo, cid_docker_systemd_cgroup_v2)
{
	pi_assert_cid("0::/system.slice/docker-" PI_HEX64 ".scope\n", PI_HEX64);
}

Test(procinfo, cid_docker_cgroupfs)
{
	pi_assert_cid("0::/docker/" PI_HEX64 "\n", PI_HEX64);
}

Test(procinfo, cid_kubepods_cgroup_v1_lines)
{
	pi_assert_cid("12:cpu,cpuacct:/kubepods/burstable/pod" PI_POD_UID "/" PI_HEX64 "\n"
		      "11:memory:/kubepods/burstable/pod" PI_POD_UID "/" PI_HEX64 "\n"
		      "1:name=systemd:/kubepods/burstable/pod" PI_POD_UID "/" PI_HEX64 "\n",
		      PI_HEX64);
	pi_assert_cid("12:cpu:/kubepods/burstable/pod" PI_POD_UID "/" PI_HEX64, PI_HEX64);
}

Test(procinfo, cid_containerd_kubepods_systemd)
{
	pi_assert_cid("0::/kubepods.slice/kubepods-besteffort.slice/"
		      "kubepods-besteffort-pod9a54f49b_d260_4dd3_bf6b_953bb6018d58.slice/"
		      "cri-containerd-" PI_HEX64 ".scope\n", PI_HEX64);
}

Test(procinfo, cid_crio_and_libpod)
{
	pi_assert_cid("0::/kubepods.slice/kubepods-pod" PI_POD_UID ".slice/crio-" PI_HEX64
		      ".scope\n", PI_HEX64);
	pi_assert_cid("0::/machine.slice/libpod-" PI_HEX64 ".scope/container\n", PI_HEX64);
}

Test(procinfo, cid_last_match_wins)
{
	pi_assert_cid("5:pids:/docker/" PI_HEX64 "\n0::/docker/" PI_HEX64_B "\n", PI_HEX64_B);
}

Test(procinfo, cid_none)
{
	char out[72], text[128];

	/* a host process; a 32-hex sandbox cgroup; cgroup namespace root */
	cr_assert_eq(pi_cid("0::/user.slice/user-1000.slice/session-2.scope\n", out), -1);
	cr_assert_str_eq(out, "");
	cr_assert_eq(pi_cid("4:memory:/process_api/9a54f49bd260add3f6b953bb6018d58f\n0::/\n",
			    out), -1);
	cr_assert_eq(pi_cid("0::/\n", out), -1);
	cr_assert_eq(pi_cid("", out), -1);
	/* 63 and 65 digits, upper case, glued to letters */
	cr_assert_eq(pi_cid("0::/docker/" PI_HEX64 "a\n", out), -1);
	snprintf(text, sizeof(text), "0::/docker/%.63s\n", PI_HEX64);
	cr_assert_eq(pi_cid(text, out), -1);
	cr_assert_eq(pi_cid("0::/docker/4BF92F3577B34DA6A3CE929D0E0E47364BF92F3577B34DA6A3CE"
			    "929D0E0E4736\n", out), -1);
	cr_assert_eq(pi_cid("0::/docker/x" PI_HEX64 "\n", out), -1);
	cr_assert_eq(pi_cid("0::/docker/" PI_HEX64 "Z\n", out), -1);
}

Test(procinfo, cid_bad_arguments)
{
	char small[64];

	memset(small, 'X', sizeof(small));
	cr_assert_eq(procinfo_container_id("0::/docker/" PI_HEX64, 75, small, sizeof(small)), -1);
	cr_assert_eq(small[0], '\0');
	cr_assert_eq(small[1], 'X');
	cr_assert_eq(procinfo_container_id(NULL, 10, small, sizeof(small)), -1);
	cr_assert_eq(procinfo_container_id("x", 1, NULL, 72), -1);
}

/* ======== procinfo_k8s_from_environ ======== */

Test(procinfo, k8s_pod_and_namespace)
{
	const char *const env[] = { "PATH=/bin", "POD_NAME=web-7d9f-abcde",
				    "POD_NAMESPACE=shop", NULL };
	struct procinfo pi;

	cr_assert_eq(pi_k8s(env, &pi), 2);
	cr_assert_str_eq(pi.k8s_pod_name, "web-7d9f-abcde");
	cr_assert_str_eq(pi.k8s_namespace, "shop");
}

Test(procinfo, k8s_prefixed_names)
{
	const char *const env[] = { "K8S_POD_NAME=api-0", "K8S_NAMESPACE=prod", NULL };
	const char *const env2[] = { "K8S_POD_NAMESPACE=staging", NULL };
	struct procinfo pi;

	cr_assert_eq(pi_k8s(env, &pi), 2);
	cr_assert_str_eq(pi.k8s_pod_name, "api-0");
	cr_assert_str_eq(pi.k8s_namespace, "prod");
	cr_assert_eq(pi_k8s(env2, &pi), 1);
	cr_assert_str_eq(pi.k8s_pod_name, "");
	cr_assert_str_eq(pi.k8s_namespace, "staging");
}

Test(procinfo, k8s_hostname_only_inside_kubernetes)
{
	const char *const outside[] = { "HOSTNAME=laptop", NULL };
	const char *const inside[] = { "HOSTNAME=cart-5f6b-x2x9z",
				       "KUBERNETES_SERVICE_HOST=10.96.0.1", NULL };
	const char *const named[] = { "HOSTNAME=cart-5f6b-x2x9z", "K8S_POD_NAME=cart-1",
				      "KUBERNETES_SERVICE_HOST=10.96.0.1", NULL };
	struct procinfo pi;

	cr_assert_eq(pi_k8s(outside, &pi), 0);
	cr_assert_str_eq(pi.k8s_pod_name, "");
	cr_assert_eq(pi_k8s(inside, &pi), 1);
	cr_assert_str_eq(pi.k8s_pod_name, "cart-5f6b-x2x9z");
	cr_assert_eq(pi_k8s(named, &pi), 1);
	cr_assert_str_eq(pi.k8s_pod_name, "cart-1");
}

Test(procinfo, k8s_precedence_not_order)
{
	const char *const env[] = { "K8S_POD_NAMESPACE=c", "K8S_NAMESPACE=b", "K8S_POD_NAME=y",
				    "POD_NAMESPACE=a", "POD_NAME=x", NULL };
	const char *const env2[] = { "K8S_POD_NAMESPACE=c", "K8S_NAMESPACE=b", NULL };
	struct procinfo pi;

	cr_assert_eq(pi_k8s(env, &pi), 2);
	cr_assert_str_eq(pi.k8s_pod_name, "x");
	cr_assert_str_eq(pi.k8s_namespace, "a");
	cr_assert_eq(pi_k8s(env2, &pi), 1);
	cr_assert_str_eq(pi.k8s_namespace, "b");
}

Test(procinfo, k8s_empty_near_and_repeated_names)
{
	/* empty is unset; POD_NAMEX and POD_NAME (no '=') are other names;
	 * the first of two POD_NAMESPACE wins, as getenv's would */
	const char *const env[] = { "POD_NAME=", "POD_NAMEX=nope", "POD_NAME", "K8S_POD_NAME=ok",
				    "POD_NAMESPACE=first", "POD_NAMESPACE=second",
				    "KUBERNETES_SERVICE_HOST=", "HOSTNAME=h", NULL };
	const char *const empty_k8s[] = { "KUBERNETES_SERVICE_HOST=", "HOSTNAME=h", NULL };
	struct procinfo pi;

	cr_assert_eq(pi_k8s(env, &pi), 2);
	cr_assert_str_eq(pi.k8s_pod_name, "ok");
	cr_assert_str_eq(pi.k8s_namespace, "first");
	cr_assert_eq(pi_k8s(empty_k8s, &pi), 0);
}

Test(procinfo, k8s_unterminated_long_and_null)
{
	char env[600];
	struct procinfo pi;
	size_t n;

	/* the last variable has no NUL: environ read to a length limit */
	memset(&pi, 0, sizeof(pi));
	cr_assert_eq(procinfo_k8s_from_environ("A=1\0POD_NAMESPACE=tail", 22, &pi), 1);
	cr_assert_str_eq(pi.k8s_namespace, "tail");
	n = (size_t)snprintf(env, sizeof(env), "POD_NAME=");
	memset(env + n, 'p', 500);
	memset(&pi, 0, sizeof(pi));
	cr_assert_eq(procinfo_k8s_from_environ(env, n + 500, &pi), 1);
	cr_assert_eq(strlen(pi.k8s_pod_name), PROCINFO_NAME_MAX - 1);
	cr_assert_eq(procinfo_k8s_from_environ(NULL, 10, &pi), 0);
	cr_assert_eq(procinfo_k8s_from_environ(env, 10, NULL), 0);
	cr_assert_eq(procinfo_k8s_from_environ(env, 0, &pi), 0);
}

/* ======== procinfo_get ======== */

Test(procinfo, get_self)
{
	char exe[PATH_MAX], cid[72], ns[PROCINFO_NAME_MAX];
	const struct procinfo *pi = procinfo_get((uint32_t)getpid(), "unit_tests");
	const char *svc = getenv("OTEL_SERVICE_NAME");

	pi_exe_of(getpid(), exe, sizeof(exe));
	cr_assert_eq(pi->pid, (uint32_t)getpid());
	cr_assert_str_eq(pi->comm, "unit_tests");
	cr_assert(strcmp(pi->exe_name, "unit_tests") == 0 ||
		  strcmp(pi->exe_name, "unit_tests_asan") == 0, "exe_name %s", pi->exe_name);
	cr_assert_str_eq(pi->exe_name, pi_base(exe));
	cr_assert_str_eq(pi->exe_path, exe);
	cr_assert_eq(pi->start_time, pi_start_time_of(getpid()));
	cr_assert_neq(pi->start_time, 0);
	if (!(svc && *svc) && !getenv("OTEL_RESOURCE_ATTRIBUTES"))
		cr_assert_str_eq(pi->service_name, pi->exe_name);
	pi_expected_container_id(getpid(), cid);
	cr_assert_str_eq(pi->container_id, cid);
	if (!getenv("POD_NAMESPACE") && !getenv("K8S_NAMESPACE") && !getenv("K8S_POD_NAMESPACE")) {
		pi_expected_sa_namespace(ns, sizeof(ns));
		cr_assert_str_eq(pi->k8s_namespace, ns);
	}
	/* the same call again is the same entry */
	cr_assert_neq(pi->generation, 0);
	cr_assert_eq(procinfo_get((uint32_t)getpid(), "unit_tests"), pi);
	cr_assert_eq(pi->generation, 1);
}

/* Answers as a replay does: process `comm` of pid, a new one unless the
 * comm is "thread" (another name of the process already cached). */
static int pi_answer_as(void *ctx, uint32_t pid, const char *comm, struct procinfo_miss *m)
{
	(void)ctx;
	m->same_process = strcmp(comm, "thread") == 0;
	m->info.pid = pid;
	m->info.start_time = 7;
	snprintf(m->info.comm, sizeof(m->info.comm), "%s", comm);
	snprintf(m->info.exe_name, sizeof(m->info.exe_name), "%s", comm);
	snprintf(m->info.service_name, sizeof(m->info.service_name), "%s", comm);
	m->info.generation = 99; /* whatever a recording held: the cache sets its own */
	return 0;
}

/* A rendering of an entry is reused while its generation holds: a new
 * process in the entry (exec, pid reuse) is a new generation, another
 * thread name of the same process is not. */
Test(procinfo, generation_changes_with_the_process_only)
{
	const struct procinfo_hooks h = { .answer = pi_answer_as };
	const struct procinfo *pi;
	uint64_t first;

	procinfo_set_hooks(&h);
	pi = procinfo_get(4000, "web");
	first = pi->generation;
	cr_assert_eq(first, 1);
	cr_assert_eq(procinfo_get(4000, "web")->generation, first);
	cr_assert_eq(procinfo_get(4000, "thread")->generation, first);
	cr_assert_str_eq(pi->exe_name, "web");
	pi = procinfo_get(4000, "worker");
	cr_assert_str_eq(pi->exe_name, "worker");
	cr_assert_eq(pi->generation, first + 1);
	cr_assert_eq(procinfo_get(4001, "web")->generation, first + 2);
	procinfo_set_hooks(NULL);
}

Test(procinfo, get_child_otel_environment)
{
	char *const envp[] = {
		"OTEL_SERVICE_NAME=checkout",
		"OTEL_RESOURCE_ATTRIBUTES=deployment.environment=prod,service.version=1.2",
		NULL,
	};
	char exe[PATH_MAX], cid[72], ns[PROCINFO_NAME_MAX];
	pid_t child = pi_spawn_sleep(envp);
	const struct procinfo *pi = procinfo_get((uint32_t)child, "sleep");

	pi_exe_of(child, exe, sizeof(exe));
	pi_expected_container_id(child, cid);
	pi_expected_sa_namespace(ns, sizeof(ns));
	cr_assert_eq(pi->pid, (uint32_t)child);
	cr_assert_eq(pi->start_time, pi_start_time_of(child));
	cr_assert_str_eq(pi->comm, "sleep");
	cr_assert_str_eq(pi->exe_name, "sleep");
	cr_assert_str_eq(pi->exe_path, exe);
	cr_assert_str_eq(pi->service_name, "checkout");
	cr_assert_eq(pi->n_attrs, 2);
	pi_assert_attr(pi, 0, "deployment.environment", "prod");
	pi_assert_attr(pi, 1, "service.version", "1.2");
	cr_assert_str_eq(pi->container_id, cid);
	cr_assert_str_eq(pi->k8s_pod_name, "");
	cr_assert_str_eq(pi->k8s_namespace, ns);
	pi_kill(child);
}

Test(procinfo, get_service_name_precedence)
{
	char *const both[] = { "OTEL_SERVICE_NAME=checkout",
			       "OTEL_RESOURCE_ATTRIBUTES=service.name=cart,team=shop", NULL };
	char *const attrs_only[] = { "OTEL_RESOURCE_ATTRIBUTES=service.name=cart,team=shop",
				     NULL };
	char *const blank[] = { "OTEL_SERVICE_NAME=", "OTEL_RESOURCE_ATTRIBUTES=", NULL };
	pid_t a = pi_spawn_sleep(both), b = pi_spawn_sleep(attrs_only), c = pi_spawn_sleep(blank);
	const struct procinfo *pi;

	pi = procinfo_get((uint32_t)a, "sleep");
	cr_assert_str_eq(pi->service_name, "checkout");
	cr_assert_eq(pi->n_attrs, 1);
	pi_assert_attr(pi, 0, "team", "shop");
	pi = procinfo_get((uint32_t)b, "sleep");
	cr_assert_str_eq(pi->service_name, "cart");
	cr_assert_eq(pi->n_attrs, 1);
	/* empty variables are unset: the executable names the service */
	pi = procinfo_get((uint32_t)c, "sleep");
	cr_assert_str_eq(pi->service_name, "sleep");
	cr_assert_eq(pi->n_attrs, 0);
	pi_kill(a);
	pi_kill(b);
	pi_kill(c);
}

Test(procinfo, get_child_k8s_environment)
{
	char *const envp[] = { "HOSTNAME=web-0", "KUBERNETES_SERVICE_HOST=10.96.0.1",
			       "K8S_NAMESPACE=shop", NULL };
	pid_t child = pi_spawn_sleep(envp);
	const struct procinfo *pi = procinfo_get((uint32_t)child, "sleep");

	cr_assert_str_eq(pi->k8s_pod_name, "web-0");
	cr_assert_str_eq(pi->k8s_namespace, "shop");
	cr_assert_str_eq(pi->service_name, "sleep");
	pi_kill(child);
}

Test(procinfo, get_hit_makes_no_syscall)
{
	char *const envp[] = { "OTEL_SERVICE_NAME=checkout", NULL };
	pid_t child = pi_spawn_sleep(envp);
	const struct procinfo *pi = procinfo_get((uint32_t)child, "sleep");

	cr_assert(pi_hit_without_syscalls((uint32_t)child, "sleep", pi));
	/* the check itself can fail: an unknown comm reads /proc */
	cr_assert_not(pi_hit_without_syscalls((uint32_t)child, "other", pi));
	pi_kill(child);
}

Test(procinfo, get_thread_names_share_the_entry)
{
	char *const envp[] = { "OTEL_SERVICE_NAME=checkout", NULL };
	char name[32];
	pid_t child = pi_spawn_sleep(envp);
	const struct procinfo *pi = procinfo_get((uint32_t)child, "sleep");

	/* same start_time, same exe: another thread's name, not a new process */
	cr_assert_eq(procinfo_get((uint32_t)child, "worker-1"), pi);
	cr_assert_str_eq(pi->service_name, "checkout");
	cr_assert_str_eq(pi->comm, "sleep");
	cr_assert(pi_hit_without_syscalls((uint32_t)child, "worker-1", pi));
	for (int i = 2; i < 10; i++) {
		snprintf(name, sizeof(name), "worker-%d", i);
		cr_assert_eq(procinfo_get((uint32_t)child, name), pi);
	}
	/* the first name seen is never forgotten */
	cr_assert(pi_hit_without_syscalls((uint32_t)child, "sleep", pi));
	pi_kill(child);
}

Test(procinfo, get_exec_is_seen_on_a_new_comm_and_after_evict)
{
	char *const envp[] = { "OTEL_SERVICE_NAME=checkout",
			       "OTEL_RESOURCE_ATTRIBUTES=service.version=1.2", NULL };
	char *const argv[] = { "sleep", "5", NULL };
	char exe[PATH_MAX];
	const struct procinfo *pi;
	uint64_t start;
	int go[2];
	pid_t child;

	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) == 1)
			execvpe("sleep", argv, envp);
		_exit(127);
	}
	close(go[0]);
	pi_exe_of(getpid(), exe, sizeof(exe));
	pi = procinfo_get((uint32_t)child, "pi-before");
	start = pi->start_time;
	cr_assert_eq(start, pi_start_time_of(child));
	cr_assert_str_eq(pi->exe_name, pi_base(exe));

	cr_assert_eq(write(go[1], "x", 1), 1);
	close(go[1]);
	pi_wait_exec(child);
	/* a hit reads nothing: the old image is still described */
	cr_assert_eq(procinfo_get((uint32_t)child, "pi-before"), pi);
	cr_assert_str_eq(pi->exe_name, pi_base(exe));
	/* exec keeps start_time but changes exe: refreshed */
	pi = procinfo_get((uint32_t)child, "sleep");
	cr_assert_eq(pi->start_time, start);
	cr_assert_str_eq(pi->exe_name, "sleep");
	cr_assert_str_eq(pi->service_name, "checkout");
	cr_assert_eq(pi->n_attrs, 1);
	pi_assert_attr(pi, 0, "service.version", "1.2");
	/* evicted: the old comm reads /proc again instead of hitting */
	procinfo_evict((uint32_t)child);
	pi = procinfo_get((uint32_t)child, "pi-before");
	cr_assert_str_eq(pi->comm, "pi-before");
	cr_assert_str_eq(pi->exe_name, "sleep");
	cr_assert_str_eq(pi->service_name, "checkout");
	cr_assert_eq(pi->start_time, start);
	pi_kill(child);
}

/* `sleep 5` with exactly envp at exactly pid (clone3 set_tid: root, kernel
 * 5.5+); -1 when this host does not allow it. */
static pid_t pi_spawn_sleep_at(pid_t pid, char *const envp[])
{
	char *const argv[] = { "sleep", "5", NULL };
	struct clone_args args;
	int fds[2];
	char c;
	long r;

	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	args.set_tid = (uint64_t)(uintptr_t)&pid;
	args.set_tid_size = 1;
	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	r = syscall(SYS_clone3, &args, sizeof(args));
	if (r == 0) {
		close(fds[0]);
		execvpe("sleep", argv, envp);
		syscall(SYS_exit_group, 127);
	}
	close(fds[1]);
	if (r < 0) {
		close(fds[0]);
		return -1;
	}
	cr_assert_eq(read(fds[0], &c, 1), 0, "exec sleep failed");
	close(fds[0]);
	pi_wait_exec((pid_t)r);
	return (pid_t)r;
}

/* Same executable, same comm as the caller claims: only start_time tells
 * the processes apart. */
Test(procinfo, get_pid_reuse_seen_by_start_time)
{
	char *const env1[] = { "OTEL_SERVICE_NAME=first", NULL };
	char *const env2[] = { "OTEL_SERVICE_NAME=second", NULL };
	char *const env3[] = { "OTEL_SERVICE_NAME=third", NULL };
	const struct procinfo *pi;
	pid_t pid = pi_spawn_sleep(env1), again;
	uint64_t first, second;

	pi = procinfo_get((uint32_t)pid, "sleep");
	first = pi->start_time;
	cr_assert_str_eq(pi->service_name, "first");
	pi_kill(pid);
	pi_sleep_ms(30); /* start_time counts 10 ms clock ticks */
	again = pi_spawn_sleep_at(pid, env2);
	if (again < 0)
		cr_skip_test("clone3 set_tid not permitted here: %s", strerror(errno));
	cr_assert_eq(again, pid);
	second = pi_start_time_of(pid);
	cr_assert_gt(second, first);

	/* same comm: a hit, stale until the exit path evicts (by design) */
	pi = procinfo_get((uint32_t)pid, "sleep");
	cr_assert_eq(pi->start_time, first);
	cr_assert_str_eq(pi->service_name, "first");
	/* a new comm re-validates: start_time differs, so all is re-read */
	pi = procinfo_get((uint32_t)pid, "sleep-worker");
	cr_assert_eq(pi->start_time, second);
	cr_assert_str_eq(pi->service_name, "second");
	cr_assert_str_eq(pi->comm, "sleep-worker");
	cr_assert_str_eq(pi->exe_name, "sleep");
	pi_kill(pid);

	/* reused again under a known comm: evict + get reads the new one */
	pi_sleep_ms(30);
	cr_assert_eq(pi_spawn_sleep_at(pid, env3), pid);
	cr_assert_str_eq(procinfo_get((uint32_t)pid, "sleep-worker")->service_name, "second");
	procinfo_evict((uint32_t)pid);
	pi = procinfo_get((uint32_t)pid, "sleep-worker");
	cr_assert_str_eq(pi->service_name, "third");
	cr_assert_eq(pi->start_time, pi_start_time_of(pid));
	cr_assert_gt(pi->start_time, second);
	pi_kill(pid);
}

/* A forked copy of this test that renames itself (prctl PR_SET_NAME) and
 * idles until *hold closes or it is killed. */
static pid_t pi_spawn_renamed(const char *name, int *hold)
{
	int ready[2], idle[2];
	char c = 0;
	pid_t child;

	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(idle, O_CLOEXEC), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		close(ready[0]);
		close(idle[1]);
		c = prctl(PR_SET_NAME, name) ? 'e' : 'k';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		while (read(idle[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	close(idle[0]);
	cr_assert_eq(read(ready[0], &c, 1), 1);
	cr_assert_eq(c, 'k');
	close(ready[0]);
	*hold = idle[1];
	return child;
}

Test(procinfo, get_comm_with_spaces_and_parens)
{
	static const char name[] = "a) b (c) 9 9 9";
	char path[64], stat[512];
	const struct procinfo *pi;
	int hold;
	pid_t child = pi_spawn_renamed(name, &hold);
	ssize_t n;

	/* the kernel prints it raw: "PID (a) b (c) 9 9 9) S PPID ..." */
	snprintf(path, sizeof(path), "/proc/%d/stat", child);
	n = pi_slurp(path, stat, sizeof(stat) - 1);
	cr_assert_gt(n, 0);
	stat[n] = '\0';
	cr_assert_not_null(strstr(stat, "(a) b (c) 9 9 9) "));
	pi = procinfo_get((uint32_t)child, name);
	cr_assert_str_eq(pi->comm, name);
	cr_assert_eq(pi->start_time, pi_start_time_of(child));
	cr_assert_gt(pi->start_time, 9);
	pi_kill(child);
	close(hold);
}

Test(procinfo, get_gone_pid_named_after_comm)
{
	const struct procinfo *pi;
	pid_t child = fork();

	cr_assert_geq(child, 0);
	if (child == 0)
		_exit(0);
	cr_assert_eq(waitpid(child, NULL, 0), child);

	pi = procinfo_get((uint32_t)child, "ghost");
	cr_assert_eq(pi->pid, (uint32_t)child);
	cr_assert_eq(pi->start_time, 0);
	cr_assert_str_eq(pi->comm, "ghost");
	cr_assert_str_eq(pi->exe_name, "ghost");
	cr_assert_str_eq(pi->service_name, "ghost");
	cr_assert_str_eq(pi->exe_path, "");
	cr_assert_str_eq(pi->container_id, "");
	cr_assert_str_eq(pi->k8s_pod_name, "");
	cr_assert_str_eq(pi->k8s_namespace, "");
	cr_assert_eq(pi->n_attrs, 0);
	cr_assert(pi_hit_without_syscalls((uint32_t)child, "ghost", pi));

	/* comm is at most 15 bytes however long the caller's is; NULL is "" */
	pi = procinfo_get(PI_NO_PID, "a-very-long-command-name");
	cr_assert_str_eq(pi->comm, "a-very-long-com");
	cr_assert_str_eq(pi->exe_name, "a-very-long-com");
	cr_assert_str_eq(pi->service_name, "a-very-long-com");
	pi = procinfo_get(PI_NO_PID + 1, NULL);
	cr_assert_eq(pi->pid, PI_NO_PID + 1);
	cr_assert_str_eq(pi->service_name, "");
}

Test(procinfo, get_bounded_table_keeps_the_busy_entry)
{
	char *const envp[] = { "OTEL_SERVICE_NAME=checkout", NULL };
	pid_t child = pi_spawn_sleep(envp);
	const struct procinfo *pi = procinfo_get((uint32_t)child, "sleep"), *g;

	/* 4096 other pids through a 1024-entry table: LRU keeps the busy one */
	for (uint32_t i = 0; i < 4096; i++) {
		g = procinfo_get(PI_NO_PID + i, "ghost");
		cr_assert_eq(g->pid, PI_NO_PID + i);
		cr_assert_str_eq(g->service_name, "ghost");
		cr_assert_eq(procinfo_get((uint32_t)child, "sleep"), pi);
	}
	cr_assert(pi_hit_without_syscalls((uint32_t)child, "sleep", pi));
	cr_assert_str_eq(pi->service_name, "checkout");
	procinfo_evict(PI_NO_PID + 77777); /* unknown: nothing happens */
	pi_kill(child);
}

static void pi_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

/* A child that chroots itself into root (as root, or as root of a user
 * namespace of its own) and idles; -1 when neither is allowed here. */
static pid_t pi_spawn_chrooted(const char *root, int *hold)
{
	int ready[2], idle[2];
	char c = 0;
	pid_t child;

	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(idle, O_CLOEXEC), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		close(ready[0]);
		close(idle[1]);
		c = chroot(root) && (unshare(CLONE_NEWUSER) || chroot(root)) ? 'e' : 'k';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		while (read(idle[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	close(idle[0]);
	cr_assert_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*hold = idle[1];
	if (c != 'k') {
		close(idle[1]);
		cr_assert_eq(waitpid(child, NULL, 0), child);
		return -1;
	}
	return child;
}

Test(procinfo, get_namespace_from_service_account_mount)
{
	static const char *const dirs[] = {
		"run", "run/secrets", "run/secrets/kubernetes.io",
		"run/secrets/kubernetes.io/serviceaccount", "var",
	};
	static const char ns_file[] = "run/secrets/kubernetes.io/serviceaccount/namespace";
	char root[] = "/tmp/pi_root.XXXXXX", path[PATH_MAX];
	struct procinfo got;
	size_t i;
	int hold;
	pid_t child;

	if (getenv("POD_NAMESPACE") || getenv("K8S_NAMESPACE") || getenv("K8S_POD_NAMESPACE"))
		cr_skip_test("the environment already names a namespace");
	/* a pod's root as Debian-based images have it: /var/run -> /run,
	 * absolute, which must resolve inside the pod, not in our root */
	cr_assert_not_null(mkdtemp(root));
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		cr_assert_eq(mkdir(path, 0755), 0);
	}
	snprintf(path, sizeof(path), "%s/var/run", root);
	cr_assert_eq(symlink("/run", path), 0);
	snprintf(path, sizeof(path), "%s/%s", root, ns_file);
	pi_write_file(path, "shop\n");

	/* assertions after the clean-up, so a failure leaves no directory */
	child = pi_spawn_chrooted(root, &hold);
	if (child > 0) {
		got = *procinfo_get((uint32_t)child, "pi-pod");
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		close(hold);
	}

	unlink(path);
	snprintf(path, sizeof(path), "%s/var/run", root);
	unlink(path);
	for (i = sizeof(dirs) / sizeof(dirs[0]); i-- > 0;) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		rmdir(path);
	}
	rmdir(root);
	if (child < 0)
		cr_skip_test("cannot chroot here");
	cr_assert_str_eq(got.k8s_namespace, "shop");
	cr_assert_str_eq(got.k8s_pod_name, "");
}

Test(procinfo, host_name_read_once)
{
	char want[HOST_NAME_MAX + 1];
	const char *h = procinfo_host_name();

	if (gethostname(want, sizeof(want)))
		want[0] = '\0';
	want[sizeof(want) - 1] = '\0';
	cr_assert_str_eq(h, want);
	cr_assert_eq(procinfo_host_name(), h);
}

/* A stat line's fields are counted from the last ')' (a name may hold
 * spaces and parentheses): utime, stime (14, 15), start_time (22). */
Test(procinfo, stat_fields)
{
	static const char tail[] = " S 1 2 3 4 5 6 7 8 9 10 1234 56 0 0 20 0 3 0 9876 200 300\n";
	char line[256];

	snprintf(line, sizeof(line), "4242 (zerotrace)%s", tail);
	cr_expect_eq(procinfo_stat_field(line, strlen(line), 14), 1234);
	cr_expect_eq(procinfo_stat_field(line, strlen(line), 15), 56);
	cr_expect_eq(procinfo_stat_field(line, strlen(line), 22), 9876);
	cr_expect_eq(procinfo_stat_field(line, strlen(line), 4), 1);
	cr_expect_eq(procinfo_stat_field(line, strlen(line), 3), 0); /* the state: not a number */
	snprintf(line, sizeof(line), "4242 (a) b) (c d)%s", tail);
	cr_expect_eq(procinfo_stat_field(line, strlen(line), 14), 1234);
	cr_expect_eq(procinfo_stat_field(line, 40, 22), 0); /* cut before it */
	cr_expect_eq(procinfo_stat_field("4242 (x) S 1 2", 14, 14), 0);
	cr_expect_eq(procinfo_stat_field("4242 x S 1 2 3", 14, 4), 0);
	cr_expect_eq(procinfo_stat_field("", 0, 14), 0);
	cr_expect_eq(procinfo_stat_field(line, strlen(line), 2), 0); /* the name is no number */
}
