/* SPDX-License-Identifier: MIT */
/*
 * The audit trail's on-disk format, read side: file names, the header line,
 * a streaming checker of one file, and `zerotrace audit verify DIR`.
 * exporters/audit.c writes the format with the same name and header
 * functions, and seals a file left open by a crash with the same checker,
 * so there is one definition of what a well-formed file is.
 *
 * The format (version 1):
 * - A directory of files audit-<seq>.jsonl.gz, seq a decimal number from 1,
 *   zero-padded to 8 digits (more digits past 99999999). The file being
 *   written is audit-<seq>.jsonl.gz.open; it gets its final name (an atomic
 *   rename) when it is closed. Nothing else in the directory is read.
 * - A file is a concatenation of complete gzip members (RFC 1952 section
 *   2.2, so zcat reads it as one stream); each member holds whole JSON
 *   lines. The first line of a file is its header:
 *     {"type":"audit_header","version":1,"seq":N,"prev_file":"audit-….jsonl.gz",
 *      "prev_sha256":"<hex>","host":"…","created":"<RFC 3339>","first_kept_seq":K,
 *      "agent":"zerotrace …"}
 *   prev_sha256 is the SHA-256 of every byte of the previous closed file
 *   (64 zeros and prev_file "" for seq 1): the chain. first_kept_seq is the
 *   oldest closed file retention kept when this file was started (files
 *   K..N-1 existed then and are not deleted before a later header says so).
 *   A file sealed after a crash is named by the next header's
 *   "recovered_file" with the bytes cut from its torn end in
 *   "recovered_dropped_bytes".
 * - Then {"type":"span",…}, {"type":"alert",…} and, where writing resumed
 *   after an error, {"type":"audit_gap","records_lost":N,…} lines.
 */
#ifndef ZT_AUDIT_VERIFY_H
#define ZT_AUDIT_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"

#define AUDIT_FORMAT_VERSION 1
#define AUDIT_NAME_MAX 48      /* "audit-" + 20 digits + ".jsonl.gz.open" + NUL */
#define AUDIT_SHA256_HEX 65    /* 64 lowercase hex digits + NUL */
#define AUDIT_HOST_MAX 256
#define AUDIT_TIME_MAX 40      /* "2025-01-02T03:04:05.123456789Z" + NUL */
#define AUDIT_AGENT_MAX 64
#define AUDIT_LINE_MAX 65536   /* longest line a reader accepts */

enum audit_name_kind {
	AUDIT_NAME_NONE = 0,  /* not an audit file name (or not in canonical form) */
	AUDIT_NAME_CLOSED,    /* audit-00000042.jsonl.gz */
	AUDIT_NAME_OPEN,      /* audit-00000042.jsonl.gz.open */
};

/* The file name of seq (open: the ".open" name); returns its length, or 0
 * when seq is 0 or out_len is too small. */
size_t audit_name_format(char *out, size_t out_len, uint64_t seq, int open);
/* enum audit_name_kind of a name; *seq set when it is one. Only the
 * canonical spelling counts ("audit-0000042.jsonl.gz", seven digits, is
 * NONE), so every seq has exactly one name. */
int audit_name_parse(const char *name, uint64_t *seq);

/* "2025-01-02T03:04:05.123456789Z" (UTC, nanoseconds). */
void audit_time_format(char out[AUDIT_TIME_MAX], uint64_t unix_ns);

struct audit_header {
	uint32_t version;
	uint64_t seq;
	uint64_t first_kept_seq;          /* 0: not recorded */
	uint64_t recovered_dropped_bytes;
	uint8_t has_recovered;            /* recovered_file is set */
	char prev_file[AUDIT_NAME_MAX];   /* "" for seq 1 */
	char prev_sha256[AUDIT_SHA256_HEX];
	char host[AUDIT_HOST_MAX];
	char created[AUDIT_TIME_MAX];
	char agent[AUDIT_AGENT_MAX];      /* "" when absent */
	char recovered_file[AUDIT_NAME_MAX];
};

/* The header line, without its newline. */
void audit_header_format(struct json_buf *b, const struct audit_header *h);
/* Parses a header line (no newline): a flat JSON object with every
 * required field, version 1, canonical prev_file, lowercase hex. Returns 0,
 * or -1 with the reason in why. Unknown keys are skipped (a later minor
 * version may add some); duplicate keys and nested values are refused. */
int audit_header_parse(const char *line, size_t n, struct audit_header *h, char *why,
		       size_t why_len);

/*
 * Streaming check of one file's bytes: SHA-256 of all of them, gzip members
 * inflated one after another (CRC-32 and length checked by zlib), lines
 * split and checked. Feed the file in chunks of any size, then finish.
 */
struct audit_scan {
	/* results */
	uint64_t in_bytes;       /* bytes fed */
	uint64_t good_bytes;     /* end of the last complete member that ended a line */
	uint64_t members;        /* complete members */
	uint64_t lines;          /* complete lines, header included */
	uint64_t spans, alerts, others; /* record lines by type */
	uint64_t gap_records_lost;      /* sum of audit_gap records_lost */
	uint8_t have_header;     /* the first line parsed as a header */
	uint8_t error;           /* a format error: what is in why */
	uint8_t partial;         /* at finish: bytes after good_bytes (a member without its trailer) */
	char why[160];
	uint64_t error_at;       /* byte offset (compressed) where the error was seen */
	struct audit_header header;
	/* internal */
	void *priv;
};

/* Returns 0, or -1 when out of memory. */
int audit_scan_init(struct audit_scan *s);
void audit_scan_feed(struct audit_scan *s, const uint8_t *p, size_t n);
/* all_hex: SHA-256 of every byte fed; good_hex (may be NULL): of the
 * first good_bytes. Sets partial. */
void audit_scan_finish(struct audit_scan *s, char all_hex[AUDIT_SHA256_HEX],
		       char good_hex[AUDIT_SHA256_HEX]);
void audit_scan_free(struct audit_scan *s);

/*
 * `zerotrace audit verify DIR [--head HASH]`: checks every audit file in
 * dir and the chain between them, writing one line per file and per
 * problem to report. head_hex: a head sent off the node by the agent (64
 * hex digits, either case), or NULL. Returns 0 when the chain holds, 1 when
 * it is broken (or dir holds no audit file at all), 2 on usage or I/O
 * errors (bad HASH, unreadable dir or file).
 */
int audit_verify_dir(const char *dir, const char *head_hex, FILE *report);

#endif /* ZT_AUDIT_VERIFY_H */
