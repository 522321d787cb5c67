/* SPDX-License-Identifier: MIT */
/* A bounded string cursor: appends what fits in cap-1 bytes, never more. */
#ifndef ZT_OUTBUF_H
#define ZT_OUTBUF_H

#include <stddef.h>
#include <string.h>

struct outbuf {
	char *buf;
	size_t cap;
	size_t len;
};

static inline void outbuf_put(struct outbuf *w, const char *s, size_t n)
{
	size_t room = w->cap - 1 - w->len;

	if (n > room)
		n = room;
	if (n == 0)
		return; /* s may be NULL for an empty input */
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

#endif /* ZT_OUTBUF_H */
