// SPDX-License-Identifier: MIT
/*
 * The audit trail's file names and header line: formatting and parsing.
 * Names and headers are bytes an attacker may have written: lengths are
 * bounded, numbers checked for overflow, nothing trusted before checked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_json.h"
#include "audit_verify.h"

#define ZERO_SHA "0000000000000000000000000000000000000000000000000000000000000000"

size_t audit_name_format(char *out, size_t out_len, uint64_t seq, int open)
{
	int n;

	if (seq == 0 || out_len == 0)
		return 0;
	n = snprintf(out, out_len, "audit-%08" PRIu64 ".jsonl.gz%s", seq, open ? ".open" : "");
	if (n < 0 || (size_t)n >= out_len) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

int audit_name_parse(const char *name, uint64_t *seq)
{
	char canon[AUDIT_NAME_MAX];
	const char *p;
	uint64_t v = 0;
	size_t digits = 0;
	int kind;

	if (strncmp(name, "audit-", 6) != 0)
		return AUDIT_NAME_NONE;
	for (p = name + 6; *p >= '0' && *p <= '9'; p++, digits++) {
		if (digits == 20 || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return AUDIT_NAME_NONE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (digits == 0 || v == 0)
		return AUDIT_NAME_NONE;
	if (strcmp(p, ".jsonl.gz") == 0)
		kind = AUDIT_NAME_CLOSED;
	else if (strcmp(p, ".jsonl.gz.open") == 0)
		kind = AUDIT_NAME_OPEN;
	else
		return AUDIT_NAME_NONE;
	if (!audit_name_format(canon, sizeof(canon), v, kind == AUDIT_NAME_OPEN) ||
	    strcmp(canon, name) != 0)
		return AUDIT_NAME_NONE;
	*seq = v;
	return kind;
}

void audit_time_format(char out[AUDIT_TIME_MAX], uint64_t unix_ns)
{
	time_t secs = (time_t)(unix_ns / 1000000000ULL);
	struct tm tm;

	if (!gmtime_r(&secs, &tm)) {
		snprintf(out, AUDIT_TIME_MAX, "1970-01-01T00:00:00.000000000Z");
		return;
	}
	snprintf(out, AUDIT_TIME_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ",
		 (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
		 tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100,
		 (unsigned)(unix_ns % 1000000000ULL));
}

/* ---- the header ---- */

enum hdr_field {
	HF_TYPE, HF_VERSION, HF_SEQ, HF_PREV_FILE, HF_PREV_SHA, HF_HOST, HF_CREATED,
	HF_FIRST_KEPT, HF_AGENT, HF_RECOVERED_FILE, HF_RECOVERED_DROPPED, HF_COUNT,
};

static const char *const hdr_keys[HF_COUNT] = {
	"type", "version", "seq", "prev_file", "prev_sha256", "host", "created",
	"first_kept_seq", "agent", "recovered_file", "recovered_dropped_bytes",
};

#define HF_REQUIRED ((1u << HF_TYPE) | (1u << HF_VERSION) | (1u << HF_SEQ) | \
		     (1u << HF_PREV_FILE) | (1u << HF_PREV_SHA) | (1u << HF_HOST) | \
		     (1u << HF_CREATED))

struct hdr_ctx {
	struct audit_header *h;
	uint32_t seen;
};

static int is_lower_hex64(const char *s, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int copy_str(char *dst, size_t cap, const struct jv *v, const char **why, const char *what)
{
	if (v->type != JV_STR)
		return *why = what, -1;
	if (v->len >= cap)
		return *why = "header string too long", -1;
	memcpy(dst, v->s, v->len + 1);
	return 0;
}

static int hdr_kv(void *ctx, const char *key, const struct jv *v, const char **why)
{
	struct hdr_ctx *c = ctx;
	struct audit_header *h = c->h;
	uint64_t seq;
	int f;

	for (f = 0; f < HF_COUNT; f++)
		if (strcmp(key, hdr_keys[f]) == 0)
			break;
	if (f == HF_COUNT)
		return 0; /* a later minor version's key */
	if (c->seen & (1u << f))
		return *why = "duplicate key in header", -1;
	c->seen |= 1u << f;
	switch (f) {
	case HF_TYPE:
		if (v->type != JV_STR || strcmp(v->s, "audit_header") != 0)
			return *why = "first line is not an audit_header", -1;
		return 0;
	case HF_VERSION:
		if (v->type != JV_UINT)
			return *why = "version is not a number", -1;
		if (v->u != AUDIT_FORMAT_VERSION)
			return *why = "unsupported format version", -1;
		h->version = (uint32_t)v->u;
		return 0;
	case HF_SEQ:
		if (v->type != JV_UINT || v->u == 0)
			return *why = "seq is not a number from 1", -1;
		h->seq = v->u;
		return 0;
	case HF_PREV_FILE:
		if (copy_str(h->prev_file, sizeof(h->prev_file), v, why, "prev_file is not a string") < 0)
			return -1;
		if (h->prev_file[0] && audit_name_parse(h->prev_file, &seq) != AUDIT_NAME_CLOSED)
			return *why = "prev_file is not an audit file name", -1;
		return 0;
	case HF_PREV_SHA:
		if (v->type != JV_STR || !is_lower_hex64(v->s, v->len))
			return *why = "prev_sha256 is not 64 lowercase hex digits", -1;
		memcpy(h->prev_sha256, v->s, 65);
		return 0;
	case HF_HOST:
		return copy_str(h->host, sizeof(h->host), v, why, "host is not a string");
	case HF_CREATED:
		if (copy_str(h->created, sizeof(h->created), v, why, "created is not a string") < 0)
			return -1;
		if (!h->created[0])
			return *why = "created is empty", -1;
		return 0;
	case HF_FIRST_KEPT:
		if (v->type != JV_UINT)
			return *why = "first_kept_seq is not a number", -1;
		h->first_kept_seq = v->u;
		return 0;
	case HF_AGENT:
		return copy_str(h->agent, sizeof(h->agent), v, why, "agent is not a string");
	case HF_RECOVERED_FILE:
		if (copy_str(h->recovered_file, sizeof(h->recovered_file), v, why,
			     "recovered_file is not a string") < 0)
			return -1;
		if (audit_name_parse(h->recovered_file, &seq) != AUDIT_NAME_CLOSED)
			return *why = "recovered_file is not an audit file name", -1;
		h->has_recovered = 1;
		return 0;
	case HF_RECOVERED_DROPPED:
		if (v->type != JV_UINT)
			return *why = "recovered_dropped_bytes is not a number", -1;
		h->recovered_dropped_bytes = v->u;
		return 0;
	}
	return 0;
}

int audit_header_parse(const char *line, size_t n, struct audit_header *h, char *why,
		       size_t why_len)
{
	struct hdr_ctx c = { h, 0 };
	char want[AUDIT_NAME_MAX];
	const char *reason = NULL;

	memset(h, 0, sizeof(*h));
	if (audit__flat_parse(line, n, hdr_kv, &c, &reason) < 0)
		goto fail;
	if ((c.seen & HF_REQUIRED) != HF_REQUIRED) {
		reason = "header lacks a required field";
		goto fail;
	}
	if (h->seq == 1) {
		if (h->prev_file[0] || strcmp(h->prev_sha256, ZERO_SHA) != 0) {
			reason = "seq 1 names a previous file";
			goto fail;
		}
	} else {
		audit_name_format(want, sizeof(want), h->seq - 1, 0);
		if (strcmp(h->prev_file, want) != 0) {
			reason = "prev_file is not the file before seq";
			goto fail;
		}
	}
	if (h->first_kept_seq > h->seq) {
		reason = "first_kept_seq after seq";
		goto fail;
	}
	return 0;
fail:
	if (why && why_len)
		snprintf(why, why_len, "%s", reason ? reason : "bad header");
	return -1;
}

void audit_header_format(struct json_buf *b, const struct audit_header *h)
{
	json_put_rawz(b, "{\"type\":\"audit_header\",\"version\":");
	json_put_u64(b, h->version);
	json_put_rawz(b, ",\"seq\":");
	json_put_u64(b, h->seq);
	json_put_rawz(b, ",\"prev_file\":");
	json_put_cstr(b, h->prev_file);
	json_put_rawz(b, ",\"prev_sha256\":");
	json_put_cstr(b, h->prev_sha256);
	json_put_rawz(b, ",\"host\":");
	json_put_cstr(b, h->host);
	json_put_rawz(b, ",\"created\":");
	json_put_cstr(b, h->created);
	if (h->first_kept_seq) {
		json_put_rawz(b, ",\"first_kept_seq\":");
		json_put_u64(b, h->first_kept_seq);
	}
	if (h->has_recovered) {
		json_put_rawz(b, ",\"recovered_file\":");
		json_put_cstr(b, h->recovered_file);
		json_put_rawz(b, ",\"recovered_dropped_bytes\":");
		json_put_u64(b, h->recovered_dropped_bytes);
	}
	if (h->agent[0]) {
		json_put_rawz(b, ",\"agent\":");
		json_put_cstr(b, h->agent);
	}
	json_put_rawz(b, "}");
}
