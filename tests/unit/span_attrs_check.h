/* SPDX-License-Identifier: MIT */
/*
 * Test helpers: reading a span's typed attribute list (common/span.h) by
 * key, and rendering it whole for exact comparisons. Header-only, plain C
 * (no test framework), for unit tests and fuzzers.
 */
#ifndef ZT_SPAN_ATTRS_CHECK_H
#define ZT_SPAN_ATTRS_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "span.h"

/* What sa_str returns for a key with no string attribute. */
#define SA_ABSENT "<absent>"

/* The first attribute named key, or NULL. */
static inline const struct span_attr *sa_find(const struct span_attrs *l, const char *key)
{
	for (uint16_t i = 0; i < l->n && i < SPAN_ATTRS_MAX; i++)
		if (l->a[i].key && strcmp(l->a[i].key, key) == 0)
			return &l->a[i];
	return NULL;
}

/* How many attributes are named key. */
static inline unsigned int sa_count(const struct span_attrs *l, const char *key)
{
	unsigned int n = 0;

	for (uint16_t i = 0; i < l->n && i < SPAN_ATTRS_MAX; i++)
		n += l->a[i].key && strcmp(l->a[i].key, key) == 0;
	return n;
}

/* The value of the string attribute key, NUL-terminated (cut at a NUL it
 * holds), in one of 8 rotating static buffers; SA_ABSENT when key is not a
 * string attribute. */
static inline const char *sa_str(const struct span_attrs *l, const char *key)
{
	static char buf[8][SPAN_TEXT_MAX + 1];
	static unsigned int next;
	const struct span_attr *a = sa_find(l, key);
	char *out;
	size_t n;
	const char *v;

	if (!a || a->type != SPAN_ATTR_STR)
		return SA_ABSENT;
	out = buf[next++ % 8];
	v = span_attr_str(l, a, &n);
	memcpy(out, v, n);
	out[n] = '\0';
	return out;
}

/* The length of the string attribute key, or (size_t)-1. */
static inline size_t sa_len(const struct span_attrs *l, const char *key)
{
	const struct span_attr *a = sa_find(l, key);

	return a && a->type == SPAN_ATTR_STR ? a->len : (size_t)-1;
}

/* 1 with the value of the int attribute key in *v, else 0. */
static inline int sa_int(const struct span_attrs *l, const char *key, int64_t *v)
{
	const struct span_attr *a = sa_find(l, key);

	if (!a || a->type != SPAN_ATTR_INT)
		return 0;
	*v = a->num;
	return 1;
}

/* Attribute key as text into out (a string's bytes, an int in decimal),
 * SA_ABSENT when there is none; an int's value also in *num when num is
 * given. */
static inline void sa_text(const struct span_attrs *l, const char *key, char *out, size_t cap,
			   int64_t *num)
{
	const struct span_attr *a = sa_find(l, key);
	const char *v;
	size_t n;

	if (!a) {
		snprintf(out, cap, SA_ABSENT);
	} else if (a->type == SPAN_ATTR_INT) {
		if (num)
			*num = a->num;
		snprintf(out, cap, "%" PRId64, a->num);
	} else {
		v = span_attr_str(l, a, &n);
		snprintf(out, cap, "%.*s", (int)n, v);
	}
}

/* The whole list as text, in order: key="value" for strings (raw bytes),
 * key=123 for ints, separated by one space. A static buffer. */
static inline const char *sa_render(const struct span_attrs *l)
{
	static char out[2 * SPAN_TEXT_MAX + 64 * SPAN_ATTRS_MAX];
	size_t o = 0, n;
	const char *v;

	out[0] = '\0';
	for (uint16_t i = 0; i < l->n && i < SPAN_ATTRS_MAX; i++) {
		const struct span_attr *a = &l->a[i];
		int w;

		if (a->type == SPAN_ATTR_INT) {
			w = snprintf(out + o, sizeof(out) - o, "%s%s=%" PRId64, i ? " " : "",
				     a->key ? a->key : "(null)", a->num);
		} else {
			v = span_attr_str(l, a, &n);
			w = snprintf(out + o, sizeof(out) - o, "%s%s=\"%.*s\"", i ? " " : "",
				     a->key ? a->key : "(null)", (int)n, v);
		}
		if (w < 0 || (size_t)w >= sizeof(out) - o)
			break;
		o += (size_t)w;
	}
	return out;
}

/* The keys, in order, separated by ','. A static buffer. */
static inline const char *sa_keys(const struct span_attrs *l)
{
	static char out[64 * SPAN_ATTRS_MAX];
	size_t o = 0;

	out[0] = '\0';
	for (uint16_t i = 0; i < l->n && i < SPAN_ATTRS_MAX; i++) {
		int w = snprintf(out + o, sizeof(out) - o, "%s%s", i ? "," : "",
				 l->a[i].key ? l->a[i].key : "(null)");

		if (w < 0 || (size_t)w >= sizeof(out) - o)
			break;
		o += (size_t)w;
	}
	return out;
}

#endif /* ZT_SPAN_ATTRS_CHECK_H */
