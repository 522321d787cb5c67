// SPDX-License-Identifier: MIT
/*
 * user/proto/postgresql through the protocol interface: real message
 * sequences (startup, simple and extended queries, errors, COPY), fed as
 * plain bytes split every way and as the kernel's frame walk segments them.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "span_attrs_check.h"
#include "walk_sim.h"

extern const struct proto proto_postgresql;

#define PG_EX_MAX 64

struct pg_ex {
	uint32_t key;
	uint8_t has_response, status;
	uint64_t start, end;
	char name[SPAN_NAME_MAX], code[SPAN_CODE_MAX], msg[SPAN_STATUS_MSG_MAX];
	char op[64], query[600], ns[64], coll[64], sqlstate[16];
	int64_t rows;
};

struct pg_fix {
	_Alignas(16) uint8_t state[PROTO_STATE_MAX];
	struct pg_ex ex[PG_EX_MAX];
	uint32_t n_ex, n_req, n_abandon, n_cache_full;
	struct proto_sink sink;
	uint64_t tag;
	struct walk_sim sim;
	int framed;
};

static void pgf_request(void *ctx, const struct proto_request *r)
{
	struct pg_fix *f = ctx;

	cr_assert_neq(r->key, 0);
	f->n_req++;
}

static void pgf_exchange(void *ctx, struct proto_exchange *x)
{
	struct pg_fix *f = ctx;
	struct pg_ex *e;
	char rows[32];

	cr_assert_lt(f->n_ex, PG_EX_MAX);
	cr_assert_eq(x->attrs.overflow, 0);
	e = &f->ex[f->n_ex++];
	memset(e, 0, sizeof(*e));
	e->key = x->key;
	e->has_response = x->has_response;
	e->status = x->status;
	e->start = x->start_tag;
	e->end = x->end_tag;
	memcpy(e->name, x->name, sizeof(e->name));
	memcpy(e->code, x->code, sizeof(e->code));
	memcpy(e->msg, x->status_message, sizeof(e->msg));
	sa_text(&x->attrs, "db.operation.name", e->op, sizeof(e->op), NULL);
	sa_text(&x->attrs, "db.query.text", e->query, sizeof(e->query), NULL);
	sa_text(&x->attrs, "db.namespace", e->ns, sizeof(e->ns), NULL);
	sa_text(&x->attrs, "db.collection.name", e->coll, sizeof(e->coll), NULL);
	sa_text(&x->attrs, "db.response.status_code", e->sqlstate, sizeof(e->sqlstate), NULL);
	e->rows = -1;
	sa_text(&x->attrs, "db.response.returned_rows", rows, sizeof(rows), &e->rows);
	cr_assert_eq(x->metric.family, METRIC_DB_CLIENT);
	cr_assert_str_eq(span_metric_label(&x->metric, 0), "postgresql");
}

static void pgf_abandon(void *ctx, uint32_t key)
{
	(void)key;
	((struct pg_fix *)ctx)->n_abandon++;
}

static void pgf_note(void *ctx, enum proto_note n)
{
	if (n == PROTO_NOTE_CACHE_FULL)
		((struct pg_fix *)ctx)->n_cache_full++;
}

static struct pg_fix *pgf_new(int framed)
{
	static struct pg_fix f;

	memset(&f, 0, sizeof(f));
	f.framed = framed;
	f.sim.proto = ZT_PROTO_POSTGRESQL;
	f.sink = (struct proto_sink){ .ctx = &f, .kind = SPAN_KIND_CLIENT, .request = pgf_request,
				      .exchange = pgf_exchange, .abandon = pgf_abandon,
				      .note = pgf_note };
	cr_assert_leq(proto_postgresql.state_size, PROTO_STATE_MAX);
	proto_postgresql.init(f.state);
	return &f;
}

/* One syscall of n bytes: plain (all copied) or as the kernel walks it. */
static unsigned int pgf_sys(struct pg_fix *f, enum proto_side side, const uint8_t *p, size_t n)
{
	struct proto_seg seg = { .off = 0, .len = n, .data = p, .cap = (uint32_t)n };
	struct proto_chunk c = { .side = side, .tag = ++f->tag, .total = n, .segs = &seg,
				 .nsegs = n ? 1 : 0 };
	int ns;

	if (f->framed) {
		ns = walk_sim_syscall(&f->sim, p, n, side == PROTO_SIDE_REQUEST, 512);
		cr_assert_geq(ns, 0, "the kernel's walk lost the framing");
		c.segs = f->sim.segs;
		c.nsegs = (uint32_t)ns;
		c.framed = 1;
	}
	return proto_postgresql.feed(f->state, &c, &f->sink);
}

/* ---- message builders ---- */

struct pgbuf {
	uint8_t b[65536];
	size_t n;
};

static void pb_msg(struct pgbuf *m, char tag, const void *body, size_t n)
{
	uint32_t len = (uint32_t)n + 4;

	m->b[m->n++] = (uint8_t)tag;
	m->b[m->n++] = (uint8_t)(len >> 24);
	m->b[m->n++] = (uint8_t)(len >> 16);
	m->b[m->n++] = (uint8_t)(len >> 8);
	m->b[m->n++] = (uint8_t)len;
	memcpy(m->b + m->n, body, n);
	m->n += n;
}

/* A message whose body is NUL-separated strings given as one literal
 * with embedded "\0"s, of length n. */
#define PB(m, tag, lit) pb_msg((m), (tag), (lit), sizeof(lit) - 1)

static void pb_startup(struct pgbuf *m, const char *params, size_t n)
{
	uint32_t len = (uint32_t)n + 8;
	uint8_t h[8] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len,
			 0, 3, 0, 0 };

	memcpy(m->b + m->n, h, 8);
	memcpy(m->b + m->n + 8, params, n);
	m->n += n + 8;
}

static const char pg_row_desc[] = "\0\1abalance\0\0\0\0\0\0\0\0\0\0\x17\0\4\xff\xff\xff\xff\0\0";

static void pg_login(struct pg_fix *f)
{
	struct pgbuf a = { .n = 0 }, b = { .n = 0 };
	static const char params[] = "user\0zt\0database\0ztdb\0application_name\0psql\0\0";
	static const uint8_t ssl[8] = { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f };

	pgf_sys(f, PROTO_SIDE_REQUEST, ssl, sizeof(ssl));
	pgf_sys(f, PROTO_SIDE_RESPONSE, (const uint8_t *)"N", 1);
	pb_startup(&a, params, sizeof(params) - 1);
	pgf_sys(f, PROTO_SIDE_REQUEST, a.b, a.n);
	PB(&b, 'R', "\0\0\0\x0a" "SCRAM-SHA-256\0\0");
	pgf_sys(f, PROTO_SIDE_RESPONSE, b.b, b.n);
	a.n = 0;
	PB(&a, 'p', "SCRAM-SHA-256\0\0\0\0\x20n,,n=,r=s3cret-nonce-value-here..");
	pgf_sys(f, PROTO_SIDE_REQUEST, a.b, a.n);
	b.n = 0;
	PB(&b, 'R', "\0\0\0\0");
	PB(&b, 'S', "server_version\0" "15.18\0");
	PB(&b, 'K', "\0\0\1\0\x12\x34\x56\x78");
	PB(&b, 'Z', "I");
	pgf_sys(f, PROTO_SIDE_RESPONSE, b.b, b.n);
	cr_assert_eq(f->n_ex, 0);
}

static void pg_simple(struct pgbuf *req, struct pgbuf *resp, const char *sql, int nrows)
{
	char body[1024];
	size_t n = strlen(sql) + 1;

	memcpy(body, sql, n);
	pb_msg(req, 'Q', body, n);
	pb_msg(resp, 'T', pg_row_desc, sizeof(pg_row_desc) - 1);
	for (int i = 0; i < nrows; i++)
		PB(resp, 'D', "\0\1\0\0\0\4-123");
	snprintf(body, sizeof(body), "SELECT %d", nrows);
	pb_msg(resp, 'C', body, strlen(body) + 1);
	PB(resp, 'Z', "I");
}

Test(postgresql, simple_query_exact)
{
	struct pg_fix *f = pgf_new(0);
	struct pgbuf q = { .n = 0 }, r = { .n = 0 };

	pg_login(f);
	pg_simple(&q, &r, "select abalance from pgbench_accounts where aid = 42", 1);
	cr_assert_eq(pgf_sys(f, PROTO_SIDE_REQUEST, q.b, q.n), 0);
	cr_assert_eq(pgf_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n), 0);
	cr_assert_eq(f->n_ex, 1);
	cr_assert_eq(f->n_req, 1);
	cr_expect_str_eq(f->ex[0].name, "SELECT pgbench_accounts");
	cr_expect_str_eq(f->ex[0].op, "SELECT");
	cr_expect_str_eq(f->ex[0].coll, "pgbench_accounts");
	cr_expect_str_eq(f->ex[0].ns, "ztdb");
	cr_expect_str_eq(f->ex[0].query, "select abalance from pgbench_accounts where aid = ?");
	cr_expect_eq(f->ex[0].rows, 1);
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_UNSET);
	cr_expect_str_eq(f->ex[0].sqlstate, "<absent>");
	cr_expect_eq(f->ex[0].start, 7);
	cr_expect_eq(f->ex[0].end, 8);
}

static void pg_extended(struct pgbuf *q, struct pgbuf *r, int parse)
{
	static const char parse_body[] = "P1\0SELECT abalance FROM pgbench_accounts WHERE aid = $1\0\0\0";
	static const char bind_body[] = "\0P1\0\0\0\0\1\0\0\0\0042017\0\0";

	if (parse)
		pb_msg(q, 'P', parse_body, sizeof(parse_body) - 1);
	pb_msg(q, 'B', bind_body, sizeof(bind_body) - 1);
	PB(q, 'D', "P\0");
	PB(q, 'E', "\0\0\0\0\0");
	PB(q, 'S', "");
	if (parse)
		PB(r, '1', "");
	PB(r, '2', "");
	pb_msg(r, 'T', pg_row_desc, sizeof(pg_row_desc) - 1);
	PB(r, 'D', "\0\1\0\0\0\4-123");
	PB(r, 'C', "SELECT 1\0");
	PB(r, 'Z', "I");
}

Test(postgresql, prepared_statement_executed_many_times)
{
	for (int framed = 0; framed <= 1; framed++) {
		struct pg_fix *f = pgf_new(framed);

		pg_login(f);
		for (int i = 0; i < 5; i++) {
			struct pgbuf q = { .n = 0 }, r = { .n = 0 };

			pg_extended(&q, &r, i == 0);
			cr_assert_eq(pgf_sys(f, PROTO_SIDE_REQUEST, q.b, q.n), 0);
			cr_assert_eq(pgf_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n), 0);
		}
		cr_assert_eq(f->n_ex, 5);
		for (int i = 0; i < 5; i++) {
			cr_expect_str_eq(f->ex[i].name, "SELECT pgbench_accounts");
			cr_expect_str_eq(f->ex[i].query,
					 "SELECT abalance FROM pgbench_accounts WHERE aid = $1");
			cr_expect_eq(f->ex[i].rows, 1);
		}
	}
}

Test(postgresql, error_gives_sqlstate)
{
	struct pg_fix *f = pgf_new(0);
	struct pgbuf q = { .n = 0 }, r = { .n = 0 };

	pg_login(f);
	PB(&q, 'Q', "SELEC 1\0");
	PB(&r, 'E', "SERROR\0VERROR\0C42601\0Msyntax error at or near \"SELEC\"\0P1\0\0");
	PB(&r, 'Z', "I");
	pgf_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
	pgf_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_ERROR);
	cr_expect_str_eq(f->ex[0].sqlstate, "42601");
	cr_expect_str_eq(f->ex[0].code, "42601");
	cr_expect_str_eq(f->ex[0].msg, "syntax error at or near \"SELEC\"");
	cr_expect_str_eq(f->ex[0].name, "SELEC");
	cr_expect_eq(f->ex[0].rows, -1);
}

Test(postgresql, error_in_pipeline_skips_to_sync)
{
	struct pg_fix *f = pgf_new(0);
	struct pgbuf q = { .n = 0 }, r = { .n = 0 };

	pg_login(f);
	PB(&q, 'P', "\0SELECT 1/0\0\0\0");
	PB(&q, 'B', "\0\0\0\0\0\0\0\0");
	PB(&q, 'E', "\0\0\0\0\0");
	PB(&q, 'P', "\0SELECT 2\0\0\0");
	PB(&q, 'B', "\0\0\0\0\0\0\0\0");
	PB(&q, 'E', "\0\0\0\0\0");
	PB(&q, 'S', "");
	PB(&r, '1', "");
	PB(&r, '2', "");
	PB(&r, 'E', "SERROR\0C22012\0Mdivision by zero\0\0");
	PB(&r, 'Z', "I");
	pgf_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
	pgf_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_str_eq(f->ex[0].sqlstate, "22012");
	cr_expect_str_eq(f->ex[0].query, "SELECT ?/?");
	cr_expect_eq(f->n_abandon, 1);
	/* after the Sync, statements run again */
	q.n = r.n = 0;
	pg_simple(&q, &r, "SELECT 3", 1);
	pgf_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
	pgf_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n);
	cr_assert_eq(f->n_ex, 2);
	cr_expect_eq(f->ex[1].status, SPAN_STATUS_UNSET);
}

Test(postgresql, copy_in_and_out_are_one_statement_each)
{
	for (int framed = 0; framed <= 1; framed++) {
		struct pg_fix *f = pgf_new(framed);
		struct pgbuf q = { .n = 0 }, r = { .n = 0 };

		pg_login(f);
		PB(&q, 'Q', "COPY t FROM STDIN\0");
		pgf_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
		PB(&r, 'G', "\0\0\1\0\0");
		pgf_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n);
		q.n = 0;
		PB(&q, 'd', "1\tone\n");
		PB(&q, 'd', "2\ttwo\n");
		PB(&q, 'c', "");
		pgf_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
		r.n = 0;
		PB(&r, 'C', "COPY 2\0");
		PB(&r, 'Z', "I");
		pgf_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n);
		q.n = r.n = 0;
		PB(&q, 'Q', "COPY t TO STDOUT\0");
		PB(&r, 'H', "\0\0\1\0\0");
		PB(&r, 'd', "1\tone\n");
		PB(&r, 'd', "2\ttwo\n");
		PB(&r, 'c', "");
		PB(&r, 'C', "COPY 2\0");
		PB(&r, 'Z', "I");
		pgf_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
		pgf_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n);
		cr_assert_eq(f->n_ex, 2);
		cr_expect_str_eq(f->ex[0].op, "COPY");
		cr_expect_str_eq(f->ex[0].name, "COPY t");
		cr_expect_str_eq(f->ex[1].op, "COPY");
		cr_expect_eq(f->n_abandon, 0);
	}
}

Test(postgresql, large_result_counted_in_runs)
{
	struct pg_fix *f = pgf_new(1);
	static struct pgbuf q, r;

	q.n = r.n = 0;
	pg_login(f);
	pg_simple(&q, &r, "SELECT aid FROM pgbench_accounts", 2000);
	pgf_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
	/* the server writes 8 KiB at a time: frames cut across syscalls */
	for (size_t off = 0; off < r.n; off += 8192)
		pgf_sys(f, PROTO_SIDE_RESPONSE, r.b + off, r.n - off < 8192 ? r.n - off : 8192);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].rows, 2000);
	cr_expect_eq(f->n_abandon, 0);
}

Test(postgresql, every_split_gives_the_same_span)
{
	struct pgbuf q = { .n = 0 }, r = { .n = 0 };

	pg_extended(&q, &r, 1);
	for (int framed = 0; framed <= 1; framed++) {
		for (size_t a = 0; a <= q.n; a++) {
			for (size_t b = 0; b <= r.n; b += 3) {
				struct pg_fix *f = pgf_new(framed);

				pg_login(f);
				pgf_sys(f, PROTO_SIDE_REQUEST, q.b, a);
				pgf_sys(f, PROTO_SIDE_REQUEST, q.b + a, q.n - a);
				pgf_sys(f, PROTO_SIDE_RESPONSE, r.b, b);
				pgf_sys(f, PROTO_SIDE_RESPONSE, r.b + b, r.n - b);
				cr_assert_eq(f->n_ex, 1, "split %zu/%zu framed %d", a, b, framed);
				cr_assert_str_eq(f->ex[0].name, "SELECT pgbench_accounts");
				cr_assert_eq(f->ex[0].rows, 1);
			}
		}
	}
}

Test(postgresql, lost_framing_recovers_at_the_next_turn)
{
	struct pg_fix *f = pgf_new(0);
	struct pgbuf q = { .n = 0 }, r = { .n = 0 };
	struct proto_seg seg;
	struct proto_chunk c;

	pg_login(f);
	pg_simple(&q, &r, "SELECT 1", 3);
	pgf_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
	/* only the first 10 bytes of the reply were copied */
	seg = (struct proto_seg){ .off = 0, .len = 10, .data = r.b, .cap = 10 };
	c = (struct proto_chunk){ .side = PROTO_SIDE_RESPONSE, .tag = 99, .total = r.n, .segs = &seg,
				  .nsegs = 1 };
	/* the framing, and the statement that can no longer be paired */
	cr_expect_eq(proto_postgresql.feed(f->state, &c, &f->sink), 2);
	cr_expect_eq(f->n_abandon, 1);
	q.n = r.n = 0;
	pg_simple(&q, &r, "SELECT 2", 1);
	pgf_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
	pgf_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_str_eq(f->ex[0].query, "SELECT ?");
}

Test(postgresql, statement_cache_is_bounded)
{
	struct pg_fix *f = pgf_new(0);

	pg_login(f);
	for (int i = 0; i < 20; i++) {
		struct pgbuf q = { .n = 0 }, r = { .n = 0 };
		char body[64];
		int n = snprintf(body, sizeof(body), "s%d", i);

		memcpy(body + n + 1, "SELECT 1\0\0\0", 11);
		pb_msg(&q, 'P', body, (size_t)n + 12);
		PB(&q, 'S', "");
		PB(&r, '1', "");
		PB(&r, 'Z', "I");
		pgf_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
		pgf_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n);
	}
	cr_expect_eq(f->n_cache_full, 4);
	cr_expect_eq(f->n_ex, 0);
}

Test(postgresql, execute_of_unknown_statement_names_by_tag)
{
	struct pg_fix *f = pgf_new(0);
	struct pgbuf q = { .n = 0 }, r = { .n = 0 };

	pg_login(f);
	PB(&q, 'B', "\0old\0\0\0\0\0\0\0");
	PB(&q, 'E', "\0\0\0\0\0");
	PB(&q, 'S', "");
	PB(&r, '2', "");
	PB(&r, 'C', "UPDATE 1\0");
	PB(&r, 'Z', "I");
	pgf_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
	pgf_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_str_eq(f->ex[0].name, "UPDATE");
	cr_expect_str_eq(f->ex[0].query, "<absent>");
	cr_expect_eq(f->ex[0].rows, -1);
}

Test(postgresql, close_reports_unanswered)
{
	struct pg_fix *f = pgf_new(0);
	struct pgbuf q = { .n = 0 };

	pg_login(f);
	PB(&q, 'Q', "SELECT pg_sleep(10)\0");
	pgf_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
	proto_postgresql.close(f->state, &f->sink);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].has_response, 0);
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_ERROR);
}

Test(postgresql, hostile_bytes_are_misses_never_spans)
{
	static const uint8_t junk[] = "Q\xff\xff\xff\xff" "garbage";
	struct pg_fix *f = pgf_new(0);

	pg_login(f);
	cr_expect_gt(pgf_sys(f, PROTO_SIDE_REQUEST, junk, sizeof(junk) - 1), 0);
	cr_expect_eq(f->n_ex, 0);
}

Test(postgresql, tls_accepted_stops_reading_without_misses)
{
	for (int framed = 0; framed <= 1; framed++) {
		struct pg_fix *f = pgf_new(framed);
		static const uint8_t ssl[8] = { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f };
		static const uint8_t hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";

		cr_assert_eq(pgf_sys(f, PROTO_SIDE_REQUEST, ssl, sizeof(ssl)), 0);
		cr_assert_eq(pgf_sys(f, PROTO_SIDE_RESPONSE, (const uint8_t *)"S", 1), 0);
		if (framed) {
			/* the kernel stops copying: nothing more reaches the module */
			cr_expect_lt(walk_sim_syscall(&f->sim, hello, sizeof(hello) - 1, 1, 512), 0);
			continue;
		}
		cr_expect_eq(pgf_sys(f, PROTO_SIDE_REQUEST, hello, sizeof(hello) - 1), 0);
		cr_expect_eq(pgf_sys(f, PROTO_SIDE_RESPONSE, hello, sizeof(hello) - 1), 0);
		cr_expect_eq(pgf_sys(f, PROTO_SIDE_REQUEST, hello, sizeof(hello) - 1), 0);
		cr_expect_eq(f->n_ex, 0);
		cr_expect_eq(f->n_req, 0);
	}
}
