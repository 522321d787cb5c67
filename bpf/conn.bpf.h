/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Per-connection kernel state: created at the handshake (or at the first
 * data of a connection older than the agent), found by sock or by fd. */
#ifndef ZT_CONN_BPF_H
#define ZT_CONN_BPF_H

#include "filter.bpf.h"

__u64 next_conn_id = 0;

static __always_inline void tuple_read(struct zt_conn_tuple *t, struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	t->family = family;
	t->transport = IPPROTO_TCP;
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

/* The addresses are known once the handshake has begun; a connection the
 * port filter excludes is ignored from then on. */
static __always_inline void conn_tuple_read(struct conn_state *st, __u64 sk)
{
	tuple_read(&st->tuple, (struct sock *)sk);
	st->tuple_ok = 1;
	st->ignored = !port_is_traced(&st->tuple);
}

/* The process and fd that last moved the connection's bytes: the one
 * whose letting go ends it (conn_let_go, lifecycle.bpf.h). */
static __always_inline void conn_fd_note(struct conn_state *st, __u32 tgid, __s32 fd)
{
	st->fd_key = (__u64)tgid << 32 | (__u32)fd;
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

/* From here on the socket carries ciphertext: the connection's stream is
 * the plaintext its TLS library calls move, from position 0, and its
 * protocol is sniffed afresh from that (PostgreSQL's SSLRequest named one
 * before the handshake). */
static __always_inline void conn_tls_begin(struct conn_state *st)
{
	st->tls = 1;
	st->proto = 0;
	st->sniffs = 0;
	st->pstate = 0;
	st->last_dir = 0xff;
	st->run_bytes = 0;
	st->stream_pos[0] = 0;
	st->stream_pos[1] = 0;
	__builtin_memset(st->fr, 0, sizeof(st->fr));
	counter_add(ZT_CNT_TLS_CONNS, 1);
}

/* The connection ends. One whose protocol no sniff found is counted now
 * (a longer one was counted when the sniff gave up on it). */
static __always_inline void conn_forget(const struct conn_state *st, __u64 sk)
{
	if (!st->proto && st->sniffs)
		counter_add(ZT_CNT_UNKNOWN_PROTO, 1);
	bpf_map_delete_elem(&conn_state, &sk);
}

#endif
