// SPDX-License-Identifier: MIT
/* user/listen_ports.c: LISTEN rows of /proc/net/tcp and tcp6 text. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listen_ports.h"

/* Rows as the kernel prints them (header padded with spaces to the row
 * width, trailing spaces on every row). Ports: 18080 LISTEN on 127.0.0.1,
 * 2024 LISTEN on 0.0.0.0, an ESTABLISHED (01) and a TIME_WAIT (06) row on
 * 18080, a SYN_SENT (02) row from local port 5432. */
static const char lp_tcp[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n"
	"   0: 0100007F:46A0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9738 1 00000000c12045f3 100 0 0 10 0                      \n"
	"   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1061 1 00000000f546097a 100 0 0 10 0                      \n"
	"   2: 0100007F:46A0 0100007F:A618 06 00000000:00000000 03:0000062B 00000000     0        0 0 3 00000000f9d0fbbc                                      \n"
	"   3: 0100007F:46A0 0100007F:A61A 01 00000000:00000000 00:00000000 00000000  1000        0 23456 1 00000000aa5fd8e1 20 4 30 10 -1                    \n"
	"   4: 0A00020F:1538 0A000201:0050 02 00000001:00000000 01:00000064 00000000     0        0 34567 2 00000000bb5fd8e2 1000 0 0 1 -1                    \n";

/* :: port 8080 LISTEN, ::1 port 65535 LISTEN, an ESTABLISHED row on 8080 and
 * a v4-mapped LISTEN on port 1. */
static const char lp_tcp6[] =
	"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	"   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 41234 1 0000000085b7a2c4 100 0 0 10 0\n"
	"   1: 00000000000000000000000001000000:FFFF 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41235 1 0000000085b7a2c5 100 0 0 10 0\n"
	"   2: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 41236 1 0000000085b7a2c6 20 4 30 10 -1\n"
	"   3: 0000000000000000FFFF00000100007F:0001 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41237 1 0000000085b7a2c7 100 0 0 10 0\n";

static uint32_t lp_count(const struct port_set *s)
{
	uint32_t n = 0;

	for (uint32_t p = 0; p <= 0xffff; p++)
		n += (uint32_t)port_set_has(s, (uint16_t)p);
	return n;
}

static int lp_parse(const char *text, struct port_set *set)
{
	return listen_ports_parse(text, strlen(text), set);
}

Test(listen_ports, tcp_listen_rows_only)
{
	static struct port_set set;

	cr_expect_eq(lp_parse(lp_tcp, &set), 2);
	cr_expect(port_set_has(&set, 18080));
	cr_expect(port_set_has(&set, 2024));
	cr_expect_not(port_set_has(&set, 5432), "SYN_SENT is not LISTEN");
	cr_expect_not(port_set_has(&set, 80), "remote ports are not added");
	cr_expect_eq(lp_count(&set), 2);
}

Test(listen_ports, tcp6_listen_rows_only)
{
	static struct port_set set;

	cr_expect_eq(lp_parse(lp_tcp6, &set), 3);
	cr_expect(port_set_has(&set, 8080));
	cr_expect(port_set_has(&set, 65535));
	cr_expect(port_set_has(&set, 1));
	cr_expect_not(port_set_has(&set, 0xD2F0));
	cr_expect_eq(lp_count(&set), 3);
}

Test(listen_ports, both_tables_accumulate)
{
	static struct port_set set;

	cr_expect_eq(lp_parse(lp_tcp, &set), 2);
	cr_expect_eq(lp_parse(lp_tcp6, &set), 3);
	cr_expect_eq(lp_count(&set), 5);
	/* the same port listening twice counts per row, is one bit */
	cr_expect_eq(lp_parse(lp_tcp, &set), 2);
	cr_expect_eq(lp_count(&set), 5);
}

Test(listen_ports, empty_and_header_only)
{
	static struct port_set set;

	cr_expect_eq(listen_ports_parse("", 0, &set), 0);
	cr_expect_eq(listen_ports_parse(lp_tcp, 0, &set), 0, "len 0 reads nothing");
	cr_expect_eq(lp_parse("  sl  local_address rem_address   st tx_queue\n", &set), 0);
	cr_expect_eq(lp_parse("  sl  local_address rem_address   st tx_queue", &set), 0);
	cr_expect_eq(lp_count(&set), 0);
}

Test(listen_ports, last_row_without_newline_and_blank_lines)
{
	static struct port_set set;
	const char text[] = "header\n"
			    "\n"
			    "   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n"
			    "\n"
			    "   1: 0100007F:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0";

	cr_expect_eq(lp_parse(text, &set), 2);
	cr_expect(port_set_has(&set, 80));
	cr_expect(port_set_has(&set, 443));
}

Test(listen_ports, len_bounds_the_text)
{
	static struct port_set set;
	/* the second row lies past len: it must not be read */
	size_t first_two = (size_t)(strstr(lp_tcp, "   1:") - lp_tcp);

	cr_expect_eq(listen_ports_parse(lp_tcp, first_two, &set), 1);
	cr_expect(port_set_has(&set, 18080));
	cr_expect_not(port_set_has(&set, 2024));
}

Test(listen_ports, malformed_rows)
{
	static struct port_set set;
	static const char *const bad[] = {
		/* no slot number */
		"h\n0100007F:0050 00000000:0000 0A\n",
		/* no colon in the local address */
		"h\n   0: 0100007F0050 00000000:0000 0A\n",
		/* port not hex */
		"h\n   0: 0100007F:zz 00000000:0000 0A\n",
		/* port out of range */
		"h\n   0: 0100007F:10000 00000000:0000 0A\n",
		/* state missing */
		"h\n   0: 0100007F:0050 00000000:0000\n",
		/* state not hex */
		"h\n   0: 0100007F:0050 00000000:0000 ZZ\n",
		/* a cut row after good ones (a file read short) */
		"h\n   0: 0100007F:0050 00000000:0000 0A 0\n   1: 0100007F:00",
		/* a row of spaces */
		"h\n      \n",
		/* garbage */
		"h\nnot a table\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(lp_parse(bad[i], &set), -1, "case %zu: %s", i, bad[i]);
}

Test(listen_ports, overlong_row)
{
	static struct port_set set;
	char text[600];
	size_t k;

	/* a row longer than the parser's 255-byte window: the fields it needs
	 * come first, so it still parses */
	strcpy(text, "h\n   0: 0100007F:0050 00000000:0000 0A ");
	k = strlen(text);
	memset(text + k, 'x', 400);
	text[k + 400] = '\0';
	strcat(text, "\n");
	cr_expect_eq(lp_parse(text, &set), 1);
	cr_expect(port_set_has(&set, 80));
}

Test(listen_ports, port_set_bits)
{
	static struct port_set set;

	port_set_add(&set, 0);
	port_set_add(&set, 63);
	port_set_add(&set, 64);
	port_set_add(&set, 65535);
	cr_expect(port_set_has(&set, 0));
	cr_expect(port_set_has(&set, 63));
	cr_expect(port_set_has(&set, 64));
	cr_expect(port_set_has(&set, 65535));
	cr_expect_not(port_set_has(&set, 1));
	cr_expect_not(port_set_has(&set, 65534));
	cr_expect_eq(lp_count(&set), 4);
}

Test(listen_ports, load_reads_this_machine)
{
	static struct port_set set;
	int n = listen_ports_load(&set);

	/* the machine's own tables parse (content varies; never malformed) */
	cr_expect_geq(n, 0, "listen_ports_load returned %d", n);
	cr_expect_eq((uint32_t)n >= lp_count(&set), 1);
}
