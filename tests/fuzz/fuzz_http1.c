/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the HTTP/1.x parser.
 *
 * The input is a list of records: op, len, gap, then len payload bytes.
 *   op bit 0      side (0 request, 1 response)
 *   op bits 1..3  0-4 feed, 5-6 feed_gap (payload is the tail), 7 close
 *   op bits 4..7  r: the payload is repeated 1 + 4r times (long lines,
 *                 full pipelines)
 *   gap           0..159 none, 160..223 small (0..31), 224..255 2^(0..31)
 * Each payload is copied to a buffer of its exact size, so ASan sees any
 * read past what was captured.
 *
 * Checked: counts stay in range, strings stay terminated, tags are ordered,
 * reported body sizes never exceed the bytes fed on that side (gaps
 * included), misses add up, close resets the connection, and a connection
 * that is OTHER says nothing. Then the payloads are replayed without gaps,
 * whole and one byte per feed (larger pieces for large inputs): when the
 * whole run has no miss, both runs must report exactly the same exchanges.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: check failed: %s\n",        \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

#define KNOWN_FLAGS                                                         \
	(HTTP1_MSG_HEAD_TRUNCATED | HTTP1_MSG_TARGET_TRUNCATED |            \
	 HTTP1_MSG_CHUNKED | HTTP1_MSG_CLOSE_DELIMITED |                    \
	 HTTP1_MSG_FRAMING_LOST | HTTP1_MSG_EXPECT_CONTINUE |               \
	 HTTP1_MSG_INCOMPLETE)

enum op_kind { OP_FEED, OP_FEED_GAP, OP_CLOSE };

struct record {
	enum op_kind kind;
	enum http1_side side;
	uint8_t *payload; /* malloc'd, exactly len bytes */
	size_t len;
	uint64_t gap;
};

struct state {
	struct http1_conn conn;
	uint64_t fed[2];      /* bytes moved per side since the last close */
	uint64_t reported[2]; /* body bytes reported per side since then */
	uint64_t misses;      /* sum of the feeds' return values since then */
	uint64_t all_misses;  /* the same over the whole input */
	uint64_t hash;        /* of every exchange, for the differential */
	uint64_t exchanges;
	uint64_t bytes;       /* payload bytes fed over the whole input */
	int quiet;            /* set while the conn is OTHER: no callback */
};

static struct state main_run, whole_run, bytes_run;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t gap_size(uint8_t code)
{
	if (code < 160)
		return 0;
	if (code < 224)
		return code & 31;
	return 1ull << (code & 31);
}

/* Returns the input bytes used (0 at the end); free rec->payload after. */
static size_t parse_record(const uint8_t *data, size_t size,
			   struct record *rec)
{
	unsigned int kind, repeat, i;
	size_t len;

	if (size < 3)
		return 0;
	kind = (data[0] >> 1) & 7;
	repeat = 1 + 4 * (data[0] >> 4);
	rec->side = (data[0] & 1) ? HTTP1_SIDE_RESPONSE : HTTP1_SIDE_REQUEST;
	rec->kind = kind < 5 ? OP_FEED : kind < 7 ? OP_FEED_GAP : OP_CLOSE;
	len = data[1];
	rec->gap = gap_size(data[2]);
	if (len > size - 3)
		len = size - 3;
	/* an exact-size copy, so a read past the captured bytes is caught */
	rec->len = len * repeat;
	rec->payload = malloc(rec->len ? rec->len : 1);
	CHECK(rec->payload != NULL);
	for (i = 0; i < repeat; i++)
		memcpy(rec->payload + i * len, data + 3, len);
	return 3 + len;
}

static int terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t mix_u64(uint64_t h, uint64_t v)
{
	return mix(h, &v, sizeof(v));
}

static uint64_t hash_exchange(uint64_t h, const struct http1_exchange *ex)
{
	h = mix(h, ex->req.method, strlen(ex->req.method));
	h = mix(h, ex->req.target, strlen(ex->req.target));
	h = mix(h, ex->req.host, strlen(ex->req.host));
	h = mix_u64(h, ex->req.start_tag);
	h = mix_u64(h, ex->req.end_tag);
	h = mix_u64(h, ex->req.body_size);
	h = mix_u64(h, ex->req.flags);
	h = mix_u64(h, ex->req.version_minor);
	h = mix_u64(h, ex->has_response);
	h = mix_u64(h, ex->resp.start_tag);
	h = mix_u64(h, ex->resp.end_tag);
	h = mix_u64(h, ex->resp.body_size);
	h = mix_u64(h, ex->resp.flags);
	h = mix_u64(h, ex->resp.status);
	return mix_u64(h, ex->resp.version_minor);
}

static void on_exchange(void *ctx, const struct http1_exchange *ex)
{
	struct state *st = ctx;
	const struct http1_request *req = &ex->req;
	const struct http1_response *resp = &ex->resp;

	CHECK(!st->quiet);
	CHECK(terminated(req->method, sizeof(req->method)));
	CHECK(terminated(req->target, sizeof(req->target)));
	CHECK(terminated(req->host, sizeof(req->host)));
	CHECK((req->flags & ~KNOWN_FLAGS) == 0);
	CHECK(req->version_minor <= 9);
	CHECK(req->start_tag >= 1 && req->start_tag <= req->end_tag);
	CHECK(ex->has_response <= 1);
	st->reported[HTTP1_SIDE_REQUEST] += req->body_size;
	CHECK(st->reported[HTTP1_SIDE_REQUEST] <= st->fed[HTTP1_SIDE_REQUEST]);
	if (ex->has_response) {
		CHECK((resp->flags & ~KNOWN_FLAGS) == 0);
		CHECK(resp->status == 0 ||
		      (resp->status >= 100 && resp->status <= 999));
		CHECK(resp->status < 100 || resp->status >= 200 ||
		      resp->status == 101);
		CHECK(resp->start_tag >= 1 && resp->start_tag <= resp->end_tag);
		st->reported[HTTP1_SIDE_RESPONSE] += resp->body_size;
		CHECK(st->reported[HTTP1_SIDE_RESPONSE] <=
		      st->fed[HTTP1_SIDE_RESPONSE]);
	} else {
		CHECK(resp->status == 0 && resp->body_size == 0 &&
		      resp->flags == 0 && resp->start_tag == 0);
	}
	st->hash = hash_exchange(st->hash, ex);
	st->exchanges++;
}

static void check_conn(const struct state *st)
{
	const struct http1_conn *c = &st->conn;

	CHECK(c->pending_count <= HTTP1_PIPELINE_MAX);
	CHECK(c->pending_head < HTTP1_PIPELINE_MAX);
	CHECK(c->proto <= HTTP1_PROTO_OTHER);
	CHECK(c->misses == st->misses);
	CHECK(c->req_stream.line_len <= HTTP1_LINE_MAX);
	CHECK(c->resp_stream.line_len <= HTTP1_LINE_MAX);
}

static void state_reset(struct state *st)
{
	memset(st, 0, sizeof(*st));
	http1_conn_init(&st->conn);
}

static void do_close(struct state *st, uint64_t tag)
{
	static const struct http1_conn zero;

	http1_conn_close(&st->conn, tag, on_exchange, st);
	CHECK(memcmp(&st->conn, &zero, sizeof(zero)) == 0);
	st->fed[0] = st->fed[1] = 0;
	st->reported[0] = st->reported[1] = 0;
	st->misses = 0;
}

static void do_feed(struct state *st, const struct record *rec,
		    const uint8_t *buf, size_t len, uint64_t gap, uint64_t tag)
{
	int was_other = st->conn.proto == HTTP1_PROTO_OTHER;
	unsigned int m;

	st->fed[rec->side] += len + gap;
	st->bytes += len;
	st->quiet = was_other;
	if (rec->kind == OP_FEED_GAP)
		m = http1_conn_feed_gap(&st->conn, rec->side, len + gap, buf,
					len, tag, on_exchange, st);
	else
		m = http1_conn_feed(&st->conn, rec->side, buf, len, len + gap,
				    tag, on_exchange, st);
	st->quiet = 0;
	CHECK(!was_other || m == 0);
	st->misses += m;
	st->all_misses += m;
	check_conn(st);
}

/* Every record, with gaps, feed_gap and close as the input says. */
static void run_main(const uint8_t *data, size_t size)
{
	struct record rec;
	uint64_t tag = 0;
	size_t used;

	state_reset(&main_run);
	while ((used = parse_record(data, size, &rec)) != 0) {
		data += used;
		size -= used;
		tag++;
		if (rec.kind == OP_CLOSE)
			do_close(&main_run, tag);
		else
			do_feed(&main_run, &rec, rec.payload, rec.len, rec.gap,
				tag);
		free(rec.payload);
	}
	do_close(&main_run, tag + 1);
}

/* The payloads as plain feeds, whole (piece 0) or cut into pieces of
 * `piece` bytes, each piece keeping its record's tag. */
static void run_plain(struct state *st, const uint8_t *data, size_t size,
		      size_t piece)
{
	struct record rec;
	uint64_t tag = 0;
	size_t used, k;

	state_reset(st);
	while ((used = parse_record(data, size, &rec)) != 0) {
		data += used;
		size -= used;
		tag++;
		if (rec.kind == OP_CLOSE) {
			do_close(st, tag);
		} else {
			rec.kind = OP_FEED;
			if (!piece)
				do_feed(st, &rec, rec.payload, rec.len, 0, tag);
			for (k = 0; piece && k < rec.len; k += piece)
				do_feed(st, &rec, rec.payload + k,
					rec.len - k < piece ? rec.len - k : piece,
					0, tag);
		}
		free(rec.payload);
	}
	do_close(st, tag + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_main(data, size);

	run_plain(&whole_run, data, size, 0);
	/* one byte per feed, unless repeats made the input large */
	run_plain(&bytes_run, data, size,
		  whole_run.bytes <= 4096 ? 1 : 1 + whole_run.bytes % 97);
	/* Feed boundaries only matter once something went wrong (a miss
	 * starts skipping, which resumes at a feed start). */
	if (whole_run.all_misses == 0) {
		CHECK(bytes_run.all_misses == 0);
		CHECK(bytes_run.exchanges == whole_run.exchanges);
		CHECK(bytes_run.hash == whole_run.hash);
	}
	return 0;
}
