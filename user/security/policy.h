/* SPDX-License-Identifier: MIT */
/*
 * A network policy for the calls zerotrace sees: which service may call
 * which, on which ports, protocols and operations. A call the policy denies
 * is an alert of rule policy_deny (the policy never blocks anything). The
 * vocabulary is Kubernetes NetworkPolicy's and Cilium's (selectors, peers,
 * cidr, ports with ranges, L7 operations); the order is NeuVector's:
 *
 *   version: 1
 *   default: allow          # or deny: a call no rule matches is denied
 *   rules:                  # top-down: the FIRST rule that matches decides
 *     - name: health-checks-are-fine
 *       action: allow
 *       to: { service: users }
 *       operations: ["GET /health"]
 *     - name: orders-may-not-call-users
 *       action: deny        # deny | allow
 *       severity: high      # deny only; default: policy_deny's (high)
 *       from: { service: orders }
 *       to:   { service: users }
 *       ports: [8080, "9000-9100"]
 *       protocols: [http, redis]
 *       operations: ["GET /users*", "FLUSHALL"]
 *
 * Rules are read top-down and the first one whose every part matches gives
 * the verdict; nothing after it is looked at, so an allow rule placed
 * above a deny rule is an exception to it ("deny beats allow" as in Cilium
 * would make such exceptions impossible). No rule matching: `default`.
 *
 * A rule matches when all of its parts match (a part left out matches
 * anything):
 *   from, to     selectors of the client and the server end. Keys, all of
 *                which must match: service, namespace, workload, exe (glob
 *                patterns, fnmatch without flags: '*' also crosses '/'),
 *                pod (glob on the pod name), container (a prefix of the
 *                container id), cidr (addresses "10.0.0.0/8", "::1/128";
 *                a bare address is a /32 or /128). Each key takes one value
 *                or a list of values, any of which may match. A process on
 *                this node is matched by its identity and by the address of
 *                its end of the connection (cidr); a peer off the node by
 *                its address only, so `service: x` never matches it.
 *                An IPv4-mapped IPv6 address (::ffff:a.b.c.d) matches IPv4
 *                blocks.
 *   ports        the server port: numbers and "LOW-HIGH" ranges, 1..65535.
 *   protocols    http, redis, postgresql, mysql (as in alerts).
 *   operations   glob patterns on the call's operation text as alerts show
 *                it ("GET /users/{id}", "FLUSHALL", "SELECT"); case matters.
 *
 * Names: each rule has a unique name, 1..63 characters of letters, digits,
 * '.', '_' and '-'; it goes into the alert's reason. Unknown keys, wrong
 * types, a second document, aliases and values out of range are errors
 * "FILE:LINE:COL: what" (1-based). Bounded: POLICY_MAX_RULES rules,
 * POLICY_MAX_LIST values in any one list, POLICY_MAX_PATTERN bytes a
 * pattern, YREAD_MAX_BYTES a file.
 */
#ifndef ZT_POLICY_H
#define ZT_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"

#define POLICY_MAX_RULES 1024
#define POLICY_MAX_LIST 64
#define POLICY_MAX_NAME 63
#define POLICY_MAX_PATTERN 255

enum policy_verdict {
	POLICY_ALLOW = 0,
	POLICY_DENY = 1,
};

/* What decided: a rule, or the policy's default. */
struct policy_rule_info {
	const char *name;      /* the rule's name; "default" for the default */
	uint32_t index;        /* the rule's place, 0-based; POLICY_DEFAULT_INDEX */
	uint8_t action;        /* enum policy_verdict */
	uint8_t severity;      /* enum alert_severity, for a deny */
};

#define POLICY_DEFAULT_INDEX UINT32_MAX

/* One call, as the detector sees it. Any pointer may be NULL (that part is
 * unknown, and a rule part that needs it does not match). */
struct policy_call {
	const struct alert_identity *src;   /* the client */
	const struct alert_identity *dst;   /* the server */
	const struct alert_evidence *src_ev;
	const struct alert_evidence *dst_ev;
	/* The connection's client and server addresses as text: "10.1.2.3",
	 * "::1", "[::1]:80" or "10.1.2.3:80"; when NULL or "", the identity's
	 * address is used. cidr selectors match these. */
	const char *src_addr;
	const char *dst_addr;
	const char *protocol;  /* "http", "redis", "postgresql", "mysql" */
	uint16_t port;         /* the server port; 0: unknown */
	const char *operation; /* "GET /users/{id}", "FLUSHALL"; NULL or "": none */
};

struct policy;

/* Parses a policy held in text[0..len) (not NUL-terminated). NULL on
 * error, with err "FILENAME:LINE:COL: what" (or "FILENAME: what"). */
struct policy *policy_parse(const char *text, size_t len, const char *filename, char *err,
			    size_t err_len);
/* Reads the file at path and parses it; "PATH: why" when it cannot be read. */
struct policy *policy_load(const char *path, char *err, size_t err_len);
void policy_free(struct policy *p);

/* The verdict on one call; *matched (when not NULL) gets the rule that
 * decided, or the default's info. A NULL policy allows everything. The
 * pointers stay valid until policy_free. */
enum policy_verdict policy_check(const struct policy *p, const struct policy_call *c,
				 const struct policy_rule_info **matched);
/* Rules in the policy. */
uint32_t policy_rule_count(const struct policy *p);
/* For an alert's reason: "denied by policy rule 'NAME'" or "no policy rule
 * allows it (default: deny)". Returns what snprintf returns. */
int policy_describe(const struct policy_rule_info *m, char *buf, size_t len);

#endif /* ZT_POLICY_H */
