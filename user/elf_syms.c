// SPDX-License-Identifier: MIT
#include <errno.h>
#include <gelf.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "elf_syms.h"

static pthread_once_t libelf_once = PTHREAD_ONCE_INIT;
static int libelf_ready;

static void libelf_init(void)
{
	libelf_ready = elf_version(EV_CURRENT) != EV_NONE;
}

/* The file offset of vaddr, or 0 when no PT_LOAD holds it in its file part
 * (0 is the ELF header, never code, so it doubles as "none"). */
static uint64_t vaddr_to_offset(Elf *elf, size_t n_phdrs, uint64_t vaddr, uint64_t file_size)
{
	for (size_t i = 0; i < n_phdrs; i++) {
		GElf_Phdr ph;
		uint64_t delta;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		/* subtract before comparing: p_vaddr + p_filesz may wrap in a hostile file */
		if (vaddr < ph.p_vaddr || vaddr - ph.p_vaddr >= ph.p_filesz)
			continue;
		delta = vaddr - ph.p_vaddr;
		if (delta > UINT64_MAX - ph.p_offset || ph.p_offset + delta >= file_size)
			return 0;
		return ph.p_offset + delta;
	}
	return 0;
}

static int count_loads(Elf *elf, size_t *n_phdrs)
{
	int loads = 0;

	/* gelf_getphdr takes an int index */
	if (elf_getphdrnum(elf, n_phdrs) || *n_phdrs > INT_MAX)
		return -1;
	for (size_t i = 0; i < *n_phdrs; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			return -1;
		loads += ph.p_type == PT_LOAD;
	}
	return loads;
}

/* Fills the offsets of names still missing from one symbol table; returns
 * how many it filled. */
static int search_table(Elf *elf, Elf_Scn *scn, size_t n_phdrs, uint64_t file_size,
			struct elf_sym_query *q, size_t n)
{
	size_t sym_size = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT), n_syms;
	GElf_Shdr sh;
	Elf_Data *data;
	int filled = 0;

	if (!gelf_getshdr(scn, &sh) || !sym_size)
		return 0;
	data = elf_getdata(scn, NULL);
	if (!data)
		return 0;
	n_syms = data->d_size / sym_size;
	if (n_syms > INT_MAX) /* gelf_getsym takes an int index */
		n_syms = INT_MAX;
	for (size_t i = 0; i < n_syms; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
			continue;
		name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (!name)
			continue;
		for (size_t k = 0; k < n; k++) {
			if (q[k].offset || !q[k].name || strcmp(q[k].name, name))
				continue;
			q[k].offset = vaddr_to_offset(elf, n_phdrs, sym.st_value, file_size);
			q[k].size = q[k].offset ? sym.st_size : 0;
			filled += q[k].offset != 0;
		}
	}
	return filled;
}

static int search_tables(Elf *elf, Elf64_Word type, size_t n_phdrs, uint64_t file_size,
			 struct elf_sym_query *q, size_t n)
{
	Elf_Scn *scn = NULL;
	int filled = 0;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == type)
			filled += search_table(elf, scn, n_phdrs, file_size, q, n);
	}
	return filled;
}

int elf_find_functions(int fd, struct elf_sym_query *q, size_t n)
{
	struct stat st;
	size_t n_phdrs;
	Elf *elf;
	int found, loads;

	if ((!q && n) || fd < 0)
		return -EINVAL;
	for (size_t k = 0; k < n; k++)
		q[k].offset = q[k].size = 0;
	pthread_once(&libelf_once, libelf_init);
	if (!libelf_ready)
		return -ENOSYS;
	if (fstat(fd, &st))
		return -errno;

	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -EINVAL;
	if (elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return -EINVAL;
	}
	loads = count_loads(elf, &n_phdrs);
	if (loads <= 0) {
		elf_end(elf);
		return -ENOEXEC;
	}
	found = search_tables(elf, SHT_DYNSYM, n_phdrs, (uint64_t)st.st_size, q, n);
	found += search_tables(elf, SHT_SYMTAB, n_phdrs, (uint64_t)st.st_size, q, n);
	elf_end(elf);
	return found;
}
