// SPDX-License-Identifier: MIT
/*
 * bpf/events.h is the wire format between the BPF programs and user space:
 * pin every size and offset so a field moved on one side cannot drift
 * silently (the kernel object and the daemon are built separately).
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <sys/socket.h>

#include "events.h"

#define EXPECT_FIELD(type, field, off, size)                                   \
	do {                                                                   \
		cr_expect_eq(offsetof(type, field), (size_t)(off),             \
			     #type "." #field " offset %zu, want %d",          \
			     offsetof(type, field), (off));                    \
		cr_expect_eq(sizeof(((type *)0)->field), (size_t)(size),       \
			     #type "." #field " size %zu, want %d",            \
			     sizeof(((type *)0)->field), (size));              \
	} while (0)

Test(events_layout, conn_tuple_size_and_offsets)
{
	cr_expect_eq(sizeof(struct zt_conn_tuple), 40);
	cr_expect_eq(_Alignof(struct zt_conn_tuple), 2);
	EXPECT_FIELD(struct zt_conn_tuple, local_addr, 0, 16);
	EXPECT_FIELD(struct zt_conn_tuple, remote_addr, 16, 16);
	EXPECT_FIELD(struct zt_conn_tuple, local_port, 32, 2);
	EXPECT_FIELD(struct zt_conn_tuple, remote_port, 34, 2);
	EXPECT_FIELD(struct zt_conn_tuple, family, 36, 2);
	EXPECT_FIELD(struct zt_conn_tuple, transport, 38, 1);
	EXPECT_FIELD(struct zt_conn_tuple, pad, 39, 1);
}

Test(events_layout, event_size_and_offsets)
{
	cr_expect_eq(sizeof(struct zt_event), 192);
	cr_expect_eq(_Alignof(struct zt_event), 8);
	EXPECT_FIELD(struct zt_event, ts_enter_ns, 0, 8);
	EXPECT_FIELD(struct zt_event, ts_exit_ns, 8, 8);
	EXPECT_FIELD(struct zt_event, conn_id, 16, 8);
	EXPECT_FIELD(struct zt_event, cgroup_id, 24, 8);
	EXPECT_FIELD(struct zt_event, bytes, 32, 8);
	EXPECT_FIELD(struct zt_event, pid, 40, 4);
	EXPECT_FIELD(struct zt_event, tid, 44, 4);
	EXPECT_FIELD(struct zt_event, fd, 48, 4);
	EXPECT_FIELD(struct zt_event, cap_len, 52, 4);
	EXPECT_FIELD(struct zt_event, type, 56, 2);
	EXPECT_FIELD(struct zt_event, syscall, 58, 2);
	EXPECT_FIELD(struct zt_event, role, 60, 1);
	EXPECT_FIELD(struct zt_event, dir, 61, 1);
	EXPECT_FIELD(struct zt_event, tail_len, 62, 1);
	EXPECT_FIELD(struct zt_event, flags, 63, 1);
	EXPECT_FIELD(struct zt_event, tail, 64, 8);
	EXPECT_FIELD(struct zt_event, comm, 72, 16);
	EXPECT_FIELD(struct zt_event, tuple, 88, 40);
	EXPECT_FIELD(struct zt_event, ctx_trace_id, 128, 16);
	EXPECT_FIELD(struct zt_event, ctx_span_id, 144, 8);
	EXPECT_FIELD(struct zt_event, ctx_parent_id, 152, 8);
	EXPECT_FIELD(struct zt_event, win_off, 160, 4);
	EXPECT_FIELD(struct zt_event, stream_pos, 164, 4);
	EXPECT_FIELD(struct zt_event, proto, 168, 1);
	EXPECT_FIELD(struct zt_event, nsegs, 169, 1);
	EXPECT_FIELD(struct zt_event, tls_minor, 170, 1);
	EXPECT_FIELD(struct zt_event, task_kind, 171, 1);
	EXPECT_FIELD(struct zt_event, peer_stream_pos, 172, 4);
	EXPECT_FIELD(struct zt_event, task, 176, 8);
	EXPECT_FIELD(struct zt_event, handoff_ns, 184, 8);
}

Test(events_layout, go_proc_layout)
{
	cr_expect_eq(sizeof(struct zt_go_proc), 8);
	EXPECT_FIELD(struct zt_go_proc, tls_g_off, 0, 8);
	cr_expect_eq(ZT_TASK_THREAD, 0);
	cr_expect_eq(ZT_TASK_GOROUTINE, 1);
	cr_expect_eq(ZT_TASK_UNKNOWN, 2);
}

Test(events_layout, seg_size_and_offsets)
{
	cr_expect_eq(sizeof(struct zt_seg), 16);
	cr_expect_eq(_Alignof(struct zt_seg), 4);
	EXPECT_FIELD(struct zt_seg, off, 0, 4);
	EXPECT_FIELD(struct zt_seg, len, 4, 4);
	EXPECT_FIELD(struct zt_seg, frames, 8, 4);
	EXPECT_FIELD(struct zt_seg, cap, 12, 2);
	EXPECT_FIELD(struct zt_seg, cls, 14, 1);
	EXPECT_FIELD(struct zt_seg, pad, 15, 1);
}

Test(events_layout, signedness_of_wire_fields)
{
	struct zt_event e = { 0 };

	/* bytes carries connect()'s negative return; fd is -1 for no fd */
	e.bytes = -1;
	e.fd = -1;
	cr_expect_lt(e.bytes, 0);
	cr_expect_lt(e.fd, 0);
	/* cap_len and counts are unsigned: a negative can never pass a bound */
	e.cap_len = (__u32)-1;
	cr_expect_gt(e.cap_len, 0);
}

Test(events_layout, size_macros)
{
	cr_expect_eq(ZT_COMM_LEN, 16);
	cr_expect_eq(ZT_CAPTURE_DEFAULT, 512);
	cr_expect_eq(ZT_CAPTURE_MAX, 4096);
	cr_expect_eq(ZT_RUN_CAPTURE_LIMIT, 65536);
	cr_expect_eq(ZT_TAIL_LEN, 8);
	cr_expect_eq(ZT_COMM_FILTER_LEN, 16);
	/* the kernel's ring buffer aligns records to 8: payload follows a
	 * header whose size keeps it aligned */
	cr_expect_eq(sizeof(struct zt_event) % 8, 0);
}

Test(events_layout, enum_values)
{
	cr_expect_eq(ZT_EV_DATA, 1);
	cr_expect_eq(ZT_EV_CLOSE, 2);
	cr_expect_eq(ZT_EV_CONNECT, 3);
	cr_expect_eq(ZT_EV_ACCEPT, 4);
	cr_expect_eq(ZT_EV_EXIT, 5);
	cr_expect_eq(ZT_EV_CODE_MAPPED, 6);
	cr_expect_eq(ZT_EV_HELPER_LINK, 7);
	cr_expect_eq(ZT_EV_LOG, 8);
	cr_expect_eq(ZT_ROLE_UNKNOWN, 0);
	cr_expect_eq(ZT_ROLE_CLIENT, 1);
	cr_expect_eq(ZT_ROLE_SERVER, 2);
	cr_expect_eq(ZT_DIR_EGRESS, 0);
	cr_expect_eq(ZT_DIR_INGRESS, 1);
	cr_expect_eq(ZT_SYS_READ, 1);
	cr_expect_eq(ZT_SYS_WRITE, 2);
	cr_expect_eq(ZT_SYS_READV, 3);
	cr_expect_eq(ZT_SYS_WRITEV, 4);
	cr_expect_eq(ZT_SYS_RECVFROM, 5);
	cr_expect_eq(ZT_SYS_SENDTO, 6);
	cr_expect_eq(ZT_SYS_RECVMSG, 7);
	cr_expect_eq(ZT_SYS_SENDMSG, 8);
	cr_expect_eq(ZT_SYS_RECVMMSG, 9);
	cr_expect_eq(ZT_SYS_SENDMMSG, 10);
	cr_expect_eq(ZT_SYS_SENDFILE, 11);
	cr_expect_eq(ZT_SYS_SPLICE, 12);
	cr_expect_eq(ZT_SYS_CONNECT, 13);
	cr_expect_eq(ZT_SYS_ACCEPT, 14);
	cr_expect_eq(ZT_SYS_ACCEPT4, 15);
	cr_expect_eq(ZT_SYS_CLOSE, 16);
	cr_expect_eq(ZT_SYS_STATE, 17);
	cr_expect_eq(ZT_SYS_TLS_READ, 18);
	cr_expect_eq(ZT_SYS_TLS_WRITE, 19);
	cr_expect_eq(ZT_F_TRUNCATED, 0x01);
	cr_expect_eq(ZT_F_CONTINUATION, 0x02);
	cr_expect_eq(ZT_F_CTX_SERVER, 0x04);
	cr_expect_eq(ZT_F_CTX_INJECTED, 0x08);
	cr_expect_eq(ZT_F_CTX_PARENT, 0x10);
	cr_expect_eq(ZT_F_MORE, 0x20);
	cr_expect_eq(ZT_F_SEGS, 0x40);
	cr_expect_eq(ZT_F_TLS, 0x80);
	cr_expect_eq(ZT_CNT_RINGBUF_DROPS, 0);
	cr_expect_eq(ZT_CNT_STASH_DROPS, 1);
	cr_expect_eq(ZT_CNT_CONN_DROPS, 2);
	cr_expect_eq(ZT_CNT_READ_FAULTS, 3);
	cr_expect_eq(ZT_CNT_EVENTS, 4);
	cr_expect_eq(ZT_CNT_CONTINUATIONS, 5);
	cr_expect_eq(ZT_CNT_SENDFILE_BYTES, 6);
	cr_expect_eq(ZT_CNT_SEND_UNSTAMPED, 7);
	cr_expect_eq(ZT_CNT_INJECTED, 8);
	cr_expect_eq(ZT_CNT_INJECT_SKIPPED, 9);
	cr_expect_eq(ZT_CNT_UNKNOWN_PROTO, 10);
	cr_expect_eq(ZT_CNT_FRAMES_LOST, 11);
	cr_expect_eq(ZT_CNT_UNSNIFFED, 12);
	cr_expect_eq(ZT_CNT_TLS_BYTES, 13);
	cr_expect_eq(ZT_CNT_TLS_CONNS, 14);
	cr_expect_eq(ZT_CNT_TLS_UNBOUND, 15);
	cr_expect_eq(ZT_CNT_DGRAMS_UNREPORTED, 16);
	cr_expect_eq(ZT_CNT_MAX, 17);
}

Test(events_layout, tuple_families_fit_u16)
{
	struct zt_conn_tuple t = { 0 };

	t.family = AF_INET6;
	cr_expect_eq(t.family, 10);
	t.family = AF_INET;
	cr_expect_eq(t.family, 2);
}
