/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Reading a data syscall's bytes out of user memory: a flat buffer, an
 * iovec array, or the first message of a msghdr/mmsghdr. */
#ifndef ZT_PAYLOAD_BPF_H
#define ZT_PAYLOAD_BPF_H

#define ZT_IOV_MAX 8

struct iovec_user {
	__u64 base;
	__u64 len;
};

/* Copies up to `cap` bytes from an iovec array into the event payload. */
static __always_inline __u32 copy_iovecs(__u8 *dst, __u64 iov_ptr, __u32 vlen, __u32 cap)
{
	__u32 off = 0;

	for (__u32 i = 0; i < ZT_IOV_MAX; i++) {
		struct iovec_user iov;
		__u32 n;

		if (i >= vlen || off >= cap)
			break;
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(iov_ptr + i * sizeof(iov))))
			break;
		n = cap - off;
		if (iov.len < n)
			n = iov.len;
		/* masks keep the verifier's view of dst+off+n inside data[] */
		off &= ZT_CAPTURE_MAX - 1;
		n &= ZT_CAPTURE_MAX - 1 + ZT_CAPTURE_MAX;
		if (n > ZT_CAPTURE_MAX)
			n = ZT_CAPTURE_MAX;
		if (bpf_probe_read_user(dst + off, n, (void *)iov.base))
			break;
		off += n;
	}
	return off;
}

/* Last bytes of an iovec array holding `total` bytes (continuation events). */
static __always_inline __u32 tail_iovecs(__u8 *dst, __u64 iov_ptr, __u32 vlen, __u64 total)
{
	__u64 seen = 0;

	for (__u32 i = 0; i < ZT_IOV_MAX; i++) {
		struct iovec_user iov;
		__u64 in_iov, n;

		if (i >= vlen)
			break;
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(iov_ptr + i * sizeof(iov))))
			break;
		if (seen + iov.len < total) {
			seen += iov.len;
			continue;
		}
		in_iov = total - seen;
		n = in_iov < ZT_TAIL_LEN ? in_iov : ZT_TAIL_LEN;
		n &= ZT_TAIL_LEN * 2 - 1;
		if (n > ZT_TAIL_LEN)
			n = ZT_TAIL_LEN;
		if (bpf_probe_read_user(dst, n, (void *)(iov.base + in_iov - n)))
			return 0;
		return n;
	}
	return 0;
}

/* The iovec array and count of a data syscall's buffer argument. */
static __always_inline int io_vector(const struct syscall_args *args, __u64 *iov, __u32 *vlen)
{
	struct user_msghdr mh;

	switch (args->syscall) {
	case ZT_SYS_READV:
	case ZT_SYS_WRITEV:
		*iov = args->buf;
		*vlen = args->vlen;
		return 0;
	case ZT_SYS_RECVMSG:
	case ZT_SYS_SENDMSG:
	case ZT_SYS_RECVMMSG:
	case ZT_SYS_SENDMMSG:
		/* struct mmsghdr starts with its msghdr: the first message */
		if (bpf_probe_read_user(&mh, sizeof(mh), (void *)args->buf))
			return -1;
		*iov = (__u64)mh.msg_iov;
		*vlen = (__u32)mh.msg_iovlen;
		return 0;
	default:
		return 1; /* a flat buffer */
	}
}

static __always_inline __u32 capture_payload(struct event_buf *eb, const struct syscall_args *args,
					    __u64 bytes)
{
	__u64 iov;
	__u32 vlen, cap = capture_bytes;
	int kind;

	if (bytes < cap)
		cap = bytes;
	if (cap > ZT_CAPTURE_MAX)
		cap = ZT_CAPTURE_MAX;
	kind = io_vector(args, &iov, &vlen);
	if (kind < 0)
		return 0;
	if (kind == 0)
		return copy_iovecs(eb->data, iov, vlen, cap);
	if (bpf_probe_read_user(eb->data, cap, (void *)args->buf))
		return 0;
	return cap;
}

static __always_inline __u32 capture_tail(struct event_buf *eb, const struct syscall_args *args,
					 __u64 bytes)
{
	__u64 iov, n;
	__u32 vlen;
	int kind = io_vector(args, &iov, &vlen);

	if (kind < 0)
		return 0;
	if (kind == 0)
		return tail_iovecs(eb->ev.tail, iov, vlen, bytes);
	n = bytes < ZT_TAIL_LEN ? bytes : ZT_TAIL_LEN;
	if (bpf_probe_read_user(eb->ev.tail, n, (void *)(args->buf + bytes - n)))
		return 0;
	return n;
}

/* The first n (<= ZT_SNIFF_LEN) bytes of the data, from the caller's buffer
 * (its first iovec when vectored); returns how many it read. */
static __always_inline __u32 peek_head(const struct syscall_args *args, __u64 bytes, __u8 *out)
{
	struct iovec_user first;
	__u64 iov, base, len = bytes;
	__u32 vlen, n;
	int kind = io_vector(args, &iov, &vlen);

	if (kind < 0)
		return 0;
	base = args->buf;
	if (kind == 0) {
		if (!vlen || bpf_probe_read_user(&first, sizeof(first), (void *)iov))
			return 0;
		base = first.base;
		if (first.len < len)
			len = first.len;
	}
	n = len < ZT_SNIFF_LEN ? len : ZT_SNIFF_LEN;
	/* bounds n for the verifier: a mask must be a power of two minus one */
	n &= 63;
	if (n > ZT_SNIFF_LEN)
		n = ZT_SNIFF_LEN;
	if (!n || bpf_probe_read_user(out, n, (void *)base))
		return 0;
	return n;
}

#endif
