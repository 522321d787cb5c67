// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_filter.h"

int proc_filter_match(const struct proc_filter *pf, uint32_t pid)
{
	const struct zt_config *cfg = pf->cfg;
	char path[64], line[512];
	int traced = 1;
	FILE *f;

	if (pid == (uint32_t)getpid())
		return 0;
	if (cfg->n_pids) {
		traced = 0;
		for (uint32_t i = 0; i < cfg->n_pids; i++)
			traced |= cfg->pids[i] == pid;
		if (!traced)
			return 0;
	}
	if (cfg->comm[0]) {
		snprintf(path, sizeof(path), "/proc/%u/comm", pid);
		f = fopen(path, "re");
		if (!f)
			return 0;
		traced = fgets(line, sizeof(line), f) != NULL;
		fclose(f);
		line[strcspn(line, "\n")] = '\0';
		if (!traced || strncmp(line, cfg->comm, sizeof(cfg->comm) - 1) != 0)
			return 0;
	}
	if (cfg->cgroup[0]) {
		size_t n = strlen(pf->cgroup_rel);

		snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
		f = fopen(path, "re");
		if (!f)
			return 0;
		traced = 0;
		/* the v2 line: "0::/path"; descendants are traced too */
		while (fgets(line, sizeof(line), f)) {
			const char *p = line + 3;

			line[strcspn(line, "\n")] = '\0';
			if (strncmp(line, "0::", 3) == 0 && strncmp(p, pf->cgroup_rel, n) == 0 &&
			    (p[n] == '\0' || p[n] == '/' || (n == 1 && p[0] == '/')))
				traced = 1;
		}
		fclose(f);
	}
	return traced;
}

void proc_filter_init(struct proc_filter *pf, const struct zt_config *cfg)
{
	const char *cg = cfg->cgroup;
	char mnt[4096];
	FILE *f;
	size_t n;

	pf->cfg = cfg;
	snprintf(pf->cgroup_rel, sizeof(pf->cgroup_rel), "/");
	if (!cg[0])
		return;
	f = fopen("/proc/mounts", "re");
	if (!f)
		return;
	while (fgets(mnt, sizeof(mnt), f)) {
		char dir[4096], type[64];

		if (sscanf(mnt, "%*s %4095s %63s", dir, type) != 2 || strcmp(type, "cgroup2") != 0)
			continue;
		n = strlen(dir);
		if (strncmp(cg, dir, n) == 0 && (cg[n] == '/' || cg[n] == '\0'))
			snprintf(pf->cgroup_rel, sizeof(pf->cgroup_rel), "%s", cg[n] ? cg + n : "/");
		break;
	}
	fclose(f);
}

int proc_each_pid(void (*fn)(void *ctx, uint32_t pid), void *ctx)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (!*end && pid && pid <= UINT32_MAX)
			fn(ctx, (uint32_t)pid);
	}
	closedir(d);
	return 0;
}
