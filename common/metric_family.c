// SPDX-License-Identifier: MIT
#include "metric_family.h"

/* Names and buckets follow OpenTelemetry's metric conventions as Prometheus
 * exposes them (dots to underscores, unit suffix). */
const struct metric_family_desc metric_families[METRIC_FAMILY_COUNT] = {
	[METRIC_HTTP_SERVER] = {
		"http_server_request_duration_seconds", "Duration of HTTP server requests.", 3,
		{ { "http_request_method", 24 }, { "http_route", 256 },
		  { "http_response_status_code", 8 } },
	},
	[METRIC_HTTP_CLIENT] = {
		"http_client_request_duration_seconds", "Duration of HTTP client requests.", 3,
		{ { "http_request_method", 24 }, { "http_route", 256 },
		  { "http_response_status_code", 8 } },
	},
	[METRIC_DB_CLIENT] = {
		"db_client_operation_duration_seconds", "Duration of database client operations.", 2,
		{ { "db_system_name", 16 }, { "db_operation_name", 32 } },
	},
	/* OTel names no server-side database metric */
	[METRIC_DB_SERVER] = {
		"zerotrace_db_server_operation_duration_seconds",
		"Duration of database operations, as the database server saw them.", 2,
		{ { "db_system_name", 16 }, { "db_operation_name", 32 } },
	},
	/* OTel's RPC conventions (release candidate): gRPC calls */
	[METRIC_RPC_SERVER] = {
		"rpc_server_call_duration_seconds", "Duration of RPCs, as their servers saw them.", 3,
		{ { "rpc_system_name", 16 }, { "rpc_method", 160 }, { "rpc_status_code", 24 } },
	},
	[METRIC_RPC_CLIENT] = {
		"rpc_client_call_duration_seconds", "Duration of RPCs, as their clients saw them.", 3,
		{ { "rpc_system_name", 16 }, { "rpc_method", 160 }, { "rpc_status_code", 24 } },
	},
	/* OTel's dns.lookup.duration (development) labels by the name asked
	 * and error.type: the name is unbounded, so the type asked and the
	 * answer's code stand in for them (NXDOMAIN counts by rcode) */
	[METRIC_DNS_CLIENT] = {
		"dns_lookup_duration_seconds", "Duration of DNS queries, as their clients saw them.", 2,
		{ { "dns_question_type", 12 }, { "dns_response_code", 12 } },
	},
	[METRIC_DNS_SERVER] = {
		"zerotrace_dns_server_duration_seconds",
		"Duration of DNS queries, as the DNS server saw them.", 2,
		{ { "dns_question_type", 12 }, { "dns_response_code", 12 } },
	},
};
