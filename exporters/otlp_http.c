// SPDX-License-Identifier: MIT
/*
 * The OTLP exporter thread: batches from the queues (otlp_queue.c),
 * encodes, gzips, and POSTs with libcurl, retrying the same bytes with
 * backoff until max_retry_ms is spent.
 */
#include "otlp_exporter_internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "zipkin_encode.h"

#ifndef ZT_VERSION
#define ZT_VERSION "dev"
#endif

#define OTLP_RETRY_AFTER_MAX 64      /* longer header values are not valid */
#define OTLP_POLL_MS 1000            /* longest curl_multi_poll between checks */

/* Jitter only: splitmix64 per thread, seeded from the clock and the thread,
 * so that agents restarted together do not retry in lockstep. */
static __thread uint64_t rng_state;

static double rng_unit(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1.0p-53;
}

static size_t on_body(char *buf, size_t size, size_t nitems, void *ud)
{
	(void)buf;
	(void)ud;
	return size * nitems; /* the response body is not used */
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
	struct otlp_exporter *e = ud;
	size_t n = size * nitems;
	char value[OTLP_RETRY_AFTER_MAX];

	if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		e->retry_after_ms = 0; /* a new response: after a 100, or a redirect */
	} else if (n > 12 && strncasecmp(buf, "retry-after:", 12) == 0) {
		n -= 12;
		while (n && (buf[12 + n - 1] == '\r' || buf[12 + n - 1] == '\n'))
			n--;
		if (n < sizeof(value)) {
			memcpy(value, buf + 12, n);
			value[n] = '\0';
			e->retry_after_ms = otlp_parse_retry_after(value, (int64_t)time(NULL));
		}
	}
	return size * nitems;
}

/* One POST of the prepared body. Bounded by timeout_ms, and during a stop
 * by the drain deadline too. */
static enum send_result do_request(struct otlp_exporter *e, long *status)
{
	uint64_t timeout_ms = e->cfg.timeout_ms, now, deadline = 0;
	CURLcode res = CURLE_OK;
	CURLMsg *msg;
	int running = 1, left, aborted = 0, stopping, poll_ms;

	pthread_mutex_lock(&e->mu);
	now = now_ns();
	stopping = e->stopping;
	if (stopping) {
		deadline = e->drain_deadline_ns;
		if (deadline > now && (deadline - now) / NS_PER_MS + 1 < timeout_ms)
			timeout_ms = (deadline - now) / NS_PER_MS + 1;
	}
	pthread_mutex_unlock(&e->mu);

	*status = 0;
	e->retry_after_ms = 0;
	curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	if (curl_multi_add_handle(e->multi, e->curl) != CURLM_OK)
		return SEND_RETRY;
	for (;;) {
		if (curl_multi_perform(e->multi, &running) != CURLM_OK || !running)
			break;
		poll_ms = OTLP_POLL_MS;
		now = now_ns();
		if (stopping && deadline <= now)
			poll_ms = 0; /* encoding ate the last of the drain time */
		else if (stopping && (deadline - now) / NS_PER_MS + 1 < OTLP_POLL_MS)
			poll_ms = (int)((deadline - now) / NS_PER_MS + 1);
		if (curl_multi_poll(e->multi, NULL, 0, poll_ms, NULL) != CURLM_OK)
			break;
		pthread_mutex_lock(&e->mu);
		stopping = e->stopping;
		deadline = e->drain_deadline_ns;
		aborted = past_drain(e, now_ns());
		pthread_mutex_unlock(&e->mu);
		if (aborted)
			break;
	}
	res = running ? CURLE_ABORTED_BY_CALLBACK : CURLE_SEND_ERROR;
	while ((msg = curl_multi_info_read(e->multi, &left)))
		if (msg->msg == CURLMSG_DONE)
			res = msg->data.result;
	curl_multi_remove_handle(e->multi, e->curl);
	if (res != CURLE_OK) {
		/* Only a request curl can never make is given up at once; every
		 * network error may pass. */
		if (res == CURLE_URL_MALFORMAT || res == CURLE_UNSUPPORTED_PROTOCOL ||
		    res == CURLE_NOT_BUILT_IN)
			return SEND_PERMANENT;
		return SEND_RETRY;
	}
	curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, status);
	if (*status >= 200 && *status < 300)
		return SEND_OK;
	return otlp_status_is_retryable(*status) ? SEND_RETRY : SEND_PERMANENT;
}

/* gzip of in into e->gz, by libdeflate: the whole batch is in memory, and
 * at level 1 it compresses a batch of spans 3-4 times faster than zlib's
 * level 1 (910 -> 244 us for 512 spans). Returns the compressed size, or 0
 * on failure. */
static size_t gzip_body(struct otlp_exporter *e, const uint8_t *in, size_t len)
{
	size_t bound;
	uint8_t *p;

	bound = libdeflate_gzip_compress_bound(e->gzip, len);
	if (bound > e->gz_cap) {
		p = realloc(e->gz, bound);
		if (!p)
			return 0;
		e->gz = p;
		e->gz_cap = bound;
	}
	return libdeflate_gzip_compress(e->gzip, in, len, e->gz, e->gz_cap);
}

/* With mu held: a batch of n given up. */
static void count_failed(struct otlp_exporter *e, uint32_t n, int logs)
{
	if (logs)
		e->stats.logs_dropped_failed += n;
	else
		e->stats.dropped_failed++;
}

/* Encodes into e->body the log records copied to e->log_batch, or
 * assembles the spans whose slots are copied to e->batch. */
static int encode_batch(struct otlp_exporter *e, uint32_t n, int logs)
{
	int json = e->cfg.protocol == OTLP_HTTP_JSON;

	e->body.len = 0;
	e->body.oom = 0;
	if (logs)
		return json ? otlp_logs_encode_json(&e->body, e->log_batch, n, e->host_name)
			    : otlp_logs_encode_proto(&e->body, e->log_batch, n, e->host_name);
	if (e->cfg.protocol == ZIPKIN_JSON_V2)
		return zipkin_encode_assemble(&e->body, e->batch, n);
	return otlp_encode_assemble(&e->body, json, e->batch, n);
}

/* Compresses and sends the batch of n encoded in e->body (rc: how its
 * encoding went), retrying the same bytes. */
static void send_batch(struct otlp_exporter *e, uint32_t n, int logs, int rc)
{
	const uint8_t *data;
	size_t len;
	uint64_t start, resume, retry_ns = (uint64_t)e->cfg.max_retry_ms * NS_PER_MS;
	uint32_t wait_ms;
	enum send_result r;
	long status;

	data = e->body.data;
	len = e->body.len;
	if (rc == 0 && !e->body.oom && e->cfg.gzip) {
		len = gzip_body(e, e->body.data, e->body.len);
		data = e->gz;
	}
	if (rc != 0 || e->body.oom || (e->cfg.gzip && len == 0) ||
	    (e->url_logs != logs &&
	     curl_easy_setopt(e->curl, CURLOPT_URL, logs ? e->cfg.logs_url : e->cfg.url) !=
		     CURLE_OK)) {
		pthread_mutex_lock(&e->mu);
		count_failed(e, n, logs);
		pthread_mutex_unlock(&e->mu);
		return;
	}
	e->url_logs = logs;
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, data);

	start = now_ns();
	for (uint32_t attempt = 0;; attempt++) {
		r = do_request(e, &status);
		pthread_mutex_lock(&e->mu);
		e->stats.requests++;
		if (r == SEND_OK) {
			if (logs)
				e->stats.logs_exported += n;
			else
				e->stats.exported += n;
			break;
		}
		e->stats.failures++;
		if (r == SEND_PERMANENT) {
			count_failed(e, n, logs);
			break;
		}
		wait_ms = otlp_backoff_ms(attempt, rng_unit(), e->retry_after_ms);
		resume = now_ns() + (uint64_t)wait_ms * NS_PER_MS;
		/* Sleep on the condition variable so that stop cuts the wait
		 * short; then decide with the deadline stop may have set. */
		while (!e->stopping && now_ns() < resume && resume - start <= retry_ns)
			wait_until(e, resume);
		if (resume - start > retry_ns ||
		    (e->stopping && resume >= e->drain_deadline_ns)) {
			count_failed(e, n, logs);
			break;
		}
		while (now_ns() < resume) /* stopping, and the wait fits the deadline */
			wait_until(e, resume);
		e->stats.retries++;
		pthread_mutex_unlock(&e->mu);
	}
	pthread_mutex_unlock(&e->mu);
}

/* Copies n items from a ring at head (cap slots) into a batch, wrapping. */
static void copy_out(void *batch, const void *ring, uint32_t head, uint32_t n, uint32_t cap,
		     size_t size)
{
	uint32_t first = cap - head < n ? cap - head : n;

	memcpy(batch, (const char *)ring + (size_t)head * size, first * size);
	memcpy((char *)batch + first * size, ring, (n - first) * size);
}

/* The same for log records, each copied as far as its kind uses (a log
 * line: its body_len bytes, not the 8 KiB its slot holds). */
static void copy_out_logs(struct otlp_log_item *batch, const struct otlp_log_item *ring,
			  uint32_t head, uint32_t n, uint32_t cap)
{
	for (uint32_t k = 0; k < n; k++)
		otlp_log_item_copy(&batch[k], &ring[(head + k) % cap]);
}

void *otlp__exporter_main(void *arg)
{
	struct otlp_exporter *e = arg;
	uint32_t n, head;
	const uint32_t cap = e->cfg.queue_size, log_cap = e->cfg.logs_queue_size;
	int logs, rc;

	rng_state = now_ns() ^ ((uint64_t)(uintptr_t)&n << 16) ^ (uint64_t)getpid();
	pthread_mutex_lock(&e->mu);
	while ((n = otlp__wait_for_batch(e, &logs)) != 0) {
		head = logs ? e->log_head : e->head;
		pthread_mutex_unlock(&e->mu);
		/* The slots and their bytes stay counted, so no producer
		 * writes them meanwhile. */
		if (logs)
			copy_out_logs(e->log_batch, e->log_ring, head, n, log_cap);
		else
			copy_out(e->batch, e->slots, head, n, cap, sizeof(*e->batch));
		rc = encode_batch(e, n, logs);
		pthread_mutex_lock(&e->mu);
		if (logs) {
			otlp__release_logs(e, n);
		} else {
			otlp__release_spans(e, n);
		}
		pthread_mutex_unlock(&e->mu);
		send_batch(e, n, logs, rc);
		pthread_mutex_lock(&e->mu);
	}
	/* Stopped past the drain deadline: what is left is lost, and counted
	 * as the batches it would have made (log records one by one). */
	e->stats.dropped_failed += (e->count + e->cfg.max_batch - 1) / e->cfg.max_batch;
	if (e->count)
		otlp__release_spans(e, e->count);
	e->stats.logs_dropped_failed += e->log_count;
	if (e->log_count)
		otlp__release_logs(e, e->log_count);
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

static int add_header(struct otlp_exporter *e, const char *line)
{
	struct curl_slist *l = curl_slist_append(e->headers, line);

	if (!l)
		return -1; /* the list so far stays in e->headers, freed once */
	e->headers = l;
	return 0;
}

/* 0, or an errno value. */
int otlp__setup_curl(struct otlp_exporter *e)
{
	char line[sizeof(e->cfg.headers[0].name) + sizeof(e->cfg.headers[0].value) + 4];
	const struct otlp_header *h;

	e->multi = curl_multi_init();
	e->curl = curl_easy_init();
	if (!e->multi || !e->curl)
		return ENOMEM;
	if (add_header(e, e->cfg.protocol == OTLP_HTTP_PROTOBUF
				  ? "Content-Type: application/x-protobuf"
				  : "Content-Type: application/json") < 0 ||
	    (e->cfg.gzip && add_header(e, "Content-Encoding: gzip") < 0) ||
	    /* No "Expect: 100-continue" round trip before large bodies. */
	    add_header(e, "Expect:") < 0)
		return ENOMEM;
	for (uint32_t i = 0; i < e->cfg.n_headers; i++) {
		h = &e->cfg.headers[i];
		/* "Name;" is curl's way to send a header with an empty value. */
		if (h->value[0])
			snprintf(line, sizeof(line), "%s: %s", h->name, h->value);
		else
			snprintf(line, sizeof(line), "%s;", h->name);
		if (add_header(e, line) < 0)
			return ENOMEM;
	}

	/* Checked here, set again per batch (send_batch). */
	if (curl_easy_setopt(e->curl, CURLOPT_URL,
			     e->traces_on ? e->cfg.url : e->cfg.logs_url) != CURLE_OK ||
	    (e->traces_on && e->logs_on &&
	     curl_easy_setopt(e->curl, CURLOPT_URL, e->cfg.logs_url) != CURLE_OK) ||
	    curl_easy_setopt(e->curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK)
		return EINVAL;
	curl_easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, e->headers);
	curl_easy_setopt(e->curl, CURLOPT_USERAGENT, "zerotrace/" ZT_VERSION);
	curl_easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)e->cfg.timeout_ms);
	curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, (long)e->cfg.timeout_ms);
	curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e->curl, CURLOPT_HEADERDATA, e);
	curl_easy_setopt(e->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	return 0;
}
