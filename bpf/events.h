/* SPDX-License-Identifier: MIT */
/*
 * The one definition of every record that crosses the ring buffer, and of the
 * map keys/values user space writes. Included by bpf/, user/ and tests/.
 * Fixed-width types only, largest fields first, explicit padding.
 */
#ifndef ZT_EVENTS_H
#define ZT_EVENTS_H

#ifdef __bpf__
/* vmlinux.h already defines the __uN types */
#else
#include <linux/types.h>
#endif

#define ZT_COMM_LEN 16
#define ZT_CAPTURE_DEFAULT 512
#define ZT_CAPTURE_MAX 4096
/* A direction run longer than this stops carrying payload (unless the next
 * write starts a message of the connection's protocol): large bodies cost a
 * small event. */
#define ZT_RUN_CAPTURE_LIMIT 65536
/* ZT_CAPTURE_WHOLE: a write is copied in records of up to ZT_CAPTURE_MAX,
 * up to this much of it. */
#define ZT_WHOLE_MAX (32 * ZT_CAPTURE_MAX)
/* ZT_CAPTURE_FRAMES: frames walked in one syscall, and records it may fill. */
#define ZT_FRAMES_MAX 1024
#define ZT_FRAME_RECORDS_MAX 8
#define ZT_TAIL_LEN 8
/* A TLS call reporting more than this moved is not believed. */
#define ZT_TLS_CALL_MAX (1ull << 31)
#define ZT_COMM_FILTER_LEN 16

enum zt_event_type {
	ZT_EV_DATA = 1,    /* bytes moved on a TCP socket, or one datagram (DNS) */
	ZT_EV_CLOSE = 2,   /* its process let go (ZT_SYS_CLOSE), or it reached TCP_CLOSE */
	ZT_EV_CONNECT = 3, /* connect() returned; bytes holds its (signed) return */
	ZT_EV_ACCEPT = 4,  /* accept()/accept4() returned a connection */
	ZT_EV_EXIT = 5,    /* a traced process exited (its last thread) */
	ZT_EV_CODE_MAPPED = 6, /* a traced process exec'd or mapped a file executable:
				* the TLS libraries it uses may have changed */
	/* --node-helper: the script in a Node process reported which incoming
	 * connection the request it is writing serves: the payload is the
	 * path it asked access() about, ZT_HELPER_PREFIX "<in fd>/<out fd>" */
	ZT_EV_HELPER_LINK = 7,
	/* --logs: a write(2) of a thread that served a request, to fd 1 or 2
	 * (not a socket) or to a file opened O_APPEND; bytes: what it wrote,
	 * the payload its first cap_len (all of it up to ZT_CAPTURE_MAX, not
	 * --capture-bytes); ZT_F_TRUNCATED: not all copied, and
	 * tail holds its last tail_len bytes (8, or none when it read none) */
	ZT_EV_LOG = 8,
};

#define ZT_HELPER_PREFIX "/dev/null/zt/"
#define ZT_HELPER_PREFIX_LEN 13
/* in place of the in fd: the out fd writes for no request now */
#define ZT_HELPER_NONE "none/"
#define ZT_HELPER_NONE_LEN 5
#define ZT_HELPER_PATH_MAX 48

enum zt_role {
	ZT_ROLE_UNKNOWN = 0, /* connection opened before the agent started */
	ZT_ROLE_CLIENT = 1,  /* this process connected */
	ZT_ROLE_SERVER = 2,  /* this process accepted */
};

enum zt_direction {
	ZT_DIR_EGRESS = 0,  /* the process sent (write, send*, sendfile) */
	ZT_DIR_INGRESS = 1, /* the process received (read, recv*) */
};

enum zt_syscall {
	ZT_SYS_READ = 1,
	ZT_SYS_WRITE,
	ZT_SYS_READV,
	ZT_SYS_WRITEV,
	ZT_SYS_RECVFROM,
	ZT_SYS_SENDTO,
	ZT_SYS_RECVMSG,
	ZT_SYS_SENDMSG,
	ZT_SYS_RECVMMSG,
	ZT_SYS_SENDMMSG,
	ZT_SYS_SENDFILE,
	ZT_SYS_SPLICE,
	ZT_SYS_CONNECT,
	ZT_SYS_ACCEPT,
	ZT_SYS_ACCEPT4,
	ZT_SYS_CLOSE,
	ZT_SYS_STATE, /* from the inet_sock_set_state tracepoint, no syscall */
	ZT_SYS_TLS_READ,  /* SSL_read/SSL_read_ex: plaintext, not a syscall */
	ZT_SYS_TLS_WRITE, /* SSL_write/SSL_write_ex */
};

/* ZT_EV_DATA flags */
#define ZT_F_TRUNCATED 0x01 /* payload holds fewer bytes than the syscall moved */
#define ZT_F_CONTINUATION 0x02 /* no payload: a continuation of a large run */
#define ZT_F_MORE 0x20      /* another record follows for this same syscall */
#define ZT_F_SEGS 0x40      /* the payload is nsegs (struct zt_seg + its bytes) */
#define ZT_F_TLS 0x80       /* plaintext a TLS library call moved on the connection */
/* --inject-traceparent: ids the kernel chose, so they match the wire */
#define ZT_F_CTX_SERVER 0x04   /* a request read: ctx_* are this SERVER span's ids */
#define ZT_F_CTX_INJECTED 0x08 /* a request written with an injected traceparent */
#define ZT_F_CTX_PARENT 0x10   /* ctx_parent_id is set */

/* Addresses are 16 bytes; AF_INET uses the first 4. local = this process's end. */
struct zt_conn_tuple {
	__u8 local_addr[16];
	__u8 remote_addr[16];
	__u16 local_port;  /* host byte order */
	__u16 remote_port; /* host byte order */
	__u16 family;      /* AF_INET or AF_INET6 */
	__u8 transport;    /* IPPROTO_TCP or IPPROTO_UDP (a DATA record of one datagram) */
	__u8 pad;
};

struct zt_event {
	__u64 ts_enter_ns; /* CLOCK_MONOTONIC; DATA: a send's start, a receive's end, a TLS call's entry; else its syscall's entry */
	__u64 ts_exit_ns;  /* CLOCK_MONOTONIC when the syscall's bytes had moved */
	__u64 conn_id;     /* unique per connection for the agent's lifetime */
	__u64 cgroup_id;
	__s64 bytes;       /* DATA: bytes moved; CONNECT: return value */
	__u32 pid;         /* tgid */
	__u32 tid;
	__s32 fd;
	__u32 cap_len;     /* payload bytes that follow this header */
	__u16 type;        /* enum zt_event_type */
	__u16 syscall;     /* enum zt_syscall */
	__u8 role;         /* enum zt_role */
	__u8 dir;          /* enum zt_direction */
	__u8 tail_len;     /* continuation events: last bytes of the buffer */
	__u8 flags;        /* ZT_F_* */
	__u8 tail[ZT_TAIL_LEN];
	char comm[ZT_COMM_LEN];
	struct zt_conn_tuple tuple;
	__u8 ctx_trace_id[16];
	__u8 ctx_span_id[8];
	__u8 ctx_parent_id[8];
	/* DATA: this record's bytes are [win_off, win_off + cap_len) of the
	 * syscall's, or to its end in the last record (the rest uncopied) */
	__u32 win_off;
	/* DATA: where the syscall's first byte stands in its direction's
	 * stream (bytes moved since the kernel met the connection, modulo
	 * 2^32), and where the other direction's stream stands: a record that
	 * does not start where the last one ended follows records the ring
	 * buffer lost */
	__u32 stream_pos;
	__u8 proto;        /* enum zt_proto the kernel found */
	__u8 nsegs;        /* ZT_F_SEGS: segment records in the payload */
	/* ZT_F_TLS: the minor byte of the session's protocol version
	 * (3: TLS 1.2, 4: TLS 1.3); 0: not known */
	__u8 tls_minor;
	__u8 task_kind;    /* DATA: enum zt_task_kind of `task` */
	__u32 peer_stream_pos;
	/* DATA: what moved the bytes, the unit causality follows (a thread, or
	 * the goroutine of a Go program), and when it took over the request
	 * context of another (0: it serves its own) */
	__u64 task;
	__u64 handoff_ns;
	/* cap_len payload bytes follow the header in the ring buffer record */
};

enum zt_task_kind {
	ZT_TASK_THREAD = 0,    /* task: the thread id */
	ZT_TASK_GOROUTINE = 1, /* task: the goroutine's runtime.g address */
	/* a Go program whose running goroutine could not be read: the thread
	 * says nothing about which request the bytes belong to */
	ZT_TASK_UNKNOWN = 2,
};

/* Map go_procs, written by user space for each traced Go process. */
struct zt_go_proc {
	__s64 tls_g_off; /* the running goroutine's g pointer is at fsbase + this */
};

/*
 * ZT_CAPTURE_FRAMES: the payload is nsegs of these, each followed by its
 * `cap` copied bytes. A segment covers [off, off + len) of the syscall's
 * bytes: the start of one frame (frames = 1, its first cap bytes copied),
 * the rest of a frame an earlier syscall began (frames = 0, at off 0), or
 * a run of `frames` whole frames of kind `cls` whose bytes only count (cap
 * 0). What no segment covers was not walked (the walk stopped: a gap).
 */
struct zt_seg {
	__u32 off;
	__u32 len;
	__u32 frames;
	__u16 cap;
	__u8 cls;
	__u8 pad;
};

_Static_assert(sizeof(struct zt_conn_tuple) == 40, "zt_conn_tuple layout");
_Static_assert(sizeof(struct zt_event) == 192, "zt_event layout");
_Static_assert(sizeof(struct zt_seg) == 16, "zt_seg layout");

/* Per-CPU drop and miss counters, read by user space (map `counters`). */
enum zt_counter {
	ZT_CNT_RINGBUF_DROPS = 0, /* bpf_ringbuf_output failed: buffer full */
	ZT_CNT_STASH_DROPS,       /* syscall args could not be stashed */
	ZT_CNT_CONN_DROPS,        /* conn_state update failed */
	ZT_CNT_READ_FAULTS,       /* payload copy from user memory failed */
	ZT_CNT_EVENTS,            /* events submitted */
	ZT_CNT_CONTINUATIONS,     /* data events that carried no payload */
	ZT_CNT_SENDFILE_BYTES,    /* bytes moved by sendfile/splice on sockets */
	ZT_CNT_SEND_UNSTAMPED,    /* TCP sends whose start went unseen: stamped at their end */
	ZT_CNT_INJECTED,          /* traceparent headers written by sk_msg */
	ZT_CNT_INJECT_SKIPPED,    /* requests left untouched: head not wholly in the message, ... */
	ZT_CNT_UNKNOWN_PROTO,     /* connections no enabled protocol's sniff matched (ended, or
				   * given up after a few message starts: not copied since) */
	ZT_CNT_FRAMES_LOST,       /* frame walks that lost the framing (until the peer speaks) */
	ZT_CNT_UNSNIFFED,         /* data syscalls not reported: their protocol not named yet */
	ZT_CNT_TLS_BYTES,         /* ciphertext bytes on TLS connections: counted, never copied */
	ZT_CNT_TLS_CONNS,         /* connections found to carry TLS */
	ZT_CNT_TLS_UNBOUND,       /* TLS calls that moved plaintext on no socket we know: dropped */
	ZT_CNT_DGRAMS_UNREPORTED, /* DNS-port datagrams not reported: past an mmsg call's first
				   * ZT_MMSG_MAX, or on an unconnected socket with no address given */
	ZT_CNT_MAX,
};

#endif /* ZT_EVENTS_H */
