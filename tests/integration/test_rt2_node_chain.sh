#!/usr/bin/env bash
# (rt2) whole traces from an event loop: the 3-service chain on Node's `http`
# module with keep-alive agents (runtimes/nodesvc.js; no SDK), the gateway
# awaiting a setTimeout between its two calls, orders reading Redis (one
# shared, pipelined connection: GET rid:N) before it calls users. 300
# requests at concurrency 1, 8 and 32. One thread serves every request of
# a process: at concurrency 1 every tree must be whole (>= 99%); at 8 and
# 32 the share is reported, and at every concurrency no parent link or
# trace may join two requests.
. "$(dirname "$0")/lib.sh"
. "$ZT_LIB_DIR/dblib.sh"
. "$ZT_LIB_DIR/services/scenario.sh"
. "$ZT_LIB_DIR/runtimes/rtlib.sh"
zt_init

command -v node >/dev/null || zt_fail "node not installed (scripts/install-deps.sh brings nodejs)"
zt_redis_start
RT_ORDERS_ARGS="--redis $REDIS_PORT" rt_chain_start node node "$ZT_LIB_DIR/runtimes/nodesvc.js"
SC_PORTS="$SC_PORTS,redis=$REDIS_PORT"
zt_agent_start_tag run --cgroup "$SC_CG"
sc_drive c1 300 1 100001
sc_drive c8 300 8 200001
sc_drive c32 300 32 300001
zt_settle 1
zt_agent_stop_tag run
rc=0
sc_check "$TMP/run.spans.jsonl" "node c=1" 99 --spec redis --edges --max-false-links 0 "$TMP/c1.driver.json" || rc=1
for c in 8 32; do
	sc_check "$TMP/run.spans.jsonl" "node c=$c" "" --spec redis --edges --max-false-links 0 "$TMP/c$c.driver.json" || rc=1
done
rt_chain_stop
log "$(grep -oE "ambiguous_thread=[0-9]+|stale_handoff=.*unlinked_process=[0-9]+" "$TMP/run.agent.err" | tr '\n' ' ')"
((rc == 0)) || zt_fail "Node chain: trees or false links out of bounds (above)"
zt_pass
