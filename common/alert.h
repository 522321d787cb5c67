/* SPDX-License-Identifier: MIT */
/*
 * The security model every detector and every alert sink shares: who is at
 * each end of a call (a workload identity that survives a rollout), and an
 * alert. Rules are described once, in alert_rules.def; JSON lines, OTLP
 * logs, syslog, the audit trail and /metrics all iterate that one table.
 * Fixed size: an alert is copied by value, never allocated per event.
 */
#ifndef ZT_ALERT_H
#define ZT_ALERT_H

#include <stddef.h>
#include <stdint.h>

#define ALERT_SERVICE_MAX 128
#define ALERT_NAMESPACE_MAX 64
#define ALERT_WORKLOAD_MAX 128
#define ALERT_EXE_MAX 64
#define ALERT_ADDR_MAX 48
#define ALERT_PROTOCOL_MAX 16
#define ALERT_OPERATION_MAX 288
#define ALERT_REASON_MAX 256
#define ALERT_CONTAINER_MAX 72
#define ALERT_POD_MAX 128

/* Severities, ordered; each has a name, an OTel SeverityNumber and an
 * RFC 5424 severity (alert_severity_*). */
enum alert_severity {
	ALERT_SEV_INFO = 0,
	ALERT_SEV_LOW,
	ALERT_SEV_MEDIUM,
	ALERT_SEV_HIGH,
	ALERT_SEV_CRITICAL,
	ALERT_SEV_COUNT,
};

/* Every rule, in alert_rules.def order. */
enum alert_rule {
#define ALERT_RULE(id, name, severity, summary) id,
#include "alert_rules.def"
#undef ALERT_RULE
	ALERT_RULE_COUNT,
};

struct alert_rule_desc {
	const char *name;      /* the stable rule id, as in --disable-rule and every output */
	uint8_t severity;      /* enum alert_severity */
	const char *summary;   /* one line for README and --help */
};

extern const struct alert_rule_desc alert_rules[ALERT_RULE_COUNT];

/* One end of a call. A process on this node is known by its service.name,
 * Kubernetes namespace and workload (when its environment tells them) and
 * executable; a peer off the node (or a process zerotrace does not trace)
 * by its address alone (address != ""; the other fields are ""). Never a
 * pid, a container or a pod: those change on every restart. */
struct alert_identity {
	char service[ALERT_SERVICE_MAX];
	char k8s_namespace[ALERT_NAMESPACE_MAX];
	char k8s_workload[ALERT_WORKLOAD_MAX];
	char exe[ALERT_EXE_MAX];
	char address[ALERT_ADDR_MAX];
};

/* What identifies this instance of an identity, for the analyst. */
struct alert_evidence {
	uint32_t pid;          /* 0: none */
	char container_id[ALERT_CONTAINER_MAX];
	char k8s_pod_name[ALERT_POD_MAX];
};

struct alert {
	uint64_t time_unix_ns;
	uint8_t rule;          /* enum alert_rule */
	uint8_t severity;      /* enum alert_severity (the rule's, or a policy's) */
	uint8_t has_trace;     /* trace_id/span_id name the span that triggered it */
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint16_t port;         /* the server port of the call; 0: none */
	uint64_t count;        /* occurrences this alert stands for (dedup window) */
	char reason[ALERT_REASON_MAX];
	char protocol[ALERT_PROTOCOL_MAX];   /* "http", "redis", "postgresql", "mysql"; "" */
	char operation[ALERT_OPERATION_MAX]; /* "GET /users/{id}", "FLUSHALL"; "" */
	struct alert_identity src;           /* the client side */
	struct alert_identity dst;           /* the server side */
	struct alert_evidence src_evidence;
	struct alert_evidence dst_evidence;
};

/* "info", "low", "medium", "high", "critical"; "unknown" out of range. */
const char *alert_severity_name(uint8_t sev);
/* OTel LogRecord SeverityNumber: INFO 9, WARN 13 (low), WARN4 16 (medium),
 * ERROR 17 (high), FATAL 21 (critical). */
uint8_t alert_severity_otel(uint8_t sev);
/* RFC 5424 severity: 6 informational, 5 notice, 4 warning, 3 error, 2 critical. */
uint8_t alert_severity_syslog(uint8_t sev);
/* The rule of that stable id, or ALERT_RULE_COUNT. */
uint32_t alert_rule_by_name(const char *name, size_t len);
/* "service.name" of a process identity, else its address: one label for
 * an end, as the service graph names it. */
const char *alert_identity_label(const struct alert_identity *id);

#endif /* ZT_ALERT_H */
