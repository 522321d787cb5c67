// SPDX-License-Identifier: MIT
/*
 * Fuzzes the reorder window against a reference model: a plain array kept
 * sorted by (key, arrival). The input picks the window's geometry, then a
 * sequence of push / pop(bound) operations with keys and sizes from the
 * input (small keys make ties likely). Every result must match the model
 * exactly: push's return, pop's record (its length and every byte), NULL
 * when the model has nothing below the bound, and the count. Each pushed
 * record's bytes are a function of its arrival number, so a popped record
 * that is the wrong one, or was overwritten, shows.
 *
 * reorder_event_key is also run on each input's bytes, as a record of any
 * length, and checked against the rule for a well-formed header.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "fuzz_check.h"
#include "reorder.h"

#define FRO_MAX_SLOTS 64
#define FRO_MAX_SLOT_SIZE 300

struct fro_entry {
	uint64_t key;
	uint64_t arrival;
	uint32_t len;
};

struct fro_model {
	struct fro_entry e[FRO_MAX_SLOTS]; /* sorted by (key, arrival) */
	uint32_t n;
};

struct fro_input {
	const uint8_t *p;
	size_t n;
};

static uint64_t fro_take(struct fro_input *in, size_t bytes)
{
	uint64_t v = 0;

	for (size_t i = 0; i < bytes; i++) {
		v <<= 8;
		if (in->n) {
			v |= *in->p++;
			in->n--;
		}
	}
	return v;
}

static uint8_t fro_byte(uint64_t arrival, size_t j)
{
	return (uint8_t)(arrival * 131u + j * 7u + (arrival >> 8));
}

static void fro_fill(uint8_t *buf, uint64_t arrival, size_t len)
{
	for (size_t j = 0; j < len; j++)
		buf[j] = fro_byte(arrival, j);
}

static void fro_model_insert(struct fro_model *m, uint64_t key, uint64_t arrival, uint32_t len)
{
	uint32_t i = m->n;

	/* arrivals only grow: the new entry goes after every equal key */
	while (i && m->e[i - 1].key > key) {
		m->e[i] = m->e[i - 1];
		i--;
	}
	m->e[i] = (struct fro_entry){ .key = key, .arrival = arrival, .len = len };
	m->n++;
}

/* A key from the input: mostly a small range (ties), sometimes any value. */
static uint64_t fro_key(struct fro_input *in)
{
	uint8_t mode = (uint8_t)fro_take(in, 1);

	switch (mode & 3) {
	case 0:
		return mode >> 2;              /* 0..63 */
	case 1:
		return fro_take(in, 1);        /* 0..255 */
	case 2:
		return UINT64_MAX - (mode >> 2); /* the top of the range */
	default:
		return fro_take(in, 8);
	}
}

static void fro_check_pop(struct reorder *r, struct fro_model *m, uint64_t bound)
{
	size_t len = (size_t)-1;
	const uint8_t *p = reorder_pop(r, bound, &len);

	if (!m->n || m->e[0].key >= bound) {
		CHECK(p == NULL);
		return;
	}
	CHECK(p != NULL);
	CHECK(len == m->e[0].len);
	for (size_t j = 0; j < len; j++)
		CHECK(p[j] == fro_byte(m->e[0].arrival, j));
	memmove(&m->e[0], &m->e[1], (m->n - 1) * sizeof(m->e[0]));
	m->n--;
}

static void fro_check_event_key(const uint8_t *data, size_t size)
{
	struct zt_event e;
	uint64_t key = reorder_event_key(data, size);
	uint64_t want;

	if (size < sizeof(e)) {
		CHECK(key == 0);
		return;
	}
	memcpy(&e, data, sizeof(e));
	if (e.type == ZT_EV_DATA)
		want = e.dir == ZT_DIR_INGRESS ? e.ts_exit_ns : e.ts_enter_ns;
	else if (e.type == ZT_EV_CLOSE)
		want = e.ts_enter_ns;
	else
		want = e.ts_exit_ns;
	CHECK(key == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[FRO_MAX_SLOT_SIZE + 32];
	static struct fro_model m;
	struct fro_input in = { data, size };
	size_t slot_size = (size_t)fro_take(&in, 2) % (FRO_MAX_SLOT_SIZE + 1);
	uint32_t slots = (uint32_t)fro_take(&in, 1) % FRO_MAX_SLOTS + 1;
	struct reorder *r = reorder_new(slot_size, slots, 0, 0);
	uint64_t arrivals = 0;

	fro_check_event_key(data, size);
	if (!r)
		return 0; /* calloc(n, 0) may give NULL */
	m.n = 0;
	while (in.n) {
		uint8_t op = (uint8_t)fro_take(&in, 1);

		if (op < 150) {
			uint64_t key = fro_key(&in);
			/* sizes up to a little past the slot, to hit the refusal */
			size_t len = (size_t)fro_take(&in, 2) % (slot_size + 17);
			int rc, want;

			if (len > sizeof(buf))
				len = sizeof(buf);
			fro_fill(buf, arrivals, len);
			rc = reorder_push(r, key, buf, len);
			want = len > slot_size || m.n == slots ? -1 : 0;
			CHECK(rc == want);
			if (!rc)
				fro_model_insert(&m, key, arrivals, (uint32_t)len);
			/* the window copied the record: scribbling on ours is harmless */
			memset(buf, 0xa5, len);
			arrivals++;
		} else if (op < 250) {
			uint64_t bound = op & 1 ? UINT64_MAX : fro_key(&in);

			fro_check_pop(r, &m, bound);
		} else {
			/* the daemon's full-window recovery: release the oldest */
			fro_check_pop(r, &m, UINT64_MAX);
		}
		CHECK(reorder_count(r) == m.n);
	}
	/* drain: everything below UINT64_MAX comes out in model order */
	while (m.n && m.e[0].key != UINT64_MAX)
		fro_check_pop(r, &m, UINT64_MAX);
	CHECK(reorder_count(r) == m.n);
	reorder_free(r);
	return 0;
}
