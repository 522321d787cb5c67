/* SPDX-License-Identifier: MIT */
/*
 * `zerotrace record` / `zerotrace replay`: the file that holds a run's
 * ring-buffer records, and what else the pipeline asked the host, so that a
 * replay without BPF makes the same calls into the tracer in the same order.
 *
 * File format (host byte order; replayed by the build that recorded it):
 *   struct rec_header (REC_MAGIC, REC_VERSION, the sizes of the structs the
 *     records hold, the pipeline's settings, the id generator's seed, host)
 *   records: struct rec_head { type, len } then len bytes:
 *     REC_EVENT   a ring-buffer record as it entered the reorder window:
 *                 struct zt_event + cap_len payload bytes, secrets redacted
 *     REC_CLOCK   struct rec_clock: the event loop's turn (release the
 *                 window below now - window; tick the tracer when asked)
 *     REC_PROCESS struct procinfo_miss: a process lookup the tracer made,
 *                 written right after the record that caused it
 *     REC_PORTS   uint16_t listening ports read at start
 *     REC_END     struct rec_end; the last record (without it the file is
 *                 truncated), with a CRC-32 of all the bytes before it
 * Bounded: records stop at the size cap (END always fits), and what did not
 * fit is counted in rec_end.not_written.
 */
#ifndef ZT_RECORDING_H
#define ZT_RECORDING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "events.h"
#include "procinfo.h"

#define REC_MAGIC "ZTRECORD"
#define REC_VERSION 2 /* 2: procinfo.generation */
#define REC_RECORD_MAX (1u << 20)      /* no record is longer */
#define REC_HOST_MAX 72

enum rec_type {
	REC_EVENT = 1,
	REC_CLOCK = 2,
	REC_PROCESS = 3,
	REC_PORTS = 4,
	REC_END = 5,
};

struct rec_header {
	char magic[8];
	uint32_t version;
	uint32_t event_size;          /* sizeof(struct zt_event) */
	uint32_t process_size;        /* sizeof(struct procinfo_miss) */
	uint32_t capture_bytes;       /* the reorder window's slot sizes follow it */
	uint64_t reorder_window_ns;
	uint64_t ids_state[4];        /* span and trace ids repeat in the replay */
	char host_name[REC_HOST_MAX]; /* host.name of the spans */
};

struct rec_head {
	uint32_t type;
	uint32_t len;
};

struct rec_clock {
	uint64_t now_mono_ns;
	int64_t mono_to_unix_ns;
	uint32_t tick;                /* tracer_tick ran on this turn */
	uint32_t pad;
};

struct rec_end {
	uint64_t records;             /* written before this one */
	uint64_t not_written;         /* past the size cap, or a write error */
	uint32_t crc32;               /* zlib's CRC-32 of every byte before this record */
	uint32_t pad;
};

_Static_assert(sizeof(struct rec_header) == 136, "rec_header layout");
_Static_assert(sizeof(struct rec_head) == 8, "rec_head layout");
_Static_assert(sizeof(struct rec_clock) == 24, "rec_clock layout");
_Static_assert(sizeof(struct rec_end) == 24, "rec_end layout");

/* ---- writing (the agent) ---- */

struct recorder;

/* Creates path with mode 0600 (an existing file is truncated and made
 * 0600), writes hdr. NULL with err filled on failure. max_size >=
 * sizeof(hdr) + room for REC_END. */
struct recorder *recorder_open(const char *path, uint64_t max_size, const struct rec_header *hdr,
			       char *err, size_t err_len);
/* Appends one record; an event's payload is redacted in the copy written.
 * Past the cap nothing more is written, only counted. */
void recorder_event(struct recorder *r, const void *data, size_t len);
void recorder_write(struct recorder *r, enum rec_type type, const void *data, size_t len);
/* Writes REC_END, closes; returns 0 or -1 (err filled), *end the counts. */
int recorder_close(struct recorder *r, struct rec_end *end, char *err, size_t err_len);

/* Overwrites secrets in place with '*' (same length, so stream positions
 * stay right): HTTP/1 Authorization, Proxy-Authorization, Cookie and
 * Set-Cookie values, secret-looking query values (redact_key_is_secret),
 * URL user:password, Redis AUTH arguments (the kernel never copies a
 * PostgreSQL password message). Returns the bytes overwritten. Pure. */
size_t recording_redact(uint8_t *buf, size_t len);
/* The same over a raw ring-buffer record: its payload, segment by segment
 * for a frame walk. */
size_t recording_redact_event(uint8_t *rec, size_t len);

/* ---- reading (the replay; untrusted input, fuzzed) ---- */

struct rec_reader {
	const uint8_t *buf;
	size_t len;
	size_t off;                   /* the next record */
	struct rec_header hdr;
};

struct rec_item {
	enum rec_type type;
	const uint8_t *data;          /* into the buffer; REC_PROCESS: see below */
	uint32_t len;
	size_t off;                   /* where the record starts */
};

/* 0, or -1 with err filled: too short, bad magic, other version or sizes. */
int rec_reader_open(struct rec_reader *rd, const uint8_t *buf, size_t len, char *err,
		    size_t err_len);
/* From *off: 1 an item (*off moves past it), 0 REC_END reached (the file's
 * counts in *end), -1 truncated or corrupt (err filled). Every item is
 * checked: an event holds a whole zt_event and its cap_len, a clock or
 * process record has its exact size. */
int rec_reader_next(const struct rec_reader *rd, size_t *off, struct rec_item *it,
		    struct rec_end *end, char *err, size_t err_len);
/* Reads every record to REC_END and checks the CRC-32 there: 0 (the
 * file's counts in *end), or -1 with err filled. */
int rec_reader_check(const struct rec_reader *rd, struct rec_end *end, char *err, size_t err_len);
/* A REC_PROCESS item copied out with every string NUL-terminated. */
void rec_item_process(const struct rec_item *it, struct procinfo_miss *out);

#endif /* ZT_RECORDING_H */
