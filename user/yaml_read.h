/* SPDX-License-Identifier: MIT */
/*
 * Reading a small YAML document with libyaml's event parser, for the two
 * files an operator writes: the options file (--config) and the policy
 * (--policy). Pure: the text is a buffer, every error is a message
 * "FILE:LINE:COLUMN: what" (1-based, as editors count), and the caller
 * walks the events itself, so a structure it does not expect is an error at
 * that place rather than something skipped. Aliases are refused (no
 * "billion laughs"), and only one document is read.
 */
#ifndef ZT_YAML_READ_H
#define ZT_YAML_READ_H

#include <stddef.h>
#include <yaml.h>

/* Longer inputs are refused: both files are written by hand. */
#define YREAD_MAX_BYTES (1u << 20)

struct yread {
	yaml_parser_t parser;
	yaml_event_t ev;   /* the current event, valid after yread_next */
	int has_ev;
	int parser_ok;
	const char *file;  /* for messages */
	char *err;
	size_t err_len;
};

/* 0, or -1 with err "FILE: ..." (too large, out of memory). yread_free
 * is safe after either. */
int yread_init(struct yread *r, const char *text, size_t len, const char *file, char *err,
	       size_t err_len);
void yread_free(struct yread *r);
/* Reads the file at path whole (a byte past YREAD_MAX_BYTES is kept, so
 * the parser sees one that is too large): 0 with *buf (malloc'd, the
 * caller frees it) and *len, or an errno. */
int yread_slurp(const char *path, char **buf, size_t *len);
/* yread_slurp, saying "PATH: cannot read: why" in err: 0, or -1. */
int yread_slurp_or_say(const char *path, char **buf, size_t *len, char *err, size_t err_len);
/* The next event into r->ev: 0, or -1 with err set (a syntax error at its
 * place, or an alias). */
int yread_next(struct yread *r);
/* Writes "FILE:LINE:COLUMN: " and the message at mark m; returns -1. */
int yread_fail(struct yread *r, const yaml_mark_t *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Reads up to the top node of the one document: 1 when it is a mapping
 * (the next event is its first key or its end), 0 for an empty stream or
 * an empty document, -1 otherwise ("what" names the file's content in the
 * message: "the top level of a policy must be a mapping"). */
int yread_begin(struct yread *r, const char *what);
/* After the top mapping's end: the end of the document and of the
 * stream; a second document is an error. */
int yread_end(struct yread *r);
/* The current event is a plain empty, "~" or "null" scalar. */
int yread_is_null(const struct yread *r);
/* The current event's scalar as a C string, or NULL (with err set, at its
 * place, naming `key`) when it holds a NUL byte. */
const char *yread_text(struct yread *r, const char *key);
/* "a mapping", "a list", "a value": the current event, for messages. */
const char *yread_kind(const struct yread *r);

#endif /* ZT_YAML_READ_H */
