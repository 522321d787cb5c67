#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The user-space pipeline's cost per event, counted rather than timed (so it
# repeats on a noisy machine): `zerotrace replay FILE` under callgrind, once
# with --output none (parse, stitch, build) and once with --output jsonl to
# /dev/null (plus formatting), each printed as
#   instructions per event (none): N
#   instructions per event (jsonl): N
# with the last one also as "instructions per event: N". N counts what the
# live agent runs for its records: the pipeline's entry points (a record
# pushed, a clock turn, the final drain) and what they call, over the
# ring-buffer records (events) the replay fed in, from its final
# "zerotrace replay: records=R events=E ..." line. Reading the file (its
# checksums: a quarter of the whole) and startup are left out; the whole
# run's count per event follows as "whole replay per event (MODE): M".
#
#   scripts/replay_cost.sh FILE      (FILE from `zerotrace record FILE ...`)
#   ZT_BIN=/path/to/zerotrace scripts/replay_cost.sh FILE
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ZT_BIN=${ZT_BIN:-$ROOT/build/zerotrace}
FILE=${1:?usage: replay_cost.sh FILE}
command -v valgrind >/dev/null || { echo "replay_cost: valgrind is missing (scripts/install-deps.sh)" >&2; exit 1; }
[ -r "$FILE" ] || { echo "replay_cost: cannot read $FILE" >&2; exit 1; }
WORK=$(mktemp -d /tmp/zt-replay-cost.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

per_event=""
for mode in none jsonl; do
	valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$mode" \
		"$ZT_BIN" replay "$FILE" --output "$mode" \
		>/dev/null 2>"$WORK/err.$mode" ||
		{ echo "replay_cost: replay failed:" >&2; cat "$WORK/err.$mode" >&2; exit 1; }
	whole=$(sed -n 's/^totals: \([0-9]*\).*/\1/p' "$WORK/cg.$mode")
	valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.pipe.$mode" \
		--toggle-collect=pipeline_push --toggle-collect=pipeline_turn \
		--toggle-collect=pipeline_release --toggle-collect=fflush \
		"$ZT_BIN" replay "$FILE" --output "$mode" >/dev/null 2>/dev/null ||
		{ echo "replay_cost: replay failed the second time ($mode)" >&2; exit 1; }
	ir=$(sed -n 's/^totals: \([0-9]*\).*/\1/p' "$WORK/cg.pipe.$mode")
	events=$(sed -n 's/^zerotrace replay: records=[0-9]* events=\([0-9]*\) .*/\1/p' "$WORK/err.$mode" | tail -n 1)
	if [ -z "$ir" ] || [ -z "$whole" ] || [ -z "$events" ] || [ "$events" -eq 0 ]; then
		echo "replay_cost: no instruction total or event count ($mode)" >&2
		exit 1
	fi
	per_event=$((ir / events))
	echo "instructions per event ($mode): $per_event"
	echo "whole replay per event ($mode): $((whole / events))"
done
echo "instructions per event: $per_event"
