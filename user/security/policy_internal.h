// SPDX-License-Identifier: MIT
/*
 * Internal to the policy module (policy.c, policy_values.c,
 * policy_parse.c, policy_match.c): the built rules and the helpers the
 * files share. Nothing outside user/security/policy*.c includes it; the
 * public API is policy.h.
 */
#ifndef ZT_POLICY_INTERNAL_H
#define ZT_POLICY_INTERNAL_H

#include "policy.h"

#include <stddef.h>
#include <stdint.h>

#include "yaml_read.h"

/* The protocol names of alerts (alert.h): one bit each in a rule. */
#define POLICY_N_PROTOCOLS 4u
extern const char *const policy_protocols[POLICY_N_PROTOCOLS];

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

/* The parse in progress: the reader, the policy, the key path for
 * messages ("to.cidr"). */
struct policy_parse {
	struct yread r;
	struct policy *p;
	char key[32];
};

/* policy.c */
void *policy_grow(void *arr, uint32_t n, size_t elem);

/* policy_parse.c */
int policy_oom(struct policy_parse *x);

/* policy_values.c */
int policy_addr(const char *s, uint8_t out[16]);
int policy_name_ok(const char *s);
const char *policy_scalar(struct policy_parse *x);
typedef int (*policy_item_fn)(struct policy_parse *x, const char *text, void *dst);
int policy_list(struct policy_parse *x, policy_item_fn fn, void *dst);
int policy_item_pattern(struct policy_parse *x, const char *t, void *dst);
int policy_item_port(struct policy_parse *x, const char *t, void *dst);
int policy_item_protocol(struct policy_parse *x, const char *t, void *dst);
int policy_key(struct policy_parse *x, const char *prefix, char *key, size_t cap);
int policy_selector(struct policy_parse *x, struct policy_sel *s, const char *side);

/* policy_match.c */
/* One end as the check sees it: its address parsed once per call. */
struct policy_end {
	const struct alert_identity *id;
	const struct alert_evidence *ev;
	uint8_t addr[16];
	int has_addr;
};

void policy_end_init(struct policy_end *e, const struct alert_identity *id,
		     const struct alert_evidence *ev, const char *addr);
int policy_rule_match(const struct policy_rule *r, const struct policy_call *c,
		      const struct policy_end *src, const struct policy_end *dst,
		      uint32_t proto_bit);

#endif /* ZT_POLICY_INTERNAL_H */
