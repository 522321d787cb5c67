// SPDX-License-Identifier: MIT
/*
 * The audit trail writer (audit.h says what it promises; audit_verify.h
 * defines the format). Runs on the agent's event loop: a record is one
 * rendered line fed to deflate; the only system calls on the record path
 * are a write(2) per 64 KiB of compressed output and, once per member, the
 * write of its end. fsync happens only when a file starts or closes.
 *
 * Split by concern: this file opens, rotates and closes files and drives
 * recovery; audit_member.c writes gzip members and hashes,
 * audit_record.c renders records, audit_recover.c seals, resumes and
 * applies retention. The state is in audit_internal.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "audit.h"
#include "audit_internal.h"
#include "audit_verify.h"
#include "json.h"
#include "span_format.h"

#define MEMBER_NS 1000000000ULL  /* a member is finished a second after it started */
#define RETRY_NS 1000000000ULL   /* retry writing once a second after an error */
/* An episode of failures ends after a minute without errors: a disk that
 * stays nearly full (each retry fits a little, the next member does not)
 * raises one alert, not one every other second. */
#define EPISODE_QUIET_NS (60 * 1000000000ULL)
/* Level 1: span lines (random ids included) shrink about 7x; level 6 gives
 * 8.4x for twice the CPU on the event loop. */
#define Z_LEVEL 1

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void audit__set_err(char *err, size_t err_len, const char *fmt, const char *a, const char *b)
{
	if (err && err_len)
		snprintf(err, err_len, fmt, a, b);
}

/* A failed system call: counted; the first of an episode is what
 * audit_take_failure reports. */
void audit__note_error(struct audit *a, int err)
{
	a->st.write_errors++;
	a->last_errno = err;
	a->last_error_ns = a->last_tick_ns;
	if (!a->episode) {
		a->episode = 1;
		a->failure_pending = err ? err : EIO;
	}
}

void audit__lose(struct audit *a, uint64_t n)
{
	if (!n)
		return;
	if (!a->lost_pending)
		a->lost_since_ns = realtime_ns();
	a->lost_pending += n;
	a->st.records_lost += n;
}

/* Starts file a->seq: creates it, writes and fsyncs its header, then
 * applies retention. Returns 0 or an errno (no file then: fd == -1). */
static int start_file(struct audit *a)
{
	char created[AUDIT_TIME_MAX];
	struct audit_header h;
	struct json_buf b;
	uint64_t *seqs, first_kept;
	size_t n;
	int err;

	if (audit__list_seqs(a, AUDIT_NAME_CLOSED, &seqs, &n) < 0)
		return errno ? errno : ENOMEM;
	first_kept = n ? (a->keep && n > a->keep ? seqs[n - a->keep] : seqs[0]) : a->seq;
	audit_name_format(a->open_name, sizeof(a->open_name), a->seq, 1);
	audit_name_format(a->closed_name, sizeof(a->closed_name), a->seq, 0);
	a->fd = openat(a->dfd, a->open_name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
		       0640);
	if (a->fd < 0) {
		err = errno;
		free(seqs);
		return err;
	}
	audit__sha_reset(a);
	a->file_len = a->good_len = 0;
	a->file_records = 0;
	a->created_ns = realtime_ns();
	audit_time_format(created, a->created_ns);

	memset(&h, 0, sizeof(h));
	h.version = AUDIT_FORMAT_VERSION;
	h.seq = a->seq;
	h.first_kept_seq = first_kept;
	snprintf(h.prev_file, sizeof(h.prev_file), "%s", a->prev_name);
	snprintf(h.prev_sha256, sizeof(h.prev_sha256), "%s", a->prev_sha);
	snprintf(h.host, sizeof(h.host), "%s", a->host);
	snprintf(h.created, sizeof(h.created), "%s", created);
	snprintf(h.agent, sizeof(h.agent), "zerotrace %s", ZT_VERSION);
	if (a->has_recovered) {
		h.has_recovered = 1;
		snprintf(h.recovered_file, sizeof(h.recovered_file), "%s", a->recovered_file);
		h.recovered_dropped_bytes = a->recovered_dropped;
	}
	json_buf_init(&b, a->line, LINE_CAP);
	audit_header_format(&b, &h);
	json_put_raw(&b, "\n", 1);
	err = audit__member_put(a, b.data, b.len);
	if (!err)
		err = audit__member_end(a);
	if (!err && fsync(a->fd) < 0)
		err = errno;
	if (err) {
		/* nothing of it counts: remove it and try again later */
		audit__member_drop(a);
		close(a->fd);
		a->fd = -1;
		unlinkat(a->dfd, a->open_name, 0);
		free(seqs);
		return err;
	}
	fsync(a->dfd);
	a->has_recovered = 0;
	audit__retention(a, seqs, n, first_kept);
	free(seqs);
	return 0;
}

/* Closes the open file as a chain link. Returns 0, or -1 when it could not
 * be renamed (need_seal: recover() seals it). */
static int close_file(struct audit *a)
{
	char hex[AUDIT_SHA256_HEX];
	int err = audit__member_end(a);

	if (err) {
		audit__fail(a, err);
		if (a->fd < 0)
			return -1;
	}
	if (fsync(a->fd) < 0)
		audit__note_error(a, errno);
	close(a->fd);
	a->fd = -1;
	if (renameat(a->dfd, a->open_name, a->dfd, a->closed_name) < 0) {
		audit__note_error(a, errno);
		a->need_seal = 1;
		return -1;
	}
	if (fsync(a->dfd) < 0)
		audit__note_error(a, errno);
	audit__hex_final(a->sha_good, hex);
	a->st.files_closed++;
	audit__new_head(a, a->closed_name, a->seq, hex);
	a->seq++;
	return 0;
}

/* Writes the audit_gap line for the records lost since the failure. */
static int write_gap(struct audit *a)
{
	char why[96];
	struct json_buf b;
	int err;

	if (!a->lost_pending)
		return 0;
	snprintf(why, sizeof(why), "%s", strerror(a->last_errno ? a->last_errno : EIO));
	json_buf_init(&b, a->line, LINE_CAP);
	json_put_rawz(&b, "{\"type\":\"audit_gap\"");
	audit__put_time(a, &b, "time", realtime_ns());
	audit__put_time(a, &b, "since", a->lost_since_ns);
	audit__put_key(&b, "records_lost");
	json_put_u64(&b, a->lost_pending);
	audit__put_str(&b, "error", why, sizeof(why));
	json_put_rawz(&b, "}\n");
	err = audit__member_put(a, b.data, b.len);
	if (!err)
		err = audit__member_end(a);
	if (err) {
		audit__fail(a, err);
		return -1;
	}
	a->lost_pending = 0;
	return 0;
}

/* After an error: seal what must be sealed, start a file, say what was
 * lost. Each step needs the one before it; a failure waits for the next
 * retry. */
static void recover(struct audit *a)
{
	int err;

	if (a->need_seal) {
		if (audit__seal(a, a->open_name, a->seq) < 0) {
			audit__note_error(a, errno);
			return;
		}
		a->need_seal = 0;
	}
	if (a->fd < 0 && (err = start_file(a)) != 0) {
		audit__note_error(a, err);
		a->losing = 1;
		return;
	}
	if (write_gap(a) < 0)
		return;
	a->losing = 0;
}

/* Closes the current file and starts the next; postponed while failing. */
void audit__rotate(struct audit *a)
{
	int err;

	if (a->fd < 0 || a->losing)
		return;
	if (close_file(a) < 0)
		return;
	if ((err = start_file(a)) != 0) {
		audit__note_error(a, err);
		a->losing = 1;
	}
}

void audit_tick(struct audit *a, uint64_t now)
{
	int err;

	if (!a)
		return;
	a->last_tick_ns = now;
	if (a->fd < 0 || a->losing || a->need_seal) {
		if (now - a->last_retry_ns >= RETRY_NS || now < a->last_retry_ns) {
			a->last_retry_ns = now;
			recover(a);
		}
		return;
	}
	if (a->episode && (now - a->last_error_ns >= EPISODE_QUIET_NS || now < a->last_error_ns))
		a->episode = 0;
	if (a->member_open && (now - a->member_started_ns >= MEMBER_NS ||
			       now < a->member_started_ns)) {
		if ((err = audit__member_end(a)) != 0) {
			audit__fail(a, err);
			return;
		}
	}
	if ((a->max_size && a->file_len >= a->max_size) ||
	    (a->max_age_ns && a->file_records && now >= a->created_ns &&
	     now - a->created_ns >= a->max_age_ns))
		audit__rotate(a);
}

static void audit_free(struct audit *a)
{
	if (a->fd >= 0)
		close(a->fd);
	if (a->dfd >= 0)
		close(a->dfd); /* releases the lock */
	if (a->z_ready)
		deflateEnd(&a->zs);
	EVP_MD_CTX_free(a->sha);
	EVP_MD_CTX_free(a->sha_good);
	free(a->out);
	free(a->line);
	free(a);
}

struct audit *audit_open(const struct audit_config *c, audit_head_fn on_head, void *ctx,
			 char *err, size_t err_len)
{
	struct audit *a;
	int e;

	if (!c || !c->dir || !c->dir[0]) {
		audit__set_err(err, err_len, "audit: no directory%s%s", "", "");
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		audit__set_err(err, err_len, "audit: out of memory%s%s", "", "");
		return NULL;
	}
	a->fd = -1;
	a->dfd = -1;
	a->max_size = c->max_size;
	a->max_age_ns = c->max_age_ns;
	a->keep = c->keep;
	a->on_head = on_head;
	a->ctx = ctx;
	if (c->host_name && c->host_name[0])
		snprintf(a->host, sizeof(a->host), "%s", c->host_name);
	else if (gethostname(a->host, sizeof(a->host) - 1) < 0)
		snprintf(a->host, sizeof(a->host), "unknown");
	memset(a->prev_sha, '0', 64);
	a->last_tick_ns = realtime_ns();
	a->out = malloc(OUT_CAP);
	a->line = malloc(LINE_CAP);
	a->sha = EVP_MD_CTX_new();
	a->sha_good = EVP_MD_CTX_new();
	if (!a->out || !a->line || !a->sha || !a->sha_good || audit__sha_reset(a) < 0 ||
	    deflateInit2(&a->zs, Z_LEVEL, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		audit__set_err(err, err_len, "audit: out of memory%s%s", "", "");
		audit_free(a);
		return NULL;
	}
	a->z_ready = 1;
	if (mkdir(c->dir, 0750) < 0 && errno != EEXIST) {
		audit__set_err(err, err_len, "audit: cannot create %s: %s", c->dir, strerror(errno));
		audit_free(a);
		return NULL;
	}
	a->dfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->dfd < 0) {
		audit__set_err(err, err_len, "audit: cannot open %s: %s", c->dir, strerror(errno));
		audit_free(a);
		return NULL;
	}
	if (flock(a->dfd, LOCK_EX | LOCK_NB) < 0) {
		audit__set_err(err, err_len, "audit: %s: %s", c->dir,
			errno == EWOULDBLOCK ? "another zerotrace writes to this directory" :
					       strerror(errno));
		audit_free(a);
		return NULL;
	}
	if (audit__resume_dir(a, err, err_len) < 0) {
		audit_free(a);
		return NULL;
	}
	e = start_file(a);
	if (e == EACCES || e == EPERM || e == EROFS || e == ENOTDIR || e == EEXIST) {
		audit__set_err(err, err_len, "audit: cannot create a file in %s: %s", c->dir, strerror(e));
		audit_free(a);
		return NULL;
	}
	if (e) { /* a full disk: start failing, retry from audit_tick */
		audit__note_error(a, e);
		a->losing = 1;
	}
	return a;
}

void audit_close(struct audit *a)
{
	if (!a)
		return;
	if (a->need_seal) {
		if (audit__seal(a, a->open_name, a->seq) == 1)
			a->need_seal = 0;
	} else if (a->fd >= 0) {
		if (a->losing && a->lost_pending)
			write_gap(a);
		if (a->fd >= 0)
			close_file(a);
	}
	audit_free(a);
}

void audit_get_stats(const struct audit *a, struct audit_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!a)
		return;
	*out = a->st;
	out->failing = a->losing || a->fd < 0 ? 1 : 0;
}

int audit_take_failure(struct audit *a)
{
	int e;

	if (!a)
		return 0;
	e = a->failure_pending;
	a->failure_pending = 0;
	return e;
}

void audit_test_inject(struct audit *a, int write_errno, uint64_t allow_bytes, int truncate_errno)
{
	a->inj_write_err = write_errno;
	a->inj_allow = allow_bytes;
	a->inj_trunc_err = truncate_errno;
}

void audit_test_crash(struct audit *a)
{
	audit_free(a);
}
