#!/usr/bin/env bash
# (rt3) whole traces from a thread pool: the 3-service chain on the JDK
# (runtimes/javasvc/Svc.java: com.sun.net.httpserver.HttpServer on a fixed
# pool of 8, java.net.http.HttpClient whose selector thread writes every
# request). A request read on one thread is served on another, and the call
# is written from a third: with one request in flight in a process the
# evidence is unambiguous (>= 99% at concurrency 1); at concurrency 8 the
# share is reported; no parent link or trace may join two requests.
. "$(dirname "$0")/lib.sh"
. "$ZT_LIB_DIR/services/scenario.sh"
. "$ZT_LIB_DIR/runtimes/rtlib.sh"
zt_init

command -v java >/dev/null || zt_fail "java not installed (scripts/install-deps.sh brings openjdk-17-jdk-headless)"
# the single-file source launcher compiles in memory at each start
rt_chain_start java java "$ZT_LIB_DIR/runtimes/javasvc/Svc.java"
zt_agent_start_tag run --cgroup "$SC_CG"
sc_drive c1 300 1 100001
sc_drive c8 300 8 200001
zt_settle 1
zt_agent_stop_tag run
rc=0
sc_check "$TMP/run.spans.jsonl" "java c=1" 99 --edges --max-false-links 0 "$TMP/c1.driver.json" || rc=1
sc_check "$TMP/run.spans.jsonl" "java c=8" "" --edges --show-bad 2 --max-false-links 0 "$TMP/c8.driver.json" || rc=1
rt_chain_stop
log "$(grep -oE "ambiguous_thread=[0-9]+|stale_handoff=.*unlinked_process=[0-9]+" "$TMP/run.agent.err" | tr '\n' ' ')"
((rc == 0)) || zt_fail "Java chain: trees or false links out of bounds (above)"
zt_pass
