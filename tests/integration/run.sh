#!/usr/bin/env bash
# Runs every tests/integration/test_*.sh in order, each under a timeout.
# Prints "PASS name" / "FAIL name" (a failing test's output is shown), then
# "N passed, M failed"; exits 1 if any failed.
#
#   tests/integration/run.sh                 # all tests (as root)
#   tests/integration/run.sh test_a test_k   # only those whose names start so
#   ZT_TEST_TIMEOUT=120 ZT_BIN=/path/to/zerotrace ZT_KEEP=1 tests/integration/run.sh
set -u -o pipefail
DIR=$(cd "$(dirname "$0")" && pwd)
TIMEOUT=${ZT_TEST_TIMEOUT:-120}
LOGDIR=$(mktemp -d /tmp/zt-integration-logs.XXXXXX)

tests=()
for t in "$DIR"/test_*.sh; do
	name=$(basename "$t" .sh)
	if (($#)); then
		keep=0
		for p in "$@"; do [[ $name == "$p"* ]] && keep=1; done
		((keep)) || continue
	fi
	tests+=("$t")
done

passed=0
failed=0
failed_names=()
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	start=$(date +%s)
	# timeout signals the whole process group: the test's traps stop what it started
	timeout -k 10 "$TIMEOUT" bash "$t" </dev/null >"$LOGDIR/$name.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	if [ "$rc" -eq 0 ]; then
		echo "PASS $name (${secs}s)"
		passed=$((passed + 1))
	else
		[ "$rc" -eq 124 ] && echo "  ($name timed out after ${TIMEOUT}s)" >>"$LOGDIR/$name.log"
		echo "FAIL $name (${secs}s, status $rc)"
		sed 's/^/    | /' "$LOGDIR/$name.log"
		failed=$((failed + 1))
		failed_names+=("$name")
	fi
done
echo "logs: $LOGDIR"
((failed)) && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
((failed == 0))
