// SPDX-License-Identifier: MIT
/*
 * Reading the policy file (policy.h): a walk over libyaml's events that
 * builds the rules; the values themselves are read in policy_values.c.
 */
#include "policy_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


int policy_oom(struct policy_parse *x)
{
	return yread_fail(&x->r, &x->r.ev.start_mark, "out of memory");
}

/* ---- the walk ---------------------------------------------------------- */

static int policy_rule_check_name(struct policy_parse *x, const char *t)
{
	if (!policy_name_ok(t))
		return yread_fail(&x->r, &x->r.ev.start_mark,
				  "name: must be 1 to %d letters, digits, '.', '_' or '-' (got '%s')",
				  POLICY_MAX_NAME, t);
	/* the rule being read is the last one */
	for (uint32_t i = 0; i + 1 < x->p->n_rules; i++)
		if (strcmp(x->p->rules[i].name, t) == 0)
			return yread_fail(&x->r, &x->r.ev.start_mark,
					  "name: '%s' is already the name of rule %u", t, i + 1);
	return 0;
}

static int policy_severity(const char *t, uint8_t *out)
{
	for (uint8_t s = 0; s < ALERT_SEV_COUNT; s++)
		if (strcmp(t, alert_severity_name(s)) == 0) {
			*out = s;
			return 1;
		}
	return 0;
}

/* One rule; the current event is its MAPPING_START. */
static int policy_rule(struct policy_parse *x, struct policy_rule *r)
{
	yaml_mark_t start = x->r.ev.start_mark, sev_mark = start;
	char key[24];
	const char *t;
	uint32_t seen = 0, bit;
	int has_sev = 0, rc;

	r->info.severity = alert_rules[ALERT_POLICY_DENY].severity;
	for (;;) {
		if (yread_next(&x->r))
			return -1;
		if (x->r.ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (policy_key(x, "", key, sizeof(key)))
			return -1;
		if (!strcmp(key, "name"))
			bit = 1;
		else if (!strcmp(key, "action"))
			bit = 2;
		else if (!strcmp(key, "severity"))
			bit = 4;
		else if (!strcmp(key, "from"))
			bit = 8;
		else if (!strcmp(key, "to"))
			bit = 16;
		else if (!strcmp(key, "ports"))
			bit = 32;
		else if (!strcmp(key, "protocols"))
			bit = 64;
		else if (!strcmp(key, "operations"))
			bit = 128;
		else
			return yread_fail(&x->r, &x->r.ev.start_mark,
					  "%s: unknown key of a rule (name, action, severity, from, to, ports, protocols, operations)",
					  key);
		if (seen & bit)
			return yread_fail(&x->r, &x->r.ev.start_mark, "%s: given twice", key);
		seen |= bit;
		if (yread_next(&x->r))
			return -1;
		switch (bit) {
		case 1:
			t = policy_scalar(x);
			if (!t || policy_rule_check_name(x, t))
				return -1;
			r->name = strdup(t);
			if (!r->name)
				return policy_oom(x);
			break;
		case 2:
			t = policy_scalar(x);
			if (!t)
				return -1;
			if (!strcmp(t, "deny"))
				r->info.action = POLICY_DENY;
			else if (!strcmp(t, "allow"))
				r->info.action = POLICY_ALLOW;
			else
				return yread_fail(&x->r, &x->r.ev.start_mark,
						  "action: must be deny or allow (got '%s')", t);
			break;
		case 4:
			sev_mark = x->r.ev.start_mark;
			t = policy_scalar(x);
			if (!t)
				return -1;
			if (!policy_severity(t, &r->info.severity))
				return yread_fail(&x->r, &x->r.ev.start_mark,
						  "severity: must be info, low, medium, high or critical (got '%s')",
						  t);
			has_sev = 1;
			break;
		case 8:
			if (policy_selector(x, &r->from, "from"))
				return -1;
			r->has_from = 1;
			break;
		case 16:
			if (policy_selector(x, &r->to, "to"))
				return -1;
			r->has_to = 1;
			break;
		case 32:
		case 64:
		case 128:
			rc = bit == 32 ? policy_list(x, policy_item_port, r) :
			     bit == 64 ? policy_list(x, policy_item_protocol, r) :
					 policy_list(x, policy_item_pattern, &r->ops);
			if (rc)
				return -1;
			break;
		}
	}
	if (!(seen & 1))
		return yread_fail(&x->r, &start, "name: missing (every rule has one)");
	if (!(seen & 2))
		return yread_fail(&x->r, &start, "action: missing in rule '%s' (deny or allow)",
				  r->name);
	if (has_sev && r->info.action != POLICY_DENY)
		return yread_fail(&x->r, &sev_mark,
				  "severity: only a deny rule has one (rule '%s' allows)", r->name);
	r->info.name = r->name;
	return 0;
}

/* The rules: a list of mappings; the current event is the value's first. */
static int policy_rules(struct policy_parse *x)
{
	struct policy *p = x->p;

	if (x->r.ev.type != YAML_SEQUENCE_START_EVENT)
		return yread_fail(&x->r, &x->r.ev.start_mark, "rules: must be a list of rules, not %s",
				  yread_kind(&x->r));
	for (;;) {
		struct policy_rule *r;

		if (yread_next(&x->r))
			return -1;
		if (x->r.ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (x->r.ev.type != YAML_MAPPING_START_EVENT)
			return yread_fail(&x->r, &x->r.ev.start_mark,
					  "rules: each rule must be a mapping (name, action, ...), not %s",
					  yread_kind(&x->r));
		if (p->n_rules >= POLICY_MAX_RULES)
			return yread_fail(&x->r, &x->r.ev.start_mark, "rules: more than %d",
					  POLICY_MAX_RULES);
		if (p->n_rules == p->cap) {
			uint32_t cap = p->cap ? p->cap * 2 : 8;
			struct policy_rule *v = realloc(p->rules, cap * sizeof(*v));

			if (!v)
				return policy_oom(x);
			p->rules = v;
			p->cap = cap;
		}
		r = &p->rules[p->n_rules++];
		memset(r, 0, sizeof(*r));
		r->info.index = p->n_rules - 1;
		if (policy_rule(x, r))
			return -1;
	}
}

static int policy_walk(struct policy_parse *x)
{
	const yaml_mark_t top = { 0, 0, 0 };
	char key[24];
	const char *t;
	uint32_t seen = 0, bit;
	int rc = yread_begin(&x->r, "a policy must be a mapping (version, default, rules)");

	if (rc < 0)
		return -1;
	if (rc == 0)
		return yread_fail(&x->r, &top, "version: missing (this is version 1)");
	for (;;) {
		if (yread_next(&x->r))
			return -1;
		if (x->r.ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (policy_key(x, "", key, sizeof(key)))
			return -1;
		if (!strcmp(key, "version"))
			bit = 1;
		else if (!strcmp(key, "default"))
			bit = 2;
		else if (!strcmp(key, "rules"))
			bit = 4;
		else
			return yread_fail(&x->r, &x->r.ev.start_mark,
					  "%s: unknown key (version, default, rules)", key);
		if (seen & bit)
			return yread_fail(&x->r, &x->r.ev.start_mark, "%s: given twice", key);
		seen |= bit;
		if (yread_next(&x->r))
			return -1;
		if (bit == 4) {
			if (policy_rules(x))
				return -1;
			continue;
		}
		t = policy_scalar(x);
		if (!t)
			return -1;
		if (bit == 1 && strcmp(t, "1") != 0)
			return yread_fail(&x->r, &x->r.ev.start_mark,
					  "version: must be 1 (got '%s')", t);
		if (bit == 2) {
			if (!strcmp(t, "deny"))
				x->p->default_info.action = POLICY_DENY;
			else if (strcmp(t, "allow"))
				return yread_fail(&x->r, &x->r.ev.start_mark,
						  "default: must be allow or deny (got '%s')", t);
		}
	}
	if (!(seen & 1))
		return yread_fail(&x->r, &top, "version: missing (this is version 1)");
	return yread_end(&x->r);
}

struct policy *policy_parse(const char *text, size_t len, const char *filename, char *err,
			    size_t err_len)
{
	struct policy_parse x;
	int rc = -1;

	memset(&x, 0, sizeof(x));
	x.p = calloc(1, sizeof(*x.p));
	if (!x.p) {
		if (err && err_len)
			snprintf(err, err_len, "%s: out of memory", filename ? filename : "(input)");
		return NULL;
	}
	x.p->default_info.name = "default";
	x.p->default_info.index = POLICY_DEFAULT_INDEX;
	x.p->default_info.action = POLICY_ALLOW;
	x.p->default_info.severity = alert_rules[ALERT_POLICY_DENY].severity;
	if (yread_init(&x.r, text, len, filename, err, err_len) == 0)
		rc = policy_walk(&x);
	yread_free(&x.r);
	if (rc) {
		policy_free(x.p);
		return NULL;
	}
	return x.p;
}

struct policy *policy_load(const char *path, char *err, size_t err_len)
{
	struct policy *p;
	char *buf = NULL;
	size_t len = 0;

	if (yread_slurp_or_say(path, &buf, &len, err, err_len))
		return NULL;
	p = policy_parse(buf, len, path, err, err_len);
	free(buf);
	return p;
}

/* ---- the check --------------------------------------------------------- */
