/* SPDX-License-Identifier: MIT */
/*
 * --pid, --comm and --cgroup as the kernel applies them, asked of one
 * process from /proc: for the work user space does per process (uprobes,
 * the Node helper), which must reach the same processes the probes trace;
 * and the walk over the processes running now.
 */
#ifndef ZT_PROC_FILTER_H
#define ZT_PROC_FILTER_H

#include <stdint.h>

#include "config.h"

struct proc_filter {
	const struct zt_config *cfg;
	char cgroup_rel[256]; /* --cgroup below the cgroup2 mount, as /proc/PID/cgroup says it */
};

void proc_filter_init(struct proc_filter *pf, const struct zt_config *cfg);
/* 1 when pid is traced (never the agent itself); 0 too when /proc says nothing. */
int proc_filter_match(const struct proc_filter *pf, uint32_t pid);
/* fn(ctx, pid) for every process running now; 0, or -errno when /proc
 * cannot be listed. */
int proc_each_pid(void (*fn)(void *ctx, uint32_t pid), void *ctx);

#endif /* ZT_PROC_FILTER_H */
