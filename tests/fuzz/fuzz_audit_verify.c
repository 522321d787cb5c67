// SPDX-License-Identifier: MIT
/*
 * Fuzzes what `zerotrace audit verify` reads from a directory it cannot
 * trust: file names, header lines and whole files. Byte 0 picks the mode:
 *   0: a file name. A parsed name formats back to itself (one name per seq).
 *   1: a header line. A parsed header formats and parses back to the same
 *      fields (the writer's and the reader's definitions agree).
 *   2: raw file bytes through audit_scan. The hash equals a one-shot
 *      SHA-256, every result is the same whether the bytes come in one
 *      chunk or in chunks cut where the input says, good_bytes never passes
 *      the input, and a file without errors or torn end is good to its end.
 *   3: the rest gzip-compressed as one member, then scanned as in 2: a
 *      well-formed member never gives a gzip error, only line or header
 *      errors, and its end is a good end whenever its text ends a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "audit_verify.h"
#include "fuzz_check.h"

static void fuzz_name(const uint8_t *d, size_t n)
{
	char name[128], back[AUDIT_NAME_MAX];
	uint64_t seq = 0;
	int kind;

	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, d, n);
	name[n] = '\0';
	kind = audit_name_parse(name, &seq);
	if (kind == AUDIT_NAME_NONE)
		return;
	CHECK(seq != 0);
	CHECK(audit_name_format(back, sizeof(back), seq, kind == AUDIT_NAME_OPEN) == strlen(name));
	CHECK(strcmp(back, name) == 0);
}

static void fuzz_header(const uint8_t *d, size_t n)
{
	struct audit_header h, g;
	char why[96], *store = malloc(16384);
	struct json_buf b;

	CHECK(store);
	if (audit_header_parse((const char *)d, n, &h, why, sizeof(why)) < 0) {
		CHECK(why[0] != '\0');
		free(store);
		return;
	}
	CHECK(h.version == AUDIT_FORMAT_VERSION && h.seq >= 1);
	CHECK(strlen(h.prev_sha256) == 64);
	json_buf_init(&b, store, 16384);
	audit_header_format(&b, &h);
	CHECK(!b.overflow);
	CHECK(audit_header_parse(b.data, b.len, &g, why, sizeof(why)) == 0);
	CHECK(g.seq == h.seq && g.first_kept_seq == h.first_kept_seq);
	CHECK(g.has_recovered == h.has_recovered);
	CHECK(g.recovered_dropped_bytes == (h.has_recovered ? h.recovered_dropped_bytes : 0));
	CHECK(strcmp(g.prev_file, h.prev_file) == 0);
	CHECK(strcmp(g.prev_sha256, h.prev_sha256) == 0);
	CHECK(strcmp(g.host, h.host) == 0);
	CHECK(strcmp(g.created, h.created) == 0);
	CHECK(strcmp(g.agent, h.agent) == 0);
	CHECK(strcmp(g.recovered_file, h.recovered_file) == 0);
	free(store);
}

struct result {
	struct audit_scan s;
	char all[AUDIT_SHA256_HEX], good[AUDIT_SHA256_HEX];
};

/* Scans d in chunks: cut (nonzero) gives the chunk lengths, cycling. */
static void scan(const uint8_t *d, size_t n, const uint8_t *cut, size_t ncut, struct result *r)
{
	size_t off = 0, i = 0;

	CHECK(audit_scan_init(&r->s) == 0);
	while (off < n) {
		size_t len = ncut ? (size_t)(cut[i++ % ncut] % 64) + 1 : n;

		if (len > n - off)
			len = n - off;
		audit_scan_feed(&r->s, d + off, len);
		off += len;
	}
	audit_scan_finish(&r->s, r->all, r->good);
	audit_scan_free(&r->s);
}

static void check_scan(const uint8_t *d, size_t n, const uint8_t *cut, size_t ncut)
{
	static const char hexd[] = "0123456789abcdef";
	struct result *a = calloc(2, sizeof(*a)), *b = a + 1;
	unsigned char md[32];
	char want[AUDIT_SHA256_HEX];
	unsigned int len = 0;

	CHECK(a);
	scan(d, n, NULL, 0, a);
	scan(d, n, cut, ncut, b);
	CHECK(EVP_Digest(d, n, md, &len, EVP_sha256(), NULL) && len == 32);
	for (int i = 0; i < 32; i++) {
		want[2 * i] = hexd[md[i] >> 4];
		want[2 * i + 1] = hexd[md[i] & 0xf];
	}
	want[64] = '\0';
	CHECK(strcmp(a->all, want) == 0);
	CHECK(strcmp(b->all, want) == 0);
	CHECK(a->s.in_bytes == n && b->s.in_bytes == n);
	CHECK(a->s.good_bytes <= n);
	if (a->s.good_bytes == n)
		CHECK(strcmp(a->good, want) == 0);
	if (!a->s.error && !a->s.partial)
		CHECK(a->s.good_bytes == n);
	/* chunking changes nothing (error_at is where an error was noticed,
	 * which depends on how much input was at hand) */
	CHECK(a->s.good_bytes == b->s.good_bytes && strcmp(a->good, b->good) == 0);
	CHECK(a->s.members == b->s.members && a->s.lines == b->s.lines);
	CHECK(a->s.spans == b->s.spans && a->s.alerts == b->s.alerts);
	CHECK(a->s.others == b->s.others && a->s.gap_records_lost == b->s.gap_records_lost);
	CHECK(a->s.error == b->s.error && a->s.partial == b->s.partial);
	CHECK(a->s.have_header == b->s.have_header);
	CHECK(strcmp(a->s.why, b->s.why) == 0);
	if (a->s.have_header)
		CHECK(a->s.header.seq == b->s.header.seq &&
		      strcmp(a->s.header.prev_sha256, b->s.header.prev_sha256) == 0);
	free(a);
}

static void check_member(const uint8_t *d, size_t n, const uint8_t *cut, size_t ncut)
{
	size_t cap = compressBound((uLong)n) + 64;
	uint8_t *gz = malloc(cap);
	struct result *r = calloc(1, sizeof(*r));
	z_stream zs = { 0 };

	CHECK(gz && r);
	CHECK(deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)d;
	zs.avail_in = (uInt)n;
	zs.next_out = gz;
	zs.avail_out = (uInt)cap;
	CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	cap = cap - zs.avail_out;
	deflateEnd(&zs);

	scan(gz, cap, NULL, 0, r);
	CHECK(strncmp(r->s.why, "not a valid gzip stream", 23) != 0);
	if (!r->s.error) {
		CHECK(r->s.members == 1);
		CHECK(r->s.good_bytes == cap); /* a member that ends a line */
	}
	check_scan(gz, cap, cut, ncut);
	free(r);
	free(gz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t ncut;

	if (size < 1)
		return 0;
	ncut = size > 1 ? data[1] % 8 : 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_name(data + 1, size - 1);
		break;
	case 1:
		fuzz_header(data + 1, size - 1);
		break;
	case 2:
		if (size < 2 + ncut)
			return 0;
		check_scan(data + 2 + ncut, size - 2 - ncut, data + 2, ncut);
		break;
	case 3:
		if (size < 2 + ncut)
			return 0;
		check_member(data + 2 + ncut, size - 2 - ncut, data + 2, ncut);
		break;
	}
	return 0;
}
