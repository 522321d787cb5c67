// SPDX-License-Identifier: MIT
/*
 * The policy file (format and semantics in policy.h): a walk over
 * libyaml's events that builds the rules, and a first-match check.
 * Addresses are kept as 16 bytes, IPv4 as IPv4-mapped IPv6
 * (::ffff:a.b.c.d) and an IPv4 block /n as /(96 + n), so one comparison
 * serves both families.
 */
#include "policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "yaml_read.h"

/* The protocol names of alerts (alert.h): one bit each in a rule. */
static const char *const policy_protocols[] = { "http", "redis", "postgresql", "mysql" };
#define POLICY_N_PROTOCOLS (sizeof(policy_protocols) / sizeof(policy_protocols[0]))

struct policy_strs {
	uint32_t n;          /* 0: the key was left out */
	char **v;
};

struct policy_cidr {
	uint8_t addr[16];    /* host bits cleared */
	uint8_t bits;        /* 0..128 */
};

struct policy_sel {
	struct policy_strs service, ns, workload, exe, pod, container;
	uint32_t n_cidrs;    /* 0: left out */
	struct policy_cidr *cidrs;
};

struct policy_ports {
	uint16_t lo, hi;
};

struct policy_rule {
	struct policy_rule_info info;
	char *name;
	int has_from, has_to;
	struct policy_sel from, to;
	uint32_t n_ports;    /* 0: any port */
	struct policy_ports *ports;
	uint32_t protocols;  /* a bit per policy_protocols[]; 0: any */
	struct policy_strs ops;
};

struct policy {
	struct policy_rule_info default_info;
	uint32_t n_rules, cap;
	struct policy_rule *rules;
};

/* ---- building ---------------------------------------------------------- */

/* Room for one more after `n` values: 4, then doubled whenever n reaches
 * a power of two. NULL when out of memory (arr is still the caller's). */
static void *policy_grow(void *arr, uint32_t n, size_t elem)
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

/* The parse in progress: the reader, the policy, the key path for
 * messages ("to.cidr"). */
struct policy_parse {
	struct yread r;
	struct policy *p;
	char key[32];
};

static int policy_oom(struct policy_parse *x)
{
	return yread_fail(&x->r, &x->r.ev.start_mark, "out of memory");
}

/* ---- values ------------------------------------------------------------ */

/* An address ("10.1.2.3", "::1", "[::1]:80", "10.1.2.3:80") into 16
 * bytes, IPv4 mapped. 0 when it is none of these. */
static int policy_addr(const char *s, uint8_t out[16])
{
	char buf[64];
	const char *colon, *end;
	size_t n;
	struct in_addr a4;

	if (!s || !*s)
		return 0;
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || (end[1] != '\0' && end[1] != ':'))
			return 0;
		n = (size_t)(end - s - 1);
		s++;
	} else {
		colon = strchr(s, ':');
		/* one colon: an IPv4 address and its port */
		n = colon && !strchr(colon + 1, ':') ? (size_t)(colon - s) : strlen(s);
	}
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return 1;
	}
	return inet_pton(AF_INET6, buf, out) == 1;
}

static int policy_cidr_parse(const char *s, struct policy_cidr *c)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned bits = 0, max, i;
	struct in_addr a4;
	int v4;

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	v4 = inet_pton(AF_INET, buf, &a4) == 1;
	if (v4) {
		memset(c->addr, 0, 10);
		c->addr[10] = c->addr[11] = 0xff;
		memcpy(c->addr + 12, &a4, 4);
	} else if (inet_pton(AF_INET6, buf, c->addr) != 1) {
		return 0;
	}
	max = v4 ? 32 : 128;
	if (!slash) {
		bits = max;
	} else {
		const char *p = slash + 1;

		if (!*p || strlen(p) > 3)
			return 0;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return 0;
			bits = bits * 10 + (unsigned)(*p - '0');
		}
		if (bits > max || (slash[1] == '0' && slash[2]))
			return 0;
	}
	c->bits = (uint8_t)(v4 ? 96 + bits : bits);
	/* clear the host bits: 10.1.2.3/8 is 10.0.0.0/8 */
	for (i = 0; i < 16; i++) {
		unsigned keep = c->bits > i * 8 ? c->bits - i * 8 : 0;

		if (keep < 8)
			c->addr[i] &= (uint8_t)(0xff00u >> keep);
	}
	return 1;
}

static int policy_cidr_has(const struct policy_cidr *c, const uint8_t a[16])
{
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, a, full) != 0)
		return 0;
	return rest == 0 || ((a[full] ^ c->addr[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

/* "8080" or "9000-9100", 1..65535 each, low <= high. */
static int policy_port_parse(const char *s, struct policy_ports *out)
{
	unsigned v[2] = { 0, 0 };
	int k = 0, digits = 0;

	for (const char *p = s;; p++) {
		if (*p >= '0' && *p <= '9') {
			v[k] = v[k] * 10 + (unsigned)(*p - '0');
			if (v[k] > 65535)
				return 0;
			digits++;
		} else if (*p == '-' && k == 0 && digits) {
			k = 1;
			digits = 0;
		} else if (*p == '\0' && digits) {
			break;
		} else {
			return 0;
		}
	}
	if (k == 0)
		v[1] = v[0];
	if (v[0] == 0 || v[1] < v[0])
		return 0;
	out->lo = (uint16_t)v[0];
	out->hi = (uint16_t)v[1];
	return 1;
}

static int policy_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > POLICY_MAX_NAME)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* ---- the walk ---------------------------------------------------------- */

/* The current event must be a non-null scalar: its text, or NULL (err). */
static const char *policy_scalar(struct policy_parse *x)
{
	if (x->r.ev.type != YAML_SCALAR_EVENT) {
		yread_fail(&x->r, &x->r.ev.start_mark, "%s: must be a value, not %s", x->key,
			   yread_kind(&x->r));
		return NULL;
	}
	if (yread_is_null(&x->r)) {
		yread_fail(&x->r, &x->r.ev.start_mark, "%s: missing value", x->key);
		return NULL;
	}
	return yread_text(&x->r, x->key);
}

typedef int (*policy_item_fn)(struct policy_parse *x, const char *text, void *dst);

/* One value or a list of 1..POLICY_MAX_LIST values, each through fn. The
 * current event is the value's first. */
static int policy_list(struct policy_parse *x, policy_item_fn fn, void *dst)
{
	yaml_mark_t start = x->r.ev.start_mark;
	const char *t;
	uint32_t n = 0;

	if (x->r.ev.type == YAML_SCALAR_EVENT) {
		t = policy_scalar(x);
		return t ? fn(x, t, dst) : -1;
	}
	if (x->r.ev.type != YAML_SEQUENCE_START_EVENT)
		return yread_fail(&x->r, &x->r.ev.start_mark,
				  "%s: must be a value or a list of values, not %s", x->key,
				  yread_kind(&x->r));
	for (;;) {
		if (yread_next(&x->r))
			return -1;
		if (x->r.ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		if (x->r.ev.type != YAML_SCALAR_EVENT)
			return yread_fail(&x->r, &x->r.ev.start_mark,
					  "%s: a list of values, not of %ss", x->key,
					  x->r.ev.type == YAML_SEQUENCE_START_EVENT ? "list" : "mapping");
		if (++n > POLICY_MAX_LIST)
			return yread_fail(&x->r, &x->r.ev.start_mark,
					  "%s: more than %d values", x->key, POLICY_MAX_LIST);
		t = policy_scalar(x);
		if (!t || fn(x, t, dst))
			return -1;
	}
	if (n == 0)
		return yread_fail(&x->r, &start,
				  "%s: an empty list matches nothing: leave the key out", x->key);
	return 0;
}

static int policy_item_pattern(struct policy_parse *x, const char *t, void *dst)
{
	struct policy_strs *s = dst;
	char **v;

	if (!*t || strlen(t) > POLICY_MAX_PATTERN)
		return yread_fail(&x->r, &x->r.ev.start_mark,
				  "%s: must be 1 to %d characters (got '%s')", x->key,
				  POLICY_MAX_PATTERN, t);
	v = policy_grow(s->v, s->n, sizeof(*v));
	if (!v)
		return policy_oom(x);
	s->v = v;
	s->v[s->n] = strdup(t);
	if (!s->v[s->n])
		return policy_oom(x);
	s->n++;
	return 0;
}

static int policy_item_container(struct policy_parse *x, const char *t, void *dst)
{
	for (const char *p = t; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return yread_fail(&x->r, &x->r.ev.start_mark,
					  "%s: must be the start of a container id, lowercase hex (got '%s')",
					  x->key, t);
	if (strlen(t) >= ALERT_CONTAINER_MAX)
		return yread_fail(&x->r, &x->r.ev.start_mark,
				  "%s: longer than a container id (got '%s')", x->key, t);
	return policy_item_pattern(x, t, dst);
}

static int policy_item_cidr(struct policy_parse *x, const char *t, void *dst)
{
	struct policy_sel *s = dst;
	struct policy_cidr c, *v;

	if (!policy_cidr_parse(t, &c))
		return yread_fail(&x->r, &x->r.ev.start_mark,
				  "%s: must be an address or ADDRESS/PREFIX, as 10.0.0.0/8 or fd00::/8 (got '%s')",
				  x->key, t);
	v = policy_grow(s->cidrs, s->n_cidrs, sizeof(*v));
	if (!v)
		return policy_oom(x);
	s->cidrs = v;
	s->cidrs[s->n_cidrs++] = c;
	return 0;
}

static int policy_item_port(struct policy_parse *x, const char *t, void *dst)
{
	struct policy_rule *r = dst;
	struct policy_ports pr, *v;

	if (!policy_port_parse(t, &pr))
		return yread_fail(&x->r, &x->r.ev.start_mark,
				  "%s: must be a port 1..65535 or a range LOW-HIGH (got '%s')", x->key,
				  t);
	v = policy_grow(r->ports, r->n_ports, sizeof(*v));
	if (!v)
		return policy_oom(x);
	r->ports = v;
	r->ports[r->n_ports++] = pr;
	return 0;
}

static int policy_item_protocol(struct policy_parse *x, const char *t, void *dst)
{
	struct policy_rule *r = dst;

	for (uint32_t i = 0; i < POLICY_N_PROTOCOLS; i++)
		if (strcmp(t, policy_protocols[i]) == 0) {
			r->protocols |= 1u << i;
			return 0;
		}
	return yread_fail(&x->r, &x->r.ev.start_mark,
			  "%s: must be http, redis, postgresql or mysql (got '%s')", x->key, t);
}

/* The key of a mapping: its text into x->key after `prefix`; 0, -1. */
static int policy_key(struct policy_parse *x, const char *prefix, char *key, size_t cap)
{
	size_t n;

	if (x->r.ev.type != YAML_SCALAR_EVENT) {
		if (!prefix[0])
			return yread_fail(&x->r, &x->r.ev.start_mark,
					  "keys must be plain names, not %s", yread_kind(&x->r));
		/* "to." -> "to: keys ..." */
		return yread_fail(&x->r, &x->r.ev.start_mark, "%.*s: keys must be plain names, not %s",
				  (int)strlen(prefix) - 1, prefix, yread_kind(&x->r));
	}
	n = x->r.ev.data.scalar.length;
	if (n >= cap || memchr(x->r.ev.data.scalar.value, '\0', n))
		n = cap - 1; /* unknown anyway: the message shows its start */
	memcpy(key, x->r.ev.data.scalar.value, n);
	key[n] = '\0';
	snprintf(x->key, sizeof(x->key), "%s%s", prefix, key);
	return 0;
}

static int policy_selector(struct policy_parse *x, struct policy_sel *s, const char *side)
{
	char key[24], prefix[8];
	uint32_t seen = 0, bit;
	int rc;

	snprintf(prefix, sizeof(prefix), "%s.", side);
	snprintf(x->key, sizeof(x->key), "%s", side);
	if (x->r.ev.type != YAML_MAPPING_START_EVENT)
		return yread_fail(&x->r, &x->r.ev.start_mark,
				  "%s: must be a mapping of selectors (service, namespace, workload, exe, pod, container, cidr), not %s",
				  side, yread_kind(&x->r));
	for (;;) {
		if (yread_next(&x->r))
			return -1;
		if (x->r.ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if (policy_key(x, prefix, key, sizeof(key)))
			return -1;
		if (!strcmp(key, "service"))
			bit = 1;
		else if (!strcmp(key, "namespace"))
			bit = 2;
		else if (!strcmp(key, "workload"))
			bit = 4;
		else if (!strcmp(key, "exe"))
			bit = 8;
		else if (!strcmp(key, "pod"))
			bit = 16;
		else if (!strcmp(key, "container"))
			bit = 32;
		else if (!strcmp(key, "cidr"))
			bit = 64;
		else
			return yread_fail(&x->r, &x->r.ev.start_mark,
					  "%s: unknown selector (service, namespace, workload, exe, pod, container, cidr)",
					  x->key);
		if (seen & bit)
			return yread_fail(&x->r, &x->r.ev.start_mark, "%s: given twice", x->key);
		seen |= bit;
		if (yread_next(&x->r))
			return -1;
		switch (bit) {
		case 1: rc = policy_list(x, policy_item_pattern, &s->service); break;
		case 2: rc = policy_list(x, policy_item_pattern, &s->ns); break;
		case 4: rc = policy_list(x, policy_item_pattern, &s->workload); break;
		case 8: rc = policy_list(x, policy_item_pattern, &s->exe); break;
		case 16: rc = policy_list(x, policy_item_pattern, &s->pod); break;
		case 32: rc = policy_list(x, policy_item_container, &s->container); break;
		default: rc = policy_list(x, policy_item_cidr, s); break;
		}
		if (rc)
			return -1;
	}
}

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
	int e;

	e = yread_slurp(path, &buf, &len);
	if (e) {
		if (err && err_len)
			snprintf(err, err_len, "%s: cannot read: %s", path, strerror(e));
		return NULL;
	}
	p = policy_parse(buf, len, path, err, err_len);
	free(buf);
	return p;
}

/* ---- the check --------------------------------------------------------- */

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

/* One end as the check sees it: its address parsed once per call. */
struct policy_end {
	const struct alert_identity *id;
	const struct alert_evidence *ev;
	uint8_t addr[16];
	int has_addr;
};

static void policy_end_init(struct policy_end *e, const struct alert_identity *id,
			    const struct alert_evidence *ev, const char *addr)
{
	e->id = id;
	e->ev = ev;
	if (!addr || !*addr)
		addr = id ? id->address : NULL;
	e->has_addr = policy_addr(addr, e->addr);
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

static int policy_rule_match(const struct policy_rule *r, const struct policy_call *c,
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
