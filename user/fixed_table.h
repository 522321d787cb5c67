/* SPDX-License-Identifier: MIT */
/*
 * A bounded hash table of fixed-size entries, each holding its own key at
 * key_off: open addressing with linear probing and backward-shift deletion
 * over a small index of entry numbers; the entries sit dense in a pool
 * reused last in first out. A probe reads the index only: on this kernel
 * even a read of an untouched page makes it resident, and entries spread
 * by hash over the whole table would cost all of its memory at a few
 * thousand keys. Allocates at init only; full is the caller's to count.
 */
#ifndef ZT_FIXED_TABLE_H
#define ZT_FIXED_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct fixed_table {
	uint8_t *entries;
	uint32_t *index;  /* entry number + 1; 0: empty */
	uint32_t *free;   /* entry numbers not in use, the next on top */
	uint32_t free_count;
	size_t entry_size, key_off, key_size;
	uint32_t mask, count, max;
};

/* max entries; returns 0, or -1 when out of memory (release it still). */
int fixed_table_init(struct fixed_table *t, uint32_t max, size_t entry_size, size_t key_off,
		     size_t key_size);
void fixed_table_release(struct fixed_table *t);
/* Entry number i of the pool. */
uint8_t *fixed_table_at(const struct fixed_table *t, uint32_t i);
/* The entry holding key, or NULL. */
uint8_t *fixed_table_find(const struct fixed_table *t, const void *key);
/* The entry holding key, added zeroed with its key when new; NULL when the
 * table is full. */
uint8_t *fixed_table_get_or_add(struct fixed_table *t, const void *key);
/* Removes an entry that fixed_table_find or _get_or_add gave. */
void fixed_table_delete(struct fixed_table *t, uint8_t *entry);

#endif /* ZT_FIXED_TABLE_H */
