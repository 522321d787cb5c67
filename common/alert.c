// SPDX-License-Identifier: MIT
#include <string.h>

#include "alert.h"

const struct alert_rule_desc alert_rules[ALERT_RULE_COUNT] = {
#define ALERT_RULE(id, name, severity, summary) [id] = { name, severity, summary },
#include "alert_rules.def"
#undef ALERT_RULE
};

static const struct {
	const char *name;
	uint8_t otel;
	uint8_t syslog;
} alert_severities[ALERT_SEV_COUNT] = {
	[ALERT_SEV_INFO] = { "info", 9, 6 },
	[ALERT_SEV_LOW] = { "low", 13, 5 },
	[ALERT_SEV_MEDIUM] = { "medium", 16, 4 },
	[ALERT_SEV_HIGH] = { "high", 17, 3 },
	[ALERT_SEV_CRITICAL] = { "critical", 21, 2 },
};

const char *alert_severity_name(uint8_t sev)
{
	return sev < ALERT_SEV_COUNT ? alert_severities[sev].name : "unknown";
}

uint8_t alert_severity_otel(uint8_t sev)
{
	return sev < ALERT_SEV_COUNT ? alert_severities[sev].otel : 0;
}

uint8_t alert_severity_syslog(uint8_t sev)
{
	return sev < ALERT_SEV_COUNT ? alert_severities[sev].syslog : 5;
}

uint32_t alert_rule_by_name(const char *name, size_t len)
{
	for (uint32_t r = 0; r < ALERT_RULE_COUNT; r++)
		if (strlen(alert_rules[r].name) == len && memcmp(alert_rules[r].name, name, len) == 0)
			return r;
	return ALERT_RULE_COUNT;
}

const char *alert_identity_label(const struct alert_identity *id)
{
	return id->address[0] ? id->address : id->service;
}
