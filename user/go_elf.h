/* SPDX-License-Identifier: MIT */
/*
 * What the agent needs from a Go executable to follow its goroutines:
 * the Go version (.go.buildinfo), the file offsets of the runtime functions
 * it probes (the symbol table, or .gopclntab when the binary is stripped)
 * and where the running goroutine's g pointer sits in thread-local storage.
 * Reads the file only; never trusts a length or an offset in it.
 */
#ifndef ZT_GO_ELF_H
#define ZT_GO_ELF_H

#include <stdint.h>

/* The functions probed (bpf/goroutine.bpf.h), in this order. */
enum go_func {
	/* runtime.newproc1: a goroutine spawns another (entry: the parent;
	 * each return: the child) */
	GO_FUNC_NEWPROC1 = 0,
	/* net/http's client, when the program has one (not required): the
	 * goroutine that asks for a request, and the one that writes it */
	GO_FUNC_HTTP_ROUNDTRIP, /* net/http.(*persistConn).roundTrip */
	GO_FUNC_HTTP_CONN_WRITE, /* net/http.persistConnWriter.Write */
	/* crypto/tls, when the program has it (bpf/go_tls.bpf.h): the
	 * plaintext of each call, and the handshake, whose syscalls name the
	 * connection's socket */
	GO_FUNC_TLS_READ,      /* crypto/tls.(*Conn).Read: entry and returns */
	GO_FUNC_TLS_WRITE,     /* crypto/tls.(*Conn).Write: entry */
	/* the handshakes themselves (entry), not handshakeContext: every Read
	 * and Write calls that, and it returns at once once shaken */
	GO_FUNC_TLS_CLIENT_HANDSHAKE, /* crypto/tls.(*Conn).clientHandshake */
	GO_FUNC_TLS_SERVER_HANDSHAKE, /* crypto/tls.(*Conn).serverHandshake */
	GO_FUNCS,
};
#define GO_FUNCS_REQUIRED (GO_FUNC_NEWPROC1 + 1)
/* return instructions probed at most per function (go1.19's
 * (*Conn).Read has 7) */
#define GO_RETS_MAX 12

/* the return instructions of one function; n = 0: none probed */
struct go_rets {
	uint64_t off[GO_RETS_MAX];
	uint32_t n;
};

extern const char *const go_func_names[GO_FUNCS];

struct go_elf_info {
	char version[32];        /* "go1.19.8"; "" when .go.buildinfo was not read */
	int minor;               /* 19 for go1.19.8; 0 when unknown */
	int64_t tls_g_off;       /* g is at the thread pointer (fsbase) + this */
	uint64_t func_off[GO_FUNCS]; /* file offsets; 0: not found (or not in the program) */
	/* where each body begins, past the stack check (CMP of SP against
	 * the g's stack guard, JBE to runtime.morestack): a call that grows
	 * its stack runs the prologue twice (morestack restarts the function),
	 * so a probe at the entry would fire twice, one here once. 0: no
	 * stack check found (probe the entry). */
	uint64_t body_off[GO_FUNCS];
	/* for newproc1 and crypto/tls's Read; a Read whose returns were not
	 * all found has func_off 0 */
	struct go_rets rets[GO_FUNCS];
	/* the register holding newproc1's parent goroutine (callergp): its
	 * argument index, 0 for rax (Go 1.17: 3, 1.18 and later: 1) */
	uint32_t parent_arg;
	uint8_t from_pclntab;    /* the offsets came from .gopclntab (no symbol table) */
};

/*
 * Returns 0 for a Go program whose goroutines can be followed (amd64, Go
 * 1.17 or later: the register ABI the probes read), with every required
 * function found; -ENOEXEC for a file that is not a Go program; -ENOTSUP for a Go
 * program this cannot follow (out->version says which Go, when known);
 * -ENOENT when a required function was not found; -EINVAL when the file is not ELF.
 * fd is only read, never closed.
 */
int go_elf_inspect(int fd, struct go_elf_info *out);

#endif /* ZT_GO_ELF_H */
