// SPDX-License-Identifier: MIT
/*
 * The baseline on disk: `<state-dir>/baseline.v1`, UTF-8 text, one record
 * per line, fields separated by one TAB:
 *
 *   zerotrace-baseline	1
 *   learn	<created unix ns>	<learn-until unix ns>
 *   edge	<id hex>	<learned|candidate>	<client>	<server>	<protocol>	<port>
 *   	<first-seen ns>	<seconds>	<rate mean>	<rate var>	<calls>	<errors>
 *   	<error mean>	<latency mean ms>	<latency var>	<stacked 0|1>
 *   op	<edge id hex>	<learned|candidate>	<first-seen ns>	<operation>
 *   listener	<learned|candidate>	<server>	<port>	<first-seen ns>
 *   end	<records>	<crc32 hex of every byte before this line>
 *
 * (an edge is one line; it is wrapped here). <client> and <server> are
 * identity keys ("svc=users ns= wl= exe=python3", "addr=10.0.0.9") and
 * <operation> is percent-encoded like their values. An op names its edge
 * by id, so edges come first. A file without its `end` line (cut short),
 * with a wrong count or checksum, an unknown record, or another first line
 * is not trusted: baseline_load sets it aside and learning starts again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "baseline.h"
#include "identity.h"

#define BF_MAGIC "zerotrace-baseline\t1\n"
#define BF_LINE_MAX 4096
#define BF_FIELDS_MAX 20

struct bf_out {
	char *buf;
	size_t len, cap;
	int oom;
};

static void bf_printf(struct bf_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bf_printf(struct bf_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->oom = 1;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		char *nb = realloc(o->buf, o->cap * 2 + (size_t)n);

		if (!nb) {
			o->oom = 1;
			return;
		}
		o->buf = nb;
		o->cap = o->cap * 2 + (size_t)n;
	}
}

static const char *bf_state(uint8_t s)
{
	return s == BASELINE_CANDIDATE ? "candidate" : "learned";
}

/* The operation, encoded as identity values are (no TAB, no newline);
 * "-" alone stands for "", so an operation "-" is written "%2D". */
static void bf_encode(char *out, size_t cap, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (!strcmp(s, "-")) {
		snprintf(out, cap, "%%2D");
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p && o + 4 < cap; p++) {
		if (*p > ' ' && *p < 0x7f && *p != '%') {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
}

char *baseline_serialize(const struct baseline *b, size_t *len)
{
	struct bf_out o = { .cap = 65536 };
	char ck[IDENTITY_KEY_MAX], sk[IDENTITY_KEY_MAX], op[3 * ALERT_OPERATION_MAX + 1];
	uint64_t records = 0;

	o.buf = malloc(o.cap);
	if (!o.buf)
		return NULL;
	bf_printf(&o, BF_MAGIC);
	bf_printf(&o, "learn\t%" PRIu64 "\t%" PRIu64 "\n", b->created_ns, b->learn_until_ns);
	for (uint64_t i = 0; i < b->stats.edges; i++) {
		const struct baseline_edge *e = &b->edges[i];
		const struct baseline_rates *r = &e->rates;

		identity_key(&e->client, ck, sizeof(ck));
		identity_key(&e->server, sk, sizeof(sk));
		bf_printf(&o,
			  "edge\t%016" PRIx64 "\t%s\t%s\t%s\t%s\t%u\t%" PRIu64 "\t%" PRIu64
			  "\t%.17g\t%.17g\t%" PRIu64 "\t%" PRIu64 "\t%.17g\t%.17g\t%.17g\t%u\n",
			  e->id, bf_state(e->state), ck, sk, e->protocol[0] ? e->protocol : "-",
			  e->port, e->first_seen_ns, r->seconds, r->rate_mean, r->rate_var, r->calls,
			  r->errors, r->err_mean, r->lat_mean, r->lat_var, r->stacked);
		records++;
	}
	for (uint64_t i = 0; i < b->stats.ops; i++) {
		const struct baseline_op *p = &b->ops[i];

		bf_encode(op, sizeof(op), p->operation);
		bf_printf(&o, "op\t%016" PRIx64 "\t%s\t%" PRIu64 "\t%s\n", b->edges[p->edge].id,
			  bf_state(p->state), p->first_seen_ns, op[0] ? op : "-");
		records++;
	}
	for (uint64_t i = 0; i < b->stats.listeners; i++) {
		const struct baseline_listener *l = &b->listeners[i];

		identity_key(&l->server, sk, sizeof(sk));
		bf_printf(&o, "listener\t%s\t%s\t%u\t%" PRIu64 "\n", bf_state(l->state), sk, l->port,
			  l->first_seen_ns);
		records++;
	}
	if (!o.oom) {
		uLong crc = crc32(0L, (const Bytef *)o.buf, (uInt)o.len);

		bf_printf(&o, "end\t%" PRIu64 "\t%08lx\n", records, crc);
	}
	if (o.oom) {
		free(o.buf);
		return NULL;
	}
	*len = o.len;
	return o.buf;
}

/* Splits a line at TABs; returns the field count, or -1 past max. */
static int bf_split(char *line, char **f, int max)
{
	int n = 0;

	for (char *p = line;; ) {
		if (n == max)
			return -1;
		f[n++] = p;
		p = strchr(p, '\t');
		if (!p)
			return n;
		*p++ = '\0';
	}
}

static int bf_u64(const char *s, int base, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, base);
	return errno || *end ? -1 : 0;
}

static int bf_double(const char *s, double *out)
{
	char *end;

	if (!*s)
		return -1;
	*out = strtod(s, &end);
	return *end || !isfinite(*out) || *out < 0 ? -1 : 0;
}

static int bf_state_of(const char *s, uint8_t *st)
{
	if (!strcmp(s, "learned"))
		*st = BASELINE_LEARNED;
	else if (!strcmp(s, "candidate"))
		*st = BASELINE_CANDIDATE;
	else
		return -1;
	return 0;
}

static int bf_port(const char *s, uint16_t *port)
{
	uint64_t v;

	if (bf_u64(s, 10, &v) || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int bf_decode(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	if (!strcmp(s, "-")) {
		out[0] = '\0';
		return 0;
	}
	for (const char *p = s; *p; p++) {
		int c = (unsigned char)*p;

		if (c == '%') {
			unsigned v;

			if (sscanf(p + 1, "%2x", &v) != 1 || !p[1] || !p[2] || !v)
				return -1;
			c = (int)v;
			p += 2;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static struct baseline_edge *bf_edge_by_id(struct baseline *b, uint64_t id)
{
	for (uint64_t i = 0; i < b->stats.edges; i++)
		if (b->edges[i].id == id)
			return &b->edges[i];
	return NULL;
}

static int bf_record(struct baseline *b, char **f, int n, const char **why)
{
	struct alert_identity c, s;
	char op[ALERT_OPERATION_MAX];
	uint64_t id, first;
	uint16_t port;
	uint8_t st;

	if (!strcmp(f[0], "learn")) {
		*why = "bad learn record";
		return n == 3 && !bf_u64(f[1], 10, &b->created_ns) &&
		       !bf_u64(f[2], 10, &b->learn_until_ns) ? 0 : -1;
	}
	if (!strcmp(f[0], "edge")) {
		struct baseline_edge *e;
		struct baseline_rates r = { 0 };
		uint64_t stacked;

		*why = "bad edge record";
		if (n != 17 || bf_u64(f[1], 16, &id) || bf_state_of(f[2], &st) ||
		    identity_from_key(f[3], strlen(f[3]), &c) ||
		    identity_from_key(f[4], strlen(f[4]), &s) || strlen(f[5]) >= ALERT_PROTOCOL_MAX ||
		    bf_port(f[6], &port) || bf_u64(f[7], 10, &first) || bf_u64(f[8], 10, &r.seconds) ||
		    bf_double(f[9], &r.rate_mean) || bf_double(f[10], &r.rate_var) ||
		    bf_u64(f[11], 10, &r.calls) || bf_u64(f[12], 10, &r.errors) ||
		    bf_double(f[13], &r.err_mean) || bf_double(f[14], &r.lat_mean) ||
		    bf_double(f[15], &r.lat_var) || bf_u64(f[16], 10, &stacked) || stacked > 1)
			return -1;
		e = baseline_edge_get(b, &c, &s, strcmp(f[5], "-") ? f[5] : "", port, 1, st, first);
		if (!e || e->id != id) {
			*why = e ? "edge id does not match its key" : "more edges than the table holds";
			return -1;
		}
		r.stacked = (uint8_t)stacked;
		e->state = st;
		e->rates = r;
		return 0;
	}
	if (!strcmp(f[0], "op")) {
		struct baseline_edge *e;

		*why = "bad op record";
		if (n != 5 || bf_u64(f[1], 16, &id) || bf_state_of(f[2], &st) ||
		    bf_u64(f[3], 10, &first) || bf_decode(f[4], op, sizeof(op)))
			return -1;
		e = bf_edge_by_id(b, id);
		if (!e) {
			*why = "op of an edge not in the file";
			return -1;
		}
		if (!baseline_op_get(b, (uint32_t)(e - b->edges), op, 1, st, first)) {
			*why = "more operations than the table holds";
			return -1;
		}
		return 0;
	}
	if (!strcmp(f[0], "listener")) {
		*why = "bad listener record";
		if (n != 5 || bf_state_of(f[1], &st) || identity_from_key(f[2], strlen(f[2]), &s) ||
		    bf_port(f[3], &port) || bf_u64(f[4], 10, &first))
			return -1;
		if (!baseline_listener_get(b, &s, port, 1, st, first)) {
			*why = "more listeners than the table holds";
			return -1;
		}
		return 0;
	}
	*why = "unknown record";
	return -1;
}

int baseline_parse(struct baseline *b, const char *text, size_t len, char *err, size_t err_len)
{
	char line[BF_LINE_MAX], *f[BF_FIELDS_MAX];
	uint64_t records = 0, lineno = 1;
	size_t at = 0;
	const char *why = "";
	int n;

	baseline_clear(b);
	b->created_ns = b->learn_until_ns = 0;
	if (len < sizeof(BF_MAGIC) - 1 || memcmp(text, BF_MAGIC, sizeof(BF_MAGIC) - 1) != 0) {
		snprintf(err, err_len, "line 1: not a zerotrace baseline of version 1");
		return -1;
	}
	at = sizeof(BF_MAGIC) - 1;
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n_line = nl ? (size_t)(nl - (text + at)) : len - at;

		lineno++;
		if (!nl || n_line >= sizeof(line) || memchr(text + at, '\0', n_line)) {
			why = !nl ? "cut short (no end record)" : "a line too long or with a NUL";
			goto bad;
		}
		memcpy(line, text + at, n_line);
		line[n_line] = '\0';
		n = bf_split(line, f, BF_FIELDS_MAX);
		if (n < 1) {
			why = "too many fields";
			goto bad;
		}
		if (!strcmp(f[0], "end")) {
			uint64_t count, crc;

			if (n != 3 || bf_u64(f[1], 10, &count) || bf_u64(f[2], 16, &crc)) {
				why = "bad end record";
				goto bad;
			}
			if (count != records) {
				why = "record count does not match";
				goto bad;
			}
			if (crc != crc32(0L, (const Bytef *)text, (uInt)at)) {
				why = "checksum does not match";
				goto bad;
			}
			if (at + n_line + 1 != len) {
				why = "bytes after the end record";
				goto bad;
			}
			if (!b->learn_until_ns) {
				why = "no learn record";
				goto bad;
			}
			b->changes = 0;
			return 0;
		}
		if (bf_record(b, f, n, &why))
			goto bad;
		if (strcmp(f[0], "learn"))
			records++;
		at += n_line + 1;
	}
	why = "cut short (no end record)";
bad:
	snprintf(err, err_len, "line %" PRIu64 ": %s", lineno, why);
	baseline_clear(b);
	b->created_ns = b->learn_until_ns = 0;
	return -1;
}

static int bf_fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd, rc;

	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int baseline_save(const struct baseline *b, const char *path, char *err, size_t err_len)
{
	char tmp[PATH_MAX];
	size_t len, off = 0;
	char *text = baseline_serialize(b, &len);
	int fd, saved;

	if (!text) {
		snprintf(err, err_len, "serialise %s: %s", path, strerror(ENOMEM));
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		saved = errno;
		goto fail;
	}
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			saved = w < 0 ? errno : EIO;
			close(fd);
			unlink(tmp);
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) || close(fd)) {
		saved = errno;
		unlink(tmp);
		goto fail;
	}
	if (rename(tmp, path)) {
		saved = errno;
		unlink(tmp);
		goto fail;
	}
	free(text);
	bf_fsync_dir(path);
	return 0;
fail:
	free(text);
	snprintf(err, err_len, "write %s: %s", tmp, strerror(saved));
	return -1;
}

int baseline_read(struct baseline *b, const char *path, char *err, size_t err_len)
{
	struct stat st;
	char *text;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, err_len, "open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > (64 << 20)) {
		snprintf(err, err_len, "not a regular file of at most 64 MiB");
		close(fd);
		return -2;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		close(fd);
		snprintf(err, err_len, "read: %s", strerror(ENOMEM));
		return -1;
	}
	n = read(fd, text, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size)
		snprintf(err, err_len, "read: %s", n < 0 ? strerror(errno) : "short read");
	rc = n == st.st_size ? baseline_parse(b, text, (size_t)n, err, err_len) : -1;
	free(text);
	return rc ? -2 : 0;
}

int baseline_load(struct baseline *b, const char *path, char *err, size_t err_len)
{
	char why[160], aside[PATH_MAX];
	int rc = baseline_read(b, path, why, sizeof(why));

	if (rc >= 0)
		return rc;
	if (rc == -1) {
		snprintf(err, err_len, "%s: %s", path, why);
		return -1;
	}
	snprintf(aside, sizeof(aside), "%s.bad-%lld", path, (long long)time(NULL));
	if (rename(path, aside))
		snprintf(err, err_len, "%s: %s; could not set it aside (%s): not trusted", path, why,
			 strerror(errno));
	else
		snprintf(err, err_len, "%s: %s; set aside as %s, not trusted", path, why, aside);
	return -1;
}
