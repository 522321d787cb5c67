// SPDX-License-Identifier: MIT
/* HTTP/2 and gRPC spans; the contract is in http2.h. */
#include <nghttp2/nghttp2.h>
#include <string.h>

#include "frames.h"
#include "hpack_tolerant.h"
#include "http2.h"
#include "http2_stream.h"
#include "http2_wire.h"
#include "text.h"

#define H2_STREAMS PROTO_INFLIGHT_MAX
/* a header frame kept whole up to this (the kernel copies at most a record,
 * 4 KiB, of one frame): a bearer token or a cookie fits */
#define H2_FRAME_KEEP 4096
/* the largest dynamic table an endpoint may ask for and still be followed */
#define H2_TABLE_MAX 65536

#define H2_FLAG_END_STREAM 0x1
#define H2_FLAG_ACK 0x1
#define H2_FLAG_END_HEADERS 0x4
#define H2_FLAG_PADDED 0x8
#define H2_FLAG_PRIORITY 0x20

#define H2_SETTINGS_HEADER_TABLE_SIZE 0x1


struct h2_dir {
	struct frame_reader rd;
	uint8_t buf[H2_FRAME_KEEP];
	nghttp2_hd_inflater *inf;
	/* once its table is (partly) unknown: what can be read of the blocks */
	struct hpack_tolerant *tol;
	uint8_t lost;             /* its table is unknown: inf is gone, tol reads */
	uint8_t block_cut;        /* the open block lost bytes: it is not decoded */
	uint8_t in_block;         /* a block waits for CONTINUATION */
	uint8_t block_end_stream; /* the block's HEADERS had END_STREAM */
	uint32_t block_stream;    /* 0: a block of no stream we follow (PUSH_PROMISE, full table) */
	uint32_t table_max;       /* the peer's SETTINGS_HEADER_TABLE_SIZE to apply between blocks */
};

struct h2_state {
	uint8_t framing;          /* http2_frame_len's state (none) */
	uint8_t started;          /* a frame was seen */
	uint32_t gen;
	uint32_t max_client_id;   /* the newest stream a client opened: ids only grow */
	struct h2_dir dir[2];     /* by enum proto_side */
	struct h2_stream s[H2_STREAMS];
};

_Static_assert(sizeof(struct h2_state) <= PROTO_STATE_MAX, "HTTP/2 state over the bound");

struct h2_run {
	struct h2_state *st;
	const struct proto_sink *k;
	enum proto_side side;
	unsigned int misses;
};

static uint32_t h2_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static struct h2_stream *h2_stream_find(struct h2_state *st, uint32_t id)
{
	for (uint32_t i = 0; i < H2_STREAMS; i++)
		if (st->s[i].id == id)
			return &st->s[i];
	return NULL;
}

/* The stream is over: its exchange, if its request was announced. */
static void h2_stream_finish(struct h2_run *r, struct h2_stream *s, uint64_t end_tag)
{
	struct proto_exchange x;

	if (s->blocks[PROTO_SIDE_REQUEST]) {
		if (s->incomplete)
			r->k->note(r->k->ctx, PROTO_NOTE_INCOMPLETE);
		h2_stream_record(s, r->k, end_tag, &x);
		r->k->exchange(r->k->ctx, &x);
	}
	memset(s, 0, sizeof(*s));
}

/* ---- header fields ------------------------------------------------------ */

static int h2_is(const nghttp2_nv *nv, const char *name)
{
	return nv->namelen == strlen(name) && !memcmp(nv->name, name, nv->namelen);
}

static int32_t h2_number(const uint8_t *p, size_t n)
{
	int64_t v = 0;

	if (!n || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return (int32_t)v;
}

static void h2_request_field(struct h2_stream *s, const nghttp2_nv *nv)
{
	if (h2_is(nv, ":method"))
		h2_copy(s->method, sizeof(s->method), nv->value, nv->valuelen);
	else if (h2_is(nv, ":path"))
		h2_copy(s->path, sizeof(s->path), nv->value, nv->valuelen);
	else if (h2_is(nv, ":scheme"))
		h2_copy(s->scheme, sizeof(s->scheme), nv->value, nv->valuelen);
	else if (h2_is(nv, "content-type"))
		s->grpc = nv->valuelen >= 16 && !memcmp(nv->value, "application/grpc", 16);
	else
		proto_context_header(&s->wire, (const char *)nv->name, nv->namelen,
				     (const char *)nv->value, nv->valuelen, 0);
}

static void h2_response_field(struct h2_stream *s, const nghttp2_nv *nv)
{
	int32_t v;

	if (h2_is(nv, ":status")) {
		v = h2_number(nv->value, nv->valuelen);
		/* an informational response (1xx) is not the final one */
		if (v >= 200 && v <= 999)
			s->status = (uint16_t)v;
	} else if (h2_is(nv, "grpc-status")) {
		v = h2_number(nv->value, nv->valuelen);
		if (v >= 0) {
			s->grpc_status = v;
			s->has_grpc_status = 1;
		}
	} else if (h2_is(nv, "grpc-message")) {
		h2_copy(s->grpc_message, sizeof(s->grpc_message), nv->value, nv->valuelen);
	} else if (h2_is(nv, "content-type") && nv->valuelen >= 16 &&
		   !memcmp(nv->value, "application/grpc", 16)) {
		s->grpc = 1;
	}
}

/* ---- header blocks ------------------------------------------------------ */

/* The direction's table is unknown from now on (insertions will rebuild
 * what the tolerant decoder knows of it); the open block is cut. */
static void h2_dir_tolerant(struct h2_dir *d)
{
	d->lost = 1;
	d->block_cut = 1;
	d->in_block = 0;
	/* never fed again: its table's memory goes now */
	if (d->inf) {
		nghttp2_hd_inflate_del(d->inf);
		d->inf = NULL;
	}
	/* out of memory: nothing of its blocks is read */
	if (d->tol)
		hpack_tolerant_forget(d->tol);
	else
		d->tol = hpack_tolerant_new();
}

static void h2_dir_lose(struct h2_run *r, struct h2_dir *d)
{
	if (!d->lost)
		r->misses++;
	h2_dir_tolerant(d);
}

static void h2_block_end(struct h2_run *r, struct h2_dir *d, uint64_t tag)
{
	struct h2_stream *s = d->block_stream ? h2_stream_find(r->st, d->block_stream) : NULL;

	d->in_block = 0;
	if (!s)
		return;
	if (r->side == PROTO_SIDE_REQUEST && s->blocks[PROTO_SIDE_REQUEST] == 1) {
		struct proto_request req = { .key = s->key, .stream = s->id,
					     .start_tag = s->start_tag, .wire = &s->wire };

		r->k->request(r->k->ctx, &req);
	}
	if (d->block_end_stream)
		s->ended[r->side] = 1;
	if (r->side == PROTO_SIDE_RESPONSE && s->ended[PROTO_SIDE_RESPONSE])
		h2_stream_finish(r, s, tag);
}

/* A field the block gave, to its stream's request or response. */
static void h2_field(struct h2_run *r, struct h2_stream *s, const nghttp2_nv *nv)
{
	if (r->side == PROTO_SIDE_REQUEST && s->blocks[PROTO_SIDE_REQUEST] == 1)
		h2_request_field(s, nv);
	else if (r->side == PROTO_SIDE_RESPONSE)
		h2_response_field(s, nv);
}

struct h2_tol_ctx {
	struct h2_run *r;
	struct h2_stream *s;
};

static void h2_tol_field(void *ctx, const uint8_t *name, size_t name_len, const uint8_t *value,
			 size_t value_len)
{
	struct h2_tol_ctx *x = ctx;
	nghttp2_nv nv = { .name = (uint8_t *)name, .value = (uint8_t *)value,
			  .namelen = name_len, .valuelen = value_len };

	if (x->s)
		h2_field(x->r, x->s, &nv);
}

/* A fragment of the open block of a direction whose table is partly
 * unknown: gathered, and read whole at its end; a field that cannot be
 * read leaves its stream incomplete, never guessed. */
static void h2_block_tolerant(struct h2_run *r, struct h2_dir *d, struct h2_stream *s,
			      const uint8_t *p, size_t n, int final, uint64_t tag)
{
	struct h2_tol_ctx x = { .r = r, .s = s };

	if (!d->tol || (!d->block_cut && p && hpack_tolerant_append(d->tol, p, n))) {
		/* a block too long to gather may have inserted entries */
		if (d->tol)
			hpack_tolerant_forget(d->tol);
		d->block_cut = 1;
	}
	if (!final)
		return;
	if (d->block_cut || hpack_tolerant_decode(d->tol, h2_tol_field, &x))
		if (s)
			s->incomplete = 1;
	if (d->block_cut && d->tol)
		hpack_tolerant_forget(d->tol);
	h2_block_end(r, d, tag);
}

/* Feeds a fragment of the open block to the direction's inflater. */
static void h2_block_feed(struct h2_run *r, struct h2_dir *d, const uint8_t *p, size_t n,
			  int final, uint64_t tag)
{
	struct h2_stream *s = d->block_stream ? h2_stream_find(r->st, d->block_stream) : NULL;

	if (d->lost || !d->inf) {
		h2_block_tolerant(r, d, s, p, n, final, tag);
		return;
	}
	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t rv = nghttp2_hd_inflate_hd2(d->inf, &nv, &flags, p, n, final);

		if (rv < 0) {
			/* the rest of this block is lost with the inflater */
			h2_dir_lose(r, d);
			d->in_block = 1;
			if (s)
				s->incomplete = 1;
			if (final)
				h2_block_end(r, d, tag);
			return;
		}
		p += rv;
		n -= (size_t)rv;
		if ((flags & NGHTTP2_HD_INFLATE_EMIT) && s)
			h2_field(r, s, &nv);
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(d->inf);
			h2_block_end(r, d, tag);
			return;
		}
		if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && !n)
			return;
	}
}

/* The open block will not be seen whole: its stream is incomplete, the
 * direction's table unknown, and the block ends here. */
static void h2_block_abort(struct h2_run *r, struct h2_dir *d, uint64_t tag)
{
	struct h2_stream *s = d->block_stream ? h2_stream_find(r->st, d->block_stream) : NULL;

	if (s)
		s->incomplete = 1;
	h2_dir_lose(r, d);
	h2_block_end(r, d, tag);
}

/* A new block begins: a SETTINGS table size seen since applies now. */
static void h2_block_begin(struct h2_dir *d, uint32_t stream, int end_stream)
{
	d->in_block = 1;
	d->block_cut = 0;
	d->block_stream = stream;
	d->block_end_stream = (uint8_t)end_stream;
	if (d->table_max && d->inf && !d->lost)
		nghttp2_hd_inflate_change_table_size(d->inf, d->table_max);
	d->table_max = 0;
}

/* The stream a client HEADERS frame opens or continues. */
static struct h2_stream *h2_stream_for(struct h2_run *r, uint32_t id, uint64_t tag)
{
	struct h2_stream *s = h2_stream_find(r->st, id);

	/* a closed stream's late block (a client's trailers after the answer)
	 * opens nothing; nor does anything once answers can't be read */
	if (s || r->side != PROTO_SIDE_REQUEST || !(id & 1) || id <= r->st->max_client_id ||
	    r->st->dir[PROTO_SIDE_RESPONSE].rd.lost)
		return s;
	r->st->max_client_id = id;
	s = h2_stream_find(r->st, 0);
	if (!s) {
		r->k->note(r->k->ctx, PROTO_NOTE_CACHE_FULL);
		return NULL;
	}
	memset(s, 0, sizeof(*s));
	s->id = id;
	/* never 0, and equal to no other in flight modulo H2_STREAMS */
	s->key = (uint32_t)(s - r->st->s) +
		 H2_STREAMS * (1 + r->st->gen++ % (UINT32_MAX / H2_STREAMS - 1));
	s->start_tag = tag;
	return s;
}

/* ---- frames ------------------------------------------------------------- */

/* The frame's payload as copied, padding and priority fields taken off;
 * 0 when what was copied cannot hold them. */
static int h2_payload(const struct frame *f, uint8_t flags, int priority, const uint8_t **p,
		      size_t *n)
{
	size_t len = f->len - H2_WIRE_HDR, pad = 0, skip = 0;

	if (f->kept < f->len || f->cut)
		return 0;
	*p = f->data + H2_WIRE_HDR;
	if (flags & H2_FLAG_PADDED) {
		if (!len)
			return 0;
		pad = (*p)[0];
		skip = 1;
	}
	if (priority)
		skip += 5;
	if (skip + pad > len)
		return 0;
	*p += skip;
	*n = len - skip - pad;
	return 1;
}

static void h2_on_headers(struct h2_run *r, struct h2_dir *d, const struct frame *f,
			  uint32_t id, uint8_t flags)
{
	struct h2_stream *s = h2_stream_for(r, id, f->start_tag);
	const uint8_t *p;
	size_t n;

	if (s && s->blocks[r->side] < 255)
		s->blocks[r->side]++;
	h2_block_begin(d, s ? id : 0, flags & H2_FLAG_END_STREAM);
	if (!h2_payload(f, flags, flags & H2_FLAG_PRIORITY, &p, &n)) {
		h2_dir_lose(r, d);
		d->in_block = 1;
		p = NULL;
		n = 0;
	}
	if (flags & H2_FLAG_END_HEADERS)
		h2_block_feed(r, d, p, n, 1, f->end_tag);
	else
		h2_block_feed(r, d, p, n, 0, f->end_tag);
}

static void h2_on_settings(struct h2_run *r, const struct frame *f, uint8_t flags)
{
	/* the size this endpoint's decoder allows: the other direction's blocks */
	struct h2_dir *d = &r->st->dir[!r->side];
	const uint8_t *p = f->data + H2_WIRE_HDR;

	if (flags & H2_FLAG_ACK)
		return;
	/* it may have changed the table's size */
	if (f->kept < f->len || f->cut) {
		h2_dir_lose(r, d);
		return;
	}
	for (uint64_t i = 0; i + 6 <= f->len - H2_WIRE_HDR; i += 6) {
		uint32_t v = h2_be32(p + i + 2);

		if (((uint32_t)p[i] << 8 | p[i + 1]) != H2_SETTINGS_HEADER_TABLE_SIZE)
			continue;
		/* a table this agent will not hold is a table it does not know */
		if (v > H2_TABLE_MAX)
			h2_dir_lose(r, d);
		else if (v > 4096)
			d->table_max = v;
	}
}

/* The gRPC messages that start in a DATA payload of n bytes at offset at
 * of the frame, from their prefixes (flag byte, big-endian length). */
static void h2_count_messages(struct h2_stream *s, int side, const struct frame *f, uint64_t at,
			      uint64_t n)
{
	uint64_t pos = 0;

	while (pos < n && !s->msgs_lost[side]) {
		uint64_t take;

		if (!s->msg_left[side]) {
			if (at + pos + 5 > f->kept) {
				s->msgs_lost[side] = 1;
				return;
			}
			s->msgs[side]++;
			s->msg_left[side] = 5 + h2_be32(f->data + at + pos + 1);
			if (s->msg_left[side] < 5) /* a length near 4 GiB wrapped */
				s->msg_left[side] = UINT32_MAX;
		}
		take = n - pos < s->msg_left[side] ? n - pos : s->msg_left[side];
		s->msg_left[side] -= (uint32_t)take;
		pos += take;
	}
}

static void h2_on_frame(void *ctx, const struct frame *f)
{
	struct h2_run *r = ctx;
	struct h2_dir *d = &r->st->dir[r->side];
	const uint8_t *h = f->data;
	uint8_t type, flags;
	uint32_t id;
	struct h2_stream *s;

	if (f->kept < H2_WIRE_HDR || f->len < H2_WIRE_HDR) {
		if (d->in_block)
			h2_block_abort(r, d, f->start_tag);
		return;
	}
	/* the client's connection preface */
	if (r->side == PROTO_SIDE_REQUEST && f->len == H2_WIRE_PREFACE_LEN &&
	    h2_wire_preface(h, 8)) {
		r->st->started = 1;
		return;
	}
	/* joined after the preface: neither table is known (their blocks are
	 * read as far as they can be) */
	if (!r->st->started) {
		r->st->started = 1;
		h2_dir_tolerant(&r->st->dir[PROTO_SIDE_REQUEST]);
		h2_dir_tolerant(&r->st->dir[PROTO_SIDE_RESPONSE]);
	}
	type = h[3];
	flags = h[4];
	id = h2_be32(h + 5) & 0x7fffffffu;
	/* a block is one HEADERS or PUSH_PROMISE and its CONTINUATIONs, nothing between */
	if (d->in_block && type != H2_CONTINUATION)
		h2_block_abort(r, d, f->start_tag);
	switch (type) {
	case H2_HEADERS:
		h2_on_headers(r, d, f, id, flags);
		break;
	case H2_CONTINUATION: {
		const uint8_t *p = f->data + H2_WIRE_HDR;
		size_t n = (size_t)(f->len - H2_WIRE_HDR);

		if (!d->in_block)
			break;
		if (f->kept < f->len || f->cut) {
			h2_dir_lose(r, d);
			d->in_block = 1;
			p = NULL;
			n = 0;
		}
		h2_block_feed(r, d, p, n, flags & H2_FLAG_END_HEADERS, f->end_tag);
		break;
	}
	case H2_PUSH_PROMISE: {
		const uint8_t *p;
		size_t n;

		/* its fields belong to a stream nobody asked for: decoded for the
		 * table only, the push counted */
		r->k->note(r->k->ctx, PROTO_NOTE_PUSH);
		h2_block_begin(d, 0, 0);
		if (!h2_payload(f, flags, 0, &p, &n) || n < 4) {
			h2_dir_lose(r, d);
			d->in_block = 1;
			p = NULL;
			n = 4;
		}
		h2_block_feed(r, d, p ? p + 4 : NULL, n - 4, flags & H2_FLAG_END_HEADERS, f->end_tag);
		break;
	}
	case H2_DATA:
		s = h2_stream_find(r->st, id);
		if (!s || !id)
			break;
		{
			uint64_t len = f->len - H2_WIRE_HDR, pad = 0, skip = 0;

			if ((flags & H2_FLAG_PADDED) && len) {
				/* a pad length not copied: the body's size is unknown */
				pad = f->kept > H2_WIRE_HDR ? (uint64_t)f->data[H2_WIRE_HDR] : len;
				skip = 1;
			}
			if (skip + pad <= len) {
				s->body[r->side] += len - skip - pad;
				if (s->grpc)
					h2_count_messages(s, r->side, f, H2_WIRE_HDR + skip, len - skip - pad);
			}
		}
		if (flags & H2_FLAG_END_STREAM) {
			s->ended[r->side] = 1;
			if (r->side == PROTO_SIDE_RESPONSE)
				h2_stream_finish(r, s, f->end_tag);
		}
		break;
	case H2_RST_STREAM:
		s = h2_stream_find(r->st, id);
		if (!s || !id)
			break;
		s->reset = 1;
		s->rst_code = f->kept >= H2_WIRE_HDR + 4 ? h2_be32(f->data + H2_WIRE_HDR) : 0;
		h2_stream_finish(r, s, f->end_tag);
		break;
	case H2_SETTINGS:
		h2_on_settings(r, f, flags);
		break;
	default:
		break;
	}
}

/* ---- the module --------------------------------------------------------- */

static void h2_init(void *state)
{
	struct h2_state *st = state;

	memset(st, 0, sizeof(*st));
	for (int side = 0; side < 2; side++) {
		frame_reader_init(&st->dir[side].rd, http2_frame_len, side == PROTO_SIDE_REQUEST,
				  &st->framing, st->dir[side].buf, H2_FRAME_KEEP);
		/* without an inflater (out of memory) the direction decodes nothing */
		if (nghttp2_hd_inflate_new(&st->dir[side].inf))
			st->dir[side].inf = NULL;
	}
}

static unsigned int h2_feed(void *state, const struct proto_chunk *c, const struct proto_sink *k)
{
	struct h2_state *st = state;
	struct h2_run r = { .st = st, .k = k, .side = c->side };
	struct h2_dir *d = &st->dir[c->side & 1];
	/* counted frames (flow control, pings) tell a span nothing */
	struct frame_sink fs = { .frame = h2_on_frame, .ctx = &r };

	if (d->rd.lost)
		return 0;
	r.misses += frame_reader_feed(&d->rd, c, &fs);
	/* frames lost: where the next one starts is unknown, and so is the
	 * table; without the answers no stream in flight can end but now */
	if (d->rd.lost) {
		h2_dir_lose(&r, d);
		if (c->side == PROTO_SIDE_RESPONSE)
			for (uint32_t i = 0; i < H2_STREAMS; i++)
				if (st->s[i].id) {
					st->s[i].incomplete = 1;
					h2_stream_finish(&r, &st->s[i], c->tag);
				}
	}
	return r.misses;
}

static void h2_close(void *state, const struct proto_sink *k)
{
	struct h2_state *st = state;
	struct h2_run r = { .st = st, .k = k, .side = PROTO_SIDE_RESPONSE };

	for (uint32_t i = 0; i < H2_STREAMS; i++)
		if (st->s[i].id)
			h2_stream_finish(&r, &st->s[i], st->s[i].start_tag);
	for (int side = 0; side < 2; side++) {
		if (st->dir[side].inf)
			nghttp2_hd_inflate_del(st->dir[side].inf);
		hpack_tolerant_free(st->dir[side].tol);
	}
	memset(st->dir, 0, sizeof(st->dir));
}

/* h2c: the HTTP/1.1 request that asked for the upgrade is stream 1,
 * half-closed by the client (RFC 9113 §3.2), in the slot its key gives
 * so that no later stream's key meets it. Both tables start empty, unless
 * the server's frames began before the switch was seen: then what its
 * blocks inserted is unknown, and read as a joined connection's. */
static void h2_adopt(void *state, const struct proto_handoff *h)
{
	struct h2_state *st = state;
	struct h2_stream *s = &st->s[h->key % H2_STREAMS];

	st->started = 1;
	if (h->answers_unseen)
		h2_dir_tolerant(&st->dir[PROTO_SIDE_RESPONSE]);
	if (!h->key)
		return;
	st->max_client_id = 1;
	s->id = 1;
	s->key = h->key;
	s->blocks[PROTO_SIDE_REQUEST] = 1;
	s->ended[PROTO_SIDE_REQUEST] = 1;
	s->upgraded = 1;
	s->start_tag = h->start_tag;
	s->body[PROTO_SIDE_REQUEST] = h->req_size;
	text_copy_cut(s->method, sizeof(s->method), h->method);
	text_copy_cut(s->path, sizeof(s->path), h->target);
	s->wire = h->wire;
}

const struct proto proto_http2 = {
	.name = "http2",
	.id = ZT_PROTO_HTTP2,
	.state_size = sizeof(struct h2_state),
	.uninjectable = 1,
	.init = h2_init,
	.feed = h2_feed,
	.close = h2_close,
	.adopt = h2_adopt,
};
