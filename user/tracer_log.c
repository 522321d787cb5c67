// SPDX-License-Identifier: MIT
/*
 * --logs: a line a traced thread wrote becomes a log record, linked to the
 * request that thread served when it wrote it, and only when that is
 * certain: a runtime's helper named the request, or the thread served
 * exactly one and is no event loop (Node's serves many, and a timer's line
 * while one is in flight is not that one's). A write longer than the
 * kernel's copy may hide a line end in what was not copied: a record,
 * linked to nothing. A write that is not exactly one line is counted and
 * dropped: stdio may have gathered several requests' lines into it.
 */
#include <stddef.h>
#include <string.h>

#include "log_line.h"
#include "procinfo.h"
#include "redact.h"
#include "tracer_internal.h"

const char *const tracer_log_outcome_names[TRACER_LOG_OUTCOMES] = {
	[TRACER_LOG_LINKED] = "linked",
	[TRACER_LOG_NO_REQUEST] = "no_request",
	[TRACER_LOG_AMBIGUOUS] = "ambiguous",
	[TRACER_LOG_NOT_ONE_LINE] = "not_one_line",
	[TRACER_LOG_TOO_LONG] = "too_long",
};

void tracer_set_log_sink(struct tracer *t, log_sink_fn sink, void *ctx)
{
	t->log_sink = sink;
	t->log_sink_ctx = ctx;
}

/* The request (pid, fd)'s helper report names, when there is one. */
static enum stitch_serving log_helper_serving(struct tracer *t, const struct zt_event *e,
					      struct stitch_ids *out, int *reported)
{
	uint64_t id;
	const struct conn *in = tracer_helper_conn(t, e->pid, e->fd, &id);
	const struct conn_request *r;

	*reported = id != 0;
	if (!in)
		return STITCH_SERVES_NONE;
	r = conn_request_sole(in);
	if (!r)
		return STITCH_SERVES_SEVERAL;
	*out = r->ids;
	return STITCH_SERVES_ONE;
}

/* Node's event loop: without a helper's report, a line's thread names no
 * request for sure (a timer's line while one request is in flight). */
static int log_thread_is_event_loop(const struct log_record *r)
{
	return !r->process || process_exe_is_node(r->process->exe_name);
}

static void log_link(struct tracer *t, const struct zt_event *e, struct log_record *r)
{
	struct stitch_task task = { .id = e->task, .kind = ZT_TASK_THREAD };
	struct stitch_ids ids;
	int reported;
	enum stitch_serving serves = log_helper_serving(t, e, &ids, &reported);

	if (!reported && log_thread_is_event_loop(r))
		serves = STITCH_SERVES_SEVERAL;
	else if (!reported)
		serves = stitch_task_serving(t->stitch, e->pid, &task, &ids);
	if (serves == STITCH_SERVES_SEVERAL) {
		t->stats.logs[TRACER_LOG_AMBIGUOUS]++;
		return;
	}
	if (serves == STITCH_SERVES_NONE) {
		t->stats.logs[TRACER_LOG_NO_REQUEST]++;
		return;
	}
	memcpy(r->trace_id, ids.trace_id, 16);
	memcpy(r->span_id, ids.span_id, 8);
	r->has_trace = 1;
	r->sampled = ids.sample.sampled;
	t->stats.logs[TRACER_LOG_LINKED]++;
}

void tracer_log_event(struct tracer *t, const struct zt_event *e, const uint8_t *p)
{
	struct log_record *r = &t->log;
	enum log_line_shape shape;
	size_t len, keep;

	shape = log_line_shape(p, e->cap_len, (uint64_t)e->bytes, e->tail, e->tail_len, &len);
	if (shape == LOG_LINE_MANY || shape == LOG_LINE_PART) {
		t->stats.logs[TRACER_LOG_NOT_ONE_LINE]++;
		return;
	}
	memset(r, 0, offsetof(struct log_record, body));
	r->time_unix_ns = e->ts_exit_ns + (uint64_t)t->mono_to_unix_ns;
	r->pid = e->pid;
	r->tid = e->tid;
	r->fd = e->fd;
	r->stream = e->fd == 1 ? LOG_STREAM_STDOUT : e->fd == 2 ? LOG_STREAM_STDERR : LOG_STREAM_FILE;
	memcpy(r->comm, e->comm, sizeof(r->comm));
	r->comm[sizeof(r->comm) - 1] = '\0';
	/* the kernel copied up to 4 KiB to see the line whole; the body keeps
	 * --capture-bytes of it, redacted (redact_text's NUL is not kept) */
	keep = len < t->capture_bytes ? len : t->capture_bytes;
	r->body_len = (uint32_t)redact_text((const char *)p, keep, r->body, sizeof(r->body));
	r->cut = shape == LOG_LINE_LONG || keep < len || r->body_len == sizeof(r->body) - 1;
	r->severity_number = log_line_severity(r->body, r->body_len, r->severity_text);
	r->process = procinfo_get(e->pid, r->comm);
	if (shape == LOG_LINE_LONG)
		t->stats.logs[TRACER_LOG_TOO_LONG]++;
	else
		log_link(t, e, r);
	t->log_sink(t->log_sink_ctx, r);
}
