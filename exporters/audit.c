// SPDX-License-Identifier: MIT
/*
 * The audit trail writer (audit.h says what it promises; audit_verify.h
 * defines the format). Runs on the agent's event loop: a record is one
 * rendered line fed to deflate; the only system calls on the record path
 * are a write(2) per 64 KiB of compressed output and, once per member, the
 * write of its end. fsync happens only when a file starts or closes.
 *
 * State: `fd` is the open file (header written) or -1; `need_seal` means
 * the open file is on disk but no longer held (a failed truncate or
 * rename) and must be sealed before the next file starts; `losing` means
 * records are dropped and counted until recover() writes the audit_gap
 * line. good_len/sha_good are the file's length and hash at its last
 * complete member: an error rolls back to them.
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
#include "audit_verify.h"
#include "json.h"
#include "span_format.h"

#define OUT_CAP 65536
/* Longest line: an alert's reason, operation and two identities with
 * evidence, every byte escaped to 6 (about 13 KiB); a span's name, service
 * and two 512-byte identities (about 10 KiB). */
#define LINE_CAP 32768
#define IDENT_MAX 512
#define PROTO_MAX 64
#define MEMBER_NS 1000000000ULL  /* a member is finished a second after it started */
#define RETRY_NS 1000000000ULL   /* retry writing once a second after an error */
/* An episode of failures ends after a minute without errors: a disk that
 * stays nearly full (each retry fits a little, the next member does not)
 * raises one alert, not one every other second. */
#define EPISODE_QUIET_NS (60 * 1000000000ULL)
/* Level 1: span lines (random ids included) shrink about 7x; level 6 gives
 * 8.4x for twice the CPU on the event loop. */
#define Z_LEVEL 1
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

static void rotate(struct audit *a);

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void set_err(char *err, size_t err_len, const char *fmt, const char *a, const char *b)
{
	if (err && err_len)
		snprintf(err, err_len, fmt, a, b);
}

/* A failed system call: counted; the first of an episode is what
 * audit_take_failure reports. */
static void note_error(struct audit *a, int err)
{
	a->st.write_errors++;
	a->last_errno = err;
	a->last_error_ns = a->last_tick_ns;
	if (!a->episode) {
		a->episode = 1;
		a->failure_pending = err ? err : EIO;
	}
}

static void lose(struct audit *a, uint64_t n)
{
	if (!n)
		return;
	if (!a->lost_pending)
		a->lost_since_ns = realtime_ns();
	a->lost_pending += n;
	a->st.records_lost += n;
}

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

static int member_put(struct audit *a, const char *line, size_t n)
{
	if (!a->member_open) {
		a->member_open = 1;
		a->member_started_ns = a->last_tick_ns;
	}
	return z_run(a, line, n, Z_NO_FLUSH);
}

/* Finishes the gzip member and writes it out: the file is whole again. */
static int member_end(struct audit *a)
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

static void member_drop(struct audit *a)
{
	a->member_records = 0;
	a->member_open = 0;
	a->out_len = 0;
	deflateReset(&a->zs);
}

/* A write failed: the member is lost, the file cut back to its last whole
 * member (still a valid link), and records are dropped until recover(). */
static void fail(struct audit *a, int err)
{
	note_error(a, err);
	a->file_records -= a->member_records;
	lose(a, a->member_records);
	member_drop(a);
	a->losing = 1;
	if (a->fd < 0)
		return;
	if (a->inj_trunc_err || ftruncate(a->fd, (off_t)a->good_len) < 0) {
		/* the tail may hold a torn member: seal the file from disk */
		note_error(a, a->inj_trunc_err ? a->inj_trunc_err : errno);
		close(a->fd);
		a->fd = -1;
		a->need_seal = 1;
		return;
	}
	a->file_len = a->good_len;
	EVP_MD_CTX_copy_ex(a->sha, a->sha_good);
}

/* ---- records ---- */

static void put_key(struct json_buf *b, const char *key)
{
	json_put_raw(b, ",\"", 2);
	json_put_rawz(b, key);
	json_put_raw(b, "\":", 2);
}

static void put_str(struct json_buf *b, const char *key, const char *s, size_t max)
{
	put_key(b, key);
	json_put_string(b, (const uint8_t *)(s ? s : ""), s ? strnlen(s, max) : 0);
}

/* RFC 3339 with nanoseconds; the date and time of day are formatted once
 * per second (gmtime and printf were a fifth of a record's cost). */
static void put_time(struct audit *a, struct json_buf *b, const char *key, uint64_t ns)
{
	uint64_t sec = ns / 1000000000ULL;
	uint32_t frac = (uint32_t)(ns % 1000000000ULL);
	char t[AUDIT_TIME_MAX];

	if (!a->time_valid || sec != a->time_sec) {
		audit_time_format(t, ns);
		memcpy(a->time_prefix, t, TIME_PREFIX);
		a->time_sec = sec;
		a->time_valid = 1;
	}
	memcpy(t + 1, a->time_prefix, TIME_PREFIX);
	t[0] = '"';
	t[TIME_PREFIX + 1] = '.';
	for (int i = 9; i >= 1; i--, frac /= 10)
		t[TIME_PREFIX + 1 + i] = (char)('0' + frac % 10);
	t[TIME_PREFIX + 11] = 'Z';
	t[TIME_PREFIX + 12] = '"';
	put_key(b, key);
	json_put_raw(b, t, TIME_PREFIX + 13);
}

static void put_hex(struct json_buf *b, const char *key, const uint8_t *id, size_t n, int has)
{
	char hex[33];

	if (has)
		span_hex(hex, id, n);
	else
		hex[0] = '\0';
	put_key(b, key);
	json_put_raw(b, "\"", 1);
	json_put_rawz(b, hex);
	json_put_raw(b, "\"", 1);
}

/* Writes one rendered line (newline appended here). */
static void emit(struct audit *a, struct json_buf *b)
{
	int err;

	json_put_raw(b, "\n", 1);
	if (a->fd < 0 || a->losing || b->overflow) {
		lose(a, 1);
		return;
	}
	a->member_records++;
	a->file_records++;
	err = member_put(a, b->data, b->len);
	if (!err && a->member_records >= AUDIT_MEMBER_RECORDS)
		err = member_end(a);
	if (err) {
		fail(a, err);
		return;
	}
	if (a->max_size && a->file_len + a->out_len >= a->max_size)
		rotate(a);
}

void audit_span(struct audit *a, const struct span *s, const char *client_identity,
		const char *server_identity, const char *protocol)
{
	struct json_buf b;

	if (!a)
		return;
	json_buf_init(&b, a->line, LINE_CAP);
	json_put_rawz(&b, "{\"type\":\"span\"");
	put_time(a, &b, "start_time", s->start_unix_ns);
	put_time(a, &b, "end_time", s->end_unix_ns);
	put_key(&b, "duration_ns");
	json_put_u64(&b, s->end_unix_ns > s->start_unix_ns ? s->end_unix_ns - s->start_unix_ns : 0);
	put_hex(&b, "trace_id", s->trace_id, sizeof(s->trace_id), 1);
	put_hex(&b, "span_id", s->span_id, sizeof(s->span_id), 1);
	put_hex(&b, "parent_span_id", s->parent_span_id, sizeof(s->parent_span_id), s->has_parent);
	put_key(&b, "kind");
	json_put_rawz(&b, s->kind == SPAN_KIND_SERVER ? "\"SERVER\"" : "\"CLIENT\"");
	put_str(&b, "service", s->service_name, sizeof(s->service_name));
	put_str(&b, "client", client_identity, IDENT_MAX);
	put_str(&b, "server", server_identity, IDENT_MAX);
	put_str(&b, "protocol", protocol, PROTO_MAX);
	put_str(&b, "operation", s->name, sizeof(s->name));
	put_key(&b, "status");
	json_put_rawz(&b, s->status == SPAN_STATUS_ERROR ? "\"error\"" : "\"unset\"");
	if (s->code[0])
		put_str(&b, "code", s->code, sizeof(s->code));
	json_put_raw(&b, "}", 1);
	emit(a, &b);
}

static void put_identity(struct json_buf *b, const char *key, const struct alert_identity *id,
			 const struct alert_evidence *ev)
{
	const struct {
		const char *key;
		const char *val;
		size_t max;
	} f[] = {
		{ "service", id->service, sizeof(id->service) },
		{ "namespace", id->k8s_namespace, sizeof(id->k8s_namespace) },
		{ "workload", id->k8s_workload, sizeof(id->k8s_workload) },
		{ "exe", id->exe, sizeof(id->exe) },
		{ "address", id->address, sizeof(id->address) },
		{ "container_id", ev->container_id, sizeof(ev->container_id) },
		{ "pod", ev->k8s_pod_name, sizeof(ev->k8s_pod_name) },
	};
	int first = 1;

	put_key(b, key);
	json_put_raw(b, "{", 1);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		size_t n = strnlen(f[i].val, f[i].max);

		if (!n)
			continue;
		json_put_rawz(b, first ? "\"" : ",\"");
		json_put_rawz(b, f[i].key);
		json_put_raw(b, "\":", 2);
		json_put_string(b, (const uint8_t *)f[i].val, n);
		first = 0;
	}
	if (ev->pid) {
		json_put_rawz(b, first ? "\"pid\":" : ",\"pid\":");
		json_put_u64(b, ev->pid);
	}
	json_put_raw(b, "}", 1);
}

void audit_alert(struct audit *a, const struct alert *al)
{
	struct json_buf b;

	if (!a)
		return;
	json_buf_init(&b, a->line, LINE_CAP);
	json_put_rawz(&b, "{\"type\":\"alert\"");
	put_time(a, &b, "time", al->time_unix_ns);
	put_key(&b, "rule");
	json_put_cstr(&b, al->rule < ALERT_RULE_COUNT ? alert_rules[al->rule].name : "unknown");
	put_key(&b, "severity");
	json_put_cstr(&b, alert_severity_name(al->severity));
	put_str(&b, "reason", al->reason, sizeof(al->reason));
	put_key(&b, "count");
	json_put_u64(&b, al->count);
	put_str(&b, "protocol", al->protocol, sizeof(al->protocol));
	put_str(&b, "operation", al->operation, sizeof(al->operation));
	put_key(&b, "port");
	json_put_u64(&b, al->port);
	put_hex(&b, "trace_id", al->trace_id, sizeof(al->trace_id), al->has_trace);
	put_hex(&b, "span_id", al->span_id, sizeof(al->span_id), al->has_trace);
	put_identity(&b, "src", &al->src, &al->src_evidence);
	put_identity(&b, "dst", &al->dst, &al->dst_evidence);
	json_put_raw(&b, "}", 1);
	emit(a, &b);
}

/* ---- files ---- */

static int seq_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* The seqs of DIR's files of one kind, ascending; *out freed by the caller. */
static int list_seqs(struct audit *a, int kind, uint64_t **out, size_t *n)
{
	struct dirent *de;
	size_t cap = 0;
	uint64_t *v = NULL, seq;
	int fd = openat(a->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	*out = NULL;
	*n = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		if (audit_name_parse(de->d_name, &seq) != kind)
			continue;
		if (*n == cap) {
			uint64_t *nv = realloc(v, (cap = cap ? cap * 2 : 32) * sizeof(*v));

			if (!nv) {
				free(v);
				closedir(d);
				return -1;
			}
			v = nv;
		}
		v[(*n)++] = seq;
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), seq_cmp);
	*out = v;
	return 0;
}

static void hex_final(EVP_MD_CTX *ctx, char out[AUDIT_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_DigestFinal_ex(ctx, md, &len) || len != 32)
		memset(md, 0, sizeof(md));
	span_hex(out, md, 32);
}

static int sha_reset(struct audit *a)
{
	return EVP_DigestInit_ex(a->sha, EVP_sha256(), NULL) &&
	       EVP_DigestInit_ex(a->sha_good, EVP_sha256(), NULL) ? 0 : -1;
}

static void new_head(struct audit *a, const char *name, uint64_t seq, const char *hex)
{
	snprintf(a->prev_name, sizeof(a->prev_name), "%s", name);
	snprintf(a->prev_sha, sizeof(a->prev_sha), "%s", hex);
	if (a->on_head)
		a->on_head(a->ctx, name, seq, hex);
}

/*
 * Seals the open file `name` of seq as the writer would have closed it:
 * cut back to its last complete member, fsync, rename, fsync the
 * directory. Returns 1 when sealed, 0 when set aside (no complete header:
 * renamed to *.orphan), -1 on an I/O error.
 */
static int seal(struct audit *a, const char *name, uint64_t seq)
{
	char good[AUDIT_SHA256_HEX], closed[AUDIT_NAME_MAX], orphan[AUDIT_NAME_MAX + 8];
	struct audit_scan s;
	uint8_t *buf;
	ssize_t n = 0;
	int fd;

	fd = openat(a->dfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	buf = malloc(OUT_CAP);
	if (!buf || audit_scan_init(&s) < 0) {
		free(buf);
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, OUT_CAP)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			audit_scan_feed(&s, buf, (size_t)n);
	free(buf);
	audit_scan_finish(&s, NULL, good);
	audit_scan_free(&s);
	if (n < 0)
		goto io_error;
	if (!s.have_header || s.header.seq != seq || s.good_bytes == 0) {
		close(fd);
		snprintf(orphan, sizeof(orphan), "%s.orphan", name);
		if (renameat(a->dfd, name, a->dfd, orphan) < 0)
			return -1;
		fsync(a->dfd);
		return 0;
	}
	if (s.in_bytes > s.good_bytes && ftruncate(fd, (off_t)s.good_bytes) < 0)
		goto io_error;
	if (fsync(fd) < 0)
		goto io_error;
	close(fd);
	audit_name_format(closed, sizeof(closed), seq, 0);
	if (renameat(a->dfd, name, a->dfd, closed) < 0)
		return -1;
	fsync(a->dfd);
	a->st.files_closed++;
	a->has_recovered = 1;
	snprintf(a->recovered_file, sizeof(a->recovered_file), "%s", closed);
	a->recovered_dropped = s.in_bytes - s.good_bytes;
	a->seq = seq + 1;
	new_head(a, closed, seq, good);
	return 1;
io_error:
	close(fd);
	return -1;
}

/* Deletes closed files below first_kept. */
static void retention(struct audit *a, const uint64_t *seqs, size_t n, uint64_t first_kept)
{
	char name[AUDIT_NAME_MAX];
	int deleted = 0;

	for (size_t i = 0; i < n && seqs[i] < first_kept; i++) {
		audit_name_format(name, sizeof(name), seqs[i], 0);
		if (unlinkat(a->dfd, name, 0) == 0) {
			a->st.files_deleted++;
			deleted = 1;
		}
	}
	if (deleted)
		fsync(a->dfd);
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

	if (list_seqs(a, AUDIT_NAME_CLOSED, &seqs, &n) < 0)
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
	sha_reset(a);
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
	err = member_put(a, b.data, b.len);
	if (!err)
		err = member_end(a);
	if (!err && fsync(a->fd) < 0)
		err = errno;
	if (err) {
		/* nothing of it counts: remove it and try again later */
		member_drop(a);
		close(a->fd);
		a->fd = -1;
		unlinkat(a->dfd, a->open_name, 0);
		free(seqs);
		return err;
	}
	fsync(a->dfd);
	a->has_recovered = 0;
	retention(a, seqs, n, first_kept);
	free(seqs);
	return 0;
}

/* Closes the open file as a chain link. Returns 0, or -1 when it could not
 * be renamed (need_seal: recover() seals it). */
static int close_file(struct audit *a)
{
	char hex[AUDIT_SHA256_HEX];
	int err = member_end(a);

	if (err) {
		fail(a, err);
		if (a->fd < 0)
			return -1;
	}
	if (fsync(a->fd) < 0)
		note_error(a, errno);
	close(a->fd);
	a->fd = -1;
	if (renameat(a->dfd, a->open_name, a->dfd, a->closed_name) < 0) {
		note_error(a, errno);
		a->need_seal = 1;
		return -1;
	}
	if (fsync(a->dfd) < 0)
		note_error(a, errno);
	hex_final(a->sha_good, hex);
	a->st.files_closed++;
	new_head(a, a->closed_name, a->seq, hex);
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
	put_time(a, &b, "time", realtime_ns());
	put_time(a, &b, "since", a->lost_since_ns);
	put_key(&b, "records_lost");
	json_put_u64(&b, a->lost_pending);
	put_str(&b, "error", why, sizeof(why));
	json_put_rawz(&b, "}\n");
	err = member_put(a, b.data, b.len);
	if (!err)
		err = member_end(a);
	if (err) {
		fail(a, err);
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
		if (seal(a, a->open_name, a->seq) < 0) {
			note_error(a, errno);
			return;
		}
		a->need_seal = 0;
	}
	if (a->fd < 0 && (err = start_file(a)) != 0) {
		note_error(a, err);
		a->losing = 1;
		return;
	}
	if (write_gap(a) < 0)
		return;
	a->losing = 0;
}

/* Closes the current file and starts the next; postponed while failing. */
static void rotate(struct audit *a)
{
	int err;

	if (a->fd < 0 || a->losing)
		return;
	if (close_file(a) < 0)
		return;
	if ((err = start_file(a)) != 0) {
		note_error(a, err);
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
		if ((err = member_end(a)) != 0) {
			fail(a, err);
			return;
		}
	}
	if ((a->max_size && a->file_len >= a->max_size) ||
	    (a->max_age_ns && a->file_records && now >= a->created_ns &&
	     now - a->created_ns >= a->max_age_ns))
		rotate(a);
}

/* SHA-256 of a closed file's bytes, for the chain at start. */
static int hash_file(struct audit *a, const char *name, char hex[AUDIT_SHA256_HEX])
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
			hex_final(ctx, hex);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	EVP_MD_CTX_free(ctx);
	return n == 0 ? 0 : -1;
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

/* Seals every open file a crash left and finds the chain's head. */
static int resume_dir(struct audit *a, char *err, size_t err_len)
{
	char name[AUDIT_NAME_MAX], orphan[AUDIT_NAME_MAX + 8];
	uint64_t *closed = NULL, *open = NULL, newest = 0;
	size_t nc, no;
	int rc = -1, sealed_head = 0;

	if (list_seqs(a, AUDIT_NAME_CLOSED, &closed, &nc) < 0 ||
	    list_seqs(a, AUDIT_NAME_OPEN, &open, &no) < 0) {
		set_err(err, err_len, "audit: cannot list the directory: %s%s", strerror(errno), "");
		goto out;
	}
	newest = nc ? closed[nc - 1] : 0;
	for (size_t i = 0; i < no; i++) {
		audit_name_format(name, sizeof(name), open[i], 1);
		if (open[i] <= newest) {
			/* cannot be a crash's leftover: keep it out of the chain */
			snprintf(orphan, sizeof(orphan), "%s.orphan", name);
			renameat(a->dfd, name, a->dfd, orphan);
			continue;
		}
		switch (seal(a, name, open[i])) {
		case 1:
			newest = open[i];
			sealed_head = 1;
			break;
		case 0:
			break;
		default:
			set_err(err, err_len, "audit: cannot seal %s: %s", name, strerror(errno));
			goto out;
		}
	}
	a->seq = newest + 1;
	if (newest && !sealed_head) {
		char hex[AUDIT_SHA256_HEX];

		audit_name_format(name, sizeof(name), newest, 0);
		if (hash_file(a, name, hex) < 0) {
			set_err(err, err_len, "audit: cannot read %s: %s", name, strerror(errno));
			goto out;
		}
		new_head(a, name, newest, hex);
	}
	rc = 0;
out:
	free(closed);
	free(open);
	return rc;
}

struct audit *audit_open(const struct audit_config *c, audit_head_fn on_head, void *ctx,
			 char *err, size_t err_len)
{
	struct audit *a;
	int e;

	if (!c || !c->dir || !c->dir[0]) {
		set_err(err, err_len, "audit: no directory%s%s", "", "");
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		set_err(err, err_len, "audit: out of memory%s%s", "", "");
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
	if (!a->out || !a->line || !a->sha || !a->sha_good || sha_reset(a) < 0 ||
	    deflateInit2(&a->zs, Z_LEVEL, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		set_err(err, err_len, "audit: out of memory%s%s", "", "");
		audit_free(a);
		return NULL;
	}
	a->z_ready = 1;
	if (mkdir(c->dir, 0750) < 0 && errno != EEXIST) {
		set_err(err, err_len, "audit: cannot create %s: %s", c->dir, strerror(errno));
		audit_free(a);
		return NULL;
	}
	a->dfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->dfd < 0) {
		set_err(err, err_len, "audit: cannot open %s: %s", c->dir, strerror(errno));
		audit_free(a);
		return NULL;
	}
	if (flock(a->dfd, LOCK_EX | LOCK_NB) < 0) {
		set_err(err, err_len, "audit: %s: %s", c->dir,
			errno == EWOULDBLOCK ? "another zerotrace writes to this directory" :
					       strerror(errno));
		audit_free(a);
		return NULL;
	}
	if (resume_dir(a, err, err_len) < 0) {
		audit_free(a);
		return NULL;
	}
	e = start_file(a);
	if (e == EACCES || e == EPERM || e == EROFS || e == ENOTDIR || e == EEXIST) {
		set_err(err, err_len, "audit: cannot create a file in %s: %s", c->dir, strerror(e));
		audit_free(a);
		return NULL;
	}
	if (e) { /* a full disk: start failing, retry from audit_tick */
		note_error(a, e);
		a->losing = 1;
	}
	return a;
}

void audit_close(struct audit *a)
{
	if (!a)
		return;
	if (a->need_seal) {
		if (seal(a, a->open_name, a->seq) == 1)
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
