/* SPDX-License-Identifier: MIT */
/*
 * The TLS uprobes (bpf/tls.bpf.h) on every OpenSSL the traced processes
 * run: a mapped libssl.so.*, or an executable that links OpenSSL in and
 * exports its symbols. One set of uprobes per file, keyed by the (device,
 * inode) the process maps, opened through /proc/PID/root so a container's
 * file is the one probed; detached when no traced process maps it any
 * more. With --pid, --comm or --cgroup the uprobes are attached per
 * process instead, so processes outside the filter never trap.
 */
#ifndef ZT_TLS_ATTACH_H
#define ZT_TLS_ATTACH_H

#include <stdint.h>

#include "config.h"

struct zerotrace_bpf;
struct tls_attach;

struct tls_attach_stats {
	uint64_t files;           /* library files (or file and process pairs) probed now */
	uint64_t attach_failures; /* files that had OpenSSL symbols but could not be probed */
	uint64_t table_full;      /* files or processes not probed: a table was full */
	uint64_t scans;           /* process maps read */
};

/* NULL when out of memory. */
struct tls_attach *tls_attach_new(struct zerotrace_bpf *skel, const struct zt_config *cfg);
/* Every process running now. */
void tls_attach_scan_all(struct tls_attach *ta);
/* The process exec'd or mapped code (ZT_EV_CODE_MAPPED): its maps are read
 * a little later, once the mapping is in place. */
void tls_attach_code_mapped(struct tls_attach *ta, uint32_t pid, uint64_t now_ns);
void tls_attach_process_exit(struct tls_attach *ta, uint32_t pid);
/* Reads the maps whose time has come. */
void tls_attach_tick(struct tls_attach *ta, uint64_t now_ns);
void tls_attach_get_stats(const struct tls_attach *ta, struct tls_attach_stats *out);
/* Detaches everything. */
void tls_attach_free(struct tls_attach *ta);

#endif /* ZT_TLS_ATTACH_H */
