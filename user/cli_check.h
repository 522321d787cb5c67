/* SPDX-License-Identifier: MIT */
/* `zerotrace check --expect FILE ... -- CMD ...`: runs CMD (a service's
 * integration tests) under the agent and compares the service graph it
 * made with an expected one. Returns the exit status. */
#ifndef ZT_CLI_CHECK_H
#define ZT_CLI_CHECK_H

int cli_check(int argc, char **argv);

#endif /* ZT_CLI_CHECK_H */
