/* SPDX-License-Identifier: MIT */
/*
 * Destroys BPF links on worker threads. Taking a uprobe or a perf-event
 * tracepoint off waits for an RCU grace period (70 to 100 ms on these
 * VMs): a TLS library's dozen probes would stall the event loop for over
 * a second when its last process exits. Off the loop, and with several
 * threads the kernel overlaps some of the waits: the agent's stop went
 * from 5.9 s to 3.0-5.0 s with one TLS library and 37 tracepoints (the
 * kernel serializes most of them).
 */
#ifndef ZT_LINK_REAPER_H
#define ZT_LINK_REAPER_H

struct bpf_link;
struct link_reaper;

/* NULL when the threads cannot be started: then link_reaper_put destroys
 * in place. */
struct link_reaper *link_reaper_start(void);
/* Hands the link over; with no reaper (or its queue full) destroys it now. */
void link_reaper_put(struct link_reaper *r, struct bpf_link *link);
/* Returns once every link handed over is destroyed. */
void link_reaper_stop(struct link_reaper *r);

#endif /* ZT_LINK_REAPER_H */
