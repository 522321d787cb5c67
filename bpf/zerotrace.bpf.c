// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Socket data capture on stable tracepoints only (no kprobes, no fentry):
 * sock_{send,recv}_length fire inside socket I/O alone, give the sock, and
 * find the syscall's arguments in the task's saved registers; they copy
 * what the connection's protocol needs into the ring buffer (a few
 * syscalls wait for their sys_exit), and the lifecycle tracepoints report
 * connects, accepts and closes. A file's read or write runs nothing, but
 * with --logs a write(2) to stdout, stderr or an appended file (logs.bpf.h).
 * Uprobes on the TLS library add the plaintext of encrypted connections;
 * uprobes on the Go runtime follow requests from goroutine to goroutine.
 *
 * One object, so one skeleton and one copy of every map; each stage is a
 * header of its own, included in the order it depends on.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "maps.bpf.h"
#include "protocols.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define EINPROGRESS 115
#define MSG_PEEK 2
#define PROT_EXEC 4

/* Inputs, set by user space through rodata before load. */
const volatile __u32 capture_bytes = ZT_CAPTURE_DEFAULT;
/* Wake the reader only once a CPU queued this much (event_wakeup_flags);
 * it also polls on a short timer. A wakeup per record would cost more than
 * the record itself. */
const volatile __u64 wakeup_bytes = 1 << 20;
const volatile __u32 self_tgid = 0;
const volatile __u8 filter_pids = 0;
const volatile __u8 filter_ports = 0;
const volatile __u8 filter_comm = 0;
const volatile __u8 filter_cgroup = 0;
const volatile __u8 inject_enabled = 0;
/* --logs: serving threads are marked for bpf/logs.bpf.h */
const volatile __u8 logs_enabled = 0;
/* Head sampling (user/sampler.h), for the flag an injected traceparent
 * carries: a trace is sampled when the low 56 bits of its id are at least
 * this threshold (0: every trace), or, with sample_follow_parent, as its
 * own traceparent said. Not read-only: load feedback puts sampling in
 * force while running (loader_set_sampling). */
volatile __u64 sample_threshold = 0;
volatile __u8 sample_follow_parent = 0;
/* --protocols: the sniff looks only for these (a bit per enum zt_proto) */
const volatile __u32 protocols_enabled = ZT_PROTO_ALL;
const volatile char comm_filter[ZT_COMM_FILTER_LEN] = {};

#include "event.bpf.h"
#include "filter.bpf.h"
#include "conn.bpf.h"
#include "payload.bpf.h"
#include "sniff.bpf.h"
#include "goroutine.bpf.h"
#include "io_args.bpf.h"
#include "logs.bpf.h"
#include "context.bpf.h"
#include "datagram.bpf.h"
#include "io_exit.bpf.h"
#include "tls.bpf.h"
#include "go_tls.bpf.h"
#include "lifecycle.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
