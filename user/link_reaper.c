// SPDX-License-Identifier: MIT
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <bpf/libbpf.h>

#include "link_reaper.h"

#define REAPER_THREADS 8
#define REAPER_QUEUE 4096

struct link_reaper {
	pthread_t threads[REAPER_THREADS];
	uint32_t n_threads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct bpf_link *queue[REAPER_QUEUE];
	uint32_t head, n;
	int stopping;
};

static void *reaper_main(void *arg)
{
	struct link_reaper *r = arg;

	for (;;) {
		struct bpf_link *link;

		pthread_mutex_lock(&r->mu);
		while (!r->n && !r->stopping)
			pthread_cond_wait(&r->cv, &r->mu);
		if (!r->n) {
			pthread_mutex_unlock(&r->mu);
			return NULL;
		}
		link = r->queue[r->head];
		r->head = (r->head + 1) % REAPER_QUEUE;
		r->n--;
		pthread_mutex_unlock(&r->mu);
		bpf_link__destroy(link);
	}
}

struct link_reaper *link_reaper_start(void)
{
	struct link_reaper *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	while (r->n_threads < REAPER_THREADS &&
	       pthread_create(&r->threads[r->n_threads], NULL, reaper_main, r) == 0)
		r->n_threads++;
	if (!r->n_threads) {
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		free(r);
		return NULL;
	}
	return r;
}

void link_reaper_put(struct link_reaper *r, struct bpf_link *link)
{
	if (r) {
		pthread_mutex_lock(&r->mu);
		if (r->n < REAPER_QUEUE && !r->stopping) {
			r->queue[(r->head + r->n) % REAPER_QUEUE] = link;
			r->n++;
			pthread_cond_signal(&r->cv);
			pthread_mutex_unlock(&r->mu);
			return;
		}
		pthread_mutex_unlock(&r->mu);
	}
	bpf_link__destroy(link);
}

void link_reaper_stop(struct link_reaper *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopping = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	for (uint32_t i = 0; i < r->n_threads; i++)
		pthread_join(r->threads[i], NULL);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
