// SPDX-License-Identifier: MIT
/*
 * Fuzzes the four pure parsers in user/procinfo.c on the whole input: as
 * OTEL_RESOURCE_ATTRIBUTES text, as /proc/PID/cgroup text, as an environ
 * block and as a /proc/PID/stat line. The input sits in an exact-size heap buffer with no terminator and
 * every output lives in its own exact-size heap block filled with a poison
 * byte, so ASan sees any read past the input or write past an output.
 *
 * Checks: every string written is NUL-terminated inside its field; fields
 * a parser does not own keep their poison; return values match what was
 * written. Resource attributes: keys non-empty, unique, trimmed, never
 * service.name, each a substring of the input; parsing again is a no-op.
 * Container id: 64 lowercase hex digits, the same as a naive reference
 * scan picks (the last 64-digit word), "" and -1 otherwise. Kubernetes:
 * each name found is a non-empty substring of the input. Stat: a field's
 * value is the decimal digits a naive reference finds, field by field
 * after the last ')'.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procinfo.h"
#include "fuzz_check.h"

#define PI_POISON 0xa5
#define PI_CID_LEN 72

static char *pi_dup(const uint8_t *s, size_t n)
{
	char *p = malloc(n ? n : 1);

	CHECK(p);
	memcpy(p, s, n);
	return p;
}

static int pi_is_poison(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != PI_POISON)
			return 0;
	return 1;
}

/* The string in field[cap] ends inside it. */
static size_t pi_str_len(const char *field, size_t cap)
{
	const char *nul = memchr(field, '\0', cap);

	CHECK(nul);
	return (size_t)(nul - field);
}

static int pi_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Everything but service_name, n_attrs and attrs still poisoned. */
static void pi_check_other_fields(const struct procinfo *pi)
{
	CHECK(pi_is_poison(&pi->pid, sizeof(pi->pid)));
	CHECK(pi_is_poison(&pi->start_time, sizeof(pi->start_time)));
	CHECK(pi_is_poison(pi->comm, sizeof(pi->comm)));
	CHECK(pi_is_poison(pi->exe_name, sizeof(pi->exe_name)));
	CHECK(pi_is_poison(pi->exe_path, sizeof(pi->exe_path)));
	CHECK(pi_is_poison(pi->container_id, sizeof(pi->container_id)));
}

static void pi_fuzz_attrs(const uint8_t *data, size_t size)
{
	char *text = pi_dup(data, size);
	struct procinfo *pi = malloc(sizeof(*pi)), *again = malloc(sizeof(*pi));
	int preset = size && (data[0] & 1), rc, svc_filled;
	size_t text_n = strnlen(text, size);

	CHECK(pi && again);
	memset(pi, PI_POISON, sizeof(*pi));
	pi->n_attrs = 0;
	if (preset)
		strcpy(pi->service_name, "preset");
	else
		pi->service_name[0] = '\0';

	rc = procinfo_parse_resource_attributes(text, size, pi);
	CHECK(rc >= 0 && rc <= PROCINFO_ATTRS_MAX + 1);
	CHECK(pi->n_attrs <= PROCINFO_ATTRS_MAX);
	pi_str_len(pi->service_name, sizeof(pi->service_name));
	if (preset)
		CHECK(strcmp(pi->service_name, "preset") == 0);
	svc_filled = !preset && pi->service_name[0];
	CHECK((uint32_t)rc == pi->n_attrs + (uint32_t)svc_filled);
	for (uint32_t i = 0; i < pi->n_attrs; i++) {
		const struct resource_attr *a = &pi->attrs[i];
		size_t kn = pi_str_len(a->key, sizeof(a->key));

		pi_str_len(a->value, sizeof(a->value));
		CHECK(kn > 0);
		CHECK(!pi_space(a->key[0]) && !pi_space(a->key[kn - 1]));
		CHECK(strcmp(a->key, "service.name") != 0);
		CHECK(memmem(text, text_n, a->key, kn));
		for (uint32_t j = 0; j < i; j++)
			CHECK(strcmp(pi->attrs[j].key, a->key) != 0);
	}
	for (uint32_t i = pi->n_attrs; i < PROCINFO_ATTRS_MAX; i++)
		CHECK(pi_is_poison(&pi->attrs[i], sizeof(pi->attrs[i])));
	pi_check_other_fields(pi);
	CHECK(pi_is_poison(pi->k8s_pod_name, sizeof(pi->k8s_pod_name)));
	CHECK(pi_is_poison(pi->k8s_namespace, sizeof(pi->k8s_namespace)));

	/* the same text again: every key is known, the values are the same */
	memcpy(again, pi, sizeof(*pi));
	CHECK(procinfo_parse_resource_attributes(text, size, again) == 0);
	CHECK(memcmp(again, pi, sizeof(*pi)) == 0);
	free(again);
	free(pi);
	free(text);
}

static int pi_lhex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int pi_word(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Naive reference: the last i with a whole 64-digit word at i, or -1. */
static long pi_ref_cid(const char *t, size_t n)
{
	long found = -1;

	for (size_t i = 0; i + 64 <= n; i++) {
		size_t k;

		if (i > 0 && pi_word(t[i - 1]))
			continue;
		for (k = 0; k < 64 && pi_lhex(t[i + k]); k++)
			;
		if (k == 64 && (i + 64 == n || !pi_word(t[i + 64])))
			found = (long)i;
	}
	return found;
}

static void pi_fuzz_container_id(const uint8_t *data, size_t size)
{
	char *text = pi_dup(data, size), *out = malloc(PI_CID_LEN), *small = malloc(64);
	long want = pi_ref_cid(text, size);
	int rc;

	CHECK(out && small);
	memset(out, PI_POISON, PI_CID_LEN);
	rc = procinfo_container_id(text, size, out, PI_CID_LEN);
	if (want < 0) {
		CHECK(rc == -1);
		CHECK(out[0] == '\0');
		CHECK(pi_is_poison(out + 1, PI_CID_LEN - 1));
	} else {
		CHECK(rc == 0);
		CHECK(pi_str_len(out, PI_CID_LEN) == 64);
		CHECK(memcmp(out, text + want, 64) == 0);
		CHECK(pi_is_poison(out + 65, PI_CID_LEN - 65));
	}
	/* too small to hold an id: always -1 with "" */
	memset(small, PI_POISON, 64);
	CHECK(procinfo_container_id(text, size, small, 64) == -1);
	CHECK(small[0] == '\0' && pi_is_poison(small + 1, 63));
	free(small);
	free(out);
	free(text);
}

static void pi_fuzz_k8s(const uint8_t *data, size_t size)
{
	char *env = pi_dup(data, size);
	struct procinfo *pi = malloc(sizeof(*pi));
	int rc, set = 0;

	CHECK(pi);
	memset(pi, PI_POISON, sizeof(*pi));
	rc = procinfo_k8s_from_environ(env, size, pi);
	CHECK(rc >= 0 && rc <= 2);
	if (!pi_is_poison(pi->k8s_pod_name, sizeof(pi->k8s_pod_name))) {
		size_t n = pi_str_len(pi->k8s_pod_name, sizeof(pi->k8s_pod_name));

		CHECK(n > 0 && memmem(env, size, pi->k8s_pod_name, n));
		set++;
	}
	if (!pi_is_poison(pi->k8s_namespace, sizeof(pi->k8s_namespace))) {
		size_t n = pi_str_len(pi->k8s_namespace, sizeof(pi->k8s_namespace));

		CHECK(n > 0 && memmem(env, size, pi->k8s_namespace, n));
		set++;
	}
	CHECK(rc == set);
	pi_check_other_fields(pi);
	CHECK(pi_is_poison(pi->service_name, sizeof(pi->service_name)));
	CHECK(pi_is_poison(&pi->n_attrs, sizeof(pi->n_attrs)));
	CHECK(pi_is_poison(pi->attrs, sizeof(pi->attrs)));
	free(pi);
	free(env);
}

/* The reference: split after the last ')' at each single space. */
static uint64_t pi_ref_stat_field(const char *s, size_t n, unsigned int want)
{
	const char *p = memrchr(s, ')', n), *end = s + n;
	unsigned int field = 2;
	uint64_t v = 0;

	if (!p || want < 3)
		return 0;
	p++;
	for (; field < want; field++) {
		if (p >= end || *p != ' ')
			return 0;
		p++;
		if (field + 1 < want)
			while (p < end && *p != ' ')
				p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return 0;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return v;
}

static void pi_fuzz_stat(const uint8_t *data, size_t size)
{
	char *s = pi_dup(data, size);

	for (unsigned int f = 0; f < 26; f++)
		CHECK(procinfo_stat_field(s, size, f) == pi_ref_stat_field(s, size, f));
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pi_fuzz_stat(data, size);
	pi_fuzz_attrs(data, size);
	pi_fuzz_container_id(data, size);
	pi_fuzz_k8s(data, size);
	return 0;
}
