// SPDX-License-Identifier: MIT
/*
 * Fuzzes user/elf_syms.c with the whole input as an ELF file in a memfd,
 * the way the daemon hands it a library's fd.
 *
 * Checks: never a crash or a sanitizer report; the return value is one of
 * the documented errors or the number of non-zero offsets; every offset lies
 * inside the file; a name asked twice gets the same answer; an error leaves
 * every offset 0.
 */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_syms.h"
#include "fuzz_check.h"

#define ES_N_QUERIES 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* one memfd for the whole run: creating one per input costs more than the parse */
	static int fd = -1;
	struct elf_sym_query q[ES_N_QUERIES] = {
		{ "SSL_read", 1, 1 }, { "SSL_write", 1, 1 }, { "f_ok", 1, 1 },
		{ "f_sym", 1, 1 },	   { "main", 1, 1 },      { "SSL_read", 1, 1 },
	};
	int rc, nonzero = 0;

	if (fd < 0)
		fd = memfd_create("fuzz_elf_syms", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);

	rc = elf_find_functions(fd, q, ES_N_QUERIES);
	for (int i = 0; i < ES_N_QUERIES; i++) {
		CHECK(q[i].offset < size || q[i].offset == 0);
		CHECK(q[i].offset || !q[i].size);
		nonzero += q[i].offset != 0;
	}
	CHECK(q[0].offset == q[5].offset);
	if (rc < 0)
		CHECK((rc == -EINVAL || rc == -ENOEXEC) && nonzero == 0);
	else
		CHECK(rc == nonzero);
	return 0;
}
