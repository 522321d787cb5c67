// SPDX-License-Identifier: MIT
/*
 * Fuzzes the baseline file format (user/security/baseline_file.c).
 * Input: byte 0 picks the mode, the rest is either
 *  - a file: baseline_parse over the bytes as they are (an exact-size
 *    buffer, no NUL after it), or
 *  - a script that builds tables: edges with any identity, protocol, port,
 *    state, first-seen time and rates (any finite, non-negative doubles),
 *    operations with any bytes, listeners.
 *
 * Checks: parse returns 0 or -1, and on -1 says "line N: why" and leaves
 * the tables empty; whatever parsed, or was built, goes through
 * baseline_serialize -> baseline_parse and comes back the same, entry by
 * entry (doubles bit for bit), and serialises to the same bytes again.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "identity.h"
#include "fuzz_check.h"

/* The tables are large: made once, cleared by every parse. */
static struct baseline b1, b2;

static int terminated(const char *s, size_t cap)
{
	return memchr(s, 0, cap) != NULL;
}

static void check_same_identity(const struct alert_identity *x, const struct alert_identity *y)
{
	CHECK(identity_equal(x, y));
}

static void check_same(const struct baseline *x, const struct baseline *y)
{
	CHECK(x->created_ns == y->created_ns && x->learn_until_ns == y->learn_until_ns);
	CHECK(x->stats.edges == y->stats.edges);
	CHECK(x->stats.ops == y->stats.ops);
	CHECK(x->stats.listeners == y->stats.listeners);
	for (uint64_t i = 0; i < x->stats.edges; i++) {
		const struct baseline_edge *e = &x->edges[i], *f = &y->edges[i];
		const struct baseline_rates *r = &e->rates, *s = &f->rates;

		CHECK(e->id == f->id && e->state == f->state);
		check_same_identity(&e->client, &f->client);
		check_same_identity(&e->server, &f->server);
		CHECK(!strcmp(e->protocol, f->protocol) && e->port == f->port);
		CHECK(e->first_seen_ns == f->first_seen_ns);
		CHECK(r->seconds == s->seconds && r->calls == s->calls && r->errors == s->errors);
		CHECK(r->stacked == s->stacked);
		CHECK(!memcmp(&r->rate_mean, &s->rate_mean, 8) && !memcmp(&r->rate_var, &s->rate_var, 8));
		CHECK(!memcmp(&r->err_mean, &s->err_mean, 8));
		CHECK(!memcmp(&r->lat_mean, &s->lat_mean, 8) && !memcmp(&r->lat_var, &s->lat_var, 8));
	}
	for (uint64_t i = 0; i < x->stats.ops; i++) {
		CHECK(x->ops[i].id == y->ops[i].id && x->ops[i].state == y->ops[i].state);
		CHECK(x->ops[i].edge == y->ops[i].edge);
		CHECK(x->ops[i].first_seen_ns == y->ops[i].first_seen_ns);
		CHECK(!strcmp(x->ops[i].operation, y->ops[i].operation));
	}
	for (uint64_t i = 0; i < x->stats.listeners; i++) {
		CHECK(x->listeners[i].id == y->listeners[i].id);
		CHECK(x->listeners[i].state == y->listeners[i].state);
		check_same_identity(&x->listeners[i].server, &y->listeners[i].server);
		CHECK(x->listeners[i].port == y->listeners[i].port);
		CHECK(x->listeners[i].first_seen_ns == y->listeners[i].first_seen_ns);
	}
}

/* serialize(x) -> parse into b2 must give x back, and the same bytes again. */
static void round_trip(const struct baseline *x)
{
	char err[160];
	size_t len, len2;
	char *text = baseline_serialize(x, &len), *exact, *text2;

	CHECK(text);
	exact = malloc(len ? len : 1);
	CHECK(exact);
	memcpy(exact, text, len);
	if (baseline_parse(&b2, exact, len, err, sizeof(err)) != 0) {
		fprintf(stderr, "round trip: %s\n%.*s", err, (int)len, text);
		abort();
	}
	check_same(x, &b2);
	text2 = baseline_serialize(&b2, &len2);
	CHECK(text2 && len2 == len && !memcmp(text, text2, len));
	free(text2);
	free(exact);
	free(text);
}

static void parse_bytes(const uint8_t *data, size_t size)
{
	char err[160];
	char *text = malloc(size ? size : 1);
	int rc;

	CHECK(text);
	memcpy(text, data, size);
	memset(err, 'X', sizeof(err));
	rc = baseline_parse(&b1, text, size, err, sizeof(err));
	free(text);
	CHECK(rc == 0 || rc == -1);
	if (rc) {
		CHECK(terminated(err, sizeof(err)) && !strncmp(err, "line ", 5));
		CHECK(b1.stats.edges == 0 && b1.stats.ops == 0 && b1.stats.listeners == 0);
		CHECK(b1.learn_until_ns == 0);
		return;
	}
	CHECK(b1.changes == 0 && b1.learn_until_ns != 0);
	round_trip(&b1);
}

/* A reader over the script's bytes: past the end, zeros. */
struct rd {
	const uint8_t *p;
	size_t n, at;
};

static uint8_t rd_u8(struct rd *r)
{
	return r->at < r->n ? r->p[r->at++] : 0;
}

static uint64_t rd_u64(struct rd *r, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | rd_u8(r);
	return v;
}

/* A string of up to cap-1 bytes: a length byte, then the bytes (a NUL ends it). */
static void rd_str(struct rd *r, char *out, size_t cap)
{
	size_t n = rd_u8(r), i;

	if (n > cap - 1)
		n = cap - 1;
	for (i = 0; i < n; i++)
		out[i] = (char)rd_u8(r);
	out[i] = '\0';
}

/* Finite and not negative, as the learned rates are; -0.0 stays. */
static double rd_double(struct rd *r)
{
	uint64_t v = rd_u64(r, 8);
	double d;

	memcpy(&d, &v, 8);
	if (!isfinite(d))
		return (double)(v & 0xffff) / 7.0;
	return d < 0 ? -d : d;
}

static void rd_identity(struct rd *r, struct alert_identity *id)
{
	memset(id, 0, sizeof(*id));
	if (rd_u8(r) & 1) {
		rd_str(r, id->address, sizeof(id->address));
		if (!id->address[0])
			strcpy(id->address, "-");
		return;
	}
	rd_str(r, id->service, sizeof(id->service));
	rd_str(r, id->k8s_namespace, sizeof(id->k8s_namespace));
	rd_str(r, id->k8s_workload, sizeof(id->k8s_workload));
	rd_str(r, id->exe, sizeof(id->exe));
}

static uint8_t rd_state(struct rd *r)
{
	return rd_u8(r) & 1 ? BASELINE_CANDIDATE : BASELINE_LEARNED;
}

static void build(const uint8_t *data, size_t size)
{
	/* what a span's metric family gives: a fixed set */
	static const char *const protocols[] = { "", "http", "redis", "postgresql", "mysql", "mariadb" };
	struct rd r = { data, size, 0 };
	struct alert_identity c, s;
	char op[ALERT_OPERATION_MAX];

	baseline_clear(&b1);
	b1.created_ns = rd_u64(&r, 8);
	/* a baseline always has a learning period: detect_new sets it from the clock */
	b1.learn_until_ns = rd_u64(&r, 8) | 1;
	for (int steps = 0; r.at < r.n && steps < 256; steps++) {
		uint8_t kind = rd_u8(&r) % 3;

		if (kind == 0) {
			struct baseline_edge *e;
			const char *proto;
			uint16_t port;
			uint8_t st;
			uint64_t first;

			rd_identity(&r, &c);
			rd_identity(&r, &s);
			proto = protocols[rd_u8(&r) % (sizeof(protocols) / sizeof(protocols[0]))];
			port = (uint16_t)rd_u64(&r, 2);
			st = rd_state(&r);
			first = rd_u64(&r, 8);
			e = baseline_edge_get(&b1, &c, &s, proto, port, 1, st, first);
			CHECK(e);
			e->rates.seconds = rd_u64(&r, 8);
			e->rates.rate_mean = rd_double(&r);
			e->rates.rate_var = rd_double(&r);
			e->rates.calls = rd_u64(&r, 8);
			e->rates.errors = rd_u64(&r, 8);
			e->rates.err_mean = rd_double(&r);
			e->rates.lat_mean = rd_double(&r);
			e->rates.lat_var = rd_double(&r);
			e->rates.stacked = rd_u8(&r) & 1;
		} else if (kind == 1 && b1.stats.edges) {
			uint32_t edge = (uint32_t)(rd_u8(&r) % b1.stats.edges);
			uint8_t st = rd_state(&r);
			uint64_t first = rd_u64(&r, 8);
			size_t n = rd_u8(&r) * 2u, i;

			/* up to the field's size: a length of 0..510 */
			if (n > sizeof(op) - 1)
				n = sizeof(op) - 1;
			for (i = 0; i < n; i++)
				op[i] = (char)rd_u8(&r);
			op[i] = '\0';
			CHECK(baseline_op_get(&b1, edge, op, 1, st, first));
		} else if (kind == 2) {
			uint16_t port;
			uint8_t st;

			rd_identity(&r, &s);
			port = (uint16_t)rd_u64(&r, 2);
			st = rd_state(&r);
			CHECK(baseline_listener_get(&b1, &s, port, 1, st, rd_u64(&r, 8)));
		}
	}
	round_trip(&b1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		CHECK(baseline_init(&b1) == 0 && baseline_init(&b2) == 0);
		ready = 1;
	}
	if (size < 1)
		return 0;
	if (data[0] & 1)
		build(data + 1, size - 1);
	else
		parse_bytes(data + 1, size - 1);
	return 0;
}
