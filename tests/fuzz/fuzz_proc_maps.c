// SPDX-License-Identifier: MIT
/*
 * Fuzzes user/proc_maps.c with the whole input as one NUL-terminated line
 * (an input with a NUL in it ends there, as a C string does).
 *
 * Checks: a rejected line leaves the entry untouched; an accepted one has
 * start < end, a non-zero inode and an absolute path that is a substring of
 * the input, NUL-terminated inside its field, without a newline or a
 * " (deleted)" suffix; printing the entry back the kernel's way parses to
 * the same entry. maps_is_libssl agrees with a naive reference.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc_maps.h"
#include "fuzz_check.h"

#define PM_POISON 0xa5
#define PM_DELETED " (deleted)"

static int pm_ref_is_libssl(const char *path)
{
	const char *base = path;

	for (const char *s = path; *s; s++)
		if (*s == '/')
			base = s + 1;
	return strncmp(base, "libssl.so", 9) == 0;
}

static void pm_check_reprint(const struct maps_entry *e)
{
	size_t cap = strlen(e->path) + 128;
	char *line = malloc(cap);
	struct maps_entry again;

	CHECK(line);
	snprintf(line, cap, "%08" PRIx64 "-%08" PRIx64 " r-xp %08" PRIx64 " %02x:%02x %" PRIu64
			    "                    %s\n",
		 e->start, e->end, e->offset, e->dev_major, e->dev_minor, e->inode, e->path);
	CHECK(maps_parse_line(line, &again) == 0);
	CHECK(memcmp(&again, e, sizeof(*e)) == 0);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	struct maps_entry *e = malloc(sizeof(*e));
	size_t n;

	CHECK(line && e);
	memcpy(line, data, size);
	line[size] = '\0';
	memset(e, PM_POISON, sizeof(*e));

	if (maps_parse_line(line, e) != 0) {
		for (size_t i = 0; i < sizeof(*e); i++)
			CHECK(((uint8_t *)e)[i] == PM_POISON);
	} else {
		CHECK(e->start < e->end && e->inode != 0);
		CHECK(memchr(e->path, '\0', sizeof(e->path)));
		n = strlen(e->path);
		CHECK(n > 0 && e->path[0] == '/' && !strchr(e->path, '\n'));
		CHECK(strstr(line, e->path));
		CHECK(n < strlen(PM_DELETED) ||
		      strcmp(e->path + n - strlen(PM_DELETED), PM_DELETED) != 0);
		CHECK(e->dev_major <= 0xfff && e->dev_minor <= 0xfffff);
		pm_check_reprint(e);
		CHECK(maps_is_libssl(e->path) == pm_ref_is_libssl(e->path));
	}
	CHECK(maps_is_libssl(line) == pm_ref_is_libssl(line));
	free(e);
	free(line);
	return 0;
}
