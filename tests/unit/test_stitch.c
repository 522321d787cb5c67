// SPDX-License-Identifier: MIT
/*
 * user/stitch.c: the three rules of DESIGN.md "Context propagation", the
 * kernel's ids, new traces, the bounded tables and their counters. Every
 * case pins the exact ids and rule the stitcher hands out.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "events.h"
#include "propagation.h"
#include "stitch.h"

#define STI_PID_A 1000u
#define STI_PID_B 2000u
/* a thread task, the default kind: the tid alone names it */
#define TH(tid) (&(struct stitch_task){ .id = (tid) })

static struct stitch *sti_new(uint32_t max_conns, uint32_t max_threads)
{
	struct stitch *s = stitch_new(max_conns, max_threads);

	cr_assert_not_null(s);
	return s;
}

static struct stitch_stats sti_stats(const struct stitch *s)
{
	struct stitch_stats st;

	stitch_get_stats(s, &st);
	return st;
}

static int sti_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* The connection 10.0.0.2:<cport> -> 10.0.0.1:<sport>, seen by the client. */
static struct stitch_conn_key sti_key(uint16_t cport, uint16_t sport)
{
	struct stitch_conn_key k;
	uint8_t local[16] = { 0 }, remote[16] = { 0 };

	inet_pton(AF_INET, "10.0.0.2", local);
	inet_pton(AF_INET, "10.0.0.1", remote);
	stitch_conn_key_from_tuple(&k, ZT_ROLE_CLIENT, AF_INET, local, cport, remote, sport);
	return k;
}

static struct trace_context sti_wire(uint8_t trace_byte, uint8_t span_byte)
{
	struct trace_context w = { 0 };

	memset(w.trace_id, trace_byte, sizeof(w.trace_id));
	memset(w.span_id, span_byte, sizeof(w.span_id));
	w.sampled = 1;
	return w;
}

static void sti_expect_child(const struct stitch_ids *child, const uint8_t trace_id[16],
			     const uint8_t parent_id[8], uint8_t rule)
{
	cr_expect_eq(child->has_parent, 1);
	cr_expect_eq(child->rule, rule, "rule %u, want %u", child->rule, rule);
	cr_expect_arr_eq(child->trace_id, trace_id, 16);
	cr_expect_arr_eq(child->parent_id, parent_id, 8);
	cr_expect_not(sti_zero(child->span_id, 8));
	cr_expect_neq(memcmp(child->span_id, parent_id, 8), 0, "a span is not its own parent");
}

static void sti_expect_new_trace(const struct stitch_ids *ids)
{
	cr_expect_eq(ids->has_parent, 0);
	cr_expect_eq(ids->rule, STITCH_NEW_TRACE, "rule %u", ids->rule);
	cr_expect_not(sti_zero(ids->trace_id, 16));
	cr_expect_not(sti_zero(ids->span_id, 8));
	cr_expect(sti_zero(ids->parent_id, 8));
}

/* ---- rule 1: the wire ---------------------------------------------------- */

Test(stitch, rule1_server_adopts_the_wire_context)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct trace_context w = sti_wire(0x11, 0x22);
	struct stitch_ids out;

	stitch_server_start(s, &k, STI_PID_B, TH(7), &w, NULL, &out);
	sti_expect_child(&out, w.trace_id, w.span_id, STITCH_WIRE);
	cr_expect_eq(sti_stats(s).by_rule[STITCH_WIRE], 1);
	stitch_free(s);
}

/* ---- rule 2: the two ends of one connection ----------------------------- */

Test(stitch, rule2_server_joins_the_client_of_its_connection)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct stitch_ids c, sv;

	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c);
	sti_expect_new_trace(&c);
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv);
	sti_expect_child(&sv, c.trace_id, c.span_id, STITCH_CONNECTION);
	cr_expect_eq(sti_stats(s).by_rule[STITCH_CONNECTION], 1);
	cr_expect_eq(sti_stats(s).by_rule[STITCH_NEW_TRACE], 1);
	stitch_free(s);
}

Test(stitch, rule2_other_connection_does_not_join)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k1 = sti_key(50000, 8080), k2 = sti_key(50001, 8080);
	struct stitch_ids c, sv;

	stitch_client_start(s, &k1, STI_PID_A, TH(10), NULL, NULL, NULL, &c);
	stitch_server_start(s, &k2, STI_PID_B, TH(20), NULL, NULL, &sv);
	sti_expect_new_trace(&sv);
	cr_expect_neq(memcmp(sv.trace_id, c.trace_id, 16), 0);
	stitch_free(s);
}

Test(stitch, conn_key_from_both_ends_ipv4_and_v4_mapped)
{
	static const uint8_t want_client[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
						 10, 0, 0, 2 };
	static const uint8_t want_server[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
						 10, 0, 0, 1 };
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key ck, sk;
	uint8_t c_local[16] = { 0 }, c_remote[16] = { 0 };
	uint8_t s_local[16] = { 0 }, s_remote[16] = { 0 };
	struct stitch_ids c, sv;

	/* the client is an AF_INET socket; the server an AF_INET6 dual-stack one */
	inet_pton(AF_INET, "10.0.0.2", c_local);
	inet_pton(AF_INET, "10.0.0.1", c_remote);
	inet_pton(AF_INET6, "::ffff:10.0.0.1", s_local);
	inet_pton(AF_INET6, "::ffff:10.0.0.2", s_remote);
	stitch_conn_key_from_tuple(&ck, ZT_ROLE_CLIENT, AF_INET, c_local, 50000, c_remote, 8080);
	stitch_conn_key_from_tuple(&sk, ZT_ROLE_SERVER, AF_INET6, s_local, 8080, s_remote, 50000);
	cr_expect_arr_eq(ck.client_addr, want_client, 16);
	cr_expect_arr_eq(ck.server_addr, want_server, 16);
	cr_expect_eq(ck.client_port, 50000);
	cr_expect_eq(ck.server_port, 8080);
	cr_expect_arr_eq(&ck, &sk, sizeof(ck), "both ends name the connection the same way");

	stitch_client_start(s, &ck, STI_PID_A, TH(10), NULL, NULL, NULL, &c);
	stitch_server_start(s, &sk, STI_PID_B, TH(20), NULL, NULL, &sv);
	sti_expect_child(&sv, c.trace_id, c.span_id, STITCH_CONNECTION);
	stitch_free(s);
}

Test(stitch, conn_key_ipv6_both_ends)
{
	struct stitch_conn_key ck, sk;
	uint8_t a[16], b[16];

	inet_pton(AF_INET6, "fd00::2", a);
	inet_pton(AF_INET6, "fd00::1", b);
	stitch_conn_key_from_tuple(&ck, ZT_ROLE_CLIENT, AF_INET6, a, 40000, b, 443);
	stitch_conn_key_from_tuple(&sk, ZT_ROLE_SERVER, AF_INET6, b, 443, a, 40000);
	cr_expect_arr_eq(&ck, &sk, sizeof(ck));
	cr_expect_arr_eq(ck.client_addr, a, 16);
	cr_expect_arr_eq(ck.server_addr, b, 16);
}

/* ---- rules 1 and 2 together ---------------------------------------------- */

Test(stitch, rule1_and_2_same_trace_names_the_client_span)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct stitch_ids c, sv;
	struct trace_context w = { 0 };

	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c);
	/* the client's SDK put its own span on the wire, in the same trace */
	memcpy(w.trace_id, c.trace_id, 16);
	memset(w.span_id, 0x5a, 8);
	w.sampled = 1;
	stitch_server_start(s, &k, STI_PID_B, TH(20), &w, NULL, &sv);
	sti_expect_child(&sv, c.trace_id, c.span_id, STITCH_WIRE);
	cr_expect_eq(sti_stats(s).by_rule[STITCH_WIRE], 1);
	stitch_free(s);
}

Test(stitch, rule1_and_2_other_trace_the_wire_wins)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct trace_context w = sti_wire(0x33, 0x44);
	struct stitch_ids c, sv, sv2;

	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c);
	stitch_server_start(s, &k, STI_PID_B, TH(20), &w, NULL, &sv);
	sti_expect_child(&sv, w.trace_id, w.span_id, STITCH_WIRE);
	/* the client request was answered by that server start: it is used up */
	stitch_server_start(s, &k, STI_PID_B, TH(21), NULL, NULL, &sv2);
	sti_expect_new_trace(&sv2);
	stitch_free(s);
}

/* ---- rule 3: the thread -------------------------------------------------- */

Test(stitch, rule3_client_on_the_serving_thread_is_a_child)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key in = sti_key(50000, 8080), out = sti_key(40000, 9090);
	struct stitch_ids sv, c;

	stitch_server_start(s, &in, STI_PID_B, TH(77), NULL, NULL, &sv);
	stitch_client_start(s, &out, STI_PID_B, TH(77), NULL, NULL, NULL, &c);
	sti_expect_child(&c, sv.trace_id, sv.span_id, STITCH_THREAD);
	cr_expect_eq(sti_stats(s).by_rule[STITCH_THREAD], 1);
	cr_expect_eq(sti_stats(s).ambiguous_thread, 0);
	stitch_free(s);
}

Test(stitch, rule3_same_tid_other_process_is_not_a_child)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key in = sti_key(50000, 8080), out = sti_key(40000, 9090);
	struct stitch_ids sv, c;

	stitch_server_start(s, &in, STI_PID_B, TH(77), NULL, NULL, &sv);
	stitch_client_start(s, &out, STI_PID_A, TH(77), NULL, NULL, NULL, &c);
	sti_expect_new_trace(&c);
	stitch_free(s);
}

Test(stitch, rule3_thread_rule_beats_a_client_wire_context)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key in = sti_key(50000, 8080), out = sti_key(40000, 9090);
	struct trace_context w = sti_wire(0x66, 0x77);
	struct stitch_ids sv, c, c2;

	stitch_server_start(s, &in, STI_PID_B, TH(77), NULL, NULL, &sv);
	stitch_client_start(s, &out, STI_PID_B, TH(77), &w, NULL, NULL, &c);
	sti_expect_child(&c, sv.trace_id, sv.span_id, STITCH_THREAD);
	/* on a thread serving nothing, the client's own wire context is used */
	stitch_client_start(s, &out, STI_PID_B, TH(78), &w, NULL, NULL, &c2);
	sti_expect_child(&c2, w.trace_id, w.span_id, STITCH_WIRE);
	stitch_free(s);
}

Test(stitch, rule3_thread_reuse_names_the_current_request)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key in = sti_key(50000, 8080), out = sti_key(40000, 9090);
	struct stitch_ids a, b, c;

	stitch_server_start(s, &in, STI_PID_B, TH(77), NULL, NULL, &a);
	stitch_server_end(s, STI_PID_B, TH(77), a.span_id);
	stitch_server_start(s, &in, STI_PID_B, TH(77), NULL, NULL, &b);
	stitch_client_start(s, &out, STI_PID_B, TH(77), NULL, NULL, NULL, &c);
	sti_expect_child(&c, b.trace_id, b.span_id, STITCH_THREAD);
	cr_expect_neq(memcmp(c.trace_id, a.trace_id, 16), 0);
	stitch_free(s);
}

Test(stitch, rule3_client_between_two_requests_starts_a_trace)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key in = sti_key(50000, 8080), out = sti_key(40000, 9090);
	struct stitch_ids a, b, c;

	stitch_server_start(s, &in, STI_PID_B, TH(77), NULL, NULL, &a);
	stitch_server_end(s, STI_PID_B, TH(77), a.span_id);
	stitch_client_start(s, &out, STI_PID_B, TH(77), NULL, NULL, NULL, &c);
	sti_expect_new_trace(&c);
	cr_expect_neq(memcmp(c.trace_id, a.trace_id, 16), 0);
	stitch_server_start(s, &in, STI_PID_B, TH(77), NULL, NULL, &b);
	cr_expect_neq(memcmp(c.trace_id, b.trace_id, 16), 0);
	stitch_free(s);
}

Test(stitch, rule3_event_loop_with_two_requests_is_ambiguous)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key in1 = sti_key(50000, 8080), in2 = sti_key(50001, 8080);
	struct stitch_conn_key out = sti_key(40000, 9090);
	struct stitch_ids a, b, c1, c2;
	struct stitch_stats st;

	stitch_server_start(s, &in1, STI_PID_B, TH(77), NULL, NULL, &a);
	stitch_server_start(s, &in2, STI_PID_B, TH(77), NULL, NULL, &b);
	stitch_client_start(s, &out, STI_PID_B, TH(77), NULL, NULL, NULL, &c1);
	sti_expect_new_trace(&c1);
	cr_expect_neq(memcmp(c1.trace_id, a.trace_id, 16), 0);
	cr_expect_neq(memcmp(c1.trace_id, b.trace_id, 16), 0);
	st = sti_stats(s);
	cr_expect_eq(st.ambiguous_thread, 1);

	stitch_server_end(s, STI_PID_B, TH(77), a.span_id);
	stitch_client_start(s, &out, STI_PID_B, TH(77), NULL, NULL, NULL, &c2);
	sti_expect_child(&c2, b.trace_id, b.span_id, STITCH_THREAD);
	st = sti_stats(s);
	cr_expect_eq(st.ambiguous_thread, 1);
	cr_expect_eq(st.by_rule[STITCH_THREAD], 1);
	stitch_free(s);
}

Test(stitch, rule3_the_other_request_ending_first_leaves_the_first)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key in1 = sti_key(50000, 8080), in2 = sti_key(50001, 8080);
	struct stitch_conn_key out = sti_key(40000, 9090);
	struct stitch_ids a, b, c;

	stitch_server_start(s, &in1, STI_PID_B, TH(77), NULL, NULL, &a);
	stitch_server_start(s, &in2, STI_PID_B, TH(77), NULL, NULL, &b);
	stitch_server_end(s, STI_PID_B, TH(77), b.span_id);
	stitch_client_start(s, &out, STI_PID_B, TH(77), NULL, NULL, NULL, &c);
	sti_expect_child(&c, a.trace_id, a.span_id, STITCH_THREAD);
	stitch_free(s);
}

/* More requests in flight than a thread remembers (4): never a wrong parent. */
Test(stitch, rule3_more_requests_than_remembered)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key out = sti_key(40000, 9090);
	struct stitch_ids sv[5], c;

	for (int i = 0; i < 5; i++) {
		struct stitch_conn_key in = sti_key((uint16_t)(50000 + i), 8080);

		stitch_server_start(s, &in, STI_PID_B, TH(77), NULL, NULL, &sv[i]);
	}
	/* the unremembered one ends first, then all remembered but sv[3] */
	stitch_server_end(s, STI_PID_B, TH(77), sv[4].span_id);
	for (int i = 0; i < 3; i++)
		stitch_server_end(s, STI_PID_B, TH(77), sv[i].span_id);
	stitch_client_start(s, &out, STI_PID_B, TH(77), NULL, NULL, NULL, &c);
	sti_expect_child(&c, sv[3].trace_id, sv[3].span_id, STITCH_THREAD);
	cr_expect_eq(sti_stats(s).ambiguous_thread, 0);
	stitch_free(s);
}

Test(stitch, rule3_unremembered_request_left_gives_a_new_trace)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key out = sti_key(40000, 9090);
	struct stitch_ids sv[5], c;

	for (int i = 0; i < 5; i++) {
		struct stitch_conn_key in = sti_key((uint16_t)(50000 + i), 8080);

		stitch_server_start(s, &in, STI_PID_B, TH(77), NULL, NULL, &sv[i]);
	}
	for (int i = 0; i < 4; i++)
		stitch_server_end(s, STI_PID_B, TH(77), sv[i].span_id);
	/* sv[4] is in flight but was never remembered: a miss, not a guess */
	stitch_client_start(s, &out, STI_PID_B, TH(77), NULL, NULL, NULL, &c);
	sti_expect_new_trace(&c);
	for (int i = 0; i < 4; i++)
		cr_expect_neq(memcmp(c.trace_id, sv[i].trace_id, 16), 0);
	stitch_free(s);
}

/* ---- pipelining and client_end ------------------------------------------- */

Test(stitch, pipelined_clients_pair_in_order)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct stitch_ids c1, c2, s1, s2, s3;

	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c1);
	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c2);
	cr_expect_neq(memcmp(c1.span_id, c2.span_id, 8), 0);
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &s1);
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &s2);
	sti_expect_child(&s1, c1.trace_id, c1.span_id, STITCH_CONNECTION);
	sti_expect_child(&s2, c2.trace_id, c2.span_id, STITCH_CONNECTION);
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &s3);
	sti_expect_new_trace(&s3);
	stitch_free(s);
}

Test(stitch, client_end_removes_an_unjoined_client)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct stitch_ids c, sv;

	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c);
	stitch_client_end(s, &k, c.span_id);
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv);
	sti_expect_new_trace(&sv);
	cr_expect_neq(memcmp(sv.trace_id, c.trace_id, 16), 0);
	stitch_free(s);
}

Test(stitch, client_end_removes_only_its_own_request)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct stitch_ids c1, c2, s1;
	uint8_t stranger[8];

	memset(stranger, 0xee, sizeof(stranger));
	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c1);
	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c2);
	stitch_client_end(s, &k, stranger);
	stitch_client_end(s, &k, c1.span_id);
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &s1);
	sti_expect_child(&s1, c2.trace_id, c2.span_id, STITCH_CONNECTION);
	/* ending a joined client, or on an unknown key, is harmless */
	stitch_client_end(s, &k, c2.span_id);
	stitch_server_end(s, STI_PID_B, TH(999), s1.span_id);
	stitch_free(s);
}

Test(stitch, conn_queue_overflow_drops_the_oldest)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct stitch_ids c[STITCH_CONN_QUEUE + 1], sv;

	for (int i = 0; i < STITCH_CONN_QUEUE + 1; i++)
		stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c[i]);
	cr_expect_eq(sti_stats(s).conn_table_drops, 1);
	for (int i = 1; i < STITCH_CONN_QUEUE + 1; i++) {
		stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv);
		sti_expect_child(&sv, c[i].trace_id, c[i].span_id, STITCH_CONNECTION);
	}
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv);
	sti_expect_new_trace(&sv);
	stitch_free(s);
}

/* ---- the kernel's ids ---------------------------------------------------- */

static struct stitch_ids sti_kernel(uint8_t trace_byte, uint8_t span_byte, int parent_byte)
{
	struct stitch_ids k;

	memset(&k, 0, sizeof(k));
	memset(k.trace_id, trace_byte, 16);
	memset(k.span_id, span_byte, 8);
	if (parent_byte >= 0) {
		memset(k.parent_id, parent_byte, 8);
		k.has_parent = 1;
	}
	return k;
}

Test(stitch, kernel_server_ids_are_used_as_given)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct stitch_ids kp = sti_kernel(0xa1, 0xb2, 0xc3), kn = sti_kernel(0xd4, 0xe5, -1);
	struct stitch_ids out;

	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, &kp, &out);
	cr_expect_arr_eq(out.trace_id, kp.trace_id, 16);
	cr_expect_arr_eq(out.span_id, kp.span_id, 8);
	cr_expect_arr_eq(out.parent_id, kp.parent_id, 8);
	cr_expect_eq(out.has_parent, 1);
	cr_expect_eq(out.rule, STITCH_KERNEL);

	stitch_server_start(s, &k, STI_PID_B, TH(21), NULL, &kn, &out);
	cr_expect_arr_eq(out.trace_id, kn.trace_id, 16);
	cr_expect_arr_eq(out.span_id, kn.span_id, 8);
	cr_expect(sti_zero(out.parent_id, 8));
	cr_expect_eq(out.has_parent, 0);
	cr_expect_eq(out.rule, STITCH_KERNEL);
	cr_expect_eq(sti_stats(s).by_rule[STITCH_KERNEL], 2);
	stitch_free(s);
}

Test(stitch, kernel_server_with_wire_of_its_trace_names_the_wire_span)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct stitch_ids kn = sti_kernel(0x33, 0xb2, -1), out;
	struct trace_context w = sti_wire(0x33, 0x44);

	stitch_server_start(s, &k, STI_PID_B, TH(20), &w, &kn, &out);
	cr_expect_arr_eq(out.span_id, kn.span_id, 8);
	sti_expect_child(&out, w.trace_id, w.span_id, STITCH_KERNEL);
	stitch_free(s);
}

Test(stitch, kernel_client_ids_are_used_as_given)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key in = sti_key(50000, 8080), out_k = sti_key(40000, 9090);
	struct stitch_ids kc = sti_kernel(0x21, 0x32, 0x43), sv, out, sv2;

	/* even on a thread serving a request, the kernel's ids are what went out */
	stitch_server_start(s, &in, STI_PID_B, TH(77), NULL, NULL, &sv);
	stitch_client_start(s, &out_k, STI_PID_B, TH(77), NULL, &kc, NULL, &out);
	cr_expect_arr_eq(out.trace_id, kc.trace_id, 16);
	cr_expect_arr_eq(out.span_id, kc.span_id, 8);
	cr_expect_arr_eq(out.parent_id, kc.parent_id, 8);
	cr_expect_eq(out.has_parent, 1);
	cr_expect_eq(out.rule, STITCH_KERNEL);
	/* and the server of that connection joins it */
	stitch_server_start(s, &out_k, STI_PID_A, TH(5), NULL, NULL, &sv2);
	sti_expect_child(&sv2, kc.trace_id, kc.span_id, STITCH_CONNECTION);
	stitch_free(s);
}

/* ---- nothing applies ----------------------------------------------------- */

Test(stitch, nothing_applies_new_trace)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct stitch_ids a, b;

	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &a);
	sti_expect_new_trace(&a);
	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &b);
	sti_expect_new_trace(&b);
	cr_expect_neq(memcmp(a.trace_id, b.trace_id, 16), 0);
	cr_expect_neq(memcmp(a.span_id, b.span_id, 8), 0);
	cr_expect_eq(sti_stats(s).by_rule[STITCH_NEW_TRACE], 2);
	stitch_free(s);
}

/* ---- bounds -------------------------------------------------------------- */

Test(stitch, full_conn_table_counts_drops)
{
	struct stitch *s = sti_new(2, 2);
	struct stitch_ids c[4], sv;

	for (int i = 0; i < 4; i++) {
		struct stitch_conn_key k = sti_key((uint16_t)(50000 + i), 8080);

		stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c[i]);
		sti_expect_new_trace(&c[i]);
	}
	cr_expect_eq(sti_stats(s).conn_table_drops, 2);
	for (int i = 0; i < 4; i++) {
		struct stitch_conn_key k = sti_key((uint16_t)(50000 + i), 8080);

		stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv);
		if (i < 2)
			sti_expect_child(&sv, c[i].trace_id, c[i].span_id, STITCH_CONNECTION);
		else
			sti_expect_new_trace(&sv);
		stitch_server_end(s, STI_PID_B, TH(20), sv.span_id);
	}
	/* the joins freed the table */
	{
		struct stitch_conn_key k = sti_key(60000, 8080);
		struct stitch_ids c2;

		stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c2);
		stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv);
		sti_expect_child(&sv, c2.trace_id, c2.span_id, STITCH_CONNECTION);
	}
	cr_expect_eq(sti_stats(s).conn_table_drops, 2);
	stitch_free(s);
}

Test(stitch, full_thread_table_counts_drops)
{
	struct stitch *s = sti_new(2, 2);
	struct stitch_conn_key in = sti_key(50000, 8080), out = sti_key(40000, 9090);
	struct stitch_ids sv[3], c;

	for (uint32_t i = 0; i < 3; i++)
		stitch_server_start(s, &in, STI_PID_B, TH(100 + i), NULL, NULL, &sv[i]);
	cr_expect_eq(sti_stats(s).thread_table_drops, 1);
	/* the dropped thread has no rule 3; the kept ones do */
	stitch_client_start(s, &out, STI_PID_B, TH(102), NULL, NULL, NULL, &c);
	sti_expect_new_trace(&c);
	stitch_client_start(s, &out, STI_PID_B, TH(101), NULL, NULL, NULL, &c);
	sti_expect_child(&c, sv[1].trace_id, sv[1].span_id, STITCH_THREAD);
	/* ending the dropped one is harmless */
	stitch_server_end(s, STI_PID_B, TH(102), sv[2].span_id);
	stitch_client_start(s, &out, STI_PID_B, TH(100), NULL, NULL, NULL, &c);
	sti_expect_child(&c, sv[0].trace_id, sv[0].span_id, STITCH_THREAD);
	stitch_free(s);
}

/*
 * A server start dropped on a full table must not end the request a later
 * start put on the same thread. max_threads 1: A on T1 fills it, B on T2 is
 * dropped, A ends (room again), C starts on T2, then B's end arrives: C is
 * still being served on T2, so T2's client call is C's child.
 */
Test(stitch, end_of_a_dropped_start_keeps_the_live_request)
{
	struct stitch *s = sti_new(2, 1);
	struct stitch_conn_key in = sti_key(50000, 8080), out = sti_key(40000, 9090);
	struct stitch_ids a, b, cs, c;

	stitch_server_start(s, &in, STI_PID_B, TH(1), NULL, NULL, &a);
	stitch_server_start(s, &in, STI_PID_B, TH(2), NULL, NULL, &b);
	cr_expect_eq(sti_stats(s).thread_table_drops, 1);
	stitch_server_end(s, STI_PID_B, TH(1), a.span_id);
	stitch_server_start(s, &in, STI_PID_B, TH(2), NULL, NULL, &cs);
	stitch_server_end(s, STI_PID_B, TH(2), b.span_id);
	stitch_client_start(s, &out, STI_PID_B, TH(2), NULL, NULL, NULL, &c);
	sti_expect_child(&c, cs.trace_id, cs.span_id, STITCH_THREAD);
	stitch_free(s);
}

Test(stitch, zero_capacity_tables_only_count)
{
	struct stitch *s = sti_new(0, 0);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct stitch_ids c, sv;
	struct stitch_stats st;

	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c);
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv);
	stitch_server_end(s, STI_PID_B, TH(20), sv.span_id);
	stitch_client_end(s, &k, c.span_id);
	sti_expect_new_trace(&sv);
	st = sti_stats(s);
	cr_expect_eq(st.conn_table_drops, 1);
	cr_expect_eq(st.thread_table_drops, 1);
	stitch_free(s);
}

/*
 * The open-addressing tables under churn: many keys in a small table, joined
 * (deleted) in scrambled orders, each must still find its own client. A
 * backward-shift deletion bug loses or misplaces entries here.
 */
Test(stitch, conn_table_churn_keeps_every_pair)
{
	enum { N = 24, ROUNDS = 40 };
	struct stitch *s = sti_new(N, N);
	struct stitch_ids c[N], sv;
	uint32_t order[N];
	uint32_t rng = 12345;

	for (int round = 0; round < ROUNDS; round++) {
		for (uint32_t i = 0; i < N; i++) {
			struct stitch_conn_key k = sti_key((uint16_t)(1000 + round * N + i), 8080);

			stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c[i]);
			order[i] = i;
		}
		for (uint32_t i = N - 1; i > 0; i--) {
			uint32_t j, t;

			rng = rng * 1103515245u + 12345u;
			j = (rng >> 8) % (i + 1);
			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (uint32_t i = 0; i < N; i++) {
			uint32_t x = order[i];
			struct stitch_conn_key k = sti_key((uint16_t)(1000 + round * N + x), 8080);

			stitch_server_start(s, &k, STI_PID_B, TH(20 + x), NULL, NULL, &sv);
			sti_expect_child(&sv, c[x].trace_id, c[x].span_id, STITCH_CONNECTION);
			stitch_server_end(s, STI_PID_B, TH(20 + x), sv.span_id);
		}
	}
	cr_expect_eq(sti_stats(s).conn_table_drops, 0);
	cr_expect_eq(sti_stats(s).thread_table_drops, 0);
	stitch_free(s);
}

Test(stitch, by_rule_counts_every_span)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080), out = sti_key(40000, 9090);
	struct trace_context w = sti_wire(0x11, 0x22);
	struct stitch_ids kid = sti_kernel(0x51, 0x52, -1), x, sv;
	struct stitch_stats st;

	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &x);   /* new */
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv);  /* connection */
	stitch_client_start(s, &out, STI_PID_B, TH(20), NULL, NULL, NULL, &x); /* thread */
	stitch_server_end(s, STI_PID_B, TH(20), sv.span_id);
	stitch_server_start(s, &k, STI_PID_B, TH(21), &w, NULL, &x);     /* wire */
	stitch_server_start(s, &k, STI_PID_B, TH(22), NULL, &kid, &x);   /* kernel */
	stitch_server_start(s, &k, STI_PID_B, TH(23), NULL, NULL, &x);   /* new */
	stitch_count_bad_wire(s);
	st = sti_stats(s);
	cr_expect_eq(st.by_rule[STITCH_NEW_TRACE], 2);
	cr_expect_eq(st.by_rule[STITCH_WIRE], 1);
	cr_expect_eq(st.by_rule[STITCH_CONNECTION], 1);
	cr_expect_eq(st.by_rule[STITCH_THREAD], 1);
	cr_expect_eq(st.by_rule[STITCH_KERNEL], 1);
	cr_expect_eq(st.bad_wire_context, 1);
	cr_expect_eq(st.ambiguous_thread, 0);
	stitch_free(s);
}

/* ---- rule 2: clients that closed before any answer ---------------------- */

Test(stitch, rule2_joins_a_client_that_closed_before_the_server_read)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct stitch_ids c, sv;

	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c);
	stitch_client_unanswered(s, &k, c.span_id, 1000);
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv);
	sti_expect_child(&sv, c.trace_id, c.span_id, STITCH_CONNECTION);
	cr_expect_eq(sti_stats(s).unanswered_unjoined, 0);
	stitch_free(s);
}

Test(stitch, rule2_pipelined_unanswered_requests_join_in_order)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct stitch_ids c1, c2, sv1, sv2, sv3;

	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c1);
	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c2);
	stitch_client_unanswered(s, &k, c1.span_id, 1000);
	stitch_client_unanswered(s, &k, c2.span_id, 1000);
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv1);
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv2);
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv3);
	sti_expect_child(&sv1, c1.trace_id, c1.span_id, STITCH_CONNECTION);
	sti_expect_child(&sv2, c2.trace_id, c2.span_id, STITCH_CONNECTION);
	sti_expect_new_trace(&sv3);
	stitch_free(s);
}

Test(stitch, rule2_reused_address_pair_forgets_the_unanswered_request)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct stitch_ids old, fresh, sv;

	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &old);
	stitch_client_unanswered(s, &k, old.span_id, 1000);
	stitch_client_start(s, &k, STI_PID_A, TH(11), NULL, NULL, NULL, &fresh);
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv);
	sti_expect_child(&sv, fresh.trace_id, fresh.span_id, STITCH_CONNECTION);
	cr_expect_eq(sti_stats(s).unanswered_unjoined, 1);
	cr_expect_eq(sti_stats(s).conn_table_drops, 0);
	stitch_free(s);
}

Test(stitch, rule2_unanswered_requests_expire_by_their_close_time)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k1 = sti_key(50001, 8080), k2 = sti_key(50002, 8080);
	struct stitch_conn_key k3 = sti_key(50003, 8080);
	struct stitch_ids c1, c2, c3, sv1, sv2, sv3;

	stitch_client_start(s, &k1, STI_PID_A, TH(10), NULL, NULL, NULL, &c1);
	stitch_client_start(s, &k2, STI_PID_A, TH(10), NULL, NULL, NULL, &c2);
	stitch_client_start(s, &k3, STI_PID_A, TH(10), NULL, NULL, NULL, &c3);
	stitch_client_unanswered(s, &k1, c1.span_id, 1000);
	stitch_client_unanswered(s, &k2, c2.span_id, 2000);
	stitch_expire_unanswered(s, 1500);
	cr_expect_eq(sti_stats(s).unanswered_unjoined, 1);
	stitch_expire_unanswered(s, 1500);
	cr_expect_eq(sti_stats(s).unanswered_unjoined, 1);
	stitch_server_start(s, &k1, STI_PID_B, TH(20), NULL, NULL, &sv1);
	stitch_server_start(s, &k2, STI_PID_B, TH(21), NULL, NULL, &sv2);
	stitch_server_start(s, &k3, STI_PID_B, TH(22), NULL, NULL, &sv3);
	sti_expect_new_trace(&sv1);
	sti_expect_child(&sv2, c2.trace_id, c2.span_id, STITCH_CONNECTION);
	/* a live request never expires */
	sti_expect_child(&sv3, c3.trace_id, c3.span_id, STITCH_CONNECTION);
	stitch_free(s);
}

Test(stitch, rule2_expiry_makes_room_in_a_full_table)
{
	struct stitch *s = sti_new(2, 16);
	struct stitch_conn_key k[3] = { sti_key(50001, 8080), sti_key(50002, 8080),
					sti_key(50003, 8080) };
	struct stitch_ids c[3], sv;

	for (int i = 0; i < 2; i++) {
		stitch_client_start(s, &k[i], STI_PID_A, TH(10), NULL, NULL, NULL, &c[i]);
		stitch_client_unanswered(s, &k[i], c[i].span_id, 1000 + (uint64_t)i);
	}
	stitch_client_start(s, &k[2], STI_PID_A, TH(10), NULL, NULL, NULL, &c[2]);
	cr_expect_eq(sti_stats(s).conn_table_drops, 1);
	stitch_expire_unanswered(s, UINT64_MAX);
	cr_expect_eq(sti_stats(s).unanswered_unjoined, 2);
	stitch_client_start(s, &k[2], STI_PID_A, TH(10), NULL, NULL, NULL, &c[2]);
	cr_expect_eq(sti_stats(s).conn_table_drops, 1);
	stitch_server_start(s, &k[2], STI_PID_B, TH(22), NULL, NULL, &sv);
	sti_expect_child(&sv, c[2].trace_id, c[2].span_id, STITCH_CONNECTION);
	stitch_free(s);
}

Test(stitch, rule2_server_close_forgets_the_requests_it_never_read)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct stitch_ids c1, c2, sv;

	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c1);
	stitch_client_unanswered(s, &k, c1.span_id, 1000);
	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c2);
	stitch_server_closed(s, &k);
	cr_expect_eq(sti_stats(s).unanswered_unjoined, 2);
	stitch_client_unanswered(s, &k, c2.span_id, 2000);
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv);
	sti_expect_new_trace(&sv);
	stitch_expire_unanswered(s, UINT64_MAX);
	cr_expect_eq(sti_stats(s).unanswered_unjoined, 2);
	stitch_free(s);
}

Test(stitch, rule2_full_table_of_live_requests_still_counts_a_drop)
{
	struct stitch *s = sti_new(2, 16);
	struct stitch_conn_key k1 = sti_key(50001, 8080), k2 = sti_key(50002, 8080);
	struct stitch_conn_key k3 = sti_key(50003, 8080);
	struct stitch_ids c1, c2, c3, sv3;

	stitch_client_start(s, &k1, STI_PID_A, TH(10), NULL, NULL, NULL, &c1);
	stitch_client_start(s, &k2, STI_PID_A, TH(10), NULL, NULL, NULL, &c2);
	stitch_client_start(s, &k3, STI_PID_A, TH(10), NULL, NULL, NULL, &c3);
	cr_expect_eq(sti_stats(s).conn_table_drops, 1);
	cr_expect_eq(sti_stats(s).unanswered_unjoined, 0);
	stitch_server_start(s, &k3, STI_PID_B, TH(22), NULL, NULL, &sv3);
	sti_expect_new_trace(&sv3);
	stitch_free(s);
}

Test(stitch, rule2_answered_and_unanswered_on_one_connection)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k = sti_key(50000, 8080);
	struct stitch_ids c1, c2, sv1, sv2;

	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c1);
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv1);
	stitch_client_end(s, &k, c1.span_id);
	stitch_client_start(s, &k, STI_PID_A, TH(10), NULL, NULL, NULL, &c2);
	stitch_client_unanswered(s, &k, c2.span_id, 5000);
	/* marking it twice, or a span the table never saw, changes nothing */
	stitch_client_unanswered(s, &k, c2.span_id, 6000);
	stitch_client_unanswered(s, &k, c1.span_id, 6000);
	stitch_server_start(s, &k, STI_PID_B, TH(20), NULL, NULL, &sv2);
	sti_expect_child(&sv1, c1.trace_id, c1.span_id, STITCH_CONNECTION);
	sti_expect_child(&sv2, c2.trace_id, c2.span_id, STITCH_CONNECTION);
	cr_expect_eq(sti_stats(s).unanswered_unjoined, 0);
	stitch_free(s);
}

/* every way out of the queue keeps the expiry pass seeing what is left */
Test(stitch, rule2_expiry_after_take_reuse_and_server_close)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key k1 = sti_key(50001, 8080), k2 = sti_key(50002, 8080);
	struct stitch_conn_key k3 = sti_key(50003, 8080), k4 = sti_key(50004, 8080);
	struct stitch_ids c1, c2, c2b, c3, c4, sv;

	stitch_client_start(s, &k1, STI_PID_A, TH(10), NULL, NULL, NULL, &c1);
	stitch_client_unanswered(s, &k1, c1.span_id, 100);
	stitch_server_start(s, &k1, STI_PID_B, TH(20), NULL, NULL, &sv); /* taken */
	stitch_client_start(s, &k2, STI_PID_A, TH(10), NULL, NULL, NULL, &c2);
	stitch_client_unanswered(s, &k2, c2.span_id, 100);
	stitch_client_start(s, &k2, STI_PID_A, TH(10), NULL, NULL, NULL, &c2b); /* reuse: 1 */
	stitch_client_start(s, &k3, STI_PID_A, TH(10), NULL, NULL, NULL, &c3);
	stitch_client_unanswered(s, &k3, c3.span_id, 100);
	stitch_server_closed(s, &k3); /* 2 */
	cr_expect_eq(sti_stats(s).unanswered_unjoined, 2);
	stitch_client_unanswered(s, &k2, c2b.span_id, 200);
	stitch_client_start(s, &k4, STI_PID_A, TH(10), NULL, NULL, NULL, &c4);
	stitch_client_unanswered(s, &k4, c4.span_id, 300);
	stitch_expire_unanswered(s, 250); /* k2 only: 3 */
	cr_expect_eq(sti_stats(s).unanswered_unjoined, 3);
	stitch_expire_unanswered(s, 350); /* k4: 4 */
	cr_expect_eq(sti_stats(s).unanswered_unjoined, 4);
	stitch_server_start(s, &k4, STI_PID_B, TH(20), NULL, NULL, &sv);
	sti_expect_new_trace(&sv);
	stitch_free(s);
}

/* ---- tasks: goroutines, handoffs, the process rule ---- */

#define GO(g, handoff, start) \
	(&(struct stitch_task){ .id = (g), .kind = ZT_TASK_GOROUTINE, .handoff_ns = (handoff), \
				.start_ns = (start) })
#define UNKNOWN_TASK (&(struct stitch_task){ .kind = ZT_TASK_UNKNOWN })

/* A goroutine is not the thread of the same number, and two goroutines of
 * one process serve their requests apart. */
Test(stitch, goroutines_are_keyed_apart_from_threads)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key in1 = sti_key(50000, 8080), in2 = sti_key(50001, 8080),
			       out = sti_key(40000, 9090);
	struct stitch_ids a, b, c;
	struct stitch_stats st;

	stitch_server_start(s, &in1, STI_PID_B, GO(0x7000, 0, 100), NULL, NULL, &a);
	stitch_server_start(s, &in2, STI_PID_B, GO(0x8000, 0, 110), NULL, NULL, &b);
	stitch_client_start(s, &out, STI_PID_B, GO(0x8000, 0, 120), NULL, NULL, NULL, &c);
	sti_expect_child(&c, b.trace_id, b.span_id, STITCH_THREAD);
	stitch_client_start(s, &out, STI_PID_B, GO(0x7000, 0, 130), NULL, NULL, NULL, &c);
	sti_expect_child(&c, a.trace_id, a.span_id, STITCH_THREAD);
	/* thread 0x7000 serves nothing; two requests in the process: no guess */
	stitch_client_start(s, &out, STI_PID_B, TH(0x7000), NULL, NULL, NULL, &c);
	sti_expect_new_trace(&c);
	st = sti_stats(s);
	cr_expect_eq(st.task_links[STITCH_TASK_GOROUTINE], 2);
	cr_expect_eq(st.task_unlinked[STITCH_TASK_THREAD], 1);
	cr_expect_eq(st.ambiguous_thread, 0);
	stitch_free(s);
}

/* A handed-over context counts only while the request it was handed for
 * is the one its goroutine serves: one handed before that request began
 * belongs to an earlier one. */
Test(stitch, handoff_older_than_the_request_links_nothing)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key in = sti_key(50000, 8080), out = sti_key(40000, 9090),
			       in2 = sti_key(50001, 8080);
	struct stitch_ids a, b, other, c;
	struct stitch_stats st;

	stitch_server_start(s, &in, STI_PID_B, GO(0x7000, 0, 1000), NULL, NULL, &a);
	/* a writer goroutine handed 0x7000's context at 1500: the kernel names
	 * the task it was handed, with the time */
	stitch_client_start(s, &out, STI_PID_B, GO(0x7000, 1500, 1600), NULL, NULL, NULL, &c);
	sti_expect_child(&c, a.trace_id, a.span_id, STITCH_THREAD);
	stitch_server_end(s, STI_PID_B, GO(0x7000, 0, 1000), a.span_id);
	/* another request keeps the process from having exactly one */
	stitch_server_start(s, &in2, STI_PID_B, GO(0x6000, 0, 1700), NULL, NULL, &other);
	stitch_server_start(s, &in, STI_PID_B, GO(0x7000, 0, 2000), NULL, NULL, &b);
	/* a context handed at 1500 is not b's (b began at 2000) */
	stitch_client_start(s, &out, STI_PID_B, GO(0x7000, 1500, 2100), NULL, NULL, NULL, &c);
	sti_expect_new_trace(&c);
	stitch_client_start(s, &out, STI_PID_B, GO(0x7000, 2050, 2100), NULL, NULL, NULL, &c);
	sti_expect_child(&c, b.trace_id, b.span_id, STITCH_THREAD);
	st = sti_stats(s);
	cr_expect_eq(st.stale_handoff, 1);
	cr_expect_eq(st.task_links[STITCH_TASK_HANDOFF], 2);
	cr_expect_eq(st.task_unlinked[STITCH_TASK_HANDOFF], 1);
	stitch_free(s);
}

/* A Go program whose goroutine could not be read: its server requests are
 * not held by any task, its calls get no task parent, only the process's
 * when it serves exactly one. */
Test(stitch, unknown_task_uses_only_the_process_rule)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key in1 = sti_key(50000, 8080), in2 = sti_key(50001, 8080),
			       out = sti_key(40000, 9090);
	struct stitch_task at100 = { .kind = ZT_TASK_UNKNOWN, .start_ns = 100 },
			   at200 = { .kind = ZT_TASK_UNKNOWN, .start_ns = 200 };
	struct stitch_ids a, b, c;
	struct stitch_stats st;

	stitch_server_start(s, &in1, STI_PID_B, &at100, NULL, NULL, &a);
	stitch_client_start(s, &out, STI_PID_B, &at200, NULL, NULL, NULL, &c);
	sti_expect_child(&c, a.trace_id, a.span_id, STITCH_THREAD);
	stitch_server_start(s, &in2, STI_PID_B, UNKNOWN_TASK, NULL, NULL, &b);
	stitch_client_start(s, &out, STI_PID_B, &at200, NULL, NULL, NULL, &c);
	sti_expect_new_trace(&c);
	st = sti_stats(s);
	cr_expect_eq(st.task_links[STITCH_TASK_PROCESS], 1);
	cr_expect_eq(st.task_unlinked[STITCH_TASK_UNKNOWN], 1);
	stitch_free(s);
}

/* The process rule: a call from a task serving nothing joins the one
 * request its process serves, only if that one began before the call, and
 * never across processes. */
Test(stitch, process_rule_needs_one_request_that_began_first)
{
	struct stitch *s = sti_new(16, 16);
	struct stitch_conn_key in = sti_key(50000, 8080), out = sti_key(40000, 9090);
	struct stitch_task handler = { .id = 20, .start_ns = 1000 },
			   worker_early = { .id = 21, .start_ns = 900 },
			   worker = { .id = 21, .start_ns = 1100 };
	struct stitch_ids a, c;

	stitch_server_start(s, &in, STI_PID_B, &handler, NULL, NULL, &a);
	stitch_client_start(s, &out, STI_PID_B, &worker_early, NULL, NULL, NULL, &c);
	sti_expect_new_trace(&c);
	stitch_client_start(s, &out, STI_PID_A, &worker, NULL, NULL, NULL, &c);
	sti_expect_new_trace(&c);
	stitch_client_start(s, &out, STI_PID_B, &worker, NULL, NULL, NULL, &c);
	sti_expect_child(&c, a.trace_id, a.span_id, STITCH_THREAD);
	stitch_server_end(s, STI_PID_B, &handler, a.span_id);
	stitch_client_start(s, &out, STI_PID_B, &worker, NULL, NULL, NULL, &c);
	sti_expect_new_trace(&c);
	cr_expect_eq(sti_stats(s).task_links[STITCH_TASK_PROCESS], 1);
	stitch_free(s);
}
