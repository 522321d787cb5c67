/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Connection lifecycle: handshake, connect, accept and close records, and
 * the end of a process. */
#ifndef ZT_LIFECYCLE_BPF_H
#define ZT_LIFECYCLE_BPF_H

#define SHUTDOWN_MASK 3

/*
 * The state changes that only a process letting go of a connection makes:
 * close() (or its exit, or shutdown() of both directions) to FIN_WAIT1 or
 * LAST_ACK, to the same state (FIN_WAIT2 after a half-close), or to CLOSE
 * at once (over unread data, or an abort). The stack's own changes (a FIN,
 * an ACK, a timer) can run in the process's context too (its recv() works
 * off the backlog): after a half-close, the peer's FIN makes both
 * directions shut while the answer before it is still to be read.
 */
static __always_inline bool state_change_lets_go(int oldstate, int newstate)
{
	if (newstate == BPF_TCP_FIN_WAIT1 || newstate == BPF_TCP_LAST_ACK || newstate == oldstate)
		return true;
	return newstate == BPF_TCP_CLOSE &&
	       (oldstate == BPF_TCP_ESTABLISHED || oldstate == BPF_TCP_CLOSE_WAIT ||
		oldstate == BPF_TCP_SYN_SENT || oldstate == BPF_TCP_SYN_RECV);
}

/*
 * The process that moved the connection's bytes let go of it, both
 * directions shut, and this runs in its context: reported as its close(),
 * so that no program runs on the node's other close() calls (files, pipes:
 * a lookup each before). A close() by a process that shares the socket
 * changes no state; a change in another process's context is not this
 * one letting go. Returns true when the connection ended here.
 */
static __always_inline bool conn_let_go(struct conn_state *st, struct sock *sk, int newstate)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (BPF_CORE_READ(sk, sk_shutdown) != SHUTDOWN_MASK ||
	    (__u32)(st->fd_key >> 32) != (__u32)(pid_tgid >> 32))
		return false;
	/* user space heard of it from its accept or connect, if not its data */
	if (!st->ignored)
		emit_conn_event(ZT_EV_CLOSE, ZT_SYS_CLOSE, st, pid_tgid, (__s32)st->fd_key, 0,
				bpf_ktime_get_ns());
	st->fd_key = 0;
	/* closed at once, or reset earlier while held: nothing more comes */
	if (newstate == BPF_TCP_CLOSE || st->closed) {
		conn_forget(st, (__u64)sk);
		return true;
	}
	return false;
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
	st = bpf_map_lookup_elem(&conn_state, &sk);
	if (!st)
		return 0;
	if (st->fd_key && state_change_lets_go(ctx->oldstate, ctx->newstate) &&
	    conn_let_go(st, (struct sock *)sk, ctx->newstate))
		return 0;
	if (ctx->newstate != BPF_TCP_CLOSE)
		return 0;
	/* A reset from the peer lands here in the middle of the write that
	 * provoked it (loopback delivers it before sendmsg returns), and reads
	 * of what was queued may follow: while the process still holds the
	 * socket, the connection lives on until it lets go. */
	if (st->fd_key && BPF_CORE_READ((struct sock *)sk, sk_socket)) {
		st->closed = 1;
		return 0;
	}
	if (st->announced && !st->ignored)
		emit_conn_event(ZT_EV_CLOSE, ZT_SYS_STATE, st, 0, -1, 0, bpf_ktime_get_ns());
	conn_forget(st, sk);
	return 0;
}

/* The sock is freed. Closing a socket that a reset already closed (held
 * by its process then, see above) changes no state: its end is reported
 * here, as is any other the state changes did not report. */
SEC("tracepoint/tcp/tcp_destroy_sock")
int tcp_destroy_sock(struct trace_event_raw_tcp_event_sk *ctx)
{
	__u64 sk = (__u64)ctx->skaddr;
	struct conn_state *st = bpf_map_lookup_elem(&conn_state, &sk);

	if (!st)
		return 0;
	if (st->fd_key && conn_let_go(st, (struct sock *)sk, BPF_TCP_CLOSE))
		return 0;
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
			conn_tuple_read(st, sk);
			conn_fd_note(st, pid_tgid >> 32, ca->fd);
		}
		if (!st->ignored)
			emit_conn_event(ZT_EV_CONNECT, ZT_SYS_CONNECT, st, pid_tgid, ca->fd, ctx->ret,
					ca->ts_enter_ns);
	}
	bpf_map_delete_elem(&active_connect, &tid);
	return 0;
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
	if (!st->tuple_ok)
		conn_tuple_read(st, sk);
	if (st->ignored)
		return 0;
	conn_fd_note(st, pid_tgid >> 32, fd);
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

/* The TLS libraries a process runs change when it execs or maps a file
 * executable (the dynamic loader, dlopen): user space reads its maps then.
 * mmap is frequent, but anonymous or non-executable maps return at once. */
static __always_inline int code_mapped(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!task_is_traced(pid_tgid >> 32))
		return 0;
	emit_conn_event(ZT_EV_CODE_MAPPED, 0, NULL, pid_tgid, -1, 0, bpf_ktime_get_ns());
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int sched_process_exec(void *ctx)
{
	(void)ctx;
	return code_mapped();
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int sys_enter_mmap(struct trace_event_raw_sys_enter *ctx)
{
	if (!(ctx->args[2] & PROT_EXEC) || (long)ctx->args[4] < 0)
		return 0;
	return code_mapped();
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

/* --node-helper's reports: a failing access() of a path under /dev/null
 * that only the helper's script asks about (user/node_helper.c). */
static __always_inline int helper_report(const char *upath)
{
	static const char prefix[ZT_HELPER_PREFIX_LEN] = ZT_HELPER_PREFIX;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 zero = 0;
	struct event_buf *eb;
	long n;

	if (!task_is_traced(pid_tgid >> 32))
		return 0;
	eb = bpf_map_lookup_elem(&scratch, &zero);
	if (!eb)
		return 0;
	n = bpf_probe_read_user_str(eb->data, ZT_HELPER_PATH_MAX, upath);
	if (n <= ZT_HELPER_PREFIX_LEN)
		return 0;
	for (int i = 0; i < ZT_HELPER_PREFIX_LEN; i++)
		if (eb->data[i] != prefix[i])
			return 0;
	__builtin_memset(&eb->ev, 0, sizeof(eb->ev));
	event_fill_task(&eb->ev, pid_tgid);
	eb->ev.type = ZT_EV_HELPER_LINK;
	eb->ev.ts_enter_ns = eb->ev.ts_exit_ns = bpf_ktime_get_ns();
	eb->ev.fd = -1;
	eb->ev.cap_len = (__u32)(n - 1);
	event_submit(eb, (__u32)(n - 1));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_access")
int sys_enter_access(struct trace_event_raw_sys_enter *ctx)
{
	return helper_report((const char *)ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_enter_faccessat")
int sys_enter_faccessat(struct trace_event_raw_sys_enter *ctx)
{
	return helper_report((const char *)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_faccessat2")
int sys_enter_faccessat2(struct trace_event_raw_sys_enter *ctx)
{
	return helper_report((const char *)ctx->args[1]);
}

#endif
