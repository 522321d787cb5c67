// SPDX-License-Identifier: MIT
/*
 * Fuzzes user/helper_links.c with one table for the whole run, the way the
 * tracer keeps it: the first 4 bytes are the pid, the rest the path of a
 * ZT_EV_HELPER_LINK record.
 *
 * Checks: never a crash or a sanitizer report; a report is accepted exactly
 * when the path is ZT_HELPER_PREFIX, digits, '/', digits, both fds at most
 * INT32_MAX and different, and the pid is not 0, or ZT_HELPER_PREFIX "none/"
 * digits; an accepted report, after its in fd becomes a server fd, names
 * that connection from the out fd, and a "none" one makes the out fd say
 * HELPER_LINKS_NO_REQUEST (until a new connection takes its number); the
 * counters move by one, on the right side, each time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "helper_links.h"
#include "fuzz_check.h"

/* An fd as the path spells it: digits only, up to INT32_MAX; -1 otherwise. */
static int64_t hl_digits(const uint8_t *p, size_t n)
{
	int64_t v = 0;

	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
		if (v > INT32_MAX)
			return -1;
	}
	return v;
}

/* The reference reading of a path: 1 and both fds (in -1: "none"), or 0. */
static int hl_model(uint32_t pid, const uint8_t *path, size_t n, int64_t *in, int64_t *out)
{
	const uint8_t *rest = path + ZT_HELPER_PREFIX_LEN, *slash;
	size_t left;

	if (!pid || n <= ZT_HELPER_PREFIX_LEN || memcmp(path, ZT_HELPER_PREFIX, ZT_HELPER_PREFIX_LEN))
		return 0;
	left = n - ZT_HELPER_PREFIX_LEN;
	if (left > 5 && memcmp(rest, "none/", 5) == 0) {
		*in = -1;
		*out = hl_digits(rest + 5, left - 5);
		return *out >= 0;
	}
	slash = memchr(rest, '/', left);
	if (!slash)
		return 0;
	*in = hl_digits(rest, (size_t)(slash - rest));
	*out = hl_digits(slash + 1, left - (size_t)(slash - rest) - 1);
	return *in >= 0 && *out >= 0 && *in != *out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* one table for the run: collisions and stale entries pile up */
	static struct helper_links *h;
	static uint64_t next_conn = 1;
	struct helper_links_stats before, after;
	int64_t in = -1, out = -1;
	uint32_t pid;
	int rc, ok;

	if (!h)
		h = helper_links_new();
	CHECK(h);
	if (size < 4)
		return 0;
	memcpy(&pid, data, 4);

	helper_links_get_stats(h, &before);
	rc = helper_links_report(h, pid, data + 4, size - 4);
	helper_links_get_stats(h, &after);
	ok = hl_model(pid, data + 4, size - 4, &in, &out);
	CHECK(rc == 0 || rc == -1);
	CHECK(ok == (rc == 0));
	CHECK(after.evicted - before.evicted <= 1);
	if (rc == -1) {
		CHECK(after.malformed == before.malformed + 1);
		CHECK(after.reports == before.reports);
		CHECK(after.evicted == before.evicted);
		return 0;
	}
	CHECK(after.reports == before.reports + 1);
	CHECK(after.malformed == before.malformed);
	if (in < 0) { /* "none": the out fd writes for no request */
		CHECK(helper_links_server_of(h, pid, (int32_t)out) == HELPER_LINKS_NO_REQUEST);
		helper_links_conn_opened(h, pid, (int32_t)out);
		CHECK(helper_links_server_of(h, pid, (int32_t)out) == 0);
		return 0;
	}
	/* the path really is prefix digits '/' digits */
	CHECK(memcmp(data + 4, ZT_HELPER_PREFIX, ZT_HELPER_PREFIX_LEN) == 0);
	for (size_t i = 4 + ZT_HELPER_PREFIX_LEN, slashes = 0; i < size; i++) {
		CHECK((data[i] >= '0' && data[i] <= '9') || data[i] == '/');
		slashes += data[i] == '/';
		CHECK(slashes <= 1);
	}

	/* the in fd becomes a server connection: the out fd names it */
	helper_links_server_fd(h, pid, (int32_t)in, next_conn);
	CHECK(helper_links_server_of(h, pid, (int32_t)out) == next_conn);
	/* a new connection on the same number is what the out fd names next */
	helper_links_server_fd(h, pid, (int32_t)in, next_conn + 1);
	CHECK(helper_links_server_of(h, pid, (int32_t)out) == next_conn + 1);
	next_conn += 2;
	/* a new socket on the out fd's number (every other input) is named
	 * by no report until one comes */
	if (data[size - 1] & 1) {
		helper_links_conn_opened(h, pid, (int32_t)out);
		CHECK(helper_links_server_of(h, pid, (int32_t)out) == 0);
	}
	/* server fds are not reports */
	helper_links_get_stats(h, &before);
	CHECK(before.reports == after.reports && before.malformed == after.malformed);
	return 0;
}
