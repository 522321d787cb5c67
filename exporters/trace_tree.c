// SPDX-License-Identifier: MIT
/*
 * Trace trees for --output pretty.
 *
 * Spans are copied into a pool allocated once; each open trace is a record
 * found through an open-addressing hash keyed by trace id, and sits on two
 * lists kept in order by construction (the clock never goes back, see
 * tt_clock): the wait list, by first arrival (its wait bound, and the oldest
 * trace to evict when the pool is full), and the grace list, by last
 * arrival, for traces that hold a root candidate. tick only looks at the two
 * heads, so it is O(1) when nothing is due.
 *
 * A root candidate is a span with no parent, or a SERVER span whose parent
 * is not buffered (a remote traceparent). Whether a SERVER span's parent is
 * buffered can change when the parent arrives after it (children finish
 * first), so it is only decided when the grace runs out, by the same pass
 * that builds the tree for printing; a trace that turns out to hold no
 * candidate leaves the grace list until a new candidate arrives.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "span_format.h"
#include "trace_tree.h"

#define TT_NONE UINT32_MAX
/* Keeps the hash (twice the pool) and every index within 32 bits. */
#define TT_MAX_SPANS (1u << 24)
/* Levels of indentation shown; deeper spans stay at this one. */
#define TT_INDENT_MAX 32
#define TT_LINE_MAX 1024

enum { TT_WAIT, TT_GRACE, TT_NLISTS };

struct tt_link {
	uint32_t prev, next;
};

struct tt_list {
	uint32_t head, tail;
};

struct tt_trace {
	uint8_t trace_id[16];
	uint32_t spans;                 /* first slot; slot_next links the rest */
	uint64_t first_ns;              /* first arrival: the wait bound */
	uint64_t last_ns;               /* latest arrival: the grace */
	struct tt_link link[TT_NLISTS]; /* link[TT_WAIT].next is also the free list */
	uint8_t in_grace;
};

/* Scratch for the trace being printed, one per span. */
struct tt_node {
	uint64_t start;
	uint64_t id;       /* span id read big-endian: orders as its hex does */
	uint64_t seq;      /* arrival order: makes the sort key total */
	uint32_t slot;
	uint32_t parent;   /* node index, or TT_NONE */
	uint32_t first_child, last_child, next_sibling;
	uint32_t cursor;   /* next child to visit */
	uint32_t depth;
	uint8_t visited;
};

struct tt_id {
	uint64_t id;
	uint32_t node;
};

struct trace_tree {
	FILE *out;
	uint64_t grace_ns, wait_ns;
	uint64_t now_ns;             /* latest clock seen */
	uint64_t seq;
	uint32_t max_spans;
	struct span *pool;
	uint32_t *slot_next;         /* next span of the same trace, or next free */
	uint64_t *slot_seq;
	uint32_t free_slot;
	struct tt_trace *traces;     /* max_spans: an open trace holds >= 1 span */
	uint32_t free_trace;
	uint32_t *hash;              /* trace index + 1; 0 is empty */
	uint32_t hash_mask;
	struct tt_list lists[TT_NLISTS];
	struct tt_node *nodes;
	struct tt_id *ids;
	uint32_t *stack;
	uint32_t *order;             /* nodes in print order */
	uint32_t n_nodes;
	struct trace_tree_stats stats;
};

static uint64_t tt_add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t tt_be64(const uint8_t b[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* Callers pass CLOCK_MONOTONIC; should one go back anyway, holding the
 * latest value keeps both lists in order. */
static uint64_t tt_clock(struct trace_tree *t, uint64_t now_ns)
{
	if (now_ns > t->now_ns)
		t->now_ns = now_ns;
	return t->now_ns;
}

/* ---- lists ---- */

static void tt_list_append(struct trace_tree *t, int l, uint32_t ti)
{
	struct tt_link *k = &t->traces[ti].link[l];

	k->prev = t->lists[l].tail;
	k->next = TT_NONE;
	if (k->prev == TT_NONE)
		t->lists[l].head = ti;
	else
		t->traces[k->prev].link[l].next = ti;
	t->lists[l].tail = ti;
}

static void tt_list_unlink(struct trace_tree *t, int l, uint32_t ti)
{
	struct tt_link *k = &t->traces[ti].link[l];

	if (k->prev == TT_NONE)
		t->lists[l].head = k->next;
	else
		t->traces[k->prev].link[l].next = k->next;
	if (k->next == TT_NONE)
		t->lists[l].tail = k->prev;
	else
		t->traces[k->next].link[l].prev = k->prev;
	k->prev = k->next = TT_NONE;
}

/* ---- hash of open traces: linear probing, never more than half full ---- */

/* MurmurHash3's finaliser: every input bit reaches the low bits we mask
 * (a bare multiply does not: ids differing only in a high byte collide). */
static uint64_t tt_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* Ids off the wire can be chosen to collide; the table is at most half
 * full, so a probe still ends within max_spans steps. */
static uint32_t tt_home(const struct trace_tree *t, const uint8_t id[16])
{
	uint64_t a, b;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	return (uint32_t)tt_mix(a ^ tt_mix(b)) & t->hash_mask;
}

/* The bucket holding id, or the empty bucket where it would go. */
static uint32_t tt_bucket(const struct trace_tree *t, const uint8_t id[16])
{
	uint32_t i = tt_home(t, id);

	for (uint32_t n = 0; n <= t->hash_mask; n++, i = (i + 1) & t->hash_mask)
		if (!t->hash[i] || !memcmp(t->traces[t->hash[i] - 1].trace_id, id, 16))
			return i;
	return TT_NONE; /* unreachable: the table is at most half full */
}

/* Backward-shift delete, so lookups never meet tombstones. */
static void tt_hash_del(struct trace_tree *t, uint32_t i)
{
	uint32_t j = i, k;

	for (uint32_t n = 0; n <= t->hash_mask; n++) {
		j = (j + 1) & t->hash_mask;
		if (!t->hash[j])
			break;
		k = tt_home(t, t->traces[t->hash[j] - 1].trace_id);
		/* the entry at j may fill the hole at i unless its home lies in (i, j] */
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			t->hash[i] = t->hash[j];
			i = j;
		}
	}
	t->hash[i] = 0;
}

/* ---- building and printing one trace ---- */

static int tt_node_cmp(const void *pa, const void *pb)
{
	const struct tt_node *a = pa, *b = pb;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int tt_id_cmp(const void *pa, const void *pb)
{
	const struct tt_id *a = pa, *b = pb;

	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return a->node < b->node ? -1 : a->node > b->node;
}

/* The earliest-starting other node with span id id, or TT_NONE. */
static uint32_t tt_find_id(const struct trace_tree *t, uint64_t id, uint32_t self)
{
	uint32_t lo = 0, hi = t->n_nodes;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (t->ids[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->n_nodes && t->ids[lo].id == id && t->ids[lo].node == self)
		lo++; /* a span is not its own parent */
	if (lo < t->n_nodes && t->ids[lo].id == id)
		return t->ids[lo].node;
	return TT_NONE;
}

/* Fills the nodes of trace ti, sorted, with parent and child links.
 * Returns 1 if it holds a root candidate (see the top of the file). */
static int tt_build(struct trace_tree *t, uint32_t ti)
{
	const struct tt_trace *tr = &t->traces[ti];
	uint32_t n = 0, slot, p;
	int complete = 0;

	for (slot = tr->spans; slot != TT_NONE && n < t->max_spans; slot = t->slot_next[slot]) {
		struct tt_node *nd = &t->nodes[n++];

		memset(nd, 0, sizeof(*nd));
		nd->start = t->pool[slot].start_unix_ns;
		nd->id = tt_be64(t->pool[slot].span_id);
		nd->seq = t->slot_seq[slot];
		nd->slot = slot;
		nd->first_child = nd->last_child = nd->next_sibling = TT_NONE;
	}
	t->n_nodes = n;
	qsort(t->nodes, n, sizeof(*t->nodes), tt_node_cmp);
	for (uint32_t i = 0; i < n; i++) {
		t->ids[i].id = t->nodes[i].id;
		t->ids[i].node = i;
	}
	qsort(t->ids, n, sizeof(*t->ids), tt_id_cmp);

	/* walking in start order appends each child list already sorted; a
	 * child may start before its parent (clock skew, hostile ids) */
	for (uint32_t i = 0; i < n; i++) {
		struct tt_node *nd = &t->nodes[i];
		const struct span *s = &t->pool[nd->slot];

		p = s->has_parent ? tt_find_id(t, tt_be64(s->parent_span_id), i) : TT_NONE;
		nd->parent = p;
		if (!s->has_parent || (s->kind == SPAN_KIND_SERVER && p == TT_NONE))
			complete = 1;
		if (p == TT_NONE)
			continue;
		if (t->nodes[p].last_child == TT_NONE)
			t->nodes[p].first_child = i;
		else
			t->nodes[t->nodes[p].last_child].next_sibling = i;
		t->nodes[p].last_child = i;
	}
	return complete;
}

/* Depth-first from root r with an explicit stack: chains may be as deep as
 * the pool, and a node is entered once, so a cycle cannot loop. */
static void tt_walk(struct trace_tree *t, uint32_t r, uint32_t *n_order)
{
	uint32_t sp = 0;

	t->nodes[r].visited = 1;
	t->nodes[r].depth = 0;
	t->nodes[r].cursor = t->nodes[r].first_child;
	t->order[(*n_order)++] = r;
	t->stack[sp++] = r;
	while (sp) {
		struct tt_node *u = &t->nodes[t->stack[sp - 1]];
		uint32_t c = u->cursor;

		if (c == TT_NONE) {
			sp--;
			continue;
		}
		u->cursor = t->nodes[c].next_sibling;
		if (t->nodes[c].visited)
			continue; /* the node picked to break a cycle */
		t->nodes[c].visited = 1;
		t->nodes[c].depth = u->depth + 1;
		t->nodes[c].cursor = t->nodes[c].first_child;
		t->order[(*n_order)++] = c;
		t->stack[sp++] = c;
	}
}

static void tt_put_ms(char *out, size_t len, uint64_t start, uint64_t end)
{
	uint64_t us = end > start ? (end - start) / 1000 : 0;

	snprintf(out, len, "%llu.%03llums", (unsigned long long)(us / 1000),
		 (unsigned long long)(us % 1000));
}

/* "addr:port", or "[addr]:port" for IPv6, as span_format_pretty writes it. */
static void tt_endpoint(char *out, size_t len, const struct span_endpoint *ep)
{
	snprintf(out, len, strchr(ep->address, ':') ? "[%s]:%u" : "%s:%u", ep->address, ep->port);
}

/* span_format_pretty without the clock time and sizes, indented. The
 * endpoints stay: they tell apart two calls of one service to another. */
static void tt_format_line(char *out, size_t len, const struct span *s, uint32_t depth)
{
	char dur[32], client[SPAN_ADDR_MAX + 8], server[SPAN_ADDR_MAX + 8];
	const char *code = s->code[0] ? s->code : "---";
	int indent = 2 * (1 + (int)(depth < TT_INDENT_MAX ? depth : TT_INDENT_MAX));

	tt_put_ms(dur, sizeof(dur), s->start_unix_ns, s->end_unix_ns);
	tt_endpoint(client, sizeof(client), &s->client);
	tt_endpoint(server, sizeof(server), &s->server);
	snprintf(out, len, "%*s%s %s[%u] %s %s %s %s -> %s", indent, "",
		 s->kind == SPAN_KIND_SERVER ? "SERVER" : "CLIENT", s->service_name, s->pid, s->name,
		 code, dur, client, server);
	/* as span_format_pretty: method, route and names come off the wire or
	 * the environment, so printable ASCII only */
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}

/* Prints the trace tt_build just filled. */
static void tt_print(struct trace_tree *t, uint32_t ti, int forced)
{
	char hex[33], dur[32], line[TT_LINE_MAX];
	uint32_t n = t->n_nodes, n_order = 0, n_top = 0;
	uint64_t end = 0;

	for (uint32_t i = 0; i < n; i++)
		if (t->nodes[i].parent == TT_NONE) {
			n_top++;
			tt_walk(t, i, &n_order);
		}
	/* what is left hangs off a cycle: its earliest span stands as a root */
	for (uint32_t i = 0; i < n; i++)
		if (!t->nodes[i].visited) {
			n_top++;
			tt_walk(t, i, &n_order);
		}

	for (uint32_t i = 0; i < n; i++)
		if (t->pool[t->nodes[i].slot].end_unix_ns > end)
			end = t->pool[t->nodes[i].slot].end_unix_ns;
	if (n_top == 1) {
		const struct span *r = &t->pool[t->nodes[t->order[0]].slot];

		tt_put_ms(dur, sizeof(dur), r->start_unix_ns, r->end_unix_ns);
	} else {
		tt_put_ms(dur, sizeof(dur), n ? t->nodes[0].start : 0, end);
	}
	span_hex(hex, t->traces[ti].trace_id, sizeof(t->traces[ti].trace_id));
	fprintf(t->out, "trace %s  %u span%s  %s\n", hex, n, n == 1 ? "" : "s", dur);
	for (uint32_t k = 0; k < n_order; k++) {
		const struct tt_node *nd = &t->nodes[t->order[k]];

		tt_format_line(line, sizeof(line), &t->pool[nd->slot], nd->depth);
		fprintf(t->out, "%s\n", line);
	}

	t->stats.traces_printed++;
	t->stats.traces_forced += forced != 0;
	t->stats.spans_printed += n;
}

/* Returns trace ti's spans to the pool and closes it. */
static void tt_release(struct trace_tree *t, uint32_t ti)
{
	struct tt_trace *tr = &t->traces[ti];
	uint32_t slot = tr->spans, next;

	while (slot != TT_NONE) {
		next = t->slot_next[slot];
		t->slot_next[slot] = t->free_slot;
		t->free_slot = slot;
		slot = next;
	}
	tt_list_unlink(t, TT_WAIT, ti);
	if (tr->in_grace)
		tt_list_unlink(t, TT_GRACE, ti);
	tt_hash_del(t, tt_bucket(t, tr->trace_id));
	memset(tr, 0, sizeof(*tr));
	tr->link[TT_WAIT].next = t->free_trace;
	t->free_trace = ti;
}

/*
 * Prints traces in the order they fall due: the earlier of the grace head's
 * deadline (last arrival + grace) and the wait head's (first arrival +
 * wait); a tie goes to the grace, which is not forced. flushing treats
 * everything as due and counts a trace forced only if it holds no root.
 */
static void tt_drain(struct trace_tree *t, uint64_t now, int flushing)
{
	for (;;) {
		uint32_t w = t->lists[TT_WAIT].head, g = t->lists[TT_GRACE].head;
		uint64_t wd, gd;
		int complete;

		if (w == TT_NONE)
			return; /* every open trace is on the wait list */
		wd = tt_add_sat(t->traces[w].first_ns, t->wait_ns);
		gd = g == TT_NONE ? UINT64_MAX : tt_add_sat(t->traces[g].last_ns, t->grace_ns);
		if (g != TT_NONE && gd <= wd) {
			if (!flushing && gd > now)
				return;
			if (tt_build(t, g)) {
				tt_print(t, g, 0);
				tt_release(t, g);
			} else {
				/* the candidate's parent has arrived since */
				tt_list_unlink(t, TT_GRACE, g);
				t->traces[g].in_grace = 0;
			}
			continue;
		}
		if (!flushing && wd > now)
			return;
		complete = tt_build(t, w);
		tt_print(t, w, flushing ? !complete : 1);
		tt_release(t, w);
	}
}

/* ---- API ---- */

struct trace_tree *trace_tree_new(uint32_t max_spans, uint64_t grace_ns, uint64_t wait_ns,
				  FILE *out)
{
	struct trace_tree *t;
	uint32_t hash_size = 16;

	if (!out || max_spans == 0 || max_spans > TT_MAX_SPANS) {
		errno = EINVAL;
		return NULL;
	}
	while (hash_size < 2 * max_spans)
		hash_size *= 2;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->out = out;
	t->grace_ns = grace_ns;
	t->wait_ns = wait_ns;
	t->max_spans = max_spans;
	t->hash_mask = hash_size - 1;
	t->pool = calloc(max_spans, sizeof(*t->pool));
	t->slot_next = calloc(max_spans, sizeof(*t->slot_next));
	t->slot_seq = calloc(max_spans, sizeof(*t->slot_seq));
	t->traces = calloc(max_spans, sizeof(*t->traces));
	t->hash = calloc(hash_size, sizeof(*t->hash));
	t->nodes = calloc(max_spans, sizeof(*t->nodes));
	t->ids = calloc(max_spans, sizeof(*t->ids));
	t->stack = calloc(max_spans, sizeof(*t->stack));
	t->order = calloc(max_spans, sizeof(*t->order));
	if (!t->pool || !t->slot_next || !t->slot_seq || !t->traces || !t->hash || !t->nodes ||
	    !t->ids || !t->stack || !t->order) {
		trace_tree_free(t);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < max_spans; i++) {
		t->slot_next[i] = i + 1 < max_spans ? i + 1 : TT_NONE;
		t->traces[i].link[TT_WAIT].next = i + 1 < max_spans ? i + 1 : TT_NONE;
	}
	t->free_slot = 0;
	t->free_trace = 0;
	for (int l = 0; l < TT_NLISTS; l++)
		t->lists[l].head = t->lists[l].tail = TT_NONE;
	return t;
}

/* Frees without printing: call trace_tree_flush first to keep the spans. */
void trace_tree_free(struct trace_tree *t)
{
	if (!t)
		return;
	free(t->order);
	free(t->stack);
	free(t->ids);
	free(t->nodes);
	free(t->hash);
	free(t->traces);
	free(t->slot_seq);
	free(t->slot_next);
	free(t->pool);
	free(t);
}

/* Terminates every string of our copy: they are printed with %s. */
static void tt_terminate(struct span *s)
{
	s->name[sizeof(s->name) - 1] = '\0';
	s->code[sizeof(s->code) - 1] = '\0';
	s->server.address[sizeof(s->server.address) - 1] = '\0';
	s->client.address[sizeof(s->client.address) - 1] = '\0';
	s->peer.address[sizeof(s->peer.address) - 1] = '\0';
	s->exe_name[sizeof(s->exe_name) - 1] = '\0';
	s->service_name[sizeof(s->service_name) - 1] = '\0';
}

/*
 * When the pool is full, first prints whatever is already due; if that frees
 * nothing, prints the oldest open trace early (forced). That may be the
 * span's own trace when it alone fills the pool: what is buffered goes out
 * and the span starts the trace again.
 */
void trace_tree_add(struct trace_tree *t, const struct span *s, uint64_t now_ns)
{
	uint32_t slot, ti, b;
	struct tt_trace *tr;
	uint64_t now;

	if (!t || !s)
		return;
	now = tt_clock(t, now_ns);
	if (t->free_slot == TT_NONE)
		tt_drain(t, now, 0);
	if (t->free_slot == TT_NONE) {
		uint32_t old = t->lists[TT_WAIT].head;

		tt_build(t, old);
		tt_print(t, old, 1);
		tt_release(t, old);
	}
	b = tt_bucket(t, s->trace_id);
	if (t->free_slot == TT_NONE || b == TT_NONE) {
		t->stats.spans_dropped++; /* unreachable: the pool just made room */
		return;
	}
	slot = t->free_slot;
	if (t->hash[b]) {
		ti = t->hash[b] - 1;
	} else {
		/* open traces <= spans buffered < max_spans: a record is free */
		ti = t->free_trace;
		if (ti == TT_NONE) {
			t->stats.spans_dropped++;
			return;
		}
		t->free_trace = t->traces[ti].link[TT_WAIT].next;
		tr = &t->traces[ti];
		memset(tr, 0, sizeof(*tr));
		memcpy(tr->trace_id, s->trace_id, sizeof(tr->trace_id));
		tr->spans = TT_NONE;
		tr->first_ns = now;
		tt_list_append(t, TT_WAIT, ti);
		t->hash[b] = ti + 1;
	}
	tr = &t->traces[ti];

	t->free_slot = t->slot_next[slot];
	t->pool[slot] = *s;
	tt_terminate(&t->pool[slot]);
	t->slot_seq[slot] = t->seq++;
	t->slot_next[slot] = tr->spans;
	tr->spans = slot;
	tr->last_ns = now;

	/* the grace list is ordered by last arrival: any arrival moves it back */
	if (tr->in_grace) {
		tt_list_unlink(t, TT_GRACE, ti);
		tt_list_append(t, TT_GRACE, ti);
	} else if (!s->has_parent || s->kind == SPAN_KIND_SERVER) {
		tr->in_grace = 1;
		tt_list_append(t, TT_GRACE, ti);
	}
}

void trace_tree_tick(struct trace_tree *t, uint64_t now_ns)
{
	if (!t)
		return;
	tt_drain(t, tt_clock(t, now_ns), 0);
}

/* Prints in the order the traces would fall due, then the buffers are empty. */
void trace_tree_flush(struct trace_tree *t)
{
	if (!t)
		return;
	tt_drain(t, t->now_ns, 1);
	fflush(t->out);
}

void trace_tree_get_stats(const struct trace_tree *t, struct trace_tree_stats *out)
{
	if (!t) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = t->stats;
}
