/* SPDX-License-Identifier: MIT */
/*
 * Lines of /proc/PID/maps: which files a process runs code from, and where,
 * so that uprobes can be attached to the libraries it has loaded.
 */
#ifndef ZT_PROC_MAPS_H
#define ZT_PROC_MAPS_H

#include <stdint.h>

struct maps_entry {
	uint64_t start, end, offset;
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	char path[256]; /* truncated paths are rejected, not cut */
};

/* Parses one line (with or without its '\n'). Returns 0 when it is an
 * executable mapping of a file (inode != 0, path starting with '/'), -1 for
 * any other or malformed line, a deleted file included; out is written only
 * on 0. */
int maps_parse_line(const char *line, struct maps_entry *out);

/* 1 when the basename of path starts with "libssl.so", else 0. */
int maps_is_libssl(const char *path);

#endif /* ZT_PROC_MAPS_H */
