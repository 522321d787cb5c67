// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "helper_links.h"

struct fd_entry {
	uint32_t pid; /* 0: empty */
	int32_t fd;
	uint64_t value; /* links: the in fd; servers: the connection id */
};

struct helper_links {
	struct fd_entry links[HELPER_LINKS_SLOTS];
	struct fd_entry servers[HELPER_LINKS_SLOTS];
	struct helper_links_stats stats;
};

static uint32_t slot_of(uint32_t pid, int32_t fd)
{
	uint64_t h = ((uint64_t)pid << 32 | (uint32_t)fd) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 52) % HELPER_LINKS_SLOTS;
}

struct helper_links *helper_links_new(void)
{
	return calloc(1, sizeof(struct helper_links));
}

void helper_links_free(struct helper_links *h)
{
	free(h);
}

static void put(struct helper_links *h, struct fd_entry *table, uint32_t pid, int32_t fd,
		uint64_t value)
{
	struct fd_entry *e = &table[slot_of(pid, fd)];

	if (e->pid && (e->pid != pid || e->fd != fd))
		h->stats.evicted++;
	*e = (struct fd_entry){ .pid = pid, .fd = fd, .value = value };
}

static const struct fd_entry *get(const struct fd_entry *table, uint32_t pid, int32_t fd)
{
	const struct fd_entry *e = &table[slot_of(pid, fd)];

	return e->pid == pid && e->fd == fd ? e : NULL;
}

/* A decimal fd at *p, up to `stop`; -1 for none or one past INT32_MAX. */
static int64_t fd_parse(const uint8_t **p, const uint8_t *end, uint8_t stop)
{
	int64_t v = 0;
	const uint8_t *q = *p;

	if (q == end || *q < '0' || *q > '9')
		return -1;
	for (; q < end && *q != stop; q++) {
		if (*q < '0' || *q > '9' || v > INT32_MAX / 10)
			return -1;
		v = v * 10 + (*q - '0');
	}
	if (v > INT32_MAX || (stop && (q == end || *q != stop)))
		return -1;
	*p = q;
	return v;
}

int helper_links_report(struct helper_links *h, uint32_t pid, const uint8_t *path, size_t n)
{
	const uint8_t *p, *end;
	int64_t in, out;

	if (!pid || n <= ZT_HELPER_PREFIX_LEN || memcmp(path, ZT_HELPER_PREFIX, ZT_HELPER_PREFIX_LEN))
		goto bad;
	p = path + ZT_HELPER_PREFIX_LEN;
	end = path + n;
	if ((size_t)(end - p) > ZT_HELPER_NONE_LEN && !memcmp(p, ZT_HELPER_NONE, ZT_HELPER_NONE_LEN)) {
		p += ZT_HELPER_NONE_LEN;
		out = fd_parse(&p, end, 0);
		if (out < 0 || p != end)
			goto bad;
		put(h, h->links, pid, (int32_t)out, HELPER_LINKS_NO_REQUEST);
		h->stats.reports++;
		return 0;
	}
	in = fd_parse(&p, end, '/');
	if (in < 0)
		goto bad;
	p++;
	out = fd_parse(&p, end, 0);
	if (out < 0 || p != end || in == out)
		goto bad;
	put(h, h->links, pid, (int32_t)out, (uint64_t)in);
	h->stats.reports++;
	return 0;
bad:
	h->stats.malformed++;
	return -1;
}

void helper_links_conn_opened(struct helper_links *h, uint32_t pid, int32_t fd)
{
	struct fd_entry *e = &h->links[slot_of(pid, fd)];

	if (e->pid == pid && e->fd == fd)
		e->pid = 0;
}

void helper_links_server_fd(struct helper_links *h, uint32_t pid, int32_t fd, uint64_t conn_id)
{
	const struct fd_entry *e = get(h->servers, pid, fd);

	if (pid && fd >= 0 && (!e || e->value != conn_id))
		put(h, h->servers, pid, fd, conn_id);
}

uint64_t helper_links_server_of(const struct helper_links *h, uint32_t pid, int32_t out_fd)
{
	const struct fd_entry *link = get(h->links, pid, out_fd), *server;

	if (!link)
		return 0;
	if (link->value == HELPER_LINKS_NO_REQUEST)
		return HELPER_LINKS_NO_REQUEST;
	server = get(h->servers, pid, (int32_t)link->value);
	return server ? server->value : 0;
}

void helper_links_get_stats(const struct helper_links *h, struct helper_links_stats *out)
{
	*out = h->stats;
}
