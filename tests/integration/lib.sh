# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Shared helpers for the zerotrace integration tests. Sourced by every test_*.sh.
#
# Each test: zt_init (temp dir, traps), starts its servers with zt_bg, starts
# the agent with zt_agent_start (waits for "zerotrace: ready"), drives
# bounded traffic, stops the agent with zt_agent_stop (SIGINT, exit 0, final
# stats line), then checks the spans with python (ztcheck.py) via zt_py_check.
# Everything a test starts is stopped BY PID on exit.
#
# Environment: ZT_BIN (default build/zerotrace), ZT_KEEP=1 keeps temp dirs.

set -u -o pipefail

ZT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ZT_ROOT=$(cd "$ZT_LIB_DIR/../.." && pwd)
ZT_BIN=${ZT_BIN:-$ZT_ROOT/build/zerotrace}
PY=/usr/bin/python3
TEST_NAME=$(basename "$0" .sh)

TMP=""
AGENT_PID=""
AGENT_STATUS=""
ZT_SPANS=""
ZT_AGENT_ERR=""
ZT_LAST_PID=""
_ZT_PIDS=()
_ZT_HOOKS=()
_ZT_FAILED=0
declare -A ZT_AGENTS=()  # tag -> pid of the agents started with zt_agent_start_tag
declare -A _ZT_AGENT_T0=()
export ZT_SPANS PYTHONPATH="$ZT_LIB_DIR${PYTHONPATH:+:$PYTHONPATH}"

ZT_EXEC_DFL='import os, signal, sys
for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGXFSZ):
    signal.signal(s, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])'

log() { printf '[%s %s] %s\n' "$TEST_NAME" "$(date +%T.%3N)" "$*"; }

zt_init() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "FAIL: $TEST_NAME must run as root" >&2
		exit 1
	fi
	TMP=$(mktemp -d "/tmp/zt-$TEST_NAME.XXXXXX") || exit 1
	chmod 755 "$TMP"
	trap zt_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	ZT_T0_NS=$(date +%s%N)
	export ZT_T0_NS
	if [ ! -x "$ZT_BIN" ]; then
		zt_fail "agent binary $ZT_BIN does not exist (run: make build/zerotrace)"
	fi
}

# Is the process alive (and not a zombie)?
zt_alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

zt_track() { _ZT_PIDS+=("$@"); }
# Command run on exit after every tracked pid was stopped.
zt_on_cleanup() { _ZT_HOOKS+=("$1"); }

# Stop one pid: signal, wait up to $3 seconds, then SIGKILL.
zt_stop_pid() {
	local pid=$1 sig=${2:-TERM} secs=${3:-3} i
	zt_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
	kill "-$sig" "$pid" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		zt_alive "$pid" || break
		sleep 0.1
	done
	if zt_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		sleep 0.1
	fi
	wait "$pid" 2>/dev/null
	return 0
}

zt_cleanup() {
	local rc=$? i
	trap - EXIT INT TERM
	if [ -n "$AGENT_PID" ] && zt_alive "$AGENT_PID"; then
		zt_stop_pid "$AGENT_PID" INT 10
	fi
	for i in "${!ZT_AGENTS[@]}"; do
		zt_stop_pid "${ZT_AGENTS[$i]}" INT 10
	done
	for ((i = ${#_ZT_PIDS[@]} - 1; i >= 0; i--)); do
		zt_stop_pid "${_ZT_PIDS[$i]}" TERM 3
	done
	for ((i = 0; i < ${#_ZT_HOOKS[@]}; i++)); do
		eval "${_ZT_HOOKS[$i]}"
	done
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		if [ "$rc" -ne 0 ] || [ "$_ZT_FAILED" -ne 0 ] || [ "${ZT_KEEP:-0}" = 1 ]; then
			echo "[$TEST_NAME] temp dir kept: $TMP"
		else
			rm -rf "$TMP"
		fi
	fi
	exit "$rc"
}

# Print the agent's stderr and the spans (bounded).
zt_dump() {
	local f n
	for f in "$TMP"/*.agent.err; do
		[ -e "$f" ] || continue
		echo "---- agent stderr ($f):"
		tail -n 60 "$f"
	done
	for f in "$TMP"/*.spans.jsonl; do
		[ -e "$f" ] || continue
		n=$(wc -l <"$f")
		echo "---- spans ($f, $n lines; first 5 shown raw):"
		head -n 5 "$f" | cut -c1-1500
	done
	echo "----"
}

zt_fail() {
	_ZT_FAILED=1
	echo "FAIL: $TEST_NAME: $*"
	zt_dump
	exit 1
}

# A free TCP port on the loopback (4 or 6).
zt_free_port() {
	"$PY" - "${1:-4}" <<'EOF'
import socket, sys
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.bind(("::1" if fam == socket.AF_INET6 else "127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# Wait until HOST:PORT accepts a TCP connection (timeout seconds, default 10).
zt_wait_port() {
	"$PY" - "$1" "$2" "${3:-10}" <<'EOF' || zt_fail "nothing listening on $1:$2 after ${3:-10}s"
import socket, sys, time
host, port, t = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
end = time.monotonic() + t
while time.monotonic() < end:
    try:
        socket.create_connection((host, port), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

# zt_bg NAME CMD...: start CMD in the background, stdout/stderr to
# $TMP/NAME.out/.err; its pid is tracked and left in ZT_LAST_PID.
zt_bg() {
	local name=$1
	shift
	"$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	ZT_LAST_PID=$!
	zt_track "$ZT_LAST_PID"
}

# zt_server NAME HOST PORT [PROTO]: the python test server, waits until it listens.
zt_server() {
	zt_bg "$1" "$PY" "$ZT_LIB_DIR/server.py" --host "$2" --port "$3" --proto "${4:-1.1}"
	local pid=$ZT_LAST_PID
	zt_wait_port "$2" "$3" 10
	zt_alive "$pid" || zt_fail "server $1 died: $(cat "$TMP/$1.err")"
	ZT_LAST_PID=$pid
}

# zt_agent_start [--tag T] ARGS...: start the agent with --output jsonl ARGS,
# spans to $TMP/T.spans.jsonl, stderr to $TMP/T.agent.err; wait for ready.
zt_agent_start() {
	local tag=run i
	if [ "${1:-}" = --tag ]; then
		tag=$2
		shift 2
	fi
	ZT_SPANS=$TMP/$tag.spans.jsonl
	ZT_AGENT_ERR=$TMP/$tag.agent.err
	export ZT_SPANS
	log "agent: $ZT_BIN --output jsonl $*"
	# A background job of a non-interactive shell starts with SIGINT and SIGQUIT
	# ignored (and python would leave SIGPIPE, SIGXFSZ ignored); reset them
	# to the default (exec keeps the pid) so the agent starts as
	# from a terminal.
	# the learned baseline stays in the test's own directory (a later
	# --state-dir of the test wins), never in the node's /var/lib/zerotrace
	"$PY" -c "$ZT_EXEC_DFL" "$ZT_BIN" --output jsonl --state-dir "$TMP/state" "$@" \
		>"$ZT_SPANS" 2>"$ZT_AGENT_ERR" &
	AGENT_PID=$!
	AGENT_STATUS=""
	for ((i = 0; i < 300; i++)); do
		if grep -q '^zerotrace: ready' "$ZT_AGENT_ERR" 2>/dev/null; then
			log "agent ready (pid $AGENT_PID) after $((i / 10)).$((i % 10))s"
			return 0
		fi
		if ! zt_alive "$AGENT_PID"; then
			wait "$AGENT_PID"
			AGENT_STATUS=$?
			zt_fail "agent exited with status $AGENT_STATUS before printing 'zerotrace: ready'"
		fi
		sleep 0.1
	done
	zt_fail "agent did not print 'zerotrace: ready' within 30s"
}

# Stop the agent with SIGINT (or $1), wait (max $2 s, default 20); asserts
# exit status 0 and the final stats line. Sets AGENT_STATUS and ZT_FINAL.
# The seven contract counters, in order; further " name=N" counters may follow.
ZT_FINAL_RE='^zerotrace: final events=[0-9]+ spans=[0-9]+ ringbuf_drops=[0-9]+ parse_misses=[0-9]+ conns=[0-9]+ continuations=[0-9]+ payload_bytes=[0-9]+( [a-z0-9_]+=[0-9]+)*$'
zt_agent_stop() {
	local sig=${1:-INT} secs=${2:-20} i
	[ -n "$AGENT_PID" ] || zt_fail "zt_agent_stop: no agent running"
	kill "-$sig" "$AGENT_PID" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		zt_alive "$AGENT_PID" || break
		sleep 0.1
	done
	if zt_alive "$AGENT_PID"; then
		kill -KILL "$AGENT_PID"
		wait "$AGENT_PID" 2>/dev/null
		AGENT_PID=""
		zt_fail "agent still running ${secs}s after SIG$sig (killed with SIGKILL)"
	fi
	wait "$AGENT_PID"
	AGENT_STATUS=$?
	AGENT_PID=""
	ZT_FINAL=$(grep -E '^zerotrace: final ' "$ZT_AGENT_ERR" | tail -n 1)
	log "agent exited $AGENT_STATUS; ${ZT_FINAL:-<no final line>}; $(wc -l <"$ZT_SPANS") span lines"
	[ "$AGENT_STATUS" -eq 0 ] || zt_fail "agent exit status after SIG$sig: expected 0, got $AGENT_STATUS"
	[[ "$ZT_FINAL" =~ $ZT_FINAL_RE ]] ||
		zt_fail "final stats line missing or malformed; expected to match /$ZT_FINAL_RE/, got: '${ZT_FINAL}'"
}

# Value of KEY in the last final stats line, e.g. zt_final ringbuf_drops
zt_final() {
	sed -n "s/.* $1=\([0-9]*\)\( .*\)\{0,1\}$/\1/p" <<<"$ZT_FINAL"
}

# Run inline python (stdin) with ztcheck importable; fail the test if it fails.
zt_py_check() {
	"$PY" - || zt_fail "span checks failed (see ASSERT FAILED lines above)"
}

# Let the traced processes' last syscalls complete (their sys_exit events are
# emitted when the syscall returns, which can trail the peer by a moment).
zt_settle() { sleep "${1:-0.5}"; }

zt_pass() {
	log "PASS"
	exit 0
}

# ---- several agents, cgroups, network namespaces (tests m..q, accuracy.sh) ----

# zt_agent_start_tag TAG ARGS...: like zt_agent_start, but any number of
# agents may run at once, one per TAG: output to $TMP/TAG.spans.jsonl (with
# --output jsonl, added unless ARGS has --output) or $TMP/TAG.out (--output
# pretty), stderr to $TMP/TAG.agent.err; waits for "zerotrace: ready".
# Sets ZT_AGENTS[TAG] (the pid) and ZT_OUT (the output file).
# zt_agent_launch_tag (same arguments) only starts it; zt_agent_wait_tag TAG
# waits for it, so several agents can get ready at the same time.
zt_agent_start_tag() {
	zt_agent_launch_tag "$@"
	zt_agent_wait_tag "$1"
}

zt_agent_launch_tag() {
	local tag=$1 out
	shift
	case " $* " in
	*" --output "*) out=$TMP/$tag.out ;;
	*) out=$TMP/$tag.spans.jsonl
	   set -- --output jsonl "$@" ;;
	esac
	log "agent $tag: $ZT_BIN $*"
	"$PY" -c "$ZT_EXEC_DFL" "$ZT_BIN" --state-dir "$TMP/state.$tag" "$@" >"$out" 2>"$TMP/$tag.agent.err" &
	ZT_AGENTS[$tag]=$!
	# shellcheck disable=SC2034 # read by the tests
	ZT_OUT=$out
	_ZT_AGENT_T0[$tag]=$(date +%s%N)
}

zt_agent_wait_tag() {
	local tag=$1 err=$TMP/$1.agent.err pid=${ZT_AGENTS[$1]} st ms
	while :; do
		ms=$((($(date +%s%N) - _ZT_AGENT_T0[$tag]) / 1000000))
		if grep -q '^zerotrace: ready' "$err" 2>/dev/null; then
			log "agent $tag ready (pid $pid) after $((ms / 1000)).$((ms % 1000 / 100))s"
			return 0
		fi
		if ! zt_alive "$pid"; then
			wait "$pid"
			st=$?
			unset "ZT_AGENTS[$tag]"
			zt_fail "agent $tag exited with status $st before printing 'zerotrace: ready': $(tail -n 5 "$err")"
		fi
		((ms < 45000)) || zt_fail "agent $tag did not print 'zerotrace: ready' within 45s"
		sleep 0.1
	done
}

# zt_agent_stop_tag TAG [SIG] [SECS]: SIGINT (or SIG) to that agent, waits;
# asserts exit status 0 and the final stats line (left in ZT_FINAL).
zt_agent_stop_tag() {
	local tag=$1 sig=${2:-INT} secs=${3:-20} i pid st err
	pid=${ZT_AGENTS[$tag]:-}
	[ -n "$pid" ] || zt_fail "zt_agent_stop_tag: no agent $tag running"
	err=$TMP/$tag.agent.err
	kill "-$sig" "$pid" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		zt_alive "$pid" || break
		sleep 0.1
	done
	if zt_alive "$pid"; then
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		unset "ZT_AGENTS[$tag]"
		zt_fail "agent $tag still running ${secs}s after SIG$sig (killed with SIGKILL)"
	fi
	wait "$pid"
	st=$?
	unset "ZT_AGENTS[$tag]"
	ZT_FINAL=$(grep -E '^zerotrace: final ' "$err" | tail -n 1)
	log "agent $tag exited $st; ${ZT_FINAL:-<no final line>}"
	[ "$st" -eq 0 ] || zt_fail "agent $tag exit status after SIG$sig: expected 0, got $st"
	[[ "$ZT_FINAL" =~ $ZT_FINAL_RE ]] ||
		zt_fail "agent $tag: final stats line missing or malformed, got: '${ZT_FINAL}'"
}

# Does the agent binary offer FLAG (per its --help)?
zt_agent_has_flag() {
	# the whole help first: grep -q leaving early would kill the writer with
	# SIGPIPE, and pipefail would call that a missing flag
	local help
	help=$("$ZT_BIN" --help 2>&1)
	grep -q -e "$1" <<<"$help"
}

# The cgroup v2 mount point, from /proc/mounts (e.g. /sys/fs/cgroup/unified).
zt_cgroup2_mount() {
	awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts
}

# Remove a cgroup this test made: processes still in it were started by
# this test (through zt_cg_bg) and are stopped by pid, then rmdir (retried).
_zt_cgroup_remove() {
	local dir=$1 p i
	[ -d "$dir" ] || return 0
	for ((i = 0; i < 30; i++)); do
		for p in $(cat "$dir/cgroup.procs" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		rmdir "$dir" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "[$TEST_NAME] WARNING: could not remove cgroup $dir" >&2
}

# zt_cgroup_new NAME: makes a cgroup v2 directory for this test (removed on
# exit, even on failure); its path is left in ZT_LAST_CG.
zt_cgroup_new() {
	local root dir
	root=$(zt_cgroup2_mount)
	[ -n "$root" ] && [ -d "$root" ] || zt_fail "no cgroup2 mount in /proc/mounts"
	dir=$root/zt-$TEST_NAME-$$-$1
	mkdir "$dir" || zt_fail "cannot create cgroup $dir"
	zt_on_cleanup "_zt_cgroup_remove '$dir'"
	ZT_LAST_CG=$dir
}

# zt_cg_bg NAME CGDIR CMD...: like zt_bg, but the process first moves itself
# into CGDIR (writes its own pid to cgroup.procs), then execs CMD (same pid).
zt_cg_bg() {
	local name=$1 cg=$2
	shift 2
	zt_bg "$name" /bin/sh -c 'echo $$ >"$0/cgroup.procs" || exit 126; exec "$@"' "$cg" "$@"
}

# Is PID in cgroup directory CGDIR?
zt_in_cgroup() {
	local rel
	rel=${2#"$(zt_cgroup2_mount)"}
	grep -qx "0::$rel" "/proc/$1/cgroup" 2>/dev/null
}

# zt_netns_new NAME: a network namespace for this test, deleted on exit
# (processes still in it are stopped by pid first). Name in ZT_LAST_NETNS.
zt_netns_new() {
	local ns=zt-$TEST_NAME-$$-$1
	ip netns add "$ns" || zt_fail "ip netns add $ns failed"
	zt_on_cleanup "_zt_netns_remove '$ns'"
	ip -n "$ns" link set lo up || zt_fail "ip -n $ns link set lo up failed"
	ZT_LAST_NETNS=$ns
}

_zt_netns_remove() {
	local ns=$1 p
	for p in $(ip netns pids "$ns" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null || echo "[$TEST_NAME] WARNING: could not delete netns $ns" >&2
}

# zt_stop_untrack PID...: stop these tracked pids now (TERM, 3 s, then KILL)
# and forget them, so cleanup never signals a pid that was reused meanwhile.
zt_stop_untrack() {
	local p i
	for p in "$@"; do
		zt_stop_pid "$p" TERM 3
		for i in "${!_ZT_PIDS[@]}"; do
			[ "${_ZT_PIDS[$i]}" = "$p" ] && unset "_ZT_PIDS[$i]"
		done
	done
	_ZT_PIDS=("${_ZT_PIDS[@]}")
}

# ---- OTLP/HTTP export (tests s_otlp_*) ----
# The receiver (tests/otlp/receiver.js) decodes with the official OTLP
# protobuf root from npm; otlpcheck.py compares what it got with the JSON lines.
ZT_OTLP_DIR=$ZT_ROOT/tests/otlp
export PYTHONPATH="$ZT_OTLP_DIR:$PYTHONPATH"

# zt_npm_ci DIR MODULE...: installs DIR/node_modules (npm ci, from the
# committed package-lock.json) unless node can already require every
# MODULE from DIR; quiet, idempotent, safe to race.
zt_npm_ci() {
	local dir=$1 out js=""
	shift
	command -v node >/dev/null && command -v npm >/dev/null ||
		zt_fail "node and npm are needed in $dir (scripts/install-deps.sh installs them)"
	for m in "$@"; do js+="require('$m');"; done
	(cd "$dir" && node -e "$js") >/dev/null 2>&1 && return 0
	out=$TMP/npm-ci.log
	(
		flock -w 300 9 || exit 1
		cd "$dir" || exit 1
		node -e "$js" 2>/dev/null && exit 0
		npm ci --no-audit --no-fund --loglevel=error && node -e "$js"
	) 9>/tmp/zt-npm-ci.lock >"$out" 2>&1 ||
		zt_fail "npm ci in $dir failed: $(tail -n 20 "$out")"
}

# zt_otlp_setup: the OTLP receiver's node_modules.
zt_otlp_setup() {
	zt_npm_ci "$ZT_OTLP_DIR" otlp-proto/build/src/generated/root.js protobufjs/minimal.js
}

# zt_otlp_require_agent: fails unless the agent binary has the OTLP flags.
zt_otlp_require_agent() {
	zt_agent_has_flag --otlp-endpoint ||
		zt_fail "$ZT_BIN has no --otlp-endpoint flag (rebuild: make build/zerotrace)"
}

# The agent's version ("zerotrace X" -> X).
zt_version() { "$ZT_BIN" --version 2>/dev/null | awk '{ print $2; exit }'; }

# zt_otlp_receiver NAME PORT [RECEIVER ARGS...]: starts receiver.js on
# 127.0.0.1:PORT recording into $TMP/NAME.otlp.jsonl (left in ZT_OTLP_OUT;
# appended to when a receiver of the same NAME is started again), waits until
# it listens. Pid in ZT_LAST_PID. Lifetime bounded by ZT_OTLP_MAX_SECONDS (90).
zt_otlp_receiver() {
	local name=$1 port=$2 pid i
	shift 2
	ZT_OTLP_OUT=$TMP/$name.otlp.jsonl
	zt_bg "$name" node "$ZT_OTLP_DIR/receiver.js" --port "$port" --out "$ZT_OTLP_OUT" \
		--max-seconds "${ZT_OTLP_MAX_SECONDS:-90}" "$@"
	pid=$ZT_LAST_PID
	for ((i = 0; i < 100; i++)); do
		grep -q '^ready ' "$TMP/$name.out" 2>/dev/null && break
		zt_alive "$pid" || zt_fail "OTLP receiver $name died: $(cat "$TMP/$name.err")"
		sleep 0.1
	done
	grep -q '^ready ' "$TMP/$name.out" || zt_fail "OTLP receiver $name not ready after 10s"
	log "OTLP receiver $name on 127.0.0.1:$port (pid $pid) $*"
	ZT_LAST_PID=$pid
}

# Number of spans in the requests a receiver answered with 200 (FILE: its
# ZT_OTLP_OUT).
zt_otlp_count() { "$PY" "$ZT_OTLP_DIR/otlpcheck.py" count "$1"; }

# zt_otlp_wait_count FILE N SECS: waits until the receiver has N spans
# (answered 200); returns 1 on timeout.
zt_otlp_wait_count() {
	local f=$1 n=$2 secs=$3 i c
	for ((i = 0; i < secs * 5; i++)); do
		c=$(zt_otlp_count "$f")
		[ "${c:-0}" -ge "$n" ] && return 0
		sleep 0.2
	done
	return 1
}

# Number of lines (spans) the agent printed so far.
zt_span_lines() { wc -l <"${1:-$ZT_SPANS}" | tr -d ' '; }

# zt_otlp_server NAME PORT: tests/otlp/server_otlp.py (server.py + GET /fail
# -> 500, TCP_NODELAY) on 127.0.0.1:PORT; waits until it listens. Pid in
# ZT_LAST_PID. Environment prefixes (OTEL_SERVICE_NAME=...) reach it.
zt_otlp_server() {
	local pid
	zt_bg "$1" "$PY" "$ZT_OTLP_DIR/server_otlp.py" --host 127.0.0.1 --port "$2"
	pid=$ZT_LAST_PID
	zt_wait_port 127.0.0.1 "$2" 10
	zt_alive "$pid" || zt_fail "server $1 died: $(cat "$TMP/$1.err")"
	ZT_LAST_PID=$pid
}

# zt_otlp_load NAME PORT CLIENTS REQUESTS: CLIENTS keepalive_client.py
# processes at once, REQUESTS GET /items/N each; fails unless every one
# succeeded with REQUESTS 200s. Outputs in $TMP/NAME.K.out.
zt_otlp_load() {
	local name=$1 port=$2 clients=$3 reqs=$4 k pids=() ok
	for ((k = 0; k < clients; k++)); do
		"$PY" "$ZT_LIB_DIR/keepalive_client.py" 127.0.0.1 "$port" "$reqs*GET:/items/" \
			>"$TMP/$name.$k.out" 2>"$TMP/$name.$k.err" &
		pids+=($!)
	done
	for ((k = 0; k < clients; k++)); do
		wait "${pids[$k]}" || zt_fail "load client $name.$k failed: $(tail -c 300 "$TMP/$name.$k.err")"
	done
	ok=$(cat "$TMP/$name".*.out | "$PY" -c '
import json, sys
print(sum(1 for l in sys.stdin for r in json.loads(l)["results"] if r[2] == 200))')
	[ "$ok" -eq $((clients * reqs)) ] || zt_fail "load $name: $ok of $((clients * reqs)) requests got 200"
}
