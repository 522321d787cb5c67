/* SPDX-License-Identifier: MIT */
/*
 * What one write(2) of a log line holds (--logs): whether it is exactly one
 * line, and the severity the line states. Pure, over the bytes the kernel
 * copied; no allocation.
 */
#ifndef ZT_LOG_LINE_H
#define ZT_LOG_LINE_H

#include <stddef.h>
#include <stdint.h>

#include "log_record.h"

enum log_line_shape {
	LOG_LINE_ONE = 0,  /* one line, ended by the write's only '\n' */
	LOG_LINE_MANY = 1, /* more than one line: stdio flushed several at once */
	LOG_LINE_PART = 2, /* no line end, or a line end alone: part of a line */
	/* longer than the copy, ending with a line end: one line only if no
	 * '\n' hides in the bytes not copied, which cannot be known */
	LOG_LINE_LONG = 3,
};

/*
 * p[0..cap) are the first bytes of a write of `bytes` in all; when cap <
 * bytes, tail[0..tail_len) are its last ones. *body_len: on LOG_LINE_ONE
 * the line's length without its "\n" or "\r\n"; on LOG_LINE_LONG, cap
 * (the copied head of it); else 0.
 */
enum log_line_shape log_line_shape(const uint8_t *p, size_t cap, uint64_t bytes,
				   const uint8_t *tail, size_t tail_len, size_t *body_len);

/*
 * The OTel SeverityNumber a line states, 0 when none: a JSON object's
 * top-level "level" or "severity" (a name, or pino's 10..60), else a
 * leading level word (after spaces and one '[' or '<'), ended by a
 * character that is not a letter. Names: TRACE 1, DEBUG 5, INFO 9,
 * NOTICE 10, WARN/WARNING 13, ERROR/ERR 17, FATAL/CRITICAL/CRIT/PANIC 21
 * (any case). text gets the name as written (cut to 15 bytes), "" when 0.
 */
uint8_t log_line_severity(const char *body, size_t len, char text[LOG_SEVERITY_TEXT_MAX]);

#endif /* ZT_LOG_LINE_H */
