// SPDX-License-Identifier: MIT
/*
 * The OTLP exporter's two bounded queues (spans, log records): filled by
 * the event loop (and, for log records, any thread) under one mutex, never
 * waiting for anything else, and emptied by the exporter thread
 * (otlp_http.c) through wait_for_batch.
 */
#include "otlp_exporter_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "zipkin_encode.h"

/* With mu held: where need more bytes go, after those queued, or SIZE_MAX
 * when they do not fit. An item is never split: one that does not fit
 * before the end goes to the start, and the gap stays taken until the
 * items before it leave. */
static size_t bytes_reserve(struct otlp_exporter *e, size_t need)
{
	size_t free_bytes, at = e->bytes_tail, gap;

	free_bytes = e->bytes_cap - e->bytes_used;
	if (need <= e->bytes_cap - at) {
		if (need > free_bytes)
			return SIZE_MAX;
	} else {
		gap = e->bytes_cap - at;
		if (need > free_bytes || gap > free_bytes - need)
			return SIZE_MAX;
		e->bytes_used += gap;
		at = 0;
	}
	e->bytes_tail = at + need;
	e->bytes_used += need;
	return at;
}

void otlp__release_spans(struct otlp_exporter *e, uint32_t n)
{
	const uint32_t cap = e->cfg.queue_size;
	uint32_t next = (e->head + n) % cap;
	size_t from = (size_t)(e->slots[e->head].span - e->bytes), to;

	/* with mu held; atomic for the producer's look before it encodes */
	__atomic_store_n(&e->count, e->count - n, __ATOMIC_RELAXED);
	if (!e->count) {
		e->bytes_tail = 0;
		e->bytes_used = 0;
	} else {
		/* up to the oldest left: the items given back and any gap */
		to = (size_t)(e->slots[next].span - e->bytes);
		e->bytes_used -= (to + e->bytes_cap - from) % e->bytes_cap;
	}
	e->head = next;
}

void otlp_exporter_enqueue(struct otlp_exporter *e, const struct span *s,
			   const struct procinfo *resource)
{
	struct otlp_encoded *slot;
	uint64_t now = now_ns();
	uint32_t span_len, resource_len;
	size_t at;
	int wake;

	if (!e || !s || !e->traces_on)
		return;
	/* a full queue (the exporter behind) drops the span before it is
	 * encoded, not after */
	if (__atomic_load_n(&e->count, __ATOMIC_RELAXED) == e->cfg.queue_size)
		goto full;
	/* encoded before the lock: the queue holds a span's few hundred
	 * bytes, not its 9 KB of fields, and the thread reads only those */
	if (!resource) {
		e->no_process.pid = s->pid;
		resource = &e->no_process;
	}
	otlp_buf_start(&e->enc);
	/* out of memory for the bytes: dropped as if the queue had no room */
	if (e->cfg.protocol == ZIPKIN_JSON_V2) {
		/* a Zipkin span carries its resource in its own tags */
		if (zipkin_encode_span(&e->enc, s, resource, e->host_name))
			goto full;
		span_len = (uint32_t)e->enc.len;
		resource_len = 0;
	} else if (otlp_encode_item(&e->enc, e->cfg.protocol == OTLP_HTTP_JSON, s, resource,
				    e->host_name, &e->resources, &span_len, &resource_len)) {
		goto full;
	}
	pthread_mutex_lock(&e->mu);
	if (e->count == e->cfg.queue_size || (at = bytes_reserve(e, e->enc.len)) == SIZE_MAX) {
		e->stats.dropped_full++;
		pthread_mutex_unlock(&e->mu);
		return;
	}
	memcpy(e->bytes + at, e->enc.data, e->enc.len);
	slot = &e->slots[(e->head + e->count) % e->cfg.queue_size];
	*slot = (struct otlp_encoded){ .start_time = resource->start_time,
				       .pid = resource->pid,
				       .span_len = span_len,
				       .resource_len = resource_len,
				       .span = e->bytes + at,
				       .resource = e->bytes + at + span_len };
	e->queued_ns[(e->head + e->count) % e->cfg.queue_size] = now;
	__atomic_store_n(&e->count, e->count + 1, __ATOMIC_RELAXED);
	e->stats.enqueued++;
	/* The thread needs a wake only to start the delay clock or to send a
	 * full batch; otherwise it is already sleeping until the right time. */
	wake = e->count == 1 || e->count == e->cfg.max_batch;
	pthread_mutex_unlock(&e->mu);
	if (wake)
		pthread_cond_signal(&e->cv);
	return;
full:
	pthread_mutex_lock(&e->mu);
	e->stats.dropped_full++;
	pthread_mutex_unlock(&e->mu);
}

/* Copies a record into the log ring, observed now: an alert, a note or a
 * log line (exactly one of a, n and r is not NULL). */
static int enqueue_log(struct otlp_exporter *e, const struct alert *a, const struct alert_note *n,
		       const struct log_record *r)
{
	int json = e->cfg.protocol == OTLP_HTTP_JSON, wake;
	size_t host_len = strnlen(e->host_name, sizeof(e->host_name)), size_max = 0;
	struct otlp_log_item *it;
	struct timespec wall;
	uint64_t now = now_ns(), observed;
	uint32_t slot;

	clock_gettime(CLOCK_REALTIME, &wall);
	observed = (uint64_t)wall.tv_sec * 1000000000ULL + (uint64_t)wall.tv_nsec;
	/* a line's bound reads its strings: worked out before the lock */
	if (r)
		size_max = otlp_log_record_size_max(r, json, host_len);
	pthread_mutex_lock(&e->mu);
	if (e->log_count == e->cfg.logs_queue_size || (r && e->log_count >= e->log_app_max)) {
		e->stats.logs_dropped_full++;
		pthread_mutex_unlock(&e->mu);
		return -1;
	}
	slot = (e->log_head + e->log_count) % e->cfg.logs_queue_size;
	it = &e->log_ring[slot];
	if (r) {
		/* only the bytes in use: body_len of the body, the attributes
		 * the resource holds; observed when the agent's sink took it,
		 * as the JSON line says */
		otlp_log_item_set_app(it, r, r->observed_unix_ns ? r->observed_unix_ns : observed);
	} else {
		it->observed_unix_ns = observed;
		if (a) {
			it->kind = OTLP_LOG_ALERT;
			it->alert = *a;
		} else {
			it->kind = OTLP_LOG_NOTE;
			it->note = *n;
		}
		size_max = otlp_log_item_size_max(it, json, host_len); /* by its kind alone */
	}
	e->log_queued_ns[slot] = now;
	e->log_size_max[slot] = size_max < UINT32_MAX ? (uint32_t)size_max : UINT32_MAX;
	e->log_bytes += e->log_size_max[slot];
	e->log_count++;
	e->stats.logs_enqueued++;
	/* as for spans: start the delay clock, or a batch is full (by count
	 * or by bytes) */
	wake = e->log_count == 1 || e->log_count == e->log_max_batch ||
	       (e->log_bytes >= OTLP_LOGS_REQUEST_MAX &&
		e->log_bytes - e->log_size_max[slot] < OTLP_LOGS_REQUEST_MAX);
	pthread_mutex_unlock(&e->mu);
	if (wake)
		pthread_cond_signal(&e->cv);
	return 0;
}

int otlp_exporter_enqueue_alert(struct otlp_exporter *e, const struct alert *a)
{
	if (!e || !a || !e->logs_on)
		return -1;
	return enqueue_log(e, a, NULL, NULL);
}

int otlp_exporter_enqueue_note(struct otlp_exporter *e, const struct alert_note *n)
{
	if (!e || !n || !e->logs_on)
		return -1;
	return enqueue_log(e, NULL, n, NULL);
}

int otlp_exporter_enqueue_log(struct otlp_exporter *e, const struct log_record *r)
{
	if (!e || !r || !e->logs_on)
		return -1;
	return enqueue_log(e, NULL, NULL, r);
}

void otlp__release_logs(struct otlp_exporter *e, uint32_t n)
{
	const uint32_t cap = e->cfg.logs_queue_size;

	for (uint32_t k = 0; k < n; k++)
		e->log_bytes -= e->log_size_max[(e->log_head + k) % cap];
	e->log_head = (e->log_head + n) % cap;
	e->log_count -= n;
}

void otlp_exporter_get_stats(struct otlp_exporter *e, struct otlp_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!e)
		return;
	pthread_mutex_lock(&e->mu);
	*out = e->stats;
	out->queue_depth = e->count;
	out->logs_queue_depth = e->log_count;
	pthread_mutex_unlock(&e->mu);
}

/* With mu held: how many of the queued log records make one request:
 * up to log_max_batch, and as many as fit OTLP_LOGS_REQUEST_MAX by their
 * bounds (the first always). */
static uint32_t log_batch_len(const struct otlp_exporter *e)
{
	const uint32_t cap = e->cfg.logs_queue_size;
	uint32_t n = e->log_count < e->log_max_batch ? e->log_count : e->log_max_batch, k;
	uint64_t bytes = OTLP_LOGS_REQUEST_OVERHEAD;

	if (e->log_bytes + bytes <= OTLP_LOGS_REQUEST_MAX)
		return n; /* every record queued fits */
	for (k = 0; k < n; k++) {
		bytes += e->log_size_max[(e->log_head + k) % cap];
		if (bytes > OTLP_LOGS_REQUEST_MAX && k)
			break;
	}
	return k;
}

/* With mu held: how many items to send now, waiting as long as needed; 0
 * when the thread must end. *logs says which queue: the log queue whenever
 * it holds records once a batch is due (either queue's), except right after
 * a log batch when spans are due too: then spans, so that a steady flow of
 * log lines (--logs) cannot starve them. */
uint32_t otlp__wait_for_batch(struct otlp_exporter *e, int *logs)
{
	uint64_t now, due, delay_ns = (uint64_t)e->cfg.max_delay_ms * NS_PER_MS;
	int spans_due, logs_due;

	for (;;) {
		now = now_ns();
		if (e->stopping) {
			if ((!e->count && !e->log_count) || past_drain(e, now))
				return 0;
			spans_due = e->count != 0; /* draining: at once, no delay */
			break;
		}
		spans_due = e->count && (e->count >= e->cfg.max_batch ||
					 now >= e->queued_ns[e->head] + delay_ns);
		logs_due = e->log_count && (e->log_count >= e->log_max_batch ||
					    e->log_bytes >= OTLP_LOGS_REQUEST_MAX ||
					    now >= e->log_queued_ns[e->log_head] + delay_ns);
		if (spans_due || logs_due)
			break;
		due = UINT64_MAX;
		if (e->count)
			due = e->queued_ns[e->head] + delay_ns;
		if (e->log_count && e->log_queued_ns[e->log_head] + delay_ns < due)
			due = e->log_queued_ns[e->log_head] + delay_ns;
		if (due == UINT64_MAX)
			pthread_cond_wait(&e->cv, &e->mu);
		else
			wait_until(e, due);
	}
	*logs = e->log_count != 0 && !(spans_due && e->last_logs);
	e->last_logs = *logs;
	if (*logs)
		return log_batch_len(e);
	return e->count < e->cfg.max_batch ? e->count : e->cfg.max_batch;
}
