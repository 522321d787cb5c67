// SPDX-License-Identifier: MIT
/*
 * Fuzzes the baseline-free payload rules (user/security/payload_rules.c)
 * and the identity key text (user/security/identity.c).
 *
 * Input: byte 0 picks the db.system.name (none, redis, postgresql, mysql,
 * mariadb) and, with bit 3, whether the rest is read as it is or as a
 * sequence of tokens (one per byte: "..", "%2e", "OR", "COPY", ...) that
 * random bytes rarely spell; byte 1 is a small detail buffer size. The
 * rest is split at 0xfe into url.path, url.query, db.operation.name and
 * db.query.text (each may hold NULs, as span attributes may).
 *
 * Checks: payload_check sets only payload rule bits, its detail is
 * terminated, empty exactly when nothing tripped, and with a small buffer
 * a prefix of the large one's; payload_check agrees with the rule
 * functions it is made of; a path that climbs reads as climbing in a query
 * too; a stacked query has a ';', a tautology an OR. Every buffer is
 * malloc'd to its exact size so ASan sees any over-read. Then an identity
 * built from the same bytes goes through identity_key -> identity_from_key
 * unchanged, identity_from_key over the raw bytes gives a key that parses
 * back the same, and identity_workload_of_pod returns a prefix of the pod.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alert.h"
#include "identity.h"
#include "payload_rules.h"
#include "fuzz_check.h"

#define PAYLOAD_BITS                                                                   \
	(1u << ALERT_HTTP_PATH_TRAVERSAL | 1u << ALERT_REDIS_DANGEROUS |               \
	 1u << ALERT_SQL_COMMAND_EXEC | 1u << ALERT_SQL_STACKED | 1u << ALERT_SQL_TAUTOLOGY)

static const char *const systems[] = { NULL, "redis", "postgresql", "mysql", "mariadb", "" };
#define N_SYSTEMS (sizeof(systems) / sizeof(systems[0]))

/* Pieces of attacks and their near misses. */
static const char *const tokens[] = {
	"..", ".", "/", "\\", ";", "%2e", "%2E", "%2f", "%5c", "%25", "%c0%ae", "%c0%af",
	"%e0%80%ae", "%u002e", "%u2216", "%", "=", "&", "a", "etc", " ", "?", "OR", "or", "AND",
	"TRUE", "(", ")", "'", "\"", "`", "--", "#", "-", "COPY", "PROGRAM", "FROM", "TO",
	"STDIN", "SELECT", "INTO", "OUTFILE", "DUMPFILE", "lo_import", "pg_read_file", "LOAD_FILE",
	"CREATE", "FUNCTION", "LANGUAGE", "C", "SONAME", "ORDER", "LIMIT", "GROUP", "x", "1",
	"CONFIG SET", "SLAVEOF", "MODULE LOAD", "\n", "\t", "$1",
};
#define N_TOKENS (sizeof(tokens) / sizeof(tokens[0]))

/* One field in an exact-size buffer. */
static char *dup_exact(const uint8_t *p, size_t n)
{
	char *s = malloc(n ? n : 1);

	CHECK(s);
	memcpy(s, p, n);
	return s;
}

/* The same, NUL-terminated (cut at its first NUL). */
static char *dup_cstr(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	CHECK(s);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static int has_ci(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);

	for (size_t i = 0; i + k <= n; i++)
		if (!strncasecmp(s + i, w, k))
			return 1;
	return 0;
}

static void check_rules(const char *f, size_t n)
{
	char *exact = dup_exact((const uint8_t *)f, n), *c = dup_cstr((const uint8_t *)f, n);
	int path = payload_path_traversal(exact, n), query = payload_query_traversal(exact, n);
	int stacked = payload_sql_stacked(exact, n), taut = payload_sql_tautology(exact, n);
	int pg = payload_sql_command_exec("postgresql", exact, n);
	int my = payload_sql_command_exec("mysql", exact, n);
	int redis = payload_redis_dangerous(c);

	CHECK(path == 0 || path == 1);
	CHECK(query == 0 || query == 1);
	CHECK(!path || query);
	CHECK(stacked == 0 || stacked == 1);
	CHECK(!stacked || memchr(exact, ';', n));
	CHECK(taut == 0 || taut == 1);
	CHECK(!taut || has_ci(exact, n, "or"));
	CHECK(pg == 0 || pg == 1);
	CHECK(my == 0 || my == 1);
	CHECK(redis == 0 || redis == 1);
	free(c);
	free(exact);
}

/* The attributes of a span, as payload_check finds them. */
struct fields {
	const char *v[4];
	size_t n[4];
};

static const char *const keys[4] = { "url.path", "url.query", "db.operation.name", "db.query.text" };

static void check_span(const struct fields *x, const char *system, size_t small)
{
	static struct span s;
	char big[512], *tiny = malloc(small ? small : 1);
	uint32_t bits, bits2, want = 0;
	char op[64] = "";

	CHECK(tiny);
	memset(&s.attrs, 0, sizeof(s.attrs));
	if (system)
		span_attrs_cstr(&s.attrs, "db.system.name", system);
	for (int i = 0; i < 4; i++)
		if (x->v[i])
			span_attrs_str(&s.attrs, keys[i], x->v[i], x->n[i]);
	bits = payload_check(&s, big, sizeof(big));
	CHECK((bits & ~PAYLOAD_BITS) == 0);
	CHECK(memchr(big, 0, sizeof(big)));
	CHECK(!bits == !big[0]);
	bits2 = payload_check(&s, small ? tiny : NULL, small);
	CHECK(bits2 == bits);
	if (small)
		CHECK(strlen(tiny) < small && !strncmp(tiny, big, strlen(tiny)));
	free(tiny);
	if (s.attrs.overflow)
		return;

	/* the same answer from the parts */
	if (x->v[0] && payload_path_traversal(x->v[0], x->n[0]))
		want |= 1u << ALERT_HTTP_PATH_TRAVERSAL;
	if (x->v[1] && payload_query_traversal(x->v[1], x->n[1]))
		want |= 1u << ALERT_HTTP_PATH_TRAVERSAL;
	if (system && !strcmp(system, "redis") && x->v[2] && x->n[2] < sizeof(op)) {
		memcpy(op, x->v[2], x->n[2]);
		if (payload_redis_dangerous(op))
			want |= 1u << ALERT_REDIS_DANGEROUS;
	}
	if (system && (!strcmp(system, "postgresql") || !strcmp(system, "mysql") ||
		       !strcmp(system, "mariadb")) && x->v[3]) {
		const char *dialect = !strcmp(system, "postgresql") ? "postgresql" : "mysql";

		if (payload_sql_command_exec(dialect, x->v[3], x->n[3]))
			want |= 1u << ALERT_SQL_COMMAND_EXEC;
		if (payload_sql_stacked(x->v[3], x->n[3]))
			want |= 1u << ALERT_SQL_STACKED;
		if (payload_sql_tautology(x->v[3], x->n[3]))
			want |= 1u << ALERT_SQL_TAUTOLOGY;
	}
	CHECK(bits == want);
}

/* Splits buf at 0xfe into the four fields (exact-size copies) and checks. */
static void check_input(const uint8_t *buf, size_t len, const char *system, size_t small)
{
	struct fields x;
	char *copies[4] = { 0 };
	size_t at = 0;

	memset(&x, 0, sizeof(x));
	for (int i = 0; i < 4 && at <= len; i++) {
		const uint8_t *sep = len > at ? memchr(buf + at, 0xfe, len - at) : NULL;
		size_t n = sep ? (size_t)(sep - (buf + at)) : len - at;

		copies[i] = dup_exact(buf + at, n);
		x.v[i] = copies[i];
		x.n[i] = n;
		check_rules(copies[i], n);
		at += n + 1;
		if (!sep)
			break;
	}
	check_span(&x, system, small);
	for (int i = 0; i < 4; i++)
		free(copies[i]);
}

/* The bytes as tokens, one per byte, in an exact-size buffer (0xfe stays a
 * separator). */
static size_t tokenize(const uint8_t *data, size_t size, uint8_t **out)
{
	size_t len = 0, i;

	for (i = 0; i < size; i++)
		len += data[i] == 0xfe ? 1 : strlen(tokens[data[i] % N_TOKENS]);
	*out = malloc(len ? len : 1);
	CHECK(*out);
	for (len = 0, i = 0; i < size; i++) {
		const char *t = data[i] == 0xfe ? "\xfe" : tokens[data[i] % N_TOKENS];

		memcpy(*out + len, t, strlen(t));
		len += strlen(t);
	}
	return len;
}

static void check_identity(const uint8_t *data, size_t size)
{
	struct alert_identity id, back, again;
	char key[IDENTITY_KEY_MAX], key2[IDENTITY_KEY_MAX];
	char *raw = dup_exact(data, size), *pod = dup_cstr(data, size), wl[32];
	size_t n, at = 0;

	/* an identity from the bytes: fields cut at 0xfe, in one of the two forms */
	memset(&id, 0, sizeof(id));
	{
		char *dst[4] = { id.service, id.k8s_namespace, id.k8s_workload, id.exe };
		size_t cap[4] = { sizeof(id.service), sizeof(id.k8s_namespace), sizeof(id.k8s_workload),
				  sizeof(id.exe) };
		int addr = size && (data[0] & 1);

		if (addr) {
			dst[0] = id.address;
			cap[0] = sizeof(id.address);
		}
		for (int f = 0; f < (addr ? 1 : 4); f++) {
			size_t o = 0;

			while (at < size && data[at] != 0xfe && o + 1 < cap[f]) {
				if (data[at])
					dst[f][o++] = (char)data[at];
				at++;
			}
			dst[f][o] = '\0';
			at++;
		}
		if (addr && !id.address[0])
			strcpy(id.address, "-");
	}
	n = identity_key(&id, key, sizeof(key));
	CHECK(n > 0 && strlen(key) == n);
	CHECK(identity_from_key(key, n, &back) == 0);
	CHECK(identity_equal(&back, &id));
	CHECK(identity_hash(&back, 1) == identity_hash(&id, 1));

	/* any text that parses gives a key that parses to the same identity */
	if (identity_from_key(raw, size, &back) == 0) {
		n = identity_key(&back, key2, sizeof(key2));
		CHECK(n > 0);
		CHECK(identity_from_key(key2, n, &again) == 0);
		CHECK(identity_equal(&again, &back));
	}

	identity_workload_of_pod(pod, wl, sizeof(wl));
	CHECK(strlen(wl) < sizeof(wl) && !strncmp(wl, pod, strlen(wl)));
	(void)identity_address_is_loopback(pod);
	free(pod);
	free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *system;
	size_t small;

	if (size < 2)
		return 0;
	system = systems[(data[0] & 7) % N_SYSTEMS];
	small = data[1] % 40;
	if (data[0] & 8) {
		uint8_t *t;
		size_t n = tokenize(data + 2, size - 2, &t);

		check_input(t, n, system, small);
		free(t);
	} else {
		check_input(data + 2, size - 2, system, small);
	}
	check_identity(data + 2, size - 2);
	return 0;
}
