/* SPDX-License-Identifier: MIT */
/*
 * The audit trail (--audit-dir DIR): every span (a summary) and every alert
 * as gzip-compressed JSON lines, in files chained by SHA-256 so that a
 * changed, removed or reordered file is detected (user/security/
 * audit_verify.h defines the format and verifies it).
 *
 * Files: DIR/audit-00000042.jsonl.gz, seq from 1; the file being written is
 * audit-<seq>.jsonl.gz.open and is renamed to its final name (after fsync
 * of the file; the directory is fsynced after) when it is closed. Each file
 * starts with a header line naming the previous closed file and its
 * SHA-256. Records:
 *   {"type":"span","start_time":"<RFC 3339>","end_time":…,"duration_ns":N,"trace_id":…,
 *    "span_id":…,"parent_span_id":""|hex,"kind":"SERVER"|"CLIENT",
 *    "service":…,"client":…,"server":…,"protocol":…,"operation":<span name>,
 *    "status":"unset"|"error","code":<protocol status, when any>}
 *   {"type":"alert","time":…,"rule":<stable id>,"severity":…,"reason":…,
 *    "count":N,"protocol":…,"operation":…,"port":N,"trace_id":…,"span_id":…,
 *    "src":{identity and evidence, non-empty fields},"dst":{…}}
 *   {"type":"audit_gap","time":…,"since":…,"records_lost":N,"error":…}
 *
 * Writing: one zlib deflate stream per gzip member, written with write(2)
 * from a 64 KiB buffer, never an fsync per record. A member is finished
 * (so it is complete on disk and readable by zcat) every AUDIT_MEMBER_RECORDS
 * records and by audit_tick a second after it started, so a crash loses
 * the last second or two of records at most. The SHA-256 is computed
 * incrementally over the bytes written, so the head covers what the agent
 * wrote, not what is on disk when the file closes. Cost: about 2 µs per
 * record on the test VM, most of it deflate (level 1: JSON lines shrink
 * about 7x).
 *
 * Rotation: when the file's compressed size reaches max_size (checked as
 * members finish, so a file may pass max_size by one member), or when it
 * is max_age old and holds a record (audit_tick). Closing: finish the
 * member, fsync, rename, fsync the directory, call on_head; then the next
 * file starts (header written, fsynced) and retention deletes the closed
 * files older than the `keep` newest (the new header records the oldest
 * kept seq, so verify tells retention from removal). A stopped agent leaves
 * up to keep+1 closed files; the next start trims them.
 *
 * Errors (a full disk, EIO): never fatal, never blocking. The member being
 * written is abandoned, the file truncated back to its last complete member
 * (it stays a valid chain link), and records are counted as lost until
 * audit_tick (at most once a second) writes again: an audit_gap line then
 * says how many records were lost, since when and why. If the file cannot
 * be truncated, it is sealed (below) and a new file started.
 *
 * Start: the sequence and chain continue from the files in DIR. A file
 * left open by a crash (audit-N.jsonl.gz.open) is sealed in place: cut back
 * to its last complete gzip member (a torn write is dropped), renamed to
 * its closed name and chained; the next header names it (recovered_file,
 * recovered_dropped_bytes). An open file without a complete header is set
 * aside as audit-N.jsonl.gz.open.orphan. A lock (flock on DIR) keeps two
 * agents out of one directory.
 */
#ifndef ZT_AUDIT_H
#define ZT_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "span.h"

#define AUDIT_MEMBER_RECORDS 512   /* records per gzip member, at most */

struct audit_config {
	const char *dir;      /* created (one level) when missing */
	uint64_t max_size;    /* compressed bytes per file; 0: no size limit */
	uint64_t max_age_ns;  /* 0: no age limit */
	uint32_t keep;        /* closed files kept; 0: all */
	const char *host_name;
};

/* A new head: the file just closed, its seq and the hex SHA-256 of its
 * bytes. Called on every rotation, by audit_close, for a file sealed after
 * a crash, and once by audit_open for the newest closed file it finds (a
 * head the previous run may not have sent). Send it off the node. */
typedef void (*audit_head_fn)(void *ctx, const char *file_name, uint64_t seq,
			      const char *sha256_hex);

/* Opens DIR, seals what a crash left, starts the next file. NULL with a
 * message in err when DIR cannot be used (permissions, another agent); a
 * full disk is not an error here: the trail starts failing and retries. */
struct audit *audit_open(const struct audit_config *c, audit_head_fn on_head, void *ctx,
			 char *err, size_t err_len);
/* Identities and protocol are text from the caller (NULL: ""); each is
 * cut to 512 bytes. */
void audit_span(struct audit *a, const struct span *s, const char *client_identity,
		const char *server_identity, const char *protocol);
void audit_alert(struct audit *a, const struct alert *al);
/* Call at least once a second with the wall clock (CLOCK_REALTIME, the
 * clock of the header's "created"): finishes a member a second old,
 * rotates by age, retries after an error. */
void audit_tick(struct audit *a, uint64_t now_unix_ns);
/* Finishes, closes and chains the current file (on_head is called); frees a. */
void audit_close(struct audit *a);

struct audit_stats {
	uint64_t records;        /* records in complete members on disk */
	uint64_t files_closed;
	uint64_t files_deleted;  /* by retention */
	uint64_t write_errors;   /* failed write/fsync/rename/create calls */
	uint64_t records_lost;   /* records never written (errors) */
	uint32_t failing;        /* 1 while records are being lost */
};

void audit_get_stats(const struct audit *a, struct audit_stats *out);
/* The errno that started a failure episode since the last call, or 0:
 * the caller raises one audit_write_failed alert per episode. An episode
 * ends after a minute of writing without an error (a disk that stays
 * nearly full fails, recovers and fails again within one episode). */
int audit_take_failure(struct audit *a);

/* Tests only. Writes fail with write_errno (0: stop failing) after
 * allow_bytes more bytes; truncation fails with truncate_errno. */
void audit_test_inject(struct audit *a, int write_errno, uint64_t allow_bytes,
		       int truncate_errno);
/* Tests only: drops a as a crash would (the open file left as it is). */
void audit_test_crash(struct audit *a);

#endif /* ZT_AUDIT_H */
