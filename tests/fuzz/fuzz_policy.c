// SPDX-License-Identifier: MIT
/*
 * Fuzzes policy_parse and policy_check.
 *
 * Input: byte 0 picks the error buffer size (bits 0-6, 0..127) and the
 * mode (bit 7): the rest is the policy text as is, or a sequence of
 * tokens (the format's keys, values, indents, brackets) that random bytes
 * rarely spell, one per byte. The text is malloc'd to its exact size, with
 * no NUL after it, so ASan sees any over-read.
 *
 * Checks: a NULL policy says why in err (terminated, inside err_len, the
 * bytes past it untouched), a policy leaves err empty; parsing is
 * deterministic; at most POLICY_MAX_RULES rules. Every policy is checked
 * against a grid of calls (processes, peers off the node, unknown ends,
 * addresses of both families with and without ports, protocols, ports,
 * operations): the verdict is the deciding rule's action, the rule is one
 * of the policy's or its default, the same call gets the same answer, and
 * policy_describe stays inside its buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "fuzz_check.h"

#define CANARY 0x5a

static const char *const tokens[] = {
	"version", ": ", "1", "\n", "  ", "    ", "- ", "default", "deny", "allow", "rules",
	"name", "action", "severity", "high", "low", "from", "to", "{", "}", "[", "]", ", ",
	"service", "namespace", "workload", "exe", "pod", "container", "cidr", "ports",
	"protocols", "operations", "orders", "users", "10.0.0.0/8", "::1/128", "fd00::/8",
	"0.0.0.0/0", "8080", "9000-9100", "http", "redis", "\"GET /users/*\"", "*", "a", "b",
	"3f2a", "'", "\"", "&x ", "*x", "---", "# c", "~", "? ", "web-*", "0", "65536", "/33",
	"shop", "python3", "\\0", "\t", "deployment/*", "FLUSHALL", "::ffff:10.0.0.0/104",
};

#define N_TOKENS (sizeof(tokens) / sizeof(tokens[0]))

static size_t tokenize(const uint8_t *data, size_t size, char **out)
{
	size_t i, len = 0, n;

	for (i = 0; i < size; i++)
		len += strlen(tokens[data[i] % N_TOKENS]);
	*out = malloc(len ? len : 1);
	CHECK(*out);
	for (len = 0, i = 0; i < size; i++) {
		n = strlen(tokens[data[i] % N_TOKENS]);
		memcpy(*out + len, tokens[data[i] % N_TOKENS], n);
		len += n;
	}
	return len;
}

static struct alert_identity ident(const char *service, const char *ns, const char *workload,
				   const char *exe, const char *addr)
{
	struct alert_identity id;

	memset(&id, 0, sizeof(id));
	snprintf(id.service, sizeof(id.service), "%s", service);
	snprintf(id.k8s_namespace, sizeof(id.k8s_namespace), "%s", ns);
	snprintf(id.k8s_workload, sizeof(id.k8s_workload), "%s", workload);
	snprintf(id.exe, sizeof(id.exe), "%s", exe);
	snprintf(id.address, sizeof(id.address), "%s", addr);
	return id;
}

static void check_calls(const struct policy *p)
{
	static const char *const addrs[] = { NULL, "10.1.2.3", "10.1.2.3:8080", "[::1]:6379",
					     "fd00::7", "::ffff:10.0.0.1", "203.0.113.7", "bogus" };
	static const char *const protos[] = { NULL, "http", "redis", "REDIS", "mysql" };
	static const uint16_t ports[] = { 0, 8080, 9050, 65535 };
	static const char *const ops[] = { NULL, "", "GET /users/{id}", "FLUSHALL" };
	struct alert_identity ids[4];
	struct alert_evidence ev = { .pid = 1 };
	uint32_t n = policy_rule_count(p);
	char reason[48];

	ids[0] = ident("orders", "shop", "deployment/orders", "python3", "");
	ids[1] = ident("users", "shop", "deployment/users", "node", "");
	ids[2] = ident("", "", "", "", "203.0.113.7");
	ids[3] = ident("a", "", "", "b", "");
	snprintf(ev.container_id, sizeof(ev.container_id), "3f2a9b");
	snprintf(ev.k8s_pod_name, sizeof(ev.k8s_pod_name), "web-1");

	CHECK(n <= POLICY_MAX_RULES);
	for (int s = 0; s < 5; s++)
		for (int d = 0; d < 5; d++)
			for (size_t k = 0; k < 8; k++) {
				const struct policy_rule_info *m = NULL, *m2 = NULL;
				struct policy_call c = {
					.src = s < 4 ? &ids[s] : NULL,
					.dst = d < 4 ? &ids[d] : NULL,
					.src_ev = s == 0 ? &ev : NULL,
					.src_addr = addrs[(k + (size_t)s) % 8],
					.dst_addr = addrs[k],
					.protocol = protos[k % 5],
					.port = ports[(k + (size_t)d) % 4],
					.operation = ops[(k + (size_t)s + (size_t)d) % 4],
				};
				enum policy_verdict v = policy_check(p, &c, &m);
				int r;

				CHECK(m != NULL);
				CHECK(v == POLICY_ALLOW || v == POLICY_DENY);
				CHECK((uint8_t)v == m->action);
				CHECK(m->severity < ALERT_SEV_COUNT);
				CHECK(m->name && m->name[0]);
				CHECK(m->index < n || m->index == POLICY_DEFAULT_INDEX);
				CHECK(policy_check(p, &c, &m2) == v && m2 == m);
				r = policy_describe(m, reason, sizeof(reason));
				CHECK(r > 0 && strlen(reason) == ((size_t)r < sizeof(reason) ?
								  (size_t)r : sizeof(reason) - 1));
			}
}

static void check_text(const char *text, size_t len, size_t err_len)
{
	char err[160], err2[160];
	struct policy *p, *again;

	memset(err, CANARY, sizeof(err));
	p = policy_parse(text, len, "f.yaml", err_len ? err : NULL, err_len);
	for (size_t i = err_len; i < sizeof(err); i++)
		CHECK((unsigned char)err[i] == CANARY);
	if (err_len)
		CHECK(memchr(err, '\0', err_len) != NULL);
	if (p && err_len)
		CHECK(err[0] == '\0');
	if (!p && err_len > 1)
		CHECK(strncmp(err, "f.yaml", err_len - 1 < 6 ? err_len - 1 : 6) == 0);

	again = policy_parse(text, len, "f.yaml", err2, sizeof(err2));
	CHECK(!p == !again);
	if (p) {
		CHECK(policy_rule_count(p) == policy_rule_count(again));
		check_calls(p);
	} else if (err_len == sizeof(err)) {
		CHECK(strcmp(err, err2) == 0);
	}
	policy_free(again);
	policy_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t err_len, len;
	char *text;

	if (size < 1)
		return 0;
	err_len = data[0] & 0x7f;
	if (err_len >= 127)
		err_len = 160; /* the full buffer: messages compared */
	if (data[0] & 0x80) {
		len = tokenize(data + 1, size - 1, &text);
	} else {
		len = size - 1;
		text = malloc(len ? len : 1);
		CHECK(text);
		memcpy(text, data + 1, len);
	}
	check_text(text, len, err_len);
	free(text);
	return 0;
}
