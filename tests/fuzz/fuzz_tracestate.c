// SPDX-License-Identifier: MIT
/*
 * Fuzzes the sampling half of user/sampler.c: the tracestate's ot member
 * read (sample_ot_parse) and rewritten with a threshold set or erased
 * (sample_tracestate_put). The input is one tracestate value in an
 * exact-size heap buffer with no terminator, so ASan sees any read past n;
 * its first byte also picks the decision and the output's size.
 *
 * Checks: the rewrite is NUL-terminated at the length it returns and fits;
 * read back, it holds exactly the threshold written (or none when erased,
 * or no ot member at all when th did not fit), and no member "ot=" but at
 * its start; at most 32 members; rewriting the output again with the same
 * decision gives the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sampler.h"
#include "fuzz_check.h"

#define TS_MAX 512

static void ts_check_rewrite(const char *in, const struct sample_decision *d, size_t cap)
{
	char out[TS_MAX], again[TS_MAX];
	struct sample_ot ot;
	size_t n = sample_tracestate_put(out, cap, in, d), members = 0;

	CHECK(n < cap);
	CHECK(out[n] == '\0' && strlen(out) == n);
	sample_ot_parse(out, n, &ot);
	/* a th that does not fit takes the whole ot member with it */
	CHECK(ot.has_th == d->has_th || (d->has_th && strncmp(out, "ot=", 3) != 0));
	if (ot.has_th)
		CHECK(ot.th == (d->th & (SAMPLE_SPAN - 1)));
	for (const char *p = strstr(out, "ot="); p; p = strstr(p + 1, "ot="))
		CHECK(p == out || p[-1] != ',');
	/* W3C's limit: 32 list-members */
	for (const char *p = out; *p; p++)
		members += *p == ',';
	CHECK(!n || members + 1 <= SAMPLE_TRACESTATE_MEMBERS_MAX);
	CHECK(sample_tracestate_put(again, cap, out, d) == n);
	CHECK(memcmp(again, out, n + 1) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sample_decision d = { 0 };
	struct sample_ot ot;
	char *v, *z;

	if (size == 0 || size >= TS_MAX)
		return 0;
	v = malloc(size);
	CHECK(v);
	memcpy(v, data, size);
	sample_ot_parse(v, size, &ot);
	if (ot.has_th)
		CHECK(ot.th < SAMPLE_SPAN);
	if (ot.has_rv)
		CHECK(ot.rv < SAMPLE_SPAN);
	free(v);

	/* the rewrite reads a C string: the input up to its first NUL */
	z = malloc(size + 1);
	CHECK(z);
	memcpy(z, data, size);
	z[size] = '\0';
	d.has_th = data[0] & 1;
	d.th = d.has_th ? sample_threshold((double)(data[0] | 1) / 256.0, SAMPLE_PRECISION) : 0;
	ts_check_rewrite(z, &d, 256);
	ts_check_rewrite(z, &d, 1 + data[0] % 64);
	free(z);
	return 0;
}
