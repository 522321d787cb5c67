/* SPDX-License-Identifier: MIT */
/*
 * Bounded reorder window between the ring buffer and the tracer. Records come
 * off the ring buffer in submission order, which is not causal order: a
 * client's write can be submitted after the server has already read its
 * bytes. Each record is held until it is older than the window, then
 * released in order of its causal timestamp.
 */
#ifndef ZT_REORDER_H
#define ZT_REORDER_H

#include <stddef.h>
#include <stdint.h>

struct reorder;

/* slots records up to slot_size, and big_slots more up to big_size (0:
 * none), may wait at once. */
struct reorder *reorder_new(size_t slot_size, uint32_t slots, size_t big_size, uint32_t big_slots);
/* The window for records of capture_bytes held window_ns: memory for
 * about a million records a second (64 MiB at 50 ms), in proportion to
 * window_ns, 4 MiB at least, 1 GiB at most; half in slots of a header and
 * capture_bytes, half in slots of a whole ZT_CAPTURE_MAX record. NULL: no
 * memory. */
struct reorder *reorder_new_window(uint32_t capture_bytes, uint64_t window_ns);
void reorder_free(struct reorder *r);
/* Copies the record in, ordered by key (ties keep arrival order).
 * Returns -1 when it is larger than any slot or the slots of its size are
 * all taken: the caller releases the oldest first (reorder_pop with bound
 * UINT64_MAX). */
int reorder_push(struct reorder *r, uint64_t key, const void *data, size_t len);
/* The record with the smallest key when that key is < bound, else NULL.
 * The pointer is valid until the next push or pop. */
const void *reorder_pop(struct reorder *r, uint64_t bound, size_t *len);
uint32_t reorder_count(const struct reorder *r);

/* When a ring-buffer record happened, causally: a read when it returned, a
 * write when it was issued, a close when it was called. */
uint64_t reorder_event_key(const void *data, size_t len);

#endif /* ZT_REORDER_H */
