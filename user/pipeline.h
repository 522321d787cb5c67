/* SPDX-License-Identifier: MIT */
/*
 * Ring buffer -> reorder window -> tracer: the path every record takes, in
 * the agent and in `zerotrace replay` alike. With a recorder, what enters
 * it (records, the clock's turns, listening ports) is written down in the
 * order it happens, so that a replay makes the same calls.
 */
#ifndef ZT_PIPELINE_H
#define ZT_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "node_helper.h"
#include "recording.h"
#include "reorder.h"
#include "tracer.h"
#include "uprobe_attach.h"

struct pipeline {
	struct reorder *window;
	struct tracer *tracer;
	struct uprobe_attach *tls; /* NULL in a replay */
	struct node_helper *node;  /* --node-helper; NULL without */
	struct recorder *rec;      /* zerotrace record; NULL without */
	uint64_t window_ns;
	uint64_t forced;           /* released early because the window was full */
};

/* A ring-buffer record (the ring_reader callback); returns 0. */
int pipeline_push(void *ctx, void *data, size_t size);
/* Hands the tracer every record older than bound, oldest first. */
void pipeline_release(struct pipeline *p, uint64_t bound);
/* The event loop's turn at now: releases what the window has held long
 * enough, and with tick runs the tracer's timers (mono_to_unix_ns: the
 * clock offset spans take from then on). */
void pipeline_turn(struct pipeline *p, uint64_t now, int tick, int64_t mono_to_unix_ns);
/* The ports this node listens on, read at start: roles of older connections. */
void pipeline_listen_ports(struct pipeline *p, const uint16_t *ports, size_t n);

#endif /* ZT_PIPELINE_H */
