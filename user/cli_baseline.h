/* SPDX-License-Identifier: MIT */
/* `zerotrace baseline show|accept|reset`: the operator's view of the
 * learned service graph in --state-dir. Returns the exit status. */
#ifndef ZT_CLI_BASELINE_H
#define ZT_CLI_BASELINE_H

int cli_baseline(int argc, char **argv);

#endif /* ZT_CLI_BASELINE_H */
