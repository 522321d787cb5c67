// SPDX-License-Identifier: MIT
/* user/proto/redis/resp.c: exact summaries, every split, gaps, bad input. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "resp.h"

#define RS_MAX 32

struct rs_out {
	struct resp_msg m[RS_MAX];
	uint32_t n;
};

static void rs_cb(void *ctx, const struct resp_msg *m)
{
	struct rs_out *o = ctx;

	cr_assert_lt(o->n, RS_MAX);
	o->m[o->n++] = *m;
}

/* Feeds s in pieces split at every offset pair (a, b); checks every run
 * gives the same messages as one feed. Returns the one-feed result. */
static struct rs_out rs_all_splits(const char *s, int inline_ok)
{
	struct rs_out whole = { .n = 0 };
	struct resp_reader r;
	size_t n = strlen(s);

	resp_reader_init(&r, inline_ok);
	cr_assert_eq(resp_feed(&r, (const uint8_t *)s, n, 7, rs_cb, &whole), 0);
	for (size_t a = 0; a <= n; a++) {
		for (size_t b = a; b <= n; b += 3) {
			struct rs_out o = { .n = 0 };

			resp_reader_init(&r, inline_ok);
			resp_feed(&r, (const uint8_t *)s, a, 7, rs_cb, &o);
			resp_feed(&r, (const uint8_t *)s + a, b - a, 7, rs_cb, &o);
			resp_feed(&r, (const uint8_t *)s + b, n - b, 7, rs_cb, &o);
			cr_assert_eq(o.n, whole.n, "split %zu/%zu of %s", a, b, s);
			for (uint32_t i = 0; i < o.n; i++) {
				cr_assert_eq(o.m[i].type, whole.m[i].type);
				cr_assert_eq(o.m[i].bytes, whole.m[i].bytes);
				cr_assert_eq(o.m[i].nelems, whole.m[i].nelems);
				cr_assert_eq(o.m[i].nkept, whole.m[i].nkept);
				for (uint32_t k = 0; k < o.m[i].nkept; k++)
					cr_assert_str_eq(o.m[i].keep[k], whole.m[i].keep[k]);
				cr_assert_str_eq(o.m[i].text, whole.m[i].text);
			}
		}
	}
	return whole;
}

Test(resp, command_array)
{
	struct rs_out o = rs_all_splits("*3\r\n$3\r\nSET\r\n$8\r\nuser:123\r\n$5\r\nhello\r\n", 1);

	cr_assert_eq(o.n, 1);
	cr_expect_eq(o.m[0].type, '*');
	cr_expect_eq(o.m[0].nelems, 3);
	cr_expect_eq(o.m[0].nkept, 3);
	cr_expect_str_eq(o.m[0].keep[0], "SET");
	cr_expect_str_eq(o.m[0].keep[1], "user:123");
	cr_expect_str_eq(o.m[0].keep[2], "hello");
	cr_expect_eq(o.m[0].bytes, 38);
	cr_expect_eq(o.m[0].start_tag, 7);
}

Test(resp, pipelined_commands_and_inline)
{
	struct rs_out o = rs_all_splits("PING\r\n*1\r\n$4\r\nPING\r\nget  k1\r\n\r\n*2\r\n$4\r\nINCR\r\n$1\r\nc\r\n", 1);

	cr_assert_eq(o.n, 4);
	cr_expect_eq(o.m[0].type, RESP_TYPE_INLINE);
	cr_expect_str_eq(o.m[0].keep[0], "PING");
	cr_expect_eq(o.m[0].nelems, 1);
	cr_expect_eq(o.m[0].bytes, 6);
	cr_expect_eq(o.m[1].type, '*');
	cr_expect_str_eq(o.m[1].keep[0], "PING");
	cr_expect_eq(o.m[2].type, RESP_TYPE_INLINE);
	cr_expect_eq(o.m[2].nelems, 2);
	cr_expect_str_eq(o.m[2].keep[1], "k1");
	cr_expect_str_eq(o.m[3].keep[0], "INCR");
	cr_expect_str_eq(o.m[3].keep[1], "c");
}

Test(resp, replies_resp2)
{
	struct rs_out o = rs_all_splits("+OK\r\n-WRONGTYPE Operation against a key\r\n:42\r\n$-1\r\n"
					"$5\r\nhello\r\n*-1\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n*0\r\n", 0);

	cr_assert_eq(o.n, 8);
	cr_expect_eq(o.m[0].type, '+');
	cr_expect_str_eq(o.m[0].text, "OK");
	cr_expect_eq(o.m[1].type, '-');
	cr_expect_str_eq(o.m[1].text, "WRONGTYPE Operation against a key");
	cr_expect_eq(o.m[2].type, ':');
	cr_expect_eq(o.m[3].is_null, 1);
	cr_expect_eq(o.m[4].type, '$');
	cr_expect_eq(o.m[4].bytes, 11);
	cr_expect_eq(o.m[5].is_null, 1);
	cr_expect_eq(o.m[6].nelems, 2);
	cr_expect_str_eq(o.m[6].keep[0], "a");
	cr_expect_eq(o.m[6].bytes, 19);
	cr_expect_eq(o.m[7].nelems, 0);
	cr_expect_eq(o.m[7].is_null, 0);
}

Test(resp, empty_array_then_reply)
{
	struct rs_out o = rs_all_splits("*0\r\n+PONG\r\n", 0);

	cr_assert_eq(o.n, 2);
	cr_expect_eq(o.m[0].nelems, 0);
	cr_expect_str_eq(o.m[1].text, "PONG");
}

Test(resp, resp3_types)
{
	struct rs_out o = rs_all_splits("%2\r\n+a\r\n:1\r\n$3\r\nb\r\n\r\n,1.5\r\n#t\r\n_\r\n(123\r\n"
					"=8\r\ntxt:abcd\r\n!9\r\nERR oops!\r\n~1\r\n+x\r\n"
					">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n", 0);

	cr_assert_eq(o.n, 8);
	cr_expect_eq(o.m[0].type, '%');
	cr_expect_eq(o.m[0].nelems, 4);
	cr_expect_eq(o.m[0].bytes, 27);
	cr_expect_str_eq(o.m[0].keep[0], "a");
	cr_expect_str_eq(o.m[0].keep[1], "1");
	cr_expect_str_eq(o.m[0].keep[2], "b\r\n");
	cr_expect_eq(o.m[1].type, '#');
	cr_expect_eq(o.m[2].is_null, 1);
	cr_expect_eq(o.m[3].type, '(');
	cr_expect_eq(o.m[4].type, '=');
	cr_expect_eq(o.m[4].bytes, 14);
	cr_expect_eq(o.m[5].type, '!');
	cr_expect_str_eq(o.m[5].text, "ERR oops!");
	cr_expect_eq(o.m[6].type, '~');
	cr_expect_eq(o.m[6].nelems, 1);
	cr_expect_eq(o.m[7].type, '>');
	cr_expect_eq(o.m[7].nelems, 3);
	cr_expect_str_eq(o.m[7].keep[0], "message");
	cr_expect_str_eq(o.m[7].keep[1], "ch");
}

Test(resp, blob_error_text_is_kept)
{
	struct rs_out o = rs_all_splits("!21\r\nSYNTAX invalid syntax\r\n", 0);

	cr_assert_eq(o.n, 1);
	cr_expect_eq(o.m[0].type, '!');
	cr_expect_str_eq(o.m[0].text, "SYNTAX invalid syntax");
}

Test(resp, attribute_belongs_to_the_next_reply)
{
	struct rs_out o = rs_all_splits("|1\r\n+ttl\r\n:3600\r\n+OK\r\n", 0);

	cr_assert_eq(o.n, 1);
	cr_expect_eq(o.m[0].type, '+');
	cr_expect_str_eq(o.m[0].text, "OK");
	cr_expect_eq(o.m[0].bytes, 22);
	cr_expect_eq(o.m[0].nelems, 0);
	cr_expect_eq(o.m[0].nkept, 0);
}

Test(resp, streamed_string_and_aggregate)
{
	struct rs_out o = rs_all_splits("$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;0\r\n*?\r\n:1\r\n:2\r\n.\r\n+next\r\n", 0);

	cr_assert_eq(o.n, 3);
	cr_expect_eq(o.m[0].type, '$');
	cr_expect_eq(o.m[0].bytes, 29);
	cr_expect_eq(o.m[0].nkept, 0);
	cr_expect_eq(o.m[1].type, '*');
	cr_expect_str_eq(o.m[1].keep[0], "1");
	cr_expect_str_eq(o.m[1].keep[1], "2");
	cr_expect_str_eq(o.m[2].text, "next");
}

Test(resp, nested_arrays_keep_only_top_level_heads)
{
	struct rs_out o = rs_all_splits("*3\r\n*2\r\n:1\r\n:2\r\n$1\r\nx\r\n*1\r\n$1\r\ny\r\n", 0);

	cr_assert_eq(o.n, 1);
	cr_expect_eq(o.m[0].nelems, 3);
	cr_expect_eq(o.m[0].nkept, 3);
	cr_expect_str_eq(o.m[0].keep[0], "");
	cr_expect_str_eq(o.m[0].keep[1], "x");
	cr_expect_str_eq(o.m[0].keep[2], "");
}

Test(resp, long_values_are_cut_and_flagged)
{
	char cmd[512];
	struct rs_out o;
	char big[300];

	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(cmd, sizeof(cmd), "*2\r\n$3\r\nGET\r\n$%zu\r\n%s\r\n", strlen(big), big);
	o = rs_all_splits(cmd, 1);
	cr_assert_eq(o.n, 1);
	cr_expect_eq(o.m[0].keep_len[1], RESP_KEEP_MAX - 1);
	cr_expect_eq(o.m[0].keep_cut[1], 1);
	cr_expect_eq(o.m[0].keep_cut[0], 0);
}

Test(resp, gap_inside_bulk_is_harmless)
{
	struct rs_out o = { .n = 0 };
	struct resp_reader r;
	const char *head = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10000\r\nabc";

	resp_reader_init(&r, 1);
	cr_assert_eq(resp_feed(&r, (const uint8_t *)head, strlen(head), 1, rs_cb, &o), 0);
	cr_assert_eq(resp_gap(&r, 10000 - 3, 2, rs_cb, &o), 0);
	cr_assert_eq(o.n, 0);
	cr_assert_eq(resp_feed(&r, (const uint8_t *)"\r\n*1\r\n$4\r\nPING\r\n", 16, 3, rs_cb, &o), 0);
	cr_assert_eq(o.n, 2);
	cr_expect_eq(o.m[0].bytes, strlen(head) + 10000 - 3 + 2);
	cr_expect_eq(o.m[0].end_tag, 3);
	cr_expect_str_eq(o.m[1].keep[0], "PING");
}

Test(resp, gap_covering_bulk_end_completes_it)
{
	struct rs_out o = { .n = 0 };
	struct resp_reader r;

	resp_reader_init(&r, 0);
	cr_assert_eq(resp_feed(&r, (const uint8_t *)"$100\r\nab", 8, 1, rs_cb, &o), 0);
	cr_assert_eq(resp_gap(&r, 100, 5, rs_cb, &o), 0);
	cr_assert_eq(o.n, 1);
	cr_expect_eq(o.m[0].end_tag, 5);
	cr_expect(resp_reader_idle(&r));
}

Test(resp, gap_outside_a_bulk_loses_framing)
{
	struct rs_out o = { .n = 0 };
	struct resp_reader r;

	resp_reader_init(&r, 0);
	cr_assert_eq(resp_feed(&r, (const uint8_t *)"*3\r\n:1\r\n", 8, 1, rs_cb, &o), 0);
	cr_assert_eq(resp_gap(&r, 10, 2, rs_cb, &o), 1);
	cr_expect(resp_reader_lost(&r));
	cr_assert_eq(resp_feed(&r, (const uint8_t *)"+OK\r\n", 5, 3, rs_cb, &o), 0);
	cr_expect_eq(o.n, 0);
	resp_reader_reset(&r);
	cr_assert_eq(resp_feed(&r, (const uint8_t *)"+OK\r\n", 5, 3, rs_cb, &o), 0);
	cr_expect_eq(o.n, 1);
}

Test(resp, hostile_input_is_a_miss)
{
	static const char *const bad[] = {
		"$-2\r\n", "*-5\r\n", "$abc\r\n", "$5\r\nhelloXY", "?\r\n", ":1\n",
		"*99999999999999999999\r\n", "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n",
		".\r\n", "$?\r\n+x\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rs_out o = { .n = 0 };
		struct resp_reader r;

		resp_reader_init(&r, 0);
		cr_expect_eq(resp_feed(&r, (const uint8_t *)bad[i], strlen(bad[i]), 1, rs_cb, &o), 1,
			     "%s", bad[i]);
		cr_expect_eq(o.n, 0, "%s", bad[i]);
		cr_expect(resp_reader_lost(&r), "%s", bad[i]);
	}
}

Test(resp, inline_only_on_the_request_side)
{
	struct rs_out o = { .n = 0 };
	struct resp_reader r;

	resp_reader_init(&r, 0);
	cr_expect_eq(resp_feed(&r, (const uint8_t *)"PING\r\n", 6, 1, rs_cb, &o), 1);
	cr_expect_eq(o.n, 0);
}

Test(resp, long_error_line_is_cut_not_lost)
{
	char line[400];
	struct rs_out o;

	memset(line, 0, sizeof(line));
	line[0] = '-';
	memset(line + 1, 'E', 300);
	memcpy(line + 301, "\r\n+OK\r\n", 7);
	o = rs_all_splits(line, 0);
	cr_assert_eq(o.n, 2);
	cr_expect_eq(strlen(o.m[0].text), RESP_TEXT_MAX - 1);
	cr_expect_eq(o.m[0].bytes, 303);
}
