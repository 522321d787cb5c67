// SPDX-License-Identifier: MIT
/* user/security/policy.c: the format, every parse error at its line and
 * column, selectors, cidr blocks, globs, ports, first-match order, the
 * default. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

#define ERR_LEN 512

static struct policy *parse(const char *text)
{
	char err[ERR_LEN] = "";
	struct policy *p = policy_parse(text, strlen(text), "p.yaml", err, sizeof(err));

	cr_assert_not_null(p, "unexpected error: %s", err);
	cr_expect_str_eq(err, "");
	return p;
}

static void expect_error(const char *text, const char *want)
{
	char err[ERR_LEN];
	struct policy *p;

	memset(err, 0xa5, sizeof(err));
	p = policy_parse(text, strlen(text), "p.yaml", err, sizeof(err));
	cr_expect_null(p, "expected an error: %s", want);
	cr_expect_str_eq(err, want, "for:\n%s\ngot:  %s\nwant: %s", text, err, want);
	policy_free(p);
}

/* A process on this node. */
static struct alert_identity proc(const char *service, const char *ns, const char *workload,
				  const char *exe)
{
	struct alert_identity id;

	memset(&id, 0, sizeof(id));
	snprintf(id.service, sizeof(id.service), "%s", service);
	snprintf(id.k8s_namespace, sizeof(id.k8s_namespace), "%s", ns);
	snprintf(id.k8s_workload, sizeof(id.k8s_workload), "%s", workload);
	snprintf(id.exe, sizeof(id.exe), "%s", exe);
	return id;
}

/* A peer known by its address only. */
static struct alert_identity peer(const char *addr)
{
	struct alert_identity id;

	memset(&id, 0, sizeof(id));
	snprintf(id.address, sizeof(id.address), "%s", addr);
	return id;
}

static struct alert_identity orders, users, billing, outside;

static void setup_ids(void)
{
	orders = proc("orders", "shop", "deployment/orders", "python3");
	users = proc("users", "shop", "deployment/users", "node");
	billing = proc("billing", "", "", "billing-svc");
	outside = peer("203.0.113.7");
}

static enum policy_verdict check(const struct policy *p, const struct alert_identity *src,
				 const struct alert_identity *dst, const char *protocol,
				 uint16_t port, const char *op, const char **rule)
{
	struct policy_call c = {
		.src = src, .dst = dst, .protocol = protocol, .port = port, .operation = op,
	};
	const struct policy_rule_info *m = NULL;
	enum policy_verdict v = policy_check(p, &c, &m);

	cr_assert_not_null(m);
	if (rule)
		*rule = m->name;
	return v;
}

static const char example[] =
	"version: 1\n"
	"default: allow\n"
	"rules:\n"
	"  - name: health-is-fine\n"
	"    action: allow\n"
	"    to: { service: users }\n"
	"    operations: [\"GET /health\"]\n"
	"  - name: orders-may-not-call-users\n"
	"    action: deny\n"
	"    severity: critical\n"
	"    from: { service: orders }\n"
	"    to:   { service: users }\n"
	"    ports: [8080, \"9000-9100\"]\n"
	"    protocols: [http, redis]\n"
	"    operations: [\"GET /users/*\", \"FLUSHALL\"]\n"
	"  - name: nothing-leaves-shop\n"
	"    action: deny\n"
	"    from: { namespace: shop }\n"
	"    to: { cidr: [0.0.0.0/0, \"::/0\"] }\n";

Test(policy, example_first_match_wins, .init = setup_ids)
{
	struct policy *p = parse(example);
	const struct policy_rule_info *m;
	const char *rule;
	struct policy_call c = { .src = &orders, .dst = &users, .protocol = "http", .port = 8080,
				 .operation = "GET /users/{id}" };

	cr_expect_eq(policy_rule_count(p), 3);
	cr_expect_eq(policy_check(p, &c, &m), POLICY_DENY);
	cr_expect_str_eq(m->name, "orders-may-not-call-users");
	cr_expect_eq(m->index, 1);
	cr_expect_eq(m->action, POLICY_DENY);
	cr_expect_eq(m->severity, ALERT_SEV_CRITICAL);

	/* the allow rule above it is an exception */
	cr_expect_eq(check(p, &orders, &users, "http", 8080, "GET /health", &rule), POLICY_ALLOW);
	cr_expect_str_eq(rule, "health-is-fine");
	/* each part of the deny rule must match */
	cr_expect_eq(check(p, &orders, &users, "http", 8081, "GET /users/1", &rule), POLICY_ALLOW);
	cr_expect_str_eq(rule, "default");
	cr_expect_eq(check(p, &orders, &users, "http", 9000, "GET /users/1", &rule), POLICY_DENY);
	cr_expect_eq(check(p, &orders, &users, "http", 9100, "GET /users/1", &rule), POLICY_DENY);
	cr_expect_eq(check(p, &orders, &users, "http", 9101, "GET /users/1", &rule), POLICY_ALLOW);
	cr_expect_eq(check(p, &orders, &users, "redis", 8080, "FLUSHALL", &rule), POLICY_DENY);
	cr_expect_eq(check(p, &orders, &users, "REDIS", 8080, "FLUSHALL", &rule), POLICY_DENY);
	cr_expect_eq(check(p, &orders, &users, "mysql", 8080, "FLUSHALL", &rule), POLICY_ALLOW);
	cr_expect_eq(check(p, &orders, &users, NULL, 8080, "FLUSHALL", &rule), POLICY_ALLOW);
	cr_expect_eq(check(p, &orders, &users, "http", 8080, "POST /users/1", &rule), POLICY_ALLOW);
	cr_expect_eq(check(p, &orders, &users, "http", 8080, NULL, &rule), POLICY_ALLOW);
	cr_expect_eq(check(p, &orders, &users, "http", 0, "GET /users/1", &rule), POLICY_ALLOW);
	cr_expect_eq(check(p, &billing, &users, "http", 8080, "GET /users/1", &rule), POLICY_ALLOW);
	cr_expect_str_eq(rule, "default");
	/* the third rule: shop to any address off the node */
	cr_expect_eq(check(p, &orders, &outside, "http", 443, "GET /", &rule), POLICY_DENY);
	cr_expect_str_eq(rule, "nothing-leaves-shop");
	cr_expect_eq(check(p, &billing, &outside, "http", 443, "GET /", &rule), POLICY_ALLOW);
	/* a process end without an address matches no cidr */
	cr_expect_eq(check(p, &orders, &billing, "http", 443, "GET /", &rule), POLICY_ALLOW);
	policy_free(p);
}

Test(policy, default_deny_and_its_info, .init = setup_ids)
{
	struct policy *p = parse("version: 1\n"
				 "default: deny\n"
				 "rules:\n"
				 "  - name: orders-to-users\n"
				 "    action: allow\n"
				 "    from: { service: orders }\n"
				 "    to: { service: users }\n");
	const struct policy_rule_info *m;
	struct policy_call c = { .src = &orders, .dst = &users };
	char reason[128];

	cr_expect_eq(policy_check(p, &c, &m), POLICY_ALLOW);
	cr_expect_str_eq(m->name, "orders-to-users");
	policy_describe(m, reason, sizeof(reason));
	cr_expect_str_eq(reason, "allowed by policy rule 'orders-to-users'");
	c.src = &billing;
	cr_expect_eq(policy_check(p, &c, &m), POLICY_DENY);
	cr_expect_str_eq(m->name, "default");
	cr_expect_eq(m->index, POLICY_DEFAULT_INDEX);
	cr_expect_eq(m->action, POLICY_DENY);
	cr_expect_eq(m->severity, ALERT_SEV_HIGH); /* policy_deny's */
	policy_describe(m, reason, sizeof(reason));
	cr_expect_str_eq(reason, "no policy rule allows it (default: deny)");
	cr_expect_eq(policy_check(p, &c, NULL), POLICY_DENY);
	policy_free(p);

	/* no rules at all */
	p = parse("version: 1\ndefault: deny\n");
	cr_expect_eq(policy_rule_count(p), 0);
	cr_expect_eq(policy_check(p, &c, &m), POLICY_DENY);
	policy_free(p);
	p = parse("version: 1\nrules: []\n");
	cr_expect_eq(policy_check(p, &c, &m), POLICY_ALLOW);
	cr_expect_str_eq(m->name, "default");
	policy_describe(m, reason, sizeof(reason));
	cr_expect_str_eq(reason, "no policy rule matches it (default: allow)");
	policy_free(p);
}

Test(policy, order_decides_between_allow_and_deny, .init = setup_ids)
{
	/* the same two rules, both orders: the first one that matches wins */
	struct policy *p = parse("version: 1\nrules:\n"
				 "  - {name: a, action: deny, from: {service: orders}}\n"
				 "  - {name: b, action: allow, to: {service: users}}\n");
	const char *rule;

	cr_expect_eq(check(p, &orders, &users, NULL, 0, NULL, &rule), POLICY_DENY);
	cr_expect_str_eq(rule, "a");
	policy_free(p);
	p = parse("version: 1\ndefault: deny\nrules:\n"
		  "  - {name: b, action: allow, to: {service: users}}\n"
		  "  - {name: a, action: deny, from: {service: orders}}\n");
	cr_expect_eq(check(p, &orders, &users, NULL, 0, NULL, &rule), POLICY_ALLOW);
	cr_expect_str_eq(rule, "b");
	cr_expect_eq(check(p, &orders, &billing, NULL, 0, NULL, &rule), POLICY_DENY);
	cr_expect_str_eq(rule, "a");
	cr_expect_eq(check(p, &billing, &orders, NULL, 0, NULL, &rule), POLICY_DENY);
	cr_expect_str_eq(rule, "default");
	policy_free(p);
}

static enum policy_verdict check_addr(const struct policy *p, const char *src_addr,
				      const char *dst_addr)
{
	struct alert_identity a = proc("a", "", "", "a"), b = proc("b", "", "", "b");
	struct policy_call c = { .src = &a, .dst = &b, .src_addr = src_addr, .dst_addr = dst_addr };

	return policy_check(p, &c, NULL);
}

Test(policy, cidr_ipv4)
{
	struct policy *p = parse("version: 1\nrules:\n"
				 "  - name: private\n"
				 "    action: deny\n"
				 "    to: { cidr: [10.0.0.0/8, 172.16.0.0/12, 192.168.1.7] }\n");

	cr_expect_eq(check_addr(p, NULL, "10.0.0.0"), POLICY_DENY);
	cr_expect_eq(check_addr(p, NULL, "10.255.255.255"), POLICY_DENY);
	cr_expect_eq(check_addr(p, NULL, "10.1.2.3:8080"), POLICY_DENY);
	cr_expect_eq(check_addr(p, NULL, "::ffff:10.1.2.3"), POLICY_DENY);
	cr_expect_eq(check_addr(p, NULL, "[::ffff:10.1.2.3]:80"), POLICY_DENY);
	cr_expect_eq(check_addr(p, NULL, "11.0.0.1"), POLICY_ALLOW);
	cr_expect_eq(check_addr(p, NULL, "9.255.255.255"), POLICY_ALLOW);
	cr_expect_eq(check_addr(p, NULL, "172.16.0.0"), POLICY_DENY);
	cr_expect_eq(check_addr(p, NULL, "172.31.255.255"), POLICY_DENY);
	cr_expect_eq(check_addr(p, NULL, "172.32.0.0"), POLICY_ALLOW);
	cr_expect_eq(check_addr(p, NULL, "172.15.255.255"), POLICY_ALLOW);
	cr_expect_eq(check_addr(p, NULL, "192.168.1.7"), POLICY_DENY);
	cr_expect_eq(check_addr(p, NULL, "192.168.1.8"), POLICY_ALLOW);
	/* the client's address is not the server's */
	cr_expect_eq(check_addr(p, "10.0.0.1", "8.8.8.8"), POLICY_ALLOW);
	/* no address, or not one: no match */
	cr_expect_eq(check_addr(p, NULL, NULL), POLICY_ALLOW);
	cr_expect_eq(check_addr(p, NULL, "users"), POLICY_ALLOW);
	cr_expect_eq(check_addr(p, NULL, "10.0.0"), POLICY_ALLOW);
	cr_expect_eq(check_addr(p, NULL, "::a00:1"), POLICY_ALLOW); /* IPv4-compatible is not mapped */
	policy_free(p);

	/* host bits are cleared; /0 is everything IPv4 */
	p = parse("version: 1\nrules:\n  - {name: x, action: deny, from: {cidr: 10.9.9.9/8}}\n");
	cr_expect_eq(check_addr(p, "10.200.0.1", NULL), POLICY_DENY);
	policy_free(p);
	p = parse("version: 1\nrules:\n  - {name: x, action: deny, from: {cidr: 0.0.0.0/0}}\n");
	cr_expect_eq(check_addr(p, "255.255.255.255", NULL), POLICY_DENY);
	cr_expect_eq(check_addr(p, "2001:db8::1", NULL), POLICY_ALLOW);
	policy_free(p);
	p = parse("version: 1\nrules:\n  - {name: x, action: deny, from: {cidr: 1.2.3.4/31}}\n");
	cr_expect_eq(check_addr(p, "1.2.3.5", NULL), POLICY_DENY);
	cr_expect_eq(check_addr(p, "1.2.3.6", NULL), POLICY_ALLOW);
	policy_free(p);
}

Test(policy, cidr_ipv6)
{
	struct policy *p = parse("version: 1\nrules:\n"
				 "  - name: v6\n"
				 "    action: deny\n"
				 "    to: { cidr: [\"fd00::/8\", \"::1/128\", \"2001:db8::/33\"] }\n");

	cr_expect_eq(check_addr(p, NULL, "fd12:3456::1"), POLICY_DENY);
	cr_expect_eq(check_addr(p, NULL, "[fd12::1]:443"), POLICY_DENY);
	cr_expect_eq(check_addr(p, NULL, "fe80::1"), POLICY_ALLOW);
	cr_expect_eq(check_addr(p, NULL, "::1"), POLICY_DENY);
	cr_expect_eq(check_addr(p, NULL, "[::1]:6379"), POLICY_DENY);
	cr_expect_eq(check_addr(p, NULL, "::2"), POLICY_ALLOW);
	cr_expect_eq(check_addr(p, NULL, "2001:db8:7fff::1"), POLICY_DENY);
	cr_expect_eq(check_addr(p, NULL, "2001:db8:8000::1"), POLICY_ALLOW);
	cr_expect_eq(check_addr(p, NULL, "127.0.0.1"), POLICY_ALLOW);
	cr_expect_eq(check_addr(p, NULL, "[fd12::1"), POLICY_ALLOW);
	policy_free(p);
	/* ::/0 is every address, IPv4 ones (mapped) too */
	p = parse("version: 1\nrules:\n  - {name: x, action: deny, to: {cidr: '::/0'}}\n");
	cr_expect_eq(check_addr(p, NULL, "2001:db8::1"), POLICY_DENY);
	cr_expect_eq(check_addr(p, NULL, "10.0.0.1"), POLICY_DENY);
	policy_free(p);
	/* an IPv4-mapped block written in IPv6 */
	p = parse("version: 1\nrules:\n  - {name: x, action: deny, to: {cidr: '::ffff:10.0.0.0/104'}}\n");
	cr_expect_eq(check_addr(p, NULL, "10.3.2.1"), POLICY_DENY);
	cr_expect_eq(check_addr(p, NULL, "11.3.2.1"), POLICY_ALLOW);
	policy_free(p);
}

Test(policy, cidr_falls_back_to_the_identity_address, .init = setup_ids)
{
	struct policy *p = parse("version: 1\nrules:\n"
				 "  - {name: x, action: deny, to: {cidr: 203.0.113.0/24}}\n");
	struct policy_call c = { .src = &orders, .dst = &outside };

	cr_expect_eq(policy_check(p, &c, NULL), POLICY_DENY);
	/* the connection's address, when given, is what is matched */
	c.dst_addr = "198.51.100.1";
	cr_expect_eq(policy_check(p, &c, NULL), POLICY_ALLOW);
	c.dst_addr = "";
	cr_expect_eq(policy_check(p, &c, NULL), POLICY_DENY);
	/* a process end is matched by its connection address too */
	c.dst = &users;
	c.dst_addr = "203.0.113.9:8080";
	cr_expect_eq(policy_check(p, &c, NULL), POLICY_DENY);
	policy_free(p);
}

Test(policy, globs_and_lists, .init = setup_ids)
{
	struct policy *p = parse("version: 1\nrules:\n"
				 "  - name: g\n"
				 "    action: deny\n"
				 "    from: { service: [\"ord*\", bill?ng], exe: [python3, 'b*'] }\n"
				 "    to: { workload: \"deployment/*\", namespace: \"sh[aeio]p\" }\n"
				 "    operations: [\"GET /users/*\", \"DEL*\"]\n");
	struct alert_identity dev = proc("orders", "shep", "deployment/users", "python3");
	struct alert_identity other_ns = proc("users", "prod", "deployment/users", "node");

	cr_expect_eq(check(p, &orders, &users, NULL, 0, "GET /users/{id}", NULL), POLICY_DENY);
	/* '*' crosses '/' (fnmatch without FNM_PATHNAME) */
	cr_expect_eq(check(p, &orders, &users, NULL, 0, "GET /users/{id}/orders", NULL),
		     POLICY_DENY);
	cr_expect_eq(check(p, &orders, &users, NULL, 0, "GET /users", NULL), POLICY_ALLOW);
	cr_expect_eq(check(p, &orders, &users, NULL, 0, "get /users/1", NULL), POLICY_ALLOW);
	cr_expect_eq(check(p, &orders, &users, NULL, 0, "DEL", NULL), POLICY_DENY);
	cr_expect_eq(check(p, &orders, &users, NULL, 0, "", NULL), POLICY_ALLOW);
	cr_expect_eq(check(p, &billing, &users, NULL, 0, "DEL", NULL), POLICY_DENY);
	cr_expect_eq(check(p, &orders, &dev, NULL, 0, "DEL", NULL), POLICY_DENY);
	cr_expect_eq(check(p, &orders, &other_ns, NULL, 0, "DEL", NULL), POLICY_ALLOW);
	/* both keys of a selector must match */
	cr_expect_eq(check(p, &users, &users, NULL, 0, "DEL", NULL), POLICY_ALLOW);
	policy_free(p);
}

Test(policy, empty_fields_and_peers_match_no_pattern, .init = setup_ids)
{
	struct policy *p = parse("version: 1\nrules:\n"
				 "  - {name: any-service, action: deny, to: {service: '*'}}\n");

	cr_expect_eq(check(p, &orders, &users, NULL, 0, NULL, NULL), POLICY_DENY);
	cr_expect_eq(check(p, &orders, &outside, NULL, 0, NULL, NULL), POLICY_ALLOW);
	cr_expect_eq(check(p, &orders, NULL, NULL, 0, NULL, NULL), POLICY_ALLOW);
	policy_free(p);
	p = parse("version: 1\nrules:\n  - {name: k8s, action: deny, from: {namespace: '*'}}\n");
	cr_expect_eq(check(p, &orders, &users, NULL, 0, NULL, NULL), POLICY_DENY);
	cr_expect_eq(check(p, &billing, &users, NULL, 0, NULL, NULL), POLICY_ALLOW);
	policy_free(p);
	/* an empty selector matches any end, even an unknown one */
	p = parse("version: 1\nrules:\n  - {name: all, action: deny, from: {}, to: {}}\n");
	cr_expect_eq(check(p, NULL, NULL, NULL, 0, NULL, NULL), POLICY_DENY);
	policy_free(p);
}

Test(policy, pod_and_container_from_the_evidence, .init = setup_ids)
{
	struct policy *p = parse("version: 1\nrules:\n"
				 "  - name: ev\n"
				 "    action: deny\n"
				 "    from: { pod: 'web-*', container: [3f2a, abc] }\n");
	struct alert_evidence ev = { .pid = 7 };
	struct policy_call c = { .src = &orders, .dst = &users, .src_ev = &ev };

	snprintf(ev.k8s_pod_name, sizeof(ev.k8s_pod_name), "web-7d9f-x2");
	snprintf(ev.container_id, sizeof(ev.container_id), "3f2a9b00c0ffee");
	cr_expect_eq(policy_check(p, &c, NULL), POLICY_DENY);
	snprintf(ev.container_id, sizeof(ev.container_id), "03f2a9b");
	cr_expect_eq(policy_check(p, &c, NULL), POLICY_ALLOW);
	snprintf(ev.container_id, sizeof(ev.container_id), "abcdef");
	cr_expect_eq(policy_check(p, &c, NULL), POLICY_DENY);
	snprintf(ev.k8s_pod_name, sizeof(ev.k8s_pod_name), "api-1");
	cr_expect_eq(policy_check(p, &c, NULL), POLICY_ALLOW);
	c.src_ev = NULL;
	cr_expect_eq(policy_check(p, &c, NULL), POLICY_ALLOW);
	policy_free(p);
}

Test(policy, ports_single_and_ranges, .init = setup_ids)
{
	struct policy *p = parse("version: 1\nrules:\n"
				 "  - {name: p, action: deny, ports: [1, 80, '8000-8999', 65535, '443']}\n");

	cr_expect_eq(check(p, &orders, &users, NULL, 1, NULL, NULL), POLICY_DENY);
	cr_expect_eq(check(p, &orders, &users, NULL, 80, NULL, NULL), POLICY_DENY);
	cr_expect_eq(check(p, &orders, &users, NULL, 81, NULL, NULL), POLICY_ALLOW);
	cr_expect_eq(check(p, &orders, &users, NULL, 8000, NULL, NULL), POLICY_DENY);
	cr_expect_eq(check(p, &orders, &users, NULL, 8999, NULL, NULL), POLICY_DENY);
	cr_expect_eq(check(p, &orders, &users, NULL, 9000, NULL, NULL), POLICY_ALLOW);
	cr_expect_eq(check(p, &orders, &users, NULL, 443, NULL, NULL), POLICY_DENY);
	cr_expect_eq(check(p, &orders, &users, NULL, 65535, NULL, NULL), POLICY_DENY);
	cr_expect_eq(check(p, &orders, &users, NULL, 0, NULL, NULL), POLICY_ALLOW);
	policy_free(p);
	p = parse("version: 1\nrules:\n  - {name: p, action: deny, ports: 5432}\n");
	cr_expect_eq(check(p, &orders, &users, NULL, 5432, NULL, NULL), POLICY_DENY);
	cr_expect_eq(check(p, &orders, &users, NULL, 5433, NULL, NULL), POLICY_ALLOW);
	policy_free(p);
	p = parse("version: 1\nrules:\n  - {name: p, action: deny, ports: '7-7'}\n");
	cr_expect_eq(check(p, &orders, &users, NULL, 7, NULL, NULL), POLICY_DENY);
	policy_free(p);
}

Test(policy, severity_and_describe)
{
	struct policy *p = parse("version: 1\nrules:\n"
				 "  - {name: lo, action: deny, severity: low, ports: 1}\n"
				 "  - {name: plain, action: deny}\n");
	struct policy_call c = { .port = 1 };
	const struct policy_rule_info *m;
	char reason[64];

	cr_expect_eq(policy_check(p, &c, &m), POLICY_DENY);
	cr_expect_eq(m->severity, ALERT_SEV_LOW);
	policy_describe(m, reason, sizeof(reason));
	cr_expect_str_eq(reason, "denied by policy rule 'lo'");
	c.port = 2;
	cr_expect_eq(policy_check(p, &c, &m), POLICY_DENY);
	cr_expect_str_eq(m->name, "plain");
	cr_expect_eq(m->severity, ALERT_SEV_HIGH);
	cr_expect_eq(policy_describe(m, reason, 8), 29);
	cr_expect_str_eq(reason, "denied ");
	policy_free(p);
	cr_expect_eq(policy_describe(NULL, reason, sizeof(reason)), 0);
	cr_expect_str_eq(reason, "");
}

Test(policy, no_policy_allows_everything)
{
	const struct policy_rule_info *m = NULL;
	struct policy_call c = { 0 };

	cr_expect_eq(policy_check(NULL, &c, &m), POLICY_ALLOW);
	cr_expect_str_eq(m->name, "default");
	cr_expect_eq(policy_check(NULL, NULL, NULL), POLICY_ALLOW);
	cr_expect_eq(policy_rule_count(NULL), 0);
	policy_free(NULL);
}

Test(policy, parse_errors_at_their_place)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "", "p.yaml:1:1: version: missing (this is version 1)" },
		{ "# only a comment\n", "p.yaml:1:1: version: missing (this is version 1)" },
		{ "default: deny\n", "p.yaml:1:1: version: missing (this is version 1)" },
		{ "version: 2\n", "p.yaml:1:10: version: must be 1 (got '2')" },
		{ "version: 1.0\n", "p.yaml:1:10: version: must be 1 (got '1.0')" },
		{ "version:\n", "p.yaml:1:9: version: missing value" },
		{ "version: [1]\n", "p.yaml:1:10: version: must be a value, not a list" },
		{ "- 1\n", "p.yaml:1:1: a policy must be a mapping (version, default, rules), not a list" },
		{ "version: 1\nversion: 1\n", "p.yaml:2:1: version: given twice" },
		{ "version: 1\nkind: Policy\n", "p.yaml:2:1: kind: unknown key (version, default, rules)" },
		{ "version: 1\ndefault: block\n", "p.yaml:2:10: default: must be allow or deny (got 'block')" },
		{ "version: 1\nrules: {}\n", "p.yaml:2:8: rules: must be a list of rules, not a mapping" },
		{ "version: 1\nrules:\n  - x\n",
		  "p.yaml:3:5: rules: each rule must be a mapping (name, action, ...), not a value" },
		{ "version: 1\nrules:\n  - action: deny\n",
		  "p.yaml:3:5: name: missing (every rule has one)" },
		{ "version: 1\nrules:\n  - name: a\n",
		  "p.yaml:3:5: action: missing in rule 'a' (deny or allow)" },
		{ "version: 1\nrules:\n  - name: a\n    action: block\n",
		  "p.yaml:4:13: action: must be deny or allow (got 'block')" },
		{ "version: 1\nrules:\n  - name: a b\n    action: deny\n",
		  "p.yaml:3:11: name: must be 1 to 63 letters, digits, '.', '_' or '-' (got 'a b')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny}\n  - {name: a, action: deny}\n",
		  "p.yaml:4:12: name: 'a' is already the name of rule 1" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, name: b}\n",
		  "p.yaml:3:29: name: given twice" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, when: now}\n",
		  "p.yaml:3:29: when: unknown key of a rule (name, action, severity, from, to, ports, protocols, operations)" },
		{ "version: 1\nrules:\n  - {name: a, action: allow, severity: high}\n",
		  "p.yaml:3:40: severity: only a deny rule has one (rule 'a' allows)" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, severity: urgent}\n",
		  "p.yaml:3:39: severity: must be info, low, medium, high or critical (got 'urgent')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, from: orders}\n",
		  "p.yaml:3:35: from: must be a mapping of selectors (service, namespace, workload, exe, pod, container, cidr), not a value" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, to: {svc: x}}\n",
		  "p.yaml:3:34: to.svc: unknown selector (service, namespace, workload, exe, pod, container, cidr)" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, to: {service: x, service: y}}\n",
		  "p.yaml:3:46: to.service: given twice" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, to: {service: []}}\n",
		  "p.yaml:3:43: to.service: an empty list matches nothing: leave the key out" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, to: {service: {a: b}}}\n",
		  "p.yaml:3:43: to.service: must be a value or a list of values, not a mapping" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, to: {service: [[x]]}}\n",
		  "p.yaml:3:44: to.service: a list of values, not of lists" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, to: {service: ''}}\n",
		  "p.yaml:3:43: to.service: must be 1 to 255 characters (got '')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, from: {cidr: 10.0.0.0/33}}\n",
		  "p.yaml:3:42: from.cidr: must be an address or ADDRESS/PREFIX, as 10.0.0.0/8 or fd00::/8 (got '10.0.0.0/33')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, from: {cidr: [\"fd00::/129\"]}}\n",
		  "p.yaml:3:43: from.cidr: must be an address or ADDRESS/PREFIX, as 10.0.0.0/8 or fd00::/8 (got 'fd00::/129')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, from: {cidr: 10.0.0.0/}}\n",
		  "p.yaml:3:42: from.cidr: must be an address or ADDRESS/PREFIX, as 10.0.0.0/8 or fd00::/8 (got '10.0.0.0/')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, from: {cidr: 10.0.0/8}}\n",
		  "p.yaml:3:42: from.cidr: must be an address or ADDRESS/PREFIX, as 10.0.0.0/8 or fd00::/8 (got '10.0.0/8')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, from: {cidr: 10.0.0.0/08}}\n",
		  "p.yaml:3:42: from.cidr: must be an address or ADDRESS/PREFIX, as 10.0.0.0/8 or fd00::/8 (got '10.0.0.0/08')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, from: {cidr: localhost}}\n",
		  "p.yaml:3:42: from.cidr: must be an address or ADDRESS/PREFIX, as 10.0.0.0/8 or fd00::/8 (got 'localhost')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, from: {container: 3F2A}}\n",
		  "p.yaml:3:47: from.container: must be the start of a container id, lowercase hex (got '3F2A')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, ports: [0]}\n",
		  "p.yaml:3:37: ports: must be a port 1..65535 or a range LOW-HIGH (got '0')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, ports: [65536]}\n",
		  "p.yaml:3:37: ports: must be a port 1..65535 or a range LOW-HIGH (got '65536')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, ports: ['9100-9000']}\n",
		  "p.yaml:3:37: ports: must be a port 1..65535 or a range LOW-HIGH (got '9100-9000')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, ports: ['80-']}\n",
		  "p.yaml:3:37: ports: must be a port 1..65535 or a range LOW-HIGH (got '80-')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, ports: ['-80']}\n",
		  "p.yaml:3:37: ports: must be a port 1..65535 or a range LOW-HIGH (got '-80')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, ports: [http]}\n",
		  "p.yaml:3:37: ports: must be a port 1..65535 or a range LOW-HIGH (got 'http')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, ports: ['1-2-3']}\n",
		  "p.yaml:3:37: ports: must be a port 1..65535 or a range LOW-HIGH (got '1-2-3')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, protocols: [grpc]}\n",
		  "p.yaml:3:41: protocols: must be http, redis, postgresql or mysql (got 'grpc')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, protocols: [HTTP]}\n",
		  "p.yaml:3:41: protocols: must be http, redis, postgresql or mysql (got 'HTTP')" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, operations: [~]}\n",
		  "p.yaml:3:42: operations: missing value" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, operations: \"a\\0b\"}\n",
		  "p.yaml:3:41: operations: must not hold a NUL character" },
		{ "version: 1\nrules: [\n", "p.yaml:3:1: invalid YAML: did not find expected node content (while parsing a flow node)" },
		{ "version: 1\n---\nversion: 1\n",
		  "p.yaml:2:1: only one document is read: remove the second '---'" },
		{ "version: &v 1\nrules:\n  - {name: *v, action: deny}\n",
		  "p.yaml:3:12: aliases (*v) are not supported: write the value out" },
		{ "version: 1\n[a]: 1\n", "p.yaml:2:1: keys must be plain names, not a list" },
		{ "version: 1\nrules:\n  - {name: a, action: deny, to: {[x]: 1}}\n",
		  "p.yaml:3:34: to: keys must be plain names, not a list" },
		{ "version: 1\nrules:\n  - {name: a, {x: 1}: deny}\n",
		  "p.yaml:3:15: keys must be plain names, not a mapping" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].text, cases[i].err);
}

/* A policy of n rules, each "- {name: rN, action: deny, ports: [N]}". */
static char *many_rules(unsigned n)
{
	size_t cap = 64 + (size_t)n * 48, len;
	char *t = malloc(cap);

	cr_assert_not_null(t);
	len = (size_t)snprintf(t, cap, "version: 1\nrules:\n");
	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(t + len, cap - len, "  - {name: r%u, action: deny, ports: [%u]}\n",
					i, i % 65535 + 1);
	return t;
}

Test(policy, limits)
{
	char *t = many_rules(POLICY_MAX_RULES);
	char want[512], buf[4096];
	struct policy *p = parse(t);
	size_t len;

	cr_expect_eq(policy_rule_count(p), POLICY_MAX_RULES);
	cr_expect_eq(check(p, NULL, NULL, NULL, 1024, NULL, NULL), POLICY_DENY);
	policy_free(p);
	free(t);
	t = many_rules(POLICY_MAX_RULES + 1);
	snprintf(want, sizeof(want), "p.yaml:%d:5: rules: more than 1024", POLICY_MAX_RULES + 3);
	expect_error(t, want);
	free(t);

	/* 64 values in a list, not 65 */
	len = (size_t)snprintf(buf, sizeof(buf), "version: 1\nrules:\n  - {name: a, action: deny, ports: [");
	for (int i = 1; i <= POLICY_MAX_LIST; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%d", i > 1 ? "," : "", i);
	snprintf(buf + len, sizeof(buf) - len, "]}\n");
	p = parse(buf);
	policy_free(p);
	snprintf(buf + len, sizeof(buf) - len, ",99]}\n");
	/* "  - {name: a, action: deny, ports: [" is 36; 9 one-digit, 55 two-digit, 64 commas */
	snprintf(want, sizeof(want), "p.yaml:3:%d: ports: more than 64 values", 36 + 9 + 55 * 2 + 64 + 1);
	expect_error(buf, want);

	/* a pattern of 255 bytes, not 256; a name of 63, not 64 */
	snprintf(buf, sizeof(buf), "version: 1\nrules:\n  - {name: a, action: deny, operations: %0255d}\n", 0);
	p = parse(buf);
	policy_free(p);
	snprintf(buf, sizeof(buf), "version: 1\nrules:\n  - {name: a, action: deny, operations: %0256d}\n", 0);
	snprintf(want, sizeof(want), "p.yaml:3:41: operations: must be 1 to 255 characters (got '%0256d')", 0);
	expect_error(buf, want);
	snprintf(buf, sizeof(buf), "version: 1\nrules:\n  - {name: %063d, action: deny}\n", 0);
	p = parse(buf);
	policy_free(p);
	snprintf(buf, sizeof(buf), "version: 1\nrules:\n  - {name: %064d, action: deny}\n", 0);
	snprintf(want, sizeof(want),
		 "p.yaml:3:12: name: must be 1 to 63 letters, digits, '.', '_' or '-' (got '%064d')", 0);
	expect_error(buf, want);
}

Test(policy, input_limits_and_error_buffers)
{
	char err[ERR_LEN], small[16];
	char *big = malloc((1u << 20) + 1);

	cr_assert_not_null(big);
	memset(big, '#', (1u << 20) + 1);
	cr_expect_null(policy_parse(big, (1u << 20) + 1, "big.yaml", err, sizeof(err)));
	cr_expect_str_eq(err, "big.yaml: larger than 1048576 bytes");
	free(big);
	/* not NUL-terminated: only len bytes are read */
	policy_free(policy_parse("version: 1x", 10, "p", err, sizeof(err)));
	cr_expect_str_eq(err, "");
	cr_expect_null(policy_parse("version: 12", 9, "p", err, sizeof(err)));
	cr_expect_str_eq(err, "p:1:9: version: missing value");
	cr_expect_null(policy_parse("version: 2", 10, NULL, err, sizeof(err)));
	cr_expect_str_eq(err, "(input):1:10: version: must be 1 (got '2')");
	cr_expect_null(policy_parse("version: 2", 10, "p.yaml", small, sizeof(small)));
	cr_expect_str_eq(small, "p.yaml:1:10: ve");
	cr_expect_null(policy_parse("version: 2", 10, "p.yaml", NULL, 0));
	policy_free(policy_parse("version: 1", 10, "p.yaml", NULL, 0));
}

Test(policy, load_from_a_file, .init = setup_ids)
{
	char path[] = "/tmp/zt_policy_test_XXXXXX", err[ERR_LEN], want[ERR_LEN];
	int fd = mkstemp(path);
	struct policy *p;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, example, sizeof(example) - 1), (ssize_t)(sizeof(example) - 1));
	close(fd);
	p = policy_load(path, err, sizeof(err));
	cr_assert_not_null(p, "%s", err);
	cr_expect_eq(policy_rule_count(p), 3);
	cr_expect_eq(check(p, &orders, &users, "http", 8080, "GET /users/1", NULL), POLICY_DENY);
	policy_free(p);

	fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "version: 1\nrules: 3\n", 20), 20);
	close(fd);
	cr_expect_null(policy_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:2:8: rules: must be a list of rules, not a value", path);
	cr_expect_str_eq(err, want);
	unlink(path);

	cr_expect_null(policy_load("/nonexistent/policy.yaml", err, sizeof(err)));
	cr_expect_str_eq(err, "/nonexistent/policy.yaml: cannot read: No such file or directory");
	cr_expect_null(policy_load("/tmp", err, sizeof(err)));
	cr_expect_str_eq(err, "/tmp: cannot read: Is a directory");
}
