/* SPDX-License-Identifier: MIT */
/* W3C trace and span ids: random, never all zero, no syscall per id. */
#ifndef ZT_IDS_H
#define ZT_IDS_H

#include <stddef.h>
#include <stdint.h>

/* Seeds from getrandom(); returns 0 or -errno. */
int ids_init(void);
/* Fills n bytes (a trace id: 16, a span id: 8); never all zero. */
void ids_random(uint8_t *out, size_t n);
/* Whether an id is all zero: the W3C's invalid id, "none". */
static inline int ids_all_zero(const uint8_t *id, size_t n)
{
	while (n && !id[n - 1])
		n--;
	return n == 0;
}
/* The generator's state: a recording keeps it so that its replay draws
 * the same ids (ids need uniqueness, not secrecy). */
void ids_get_state(uint64_t out[4]);
/* An all-zero state is refused (xoshiro would stay at zero): -1. */
int ids_set_state(const uint64_t in[4]);

#endif /* ZT_IDS_H */
