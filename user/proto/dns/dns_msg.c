// SPDX-License-Identifier: MIT
/*
 * dns_msg.h: one DNS message read from its bytes. Every offset is checked
 * against n before the byte under it is read, and a name's pointers may only
 * go backwards past every byte of that name read so far, so hostile input
 * always ends: malformed, never a loop.
 */
#include <stdio.h>
#include <string.h>

#include "dns_msg.h"

/* RFC 1035 §2.3.4: a name is at most 255 bytes on the wire */
#define DNS_NAME_WIRE_MAX 255
/* Many more pointers than a compressor writes in one name (one per suffix
 * it reuses); bounds the work a hostile name can ask for. */
#define DNS_NAME_JUMPS_MAX 64
#define DNS_PTR_BITS 0xc0
#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1
/* a question's type and class; an answer's type, class, ttl and rdlength */
#define DNS_QUESTION_FIXED_LEN 4
#define DNS_RR_FIXED_LEN 10

/* k labels hold at most 254 - k bytes, each at most 4 characters (\DDD),
 * plus k - 1 dots and the NUL: at most 1016 - 3k, so no bound check is
 * needed while the names are written. */
_Static_assert(4 * (DNS_NAME_WIRE_MAX - 2) + 1 <= DNS_NAME_TEXT_MAX,
	       "an escaped name may not fit DNS_NAME_TEXT_MAX");

static uint16_t dns_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Appends one label at out[at], escaped as OTel asks for dns.question.name:
 * \t \r \n, \DDD for the other bytes outside 32..126, and a backslash before
 * \ and " and before a '.' that is part of the label rather than a
 * separator (RFC 1035 §5.1). Returns the new length.
 */
static size_t dns_escape_label(char *out, size_t at, const uint8_t *label, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = label[i];

		if (c == '\t' || c == '\r' || c == '\n') {
			out[at++] = '\\';
			out[at++] = c == '\t' ? 't' : c == '\r' ? 'r' : 'n';
		} else if (c < 32 || c > 126) {
			out[at++] = '\\';
			out[at++] = (char)('0' + c / 100);
			out[at++] = (char)('0' + c / 10 % 10);
			out[at++] = (char)('0' + c % 10);
		} else {
			if (c == '\\' || c == '"' || c == '.')
				out[at++] = '\\';
			out[at++] = (char)c;
		}
	}
	return at;
}

/*
 * Reads the name at *pos (RFC 1035 §4.1.4) and moves *pos past it: past its
 * first pointer, or past its root label. Writes its text into text unless
 * NULL. Returns 0, or -1 when it is cut or malformed.
 */
static int dns_read_name(const uint8_t *p, size_t n, size_t *pos, char *text)
{
	size_t at = *pos, floor = *pos, end = 0, wire = 1, len = 0;
	unsigned int jumps = 0;
	uint8_t b;

	while (at < n && (b = p[at]) != 0) {
		if ((b & DNS_PTR_BITS) == DNS_PTR_BITS) {
			size_t to;

			if (n - at < 2 || jumps++ == DNS_NAME_JUMPS_MAX)
				return -1;
			to = (size_t)(b & 0x3f) << 8 | p[at + 1];
			/* everything from floor on may lead back here */
			if (to >= floor)
				return -1;
			if (!end)
				end = at + 2;
			floor = at = to;
			continue;
		}
		/* 01 and 10 are extended label types (RFC 6891 §5), unused */
		if (b & DNS_PTR_BITS)
			return -1;
		wire += 1 + b;
		if (wire > DNS_NAME_WIRE_MAX || n - at - 1 < b)
			return -1;
		if (text) {
			if (len)
				text[len++] = '.';
			len = dns_escape_label(text, len, p + at + 1, b);
		}
		at += 1 + b;
	}
	if (at >= n)
		return -1;
	*pos = end ? end : at + 1;
	if (text) {
		if (!len)
			text[len++] = '.';
		text[len] = '\0';
	}
	return 0;
}

static void dns_read_header(const uint8_t *p, struct dns_message *m)
{
	uint16_t flags = dns_rd16(p + 2);

	m->id = dns_rd16(p);
	m->qr = flags >> 15;
	m->opcode = (flags >> 11) & 0xf;
	m->aa = (flags >> 10) & 1;
	m->tc = (flags >> 9) & 1;
	m->rd = (flags >> 8) & 1;
	m->ra = (flags >> 7) & 1;
	m->rcode = flags & 0xf;
	m->qdcount = dns_rd16(p + 4);
	m->ancount = dns_rd16(p + 6);
	m->nscount = dns_rd16(p + 8);
	m->arcount = dns_rd16(p + 10);
}

static int dns_read_question(const uint8_t *p, size_t n, size_t *pos, struct dns_message *m)
{
	if (dns_read_name(p, n, pos, m->qname) || n - *pos < DNS_QUESTION_FIXED_LEN) {
		/* a name without its type is no question */
		memset(m->qname, 0, sizeof(m->qname));
		return -1;
	}
	m->qtype = dns_rd16(p + *pos);
	m->qclass = dns_rd16(p + *pos + 2);
	m->has_question = 1;
	*pos += DNS_QUESTION_FIXED_LEN;
	return 0;
}

/* Moves *pos past the questions after the first one. */
static int dns_skip_questions(const uint8_t *p, size_t n, size_t *pos, uint16_t count)
{
	for (unsigned int i = 1; i < count; i++) {
		if (dns_read_name(p, n, pos, NULL) || n - *pos < DNS_QUESTION_FIXED_LEN)
			return -1;
		*pos += DNS_QUESTION_FIXED_LEN;
	}
	return 0;
}

/* Keeps an Internet address, if the record is one and there is room. */
static void dns_keep_addr(struct dns_message *m, uint16_t type, const uint8_t *rdata,
			  uint16_t rdlen)
{
	struct dns_addr *a;
	uint8_t family = 0;

	if (type == DNS_TYPE_A && rdlen == 4)
		family = 4;
	else if (type == DNS_TYPE_AAAA && rdlen == 16)
		family = 6;
	if (!family || m->naddrs == DNS_ADDRS_MAX)
		return;
	a = &m->addrs[m->naddrs++];
	a->family = family;
	memcpy(a->addr, rdata, rdlen);
}

/* Moves *pos past one resource record (§4.1.3), keeping its address. */
static int dns_read_answer(const uint8_t *p, size_t n, size_t *pos, struct dns_message *m)
{
	uint16_t type, rclass, rdlen;

	if (dns_read_name(p, n, pos, NULL) || n - *pos < DNS_RR_FIXED_LEN)
		return -1;
	type = dns_rd16(p + *pos);
	rclass = dns_rd16(p + *pos + 2);
	rdlen = dns_rd16(p + *pos + 8);
	*pos += DNS_RR_FIXED_LEN;
	if (n - *pos < rdlen)
		return -1;
	if (rclass == DNS_CLASS_IN)
		dns_keep_addr(m, type, p + *pos, rdlen);
	*pos += rdlen;
	return 0;
}

enum dns_parse_result dns_parse_message(const uint8_t *p, size_t n, struct dns_message *m)
{
	size_t pos = DNS_HEADER_LEN;

	memset(m, 0, sizeof(*m));
	if (n < DNS_HEADER_LEN)
		return DNS_PARSE_SHORT;
	dns_read_header(p, m);
	if (m->qdcount && dns_read_question(p, n, &pos, m))
		return DNS_PARSE_MALFORMED;
	if (!dns_skip_questions(p, n, &pos, m->qdcount))
		while (m->answers_read < m->ancount && !dns_read_answer(p, n, &pos, m))
			m->answers_read++;
	/* an empty section (ancount 0) is never cut, whatever came before it */
	m->answers_cut = m->answers_read < m->ancount;
	return DNS_PARSE_OK;
}

static const struct {
	uint16_t type;
	const char *name;
} dns_types[] = {
	{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" },
	{ 13, "HINFO" }, { 15, "MX" }, { 16, "TXT" }, { 28, "AAAA" }, { 33, "SRV" },
	{ 35, "NAPTR" }, { 41, "OPT" }, { 43, "DS" }, { 46, "RRSIG" }, { 47, "NSEC" },
	{ 48, "DNSKEY" }, { 50, "NSEC3" }, { 51, "NSEC3PARAM" }, { 52, "TLSA" },
	{ 64, "SVCB" }, { 65, "HTTPS" }, { 251, "IXFR" }, { 252, "AXFR" },
	{ 255, "ANY" }, { 257, "CAA" },
};

const char *dns_type_name(uint16_t type, char buf[12])
{
	for (size_t i = 0; i < sizeof(dns_types) / sizeof(dns_types[0]); i++)
		if (dns_types[i].type == type)
			return dns_types[i].name;
	snprintf(buf, 12, "TYPE%u", (unsigned int)type);
	return buf;
}

/* RFC 1035 §4.1.1 (0-5) and RFC 2136 §2.2 (6-10) */
static const char *const dns_rcodes[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
};

const char *dns_rcode_name(uint8_t rcode, char buf[12])
{
	if (rcode < sizeof(dns_rcodes) / sizeof(dns_rcodes[0]))
		return dns_rcodes[rcode];
	snprintf(buf, 12, "RCODE%u", (unsigned int)rcode);
	return buf;
}
