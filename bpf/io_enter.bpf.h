/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Stage 1: sys_enter_* stashes a data syscall's arguments per thread;
 * sock_{send,recv}_length then tells a socket from a file and names its
 * sock. */
#ifndef ZT_IO_ENTER_BPF_H
#define ZT_IO_ENTER_BPF_H

static __always_inline int io_enter(__u16 sys, __s32 fd, __u64 buf, __u32 vlen, __u64 addr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct syscall_args args = {};
	__u32 tid = (__u32)id;

	if (!task_is_traced(id >> 32))
		return 0;
	args.ts_enter_ns = bpf_ktime_get_ns();
	args.buf = buf;
	args.addr = addr;
	args.fd = fd;
	args.vlen = vlen;
	args.syscall = sys;
	if (bpf_map_update_elem(&active_io, &tid, &args, BPF_ANY))
		counter_add(ZT_CNT_STASH_DROPS, 1);
	return 0;
}

#define IO_ENTER(name, sys, fd_arg, buf_arg, vlen_arg, addr_arg)                \
	SEC("tracepoint/syscalls/sys_enter_" #name)                             \
	int sys_enter_##name(struct trace_event_raw_sys_enter *ctx)             \
	{                                                                       \
		return io_enter(sys, (__s32)ctx->args[fd_arg],                  \
				(__u64)ctx->args[buf_arg], (__u32)vlen_arg,     \
				(__u64)addr_arg);                               \
	}

/* a flat buffer's vlen is its size (a datagram's copy stays inside it) */
IO_ENTER(read, ZT_SYS_READ, 0, 1, ctx->args[2], 0)
IO_ENTER(write, ZT_SYS_WRITE, 0, 1, ctx->args[2], 0)
IO_ENTER(readv, ZT_SYS_READV, 0, 1, ctx->args[2], 0)
IO_ENTER(writev, ZT_SYS_WRITEV, 0, 1, ctx->args[2], 0)
IO_ENTER(recvfrom, ZT_SYS_RECVFROM, 0, 1, ctx->args[2], ctx->args[4])
IO_ENTER(sendto, ZT_SYS_SENDTO, 0, 1, ctx->args[2], ctx->args[4])
IO_ENTER(recvmsg, ZT_SYS_RECVMSG, 0, 1, 0, 0)
IO_ENTER(sendmsg, ZT_SYS_SENDMSG, 0, 1, 0, 0)
IO_ENTER(recvmmsg, ZT_SYS_RECVMMSG, 0, 1, ctx->args[2], 0)
IO_ENTER(sendmmsg, ZT_SYS_SENDMMSG, 0, 1, ctx->args[2], 0)
/* sendfile(out_fd, in_fd, ...) and splice(fd_in, .., fd_out, ..): no user
 * buffer to copy; the sock tracepoint tells which end is the socket. */
IO_ENTER(sendfile64, ZT_SYS_SENDFILE, 0, 1, 0, 0)
IO_ENTER(splice, ZT_SYS_SPLICE, 2, 1, 0, 0)

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
	/* the fifth argument (r10 is the fourth in a syscall) */
	args.addr = BPF_CORE_READ(regs, r8);
	if (args.syscall == ZT_SYS_SPLICE)
		args.fd = (__s32)BPF_CORE_READ(regs, dx);
	if (bpf_map_update_elem(&active_io, &tid, &args, BPF_NOEXIST))
		return NULL;
	counter_add(ZT_CNT_RECOVERED_ARGS, 1);
	return bpf_map_lookup_elem(&active_io, &tid);
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

/* A datagram on a socket that may carry DNS (port 53 at one end, or not
 * connected: a sendto or recvfrom names the peer per datagram); the exit
 * reports each one whole (datagram.bpf.h). A connected socket away from
 * port 53 costs this test; an unconnected one, also a read of its first
 * peer's port at the exit. */
static __always_inline int dgram_length(struct trace_event_raw_sock_msg_length *ctx, __u8 dir)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sock *sk = (struct sock *)ctx->sk;
	struct syscall_args *args;
	__u16 lport, rport;

	if (!(protocols_enabled & (1u << ZT_PROTO_DNS)))
		return 0;
	if (dir == ZT_DIR_INGRESS && (ctx->flags & MSG_PEEK))
		return 0;
	lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (lport != DNS_WIRE_PORT && rport != DNS_WIRE_PORT && rport)
		return 0;
	args = bpf_map_lookup_elem(&active_io, &tid);
	if (!args)
		args = recover_args(tid);
	/* sendfile and splice name no user buffer to copy */
	if (!args || (args->sk && args->sk != (__u64)sk) || args->syscall == ZT_SYS_SENDFILE ||
	    args->syscall == ZT_SYS_SPLICE)
		return 0;
	args->sk = (__u64)sk;
	args->dir = dir;
	args->dgram = 1;
	return 0;
}

static __always_inline int sock_length(struct trace_event_raw_sock_msg_length *ctx, __u8 dir)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct syscall_args *args;

	if (ctx->family != AF_INET && ctx->family != AF_INET6)
		return 0;
	if (ctx->protocol == IPPROTO_UDP)
		return dgram_length(ctx, dir);
	if (ctx->protocol != IPPROTO_TCP)
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
		if (tls_calls_inflight)
			tls_call_saw_socket(args);
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

#endif
