/* SPDX-License-Identifier: MIT */
/* Open, configure, load and attach the BPF skeleton; detach on stop. */
#ifndef ZT_LOADER_H
#define ZT_LOADER_H

#include <stdint.h>
#include "config.h"
#include "event_rings.h"
#include "events.h"

struct zerotrace_bpf;
struct bpf_link;

#define LOADER_MAX_LINKS 64

struct loader {
	struct zerotrace_bpf *skel;
	struct bpf_link *links[LOADER_MAX_LINKS];
	int n_attached;
	struct event_rings rings;
	uint8_t *online;        /* by CPU: online at start */
	int n_online;
	uint32_t ring_bytes;
	int cgroup_fd;          /* --cgroup (or the v2 root for injection), else -1 */
	char cgroup_path[4096];
};

/* The sampling the kernel writes its injected flag by: the threshold, and
 * whether a traceparent's own flag is followed (load feedback changes them
 * while running). */
void loader_set_sampling(struct loader *l, uint64_t threshold, int follow_parent);

/* Returns 0, or a negative errno after printing which step failed and why. */
int loader_start(struct loader *l, const struct zt_config *cfg);
void loader_stop(struct loader *l);
/* The ring buffers, one per online CPU; returns how many. */
int loader_ring_fds(const struct loader *l, const int **fds);
/* Sums the per-CPU kernel counters (enum zt_counter). */
int loader_read_counters(const struct loader *l, uint64_t out[ZT_CNT_MAX]);

#endif /* ZT_LOADER_H */
