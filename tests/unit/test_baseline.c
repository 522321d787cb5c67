// SPDX-License-Identifier: MIT
/* user/security/baseline.c and baseline_file.c: the learned tables, their
 * rates, accept, and the file they are kept in. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "baseline.h"
#include "identity.h"

#define MS 1000000ULL

static struct baseline b;

static void setup(void)
{
	cr_assert_eq(baseline_init(&b), 0);
}

static void teardown(void)
{
	baseline_free(&b);
}

static struct alert_identity svc(const char *s, const char *ns, const char *wl, const char *exe)
{
	struct alert_identity id;

	memset(&id, 0, sizeof(id));
	strcpy(id.service, s);
	strcpy(id.k8s_namespace, ns);
	strcpy(id.k8s_workload, wl);
	strcpy(id.exe, exe);
	return id;
}

static struct alert_identity at(const char *a)
{
	struct alert_identity id;

	memset(&id, 0, sizeof(id));
	strcpy(id.address, a);
	return id;
}

static const struct alert_identity *checkout(void)
{
	static struct alert_identity id;

	id = svc("checkout", "shop", "checkout", "python3");
	return &id;
}

static const struct alert_identity *users(void)
{
	static struct alert_identity id;

	id = svc("users", "shop", "users", "node");
	return &id;
}

static const struct alert_identity *db_addr(void)
{
	static struct alert_identity id;

	id = at("10.0.0.9");
	return &id;
}

static struct call call_of(int error, uint64_t ns)
{
	struct call c;

	memset(&c, 0, sizeof(c));
	c.error = (uint8_t)error;
	c.client_seen = 1;
	c.client_ns = ns;
	c.server_ns = 999 * MS; /* the client's duration counts when it has one */
	for (int i = 0; i < 16; i++)
		c.trace_id[i] = (uint8_t)(0x20 + i);
	for (int i = 0; i < 8; i++)
		c.span_id[i] = (uint8_t)(0x40 + i);
	c.client_evidence.pid = 7;
	c.server_evidence.pid = 8;
	return c;
}

/* checkout -> 10.0.0.9:5432 postgresql, learned, with rates and an op;
 * checkout -> users:8080 http, a candidate with a candidate op; a learned
 * and a candidate listener. */
static void fill_small(struct baseline *x)
{
	struct baseline_edge *e;

	x->created_ns = 1000;
	x->learn_until_ns = 2000;
	e = baseline_edge_get(x, checkout(), db_addr(), "postgresql", 5432, 1, BASELINE_LEARNED, 1500);
	cr_assert_not_null(e);
	e->rates = (struct baseline_rates){ .seconds = 3, .rate_mean = 4, .rate_var = 2.5,
					    .calls = 12, .errors = 1, .err_mean = 0.25,
					    .lat_mean = 1.5, .lat_var = 0.125, .stacked = 1 };
	cr_assert_not_null(baseline_op_get(x, 0, "SELECT users", 1, BASELINE_LEARNED, 1600));
	cr_assert_not_null(baseline_listener_get(x, users(), 8080, 1, BASELINE_CANDIDATE, 1700));
}

static char *serialize(const struct baseline *x, size_t *len)
{
	char *t = baseline_serialize(x, len);

	cr_assert_not_null(t);
	return t;
}

/* body + its end record with the right count and checksum. */
static char *seal(const char *body, unsigned records)
{
	size_t n = strlen(body);
	char *t = malloc(n + 64);

	cr_assert_not_null(t);
	memcpy(t, body, n);
	snprintf(t + n, 64, "end\t%u\t%08lx\n", records, crc32(0L, (const Bytef *)body, (uInt)n));
	return t;
}

static void expect_parse_error(const char *text, size_t len, const char *want)
{
	char err[160];

	strcpy(err, "untouched");
	cr_expect_eq(baseline_parse(&b, text, len, err, sizeof(err)), -1, "parsed: %s", want);
	cr_expect_str_eq(err, want);
	cr_expect_eq(b.stats.edges, 0, "cleared after a failure");
	cr_expect_eq(b.stats.ops, 0);
	cr_expect_eq(b.stats.listeners, 0);
	cr_expect_eq(b.learn_until_ns, 0);
}

static void expect_sealed_error(const char *body, unsigned records, const char *want)
{
	char *t = seal(body, records);

	expect_parse_error(t, strlen(t), want);
	free(t);
}

/* The edge line of fill_small's learned edge, with its id. */
static void edge_line(char *out, size_t cap, const char *rates)
{
	uint64_t id = baseline_edge_id(checkout(), db_addr(), "postgresql", 5432);

	snprintf(out, cap,
		 "edge\t%016" PRIx64 "\tlearned\tsvc=checkout ns=shop wl=checkout exe=python3\t"
		 "addr=10.0.0.9\tpostgresql\t5432\t1500\t%s\n",
		 id, rates);
}

#define GOOD_RATES "3\t4\t2.5\t12\t1\t0.25\t1.5\t0.125\t1"

/* A file of one learned edge with these rates. */
static void expect_rates_error(const char *rates, const char *want)
{
	char body[1024], line[768];

	edge_line(line, sizeof(line), rates);
	snprintf(body, sizeof(body), "zerotrace-baseline\t1\nlearn\t1000\t2000\n%s", line);
	expect_sealed_error(body, 1, want);
}

static void expect_same_tables(const struct baseline *x, const struct baseline *y)
{
	cr_assert_eq(x->created_ns, y->created_ns);
	cr_assert_eq(x->learn_until_ns, y->learn_until_ns);
	cr_assert_eq(x->stats.edges, y->stats.edges);
	cr_assert_eq(x->stats.ops, y->stats.ops);
	cr_assert_eq(x->stats.listeners, y->stats.listeners);
	for (uint64_t i = 0; i < x->stats.edges; i++) {
		const struct baseline_edge *e = &x->edges[i], *f = &y->edges[i];

		cr_expect_eq(e->id, f->id);
		cr_expect_eq(e->state, f->state);
		cr_expect(identity_equal(&e->client, &f->client));
		cr_expect(identity_equal(&e->server, &f->server));
		cr_expect_str_eq(e->protocol, f->protocol);
		cr_expect_eq(e->port, f->port);
		cr_expect_eq(e->first_seen_ns, f->first_seen_ns);
		cr_expect_eq(e->rates.seconds, f->rates.seconds);
		cr_expect_eq(e->rates.calls, f->rates.calls);
		cr_expect_eq(e->rates.errors, f->rates.errors);
		cr_expect_eq(e->rates.stacked, f->rates.stacked);
		/* bit for bit: %.17g gives a double back exactly */
		cr_expect_eq(memcmp(&e->rates.rate_mean, &f->rates.rate_mean, 8), 0, "edge %" PRIu64, i);
		cr_expect_eq(memcmp(&e->rates.rate_var, &f->rates.rate_var, 8), 0, "edge %" PRIu64, i);
		cr_expect_eq(memcmp(&e->rates.err_mean, &f->rates.err_mean, 8), 0, "edge %" PRIu64, i);
		cr_expect_eq(memcmp(&e->rates.lat_mean, &f->rates.lat_mean, 8), 0, "edge %" PRIu64, i);
		cr_expect_eq(memcmp(&e->rates.lat_var, &f->rates.lat_var, 8), 0, "edge %" PRIu64, i);
	}
	for (uint64_t i = 0; i < x->stats.ops; i++) {
		cr_expect_eq(x->ops[i].id, y->ops[i].id);
		cr_expect_eq(x->ops[i].state, y->ops[i].state);
		cr_expect_eq(x->ops[i].edge, y->ops[i].edge);
		cr_expect_eq(x->ops[i].first_seen_ns, y->ops[i].first_seen_ns);
		cr_expect_str_eq(x->ops[i].operation, y->ops[i].operation);
	}
	for (uint64_t i = 0; i < x->stats.listeners; i++) {
		cr_expect_eq(x->listeners[i].id, y->listeners[i].id);
		cr_expect_eq(x->listeners[i].state, y->listeners[i].state);
		cr_expect(identity_equal(&x->listeners[i].server, &y->listeners[i].server));
		cr_expect_eq(x->listeners[i].port, y->listeners[i].port);
		cr_expect_eq(x->listeners[i].first_seen_ns, y->listeners[i].first_seen_ns);
	}
}

/* --- tables --- */

Test(baseline, edge_get_add_lookup, .init = setup, .fini = teardown)
{
	struct baseline_edge *e;
	uint64_t changes = b.changes;

	cr_expect_null(baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 0, 0, 0));
	e = baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1, BASELINE_LEARNED, 1500);
	cr_assert_not_null(e);
	cr_expect_eq(e->id, baseline_edge_id(checkout(), db_addr(), "postgresql", 5432));
	cr_expect_eq(e->state, BASELINE_LEARNED);
	cr_expect_str_eq(e->client.service, "checkout");
	cr_expect_str_eq(e->server.address, "10.0.0.9");
	cr_expect_str_eq(e->protocol, "postgresql");
	cr_expect_eq(e->port, 5432);
	cr_expect_eq(e->first_seen_ns, 1500);
	cr_expect_eq(b.stats.edges, 1);
	cr_expect_eq(b.changes, changes + 1);
	/* found again, add or not, whatever state is asked */
	cr_expect_eq(baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 0, 0, 0), e);
	cr_expect_eq(baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1,
				       BASELINE_CANDIDATE, 9999), e);
	cr_expect_eq(e->state, BASELINE_LEARNED);
	cr_expect_eq(e->first_seen_ns, 1500);
	cr_expect_eq(b.stats.edges, 1);
	cr_expect_eq(b.changes, changes + 1);
}

Test(baseline, edge_key_is_every_field, .init = setup, .fini = teardown)
{
	struct alert_identity c2 = *checkout();

	baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1, BASELINE_LEARNED, 0);
	cr_expect_null(baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5433, 0, 0, 0));
	cr_expect_null(baseline_edge_get(&b, checkout(), db_addr(), "mysql", 5432, 0, 0, 0));
	cr_expect_null(baseline_edge_get(&b, db_addr(), checkout(), "postgresql", 5432, 0, 0, 0));
	strcpy(c2.exe, "python3.12");
	cr_expect_null(baseline_edge_get(&b, &c2, db_addr(), "postgresql", 5432, 0, 0, 0));
	cr_expect_neq(baseline_edge_id(checkout(), db_addr(), "postgresql", 5432),
		      baseline_edge_id(checkout(), db_addr(), "postgresql", 5433));
}

Test(baseline, op_get_add_lookup, .init = setup, .fini = teardown)
{
	struct baseline_op *o;

	baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1, BASELINE_LEARNED, 0);
	baseline_edge_get(&b, checkout(), users(), "http", 8080, 1, BASELINE_LEARNED, 0);
	cr_expect_null(baseline_op_get(&b, 0, "SELECT users", 0, 0, 0));
	o = baseline_op_get(&b, 0, "SELECT users", 1, BASELINE_CANDIDATE, 1600);
	cr_assert_not_null(o);
	cr_expect_eq(o->state, BASELINE_CANDIDATE);
	cr_expect_eq(o->edge, 0);
	cr_expect_eq(o->first_seen_ns, 1600);
	cr_expect_str_eq(o->operation, "SELECT users");
	cr_expect_eq(baseline_op_get(&b, 0, "SELECT users", 1, BASELINE_LEARNED, 0), o);
	/* an operation belongs to its edge */
	cr_expect_null(baseline_op_get(&b, 1, "SELECT users", 0, 0, 0));
	cr_expect_null(baseline_op_get(&b, 0, "SELECT user", 0, 0, 0));
	cr_expect_eq(b.stats.ops, 1);
}

Test(baseline, listener_get_add_lookup, .init = setup, .fini = teardown)
{
	struct baseline_listener *l;

	cr_expect_null(baseline_listener_get(&b, users(), 8080, 0, 0, 0));
	l = baseline_listener_get(&b, users(), 8080, 1, BASELINE_LEARNED, 1700);
	cr_assert_not_null(l);
	cr_expect_str_eq(l->server.service, "users");
	cr_expect_eq(l->port, 8080);
	cr_expect_eq(l->first_seen_ns, 1700);
	cr_expect_eq(baseline_listener_get(&b, users(), 8080, 0, 0, 0), l);
	cr_expect_null(baseline_listener_get(&b, users(), 8081, 0, 0, 0));
	cr_expect_null(baseline_listener_get(&b, checkout(), 8080, 0, 0, 0));
	cr_expect_eq(b.stats.listeners, 1);
}

Test(baseline, edges_full_counted, .init = setup, .fini = teardown)
{
	for (uint32_t i = 0; i < BASELINE_EDGES_MAX; i++)
		cr_assert_not_null(baseline_edge_get(&b, checkout(), db_addr(), "postgresql",
						     (uint16_t)i, 1, BASELINE_LEARNED, 0));
	cr_expect_null(baseline_edge_get(&b, users(), db_addr(), "postgresql", 1, 1,
					 BASELINE_LEARNED, 0));
	cr_expect_null(baseline_edge_get(&b, users(), db_addr(), "postgresql", 2, 1,
					 BASELINE_LEARNED, 0));
	cr_expect_eq(b.stats.edges, BASELINE_EDGES_MAX);
	cr_expect_eq(b.stats.edges_full, 2);
	/* what is in stays found */
	cr_expect_not_null(baseline_edge_get(&b, checkout(), db_addr(), "postgresql",
					     BASELINE_EDGES_MAX - 1, 1, BASELINE_LEARNED, 0));
	cr_expect_eq(b.stats.edges_full, 2);
}

Test(baseline, ops_full_counted, .init = setup, .fini = teardown)
{
	char name[32];

	baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1, BASELINE_LEARNED, 0);
	for (uint32_t i = 0; i < BASELINE_OPS_MAX; i++) {
		snprintf(name, sizeof(name), "op%u", i);
		cr_assert_not_null(baseline_op_get(&b, 0, name, 1, BASELINE_LEARNED, 0));
	}
	cr_expect_null(baseline_op_get(&b, 0, "one more", 1, BASELINE_LEARNED, 0));
	cr_expect_eq(b.stats.ops, BASELINE_OPS_MAX);
	cr_expect_eq(b.stats.ops_full, 1);
	cr_expect_not_null(baseline_op_get(&b, 0, "op0", 0, 0, 0));
}

Test(baseline, listeners_full_counted, .init = setup, .fini = teardown)
{
	for (uint32_t i = 0; i < BASELINE_LISTENERS_MAX; i++)
		cr_assert_not_null(baseline_listener_get(&b, users(), (uint16_t)i, 1, BASELINE_LEARNED, 0));
	cr_expect_null(baseline_listener_get(&b, checkout(), 1, 1, BASELINE_LEARNED, 0));
	cr_expect_eq(b.stats.listeners, BASELINE_LISTENERS_MAX);
	cr_expect_eq(b.stats.listeners_full, 1);
}

Test(baseline, clear_empties_tables_and_index, .init = setup, .fini = teardown)
{
	uint64_t changes;

	fill_small(&b);
	changes = b.changes;
	baseline_clear(&b);
	cr_expect_eq(b.stats.edges + b.stats.ops + b.stats.listeners, 0);
	cr_expect_gt(b.changes, changes);
	cr_expect_null(baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 0, 0, 0));
	cr_expect_null(baseline_listener_get(&b, users(), 8080, 0, 0, 0));
	cr_expect_not_null(baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1,
					     BASELINE_LEARNED, 0));
	cr_expect_eq(b.stats.edges, 1);
}

/* --- accept --- */

/* Candidates after learning: checkout -> users:8080 with an op and the
 * users:8080 listener; checkout -> 10.0.0.9:5432 with an op. */
static void fill_candidates(void)
{
	baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 6543, 1, BASELINE_LEARNED, 0);
	baseline_op_get(&b, 0, "SELECT", 1, BASELINE_LEARNED, 0);
	baseline_edge_get(&b, checkout(), users(), "http", 8080, 1, BASELINE_CANDIDATE, 0);
	baseline_op_get(&b, 1, "GET /users/{id}", 1, BASELINE_CANDIDATE, 0);
	baseline_listener_get(&b, users(), 8080, 1, BASELINE_CANDIDATE, 0);
	baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1, BASELINE_CANDIDATE, 0);
	baseline_op_get(&b, 2, "COPY", 1, BASELINE_CANDIDATE, 0);
}

Test(baseline, accept_edge_takes_its_ops_and_listener, .init = setup, .fini = teardown)
{
	uint64_t id, changes;

	fill_candidates();
	id = b.edges[1].id;
	changes = b.changes;
	cr_expect_eq(baseline_accept(&b, &id, 1), 3);
	cr_expect_eq(b.edges[1].state, BASELINE_LEARNED);
	cr_expect_eq(b.ops[1].state, BASELINE_LEARNED);
	cr_expect_eq(b.listeners[0].state, BASELINE_LEARNED);
	cr_expect_eq(b.edges[2].state, BASELINE_CANDIDATE, "another edge stays");
	cr_expect_eq(b.ops[2].state, BASELINE_CANDIDATE);
	cr_expect_eq(b.changes, changes + 1);
}

Test(baseline, accept_all, .init = setup, .fini = teardown)
{
	fill_candidates();
	cr_expect_eq(baseline_accept(&b, NULL, 0), 5);
	for (uint64_t i = 0; i < b.stats.edges; i++)
		cr_expect_eq(b.edges[i].state, BASELINE_LEARNED);
	for (uint64_t i = 0; i < b.stats.ops; i++)
		cr_expect_eq(b.ops[i].state, BASELINE_LEARNED);
	cr_expect_eq(b.listeners[0].state, BASELINE_LEARNED);
}

Test(baseline, accept_nothing_new_changes_nothing, .init = setup, .fini = teardown)
{
	uint64_t changes, id;

	fill_candidates();
	baseline_accept(&b, NULL, 0);
	changes = b.changes;
	cr_expect_eq(baseline_accept(&b, NULL, 0), 0);
	id = b.edges[0].id;
	cr_expect_eq(baseline_accept(&b, &id, 1), 0);
	id = 12345;
	cr_expect_eq(baseline_accept(&b, &id, 1), 0);
	cr_expect_eq(b.changes, changes);
}

Test(baseline, accept_op_alone, .init = setup, .fini = teardown)
{
	uint64_t id;

	fill_candidates();
	id = b.ops[2].id;
	cr_expect_eq(baseline_accept(&b, &id, 1), 1);
	cr_expect_eq(b.ops[2].state, BASELINE_LEARNED);
	cr_expect_eq(b.edges[2].state, BASELINE_CANDIDATE);
}

Test(baseline, accept_listener_alone, .init = setup, .fini = teardown)
{
	uint64_t id;

	fill_candidates();
	id = b.listeners[0].id;
	cr_expect_eq(baseline_accept(&b, &id, 1), 1);
	cr_expect_eq(b.listeners[0].state, BASELINE_LEARNED);
	cr_expect_eq(b.edges[1].state, BASELINE_CANDIDATE);
}

Test(baseline, accept_several_ids, .init = setup, .fini = teardown)
{
	uint64_t ids[2];

	fill_candidates();
	ids[0] = b.edges[2].id;
	ids[1] = b.listeners[0].id;
	cr_expect_eq(baseline_accept(&b, ids, 2), 3);
	cr_expect_eq(b.edges[1].state, BASELINE_CANDIDATE);
	cr_expect_eq(b.ops[1].state, BASELINE_CANDIDATE);
}

/* --- rates --- */

Test(baseline, count_live_window, .init = setup, .fini = teardown)
{
	struct baseline_edge *e = baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1,
						    BASELINE_LEARNED, 0);
	struct call c = call_of(1, 2 * MS), ok = call_of(0, 4 * MS);
	uint64_t calls, errors, lat;

	baseline_edge_count(e, &c, 0);
	baseline_edge_count(e, &ok, 0);
	baseline_edge_count(e, &ok, 0);
	baseline_edge_window(e, 1, &calls, &errors, &lat);
	cr_expect_eq(calls, 3);
	cr_expect_eq(errors, 1);
	cr_expect_eq(lat, 10 * MS);
	cr_expect_eq(e->rates.calls, 0, "not learning: no rate");
	cr_expect_eq(e->rates.lat_mean, 0.0);
	cr_expect_eq(memcmp(e->last_trace_id, c.trace_id, 16), 0);
	cr_expect_eq(memcmp(e->last_span_id, c.span_id, 8), 0);
	cr_expect_eq(e->last_client_ev.pid, 7);
	cr_expect_eq(e->last_server_ev.pid, 8);
}

Test(baseline, count_server_duration_without_client, .init = setup, .fini = teardown)
{
	struct baseline_edge *e = baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1,
						    BASELINE_LEARNED, 0);
	struct call c = call_of(0, 2 * MS);
	uint64_t calls, errors, lat;

	c.client_seen = 0;
	c.server_ns = 3 * MS;
	baseline_edge_count(e, &c, 0);
	baseline_edge_window(e, 1, &calls, &errors, &lat);
	cr_expect_eq(lat, 3 * MS);
}

Test(baseline, window_moves_with_seconds, .init = setup, .fini = teardown)
{
	struct baseline_edge *e = baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1,
						    BASELINE_LEARNED, 0);
	struct call c = call_of(1, MS);
	uint64_t calls, errors, lat;

	baseline_edge_count(e, &c, 0);
	baseline_edge_count(e, &c, 0);
	baseline_edge_second(e, 0);
	baseline_edge_count(e, &c, 0);
	baseline_edge_window(e, 1, &calls, &errors, &lat);
	cr_expect_eq(calls, 1);
	baseline_edge_window(e, 2, &calls, &errors, &lat);
	cr_expect_eq(calls, 3);
	cr_expect_eq(errors, 3);
	cr_expect_eq(lat, 3 * MS);
	baseline_edge_window(e, 0, &calls, &errors, &lat);
	cr_expect_eq(calls, 0);
	/* the first second stays in for BASELINE_WINDOW seconds, then is gone */
	for (int k = 1; k < BASELINE_WINDOW - 1; k++)
		baseline_edge_second(e, 0);
	baseline_edge_window(e, BASELINE_WINDOW, &calls, &errors, &lat);
	cr_expect_eq(calls, 3);
	baseline_edge_window(e, BASELINE_WINDOW - 1, &calls, &errors, &lat);
	cr_expect_eq(calls, 1);
	baseline_edge_window(e, 1000, &calls, &errors, &lat);
	cr_expect_eq(calls, 3, "clamped to the window");
	baseline_edge_second(e, 0);
	baseline_edge_window(e, BASELINE_WINDOW, &calls, &errors, &lat);
	cr_expect_eq(calls, 1);
	cr_expect_eq(e->rates.seconds, 0, "not learning: no sample");
}

Test(baseline, rate_ewma_exact, .init = setup, .fini = teardown)
{
	struct baseline_edge *e = baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1,
						    BASELINE_LEARNED, 0);
	struct call c = call_of(0, MS);
	static const int per_second[] = { 2, 4, 6 };

	for (int s = 0; s < 3; s++) {
		for (int k = 0; k < per_second[s]; k++)
			baseline_edge_count(e, &c, 1);
		baseline_edge_second(e, 1);
		if (s == 0) {
			cr_expect_eq(e->rates.rate_mean, 2.0);
			cr_expect_eq(e->rates.rate_var, 0.0);
		}
		if (s == 1) {
			/* a = 1/2, d = 2: mean 3, var (1/2)(0 + (1/2) 4) = 1 */
			cr_expect_eq(e->rates.rate_mean, 3.0);
			cr_expect_eq(e->rates.rate_var, 1.0);
		}
	}
	/* a = 1/3, d = 3: mean 4, var (2/3)(1 + 3) = 8/3 */
	cr_expect_eq(e->rates.seconds, 3);
	cr_expect_float_eq(e->rates.rate_mean, 4.0, 1e-12);
	cr_expect_float_eq(e->rates.rate_var, 8.0 / 3, 1e-12);
	cr_expect_eq(e->rates.calls, 12);
}

Test(baseline, idle_seconds_are_samples, .init = setup, .fini = teardown)
{
	struct baseline_edge *e = baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1,
						    BASELINE_LEARNED, 0);
	struct call c = call_of(0, MS);

	for (int k = 0; k < 4; k++)
		baseline_edge_count(e, &c, 1);
	baseline_edge_second(e, 1);
	baseline_edge_second(e, 1);
	cr_expect_eq(e->rates.seconds, 2);
	cr_expect_eq(e->rates.rate_mean, 2.0);
	cr_expect_eq(e->rates.rate_var, 4.0); /* (1/2)(0 + (1/2) 16) */
}

Test(baseline, rate_alpha_floor, .init = setup, .fini = teardown)
{
	struct baseline_edge *e = baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1,
						    BASELINE_LEARNED, 0);
	struct call c = call_of(0, MS);

	for (int s = 0; s < 3600; s++)
		baseline_edge_second(e, 1);
	for (int k = 0; k < 3600; k++)
		baseline_edge_count(e, &c, 1);
	baseline_edge_second(e, 1);
	/* sample 3601 weighs 1/3600, not 1/3601 */
	cr_expect_float_eq(e->rates.rate_mean, 1.0, 1e-12);
}

Test(baseline, error_ratio_ewma, .init = setup, .fini = teardown)
{
	struct baseline_edge *e = baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1,
						    BASELINE_LEARNED, 0);
	struct call bad = call_of(1, MS), ok = call_of(0, MS);

	baseline_edge_count(e, &ok, 1);
	cr_expect_eq(e->rates.err_mean, 0.0);
	baseline_edge_count(e, &bad, 1);
	cr_expect_eq(e->rates.err_mean, 0.5);
	baseline_edge_count(e, &ok, 1);
	cr_expect_float_eq(e->rates.err_mean, 1.0 / 3, 1e-15);
	baseline_edge_count(e, &bad, 1);
	cr_expect_float_eq(e->rates.err_mean, 0.5, 1e-15);
	cr_expect_eq(e->rates.calls, 4);
	cr_expect_eq(e->rates.errors, 2);
}

Test(baseline, latency_ewma, .init = setup, .fini = teardown)
{
	struct baseline_edge *e = baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1,
						    BASELINE_LEARNED, 0);
	struct call c2 = call_of(0, 2 * MS), c4 = call_of(0, 4 * MS), c6 = call_of(0, 6 * MS);

	baseline_edge_count(e, &c2, 1);
	cr_expect_eq(e->rates.lat_mean, 2.0);
	cr_expect_eq(e->rates.lat_var, 0.0);
	baseline_edge_count(e, &c4, 1);
	cr_expect_eq(e->rates.lat_mean, 3.0);
	cr_expect_eq(e->rates.lat_var, 1.0);
	baseline_edge_count(e, &c6, 1);
	cr_expect_float_eq(e->rates.lat_mean, 4.0, 1e-12);
	cr_expect_float_eq(e->rates.lat_var, 8.0 / 3, 1e-12);
}

Test(baseline, latency_alpha_floor, .init = setup, .fini = teardown)
{
	struct baseline_edge *e = baseline_edge_get(&b, checkout(), db_addr(), "postgresql", 5432, 1,
						    BASELINE_LEARNED, 0);
	struct call zero = call_of(0, 0), slow = call_of(0, 10000 * MS);

	for (int k = 0; k < 10000; k++)
		baseline_edge_count(e, &zero, 1);
	baseline_edge_count(e, &slow, 1);
	/* call 10001 weighs 1/10000: 10000 ms moves the mean by 1 ms */
	cr_expect_float_eq(e->rates.lat_mean, 1.0, 1e-12);
}

/* --- the file format --- */

Test(baseline, serialize_exact, .init = setup, .fini = teardown)
{
	char want[2048], edge[768];
	size_t len, n;
	char *text;

	fill_small(&b);
	edge_line(edge, sizeof(edge), GOOD_RATES);
	n = (size_t)snprintf(want, sizeof(want),
			     "zerotrace-baseline\t1\n"
			     "learn\t1000\t2000\n"
			     "%s"
			     "op\t%016" PRIx64 "\tlearned\t1600\tSELECT%%20users\n"
			     "listener\tcandidate\tsvc=users ns=shop wl=users exe=node\t8080\t1700\n",
			     edge, b.edges[0].id);
	snprintf(want + n, sizeof(want) - n, "end\t3\t%08lx\n",
		 crc32(0L, (const Bytef *)want, (uInt)n));
	text = serialize(&b, &len);
	cr_expect_eq(len, strlen(want));
	cr_expect_eq(memcmp(text, want, len < strlen(want) ? len : strlen(want)), 0,
		     "got:\n%.*s\nwant:\n%s", (int)len, text, want);
	free(text);
}

Test(baseline, serialize_empty)
{
	struct baseline x;
	size_t len;
	char *text;

	cr_assert_eq(baseline_init(&x), 0);
	text = serialize(&x, &len);
	cr_expect_eq(len, strlen("zerotrace-baseline\t1\nlearn\t0\t0\nend\t0\t00000000\n"));
	cr_expect_eq(memcmp(text, "zerotrace-baseline\t1\nlearn\t0\t0\nend\t0\t", 37), 0);
	free(text);
	baseline_free(&x);
}

Test(baseline, parse_round_trip_exact, .init = setup, .fini = teardown)
{
	struct baseline y;
	struct baseline_edge *e;
	char err[160] = "";
	size_t len, len2;
	char *text, *text2;
	struct alert_identity odd = svc("my svc=1%", "a\tb", "caf\xc3\xa9", "x y");

	fill_small(&b);
	e = baseline_edge_get(&b, &odd, users(), "", 0, 1, BASELINE_CANDIDATE, UINT64_MAX);
	e->rates = (struct baseline_rates){ .seconds = UINT64_MAX, .rate_mean = 0.1,
					    .rate_var = 1.0 / 3, .calls = 1, .errors = 0,
					    .err_mean = 1e-300, .lat_mean = 123456.789,
					    .lat_var = 4.9406564584124654e-324 };
	baseline_op_get(&b, 1, "", 1, BASELINE_CANDIDATE, 1);
	baseline_op_get(&b, 1, "-", 1, BASELINE_LEARNED, 2);
	baseline_op_get(&b, 1, "GET /a b%\t\n\x01\xff", 1, BASELINE_LEARNED, 3);
	baseline_listener_get(&b, db_addr(), 65535, 1, BASELINE_LEARNED, 0);

	text = serialize(&b, &len);
	cr_assert_eq(baseline_init(&y), 0);
	cr_assert_eq(baseline_parse(&y, text, len, err, sizeof(err)), 0, "%s", err);
	expect_same_tables(&b, &y);
	cr_expect_eq(y.changes, 0, "a loaded baseline has nothing to save");
	text2 = serialize(&y, &len2);
	cr_expect_eq(len2, len);
	cr_expect_eq(memcmp(text, text2, len), 0);
	/* the index works after a parse */
	cr_expect_eq(baseline_edge_get(&y, &odd, users(), "", 0, 0, 0, 0), &y.edges[1]);
	cr_expect_not_null(baseline_op_get(&y, 1, "-", 0, 0, 0));
	free(text);
	free(text2);
	baseline_free(&y);
}

Test(baseline, parse_replaces_what_was_there, .init = setup, .fini = teardown)
{
	struct baseline y;
	char err[160] = "";
	size_t len;
	char *text;

	fill_small(&b);
	text = serialize(&b, &len);
	cr_assert_eq(baseline_init(&y), 0);
	baseline_edge_get(&y, users(), users(), "http", 1, 1, BASELINE_LEARNED, 0);
	cr_assert_eq(baseline_parse(&y, text, len, err, sizeof(err)), 0, "%s", err);
	expect_same_tables(&b, &y);
	cr_expect_null(baseline_edge_get(&y, users(), users(), "http", 1, 0, 0, 0));
	free(text);
	baseline_free(&y);
}

Test(baseline, parse_rejects_wrong_magic, .init = setup, .fini = teardown)
{
	const char *t = "zerotrace-baseline\t2\nlearn\t1\t2\nend\t0\t00000000\n";

	expect_parse_error(t, strlen(t), "line 1: not a zerotrace baseline of version 1");
	expect_parse_error("", 0, "line 1: not a zerotrace baseline of version 1");
	expect_parse_error("zerotrace-baseline\t1", 20, "line 1: not a zerotrace baseline of version 1");
}

Test(baseline, parse_rejects_missing_end, .init = setup, .fini = teardown)
{
	size_t len;
	char *text;
	const char *end;

	fill_small(&b);
	text = serialize(&b, &len);
	end = strstr(text, "end\t");
	cr_assert_not_null(end);
	/* cut at a line's end, and in the middle of one */
	expect_parse_error(text, (size_t)(end - text), "line 5: cut short (no end record)");
	expect_parse_error(text, (size_t)(end - text) - 3, "line 5: cut short (no end record)");
	expect_parse_error(text, len - 1, "line 6: cut short (no end record)");
	free(text);
}

Test(baseline, parse_rejects_count_mismatch, .init = setup, .fini = teardown)
{
	size_t len;
	char *text, *end;

	fill_small(&b);
	text = serialize(&b, &len);
	end = strstr(text, "end\t3\t");
	cr_assert_not_null(end);
	end[4] = '4';
	expect_parse_error(text, len, "line 6: record count does not match");
	free(text);
}

Test(baseline, parse_rejects_checksum_mismatch, .init = setup, .fini = teardown)
{
	size_t len;
	char *text, *p;

	fill_small(&b);
	text = serialize(&b, &len);
	/* the op's first-seen 1600 -> 1700: still a good record */
	p = strstr(text, "\t1600\t");
	cr_assert_not_null(p);
	p[2] = '7';
	expect_parse_error(text, len, "line 6: checksum does not match");
	free(text);
}

Test(baseline, parse_rejects_bad_checksum_field, .init = setup, .fini = teardown)
{
	const char *t = "zerotrace-baseline\t1\nlearn\t1\t2\nend\t0\tnothex\n";

	expect_parse_error(t, strlen(t), "line 3: bad end record");
}

Test(baseline, parse_rejects_bytes_after_end, .init = setup, .fini = teardown)
{
	size_t len;
	char *text;

	fill_small(&b);
	text = serialize(&b, &len);
	text = realloc(text, len + 1);
	text[len] = '\n';
	expect_parse_error(text, len + 1, "line 6: bytes after the end record");
	free(text);
}

Test(baseline, parse_rejects_op_of_unknown_edge, .init = setup, .fini = teardown)
{
	expect_sealed_error("zerotrace-baseline\t1\nlearn\t1\t2\n"
			    "op\t0123456789abcdef\tlearned\t5\tGET\n",
			    1, "line 3: op of an edge not in the file");
}

Test(baseline, parse_rejects_edge_id_not_of_its_key, .init = setup, .fini = teardown)
{
	expect_sealed_error("zerotrace-baseline\t1\nlearn\t1\t2\n"
			    "edge\t0123456789abcdef\tlearned\taddr=a\taddr=b\thttp\t80\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\n",
			    1, "line 3: edge id does not match its key");
}

Test(baseline, parse_rejects_negative_numbers, .init = setup, .fini = teardown)
{
	expect_rates_error("3\t-4\t2.5\t12\t1\t0.25\t1.5\t0.125\t1", "line 3: bad edge record");
	expect_rates_error("-3\t4\t2.5\t12\t1\t0.25\t1.5\t0.125\t1", "line 3: bad edge record");
	expect_rates_error("3\t4\t2.5\t12\t1\t0.25\t1.5\t-1e-9\t1", "line 3: bad edge record");
}

Test(baseline, parse_rejects_nan_and_inf, .init = setup, .fini = teardown)
{
	expect_rates_error("3\tnan\t2.5\t12\t1\t0.25\t1.5\t0.125\t1", "line 3: bad edge record");
	expect_rates_error("3\t4\tinf\t12\t1\t0.25\t1.5\t0.125\t1", "line 3: bad edge record");
	expect_rates_error("3\t4\t2.5\t12\t1\tINFINITY\t1.5\t0.125\t1", "line 3: bad edge record");
	expect_rates_error("3\t4\t2.5\t12\t1\t0.25\t1e999\t0.125\t1", "line 3: bad edge record");
}

Test(baseline, parse_rejects_malformed_numbers, .init = setup, .fini = teardown)
{
	expect_rates_error("3\t4x\t2.5\t12\t1\t0.25\t1.5\t0.125\t1", "line 3: bad edge record");
	expect_rates_error("3\t\t2.5\t12\t1\t0.25\t1.5\t0.125\t1", "line 3: bad edge record");
	expect_rates_error("3\t4\t2.5\t12\t1\t0.25\t1.5\t0.125\t2", "line 3: bad edge record");
	expect_rates_error("3\t4\t2.5\t99999999999999999999\t1\t0.25\t1.5\t0.125\t1",
			   "line 3: bad edge record");
	expect_rates_error("+3\t4\t2.5\t12\t1\t0.25\t1.5\t0.125\t1", "line 3: bad edge record");
	expect_rates_error(" 3\t4\t2.5\t12\t1\t0.25\t1.5\t0.125\t1", "line 3: bad edge record");
	expect_rates_error("3\t4\t2.5\t12\t1\t0.25\t1.5\t0.125", "line 3: bad edge record");
	expect_rates_error(GOOD_RATES "\t0", "line 3: bad edge record");
}

Test(baseline, parse_accepts_good_rates, .init = setup, .fini = teardown)
{
	char body[1024], line[768], err[160] = "";
	char *t;

	edge_line(line, sizeof(line), GOOD_RATES);
	snprintf(body, sizeof(body), "zerotrace-baseline\t1\nlearn\t1000\t2000\n%s", line);
	t = seal(body, 1);
	cr_expect_eq(baseline_parse(&b, t, strlen(t), err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(b.edges[0].rates.rate_var, 2.5);
	cr_expect_eq(b.edges[0].rates.stacked, 1);
	free(t);
}

Test(baseline, parse_rejects_bad_port_and_state, .init = setup, .fini = teardown)
{
	expect_sealed_error("zerotrace-baseline\t1\nlearn\t1\t2\nlistener\tlearned\taddr=a\t65536\t0\n", 1,
			    "line 3: bad listener record");
	expect_sealed_error("zerotrace-baseline\t1\nlearn\t1\t2\nlistener\tknown\taddr=a\t80\t0\n", 1,
			    "line 3: bad listener record");
	expect_sealed_error("zerotrace-baseline\t1\nlearn\t1\t2\nlistener\tlearned\tsvc=a\t80\t0\n", 1,
			    "line 3: bad listener record");
}

Test(baseline, parse_rejects_unknown_record, .init = setup, .fini = teardown)
{
	expect_sealed_error("zerotrace-baseline\t1\nlearn\t1\t2\nprocess\tx\n", 1,
			    "line 3: unknown record");
	expect_sealed_error("zerotrace-baseline\t1\nlearn\t1\t2\n\n", 1, "line 3: unknown record");
}

Test(baseline, parse_rejects_bad_learn_record, .init = setup, .fini = teardown)
{
	expect_sealed_error("zerotrace-baseline\t1\nlearn\t1\n", 0, "line 2: bad learn record");
	expect_sealed_error("zerotrace-baseline\t1\nend-of-learning\t1\t2\n", 0,
			    "line 2: unknown record");
	expect_sealed_error("zerotrace-baseline\t1\n", 0, "line 2: no learn record");
}

Test(baseline, parse_rejects_long_line_and_nul, .init = setup, .fini = teardown)
{
	char body[6000];
	const char nul[] = "zerotrace-baseline\t1\nlearn\t1\0\t2\nend\t0\t0\n";

	snprintf(body, sizeof(body), "zerotrace-baseline\t1\nlearn\t1\t2\nop\t%05000d\n", 0);
	expect_sealed_error(body, 1, "line 3: a line too long or with a NUL");
	expect_parse_error(nul, sizeof(nul) - 1, "line 2: a line too long or with a NUL");
}

Test(baseline, parse_rejects_too_many_fields, .init = setup, .fini = teardown)
{
	expect_sealed_error("zerotrace-baseline\t1\nlearn\t1\t2\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n", 0,
			    "line 2: too many fields");
}

Test(baseline, parse_rejects_bad_op_encoding, .init = setup, .fini = teardown)
{
	char body[1024], line[768];
	uint64_t id = baseline_edge_id(checkout(), db_addr(), "postgresql", 5432);

	edge_line(line, sizeof(line), GOOD_RATES);
	snprintf(body, sizeof(body),
		 "zerotrace-baseline\t1\nlearn\t1000\t2000\n%sop\t%016" PRIx64 "\tlearned\t1\tGET%%00\n",
		 line, id);
	expect_sealed_error(body, 2, "line 4: bad op record");
	snprintf(body, sizeof(body),
		 "zerotrace-baseline\t1\nlearn\t1000\t2000\n%sop\t%016" PRIx64 "\tlearned\t1\tGET%%4\n",
		 line, id);
	expect_sealed_error(body, 2, "line 4: bad op record");
}

Test(baseline, parse_error_message_cut_to_err_len, .init = setup, .fini = teardown)
{
	char err[8];

	cr_expect_eq(baseline_parse(&b, "x", 1, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "line 1:");
}

/* --- save and load --- */

struct tmp {
	char dir[64];
	char path[128];
};

static void tmp_make(struct tmp *t)
{
	strcpy(t->dir, "/tmp/zt-baseline-XXXXXX");
	cr_assert_not_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/baseline.v1", t->dir);
}

/* Removes the directory and what is in it. */
static void tmp_remove(struct tmp *t)
{
	DIR *d = opendir(t->dir);
	struct dirent *de;
	char p[512];

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", t->dir, de->d_name);
			if (unlink(p))
				rmdir(p);
		}
	closedir(d);
	rmdir(t->dir);
}

/* How many entries the directory holds, and the name of one starting with prefix. */
static int tmp_entries(const struct tmp *t, const char *prefix, char *found, size_t cap)
{
	DIR *d = opendir(t->dir);
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n++;
		if (found && !strncmp(de->d_name, prefix, strlen(prefix)))
			snprintf(found, cap, "%s", de->d_name);
	}
	closedir(d);
	return n;
}

Test(baseline, save_load_round_trip, .init = setup, .fini = teardown)
{
	struct tmp t;
	struct baseline y;
	char err[512] = "";
	struct stat st;

	tmp_make(&t);
	fill_small(&b);
	cr_assert_eq(baseline_save(&b, t.path, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(tmp_entries(&t, "", NULL, 0), 1, "no temp file left");
	cr_assert_eq(stat(t.path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(baseline_init(&y), 0);
	cr_expect_eq(baseline_load(&y, t.path, err, sizeof(err)), 0, "%s", err);
	expect_same_tables(&b, &y);
	/* a second save replaces the first */
	baseline_listener_get(&b, users(), 9090, 1, BASELINE_LEARNED, 0);
	cr_assert_eq(baseline_save(&b, t.path, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(baseline_load(&y, t.path, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(y.stats.listeners, 2);
	baseline_free(&y);
	tmp_remove(&t);
}

Test(baseline, load_missing_file, .init = setup, .fini = teardown)
{
	struct tmp t;
	char err[512] = "untouched";

	tmp_make(&t);
	cr_expect_eq(baseline_load(&b, t.path, err, sizeof(err)), 1);
	cr_expect_str_eq(err, "untouched");
	tmp_remove(&t);
}

Test(baseline, load_truncated_sets_it_aside, .init = setup, .fini = teardown)
{
	struct tmp t;
	char err[512] = "", aside[256] = "", want[512];
	size_t len;
	char *text = NULL;
	FILE *f;
	time_t before, after;
	long long when;
	int line = 1;

	tmp_make(&t);
	fill_small(&b);
	text = serialize(&b, &len);
	f = fopen(t.path, "w");
	cr_assert_not_null(f);
	fwrite(text, 1, len / 2, f);
	fclose(f);
	for (size_t i = 0; i < len / 2; i++)
		line += text[i] == '\n';
	free(text);

	before = time(NULL);
	cr_expect_eq(baseline_load(&b, t.path, err, sizeof(err)), -1);
	after = time(NULL);
	cr_expect_eq(access(t.path, F_OK), -1, "the file is gone from its place");
	cr_expect_eq(tmp_entries(&t, "baseline.v1.bad-", aside, sizeof(aside)), 1);
	cr_assert_eq(sscanf(aside, "baseline.v1.bad-%lld", &when), 1, "aside as %s", aside);
	cr_expect(when >= (long long)before && when <= (long long)after);
	snprintf(want, sizeof(want), "%s: line %d: cut short (no end record); set aside as %s/%s, not trusted",
		 t.path, line, t.dir, aside);
	cr_expect_str_eq(err, want);
	cr_expect_eq(b.stats.edges, 0);
	/* next time there is nothing to load: learning starts again */
	cr_expect_eq(baseline_load(&b, t.path, err, sizeof(err)), 1);
	tmp_remove(&t);
}

Test(baseline, load_foreign_file_sets_it_aside, .init = setup, .fini = teardown)
{
	struct tmp t;
	char err[512] = "", aside[256] = "";
	FILE *f;

	tmp_make(&t);
	f = fopen(t.path, "w");
	cr_assert_not_null(f);
	fputs("{\"not\": \"ours\"}\n", f);
	fclose(f);
	cr_expect_eq(baseline_load(&b, t.path, err, sizeof(err)), -1);
	cr_expect_eq(tmp_entries(&t, "baseline.v1.bad-", aside, sizeof(aside)), 1);
	cr_expect_not_null(strstr(err, ": line 1: not a zerotrace baseline of version 1; set aside as "),
			   "%s", err);
	tmp_remove(&t);
}

Test(baseline, load_directory_sets_it_aside, .init = setup, .fini = teardown)
{
	struct tmp t;
	char err[512] = "";

	tmp_make(&t);
	cr_assert_eq(mkdir(t.path, 0700), 0);
	cr_expect_eq(baseline_load(&b, t.path, err, sizeof(err)), -1);
	cr_expect_not_null(strstr(err, "not a regular file of at most 64 MiB; set aside as "), "%s", err);
	cr_expect_eq(access(t.path, F_OK), -1);
	tmp_remove(&t);
}

Test(baseline, save_into_missing_directory, .init = setup, .fini = teardown)
{
	char err[512] = "";

	cr_expect_eq(baseline_save(&b, "/nonexistent-zt/baseline.v1", err, sizeof(err)), -1);
	cr_expect_str_eq(err, "write /nonexistent-zt/baseline.v1.tmp: No such file or directory");
}
