// SPDX-License-Identifier: MIT
/*
 * user/elf_syms.c: a hand-built ELF with exact offsets (table order, the
 * PT_LOAD rules, overflow); the machine's libssl and this test binary, each
 * offset checked against where the dynamic loader really mapped the code;
 * files that are not ELF or are cut short.
 */
#define _GNU_SOURCE /* memfd_create, RTLD_DEFAULT */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_syms.h"
#include "proc_maps.h"

#define ES_LIBSSL "/usr/lib/x86_64-linux-gnu/libssl.so.3"

/* ---- a hand-built ELF ----
 * One PT_LOAD maps file offset 0 at vaddr 0x1000, so offset = value - 0x1000.
 * .dynsym: f_ok (0x1080), f_bss (past p_filesz), f_obj (OBJECT), f_undef
 * (SHN_UNDEF), f_out (in no PT_LOAD), f_zero (value 0). .symtab: f_ok again at
 * another address (must lose to .dynsym) and f_sym (0x10c0). */
#define ES_VADDR 0x1000
/* short of the file's end, so that f_bss is inside the file but not the segment */
#define ES_FILESZ 0x100
#define ES_STR_OFF 0x100
#define ES_DYNSYM_OFF 0x140
#define ES_N_DYNSYM 7
#define ES_SYMTAB_OFF (ES_DYNSYM_OFF + ES_N_DYNSYM * sizeof(Elf64_Sym))
#define ES_N_SYMTAB 3
#define ES_SHDR_OFF (ES_SYMTAB_OFF + ES_N_SYMTAB * sizeof(Elf64_Sym))
#define ES_N_SHDR 4
#define ES_SIZE (ES_SHDR_OFF + ES_N_SHDR * sizeof(Elf64_Shdr))

static const char es_strtab[] = "\0f_ok\0f_bss\0f_obj\0f_undef\0f_out\0f_zero\0f_sym";

static uint32_t es_name(const char *name)
{
	for (uint32_t i = 1; i < sizeof(es_strtab); i += (uint32_t)strlen(es_strtab + i) + 1)
		if (strcmp(es_strtab + i, name) == 0)
			return i;
	cr_assert_fail("no %s in the string table", name);
	return 0;
}

static Elf64_Sym es_sym(const char *name, int type, uint16_t shndx, uint64_t value)
{
	return (Elf64_Sym){ .st_name = es_name(name),
			    .st_info = ELF64_ST_INFO(STB_GLOBAL, type),
			    .st_shndx = shndx,
			    .st_value = value,
			    /* a size that says which table the answer came from */
			    .st_size = value & 0xfff };
}

static void es_build(uint8_t img[ES_SIZE], uint64_t p_offset)
{
	Elf64_Ehdr eh = { .e_type = ET_DYN, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_phoff = sizeof(Elf64_Ehdr), .e_shoff = ES_SHDR_OFF,
			  .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
			  .e_phnum = 1, .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = ES_N_SHDR };
	Elf64_Phdr ph = { .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = p_offset,
			  .p_vaddr = ES_VADDR, .p_filesz = ES_FILESZ, .p_memsz = 0x2000,
			  .p_align = 0x1000 };
	Elf64_Sym dyn[ES_N_DYNSYM] = {
		{ 0 },
		es_sym("f_ok", STT_FUNC, 5, ES_VADDR + 0x80),
		es_sym("f_bss", STT_FUNC, 5, ES_VADDR + ES_FILESZ + 0x10),
		es_sym("f_obj", STT_OBJECT, 5, ES_VADDR + 0x90),
		es_sym("f_undef", STT_FUNC, SHN_UNDEF, ES_VADDR + 0xa0),
		es_sym("f_out", STT_FUNC, 5, 0x5000),
		es_sym("f_zero", STT_FUNC, 5, 0),
	};
	Elf64_Sym sym[ES_N_SYMTAB] = {
		{ 0 },
		es_sym("f_ok", STT_FUNC, 5, ES_VADDR + 0xb0),
		es_sym("f_sym", STT_FUNC, 5, ES_VADDR + 0xc0),
	};
	Elf64_Shdr sh[ES_N_SHDR] = {
		{ 0 },
		{ .sh_type = SHT_DYNSYM, .sh_offset = ES_DYNSYM_OFF, .sh_size = sizeof(dyn),
		  .sh_link = 3, .sh_info = 1, .sh_addralign = 8, .sh_entsize = sizeof(Elf64_Sym) },
		{ .sh_type = SHT_SYMTAB, .sh_offset = ES_SYMTAB_OFF, .sh_size = sizeof(sym),
		  .sh_link = 3, .sh_info = 1, .sh_addralign = 8, .sh_entsize = sizeof(Elf64_Sym) },
		{ .sh_type = SHT_STRTAB, .sh_offset = ES_STR_OFF, .sh_size = sizeof(es_strtab),
		  .sh_addralign = 1 },
	};

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memset(img, 0, ES_SIZE);
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + eh.e_phoff, &ph, sizeof(ph));
	memcpy(img + ES_STR_OFF, es_strtab, sizeof(es_strtab));
	memcpy(img + ES_DYNSYM_OFF, dyn, sizeof(dyn));
	memcpy(img + ES_SYMTAB_OFF, sym, sizeof(sym));
	memcpy(img + ES_SHDR_OFF, sh, sizeof(sh));
}

static int es_memfd(const void *buf, size_t len)
{
	int fd = memfd_create("elf_syms_test", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	return fd;
}

#define ES_QUERY(...) ((struct elf_sym_query[]){ __VA_ARGS__ })

Test(elf_syms, built_elf_exact_offsets)
{
	static uint8_t img[ES_SIZE];
	struct elf_sym_query *q = ES_QUERY({ "f_ok", 7, 7 }, { "f_bss", 7, 7 }, { "f_obj", 7, 7 },
					   { "f_undef", 7, 7 }, { "f_out", 7, 7 }, { "f_zero", 7, 7 },
					   { "f_sym", 7, 7 }, { "f_missing", 7, 7 }, { NULL, 7, 7 });
	int fd;

	es_build(img, 0);
	fd = es_memfd(img, sizeof(img));
	cr_expect_eq(elf_find_functions(fd, q, 9), 2);
	/* .dynsym wins over .symtab's 0xb0 */
	cr_expect_eq(q[0].offset, 0x80);
	cr_expect_eq(q[6].offset, 0xc0, "found through .symtab");
	cr_expect_eq(q[0].size, 0x80, "the size of the symbol .dynsym holds");
	cr_expect_eq(q[6].size, 0xc0);
	for (int i = 1; i < 9; i++)
		if (i != 6)
			cr_expect(q[i].offset == 0 && q[i].size == 0, "%s: stale or wrong offset",
				  q[i].name);
	close(fd);
}

Test(elf_syms, built_elf_segment_offset_applied)
{
	static uint8_t img[ES_SIZE];
	struct elf_sym_query *q = ES_QUERY({ "f_ok", 0, 0 }, { "f_sym", 0, 0 });
	int fd;

	/* the segment starts 0x10 into the file: every offset moves by 0x10 */
	es_build(img, 0x10);
	fd = es_memfd(img, sizeof(img));
	cr_expect_eq(elf_find_functions(fd, q, 2), 2);
	cr_expect_eq(q[0].offset, 0x90);
	cr_expect_eq(q[1].offset, 0xd0);
	close(fd);
}

Test(elf_syms, built_elf_hostile_segment)
{
	static uint8_t img[ES_SIZE];
	struct elf_sym_query *q = ES_QUERY({ "f_ok", 0, 0 }, { "f_sym", 0, 0 });
	int fd;

	/* p_offset + 0x80 wraps around 2^64 */
	es_build(img, UINT64_MAX - 0x40);
	fd = es_memfd(img, sizeof(img));
	cr_expect_eq(elf_find_functions(fd, q, 2), 0);
	cr_expect_eq(q[0].offset, 0);
	cr_expect_eq(q[1].offset, 0);
	close(fd);

	/* an offset past the end of the file is no code either */
	es_build(img, ES_SIZE);
	fd = es_memfd(img, sizeof(img));
	cr_expect_eq(elf_find_functions(fd, q, 2), 0);
	close(fd);
}

Test(elf_syms, no_pt_load)
{
	static uint8_t img[ES_SIZE];
	struct elf_sym_query *q = ES_QUERY({ "f_ok", 0, 0 });
	int fd;

	/* a relocatable object has no program headers */
	es_build(img, 0);
	((Elf64_Ehdr *)img)->e_type = ET_REL;
	((Elf64_Ehdr *)img)->e_phnum = 0;
	fd = es_memfd(img, sizeof(img));
	cr_expect_eq(elf_find_functions(fd, q, 1), -ENOEXEC);
	cr_expect_eq(q[0].offset, 0);
	close(fd);
}

/* ---- real files, checked against the dynamic loader ---- */

/* Where the code at addr comes from in its file, read from this process's
 * maps: what the kernel itself says a uprobe offset is. */
static uint64_t es_offset_in_maps(const void *addr, char path[256])
{
	uintptr_t a = (uintptr_t)addr;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024];
	uint64_t off = 0;

	cr_assert(f);
	while (fgets(line, sizeof(line), f)) {
		struct maps_entry e;

		if (maps_parse_line(line, &e) == 0 && a >= e.start && a < e.end) {
			off = a - e.start + e.offset;
			memcpy(path, e.path, sizeof(e.path));
			break;
		}
	}
	fclose(f);
	return off;
}

#define ES_X86_INT3 0xcc

/* The file's bytes at off are the code the loader runs at addr. A uprobe
 * that another tracer (a running zerotrace) holds on the function turns its
 * first byte into int3 in every process, so that byte may differ. */
static void es_expect_same_code(int fd, uint64_t off, const void *addr)
{
	const uint8_t *mem = addr;
	uint8_t disk[16];

	cr_assert_eq(pread(fd, disk, sizeof(disk), (off_t)off), (ssize_t)sizeof(disk));
	cr_expect(mem[0] == disk[0] || mem[0] == ES_X86_INT3, "first byte differs at 0x%llx",
		  (unsigned long long)off);
	cr_expect_eq(memcmp(disk + 1, mem + 1, sizeof(disk) - 1), 0, "bytes differ at 0x%llx",
		     (unsigned long long)off);
}

Test(elf_syms, libssl_read_write)
{
	struct elf_sym_query *q = ES_QUERY({ "SSL_read", 0, 0 }, { "SSL_write", 0, 0 },
					   { "SSL_read_ex", 0, 0 }, { "SSL_write_ex", 0, 0 });
	void *lib = dlopen(ES_LIBSSL, RTLD_NOW);
	int fd = open(ES_LIBSSL, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert(lib, "dlopen: %s", dlerror());
	cr_assert_eq(elf_find_functions(fd, q, 4), 4);
	for (int i = 0; i < 4; i++) {
		void *addr = dlsym(lib, q[i].name);
		char path[256] = "";

		cr_assert(addr, "dlsym %s", q[i].name);
		cr_expect_neq(q[i].offset, 0);
		for (int k = 0; k < i; k++)
			cr_expect_neq(q[i].offset, q[k].offset);
		cr_expect_eq(q[i].offset, es_offset_in_maps(addr, path), "%s", q[i].name);
		cr_expect_eq(maps_is_libssl(path), 1, "%s mapped from %s", q[i].name, path);
		es_expect_same_code(fd, q[i].offset, addr);
	}
	cr_expect_neq(fcntl(fd, F_GETFD), -1, "fd must stay open");
	close(fd);
	dlclose(lib);
}

Test(elf_syms, libssl_exact_names_only)
{
	struct elf_sym_query *q = ES_QUERY({ "SSL_read@@OPENSSL_3.0.0", 5, 5 }, { "SSL_rea", 5, 5 },
					   { "SSL_no_such_function", 5, 5 }, { "memcpy", 5, 5 },
					   { "SSL_write", 5, 5 });
	int fd = open(ES_LIBSSL, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	/* memcpy is imported (SHN_UNDEF) by libssl, not defined there */
	cr_expect_eq(elf_find_functions(fd, q, 5), 1);
	for (int i = 0; i < 4; i++)
		cr_expect_eq(q[i].offset, 0, "%s", q[i].name);
	cr_expect_neq(q[4].offset, 0);
	/* no names: the file is still checked */
	cr_expect_eq(elf_find_functions(fd, NULL, 0), 0);
	close(fd);
}

/* Static: in .symtab only, never exported through .dynsym. */
__attribute__((used, noinline)) static int es_local_function(void)
{
	static volatile int calls;

	return ++calls;
}

Test(elf_syms, symtab_of_this_binary)
{
	struct elf_sym_query *q = ES_QUERY({ "es_local_function", 0, 0 });
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	char path[256] = "";

	cr_assert_geq(fd, 0);
	cr_expect_null(dlsym(RTLD_DEFAULT, "es_local_function"), "must not be in .dynsym");
	cr_assert_eq(elf_find_functions(fd, q, 1), 1);
	cr_expect_eq(q[0].offset, es_offset_in_maps((const void *)es_local_function, path));
	es_expect_same_code(fd, q[0].offset, (const void *)es_local_function);
	cr_expect_geq(es_local_function(), 1);
	close(fd);
}

Test(elf_syms, not_elf)
{
	static const char text[] = "#!/bin/sh\necho not an ELF file\n";
	struct elf_sym_query *q = ES_QUERY({ "SSL_read", 9, 9 });
	int fd = es_memfd(text, sizeof(text) - 1);

	cr_expect_eq(elf_find_functions(fd, q, 1), -EINVAL);
	cr_expect_eq(q[0].offset, 0);
	close(fd);

	fd = es_memfd("", 0);
	cr_expect_eq(elf_find_functions(fd, q, 1), -EINVAL, "empty file");
	close(fd);

	cr_expect_eq(elf_find_functions(-1, q, 1), -EINVAL);
	cr_expect_eq(elf_find_functions(0, NULL, 1), -EINVAL);
}

Test(elf_syms, truncated_libssl)
{
	struct elf_sym_query *q = ES_QUERY({ "SSL_read", 9, 9 });
	uint8_t head[4096];
	int src = open(ES_LIBSSL, O_RDONLY | O_CLOEXEC), fd;

	cr_assert_geq(src, 0);
	cr_assert_eq(read(src, head, sizeof(head)), (ssize_t)sizeof(head));
	close(src);

	/* the ELF header alone: its program headers lie past the end */
	fd = es_memfd(head, 64);
	cr_expect_eq(elf_find_functions(fd, q, 1), -ENOEXEC);
	cr_expect_eq(q[0].offset, 0);
	close(fd);

	/* program headers present, .dynsym and the section headers cut off */
	fd = es_memfd(head, sizeof(head));
	cr_expect_eq(elf_find_functions(fd, q, 1), 0);
	cr_expect_eq(q[0].offset, 0);
	close(fd);
}
