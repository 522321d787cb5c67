/* SPDX-License-Identifier: MIT */
/*
 * Fuzzing a protocol module through the interface, as the tracer drives
 * it: the input is a script of syscalls (side, how much was copied, how
 * much went by) over the fuzzer's bytes, fed plain, as gaps, or as the
 * kernel's frame walk segments them (FRAMES protocols). The sink checks
 * what every module promises: keys never 0, an exchange only for a
 * requested key and only once, abandoned keys never answered, strings
 * terminated, times in order, no attribute list overflow.
 */
#ifndef ZT_PROTO_FUZZ_H
#define ZT_PROTO_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "walk_sim.h"

#define PF_KEYS 4096

struct pf_ctx {
	const struct proto *p;
	uint8_t live[PF_KEYS];   /* requested, not yet ended (by key % PF_KEYS) */
	uint32_t live_key[PF_KEYS];
	uint64_t tag;
	uint32_t exchanges;
};

static inline void pf_die(const char *why)
{
	fprintf(stderr, "proto_fuzz: %s\n", why);
	__builtin_trap();
}

static inline int pf_terminated(const char *s, size_t cap)
{
	return memchr(s, 0, cap) != NULL;
}

static void pf_request(void *ctx, const struct proto_request *r)
{
	struct pf_ctx *x = ctx;
	uint32_t i = r->key % PF_KEYS;

	if (!r->key)
		pf_die("key 0");
	/* a key can come back only after its exchange or abandon */
	if (x->live[i] && x->live_key[i] == r->key)
		pf_die("key requested twice");
	x->live[i] = 1;
	x->live_key[i] = r->key;
}

static void pf_end(struct pf_ctx *x, uint32_t key, int exchange)
{
	uint32_t i = key % PF_KEYS;

	/* an exchange may come without a request only when its head was never
	 * seen; a key is never ended twice */
	if (x->live[i] && x->live_key[i] == key)
		x->live[i] = 0;
	else if (!exchange)
		pf_die("abandoned an unknown key");
}

static void pf_exchange(void *ctx, struct proto_exchange *e)
{
	struct pf_ctx *x = ctx;

	if (!e->key)
		pf_die("exchange key 0");
	pf_end(x, e->key, 1);
	if (e->attrs.overflow)
		pf_die("attribute list overflow");
	if (e->endpoints_at > e->attrs.n)
		pf_die("endpoints past the list");
	if (!pf_terminated(e->name, sizeof(e->name)) || !pf_terminated(e->code, sizeof(e->code)) ||
	    !pf_terminated(e->status_message, sizeof(e->status_message)))
		pf_die("unterminated string");
	if (e->status != SPAN_STATUS_UNSET && e->status != SPAN_STATUS_ERROR)
		pf_die("status");
	if (e->has_response && e->end_tag < e->start_tag)
		pf_die("ends before it starts");
	for (uint16_t i = 0; i < e->attrs.n; i++) {
		const struct span_attr *a = &e->attrs.a[i];

		if (!a->key || (a->type != SPAN_ATTR_STR && a->type != SPAN_ATTR_INT &&
				a->type != SPAN_ATTR_STRS))
			pf_die("attribute");
		if (a->type == SPAN_ATTR_STRS && (!a->len || e->attrs.text[a->off + a->len - 1]))
			pf_die("a list whose last item is not terminated");
		if (a->type != SPAN_ATTR_INT && a->off + a->len > e->attrs.text_len)
			pf_die("attribute text");
	}
	for (uint32_t i = 0; i < METRIC_LABELS_MAX; i++)
		if (!pf_terminated(span_metric_label(&e->metric, i), METRIC_LABELS_TEXT_MAX))
			pf_die("metric label");
	x->exchanges++;
}

static void pf_abandon(void *ctx, uint32_t key)
{
	pf_end(ctx, key, 0);
}

static void pf_note(void *ctx, enum proto_note n)
{
	(void)ctx;
	if (n >= PROTO_NOTE_COUNT)
		pf_die("note");
}

/*
 * Script: each step is 4 bytes then data. b0: bit0 side, bits1-2 mode
 * (0 plain, 1 copied then a gap, 2 a gap alone, 3 the kernel's walk),
 * bit3 a write's continuation, bit4 a datagram (from peer 0 or 1 by bit5),
 * bit6 first 6 s pass (the module's expire runs), bit7 the connection
 * turns to protocol `next` first (once; p's hand_off, next's adopt, as
 * the tracer does it; bit6 then also says the switch was seen late);
 * b1..b2: the step's length; b3: how much of it is copied in mode 1 (in
 * 1/256ths).
 */
static inline void pf_run_upgrade(const struct proto *p, const struct proto *next, uint8_t kind,
				  const uint8_t *data, size_t size)
{
	static _Alignas(16) uint8_t state[PROTO_STATE_MAX];
	static struct walk_sim sim;
	struct pf_ctx x = { .p = p };
	struct proto_sink k = { .ctx = &x, .kind = kind, .request = pf_request,
				.exchange = pf_exchange, .abandon = pf_abandon, .note = pf_note };
	static const struct zt_conn_tuple peers[2] = {
		{ .remote_addr = { 127, 0, 0, 1 }, .remote_port = 53, .local_port = 40000,
		  .family = 2, .transport = 17 },
		{ .remote_addr = { 127, 0, 0, 2 }, .remote_port = 53, .local_port = 40000,
		  .family = 2, .transport = 17 },
	};
	size_t at = 0;

	if (p->state_size > PROTO_STATE_MAX)
		pf_die("state size");
	memset(&sim, 0, sizeof(sim));
	sim.proto = p->id;
	p->init(state);
	while (at + 4 <= size) {
		uint8_t b0 = data[at], share = data[at + 3];
		size_t len = (size_t)data[at + 1] | (size_t)data[at + 2] << 8, cap;
		struct proto_seg seg;
		struct proto_chunk c = { .side = (b0 & 1) ? PROTO_SIDE_RESPONSE : PROTO_SIDE_REQUEST,
					 .cont = (b0 >> 3) & 1, .tag = ++x.tag };
		int mode = (b0 >> 1) & 3, ns;

		at += 4;
		if ((b0 & 0x80) && next && p->hand_off && next->adopt) {
			struct proto_handoff h;
			int has = p->hand_off(state, &h, &k);

			/* a request handed on (announced or not) is the next
			 * module's to end: live keys stay live */
			if (has && !h.key)
				pf_die("handed off key 0");
			if (!has)
				memset(&h, 0, sizeof(h));
			h.answers_unseen = (b0 >> 6) & 1;
			if (has && (!pf_terminated(h.method, sizeof(h.method)) ||
				    !pf_terminated(h.target, sizeof(h.target))))
				pf_die("unterminated handoff string");
			p = next;
			next = NULL;
			x.p = p;
			p->init(state);
			p->adopt(state, &h);
			memset(&sim, 0, sizeof(sim));
			sim.proto = p->id;
		}
		if (b0 & 0x10)
			c.peer = &peers[(b0 >> 5) & 1];
		if (b0 & 0x40) {
			x.tag += 6000000000ULL;
			c.tag = x.tag;
			if (p->expire)
				p->expire(state, x.tag, &k);
		}
		if (len > size - at && mode != 2)
			len = size - at;
		c.total = len;
		switch (mode) {
		case 0:
		case 1:
			cap = mode ? len * share / 256 : len;
			seg = (struct proto_seg){ .off = 0, .len = cap, .data = data + at,
						  .cap = (uint32_t)cap };
			c.segs = &seg;
			c.nsegs = cap ? 1 : 0;
			break;
		case 2:
			break;
		default:
			if (zt_wire_capture(p->id) != ZT_CAPTURE_FRAMES)
				break;
			ns = walk_sim_syscall(&sim, data + at, len, c.side == PROTO_SIDE_REQUEST,
					      share * 8u + 1);
			if (ns < 0) {
				memset(sim.dir, 0, sizeof(sim.dir));
				break;
			}
			c.segs = sim.segs;
			c.nsegs = (uint32_t)ns;
			c.framed = 1;
			break;
		}
		p->feed(state, &c, &k);
		if (mode != 2)
			at += len;
	}
	p->close(state, &k);
	for (uint32_t i = 0; i < PF_KEYS; i++)
		if (x.live[i])
			pf_die("a request neither answered nor abandoned at close");
}

static inline void pf_run(const struct proto *p, uint8_t kind, const uint8_t *data, size_t size)
{
	pf_run_upgrade(p, NULL, kind, data, size);
}

#endif /* ZT_PROTO_FUZZ_H */
