// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "fixed_table.h"

/* A word at a time: keys are probed on every span's start and end. */
static uint32_t key_hash(const void *key, size_t n)
{
	const uint8_t *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	for (; n; p++, n--)
		h = (h ^ *p) * 0x100000001b3ULL;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return (uint32_t)(h ^ h >> 32);
}

int fixed_table_init(struct fixed_table *t, uint32_t max, size_t entry_size, size_t key_off,
		     size_t key_size)
{
	uint32_t cap = 16;

	while (cap < max * 2)
		cap <<= 1;
	t->entries = calloc(max, entry_size);
	t->index = calloc(cap, sizeof(*t->index));
	t->free = calloc(max, sizeof(*t->free));
	t->entry_size = entry_size;
	t->key_off = key_off;
	t->key_size = key_size;
	t->mask = cap - 1;
	t->count = 0;
	t->max = max;
	if (!t->entries || !t->index || !t->free)
		return -1;
	for (uint32_t i = 0; i < max; i++)
		t->free[i] = max - 1 - i;
	t->free_count = max;
	return 0;
}

void fixed_table_release(struct fixed_table *t)
{
	free(t->entries);
	free(t->index);
	free(t->free);
}

uint8_t *fixed_table_at(const struct fixed_table *t, uint32_t i)
{
	return t->entries + (size_t)i * t->entry_size;
}

static uint32_t table_home(const struct fixed_table *t, uint32_t cell)
{
	return key_hash(fixed_table_at(t, t->index[cell] - 1) + t->key_off, t->key_size) & t->mask;
}

/* The index cell holding key, or the empty one where it would go. */
static uint32_t table_cell(const struct fixed_table *t, const void *key)
{
	uint32_t i = key_hash(key, t->key_size) & t->mask;

	while (t->index[i] &&
	       memcmp(fixed_table_at(t, t->index[i] - 1) + t->key_off, key, t->key_size) != 0)
		i = (i + 1) & t->mask;
	return i;
}

uint8_t *fixed_table_find(const struct fixed_table *t, const void *key)
{
	uint32_t cell;

	if (!t->count)
		return NULL;
	cell = table_cell(t, key);
	return t->index[cell] ? fixed_table_at(t, t->index[cell] - 1) : NULL;
}

uint8_t *fixed_table_get_or_add(struct fixed_table *t, const void *key)
{
	uint32_t cell = table_cell(t, key), n;
	uint8_t *e;

	if (t->index[cell])
		return fixed_table_at(t, t->index[cell] - 1);
	if (t->count == t->max)
		return NULL;
	n = t->free[--t->free_count];
	e = fixed_table_at(t, n);
	memset(e, 0, t->entry_size);
	memcpy(e + t->key_off, key, t->key_size);
	t->index[cell] = n + 1;
	t->count++;
	return e;
}

void fixed_table_delete(struct fixed_table *t, uint8_t *entry)
{
	uint32_t hole = table_cell(t, entry + t->key_off);
	uint32_t next = (hole + 1) & t->mask;

	t->free[t->free_count++] = t->index[hole] - 1;
	t->index[hole] = 0;
	t->count--;
	while (t->index[next]) {
		uint32_t home = table_home(t, next);

		if (((next - home) & t->mask) >= ((next - hole) & t->mask)) {
			t->index[hole] = t->index[next];
			t->index[next] = 0;
			hole = next;
		}
		next = (next + 1) & t->mask;
	}
}
