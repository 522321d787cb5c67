// SPDX-License-Identifier: MIT
/*
 * Fuzzes user/proto/dns/dns_msg.c with the input as one DNS message.
 *
 * Checks: never a crash, a sanitizer report or a hang; the result is one of
 * the three; SHORT exactly below 12 bytes, with every field zero; the
 * header fields are the header's bytes; a MALFORMED message has no
 * question and no answer; the question's name is terminated within
 * DNS_NAME_TEXT_MAX and printable; answers_read <= ancount, answers_cut
 * says whether it is less, naddrs <= answers_read and DNS_ADDRS_MAX, each
 * address is 4 or 6 (an A's last 12 bytes zero); the type and rcode names
 * fit their buffer. The input one byte shorter, in an exact-size copy,
 * reads the same question (or none) and no more answers or addresses: a
 * record never depends on the bytes after it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_msg.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void check_header(const uint8_t *data, const struct dns_message *m)
{
	uint16_t flags = rd16(data + 2);

	CHECK(m->id == rd16(data));
	CHECK(m->qr == flags >> 15 && m->opcode == ((flags >> 11) & 0xf));
	CHECK(m->aa == ((flags >> 10) & 1) && m->tc == ((flags >> 9) & 1));
	CHECK(m->rd == ((flags >> 8) & 1) && m->ra == ((flags >> 7) & 1));
	CHECK(m->rcode == (flags & 0xf));
	CHECK(m->qdcount == rd16(data + 4) && m->ancount == rd16(data + 6));
	CHECK(m->nscount == rd16(data + 8) && m->arcount == rd16(data + 10));
}

static void check_qname(const struct dns_message *m)
{
	const char *end = memchr(m->qname, '\0', sizeof(m->qname));

	CHECK(end != NULL);
	CHECK((end != m->qname) == m->has_question);
	for (const char *c = m->qname; c < end; c++)
		CHECK(*c >= 32 && *c <= 126);
}

static void check_answers(const struct dns_message *m)
{
	static const uint8_t zero[12];

	CHECK(m->answers_read <= m->ancount);
	CHECK(m->answers_cut == (m->answers_read < m->ancount));
	CHECK(m->naddrs <= DNS_ADDRS_MAX && m->naddrs <= m->answers_read);
	for (unsigned int i = 0; i < m->naddrs; i++) {
		CHECK(m->addrs[i].family == 4 || m->addrs[i].family == 6);
		CHECK(m->addrs[i].family == 6 || !memcmp(m->addrs[i].addr + 4, zero, 12));
	}
}

static void check_names(const struct dns_message *m)
{
	char buf[12];
	const char *s = dns_type_name(m->qtype, buf);

	CHECK(s != NULL && s[0] && strlen(s) < sizeof(buf));
	s = dns_rcode_name(m->rcode, buf);
	CHECK(s != NULL && s[0] && strlen(s) < sizeof(buf));
}

/* data[0..size - 1) reads no further than data[0..size) did. */
static void check_prefix(const uint8_t *data, size_t size, enum dns_parse_result r,
			 const struct dns_message *m)
{
	static struct dns_message p;
	uint8_t *copy = malloc(size);
	enum dns_parse_result rp;

	CHECK(copy != NULL);
	memcpy(copy, data, size - 1);
	rp = dns_parse_message(copy, size - 1, &p);
	free(copy);
	if (r != DNS_PARSE_OK)
		CHECK(rp == r || rp == DNS_PARSE_SHORT);
	if (rp != DNS_PARSE_OK)
		return;
	CHECK(r == DNS_PARSE_OK);
	CHECK(p.has_question == m->has_question && !strcmp(p.qname, m->qname));
	CHECK(p.qtype == m->qtype && p.qclass == m->qclass);
	CHECK(p.answers_read <= m->answers_read && p.naddrs <= m->naddrs);
	CHECK(!memcmp(p.addrs, m->addrs, p.naddrs * sizeof(p.addrs[0])));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dns_message zero;
	static struct dns_message m;
	enum dns_parse_result r = dns_parse_message(data, size, &m);

	CHECK(r == DNS_PARSE_OK || r == DNS_PARSE_SHORT || r == DNS_PARSE_MALFORMED);
	CHECK((r == DNS_PARSE_SHORT) == (size < DNS_HEADER_LEN));
	if (r == DNS_PARSE_SHORT) {
		CHECK(!memcmp(&m, &zero, sizeof(m)));
		return 0;
	}
	check_header(data, &m);
	check_qname(&m);
	CHECK(!m.has_question || m.qdcount >= 1);
	if (r == DNS_PARSE_MALFORMED) {
		CHECK(m.qdcount >= 1 && !m.has_question && !m.qtype && !m.qclass);
		CHECK(!m.answers_read && !m.answers_cut && !m.naddrs);
	} else {
		CHECK(m.has_question == (m.qdcount >= 1));
		check_answers(&m);
	}
	check_names(&m);
	check_prefix(data, size, r, &m);
	return 0;
}
