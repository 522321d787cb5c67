// SPDX-License-Identifier: MIT
/* A protocol's reports become spans: a request head decides its span's ids
 * in causal order (wire context, connection, task), an exchange builds the
 * span and ends what the stitcher kept for it. */
#include <string.h>

#include "propagation.h"
#include "span_build.h"
#include "tracer_internal.h"

/* The context a request's own headers carry: traceparent first, then B3.
 * *w3c tells whether it was the traceparent (tracestate goes with it only). */
static const struct trace_context *wire_context(struct tracer *t, const struct proto_context *req,
						struct trace_context *out, uint8_t *w3c)
{
	int tp_ok;

	*w3c = 0;
	if (!req || (!req->traceparent[0] && !req->b3[0] && !req->b3_trace_id[0]))
		return NULL;
	if (req->dups) {
		stitch_count_bad_wire(t->stitch);
		return NULL;
	}
	tp_ok = req->traceparent[0] &&
		propagation_parse_traceparent(req->traceparent, strlen(req->traceparent), out) == 0;
	if (req->traceparent[0] && !tp_ok)
		stitch_count_bad_wire(t->stitch);
	if (tp_ok) {
		*w3c = 1;
		sample_ot_parse(req->tracestate, strnlen(req->tracestate, sizeof(req->tracestate)),
				&out->ot);
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
void tracer_kernel_ids_note(struct conn *c, const struct zt_event *e)
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

/* The stitcher's key of a request: its connection, and its stream where
 * the protocol multiplexes them. */
void tracer_conn_key(const struct conn *c, const struct conn_request *r,
		     const struct zt_conn_tuple *peer, struct stitch_conn_key *key)
{
	const struct zt_conn_tuple *tp = peer ? peer : &c->tuple;

	stitch_conn_key_from_tuple(key, c->role, tp->family, tp->local_addr, tp->local_port,
				   tp->remote_addr, tp->remote_port);
	key->stream = r ? r->stream : 0;
}

/* A request whose span will never end (the protocol dropped it to make
 * room for newer pipelined ones): its stitch state must not outlive it. */
static void request_abandon(struct tracer *t, struct conn *c, const struct conn_request *r)
{
	struct stitch_conn_key key;

	if (c->role == ZT_ROLE_SERVER) {
		stitch_server_end(t->stitch, r->pid, &r->task, r->ids.span_id);
	} else {
		tracer_conn_key(c, r, NULL, &key);
		stitch_client_end(t->stitch, &key, r->ids.span_id);
	}
	conn_request_done(t->conns, c, r->key);
}

/* The task a record names; the moment stays the run's. */
static void run_task_set(struct stitch_task *task, const struct conn *c, const struct zt_event *e)
{
	task->id = e->task;
	task->kind = e->task_kind;
	task->handoff_ns = e->handoff_ns;
	if (e->task_kind > ZT_TASK_UNKNOWN || (c->goroutines && e->task_kind == ZT_TASK_THREAD))
		task->kind = ZT_TASK_UNKNOWN;
}

/* The first record of a direction's run names the task that moved it. */
void tracer_run_task_note(struct conn *c, const struct zt_event *e, uint64_t tag)
{
	c->run_dir = e->dir;
	run_task_set(&c->run_task, c, e);
	c->run_task.start_ns = tag;
}

/* The request a runtime's helper says a client request on c serves: the
 * one request in flight on the server connection it named; or that it
 * serves none (stitch_helper_none). */
const struct conn *tracer_helper_conn(struct tracer *t, uint32_t pid, int32_t fd, uint64_t *id)
{
	const struct conn *in;

	*id = t->helpers && fd >= 0 ? helper_links_server_of(t->helpers, pid, fd) : 0;
	if (!*id || *id == HELPER_LINKS_NO_REQUEST)
		return NULL;
	in = conn_table_lookup(t->conns, *id);
	return in && in->role == ZT_ROLE_SERVER && in->pid == pid ? in : NULL;
}

static const struct stitch_ids *helper_parent(struct tracer *t, const struct conn *c)
{
	uint64_t id;
	const struct conn *in = tracer_helper_conn(t, c->pid, c->fd, &id);
	const struct conn_request *found = in ? conn_request_sole(in) : NULL;

	if (id == HELPER_LINKS_NO_REQUEST)
		return &stitch_helper_none;
	return found ? &found->ids : NULL;
}

/* A request head arrived: its span's ids are decided now, in causal order,
 * so that the calls it makes can name it as their parent. */
static void on_request(void *ctx, const struct proto_request *req)
{
	struct exchange_ctx *x = ctx;
	struct conn *c = x->c;
	const struct conn_request *old = conn_request_occupant(c, req->key);
	struct conn_request *r;
	struct trace_context wc;
	const struct trace_context *wire;
	const struct stitch_ids *kernel;
	struct stitch_conn_key key;

	/* a request a whole ring older is still live only if it was dropped */
	if (old)
		request_abandon(x->t, c, old);
	r = conn_request_slot(x->t->conns, c, req->key);
	wire = wire_context(x->t, req->wire, &wc, &r->w3c);
	kernel = kernel_ids_take(c);
	r->pid = x->e ? x->e->pid : c->pid;
	r->tid = x->e ? x->e->tid : c->first_tid;
	/* a client's request: the run's first record, as a later one may have
	 * used up a handoff; a server's: the record that completed the head
	 * (Go's connection reader may read its first byte for the server). A
	 * multiplexed connection's run is many streams' writes, from whichever
	 * thread made each (grpc's own threads write flow control between a
	 * handler's calls): a stream's request is the record that carried it. */
	r->task = c->run_task;
	if ((c->role == ZT_ROLE_SERVER || req->stream) && x->e)
		run_task_set(&r->task, c, x->e);
	if (c->role == ZT_ROLE_CLIENT && req->stream && x->e)
		r->task.start_ns = req->start_tag;
	r->stream = req->stream;
	if (x->t->inject && c->role == ZT_ROLE_CLIENT && c->proto->uninjectable)
		x->t->stats.inject_skipped++;
	tracer_conn_key(c, r, req->peer, &key);
	if (c->role == ZT_ROLE_SERVER)
		stitch_server_start(x->t->stitch, &key, r->pid, &r->task, wire, kernel, &r->ids);
	else
		stitch_client_start(x->t->stitch, &key, r->pid, &r->task, wire, kernel,
				    helper_parent(x->t, c), &r->ids);
}

static void on_abandon(void *ctx, uint32_t key)
{
	struct exchange_ctx *x = ctx;
	const struct conn_request *r = conn_request_find(x->c, key);

	x->t->stats.pipeline_drops++;
	if (r)
		request_abandon(x->t, x->c, r);
}

static void on_note(void *ctx, enum proto_note n)
{
	struct exchange_ctx *x = ctx;

	if (n < PROTO_NOTE_COUNT)
		x->t->stats.proto_notes[x->c->proto->id][n]++;
}

static void on_exchange(void *ctx, struct proto_exchange *ex)
{
	struct exchange_ctx *x = ctx;
	struct tracer *t = x->t;
	struct conn *c = x->c;
	const struct conn_request *r = conn_request_find(c, ex->key);
	struct span *s = &t->span;
	struct stitch_conn_key key;

	if (!r) {
		/* the head was never wholly seen: decide the ids now */
		struct proto_request req = { .key = ex->key, .start_tag = ex->start_tag,
					     .wire = ex->wire, .peer = ex->peer };

		on_request(ctx, &req);
		r = conn_request_find(c, ex->key);
	}
	span_build(s, c, r, ex, t->mono_to_unix_ns);
	if (s->attrs.overflow)
		t->stats.attr_overflows++;
	if (c->role == ZT_ROLE_SERVER) {
		stitch_server_end(t->stitch, s->pid, r ? &r->task : &c->run_task, s->span_id);
	} else {
		tracer_conn_key(c, r, ex->peer, &key);
		if (ex->has_response)
			stitch_client_end(t->stitch, &key, s->span_id);
		else
			stitch_client_unanswered(t->stitch, &key, s->span_id, ex->end_tag);
	}
	conn_request_done(t->conns, c, ex->key);
	t->stats.proto_spans[c->proto->id]++;
	t->sink(t->sink_ctx, s);
}

struct proto_sink tracer_sink_for(struct exchange_ctx *x)
{
	return (struct proto_sink){
		.ctx = x,
		.kind = x->c->role == ZT_ROLE_SERVER ? SPAN_KIND_SERVER : SPAN_KIND_CLIENT,
		.tls = x->c->tls,
		.rpc_dup = x->t->rpc_dup,
		.request = on_request,
		.exchange = on_exchange,
		.abandon = on_abandon,
		.note = on_note,
	};
}
