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
 * included), misses add up, every dropped request whose head ended is
 * reported to the drop callback and never gets an exchange, close
 * resets the connection (callbacks kept), and a connection that is OTHER
 * says nothing. Each exchange's neutral record (http1_exchange_record), as
 * a SERVER and as a CLIENT span, is well formed: terminated strings, the
 * HTTP attributes in order within the list's bounds, the status rule, the
 * code and the metric labels agreeing, tags and sizes as the exchange's. Then the payloads are replayed without gaps,
 * whole and one byte per feed (larger pieces for large inputs): when the
 * whole run has no miss, both runs must report exactly the same exchanges.
 * And whole again, parking the connection whenever it is idle (init over a
 * state full of garbage, then resume): always the same exchanges and misses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "../unit/span_attrs_check.h"
#include "fuzz_check.h"

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
	uint64_t drops;       /* drop callbacks since the last close */
	int parking;          /* park and resume whenever the conn is idle */
	uint32_t dropped[64]; /* their seqs (the first 64) */
	int quiet;            /* set while the conn is OTHER: no callback */
};

static struct state main_run, whole_run, bytes_run, parked_run;

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

static const char *const http_keys[] = {
	"http.request.method", "url.path", "url.query", "http.response.status_code",
	"network.protocol.version", "http.request.body.size", "http.response.body.size",
};

/* The record of ex as a kind span. */
static void check_record(const struct http1_exchange *ex, uint8_t kind)
{
	static struct proto_exchange x;
	const struct span_attrs *l = &x.attrs;
	char code[8] = "", name[SPAN_NAME_MAX + 8];
	size_t k = 0, n;
	int64_t v;
	int has_status = ex->has_response && ex->resp.status;

	memset(&x, 0xa5, sizeof(x));
	http1_exchange_record(ex, kind, &x);
	CHECK(terminated(x.name, sizeof(x.name)));
	CHECK(terminated(x.code, sizeof(x.code)));
	CHECK(terminated(x.status_message, sizeof(x.status_message)));
	CHECK(x.key == ex->req.seq);
	CHECK(x.has_response == ex->has_response);
	CHECK(x.wire == &ex->req.wire);
	CHECK(x.start_tag == ex->req.start_tag);
	CHECK(x.end_tag >= x.start_tag);
	CHECK(x.end_tag == (ex->has_response ? ex->resp.end_tag : ex->req.end_tag) ||
	      x.end_tag == x.start_tag);
	CHECK(x.req_size == ex->req.body_size);

	/* the list: in bounds, no overflow, the HTTP keys in order */
	CHECK(!l->overflow && l->n <= SPAN_ATTRS_MAX && l->text_len <= SPAN_TEXT_MAX);
	for (uint16_t i = 0; i < l->n; i++) {
		if (l->a[i].type == SPAN_ATTR_STR)
			CHECK((uint32_t)l->a[i].off + l->a[i].len <= l->text_len);
		else
			CHECK(l->a[i].type == SPAN_ATTR_INT);
		while (k < sizeof(http_keys) / sizeof(http_keys[0]) &&
		       strcmp(l->a[i].key, http_keys[k]) != 0) {
			CHECK(k == 2 || k == 3); /* url.query, the status code: optional */
			k++;
		}
		CHECK(k < sizeof(http_keys) / sizeof(http_keys[0]));
		k++;
	}
	CHECK(k == sizeof(http_keys) / sizeof(http_keys[0]));
	CHECK(x.endpoints_at == 2 + (sa_find(l, "url.query") != NULL) + has_status);
	CHECK(strcmp(sa_str(l, "http.request.method"), ex->req.method) == 0);
	CHECK(!memchr(span_attr_str(l, sa_find(l, "url.path"), &n), '?', n));
	CHECK((sa_find(l, "url.query") != NULL) == (strchr(ex->req.target, '?') != NULL &&
						   (!strchr(ex->req.target, '#') ||
						    strchr(ex->req.target, '?') <
						    strchr(ex->req.target, '#'))));
	CHECK(strcmp(sa_str(l, "network.protocol.version"),
		     ex->req.version_minor ? "1.1" : "1.0") == 0);
	CHECK(sa_int(l, "http.request.body.size", &v) && v >= 0);

	/* status code, code, status rule, metric */
	CHECK(sa_int(l, "http.response.status_code", &v) == has_status);
	if (has_status) {
		CHECK(v == ex->resp.status);
		snprintf(code, sizeof(code), "%u", ex->resp.status);
		CHECK(x.status == (v >= 500 || (v >= 400 && kind == SPAN_KIND_CLIENT) ?
				   SPAN_STATUS_ERROR : SPAN_STATUS_UNSET));
	} else {
		CHECK(x.status == SPAN_STATUS_ERROR);
	}
	CHECK(strcmp(x.code, code) == 0);
	CHECK((x.status == SPAN_STATUS_ERROR) == (x.status_message[0] != '\0'));
	CHECK(x.metric.family ==
	      (kind == SPAN_KIND_SERVER ? METRIC_HTTP_SERVER : METRIC_HTTP_CLIENT));
	CHECK(strcmp(span_metric_label(&x.metric, 0), ex->req.method) == 0);
	CHECK(strcmp(span_metric_label(&x.metric, 2), code) == 0);
	snprintf(name, sizeof(name), "%s %s", ex->req.method, span_metric_label(&x.metric, 1));
	CHECK(strcmp(x.name, name) == 0);
}

static void on_drop(void *ctx, const struct http1_request *req)
{
	struct state *st = ctx;

	CHECK(!st->quiet);
	CHECK(req->seq != 0);
	CHECK(req->head_ended);
	if (st->drops < sizeof(st->dropped) / sizeof(st->dropped[0]))
		st->dropped[st->drops] = req->seq;
	st->drops++;
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
	/* a dropped request never gets an exchange */
	for (uint64_t i = 0; i < st->drops && i < sizeof(st->dropped) / sizeof(st->dropped[0]); i++)
		CHECK(st->dropped[i] != req->seq);
	check_record(ex, SPAN_KIND_SERVER);
	check_record(ex, SPAN_KIND_CLIENT);
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
	CHECK(st->drops <= c->pipeline_drops);
	CHECK(c->req_stream.line_len <= HTTP1_LINE_MAX);
	CHECK(c->resp_stream.line_len <= HTTP1_LINE_MAX);
}

static void state_reset(struct state *st)
{
	int parking = st->parking;

	memset(st, 0, sizeof(*st));
	st->parking = parking;
	http1_conn_init(&st->conn);
	http1_conn_set_drop_cb(&st->conn, on_drop);
}

static void do_close(struct state *st, uint64_t tag)
{
	static struct http1_conn fresh;

	http1_conn_close(&st->conn, tag, on_exchange, st);
	/* back to its init state, its callbacks kept (init leaves the line
	 * buffers and the pending ring as they are: written before read) */
	memset(&fresh, 0, sizeof(fresh));
	http1_conn_init(&fresh);
	http1_conn_set_drop_cb(&fresh, on_drop);
	CHECK(memcmp(&st->conn, &fresh, offsetof(struct http1_conn, req_stream)) == 0);
	CHECK(memcmp(&st->conn.req_stream, &fresh.req_stream,
		     offsetof(struct http1_stream, line_tail)) == 0);
	CHECK(memcmp(&st->conn.resp_stream, &fresh.resp_stream,
		     offsetof(struct http1_stream, line_tail)) == 0);
	st->fed[0] = st->fed[1] = 0;
	st->reported[0] = st->reported[1] = 0;
	st->misses = 0;
	st->drops = 0;
}

/* Idle, the connection parks as the tracer would: a state that held
 * anything else, cleared by init, then the carry (counters start over). */
static void park_and_resume(struct state *st)
{
	uint64_t carry;

	if (!http1_conn_park(&st->conn, &carry))
		return;
	CHECK(st->conn.pending_count == 0);
	memset(&st->conn, 0xa5, sizeof(st->conn));
	http1_conn_init(&st->conn);
	http1_conn_set_drop_cb(&st->conn, on_drop);
	http1_conn_resume(&st->conn, carry);
	st->misses = 0;
	st->drops = 0;
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
	if (st->parking)
		park_and_resume(st);
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
	/* parking between messages is invisible: the same exchanges */
	parked_run.parking = 1;
	run_plain(&parked_run, data, size, 0);
	CHECK(parked_run.all_misses == whole_run.all_misses);
	CHECK(parked_run.exchanges == whole_run.exchanges);
	CHECK(parked_run.hash == whole_run.hash);
	/* Feed boundaries only matter once something went wrong (a miss
	 * starts skipping, which resumes at a feed start). */
	if (whole_run.all_misses == 0) {
		CHECK(bytes_run.all_misses == 0);
		CHECK(bytes_run.exchanges == whole_run.exchanges);
		CHECK(bytes_run.hash == whole_run.hash);
	}
	return 0;
}
