/* SPDX-License-Identifier: MIT */
/*
 * Tests only: the kernel's stream positions (zt_event.stream_pos and
 * peer_stream_pos) for hand-built DATA records, so that each syscall starts
 * where the last one of its connection and direction ended. A record that
 * already carries a position (a test of lost records) keeps it.
 */
#ifndef ZT_TEST_STREAM_H
#define ZT_TEST_STREAM_H

#include <stdint.h>
#include <criterion/criterion.h>

#include "events.h"

#define TEST_STREAM_CONNS 64

static struct {
	uint64_t conn_id;
	uint32_t pos[2];
} test_streams[TEST_STREAM_CONNS];

static inline void test_stream_stamp(struct zt_event *e)
{
	uint32_t i;

	if (e->type != ZT_EV_DATA)
		return;
	for (i = 0; i < TEST_STREAM_CONNS && test_streams[i].conn_id; i++)
		if (test_streams[i].conn_id == e->conn_id)
			break;
	cr_assert_lt(i, TEST_STREAM_CONNS, "more connections than test_stream.h follows");
	test_streams[i].conn_id = e->conn_id;
	if (!e->stream_pos)
		e->stream_pos = test_streams[i].pos[e->dir & 1];
	e->peer_stream_pos = test_streams[i].pos[!(e->dir & 1)];
	/* the syscall's last record: the next syscall starts after its bytes */
	if (!(e->flags & ZT_F_MORE))
		test_streams[i].pos[e->dir & 1] = e->stream_pos + (uint32_t)e->bytes;
}

#endif /* ZT_TEST_STREAM_H */
