// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "elf_syms.h"
#include "events.h"
#include "go_elf.h"
#include "link_reaper.h"
#include "proc_filter.h"
#include "proc_maps.h"
#include "uprobe_attach.h"
#include "zerotrace.skel.h"

/* bpf/tls.bpf.h's cookie bits */
#define COOKIE_WRITE 0x1
#define COOKIE_EX 0x2
#define COOKIE_HANDSHAKE 0x4

enum tls_hook { TLS_HOOK_CALL, TLS_HOOK_FORGET };

/* The functions probed: the first two make a file an OpenSSL. */
static const struct tls_func {
	const char *name;
	enum tls_hook hook;
	uint64_t cookie;
} tls_funcs[] = {
	{ "SSL_read", TLS_HOOK_CALL, 0 },
	{ "SSL_write", TLS_HOOK_CALL, COOKIE_WRITE },
	{ "SSL_read_ex", TLS_HOOK_CALL, COOKIE_EX },
	{ "SSL_write_ex", TLS_HOOK_CALL, COOKIE_WRITE | COOKIE_EX },
	/* moves no plaintext, but its syscalls (or the ciphertext read before
	 * it) name the SSL's socket before the first write needs it */
	{ "SSL_do_handshake", TLS_HOOK_CALL, COOKIE_HANDSHAKE },
	{ "SSL_shutdown", TLS_HOOK_FORGET, 0 },
	{ "SSL_free", TLS_HOOK_FORGET, 0 },
};
#define TLS_FUNCS (sizeof(tls_funcs) / sizeof(tls_funcs[0]))
/* an entry and a return probe per call function, one per forget function;
 * for Go, newproc1's entry and returns, net/http's two, and crypto/tls's
 * four entries and Read's returns */
#define LINKS_MAX (2 * TLS_FUNCS + 7 + 2 * GO_RETS_MAX)

#define FILES_MAX 256     /* probed files (or file and process pairs) */
#define PROCS_MAX 4096    /* traced processes holding files (a power of two) */
_Static_assert((PROCS_MAX & (PROCS_MAX - 1)) == 0, "proc_home masks with PROCS_MAX - 1");
#define PROC_FILES 4      /* files one process holds */
#define PENDING_MAX 1024  /* processes waiting for their maps to be read */
#define NOT_PROBED_MAX 1024 /* executables known to hold nothing to probe */
#define SCAN_DELAY_NS 10000000ull
#define SCANS_PER_TICK 64

struct tls_file {
	uint64_t dev, inode;
	uint32_t pid;      /* 0: every process; else only this one (a filter is set) */
	uint32_t refs;     /* holders (processes, the host); 0: the slot is free */
	uint8_t host;      /* held for the agent's life: a library of the host */
	uint8_t go;        /* 1: a Go program, probed; 2: one whose goroutines cannot be followed */
	uint8_t go_tls;    /* its crypto/tls is probed */
	int64_t go_tls_g_off;
	struct bpf_link *links[LINKS_MAX];
	uint32_t n_links;
};

struct tls_proc {
	uint32_t pid;      /* 0: free */
	uint16_t n;
	uint8_t go;        /* its executable's tls_file.go */
	uint16_t file[PROC_FILES];
};

struct tls_pending {
	uint32_t pid;
	uint64_t due_ns;
};

struct uprobe_attach {
	struct zerotrace_bpf *skel;
	struct link_reaper *reaper; /* takes probes off without stalling the loop */
	const struct zt_config *cfg;
	int per_process;   /* a process filter is set */
	struct proc_filter filter;
	struct tls_file files[FILES_MAX];
	struct tls_proc procs[PROCS_MAX];
	struct tls_pending pending[PENDING_MAX];
	uint32_t n_pending;
	uint64_t not_probed[NOT_PROBED_MAX]; /* hashes of (dev, inode) of executables with nothing to probe */
	struct uprobe_attach_stats stats;
};

static uint64_t dev_inode_hash(uint64_t dev, uint64_t inode)
{
	uint64_t h = (dev * 0x9e3779b97f4a7c15ull) ^ inode;

	h ^= h >> 31;
	return h ? h : 1;
}

/* The process table is open-addressed (PROCS_MAX a power of two): a new
 * connection asks it whether its process runs goroutines. */
static uint32_t proc_home(uint32_t pid)
{
	return (pid * 2654435761u) & (PROCS_MAX - 1);
}

static struct tls_proc *proc_find(struct uprobe_attach *ta, uint32_t pid, int create)
{
	uint32_t i = proc_home(pid);

	for (uint32_t n = 0; n < PROCS_MAX; n++, i = (i + 1) & (PROCS_MAX - 1)) {
		struct tls_proc *p = &ta->procs[i];

		if (p->pid == pid)
			return p;
		if (p->pid)
			continue;
		if (!create)
			return NULL;
		memset(p, 0, sizeof(*p));
		p->pid = pid;
		return p;
	}
	if (create)
		ta->stats.table_full++;
	return NULL;
}

/* Frees p's slot, moving back the entries after it whose probe chain ran
 * through it, so every lookup still finds them (no tombstones). */
static void proc_remove(struct uprobe_attach *ta, struct tls_proc *p)
{
	uint32_t hole = (uint32_t)(p - ta->procs), i = hole;

	/* a full table has no empty slot to stop at */
	for (uint32_t n = 1; n < PROCS_MAX; n++) {
		struct tls_proc *q;

		i = (i + 1) & (PROCS_MAX - 1);
		q = &ta->procs[i];
		if (!q->pid)
			break;
		if (((i - proc_home(q->pid)) & (PROCS_MAX - 1)) >= ((i - hole) & (PROCS_MAX - 1))) {
			ta->procs[hole] = *q;
			hole = i;
		}
	}
	memset(&ta->procs[hole], 0, sizeof(ta->procs[hole]));
}

static void file_release(struct uprobe_attach *ta, uint16_t idx)
{
	struct tls_file *f = &ta->files[idx];

	if (!f->refs || --f->refs)
		return;
	while (f->n_links)
		link_reaper_put(ta->reaper, f->links[--f->n_links]);
	if (f->go_tls)
		ta->stats.go_tls--;
	if (f->go == 1)
		ta->stats.go_programs--;
	else if (f->go == 2)
		ta->stats.go_unsupported--;
	else
		ta->stats.files--;
	memset(f, 0, sizeof(*f));
}


/* Detaches the file's links from the n-th on. */
static void links_drop_from(struct uprobe_attach *ta, struct tls_file *f, uint32_t n)
{
	while (f->n_links > n)
		link_reaper_put(ta->reaper, f->links[--f->n_links]);
}

static void links_drop(struct uprobe_attach *ta, struct tls_file *f)
{
	links_drop_from(ta, f, 0);
}

/* Attaches the probes of one file; 0, or -1 when its OpenSSL could not be
 * probed (said once on stderr). path opens the process's own copy. */
static int file_attach(struct uprobe_attach *ta, struct tls_file *f, const char *path,
		       const struct elf_sym_query *q)
{
	for (uint32_t i = 0; i < TLS_FUNCS; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = tls_funcs[i].cookie);
		struct bpf_program *progs[2] = { ta->skel->progs.tls_enter, ta->skel->progs.tls_exit };
		uint32_t n = 2;

		if (!q[i].offset)
			continue;
		if (tls_funcs[i].hook == TLS_HOOK_FORGET) {
			progs[0] = ta->skel->progs.tls_forget;
			n = 1;
		}
		for (uint32_t k = 0; k < n; k++) {
			struct bpf_link *link;

			opts.retprobe = k == 1;
			link = bpf_program__attach_uprobe_opts(progs[k], f->pid ? (pid_t)f->pid : -1,
							       path, q[i].offset, &opts);
			if (!link) {
				fprintf(stderr, "zerotrace: TLS library %s: attach %s%s: %s; its plaintext is not traced\n",
					path, tls_funcs[i].name, k ? " return" : "", strerror(errno));
				links_drop(ta, f);
				return -1;
			}
			f->links[f->n_links++] = link;
		}
	}
	return 0;
}

/* One uprobe of a Go executable's; 0, or -1 (said on stderr: what the
 * program loses). */
static int go_probe(struct tls_file *f, const char *path,
		    struct bpf_program *prog, const char *what, uint64_t off, uint64_t cookie,
		    const char *lost)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = cookie);
	struct bpf_link *link;

	if (f->n_links == LINKS_MAX) {
		errno = E2BIG;
		link = NULL;
	} else {
		link = bpf_program__attach_uprobe_opts(prog, f->pid ? (pid_t)f->pid : -1, path, off,
						       &opts);
	}
	if (!link) {
		fprintf(stderr, "zerotrace: Go program %s: attach %s: %s; %s\n", path, what,
			strerror(errno), lost);
		return -1;
	}
	f->links[f->n_links++] = link;
	return 0;
}

/* Where a function's entry probe goes: past its stack check, so that it
 * fires once per call (go_elf.h). */
static uint64_t go_entry_off(const struct go_elf_info *gi, enum go_func k)
{
	return gi->body_off[k] ? gi->body_off[k] : gi->func_off[k];
}

/* A function's entry (prog_entry) and each of its return instructions
 * (prog_ret), with one cookie. */
static int go_probe_call(struct tls_file *f, const char *path,
			 const struct go_elf_info *gi, enum go_func k, struct bpf_program *prog_entry,
			 struct bpf_program *prog_ret, uint64_t cookie, uint64_t entry_cookie,
			 const char *lost)
{
	char what[160];

	if (go_probe(f, path, prog_entry, go_func_names[k], go_entry_off(gi, k), entry_cookie,
		     lost))
		return -1;
	snprintf(what, sizeof(what), "%s return", go_func_names[k]);
	for (uint32_t i = 0; i < gi->rets[k].n; i++)
		if (go_probe(f, path, prog_ret, what, gi->rets[k].off[i], cookie, lost))
			return -1;
	return 0;
}

/* --go-handoffs: the spawn probes (newproc1's entry and each of its
 * returns), and net/http's client where the program has one. */
static int file_attach_go(struct uprobe_attach *ta, struct tls_file *f, const char *path,
			  const struct go_elf_info *gi)
{
	static const char lost[] = "its goroutine handoffs are not followed";
	const __typeof__(ta->skel->progs) *p = &ta->skel->progs;

	if (go_probe_call(f, path, gi, GO_FUNC_NEWPROC1, p->go_newproc1, p->go_newproc1_ret, 0,
			  gi->parent_arg, lost))
		return -1;
	if (gi->func_off[GO_FUNC_HTTP_ROUNDTRIP] && gi->func_off[GO_FUNC_HTTP_CONN_WRITE] &&
	    (go_probe(f, path, p->go_http_roundtrip, go_func_names[GO_FUNC_HTTP_ROUNDTRIP],
		      go_entry_off(gi, GO_FUNC_HTTP_ROUNDTRIP), 0, lost) ||
	     go_probe(f, path, p->go_http_conn_write, go_func_names[GO_FUNC_HTTP_CONN_WRITE],
		      go_entry_off(gi, GO_FUNC_HTTP_CONN_WRITE), 0, lost)))
		return -1;
	return 0;
}

/* crypto/tls, where the program has Read and Write (bpf/go_tls.bpf.h; the
 * cookies are OpenSSL's): on by default, like OpenSSL's probes. A program
 * may link one handshake only (a client's). A failure loses the plaintext
 * only. */
static void file_attach_go_tls(struct uprobe_attach *ta, struct tls_file *f, const char *path,
			       const struct go_elf_info *gi)
{
	static const char lost[] = "its crypto/tls plaintext is not traced";
	static const struct {
		enum go_func k;
		uint64_t cookie;
	} calls[] = {
		{ GO_FUNC_TLS_READ, 0 },
		{ GO_FUNC_TLS_WRITE, COOKIE_WRITE },
		{ GO_FUNC_TLS_CLIENT_HANDSHAKE, COOKIE_HANDSHAKE },
		{ GO_FUNC_TLS_SERVER_HANDSHAKE, COOKIE_HANDSHAKE },
	};
	const __typeof__(ta->skel->progs) *p = &ta->skel->progs;
	uint32_t first = f->n_links;

	if (!gi->func_off[GO_FUNC_TLS_READ] || !gi->func_off[GO_FUNC_TLS_WRITE])
		return;
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		if (!gi->func_off[calls[i].k])
			continue;
		if (go_probe_call(f, path, gi, calls[i].k, p->go_tls_enter, p->go_tls_read_ret,
				  calls[i].cookie, calls[i].cookie, lost)) {
			links_drop_from(ta, f, first);
			ta->stats.attach_failures++;
			return;
		}
	}
	f->go_tls = 1;
	ta->stats.go_tls++;
}

/* A Go executable: its goroutines followed (go = 1; its runtime probed
 * with --go-handoffs, its crypto/tls always), or known as one whose
 * goroutines cannot be (go = 2, said once). 0 when it is not Go at all.
 * The goroutine is read from the thread at each syscall: a program whose
 * handoff probes failed (said) is followed as without --go-handoffs. */
static int file_go(struct uprobe_attach *ta, struct tls_file *f, int fd, const char *path)
{
	struct go_elf_info gi;
	int rc = go_elf_inspect(fd, &gi);
	uint32_t first = f->n_links;

	if (rc == -ENOEXEC || rc == -EINVAL)
		return 0;
	if (rc) {
		fprintf(stderr, "zerotrace: Go program %s (%s): %s; its goroutines are not followed and its client calls get no parent from it\n",
			path, gi.version[0] ? gi.version : "version unknown",
			rc == -ENOTSUP ? "needs Go 1.17 or later on amd64" :
					 "runtime functions not found");
		f->go = 2;
		ta->stats.go_unsupported++;
		return 1;
	}
	if (ta->cfg->go_handoffs && file_attach_go(ta, f, path, &gi))
		links_drop_from(ta, f, first);
	file_attach_go_tls(ta, f, path, &gi);
	f->go = 1;
	f->go_tls_g_off = gi.tls_g_off;
	ta->stats.go_programs++;
	return 1;
}

/* The slot of the file a process maps, attached if it is new. -1: nothing
 * to probe there, or not probed (counted). */
static int file_for(struct uprobe_attach *ta, uint32_t pid, const struct maps_entry *m, int is_exe)
{
	uint64_t dev = makedev(m->dev_major, m->dev_minor), h = dev_inode_hash(dev, m->inode);
	uint32_t owner = ta->per_process ? pid : 0;
	struct elf_sym_query q[TLS_FUNCS];
	struct tls_file *f = NULL;
	char path[512];
	int fd, found, ssl, go, failed = 0, idx = -1;

	for (uint32_t i = 0; i < FILES_MAX; i++) {
		struct tls_file *c = &ta->files[i];

		/* links (or a Go program) and no holder yet: found earlier in this same scan */
		if ((c->refs || c->n_links || c->go) && c->dev == dev && c->inode == m->inode &&
		    c->pid == owner)
			return (int)i;
		if (idx < 0 && !c->refs && !c->n_links && !c->go)
			idx = (int)i;
	}
	if (is_exe && ta->not_probed[h % NOT_PROBED_MAX] == h)
		return -1;
	/* the process's view of the path: a container's file, not ours */
	snprintf(path, sizeof(path), "/proc/%u/root%s", pid, m->path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (uint32_t i = 0; i < TLS_FUNCS; i++)
		q[i] = (struct elf_sym_query){ .name = tls_funcs[i].name };
	found = elf_find_functions(fd, q, TLS_FUNCS);
	ssl = found > 0 && q[0].offset && q[1].offset;
	if (idx < 0) {
		struct go_elf_info gi;

		if (ssl || (is_exe && go_elf_inspect(fd, &gi) != -ENOEXEC))
			ta->stats.table_full++;
		close(fd);
		return -1;
	}
	f = &ta->files[idx];
	memset(f, 0, sizeof(*f));
	f->dev = dev;
	f->inode = m->inode;
	f->pid = owner;
	if (ssl && file_attach(ta, f, path, q)) {
		ta->stats.attach_failures++;
		ssl = 0;
		failed = 1;
	}
	go = is_exe && file_go(ta, f, fd, path);
	close(fd);
	if (!ssl && !go) {
		/* a library named like OpenSSL that is not one is a failure too */
		if (!is_exe && !failed)
			ta->stats.attach_failures++;
		else if (is_exe && !failed)
			ta->not_probed[h % NOT_PROBED_MAX] = h;
		links_drop(ta, f);
		return -1;
	}
	if (ssl)
		ta->stats.files++;
	return idx;
}

static int idx_in(const uint16_t *set, uint16_t n, uint16_t idx)
{
	for (uint16_t i = 0; i < n; i++)
		if (set[i] == idx)
			return 1;
	return 0;
}

/* Files attached by this scan that no process came to hold (its table
 * was full): taken off again. */
static void files_unheld_release(struct uprobe_attach *ta)
{
	/* a Go program followed without --go-handoffs has no links */
	for (uint32_t i = 0; i < FILES_MAX; i++)
		if ((ta->files[i].n_links || ta->files[i].go) && !ta->files[i].refs) {
			ta->files[i].refs = 1;
			file_release(ta, (uint16_t)i);
		}
}

/* The kernel follows the goroutines of a process whose executable is a
 * probed Go program (map go_procs), and of no other. */
static void proc_go_note(struct uprobe_attach *ta, struct tls_proc *p)
{
	int fd = bpf_map__fd(ta->skel->maps.go_procs);
	const struct tls_file *exe = NULL;
	uint8_t was = p->go;

	for (uint16_t i = 0; i < p->n; i++)
		if (ta->files[p->file[i]].go)
			exe = &ta->files[p->file[i]];
	p->go = exe ? exe->go : 0;
	if (p->go == 1) {
		struct zt_go_proc gp = { .tls_g_off = exe->go_tls_g_off };

		ta->skel->bss->go_procs_used = 1;
		if (bpf_map_update_elem(fd, &p->pid, &gp, BPF_ANY) && was != 1)
			ta->stats.go_procs_full++;
	} else if (was == 1) {
		bpf_map_delete_elem(fd, &p->pid);
	}
}

/* Reads a process's maps: files it maps newly are held, files it no longer
 * maps (an exec, a dlclose) are let go. */
static void process_scan(struct uprobe_attach *ta, uint32_t pid)
{
	uint16_t now[PROC_FILES];
	uint16_t n_now = 0;
	struct tls_proc *p;
	struct maps_entry m;
	struct stat exe;
	char path[64], line[1024];
	FILE *f;

	ta->stats.scans++;
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	if (!proc_filter_match(&ta->filter, pid) || stat(path, &exe))
		memset(&exe, 0, sizeof(exe));
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = exe.st_ino ? fopen(path, "re") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		int is_exe, idx;

		if (maps_parse_line(line, &m))
			continue;
		is_exe = m.inode == exe.st_ino;
		if (!is_exe && !maps_is_libssl(m.path))
			continue;
		idx = file_for(ta, pid, &m, is_exe);
		if (idx < 0 || idx_in(now, n_now, (uint16_t)idx))
			continue;
		if (n_now == PROC_FILES) {
			ta->stats.table_full++;
			continue;
		}
		now[n_now++] = (uint16_t)idx;
	}
	if (f)
		fclose(f);
	p = proc_find(ta, pid, n_now > 0);
	if (!p) {
		files_unheld_release(ta);
		return;
	}
	/* let go first: what stays is in now[], so the rest always fits */
	for (uint16_t i = 0; i < p->n;) {
		if (idx_in(now, n_now, p->file[i])) {
			i++;
			continue;
		}
		file_release(ta, p->file[i]);
		p->file[i] = p->file[--p->n];
	}
	for (uint16_t i = 0; i < n_now; i++)
		if (!idx_in(p->file, p->n, now[i])) {
			ta->files[now[i]].refs++;
			p->file[p->n++] = now[i];
		}
	files_unheld_release(ta);
	proc_go_note(ta, p);
	if (!p->n)
		proc_remove(ta, p);
}


struct uprobe_attach *uprobe_attach_new(struct zerotrace_bpf *skel, const struct zt_config *cfg)
{
	struct uprobe_attach *ta = calloc(1, sizeof(*ta));

	if (!ta)
		return NULL;
	ta->skel = skel;
	ta->cfg = cfg;
	ta->reaper = link_reaper_start();
	ta->per_process = cfg->n_pids || cfg->comm[0] || cfg->cgroup[0];
	proc_filter_init(&ta->filter, cfg);
	return ta;
}

/* The host's own libssl files, probed before any process maps them: a
 * short-lived client (curl) finishes its TLS before a scan 10 ms after its
 * exec could find it. Held for the agent's life. Only without a process
 * filter: with one, probes are per process and come with the process. */
static const char *const host_lib_dirs[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
	"/lib", "/usr/lib", "/usr/local/lib", "/usr/local/lib64",
};

static void host_libs_probe(struct uprobe_attach *ta)
{
	for (size_t i = 0; i < sizeof(host_lib_dirs) / sizeof(host_lib_dirs[0]); i++) {
		DIR *d = opendir(host_lib_dirs[i]);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			struct maps_entry m = { 0 };
			struct stat st;
			int idx;

			if (!maps_is_libssl(de->d_name))
				continue;
			if (snprintf(m.path, sizeof(m.path), "%s/%s", host_lib_dirs[i], de->d_name) >=
				    (int)sizeof(m.path) ||
			    stat(m.path, &st) || !S_ISREG(st.st_mode))
				continue;
			m.dev_major = major(st.st_dev);
			m.dev_minor = minor(st.st_dev);
			m.inode = st.st_ino;
			idx = file_for(ta, (uint32_t)getpid(), &m, 0);
			/* a second name of a file already held (a symlinked dir) */
			if (idx >= 0 && !ta->files[idx].host) {
				ta->files[idx].host = 1;
				ta->files[idx].refs++;
			}
		}
		if (d)
			closedir(d);
	}
}

static void scan_one(void *ctx, uint32_t pid)
{
	process_scan(ctx, pid);
}

void uprobe_attach_scan_all(struct uprobe_attach *ta)
{
	int err;

	if (!ta->per_process)
		host_libs_probe(ta);
	err = proc_each_pid(scan_one, ta);
	if (err)
		fprintf(stderr, "zerotrace: list /proc: %s; TLS libraries are found as processes start\n",
			strerror(-err));
}

void uprobe_attach_code_mapped(struct uprobe_attach *ta, uint32_t pid, uint64_t now_ns)
{
	for (uint32_t i = 0; i < ta->n_pending; i++)
		if (ta->pending[i].pid == pid)
			return;
	if (ta->n_pending == PENDING_MAX) {
		ta->stats.table_full++;
		return;
	}
	ta->pending[ta->n_pending++] = (struct tls_pending){ pid, now_ns + SCAN_DELAY_NS };
}

void uprobe_attach_process_exit(struct uprobe_attach *ta, uint32_t pid)
{
	struct tls_proc *p = proc_find(ta, pid, 0);

	for (uint32_t i = 0; i < ta->n_pending; i++)
		if (ta->pending[i].pid == pid)
			ta->pending[i--] = ta->pending[--ta->n_pending];
	if (!p)
		return;
	while (p->n)
		file_release(ta, p->file[--p->n]);
	proc_go_note(ta, p);
	proc_remove(ta, p);
}

int uprobe_attach_runs_goroutines(void *ctx, uint32_t pid)
{
	struct uprobe_attach *ta = ctx;
	const struct tls_proc *p;

	for (uint32_t i = 0; i < ta->n_pending; i++)
		if (ta->pending[i].pid == pid) {
			ta->pending[i] = ta->pending[--ta->n_pending];
			process_scan(ta, pid);
			break;
		}
	p = proc_find(ta, pid, 0);
	return p && p->go;
}

void uprobe_attach_tick(struct uprobe_attach *ta, uint64_t now_ns)
{
	uint32_t done = 0;

	for (uint32_t i = 0; i < ta->n_pending && done < SCANS_PER_TICK;) {
		uint32_t pid = ta->pending[i].pid;

		if (ta->pending[i].due_ns > now_ns) {
			i++;
			continue;
		}
		ta->pending[i] = ta->pending[--ta->n_pending];
		process_scan(ta, pid);
		done++;
	}
}

void uprobe_attach_get_stats(const struct uprobe_attach *ta, struct uprobe_attach_stats *out)
{
	*out = ta->stats;
}

void uprobe_attach_free(struct uprobe_attach *ta)
{
	if (!ta)
		return;
	for (uint32_t i = 0; i < FILES_MAX; i++) {
		struct tls_file *f = &ta->files[i];

		while (f->n_links)
			link_reaper_put(ta->reaper, f->links[--f->n_links]);
	}
	link_reaper_stop(ta->reaper);
	free(ta);
}
