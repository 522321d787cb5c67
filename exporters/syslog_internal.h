/* SPDX-License-Identifier: MIT */
/*
 * Internal to the syslog exporter (syslog_format.c, syslog_addr.c,
 * syslog_sink.c): what its files share. Nothing else includes this.
 */
#ifndef ZT_SYSLOG_INTERNAL_H
#define ZT_SYSLOG_INTERNAL_H

#include "errmsg.h"

#include <stddef.h>

#define SL_HOSTNAME_MAX 255

/* syslog_addr.c: fills err (when given) and returns -1 */

#endif
