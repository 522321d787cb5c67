// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "callpair.h"
#include "identity.h"
#include "payload_rules.h"
#include "text.h"

#define CP_WAYS 8
#define CP_SETS_LOG2 8 /* 2048 spans waiting at once */
#define CP_SETS (1u << CP_SETS_LOG2)
/* This node's own addresses, as its traced spans show them (pod IPs of the
 * pods here): open addressing, never removed; past the cap, new ones are
 * not kept (those calls pair only by loopback or equal addresses). */
#define CP_LOCAL_SLOTS 512
#define CP_LOCAL_MAX (CP_LOCAL_SLOTS / 2)

/* What a probe reads of a waiting half. The call it keys (1.8 KB) lies in
 * a parallel array: a set's eight tags share four cache lines, where with
 * the calls beside them a lookup missed on eight (most of this file's
 * time under load). */
struct cp_tag {
	uint64_t seq;      /* 0: free */
	uint64_t deadline;
	uint8_t key[8];    /* the CLIENT span's id, as either side knows it */
	uint8_t kind;      /* enum span_kind of the span waiting */
};

struct callpair {
	uint64_t wait_ns;
	uint64_t seq;
	uint32_t waiting;
	call_fn fn;
	void *ctx;
	struct callpair_stats stats;
	uint32_t n_local;
	char local[CP_LOCAL_SLOTS][SPAN_ADDR_MAX];
	struct cp_tag tag[CP_SETS * CP_WAYS];
	struct call call[CP_SETS * CP_WAYS]; /* tag[i]'s */
};

struct callpair *callpair_new(uint64_t wait_ns, call_fn fn, void *ctx)
{
	struct callpair *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->wait_ns = wait_ns;
	p->fn = fn;
	p->ctx = ctx;
	return p;
}

void callpair_free(struct callpair *p)
{
	free(p);
}

void callpair_of_span(const struct span *s, struct call *c)
{
	uint8_t fam = s->metric.family;
	uint64_t ns = s->end_unix_ns > s->start_unix_ns ? s->end_unix_ns - s->start_unix_ns : 0;
	int db = fam == METRIC_DB_CLIENT || fam == METRIC_DB_SERVER;

	memset(c, 0, sizeof(*c));
	if (fam == METRIC_HTTP_CLIENT || fam == METRIC_HTTP_SERVER)
		memcpy(c->protocol, "http", 5);
	else if (db)
		text_copy_cut(c->protocol, sizeof(c->protocol), span_metric_label(&s->metric, 0));
	/* span names are NUL-terminated (span_build) */
	text_copy_cut(c->operation, sizeof(c->operation), s->name);
	c->port = s->server.port;
	memcpy(c->client_address, s->client.address, sizeof(c->client_address) - 1);
	memcpy(c->server_address, s->server.address, sizeof(c->server_address) - 1);
	c->error = s->status == SPAN_STATUS_ERROR;
	c->connection = db ? CALL_CONN_DATABASE : CALL_CONN_VIRTUAL;
	memcpy(c->trace_id, s->trace_id, sizeof(c->trace_id));
	memcpy(c->span_id, s->span_id, sizeof(c->span_id));
	c->payload_rules = payload_check(s, c->detail, sizeof(c->detail));
	c->end_unix_ns = s->end_unix_ns;
	if (s->kind == SPAN_KIND_SERVER) {
		identity_of_process(s->process, s->service_name, s->exe_name, &c->server,
				    &c->server_evidence);
		if (!s->process)
			c->server_evidence.pid = s->pid;
		identity_of_address(s->client.address, &c->client);
		c->server_seen = 1;
		c->server_ns = ns;
	} else {
		identity_of_process(s->process, s->service_name, s->exe_name, &c->client,
				    &c->client_evidence);
		if (!s->process)
			c->client_evidence.pid = s->pid;
		identity_of_address(s->server.address, &c->server);
		c->client_seen = 1;
		c->client_ns = ns;
	}
}

/* The slot of addr in the local set: where it is, or the empty one where it
 * would go. */
static char *cp_local_slot(struct callpair *p, const char *addr)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t i;

	for (const char *c = addr; *c; c++)
		h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
	for (i = (uint32_t)(h >> 32) % CP_LOCAL_SLOTS; p->local[i][0]; i = (i + 1) % CP_LOCAL_SLOTS)
		if (strncmp(p->local[i], addr, SPAN_ADDR_MAX) == 0)
			break;
	return p->local[i];
}

/* Whether the far end of s may be a process of this node: a loopback
 * address, the near end's own, or one a traced span here had as its own. */
static int cp_far_end_local(struct callpair *p, const struct span *s)
{
	const struct span_endpoint *far = s->kind == SPAN_KIND_SERVER ? &s->client : &s->server;
	const struct span_endpoint *near = s->kind == SPAN_KIND_SERVER ? &s->server : &s->client;
	char *slot;

	if (near->address[0] && !identity_address_is_loopback(near->address)) {
		slot = cp_local_slot(p, near->address);
		if (!slot[0] && p->n_local < CP_LOCAL_MAX) {
			memcpy(slot, near->address, strnlen(near->address, SPAN_ADDR_MAX - 1));
			p->n_local++;
		} else if (!slot[0]) {
			p->stats.local_full++;
		}
	}
	if (!far->address[0])
		return 0;
	return identity_address_is_loopback(far->address) || strcmp(far->address, near->address) == 0 ||
	       cp_local_slot(p, far->address)[0];
}

/* The index of the first way of key's set. */
static uint32_t cp_set(const uint8_t key[8])
{
	uint64_t v;

	memcpy(&v, key, sizeof(v));
	v *= 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(v >> (64 - CP_SETS_LOG2)) * CP_WAYS;
}

static void cp_release(struct callpair *p, uint32_t i)
{
	if (p->tag[i].kind == SPAN_KIND_CLIENT)
		p->stats.client_only++;
	else
		p->stats.server_only++;
	p->tag[i].seq = 0;
	p->waiting--;
	p->fn(p->ctx, &p->call[i]);
}

/* The client's half keeps its ids (alerts point at the caller's span);
 * the server's half brings its identity, duration and payload findings. */
static void cp_merge(struct call *c, const struct call *srv)
{
	c->server = srv->server;
	c->server_evidence = srv->server_evidence;
	c->server_seen = 1;
	c->server_ns = srv->server_ns;
	c->error |= srv->error;
	if (!c->detail[0])
		memcpy(c->detail, srv->detail, sizeof(c->detail));
	c->payload_rules |= srv->payload_rules;
	if (!c->protocol[0])
		memcpy(c->protocol, srv->protocol, sizeof(c->protocol));
	if (c->connection != CALL_CONN_DATABASE && srv->connection != CALL_CONN_DATABASE)
		c->connection = CALL_CONN_UNSET;
	else
		c->connection = CALL_CONN_DATABASE;
}

void callpair_span(struct callpair *p, const struct span *s, uint64_t now_ns)
{
	const uint8_t *key;
	struct cp_tag *set;
	uint32_t first, slot = UINT32_MAX;
	uint8_t want;
	struct call c;

	if (!p || !s || (s->kind != SPAN_KIND_SERVER && s->kind != SPAN_KIND_CLIENT))
		return;
	callpair_of_span(s, &c);
	if (s->kind == SPAN_KIND_SERVER && !s->has_parent) {
		p->fn(p->ctx, &c);
		return;
	}
	key = s->kind == SPAN_KIND_SERVER ? s->parent_span_id : s->span_id;
	want = s->kind == SPAN_KIND_SERVER ? SPAN_KIND_CLIENT : SPAN_KIND_SERVER;
	first = cp_set(key);
	set = &p->tag[first];
	for (uint32_t w = 0; w < CP_WAYS; w++) {
		struct cp_tag *e = &set[w];
		struct call *waiting = &p->call[first + w];

		if (e->seq && e->kind == want && memcmp(e->key, key, 8) == 0) {
			if (s->kind == SPAN_KIND_SERVER) {
				cp_merge(waiting, &c);
				c = *waiting;
			} else {
				cp_merge(&c, waiting);
			}
			e->seq = 0;
			p->waiting--;
			p->stats.paired++;
			p->fn(p->ctx, &c);
			return;
		}
	}
	if (!cp_far_end_local(p, s)) {
		p->fn(p->ctx, &c);
		return;
	}
	/* a free way, else the one waiting longest */
	for (uint32_t w = 0; w < CP_WAYS; w++) {
		if (!set[w].seq) {
			slot = w;
			break;
		}
		if (slot == UINT32_MAX || set[w].seq < set[slot].seq)
			slot = w;
	}
	if (set[slot].seq) {
		p->stats.evicted++;
		cp_release(p, first + slot);
	}
	set[slot].seq = ++p->seq;
	set[slot].deadline = now_ns + p->wait_ns;
	memcpy(set[slot].key, key, 8);
	set[slot].kind = s->kind;
	p->call[first + slot] = c;
	p->waiting++;
}

void callpair_tick(struct callpair *p, uint64_t now_ns)
{
	if (!p || !p->waiting)
		return;
	for (uint32_t i = 0; i < CP_SETS * CP_WAYS; i++)
		if (p->tag[i].seq && p->tag[i].deadline <= now_ns)
			cp_release(p, i);
}

void callpair_flush(struct callpair *p)
{
	callpair_tick(p, UINT64_MAX);
}

void callpair_get_stats(const struct callpair *p, struct callpair_stats *out)
{
	*out = p->stats;
}
