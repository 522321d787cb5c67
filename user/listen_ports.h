/* SPDX-License-Identifier: MIT */
/*
 * Listening TCP ports from /proc/net/tcp{,6}: connections open before the
 * agent started are servers when their local port is one of these.
 */
#ifndef ZT_LISTEN_PORTS_H
#define ZT_LISTEN_PORTS_H

#include <stddef.h>
#include <stdint.h>

struct port_set {
	uint64_t bits[65536 / 64];
};

static inline void port_set_add(struct port_set *s, uint16_t port)
{
	s->bits[port / 64] |= 1ULL << (port % 64);
}

static inline int port_set_has(const struct port_set *s, uint16_t port)
{
	return (s->bits[port / 64] >> (port % 64)) & 1;
}

/* Adds the local port of every LISTEN (state 0A) line of a /proc/net/tcp or
 * tcp6 text; returns how many it added, or -1 on a malformed table. */
int listen_ports_parse(const char *text, size_t len, struct port_set *set);

/* Reads /proc/net/tcp and /proc/net/tcp6 (a missing tcp6 is fine). */
int listen_ports_load(struct port_set *set);

#endif /* ZT_LISTEN_PORTS_H */
