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

/* The bytes of a TLS library call (a flat buffer), not of a syscall. */
static __always_inline bool args_are_plaintext(const struct syscall_args *args)
{
	return args->syscall == ZT_SYS_TLS_READ || args->syscall == ZT_SYS_TLS_WRITE;
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

/* Where a data syscall's bytes are: a flat buffer or an iovec array. */
struct io_where {
	__u64 base;  /* flat: the buffer; vectored: the iovec array */
	__u32 vlen;  /* vectored: iovec count; 0: flat */
};

static __always_inline int io_where_of(const struct syscall_args *args, struct io_where *w)
{
	__u64 iov;
	__u32 vlen;
	int kind = io_vector(args, &iov, &vlen);

	if (kind < 0)
		return -1;
	w->base = kind ? args->buf : iov;
	w->vlen = kind ? 0 : vlen;
	return 0;
}

/* Copies n (<= ZT_CAPTURE_MAX) bytes from offset off of the syscall's bytes
 * into dst; returns how many it could. */
static __always_inline __u32 copy_range(__u8 *dst, const struct io_where *w, __u64 off, __u32 n)
{
	__u64 seen = 0;
	__u32 got = 0;

	n &= ZT_CAPTURE_MAX * 2 - 1;
	if (n > ZT_CAPTURE_MAX)
		n = ZT_CAPTURE_MAX;
	if (!w->vlen)
		return bpf_probe_read_user(dst, n, (void *)(w->base + off)) ? 0 : n;
	for (__u32 i = 0; i < ZT_IOV_MAX; i++) {
		struct iovec_user iov;
		__u64 at;
		__u32 take;

		if (i >= w->vlen || got >= n)
			break;
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(w->base + i * sizeof(iov))))
			break;
		if (seen + iov.len <= off + got) {
			seen += iov.len;
			continue;
		}
		at = off + got - seen;
		take = iov.len - at < n - got ? iov.len - at : n - got;
		/* masks keep dst + got + take inside data[] for the verifier */
		got &= ZT_CAPTURE_MAX - 1;
		take &= ZT_CAPTURE_MAX * 2 - 1;
		if (take > ZT_CAPTURE_MAX)
			take = ZT_CAPTURE_MAX;
		if (bpf_probe_read_user(dst + got, take, (void *)(iov.base + at)))
			break;
		got += take;
		seen += iov.len;
	}
	return got;
}

/* The first iovec of a vectored syscall: the flat buffer's stand-in for
 * what reads only the start (the sniff, the frame walk). */
static __always_inline int first_iovec(const struct io_where *w, __u64 *base, __u64 *len)
{
	struct iovec_user first;

	if (!w->vlen)
		return 0;
	if (bpf_probe_read_user(&first, sizeof(first), (void *)w->base))
		return -1;
	*base = first.base;
	if (first.len < *len)
		*len = first.len;
	return 0;
}

static __always_inline __u32 capture_payload(struct event_buf *eb, const struct syscall_args *args,
					    __u64 bytes)
{
	struct io_where w;
	__u32 cap = capture_bytes;

	if (bytes < cap)
		cap = bytes;
	if (io_where_of(args, &w))
		return 0;
	return copy_range(eb->data, &w, 0, cap);
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

/* The first bytes of the data, up to want (<= ZT_SNIFF_LEN), from the
 * caller's buffer (its first iovec when vectored); returns how many it read. */
static __always_inline __u32 peek_head(const struct syscall_args *args, __u64 bytes, __u8 *out,
				       __u32 want)
{
	struct io_where w;
	__u64 base, len = bytes;
	__u32 n;

	if (io_where_of(args, &w))
		return 0;
	base = w.base;
	if (first_iovec(&w, &base, &len))
		return 0;
	n = len < want ? len : want;
	/* bounds n for the verifier: a mask must be a power of two minus one */
	n &= 63;
	if (n > ZT_SNIFF_LEN)
		n = ZT_SNIFF_LEN;
	if (!n || bpf_probe_read_user(out, n, (void *)base))
		return 0;
	return n;
}

#endif
