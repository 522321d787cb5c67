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

/*
 * Whether this record wakes the consumer. Asking the ring how full it is
 * reads the consumer's position, a cache line the consumer's CPU writes.
 * Instead each CPU counts what it added since it last woke the consumer
 * and wakes it past wakeup_bytes (64 KiB; on a small ring an eighth of
 * it), so the consumer handles short bursts and unseen data stays under
 * an eighth of the CPU's ring; the agent's poll timeout drains what stays
 * below.
 */
static __always_inline __u64 event_wakeup_flags(__u32 size)
{
	__u32 zero = 0;
	__u64 *unwoken = bpf_map_lookup_elem(&unwoken_bytes, &zero);

	if (!unwoken)
		return BPF_RB_NO_WAKEUP;
	*unwoken += size;
	if (*unwoken < wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	*unwoken = 0;
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline void event_submit(struct event_buf *eb, __u32 cap_len)
{
	__u32 cpu = bpf_get_smp_processor_id();
	void *ring = bpf_map_lookup_elem(&events, &cpu);

	cap_len &= ZT_CAPTURE_MAX * 2 - 1;
	if (cap_len > ZT_CAPTURE_MAX)
		cap_len = ZT_CAPTURE_MAX;
	if (!ring || bpf_ringbuf_output(ring, eb, sizeof(eb->ev) + cap_len,
			       event_wakeup_flags(sizeof(eb->ev) + cap_len))) {
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
