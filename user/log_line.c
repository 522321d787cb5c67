// SPDX-License-Identifier: MIT
/*
 * One write, one line: in a pod stdout is a pipe and stdio buffers many
 * requests' lines into one write, so only a write that is exactly one line
 * can be tied to the request its thread served. Severity follows the
 * OpenTelemetry log data model's mapping of common level names.
 */
#include "log_line.h"

#include <string.h>

enum log_line_shape log_line_shape(const uint8_t *p, size_t cap, uint64_t bytes,
				   const uint8_t *tail, size_t tail_len, size_t *body_len)
{
	const uint8_t *nl;
	size_t n;

	*body_len = 0;
	if (cap > bytes)
		cap = (size_t)bytes;
	nl = cap ? memchr(p, '\n', cap) : NULL;
	if (cap < bytes) {
		/* the copied part holds no line end, the write ends with one */
		if (nl)
			return LOG_LINE_MANY;
		if (!tail_len || tail[tail_len - 1] != '\n')
			return LOG_LINE_PART;
		if (memchr(tail, '\n', tail_len - 1))
			return LOG_LINE_MANY;
		*body_len = cap;
		return LOG_LINE_LONG;
	}
	if (!nl || (size_t)(nl - p) != cap - 1)
		return nl ? LOG_LINE_MANY : LOG_LINE_PART;
	n = cap - 1;
	if (n && p[n - 1] == '\r')
		n--;
	/* a line end alone: the rest of a line an earlier write began
	 * (unbuffered print() writes its text and "\n" apart) */
	if (!n)
		return LOG_LINE_PART;
	*body_len = n;
	return LOG_LINE_ONE;
}

static char ll_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int ll_alpha(char c)
{
	c = ll_lower(c);
	return c >= 'a' && c <= 'z';
}

static const struct {
	const char *name;
	uint8_t number;
} ll_levels[] = {
	{ "trace", 1 },  { "debug", 5 },     { "info", 9 },  { "notice", 10 },
	{ "warn", 13 },  { "warning", 13 },  { "error", 17 }, { "err", 17 },
	{ "fatal", 21 }, { "critical", 21 }, { "crit", 21 }, { "panic", 21 },
};

/* The number of a level name s[0..n), any case; 0 when not one. */
static uint8_t ll_level_of(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(ll_levels) / sizeof(ll_levels[0]); i++) {
		size_t k = 0, len = strlen(ll_levels[i].name);

		if (len != n)
			continue;
		while (k < n && ll_lower(s[k]) == ll_levels[i].name[k])
			k++;
		if (k == n)
			return ll_levels[i].number;
	}
	return 0;
}

static uint8_t ll_named(const char *s, size_t n, char text[LOG_SEVERITY_TEXT_MAX])
{
	uint8_t v = ll_level_of(s, n);

	if (v) {
		if (n >= LOG_SEVERITY_TEXT_MAX)
			n = LOG_SEVERITY_TEXT_MAX - 1;
		memcpy(text, s, n);
		text[n] = '\0';
	}
	return v;
}

/* pino's numeric levels: 10 trace ... 60 fatal. */
static uint8_t ll_pino(const char *s, size_t n, char text[LOG_SEVERITY_TEXT_MAX])
{
	static const uint8_t numbers[] = { 1, 5, 9, 13, 17, 21 };
	unsigned v;

	if (n != 2 || s[1] != '0' || s[0] < '1' || s[0] > '6')
		return 0;
	v = (unsigned)(s[0] - '1');
	memcpy(text, s, 2);
	text[2] = '\0';
	return numbers[v];
}

/* The value of a top-level "level" or "severity" key of a JSON object: the
 * scan tracks depth and strings, so a nested one does not count. */
static uint8_t ll_json(const char *s, size_t len, char text[LOG_SEVERITY_TEXT_MAX])
{
	int depth = 0;
	size_t i = 0;

	while (i < len) {
		char c = s[i];

		if (c == '{' || c == '[') {
			depth++;
			i++;
			continue;
		}
		if (c == '}' || c == ']') {
			depth--;
			i++;
			continue;
		}
		if (c != '"') {
			i++;
			continue;
		}
		{
			size_t k = i + 1, klen;

			while (k < len && s[k] != '"')
				k += s[k] == '\\' ? 2 : 1;
			if (k >= len)
				return 0;
			klen = k - i - 1;
			i = k + 1;
			if (depth != 1 || !((klen == 5 && !memcmp(s + k - 5, "level", 5)) ||
					    (klen == 8 && !memcmp(s + k - 8, "severity", 8))))
				continue;
			while (i < len && (s[i] == ' ' || s[i] == '\t'))
				i++;
			if (i >= len || s[i] != ':')
				continue;
			for (i++; i < len && (s[i] == ' ' || s[i] == '\t'); i++)
				;
			if (i < len && s[i] == '"') {
				size_t v = ++i;

				while (i < len && ll_alpha(s[i]))
					i++;
				return i < len && s[i] == '"' ? ll_named(s + v, i - v, text) : 0;
			}
			{
				size_t v = i;

				while (i < len && s[i] >= '0' && s[i] <= '9')
					i++;
				return ll_pino(s + v, i - v, text);
			}
		}
	}
	return 0;
}

uint8_t log_line_severity(const char *body, size_t len, char text[LOG_SEVERITY_TEXT_MAX])
{
	size_t i = 0, w;

	text[0] = '\0';
	while (i < len && (body[i] == ' ' || body[i] == '\t'))
		i++;
	if (i < len && body[i] == '{')
		return ll_json(body + i, len - i, text);
	if (i < len && (body[i] == '[' || body[i] == '<'))
		i++;
	for (w = i; w < len && ll_alpha(body[w]); w++)
		;
	return ll_named(body + i, w - i, text);
}
