// SPDX-License-Identifier: MIT
#include "errmsg.h"
#include "yaml_read.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int yread_init(struct yread *r, const char *text, size_t len, const char *file, char *err,
	       size_t err_len)
{
	memset(r, 0, sizeof(*r));
	r->file = file && file[0] ? file : "(input)";
	r->err = err;
	r->err_len = err_len;
	if (err && err_len)
		err[0] = '\0';
	if (len > YREAD_MAX_BYTES) {
		if (err && err_len)
			snprintf(err, err_len, "%s: larger than %u bytes", r->file, YREAD_MAX_BYTES);
		return -1;
	}
	if (!yaml_parser_initialize(&r->parser)) {
		if (err && err_len)
			snprintf(err, err_len, "%s: out of memory", r->file);
		return -1;
	}
	r->parser_ok = 1;
	yaml_parser_set_input_string(&r->parser, (const unsigned char *)(text ? text : ""),
				     text ? len : 0);
	return 0;
}

void yread_free(struct yread *r)
{
	if (r->has_ev)
		yaml_event_delete(&r->ev);
	r->has_ev = 0;
	if (r->parser_ok)
		yaml_parser_delete(&r->parser);
	r->parser_ok = 0;
}

static void yread_vfail(struct yread *r, size_t line, size_t col, const char *fmt, va_list ap)
{
	int n;

	if (!r->err || !r->err_len)
		return;
	n = snprintf(r->err, r->err_len, "%s:%zu:%zu: ", r->file, line + 1, col + 1);
	if (n >= 0 && (size_t)n < r->err_len)
		vsnprintf(r->err + n, r->err_len - (size_t)n, fmt, ap);
}

int yread_fail(struct yread *r, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	yread_vfail(r, m->line, m->column, fmt, ap);
	va_end(ap);
	return -1;
}

static int yread_fail_at(struct yread *r, size_t line, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int yread_fail_at(struct yread *r, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	yread_vfail(r, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

/* A reader error (bad encoding, a control character) has a byte offset,
 * not a mark: count lines in the raw input. */
static void yread_offset_mark(const struct yread *r, size_t off, size_t *line, size_t *col)
{
	const unsigned char *s = r->parser.input.string.start;
	const unsigned char *e = r->parser.input.string.end;
	size_t i, n = (size_t)(e - s);

	*line = 0;
	*col = 0;
	for (i = 0; i < off && i < n; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 0;
		} else {
			(*col)++;
		}
	}
}

int yread_next(struct yread *r)
{
	const yaml_parser_t *p = &r->parser;
	size_t line, col;

	if (r->has_ev)
		yaml_event_delete(&r->ev);
	r->has_ev = 0;
	if (!yaml_parser_parse(&r->parser, &r->ev)) {
		const char *problem = p->problem ? p->problem : "cannot be parsed";

		if (p->error == YAML_MEMORY_ERROR) {
			if (r->err && r->err_len)
				snprintf(r->err, r->err_len, "%s: out of memory", r->file);
			return -1;
		}
		if (p->error == YAML_READER_ERROR) {
			yread_offset_mark(r, p->problem_offset, &line, &col);
			return yread_fail_at(r, line, col, "invalid YAML: %s", problem);
		}
		if (p->context)
			return yread_fail(r, &p->problem_mark, "invalid YAML: %s (%s)", problem,
					  p->context);
		return yread_fail(r, &p->problem_mark, "invalid YAML: %s", problem);
	}
	r->has_ev = 1;
	if (r->ev.type == YAML_ALIAS_EVENT)
		return yread_fail(r, &r->ev.start_mark,
				  "aliases (*%s) are not supported: write the value out",
				  (const char *)r->ev.data.alias.anchor);
	return 0;
}

int yread_is_null(const struct yread *r)
{
	const char *v = (const char *)r->ev.data.scalar.value;
	size_t n = r->ev.data.scalar.length;

	if (r->ev.type != YAML_SCALAR_EVENT || r->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return n == 0 || (n == 1 && v[0] == '~') ||
	       (n == 4 && (!memcmp(v, "null", 4) || !memcmp(v, "Null", 4) || !memcmp(v, "NULL", 4)));
}

const char *yread_text(struct yread *r, const char *key)
{
	const char *v = (const char *)r->ev.data.scalar.value;

	/* libyaml terminates every scalar; a "\0" escape puts one inside */
	if (memchr(v, '\0', r->ev.data.scalar.length)) {
		yread_fail(r, &r->ev.start_mark, "%s: must not hold a NUL character", key);
		return NULL;
	}
	return v;
}

const char *yread_kind(const struct yread *r)
{
	switch (r->ev.type) {
	case YAML_MAPPING_START_EVENT: return "a mapping";
	case YAML_SEQUENCE_START_EVENT: return "a list";
	case YAML_SCALAR_EVENT: return "a value";
	default: return "nothing";
	}
}

/* From DOCUMENT_END on: nothing but the end of the stream may follow. */
static int yread_finish(struct yread *r)
{
	if (yread_next(r))
		return -1;
	if (r->ev.type != YAML_DOCUMENT_END_EVENT)
		return yread_fail(r, &r->ev.start_mark, "expected the end of the document");
	if (yread_next(r))
		return -1;
	if (r->ev.type != YAML_STREAM_END_EVENT)
		return yread_fail(r, &r->ev.start_mark,
				  "only one document is read: remove the second '---'");
	return 0;
}

int yread_begin(struct yread *r, const char *what)
{
	if (yread_next(r))
		return -1;
	if (r->ev.type != YAML_STREAM_START_EVENT)
		return yread_fail(r, &r->ev.start_mark, "expected the start of the stream");
	if (yread_next(r))
		return -1;
	if (r->ev.type == YAML_STREAM_END_EVENT)
		return 0;
	if (r->ev.type != YAML_DOCUMENT_START_EVENT)
		return yread_fail(r, &r->ev.start_mark, "expected a document");
	if (yread_next(r))
		return -1;
	if (r->ev.type == YAML_MAPPING_START_EVENT)
		return 1;
	if (yread_is_null(r))
		return yread_finish(r) ? -1 : 0;
	return yread_fail(r, &r->ev.start_mark, "%s, not %s", what, yread_kind(r));
}

int yread_end(struct yread *r)
{
	return yread_finish(r);
}

int yread_slurp(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	int e = 0;

	*buf = NULL;
	*len = 0;
	if (!f)
		return errno;
	/* one byte past the limit tells a file that is too large */
	*buf = malloc(YREAD_MAX_BYTES + 1);
	if (!*buf)
		e = ENOMEM;
	else
		*len = fread(*buf, 1, YREAD_MAX_BYTES + 1, f);
	if (!e && ferror(f))
		e = errno ? errno : EIO;
	fclose(f);
	if (e) {
		free(*buf);
		*buf = NULL;
		*len = 0;
	}
	return e;
}

int yread_slurp_or_say(const char *path, char **buf, size_t *len, char *err, size_t err_len)
{
	int e = yread_slurp(path, buf, len);

	return e ? errmsg_set(err, err_len, "%s: cannot read: %s", path, strerror(e)) : 0;
}
