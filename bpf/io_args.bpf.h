/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Stage 1: a socket syscall's arguments. No hook runs on sys_enter: the
 * sock_{send,recv}_length tracepoints fire inside socket I/O alone, after
 * the bytes moved, and the syscall's arguments are still in the task's
 * saved user registers there. A file's read or write runs no program
 * (but with --logs, a write: logs.bpf.h).
 */
#ifndef ZT_IO_ARGS_BPF_H
#define ZT_IO_ARGS_BPF_H

/* x86_64 syscall numbers of the data syscalls. 0: not one (a send the
 * kernel makes for itself, io_uring's workers). */
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

/* The data syscall this task is in, from its saved user registers: false
 * when it is in none. */
static __always_inline bool args_from_regs(struct syscall_args *args)
{
	/* a BTF pointer: plain loads, not a helper call per register */
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	__builtin_memset(args, 0, sizeof(*args));
	args->syscall = syscall_from_nr(regs->orig_ax);
	if (!args->syscall)
		return false;
	args->fd = (__s32)regs->di;
	args->buf = regs->si;
	/* a flat buffer's size, an iovec count, an mmsg vector's length */
	args->vlen = (__u32)regs->dx;
	if (args->syscall == ZT_SYS_SPLICE)
		args->fd = (__s32)regs->dx;
	if (args->syscall == ZT_SYS_RECVMSG || args->syscall == ZT_SYS_SENDMSG ||
	    args->syscall == ZT_SYS_SENDFILE || args->syscall == ZT_SYS_SPLICE)
		args->vlen = 0;
	/* the fifth argument (r10 is the fourth in a syscall) */
	if (args->syscall == ZT_SYS_RECVFROM || args->syscall == ZT_SYS_SENDTO)
		args->addr = regs->r8;
	return true;
}

/*
 * When a TCP send began: the sock tracepoint fires after the bytes left,
 * and a peer on this node may have read them by then. A write "sees" its
 * bytes when it is called (tracer.c), so tcp_sendmsg_locked, which runs
 * before any byte moves, stamps the send in a per-CPU slot, and the send's
 * sock tracepoint takes the stamp if its task never left the CPU between
 * the two (its count of context switches is unchanged): then no other
 * task's send can have overwritten it. A send that slept (a full socket
 * buffer) is stamped at its end and counted (send_unstamped).
 */
struct send_stamp {
	__u64 sk;
	__u64 ts;
	__u64 switches;
	__u32 tid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct send_stamp);
} send_stamps SEC(".maps");

static __always_inline __u64 task_switches(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return task->nvcsw + task->nivcsw;
}

SEC("raw_tp/tcp_sendmsg_locked")
int tcp_sendmsg_locked(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 zero = 0;
	struct send_stamp *s = bpf_map_lookup_elem(&send_stamps, &zero);

	if (!s)
		return 0;
	s->sk = ctx->args[0];
	s->tid = (__u32)bpf_get_current_pid_tgid();
	s->switches = task_switches();
	s->ts = bpf_ktime_get_ns();
	return 0;
}

/* The start of the TCP send that just moved bytes on sk. */
static __always_inline __u64 send_stamp_take(__u64 sk, __u64 now)
{
	__u32 zero = 0;
	struct send_stamp *s = bpf_map_lookup_elem(&send_stamps, &zero);
	__u64 ts;

	if (!s || s->sk != sk || s->tid != (__u32)bpf_get_current_pid_tgid() || !s->ts ||
	    s->ts > now || s->switches != task_switches()) {
		counter_add(ZT_CNT_SEND_UNSTAMPED, 1);
		return now;
	}
	ts = s->ts;
	s->ts = 0;
	return ts;
}

/* Calls in flight in the TLS uprobes: while there are none, a socket
 * syscall costs no lookup for them. */
__s64 tls_calls_inflight = 0;

/*
 * A socket syscall inside a TLS library call on this thread (or, in Go, of
 * this goroutine): its socket is the one the SSL object speaks on (OpenSSL
 * was given the fd: SSL_set_fd; crypto/tls wraps a net.Conn), and its bytes
 * are that connection's ciphertext.
 */
static __always_inline void tls_call_saw_socket(struct syscall_args *args)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct tls_call *call = bpf_map_lookup_elem(&tls_calls, &tid);
	struct go_task_key gk = {};

	if (!call)
		call = go_tls_call_running(pid_tgid >> 32, &gk);
	if (!call)
		return;
	/* Go's handshake has no return probe: its first syscall binds the
	 * *Conn and ends the entry; one that made none soon was left long ago */
	if (call->go && call->handshake) {
		if (bpf_ktime_get_ns() - call->ts_enter_ns <= ZT_GO_HANDSHAKE_BIND_NS) {
			tls_ssl_bind(call->ssl, pid_tgid >> 32, args->sk, args->fd);
			args->in_tls = 1;
		}
		bpf_map_delete_elem(&go_tls_calls, &gk);
		__sync_fetch_and_add(&tls_calls_inflight, -1);
		return;
	}
	if (!call->sk) {
		call->sk = args->sk;
		call->fd = args->fd;
	}
	/* a call speaks on one socket: another one's bytes are not its */
	if (call->sk == args->sk)
		args->in_tls = 1;
}

#endif
