/* SPDX-License-Identifier: MIT */
/*
 * HPACK (RFC 7541) for a direction whose dynamic table is partly unknown:
 * a connection joined after its start, or one whose header block was not
 * seen whole. libnghttp2's inflater stops for good at the first index it
 * does not hold; this decoder reads on and says which fields it could not
 * read, never guessing one:
 *
 *   - static-table references and literals are always known (a gRPC
 *     call's :path is a literal the first time its method is called);
 *   - every insertion seen since the table became unknown is kept, so a
 *     dynamic index i names the i-th newest of them: an encoder only
 *     references entries its table still holds, and the newest i entries
 *     of its table are exactly those, whatever its size and whatever it
 *     evicted. An index past them is unknown. Keeping more entries than
 *     the encoder's table holds is therefore harmless, keeping fewer only
 *     costs fields: the table's size is never needed.
 *   - Huffman-coded strings go through libnghttp2's own decoder: a scratch
 *     inflater is fed the string as the value of a literal that is never
 *     indexed, which leaves its table empty.
 *
 * A block it cannot parse, or a block not seen whole, makes every entry
 * unknown again (hpack_tolerant_forget).
 */
#ifndef ZT_HPACK_TOLERANT_H
#define ZT_HPACK_TOLERANT_H

#include <stddef.h>
#include <stdint.h>

/* Header block bytes gathered from a HEADERS frame and its CONTINUATIONs. */
#define HPACK_TOL_BLOCK_MAX 8192

struct hpack_tolerant;

typedef void (*hpack_field_fn)(void *ctx, const uint8_t *name, size_t name_len,
			       const uint8_t *value, size_t value_len);

/* NULL when out of memory. */
struct hpack_tolerant *hpack_tolerant_new(void);
void hpack_tolerant_free(struct hpack_tolerant *t);
/* Insertions were missed: no dynamic entry is known any more. */
void hpack_tolerant_forget(struct hpack_tolerant *t);

/* The block being gathered: appends a fragment; -1 when it outgrows
 * HPACK_TOL_BLOCK_MAX (the block is then not decoded: forget). */
int hpack_tolerant_append(struct hpack_tolerant *t, const uint8_t *p, size_t n);
/*
 * Decodes the gathered block and empties it: each field it can read goes
 * to fn, in order. Returns how many fields it could not read, or -1 for a
 * block that is malformed (its entries are then forgotten: it may have
 * inserted some that were not understood).
 */
int hpack_tolerant_decode(struct hpack_tolerant *t, hpack_field_fn fn, void *ctx);

#endif /* ZT_HPACK_TOLERANT_H */
