/* SPDX-License-Identifier: MIT */
/*
 * The uprobes on the code the traced processes run: the TLS uprobes
 * (bpf/tls.bpf.h) on every OpenSSL, a mapped libssl.so.* or an executable
 * that links OpenSSL in and exports its symbols; and the goroutine uprobes
 * (bpf/goroutine.bpf.h) on every Go executable, whose processes are
 * entered in the kernel's go_procs map. One set of uprobes per file, keyed
 * by the (device, inode) the process maps, opened through /proc/PID/root so
 * a container's file is the one probed; detached when no traced process
 * maps it any more. With --pid, --comm or --cgroup the uprobes are attached
 * per process instead, so processes outside the filter never trap.
 */
#ifndef ZT_UPROBE_ATTACH_H
#define ZT_UPROBE_ATTACH_H

#include <stdint.h>

#include "config.h"

struct zerotrace_bpf;
struct uprobe_attach;

struct uprobe_attach_stats {
	uint64_t files;           /* library files (or file and process pairs) probed now */
	uint64_t attach_failures; /* files with OpenSSL or Go crypto/tls that could not be probed */
	uint64_t table_full;      /* files or processes not probed: a table was full */
	uint64_t scans;           /* process maps read */
	uint64_t go_programs;     /* Go executables (or executable and process pairs) probed now */
	uint64_t go_tls;          /* of those, the ones whose crypto/tls is probed */
	uint64_t go_unsupported;  /* Go executables whose goroutines cannot be followed */
	uint64_t go_procs_full;   /* Go processes the kernel's go_procs map had no room for */
};

/* NULL when out of memory. */
struct uprobe_attach *uprobe_attach_new(struct zerotrace_bpf *skel, const struct zt_config *cfg);
/* Every process running now. */
void uprobe_attach_scan_all(struct uprobe_attach *ta);
/* The process exec'd or mapped code (ZT_EV_CODE_MAPPED): its maps are read
 * a little later, once the mapping is in place. */
void uprobe_attach_code_mapped(struct uprobe_attach *ta, uint32_t pid, uint64_t now_ns);
void uprobe_attach_process_exit(struct uprobe_attach *ta, uint32_t pid);
/* Reads the maps whose time has come. */
void uprobe_attach_tick(struct uprobe_attach *ta, uint64_t now_ns);
/* Does pid run goroutines the kernel follows, or a Go program it cannot?
 * (Either way a thread names no request there.) A process whose maps are
 * due to be read is read now. */
int uprobe_attach_runs_goroutines(void *ua, uint32_t pid);
void uprobe_attach_get_stats(const struct uprobe_attach *ta, struct uprobe_attach_stats *out);
/* Detaches everything. */
void uprobe_attach_free(struct uprobe_attach *ta);

#endif /* ZT_UPROBE_ATTACH_H */
