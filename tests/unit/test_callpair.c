// SPDX-License-Identifier: MIT
/* user/security/callpair.c: the CLIENT and SERVER spans of one call on this
 * node become one call; a span whose far end is off the node is a call at
 * once; a span that waits in vain is released alone, never lost. */
#include <criterion/criterion.h>
#include <string.h>

#include "alert.h"
#include "callpair.h"
#include "span_fixture.h"

#define MS 1000000ULL
#define WAIT_NS (500 * MS)
#define T0 (1700000000ULL * 1000000000ULL)
#define GOLDEN 0x9e3779b97f4a7c15ULL

static struct call got[16];
static int n_got;

static void sink(void *ctx, const struct call *c)
{
	(void)ctx;
	cr_assert_lt(n_got, 16);
	got[n_got++] = *c;
}

static const uint8_t client_id[8] = { 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8 };
static const uint8_t server_id[8] = { 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58 };

/* A span of svc from client:cport to server:sport that ran [start, end). */
static struct span base_span(uint8_t kind, const char *svc, const char *client, uint16_t cport,
			     const char *server, uint16_t sport, uint64_t start, uint64_t end)
{
	struct span s;

	memset(&s, 0, sizeof(s));
	s.kind = kind;
	for (int i = 0; i < 16; i++)
		s.trace_id[i] = (uint8_t)(0x10 + i);
	memcpy(s.span_id, kind == SPAN_KIND_CLIENT ? client_id : server_id, 8);
	s.pid = kind == SPAN_KIND_CLIENT ? 100 : 200;
	strcpy(s.service_name, svc);
	strcpy(s.exe_name, kind == SPAN_KIND_CLIENT ? "python3" : "node");
	strcpy(s.client.address, client);
	s.client.port = cport;
	strcpy(s.server.address, server);
	s.server.port = sport;
	s.peer = kind == SPAN_KIND_SERVER ? s.client : s.server;
	s.start_unix_ns = start;
	s.end_unix_ns = end;
	return s;
}

static struct span http_span(uint8_t kind, const char *svc, const char *client, uint16_t cport,
			     const char *server, uint16_t sport, uint64_t start, uint64_t end)
{
	struct span s = base_span(kind, svc, client, cport, server, sport, start, end);
	struct http_fields f = { .method = "GET", .path = "/users/1", .route = "/users/{id}",
				 .status = 200, .version_minor = 1 };

	span_fixture_http(&s, &f);
	return s;
}

/* checkout's request to users over loopback: 5 ms as the client saw it. */
static struct span local_client(void)
{
	return http_span(SPAN_KIND_CLIENT, "checkout", "127.0.0.1", 40000, "127.0.0.1", 8080, T0,
			 T0 + 5 * MS);
}

/* users serving it: 3 ms, a child of the client's span. */
static struct span local_server(void)
{
	struct span s = http_span(SPAN_KIND_SERVER, "users", "127.0.0.1", 40000, "127.0.0.1", 8080,
				  T0 + MS, T0 + 4 * MS);

	s.has_parent = 1;
	memcpy(s.parent_span_id, client_id, 8);
	return s;
}

static struct span db_span(uint8_t kind, const char *system, const char *client, const char *server,
			   uint16_t port)
{
	struct span s = base_span(kind, kind == SPAN_KIND_CLIENT ? "checkout" : "postgres", client,
				  40000, server, port, T0, T0 + 2 * MS);
	const char *labels[2] = { system, "SELECT" };

	snprintf(s.name, sizeof(s.name), "SELECT users");
	span_attrs_cstr(&s.attrs, "db.system.name", system);
	span_attrs_cstr(&s.attrs, "db.query.text", "SELECT * FROM users WHERE id = ?");
	span_metric_set(&s.metric, kind == SPAN_KIND_CLIENT ? METRIC_DB_CLIENT : METRIC_DB_SERVER,
			labels);
	return s;
}

static void expect_local_pair(const struct call *c)
{
	for (int i = 0; i < 16; i++)
		cr_expect_eq(c->trace_id[i], 0x10 + i);
	cr_expect_eq(memcmp(c->span_id, client_id, 8), 0, "the client's span id");
	cr_expect_str_eq(c->client.service, "checkout");
	cr_expect_str_eq(c->client.exe, "python3");
	cr_expect_str_eq(c->client.address, "");
	cr_expect_str_eq(c->server.service, "users");
	cr_expect_str_eq(c->server.exe, "node");
	cr_expect_str_eq(c->server.address, "");
	cr_expect_eq(c->client_evidence.pid, 100);
	cr_expect_eq(c->server_evidence.pid, 200);
	cr_expect_str_eq(c->protocol, "http");
	cr_expect_str_eq(c->operation, "GET /users/{id}");
	cr_expect_eq(c->port, 8080);
	cr_expect_eq(c->client_seen, 1);
	cr_expect_eq(c->server_seen, 1);
	cr_expect_eq(c->client_ns, 5 * MS);
	cr_expect_eq(c->server_ns, 3 * MS);
	cr_expect_eq(c->end_unix_ns, T0 + 5 * MS);
	cr_expect_eq(c->connection, CALL_CONN_UNSET);
	cr_expect_eq(c->error, 0);
	cr_expect_eq(c->payload_rules, 0);
}

static struct callpair_stats stats_of(const struct callpair *p)
{
	struct callpair_stats st;

	callpair_get_stats(p, &st);
	return st;
}

/* n keys that land in one set of the table, as cp_set picks it (the top 8
 * bits of the key times the golden ratio): a test of the layout, on purpose. */
static void keys_of_one_set(uint64_t *keys, int n)
{
	uint64_t v = 1;
	uint64_t set = (1 * GOLDEN) >> 56;

	for (int k = 0; k < n; v++)
		if (((v * GOLDEN) >> 56) == set)
			keys[k++] = v;
}

Test(callpair, server_then_client_merge)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span srv = local_server(), cli = local_client();

	callpair_span(p, &srv, 1000);
	cr_expect_eq(n_got, 0, "the server's span waits for its client");
	callpair_span(p, &cli, 1000 + MS);
	cr_assert_eq(n_got, 1);
	expect_local_pair(&got[0]);
	cr_expect_eq(stats_of(p).paired, 1);
	cr_expect_eq(stats_of(p).client_only, 0);
	cr_expect_eq(stats_of(p).server_only, 0);
	callpair_flush(p);
	cr_expect_eq(n_got, 1, "nothing left waiting");
	callpair_free(p);
}

Test(callpair, client_then_server_merge)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span srv = local_server(), cli = local_client();

	callpair_span(p, &cli, 1000);
	cr_expect_eq(n_got, 0);
	callpair_span(p, &srv, 1000 + MS);
	cr_assert_eq(n_got, 1);
	expect_local_pair(&got[0]);
	cr_expect_eq(stats_of(p).paired, 1);
	callpair_flush(p);
	cr_expect_eq(n_got, 1);
	callpair_free(p);
}

Test(callpair, merge_takes_the_servers_error)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span srv = local_server(), cli = local_client();

	srv.status = SPAN_STATUS_ERROR;
	callpair_span(p, &srv, 1000);
	callpair_span(p, &cli, 1000);
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].error, 1);
	callpair_free(p);
}

Test(callpair, merge_takes_the_servers_payload_findings)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span srv = local_server(), cli = local_client();
	struct http_fields f = { .method = "GET", .path = "/static/../etc/passwd", .status = 200,
				 .version_minor = 1 };

	/* the server saw the target the client's span does not show */
	span_fixture_http(&srv, &f);
	callpair_span(p, &srv, 1000);
	callpair_span(p, &cli, 1000);
	cr_assert_eq(n_got, 1);
	cr_expect_eq(got[0].payload_rules, 1u << ALERT_HTTP_PATH_TRAVERSAL);
	cr_expect_str_eq(got[0].detail, "url.path /static/../etc/passwd");
	cr_expect_str_eq(got[0].operation, "GET /users/{id}", "the client's operation");
	callpair_free(p);
}

Test(callpair, pair_of_database_spans_is_database)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span cli = db_span(SPAN_KIND_CLIENT, "postgresql", "127.0.0.1", "127.0.0.1", 5432);
	struct span srv = db_span(SPAN_KIND_SERVER, "postgresql", "127.0.0.1", "127.0.0.1", 5432);

	srv.has_parent = 1;
	memcpy(srv.parent_span_id, client_id, 8);
	callpair_span(p, &cli, 1000);
	callpair_span(p, &srv, 1000);
	cr_assert_eq(n_got, 1);
	cr_expect_str_eq(got[0].protocol, "postgresql");
	cr_expect_eq(got[0].connection, CALL_CONN_DATABASE);
	cr_expect_str_eq(got[0].server.service, "postgres");
	callpair_free(p);
}

Test(callpair, remote_client_span_is_a_call_at_once)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span cli = http_span(SPAN_KIND_CLIENT, "checkout", "10.0.0.5", 40000, "10.0.0.9", 8080,
				    T0, T0 + 5 * MS);

	callpair_span(p, &cli, 1000);
	cr_assert_eq(n_got, 1);
	cr_expect_str_eq(got[0].client.service, "checkout");
	cr_expect_str_eq(got[0].server.address, "10.0.0.9");
	cr_expect_str_eq(got[0].server.service, "");
	cr_expect_eq(got[0].client_seen, 1);
	cr_expect_eq(got[0].server_seen, 0);
	cr_expect_eq(got[0].client_ns, 5 * MS);
	cr_expect_eq(got[0].server_ns, 0);
	cr_expect_eq(got[0].connection, CALL_CONN_VIRTUAL);
	cr_expect_eq(memcmp(got[0].span_id, client_id, 8), 0);
	cr_expect_eq(stats_of(p).paired + stats_of(p).client_only + stats_of(p).server_only, 0);
	callpair_free(p);
}

Test(callpair, remote_server_span_is_a_call_at_once)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span srv = http_span(SPAN_KIND_SERVER, "users", "10.0.0.5", 40000, "10.0.0.9", 8080, T0,
				    T0 + 3 * MS);

	srv.has_parent = 1; /* the caller's context came over the wire */
	memcpy(srv.parent_span_id, client_id, 8);
	callpair_span(p, &srv, 1000);
	cr_assert_eq(n_got, 1);
	cr_expect_str_eq(got[0].client.address, "10.0.0.5");
	cr_expect_str_eq(got[0].server.service, "users");
	cr_expect_eq(got[0].server_seen, 1);
	cr_expect_eq(got[0].client_seen, 0);
	cr_expect_eq(got[0].server_ns, 3 * MS);
	cr_expect_eq(memcmp(got[0].span_id, server_id, 8), 0);
	callpair_free(p);
}

Test(callpair, remote_database_client_span)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span cli = db_span(SPAN_KIND_CLIENT, "postgresql", "10.0.0.5", "10.0.0.7", 5432);

	callpair_span(p, &cli, 1000);
	cr_assert_eq(n_got, 1);
	cr_expect_str_eq(got[0].protocol, "postgresql");
	cr_expect_str_eq(got[0].operation, "SELECT users");
	cr_expect_eq(got[0].connection, CALL_CONN_DATABASE);
	cr_expect_str_eq(got[0].server.address, "10.0.0.7");
	cr_expect_eq(got[0].port, 5432);
	callpair_free(p);
}

Test(callpair, local_client_released_after_the_wait)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span cli = local_client();

	callpair_span(p, &cli, 1000);
	callpair_tick(p, 1000 + WAIT_NS - 1);
	cr_expect_eq(n_got, 0, "still waiting");
	callpair_tick(p, 1000 + WAIT_NS);
	cr_assert_eq(n_got, 1);
	cr_expect_str_eq(got[0].client.service, "checkout");
	cr_expect_str_eq(got[0].server.address, "127.0.0.1");
	cr_expect_eq(got[0].server_seen, 0);
	cr_expect_eq(got[0].connection, CALL_CONN_VIRTUAL);
	cr_expect_eq(stats_of(p).client_only, 1);
	cr_expect_eq(stats_of(p).server_only, 0);
	cr_expect_eq(stats_of(p).paired, 0);
	callpair_tick(p, 1000 + 2 * WAIT_NS);
	cr_expect_eq(n_got, 1, "released once");
	callpair_free(p);
}

Test(callpair, local_server_released_after_the_wait)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span srv = local_server();

	callpair_span(p, &srv, 1000);
	callpair_tick(p, 1000 + WAIT_NS);
	cr_assert_eq(n_got, 1);
	cr_expect_str_eq(got[0].client.address, "127.0.0.1");
	cr_expect_str_eq(got[0].server.service, "users");
	cr_expect_eq(got[0].server_seen, 1);
	cr_expect_eq(stats_of(p).server_only, 1);
	cr_expect_eq(stats_of(p).client_only, 0);
	callpair_free(p);
}

Test(callpair, late_partner_is_a_call_of_its_own)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span srv = local_server(), cli = local_client();

	callpair_span(p, &srv, 1000);
	callpair_tick(p, 1000 + WAIT_NS);
	callpair_span(p, &cli, 1000 + WAIT_NS + 1);
	callpair_flush(p);
	cr_assert_eq(n_got, 2);
	cr_expect_eq(got[1].client_seen, 1);
	cr_expect_eq(got[1].server_seen, 0);
	cr_expect_eq(stats_of(p).paired, 0);
	cr_expect_eq(stats_of(p).server_only, 1);
	cr_expect_eq(stats_of(p).client_only, 1);
	callpair_free(p);
}

Test(callpair, same_address_at_both_ends_waits)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span cli = http_span(SPAN_KIND_CLIENT, "checkout", "10.0.0.5", 40000, "10.0.0.5", 8080,
				    T0, T0 + 5 * MS);

	callpair_span(p, &cli, 1000);
	cr_expect_eq(n_got, 0);
	callpair_flush(p);
	cr_expect_eq(n_got, 1);
	callpair_free(p);
}

Test(callpair, ipv6_loopback_waits)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span cli = http_span(SPAN_KIND_CLIENT, "checkout", "::1", 40000, "::1", 8080, T0,
				    T0 + 5 * MS);

	callpair_span(p, &cli, 1000);
	cr_expect_eq(n_got, 0);
	callpair_free(p);
}

Test(callpair, server_without_parent_released_at_once)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span srv = local_server();

	srv.has_parent = 0; /* the client is not traced: nothing will pair */
	callpair_span(p, &srv, 1000);
	cr_assert_eq(n_got, 1);
	cr_expect_str_eq(got[0].server.service, "users");
	cr_expect_str_eq(got[0].client.address, "127.0.0.1");
	cr_expect_eq(stats_of(p).server_only, 0);
	callpair_free(p);
}

Test(callpair, two_calls_pair_each_with_its_own)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span srv1 = local_server(), cli1 = local_client();
	struct span srv2 = local_server(), cli2 = local_client();

	cli2.span_id[7] = 0xee;
	srv2.parent_span_id[7] = 0xee;
	srv2.server.port = 9090;
	cli2.server.port = 9090;
	callpair_span(p, &srv1, 1000);
	callpair_span(p, &srv2, 1000);
	callpair_span(p, &cli2, 1000);
	callpair_span(p, &cli1, 1000);
	cr_assert_eq(n_got, 2);
	cr_expect_eq(got[0].port, 9090);
	cr_expect_eq(got[0].span_id[7], 0xee);
	cr_expect_eq(got[1].port, 8080);
	cr_expect_eq(got[1].span_id[7], 0xc8);
	cr_expect_eq(stats_of(p).paired, 2);
	callpair_free(p);
}

Test(callpair, same_kind_never_pairs)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span a = local_client(), b = local_client();

	callpair_span(p, &a, 1000);
	callpair_span(p, &b, 1000);
	cr_expect_eq(n_got, 0);
	callpair_flush(p);
	cr_expect_eq(n_got, 2);
	cr_expect_eq(stats_of(p).client_only, 2);
	callpair_free(p);
}

Test(callpair, full_set_evicts_the_oldest)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	uint64_t keys[9];

	keys_of_one_set(keys, 9);
	for (int k = 0; k < 9; k++) {
		struct span cli = local_client();

		memcpy(cli.span_id, &keys[k], 8);
		cli.server.port = (uint16_t)(8000 + k);
		callpair_span(p, &cli, 1000 + (uint64_t)k);
		cr_expect_eq(n_got, k < 8 ? 0 : 1, "after span %d", k);
	}
	cr_assert_eq(n_got, 1);
	cr_expect_eq(memcmp(got[0].span_id, &keys[0], 8), 0, "the oldest left first");
	cr_expect_eq(got[0].port, 8000);
	cr_expect_eq(stats_of(p).evicted, 1);
	cr_expect_eq(stats_of(p).client_only, 1);
	/* the others still wait, and still pair */
	{
		struct span srv = local_server();

		memcpy(srv.parent_span_id, &keys[8], 8);
		callpair_span(p, &srv, 2000);
		cr_assert_eq(n_got, 2);
		cr_expect_eq(got[1].port, 8008);
		cr_expect_eq(got[1].server_seen, 1);
	}
	callpair_flush(p);
	cr_expect_eq(n_got, 9);
	cr_expect_eq(stats_of(p).evicted, 1);
	cr_expect_eq(stats_of(p).client_only, 8);
	cr_expect_eq(stats_of(p).paired, 1);
	callpair_free(p);
}

Test(callpair, other_sets_are_not_evicted)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);

	/* 8 ways per set: eight spans of one set and one of another fit */
	uint64_t keys[8], other = 0;

	keys_of_one_set(keys, 8);
	for (uint64_t v = 1; !other; v++)
		if (((v * GOLDEN) >> 56) != ((keys[0] * GOLDEN) >> 56))
			other = v;
	for (int k = 0; k < 8; k++) {
		struct span cli = local_client();

		memcpy(cli.span_id, &keys[k], 8);
		callpair_span(p, &cli, 1000);
	}
	{
		struct span cli = local_client();

		memcpy(cli.span_id, &other, 8);
		callpair_span(p, &cli, 1000);
	}
	cr_expect_eq(n_got, 0);
	cr_expect_eq(stats_of(p).evicted, 0);
	callpair_free(p);
}

Test(callpair, ignores_spans_of_no_kind)
{
	struct callpair *p = callpair_new(WAIT_NS, sink, NULL);
	struct span s = local_client();

	s.kind = 0;
	callpair_span(p, &s, 1000);
	callpair_span(p, NULL, 1000);
	callpair_span(NULL, &s, 1000);
	callpair_tick(NULL, 1000);
	callpair_flush(p);
	cr_expect_eq(n_got, 0);
	callpair_free(p);
}

/* --- one span's call --- */

Test(callpair, of_span_http_client)
{
	struct span s = local_client();
	struct call c;

	callpair_of_span(&s, &c);
	cr_expect_str_eq(c.protocol, "http");
	cr_expect_str_eq(c.operation, "GET /users/{id}");
	cr_expect_eq(c.connection, CALL_CONN_VIRTUAL);
	cr_expect_eq(c.client_seen, 1);
	cr_expect_eq(c.server_seen, 0);
	cr_expect_str_eq(c.server.address, "127.0.0.1");
	cr_expect_eq(c.client_evidence.pid, 100, "the span's pid when it has no resource");
}

/* A name as long as a span holds is cut to what the call holds. */
Test(callpair, of_span_long_name_cut)
{
	struct span s = local_client();
	struct call c;

	memset(s.name, 'n', sizeof(s.name) - 1);
	s.name[sizeof(s.name) - 1] = '\0';
	callpair_of_span(&s, &c);
	cr_expect_eq(strlen(c.operation), sizeof(c.operation) - 1 < sizeof(s.name) - 1 ?
						  sizeof(c.operation) - 1 : sizeof(s.name) - 1);
	cr_expect_eq(c.operation[0], 'n');
}

Test(callpair, of_span_redis_client)
{
	struct span s = db_span(SPAN_KIND_CLIENT, "redis", "10.0.0.5", "10.0.0.8", 6379);
	struct call c;

	callpair_of_span(&s, &c);
	cr_expect_str_eq(c.protocol, "redis");
	cr_expect_eq(c.connection, CALL_CONN_DATABASE);
}

Test(callpair, of_span_database_server)
{
	struct span s = db_span(SPAN_KIND_SERVER, "mysql", "10.0.0.5", "10.0.0.8", 3306);
	struct call c;

	callpair_of_span(&s, &c);
	cr_expect_str_eq(c.protocol, "mysql");
	cr_expect_eq(c.connection, CALL_CONN_DATABASE);
	cr_expect_eq(c.server_seen, 1);
	cr_expect_str_eq(c.client.address, "10.0.0.5");
	cr_expect_str_eq(c.server.service, "postgres");
	cr_expect_eq(c.port, 3306);
}

Test(callpair, of_span_without_metric_has_no_protocol)
{
	struct span s = base_span(SPAN_KIND_CLIENT, "checkout", "10.0.0.5", 40000, "10.0.0.9", 9000,
				  T0, T0 + MS);
	struct call c;

	strcpy(s.name, "tcp");
	callpair_of_span(&s, &c);
	cr_expect_str_eq(c.protocol, "");
	cr_expect_str_eq(c.operation, "tcp");
	cr_expect_eq(c.connection, CALL_CONN_VIRTUAL);
}

Test(callpair, of_span_error_and_duration)
{
	struct span s = local_client();
	struct call c;

	s.status = SPAN_STATUS_ERROR;
	s.end_unix_ns = s.start_unix_ns - 1; /* a clock step: no negative duration */
	callpair_of_span(&s, &c);
	cr_expect_eq(c.error, 1);
	cr_expect_eq(c.client_ns, 0);
}

Test(callpair, of_span_blank_far_address)
{
	struct span s = local_client();
	struct call c;

	s.server.address[0] = '\0';
	callpair_of_span(&s, &c);
	cr_expect_str_eq(c.server.address, "-");
}

Test(callpair, of_span_with_process)
{
	struct span s = local_server();
	struct procinfo pi;
	struct call c;

	memset(&pi, 0, sizeof(pi));
	pi.pid = 4242;
	strcpy(pi.exe_name, "node20");
	strcpy(pi.k8s_pod_name, "users-7d9f8b6c5d-x2x7k");
	strcpy(pi.k8s_namespace, "shop");
	strcpy(pi.container_id, "abc");
	s.process = &pi;
	callpair_of_span(&s, &c);
	cr_expect_str_eq(c.server.service, "users");
	cr_expect_str_eq(c.server.k8s_namespace, "shop");
	cr_expect_str_eq(c.server.k8s_workload, "users");
	cr_expect_str_eq(c.server.exe, "node20");
	cr_expect_eq(c.server_evidence.pid, 4242);
	cr_expect_str_eq(c.server_evidence.container_id, "abc");
	cr_expect_str_eq(c.server_evidence.k8s_pod_name, "users-7d9f8b6c5d-x2x7k");
}

Test(callpair, of_span_payload_rules)
{
	struct span s = db_span(SPAN_KIND_CLIENT, "postgresql", "10.0.0.5", "10.0.0.7", 5432);
	struct call c;

	s.attrs.n = s.attrs.text_len = 0;
	span_attrs_cstr(&s.attrs, "db.system.name", "postgresql");
	span_attrs_cstr(&s.attrs, "db.query.text", "COPY t FROM PROGRAM ?");
	callpair_of_span(&s, &c);
	cr_expect_eq(c.payload_rules, 1u << ALERT_SQL_COMMAND_EXEC);
	cr_expect_str_eq(c.detail, "db.query.text COPY t FROM PROGRAM ?");
}
