// SPDX-License-Identifier: MIT
/* user/route.c: route templates and request-target splitting. */
#include <criterion/criterion.h>
#include <string.h>

#include "route.h"

#define CANARY 0x5a

/* Templates path into an out_cap buffer guarded by canaries; returns the
 * result in got (NUL-terminated) and checks the length it reported. */
static size_t templ(const char *path, size_t len, size_t out_cap, char *got)
{
	char out[16384];
	size_t n, i;

	cr_assert(out_cap + 16 <= sizeof(out));
	memset(out, CANARY, sizeof(out));
	n = route_template(path, len, out, out_cap);
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

#define EXPECT_TEMPLATE(path, want)                                            \
	do {                                                                   \
		char got_[16384];                                              \
		size_t n_ = templ((path), strlen(path), 256, got_);            \
		cr_expect_str_eq(got_, (want), "path %s", (path));             \
		cr_expect_eq(n_, strlen(want), "path %s", (path));             \
	} while (0)

Test(route, template_decimal_segments)
{
	EXPECT_TEMPLATE("/users/123/orders/9", "/users/{id}/orders/{id}");
	EXPECT_TEMPLATE("/0", "/{id}");
	EXPECT_TEMPLATE("/users/007", "/users/{id}");
}

Test(route, template_uuid_any_case)
{
	EXPECT_TEMPLATE("/items/550e8400-e29b-41d4-a716-446655440000",
			"/items/{id}");
	EXPECT_TEMPLATE("/items/550E8400-E29B-41D4-A716-446655440000/x",
			"/items/{id}/x");
}

Test(route, template_not_quite_uuid_kept)
{
	/* Dashes in the wrong places, a non-hex digit, one digit short. */
	EXPECT_TEMPLATE("/i/550e8400e-29b-41d4-a716-446655440000",
			"/i/550e8400e-29b-41d4-a716-446655440000");
	EXPECT_TEMPLATE("/i/550e8400-e29b-41d4-a716-44665544000g",
			"/i/550e8400-e29b-41d4-a716-44665544000g");
	EXPECT_TEMPLATE("/i/550e8400-e29b-41d4-a716-44665544000",
			"/i/550e8400-e29b-41d4-a716-44665544000");
}

Test(route, template_long_hex_segments)
{
	EXPECT_TEMPLATE("/blob/0123456789abcdef0123", "/blob/{id}");
	EXPECT_TEMPLATE("/blob/0123456789ABCDEF", "/blob/{id}"); /* 16 */
	EXPECT_TEMPLATE("/blob/0123456789abcde", "/blob/0123456789abcde"); /* 15 */
	EXPECT_TEMPLATE("/blob/0123456789abcdeg", "/blob/0123456789abcdeg");
	EXPECT_TEMPLATE("/commit/deadbeef", "/commit/deadbeef");
}

Test(route, template_words_kept)
{
	EXPECT_TEMPLATE("/v1/abc", "/v1/abc");
	EXPECT_TEMPLATE("/api/v2/users", "/api/v2/users");
	EXPECT_TEMPLATE("/a1b2", "/a1b2");
	EXPECT_TEMPLATE("/-1", "/-1");
	EXPECT_TEMPLATE("/1.5", "/1.5");
}

Test(route, template_root_trailing_and_empty_segments)
{
	EXPECT_TEMPLATE("/", "/");
	EXPECT_TEMPLATE("/users/", "/users/");
	EXPECT_TEMPLATE("/users/42/", "/users/{id}/");
	EXPECT_TEMPLATE("//", "//");
	EXPECT_TEMPLATE("/a//1", "/a//{id}");
	EXPECT_TEMPLATE("///7///", "///{id}///");
}

Test(route, template_non_origin_forms_copied)
{
	EXPECT_TEMPLATE("*", "*");
	EXPECT_TEMPLATE("", "");
	EXPECT_TEMPLATE("abc/123", "abc/123");
	EXPECT_TEMPLATE("example.com:443", "example.com:443");
}

Test(route, template_uses_len_not_nul)
{
	char got[64];

	cr_expect_eq(templ("/a/123XYZ", 6, 64, got), 7);
	cr_expect_str_eq(got, "/a/{id}");
	cr_expect_eq(templ(NULL, 10, 64, got), 0);
	cr_expect_str_eq(got, "");
}

Test(route, template_embedded_nul_ends_path)
{
	char got[64];

	cr_expect_eq(templ("/a/1\0/2", 7, 64, got), 7);
	cr_expect_str_eq(got, "/a/{id}");
}

Test(route, template_truncates_to_out_cap_minus_one)
{
	char got[64];

	cr_expect_eq(templ("/users/123", 10, 8, got), 7);
	cr_expect_str_eq(got, "/users/");
	cr_expect_eq(templ("/users/123", 10, 10, got), 9);
	cr_expect_str_eq(got, "/users/{i");
	cr_expect_eq(templ("/users/123", 10, 12, got), 11);
	cr_expect_str_eq(got, "/users/{id}");
	cr_expect_eq(templ("*", 1, 1, got), 0);
	cr_expect_str_eq(got, "");
	cr_expect_eq(templ("/1", 2, 1, got), 0);
	cr_expect_str_eq(got, "");
	cr_expect_eq(templ("/1", 2, 2, got), 1);
	cr_expect_str_eq(got, "/");
	cr_expect_eq(templ("/1", 2, 0, got), 0);
}

Test(route, template_grows_past_input_length)
{
	char got[64];

	/* "{id}" is longer than a one-digit segment. */
	cr_expect_eq(templ("/1/2/3", 6, 64, got), 15);
	cr_expect_str_eq(got, "/{id}/{id}/{id}");
}

Test(route, template_very_long_inputs_truncated_safely)
{
	static char path[10001];
	char got[16384];
	size_t i;

	for (i = 0; i < 10000; i++)
		path[i] = (i % 10 == 0) ? '/' : 'a';
	cr_expect_eq(templ(path, 10000, 64, got), 63);
	cr_expect_eq(memcmp(got, path, 63), 0);

	path[0] = '/';
	memset(path + 1, '9', 9999);
	cr_expect_eq(templ(path, 10000, 64, got), 5);
	cr_expect_str_eq(got, "/{id}");

	for (i = 0; i < 4000; i++)
		path[i] = (i % 2 == 0) ? '/' : '5';
	cr_expect_eq(templ(path, 4000, 16000, got), 10000);
	cr_expect_eq(templ(path, 4000, 100, got), 99);
	cr_expect_eq(strncmp(got, "/{id}/{id}", 10), 0);
}

Test(route, template_is_idempotent)
{
	char once[64], twice[64];

	templ("/users/123/orders/9", 19, 64, once);
	templ(once, strlen(once), 64, twice);
	cr_expect_str_eq(twice, once);
}

struct split_case {
	const char *target;
	const char *path;  /* expected path text */
	const char *query; /* NULL when there is none */
};

static void expect_split(const struct split_case *c)
{
	const char *path = NULL, *query = (const char *)1;
	size_t qlen = 99, plen;

	plen = route_split_target(c->target, strlen(c->target), &path, &query,
				  &qlen);
	cr_assert_not_null(path, "%s", c->target);
	cr_expect_eq(plen, strlen(c->path), "%s: path length", c->target);
	cr_expect_eq(strncmp(path, c->path, plen), 0, "%s: path '%.*s'",
		     c->target, (int)plen, path);
	if (!c->query) {
		cr_expect_null(query, "%s: query should be NULL", c->target);
		cr_expect_eq(qlen, 0, "%s", c->target);
		return;
	}
	cr_assert_not_null(query, "%s: query missing", c->target);
	cr_expect_eq(qlen, strlen(c->query), "%s: query length", c->target);
	cr_expect_eq(strncmp(query, c->query, qlen), 0, "%s: query", c->target);
	/* The query always points into the target. */
	cr_expect(query >= c->target &&
		  query + qlen <= c->target + strlen(c->target));
}

Test(route, split_origin_form)
{
	static const struct split_case cases[] = {
		{ "/a/b?x=1#f", "/a/b", "x=1" },
		{ "/a", "/a", NULL },
		{ "/", "/", NULL },
		{ "/a?", "/a", "" },
		{ "/a?x=1&y=2", "/a", "x=1&y=2" },
		{ "/a#f", "/a", NULL },
		{ "/a#f?x=1", "/a", NULL },
		{ "/a?x=1#", "/a", "x=1" },
		{ "/a?x?y=1", "/a", "x?y=1" },
		{ "?x", "", "x" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_split(&cases[i]);
}

Test(route, split_absolute_form)
{
	static const struct split_case cases[] = {
		{ "http://h:80/p?q", "/p", "q" },
		{ "http://h", "/", NULL },
		{ "http://h?q=1", "/", "q=1" },
		{ "http://h#f", "/", NULL },
		{ "https://example.com:8443/api/v1?x=1#frag", "/api/v1", "x=1" },
		{ "HTTP://H/Users/1", "/Users/1", NULL },
		{ "svc+ws.v1-x://h/p", "/p", NULL },
		{ "http://u@h:1/", "/", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_split(&cases[i]);
}

Test(route, split_absolute_form_empty_path_is_static_root)
{
	const char *path, *query;
	size_t qlen;
	char target[] = "http://h";

	cr_expect_eq(route_split_target(target, 8, &path, &query, &qlen), 1);
	cr_expect_str_eq(path, "/");
	cr_expect(path < target || path >= target + sizeof(target),
		  "path must not point into the target");
}

Test(route, split_asterisk_authority_and_odd_forms)
{
	static const struct split_case cases[] = {
		{ "*", "*", NULL },
		{ "", "", NULL },
		{ "example.com:443", "example.com:443", NULL },
		{ "1http://x/p", "1http://x/p", NULL }, /* schemes start with a letter */
		{ "http:/x", "http:/x", NULL },
		{ "://x/p", "://x/p", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_split(&cases[i]);
}

Test(route, split_uses_len_and_allows_null_outputs)
{
	const char *path, *query;
	size_t qlen;

	/* Only the first 6 bytes count: no query is seen. */
	cr_expect_eq(route_split_target("/a/b/c?x=1", 6, &path, &query, &qlen), 6);
	cr_expect_null(query);
	cr_expect_eq(route_split_target("/a?xyz", 4, &path, &query, &qlen), 2);
	cr_expect_eq(qlen, 1);
	cr_expect_eq(query[0], 'x');
	cr_expect_eq(route_split_target("/a?b", 4, NULL, NULL, NULL), 2);
	cr_expect_eq(route_split_target(NULL, 5, &path, &query, &qlen), 0);
	cr_expect_str_eq(path, "");
	cr_expect_null(query);
}

Test(route, split_then_template)
{
	const char *target = "http://api:8080/users/42/orders?id=7", *path, *q;
	char out[64];
	size_t plen, qlen;

	plen = route_split_target(target, strlen(target), &path, &q, &qlen);
	route_template(path, plen, out, sizeof(out));
	cr_expect_str_eq(out, "/users/{id}/orders");
	cr_expect_eq(qlen, 4);
}
