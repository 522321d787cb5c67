// SPDX-License-Identifier: MIT
/* A log write's shape and severity (user/log_line.c), and free-text
 * redaction of its body (redact_text). */
#include <criterion/criterion.h>
#include <string.h>

#include "log_line.h"
#include "redact.h"

static enum log_line_shape ll_whole(const char *s, size_t *body)
{
	return log_line_shape((const uint8_t *)s, strlen(s), strlen(s), NULL, 0, body);
}

Test(log_line, one_line_whole)
{
	size_t n = 99;

	cr_expect_eq(ll_whole("INFO hello\n", &n), LOG_LINE_ONE);
	cr_expect_eq(n, 10);
	cr_expect_eq(ll_whole("INFO hello\r\n", &n), LOG_LINE_ONE);
	cr_expect_eq(n, 10);
	cr_expect_eq(ll_whole("\n", &n), LOG_LINE_PART); /* the end of an unbuffered print() */
	cr_expect_eq(n, 0);
	cr_expect_eq(ll_whole("\r\n", &n), LOG_LINE_PART);
}

Test(log_line, many_and_part_are_not_lines)
{
	size_t n = 99;

	cr_expect_eq(ll_whole("a\nb\n", &n), LOG_LINE_MANY);
	cr_expect_eq(n, 0);
	cr_expect_eq(ll_whole("a\nb", &n), LOG_LINE_MANY);
	cr_expect_eq(ll_whole("no end", &n), LOG_LINE_PART);
	cr_expect_eq(ll_whole("", &n), LOG_LINE_PART);
}

/* A write longer than the copy: the tail tells a line end seen elsewhere;
 * one that ends with its only seen one is LONG (the middle was not seen). */
Test(log_line, cut_write_judged_by_its_tail)
{
	const uint8_t head[] = "ERROR a long line that";
	size_t n = 99;

	cr_expect_eq(log_line_shape(head, 22, 1000, (const uint8_t *)"the end\n", 8, &n),
		     LOG_LINE_LONG);
	cr_expect_eq(n, 22);
	cr_expect_eq(log_line_shape(head, 22, 1000, (const uint8_t *)"end\nmore", 8, &n),
		     LOG_LINE_PART);
	cr_expect_eq(log_line_shape(head, 22, 1000, (const uint8_t *)"nd\nmore\n", 8, &n),
		     LOG_LINE_MANY);
	cr_expect_eq(log_line_shape((const uint8_t *)"a\nb", 3, 1000, (const uint8_t *)"x\n", 2, &n),
		     LOG_LINE_MANY);
	cr_expect_eq(log_line_shape(head, 22, 1000, NULL, 0, &n), LOG_LINE_PART);
	cr_expect_eq(n, 0);
}

static uint8_t ll_sev(const char *s, char text[LOG_SEVERITY_TEXT_MAX])
{
	return log_line_severity(s, strlen(s), text);
}

Test(log_line, leading_level_words)
{
	char t[LOG_SEVERITY_TEXT_MAX];

	cr_expect_eq(ll_sev("INFO rid=3 stdout line", t), 9);
	cr_expect_str_eq(t, "INFO");
	cr_expect_eq(ll_sev("WARNING:root:disk low", t), 13);
	cr_expect_str_eq(t, "WARNING");
	cr_expect_eq(ll_sev("  [error] boom", t), 17);
	cr_expect_str_eq(t, "error");
	cr_expect_eq(ll_sev("<debug> x", t), 5);
	cr_expect_eq(ll_sev("TRACE", t), 1);
	cr_expect_eq(ll_sev("notice: x", t), 10);
	cr_expect_eq(ll_sev("Warn x", t), 13);
	cr_expect_eq(ll_sev("ERR x", t), 17);
	cr_expect_eq(ll_sev("CRITICAL x", t), 21);
	cr_expect_eq(ll_sev("fatal: x", t), 21);
	cr_expect_eq(ll_sev("PANIC x", t), 21);
	cr_expect_eq(ll_sev("Information x", t), 0);
	cr_expect_str_eq(t, "");
	cr_expect_eq(ll_sev("INFO2 x", t), 9); /* the word ends at the digit */
	cr_expect_eq(ll_sev("GET /x 200", t), 0);
	cr_expect_eq(ll_sev("", t), 0);
}

Test(log_line, json_level_at_top_level_only)
{
	char t[LOG_SEVERITY_TEXT_MAX];

	cr_expect_eq(ll_sev("{\"level\":\"warning\",\"rid\":3}", t), 13);
	cr_expect_str_eq(t, "warning");
	cr_expect_eq(ll_sev("{\"rid\":3, \"level\" : 30,\"msg\":\"x\"}", t), 9);
	cr_expect_str_eq(t, "30");
	cr_expect_eq(ll_sev("{\"level\":10}", t), 1);
	cr_expect_eq(ll_sev("{\"level\":60}", t), 21);
	cr_expect_eq(ll_sev("{\"level\":35}", t), 0);
	cr_expect_eq(ll_sev("{\"severity\":\"ERROR\"}", t), 17);
	cr_expect_eq(ll_sev("{\"a\":{\"level\":\"error\"},\"level\":\"info\"}", t), 9);
	cr_expect_eq(ll_sev("{\"a\":{\"level\":\"error\"}}", t), 0);
	cr_expect_eq(ll_sev("{\"msg\":\"\\\"level\\\":\\\"error\\\"\"}", t), 0);
	cr_expect_eq(ll_sev("{\"level\":\"verbose\"}", t), 0);
	cr_expect_eq(ll_sev("{\"level\":\"info", t), 0);
	cr_expect_eq(ll_sev("{\"lev", t), 0);
}

static const char *rt(const char *in)
{
	static char out[256];

	redact_text(in, strlen(in), out, sizeof(out));
	return out;
}

Test(log_line, redact_text_values_of_secret_keys)
{
	cr_expect_str_eq(rt("user=bob password=hunter2 rid=3"), "user=bob password=REDACTED rid=3");
	cr_expect_str_eq(rt("{\"password\":\"hun\\\"ter2\",\"rid\":3}"),
			 "{\"password\":\"REDACTED\",\"rid\":3}");
	cr_expect_str_eq(rt("Authorization: Bearer abc.def rest"),
			 "Authorization: REDACTED rest");
	cr_expect_str_eq(rt("GET /x?a=1&token=t0k&b=2"), "GET /x?a=1&token=REDACTED&b=2");
	cr_expect_str_eq(rt("api_key = 'x y' done"), "api_key = 'REDACTED' done");
	cr_expect_str_eq(rt("secret=, next"), "secret=REDACTED, next");
	cr_expect_str_eq(rt("session expired; token"), "session expired; token");
	cr_expect_str_eq(rt("rid=3 status=ok"), "rid=3 status=ok");
	cr_expect_str_eq(rt("password=\"unterminated"), "password=\"REDACTED");
}

Test(log_line, redact_text_bounded)
{
	char out[12];

	cr_expect_eq(redact_text("password=hunter2", 16, out, sizeof(out)), 11);
	cr_expect_str_eq(out, "password=RE");
	cr_expect_eq(redact_text("x", 1, out, 1), 0);
	cr_expect_str_eq(out, "");
}
