// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Socket data capture on stable tracepoints only (no kprobes, no fentry):
 * sys_enter_* stashes a data syscall's arguments per thread,
 * sock_{send,recv}_length tells a socket from a file and gives its sock,
 * sys_exit_* copies the start of the message into the ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "events.h"
#include "maps.bpf.h"

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

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define EINPROGRESS 115
#define MSG_PEEK 2
#define ZT_IOV_MAX 8
/* Message starts a connection gets to show its protocol. */
#define ZT_SNIFF_TRIES 4

/* Inputs, set by user space through rodata before load. */
const volatile __u32 capture_bytes = ZT_CAPTURE_DEFAULT;
/* Wake the reader only once this much is queued; it also polls on a short
 * timer. A wakeup per record would cost more than the record itself. */
const volatile __u64 wakeup_bytes = 1 << 20;
const volatile __u32 self_tgid = 0;
const volatile __u8 filter_pids = 0;
const volatile __u8 filter_ports = 0;
const volatile __u8 filter_comm = 0;
const volatile __u8 filter_cgroup = 0;
const volatile __u8 inject_enabled = 0;
/* --protocols: the sniff looks only for these (a bit per enum zt_proto) */
const volatile __u32 protocols_enabled = ZT_PROTO_ALL;
const volatile char comm_filter[ZT_COMM_FILTER_LEN] = {};

/* Inner state. */
__u64 next_conn_id = 0;

static __always_inline void counter_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += n;
}

static __always_inline bool comm_matches(void)
{
	char comm[ZT_COMM_FILTER_LEN];

	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < ZT_COMM_FILTER_LEN; i++) {
		if (comm[i] != comm_filter[i])
			return false;
		if (!comm[i])
			return true;
	}
	return true;
}

/* The pid/comm filters and the agent's own sockets, decided at entry. */
static __always_inline bool task_is_traced(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (filter_pids && !bpf_map_lookup_elem(&pid_filter, &tgid))
		return false;
	if (filter_comm && !comm_matches())
		return false;
	if (filter_cgroup && bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return false;
	return true;
}

static __always_inline void tuple_read(struct zt_conn_tuple *t, struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	t->family = family;
	t->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	/* explicit sizes: BPF_CORE_READ_INTO on an array copies one element */
	if (family == AF_INET) {
		bpf_core_read(t->local_addr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(t->remote_addr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_core_read(t->local_addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(t->remote_addr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

static __always_inline struct conn_state *conn_state_create(__u64 sk, __u8 role)
{
	struct conn_state st = {};

	st.conn_id = __sync_fetch_and_add(&next_conn_id, 1) + 1;
	st.role = role;
	st.last_dir = 0xff;
	if (bpf_map_update_elem(&conn_state, &sk, &st, BPF_ANY)) {
		counter_add(ZT_CNT_CONN_DROPS, 1);
		return NULL;
	}
	return bpf_map_lookup_elem(&conn_state, &sk);
}

static __always_inline bool port_is_traced(const struct zt_conn_tuple *t)
{
	__u16 lp = t->local_port, rp = t->remote_port;

	if (!filter_ports)
		return true;
	return bpf_map_lookup_elem(&port_filter, &lp) || bpf_map_lookup_elem(&port_filter, &rp);
}

/* ---- data syscalls: enter ---- */

static __always_inline int io_enter(__u16 sys, __s32 fd, __u64 buf, __u32 vlen)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct syscall_args args = {};
	__u32 tid = (__u32)id;

	if (!task_is_traced(id >> 32))
		return 0;
	args.ts_enter_ns = bpf_ktime_get_ns();
	args.buf = buf;
	args.fd = fd;
	args.vlen = vlen;
	args.syscall = sys;
	if (bpf_map_update_elem(&active_io, &tid, &args, BPF_ANY))
		counter_add(ZT_CNT_STASH_DROPS, 1);
	return 0;
}

#define IO_ENTER(name, sys, fd_arg, buf_arg, vlen_arg)                          \
	SEC("tracepoint/syscalls/sys_enter_" #name)                             \
	int sys_enter_##name(struct trace_event_raw_sys_enter *ctx)             \
	{                                                                       \
		return io_enter(sys, (__s32)ctx->args[fd_arg],                  \
				(__u64)ctx->args[buf_arg], (__u32)vlen_arg);    \
	}

IO_ENTER(read, ZT_SYS_READ, 0, 1, 0)
IO_ENTER(write, ZT_SYS_WRITE, 0, 1, 0)
IO_ENTER(readv, ZT_SYS_READV, 0, 1, ctx->args[2])
IO_ENTER(writev, ZT_SYS_WRITEV, 0, 1, ctx->args[2])
IO_ENTER(recvfrom, ZT_SYS_RECVFROM, 0, 1, 0)
IO_ENTER(sendto, ZT_SYS_SENDTO, 0, 1, 0)
IO_ENTER(recvmsg, ZT_SYS_RECVMSG, 0, 1, 0)
IO_ENTER(sendmsg, ZT_SYS_SENDMSG, 0, 1, 0)
IO_ENTER(recvmmsg, ZT_SYS_RECVMMSG, 0, 1, ctx->args[2])
IO_ENTER(sendmmsg, ZT_SYS_SENDMMSG, 0, 1, ctx->args[2])
/* sendfile(out_fd, in_fd, ...) and splice(fd_in, .., fd_out, ..): no user
 * buffer to copy; the sock tracepoint tells which end is the socket. */
IO_ENTER(sendfile64, ZT_SYS_SENDFILE, 0, 1, 0)
IO_ENTER(splice, ZT_SYS_SPLICE, 2, 1, 0)

/* ---- the sock tracepoints: this syscall moved bytes on a socket ---- */

/* x86_64 syscall numbers of the data syscalls, for recover_args(). */
static __always_inline __u16 syscall_from_nr(long nr)
{
	switch (nr) {
	case 0: return ZT_SYS_READ;
	case 1: return ZT_SYS_WRITE;
	case 19: return ZT_SYS_READV;
	case 20: return ZT_SYS_WRITEV;
	case 40: return ZT_SYS_SENDFILE;
	case 44: return ZT_SYS_SENDTO;
	case 45: return ZT_SYS_RECVFROM;
	case 46: return ZT_SYS_SENDMSG;
	case 47: return ZT_SYS_RECVMSG;
	case 275: return ZT_SYS_SPLICE;
	case 299: return ZT_SYS_RECVMMSG;
	case 307: return ZT_SYS_SENDMMSG;
	}
	return 0;
}

/* A thread already blocked in recv() when the agent attached never passed
 * sys_enter: rebuild its arguments from the syscall's saved user registers
 * (an idle keep-alive server is exactly this case). */
static __always_inline struct syscall_args *recover_args(__u32 tid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct syscall_args args = {};
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!task_is_traced(pid_tgid >> 32))
		return NULL;
	args.syscall = syscall_from_nr(BPF_CORE_READ(regs, orig_ax));
	if (!args.syscall)
		return NULL;
	args.ts_enter_ns = bpf_ktime_get_ns();
	args.fd = (__s32)BPF_CORE_READ(regs, di);
	args.buf = BPF_CORE_READ(regs, si);
	args.vlen = (__u32)BPF_CORE_READ(regs, dx);
	if (args.syscall == ZT_SYS_SPLICE)
		args.fd = (__s32)BPF_CORE_READ(regs, dx);
	if (bpf_map_update_elem(&active_io, &tid, &args, BPF_NOEXIST))
		return NULL;
	counter_add(ZT_CNT_RECOVERED_ARGS, 1);
	return bpf_map_lookup_elem(&active_io, &tid);
}

static __always_inline int sock_length(struct trace_event_raw_sock_msg_length *ctx, __u8 dir)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct syscall_args *args;

	if (ctx->protocol != IPPROTO_TCP ||
	    (ctx->family != AF_INET && ctx->family != AF_INET6))
		return 0;
	args = bpf_map_lookup_elem(&active_io, &tid);
	if (!args)
		args = recover_args(tid);
	if (!args)
		return 0;
	/* a peek is read again later: reporting it would count bytes twice */
	if (dir == ZT_DIR_INGRESS && (ctx->flags & MSG_PEEK))
		return 0;
	if (!args->sk) {
		args->sk = (__u64)ctx->sk;
		args->dir = dir;
	}
	if (ctx->ret > 0 && args->sk == (__u64)ctx->sk)
		args->sock_bytes += ctx->ret;
	return 0;
}

SEC("tracepoint/sock/sock_send_length")
int sock_send_length(struct trace_event_raw_sock_msg_length *ctx)
{
	return sock_length(ctx, ZT_DIR_EGRESS);
}

SEC("tracepoint/sock/sock_recv_length")
int sock_recv_length(struct trace_event_raw_sock_msg_length *ctx)
{
	return sock_length(ctx, ZT_DIR_INGRESS);
}

/* ---- data syscalls: exit ---- */

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

/* The first bytes of a message and what the sniff makes of them. */
struct sniff_view {
	__u8 head[ZT_SNIFF_LEN];
	__u32 n;
	__u32 enabled;
	__u16 lport;
	__u16 rport;
	__u8 proto;
	__u8 pad[3];
};

/* Global: the verifier checks every protocol's sniff once, on its own,
 * not once for every path of the capture that reaches it. */
__noinline int sniff_message(struct sniff_view *v)
{
	int side;

	if (!v)
		return 0;
	v->proto = zt_sniff(v->head, v->n < ZT_SNIFF_LEN ? v->n : ZT_SNIFF_LEN, v->lport, v->rport,
			    v->enabled, &side);
	return 0;
}

/* A message starts this run: which protocol the connection speaks, until a
 * few starts in a row match none (then nothing of it is copied). */
static __always_inline void conn_sniff(struct conn_state *st, const struct syscall_args *args,
				       __u64 bytes)
{
	struct sniff_view v = {};

	v.n = peek_head(args, bytes, v.head);
	if (!v.n)
		return;
	v.lport = st->tuple.local_port;
	v.rport = st->tuple.remote_port;
	v.enabled = protocols_enabled;
	sniff_message(&v);
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

	return peek_head(args, bytes, head) >= 4 && zt_message_start(st->proto, head);
}

#include "context.bpf.h"

static __always_inline void fd_conn_record(struct conn_state *st, __u64 sk, __u32 tgid, __s32 fd)
{
	__u64 key = (__u64)tgid << 32 | (__u32)fd;
	struct fd_conn_val val = { .conn_id = st->conn_id, .sk = sk };

	if (st->fd_key == key)
		return;
	st->fd_key = key;
	bpf_map_update_elem(&fd_conn, &key, &val, BPF_ANY);
}

static __always_inline void event_fill_task(struct zt_event *e, __u64 pid_tgid)
{
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

static __always_inline void event_submit(struct event_buf *eb, __u32 cap_len)
{
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
			      BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	cap_len &= ZT_CAPTURE_MAX * 2 - 1;
	if (cap_len > ZT_CAPTURE_MAX)
		cap_len = ZT_CAPTURE_MAX;
	if (bpf_ringbuf_output(&events, eb, sizeof(eb->ev) + cap_len, flags)) {
		counter_add(ZT_CNT_RINGBUF_DROPS, 1);
		return;
	}
	counter_add(ZT_CNT_EVENTS, 1);
}

#include "capture.bpf.h"

/* HEAD: the first --capture-bytes of the write, or (deep in a long run,
 * or for sendfile and splice) only its byte count and last bytes. */
static __always_inline void emit_head(struct event_buf *eb, struct conn_state *st,
				      struct syscall_args *args, __u64 bytes, bool capture,
				      bool new_run, __u32 tid)
{
	__u32 cap_len = 0;

	if (capture) {
		cap_len = capture_payload(eb, args, bytes);
		if (cap_len == 0 && bytes > 0)
			counter_add(ZT_CNT_READ_FAULTS, 1);
		if (cap_len < bytes)
			eb->ev.flags |= ZT_F_TRUNCATED;
		if (inject_enabled)
			context_on_data(eb, st, args->dir, new_run, cap_len, tid);
	} else {
		eb->ev.flags |= ZT_F_CONTINUATION;
		if (args->syscall != ZT_SYS_SENDFILE && args->syscall != ZT_SYS_SPLICE)
			eb->ev.tail_len = capture_tail(eb, args, bytes);
		else
			counter_add(ZT_CNT_SENDFILE_BYTES, bytes);
		counter_add(ZT_CNT_CONTINUATIONS, 1);
	}
	eb->ev.cap_len = cap_len;
	event_submit(eb, cap_len);
}

/* WHOLE and FRAMES each run in a program of their own, tail-called once
 * the record's header is filled (it waits in the per-CPU scratch): the
 * verifier checks each walk alone. They end the syscall's capture. */
SEC("tracepoint")
int capture_whole(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;
	struct syscall_args *args = bpf_map_lookup_elem(&active_io, &tid);
	struct event_buf *eb = bpf_map_lookup_elem(&scratch, &zero);

	(void)ctx;
	if (args && eb)
		emit_whole(args, (__u64)eb->ev.bytes);
	bpf_map_delete_elem(&active_io, &tid);
	return 0;
}

SEC("tracepoint")
int capture_frames(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;
	struct syscall_args *args = bpf_map_lookup_elem(&active_io, &tid);
	struct event_buf *eb = bpf_map_lookup_elem(&scratch, &zero);
	struct conn_state *st;
	__u64 sk;

	(void)ctx;
	if (args && eb) {
		sk = args->sk;
		st = bpf_map_lookup_elem(&conn_state, &sk);
		if (st)
			emit_frames(eb, st, args, (__u64)eb->ev.bytes);
	}
	bpf_map_delete_elem(&active_io, &tid);
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__array(values, int(void *));
} capture_policy SEC(".maps") = {
	.values = {
		[ZT_CAPTURE_WHOLE] = (void *)&capture_whole,
		[ZT_CAPTURE_FRAMES] = (void *)&capture_frames,
	},
};

static __always_inline void emit_data(void *ctx, struct syscall_args *args, __u64 pid_tgid,
				      __s64 ret)
{
	__u32 zero = 0;
	struct conn_state *st;
	struct event_buf *eb;
	__u64 sk = args->sk;
	__s64 bytes = ret;
	bool capture, new_run, copyable;
	__u8 policy;

	/* mmsg calls return a message count; the sock tracepoints summed bytes */
	if (args->syscall == ZT_SYS_RECVMMSG || args->syscall == ZT_SYS_SENDMMSG ||
	    args->syscall == ZT_SYS_SENDFILE || args->syscall == ZT_SYS_SPLICE)
		bytes = args->sock_bytes;
	if (bytes <= 0)
		return;

	st = bpf_map_lookup_elem(&conn_state, &sk);
	if (!st) {
		st = conn_state_create(sk, ZT_ROLE_UNKNOWN);
		if (!st)
			return;
	}
	if (!st->tuple_ok) {
		tuple_read(&st->tuple, (struct sock *)sk);
		st->tuple_ok = 1;
		st->ignored = !port_is_traced(&st->tuple);
	}
	if (st->ignored)
		return;
	copyable = args->syscall != ZT_SYS_SENDFILE && args->syscall != ZT_SYS_SPLICE;
	new_run = st->last_dir != args->dir;
	if (new_run) {
		st->last_dir = args->dir;
		st->run_bytes = 0;
		/* the peer spoke: a walk that lost its frames starts over */
		if (st->fr[args->dir & 1].lost)
			__builtin_memset(&st->fr[args->dir & 1], 0, sizeof(st->fr[0]));
		if (!st->proto && copyable)
			conn_sniff(st, args, bytes);
	}
	if (st->proto == ZT_PROTO_OPAQUE) {
		st->run_bytes += bytes;
		return;
	}
	policy = zt_wire_capture(st->proto);
	capture = copyable && (st->run_bytes < ZT_RUN_CAPTURE_LIMIT ||
			       run_message_start(st, args, bytes));
	st->run_bytes += bytes;
	fd_conn_record(st, sk, pid_tgid >> 32, args->fd);
	st->announced = 1;

	eb = bpf_map_lookup_elem(&scratch, &zero);
	if (!eb)
		return;
	event_fill_task(&eb->ev, pid_tgid);
	eb->ev.type = ZT_EV_DATA;
	eb->ev.syscall = args->syscall;
	eb->ev.ts_enter_ns = args->ts_enter_ns;
	eb->ev.ts_exit_ns = bpf_ktime_get_ns();
	eb->ev.conn_id = st->conn_id;
	eb->ev.bytes = bytes;
	eb->ev.fd = args->fd;
	eb->ev.role = st->role;
	eb->ev.dir = args->dir;
	eb->ev.flags = 0;
	eb->ev.tail_len = 0;
	eb->ev.tuple = st->tuple;
	eb->ev.win_off = 0;
	eb->ev.proto = st->proto;
	eb->ev.nsegs = 0;
	/* a frame walk must see every byte to keep its place; a whole write
	 * is copied however long the run */
	if (policy != ZT_CAPTURE_HEAD && copyable) {
		bpf_tail_call(ctx, &capture_policy, policy);
		counter_add(ZT_CNT_READ_FAULTS, 1); /* no program: nothing copied */
	}
	emit_head(eb, st, args, bytes, capture, new_run, (__u32)pid_tgid);
}

/* The capture itself, in one program that every sys_exit_* tail-calls:
 * the verifier checks it once instead of once per syscall (with
 * --inject-traceparent that is the difference between ~2 s and ~25 s). */
SEC("tracepoint")
int sys_exit_capture(struct trace_event_raw_sys_exit *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct syscall_args *args = bpf_map_lookup_elem(&active_io, &tid);

	if (!args)
		return 0;
	emit_data(ctx, args, pid_tgid, ctx->ret);
	bpf_map_delete_elem(&active_io, &tid);
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, int(void *));
} exit_capture SEC(".maps") = {
	.values = { [0] = (void *)&sys_exit_capture },
};

static __always_inline int io_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct syscall_args *args = bpf_map_lookup_elem(&active_io, &tid);

	if (!args)
		return 0;
	/* a file, not a socket: no sock tracepoint fired during the call */
	if (args->sk)
		bpf_tail_call(ctx, &exit_capture, 0);
	bpf_map_delete_elem(&active_io, &tid);
	return 0;
}

#define IO_EXIT(name)                                                   \
	SEC("tracepoint/syscalls/sys_exit_" #name)                      \
	int sys_exit_##name(struct trace_event_raw_sys_exit *ctx)       \
	{                                                               \
		return io_exit(ctx);                                    \
	}

IO_EXIT(read)
IO_EXIT(write)
IO_EXIT(readv)
IO_EXIT(writev)
IO_EXIT(recvfrom)
IO_EXIT(sendto)
IO_EXIT(recvmsg)
IO_EXIT(sendmsg)
IO_EXIT(recvmmsg)
IO_EXIT(sendmmsg)
IO_EXIT(sendfile64)
IO_EXIT(splice)

/* ---- connection lifecycle ---- */

static __always_inline void emit_conn_event(__u16 type, __u16 sys, const struct conn_state *st,
					    __u64 pid_tgid, __s32 fd, __s64 ret, __u64 ts_enter)
{
	__u32 zero = 0;
	struct event_buf *eb = bpf_map_lookup_elem(&scratch, &zero);

	if (!eb)
		return;
	__builtin_memset(&eb->ev, 0, sizeof(eb->ev));
	if (pid_tgid)
		event_fill_task(&eb->ev, pid_tgid);
	eb->ev.type = type;
	eb->ev.syscall = sys;
	eb->ev.ts_enter_ns = ts_enter;
	eb->ev.ts_exit_ns = bpf_ktime_get_ns();
	eb->ev.bytes = ret;
	eb->ev.fd = fd;
	if (st) {
		eb->ev.conn_id = st->conn_id;
		eb->ev.role = st->role;
		eb->ev.tuple = st->tuple;
	}
	event_submit(eb, 0);
}

/* The connection ends. One whose protocol no sniff found is counted now
 * (a longer one was counted when the sniff gave up on it). */
static __always_inline void conn_forget(const struct conn_state *st, __u64 sk)
{
	if (!st->proto && st->sniffs)
		counter_add(ZT_CNT_UNKNOWN_PROTO, 1);
	bpf_map_delete_elem(&conn_state, &sk);
}

SEC("tracepoint/sock/inet_sock_set_state")
int inet_sock_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	__u64 sk = (__u64)ctx->skaddr;
	struct conn_state *st;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (ctx->newstate == BPF_TCP_SYN_SENT) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		struct connect_args *ca = bpf_map_lookup_elem(&active_connect, &tid);

		conn_state_create(sk, ZT_ROLE_CLIENT);
		if (ca)
			ca->sk = sk;
		return 0;
	}
	if (ctx->oldstate == BPF_TCP_SYN_RECV && ctx->newstate == BPF_TCP_ESTABLISHED) {
		conn_state_create(sk, ZT_ROLE_SERVER);
		return 0;
	}
	if (ctx->newstate != BPF_TCP_CLOSE)
		return 0;
	st = bpf_map_lookup_elem(&conn_state, &sk);
	if (!st || st->closed)
		return 0;
	/* A reset from the peer lands here in the middle of the write that
	 * provoked it (loopback delivers it before sendmsg returns), and reads
	 * of what was queued may follow: while the process still holds the
	 * socket, the connection lives on until its close(), which reports it. */
	if (st->fd_key && BPF_CORE_READ((struct sock *)sk, sk_socket)) {
		st->closed = 1;
		return 0;
	}
	if (st->announced && !st->ignored)
		emit_conn_event(ZT_EV_CLOSE, ZT_SYS_STATE, st, 0, -1, 0, bpf_ktime_get_ns());
	conn_forget(st, sk);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_connect")
int sys_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct connect_args ca = {};
	__u32 tid = (__u32)pid_tgid;

	if (!task_is_traced(pid_tgid >> 32))
		return 0;
	ca.ts_enter_ns = bpf_ktime_get_ns();
	ca.fd = (__s32)ctx->args[0];
	if (bpf_map_update_elem(&active_connect, &tid, &ca, BPF_ANY))
		counter_add(ZT_CNT_STASH_DROPS, 1);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int sys_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct connect_args *ca = bpf_map_lookup_elem(&active_connect, &tid);
	struct conn_state *st;
	__u64 sk;

	if (!ca)
		return 0;
	sk = ca->sk;
	st = sk ? bpf_map_lookup_elem(&conn_state, &sk) : NULL;
	if (st) {
		if (ctx->ret == 0 || ctx->ret == -EINPROGRESS) {
			tuple_read(&st->tuple, (struct sock *)sk);
			st->tuple_ok = 1;
			st->ignored = !port_is_traced(&st->tuple);
			fd_conn_record(st, sk, pid_tgid >> 32, ca->fd);
		}
		if (!st->ignored)
			emit_conn_event(ZT_EV_CONNECT, ZT_SYS_CONNECT, st, pid_tgid, ca->fd, ctx->ret,
					ca->ts_enter_ns);
	}
	bpf_map_delete_elem(&active_connect, &tid);
	return 0;
}

/* accept returns an fd, not a sock: one walk of the fd table per accepted
 * connection (not per message) finds the sock. */
static __always_inline __u64 fd_to_sock(__s32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	struct file *file;
	struct socket *sock;

	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return 0;
	return (__u64)BPF_CORE_READ(sock, sk);
}

static __always_inline int accept_exit(struct trace_event_raw_sys_exit *ctx, __u16 sys)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct conn_state *st;
	__s32 fd = ctx->ret;
	__u64 sk;

	if (fd < 0 || !task_is_traced(pid_tgid >> 32))
		return 0;
	sk = fd_to_sock(fd);
	if (!sk)
		return 0;
	st = bpf_map_lookup_elem(&conn_state, &sk);
	if (!st)
		return 0; /* not TCP, or established before the agent */
	if (!st->tuple_ok) {
		tuple_read(&st->tuple, (struct sock *)sk);
		st->tuple_ok = 1;
		st->ignored = !port_is_traced(&st->tuple);
	}
	if (st->ignored)
		return 0;
	fd_conn_record(st, sk, pid_tgid >> 32, fd);
	emit_conn_event(ZT_EV_ACCEPT, sys, st, pid_tgid, fd, fd, bpf_ktime_get_ns());
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int sys_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx, ZT_SYS_ACCEPT);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int sys_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx, ZT_SYS_ACCEPT4);
}

SEC("tracepoint/syscalls/sys_enter_close")
int sys_enter_close(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__s32 fd = (__s32)ctx->args[0];
	__u64 key = (pid_tgid & ~0xffffffffULL) | (__u32)fd;
	struct fd_conn_val *val = bpf_map_lookup_elem(&fd_conn, &key);
	struct conn_state *st;
	__u64 sk;

	if (!val)
		return 0;
	sk = val->sk;
	st = bpf_map_lookup_elem(&conn_state, &sk);
	if (st && st->conn_id == val->conn_id) {
		emit_conn_event(ZT_EV_CLOSE, ZT_SYS_CLOSE, st, pid_tgid, fd, 0, bpf_ktime_get_ns());
		if (st->closed)
			conn_forget(st, sk);
		else
			st->fd_key = 0;
	}
	bpf_map_delete_elem(&fd_conn, &key);
	return 0;
}

/* Process metadata is cached per pid in user space: tell it when to forget. */
SEC("tracepoint/sched/sched_process_exit")
int sched_process_exit(struct trace_event_raw_sched_process_template *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	(void)ctx;
	if ((__u32)pid_tgid != pid_tgid >> 32 || !task_is_traced(pid_tgid >> 32))
		return 0;
	emit_conn_event(ZT_EV_EXIT, 0, NULL, pid_tgid, -1, 0, bpf_ktime_get_ns());
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
