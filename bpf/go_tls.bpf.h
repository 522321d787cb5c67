/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Go's crypto/tls plaintext, with as few traps as the calls allow (each
 * probe costs one per call, and one detach at exit):
 *  - (*Conn).Write(b) writes all of b (or fails): its entry alone is the
 *    DATA record, on the socket the *Conn is bound to;
 *  - (*Conn).Read(b) needs its return for the count: its entry and each
 *    of its return instructions (a uretprobe would rewrite a return
 *    address on a stack Go may move);
 *  - (*Conn).clientHandshake and serverHandshake (not handshakeContext,
 *    which every Read and Write calls) bind the *Conn to its socket: the
 *    handshake's first socket syscall (a hello, at once) names it
 *    (io_args.bpf.h), and the binding the address had before is gone
 *    (the GC reuses a *Conn's address). A Write that comes before any
 *    handshake or Read of its *Conn (one that shakes hands itself, or a
 *    *Conn older than the agent) finds no binding (tls_unbound).
 * Calls are keyed by goroutine (go_tls_calls): a Read parks while it waits
 * and resumes on any thread. The rest is OpenSSL's path (tls.bpf.h).
 */
#ifndef ZT_GO_TLS_BPF_H
#define ZT_GO_TLS_BPF_H

#include "tls.bpf.h"

/* Attachments carry tls.bpf.h's cookie bits: ZT_TLS_COOKIE_WRITE for
 * Write, ZT_TLS_COOKIE_HANDSHAKE for the handshakes, none for Read. */

/* Go's register ABI at a function's entry and at its returns: the
 * receiver and the slice (pointer, length) in rax, rbx, rcx; the result n
 * in rax; the running goroutine in r14. */
SEC("uprobe")
int go_tls_enter(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 cookie = bpf_get_attach_cookie(ctx);
	struct go_task_key k = { .tgid = pid_tgid >> 32, .g = ctx->r14 };
	struct tls_call call = { .ssl = ctx->ax, .buf = ctx->bx }, *running;
	__s64 len = (__s64)ctx->cx;

	if (!k.g || !task_is_traced(k.tgid))
		return 0;
	call.go = 1;
	call.fd = -1;
	call.ts_enter_ns = bpf_ktime_get_ns();
	if (cookie & ZT_TLS_COOKIE_WRITE) {
		call.dir = ZT_DIR_EGRESS;
		if (len > (__s64)ZT_TLS_CALL_MAX)
			len = 0;
		return tls_call_finish(ctx, &call, pid_tgid, len, NULL, NULL);
	}
	call.handshake = (cookie & ZT_TLS_COOKIE_HANDSHAKE) != 0;
	if (call.handshake) {
		struct tls_ssl_key old = { .ssl = call.ssl, .tgid = k.tgid };

		bpf_map_delete_elem(&tls_ssl, &old);
	}
	running = bpf_map_lookup_elem(&go_tls_calls, &k);
	/* a Read that shakes hands first: its syscalls bind the Read's call */
	if (running && call.handshake && running->ssl == call.ssl && !running->handshake)
		return 0;
	call.dir = ZT_DIR_INGRESS;
	/* a call whose return was never seen (a handshake has none; a Read
	 * whose goroutine panicked) is replaced */
	if (bpf_map_update_elem(&go_tls_calls, &k, &call, BPF_ANY)) {
		counter_add(ZT_CNT_STASH_DROPS, 1);
		return 0;
	}
	if (!running)
		__sync_fetch_and_add(&tls_calls_inflight, 1);
	return 0;
}

/* Each return instruction of (*Conn).Read. */
SEC("uprobe")
int go_tls_read_ret(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct go_task_key k = { .tgid = pid_tgid >> 32, .g = ctx->r14 };
	struct tls_call *call = bpf_map_lookup_elem(&go_tls_calls, &k);
	__s64 n = (__s64)ctx->ax;

	if (!call || call->handshake) {
		/* entered before the agent attached, or its entry evicted */
		if (n > 0 && task_is_traced(k.tgid))
			counter_add(ZT_CNT_TLS_UNBOUND, 1);
		return 0;
	}
	if (n > (__s64)ZT_TLS_CALL_MAX)
		n = 0;
	return tls_call_finish(ctx, call, pid_tgid, n, &go_tls_calls, &k);
}

#endif
