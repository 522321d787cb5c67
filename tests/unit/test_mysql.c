// SPDX-License-Identifier: MIT
/*
 * user/proto/mysql through the protocol interface: real packet sequences
 * (MariaDB 10.11's greeting, handshake response, text and binary results
 * with and without CLIENT_DEPRECATE_EOF, prepared statements, errors,
 * multi-results, 0xffffff packets), fed as plain bytes split every way and
 * as the kernel's frame walk segments them; and the wire header's rules.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "span_attrs_check.h"
#include "walk_sim.h"

extern const struct proto proto_mysql;

#define EX_MAX 64
#define CAPTURE 512

/* capability sets */
#define C_BASE 0x000ea20fu   /* LONG_PASSWORD FOUND_ROWS LONG_FLAG CONNECT_WITH_DB PROTOCOL_41
				TRANSACTIONS SECURE_CONNECTION MULTI_STATEMENTS MULTI_RESULTS
				PS_MULTI_RESULTS PLUGIN_AUTH */
#define C_LENENC 0x00200000u
#define C_DEPR 0x01000000u
#define C_SSL 0x00000800u
#define C_ZIP 0x00000020u
#define C_QA 0x08000000u

struct ex {
	uint32_t key;
	uint8_t has_response, status;
	uint64_t start, end, req_size, resp_size;
	char name[SPAN_NAME_MAX], code[SPAN_CODE_MAX], msg[SPAN_STATUS_MSG_MAX];
	char sys[32], op[64], query[600], ns[64], coll[64], scode[16], label0[32], label1[64];
	char keys[400];
	int64_t rows;
	uint8_t endpoints_at;
};

struct fix {
	_Alignas(16) uint8_t state[PROTO_STATE_MAX];
	struct ex ex[EX_MAX];
	uint32_t n_ex, n_req, n_abandon, n_cache_full;
	uint32_t keys[4096];
	struct proto_sink sink;
	uint64_t tag;
	struct walk_sim sim;
	int framed;
	unsigned int misses;
};

static int has_secret(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 6 <= n; i++)
		if (!memcmp(b + i, "s3cret", 6))
			return 1;
	return 0;
}

static void f_request(void *ctx, const struct proto_request *r)
{
	struct fix *f = ctx;

	cr_assert_neq(r->key, 0);
	cr_assert_lt(f->n_req, 4096);
	f->keys[f->n_req++] = r->key;
}

static void f_exchange(void *ctx, struct proto_exchange *x)
{
	struct fix *f = ctx;
	struct ex *e;
	char rows[32];
	int requested = 0;

	cr_assert_lt(f->n_ex, EX_MAX);
	cr_assert_eq(x->attrs.overflow, 0);
	for (uint32_t i = 0; i < f->n_req; i++)
		requested |= f->keys[i] == x->key;
	cr_assert(requested, "an exchange for a key never requested");
	/* credentials: in no string of any exchange */
	cr_assert(!has_secret(x->name, sizeof(x->name)));
	cr_assert(!has_secret(x->status_message, sizeof(x->status_message)));
	cr_assert(!has_secret(x->attrs.text, x->attrs.text_len));
	cr_assert(!has_secret(x->metric.text, sizeof(x->metric.text)));
	e = &f->ex[f->n_ex++];
	memset(e, 0, sizeof(*e));
	e->key = x->key;
	e->has_response = x->has_response;
	e->status = x->status;
	e->start = x->start_tag;
	e->end = x->end_tag;
	e->req_size = x->req_size;
	e->resp_size = x->resp_size;
	e->endpoints_at = x->endpoints_at;
	memcpy(e->name, x->name, sizeof(e->name));
	memcpy(e->code, x->code, sizeof(e->code));
	memcpy(e->msg, x->status_message, sizeof(e->msg));
	sa_text(&x->attrs, "db.system.name", e->sys, sizeof(e->sys), NULL);
	sa_text(&x->attrs, "db.operation.name", e->op, sizeof(e->op), NULL);
	sa_text(&x->attrs, "db.query.text", e->query, sizeof(e->query), NULL);
	sa_text(&x->attrs, "db.namespace", e->ns, sizeof(e->ns), NULL);
	sa_text(&x->attrs, "db.collection.name", e->coll, sizeof(e->coll), NULL);
	sa_text(&x->attrs, "db.response.status_code", e->scode, sizeof(e->scode), NULL);
	e->rows = -1;
	sa_text(&x->attrs, "db.response.returned_rows", rows, sizeof(rows), &e->rows);
	for (uint16_t i = 0; i < x->attrs.n; i++) {
		size_t l = strlen(e->keys);

		snprintf(e->keys + l, sizeof(e->keys) - l, "%s%s", l ? "," : "", x->attrs.a[i].key);
	}
	cr_assert_eq(x->metric.family, f->sink.kind == SPAN_KIND_SERVER ? METRIC_DB_SERVER :
									   METRIC_DB_CLIENT);
	snprintf(e->label0, sizeof(e->label0), "%s", span_metric_label(&x->metric, 0));
	snprintf(e->label1, sizeof(e->label1), "%s", span_metric_label(&x->metric, 1));
}

static void f_abandon(void *ctx, uint32_t key)
{
	(void)key;
	((struct fix *)ctx)->n_abandon++;
}

static void f_note(void *ctx, enum proto_note n)
{
	if (n == PROTO_NOTE_CACHE_FULL)
		((struct fix *)ctx)->n_cache_full++;
}

static struct fix *f_new(int framed)
{
	static struct fix f;

	memset(&f, 0, sizeof(f));
	f.framed = framed;
	f.sim.proto = ZT_PROTO_MYSQL;
	f.sink = (struct proto_sink){ .ctx = &f, .kind = SPAN_KIND_CLIENT, .request = f_request,
				      .exchange = f_exchange, .abandon = f_abandon, .note = f_note };
	cr_assert_leq(proto_mysql.state_size, PROTO_STATE_MAX);
	proto_mysql.init(f.state);
	return &f;
}

/* One syscall of n bytes: plain (all copied) or as the kernel walks it. */
static unsigned int f_sys(struct fix *f, enum proto_side side, const uint8_t *p, size_t n)
{
	struct proto_seg seg = { .off = 0, .len = n, .data = p, .cap = (uint32_t)n };
	struct proto_chunk c = { .side = side, .tag = ++f->tag, .total = n, .segs = &seg,
				 .nsegs = n ? 1 : 0 };
	unsigned int m;
	int ns;

	if (f->framed) {
		ns = walk_sim_syscall(&f->sim, p, n, side == PROTO_SIDE_REQUEST, CAPTURE);
		cr_assert_geq(ns, 0, "the kernel's walk lost the framing");
		c.segs = f->sim.segs;
		c.nsegs = (uint32_t)ns;
		c.framed = 1;
	}
	m = proto_mysql.feed(f->state, &c, &f->sink);
	f->misses += m;
	return m;
}

/* n bytes as syscalls of at most `step`. */
static void f_sys_in(struct fix *f, enum proto_side side, const uint8_t *p, size_t n, size_t step)
{
	for (size_t off = 0; off < n; off += step)
		f_sys(f, side, p + off, n - off < step ? n - off : step);
}

/* ---- packet builders ---- */

struct pl {
	uint8_t b[8192];
	size_t n;
};

struct buf {
	uint8_t b[1 << 18];
	size_t n;
	uint8_t seq;
};

static void put(struct pl *p, const void *d, size_t n)
{
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void put8(struct pl *p, uint8_t v)
{
	p->b[p->n++] = v;
}

static void put16(struct pl *p, uint16_t v)
{
	put8(p, (uint8_t)v);
	put8(p, (uint8_t)(v >> 8));
}

static void put32(struct pl *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p, (uint16_t)(v >> 16));
}

static void putz(struct pl *p, const char *s)
{
	put(p, s, strlen(s) + 1);
}

static void putlen(struct pl *p, uint64_t v)
{
	if (v < 251) {
		put8(p, (uint8_t)v);
	} else if (v < 65536) {
		put8(p, 0xfc);
		put16(p, (uint16_t)v);
	} else {
		put8(p, 0xfd);
		put8(p, (uint8_t)v);
		put16(p, (uint16_t)(v >> 8));
	}
}

static void putlstr(struct pl *p, const char *s)
{
	putlen(p, strlen(s));
	put(p, s, strlen(s));
}

/* A packet of seq m->seq++ with payload p. */
static void pkt(struct buf *m, const struct pl *p)
{
	cr_assert_lt(p->n, 0xffffff);
	cr_assert_leq(m->n + p->n + 4, sizeof(m->b));
	m->b[m->n++] = (uint8_t)p->n;
	m->b[m->n++] = (uint8_t)(p->n >> 8);
	m->b[m->n++] = (uint8_t)(p->n >> 16);
	m->b[m->n++] = m->seq++;
	memcpy(m->b + m->n, p->b, p->n);
	m->n += p->n;
}

static void raw(struct buf *m, const void *d, size_t n)
{
	memcpy(m->b + m->n, d, n);
	m->n += n;
}

/* A command (seq 0) with a body. */
static void cmd(struct buf *m, uint8_t c, const void *body, size_t n)
{
	struct pl p = { .n = 0 };

	put8(&p, c);
	put(&p, body, n);
	m->seq = 0;
	pkt(m, &p);
}

static void query(struct buf *m, const char *sql)
{
	cmd(m, 0x03, sql, strlen(sql));
}

static void stmt_cmd(struct buf *m, uint8_t c, uint32_t id)
{
	struct pl p = { .n = 0 };

	put8(&p, c);
	put32(&p, id);
	if (c == 0x17) { /* flags, iteration count, a bound INT parameter 42 */
		put8(&p, 0);
		put32(&p, 1);
		put8(&p, 0);
		put8(&p, 1);
		put16(&p, 3);
		put32(&p, 42);
	}
	m->seq = 0;
	pkt(m, &p);
}

static void ok(struct buf *m, uint64_t affected, uint16_t status)
{
	struct pl p = { .n = 0 };

	put8(&p, 0);
	putlen(&p, affected);
	putlen(&p, 0);
	put16(&p, status);
	put16(&p, 0);
	pkt(m, &p);
}

static void eof(struct buf *m, uint16_t status)
{
	struct pl p = { .n = 0 };

	put8(&p, 0xfe);
	put16(&p, 0);
	put16(&p, status);
	pkt(m, &p);
}

/* The OK that ends a result with CLIENT_DEPRECATE_EOF. */
static void term(struct buf *m, uint16_t status)
{
	struct pl p = { .n = 0 };

	put8(&p, 0xfe);
	putlen(&p, 0);
	putlen(&p, 0);
	put16(&p, status);
	put16(&p, 0);
	pkt(m, &p);
}

static void err(struct buf *m, uint16_t code, const char *state, const char *msg)
{
	struct pl p = { .n = 0 };

	put8(&p, 0xff);
	put16(&p, code);
	put8(&p, '#');
	put(&p, state, 5);
	put(&p, msg, strlen(msg));
	pkt(m, &p);
}

static void coldef(struct buf *m, const char *table, const char *name)
{
	struct pl p = { .n = 0 };

	putlstr(&p, "def");
	putlstr(&p, "ztdb");
	putlstr(&p, table);
	putlstr(&p, table);
	putlstr(&p, name);
	putlstr(&p, name);
	put8(&p, 0x0c);
	put16(&p, 45);
	put32(&p, 255);
	put8(&p, 0xfd); /* VAR_STRING */
	put16(&p, 0);
	put8(&p, 0);
	put16(&p, 0);
	pkt(m, &p);
}

static void colcount(struct buf *m, uint64_t n)
{
	struct pl p = { .n = 0 };

	putlen(&p, n);
	pkt(m, &p);
}

static void textrow(struct buf *m, int i)
{
	struct pl p = { .n = 0 };
	char id[16], name[32];

	snprintf(id, sizeof(id), "%d", i);
	snprintf(name, sizeof(name), "user-%05d@example.org", i);
	putlstr(&p, id);
	putlstr(&p, name);
	pkt(m, &p);
}

static void binrow(struct buf *m, const char *name)
{
	struct pl p = { .n = 0 };

	put8(&p, 0);
	put8(&p, 0); /* null bitmap */
	putlstr(&p, name);
	pkt(m, &p);
}

/* A result of 2 columns (id, name) of `users` and n text rows. */
static void result(struct buf *m, int depr, int nrows, uint16_t status)
{
	m->seq = 1;
	colcount(m, 2);
	coldef(m, "users", "id");
	coldef(m, "users", "name");
	if (!depr)
		eof(m, 0x0002);
	for (int i = 0; i < nrows; i++)
		textrow(m, i);
	if (depr)
		term(m, status);
	else
		eof(m, status);
}

/* MariaDB 10.11.6 on Debian 12: a real greeting, with the capabilities
 * given (its own: 0xf7fe, high 0x81ff with DEPRECATE_EOF). */
static void greeting(struct buf *m, uint32_t caps, const char *version)
{
	struct pl p = { .n = 0 };
	static const uint8_t scramble1[8] = { 0x3e, 0x5d, 0x2b, 0x6a, 0x47, 0x70, 0x22, 0x43 };
	static const uint8_t scramble2[13] = { 0x5f, 0x6b, 0x40, 0x2f, 0x36, 0x51, 0x3c, 0x48,
					       0x64, 0x7e, 0x25, 0x59, 0 };
	static const uint8_t reserved[10] = { 0, 0, 0, 0, 0, 0, 0x1d, 0, 0, 0 };

	put8(&p, 0x0a);
	putz(&p, version);
	put32(&p, 31);
	put(&p, scramble1, 8);
	put8(&p, 0);
	put16(&p, (uint16_t)caps);
	put8(&p, 45);
	put16(&p, 0x0002);
	put16(&p, (uint16_t)(caps >> 16));
	put8(&p, 21);
	put(&p, reserved, 10);
	put(&p, scramble2, 13);
	putz(&p, "mysql_native_password");
	m->seq = 0;
	pkt(m, &p);
}

#define MARIADB "5.5.5-10.11.6-MariaDB-0+deb12u1"
#define MARIADB_CAPS 0x81fff7feu

/* The handshake response: user zt, an auth response holding "s3cret",
 * database db (NULL: none). */
static void handshake(struct buf *m, uint32_t caps, const char *db)
{
	struct pl p = { .n = 0 };
	static const uint8_t zero[23];
	static const char auth[] = "\x01s3cret\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e";

	if (db)
		caps |= 0x8;
	else
		caps &= ~0x8u;
	put32(&p, caps);
	put32(&p, 1u << 24);
	put8(&p, 45);
	put(&p, zero, 23);
	putz(&p, "zt");
	if (caps & C_LENENC)
		putlen(&p, 20);
	else
		put8(&p, 20);
	put(&p, auth, 20);
	if (db)
		putz(&p, db);
	putz(&p, "mysql_native_password");
	putlen(&p, 26);
	putlstr(&p, "_client_name");
	putlstr(&p, "libmariadb");
	putlstr(&p, "");  /* 13 + 11 + 2 = 26 */
	putlstr(&p, "");
	m->seq = 1;
	pkt(m, &p);
}

/* Greeting, handshake response (database ztdb), OK. */
static void login(struct fix *f, uint32_t server, uint32_t client, const char *version)
{
	struct buf a = { .n = 0 }, b = { .n = 0 };

	greeting(&b, server, version);
	f_sys(f, PROTO_SIDE_RESPONSE, b.b, b.n);
	handshake(&a, client, "ztdb");
	f_sys(f, PROTO_SIDE_REQUEST, a.b, a.n);
	b.n = 0;
	b.seq = 2;
	ok(&b, 0, 0x0002);
	f_sys(f, PROTO_SIDE_RESPONSE, b.b, b.n);
	cr_assert_eq(f->n_ex, 0);
	cr_assert(!has_secret(f->state, sizeof(f->state)), "the auth response is kept");
}

static void maria(struct fix *f, int depr)
{
	uint32_t caps = depr ? MARIADB_CAPS : MARIADB_CAPS & ~C_DEPR;

	login(f, caps, C_BASE | C_LENENC | (depr ? C_DEPR : 0), MARIADB);
}

static void roundtrip(struct fix *f, const struct buf *q, const struct buf *r)
{
	cr_assert_eq(f_sys(f, PROTO_SIDE_REQUEST, q->b, q->n), 0);
	cr_assert_eq(f_sys(f, PROTO_SIDE_RESPONSE, r->b, r->n), 0);
}

/* ---- wire header ---- */

Test(mysql_wire, frame_len)
{
	static const uint8_t q[] = { 9, 0, 0, 0, 0x03, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '1' };
	static const uint8_t empty[] = { 0, 0, 0, 2 };
	static const uint8_t badcmd[] = { 5, 0, 0, 0, 0x99, 1, 2, 3, 4 };
	uint8_t st = 0;

	for (uint32_t n = 0; n < 5; n++)
		cr_expect_eq(mysql_frame_len(q, n, 1, &st), ZT_FRAME_SHORT, "n %u", n);
	cr_expect_eq(mysql_frame_len(q, 5, 1, &st), 13);
	cr_expect_eq(mysql_frame_len(q, 8, 0, &st), 13);
	cr_expect_eq(mysql_frame_len(empty, 4, 0, &st), 4);
	cr_expect_eq(mysql_frame_len(empty, 4, 1, &st), 4);
	cr_expect_eq(mysql_frame_len(badcmd, 8, 1, &st), ZT_FRAME_BAD);
	cr_expect_eq(mysql_frame_len(badcmd, 8, 0, &st), 9); /* the server's: anything */
	cr_expect_eq(st, 0);
}

Test(mysql_wire, ssl_request_stops_framing)
{
	struct buf b = { .n = 0 };
	struct pl p = { .n = 0 };
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc };
	uint8_t st = 0;

	put32(&p, C_BASE | C_SSL | C_LENENC);
	put32(&p, 1u << 24);
	put8(&p, 45);
	for (int i = 0; i < 23; i++)
		put8(&p, 0);
	b.seq = 1;
	pkt(&b, &p);
	cr_assert_eq(b.n, 36);
	/* the capabilities must be in view: no state set before */
	for (uint32_t n = 0; n < 8; n++) {
		cr_expect_eq(mysql_frame_len(b.b, n, 1, &st), ZT_FRAME_SHORT);
		cr_expect_eq(st, 0);
	}
	cr_expect_eq(mysql_frame_len(b.b, 8, 1, &st), 36);
	cr_expect_eq(st, MYSQL_WIRE_TLS);
	cr_expect_eq(mysql_frame_len(hello, 8, 0, &st), ZT_FRAME_OPAQUE);
	cr_expect_eq(mysql_frame_len(hello, 8, 1, &st), ZT_FRAME_OPAQUE);
	/* the same packet from the server is no SSLRequest */
	st = 0;
	cr_expect_eq(mysql_frame_len(b.b, 8, 0, &st), 36);
	cr_expect_eq(st, 0);
}

Test(mysql_wire, frame_copy)
{
	static const uint8_t greet[] = { 80, 0, 0, 0, 0x0a, '1', '1', '.' };
	static const uint8_t errp[] = { 30, 0, 0, 1, 0xff, 0x28, 0x04, '#' };
	static const uint8_t okp[] = { 7, 0, 0, 1, 0x00, 0, 0, 2 };
	static const uint8_t eofp[] = { 5, 0, 0, 9, 0xfe, 0, 0, 2 };
	static const uint8_t binrow[] = { 9, 0, 0, 7, 0x00, 0, 3, 'a' };
	static const uint8_t count1[] = { 1, 0, 0, 1, 0x02 };
	static const uint8_t count_mid[] = { 1, 0, 0, 9, 0x02 };
	static const uint8_t count_big[] = { 3, 0, 0, 9, 0xfc, 0x00, 0x01 };
	static const uint8_t coldef[] = { 40, 0, 0, 2, 0x03, 'd', 'e', 'f' };
	static const uint8_t row[] = { 12, 0, 0, 5, 0x01, '1', 0x09, 'u' };
	static const uint8_t nullrow[] = { 1, 0, 0, 5, 0xfb };
	static const uint8_t longrow[] = { 0xff, 0xff, 0xff, 5, 0xfd, 0xff, 0xff, 0xff };
	static const uint8_t empty[] = { 0, 0, 0, 6 };
	static const uint8_t cmdq[] = { 9, 0, 0, 0, 0x03, 'S', 'E', 'L' };
	static const uint8_t hresp[] = { 90, 0, 0, 1, 0x0f, 0xa2, 0x2e, 0x01 };
	static const uint8_t auth[] = { 20, 0, 0, 3, 's', '3', 'c', 'r' };
	uint8_t cls = 0;

	cr_expect_eq(mysql_frame_copy(cmdq, 8, 1, 512, &cls), 512);
	cr_expect_eq(mysql_frame_copy(hresp, 8, 1, 512, &cls), 512);
	cr_expect_eq(mysql_frame_copy(auth, 8, 1, 512, &cls), 4);
	cr_expect_eq(mysql_frame_copy(greet, 8, 0, 512, &cls), 96);
	cr_expect_eq(mysql_frame_copy(errp, 8, 0, 512, &cls), 256);
	cr_expect_eq(mysql_frame_copy(okp, 8, 0, 512, &cls), 32);
	cr_expect_eq(mysql_frame_copy(eofp, 8, 0, 512, &cls), 32);
	cr_expect_eq(mysql_frame_copy(binrow, 8, 0, 512, &cls), 32);
	cr_expect_eq(mysql_frame_copy(count1, 5, 0, 512, &cls), 16);
	cr_expect_eq(mysql_frame_copy(count_mid, 5, 0, 512, &cls), 16);
	cr_expect_eq(mysql_frame_copy(count_big, 7, 0, 512, &cls), 16);
	cr_expect_eq(mysql_frame_copy(longrow, 8, 0, 512, &cls), ZT_FRAME_PEEK);
	cr_expect_eq(mysql_frame_copy(empty, 4, 0, 512, &cls), 4);
	cr_expect_eq(cls, 0);
	cr_expect_eq(mysql_frame_copy(coldef, 8, 0, 512, &cls), 0);
	cr_expect_eq(cls, 1);
	cls = 0;
	cr_expect_eq(mysql_frame_copy(row, 8, 0, 512, &cls), 0);
	cr_expect_eq(cls, 1);
	cls = 0;
	cr_expect_eq(mysql_frame_copy(nullrow, 5, 0, 512, &cls), 0);
	cr_expect_eq(cls, 1);
}

Test(mysql_wire, sniff)
{
	struct buf b = { .n = 0 }, q = { .n = 0 };
	struct pl p = { .n = 0 };
	int side;

	greeting(&b, MARIADB_CAPS, MARIADB);
	cr_expect_eq(mysql_sniff(b.b, ZT_SNIFF_LEN), ZT_SNIFF_RESPONSE);
	cr_expect_eq(zt_sniff(b.b, ZT_SNIFF_LEN, 40000, 1234, ZT_PROTO_ALL, 0, &side), ZT_PROTO_MYSQL);
	cr_expect_eq(side, ZT_SNIFF_RESPONSE);
	b.n = 0;
	greeting(&b, 0xffffffff, "8.0.36");
	cr_expect_eq(mysql_sniff(b.b, ZT_SNIFF_LEN), ZT_SNIFF_RESPONSE);
	cr_expect_eq(mysql_sniff(b.b, 8), ZT_SNIFF_RESPONSE);
	b.b[5] = 'x'; /* no version */
	cr_expect_eq(mysql_sniff(b.b, ZT_SNIFF_LEN), 0);
	query(&q, "SELECT 1");
	cr_expect_eq(mysql_sniff(q.b, q.n), ZT_SNIFF_REQUEST | ZT_SNIFF_WEAK);
	cr_expect_eq(zt_sniff(q.b, (uint32_t)q.n, 40000, 3306, ZT_PROTO_ALL, 0, &side), ZT_PROTO_MYSQL);
	cr_expect_eq(zt_sniff(q.b, (uint32_t)q.n, 40000, 1234, ZT_PROTO_ALL, 0, &side), ZT_PROTO_UNKNOWN);
	put8(&p, 0);
	put8(&p, 1);
	put(&p, "SELECT 1", 8);
	q.n = 0;
	cmd(&q, 0x03, p.b, p.n);
	cr_expect_eq(mysql_sniff(q.b, q.n), ZT_SNIFF_REQUEST | ZT_SNIFF_WEAK);
	q.n = 0;
	cmd(&q, 0x03, "\x01\x02\x03", 3);
	cr_expect_eq(mysql_sniff(q.b, q.n), 0);
	q.n = 0;
	cmd(&q, 0x0e, "", 0);
	cr_expect_eq(mysql_sniff(q.b, q.n), 0);
	cr_expect_eq(mysql_sniff((const uint8_t *)"GET / HTTP/1.1\r\n", 16), 0);
	cr_expect_eq(mysql_message_start(q.b), 0);
}

/* ---- login ---- */

Test(mysql, mariadb_login_and_query_exact)
{
	for (int framed = 0; framed <= 1; framed++) {
		struct fix *f = f_new(framed);
		struct buf q = { .n = 0 }, r = { .n = 0 };

		maria(f, 1);
		query(&q, "SELECT id, name FROM users WHERE id < 3");
		result(&r, 1, 3, 0x0002);
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 1);
		cr_assert_eq(f->n_req, 1);
		cr_expect_str_eq(f->ex[0].name, "SELECT users");
		cr_expect_str_eq(f->ex[0].sys, "mariadb");
		cr_expect_str_eq(f->ex[0].ns, "ztdb");
		cr_expect_str_eq(f->ex[0].op, "SELECT");
		cr_expect_str_eq(f->ex[0].coll, "users");
		cr_expect_str_eq(f->ex[0].query, "SELECT id, name FROM users WHERE id < ?");
		cr_expect_eq(f->ex[0].rows, 3);
		cr_expect_eq(f->ex[0].status, SPAN_STATUS_UNSET);
		cr_expect_str_eq(f->ex[0].code, "");
		cr_expect_str_eq(f->ex[0].keys,
				 "db.system.name,db.namespace,db.operation.name,db.collection.name,"
				 "db.query.text,db.response.returned_rows");
		cr_expect_eq(f->ex[0].endpoints_at, 5);
		cr_expect_str_eq(f->ex[0].label0, "mariadb");
		cr_expect_str_eq(f->ex[0].label1, "SELECT");
		cr_expect_eq(f->ex[0].req_size, q.n);
		cr_expect_eq(f->ex[0].resp_size, r.n);
		cr_expect_eq(f->ex[0].start, 4);
		cr_expect_eq(f->ex[0].end, 5);
		cr_expect_eq(f->ex[0].has_response, 1);
		cr_expect_eq(f->misses, 0);
	}
}

Test(mysql, select_without_deprecate_eof)
{
	for (int framed = 0; framed <= 1; framed++) {
		struct fix *f = f_new(framed);
		struct buf q = { .n = 0 }, r = { .n = 0 };

		maria(f, 0);
		query(&q, "select id, name from users");
		result(&r, 0, 3, 0x0002);
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 1);
		cr_expect_str_eq(f->ex[0].name, "SELECT users");
		cr_expect_eq(f->ex[0].rows, 3);
		cr_expect_eq(f->ex[0].resp_size, r.n);
		/* and an empty result */
		q.n = r.n = 0;
		query(&q, "select id, name from users where 0");
		result(&r, 0, 0, 0x0002);
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 2);
		cr_expect_eq(f->ex[1].rows, 0);
	}
}

Test(mysql, mysql_server_and_server_side_metric)
{
	struct fix *f = f_new(1);
	struct buf q = { .n = 0 }, r = { .n = 0 };

	f->sink.kind = SPAN_KIND_SERVER;
	login(f, 0xffffffff & ~C_SSL & ~C_ZIP, C_BASE | C_LENENC | C_DEPR, "8.0.36");
	query(&q, "SELECT 1");
	r.seq = 1;
	colcount(&r, 1);
	coldef(&r, "", "1");
	raw(&r, "\x02\x00\x00\x03\x01\x31", 6);
	r.seq = 4;
	term(&r, 0x0002);
	roundtrip(f, &q, &r);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_str_eq(f->ex[0].sys, "mysql");
	cr_expect_str_eq(f->ex[0].name, "SELECT");
	cr_expect_str_eq(f->ex[0].coll, "<absent>");
	cr_expect_eq(f->ex[0].rows, 1);
	cr_expect_str_eq(f->ex[0].label0, "mysql");
}

Test(mysql, query_attributes_prefix_is_skipped)
{
	struct fix *f = f_new(0);
	struct buf q = { .n = 0 }, r = { .n = 0 };
	struct pl p = { .n = 0 };

	login(f, 0xffffffff & ~C_SSL & ~C_ZIP, C_BASE | C_LENENC | C_DEPR | C_QA, "8.0.36");
	put8(&p, 0);
	put8(&p, 1);
	put(&p, "DELETE FROM t WHERE a = 'x'", 27);
	cmd(&q, 0x03, p.b, p.n);
	r.seq = 1;
	ok(&r, 4, 0x0002);
	roundtrip(f, &q, &r);
	/* with parameters, where the text starts is not read */
	q.n = r.n = 0;
	p.n = 0;
	put8(&p, 1);
	put8(&p, 1);
	put8(&p, 0);
	put8(&p, 1);
	put(&p, "\xfe\x00\x01k\x01v", 6);
	put(&p, "DELETE FROM t", 13);
	cmd(&q, 0x03, p.b, p.n);
	r.seq = 1;
	ok(&r, 4, 0x0002);
	roundtrip(f, &q, &r);
	cr_assert_eq(f->n_ex, 2);
	cr_expect_str_eq(f->ex[0].name, "DELETE t");
	cr_expect_str_eq(f->ex[0].query, "DELETE FROM t WHERE a = ?");
	cr_expect_str_eq(f->ex[1].name, "QUERY");
	cr_expect_str_eq(f->ex[1].query, "<absent>");
}

Test(mysql, insert_ok_has_no_returned_rows)
{
	struct fix *f = f_new(1);
	struct buf q = { .n = 0 }, r = { .n = 0 };

	maria(f, 1);
	query(&q, "INSERT INTO users (name) VALUES ('bob'), ('eve')");
	r.seq = 1;
	ok(&r, 2, 0x0002);
	roundtrip(f, &q, &r);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_str_eq(f->ex[0].name, "INSERT users");
	cr_expect_str_eq(f->ex[0].query, "INSERT INTO users (name) VALUES (?), (?)");
	cr_expect_eq(f->ex[0].rows, -1);
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_UNSET);
	cr_expect_eq(f->ex[0].resp_size, 11);
}

Test(mysql, error_gives_code_and_message)
{
	for (int framed = 0; framed <= 1; framed++) {
		struct fix *f = f_new(framed);
		struct buf q = { .n = 0 }, r = { .n = 0 };

		maria(f, 1);
		query(&q, "SELEC 1");
		r.seq = 1;
		err(&r, 1064, "42000",
		    "You have an error in your SQL syntax; check the manual that corresponds to "
		    "your MariaDB server version for the right syntax to use near 'SELEC 1' at line 1");
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 1);
		cr_expect_eq(f->ex[0].status, SPAN_STATUS_ERROR);
		cr_expect_str_eq(f->ex[0].scode, "1064");
		cr_expect_str_eq(f->ex[0].code, "1064");
		/* cut to the status message's room */
		cr_expect_str_eq(f->ex[0].msg,
				 "You have an error in your SQL syntax; check the manual that "
				 "corresponds to your MariaDB server ");
		cr_expect_str_eq(f->ex[0].name, "SELEC");
		cr_expect_eq(f->ex[0].rows, -1);
		cr_expect_str_eq(f->ex[0].keys,
				 "db.system.name,db.namespace,db.operation.name,db.query.text,"
				 "db.response.status_code");
	}
}

Test(mysql, init_db_and_use_change_the_namespace_on_success)
{
	struct fix *f = f_new(1);
	struct buf q = { .n = 0 }, r = { .n = 0 };

	maria(f, 1);
	cmd(&q, 0x02, "nosuch", 6);
	r.seq = 1;
	err(&r, 1049, "42000", "Unknown database 'nosuch'");
	roundtrip(f, &q, &r);
	q.n = r.n = 0;
	cmd(&q, 0x02, "shop", 4);
	r.seq = 1;
	ok(&r, 0, 0x4002);
	roundtrip(f, &q, &r);
	q.n = r.n = 0;
	query(&q, "SELECT 1");
	r.seq = 1;
	ok(&r, 0, 0x0002);
	roundtrip(f, &q, &r);
	q.n = r.n = 0;
	query(&q, "use `my``db`;");
	r.seq = 1;
	ok(&r, 0, 0x4002);
	roundtrip(f, &q, &r);
	q.n = r.n = 0;
	query(&q, "USE ignored_db_because_error");
	r.seq = 1;
	err(&r, 1049, "42000", "Unknown database");
	roundtrip(f, &q, &r);
	q.n = r.n = 0;
	cmd(&q, 0x0e, "", 0);
	r.seq = 1;
	ok(&r, 0, 0x0002);
	roundtrip(f, &q, &r);
	cr_assert_eq(f->n_ex, 6);
	cr_expect_str_eq(f->ex[0].name, "INIT_DB");
	cr_expect_str_eq(f->ex[0].ns, "nosuch");
	cr_expect_str_eq(f->ex[0].scode, "1049");
	cr_expect_str_eq(f->ex[0].query, "<absent>");
	cr_expect_str_eq(f->ex[1].name, "INIT_DB");
	cr_expect_str_eq(f->ex[1].ns, "shop");
	cr_expect_str_eq(f->ex[2].ns, "shop");
	cr_expect_str_eq(f->ex[3].name, "USE");
	cr_expect_str_eq(f->ex[3].ns, "my`db");
	cr_expect_str_eq(f->ex[4].ns, "ignored_db_because_error");
	cr_expect_str_eq(f->ex[5].name, "PING");
	cr_expect_str_eq(f->ex[5].op, "PING");
	cr_expect_str_eq(f->ex[5].ns, "my`db");
	cr_expect_str_eq(f->ex[5].label1, "PING");
}

/* PREPARE with one parameter and one column. */
static void prepare(struct buf *q, struct buf *r, int depr, uint32_t id, const char *sql)
{
	struct pl p = { .n = 0 };

	cmd(q, 0x16, sql, strlen(sql));
	put8(&p, 0);
	put32(&p, id);
	put16(&p, 1); /* columns */
	put16(&p, 1); /* parameters */
	put8(&p, 0);
	put16(&p, 0);
	r->seq = 1;
	pkt(r, &p);
	coldef(r, "", "?");
	if (!depr)
		eof(r, 0x0002);
	coldef(r, "users", "name");
	if (!depr)
		eof(r, 0x0002);
}

static void exec_result(struct buf *r, int depr, int nrows)
{
	r->seq = 1;
	colcount(r, 1);
	coldef(r, "users", "name");
	if (!depr)
		eof(r, 0x0002);
	for (int i = 0; i < nrows; i++)
		binrow(r, i ? "eve" : "bob");
	if (depr)
		term(r, 0x0002);
	else
		eof(r, 0x0002);
}

Test(mysql, prepare_then_execute_carries_the_text)
{
	for (int mode = 0; mode < 4; mode++) {
		int framed = mode & 1, depr = mode >> 1;
		struct fix *f = f_new(framed);
		struct buf q = { .n = 0 }, r = { .n = 0 };

		maria(f, depr);
		prepare(&q, &r, depr, 7, "SELECT name FROM users WHERE id = ?");
		roundtrip(f, &q, &r);
		for (int i = 0; i < 3; i++) {
			q.n = r.n = 0;
			stmt_cmd(&q, 0x17, 7);
			exec_result(&r, depr, 2);
			roundtrip(f, &q, &r);
		}
		q.n = 0;
		stmt_cmd(&q, 0x19, 7); /* close: no answer */
		cr_assert_eq(f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n), 0);
		q.n = r.n = 0;
		stmt_cmd(&q, 0x17, 7);
		r.seq = 1;
		err(&r, 1243, "HY000", "Unknown prepared statement handler (7) given to mysqld_stmt_execute");
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 5, "mode %d", mode);
		cr_assert_eq(f->n_req, 5);
		cr_expect_str_eq(f->ex[0].name, "PREPARE");
		cr_expect_str_eq(f->ex[0].op, "PREPARE");
		cr_expect_str_eq(f->ex[0].coll, "<absent>");
		cr_expect_str_eq(f->ex[0].query, "SELECT name FROM users WHERE id = ?");
		cr_expect_eq(f->ex[0].rows, -1);
		for (int i = 1; i <= 3; i++) {
			cr_expect_str_eq(f->ex[i].name, "SELECT users", "mode %d", mode);
			cr_expect_str_eq(f->ex[i].query, "SELECT name FROM users WHERE id = ?");
			cr_expect_eq(f->ex[i].rows, 2, "mode %d", mode);
			cr_expect_eq(f->ex[i].status, SPAN_STATUS_UNSET);
		}
		cr_expect_str_eq(f->ex[4].name, "EXECUTE");
		cr_expect_str_eq(f->ex[4].query, "<absent>");
		cr_expect_str_eq(f->ex[4].scode, "1243");
		cr_expect_eq(f->misses, 0);
	}
}

Test(mysql, mariadb_last_prepared_statement_id)
{
	for (int framed = 0; framed <= 1; framed++) {
		struct fix *f = f_new(framed);
		struct buf q = { .n = 0 }, r = { .n = 0 };

		maria(f, 1);
		/* pipelined: the execute names the prepare not yet answered */
		prepare(&q, &r, 1, 3, "INSERT INTO log (msg) VALUES (?)");
		r.n = 0;
		{
			struct pl p = { .n = 0 };

			put8(&p, 0);
			put32(&p, 3);
			put16(&p, 0);
			put16(&p, 1);
			put8(&p, 0);
			put16(&p, 0);
			r.seq = 1;
			pkt(&r, &p);
			coldef(&r, "", "?");
		}
		stmt_cmd(&q, 0x17, 0xffffffff);
		r.seq = 1;
		ok(&r, 1, 0x0002);
		roundtrip(f, &q, &r);
		/* then again, after the answer: the last prepared */
		q.n = r.n = 0;
		stmt_cmd(&q, 0x17, 0xffffffff);
		r.seq = 1;
		ok(&r, 1, 0x0002);
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 3);
		cr_expect_str_eq(f->ex[0].name, "PREPARE");
		cr_expect_str_eq(f->ex[1].name, "INSERT log");
		cr_expect_str_eq(f->ex[1].query, "INSERT INTO log (msg) VALUES (?)");
		cr_expect_str_eq(f->ex[2].name, "INSERT log");
	}
}

Test(mysql, multi_results_are_one_span)
{
	for (int mode = 0; mode < 4; mode++) {
		int framed = mode & 1, depr = mode >> 1;
		struct fix *f = f_new(framed);
		struct buf q = { .n = 0 }, r = { .n = 0 };

		maria(f, depr);
		query(&q, "CALL report(1)");
		result(&r, depr, 2, 0x000a); /* MORE_RESULTS_EXISTS */
		/* the next result's column count goes on in sequence */
		{
			uint8_t seq = r.seq;

			colcount(&r, 2);
			coldef(&r, "users", "id");
			coldef(&r, "users", "name");
			if (!depr)
				eof(&r, 0x000a);
			textrow(&r, 9);
			if (depr)
				term(&r, 0x000a);
			else
				eof(&r, 0x000a);
			cr_assert_neq(seq, 1);
		}
		ok(&r, 0, 0x0002);
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 1, "mode %d", mode);
		cr_expect_str_eq(f->ex[0].name, "CALL");
		cr_expect_eq(f->ex[0].rows, 3, "mode %d", mode);
		cr_expect_eq(f->ex[0].resp_size, r.n);
		/* the connection goes on */
		q.n = r.n = 0;
		query(&q, "SELECT id, name FROM users");
		result(&r, depr, 1, 0x0002);
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 2);
		cr_expect_eq(f->ex[1].rows, 1);
	}
}

/* ---- long packets ---- */

#define BIG_QUERY (20u << 20)
#define BIG_SIZE (BIG_QUERY + 64 * 4 + 64)
/* On the heap, not in .bss: every test process's leak check scans .bss. */
static uint8_t *big;

static void big_alloc(void)
{
	if (!big)
		big = malloc(BIG_SIZE);
	cr_assert_not_null(big);
}

/* COM_QUERY of n text bytes, in 0xffffff packets; returns the bytes. */
static size_t big_query(size_t n)
{
	static const char head[] = "INSERT INTO blobs VALUES ('";
	size_t payload = 1 + n, at = 0, off = 0;
	uint8_t seq = 0;
	uint8_t *body = malloc(BIG_QUERY + 1);

	cr_assert_not_null(body);
	big_alloc();
	body[0] = 0x03;
	memcpy(body + 1, head, sizeof(head) - 1);
	memset(body + sizeof(head), 'x', n - (sizeof(head) - 1) - 2);
	memcpy(body + 1 + n - 2, "')", 2);
	for (;;) {
		size_t len = payload - off < 0xffffff ? payload - off : 0xffffff;

		big[at] = (uint8_t)len;
		big[at + 1] = (uint8_t)(len >> 8);
		big[at + 2] = (uint8_t)(len >> 16);
		big[at + 3] = seq++;
		memcpy(big + at + 4, body + off, len);
		at += 4 + len;
		off += len;
		if (len < 0xffffff)
			break;
	}
	free(body);
	return at;
}

Test(mysql, twenty_mib_query_is_one_request)
{
	size_t n = big_query(BIG_QUERY);

	cr_assert_eq(n, BIG_QUERY + 1 + 8);
	for (int framed = 0; framed <= 1; framed++) {
		struct fix *f = f_new(framed);
		struct buf r = { .n = 0 };

		maria(f, 1);
		/* the client writes 256 KiB at a time */
		f_sys_in(f, PROTO_SIDE_REQUEST, big, n, 256 << 10);
		cr_assert_eq(f->n_req, 1);
		r.seq = 2;
		ok(&r, 1, 0x0002);
		cr_assert_eq(f_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n), 0);
		cr_assert_eq(f->n_ex, 1);
		cr_expect_eq(f->ex[0].req_size, n);
		cr_expect_str_eq(f->ex[0].name, "INSERT blobs");
		cr_expect_str_eq(f->ex[0].query, "INSERT INTO blobs VALUES (?");
		cr_expect_eq(f->misses, 0);
		/* the next command is one again */
		f->tag = 100;
		{
			struct buf q = { .n = 0 };

			r.n = 0;
			cmd(&q, 0x0e, "", 0);
			r.seq = 1;
			ok(&r, 0, 0x0002);
			roundtrip(f, &q, &r);
		}
		cr_assert_eq(f->n_ex, 2);
		cr_expect_str_eq(f->ex[1].name, "PING");
	}
}

Test(mysql, long_row_is_one_row)
{
	/* a 17 MiB value: a row of a 0xffffff packet and its 1 MiB rest; or a
	 * rest of 20 bytes, counted in a run with the next row */
	static struct buf r;
	size_t vlen, payload, at = 0, head;

	big_alloc();
	for (int mode = 0; mode < 4; mode++) {
		int framed = mode & 1;
		struct fix *f = f_new(framed);
		struct buf q = { .n = 0 };
		uint8_t seq = 3;

		vlen = mode & 2 ? 0xffffff + 11 : 17u << 20;
		payload = 1 + 8 + vlen;
		maria(f, 1);
		r.n = 0;
		query(&q, "SELECT doc FROM blobs");
		r.seq = 1;
		colcount(&r, 1);
		coldef(&r, "blobs", "doc");
		f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
		f_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n);
		head = r.n;
		/* 0xfe + 8-byte length + the value, as packets of 0xffffff */
		at = 0;
		for (size_t off = 0;;) {
			size_t len = payload - off < 0xffffff ? payload - off : 0xffffff;

			big[at] = (uint8_t)len;
			big[at + 1] = (uint8_t)(len >> 8);
			big[at + 2] = (uint8_t)(len >> 16);
			big[at + 3] = seq++;
			/* the rest must not read as an EOF, nor be counted as a row */
			memset(big + at + 4, mode & 2 ? 'x' : 0xfe, len);
			if (!off) {
				for (int i = 0; i < 8; i++)
					big[at + 5 + i] = (uint8_t)(vlen >> (8 * i));
			}
			at += 4 + len;
			off += len;
			if (len < 0xffffff)
				break;
		}
		r.n = 0;
		r.seq = seq;
		textrow(&r, 1);
		term(&r, 0x0002);
		memcpy(big + at, r.b, r.n);
		at += r.n;
		f_sys_in(f, PROTO_SIDE_RESPONSE, big, at, 64 << 10);
		cr_assert_eq(f->n_ex, 1);
		cr_expect_eq(f->ex[0].rows, 2, "mode %d", mode);
		cr_expect_eq(f->ex[0].resp_size, head + at);
		cr_expect_eq(f->misses, 0);
	}
}

Test(mysql, five_thousand_rows_in_16k_reads)
{
	static struct buf r;

	for (int mode = 0; mode < 4; mode++) {
		int framed = mode & 1, depr = mode >> 1;
		struct fix *f = f_new(framed);
		struct buf q = { .n = 0 };

		maria(f, depr);
		r.n = 0;
		query(&q, "SELECT id, name FROM users");
		result(&r, depr, 5000, 0x0002);
		cr_assert_eq(f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n), 0);
		f_sys_in(f, PROTO_SIDE_RESPONSE, r.b, r.n, 16 << 10);
		cr_assert_eq(f->n_ex, 1);
		cr_expect_eq(f->ex[0].rows, 5000, "mode %d", mode);
		cr_expect_eq(f->ex[0].resp_size, r.n);
		cr_expect_eq(f->misses, 0);
		cr_expect_eq(f->n_abandon, 0);
	}
}

Test(mysql, every_split_gives_the_same_span)
{
	for (int depr = 0; depr <= 1; depr++) {
		struct buf q = { .n = 0 }, r = { .n = 0 };

		query(&q, "SELECT id, name FROM users WHERE id IN (1, 2)");
		result(&r, depr, 2, 0x0002);
		for (int framed = 0; framed <= 1; framed++) {
			for (size_t a = 0; a <= q.n; a++) {
				for (size_t b = 0; b <= r.n; b++) {
					struct fix *f = f_new(framed);

					maria(f, depr);
					f_sys(f, PROTO_SIDE_REQUEST, q.b, a);
					f_sys(f, PROTO_SIDE_REQUEST, q.b + a, q.n - a);
					f_sys(f, PROTO_SIDE_RESPONSE, r.b, b);
					f_sys(f, PROTO_SIDE_RESPONSE, r.b + b, r.n - b);
					cr_assert_eq(f->n_ex, 1, "split %zu/%zu framed %d", a, b, framed);
					cr_assert_str_eq(f->ex[0].name, "SELECT users");
					cr_assert_eq(f->ex[0].rows, 2, "split %zu/%zu framed %d", a, b,
						     framed);
					cr_assert_eq(f->ex[0].req_size, q.n);
					cr_assert_eq(f->ex[0].resp_size, r.n);
					cr_assert_eq(f->misses, 0);
				}
			}
		}
	}
}

Test(mysql, every_split_of_a_prepare)
{
	struct buf q = { .n = 0 }, r = { .n = 0 };

	prepare(&q, &r, 0, 1, "SELECT name FROM users WHERE id = ?");
	for (int framed = 0; framed <= 1; framed++) {
		for (size_t b = 0; b <= r.n; b++) {
			struct fix *f = f_new(framed);

			maria(f, 0);
			f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
			f_sys(f, PROTO_SIDE_RESPONSE, r.b, b);
			f_sys(f, PROTO_SIDE_RESPONSE, r.b + b, r.n - b);
			cr_assert_eq(f->n_ex, 1, "split %zu framed %d", b, framed);
			cr_assert_str_eq(f->ex[0].name, "PREPARE");
			cr_assert_eq(f->ex[0].resp_size, r.n);
		}
	}
}

/* ---- joined mid-stream ---- */

Test(mysql, joined_mid_stream_learns_eof_from_lengths)
{
	for (int depr = 0; depr <= 1; depr++) {
		struct fix *f = f_new(1);
		struct buf q = { .n = 0 }, r = { .n = 0 };

		query(&q, "SELECT id, name FROM users");
		result(&r, depr, 4, 0x0002);
		roundtrip(f, &q, &r);
		q.n = r.n = 0;
		query(&q, "SELECT id, name FROM users LIMIT 0");
		result(&r, depr, 0, 0x0002);
		roundtrip(f, &q, &r);
		/* a prepare's definitions: the EOF after them is known by now */
		q.n = r.n = 0;
		prepare(&q, &r, depr, 2, "SELECT name FROM users WHERE id = ?");
		roundtrip(f, &q, &r);
		q.n = r.n = 0;
		stmt_cmd(&q, 0x17, 2);
		exec_result(&r, depr, 3);
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 4, "depr %d", depr);
		cr_expect_str_eq(f->ex[0].sys, "mysql");
		cr_expect_str_eq(f->ex[0].ns, "<absent>");
		cr_expect_eq(f->ex[0].rows, 4);
		cr_expect_eq(f->ex[1].rows, 0);
		cr_expect_str_eq(f->ex[2].name, "PREPARE");
		cr_expect_str_eq(f->ex[3].name, "SELECT users");
		cr_expect_eq(f->ex[3].rows, 3);
		cr_expect_eq(f->misses, 0);
	}
}

Test(mysql, joined_mid_stream_prepare_first)
{
	/* the EOF mode unknown at a prepare: the next answer settles it */
	for (int mode = 0; mode < 4; mode++) {
		int framed = mode & 1, depr = mode >> 1;
		struct fix *f = f_new(framed);
		struct buf q = { .n = 0 }, r = { .n = 0 };

		size_t prep;

		prepare(&q, &r, depr, 2, "SELECT name FROM users WHERE id = ?");
		prep = r.n;
		roundtrip(f, &q, &r);
		q.n = r.n = 0;
		stmt_cmd(&q, 0x17, 2);
		exec_result(&r, depr, 1);
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 2, "mode %d", mode);
		cr_expect_str_eq(f->ex[0].name, "PREPARE");
		cr_expect_eq(f->ex[0].resp_size, prep);
		cr_expect_eq(f->ex[0].end, 2);
		cr_expect_str_eq(f->ex[1].name, "SELECT users");
		cr_expect_eq(f->ex[1].rows, 1);
		cr_expect_eq(f->misses, 0);
	}
}

Test(mysql, joined_mid_stream_prepare_without_columns)
{
	/* no EOF known, none after the parameters: the next answer ends it */
	for (int mode = 0; mode < 4; mode++) {
		int framed = mode & 1, depr = mode >> 1;
		struct fix *f = f_new(framed);
		struct buf q = { .n = 0 }, r = { .n = 0 };
		struct pl p = { .n = 0 };
		size_t prep;

		cmd(&q, 0x16, "INSERT INTO log VALUES (?, ?)", 29);
		put8(&p, 0);
		put32(&p, 9);
		put16(&p, 0);
		put16(&p, 2);
		put8(&p, 0);
		put16(&p, 0);
		r.seq = 1;
		pkt(&r, &p);
		coldef(&r, "", "?");
		coldef(&r, "", "?");
		if (!depr)
			eof(&r, 0x0002);
		prep = r.n;
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, depr ? 0 : 1);
		q.n = r.n = 0;
		stmt_cmd(&q, 0x17, 9);
		r.seq = 1;
		ok(&r, 1, 0x0002);
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 2, "mode %d", mode);
		cr_expect_str_eq(f->ex[0].name, "PREPARE");
		cr_expect_eq(f->ex[0].resp_size, prep);
		cr_expect_eq(f->ex[0].end, 2);
		cr_expect_str_eq(f->ex[1].name, "INSERT log");
		cr_expect_eq(f->ex[1].resp_size, r.n);
		cr_expect_eq(f->misses, 0);
	}
}

/* ---- other commands ---- */

Test(mysql, change_user_keeps_no_credentials)
{
	for (int framed = 0; framed <= 1; framed++) {
		struct fix *f = f_new(framed);
		struct buf q = { .n = 0 }, r = { .n = 0 };
		struct pl p = { .n = 0 };

		maria(f, 1);
		prepare(&q, &r, 1, 5, "SELECT 1");
		roundtrip(f, &q, &r);
		q.n = r.n = 0;
		putz(&p, "admin");
		put8(&p, 20);
		put(&p, "s3cret-s3cret-s3cret", 20);
		putz(&p, "otherdb");
		put16(&p, 45);
		putz(&p, "mysql_native_password");
		cmd(&q, 0x11, p.b, p.n);
		cr_assert_eq(f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n), 0);
		/* auth switch, the client's answer, OK */
		p.n = 0;
		put8(&p, 0xfe);
		putz(&p, "mysql_native_password");
		put(&p, "s3cret-nonce-s3cret\0", 20);
		r.seq = 1;
		pkt(&r, &p);
		cr_assert_eq(f_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n), 0);
		q.n = 0;
		q.seq = 2;
		p.n = 0;
		put(&p, "s3cret-answer-s3cret", 20);
		pkt(&q, &p);
		cr_assert_eq(f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n), 0);
		r.n = 0;
		r.seq = 3;
		ok(&r, 0, 0x0002);
		cr_assert_eq(f_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n), 0);
		cr_assert(!has_secret(f->state, sizeof(f->state)));
		/* the session is new: statement 5 is gone */
		q.n = r.n = 0;
		stmt_cmd(&q, 0x17, 5);
		r.seq = 1;
		err(&r, 1243, "HY000", "Unknown prepared statement handler");
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 3);
		cr_expect_str_eq(f->ex[1].name, "CHANGE_USER");
		cr_expect_str_eq(f->ex[1].ns, "otherdb");
		cr_expect_eq(f->ex[1].req_size, 4 + 1 + 6 + 21 + 8 + 2 + 22 + 24);
		cr_expect_str_eq(f->ex[2].name, "EXECUTE");
		cr_expect_str_eq(f->ex[2].ns, "otherdb");
	}
}

Test(mysql, commands_without_answer_have_no_span)
{
	struct fix *f = f_new(1);
	struct buf q = { .n = 0 }, r = { .n = 0 };

	maria(f, 1);
	stmt_cmd(&q, 0x18, 1);
	stmt_cmd(&q, 0x19, 1);
	cr_assert_eq(f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n), 0);
	q.n = 0;
	cmd(&q, 0x1f, "", 0);
	r.seq = 1;
	ok(&r, 0, 0x0002);
	roundtrip(f, &q, &r);
	q.n = 0;
	cmd(&q, 0x01, "", 0);
	cr_assert_eq(f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n), 0);
	proto_mysql.close(f->state, &f->sink);
	cr_assert_eq(f->n_req, 1);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_str_eq(f->ex[0].name, "RESET_CONNECTION");
}

Test(mysql, statistics_field_list_and_load_data_local)
{
	for (int framed = 0; framed <= 1; framed++) {
		struct fix *f = f_new(framed);
		static struct buf q, r;
		struct pl p = { .n = 0 };

		q.n = r.n = 0;
		maria(f, 0);
		cmd(&q, 0x09, "", 0);
		r.seq = 1;
		put(&p, "Uptime: 52  Threads: 1  Questions: 9", 36);
		pkt(&r, &p);
		roundtrip(f, &q, &r);
		q.n = r.n = 0;
		cmd(&q, 0x04, "users\0", 6);
		r.seq = 1;
		coldef(&r, "users", "id");
		coldef(&r, "users", "name");
		eof(&r, 0x0002);
		roundtrip(f, &q, &r);
		/* a file of 300 packets: its sequence wraps through 0 */
		q.n = r.n = 0;
		query(&q, "LOAD DATA LOCAL INFILE '/tmp/u.csv' INTO TABLE users");
		cr_assert_eq(f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n), 0);
		r.seq = 1;
		p.n = 0;
		put8(&p, 0xfb);
		put(&p, "/tmp/u.csv", 10);
		pkt(&r, &p);
		cr_assert_eq(f_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n), 0);
		/* the client writes the file a packet at a time */
		q.seq = 2;
		for (int i = 0; i <= 300; i++) {
			q.n = 0;
			p.n = 0;
			if (i < 300)
				put(&p, "abc,def\n", 8);
			pkt(&q, &p);
			cr_assert_eq(f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n), 0);
		}
		r.n = 0;
		r.seq = (uint8_t)(2 + 301);
		ok(&r, 300, 0x0002);
		cr_assert_eq(f_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n), 0);
		cr_assert_eq(f->n_ex, 3);
		cr_expect_str_eq(f->ex[0].name, "STATISTICS");
		cr_expect_str_eq(f->ex[1].name, "FIELD_LIST");
		cr_expect_eq(f->ex[1].rows, -1);
		cr_expect_str_eq(f->ex[2].name, "LOAD");
		cr_expect_eq(f->ex[2].req_size,
			     4 + 1 + strlen("LOAD DATA LOCAL INFILE '/tmp/u.csv' INTO TABLE users") +
				     301 * 4 + 300 * 8);
		cr_expect_eq(f->ex[2].status, SPAN_STATUS_UNSET);
		cr_expect_eq(f->n_req, 3);
		cr_expect_eq(f->misses, 0);
	}
}

Test(mysql, progress_reports_are_not_errors)
{
	struct fix *f = f_new(0);
	struct buf q = { .n = 0 }, r = { .n = 0 };
	struct pl p = { .n = 0 };

	maria(f, 1);
	query(&q, "ALTER TABLE users ADD COLUMN x INT");
	r.seq = 1;
	put8(&p, 0xff);
	put16(&p, 0xffff);
	put(&p, "\x01\x01\x02\x10\x27\x00\x05stage", 12);
	pkt(&r, &p);
	ok(&r, 0, 0x0002);
	roundtrip(f, &q, &r);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_UNSET);
	cr_expect_str_eq(f->ex[0].name, "ALTER users");
}

/* ---- limits, failures ---- */

Test(mysql, lost_framing_recovers_at_the_next_turn)
{
	struct fix *f = f_new(0);
	struct buf q = { .n = 0 }, r = { .n = 0 };
	struct proto_seg seg;
	struct proto_chunk c;

	maria(f, 1);
	query(&q, "SELECT id, name FROM users");
	result(&r, 1, 3, 0x0002);
	f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
	/* only the first 10 bytes of the reply were copied */
	seg = (struct proto_seg){ .off = 0, .len = 10, .data = r.b, .cap = 10 };
	c = (struct proto_chunk){ .side = PROTO_SIDE_RESPONSE, .tag = 99, .total = r.n, .segs = &seg,
				  .nsegs = 1 };
	/* the framing, and the command that can no longer be paired */
	cr_expect_eq(proto_mysql.feed(f->state, &c, &f->sink), 2);
	cr_expect_eq(f->n_abandon, 1);
	cr_expect_eq(f->n_ex, 0);
	q.n = r.n = 0;
	query(&q, "SELECT 2");
	r.seq = 1;
	colcount(&r, 1);
	coldef(&r, "", "2");
	raw(&r, "\x02\x00\x00\x03\x01\x32", 6);
	r.seq = 4;
	term(&r, 0x0002);
	roundtrip(f, &q, &r);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_str_eq(f->ex[0].query, "SELECT ?");
	cr_expect_eq(f->ex[0].rows, 1);
}

Test(mysql, statement_cache_is_bounded)
{
	struct fix *f = f_new(1);

	maria(f, 1);
	for (uint32_t i = 0; i < 20; i++) {
		struct buf q = { .n = 0 }, r = { .n = 0 };
		char sql[64];

		snprintf(sql, sizeof(sql), "SELECT name FROM t%u WHERE id = ?", i);
		prepare(&q, &r, 1, 100 + i, sql);
		roundtrip(f, &q, &r);
	}
	cr_expect_eq(f->n_cache_full, 4);
	cr_expect_eq(f->n_ex, 20);
	/* the newest are kept, the oldest forgotten */
	for (uint32_t i = 0; i < 2; i++) {
		struct buf q = { .n = 0 }, r = { .n = 0 };

		stmt_cmd(&q, 0x17, i ? 119 : 100);
		exec_result(&r, 1, 1);
		roundtrip(f, &q, &r);
	}
	cr_expect_str_eq(f->ex[20].name, "EXECUTE");
	cr_expect_str_eq(f->ex[21].name, "SELECT t19");
}

Test(mysql, pending_commands_are_bounded)
{
	struct fix *f = f_new(0);
	struct buf q = { .n = 0 };

	maria(f, 1);
	for (int i = 0; i < 20; i++)
		cmd(&q, 0x0e, "", 0);
	f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
	cr_expect_eq(f->n_req, 20);
	cr_expect_eq(f->n_abandon, 4);
	proto_mysql.close(f->state, &f->sink);
	cr_expect_eq(f->n_ex, 16);
}

Test(mysql, ssl_request_stops_the_walk_quietly)
{
	struct fix *f = f_new(1);
	struct buf b = { .n = 0 };
	struct pl p = { .n = 0 };
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03 };
	struct walk_sim sim;

	greeting(&b, MARIADB_CAPS | C_SSL, MARIADB);
	f_sys(f, PROTO_SIDE_RESPONSE, b.b, b.n);
	b.n = 0;
	put32(&p, C_BASE | C_SSL | C_LENENC | C_DEPR);
	put32(&p, 1u << 24);
	put8(&p, 45);
	for (int i = 0; i < 23; i++)
		put8(&p, 0);
	b.seq = 1;
	pkt(&b, &p);
	cr_assert_eq(f_sys(f, PROTO_SIDE_REQUEST, b.b, b.n), 0);
	/* the kernel's walk stops at the ClientHello */
	sim = f->sim;
	cr_expect_eq(walk_sim_syscall(&sim, hello, sizeof(hello), 1, CAPTURE), -1);
	/* plain bytes reach the module: nothing, and no miss */
	f->framed = 0;
	cr_expect_eq(f_sys(f, PROTO_SIDE_REQUEST, hello, sizeof(hello)), 0);
	cr_expect_eq(f_sys(f, PROTO_SIDE_RESPONSE, hello, sizeof(hello)), 0);
	proto_mysql.close(f->state, &f->sink);
	cr_expect_eq(f->n_req, 0);
	cr_expect_eq(f->n_ex, 0);
}

Test(mysql, compression_stops_the_walk_after_auth)
{
	struct fix *f = f_new(1);
	struct buf a = { .n = 0 }, b = { .n = 0 };
	static const uint8_t zipped[] = { 0x0d, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0x03, 'S', 'E', 'L',
					  'E', 'C', 'T', ' ', '1' };
	struct walk_sim sim;

	greeting(&b, MARIADB_CAPS | C_ZIP, MARIADB);
	f_sys(f, PROTO_SIDE_RESPONSE, b.b, b.n);
	handshake(&a, C_BASE | C_LENENC | C_ZIP, "ztdb");
	f_sys(f, PROTO_SIDE_REQUEST, a.b, a.n);
	b.n = 0;
	b.seq = 2;
	ok(&b, 0, 0x0002);
	cr_assert_eq(f_sys(f, PROTO_SIDE_RESPONSE, b.b, b.n), 0);
	sim = f->sim;
	cr_expect_eq(walk_sim_syscall(&sim, zipped, sizeof(zipped), 1, CAPTURE), -1);
	f->framed = 0;
	cr_expect_eq(f_sys(f, PROTO_SIDE_REQUEST, zipped, sizeof(zipped)), 0);
	cr_expect_eq(f->n_req, 0);
}

Test(mysql, close_reports_unanswered)
{
	struct fix *f = f_new(0);
	struct buf q = { .n = 0 };

	maria(f, 1);
	query(&q, "SELECT SLEEP(10)");
	f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
	proto_mysql.close(f->state, &f->sink);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].has_response, 0);
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_ERROR);
	cr_expect_str_eq(f->ex[0].msg, "connection closed before a reply");
	cr_expect_str_eq(f->ex[0].name, "SELECT");
	cr_expect_eq(f->ex[0].start, 4);
	cr_expect_eq(f->ex[0].end, 4);
	cr_expect_eq(f->ex[0].req_size, q.n);
	cr_expect_eq(f->ex[0].resp_size, 0);
}

/* ---- hostile input ---- */

Test(mysql, garbage_after_a_command_loses_the_framing)
{
	struct fix *f = f_new(0);
	struct buf q = { .n = 0 }, r = { .n = 0 };

	maria(f, 1);
	query(&q, "SELECT 1");
	raw(&q, "\x05\x00\x00\x00\x99garbage", 12);
	cr_expect_eq(f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n), 2);
	cr_expect_eq(f->n_req, 1);
	cr_expect_eq(f->n_abandon, 1);
	r.seq = 1;
	ok(&r, 0, 0x0002);
	cr_expect_eq(f_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n), 0);
	cr_expect_eq(f->n_ex, 0);
}

Test(mysql, counts_that_lie_give_no_row_count)
{
	for (int framed = 0; framed <= 1; framed++) {
		struct fix *f = f_new(framed);
		struct buf q = { .n = 0 }, r = { .n = 0 };
		struct pl p = { .n = 0 };

		maria(f, 0);
		/* five columns announced, two defined */
		query(&q, "SELECT id, name FROM users");
		r.seq = 1;
		colcount(&r, 5);
		coldef(&r, "users", "id");
		coldef(&r, "users", "name");
		eof(&r, 0x0002);
		textrow(&r, 1);
		eof(&r, 0x0002);
		f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
		cr_expect_gt(f_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n), 0);
		cr_assert_eq(f->n_ex, 1);
		cr_expect_str_eq(f->ex[0].name, "SELECT users");
		cr_expect_eq(f->ex[0].rows, -1);
		/* a column count of 2^40 */
		q.n = r.n = 0;
		query(&q, "SELECT 1");
		r.seq = 1;
		put8(&p, 0xfe);
		put32(&p, 0);
		put32(&p, 0x100);
		pkt(&r, &p);
		f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
		f_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n);
		cr_assert_eq(f->n_ex, 2);
		cr_expect_eq(f->ex[1].rows, -1);
		/* an OK-prepare cut short, an ERR without its code */
		q.n = r.n = 0;
		cmd(&q, 0x16, "SELECT 1", 8);
		r.seq = 1;
		raw(&r, "\x03\x00\x00\x01\x00\x01\x00", 7);
		roundtrip(f, &q, &r);
		q.n = r.n = 0;
		query(&q, "SELECT 1");
		r.seq = 1;
		raw(&r, "\x01\x00\x00\x01\xff", 5);
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 4);
		cr_expect_str_eq(f->ex[2].name, "PREPARE");
		cr_expect_eq(f->ex[3].status, SPAN_STATUS_ERROR);
		cr_expect_str_eq(f->ex[3].scode, "<absent>");
		/* and the connection still works */
		q.n = r.n = 0;
		query(&q, "SELECT id, name FROM users");
		result(&r, 0, 2, 0x0002);
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 5);
		cr_expect_eq(f->ex[4].rows, 2);
	}
}

Test(mysql, handshake_cut_short_gives_no_namespace)
{
	struct fix *f = f_new(0);
	struct buf a = { .n = 0 }, b = { .n = 0 };

	greeting(&b, MARIADB_CAPS, MARIADB);
	f_sys(f, PROTO_SIDE_RESPONSE, b.b, b.n);
	handshake(&a, C_BASE | C_LENENC | C_DEPR, "ztdb");
	/* the auth response's length says more than the packet holds */
	a.b[4 + 32 + 3] = 0xfc;
	a.b[4 + 32 + 4] = 0xff;
	a.b[4 + 32 + 5] = 0x7f;
	f_sys(f, PROTO_SIDE_REQUEST, a.b, a.n);
	b.n = 0;
	b.seq = 2;
	ok(&b, 0, 0x0002);
	f_sys(f, PROTO_SIDE_RESPONSE, b.b, b.n);
	a.n = b.n = 0;
	query(&a, "SELECT 1");
	b.seq = 1;
	ok(&b, 0, 0x0002);
	roundtrip(f, &a, &b);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_str_eq(f->ex[0].ns, "<absent>");
	cr_expect_str_eq(f->ex[0].sys, "mariadb");
}

Test(mysql, random_bytes_never_crash_nor_mislabel)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	static uint8_t junk[4096];

	for (int round = 0; round < 400; round++) {
		struct fix *f = f_new(round & 1);

		maria(f, round & 2 ? 1 : 0);
		for (int i = 0; i < 8; i++) {
			size_t n;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			n = (size_t)(x % sizeof(junk));
			for (size_t k = 0; k < n; k++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				junk[k] = (uint8_t)(x >> 24);
			}
			/* a plausible header now and then */
			if (n > 5 && (x & 3) == 0) {
				junk[1] = junk[2] = 0;
				junk[3] = (uint8_t)(x & 4 ? 0 : 1);
				junk[4] = x & 8 ? 0x03 : 0xfe;
			}
			if (f->framed) {
				struct walk_sim sim = f->sim;

				if (walk_sim_syscall(&sim, junk, n, i & 1 ? 0 : 1, CAPTURE) < 0)
					break;
			}
			f_sys(f, i & 1 ? PROTO_SIDE_RESPONSE : PROTO_SIDE_REQUEST, junk, n);
		}
		proto_mysql.close(f->state, &f->sink);
		for (uint32_t i = 0; i < f->n_ex; i++) {
			cr_assert_str_eq(f->ex[i].sys, "mariadb");
			cr_assert_neq(f->ex[i].op[0], '<');
			cr_assert_neq(f->ex[i].op[0], '\0');
			cr_assert_str_eq(f->ex[i].label1, f->ex[i].op);
			cr_assert_geq(f->ex[i].rows, -1);
		}
	}
}

/* ---- more response shapes ---- */

Test(mysql, cursor_then_fetch)
{
	for (int mode = 0; mode < 4; mode++) {
		int framed = mode & 1, depr = mode >> 1;
		struct fix *f = f_new(framed);
		struct buf q = { .n = 0 }, r = { .n = 0 };
		struct pl p = { .n = 0 };

		maria(f, depr);
		prepare(&q, &r, depr, 4, "SELECT name FROM users WHERE id > ?");
		roundtrip(f, &q, &r);
		/* executed with a read-only cursor: definitions, then an EOF
		 * saying the cursor exists; the rows come by COM_STMT_FETCH */
		q.n = r.n = 0;
		put8(&p, 0x17);
		put32(&p, 4);
		put8(&p, 1);
		put32(&p, 1);
		put8(&p, 0);
		put8(&p, 1);
		put16(&p, 3);
		put32(&p, 0);
		q.seq = 0;
		pkt(&q, &p);
		r.seq = 1;
		colcount(&r, 1);
		coldef(&r, "users", "name");
		if (depr)
			term(&r, 0x0042);
		else
			eof(&r, 0x0042);
		roundtrip(f, &q, &r);
		q.n = r.n = 0;
		p.n = 0;
		put8(&p, 0x1c);
		put32(&p, 4);
		put32(&p, 100);
		q.seq = 0;
		pkt(&q, &p);
		r.seq = 1;
		binrow(&r, "bob");
		binrow(&r, "eve");
		binrow(&r, "amy");
		if (depr)
			term(&r, 0x0082);
		else
			eof(&r, 0x0082);
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 3, "mode %d", mode);
		cr_expect_str_eq(f->ex[1].name, "SELECT users");
		cr_expect_eq(f->ex[1].rows, 0);
		cr_expect_str_eq(f->ex[2].name, "STMT_FETCH");
		cr_expect_eq(f->ex[2].rows, 3);
		cr_expect_eq(f->misses, 0);
	}
}

Test(mysql, error_in_the_middle_of_rows)
{
	for (int framed = 0; framed <= 1; framed++) {
		struct fix *f = f_new(framed);
		struct buf q = { .n = 0 }, r = { .n = 0 };

		maria(f, 1);
		query(&q, "SELECT id, name FROM users");
		r.seq = 1;
		colcount(&r, 2);
		coldef(&r, "users", "id");
		coldef(&r, "users", "name");
		for (int i = 0; i < 10; i++)
			textrow(&r, i);
		err(&r, 1317, "70100", "Query execution was interrupted");
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 1);
		cr_expect_eq(f->ex[0].status, SPAN_STATUS_ERROR);
		cr_expect_str_eq(f->ex[0].scode, "1317");
		cr_expect_str_eq(f->ex[0].msg, "Query execution was interrupted");
		cr_expect_eq(f->ex[0].rows, 10);
	}
}

Test(mysql, metadata_skipped_by_the_server)
{
	for (int framed = 0; framed <= 1; framed++) {
		struct fix *f = f_new(framed);
		struct buf q = { .n = 0 }, r = { .n = 0 };
		struct pl p = { .n = 0 };

		maria(f, 1);
		/* MariaDB's cached metadata: column count, metadata_follows 0 */
		stmt_cmd(&q, 0x17, 1);
		put8(&p, 2);
		put8(&p, 0);
		r.seq = 1;
		pkt(&r, &p);
		textrow(&r, 1);
		textrow(&r, 2);
		term(&r, 0x0002);
		roundtrip(f, &q, &r);
		/* MySQL's OK-prepare with metadata_follows 0: no definitions */
		q.n = r.n = 0;
		p.n = 0;
		cmd(&q, 0x16, "SELECT ? + 1", 12);
		put8(&p, 0);
		put32(&p, 8);
		put16(&p, 1);
		put16(&p, 1);
		put8(&p, 0);
		put16(&p, 0);
		put8(&p, 0);
		r.seq = 1;
		pkt(&r, &p);
		roundtrip(f, &q, &r);
		q.n = r.n = 0;
		cmd(&q, 0x0e, "", 0);
		r.seq = 1;
		ok(&r, 0, 0x0002);
		roundtrip(f, &q, &r);
		cr_assert_eq(f->n_ex, 3);
		cr_expect_str_eq(f->ex[0].name, "EXECUTE");
		cr_expect_eq(f->ex[0].rows, 2);
		cr_expect_str_eq(f->ex[1].name, "PREPARE");
		cr_expect_str_eq(f->ex[2].name, "PING");
		cr_expect_eq(f->misses, 0);
	}
}

Test(mysql, refused_login_has_no_span)
{
	struct fix *f = f_new(1);
	struct buf a = { .n = 0 }, b = { .n = 0 };

	greeting(&b, MARIADB_CAPS, MARIADB);
	f_sys(f, PROTO_SIDE_RESPONSE, b.b, b.n);
	handshake(&a, C_BASE | C_LENENC, NULL);
	f_sys(f, PROTO_SIDE_REQUEST, a.b, a.n);
	b.n = 0;
	b.seq = 2;
	err(&b, 1045, "28000", "Access denied for user 'zt'@'10.0.0.2' (using password: YES)");
	cr_expect_eq(f_sys(f, PROTO_SIDE_RESPONSE, b.b, b.n), 0);
	proto_mysql.close(f->state, &f->sink);
	cr_expect_eq(f->n_req, 0);
	cr_expect_eq(f->n_ex, 0);
	cr_expect(!has_secret(f->state, sizeof(f->state)));
}

Test(mysql, auth_switch_during_login)
{
	for (int framed = 0; framed <= 1; framed++) {
		struct fix *f = f_new(framed);
		struct buf a = { .n = 0 }, b = { .n = 0 };
		struct pl p = { .n = 0 };

		greeting(&b, MARIADB_CAPS, MARIADB);
		f_sys(f, PROTO_SIDE_RESPONSE, b.b, b.n);
		handshake(&a, C_BASE | C_LENENC | C_DEPR, "ztdb");
		f_sys(f, PROTO_SIDE_REQUEST, a.b, a.n);
		b.n = 0;
		b.seq = 2;
		put8(&p, 0xfe);
		putz(&p, "client_ed25519");
		put(&p, "s3cret-nonce-s3cret-nonce-s3cret\0", 33);
		pkt(&b, &p);
		cr_assert_eq(f_sys(f, PROTO_SIDE_RESPONSE, b.b, b.n), 0);
		a.n = 0;
		a.seq = 3;
		p.n = 0;
		put(&p, "s3cret-signature-s3cret-signature-s3cret-signature-s3cret-signatu", 64);
		pkt(&a, &p);
		cr_assert_eq(f_sys(f, PROTO_SIDE_REQUEST, a.b, a.n), 0);
		b.n = 0;
		b.seq = 4;
		ok(&b, 0, 0x0002);
		cr_assert_eq(f_sys(f, PROTO_SIDE_RESPONSE, b.b, b.n), 0);
		cr_assert(!has_secret(f->state, sizeof(f->state)));
		a.n = b.n = 0;
		query(&a, "SELECT id, name FROM users");
		result(&b, 1, 1, 0x0002);
		roundtrip(f, &a, &b);
		cr_assert_eq(f->n_ex, 1);
		cr_expect_str_eq(f->ex[0].ns, "ztdb");
		cr_expect_eq(f->ex[0].rows, 1);
	}
}

Test(mysql, column_count_cut_short_is_a_miss)
{
	struct fix *f = f_new(0);
	struct buf q = { .n = 0 }, r = { .n = 0 };

	maria(f, 1);
	query(&q, "SELECT 1");
	raw(&r, "\x02\x00\x00\x01\xfc\x01", 6);
	f_sys(f, PROTO_SIDE_REQUEST, q.b, q.n);
	cr_expect_eq(f_sys(f, PROTO_SIDE_RESPONSE, r.b, r.n), 1);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].rows, -1);
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_UNSET);
}

/* ---- packet fields ---- */

#include "mysql_packet.h"

Test(mysql_packet, lenenc)
{
	static const uint8_t p[] = { 0xfa, 0xfc, 0x34, 0x12, 0xfd, 1, 2, 3, 0xfe, 1, 0, 0, 0, 0, 0, 0, 0x80,
				     0xfb, 0xff, 0xfc, 0x01 };
	uint32_t at = 0;
	uint64_t v;

	cr_expect(my_lenenc(p, sizeof(p), &at, &v) && v == 250 && at == 1);
	cr_expect(my_lenenc(p, sizeof(p), &at, &v) && v == 0x1234 && at == 4);
	cr_expect(my_lenenc(p, sizeof(p), &at, &v) && v == 0x030201 && at == 8);
	cr_expect(my_lenenc(p, sizeof(p), &at, &v) && v == 0x8000000000000001ull && at == 17);
	cr_expect(!my_lenenc(p, sizeof(p), &at, &v)); /* NULL */
	at = 18;
	cr_expect(!my_lenenc(p, sizeof(p), &at, &v));
	at = 19;
	cr_expect(!my_lenenc(p, sizeof(p), &at, &v)); /* cut */
	at = 21;
	cr_expect(!my_lenenc(p, sizeof(p), &at, &v));
}

Test(mysql_packet, use_statement)
{
	char db[8];

	cr_expect_eq(my_use("USE a", 5, db, sizeof(db)), 1);
	cr_expect_str_eq(db, "a");
	cr_expect_eq(my_use(" use\tshop ; ", 12, db, sizeof(db)), 1);
	cr_expect_str_eq(db, "shop");
	cr_expect_eq(my_use("USE `a b`", 9, db, sizeof(db)), 1);
	cr_expect_str_eq(db, "a b");
	cr_expect_eq(my_use("USE sevench", 11, db, sizeof(db)), 1);
	cr_expect_str_eq(db, "sevench");
	/* a USE whose database cannot be told */
	cr_expect_eq(my_use("USE eightchr", 12, db, sizeof(db)), -1);
	cr_expect_str_eq(db, "");
	cr_expect_eq(my_use("USE `eightchr`", 14, db, sizeof(db)), -1);
	cr_expect_eq(my_use("USE a; SELECT 1", 15, db, sizeof(db)), -1);
	cr_expect_str_eq(db, "");
	cr_expect_eq(my_use("USE ", 4, db, sizeof(db)), -1);
	cr_expect_eq(my_use("USE `a", 6, db, sizeof(db)), -1);
	cr_expect_eq(my_use("USE ``", 6, db, sizeof(db)), -1);
	cr_expect_eq(my_use("USE a-b", 7, db, sizeof(db)), -1);
	/* no USE */
	cr_expect_eq(my_use("USER a", 6, db, sizeof(db)), 0);
	cr_expect_eq(my_use("US", 2, db, sizeof(db)), 0);
	cr_expect_eq(my_use("SELECT 1", 8, db, sizeof(db)), 0);
}

Test(mysql_packet, handshake_response_forms)
{
	struct pl p = { .n = 0 };
	static const uint8_t zero[23];
	uint32_t caps = 0;
	char db[16];

	/* SECURE_CONNECTION: a 1-byte length */
	put32(&p, 0x0000a20f);
	put32(&p, 0);
	put8(&p, 8);
	put(&p, zero, 23);
	putz(&p, "u");
	put8(&p, 3);
	put(&p, "\0\0\0", 3);
	putz(&p, "d1");
	cr_expect(my_handshake(p.b, (uint32_t)p.n, &caps, db, sizeof(db)));
	cr_expect_str_eq(db, "d1");
	/* neither: a NUL-terminated auth response */
	p.b[1] = 0x22;
	p.n = 32;
	putz(&p, "u");
	putz(&p, "pw");
	putz(&p, "d2");
	cr_expect(my_handshake(p.b, (uint32_t)p.n, &caps, db, sizeof(db)));
	cr_expect_str_eq(db, "d2");
	/* cut before the database's NUL */
	cr_expect(my_handshake(p.b, (uint32_t)p.n - 1, &caps, db, sizeof(db)));
	cr_expect_str_eq(db, "");
	/* HandshakeResponse320 */
	p.b[1] = 0;
	cr_expect(my_handshake(p.b, (uint32_t)p.n, &caps, db, sizeof(db)));
	cr_expect_eq(caps, 0x000f);
	cr_expect_str_eq(db, "");
	cr_expect(!my_handshake(p.b, 3, &caps, db, sizeof(db)));
}

Test(mysql_packet, err_and_status)
{
	char msg[32];
	static const uint8_t old[] = { 0xff, 0x10, 0x04, 'T', 'o', 'o' };
	static const uint8_t okp[] = { 0x00, 0xfc, 0x10, 0x27, 0x05, 0x0a, 0x00 };

	cr_expect_eq(my_err(old, sizeof(old), sizeof(old), msg, sizeof(msg)), 1040);
	cr_expect_str_eq(msg, "Too");
	cr_expect_eq(my_err(old, 2, 2, msg, sizeof(msg)), 0);
	cr_expect_eq(my_status(okp, sizeof(okp), sizeof(okp)), 0x000a);
	cr_expect_eq(my_status(okp, 5, sizeof(okp)), 0);
	cr_expect_str_eq(my_com_name(0x0e), "PING");
	cr_expect_str_eq(my_com_name(0xfa), "BULK_EXECUTE");
	cr_expect_str_eq(my_com_name(0x40), "UNKNOWN");
	cr_expect_eq(my_kind(&(struct my_pkt){ .p = okp, .n = 0, .len = 7 }), MY_PK_OTHER);
	cr_expect_eq(my_kind(&(struct my_pkt){ .p = okp, .n = 7, .len = 7 }), MY_PK_OK);
	cr_expect_eq(my_kind(&(struct my_pkt){ .p = (const uint8_t *)"\xfe", .n = 1, .len = 5 }),
		     MY_PK_EOF);
	cr_expect_eq(my_kind(&(struct my_pkt){ .p = (const uint8_t *)"\xfe", .n = 1, .len = 7 }),
		     MY_PK_TERM);
	cr_expect_eq(my_kind(&(struct my_pkt){ .p = (const uint8_t *)"\xfe", .n = 1,
						.len = 0xffffff }), MY_PK_OTHER);
	cr_expect_eq(my_kind(&(struct my_pkt){ .p = (const uint8_t *)"\xff\xff\xff", .n = 3,
						.len = 9 }), MY_PK_PROGRESS);
	cr_expect_eq(my_kind(&(struct my_pkt){ .p = (const uint8_t *)"\xff\x28\x04", .n = 3,
						.len = 9 }), MY_PK_ERR);
}

Test(mysql, database_that_cannot_be_told_is_left_out)
{
	struct fix *f = f_new(0);
	struct buf q = { .n = 0 }, r = { .n = 0 };
	char name[100];

	maria(f, 1);
	/* a list of statements starting with USE: no stale namespace after */
	query(&q, "USE shop; SELECT 1");
	r.seq = 1;
	ok(&r, 0, 0x400a);
	r.seq = 2;
	colcount(&r, 1);
	coldef(&r, "", "1");
	raw(&r, "\x02\x00\x00\x04\x01\x31", 6);
	r.seq = 5;
	term(&r, 0x0002);
	roundtrip(f, &q, &r);
	q.n = r.n = 0;
	cmd(&q, 0x0e, "", 0);
	r.seq = 1;
	ok(&r, 0, 0x0002);
	roundtrip(f, &q, &r);
	/* INIT_DB of a name longer than the room for one */
	memset(name, 'n', sizeof(name));
	q.n = r.n = 0;
	cmd(&q, 0x02, name, sizeof(name));
	r.seq = 1;
	ok(&r, 0, 0x0002);
	roundtrip(f, &q, &r);
	cr_assert_eq(f->n_ex, 3);
	cr_expect_str_eq(f->ex[0].ns, "<absent>");
	cr_expect_eq(f->ex[0].rows, 1);
	cr_expect_str_eq(f->ex[1].ns, "<absent>");
	cr_expect_str_eq(f->ex[2].ns, "<absent>");
	cr_expect_str_eq(f->ex[2].name, "INIT_DB");
}
