/* SPDX-License-Identifier: MIT */
/* `zerotrace record FILE [options]` and `zerotrace replay FILE [options]`. */
#ifndef ZT_CLI_REPLAY_H
#define ZT_CLI_REPLAY_H

#include <stdint.h>

#define RECORD_MAX_DEFAULT (256ull << 20)

/* zerotrace record's own arguments, and the agent's options that follow. */
struct record_args {
	const char *path;
	uint64_t max_size;         /* --record-max */
	int argc;
	char **argv;               /* argv[0], then the agent's options */
};

/* argv[0] is "record". -1: go on and run the agent with out->argv;
 * otherwise the exit status (0 after --help, 2 bad usage). */
int cli_record_args(int argc, char **argv, struct record_args *out);
/* argv[0] is "replay". Returns the exit status: 0 replayed, 1 an
 * unreadable, corrupt or truncated file, 2 bad usage. */
int cli_replay(int argc, char **argv);

#endif /* ZT_CLI_REPLAY_H */
