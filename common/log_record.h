/* SPDX-License-Identifier: MIT */
/*
 * A log line a traced process wrote (--logs), and the request it was
 * written for: what the JSON lines output and the OTLP log exporter both
 * read. Fixed size, copied by value; the body is already redacted and
 * bounded by --capture-bytes.
 */
#ifndef ZT_LOG_RECORD_H
#define ZT_LOG_RECORD_H

#include <stdint.h>

#include "process.h"

#define LOG_BODY_MAX 4096 /* ZT_CAPTURE_MAX */
#define LOG_SEVERITY_TEXT_MAX 16

/* Where the line went: log.iostream for the first two. */
enum log_stream {
	LOG_STREAM_STDOUT = 1,
	LOG_STREAM_STDERR = 2,
	LOG_STREAM_FILE = 3, /* a regular file opened with O_APPEND */
};

struct log_record {
	uint64_t time_unix_ns;     /* when the write returned */
	uint64_t observed_unix_ns; /* when the agent's sink took it: the same
				    * in every output */
	uint8_t trace_id[16];      /* all zero when has_trace is 0 */
	uint8_t span_id[8];        /* the SERVER span of the request served */
	uint8_t has_trace;
	uint8_t sampled;           /* that trace's head decision (W3C flag 0x01) */
	uint8_t severity_number;   /* OTel SeverityNumber, 0: unspecified */
	uint8_t stream;            /* enum log_stream */
	uint8_t cut;               /* the write held more than the body kept */
	uint8_t pad[3];
	uint32_t pid;
	uint32_t tid;
	int32_t fd;
	uint32_t body_len;
	char severity_text[LOG_SEVERITY_TEXT_MAX]; /* as the line wrote it; "" none */
	char comm[16];
	const struct procinfo *process; /* valid only until the sink returns */
	char body[LOG_BODY_MAX];   /* body_len bytes, no line end, not NUL-ended */
};

#endif /* ZT_LOG_RECORD_H */
