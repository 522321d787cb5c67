// SPDX-License-Identifier: MIT
/*
 * DNS behind the protocol interface: a query and its response are one
 * span, paired by the message id and the peer's address (an unconnected
 * resolver socket serves many clients, and a client may ask the same id of
 * two servers), never by order: glibc sends A and AAAA at once and takes
 * the answers as they come. Over UDP each chunk is one datagram; over TCP
 * messages carry a two-byte length (RFC 1035 §4.2.2) and are reassembled.
 */
#include <stdio.h>
#include <string.h>

#include "dns_msg.h"
#include "dns_wire.h"
#include "proto.h"

/* A query unanswered this long has failed: glibc's resolver gives up on a
 * server after 5 s (RES_TIMEOUT) and asks again. */
#define DNS_ANSWER_WAIT_NS (5ULL * 1000000000ULL)
/* The name an unanswered query's span keeps (an answered one takes the
 * response's copy of the question, whole). */
#define DNS_QNAME_KEEP 256
/* A TCP message is read up to this much; past it only counted. */
#define DNS_TCP_MSG_MAX 4096
#define DNS_ADDR_TEXT 46 /* INET6_ADDRSTRLEN */

_Static_assert(PROTO_INFLIGHT_MAX == 32, "query keys put the slot in their low 5 bits");

struct dns_query {
	uint32_t key;            /* 0: a free slot; else its slot in the low 5 bits */
	uint16_t id;
	uint16_t qtype;
	uint16_t qclass;
	uint8_t qname_cut;       /* the name is longer than what qname keeps */
	uint64_t start_tag;
	uint64_t size;
	struct zt_conn_tuple peer;
	char qname[DNS_QNAME_KEEP];
};

/* One direction of a TCP connection: the message being read. */
struct dns_stream {
	uint32_t want;           /* the message's length once its prefix is read; 0 before */
	uint32_t have;           /* bytes of it (or of the prefix) gone by */
	uint32_t valid;          /* of those, copied in a row from its start */
	uint8_t prefix[2];
	uint8_t gapped;          /* bytes of it were not copied: only valid ones are read */
	uint8_t lost;            /* a length went uncopied: the framing is gone for good */
	uint64_t tag;
	uint8_t buf[DNS_TCP_MSG_MAX];
};

struct dns_state {
	uint32_t gen;
	struct dns_query q[PROTO_INFLIGHT_MAX];
	struct dns_stream tcp[2]; /* by enum proto_side */
};

struct dns_run {
	struct dns_state *s;
	const struct proto_sink *k;
	enum proto_side side;
	uint64_t tag;            /* the chunk's */
	unsigned int misses;
};

/* peer NULL (TCP): the connection's, the same for every message */
static int dns_peer_eq(const struct zt_conn_tuple *a, const struct zt_conn_tuple *b)
{
	if (!b)
		return 1;
	return a->remote_port == b->remote_port && a->local_port == b->local_port &&
	       !memcmp(a->remote_addr, b->remote_addr, sizeof(a->remote_addr));
}

static void dns_name_cut(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* dns.answers: the addresses, each followed by a NUL; returns the length. */
static size_t dns_answer_list(const struct dns_message *m, char *out, size_t cap)
{
	char text[DNS_ADDR_TEXT];
	size_t at = 0, n;

	for (uint8_t i = 0; i < m->naddrs; i++) {
		const struct dns_addr *a = &m->addrs[i];
		uint8_t tmp[16] = { 0 };

		memcpy(tmp, a->addr, a->family == 4 ? 4 : 16);
		span_format_addr(text, sizeof(text), a->family == 4 ? 2 /* AF_INET */ : 10 /* AF_INET6 */,
				 tmp);
		n = strlen(text) + 1;
		if (n > cap - at)
			break;
		memcpy(out + at, text, n);
		at += n;
	}
	return at;
}

/* How a query without an answer ended: what its span can say of it. */
enum dns_unanswered {
	DNS_TIMED_OUT,  /* the wait passed, or the client asked again */
	DNS_CLOSED,     /* its socket was closed (or its process ended) first */
	DNS_EVICTED,    /* too many in flight: it left before it could end (counted) */
};

static const struct {
	const char *error_type, *message, *label;
} dns_unanswered_says[] = {
	[DNS_TIMED_OUT] = { "timeout", "no response in time", "TIMEOUT" },
	[DNS_CLOSED] = { "closed", "no response before the socket closed", "CLOSED" },
	[DNS_EVICTED] = { NULL, NULL, NULL },
};

/* One span: q's query, and m its response (NULL: none came, for why). */
static void dns_emit(struct dns_run *r, const struct dns_query *q, const struct dns_message *m,
		     uint64_t end_tag, uint64_t resp_size, enum dns_unanswered why)
{
	const struct proto_sink *k = r->k;
	struct proto_exchange x;
	char tbuf[12], rbuf[12], list[DNS_ADDRS_MAX * DNS_ADDR_TEXT];
	const char *type = dns_type_name(q->qtype, tbuf);
	const char *rcode = m ? dns_rcode_name(m->rcode, rbuf) : "";
	const char *labels[2] = { type, m ? rcode : dns_unanswered_says[why].label };
	uint8_t family = k->kind == SPAN_KIND_SERVER ? METRIC_DNS_SERVER : METRIC_DNS_CLIENT;
	int error;
	size_t n;

	memset(&x, 0, offsetof(struct proto_exchange, attrs));
	x.attrs.n = x.attrs.text_len = x.attrs.overflow = 0;
	x.key = q->key;
	x.has_response = m != NULL;
	x.start_tag = q->start_tag;
	x.end_tag = end_tag;
	x.req_size = q->size;
	x.resp_size = resp_size;
	/* a datagram's own address pair; over TCP (no peer kept) the connection's */
	x.peer = q->peer.transport ? &q->peer : NULL;
	snprintf(x.name, sizeof(x.name), "DNS %s", type);
	span_attrs_cstr(&x.attrs, "network.protocol.name", "dns");
	span_attrs_cstr(&x.attrs, "network.transport", x.peer ? "udp" : "tcp");
	/* the response's copy of the question is whole (the query's is cut) */
	span_attrs_cstr(&x.attrs, "dns.question.name", m && m->has_question ? m->qname : q->qname);
	span_attrs_cstr(&x.attrs, "zerotrace.dns.question.type", type);
	x.endpoints_at = (uint8_t)x.attrs.n;
	if (!m) {
		if (dns_unanswered_says[why].error_type) {
			x.status = SPAN_STATUS_ERROR;
			snprintf(x.status_message, sizeof(x.status_message), "%s",
				 dns_unanswered_says[why].message);
			span_attrs_cstr(&x.attrs, "error.type", dns_unanswered_says[why].error_type);
			span_metric_set(&x.metric, family, labels);
		}
		k->note(k->ctx, PROTO_NOTE_UNANSWERED);
		k->exchange(k->ctx, &x);
		return;
	}
	snprintf(x.code, sizeof(x.code), "%s", rcode);
	span_attrs_cstr(&x.attrs, "zerotrace.dns.response_code", rcode);
	span_attrs_int(&x.attrs, "zerotrace.dns.answers.count", m->ancount);
	n = dns_answer_list(m, list, sizeof(list));
	if (n)
		span_attrs_list(&x.attrs, "dns.answers", list, n);
	/* records past a malformed one, or past what the kernel copied */
	if (m->answers_read < m->ancount)
		span_attrs_int(&x.attrs, "zerotrace.dns.answers.unread", m->ancount - m->answers_read);
	if (m->tc)
		span_attrs_int(&x.attrs, "zerotrace.dns.truncated", 1);
	/* the client asked for an answer it did not get; a server failed only
	 * when it says so (NXDOMAIN is its correct answer) */
	error = k->kind == SPAN_KIND_SERVER ? m->rcode == DNS_RCODE_SERVFAIL :
					      m->rcode != DNS_RCODE_NOERROR;
	if (error) {
		x.status = SPAN_STATUS_ERROR;
		snprintf(x.status_message, sizeof(x.status_message), "%s", rcode);
		span_attrs_cstr(&x.attrs, "error.type", rcode);
	}
	span_metric_set(&x.metric, family, labels);
	k->exchange(k->ctx, &x);
}

/* A query that got no answer: its span says why, and it is counted. An
 * evicted one's outcome is not known: no error, no duration measured. */
static void dns_emit_unanswered(struct dns_run *r, const struct dns_query *q, uint64_t end_tag,
				enum dns_unanswered why)
{
	dns_emit(r, q, NULL, end_tag, 0, why);
}

/* Queries older than the wait end unanswered. */
static void dns_expire(struct dns_run *r, uint64_t now)
{
	for (uint32_t i = 0; i < PROTO_INFLIGHT_MAX; i++) {
		struct dns_query *q = &r->s->q[i];

		if (q->key && now > q->start_tag + DNS_ANSWER_WAIT_NS) {
			dns_emit_unanswered(r, q, q->start_tag + DNS_ANSWER_WAIT_NS, DNS_TIMED_OUT);
			q->key = 0;
		}
	}
}

static struct dns_query *dns_find(struct dns_state *s, uint16_t id, const struct zt_conn_tuple *peer)
{
	for (uint32_t i = 0; i < PROTO_INFLIGHT_MAX; i++)
		if (s->q[i].key && s->q[i].id == id && dns_peer_eq(&s->q[i].peer, peer))
			return &s->q[i];
	return NULL;
}

static int dns_name_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

/* A response answers q only if it repeats q's question (names compare
 * without case, RFC 4343), as resolvers check: a late answer to an id
 * reused since, or a spoofed one, pairs nothing. One with no question
 * (FORMERR may drop it) pairs by id and peer alone. */
static int dns_answers_query(const struct dns_message *m, const struct dns_query *q)
{
	size_t n = strnlen(q->qname, sizeof(q->qname));

	if (!m->has_question)
		return !m->qdcount;
	return m->qtype == q->qtype && m->qclass == q->qclass &&
	       (q->qname_cut ? strlen(m->qname) > n : strlen(m->qname) == n) &&
	       dns_name_ieq(m->qname, q->qname, n);
}

/* A free slot, or the oldest query's (it ends unanswered, counted). */
static struct dns_query *dns_slot(struct dns_run *r)
{
	struct dns_query *oldest = NULL;

	for (uint32_t i = 0; i < PROTO_INFLIGHT_MAX; i++) {
		struct dns_query *q = &r->s->q[i];

		if (!q->key)
			return q;
		if (!oldest || q->start_tag < oldest->start_tag)
			oldest = q;
	}
	r->k->note(r->k->ctx, PROTO_NOTE_CACHE_FULL);
	dns_emit_unanswered(r, oldest, oldest->start_tag, DNS_EVICTED);
	oldest->key = 0;
	return oldest;
}

static void dns_on_query(struct dns_run *r, const struct dns_message *m, uint64_t tag, uint64_t size,
			 const struct zt_conn_tuple *peer)
{
	struct dns_query *q = dns_find(r->s, m->id, peer);
	struct proto_request pr;
	uint32_t slot;

	/* the same question again before an answer: the first went unanswered */
	if (q) {
		dns_emit_unanswered(r, q, tag, DNS_TIMED_OUT);
		q->key = 0;
	} else {
		q = dns_slot(r);
	}
	slot = (uint32_t)(q - r->s->q);
	/* 27 bits of generation above the slot's 5: never 0 */
	r->s->gen = (r->s->gen + 1) & 0x7ffffff;
	if (!r->s->gen)
		r->s->gen = 1;
	q->key = r->s->gen << 5 | slot;
	q->id = m->id;
	q->qtype = m->qtype;
	q->qclass = m->qclass;
	q->start_tag = tag;
	q->size = size;
	if (peer)
		q->peer = *peer;
	else
		memset(&q->peer, 0, sizeof(q->peer));
	dns_name_cut(q->qname, sizeof(q->qname), m->qname);
	q->qname_cut = strlen(m->qname) >= sizeof(q->qname);
	pr = (struct proto_request){ .key = q->key, .stream = 0x10000u | m->id, .start_tag = tag,
				     .peer = peer ? &q->peer : NULL };
	r->k->request(r->k->ctx, &pr);
}

/* One whole message (or what was copied of it) from one side. */
static void dns_on_message(struct dns_run *r, const uint8_t *p, size_t n, uint64_t size,
			   uint64_t tag, const struct zt_conn_tuple *peer)
{
	struct dns_message m;
	struct dns_query *q;

	dns_expire(r, tag);
	if (dns_parse_message(p, n, &m) != DNS_PARSE_OK || m.qr != (r->side == PROTO_SIDE_RESPONSE)) {
		r->misses++;
		return;
	}
	if (!m.qr) {
		if (m.has_question)
			dns_on_query(r, &m, tag, size, peer);
		else
			r->misses++;
		return;
	}
	q = dns_find(r->s, m.id, peer);
	/* asked before the agent looked, after its wait, or not this question;
	 * over TCP a response that began before the query did answers nothing */
	if (!q || tag < q->start_tag || !dns_answers_query(&m, q)) {
		r->misses++;
		return;
	}
	dns_emit(r, q, &m, tag, size, 0);
	q->key = 0;
}

/* ---- TCP: length-prefixed messages ---- */

static void dns_tcp_done(struct dns_run *r, struct dns_stream *st)
{
	dns_on_message(r, st->buf, st->valid, st->want, st->tag, NULL);
	st->want = st->have = st->valid = 0;
	st->gapped = 0;
}

static int dns_tcp_bytes(void *ctx, const uint8_t *p, size_t n)
{
	struct dns_run *r = ctx;
	struct dns_stream *st = &r->s->tcp[r->side];
	size_t take, keep;

	while (n) {
		if (!st->want) {
			if (!st->have)
				st->tag = r->tag;
			st->prefix[st->have++] = *p++;
			n--;
			if (st->have < 2)
				continue;
			st->want = (uint32_t)st->prefix[0] << 8 | st->prefix[1];
			st->have = 0;
			if (st->want < DNS_HEADER_LEN) {
				st->lost = 1;
				r->misses++;
				return 1;
			}
			continue;
		}
		take = st->want - st->have < n ? st->want - st->have : n;
		if (!st->gapped && st->valid < DNS_TCP_MSG_MAX) {
			keep = DNS_TCP_MSG_MAX - st->valid < take ? DNS_TCP_MSG_MAX - st->valid : take;
			memcpy(st->buf + st->valid, p, keep);
			st->valid += (uint32_t)keep;
		}
		st->have += (uint32_t)take;
		p += take;
		n -= take;
		if (st->have == st->want)
			dns_tcp_done(r, st);
	}
	return 0;
}

/* Uncopied bytes: inside a message they cut it (what came before them is
 * still read); a length prefix among them loses the framing for good. */
static int dns_tcp_gap(void *ctx, uint64_t n)
{
	struct dns_run *r = ctx;
	struct dns_stream *st = &r->s->tcp[r->side];

	if (!st->want || n > st->want - st->have) {
		st->lost = 1;
		r->misses++;
		return 1;
	}
	st->gapped = 1;
	st->have += (uint32_t)n;
	if (st->have == st->want)
		dns_tcp_done(r, st);
	return 0;
}

static unsigned int dns_feed(void *state, const struct proto_chunk *c, const struct proto_sink *k)
{
	struct dns_run r = { .s = state, .k = k, .side = c->side & 1, .tag = c->tag };
	struct dns_stream *st;

	if (c->peer) {
		const struct proto_seg *sg = c->nsegs ? &c->segs[0] : NULL;

		if (!sg || sg->off)
			return 1;
		dns_on_message(&r, sg->data, sg->cap, c->total, c->tag, c->peer);
		return r.misses;
	}
	st = &r.s->tcp[r.side];
	if (st->lost)
		return 0;
	proto_chunk_walk(c, dns_tcp_bytes, dns_tcp_gap, &r);
	return r.misses;
}

static void dns_init(void *state)
{
	memset(state, 0, sizeof(struct dns_state));
}

/* Queries still unanswered end with the socket. */
static void dns_close(void *state, const struct proto_sink *k)
{
	struct dns_run r = { .s = state, .k = k };

	for (uint32_t i = 0; i < PROTO_INFLIGHT_MAX; i++) {
		struct dns_query *q = &r.s->q[i];

		if (q->key) {
			dns_emit_unanswered(&r, q, q->start_tag, DNS_CLOSED);
			q->key = 0;
		}
	}
}

static void dns_expire_hook(void *state, uint64_t now, const struct proto_sink *k)
{
	struct dns_run r = { .s = state, .k = k };

	dns_expire(&r, now);
}

const struct proto proto_dns = {
	.name = "dns",
	.id = ZT_PROTO_DNS,
	.state_size = sizeof(struct dns_state),
	.init = dns_init,
	.feed = dns_feed,
	.close = dns_close,
	.expire = dns_expire_hook,
};
