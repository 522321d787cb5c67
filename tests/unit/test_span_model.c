// SPDX-License-Identifier: MIT
/*
 * common/span.c and common/metric_family.c: the typed attribute list (order,
 * overflow: an attribute that does not fit is dropped whole, never cut),
 * metric label values cut to their widths, the family table's bounds, and
 * address rendering.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "span.h"
#include "span_attrs_check.h"

static struct span_attrs sm_empty(void)
{
	struct span_attrs l;

	memset(&l, 0xa5, sizeof(l));
	l.n = l.text_len = l.overflow = 0;
	return l;
}

/* ---- The attribute list ---- */

Test(span_model, attrs_keep_order_types_and_values)
{
	struct span_attrs l = sm_empty();
	const struct span_attr *a;
	size_t n;
	const char *v;

	cr_assert_eq(span_attrs_cstr(&l, "a.str", "hello"), 0);
	cr_assert_eq(span_attrs_int(&l, "b.int", -42), 0);
	cr_assert_eq(span_attrs_str(&l, "c.bytes", "x\0y", 3), 0);
	cr_assert_eq(span_attrs_cstr(&l, "d.null", NULL), 0);
	cr_assert_eq(span_attrs_int(&l, "e.max", INT64_MAX), 0);
	cr_assert_eq(span_attrs_int(&l, "f.min", INT64_MIN), 0);
	cr_assert_eq(span_attrs_str(&l, "g.empty", "ignored", 0), 0);
	cr_expect_eq(l.n, 7);
	cr_expect_eq(l.overflow, 0);
	cr_expect_eq(l.text_len, 5 + 3, "ints and empty strings take no text");
	cr_expect_str_eq(sa_keys(&l), "a.str,b.int,c.bytes,d.null,e.max,f.min,g.empty");
	cr_expect_str_eq(sa_render(&l), "a.str=\"hello\" b.int=-42 c.bytes=\"x\" d.null=\"\" "
					 "e.max=9223372036854775807 f.min=-9223372036854775808 "
					 "g.empty=\"\"");
	a = sa_find(&l, "c.bytes");
	cr_assert_not_null(a);
	cr_expect_eq(a->type, SPAN_ATTR_STR);
	v = span_attr_str(&l, a, &n);
	cr_expect_eq(n, 3, "a NUL inside a value is kept");
	cr_expect_eq(memcmp(v, "x\0y", 3), 0);
	a = sa_find(&l, "b.int");
	cr_assert_not_null(a);
	cr_expect_eq(a->type, SPAN_ATTR_INT);
	cr_expect_eq(a->num, -42);
	/* string values sit back to back in the text, in order */
	cr_expect_eq(memcmp(l.text, "hellox\0y", 8), 0);
}

Test(span_model, too_many_attributes_overflow_and_drop_whole)
{
	struct span_attrs l = sm_empty();
	char key[SPAN_ATTRS_MAX][16];

	for (int i = 0; i < SPAN_ATTRS_MAX; i++) {
		snprintf(key[i], sizeof(key[i]), "k%d", i);
		if (i % 2)
			cr_assert_eq(span_attrs_int(&l, key[i], i), 0);
		else
			cr_assert_eq(span_attrs_cstr(&l, key[i], "v"), 0);
	}
	cr_expect_eq(l.n, SPAN_ATTRS_MAX);
	cr_expect_eq(l.overflow, 0, "exactly full is no overflow");
	cr_expect_eq(span_attrs_int(&l, "one.more", 1), -1);
	cr_expect_eq(l.overflow, 1);
	cr_expect_eq(span_attrs_cstr(&l, "one.more", "x"), -1);
	cr_expect_eq(span_attrs_str(&l, "one.more", "", 0), -1, "even an empty one");
	cr_expect_eq(l.n, SPAN_ATTRS_MAX, "nothing added");
	cr_expect_eq(l.text_len, SPAN_ATTRS_MAX / 2, "no text taken by the refused");
	cr_expect_null(sa_find(&l, "one.more"));
	/* what was there is intact */
	for (int i = 0; i < SPAN_ATTRS_MAX; i++) {
		int64_t v = -1;

		if (i % 2) {
			cr_expect(sa_int(&l, key[i], &v));
			cr_expect_eq(v, i);
		} else {
			cr_expect_str_eq(sa_str(&l, key[i]), "v");
		}
	}
}

/* Each attribute keeps its key's length for the exporters; a key longer
 * than that field holds is refused like an attribute that does not fit. */
Test(span_model, keys_keep_their_length)
{
	struct span_attrs l = sm_empty();
	static char long_key[SPAN_ATTR_KEY_MAX + 2];

	cr_assert_eq(span_attrs_cstr(&l, "url.path", "/a"), 0);
	cr_assert_eq(span_attrs_int(&l, "server.port", 80), 0);
	cr_assert_eq(span_attrs_list(&l, "db.x", "a\0", 2), 0);
	cr_expect_eq(l.a[0].key_len, 8);
	cr_expect_eq(l.a[1].key_len, 11);
	cr_expect_eq(l.a[2].key_len, 4);
	memset(long_key, 'k', SPAN_ATTR_KEY_MAX);
	cr_assert_eq(span_attrs_int(&l, long_key, 1), 0);
	cr_expect_eq(l.a[3].key_len, SPAN_ATTR_KEY_MAX);
	cr_expect_eq(l.overflow, 0);
	long_key[SPAN_ATTR_KEY_MAX] = 'k';
	cr_expect_eq(span_attrs_int(&l, long_key, 1), -1);
	cr_expect_eq(span_attrs_cstr(&l, long_key, "v"), -1);
	cr_expect_eq(l.overflow, 1);
	cr_expect_eq(l.n, 4);
	cr_expect_eq(l.text_len, 4);
}

Test(span_model, too_much_text_overflows_and_cuts_nothing)
{
	struct span_attrs l = sm_empty();
	static char big[SPAN_TEXT_MAX + 1];

	memset(big, 'b', sizeof(big));
	cr_assert_eq(span_attrs_str(&l, "big", big, SPAN_TEXT_MAX - 10), 0);
	cr_expect_eq(l.text_len, SPAN_TEXT_MAX - 10);
	/* 11 bytes do not fit in the 10 left: refused whole, not cut to 10 */
	cr_expect_eq(span_attrs_str(&l, "eleven", "0123456789a", 11), -1);
	cr_expect_eq(l.overflow, 1);
	cr_expect_eq(l.n, 1);
	cr_expect_eq(l.text_len, SPAN_TEXT_MAX - 10);
	cr_expect_null(sa_find(&l, "eleven"));
	/* ints need no text: still taken */
	cr_expect_eq(span_attrs_int(&l, "n", 5), 0);
	/* exactly what is left fits, and then only empty strings */
	cr_expect_eq(span_attrs_str(&l, "ten", "0123456789", 10), 0);
	cr_expect_eq(l.text_len, SPAN_TEXT_MAX);
	cr_expect_eq(span_attrs_cstr(&l, "one", "x"), -1);
	cr_expect_eq(span_attrs_cstr(&l, "empty", ""), 0);
	cr_expect_eq(l.n, 4);
	cr_expect_eq(l.overflow, 1, "overflow stays set once an attribute was dropped");
	cr_expect_str_eq(sa_keys(&l), "big,n,ten,empty");
	cr_expect_str_eq(sa_str(&l, "ten"), "0123456789");
	cr_expect_eq(sa_len(&l, "big"), SPAN_TEXT_MAX - 10);

	/* a single value longer than the whole text is refused at once */
	l = sm_empty();
	cr_expect_eq(span_attrs_str(&l, "huge", big, SPAN_TEXT_MAX + 1), -1);
	cr_expect_eq(l.n, 0);
	cr_expect_eq(l.text_len, 0);
	cr_expect_eq(l.overflow, 1);
	cr_expect_eq(span_attrs_str(&l, "whole", big, SPAN_TEXT_MAX), 0);
	cr_expect_eq(sa_len(&l, "whole"), SPAN_TEXT_MAX);
}

Test(span_model, endpoints_in_their_order)
{
	struct span s;

	memset(&s, 0, sizeof(s));
	strcpy(s.server.address, "10.0.0.1");
	s.server.port = 8080;
	strcpy(s.client.address, "2001:db8::2");
	s.client.port = 40000;
	strcpy(s.peer.address, "2001:db8::2");
	s.peer.port = 65535;
	span_attrs_endpoints(&s.attrs, &s);
	cr_expect_str_eq(sa_render(&s.attrs),
			 "server.address=\"10.0.0.1\" server.port=8080 "
			 "client.address=\"2001:db8::2\" client.port=40000 "
			 "network.peer.address=\"2001:db8::2\" network.peer.port=65535");
	cr_expect_eq(s.attrs.overflow, 0);
}

/* ---- Metric label values ---- */

Test(span_model, metric_values_cut_to_their_label_width)
{
	const struct metric_family_desc *d = &metric_families[METRIC_HTTP_SERVER];
	static char method[64], route[400];
	const char *values[3];
	struct span_metric m;

	memset(method, 'M', sizeof(method) - 1);
	memset(route, 'r', sizeof(route) - 1);
	values[0] = method;
	values[1] = route;
	values[2] = "123456789";
	memset(&m, 0xa5, sizeof(m));
	span_metric_set(&m, METRIC_HTTP_SERVER, values);
	cr_expect_eq(m.family, METRIC_HTTP_SERVER);
	cr_assert_eq(d->nlabels, 3);
	cr_expect_eq(strlen(span_metric_label(&m, 0)), d->label[0].width - 1);
	cr_expect_eq(strncmp(span_metric_label(&m, 0), method, d->label[0].width - 1), 0);
	cr_expect_eq(strlen(span_metric_label(&m, 1)), d->label[1].width - 1);
	cr_expect_eq(strncmp(span_metric_label(&m, 1), route, d->label[1].width - 1), 0);
	cr_expect_eq(strlen(span_metric_label(&m, 2)), d->label[2].width - 1);
	cr_expect_eq(strncmp(span_metric_label(&m, 2), "123456789", d->label[2].width - 1), 0);

	/* short values whole; NULL is "" */
	values[0] = "GET";
	values[1] = NULL;
	values[2] = "200";
	span_metric_set(&m, METRIC_HTTP_CLIENT, values);
	cr_expect_eq(m.family, METRIC_HTTP_CLIENT);
	cr_expect_str_eq(span_metric_label(&m, 0), "GET");
	cr_expect_str_eq(span_metric_label(&m, 1), "");
	cr_expect_str_eq(span_metric_label(&m, 2), "200");
}

Test(span_model, metric_labels_past_the_family_are_empty)
{
	static const char *const values[METRIC_LABELS_MAX] = { "a", "b", "c" };
	struct span_metric m;

	for (uint32_t f = METRIC_NONE + 1; f < METRIC_FAMILY_COUNT; f++) {
		const struct metric_family_desc *d = &metric_families[f];

		span_metric_set(&m, (uint8_t)f, values);
		cr_expect_eq(m.family, f);
		for (uint32_t i = 0; i < d->nlabels; i++)
			cr_expect_str_eq(span_metric_label(&m, i), values[i], "family %u label %u",
					 f, i);
		for (uint32_t i = d->nlabels; i <= METRIC_LABELS_MAX; i++)
			cr_expect_str_eq(span_metric_label(&m, i), "", "family %u label %u", f, i);
		cr_expect_str_eq(span_metric_label(&m, UINT32_MAX), "");
	}
	/* no family, or one past the table: nothing recorded, every label "" */
	span_metric_set(&m, METRIC_NONE, values);
	cr_expect_eq(m.family, METRIC_NONE);
	cr_expect_str_eq(span_metric_label(&m, 0), "");
	span_metric_set(&m, METRIC_FAMILY_COUNT, values);
	cr_expect_eq(m.family, METRIC_NONE);
	cr_expect_str_eq(span_metric_label(&m, 0), "");
	span_metric_set(&m, 255, values);
	cr_expect_eq(m.family, METRIC_NONE);
	/* a hand-made metric naming no known family reads as "" too */
	memset(&m, 0, sizeof(m));
	m.family = 200;
	strcpy(m.text, "x");
	cr_expect_str_eq(span_metric_label(&m, 0), "");
}

/*
 * Every described family must fit the fixed room a span and the metrics
 * registry keep for it: a newly described family that does not is caught
 * here, not by a cut label or a registry that refuses to start.
 */
Test(span_model, every_metric_family_fits)
{
	cr_expect_null(metric_families[METRIC_NONE].name, "METRIC_NONE has no name");
	cr_expect_eq(metric_families[METRIC_NONE].nlabels, 0);
	for (uint32_t f = METRIC_NONE + 1; f < METRIC_FAMILY_COUNT; f++) {
		const struct metric_family_desc *d = &metric_families[f];
		size_t sum = 0;

		cr_expect_not_null(d->name, "family %u has no name", f);
		cr_expect_not_null(d->help, "family %u has no help", f);
		cr_expect_leq(d->nlabels, METRIC_LABELS_MAX, "family %u: %u labels", f, d->nlabels);
		for (uint32_t i = 0; i < d->nlabels && i < METRIC_LABELS_MAX; i++) {
			cr_expect_not_null(d->label[i].name, "family %u label %u", f, i);
			cr_expect_geq(d->label[i].width, 2, "family %u label %u: no room", f, i);
			sum += d->label[i].width;
		}
		cr_expect_leq(sum, METRIC_LABELS_TEXT_MAX, "family %u: labels take %zu bytes", f,
			      sum);
		for (uint32_t g = METRIC_NONE + 1; g < f; g++)
			if (d->name && metric_families[g].name)
				cr_expect_str_neq(d->name, metric_families[g].name,
						  "families %u and %u share a name", g, f);
	}
}

/* Values at their widths, every label of every family, all kept whole. */
Test(span_model, every_family_keeps_full_width_values)
{
	static char buf[METRIC_LABELS_MAX][METRIC_LABELS_TEXT_MAX + 1];
	const char *values[METRIC_LABELS_MAX];
	struct span_metric m;

	for (uint32_t f = METRIC_NONE + 1; f < METRIC_FAMILY_COUNT; f++) {
		const struct metric_family_desc *d = &metric_families[f];

		for (uint32_t i = 0; i < METRIC_LABELS_MAX; i++) {
			size_t w = i < d->nlabels ? d->label[i].width : 1;

			cr_assert(w >= 1 && w <= METRIC_LABELS_TEXT_MAX, "family %u label %u", f, i);
			memset(buf[i], 'a' + (int)i, w - 1);
			buf[i][w - 1] = '\0';
			values[i] = buf[i];
		}
		span_metric_set(&m, (uint8_t)f, values);
		for (uint32_t i = 0; i < d->nlabels && i < METRIC_LABELS_MAX; i++)
			cr_expect_str_eq(span_metric_label(&m, i), buf[i], "family %u label %u", f, i);
	}
}

/* ---- Addresses ---- */

Test(span_model, format_addr_forms)
{
	uint8_t a[16];
	char out[SPAN_ADDR_MAX];

	memset(a, 0, sizeof(a));
	span_format_addr(out, sizeof(out), AF_INET6, a);
	cr_expect_str_eq(out, "::");
	a[15] = 1;
	span_format_addr(out, sizeof(out), AF_INET6, a);
	cr_expect_str_eq(out, "::1");
	/* only ::ffff:0:0/96 is v4-mapped; ::a.b.c.d stays IPv6 */
	inet_pton(AF_INET6, "::192.0.2.1", a);
	span_format_addr(out, sizeof(out), AF_INET6, a);
	cr_expect_str_eq(out, "::192.0.2.1");
	inet_pton(AF_INET6, "::fffe:192.0.2.1", a);
	span_format_addr(out, sizeof(out), AF_INET6, a);
	cr_expect_str_eq(out, "::fffe:c000:201");
	inet_pton(AF_INET6, "::ffff:127.0.0.1", a);
	span_format_addr(out, sizeof(out), AF_INET6, a);
	cr_expect_str_eq(out, "127.0.0.1");
	memset(a, 0, sizeof(a));
	inet_pton(AF_INET, "255.255.255.255", a);
	span_format_addr(out, sizeof(out), AF_INET, a);
	cr_expect_str_eq(out, "255.255.255.255");
	inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", a);
	span_format_addr(out, sizeof(out), AF_INET6, a);
	cr_expect_str_eq(out, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	/* a family the kernel never sends (0: tuple unknown) renders as IPv6 */
	memset(a, 0, sizeof(a));
	span_format_addr(out, sizeof(out), 0, a);
	cr_expect_str_eq(out, "::");
	/* too small a buffer: empty, not truncated garbage */
	inet_pton(AF_INET6, "2001:db8::1", a);
	span_format_addr(out, 4, AF_INET6, a);
	cr_expect_str_eq(out, "");
}

/* A queue's copy holds every field and attribute of the span, and stops
 * where the attributes' text does: the bytes after it are not written. */
Test(span_model, span_copy_stops_at_the_text_in_use)
{
	static struct span src, dst;
	size_t text_off = offsetof(struct span, attrs) + offsetof(struct span_attrs, text);
	const char *v;
	size_t n;

	memset(&src, 0, sizeof(src));
	memset(&dst, 0x5a, sizeof(dst));
	src.pid = 42;
	strcpy(src.name, "GET /x");
	span_attrs_str(&src.attrs, "url.path", "/x", 2);
	span_attrs_int(&src.attrs, "http.response.status_code", 200);
	span_attrs_str(&src.attrs, "url.query", "a=1", 3);
	span_copy(&dst, &src);
	cr_expect_eq(memcmp(&dst, &src, text_off + 5), 0);
	cr_expect_eq(dst.pid, 42);
	cr_expect_str_eq(dst.name, "GET /x");
	cr_assert_eq(dst.attrs.n, 3);
	v = span_attr_str(&dst.attrs, &dst.attrs.a[2], &n);
	cr_expect_eq(n, 3);
	cr_expect_eq(memcmp(v, "a=1", 3), 0);
	for (size_t i = text_off + 5; i < sizeof(dst); i++)
		cr_assert_eq(((const uint8_t *)&dst)[i], 0x5a, "byte %zu past the text was written", i);
}

Test(span_model, procinfo_copy_stops_at_the_attributes_in_use)
{
	static struct procinfo src, dst;
	size_t used = offsetof(struct procinfo, attrs) + 2 * sizeof(src.attrs[0]);

	memset(&src, 0x11, sizeof(src));
	memset(&dst, 0x5a, sizeof(dst));
	src.n_attrs = 2;
	procinfo_copy(&dst, &src);
	cr_expect_eq(memcmp(&dst, &src, used), 0);
	for (size_t i = used; i < sizeof(dst); i++)
		cr_assert_eq(((const uint8_t *)&dst)[i], 0x5a, "byte %zu past the attributes", i);
	src.n_attrs = UINT32_MAX; /* never past the array */
	procinfo_copy(&dst, &src);
	cr_expect_eq(memcmp(&dst, &src, offsetof(struct procinfo, attrs) + sizeof(src.attrs)), 0);
}
