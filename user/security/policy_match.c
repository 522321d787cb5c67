// SPDX-License-Identifier: MIT
/*
 * Matching one call against one rule. Addresses are 16 bytes, IPv4
 * mapped, so one comparison serves both families (policy.c).
 */
#include "policy_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


static int policy_glob_any(const struct policy_strs *s, const char *text)
{
	if (!s->n)
		return 1;
	/* an empty field (not known, or a peer off the node) matches nothing */
	if (!text || !*text)
		return 0;
	for (uint32_t i = 0; i < s->n; i++)
		if (fnmatch(s->v[i], text, 0) == 0)
			return 1;
	return 0;
}

static int policy_prefix_any(const struct policy_strs *s, const char *text)
{
	if (!s->n)
		return 1;
	if (!text || !*text)
		return 0;
	for (uint32_t i = 0; i < s->n; i++)
		if (strncmp(text, s->v[i], strlen(s->v[i])) == 0)
			return 1;
	return 0;
}

void policy_end_init(struct policy_end *e, const struct alert_identity *id,
			    const struct alert_evidence *ev, const char *addr)
{
	e->id = id;
	e->ev = ev;
	if (!addr || !*addr)
		addr = id ? id->address : NULL;
	e->has_addr = policy_addr(addr, e->addr);
}


static int policy_cidr_has(const struct policy_cidr *c, const uint8_t a[16])
{
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, a, full) != 0)
		return 0;
	return rest == 0 || ((a[full] ^ c->addr[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

static int policy_sel_match(const struct policy_sel *s, const struct policy_end *e)
{
	const struct alert_identity *id = e->id;
	const struct alert_evidence *ev = e->ev;
	uint32_t i;

	if (!policy_glob_any(&s->service, id ? id->service : NULL) ||
	    !policy_glob_any(&s->ns, id ? id->k8s_namespace : NULL) ||
	    !policy_glob_any(&s->workload, id ? id->k8s_workload : NULL) ||
	    !policy_glob_any(&s->exe, id ? id->exe : NULL) ||
	    !policy_glob_any(&s->pod, ev ? ev->k8s_pod_name : NULL) ||
	    !policy_prefix_any(&s->container, ev ? ev->container_id : NULL))
		return 0;
	if (!s->n_cidrs)
		return 1;
	if (!e->has_addr)
		return 0;
	for (i = 0; i < s->n_cidrs; i++)
		if (policy_cidr_has(&s->cidrs[i], e->addr))
			return 1;
	return 0;
}

int policy_rule_match(const struct policy_rule *r, const struct policy_call *c,
			     const struct policy_end *src, const struct policy_end *dst,
			     uint32_t proto_bit)
{
	uint32_t i;

	if (r->has_from && !policy_sel_match(&r->from, src))
		return 0;
	if (r->has_to && !policy_sel_match(&r->to, dst))
		return 0;
	if (r->n_ports) {
		for (i = 0; i < r->n_ports; i++)
			if (c->port >= r->ports[i].lo && c->port <= r->ports[i].hi)
				break;
		if (i == r->n_ports)
			return 0;
	}
	if (r->protocols && !(r->protocols & proto_bit))
		return 0;
	return policy_glob_any(&r->ops, c->operation);
}

