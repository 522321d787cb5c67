// SPDX-License-Identifier: MIT
/*
 * user/proto/dns/dns.c through the protocol interface: real DNS messages
 * built byte by byte, sent as datagrams (each chunk one whole datagram,
 * with its peer) and over TCP (length-prefixed, split and pipelined as
 * resolvers and servers write them), exact exchanges out. The parser's
 * own cases are test_dns_msg.c's.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "proto.h"
#include "span_attrs_check.h"

extern const struct proto proto_dns;

#define DN_MAX 64
#define DN_TYPE_A 1
#define DN_TYPE_AAAA 28
#define DN_TYPE_MX 15
#define DN_SEC 1000000000ULL
/* a response's flags: QR, RD, RA (then the rcode, TC) */
#define DN_RESP_FLAGS 0x8180
#define DN_TC 0x0200
#define DN_NXDOMAIN 3
#define DN_SERVFAIL 2

#define REQ PROTO_SIDE_REQUEST
#define RESP PROTO_SIDE_RESPONSE

/* ---- DNS messages, byte by byte ---- */

struct dn_msg {
	uint8_t b[1024];
	size_t n;
};

static void dn_put(struct dn_msg *w, const void *p, size_t n)
{
	cr_assert_leq(w->n + n, sizeof(w->b));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void dn_u8(struct dn_msg *w, uint8_t v)
{
	dn_put(w, &v, 1);
}

static void dn_u16(struct dn_msg *w, uint16_t v)
{
	dn_u8(w, (uint8_t)(v >> 8));
	dn_u8(w, (uint8_t)v);
}

static void dn_u32(struct dn_msg *w, uint32_t v)
{
	dn_u16(w, (uint16_t)(v >> 16));
	dn_u16(w, (uint16_t)v);
}

static void dn_header(struct dn_msg *w, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an)
{
	dn_u16(w, id);
	dn_u16(w, flags);
	dn_u16(w, qd);
	dn_u16(w, an);
	dn_u16(w, 0); /* nscount */
	dn_u16(w, 0); /* arcount */
}

/* The question at offset 12: the name uncompressed, its type, class IN. */
static void dn_question(struct dn_msg *w, const char *dotted, uint16_t qtype)
{
	while (*dotted) {
		size_t len = strcspn(dotted, ".");

		cr_assert_leq(len, 63);
		dn_u8(w, (uint8_t)len);
		dn_put(w, dotted, len);
		dotted += len + (dotted[len] == '.');
	}
	dn_u8(w, 0);
	dn_u16(w, qtype);
	dn_u16(w, 1);
}

/* A stub resolver's query: RD set, one question. */
static struct dn_msg dn_query(uint16_t id, const char *name, uint16_t qtype)
{
	struct dn_msg w = { .n = 0 };

	dn_header(&w, id, 0x0100, 1, 0);
	dn_question(&w, name, qtype);
	return w;
}

/* Its response: the question again, then an A (AAAA when the text holds a
 * ':') record per address, each named by a pointer to the question. */
static struct dn_msg dn_response(uint16_t id, const char *name, uint16_t qtype, uint16_t flags,
				 const char *const *addrs, uint16_t n)
{
	struct dn_msg w = { .n = 0 };

	dn_header(&w, id, DN_RESP_FLAGS | flags, 1, n);
	dn_question(&w, name, qtype);
	for (uint16_t i = 0; i < n; i++) {
		uint8_t a[16];
		int v6 = strchr(addrs[i], ':') != NULL;

		cr_assert_eq(inet_pton(v6 ? AF_INET6 : AF_INET, addrs[i], a), 1);
		dn_u16(&w, 0xc00c);
		dn_u16(&w, v6 ? DN_TYPE_AAAA : DN_TYPE_A);
		dn_u16(&w, 1);
		dn_u32(&w, 300);
		dn_u16(&w, v6 ? 16 : 4);
		dn_put(&w, a, v6 ? 16 : 4);
	}
	return w;
}

/* The message as TCP carries it: a two-byte length first. */
static size_t dn_framed(const struct dn_msg *m, uint8_t *out)
{
	out[0] = (uint8_t)(m->n >> 8);
	out[1] = (uint8_t)m->n;
	memcpy(out + 2, m->b, m->n);
	return m->n + 2;
}

/* An IPv4 UDP address pair: local 10.0.0.1:lport, remote 10.0.0.<last>:rport. */
static struct zt_conn_tuple dn_peer(uint8_t last, uint16_t lport, uint16_t rport)
{
	struct zt_conn_tuple t;

	memset(&t, 0, sizeof(t));
	t.local_addr[0] = 10;
	t.local_addr[3] = 1;
	t.remote_addr[0] = 10;
	t.remote_addr[3] = last;
	t.local_port = lport;
	t.remote_port = rport;
	t.family = AF_INET;
	t.transport = 17;
	return t;
}

/* ---- A sink that records everything ---- */

struct dn_req {
	uint32_t key, stream;
	uint64_t start;
	const struct zt_conn_tuple *peer;
	struct zt_conn_tuple peer_copy;
};

struct dn_ex {
	uint32_t key;
	uint8_t has_response, status, endpoints_at, family;
	uint64_t start, end, req_size, resp_size;
	const struct zt_conn_tuple *peer;
	struct zt_conn_tuple peer_copy;
	char name[SPAN_NAME_MAX], code[SPAN_CODE_MAX], msg[SPAN_STATUS_MSG_MAX];
	char label0[16], label1[16];
	struct span_attrs attrs;
};

struct dn_fix {
	_Alignas(16) uint8_t state[PROTO_STATE_MAX];
	struct dn_req req[DN_MAX];
	struct dn_ex ex[DN_MAX];
	uint32_t n_req, n_ex, n_abandon, notes[PROTO_NOTE_COUNT];
	struct proto_sink sink;
	uint64_t tag;
};

static void dn_on_request(void *ctx, const struct proto_request *r)
{
	struct dn_fix *f = ctx;
	struct dn_req *q;

	cr_assert_lt(f->n_req, DN_MAX);
	q = &f->req[f->n_req++];
	q->key = r->key;
	q->stream = r->stream;
	q->start = r->start_tag;
	q->peer = r->peer;
	if (r->peer)
		q->peer_copy = *r->peer;
	cr_assert_null(r->wire);
}

static void dn_on_exchange(void *ctx, struct proto_exchange *x)
{
	struct dn_fix *f = ctx;
	struct dn_ex *e;

	cr_assert_lt(f->n_ex, DN_MAX);
	cr_assert_eq(x->attrs.overflow, 0);
	e = &f->ex[f->n_ex++];
	e->key = x->key;
	e->has_response = x->has_response;
	e->status = x->status;
	e->endpoints_at = x->endpoints_at;
	e->start = x->start_tag;
	e->end = x->end_tag;
	e->req_size = x->req_size;
	e->resp_size = x->resp_size;
	e->peer = x->peer;
	if (x->peer)
		e->peer_copy = *x->peer;
	memcpy(e->name, x->name, sizeof(e->name));
	memcpy(e->code, x->code, sizeof(e->code));
	memcpy(e->msg, x->status_message, sizeof(e->msg));
	e->family = x->metric.family;
	snprintf(e->label0, sizeof(e->label0), "%s", span_metric_label(&x->metric, 0));
	snprintf(e->label1, sizeof(e->label1), "%s", span_metric_label(&x->metric, 1));
	e->attrs = x->attrs;
	cr_assert_null(x->wire);
}

static void dn_on_abandon(void *ctx, uint32_t key)
{
	struct dn_fix *f = ctx;

	(void)key;
	f->n_abandon++;
}

static void dn_on_note(void *ctx, enum proto_note n)
{
	struct dn_fix *f = ctx;

	cr_assert_lt(n, PROTO_NOTE_COUNT);
	f->notes[n]++;
}

static struct dn_fix *dn_new(uint8_t kind)
{
	static struct dn_fix f;

	memset(&f, 0, sizeof(f));
	f.sink = (struct proto_sink){ .ctx = &f, .kind = kind, .request = dn_on_request,
				      .exchange = dn_on_exchange, .abandon = dn_on_abandon,
				      .note = dn_on_note };
	cr_assert_leq(proto_dns.state_size, PROTO_STATE_MAX);
	proto_dns.init(f.state);
	f.tag = 100 * DN_SEC;
	return &f;
}

/* One datagram at tag: the first cap of its total bytes copied. */
static unsigned int dn_udp_part(struct dn_fix *f, enum proto_side side,
				const struct zt_conn_tuple *peer, const struct dn_msg *m, size_t cap,
				uint64_t total, uint64_t tag)
{
	struct proto_seg seg = { .off = 0, .len = total, .data = m->b, .cap = (uint32_t)cap };
	struct proto_chunk c = { .side = side, .tag = tag, .total = total, .segs = &seg,
				 .nsegs = 1, .peer = peer };

	return proto_dns.feed(f->state, &c, &f->sink);
}

static unsigned int dn_udp_at(struct dn_fix *f, enum proto_side side,
			      const struct zt_conn_tuple *peer, const struct dn_msg *m, uint64_t tag)
{
	return dn_udp_part(f, side, peer, m, m->n, m->n, tag);
}

/* A whole datagram, 1 ms after the last one fed. */
static unsigned int dn_udp(struct dn_fix *f, enum proto_side side,
			   const struct zt_conn_tuple *peer, const struct dn_msg *m)
{
	f->tag += 1000000;
	return dn_udp_at(f, side, peer, m, f->tag);
}

/* TCP bytes, all copied, in one chunk 1 ms after the last one. */
static unsigned int dn_tcp(struct dn_fix *f, enum proto_side side, const uint8_t *p, size_t n)
{
	struct proto_seg seg = { .off = 0, .len = n, .data = p, .cap = (uint32_t)n };
	struct proto_chunk c = { .side = side, .total = n, .segs = &seg, .nsegs = 1 };

	f->tag += 1000000;
	c.tag = f->tag;
	return proto_dns.feed(f->state, &c, &f->sink);
}

/* TCP: total bytes of which the segs were copied. */
static unsigned int dn_tcp_segs(struct dn_fix *f, enum proto_side side,
				const struct proto_seg *segs, uint32_t nsegs, uint64_t total)
{
	struct proto_chunk c = { .side = side, .total = total, .segs = segs, .nsegs = nsegs };

	f->tag += 1000000;
	c.tag = f->tag;
	return proto_dns.feed(f->state, &c, &f->sink);
}

/* ---- Reading an exchange's attributes ---- */

static const char *dn_str(const struct dn_ex *e, const char *key)
{
	return sa_str(&e->attrs, key);
}

/* An int attribute's value; -999 when there is none. */
static int64_t dn_int(const struct dn_ex *e, const char *key)
{
	int64_t v;

	return sa_int(&e->attrs, key, &v) ? v : -999;
}

/* 1 when key is a list attribute holding exactly want[0..n) (NULs included). */
static int dn_list_eq(const struct dn_ex *e, const char *key, const char *want, size_t n)
{
	const struct span_attr *a = sa_find(&e->attrs, key);
	const char *v;
	size_t len;

	if (!a || a->type != SPAN_ATTR_STRS)
		return 0;
	v = span_attr_str(&e->attrs, a, &len);
	return len == n && !memcmp(v, want, n);
}

/* ---- Datagrams ---- */

Test(dns, registered_under_its_name_and_id)
{
	cr_expect_eq(proto_by_name("dns", 3), &proto_dns);
	cr_expect_eq(proto_by_id(ZT_PROTO_DNS), &proto_dns);
	cr_expect_str_eq(proto_dns.name, "dns");
	cr_expect_not_null(proto_dns.expire, "datagrams need their queries expired");
	cr_expect_not_null(proto_dns.close);
}

Test(dns, client_a_query_and_answer_exact)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 40000, 53);
	static const char *const addrs[] = { "10.1.2.3" };
	struct dn_msg q = dn_query(0x1234, "example.com", DN_TYPE_A);
	struct dn_msg r = dn_response(0x1234, "example.com", DN_TYPE_A, 0, addrs, 1);
	const struct dn_ex *e;

	cr_assert_eq(q.n, 29);  /* 12 + 13 (name) + 4 */
	cr_assert_eq(r.n, 45);  /* 29 + 2 + 10 + 4 */
	cr_assert_eq(dn_udp_at(f, REQ, &srv, &q, 5 * DN_SEC), 0);
	cr_assert_eq(f->n_req, 1);
	cr_assert_eq(f->n_ex, 0);
	cr_expect_neq(f->req[0].key, 0);
	cr_expect_eq(f->req[0].stream, 0x10000u | 0x1234);
	cr_expect_eq(f->req[0].start, 5 * DN_SEC);
	cr_assert_not_null(f->req[0].peer);
	cr_expect_eq(f->req[0].peer_copy.remote_port, 53);
	cr_expect_eq(f->req[0].peer_copy.local_port, 40000);
	cr_expect_eq(f->req[0].peer_copy.remote_addr[3], 53);

	cr_assert_eq(dn_udp_at(f, RESP, &srv, &r, 5 * DN_SEC + 1500000), 0);
	cr_assert_eq(f->n_ex, 1);
	cr_assert_eq(f->n_req, 1);
	e = &f->ex[0];
	cr_expect_eq(e->key, f->req[0].key);
	cr_expect_eq(e->has_response, 1);
	cr_expect_str_eq(e->name, "DNS A");
	cr_expect_eq(e->status, SPAN_STATUS_UNSET);
	cr_expect_str_eq(e->code, "NOERROR");
	cr_expect_str_eq(e->msg, "");
	cr_expect_eq(e->start, 5 * DN_SEC);
	cr_expect_eq(e->end, 5 * DN_SEC + 1500000);
	cr_expect_eq(e->req_size, 29);
	cr_expect_eq(e->resp_size, 45);
	cr_assert_not_null(e->peer);
	cr_expect_eq(e->peer_copy.remote_port, 53);
	cr_expect_eq(e->peer_copy.transport, 17);
	cr_expect_eq(e->endpoints_at, 4);
	cr_expect_str_eq(sa_keys(&e->attrs),
			 "network.protocol.name,network.transport,dns.question.name,"
			 "zerotrace.dns.question.type,zerotrace.dns.response_code,"
			 "zerotrace.dns.answers.count,dns.answers");
	cr_expect_str_eq(dn_str(e, "network.protocol.name"), "dns");
	cr_expect_str_eq(dn_str(e, "network.transport"), "udp");
	cr_expect_str_eq(dn_str(e, "dns.question.name"), "example.com");
	cr_expect_str_eq(dn_str(e, "zerotrace.dns.question.type"), "A");
	cr_expect_str_eq(dn_str(e, "zerotrace.dns.response_code"), "NOERROR");
	cr_expect_eq(dn_int(e, "zerotrace.dns.answers.count"), 1);
	cr_expect(dn_list_eq(e, "dns.answers", "10.1.2.3\0", 9));
	cr_expect_eq(sa_find(&e->attrs, "dns.answers")->type, SPAN_ATTR_STRS);
	cr_expect_eq(e->family, METRIC_DNS_CLIENT);
	cr_expect_str_eq(e->label0, "A");
	cr_expect_str_eq(e->label1, "NOERROR");
	cr_expect_eq(f->n_abandon, 0);
	cr_expect_eq(f->notes[PROTO_NOTE_UNANSWERED], 0);
	cr_expect_eq(f->notes[PROTO_NOTE_CACHE_FULL], 0);
}

/* glibc sends A and AAAA at once and takes the answers as they come. */
Test(dns, glibc_a_and_aaaa_answered_in_reverse)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 41000, 53);
	static const char *const v4[] = { "93.184.216.34" };
	static const char *const v6[] = { "2001:db8::1", "2001:db8::2" };
	struct dn_msg qa = dn_query(0x0a01, "www.example.org", DN_TYPE_A);
	struct dn_msg q6 = dn_query(0x0a02, "www.example.org", DN_TYPE_AAAA);
	struct dn_msg ra = dn_response(0x0a01, "www.example.org", DN_TYPE_A, 0, v4, 1);
	struct dn_msg r6 = dn_response(0x0a02, "www.example.org", DN_TYPE_AAAA, 0, v6, 2);

	cr_assert_eq(dn_udp(f, REQ, &srv, &qa), 0);
	cr_assert_eq(dn_udp(f, REQ, &srv, &q6), 0);
	cr_assert_eq(f->n_req, 2);
	cr_expect_eq(f->req[0].stream, 0x10a01);
	cr_expect_eq(f->req[1].stream, 0x10a02);
	cr_expect_neq(f->req[0].key, f->req[1].key);
	cr_assert_eq(dn_udp(f, RESP, &srv, &r6), 0);
	cr_assert_eq(dn_udp(f, RESP, &srv, &ra), 0);
	cr_assert_eq(f->n_ex, 2);

	cr_expect_eq(f->ex[0].key, f->req[1].key);
	cr_expect_str_eq(f->ex[0].name, "DNS AAAA");
	cr_expect_str_eq(dn_str(&f->ex[0], "zerotrace.dns.question.type"), "AAAA");
	cr_expect_eq(dn_int(&f->ex[0], "zerotrace.dns.answers.count"), 2);
	cr_expect(dn_list_eq(&f->ex[0], "dns.answers", "2001:db8::1\0002001:db8::2\0", 24));
	cr_expect_eq(f->ex[0].start, f->req[1].start);
	cr_expect_eq(f->ex[0].req_size, q6.n);
	cr_expect_eq(f->ex[0].resp_size, r6.n);
	cr_expect_str_eq(f->ex[0].label0, "AAAA");

	cr_expect_eq(f->ex[1].key, f->req[0].key);
	cr_expect_str_eq(f->ex[1].name, "DNS A");
	cr_expect(dn_list_eq(&f->ex[1], "dns.answers", "93.184.216.34\0", 14));
	cr_expect_eq(f->ex[1].start, f->req[0].start);
	cr_expect_eq(f->ex[1].resp_size, ra.n);
	cr_expect_str_eq(dn_str(&f->ex[1], "dns.question.name"), "www.example.org");
}

/* One socket asks the same id of two servers: the peer pairs them; a
 * third address, or the same one on another port, answers nothing. */
Test(dns, same_id_from_two_peers_pairs_by_peer)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple p1 = dn_peer(53, 42000, 53), p2 = dn_peer(54, 42000, 53);
	struct zt_conn_tuple p3 = dn_peer(55, 42000, 53), p1_port = dn_peer(53, 42000, 5353);
	static const char *const a1[] = { "10.0.1.1" };
	static const char *const a2[] = { "10.0.2.2" };
	static const char *const a3[] = { "10.0.3.3" };
	struct dn_msg q = dn_query(7, "db.internal", DN_TYPE_A);
	struct dn_msg r1 = dn_response(7, "db.internal", DN_TYPE_A, 0, a1, 1);
	struct dn_msg r2 = dn_response(7, "db.internal", DN_TYPE_A, 0, a2, 1);
	struct dn_msg r3 = dn_response(7, "db.internal", DN_TYPE_A, 0, a3, 1);

	cr_assert_eq(dn_udp(f, REQ, &p1, &q), 0);
	cr_assert_eq(dn_udp(f, REQ, &p2, &q), 0);
	cr_assert_eq(f->n_req, 2);
	cr_assert_eq(f->n_ex, 0, "a query to another peer is no retry");
	cr_expect_eq(f->req[0].peer_copy.remote_addr[3], 53);
	cr_expect_eq(f->req[1].peer_copy.remote_addr[3], 54);

	cr_expect_eq(dn_udp(f, RESP, &p3, &r3), 1);
	cr_expect_eq(dn_udp(f, RESP, &p1_port, &r3), 1);
	cr_assert_eq(f->n_ex, 0);

	cr_assert_eq(dn_udp(f, RESP, &p2, &r2), 0);
	cr_assert_eq(dn_udp(f, RESP, &p1, &r1), 0);
	cr_assert_eq(f->n_ex, 2);
	cr_expect_eq(f->ex[0].key, f->req[1].key);
	cr_expect(dn_list_eq(&f->ex[0], "dns.answers", "10.0.2.2\0", 9));
	cr_expect_eq(f->ex[0].peer_copy.remote_addr[3], 54);
	cr_expect_eq(f->ex[1].key, f->req[0].key);
	cr_expect(dn_list_eq(&f->ex[1], "dns.answers", "10.0.1.1\0", 9));
	cr_expect_eq(f->ex[1].peer_copy.remote_addr[3], 53);
	/* both answered: the third peer's again pairs nothing */
	cr_expect_eq(dn_udp(f, RESP, &p3, &r3), 1);
	cr_expect_eq(f->n_ex, 2);
	cr_expect_eq(f->notes[PROTO_NOTE_UNANSWERED], 0);
}

/* ---- a response answers a query only if it repeats its question ---- */

/* Names compare without ASCII case (RFC 4343): a server may echo the
 * question in another case (0x20 randomisation), and it still pairs; the
 * span names the question as the response gives it. */
Test(dns, question_name_pairs_without_case)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 43100, 53);
	static const char *const v4[] = { "10.20.0.1" };
	static const char *const v6[] = { "2001:db8::20" };
	struct dn_msg q1 = dn_query(0x1a1a, "SVC.Example", DN_TYPE_A);
	struct dn_msg r1 = dn_response(0x1a1a, "svc.example", DN_TYPE_A, 0, v4, 1);
	struct dn_msg q2 = dn_query(0x1b1b, "mixed.example", DN_TYPE_AAAA);
	struct dn_msg r2 = dn_response(0x1b1b, "MIXED.eXample", DN_TYPE_AAAA, 0, v6, 1);

	cr_assert_eq(dn_udp(f, REQ, &srv, &q1), 0);
	cr_assert_eq(dn_udp(f, RESP, &srv, &r1), 0);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].key, f->req[0].key);
	cr_expect_eq(f->ex[0].has_response, 1);
	cr_expect_str_eq(f->ex[0].code, "NOERROR");
	cr_expect_str_eq(dn_str(&f->ex[0], "dns.question.name"), "svc.example");
	cr_expect(dn_list_eq(&f->ex[0], "dns.answers", "10.20.0.1\0", 10));

	cr_assert_eq(dn_udp(f, REQ, &srv, &q2), 0);
	cr_assert_eq(dn_udp(f, RESP, &srv, &r2), 0);
	cr_assert_eq(f->n_ex, 2);
	cr_expect_eq(f->ex[1].key, f->req[1].key);
	cr_expect_eq(f->ex[1].has_response, 1);
	cr_expect_str_eq(dn_str(&f->ex[1], "dns.question.name"), "MIXED.eXample");
	cr_expect_eq(f->notes[PROTO_NOTE_UNANSWERED], 0);
}

/* The same id from the same peer with another name is no answer to the
 * query (a late answer to an id reused since, or a spoofed one): a miss,
 * and the query still waits for its own answer. */
Test(dns, other_name_same_id_and_peer_is_a_miss)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 43200, 53);
	static const char *const bad[] = { "10.66.6.6" };
	static const char *const good[] = { "10.21.0.1" };
	struct dn_msg q = dn_query(0x2b2b, "right.example", DN_TYPE_A);
	struct dn_msg wrong = dn_response(0x2b2b, "wrong.example", DN_TYPE_A, 0, bad, 1);
	struct dn_msg longer = dn_response(0x2b2b, "right.example.evil", DN_TYPE_A, 0, bad, 1);
	struct dn_msg shorter = dn_response(0x2b2b, "right.exampl", DN_TYPE_A, 0, bad, 1);
	struct dn_msg right = dn_response(0x2b2b, "right.example", DN_TYPE_A, 0, good, 1);

	cr_assert_eq(dn_udp(f, REQ, &srv, &q), 0);
	cr_expect_eq(dn_udp(f, RESP, &srv, &wrong), 1);
	cr_expect_eq(dn_udp(f, RESP, &srv, &longer), 1, "a name the query's is a prefix of");
	cr_expect_eq(dn_udp(f, RESP, &srv, &shorter), 1, "a prefix of the query's name");
	cr_assert_eq(f->n_ex, 0);
	cr_expect_eq(f->notes[PROTO_NOTE_UNANSWERED], 0);

	cr_assert_eq(dn_udp(f, RESP, &srv, &right), 0);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].key, f->req[0].key);
	cr_expect_eq(f->ex[0].has_response, 1);
	cr_expect_eq(f->ex[0].start, f->req[0].start);
	cr_expect_eq(f->ex[0].end, f->tag);
	cr_expect_str_eq(dn_str(&f->ex[0], "dns.question.name"), "right.example");
	cr_expect(dn_list_eq(&f->ex[0], "dns.answers", "10.21.0.1\0", 10));
	/* answered once: the same answer again pairs nothing */
	cr_expect_eq(dn_udp(f, RESP, &srv, &right), 1);
	cr_expect_eq(f->n_ex, 1);
	cr_expect_eq(f->notes[PROTO_NOTE_UNANSWERED], 0);
}

/* The question's type and class must be the query's too. */
Test(dns, other_type_or_class_is_a_miss)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 43300, 53);
	static const char *const v4[] = { "10.22.0.1" };
	static const char *const v6[] = { "2001:db8::22" };
	struct dn_msg q = dn_query(0x2c2c, "typed.example", DN_TYPE_A);
	struct dn_msg r6 = dn_response(0x2c2c, "typed.example", DN_TYPE_AAAA, 0, v6, 1);
	struct dn_msg rmx = dn_response(0x2c2c, "typed.example", DN_TYPE_MX, 0, NULL, 0);
	struct dn_msg rch = dn_response(0x2c2c, "typed.example", DN_TYPE_A, 0, NULL, 0);
	struct dn_msg r = dn_response(0x2c2c, "typed.example", DN_TYPE_A, 0, v4, 1);

	/* no answers: the question's class is the message's last two bytes */
	cr_assert_eq(rch.b[rch.n - 1], 1);
	rch.b[rch.n - 1] = 3; /* CH */
	cr_assert_eq(dn_udp(f, REQ, &srv, &q), 0);
	cr_expect_eq(dn_udp(f, RESP, &srv, &r6), 1, "AAAA answers no A query");
	cr_expect_eq(dn_udp(f, RESP, &srv, &rmx), 1, "nor MX");
	cr_expect_eq(dn_udp(f, RESP, &srv, &rch), 1, "nor class CH");
	cr_assert_eq(f->n_ex, 0);
	cr_assert_eq(dn_udp(f, RESP, &srv, &r), 0);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].key, f->req[0].key);
	cr_expect_str_eq(f->ex[0].name, "DNS A");
	cr_expect(dn_list_eq(&f->ex[0], "dns.answers", "10.22.0.1\0", 10));
	cr_expect_eq(f->notes[PROTO_NOTE_UNANSWERED], 0);
}

/* A FORMERR may carry no question (qdcount 0): it pairs by id and peer
 * alone, and the span names the query's question. */
Test(dns, formerr_without_question_pairs_by_id_and_peer)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 43400, 53), other = dn_peer(54, 43400, 53);
	struct dn_msg q = dn_query(0x3c3c, "bad.example", DN_TYPE_MX);
	struct dn_msg fe = { .n = 0 }, fe_other_id = { .n = 0 };
	const struct dn_ex *e;

	dn_header(&fe, 0x3c3c, DN_RESP_FLAGS | 1 /* FORMERR */, 0, 0);
	dn_header(&fe_other_id, 0x3c3d, DN_RESP_FLAGS | 1, 0, 0);
	cr_assert_eq(dn_udp(f, REQ, &srv, &q), 0);
	cr_expect_eq(dn_udp(f, RESP, &other, &fe), 1, "another peer");
	cr_expect_eq(dn_udp(f, RESP, &srv, &fe_other_id), 1, "another id");
	cr_assert_eq(f->n_ex, 0);
	cr_assert_eq(dn_udp(f, RESP, &srv, &fe), 0);
	cr_assert_eq(f->n_ex, 1);
	e = &f->ex[0];
	cr_expect_eq(e->key, f->req[0].key);
	cr_expect_eq(e->has_response, 1);
	cr_expect_str_eq(e->name, "DNS MX");
	cr_expect_str_eq(e->code, "FORMERR");
	cr_expect_eq(e->status, SPAN_STATUS_ERROR);
	cr_expect_str_eq(e->msg, "FORMERR");
	cr_expect_str_eq(dn_str(e, "error.type"), "FORMERR");
	cr_expect_str_eq(dn_str(e, "dns.question.name"), "bad.example");
	cr_expect_eq(dn_int(e, "zerotrace.dns.answers.count"), 0);
	cr_expect_eq(e->resp_size, 12);
	cr_expect_str_eq(e->label0, "MX");
	cr_expect_str_eq(e->label1, "FORMERR");
	cr_expect_eq(f->notes[PROTO_NOTE_UNANSWERED], 0);
}

/* A name longer than the 255 characters a query keeps (escapes make one:
 * each byte outside printable ASCII is four, \DDD): the response's name
 * must start with the kept part; past it, it is not compared. An answered
 * span names the response's whole name. */
Test(dns, long_name_pairs_by_the_part_kept)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 43500, 53);
	char name[128], late[128], early[128], want[600];
	struct dn_msg q, r_late, r_early, r;
	size_t at = 0;

	/* two labels of 63 bytes: 0x01s, then 0x02s; 505 characters */
	memset(name, 1, 63);
	name[63] = '.';
	memset(name + 64, 2, 63);
	name[127] = '\0';
	memcpy(late, name, sizeof(name));
	late[126] = 3;  /* the last byte: character 504, past the kept 255 */
	memcpy(early, name, sizeof(name));
	early[0] = 3;   /* the first byte: characters 0..3 */
	for (int i = 0; i < 63; i++, at += 4)
		memcpy(want + at, "\\001", 4);
	want[at++] = '.';
	for (int i = 0; i < 63; i++, at += 4)
		memcpy(want + at, "\\002", 4);
	want[at] = '\0';
	cr_assert_eq(at, 505);

	q = dn_query(0x4d4d, name, DN_TYPE_A);
	r_early = dn_response(0x4d4d, early, DN_TYPE_A, 0, NULL, 0);
	r_late = dn_response(0x4d4d, late, DN_TYPE_A, 0, NULL, 0);
	r = dn_response(0x4d4d, name, DN_TYPE_A, 0, NULL, 0);
	cr_assert_eq(dn_udp(f, REQ, &srv, &q), 0);
	cr_expect_eq(dn_udp(f, RESP, &srv, &r_early), 1, "differs inside the kept part");
	cr_assert_eq(f->n_ex, 0);
	cr_assert_eq(dn_udp(f, RESP, &srv, &r_late), 0, "differs only past the kept part");
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].key, f->req[0].key);
	cr_expect_eq(f->ex[0].has_response, 1);
	want[504] = '3';
	cr_expect_str_eq(dn_str(&f->ex[0], "dns.question.name"), want, "the response's, whole");

	/* the same name, whole */
	cr_assert_eq(dn_udp(f, REQ, &srv, &q), 0);
	cr_assert_eq(dn_udp(f, RESP, &srv, &r), 0);
	cr_assert_eq(f->n_ex, 2);
	cr_expect_eq(f->ex[1].key, f->req[1].key);
	want[504] = '2';
	cr_expect_str_eq(dn_str(&f->ex[1], "dns.question.name"), want);

	/* unanswered, the span names the kept part */
	cr_assert_eq(dn_udp(f, REQ, &srv, &q), 0);
	proto_dns.close(f->state, &f->sink);
	cr_assert_eq(f->n_ex, 3);
	cr_expect_eq(f->ex[2].has_response, 0);
	want[255] = '\0';
	cr_expect_str_eq(dn_str(&f->ex[2], "dns.question.name"), want);
}

/* The client asked for a name it did not get. */
Test(dns, nxdomain_is_a_client_error)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 43000, 53);
	struct dn_msg q = dn_query(0x4242, "nope.example", DN_TYPE_A);
	struct dn_msg r = dn_response(0x4242, "nope.example", DN_TYPE_A, DN_NXDOMAIN, NULL, 0);
	const struct dn_ex *e;

	cr_assert_eq(dn_udp(f, REQ, &srv, &q), 0);
	cr_assert_eq(dn_udp(f, RESP, &srv, &r), 0);
	cr_assert_eq(f->n_ex, 1);
	e = &f->ex[0];
	cr_expect_eq(e->has_response, 1);
	cr_expect_eq(e->status, SPAN_STATUS_ERROR);
	cr_expect_str_eq(e->msg, "NXDOMAIN");
	cr_expect_str_eq(e->code, "NXDOMAIN");
	cr_expect_str_eq(dn_str(e, "error.type"), "NXDOMAIN");
	cr_expect_str_eq(dn_str(e, "zerotrace.dns.response_code"), "NXDOMAIN");
	cr_expect_eq(dn_int(e, "zerotrace.dns.answers.count"), 0);
	cr_expect_null(sa_find(&e->attrs, "dns.answers"), "no addresses: no list");
	cr_expect_str_eq(sa_keys(&e->attrs),
			 "network.protocol.name,network.transport,dns.question.name,"
			 "zerotrace.dns.question.type,zerotrace.dns.response_code,"
			 "zerotrace.dns.answers.count,error.type");
	cr_expect_eq(e->family, METRIC_DNS_CLIENT);
	cr_expect_str_eq(e->label0, "A");
	cr_expect_str_eq(e->label1, "NXDOMAIN");
}

/* A server's NXDOMAIN is its correct answer; SERVFAIL is its failure. The
 * server reads the query (request side) and sends the answer. */
Test(dns, server_nxdomain_unset_servfail_error)
{
	struct dn_fix *f = dn_new(SPAN_KIND_SERVER);
	struct zt_conn_tuple cli = dn_peer(77, 53, 51515);
	struct dn_msg q1 = dn_query(0x0101, "missing.lan", DN_TYPE_MX);
	struct dn_msg r1 = dn_response(0x0101, "missing.lan", DN_TYPE_MX, DN_NXDOMAIN, NULL, 0);
	struct dn_msg q2 = dn_query(0x0102, "broken.lan", DN_TYPE_A);
	struct dn_msg r2 = dn_response(0x0102, "broken.lan", DN_TYPE_A, DN_SERVFAIL, NULL, 0);

	cr_assert_eq(dn_udp(f, REQ, &cli, &q1), 0);
	cr_assert_eq(dn_udp(f, RESP, &cli, &r1), 0);
	cr_assert_eq(dn_udp(f, REQ, &cli, &q2), 0);
	cr_assert_eq(dn_udp(f, RESP, &cli, &r2), 0);
	cr_assert_eq(f->n_req, 2);
	cr_assert_eq(f->n_ex, 2);

	cr_expect_str_eq(f->ex[0].name, "DNS MX");
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_UNSET);
	cr_expect_str_eq(f->ex[0].msg, "");
	cr_expect_str_eq(f->ex[0].code, "NXDOMAIN");
	cr_expect_str_eq(dn_str(&f->ex[0], "error.type"), SA_ABSENT);
	cr_expect_eq(f->ex[0].family, METRIC_DNS_SERVER);
	cr_expect_str_eq(f->ex[0].label0, "MX");
	cr_expect_str_eq(f->ex[0].label1, "NXDOMAIN");
	cr_expect_eq(f->ex[0].peer_copy.remote_port, 51515);

	cr_expect_eq(f->ex[1].status, SPAN_STATUS_ERROR);
	cr_expect_str_eq(f->ex[1].msg, "SERVFAIL");
	cr_expect_str_eq(f->ex[1].code, "SERVFAIL");
	cr_expect_str_eq(dn_str(&f->ex[1], "error.type"), "SERVFAIL");
	cr_expect_eq(f->ex[1].family, METRIC_DNS_SERVER);
	cr_expect_str_eq(f->ex[1].label1, "SERVFAIL");
}

Test(dns, unanswered_after_five_seconds)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 44000, 53);
	static const char *const addrs[] = { "10.9.9.9" };
	struct dn_msg q = dn_query(0x5555, "slow.example", DN_TYPE_A);
	struct dn_msg r = dn_response(0x5555, "slow.example", DN_TYPE_A, 0, addrs, 1);
	const uint64_t start = 7 * DN_SEC + 123;
	const struct dn_ex *e;

	cr_assert_eq(dn_udp_at(f, REQ, &srv, &q, start), 0);
	proto_dns.expire(f->state, start + 5 * DN_SEC, &f->sink);
	cr_assert_eq(f->n_ex, 0, "exactly 5 s is still in time");
	proto_dns.expire(f->state, start + 5 * DN_SEC + 1, &f->sink);
	cr_assert_eq(f->n_ex, 1);
	e = &f->ex[0];
	cr_expect_eq(e->key, f->req[0].key);
	cr_expect_eq(e->has_response, 0);
	cr_expect_eq(e->status, SPAN_STATUS_ERROR);
	cr_expect_str_eq(e->msg, "no response in time");
	cr_expect_str_eq(e->code, "");
	cr_expect_str_eq(e->name, "DNS A");
	cr_expect_str_eq(dn_str(e, "error.type"), "timeout");
	cr_expect_str_eq(dn_str(e, "dns.question.name"), "slow.example");
	cr_expect_str_eq(sa_keys(&e->attrs),
			 "network.protocol.name,network.transport,dns.question.name,"
			 "zerotrace.dns.question.type,error.type");
	cr_expect_eq(e->endpoints_at, 4);
	cr_expect_eq(e->start, start);
	cr_expect_eq(e->end, start + 5 * DN_SEC);
	cr_expect_eq(e->req_size, q.n);
	cr_expect_eq(e->resp_size, 0);
	cr_assert_not_null(e->peer);
	cr_expect_eq(e->family, METRIC_DNS_CLIENT);
	cr_expect_str_eq(e->label0, "A");
	cr_expect_str_eq(e->label1, "TIMEOUT");
	cr_expect_eq(f->notes[PROTO_NOTE_UNANSWERED], 1);
	cr_expect_eq(f->n_abandon, 0);

	/* ended once: expiring again ends nothing, the late answer pairs nothing */
	proto_dns.expire(f->state, start + 60 * DN_SEC, &f->sink);
	cr_expect_eq(f->n_ex, 1);
	cr_expect_eq(dn_udp_at(f, RESP, &srv, &r, start + 6 * DN_SEC), 1);
	cr_expect_eq(f->n_ex, 1);
	cr_expect_eq(f->notes[PROTO_NOTE_UNANSWERED], 1);
}

/* A later datagram ends the queries that waited too long, before its own. */
Test(dns, a_later_datagram_expires_old_queries)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 44001, 53);
	struct dn_msg q1 = dn_query(1, "old.example", DN_TYPE_A);
	struct dn_msg q2 = dn_query(2, "new.example", DN_TYPE_A);

	cr_assert_eq(dn_udp_at(f, REQ, &srv, &q1, 10 * DN_SEC), 0);
	cr_assert_eq(dn_udp_at(f, REQ, &srv, &q2, 16 * DN_SEC), 0);
	cr_assert_eq(f->n_ex, 1);
	cr_assert_eq(f->n_req, 2);
	cr_expect_eq(f->ex[0].key, f->req[0].key);
	cr_expect_eq(f->ex[0].has_response, 0);
	cr_expect_eq(f->ex[0].end, 15 * DN_SEC);
	cr_expect_str_eq(dn_str(&f->ex[0], "dns.question.name"), "old.example");
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_ERROR);
	cr_expect_str_eq(f->ex[0].msg, "no response in time");
	cr_expect_str_eq(dn_str(&f->ex[0], "error.type"), "timeout");
	cr_expect_str_eq(f->ex[0].label1, "TIMEOUT");
	cr_expect_eq(f->notes[PROTO_NOTE_UNANSWERED], 1);
}

/* The resolver asks the same id of the same server again: the first went
 * unanswered, the answer is the second's. */
Test(dns, retry_ends_the_first_unanswered)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 45000, 53);
	static const char *const addrs[] = { "10.7.7.7" };
	struct dn_msg q = dn_query(0x0909, "flaky.example", DN_TYPE_A);
	struct dn_msg r = dn_response(0x0909, "flaky.example", DN_TYPE_A, 0, addrs, 1);

	cr_assert_eq(dn_udp_at(f, REQ, &srv, &q, 20 * DN_SEC), 0);
	cr_assert_eq(dn_udp_at(f, REQ, &srv, &q, 21 * DN_SEC), 0);
	cr_assert_eq(f->n_req, 2);
	cr_expect_neq(f->req[0].key, f->req[1].key);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].key, f->req[0].key);
	cr_expect_eq(f->ex[0].has_response, 0);
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_ERROR);
	cr_expect_str_eq(f->ex[0].msg, "no response in time");
	cr_expect_str_eq(dn_str(&f->ex[0], "error.type"), "timeout");
	cr_expect_eq(f->ex[0].family, METRIC_DNS_CLIENT);
	cr_expect_str_eq(f->ex[0].label0, "A");
	cr_expect_str_eq(f->ex[0].label1, "TIMEOUT");
	cr_expect_eq(f->ex[0].start, 20 * DN_SEC);
	cr_expect_eq(f->ex[0].end, 21 * DN_SEC);
	cr_expect_eq(f->notes[PROTO_NOTE_UNANSWERED], 1);

	cr_assert_eq(dn_udp_at(f, RESP, &srv, &r, 21 * DN_SEC + 2000), 0);
	cr_assert_eq(f->n_ex, 2);
	cr_expect_eq(f->ex[1].key, f->req[1].key);
	cr_expect_eq(f->ex[1].has_response, 1);
	cr_expect_eq(f->ex[1].start, 21 * DN_SEC);
	cr_expect_eq(f->ex[1].end, 21 * DN_SEC + 2000);
	cr_expect(dn_list_eq(&f->ex[1], "dns.answers", "10.7.7.7\0", 9));
}

Test(dns, thirty_three_in_flight_evict_the_oldest)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 46000, 53);
	static const char *const addrs[] = { "10.3.3.3" };
	uint32_t seen = 0;

	for (uint16_t id = 1; id <= 33; id++) {
		struct dn_msg q = dn_query(id, "many.example", DN_TYPE_A);

		cr_assert_eq(dn_udp(f, REQ, &srv, &q), 0);
		if (id <= 32)
			cr_assert_eq(f->notes[PROTO_NOTE_CACHE_FULL], 0, "query %u", id);
	}
	cr_assert_eq(f->n_req, 33);
	cr_expect_eq(f->notes[PROTO_NOTE_CACHE_FULL], 1);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].key, f->req[0].key);
	cr_expect_eq(f->ex[0].has_response, 0);
	/* its outcome is not known: no error, no metric, but counted */
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_UNSET);
	cr_expect_str_eq(f->ex[0].msg, "");
	cr_expect_str_eq(f->ex[0].code, "");
	cr_expect_str_eq(dn_str(&f->ex[0], "error.type"), SA_ABSENT);
	cr_expect_str_eq(sa_keys(&f->ex[0].attrs),
			 "network.protocol.name,network.transport,dns.question.name,"
			 "zerotrace.dns.question.type");
	cr_expect_eq(f->ex[0].family, METRIC_NONE);
	cr_expect_str_eq(f->ex[0].label0, "");
	cr_expect_str_eq(f->ex[0].label1, "");
	cr_expect_eq(f->ex[0].start, f->req[0].start);
	cr_expect_eq(f->ex[0].end, f->req[0].start, "no duration measured");
	cr_expect_eq(f->ex[0].resp_size, 0);
	cr_expect_eq(f->notes[PROTO_NOTE_UNANSWERED], 1);
	cr_expect_eq(f->n_abandon, 0, "the evicted query had its exchange");
	/* the live ones: 2..33, one per slot */
	for (uint32_t i = 1; i < 33; i++) {
		cr_expect_neq(f->req[i].key, 0);
		cr_expect_eq(seen & (1u << (f->req[i].key & 31)), 0, "request %u shares a slot", i);
		seen |= 1u << (f->req[i].key & 31);
	}
	cr_expect_eq(seen, 0xffffffffu);
	cr_expect_eq(f->req[32].key & 31, f->req[0].key & 31, "the oldest's slot is reused");

	{
		struct dn_msg r1 = dn_response(1, "many.example", DN_TYPE_A, 0, addrs, 1);
		struct dn_msg r2 = dn_response(2, "many.example", DN_TYPE_A, 0, addrs, 1);
		struct dn_msg r33 = dn_response(33, "many.example", DN_TYPE_A, 0, addrs, 1);

		cr_expect_eq(dn_udp(f, RESP, &srv, &r1), 1, "id 1 was forgotten");
		cr_assert_eq(dn_udp(f, RESP, &srv, &r33), 0);
		cr_assert_eq(dn_udp(f, RESP, &srv, &r2), 0);
		cr_assert_eq(f->n_ex, 3);
		cr_expect_eq(f->ex[1].key, f->req[32].key);
		cr_expect_eq(f->ex[2].key, f->req[1].key);
	}
}

Test(dns, close_ends_pending_unanswered)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 47000, 53);
	struct dn_msg q1 = dn_query(0x0c01, "a.example", DN_TYPE_A);
	struct dn_msg q2 = dn_query(0x0c02, "a.example", DN_TYPE_AAAA);

	cr_assert_eq(dn_udp_at(f, REQ, &srv, &q1, 30 * DN_SEC), 0);
	cr_assert_eq(dn_udp_at(f, REQ, &srv, &q2, 30 * DN_SEC + 10), 0);
	proto_dns.close(f->state, &f->sink);
	cr_assert_eq(f->n_ex, 2);
	for (uint32_t i = 0; i < 2; i++) {
		cr_expect_eq(f->ex[i].has_response, 0);
		cr_expect_eq(f->ex[i].status, SPAN_STATUS_ERROR);
		cr_expect_str_eq(f->ex[i].msg, "no response before the socket closed");
		cr_expect_str_eq(f->ex[i].code, "");
		cr_expect_str_eq(dn_str(&f->ex[i], "error.type"), "closed");
		cr_expect_str_eq(sa_keys(&f->ex[i].attrs),
				 "network.protocol.name,network.transport,dns.question.name,"
				 "zerotrace.dns.question.type,error.type");
		cr_expect_eq(f->ex[i].family, METRIC_DNS_CLIENT);
		cr_expect_str_eq(f->ex[i].label1, "CLOSED");
	}
	/* in slot order: the first query took the first slot */
	cr_expect_eq(f->ex[0].key, f->req[0].key);
	cr_expect_str_eq(f->ex[0].name, "DNS A");
	cr_expect_eq(f->ex[0].end, 30 * DN_SEC);
	cr_expect_eq(f->ex[1].key, f->req[1].key);
	cr_expect_str_eq(f->ex[1].name, "DNS AAAA");
	cr_expect_eq(f->ex[1].end, 30 * DN_SEC + 10);
	cr_expect_str_eq(f->ex[0].label0, "A");
	cr_expect_str_eq(f->ex[1].label0, "AAAA");
	cr_expect_eq(f->notes[PROTO_NOTE_UNANSWERED], 2);
	cr_expect_eq(f->notes[PROTO_NOTE_CACHE_FULL], 0);

	/* ended once: closing again ends nothing */
	proto_dns.close(f->state, &f->sink);
	cr_expect_eq(f->n_ex, 2);
}

/* What can't be a query or its answer on that side is a miss. */
Test(dns, misplaced_and_broken_datagrams_are_misses)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 48000, 53);
	static const char *const addrs[] = { "10.4.4.4" };
	struct dn_msg q = dn_query(0x0d0d, "ok.example", DN_TYPE_A);
	struct dn_msg q2 = dn_query(0x0e0e, "ok.example", DN_TYPE_A);
	struct dn_msg r = dn_response(0x0d0d, "ok.example", DN_TYPE_A, 0, addrs, 1);
	struct dn_msg noq = { .n = 0 };
	struct proto_seg seg = { .off = 2, .len = q2.n - 2, .data = q2.b + 2,
				 .cap = (uint32_t)q2.n - 2 };
	struct proto_chunk c = { .side = REQ, .tag = f->tag + 1, .total = q2.n, .segs = &seg,
				 .nsegs = 1, .peer = &srv };

	dn_header(&noq, 0x0f0f, 0x0100, 0, 0); /* a header, no question */
	cr_assert_eq(dn_udp(f, REQ, &srv, &q), 0);
	cr_assert_eq(f->n_req, 1);

	cr_expect_eq(dn_udp(f, REQ, &srv, &r), 1, "a response the client sent");
	cr_expect_eq(dn_udp(f, RESP, &srv, &q2), 1, "a query the client received");
	cr_expect_eq(dn_udp_part(f, REQ, &srv, &q2, 5, 5, f->tag + 1), 1, "5 bytes");
	cr_expect_eq(dn_udp_part(f, REQ, &srv, &q2, 5, q2.n, f->tag + 1), 1, "5 copied");
	cr_expect_eq(proto_dns.feed(f->state, &c, &f->sink), 1, "the first segment at 2");
	c.nsegs = 0;
	c.segs = NULL;
	cr_expect_eq(proto_dns.feed(f->state, &c, &f->sink), 1, "no segment");
	cr_expect_eq(dn_udp(f, REQ, &srv, &noq), 1, "no question");
	/* nor is one with the pending query's id a retry of it */
	noq.n = 0;
	dn_header(&noq, 0x0d0d, 0x0100, 0, 0);
	cr_expect_eq(dn_udp(f, REQ, &srv, &noq), 1, "no question, the pending id");
	cr_expect_eq(f->n_req, 1);
	cr_expect_eq(f->n_ex, 0);
	cr_expect_eq(f->notes[PROTO_NOTE_UNANSWERED], 0);

	/* the pending query is untouched */
	cr_assert_eq(dn_udp(f, RESP, &srv, &r), 0);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].key, f->req[0].key);
	cr_expect_eq(f->ex[0].has_response, 1);
}

/* The kernel copied part of a long answer: what was read is reported, the
 * rest counted. */
Test(dns, truncated_capture_counts_unread_answers)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 49000, 53);
	static const char *const addrs[] = { "10.5.0.1", "10.5.0.2", "10.5.0.3" };
	struct dn_msg q = dn_query(0x0707, "big.example", DN_TYPE_A);
	struct dn_msg r = dn_response(0x0707, "big.example", DN_TYPE_A, 0, addrs, 3);
	/* header, question, the first answer and 5 bytes of the second */
	const size_t cap = 12 + 17 + 16 + 5;
	const struct dn_ex *e;

	cr_assert_eq(r.n, 12 + 17 + 3 * 16);
	cr_assert_eq(dn_udp(f, REQ, &srv, &q), 0);
	cr_assert_eq(dn_udp_part(f, RESP, &srv, &r, cap, r.n, f->tag + 1000), 0);
	cr_assert_eq(f->n_ex, 1);
	e = &f->ex[0];
	cr_expect_eq(e->has_response, 1);
	cr_expect_eq(e->status, SPAN_STATUS_UNSET);
	cr_expect_eq(e->resp_size, r.n, "the datagram's size, not what was copied");
	cr_expect_eq(dn_int(e, "zerotrace.dns.answers.count"), 3);
	cr_expect_eq(dn_int(e, "zerotrace.dns.answers.unread"), 2);
	cr_expect(dn_list_eq(e, "dns.answers", "10.5.0.1\0", 9));
	cr_expect_eq(dn_int(e, "zerotrace.dns.truncated"), -999);
}

/* The answer did not fit a datagram: the client will ask over TCP. */
Test(dns, tc_bit_marks_truncated)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct zt_conn_tuple srv = dn_peer(53, 50000, 53);
	struct dn_msg q = dn_query(0x0808, "huge.example", DN_TYPE_AAAA);
	struct dn_msg r = dn_response(0x0808, "huge.example", DN_TYPE_AAAA, DN_TC, NULL, 0);

	cr_assert_eq(dn_udp(f, REQ, &srv, &q), 0);
	cr_assert_eq(dn_udp(f, RESP, &srv, &r), 0);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(dn_int(&f->ex[0], "zerotrace.dns.truncated"), 1);
	cr_expect_eq(dn_int(&f->ex[0], "zerotrace.dns.answers.unread"), -999);
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_UNSET);
	cr_expect_str_eq(f->ex[0].code, "NOERROR");
}

/* Keys stay nonzero (0 marks a free slot, and the tracer's "no key") for a
 * socket's whole life: a DNS server's one UDP socket may see more than 2^27
 * queries. The generation counter is the state's first word (dns.c's
 * struct dns_state); it is set just short of 2^27 rather than fed 2^27
 * queries. */
Test(dns, keys_stay_nonzero_past_two_to_the_27_queries)
{
	struct dn_fix *f = dn_new(SPAN_KIND_SERVER);
	struct zt_conn_tuple cli = dn_peer(9, 53, 33333);
	static const char *const addrs[] = { "10.6.6.6" };
	struct dn_msg q = dn_query(0x2727, "wrap.example", DN_TYPE_A);
	struct dn_msg r = dn_response(0x2727, "wrap.example", DN_TYPE_A, 0, addrs, 1);
	uint32_t gen = (1u << 27) - 1;

	memcpy(f->state, &gen, sizeof(gen));
	cr_assert_eq(dn_udp(f, REQ, &cli, &q), 0);
	cr_assert_eq(f->n_req, 1);
	cr_expect_neq(f->req[0].key, 0, "the 2^27th query's key is 0");
	cr_expect_eq(dn_udp(f, RESP, &cli, &r), 0, "its answer must pair");
	cr_expect_eq(f->n_ex, 1);
}

/* ---- TCP ---- */

/* dnsmasq reads a TCP query's length a byte at a time, then the rest. */
Test(dns, tcp_query_split_like_dnsmasq)
{
	struct dn_fix *f = dn_new(SPAN_KIND_SERVER);
	static const char *const addrs[] = { "192.0.2.10" };
	struct dn_msg q = dn_query(0x3131, "tcp.example", DN_TYPE_A);
	struct dn_msg r = dn_response(0x3131, "tcp.example", DN_TYPE_A, 0, addrs, 1);
	uint8_t qb[600], rb[600];
	size_t qn = dn_framed(&q, qb), rn = dn_framed(&r, rb);
	uint64_t first;
	const struct dn_ex *e;

	cr_assert_eq(dn_tcp(f, REQ, qb, 1), 0);
	first = f->tag;
	cr_assert_eq(dn_tcp(f, REQ, qb + 1, 1), 0);
	cr_assert_eq(f->n_req, 0);
	cr_assert_eq(dn_tcp(f, REQ, qb + 2, qn - 2), 0);
	cr_assert_eq(f->n_req, 1);
	cr_expect_eq(f->req[0].stream, 0x13131);
	cr_expect_null(f->req[0].peer);
	cr_expect_eq(f->req[0].start, first, "the message starts with its length");
	cr_assert_eq(dn_tcp(f, RESP, rb, rn), 0);
	cr_assert_eq(f->n_ex, 1);
	e = &f->ex[0];
	cr_expect_eq(e->key, f->req[0].key);
	cr_expect_null(e->peer);
	cr_expect_str_eq(dn_str(e, "network.transport"), "tcp");
	cr_expect_str_eq(dn_str(e, "network.protocol.name"), "dns");
	cr_expect_str_eq(dn_str(e, "dns.question.name"), "tcp.example");
	cr_expect(dn_list_eq(e, "dns.answers", "192.0.2.10\0", 11));
	cr_expect_eq(e->req_size, q.n, "the message, not its length prefix");
	cr_expect_eq(e->resp_size, r.n);
	cr_expect_eq(e->start, first);
	cr_expect_eq(e->end, f->tag);
	cr_expect_eq(e->family, METRIC_DNS_SERVER);
	cr_expect_eq(e->endpoints_at, 4);
}

Test(dns, tcp_pipelined_messages)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	static const char *const a[] = { "198.51.100.1" };
	static const char *const b[] = { "2001:db8::b" };
	struct dn_msg q1 = dn_query(0x0001, "p.example", DN_TYPE_A);
	struct dn_msg q2 = dn_query(0x0002, "p.example", DN_TYPE_AAAA);
	struct dn_msg r1 = dn_response(0x0001, "p.example", DN_TYPE_A, 0, a, 1);
	struct dn_msg r2 = dn_response(0x0002, "p.example", DN_TYPE_AAAA, 0, b, 1);
	uint8_t buf[1200];
	size_t n;

	n = dn_framed(&q1, buf);
	n += dn_framed(&q2, buf + n);
	cr_assert_eq(dn_tcp(f, REQ, buf, n), 0);
	cr_assert_eq(f->n_req, 2);
	cr_expect_eq(f->req[0].stream, 0x10001);
	cr_expect_eq(f->req[1].stream, 0x10002);
	cr_expect_neq(f->req[0].key, f->req[1].key);
	/* answered in the other order, in one write */
	n = dn_framed(&r2, buf);
	n += dn_framed(&r1, buf + n);
	cr_assert_eq(dn_tcp(f, RESP, buf, n), 0);
	cr_assert_eq(f->n_ex, 2);
	cr_expect_eq(f->ex[0].key, f->req[1].key);
	cr_expect_str_eq(f->ex[0].name, "DNS AAAA");
	cr_expect(dn_list_eq(&f->ex[0], "dns.answers", "2001:db8::b\0", 12));
	cr_expect_eq(f->ex[0].resp_size, r2.n);
	cr_expect_eq(f->ex[1].key, f->req[0].key);
	cr_expect_str_eq(f->ex[1].name, "DNS A");
	cr_expect(dn_list_eq(&f->ex[1], "dns.answers", "198.51.100.1\0", 13));
	cr_expect_str_eq(dn_str(&f->ex[1], "network.transport"), "tcp");
}

/* Bytes the kernel did not copy inside a message: it is read from what
 * came before them, and the next message still frames. */
Test(dns, tcp_gap_inside_a_message)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	static const char *const two[] = { "10.8.0.1", "10.8.0.2" };
	static const char *const one[] = { "10.8.1.1" };
	struct dn_msg q1 = dn_query(0x00a1, "gap.example", DN_TYPE_A);
	struct dn_msg q2 = dn_query(0x00a2, "next.example", DN_TYPE_A);
	struct dn_msg r1 = dn_response(0x00a1, "gap.example", DN_TYPE_A, 0, two, 2);
	struct dn_msg r2 = dn_response(0x00a2, "next.example", DN_TYPE_A, 0, one, 1);
	uint8_t buf[1200];
	size_t n, n1, cut;
	struct proto_seg segs[2];

	n = dn_framed(&q1, buf);
	n += dn_framed(&q2, buf + n);
	cr_assert_eq(dn_tcp(f, REQ, buf, n), 0);
	cr_assert_eq(f->n_req, 2);

	/* r1 copied up to the end of its first answer, its second answer a
	 * gap, then r2 whole in the same syscall */
	n1 = dn_framed(&r1, buf);
	n = n1 + dn_framed(&r2, buf + n1);
	cut = 2 + 12 + 17 + 16;
	cr_assert_eq(n1, cut + 16);
	segs[0] = (struct proto_seg){ .off = 0, .len = cut, .data = buf, .cap = (uint32_t)cut };
	segs[1] = (struct proto_seg){ .off = n1, .len = n - n1, .data = buf + n1,
				      .cap = (uint32_t)(n - n1) };
	cr_assert_eq(dn_tcp_segs(f, RESP, segs, 2, n), 0);
	cr_assert_eq(f->n_ex, 2);
	cr_expect_eq(f->ex[0].key, f->req[0].key);
	cr_expect_eq(dn_int(&f->ex[0], "zerotrace.dns.answers.count"), 2);
	cr_expect_eq(dn_int(&f->ex[0], "zerotrace.dns.answers.unread"), 1);
	cr_expect(dn_list_eq(&f->ex[0], "dns.answers", "10.8.0.1\0", 9));
	cr_expect_eq(f->ex[0].resp_size, r1.n);
	cr_expect_eq(f->ex[1].key, f->req[1].key);
	cr_expect(dn_list_eq(&f->ex[1], "dns.answers", "10.8.1.1\0", 9));
	cr_expect_eq(dn_int(&f->ex[1], "zerotrace.dns.answers.unread"), -999);
}

/* A length prefix the kernel did not copy: nothing after it can be framed,
 * on that side; the other side goes on. */
Test(dns, tcp_gap_over_a_length_loses_the_direction)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	static const char *const addrs[] = { "10.10.10.10" };
	struct dn_msg q1 = dn_query(0x00b1, "lost.example", DN_TYPE_A);
	struct dn_msg q2 = dn_query(0x00b2, "lost.example", DN_TYPE_A);
	struct dn_msg q3 = dn_query(0x00b3, "lost.example", DN_TYPE_A);
	struct dn_msg r1 = dn_response(0x00b1, "lost.example", DN_TYPE_A, 0, addrs, 1);
	uint8_t buf[600];
	size_t n;

	n = dn_framed(&q1, buf);
	cr_assert_eq(dn_tcp(f, REQ, buf, n), 0);
	cr_assert_eq(f->n_req, 1);
	/* q2's syscall, none of it copied */
	cr_expect_eq(dn_tcp_segs(f, REQ, NULL, 0, q2.n + 2), 1);
	n = dn_framed(&q3, buf);
	cr_expect_eq(dn_tcp(f, REQ, buf, n), 0, "lost: not counted again");
	cr_expect_eq(dn_tcp(f, REQ, buf, n), 0);
	cr_expect_eq(f->n_req, 1);
	/* the answers still frame */
	n = dn_framed(&r1, buf);
	cr_assert_eq(dn_tcp(f, RESP, buf, n), 0);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].key, f->req[0].key);
}

/* A gap from inside a message past its end covers the next length. */
Test(dns, tcp_gap_past_a_message_end_loses_the_direction)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	struct dn_msg q1 = dn_query(0x00c1, "x.example", DN_TYPE_A);
	struct dn_msg q2 = dn_query(0x00c2, "x.example", DN_TYPE_A);
	uint8_t buf[600];
	size_t n1 = dn_framed(&q1, buf), n = n1 + dn_framed(&q2, buf + n1);
	struct proto_seg seg = { .off = 0, .len = 7, .data = buf, .cap = 7 };

	cr_expect_eq(dn_tcp_segs(f, REQ, &seg, 1, n), 1);
	cr_expect_eq(f->n_req, 0);
	cr_expect_eq(dn_tcp(f, REQ, buf, n), 0);
	cr_expect_eq(f->n_req, 0);
}

/* A length shorter than a header frames nothing: lost, counted once. */
Test(dns, tcp_length_shorter_than_a_header_loses_the_direction)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	static const uint8_t bad[] = { 0x00, 0x05, 1, 2, 3, 4, 5 };
	struct dn_msg q = dn_query(0x00d1, "y.example", DN_TYPE_A);
	uint8_t buf[600];
	size_t n = dn_framed(&q, buf);

	cr_expect_eq(dn_tcp(f, REQ, bad, sizeof(bad)), 1);
	cr_expect_eq(dn_tcp(f, REQ, buf, n), 0);
	cr_expect_eq(f->n_req, 0);
}

/* Hostile order over TCP: a response whose first bytes came before the
 * query began cannot answer it; it is a miss, and the query stays open for
 * the real answer (found by fuzz_dns: it made a span end before it began). */
Test(dns, tcp_response_begun_before_its_query_is_a_miss)
{
	struct dn_fix *f = dn_new(SPAN_KIND_CLIENT);
	static const char *const a[] = { "192.0.2.9" };
	struct dn_msg q = dn_query(0x00e1, "z.example", DN_TYPE_A);
	struct dn_msg r = dn_response(0x00e1, "z.example", DN_TYPE_A, 0, a, 1);
	uint8_t qb[600], rb[600];
	size_t qn = dn_framed(&q, qb), rn = dn_framed(&r, rb);
	uint64_t query_at;

	cr_assert_eq(dn_tcp(f, RESP, rb, 1), 0);
	cr_assert_eq(dn_tcp(f, REQ, qb, qn), 0);
	query_at = f->tag;
	cr_assert_eq(f->n_req, 1);
	cr_expect_eq(dn_tcp(f, RESP, rb + 1, rn - 1), 1);
	cr_expect_eq(f->n_ex, 0);
	cr_assert_eq(dn_tcp(f, RESP, rb, rn), 0);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].key, f->req[0].key);
	cr_expect_eq(f->ex[0].start, query_at);
	cr_expect_eq(f->ex[0].end, f->tag);
}
