/* SPDX-License-Identifier: MIT */
/*
 * A streaming reader of RESP2 and RESP3 (redis.io/docs/reference/protocol-spec
 * and antirez/RESP3): bytes in, one summary per top-level message out. It
 * keeps only what a span needs -- the message's type, its first elements
 * (a command and its key, a pub/sub kind) cut short, an error's text, its
 * size -- never the values themselves. Bounded: lines past RESP_LINE_MAX are
 * cut, nesting past RESP_DEPTH_MAX is a parse miss. Pure: no I/O, no globals.
 */
#ifndef ZT_RESP_H
#define ZT_RESP_H

#include <stddef.h>
#include <stdint.h>

#define RESP_LINE_MAX 128  /* a type line kept whole; longer ones are cut */
#define RESP_DEPTH_MAX 8   /* aggregates inside aggregates */
#define RESP_KEEP 3        /* first elements of a top-level aggregate kept */
#define RESP_KEEP_MAX 96   /* bytes kept of each */
#define RESP_TEXT_MAX 96   /* bytes kept of a simple string or error */

/* Inline commands (a line of words, no RESP framing) as Redis accepts
 * them on its request side. */
#define RESP_TYPE_INLINE 'i'

struct resp_msg {
	uint8_t type;          /* the first byte ('*', '+', '-', '$', '>', ...) or RESP_TYPE_INLINE */
	uint8_t is_null;       /* "$-1", "*-1", "_" */
	uint32_t nelems;       /* top-level aggregate: its elements (maps: keys + values) */
	uint32_t nkept;        /* how many of them keep[] holds */
	uint16_t keep_len[RESP_KEEP];
	uint8_t keep_cut[RESP_KEEP]; /* longer than RESP_KEEP_MAX */
	char keep[RESP_KEEP][RESP_KEEP_MAX]; /* bulk contents or scalar lines */
	char text[RESP_TEXT_MAX]; /* '+', '-', '!': the start of its text, NUL-terminated */
	uint64_t bytes;        /* on the wire */
	uint64_t start_tag;
	uint64_t end_tag;
};

typedef void (*resp_msg_cb)(void *ctx, const struct resp_msg *m);

/* Reader state; callers never touch it. */
struct resp_level {
	int64_t left;          /* elements still to come; -1: a streamed aggregate ("*?") */
};

struct resp_reader {
	uint8_t state;         /* enum resp_state in resp.c */
	uint8_t type;          /* of the element being read */
	uint8_t inline_ok;     /* a request side: inline commands are messages */
	uint8_t attr;          /* the top-level element is a RESP3 attribute: not a message */
	uint8_t depth;
	uint8_t line_cut;
	uint8_t in_msg;        /* a top-level message has begun */
	uint16_t line_len;
	uint32_t elem;         /* index of the element being read at depth 1 */
	uint64_t bulk_left;    /* bulk body bytes still to come, CRLF included */
	uint64_t bulk_len;     /* the bulk's declared length */
	struct resp_level level[RESP_DEPTH_MAX];
	struct resp_msg msg;   /* the top-level message being read */
	char line[RESP_LINE_MAX];
};

/* A fresh reader; inline_ok for the side that sends commands. */
void resp_reader_init(struct resp_reader *r, int inline_ok);
/* Reads n bytes seen at `tag`, calling cb for each complete top-level
 * message. Returns the parse misses found: after one the reader is lost and
 * drops bytes until resp_reader_reset. */
unsigned int resp_feed(struct resp_reader *r, const uint8_t *p, size_t n, uint64_t tag,
		       resp_msg_cb cb, void *ctx);
/* n bytes went by uncopied: fine inside a bulk (body and CRLF), a miss
 * anywhere else. May complete a message (cb). Returns the misses (0 or 1). */
unsigned int resp_gap(struct resp_reader *r, uint64_t n, uint64_t tag, resp_msg_cb cb, void *ctx);
/* 1 when lost (a miss, until reset). */
int resp_reader_lost(const struct resp_reader *r);
/* 1 between messages: nothing of a message read yet. */
int resp_reader_idle(const struct resp_reader *r);
/* Drops any partial message: the next byte starts a message. */
void resp_reader_reset(struct resp_reader *r);

#endif /* ZT_RESP_H */
