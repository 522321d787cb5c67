/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --inject-traceparent: the kernel names SERVER spans when their request is
 * read (adopting an incoming traceparent), remembers them per thread, and an
 * sk_msg program writes `traceparent: 00-<trace>-<span>-01` into the next
 * plain HTTP/1.x request that thread sends. The data events carry the ids,
 * so the ids on the wire are the ids the agent exports.
 */
#ifndef ZT_CONTEXT_BPF_H
#define ZT_CONTEXT_BPF_H

#define TP_NAME_LEN 12                       /* "traceparent:" */
#define TP_VALUE_LEN 55                      /* 00-<32>-<16>-01 */
#define TP_HEADER_LEN (13 + TP_VALUE_LEN + 2) /* "traceparent: " value CRLF */
#define MSG_SCAN_MAX 1024                    /* request heads longer than this are skipped */

/* clang drops a mask it can prove redundant after a bounds check, and the
 * verifier then sees an unbounded index: hide the value from clang first. */
static __always_inline __u32 index_mask(__u32 i, __u32 mask)
{
	asm volatile("" : "+r"(i));
	return i & mask;
}

struct msg_buf {
	__u8 data[MSG_SCAN_MAX * 2];
};

/* sk_msg's own scratch: it runs inside a write, before that write's exit
 * program uses `scratch`. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct msg_buf);
} msg_scratch SEC(".maps");

static __always_inline void random_bytes(__u8 *out, int n)
{
	for (int i = 0; i < n; i += 4) {
		__u32 r = bpf_get_prandom_u32();

		__builtin_memcpy(out + i, &r, 4);
	}
	out[0] |= 1; /* an all-zero id is invalid */
}

static __always_inline int hex_value(__u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Lowercase hex only, as W3C requires. */
static __always_inline int hex_decode(__u8 *out, const __u8 *in, int n)
{
	for (int i = 0; i < n; i++) {
		int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = hi << 4 | lo;
	}
	return 0;
}

static __always_inline void hex_encode(__u8 *out, const __u8 *in, int n)
{
	for (int i = 0; i < n; i++) {
		__u8 hi = in[i] >> 4, lo = in[i] & 0xf;

		out[2 * i] = hi < 10 ? '0' + hi : 'a' + hi - 10;
		out[2 * i + 1] = lo < 10 ? '0' + lo : 'a' + lo - 10;
	}
}

static __always_inline bool name_is_traceparent(const __u8 *p)
{
	static const char name[TP_NAME_LEN] = "traceparent:";

	for (int i = 0; i < TP_NAME_LEN; i++) {
		__u8 c = p[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != name[i])
			return false;
	}
	return true;
}

struct tp_scan {
	struct event_buf *eb;
	__u32 cap;
	__u8 found;
	__u8 trace_id[16];
	__u8 span_id[8];
	__u8 sampled; /* the flags' sampled bit */
};

/* The ratio's decision for a trace that starts here or whose parent is
 * ignored: user/sampler.c's sampler_decide_root, without an rv. */
static __always_inline __u8 sample_trace(const __u8 trace_id[16])
{
	__u64 r = 0;

	for (int i = 9; i < 16; i++)
		r = r << 8 | trace_id[i];
	return r >= sample_threshold;
}

/* A valid version-00 traceparent header whose name starts at p. */
static __always_inline bool tp_parse_header(struct tp_scan *sc, const __u8 *p)
{
	__u32 sp = 0;

	if (!name_is_traceparent(p))
		return false;
	p += TP_NAME_LEN;
	if (p[0] == ' ' || p[0] == '\t')
		sp++;
	if (p[sp] == ' ' || p[sp] == '\t')
		sp++;
	p += sp;
	if (p[0] != '0' || p[1] != '0' || p[2] != '-' || p[35] != '-' || p[52] != '-')
		return false;
	if (hex_decode(sc->trace_id, p + 3, 16) || hex_decode(sc->span_id, p + 36, 8) ||
	    hex_decode(&sc->sampled, p + 53, 1))
		return false;
	sc->sampled &= 1;
	sc->found = 1;
	return true;
}

/* One position of the captured bytes: a header line starting after it. */
static long tp_scan_at(__u32 i, void *ctx)
{
	struct tp_scan *sc = ctx;
	const __u8 *p;

	if (i >= ZT_CAPTURE_MAX || i + 1 + TP_NAME_LEN + 2 + TP_VALUE_LEN > sc->cap)
		return 1;
	p = sc->eb->data + index_mask(i, ZT_CAPTURE_MAX - 1);
	if (p[0] != '\n')
		return 0;
	return tp_parse_header(sc, p + 1) ? 1 : 0;
}

/* A request read on a SERVER connection: name its span, adopting the trace
 * of a traceparent it carries, and make it the thread's current context. */
static __always_inline void server_request_begin(struct event_buf *eb, __u32 cap, __u32 tid)
{
	struct tp_scan sc = { .eb = eb, .cap = cap };
	struct thread_ctx *tc, fresh = {};

	bpf_loop(cap, tp_scan_at, &sc, 0);
	random_bytes(eb->ev.ctx_span_id, 8);
	if (sc.found) {
		__builtin_memcpy(eb->ev.ctx_trace_id, sc.trace_id, 16);
		__builtin_memcpy(eb->ev.ctx_parent_id, sc.span_id, 8);
		eb->ev.flags |= ZT_F_CTX_PARENT;
	} else {
		random_bytes(eb->ev.ctx_trace_id, 16);
	}
	eb->ev.flags |= ZT_F_CTX_SERVER;

	tc = bpf_map_lookup_elem(&thread_ctx, &tid);
	if (!tc) {
		bpf_map_update_elem(&thread_ctx, &tid, &fresh, BPF_ANY);
		tc = bpf_map_lookup_elem(&thread_ctx, &tid);
		if (!tc)
			return;
	}
	__builtin_memcpy(tc->trace_id, eb->ev.ctx_trace_id, 16);
	__builtin_memcpy(tc->span_id, eb->ev.ctx_span_id, 8);
	tc->adopted = sc.found;
	tc->sampled = sc.found && sample_follow_parent ? sc.sampled : sample_trace(tc->trace_id);
	tc->inflight++;
}

/* A request head can arrive in several reads (an injected header may even
 * travel in its own segment): a traceparent in a later read of the same
 * request still names its trace. The span id stays the one already chosen. */
static __always_inline void server_request_more(struct event_buf *eb, __u32 cap, __u32 tid)
{
	struct tp_scan sc = { .eb = eb, .cap = cap };
	struct thread_ctx *tc = bpf_map_lookup_elem(&thread_ctx, &tid);

	if (!tc || !tc->inflight || tc->adopted)
		return;
	if (cap < TP_NAME_LEN + 2 + TP_VALUE_LEN || !tp_parse_header(&sc, eb->data))
		bpf_loop(cap, tp_scan_at, &sc, 0);
	if (!sc.found)
		return;
	__builtin_memcpy(tc->trace_id, sc.trace_id, 16);
	tc->adopted = 1;
	tc->sampled = sample_follow_parent ? sc.sampled : sample_trace(tc->trace_id);
	__builtin_memcpy(eb->ev.ctx_trace_id, sc.trace_id, 16);
	__builtin_memcpy(eb->ev.ctx_span_id, tc->span_id, 8);
	__builtin_memcpy(eb->ev.ctx_parent_id, sc.span_id, 8);
	eb->ev.flags |= ZT_F_CTX_SERVER | ZT_F_CTX_PARENT;
}

static __always_inline void server_response_begin(__u32 tid)
{
	struct thread_ctx *tc = bpf_map_lookup_elem(&thread_ctx, &tid);

	if (tc && tc->inflight)
		tc->inflight--;
}

/* Called for every data event with payload when injection is on. */
static __always_inline void context_on_data(struct event_buf *eb, struct conn_state *st, __u8 dir,
					    bool new_run, __u32 cap, __u32 tid)
{
	if (st->role == ZT_ROLE_SERVER && new_run && cap >= 4) {
		if (dir == ZT_DIR_INGRESS && http1_message_start(eb->data))
			server_request_begin(eb, cap, tid);
		else if (dir == ZT_DIR_EGRESS)
			server_response_begin(tid);
	} else if (st->role == ZT_ROLE_SERVER && dir == ZT_DIR_INGRESS && cap >= TP_NAME_LEN) {
		server_request_more(eb, cap, tid);
	}
	if (st->role == ZT_ROLE_CLIENT && dir == ZT_DIR_EGRESS && st->inj_flags) {
		__builtin_memcpy(eb->ev.ctx_trace_id, st->inj_trace_id, 16);
		__builtin_memcpy(eb->ev.ctx_span_id, st->inj_span_id, 8);
		__builtin_memcpy(eb->ev.ctx_parent_id, st->inj_parent_id, 8);
		eb->ev.flags |= st->inj_flags;
		st->inj_flags = 0;
	}
}

struct head_scan {
	struct msg_buf *mb;
	__u32 len;
	__s32 line_end;  /* offset after the request line's CRLF */
	__s32 head_end;  /* offset after the blank line */
	__u8 has_traceparent;
	__u8 bare_lf;
};

static long head_scan_at(__u32 i, void *ctx)
{
	struct head_scan *hs = ctx;
	const __u8 *p;

	if (i >= MSG_SCAN_MAX || i + 1 >= hs->len)
		return 1;
	p = hs->mb->data + index_mask(i, MSG_SCAN_MAX - 1);
	if (p[0] != '\n')
		return 0;
	if (i == 0 || hs->mb->data[index_mask(i - 1, MSG_SCAN_MAX - 1)] != '\r') {
		hs->bare_lf = 1;
		return 1;
	}
	if (hs->line_end < 0)
		hs->line_end = i + 1;
	if (p[1] == '\r' && i + 2 < hs->len && p[2] == '\n') {
		hs->head_end = i + 3;
		return 1;
	}
	if (i + 1 + TP_NAME_LEN <= hs->len && name_is_traceparent(p + 1))
		hs->has_traceparent = 1;
	return 0;
}

/* The request line ends in "HTTP/1.x" (when its end was found). */
static __always_inline bool line_is_http1(const struct head_scan *hs)
{
	const char v[7] = { 'H', 'T', 'T', 'P', '/', '1', '.' };
	__s32 at = hs->line_end - 10;

	if (hs->line_end < 0)
		return true;
	if (at < 0)
		return false;
	for (__u32 k = 0; k < 7; k++)
		if (hs->mb->data[index_mask(at + k, MSG_SCAN_MAX - 1)] != (__u8)v[k])
			return false;
	return true;
}

static __always_inline bool is_method_char(__u8 c)
{
	return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

/* The request line starts with a method token and a space. */
static __always_inline bool starts_request(const __u8 *d, __u32 len)
{
	for (__u32 i = 0; i < 16 && i < len; i++) {
		if (d[i] == ' ')
			return i > 0;
		if (!is_method_char(d[i]))
			return false;
	}
	return false;
}

SEC("sockops")
int track_client_sockets(struct bpf_sock_ops *skops)
{
	__u64 key;

	if (skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB ||
	    (skops->family != AF_INET && skops->family != AF_INET6))
		return 1;
	key = bpf_get_socket_cookie(skops);
	bpf_sock_hash_update(skops, &client_socks, &key, BPF_NOEXIST);
	return 1;
}

static __always_inline int inject_skip(void)
{
	counter_add(ZT_CNT_INJECT_SKIPPED, 1);
	return SK_PASS;
}

/* Never corrupts a stream: anything uncertain writes nothing. */
SEC("sk_msg")
int inject_traceparent(struct sk_msg_md *msg)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 zero = 0, tid = (__u32)pid_tgid, tgid = pid_tgid >> 32;
	struct head_scan hs = { .line_end = -1, .head_end = -1 };
	__u8 hdr[TP_HEADER_LEN];
	struct thread_ctx *tc;
	struct conn_state *st;
	struct bpf_sock *bsk = msg->sk;
	__u32 len = msg->size, pos;
	void *data, *end;
	__u8 sampled;
	__u64 sk;

	/* only a traced task's sends */
	if (!bsk || !task_is_traced(tgid))
		return SK_PASS;
	sk = (__u64)bsk;
	st = bpf_map_lookup_elem(&conn_state, &sk);
	/* a request starts a new egress run on a client connection */
	if (!st || st->role != ZT_ROLE_CLIENT || st->ignored || st->tls ||
	    st->last_dir == ZT_DIR_EGRESS)
		return SK_PASS;
	if (len > MSG_SCAN_MAX)
		len = MSG_SCAN_MAX;
	if (len < 16 || bpf_msg_pull_data(msg, 0, len, 0))
		return SK_PASS;
	data = msg->data;
	end = msg->data_end;
	if (data + 16 > end || !starts_request(data, 16))
		return SK_PASS; /* not a request: nothing to do, nothing to count */
	hs.mb = bpf_map_lookup_elem(&msg_scratch, &zero);
	if (!hs.mb)
		return inject_skip();
	len = end - data;
	if (len > MSG_SCAN_MAX)
		len = MSG_SCAN_MAX;
	hs.len = len;
	if (bpf_probe_read_kernel(hs.mb->data, index_mask(len, 2 * MSG_SCAN_MAX - 1), data))
		return inject_skip();
	bpf_loop(len, head_scan_at, &hs, 0);
	/* HTTP/2's preface ("PRI * HTTP/2.0", a blank line) is no request */
	if (!line_is_http1(&hs))
		return SK_PASS;
	if (hs.bare_lf || hs.line_end < 0 || hs.head_end < 0 || hs.has_traceparent)
		return inject_skip();
	/* in a Go program the thread's request may be another goroutine's:
	 * user space links the call by goroutine instead */
	if (go_procs_used && bpf_map_lookup_elem(&go_procs, &tgid))
		return inject_skip();

	/* ids: the thread's single request in flight is the parent, and its
	 * trace's sampling decision is the flag */
	__builtin_memset(st->inj_parent_id, 0, 8);
	st->inj_flags = ZT_F_CTX_INJECTED;
	tc = bpf_map_lookup_elem(&thread_ctx, &tid);
	if (tc && tc->inflight == 1) {
		__builtin_memcpy(st->inj_trace_id, tc->trace_id, 16);
		__builtin_memcpy(st->inj_parent_id, tc->span_id, 8);
		st->inj_flags |= ZT_F_CTX_PARENT;
		sampled = tc->sampled;
	} else {
		random_bytes(st->inj_trace_id, 16);
		sampled = sample_trace(st->inj_trace_id);
	}
	random_bytes(st->inj_span_id, 8);

	__builtin_memcpy(hdr, "traceparent: 00-", 16);
	hex_encode(hdr + 16, st->inj_trace_id, 16);
	hdr[48] = '-';
	hex_encode(hdr + 49, st->inj_span_id, 8);
	__builtin_memcpy(hdr + 65, sampled ? "-01\r\n" : "-00\r\n", 5);

	pos = hs.line_end;
	if (bpf_msg_push_data(msg, pos, TP_HEADER_LEN, 0)) {
		st->inj_flags = 0;
		return inject_skip();
	}
	/* pulling the whole head makes it one buffer again: left as three
	 * pieces, TCP would send them as separate segments and Nagle would
	 * hold the second one for an ACK (40 ms a request) */
	if (bpf_msg_pull_data(msg, 0, hs.len + TP_HEADER_LEN, 0))
		goto undo;
	data = msg->data;
	end = msg->data_end;
	pos = index_mask(pos, MSG_SCAN_MAX - 1);
	if (data + pos + TP_HEADER_LEN > end)
		goto undo;
	__builtin_memcpy(data + pos, hdr, TP_HEADER_LEN);
	counter_add(ZT_CNT_INJECTED, 1);
	return SK_PASS;
undo:
	/* the pushed bytes must not reach the wire unwritten */
	if (bpf_msg_pop_data(msg, pos, TP_HEADER_LEN, 0))
		return SK_DROP;
	st->inj_flags = 0;
	return inject_skip();
}

#endif /* ZT_CONTEXT_BPF_H */
