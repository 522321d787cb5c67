// SPDX-License-Identifier: MIT
/*
 * user/sample_control.c: the ratio halves while the export queue is past
 * half full or the CPU past its budget (at most every 100 ms), doubles back
 * after 3 s of calm, never past the configured ratio nor under 1/1024.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "sample_control.h"

#define MS 1000000ULL
#define T0 (1000 * 1000 * MS)

static double step(struct sample_control *c, uint64_t depth, double cpu, int cpu_valid,
		   uint64_t at_ms)
{
	struct sample_pressure p = { .queue_depth = depth, .queue_capacity = 2048, .cpu = cpu,
				     .cpu_valid = cpu_valid };

	return sample_control_step(c, &p, T0 + at_ms * MS);
}

Test(sample_control, a_full_queue_halves_then_calm_doubles_back)
{
	struct sample_control c;

	sample_control_init(&c, 1, 0);
	cr_expect_eq(step(&c, 1023, 0, 0, 0), 1.0, "under the high-water mark");
	cr_expect_eq(step(&c, 1024, 0, 0, 10), 0.5);
	cr_expect_eq(step(&c, 2000, 0, 0, 100), 0.5, "not twice within 100 ms");
	cr_expect_eq(step(&c, 2000, 0, 0, 110), 0.25);
	cr_expect_eq(step(&c, 1500, 0, 0, 210), 0.125);
	/* between the marks: neither falls nor counts as calm */
	cr_expect_eq(step(&c, 300, 0, 0, 800), 0.125);
	cr_expect_eq(step(&c, 256, 0, 0, 900), 0.125, "calm from here");
	cr_expect_eq(step(&c, 10, 0, 0, 3899), 0.125);
	cr_expect_eq(step(&c, 10, 0, 0, 3900), 0.25);
	cr_expect_eq(step(&c, 0, 0, 0, 5000), 0.25, "3 s since the last rise");
	cr_expect_eq(step(&c, 0, 0, 0, 6900), 0.5);
	cr_expect_eq(step(&c, 0, 0, 0, 9900), 1.0);
	cr_expect_eq(step(&c, 0, 0, 0, 20000), 1.0, "never past the configured ratio");
	cr_expect_eq(c.falls, 3);
	cr_expect_eq(c.rises, 3);
}

Test(sample_control, configured_ratio_is_the_ceiling_and_the_floor_holds)
{
	struct sample_control c;
	uint64_t t = 0;

	sample_control_init(&c, 0.25, 0);
	for (int i = 0; i < 20; i++, t += 100)
		step(&c, 2048, 0, 0, t);
	cr_expect_eq(c.ratio, SAMPLE_CONTROL_MIN_RATIO);
	cr_expect_eq(c.falls, 8, "0.25 -> 1/1024 in 8 halvings");
	for (int i = 0; i < 40; i++, t += 1000)
		step(&c, 0, 0, 0, t);
	cr_expect_eq(c.ratio, 0.25);
}

/* --cpu-budget 50: over 0.5 of a CPU falls, under 0.4 is calm, between
 * holds; an unmeasured CPU neither. */
Test(sample_control, cpu_budget)
{
	struct sample_control c;

	sample_control_init(&c, 1, 0.5);
	cr_expect_eq(step(&c, 0, 0.6, 0, 0), 1.0, "not measured this turn");
	cr_expect_eq(step(&c, 0, 0.6, 1, 1000), 0.5);
	cr_expect_eq(step(&c, 0, 0.45, 1, 2000), 0.5);
	cr_expect_eq(step(&c, 0, 0.39, 1, 3000), 0.5, "calm from here");
	cr_expect_eq(step(&c, 0, 0, 0, 5999), 0.5);
	cr_expect_eq(step(&c, 0, 0.3, 1, 6000), 1.0);
	/* without a budget the CPU does not count */
	sample_control_init(&c, 1, 0);
	cr_expect_eq(step(&c, 0, 5.0, 1, 0), 1.0);
}

