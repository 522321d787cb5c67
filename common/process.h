/* SPDX-License-Identifier: MIT */
/*
 * What a traced process is called and where it runs: the resource of its
 * spans. A span carries a snapshot of it, so no sink looks the process up.
 */
#ifndef ZT_PROCESS_H
#define ZT_PROCESS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PROCINFO_NAME_MAX 128
#define PROCINFO_PATH_MAX 256
#define PROCINFO_ATTRS_MAX 16
#define PROCINFO_ATTR_KEY_MAX 64
#define PROCINFO_ATTR_VALUE_MAX 128

struct resource_attr {
	char key[PROCINFO_ATTR_KEY_MAX];
	char value[PROCINFO_ATTR_VALUE_MAX];
};

struct procinfo {
	uint32_t pid;
	uint64_t start_time;                   /* /proc/PID/stat field 22: tells pid reuse */
	char comm[16];
	char exe_name[PROCINFO_NAME_MAX];      /* basename of /proc/PID/exe, " (deleted)" cut */
	char exe_path[PROCINFO_PATH_MAX];      /* process.executable.path */
	/* OTEL_SERVICE_NAME, else service.name in OTEL_RESOURCE_ATTRIBUTES, else exe_name */
	char service_name[PROCINFO_NAME_MAX];
	char container_id[72];                 /* from /proc/PID/cgroup, "" when none */
	char k8s_pod_name[PROCINFO_NAME_MAX];  /* "" when not revealed */
	char k8s_namespace[PROCINFO_NAME_MAX];
	/* a new value each time the agent's cache takes in a process (0: one
	 * built elsewhere), so a rendering of it can be kept and reused */
	uint64_t generation;
	uint32_t n_attrs;                      /* other OTEL_RESOURCE_ATTRIBUTES pairs */
	struct resource_attr attrs[PROCINFO_ATTRS_MAX];
};

/* A Node.js executable by its name: one event-loop thread serves many
 * requests at once, so its thread says nothing of which one. */
static inline int process_exe_is_node(const char *exe_name)
{
	return strcmp(exe_name, "node") == 0 || strcmp(exe_name, "nodejs") == 0;
}

/* A copy of what src holds: its fields and the attributes in use, not the
 * slots after them (3 KiB of its 4), which dst must not read. For queues
 * that hold a resource per item. */
static inline void procinfo_copy(struct procinfo *dst, const struct procinfo *src)
{
	uint32_t n = src->n_attrs < PROCINFO_ATTRS_MAX ? src->n_attrs : PROCINFO_ATTRS_MAX;

	memcpy(dst, src, offsetof(struct procinfo, attrs) + n * sizeof(src->attrs[0]));
}

#endif /* ZT_PROCESS_H */
