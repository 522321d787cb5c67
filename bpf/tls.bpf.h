/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * TLS plaintext: uprobes on OpenSSL's SSL_read, SSL_write and their _ex
 * forms. The entry stashes the call per thread; a socket syscall made
 * inside it names the connection (io_args.bpf.h); the return turns the
 * bytes the call moved into a DATA record of that connection, flagged
 * ZT_F_TLS, through the same capture as socket data. User space attaches
 * them per library file, with a cookie saying which function it is.
 */
#ifndef ZT_TLS_BPF_H
#define ZT_TLS_BPF_H

#include "io_exit.bpf.h"

/* bpf cookie bits of an attachment */
#define ZT_TLS_COOKIE_WRITE 0x1 /* SSL_write*: else SSL_read* */
#define ZT_TLS_COOKIE_EX 0x2    /* the _ex form: the count comes back through arg 4 */
#define ZT_TLS_COOKIE_HANDSHAKE 0x4 /* SSL_do_handshake: binds the socket, moves no data */

/*
 * The negotiated version, where the SSL object tells it: OpenSSL 1.1 to
 * 3.1 keep it in the struct's first int (0x0303 for TLS 1.2); from 3.2
 * that int is the object's type, never in the 0x03xx range. 0: unknown.
 */
static __always_inline __u8 tls_version_minor(__u64 ssl)
{
	__s32 version = 0;

	if (bpf_probe_read_user(&version, sizeof(version), (void *)ssl) ||
	    version < 0x0301 || version > 0x0304)
		return 0;
	return (__u8)version;
}

/* int SSL_read(SSL *, void *buf, int num), int SSL_read_ex(SSL *, void *buf,
 * size_t num, size_t *readbytes), and the same for SSL_write. */
SEC("uprobe")
int tls_enter(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 cookie = bpf_get_attach_cookie(ctx);
	struct tls_call call = {};
	__u32 tid = (__u32)pid_tgid;

	if (!task_is_traced(pid_tgid >> 32))
		return 0;
	call.ssl = PT_REGS_PARM1(ctx);
	call.buf = PT_REGS_PARM2(ctx);
	call.len_ptr = (cookie & ZT_TLS_COOKIE_EX) ? PT_REGS_PARM4(ctx) : 0;
	call.dir = (cookie & ZT_TLS_COOKIE_WRITE) ? ZT_DIR_EGRESS : ZT_DIR_INGRESS;
	call.handshake = (cookie & ZT_TLS_COOKIE_HANDSHAKE) != 0;
	call.tls_minor = tls_version_minor(call.ssl);
	call.fd = -1;
	call.ts_enter_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&tls_calls, &tid, &call, BPF_NOEXIST) == 0) {
		__sync_fetch_and_add(&tls_calls_inflight, 1);
		return 0;
	}
	/* a call whose return was never seen: this one replaces it */
	if (bpf_map_update_elem(&tls_calls, &tid, &call, BPF_ANY))
		counter_add(ZT_CNT_STASH_DROPS, 1);
	return 0;
}

/* The capture of a TLS call's bytes, in its own program like the socket
 * syscall one (sock_capture): args wait in io_args. */
SEC("uprobe")
int tls_capture(struct pt_regs *ctx)
{
	__u32 zero = 0;
	struct syscall_args *args = bpf_map_lookup_elem(&io_args, &zero);

	if (args)
		emit_data(ctx, args, bpf_get_current_pid_tgid(), args->sock_bytes,
			  &tls_capture_policy);
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, int(void *));
} tls_exit_capture SEC(".maps") = {
	.values = { [0] = (void *)&tls_capture },
};

/* The bytes the call moved: its return, or through readbytes/written for
 * the _ex forms (which return 1 on success). <= 0: none. */
static __always_inline __s64 tls_call_bytes(const struct tls_call *call, struct pt_regs *ctx)
{
	__s64 ret = (int)PT_REGS_RC(ctx);
	__u64 moved;

	if (call->handshake)
		return 0;
	if (!call->len_ptr)
		return ret;
	if (ret != 1 || bpf_probe_read_user(&moved, sizeof(moved), (void *)call->len_ptr))
		return 0;
	return moved > ZT_TLS_CALL_MAX ? 0 : (__s64)moved;
}

/*
 * The connection of the call: the socket a syscall inside it used, else
 * the one remembered for the SSL object, else (an OpenSSL on memory BIOs)
 * the socket whose ciphertext the thread read last, if it used no other
 * since and no other SSL claimed it: Node hands the ciphertext it read to
 * that socket's SSL at once, whose first call (SSL_write of what waited for
 * the handshake, or SSL_read) comes next. The first and the last are
 * remembered. 0: unknown.
 */
static __always_inline __u64 tls_call_socket(const struct tls_call *call, __u64 pid_tgid,
					     __s32 *fd)
{
	struct tls_ssl_key key = { .ssl = call->ssl, .tgid = pid_tgid >> 32 };
	struct tls_ssl_val *bound = bpf_map_lookup_elem(&tls_ssl, &key);
	__u32 tid = (__u32)pid_tgid;
	struct tls_read_seen *seen;

	if (!call->sk && !bound && tls_memory_bio_seen && !call->go) {
		seen = bpf_map_lookup_elem(&tls_last_read, &tid);
		if (seen) {
			__u64 sk = seen->sk;

			*fd = seen->fd;
			/* one SSL per read: another SSL's read cannot claim it */
			bpf_map_delete_elem(&tls_last_read, &tid);
			tls_ssl_bind(call->ssl, key.tgid, sk, *fd);
			return sk;
		}
	}
	if (call->sk) {
		if (!bound || bound->sk != call->sk || bound->fd != call->fd)
			tls_ssl_bind(call->ssl, key.tgid, call->sk, call->fd);
		*fd = call->fd;
		return call->sk;
	}
	if (!bound)
		return 0;
	*fd = bound->fd;
	return bound->sk;
}

/*
 * The end of a TLS call that moved `bytes` of plaintext: they become a DATA
 * record of its connection, captured by tls_capture. The call's stash
 * (key in map calls) is removed; calls NULL: a call that had none (Go's
 * Write, whole at its entry).
 */
static __always_inline int tls_call_finish(struct pt_regs *ctx, struct tls_call *call,
					   __u64 pid_tgid, __s64 bytes, void *calls, void *key)
{
	struct syscall_args *args;
	__u32 zero = 0;
	__s32 fd = -1;
	__u64 sk;

	if (calls)
		__sync_fetch_and_add(&tls_calls_inflight, -1);
	sk = tls_call_socket(call, pid_tgid, &fd);
	if (bytes <= 0)
		goto out;
	/* a socket that closed since is no connection to put bytes on */
	if (!sk || !bpf_map_lookup_elem(&conn_state, &sk)) {
		counter_add(ZT_CNT_TLS_UNBOUND, 1);
		goto out;
	}
	args = bpf_map_lookup_elem(&io_args, &zero);
	if (!args)
		goto out;
	__builtin_memset(args, 0, sizeof(*args));
	args->fd = fd;
	args->ts_enter_ns = call->ts_enter_ns;
	args->ts_exit_ns = bpf_ktime_get_ns();
	args->buf = call->buf;
	args->sk = sk;
	args->sock_bytes = bytes;
	args->dir = call->dir;
	args->syscall = call->dir == ZT_DIR_EGRESS ? ZT_SYS_TLS_WRITE : ZT_SYS_TLS_READ;
	args->tls_minor = call->tls_minor;
	if (calls)
		bpf_map_delete_elem(calls, key);
	bpf_tail_call(ctx, &tls_exit_capture, 0);
	return 0;
out:
	if (calls)
		bpf_map_delete_elem(calls, key);
	return 0;
}

SEC("uretprobe")
int tls_exit(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct tls_call *call = bpf_map_lookup_elem(&tls_calls, &tid);

	if (!call)
		return 0;
	return tls_call_finish(ctx, call, pid_tgid, tls_call_bytes(call, ctx), &tls_calls, &tid);
}

/* SSL_shutdown(SSL *), SSL_free(SSL *): the object's socket binding ends, so
 * a new SSL at the same address never inherits it. */
SEC("uprobe")
int tls_forget(struct pt_regs *ctx)
{
	struct tls_ssl_key key = { .ssl = PT_REGS_PARM1(ctx),
				   .tgid = bpf_get_current_pid_tgid() >> 32 };

	bpf_map_delete_elem(&tls_ssl, &key);
	return 0;
}

#endif
