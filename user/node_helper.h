/* SPDX-License-Identifier: MIT */
/*
 * --node-helper: puts a small script into each traced Node.js process
 * through its inspector, so its calls can be linked to the request they
 * serve across timers, promises and callbacks, which no probe of the
 * kernel's or of native code sees. The script keeps the incoming
 * connection's fd in an AsyncLocalStorage and, when a socket is written
 * under a request that socket did not last write for, asks access() about
 * "/dev/null/zt/<in fd>/<out fd>" (which fails: ENOTDIR); a tracepoint on
 * access turns that into a ZT_EV_HELPER_LINK record.
 *
 * Per process, in a thread of its own, in the process's network namespace:
 * SIGUSR1 (only when Node's own handler is installed: otherwise the signal
 * would kill it), the inspector's /json/list, a WebSocket session, one
 * Runtime.evaluate of process.pid (the inspector must be this process's)
 * and one of the script, which then closes the inspector; the port is
 * checked closed again.
 */
#ifndef ZT_NODE_HELPER_H
#define ZT_NODE_HELPER_H

#include <stdint.h>

#include "config.h"

struct node_helper_stats {
	uint64_t injected;     /* processes running the script */
	uint64_t skipped;      /* Node processes left alone: no inspector handler, port taken, ... */
	uint64_t failed;       /* injections that went wrong (said on stderr) */
	uint64_t left_open;    /* inspectors still listening after the script closed them */
	uint64_t queue_full;   /* processes not considered: the queue was full */
};

struct node_helper;

/* NULL when out of memory or the thread cannot start (said on stderr). */
struct node_helper *node_helper_start(const struct zt_config *cfg);
/* Every Node process running now. */
void node_helper_scan_all(struct node_helper *nh);
/* A process exec'd or mapped code: looked at a little later, once Node
 * has set its inspector up. */
void node_helper_consider(struct node_helper *nh, uint32_t pid, uint64_t now_ns);
void node_helper_get_stats(struct node_helper *nh, struct node_helper_stats *out);
void node_helper_stop(struct node_helper *nh);

#endif /* ZT_NODE_HELPER_H */
