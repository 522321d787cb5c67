// SPDX-License-Identifier: MIT
/*
 * The audit directory: listing its files, sealing an open file a crash
 * (or a failed rename) left, finding the chain's head at start, and
 * deleting closed files past retention (audit.c has the overview).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "audit_internal.h"
#include "audit_verify.h"

/* ---- files ---- */

static int seq_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* The seqs of DIR's files of one kind, ascending; *out freed by the caller. */
int audit__list_seqs(struct audit *a, int kind, uint64_t **out, size_t *n)
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

void audit__new_head(struct audit *a, const char *name, uint64_t seq, const char *hex)
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
int audit__seal(struct audit *a, const char *name, uint64_t seq)
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
	audit__new_head(a, closed, seq, good);
	return 1;
io_error:
	close(fd);
	return -1;
}

/* Deletes closed files below first_kept. */
void audit__retention(struct audit *a, const uint64_t *seqs, size_t n, uint64_t first_kept)
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

/* Seals every open file a crash left and finds the chain's head. */
int audit__resume_dir(struct audit *a, char *err, size_t err_len)
{
	char name[AUDIT_NAME_MAX], orphan[AUDIT_NAME_MAX + 8];
	uint64_t *closed = NULL, *open = NULL, newest = 0;
	size_t nc, no;
	int rc = -1, sealed_head = 0;

	if (audit__list_seqs(a, AUDIT_NAME_CLOSED, &closed, &nc) < 0 ||
	    audit__list_seqs(a, AUDIT_NAME_OPEN, &open, &no) < 0) {
		audit__set_err(err, err_len, "audit: cannot list the directory: %s%s", strerror(errno), "");
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
		switch (audit__seal(a, name, open[i])) {
		case 1:
			newest = open[i];
			sealed_head = 1;
			break;
		case 0:
			break;
		default:
			audit__set_err(err, err_len, "audit: cannot seal %s: %s", name, strerror(errno));
			goto out;
		}
	}
	a->seq = newest + 1;
	if (newest && !sealed_head) {
		char hex[AUDIT_SHA256_HEX];

		audit_name_format(name, sizeof(name), newest, 0);
		if (audit__hash_file(a, name, hex) < 0) {
			audit__set_err(err, err_len, "audit: cannot read %s: %s", name, strerror(errno));
			goto out;
		}
		audit__new_head(a, name, newest, hex);
	}
	rc = 0;
out:
	free(closed);
	free(open);
	return rc;
}
