// SPDX-License-Identifier: MIT
/*
 * Redis behind the protocol interface. Commands and replies pair in order
 * (RESP has no request ids); what answers no command is kept out of that
 * order and counted: RESP3 pushes, pub/sub messages and the extra
 * (un)subscribe confirmations of RESP2, a MONITOR stream.
 *
 * Where a gap hides framing (a write larger than the kernel copied, bytes
 * the ring buffer dropped), what was in flight can no longer be paired:
 * those requests are abandoned (counted) and both directions wait for the
 * next turn -- the server has spoken since, then a write of the client
 * starts a command -- rather than pair a reply with the wrong command.
 *
 * Credentials never reach a span: the query text keeps the command (and
 * its subcommand for container commands like CONFIG) and a key only for
 * commands known to take one first; every other argument is '?'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "redis_wire.h"
#include "resp.h"
#include "route.h"

#define REDIS_PENDING 32     /* commands in flight per connection */
#define REDIS_OP_MAX 32
#define REDIS_NAME_MAX 96
#define REDIS_QUERY_MAX 160
#define REDIS_NS_MAX 8
#define REDIS_QMARKS_MAX 16  /* '?' written for the arguments; more are left out */

enum redis_cmd_flags {
	REDIS_CMD_SELECT = 0x01,    /* changes db.namespace when it succeeds */
	REDIS_CMD_SUBSCRIBE = 0x02, /* one confirmation per channel */
	REDIS_CMD_MONITOR = 0x04,   /* the server streams after its +OK */
	REDIS_CMD_RESET = 0x08,     /* back to db 0, no subscription, no MONITOR */
	REDIS_CMD_NO_REPLY = 0x10,  /* sent under CLIENT REPLY OFF/SKIP */
	REDIS_CMD_REPLY_OFF = 0x20, /* CLIENT REPLY OFF */
	REDIS_CMD_REPLY_SKIP = 0x40,/* CLIENT REPLY SKIP */
	REDIS_CMD_REPLY_ON = 0x80,  /* CLIENT REPLY ON */
};

struct redis_req {
	uint32_t seq;
	uint16_t channels;       /* SUBSCRIBE-like: confirmations expected */
	uint8_t flags;           /* enum redis_cmd_flags */
	uint64_t start_tag;
	uint64_t end_tag;
	uint64_t bytes;
	char op[REDIS_OP_MAX];   /* db.operation.name */
	char name[REDIS_NAME_MAX];
	char query[REDIS_QUERY_MAX];
	char arg[REDIS_NS_MAX];  /* SELECT's index */
};

struct redis_state {
	struct resp_reader req;
	struct resp_reader resp;
	struct redis_req pending[REDIS_PENDING]; /* ring, oldest at head */
	uint32_t head;
	uint32_t count;
	uint32_t next_seq;
	uint32_t swallow;        /* (un)subscribe confirmations owed to a paired command */
	uint8_t subscribed;      /* RESP2 subscribed mode: messages are arrays */
	uint8_t monitor;         /* every reply is a MONITOR line */
	uint8_t reply_off;       /* CLIENT REPLY OFF: commands get no reply */
	uint8_t skip_next;       /* CLIENT REPLY SKIP: the next command gets none */
	uint8_t desync;          /* framing lost: waiting for the next turn */
	uint8_t spoke;           /* the server wrote since the loss */
	char ns[REDIS_NS_MAX];   /* db.namespace: the index SELECT chose */
};

_Static_assert(sizeof(struct redis_state) <= PROTO_STATE_MAX, "redis state fits a slot");
_Static_assert(REDIS_PENDING <= PROTO_INFLIGHT_MAX, "pending commands have distinct keys");

/* What a feed's callbacks need. */
struct redis_run {
	struct redis_state *s;
	const struct proto_sink *k;
	unsigned int misses;
};

/* Commands whose first key is their first argument (sorted: bsearch). */
static const char *const redis_key_first[] = {
	"APPEND", "BITCOUNT", "BITFIELD", "BITFIELD_RO", "BITPOS", "BLMOVE", "BLPOP", "BRPOP",
	"BRPOPLPUSH", "BZPOPMAX", "BZPOPMIN", "COPY", "DECR", "DECRBY", "DEL", "DUMP", "EXISTS",
	"EXPIRE", "EXPIREAT", "EXPIRETIME", "GEOADD", "GEODIST", "GEOHASH", "GEOPOS", "GEORADIUS",
	"GEORADIUSBYMEMBER", "GEOSEARCH", "GEOSEARCHSTORE", "GET", "GETBIT", "GETDEL", "GETEX",
	"GETRANGE", "GETSET", "HDEL", "HEXISTS", "HGET", "HGETALL", "HINCRBY", "HINCRBYFLOAT",
	"HKEYS", "HLEN", "HMGET", "HMSET", "HRANDFIELD", "HSCAN", "HSET", "HSETNX", "HSTRLEN",
	"HVALS", "INCR", "INCRBY", "INCRBYFLOAT", "LINDEX", "LINSERT", "LLEN", "LMOVE", "LPOP",
	"LPOS", "LPUSH", "LPUSHX", "LRANGE", "LREM", "LSET", "LTRIM", "MGET", "MOVE", "MSET",
	"MSETNX", "PERSIST", "PEXPIRE", "PEXPIREAT", "PEXPIRETIME", "PFADD", "PFCOUNT", "PFMERGE",
	"PSETEX", "PTTL", "RENAME", "RENAMENX", "RESTORE", "RPOP", "RPOPLPUSH", "RPUSH", "RPUSHX",
	"SADD", "SCARD", "SDIFF", "SDIFFSTORE", "SET", "SETBIT", "SETEX", "SETNX", "SETRANGE",
	"SINTER", "SINTERSTORE", "SISMEMBER", "SMEMBERS", "SMISMEMBER", "SMOVE", "SORT", "SORT_RO",
	"SPOP", "SRANDMEMBER", "SREM", "SSCAN", "STRLEN", "SUBSTR", "SUNION", "SUNIONSTORE",
	"TOUCH", "TTL", "TYPE", "UNLINK", "WATCH", "XACK", "XADD", "XAUTOCLAIM", "XCLAIM", "XDEL",
	"XLEN", "XPENDING", "XRANGE", "XREVRANGE", "XSETID", "XTRIM", "ZADD", "ZCARD", "ZCOUNT",
	"ZDIFFSTORE", "ZINCRBY", "ZINTERSTORE", "ZLEXCOUNT", "ZMSCORE", "ZPOPMAX", "ZPOPMIN",
	"ZRANDMEMBER", "ZRANGE", "ZRANGEBYLEX", "ZRANGEBYSCORE", "ZRANGESTORE", "ZRANK", "ZREM",
	"ZREMRANGEBYLEX", "ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREVRANGE", "ZREVRANGEBYLEX",
	"ZREVRANGEBYSCORE", "ZREVRANK", "ZSCAN", "ZSCORE", "ZUNIONSTORE",
};

/* Commands whose first argument is a subcommand, part of the operation. */
static const char *const redis_containers[] = {
	"ACL", "CLIENT", "CLUSTER", "COMMAND", "CONFIG", "DEBUG", "FUNCTION", "LATENCY",
	"MEMORY", "MODULE", "OBJECT", "PUBSUB", "SCRIPT", "SLOWLOG", "XGROUP", "XINFO",
};

static int redis_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int redis_in(const char *op, const char *const *list, size_t n)
{
	return bsearch(&op, list, n, sizeof(list[0]), redis_cmp) != NULL;
}

#define REDIS_IN(op, list) redis_in((op), (list), sizeof(list) / sizeof((list)[0]))

/* Upper-cased copy of a command word (ASCII), cut to fit. */
static void redis_upper(char *out, size_t cap, const char *p, size_t n)
{
	if (n > cap - 1)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (p[i] >= 'a' && p[i] <= 'z') ? (char)(p[i] - 'a' + 'A') : p[i];
	out[n] = '\0';
}

/* Appends s (n bytes) at *o in dst[cap], cut to fit; dst stays terminated. */
static void redis_cat(char *dst, size_t cap, size_t *o, const char *s, size_t n)
{
	if (*o >= cap - 1)
		return;
	if (n > cap - 1 - *o)
		n = cap - 1 - *o;
	memcpy(dst + *o, s, n);
	*o += n;
	dst[*o] = '\0';
}

static int redis_is(const struct resp_msg *m, uint32_t i, const char *lit)
{
	char up[RESP_KEEP_MAX];

	if (i >= m->nkept)
		return 0;
	redis_upper(up, sizeof(up), m->keep[i], m->keep_len[i]);
	return !strcmp(up, lit);
}

/* A key's shape: segments split at ':' that are ids (digits, UUIDs, long
 * hex, as in routes) become "{id}", so "user:1234" names "user:{id}". */
static int redis_key_template(const char *key, size_t n, char *out, size_t cap)
{
	char seg[RESP_KEEP_MAX + 2], tmpl[RESP_KEEP_MAX + 8];
	size_t o = 0, i = 0;
	int changed = 0;

	while (i <= n && o < cap - 1) {
		size_t j = i, len;

		while (j < n && key[j] != ':')
			j++;
		len = j - i;
		seg[0] = '/';
		memcpy(seg + 1, key + i, len);
		route_template(seg, len + 1, tmpl, sizeof(tmpl));
		changed |= strcmp(tmpl + 1, "{id}") == 0 && len;
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? ":" : "", tmpl + 1);
		if (j >= n)
			break;
		i = j + 1;
	}
	return changed;
}

/* The pending entry for a command just read (its op, name, query text). */
static void redis_describe(const struct resp_msg *m, struct redis_req *q)
{
	char word[REDIS_OP_MAX], keyname[REDIS_NAME_MAX];
	uint32_t first_arg = 1, key_at = 0, qmarks;
	size_t o, n;

	redis_upper(word, sizeof(word), m->keep[0], m->keep_len[0]);
	o = 0;
	redis_cat(q->op, sizeof(q->op), &o, word, strlen(word));
	if (REDIS_IN(word, redis_containers) && m->nkept > 1) {
		char sub[REDIS_OP_MAX];

		redis_upper(sub, sizeof(sub), m->keep[1], m->keep_len[1]);
		redis_cat(q->op, sizeof(q->op), &o, " ", 1);
		redis_cat(q->op, sizeof(q->op), &o, sub, strlen(sub));
		first_arg = 2;
		if (!strcmp(word, "OBJECT") || !strcmp(word, "XINFO") || !strcmp(word, "XGROUP") ||
		    (!strcmp(word, "MEMORY") && !strcmp(sub, "USAGE")))
			key_at = 2;
		if (!strcmp(word, "CLIENT") && !strcmp(sub, "REPLY") && m->nkept > 2) {
			if (redis_is(m, 2, "OFF"))
				q->flags |= REDIS_CMD_REPLY_OFF;
			else if (redis_is(m, 2, "SKIP"))
				q->flags |= REDIS_CMD_REPLY_SKIP;
			else if (redis_is(m, 2, "ON"))
				q->flags |= REDIS_CMD_REPLY_ON;
		}
	} else if (REDIS_IN(word, redis_key_first)) {
		key_at = 1;
	}
	if (!strcmp(word, "SELECT") && m->nkept > 1 && m->keep_len[1] < sizeof(q->arg)) {
		q->flags |= REDIS_CMD_SELECT;
		memcpy(q->arg, m->keep[1], m->keep_len[1] + 1u);
	}
	if (!strcmp(word, "SUBSCRIBE") || !strcmp(word, "PSUBSCRIBE") ||
	    !strcmp(word, "SSUBSCRIBE") || !strcmp(word, "UNSUBSCRIBE") ||
	    !strcmp(word, "PUNSUBSCRIBE") || !strcmp(word, "SUNSUBSCRIBE")) {
		q->flags |= REDIS_CMD_SUBSCRIBE;
		q->channels = (uint16_t)(m->nelems - 1 > UINT16_MAX ? UINT16_MAX : m->nelems - 1);
	}
	if (!strcmp(word, "MONITOR"))
		q->flags |= REDIS_CMD_MONITOR;
	if (!strcmp(word, "RESET"))
		q->flags |= REDIS_CMD_RESET;

	n = 0;
	redis_cat(q->name, sizeof(q->name), &n, q->op, strlen(q->op));
	o = 0;
	redis_cat(q->query, sizeof(q->query), &o, q->op, strlen(q->op));
	if (key_at && key_at < m->nelems && key_at < m->nkept) {
		redis_cat(q->query, sizeof(q->query), &o, " ", 1);
		redis_cat(q->query, sizeof(q->query), &o, m->keep[key_at], m->keep_len[key_at]);
		if (redis_key_template(m->keep[key_at], m->keep_len[key_at], keyname,
				       sizeof(keyname))) {
			redis_cat(q->name, sizeof(q->name), &n, " ", 1);
			redis_cat(q->name, sizeof(q->name), &n, keyname, strlen(keyname));
		}
		first_arg = key_at + 1;
	}
	qmarks = m->nelems > first_arg ? m->nelems - first_arg : 0;
	for (uint32_t i = 0; i < qmarks && i < REDIS_QMARKS_MAX; i++)
		redis_cat(q->query, sizeof(q->query), &o, " ?", 2);
}

static struct redis_req *redis_oldest(struct redis_state *s)
{
	return s->count ? &s->pending[s->head] : NULL;
}

static void redis_pop(struct redis_state *s)
{
	s->head = (s->head + 1) % REDIS_PENDING;
	s->count--;
}

/* Every command in flight is lost to pairing. */
static void redis_abandon_all(struct redis_run *r)
{
	struct redis_state *s = r->s;

	while (s->count) {
		r->k->abandon(r->k->ctx, redis_oldest(s)->seq);
		redis_pop(s);
		r->misses++;
	}
}

/* One span; without a reply, closed says the connection ended first. */
static void redis_emit(struct redis_run *r, const struct redis_req *q, const struct resp_msg *reply,
		       int closed)
{
	const struct proto_sink *k = r->k;
	struct proto_exchange x;
	const char *labels[2] = { "redis", q->op };

	memset(&x, 0, offsetof(struct proto_exchange, attrs));
	x.attrs.n = x.attrs.text_len = x.attrs.overflow = 0;
	x.key = q->seq;
	x.has_response = reply != NULL;
	x.start_tag = q->start_tag;
	x.end_tag = reply ? reply->end_tag : q->end_tag;
	x.req_size = q->bytes;
	x.resp_size = reply ? reply->bytes : 0;
	snprintf(x.name, sizeof(x.name), "%s", q->name);
	span_attrs_cstr(&x.attrs, "db.system.name", "redis");
	span_attrs_cstr(&x.attrs, "db.namespace", r->s->ns);
	span_attrs_cstr(&x.attrs, "db.operation.name", q->op);
	span_attrs_cstr(&x.attrs, "db.query.text", q->query);
	x.endpoints_at = (uint8_t)x.attrs.n;
	if (reply && (reply->type == '-' || reply->type == '!')) {
		/* the error prefix: the first word, by Redis convention upper case */
		const char *t = reply->type == '-' ? reply->text : reply->keep[0];
		size_t n = strcspn(t, " ");

		if (n >= sizeof(x.code))
			n = sizeof(x.code) - 1;
		memcpy(x.code, t, n);
		x.code[n] = '\0';
		span_attrs_cstr(&x.attrs, "db.response.status_code", x.code);
		x.status = SPAN_STATUS_ERROR;
		snprintf(x.status_message, sizeof(x.status_message), "%s", t);
	} else if (closed) {
		x.status = SPAN_STATUS_ERROR;
		snprintf(x.status_message, sizeof(x.status_message),
			 "connection closed before a reply");
	}
	span_metric_set(&x.metric, k->kind == SPAN_KIND_SERVER ? METRIC_DB_SERVER : METRIC_DB_CLIENT,
			labels);
	k->exchange(k->ctx, &x);
}

/* ---- the request side ---- */

static void redis_on_request(void *ctx, const struct resp_msg *m)
{
	struct redis_run *r = ctx;
	struct redis_state *s = r->s;
	struct redis_req *q;
	struct proto_request pr;

	if (s->desync || !m->nkept || !m->keep_len[0])
		return;
	if (s->count == REDIS_PENDING) {
		/* too many in flight: the oldest can no longer be paired */
		r->k->abandon(r->k->ctx, redis_oldest(s)->seq);
		redis_pop(s);
		r->misses++;
	}
	q = &s->pending[(s->head + s->count) % REDIS_PENDING];
	memset(q, 0, sizeof(*q));
	q->seq = ++s->next_seq ? s->next_seq : ++s->next_seq;
	q->start_tag = m->start_tag;
	q->end_tag = m->end_tag;
	q->bytes = m->bytes;
	redis_describe(m, q);
	if (q->flags & REDIS_CMD_REPLY_ON)
		s->reply_off = 0; /* and it is answered */
	if (s->reply_off || s->skip_next)
		q->flags |= REDIS_CMD_NO_REPLY;
	s->skip_next = 0;
	if (q->flags & REDIS_CMD_REPLY_OFF)
		s->reply_off = 1;
	if (q->flags & REDIS_CMD_REPLY_SKIP)
		s->skip_next = 1;
	if (q->flags & (REDIS_CMD_REPLY_OFF | REDIS_CMD_REPLY_SKIP))
		q->flags |= REDIS_CMD_NO_REPLY;
	pr = (struct proto_request){ .key = q->seq, .start_tag = q->start_tag };
	r->k->request(r->k->ctx, &pr);
	if (q->flags & REDIS_CMD_NO_REPLY) {
		/* the server is told not to answer: the span ends with the command */
		redis_emit(r, q, NULL, 0);
		return;
	}
	s->count++;
}

/* ---- the response side ---- */

/* RESP2 pub/sub replies are arrays named by their first element. */
static int redis_pubsub_kind(const struct resp_msg *m, int *confirm)
{
	static const char *const msgs[] = { "message", "pmessage", "smessage" };
	static const char *const confs[] = { "subscribe",  "psubscribe",   "ssubscribe",
					      "unsubscribe", "punsubscribe", "sunsubscribe" };

	*confirm = 0;
	if ((m->type != '*' && m->type != '>') || !m->nkept)
		return 0;
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		if (!strcmp(m->keep[0], msgs[i]))
			return 1;
	for (size_t i = 0; i < sizeof(confs) / sizeof(confs[0]); i++)
		if (!strcmp(m->keep[0], confs[i])) {
			*confirm = 1;
			return 1;
		}
	return 0;
}

static void redis_on_reply(void *ctx, const struct resp_msg *m)
{
	struct redis_run *r = ctx;
	struct redis_state *s = r->s;
	struct redis_req *q = redis_oldest(s);
	int confirm = 0, pubsub = redis_pubsub_kind(m, &confirm);

	if (s->desync)
		return;
	if (confirm && s->swallow) {
		/* another channel of a (un)subscribe already paired */
		s->swallow--;
		if (m->nkept > 2)
			s->subscribed = strcmp(m->keep[2], "0") != 0;
		r->k->note(r->k->ctx, PROTO_NOTE_PUSH);
		return;
	}
	/* what answers no command: counted, never paired (RESP3 sends even
	 * subscribe confirmations as pushes; those do answer one) */
	if (!(confirm && q && (q->flags & REDIS_CMD_SUBSCRIBE)) &&
	    (m->type == '>' || s->monitor || confirm || (pubsub && s->subscribed))) {
		if (confirm && m->nkept > 2)
			s->subscribed = strcmp(m->keep[2], "0") != 0;
		r->k->note(r->k->ctx, PROTO_NOTE_PUSH);
		return;
	}
	if (!q) {
		r->misses++; /* a reply to nothing we saw */
		return;
	}
	if (q->flags & REDIS_CMD_SUBSCRIBE) {
		if (confirm && m->nkept > 2)
			s->subscribed = strcmp(m->keep[2], "0") != 0;
		/* the other channels' confirmations follow; without channels
		 * (UNSUBSCRIBE all) they come while the count is above 0 */
		if (q->channels > 1)
			s->swallow = q->channels - 1u;
	}
	redis_emit(r, q, m, 0);
	/* what the command changed applies to the commands after it */
	if (m->type == '+' && !strcmp(m->text, "OK")) {
		if (q->flags & REDIS_CMD_SELECT)
			snprintf(s->ns, sizeof(s->ns), "%s", q->arg);
		if (q->flags & REDIS_CMD_MONITOR)
			s->monitor = 1;
	}
	if ((q->flags & REDIS_CMD_RESET) && m->type == '+') {
		snprintf(s->ns, sizeof(s->ns), "0");
		s->subscribed = s->monitor = s->reply_off = s->skip_next = 0;
		s->swallow = 0;
	}
	redis_pop(s);
}

/* ---- feeding ---- */

/* Framing is lost on one side: nothing in flight can be paired any more. */
static void redis_desync(struct redis_run *r)
{
	redis_abandon_all(r);
	r->s->desync = 1;
	r->s->spoke = 0;
	r->s->swallow = 0;
}

/* After a loss, a new turn: the server has written since, and this client
 * write starts a command. */
static void redis_maybe_resync(struct redis_state *s, const struct proto_chunk *c)
{
	const struct proto_seg *g = c->nsegs ? &c->segs[0] : NULL;

	if (c->side == PROTO_SIDE_RESPONSE) {
		s->spoke = 1;
		return;
	}
	if (!s->spoke || c->cont || !g || g->off || !g->cap || g->data[0] != '*')
		return;
	s->desync = 0;
	resp_reader_reset(&s->req);
	resp_reader_reset(&s->resp);
}

struct redis_walk {
	struct redis_run *r;
	struct resp_reader *rd;
	resp_msg_cb cb;
	uint64_t tag;
};

static int redis_walk_bytes(void *ctx, const uint8_t *p, size_t n)
{
	struct redis_walk *w = ctx;
	unsigned int m = resp_feed(w->rd, p, n, w->tag, w->cb, w->r);

	w->r->misses += m;
	return m != 0;
}

static int redis_walk_gap(void *ctx, uint64_t n)
{
	struct redis_walk *w = ctx;
	unsigned int m = resp_gap(w->rd, n, w->tag, w->cb, w->r);

	w->r->misses += m;
	return m != 0;
}

static unsigned int redis_feed(void *state, const struct proto_chunk *c, const struct proto_sink *k)
{
	struct redis_state *s = state;
	struct redis_run r = { .s = s, .k = k };
	struct redis_walk w = { .r = &r, .tag = c->tag };
	int request = c->side == PROTO_SIDE_REQUEST;

	if (s->desync)
		redis_maybe_resync(s, c);
	if (s->desync)
		return 0;
	w.rd = request ? &s->req : &s->resp;
	w.cb = request ? redis_on_request : redis_on_reply;
	proto_chunk_walk(c, redis_walk_bytes, redis_walk_gap, &w);
	if (resp_reader_lost(w.rd))
		redis_desync(&r);
	return r.misses;
}

static void redis_init(void *state)
{
	struct redis_state *s = state;

	memset(s, 0, sizeof(*s));
	resp_reader_init(&s->req, 1);
	resp_reader_init(&s->resp, 0);
	snprintf(s->ns, sizeof(s->ns), "0");
}

/* Commands still unanswered end with the connection, without a reply. */
static void redis_close(void *state, const struct proto_sink *k)
{
	struct redis_state *s = state;
	struct redis_run r = { .s = s, .k = k };

	while (s->count) {
		redis_emit(&r, redis_oldest(s), NULL, 1);
		redis_pop(s);
	}
}

const struct proto proto_redis = {
	.name = "redis",
	.id = ZT_PROTO_REDIS,
	.state_size = sizeof(struct redis_state),
	.init = redis_init,
	.feed = redis_feed,
	.close = redis_close,
};
