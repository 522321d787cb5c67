// SPDX-License-Identifier: MIT
/* Records to connections: each found or made, its side and protocol
 * decided, its stream followed, its protocol's state fed, parked and
 * ended; what the protocol reports is tracer_exchange.c's. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "record_chunk.h"
#include "procinfo.h"
#include "tracer_internal.h"

struct tracer *tracer_new(const struct zt_config *cfg, span_sink_fn sink, void *sink_ctx)
{
	struct tracer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->conns = conn_table_new(cfg->max_conns);
	t->states = proto_states_new(TRACER_SPARE_STATES);
	t->stitch = stitch_new(cfg->max_conns, cfg->max_conns);
	/* only --node-helper reports links: without it nothing is kept per fd */
	t->helpers = cfg->node_helper ? helper_links_new() : NULL;
	t->rpc_dup = (uint8_t)cfg->rpc_dup;
	t->inject = cfg->inject_traceparent != 0;
	t->capture_bytes = cfg->capture_bytes;
	if (!t->conns || !t->states || !t->stitch || (cfg->node_helper && !t->helpers)) {
		tracer_free(t);
		return NULL;
	}
	sampler_init(&t->sampler, cfg->sample_ratio, config_sampling_set(cfg),
		     cfg->sample_ignore_parent);
	stitch_set_sampler(t->stitch, &t->sampler);
	t->sink = sink;
	t->sink_ctx = sink_ctx;
	t->idle_timeout_ns = (uint64_t)(cfg->idle_timeout * 1e9);
	return t;
}

static void quiet_request(void *ctx, const struct proto_request *r)
{
	(void)ctx, (void)r;
}

static void quiet_exchange(void *ctx, struct proto_exchange *x)
{
	(void)ctx, (void)x;
}

static void quiet_abandon(void *ctx, uint32_t key)
{
	(void)ctx, (void)key;
}

static void quiet_note(void *ctx, enum proto_note n)
{
	(void)ctx, (void)n;
}

/* At the agent's end a module's open state (HTTP/2's inflaters) is freed
 * through its close, whose spans go nowhere: the outputs are gone. */
static void conn_discard(void *ctx, struct conn *c)
{
	const struct proto_sink quiet = { .request = quiet_request, .exchange = quiet_exchange,
					  .abandon = quiet_abandon, .note = quiet_note };

	(void)ctx;
	if (c->state)
		c->proto->close(c->state, &quiet);
}

void tracer_free(struct tracer *t)
{
	if (!t)
		return;
	if (t->conns)
		conn_table_sweep_idle(t->conns, UINT64_MAX, conn_discard, NULL);
	conn_table_free(t->conns);
	proto_states_free(t->states);
	stitch_free(t->stitch);
	helper_links_free(t->helpers);
	free(t);
}

void tracer_set_goroutine_lookup(struct tracer *t, tracer_runs_goroutines_fn fn, void *ctx)
{
	t->runs_goroutines = fn;
	t->runs_goroutines_ctx = ctx;
}

void tracer_add_listen_port(struct tracer *t, uint16_t port)
{
	port_set_add(&t->listening, port);
}

static void conn_finish(struct tracer *t, struct conn *c)
{
	struct exchange_ctx x = { .t = t, .c = c };
	struct proto_sink k;

	/* a parked state has nothing open */
	if (!c->state)
		return;
	k = tracer_sink_for(&x);
	c->proto->close(c->state, &k);
}

static void timed_add(struct tracer *t, const struct conn *c)
{
	if (t->n_timed == TRACER_TIMED_MAX) {
		t->stats.timed_full++;
		return;
	}
	t->timed[t->n_timed++] = c->conn_id;
}

static void timed_remove(struct tracer *t, const struct conn *c)
{
	if (!c->proto || !c->proto->expire)
		return;
	for (uint32_t i = 0; i < t->n_timed; i++) {
		if (t->timed[i] == c->conn_id) {
			t->timed[i] = t->timed[--t->n_timed];
			return;
		}
	}
}

static void on_evict(void *ctx, struct conn *c)
{
	struct tracer *t = ctx;

	conn_finish(t, c);
	timed_remove(t, c);
	t->stats.conns_evicted++;
}

/* Which side sent the first bytes seen: ZT_SNIFF_* bits, or 0. */
static uint8_t role_from_sniff(uint8_t dir, int side)
{
	side &= ZT_SNIFF_REQUEST | ZT_SNIFF_RESPONSE;
	if (side == ZT_SNIFF_REQUEST)
		return dir == ZT_DIR_INGRESS ? ZT_ROLE_SERVER : ZT_ROLE_CLIENT;
	if (side == ZT_SNIFF_RESPONSE)
		return dir == ZT_DIR_EGRESS ? ZT_ROLE_SERVER : ZT_ROLE_CLIENT;
	return ZT_ROLE_UNKNOWN;
}

/* A connection opened before the agent: its side from the listening ports,
 * else from which way the first message goes. */
static uint8_t role_resolve(const struct tracer *t, const struct zt_event *e, int side)
{
	if (port_set_has(&t->listening, e->tuple.local_port))
		return ZT_ROLE_SERVER;
	if (port_set_has(&t->listening, e->tuple.remote_port))
		return ZT_ROLE_CLIENT;
	return role_from_sniff(e->dir, side);
}

static void conn_tuple_set(struct conn *c, const struct zt_conn_tuple *tp)
{
	c->tuple = *tp;
	span_format_addr(c->local_addr, sizeof(c->local_addr), tp->family, tp->local_addr);
	span_format_addr(c->remote_addr, sizeof(c->remote_addr), tp->family, tp->remote_addr);
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
		c->run_dir = 0xff;
		c->fd = -1;
		c->goroutines = t->runs_goroutines &&
				t->runs_goroutines(t->runs_goroutines_ctx, e->pid);
		conn_tuple_set(c, &e->tuple);
		memcpy(c->comm, e->comm, sizeof(c->comm));
		c->comm[sizeof(c->comm) - 1] = '\0';
		/* read the process while it surely lives: a short-lived client
		 * is often gone by its first span, and would lose its
		 * service.name (a cache hit after the first connection) */
		procinfo_get(c->pid, c->comm);
		t->stats.conns_opened++;
	} else if (e->tuple.family && !c->tuple.family) {
		conn_tuple_set(c, &e->tuple);
	}
	return c;
}

/*
 * The kernel's sniff names the protocol (so that it copies what that
 * protocol needs) and sends nothing before it has; a record naming no
 * registered module is counted, not parsed. The first bytes also tell the
 * side of a connection older than the agent.
 * Returns 0 once c has a protocol and a side.
 */
static int conn_detect(struct tracer *t, struct conn *c, const struct zt_event *e,
		       const uint8_t *payload)
{
	const struct proto *p = c->proto;
	int side = 0;

	if (!p) {
		p = proto_by_id(e->proto);
		if (!p) {
			t->stats.unsniffed++;
			return -1;
		}
	}
	if (c->role == ZT_ROLE_UNKNOWN) {
		if (e->cap_len && !(e->flags & ZT_F_SEGS))
			proto_sniff(payload, e->cap_len, e->tuple.local_port, e->tuple.remote_port,
				    1u << p->id, 1, &side);
		c->role = role_resolve(t, e, side);
		if (c->role == ZT_ROLE_UNKNOWN) {
			t->stats.role_unknown++;
			return -1;
		}
	}
	if (!c->proto) {
		c->state = proto_states_take(t->states, p);
		if (!c->state) {
			t->stats.state_alloc_failures++;
			return -1;
		}
		c->proto = p;
		p->init(c->state);
		if (p->expire)
			timed_add(t, c);
	}
	return 0;
}

/*
 * The first plaintext record of a TLS connection. One that spoke in the
 * clear first (PostgreSQL's SSLRequest) starts over: the kernel restarted
 * its stream positions and sniffs its protocol again from the plaintext.
 */
static void conn_tls_begin(struct tracer *t, struct conn *c)
{
	if (c->proto) {
		conn_finish(t, c);
		timed_remove(t, c);
		proto_states_give(t->states, c->proto, c->state);
		c->state = NULL;
		c->proto = NULL;
		t->stats.tls_conn_resets++;
	}
	c->stream_known[0] = c->stream_known[1] = CONN_STREAM_UNKNOWN;
	c->tls = 1;
}

/*
 * The kernel switched the connection to another protocol at this record
 * (HTTP/1.1's 101 to h2c, whose head it skipped: the record's first
 * segments, one per iovec it spans, each the rest of no frame; or the
 * client's preface, after a 101 it did not see whole): the request being
 * answered moves to the new module, which reads what follows. The kernel
 * changes a connection's protocol nowhere else, so a record whose 101 was
 * lost switches too, with nothing to skip.
 */
static void conn_upgrade(struct tracer *t, struct conn *c, const struct zt_event *e,
			const struct proto_sink *k, struct proto_chunk *ch, struct proto_seg *segs)
{
	const struct proto *to = proto_by_id(e->proto);
	struct proto_handoff h;
	void *state;

	if (!to || !c->proto->hand_off || !to->adopt)
		return;
	state = proto_states_take(t->states, to);
	if (!state) {
		t->stats.state_alloc_failures++;
		return;
	}
	if (!c->proto->hand_off(c->state, &h, k))
		memset(&h, 0, sizeof(h));
	h.answers_unseen = !record_chunk_skip_head(ch, segs);
	timed_remove(t, c);
	proto_states_give(t->states, c->proto, c->state);
	c->state = state;
	c->proto = to;
	to->init(state);
	to->adopt(state, &h);
	if (to->expire)
		timed_add(t, c);
	t->stats.proto_upgrades++;
}

/* A parked connection's next chunk: a state fresh from init, with what
 * it carried. */
static int conn_state_resume(struct tracer *t, struct conn *c)
{
	c->state = proto_states_take(t->states, c->proto);
	if (!c->state) {
		t->stats.state_alloc_failures++;
		return -1;
	}
	c->proto->init(c->state);
	c->proto->resume(c->state, c->proto_carry);
	return 0;
}

static void conn_state_park(struct tracer *t, struct conn *c)
{
	if (c->state && c->proto->park && c->proto->park(c->state, &c->proto_carry)) {
		proto_states_give(t->states, c->proto, c->state);
		c->state = NULL;
	}
}

/* ch: the record's bytes, already checked (record_chunk), its segments
 * in segs. */
static void handle_data(struct tracer *t, const struct zt_event *e, const uint8_t *payload,
			struct proto_chunk *ch_in, struct proto_seg *segs)
{
	struct conn *c = conn_for_event(t, e);
	struct exchange_ctx x = { .t = t, .c = c, .e = e };
	struct proto_chunk ch = *ch_in;
	struct proto_sink k;
	int64_t missing;

	if ((e->flags & ZT_F_TLS) && !c->tls)
		conn_tls_begin(t, c);
	if (e->flags & ZT_F_TLS && e->tls_minor)
		c->tls_minor = e->tls_minor;
	else if (!(e->flags & ZT_F_TLS) && c->tls) {
		/* cleartext from before the handshake, overtaken: its stream is gone */
		t->stats.record_gaps++;
		return;
	}
	if ((!c->proto || c->role == ZT_ROLE_UNKNOWN) && conn_detect(t, c, e, payload))
		return;
	if (!c->state && conn_state_resume(t, c))
		return;
	if (c->role == ZT_ROLE_SERVER)
		ch.side = e->dir == ZT_DIR_INGRESS ? PROTO_SIDE_REQUEST : PROTO_SIDE_RESPONSE;
	else
		ch.side = e->dir == ZT_DIR_EGRESS ? PROTO_SIDE_REQUEST : PROTO_SIDE_RESPONSE;
	/* a read "sees" bytes when it returns, a write when it is called */
	ch.tag = e->dir == ZT_DIR_INGRESS ? e->ts_exit_ns : e->ts_enter_ns;
	tracer_kernel_ids_note(c, e);
	if (e->dir != c->run_dir)
		tracer_run_task_note(c, e, ch.tag);
	if (e->fd >= 0) {
		c->fd = e->fd;
		if (t->helpers && c->role == ZT_ROLE_SERVER)
			helper_links_server_fd(t->helpers, e->pid, e->fd, c->conn_id);
	}
	/* a forked child serves what its parent accepted: name the one at work */
	if (c->pid != e->pid) {
		c->pid = e->pid;
		memcpy(c->comm, e->comm, sizeof(c->comm));
		c->comm[sizeof(c->comm) - 1] = '\0';
	}
	if (e->flags & ZT_F_CONTINUATION) {
		t->stats.continuations++;
		ch.tail = e->tail;
		ch.tail_len = e->tail_len;
	}
	k = tracer_sink_for(&x);
	if (e->tuple.transport == IPPROTO_UDP) {
		ch.peer = &e->tuple;
		t->stats.proto_misses[c->proto->id] += c->proto->feed(c->state, &ch, &k);
		return;
	}
	missing = record_stream_advance(c, e, ch.total);
	if (missing) {
		struct proto_chunk gap = { .side = ch.side, .cont = 1, .tag = ch.tag,
					   .total = (uint64_t)missing };

		t->stats.record_gaps++;
		if (missing < 0)
			return;
		t->stats.proto_misses[c->proto->id] += c->proto->feed(c->state, &gap, &k);
	}
	if (e->proto != c->proto->id)
		conn_upgrade(t, c, e, &k, &ch, segs);
	t->stats.proto_misses[c->proto->id] += c->proto->feed(c->state, &ch, &k);
	conn_state_park(t, c);
}

/* The connection is over: what is open is reported, its slot freed. */
static void conn_end(struct tracer *t, struct conn *c)
{
	conn_finish(t, c);
	if (c->role == ZT_ROLE_SERVER) {
		struct stitch_conn_key key;

		tracer_conn_key(c, NULL, NULL, &key);
		stitch_server_closed(t->stitch, &key);
	}
	timed_remove(t, c);
	conn_table_remove(t->conns, c);
}

static void handle_close(struct tracer *t, const struct zt_event *e)
{
	struct conn *c = conn_table_lookup(t->conns, e->conn_id);

	if (!c)
		return;
	/* a process closing its copy of a shared socket does not end it */
	if (e->syscall == ZT_SYS_CLOSE && e->pid != c->pid)
		return;
	conn_end(t, c);
}

/* A datagram socket has no end of its own in the kernel (no state change,
 * and an exit closes it without close()): its process's exit ends it. */
static void timed_process_exit(struct tracer *t, uint32_t pid)
{
	for (uint32_t i = 0; i < t->n_timed;) {
		struct conn *c = conn_table_lookup(t->conns, t->timed[i]);

		if (!c || !c->proto || c->pid != pid || c->tuple.transport != IPPROTO_UDP) {
			i++;
			continue;
		}
		conn_end(t, c);
	}
}

int tracer_handle_event(struct tracer *t, const void *data, size_t size)
{
	static struct proto_seg segs[256]; /* a record holds at most 255 */
	const struct zt_event *e = data;
	struct proto_chunk ch = { 0 };

	t->stats.events++;
	if (size < sizeof(*e)) {
		t->stats.bad_events++;
		return 0;
	}
	if (e->type == ZT_EV_DATA &&
	    (e->cap_len > ZT_CAPTURE_MAX || size < sizeof(*e) + e->cap_len || e->bytes < 0 ||
	     e->tail_len > ZT_TAIL_LEN ||
	     record_chunk(e, (const uint8_t *)data + sizeof(*e), &ch, segs))) {
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
		handle_data(t, e, (const uint8_t *)data + sizeof(*e), &ch, segs);
		break;
	case ZT_EV_CLOSE:
		handle_close(t, e);
		break;
	case ZT_EV_CONNECT:
		if (e->bytes < 0 && e->bytes != EINPROGRESS_NEG) {
			t->stats.connect_failures++;
			break;
		}
		/* a new socket: what was said of its fd number was said of another */
		if (t->helpers)
			helper_links_conn_opened(t->helpers, e->pid, e->fd);
		conn_for_event(t, e);
		break;
	case ZT_EV_ACCEPT:
		tracer_add_listen_port(t, e->tuple.local_port);
		if (t->helpers)
			helper_links_conn_opened(t->helpers, e->pid, e->fd);
		conn_for_event(t, e);
		break;
	case ZT_EV_EXIT:
		procinfo_evict(e->pid);
		timed_process_exit(t, e->pid);
		break;
	case ZT_EV_HELPER_LINK:
		if (!t->helpers || e->cap_len > ZT_HELPER_PATH_MAX || size < sizeof(*e) + e->cap_len)
			t->stats.bad_events++;
		else
			helper_links_report(t->helpers, e->pid, (const uint8_t *)data + sizeof(*e),
					    e->cap_len);
		break;
	case ZT_EV_LOG:
		if (e->cap_len > ZT_CAPTURE_MAX || size < sizeof(*e) + e->cap_len ||
		    e->bytes < (int64_t)e->cap_len || e->tail_len > ZT_TAIL_LEN)
			t->stats.bad_events++;
		else if (t->log_sink)
			tracer_log_event(t, e, (const uint8_t *)data + sizeof(*e));
		break;
	default:
		t->stats.bad_events++;
	}
	return 0;
}

void tracer_tick(struct tracer *t, uint64_t now_mono_ns, int64_t mono_to_unix_ns)
{
	t->mono_to_unix_ns = mono_to_unix_ns;
	for (uint32_t i = 0; i < t->n_timed;) {
		struct conn *c = conn_table_lookup(t->conns, t->timed[i]);
		struct exchange_ctx x = { .t = t, .c = c };
		struct proto_sink k;

		/* gone, or its protocol changed (a TLS connection starts over) */
		if (!c || !c->proto || !c->proto->expire) {
			t->timed[i] = t->timed[--t->n_timed];
			continue;
		}
		k = tracer_sink_for(&x);
		if (c->state && now_mono_ns > TRACER_EXPIRE_SLACK_NS)
			c->proto->expire(c->state, now_mono_ns - TRACER_EXPIRE_SLACK_NS, &k);
		i++;
	}
	if (now_mono_ns > t->idle_timeout_ns)
		conn_table_sweep_idle(t->conns, now_mono_ns - t->idle_timeout_ns, on_evict, t);
	if (now_mono_ns > TRACER_UNANSWERED_KEEP_NS)
		stitch_expire_unanswered(t->stitch, now_mono_ns - TRACER_UNANSWERED_KEEP_NS);
}

void tracer_get_stats(const struct tracer *t, struct tracer_stats *out)
{
	*out = t->stats;
	out->spans = out->parse_misses = 0;
	for (uint32_t i = 0; i < ZT_PROTO_COUNT; i++) {
		out->spans += t->stats.proto_spans[i];
		out->parse_misses += t->stats.proto_misses[i];
	}
	stitch_get_stats(t->stitch, &out->stitch);
	proto_states_get_stats(t->states, &out->states);
	if (t->helpers)
		helper_links_get_stats(t->helpers, &out->helpers);
}

double tracer_sample_ratio(const struct tracer *t)
{
	return t->sampler.ratio;
}

void tracer_set_sample_ratio(struct tracer *t, double ratio)
{
	sampler_set_ratio(&t->sampler, ratio);
}

uint64_t tracer_sample_threshold(const struct tracer *t)
{
	return t->sampler.active ? t->sampler.threshold : 0;
}

int tracer_sample_follows_parent(const struct tracer *t)
{
	return t->sampler.active && !t->sampler.ignore_parent;
}

uint64_t tracer_conns_tracked(const struct tracer *t)
{
	struct conn_table_stats cs;

	conn_table_get_stats(t->conns, &cs);
	return cs.tracked;
}
