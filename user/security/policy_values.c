// SPDX-License-Identifier: MIT
/*
 * The values of a policy file: addresses, blocks, ports and names from
 * their text, and a YAML value or list of them read into a rule's
 * selectors.
 */
#include "policy_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


/* ---- values ------------------------------------------------------------ */

/* An address ("10.1.2.3", "::1", "[::1]:80", "10.1.2.3:80") into 16
 * bytes, IPv4 mapped. 0 when it is none of these. */
int policy_addr(const char *s, uint8_t out[16])
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

int policy_name_ok(const char *s)
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



/* The current event must be a non-null scalar: its text, or NULL (err). */
const char *policy_scalar(struct policy_parse *x)
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

/* One value or a list of 1..POLICY_MAX_LIST values, each through fn. The
 * current event is the value's first. */
int policy_list(struct policy_parse *x, policy_item_fn fn, void *dst)
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

int policy_item_pattern(struct policy_parse *x, const char *t, void *dst)
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

int policy_item_port(struct policy_parse *x, const char *t, void *dst)
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

int policy_item_protocol(struct policy_parse *x, const char *t, void *dst)
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
int policy_key(struct policy_parse *x, const char *prefix, char *key, size_t cap)
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

int policy_selector(struct policy_parse *x, struct policy_sel *s, const char *side)
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

