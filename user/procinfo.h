/* SPDX-License-Identifier: MIT */
/* What a traced process is called: service.name and executable name. */
#ifndef ZT_PROCINFO_H
#define ZT_PROCINFO_H

#include <stdint.h>

#define PROCINFO_NAME_MAX 128

struct procinfo {
	uint32_t pid;
	char comm[16];                       /* to notice pid reuse */
	char exe_name[PROCINFO_NAME_MAX];    /* basename of /proc/PID/exe */
	char service_name[PROCINFO_NAME_MAX]; /* OTEL_SERVICE_NAME, else exe_name */
};

/* Cached by pid (a fixed-size direct-mapped cache: bounded, no eviction
 * bookkeeping); refreshed when the comm no longer matches. */
const struct procinfo *procinfo_get(uint32_t pid, const char *comm);

#endif /* ZT_PROCINFO_H */
