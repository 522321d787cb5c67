// SPDX-License-Identifier: MIT
/* xoshiro256** seeded once from the kernel's CSPRNG: ids need uniqueness,
 * not secrecy, and the event loop must not make a syscall per span. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "ids.h"

static uint64_t state[4] = { 0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL,
			     0x94d049bb133111ebULL, 0x2545f4914f6cdd1dULL };

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(void)
{
	uint64_t result = rotl(state[1] * 5, 7) * 9, t = state[1] << 17;

	state[2] ^= state[0];
	state[3] ^= state[1];
	state[1] ^= state[2];
	state[0] ^= state[3];
	state[2] ^= t;
	state[3] = rotl(state[3], 45);
	return result;
}

int ids_init(void)
{
	uint64_t seed[4];

	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		return -errno;
	if (seed[0] | seed[1] | seed[2] | seed[3])
		memcpy(state, seed, sizeof(state));
	return 0;
}

void ids_random(uint8_t *out, size_t n)
{
	int nonzero = 0;

	do {
		for (size_t i = 0; i < n; i += 8) {
			uint64_t v = next_u64();
			size_t k = n - i < 8 ? n - i : 8;

			memcpy(out + i, &v, k);
		}
		for (size_t i = 0; i < n; i++)
			nonzero |= out[i];
	} while (!nonzero);
}

void ids_get_state(uint64_t out[4])
{
	memcpy(out, state, sizeof(state));
}

int ids_set_state(const uint64_t in[4])
{
	if (!(in[0] | in[1] | in[2] | in[3]))
		return -1;
	memcpy(state, in, sizeof(state));
	return 0;
}
