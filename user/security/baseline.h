/* SPDX-License-Identifier: MIT */
/*
 * The learned service graph: edges (client, server, protocol, server port),
 * the operations seen on each, and the (process, port) listeners, each with
 * what it normally does. Bounded tables allocated once; a full table is
 * counted, never grown. An entry is either part of the baseline (learned,
 * or accepted by an operator) or a candidate: seen after learning, alerted,
 * waiting for `zerotrace baseline accept`.
 *
 * Rates are per-edge exponentially weighted statistics (T. Finch, 2009):
 * for each sample x, d = x - mean; mean += a*d; var = (1-a)*(var + a*d*d),
 * with a = max(1/n, floor) so the first samples weigh alike and old ones
 * fade: calls per second (a sample per second, idle seconds included,
 * floor 1/3600), and per call the error ratio and the latency in ms
 * (floor 1/10000). O(1) per call and per second.
 */
#ifndef ZT_BASELINE_H
#define ZT_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "call.h"

#define BASELINE_EDGES_MAX 4096
#define BASELINE_OPS_MAX 16384
#define BASELINE_LISTENERS_MAX 2048
/* Seconds of live counts kept per edge: the spike rules' last 10 whole
 * seconds and the current one. */
#define BASELINE_WINDOW 11

enum baseline_state {
	BASELINE_LEARNED = 1,  /* in the baseline */
	BASELINE_CANDIDATE = 2, /* seen after learning: alerted, not accepted */
};

struct baseline_rates {
	uint64_t seconds;      /* one-second samples */
	double rate_mean;      /* calls per second */
	double rate_var;
	uint64_t calls;
	uint64_t errors;
	double err_mean;       /* errors per call */
	double lat_mean;       /* ms per call */
	double lat_var;
	uint8_t stacked;       /* it sent stacked SQL statements while learning */
};

struct baseline_edge {
	uint64_t id;           /* hash of the key: what `baseline show` prints */
	uint8_t state;         /* enum baseline_state; 0: a free slot */
	struct alert_identity client;
	struct alert_identity server;
	char protocol[ALERT_PROTOCOL_MAX];
	uint16_t port;
	uint64_t first_seen_ns; /* unix */
	struct baseline_rates rates;
	/* live, not persisted: the last seconds' counts, newest at `at` */
	uint32_t win_calls[BASELINE_WINDOW];
	uint32_t win_errors[BASELINE_WINDOW];
	uint64_t win_lat_ns[BASELINE_WINDOW];
	uint32_t at;
	uint8_t spiking;       /* a bit per spike rule whose condition holds: alerts on entry only */
	uint8_t last_trace_id[16]; /* the latest call: what a spike alert points at */
	uint8_t last_span_id[8];
	struct alert_evidence last_client_ev;
	struct alert_evidence last_server_ev;
};

struct baseline_op {
	uint64_t id;
	uint8_t state;
	uint32_t edge;         /* index in the edge table */
	uint64_t first_seen_ns;
	char operation[ALERT_OPERATION_MAX];
};

struct baseline_listener {
	uint64_t id;
	uint8_t state;
	struct alert_identity server;
	uint16_t port;
	uint64_t first_seen_ns;
};

struct baseline_stats {
	uint64_t edges, ops, listeners;  /* in use */
	uint64_t edges_full, ops_full, listeners_full; /* not kept: the table was full */
};

struct baseline {
	uint64_t created_ns;     /* unix: when learning started */
	uint64_t learn_until_ns; /* unix: detection from then on */
	uint64_t changes;        /* bumped on every change worth saving */
	struct baseline_stats stats;
	struct baseline_edge *edges;
	struct baseline_op *ops;
	struct baseline_listener *listeners;
};

int baseline_init(struct baseline *b);
void baseline_free(struct baseline *b);
/* Empties the tables (a reset). */
void baseline_clear(struct baseline *b);

/* An edge's id: a hash of its key. */
uint64_t baseline_edge_id(const struct alert_identity *client, const struct alert_identity *server,
			  const char *protocol, uint16_t port);
/* The entry for a key, or NULL; with add, a new one of that state (NULL
 * and counted when full). */
struct baseline_edge *baseline_edge_get(struct baseline *b, const struct alert_identity *client,
					const struct alert_identity *server, const char *protocol,
					uint16_t port, int add, uint8_t state, uint64_t now_ns);
struct baseline_op *baseline_op_get(struct baseline *b, uint32_t edge, const char *operation, int add,
				    uint8_t state, uint64_t now_ns);
struct baseline_listener *baseline_listener_get(struct baseline *b, const struct alert_identity *server,
						uint16_t port, int add, uint8_t state,
						uint64_t now_ns);

/* A call on an edge: its live counts, and with learn its rates. */
void baseline_edge_count(struct baseline_edge *e, const struct call *c, int learn);
/* One second passed: the live window moves on; with learn, the second's
 * count is a rate sample. */
void baseline_edge_second(struct baseline_edge *e, int learn);

/* Sums over the last `secs` seconds of the live window (the current one
 * included). */
void baseline_edge_window(const struct baseline_edge *e, uint32_t secs, uint64_t *calls,
			  uint64_t *errors, uint64_t *lat_ns);

/* Marks every candidate whose id is in ids (all of them when n is 0) as
 * learned, with the operations of an accepted edge and the listener it
 * reached; returns how many changed. */
uint32_t baseline_accept(struct baseline *b, const uint64_t *ids, uint32_t n);

/* The file format (documented in baseline_file.c): serialise into a
 * malloc'd buffer (*len bytes), or parse one. Parse returns 0, or -1 with
 * err saying why and at which line; b is then cleared. */
char *baseline_serialize(const struct baseline *b, size_t *len);
int baseline_parse(struct baseline *b, const char *text, size_t len, char *err, size_t err_len);

/* File I/O: atomic save (temp file, fsync, rename, fsync of the dir);
 * load: 0, 1 when there is no file, -1 when it is corrupt or foreign (it
 * is then renamed aside, and err says why and where to). */
int baseline_save(const struct baseline *b, const char *path, char *err, size_t err_len);
/* Reads and parses, leaving a bad file where it is (the operator's
 * commands): 0, 1 no file, -1 it cannot be read, -2 it is not a valid
 * baseline; err says why. */
int baseline_read(struct baseline *b, const char *path, char *err, size_t err_len);
int baseline_load(struct baseline *b, const char *path, char *err, size_t err_len);

#endif /* ZT_BASELINE_H */
