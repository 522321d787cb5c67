// SPDX-License-Identifier: MIT
#include <capstone/capstone.h>
#include <errno.h>
#include <gelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_syms.h"
#include "go_elf.h"

const char *const go_func_names[GO_FUNCS] = {
	[GO_FUNC_NEWPROC1] = "runtime.newproc1",
	[GO_FUNC_HTTP_ROUNDTRIP] = "net/http.(*persistConn).roundTrip",
	[GO_FUNC_HTTP_CONN_WRITE] = "net/http.persistConnWriter.Write",
	[GO_FUNC_TLS_READ] = "crypto/tls.(*Conn).Read",
	[GO_FUNC_TLS_WRITE] = "crypto/tls.(*Conn).Write",
	[GO_FUNC_TLS_CLIENT_HANDSHAKE] = "crypto/tls.(*Conn).clientHandshake",
	[GO_FUNC_TLS_SERVER_HANDSHAKE] = "crypto/tls.(*Conn).serverHandshake",
};

/* The functions whose returns are probed too. */
static const uint8_t returns_wanted[GO_FUNCS] = {
	[GO_FUNC_NEWPROC1] = 1,
	[GO_FUNC_TLS_READ] = 1,
};

/* The register ABI (arguments in rax, rbx, ...; g in r14) came with 1.17. */
#define GO_MINOR_MIN 17
#define BUILDINFO_MAGIC "\xff Go buildinf:"
#define BUILDINFO_MAGIC_LEN 14
#define PCLNTAB_GO116 0xfffffffau
#define PCLNTAB_GO118 0xfffffff0u
#define PCLNTAB_GO120 0xfffffff1u
/* linux/amd64 with Go's own linker: g in the TLS slot just below fsbase */
#define TLS_G_DEFAULT (-8)

struct go_file {
	Elf *elf;
	int fd;
	uint64_t size;
	size_t n_phdrs;
};

static int read_at(const struct go_file *f, void *dst, size_t n, uint64_t off)
{
	if (off > f->size || n > f->size - off)
		return -1;
	return pread(f->fd, dst, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

static uint64_t vaddr_offset(const struct go_file *f, uint64_t vaddr);

/* Reads n bytes at virtual address vaddr (in the file part of a PT_LOAD). */
static int read_vaddr(const struct go_file *f, void *dst, size_t n, uint64_t vaddr)
{
	uint64_t off = vaddr_offset(f, vaddr);

	return off ? (int)read_at(f, dst, n, off) : -1;
}

static Elf_Data *section_data(Elf *elf, const char *want)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && strcmp(name, want) == 0)
			return elf_rawdata(scn, NULL);
	}
	return NULL;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* "go1.19.8" (or "devel go1.22-..."): the minor number, 0 when none. */
static int version_minor(const char *v)
{
	const char *p = strstr(v, "go1.");
	int minor = 0;

	if (!p)
		return 0;
	for (p += 4; *p >= '0' && *p <= '9' && minor < 1000; p++)
		minor = minor * 10 + (*p - '0');
	return minor;
}

static void version_set(struct go_elf_info *out, const uint8_t *s, uint64_t n)
{
	size_t k = 0;

	for (uint64_t i = 0; i < n && k + 1 < sizeof(out->version); i++)
		if (s[i] >= 0x20 && s[i] < 0x7f)
			out->version[k++] = (char)s[i];
	out->version[k] = '\0';
	out->minor = version_minor(out->version);
}

/* .go.buildinfo: Go 1.18+ keeps the version inline (flag 2, a uvarint
 * length at 32); before, a pointer at 16 names a string header. */
static void buildinfo_read(const struct go_file *f, struct go_elf_info *out)
{
	Elf_Data *d = section_data(f->elf, ".go.buildinfo");
	const uint8_t *b;
	uint64_t n = 0, hdr[2];
	uint8_t str[sizeof(out->version)];
	size_t at = 32;

	if (!d || !d->d_buf || d->d_size < 32 || memcmp(d->d_buf, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN))
		return;
	b = d->d_buf;
	if (b[14] != 8 || (b[15] & 1)) /* 64-bit little-endian only */
		return;
	if (b[15] & 2) {
		for (int shift = 0; at < d->d_size && shift < 64; shift += 7) {
			n |= (uint64_t)(b[at] & 0x7f) << shift;
			if (!(b[at++] & 0x80))
				break;
		}
		if (at <= d->d_size && n <= d->d_size - at)
			version_set(out, b + at, n);
		return;
	}
	if (read_vaddr(f, hdr, sizeof(hdr), le64(b + 16)))
		return;
	n = le64((const uint8_t *)&hdr[1]);
	if (n > sizeof(str))
		n = sizeof(str);
	if (!read_vaddr(f, str, n, le64((const uint8_t *)&hdr[0])))
		version_set(out, str, n);
}

struct pclntab {
	const uint8_t *b;
	uint64_t size;
	uint32_t magic;
	uint64_t nfunc, text_start, funcname_off, pcln_off;
};

static int pclntab_open(Elf *elf, struct pclntab *t)
{
	Elf_Data *d = section_data(elf, ".gopclntab");
	int new_layout;

	if (!d || !d->d_buf || d->d_size < 8 + 8 * 8)
		return -1;
	t->b = d->d_buf;
	t->size = d->d_size;
	t->magic = le32(t->b);
	if (t->magic != PCLNTAB_GO116 && t->magic != PCLNTAB_GO118 && t->magic != PCLNTAB_GO120)
		return -1;
	if (t->b[4] || t->b[5] || t->b[7] != 8)
		return -1;
	/* Go 1.18 put textStart after nfiles; 1.16/1.17 entries are absolute */
	new_layout = t->magic != PCLNTAB_GO116;
	t->nfunc = le64(t->b + 8);
	t->text_start = new_layout ? le64(t->b + 24) : 0;
	t->funcname_off = le64(t->b + (new_layout ? 32 : 24));
	t->pcln_off = le64(t->b + (new_layout ? 64 : 56));
	return t->pcln_off < t->size && t->funcname_off < t->size ? 0 : -1;
}

static int in_table(const struct pclntab *t, uint64_t off, uint64_t n)
{
	return off <= t->size && n <= t->size - off;
}

/* The entry address of function i (i == nfunc: the end of the text). */
static int pclntab_entry(const struct pclntab *t, uint64_t i, uint64_t *entry)
{
	int new_layout = t->magic != PCLNTAB_GO116;
	uint64_t ent = new_layout ? 8 : 16, at = t->pcln_off + i * ent;

	if (i > UINT64_MAX / ent || !in_table(t, at, ent))
		return -1;
	*entry = new_layout ? t->text_start + le32(t->b + at) : le64(t->b + at);
	return 0;
}

/* The name of function i and its entry address; -1 past the table. */
static int pclntab_func(const struct pclntab *t, uint64_t i, const char **name, size_t *name_max,
			uint64_t *entry)
{
	int new_layout = t->magic != PCLNTAB_GO116;
	uint64_t ent = new_layout ? 8 : 16, at = t->pcln_off + i * ent, func, name_at;
	int32_t name_off;

	if (i > UINT64_MAX / ent || !in_table(t, at, ent))
		return -1;
	func = new_layout ? le32(t->b + at + 4) : le64(t->b + at + 8);
	if (func > t->size - t->pcln_off || !in_table(t, t->pcln_off + func, new_layout ? 8 : 12))
		return -1;
	func += t->pcln_off;
	*entry = new_layout ? t->text_start + le32(t->b + func) : le64(t->b + func);
	name_off = (int32_t)le32(t->b + func + (new_layout ? 4 : 8));
	if (name_off < 0)
		return -1;
	name_at = t->funcname_off + (uint64_t)name_off;
	if (name_at >= t->size)
		return -1;
	*name = (const char *)t->b + name_at;
	*name_max = t->size - name_at;
	return 0;
}

/* The file offset of vaddr, or 0 when no PT_LOAD holds it in its file part. */
static uint64_t vaddr_offset(const struct go_file *f, uint64_t vaddr)
{
	for (size_t i = 0; i < f->n_phdrs; i++) {
		GElf_Phdr ph;
		uint64_t delta;

		if (!gelf_getphdr(f->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr < ph.p_vaddr || vaddr - ph.p_vaddr >= ph.p_filesz)
			continue;
		delta = vaddr - ph.p_vaddr;
		if (delta > UINT64_MAX - ph.p_offset || ph.p_offset + delta >= f->size)
			return 0;
		return ph.p_offset + delta;
	}
	return 0;
}

/* A stripped binary keeps .gopclntab, the runtime's own function table
 * (sorted by address: a function ends where the next begins). */
static void pclntab_find(const struct go_file *f, struct go_elf_info *out, uint64_t *size)
{
	struct pclntab t;
	uint64_t n;

	if (pclntab_open(f->elf, &t))
		return;
	n = t.nfunc < t.size ? t.nfunc : t.size;
	for (uint64_t i = 0; i < n; i++) {
		const char *name;
		size_t max;
		uint64_t entry;

		if (pclntab_func(&t, i, &name, &max, &entry))
			break;
		for (int k = 0; k < GO_FUNCS; k++) {
			size_t len = strlen(go_func_names[k]);

			uint64_t next;

			if (out->func_off[k] || len >= max || memcmp(name, go_func_names[k], len + 1))
				continue;
			out->func_off[k] = vaddr_offset(f, entry);
			if (!pclntab_entry(&t, i + 1, &next) && next > entry)
				size[k] = next - entry;
		}
	}
	out->from_pclntab = 1;
}

/* With an external linker runtime.tlsg is a TLS symbol: its place in the
 * executable's TLS block, which ends at the thread pointer. */
static int64_t tls_g_offset(const struct go_file *f)
{
	Elf_Scn *scn = NULL;
	GElf_Phdr tls = { 0 };
	int has_tls = 0;

	for (size_t i = 0; i < f->n_phdrs; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(f->elf, (int)i, &ph) && ph.p_type == PT_TLS) {
			tls = ph;
			has_tls = 1;
		}
	}
	if (!has_tls || tls.p_memsz > (1u << 20) || tls.p_align > 4096)
		return TLS_G_DEFAULT;
	while ((scn = elf_nextscn(f->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t sz = gelf_fsize(f->elf, ELF_T_SYM, 1, EV_CURRENT);

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sz)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < d->d_size / sz && i < INT_MAX; i++) {
			GElf_Sym sym;
			const char *name;
			uint64_t align = tls.p_align ? tls.p_align : 1,
				 block = (tls.p_memsz + align - 1) / align * align;

			if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_TLS)
				continue;
			name = elf_strptr(f->elf, sh.sh_link, sym.st_name);
			if (name && strcmp(name, "runtime.tlsg") == 0 && sym.st_value < block)
				return (int64_t)sym.st_value - (int64_t)block;
		}
	}
	return TLS_G_DEFAULT;
}

/* Every return instruction of the code at [off, off + size) of the file. */
static int returns_find(const struct go_file *f, uint64_t off, uint64_t size,
			struct go_rets *out)
{
	uint8_t *code;
	cs_insn *insn;
	csh cs;
	size_t n;

	/* each is a few hundred bytes to a few KiB */
	if (!size || size > 65536)
		return -1;
	code = malloc(size);
	if (!code)
		return -1;
	if (read_at(f, code, size, off) || cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		free(code);
		return -1;
	}
	n = cs_disasm(cs, code, size, off, 0, &insn);
	for (size_t i = 0; i < n; i++) {
		if (insn[i].id != X86_INS_RET)
			continue;
		if (out->n == GO_RETS_MAX) {
			out->n = 0;
			break;
		}
		out->off[out->n++] = insn[i].address;
	}
	if (n)
		cs_free(insn, n);
	cs_close(&cs);
	free(code);
	return out->n ? 0 : -1;
}

/* The instruction after the prologue's stack check: "cmp rsp (or r12),
 * [r14 + 0x10]" then a forward "jbe" to the morestack call. 0: none in
 * the first instructions. */
static uint64_t body_find(const struct go_file *f, uint64_t off, uint64_t size)
{
	uint8_t code[48];
	uint64_t body = 0;
	cs_insn *insn;
	csh cs;
	size_t n;

	if (!size)
		return 0;
	if (size > sizeof(code))
		size = sizeof(code);
	if (read_at(f, code, size, off) || cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return 0;
	n = cs_disasm(cs, code, size, off, 6, &insn);
	for (size_t i = 1; i < n && !body; i++) {
		uint64_t target = strtoull(insn[i].op_str, NULL, 0);

		if (insn[i].id == X86_INS_JBE && target > insn[i].address &&
		    insn[i - 1].id == X86_INS_CMP && strstr(insn[i - 1].op_str, "[r14 + 0x10]"))
			body = insn[i].address + insn[i].size;
	}
	if (n)
		cs_free(insn, n);
	cs_close(&cs);
	return body;
}

int go_elf_inspect(int fd, struct go_elf_info *out)
{
	struct elf_sym_query q[GO_FUNCS];
	uint64_t size[GO_FUNCS] = { 0 };
	struct go_file f = { .fd = fd };
	GElf_Ehdr eh;
	struct stat st;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (fd < 0 || fstat(fd, &st))
		return -EINVAL;
	f.size = (uint64_t)st.st_size;
	/* the symbol lookup also brings libelf up */
	for (int k = 0; k < GO_FUNCS; k++)
		q[k] = (struct elf_sym_query){ .name = go_func_names[k] };
	if (elf_find_functions(fd, q, GO_FUNCS) == -EINVAL)
		return -EINVAL;
	f.elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!f.elf)
		return -EINVAL;
	if (elf_kind(f.elf) != ELF_K_ELF || !gelf_getehdr(f.elf, &eh) ||
	    elf_getphdrnum(f.elf, &f.n_phdrs) || f.n_phdrs > INT_MAX) {
		elf_end(f.elf);
		return -EINVAL;
	}
	buildinfo_read(&f, out);
	if (!out->version[0] && !section_data(f.elf, ".gopclntab")) {
		rc = -ENOEXEC;
		goto out;
	}
	if (eh.e_machine != EM_X86_64 || out->minor < GO_MINOR_MIN) {
		rc = -ENOTSUP;
		goto out;
	}
	for (int k = 0; k < GO_FUNCS; k++) {
		out->func_off[k] = q[k].offset;
		size[k] = q[k].size;
	}
	if (!out->func_off[GO_FUNC_NEWPROC1])
		pclntab_find(&f, out, size);
	for (int k = 0; k < GO_FUNCS_REQUIRED; k++)
		if (!out->func_off[k])
			rc = -ENOENT;
	for (int k = 0; k < GO_FUNCS; k++)
		if (out->func_off[k])
			out->body_off[k] = body_find(&f, out->func_off[k], size[k]);
	for (int k = 0; k < GO_FUNCS && !rc; k++) {
		if (!returns_wanted[k] || !out->func_off[k] ||
		    !returns_find(&f, out->func_off[k], size[k], &out->rets[k]))
			continue;
		/* a function left with a return unprobed is not probed at all */
		if (k < GO_FUNCS_REQUIRED)
			rc = -ENOENT;
		out->func_off[k] = 0;
		out->body_off[k] = 0;
	}
	/* newproc1(fn, argp, narg, callergp, callerpc) until 1.18 dropped
	 * the argument frame: newproc1(fn, callergp, callerpc, ...) */
	out->parent_arg = out->minor == 17 ? 3 : 1;
	out->tls_g_off = tls_g_offset(&f);
out:
	elf_end(f.elf);
	return rc;
}
