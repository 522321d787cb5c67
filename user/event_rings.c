// SPDX-License-Identifier: MIT
/* Per-CPU ring buffers (see event_rings.h). */
#include "event_rings.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cpulist_parse(const char *s, uint8_t *online, int n)
{
	int count = 0;

	memset(online, 0, (size_t)n);
	while (*s && *s != '\n') {
		char *end;
		long lo = strtol(s, &end, 10), hi;

		if (end == s || lo < 0)
			return -1;
		hi = lo;
		s = end;
		if (*s == '-') {
			hi = strtol(s + 1, &end, 10);
			if (end == s + 1 || hi < lo)
				return -1;
			s = end;
		}
		for (long c = lo; c <= hi && c < n; c++)
			if (!online[c]) {
				online[c] = 1;
				count++;
			}
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -1;
	}
	return count;
}

uint32_t event_ring_bytes(uint64_t total, int n_online)
{
	uint64_t share = total / (uint64_t)(n_online > 0 ? n_online : 1), bytes = EVENT_RING_MIN;

	while (bytes * 2 <= share && bytes * 2 <= (1ULL << 30))
		bytes *= 2;
	return (uint32_t)bytes;
}

int event_rings_create(struct event_rings *r, int n_online, uint32_t bytes)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->bytes = bytes;
	r->fds = calloc((size_t)(n_online > 0 ? n_online : 1), sizeof(*r->fds));
	if (!r->fds)
		return -ENOMEM;
	for (; r->n < n_online; r->n++) {
		r->fds[r->n] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "events_cpu", 0, 0, bytes, NULL);
		if (r->fds[r->n] < 0) {
			err = -errno;
			event_rings_close(r);
			return err;
		}
	}
	return 0;
}

int event_rings_place(const struct event_rings *r, int outer_fd, const uint8_t *online,
		      int n_possible)
{
	for (int c = 0, i = 0; c < n_possible; c++) {
		__u32 key = (__u32)c;
		int fd = online[c] && i < r->n ? r->fds[i++] : r->fds[0];

		if (bpf_map_update_elem(outer_fd, &key, &fd, BPF_ANY))
			return -errno;
	}
	return 0;
}

void event_rings_close(struct event_rings *r)
{
	for (int i = 0; i < r->n; i++)
		close(r->fds[i]);
	free(r->fds);
	memset(r, 0, sizeof(*r));
}
