// SPDX-License-Identifier: MIT
/*
 * user/proto/dns/dns_msg.c: a real query byte by byte, responses with
 * compressed names cut at every length, each header bit, the escapes of
 * dns.question.name, and the names hostile input writes: pointer loops,
 * forward pointers, long chains, long labels and names.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_msg.h"

#define DM_TYPE_A 1
#define DM_TYPE_NS 2
#define DM_TYPE_CNAME 5
#define DM_TYPE_SOA 6
#define DM_TYPE_MX 15
#define DM_TYPE_AAAA 28
#define DM_CLASS_IN 1
#define DM_CLASS_CH 3

struct dm_msg {
	uint8_t b[2048];
	size_t n;
};

static void dm_put(struct dm_msg *w, const void *p, size_t n)
{
	cr_assert_leq(w->n + n, sizeof(w->b));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void dm_u8(struct dm_msg *w, uint8_t v)
{
	dm_put(w, &v, 1);
}

static void dm_u16(struct dm_msg *w, uint16_t v)
{
	dm_u8(w, (uint8_t)(v >> 8));
	dm_u8(w, (uint8_t)v);
}

static void dm_u32(struct dm_msg *w, uint32_t v)
{
	dm_u16(w, (uint16_t)(v >> 16));
	dm_u16(w, (uint16_t)v);
}

static void dm_header(struct dm_msg *w, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
		      uint16_t ns, uint16_t ar)
{
	dm_u16(w, id);
	dm_u16(w, flags);
	dm_u16(w, qd);
	dm_u16(w, an);
	dm_u16(w, ns);
	dm_u16(w, ar);
}

static void dm_label(struct dm_msg *w, const void *p, uint8_t len)
{
	dm_u8(w, len);
	dm_put(w, p, len);
}

/* The labels of dotted, uncompressed, without the root label. */
static void dm_labels(struct dm_msg *w, const char *dotted)
{
	while (*dotted) {
		size_t len = strcspn(dotted, ".");

		cr_assert_leq(len, 63);
		dm_label(w, dotted, (uint8_t)len);
		dotted += len + (dotted[len] == '.');
	}
}

/* dotted, uncompressed, root label included ("" is the root) */
static void dm_name(struct dm_msg *w, const char *dotted)
{
	dm_labels(w, dotted);
	dm_u8(w, 0);
}

static void dm_ptr(struct dm_msg *w, size_t off)
{
	cr_assert_lt(off, 0x4000);
	dm_u16(w, (uint16_t)(0xc000 | off));
}

static void dm_question(struct dm_msg *w, const char *dotted, uint16_t type)
{
	dm_name(w, dotted);
	dm_u16(w, type);
	dm_u16(w, DM_CLASS_IN);
}

/* What follows a record's name: type, class, ttl, rdlength, rdata. */
static void dm_rr(struct dm_msg *w, uint16_t type, uint16_t rclass, const void *rdata,
		  uint16_t rdlen)
{
	dm_u16(w, type);
	dm_u16(w, rclass);
	dm_u32(w, 300);
	dm_u16(w, rdlen);
	dm_put(w, rdata, rdlen);
}

/* An A record whose name points at off. */
static void dm_a(struct dm_msg *w, size_t off, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	const uint8_t addr[4] = { a, b, c, d };

	dm_ptr(w, off);
	dm_rr(w, DM_TYPE_A, DM_CLASS_IN, addr, 4);
}

/* Parses an exact-size copy of p[0..n), so ASan sees a read past n; the
 * message is filled with junk first, so a field left unset shows. */
static enum dns_parse_result dm_parse(const uint8_t *p, size_t n, struct dns_message *m)
{
	uint8_t *copy = malloc(n ? n : 1);
	enum dns_parse_result r;

	cr_assert_not_null(copy);
	memcpy(copy, p, n);
	memset(m, 0xa5, sizeof(*m));
	r = dns_parse_message(copy, n, m);
	free(copy);
	cr_assert_not_null(memchr(m->qname, '\0', sizeof(m->qname)));
	return r;
}

static void dm_assert_addr4(const struct dns_addr *a, uint8_t b0, uint8_t b1, uint8_t b2,
			    uint8_t b3)
{
	const uint8_t want[16] = { b0, b1, b2, b3 };

	cr_assert_eq(a->family, 4);
	cr_assert_arr_eq(a->addr, want, 16);
}

/* The malformed result: the header is there, nothing after it. */
static void dm_assert_no_question(const struct dns_message *m)
{
	static const char zero[DNS_NAME_TEXT_MAX];

	cr_assert_eq(m->has_question, 0);
	cr_assert_eq(m->qtype, 0);
	cr_assert_eq(m->qclass, 0);
	cr_assert_arr_eq(m->qname, zero, sizeof(zero));
	cr_assert_eq(m->answers_read, 0);
	cr_assert_eq(m->answers_cut, 0);
	cr_assert_eq(m->naddrs, 0);
}

/* ---- header and question ---- */

Test(dns_msg, query_example_com_a_exact_fields)
{
	/* what `dig +noedns example.com A` sends */
	static const uint8_t q[] = {
		0xab, 0xcd,             /* id */
		0x01, 0x20,             /* RD, AD */
		0x00, 0x01, 0x00, 0x00, /* qdcount 1, ancount 0 */
		0x00, 0x00, 0x00, 0x00, /* nscount 0, arcount 0 */
		0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
		0x03, 'c', 'o', 'm',
		0x00,
		0x00, 0x01,             /* A */
		0x00, 0x01,             /* IN */
	};
	struct dns_message m;

	cr_assert_eq(dm_parse(q, sizeof(q), &m), DNS_PARSE_OK);
	cr_assert_eq(m.id, 0xabcd);
	cr_assert_eq(m.qr, 0);
	cr_assert_eq(m.opcode, 0);
	cr_assert_eq(m.aa, 0);
	cr_assert_eq(m.tc, 0);
	cr_assert_eq(m.rd, 1);
	cr_assert_eq(m.ra, 0);
	cr_assert_eq(m.rcode, 0);
	cr_assert_eq(m.qdcount, 1);
	cr_assert_eq(m.ancount, 0);
	cr_assert_eq(m.nscount, 0);
	cr_assert_eq(m.arcount, 0);
	cr_assert_eq(m.has_question, 1);
	cr_assert_str_eq(m.qname, "example.com");
	cr_assert_eq(m.qtype, 1);
	cr_assert_eq(m.qclass, 1);
	cr_assert_eq(m.answers_read, 0);
	cr_assert_eq(m.answers_cut, 0);
	cr_assert_eq(m.naddrs, 0);
}

Test(dns_msg, header_bits_and_counts)
{
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	/* QR, opcode 5 (UPDATE), AA, RD, the Z bits, rcode 15 */
	dm_header(&w, 0x0102, 0x8000 | 5 << 11 | 0x0400 | 0x0100 | 0x0070 | 0xf, 0, 0, 0x0304,
		  0x0506);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_eq(m.id, 0x0102);
	cr_assert_eq(m.qr, 1);
	cr_assert_eq(m.opcode, 5);
	cr_assert_eq(m.aa, 1);
	cr_assert_eq(m.tc, 0);
	cr_assert_eq(m.rd, 1);
	cr_assert_eq(m.ra, 0);
	cr_assert_eq(m.rcode, 15);
	cr_assert_eq(m.nscount, 0x0304);
	cr_assert_eq(m.arcount, 0x0506);

	/* the other bits alone: TC, RA */
	w.n = 0;
	dm_header(&w, 0, 0x0200 | 0x0080, 0, 0, 0, 0);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_eq(m.qr + m.opcode + m.aa + m.rd + m.rcode, 0);
	cr_assert_eq(m.tc, 1);
	cr_assert_eq(m.ra, 1);
}

Test(dns_msg, short_message_is_all_zero)
{
	static const struct dns_message zero;
	uint8_t b[DNS_HEADER_LEN];
	struct dns_message m;

	memset(b, 0xff, sizeof(b));
	for (size_t n = 0; n < DNS_HEADER_LEN; n++) {
		cr_assert_eq(dm_parse(b, n, &m), DNS_PARSE_SHORT, "n=%zu", n);
		cr_assert_eq(memcmp(&m, &zero, sizeof(m)), 0, "n=%zu", n);
	}
}

Test(dns_msg, question_cut_is_malformed_header_kept)
{
	struct dm_msg w = { .n = 0 };
	struct dns_message m;
	size_t whole;

	dm_header(&w, 0x4242, 0x0100, 1, 0, 0, 0);
	dm_question(&w, "example.com", DM_TYPE_A);
	whole = w.n;
	for (size_t n = DNS_HEADER_LEN; n < whole; n++) {
		cr_assert_eq(dm_parse(w.b, n, &m), DNS_PARSE_MALFORMED, "n=%zu", n);
		cr_assert_eq(m.id, 0x4242);
		cr_assert_eq(m.rd, 1);
		cr_assert_eq(m.qdcount, 1);
		dm_assert_no_question(&m);
	}
	cr_assert_eq(dm_parse(w.b, whole, &m), DNS_PARSE_OK);
}

Test(dns_msg, root_name_is_a_dot)
{
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	dm_header(&w, 1, 0x0100, 1, 0, 0, 0);
	dm_question(&w, "", DM_TYPE_NS);
	cr_assert_eq(w.n, DNS_HEADER_LEN + 5);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_str_eq(m.qname, ".");
	cr_assert_eq(m.qtype, DM_TYPE_NS);
	cr_assert_eq(m.qclass, DM_CLASS_IN);
}

Test(dns_msg, qdcount_zero_reads_the_answers)
{
	static const uint8_t addr[4] = { 192, 0, 2, 1 };
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	dm_header(&w, 1, 0x8000, 0, 1, 0, 0);
	dm_name(&w, "");
	dm_rr(&w, DM_TYPE_A, DM_CLASS_IN, addr, 4);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_eq(m.has_question, 0);
	cr_assert_str_eq(m.qname, "");
	cr_assert_eq(m.answers_read, 1);
	cr_assert_eq(m.answers_cut, 0);
	cr_assert_eq(m.naddrs, 1);
	dm_assert_addr4(&m.addrs[0], 192, 0, 2, 1);
}

Test(dns_msg, second_question_skipped)
{
	struct dm_msg w = { .n = 0 };
	struct dns_message m;
	size_t cut;

	dm_header(&w, 1, 0x8180, 2, 1, 0, 0);
	dm_question(&w, "a.example.com", DM_TYPE_A);
	cut = w.n + 2;
	/* b.example.com, its suffix at 14 */
	dm_labels(&w, "b");
	dm_ptr(&w, 14);
	dm_u16(&w, DM_TYPE_AAAA);
	dm_u16(&w, DM_CLASS_IN);
	dm_a(&w, 12, 10, 1, 2, 3);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_str_eq(m.qname, "a.example.com");
	cr_assert_eq(m.qtype, DM_TYPE_A);
	cr_assert_eq(m.answers_read, 1);
	cr_assert_eq(m.answers_cut, 0);
	cr_assert_eq(m.naddrs, 1);
	dm_assert_addr4(&m.addrs[0], 10, 1, 2, 3);

	/* the second question cut: the first still counts, the answers do not */
	cr_assert_eq(dm_parse(w.b, cut, &m), DNS_PARSE_OK);
	cr_assert_eq(m.has_question, 1);
	cr_assert_str_eq(m.qname, "a.example.com");
	cr_assert_eq(m.answers_read, 0);
	cr_assert_eq(m.answers_cut, 1);

	/* ... and with no answer to miss, nothing is cut */
	w.b[7] = 0;
	cr_assert_eq(dm_parse(w.b, cut, &m), DNS_PARSE_OK);
	cr_assert_eq(m.ancount, 0);
	cr_assert_eq(m.answers_cut, 0);
}

/* ---- answers ---- */

/* www.example.com CNAME web.example.com, two A records for that. */
static void dm_cname_response(struct dm_msg *w)
{
	size_t web;

	dm_header(w, 0xabcd, 0x8180, 1, 3, 0, 0);
	dm_question(w, "www.example.com", DM_TYPE_A);
	cr_assert_eq(w->n, 33);
	dm_ptr(w, 12);
	dm_u16(w, DM_TYPE_CNAME);
	dm_u16(w, DM_CLASS_IN);
	dm_u32(w, 300);
	dm_u16(w, 6);
	web = w->n;
	cr_assert_eq(web, 45);
	dm_labels(w, "web");
	dm_ptr(w, 16); /* example.com in the question */
	dm_a(w, web, 93, 184, 216, 34);
	dm_a(w, web, 93, 184, 216, 35);
	cr_assert_eq(w->n, 83);
}

Test(dns_msg, response_cname_and_two_a_through_pointers)
{
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	dm_cname_response(&w);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_eq(m.id, 0xabcd);
	cr_assert_eq(m.qr, 1);
	cr_assert_eq(m.rd, 1);
	cr_assert_eq(m.ra, 1);
	cr_assert_eq(m.aa, 0);
	cr_assert_eq(m.rcode, 0);
	cr_assert_eq(m.ancount, 3);
	cr_assert_str_eq(m.qname, "www.example.com");
	cr_assert_eq(m.qtype, DM_TYPE_A);
	cr_assert_eq(m.answers_read, 3);
	cr_assert_eq(m.answers_cut, 0);
	cr_assert_eq(m.naddrs, 2);
	dm_assert_addr4(&m.addrs[0], 93, 184, 216, 34);
	dm_assert_addr4(&m.addrs[1], 93, 184, 216, 35);
}

Test(dns_msg, response_cut_at_every_length)
{
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	dm_cname_response(&w);
	for (size_t n = DNS_HEADER_LEN; n <= w.n; n++) {
		/* the records end at 51, 67 and 83 */
		unsigned int read = (n >= 51) + (n >= 67) + (n >= 83);

		if (n < 33) {
			cr_assert_eq(dm_parse(w.b, n, &m), DNS_PARSE_MALFORMED, "n=%zu", n);
			dm_assert_no_question(&m);
			continue;
		}
		cr_assert_eq(dm_parse(w.b, n, &m), DNS_PARSE_OK, "n=%zu", n);
		cr_assert_str_eq(m.qname, "www.example.com");
		cr_assert_eq(m.answers_read, read, "n=%zu", n);
		cr_assert_eq(m.answers_cut, read < 3, "n=%zu", n);
		cr_assert_eq(m.naddrs, read ? read - 1 : 0, "n=%zu", n);
	}
}

Test(dns_msg, aaaa_answer)
{
	static const uint8_t addr[16] = { 0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0x00, 0x01,
					  0x02, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46 };
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	dm_header(&w, 7, 0x8180, 1, 1, 0, 0);
	dm_question(&w, "example.com", DM_TYPE_AAAA);
	dm_ptr(&w, 12);
	dm_rr(&w, DM_TYPE_AAAA, DM_CLASS_IN, addr, 16);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_eq(m.qtype, DM_TYPE_AAAA);
	cr_assert_eq(m.answers_read, 1);
	cr_assert_eq(m.naddrs, 1);
	cr_assert_eq(m.addrs[0].family, 6);
	cr_assert_arr_eq(m.addrs[0].addr, addr, 16);
}

Test(dns_msg, nxdomain_with_soa_in_authority)
{
	static const uint8_t soa[22] = { 0x02, 'n', 's', 0xc0, 0x11 };
	struct dm_msg w = { .n = 0 };
	struct dns_message m;
	char buf[12];

	dm_header(&w, 9, 0x8183, 1, 0, 1, 0);
	dm_question(&w, "nope.example.com", DM_TYPE_A);
	dm_ptr(&w, 17);
	dm_rr(&w, DM_TYPE_SOA, DM_CLASS_IN, soa, sizeof(soa));
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_eq(m.rcode, DNS_RCODE_NXDOMAIN);
	cr_assert_str_eq(dns_rcode_name(m.rcode, buf), "NXDOMAIN");
	cr_assert_str_eq(m.qname, "nope.example.com");
	cr_assert_eq(m.nscount, 1);
	cr_assert_eq(m.answers_read, 0);
	cr_assert_eq(m.answers_cut, 0);
	cr_assert_eq(m.naddrs, 0);
}

Test(dns_msg, tc_bit_with_cut_answers)
{
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	dm_header(&w, 3, 0x8380, 1, 2, 0, 0);
	dm_question(&w, "big.example.com", DM_TYPE_A);
	dm_a(&w, 12, 198, 51, 100, 1);
	dm_a(&w, 12, 198, 51, 100, 2);
	cr_assert_eq(dm_parse(w.b, w.n - 9, &m), DNS_PARSE_OK);
	cr_assert_eq(m.tc, 1);
	cr_assert_eq(m.qr, 1);
	cr_assert_eq(m.answers_read, 1);
	cr_assert_eq(m.answers_cut, 1);
	cr_assert_eq(m.naddrs, 1);
	dm_assert_addr4(&m.addrs[0], 198, 51, 100, 1);
}

Test(dns_msg, addrs_capped_every_answer_counted)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	dm_header(&w, 5, 0x8180, 1, 11, 0, 0);
	dm_question(&w, "many.example.com", DM_TYPE_A);
	for (uint8_t i = 0; i < 10; i++)
		dm_a(&w, 12, 10, 0, 0, i);
	dm_ptr(&w, 12);
	dm_rr(&w, DM_TYPE_AAAA, DM_CLASS_IN, v6, 16);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_eq(m.answers_read, 11);
	cr_assert_eq(m.answers_cut, 0);
	cr_assert_eq(m.naddrs, DNS_ADDRS_MAX);
	for (uint8_t i = 0; i < DNS_ADDRS_MAX; i++)
		dm_assert_addr4(&m.addrs[i], 10, 0, 0, i);
}

Test(dns_msg, records_that_are_no_address_only_counted)
{
	static const uint8_t five[5] = { 1, 2, 3, 4, 5 };
	static const uint8_t mx[4] = { 0, 10, 0xc0, 12 };
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	dm_header(&w, 5, 0x8180, 1, 6, 0, 0);
	dm_question(&w, "odd.example.com", DM_TYPE_A);
	dm_ptr(&w, 12);
	dm_rr(&w, DM_TYPE_A, DM_CLASS_IN, five, 5);
	dm_ptr(&w, 12);
	dm_rr(&w, DM_TYPE_A, DM_CLASS_CH, five, 4);
	dm_ptr(&w, 12);
	dm_rr(&w, DM_TYPE_AAAA, DM_CLASS_IN, five, 4);
	dm_ptr(&w, 12);
	dm_rr(&w, DM_TYPE_MX, DM_CLASS_IN, mx, 4);
	dm_ptr(&w, 12);
	dm_rr(&w, DM_TYPE_CNAME, DM_CLASS_IN, mx + 2, 2);
	dm_a(&w, 12, 1, 2, 3, 4);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_eq(m.answers_read, 6);
	cr_assert_eq(m.answers_cut, 0);
	cr_assert_eq(m.naddrs, 1);
	dm_assert_addr4(&m.addrs[0], 1, 2, 3, 4);
}

/* ---- hostile names ---- */

Test(dns_msg, pointer_to_itself_is_malformed, .timeout = 5)
{
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	dm_header(&w, 0x1111, 0, 1, 0, 0, 0);
	dm_ptr(&w, 12);
	dm_u16(&w, DM_TYPE_A);
	dm_u16(&w, DM_CLASS_IN);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_MALFORMED);
	cr_assert_eq(m.id, 0x1111);
	dm_assert_no_question(&m);
}

Test(dns_msg, pointer_back_into_own_labels_is_malformed, .timeout = 5)
{
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	/* "a" then a pointer to the "a": it points backwards, and loops */
	dm_header(&w, 1, 0, 1, 0, 0, 0);
	dm_labels(&w, "a");
	dm_ptr(&w, 12);
	dm_u16(&w, DM_TYPE_A);
	dm_u16(&w, DM_CLASS_IN);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_MALFORMED);
	dm_assert_no_question(&m);
}

Test(dns_msg, loop_in_an_answer_name_cuts_the_section, .timeout = 5)
{
	struct dm_msg w = { .n = 0 };
	struct dns_message m;
	size_t at;

	dm_header(&w, 1, 0x8180, 1, 2, 0, 0);
	dm_question(&w, "example.com", DM_TYPE_A);
	dm_a(&w, 12, 1, 1, 1, 1);
	/* x.y, then back to the x */
	at = w.n;
	dm_labels(&w, "x.y");
	dm_ptr(&w, at);
	dm_rr(&w, DM_TYPE_A, DM_CLASS_IN, "\2\2\2\2", 4);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_eq(m.answers_read, 1);
	cr_assert_eq(m.answers_cut, 1);
	cr_assert_eq(m.naddrs, 1);
	dm_assert_addr4(&m.addrs[0], 1, 1, 1, 1);
}

Test(dns_msg, forward_pointer_is_malformed)
{
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	dm_header(&w, 1, 0, 1, 0, 0, 0);
	dm_ptr(&w, 18);
	dm_u16(&w, DM_TYPE_A);
	dm_u16(&w, DM_CLASS_IN);
	cr_assert_eq(w.n, 18);
	dm_name(&w, "a");
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_MALFORMED);
	dm_assert_no_question(&m);
}

/* An answer whose name goes through chain pointers, each to the one
 * before, the first to the root at 12: chain + 1 jumps in all. */
static void dm_chain(struct dm_msg *w, unsigned int chain)
{
	size_t first;

	dm_header(w, 1, 0x8180, 1, 2, 0, 0);
	dm_question(w, "", DM_TYPE_A);
	dm_ptr(w, 12);
	dm_u16(w, 99);
	dm_u16(w, DM_CLASS_IN);
	dm_u32(w, 0);
	dm_u16(w, (uint16_t)(2 * chain));
	first = w->n;
	dm_ptr(w, 12);
	for (unsigned int i = 1; i < chain; i++)
		dm_ptr(w, first + 2 * (i - 1));
	dm_a(w, first + 2 * (chain - 1), 9, 9, 9, 9);
}

Test(dns_msg, pointer_chain_capped_at_64_jumps)
{
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	dm_chain(&w, 63);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_eq(m.answers_read, 2);
	cr_assert_eq(m.answers_cut, 0);
	cr_assert_eq(m.naddrs, 1);
	dm_assert_addr4(&m.addrs[0], 9, 9, 9, 9);

	w.n = 0;
	dm_chain(&w, 64);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_eq(m.answers_read, 1);
	cr_assert_eq(m.answers_cut, 1);
	cr_assert_eq(m.naddrs, 0);
}

Test(dns_msg, label_over_63_and_extended_labels_are_malformed)
{
	static const uint8_t kinds[] = { 0x40, 0x41, 0x7f, 0x80, 0xbf };
	uint8_t label[0xbf];
	struct dm_msg w;
	struct dns_message m;

	memset(label, 'a', sizeof(label));
	for (size_t i = 0; i < sizeof(kinds); i++) {
		w.n = 0;
		dm_header(&w, 1, 0, 1, 0, 0, 0);
		dm_label(&w, label, kinds[i]);
		dm_u8(&w, 0);
		dm_u16(&w, DM_TYPE_A);
		dm_u16(&w, DM_CLASS_IN);
		cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_MALFORMED, "len 0x%x", kinds[i]);
		dm_assert_no_question(&m);
	}
	/* 63 is the longest label */
	w.n = 0;
	dm_header(&w, 1, 0, 1, 0, 0, 0);
	dm_label(&w, label, 63);
	dm_u8(&w, 0);
	dm_u16(&w, DM_TYPE_A);
	dm_u16(&w, DM_CLASS_IN);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_eq(strlen(m.qname), 63);
}

/* Three labels of 63 bytes of c and one of last bytes: 192 + last + 2 bytes
 * on the wire. */
static void dm_long_question(struct dm_msg *w, char c, uint8_t last)
{
	uint8_t label[63];

	memset(label, c, sizeof(label));
	dm_header(w, 1, 0, 1, 0, 0, 0);
	for (int i = 0; i < 3; i++)
		dm_label(w, label, 63);
	dm_label(w, label, last);
	dm_u8(w, 0);
	dm_u16(w, DM_TYPE_A);
	dm_u16(w, DM_CLASS_IN);
}

Test(dns_msg, name_of_255_wire_bytes_ok_256_malformed)
{
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	dm_long_question(&w, 'z', 61);
	cr_assert_eq(w.n, DNS_HEADER_LEN + 255 + 4);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_eq(strlen(m.qname), 253);
	cr_assert_eq(m.qname[63], '.');

	w.n = 0;
	dm_long_question(&w, 'z', 62);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_MALFORMED);
	dm_assert_no_question(&m);
}

Test(dns_msg, name_over_255_through_a_pointer_cuts_the_section)
{
	uint8_t label[63];
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	/* 128 bytes of labels, then the question's 191: 319 in all */
	memset(label, 'q', sizeof(label));
	dm_header(&w, 1, 0x8180, 1, 1, 0, 0);
	dm_label(&w, label, 63);
	dm_label(&w, label, 63);
	dm_label(&w, label, 61);
	dm_u8(&w, 0);
	dm_u16(&w, DM_TYPE_A);
	dm_u16(&w, DM_CLASS_IN);
	dm_label(&w, label, 63);
	dm_label(&w, label, 63);
	dm_ptr(&w, 12);
	dm_rr(&w, DM_TYPE_A, DM_CLASS_IN, "\1\1\1\1", 4);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_eq(strlen(m.qname), 189);
	cr_assert_eq(m.answers_read, 0);
	cr_assert_eq(m.answers_cut, 1);
	cr_assert_eq(m.naddrs, 0);
}

Test(dns_msg, longest_escaped_name_fits)
{
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	/* 250 bytes, each \255, and 3 dots */
	dm_long_question(&w, (char)0xff, 61);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	cr_assert_eq(strlen(m.qname), 1003);
	cr_assert_eq(strncmp(m.qname, "\\255\\255", 8), 0);
	cr_assert_eq(m.qname[4 * 63], '.');
}

Test(dns_msg, escapes_in_labels)
{
	static const uint8_t l1[] = { 'a', '.', 'b' };
	static const uint8_t l2[] = { 'c', 0x07, 'd', ' ', 'e' };
	static const uint8_t l3[] = { '\\', '"', '\t', '\r', '\n' };
	static const uint8_t l4[] = { 0x00, 0x1f, 0x7f, 0xff };
	struct dm_msg w = { .n = 0 };
	struct dns_message m;

	dm_header(&w, 1, 0, 1, 0, 0, 0);
	dm_label(&w, l1, sizeof(l1));
	dm_label(&w, l2, sizeof(l2));
	dm_label(&w, l3, sizeof(l3));
	dm_label(&w, l4, sizeof(l4));
	dm_u8(&w, 0);
	dm_u16(&w, DM_TYPE_A);
	dm_u16(&w, DM_CLASS_IN);
	cr_assert_eq(dm_parse(w.b, w.n, &m), DNS_PARSE_OK);
	/* a\.b.c\007d e.\\\"\t\r\n.\000\031\127\255 */
	cr_assert_str_eq(m.qname, "a\\.b.c\\007d e.\\\\\\\"\\t\\r\\n.\\000\\031\\127\\255");
}

/* ---- names of types and rcodes ---- */

Test(dns_msg, type_names)
{
	static const struct {
		uint16_t type;
		const char *name;
	} want[] = {
		{ 1, "A" },       { 2, "NS" },      { 5, "CNAME" },   { 6, "SOA" },
		{ 12, "PTR" },    { 15, "MX" },     { 16, "TXT" },    { 28, "AAAA" },
		{ 33, "SRV" },    { 35, "NAPTR" },  { 41, "OPT" },    { 43, "DS" },
		{ 46, "RRSIG" },  { 47, "NSEC" },   { 48, "DNSKEY" }, { 64, "SVCB" },
		{ 65, "HTTPS" },  { 252, "AXFR" },  { 255, "ANY" },   { 257, "CAA" },
		{ 0, "TYPE0" },   { 3, "TYPE3" },   { 99, "TYPE99" }, { 256, "TYPE256" },
		{ 65535, "TYPE65535" },
	};
	char buf[12];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_str_eq(dns_type_name(want[i].type, buf), want[i].name, "type %u",
				 want[i].type);
	cr_assert_eq(dns_type_name(4242, buf), buf);
}

Test(dns_msg, rcode_names)
{
	static const char *const want[] = {
		"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
	};
	char buf[12];

	for (uint8_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_str_eq(dns_rcode_name(i, buf), want[i]);
	cr_assert_str_eq(dns_rcode_name(11, buf), "RCODE11");
	cr_assert_str_eq(dns_rcode_name(15, buf), "RCODE15");
	cr_assert_str_eq(dns_rcode_name(255, buf), "RCODE255");
	cr_assert_eq(dns_rcode_name(15, buf), buf);
}
