// SPDX-License-Identifier: MIT
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "output.h"
#include "span_format.h"
#include "trace_tree.h"

#define TREE_SPANS 4096
#define TREE_GRACE_NS 200000000ULL  /* stragglers after a root ends */
#define TREE_WAIT_NS 5000000000ULL  /* the longest a trace is held */

static char line[SPAN_JSONL_MAX];
/* the process resources spans and log lines share */
static struct span_resource_cache resources;

static void output_line(struct output *o, const struct json_buf *b)
{
	if (b->overflow) {
		o->dropped++;
		return;
	}
	if (fwrite(line, 1, b->len, o->out) != b->len || fputc('\n', o->out) == EOF)
		o->dropped++;
	else
		o->written++;
}

int output_init(struct output *o, FILE *out, enum zt_output mode)
{
	memset(o, 0, sizeof(*o));
	o->out = out;
	if (mode == ZT_OUTPUT_AUTO)
		mode = isatty(fileno(out)) ? ZT_OUTPUT_PRETTY : ZT_OUTPUT_JSONL;
	o->mode = mode;
	setvbuf(out, NULL, _IOFBF, 1 << 16);
	if (mode == ZT_OUTPUT_PRETTY) {
		o->tree = trace_tree_new(TREE_SPANS, TREE_GRACE_NS, TREE_WAIT_NS, out);
		if (!o->tree)
			return -1;
	}
	return 0;
}

void output_span(struct output *o, const struct span *s, const struct procinfo *res)
{
	struct json_buf b;

	if (o->mode == ZT_OUTPUT_NONE)
		return;
	if (o->tree) {
		trace_tree_add(o->tree, s, o->now_ns);
		o->written++;
		return;
	}
	json_buf_init(&b, line, sizeof(line));
	span_format_jsonl(&b, s, res, procinfo_host_name(), &resources);
	output_line(o, &b);
}

void output_log(struct output *o, const struct log_record *r)
{
	struct json_buf b;

	/* the readable mode is for traces: log records only in JSON lines */
	if (o->mode != ZT_OUTPUT_JSONL)
		return;
	json_buf_init(&b, line, sizeof(line));
	log_format_jsonl(&b, r, procinfo_host_name(), &resources);
	output_line(o, &b);
}

void output_flush(struct output *o, uint64_t now_ns)
{
	o->now_ns = now_ns;
	if (o->tree)
		trace_tree_tick(o->tree, now_ns);
	fflush(o->out);
}

void output_close(struct output *o)
{
	if (o->tree) {
		trace_tree_flush(o->tree);
		trace_tree_free(o->tree);
		o->tree = NULL;
	}
	fflush(o->out);
}
