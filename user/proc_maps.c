// SPDX-License-Identifier: MIT
#include <stddef.h>
#include <string.h>

#include "proc_maps.h"

#define DELETED_SUFFIX " (deleted)"

/* The kernel prints lowercase hex only; anything else is not its output. */
static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 1..max_digits hex digits; moves *p past them. */
static int parse_hex(const char **p, int max_digits, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0, d;

	while ((d = hex_digit((*p)[n])) >= 0) {
		if (++n > max_digits)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	if (n == 0)
		return -1;
	*p += n;
	*out = v;
	return 0;
}

static int parse_dec(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

static int expect_char(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

/* "r-xp": each position holds its letter or '-', the last 'p' or 's'. */
static int parse_perms(const char **p, int *exec)
{
	const char *s = *p;

	if ((s[0] != 'r' && s[0] != '-') || (s[1] != 'w' && s[1] != '-') ||
	    (s[2] != 'x' && s[2] != '-') || (s[3] != 'p' && s[3] != 's'))
		return -1;
	*exec = s[2] == 'x';
	*p += 4;
	return 0;
}

int maps_parse_line(const char *line, struct maps_entry *out)
{
	struct maps_entry e = { 0 };
	const char *p = line;
	uint64_t major, minor;
	size_t len;
	int exec;

	if (!line || !out)
		return -1;
	/* dev is major:minor as the kernel's MAJOR()/MINOR(): 12 and 20 bits */
	if (parse_hex(&p, 16, &e.start) || expect_char(&p, '-') || parse_hex(&p, 16, &e.end) ||
	    expect_char(&p, ' ') || parse_perms(&p, &exec) || expect_char(&p, ' ') ||
	    parse_hex(&p, 16, &e.offset) || expect_char(&p, ' ') || parse_hex(&p, 3, &major) ||
	    expect_char(&p, ':') || parse_hex(&p, 5, &minor) || expect_char(&p, ' ') ||
	    parse_dec(&p, &e.inode))
		return -1;
	if (e.start >= e.end || !exec || e.inode == 0)
		return -1;
	e.dev_major = (uint32_t)major;
	e.dev_minor = (uint32_t)minor;

	/* the kernel pads the path to a column with spaces; paths may hold spaces */
	if (*p != ' ')
		return -1;
	while (*p == ' ')
		p++;
	len = strcspn(p, "\n");
	/* a newline inside a path is printed as \012, so a raw one ends the line */
	if (p[len] == '\n' && p[len + 1] != '\0')
		return -1;
	if (len == 0 || p[0] != '/' || len >= sizeof(e.path))
		return -1;
	if (len >= sizeof(DELETED_SUFFIX) - 1 &&
	    memcmp(p + len - (sizeof(DELETED_SUFFIX) - 1), DELETED_SUFFIX,
		   sizeof(DELETED_SUFFIX) - 1) == 0)
		return -1;
	memcpy(e.path, p, len);
	e.path[len] = '\0';
	*out = e;
	return 0;
}

int maps_is_libssl(const char *path)
{
	const char *base;

	if (!path)
		return 0;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return strncmp(base, "libssl.so", strlen("libssl.so")) == 0;
}
