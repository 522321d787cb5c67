/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which protocol a connection speaks, from the first bytes of its first
 * messages: every protocol module's sniff (user/proto/sniff.h), each
 * compiled into a global function that the verifier checks on its own. */
#ifndef ZT_SNIFF_BPF_H
#define ZT_SNIFF_BPF_H

#include "payload.bpf.h"
#include "tls_record.h"

/* Message starts a connection gets to show its protocol. */
#define ZT_SNIFF_TRIES 4

/* The first bytes of a message, and one protocol's verdict on them. */
struct sniff_in {
	__u8 p[ZT_SNIFF_LEN];
	__u32 n;
	__s32 r;
};

#define ZT_PROTOCOL(ID, name) int sniff_one_##name(struct sniff_in *in);
#include "protocols.def"
#undef ZT_PROTOCOL

#define ZT_SNIFF_ONE(name, p, n)                                        \
	({                                                              \
		struct sniff_in in_ = { .n = (n) };                     \
		__builtin_memcpy(in_.p, (p), ZT_SNIFF_LEN);             \
		sniff_one_##name(&in_);                                 \
		in_.r;                                                  \
	})
#include "sniff.h"

/* Global functions: each verified once, on its own. */
#define ZT_PROTOCOL(ID, name)                                                   \
	__noinline int sniff_one_##name(struct sniff_in *in)                    \
	{                                                                       \
		if (!in)                                                        \
			return 0;                                               \
		in->r = name##_sniff(in->p, in->n < ZT_SNIFF_LEN ? in->n : ZT_SNIFF_LEN); \
		return 0;                                                       \
	}
#include "protocols.def"
#undef ZT_PROTOCOL

/* The first bytes of a message and what the sniff makes of them. */
struct sniff_view {
	__u8 head[ZT_SNIFF_LEN];
	__u32 n;
	__u32 enabled;
	__u16 lport;
	__u16 rport;
	__u8 proto;
	__u8 midstream;
	__u8 mid_match;    /* out: only a match inside a connection */
	__u8 pad;
};

/* Global: the verifier checks every protocol's sniff once, on its own,
 * not once for every path of the capture that reaches it. */
__noinline int sniff_message(struct sniff_view *v)
{
	int side;

	if (!v)
		return 0;
	v->proto = zt_sniff(v->head, v->n < ZT_SNIFF_LEN ? v->n : ZT_SNIFF_LEN, v->lport, v->rport,
			    v->enabled, v->midstream, &side);
	v->mid_match = !!(side & ZT_SNIFF_MIDSTREAM);
	return 0;
}

/* A message starts this run: which protocol the connection speaks, until a
 * few starts in a row match none (then nothing of it is copied). */
static __always_inline void conn_sniff(struct conn_state *st, const struct syscall_args *args,
				       __u64 bytes)
{
	struct sniff_view v = {};

	v.n = peek_head(args, bytes, v.head, ZT_SNIFF_LEN);
	if (!v.n)
		return;
	if (!args_are_plaintext(args) && zt_tls_hello(v.head, v.n)) {
		conn_tls_begin(st);
		return;
	}
	v.lport = st->tuple.local_port;
	v.rport = st->tuple.remote_port;
	v.enabled = protocols_enabled;
	v.midstream = st->role == ZT_ROLE_UNKNOWN;
	sniff_message(&v);
	/* bytes that only look like a message inside a connection prove
	 * little once: two message starts in a row must */
	if (v.mid_match && !st->mid_seen) {
		st->mid_seen = 1;
		v.proto = 0;
	} else if (!v.proto) {
		st->mid_seen = 0;
	}
	st->proto = v.proto;
	if (st->proto || ++st->sniffs < ZT_SNIFF_TRIES)
		return;
	st->proto = ZT_PROTO_OPAQUE;
	counter_add(ZT_CNT_UNKNOWN_PROTO, 1);
}

static __always_inline bool run_message_start(const struct conn_state *st,
					      const struct syscall_args *args, __u64 bytes)
{
	__u8 head[ZT_SNIFF_LEN] = {};

	return peek_head(args, bytes, head, 4) == 4 && zt_message_start(st->proto, head);
}

#endif
