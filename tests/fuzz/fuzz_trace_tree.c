// SPDX-License-Identifier: MIT
/*
 * Fuzzes the trace tree buffer (exporters/trace_tree.c) with a random
 * sequence of add / tick / flush.
 *
 * Input: 3 bytes of settings (pool size 1..64, grace, wait), then ops. An add
 * draws its ids from tiny alphabets (3 or 16 trace ids, 8 span ids) so traces
 * share spans, duplicate ids, self-parents and cycles are common; it is
 * built as the agent builds an HTTP span (span_fixture.h) from strings raw
 * from the input (control bytes), and its name, code and other strings may
 * then be overwritten raw (no NUL). The clock mostly
 * moves forward, sometimes back.
 *
 * Output goes to a FILE that discards it (fopencookie rather than
 * /dev/null, so every byte can be checked on the way): printable ASCII and
 * '\n' only, and exactly one line per printed trace and per printed span.
 * Checks: at most max_spans spans held at any time, forced <= printed,
 * nothing dropped, after the final flush every span added was printed once,
 * and the same ops on a second tree print the same bytes (no dependence on
 * uninitialised memory or addresses).
 */
#define _GNU_SOURCE /* fopencookie */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_tree.h"
#include "../unit/span_fixture.h"
#include "fuzz_check.h"

struct sink {
	uint64_t lines;
	uint64_t hash; /* FNV-1a of every byte */
};

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
	struct sink *k = cookie;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		CHECK(c == '\n' || (c >= 0x20 && c < 0x7f));
		k->lines += c == '\n';
		k->hash = (k->hash ^ c) * 0x100000001b3ULL;
	}
	return (ssize_t)n;
}

struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint8_t take(struct cursor *c)
{
	if (!c->n)
		return 0;
	c->n--;
	return *c->p++;
}

/* Up to cap - 1 raw bytes, unterminated when the input says so. */
static void take_str(struct cursor *c, char *dst, size_t cap)
{
	uint8_t len = take(c), i;

	memset(dst, 'x', cap);
	if (len == 0xff)
		return; /* the whole field, no NUL */
	len %= 12;
	for (i = 0; i < len && i < cap - 1; i++)
		dst[i] = (char)take(c);
	dst[i] = '\0';
}

static void make_span(struct cursor *c, struct span *s)
{
	uint8_t v = take(c), x = take(c), y = take(c), z = take(c), w = take(c);
	static char method[24 + 1], route[256 + 1];

	memset(s, 0, sizeof(*s));
	/* mostly 3 trace ids; sometimes 16, which share hash buckets */
	s->trace_id[v & 1 ? 15 : 0] = v & 0x80 ? (v >> 1) & 15 : v % 3;
	s->span_id[7] = (x >> 2) & 7;
	s->has_parent = (y & 3) != 0;
	s->parent_span_id[7] = (y >> 2) & 7;
	s->kind = (y >> 5) & 1 ? SPAN_KIND_SERVER : SPAN_KIND_CLIENT;
	if ((y >> 6) == 3)
		s->kind = 0; /* not a kind the builder makes */
	/* few distinct starts so ties are common; end may precede start */
	s->start_unix_ns = (uint64_t)(w & 15) * 1000;
	s->end_unix_ns = s->start_unix_ns + (uint64_t)(w >> 4) * 700 - 2000;
	if (w == 0xff)
		s->end_unix_ns = UINT64_MAX;
	s->pid = z;
	/* terminated for the fixture: one byte more than take_str fills */
	take_str(c, method, sizeof(method) - 1);
	method[sizeof(method) - 1] = '\0';
	take_str(c, route, sizeof(route) - 1);
	route[sizeof(route) - 1] = '\0';
	take_str(c, s->service_name, sizeof(s->service_name));
	take_str(c, s->client.address, sizeof(s->client.address));
	take_str(c, s->server.address, sizeof(s->server.address));
	s->client.port = (uint16_t)(x << 8 | z);
	/* status 0: no response */
	span_fixture_http(s, &(struct http_fields){ .method = method, .path = route,
						   .status = z & 1 ? (uint16_t)(100 + z) : 0,
						   .version_minor = 1 });
	/* the strings a line prints, raw, maybe with no NUL */
	if (x & 1)
		take_str(c, s->name, sizeof(s->name));
	if (x & 2)
		take_str(c, s->code, sizeof(s->code));
}

static void check_stats(const struct trace_tree *t, uint64_t added, uint32_t max_spans,
			const struct sink *k)
{
	struct trace_tree_stats st;

	trace_tree_get_stats(t, &st);
	CHECK(st.spans_dropped == 0);
	CHECK(st.spans_printed <= added);
	CHECK(added - st.spans_printed <= max_spans);
	CHECK(st.traces_forced <= st.traces_printed);
	CHECK(st.traces_printed <= st.spans_printed);
	CHECK(k->lines == st.traces_printed + st.spans_printed);
}

/* Runs the ops once; returns the hash of what was printed. */
static uint64_t run(const uint8_t *data, size_t size)
{
	static const cookie_io_functions_t io = { .write = sink_write };
	struct cursor c = { data, size };
	uint32_t max_spans;
	uint64_t grace, wait, now = 1000000, added = 0;
	struct sink k = { 0, 0xcbf29ce484222325ULL };
	struct trace_tree *t;
	struct span *s;
	FILE *out;

	max_spans = take(&c);
	max_spans = 1 + (max_spans & 0x80 ? max_spans % 64 : max_spans % 8);
	grace = (uint64_t)(take(&c) % 8) * 1000;
	wait = (uint64_t)(take(&c) % 32) * 1000;
	out = fopencookie(&k, "w", io);
	CHECK(out);
	t = trace_tree_new(max_spans, grace, wait, out);
	CHECK(t);
	s = malloc(sizeof(*s));
	CHECK(s);

	while (c.n) {
		uint8_t op = take(&c), d;

		switch (op % 8) {
		case 5:
			d = take(&c);
			if (d >= 0xf0 && now >= 15000)
				now -= (uint64_t)(d & 15) * 1000; /* a clock that goes back */
			else
				now += (uint64_t)d * 250;
			trace_tree_tick(t, now);
			break;
		case 6:
			trace_tree_flush(t);
			break;
		case 7:
			trace_tree_tick(t, now);
			break;
		default:
			make_span(&c, s);
			now += (uint64_t)(op >> 3) * 100;
			trace_tree_add(t, s, now);
			added++;
			break;
		}
		fflush(out);
		check_stats(t, added, max_spans, &k);
	}
	trace_tree_flush(t);
	fflush(out);
	check_stats(t, added, max_spans, &k);
	{
		struct trace_tree_stats st;

		trace_tree_get_stats(t, &st);
		CHECK(st.spans_printed == added);
	}
	trace_tree_free(t);
	fclose(out);
	free(s);
	return k.hash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	CHECK(run(data, size) == run(data, size));
	return 0;
}
