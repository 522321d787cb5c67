// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "event_rings.h"
#include "link_reaper.h"
#include "loader.h"
#include "protocols.h"
#include "sampler.h"
#include "zerotrace.skel.h"

/* Bytes a CPU queues before it wakes the reader (loader_start). */
#define WAKEUP_BYTES (64u << 10)

static int verbose_libbpf;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	if (!verbose_libbpf)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* Which of the ncpu possible CPUs are online: each gets a ring. */
static int online_cpus(struct loader *l, int ncpu)
{
	char buf[4096];
	FILE *f;
	int err = 0;

	errno = 0;
	f = fopen("/sys/devices/system/cpu/online", "r");

	l->online = calloc((size_t)ncpu, 1);
	if (!l->online) {
		if (f)
			fclose(f);
		return -ENOMEM;
	}
	if (!f || !fgets(buf, sizeof(buf), f))
		err = -(errno ? errno : EIO);
	else if ((l->n_online = cpulist_parse(buf, l->online, ncpu)) <= 0)
		err = -EINVAL;
	if (f)
		fclose(f);
	if (err)
		fprintf(stderr, "zerotrace: read /sys/devices/system/cpu/online: %s\n", strerror(-err));
	return err;
}

/* libbpf resolves tracepoint ids through tracefs, which a fresh machine may
 * not have mounted. */
static int tracefs_ensure(void)
{
	struct stat st;

	if (stat("/sys/kernel/tracing/events", &st) == 0 ||
	    stat("/sys/kernel/debug/tracing/events", &st) == 0)
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0)
		return 0;
	fprintf(stderr, "zerotrace: mount tracefs on /sys/kernel/tracing: %s\n", strerror(errno));
	return -errno;
}

/* The cgroup v2 mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified on
 * hybrid hierarchies. */
static int cgroup2_root(char *out, size_t out_len)
{
	FILE *f = setmntent("/proc/mounts", "r");
	struct mntent *m;
	int found = -ENOENT;

	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2") == 0) {
			snprintf(out, out_len, "%s", m->mnt_dir);
			found = 0;
			break;
		}
	}
	endmntent(f);
	return found;
}

/* --cgroup, or the whole cgroup v2 tree for sock_ops when not given. */
static int cgroup_open(struct loader *l, const char *path)
{
	char root[4096];
	int err;

	if (!path[0]) {
		err = cgroup2_root(root, sizeof(root));
		if (err) {
			fprintf(stderr, "zerotrace: find the cgroup v2 mount in /proc/mounts: %s\n",
				strerror(-err));
			return err;
		}
		path = root;
	}
	l->cgroup_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->cgroup_fd < 0) {
		err = -errno;
		fprintf(stderr, "zerotrace: open cgroup %s: %s\n", path, strerror(-err));
		return err;
	}
	snprintf(l->cgroup_path, sizeof(l->cgroup_path), "%s", path);
	return 0;
}

static int filters_fill(struct zerotrace_bpf *skel, const struct zt_config *cfg, int cgroup_fd)
{
	__u32 zero = 0;
	__u8 one = 1;

	if (cfg->cgroup[0] &&
	    bpf_map__update_elem(skel->maps.cgroup_filter, &zero, sizeof(zero), &cgroup_fd,
				 sizeof(cgroup_fd), BPF_ANY))
		return -errno;

	for (uint32_t i = 0; i < cfg->n_pids; i++)
		if (bpf_map__update_elem(skel->maps.pid_filter, &cfg->pids[i], sizeof(cfg->pids[i]),
					 &one, sizeof(one), BPF_ANY))
			return -errno;
	for (uint32_t i = 0; i < cfg->n_ports; i++)
		if (bpf_map__update_elem(skel->maps.port_filter, &cfg->ports[i],
					 sizeof(cfg->ports[i]), &one, sizeof(one), BPF_ANY))
			return -errno;
	return 0;
}

/* Programs that are not attached to a hook of their own name: the
 * injection pair (attached by attach_injection), the tail-call targets and
 * the TLS uprobes (attached per file by uprobe_attach). */
static int is_attached_elsewhere(const struct bpf_program *prog)
{
	enum bpf_prog_type t = bpf_program__type(prog);
	const char *sec = bpf_program__section_name(prog);

	return t == BPF_PROG_TYPE_SK_MSG || t == BPF_PROG_TYPE_SOCK_OPS ||
	       strcmp(sec, "tracepoint") == 0 || strcmp(sec, "uprobe") == 0 ||
	       strcmp(sec, "uretprobe") == 0;
}

static int keep_link(struct loader *l, struct bpf_link *link, const struct bpf_program *prog)
{
	if (l->n_attached == LOADER_MAX_LINKS) {
		bpf_link__destroy(link);
		fprintf(stderr, "zerotrace: attach %s: more than %d programs\n",
			bpf_program__name(prog), LOADER_MAX_LINKS);
		return -E2BIG;
	}
	l->links[l->n_attached++] = link;
	return 0;
}

/* sock_ops puts client sockets of the cgroup in client_socks; sk_msg runs
 * on their sends. The sk_msg attachment lives as long as the map, which dies
 * with the agent's fds: nothing stays attached after it exits. */
static int attach_injection(struct loader *l, const char *cgroup_path)
{
	struct bpf_program *ops = l->skel->progs.track_client_sockets;
	struct bpf_program *msg = l->skel->progs.inject_traceparent;
	struct bpf_link *link;
	int err;

	link = bpf_program__attach_cgroup(ops, l->cgroup_fd);
	if (!link) {
		err = -errno;
		fprintf(stderr, "zerotrace: attach %s to cgroup %s: %s\n", bpf_program__name(ops),
			cgroup_path, strerror(-err));
		return err;
	}
	err = keep_link(l, link, ops);
	if (err)
		return err;
	if (bpf_prog_attach(bpf_program__fd(msg), bpf_map__fd(l->skel->maps.client_socks),
			    BPF_SK_MSG_VERDICT, 0)) {
		err = -errno;
		fprintf(stderr, "zerotrace: attach %s to map client_socks: %s\n",
			bpf_program__name(msg), strerror(-err));
		return err;
	}
	return 0;
}

static int attach_all(struct loader *l)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, l->skel->obj) {
		struct bpf_link *link;
		int err;

		if (is_attached_elsewhere(prog) || !bpf_program__autoload(prog))
			continue;
		link = bpf_program__attach(prog);
		err = -errno;

		if (!link) {
			fprintf(stderr, "zerotrace: attach %s (%s): %s\n", bpf_program__name(prog),
				bpf_program__section_name(prog), strerror(-err));
			return err;
		}
		err = keep_link(l, link, prog);
		if (err)
			return err;
	}
	return 0;
}

int loader_start(struct loader *l, const struct zt_config *cfg)
{
	struct zerotrace_bpf *skel;
	int err, ncpu;

	l->cgroup_fd = -1;
	verbose_libbpf = cfg->verbose;
	libbpf_set_print(libbpf_print);
	err = tracefs_ensure();
	if (err)
		return err;

	skel = zerotrace_bpf__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "zerotrace: open BPF object: %s\n", strerror(-err));
		return err;
	}
	l->skel = skel;
	skel->rodata->capture_bytes = cfg->capture_bytes;
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0) {
		fprintf(stderr, "zerotrace: count the possible CPUs: %s\n", strerror(-ncpu));
		err = ncpu < 0 ? ncpu : -ENODEV;
		goto fail;
	}
	err = online_cpus(l, ncpu);
	if (err)
		goto fail;
	l->ring_bytes = event_ring_bytes(cfg->ringbuf_size, l->n_online);
	/* Each CPU wakes the reader once it queued WAKEUP_BYTES
	 * (event_wakeup_flags): the agent then handles about a hundred records
	 * a wakeup, bursts too short to hold a traced process off its CPU for
	 * long (nginx's p99 under wrk: 3.2 ms -> 1.1 ms against 1 MiB a CPU,
	 * the same throughput). On a small ring, an eighth of it. */
	skel->rodata->wakeup_bytes = l->ring_bytes / 8 < WAKEUP_BYTES ? l->ring_bytes / 8 : WAKEUP_BYTES;
	skel->rodata->self_tgid = (__u32)getpid();
	skel->rodata->filter_pids = cfg->n_pids > 0;
	skel->rodata->filter_ports = cfg->n_ports > 0;
	skel->rodata->filter_comm = cfg->comm[0] != '\0';
	memcpy((char *)skel->rodata->comm_filter, cfg->comm, sizeof(cfg->comm));
	skel->rodata->filter_cgroup = cfg->cgroup[0] != '\0';
	skel->rodata->inject_enabled = cfg->inject_traceparent;
	skel->rodata->logs_enabled = (__u8)!!cfg->logs;
	/* the sampler's (user/sampler.h), so that the flag the kernel injects
	 * is the decision user space makes for the same trace */
	if (config_sampling_set(cfg)) {
		skel->bss->sample_threshold = sample_threshold(cfg->sample_ratio, SAMPLE_PRECISION);
		skel->bss->sample_follow_parent = !cfg->sample_ignore_parent;
	}
	skel->rodata->protocols_enabled = cfg->protocols;
	if (!cfg->inject_traceparent) {
		bpf_program__set_autoload(skel->progs.track_client_sockets, false);
		bpf_program__set_autoload(skel->progs.inject_traceparent, false);
	}
	/* every write() on the node would pay a lookup */
	if (!cfg->logs)
		bpf_program__set_autoload(skel->progs.sys_exit_write, false);
	/* every access() on the node would pay for them */
	if (!cfg->node_helper) {
		bpf_program__set_autoload(skel->progs.sys_enter_access, false);
		bpf_program__set_autoload(skel->progs.sys_enter_faccessat, false);
		bpf_program__set_autoload(skel->progs.sys_enter_faccessat2, false);
	}
	/* a TCP recvfrom or recvmsg would pay for them: they wait for DNS */
	if (!(cfg->protocols & (1u << ZT_PROTO_DNS))) {
		bpf_program__set_autoload(skel->progs.sys_exit_recvfrom, false);
		bpf_program__set_autoload(skel->progs.sys_exit_recvmsg, false);
	}
	if (cfg->cgroup[0] || cfg->inject_traceparent) {
		err = cgroup_open(l, cfg->cgroup);
		if (err)
			goto fail;
	}

	err = event_rings_create(&l->rings, l->n_online, l->ring_bytes);
	if (err) {
		fprintf(stderr, "zerotrace: create %d ring buffers of %u bytes: %s\n", l->n_online,
			l->ring_bytes, strerror(-err));
		goto fail;
	}
	err = bpf_map__set_max_entries(skel->maps.events, (__u32)ncpu);
	if (!err)
		err = bpf_map__set_inner_map_fd(skel->maps.events, l->rings.fds[0]);
	if (err) {
		fprintf(stderr, "zerotrace: a ring buffer for each of %d CPUs: %s\n", ncpu,
			strerror(-err));
		goto fail;
	}
	err = zerotrace_bpf__load(skel);
	if (err) {
		fprintf(stderr, "zerotrace: load BPF programs: %s%s\n", strerror(-err),
			cfg->verbose ? "" : " (run with --verbose for the verifier log)");
		goto fail;
	}
	err = event_rings_place(&l->rings, bpf_map__fd(skel->maps.events), l->online, ncpu);
	if (err) {
		fprintf(stderr, "zerotrace: place the ring buffers: %s\n", strerror(-err));
		goto fail;
	}
	err = filters_fill(skel, cfg, l->cgroup_fd);
	if (err) {
		fprintf(stderr, "zerotrace: fill filter maps: %s\n", strerror(-err));
		goto fail;
	}
	err = attach_all(l);
	if (!err && cfg->inject_traceparent)
		err = attach_injection(l, l->cgroup_path);
	if (err)
		goto fail;
	return 0;
fail:
	loader_stop(l);
	return err;
}

void loader_set_sampling(struct loader *l, uint64_t threshold, int follow_parent)
{
	/* .bss is mapped into this process: the programs see the stores */
	if (l->skel && l->skel->bss) {
		l->skel->bss->sample_threshold = threshold;
		l->skel->bss->sample_follow_parent = follow_parent != 0;
	}
}

void loader_stop(struct loader *l)
{
	struct link_reaper *r = link_reaper_start();

	while (l->n_attached > 0)
		link_reaper_put(r, l->links[--l->n_attached]);
	link_reaper_stop(r);
	zerotrace_bpf__destroy(l->skel);
	l->skel = NULL;
	event_rings_close(&l->rings);
	free(l->online);
	l->online = NULL;
	if (l->cgroup_fd >= 0)
		close(l->cgroup_fd);
	l->cgroup_fd = -1;
}

int loader_ring_fds(const struct loader *l, const int **fds)
{
	*fds = l->rings.fds;
	return l->rings.n;
}

int loader_read_counters(const struct loader *l, uint64_t out[ZT_CNT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[ncpu > 0 ? ncpu : 1];

	if (ncpu <= 0)
		return ncpu;
	for (__u32 k = 0; k < ZT_CNT_MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.counters), &k, vals))
			return -errno;
		for (int c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	return 0;
}
