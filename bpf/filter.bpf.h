/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which tasks and connections are traced: the filters user space set. */
#ifndef ZT_FILTER_BPF_H
#define ZT_FILTER_BPF_H

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
static __always_inline bool port_is_traced(const struct zt_conn_tuple *t)
{
	__u16 lp = t->local_port, rp = t->remote_port;

	if (!filter_ports)
		return true;
	return bpf_map_lookup_elem(&port_filter, &lp) || bpf_map_lookup_elem(&port_filter, &rp);
}

#endif
