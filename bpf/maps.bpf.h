/* SPDX-License-Identifier: MIT */
/* Every map of zerotrace.bpf.c, with who writes and who reads it (but the
 * two program arrays, which sit beside their programs in io_exit.bpf.h). */
#ifndef ZT_MAPS_BPF_H
#define ZT_MAPS_BPF_H

#include "events.h"
#include "wire.h"

#define ZT_MAX_THREADS 16384
#define ZT_MAX_CONNS 65536
#define ZT_MAX_FILTERS 64

/* A socket syscall's arguments (bpf/io_args.bpf.h). */
struct syscall_args {
	__u64 ts_enter_ns; /* a send's start; a receive's end */
	__u64 ts_exit_ns;  /* when its bytes had moved */
	__u64 buf;         /* user buffer, iovec array, msghdr or mmsghdr */
	__u64 addr;        /* sendto's destination, recvfrom's source (a sockaddr) */
	__u64 sk;          /* struct sock *, set by sock_{send,recv}_length */
	__s64 sock_bytes;  /* bytes summed from sock_{send,recv}_length */
	__s64 ret;         /* the syscall's return, where its sys_exit ran */
	__s32 fd;
	__u32 vlen;        /* iovec count for readv/writev */
	__u16 syscall;     /* enum zt_syscall */
	__u8 dir;          /* enum zt_direction, from the sock tracepoint */
	__u8 in_tls;       /* the thread is inside a TLS library call: these are its ciphertext */
	__u8 tls_minor;    /* a TLS call's bytes: zt_event.tls_minor */
	__u8 dgram;        /* a datagram socket's (bpf/datagram.bpf.h) */
	__u8 pad[2];
};

/* ZT_CAPTURE_FRAMES: where one direction's frame walk stands between
 * syscalls. */
struct frame_dir {
	__u64 left;        /* bytes of the open frame that later syscalls carry */
	__u32 copy_left;   /* of those, how many to copy still */
	__u8 hdr[ZT_FRAME_PEEK]; /* the first bytes of a frame header a syscall cut */
	__u8 hdr_len;
	__u8 lost;         /* the walk lost the framing: copy nothing until the peer speaks */
	__u8 pad[2];
};

/* Per-connection state, keyed by struct sock *. */
struct conn_state {
	__u64 conn_id;
	__u64 run_bytes;   /* bytes moved in last_dir since the direction changed */
	__u64 fd_key;      /* (tgid << 32 | fd) that last moved its bytes; 0 once let go */
	__u64 sock_ino;    /* a datagram socket's inode: a new one at the same sock is another socket */
	struct zt_conn_tuple tuple;
	__u8 role;
	__u8 last_dir;     /* 0xff before the first data */
	__u8 tuple_ok;
	__u8 announced;    /* a data event went out: its end must be reported */
	__u8 ignored;      /* filtered out by --port */
	__u8 inj_flags;    /* ZT_F_CTX_* of a traceparent sk_msg just wrote */
	__u8 closed;       /* reached TCP_CLOSE while its process still held it */
	__u8 proto;        /* enum zt_proto from the sniff; ZT_PROTO_OPAQUE: none */
	__u8 sniffs;       /* message starts sniffed without a match */
	__u8 pstate;       /* the protocol's framing state (its frame_len's) */
	__u8 tls;          /* the socket carries TLS: the stream below is the plaintext */
	__u8 mid_seen;     /* the last message start matched only as one inside a connection */
	__u8 pad2[4];
	__u32 stream_pos[2]; /* bytes moved, by enum zt_direction (zt_event.stream_pos) */
	struct frame_dir fr[2]; /* by enum zt_direction */
	__u8 inj_trace_id[16];
	__u8 inj_span_id[8];
	__u8 inj_parent_id[8];
};

struct connect_args {
	__u64 ts_enter_ns;
	__u64 sk;
	__s32 fd;
	__u32 pad;
};

/* The socket syscall being captured on this CPU: written by its sock
 * tracepoint (or its sys_exit), read by the capture programs it tail-calls
 * (a BPF program runs to its end on one CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syscall_args);
} io_args SEC(".maps");

/* A syscall whose bytes are reported at its sys_exit, by tid: written by
 * its sock tracepoints (bpf/io_exit.bpf.h: io_args_wait says which). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct syscall_args);
} active_io SEC(".maps");

/* Written by connect enter/inet_sock_set_state, read by sys_exit_connect. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct connect_args);
} active_connect SEC(".maps");

/* Written on state changes and data; LRU so a missed close cannot fill it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ZT_MAX_CONNS);
	__type(key, __u64);
	__type(value, struct conn_state);
} conn_state SEC(".maps");

/* The SERVER span a thread is serving, as the kernel named it (only with
 * --inject-traceparent): the context its outgoing calls carry. */
struct thread_ctx {
	__u8 trace_id[16];
	__u8 span_id[8];
	__u32 inflight; /* requests read and not yet answered on this thread */
	__u8 adopted;   /* the newest request's trace came from its traceparent */
	__u8 sampled;   /* its trace's head sampling decision (sample_trace) */
	__u8 pad[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ZT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct thread_ctx);
} thread_ctx SEC(".maps");

/* Client sockets sk_msg may write into: added by sock_ops on connect. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, ZT_MAX_CONNS);
	__type(key, __u64);
	__type(value, __u32);
} client_socks SEC(".maps");

/* --cgroup: the one cgroup whose tasks (and descendants) are traced. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/* Filters written by user space before attach (when enabled in rodata). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZT_MAX_FILTERS);
	__type(key, __u32);
	__type(value, __u8);
} pid_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZT_MAX_FILTERS);
	__type(key, __u16);
	__type(value, __u8);
} port_filter SEC(".maps");

/* A TLS library call in flight on a thread (SSL_read/SSL_write and their
 * _ex forms), from its entry uprobe to its return; or on a goroutine
 * (go_tls_calls). */
struct tls_call {
	__u64 ssl;
	__u64 buf;
	__u64 len_ptr;     /* _ex: where the call stores the bytes it moved */
	__u64 ts_enter_ns;
	__u64 sk;          /* the socket a syscall inside the call moved bytes on */
	__s32 fd;
	__u8 dir;          /* enum zt_direction */
	__u8 handshake;    /* SSL_do_handshake: no plaintext */
	__u8 tls_minor;    /* zt_event.tls_minor */
	__u8 go;           /* Go's crypto/tls: its connection is never a memory BIO's */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct tls_call);
} tls_calls SEC(".maps");

/* Which socket an SSL object speaks on, learned from the first call that
 * made a syscall: later calls served from OpenSSL's buffers make none. */
struct tls_ssl_key {
	__u64 ssl;
	__u32 tgid;
	__u32 pad;
};

struct tls_ssl_val {
	__u64 sk;
	__s32 fd;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ZT_MAX_CONNS);
	__type(key, struct tls_ssl_key);
	__type(value, struct tls_ssl_val);
} tls_ssl SEC(".maps");

static __always_inline void tls_ssl_bind(__u64 ssl, __u32 tgid, __u64 sk, __s32 fd)
{
	struct tls_ssl_key key = { .ssl = ssl, .tgid = tgid };
	struct tls_ssl_val val = { .sk = sk, .fd = fd };

	bpf_map_update_elem(&tls_ssl, &key, &val, BPF_ANY);
}

/* The last ciphertext a thread read outside any TLS call, until it uses
 * another socket: a program whose OpenSSL reads from memory (Node) hands
 * it to SSL_read next, on that thread, and that names the SSL's socket. */
struct tls_read_seen {
	__u64 sk;
	__s32 fd;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ZT_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct tls_read_seen);
} tls_last_read SEC(".maps");

/* One event under construction per CPU: payload can exceed the BPF stack. */
struct event_buf {
	struct zt_event ev;
	/* doubled (and a segment more) so masked offsets stay in bounds */
	__u8 data[ZT_CAPTURE_MAX * 2 + 64];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_buf);
} scratch SEC(".maps");

/* Drop and miss counters (enum zt_counter), summed by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Bytes this CPU put in the ring buffer since it last woke the consumer
 * (event_submit). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} unwoken_bytes SEC(".maps");

/*
 * A ring buffer per CPU, indexed by CPU number (event_submit): a shared
 * ring's lock, positions and record boundaries are cache lines that every
 * CPU writes, and fetching them from the CPU that wrote last cost each
 * socket record ~260 ns more when two CPUs produce (nginx and wrk on two
 * CPUs: sock_*_length 870 -> 610 ns a run with a ring each).
 * User space creates the rings (--ringbuf-size split between the online
 * CPUs; one that comes online later shares one) and merges them by time.
 */
struct events_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* the possible CPUs, set before load */
	__type(key, __u32);
	__array(values, struct events_ring);
} events SEC(".maps");

#endif /* ZT_MAPS_BPF_H */
