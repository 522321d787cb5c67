// SPDX-License-Identifier: MIT
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ids.h"
#include "procinfo.h"
#include "sampler.h"
#include "span_build.h"

/* The span's tracestate says the threshold its trace was sampled with (or
 * none); rewritten only when it does not already say so. */
static void span_put_threshold(struct span *s, const struct sample_decision *d)
{
	struct sample_ot ot;
	char in[SPAN_TRACESTATE_MAX];

	/* no sampling and no context on the wire: the common span */
	if (!d->has_th && !s->tracestate[0])
		return;
	sample_ot_parse(s->tracestate, strlen(s->tracestate), &ot);
	if (ot.has_th == d->has_th && (!d->has_th || ot.th == d->th))
		return;
	memcpy(in, s->tracestate, sizeof(in));
	sample_tracestate_put(s->tracestate, sizeof(s->tracestate), in, d);
}

static void span_set_ids(struct span *s, const struct conn_request *r,
			 const struct proto_context *wire)
{
	const struct stitch_ids *ids = &r->ids;

	memcpy(s->trace_id, ids->trace_id, sizeof(s->trace_id));
	memcpy(s->span_id, ids->span_id, sizeof(s->span_id));
	memcpy(s->parent_span_id, ids->parent_id, sizeof(s->parent_span_id));
	s->has_parent = ids->has_parent;
	s->sampled = ids->sample.sampled;
	s->sample_reason = ids->sample.reason;
	s->sample_head = ids->sample.head;
	if (wire && r->w3c && (ids->rule == STITCH_WIRE || ids->rule == STITCH_KERNEL)) {
		const char *ts = wire->tracestate;

		while (*ts == ' ' || *ts == '\t')
			ts++;
		snprintf(s->tracestate, sizeof(s->tracestate), "%s", ts);
	}
	span_put_threshold(s, &ids->sample);
}

static void copy_cstr(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static void endpoint_set(struct span_endpoint *ep, const char *address, uint16_t port)
{
	memcpy(ep->address, address, sizeof(ep->address));
	ep->port = port;
}

/* The connection's part of a span: kind, process, endpoints (a
 * datagram's own, peer, where it has them). */
static void span_from_conn(struct span *s, const struct conn *c, uint32_t pid, uint32_t tid,
			   const struct zt_conn_tuple *peer)
{
	const struct zt_conn_tuple *tp = peer ? peer : &c->tuple;
	const struct procinfo *pi = procinfo_get(c->pid, c->comm);
	char local[SPAN_ADDR_MAX], remote[SPAN_ADDR_MAX];
	const char *local_addr = c->local_addr, *remote_addr = c->remote_addr;

	s->kind = c->role == ZT_ROLE_SERVER ? SPAN_KIND_SERVER : SPAN_KIND_CLIENT;
	s->pid = pid;
	s->tid = tid;
	s->process = pi;
	copy_cstr(s->exe_name, sizeof(s->exe_name), pi->exe_name);
	copy_cstr(s->comm, sizeof(s->comm), c->comm);
	copy_cstr(s->service_name, sizeof(s->service_name), pi->service_name);
	if (peer) {
		span_format_addr(local, sizeof(local), tp->family, tp->local_addr);
		span_format_addr(remote, sizeof(remote), tp->family, tp->remote_addr);
		local_addr = local;
		remote_addr = remote;
	}
	endpoint_set(&s->peer, remote_addr, tp->remote_port);
	if (c->role == ZT_ROLE_SERVER) {
		endpoint_set(&s->server, local_addr, tp->local_port);
		endpoint_set(&s->client, remote_addr, tp->remote_port);
	} else {
		endpoint_set(&s->server, remote_addr, tp->remote_port);
		endpoint_set(&s->client, local_addr, tp->local_port);
	}
}

/* The exchange's part: its attributes, with the connection's addresses
 * where the protocol put them. Copied in blocks: it runs per span. */
static void span_from_exchange(struct span *s, const struct proto_exchange *ex, int64_t mono_to_unix)
{
	const struct span_attrs *src = &ex->attrs;
	struct span_attrs *dst = &s->attrs;
	uint16_t at = ex->endpoints_at < src->n ? ex->endpoints_at : src->n;

	s->start_unix_ns = ex->start_tag + (uint64_t)mono_to_unix;
	s->end_unix_ns = (ex->end_tag > ex->start_tag ? ex->end_tag : ex->start_tag) +
			 (uint64_t)mono_to_unix;
	s->req_size = ex->req_size;
	s->resp_size = ex->resp_size;
	s->status = ex->status;
	copy_cstr(s->name, sizeof(s->name), ex->name);
	copy_cstr(s->code, sizeof(s->code), ex->code);
	copy_cstr(s->status_message, sizeof(s->status_message), ex->status_message);
	s->metric = ex->metric;
	/* the protocol's text and attributes before the addresses as they are
	 * (their offsets hold); the addresses' text goes after it */
	memcpy(dst->text, src->text, src->text_len);
	memcpy(dst->a, src->a, at * sizeof(src->a[0]));
	dst->n = at;
	dst->text_len = src->text_len;
	dst->overflow = src->overflow;
	span_attrs_endpoints(dst, s);
	if (src->n - at > SPAN_ATTRS_MAX - dst->n) {
		dst->overflow = 1;
		return;
	}
	memcpy(dst->a + dst->n, src->a + at, (size_t)(src->n - at) * sizeof(src->a[0]));
	dst->n = (uint16_t)(dst->n + src->n - at);
}

/* tls.protocol.version by zt_event.tls_minor (3.1 was TLS 1.0) */
static const char *const tls_versions[] = { "", "1.0", "1.1", "1.2", "1.3" };

void span_build(struct span *s, const struct conn *c, const struct conn_request *r,
		const struct proto_exchange *ex, int64_t mono_to_unix_ns)
{
	memset(s, 0, offsetof(struct span, attrs));
	span_from_conn(s, c, r ? r->pid : c->pid, r ? r->tid : c->first_tid, ex->peer);
	span_from_exchange(s, ex, mono_to_unix_ns);
	if (c->tls) {
		span_attrs_cstr(&s->attrs, "tls.protocol.name", "tls");
		if (c->tls_minor >= 1 && c->tls_minor <= 4)
			span_attrs_cstr(&s->attrs, "tls.protocol.version", tls_versions[c->tls_minor]);
	}
	if (r) {
		span_set_ids(s, r, ex->wire);
	} else {
		ids_random(s->trace_id, sizeof(s->trace_id));
		ids_random(s->span_id, sizeof(s->span_id));
		s->sampled = 1; /* no head decided it: kept */
	}
}
