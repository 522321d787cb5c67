/* SPDX-License-Identifier: MIT */
/*
 * What the kernel must know of a protocol's bytes, written once in C that
 * compiles both as BPF and in user space: each module's <name>_wire.h says
 * how to recognise its first bytes, what to copy of each write, and where
 * its frames start. The agent's sniff, the kernel's and the unit tests run
 * this same code.
 *
 * A module's wire header defines, for its registry name `name`:
 *   static const struct zt_wire_rule name_rule;      its capture policy and port
 *   int  name_sniff(const __u8 *p, __u32 n);         ZT_SNIFF_* bits, 0: not it
 *   int  name_message_start(const __u8 p[4]);        HEAD/WHOLE: a write starting
 *                                                    with p starts a new message
 *   __s64 name_frame_len(const __u8 *hdr, __u32 n, __u8 request, __u8 *state);
 *        FRAMES: the length of the frame starting at hdr (n <= ZT_FRAME_PEEK of
 *        its bytes in view, fewer at the end of a syscall), header included;
 *        ZT_FRAME_SHORT when n is too few to tell, ZT_FRAME_BAD when no frame
 *        starts here, ZT_FRAME_OPAQUE when the stream is no longer readable
 *        (it switched to TLS or compression): nothing more of the connection
 *        is copied. *state is the connection's, for framing that changes (a
 *        startup message, a switch to TLS); 0 at the start.
 *   __u32 name_frame_copy(const __u8 *hdr, __u32 n, __u8 request, __u32 capture, __u8 *cls);
 *        FRAMES: how many of that frame's bytes to copy (header included);
 *        0 when only its length matters, with *cls (1..255) saying which kind
 *        it is: frames of one kind in a row are counted, not copied.
 *   (ZT_WIRE_NO_FRAMES(name) defines the last two for other policies.)
 * Only plain C, bounded loops, and no helper calls: the BPF verifier checks it.
 */
#ifndef ZT_WIRE_H
#define ZT_WIRE_H

#ifdef __bpf__
/* vmlinux.h has the __uN types; bpf_helpers.h has __always_inline */
#else
#include <linux/types.h>
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#endif

/* Bytes of a message's start a sniff looks at (fewer when fewer moved);
 * the kernel bounds its copy with a mask of 63. */
#define ZT_SNIFF_LEN 24
_Static_assert(ZT_SNIFF_LEN <= 63, "the kernel masks the sniff length with 63");

#define ZT_SNIFF_REQUEST 0x1  /* a client could have sent these bytes */
#define ZT_SNIFF_RESPONSE 0x2 /* a server could have sent these bytes */
#define ZT_SNIFF_WEAK 0x4     /* plausible, but only with the module's port at one end */
/* plausible only inside a connection: taken only for one whose start was
 * not seen (it was open before the agent), where a message's first bytes
 * cannot be the connection's first */
#define ZT_SNIFF_MIDSTREAM 0x8

enum zt_capture {
	/* the first --capture-bytes of each write; a run in one direction
	 * past ZT_RUN_CAPTURE_LIMIT copies only writes that start a message */
	ZT_CAPTURE_HEAD = 0,
	/* each write whole, in records of ZT_CAPTURE_MAX, up to ZT_WHOLE_MAX,
	 * however long the run: for protocols with no length to skip by */
	ZT_CAPTURE_WHOLE = 1,
	/* a walk over length-prefixed frames that copies what each frame needs
	 * and counts the rest, across syscalls */
	ZT_CAPTURE_FRAMES = 2,
};

struct zt_wire_rule {
	__u8 capture; /* enum zt_capture */
	__u8 pad;
	__u16 port;   /* the protocol's usual server port: a hint for weak sniffs, 0: none */
};

/* Frame header bytes a walk looks at. */
#define ZT_FRAME_PEEK 8
#define ZT_FRAME_SHORT (-1)
#define ZT_FRAME_BAD (-2)
#define ZT_FRAME_OPAQUE (-3)

#define ZT_WIRE_NO_FRAMES(name)                                                              \
	static __always_inline __s64 name##_frame_len(const __u8 *hdr, __u32 n, __u8 request,   \
						      __u8 *state)                               \
	{                                                                                        \
		(void)hdr, (void)n, (void)request, (void)state;                                  \
		return ZT_FRAME_BAD;                                                             \
	}                                                                                        \
	static __always_inline __u32 name##_frame_copy(const __u8 *hdr, __u32 n, __u8 request,  \
						       __u32 capture, __u8 *cls)                 \
	{                                                                                        \
		(void)hdr, (void)n, (void)request, (void)capture, (void)cls;                     \
		return 0;                                                                        \
	}

static __always_inline __u32 zt_wire_be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static __always_inline __u32 zt_wire_le24(const __u8 *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16;
}

/* A byte in 'A'..'Z'. */
static __always_inline int zt_wire_upper(__u8 c)
{
	return c >= 'A' && c <= 'Z';
}

static __always_inline int zt_wire_digit(__u8 c)
{
	return c >= '0' && c <= '9';
}

#endif /* ZT_WIRE_H */
