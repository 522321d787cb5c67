// SPDX-License-Identifier: MIT
/*
 * user/sampler.c: OpenTelemetry consistent probability sampling, pinned to
 * the worked examples of the specification ("TraceState: Probability
 * Sampling", the 1-in-N table at precision 3, 4 and 5, and the 1 % example),
 * the tracestate's ot member read and rewritten, and the decisions; and the
 * stitcher handing one decision to every span of a trace.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "events.h"
#include "sampler.h"
#include "stitch.h"

static const char *th_text(uint64_t th)
{
	static char out[SAMPLE_TH_TEXT_MAX];

	sample_th_format(th, out);
	return out;
}

/* The specification's table: 1-in-N, the th value at precision 3, 4, 5. */
Test(sampler, threshold_matches_the_specification_table)
{
	static const struct {
		double p;
		const char *th[3];
	} rows[] = {
		{ 1, { "0", "0", "0" } },
		{ 0.5, { "8", "8", "8" } },
		{ 1.0 / 3, { "aab", "aaab", "aaaab" } },
		{ 0.25, { "c", "c", "c" } },
		{ 0.2, { "ccd", "cccd", "ccccd" } },
		{ 0.125, { "e", "e", "e" } },
		{ 0.1, { "e66", "e666", "e6666" } },
		{ 0.0625, { "f", "f", "f" } },
		{ 0.01, { "fd71", "fd70a", "fd70a4" } },
		{ 0.001, { "ffbe7", "ffbe77", "ffbe76d" } },
		{ 0.0001, { "fff972", "fff9724", "fff97247" } },
		{ 0.00001, { "ffff584", "ffff583a", "ffff583a5" } },
		{ 0.000001, { "ffffef4", "ffffef39", "ffffef391" } },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (int prec = 3; prec <= 5; prec++)
			cr_expect_str_eq(th_text(sample_threshold(rows[i].p, prec)),
					 rows[i].th[prec - 3], "p=%g precision %d", rows[i].p, prec);
}

/* "(1-0.01) * 2^56 ≈ 71337018784743424 = 0xfd70a400000000", th fd70a4. */
Test(sampler, one_percent_example)
{
	cr_expect_eq(sample_threshold(0.01, 5), 71337018784743424ULL);
	cr_expect_str_eq(th_text(0xfd70a400000000ULL), "fd70a4");
	cr_expect_eq(sample_threshold(0.25, SAMPLE_PRECISION), 0xc0000000000000ULL);
	cr_expect_eq(sample_threshold(1, SAMPLE_PRECISION), 0);
}

Test(sampler, th_text_forms)
{
	char out[SAMPLE_TH_TEXT_MAX];

	cr_expect_eq(sample_th_format(0, out), 1);
	cr_expect_str_eq(out, "0");
	cr_expect_eq(sample_th_format(0x80000000000000ULL, out), 1);
	cr_expect_str_eq(out, "8");
	cr_expect_eq(sample_th_format(0xffffffffffffffULL, out), 14);
	cr_expect_str_eq(out, "ffffffffffffff");
	cr_expect_eq(sample_th_format(0x00000000000001ULL, out), 14);
	cr_expect_str_eq(out, "00000000000001");
}

Test(sampler, ot_member_parsed)
{
	struct sample_ot ot;

	cr_expect_eq(sample_ot_parse("ot=th:c;rv:0123456789abcd,vendor=x", 34, &ot), 1);
	cr_expect_eq(ot.has_th, 1);
	cr_expect_eq(ot.th, 0xc0000000000000ULL);
	cr_expect_eq(ot.has_rv, 1);
	cr_expect_eq(ot.rv, 0x0123456789abcdULL);

	/* another member first, OWS around the list's members */
	cr_expect_eq(sample_ot_parse("vendor=a , ot=th:fd70a4 ", 24, &ot), 1);
	cr_expect_eq(ot.th, 0xfd70a400000000ULL);
	cr_expect_eq(ot.has_rv, 0);

	/* th:0 is 100 %, a threshold like any other */
	cr_expect_eq(sample_ot_parse("ot=th:0", 7, &ot), 1);
	cr_expect_eq(ot.has_th, 1);
	cr_expect_eq(ot.th, 0);
}

Test(sampler, bad_sub_keys_ignored)
{
	static const char *const bad[] = {
		"ot=th:C",               /* upper case */
		"ot=th:",                /* empty */
		"ot=th:123456789abcdef", /* 15 digits */
		"ot=th:1g",              /* not hex */
		"ot=rv:123",             /* rv is exactly 14 digits */
		"ot=rv:0123456789abcde",
	};
	struct sample_ot ot;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(sample_ot_parse(bad[i], strlen(bad[i]), &ot), 1, "%s", bad[i]);
		cr_expect_eq(ot.has_th, 0, "%s", bad[i]);
		cr_expect_eq(ot.has_rv, 0, "%s", bad[i]);
	}
	/* no ot member: a key that only ends in "ot", or none at all */
	cr_expect_eq(sample_ot_parse("xot=th:8", 8, &ot), 0);
	cr_expect_eq(ot.has_th, 0);
	cr_expect_eq(sample_ot_parse("", 0, &ot), 0);
	/* the length bounds the read: "ot=th:8" cut before its value */
	cr_expect_eq(sample_ot_parse("ot=th:8", 6, &ot), 1);
	cr_expect_eq(ot.has_th, 0);
}

static const uint8_t trace_c0[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99,
				      0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
static const uint8_t trace_bf[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99,
				      0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

Test(sampler, randomness_from_low_bits_or_rv)
{
	struct sample_ot ot = { .rv = 0x0123456789abcdULL, .has_rv = 1 };

	cr_expect_eq(sample_randomness(trace_c0, NULL), 0xc0000000000000ULL);
	cr_expect_eq(sample_randomness(trace_bf, NULL), 0xbfffffffffffffULL);
	cr_expect_eq(sample_randomness(trace_c0, &ot), 0x0123456789abcdULL);
}

/* Kept when R >= T: at 25 %, T = 0xc0000000000000 exactly. */
Test(sampler, ratio_decides_at_the_threshold)
{
	struct sampler s;
	struct sample_decision d;

	sampler_init(&s, 0.25, 1, 0);
	sampler_decide_root(&s, trace_c0, NULL, &d);
	cr_expect_eq(d.sampled, 1);
	cr_expect_eq(d.reason, SAMPLE_RATIO);
	cr_expect_eq(d.has_th, 1);
	cr_expect_eq(d.th, 0xc0000000000000ULL);
	sampler_decide_root(&s, trace_bf, NULL, &d);
	cr_expect_eq(d.sampled, 0);
	cr_expect_eq(d.reason, SAMPLE_RATIO);
}

Test(sampler, no_ratio_keeps_all_and_writes_nothing)
{
	struct sampler s;
	struct sample_decision d;

	sampler_init(&s, 1, 0, 0);
	sampler_decide_root(&s, trace_bf, NULL, &d);
	cr_expect_eq(d.sampled, 1);
	cr_expect_eq(d.reason, SAMPLE_ALL);
	cr_expect_eq(d.has_th, 0);
	sampler_decide_root(NULL, trace_bf, NULL, &d);
	cr_expect_eq(d.sampled, 1);
	/* 1 set explicitly: every trace, and th:0 says so */
	sampler_init(&s, 1, 1, 0);
	sampler_decide_root(&s, trace_bf, NULL, &d);
	cr_expect_eq(d.sampled, 1);
	cr_expect_eq(d.has_th, 1);
	cr_expect_eq(d.th, 0);
}

Test(sampler, wire_flag_followed_unless_ignored)
{
	struct sampler s;
	struct sample_decision d;

	sampler_init(&s, 0.25, 1, 0);
	/* flag 1 on a trace the ratio would drop: kept, by the parent */
	sampler_decide_wire(&s, trace_bf, 1, NULL, &d);
	cr_expect_eq(d.sampled, 1);
	cr_expect_eq(d.reason, SAMPLE_PARENT);
	cr_expect_eq(d.has_th, 0, "no incoming threshold: none goes out");
	/* flag 0 on a trace the ratio would keep: dropped */
	sampler_decide_wire(&s, trace_c0, 0, NULL, &d);
	cr_expect_eq(d.sampled, 0);
	cr_expect_eq(d.reason, SAMPLE_PARENT);
	/* a B3 context without a flag: the ratio */
	sampler_decide_wire(&s, trace_bf, 2, NULL, &d);
	cr_expect_eq(d.sampled, 0);
	cr_expect_eq(d.reason, SAMPLE_RATIO);
	/* --sample-ignore-parent */
	sampler_init(&s, 0.25, 1, 1);
	sampler_decide_wire(&s, trace_bf, 1, NULL, &d);
	cr_expect_eq(d.sampled, 0);
	cr_expect_eq(d.reason, SAMPLE_RATIO);
	sampler_decide_wire(&s, trace_c0, 0, NULL, &d);
	cr_expect_eq(d.sampled, 1);
	cr_expect_eq(d.th, 0xc0000000000000ULL);
}

Test(sampler, incoming_threshold_kept_when_consistent)
{
	struct sampler s;
	struct sample_decision d;
	struct sample_ot ot = { .th = 0x80000000000000ULL, .has_th = 1 };

	sampler_init(&s, 0.25, 1, 0);
	/* R 0xc0.. >= th 8: consistent, the parent's th goes on */
	sampler_decide_wire(&s, trace_c0, 1, &ot, &d);
	cr_expect_eq(d.sampled, 1);
	cr_expect_eq(d.has_th, 1);
	cr_expect_eq(d.th, 0x80000000000000ULL);
	/* sampled, yet R < th: the threshold is erased, the flag still followed */
	ot.th = 0xe0000000000000ULL;
	sampler_decide_wire(&s, trace_c0, 1, &ot, &d);
	cr_expect_eq(d.sampled, 1);
	cr_expect_eq(d.has_th, 0);
	/* an rv beats the trace id's bits */
	ot = (struct sample_ot){ .th = 0xe0000000000000ULL, .has_th = 1,
				 .rv = 0xf0000000000000ULL, .has_rv = 1 };
	sampler_decide_wire(&s, trace_c0, 1, &ot, &d);
	cr_expect_eq(d.has_th, 1);
	cr_expect_eq(d.th, 0xe0000000000000ULL);
}

static const char *put(const char *in, int has_th, uint64_t th, size_t cap)
{
	static char out[300];
	struct sample_decision d = { .th = th, .has_th = (uint8_t)has_th, .sampled = 1 };
	size_t n = sample_tracestate_put(out, cap, in, &d);

	cr_expect_eq(n, strlen(out));
	return out;
}

Test(sampler, tracestate_rewritten_ot_first)
{
	cr_expect_str_eq(put("", 1, 0xc0000000000000ULL, 256), "ot=th:c");
	cr_expect_str_eq(put("vendor=x", 1, 0xc0000000000000ULL, 256), "ot=th:c,vendor=x");
	cr_expect_str_eq(put("vendor=x,ot=rv:0123456789abcd;th:8,b=2", 1, 0xc0000000000000ULL, 256),
			 "ot=th:c;rv:0123456789abcd,vendor=x,b=2");
	cr_expect_str_eq(put("ot=th:8,v=1", 0, 0, 256), "v=1");
	cr_expect_str_eq(put("ot=th:8;x:y", 0, 0, 256), "ot=x:y");
	cr_expect_str_eq(put("a=1 , ot=th:8 ,b=2", 1, 0, 256), "ot=th:0,a=1,b=2");
}

/* A list that no longer fits loses its last members, never half of one. */
Test(sampler, tracestate_members_dropped_from_the_end)
{
	char in[256];

	memset(in, 'v', sizeof(in));
	memcpy(in, "a=1,b=", 6);
	in[250] = '\0';
	cr_expect_str_eq(put(in, 1, 0xc0000000000000ULL, 256), "ot=th:c,a=1");
	cr_expect_str_eq(put("a=1,b=2", 1, 0xc0000000000000ULL, 12), "ot=th:c,a=1");
	/* th first: where not even it fits, nothing of the ot member */
	cr_expect_str_eq(put("a=1", 1, 0xc0000000000000ULL, 4), "a=1");
	cr_expect_str_eq(put("a=1", 1, 0xc0000000000000ULL, 1), "");
	/* nor its other sub-keys: without th they would say "unknown" */
	cr_expect_str_eq(put("ot=x:y,a=1", 1, 0xc0000000000000ULL, 6), "a=1");
}

/* "k0=1,k1=1,..." of n members after prefix, into out. */
static const char *members(char *out, size_t cap, const char *prefix, int n)
{
	size_t len = (size_t)snprintf(out, cap, "%s", prefix);

	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, cap - len, "%sk%d=1", i ? "," : "", i);
	return out;
}

/* W3C allows 32 members: a list of 32 others loses its last to the ot
 * member; an ot member already among them takes its own place. */
Test(sampler, tracestate_at_most_32_members)
{
	char in[300], want[300];

	members(in, sizeof(in), "", 32);
	cr_expect_str_eq(put(in, 1, 0xc0000000000000ULL, 300),
			 members(want, sizeof(want), "ot=th:c,", 31));
	/* no threshold: no ot member, all 32 stay */
	cr_expect_str_eq(put(in, 0, 0, 300), in);
	/* 33 with an ot member: it goes first, the 31 first others stay */
	members(in, sizeof(in), "ot=th:8,", 32);
	cr_expect_str_eq(put(in, 1, 0xc0000000000000ULL, 300),
			 members(want, sizeof(want), "ot=th:c,", 31));
	/* 32 with an ot member: all stay */
	members(in, sizeof(in), "ot=th:8,", 31);
	cr_expect_str_eq(put(in, 1, 0xc0000000000000ULL, 300),
			 members(want, sizeof(want), "ot=th:c,", 31));
}

/* Over many trace ids (a fixed sequence), the kept share is the ratio's. */
Test(sampler, kept_share_is_the_ratio)
{
	struct sampler s;
	struct sample_decision d;
	uint64_t x = 0x9e3779b97f4a7c15ULL, kept = 0;
	uint8_t id[16];

	sampler_init(&s, 0.25, 1, 0);
	for (int i = 0; i < 100000; i++) {
		for (int b = 0; b < 16; b += 8) {
			uint64_t z = (x += 0x9e3779b97f4a7c15ULL);

			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
			z ^= z >> 31;
			memcpy(id + b, &z, 8);
		}
		sampler_decide_root(&s, id, NULL, &d);
		kept += d.sampled;
	}
	cr_expect(kept > 24000 && kept < 26000, "kept %llu of 100000", (unsigned long long)kept);
}

static struct stitch_conn_key smp_key(uint16_t cport)
{
	struct stitch_conn_key k;
	uint8_t local[16] = { 0 }, remote[16] = { 0 };

	inet_pton(AF_INET, "10.0.0.2", local);
	inet_pton(AF_INET, "10.0.0.1", remote);
	stitch_conn_key_from_tuple(&k, ZT_ROLE_CLIENT, AF_INET, local, cport, remote, 8080);
	return k;
}

/* One decision per trace: a server span's calls (rule 3) and the servers
 * they reach on this node (rule 2) carry the head's, whatever their own
 * trace id's bits would say. */
Test(sampler, stitcher_hands_the_head_decision_down)
{
	struct stitch *st = stitch_new(64, 64);
	struct sampler s;
	struct stitch_conn_key in = smp_key(40000), out = smp_key(40001);
	struct stitch_ids root, call, callee;
	struct trace_context w = { .sampled = 0 };
	int kept = 0, dropped = 0;

	cr_assert_not_null(st);
	sampler_init(&s, 0.25, 1, 0);
	stitch_set_sampler(st, &s);
	for (int i = 0; i < 64; i++) {
		struct stitch_task th = { .id = 100 }, th2 = { .id = 200 };

		stitch_server_start(st, &in, 1000, &th, NULL, NULL, &root);
		cr_expect_eq(root.sample.reason, SAMPLE_RATIO);
		cr_expect_eq(root.sample.sampled,
			     sample_randomness(root.trace_id, NULL) >= 0xc0000000000000ULL);
		stitch_client_start(st, &out, 1000, &th, NULL, NULL, NULL, &call);
		cr_expect_eq(call.rule, STITCH_THREAD);
		stitch_server_start(st, &out, 2000, &th2, NULL, NULL, &callee);
		cr_expect_eq(callee.rule, STITCH_CONNECTION);
		cr_expect_eq(root.sample.head, 1, "the trace's head here decided");
		cr_expect_eq(call.sample.head, 0);
		cr_expect_eq(callee.sample.head, 0);
		call.sample.head = callee.sample.head = 1;
		cr_expect_arr_eq(&call.sample, &root.sample, sizeof(root.sample));
		cr_expect_arr_eq(&callee.sample, &root.sample, sizeof(root.sample));
		kept += root.sample.sampled;
		dropped += !root.sample.sampled;
		stitch_server_end(st, 2000, &th2, callee.span_id);
		stitch_client_end(st, &out, call.span_id);
		stitch_server_end(st, 1000, &th, root.span_id);
	}
	cr_expect(kept > 0 && dropped > 0, "64 traces: %d kept, %d dropped", kept, dropped);

	/* a wire context with the flag 0: its calls are sampled out too */
	memcpy(w.trace_id, trace_c0, 16);
	memset(w.span_id, 0x5a, 8);
	{
		struct stitch_task th = { .id = 300 };

		stitch_server_start(st, &in, 1000, &th, &w, NULL, &root);
		cr_expect_eq(root.sample.sampled, 0);
		cr_expect_eq(root.sample.reason, SAMPLE_PARENT);
		cr_expect_eq(root.sample.head, 1, "its parent is not on this node");
		stitch_client_start(st, &out, 1000, &th, NULL, NULL, NULL, &call);
		cr_expect_eq(call.sample.sampled, 0);
		cr_expect_eq(call.sample.reason, SAMPLE_PARENT);
		stitch_client_end(st, &out, call.span_id);
	}
	/* a call whose ids the kernel chose (--inject-traceparent) in the
	 * trace its task serves: that request's decision; in another trace,
	 * the ratio's */
	{
		struct stitch_task th = { .id = 300 };
		struct stitch_ids kernel = { .rule = STITCH_KERNEL, .has_parent = 1 };

		memcpy(kernel.trace_id, trace_c0, 16);
		memset(kernel.span_id, 0x77, 8);
		memcpy(kernel.parent_id, root.span_id, 8);
		stitch_client_start(st, &out, 1000, &th, NULL, &kernel, NULL, &call);
		cr_expect_eq(call.rule, STITCH_KERNEL);
		cr_expect_eq(call.sample.sampled, 0);
		cr_expect_eq(call.sample.reason, SAMPLE_PARENT);
		stitch_client_end(st, &out, call.span_id);
		memcpy(kernel.trace_id, trace_bf, 16);
		stitch_client_start(st, &out, 1000, &th, NULL, &kernel, NULL, &call);
		cr_expect_eq(call.sample.sampled, 0);
		cr_expect_eq(call.sample.reason, SAMPLE_RATIO);
		memcpy(kernel.trace_id, trace_c0, 16);
		kernel.trace_id[0] = 0x12;
		stitch_client_end(st, &out, call.span_id);
		stitch_client_start(st, &out, 1000, &th, NULL, &kernel, NULL, &call);
		cr_expect_eq(call.sample.sampled, 1);
		cr_expect_eq(call.sample.reason, SAMPLE_RATIO);
	}
	stitch_free(st);
}
