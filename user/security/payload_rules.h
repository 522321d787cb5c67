/* SPDX-License-Identifier: MIT */
/*
 * Payload rules that need no baseline: what one request says is enough.
 * Kept short and precise (research/security.md section 6): each matches
 * the form an attack takes and not the near misses a normal program sends.
 * They read the span's own attributes after redaction, so a literal never
 * decides (SQL literals are '?' by then). Pure functions.
 */
#ifndef ZT_PAYLOAD_RULES_H
#define ZT_PAYLOAD_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "span.h"

/* The rules this span trips, a bit per enum alert_rule (0: none); detail
 * gets a short text of the first match ("url.path /a/../etc/passwd"). */
uint32_t payload_check(const struct span *s, char *detail, size_t cap);

/* The parts, for tests. */
int payload_path_traversal(const char *path, size_t len);
/* The same in a query string, where each parameter's value is a segment. */
int payload_query_traversal(const char *query, size_t len);
int payload_redis_dangerous(const char *operation);
/* dialect: "postgresql" or "mysql"; text is db.query.text (redacted) */
int payload_sql_command_exec(const char *dialect, const char *text, size_t len);
int payload_sql_stacked(const char *text, size_t len);
int payload_sql_tautology(const char *text, size_t len);

#endif /* ZT_PAYLOAD_RULES_H */
