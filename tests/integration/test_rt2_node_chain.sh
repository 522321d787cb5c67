#!/usr/bin/env bash
# (rt2) whole traces from an event loop: the 3-service chain on Node's `http`
# module with keep-alive agents (runtimes/nodesvc.js; no SDK), the gateway
# awaiting a setTimeout between its two calls, orders reading Redis (one
# shared, pipelined connection: GET rid:N) before it calls users. 300
# requests at concurrency 1, 8 and 32, twice:
#   default: one thread serves every request of a process: at concurrency 1
#     every tree must be whole (>= 99%); at 8 and 32 the share is reported;
#   --node-helper with 127.0.0.1:9229 already taken: all 3 processes left
#     alone (not signalled: no inspector banner), counted as skipped;
#   --node-helper, with the services started after the agent (it finds
#     them by their exec) and their pools empty: the script is put in
#     through each process's inspector (which is closed again: the port
#     refuses afterwards, the services live on); >= 99% at every
#     concurrency; a second agent on the same processes closes each
#     inspector again (the script is in already).
# No parent link or trace may join two requests, in any run.
. "$(dirname "$0")/lib.sh"
. "$ZT_LIB_DIR/dblib.sh"
. "$ZT_LIB_DIR/services/scenario.sh"
. "$ZT_LIB_DIR/runtimes/rtlib.sh"
zt_init

command -v node >/dev/null || zt_fail "node not installed (scripts/install-deps.sh brings nodejs)"
zt_redis_start
RT_ORDERS_ARGS="--redis $REDIS_PORT" rt_chain_start node node "$ZT_LIB_DIR/runtimes/nodesvc.js"
SC_PORTS="$SC_PORTS,redis=$REDIS_PORT"
rc=0

zt_agent_start_tag plain --cgroup "$SC_CG"
sc_drive p1 300 1 1
sc_drive p8 300 8 1001
sc_drive p32 300 32 2001
zt_settle 1
zt_agent_stop_tag plain
sc_check "$TMP/plain.spans.jsonl" "node c=1" 99 --spec redis --edges --max-false-links 0 "$TMP/p1.driver.json" || rc=1
for c in 8 32; do
	sc_check "$TMP/plain.spans.jsonl" "node c=$c" "" --spec redis --show-bad 2 --max-false-links 0 "$TMP/p$c.driver.json" || rc=1
done

# 127.0.0.1:9229 already taken (another program's inspector, say): the
# helper must not signal, let alone connect to what listens there
zt_bg port9229 "$PY" -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9229)); s.listen(8); print("listening", flush=True); time.sleep(60)'
TAKER_PID=$ZT_LAST_PID
for _ in $(seq 50); do grep -q listening "$TMP/port9229.out" && break; sleep 0.1; done
zt_agent_start_tag taken --cgroup "$SC_CG" --node-helper
for _ in $(seq 100); do
	[ "$(grep -c "9229 is taken" "$TMP/taken.agent.err")" -ge 3 ] && break
	sleep 0.1
done
zt_agent_stop_tag taken
zt_stop_untrack "$TAKER_PID"
[ "$(grep -c "9229 is taken" "$TMP/taken.agent.err")" -ge 3 ] ||
	zt_fail "with 9229 taken the helper did not leave the 3 processes alone: $(grep "node helper" "$TMP/taken.agent.err")"
grep -q "node_injected=0 node_skipped=3 " "$TMP/taken.agent.err" ||
	zt_fail "with 9229 taken: $(grep -o "node_injected=[0-9]* node_skipped=[0-9]*" "$TMP/taken.agent.err")"
if grep -l "Debugger listening" "$TMP"/node.*.err; then
	zt_fail "a service opened its inspector though 9229 was taken"
fi

# the helper's run starts new services after the agent (their exec is
# what the agent sees), whose pools grow new connections under load
rt_chain_stop
zt_agent_start_tag helper --cgroup "$SC_CG" --node-helper
RT_CG=$SC_CG RT_ORDERS_ARGS="--redis $REDIS_PORT" rt_chain_start node2 node "$ZT_LIB_DIR/runtimes/nodesvc.js"
SC_PORTS="$SC_PORTS,redis=$REDIS_PORT"
for _ in $(seq 100); do
	[ "$(grep -c "node helper: pid .*: script in" "$TMP/helper.agent.err")" -ge 3 ] && break
	sleep 0.1
done
[ "$(grep -c "node helper: pid .*: script in" "$TMP/helper.agent.err")" -ge 3 ] ||
	zt_fail "the helper did not get into the 3 Node processes in 10 s: $(grep "node helper" "$TMP/helper.agent.err")"
"$PY" - <<'PYEND' || zt_fail "an inspector is still open on 127.0.0.1:9229 after the helper closed it"
import socket, sys
s = socket.socket()
s.settimeout(2)
sys.exit(0 if s.connect_ex(("127.0.0.1", 9229)) != 0 else 1)
PYEND
sc_drive h1 300 1 100001
sc_drive h8 300 8 200001
sc_drive h32 300 32 300001
zt_settle 1
zt_agent_stop_tag helper
for c in 1 8 32; do
	sc_check "$TMP/helper.spans.jsonl" "node --node-helper c=$c" 99 --spec redis --edges --max-false-links 0 "$TMP/h$c.driver.json" || rc=1
done
# a second agent finds the script already in each process: it must close
# the inspector it opened all the same
zt_agent_start_tag again --cgroup "$SC_CG" --node-helper
for _ in $(seq 100); do
	[ "$(grep -c "node helper: pid .*: script in" "$TMP/again.agent.err")" -ge 3 ] && break
	sleep 0.1
done
zt_agent_stop_tag again
grep -q "node_injected=3 node_skipped=0 node_failed=0 node_left_open=0 " "$TMP/again.agent.err" ||
	zt_fail "a second helper on the same processes: $(grep -o "node_injected=[0-9]* .*node_left_open=[0-9]*" "$TMP/again.agent.err"; grep "node helper" "$TMP/again.agent.err")"
for p in "$GW_PID" "$ORDERS_PID" "$USERS_PID"; do
	zt_alive "$p" || zt_fail "service pid $p died after the helper: $(tail -5 "$TMP"/node2.*.err)"
done
rt_chain_stop
for tag in plain helper; do
	log "$tag: $(grep -oE "ambiguous_thread=[0-9]+|node_injected=.*unlinked_helper=[0-9]+" "$TMP/$tag.agent.err" | tr '\n' ' ')"
done
((rc == 0)) || zt_fail "Node chain: trees or false links out of bounds (above)"
zt_pass
