#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes a minimal stripped Go 1.19 executable for user/go_elf.c.

    go_elf_seed.py OUT

An x86-64 ELF64 with no symbol table: go_elf_inspect() must find
runtime.newproc1 through .gopclntab (the Go 1.18+ layout). The seed of
tests/fuzz/fuzz_go_elf.c and the input of tests/unit/test_go_elf.c.

Layout (one PT_LOAD maps the whole file at vaddr 0x400000, offset 0):
  0x000 ELF header, 0x040 the program header
  0x100 .text: runtime.newproc1 = 48 89 c0 c3 90 c3 (mov; ret; nop; ret:
        returns at 0x103 and 0x105), then "other" = c3 at 0x106
  0x110 .go.buildinfo: magic, pointer size 8, flags 2 (inline strings),
        at 32 a uvarint length then "go1.19.8"
  0x140 .gopclntab: the header, the funcname table, the functab
        (nfunc + 1 entries {entryoff, funcoff}) and one _func per function
  then .shstrtab and the section headers
"""
import struct
import sys

VADDR = 0x400000
TEXT_OFF = 0x100
BUILDINFO_OFF = 0x110
PCLNTAB_OFF = 0x140

# runtime.newproc1 (6 bytes) then other (1 byte)
CODE = bytes([0x48, 0x89, 0xC0, 0xC3, 0x90, 0xC3]) + bytes([0xC3])
FUNCS = [("runtime.newproc1", 0), ("other", 6)]
TEXT_END = len(CODE)
VERSION = b"go1.19.8"

EM_X86_64 = 62
ET_EXEC = 2
PT_LOAD = 1
SHT_PROGBITS = 1
SHT_STRTAB = 3
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
EHDR_SIZE, PHDR_SIZE, SHDR_SIZE = 64, 56, 64


def uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def buildinfo():
    head = b"\xff Go buildinf:" + bytes([8, 2])
    head += bytes(32 - len(head))
    return head + uvarint(len(VERSION)) + VERSION


def pclntab():
    """The Go 1.18 layout that go_elf.c's pclntab_open reads: magic
    0xfffffff0, two zero bytes, minLC, ptrSize, then eight 8-byte fields."""
    hdr_size = 8 + 8 * 8
    names = bytearray()
    name_off = []
    for name, _ in FUNCS:
        name_off.append(len(names))
        names += name.encode() + b"\0"
    funcname_off = hdr_size
    # cu, file and pc tables: empty, right after the names (go_elf.c never reads them)
    tables_off = funcname_off + len(names)
    pcln_off = (tables_off + 7) & ~7
    functab_size = (len(FUNCS) + 1) * 8
    funcs = bytearray()
    functab = bytearray()
    for (_, entry), noff in zip(FUNCS, name_off):
        # funcoff is relative to pclnOffset; the _func: entryOff u32, nameOff i32
        functab += struct.pack("<II", entry, functab_size + len(funcs))
        funcs += struct.pack("<Ii", entry, noff)
    functab += struct.pack("<II", TEXT_END, 0)  # the end of the text
    hdr = struct.pack("<IBBBB", 0xFFFFFFF0, 0, 0, 1, 8)
    hdr += struct.pack("<8Q", len(FUNCS), 0, VADDR + TEXT_OFF, funcname_off,
                       tables_off, tables_off, tables_off, pcln_off)
    body = hdr + names
    body += bytes(pcln_off - len(body))
    return body + functab + funcs


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: go_elf_seed.py OUT")
    bi, pt = buildinfo(), pclntab()
    assert TEXT_OFF + len(CODE) <= BUILDINFO_OFF
    assert BUILDINFO_OFF + len(bi) <= PCLNTAB_OFF
    shstr = b"\0.text\0.go.buildinfo\0.gopclntab\0.shstrtab\0"
    shstr_off = PCLNTAB_OFF + len(pt)
    shoff = (shstr_off + len(shstr) + 7) & ~7

    def name(s):
        return shstr.index(b"\0" + s + b"\0") + 1

    # (name, type, flags, offset, size, align)
    sections = [
        (0, 0, 0, 0, 0, 0),
        (name(b".text"), SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, TEXT_OFF, len(CODE), 16),
        (name(b".go.buildinfo"), SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, BUILDINFO_OFF, len(bi), 16),
        (name(b".gopclntab"), SHT_PROGBITS, SHF_ALLOC, PCLNTAB_OFF, len(pt), 8),
        (name(b".shstrtab"), SHT_STRTAB, 0, shstr_off, len(shstr), 1),
    ]
    size = shoff + len(sections) * SHDR_SIZE

    img = bytearray(size)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)  # ELF64, LE, v1, SysV
    img[0:EHDR_SIZE] = ident + struct.pack(
        "<HHIQQQIHHHHHH", ET_EXEC, EM_X86_64, 1, VADDR + TEXT_OFF, EHDR_SIZE, shoff, 0,
        EHDR_SIZE, PHDR_SIZE, 1, SHDR_SIZE, len(sections), len(sections) - 1)
    img[EHDR_SIZE:EHDR_SIZE + PHDR_SIZE] = struct.pack(
        "<IIQQQQQQ", PT_LOAD, 5, 0, VADDR, VADDR, size, size, 0x1000)  # R|X
    img[TEXT_OFF:TEXT_OFF + len(CODE)] = CODE
    img[BUILDINFO_OFF:BUILDINFO_OFF + len(bi)] = bi
    img[PCLNTAB_OFF:PCLNTAB_OFF + len(pt)] = pt
    img[shstr_off:shstr_off + len(shstr)] = shstr
    for i, (nm, typ, flags, off, sz, align) in enumerate(sections):
        addr = VADDR + off if flags & SHF_ALLOC else 0
        img[shoff + i * SHDR_SIZE:shoff + (i + 1) * SHDR_SIZE] = struct.pack(
            "<IIQQQQIIQQ", nm, typ, flags, addr, off, sz, 0, 0, align, 0)
    with open(sys.argv[1], "wb") as f:
        f.write(img)


if __name__ == "__main__":
    main()
