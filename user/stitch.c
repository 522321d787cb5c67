// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "events.h"
#include "fixed_table.h"
#include "ids.h"
#include "stitch.h"

#define CONN_QUEUE STITCH_CONN_QUEUE
#define THREAD_SPANS 4 /* server spans remembered per task; more is ambiguous anyway */

struct span_ref {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint64_t unanswered_ns; /* when its client closed without an answer; 0: live */
	struct sample_decision sample;
};

/* A SERVER span its task serves. */
struct task_span {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint64_t start_ns; /* when its request arrived */
	struct sample_decision sample;
};

const struct stitch_ids stitch_helper_none;

const char *const stitch_task_class_names[STITCH_TASK_CLASSES] = {
	[STITCH_TASK_THREAD] = "thread",
	[STITCH_TASK_GOROUTINE] = "goroutine",
	[STITCH_TASK_HANDOFF] = "handoff",
	[STITCH_TASK_UNKNOWN] = "unknown",
	[STITCH_TASK_PROCESS] = "process",
	[STITCH_TASK_HELPER] = "helper",
};

/* The task key of a whole process: no task of the kernel's has this kind. */
#define TASK_KIND_PROCESS 0xffu

struct task_key {
	uint32_t pid;
	uint32_t kind; /* enum zt_task_kind: a goroutine is not the thread of the same number */
	uint64_t id;
};

struct conn_entry {
	struct stitch_conn_key key;
	uint8_t n;
	struct span_ref q[CONN_QUEUE]; /* oldest first */
};

struct thread_entry {
	struct task_key key;
	uint32_t inflight; /* server requests read and not yet answered */
	uint8_t n;         /* how many of them are in spans[] */
	struct task_span spans[THREAD_SPANS];
};

struct stitch {
	struct fixed_table conns;
	struct fixed_table threads;
	struct fixed_table procs; /* the same entries, one per process (kind TASK_KIND_PROCESS) */
	uint32_t unanswered; /* queued requests whose client closed unanswered */
	const struct sampler *sampler;
	struct stitch_stats stats;
	/* threads seen serving two requests at once (event loops), by
	 * pid << 32 | tid, direct-mapped: a line such a thread writes while
	 * one request is in flight may be another's (--logs) */
	uint64_t event_loops[STITCH_EVENT_LOOPS];
};

struct stitch *stitch_new(uint32_t max_conns, uint32_t max_threads)
{
	struct stitch *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (fixed_table_init(&s->conns, max_conns, sizeof(struct conn_entry),
		       offsetof(struct conn_entry, key), sizeof(struct stitch_conn_key)) ||
	    fixed_table_init(&s->threads, max_threads, sizeof(struct thread_entry),
		       offsetof(struct thread_entry, key), sizeof(struct task_key)) ||
	    fixed_table_init(&s->procs, max_threads, sizeof(struct thread_entry),
		       offsetof(struct thread_entry, key), sizeof(struct task_key))) {
		stitch_free(s);
		return NULL;
	}
	return s;
}

void stitch_set_sampler(struct stitch *s, const struct sampler *sampler)
{
	s->sampler = sampler;
}

void stitch_free(struct stitch *s)
{
	if (!s)
		return;
	fixed_table_release(&s->conns);
	fixed_table_release(&s->threads);
	fixed_table_release(&s->procs);
	free(s);
}

static struct task_key task_key_of(uint32_t pid, const struct stitch_task *task)
{
	return (struct task_key){ .pid = pid, .kind = task->kind, .id = task->id };
}

static enum stitch_task_class task_class(const struct stitch_task *task)
{
	if (task->kind == ZT_TASK_THREAD)
		return STITCH_TASK_THREAD;
	if (task->kind == ZT_TASK_GOROUTINE)
		return task->handoff_ns ? STITCH_TASK_HANDOFF : STITCH_TASK_GOROUTINE;
	return STITCH_TASK_UNKNOWN;
}

/* The span's own id, or all of the kernel's ids when it chose them. */
static void ids_begin(struct stitch_ids *out, const struct stitch_ids *kernel)
{
	if (kernel) {
		*out = *kernel;
		out->rule = STITCH_KERNEL;
		return;
	}
	memset(out, 0, sizeof(*out));
	ids_random(out->span_id, sizeof(out->span_id));
}

/* A trace id is drawn only for a span that no rule placed in one; a span
 * whose parent gave it no sampling decision heads its trace here, and
 * decides it. */
static void ids_finish(const struct stitch *s, struct stitch_ids *out, int decided)
{
	if (out->rule == STITCH_NEW_TRACE)
		ids_random(out->trace_id, sizeof(out->trace_id));
	if (!decided) {
		sampler_decide_root(s->sampler, out->trace_id, NULL, &out->sample);
		out->sample.head = 1;
	}
}

static void ids_child_of(struct stitch_ids *out, const uint8_t trace_id[16],
			 const uint8_t parent_id[8], uint8_t rule,
			 const struct sample_decision *sample)
{
	memcpy(out->trace_id, trace_id, 16);
	memcpy(out->parent_id, parent_id, 8);
	out->has_parent = 1;
	out->rule = rule;
	out->sample = *sample;
	out->sample.head = 0;
}

/* A child of a context off the wire: its flag decides, or the ratio. */
static void ids_child_of_wire(const struct stitch *s, struct stitch_ids *out,
			      const struct trace_context *wire, uint8_t rule)
{
	struct sample_decision d;

	sampler_decide_wire(s->sampler, wire->trace_id, wire->sampled, &wire->ot, &d);
	ids_child_of(out, wire->trace_id, wire->span_id, rule, &d);
	out->sample.head = 1; /* its parent is on another node, or not traced */
}

static uint8_t conn_unanswered(const struct conn_entry *e)
{
	uint8_t u = 0;

	for (uint8_t i = 0; i < e->n; i++)
		u += e->q[i].unanswered_ns != 0;
	return u;
}

static void conn_remove_at(struct stitch *s, struct conn_entry *e, uint8_t i)
{
	if (e->q[i].unanswered_ns)
		s->unanswered--;
	memmove(&e->q[i], &e->q[i + 1], (size_t)(e->n - i - 1) * sizeof(e->q[0]));
	if (!--e->n)
		fixed_table_delete(&s->conns, (uint8_t *)e);
}

/* Rule 2: the oldest client request on this connection not yet joined. */
static int conn_take_client(struct stitch *s, const struct stitch_conn_key *key,
			    struct span_ref *out)
{
	struct conn_entry *e = (struct conn_entry *)fixed_table_find(&s->conns, key);

	if (!e || !e->n)
		return 0;
	*out = e->q[0];
	conn_remove_at(s, e, 0);
	return 1;
}

void stitch_expire_unanswered(struct stitch *s, uint64_t closed_before_ns)
{
	uint32_t i = 0;

	/* the index, not the entries: an unused entry's page stays untouched;
	 * backward-shift deletion moves a later cell into cell i: look again */
	while (s->unanswered && i <= s->conns.mask) {
		uint32_t n = s->conns.index[i];
		struct conn_entry *e = n ? (struct conn_entry *)fixed_table_at(&s->conns, n - 1) : NULL;

		if (e && e->n && conn_unanswered(e) == e->n &&
		    e->q[e->n - 1].unanswered_ns < closed_before_ns) {
			s->stats.unanswered_unjoined += e->n;
			s->unanswered -= e->n;
			fixed_table_delete(&s->conns, (uint8_t *)e);
			continue;
		}
		i++;
	}
}

void stitch_server_closed(struct stitch *s, const struct stitch_conn_key *key)
{
	struct conn_entry *e = (struct conn_entry *)fixed_table_find(&s->conns, key);

	if (!e)
		return;
	s->stats.unanswered_unjoined += e->n;
	s->unanswered -= conn_unanswered(e);
	fixed_table_delete(&s->conns, (uint8_t *)e);
}

static uint64_t event_loop_key(uint32_t pid, uint64_t tid)
{
	return (uint64_t)pid << 32 | (uint32_t)tid;
}

static uint32_t event_loop_slot(uint32_t pid, uint64_t tid)
{
	return (uint32_t)((event_loop_key(pid, tid) * 0x9e3779b97f4a7c15ull) >> 52) %
	       STITCH_EVENT_LOOPS;
}

/* The SERVER span `ids` joins the requests its task (kind: the task's, or
 * TASK_KIND_PROCESS for its process) serves. */
static void task_span_add(struct stitch *s, uint32_t pid, const struct stitch_task *task,
			  const struct stitch_ids *ids, uint32_t kind)
{
	int process = kind == TASK_KIND_PROCESS;
	struct task_key tk = { .pid = pid, .kind = kind, .id = process ? 0 : task->id };
	struct thread_entry *th;

	/* a task nobody could name serves nothing rule 3 could use */
	if (kind == ZT_TASK_UNKNOWN)
		return;
	th = (struct thread_entry *)fixed_table_get_or_add(process ? &s->procs : &s->threads, &tk);
	if (!th) {
		if (process)
			s->stats.process_table_drops++;
		else
			s->stats.thread_table_drops++;
		return;
	}
	th->inflight++;
	if (kind == ZT_TASK_THREAD && th->inflight > 1) {
		uint64_t *slot = &s->event_loops[event_loop_slot(pid, task->id)];

		if (*slot && *slot != event_loop_key(pid, task->id))
			s->stats.event_loops_evicted++;
		*slot = event_loop_key(pid, task->id);
	}
	if (th->n < THREAD_SPANS) {
		memcpy(th->spans[th->n].trace_id, ids->trace_id, 16);
		memcpy(th->spans[th->n].span_id, ids->span_id, 8);
		th->spans[th->n].start_ns = task->start_ns;
		th->spans[th->n].sample = ids->sample;
		th->n++;
	}
}

void stitch_server_start(struct stitch *s, const struct stitch_conn_key *key, uint32_t pid,
			 const struct stitch_task *task, const struct trace_context *wire,
			 const struct stitch_ids *kernel, struct stitch_ids *out)
{
	struct span_ref client;
	int joined = conn_take_client(s, key, &client), decided = 1;

	ids_begin(out, kernel);
	if (kernel) {
		/* the kernel took the trace id from the wire: name the parent */
		if (joined && memcmp(client.trace_id, out->trace_id, 16) == 0)
			ids_child_of(out, client.trace_id, client.span_id, STITCH_KERNEL,
				     &client.sample);
		else if (wire && memcmp(wire->trace_id, out->trace_id, 16) == 0)
			ids_child_of_wire(s, out, wire, STITCH_KERNEL);
		else
			decided = 0;
	} else if (wire) {
		/* our own CLIENT span is the closer parent when it sent this context */
		if (joined && memcmp(client.trace_id, wire->trace_id, 16) == 0)
			ids_child_of(out, client.trace_id, client.span_id, STITCH_WIRE,
				     &client.sample);
		else
			ids_child_of_wire(s, out, wire, STITCH_WIRE);
	} else if (joined) {
		ids_child_of(out, client.trace_id, client.span_id, STITCH_CONNECTION,
			     &client.sample);
	} else {
		decided = 0;
	}
	ids_finish(s, out, decided);
	s->stats.by_rule[out->rule]++;

	task_span_add(s, pid, task, out, task->kind);
	task_span_add(s, pid, task, out, TASK_KIND_PROCESS);
}

static void task_span_remove(struct fixed_table *t, const struct task_key *tk,
			     const uint8_t span_id[8])
{
	struct thread_entry *th = (struct thread_entry *)fixed_table_find(t, tk);
	int found = 0;

	if (!th)
		return;
	for (uint8_t i = 0; i < th->n; i++) {
		if (memcmp(th->spans[i].span_id, span_id, 8) == 0) {
			th->spans[i] = th->spans[--th->n];
			found = 1;
			break;
		}
	}
	/* a span this task never counted (its start found the table full)
	 * must not end one that it did */
	if (!found && th->inflight <= th->n)
		return;
	if (th->inflight)
		th->inflight--;
	if (!th->inflight)
		fixed_table_delete(t, (uint8_t *)th);
}

void stitch_server_end(struct stitch *s, uint32_t pid, const struct stitch_task *task,
		       const uint8_t span_id[8])
{
	struct task_key tk = task_key_of(pid, task), pk = { .pid = pid, .kind = TASK_KIND_PROCESS };

	if (task->kind != ZT_TASK_UNKNOWN)
		task_span_remove(&s->threads, &tk, span_id);
	task_span_remove(&s->procs, &pk, span_id);
}

/* Rule 3: the one request the task serves, if the task's context is not
 * older than that request (a handoff made for an earlier one); else, for a
 * task that serves none, the one request its process serves, if that one
 * began before the call. *process says which. */
static const struct task_span *task_parent(struct stitch *s, uint32_t pid,
					   const struct stitch_task *task, uint64_t call_ns,
					   int *process)
{
	struct task_key tk = task_key_of(pid, task), pk = { .pid = pid, .kind = TASK_KIND_PROCESS };
	struct thread_entry *th = NULL;

	*process = 0;
	if (task->kind != ZT_TASK_UNKNOWN)
		th = (struct thread_entry *)fixed_table_find(&s->threads, &tk);
	if (th) {
		if (th->inflight > 1) {
			s->stats.ambiguous_thread++;
			return NULL;
		}
		if (th->n != 1)
			return NULL;
		if (task->handoff_ns && task->handoff_ns < th->spans[0].start_ns) {
			s->stats.stale_handoff++;
			return NULL;
		}
		return &th->spans[0];
	}
	th = (struct thread_entry *)fixed_table_find(&s->procs, &pk);
	if (th && th->inflight > 1)
		s->stats.ambiguous_handoff++;
	if (!th || th->inflight != 1 || th->n != 1 || th->spans[0].start_ns > call_ns)
		return NULL;
	*process = 1;
	return &th->spans[0];
}

enum stitch_serving stitch_task_serving(struct stitch *s, uint32_t pid,
					const struct stitch_task *task, struct stitch_ids *out)
{
	struct task_key tk = task_key_of(pid, task);
	const struct thread_entry *th;

	if (task->kind == ZT_TASK_UNKNOWN)
		return STITCH_SERVES_NONE;
	th = (const struct thread_entry *)fixed_table_find(&s->threads, &tk);
	if (!th || !th->inflight)
		return STITCH_SERVES_NONE;
	if (th->inflight > 1 || th->n != 1)
		return STITCH_SERVES_SEVERAL;
	/* an event loop with one request in flight: a timer's line, or the
	 * last one's written after it ended, looks like this one's */
	if (task->kind == ZT_TASK_THREAD &&
	    s->event_loops[event_loop_slot(pid, task->id)] == event_loop_key(pid, task->id))
		return STITCH_SERVES_SEVERAL;
	memset(out, 0, sizeof(*out));
	memcpy(out->trace_id, th->spans[0].trace_id, 16);
	memcpy(out->span_id, th->spans[0].span_id, 8);
	out->sample = th->spans[0].sample;
	return STITCH_SERVES_ONE;
}

/* The sampling decision of the request in trace trace_id that this task
 * serves: the kernel named it the parent of a call whose ids it chose. */
static int task_sample_of(struct stitch *s, uint32_t pid, const struct stitch_task *task,
			  const uint8_t trace_id[16], struct sample_decision *out)
{
	struct task_key tk = task_key_of(pid, task);
	const struct thread_entry *th = NULL;

	if (task->kind != ZT_TASK_UNKNOWN)
		th = (const struct thread_entry *)fixed_table_find(&s->threads, &tk);
	for (uint8_t i = 0; th && i < th->n; i++) {
		if (memcmp(th->spans[i].trace_id, trace_id, 16) == 0) {
			*out = th->spans[i].sample;
			out->head = 0;
			return 1;
		}
	}
	return 0;
}

void stitch_client_start(struct stitch *s, const struct stitch_conn_key *key, uint32_t pid,
			 const struct stitch_task *task, const struct trace_context *wire,
			 const struct stitch_ids *kernel, const struct stitch_ids *helper,
			 struct stitch_ids *out)
{
	const struct task_span *parent = NULL;
	struct conn_entry *ce;
	int process, decided = 1;

	ids_begin(out, kernel);
	if (kernel) {
		decided = task_sample_of(s, pid, task, out->trace_id, &out->sample);
	} else if (helper == &stitch_helper_none) {
		/* the helper saw who wrote: no request did, so no thread guess */
		if (wire)
			ids_child_of_wire(s, out, wire, STITCH_WIRE);
		else
			decided = 0;
		s->stats.task_unlinked[STITCH_TASK_HELPER]++;
	} else if (helper) {
		ids_child_of(out, helper->trace_id, helper->span_id, STITCH_THREAD, &helper->sample);
		s->stats.task_links[STITCH_TASK_HELPER]++;
	} else {
		parent = task_parent(s, pid, task, task->start_ns, &process);
		/* the context the call itself carries beats a guess by process */
		if (process && wire)
			parent = NULL;
		if (parent)
			ids_child_of(out, parent->trace_id, parent->span_id, STITCH_THREAD,
				     &parent->sample);
		else if (wire)
			ids_child_of_wire(s, out, wire, STITCH_WIRE);
		else
			decided = 0;
		if (parent)
			s->stats.task_links[process ? STITCH_TASK_PROCESS : task_class(task)]++;
		else if (!out->has_parent)
			s->stats.task_unlinked[task_class(task)]++;
	}
	ids_finish(s, out, decided);
	s->stats.by_rule[out->rule]++;

	ce = (struct conn_entry *)fixed_table_get_or_add(&s->conns, key);
	if (!ce) {
		s->stats.conn_table_drops++;
		return;
	}
	/* a new request on this address pair after its connection closed
	 * unanswered: that was an earlier connection, whose server never read */
	if (s->unanswered) {
		uint8_t kept = 0;

		for (uint8_t i = 0; i < ce->n; i++)
			if (!ce->q[i].unanswered_ns)
				ce->q[kept++] = ce->q[i];
		s->unanswered -= ce->n - kept;
		s->stats.unanswered_unjoined += ce->n - kept;
		ce->n = kept;
	}
	if (ce->n == CONN_QUEUE) {
		conn_remove_at(s, ce, 0);
		s->stats.conn_table_drops++;
	}
	memcpy(ce->q[ce->n].trace_id, out->trace_id, 16);
	memcpy(ce->q[ce->n].span_id, out->span_id, 8);
	ce->q[ce->n].sample = out->sample;
	ce->q[ce->n].unanswered_ns = 0;
	ce->n++;
}

void stitch_client_end(struct stitch *s, const struct stitch_conn_key *key,
		       const uint8_t span_id[8])
{
	struct conn_entry *e = (struct conn_entry *)fixed_table_find(&s->conns, key);

	if (!e)
		return;
	for (uint8_t i = 0; i < e->n; i++) {
		if (memcmp(e->q[i].span_id, span_id, 8) == 0) {
			conn_remove_at(s, e, i);
			return;
		}
	}
}

void stitch_client_unanswered(struct stitch *s, const struct stitch_conn_key *key,
			      const uint8_t span_id[8], uint64_t now_ns)
{
	struct conn_entry *e = (struct conn_entry *)fixed_table_find(&s->conns, key);

	if (!e)
		return;
	for (uint8_t i = 0; i < e->n; i++) {
		if (memcmp(e->q[i].span_id, span_id, 8) != 0 || e->q[i].unanswered_ns)
			continue;
		e->q[i].unanswered_ns = now_ns ? now_ns : 1;
		s->unanswered++;
		return;
	}
}

void stitch_count_bad_wire(struct stitch *s)
{
	s->stats.bad_wire_context++;
}

void stitch_get_stats(const struct stitch *s, struct stitch_stats *out)
{
	*out = s->stats;
}

static void addr_normalize(uint8_t out[16], uint16_t family, const uint8_t in[16])
{
	if (family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, in, 4);
	} else {
		memcpy(out, in, 16);
	}
}

void stitch_conn_key_from_tuple(struct stitch_conn_key *key, uint8_t role, uint16_t family,
				const uint8_t local[16], uint16_t local_port,
				const uint8_t remote[16], uint16_t remote_port)
{
	int server = role == ZT_ROLE_SERVER;

	memset(key, 0, sizeof(*key));
	addr_normalize(key->client_addr, family, server ? remote : local);
	addr_normalize(key->server_addr, family, server ? local : remote);
	key->client_port = server ? remote_port : local_port;
	key->server_port = server ? local_port : remote_port;
}
