/* SPDX-License-Identifier: MIT */
/* Protocol ids, from the registry (protocols.def); shared with the kernel. */
#ifndef ZT_PROTOCOLS_H
#define ZT_PROTOCOLS_H

enum zt_proto {
	ZT_PROTO_UNKNOWN = 0,
#define ZT_PROTOCOL(ID, name) ZT_PROTO_##ID,
#include "protocols.def"
#undef ZT_PROTOCOL
	ZT_PROTO_COUNT,
};

/* The kernel's sniff gave up on a connection: nothing of it is copied. */
#define ZT_PROTO_OPAQUE 0xff

/* --protocols: a bit per enum zt_proto */
#define ZT_PROTO_ALL (((1u << ZT_PROTO_COUNT) - 1) & ~1u)

#endif /* ZT_PROTOCOLS_H */
