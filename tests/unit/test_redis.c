// SPDX-License-Identifier: MIT
/*
 * user/proto/redis/redis.c through the protocol interface: commands and
 * replies as a client and a server write them, exact exchanges out.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "span_attrs_check.h"

extern const struct proto proto_redis;

#define RD_MAX 64

struct rd_ex {
	uint32_t key;
	uint8_t has_response, status;
	uint64_t start, end, req_size, resp_size;
	char name[SPAN_NAME_MAX], code[SPAN_CODE_MAX], msg[SPAN_STATUS_MSG_MAX];
	char op[64], query[256], ns[16], status_code[32], system[16];
	uint8_t endpoints_at, family;
	char label0[32], label1[32];
};

struct rd_fix {
	_Alignas(16) uint8_t state[PROTO_STATE_MAX];
	struct rd_ex ex[RD_MAX];
	uint32_t n_ex, n_req, n_abandon, n_push, keys[RD_MAX];
	struct proto_sink sink;
	uint64_t tag;
};

static void rd_request(void *ctx, const struct proto_request *r)
{
	struct rd_fix *f = ctx;

	cr_assert_lt(f->n_req, RD_MAX);
	cr_assert_neq(r->key, 0);
	f->keys[f->n_req++] = r->key;
}

static void rd_exchange(void *ctx, struct proto_exchange *x)
{
	struct rd_fix *f = ctx;
	struct rd_ex *e;

	cr_assert_lt(f->n_ex, RD_MAX);
	cr_assert_eq(x->attrs.overflow, 0);
	e = &f->ex[f->n_ex++];
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
	sa_text(&x->attrs, "db.operation.name", e->op, sizeof(e->op), NULL);
	sa_text(&x->attrs, "db.query.text", e->query, sizeof(e->query), NULL);
	sa_text(&x->attrs, "db.namespace", e->ns, sizeof(e->ns), NULL);
	sa_text(&x->attrs, "db.response.status_code", e->status_code, sizeof(e->status_code), NULL);
	sa_text(&x->attrs, "db.system.name", e->system, sizeof(e->system), NULL);
	e->family = x->metric.family;
	snprintf(e->label0, sizeof(e->label0), "%s", span_metric_label(&x->metric, 0));
	snprintf(e->label1, sizeof(e->label1), "%s", span_metric_label(&x->metric, 1));
}

static void rd_abandon(void *ctx, uint32_t key)
{
	struct rd_fix *f = ctx;

	(void)key;
	f->n_abandon++;
}

static void rd_note(void *ctx, enum proto_note n)
{
	struct rd_fix *f = ctx;

	if (n == PROTO_NOTE_PUSH)
		f->n_push++;
}

static struct rd_fix *rd_new(uint8_t kind)
{
	static struct rd_fix f;

	memset(&f, 0, sizeof(f));
	f.sink = (struct proto_sink){ .ctx = &f, .kind = kind, .request = rd_request,
				      .exchange = rd_exchange, .abandon = rd_abandon,
				      .note = rd_note };
	cr_assert_leq(proto_redis.state_size, PROTO_STATE_MAX);
	proto_redis.init(f.state);
	return &f;
}

/* One syscall's bytes, all copied, or the first `cap` of `total`. */
static unsigned int rd_feed_part(struct rd_fix *f, enum proto_side side, const char *s,
				 size_t cap, uint64_t total)
{
	struct proto_seg seg = { .off = 0, .len = cap, .data = (const uint8_t *)s, .cap = (uint32_t)cap };
	struct proto_chunk c = { .side = side, .tag = ++f->tag, .total = total, .segs = &seg,
				 .nsegs = cap ? 1 : 0 };

	return proto_redis.feed(f->state, &c, &f->sink);
}

static unsigned int rd_feed(struct rd_fix *f, enum proto_side side, const char *s)
{
	return rd_feed_part(f, side, s, strlen(s), strlen(s));
}

#define REQ PROTO_SIDE_REQUEST
#define RESP PROTO_SIDE_RESPONSE

Test(redis, get_and_set_exact)
{
	struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);

	cr_assert_eq(rd_feed(f, REQ, "*3\r\n$3\r\nSET\r\n$8\r\nuser:123\r\n$6\r\nsecret\r\n"), 0);
	cr_assert_eq(rd_feed(f, RESP, "+OK\r\n"), 0);
	cr_assert_eq(rd_feed(f, REQ, "*2\r\n$3\r\nget\r\n$3\r\nfoo\r\n"), 0);
	cr_assert_eq(rd_feed(f, RESP, "$5\r\nhello\r\n"), 0);
	cr_assert_eq(f->n_ex, 2);
	cr_assert_eq(f->n_req, 2);
	cr_expect_str_eq(f->ex[0].name, "SET user:{id}");
	cr_expect_str_eq(f->ex[0].op, "SET");
	cr_expect_str_eq(f->ex[0].query, "SET user:123 ?");
	cr_expect_str_eq(f->ex[0].system, "redis");
	cr_expect_str_eq(f->ex[0].ns, "0");
	cr_expect_str_eq(f->ex[0].status_code, "<absent>");
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_UNSET);
	cr_expect_eq(f->ex[0].has_response, 1);
	cr_expect_eq(f->ex[0].start, 1);
	cr_expect_eq(f->ex[0].end, 2);
	cr_expect_eq(f->ex[0].req_size, 39);
	cr_expect_eq(f->ex[0].resp_size, 5);
	cr_expect_eq(f->ex[0].key, f->keys[0]);
	cr_expect_eq(f->ex[0].endpoints_at, 4);
	cr_expect_eq(f->ex[0].family, METRIC_DB_CLIENT);
	cr_expect_str_eq(f->ex[0].label0, "redis");
	cr_expect_str_eq(f->ex[0].label1, "SET");
	cr_expect_str_eq(f->ex[1].name, "GET");
	cr_expect_str_eq(f->ex[1].query, "GET foo");
	cr_expect_eq(f->ex[1].resp_size, 11);
}

Test(redis, server_side_family)
{
	struct rd_fix *f = rd_new(SPAN_KIND_SERVER);

	rd_feed(f, REQ, "*1\r\n$4\r\nPING\r\n");
	rd_feed(f, RESP, "+PONG\r\n");
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].family, METRIC_DB_SERVER);
	cr_expect_str_eq(f->ex[0].query, "PING");
}

Test(redis, pipeline_of_sixteen_pairs_in_order)
{
	struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);
	char req[2048] = "", resp[1024] = "";

	for (int i = 0; i < 16; i++) {
		char one[64];

		snprintf(one, sizeof(one), "*2\r\n$4\r\nINCR\r\n$6\r\nkey:%02d\r\n", i);
		strcat(req, one);
		snprintf(one, sizeof(one), ":%d\r\n", i + 100);
		strcat(resp, one);
	}
	cr_assert_eq(rd_feed(f, REQ, req), 0);
	cr_assert_eq(f->n_req, 16);
	cr_assert_eq(rd_feed(f, RESP, resp), 0);
	cr_assert_eq(f->n_ex, 16);
	for (int i = 0; i < 16; i++) {
		char q[32];

		snprintf(q, sizeof(q), "INCR key:%02d", i);
		cr_expect_str_eq(f->ex[i].query, q);
		cr_expect_eq(f->ex[i].key, f->keys[i]);
		cr_expect_str_eq(f->ex[i].name, "INCR key:{id}");
	}
}

Test(redis, inline_commands)
{
	struct rd_fix *f = rd_new(SPAN_KIND_SERVER);

	rd_feed(f, REQ, "PING\r\nPING\r\n");
	rd_feed(f, RESP, "+PONG\r\n+PONG\r\n");
	cr_assert_eq(f->n_ex, 2);
	cr_expect_str_eq(f->ex[1].op, "PING");
	cr_expect_eq(f->ex[1].req_size, 6);
}

Test(redis, error_reply)
{
	struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);

	rd_feed(f, REQ, "*3\r\n$5\r\nLPUSH\r\n$1\r\ns\r\n$1\r\nx\r\n");
	rd_feed(f, RESP, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_ERROR);
	cr_expect_str_eq(f->ex[0].code, "WRONGTYPE");
	cr_expect_str_eq(f->ex[0].status_code, "WRONGTYPE");
	cr_expect_str_eq(f->ex[0].msg, "WRONGTYPE Operation against a key holding the wrong kind of value");
	cr_expect_eq(f->ex[0].endpoints_at, 4);
}

Test(redis, credentials_never_kept)
{
	struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);

	rd_feed(f, REQ, "*2\r\n$4\r\nAUTH\r\n$9\r\ns3cret-pw\r\n");
	rd_feed(f, RESP, "+OK\r\n");
	rd_feed(f, REQ, "*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$3\r\nbob\r\n$9\r\ns3cret-pw\r\n");
	rd_feed(f, RESP, "%1\r\n+server\r\n+redis\r\n");
	rd_feed(f, REQ, "*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$11\r\nrequirepass\r\n$9\r\ns3cret-pw\r\n");
	rd_feed(f, RESP, "+OK\r\n");
	rd_feed(f, REQ, "AUTH s3cret-pw\r\n");
	rd_feed(f, RESP, "+OK\r\n");
	cr_assert_eq(f->n_ex, 4);
	cr_expect_str_eq(f->ex[0].query, "AUTH ?");
	cr_expect_str_eq(f->ex[1].query, "HELLO ? ? ? ?");
	cr_expect_str_eq(f->ex[2].query, "CONFIG SET ? ?");
	cr_expect_str_eq(f->ex[2].op, "CONFIG SET");
	cr_expect_str_eq(f->ex[3].query, "AUTH ?");
	for (uint32_t i = 0; i < f->n_ex; i++) {
		cr_expect_null(strstr(f->ex[i].name, "s3cret"));
		cr_expect_null(strstr(f->ex[i].query, "s3cret"));
	}
}

Test(redis, select_sets_namespace)
{
	struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);

	rd_feed(f, REQ, "*2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
	rd_feed(f, RESP, "+OK\r\n$-1\r\n");
	rd_feed(f, REQ, "*2\r\n$6\r\nSELECT\r\n$2\r\n99\r\n");
	rd_feed(f, RESP, "-ERR DB index is out of range\r\n");
	rd_feed(f, REQ, "*1\r\n$4\r\nPING\r\n");
	rd_feed(f, RESP, "+PONG\r\n");
	cr_assert_eq(f->n_ex, 4);
	cr_expect_str_eq(f->ex[0].ns, "0");
	cr_expect_str_eq(f->ex[1].ns, "5");
	cr_expect_str_eq(f->ex[2].status_code, "ERR");
	cr_expect_str_eq(f->ex[3].ns, "5");
}

Test(redis, multi_exec)
{
	struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);

	rd_feed(f, REQ, "*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n*2\r\n$4\r\nINCR\r\n$1\r\nb\r\n*1\r\n$4\r\nEXEC\r\n");
	rd_feed(f, RESP, "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n:1\r\n");
	cr_assert_eq(f->n_ex, 4);
	cr_expect_str_eq(f->ex[0].op, "MULTI");
	cr_expect_str_eq(f->ex[1].op, "INCR");
	cr_expect_str_eq(f->ex[3].op, "EXEC");
	cr_expect_eq(f->ex[3].resp_size, 12);
}

Test(redis, resp2_pubsub_is_not_paired)
{
	struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);

	rd_feed(f, REQ, "*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n");
	rd_feed(f, RESP, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n");
	rd_feed(f, RESP, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n");
	rd_feed(f, REQ, "*1\r\n$4\r\nPING\r\n");
	rd_feed(f, RESP, "*3\r\n$7\r\nmessage\r\n$1\r\nb\r\n$2\r\nyo\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n");
	rd_feed(f, REQ, "*1\r\n$11\r\nUNSUBSCRIBE\r\n");
	rd_feed(f, RESP, "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n");
	rd_feed(f, REQ, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
	rd_feed(f, RESP, "*3\r\n$7\r\nmessage\r\n$1\r\nx\r\n$1\r\ny\r\n");
	cr_assert_eq(f->n_ex, 4);
	cr_expect_str_eq(f->ex[0].op, "SUBSCRIBE");
	cr_expect_str_eq(f->ex[1].op, "PING");
	cr_expect_eq(f->ex[1].resp_size, 20);
	cr_expect_str_eq(f->ex[2].op, "UNSUBSCRIBE");
	/* not subscribed any more: a reply that looks like a message is GET's */
	cr_expect_str_eq(f->ex[3].op, "GET");
	/* b's confirmation, two messages, b's unsubscribe confirmation */
	cr_expect_eq(f->n_push, 4);
	cr_expect_eq(f->n_abandon, 0);
}

Test(redis, resp3_push_is_not_paired)
{
	struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);

	rd_feed(f, REQ, "*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n");
	rd_feed(f, RESP, ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
	rd_feed(f, REQ, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
	rd_feed(f, RESP, ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nz\r\n$1\r\nv\r\n");
	cr_assert_eq(f->n_ex, 2);
	cr_expect_str_eq(f->ex[0].op, "SUBSCRIBE");
	cr_expect_str_eq(f->ex[1].op, "GET");
	cr_expect_eq(f->ex[1].resp_size, 7);
	cr_expect_eq(f->n_push, 1);
}

Test(redis, monitor_stream_is_not_paired)
{
	struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);

	rd_feed(f, REQ, "*1\r\n$7\r\nMONITOR\r\n");
	rd_feed(f, RESP, "+OK\r\n+1700000000.1 [0 127.0.0.1:1] \"GET\" \"k\"\r\n+1700000000.2 [0 127.0.0.1:1] \"PING\"\r\n");
	cr_assert_eq(f->n_ex, 1);
	cr_expect_str_eq(f->ex[0].op, "MONITOR");
	cr_expect_eq(f->n_push, 2);
}

Test(redis, client_reply_off_commands_end_unanswered)
{
	struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);

	rd_feed(f, REQ, "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n"
			"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\n");
	rd_feed(f, RESP, "+OK\r\n");
	cr_assert_eq(f->n_ex, 3);
	cr_expect_eq(f->ex[0].has_response, 0);
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_UNSET);
	cr_expect_str_eq(f->ex[1].op, "INCR");
	cr_expect_eq(f->ex[1].has_response, 0);
	cr_expect_str_eq(f->ex[2].op, "CLIENT REPLY");
	cr_expect_eq(f->ex[2].has_response, 1);
}

Test(redis, close_reports_unanswered_as_errors)
{
	struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);

	rd_feed(f, REQ, "*2\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n");
	proto_redis.close(f->state, &f->sink);
	cr_assert_eq(f->n_ex, 1);
	cr_expect_eq(f->ex[0].has_response, 0);
	cr_expect_eq(f->ex[0].status, SPAN_STATUS_ERROR);
	cr_expect_str_eq(f->ex[0].msg, "connection closed before a reply");
}

Test(redis, big_value_gap_inside_bulk_keeps_pairing)
{
	struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);
	const char *head = "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$100000\r\nxxxx";

	rd_feed_part(f, REQ, head, strlen(head), strlen(head) - 4 + 100000 + 2);
	rd_feed(f, RESP, "+OK\r\n");
	rd_feed(f, REQ, "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n");
	rd_feed_part(f, RESP, "$100000\r\nxxxx", 13, 9 + 100000 + 2);
	cr_assert_eq(f->n_ex, 2);
	cr_expect_str_eq(f->ex[0].query, "SET big ?");
	cr_expect_eq(f->ex[0].req_size, strlen(head) - 4 + 100002);
	cr_expect_eq(f->ex[1].resp_size, 100011);
	cr_expect_eq(f->n_abandon, 0);
}

Test(redis, lost_framing_abandons_then_resyncs_at_the_next_turn)
{
	struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);
	char req[512] = "", resp[512] = "";

	for (int i = 0; i < 4; i++)
		strcat(req, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
	for (int i = 0; i < 4; i++)
		strcat(resp, "*2\r\n:1\r\n:2\r\n");
	rd_feed(f, REQ, req);
	/* the reply write was cut where framing is read */
	cr_expect_gt(rd_feed_part(f, RESP, resp, 10, strlen(resp)), 0);
	cr_expect_eq(f->n_ex, 0);
	cr_expect_eq(f->n_abandon, 4);
	/* a leftover reply, then a new turn pairs again */
	rd_feed(f, RESP, "+junk\r\n");
	rd_feed(f, REQ, "*1\r\n$4\r\nPING\r\n");
	rd_feed(f, RESP, "+PONG\r\n");
	cr_assert_eq(f->n_ex, 1);
	cr_expect_str_eq(f->ex[0].op, "PING");
}

Test(redis, reply_to_nothing_is_a_miss)
{
	struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);

	cr_expect_eq(rd_feed(f, RESP, "+OK\r\n"), 1);
	cr_expect_eq(f->n_ex, 0);
}

Test(redis, every_split_gives_the_same_exchanges)
{
	const char *req = "*3\r\n$3\r\nSET\r\n$5\r\nk:123\r\n$2\r\nvv\r\nPING\r\n*2\r\n$3\r\nGET\r\n$5\r\nk:123\r\n";
	const char *resp = "+OK\r\n+PONG\r\n$2\r\nvv\r\n";
	size_t nq = strlen(req), np = strlen(resp);

	for (size_t a = 0; a <= nq; a++) {
		for (size_t b = 0; b <= np; b++) {
			struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);

			rd_feed_part(f, REQ, req, a, a);
			rd_feed_part(f, REQ, req + a, nq - a, nq - a);
			rd_feed_part(f, RESP, resp, b, b);
			rd_feed_part(f, RESP, resp + b, np - b, np - b);
			cr_assert_eq(f->n_ex, 3, "split %zu/%zu", a, b);
			cr_assert_str_eq(f->ex[0].query, "SET k:123 ?");
			cr_assert_str_eq(f->ex[1].query, "PING");
			cr_assert_str_eq(f->ex[2].query, "GET k:123");
			cr_assert_eq(f->ex[2].resp_size, 8);
		}
	}
}

Test(redis, too_many_in_flight_abandons_the_oldest)
{
	struct rd_fix *f = rd_new(SPAN_KIND_CLIENT);

	for (int i = 0; i < 40; i++)
		rd_feed(f, REQ, "*1\r\n$4\r\nPING\r\n");
	cr_expect_eq(f->n_abandon, 8);
	cr_expect_eq(f->n_req, 40);
}
