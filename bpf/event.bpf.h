/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The sink: records into the ring buffer, and the counters beside them
 * (every record and every drop is counted). */
#ifndef ZT_EVENT_BPF_H
#define ZT_EVENT_BPF_H

static __always_inline void counter_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += n;
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

#endif
