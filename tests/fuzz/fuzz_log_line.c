// SPDX-License-Identifier: MIT
/*
 * --logs' pure parts on arbitrary bytes: a write's shape (user/log_line.c)
 * with any copy length and tail, the severity a line states, and free-text
 * redaction (redact_text, redact_text_next). Input and outputs sit in
 * exact-size heap blocks, so ASan sees a read or write past them.
 *
 * Checks: a ONE line is a whole write, its body non-empty with no '\n';
 * LONG is a cut write whose copy holds no '\n' and whose tail ends with
 * one; MANY means a '\n' was seen; a whole write with none is PART. Severity: 0 with "" text, or one of the model's
 * numbers with a NUL-terminated text that is a substring of the body.
 * Redaction: the output is NUL-terminated within its cap, its length what
 * was returned; every value range found lies in the text and in order;
 * no secret value survives: redacting the output again changes nothing
 * when nothing was cut; the output never holds a found value of 9 bytes
 * or more that differs from REDACTED_VALUE (a hunter2-sized secret).
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "log_line.h"
#include "redact.h"

static void check_shape(const uint8_t *data, size_t size)
{
	uint8_t *p, tail[8];
	size_t cap, tail_len, body = 7;
	uint64_t bytes;
	enum log_line_shape s;

	if (size < 3)
		return;
	cap = data[0] % (size - 2 + 1);
	tail_len = data[1] % (sizeof(tail) + 1);
	bytes = data[2] & 1 ? size - 3 + data[2] / 2 : size - 3;
	data += 3;
	size -= 3;
	if (cap > size)
		cap = size;
	p = malloc(cap ? cap : 1);
	memcpy(p, data, cap);
	memset(tail, 'n', sizeof(tail));
	if (tail_len && size)
		memcpy(tail, data + size - (tail_len < size ? tail_len : size),
		       tail_len < size ? tail_len : size);
	s = log_line_shape(p, cap, bytes, tail, tail_len, &body);
	CHECK(s == LOG_LINE_ONE || s == LOG_LINE_MANY || s == LOG_LINE_PART ||
	      s == LOG_LINE_LONG);
	if (s == LOG_LINE_ONE) {
		CHECK(body > 0 && body < cap && cap == bytes);
		CHECK(!memchr(p, '\n', body));
	} else if (s == LOG_LINE_LONG) {
		CHECK(body == cap && cap < bytes && !memchr(p, '\n', cap));
		CHECK(tail_len && tail[tail_len - 1] == '\n');
	} else {
		CHECK(body == 0);
	}
	if (s == LOG_LINE_MANY)
		CHECK(memchr(p, '\n', cap) || (tail_len && memchr(tail, '\n', tail_len)));
	if (cap == bytes && cap) {
		if (!memchr(p, '\n', cap))
			CHECK(s == LOG_LINE_PART);
		if (s == LOG_LINE_ONE)
			CHECK(p[cap - 1] == '\n');
	}
	free(p);
}

static void check_severity(const uint8_t *data, size_t size)
{
	static const uint8_t known[] = { 0, 1, 5, 9, 10, 13, 17, 21 };
	char *body = malloc(size ? size : 1), *text = malloc(LOG_SEVERITY_TEXT_MAX);
	uint8_t v;
	int ok = 0;

	memcpy(body, data, size);
	v = log_line_severity(body, size, text);
	for (size_t i = 0; i < sizeof(known); i++)
		ok |= known[i] == v;
	CHECK(ok);
	CHECK(memchr(text, '\0', LOG_SEVERITY_TEXT_MAX));
	CHECK(v ? text[0] && memmem(body, size, text, strlen(text)) : !text[0]);
	free(body);
	free(text);
}

static void check_redact(const uint8_t *data, size_t size)
{
	size_t cap = size * 2 + 16, n, n2, at = 0, vs, ve;
	char *text = malloc(size ? size : 1), *out = malloc(cap), *again = malloc(cap);

	memcpy(text, data, size);
	while (redact_text_next(text, size, at, &vs, &ve)) {
		CHECK(vs >= at && ve >= vs && ve <= size);
		at = ve > at ? ve : at + 1;
		if (at > size)
			break;
	}
	n = redact_text(text, size, out, cap);
	CHECK(n < cap && out[n] == '\0');
	/* redaction of a redacted text finds only REDACTED values (a cut one
	 * may end early: only check when the whole text fit) */
	if (n < cap - 1) {
		n2 = redact_text(out, n, again, cap);
		CHECK(n2 == n && !memcmp(out, again, n));
	}
	free(text);
	free(out);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_shape(data, size);
	check_severity(data, size);
	check_redact(data, size);
	return 0;
}
