// SPDX-License-Identifier: MIT
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "identity.h"

#define BL_RATE_ALPHA_MIN (1.0 / 3600)
#define BL_CALL_ALPHA_MIN (1.0 / 10000)
#define BL_FNV_BASIS 0xcbf29ce484222325ULL

/* Open-addressing indexes, twice each table's size: slot value is the
 * entry's index + 1, 0 when empty. Entries are never removed one by one
 * (a reset clears all), so there are no tombstones. */
#define BL_EDGE_SLOTS (2 * BASELINE_EDGES_MAX)
#define BL_OP_SLOTS (2 * BASELINE_OPS_MAX)
#define BL_LISTENER_SLOTS (2 * BASELINE_LISTENERS_MAX)

struct bl_index {
	uint32_t edge[BL_EDGE_SLOTS];
	uint32_t op[BL_OP_SLOTS];
	uint32_t listener[BL_LISTENER_SLOTS];
};

_Static_assert((BL_EDGE_SLOTS & (BL_EDGE_SLOTS - 1)) == 0, "power of two");
_Static_assert((BL_OP_SLOTS & (BL_OP_SLOTS - 1)) == 0, "power of two");
_Static_assert((BL_LISTENER_SLOTS & (BL_LISTENER_SLOTS - 1)) == 0, "power of two");

static uint64_t bl_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t baseline_edge_id(const struct alert_identity *c, const struct alert_identity *s,
			  const char *protocol, uint16_t port)
{
	uint64_t h = identity_hash(c, BL_FNV_BASIS);

	h = identity_hash(s, h);
	h = bl_fnv(h, protocol, strlen(protocol) + 1);
	return bl_fnv(h, &port, sizeof(port));
}

static struct bl_index *bl_idx(const struct baseline *b)
{
	return (struct bl_index *)(void *)(b->listeners + BASELINE_LISTENERS_MAX);
}

int baseline_init(struct baseline *b)
{
	size_t bytes = sizeof(struct baseline_edge) * BASELINE_EDGES_MAX +
		       sizeof(struct baseline_op) * BASELINE_OPS_MAX +
		       sizeof(struct baseline_listener) * BASELINE_LISTENERS_MAX +
		       sizeof(struct bl_index);
	char *mem;

	memset(b, 0, sizeof(*b));
	/* one allocation; pages are touched only as entries are used */
	mem = calloc(1, bytes);
	if (!mem)
		return -1;
	b->edges = (struct baseline_edge *)(void *)mem;
	b->ops = (struct baseline_op *)(void *)(b->edges + BASELINE_EDGES_MAX);
	b->listeners = (struct baseline_listener *)(void *)(b->ops + BASELINE_OPS_MAX);
	return 0;
}

void baseline_free(struct baseline *b)
{
	free(b->edges);
	b->edges = NULL;
}

void baseline_clear(struct baseline *b)
{
	memset(b->edges, 0, sizeof(struct baseline_edge) * b->stats.edges);
	memset(b->ops, 0, sizeof(struct baseline_op) * b->stats.ops);
	memset(b->listeners, 0, sizeof(struct baseline_listener) * b->stats.listeners);
	memset(bl_idx(b), 0, sizeof(struct bl_index));
	memset(&b->stats, 0, sizeof(b->stats));
	b->changes++;
}

/* The index slot where id is, or the empty one where it would go. */
static uint32_t *bl_slot(uint32_t *index, uint32_t slots, uint64_t id,
			 uint64_t (*id_of)(const struct baseline *, uint32_t), const struct baseline *b)
{
	uint32_t i = (uint32_t)(id * 0x9e3779b97f4a7c15ULL >> 32) & (slots - 1);

	while (index[i] && id_of(b, index[i] - 1) != id)
		i = (i + 1) & (slots - 1);
	return &index[i];
}

static uint64_t bl_edge_id(const struct baseline *b, uint32_t i)
{
	return b->edges[i].id;
}

static uint64_t bl_op_id(const struct baseline *b, uint32_t i)
{
	return b->ops[i].id;
}

static uint64_t bl_listener_id(const struct baseline *b, uint32_t i)
{
	return b->listeners[i].id;
}

/* Ids are 64-bit hashes: two keys of one id are taken for one (a chance
 * of about n^2/2^65, 1e-12 for full tables). */
struct baseline_edge *baseline_edge_get(struct baseline *b, const struct alert_identity *client,
					const struct alert_identity *server, const char *protocol,
					uint16_t port, int add, uint8_t state, uint64_t now_ns)
{
	uint64_t id = baseline_edge_id(client, server, protocol, port);
	uint32_t *slot = bl_slot(bl_idx(b)->edge, BL_EDGE_SLOTS, id, bl_edge_id, b);
	struct baseline_edge *e;

	if (*slot)
		return &b->edges[*slot - 1];
	if (!add)
		return NULL;
	if (b->stats.edges >= BASELINE_EDGES_MAX) {
		b->stats.edges_full++;
		return NULL;
	}
	e = &b->edges[b->stats.edges];
	*slot = (uint32_t)++b->stats.edges;
	e->id = id;
	e->state = state;
	e->client = *client;
	e->server = *server;
	strncpy(e->protocol, protocol, sizeof(e->protocol) - 1);
	e->port = port;
	e->first_seen_ns = now_ns;
	b->changes++;
	return e;
}

struct baseline_op *baseline_op_get(struct baseline *b, uint32_t edge, const char *operation, int add,
				    uint8_t state, uint64_t now_ns)
{
	uint64_t id = bl_fnv(bl_fnv(BL_FNV_BASIS, &b->edges[edge].id, 8), operation,
			     strlen(operation) + 1);
	uint32_t *slot = bl_slot(bl_idx(b)->op, BL_OP_SLOTS, id, bl_op_id, b);
	struct baseline_op *o;

	if (*slot)
		return &b->ops[*slot - 1];
	if (!add)
		return NULL;
	if (b->stats.ops >= BASELINE_OPS_MAX) {
		b->stats.ops_full++;
		return NULL;
	}
	o = &b->ops[b->stats.ops];
	*slot = (uint32_t)++b->stats.ops;
	o->id = id;
	o->state = state;
	o->edge = edge;
	o->first_seen_ns = now_ns;
	strncpy(o->operation, operation, sizeof(o->operation) - 1);
	b->changes++;
	return o;
}

struct baseline_listener *baseline_listener_get(struct baseline *b, const struct alert_identity *server,
						uint16_t port, int add, uint8_t state, uint64_t now_ns)
{
	uint64_t id = bl_fnv(identity_hash(server, BL_FNV_BASIS), &port, sizeof(port));
	uint32_t *slot = bl_slot(bl_idx(b)->listener, BL_LISTENER_SLOTS, id, bl_listener_id, b);
	struct baseline_listener *l;

	if (*slot)
		return &b->listeners[*slot - 1];
	if (!add)
		return NULL;
	if (b->stats.listeners >= BASELINE_LISTENERS_MAX) {
		b->stats.listeners_full++;
		return NULL;
	}
	l = &b->listeners[b->stats.listeners];
	*slot = (uint32_t)++b->stats.listeners;
	l->id = id;
	l->state = state;
	l->server = *server;
	l->port = port;
	l->first_seen_ns = now_ns;
	b->changes++;
	return l;
}

/* One step of the weighted mean and variance. */
static void bl_ewm(double *mean, double *var, double x, uint64_t n, double floor)
{
	double a = 1.0 / (double)n, d = x - *mean;

	if (a < floor)
		a = floor;
	*mean += a * d;
	if (var)
		*var = (1 - a) * (*var + a * d * d);
}

void baseline_edge_count(struct baseline_edge *e, const struct call *c, int learn)
{
	uint64_t ns = c->client_seen ? c->client_ns : c->server_ns;

	e->win_calls[e->at]++;
	e->win_errors[e->at] += c->error;
	e->win_lat_ns[e->at] += ns;
	memcpy(e->last_trace_id, c->trace_id, 16);
	memcpy(e->last_span_id, c->span_id, 8);
	e->last_client_ev = c->client_evidence;
	e->last_server_ev = c->server_evidence;
	if (!learn)
		return;
	e->rates.calls++;
	e->rates.errors += c->error;
	bl_ewm(&e->rates.err_mean, NULL, c->error ? 1.0 : 0.0, e->rates.calls,
	       BL_CALL_ALPHA_MIN);
	bl_ewm(&e->rates.lat_mean, &e->rates.lat_var, (double)ns / 1e6, e->rates.calls,
	       BL_CALL_ALPHA_MIN);
}

void baseline_edge_second(struct baseline_edge *e, int learn)
{
	if (learn) {
		e->rates.seconds++;
		bl_ewm(&e->rates.rate_mean, &e->rates.rate_var, (double)e->win_calls[e->at],
		       e->rates.seconds, BL_RATE_ALPHA_MIN);
	}
	e->at = (e->at + 1) % BASELINE_WINDOW;
	e->win_calls[e->at] = 0;
	e->win_errors[e->at] = 0;
	e->win_lat_ns[e->at] = 0;
}

void baseline_edge_window(const struct baseline_edge *e, uint32_t secs, uint64_t *calls,
			  uint64_t *errors, uint64_t *lat_ns)
{
	*calls = *errors = *lat_ns = 0;
	if (secs > BASELINE_WINDOW)
		secs = BASELINE_WINDOW;
	for (uint32_t k = 0; k < secs; k++) {
		uint32_t i = (e->at + BASELINE_WINDOW - k) % BASELINE_WINDOW;

		*calls += e->win_calls[i];
		*errors += e->win_errors[i];
		*lat_ns += e->win_lat_ns[i];
	}
}

static int bl_listed(uint64_t id, const uint64_t *ids, uint32_t n)
{
	if (!n)
		return 1;
	for (uint32_t i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

uint32_t baseline_accept(struct baseline *b, const uint64_t *ids, uint32_t n)
{
	uint32_t changed = 0;

	for (uint64_t i = 0; i < b->stats.edges; i++)
		if (b->edges[i].state == BASELINE_CANDIDATE && bl_listed(b->edges[i].id, ids, n)) {
			b->edges[i].state = BASELINE_LEARNED;
			changed++;
		}
	for (uint64_t i = 0; i < b->stats.ops; i++)
		if (b->ops[i].state == BASELINE_CANDIDATE &&
		    (bl_listed(b->ops[i].id, ids, n) ||
		     (n && bl_listed(b->edges[b->ops[i].edge].id, ids, n)))) {
			b->ops[i].state = BASELINE_LEARNED;
			changed++;
		}
	for (uint64_t i = 0; i < b->stats.listeners; i++) {
		struct baseline_listener *l = &b->listeners[i];
		int of_edge = 0;

		if (l->state != BASELINE_CANDIDATE)
			continue;
		/* an accepted edge vouches for the listener it reached */
		for (uint64_t k = 0; n && k < b->stats.edges && !of_edge; k++)
			of_edge = b->edges[k].port == l->port && bl_listed(b->edges[k].id, ids, n) &&
				  identity_equal(&b->edges[k].server, &l->server);
		if (bl_listed(l->id, ids, n) || of_edge) {
			l->state = BASELINE_LEARNED;
			changed++;
		}
	}
	if (changed)
		b->changes++;
	return changed;
}
