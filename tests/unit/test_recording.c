// SPDX-License-Identifier: MIT
/*
 * user/recording.c and recording_redact.c: a recording written to a real
 * file (mode 0600, redacted, bounded) reads back record for record; the
 * redaction of an HTTP request, a Redis AUTH and a frame walk, to the
 * byte; every truncation and the corruptions a reader must refuse (the
 * framing's, and a changed payload byte by the checksum).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recording.h"

#define HTTP_REQ                                                                               \
	"GET /search?q=abc&token=s3cr3t&page=2 HTTP/1.1\r\n"                                   \
	"Host: example.test\r\n"                                                               \
	"authorization: Bearer abc.def\r\n"                                                    \
	"Cookie: session=xyz; theme=dark\r\n"                                                  \
	"\r\n"
#define HTTP_REDACTED                                                                          \
	"GET /search?q=abc&token=******&page=2 HTTP/1.1\r\n"                                   \
	"Host: example.test\r\n"                                                               \
	"authorization: **************\r\n"                                                    \
	"Cookie: ***********************\r\n"                                                  \
	"\r\n"

static char dir[] = "/tmp/zt-recording.XXXXXX";
static char path[sizeof(dir) + 16];

static void dir_make(void)
{
	strcpy(dir, "/tmp/zt-recording.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rec", dir);
}

static void dir_remove(void)
{
	unlink(path);
	rmdir(dir);
}

TestSuite(recording, .init = dir_make, .fini = dir_remove);

static struct rec_header header(void)
{
	struct rec_header h = { .magic = REC_MAGIC, .version = REC_VERSION,
				.event_size = sizeof(struct zt_event),
				.process_size = sizeof(struct procinfo_miss), .capture_bytes = 512,
				.reorder_window_ns = 20000000, .ids_state = { 1, 2, 3, 4 },
				.host_name = "node-a" };
	return h;
}

/* A DATA record carrying text. */
static size_t event_of(uint8_t *buf, const char *text)
{
	struct zt_event e = { .type = ZT_EV_DATA, .pid = 42, .cap_len = (uint32_t)strlen(text),
			      .ts_exit_ns = 1000 };

	memcpy(buf, &e, sizeof(e));
	memcpy(buf + sizeof(e), text, e.cap_len);
	return sizeof(e) + e.cap_len;
}

static uint8_t *file_read(size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(1 << 20);

	cr_assert_not_null(f);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static void write_sample(uint64_t max_size, struct rec_end *end)
{
	struct rec_header h = header();
	struct rec_clock c = { .now_mono_ns = 5000, .mono_to_unix_ns = -7, .tick = 1 };
	struct procinfo_miss m = { .pid = 42, .comm = "curl", .info = { .pid = 42,
									.service_name = "svc" } };
	uint16_t ports[] = { 80, 8080 };
	uint8_t ev[1024];
	char err[256];
	struct recorder *r = recorder_open(path, max_size, &h, err, sizeof(err));

	cr_assert_not_null(r, "%s", err);
	recorder_write(r, REC_CLOCK, &c, sizeof(c));
	recorder_event(r, ev, event_of(ev, HTTP_REQ));
	recorder_write(r, REC_PROCESS, &m, sizeof(m));
	recorder_write(r, REC_PORTS, ports, sizeof(ports));
	cr_assert_eq(recorder_close(r, end, err, sizeof(err)), 0, "%s", err);
}

Test(recording, round_trip_redacted_and_0600)
{
	struct rec_reader rd;
	struct rec_item it;
	struct rec_end end, end_read;
	struct rec_clock c;
	struct procinfo_miss m;
	struct stat st;
	size_t len, off;
	uint8_t *buf;
	char err[256];

	write_sample(1 << 20, &end);
	cr_assert_eq(end.records, 4);
	cr_assert_eq(end.not_written, 0);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	buf = file_read(&len);
	cr_assert_eq(rec_reader_open(&rd, buf, len, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(rd.hdr.host_name, "node-a");
	cr_assert_eq(rd.hdr.ids_state[3], 4);
	off = rd.off;

	cr_assert_eq(rec_reader_next(&rd, &off, &it, &end_read, err, sizeof(err)), 1);
	cr_assert_eq(it.type, REC_CLOCK);
	memcpy(&c, it.data, sizeof(c));
	cr_assert(c.now_mono_ns == 5000 && c.mono_to_unix_ns == -7 && c.tick == 1);

	cr_assert_eq(rec_reader_next(&rd, &off, &it, &end_read, err, sizeof(err)), 1);
	cr_assert_eq(it.type, REC_EVENT);
	cr_assert_eq(it.len, sizeof(struct zt_event) + strlen(HTTP_REQ));
	cr_assert_eq(memcmp(it.data + sizeof(struct zt_event), HTTP_REDACTED, strlen(HTTP_REQ)), 0);
	cr_assert_eq((uintptr_t)it.data % 8, 0, "records are aligned");

	cr_assert_eq(rec_reader_next(&rd, &off, &it, &end_read, err, sizeof(err)), 1);
	cr_assert_eq(it.type, REC_PROCESS);
	rec_item_process(&it, &m);
	cr_assert(m.pid == 42 && strcmp(m.comm, "curl") == 0);
	cr_assert_str_eq(m.info.service_name, "svc");

	cr_assert_eq(rec_reader_next(&rd, &off, &it, &end_read, err, sizeof(err)), 1);
	cr_assert(it.type == REC_PORTS && it.len == 4);

	cr_assert_eq(rec_reader_next(&rd, &off, &it, &end_read, err, sizeof(err)), 0);
	cr_assert(end_read.records == 4 && end_read.not_written == 0);
	cr_assert_eq(off, len);
	free(buf);
}

Test(recording, existing_file_made_0600)
{
	struct rec_end end;
	struct stat st;
	int fd = open(path, O_CREAT | O_WRONLY, 0644);

	cr_assert_geq(fd, 0);
	cr_assert_eq(fchmod(fd, 0644), 0);
	cr_assert_eq(write(fd, "old contents", 12), 12);
	close(fd);
	write_sample(1 << 20, &end);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
}

Test(recording, size_cap_counts_what_is_left_out)
{
	struct rec_reader rd;
	struct rec_item it;
	struct rec_end end, end_read;
	size_t len, off;
	int rc, n = 0;
	uint8_t *buf;
	char err[256];

	/* room for the header, the clock record and END only */
	write_sample(sizeof(struct rec_header) + 8 + sizeof(struct rec_clock) + 8 +
			     sizeof(struct rec_end), &end);
	cr_assert_eq(end.records, 1);
	cr_assert_eq(end.not_written, 3);
	buf = file_read(&len);
	cr_assert_eq(rec_reader_open(&rd, buf, len, err, sizeof(err)), 0);
	off = rd.off;
	while ((rc = rec_reader_next(&rd, &off, &it, &end_read, err, sizeof(err))) == 1)
		n++;
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert_eq(end_read.not_written, 3);
	free(buf);
}

/* Every cut of the file is refused, by the header check or as truncated. */
Test(recording, every_truncation_refused)
{
	struct rec_reader rd;
	struct rec_item it;
	struct rec_end end;
	size_t len, off;
	uint8_t *buf;
	char err[256];

	write_sample(1 << 20, &end);
	buf = file_read(&len);
	for (size_t cut = 0; cut < len; cut++) {
		int rc = -1;

		if (rec_reader_open(&rd, buf, cut, err, sizeof(err)) == 0) {
			off = rd.off;
			while ((rc = rec_reader_next(&rd, &off, &it, &end, err, sizeof(err))) == 1)
				;
			cr_assert(strstr(err, "truncated"), "cut %zu: %s", cut, err);
		}
		cr_assert_eq(rc, -1, "cut at %zu of %zu accepted", cut, len);
	}
	free(buf);
}

static int read_all(uint8_t *buf, size_t len, char *err, size_t err_len)
{
	struct rec_reader rd;
	struct rec_end end;

	if (rec_reader_open(&rd, buf, len, err, err_len))
		return -1;
	return rec_reader_check(&rd, &end, err, err_len);
}

Test(recording, corrupt_files_refused)
{
	const size_t first = sizeof(struct rec_header); /* the clock record's head */
	struct rec_end end;
	size_t len;
	uint8_t *buf, *copy;
	char err[256];
	uint32_t v;

	write_sample(1 << 20, &end);
	buf = file_read(&len);
	copy = malloc(len + 8);
	cr_assert_eq(read_all(buf, len, err, sizeof(err)), 0, "%s", err);

#define CORRUPT(at, value, want)                                                               \
	do {                                                                                   \
		memcpy(copy, buf, len);                                                        \
		v = (value);                                                                   \
		memcpy(copy + (at), &v, sizeof(v));                                            \
		cr_assert_eq(read_all(copy, len, err, sizeof(err)), -1);                       \
		cr_assert(strstr(err, want), "%s", err);                                       \
	} while (0)
	CORRUPT(0, 0x41414141, "not a zerotrace recording");
	CORRUPT(8, REC_VERSION + 1, "version");
	CORRUPT(first, 99, "unknown record type");
	CORRUPT(first + 4, REC_RECORD_MAX + 1, "bytes long");
	CORRUPT(first + 4, 8, "a clock record of a wrong size");
	/* the event's cap_len beyond its record */
	CORRUPT(first + 8 + 24 + 8 + offsetof(struct zt_event, cap_len), 4096, "shorter than");
	/* a payload byte: the framing holds, the checksum does not */
	CORRUPT(first + 8 + 24 + 8 + sizeof(struct zt_event), 0x41414141, "checksum mismatch");
#undef CORRUPT
	/* bytes after the end record */
	memcpy(copy, buf, len);
	memset(copy + len, 0, 8);
	cr_assert_eq(read_all(copy, len + 8, err, sizeof(err)), -1);
	cr_assert(strstr(err, "after the end record"), "%s", err);
	free(copy);
	free(buf);
}

static void redacts_to(const char *in, const char *want)
{
	char buf[512];
	size_t n = strlen(in);

	cr_assert_lt(n, sizeof(buf));
	memcpy(buf, in, n + 1);
	recording_redact((uint8_t *)buf, n);
	cr_assert_str_eq(buf, want);
}

Test(recording_redact, http_request)
{
	redacts_to(HTTP_REQ, HTTP_REDACTED);
	redacts_to("HTTP/1.1 200 OK\r\nSet-Cookie: id=42; HttpOnly\r\nContent-Length: 0\r\n\r\n",
		   "HTTP/1.1 200 OK\r\nSet-Cookie: ***************\r\nContent-Length: 0\r\n\r\n");
	redacts_to("GET http://bob:hunter2@proxy.test/a?api_key=k1&x=y#frag HTTP/1.1\r\n",
		   "GET http://bob:*******@proxy.test/a?api_key=**&x=y#frag HTTP/1.1\r\n");
	redacts_to("Proxy-Authorization: Basic Ym9iOmh1bnRlcjI=",
		   "Proxy-Authorization: **********************");
	/* not a request line, not a header: untouched */
	redacts_to("SELECT * FROM t WHERE token=? AND a=?", "SELECT * FROM t WHERE token=? AND a=?");
	redacts_to("X-Authorization-Hint: none\r\n", "X-Authorization-Hint: none\r\n");
}

Test(recording_redact, redis_auth)
{
	redacts_to("*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n*1\r\n$4\r\nPING\r\n",
		   "*2\r\n$4\r\nAUTH\r\n$6\r\n******\r\n*1\r\n$4\r\nPING\r\n");
	redacts_to("*3\r\n$4\r\nauth\r\n$3\r\nbob\r\n$2\r\npw\r\n",
		   "*3\r\n$4\r\nauth\r\n$3\r\n***\r\n$2\r\n**\r\n");
	/* a length past the record: what is there is hidden */
	redacts_to("*2\r\n$4\r\nAUTH\r\n$60\r\nsecr", "*2\r\n$4\r\nAUTH\r\n$60\r\n****");
	redacts_to("AUTH hunter2\r\nPING\r\n", "AUTH *******\r\nPING\r\n");
}

Test(recording_redact, frame_walk_segments)
{
	struct zt_event e = { .type = ZT_EV_DATA, .flags = ZT_F_SEGS, .nsegs = 2 };
	const char *a = "Cookie: a=b\r\n", *b = "Cookie: c\r\n";
	struct zt_seg s1 = { .len = 13, .cap = 13, .frames = 1 }, s2 = { .off = 13, .len = 11,
									     .cap = 11, .frames = 1 };
	uint8_t rec[512], *p = rec + sizeof(e);

	memcpy(p, &s1, sizeof(s1));
	memcpy(p + sizeof(s1), a, 13);
	memcpy(p + sizeof(s1) + 13, &s2, sizeof(s2));
	memcpy(p + 2 * sizeof(s1) + 13, b, 11);
	e.cap_len = 2 * sizeof(s1) + 24;
	memcpy(rec, &e, sizeof(e));
	cr_assert_eq(recording_redact_event(rec, sizeof(e) + e.cap_len), 4);
	cr_assert_eq(memcmp(p + sizeof(s1), "Cookie: ***\r\n", 13), 0);
	cr_assert_eq(memcmp(p + 2 * sizeof(s1) + 13, "Cookie: *\r\n", 11), 0);
	cr_assert_eq(memcmp(p, &s1, sizeof(s1)), 0, "segment headers untouched");
}

/* A --logs record: the values of secret keys in its line, and its tail
 * but for line ends, in place (the record keeps its length). */
Test(recording_redact, log_line_and_tail)
{
	struct zt_event e = { .type = ZT_EV_LOG, .flags = ZT_F_TRUNCATED, .tail_len = ZT_TAIL_LEN };
	const char *line = "INFO user=bob password=hunter2 rid=3";
	uint8_t rec[512], *p = rec + sizeof(e);
	struct zt_event out;

	memcpy(e.tail, "en=s3cr\n", ZT_TAIL_LEN);
	e.cap_len = (uint32_t)strlen(line);
	e.bytes = 5000;
	memcpy(rec, &e, sizeof(e));
	memcpy(p, line, e.cap_len);
	cr_assert_eq(recording_redact_event(rec, sizeof(e) + e.cap_len), 7 + 7);
	cr_expect_eq(memcmp(p, "INFO user=bob password=******* rid=3", e.cap_len), 0);
	memcpy(&out, rec, sizeof(out));
	cr_expect_eq(memcmp(out.tail, "*******\n", ZT_TAIL_LEN), 0);
	cr_expect_eq(out.cap_len, e.cap_len);
}
