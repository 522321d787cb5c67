# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Helpers of the security tests (test_z*). Source after lib.sh, zt_init and
# services/scenario.sh.
#
#   sec_load TAG RATE SECONDS [FAIL_EVERY] [URL]
#                      sec_load.py in $SC_CG as service "loadgen": GET
#                      URL (default users /users) at RATE/s for SECONDS;
#                      waits for it; fails the test if it did not send all
#   sec_alerts FILE [RULE]
#                      the alert lines of FILE (of RULE), one JSON per line
#   sec_count FILE RULE
#                      how many alerts of RULE are in FILE
#   sec_expect_count FILE RULE N WHAT
#                      fails the test unless FILE holds exactly N alerts of RULE

SEC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

sec_load() {
	local tag=$1 rate=$2 secs=$3 every=${4:-0} url=${5:-http://127.0.0.1:$USERS_PORT/users}
	zt_cg_bg "$tag" "$SC_CG" env OTEL_SERVICE_NAME=loadgen "$PY" "$SEC_DIR/sec_load.py" \
		--url "$url" --rate "$rate" --seconds "$secs" --fail-every "$every"
	local pid=$ZT_LAST_PID rc
	wait "$pid"
	rc=$?
	zt_stop_untrack "$pid"
	log "load $tag: $rate/s for ${secs}s (fail every ${every}): $(cat "$TMP/$tag.out" "$TMP/$tag.err")"
	[ "$rc" -eq 0 ] || zt_fail "load $tag failed (status $rc): $(cat "$TMP/$tag.err")"
}

sec_alerts() {
	local file=$1 rule=${2:-}
	[ -f "$file" ] || return 0
	if [ -n "$rule" ]; then
		grep -F "\"rule\":{\"id\":\"$rule\"" "$file" || true
	else
		cat "$file"
	fi
}

sec_count() {
	sec_alerts "$1" "$2" | wc -l
}

sec_expect_count() {
	local n
	n=$(sec_count "$1" "$2")
	if [ "$n" -ne "$3" ]; then
		log "alerts in $1:"
		sec_alerts "$1" | sed 's/^/    /' >&2
		zt_fail "$4: expected $3 alert(s) of rule $2, got $n"
	fi
}
