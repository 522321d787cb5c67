/* SPDX-License-Identifier: MIT */
/*
 * What a runtime's helper (--node-helper) reported: the outgoing socket
 * (pid, out fd) writes for the request served on (pid, in fd). And which
 * server connection each (pid, fd) is now, so that a report names the
 * connection, not a number a closed socket left behind. Both tables are
 * fixed, direct-mapped, and count what they overwrite.
 */
#ifndef ZT_HELPER_LINKS_H
#define ZT_HELPER_LINKS_H

#include <stddef.h>
#include <stdint.h>

#define HELPER_LINKS_SLOTS 4096

struct helper_links_stats {
	uint64_t reports;   /* well-formed reports */
	uint64_t malformed; /* records whose path is not the helper's */
	uint64_t evicted;   /* entries overwritten by another key */
};

struct helper_links;

struct helper_links *helper_links_new(void);
void helper_links_free(struct helper_links *h);
/* A ZT_EV_HELPER_LINK record's path: "/dev/null/zt/<in fd>/<out fd>", or
 * "/dev/null/zt/none/<out fd>" when out fd now writes for no request (a
 * timer's call on a pooled socket): the link it had must not name the
 * request its old in fd serves now. 0, or -1 for anything else (counted). */
int helper_links_report(struct helper_links *h, uint32_t pid, const uint8_t *path, size_t n);
/* A new connection of pid got fd: a report about an earlier socket that
 * had the same number says nothing about it. */
void helper_links_conn_opened(struct helper_links *h, uint32_t pid, int32_t fd);
/* (pid, fd) is now server connection conn_id. */
void helper_links_server_fd(struct helper_links *h, uint32_t pid, int32_t fd, uint64_t conn_id);
/* The server connection whose request a request written on (pid, out_fd)
 * serves; 0 when no report names it; HELPER_LINKS_NO_REQUEST when the last
 * report said it writes for no request. */
#define HELPER_LINKS_NO_REQUEST UINT64_MAX
uint64_t helper_links_server_of(const struct helper_links *h, uint32_t pid, int32_t out_fd);
void helper_links_get_stats(const struct helper_links *h, struct helper_links_stats *out);

#endif /* ZT_HELPER_LINKS_H */
