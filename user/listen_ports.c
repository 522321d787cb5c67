// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listen_ports.h"

#define TCP_LISTEN_STATE 0x0A

/* One table row: "  0: 0100007F:1F90 00000000:0000 0A ..." */
static int parse_row(const char *row, size_t len, struct port_set *set)
{
	char buf[256], local[64], remote[64];
	unsigned int state, port;
	const char *colon;

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, row, len);
	buf[len] = '\0';
	if (sscanf(buf, " %*[0-9]: %63s %63s %x", local, remote, &state) != 3)
		return -1;
	colon = strrchr(local, ':');
	if (!colon || sscanf(colon + 1, "%x", &port) != 1 || port > 0xffff)
		return -1;
	if (state != TCP_LISTEN_STATE)
		return 0;
	port_set_add(set, (uint16_t)port);
	return 1;
}

int listen_ports_parse(const char *text, size_t len, struct port_set *set)
{
	const char *end = text + len, *line = text;
	int added = 0, first = 1;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		int r;

		if (first) {
			first = 0; /* the header row */
		} else if (n > 0) {
			r = parse_row(line, n, set);
			if (r < 0)
				return -1;
			added += r;
		}
		line += n + 1;
	}
	return added;
}

static int load_file(const char *path, struct port_set *set)
{
	static char text[1 << 20];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	/* a table larger than the buffer: parse whole rows only (LISTEN rows
	 * come first, so what is cut holds established sockets) */
	if (n == sizeof(text))
		while (n && text[n - 1] != '\n')
			n--;
	return listen_ports_parse(text, n, set);
}

int listen_ports_load(struct port_set *set)
{
	int a = load_file("/proc/net/tcp", set);
	int b = load_file("/proc/net/tcp6", set);

	if (a < 0)
		return a;
	return a + (b > 0 ? b : 0);
}
