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

#endif /* ZT_IDS_H */
