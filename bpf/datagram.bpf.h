/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Datagrams (UDP, for DNS): every datagram is a message of its own, so
 * each is one DATA record with the datagram's own address pair (an
 * unconnected socket's peer changes from one to the next) and its bytes
 * whole, up to ZT_CAPTURE_MAX; sendmmsg and recvmmsg move several at once
 * (glibc's resolver sends A and AAAA in one sendmmsg). No stream runs
 * through them: stream_pos stays 0. */
#ifndef ZT_DATAGRAM_BPF_H
#define ZT_DATAGRAM_BPF_H

/* Datagrams reported of one mmsg call; the rest are counted. */
#define ZT_MMSG_MAX 8

struct dgram_walk {
	struct zt_conn_tuple tuple; /* the socket's: its peer when connected */
	__u64 buf;
	__u64 addr;
	__s64 ret;
	__u32 vlen;     /* readv/writev: iovecs; read/write/sendto/recvfrom: the buffer's size */
	__u32 n;        /* datagrams the call moved, at most ZT_MMSG_MAX */
	__u16 syscall;
	__u16 pad[3];
};

/* Where one datagram of the call is. */
struct dgram_at {
	struct io_where io;
	__u64 len;      /* its length, as the call reports it */
	__u64 copy_max; /* what its buffers hold: recvfrom with MSG_TRUNC reports more */
	__u64 name;     /* the sockaddr naming its peer; 0: none given */
};

/* Datagram i of the call: 0, or -1 when its (m)msghdr cannot be read. */
static __always_inline int dgram_locate(const struct dgram_walk *w, __u32 i, struct dgram_at *d)
{
	struct user_msghdr mh = {};
	__u64 at = w->buf;
	__u32 mlen;

	d->len = d->copy_max = w->ret;
	d->name = 0;
	d->io.base = w->buf;
	d->io.vlen = 0;
	switch (w->syscall) {
	case ZT_SYS_SENDMMSG:
	case ZT_SYS_RECVMMSG:
		at += (__u64)i * sizeof(struct mmsghdr);
		if (bpf_probe_read_user(&mlen, sizeof(mlen),
					(void *)(at + __builtin_offsetof(struct mmsghdr, msg_len))))
			return -1;
		d->len = d->copy_max = mlen;
		/* fall through: an mmsghdr starts with its msghdr */
	case ZT_SYS_SENDMSG:
	case ZT_SYS_RECVMSG:
		if (bpf_probe_read_user(&mh, sizeof(mh), (void *)at))
			return -1;
		d->name = (__u64)mh.msg_name;
		d->io.base = (__u64)mh.msg_iov;
		d->io.vlen = (__u32)mh.msg_iovlen;
		/* no iovec: no bytes (copy_range would take msg_iov for a buffer) */
		if (!d->io.vlen)
			d->copy_max = 0;
		return 0;
	case ZT_SYS_READV:
	case ZT_SYS_WRITEV:
		d->io.vlen = w->vlen;
		return 0;
	default:
		d->name = w->addr;
		if (d->copy_max > w->vlen)
			d->copy_max = w->vlen;
		return 0;
	}
}

/* The peer a sockaddr names, into t; -1 when it names none we follow. */
static __always_inline int dgram_peer(struct zt_conn_tuple *t, __u64 name)
{
	struct {
		__u16 family;
		__u16 port;  /* network order */
		__u32 v4;    /* sockaddr_in's address, sockaddr_in6's flow info */
		__u8 v6[16];
	} sa;

	if (!name || bpf_probe_read_user(&sa, sizeof(sa.family) + sizeof(sa.port) + sizeof(sa.v4),
					 (void *)name))
		return -1;
	if (sa.family == AF_INET) {
		__builtin_memset(t->remote_addr, 0, sizeof(t->remote_addr));
		__builtin_memcpy(t->remote_addr, &sa.v4, 4);
	} else if (sa.family == AF_INET6) {
		if (bpf_probe_read_user(sa.v6, sizeof(sa.v6), (void *)(name + 8)))
			return -1;
		__builtin_memcpy(t->remote_addr, sa.v6, 16);
	} else {
		return -1;
	}
	t->remote_port = bpf_ntohs(sa.port);
	return 0;
}

static __always_inline int dgram_is_dns(const struct zt_conn_tuple *t)
{
	return t->local_port == DNS_WIRE_PORT || t->remote_port == DNS_WIRE_PORT;
}

/* Datagram i: its record (the header waits filled in the per-CPU
 * scratch), when port 53 is at one end. Global, so verified once. */
__noinline int dgram_one(struct dgram_walk *w, __u32 i)
{
	struct dgram_at d = {};
	struct event_buf *eb;
	__u32 zero = 0, cap, n;

	if (!w || i >= w->n || i >= ZT_MMSG_MAX)
		return 1;
	eb = bpf_map_lookup_elem(&scratch, &zero);
	if (!eb)
		return 1;
	if (dgram_locate(w, i, &d)) {
		counter_add(ZT_CNT_READ_FAULTS, 1);
		counter_add(ZT_CNT_DGRAMS_UNREPORTED, w->n - i);
		return 1;
	}
	eb->ev.tuple = w->tuple;
	/* a connected socket's peer is its own; an unconnected one's, the
	 * datagram's (none given: not known, counted) */
	if (!eb->ev.tuple.remote_port && dgram_peer(&eb->ev.tuple, d.name)) {
		counter_add(ZT_CNT_DGRAMS_UNREPORTED, 1);
		return 0;
	}
	if (!dgram_is_dns(&eb->ev.tuple) || !port_is_traced(&eb->ev.tuple))
		return 0;
	cap = d.copy_max < ZT_CAPTURE_MAX ? d.copy_max : ZT_CAPTURE_MAX;
	n = copy_range(eb->data, &d.io, 0, cap);
	if (n < cap)
		counter_add(ZT_CNT_READ_FAULTS, 1);
	eb->ev.bytes = d.len;
	eb->ev.flags = n < d.len ? ZT_F_TRUNCATED : 0;
	eb->ev.cap_len = n;
	event_submit(eb, n);
	return 0;
}

static long dgram_step(__u32 i, void *ctx)
{
	return dgram_one(ctx, i) ? 1 : 0;
}

/* An unconnected socket away from port 53: its first datagram's peer says
 * whether any of the call can be DNS (other UDP stops here, with no state). */
static __always_inline int dgram_worth_it(const struct dgram_walk *w)
{
	struct zt_conn_tuple t = w->tuple;
	struct dgram_at d = {};

	if (dgram_is_dns(&t))
		return 1;
	return !dgram_locate(w, 0, &d) && !dgram_peer(&t, d.name) && dgram_is_dns(&t);
}

/* A socket's state, created at its first DNS datagram. The sock's memory
 * outlives the socket (no program runs on close()): a socket of another
 * inode there is a new one, and the old one's end is reported.
 * Global, so that the state built on its stack is not beside dgram_one's. */
__noinline int dgram_conn_open(__u64 sk, __u64 ino)
{
	__u16 lport = BPF_CORE_READ((struct sock *)sk, __sk_common.skc_num);
	struct conn_state *st = bpf_map_lookup_elem(&conn_state, &sk);

	if (st && st->sock_ino == ino)
		return 0;
	if (st) {
		emit_conn_event(ZT_EV_CLOSE, ZT_SYS_STATE, st, 0, -1, 0, bpf_ktime_get_ns());
		conn_forget(st, sk);
	}
	st = conn_state_create(sk, lport == DNS_WIRE_PORT ? ZT_ROLE_SERVER : ZT_ROLE_CLIENT);
	if (!st)
		return -1;
	st->proto = ZT_PROTO_DNS;
	st->sock_ino = ino;
	return 0;
}

static __always_inline void dgram_emit(struct syscall_args *args, __u64 pid_tgid, __s64 ret)
{
	struct sock *sock = (struct sock *)args->sk;
	struct dgram_walk w = {};
	struct conn_state *st;
	struct event_buf *eb;
	__u64 sk = args->sk;
	__u32 zero = 0;

	/* read each time: a socket may connect() after its first datagram */
	tuple_read(&w.tuple, sock);
	w.tuple.transport = IPPROTO_UDP;
	w.buf = args->buf;
	w.addr = args->addr;
	w.ret = ret;
	w.vlen = args->vlen;
	w.syscall = args->syscall;
	w.n = 1;
	if (args->syscall == ZT_SYS_SENDMMSG || args->syscall == ZT_SYS_RECVMMSG)
		w.n = ret < ZT_MMSG_MAX ? (__u32)ret : ZT_MMSG_MAX;
	if (!dgram_worth_it(&w))
		return;
	if (args->syscall == ZT_SYS_SENDMMSG || args->syscall == ZT_SYS_RECVMMSG)
		if (ret > ZT_MMSG_MAX)
			counter_add(ZT_CNT_DGRAMS_UNREPORTED, ret - ZT_MMSG_MAX);
	if (dgram_conn_open(sk, BPF_CORE_READ(sock, sk_socket, file, f_inode, i_ino)))
		return;
	st = bpf_map_lookup_elem(&conn_state, &sk);
	if (!st)
		return;
	st->tuple = w.tuple;
	st->tuple_ok = 1;
	conn_fd_note(st, pid_tgid >> 32, args->fd);
	eb = bpf_map_lookup_elem(&scratch, &zero);
	if (!eb)
		return;
	__builtin_memset(&eb->ev, 0, sizeof(eb->ev));
	event_fill_task(&eb->ev, pid_tgid);
	task_note(&eb->ev, st->role, args->dir);
	eb->ev.type = ZT_EV_DATA;
	eb->ev.syscall = args->syscall;
	eb->ev.ts_enter_ns = args->ts_enter_ns;
	eb->ev.ts_exit_ns = args->ts_exit_ns;
	eb->ev.conn_id = st->conn_id;
	eb->ev.fd = args->fd;
	eb->ev.role = st->role;
	eb->ev.dir = args->dir;
	eb->ev.proto = ZT_PROTO_DNS;
	bpf_loop(ZT_MMSG_MAX, dgram_step, &w, 0);
}

/* A datagram socket's capture (io_capture[1]): a send at its sock
 * tracepoint, a receive at its sys_exit. */
SEC("tracepoint")
int dgram_capture(void *ctx)
{
	__u32 zero = 0;
	struct syscall_args *args = bpf_map_lookup_elem(&io_args, &zero);

	(void)ctx;
	if (!args)
		return 0;
	/* the mmsg calls return a message count, sums the others' bytes */
	if (args->syscall == ZT_SYS_SENDMMSG || args->syscall == ZT_SYS_RECVMMSG)
		dgram_emit(args, bpf_get_current_pid_tgid(), args->ret);
	else
		dgram_emit(args, bpf_get_current_pid_tgid(), args->sock_bytes);
	return 0;
}

#endif
