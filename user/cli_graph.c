// SPDX-License-Identifier: MIT
/*
 * zerotrace graph [--format yaml|dot|mermaid] [--state-dir DIR]
 *                 [--include-candidates] [--no-ports]
 *
 * Writes the service graph of DIR/baseline.v1 (default /var/lib/zerotrace)
 * to stdout: its learned edges and operations, and with
 * --include-candidates also those seen after learning and not accepted.
 * yaml (the default) is an expect file for `zerotrace check` that the same
 * graph passes; --no-ports leaves the ports out (services of a test often
 * listen on random ports), merging edges that differ only by port. dot is
 * for Graphviz (`dot -Tsvg`), mermaid for Markdown renderers: ends by
 * label, an address end drawn round, edges labelled protocol:port and
 * their call count, candidates dashed. The file is only read: a running
 * agent may hold the directory.
 * Exit: 0 written, 1 no baseline or an unreadable or corrupt one (or a
 * write error), 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_graph.h"
#include "graph.h"
#include "security.h"
#include "yaml_read.h"

#define CLI_GRAPH_DEFAULT_STATE_DIR "/var/lib/zerotrace"

int cli_graph_read(struct baseline *b, const char *path, const char *who)
{
	char err[256];
	int rc = baseline_read(b, path, err, sizeof(err));

	if (rc < 0)
		fprintf(stderr, "zerotrace %s: %s: %s (not trusted)\n", who, path, err);
	return rc < 0 ? -1 : rc;
}

static int cli_graph_usage(const char *why)
{
	fprintf(stderr,
		"zerotrace graph: %s\n"
		"Usage: zerotrace graph [--format yaml|dot|mermaid] [--state-dir DIR]\n"
		"                       [--include-candidates] [--no-ports]\n",
		why);
	return 2;
}

int cli_graph(int argc, char **argv)
{
	const char *dir = CLI_GRAPH_DEFAULT_STATE_DIR, *format = "yaml";
	char path[PATH_MAX];
	enum graph_format f;
	unsigned flags = 0;
	struct baseline b;
	struct graph g;
	size_t len = 0;
	char *text;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--state-dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strncmp(argv[i], "--state-dir=", 12))
			dir = argv[i] + 12;
		else if (!strcmp(argv[i], "--format") && i + 1 < argc)
			format = argv[++i];
		else if (!strncmp(argv[i], "--format=", 9))
			format = argv[i] + 9;
		else if (!strcmp(argv[i], "--include-candidates"))
			flags |= GRAPH_CANDIDATES;
		else if (!strcmp(argv[i], "--no-ports"))
			flags |= GRAPH_NO_PORTS;
		else
			return cli_graph_usage("unknown option or missing value");
	}
	if (graph_format_of(format, &f))
		return cli_graph_usage("--format must be yaml, dot or mermaid");
	if (dir[0] != '/')
		return cli_graph_usage("--state-dir must be an absolute path");
	if (snprintf(path, sizeof(path), "%s/%s", dir, SECURITY_BASELINE_FILE) >= (int)sizeof(path))
		return cli_graph_usage("--state-dir is too long");
	if (baseline_init(&b)) {
		fprintf(stderr, "zerotrace graph: %s\n", strerror(ENOMEM));
		return 1;
	}
	rc = cli_graph_read(&b, path, "graph");
	if (rc) {
		if (rc > 0)
			fprintf(stderr, "zerotrace graph: no baseline in %s: the agent has not saved one yet\n",
				dir);
		baseline_free(&b);
		return 1;
	}
	text = graph_build(&g, &b, flags) ? NULL : graph_render(&g, f, &len);
	if (!text) {
		fprintf(stderr, "zerotrace graph: %s\n", strerror(ENOMEM));
		rc = 1;
	} else if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) {
		fprintf(stderr, "zerotrace graph: write: %s\n", strerror(errno));
		rc = 1;
	} else if (f == GRAPH_YAML && len > YREAD_MAX_BYTES) {
		fprintf(stderr, "zerotrace graph: warning: %zu bytes, more than an expect file may hold (%u)\n",
			len, YREAD_MAX_BYTES);
	}
	free(text);
	graph_free(&g);
	baseline_free(&b);
	return rc;
}
