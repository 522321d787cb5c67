// SPDX-License-Identifier: MIT
/*
 * The policy file (format and semantics in policy.h): a walk over
 * libyaml's events that builds the rules, and a first-match check.
 * Addresses are kept as 16 bytes, IPv4 as IPv4-mapped IPv6
 * (::ffff:a.b.c.d) and an IPv4 block /n as /(96 + n), so one comparison
 * serves both families.
 */
#include "policy_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>



/* The protocol names of alerts (alert.h): one bit each in a rule. */
const char *const policy_protocols[] = { "http", "redis", "postgresql", "mysql" };

_Static_assert(sizeof(policy_protocols) / sizeof(policy_protocols[0]) == POLICY_N_PROTOCOLS,
	       "POLICY_N_PROTOCOLS counts policy_protocols[]");

/* ---- building ---------------------------------------------------------- */

/* Room for one more after `n` values: 4, then doubled whenever n reaches
 * a power of two. NULL when out of memory (arr is still the caller's). */
void *policy_grow(void *arr, uint32_t n, size_t elem)
{
	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return arr;
	return realloc(arr, (size_t)(n ? n * 2 : 4) * elem);
}

static void policy_strs_free(struct policy_strs *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static void policy_sel_free(struct policy_sel *s)
{
	policy_strs_free(&s->service);
	policy_strs_free(&s->ns);
	policy_strs_free(&s->workload);
	policy_strs_free(&s->exe);
	policy_strs_free(&s->pod);
	policy_strs_free(&s->container);
	free(s->cidrs);
	s->cidrs = NULL;
	s->n_cidrs = 0;
}

static void policy_rule_free(struct policy_rule *r)
{
	free(r->name);
	policy_sel_free(&r->from);
	policy_sel_free(&r->to);
	free(r->ports);
	policy_strs_free(&r->ops);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->n_rules; i++)
		policy_rule_free(&p->rules[i]);
	free(p->rules);
	free(p);
}

uint32_t policy_rule_count(const struct policy *p)
{
	return p ? p->n_rules : 0;
}

/* ---- the check --------------------------------------------------------- */

enum policy_verdict policy_check(const struct policy *p, const struct policy_call *c,
				 const struct policy_rule_info **matched)
{
	static const struct policy_rule_info no_policy = {
		"default", POLICY_DEFAULT_INDEX, POLICY_ALLOW, ALERT_SEV_INFO
	};
	struct policy_end src, dst;
	uint32_t proto_bit = 0, i;

	if (!p || !c) {
		if (matched)
			*matched = &no_policy;
		return POLICY_ALLOW;
	}
	policy_end_init(&src, c->src, c->src_ev, c->src_addr);
	policy_end_init(&dst, c->dst, c->dst_ev, c->dst_addr);
	for (i = 0; c->protocol && i < POLICY_N_PROTOCOLS; i++)
		if (strcasecmp(c->protocol, policy_protocols[i]) == 0)
			proto_bit = 1u << i;
	for (i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (policy_rule_match(r, c, &src, &dst, proto_bit)) {
			if (matched)
				*matched = &r->info;
			return (enum policy_verdict)r->info.action;
		}
	}
	if (matched)
		*matched = &p->default_info;
	return (enum policy_verdict)p->default_info.action;
}

int policy_describe(const struct policy_rule_info *m, char *buf, size_t len)
{
	if (!m)
		return snprintf(buf, len, "%s", "");
	if (m->index == POLICY_DEFAULT_INDEX)
		return m->action == POLICY_DENY ?
			       snprintf(buf, len, "no policy rule allows it (default: deny)") :
			       snprintf(buf, len, "no policy rule matches it (default: allow)");
	return snprintf(buf, len, "%s by policy rule '%s'",
			m->action == POLICY_DENY ? "denied" : "allowed", m->name);
}
