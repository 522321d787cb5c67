// SPDX-License-Identifier: MIT
/*
 * exporters/alert_json.c: the exact line for a full and a bare alert,
 * escaping, the worst case fitting ALERT_JSON_MAX, RFC 3339 times, and the
 * file writer (lines, counters, a full disk, a line cut short).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alert_fixture.h"
#include "alert_json.h"

static char aj_line[ALERT_JSON_MAX];

static const char *aj_format(const struct alert *a, const char *host)
{
	size_t n = alert_json_format(a, host, aj_line, sizeof(aj_line));

	cr_assert_gt(n, 0, "did not fit");
	cr_assert_eq(n, strlen(aj_line));
	return aj_line;
}

Test(alert_json, full_alert_exact_line)
{
	struct alert a = alert_fixture_full();

	cr_expect_str_eq(
		aj_format(&a, "node-1"),
		"{\"type\":\"alert\",\"@timestamp\":\"2023-11-14T22:13:20.123456789Z\","
		"\"event\":{\"kind\":\"alert\",\"category\":[\"network\",\"intrusion_detection\"]},"
		"\"rule\":{\"id\":\"sql_command_exec\",\"description\":\"SQL that runs a program or "
		"reads or writes server files: COPY ... PROGRAM, INTO OUTFILE\"},"
		"\"severity\":\"critical\",\"severity_number\":21,"
		"\"reason\":\"checkout ran a program through postgresql\",\"count\":3,"
		"\"network\":{\"protocol\":\"postgresql\"},"
		"\"operation\":\"COPY users TO PROGRAM 'id'\","
		"\"source\":{\"service\":\"checkout\",\"namespace\":\"shop\",\"workload\":\"checkout\","
		"\"executable\":\"python3\",\"pid\":4242,\"container_id\":\"abc123\","
		"\"pod\":\"checkout-7d9f\"},"
		"\"destination\":{\"address\":\"10.0.0.7\",\"port\":5432},"
		"\"trace_id\":\"0102030405060708090a0b0c0d0e0f10\",\"span_id\":\"a1a2a3a4a5a6a7a8\","
		"\"trace_flags\":\"01\",\"host\":{\"name\":\"node-1\"}}");
}

Test(alert_json, bare_alert_leaves_empty_fields_out)
{
	struct alert a = alert_fixture_min();

	cr_expect_str_eq(
		aj_format(&a, "h"),
		"{\"type\":\"alert\",\"@timestamp\":\"1970-01-01T00:00:00.000001000Z\","
		"\"event\":{\"kind\":\"alert\",\"category\":[\"network\",\"intrusion_detection\"]},"
		"\"rule\":{\"id\":\"new_edge\",\"description\":\"a service called a service, a port "
		"or an address it never called while learning\"},"
		"\"severity\":\"medium\",\"severity_number\":16,\"reason\":\"x\",\"count\":1,"
		"\"source\":{\"service\":\"a\"},\"destination\":{\"address\":\"b\"},"
		"\"host\":{\"name\":\"h\"}}");
	/* no ends at all, no host */
	memset(&a.src, 0, sizeof(a.src));
	memset(&a.dst, 0, sizeof(a.dst));
	a.reason[0] = '\0';
	cr_expect(strstr(aj_format(&a, NULL), "\"count\":1}") != NULL, "%s", aj_line);
	cr_expect_null(strstr(aj_line, "source"));
	cr_expect_null(strstr(aj_line, "host"));
	cr_expect(strstr(aj_line, "\"reason\":\"\"") != NULL);
	/* a port alone still makes a destination */
	a.port = 80;
	cr_expect(strstr(aj_format(&a, ""), ",\"destination\":{\"port\":80}}") != NULL, "%s",
		  aj_line);
}

Test(alert_json, unknown_rule_and_severity)
{
	struct alert a = alert_fixture_min();

	a.rule = ALERT_RULE_COUNT;
	a.severity = 200;
	aj_format(&a, "h");
	cr_expect(strstr(aj_line, "\"rule\":{\"id\":\"unknown\",\"description\":\"\"}") != NULL,
		  "%s", aj_line);
	cr_expect(strstr(aj_line, "\"severity\":\"unknown\",\"severity_number\":0") != NULL, "%s",
		  aj_line);
}

Test(alert_json, strings_are_escaped)
{
	struct alert a = alert_fixture_min();

	strcpy(a.reason, "say \"hi\"\\\n\x01 \xff end");
	strcpy(a.operation, "GET /a\"b");
	strcpy(a.src.service, "caf\xc3\xa9");
	aj_format(&a, "h\"ost");
	cr_expect(strstr(aj_line, "\"reason\":\"say \\\"hi\\\"\\\\\\n\\u0001 \\ufffd end\"") !=
			  NULL,
		  "%s", aj_line);
	cr_expect(strstr(aj_line, "\"operation\":\"GET /a\\\"b\"") != NULL, "%s", aj_line);
	cr_expect(strstr(aj_line, "\"service\":\"caf\xc3\xa9\"") != NULL, "%s", aj_line);
	cr_expect(strstr(aj_line, "\"host\":{\"name\":\"h\\\"ost\"}") != NULL, "%s", aj_line);
	cr_expect_null(strchr(aj_line, '\n'));
}

/* A field not NUL-terminated is read to the end of its array, not beyond. */
Test(alert_json, unterminated_fields_stay_inside)
{
	struct alert a = alert_fixture_min();

	memset(a.protocol, 'p', sizeof(a.protocol));
	aj_format(&a, "h");
	cr_expect(strstr(aj_line, "\"network\":{\"protocol\":\"pppppppppppppppp\"}") != NULL,
		  "%s", aj_line);
}

Test(alert_json, worst_case_fits_and_small_buffers_fail)
{
	struct alert a = alert_fixture_filled('\x01'); /* each byte becomes \u0001 */
	size_t n = alert_json_format(&a, "node-1", aj_line, sizeof(aj_line));
	char small[64];

	cr_assert_gt(n, 0, "the worst case must fit ALERT_JSON_MAX");
	cr_expect_lt(n + 1, ALERT_JSON_MAX, "room for the newline");
	cr_expect(strstr(aj_line, "\"count\":18446744073709551615") != NULL);
	cr_expect(strstr(aj_line, "\"pid\":4294967295") != NULL);
	cr_expect(strstr(aj_line, "\"port\":65535") != NULL);
	cr_expect_eq(alert_json_format(&a, "node-1", small, sizeof(small)), 0);
	cr_expect_lt(strlen(small), sizeof(small));
	cr_expect_eq(alert_json_format(&a, "node-1", aj_line, n), 0, "exactly n bytes: no NUL room");
	cr_expect_eq(alert_json_format(&a, "node-1", aj_line, n + 1), n);
	cr_expect_eq(alert_json_format(&a, "node-1", NULL, 0), 0);
}

Test(alert_json, rfc3339_times)
{
	char ts[32];

	cr_expect_eq(alert_time_rfc3339(ts, 0, 9), 30);
	cr_expect_str_eq(ts, "1970-01-01T00:00:00.000000000Z");
	alert_time_rfc3339(ts, AF_TIME_NS, 6);
	cr_expect_str_eq(ts, "2023-11-14T22:13:20.123456Z");
	alert_time_rfc3339(ts, AF_TIME_NS, 3);
	cr_expect_str_eq(ts, "2023-11-14T22:13:20.123Z");
	alert_time_rfc3339(ts, AF_TIME_NS, 0);
	cr_expect_str_eq(ts, "2023-11-14T22:13:20Z");
	alert_time_rfc3339(ts, 951782400999999999ULL, 12); /* 2000-02-29, digits capped at 9 */
	cr_expect_str_eq(ts, "2000-02-29T00:00:00.999999999Z");
	alert_time_rfc3339(ts, UINT64_MAX, 9); /* 2554-07-21T23:34:33 */
	cr_expect_str_eq(ts, "2554-07-21T23:34:33.709551615Z");
}

/* ---- The file ---- */

static char *aj_read(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[4 * ALERT_JSON_MAX];
	size_t n;

	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(alert_json, file_lines_and_counters)
{
	char dir[] = "/tmp/zt-alert-json-XXXXXX", path[64], err[128], want[2 * ALERT_JSON_MAX];
	struct alert a = alert_fixture_full(), b = alert_fixture_min();
	struct alert_file_stats st;
	struct alert_file *f;
	struct stat sb;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/alerts.jsonl", dir);
	f = alert_file_open(path, err, sizeof(err));
	cr_assert_not_null(f, "%s", err);
	cr_expect_eq(alert_file_write(f, &a, "node-1"), 0);
	cr_expect_eq(alert_file_write(f, &b, "node-1"), 0);
	alert_file_get_stats(f, &st);
	cr_expect_eq(st.written, 2);
	cr_expect_eq(st.dropped, 0);
	alert_file_close(f);
	cr_assert_eq(stat(path, &sb), 0);
	cr_expect_eq(sb.st_mode & 0777, 0600, "mode %o", sb.st_mode & 0777);

	alert_json_format(&a, "node-1", want, sizeof(want));
	strcat(want, "\n");
	alert_json_format(&b, "node-1", want + strlen(want), sizeof(want) - strlen(want));
	strcat(want, "\n");
	cr_expect_str_eq(aj_read(path), want);

	/* appends on reopen */
	f = alert_file_open(path, err, sizeof(err));
	cr_assert_not_null(f);
	alert_file_write(f, &b, "node-1");
	alert_file_close(f);
	cr_expect_eq(strlen(aj_read(path)), strlen(want) + strlen(want) - (strchr(want, '\n') - want + 1));
	unlink(path);
	rmdir(dir);
}

Test(alert_json, open_errors_and_null)
{
	char err[128] = "";
	struct alert_file_stats st;
	struct alert a = alert_fixture_min();

	cr_expect_null(alert_file_open("/nonexistent-dir/x/alerts.jsonl", err, sizeof(err)));
	cr_expect(strstr(err, "open /nonexistent-dir/x/alerts.jsonl: ") == err, "%s", err);
	cr_expect_null(alert_file_open("", err, sizeof(err)));
	cr_expect_null(alert_file_open(NULL, err, sizeof(err)));
	cr_expect_eq(alert_file_write(NULL, &a, "h"), -1);
	memset(&st, 0xff, sizeof(st));
	alert_file_get_stats(NULL, &st);
	cr_expect_eq(st.written + st.dropped, 0);
	alert_file_close(NULL);
}

/* /dev/full fails every write with ENOSPC: counted, never fatal. */
Test(alert_json, full_disk_counts_drops)
{
	char err[128];
	struct alert a = alert_fixture_min();
	struct alert_file_stats st;
	struct alert_file *f = alert_file_open("/dev/full", err, sizeof(err));

	if (!f)
		cr_skip_test("no /dev/full: %s", err);
	for (int i = 0; i < 3; i++)
		cr_expect_eq(alert_file_write(f, &a, "h"), -1);
	alert_file_get_stats(f, &st);
	cr_expect_eq(st.written, 0);
	cr_expect_eq(st.dropped, 3);
	alert_file_close(f);
}

/* A pipe whose reader is gone: EPIPE (SIGPIPE ignored by the daemon). */
Test(alert_json, closed_pipe_counts_drops)
{
	char err[128], path[64];
	struct alert a = alert_fixture_min();
	struct alert_file_stats st;
	struct alert_file *f;
	int p[2];

	cr_assert_eq(pipe(p), 0);
	signal(SIGPIPE, SIG_IGN);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[1]);
	f = alert_file_open(path, err, sizeof(err));
	cr_assert_not_null(f, "%s", err);
	close(p[0]);
	cr_expect_eq(alert_file_write(f, &a, "h"), -1);
	alert_file_get_stats(f, &st);
	cr_expect_eq(st.dropped, 1);
	alert_file_close(f);
	close(p[1]);
}

Test(alert_json, stdout_lines, .init = cr_redirect_stdout)
{
	char err[128], want[ALERT_JSON_MAX + 1];
	struct alert a = alert_fixture_full();
	struct alert_file *f = alert_file_open("-", err, sizeof(err));

	cr_assert_not_null(f);
	cr_expect_eq(alert_file_write(f, &a, "node-1"), 0);
	alert_file_close(f);
	alert_json_format(&a, "node-1", want, sizeof(want));
	strcat(want, "\n");
	cr_expect_stdout_eq_str(want);
}
