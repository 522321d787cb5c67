#!/usr/bin/env bash
# (sd) --logs: the lines traced servers write become log records linked to
# the request they were written for. Two servers in one cgroup, each
# started once (tests/integration/logs/):
#   py_server.py   ThreadingHTTPServer (a thread per request): per
#                  GET /work?rid=N print(..., flush=True) to stdout (a
#                  file), logging's FileHandler (O_APPEND, opened before
#                  any agent) and a JSON line with "level":"warning" through
#                  logging.StreamHandler(stderr), each one write(2); after
#                  the connection is closed, "INFO rid=N after response"
#                  from the same thread (outside any request); a ticker
#                  thread that never reads a request (not a server thread:
#                  no record). GET /multi: two lines in one write and a
#                  part of a line: no record, counted.
#   node_server.js http, each request held 3 ms: console.log (stdout a
#                  pipe), fs.appendFileSync of a pino-style JSON line
#                  (level 30), console.error "ERROR ..." (stderr a pipe);
#                  a 20 ms timer "INFO timer line ..." under no request.
# Run 1 (--logs, no helper): 300 requests at concurrency 1 and 300 at 8 to
# each server, and 2 to /multi: every line of the Python server linked to
# its request's SERVER span; Node's event loop (a timer's line while one
# request is in flight looks like that request's): no line linked.
# Run 2 (--logs --node-helper; 127.0.0.1:9229 must be free): 300 more to
# Node at 1 and 300 at 8: every line linked to its request.
# In both: lines written outside a request carry no ids (the timer's, the
# Python thread's after its response), each line one record (compared with the servers' own
# captures), severity (INFO 9, [error] 17, "warning" 13, pino 30 -> 9,
# ERROR 17), secrets redacted (password, token), logs_not_one_line = 4
# (the two /multi requests), the final counters equal the records printed;
# OTLP: every record in /v1/logs once, decoded with the official schema
# (ExportLogsServiceRequest), same ids, times, severity, attributes,
# resource, scope zerotrace.logs. Checks: logs/check.py.
. "$(dirname "$0")/lib.sh"
zt_init
zt_agent_has_flag --logs || zt_fail "$ZT_BIN has no --logs flag"
zt_agent_has_flag --node-helper || zt_fail "$ZT_BIN has no --node-helper flag"
zt_otlp_require_agent
command -v node >/dev/null || zt_fail "node not installed (scripts/install-deps.sh brings nodejs)"
zt_otlp_setup

LOGS=$ZT_LIB_DIR/logs
PY_PORT=$(zt_free_port 4)
NODE_PORT=$(zt_free_port 4)
OPORT=$(zt_free_port 4)
zt_cgroup_new logs
CG=$ZT_LAST_CG

# Python: stdout and stderr are files (as zt_bg makes them); print would be
# two writes per line unbuffered, so PYTHONUNBUFFERED is taken away
zt_cg_bg py "$CG" env -u PYTHONUNBUFFERED OTEL_SERVICE_NAME=py-logs "$PY" "$LOGS/py_server.py" \
	--port "$PY_PORT" --log "$TMP/py.app.log" --partial-log "$TMP/py.partial.log"
PY_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$PY_PORT" 10
zt_alive "$PY_PID" || zt_fail "py_server.py died: $(cat "$TMP/py.err")"
PY_LOG_FD=""
for f in /proc/"$PY_PID"/fd/*; do
	[ "$(readlink "$f")" = "$TMP/py.app.log" ] && PY_LOG_FD=${f##*/}
done
[ -n "$PY_LOG_FD" ] || zt_fail "py_server.py has no fd on $TMP/py.app.log"
flags=$(awk '/^flags:/ { print $2 }' "/proc/$PY_PID/fdinfo/$PY_LOG_FD")
(((8#$flags & 8#2000) != 0)) || zt_fail "py_server.py's log file fd $PY_LOG_FD is not O_APPEND (flags $flags)"

# Node: stdout and stderr are pipes (FIFOs, drained by cat into files)
mkfifo "$TMP/node.stdout.fifo" "$TMP/node.stderr.fifo" || zt_fail "mkfifo failed"
zt_bg node.stdout cat "$TMP/node.stdout.fifo"
zt_bg node.stderr cat "$TMP/node.stderr.fifo"
/bin/sh -c 'echo $$ >"$0/cgroup.procs" || exit 126; exec "$@"' "$CG" \
	env OTEL_SERVICE_NAME=node-logs node "$LOGS/node_server.js" --port "$NODE_PORT" \
	--log "$TMP/node.app.log" >"$TMP/node.stdout.fifo" 2>"$TMP/node.stderr.fifo" &
NODE_PID=$!
zt_track "$NODE_PID"
zt_wait_port 127.0.0.1 "$NODE_PORT" 10
zt_alive "$NODE_PID" || zt_fail "node_server.js died: $(cat "$TMP/node.stderr.out")"
for p in "$PY_PID" "$NODE_PID"; do
	zt_in_cgroup "$p" "$CG" || zt_fail "pid $p is not in $CG: $(cat "/proc/$p/cgroup")"
done
NODE_EXE=$(basename "$(readlink "/proc/$NODE_PID/exe")")
log "py_server :$PY_PORT (pid $PY_PID, log fd $PY_LOG_FD), node_server :$NODE_PORT (pid $NODE_PID, $NODE_EXE), in $CG"

zt_otlp_receiver otlp "$OPORT"
OTLP_OUT=$ZT_OTLP_OUT
AGENT_ARGS=(--logs --cgroup "$CG" --port "$PY_PORT" --port "$NODE_PORT"
	--otlp-endpoint "http://127.0.0.1:$OPORT")

# drive NAME PORT N C FIRST_RID [PATH]: drive.py, bounded; all 200 or fail
drive() {
	"$PY" "$LOGS/drive.py" --port "$2" --n "$3" --c "$4" --first "$5" --path "${6:-/work}" \
		--max-seconds 20 --out "$TMP/$1.driver.json" >"$TMP/$1.drive.out" 2>&1 ||
		zt_fail "driver $1: $(tail -n 5 "$TMP/$1.drive.out")"
	log "$1: $(cat "$TMP/$1.drive.out")"
}

# finish TAG AT_LEAST: lets the last writes be read, takes the cut (every
# record up to it must be in OTLP), waits for the receiver to have them
# (at least AT_LEAST: the lines written for requests), stops the agent.
finish() {
	local cut
	zt_settle 1
	cut=$(date +%s%N)
	"$PY" "$LOGS/check.py" wait-otlp "$TMP/$1.spans.jsonl" "$OTLP_OUT" "$cut" 20 "$2" >"$TMP/$1.wait.out" 2>&1
	log "$1: $(cat "$TMP/$1.wait.out")"
	zt_agent_stop_tag "$1"
	eval "CUT_${1^^}=$cut"
	eval "FINAL_${1^^}=\$ZT_FINAL"
}

# Run 1: the thread rule alone (Node's lines: none)
zt_agent_start_tag plain "${AGENT_ARGS[@]}"
drive py1 "$PY_PORT" 300 1 1
drive py8 "$PY_PORT" 300 8 1001
drive pymulti "$PY_PORT" 2 1 5001 /multi
drive node1 "$NODE_PORT" 300 1 2001
drive node8 "$NODE_PORT" 300 8 3001
# 300 x 4 per python phase, 2 after-lines, 300 x 3 per node phase
finish plain $((2 * 300 * 4 + 2 + 2 * 300 * 3))

# Run 2: the Node helper (its inspector opens on 127.0.0.1:9229)
"$PY" - <<'PYEND' || zt_fail "127.0.0.1:9229 is taken: --node-helper would leave Node alone (README, --node-helper)"
import socket, sys
s = socket.socket()
s.settimeout(2)
sys.exit(0 if s.connect_ex(("127.0.0.1", 9229)) != 0 else 1)
PYEND
zt_agent_start_tag helper "${AGENT_ARGS[@]}" --node-helper
for _ in $(seq 150); do
	grep -q "node helper: pid $NODE_PID: script in" "$TMP/helper.agent.err" && break
	sleep 0.1
done
grep -q "node helper: pid $NODE_PID: script in" "$TMP/helper.agent.err" ||
	zt_fail "the helper did not get into node_server.js in 15 s: $(grep "node helper" "$TMP/helper.agent.err")"
drive nodeh1 "$NODE_PORT" 300 1 6001
drive nodeh8 "$NODE_PORT" 300 8 4001
finish helper $((2 * 300 * 3))
zt_alive "$NODE_PID" || zt_fail "node_server.js died after the helper: $(tail -n 5 "$TMP/node.stderr.out")"
zt_alive "$PY_PID" || zt_fail "py_server.py died: $(tail -n 5 "$TMP/py.err")"

ZT_VERSION=$(zt_version)
export TMP PY_PID NODE_PID PY_LOG_FD NODE_EXE OTLP_OUT ZT_VERSION CUT_PLAIN CUT_HELPER \
	FINAL_PLAIN FINAL_HELPER
export PY_SVC=py-logs NODE_SVC=node-logs
export PY_STDOUT=$TMP/py.out PY_STDERR=$TMP/py.err PY_LOG=$TMP/py.app.log
export NODE_STDOUT=$TMP/node.stdout.out NODE_STDERR=$TMP/node.stderr.out NODE_LOG=$TMP/node.app.log
"$PY" "$LOGS/check.py" check || zt_fail "log record checks failed (see ASSERT FAILED lines above)"
zt_pass
