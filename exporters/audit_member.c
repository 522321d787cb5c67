// SPDX-License-Identifier: MIT
/*
 * The audit writer's bytes: records deflated into gzip members, each
 * member written out whole, the file's running SHA-256, and the rollback
 * to the last whole member when a write fails (audit.c has the overview).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "audit.h"
#include "audit_internal.h"
#include "span_format.h"

/* ---- bytes to the file ---- */

static ssize_t raw_write(struct audit *a, const void *p, size_t n)
{
	if (a->inj_write_err) {
		if (a->inj_allow == 0) {
			errno = a->inj_write_err;
			return -1;
		}
		if (n > a->inj_allow)
			n = a->inj_allow;
		a->inj_allow -= n;
	}
	return write(a->fd, p, n);
}

static int out_flush(struct audit *a)
{
	size_t off = 0;

	while (off < a->out_len) {
		ssize_t n = raw_write(a, a->out + off, a->out_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		EVP_DigestUpdate(a->sha, a->out + off, (size_t)n);
		a->file_len += (uint64_t)n;
		off += (size_t)n;
	}
	a->out_len = 0;
	return 0;
}

/* Deflates in (Z_NO_FLUSH) or finishes the member (Z_FINISH); returns 0
 * or an errno. */
static int z_run(struct audit *a, const void *in, size_t n, int flush)
{
	int rc, err;

	a->zs.next_in = (Bytef *)(uintptr_t)in;
	a->zs.avail_in = (uInt)n;
	for (;;) {
		a->zs.next_out = a->out + a->out_len;
		a->zs.avail_out = (uInt)(OUT_CAP - a->out_len);
		rc = deflate(&a->zs, flush);
		a->out_len = OUT_CAP - a->zs.avail_out;
		if (rc == Z_STREAM_ERROR)
			return EIO;
		if (a->out_len == OUT_CAP && (err = out_flush(a)) != 0)
			return err;
		if (flush == Z_FINISH ? rc == Z_STREAM_END : a->zs.avail_in == 0)
			return 0;
	}
}

int audit__member_put(struct audit *a, const char *line, size_t n)
{
	if (!a->member_open) {
		a->member_open = 1;
		a->member_started_ns = a->last_tick_ns;
	}
	return z_run(a, line, n, Z_NO_FLUSH);
}

/* Finishes the gzip member and writes it out: the file is whole again. */
int audit__member_end(struct audit *a)
{
	int err;

	if (!a->member_open)
		return 0;
	err = z_run(a, NULL, 0, Z_FINISH);
	if (!err)
		err = out_flush(a);
	if (err)
		return err;
	a->good_len = a->file_len;
	EVP_MD_CTX_copy_ex(a->sha_good, a->sha);
	a->st.records += a->member_records;
	a->member_records = 0;
	a->member_open = 0;
	deflateReset(&a->zs);
	return 0;
}

void audit__member_drop(struct audit *a)
{
	a->member_records = 0;
	a->member_open = 0;
	a->out_len = 0;
	deflateReset(&a->zs);
}

/* A write failed: the member is lost, the file cut back to its last whole
 * member (still a valid link), and records are dropped until recover(). */
void audit__fail(struct audit *a, int err)
{
	audit__note_error(a, err);
	a->file_records -= a->member_records;
	audit__lose(a, a->member_records);
	audit__member_drop(a);
	a->losing = 1;
	if (a->fd < 0)
		return;
	if (a->inj_trunc_err || ftruncate(a->fd, (off_t)a->good_len) < 0) {
		/* the tail may hold a torn member: seal the file from disk */
		audit__note_error(a, a->inj_trunc_err ? a->inj_trunc_err : errno);
		close(a->fd);
		a->fd = -1;
		a->need_seal = 1;
		return;
	}
	a->file_len = a->good_len;
	EVP_MD_CTX_copy_ex(a->sha, a->sha_good);
}

/* ---- hashes ---- */

void audit__hex_final(EVP_MD_CTX *ctx, char out[AUDIT_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_DigestFinal_ex(ctx, md, &len) || len != 32)
		memset(md, 0, sizeof(md));
	span_hex(out, md, 32);
}

int audit__sha_reset(struct audit *a)
{
	return EVP_DigestInit_ex(a->sha, EVP_sha256(), NULL) &&
	       EVP_DigestInit_ex(a->sha_good, EVP_sha256(), NULL) ? 0 : -1;
}

/* SHA-256 of a closed file's bytes, for the chain at start. */
int audit__hash_file(struct audit *a, const char *name, char hex[AUDIT_SHA256_HEX])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *buf = malloc(OUT_CAP);
	int fd = openat(a->dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n = -1;

	if (fd >= 0 && buf && ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		while ((n = read(fd, buf, OUT_CAP)) > 0 || (n < 0 && errno == EINTR))
			if (n > 0)
				EVP_DigestUpdate(ctx, buf, (size_t)n);
		if (n == 0)
			audit__hex_final(ctx, hex);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	EVP_MD_CTX_free(ctx);
	return n == 0 ? 0 : -1;
}
