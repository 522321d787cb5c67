/* SPDX-License-Identifier: MIT */
/* `zerotrace graph`: the learned service graph of a --state-dir as YAML
 * (an expect file for `zerotrace check`), Graphviz DOT or Mermaid.
 * Returns the exit status. */
#ifndef ZT_CLI_GRAPH_H
#define ZT_CLI_GRAPH_H

#include "baseline.h"

int cli_graph(int argc, char **argv);
/* Reads and parses the baseline at path without setting a bad file aside
 * (that is the agent's call): 0, 1 when there is no file, -1 when it
 * cannot be read or is corrupt (said on stderr, after "zerotrace WHO: "). */
int cli_graph_read(struct baseline *b, const char *path, const char *who);

#endif /* ZT_CLI_GRAPH_H */
