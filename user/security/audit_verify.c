// SPDX-License-Identifier: MIT
/*
 * Reads the audit trail: names, header, a streaming per-file check, and the
 * directory verification. Everything here parses bytes an attacker may have
 * written (file names, the files themselves): lengths are bounded, numbers
 * checked for overflow, and nothing is trusted before it is checked.
 *
 * What verification proves, and what it cannot (README has the same text):
 * - Each closed file decompresses completely (zlib checks each member's
 *   CRC-32 and length), every line is whole, the header is well formed and
 *   its seq matches the file's name.
 * - Between two present files with consecutive seqs, the later header holds
 *   the SHA-256 of the earlier file: any change to the earlier file's bytes
 *   is caught, and a removed middle file shows as a gap in seq (and a
 *   prev_file naming a file that is not here). Renamed or reordered files
 *   show as a header seq that differs from the name.
 * - The chain is only as strong as its head. Nothing later vouches for the
 *   newest closed file except the open file's header (while the agent
 *   runs) and --head: without them, a crafted change to the newest file
 *   that keeps gzip valid (or a byte in a gzip member header, which no CRC
 *   covers) and the removal of the newest files go unseen. An attacker who
 *   may write the directory can also rewrite a file and every later header;
 *   only a head kept off the node (--head) proves the files up to it.
 * - The oldest files are deleted by retention, so the chain starts at the
 *   oldest present file; removing more than retention did is caught only
 *   through first_kept_seq in the newest header.
 * - The open file's own records are vouched for by nothing until it closes.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "audit_verify.h"
#include "utf8.h"

#define VERIFY_READ 65536
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

/* ---- a flat JSON object: string, unsigned integer and literal values ---- */

enum { JV_STR = 1, JV_UINT, JV_LIT };

struct jv {
	int type;
	const char *s; /* JV_STR: decoded, NUL-terminated; JV_LIT: the literal */
	size_t len;
	uint64_t u;
};

struct jp {
	const char *p, *end;
	const char *why;
};

typedef int (*jp_kv_fn)(void *ctx, const char *key, const struct jv *v, const char **why);

static void jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static int jp_fail(struct jp *j, const char *why)
{
	j->why = why;
	return -1;
}

static int jp_hex4(struct jp *j, uint32_t *out)
{
	uint32_t v = 0;

	if (j->end - j->p < 4)
		return jp_fail(j, "short \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = j->p[i];
		int d = (c >= '0' && c <= '9') ? c - '0' :
			(c >= 'a' && c <= 'f') ? c - 'a' + 10 :
			(c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;

		if (d < 0)
			return jp_fail(j, "bad \\u escape");
		v = v << 4 | (uint32_t)d;
	}
	j->p += 4;
	*out = v;
	return 0;
}

/* A JSON string at j->p (its opening quote), decoded into out; NUL inside
 * (\u0000) is refused so the result is a C string. */
static int jp_string(struct jp *j, char *out, size_t cap, size_t *len)
{
	size_t o = 0;

	if (j->p >= j->end || *j->p != '"')
		return jp_fail(j, "expected a string");
	j->p++;
	while (j->p < j->end) {
		uint8_t c = (uint8_t)*j->p, enc[4];
		size_t n;

		if (c == '"') {
			j->p++;
			out[o] = '\0';
			*len = o;
			return 0;
		}
		if (c < 0x20)
			return jp_fail(j, "control byte in a string");
		if (c == '\\') {
			uint32_t cp, lo;

			if (j->end - j->p < 2)
				return jp_fail(j, "unterminated string");
			c = (uint8_t)j->p[1];
			j->p += 2;
			switch (c) {
			case '"': case '\\': case '/': cp = c; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				if (jp_hex4(j, &cp) < 0)
					return -1;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return jp_fail(j, "lone low surrogate");
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
						return jp_fail(j, "lone high surrogate");
					j->p += 2;
					if (jp_hex4(j, &lo) < 0)
						return -1;
					if (lo < 0xdc00 || lo > 0xdfff)
						return jp_fail(j, "lone high surrogate");
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				if (cp == 0)
					return jp_fail(j, "NUL in a string");
				break;
			default:
				return jp_fail(j, "bad escape");
			}
			if (cp < 0x80) {
				enc[0] = (uint8_t)cp, n = 1;
			} else if (cp < 0x800) {
				enc[0] = (uint8_t)(0xc0 | cp >> 6), n = 2;
			} else if (cp < 0x10000) {
				enc[0] = (uint8_t)(0xe0 | cp >> 12), n = 3;
			} else {
				enc[0] = (uint8_t)(0xf0 | cp >> 18), n = 4;
			}
			for (size_t k = 1; k < n; k++)
				enc[k] = (uint8_t)(0x80 | ((cp >> (6 * (n - 1 - k))) & 0x3f));
			if (o + n >= cap)
				return jp_fail(j, "string too long");
			memcpy(out + o, enc, n);
			o += n;
			continue;
		}
		n = utf8_char_len((const uint8_t *)j->p, (size_t)(j->end - j->p));
		if (n == 0)
			return jp_fail(j, "invalid UTF-8 in a string");
		if (o + n >= cap)
			return jp_fail(j, "string too long");
		memcpy(out + o, j->p, n);
		o += n;
		j->p += n;
	}
	return jp_fail(j, "unterminated string");
}

static int jp_uint(struct jp *j, uint64_t *out)
{
	uint64_t v = 0;
	const char *start = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
		uint64_t d = (uint64_t)(*j->p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return jp_fail(j, "number too large");
		v = v * 10 + d;
		j->p++;
	}
	if (j->p - start > 1 && *start == '0')
		return jp_fail(j, "leading zero in a number");
	if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E'))
		return jp_fail(j, "not an unsigned integer");
	*out = v;
	return 0;
}

static int jp_literal(struct jp *j, struct jv *v)
{
	static const char *const lits[] = { "true", "false", "null" };

	for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
		size_t n = strlen(lits[i]);

		if ((size_t)(j->end - j->p) >= n && memcmp(j->p, lits[i], n) == 0) {
			j->p += n;
			v->type = JV_LIT;
			v->s = lits[i];
			v->len = n;
			return 0;
		}
	}
	return jp_fail(j, "bad value");
}

/* Parses one flat object spanning exactly s[0..n), calling fn per member. */
static int flat_parse(const char *s, size_t n, jp_kv_fn fn, void *ctx, const char **why)
{
	struct jp j = { s, s + n, NULL };
	char key[64], val[1024];
	size_t klen, vlen;

	jp_ws(&j);
	if (j.p >= j.end || *j.p != '{')
		return *why = "not a JSON object", -1;
	j.p++;
	jp_ws(&j);
	if (j.p < j.end && *j.p == '}') {
		j.p++;
		goto done;
	}
	for (;;) {
		struct jv v = { 0 };

		jp_ws(&j);
		if (jp_string(&j, key, sizeof(key), &klen) < 0)
			goto fail;
		jp_ws(&j);
		if (j.p >= j.end || *j.p != ':')
			return *why = "expected ':'", -1;
		j.p++;
		jp_ws(&j);
		if (j.p >= j.end)
			return *why = "missing value", -1;
		if (*j.p == '"') {
			if (jp_string(&j, val, sizeof(val), &vlen) < 0)
				goto fail;
			v.type = JV_STR, v.s = val, v.len = vlen;
		} else if (*j.p >= '0' && *j.p <= '9') {
			if (jp_uint(&j, &v.u) < 0)
				goto fail;
			v.type = JV_UINT;
		} else if (*j.p == '{' || *j.p == '[') {
			return *why = "nested value", -1;
		} else if (*j.p == '-') {
			return *why = "negative number", -1;
		} else if (jp_literal(&j, &v) < 0) {
			goto fail;
		}
		if (fn(ctx, key, &v, why) < 0)
			return -1;
		jp_ws(&j);
		if (j.p < j.end && *j.p == ',') {
			j.p++;
			continue;
		}
		if (j.p < j.end && *j.p == '}') {
			j.p++;
			break;
		}
		return *why = "expected ',' or '}'", -1;
	}
done:
	jp_ws(&j);
	if (j.p != j.end)
		return *why = "bytes after the object", -1;
	return 0;
fail:
	*why = j.why;
	return -1;
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
	if (flat_parse(line, n, hdr_kv, &c, &reason) < 0)
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

/* ---- the streaming file check ---- */

struct scan_priv {
	z_stream zs;
	int z_ready;
	int stopped;            /* a format error: the rest is only hashed */
	EVP_MD_CTX *sha;        /* every byte fed */
	EVP_MD_CTX *sha_good;   /* the first good_bytes */
	char *line;
	size_t line_len;
	uint8_t out[16384];
};

/* Keeps the first error; what follows it is only hashed. */
static void scan_error(struct audit_scan *s, const char *what, const char *detail)
{
	struct scan_priv *p = s->priv;

	if (!s->error) {
		s->error = 1;
		s->error_at = s->in_bytes;
		snprintf(s->why, sizeof(s->why), "%s%s%s", what, detail ? ": " : "",
			 detail ? detail : "");
	}
	p->stopped = 1;
}

struct gap_ctx {
	uint64_t lost;
	int seen;
};

static int gap_kv(void *ctx, const char *key, const struct jv *v, const char **why)
{
	struct gap_ctx *g = ctx;

	if (strcmp(key, "records_lost") != 0)
		return 0;
	if (v->type != JV_UINT || g->seen)
		return *why = "bad records_lost", -1;
	g->lost = v->u;
	g->seen = 1;
	return 0;
}

static void scan_line(struct audit_scan *s, const char *l, size_t n)
{
	static const char type_key[] = "{\"type\":\"";
	const char *t, *q;
	size_t tl;
	char why[96];

	s->lines++;
	if (s->lines == 1) {
		if (audit_header_parse(l, n, &s->header, why, sizeof(why)) < 0) {
			scan_error(s, "header", why);
			return;
		}
		s->have_header = 1;
		return;
	}
	if (n < sizeof(type_key) || memcmp(l, type_key, sizeof(type_key) - 1) != 0 ||
	    l[n - 1] != '}') {
		scan_error(s, "a line is not a {\"type\":...} object", NULL);
		return;
	}
	t = l + sizeof(type_key) - 1;
	q = memchr(t, '"', n - (size_t)(t - l));
	if (!q) {
		scan_error(s, "a line's type is not a string", NULL);
		return;
	}
	tl = (size_t)(q - t);
	if (tl == 4 && memcmp(t, "span", 4) == 0) {
		s->spans++;
	} else if (tl == 5 && memcmp(t, "alert", 5) == 0) {
		s->alerts++;
	} else if (tl == 9 && memcmp(t, "audit_gap", 9) == 0) {
		struct gap_ctx g = { 0, 0 };
		const char *reason = NULL;

		if (flat_parse(l, n, gap_kv, &g, &reason) < 0 || !g.seen) {
			scan_error(s, "audit_gap line", reason ? reason : "no records_lost");
			return;
		}
		s->gap_records_lost = s->gap_records_lost + g.lost < s->gap_records_lost ?
			UINT64_MAX : s->gap_records_lost + g.lost;
	} else if (tl == 12 && memcmp(t, "audit_header", 12) == 0) {
		scan_error(s, "a second header inside the file", NULL);
	} else {
		s->others++;
	}
}

static void scan_bytes(struct audit_scan *s, const uint8_t *b, size_t n)
{
	struct scan_priv *p = s->priv;

	while (n && !p->stopped) {
		const uint8_t *nl = memchr(b, '\n', n);
		size_t take = nl ? (size_t)(nl - b) : n;

		if (p->line_len + take > AUDIT_LINE_MAX) {
			scan_error(s, "a line longer than 64 KiB", NULL);
			return;
		}
		memcpy(p->line + p->line_len, b, take);
		p->line_len += take;
		if (!nl)
			return;
		if (p->line_len == 0)
			scan_error(s, "an empty line", NULL);
		else
			scan_line(s, p->line, p->line_len);
		p->line_len = 0;
		b += take + 1;
		n -= take + 1;
	}
}

int audit_scan_init(struct audit_scan *s)
{
	struct scan_priv *p;

	memset(s, 0, sizeof(*s));
	p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	p->line = malloc(AUDIT_LINE_MAX);
	p->sha = EVP_MD_CTX_new();
	p->sha_good = EVP_MD_CTX_new();
	if (!p->line || !p->sha || !p->sha_good ||
	    !EVP_DigestInit_ex(p->sha, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(p->sha_good, EVP_sha256(), NULL) ||
	    inflateInit2(&p->zs, 16 + MAX_WBITS) != Z_OK) {
		s->priv = p;
		audit_scan_free(s);
		return -1;
	}
	p->z_ready = 1;
	s->priv = p;
	return 0;
}

void audit_scan_feed(struct audit_scan *s, const uint8_t *b, size_t n)
{
	struct scan_priv *p = s->priv;
	z_stream *zs = &p->zs;

	if (!n)
		return;
	zs->next_in = (Bytef *)(uintptr_t)b;
	zs->avail_in = (uInt)n;
	while (zs->avail_in && !p->stopped) {
		const Bytef *before = zs->next_in;
		size_t used, made;
		int rc;

		zs->next_out = p->out;
		zs->avail_out = sizeof(p->out);
		rc = inflate(zs, Z_NO_FLUSH);
		used = (size_t)(zs->next_in - before);
		made = sizeof(p->out) - zs->avail_out;
		EVP_DigestUpdate(p->sha, before, used);
		s->in_bytes += used;
		scan_bytes(s, p->out, made);
		if (p->stopped)
			break;
		if (rc == Z_STREAM_END) {
			s->members++;
			if (p->line_len) {
				scan_error(s, "a gzip member ends inside a line", NULL);
				break;
			}
			s->good_bytes = s->in_bytes;
			EVP_MD_CTX_copy_ex(p->sha_good, p->sha);
			inflateReset(zs);
			continue;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			scan_error(s, "not a valid gzip stream", zs->msg ? zs->msg : "inflate error");
			break;
		}
		if (!used && !made)
			break; /* no progress: wants more input */
	}
	if (zs->avail_in) { /* after an error: the rest only counts for the hash */
		EVP_DigestUpdate(p->sha, zs->next_in, zs->avail_in);
		s->in_bytes += zs->avail_in;
		zs->avail_in = 0;
	}
}

static void hex_digest(EVP_MD_CTX *ctx, char out[AUDIT_SHA256_HEX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_DigestFinal_ex(ctx, md, &len) || len != 32) {
		memset(out, '0', 64);
		out[64] = '\0';
		return;
	}
	for (unsigned int i = 0; i < 32; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 0xf];
	}
	out[64] = '\0';
}

void audit_scan_finish(struct audit_scan *s, char all_hex[AUDIT_SHA256_HEX],
		       char good_hex[AUDIT_SHA256_HEX])
{
	struct scan_priv *p = s->priv;

	s->partial = s->in_bytes > s->good_bytes;
	if (all_hex)
		hex_digest(p->sha, all_hex);
	if (good_hex)
		hex_digest(p->sha_good, good_hex);
}

void audit_scan_free(struct audit_scan *s)
{
	struct scan_priv *p = s->priv;

	if (!p)
		return;
	if (p->z_ready)
		inflateEnd(&p->zs);
	EVP_MD_CTX_free(p->sha);
	EVP_MD_CTX_free(p->sha_good);
	free(p->line);
	free(p);
	s->priv = NULL;
}

/* ---- the directory ---- */

struct vfile {
	uint64_t seq;
	int kind;
	int io_errno;            /* could not be read: its checks are skipped */
	char name[AUDIT_NAME_MAX];
	char sha[AUDIT_SHA256_HEX];
	struct audit_scan scan;  /* results only (priv freed) */
};

struct vlist {
	struct vfile *v;
	size_t n, cap;
};

static int vlist_add(struct vlist *l, const char *name, uint64_t seq, int kind)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct vfile *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	l->v[l->n].seq = seq;
	l->v[l->n].kind = kind;
	/* a parsed name is canonical: shorter than AUDIT_NAME_MAX */
	memcpy(l->v[l->n].name, name, strnlen(name, AUDIT_NAME_MAX - 1));
	l->n++;
	return 0;
}

static int vfile_cmp(const void *a, const void *b)
{
	const struct vfile *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void scan_file(int dfd, struct vfile *f, uint8_t *buf, size_t buf_len)
{
	int fd = openat(dfd, f->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0) {
		f->io_errno = errno;
		return;
	}
	if (audit_scan_init(&f->scan) < 0) {
		f->io_errno = ENOMEM;
		close(fd);
		return;
	}
	for (;;) {
		n = read(fd, buf, buf_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		audit_scan_feed(&f->scan, buf, (size_t)n);
	}
	if (n < 0)
		f->io_errno = errno;
	close(fd);
	audit_scan_finish(&f->scan, f->sha, NULL);
	audit_scan_free(&f->scan);
}

struct verdict {
	FILE *out;
	unsigned problems;
	unsigned io_errors;
};

static void problem(struct verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct verdict *v, const char *fmt, ...)
{
	va_list ap;

	v->problems++;
	fputs("BROKEN ", v->out);
	va_start(ap, fmt);
	vfprintf(v->out, fmt, ap);
	va_end(ap);
	fputc('\n', v->out);
}

/* The checks of one file on its own (not the links between files). */
static int check_own(struct verdict *v, const struct vfile *f, int open)
{
	unsigned before = v->problems;
	const struct audit_scan *s = &f->scan;

	if (f->io_errno) {
		fprintf(v->out, "ERROR  %s: cannot read: %s\n", f->name, strerror(f->io_errno));
		v->io_errors++;
		return -1;
	}
	if (s->error)
		problem(v, "%s: %s (seen at compressed byte %" PRIu64 "): content changed or "
			"corrupted",
			f->name, s->why, s->error_at);
	else if (s->partial && !open)
		problem(v, "%s: truncated: its last gzip member has no trailer (cut short, "
			"or an open file renamed)", f->name);
	if (!s->have_header) {
		if (!s->error && !open)
			problem(v, "%s: no header line", f->name);
	} else if (s->header.seq != f->seq) {
		problem(v, "%s: its header says seq %" PRIu64 ": renamed or reordered", f->name,
			s->header.seq);
	}
	return v->problems == before ? 0 : -1;
}

static void name_of(char *out, uint64_t seq)
{
	if (!audit_name_format(out, AUDIT_NAME_MAX, seq, 0))
		snprintf(out, AUDIT_NAME_MAX, "seq %" PRIu64, seq);
}

static void report_missing(struct verdict *v, uint64_t from, uint64_t to, const char *why)
{
	char a[AUDIT_NAME_MAX], b[AUDIT_NAME_MAX];

	name_of(a, from);
	name_of(b, to);
	if (from == to)
		problem(v, "%s is missing: %s", a, why);
	else
		problem(v, "%s .. %s (%" PRIu64 " files) are missing: %s", a, b, to - from + 1, why);
}

struct verify_ctx {
	struct verdict v;
	struct vlist closed, opened;
	const struct vfile *newest;  /* the newest closed file */
	const struct vfile *claimer; /* the newest header: the open file's, else newest's */
	const struct vfile *vouch;   /* the open file, when its header vouches for newest */
	uint64_t spans, alerts, lost;
};

/* Lists dir's audit files into c->closed and c->opened, by seq. */
static int list_dir(struct verify_ctx *c, int dfd, const char *dir)
{
	struct dirent *de;
	DIR *d = fdopendir(dup(dfd));

	if (!d) {
		fprintf(c->v.out, "audit verify: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	fprintf(c->v.out, "audit verify %s\n", dir);
	while ((de = readdir(d))) {
		uint64_t seq;
		int kind = audit_name_parse(de->d_name, &seq);

		if (kind == AUDIT_NAME_NONE) {
			if (strncmp(de->d_name, "audit-", 6) == 0)
				fprintf(c->v.out, "note   %s: not an audit file name, ignored\n",
					de->d_name);
			continue;
		}
		if (vlist_add(kind == AUDIT_NAME_CLOSED ? &c->closed : &c->opened, de->d_name, seq,
			      kind) < 0) {
			fprintf(c->v.out, "audit verify: out of memory\n");
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (c->closed.n > 1)
		qsort(c->closed.v, c->closed.n, sizeof(c->closed.v[0]), vfile_cmp);
	if (c->opened.n > 1)
		qsort(c->opened.v, c->opened.n, sizeof(c->opened.v[0]), vfile_cmp);
	fprintf(c->v.out, "files  %zu closed, %zu open\n", c->closed.n, c->opened.n);
	return 0;
}

static void note_recovered(FILE *out, const struct audit_header *h)
{
	if (h->has_recovered)
		fprintf(out, "note   %s was sealed from disk after a crash or a write error: "
			"%" PRIu64 " bytes of its torn end were dropped (never vouched for)\n",
			h->recovered_file, h->recovered_dropped_bytes);
}

/* Each closed file, and the link from the file before it. */
static void check_closed(struct verify_ctx *c)
{
	FILE *out = c->v.out;

	for (size_t i = 0; i < c->closed.n; i++) {
		const struct vfile *f = &c->closed.v[i], *p = i ? &c->closed.v[i - 1] : NULL;
		int own = check_own(&c->v, f, 0);

		if (p && f->seq != p->seq + 1) {
			report_missing(&c->v, p->seq + 1, f->seq - 1, "removed (a gap in the sequence)");
		} else if (p && !p->io_errno && f->scan.have_header &&
			   strcmp(f->scan.header.prev_sha256, p->sha) != 0) {
			problem(&c->v, "%s changed: its SHA-256 is %s but %s records %s (the earlier "
				"file's bytes, or the later file's header, were altered)",
				p->name, p->sha, f->name, f->scan.header.prev_sha256);
		}
		if (!p && f->scan.have_header && f->seq > 1)
			fprintf(out, "note   the chain starts at %s: older files are gone (retention "
				"deletes the oldest); this first file is vouched for by the next one\n",
				f->name);
		if (f->scan.have_header)
			note_recovered(out, &f->scan.header);
		if (f->scan.gap_records_lost)
			fprintf(out, "note   %s: %" PRIu64 " records were lost while writing failed "
				"(audit_gap lines)\n", f->name, f->scan.gap_records_lost);
		c->spans += f->scan.spans;
		c->alerts += f->scan.alerts;
		c->lost += f->scan.gap_records_lost;
		if (own == 0)
			fprintf(out, "ok     %s  %" PRIu64 " spans  %" PRIu64 " alerts  sha256 %s\n",
				f->name, f->scan.spans, f->scan.alerts, f->sha);
	}
	c->newest = c->closed.n ? &c->closed.v[c->closed.n - 1] : NULL;
	c->claimer = c->newest;
}

/* The open file (the agent's current one) follows the newest closed file
 * and its header vouches for it. */
static void check_open(struct verify_ctx *c)
{
	const struct vfile *newest = c->newest;

	for (size_t i = 0; i < c->opened.n; i++) {
		const struct vfile *o = &c->opened.v[i];
		uint64_t expect = newest ? newest->seq + 1 : 1;

		if (check_own(&c->v, o, 1) < 0 && o->io_errno)
			continue;
		if (o->seq < expect) {
			problem(&c->v, "%s: an open file older than the newest closed file", o->name);
			continue;
		}
		if (o->seq > expect) {
			report_missing(&c->v, expect, o->seq - 1, "removed (the open file follows them)");
			continue;
		}
		if (o->scan.have_header && newest && !newest->io_errno) {
			if (strcmp(o->scan.header.prev_sha256, newest->sha) != 0)
				problem(&c->v, "%s changed: its SHA-256 is %s but the open file %s "
					"records %s", newest->name, newest->sha, o->name,
					o->scan.header.prev_sha256);
			else
				c->vouch = o;
		}
		if (o->scan.have_header) {
			c->claimer = o;
			note_recovered(c->v.out, &o->scan.header);
		}
		c->lost += o->scan.gap_records_lost;
		fprintf(c->v.out, "open   %s: being written (%" PRIu64 " spans, %" PRIu64 " alerts "
			"so far); its records are vouched for by nothing until it is closed\n",
			o->name, o->scan.spans, o->scan.alerts);
	}
}

/* Retention only deletes below the newest header's first_kept_seq. */
static void check_retention(struct verify_ctx *c)
{
	const struct vfile *cl = c->claimer;
	uint64_t k, oldest;

	if (!cl || !cl->scan.have_header || !cl->scan.header.first_kept_seq)
		return;
	k = cl->scan.header.first_kept_seq;
	oldest = c->closed.n ? c->closed.v[0].seq : cl->seq;
	if (k < oldest && k < cl->seq)
		report_missing(&c->v, k, (oldest < cl->seq ? oldest : cl->seq) - 1,
			       "removed, though the newest header says retention kept them");
}

static void check_head(struct verify_ctx *c, const char *head)
{
	const struct vfile *h = NULL, *newest = c->newest;
	FILE *out = c->v.out;

	if (!head[0]) {
		if (newest && c->vouch)
			fprintf(out, "note   the open file's header vouches for the newest closed file "
				"%s; pass --head to prove the chain against a rewrite\n", newest->name);
		else if (newest)
			fprintf(out, "note   nothing vouches for the newest closed file %s: a crafted "
				"change to it, or the removal of the newest files, is only caught with "
				"--head\n", newest->name);
		return;
	}
	for (size_t i = 0; i < c->closed.n; i++)
		if (!c->closed.v[i].io_errno && strcmp(c->closed.v[i].sha, head) == 0)
			h = &c->closed.v[i];
	if (!h) {
		problem(&c->v, "no file here has the head's SHA-256 %s: the file the head names "
			"(the newest closed file when the head was sent) was removed or changed%s%s",
			head, newest ? "; the newest closed file here is " : "",
			newest ? newest->name : "");
		return;
	}
	fprintf(out, "head   %s (seq %" PRIu64 ") is the file the head names: with the chain "
		"intact, it and every file back to %s are as written\n",
		h->name, h->seq, c->closed.v[0].name);
	if (h != newest)
		fprintf(out, "note   %zu later closed file(s) chain from it; only a later head "
			"proves them\n", (size_t)(newest - h));
}

int audit_verify_dir(const char *dir, const char *head_hex, FILE *out)
{
	struct verify_ctx c = { .v = { out, 0, 0 } };
	char head[AUDIT_SHA256_HEX] = "";
	uint8_t *buf = NULL;
	int dfd, ret;

	if (head_hex) {
		size_t n = strlen(head_hex);

		for (size_t i = 0; i < n && n == 64; i++)
			if (!isxdigit((unsigned char)head_hex[i]))
				n = 0;
		if (n != 64) {
			fprintf(out, "audit verify: --head takes the 64 hex digits of a SHA-256\n");
			return 2;
		}
		for (size_t i = 0; i < 64; i++)
			head[i] = (char)tolower((unsigned char)head_hex[i]);
		head[64] = '\0';
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fprintf(out, "audit verify: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	if (list_dir(&c, dfd, dir) < 0) {
		ret = 2;
		goto out;
	}
	if (!c.closed.n && !c.opened.n) {
		problem(&c.v, "no audit files (audit-<seq>.jsonl.gz) in %s", dir);
		goto done;
	}
	buf = malloc(VERIFY_READ);
	if (!buf) {
		fprintf(out, "audit verify: out of memory\n");
		c.v.io_errors++;
		goto done;
	}
	for (size_t i = 0; i < c.closed.n; i++)
		scan_file(dfd, &c.closed.v[i], buf, VERIFY_READ);
	for (size_t i = 0; i < c.opened.n; i++)
		scan_file(dfd, &c.opened.v[i], buf, VERIFY_READ);
	check_closed(&c);
	check_open(&c);
	check_retention(&c);
	check_head(&c, head);
done:
	if (c.v.io_errors) {
		fprintf(out, "ERROR  %u file(s) could not be read: the chain is not verified\n",
			c.v.io_errors);
		ret = 2;
	} else if (c.v.problems) {
		fprintf(out, "BROKEN the audit chain is broken: %u problem(s)\n", c.v.problems);
		ret = 1;
	} else {
		fprintf(out, "OK     the audit chain holds: %s .. %s, %" PRIu64 " spans, %" PRIu64
			" alerts, %" PRIu64 " records lost while writing\n",
			c.closed.n ? c.closed.v[0].name : "(none closed)",
			c.closed.n ? c.closed.v[c.closed.n - 1].name : "(none closed)",
			c.spans, c.alerts, c.lost);
		ret = 0;
	}
out:
	free(buf);
	free(c.closed.v);
	free(c.opened.v);
	close(dfd);
	return ret;
}
