/* SPDX-License-Identifier: MIT */
/*
 * One DNS message (RFC 1035 §4.1), read from its bytes: the header, the
 * first question, and the addresses the answer section gives. A pure
 * function over a byte buffer: names may be compressed (§4.1.4), pointers
 * may chain, and hostile input may loop or run past the end; every such
 * message is malformed, never a crash and never a read out of bounds.
 */
#ifndef ZT_DNS_MSG_H
#define ZT_DNS_MSG_H

#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
/* A name in presentation form ("www.example.com", "." for the root), NUL
 * included: 255 wire bytes make at most 253 characters, and escapes
 * (\DDD for a byte outside printable ASCII, \. \\ \" inside a label) may
 * make that up to four times longer. */
#define DNS_NAME_TEXT_MAX 1024
/* A/AAAA answers kept per message; the rest are only counted. */
#define DNS_ADDRS_MAX 8

enum dns_parse_result {
	DNS_PARSE_OK = 0,
	DNS_PARSE_SHORT,     /* fewer than DNS_HEADER_LEN bytes: not a message */
	DNS_PARSE_MALFORMED, /* the header parsed, the question did not */
};

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
};

struct dns_addr {
	uint8_t family;    /* 4 (an A record) or 6 (AAAA) */
	uint8_t addr[16];  /* A: the first 4 bytes */
};

struct dns_message {
	uint16_t id;
	uint8_t qr;        /* 1: a response */
	uint8_t opcode;
	uint8_t rcode;     /* the header's 4 bits */
	uint8_t tc;        /* the TC bit: the answer did not fit, the client retries over TCP */
	uint8_t aa, rd, ra;
	uint16_t qdcount, ancount, nscount, arcount;
	/* the first question (qdcount >= 1 and it parsed) */
	uint8_t has_question;
	uint16_t qtype;
	uint16_t qclass;
	char qname[DNS_NAME_TEXT_MAX];
	/* the answer section, as far as the bytes go: records read whole
	 * (<= ancount), and the A/AAAA among them (the first DNS_ADDRS_MAX) */
	uint16_t answers_read;
	uint8_t answers_cut; /* the section stopped early: cut short, or malformed */
	uint8_t naddrs;
	struct dns_addr addrs[DNS_ADDRS_MAX];
};

/*
 * Reads the message in p[0..n) (n may be fewer than the message's bytes:
 * what is there is read, the rest is answers_cut). DNS_PARSE_OK when the
 * header and (if qdcount >= 1) the first question parsed; fields the
 * result does not cover are zero.
 */
enum dns_parse_result dns_parse_message(const uint8_t *p, size_t n, struct dns_message *m);

/* "A", "AAAA", "CNAME", ... for the types a resolver asks about, else
 * "TYPE<n>" (RFC 3597) written into buf. */
const char *dns_type_name(uint16_t type, char buf[12]);

/* "NOERROR", "NXDOMAIN", ... (RFC 1035, 2136, 6895 names), else "RCODE<n>"
 * written into buf. */
const char *dns_rcode_name(uint8_t rcode, char buf[12]);

#endif /* ZT_DNS_MSG_H */
