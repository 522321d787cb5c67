// SPDX-License-Identifier: MIT
/* exporters/json.c: escaping, strict UTF-8, numbers and overflow. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

#define CANARY 0x5a

/* Renders s as a JSON string into a buffer of `cap` bytes that is followed by
 * canary bytes, checks nothing was written past cap, and copies the result. */
static size_t render(const void *s, size_t n, size_t cap, char *out,
		     size_t out_size, int *overflow)
{
	char store[512];
	struct json_buf b;
	size_t i;

	cr_assert(cap + 16 <= sizeof(store));
	memset(store, CANARY, sizeof(store));
	json_buf_init(&b, store, cap);
	json_put_string(&b, s, n);
	for (i = cap; i < sizeof(store); i++)
		cr_assert_eq((unsigned char)store[i], CANARY,
			     "byte %zu past cap %zu was written", i, cap);
	if (cap) {
		cr_assert_lt(b.len, cap);
		cr_assert_eq(store[b.len], '\0', "not NUL-terminated");
		cr_assert_eq(strlen(store), b.len, "NUL inside the data");
	} else {
		cr_assert_eq(b.len, 0);
	}
	cr_assert_lt(b.len, out_size);
	memcpy(out, store, b.len);
	out[b.len] = '\0';
	*overflow = b.overflow;
	return b.len;
}

/* Asserts s renders to `want` (the full quoted string) without overflow. */
#define EXPECT_JSON(s, n, want)                                                \
	do {                                                                   \
		char got_[512];                                                \
		int ovf_;                                                      \
		render((s), (n), 256, got_, sizeof(got_), &ovf_);              \
		cr_expect_eq(ovf_, 0, "overflow for %s", (want));              \
		cr_expect_str_eq(got_, (want));                                \
	} while (0)

#define EXPECT_JSONZ(s, want) EXPECT_JSON((s), strlen(s), (want))

Test(json, init_gives_empty_terminated_buffer)
{
	char store[8];
	struct json_buf b;

	memset(store, 'x', sizeof(store));
	json_buf_init(&b, store, sizeof(store));
	cr_expect_eq(b.len, 0);
	cr_expect_eq(b.cap, 8);
	cr_expect_eq(b.overflow, 0);
	cr_expect_eq(store[0], '\0');
}

Test(json, zero_cap_and_null_storage_overflow_without_writing)
{
	char store[4] = { 'x', 'x', 'x', 'x' };
	struct json_buf b;

	json_buf_init(&b, store, 0);
	json_put_raw(&b, "", 0);
	cr_expect_eq(b.overflow, 0, "an empty put fits anywhere");
	json_put_raw(&b, "a", 1);
	cr_expect_eq(b.overflow, 1);
	cr_expect_eq(b.len, 0);
	cr_expect_eq(store[0], 'x');

	json_buf_init(&b, NULL, 100);
	cr_expect_eq(b.cap, 0);
	json_put_cstr(&b, "a");
	json_put_u64(&b, 1);
	cr_expect_eq(b.overflow, 1);
	cr_expect_eq(b.len, 0);
}

Test(json, raw_and_rawz_append_as_is)
{
	char store[32];
	struct json_buf b;

	json_buf_init(&b, store, sizeof(store));
	json_put_raw(&b, "{\"a\":xyz", 5);
	json_put_rawz(&b, "1}");
	json_put_rawz(&b, NULL);
	json_put_raw(&b, NULL, 3);
	cr_expect_str_eq(store, "{\"a\":1}");
	cr_expect_eq(b.len, 7);
	cr_expect_eq(b.overflow, 0);
}

Test(json, string_plain_empty_and_null)
{
	EXPECT_JSONZ("hello world", "\"hello world\"");
	EXPECT_JSON("", 0, "\"\"");
	EXPECT_JSON(NULL, 5, "\"\"");
	EXPECT_JSONZ("/a/b?c=d&e", "\"/a/b?c=d&e\"");
}

Test(json, cstr_quotes_and_handles_null)
{
	char store[32];
	struct json_buf b;

	json_buf_init(&b, store, sizeof(store));
	json_put_cstr(&b, "GET");
	json_put_raw(&b, ",", 1);
	json_put_cstr(&b, NULL);
	cr_expect_str_eq(store, "\"GET\",\"\"");
}

Test(json, escapes_quote_and_backslash)
{
	EXPECT_JSONZ("a\"b", "\"a\\\"b\"");
	EXPECT_JSONZ("a\\b", "\"a\\\\b\"");
	EXPECT_JSONZ("\"\\\"", "\"\\\"\\\\\\\"\"");
}

Test(json, solidus_and_del_pass_unescaped)
{
	EXPECT_JSONZ("a/b", "\"a/b\"");
	EXPECT_JSONZ("\x7f", "\"\x7f\"");
}

Test(json, every_control_byte_escaped)
{
	static const char *const want[32] = {
		"\"\\u0000\"", "\"\\u0001\"", "\"\\u0002\"", "\"\\u0003\"",
		"\"\\u0004\"", "\"\\u0005\"", "\"\\u0006\"", "\"\\u0007\"",
		"\"\\b\"",     "\"\\t\"",     "\"\\n\"",     "\"\\u000b\"",
		"\"\\f\"",     "\"\\r\"",     "\"\\u000e\"", "\"\\u000f\"",
		"\"\\u0010\"", "\"\\u0011\"", "\"\\u0012\"", "\"\\u0013\"",
		"\"\\u0014\"", "\"\\u0015\"", "\"\\u0016\"", "\"\\u0017\"",
		"\"\\u0018\"", "\"\\u0019\"", "\"\\u001a\"", "\"\\u001b\"",
		"\"\\u001c\"", "\"\\u001d\"", "\"\\u001e\"", "\"\\u001f\"",
	};
	uint8_t c;

	for (c = 0; c < 32; c++)
		EXPECT_JSON(&c, 1, want[c]);
	EXPECT_JSON("a\0b", 3, "\"a\\u0000b\"");
	EXPECT_JSONZ("GET / HTTP/1.1\r\nHost: x\r\n",
		     "\"GET / HTTP/1.1\\r\\nHost: x\\r\\n\"");
}

Test(json, valid_utf8_2_3_4_byte_kept)
{
	EXPECT_JSONZ("caf\xc3\xa9", "\"caf\xc3\xa9\"");           /* U+00E9 */
	EXPECT_JSONZ("\xe2\x82\xac", "\"\xe2\x82\xac\"");         /* U+20AC */
	EXPECT_JSONZ("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* U+1F600 */
}

Test(json, valid_utf8_boundaries_kept)
{
	static const char *const ok[] = {
		"\xc2\x80",         /* U+0080, smallest 2-byte */
		"\xdf\xbf",         /* U+07FF */
		"\xe0\xa0\x80",     /* U+0800, smallest 3-byte */
		"\xed\x9f\xbf",     /* U+D7FF, just below the surrogates */
		"\xee\x80\x80",     /* U+E000, just above them */
		"\xef\xbf\xbf",     /* U+FFFF */
		"\xef\xbf\xbd",     /* U+FFFD itself */
		"\xe2\x80\xa8",     /* U+2028, valid JSON as is */
		"\xf0\x90\x80\x80", /* U+10000, smallest 4-byte */
		"\xf4\x8f\xbf\xbf", /* U+10FFFF, the largest */
	};
	char want[16];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(want, sizeof(want), "\"%s\"", ok[i]);
		EXPECT_JSONZ(ok[i], want);
	}
}

#define F "\\ufffd"

Test(json, invalid_utf8_stray_continuation_bytes)
{
	EXPECT_JSONZ("\x80", "\"" F "\"");
	EXPECT_JSONZ("\xbf", "\"" F "\"");
	EXPECT_JSONZ("a\x80\x80z", "\"a" F F "z\"");
}

Test(json, invalid_utf8_bad_lead_bytes)
{
	EXPECT_JSONZ("\xc0", "\"" F "\"");
	EXPECT_JSONZ("\xc1", "\"" F "\"");
	EXPECT_JSONZ("\xf5\x80\x80\x80", "\"" F F F F "\"");
	EXPECT_JSONZ("\xf8\x88\x80\x80\x80", "\"" F F F F F "\"");
	EXPECT_JSONZ("\xfe\xff", "\"" F F "\"");
}

Test(json, invalid_utf8_overlong_forms)
{
	EXPECT_JSONZ("\xc0\xaf", "\"" F F "\"");             /* '/' in 2 */
	EXPECT_JSONZ("\xc1\xbf", "\"" F F "\"");             /* U+7F in 2 */
	EXPECT_JSONZ("\xe0\x80\xaf", "\"" F F F "\"");       /* '/' in 3 */
	EXPECT_JSONZ("\xe0\x9f\xbf", "\"" F F F "\"");       /* U+7FF in 3 */
	EXPECT_JSONZ("\xf0\x80\x80\xaf", "\"" F F F F "\""); /* '/' in 4 */
	EXPECT_JSONZ("\xf0\x8f\xbf\xbf", "\"" F F F F "\""); /* U+FFFF in 4 */
}

Test(json, invalid_utf8_surrogates)
{
	EXPECT_JSONZ("\xed\xa0\x80", "\"" F F F "\""); /* U+D800 */
	EXPECT_JSONZ("\xed\xbf\xbf", "\"" F F F "\""); /* U+DFFF */
	/* A CESU-8 pair (U+D83D U+DE00) is six bad bytes. */
	EXPECT_JSONZ("\xed\xa0\xbd\xed\xb8\x80", "\"" F F F F F F "\"");
}

Test(json, invalid_utf8_above_u10ffff)
{
	EXPECT_JSONZ("\xf4\x90\x80\x80", "\"" F F F F "\""); /* U+110000 */
	EXPECT_JSONZ("\xf7\xbf\xbf\xbf", "\"" F F F F "\"");
}

Test(json, invalid_utf8_truncated_sequences)
{
	/* The lead byte is replaced, then parsing resumes at the next byte. */
	EXPECT_JSONZ("\xc3", "\"" F "\"");
	EXPECT_JSONZ("\xe2\x82", "\"" F F "\"");
	EXPECT_JSONZ("\xf0\x9f\x98", "\"" F F F "\"");
	EXPECT_JSONZ("a\xe2\x82", "\"a" F F "\"");
	EXPECT_JSONZ("\xc3" "A", "\"" F "A\"");
	EXPECT_JSONZ("\xe2\x82" "A", "\"" F F "A\"");
	EXPECT_JSONZ("\xf0\x9f\x98" "A", "\"" F F F "A\"");
	/* A new lead inside a sequence: the new one is valid on its own. */
	EXPECT_JSONZ("\xe2\xc3\xa9", "\"" F "\xc3\xa9\"");
	/* Valid text after the damage is kept. */
	EXPECT_JSONZ("\xff\xe2\x82\xac!", "\"" F "\xe2\x82\xac!\"");
}

Test(json, exact_fit_does_not_overflow)
{
	char got[64];
	int ovf;

	/* "abc" is 5 bytes quoted, plus the NUL. */
	cr_expect_eq(render("abc", 3, 6, got, sizeof(got), &ovf), 5);
	cr_expect_eq(ovf, 0);
	cr_expect_str_eq(got, "\"abc\"");
}

Test(json, overflow_keeps_prefix)
{
	char got[64];
	int ovf;

	cr_expect_eq(render("abc", 3, 5, got, sizeof(got), &ovf), 4);
	cr_expect_eq(ovf, 1);
	cr_expect_str_eq(got, "\"abc");

	cr_expect_eq(render("abcdef", 6, 4, got, sizeof(got), &ovf), 3);
	cr_expect_eq(ovf, 1);
	cr_expect_str_eq(got, "\"ab");
}

Test(json, overflow_never_splits_an_escape)
{
	char got[64];
	int ovf;
	size_t cap;

	/* "\"a\\n\"": room for `"a\` but not `"a\n`. */
	cr_expect_eq(render("a\n", 2, 4, got, sizeof(got), &ovf), 2);
	cr_expect_eq(ovf, 1);
	cr_expect_str_eq(got, "\"a");

	/* \u0001 is six bytes: with room for five only the quote stays. */
	cr_expect_eq(render("\x01", 1, 6, got, sizeof(got), &ovf), 1);
	cr_expect_eq(ovf, 1);
	cr_expect_str_eq(got, "\"");

	for (cap = 2; cap < 8; cap++) {
		render("\xff", 1, cap, got, sizeof(got), &ovf);
		cr_expect_eq(ovf, 1, "cap %zu", cap);
		cr_expect_str_eq(got, "\"", "cap %zu", cap);
	}
	cr_expect_eq(render("\xff", 1, 8, got, sizeof(got), &ovf), 7);
	cr_expect_eq(ovf, 1);
	cr_expect_str_eq(got, "\"" F);
}

Test(json, overflow_never_splits_a_utf8_character)
{
	char got[64];
	int ovf;

	cr_expect_eq(render("\xf0\x9f\x98\x80", 4, 5, got, sizeof(got), &ovf), 1);
	cr_expect_eq(ovf, 1);
	cr_expect_str_eq(got, "\"");
	cr_expect_eq(render("\xf0\x9f\x98\x80", 4, 6, got, sizeof(got), &ovf), 5);
	cr_expect_eq(ovf, 1);
	cr_expect_str_eq(got, "\"\xf0\x9f\x98\x80");
}

Test(json, cap_one_holds_only_the_nul)
{
	char got[64];
	int ovf;

	cr_expect_eq(render("x", 1, 1, got, sizeof(got), &ovf), 0);
	cr_expect_eq(ovf, 1);
	cr_expect_str_eq(got, "");
}

Test(json, raw_overflow_keeps_prefix_within_cap)
{
	char store[8];
	struct json_buf b;

	memset(store, CANARY, sizeof(store));
	json_buf_init(&b, store, 4);
	json_put_raw(&b, "abcdef", 6);
	cr_expect_eq(b.overflow, 1);
	cr_expect_eq(b.len, 3);
	cr_expect_str_eq(store, "abc");
	cr_expect_eq((unsigned char)store[4], CANARY);
}

Test(json, overflow_is_sticky_until_reset)
{
	char store[8];
	struct json_buf b;

	json_buf_init(&b, store, sizeof(store));
	json_put_rawz(&b, "{\"k\":");
	json_put_u64(&b, 123456); /* needs 6, 2 left: not written */
	cr_expect_eq(b.overflow, 1);
	json_put_rawz(&b, "}"); /* would fit, but must not land after a gap */
	json_put_cstr(&b, "");
	cr_expect_str_eq(store, "{\"k\":");
	cr_expect_eq(b.len, 5);

	json_buf_reset(&b);
	cr_expect_eq(b.overflow, 0);
	cr_expect_eq(b.len, 0);
	cr_expect_str_eq(store, "");
	json_put_u64(&b, 7);
	cr_expect_str_eq(store, "7");
}

Test(json, long_input_truncated_safely)
{
	uint8_t in[4096];
	char got[512];
	int ovf;
	size_t n;

	memset(in, '"', sizeof(in));
	n = render(in, sizeof(in), 100, got, sizeof(got), &ovf);
	cr_expect_eq(ovf, 1);
	/* The quote plus 49 two-byte escapes; the 50th does not fit in 98. */
	cr_expect_eq(n, 1 + 49 * 2);
	cr_expect_eq(got[n - 1], '"');
	cr_expect_eq(got[n - 2], '\\');
}

static void expect_u64(uint64_t v, const char *want)
{
	char store[32];
	struct json_buf b;

	json_buf_init(&b, store, sizeof(store));
	json_put_u64(&b, v);
	cr_expect_str_eq(store, want);
	cr_expect_eq(b.len, strlen(want));
}

static void expect_i64(int64_t v, const char *want)
{
	char store[32];
	struct json_buf b;

	json_buf_init(&b, store, sizeof(store));
	json_put_i64(&b, v);
	cr_expect_str_eq(store, want);
	cr_expect_eq(b.len, strlen(want));
}

Test(json, u64_exact_decimal)
{
	expect_u64(0, "0");
	expect_u64(1, "1");
	expect_u64(10, "10");
	expect_u64(1000000007ULL, "1000000007");
	expect_u64(UINT64_MAX, "18446744073709551615");
}

/* Written two digits a step: every length, odd and even, at its edges
 * (10^k - 1, 10^k, 10^k + 1) and through every pair value. */
Test(json, u64_every_length_and_pair)
{
	char want[32];
	uint64_t p = 1;

	for (int k = 0; k < 20; k++) {
		for (int d = -1; d <= 1; d++) {
			uint64_t v = p + (uint64_t)d;

			if (d < 0 && k == 0)
				continue;
			snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
			expect_u64(v, want);
		}
		p *= 10;
	}
	for (uint64_t v = 0; v < 1000; v++) {
		snprintf(want, sizeof(want), "%llu", (unsigned long long)(v * 1000003ULL + v));
		expect_u64(v * 1000003ULL + v, want);
	}
}

Test(json, i64_exact_decimal)
{
	expect_i64(0, "0");
	expect_i64(-1, "-1");
	expect_i64(42, "42");
	expect_i64(-90, "-90");
	expect_i64(INT64_MAX, "9223372036854775807");
	expect_i64(INT64_MIN, "-9223372036854775808");
}

Test(json, numbers_are_written_whole_or_not_at_all)
{
	char store[8];
	struct json_buf b;

	json_buf_init(&b, store, 4);
	json_put_i64(&b, -123);
	cr_expect_eq(b.overflow, 1);
	cr_expect_eq(b.len, 0);
	cr_expect_str_eq(store, "");

	json_buf_init(&b, store, 5);
	json_put_i64(&b, -123);
	cr_expect_eq(b.overflow, 0);
	cr_expect_str_eq(store, "-123");
}

Test(json, builds_a_span_line)
{
	char store[128];
	struct json_buf b;

	json_buf_init(&b, store, sizeof(store));
	json_put_rawz(&b, "{\"method\":");
	json_put_cstr(&b, "GET");
	json_put_rawz(&b, ",\"path\":");
	json_put_string(&b, (const uint8_t *)"/a\"b", 4);
	json_put_rawz(&b, ",\"status\":");
	json_put_u64(&b, 200);
	json_put_rawz(&b, ",\"delta\":");
	json_put_i64(&b, -5);
	json_put_rawz(&b, "}\n");
	cr_expect_eq(b.overflow, 0);
	cr_expect_str_eq(store, "{\"method\":\"GET\",\"path\":\"/a\\\"b\","
				"\"status\":200,\"delta\":-5}\n");
}

/* The scan goes eight bytes at a time and sees the last word again: a byte
 * to escape at any offset of a long string, in a whole word or the tail,
 * is found. */
Test(json, escape_found_at_every_offset_of_a_long_string)
{
	static const char specials[] = { '"', '\\', '\n', 0x1f, (char)0xc3 };
	static const char *const escaped[] = { "\\\"", "\\\\", "\\n", "\\u001f", "\\ufffd" };

	for (size_t len = 1; len <= 23; len++) {
		for (size_t at = 0; at < len; at++) {
			for (size_t k = 0; k < sizeof(specials); k++) {
				char in[32], want[64];
				size_t w = 0;

				memset(in, 'a', len);
				in[at] = specials[k];
				want[w++] = '"';
				memset(want + w, 'a', at);
				w += at;
				strcpy(want + w, escaped[k]);
				w += strlen(escaped[k]);
				memset(want + w, 'a', len - at - 1);
				w += len - at - 1;
				want[w++] = '"';
				want[w] = '\0';
				EXPECT_JSON(in, len, want);
			}
		}
	}
}

/* A key the code wrote goes out quoted with its colon; near the end of the
 * buffer it is written unit by unit like any string, and overflows. */
Test(json, key_is_copied_quoted_with_its_colon)
{
	char store[16];
	struct json_buf b;

	json_buf_init(&b, store, sizeof(store));
	json_put_key(&b, "http.x");
	cr_expect_str_eq(store, "\"http.x\":");
	cr_expect_eq(b.len, 9);
	cr_expect_eq(b.overflow, 0);
	json_put_key(&b, "abcd");
	cr_expect_eq(b.overflow, 1, "7 more bytes do not fit in the 6 left: the colon is cut");
	cr_expect_str_eq(store, "\"http.x\":\"abcd\"");
	json_buf_init(&b, store, sizeof(store));
	json_put_lit(&b, "{");
	json_put_key(&b, "k");
	json_put_u64(&b, 7);
	cr_expect_str_eq(store, "{\"k\":7");
}

/* json_put_key_n takes the key's first n bytes, whatever follows them. */
Test(json, key_of_a_given_length)
{
	char store[32];
	struct json_buf b;

	json_buf_init(&b, store, sizeof(store));
	json_put_key_n(&b, "url.pathXYZ", 8);
	cr_expect_str_eq(store, "\"url.path\":");
	json_put_key_n(&b, "", 0);
	cr_expect_str_eq(store, "\"url.path\":\"\":");
	cr_expect_eq(b.overflow, 0);
}
