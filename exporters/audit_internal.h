/* SPDX-License-Identifier: MIT */
/*
 * Internal to the audit writer (audit.c, audit_member.c, audit_record.c,
 * audit_recover.c): the writer's state and the helpers its files share.
 * Nothing outside those files includes this.
 *
 * State: `fd` is the open file (header written) or -1; `need_seal` means
 * the open file is on disk but no longer held (a failed truncate or
 * rename) and must be sealed before the next file starts; `losing` means
 * records are dropped and counted until recover() writes the audit_gap
 * line. good_len/sha_good are the file's length and hash at its last
 * complete member: an error rolls back to them.
 */
#ifndef ZT_AUDIT_INTERNAL_H
#define ZT_AUDIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "audit.h"
#include "audit_verify.h"
#include "json.h"

#define OUT_CAP 65536
/* Longest line: an alert's reason, operation and two identities with
 * evidence, every byte escaped to 6 (about 13 KiB); a span's name, service
 * and two 512-byte identities (about 10 KiB). */
#define LINE_CAP 32768
#define TIME_PREFIX 19           /* "2025-01-02T03:04:05" */

struct audit {
	int dfd;
	uint64_t max_size, max_age_ns;
	uint32_t keep;
	char host[AUDIT_HOST_MAX];
	audit_head_fn on_head;
	void *ctx;

	int fd;
	int need_seal;
	uint64_t seq;                      /* the open file's (or the one to seal) */
	char open_name[AUDIT_NAME_MAX];
	char closed_name[AUDIT_NAME_MAX];
	uint64_t created_ns;
	uint64_t file_records;

	/* the chain: the newest closed file */
	char prev_name[AUDIT_NAME_MAX];
	char prev_sha[AUDIT_SHA256_HEX];
	/* a file sealed after a crash, for the next header */
	int has_recovered;
	char recovered_file[AUDIT_NAME_MAX];
	uint64_t recovered_dropped;

	z_stream zs;
	int z_ready;
	int member_open;
	uint32_t member_records;
	uint64_t member_started_ns;
	uint8_t *out;
	size_t out_len;
	char *line;
	uint64_t file_len, good_len;
	EVP_MD_CTX *sha, *sha_good;

	uint64_t time_sec;
	int time_valid;
	char time_prefix[TIME_PREFIX];

	uint64_t last_tick_ns, last_retry_ns;
	int losing;
	uint64_t lost_pending, lost_since_ns;
	int last_errno;
	uint64_t last_error_ns;
	int episode;
	int failure_pending;
	struct audit_stats st;

	int inj_write_err, inj_trunc_err;
	uint64_t inj_allow;
};

/* audit.c */
void audit__note_error(struct audit *a, int err);
void audit__lose(struct audit *a, uint64_t n);
void audit__set_err(char *err, size_t err_len, const char *fmt, const char *a, const char *b);
void audit__rotate(struct audit *a);

/* audit_member.c: gzip members and the file's hash */
int audit__member_put(struct audit *a, const char *line, size_t n);
int audit__member_end(struct audit *a);
void audit__member_drop(struct audit *a);
void audit__fail(struct audit *a, int err);
void audit__hex_final(EVP_MD_CTX *ctx, char out[AUDIT_SHA256_HEX]);
int audit__sha_reset(struct audit *a);
int audit__hash_file(struct audit *a, const char *name, char hex[AUDIT_SHA256_HEX]);

/* audit_record.c: rendering records */
void audit__put_key(struct json_buf *b, const char *key);
void audit__put_str(struct json_buf *b, const char *key, const char *s, size_t max);
void audit__put_time(struct audit *a, struct json_buf *b, const char *key, uint64_t ns);

/* audit_recover.c: the directory, crash recovery, sealing and retention */
int audit__list_seqs(struct audit *a, int kind, uint64_t **out, size_t *n);
void audit__new_head(struct audit *a, const char *name, uint64_t seq, const char *hex);
int audit__seal(struct audit *a, const char *name, uint64_t seq);
void audit__retention(struct audit *a, const uint64_t *seqs, size_t n, uint64_t first_kept);
int audit__resume_dir(struct audit *a, char *err, size_t err_len);

#endif
