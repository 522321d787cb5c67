// SPDX-License-Identifier: MIT
/* Ring buffer -> reorder window -> tracer (see pipeline.h). */
#include "pipeline.h"

void pipeline_release(struct pipeline *p, uint64_t bound)
{
	const void *rec;
	size_t len;

	while ((rec = reorder_pop(p->window, bound, &len)))
		tracer_handle_event(p->tracer, rec, len);
}

int pipeline_push(void *ctx, void *data, size_t size)
{
	struct pipeline *p = ctx;
	const struct zt_event *e = data;
	uint64_t key = reorder_event_key(data, size);

	/* the process table's news: for the TLS probes, in arrival order */
	if (size >= sizeof(*e) && p->tls) {
		if (e->type == ZT_EV_CODE_MAPPED) {
			uprobe_attach_code_mapped(p->tls, e->pid, e->ts_exit_ns);
			node_helper_consider(p->node, e->pid, e->ts_exit_ns);
			return 0;
		}
		if (e->type == ZT_EV_EXIT)
			uprobe_attach_process_exit(p->tls, e->pid);
	}
	if (p->rec)
		recorder_event(p->rec, data, size);

	/* no slot of its size is free: release the oldest until one is, so
	 * nothing ever overtakes a record still waiting */
	while (reorder_push(p->window, key, data, size) != 0) {
		const void *rec;
		size_t len;

		if (!reorder_count(p->window))
			/* larger than any slot: malformed, the tracer counts it */
			return tracer_handle_event(p->tracer, data, size);
		rec = reorder_pop(p->window, UINT64_MAX, &len);
		tracer_handle_event(p->tracer, rec, len);
		p->forced++;
	}
	return 0;
}

void pipeline_turn(struct pipeline *p, uint64_t now, int tick, int64_t mono_to_unix_ns)
{
	struct rec_clock c = { .now_mono_ns = now, .mono_to_unix_ns = mono_to_unix_ns,
			       .tick = !!tick };

	/* a turn with nothing to release and no tick changes nothing: unrecorded */
	if (p->rec && (tick || reorder_count(p->window)))
		recorder_write(p->rec, REC_CLOCK, &c, sizeof(c));
	pipeline_release(p, now > p->window_ns ? now - p->window_ns : 0);
	if (tick)
		tracer_tick(p->tracer, now, mono_to_unix_ns);
}

void pipeline_listen_ports(struct pipeline *p, const uint16_t *ports, size_t n)
{
	if (p->rec && n)
		recorder_write(p->rec, REC_PORTS, ports, n * sizeof(*ports));
	for (size_t i = 0; i < n; i++)
		tracer_add_listen_port(p->tracer, ports[i]);
}
