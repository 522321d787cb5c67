// SPDX-License-Identifier: MIT
/*
 * The recording file (format in recording.h): a bounded writer for the
 * agent and a checking reader over the bytes of a file for the replay.
 * Each record's bytes are padded to 8, so that every record in a mapped
 * file is aligned for the structs it holds.
 */
#define _GNU_SOURCE /* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "recording.h"

#define REC_ALIGN 8
#define REC_WRITE_BUFFER (1u << 20)

struct recorder {
	FILE *f;
	uint64_t max_size;
	uint64_t size;
	uint64_t records;
	uint64_t not_written;
	uLong crc;                    /* of every byte written */
	int stopped;                  /* at the cap or after a write error */
	int write_errno;
	uint8_t copy[];               /* an event, redacted: REC_RECORD_MAX */
};

static size_t padded(size_t len)
{
	return (len + REC_ALIGN - 1) & ~(size_t)(REC_ALIGN - 1);
}

static int fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- writing ---- */

static int write_all(struct recorder *r, const void *data, size_t len)
{
	static const uint8_t zeros[REC_ALIGN];
	size_t pad = padded(len) - len;

	if (fwrite(data, 1, len, r->f) != len || fwrite(zeros, 1, pad, r->f) != pad) {
		r->write_errno = errno ? errno : EIO;
		return -1;
	}
	r->crc = crc32(r->crc, data, (uInt)len);
	r->crc = crc32(r->crc, zeros, (uInt)pad);
	return 0;
}

struct recorder *recorder_open(const char *path, uint64_t max_size, const struct rec_header *hdr,
			       char *err, size_t err_len)
{
	struct recorder *r = calloc(1, sizeof(*r) + REC_RECORD_MAX);
	char tmp[PATH_MAX];
	int fd = -1;

	if (!r) {
		fail(err, err_len, "%s: %s", path, strerror(ENOMEM));
		return NULL;
	}
	/* a new inode, 0600 from its creation (mkostemp), renamed over any
	 * file of that name: a descriptor or a hard link someone kept to the
	 * old one never sees what is recorded */
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		fail(err, err_len, "%s: %s", path, strerror(ENAMETOOLONG));
		goto fail;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		fail(err, err_len, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		fail(err, err_len, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto fail;
	}
	r->f = fdopen(fd, "w");
	if (!r->f || setvbuf(r->f, NULL, _IOFBF, REC_WRITE_BUFFER) != 0) {
		fail(err, err_len, "%s: %s", path, strerror(errno));
		goto fail;
	}
	r->max_size = max_size;
	r->crc = crc32(0, NULL, 0);
	if (write_all(r, hdr, sizeof(*hdr))) {
		fail(err, err_len, "%s: %s", path, strerror(r->write_errno));
		goto fail;
	}
	r->size = sizeof(*hdr);
	return r;
fail:
	if (r->f)
		fclose(r->f);
	else if (fd >= 0)
		close(fd);
	free(r);
	return NULL;
}

/* One record, unless the cap (less room for REC_END) or an error stopped
 * the file: what follows a missing record could not be replayed as it was. */
static void record_put(struct recorder *r, enum rec_type type, const void *data, size_t len)
{
	struct rec_head h = { .type = type, .len = (uint32_t)len };
	uint64_t need = sizeof(h) + padded(len), end_room = sizeof(h) + sizeof(struct rec_end);

	if (!r->stopped && (len > REC_RECORD_MAX || r->size + need + end_room > r->max_size))
		r->stopped = 1;
	if (r->stopped) {
		r->not_written++;
		return;
	}
	if (write_all(r, &h, sizeof(h)) || write_all(r, data, len)) {
		r->stopped = 1;
		r->not_written++;
		return;
	}
	r->size += need;
	r->records++;
}

void recorder_write(struct recorder *r, enum rec_type type, const void *data, size_t len)
{
	if (r)
		record_put(r, type, data, len);
}

void recorder_event(struct recorder *r, const void *data, size_t len)
{
	if (!r)
		return;
	if (len > REC_RECORD_MAX) {
		record_put(r, REC_EVENT, data, len); /* counted, not written */
		return;
	}
	memcpy(r->copy, data, len);
	recording_redact_event(r->copy, len);
	record_put(r, REC_EVENT, r->copy, len);
}

int recorder_close(struct recorder *r, struct rec_end *end, char *err, size_t err_len)
{
	struct rec_head h = { .type = REC_END, .len = sizeof(*end) };
	int rc = 0;

	*end = (struct rec_end){ .records = r->records, .not_written = r->not_written };
	if (!r->write_errno && write_all(r, &h, sizeof(h)) == 0) {
		/* the CRC covers END's head too: everything before END's body */
		end->crc32 = (uint32_t)r->crc;
		if (write_all(r, end, sizeof(*end)))
			rc = -1;
	}
	if (fclose(r->f) != 0 && !r->write_errno)
		r->write_errno = errno;
	if (r->write_errno)
		rc = fail(err, err_len, "%s", strerror(r->write_errno));
	free(r);
	return rc;
}

/* ---- reading ---- */

int rec_reader_open(struct rec_reader *rd, const uint8_t *buf, size_t len, char *err,
		    size_t err_len)
{
	memset(rd, 0, sizeof(*rd));
	if (!buf || len < sizeof(rd->hdr))
		return fail(err, err_len, "too short for a recording (%zu bytes)", len);
	memcpy(&rd->hdr, buf, sizeof(rd->hdr));
	if (memcmp(rd->hdr.magic, REC_MAGIC, sizeof(rd->hdr.magic)) != 0)
		return fail(err, err_len, "not a zerotrace recording");
	if (rd->hdr.version != REC_VERSION || rd->hdr.event_size != sizeof(struct zt_event) ||
	    rd->hdr.process_size != sizeof(struct procinfo_miss))
		return fail(err, err_len, "recording version %u is not this build's (%u)",
			    rd->hdr.version, REC_VERSION);
	if (rd->hdr.capture_bytes == 0 || rd->hdr.capture_bytes > ZT_CAPTURE_MAX)
		return fail(err, err_len, "corrupt header: capture bytes %u", rd->hdr.capture_bytes);
	rd->hdr.host_name[REC_HOST_MAX - 1] = '\0';
	rd->buf = buf;
	rd->len = len;
	rd->off = sizeof(rd->hdr);
	return 0;
}

/* NULL when the record's length is right for its type, else what is wrong. */
static const char *item_fault(const struct rec_item *it)
{
	struct zt_event e;

	switch (it->type) {
	case REC_EVENT:
		if (it->len < sizeof(e))
			return "an event record without its header";
		memcpy(&e, it->data, sizeof(e));
		return e.cap_len > it->len - sizeof(e) ? "an event record shorter than its payload" :
							 NULL;
	case REC_CLOCK:
		return it->len == sizeof(struct rec_clock) ? NULL : "a clock record of a wrong size";
	case REC_PROCESS:
		return it->len == sizeof(struct procinfo_miss) ? NULL :
								 "a process record of a wrong size";
	case REC_PORTS:
		return it->len % sizeof(uint16_t) == 0 ? NULL : "a ports record of an odd size";
	case REC_END:
		return it->len == sizeof(struct rec_end) ? NULL : "an end record of a wrong size";
	}
	return "an unknown record type";
}

int rec_reader_next(const struct rec_reader *rd, size_t *off, struct rec_item *it,
		    struct rec_end *end, char *err, size_t err_len)
{
	struct rec_head h;
	size_t at = *off;
	const char *fault;

	if (rd->len - at < sizeof(h))
		return fail(err, err_len, "truncated at byte %zu: no end record", at);
	memcpy(&h, rd->buf + at, sizeof(h));
	if (h.len > REC_RECORD_MAX)
		return fail(err, err_len, "corrupt record at byte %zu: %u bytes long", at, h.len);
	if (rd->len - at - sizeof(h) < padded(h.len))
		return fail(err, err_len, "truncated at byte %zu: a record cut short", at);
	*it = (struct rec_item){ .type = (enum rec_type)h.type, .data = rd->buf + at + sizeof(h),
				 .len = h.len, .off = at };
	if ((fault = item_fault(it)))
		return fail(err, err_len, "corrupt at byte %zu: %s", at, fault);
	*off = at + sizeof(h) + padded(h.len);
	if (it->type != REC_END)
		return 1;
	if (*off != rd->len)
		return fail(err, err_len, "corrupt: %zu bytes after the end record", rd->len - *off);
	memcpy(end, it->data, sizeof(*end));
	return 0;
}

int rec_reader_check(const struct rec_reader *rd, struct rec_end *end, char *err, size_t err_len)
{
	struct rec_item it;
	size_t off = rd->off;
	uLong crc;
	int rc;

	while ((rc = rec_reader_next(rd, &off, &it, end, err, err_len)) == 1)
		;
	if (rc < 0)
		return -1;
	crc = crc32(0, NULL, 0);
	for (size_t at = 0, n; at < rd->len - sizeof(*end); at += n) {
		n = rd->len - sizeof(*end) - at;
		n = n > (1u << 30) ? 1u << 30 : n; /* zlib takes uInt lengths */
		crc = crc32(crc, rd->buf + at, (uInt)n);
	}
	if ((uint32_t)crc != end->crc32)
		return fail(err, err_len, "corrupt: checksum mismatch (CRC-32 %08x, the file says %08x)",
			    (unsigned)crc, (unsigned)end->crc32);
	return 0;
}

static void terminate(char *s, size_t cap)
{
	s[cap - 1] = '\0';
}

void rec_item_process(const struct rec_item *it, struct procinfo_miss *out)
{
	struct procinfo *pi = &out->info;

	memcpy(out, it->data, sizeof(*out));
	terminate(out->comm, sizeof(out->comm));
	terminate(pi->comm, sizeof(pi->comm));
	terminate(pi->exe_name, sizeof(pi->exe_name));
	terminate(pi->exe_path, sizeof(pi->exe_path));
	terminate(pi->service_name, sizeof(pi->service_name));
	terminate(pi->container_id, sizeof(pi->container_id));
	terminate(pi->k8s_pod_name, sizeof(pi->k8s_pod_name));
	terminate(pi->k8s_namespace, sizeof(pi->k8s_namespace));
	if (pi->n_attrs > PROCINFO_ATTRS_MAX)
		pi->n_attrs = PROCINFO_ATTRS_MAX;
	for (uint32_t a = 0; a < PROCINFO_ATTRS_MAX; a++) {
		terminate(pi->attrs[a].key, sizeof(pi->attrs[a].key));
		terminate(pi->attrs[a].value, sizeof(pi->attrs[a].value));
	}
}
