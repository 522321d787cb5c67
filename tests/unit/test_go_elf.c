// SPDX-License-Identifier: MIT
/*
 * user/go_elf.c: the stripped Go 1.19 seed (tests/fuzz/go_elf_seed.py) with
 * exact values, then copies patched byte by byte: other Go versions and
 * pclntab layouts, another machine, broken or missing Go sections, hostile
 * names and sizes, cut files; last a real Go program built here, with and
 * without its symbol table, which must give the same offsets.
 */
#define _GNU_SOURCE /* memfd_create, execvpe */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "go_elf.h"

/* The seed, from the source tree; `make unit` runs from the repo root and
 * __FILE__ is this file's path as the Makefile passed it. */
#define GE_SEED_REL "/../fuzz/corpus/go_elf_stripped"
#define GE_MAX 4096
/* where go_elf_seed.py put things */
#define GE_VADDR 0x400000
#define GE_NEWPROC1 0x100
#define GE_RET1 0x103
#define GE_RET2 0x105
#define GE_CODE_LEN 7 /* newproc1 (6 bytes), then other (1) */
#define GE_RET 0xc3
#define GE_NOP 0x90

struct ge_img {
	_Alignas(8) uint8_t b[GE_MAX + 512]; /* room for a section appended by a test */
	size_t len;
};

static uint32_t ge_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t ge_get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void ge_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void ge_put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void ge_load(struct ge_img *img)
{
	char path[512];
	const char *slash = strrchr(__FILE__, '/');
	int dir_len = slash ? (int)(slash - __FILE__) : 1;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%.*s%s", dir_len, slash ? __FILE__ : ".", GE_SEED_REL);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s (run from the repo root)", path, strerror(errno));
	n = read(fd, img->b, GE_MAX + 1);
	close(fd);
	cr_assert(n > (ssize_t)sizeof(Elf64_Ehdr) && n <= GE_MAX, "%s: %zd bytes", path, n);
	img->len = (size_t)n;
}

static int ge_memfd(const void *buf, size_t len)
{
	int fd = memfd_create("go_elf_test", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	return fd;
}

/* version must always be a NUL-terminated printable string */
static void ge_expect_version_sane(const struct go_elf_info *gi)
{
	size_t n = strnlen(gi->version, sizeof(gi->version));

	cr_assert_lt(n, sizeof(gi->version), "version not NUL-terminated");
	for (size_t i = 0; i < n; i++)
		cr_expect(gi->version[i] >= 0x20 && gi->version[i] < 0x7f, "version byte %zu: 0x%02x",
			  i, (unsigned)(uint8_t)gi->version[i]);
}

static int ge_inspect(const uint8_t *buf, size_t len, struct go_elf_info *gi)
{
	int fd = ge_memfd(buf, len), rc;

	memset(gi, 0xa5, sizeof(*gi));
	rc = go_elf_inspect(fd, gi);
	cr_expect_neq(fcntl(fd, F_GETFD), -1, "fd must stay open");
	close(fd);
	ge_expect_version_sane(gi);
	return rc;
}

static Elf64_Shdr *ge_shdr(struct ge_img *img, const char *name)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img->b;
	Elf64_Shdr *sh = (Elf64_Shdr *)(img->b + eh->e_shoff), *str = &sh[eh->e_shstrndx];

	cr_assert(eh->e_shoff % 8 == 0 && eh->e_shoff + eh->e_shnum * sizeof(*sh) <= img->len);
	for (int i = 0; i < eh->e_shnum; i++)
		if (strcmp((const char *)img->b + str->sh_offset + sh[i].sh_name, name) == 0)
			return &sh[i];
	cr_assert_fail("no section %s in the seed", name);
	return NULL;
}

static uint8_t *ge_section(struct ge_img *img, const char *name)
{
	return img->b + ge_shdr(img, name)->sh_offset;
}

static char *ge_section_name(struct ge_img *img, const char *name)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img->b;
	Elf64_Shdr *str = (Elf64_Shdr *)(img->b + eh->e_shoff) + eh->e_shstrndx;

	return (char *)img->b + str->sh_offset + ge_shdr(img, name)->sh_name;
}

/* Moves section name to the file's end with new contents (the PT_LOAD
 * need not cover it: go_elf.c reads sections through their headers). */
static uint8_t *ge_append(struct ge_img *img, const char *name, const void *data, size_t len)
{
	Elf64_Shdr *sh = ge_shdr(img, name);
	size_t at = (img->len + 7) & ~(size_t)7;

	cr_assert_leq(at + len, sizeof(img->b));
	memset(img->b + img->len, 0, at - img->len);
	memcpy(img->b + at, data, len);
	sh->sh_offset = at;
	sh->sh_size = len;
	img->len = at + len;
	return img->b + at;
}

/* The inline version string (flags 2): "go1.19.8" after its length byte. */
static void ge_set_version(struct ge_img *img, const char *v)
{
	uint8_t *bi = ge_section(img, ".go.buildinfo");

	cr_assert_eq(bi[32], strlen(v), "same length only");
	memcpy(bi + 33, v, strlen(v));
}

/* The Go 1.18 pclntab: the _func of function i (entryOff u32, nameOff i32),
 * and the functab's entry i ({entryoff u32, funcoff u32}). */
static uint8_t *ge_functab(struct ge_img *img, int i)
{
	uint8_t *t = ge_section(img, ".gopclntab");

	return t + ge_get64(t + 64) + (uint64_t)i * 8;
}

static uint8_t *ge_func(struct ge_img *img, int i)
{
	uint8_t *t = ge_section(img, ".gopclntab");

	return t + ge_get64(t + 64) + ge_get32(ge_functab(img, i) + 4);
}

static void ge_expect_seed_offsets(const struct go_elf_info *gi)
{
	cr_expect_eq(gi->func_off[GO_FUNC_NEWPROC1], GE_NEWPROC1);
	cr_expect_eq(gi->rets[GO_FUNC_NEWPROC1].n, 2);
	cr_expect_eq(gi->rets[GO_FUNC_NEWPROC1].off[0], GE_RET1);
	cr_expect_eq(gi->rets[GO_FUNC_NEWPROC1].off[1], GE_RET2);
	for (int i = 2; i < GO_RETS_MAX; i++)
		cr_expect_eq(gi->rets[GO_FUNC_NEWPROC1].off[i], 0);
	cr_expect_eq(gi->func_off[GO_FUNC_HTTP_ROUNDTRIP], 0, "not in the program");
	cr_expect_eq(gi->func_off[GO_FUNC_HTTP_CONN_WRITE], 0);
	cr_expect_eq(gi->from_pclntab, 1);
	cr_expect_eq(gi->tls_g_off, -8);
}

/* ---- the seed ---- */

Test(go_elf, seed_exact)
{
	static struct ge_img img;
	struct go_elf_info gi;

	ge_load(&img);
	/* the code go_elf_seed.py wrote where the test expects it */
	cr_assert_eq(img.b[GE_RET1], GE_RET);
	cr_assert_eq(img.b[GE_RET2], GE_RET);
	cr_assert_eq(ge_inspect(img.b, img.len, &gi), 0);
	cr_expect_str_eq(gi.version, "go1.19.8");
	cr_expect_eq(gi.minor, 19);
	cr_expect_eq(gi.parent_arg, 1, "Go 1.18+: callergp is the second argument");
	ge_expect_seed_offsets(&gi);
}

Test(go_elf, names_match_the_probe_order)
{
	cr_expect_str_eq(go_func_names[GO_FUNC_NEWPROC1], "runtime.newproc1");
	cr_expect_str_eq(go_func_names[GO_FUNC_HTTP_ROUNDTRIP], "net/http.(*persistConn).roundTrip");
	cr_expect_str_eq(go_func_names[GO_FUNC_HTTP_CONN_WRITE], "net/http.persistConnWriter.Write");
	cr_expect_str_eq(go_func_names[GO_FUNC_TLS_READ], "crypto/tls.(*Conn).Read");
	cr_expect_str_eq(go_func_names[GO_FUNC_TLS_WRITE], "crypto/tls.(*Conn).Write");
	cr_expect_str_eq(go_func_names[GO_FUNC_TLS_CLIENT_HANDSHAKE], "crypto/tls.(*Conn).clientHandshake");
	cr_expect_str_eq(go_func_names[GO_FUNC_TLS_SERVER_HANDSHAKE], "crypto/tls.(*Conn).serverHandshake");
}

/* ---- Go versions and pclntab layouts ---- */

Test(go_elf, go117_parent_is_fourth_argument)
{
	static struct ge_img img;
	struct go_elf_info gi;

	ge_load(&img);
	ge_set_version(&img, "go1.17.0");
	cr_assert_eq(ge_inspect(img.b, img.len, &gi), 0);
	cr_expect_str_eq(gi.version, "go1.17.0");
	cr_expect_eq(gi.minor, 17);
	/* newproc1(fn, argp, narg, callergp, callerpc) */
	cr_expect_eq(gi.parent_arg, 3);
	ge_expect_seed_offsets(&gi);
}

Test(go_elf, go116_not_supported_version_kept)
{
	static struct ge_img img;
	struct go_elf_info gi;

	ge_load(&img);
	ge_set_version(&img, "go1.16.3");
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOTSUP, "no register ABI before 1.17");
	cr_expect_str_eq(gi.version, "go1.16.3");
	cr_expect_eq(gi.minor, 16);
	cr_expect_eq(gi.func_off[GO_FUNC_NEWPROC1], 0);
	cr_expect_eq(gi.rets[GO_FUNC_NEWPROC1].n, 0);
}

Test(go_elf, go120_magic)
{
	static struct ge_img img;
	struct go_elf_info gi;

	ge_load(&img);
	ge_set_version(&img, "go1.20.1");
	ge_put32(ge_section(&img, ".gopclntab"), 0xfffffff1);
	cr_assert_eq(ge_inspect(img.b, img.len, &gi), 0);
	cr_expect_eq(gi.minor, 20);
	cr_expect_eq(gi.parent_arg, 1);
	ge_expect_seed_offsets(&gi);
}

/* Go 1.17 wrote its version through a pointer (flags 0): at 16 the address
 * of a string header {data, len}. The header goes at 24, the string at 40. */
Test(go_elf, go117_buildinfo_through_pointer)
{
	static struct ge_img img;
	struct go_elf_info gi;
	uint8_t *bi;
	uint64_t bi_addr;

	ge_load(&img);
	bi = ge_section(&img, ".go.buildinfo");
	bi_addr = GE_VADDR + (uint64_t)(bi - img.b);
	bi[15] = 0;
	ge_put64(bi + 16, bi_addr + 24);
	ge_put64(bi + 24, bi_addr + 40);
	ge_put64(bi + 32, 8);
	cr_assert_leq(bi + 48, ge_section(&img, ".gopclntab"), "room before .gopclntab");
	memcpy(bi + 40, "go1.17.5", 8);
	cr_assert_eq(ge_inspect(img.b, img.len, &gi), 0);
	cr_expect_str_eq(gi.version, "go1.17.5");
	cr_expect_eq(gi.parent_arg, 3);
	ge_expect_seed_offsets(&gi);

	/* a string header outside every PT_LOAD: no version, so no ABI */
	ge_put64(bi + 16, 0x10);
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOTSUP);
	cr_expect_str_eq(gi.version, "");
	cr_expect_eq(gi.minor, 0);

	/* a length longer than the version field: cut, never overrun */
	ge_put64(bi + 16, bi_addr + 24);
	ge_put64(bi + 32, UINT64_MAX);
	ge_inspect(img.b, img.len, &gi);
	cr_expect_eq(strncmp(gi.version, "go1.17.5", 8), 0, "%s", gi.version);
}

/* Go 1.16/1.17's pclntab (magic 0xfffffffa): no textStart, funcnameOffset
 * at 24, pclnOffset at 56, functab entries {entry u64, funcoff u64}, the
 * _func {entry u64, nameOff i32}. Appended past the file's end, where the
 * section header now points. */
Test(go_elf, pclntab_go116_layout)
{
	static struct ge_img img;
	struct go_elf_info gi;
	uint8_t t[200] = { 0 };
	static const char names[] = "runtime.newproc1\0other";
	const uint64_t funcname = 72, pcln = 96, functab = 3 * 16;

	ge_load(&img);
	ge_set_version(&img, "go1.17.9");
	ge_put32(t, 0xfffffffa);
	t[6] = 1;
	t[7] = 8;
	ge_put64(t + 8, 2);
	ge_put64(t + 24, funcname);
	ge_put64(t + 56, pcln);
	memcpy(t + funcname, names, sizeof(names));
	ge_put64(t + pcln, GE_VADDR + GE_NEWPROC1);
	ge_put64(t + pcln + 8, functab);
	ge_put64(t + pcln + 16, GE_VADDR + GE_NEWPROC1 + 6);
	ge_put64(t + pcln + 24, functab + 12);
	ge_put64(t + pcln + 32, GE_VADDR + GE_NEWPROC1 + GE_CODE_LEN);
	ge_put64(t + pcln + functab, GE_VADDR + GE_NEWPROC1);
	ge_put32(t + pcln + functab + 8, 0);
	ge_put64(t + pcln + functab + 12, GE_VADDR + GE_NEWPROC1 + 6);
	ge_put32(t + pcln + functab + 20, 17);
	cr_assert_leq(pcln + functab + 24, sizeof(t));

	ge_append(&img, ".gopclntab", t, sizeof(t));
	cr_assert_eq(ge_inspect(img.b, img.len, &gi), 0);
	cr_expect_eq(gi.parent_arg, 3);
	ge_expect_seed_offsets(&gi);
}

/* ---- programs this cannot follow, or no Go at all ---- */

Test(go_elf, arm64_not_supported)
{
	static struct ge_img img;
	struct go_elf_info gi;

	ge_load(&img);
	((Elf64_Ehdr *)img.b)->e_machine = EM_AARCH64;
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOTSUP);
	cr_expect_str_eq(gi.version, "go1.19.8", "which Go, even when unsupported");
	cr_expect_eq(gi.func_off[GO_FUNC_NEWPROC1], 0);
}

Test(go_elf, pclntab_magic_broken)
{
	static struct ge_img img;
	struct go_elf_info gi;

	ge_load(&img);
	/* 0xfffffff0 -> 0xfffffff2: one past the Go 1.20 magic */
	ge_section(&img, ".gopclntab")[0] = 0xf2;
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOENT, "a Go program, newproc1 not found");
	cr_expect_str_eq(gi.version, "go1.19.8");
	cr_expect_eq(gi.func_off[GO_FUNC_NEWPROC1], 0);
	cr_expect_eq(gi.rets[GO_FUNC_NEWPROC1].n, 0);
}

Test(go_elf, pclntab_header_checks)
{
	static struct ge_img img;
	struct go_elf_info gi;

	/* the pad bytes, the pointer size, pclnOffset and funcnameOffset */
	static const struct {
		unsigned at;
		uint64_t v;
		int width;
	} bad[] = { { 4, 1, 1 },	 { 5, 1, 1 },	     { 7, 4, 1 },
		    { 64, 0x88, 8 }, /* == the table's size */
		    { 32, 0x88, 8 }, { 64, UINT64_MAX, 8 }, { 32, UINT64_MAX, 8 } };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *t;

		ge_load(&img);
		t = ge_section(&img, ".gopclntab");
		cr_assert_eq(ge_shdr(&img, ".gopclntab")->sh_size, 0x88);
		if (bad[i].width == 1)
			t[bad[i].at] = (uint8_t)bad[i].v;
		else
			ge_put64(t + bad[i].at, bad[i].v);
		cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOENT, "byte %u = 0x%llx",
			     bad[i].at, (unsigned long long)bad[i].v);
	}
}

Test(go_elf, no_go_sections)
{
	static struct ge_img img;
	struct go_elf_info gi;

	ge_load(&img);
	ge_section_name(&img, ".go.buildinfo")[1] = 'X';
	ge_section_name(&img, ".gopclntab")[1] = 'X';
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOEXEC);
	cr_expect_str_eq(gi.version, "");
	cr_expect_eq(gi.func_off[GO_FUNC_NEWPROC1], 0);
}

Test(go_elf, pclntab_without_buildinfo)
{
	static struct ge_img img;
	struct go_elf_info gi;

	/* a Go program (its pclntab says so) of an unknown version: which
	 * register holds which argument is not known */
	ge_load(&img);
	ge_section_name(&img, ".go.buildinfo")[1] = 'X';
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOTSUP);
	cr_expect_str_eq(gi.version, "");
	cr_expect_eq(gi.minor, 0);
}

Test(go_elf, buildinfo_checks)
{
	static struct ge_img img;
	struct go_elf_info gi;
	uint8_t *bi;

	/* big-endian flag, 4-byte pointers, a broken magic: version not read */
	for (int i = 0; i < 3; i++) {
		ge_load(&img);
		bi = ge_section(&img, ".go.buildinfo");
		if (i == 0)
			bi[15] |= 1;
		else if (i == 1)
			bi[14] = 4;
		else
			bi[1] = 'g';
		cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOTSUP, "case %d", i);
		cr_expect_str_eq(gi.version, "", "case %d", i);
	}

	/* a length past the section: no version */
	ge_load(&img);
	bi = ge_section(&img, ".go.buildinfo");
	bi[32] = 10;
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOTSUP);
	cr_expect_str_eq(gi.version, "");

	/* a uvarint that never ends */
	ge_load(&img);
	bi = ge_section(&img, ".go.buildinfo");
	memset(bi + 32, 0xff, ge_shdr(&img, ".go.buildinfo")->sh_size - 32);
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOTSUP);
	cr_expect_str_eq(gi.version, "");

	/* bytes that are not printable are dropped */
	ge_load(&img);
	ge_set_version(&img, "go1\x80.19\x1f");
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), 0);
	cr_expect_str_eq(gi.version, "go1.19");
}

Test(go_elf, not_elf)
{
	static const char text[] = "#!/bin/sh\necho not an ELF file\n";
	struct go_elf_info gi;

	cr_expect_eq(ge_inspect((const uint8_t *)text, sizeof(text) - 1, &gi), -EINVAL);
	cr_expect_str_eq(gi.version, "");
	cr_expect_eq(gi.func_off[GO_FUNC_NEWPROC1], 0);
	cr_expect_eq(ge_inspect((const uint8_t *)"", 0, &gi), -EINVAL, "empty file");
	memset(&gi, 0xa5, sizeof(gi));
	cr_expect_eq(go_elf_inspect(-1, &gi), -EINVAL);
	cr_expect_str_eq(gi.version, "");
}

/* ---- hostile names, sizes and code ---- */

Test(go_elf, name_off_past_the_table)
{
	static struct ge_img img;
	struct go_elf_info gi;
	uint8_t *t;
	const uint32_t bad[] = { 0, 0x7fffffff, 0x80000000, UINT32_MAX };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t v = bad[i];

		ge_load(&img);
		t = ge_section(&img, ".gopclntab");
		/* 0: exactly the table's end */
		if (!v)
			v = (uint32_t)(ge_shdr(&img, ".gopclntab")->sh_size - ge_get64(t + 32));
		ge_put32(ge_func(&img, 0) + 4, v);
		cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOENT, "nameOff 0x%x", v);
		cr_expect_eq(gi.func_off[GO_FUNC_NEWPROC1], 0);
	}

	/* a name cut by the table's end: "runtime.newproc1" with no NUL; with
	 * its NUL, the last byte of the table, it is found */
	for (int with_nul = 0; with_nul < 2; with_nul++) {
		uint8_t copy[0x88 + 17];
		size_t n = 0x88 + 16 + (size_t)with_nul;

		ge_load(&img);
		cr_assert_eq(ge_shdr(&img, ".gopclntab")->sh_size, 0x88);
		memcpy(copy, ge_section(&img, ".gopclntab"), 0x88);
		memcpy(copy + 0x88, "runtime.newproc1", 17);
		t = ge_append(&img, ".gopclntab", copy, n);
		ge_put32(ge_func(&img, 0) + 4, (uint32_t)(0x88 - ge_get64(t + 32)));
		cr_expect_eq(ge_inspect(img.b, img.len, &gi), with_nul ? 0 : -ENOENT,
			     "with_nul %d", with_nul);
		cr_expect_eq(gi.func_off[GO_FUNC_NEWPROC1], with_nul ? GE_NEWPROC1 : 0);
	}

	/* a funcoff past the table */
	ge_load(&img);
	ge_put32(ge_functab(&img, 0) + 4, 0x1000);
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOENT);
}

Test(go_elf, name_must_match_whole)
{
	static struct ge_img img;
	struct go_elf_info gi;
	uint8_t *t;

	/* "runtime.newproc1" -> "runtime.newproc" + NUL: a prefix only */
	ge_load(&img);
	t = ge_section(&img, ".gopclntab");
	t[ge_get64(t + 32) + 15] = '\0';
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOENT);
}

Test(go_elf, nfunc_bounds)
{
	static struct ge_img img;
	struct go_elf_info gi;
	uint8_t *t;

	/* nfunc 0: nothing to look at */
	ge_load(&img);
	t = ge_section(&img, ".gopclntab");
	ge_put64(t + 8, 0);
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOENT);

	/* a huge nfunc: the walk stops at the table's end */
	ge_load(&img);
	t = ge_section(&img, ".gopclntab");
	ge_put64(t + 8, UINT64_MAX);
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), 0);
	ge_expect_seed_offsets(&gi);
}

Test(go_elf, function_size_from_next_entry)
{
	static struct ge_img img;
	struct go_elf_info gi;

	/* the next entry at newproc1's own: no size, no code to read */
	ge_load(&img);
	ge_put32(ge_functab(&img, 1), 0);
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOENT);

	/* the next entry before it (a table out of order) */
	ge_load(&img);
	ge_put32(ge_functab(&img, 0), 4);
	ge_put32(ge_func(&img, 0), 4);
	ge_put32(ge_functab(&img, 1), 2);
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOENT);

	/* newproc1 ends after its first ret: one return only */
	ge_load(&img);
	ge_put32(ge_functab(&img, 1), 4);
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), 0);
	cr_expect_eq(gi.rets[GO_FUNC_NEWPROC1].n, 1);
	cr_expect_eq(gi.rets[GO_FUNC_NEWPROC1].off[0], GE_RET1);

	/* a textStart that puts newproc1 in no PT_LOAD */
	ge_load(&img);
	ge_put64(ge_section(&img, ".gopclntab") + 24, 0x10000000);
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOENT);

	/* code that runs past the file's end */
	ge_load(&img);
	ge_put32(ge_functab(&img, 1), (uint32_t)img.len);
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOENT);
}

Test(go_elf, returns_counted_up_to_max)
{
	static struct ge_img img;
	struct go_elf_info gi;

	/* no return instruction at all */
	ge_load(&img);
	memset(img.b + GE_NEWPROC1, GE_NOP, 6);
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOENT);
	cr_expect_eq(gi.rets[GO_FUNC_NEWPROC1].n, 0);

	/* exactly GO_RETS_MAX returns: all kept */
	ge_load(&img);
	memset(img.b + GE_NEWPROC1, GE_RET, GO_RETS_MAX);
	ge_put32(ge_functab(&img, 1), GO_RETS_MAX);
	cr_assert_eq(ge_inspect(img.b, img.len, &gi), 0);
	cr_expect_eq(gi.rets[GO_FUNC_NEWPROC1].n, GO_RETS_MAX);
	for (int i = 0; i < GO_RETS_MAX; i++)
		cr_expect_eq(gi.rets[GO_FUNC_NEWPROC1].off[i], GE_NEWPROC1 + (uint64_t)i);

	/* one more: a function this large is not probed at some returns only */
	ge_load(&img);
	memset(img.b + GE_NEWPROC1, GE_RET, GO_RETS_MAX + 1);
	ge_put32(ge_functab(&img, 1), GO_RETS_MAX + 1);
	cr_expect_eq(ge_inspect(img.b, img.len, &gi), -ENOENT);
	cr_expect_eq(gi.rets[GO_FUNC_NEWPROC1].n, 0);

	/* ret imm16 is a return too */
	ge_load(&img);
	memcpy(img.b + GE_NEWPROC1, "\xc2\x08\x00\x90\x90\x90", 6);
	cr_assert_eq(ge_inspect(img.b, img.len, &gi), 0);
	cr_expect_eq(gi.rets[GO_FUNC_NEWPROC1].n, 1);
	cr_expect_eq(gi.rets[GO_FUNC_NEWPROC1].off[0], GE_NEWPROC1);
}

/* Every length short of the whole file: no crash, a documented answer. */
Test(go_elf, cut_files)
{
	static struct ge_img img;
	struct go_elf_info gi;

	ge_load(&img);
	for (size_t len = 0; len < img.len; len++) {
		int rc = ge_inspect(img.b, len, &gi);

		cr_expect(rc == -EINVAL || rc == -ENOEXEC || rc == -ENOTSUP || rc == -ENOENT,
			  "cut at %zu: rc %d", len, rc);
	}
}

/* ---- a real Go program ---- */

/* a client (http.Get of an https URL) and, never run, a TLS server: both
 * crypto/tls handshakes are linked in */
#define GE_GO_MAIN                                                                      \
	"package main\n\nimport (\n\t\"crypto/tls\"\n\t\"fmt\"\n\t\"net/http\"\n\t\"os\"\n)\n\n" \
	"func main() {\n\tif len(os.Args) > 2 {\n\t\tfmt.Println(tls.Server(nil, nil).Handshake())\n" \
	"\t\treturn\n\t}\n"                                                                   \
	"\tif len(os.Args) > 1 {\n\t\tfmt.Println(http.Get(os.Args[1]))\n"                    \
	"\t\treturn\n\t}\n\tdone := make(chan bool)\n\tgo func() { done <- true }()\n"        \
	"\t<-done\n\tfmt.Println(\"hello\")\n}\n"

static void ge_write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

/* go build in dir, its output in dir/build.log */
static void ge_go_build(const char *dir, const char *out, const char *ldflags)
{
	char path_env[4096], log[512];
	const char *path = getenv("PATH");
	char *envp[] = { path_env, "HOME=/root", "GOCACHE=/tmp/zt-gocache", "GOFLAGS=-mod=mod",
			 "GOPROXY=off", NULL };
	char *argv[] = { "go", "build", "-o", (char *)out, "-ldflags", (char *)ldflags, ".", NULL };
	int status;
	pid_t pid;

	snprintf(path_env, sizeof(path_env), "PATH=%s",
		 path ? path : "/usr/local/go/bin:/usr/local/bin:/usr/bin:/bin");
	snprintf(log, sizeof(log), "%s/build.log", dir);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || chdir(dir) || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execvpe("go", argv, envp);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		cr_assert_fail("go is not installed (scripts/install-deps.sh brings golang-go)");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "go build %s (ldflags '%s') failed: see %s", out, ldflags, log);
}

static int ge_inspect_path(const char *dir, const char *name, struct go_elf_info *gi)
{
	char path[512];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s", path);
	rc = go_elf_inspect(fd, gi);
	ge_expect_version_sane(gi);
	for (int k = 0; k < GO_FUNCS; k++) {
		const struct go_rets *r = &gi->rets[k];

		for (uint32_t i = 0; i < r->n && i < GO_RETS_MAX; i++) {
			uint8_t b = 0;

			cr_expect_eq(pread(fd, &b, 1, (off_t)r->off[i]), 1);
			cr_expect_eq(b, GE_RET, "%s %s: byte 0x%02x at ret 0x%llx", name,
				     go_func_names[k], b, (unsigned long long)r->off[i]);
			cr_expect_gt(r->off[i], gi->func_off[k]);
			if (i)
				cr_expect_gt(r->off[i], r->off[i - 1]);
		}
	}
	close(fd);
	return rc;
}

static void ge_rm(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

Test(go_elf, real_go_program_stripped_and_not)
{
	char dir[] = "/tmp/zt-go-elf-XXXXXX";
	struct go_elf_info full, stripped;

	cr_assert_not_null(mkdtemp(dir));
	ge_write_file(dir, "go.mod", "module hello\n\ngo 1.17\n");
	ge_write_file(dir, "main.go", GE_GO_MAIN);
	ge_go_build(dir, "hello", "");
	ge_go_build(dir, "hello_s", "-s -w");

	cr_expect_eq(ge_inspect_path(dir, "hello", &full), 0);
	cr_expect_eq(ge_inspect_path(dir, "hello_s", &stripped), 0);
	cr_expect_eq(full.from_pclntab, 0, "the symbol table first");
	cr_expect_eq(stripped.from_pclntab, 1);
	cr_expect_eq(strncmp(full.version, "go1.", 4), 0, "%s", full.version);
	cr_expect_str_eq(full.version, stripped.version);
	cr_expect_geq(full.minor, 17);
	cr_expect_eq(full.minor, stripped.minor);
	cr_expect_eq(full.parent_arg, full.minor == 17 ? 3 : 1);
	cr_expect_eq(full.parent_arg, stripped.parent_arg);
	cr_expect_eq(full.tls_g_off, stripped.tls_g_off);
	cr_expect_lt(full.tls_g_off, 0);
	for (int k = 0; k < GO_FUNCS; k++) {
		cr_expect_neq(full.func_off[k], 0, "%s", go_func_names[k]);
		cr_expect_eq(full.func_off[k], stripped.func_off[k], "%s: 0x%llx vs 0x%llx",
			     go_func_names[k], (unsigned long long)full.func_off[k],
			     (unsigned long long)stripped.func_off[k]);
	}
	/* every function probed has Go's stack check: its body starts after
	 * the JBE to morestack, within the first instructions */
	for (int k = 0; k < GO_FUNCS; k++) {
		uint8_t jbe[2] = { 0 };
		int fd;

		cr_expect_gt(full.body_off[k], full.func_off[k], "%s", go_func_names[k]);
		cr_expect_leq(full.body_off[k], full.func_off[k] + 24, "%s", go_func_names[k]);
		cr_expect_eq(full.body_off[k], stripped.body_off[k], "%s", go_func_names[k]);
		/* the JBE just before: 0x76 rel8, or 0x0f 0x86 rel32 */
		fd = open(dir, O_RDONLY | O_DIRECTORY);
		cr_assert_geq(fd, 0);
		{
			int ffd = openat(fd, "hello", O_RDONLY);
			int short_jbe, near_jbe;

			cr_assert_geq(ffd, 0);
			cr_assert_eq(pread(ffd, jbe, 2, (off_t)full.body_off[k] - 2), 2);
			short_jbe = jbe[0] == 0x76;
			cr_assert_eq(pread(ffd, jbe, 2, (off_t)full.body_off[k] - 6), 2);
			near_jbe = jbe[0] == 0x0f && jbe[1] == 0x86;
			cr_expect(short_jbe || near_jbe, "%s: no JBE before its body", go_func_names[k]);
			close(ffd);
		}
		close(fd);
	}
	/* newproc1's and crypto/tls Read's (http.Get of an https URL links it) */
	for (int k = 0; k < GO_FUNCS; k++) {
		int wanted = k == GO_FUNC_NEWPROC1 || k == GO_FUNC_TLS_READ;

		if (wanted)
			cr_expect_geq(full.rets[k].n, 1, "%s", go_func_names[k]);
		else
			cr_expect_eq(full.rets[k].n, 0, "%s", go_func_names[k]);
		cr_expect_eq(full.rets[k].n, stripped.rets[k].n, "%s", go_func_names[k]);
		cr_expect_eq(memcmp(full.rets[k].off, stripped.rets[k].off, sizeof(full.rets[k].off)),
			     0, "%s", go_func_names[k]);
	}

	ge_rm(dir, "hello");
	ge_rm(dir, "hello_s");
	ge_rm(dir, "main.go");
	ge_rm(dir, "go.mod");
	ge_rm(dir, "build.log");
	rmdir(dir);
}
