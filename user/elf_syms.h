/* SPDX-License-Identifier: MIT */
/*
 * Function symbols of an ELF file as the file offsets uprobes attach at
 * (the kernel places a uprobe by inode and file offset, not by address).
 */
#ifndef ZT_ELF_SYMS_H
#define ZT_ELF_SYMS_H

#include <stddef.h>
#include <stdint.h>

struct elf_sym_query {
	const char *name; /* e.g. "SSL_write", no @VERSION suffix */
	uint64_t offset;  /* out: file offset of the code; 0 when not found */
	uint64_t size;    /* out: the symbol's size in bytes (0: not recorded) */
};

/* Looks each name up as a defined FUNC symbol in .dynsym, then in .symtab
 * for names still missing, and turns its address into a file offset through
 * the PT_LOAD that holds it. fd is only read, never closed. Returns how many
 * names were found, -EINVAL for a file that is not ELF, -ENOEXEC for an ELF
 * without a readable PT_LOAD, or another negative errno. */
int elf_find_functions(int fd, struct elf_sym_query *q, size_t n);

#endif /* ZT_ELF_SYMS_H */
