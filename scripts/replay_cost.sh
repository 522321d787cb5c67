#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The user-space pipeline's cost per event, counted rather than timed (so it
# repeats on a noisy machine): `zerotrace replay FILE` under callgrind, once
# with --output none (parse, stitch, build) and once with --output jsonl to
# /dev/null (plus formatting), each printed as
#   instructions per event (none): N
#   instructions per event (jsonl): N
# with the last one also as "instructions per event: N". N is the total Ir
# of the run (startup included) over the ring-buffer records (events) the
# replay fed in, from its final "zerotrace replay: records=R events=E ..."
# line; the more events FILE holds, the less startup weighs.
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
	ir=$(sed -n 's/^totals: \([0-9]*\).*/\1/p' "$WORK/cg.$mode")
	events=$(sed -n 's/^zerotrace replay: records=[0-9]* events=\([0-9]*\) .*/\1/p' "$WORK/err.$mode" | tail -n 1)
	if [ -z "$ir" ] || [ -z "$events" ] || [ "$events" -eq 0 ]; then
		echo "replay_cost: no instruction total or event count ($mode)" >&2
		exit 1
	fi
	per_event=$((ir / events))
	echo "instructions per event ($mode): $per_event"
done
echo "instructions per event: $per_event"
