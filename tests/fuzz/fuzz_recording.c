// SPDX-License-Identifier: MIT
/*
 * Fuzzes the recording reader (user/recording.c) on the whole input as a
 * file, and the payload redaction on every event it yields and on the raw
 * input. The input sits in an exact-size heap buffer, so ASan sees any read
 * past the file's end.
 *
 * Checks: the reader only moves forward and stays inside the file; every
 * item lies inside it and has its type's size; it ends in an error or at
 * REC_END exactly at the file's end (and the checksum check fails where the
 * walk does); a process record comes out with
 * NUL-terminated strings; redaction keeps the length and only ever writes
 * '*', and a second pass changes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "recording.h"

static void check_terminated(const char *s, size_t cap)
{
	CHECK(memchr(s, '\0', cap));
}

static void check_redaction(const uint8_t *in, size_t len, int as_event)
{
	uint8_t *once = malloc(len ? len : 1), *twice = malloc(len ? len : 1);
	size_t n, changed = 0;

	CHECK(once && twice);
	memcpy(once, in, len);
	n = as_event ? recording_redact_event(once, len) : recording_redact(once, len);
	for (size_t i = 0; i < len; i++) {
		if (once[i] != in[i]) {
			CHECK(once[i] == '*');
			changed++;
		}
	}
	CHECK(changed <= n);
	memcpy(twice, once, len);
	if (as_event)
		recording_redact_event(twice, len);
	else
		recording_redact(twice, len);
	CHECK(memcmp(twice, once, len) == 0);
	free(twice);
	free(once);
}

static void check_item(const struct rec_reader *rd, const struct rec_item *it)
{
	struct procinfo_miss m;

	CHECK(it->data >= rd->buf && it->data + it->len <= rd->buf + rd->len);
	switch (it->type) {
	case REC_EVENT:
		CHECK(it->len >= sizeof(struct zt_event));
		check_redaction(it->data, it->len, 1);
		break;
	case REC_CLOCK:
		CHECK(it->len == sizeof(struct rec_clock));
		break;
	case REC_PROCESS:
		CHECK(it->len == sizeof(m));
		rec_item_process(it, &m);
		check_terminated(m.comm, sizeof(m.comm));
		check_terminated(m.info.service_name, sizeof(m.info.service_name));
		check_terminated(m.info.exe_path, sizeof(m.info.exe_path));
		CHECK(m.info.n_attrs <= PROCINFO_ATTRS_MAX);
		for (uint32_t a = 0; a < m.info.n_attrs; a++)
			check_terminated(m.info.attrs[a].value, sizeof(m.info.attrs[a].value));
		break;
	case REC_PORTS:
		CHECK(it->len % 2 == 0);
		break;
	default:
		CHECK(0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *file = malloc(size ? size : 1);
	struct rec_reader rd;
	struct rec_item it;
	struct rec_end end;
	char err[256];
	size_t off, prev;
	int rc;

	CHECK(file);
	memcpy(file, data, size);
	check_redaction(file, size, 0);
	if (rec_reader_open(&rd, file, size, err, sizeof(err)) == 0) {
		CHECK(rd.off <= size);
		CHECK(memchr(rd.hdr.host_name, '\0', sizeof(rd.hdr.host_name)));
		off = rd.off;
		for (;;) {
			prev = off;
			rc = rec_reader_next(&rd, &off, &it, &end, err, sizeof(err));
			if (rc != 1)
				break;
			CHECK(off > prev && off <= size);
			check_item(&rd, &it);
		}
		CHECK(rc == -1 ? strlen(err) > 0 : off == size);
		/* the whole-file check fails wherever the walk does */
		CHECK(rc == 0 || rec_reader_check(&rd, &end, err, sizeof(err)) == -1);
	}
	free(file);
	return 0;
}
