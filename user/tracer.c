// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn_table.h"
#include "events.h"
#include "http1.h"
#include "ids.h"
#include "listen_ports.h"
#include "procinfo.h"
#include "propagation.h"
#include "stitch.h"
#include "tracer.h"

#define EINPROGRESS_NEG (-115)
/* How long a request whose client gave up waits for its server to read it. */
#define TRACER_UNANSWERED_KEEP_NS (10ULL * 1000000000ULL)

struct tracer {
	struct conn_table *conns;
	struct port_set listening;
	span_sink_fn sink;
	void *sink_ctx;
	int64_t mono_to_unix_ns;
	uint64_t idle_timeout_ns;
	struct tracer_stats stats;
	struct stitch *stitch;
	struct span span; /* reused: no allocation per span */
};

/* What the parser callback needs to turn an exchange into a span. */
struct exchange_ctx {
	struct tracer *t;
	struct conn *c;
	const struct zt_event *e; /* the record being fed; NULL at close */
};

struct tracer *tracer_new(const struct zt_config *cfg, span_sink_fn sink, void *sink_ctx)
{
	struct tracer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->conns = conn_table_new(cfg->max_conns);
	t->stitch = stitch_new(cfg->max_conns, cfg->max_conns);
	if (!t->conns || !t->stitch) {
		tracer_free(t);
		return NULL;
	}
	t->sink = sink;
	t->sink_ctx = sink_ctx;
	t->idle_timeout_ns = (uint64_t)(cfg->idle_timeout * 1e9);
	return t;
}

void tracer_free(struct tracer *t)
{
	if (!t)
		return;
	conn_table_free(t->conns);
	stitch_free(t->stitch);
	free(t);
}

void tracer_add_listen_port(struct tracer *t, uint16_t port)
{
	port_set_add(&t->listening, port);
}

/* The context a request's own headers carry: traceparent first, then B3.
 * *w3c tells whether it was the traceparent (tracestate goes with it only). */
static const struct trace_context *wire_context(struct tracer *t, const struct http1_request *req,
						struct trace_context *out, uint8_t *w3c)
{
	int tp_ok;

	*w3c = 0;
	if (!req->traceparent[0] && !req->b3[0] && !req->b3_trace_id[0])
		return NULL;
	if (req->trace_header_dups) {
		stitch_count_bad_wire(t->stitch);
		return NULL;
	}
	tp_ok = req->traceparent[0] &&
		propagation_parse_traceparent(req->traceparent, strlen(req->traceparent), out) == 0;
	if (req->traceparent[0] && !tp_ok)
		stitch_count_bad_wire(t->stitch);
	if (tp_ok) {
		*w3c = 1;
		return out;
	}
	if (propagation_parse_b3(req->b3, strlen(req->b3), out) == 0 ||
	    propagation_parse_b3_multi(req->b3_trace_id, strlen(req->b3_trace_id), req->b3_span_id,
				       strlen(req->b3_span_id), req->b3_sampled,
				       strlen(req->b3_sampled), req->b3_flags, strlen(req->b3_flags),
				       out) == 0)
		return out;
	if (req->b3[0] || req->b3_trace_id[0])
		stitch_count_bad_wire(t->stitch);
	return NULL;
}

/* Ids the kernel chose (--inject-traceparent) for the request now being
 * read or written. Kept until the request's head is complete: the head may
 * span several records, and a later one may refine the trace. */
static void kernel_ids_note(struct conn *c, const struct zt_event *e)
{
	struct stitch_ids *k = &c->kernel_ids;

	if (!(e->flags & (ZT_F_CTX_SERVER | ZT_F_CTX_INJECTED)))
		return;
	memset(k, 0, sizeof(*k));
	memcpy(k->trace_id, e->ctx_trace_id, sizeof(k->trace_id));
	memcpy(k->span_id, e->ctx_span_id, sizeof(k->span_id));
	if (e->flags & ZT_F_CTX_PARENT) {
		memcpy(k->parent_id, e->ctx_parent_id, sizeof(k->parent_id));
		k->has_parent = 1;
	}
	c->kernel_ids_valid = 1;
}

static const struct stitch_ids *kernel_ids_take(struct conn *c)
{
	if (!c->kernel_ids_valid)
		return NULL;
	c->kernel_ids_valid = 0;
	return &c->kernel_ids;
}

static void conn_key(const struct conn *c, struct stitch_conn_key *key)
{
	stitch_conn_key_from_tuple(key, c->role, c->tuple.family, c->tuple.local_addr,
				   c->tuple.local_port, c->tuple.remote_addr, c->tuple.remote_port);
}

/* A request whose span will never end (the parser dropped it to make room
 * for newer pipelined ones): its stitch state must not outlive it. */
static void request_abandon(struct tracer *t, struct conn *c, const struct conn_request *r)
{
	struct stitch_conn_key key;

	if (c->role == ZT_ROLE_SERVER) {
		stitch_server_end(t->stitch, r->pid, r->tid, r->ids.span_id);
	} else {
		conn_key(c, &key);
		stitch_client_end(t->stitch, &key, r->ids.span_id);
	}
	conn_request_done(c, r->seq);
}

/* A request head arrived: its span's ids are decided now, in causal order,
 * so that the calls it makes can name it as their parent. */
static void on_request(void *ctx, const struct http1_request *req)
{
	struct exchange_ctx *x = ctx;
	struct conn *c = x->c;
	struct conn_request *r = &c->reqs[req->seq % HTTP1_PIPELINE_MAX];

	/* a request a whole ring older is still live only if it was dropped */
	if (r->seq)
		request_abandon(x->t, c, r);
	r = conn_request_slot(c, req->seq);
	struct trace_context wc;
	const struct trace_context *wire = wire_context(x->t, req, &wc, &r->w3c);
	const struct stitch_ids *kernel = kernel_ids_take(c);
	struct stitch_conn_key key;

	r->pid = x->e ? x->e->pid : c->pid;
	r->tid = x->e ? x->e->tid : c->first_tid;
	conn_key(c, &key);
	if (c->role == ZT_ROLE_SERVER)
		stitch_server_start(x->t->stitch, &key, r->pid, r->tid, wire, kernel, &r->ids);
	else
		stitch_client_start(x->t->stitch, &key, r->pid, r->tid, wire, kernel, &r->ids);
}

static void span_set_ids(struct span *s, const struct conn_request *r,
			 const struct http1_request *req)
{
	const struct stitch_ids *ids = &r->ids;

	memcpy(s->trace_id, ids->trace_id, sizeof(s->trace_id));
	memcpy(s->span_id, ids->span_id, sizeof(s->span_id));
	memcpy(s->parent_span_id, ids->parent_id, sizeof(s->parent_span_id));
	s->has_parent = ids->has_parent;
	if (r->w3c && (ids->rule == STITCH_WIRE || ids->rule == STITCH_KERNEL)) {
		const char *ts = req->tracestate;

		while (*ts == ' ' || *ts == '\t')
			ts++;
		snprintf(s->tracestate, sizeof(s->tracestate), "%s", ts);
	}
}

static void on_exchange(void *ctx, const struct http1_exchange *ex)
{
	struct exchange_ctx *x = ctx;
	struct tracer *t = x->t;
	struct conn *c = x->c;
	const struct procinfo *pi = procinfo_get(c->pid, c->comm);
	const struct conn_request *r = conn_request_find(c, ex->req.seq);
	struct stitch_conn_key key;
	struct span_conn_info ci;

	if (!r) {
		/* the head was never wholly seen: decide the ids now */
		on_request(ctx, &ex->req);
		r = conn_request_find(c, ex->req.seq);
	}
	ci = (struct span_conn_info){
		.tuple = &c->tuple,
		.role = c->role,
		.pid = r ? r->pid : c->pid,
		.tid = r ? r->tid : c->first_tid,
		.exe_name = pi->exe_name,
		.comm = c->comm,
		.service_name = pi->service_name,
		.mono_to_unix_ns = t->mono_to_unix_ns,
	};
	if (span_build(&t->span, ex, &ci))
		return;
	if (r) {
		span_set_ids(&t->span, r, &ex->req);
	} else {
		ids_random(t->span.trace_id, sizeof(t->span.trace_id));
		ids_random(t->span.span_id, sizeof(t->span.span_id));
	}
	if (c->role == ZT_ROLE_SERVER) {
		stitch_server_end(t->stitch, ci.pid, ci.tid, t->span.span_id);
	} else {
		conn_key(c, &key);
		if (ex->has_response)
			stitch_client_end(t->stitch, &key, t->span.span_id);
		else
			stitch_client_unanswered(t->stitch, &key, t->span.span_id,
						 ex->req.end_tag);
	}
	conn_request_done(c, ex->req.seq);
	t->stats.spans++;
	t->sink(t->sink_ctx, &t->span);
}

static void conn_finish(struct tracer *t, struct conn *c, uint64_t tag)
{
	struct exchange_ctx x = { .t = t, .c = c };

	/* close resets the parser: collect its counters first */
	t->stats.pipeline_drops += c->http.pipeline_drops;
	http1_conn_close(&c->http, tag, on_exchange, &x);
}

static void on_evict(void *ctx, struct conn *c)
{
	struct tracer *t = ctx;

	conn_finish(t, c, c->last_seen_ns);
	t->stats.conns_evicted++;
}

/* A connection opened before the agent: its side from the listening ports,
 * else from which way the first message goes. */
static uint8_t role_resolve(const struct tracer *t, const struct zt_event *e, const uint8_t *payload)
{
	if (port_set_has(&t->listening, e->tuple.local_port))
		return ZT_ROLE_SERVER;
	if (port_set_has(&t->listening, e->tuple.remote_port))
		return ZT_ROLE_CLIENT;
	if (!e->cap_len)
		return ZT_ROLE_UNKNOWN;
	if (http1_looks_like_request(payload, e->cap_len))
		return e->dir == ZT_DIR_INGRESS ? ZT_ROLE_SERVER : ZT_ROLE_CLIENT;
	if (http1_looks_like_response(payload, e->cap_len))
		return e->dir == ZT_DIR_EGRESS ? ZT_ROLE_SERVER : ZT_ROLE_CLIENT;
	return ZT_ROLE_UNKNOWN;
}

static struct conn *conn_for_event(struct tracer *t, const struct zt_event *e)
{
	uint64_t now = e->ts_exit_ns;
	int created;
	struct conn *c = conn_table_upsert(t->conns, e->conn_id, now, &created, on_evict, t);

	if (created) {
		c->pid = e->pid;
		c->first_tid = e->tid;
		c->role = e->role;
		c->tuple = e->tuple;
		memcpy(c->comm, e->comm, sizeof(c->comm));
		c->comm[sizeof(c->comm) - 1] = '\0';
		http1_conn_set_request_cb(&c->http, on_request);
		t->stats.conns_opened++;
	} else if (e->tuple.family && !c->tuple.family) {
		c->tuple = e->tuple;
	}
	return c;
}

static void requests_dropped(struct tracer *t, struct conn *c)
{
	uint32_t oldest = c->http.pending_count ? c->http.pending[c->http.pending_head].seq :
						   c->http.next_seq + 1;

	for (uint32_t i = 0; i < HTTP1_PIPELINE_MAX; i++)
		if (c->reqs[i].seq && c->reqs[i].seq < oldest)
			request_abandon(t, c, &c->reqs[i]);
}

static void handle_data(struct tracer *t, const struct zt_event *e, const uint8_t *payload)
{
	struct conn *c = conn_for_event(t, e);
	struct exchange_ctx x = { .t = t, .c = c, .e = e };
	uint64_t tag, drops_before;
	enum http1_side side;

	if (c->role == ZT_ROLE_UNKNOWN)
		c->role = role_resolve(t, e, payload);
	if (c->role == ZT_ROLE_UNKNOWN) {
		t->stats.role_unknown++;
		return;
	}
	if (c->role == ZT_ROLE_SERVER)
		side = e->dir == ZT_DIR_INGRESS ? HTTP1_SIDE_REQUEST : HTTP1_SIDE_RESPONSE;
	else
		side = e->dir == ZT_DIR_EGRESS ? HTTP1_SIDE_REQUEST : HTTP1_SIDE_RESPONSE;
	/* a read "sees" bytes when it returns, a write when it is called */
	tag = e->dir == ZT_DIR_INGRESS ? e->ts_exit_ns : e->ts_enter_ns;
	drops_before = c->http.pipeline_drops;
	kernel_ids_note(c, e);
	/* a forked child serves what its parent accepted: name the one at work */
	if (c->pid != e->pid) {
		c->pid = e->pid;
		memcpy(c->comm, e->comm, sizeof(c->comm));
		c->comm[sizeof(c->comm) - 1] = '\0';
	}

	if (e->flags & ZT_F_CONTINUATION) {
		t->stats.continuations++;
		t->stats.parse_misses += http1_conn_feed_gap(&c->http, side, (uint64_t)e->bytes,
							     e->tail, e->tail_len, tag,
							     on_exchange, &x);
	} else {
		t->stats.parse_misses += http1_conn_feed(&c->http, side, payload, e->cap_len,
							 (uint64_t)e->bytes, tag, on_exchange, &x);
	}
	if (c->http.pipeline_drops != drops_before)
		requests_dropped(t, c);
}

static void handle_close(struct tracer *t, const struct zt_event *e)
{
	struct conn *c = conn_table_lookup(t->conns, e->conn_id);

	if (!c)
		return;
	/* a process closing its copy of a shared socket does not end it */
	if (e->syscall == ZT_SYS_CLOSE && e->pid != c->pid)
		return;
	conn_finish(t, c, e->ts_enter_ns);
	if (c->role == ZT_ROLE_SERVER) {
		struct stitch_conn_key key;

		conn_key(c, &key);
		stitch_server_closed(t->stitch, &key);
	}
	conn_table_remove(t->conns, c);
}

int tracer_handle_event(struct tracer *t, const void *data, size_t size)
{
	const struct zt_event *e = data;

	t->stats.events++;
	if (size < sizeof(*e)) {
		t->stats.bad_events++;
		return 0;
	}
	if (e->type == ZT_EV_DATA &&
	    (e->cap_len > ZT_CAPTURE_MAX || size < sizeof(*e) + e->cap_len || e->bytes < 0 ||
	     (uint64_t)e->bytes < e->cap_len || e->tail_len > ZT_TAIL_LEN)) {
		t->stats.bad_events++;
		return 0;
	}
	if (e->role > ZT_ROLE_SERVER || e->dir > ZT_DIR_INGRESS) {
		t->stats.bad_events++;
		return 0;
	}
	switch (e->type) {
	case ZT_EV_DATA:
		t->stats.payload_bytes += e->cap_len;
		handle_data(t, e, (const uint8_t *)data + sizeof(*e));
		break;
	case ZT_EV_CLOSE:
		handle_close(t, e);
		break;
	case ZT_EV_CONNECT:
		if (e->bytes < 0 && e->bytes != EINPROGRESS_NEG)
			t->stats.connect_failures++;
		else
			conn_for_event(t, e);
		break;
	case ZT_EV_ACCEPT:
		tracer_add_listen_port(t, e->tuple.local_port);
		conn_for_event(t, e);
		break;
	case ZT_EV_EXIT:
		procinfo_evict(e->pid);
		break;
	default:
		t->stats.bad_events++;
	}
	return 0;
}

void tracer_tick(struct tracer *t, uint64_t now_mono_ns, int64_t mono_to_unix_ns)
{
	t->mono_to_unix_ns = mono_to_unix_ns;
	if (now_mono_ns > t->idle_timeout_ns)
		conn_table_sweep_idle(t->conns, now_mono_ns - t->idle_timeout_ns, on_evict, t);
	if (now_mono_ns > TRACER_UNANSWERED_KEEP_NS)
		stitch_expire_unanswered(t->stitch, now_mono_ns - TRACER_UNANSWERED_KEEP_NS);
}

void tracer_get_stats(const struct tracer *t, struct tracer_stats *out)
{
	*out = t->stats;
	stitch_get_stats(t->stitch, &out->stitch);
}

uint64_t tracer_conns_tracked(const struct tracer *t)
{
	struct conn_table_stats cs;

	conn_table_get_stats(t->conns, &cs);
	return cs.tracked;
}
