#!/usr/bin/env bash
# (rt1) whole traces from goroutines: the 3-service chain in Go (net/http
# server, http.Client keep-alive pools; built by the test, standard library
# only). A goroutine moves between threads and a thread runs many
# goroutines: a link made by thread would join two requests.
#   default (no runtime uprobes), concurrency 1 and 8: no parent link or
#     trace joins two requests; the share of whole trees is reported (the
#     client's writer goroutine is handed each request: without
#     --go-handoffs its call is linked only while the process serves one
#     request)
#   --go-handoffs: 300 requests at concurrency 1, 8 and 32, every tree
#     right for >= 99% at each, no false link
#   --go-handoffs, a stripped build (-ldflags=-s -w: functions from
#     .gopclntab) whose gateway fans out (users and orders called at once,
#     each from a goroutine of its own): >= 99% at concurrency 8, no false link
#   HTTPS on every hop (crypto/tls, decrypted by the crypto/tls uprobes,
#     on by default), --go-handoffs: >= 99% at concurrency 1 and 8, no false
#     link; every span url.scheme=https and tls.protocol.name=tls; no
#     plaintext call left without its connection (tls_unbound=0), the
#     ciphertext never parsed (parse_misses=0), the 3 programs' crypto/tls
#     probed (go_tls=3)
. "$(dirname "$0")/lib.sh"
. "$ZT_LIB_DIR/services/scenario.sh"
. "$ZT_LIB_DIR/runtimes/rtlib.sh"
zt_init

rt_go_build "$TMP/gosvc"
rt_go_build "$TMP/gosvc-stripped" -ldflags=-s\ -w
file "$TMP/gosvc-stripped" | grep -q "stripped" || zt_fail "the stripped build is not stripped: $(file "$TMP/gosvc-stripped")"
rt_chain_start go "$TMP/gosvc"
rc=0

zt_agent_start_tag plain --cgroup "$SC_CG"
sc_drive p1 300 1 1
sc_drive p8 300 8 1001
zt_settle 1
zt_agent_stop_tag plain
for c in 1 8; do
	sc_check "$TMP/plain.spans.jsonl" "go default c=$c" "" --edges --max-false-links 0 "$TMP/p$c.driver.json" || rc=1
done
grep -q "go_programs=3 " "$TMP/plain.agent.err" || zt_fail "the default run did not know the 3 Go programs: $(tail -1 "$TMP/plain.agent.err")"

zt_agent_start_tag run --cgroup "$SC_CG" --go-handoffs
sc_drive c1 300 1 100001
sc_drive c8 300 8 200001
sc_drive c32 300 32 300001
zt_settle 1
zt_agent_stop_tag run
for c in 1 8 32; do
	sc_check "$TMP/run.spans.jsonl" "go c=$c" 99 --edges --max-false-links 0 "$TMP/c$c.driver.json" || rc=1
done
rt_chain_stop

rt_chain_start gofan "$TMP/gosvc-stripped"
kill "$GW_PID"
zt_stop_untrack "$GW_PID"
rt_service gateway "$GW_PORT" "$TMP/gosvc-stripped" --fanout \
	--down "users=127.0.0.1:$USERS_PORT,orders=127.0.0.1:$ORDERS_PORT"
GW_PID=$ZT_LAST_PID
export GW_PID
zt_agent_start_tag fan --cgroup "$SC_CG" --go-handoffs
sc_drive f8 300 8 400001
zt_settle 1
zt_agent_stop_tag fan
sc_check "$TMP/fan.spans.jsonl" "go stripped fan-out c=8" 99 --edges --max-false-links 0 "$TMP/f8.driver.json" || rc=1
grep -q "go_programs=3 " "$TMP/fan.agent.err" || zt_fail "the stripped Go programs were not probed: $(grep -i "go program" "$TMP/fan.agent.err")"
rt_chain_stop

. "$ZT_LIB_DIR/tls/tlslib.sh"
SC_TLS_CERT=$TMP/cert.pem SC_TLS_KEY=$TMP/key.pem
zt_tls_cert "$SC_TLS_KEY" "$SC_TLS_CERT"
export SC_TLS_CERT SC_TLS_KEY
rt_chain_start gotls "$TMP/gosvc"
[ "$SC_TLS" = 1 ] || zt_fail "rtlib.sh did not take the TLS mode"
zt_agent_start_tag tls --cgroup "$SC_CG" --go-handoffs
sc_drive t1 100 1 500001
sc_drive t8 300 8 600001
zt_settle 1
zt_agent_stop_tag tls
for c in 1 8; do
	sc_check "$TMP/tls.spans.jsonl" "go https c=$c" 99 --edges --max-false-links 0 "$TMP/t$c.driver.json" || rc=1
done
rt_chain_stop
unset SC_TLS_CERT SC_TLS_KEY
export SPANS=$TMP/tls.spans.jsonl FINAL=$ZT_FINAL
zt_py_check <<'PYEND'
from ztcheck import *
from tlscheck import *
import json
spans = [json.loads(l) for l in open(env("SPANS")) if l.strip()]
# 7 a request: a Write whose entry probe fired twice (Go's morestack
# restarts a function) would make a second CLIENT span
eq(len(spans), 400 * 7, "spans over HTTPS, 7 per request")
for key, want in HTTPS.items():
    bad = [s for s in spans if attr(s, key) != want]
    check(not bad, "%d of %d spans without %s=%s, first: %s"
          % (len(bad), len(spans), key, want, summarize(bad[0]) if bad else ""))
C = final_counters()
for key, want in (("tls_unbound", 0), ("parse_misses", 0), ("http1_misses", 0), ("go_tls", 3)):
    counter_eq(C, key, want)
check(C.get("tls_conns", 0) > 0, "no TLS connection seen")
note_counters(C, ("spans", "tls_conns", "tls_bytes", "tls_unbound", "go_tls", "links_goroutine",
                  "links_handoff", "unlinked_goroutine"))
done()
PYEND
for tag in plain run fan tls; do
	log "$tag: $(grep -oE "go_programs=[0-9]+ .*links_unknown=[0-9]+ unlinked_unknown=[0-9]+" "$TMP/$tag.agent.err")"
done
((rc == 0)) || zt_fail "Go chain: trees or false links out of bounds (above)"
zt_pass
