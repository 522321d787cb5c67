/* SPDX-License-Identifier: MIT */
/*
 * Process metadata: what a traced process is called and where it runs, for
 * span resources. Cached per pid in a fixed-size table (bounded), refreshed
 * when the pid is reused, evicted when the process exits.
 */
#ifndef ZT_PROCINFO_H
#define ZT_PROCINFO_H

#include <stddef.h>
#include <stdint.h>

#include "process.h"

/* The cached entry for pid, read from /proc on a miss or pid reuse. A
 * process that is already gone still gets an entry, named after comm.
 * A hit (pid and a comm already seen for it) makes no syscall; only a new
 * comm re-checks start_time and exe, so a reused pid under the same comm is
 * noticed through procinfo_evict. Not thread-safe; the pointer is valid
 * until the next procinfo_get or procinfo_evict. */
const struct procinfo *procinfo_get(uint32_t pid, const char *comm);
/* The process exited: forget it. */
void procinfo_evict(uint32_t pid);
/* host.name of this node (read once, thread-safe; "" when unknown). */
const char *procinfo_host_name(void);

/* What one cache miss found: the process (start_time 0: it was gone, named
 * after comm), or that comm is another thread name of the cached process.
 * The cache is deterministic given its misses' outcomes, which is what a
 * recording keeps and a replay serves back in the same order. */
struct procinfo_miss {
	uint32_t pid;
	uint32_t same_process;
	char comm[16];
	struct procinfo info;          /* when !same_process */
};

/* record: called with each miss's outcome. answer: replaces /proc (a
 * replay); returns 0 with *m filled, or -1 (the process counts as gone). */
struct procinfo_hooks {
	void (*record)(void *ctx, const struct procinfo_miss *m);
	int (*answer)(void *ctx, uint32_t pid, const char *comm, struct procinfo_miss *m);
	void *ctx;
};

/* NULL: back to /proc alone. Not thread-safe, like procinfo_get. */
void procinfo_set_hooks(const struct procinfo_hooks *h);
/* A replay's host.name: the recorded node's. */
void procinfo_set_host_name(const char *name);

/* Pure parsers, unit-tested and fuzzed. */

/* Fills pi->service_name (when the pair is present and service_name is still
 * "") and pi->attrs from "k1=v1,k2=v2" (W3C Baggage-like, values
 * percent-decoded, surrounding spaces trimmed, malformed pairs skipped).
 * Returns the number of pairs kept, or -1 when the text is not valid at all.
 * text ends at len or a NUL; pairs are appended with unique keys (a repeated
 * key takes the last value, in place); a pair with a bad escape, or a key
 * of PROCINFO_ATTR_KEY_MAX bytes or more, is skipped (values are cut);
 * the count includes service.name when it filled service_name; -1 is only
 * for a NULL text or pi. */
int procinfo_parse_resource_attributes(const char *text, size_t len, struct procinfo *pi);
/* A 64-hex container id from /proc/PID/cgroup text (docker, containerd,
 * cri-o, podman and kubepods layouts); 0 on success, -1 when none (out is
 * then ""; an out_len below 65 is always -1). The last id in the text wins. */
int procinfo_container_id(const char *cgroup_text, size_t len, char *out, size_t out_len);
/* Kubernetes pod and namespace from a NUL-separated environ block
 * (POD_NAME/K8S_POD_NAME/HOSTNAME when KUBERNETES_SERVICE_HOST is set;
 * POD_NAMESPACE/K8S_NAMESPACE/K8S_POD_NAMESPACE, first listed first; empty
 * means unset); fills only what it finds and returns how many it found. */
int procinfo_k8s_from_environ(const char *env, size_t len, struct procinfo *pi);
/* Field `field` (3 and up, numbered as proc(5) does) of a /proc/PID/stat
 * line as a decimal number; 0 when the line or the field is malformed. */
uint64_t procinfo_stat_field(const char *stat, size_t len, unsigned int field);

#endif /* ZT_PROCINFO_H */
