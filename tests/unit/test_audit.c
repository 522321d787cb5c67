// SPDX-License-Identifier: MIT
/*
 * exporters/audit.c and user/security/audit_verify.c: the writer against a
 * real directory (a mkdtemp dir under /tmp, removed after each test), read
 * back with zlib's own gz* reader, and the verifier against every tamper
 * the chain must catch: a changed byte, a removed file, swapped names, the
 * newest file removed (--head), oldest files removed past retention. Write
 * failures are injected through audit_test_inject; a crash is
 * audit_test_crash (the open file left as the process left it).
 */
#define _GNU_SOURCE /* open_memstream */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "audit.h"
#include "audit_verify.h"

#define SEC 1000000000ULL

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/zt-audit-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[512];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

TestSuite(audit, .init = make_dir, .fini = remove_dir);

/* ---- fixtures ---- */

struct heads {
	int n;
	char name[AUDIT_NAME_MAX];
	uint64_t seq;
	char hex[AUDIT_SHA256_HEX];
};

static void on_head(void *ctx, const char *name, uint64_t seq, const char *hex)
{
	struct heads *h = ctx;

	h->n++;
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->seq = seq;
	snprintf(h->hex, sizeof(h->hex), "%s", hex);
}

static struct audit *open_audit(uint64_t max_size, uint32_t keep, struct heads *h)
{
	struct audit_config c = { dir, max_size, 0, keep, "node-1" };
	char err[256] = "";
	struct audit *a = audit_open(&c, on_head, h, err, sizeof(err));

	cr_assert_not_null(a, "audit_open: %s", err);
	return a;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static void fill_span(struct span *s, uint32_t i)
{
	memset(s, 0, sizeof(*s));
	for (int k = 0; k < 16; k++)
		s->trace_id[k] = (uint8_t)(i * 7 + k);
	for (int k = 0; k < 8; k++) {
		s->span_id[k] = (uint8_t)(i * 13 + k);
		s->parent_span_id[k] = (uint8_t)(0xa0 + k);
	}
	s->has_parent = i % 2;
	s->kind = i % 3 ? SPAN_KIND_SERVER : SPAN_KIND_CLIENT;
	s->status = i % 5 ? SPAN_STATUS_UNSET : SPAN_STATUS_ERROR;
	s->start_unix_ns = 1700000000ULL * SEC + (uint64_t)i * 1000;
	s->end_unix_ns = s->start_unix_ns + 2500;
	snprintf(s->name, sizeof(s->name), "GET /items/%u", i);
	snprintf(s->service_name, sizeof(s->service_name), "shop");
	snprintf(s->code, sizeof(s->code), "%s", i % 5 ? "200" : "500");
}

static void write_spans(struct audit *a, uint32_t from, uint32_t n)
{
	struct span s;

	for (uint32_t i = from; i < from + n; i++) {
		fill_span(&s, i);
		audit_span(a, &s, "web/prod/frontend", "shop/prod/api", "http");
	}
}

/* Writes enough spans through small files to close several of them. */
static void write_files(struct audit *a, int files)
{
	struct audit_stats st;
	uint32_t i = 0;

	do {
		write_spans(a, i, 16);
		i += 16;
		audit_get_stats(a, &st);
	} while (st.files_closed < (uint64_t)files);
}

static int verify(const char *head, char **report)
{
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	cr_assert_not_null(f);
	rc = audit_verify_dir(dir, head, f);
	fclose(f);
	if (report)
		*report = buf;
	else
		free(buf);
	return rc;
}

#define EXPECT_VERIFY(head, want, needle)                                         \
	do {                                                                      \
		char *rep_;                                                       \
		int rc_ = verify((head), &rep_);                                  \
		cr_expect_eq(rc_, (want), "verify returned %d:\n%s", rc_, rep_);  \
		if ((needle) != NULL)                                             \
			cr_expect_not_null(strstr(rep_, (needle) ? (needle) : ""), \
					   "no \"%s\" in:\n%s", (needle), rep_);  \
		free(rep_);                                                       \
	} while (0)

static void path_of(char *out, size_t n, uint64_t seq, int open)
{
	char name[AUDIT_NAME_MAX];

	audit_name_format(name, sizeof(name), seq, open);
	snprintf(out, n, "%s/%s", dir, name);
}

static int count_files(int kind)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t seq;
	int n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)))
		n += audit_name_parse(de->d_name, &seq) == kind;
	closedir(d);
	return n;
}

static uint64_t oldest_closed(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t seq, min = UINT64_MAX;

	cr_assert_not_null(d);
	while ((de = readdir(d)))
		if (audit_name_parse(de->d_name, &seq) == AUDIT_NAME_CLOSED && seq < min)
			min = seq;
	closedir(d);
	return min;
}

static void flip_byte(uint64_t seq, long off_from_start, long off_from_end)
{
	char path[512];
	unsigned char c;
	FILE *f;

	path_of(path, sizeof(path), seq, 0);
	f = fopen(path, "r+b");
	cr_assert_not_null(f, "%s", path);
	if (off_from_end)
		fseek(f, -off_from_end, SEEK_END);
	else
		fseek(f, off_from_start, SEEK_SET);
	cr_assert_eq(fread(&c, 1, 1, f), 1);
	fseek(f, -1, SEEK_CUR);
	c ^= 0x01;
	fwrite(&c, 1, 1, f);
	fclose(f);
}

static long file_size(uint64_t seq, int open)
{
	char path[512];
	struct stat st;

	path_of(path, sizeof(path), seq, open);
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return (long)st.st_size;
}

static void keep_line(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	cr_assert_lt(n, cap, "a line longer than the test keeps");
	memcpy(dst, src, n + 1);
}

/* Every line of every closed file in seq order, read with zlib's gz* reader. */
struct readback {
	uint64_t files, headers, spans, alerts, gaps, gap_lost;
	char first_span[4096];
	char first_alert[8192];
	char last_header[1024];
};

static void read_back(struct readback *r)
{
	static char line[70000];
	uint64_t seq;

	memset(r, 0, sizeof(*r));
	for (seq = 1; seq < 100000; seq++) {
		char path[512];
		gzFile g;
		int first = 1;

		path_of(path, sizeof(path), seq, 0);
		if (access(path, F_OK) != 0)
			continue;
		g = gzopen(path, "rb");
		cr_assert_not_null(g);
		r->files++;
		while (gzgets(g, line, sizeof(line))) {
			size_t n = strlen(line);

			cr_assert(n > 0 && line[n - 1] == '\n', "a line without its newline in %s", path);
			line[n - 1] = '\0';
			if (first) {
				struct audit_header h;
				char why[96];

				cr_assert_eq(audit_header_parse(line, n - 1, &h, why, sizeof(why)), 0,
					     "%s: %s", path, why);
				cr_expect_eq(h.seq, seq);
				r->headers++;
				keep_line(r->last_header, sizeof(r->last_header), line);
				first = 0;
			} else if (strncmp(line, "{\"type\":\"span\"", 14) == 0) {
				if (!r->spans++)
					keep_line(r->first_span, sizeof(r->first_span), line);
			} else if (strncmp(line, "{\"type\":\"alert\"", 15) == 0) {
				if (!r->alerts++)
					keep_line(r->first_alert, sizeof(r->first_alert), line);
			} else if (strncmp(line, "{\"type\":\"audit_gap\"", 19) == 0) {
				char *p = strstr(line, "\"records_lost\":");

				r->gaps++;
				cr_assert_not_null(p);
				r->gap_lost += strtoull(p + 15, NULL, 10);
			} else {
				cr_assert_fail("unexpected line: %s", line);
			}
		}
		cr_expect(gzeof(g), "%s did not read to its end", path);
		gzclose(g);
	}
}

/* ---- names and headers ---- */

Test(audit, names_are_canonical)
{
	char name[AUDIT_NAME_MAX];
	uint64_t seq = 0;

	cr_expect_eq(audit_name_format(name, sizeof(name), 42, 0), 23);
	cr_expect_str_eq(name, "audit-00000042.jsonl.gz");
	audit_name_format(name, sizeof(name), 123456789, 1);
	cr_expect_str_eq(name, "audit-123456789.jsonl.gz.open");
	cr_expect_eq(audit_name_format(name, sizeof(name), 0, 0), 0);
	cr_expect_eq(audit_name_format(name, 10, 1, 0), 0);

	cr_expect_eq(audit_name_parse("audit-00000042.jsonl.gz", &seq), AUDIT_NAME_CLOSED);
	cr_expect_eq(seq, 42);
	cr_expect_eq(audit_name_parse("audit-123456789.jsonl.gz.open", &seq), AUDIT_NAME_OPEN);
	cr_expect_eq(seq, 123456789);
	cr_expect_eq(audit_name_parse("audit-18446744073709551615.jsonl.gz", &seq),
		     AUDIT_NAME_CLOSED);
	cr_expect_eq(seq, UINT64_MAX);
	/* not canonical, not ours, or out of range */
	cr_expect_eq(audit_name_parse("audit-0000042.jsonl.gz", &seq), AUDIT_NAME_NONE);
	cr_expect_eq(audit_name_parse("audit-000000042.jsonl.gz", &seq), AUDIT_NAME_NONE);
	cr_expect_eq(audit_name_parse("audit-00000000.jsonl.gz", &seq), AUDIT_NAME_NONE);
	cr_expect_eq(audit_name_parse("audit-18446744073709551616.jsonl.gz", &seq),
		     AUDIT_NAME_NONE);
	cr_expect_eq(audit_name_parse("audit-00000042.jsonl.gz.open.orphan", &seq),
		     AUDIT_NAME_NONE);
	cr_expect_eq(audit_name_parse("audit-00000042.jsonl", &seq), AUDIT_NAME_NONE);
	cr_expect_eq(audit_name_parse("audit-+0000042.jsonl.gz", &seq), AUDIT_NAME_NONE);
	cr_expect_eq(audit_name_parse("x-00000042.jsonl.gz", &seq), AUDIT_NAME_NONE);
}

Test(audit, time_is_rfc3339_with_nanoseconds)
{
	char t[AUDIT_TIME_MAX];

	audit_time_format(t, 1700000000ULL * SEC + 5);
	cr_expect_str_eq(t, "2023-11-14T22:13:20.000000005Z");
	audit_time_format(t, 0);
	cr_expect_str_eq(t, "1970-01-01T00:00:00.000000000Z");
}

Test(audit, header_round_trips_and_refuses_what_it_must)
{
	static const char zero[] =
		"0000000000000000000000000000000000000000000000000000000000000000";
	struct audit_header h = { 0 }, g;
	char store[2048], why[96];
	struct json_buf b;

	h.version = 1;
	h.seq = 7;
	h.first_kept_seq = 3;
	snprintf(h.prev_file, sizeof(h.prev_file), "audit-00000006.jsonl.gz");
	memset(h.prev_sha256, 'a', 64);
	snprintf(h.host, sizeof(h.host), "nöde \"1\"\n");
	snprintf(h.created, sizeof(h.created), "2025-01-02T03:04:05.000000000Z");
	snprintf(h.agent, sizeof(h.agent), "zerotrace 0.1.0");
	h.has_recovered = 1;
	snprintf(h.recovered_file, sizeof(h.recovered_file), "audit-00000006.jsonl.gz");
	h.recovered_dropped_bytes = 99;
	json_buf_init(&b, store, sizeof(store));
	audit_header_format(&b, &h);
	cr_assert_eq(b.overflow, 0);
	cr_assert_eq(audit_header_parse(b.data, b.len, &g, why, sizeof(why)), 0, "%s: %s", why,
		     b.data);
	cr_expect_eq(g.version, 1);
	cr_expect_eq(g.seq, 7);
	cr_expect_eq(g.first_kept_seq, 3);
	cr_expect_str_eq(g.prev_file, h.prev_file);
	cr_expect_str_eq(g.prev_sha256, h.prev_sha256);
	cr_expect_str_eq(g.host, h.host);
	cr_expect_str_eq(g.created, h.created);
	cr_expect_str_eq(g.agent, h.agent);
	cr_expect_eq(g.has_recovered, 1);
	cr_expect_str_eq(g.recovered_file, h.recovered_file);
	cr_expect_eq(g.recovered_dropped_bytes, 99);

#define REFUSE(text, reason)                                                        \
	do {                                                                        \
		cr_expect_eq(audit_header_parse(text, strlen(text), &g, why, sizeof(why)), \
			     -1, "accepted %s", text);                              \
		cr_expect_str_eq(why, reason);                                      \
	} while (0)
#define HDR(seq, prev, sha) "{\"type\":\"audit_header\",\"version\":1,\"seq\":" seq \
	",\"prev_file\":\"" prev "\",\"prev_sha256\":\"" sha "\",\"host\":\"h\",\"created\":\"t\""

	{
		char ok[512];

		snprintf(ok, sizeof(ok), HDR("1", "", "%s") ",\"future\":[1]}", zero);
		cr_expect_eq(audit_header_parse(ok, strlen(ok), &g, why, sizeof(why)), -1);
		cr_expect_str_eq(why, "nested value");
		snprintf(ok, sizeof(ok), HDR("1", "", "%s") ",\"future\":true}", zero);
		cr_expect_eq(audit_header_parse(ok, strlen(ok), &g, why, sizeof(why)), 0, "%s", why);
		snprintf(ok, sizeof(ok), HDR("1", "", "%s") ",\"seq\":1}", zero);
		cr_expect_eq(audit_header_parse(ok, strlen(ok), &g, why, sizeof(why)), -1);
		cr_expect_str_eq(why, "duplicate key in header");
		snprintf(ok, sizeof(ok), HDR("2", "", "%s") "}", zero);
		cr_expect_eq(audit_header_parse(ok, strlen(ok), &g, why, sizeof(why)), -1);
		cr_expect_str_eq(why, "prev_file is not the file before seq");
		snprintf(ok, sizeof(ok), HDR("1", "audit-00000001.jsonl.gz", "%s") "}", zero);
		cr_expect_eq(audit_header_parse(ok, strlen(ok), &g, why, sizeof(why)), -1);
		cr_expect_str_eq(why, "seq 1 names a previous file");
		snprintf(ok, sizeof(ok), HDR("01", "", "%s") "}", zero);
		cr_expect_eq(audit_header_parse(ok, strlen(ok), &g, why, sizeof(why)), -1);
		cr_expect_str_eq(why, "leading zero in a number");
		snprintf(ok, sizeof(ok), HDR("1", "", "%s") "} x", zero);
		cr_expect_eq(audit_header_parse(ok, strlen(ok), &g, why, sizeof(why)), -1);
		cr_expect_str_eq(why, "bytes after the object");
	}
	REFUSE(HDR("1", "", "ABCDEF") "}", "prev_sha256 is not 64 lowercase hex digits");
	REFUSE("{\"type\":\"span\"}", "first line is not an audit_header");
	REFUSE("{\"type\":\"audit_header\"}", "header lacks a required field");
	REFUSE("{\"type\":\"audit_header\",\"version\":2}", "unsupported format version");
	REFUSE("[]", "not a JSON object");
	REFUSE("{\"type\":\"audit_\\ud800header\"}", "lone high surrogate");
#undef REFUSE
#undef HDR
}

/* ---- writing, rotation, reading back ---- */

Test(audit, size_rotation_makes_several_chained_files)
{
	struct heads h = { 0 };
	struct audit_stats st;
	struct audit *a = open_audit(16384, 0, &h);

	write_files(a, 4);
	audit_get_stats(a, &st);
	cr_expect_eq(h.n, 4, "one head per rotation");
	cr_expect_eq(h.seq, 4);
	cr_expect_str_eq(h.name, "audit-00000004.jsonl.gz");
	cr_expect_eq(count_files(AUDIT_NAME_OPEN), 1);
	cr_expect_eq(count_files(AUDIT_NAME_CLOSED), 4);
	for (uint64_t seq = 1; seq <= 4; seq++) {
		long sz = file_size(seq, 0);

		/* rotation is checked as members finish: a file passes max_size by at
		 * most one member (512 records, a few KiB compressed) */
		cr_expect_geq(sz, 16384, "file %lu: %ld bytes", (unsigned long)seq, sz);
		cr_expect_lt(sz, 16384 + 32768, "file %lu: %ld bytes", (unsigned long)seq, sz);
	}
	EXPECT_VERIFY(NULL, 0, "the open file's header vouches for the newest closed file");
	EXPECT_VERIFY(h.hex, 0, "head   audit-00000004.jsonl.gz");
	audit_close(a);
	cr_expect_eq(h.n, 5);
	cr_expect_eq(count_files(AUDIT_NAME_OPEN), 0);
	EXPECT_VERIFY(h.hex, 0, "OK     the audit chain holds: audit-00000001.jsonl.gz .. "
		      "audit-00000005.jsonl.gz");
}

Test(audit, every_record_reads_back_with_zlib)
{
	struct heads h = { 0 };
	struct audit_stats st;
	struct alert al;
	struct readback r;
	struct audit *a = open_audit(8192, 0, &h);

	write_spans(a, 0, 3000);
	memset(&al, 0, sizeof(al));
	al.time_unix_ns = 1700000001ULL * SEC + 42;
	al.rule = ALERT_NEW_EDGE;
	al.severity = ALERT_SEV_MEDIUM;
	al.has_trace = 1;
	for (int k = 0; k < 16; k++)
		al.trace_id[k] = (uint8_t)k;
	for (int k = 0; k < 8; k++)
		al.span_id[k] = (uint8_t)(0xf0 + k);
	al.port = 5432;
	al.count = 3;
	snprintf(al.reason, sizeof(al.reason), "web called \"db\" for the first time");
	snprintf(al.protocol, sizeof(al.protocol), "postgresql");
	snprintf(al.operation, sizeof(al.operation), "SELECT users");
	snprintf(al.src.service, sizeof(al.src.service), "web");
	snprintf(al.src.k8s_namespace, sizeof(al.src.k8s_namespace), "prod");
	al.src_evidence.pid = 41;
	snprintf(al.dst.address, sizeof(al.dst.address), "10.0.0.9");
	for (int i = 0; i < 7; i++)
		audit_alert(a, &al);
	audit_close(a);
	audit_get_stats(NULL, &st);
	cr_expect_eq(st.records, 0);

	read_back(&r);
	cr_expect_gt(r.files, 3);
	cr_expect_eq(r.headers, r.files);
	cr_expect_eq(r.spans, 3000);
	cr_expect_eq(r.alerts, 7);
	cr_expect_eq(r.gaps, 0);
	cr_expect_str_eq(r.first_span,
		"{\"type\":\"span\",\"start_time\":\"2023-11-14T22:13:20.000000000Z\","
		"\"end_time\":\"2023-11-14T22:13:20.000002500Z\",\"duration_ns\":2500,"
		"\"trace_id\":\"000102030405060708090a0b0c0d0e0f\",\"span_id\":\"0001020304050607\","
		"\"parent_span_id\":\"\",\"kind\":\"CLIENT\",\"service\":\"shop\","
		"\"client\":\"web/prod/frontend\",\"server\":\"shop/prod/api\",\"protocol\":\"http\","
		"\"operation\":\"GET /items/0\",\"status\":\"error\",\"code\":\"500\"}");
	cr_expect_str_eq(r.first_alert,
		"{\"type\":\"alert\",\"time\":\"2023-11-14T22:13:21.000000042Z\",\"rule\":\"new_edge\","
		"\"severity\":\"medium\",\"reason\":\"web called \\\"db\\\" for the first time\","
		"\"count\":3,\"protocol\":\"postgresql\",\"operation\":\"SELECT users\",\"port\":5432,"
		"\"trace_id\":\"000102030405060708090a0b0c0d0e0f\",\"span_id\":\"f0f1f2f3f4f5f6f7\","
		"\"src\":{\"service\":\"web\",\"namespace\":\"prod\",\"pid\":41},"
		"\"dst\":{\"address\":\"10.0.0.9\"}}");
	cr_expect_not_null(strstr(r.last_header, "\"host\":\"node-1\""));
	EXPECT_VERIFY(h.hex, 0, "3000 spans, 7 alerts, 0 records lost");
}

Test(audit, a_member_is_finished_a_second_after_it_started)
{
	struct heads h = { 0 };
	struct readback r;
	struct audit_stats st;
	struct audit *a = open_audit(0, 0, &h);
	uint64_t t = now_ns();
	long before, after;

	audit_tick(a, t); /* a member's age is counted from the tick before it */
	write_spans(a, 0, 10);
	audit_get_stats(a, &st);
	cr_expect_eq(st.records, 0, "still in the deflate stream");
	before = file_size(1, 1);
	audit_tick(a, t + SEC / 2);
	cr_expect_eq(file_size(1, 1), before, "not yet a second old");
	audit_tick(a, t + 2 * SEC);
	after = file_size(1, 1);
	cr_expect_gt(after, before);
	audit_get_stats(a, &st);
	cr_expect_eq(st.records, 10);
	/* what is on disk now is complete: a copy reads back without the writer */
	audit_test_crash(a);
	a = open_audit(0, 0, &h);
	audit_close(a);
	read_back(&r);
	cr_expect_eq(r.spans, 10);
	EXPECT_VERIFY(NULL, 0, NULL);
}

Test(audit, age_rotation_needs_a_record)
{
	struct heads h = { 0 };
	struct audit_config c = { dir, 0, 60 * SEC, 0, "node-1" };
	char err[256];
	struct audit *a = audit_open(&c, on_head, &h, err, sizeof(err));
	uint64_t t = now_ns();

	cr_assert_not_null(a, "%s", err);
	audit_tick(a, t + 120 * SEC);
	cr_expect_eq(h.n, 0, "an empty file is not rotated");
	write_spans(a, 0, 1);
	audit_tick(a, t + 30 * SEC);
	cr_expect_eq(h.n, 0, "not old enough");
	audit_tick(a, t + 120 * SEC);
	cr_expect_eq(h.n, 1);
	cr_expect_eq(h.seq, 1);
	cr_expect_eq(count_files(AUDIT_NAME_OPEN), 1);
	audit_close(a);
	EXPECT_VERIFY(h.hex, 0, NULL);
}

/* ---- tampering ---- */

static void four_closed_files(struct heads *h)
{
	struct audit *a = open_audit(8192, 0, h);

	write_files(a, 3);
	audit_close(a);
	cr_assert_eq(h->seq, 4);
	EXPECT_VERIFY(h->hex, 0, NULL);
}

Test(audit, one_changed_byte_in_a_middle_file_breaks_the_chain)
{
	struct heads h = { 0 };

	four_closed_files(&h);
	flip_byte(2, file_size(2, 0) / 2, 0);
	EXPECT_VERIFY(NULL, 1, "BROKEN audit-00000002.jsonl.gz changed: its SHA-256 is");
	EXPECT_VERIFY(h.hex, 1, "audit-00000002.jsonl.gz");
}

Test(audit, a_changed_byte_no_crc_covers_is_caught_by_the_hash)
{
	struct heads h = { 0 };
	char *rep;

	four_closed_files(&h);
	flip_byte(2, 4, 0); /* MTIME of the first gzip member header: inflate does not mind */
	cr_expect_eq(verify(NULL, &rep), 1);
	cr_expect_null(strstr(rep, "content changed or corrupted"), "%s", rep);
	cr_expect_not_null(strstr(rep, "BROKEN audit-00000002.jsonl.gz changed"), "%s", rep);
	free(rep);
}

Test(audit, a_changed_byte_in_the_newest_file)
{
	struct heads h = { 0 };

	four_closed_files(&h);
	/* its trailer's CRC-32: zlib catches it without any later file */
	flip_byte(4, 0, 6);
	EXPECT_VERIFY(NULL, 1, "BROKEN audit-00000004.jsonl.gz: not a valid gzip stream: "
		      "incorrect data check");
}

Test(audit, a_changed_gzip_header_byte_in_the_newest_file_needs_the_head)
{
	struct heads h = { 0 };

	four_closed_files(&h);
	flip_byte(4, 4, 0);
	/* what the chain cannot see without a head: stated in the report */
	EXPECT_VERIFY(NULL, 0, "nothing vouches for the newest closed file audit-00000004.jsonl.gz");
	EXPECT_VERIFY(h.hex, 1, "no file here has the head's SHA-256");
}

Test(audit, a_removed_middle_file_is_a_gap)
{
	struct heads h = { 0 };
	char path[512];

	four_closed_files(&h);
	path_of(path, sizeof(path), 2, 0);
	cr_assert_eq(unlink(path), 0);
	EXPECT_VERIFY(NULL, 1, "BROKEN audit-00000002.jsonl.gz is missing: removed");
}

Test(audit, swapped_names_are_reordering)
{
	struct heads h = { 0 };
	char p2[512], p3[512], tmp[600];

	four_closed_files(&h);
	path_of(p2, sizeof(p2), 2, 0);
	path_of(p3, sizeof(p3), 3, 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", p2);
	cr_assert_eq(rename(p2, tmp), 0);
	cr_assert_eq(rename(p3, p2), 0);
	cr_assert_eq(rename(tmp, p3), 0);
	EXPECT_VERIFY(NULL, 1, "BROKEN audit-00000002.jsonl.gz: its header says seq 3: renamed "
		      "or reordered");
	EXPECT_VERIFY(NULL, 1, "BROKEN audit-00000003.jsonl.gz: its header says seq 2");
}

Test(audit, the_newest_file_removed_is_caught_only_with_the_head)
{
	struct heads h = { 0 };
	char path[512];

	four_closed_files(&h);
	path_of(path, sizeof(path), 4, 0);
	cr_assert_eq(unlink(path), 0);
	EXPECT_VERIFY(NULL, 0, "is only caught with --head");
	EXPECT_VERIFY(h.hex, 1, "BROKEN no file here has the head's SHA-256");
}

Test(audit, an_old_head_proves_the_files_up_to_it)
{
	struct heads h = { 0 };
	char old[AUDIT_SHA256_HEX], upper[AUDIT_SHA256_HEX];
	struct audit *a = open_audit(8192, 0, &h);

	write_files(a, 2);
	snprintf(old, sizeof(old), "%s", h.hex);
	write_files(a, 4);
	audit_close(a);
	EXPECT_VERIFY(old, 0, "head   audit-00000002.jsonl.gz (seq 2) is the file the head names");
	EXPECT_VERIFY(old, 0, "later closed file(s) chain from it");
	for (int i = 0; i < 64; i++)
		upper[i] = (char)(old[i] >= 'a' ? old[i] - 32 : old[i]);
	upper[64] = '\0';
	EXPECT_VERIFY(upper, 0, NULL);
	EXPECT_VERIFY("abc", 2, "--head takes the 64 hex digits of a SHA-256");
}

Test(audit, usage_and_empty_directories)
{
	FILE *null = fopen("/dev/null", "w");

	EXPECT_VERIFY(NULL, 1, "no audit files");
	cr_assert_not_null(null);
	cr_expect_eq(audit_verify_dir("/nonexistent/zt-audit", NULL, null), 2);
	fclose(null);
}

/* ---- retention, restart, crash ---- */

Test(audit, retention_keeps_exactly_keep_closed_files)
{
	struct heads h = { 0 };
	struct audit_stats st;
	struct audit *a = open_audit(8192, 3, &h);
	char path[512];

	write_files(a, 7);
	audit_get_stats(a, &st);
	cr_expect_eq(count_files(AUDIT_NAME_CLOSED), 3);
	cr_expect_eq(count_files(AUDIT_NAME_OPEN), 1);
	cr_expect_eq(st.files_deleted, 4);
	cr_expect_eq(oldest_closed(), 5);
	EXPECT_VERIFY(h.hex, 0, "the chain starts at audit-00000005.jsonl.gz");
	audit_close(a);
	/* a stopped agent leaves keep+1 until the next start */
	cr_expect_eq(count_files(AUDIT_NAME_CLOSED), 4);
	EXPECT_VERIFY(h.hex, 0, NULL);
	a = open_audit(8192, 3, &h);
	cr_expect_eq(count_files(AUDIT_NAME_CLOSED), 3);
	EXPECT_VERIFY(h.hex, 0, NULL);
	/* removing more than retention did is caught by first_kept_seq */
	path_of(path, sizeof(path), oldest_closed(), 0);
	cr_assert_eq(unlink(path), 0);
	EXPECT_VERIFY(NULL, 1, "BROKEN audit-00000006.jsonl.gz is missing: removed, though the "
		      "newest header says retention kept them");
	audit_close(a);
}

Test(audit, restart_continues_the_sequence_and_the_chain)
{
	struct heads h = { 0 };
	struct audit *a = open_audit(8192, 0, &h);
	char first_head[AUDIT_SHA256_HEX];
	struct readback r;

	write_files(a, 2);
	audit_close(a);
	cr_expect_eq(h.seq, 3);
	snprintf(first_head, sizeof(first_head), "%s", h.hex);

	h.n = 0;
	a = open_audit(8192, 0, &h);
	cr_expect_eq(h.n, 1, "the head found at start is sent again");
	cr_expect_eq(h.seq, 3);
	cr_expect_str_eq(h.hex, first_head);
	write_spans(a, 0, 10);
	audit_close(a);
	cr_expect_eq(h.seq, 4);
	read_back(&r);
	cr_expect_not_null(strstr(r.last_header, first_head), "%s", r.last_header);
	cr_expect_not_null(strstr(r.last_header, "\"prev_file\":\"audit-00000003.jsonl.gz\""));
	EXPECT_VERIFY(h.hex, 0, "audit-00000001.jsonl.gz .. audit-00000004.jsonl.gz");
}

Test(audit, a_crash_leaves_an_open_file_that_the_next_start_seals)
{
	struct heads h = { 0 };
	struct audit *a = open_audit(0, 0, &h);
	struct readback r;
	char path[512];
	uint64_t t = now_ns();
	long torn;
	FILE *f;

	write_spans(a, 0, 100);
	audit_tick(a, t + 2 * SEC); /* these 100 are on disk */
	write_spans(a, 100, 50);     /* these are in memory when the process dies */
	audit_test_crash(a);
	cr_expect_eq(count_files(AUDIT_NAME_OPEN), 1);
	EXPECT_VERIFY(NULL, 0, "open   audit-00000001.jsonl.gz.open: being written (100 spans");

	/* and a torn write: half of a gzip member */
	path_of(path, sizeof(path), 1, 1);
	f = fopen(path, "ab");
	cr_assert_not_null(f);
	fwrite("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x4b\x4c\x4a", 1, 13, f);
	fclose(f);
	torn = file_size(1, 1);

	a = open_audit(0, 0, &h);
	cr_expect_eq(h.n, 1);
	cr_expect_str_eq(h.name, "audit-00000001.jsonl.gz");
	cr_expect_eq(file_size(1, 0), torn - 13);
	audit_close(a);
	read_back(&r);
	cr_expect_eq(r.spans, 100);
	cr_expect_not_null(strstr(r.last_header, "\"recovered_file\":\"audit-00000001.jsonl.gz\","
				  "\"recovered_dropped_bytes\":13"), "%s", r.last_header);
	EXPECT_VERIFY(h.hex, 0, "note   audit-00000001.jsonl.gz was sealed from disk after a crash or a write "
		      "error: 13 bytes");
}

Test(audit, an_open_file_without_a_header_is_set_aside)
{
	struct heads h = { 0 };
	struct audit *a = open_audit(8192, 0, &h);
	char path[512], orphan[600];
	struct stat st;

	write_files(a, 1);
	audit_test_crash(a);
	path_of(path, sizeof(path), 2, 1);
	cr_assert_eq(truncate(path, 5), 0); /* died while writing the header */
	a = open_audit(8192, 0, &h);
	snprintf(orphan, sizeof(orphan), "%s.orphan", path);
	cr_expect_eq(stat(orphan, &st), 0, "set aside, not deleted");
	cr_expect_eq(count_files(AUDIT_NAME_OPEN), 1);
	audit_close(a);
	cr_expect_eq(h.seq, 2, "its seq is reused");
	EXPECT_VERIFY(h.hex, 0, NULL);
}

Test(audit, one_writer_per_directory)
{
	struct heads h = { 0 };
	struct audit_config c = { dir, 0, 0, 0, "node-1" };
	struct audit *a = open_audit(0, 0, &h), *b;
	char err[256] = "";

	b = audit_open(&c, NULL, NULL, err, sizeof(err));
	cr_expect_null(b);
	cr_expect_not_null(strstr(err, "another zerotrace writes to this directory"), "%s", err);
	audit_close(a);
}

/* ---- write errors ---- */

Test(audit, a_full_disk_counts_lost_records_and_recovers)
{
	struct heads h = { 0 };
	struct audit_stats st;
	struct readback r;
	struct audit *a = open_audit(0, 0, &h);
	uint64_t t = now_ns();

	write_spans(a, 0, 600);
	audit_tick(a, t + 2 * SEC);
	audit_get_stats(a, &st);
	cr_expect_eq(st.records, 600);

	write_spans(a, 600, 100);
	audit_test_inject(a, ENOSPC, 100, 0); /* the disk fills up inside the next member */
	audit_tick(a, t + 4 * SEC);
	audit_get_stats(a, &st);
	cr_expect_eq(st.records_lost, 100);
	cr_expect_eq(st.failing, 1);
	cr_expect_geq(st.write_errors, 1);
	cr_expect_eq(audit_take_failure(a), ENOSPC);
	cr_expect_eq(audit_take_failure(a), 0, "one report per episode");

	write_spans(a, 700, 30);
	audit_tick(a, t + 6 * SEC); /* retry: still full */
	audit_get_stats(a, &st);
	cr_expect_eq(st.records_lost, 130);
	cr_expect_eq(st.failing, 1);
	cr_expect_eq(audit_take_failure(a), 0, "still the same episode");

	audit_test_inject(a, 0, 0, 0); /* space is back */
	audit_tick(a, t + 6 * SEC + SEC / 2);
	audit_get_stats(a, &st);
	cr_expect_eq(st.failing, 1, "retries wait a second");
	audit_tick(a, t + 8 * SEC);
	audit_get_stats(a, &st);
	cr_expect_eq(st.failing, 0);
	write_spans(a, 730, 50);
	audit_close(a);

	read_back(&r);
	cr_expect_eq(r.files, 1, "the file was cut back to its last member and kept");
	cr_expect_eq(r.spans, 650);
	cr_expect_eq(r.gaps, 1);
	cr_expect_eq(r.gap_lost, 130);
	EXPECT_VERIFY(h.hex, 0, "130 records were lost while writing failed");

	/* a failure soon after is the same episode; after a quiet minute, a new one */
	a = open_audit(0, 0, &h);
	write_spans(a, 0, 5);
	audit_test_inject(a, EIO, 0, 0);
	audit_tick(a, t + 10 * SEC);
	cr_expect_eq(audit_take_failure(a), EIO);
	audit_test_inject(a, 0, 0, 0);
	audit_tick(a, t + 12 * SEC);
	write_spans(a, 5, 5);
	audit_test_inject(a, ENOSPC, 0, 0);
	audit_tick(a, t + 14 * SEC);
	audit_get_stats(a, &st);
	cr_expect_eq(st.failing, 1);
	cr_expect_eq(audit_take_failure(a), 0, "the disk flaps: still one episode");
	audit_test_inject(a, 0, 0, 0);
	audit_tick(a, t + 16 * SEC);
	audit_tick(a, t + 80 * SEC);
	write_spans(a, 10, 5);
	audit_test_inject(a, ENOSPC, 0, 0);
	audit_tick(a, t + 82 * SEC);
	cr_expect_eq(audit_take_failure(a), ENOSPC, "a new episode after a quiet minute");
	audit_test_inject(a, 0, 0, 0);
	audit_tick(a, t + 84 * SEC);
	audit_close(a);
	EXPECT_VERIFY(h.hex, 0, NULL);
}

Test(audit, a_file_that_cannot_be_cut_back_is_sealed_and_a_new_one_started)
{
	struct heads h = { 0 };
	struct audit_stats st;
	struct readback r;
	struct audit *a = open_audit(0, 0, &h);
	uint64_t t = now_ns();

	write_spans(a, 0, 40);
	audit_tick(a, t + 2 * SEC);
	write_spans(a, 40, 40);
	audit_test_inject(a, EIO, 50, EIO); /* a torn member stays on disk */
	audit_tick(a, t + 4 * SEC);
	audit_get_stats(a, &st);
	cr_expect_eq(st.records_lost, 40);
	cr_expect_eq(st.failing, 1);
	write_spans(a, 80, 5);
	audit_test_inject(a, 0, 0, 0);
	audit_tick(a, t + 6 * SEC);
	audit_get_stats(a, &st);
	cr_expect_eq(st.failing, 0);
	cr_expect_eq(h.n, 1);
	cr_expect_str_eq(h.name, "audit-00000001.jsonl.gz");
	write_spans(a, 85, 5);
	audit_close(a);

	read_back(&r);
	cr_expect_eq(r.files, 2);
	cr_expect_eq(r.spans, 45);
	cr_expect_eq(r.gap_lost, 45);
	EXPECT_VERIFY(h.hex, 0, "note   audit-00000001.jsonl.gz was sealed from disk after a crash or a "
		      "write error: 50 bytes");
}

Test(audit, a_null_trail_is_a_no_op)
{
	struct span s;
	struct alert al;
	struct audit_stats st;

	fill_span(&s, 1);
	memset(&al, 0, sizeof(al));
	audit_span(NULL, &s, NULL, NULL, NULL);
	audit_alert(NULL, &al);
	audit_tick(NULL, 1);
	audit_close(NULL);
	audit_get_stats(NULL, &st);
	cr_expect_eq(audit_take_failure(NULL), 0);
}
