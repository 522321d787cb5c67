/* SPDX-License-Identifier: MIT */
/* Alerts for the sink tests (test_alert_json.c, test_syslog.c,
 * test_otlp_logs.c): one with every field, and one as bare as a rule makes. */
#ifndef ZT_ALERT_FIXTURE_H
#define ZT_ALERT_FIXTURE_H

#include <string.h>

#include "alert.h"

#define AF_TIME_NS 1700000000123456789ULL /* 2023-11-14T22:13:20.123456789Z */

/* sql_command_exec (critical) from a traced service to an address off the
 * node, inside a trace. */
static inline struct alert alert_fixture_full(void)
{
	struct alert a;

	memset(&a, 0, sizeof(a));
	a.time_unix_ns = AF_TIME_NS;
	a.rule = ALERT_SQL_COMMAND_EXEC;
	a.severity = ALERT_SEV_CRITICAL;
	a.has_trace = 1;
	for (int i = 0; i < 16; i++)
		a.trace_id[i] = (uint8_t)(i + 1);
	for (int i = 0; i < 8; i++)
		a.span_id[i] = (uint8_t)(0xa1 + i);
	a.port = 5432;
	a.count = 3;
	strcpy(a.reason, "checkout ran a program through postgresql");
	strcpy(a.protocol, "postgresql");
	strcpy(a.operation, "COPY users TO PROGRAM 'id'");
	strcpy(a.src.service, "checkout");
	strcpy(a.src.k8s_namespace, "shop");
	strcpy(a.src.k8s_workload, "checkout");
	strcpy(a.src.exe, "python3");
	a.src_evidence.pid = 4242;
	strcpy(a.src_evidence.container_id, "abc123");
	strcpy(a.src_evidence.k8s_pod_name, "checkout-7d9f");
	strcpy(a.dst.address, "10.0.0.7");
	return a;
}

/* new_edge (medium): service "a" to address "b", nothing else. */
static inline struct alert alert_fixture_min(void)
{
	struct alert a;

	memset(&a, 0, sizeof(a));
	a.time_unix_ns = 1000;
	a.rule = ALERT_NEW_EDGE;
	a.severity = ALERT_SEV_MEDIUM;
	a.count = 1;
	strcpy(a.reason, "x");
	strcpy(a.src.service, "a");
	strcpy(a.dst.address, "b");
	return a;
}

/* Every string field full of `c` (one short of its size). */
static inline struct alert alert_fixture_filled(char c)
{
	struct alert a = alert_fixture_full();

#define AF_FILL(f) (memset((f), c, sizeof(f) - 1), (f)[sizeof(f) - 1] = '\0')
	AF_FILL(a.reason);
	AF_FILL(a.protocol);
	AF_FILL(a.operation);
	AF_FILL(a.src.service);
	AF_FILL(a.src.k8s_namespace);
	AF_FILL(a.src.k8s_workload);
	AF_FILL(a.src.exe);
	AF_FILL(a.src.address);
	AF_FILL(a.dst.service);
	AF_FILL(a.dst.k8s_namespace);
	AF_FILL(a.dst.k8s_workload);
	AF_FILL(a.dst.exe);
	AF_FILL(a.dst.address);
	AF_FILL(a.src_evidence.container_id);
	AF_FILL(a.src_evidence.k8s_pod_name);
	AF_FILL(a.dst_evidence.container_id);
	AF_FILL(a.dst_evidence.k8s_pod_name);
#undef AF_FILL
	a.src_evidence.pid = UINT32_MAX;
	a.dst_evidence.pid = UINT32_MAX;
	a.count = UINT64_MAX;
	a.port = UINT16_MAX;
	return a;
}

#endif /* ZT_ALERT_FIXTURE_H */
