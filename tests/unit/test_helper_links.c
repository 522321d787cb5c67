// SPDX-License-Identifier: MIT
/*
 * user/helper_links.c: a report links (pid, out fd) to the connection that
 * (pid, in fd) serves, for that pid only, and the latest report or server
 * fd wins; every malformed path is refused, counted and leaves both tables
 * as they were; the fd bounds and leading zeros; what a slot collision
 * evicts and counts.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "helper_links.h"

#define HL_PID 7
#define HL_CONN_A 0x1111000000000001ull
#define HL_CONN_B 0x2222000000000002ull

static struct helper_links *hl;

static void hl_setup(void)
{
	hl = helper_links_new();
	cr_assert_not_null(hl);
}

static void hl_teardown(void)
{
	helper_links_free(hl);
	hl = NULL;
}

TestSuite(helper_links, .init = hl_setup, .fini = hl_teardown);

/* A C string as the record carries it: no terminating NUL. */
static int hl_report(uint32_t pid, const char *path)
{
	return helper_links_report(hl, pid, (const uint8_t *)path, strlen(path));
}

static struct helper_links_stats hl_stats(void)
{
	struct helper_links_stats s;

	helper_links_get_stats(hl, &s);
	return s;
}

/* Mirrors slot_of() in user/helper_links.c: keep the two in step. */
static uint32_t hl_slot(uint32_t pid, int32_t fd)
{
	uint64_t h = ((uint64_t)pid << 32 | (uint32_t)fd) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 52) % HELPER_LINKS_SLOTS;
}

Test(helper_links, prefix_is_thirteen_bytes)
{
	cr_assert_eq(strlen(ZT_HELPER_PREFIX), ZT_HELPER_PREFIX_LEN);
	cr_assert_str_eq(ZT_HELPER_PREFIX, "/dev/null/zt/");
}

Test(helper_links, report_names_the_server_connection)
{
	struct helper_links_stats s;

	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/12/34"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), 0, "no server fd 12 yet");
	helper_links_server_fd(hl, HL_PID, 12, HL_CONN_A);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A);
	/* links are keyed by the out fd only */
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 12), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 35), 0);
	s = hl_stats();
	cr_expect_eq(s.reports, 1);
	cr_expect_eq(s.malformed, 0);
	cr_expect_eq(s.evicted, 0);
}

Test(helper_links, server_fd_before_report)
{
	helper_links_server_fd(hl, HL_PID, 12, HL_CONN_A);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), 0, "no report yet");
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/12/34"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A);
}

Test(helper_links, another_pid_gets_nothing)
{
	helper_links_server_fd(hl, HL_PID, 12, HL_CONN_A);
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/12/34"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID + 1, 34), 0);
	/* the other pid's own fd 12 is another connection */
	helper_links_server_fd(hl, HL_PID + 1, 12, HL_CONN_B);
	cr_expect_eq(helper_links_server_of(hl, HL_PID + 1, 34), 0, "no report for pid 8");
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A);
	cr_assert_eq(hl_report(HL_PID + 1, "/dev/null/zt/12/34"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID + 1, 34), HL_CONN_B);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A);
}

Test(helper_links, later_report_replaces_in_fd)
{
	helper_links_server_fd(hl, HL_PID, 12, HL_CONN_A);
	helper_links_server_fd(hl, HL_PID, 13, HL_CONN_B);
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/12/34"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A);
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/13/34"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_B);
	cr_expect_eq(hl_stats().reports, 2);
	cr_expect_eq(hl_stats().evicted, 0, "the same key is not an eviction");
}

/* A socket written under no request (a timer's call): "none" says so for
 * its fd alone, until a report names a request again. */
Test(helper_links, none_says_no_request)
{
	helper_links_server_fd(hl, HL_PID, 12, HL_CONN_A);
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/12/34"), 0);
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/12/35"), 0);
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/none/34"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HELPER_LINKS_NO_REQUEST);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 35), HL_CONN_A);
	/* a new socket's first write; another pid's fd */
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/none/99"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 99), HELPER_LINKS_NO_REQUEST);
	cr_assert_eq(hl_report(HL_PID + 1, "/dev/null/zt/none/35"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 35), HL_CONN_A);
	/* a new connection on the fd's number: unknown again */
	helper_links_conn_opened(hl, HL_PID, 99);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 99), 0);
	/* the next request's report links it again */
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/12/34"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A);
	cr_expect_eq(hl_stats().reports, 6);
	cr_expect_eq(hl_stats().malformed, 0);
}

Test(helper_links, reused_fd_number_is_the_new_connection)
{
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/12/34"), 0);
	helper_links_server_fd(hl, HL_PID, 12, HL_CONN_A);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A);
	/* fd 12 closed and a new connection got the same number */
	helper_links_server_fd(hl, HL_PID, 12, HL_CONN_B);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_B);
	/* and again with the same id: nothing changes */
	helper_links_server_fd(hl, HL_PID, 12, HL_CONN_B);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_B);
	cr_expect_eq(hl_stats().evicted, 0);
}

Test(helper_links, server_fd_ignores_negative_fd)
{
	uint32_t slot = hl_slot(HL_PID, -1);
	int32_t fd;

	/* a key in the slot (HL_PID, -1) would take: storing -1 would evict it */
	for (fd = 0; hl_slot(HL_PID, fd) != slot; fd++)
		;
	helper_links_server_fd(hl, HL_PID, fd, HL_CONN_A);
	helper_links_server_fd(hl, HL_PID, -1, HL_CONN_B);
	cr_expect_eq(hl_stats().evicted, 0, "fd -1 was stored");
}

/* An empty entry reads as (pid 0, fd 0, value 0): a lookup of (0, 0) finds
 * an empty link whose in fd is 0, then the server (0, 0). Only the pid check
 * in helper_links_server_fd keeps that server entry from ever existing. */
Test(helper_links, server_fd_ignores_pid_zero)
{
	helper_links_server_fd(hl, 0, 0, HL_CONN_A);
	cr_expect_eq(helper_links_server_of(hl, 0, 0), 0);
	cr_expect_eq(hl_stats().evicted, 0);
}

/* ---- malformed paths ---- */

struct hl_bad {
	const char *why;
	const char *path;
	size_t n; /* 0: strlen(path) */
};

static const struct hl_bad hl_bads[] = {
	{ "wrong prefix: short dir", "/dev/nul/zt/56/34", 0 },
	{ "wrong prefix: zz", "/dev/null/zz/56/34", 0 },
	{ "wrong prefix: relative", "dev/null/zt/56/34", 0 },
	{ "wrong prefix: case", "/DEV/null/zt/56/34", 0 },
	{ "wrong prefix: no slash after zt", "/dev/null/zt56/34", 0 },
	{ "wrong prefix: double slash", "/dev/null//zt/56/34", 0 },
	{ "missing in fd", "/dev/null/zt//34", 0 },
	{ "missing slash", "/dev/null/zt/5634", 0 },
	{ "missing out fd", "/dev/null/zt/56/", 0 },
	{ "missing slash and out fd", "/dev/null/zt/56", 0 },
	{ "letter in in fd", "/dev/null/zt/5a/34", 0 },
	{ "letter for in fd", "/dev/null/zt/x/34", 0 },
	{ "hex in fd", "/dev/null/zt/0x38/34", 0 },
	{ "letter in out fd", "/dev/null/zt/56/3a", 0 },
	{ "letter after out fd", "/dev/null/zt/56/34a", 0 },
	{ "minus in fd", "/dev/null/zt/-56/34", 0 },
	{ "plus in fd", "/dev/null/zt/+56/34", 0 },
	{ "minus out fd", "/dev/null/zt/56/-34", 0 },
	{ "plus out fd", "/dev/null/zt/56/+34", 0 },
	{ "space before in fd", "/dev/null/zt/ 56/34", 0 },
	{ "space after in fd", "/dev/null/zt/56 /34", 0 },
	{ "space before out fd", "/dev/null/zt/56/ 34", 0 },
	{ "space after out fd", "/dev/null/zt/56/34 ", 0 },
	{ "trailing slash", "/dev/null/zt/56/34/", 0 },
	{ "third number", "/dev/null/zt/56/34/78", 0 },
	{ "trailing newline", "/dev/null/zt/56/34\n", 0 },
	{ "embedded NUL in out fd", "/dev/null/zt/56/3\0004", 19 },
	{ "embedded NUL in in fd", "/dev/null/zt/5\0006/34", 19 },
	{ "terminating NUL counted", "/dev/null/zt/56/34", 19 },
	{ "in == out", "/dev/null/zt/34/34", 0 },
	{ "in == out through a leading zero", "/dev/null/zt/034/34", 0 },
	{ "in fd one past INT32_MAX", "/dev/null/zt/2147483648/34", 0 },
	{ "out fd one past INT32_MAX", "/dev/null/zt/56/2147483648", 0 },
	{ "in fd 2^32 + 56 (wraps to 56)", "/dev/null/zt/4294967352/34", 0 },
	{ "out fd 2^32 + 34 (wraps to 34)", "/dev/null/zt/56/4294967330", 0 },
	{ "in fd of twenty digits", "/dev/null/zt/99999999999999999999/34", 0 },
	{ "in fd 2^64 + 56 (wraps to 56)", "/dev/null/zt/18446744073709551672/34", 0 },
	{ "out fd 2^64 + 34 (wraps to 34)", "/dev/null/zt/56/18446744073709551650", 0 },
	{ "n shorter than the prefix", "/dev/null/zt/56/34", 5 },
	{ "n one short of the prefix", "/dev/null/zt/56/34", 12 },
	{ "n exactly the prefix", "/dev/null/zt/56/34", 13 },
	{ "n cuts the path in the in fd", "/dev/null/zt/56/34", 15 },
	{ "n cuts the path at the slash", "/dev/null/zt/56/34", 16 },
	{ "empty", "", 0 },
	{ "none without an out fd", "/dev/null/zt/none/", 0 },
	{ "none with a bad out fd", "/dev/null/zt/none/3x", 0 },
	{ "none with two fds", "/dev/null/zt/none/12/34", 0 },
	{ "none misspelt", "/dev/null/zt/nonE/34", 0 },
};

Test(helper_links, malformed_refused_counted_tables_unchanged)
{
	struct helper_links_stats before, after;

	/* a known state: 34 -> fd 12 -> A; fds 56 and 34 are B, so a path
	 * that got through as 56 -> 34 or 34 -> 34 would turn 34 into B */
	helper_links_server_fd(hl, HL_PID, 12, HL_CONN_A);
	helper_links_server_fd(hl, HL_PID, 56, HL_CONN_B);
	helper_links_server_fd(hl, HL_PID, 34, HL_CONN_B);
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/12/34"), 0);
	cr_assert_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A);

	for (size_t i = 0; i < sizeof(hl_bads) / sizeof(hl_bads[0]); i++) {
		const struct hl_bad *b = &hl_bads[i];
		size_t n = b->n ? b->n : strlen(b->path);

		before = hl_stats();
		cr_expect_eq(helper_links_report(hl, HL_PID, (const uint8_t *)b->path, n), -1,
			     "%s", b->why);
		after = hl_stats();
		cr_expect_eq(after.malformed, before.malformed + 1, "%s", b->why);
		cr_expect_eq(after.reports, before.reports, "%s", b->why);
		cr_expect_eq(after.evicted, before.evicted, "%s", b->why);
		cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A, "%s", b->why);
		cr_expect_eq(helper_links_server_of(hl, HL_PID, 56), 0, "%s", b->why);
		cr_expect_eq(helper_links_server_of(hl, HL_PID, 12), 0, "%s", b->why);
	}
	cr_expect_eq(hl_stats().malformed, sizeof(hl_bads) / sizeof(hl_bads[0]));
	cr_expect_eq(hl_stats().reports, 1);
}

Test(helper_links, pid_zero_refused)
{
	helper_links_server_fd(hl, 0, 12, HL_CONN_A);
	cr_expect_eq(hl_report(0, "/dev/null/zt/12/34"), -1);
	cr_expect_eq(hl_stats().malformed, 1);
	cr_expect_eq(hl_stats().reports, 0);
	cr_expect_eq(helper_links_server_of(hl, 0, 34), 0);
}

Test(helper_links, int32_max_accepted)
{
	helper_links_server_fd(hl, HL_PID, INT32_MAX, HL_CONN_A);
	cr_expect_eq(hl_report(HL_PID, "/dev/null/zt/2147483647/34"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A);
	helper_links_server_fd(hl, HL_PID, 12, HL_CONN_B);
	cr_expect_eq(hl_report(HL_PID, "/dev/null/zt/12/2147483647"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, INT32_MAX), HL_CONN_B);
	/* fd 0 is an fd too */
	helper_links_server_fd(hl, HL_PID, 0, HL_CONN_A);
	cr_expect_eq(hl_report(HL_PID, "/dev/null/zt/0/1"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 1), HL_CONN_A);
	cr_expect_eq(hl_report(HL_PID, "/dev/null/zt/1/0"), 0);
	cr_expect_eq(hl_stats().reports, 4);
	cr_expect_eq(hl_stats().malformed, 0);
}

/* fd_parse() reads any run of digits: leading zeros are accepted, and the
 * number stays decimal (010 is ten, not octal eight). */
Test(helper_links, leading_zeros_accepted_as_decimal)
{
	helper_links_server_fd(hl, HL_PID, 12, HL_CONN_A);
	helper_links_server_fd(hl, HL_PID, 10, HL_CONN_B);
	cr_expect_eq(hl_report(HL_PID, "/dev/null/zt/012/0034"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A);
	cr_expect_eq(hl_report(HL_PID, "/dev/null/zt/010/34"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_B, "010 is ten");
	/* zeros do not count toward the INT32_MAX bound */
	cr_expect_eq(hl_report(HL_PID, "/dev/null/zt/0000000000012/34"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A);
	cr_expect_eq(hl_report(HL_PID, "/dev/null/zt/00/0"), -1, "0 == 0");
	cr_expect_eq(hl_stats().reports, 3);
	cr_expect_eq(hl_stats().malformed, 1);
}

Test(helper_links, longest_path_the_kernel_sends)
{
	char path[ZT_HELPER_PATH_MAX];

	helper_links_server_fd(hl, HL_PID, 2147483646, HL_CONN_A);
	snprintf(path, sizeof(path), "%s%d/%d", ZT_HELPER_PREFIX, 2147483646, INT32_MAX);
	cr_assert_lt(strlen(path), ZT_HELPER_PATH_MAX);
	cr_expect_eq(hl_report(HL_PID, path), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, INT32_MAX), HL_CONN_A);
}

/* ---- collisions ---- */

/* The first fd after `from` whose (pid, fd) lands in the slot (pid, fd0) has. */
static int32_t hl_collider(uint32_t pid, int32_t fd0, int32_t from)
{
	uint32_t slot = hl_slot(pid, fd0);

	for (int32_t fd = from; fd < 1 << 24; fd++)
		if (fd != fd0 && hl_slot(pid, fd) == slot)
			return fd;
	cr_assert_fail("no fd collides with %d", fd0);
	return -1;
}

Test(helper_links, link_collision_evicts_and_counts)
{
	int32_t a = 34, b = hl_collider(HL_PID, a, 0);
	char path[64];

	cr_assert_neq(b, 12);
	helper_links_server_fd(hl, HL_PID, 12, HL_CONN_A);
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/12/34"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, a), HL_CONN_A);
	snprintf(path, sizeof(path), "/dev/null/zt/12/%d", b);
	cr_assert_eq(hl_report(HL_PID, path), 0);
	cr_expect_eq(hl_stats().evicted, 1);
	cr_expect_eq(hl_stats().reports, 2);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, b), HL_CONN_A);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, a), 0, "the first key is gone");
	/* writing the same key again is not another eviction */
	cr_assert_eq(hl_report(HL_PID, path), 0);
	cr_expect_eq(hl_stats().evicted, 1);
}

Test(helper_links, link_collision_across_pids)
{
	uint32_t slot = hl_slot(HL_PID, 34), pid;
	int32_t in = 12;
	char path[64];

	for (pid = HL_PID + 1; hl_slot(pid, 34) != slot; pid++)
		cr_assert_lt(pid, 1u << 24);
	/* pids that share one slot share most: keep the two server fds apart */
	while (in == 34 || hl_slot(pid, in) == hl_slot(HL_PID, 12))
		in++;
	helper_links_server_fd(hl, HL_PID, 12, HL_CONN_A);
	helper_links_server_fd(hl, pid, in, HL_CONN_B);
	cr_assert_eq(hl_stats().evicted, 0);
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/12/34"), 0);
	snprintf(path, sizeof(path), "/dev/null/zt/%d/34", in);
	cr_assert_eq(hl_report(pid, path), 0);
	cr_expect_eq(hl_stats().evicted, 1);
	cr_expect_eq(helper_links_server_of(hl, pid, 34), HL_CONN_B);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), 0, "the first pid's link is gone");
}

Test(helper_links, server_collision_evicts_and_counts)
{
	int32_t a = 12, b = hl_collider(HL_PID, a, 0);
	char path[64];

	cr_assert_neq(b, 34);
	cr_assert_neq(b, 35);
	cr_assert_neq(hl_slot(HL_PID, 34), hl_slot(HL_PID, 35), "the two links must not collide");
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/12/34"), 0);
	snprintf(path, sizeof(path), "/dev/null/zt/%d/35", b);
	cr_assert_eq(hl_report(HL_PID, path), 0);
	helper_links_server_fd(hl, HL_PID, a, HL_CONN_A);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A);
	cr_expect_eq(hl_stats().evicted, 0);
	helper_links_server_fd(hl, HL_PID, b, HL_CONN_B);
	cr_expect_eq(hl_stats().evicted, 1);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 35), HL_CONN_B);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), 0, "server fd 12 is gone");
}

/* A new connection that got the number of an earlier, reported socket is
 * linked to nothing until a report names it. */
Test(helper_links, a_new_connection_on_a_reported_fd_forgets_the_report)
{
	helper_links_server_fd(hl, HL_PID, 12, HL_CONN_A);
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/12/34"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A);
	/* another pid's socket 34, and pid's socket 35, leave it alone */
	helper_links_conn_opened(hl, HL_PID + 1, 34);
	helper_links_conn_opened(hl, HL_PID, 35);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A);
	helper_links_conn_opened(hl, HL_PID, 34);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), 0);
	cr_assert_eq(hl_report(HL_PID, "/dev/null/zt/12/34"), 0);
	cr_expect_eq(helper_links_server_of(hl, HL_PID, 34), HL_CONN_A);
	cr_expect_eq(hl_stats().evicted, 0);
}

/* The path is read only once its length is known to hold the prefix. */
Test(helper_links, empty_and_null_paths_are_malformed)
{
	cr_expect_eq(helper_links_report(hl, HL_PID, NULL, 0), -1);
	cr_expect_eq(helper_links_report(hl, HL_PID, (const uint8_t *)"/dev", 4), -1);
	cr_expect_eq(hl_stats().malformed, 2);
}
