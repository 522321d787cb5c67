/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Goroutines as the unit of causality in Go programs (Go >= 1.17, amd64).
 * A goroutine hops between threads and a thread runs many goroutines, so
 * in a Go process the DATA records name the goroutine (its runtime.g
 * address, read from the thread's TLS slot) instead of the thread.
 *
 * A goroutine that reads a request on a server connection serves its own
 * request. Others take a request context over when one is handed to them,
 * with --go-handoffs (uprobes: each hit costs a trap, see README): spawned
 * by the goroutine serving it (runtime.newproc1), or, for net/http's
 * client, asked to write it (the connection a (*persistConn).roundTrip
 * names, when its writer goroutine writes to it). A context taken
 * over is good for the goroutine's next socket syscall only. Only the
 * goroutine that serves a request hands it on by a spawn: a goroutine its
 * helper starts (a dialer's connection reader and writer) is a worker for
 * later requests too. Channels, locks, timers and the netpoller hand
 * nothing over: a goroutine woken by them keeps no context.
 */
#ifndef ZT_GOROUTINE_BPF_H
#define ZT_GOROUTINE_BPF_H

#define ZT_GO_PROCS 4096
#define ZT_GO_TASKS 65536

struct go_task_key {
	__u32 tgid;
	__u32 pad;
	__u64 g;
};

struct go_task_ctx {
	__u64 from_g;     /* the goroutine whose request this is */
	__u64 handoff_ns; /* when the context was first handed over */
	__u8 own;         /* the goroutine read a request itself */
	__u8 fresh;       /* taken over and not yet used by a socket syscall */
	__u8 pad[6];
};

/* Written by user space: one entry per traced Go process (user/uprobe_attach.c). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZT_GO_PROCS);
	__type(key, __u32);
	__type(value, struct zt_go_proc);
} go_procs SEC(".maps");

/* Set by user space before it puts the first process in go_procs: until
 * then no socket syscall looks one up. */
__u8 go_procs_used = 0;

/* LRU: a goroutine that ends leaves its entry behind; the oldest go first. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ZT_GO_TASKS);
	__type(key, struct go_task_key);
	__type(value, struct go_task_ctx);
} go_ctx SEC(".maps");

/* net/http's client: the context of the request each connection
 * (*persistConn) is asked to send next. Its writer goroutine is told of
 * the request through a channel that may hold it before the writer waits
 * (a new connection): the connection says whose it is. */
struct go_obj_key {
	__u32 tgid;
	__u32 pad;
	__u64 ptr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ZT_GO_TASKS);
	__type(key, struct go_obj_key);
	__type(value, struct go_task_ctx);
} go_http_conn_ctx SEC(".maps");

/* runtime.newproc1's parent goroutine, by thread, until newproc1 returns
 * the child (on the same thread: it runs on the system stack). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ZT_MAX_THREADS);
	__type(key, __u32);
	__type(value, __u64);
} go_spawner SEC(".maps");

static __always_inline __u64 go_current_g(const struct zt_go_proc *gp)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 fsbase = BPF_CORE_READ(task, thread.fsbase), g = 0;

	if (!fsbase)
		return 0;
	bpf_probe_read_user(&g, sizeof(g), (void *)(fsbase + gp->tls_g_off));
	return g;
}

/* crypto/tls calls in flight, by goroutine (bpf/go_tls.bpf.h): a call
 * parks its goroutine while it waits for the network and may resume on
 * another thread, so the thread cannot key it. LRU: an idle keep-alive
 * connection keeps its reader parked inside Read, one entry each. */
#define ZT_GO_TLS_CALLS 16384
/* how soon a handshake's first syscall comes (it writes or reads a hello
 * at once); a goroutine's later syscalls are not the handshake's */
#define ZT_GO_HANDSHAKE_BIND_NS 1000000000ull

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ZT_GO_TLS_CALLS);
	__type(key, struct go_task_key);
	__type(value, struct tls_call);
} go_tls_calls SEC(".maps");

/* The crypto/tls call the running goroutine of a Go process is in (its key
 * in *k); NULL when none (or not a Go process). */
static __always_inline struct tls_call *go_tls_call_running(__u32 tgid, struct go_task_key *k)
{
	const struct zt_go_proc *gp;

	k->tgid = tgid;
	if (!go_procs_used)
		return NULL;
	gp = bpf_map_lookup_elem(&go_procs, &tgid);
	if (!gp)
		return NULL;
	k->g = go_current_g(gp);
	return k->g ? bpf_map_lookup_elem(&go_tls_calls, k) : NULL;
}

/* Names the task of a DATA record (e->pid and e->tid set), and keeps the
 * goroutine's context: a server read makes it the owner of a request, any
 * other socket syscall uses up a context it was handed. */
static __always_inline void task_note(struct zt_event *e, __u8 role, __u8 dir)
{
	struct go_task_key k = { .tgid = e->pid };
	const struct zt_go_proc *gp;
	struct go_task_ctx *c;

	e->task = e->tid;
	e->task_kind = ZT_TASK_THREAD;
	e->handoff_ns = 0;
	if (!go_procs_used)
		return;
	gp = bpf_map_lookup_elem(&go_procs, &k.tgid);
	if (!gp)
		return;
	k.g = go_current_g(gp);
	if (!k.g) {
		e->task_kind = ZT_TASK_UNKNOWN;
		return;
	}
	e->task = k.g;
	e->task_kind = ZT_TASK_GOROUTINE;
	c = bpf_map_lookup_elem(&go_ctx, &k);
	/* A connection older than the agent has no side here (user space
	 * finds it later): its reads may be requests, its writes requests. A
	 * goroutine that reads a response instead serves no request user space
	 * knows of, so whatever it hands on links nothing. */
	if (role != ZT_ROLE_CLIENT && dir == ZT_DIR_INGRESS) {
		struct go_task_ctx own = { .own = 1 };

		if (!c || !c->own)
			bpf_map_update_elem(&go_ctx, &k, &own, BPF_ANY);
		return;
	}
	if (!c || c->own || !c->fresh)
		return;
	c->fresh = 0;
	if (role != ZT_ROLE_SERVER && dir == ZT_DIR_EGRESS) {
		e->task = c->from_g;
		e->handoff_ns = c->handoff_ns;
	}
}

/* The context goroutine g may hand on, in *out; false when none. */
static __always_inline bool go_ctx_to_hand(__u32 tgid, __u64 g, struct go_task_ctx *out)
{
	struct go_task_key k = { .tgid = tgid, .g = g };
	struct go_task_ctx *c = bpf_map_lookup_elem(&go_ctx, &k);

	if (!c || !(c->own || c->fresh))
		return false;
	out->from_g = c->own ? g : c->from_g;
	out->handoff_ns = c->own ? bpf_ktime_get_ns() : c->handoff_ns;
	out->own = 0;
	out->fresh = 1;
	return true;
}

/* Goroutine `child` of process tgid was spawned by `parent`: it serves
 * parent's request if parent serves one itself. Whatever a reused g held
 * is gone. */
static __always_inline void go_spawned(__u32 tgid, __u64 parent, __u64 child)
{
	struct go_task_key kp = { .tgid = tgid, .g = parent }, kc = { .tgid = tgid, .g = child };
	struct go_task_ctx *cp = bpf_map_lookup_elem(&go_ctx, &kp), next = {};

	if (!cp || !cp->own || !go_ctx_to_hand(tgid, parent, &next)) {
		bpf_map_delete_elem(&go_ctx, &kc);
		return;
	}
	bpf_map_update_elem(&go_ctx, &kc, &next, BPF_ANY);
}

/* Go's register ABI: arguments in rax, rbx, rcx, rdi, rsi, ...; the
 * running g in r14. The cookie says which argument is the parent. */
SEC("uprobe")
int go_newproc1(struct pt_regs *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 arg = bpf_get_attach_cookie(ctx), g;

	switch (arg) {
	case 0:
		g = ctx->ax;
		break;
	case 1:
		g = ctx->bx;
		break;
	case 3:
		g = ctx->di;
		break;
	default:
		return 0;
	}
	bpf_map_update_elem(&go_spawner, &tid, &g, BPF_ANY);
	return 0;
}

/* On each return instruction of newproc1 (a uretprobe would rewrite the
 * return address of a stack Go may move): rax is the new goroutine. */
SEC("uprobe")
int go_newproc1_ret(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	__u64 *parent = bpf_map_lookup_elem(&go_spawner, &tid);

	if (!parent)
		return 0;
	if (ctx->ax)
		go_spawned(pid_tgid >> 32, *parent, ctx->ax);
	bpf_map_delete_elem(&go_spawner, &tid);
	return 0;
}

/* (*persistConn).roundTrip(pc, req): the running goroutine asks pc to
 * send its request. */
SEC("uprobe")
int go_http_roundtrip(struct pt_regs *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct go_obj_key ck = { .tgid = tgid, .ptr = ctx->ax };
	struct go_task_ctx next = {};

	if (go_ctx_to_hand(tgid, ctx->r14, &next))
		bpf_map_update_elem(&go_http_conn_ctx, &ck, &next, BPF_ANY);
	else
		bpf_map_delete_elem(&go_http_conn_ctx, &ck);
	return 0;
}

/* persistConnWriter{pc}.Write(p): the running goroutine is about to write
 * pc's next request to its socket: the request's context is its own for
 * that syscall. */
SEC("uprobe")
int go_http_conn_write(struct pt_regs *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct go_obj_key ck = { .tgid = tgid, .ptr = ctx->ax };
	struct go_task_key k = { .tgid = tgid, .g = ctx->r14 };
	struct go_task_ctx *c = bpf_map_lookup_elem(&go_http_conn_ctx, &ck);

	if (!c || !c->fresh) {
		bpf_map_delete_elem(&go_ctx, &k);
		return 0;
	}
	bpf_map_update_elem(&go_ctx, &k, c, BPF_ANY);
	c->fresh = 0;
	return 0;
}

#endif
