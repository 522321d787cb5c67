/* SPDX-License-Identifier: MIT */
/* The fuzzers' one assertion: a failed check is a crash libFuzzer keeps. */
#ifndef ZT_FUZZ_CHECK_H
#define ZT_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

#endif /* ZT_FUZZ_CHECK_H */
