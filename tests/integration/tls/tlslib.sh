# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Helpers of the TLS tests (test_y_tls.sh, test_y2_tls_postgresql.sh), sourced
# after lib.sh and zt_init. Python checks: tls/tlscheck.py (on PYTHONPATH).

export PYTHONPATH="$ZT_LIB_DIR/tls:$PYTHONPATH"

# zt_tls_cert KEY CERT: a self-signed RSA 2048 certificate for CN=localhost,
# valid one day, key unencrypted.
zt_tls_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
		-keyout "$1" -out "$2" >"$TMP/openssl-req.log" 2>&1 ||
		zt_fail "openssl req failed: $(tail -5 "$TMP/openssl-req.log")"
}

# run_bounded SECS IN OUT ERR CMD...: CMD in the background with stdin IN,
# stdout OUT, stderr ERR; its own pid (spans name it, not a wrapper's) is left
# in RB_PID. Stopped (TERM, then KILL) after SECS. Returns its exit status, 1
# when it had to be stopped. The pid is forgotten once it is reaped.
run_bounded() {
	local secs=$1 in=$2 out=$3 err=$4 i
	shift 4
	"$@" <"$in" >"$out" 2>"$err" &
	RB_PID=$!
	zt_track "$RB_PID"
	for ((i = 0; i < secs * 20; i++)); do
		zt_alive "$RB_PID" || break
		sleep 0.05
	done
	if zt_alive "$RB_PID"; then
		echo "run_bounded: $1 still running after ${secs}s, stopped" >>"$err"
		zt_stop_untrack "$RB_PID"
		return 1
	fi
	wait "$RB_PID"
	i=$?
	zt_stop_untrack "$RB_PID"
	return "$i"
}
