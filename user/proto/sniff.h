/* SPDX-License-Identifier: MIT */
/*
 * Which protocol a connection speaks, from the first bytes either side
 * sends: each registered module's sniff in registry order, the first match
 * wins; a weak match counts only with the module's port at one end.
 * Compiled into the BPF programs and into the agent alike.
 */
#ifndef ZT_SNIFF_H
#define ZT_SNIFF_H

#include "protocols.h"
#include "proto_wire_all.h" /* every user/proto/<name>/<name>_wire.h, generated */

/* One module's sniff. The kernel calls each through a function of its own
 * (the verifier checks them one by one, not every path of one through
 * every path of the next); user space inline. */
#ifndef ZT_SNIFF_ONE
#define ZT_SNIFF_ONE(name, p, n) name##_sniff((p), (n))
#endif

/* The protocol of p[0..n) (n <= ZT_SNIFF_LEN are looked at) among those
 * whose bit is set in `enabled`, or ZT_PROTO_UNKNOWN; *side gets the
 * ZT_SNIFF_REQUEST/RESPONSE bits of the match, and ZT_SNIFF_MIDSTREAM when
 * only a match inside a connection was found. midstream: the connection's
 * start was not seen. */
static __always_inline __u8 zt_sniff(const __u8 *p, __u32 n, __u16 lport, __u16 rport,
				     __u32 enabled, __u8 midstream, int *side)
{
	__u8 mid = ZT_PROTO_UNKNOWN;
	int r, mid_side = 0;

	*side = 0;
	/* a match only plausible inside a connection yields to any other */
#define ZT_PROTOCOL(ID, name)                                                            \
	if (enabled & (1u << ZT_PROTO_##ID)) {                                           \
		r = ZT_SNIFF_ONE(name, p, n);                                            \
		if (r && (!(r & ZT_SNIFF_WEAK) ||                                        \
			  (name##_rule.port &&                                           \
			   (lport == name##_rule.port || rport == name##_rule.port)))) { \
			if (!(r & ZT_SNIFF_MIDSTREAM)) {                                 \
				*side = r & (ZT_SNIFF_REQUEST | ZT_SNIFF_RESPONSE);      \
				return ZT_PROTO_##ID;                                    \
			}                                                                \
			if (midstream && mid == ZT_PROTO_UNKNOWN) {                      \
				mid = ZT_PROTO_##ID;                                     \
				mid_side = r & (ZT_SNIFF_REQUEST | ZT_SNIFF_RESPONSE);   \
			}                                                                \
		}                                                                        \
	}
#include "protocols.def"
#undef ZT_PROTOCOL
	*side = mid ? mid_side | ZT_SNIFF_MIDSTREAM : 0;
	return mid;
}

/* The capture policy of a protocol (HEAD for none yet). */
static __always_inline __u8 zt_wire_capture(__u8 proto)
{
	switch (proto) {
#define ZT_PROTOCOL(ID, name) case ZT_PROTO_##ID: return name##_rule.capture;
#include "protocols.def"
#undef ZT_PROTOCOL
	}
	return ZT_CAPTURE_HEAD;
}

/* A write starting with p[0..4) starts a message of the protocol. */
static __always_inline int zt_message_start(__u8 proto, const __u8 *p)
{
	switch (proto) {
#define ZT_PROTOCOL(ID, name) case ZT_PROTO_##ID: return name##_message_start(p);
#include "protocols.def"
#undef ZT_PROTOCOL
	}
	return 0;
}

static __always_inline __s64 zt_frame_len(__u8 proto, const __u8 *hdr, __u32 n, __u8 request,
					  __u8 *state)
{
	switch (proto) {
#define ZT_PROTOCOL(ID, name) case ZT_PROTO_##ID: return name##_frame_len(hdr, n, request, state);
#include "protocols.def"
#undef ZT_PROTOCOL
	}
	return ZT_FRAME_BAD;
}

static __always_inline __u32 zt_frame_copy(__u8 proto, const __u8 *hdr, __u32 n, __u8 request,
					   __u32 capture, __u8 *cls)
{
	switch (proto) {
#define ZT_PROTOCOL(ID, name)                                                                \
	case ZT_PROTO_##ID:                                                                  \
		return name##_frame_copy(hdr, n, request, capture, cls);
#include "protocols.def"
#undef ZT_PROTOCOL
	}
	return 0;
}

#endif /* ZT_SNIFF_H */
