// SPDX-License-Identifier: MIT
/*
 * user/proc_maps.c: /proc/PID/maps lines as the kernel prints them, with
 * exact fields; lines that are not an executable file mapping; malformed
 * and hostile lines; this process's own maps.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_maps.h"

#define PM_POISON 0xa5
#define PM_LIBSSL_LINE                                                                     \
	"7f3c1a2b3000-7f3c1a2d1000 r-xp 0002a000 fe:01 1835050                    "          \
	"/usr/lib/x86_64-linux-gnu/libssl.so.3"

/* -1, with out left as it was. */
static void pm_expect_rejected(const char *line)
{
	struct maps_entry e, poison;

	memset(&e, PM_POISON, sizeof(e));
	memset(&poison, PM_POISON, sizeof(poison));
	cr_expect_eq(maps_parse_line(line, &e), -1, "accepted: \"%s\"", line);
	cr_expect_eq(memcmp(&e, &poison, sizeof(e)), 0, "out written for: \"%s\"", line);
}

Test(proc_maps, libssl_text_mapping)
{
	struct maps_entry e;

	cr_assert_eq(maps_parse_line(PM_LIBSSL_LINE, &e), 0);
	cr_expect_eq(e.start, 0x7f3c1a2b3000ULL);
	cr_expect_eq(e.end, 0x7f3c1a2d1000ULL);
	cr_expect_eq(e.offset, 0x2a000ULL);
	cr_expect_eq(e.dev_major, 0xfe);
	cr_expect_eq(e.dev_minor, 1);
	cr_expect_eq(e.inode, 1835050);
	cr_expect_str_eq(e.path, "/usr/lib/x86_64-linux-gnu/libssl.so.3");
}

Test(proc_maps, trailing_newline_is_not_part_of_the_path)
{
	struct maps_entry a, b;

	cr_assert_eq(maps_parse_line(PM_LIBSSL_LINE, &a), 0);
	cr_assert_eq(maps_parse_line(PM_LIBSSL_LINE "\n", &b), 0);
	cr_expect_eq(memcmp(&a, &b, sizeof(a)), 0);
	/* only one: a second is a raw newline, which the kernel never prints */
	pm_expect_rejected(PM_LIBSSL_LINE "\n\n");
}

Test(proc_maps, widest_fields)
{
	struct maps_entry e;

	cr_assert_eq(maps_parse_line("fffffffffffff000-ffffffffffffffff --xs ffffffffffffffff "
				     "fff:fffff 18446744073709551615 /a\n",
				     &e),
		     0);
	cr_expect_eq(e.start, 0xfffffffffffff000ULL);
	cr_expect_eq(e.end, UINT64_MAX);
	cr_expect_eq(e.offset, UINT64_MAX);
	cr_expect_eq(e.dev_major, 0xfff);
	cr_expect_eq(e.dev_minor, 0xfffff);
	cr_expect_eq(e.inode, UINT64_MAX);
	cr_expect_str_eq(e.path, "/a");
}

Test(proc_maps, path_with_spaces)
{
	struct maps_entry e;

	cr_assert_eq(maps_parse_line("55d0c8a00000-55d0c8a42000 r-xp 00001000 08:02 42 "
				     "  /opt/My App/lib dir/libssl.so.1.1 \n",
				     &e),
		     0);
	cr_expect_eq(e.start, 0x55d0c8a00000ULL);
	cr_expect_eq(e.offset, 0x1000);
	cr_expect_eq(e.dev_major, 8);
	cr_expect_eq(e.dev_minor, 2);
	cr_expect_eq(e.inode, 42);
	/* padding before the path is dropped, spaces in and after it are kept */
	cr_expect_str_eq(e.path, "/opt/My App/lib dir/libssl.so.1.1 ");
	cr_expect_eq(maps_is_libssl(e.path), 1);
}

Test(proc_maps, not_executable)
{
	pm_expect_rejected("7f3c1a28d000-7f3c1a2b3000 r--p 00000000 fe:01 1835050                    "
			   "/usr/lib/x86_64-linux-gnu/libssl.so.3\n");
	pm_expect_rejected("7f3c1a340000-7f3c1a34a000 rw-p 0009a000 fe:01 1835050                    "
			   "/usr/lib/x86_64-linux-gnu/libssl.so.3\n");
	pm_expect_rejected("7f3c1a340000-7f3c1a34a000 ---p 0009a000 fe:01 1835050 /lib/x.so\n");
}

Test(proc_maps, anonymous_and_special)
{
	/* anonymous lines end in "0 " */
	pm_expect_rejected("7fa40de05000-7fa40dec9000 rw-p 00000000 00:00 0 \n");
	pm_expect_rejected("7fa40de05000-7fa40dec9000 r-xp 00000000 00:00 0 \n");
	pm_expect_rejected("7fa40de05000-7fa40dec9000 r-xp 00000000 00:00 0");
	pm_expect_rejected("55718abc4000-55718abe5000 rw-p 00000000 00:00 0                          "
			   "[heap]\n");
	pm_expect_rejected("7ffd5e3f1000-7ffd5e3f3000 r-xp 00000000 00:00 0                          "
			   "[vdso]\n");
	pm_expect_rejected("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  "
			   "[vsyscall]\n");
	/* a file path with inode 0 is not a file this parser trusts */
	pm_expect_rejected("7f3c1a2b3000-7f3c1a2d1000 r-xp 00000000 00:00 0 /usr/lib/libssl.so.3\n");
	/* a file mapping with no path */
	pm_expect_rejected("7f3c1a2b3000-7f3c1a2d1000 r-xp 00000000 fe:01 1835050\n");
	pm_expect_rejected("7f3c1a2b3000-7f3c1a2d1000 r-xp 00000000 fe:01 1835050      \n");
}

Test(proc_maps, deleted_files)
{
	struct maps_entry e;

	pm_expect_rejected("7f3c1a2b3000-7f3c1a2d1000 r-xp 0002a000 fe:01 1835050                    "
			   "/usr/lib/x86_64-linux-gnu/libssl.so.3 (deleted)\n");
	pm_expect_rejected("7f0000000000-7f0000001000 r-xs 00000000 00:01 2048 /memfd:jit (deleted)");
	/* " (deleted)" only counts at the end */
	cr_assert_eq(maps_parse_line("7f0000000000-7f0000001000 r-xp 00000000 fe:01 7 "
				     "/opt/x (deleted)/libssl.so.3\n",
				     &e),
		     0);
	cr_expect_str_eq(e.path, "/opt/x (deleted)/libssl.so.3");
}

Test(proc_maps, path_length_limit)
{
	char line[600], path[300];
	struct maps_entry e;

	/* 255 characters fit with the NUL; 256 are rejected, never cut */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[255] = '\0';
	snprintf(line, sizeof(line), "1000-2000 r-xp 00000000 fe:01 9 %s\n", path);
	cr_assert_eq(maps_parse_line(line, &e), 0);
	cr_expect_eq(strlen(e.path), 255);
	cr_expect_str_eq(e.path, path);

	path[255] = 'a';
	path[256] = '\0';
	snprintf(line, sizeof(line), "1000-2000 r-xp 00000000 fe:01 9 %s\n", path);
	pm_expect_rejected(line);
}

Test(proc_maps, malformed)
{
	static const char *const bad[] = {
		"",
		"\n",
		"garbage",
		"1000-2000",
		"1000-2000 r-xp",
		"1000-2000 r-xp 00000000 fe:01",
		/* uppercase hex: not the kernel's output */
		"7F3C1A2B3000-7f3c1a2d1000 r-xp 00000000 fe:01 9 /lib/a.so",
		"1000-2000 r-xp 0000000A fe:01 9 /lib/a.so",
		"1000-2000 r-xp 00000000 FE:01 9 /lib/a.so",
		/* more than 64 bits */
		"10000000000000000-20000000000000000 r-xp 00000000 fe:01 9 /lib/a.so",
		"1000-2000 r-xp 10000000000000000 fe:01 9 /lib/a.so",
		"1000-2000 r-xp 00000000 fe:01 18446744073709551616 /lib/a.so",
		/* dev wider than the kernel's 12:20 bits */
		"1000-2000 r-xp 00000000 1000:01 9 /lib/a.so",
		"1000-2000 r-xp 00000000 fe:100000 9 /lib/a.so",
		"1000-2000 r-xp 00000000 fe01 9 /lib/a.so",
		"1000-2000 r-xp 00000000 fe: 9 /lib/a.so",
		/* empty or reversed range */
		"2000-2000 r-xp 00000000 fe:01 9 /lib/a.so",
		"2000-1000 r-xp 00000000 fe:01 9 /lib/a.so",
		/* perms */
		"1000-2000 r-x 00000000 fe:01 9 /lib/a.so",
		"1000-2000 rwxq 00000000 fe:01 9 /lib/a.so",
		"1000-2000 xr-p 00000000 fe:01 9 /lib/a.so",
		"1000-2000 R-XP 00000000 fe:01 9 /lib/a.so",
		/* separators */
		" 1000-2000 r-xp 00000000 fe:01 9 /lib/a.so",
		"1000 2000 r-xp 00000000 fe:01 9 /lib/a.so",
		"1000-2000  r-xp 00000000 fe:01 9 /lib/a.so",
		"1000-2000\tr-xp 00000000 fe:01 9 /lib/a.so",
		"1000-2000 r-xp 00000000 fe:01 9\t/lib/a.so",
		"1000-2000 r-xp 00000000 fe:01 9/lib/a.so",
		"1000-2000 r-xp 00000000 fe:01 -9 /lib/a.so",
		"1000-2000 r-xp 00000000 fe:01 9x /lib/a.so",
		/* not an absolute path, a raw newline inside it */
		"1000-2000 r-xp 00000000 fe:01 9 lib/a.so",
		"1000-2000 r-xp 00000000 fe:01 9 /lib/a\n.so",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		pm_expect_rejected(bad[i]);
	cr_expect_eq(maps_parse_line(NULL, &(struct maps_entry){ 0 }), -1);
	cr_expect_eq(maps_parse_line(PM_LIBSSL_LINE, NULL), -1);
}

Test(proc_maps, is_libssl)
{
	cr_expect_eq(maps_is_libssl("/usr/lib/x86_64-linux-gnu/libssl.so.3"), 1);
	cr_expect_eq(maps_is_libssl("/usr/lib/libssl.so.1.1"), 1);
	cr_expect_eq(maps_is_libssl("/opt/lib/libssl.so"), 1);
	cr_expect_eq(maps_is_libssl("libssl.so.3"), 1);
	/* NSS's libssl3.so is another library with another API */
	cr_expect_eq(maps_is_libssl("/usr/lib/x86_64-linux-gnu/libssl3.so"), 0);
	cr_expect_eq(maps_is_libssl("/usr/lib/x86_64-linux-gnu/libcrypto.so.3"), 0);
	cr_expect_eq(maps_is_libssl("/opt/libssl.so.3/libcrypto.so.3"), 0);
	cr_expect_eq(maps_is_libssl("/opt/libssl.so.3/"), 0);
	cr_expect_eq(maps_is_libssl("/usr/lib/mylibssl.so.3"), 0);
	cr_expect_eq(maps_is_libssl("/usr/lib/libssl.s"), 0);
	cr_expect_eq(maps_is_libssl(""), 0);
	cr_expect_eq(maps_is_libssl(NULL), 0);
}

/* The kernel's own output for this process: every line is either an
 * executable file mapping or rejected, and this code's page is found. */
Test(proc_maps, this_process)
{
	uintptr_t here = (uintptr_t)&maps_parse_line;
	char exe[256], line[1024];
	ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0, exec_lines = 0;

	cr_assert(f);
	cr_assert_gt(exe_len, 0);
	exe[exe_len] = '\0';
	while (fgets(line, sizeof(line), f)) {
		struct maps_entry e;

		if (maps_parse_line(line, &e))
			continue;
		exec_lines++;
		cr_expect(strchr(line, 'x') && strstr(line, e.path));
		if (here >= e.start && here < e.end) {
			found++;
			cr_expect_str_eq(e.path, exe);
		}
	}
	fclose(f);
	cr_expect_eq(found, 1);
	cr_expect_geq(exec_lines, 2, "this binary and libc at least");
}
