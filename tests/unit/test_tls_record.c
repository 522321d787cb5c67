// SPDX-License-Identifier: MIT
/*
 * bpf/tls_record.h, the kernel's test for the first bytes of a TLS
 * connection: real hello records (captured from curl and OpenSSL 3.0 on
 * loopback), the 5-byte header OpenSSL reads on its own, and the database
 * first messages it must not take for TLS.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tls_record.h"

static int hello(const unsigned char *p, unsigned int n)
{
	return zt_tls_hello(p, n);
}

/* curl's ClientHello: record 3.1, length 0x0200, ClientHello, 0x0001fc, 3.3 */
static const unsigned char client_hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00,
					      0x01, 0xfc, 0x03, 0x03, 0x5a, 0x11 };
/* the ServerHello: record 3.3, length 0x007a, ServerHello, 0x000076, 3.3 */
static const unsigned char server_hello[] = { 0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00,
					      0x00, 0x76, 0x03, 0x03, 0xc4 };

Test(tls_record, hellos_are_tls)
{
	cr_expect_eq(hello(client_hello, sizeof(client_hello)), 1);
	cr_expect_eq(hello(server_hello, sizeof(server_hello)), 1);
	cr_expect_eq(hello(client_hello, 11), 1, "11 bytes are enough");
}

Test(tls_record, a_lone_record_header_is_judged_on_its_five_bytes)
{
	cr_expect_eq(hello(client_hello, 5), 1);
	cr_expect_eq(hello(server_hello, 5), 1);
	/* a record longer than TLS allows */
	cr_expect_eq(hello((const unsigned char[]){ 0x16, 0x03, 0x01, 0x48, 0x01 }, 5), 0);
	cr_expect_eq(hello((const unsigned char[]){ 0x16, 0x03, 0x01, 0x48, 0x00 }, 5), 1,
		     "2^14 + 2048 is the most");
}

Test(tls_record, short_or_cut_messages_are_not)
{
	cr_expect_eq(hello(client_hello, 0), 0);
	cr_expect_eq(hello(client_hello, 4), 0);
	cr_expect_eq(hello(client_hello, 6), 0, "past the header, the hello must show");
	cr_expect_eq(hello(client_hello, 10), 0);
}

Test(tls_record, other_records_and_protocols_are_not)
{
	unsigned char p[sizeof(client_hello)];

	memcpy(p, client_hello, sizeof(p));
	p[0] = 0x17; /* application data */
	cr_expect_eq(hello(p, sizeof(p)), 0);
	memcpy(p, client_hello, sizeof(p));
	p[2] = 0x05;
	cr_expect_eq(hello(p, sizeof(p)), 0);
	memcpy(p, client_hello, sizeof(p));
	p[5] = 0x0b; /* Certificate: never a connection's first record */
	cr_expect_eq(hello(p, sizeof(p)), 0);
	memcpy(p, client_hello, sizeof(p));
	p[6] = 0x01; /* a hello over 64 KiB */
	cr_expect_eq(hello(p, sizeof(p)), 0);
	memcpy(p, client_hello, sizeof(p));
	p[9] = 0x02;
	cr_expect_eq(hello(p, sizeof(p)), 0);
	/* a MySQL packet of 790 bytes, seq 0, COM_QUERY "select" */
	cr_expect_eq(hello((const unsigned char *)"\x16\x03\x00\x00\x03select 1", 15), 0);
	/* a PostgreSQL SSLRequest and startup, an HTTP request, a Redis array */
	cr_expect_eq(hello((const unsigned char *)"\x00\x00\x00\x08\x04\xd2\x16\x2f", 8), 0);
	cr_expect_eq(hello((const unsigned char *)"GET / HTTP/1.1\r\n", 16), 0);
	cr_expect_eq(hello((const unsigned char *)"*1\r\n$4\r\nPING\r\n", 14), 0);
}
