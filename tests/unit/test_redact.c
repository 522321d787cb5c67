// SPDX-License-Identifier: MIT
/* user/redact.c: secret-looking query keys and their redaction. */
#include <criterion/criterion.h>
#include <string.h>

#include "redact.h"

#define CANARY 0x5a

/* Redacts q into an out_cap buffer guarded by canaries; copies to got. */
static size_t redact(const char *q, size_t len, size_t out_cap, char *got)
{
	char out[16384];
	size_t n, i;

	cr_assert(out_cap + 16 <= sizeof(out));
	memset(out, CANARY, sizeof(out));
	n = redact_query(q, len, out, out_cap);
	for (i = out_cap; i < out_cap + 16; i++)
		cr_assert_eq((unsigned char)out[i], CANARY,
			     "byte %zu past out_cap %zu written", i, out_cap);
	if (out_cap == 0) {
		cr_assert_eq(n, 0);
		got[0] = '\0';
		return 0;
	}
	cr_assert_lt(n, out_cap);
	cr_assert_eq(out[n], '\0');
	cr_assert_eq(strlen(out), n);
	memcpy(got, out, n + 1);
	return n;
}

#define EXPECT_REDACT(q, want)                                                 \
	do {                                                                   \
		char got_[16384];                                              \
		size_t n_ = redact((q), strlen(q), 256, got_);                 \
		cr_expect_str_eq(got_, (want), "query %s", (q));               \
		cr_expect_eq(n_, strlen(want), "query %s", (q));               \
	} while (0)

#define IS_SECRET(k) redact_key_is_secret((k), strlen(k))

Test(redact, key_every_listed_word_is_secret)
{
	static const char *const words[] = {
		"token", "password", "passwd", "pwd", "secret", "key",
		"auth", "signature", "sig", "credential", "session", "jwt",
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		cr_expect_eq(IS_SECRET(words[i]), 1, "%s", words[i]);
}

Test(redact, key_match_is_case_insensitive_substring)
{
	cr_expect_eq(IS_SECRET("TOKEN"), 1);
	cr_expect_eq(IS_SECRET("Password"), 1);
	cr_expect_eq(IS_SECRET("access_token"), 1);
	cr_expect_eq(IS_SECRET("api_key"), 1);
	cr_expect_eq(IS_SECRET("X-Api-Key"), 1);
	cr_expect_eq(IS_SECRET("AuthCode"), 1);
	cr_expect_eq(IS_SECRET("X-Amz-Signature"), 1);
	cr_expect_eq(IS_SECRET("sessionid"), 1);
	cr_expect_eq(IS_SECRET("client_secret"), 1);
	cr_expect_eq(IS_SECRET("myJWT"), 1);
	cr_expect_eq(IS_SECRET("user_credentials"), 1);
}

Test(redact, key_plain_words_not_secret)
{
	cr_expect_eq(IS_SECRET("page"), 0);
	cr_expect_eq(IS_SECRET("q"), 0);
	cr_expect_eq(IS_SECRET("user"), 0);
	cr_expect_eq(IS_SECRET("id"), 0);
	cr_expect_eq(IS_SECRET("ke"), 0);
	cr_expect_eq(IS_SECRET(""), 0);
	cr_expect_eq(redact_key_is_secret(NULL, 4), 0);
	/* Percent-encoding is not decoded: "pass%77ord" is not "password". */
	cr_expect_eq(IS_SECRET("pass%77ord"), 0);
	/* Only len bytes count. */
	cr_expect_eq(redact_key_is_secret("tokenizer", 4), 0);
	cr_expect_eq(redact_key_is_secret("tokenizer", 5), 1);
}

Test(redact, query_secret_value_replaced_whole)
{
	EXPECT_REDACT("a=1&token=x&b", "a=1&token=REDACTED&b");
	EXPECT_REDACT("Password=p%20w", "Password=REDACTED");
	EXPECT_REDACT("api_key=1", "api_key=REDACTED");
	EXPECT_REDACT("token=a=b&c=d", "token=REDACTED&c=d");
	EXPECT_REDACT("sig=abc&session=def&x=1",
		      "sig=REDACTED&session=REDACTED&x=1");
	EXPECT_REDACT("X-Amz-Credential=AKIA%2F20240101&X-Amz-Date=1",
		      "X-Amz-Credential=REDACTED&X-Amz-Date=1");
}

Test(redact, query_plain_values_kept)
{
	EXPECT_REDACT("page=2", "page=2");
	EXPECT_REDACT("q=hello+world&page=2", "q=hello+world&page=2");
	/* A secret-looking value under a plain key is not a key. */
	EXPECT_REDACT("next=token", "next=token");
}

Test(redact, query_empty_value_still_redacted)
{
	EXPECT_REDACT("token=", "token=REDACTED");
	EXPECT_REDACT("a=1&pwd=&b=2", "a=1&pwd=REDACTED&b=2");
}

Test(redact, query_keys_without_equals_kept)
{
	EXPECT_REDACT("token", "token");
	EXPECT_REDACT("debug&token=x", "debug&token=REDACTED");
	EXPECT_REDACT("session&x=1", "session&x=1");
}

Test(redact, query_separators_and_empty_parts)
{
	EXPECT_REDACT("", "");
	EXPECT_REDACT("&", "&");
	EXPECT_REDACT("&&", "&&");
	EXPECT_REDACT("a=1&", "a=1&");
	EXPECT_REDACT("&token=x", "&token=REDACTED");
	EXPECT_REDACT("=x", "=x");
	/* Only '&' separates: the ';' form is one value of key "a". */
	EXPECT_REDACT("a=1;token=x", "a=1;token=x");
	EXPECT_REDACT("token=x;a=1", "token=REDACTED");
}

Test(redact, query_uses_len_and_stops_at_nul)
{
	char got[64];

	cr_expect_eq(redact("token=abc&x=1", 9, 64, got), 14);
	cr_expect_str_eq(got, "token=REDACTED");
	cr_expect_eq(redact("a=1\0token=x", 11, 64, got), 3);
	cr_expect_str_eq(got, "a=1");
	cr_expect_eq(redact(NULL, 5, 64, got), 0);
	cr_expect_str_eq(got, "");
}

Test(redact, query_truncates_to_out_cap_minus_one)
{
	char got[64];

	cr_expect_eq(redact("token=secretvalue", 17, 10, got), 9);
	cr_expect_str_eq(got, "token=RED");
	cr_expect_eq(redact("a=1", 3, 1, got), 0);
	cr_expect_str_eq(got, "");
	cr_expect_eq(redact("a=1", 3, 0, got), 0);
	cr_expect_eq(redact("a=1&b=2", 7, 5, got), 4);
	cr_expect_str_eq(got, "a=1&");
}

Test(redact, query_truncation_never_leaks_a_secret)
{
	const char *q = "a=1&session=s3cr3tv4lue&b=2";
	char got[64];
	size_t cap;

	for (cap = 1; cap < 48; cap++) {
		redact(q, strlen(q), cap, got);
		cr_expect_null(strstr(got, "s3cr"), "cap %zu: %s", cap, got);
	}
	cr_expect_str_eq(got, "a=1&session=REDACTED&b=2");
}

Test(redact, query_very_long_input_truncated_safely)
{
	static char q[12001];
	char got[16384];
	size_t i;

	for (i = 0; i < 12000; i += 12)
		memcpy(q + i, "token=abcde&", 12);
	cr_expect_eq(redact(q, 12000, 64, got), 63);
	cr_expect_eq(strncmp(got, "token=REDACTED&token=REDACTED&", 30), 0);
	/* 1000 parameters of 15 bytes, the last with its trailing '&'. */
	cr_expect_eq(redact(q, 12000, 16000, got), 15000);
	cr_expect_null(strstr(got, "abcde"));
}
