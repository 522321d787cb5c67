// SPDX-License-Identifier: MIT
/* user/security/detect.c: calls in, alerts out, on a fake clock. The
 * baseline learns for 20 s from T0; then what is new is alerted once a
 * window, and learned edges are held against their rates each second. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "detect.h"

#define NS 1000000000ULL
#define MS 1000000ULL
#define T0 (1700000000ULL * NS)
#define LEARN_S 20
#define WINDOW_S 60
#define AT(s) (T0 + (uint64_t)(s) * NS)

static struct alert got[512];
static int n_got;
static struct baseline b;
static struct detect *d;
static uint32_t seq;

static void sink(void *ctx, const struct alert *a)
{
	(void)ctx;
	cr_assert_lt(n_got, 512);
	got[n_got++] = *a;
}

static struct detect_config config(void)
{
	return (struct detect_config){ .learn_ns = LEARN_S * NS, .window_ns = WINDOW_S * NS,
				       .rate = 1000 };
}

static void start_with(const struct detect_config *c)
{
	cr_assert_eq(baseline_init(&b), 0);
	d = detect_new(c, &b, sink, NULL, T0);
	cr_assert_not_null(d);
}

static void start(void)
{
	struct detect_config c = config();

	start_with(&c);
}

static void stop(void)
{
	detect_free(d);
	baseline_free(&b);
}

static struct alert_identity ident(const char *svc, const char *ns, const char *wl, const char *exe)
{
	struct alert_identity id;

	memset(&id, 0, sizeof(id));
	strcpy(id.service, svc);
	strcpy(id.k8s_namespace, ns);
	strcpy(id.k8s_workload, wl);
	strcpy(id.exe, exe);
	return id;
}

/* A call with fresh ids: trace 0x11.. and span 0x22.. with the call's
 * sequence number in their last bytes. */
static struct call call_to(const struct alert_identity *server, const char *protocol, uint16_t port,
			   const char *operation)
{
	struct call c;

	memset(&c, 0, sizeof(c));
	c.client = ident("checkout", "shop", "checkout", "python3");
	c.server = *server;
	strcpy(c.protocol, protocol);
	strcpy(c.operation, operation);
	c.port = port;
	c.client_seen = 1;
	c.client_ns = MS;
	c.client_evidence.pid = 100;
	seq++;
	memset(c.trace_id, 0x11, 16);
	memcpy(c.trace_id + 12, &seq, 4);
	memset(c.span_id, 0x22, 8);
	memcpy(c.span_id + 4, &seq, 4);
	return c;
}

/* checkout -> users:8080, both ends traced here. */
static struct call api(const char *operation)
{
	struct alert_identity users = ident("users", "shop", "users", "node");
	struct call c = call_to(&users, "http", 8080, operation);

	c.server_seen = 1;
	c.server_ns = MS / 2;
	c.server_evidence.pid = 200;
	return c;
}

static struct call to_address(const char *address, const char *protocol, uint16_t port,
			      const char *operation)
{
	struct alert_identity id;

	memset(&id, 0, sizeof(id));
	strcpy(id.address, address);
	return call_to(&id, protocol, port, operation);
}

/* per_sec calls like c (errors of them failing, each lat_ns long) in each
 * second from `from` for secs seconds (seconds after T0), with a tick at
 * each second's end. */
static void drive(struct call c, uint32_t from, uint32_t secs, uint32_t per_sec, uint32_t errors,
		  uint64_t lat_ns)
{
	for (uint32_t s = from; s < from + secs; s++) {
		for (uint32_t k = 0; k < per_sec; k++) {
			struct call x = c;

			x.error = k < errors;
			x.client_ns = lat_ns;
			memcpy(x.span_id, &k, 4);
			detect_call(d, &x, AT(s) + (uint64_t)k * 1000 + 1);
		}
		detect_tick(d, AT(s + 1));
	}
}

/* The usual learning: 10 calls a second of GET /users/{id}, none failing,
 * 1 ms each. */
static void learn_api(void)
{
	drive(api("GET /users/{id}"), 0, LEARN_S, 10, 0, MS);
	cr_assert_eq(n_got, 0, "no alert while learning");
	cr_assert_not(detect_learning(d, AT(LEARN_S)));
}

static int count_rule(uint8_t rule)
{
	int n = 0;

	for (int i = 0; i < n_got; i++)
		n += got[i].rule == rule;
	return n;
}

static struct detect_stats stats(void)
{
	struct detect_stats s;

	detect_get_stats(d, &s);
	return s;
}

static void expect_ids_of(const struct alert *a, const struct call *c)
{
	cr_expect_eq(a->has_trace, 1);
	cr_expect_eq(memcmp(a->trace_id, c->trace_id, 16), 0);
	cr_expect_eq(memcmp(a->span_id, c->span_id, 8), 0);
}

/* --- learning --- */

Test(detect, learning_window, .init = start, .fini = stop)
{
	cr_expect_eq(b.created_ns, T0);
	cr_expect_eq(b.learn_until_ns, AT(LEARN_S));
	cr_expect(detect_learning(d, AT(LEARN_S) - 1));
	cr_expect_not(detect_learning(d, AT(LEARN_S)));
}

Test(detect, no_alert_while_learning, .init = start, .fini = stop)
{
	struct call db = to_address("10.0.0.9", "postgresql", 5432, "SELECT users");

	drive(api("GET /users/{id}"), 0, 5, 10, 10, 500 * MS); /* failing and slow: still learning */
	detect_call(d, &db, AT(6));
	db.server_seen = 1;
	detect_call(d, &db, AT(7));
	cr_expect_eq(n_got, 0);
	cr_expect_eq(b.stats.edges, 2);
	cr_expect_eq(b.stats.ops, 2);
	cr_expect_eq(b.stats.listeners, 2);
	cr_expect_eq(b.edges[0].state, BASELINE_LEARNED);
	cr_expect_eq(b.ops[1].state, BASELINE_LEARNED);
	cr_expect_eq(stats().calls, 52);
}

Test(detect, learned_traffic_after_learning_is_quiet, .init = start, .fini = stop)
{
	learn_api();
	drive(api("GET /users/{id}"), LEARN_S, 30, 10, 0, MS);
	cr_expect_eq(n_got, 0);
	cr_expect_eq(b.edges[0].rates.seconds, LEARN_S, "no rate samples after learning");
	cr_expect_eq(b.edges[0].rates.calls, 10 * LEARN_S);
}

Test(detect, baseline_loaded_keeps_its_learning_period)
{
	struct detect_config c = config();
	struct call db = to_address("10.0.0.9", "postgresql", 5432, "SELECT users");

	cr_assert_eq(baseline_init(&b), 0);
	b.created_ns = AT(-100);
	b.learn_until_ns = AT(-50);
	d = detect_new(&c, &b, sink, NULL, T0);
	cr_expect_eq(b.learn_until_ns, AT(-50));
	cr_expect_not(detect_learning(d, T0));
	detect_call(d, &db, T0);
	cr_expect_eq(count_rule(ALERT_NEW_EDGE), 1);
	stop();
}

Test(detect, no_learning_at_all)
{
	struct detect_config c = config();
	struct call db = to_address("10.0.0.9", "postgresql", 5432, "SELECT users");

	c.learn_ns = 0;
	start_with(&c);
	detect_call(d, &db, T0);
	cr_expect_eq(count_rule(ALERT_NEW_EDGE), 1);
	stop();
}

/* --- new edge, listener, operation --- */

Test(detect, new_edge_alert, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.7", "redis", 6379, "GET");

	learn_api();
	detect_call(d, &c, AT(21));
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].rule, ALERT_NEW_EDGE);
	cr_expect_eq(got[0].severity, ALERT_SEV_MEDIUM);
	cr_expect_eq(got[0].count, 1);
	cr_expect_eq(got[0].time_unix_ns, AT(21));
	cr_expect_eq(got[0].port, 6379);
	cr_expect_str_eq(got[0].protocol, "redis");
	cr_expect_str_eq(got[0].operation, "GET");
	cr_expect_str_eq(got[0].src.service, "checkout");
	cr_expect_str_eq(got[0].dst.address, "10.0.0.7");
	cr_expect_eq(got[0].src_evidence.pid, 100);
	cr_expect_str_eq(got[0].reason,
			 "checkout (shop/checkout) called 10.0.0.7 on port 6379 (redis), an edge not in the baseline");
	expect_ids_of(&got[0], &c);
	cr_expect_eq(stats().alerts[ALERT_NEW_EDGE], 1);
}

Test(detect, new_edge_is_a_candidate_with_its_ops, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.7", "redis", 6379, "GET");
	struct baseline_edge *e;

	learn_api();
	detect_call(d, &c, AT(21));
	e = baseline_edge_get(&b, &c.client, &c.server, "redis", 6379, 0, 0, 0);
	cr_assert_not_null(e);
	cr_expect_eq(e->state, BASELINE_CANDIDATE);
	cr_assert_not_null(baseline_op_get(&b, (uint32_t)(e - b.edges), "GET", 0, 0, 0));
	cr_expect_eq(baseline_op_get(&b, (uint32_t)(e - b.edges), "GET", 0, 0, 0)->state,
		     BASELINE_CANDIDATE);
	c = to_address("10.0.0.7", "redis", 6379, "SET");
	detect_call(d, &c, AT(22));
	cr_expect_eq(count_rule(ALERT_NEW_OPERATION), 0, "a new edge's ops are not alerted apart");
	cr_expect_not_null(baseline_op_get(&b, (uint32_t)(e - b.edges), "SET", 0, 0, 0));
}

Test(detect, new_edge_without_protocol_says_tcp, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.7", "", 22, "tcp");

	learn_api();
	detect_call(d, &c, AT(21));
	cr_assert_eq(n_got, 1);
	cr_expect_str_eq(got[0].reason,
			 "checkout (shop/checkout) called 10.0.0.7 on port 22 (TCP), an edge not in the baseline");
}

Test(detect, new_edge_once_per_window_then_its_count, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.7", "redis", 6379, "GET"), last;

	learn_api();
	detect_call(d, &c, AT(21));
	c = to_address("10.0.0.7", "redis", 6379, "GET");
	detect_call(d, &c, AT(22));
	last = to_address("10.0.0.7", "redis", 6379, "SET");
	detect_call(d, &last, AT(23));
	cr_expect_eq(n_got, 1);
	cr_expect_eq(stats().deduplicated, 2);
	detect_tick(d, AT(21 + WINDOW_S) - 1);
	cr_expect_eq(n_got, 1, "the window is still open");
	detect_tick(d, AT(21 + WINDOW_S));
	cr_assert_eq(n_got, 2);
	cr_expect_eq(got[1].rule, ALERT_NEW_EDGE);
	cr_expect_eq(got[1].count, 2);
	cr_expect_eq(got[1].time_unix_ns, AT(21 + WINDOW_S));
	cr_expect_str_eq(got[1].operation, "SET", "the latest repeat");
	expect_ids_of(&got[1], &last);
	cr_expect_eq(stats().alerts[ALERT_NEW_EDGE], 2);
}

Test(detect, new_edge_after_a_quiet_window_alerts_again, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.7", "redis", 6379, "GET");

	learn_api();
	detect_call(d, &c, AT(21));
	detect_tick(d, AT(21 + WINDOW_S));
	cr_expect_eq(n_got, 1, "no repeats: no summary");
	detect_call(d, &c, AT(22 + WINDOW_S));
	cr_expect_eq(n_got, 2, "a candidate is alerted again in a new window");
	cr_expect_eq(got[1].count, 1);
}

Test(detect, repeats_after_a_summary_wait_for_the_next_window, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.7", "redis", 6379, "GET");

	learn_api();
	detect_call(d, &c, AT(21));
	detect_call(d, &c, AT(22));
	detect_tick(d, AT(21 + WINDOW_S));
	cr_assert_eq(n_got, 2);
	detect_call(d, &c, AT(22 + WINDOW_S));
	cr_expect_eq(n_got, 2);
	detect_tick(d, AT(21 + 2 * WINDOW_S));
	cr_assert_eq(n_got, 3);
	cr_expect_eq(got[2].count, 1);
}

Test(detect, flush_sends_open_windows, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.7", "redis", 6379, "GET");
	struct call e = to_address("10.0.0.8", "redis", 6379, "GET");

	learn_api();
	detect_call(d, &c, AT(21));
	detect_call(d, &c, AT(22));
	detect_call(d, &c, AT(23));
	detect_call(d, &e, AT(23)); /* a window without repeats: nothing to send */
	cr_assert_eq(n_got, 2);
	detect_flush(d, AT(24));
	cr_assert_eq(n_got, 3);
	cr_expect_eq(got[2].count, 2);
	cr_expect_str_eq(got[2].dst.address, "10.0.0.7");
	cr_expect_eq(got[2].time_unix_ns, AT(24));
	detect_flush(d, AT(25));
	cr_expect_eq(n_got, 3);
}

Test(detect, forget_windows_alerts_again, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.7", "redis", 6379, "GET");

	learn_api();
	detect_call(d, &c, AT(21));
	detect_forget_windows(d);
	detect_call(d, &c, AT(22));
	cr_expect_eq(n_got, 2);
	cr_expect_eq(got[1].count, 1);
}

Test(detect, accepted_edge_is_quiet, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.7", "redis", 6379, "GET");

	learn_api();
	detect_call(d, &c, AT(21));
	cr_expect_eq(baseline_accept(&b, NULL, 0), 2);
	detect_forget_windows(d);
	detect_call(d, &c, AT(22));
	cr_expect_eq(n_got, 1);
}

Test(detect, two_new_edges_two_alerts, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.7", "redis", 6379, "GET");
	struct call e = to_address("10.0.0.7", "redis", 6380, "GET");

	learn_api();
	detect_call(d, &c, AT(21));
	detect_call(d, &e, AT(21));
	cr_expect_eq(count_rule(ALERT_NEW_EDGE), 2);
}

Test(detect, new_listener_on_a_known_edge, .init = start, .fini = stop)
{
	struct call c = api("GET /users/{id}");

	/* learned from the client's side only: users' listener is not known */
	c.server_seen = 0;
	drive(c, 0, LEARN_S, 10, 0, MS);
	c = api("GET /users/{id}");
	detect_call(d, &c, AT(21));
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].rule, ALERT_NEW_LISTENER);
	cr_expect_eq(got[0].severity, ALERT_SEV_MEDIUM);
	cr_expect_eq(got[0].port, 8080);
	cr_expect_str_eq(got[0].dst.service, "users");
	cr_expect_eq(got[0].dst_evidence.pid, 200);
	cr_expect_str_eq(got[0].reason,
			 "users (shop/users) accepted a http call on port 8080, a port it never served while learning");
	expect_ids_of(&got[0], &c);
	cr_expect_eq(baseline_listener_get(&b, &c.server, 8080, 0, 0, 0)->state, BASELINE_CANDIDATE);
}

Test(detect, new_listener_and_new_edge, .init = start, .fini = stop)
{
	struct call c = api("GET /users/{id}");

	learn_api();
	c.port = 9090;
	detect_call(d, &c, AT(21));
	cr_expect_eq(n_got, 2);
	cr_expect_eq(count_rule(ALERT_NEW_LISTENER), 1);
	cr_expect_eq(count_rule(ALERT_NEW_EDGE), 1);
}

Test(detect, new_listener_once_per_window_whoever_calls, .init = start, .fini = stop)
{
	struct call c = api("GET /users/{id}"), e;

	learn_api();
	c.port = 9090;
	e = c;
	e.client = ident("billing", "shop", "billing", "java");
	detect_call(d, &c, AT(21));
	detect_call(d, &e, AT(22));
	cr_expect_eq(count_rule(ALERT_NEW_LISTENER), 1);
	cr_expect_eq(count_rule(ALERT_NEW_EDGE), 2, "two edges");
	detect_flush(d, AT(23));
	cr_expect_eq(count_rule(ALERT_NEW_LISTENER), 2);
	cr_expect_eq(got[n_got - 1].count, 1);
	cr_expect_str_eq(got[n_got - 1].src.service, "billing", "the latest caller");
}

Test(detect, known_listener_new_client_is_only_a_new_edge, .init = start, .fini = stop)
{
	struct call c = api("GET /users/{id}");

	learn_api();
	c.client = ident("billing", "shop", "billing", "java");
	detect_call(d, &c, AT(21));
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].rule, ALERT_NEW_EDGE);
	cr_expect_str_eq(got[0].reason,
			 "billing (shop/billing) called users (shop/users) on port 8080 (http), an edge not in the baseline");
}

Test(detect, new_operation_on_a_known_edge, .init = start, .fini = stop)
{
	struct call c = api("DELETE /users/{id}");

	learn_api();
	detect_call(d, &c, AT(21));
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].rule, ALERT_NEW_OPERATION);
	cr_expect_eq(got[0].severity, ALERT_SEV_LOW);
	cr_expect_str_eq(got[0].operation, "DELETE /users/{id}");
	cr_expect_str_eq(got[0].reason,
			 "checkout (shop/checkout) sent \"DELETE /users/{id}\" to users (shop/users) on port 8080, an operation not in the baseline of this edge");
	expect_ids_of(&got[0], &c);
}

Test(detect, new_operation_once_per_window, .init = start, .fini = stop)
{
	struct call c = api("DELETE /users/{id}");
	struct call e = api("PUT /users/{id}");

	learn_api();
	detect_call(d, &c, AT(21));
	detect_call(d, &c, AT(22));
	detect_call(d, &e, AT(22));
	cr_expect_eq(count_rule(ALERT_NEW_OPERATION), 2, "one per operation");
	cr_expect_eq(stats().deduplicated, 1);
}

Test(detect, known_operation_is_quiet, .init = start, .fini = stop)
{
	struct call c = api("GET /users/{id}");

	learn_api();
	detect_call(d, &c, AT(21));
	cr_expect_eq(n_got, 0);
}

/* --- spikes --- */

Test(detect, call_spike_at_ten_times_the_rate, .init = start, .fini = stop)
{
	struct call c = api("GET /users/{id}");

	learn_api();
	drive(c, LEARN_S, 2, 100, 0, MS);
	cr_expect_eq(n_got, 0, "140 then 230 calls in 5 s: not yet above 50/s");
	drive(c, LEARN_S + 2, 1, 100, 0, MS);
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].rule, ALERT_CALL_SPIKE);
	cr_expect_eq(got[0].severity, ALERT_SEV_MEDIUM);
	cr_expect_eq(got[0].time_unix_ns, AT(LEARN_S + 3));
	cr_expect_eq(got[0].port, 8080);
	cr_expect_str_eq(got[0].protocol, "http");
	cr_expect_str_eq(got[0].src.service, "checkout");
	cr_expect_str_eq(got[0].dst.service, "users");
	cr_expect_str_eq(got[0].reason,
			 "320 calls in 5 s from checkout (shop/checkout) to users (shop/users) on port 8080: "
			 "64.0/s, above 50.0/s (learned 10.00/s, sd 0.00)");
}

Test(detect, call_spike_points_at_the_latest_call, .init = start, .fini = stop)
{
	struct call c = api("GET /users/{id}");
	uint32_t last = 99;

	learn_api();
	drive(c, LEARN_S, 3, 100, 0, MS);
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].has_trace, 1);
	cr_expect_eq(memcmp(got[0].trace_id, c.trace_id, 16), 0);
	cr_expect_eq(memcmp(got[0].span_id, &last, 4), 0, "drive numbers its calls");
	cr_expect_eq(got[0].src_evidence.pid, 100);
	cr_expect_eq(got[0].dst_evidence.pid, 200);
}

Test(detect, call_spike_once_per_episode, .init = start, .fini = stop)
{
	learn_api();
	drive(api("GET /users/{id}"), LEARN_S, 20, 100, 0, MS);
	cr_expect_eq(count_rule(ALERT_CALL_SPIKE), 1);
	cr_expect_eq(stats().deduplicated, 0, "held by the edge, not by the window");
}

Test(detect, call_spike_again_after_the_episode_ends)
{
	struct detect_config c = config();

	c.window_ns = NS;
	start_with(&c);
	learn_api();
	drive(api("GET /users/{id}"), LEARN_S, 10, 100, 0, MS);
	drive(api("GET /users/{id}"), LEARN_S + 10, 10, 10, 0, MS);
	cr_expect_eq(count_rule(ALERT_CALL_SPIKE), 1);
	drive(api("GET /users/{id}"), LEARN_S + 20, 10, 100, 0, MS);
	cr_expect_eq(count_rule(ALERT_CALL_SPIKE), 2);
	stop();
}

Test(detect, no_call_spike_at_twice_the_rate, .init = start, .fini = stop)
{
	learn_api();
	drive(api("GET /users/{id}"), LEARN_S, 30, 20, 0, MS);
	cr_expect_eq(n_got, 0);
}

Test(detect, no_call_spike_below_min_calls)
{
	struct detect_config c = config();

	start_with(&c);
	/* one call in 20 learned seconds: mean 0.05/s, sd 0.22, limit 1.36/s */
	drive(api("GET /users/{id}"), 0, 1, 1, 0, MS);
	drive(api("GET /users/{id}"), 1, LEARN_S - 1, 0, 0, MS);
	/* 3 a second is far above it, but 15 calls in 5 s are too few to tell */
	drive(api("GET /users/{id}"), LEARN_S, 10, 3, 0, MS);
	cr_expect_eq(n_got, 0);
	/* 5 a second: 25 calls */
	drive(api("GET /users/{id}"), LEARN_S + 10, 10, 5, 0, MS);
	cr_expect_eq(count_rule(ALERT_CALL_SPIKE), 1);
	stop();
}

Test(detect, no_spikes_for_an_edge_with_few_learned_seconds)
{
	struct detect_config c = config();

	start_with(&c);
	/* the edge first showed 9 s before learning ended */
	drive(api("GET /users/{id}"), 0, LEARN_S - 9, 0, 0, MS);
	drive(api("GET /users/{id}"), LEARN_S - 9, 9, 10, 0, MS);
	cr_expect_eq(b.edges[0].rates.seconds, 9);
	drive(api("GET /users/{id}"), LEARN_S, 10, 1000, 1000, 500 * MS);
	cr_expect_eq(n_got, 0);
	stop();
}

Test(detect, error_spike_when_calls_fail, .init = start, .fini = stop)
{
	learn_api();
	drive(api("GET /users/{id}"), LEARN_S, 2, 10, 10, MS);
	cr_expect_eq(n_got, 0, "20 of 100: under 25%");
	drive(api("GET /users/{id}"), LEARN_S + 2, 1, 10, 10, MS);
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].rule, ALERT_ERROR_SPIKE);
	cr_expect_eq(got[0].severity, ALERT_SEV_MEDIUM);
	cr_expect_str_eq(got[0].reason,
			 "30 of 100 calls in 10 s from checkout (shop/checkout) to users (shop/users) on port 8080 "
			 "failed (30%), at or above 25% (learned 0.0%)");
	drive(api("GET /users/{id}"), LEARN_S + 3, 20, 10, 10, MS);
	cr_expect_eq(count_rule(ALERT_ERROR_SPIKE), 1, "once per episode");
}

Test(detect, no_error_spike_for_one_error_in_a_hundred, .init = start, .fini = stop)
{
	learn_api();
	drive(api("GET /users/{id}"), LEARN_S, 1, 10, 1, MS);
	drive(api("GET /users/{id}"), LEARN_S + 1, 9, 10, 0, MS);
	cr_expect_eq(n_got, 0);
}

Test(detect, no_error_spike_below_min_errors, .init = start, .fini = stop)
{
	learn_api();
	/* 4 of the last 10 s's 10 calls fail: 40%, but fewer than 5 errors */
	drive(api("GET /users/{id}"), LEARN_S, 10, 1, 0, MS);
	drive(api("GET /users/{id}"), LEARN_S + 10, 4, 1, 1, MS);
	cr_expect_eq(n_got, 0);
}

Test(detect, no_error_spike_for_an_edge_that_always_failed, .init = start, .fini = stop)
{
	/* it failed all through learning: failing now is what it does */
	drive(api("GET /users/{id}"), 0, LEARN_S, 10, 10, MS);
	cr_expect_eq(b.edges[0].rates.err_mean, 1.0);
	drive(api("GET /users/{id}"), LEARN_S, 20, 10, 10, MS);
	cr_expect_eq(n_got, 0);
}

Test(detect, error_spike_from_half_to_all, .init = start, .fini = stop)
{
	drive(api("GET /users/{id}"), 0, LEARN_S, 10, 5, MS);
	cr_expect_float_eq(b.edges[0].rates.err_mean, 0.5, 0.05);
	drive(api("GET /users/{id}"), LEARN_S, 9, 10, 10, MS);
	cr_expect_eq(n_got, 0, "95% of the window: under 100%");
	drive(api("GET /users/{id}"), LEARN_S + 9, 1, 10, 10, MS);
	cr_expect_eq(count_rule(ALERT_ERROR_SPIKE), 1);
}

Test(detect, latency_spike, .init = start, .fini = stop)
{
	learn_api();
	drive(api("GET /users/{id}"), LEARN_S, 2, 10, 0, 50 * MS);
	cr_expect_eq(n_got, 0, "10.8 ms: not above 11 ms");
	drive(api("GET /users/{id}"), LEARN_S + 2, 1, 10, 0, 50 * MS);
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].rule, ALERT_LATENCY_SPIKE);
	cr_expect_eq(got[0].severity, ALERT_SEV_LOW);
	cr_expect_str_eq(got[0].reason,
			 "mean latency of 100 calls in 10 s from checkout (shop/checkout) to users (shop/users) "
			 "on port 8080: 15.7 ms, above 11.0 ms (learned 1.00 ms, sd 0.00)");
	drive(api("GET /users/{id}"), LEARN_S + 3, 20, 10, 0, 50 * MS);
	cr_expect_eq(count_rule(ALERT_LATENCY_SPIKE), 1, "once per episode");
}

Test(detect, no_latency_spike_within_ten_ms, .init = start, .fini = stop)
{
	learn_api();
	/* 3x the learned 1 ms, but not 10 ms above it */
	drive(api("GET /users/{id}"), LEARN_S, 20, 10, 0, 10 * MS);
	cr_expect_eq(n_got, 0);
}

Test(detect, spikes_skip_candidate_edges, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.7", "redis", 6379, "GET");

	learn_api();
	drive(c, LEARN_S, 20, 200, 200, 900 * MS);
	cr_expect_eq(n_got, 1);
	cr_expect_eq(got[0].rule, ALERT_NEW_EDGE);
}

Test(detect, spike_rules_wait_for_learning_to_end, .init = start, .fini = stop)
{
	drive(api("GET /users/{id}"), 0, 12, 10, 0, MS);
	drive(api("GET /users/{id}"), 12, LEARN_S - 13, 1000, 1000, 900 * MS);
	cr_expect(detect_learning(d, AT(LEARN_S - 1)));
	cr_expect_eq(n_got, 0);
}

Test(detect, missed_ticks_move_the_window_on, .init = start, .fini = stop)
{
	learn_api();
	drive(api("GET /users/{id}"), LEARN_S, 3, 100, 0, MS);
	cr_assert_eq(count_rule(ALERT_CALL_SPIKE), 1);
	/* a stall of an hour: the window is all quiet seconds, the episode over */
	detect_tick(d, AT(LEARN_S + 3 + 3600));
	drive(api("GET /users/{id}"), LEARN_S + 3 + 3600, 3, 100, 0, MS);
	cr_expect_eq(count_rule(ALERT_CALL_SPIKE), 2);
	cr_expect_eq(b.edges[0].rates.seconds, LEARN_S);
}

/* --- payload rules --- */

Test(detect, payload_alert_while_learning, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.8", "redis", 6379, "CONFIG SET");

	c.payload_rules = 1u << ALERT_REDIS_DANGEROUS;
	strcpy(c.detail, "redis command CONFIG SET");
	detect_call(d, &c, AT(1));
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].rule, ALERT_REDIS_DANGEROUS);
	cr_expect_eq(got[0].severity, ALERT_SEV_HIGH);
	cr_expect_str_eq(got[0].reason,
			 "a Redis command used to take over a server: CONFIG SET, SLAVEOF/REPLICAOF, MODULE LOAD: "
			 "redis command CONFIG SET; checkout (shop/checkout) called 10.0.0.8 on port 6379");
	expect_ids_of(&got[0], &c);
}

Test(detect, payload_alert_after_learning_on_a_known_edge, .init = start, .fini = stop)
{
	struct call c = api("GET /users/{id}");

	learn_api();
	c.payload_rules = 1u << ALERT_HTTP_PATH_TRAVERSAL;
	strcpy(c.detail, "url.path /../etc/passwd");
	detect_call(d, &c, AT(21));
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].rule, ALERT_HTTP_PATH_TRAVERSAL);
	cr_expect_str_eq(got[0].reason,
			 "an HTTP request target that climbs out of its directory (../, encoded forms): "
			 "url.path /../etc/passwd; checkout (shop/checkout) called users (shop/users) on port 8080");
}

Test(detect, payload_alerts_one_per_rule, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.9", "postgresql", 5432, "SELECT u");

	c.payload_rules = 1u << ALERT_SQL_COMMAND_EXEC | 1u << ALERT_SQL_TAUTOLOGY;
	detect_call(d, &c, AT(1));
	cr_expect_eq(n_got, 2);
	cr_expect_eq(count_rule(ALERT_SQL_COMMAND_EXEC), 1);
	cr_expect_eq(count_rule(ALERT_SQL_TAUTOLOGY), 1);
	cr_expect_eq(got[0].severity + got[1].severity, ALERT_SEV_CRITICAL + ALERT_SEV_MEDIUM);
}

Test(detect, payload_alert_deduplicated_per_edge, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.8", "redis", 6379, "CONFIG SET");

	c.payload_rules = 1u << ALERT_REDIS_DANGEROUS;
	detect_call(d, &c, AT(1));
	detect_call(d, &c, AT(2));
	cr_expect_eq(n_got, 1);
	detect_tick(d, AT(1 + WINDOW_S));
	cr_assert_eq(n_got, 2);
	cr_expect_eq(got[1].count, 1);
}

Test(detect, sql_stacked_learned_per_edge, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.9", "postgresql", 5432, "SELECT u");

	c.payload_rules = 1u << ALERT_SQL_STACKED;
	detect_call(d, &c, AT(1));
	cr_expect_eq(n_got, 0, "learned, not alerted");
	cr_expect_eq(b.edges[0].rates.stacked, 1);
	detect_call(d, &c, AT(LEARN_S + 1));
	cr_expect_eq(n_got, 0, "a habit of this edge");
}

Test(detect, sql_stacked_alerts_on_an_edge_that_never_sent_it, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.9", "postgresql", 5432, "SELECT u");

	detect_call(d, &c, AT(1));
	c.payload_rules = 1u << ALERT_SQL_STACKED;
	strcpy(c.detail, "db.query.text SELECT ?; DROP TABLE t");
	detect_call(d, &c, AT(LEARN_S + 1));
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].rule, ALERT_SQL_STACKED);
	cr_expect_eq(got[0].severity, ALERT_SEV_MEDIUM);
	cr_expect_eq(b.edges[0].rates.stacked, 0);
}

Test(detect, sql_stacked_alerts_on_a_new_edge, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.9", "postgresql", 5432, "SELECT u");

	learn_api();
	c.payload_rules = 1u << ALERT_SQL_STACKED;
	detect_call(d, &c, AT(21));
	cr_expect_eq(count_rule(ALERT_SQL_STACKED), 1);
	cr_expect_eq(count_rule(ALERT_NEW_EDGE), 1);
}

Test(detect, sql_stacked_learning_does_not_hide_other_rules, .init = start, .fini = stop)
{
	struct call c = to_address("10.0.0.9", "postgresql", 5432, "SELECT u");

	c.payload_rules = 1u << ALERT_SQL_STACKED | 1u << ALERT_SQL_TAUTOLOGY;
	detect_call(d, &c, AT(1));
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].rule, ALERT_SQL_TAUTOLOGY);
}

/* --- switches, rate limit, policy --- */

Test(detect, disabled_rules_never_alert)
{
	struct detect_config cfg = config();
	struct call c = to_address("10.0.0.8", "redis", 6379, "CONFIG SET");

	cfg.disabled = 1u << ALERT_NEW_EDGE | 1u << ALERT_REDIS_DANGEROUS | 1u << ALERT_CALL_SPIKE;
	start_with(&cfg);
	c.payload_rules = 1u << ALERT_REDIS_DANGEROUS;
	detect_call(d, &c, AT(1));
	learn_api();
	detect_call(d, &c, AT(21));
	c = to_address("10.0.0.7", "redis", 6379, "GET");
	detect_call(d, &c, AT(21));
	drive(api("GET /users/{id}"), LEARN_S, 10, 100, 0, MS);
	detect_flush(d, AT(100));
	cr_expect_eq(n_got, 0);
	for (int r = 0; r < ALERT_RULE_COUNT; r++)
		cr_expect_eq(stats().alerts[r], 0, "rule %d", r);
	/* the edge is still a candidate for `baseline accept` */
	cr_expect_eq(baseline_edge_get(&b, &c.client, &c.server, "redis", 6379, 0, 0, 0)->state,
		     BASELINE_CANDIDATE);
	stop();
}

Test(detect, disabled_rule_leaves_others)
{
	struct detect_config cfg = config();
	struct call c = to_address("10.0.0.7", "redis", 6379, "GET");

	cfg.disabled = 1u << ALERT_NEW_OPERATION;
	start_with(&cfg);
	learn_api();
	detect_call(d, &c, AT(21));
	c = api("DELETE /users/{id}");
	detect_call(d, &c, AT(21));
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].rule, ALERT_NEW_EDGE);
	stop();
}

Test(detect, rate_limit_drops_and_counts)
{
	struct detect_config cfg = config();

	cfg.rate = 2;
	start_with(&cfg);
	learn_api();
	for (uint16_t p = 1; p <= 5; p++) {
		struct call c = to_address("10.0.0.7", "redis", p, "GET");

		detect_call(d, &c, AT(21));
	}
	cr_expect_eq(n_got, 2);
	cr_expect_eq(stats().rate_limited, 3);
	cr_expect_eq(stats().alerts[ALERT_NEW_EDGE], 2);
	/* half a second: one token back */
	for (uint16_t p = 6; p <= 8; p++) {
		struct call c = to_address("10.0.0.7", "redis", p, "GET");

		detect_call(d, &c, AT(21) + NS / 2);
	}
	cr_expect_eq(n_got, 3);
	cr_expect_eq(stats().rate_limited, 5);
	stop();
}

Test(detect, rate_limit_burst_is_the_rate)
{
	struct detect_config cfg = config();

	cfg.rate = 3;
	start_with(&cfg);
	learn_api();
	/* a minute idle does not save more than a second's worth */
	for (uint16_t p = 1; p <= 10; p++) {
		struct call c = to_address("10.0.0.7", "redis", p, "GET");

		detect_call(d, &c, AT(100));
	}
	cr_expect_eq(n_got, 3);
	cr_expect_eq(stats().rate_limited, 7);
	stop();
}

Test(detect, rate_zero_means_one)
{
	struct detect_config cfg = config();

	cfg.rate = 0;
	start_with(&cfg);
	learn_api();
	for (uint16_t p = 1; p <= 3; p++) {
		struct call c = to_address("10.0.0.7", "redis", p, "GET");

		detect_call(d, &c, AT(21));
	}
	cr_expect_eq(n_got, 1);
	cr_expect_eq(stats().rate_limited, 2);
	stop();
}

Test(detect, rate_limit_refills_after_the_clock_steps_back)
{
	struct detect_config cfg = config();
	struct call c;

	cfg.rate = 1;
	start_with(&cfg);
	learn_api();
	c = to_address("10.0.0.7", "redis", 1, "GET");
	detect_call(d, &c, AT(200));
	c = to_address("10.0.0.7", "redis", 2, "GET");
	detect_call(d, &c, AT(100)); /* stepped back 100 s: no token yet */
	cr_expect_eq(n_got, 1);
	c = to_address("10.0.0.7", "redis", 3, "GET");
	detect_call(d, &c, AT(101)); /* a second later */
	cr_expect_eq(n_got, 2);
	cr_expect_eq(stats().rate_limited, 1);
	stop();
}

Test(detect, spikes_go_on_after_the_clock_steps_back, .init = start, .fini = stop)
{
	learn_api();
	drive(api("GET /users/{id}"), LEARN_S, 180, 10, 0, MS);
	/* the clock steps back 100 s, still after learning */
	drive(api("GET /users/{id}"), LEARN_S + 80, 3, 100, 0, MS);
	cr_expect_eq(count_rule(ALERT_CALL_SPIKE), 1);
}

struct policy_ctx {
	int asked;
};

static int deny_redis(void *ctx, const struct call *c, uint8_t *severity, char *reason, size_t len)
{
	struct policy_ctx *p = ctx;

	p->asked++;
	if (c->port != 6379)
		return 0;
	*severity = ALERT_SEV_CRITICAL;
	snprintf(reason, len, "deny rule 2: %s may not reach redis", c->client.service);
	return 1;
}

Test(detect, policy_deny_with_its_severity)
{
	struct detect_config cfg = config();
	struct policy_ctx p = { 0 };
	struct call c = to_address("10.0.0.8", "redis", 6379, "GET");

	cfg.policy = deny_redis;
	cfg.policy_ctx = &p;
	start_with(&cfg);
	detect_call(d, &c, AT(1)); /* while learning too */
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].rule, ALERT_POLICY_DENY);
	cr_expect_eq(got[0].severity, ALERT_SEV_CRITICAL);
	cr_expect_str_eq(got[0].reason, "deny rule 2: checkout may not reach redis");
	cr_expect_str_eq(got[0].dst.address, "10.0.0.8");
	cr_expect_eq(got[0].port, 6379);
	expect_ids_of(&got[0], &c);
	cr_expect_eq(p.asked, 1);
	stop();
}

Test(detect, policy_allow_is_quiet)
{
	struct detect_config cfg = config();
	struct policy_ctx p = { 0 };

	cfg.policy = deny_redis;
	cfg.policy_ctx = &p;
	start_with(&cfg);
	learn_api();
	cr_expect_eq(n_got, 0);
	cr_expect_eq(p.asked, 10 * LEARN_S);
	stop();
}

Test(detect, policy_deny_deduplicated_per_edge)
{
	struct detect_config cfg = config();
	struct policy_ctx p = { 0 };
	struct call c = to_address("10.0.0.8", "redis", 6379, "GET");

	cfg.policy = deny_redis;
	cfg.policy_ctx = &p;
	start_with(&cfg);
	detect_call(d, &c, AT(1));
	detect_call(d, &c, AT(2));
	cr_expect_eq(n_got, 1);
	cr_expect_eq(stats().deduplicated, 1);
	stop();
}

Test(detect, policy_deny_disabled)
{
	struct detect_config cfg = config();
	struct policy_ctx p = { 0 };
	struct call c = to_address("10.0.0.8", "redis", 6379, "GET");

	cfg.policy = deny_redis;
	cfg.policy_ctx = &p;
	cfg.disabled = 1u << ALERT_POLICY_DENY;
	start_with(&cfg);
	detect_call(d, &c, AT(1));
	cr_expect_eq(n_got, 0);
	stop();
}
