/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Stage 2: sys_exit_* of a socket's data syscall turns it into a DATA
 * record, copying what the connection's protocol asks for (its capture
 * policy: HEAD here, WHOLE and FRAMES in capture.bpf.h). */
#ifndef ZT_IO_EXIT_BPF_H
#define ZT_IO_EXIT_BPF_H

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
	__u64 run_bytes;
	__u32 stream_pos;
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
	if (!st->tuple_ok)
		conn_tuple_read(st, sk);
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
	run_bytes = st->run_bytes;
	st->run_bytes += bytes;
	stream_pos = st->stream_pos[args->dir & 1];
	st->stream_pos[args->dir & 1] += (__u32)bytes;
	if (st->proto == ZT_PROTO_OPAQUE)
		return;
	/* nothing a parser could use before the sniff names the protocol */
	if (!st->proto) {
		counter_add(ZT_CNT_UNSNIFFED, 1);
		return;
	}
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
	eb->ev.stream_pos = stream_pos;
	eb->ev.peer_stream_pos = st->stream_pos[!(args->dir & 1)];
	/* a frame walk must see every byte to keep its place; a whole write
	 * is copied however long the run. With no program for the policy
	 * (never, once loaded), the head below is what is copied. */
	policy = zt_wire_capture(st->proto);
	if (policy != ZT_CAPTURE_HEAD && copyable)
		bpf_tail_call(ctx, &capture_policy, policy);
	capture = copyable &&
		  (run_bytes < ZT_RUN_CAPTURE_LIMIT || run_message_start(st, args, bytes));
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

#endif
