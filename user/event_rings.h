/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU ring buffers behind the `events` map (bpf/maps.bpf.h): how
 * --ringbuf-size is split between the online CPUs, and the rings created
 * and placed in the map once the object is loaded.
 */
#ifndef ZT_EVENT_RINGS_H
#define ZT_EVENT_RINGS_H

#include <stdint.h>

/* The smallest ring: BPF's ring sizes are powers of two and pages. */
#define EVENT_RING_MIN (64u << 10)

struct event_rings {
	int *fds;       /* one ring per online CPU */
	int n;
	uint32_t bytes; /* each ring's size */
};

/* Marks online[c] for each CPU in a kernel CPU list ("0-3,8,10-11\n") below
 * n; the count marked, or -1 when s is not such a list. */
int cpulist_parse(const char *s, uint8_t *online, int n);
/* Each ring's size: an equal share of total (a power of two) between
 * n_online rings, EVENT_RING_MIN at least. */
uint32_t event_ring_bytes(uint64_t total, int n_online);
/* Creates n_online rings of `bytes` each; 0 or -errno. */
int event_rings_create(struct event_rings *r, int n_online, uint32_t bytes);
/* Points every slot of the array-of-maps outer_fd at its CPU's ring (the
 * CPUs marked in online[0..n_possible) in order) or, for a CPU offline
 * now, at the first ring. 0 or -errno. */
int event_rings_place(const struct event_rings *r, int outer_fd, const uint8_t *online,
		      int n_possible);
void event_rings_close(struct event_rings *r);

#endif
