// SPDX-License-Identifier: MIT
/*
 * zerotrace: parse flags -> load and attach -> poll the ring buffer into the
 * tracer -> on SIGINT/SIGTERM drain, detach, print the counters, exit 0.
 * Exit status: 0 clean stop, 1 runtime failure (load, attach, memory),
 * 2 bad command line.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "alert_sinks.h"
#include "audit_verify.h"
#include "cli_baseline.h"
#include "cli_check.h"
#include "cli_graph.h"
#include "cli_replay.h"
#include "config.h"
#include "ids.h"
#include "listen_ports.h"
#include "load_feedback.h"
#include "loader.h"
#include "metrics.h"
#include "otlp_exporter.h"
#include "output.h"
#include "pipeline.h"
#include "policy.h"
#include "procinfo.h"
#include "reorder.h"
#include "ring_reader.h"
#include "sample_gate.h"
#include "security.h"
#include "node_helper.h"
#include "uprobe_attach.h"
#include "tracer.h"

#define POLL_TIMEOUT_MS 50

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int64_t mono_to_unix_offset(void)
{
	return (int64_t)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
}

#define METRICS_SERIES 2000
#define OTLP_DRAIN_MS 5000

/* Where finished spans go: stdout, /metrics, an OTLP collector, and the
 * security pipeline; and where its calls and alerts go. */
struct sinks {
	struct output *out;
	struct metrics *metrics;
	struct otlp_exporter *otlp;
	struct otlp_exporter *zipkin; /* the same exporter, speaking Zipkin */
	struct security *security;
	struct alert_sinks *alerting;
	uint64_t now_mono_ns;   /* as of the event loop's last turn */
	uint64_t now_unix_ns;
	struct sample_gate gate; /* what of the spans is exported */
	struct load_feedback feedback;
};

static void sink_export(void *ctx, const struct span *s)
{
	struct sinks *k = ctx;

	output_span(k->out, s, s->process);
	if (k->otlp)
		otlp_exporter_enqueue(k->otlp, s, s->process);
	if (k->zipkin)
		otlp_exporter_enqueue(k->zipkin, s, s->process);
}

/* Metrics and detections see every span; export, what the gate lets out. */
static void sink_span(void *ctx, const struct span *s)
{
	struct sinks *k = ctx;

	sample_gate_span(&k->gate, s, k->now_mono_ns);
	if (k->metrics)
		metrics_record_span(k->metrics, s);
	if (k->security)
		security_span(k->security, s, k->now_mono_ns, k->now_unix_ns);
	if (k->alerting)
		alert_sinks_span(k->alerting, s);
}

/* --logs: every record is written and exported, linked or not; its trace
 * flag says whether the trace it names was sampled. */
static void sink_log(void *ctx, struct log_record *r)
{
	struct sinks *k = ctx;

	r->observed_unix_ns = clock_ns(CLOCK_REALTIME);
	output_log(k->out, r);
	if (k->otlp)
		otlp_exporter_enqueue_log(k->otlp, r);
}

static void sink_call(void *ctx, const struct call *c)
{
	struct sinks *k = ctx;

	if (k->metrics)
		metrics_record_call(k->metrics, c);
}

static void alert_sinks_config_of(struct alert_sinks_config *ac, const struct zt_config *cfg,
				  const struct sinks *k)
{
	*ac = (struct alert_sinks_config){
		.alerts_output = cfg->alerts_output, .syslog_addr = cfg->syslog_addr,
		.audit_dir = cfg->audit_dir, .audit_max_size = cfg->audit_max_size,
		.audit_max_age_ns = cfg->audit_max_age_ns, .audit_keep = cfg->audit_keep,
		.disabled_rules = cfg->disabled_rules, .metrics = k->metrics, .otlp = k->otlp,
	};
}

/* The detector's settings from the options. */
static void security_config_of(struct security_config *sc, const struct zt_config *cfg,
			       const struct policy *policy)
{
	memset(sc, 0, sizeof(*sc));
	sc->state_dir = cfg->state_dir;
	sc->policy = policy;
	sc->detect.learn_ns = cfg->learn_ns;
	sc->detect.window_ns = (uint64_t)(cfg->alert_window * 1e9);
	sc->detect.rate = cfg->alert_rate;
	sc->detect.disabled = cfg->disabled_rules;
}

static const char *env_get(const char *name)
{
	return getenv(name);
}

/* OTEL_EXPORTER_OTLP_* first, then the otlp-* options on top: the command
 * line's always, the config file's only where the variable is unset
 * (command line > environment > file). Returns 0 or -1. */
static int otlp_config_resolve(struct otlp_config *oc, const struct zt_config *parsed)
{
	struct zt_config eff;
	const struct zt_config *cfg = &eff;
	char err[256];

	eff = *parsed;
	config_yield_to_env(&eff, env_get);
	if (otlp_config_from_env(oc, env_get, err, sizeof(err))) {
		fprintf(stderr, "zerotrace: %s\n", err);
		return -1;
	}
	if (cfg->otlp_endpoint[0] &&
	    otlp_config_set_endpoint(oc, "--otlp-endpoint", cfg->otlp_endpoint, err, sizeof(err))) {
		fprintf(stderr, "zerotrace: %s\n", err);
		return -1;
	}
	if (cfg->otlp_protocol[0])
		oc->protocol = strcmp(cfg->otlp_protocol, "http/json") == 0 ? OTLP_HTTP_JSON :
									       OTLP_HTTP_PROTOBUF;
	if (cfg->otlp_compression[0])
		oc->gzip = strcmp(cfg->otlp_compression, "gzip") == 0;
	if (cfg->otlp_timeout_ms)
		oc->timeout_ms = cfg->otlp_timeout_ms;
	if (cfg->otlp_headers[0]) {
		oc->n_headers = 0;
		if (otlp_parse_headers(oc, cfg->otlp_headers, err, sizeof(err))) {
			if (config_source(cfg, "otlp-headers") == CONFIG_SOURCE_FILE)
				fprintf(stderr, "zerotrace: %s: otlp-headers: %s\n", cfg->config_file,
					err);
			else
				fprintf(stderr, "zerotrace: --otlp-headers: %s\n", err);
			return -1;
		}
	}
	/* a busy server's log lines come thousands a second: room for a
	 * burst while batches of a quarter of it are sent */
	if (cfg->logs)
		oc->logs_queue_size = OTLP_LOGS_QUEUE_SIZE_WITH_LOGS;
	return 0;
}

/* The Zipkin exporter's settings: the OTLP exporter's (oc, resolved) as
 * zipkin_config_from_env takes them, then --zipkin-endpoint (command line >
 * OTEL_EXPORTER_ZIPKIN_ENDPOINT > file) and --zipkin-compression. 0 or -1. */
static int zipkin_config_resolve(struct otlp_config *zc, const struct otlp_config *oc,
				 const struct zt_config *parsed)
{
	struct zt_config eff = *parsed;
	char err[256];

	config_yield_to_env(&eff, env_get);
	if (zipkin_config_from_env(zc, oc, env_get, err, sizeof(err)) ||
	    (eff.zipkin_endpoint[0] &&
	     otlp_config_set_traces_url(zc, "--zipkin-endpoint", eff.zipkin_endpoint, err,
					sizeof(err)))) {
		fprintf(stderr, "zerotrace: %s\n", err);
		return -1;
	}
	zc->gzip = strcmp(eff.zipkin_compression, "gzip") == 0;
	return 0;
}

struct status {
	uint64_t at_ns;
	uint64_t events;
	uint64_t spans;
};

static void status_print(const struct loader *l, const struct tracer *t, const struct output *o,
			 struct status *prev, uint64_t now)
{
	uint64_t kc[ZT_CNT_MAX] = { 0 };
	struct tracer_stats ts;
	double secs = (double)(now - prev->at_ns) / 1e9;

	tracer_get_stats(t, &ts);
	loader_read_counters(l, kc);
	if (secs <= 0)
		secs = 1;
	fprintf(stderr,
		"zerotrace: %.0f events/s, %.0f spans/s, %llu ringbuf drops, %llu parse misses, %llu conns, %llu output drops, sample ratio %.6g\n",
		(double)(ts.events - prev->events) / secs, (double)(ts.spans - prev->spans) / secs,
		(unsigned long long)kc[ZT_CNT_RINGBUF_DROPS], (unsigned long long)ts.parse_misses,
		(unsigned long long)tracer_conns_tracked(t), (unsigned long long)o->dropped,
		tracer_sample_ratio(t));
	prev->at_ns = now;
	prev->events = ts.events;
	prev->spans = ts.spans;
}

/* kc: the kernel counters, read before the probes were detached. */
static void final_print(const uint64_t kc[ZT_CNT_MAX], const struct tracer *t,
			const struct output *o, uint64_t reorder_forced, const struct otlp_stats *os,
			const struct uprobe_attach_stats *tls, const struct node_helper_stats *nh,
			const struct security_stats *sec, const struct alert_sinks_stats *as,
			int metrics_unserved, const struct sinks *k, const struct otlp_stats *zs)
{
	struct tracer_stats ts;
	uint64_t alerts = 0;

	tracer_get_stats(t, &ts);
	fprintf(stderr,
		"zerotrace: final events=%llu spans=%llu ringbuf_drops=%llu parse_misses=%llu conns=%llu "
		"continuations=%llu payload_bytes=%llu bad_events=%llu stash_drops=%llu conn_drops=%llu "
		"read_faults=%llu pipeline_drops=%llu role_unknown=%llu conns_evicted=%llu "
		"connect_failures=%llu output_drops=%llu send_unstamped=%llu reorder_forced=%llu "
		"traces_new=%llu by_wire=%llu by_connection=%llu by_thread=%llu by_kernel=%llu "
		"ambiguous_thread=%llu bad_wire_context=%llu stitch_drops=%llu injected=%llu "
		"inject_skipped=%llu otlp_exported=%llu otlp_dropped_full=%llu otlp_dropped_failed=%llu "
		"otlp_failures=%llu otlp_retries=%llu unanswered_unjoined=%llu unknown_protocol=%llu unsniffed=%llu "
		"frames_lost=%llu state_alloc_failures=%llu record_gaps=%llu attr_overflows=%llu "
		"tls_libs=%llu tls_attach_failures=%llu tls_table_full=%llu tls_conns=%llu "
		"tls_bytes=%llu tls_unbound=%llu tls_conn_resets=%llu proto_upgrades=%llu dgrams_unreported=%llu "
		"timed_full=%llu",
		(unsigned long long)ts.events, (unsigned long long)ts.spans,
		(unsigned long long)kc[ZT_CNT_RINGBUF_DROPS], (unsigned long long)ts.parse_misses,
		(unsigned long long)ts.conns_opened, (unsigned long long)ts.continuations,
		(unsigned long long)ts.payload_bytes, (unsigned long long)ts.bad_events,
		(unsigned long long)kc[ZT_CNT_STASH_DROPS], (unsigned long long)kc[ZT_CNT_CONN_DROPS],
		(unsigned long long)kc[ZT_CNT_READ_FAULTS], (unsigned long long)ts.pipeline_drops,
		(unsigned long long)ts.role_unknown, (unsigned long long)ts.conns_evicted,
		(unsigned long long)ts.connect_failures, (unsigned long long)o->dropped,
		(unsigned long long)kc[ZT_CNT_SEND_UNSTAMPED], (unsigned long long)reorder_forced,
		(unsigned long long)ts.stitch.by_rule[STITCH_NEW_TRACE],
		(unsigned long long)ts.stitch.by_rule[STITCH_WIRE],
		(unsigned long long)ts.stitch.by_rule[STITCH_CONNECTION],
		(unsigned long long)ts.stitch.by_rule[STITCH_THREAD],
		(unsigned long long)ts.stitch.by_rule[STITCH_KERNEL],
		(unsigned long long)ts.stitch.ambiguous_thread,
		(unsigned long long)ts.stitch.bad_wire_context,
		(unsigned long long)(ts.stitch.conn_table_drops + ts.stitch.thread_table_drops +
				     ts.stitch.process_table_drops),
		(unsigned long long)kc[ZT_CNT_INJECTED],
		(unsigned long long)(kc[ZT_CNT_INJECT_SKIPPED] + ts.inject_skipped),
		(unsigned long long)os->exported, (unsigned long long)os->dropped_full,
		(unsigned long long)os->dropped_failed, (unsigned long long)os->failures,
		(unsigned long long)os->retries,
		(unsigned long long)ts.stitch.unanswered_unjoined,
		(unsigned long long)kc[ZT_CNT_UNKNOWN_PROTO],
		(unsigned long long)(kc[ZT_CNT_UNSNIFFED] + ts.unsniffed),
		(unsigned long long)kc[ZT_CNT_FRAMES_LOST],
		(unsigned long long)ts.state_alloc_failures,
		(unsigned long long)ts.record_gaps, (unsigned long long)ts.attr_overflows,
		(unsigned long long)tls->files, (unsigned long long)tls->attach_failures,
		(unsigned long long)tls->table_full, (unsigned long long)kc[ZT_CNT_TLS_CONNS],
		(unsigned long long)kc[ZT_CNT_TLS_BYTES], (unsigned long long)kc[ZT_CNT_TLS_UNBOUND],
		(unsigned long long)ts.tls_conn_resets, (unsigned long long)ts.proto_upgrades,
		(unsigned long long)kc[ZT_CNT_DGRAMS_UNREPORTED],
		(unsigned long long)ts.timed_full);
	for (uint32_t r = 0; r < ALERT_RULE_COUNT; r++)
		alerts += sec->detect.alerts[r];
	fprintf(stderr,
		" calls=%llu calls_paired=%llu calls_pair_evicted=%llu calls_local_full=%llu alerts=%llu "
		"alerts_deduplicated=%llu alerts_rate_limited=%llu alerts_dedup_full=%llu "
		"baseline_edges=%llu baseline_operations=%llu baseline_listeners=%llu "
		"baseline_full=%llu baseline_saves=%llu baseline_save_failures=%llu "
		"alert_lines=%llu alert_lines_dropped=%llu otlp_logs_exported=%llu "
		"otlp_logs_dropped=%llu syslog_sent=%llu syslog_dropped=%llu audit_records=%llu "
		"audit_files=%llu audit_records_lost=%llu audit_write_errors=%llu audit_heads_sent=%llu "
		"metrics_unserved=%d",
		(unsigned long long)sec->detect.calls, (unsigned long long)sec->pairs.paired,
		(unsigned long long)sec->pairs.evicted, (unsigned long long)sec->pairs.local_full,
		(unsigned long long)alerts,
		(unsigned long long)sec->detect.deduplicated,
		(unsigned long long)sec->detect.rate_limited,
		(unsigned long long)sec->detect.dedup_full,
		(unsigned long long)sec->baseline.edges, (unsigned long long)sec->baseline.ops,
		(unsigned long long)sec->baseline.listeners,
		(unsigned long long)(sec->baseline.edges_full + sec->baseline.ops_full +
				     sec->baseline.listeners_full),
		(unsigned long long)sec->saves, (unsigned long long)sec->save_failures,
		(unsigned long long)as->file.written, (unsigned long long)as->file.dropped,
		(unsigned long long)os->logs_exported,
		(unsigned long long)(os->logs_dropped_full + os->logs_dropped_failed),
		(unsigned long long)as->syslog.sent, (unsigned long long)as->syslog.dropped,
		(unsigned long long)as->audit.records, (unsigned long long)as->audit.files_closed,
		(unsigned long long)as->audit.records_lost, (unsigned long long)as->audit.write_errors,
		(unsigned long long)as->heads_sent, metrics_unserved);
	fprintf(stderr, " go_programs=%llu go_tls=%llu go_unsupported=%llu go_procs_full=%llu "
		"stale_handoff=%llu ambiguous_handoff=%llu event_loops_evicted=%llu",
		(unsigned long long)tls->go_programs, (unsigned long long)tls->go_tls,
		(unsigned long long)tls->go_unsupported,
		(unsigned long long)tls->go_procs_full, (unsigned long long)ts.stitch.stale_handoff,
		(unsigned long long)ts.stitch.ambiguous_handoff,
		(unsigned long long)ts.stitch.event_loops_evicted);
	fprintf(stderr, " node_injected=%llu node_skipped=%llu node_failed=%llu node_left_open=%llu "
		"node_queue_full=%llu helper_reports=%llu helper_malformed=%llu helper_evicted=%llu",
		(unsigned long long)nh->injected, (unsigned long long)nh->skipped,
		(unsigned long long)nh->failed, (unsigned long long)nh->left_open,
		(unsigned long long)nh->queue_full,
		(unsigned long long)ts.helpers.reports, (unsigned long long)ts.helpers.malformed,
		(unsigned long long)ts.helpers.evicted);
	for (int r = 0; r < SAMPLE_REASONS; r++)
		fprintf(stderr, " kept_%s=%llu sampled_out_%s=%llu", sample_reason_names[r],
			(unsigned long long)k->gate.kept[r], sample_reason_names[r],
			(unsigned long long)k->gate.sampled_out[r]);
	fprintf(stderr, " zipkin_exported=%llu zipkin_dropped_full=%llu zipkin_dropped_failed=%llu "
		"zipkin_failures=%llu zipkin_retries=%llu",
		(unsigned long long)zs->exported, (unsigned long long)zs->dropped_full,
		(unsigned long long)zs->dropped_failed, (unsigned long long)zs->failures,
		(unsigned long long)zs->retries);
	for (int o = 0; o < TRACER_LOG_OUTCOMES; o++)
		fprintf(stderr, " logs_%s=%llu", tracer_log_outcome_names[o],
			(unsigned long long)ts.logs[o]);
	fprintf(stderr, " ratio_falls=%llu ratio_rises=%llu",
		(unsigned long long)k->feedback.ctl.falls, (unsigned long long)k->feedback.ctl.rises);
	fprintf(stderr, " hold_spans=%llu hold_traces_kept=%llu hold_expired=%llu hold_full_drops=%llu",
		(unsigned long long)k->gate.hold_final.held,
		(unsigned long long)k->gate.hold_final.traces_kept,
		(unsigned long long)k->gate.hold_final.expired,
		(unsigned long long)k->gate.hold_final.full_drops);
	for (int c = 0; c < STITCH_TASK_CLASSES; c++)
		fprintf(stderr, " links_%s=%llu unlinked_%s=%llu", stitch_task_class_names[c],
			(unsigned long long)ts.stitch.task_links[c], stitch_task_class_names[c],
			(unsigned long long)ts.stitch.task_unlinked[c]);
	/* per protocol, from the registry: <name>_spans, _misses, and its notes */
	for (uint8_t id = 1; id < ZT_PROTO_COUNT; id++) {
		const char *name = proto_by_id(id)->name;

		fprintf(stderr, " %s_spans=%llu %s_misses=%llu", name,
			(unsigned long long)ts.proto_spans[id], name,
			(unsigned long long)ts.proto_misses[id]);
		for (uint32_t n = 0; n < PROTO_NOTE_COUNT; n++)
			fprintf(stderr, " %s_%s=%llu", name, proto_note_names[n],
				(unsigned long long)ts.proto_notes[id][n]);
	}
	fputc('\n', stderr);
}

static void agent_counters_publish(const struct loader *l, const struct tracer *t,
				   const struct sinks *k)
{
	uint64_t kc[ZT_CNT_MAX] = { 0 };
	struct agent_counters ac = { 0 };
	struct otlp_stats os = { 0 }, zs = { 0 };
	struct tracer_stats ts;

	if (!k->metrics)
		return;
	tracer_get_stats(t, &ts);
	loader_read_counters(l, kc);
	otlp_exporter_get_stats(k->otlp, &os);
	otlp_exporter_get_stats(k->zipkin, &zs);
	ac.events = ts.events;
	ac.ringbuf_drops = kc[ZT_CNT_RINGBUF_DROPS];
	ac.parse_misses = ts.parse_misses;
	ac.spans = ts.spans;
	/* both exporters: a span sent to both counts twice */
	ac.spans_exported = os.exported + zs.exported;
	ac.export_failures = os.failures + zs.failures;
	ac.export_dropped = os.dropped_full + os.dropped_failed + zs.dropped_full + zs.dropped_failed;
	ac.queue_depth = os.queue_depth + zs.queue_depth;
	ac.conns_tracked = tracer_conns_tracked(t);
	for (int c = 0; c < STITCH_TASK_CLASSES && c < AGENT_TASK_KINDS_MAX; c++)
		ac.calls[c] = (struct agent_task_calls){ .task = stitch_task_class_names[c],
							 .linked = ts.stitch.task_links[c],
							 .unlinked = ts.stitch.task_unlinked[c] };
	for (int o = 0; o < TRACER_LOG_OUTCOMES && o < AGENT_LOG_OUTCOMES_MAX; o++)
		ac.logs[o] = (struct agent_log_counts){ .outcome = tracer_log_outcome_names[o],
							.writes = ts.logs[o] };
	ac.sample_ratio = tracer_sample_ratio(t);
	for (int r = 0; r < SAMPLE_REASONS && r < AGENT_SAMPLE_REASONS_MAX; r++)
		ac.sampling[r] = (struct agent_sample_counts){ .reason = sample_reason_names[r],
							       .kept = k->gate.kept[r],
							       .sampled_out = k->gate.sampled_out[r] };
	metrics_set_agent(k->metrics, &ac);
}

static void listen_ports_seed(struct pipeline *pipe)
{
	static struct port_set ports;
	static uint16_t list[0xffff];
	size_t n_list = 0;
	int n = listen_ports_load(&ports);

	if (n < 0) {
		fprintf(stderr, "zerotrace: read /proc/net/tcp: %s (roles of older connections will come from their protocol)\n",
			n == -1 ? "malformed table" : strerror(-n));
		return;
	}
	for (uint32_t p = 1; p <= 0xffff; p++)
		if (port_set_has(&ports, (uint16_t)p))
			list[n_list++] = (uint16_t)p;
	pipeline_listen_ports(pipe, list, n_list);
}

static void recorder_process(void *ctx, const struct procinfo_miss *m)
{
	recorder_write(ctx, REC_PROCESS, m, sizeof(*m));
}

/* zerotrace record: the file's header, then every process lookup the
 * tracer makes goes into it too. Returns 0 or -1 (said on stderr). */
static int record_start(struct pipeline *pipe, const struct zt_config *cfg,
			const struct record_args *ra)
{
	struct rec_header hdr = { .magic = REC_MAGIC, .version = REC_VERSION,
				  .event_size = sizeof(struct zt_event),
				  .process_size = sizeof(struct procinfo_miss),
				  .capture_bytes = cfg->capture_bytes,
				  .reorder_window_ns = pipe->window_ns };
	char err[512];

	ids_get_state(hdr.ids_state);
	snprintf(hdr.host_name, sizeof(hdr.host_name), "%s", procinfo_host_name());
	pipe->rec = recorder_open(ra->path, ra->max_size, &hdr, err, sizeof(err));
	if (!pipe->rec) {
		fprintf(stderr, "zerotrace record: %s\n", err);
		return -1;
	}
	procinfo_set_hooks(&(struct procinfo_hooks){ .record = recorder_process, .ctx = pipe->rec });
	return 0;
}

static int record_finish(struct pipeline *pipe, const struct record_args *ra)
{
	struct rec_end end;
	char err[512];

	procinfo_set_hooks(NULL);
	if (recorder_close(pipe->rec, &end, err, sizeof(err))) {
		fprintf(stderr, "zerotrace record: write %s: %s\n", ra->path, err);
		return -1;
	}
	fprintf(stderr, "zerotrace record: %llu records in %s, %llu not written (--record-max %llu)\n",
		(unsigned long long)end.records, ra->path, (unsigned long long)end.not_written,
		(unsigned long long)ra->max_size);
	return 0;
}

/* ra: zerotrace record's file; NULL for the agent alone. */
static int run(const struct zt_config *cfg, const struct record_args *ra)
{
	struct loader loader = { 0 };
	struct ring_reader rb = { .epoll_fd = -1 };
	const int *ring_fds;
	int n_rings;
	struct tracer *tracer = NULL;
	struct pipeline pipe = { .window_ns = (uint64_t)cfg->reorder_window_ms * 1000000ULL };
	struct output out;
	struct sinks sinks = { .out = &out };
	struct metrics_http *metrics_http = NULL;
	struct otlp_config oc, zc;
	struct otlp_stats otlp_final = { 0 }, zipkin_final = { 0 };
	uint64_t kc[ZT_CNT_MAX] = { 0 };
	struct status st = { 0 };
	struct uprobe_attach_stats tls_stats = { 0 };
	struct node_helper_stats node_stats = { 0 };
	struct security_config sec_cfg;
	struct alert_sinks_config alert_cfg;
	struct security_stats sec_final = { 0 };
	struct policy *policy = NULL;
	struct alert_sinks_stats sink_final = { 0 };
	char errbuf[512];
	int started;
	int stats_on = isatty(STDERR_FILENO), err, rc = 1;
	uint64_t stats_every = (uint64_t)(cfg->stats_interval * 1e9), last_tick = 0;

	/* a policy that does not parse stops the start: it is an option's value */
	if (cfg->policy_file[0]) {
		policy = policy_load(cfg->policy_file, errbuf, sizeof(errbuf));
		if (!policy) {
			fprintf(stderr, "zerotrace: --policy: %s\n", errbuf);
			return 2;
		}
	}
	if (output_init(&out, stdout, cfg->output)) {
		fprintf(stderr, "zerotrace: allocate output buffers: %s\n", strerror(ENOMEM));
		return 1;
	}
	err = ids_init();
	if (err) {
		fprintf(stderr, "zerotrace: seed ids: %s\n", strerror(-err));
		return 1;
	}
	if (otlp_config_resolve(&oc, cfg) || zipkin_config_resolve(&zc, &oc, cfg))
		return 2;
	if (oc.url[0] || oc.logs_url[0]) {
		sinks.otlp = otlp_exporter_start(&oc);
		if (!sinks.otlp) {
			fprintf(stderr, "zerotrace: start the OTLP exporter for %s: %s\n", oc.url,
				strerror(errno));
			return 1;
		}
	}
	if (zc.url[0]) {
		sinks.zipkin = otlp_exporter_start(&zc);
		if (!sinks.zipkin) {
			fprintf(stderr, "zerotrace: start the Zipkin exporter for %s: %s\n", zc.url,
				strerror(errno));
			otlp_exporter_stop(sinks.otlp, 0, NULL);
			return 1;
		}
	}
	if (strcmp(cfg->metrics_addr, "off") != 0) {
		sinks.metrics = metrics_new(METRICS_SERIES);
		if (sinks.metrics)
			metrics_http = metrics_http_start(cfg->metrics_addr, sinks.metrics);
		if (!metrics_http)
			fprintf(stderr, "zerotrace: /metrics is not served (see above); tracing goes on\n");
	}
	alert_sinks_config_of(&alert_cfg, cfg, &sinks);
	sinks.alerting = alert_sinks_open(&alert_cfg, errbuf, sizeof(errbuf));
	if (!sinks.alerting) {
		fprintf(stderr, "zerotrace: %s\n", errbuf);
		goto cleanup;
	}
	if (sample_gate_init(&sinks.gate, cfg, sink_export, &sinks)) {
		fprintf(stderr, "zerotrace: allocate the sampling hold: %s\n", strerror(ENOMEM));
		goto cleanup;
	}
	security_config_of(&sec_cfg, cfg, policy);
	sinks.now_mono_ns = clock_ns(CLOCK_MONOTONIC);
	sinks.now_unix_ns = clock_ns(CLOCK_REALTIME);
	sinks.security = security_open(&sec_cfg, alert_sinks_alert, sinks.alerting, sink_call, &sinks,
				       sinks.now_unix_ns);
	if (!sinks.security) {
		fprintf(stderr, "zerotrace: allocate the security tables: %s\n", strerror(ENOMEM));
		goto cleanup;
	}
	tracer = tracer_new(cfg, sink_span, &sinks);
	pipe.window = reorder_new_window(cfg->capture_bytes, pipe.window_ns);
	if (!tracer || !pipe.window) {
		fprintf(stderr, "zerotrace: allocate tables for %u connections: %s\n", cfg->max_conns,
			strerror(ENOMEM));
		goto cleanup;
	}
	pipe.tracer = tracer;
	if (ra && record_start(&pipe, cfg, ra))
		goto cleanup;
	pipeline_turn(&pipe, clock_ns(CLOCK_MONOTONIC), 1, mono_to_unix_offset());
	listen_ports_seed(&pipe);

	if (loader_start(&loader, cfg))
		goto cleanup;
	n_rings = loader_ring_fds(&loader, &ring_fds);
	err = ring_reader_open(&rb, ring_fds, n_rings, pipeline_push, reorder_event_key, &pipe);
	if (err) {
		fprintf(stderr, "zerotrace: map %d ring buffers: %s\n", n_rings, strerror(-err));
		goto cleanup;
	}
	pipe.tls = uprobe_attach_new(loader.skel, cfg);
	if (!pipe.tls) {
		fprintf(stderr, "zerotrace: allocate the TLS library table: %s\n", strerror(ENOMEM));
		goto cleanup;
	}
	tracer_set_goroutine_lookup(tracer, uprobe_attach_runs_goroutines, pipe.tls);
	if (cfg->logs)
		tracer_set_log_sink(tracer, sink_log, &sinks);
	uprobe_attach_scan_all(pipe.tls);
	if (cfg->node_helper) {
		pipe.node = node_helper_start(cfg);
		if (!pipe.node)
			goto cleanup;
		node_helper_scan_all(pipe.node);
	}
	uprobe_attach_get_stats(pipe.tls, &tls_stats);
	fprintf(stderr, "zerotrace: ready (%d programs attached, %llu TLS libraries and %llu Go programs probed)\n",
		loader.n_attached, (unsigned long long)tls_stats.files,
		(unsigned long long)tls_stats.go_programs);
	st.at_ns = clock_ns(CLOCK_MONOTONIC);

	/* from here: the start's own work (loading, attaching) is not the load */
	load_feedback_init(&sinks.feedback, cfg,
			   (struct otlp_exporter *const[LOAD_FEEDBACK_QUEUES]){
				   oc.url[0] ? sinks.otlp : NULL, sinks.zipkin },
			   oc.queue_size, clock_ns(CLOCK_MONOTONIC));
	while (!exiting) {
		uint64_t now;
		int tick;

		/* the kernel wakes us only when the buffer fills up: the timeout
		 * is what bounds a span's latency, so consume after it too */
		err = ring_reader_wait(&rb, POLL_TIMEOUT_MS);
		if (err >= 0)
			err = (int)ring_reader_consume(&rb);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "zerotrace: poll ring buffer: %s\n", strerror(-err));
			goto cleanup;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		sinks.now_mono_ns = now;
		sinks.now_unix_ns = clock_ns(CLOCK_REALTIME);
		uprobe_attach_tick(pipe.tls, now);
		tick = now - last_tick >= 1000000000ULL;
		pipeline_turn(&pipe, now, tick, tick ? mono_to_unix_offset() : 0);
		sample_gate_tick(&sinks.gate, now);
		load_feedback_turn(&sinks.feedback, tracer, &loader, now, tick);
		output_flush(&out, now);
		if (tick) {
			security_tick(sinks.security, now, sinks.now_unix_ns);
			alert_sinks_tick(sinks.alerting, sinks.now_unix_ns);
			agent_counters_publish(&loader, tracer, &sinks);
			last_tick = now;
		}
		if (stats_on && now - st.at_ns >= stats_every)
			status_print(&loader, tracer, &out, &st, now);
	}
	/* drain what the kernel already queued before detaching */
	ring_reader_consume(&rb);
	pipeline_release(&pipe, UINT64_MAX);
	rc = 0;
cleanup:
	sample_gate_close(&sinks.gate);
	output_close(&out);
	started = loader.skel != NULL;
	if (started)
		loader_read_counters(&loader, kc);
	ring_reader_close(&rb);
	if (pipe.rec && record_finish(&pipe, ra))
		rc = 1;
	if (pipe.tls)
		uprobe_attach_get_stats(pipe.tls, &tls_stats);
	uprobe_attach_free(pipe.tls);
	node_helper_get_stats(pipe.node, &node_stats);
	node_helper_stop(pipe.node);
	loader_stop(&loader);
	/* probes are off: now the collector gets what is queued, then the
	 * counters are final */
	/* spans still waiting for their partner become calls; open alert
	 * windows send their counts; the baseline is saved */
	security_close(sinks.security, clock_ns(CLOCK_REALTIME), &sec_final);
	alert_sinks_close(sinks.alerting, &sink_final);
	policy_free(policy);
	otlp_exporter_stop(sinks.otlp, OTLP_DRAIN_MS, &otlp_final);
	otlp_exporter_stop(sinks.zipkin, OTLP_DRAIN_MS, &zipkin_final);
	if (started)
		final_print(kc, tracer, &out, pipe.forced, &otlp_final, &tls_stats, &node_stats,
			    &sec_final, &sink_final, sinks.metrics && !metrics_http, &sinks,
			    &zipkin_final);
	reorder_free(pipe.window);
	tracer_free(tracer);
	metrics_http_stop(metrics_http);
	metrics_free(sinks.metrics);
	return rc;
}

/* zerotrace audit verify DIR [--head HASH]: exit 0 the chain holds, 1 it
 * is broken, 2 bad usage or I/O. */
static int cli_audit(int argc, char **argv)
{
	const char *head = NULL;

	if (argc == 5 && strcmp(argv[3], "--head") == 0)
		head = argv[4];
	else if (argc != 3)
		argc = 0;
	if (!argc || strcmp(argv[1], "verify") != 0) {
		fprintf(stderr, "Usage: zerotrace audit verify DIR [--head SHA256]\n");
		return 2;
	}
	return audit_verify_dir(argv[2], head, stdout);
}

int main(int argc, char **argv)
{
	struct zt_config cfg;
	struct record_args record, *recording = NULL;
	struct sigaction sa = { 0 };
	const char *help = NULL;
	char err[CONFIG_ERR_MAX];

	/* the operator's commands; everything else starts the agent */
	if (argc > 1 && strcmp(argv[1], "audit") == 0)
		return cli_audit(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "baseline") == 0)
		return cli_baseline(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return cli_check(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "graph") == 0)
		return cli_graph(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "replay") == 0)
		return cli_replay(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "record") == 0) {
		int rc = cli_record_args(argc - 1, argv + 1, &record);

		if (rc >= 0)
			return rc;
		/* the rest are the agent's options, with argv[0] in front */
		argc = record.argc;
		argv = record.argv;
		recording = &record;
	}
	switch (config_parse(&cfg, argc, argv, err, sizeof(err), &help)) {
	case CONFIG_OK:
		break;
	case CONFIG_HELP:
		if (strcmp(help, "version") == 0)
			printf("zerotrace %s\n", ZT_VERSION);
		else
			config_usage(stdout, argv[0]);
		return 0;
	case CONFIG_ERROR:
	default:
		fprintf(stderr, "zerotrace: %s\nTry '%s --help'.\n", err, argv[0]);
		return 2;
	}
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	cfg.rpc_dup = config_semconv_opt_in(getenv("OTEL_SEMCONV_STABILITY_OPT_IN"), "rpc/dup");
	return run(&cfg, recording);
}
