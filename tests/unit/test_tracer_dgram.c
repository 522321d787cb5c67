// SPDX-License-Identifier: MIT
/*
 * DNS over UDP through the whole user-space pipeline (user/tracer.c and
 * user/proto/dns/dns.c): hand-built DATA records of one datagram each
 * (tuple.transport 17, the datagram's own address pair in the tuple), as
 * bpf/datagram.bpf.h sends them, and the spans that come out. Pinned:
 * endpoints from each datagram's tuple, no stream-position accounting,
 * rule 2 across the two ends, and the ways a pending query ends (the
 * 5 s wait in tracer_tick, 1 s late for the reorder window: a timeout; the
 * process's exit, the socket's close: closed).
 * The DNS parser's own cases are test_dns.c's and test_dns_msg.c's.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "events.h"
#include "stitch.h"
#include "tracer.h"
#include "span_attrs_check.h"

/* pids at and above PID_MAX_LIMIT: procinfo never finds a real process */
#define TD_PID_CLI 4194320u
#define TD_PID_SRV 4194321u
#define TD_PID_OTHER 4194322u
#define TD_SPANS_MAX 16
#define TD_SEC 1000000000ULL
/* CLOCK_MONOTONIC of the first query: past nothing the tick sweeps */
#define TD_T0 (100 * TD_SEC)
#define TD_WAIT (5 * TD_SEC)        /* dns.c's DNS_ANSWER_WAIT_NS */
#define TD_SLACK (1 * TD_SEC)       /* tracer.c's TRACER_EXPIRE_SLACK_NS */
#define TD_MONO_TO_UNIX (1000 * TD_SEC)
#define TD_TYPE_A 1
#define TD_TYPE_AAAA 28
#define TD_QUERY_FLAGS 0x0100       /* RD */
#define TD_RESP_FLAGS 0x8180        /* QR, RD, RA, NOERROR */

/* Every key of an answered UDP span, in order. */
#define TD_KEYS_ANSWERED                                                              \
	"network.protocol.name,network.transport,dns.question.name,"                 \
	"zerotrace.dns.question.type,server.address,server.port,client.address,"     \
	"client.port,network.peer.address,network.peer.port,"                        \
	"zerotrace.dns.response_code,zerotrace.dns.answers.count,dns.answers"
#define TD_KEYS_UNANSWERED                                                            \
	"network.protocol.name,network.transport,dns.question.name,"                 \
	"zerotrace.dns.question.type,server.address,server.port,client.address,"     \
	"client.port,network.peer.address,network.peer.port,error.type"

/* ---- the span sink ---- */

struct td_sink {
	struct span spans[TD_SPANS_MAX];
	uint32_t n;
};

static void td_record_span(void *ctx, const struct span *s)
{
	struct td_sink *k = ctx;

	cr_assert_lt(k->n, TD_SPANS_MAX);
	k->spans[k->n++] = *s;
}

static struct tracer *td_new(struct td_sink *sink)
{
	struct zt_config cfg;
	struct tracer *t;

	memset(sink, 0, sizeof(*sink));
	config_defaults(&cfg);
	cfg.max_conns = 64;
	t = tracer_new(&cfg, td_record_span, sink);
	cr_assert_not_null(t);
	tracer_tick(t, 0, TD_MONO_TO_UNIX);
	return t;
}

static struct tracer_stats td_stats(const struct tracer *t)
{
	struct tracer_stats s;

	tracer_get_stats(t, &s);
	return s;
}

/* ---- DNS messages, byte by byte ---- */

struct td_msg {
	uint8_t b[512];
	size_t n;
};

static void td_put(struct td_msg *w, const void *p, size_t n)
{
	cr_assert_leq(w->n + n, sizeof(w->b));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void td_u16(struct td_msg *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	td_put(w, b, 2);
}

/* A 12-byte header and one question (the name uncompressed, class IN). */
static void td_head_question(struct td_msg *w, uint16_t id, uint16_t flags, uint16_t an,
			     const char *dotted, uint16_t qtype)
{
	td_u16(w, id);
	td_u16(w, flags);
	td_u16(w, 1);  /* qdcount */
	td_u16(w, an); /* ancount */
	td_u16(w, 0);  /* nscount */
	td_u16(w, 0);  /* arcount */
	while (*dotted) {
		size_t len = strcspn(dotted, ".");
		uint8_t l = (uint8_t)len;

		cr_assert_leq(len, 63);
		td_put(w, &l, 1);
		td_put(w, dotted, len);
		dotted += len + (dotted[len] == '.');
	}
	td_put(w, "", 1);
	td_u16(w, qtype);
	td_u16(w, 1);
}

static struct td_msg td_query(uint16_t id, const char *name, uint16_t qtype)
{
	struct td_msg w = { .n = 0 };

	td_head_question(&w, id, TD_QUERY_FLAGS, 0, name, qtype);
	return w;
}

/* A NOERROR response with one A record (named by a pointer to the question). */
static struct td_msg td_answer(uint16_t id, const char *name, const char *addr)
{
	struct td_msg w = { .n = 0 };
	uint8_t a[4];

	cr_assert_eq(inet_pton(AF_INET, addr, a), 1);
	td_head_question(&w, id, TD_RESP_FLAGS, 1, name, TD_TYPE_A);
	td_u16(&w, 0xc00c);
	td_u16(&w, TD_TYPE_A);
	td_u16(&w, 1);
	td_u16(&w, 0);
	td_u16(&w, 300); /* ttl */
	td_u16(&w, 4);
	td_put(&w, a, 4);
	return w;
}

/* ---- records, as the kernel's datagram path sends them ---- */

union td_record {
	struct zt_event e;
	uint8_t bytes[sizeof(struct zt_event) + ZT_CAPTURE_MAX];
};

/* One socket as its process sees it; tuples are per datagram. */
struct td_sock {
	uint64_t conn_id;
	uint32_t pid;
	uint32_t tid;
	uint8_t role;
	int32_t fd;
};

static struct zt_conn_tuple td_tuple(const char *local, uint16_t lport, const char *remote,
				     uint16_t rport)
{
	struct zt_conn_tuple tp;

	memset(&tp, 0, sizeof(tp));
	tp.family = AF_INET;
	tp.transport = IPPROTO_UDP;
	cr_assert_eq(inet_pton(AF_INET, local, tp.local_addr), 1);
	cr_assert_eq(inet_pton(AF_INET, remote, tp.remote_addr), 1);
	tp.local_port = lport;
	tp.remote_port = rport;
	return tp;
}

/* One datagram sent (EGRESS) or received (INGRESS) on x, with tp its
 * address pair; stream_pos and peer_stream_pos as given (the kernel's
 * datagram path leaves them 0). */
static void td_dgram_pos(struct tracer *t, const struct td_sock *x, uint8_t dir,
			 const struct zt_conn_tuple *tp, uint64_t ts_enter, uint64_t ts_exit,
			 const struct td_msg *m, uint32_t stream_pos, uint32_t peer_stream_pos)
{
	static union td_record r;
	struct tracer_stats before = td_stats(t);

	cr_assert_leq(m->n, ZT_CAPTURE_MAX);
	memset(&r, 0, sizeof(r));
	r.e.type = ZT_EV_DATA;
	r.e.syscall = dir == ZT_DIR_INGRESS ? ZT_SYS_RECVFROM : ZT_SYS_SENDTO;
	r.e.conn_id = x->conn_id;
	r.e.pid = x->pid;
	r.e.tid = x->tid;
	r.e.task = x->tid;
	r.e.task_kind = ZT_TASK_THREAD;
	r.e.fd = x->fd;
	r.e.role = x->role;
	r.e.dir = dir;
	r.e.ts_enter_ns = ts_enter;
	r.e.ts_exit_ns = ts_exit;
	memcpy(r.e.comm, "resolver", 9);
	r.e.tuple = *tp;
	r.e.proto = ZT_PROTO_DNS;
	r.e.stream_pos = stream_pos;
	r.e.peer_stream_pos = peer_stream_pos;
	r.e.cap_len = (uint32_t)m->n;
	r.e.bytes = (int64_t)m->n;
	memcpy(r.bytes + sizeof(r.e), m->b, m->n);
	cr_assert_eq(tracer_handle_event(t, &r, sizeof(r.e) + m->n), 0);
	cr_assert_eq(td_stats(t).bad_events, before.bad_events, "record refused");
}

static void td_dgram(struct tracer *t, const struct td_sock *x, uint8_t dir,
		     const struct zt_conn_tuple *tp, uint64_t ts_enter, uint64_t ts_exit,
		     const struct td_msg *m)
{
	td_dgram_pos(t, x, dir, tp, ts_enter, ts_exit, m, 0, 0);
}

/* A record with no payload: ZT_EV_EXIT of pid, or ZT_EV_CLOSE of x. */
static void td_exit(struct tracer *t, uint32_t pid, uint64_t ts)
{
	union td_record r;

	memset(&r, 0, sizeof(r.e));
	r.e.type = ZT_EV_EXIT;
	r.e.pid = pid;
	r.e.tid = pid;
	r.e.fd = -1;
	r.e.ts_enter_ns = r.e.ts_exit_ns = ts;
	cr_assert_eq(tracer_handle_event(t, &r, sizeof(r.e)), 0);
}

static void td_close(struct tracer *t, const struct td_sock *x, uint32_t pid, uint64_t ts)
{
	union td_record r;

	memset(&r, 0, sizeof(r.e));
	r.e.type = ZT_EV_CLOSE;
	r.e.syscall = ZT_SYS_CLOSE;
	r.e.conn_id = x->conn_id;
	r.e.pid = pid;
	r.e.tid = pid;
	r.e.fd = x->fd;
	r.e.role = x->role;
	r.e.ts_enter_ns = r.e.ts_exit_ns = ts;
	cr_assert_eq(tracer_handle_event(t, &r, sizeof(r.e)), 0);
}

static int64_t td_int(const struct span *s, const char *key)
{
	int64_t v = -1;

	cr_assert(sa_int(&s->attrs, key, &v), "no int attribute %s", key);
	return v;
}

/* The string-list attribute key equals want[0..n) (items NUL-terminated). */
static int td_list_eq(const struct span *s, const char *key, const char *want, size_t n)
{
	const struct span_attr *a = sa_find(&s->attrs, key);
	const char *v;
	size_t len;

	if (!a || a->type != SPAN_ATTR_STRS)
		return 0;
	v = span_attr_str(&s->attrs, a, &len);
	return len == n && !memcmp(v, want, n);
}

static void td_expect_endpoints(const struct span *s, const char *server, uint16_t sport,
				const char *client, uint16_t cport)
{
	const char *peer = s->kind == SPAN_KIND_SERVER ? client : server;
	uint16_t pport = s->kind == SPAN_KIND_SERVER ? cport : sport;

	cr_expect_str_eq(sa_str(&s->attrs, "server.address"), server);
	cr_expect_eq(td_int(s, "server.port"), sport);
	cr_expect_str_eq(sa_str(&s->attrs, "client.address"), client);
	cr_expect_eq(td_int(s, "client.port"), cport);
	cr_expect_str_eq(sa_str(&s->attrs, "network.peer.address"), peer);
	cr_expect_eq(td_int(s, "network.peer.port"), pport);
	cr_expect_str_eq(s->server.address, server);
	cr_expect_eq(s->server.port, sport);
	cr_expect_str_eq(s->client.address, client);
	cr_expect_eq(s->client.port, cport);
}

/* Why a query went unanswered, as dns.c's span says it. */
enum td_why {
	TD_TIMED_OUT, /* the wait passed (or the client asked again) */
	TD_CLOSED,    /* the socket closed, or its process exited, first */
};

static const struct {
	const char *message, *error_type, *label;
} td_why_says[] = {
	[TD_TIMED_OUT] = { "no response in time", "timeout", "TIMEOUT" },
	[TD_CLOSED] = { "no response before the socket closed", "closed", "CLOSED" },
};

/* An unanswered query's span: an error, and its metric says why. */
static void td_expect_unanswered_on(const struct span *s, uint8_t kind, const char *qname,
				    const char *transport, enum td_why why)
{
	cr_expect_eq(s->kind, kind);
	cr_expect_str_eq(s->name, "DNS A");
	cr_expect_eq(s->status, SPAN_STATUS_ERROR);
	cr_expect_str_eq(s->status_message, td_why_says[why].message);
	cr_expect_str_eq(s->code, "");
	cr_expect_eq(s->resp_size, 0);
	cr_expect_str_eq(sa_keys(&s->attrs), TD_KEYS_UNANSWERED);
	cr_expect_str_eq(sa_str(&s->attrs, "network.transport"), transport);
	cr_expect_str_eq(sa_str(&s->attrs, "dns.question.name"), qname);
	cr_expect_str_eq(sa_str(&s->attrs, "zerotrace.dns.question.type"), "A");
	cr_expect_str_eq(sa_str(&s->attrs, "error.type"), td_why_says[why].error_type);
	cr_expect_eq(s->metric.family,
		     kind == SPAN_KIND_SERVER ? METRIC_DNS_SERVER : METRIC_DNS_CLIENT);
	cr_expect_str_eq(span_metric_label(&s->metric, 0), "A");
	cr_expect_str_eq(span_metric_label(&s->metric, 1), td_why_says[why].label);
}

static void td_expect_unanswered(const struct span *s, uint8_t kind, const char *qname,
				 enum td_why why)
{
	td_expect_unanswered_on(s, kind, qname, "udp", why);
}

static const struct td_sock td_cli = { .conn_id = 1, .pid = TD_PID_CLI, .tid = 11,
				       .role = ZT_ROLE_CLIENT, .fd = 3 };
static const struct td_sock td_srv = { .conn_id = 2, .pid = TD_PID_SRV, .tid = 21,
				       .role = ZT_ROLE_SERVER, .fd = 4 };

/* ---- a client's lookup ---- */

Test(tracer_dgram, client_query_and_answer_one_span)
{
	static struct td_sink sink;
	struct tracer *t = td_new(&sink);
	struct zt_conn_tuple tp = td_tuple("10.0.0.7", 40000, "10.0.0.53", 53);
	struct td_msg q = td_query(0x1234, "example.com", TD_TYPE_A);
	struct td_msg a = td_answer(0x1234, "example.com", "10.1.2.3");
	const struct span *s;
	struct tracer_stats st;

	cr_assert_eq(q.n, 29); /* 12 + 13 (name) + 4 */
	cr_assert_eq(a.n, 45); /* 29 + 2 + 10 + 4 */
	td_dgram(t, &td_cli, ZT_DIR_EGRESS, &tp, TD_T0, TD_T0 + 1000, &q);
	cr_assert_eq(sink.n, 0);
	td_dgram(t, &td_cli, ZT_DIR_INGRESS, &tp, TD_T0 + 500, TD_T0 + 2000000, &a);
	cr_assert_eq(sink.n, 1);
	s = &sink.spans[0];
	cr_expect_eq(s->kind, SPAN_KIND_CLIENT);
	cr_expect_str_eq(s->name, "DNS A");
	cr_expect_eq(s->status, SPAN_STATUS_UNSET);
	cr_expect_str_eq(s->code, "NOERROR");
	cr_expect_str_eq(s->status_message, "");
	cr_expect_eq(s->pid, TD_PID_CLI);
	cr_expect_eq(s->tid, 11);
	cr_expect_eq(s->has_parent, 0);
	/* a write is seen when it is called, a read when it returns */
	cr_expect_eq(s->start_unix_ns, TD_T0 + TD_MONO_TO_UNIX);
	cr_expect_eq(s->end_unix_ns, TD_T0 + 2000000 + TD_MONO_TO_UNIX);
	cr_expect_eq(s->req_size, 29);
	cr_expect_eq(s->resp_size, 45);
	cr_expect_str_eq(sa_keys(&s->attrs), TD_KEYS_ANSWERED);
	cr_expect_str_eq(sa_str(&s->attrs, "network.protocol.name"), "dns");
	cr_expect_str_eq(sa_str(&s->attrs, "network.transport"), "udp");
	cr_expect_str_eq(sa_str(&s->attrs, "dns.question.name"), "example.com");
	cr_expect_str_eq(sa_str(&s->attrs, "zerotrace.dns.question.type"), "A");
	cr_expect_str_eq(sa_str(&s->attrs, "zerotrace.dns.response_code"), "NOERROR");
	cr_expect_eq(td_int(s, "zerotrace.dns.answers.count"), 1);
	cr_expect(td_list_eq(s, "dns.answers", "10.1.2.3\0", 9));
	td_expect_endpoints(s, "10.0.0.53", 53, "10.0.0.7", 40000);

	st = td_stats(t);
	cr_expect_eq(st.events, 2);
	cr_expect_eq(st.bad_events, 0);
	cr_expect_eq(st.spans, 1);
	cr_expect_eq(st.proto_spans[ZT_PROTO_DNS], 1);
	cr_expect_eq(st.parse_misses, 0);
	cr_expect_eq(st.record_gaps, 0);
	cr_expect_eq(st.conns_opened, 1);
	cr_expect_eq(st.payload_bytes, 29 + 45);
	cr_expect_eq(st.proto_notes[ZT_PROTO_DNS][PROTO_NOTE_UNANSWERED], 0);
	cr_expect_eq(tracer_conns_tracked(t), 1);
	tracer_free(t);
}

/* Datagrams have no stream: positions that would be lost records (and one
 * from before what was fed) on TCP are not looked at. */
Test(tracer_dgram, stream_positions_are_not_followed)
{
	static struct td_sink sink;
	struct tracer *t = td_new(&sink);
	struct zt_conn_tuple tp = td_tuple("10.0.0.7", 40000, "10.0.0.53", 53);
	struct td_msg q1 = td_query(0x0101, "one.example", TD_TYPE_A);
	struct td_msg a1 = td_answer(0x0101, "one.example", "10.1.1.1");
	struct td_msg q2 = td_query(0x0202, "two.example", TD_TYPE_A);
	struct td_msg a2 = td_answer(0x0202, "two.example", "10.2.2.2");
	struct tracer_stats st;

	td_dgram_pos(t, &td_cli, ZT_DIR_EGRESS, &tp, TD_T0, TD_T0 + 10, &q1, 1000, 77);
	td_dgram_pos(t, &td_cli, ZT_DIR_INGRESS, &tp, TD_T0 + 20, TD_T0 + 30, &a1, 5, 123456);
	/* behind where the first query ended: on TCP, dropped as overtaken */
	td_dgram_pos(t, &td_cli, ZT_DIR_EGRESS, &tp, TD_T0 + 40, TD_T0 + 50, &q2, 3, 0);
	td_dgram_pos(t, &td_cli, ZT_DIR_INGRESS, &tp, TD_T0 + 60, TD_T0 + 70, &a2, 0x80000000u, 9);
	cr_assert_eq(sink.n, 2);
	cr_expect_str_eq(sa_str(&sink.spans[0].attrs, "dns.question.name"), "one.example");
	cr_expect(td_list_eq(&sink.spans[0], "dns.answers", "10.1.1.1\0", 9));
	cr_expect_str_eq(sa_str(&sink.spans[1].attrs, "dns.question.name"), "two.example");
	cr_expect(td_list_eq(&sink.spans[1], "dns.answers", "10.2.2.2\0", 9));
	st = td_stats(t);
	cr_expect_eq(st.record_gaps, 0);
	cr_expect_eq(st.parse_misses, 0);
	cr_expect_eq(st.spans, 2);
	tracer_free(t);
}

/* An unconnected client socket asking two nameservers the same id: each
 * answer pairs with the query sent to its server, and each span names it. */
Test(tracer_dgram, client_same_id_to_two_servers)
{
	static struct td_sink sink;
	struct tracer *t = td_new(&sink);
	struct zt_conn_tuple ns1 = td_tuple("10.0.0.7", 40000, "10.0.0.53", 53);
	struct zt_conn_tuple ns2 = td_tuple("10.0.0.7", 40000, "10.0.0.54", 53);
	struct td_msg q = td_query(0x4242, "example.com", TD_TYPE_A);
	struct td_msg a1 = td_answer(0x4242, "example.com", "10.1.1.1");
	struct td_msg a2 = td_answer(0x4242, "example.com", "10.2.2.2");
	const struct span *s;

	td_dgram(t, &td_cli, ZT_DIR_EGRESS, &ns1, TD_T0, TD_T0 + 10, &q);
	td_dgram(t, &td_cli, ZT_DIR_EGRESS, &ns2, TD_T0 + 100, TD_T0 + 110, &q);
	cr_assert_eq(sink.n, 0, "the second query is not a retry of the first");
	td_dgram(t, &td_cli, ZT_DIR_INGRESS, &ns2, TD_T0 + 150, TD_T0 + 1000, &a2);
	td_dgram(t, &td_cli, ZT_DIR_INGRESS, &ns1, TD_T0 + 150, TD_T0 + 2000, &a1);
	cr_assert_eq(sink.n, 2);
	s = &sink.spans[0];
	td_expect_endpoints(s, "10.0.0.54", 53, "10.0.0.7", 40000);
	cr_expect(td_list_eq(s, "dns.answers", "10.2.2.2\0", 9));
	cr_expect_eq(s->start_unix_ns, TD_T0 + 100 + TD_MONO_TO_UNIX);
	cr_expect_eq(s->end_unix_ns, TD_T0 + 1000 + TD_MONO_TO_UNIX);
	s = &sink.spans[1];
	td_expect_endpoints(s, "10.0.0.53", 53, "10.0.0.7", 40000);
	cr_expect(td_list_eq(s, "dns.answers", "10.1.1.1\0", 9));
	cr_expect_eq(s->start_unix_ns, TD_T0 + TD_MONO_TO_UNIX);
	cr_expect_eq(s->end_unix_ns, TD_T0 + 2000 + TD_MONO_TO_UNIX);
	cr_expect_eq(td_stats(t).parse_misses, 0);
	cr_expect_eq(td_stats(t).conns_opened, 1);
	tracer_free(t);
}

/* ---- an unconnected server socket ---- */

/* Two clients' queries on one socket (one conn_id), answered in reverse:
 * each SERVER span names its own datagram's peer. */
static void td_server_two_clients(uint16_t id_a, uint16_t id_b)
{
	static struct td_sink sink;
	struct tracer *t = td_new(&sink);
	struct zt_conn_tuple ca = td_tuple("10.0.0.53", 53, "10.0.0.7", 40000);
	struct zt_conn_tuple cb = td_tuple("10.0.0.53", 53, "10.0.0.8", 41000);
	struct td_msg qa = td_query(id_a, "a.example", TD_TYPE_A);
	struct td_msg qb = td_query(id_b, "b.example", TD_TYPE_A);
	struct td_msg ra = td_answer(id_a, "a.example", "10.1.1.1");
	struct td_msg rb = td_answer(id_b, "b.example", "10.2.2.2");
	const struct span *a, *b;
	struct tracer_stats st;

	td_dgram(t, &td_srv, ZT_DIR_INGRESS, &ca, TD_T0, TD_T0 + 100, &qa);
	td_dgram(t, &td_srv, ZT_DIR_INGRESS, &cb, TD_T0 + 200, TD_T0 + 300, &qb);
	cr_assert_eq(sink.n, 0);
	td_dgram(t, &td_srv, ZT_DIR_EGRESS, &cb, TD_T0 + 1000, TD_T0 + 1100, &rb);
	cr_assert_eq(sink.n, 1);
	cr_expect_str_eq(sa_str(&sink.spans[0].attrs, "dns.question.name"), "b.example");
	td_dgram(t, &td_srv, ZT_DIR_EGRESS, &ca, TD_T0 + 2000, TD_T0 + 2100, &ra);
	cr_assert_eq(sink.n, 2);
	b = &sink.spans[0];
	a = &sink.spans[1];
	cr_expect_str_eq(sa_str(&a->attrs, "dns.question.name"), "a.example");

	cr_expect_eq(b->kind, SPAN_KIND_SERVER);
	cr_expect_str_eq(b->name, "DNS A");
	cr_expect_eq(b->status, SPAN_STATUS_UNSET);
	cr_expect_str_eq(b->code, "NOERROR");
	cr_expect_eq(b->pid, TD_PID_SRV);
	cr_expect_eq(b->tid, 21);
	cr_expect_str_eq(sa_keys(&b->attrs), TD_KEYS_ANSWERED);
	td_expect_endpoints(b, "10.0.0.53", 53, "10.0.0.8", 41000);
	cr_expect(td_list_eq(b, "dns.answers", "10.2.2.2\0", 9));
	/* a server's span runs from the read's return to the write's call */
	cr_expect_eq(b->start_unix_ns, TD_T0 + 300 + TD_MONO_TO_UNIX);
	cr_expect_eq(b->end_unix_ns, TD_T0 + 1000 + TD_MONO_TO_UNIX);

	cr_expect_eq(a->kind, SPAN_KIND_SERVER);
	cr_expect_str_eq(a->name, "DNS A");
	cr_expect_str_eq(sa_keys(&a->attrs), TD_KEYS_ANSWERED);
	td_expect_endpoints(a, "10.0.0.53", 53, "10.0.0.7", 40000);
	cr_expect(td_list_eq(a, "dns.answers", "10.1.1.1\0", 9));
	cr_expect_eq(a->start_unix_ns, TD_T0 + 100 + TD_MONO_TO_UNIX);
	cr_expect_eq(a->end_unix_ns, TD_T0 + 2000 + TD_MONO_TO_UNIX);

	/* no client was seen: two separate traces, roots both */
	cr_expect_eq(a->has_parent, 0);
	cr_expect_eq(b->has_parent, 0);
	cr_expect(memcmp(a->trace_id, b->trace_id, 16) != 0);
	cr_expect(memcmp(a->span_id, b->span_id, 8) != 0);

	st = td_stats(t);
	cr_expect_eq(st.spans, 2);
	cr_expect_eq(st.conns_opened, 1);
	cr_expect_eq(st.parse_misses, 0);
	cr_expect_eq(st.record_gaps, 0);
	cr_expect_eq(tracer_conns_tracked(t), 1);
	tracer_free(t);
}

Test(tracer_dgram, server_two_clients_answered_in_reverse)
{
	td_server_two_clients(0x1111, 0x2222);
}

/* Two clients happening on one id: the peer, not the id alone, pairs. */
Test(tracer_dgram, server_two_clients_same_id_answered_in_reverse)
{
	td_server_two_clients(0x3333, 0x3333);
}

/* ---- rule 2: both ends of a lookup on one node ---- */

Test(tracer_dgram, client_and_server_join_by_rule_2)
{
	static struct td_sink sink;
	struct tracer *t = td_new(&sink);
	struct zt_conn_tuple cli = td_tuple("127.0.0.1", 40000, "127.0.0.1", 53);
	struct zt_conn_tuple srv = td_tuple("127.0.0.1", 53, "127.0.0.1", 40000);
	struct td_msg q = td_query(0xbeef, "svc.cluster.local", TD_TYPE_A);
	struct td_msg a = td_answer(0xbeef, "svc.cluster.local", "10.96.0.10");
	const struct span *c, *s;
	struct tracer_stats st;

	/* client sendto [1000,1100]; server recvfrom blocked since 900, returns
	 * 1200; server sendto [2000,2100]; client recvfrom since 1150, returns 2200 */
	td_dgram(t, &td_cli, ZT_DIR_EGRESS, &cli, TD_T0 + 1000, TD_T0 + 1100, &q);
	td_dgram(t, &td_srv, ZT_DIR_INGRESS, &srv, TD_T0 + 900, TD_T0 + 1200, &q);
	td_dgram(t, &td_srv, ZT_DIR_EGRESS, &srv, TD_T0 + 2000, TD_T0 + 2100, &a);
	cr_assert_eq(sink.n, 1);
	td_dgram(t, &td_cli, ZT_DIR_INGRESS, &cli, TD_T0 + 1150, TD_T0 + 2200, &a);
	cr_assert_eq(sink.n, 2);
	s = &sink.spans[0];
	c = &sink.spans[1];
	cr_assert_eq(s->kind, SPAN_KIND_SERVER);
	cr_assert_eq(c->kind, SPAN_KIND_CLIENT);
	cr_expect_eq(s->pid, TD_PID_SRV);
	cr_expect_eq(c->pid, TD_PID_CLI);
	td_expect_endpoints(s, "127.0.0.1", 53, "127.0.0.1", 40000);
	td_expect_endpoints(c, "127.0.0.1", 53, "127.0.0.1", 40000);
	cr_expect_str_eq(sa_str(&s->attrs, "dns.question.name"), "svc.cluster.local");
	cr_expect_str_eq(sa_str(&c->attrs, "dns.question.name"), "svc.cluster.local");

	cr_expect_eq(c->has_parent, 0);
	cr_expect_eq(s->has_parent, 1);
	cr_expect_arr_eq(s->trace_id, c->trace_id, 16);
	cr_expect_arr_eq(s->parent_span_id, c->span_id, 8);
	cr_expect(memcmp(s->span_id, c->span_id, 8) != 0);

	st = td_stats(t);
	cr_expect_eq(st.stitch.by_rule[STITCH_CONNECTION], 1);
	cr_expect_eq(st.stitch.by_rule[STITCH_NEW_TRACE], 1);
	cr_expect_eq(st.spans, 2);
	cr_expect_eq(st.conns_opened, 2);
	cr_expect_eq(st.record_gaps, 0);
	tracer_free(t);
}

/* The server socket's first datagram came from another client: the join
 * still goes by the joined lookup's own datagram. */
Test(tracer_dgram, server_socket_met_another_client_first_still_joins)
{
	static struct td_sink sink;
	struct tracer *t = td_new(&sink);
	struct zt_conn_tuple cli = td_tuple("127.0.0.1", 40000, "127.0.0.1", 53);
	struct zt_conn_tuple srv = td_tuple("127.0.0.1", 53, "127.0.0.1", 40000);
	struct zt_conn_tuple early = td_tuple("127.0.0.1", 53, "127.0.0.1", 45000);
	struct td_msg q0 = td_query(0x0001, "first.example", TD_TYPE_A);
	struct td_msg a0 = td_answer(0x0001, "first.example", "10.0.1.1");
	struct td_msg q = td_query(0xbeef, "svc.cluster.local", TD_TYPE_A);
	struct td_msg a = td_answer(0xbeef, "svc.cluster.local", "10.96.0.10");
	const struct span *c, *s;

	td_dgram(t, &td_srv, ZT_DIR_INGRESS, &early, TD_T0, TD_T0 + 100, &q0);
	td_dgram(t, &td_srv, ZT_DIR_EGRESS, &early, TD_T0 + 200, TD_T0 + 300, &a0);
	cr_assert_eq(sink.n, 1);
	td_expect_endpoints(&sink.spans[0], "127.0.0.1", 53, "127.0.0.1", 45000);
	td_dgram(t, &td_cli, ZT_DIR_EGRESS, &cli, TD_T0 + 1000, TD_T0 + 1100, &q);
	td_dgram(t, &td_srv, ZT_DIR_INGRESS, &srv, TD_T0 + 900, TD_T0 + 1200, &q);
	td_dgram(t, &td_srv, ZT_DIR_EGRESS, &srv, TD_T0 + 2000, TD_T0 + 2100, &a);
	td_dgram(t, &td_cli, ZT_DIR_INGRESS, &cli, TD_T0 + 1150, TD_T0 + 2200, &a);
	cr_assert_eq(sink.n, 3);
	s = &sink.spans[1];
	c = &sink.spans[2];
	cr_assert_eq(s->kind, SPAN_KIND_SERVER);
	cr_assert_eq(c->kind, SPAN_KIND_CLIENT);
	td_expect_endpoints(s, "127.0.0.1", 53, "127.0.0.1", 40000);
	cr_expect_eq(c->has_parent, 0);
	cr_expect_eq(s->has_parent, 1);
	cr_expect_arr_eq(s->trace_id, c->trace_id, 16);
	cr_expect_arr_eq(s->parent_span_id, c->span_id, 8);
	cr_expect_eq(sink.spans[0].has_parent, 0);
	cr_expect_eq(td_stats(t).stitch.by_rule[STITCH_CONNECTION], 1);
	tracer_free(t);
}

/* ---- how a pending query ends ---- */

/* The wait is CLOCK_MONOTONIC, the events' clock, and the tick gives it 1 s
 * more (the answer may still be in the reorder window): nothing at 5 s nor
 * at 6 s, the unanswered span just past 6 s, ending at 5 s, and nothing
 * more after. */
Test(tracer_dgram, unanswered_after_five_seconds)
{
	static struct td_sink sink;
	struct tracer *t = td_new(&sink);
	struct zt_conn_tuple tp = td_tuple("10.0.0.7", 40000, "10.0.0.53", 53);
	struct td_msg q = td_query(0x0777, "slow.example", TD_TYPE_A);
	struct td_msg a = td_answer(0x0777, "slow.example", "10.7.7.7");
	const struct span *s;
	struct tracer_stats st;

	td_dgram(t, &td_cli, ZT_DIR_EGRESS, &tp, TD_T0, TD_T0 + 1000, &q);
	tracer_tick(t, TD_T0 + TD_SEC, TD_MONO_TO_UNIX);
	cr_expect_eq(sink.n, 0);
	tracer_tick(t, TD_T0 + TD_WAIT, TD_MONO_TO_UNIX);
	cr_expect_eq(sink.n, 0, "unanswered at exactly 5 s");
	tracer_tick(t, TD_T0 + TD_WAIT + 1, TD_MONO_TO_UNIX);
	cr_expect_eq(sink.n, 0, "unanswered just past 5 s: the slack");
	tracer_tick(t, TD_T0 + TD_WAIT + TD_SLACK, TD_MONO_TO_UNIX);
	cr_expect_eq(sink.n, 0, "unanswered at exactly 6 s");
	cr_expect_eq(td_stats(t).proto_notes[ZT_PROTO_DNS][PROTO_NOTE_UNANSWERED], 0);
	tracer_tick(t, TD_T0 + TD_WAIT + TD_SLACK + 1, TD_MONO_TO_UNIX);
	cr_assert_eq(sink.n, 1);
	s = &sink.spans[0];
	td_expect_unanswered(s, SPAN_KIND_CLIENT, "slow.example", TD_TIMED_OUT);
	td_expect_endpoints(s, "10.0.0.53", 53, "10.0.0.7", 40000);
	cr_expect_eq(s->pid, TD_PID_CLI);
	cr_expect_eq(s->req_size, 30); /* 12 + 14 (name) + 4 */
	cr_expect_eq(s->start_unix_ns, TD_T0 + TD_MONO_TO_UNIX);
	cr_expect_eq(s->end_unix_ns, TD_T0 + TD_WAIT + TD_MONO_TO_UNIX);
	cr_expect_eq(s->has_parent, 0);
	st = td_stats(t);
	cr_expect_eq(st.proto_notes[ZT_PROTO_DNS][PROTO_NOTE_UNANSWERED], 1);
	cr_expect_eq(st.spans, 1);
	/* the socket lives on: only the query ended */
	cr_expect_eq(tracer_conns_tracked(t), 1);

	tracer_tick(t, TD_T0 + 2 * TD_WAIT, TD_MONO_TO_UNIX);
	cr_expect_eq(sink.n, 1);
	/* the answer too late pairs with nothing: a miss, not a second span */
	td_dgram(t, &td_cli, ZT_DIR_INGRESS, &tp, TD_T0 + 500, TD_T0 + 2 * TD_WAIT + 1, &a);
	cr_expect_eq(sink.n, 1);
	st = td_stats(t);
	cr_expect_eq(st.parse_misses, 1);
	cr_expect_eq(st.proto_misses[ZT_PROTO_DNS], 1);
	cr_expect_eq(st.proto_notes[ZT_PROTO_DNS][PROTO_NOTE_UNANSWERED], 1);
	tracer_free(t);
}

/* The slack's reason: a tick past 5 s by the clock, and then the answer
 * that came in time (read at exactly 5 s), fed late from the reorder
 * window, still pairs. */
Test(tracer_dgram, answer_in_the_reorder_window_still_pairs)
{
	static struct td_sink sink;
	struct tracer *t = td_new(&sink);
	struct zt_conn_tuple tp = td_tuple("10.0.0.7", 40000, "10.0.0.53", 53);
	struct td_msg q = td_query(0x0778, "late.example", TD_TYPE_A);
	struct td_msg a = td_answer(0x0778, "late.example", "10.7.7.8");
	const struct span *s;
	struct tracer_stats st;

	td_dgram(t, &td_cli, ZT_DIR_EGRESS, &tp, TD_T0, TD_T0 + 1000, &q);
	tracer_tick(t, TD_T0 + TD_WAIT + TD_SLACK / 2, TD_MONO_TO_UNIX);
	tracer_tick(t, TD_T0 + TD_WAIT + TD_SLACK, TD_MONO_TO_UNIX);
	cr_expect_eq(sink.n, 0);
	td_dgram(t, &td_cli, ZT_DIR_INGRESS, &tp, TD_T0 + 500, TD_T0 + TD_WAIT, &a);
	cr_assert_eq(sink.n, 1);
	s = &sink.spans[0];
	cr_expect_eq(s->status, SPAN_STATUS_UNSET);
	cr_expect_str_eq(s->code, "NOERROR");
	cr_expect_str_eq(sa_keys(&s->attrs), TD_KEYS_ANSWERED);
	cr_expect(td_list_eq(s, "dns.answers", "10.7.7.8\0", 9));
	cr_expect_eq(s->start_unix_ns, TD_T0 + TD_MONO_TO_UNIX);
	cr_expect_eq(s->end_unix_ns, TD_T0 + TD_WAIT + TD_MONO_TO_UNIX);
	st = td_stats(t);
	cr_expect_eq(st.proto_notes[ZT_PROTO_DNS][PROTO_NOTE_UNANSWERED], 0);
	cr_expect_eq(st.parse_misses, 0);
	/* answered: no tick ends it again */
	tracer_tick(t, TD_T0 + 3 * TD_WAIT, TD_MONO_TO_UNIX);
	cr_expect_eq(sink.n, 1);
	tracer_free(t);
}

/* A datagram socket's end is its process's exit: the pending query's span
 * at once, the connection gone. */
Test(tracer_dgram, process_exit_ends_the_socket)
{
	static struct td_sink sink;
	struct tracer *t = td_new(&sink);
	struct zt_conn_tuple tp = td_tuple("10.0.0.7", 40000, "10.0.0.53", 53);
	struct td_msg q = td_query(0x0808, "gone.example", TD_TYPE_A);
	const struct span *s;
	struct tracer_stats st;

	td_dgram(t, &td_cli, ZT_DIR_EGRESS, &tp, TD_T0, TD_T0 + 1000, &q);
	cr_assert_eq(tracer_conns_tracked(t), 1);
	td_exit(t, TD_PID_CLI, TD_T0 + TD_SEC);
	cr_assert_eq(sink.n, 1);
	s = &sink.spans[0];
	td_expect_unanswered(s, SPAN_KIND_CLIENT, "gone.example", TD_CLOSED);
	td_expect_endpoints(s, "10.0.0.53", 53, "10.0.0.7", 40000);
	cr_expect_eq(s->pid, TD_PID_CLI);
	/* ended with the socket: no wait to count, the span has no length */
	cr_expect_eq(s->start_unix_ns, TD_T0 + TD_MONO_TO_UNIX);
	cr_expect_eq(s->end_unix_ns, TD_T0 + TD_MONO_TO_UNIX);
	st = td_stats(t);
	cr_expect_eq(st.proto_notes[ZT_PROTO_DNS][PROTO_NOTE_UNANSWERED], 1);
	cr_expect_eq(st.spans, 1);
	cr_expect_eq(tracer_conns_tracked(t), 0);

	tracer_tick(t, TD_T0 + TD_WAIT + TD_SLACK + 1, TD_MONO_TO_UNIX);
	tracer_tick(t, TD_T0 + 3 * TD_WAIT, TD_MONO_TO_UNIX);
	cr_expect_eq(sink.n, 1);
	cr_expect_eq(td_stats(t).proto_notes[ZT_PROTO_DNS][PROTO_NOTE_UNANSWERED], 1);
	/* a second exit finds nothing */
	td_exit(t, TD_PID_CLI, TD_T0 + 4 * TD_WAIT);
	cr_expect_eq(sink.n, 1);
	tracer_free(t);
}

/* The server's socket too: its own pending query ends as a SERVER span. */
Test(tracer_dgram, process_exit_ends_a_server_socket)
{
	static struct td_sink sink;
	struct tracer *t = td_new(&sink);
	struct zt_conn_tuple tp = td_tuple("10.0.0.53", 53, "10.0.0.8", 41000);
	struct td_msg q = td_query(0x0909, "srv.example", TD_TYPE_A);
	const struct span *s;

	td_dgram(t, &td_srv, ZT_DIR_INGRESS, &tp, TD_T0, TD_T0 + 1000, &q);
	td_exit(t, TD_PID_SRV, TD_T0 + TD_SEC);
	cr_assert_eq(sink.n, 1);
	s = &sink.spans[0];
	td_expect_unanswered(s, SPAN_KIND_SERVER, "srv.example", TD_CLOSED);
	td_expect_endpoints(s, "10.0.0.53", 53, "10.0.0.8", 41000);
	cr_expect_eq(s->start_unix_ns, TD_T0 + 1000 + TD_MONO_TO_UNIX);
	cr_expect_eq(tracer_conns_tracked(t), 0);
	tracer_tick(t, TD_T0 + 2 * TD_WAIT, TD_MONO_TO_UNIX);
	cr_expect_eq(sink.n, 1);
	tracer_free(t);
}

/* Another process's exit is not this socket's end: the query waits its 5 s. */
Test(tracer_dgram, exit_of_another_pid_keeps_the_socket)
{
	static struct td_sink sink;
	struct tracer *t = td_new(&sink);
	struct zt_conn_tuple tp = td_tuple("10.0.0.7", 40000, "10.0.0.53", 53);
	struct td_msg q = td_query(0x0a0a, "kept.example", TD_TYPE_A);

	td_dgram(t, &td_cli, ZT_DIR_EGRESS, &tp, TD_T0, TD_T0 + 1000, &q);
	td_exit(t, TD_PID_OTHER, TD_T0 + TD_SEC);
	td_exit(t, TD_PID_SRV, TD_T0 + TD_SEC);
	cr_expect_eq(sink.n, 0);
	cr_expect_eq(tracer_conns_tracked(t), 1);
	cr_expect_eq(td_stats(t).proto_notes[ZT_PROTO_DNS][PROTO_NOTE_UNANSWERED], 0);
	tracer_tick(t, TD_T0 + TD_WAIT + TD_SLACK, TD_MONO_TO_UNIX);
	cr_expect_eq(sink.n, 0);
	tracer_tick(t, TD_T0 + TD_WAIT + TD_SLACK + 1, TD_MONO_TO_UNIX);
	cr_assert_eq(sink.n, 1);
	td_expect_unanswered(&sink.spans[0], SPAN_KIND_CLIENT, "kept.example", TD_TIMED_OUT);
	cr_expect_eq(sink.spans[0].end_unix_ns, TD_T0 + TD_WAIT + TD_MONO_TO_UNIX);
	cr_expect_eq(tracer_conns_tracked(t), 1);
	tracer_free(t);
}

/* Of two processes' sockets, an exit ends only its own. */
Test(tracer_dgram, exit_ends_only_its_own_sockets)
{
	static struct td_sink sink;
	struct tracer *t = td_new(&sink);
	struct zt_conn_tuple tp1 = td_tuple("10.0.0.7", 40000, "10.0.0.53", 53);
	struct zt_conn_tuple tp2 = td_tuple("10.0.0.9", 42000, "10.0.0.53", 53);
	struct td_sock other = { .conn_id = 7, .pid = TD_PID_OTHER, .tid = 71,
				 .role = ZT_ROLE_CLIENT, .fd = 5 };
	struct td_msg q1 = td_query(0x0b0b, "mine.example", TD_TYPE_A);
	struct td_msg q2 = td_query(0x0c0c, "theirs.example", TD_TYPE_A);

	td_dgram(t, &td_cli, ZT_DIR_EGRESS, &tp1, TD_T0, TD_T0 + 1000, &q1);
	td_dgram(t, &other, ZT_DIR_EGRESS, &tp2, TD_T0 + 10, TD_T0 + 1010, &q2);
	cr_assert_eq(tracer_conns_tracked(t), 2);
	td_exit(t, TD_PID_OTHER, TD_T0 + TD_SEC);
	cr_assert_eq(sink.n, 1);
	td_expect_unanswered(&sink.spans[0], SPAN_KIND_CLIENT, "theirs.example", TD_CLOSED);
	cr_expect_eq(sink.spans[0].pid, TD_PID_OTHER);
	cr_expect_eq(tracer_conns_tracked(t), 1);
	tracer_tick(t, TD_T0 + TD_WAIT + TD_SLACK + 1, TD_MONO_TO_UNIX);
	cr_assert_eq(sink.n, 2);
	td_expect_unanswered(&sink.spans[1], SPAN_KIND_CLIENT, "mine.example", TD_TIMED_OUT);
	cr_expect_eq(sink.spans[1].pid, TD_PID_CLI);
	cr_expect_eq(td_stats(t).proto_notes[ZT_PROTO_DNS][PROTO_NOTE_UNANSWERED], 2);
	tracer_free(t);
}

/* close() of the socket by its process ends it; another process closing
 * its copy does not. */
Test(tracer_dgram, close_ends_the_socket)
{
	static struct td_sink sink;
	struct tracer *t = td_new(&sink);
	struct zt_conn_tuple tp = td_tuple("10.0.0.7", 40000, "10.0.0.53", 53);
	struct td_msg q = td_query(0x0d0d, "closed.example", TD_TYPE_A);
	const struct span *s;

	td_dgram(t, &td_cli, ZT_DIR_EGRESS, &tp, TD_T0, TD_T0 + 1000, &q);
	td_close(t, &td_cli, TD_PID_OTHER, TD_T0 + 100);
	cr_expect_eq(sink.n, 0);
	cr_expect_eq(tracer_conns_tracked(t), 1);
	td_close(t, &td_cli, TD_PID_CLI, TD_T0 + TD_SEC);
	cr_assert_eq(sink.n, 1);
	s = &sink.spans[0];
	td_expect_unanswered(s, SPAN_KIND_CLIENT, "closed.example", TD_CLOSED);
	td_expect_endpoints(s, "10.0.0.53", 53, "10.0.0.7", 40000);
	cr_expect_eq(s->start_unix_ns, TD_T0 + TD_MONO_TO_UNIX);
	cr_expect_eq(s->end_unix_ns, TD_T0 + TD_MONO_TO_UNIX);
	cr_expect_eq(td_stats(t).proto_notes[ZT_PROTO_DNS][PROTO_NOTE_UNANSWERED], 1);
	cr_expect_eq(tracer_conns_tracked(t), 0);
	tracer_tick(t, TD_T0 + TD_WAIT + TD_SLACK + 1, TD_MONO_TO_UNIX);
	td_exit(t, TD_PID_CLI, TD_T0 + 2 * TD_WAIT);
	cr_expect_eq(sink.n, 1);
	cr_expect_eq(td_stats(t).spans, 1);
	tracer_free(t);
}

/* A socket with nothing pending ends quietly, by exit or close. */
Test(tracer_dgram, idle_socket_ends_without_a_span)
{
	static struct td_sink sink;
	struct tracer *t = td_new(&sink);
	struct zt_conn_tuple tp = td_tuple("10.0.0.7", 40000, "10.0.0.53", 53);
	struct td_msg q = td_query(0x0e0e, "done.example", TD_TYPE_A);
	struct td_msg a = td_answer(0x0e0e, "done.example", "10.14.14.14");

	td_dgram(t, &td_cli, ZT_DIR_EGRESS, &tp, TD_T0, TD_T0 + 1000, &q);
	td_dgram(t, &td_cli, ZT_DIR_INGRESS, &tp, TD_T0 + 500, TD_T0 + 2000, &a);
	cr_assert_eq(sink.n, 1);
	td_exit(t, TD_PID_CLI, TD_T0 + TD_SEC);
	cr_expect_eq(sink.n, 1);
	cr_expect_eq(tracer_conns_tracked(t), 0);
	cr_expect_eq(td_stats(t).proto_notes[ZT_PROTO_DNS][PROTO_NOTE_UNANSWERED], 0);
	tracer_free(t);
}

/* The exit ends datagram sockets only: DNS over TCP ends with its close
 * (the kernel reports TCP_CLOSE when the exit closes it). */
Test(tracer_dgram, exit_leaves_dns_over_tcp_to_its_close)
{
	static struct td_sink sink;
	struct tracer *t = td_new(&sink);
	struct zt_conn_tuple tp = td_tuple("10.0.0.7", 40000, "10.0.0.53", 53);
	struct td_msg q = td_query(0x0f0f, "tcp.example", TD_TYPE_A);
	struct td_msg framed = { .n = 0 };

	tp.transport = IPPROTO_TCP;
	td_u16(&framed, (uint16_t)q.n);
	td_put(&framed, q.b, q.n);
	td_dgram(t, &td_cli, ZT_DIR_EGRESS, &tp, TD_T0, TD_T0 + 1000, &framed);
	td_exit(t, TD_PID_CLI, TD_T0 + TD_SEC);
	cr_expect_eq(sink.n, 0);
	cr_expect_eq(tracer_conns_tracked(t), 1);
	td_close(t, &td_cli, TD_PID_CLI, TD_T0 + 2 * TD_SEC);
	cr_assert_eq(sink.n, 1);
	td_expect_unanswered_on(&sink.spans[0], SPAN_KIND_CLIENT, "tcp.example", "tcp", TD_CLOSED);
	cr_expect_eq(tracer_conns_tracked(t), 0);
	tracer_free(t);
}
