// SPDX-License-Identifier: MIT
/* The per-CPU ring buffers' consumer (see ring_reader.h). */
#include "ring_reader.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

static int ring_map(struct ring_view *v, int map_fd, size_t page_size)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	void *p;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	v->mask = info.max_entries - 1;
	p = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	v->cons_map = p;
	v->consumer_pos = p;
	v->data_map_len = page_size + 2 * (size_t)info.max_entries;
	p = mmap(NULL, v->data_map_len, PROT_READ, MAP_SHARED, map_fd, (off_t)page_size);
	if (p == MAP_FAILED)
		return -errno;
	v->data_map = p;
	v->producer_pos = p;
	v->data = (const unsigned char *)p + page_size;
	v->cons = v->published = *v->consumer_pos;
	return 0;
}

int ring_reader_open(struct ring_reader *r, const int *map_fds, int n, ring_reader_fn fn,
		     ring_reader_key_fn key, void *ctx)
{
	int err = 0;

	memset(r, 0, sizeof(*r));
	r->epoll_fd = -1;
	r->fn = fn;
	r->key = key;
	r->ctx = ctx;
	r->page_size = (size_t)sysconf(_SC_PAGESIZE);
	r->rings = calloc((size_t)(n > 0 ? n : 1), sizeof(*r->rings));
	if (!r->rings)
		return -ENOMEM;
	r->n = n;
	r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epoll_fd < 0) {
		err = -errno;
		goto fail;
	}
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };

		err = ring_map(&r->rings[i], map_fds[i], r->page_size);
		if (!err && epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, map_fds[i], &ev))
			err = -errno;
		if (err)
			goto fail;
	}
	return 0;
fail:
	ring_reader_close(r);
	return err;
}

int ring_reader_wait(struct ring_reader *r, int timeout_ms)
{
	struct epoll_event ev[8];

	if (epoll_wait(r->epoll_fd, ev, 8, timeout_ms) < 0)
		return -errno;
	return 0;
}

/* The bytes a record takes: its header and its length (the busy and
 * discard bits masked off), rounded up to 8. */
static unsigned long record_span(__u32 len)
{
	len &= ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
	return ((unsigned long)len + BPF_RINGBUF_HDR_SZ + 7) & ~7UL;
}

/* Makes the ring's next committed record its head (its key read), past
 * discarded ones; false when it has none before v->prod. */
static int ring_head(const struct ring_reader *r, struct ring_view *v)
{
	while (!v->head_ready) {
		const __u32 *hdr;
		__u32 len;

		if (v->cons >= v->prod)
			return 0;
		hdr = (const __u32 *)(v->data + (v->cons & v->mask));
		len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		if (len & BPF_RINGBUF_BUSY_BIT)
			return 0;
		if (len & BPF_RINGBUF_DISCARD_BIT) {
			v->cons += record_span(len);
			continue;
		}
		v->head_key = r->key(hdr + 2, len);
		v->head_ready = 1;
	}
	return 1;
}

static void ring_publish(struct ring_view *v)
{
	if (v->cons != v->published) {
		__atomic_store_n(v->consumer_pos, v->cons, __ATOMIC_RELEASE);
		v->published = v->cons;
	}
}

long ring_reader_consume(struct ring_reader *r)
{
	long handed = 0;
	int rc = 0;

	/* what each ring holds now, read once: a ring found empty is not
	 * asked again for every record another ring hands on (its producer
	 * writes that line on every record), and producers that keep up
	 * cannot hold the loop */
	for (int i = 0; i < r->n; i++)
		r->rings[i].prod = __atomic_load_n(r->rings[i].producer_pos, __ATOMIC_ACQUIRE);
	for (;;) {
		struct ring_view *best = NULL, *v;
		const __u32 *hdr;
		__u32 len;

		for (int i = 0; i < r->n; i++) {
			v = &r->rings[i];
			if (ring_head(r, v) && (!best || v->head_key < best->head_key))
				best = v;
		}
		if (!best)
			break;
		hdr = (const __u32 *)(best->data + (best->cons & best->mask));
		len = *hdr;
		best->cons += record_span(len);
		best->head_ready = 0;
		handed++;
		rc = r->fn(r->ctx, (void *)(hdr + 2), len);
		if (best->cons - best->published >= RING_READER_RELEASE_BYTES)
			ring_publish(best);
		if (rc < 0)
			break;
	}
	for (int i = 0; i < r->n; i++)
		ring_publish(&r->rings[i]);
	return rc < 0 ? rc : handed;
}

void ring_reader_close(struct ring_reader *r)
{
	for (int i = 0; i < r->n; i++) {
		struct ring_view *v = &r->rings[i];

		if (v->data_map)
			munmap(v->data_map, v->data_map_len);
		if (v->cons_map)
			munmap(v->cons_map, r->page_size);
	}
	if (r->epoll_fd >= 0)
		close(r->epoll_fd);
	free(r->rings);
	memset(r, 0, sizeof(*r));
	r->epoll_fd = -1;
}
