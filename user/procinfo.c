// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "procinfo.h"

#define PROCINFO_CACHE 4096
#define ENV_KEY "OTEL_SERVICE_NAME="

static struct procinfo cache[PROCINFO_CACHE];

static void copy_str(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void read_exe_name(struct procinfo *pi, const char *comm)
{
	char path[64], target[4096];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/exe", pi->pid);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0) {
		copy_str(pi->exe_name, sizeof(pi->exe_name), comm, strnlen(comm, 15));
		return;
	}
	target[n] = '\0';
	/* an upgraded binary still runs: name it, not its unlinked state */
	if (n > 10 && strcmp(target + n - 10, " (deleted)") == 0)
		target[n - 10] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	copy_str(pi->exe_name, sizeof(pi->exe_name), base, strlen(base));
}

/* OTEL_SERVICE_NAME from the process's initial environment, if set. */
static int read_service_env(struct procinfo *pi)
{
	static char env[65536];
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/environ", pi->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, env, sizeof(env) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	env[n] = '\0';
	for (char *p = env; p < env + n; p += strlen(p) + 1) {
		if (strncmp(p, ENV_KEY, strlen(ENV_KEY)) == 0 && p[strlen(ENV_KEY)]) {
			const char *v = p + strlen(ENV_KEY);

			copy_str(pi->service_name, sizeof(pi->service_name), v, strlen(v));
			return 1;
		}
	}
	return 0;
}

const struct procinfo *procinfo_get(uint32_t pid, const char *comm)
{
	struct procinfo *pi = &cache[pid % PROCINFO_CACHE];

	if (pi->pid == pid && strncmp(pi->comm, comm, sizeof(pi->comm)) == 0)
		return pi;
	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	copy_str(pi->comm, sizeof(pi->comm), comm, strnlen(comm, sizeof(pi->comm) - 1));
	read_exe_name(pi, comm);
	if (!read_service_env(pi))
		copy_str(pi->service_name, sizeof(pi->service_name), pi->exe_name,
			 strlen(pi->exe_name));
	return pi;
}
