// SPDX-License-Identifier: MIT
#include <stdio.h>

#include "errmsg.h"

void errmsg_vset(char *err, size_t err_len, const char *fmt, va_list ap)
{
	if (err && err_len)
		vsnprintf(err, err_len, fmt, ap);
}

int errmsg_set(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errmsg_vset(err, err_len, fmt, ap);
	va_end(ap);
	return -1;
}
