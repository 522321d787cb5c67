// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "redact.h"
#include "route.h"
#include "span.h"

static void copy_cstr(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

void span_format_addr(char *out, size_t out_len, uint16_t family, const uint8_t addr[16])
{
	static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (family == AF_INET6 && memcmp(addr, v4_mapped, sizeof(v4_mapped)) == 0) {
		family = AF_INET;
		addr += sizeof(v4_mapped);
	}
	if (!inet_ntop(family == AF_INET ? AF_INET : AF_INET6, addr, out, (socklen_t)out_len))
		copy_cstr(out, out_len, "");
}

static void endpoint_set(struct span_endpoint *ep, uint16_t family, const uint8_t addr[16],
			 uint16_t port)
{
	span_format_addr(ep->address, sizeof(ep->address), family, addr);
	ep->port = port;
}

int span_build(struct span *s, const struct http1_exchange *ex, const struct span_conn_info *ci)
{
	const struct zt_conn_tuple *t = ci->tuple;
	const char *path, *query;
	size_t path_len, query_len;
	uint64_t end_tag;

	if (ci->role != ZT_ROLE_SERVER && ci->role != ZT_ROLE_CLIENT)
		return -1;
	memset(s, 0, sizeof(*s));
	s->kind = ci->role == ZT_ROLE_SERVER ? SPAN_KIND_SERVER : SPAN_KIND_CLIENT;
	s->pid = ci->pid;
	s->tid = ci->tid;
	copy_cstr(s->exe_name, sizeof(s->exe_name), ci->exe_name);
	copy_cstr(s->comm, sizeof(s->comm), ci->comm);
	copy_cstr(s->service_name, sizeof(s->service_name), ci->service_name);

	end_tag = ex->has_response ? ex->resp.end_tag : ex->req.end_tag;
	if (end_tag < ex->req.start_tag)
		end_tag = ex->req.start_tag;
	s->start_unix_ns = ex->req.start_tag + ci->mono_to_unix_ns;
	s->end_unix_ns = end_tag + ci->mono_to_unix_ns;
	s->req_body_size = ex->req.body_size;
	s->msg_flags = ex->req.flags;
	s->version_minor = ex->req.version_minor;
	if (ex->has_response) {
		/* 0: the status line itself was never captured */
		s->has_status = ex->resp.status != 0;
		s->status = ex->resp.status;
		s->resp_body_size = ex->resp.body_size;
		s->msg_flags |= ex->resp.flags;
	}
	copy_cstr(s->method, sizeof(s->method), ex->req.method);

	path_len = route_split_target(ex->req.target, strnlen(ex->req.target, sizeof(ex->req.target)),
				      &path, &query, &query_len);
	if (path_len >= sizeof(s->path))
		path_len = sizeof(s->path) - 1;
	memcpy(s->path, path, path_len);
	s->path[path_len] = '\0';
	route_template(s->path, path_len, s->route, sizeof(s->route));
	if (query) {
		s->has_query = 1;
		redact_query(query, query_len, s->query, sizeof(s->query));
	}

	endpoint_set(&s->peer, t->family, t->remote_addr, t->remote_port);
	if (ci->role == ZT_ROLE_SERVER) {
		endpoint_set(&s->server, t->family, t->local_addr, t->local_port);
		endpoint_set(&s->client, t->family, t->remote_addr, t->remote_port);
	} else {
		endpoint_set(&s->server, t->family, t->remote_addr, t->remote_port);
		endpoint_set(&s->client, t->family, t->local_addr, t->local_port);
	}
	return 0;
}

void span_name(const struct span *s, char *out, size_t out_len)
{
	snprintf(out, out_len, "%s %s", s->method, s->route);
}
