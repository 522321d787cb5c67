/* SPDX-License-Identifier: MIT */
/* PostgreSQL (protocol 3) on the wire: see wire.h for what each definition is for. */
#ifndef ZT_POSTGRESQL_WIRE_H
#define ZT_POSTGRESQL_WIRE_H

#include "wire.h"

static const struct zt_wire_rule postgresql_rule = { .capture = ZT_CAPTURE_FRAMES, .port = 5432 };

/* Startup-phase message codes (the second Int32 of an untagged message). */
#define PG_WIRE_V3 196608u        /* protocol 3.0 */
#define PG_WIRE_V3_2 196610u      /* protocol 3.2 (PostgreSQL 18) */
#define PG_WIRE_SSL 80877103u     /* SSLRequest */
#define PG_WIRE_GSSENC 80877104u  /* GSSENCRequest */
#define PG_WIRE_CANCEL 80877102u  /* CancelRequest */

/* The connection's framing state bits. */
#define PG_WIRE_ONEBYTE 0x01 /* the server owes a one-byte answer to SSL/GSSENCRequest */
#define PG_WIRE_TLS 0x02     /* it said yes: encrypted from here on, no frames */

/* Tags are letters, or '1'..'3' (Parse/Bind/CloseComplete). */
static __always_inline int pg_wire_tag(__u8 c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '1' && c <= '3');
}

/*
 * Startup messages have no tag: Int32 length, Int32 code. Everything else:
 * a tag byte and an Int32 length that counts itself but not the tag. A
 * client message starting with 0 is untagged (a tag is never 0, a startup
 * length is under 16 MiB), so no state is needed to tell them apart.
 */
static __always_inline __s64 postgresql_frame_len(const __u8 *hdr, __u32 n, __u8 request,
						  __u8 *state)
{
	__u32 len, code;

	if (*state & PG_WIRE_TLS)
		return ZT_FRAME_OPAQUE;
	if (!n)
		return ZT_FRAME_SHORT;
	if (request && hdr[0] == 0) {
		if (n < 8)
			return ZT_FRAME_SHORT;
		len = zt_wire_be32(hdr);
		code = zt_wire_be32(hdr + 4);
		if (code == PG_WIRE_SSL || code == PG_WIRE_GSSENC) {
			if (len != 8)
				return ZT_FRAME_BAD;
			*state |= PG_WIRE_ONEBYTE;
			return 8;
		}
		if (len < 8 || len > 10000 ||
		    (code != PG_WIRE_V3 && code != PG_WIRE_V3_2 && code != PG_WIRE_CANCEL))
			return ZT_FRAME_BAD;
		return len;
	}
	if (!request && (*state & PG_WIRE_ONEBYTE) && (hdr[0] == 'S' || hdr[0] == 'N' || hdr[0] == 'G')) {
		*state &= ~PG_WIRE_ONEBYTE;
		if (hdr[0] != 'N')
			*state |= PG_WIRE_TLS;
		return 1;
	}
	if (!pg_wire_tag(hdr[0]))
		return ZT_FRAME_BAD;
	if (n < 5)
		return ZT_FRAME_SHORT;
	len = zt_wire_be32(hdr + 1);
	if (len < 4 || len > (1u << 30))
		return ZT_FRAME_BAD;
	if (!request)
		*state &= ~PG_WIRE_ONEBYTE; /* an old server answers SSL with an error */
	return (__s64)len + 1;
}

/* Rows and copy data only count; a password or SASL message, a backend's
 * key, is never copied past its header: credentials stay in the kernel. */
static __always_inline __u32 postgresql_frame_copy(const __u8 *hdr, __u32 n, __u8 request,
						   __u32 capture, __u8 *cls)
{
	if (!n)
		return 0;
	if (hdr[0] == 'd') {
		*cls = 2;
		return 0;
	}
	if (request) {
		switch (hdr[0]) {
		case 0:   /* startup: user, database */
		case 'Q':
		case 'P':
			return capture;
		case 'B': /* portal and statement names; parameter values stay */
			return 128;
		case 'E':
		case 'C':
		case 'D':
		case 'f':
			return 64;
		}
		return 5;
	}
	switch (hdr[0]) {
	case 'D':
		*cls = 1;
		return 0;
	case 'C':
		return 64;
	case 'E':
		return 256;
	case 'Z':
		return 6;
	case 'R':
		return 9;
	}
	return 5;
}

/* A startup message, or a simple query whose length is sane. */
static __always_inline int postgresql_sniff(const __u8 *p, __u32 n)
{
	__u32 len;

	if (n >= 8 && p[0] == 0) {
		len = zt_wire_be32(p);
		switch (zt_wire_be32(p + 4)) {
		case PG_WIRE_V3:
		case PG_WIRE_V3_2:
			return len >= 8 && len <= 10000 ? ZT_SNIFF_REQUEST : 0;
		case PG_WIRE_SSL:
		case PG_WIRE_GSSENC:
			return len == 8 ? ZT_SNIFF_REQUEST : 0;
		}
		return 0;
	}
	/* joined mid-connection: a query ('Q', 'P') or ReadyForQuery */
	if (n >= 6 && (p[0] == 'Q' || p[0] == 'P') && p[1] == 0) {
		len = zt_wire_be32(p + 1);
		return len > 4 && len < (1u << 24) ? ZT_SNIFF_REQUEST | ZT_SNIFF_WEAK : 0;
	}
	if (n >= 6 && p[0] == 'Z' && zt_wire_be32(p + 1) == 5 &&
	    (p[5] == 'I' || p[5] == 'T' || p[5] == 'E'))
		return ZT_SNIFF_RESPONSE | ZT_SNIFF_WEAK;
	return 0;
}

static __always_inline int postgresql_message_start(const __u8 *p)
{
	(void)p;
	return 0; /* frames are walked, never guessed */
}

#endif /* ZT_POSTGRESQL_WIRE_H */
