// SPDX-License-Identifier: MIT
/*
 * Fuzzes user/go_elf.c with the whole input as an executable in a memfd,
 * the way the daemon hands it a process's /proc/PID/exe. Seed:
 * tests/fuzz/corpus/go_elf_stripped (tests/fuzz/go_elf_seed.py).
 *
 * Checks: never a crash or a sanitizer report; the return value is 0 or one
 * of the documented errors; the version is always a NUL-terminated printable
 * string; on success newproc1 lies inside the file with at least one return,
 * every function's return instructions (at most GO_RETS_MAX) lie after it,
 * each one really a return, g below the thread pointer and a parent
 * argument of 1 or 3.
 */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "go_elf.h"
#include "fuzz_check.h"

/* Capstone's X86_INS_RET: c3 and c2 imm16, after any prefixes it accepts
 * (f3 c3, 66 c3, a REX byte...); the offset is the instruction's first byte. */
static int is_ret(const uint8_t *data, size_t size, uint64_t off)
{
	for (int k = 0; k < 15 && off < size; k++, off++) {
		uint8_t b = data[off];

		if (b == 0xc3 || b == 0xc2)
			return 1;
		if (!((b >= 0x40 && b <= 0x4f) || b == 0x26 || b == 0x2e || b == 0x36 ||
		      b == 0x3e || b == 0x64 || b == 0x65 || b == 0x66 || b == 0x67 ||
		      b == 0xf0 || b == 0xf2 || b == 0xf3))
			return 0;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* one memfd for the whole run: creating one per input costs more than the parse */
	static int fd = -1;
	struct go_elf_info gi;
	size_t vlen;
	int rc;

	if (fd < 0)
		fd = memfd_create("fuzz_go_elf", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);

	memset(&gi, 0xa5, sizeof(gi));
	rc = go_elf_inspect(fd, &gi);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOEXEC || rc == -ENOTSUP || rc == -ENOENT);
	vlen = strnlen(gi.version, sizeof(gi.version));
	CHECK(vlen < sizeof(gi.version));
	for (size_t i = 0; i < vlen; i++)
		CHECK(gi.version[i] >= 0x20 && gi.version[i] < 0x7f);
	if (rc)
		return 0;

	CHECK(gi.func_off[GO_FUNC_NEWPROC1] != 0 && gi.func_off[GO_FUNC_NEWPROC1] < size);
	for (int k = 0; k < GO_FUNCS; k++)
		CHECK(gi.func_off[k] < size);
	CHECK(gi.rets[GO_FUNC_NEWPROC1].n >= 1);
	for (int k = 0; k < GO_FUNCS; k++) {
		const struct go_rets *r = &gi.rets[k];

		CHECK(r->n <= GO_RETS_MAX);
		CHECK(gi.body_off[k] == 0 ||
		      (gi.body_off[k] > gi.func_off[k] && gi.body_off[k] <= gi.func_off[k] + 48));
		CHECK(r->n == 0 || gi.func_off[k] != 0);
		for (uint32_t i = 0; i < r->n; i++) {
			CHECK(r->off[i] < size && r->off[i] >= gi.func_off[k]);
			CHECK(i == 0 || r->off[i] > r->off[i - 1]);
			CHECK(is_ret(data, size, r->off[i]));
		}
	}
	CHECK(gi.tls_g_off < 0);
	CHECK(gi.parent_arg == 1 || gi.parent_arg == 3);
	CHECK(gi.minor >= 17);
	CHECK(gi.from_pclntab <= 1);
	return 0;
}
