/* SPDX-License-Identifier: MIT */
/*
 * Internal to the syslog exporter (syslog_format.c, syslog_addr.c,
 * syslog_sink.c): what its files share. Nothing else includes this.
 */
#ifndef ZT_SYSLOG_INTERNAL_H
#define ZT_SYSLOG_INTERNAL_H

#include <stddef.h>

#define SL_HOSTNAME_MAX 255

/* syslog_addr.c: fills err (when given) and returns -1 */
__attribute__((format(printf, 3, 4)))
int sl_fail(char *err, size_t err_len, const char *fmt, ...);

#endif
