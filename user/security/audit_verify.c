// SPDX-License-Identifier: MIT
/*
 * Verifies the audit trail directory (names and header are in
 * audit_format.c, the per-file check in audit_check.c). Everything here
 * parses bytes an attacker may have written (file names, the files
 * themselves): lengths are bounded, numbers checked for overflow, and
 * nothing is trusted before it is checked.
 *
 * What verification proves, and what it cannot (README has the same text):
 * - Each closed file decompresses completely (zlib checks each member's
 *   CRC-32 and length), every line is whole, the header is well formed and
 *   its seq matches the file's name.
 * - Between two present files with consecutive seqs, the later header holds
 *   the SHA-256 of the earlier file: any change to the earlier file's bytes
 *   is caught, and a removed middle file shows as a gap in seq (and a
 *   prev_file naming a file that is not here). Renamed or reordered files
 *   show as a header seq that differs from the name.
 * - The chain is only as strong as its head. Nothing later vouches for the
 *   newest closed file except the open file's header (while the agent
 *   runs) and --head: without them, a crafted change to the newest file
 *   that keeps gzip valid (or a byte in a gzip member header, which no CRC
 *   covers) and the removal of the newest files go unseen. An attacker who
 *   may write the directory can also rewrite a file and every later header;
 *   only a head kept off the node (--head) proves the files up to it.
 * - The oldest files are deleted by retention, so the chain starts at the
 *   oldest present file; removing more than retention did is caught only
 *   through first_kept_seq in the newest header.
 * - The open file's own records are vouched for by nothing until it closes.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_verify.h"

#define VERIFY_READ 65536

/* ---- the directory ---- */

struct vfile {
	uint64_t seq;
	int kind;
	int io_errno;            /* could not be read: its checks are skipped */
	char name[AUDIT_NAME_MAX];
	char sha[AUDIT_SHA256_HEX];
	struct audit_scan scan;  /* results only (priv freed) */
};

struct vlist {
	struct vfile *v;
	size_t n, cap;
};

static int vlist_add(struct vlist *l, const char *name, uint64_t seq, int kind)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct vfile *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	l->v[l->n].seq = seq;
	l->v[l->n].kind = kind;
	/* a parsed name is canonical: shorter than AUDIT_NAME_MAX */
	memcpy(l->v[l->n].name, name, strnlen(name, AUDIT_NAME_MAX - 1));
	l->n++;
	return 0;
}

static int vfile_cmp(const void *a, const void *b)
{
	const struct vfile *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void scan_file(int dfd, struct vfile *f, uint8_t *buf, size_t buf_len)
{
	int fd = openat(dfd, f->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0) {
		f->io_errno = errno;
		return;
	}
	if (audit_scan_init(&f->scan) < 0) {
		f->io_errno = ENOMEM;
		close(fd);
		return;
	}
	for (;;) {
		n = read(fd, buf, buf_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		audit_scan_feed(&f->scan, buf, (size_t)n);
	}
	if (n < 0)
		f->io_errno = errno;
	close(fd);
	audit_scan_finish(&f->scan, f->sha, NULL);
	audit_scan_free(&f->scan);
}

struct verdict {
	FILE *out;
	unsigned problems;
	unsigned io_errors;
};

static void problem(struct verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct verdict *v, const char *fmt, ...)
{
	va_list ap;

	v->problems++;
	fputs("BROKEN ", v->out);
	va_start(ap, fmt);
	vfprintf(v->out, fmt, ap);
	va_end(ap);
	fputc('\n', v->out);
}

/* The checks of one file on its own (not the links between files). */
static int check_own(struct verdict *v, const struct vfile *f, int open)
{
	unsigned before = v->problems;
	const struct audit_scan *s = &f->scan;

	if (f->io_errno) {
		fprintf(v->out, "ERROR  %s: cannot read: %s\n", f->name, strerror(f->io_errno));
		v->io_errors++;
		return -1;
	}
	if (s->error)
		problem(v, "%s: %s (seen at compressed byte %" PRIu64 "): content changed or "
			"corrupted",
			f->name, s->why, s->error_at);
	else if (s->partial && !open)
		problem(v, "%s: truncated: its last gzip member has no trailer (cut short, "
			"or an open file renamed)", f->name);
	if (!s->have_header) {
		if (!s->error && !open)
			problem(v, "%s: no header line", f->name);
	} else if (s->header.seq != f->seq) {
		problem(v, "%s: its header says seq %" PRIu64 ": renamed or reordered", f->name,
			s->header.seq);
	}
	return v->problems == before ? 0 : -1;
}

static void name_of(char *out, uint64_t seq)
{
	if (!audit_name_format(out, AUDIT_NAME_MAX, seq, 0))
		snprintf(out, AUDIT_NAME_MAX, "seq %" PRIu64, seq);
}

static void report_missing(struct verdict *v, uint64_t from, uint64_t to, const char *why)
{
	char a[AUDIT_NAME_MAX], b[AUDIT_NAME_MAX];

	name_of(a, from);
	name_of(b, to);
	if (from == to)
		problem(v, "%s is missing: %s", a, why);
	else
		problem(v, "%s .. %s (%" PRIu64 " files) are missing: %s", a, b, to - from + 1, why);
}

struct verify_ctx {
	struct verdict v;
	struct vlist closed, opened;
	const struct vfile *newest;  /* the newest closed file */
	const struct vfile *claimer; /* the newest header: the open file's, else newest's */
	const struct vfile *vouch;   /* the open file, when its header vouches for newest */
	uint64_t spans, alerts, lost;
};

/* Lists dir's audit files into c->closed and c->opened, by seq. */
static int list_dir(struct verify_ctx *c, int dfd, const char *dir)
{
	struct dirent *de;
	DIR *d = fdopendir(dup(dfd));

	if (!d) {
		fprintf(c->v.out, "audit verify: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	fprintf(c->v.out, "audit verify %s\n", dir);
	while ((de = readdir(d))) {
		uint64_t seq;
		int kind = audit_name_parse(de->d_name, &seq);

		if (kind == AUDIT_NAME_NONE) {
			if (strncmp(de->d_name, "audit-", 6) == 0)
				fprintf(c->v.out, "note   %s: not an audit file name, ignored\n",
					de->d_name);
			continue;
		}
		if (vlist_add(kind == AUDIT_NAME_CLOSED ? &c->closed : &c->opened, de->d_name, seq,
			      kind) < 0) {
			fprintf(c->v.out, "audit verify: out of memory\n");
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (c->closed.n > 1)
		qsort(c->closed.v, c->closed.n, sizeof(c->closed.v[0]), vfile_cmp);
	if (c->opened.n > 1)
		qsort(c->opened.v, c->opened.n, sizeof(c->opened.v[0]), vfile_cmp);
	fprintf(c->v.out, "files  %zu closed, %zu open\n", c->closed.n, c->opened.n);
	return 0;
}

static void note_recovered(FILE *out, const struct audit_header *h)
{
	if (h->has_recovered)
		fprintf(out, "note   %s was sealed from disk after a crash or a write error: "
			"%" PRIu64 " bytes of its torn end were dropped (never vouched for)\n",
			h->recovered_file, h->recovered_dropped_bytes);
}

/* Each closed file, and the link from the file before it. */
static void check_closed(struct verify_ctx *c)
{
	FILE *out = c->v.out;

	for (size_t i = 0; i < c->closed.n; i++) {
		const struct vfile *f = &c->closed.v[i], *p = i ? &c->closed.v[i - 1] : NULL;
		int own = check_own(&c->v, f, 0);

		if (p && f->seq != p->seq + 1) {
			report_missing(&c->v, p->seq + 1, f->seq - 1, "removed (a gap in the sequence)");
		} else if (p && !p->io_errno && f->scan.have_header &&
			   strcmp(f->scan.header.prev_sha256, p->sha) != 0) {
			problem(&c->v, "%s changed: its SHA-256 is %s but %s records %s (the earlier "
				"file's bytes, or the later file's header, were altered)",
				p->name, p->sha, f->name, f->scan.header.prev_sha256);
		}
		if (!p && f->scan.have_header && f->seq > 1)
			fprintf(out, "note   the chain starts at %s: older files are gone (retention "
				"deletes the oldest); this first file is vouched for by the next one\n",
				f->name);
		if (f->scan.have_header)
			note_recovered(out, &f->scan.header);
		if (f->scan.gap_records_lost)
			fprintf(out, "note   %s: %" PRIu64 " records were lost while writing failed "
				"(audit_gap lines)\n", f->name, f->scan.gap_records_lost);
		c->spans += f->scan.spans;
		c->alerts += f->scan.alerts;
		c->lost += f->scan.gap_records_lost;
		if (own == 0)
			fprintf(out, "ok     %s  %" PRIu64 " spans  %" PRIu64 " alerts  sha256 %s\n",
				f->name, f->scan.spans, f->scan.alerts, f->sha);
	}
	c->newest = c->closed.n ? &c->closed.v[c->closed.n - 1] : NULL;
	c->claimer = c->newest;
}

/* The open file (the agent's current one) follows the newest closed file
 * and its header vouches for it. */
static void check_open(struct verify_ctx *c)
{
	const struct vfile *newest = c->newest;

	for (size_t i = 0; i < c->opened.n; i++) {
		const struct vfile *o = &c->opened.v[i];
		uint64_t expect = newest ? newest->seq + 1 : 1;

		if (check_own(&c->v, o, 1) < 0 && o->io_errno)
			continue;
		if (o->seq < expect) {
			problem(&c->v, "%s: an open file older than the newest closed file", o->name);
			continue;
		}
		if (o->seq > expect) {
			report_missing(&c->v, expect, o->seq - 1, "removed (the open file follows them)");
			continue;
		}
		if (o->scan.have_header && newest && !newest->io_errno) {
			if (strcmp(o->scan.header.prev_sha256, newest->sha) != 0)
				problem(&c->v, "%s changed: its SHA-256 is %s but the open file %s "
					"records %s", newest->name, newest->sha, o->name,
					o->scan.header.prev_sha256);
			else
				c->vouch = o;
		}
		if (o->scan.have_header) {
			c->claimer = o;
			note_recovered(c->v.out, &o->scan.header);
		}
		c->lost += o->scan.gap_records_lost;
		fprintf(c->v.out, "open   %s: being written (%" PRIu64 " spans, %" PRIu64 " alerts "
			"so far); its records are vouched for by nothing until it is closed\n",
			o->name, o->scan.spans, o->scan.alerts);
	}
}

/* Retention only deletes below the newest header's first_kept_seq. */
static void check_retention(struct verify_ctx *c)
{
	const struct vfile *cl = c->claimer;
	uint64_t k, oldest;

	if (!cl || !cl->scan.have_header || !cl->scan.header.first_kept_seq)
		return;
	k = cl->scan.header.first_kept_seq;
	oldest = c->closed.n ? c->closed.v[0].seq : cl->seq;
	if (k < oldest && k < cl->seq)
		report_missing(&c->v, k, (oldest < cl->seq ? oldest : cl->seq) - 1,
			       "removed, though the newest header says retention kept them");
}

static void check_head(struct verify_ctx *c, const char *head)
{
	const struct vfile *h = NULL, *newest = c->newest;
	FILE *out = c->v.out;

	if (!head[0]) {
		if (newest && c->vouch)
			fprintf(out, "note   the open file's header vouches for the newest closed file "
				"%s; pass --head to prove the chain against a rewrite\n", newest->name);
		else if (newest)
			fprintf(out, "note   nothing vouches for the newest closed file %s: a crafted "
				"change to it, or the removal of the newest files, is only caught with "
				"--head\n", newest->name);
		return;
	}
	for (size_t i = 0; i < c->closed.n; i++)
		if (!c->closed.v[i].io_errno && strcmp(c->closed.v[i].sha, head) == 0)
			h = &c->closed.v[i];
	if (!h) {
		problem(&c->v, "no file here has the head's SHA-256 %s: the file the head names "
			"(the newest closed file when the head was sent) was removed or changed%s%s",
			head, newest ? "; the newest closed file here is " : "",
			newest ? newest->name : "");
		return;
	}
	fprintf(out, "head   %s (seq %" PRIu64 ") is the file the head names: with the chain "
		"intact, it and every file back to %s are as written\n",
		h->name, h->seq, c->closed.v[0].name);
	if (h != newest)
		fprintf(out, "note   %zu later closed file(s) chain from it; only a later head "
			"proves them\n", (size_t)(newest - h));
}

int audit_verify_dir(const char *dir, const char *head_hex, FILE *out)
{
	struct verify_ctx c = { .v = { out, 0, 0 } };
	char head[AUDIT_SHA256_HEX] = "";
	uint8_t *buf = NULL;
	int dfd, ret;

	if (head_hex) {
		size_t n = strlen(head_hex);

		for (size_t i = 0; i < n && n == 64; i++)
			if (!isxdigit((unsigned char)head_hex[i]))
				n = 0;
		if (n != 64) {
			fprintf(out, "audit verify: --head takes the 64 hex digits of a SHA-256\n");
			return 2;
		}
		for (size_t i = 0; i < 64; i++)
			head[i] = (char)tolower((unsigned char)head_hex[i]);
		head[64] = '\0';
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fprintf(out, "audit verify: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	if (list_dir(&c, dfd, dir) < 0) {
		ret = 2;
		goto out;
	}
	if (!c.closed.n && !c.opened.n) {
		problem(&c.v, "no audit files (audit-<seq>.jsonl.gz) in %s", dir);
		goto done;
	}
	buf = malloc(VERIFY_READ);
	if (!buf) {
		fprintf(out, "audit verify: out of memory\n");
		c.v.io_errors++;
		goto done;
	}
	for (size_t i = 0; i < c.closed.n; i++)
		scan_file(dfd, &c.closed.v[i], buf, VERIFY_READ);
	for (size_t i = 0; i < c.opened.n; i++)
		scan_file(dfd, &c.opened.v[i], buf, VERIFY_READ);
	check_closed(&c);
	check_open(&c);
	check_retention(&c);
	check_head(&c, head);
done:
	if (c.v.io_errors) {
		fprintf(out, "ERROR  %u file(s) could not be read: the chain is not verified\n",
			c.v.io_errors);
		ret = 2;
	} else if (c.v.problems) {
		fprintf(out, "BROKEN the audit chain is broken: %u problem(s)\n", c.v.problems);
		ret = 1;
	} else {
		fprintf(out, "OK     the audit chain holds: %s .. %s, %" PRIu64 " spans, %" PRIu64
			" alerts, %" PRIu64 " records lost while writing\n",
			c.closed.n ? c.closed.v[0].name : "(none closed)",
			c.closed.n ? c.closed.v[c.closed.n - 1].name : "(none closed)",
			c.spans, c.alerts, c.lost);
		ret = 0;
	}
out:
	free(buf);
	free(c.closed.v);
	free(c.opened.v);
	close(dfd);
	return ret;
}
