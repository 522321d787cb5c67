// SPDX-License-Identifier: MIT
/*
 * zerotrace record FILE [--record-max SIZE] [agent options]
 *   runs the agent as its options say, and also writes what enters its
 *   pipeline to FILE (mode 0600, payload secrets redacted; recording.h),
 *   up to SIZE bytes.
 * zerotrace replay FILE [agent options]
 *   feeds FILE through the same pipeline without BPF and prints the spans
 *   as the agent would (--output); options that shape spans should be the
 *   recording run's. The file is checked whole before anything is replayed.
 *   Ends with a line on stderr: "zerotrace replay: records=N events=E ...".
 * The replay draws the same span and trace ids as the recorded run (the
 * header holds the generator's state), serves the process lookups the run
 * made in the order it made them, and keeps time by the recorded clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_replay.h"
#include "config_internal.h"
#include "ids.h"
#include "output.h"
#include "sample_gate.h"
#include "pipeline.h"

#define RECORD_MAX_MIN (64ull << 10)
#define RECORD_MAX_MAX (64ull << 30)
#define RECORD_ARGS_MAX 256

static void record_usage(FILE *f)
{
	fprintf(f, "Usage: zerotrace record FILE [--record-max SIZE] [options]\n"
		   "Runs the agent with its options and writes what its pipeline took in to FILE\n"
		   "(mode 0600), up to SIZE bytes (default 256M, 64K..64G). A recording holds\n"
		   "payloads: secrets are redacted as in spans, request bodies are not.\n");
}

static void replay_usage(FILE *f)
{
	fprintf(f, "Usage: zerotrace replay FILE [--output jsonl|pretty|none] [options]\n"
		   "Feeds a `zerotrace record` file through the pipeline without BPF and prints\n"
		   "its spans. Exit: 0 replayed, 1 unreadable, corrupt or truncated file, 2 bad usage.\n");
}

int cli_record_args(int argc, char **argv, struct record_args *out)
{
	static char *agent_argv[RECORD_ARGS_MAX + 1];
	int asked = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
	const char *size = NULL;
	int n = 0;

	if (argc < 2 || argv[1][0] == '-' || argc > RECORD_ARGS_MAX) {
		record_usage(asked ? stdout : stderr);
		return asked ? 0 : 2;
	}
	*out = (struct record_args){ .path = argv[1], .max_size = RECORD_MAX_DEFAULT };
	agent_argv[n++] = "zerotrace";
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--record-max") == 0 && i + 1 < argc)
			size = argv[++i];
		else if (strncmp(argv[i], "--record-max=", 13) == 0)
			size = argv[i] + 13;
		else if (strcmp(argv[i], "--record-max") == 0)
			size = "";
		else
			agent_argv[n++] = argv[i];
	}
	if (size && !config_parse_size(size, RECORD_MAX_MIN, RECORD_MAX_MAX, &out->max_size)) {
		fprintf(stderr, "zerotrace record: --record-max '%s': a size from 64K to 64G\n", size);
		return 2;
	}
	agent_argv[n] = NULL;
	out->argc = n;
	out->argv = agent_argv;
	return -1;
}

/* The process lookups of the recorded run, served back in their order. */
struct replay_answers {
	const struct rec_reader *rd;
	size_t off;                /* past the last REC_PROCESS served */
	uint64_t mismatches;       /* the replay asked for another process */
};

static int replay_answer(void *ctx, uint32_t pid, const char *comm, struct procinfo_miss *m)
{
	struct replay_answers *a = ctx;
	struct rec_item it;
	struct rec_end end;
	char err[256];

	while (rec_reader_next(a->rd, &a->off, &it, &end, err, sizeof(err)) == 1) {
		if (it.type != REC_PROCESS)
			continue;
		rec_item_process(&it, m);
		if (m->pid == pid && strncmp(m->comm, comm, sizeof(m->comm)) == 0)
			return 0;
		break;
	}
	a->mismatches++;
	return -1;
}

static void replay_export(void *ctx, const struct span *s)
{
	output_span(ctx, s, s->process);
}

/* Through the daemon's gate: what it would not export is not written. The
 * recording's clock does not drive it (no timeouts): what is still held at
 * the end is dropped, as at the daemon's stop. */
static void replay_span(void *ctx, const struct span *s)
{
	sample_gate_span(ctx, s, 0);
}

/* Checks every record and the checksum before any is replayed: a bad
 * file prints no span. */
static int replay_check(const struct rec_reader *rd, const char *path)
{
	struct rec_end end;
	char err[256];
	int rc = rec_reader_check(rd, &end, err, sizeof(err));

	if (rc < 0)
		fprintf(stderr, "zerotrace replay: %s: %s\n", path, err);
	else if (end.not_written)
		fprintf(stderr, "zerotrace replay: %s: the recording stopped early: %llu records not written\n",
			path, (unsigned long long)end.not_written);
	return rc;
}

static void replay_records(struct pipeline *p, struct output *out, const struct rec_reader *rd,
			   uint64_t *records, uint64_t *events)
{
	struct rec_item it;
	struct rec_end end;
	struct rec_clock c;
	size_t off = rd->off;
	char err[256];

	while (rec_reader_next(rd, &off, &it, &end, err, sizeof(err)) == 1) {
		(*records)++;
		switch (it.type) {
		case REC_EVENT:
			(*events)++;
			pipeline_push(p, (void *)it.data, it.len);
			break;
		case REC_CLOCK:
			memcpy(&c, it.data, sizeof(c));
			pipeline_turn(p, c.now_mono_ns, c.tick != 0, c.mono_to_unix_ns);
			output_flush(out, c.now_mono_ns);
			break;
		case REC_PORTS:
			pipeline_listen_ports(p, (const uint16_t *)it.data, it.len / sizeof(uint16_t));
			break;
		default: /* REC_PROCESS: served by replay_answer */
			break;
		}
	}
	/* the agent drains its window when it stops */
	pipeline_release(p, UINT64_MAX);
}

static int replay_run(struct zt_config *cfg, const struct rec_reader *rd, const char *path)
{
	struct replay_answers answers = { .rd = rd, .off = rd->off };
	struct pipeline pipe = { .window_ns = rd->hdr.reorder_window_ns };
	struct tracer_stats ts;
	struct output out;
	struct sample_gate gate;
	uint64_t records = 0, events = 0;

	if (replay_check(rd, path))
		return 1;
	if (ids_set_state(rd->hdr.ids_state)) {
		fprintf(stderr, "zerotrace replay: %s: corrupt header: no id state\n", path);
		return 1;
	}
	/* the recorded run's settings that decide the window's releases */
	cfg->capture_bytes = rd->hdr.capture_bytes;
	if (output_init(&out, stdout, cfg->output)) {
		fprintf(stderr, "zerotrace replay: allocate output buffers: %s\n", strerror(ENOMEM));
		return 1;
	}
	pipe.tracer = tracer_new(cfg, replay_span, &gate);
	pipe.window = reorder_new_window(cfg->capture_bytes, pipe.window_ns);
	if (sample_gate_init(&gate, cfg, replay_export, &out) || !pipe.tracer || !pipe.window) {
		fprintf(stderr, "zerotrace replay: allocate tables for %u connections: %s\n",
			cfg->max_conns, strerror(ENOMEM));
		sample_gate_close(&gate);
		output_close(&out);
		tracer_free(pipe.tracer);
		reorder_free(pipe.window);
		return 1;
	}
	procinfo_set_host_name(rd->hdr.host_name);
	procinfo_set_hooks(&(struct procinfo_hooks){ .answer = replay_answer, .ctx = &answers });
	replay_records(&pipe, &out, rd, &records, &events);
	sample_gate_close(&gate);
	output_close(&out);
	procinfo_set_hooks(NULL);
	tracer_get_stats(pipe.tracer, &ts);
	fprintf(stderr, "zerotrace replay: records=%llu events=%llu spans=%llu reorder_forced=%llu "
		"process_mismatches=%llu\n", (unsigned long long)records,
		(unsigned long long)events, (unsigned long long)ts.spans,
		(unsigned long long)pipe.forced, (unsigned long long)answers.mismatches);
	tracer_free(pipe.tracer);
	reorder_free(pipe.window);
	/* a lookup the recording did not answer: these spans are not the run's */
	if (answers.mismatches) {
		fprintf(stderr, "zerotrace replay: %llu process lookups differ from the recording's\n",
			(unsigned long long)answers.mismatches);
		return 1;
	}
	return 0;
}

int cli_replay(int argc, char **argv)
{
	struct zt_config cfg;
	struct rec_reader rd;
	const char *help = NULL, *path;
	char err[CONFIG_ERR_MAX];
	struct stat st;
	void *map;
	int fd, rc;

	if (argc < 2 || argv[1][0] == '-') {
		int asked = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);

		replay_usage(asked ? stdout : stderr);
		return asked ? 0 : 2;
	}
	path = argv[1];
	/* the options after FILE: config_parse skips its argv[0], FILE here */
	switch (config_parse(&cfg, argc - 1, argv + 1, err, sizeof(err), &help)) {
	case CONFIG_OK:
		break;
	case CONFIG_HELP:
		replay_usage(stdout);
		return 0;
	default:
		fprintf(stderr, "zerotrace replay: %s\n", err);
		return 2;
	}
	cfg.rpc_dup = config_semconv_opt_in(getenv("OTEL_SEMCONV_STABILITY_OPT_IN"), "rpc/dup");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "zerotrace replay: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		fprintf(stderr, "zerotrace replay: %s: %s\n", path,
			S_ISREG(st.st_mode) ? "empty file" : "not a regular file");
		close(fd);
		return 1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "zerotrace replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (rec_reader_open(&rd, map, (size_t)st.st_size, err, sizeof(err))) {
		fprintf(stderr, "zerotrace replay: %s: %s\n", path, err);
		rc = 1;
	} else {
		rc = replay_run(&cfg, &rd, path);
	}
	munmap(map, (size_t)st.st_size);
	return rc;
}
