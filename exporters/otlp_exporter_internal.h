/* SPDX-License-Identifier: MIT */
/*
 * Internal to the OTLP exporter (otlp_exporter.c, otlp_queue.c,
 * otlp_http.c): the exporter's state and the few helpers its parts share.
 * No other file includes this.
 */
#ifndef ZT_OTLP_EXPORTER_INTERNAL_H
#define ZT_OTLP_EXPORTER_INTERNAL_H

#include <curl/curl.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "otlp_encode.h"
#include "otlp_exporter.h"
#include "procinfo.h"

#define NS_PER_MS 1000000ULL

/* The queue's bytes when cfg.queue_bytes is 0: an encoded span and its
 * resource take a few hundred bytes (nginx's: ~700), one with all its
 * attribute text ~5 KB; a queue whose bytes fill before its count of spans
 * drops the next (dropped_full). Never less than OTLP_QUEUE_BYTES_MIN, so
 * the largest span fits. */
#define OTLP_QUEUE_BYTES_PER_SPAN 2048u
#define OTLP_QUEUE_BYTES_MIN (256u << 10)

enum send_result {
	SEND_OK,
	SEND_RETRY,     /* connection error or a retryable status */
	SEND_PERMANENT, /* any other status, or a request curl will never make */
};

struct otlp_exporter {
	struct otlp_config cfg;
	char host_name[PROCINFO_NAME_MAX];

	/* Shared: everything below `mu` is read and written under it. */
	pthread_mutex_t mu;
	pthread_cond_t cv;           /* the thread waits here: items, stop, backoff */
	/* Queued spans, encoded when queued (otlp_encode_item): slots is a
	 * ring of cfg.queue_size, oldest at head; their bytes lie in a byte
	 * ring in the same order, bytes_used of it taken up to bytes_tail
	 * (with the gap an item that did not fit before the end left there).
	 * Only the bytes a span takes are touched: the pages in use are
	 * those of the deepest the queue has been. */
	struct otlp_encoded *slots;
	uint8_t *bytes;
	size_t bytes_cap;
	size_t bytes_tail;
	size_t bytes_used;
	uint64_t *queued_ns;         /* when each slot was filled (CLOCK_MONOTONIC) */
	uint32_t head;               /* oldest slot */
	uint32_t count;              /* filled slots, including ones being encoded */
	int stopping;
	uint64_t drain_deadline_ns;
	struct otlp_stats stats;     /* queue depths are filled in on read */
	struct otlp_log_item *log_ring; /* cfg.logs_queue_size slots (logs on) */
	uint64_t *log_queued_ns;
	uint32_t *log_size_max;      /* each slot's bound on its encoded bytes */
	uint64_t log_bytes;          /* the sum of those of the queued records */
	uint32_t log_head;
	uint32_t log_count;
	uint32_t log_app_max;        /* log lines queued at most: the rest is kept */

	/* The producer's (one thread, the event loop): a span is encoded here
	 * before the lock is taken. */
	struct otlp_buf enc;
	struct procinfo no_process;  /* the resource of a span whose process is gone */
	struct otlp_resource_cache resources;

	/* The exporter thread's own state (stop only joins and wakes). */
	pthread_t thread;
	CURLM *multi;                /* curl_multi_wakeup is the one call from stop */
	CURL *curl;
	struct curl_slist *headers;
	struct otlp_encoded *batch;  /* cfg.max_batch: the slots being assembled */
	struct otlp_log_item *log_batch; /* log_max_batch records */
	uint32_t log_max_batch;      /* min(max_batch, logs_queue_size / OTLP_LOGS_BATCH_DIV) */
	int last_logs;               /* the last batch taken was logs (under mu) */
	int traces_on;               /* cfg.url set */
	int logs_on;                 /* cfg.logs_url set */
	int url_logs;                /* CURLOPT_URL is the logs URL (-1: not set) */
	struct otlp_buf body;        /* encoded batch, reused */
	struct libdeflate_compressor *gzip; /* cfg.gzip: level 1, reused */
	uint8_t *gz;                 /* gzipped batch, reused */
	size_t gz_cap;
	uint32_t retry_after_ms;     /* from the last response's headers */
};

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Called with mu held; returns on a signal, a stop or the deadline. */
static inline void wait_until(struct otlp_exporter *e, uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / 1000000000ULL),
		.tv_nsec = (long)(deadline_ns % 1000000000ULL),
	};

	pthread_cond_timedwait(&e->cv, &e->mu, &ts);
}

/* With mu held: 1 while the thread must give up (stop and the deadline has
 * passed). */
static inline int past_drain(const struct otlp_exporter *e, uint64_t now)
{
	return e->stopping && now >= e->drain_deadline_ns;
}

/* otlp_queue.c */
uint32_t otlp__wait_for_batch(struct otlp_exporter *e, int *logs);
/* With mu held: the n oldest spans leave the queue, their bytes freed. */
void otlp__release_spans(struct otlp_exporter *e, uint32_t n);
/* With mu held: the n oldest log records leave their queue. */
void otlp__release_logs(struct otlp_exporter *e, uint32_t n);

/* otlp_http.c */
void *otlp__exporter_main(void *arg);
int otlp__setup_curl(struct otlp_exporter *e);

#endif /* ZT_OTLP_EXPORTER_INTERNAL_H */
