/* SPDX-License-Identifier: MIT */
/* The message of a parse or check that failed, into the caller's buffer
 * (err may be NULL or err_len 0: then only the result says it failed). */
#ifndef ZT_ERRMSG_H
#define ZT_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/* Always returns -1, so a parser can `return errmsg_set(...)`. */
__attribute__((format(printf, 3, 4)))
int errmsg_set(char *err, size_t err_len, const char *fmt, ...);
void errmsg_vset(char *err, size_t err_len, const char *fmt, va_list ap);

#endif /* ZT_ERRMSG_H */
