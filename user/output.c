// SPDX-License-Identifier: MIT
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "output.h"
#include "span_format.h"

#define OUTPUT_LINE_MAX 16384

void output_init(struct output *o, FILE *out, enum zt_output mode)
{
	o->out = out;
	if (mode == ZT_OUTPUT_AUTO)
		mode = isatty(fileno(out)) ? ZT_OUTPUT_PRETTY : ZT_OUTPUT_JSONL;
	o->mode = mode;
	o->written = o->dropped = 0;
	setvbuf(out, NULL, _IOFBF, 1 << 16);
}

void output_span(void *ctx, const struct span *s)
{
	static char line[OUTPUT_LINE_MAX];
	struct output *o = ctx;
	struct json_buf b;
	size_t len;

	if (o->mode == ZT_OUTPUT_PRETTY) {
		span_format_pretty(line, sizeof(line), s);
		len = strlen(line);
	} else {
		json_buf_init(&b, line, sizeof(line));
		span_format_jsonl(&b, s);
		if (b.overflow) {
			o->dropped++;
			return;
		}
		len = b.len;
	}
	if (fwrite(line, 1, len, o->out) != len || fputc('\n', o->out) == EOF)
		o->dropped++;
	else
		o->written++;
}

void output_flush(struct output *o)
{
	fflush(o->out);
}
