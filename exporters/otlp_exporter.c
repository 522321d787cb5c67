// SPDX-License-Identifier: MIT
/*
 * OTLP/HTTP exporter of spans and log records. Two halves:
 *
 * - Pure configuration code (environment, headers, backoff, Retry-After):
 *   no I/O, no globals, unit-tested and fuzzed.
 * - The queue and its thread. The event loop copies each finished span into
 *   a preallocated ring under one mutex and never waits for anything else;
 *   a full ring drops the span and counts it. The exporter thread claims up
 *   to max_batch slots and encodes them where they are, *without* the lock
 *   (the producer cannot reuse a slot until the thread gives it back, so
 *   the event loop never waits behind the encoding), gives them back,
 *   gzips, and POSTs with libcurl, retrying the same bytes until
 *   max_retry_ms is spent.
 *
 * Log records (alerts, notes, the traced processes' log lines) have a
 * second ring with the same rules, sent by the same thread over the same
 * handle to the logs URL: one batch at a time, a log batch first whenever
 * one is due (alerts are rare and urgent; they never wait behind a backlog
 * of spans) except right after another log batch when spans are due too,
 * so a flood of log lines delays spans by one batch, never starves them.
 * The ring is FIFO; log lines may not take its last eighth, kept for
 * alerts and notes; a log batch is also cut at OTLP_LOGS_REQUEST_MAX
 * bytes (by each record's bound, known when it is queued). Retries,
 * Retry-After, the drain at stop and the request counters are shared; what
 * is queued, exported and dropped is counted per signal, log records one
 * by one.
 *
 * libcurl runs through a one-handle multi stack rather than
 * curl_easy_perform so that stop can interrupt a request that hangs:
 * curl_multi_wakeup breaks the poll, and the drain deadline is checked on
 * every turn. The easy handle stays alive between batches, so the collector
 * connection is reused.
 *
 * Files: otlp_config.c (the pure half), otlp_queue.c (the rings),
 * otlp_http.c (the thread and libcurl), this one (start and stop);
 * otlp_exporter_internal.h holds the state they share.
 */
#include "otlp_exporter_internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "procinfo.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

/* libcurl's global state lives as long as the process; never cleaned up,
 * because another part of the program may use curl too. */
static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void exporter_free(struct otlp_exporter *e)
{
	if (e->curl && e->multi)
		curl_multi_remove_handle(e->multi, e->curl);
	if (e->curl)
		curl_easy_cleanup(e->curl);
	if (e->multi)
		curl_multi_cleanup(e->multi);
	curl_slist_free_all(e->headers);
	otlp_buf_free(&e->body);
	libdeflate_free_compressor(e->gzip);
	free(e->gz);
	free(e->batch);
	free(e->queued_ns);
	free(e->slots);
	free(e->bytes);
	otlp_buf_free(&e->enc);
	free(e->log_batch);
	free(e->log_queued_ns);
	free(e->log_size_max);
	free(e->log_ring);
	free(e);
}


struct otlp_exporter *otlp_exporter_start(const struct otlp_config *cfg)
{
	struct otlp_exporter *e;
	pthread_condattr_t ca;
	sigset_t all, old;
	const char *host;
	int rc;

	/* errno says why for the caller's message. */
	if (!cfg || (!cfg->url[0] && !cfg->logs_url[0]) || !cfg->max_batch || !cfg->queue_size ||
	    !cfg->timeout_ms || (cfg->logs_url[0] && !cfg->logs_queue_size) ||
	    cfg->n_headers > OTLP_HEADERS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK) {
		errno = ENOMEM; /* curl_global_init fails only without memory */
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->cfg = *cfg;
	e->cfg.url[sizeof(e->cfg.url) - 1] = '\0';
	e->cfg.logs_url[sizeof(e->cfg.logs_url) - 1] = '\0';
	e->traces_on = e->cfg.url[0] != '\0';
	e->logs_on = e->cfg.logs_url[0] != '\0';
	e->url_logs = -1;
	for (uint32_t i = 0; i < e->cfg.n_headers; i++) {
		e->cfg.headers[i].name[sizeof(e->cfg.headers[i].name) - 1] = '\0';
		e->cfg.headers[i].value[sizeof(e->cfg.headers[i].value) - 1] = '\0';
	}
	if (e->cfg.max_batch > e->cfg.queue_size)
		e->cfg.max_batch = e->cfg.queue_size;
	/* host.name is read once here, in the caller's thread. */
	host = procinfo_host_name();
	snprintf(e->host_name, sizeof(e->host_name), "%s", host ? host : "");

	/* calloc: the bytes' pages are touched only as deep as the queue
	 * gets. */
	if (e->traces_on) {
		e->slots = calloc(e->cfg.queue_size, sizeof(*e->slots));
		e->bytes_cap = e->cfg.queue_bytes;
		if (!e->bytes_cap) {
			e->bytes_cap = (size_t)e->cfg.queue_size * OTLP_QUEUE_BYTES_PER_SPAN;
			if (e->bytes_cap < OTLP_QUEUE_BYTES_MIN)
				e->bytes_cap = OTLP_QUEUE_BYTES_MIN;
		}
		e->bytes = calloc(e->bytes_cap, 1);
		e->queued_ns = calloc(e->cfg.queue_size, sizeof(*e->queued_ns));
		e->batch = calloc(e->cfg.max_batch, sizeof(*e->batch));
	}
	if (e->logs_on) {
		/* a batch goes at a quarter of the queue: a burst of log lines
		 * (thousands a second from a busy server) fills the rest while
		 * one request is in flight, instead of waiting for the delay
		 * behind a full queue */
		e->log_max_batch = e->cfg.logs_queue_size / OTLP_LOGS_BATCH_DIV ?
					   e->cfg.logs_queue_size / OTLP_LOGS_BATCH_DIV : 1;
		if (e->log_max_batch > e->cfg.max_batch)
			e->log_max_batch = e->cfg.max_batch;
		e->log_app_max = e->cfg.logs_queue_size -
				 e->cfg.logs_queue_size / OTLP_LOGS_RESERVE_DIV;
		/* calloc: a slot's pages are touched only as far as its record
		 * goes (a log line is 8 KiB with a whole body and resource) */
		e->log_ring = calloc(e->cfg.logs_queue_size, sizeof(*e->log_ring));
		e->log_queued_ns = calloc(e->cfg.logs_queue_size, sizeof(*e->log_queued_ns));
		e->log_size_max = calloc(e->cfg.logs_queue_size, sizeof(*e->log_size_max));
		e->log_batch = calloc(e->log_max_batch, sizeof(*e->log_batch));
	}
	/* level 1: speed over ratio, because this runs on the traced node */
	if (e->cfg.gzip)
		e->gzip = libdeflate_alloc_compressor(1);
	if ((e->cfg.gzip && !e->gzip) ||
	    (e->traces_on && (!e->slots || !e->bytes || !e->queued_ns || !e->batch)) ||
	    (e->logs_on &&
	     (!e->log_ring || !e->log_queued_ns || !e->log_size_max || !e->log_batch))) {
		exporter_free(e);
		errno = ENOMEM;
		return NULL;
	}
	rc = otlp__setup_curl(e);
	if (rc != 0) {
		exporter_free(e);
		errno = rc;
		return NULL;
	}

	pthread_mutex_init(&e->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->cv, &ca);
	pthread_condattr_destroy(&ca);

	/* Signals belong to the main loop: the thread starts with all blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&e->thread, NULL, otlp__exporter_main, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&e->cv);
		pthread_mutex_destroy(&e->mu);
		exporter_free(e);
		errno = rc;
		return NULL;
	}
	return e;
}

void otlp_exporter_stop(struct otlp_exporter *e, uint32_t drain_ms, struct otlp_stats *final)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->mu);
	e->stopping = 1;
	e->drain_deadline_ns = now_ns() + (uint64_t)drain_ms * NS_PER_MS;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
	curl_multi_wakeup(e->multi); /* a request in flight notices at once */
	pthread_join(e->thread, NULL);
	if (final)
		otlp_exporter_get_stats(e, final);
	pthread_cond_destroy(&e->cv);
	pthread_mutex_destroy(&e->mu);
	exporter_free(e);
}
