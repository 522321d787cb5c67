// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>

#include "proto_states.h"

static const struct proto ps_a = { .name = "a", .id = 1, .state_size = 100 };
static const struct proto ps_b = { .name = "b", .id = 2, .state_size = 4000 };

static struct proto_states_stats ps_stats(const struct proto_states *s)
{
	struct proto_states_stats st;

	proto_states_get_stats(s, &st);
	return st;
}

/* A state given back is the next one taken, of its protocol only. */
Test(proto_states, reuses_last_in_first_out_per_protocol)
{
	struct proto_states *s = proto_states_new(4);
	void *a1 = proto_states_take(s, &ps_a), *a2 = proto_states_take(s, &ps_a);
	void *b1;

	cr_assert(a1 && a2 && a1 != a2);
	proto_states_give(s, &ps_a, a1);
	proto_states_give(s, &ps_a, a2);
	cr_expect_eq(ps_stats(s).spare, 2);
	b1 = proto_states_take(s, &ps_b);
	cr_expect(b1 != a1 && b1 != a2, "another protocol's spare is never handed out");
	cr_expect_eq(proto_states_take(s, &ps_a), a2);
	cr_expect_eq(proto_states_take(s, &ps_a), a1);
	cr_expect_eq(ps_stats(s).allocated, 3);
	cr_expect_eq(ps_stats(s).reused, 2);
	cr_expect_eq(ps_stats(s).spare, 0);
	proto_states_give(s, &ps_a, a1);
	proto_states_give(s, &ps_a, a2);
	proto_states_give(s, &ps_b, b1);
	proto_states_give(s, &ps_b, NULL);
	cr_expect_eq(ps_stats(s).spare, 3);
	proto_states_free(s); /* the spares with it (ASan: no leak) */
}

/* Beyond `keep` spares of a protocol, a state goes back to the allocator. */
Test(proto_states, keeps_a_bounded_number_spare)
{
	struct proto_states *s = proto_states_new(2);
	void *st[5];

	for (int i = 0; i < 5; i++)
		st[i] = proto_states_take(s, &ps_b);
	for (int i = 0; i < 5; i++)
		proto_states_give(s, &ps_b, st[i]);
	cr_expect_eq(ps_stats(s).spare, 2);
	cr_expect_eq(proto_states_take(s, &ps_b), st[1]);
	cr_expect_eq(proto_states_take(s, &ps_b), st[0]);
	cr_expect_eq(ps_stats(s).allocated, 5);
	proto_states_give(s, &ps_b, st[0]);
	proto_states_give(s, &ps_b, st[1]);
	proto_states_free(s);
}
