// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "zerotrace.skel.h"

static int verbose_libbpf;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	if (!verbose_libbpf)
		return 0;
	return vfprintf(stderr, fmt, args);
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

static int filters_fill(struct zerotrace_bpf *skel, const struct zt_config *cfg)
{
	__u8 one = 1;

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

static int attach_all(struct loader *l)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, l->skel->obj) {
		struct bpf_link *link = bpf_program__attach(prog);
		int err = -errno;

		if (!link) {
			fprintf(stderr, "zerotrace: attach %s (%s): %s\n", bpf_program__name(prog),
				bpf_program__section_name(prog), strerror(-err));
			return err;
		}
		if (l->n_attached == LOADER_MAX_LINKS) {
			bpf_link__destroy(link);
			fprintf(stderr, "zerotrace: attach %s: more than %d programs\n",
				bpf_program__name(prog), LOADER_MAX_LINKS);
			return -E2BIG;
		}
		l->links[l->n_attached++] = link;
	}
	return 0;
}

int loader_start(struct loader *l, const struct zt_config *cfg)
{
	struct zerotrace_bpf *skel;
	int err;

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
	skel->rodata->wakeup_bytes = cfg->ringbuf_size / 8;
	skel->rodata->self_tgid = (__u32)getpid();
	skel->rodata->filter_pids = cfg->n_pids > 0;
	skel->rodata->filter_ports = cfg->n_ports > 0;
	skel->rodata->filter_comm = cfg->comm[0] != '\0';
	memcpy((char *)skel->rodata->comm_filter, cfg->comm, sizeof(cfg->comm));

	err = bpf_map__set_max_entries(skel->maps.events, (__u32)cfg->ringbuf_size);
	if (err) {
		fprintf(stderr, "zerotrace: ring buffer size %llu: %s\n",
			(unsigned long long)cfg->ringbuf_size, strerror(-err));
		goto fail;
	}
	err = zerotrace_bpf__load(skel);
	if (err) {
		fprintf(stderr, "zerotrace: load BPF programs: %s%s\n", strerror(-err),
			cfg->verbose ? "" : " (run with --verbose for the verifier log)");
		goto fail;
	}
	err = filters_fill(skel, cfg);
	if (err) {
		fprintf(stderr, "zerotrace: fill filter maps: %s\n", strerror(-err));
		goto fail;
	}
	err = attach_all(l);
	if (err)
		goto fail;
	return 0;
fail:
	loader_stop(l);
	return err;
}

void loader_stop(struct loader *l)
{
	while (l->n_attached > 0)
		bpf_link__destroy(l->links[--l->n_attached]);
	zerotrace_bpf__destroy(l->skel);
	l->skel = NULL;
}

int loader_events_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
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
