// SPDX-License-Identifier: MIT
/*
 * The streaming check of one audit file: decompresses, splits lines,
 * checks the header and hashes the bytes, fed in pieces of any size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "audit_json.h"
#include "audit_verify.h"

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

		if (audit__flat_parse(l, n, gap_kv, &g, &reason) < 0 || !g.seen) {
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
