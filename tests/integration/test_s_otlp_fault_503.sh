#!/usr/bin/env bash
# (s) OTLP faults: the receiver answers 503 with Retry-After: 1 to its first
# 3 requests. Nothing is lost: every JSON-lines span arrives in a request
# answered 200, exactly once, unchanged; each retry after a 503 waits >= 1 s
# (Retry-After honoured); the agent counts the retries.
. "$(dirname "$0")/lib.sh"
zt_init
zt_otlp_require_agent
zt_otlp_setup

PORT=$(zt_free_port 4)
RX_PORT=$(zt_free_port 4)
zt_otlp_receiver rx "$RX_PORT" --fail-first 3 --status 503 --retry-after 1
RX_PID=$ZT_LAST_PID
RX_OUT=$ZT_OTLP_OUT
zt_otlp_server srv "$PORT"
SRV_PID=$ZT_LAST_PID

zt_agent_start --port "$PORT" --otlp-endpoint "http://127.0.0.1:$RX_PORT" --otlp-compression gzip
zt_otlp_load load "$PORT" 2 100
for i in 1 2 3 4; do
	curl -sS -o /dev/null --max-time 10 "http://127.0.0.1:$PORT/items/c$i" || zt_fail "curl $i failed"
done
N=$((2 * (2 * 100 + 4)))
log "sent $((N / 2)) requests"
t1=$(date +%s%N)
if zt_otlp_wait_count "$RX_OUT" "$N" 20; then
	log "receiver has all $N spans (answered 200) after $((($(date +%s%N) - t1) / 1000000)) ms"
else
	log "receiver has only $(zt_otlp_count "$RX_OUT")/$N spans after 20 s"
fi
zt_agent_stop
sleep 0.5
zt_stop_untrack "$RX_PID"
log "receiver: $(wc -l <"$RX_OUT") requests, $(zt_otlp_count "$RX_OUT") spans answered 200"

export RX_OUT SRV_PID N ZT_FINAL HOST_NAME ZT_VERSION
HOST_NAME=$(hostname) ZT_VERSION=$(zt_version)
zt_py_check <<'PYEOF'
from ztcheck import *
from otlpcheck import *
srv_pid, N = env("SRV_PID", int), env("N", int)
S = load()
eq(len(S), N, "JSON-lines spans")
R = load_requests(env("RX_OUT"))
check_requests(R, fmt="protobuf", gzip=True, answers=(200, 503))
answers = [r["answer"] for r in R]
eq(answers[:3], [503, 503, 503], "the first 3 answers")
check(answers[3:] and all(a == 200 for a in answers[3:]), "answers after the first 3: %s" % answers)
# Retry-After: 1 honoured: the next request after a 503 comes >= 1 s later
# (a little slack for the receiver's own clock reading)
for a, b in zip(R, R[1:]):
    if a["answer"] == 503:
        check(b["t_ms"] - a["t_ms"] >= 950,
              "request #%d came %d ms after the 503 of request #%d (Retry-After: 1)"
              % (b["seq"], b["t_ms"] - a["t_ms"], a["seq"]))
# the spans refused with 503 were sent again
lost = {(d["span"]["traceId"], d["span"]["spanId"]) for d in delivered(R, answers=(503,))}
ok = {(d["span"]["traceId"], d["span"]["spanId"]) for d in delivered(R)}
check(lost and lost <= ok, "spans refused with 503 that never arrived with a 200: %d of %d"
      % (len(lost - ok), len(lost)))
D = delivered(R)
eq(len(D), N, "spans delivered in requests answered 200 (every JSON-lines span, once)")
compare_spans(S, D, host=env("HOST_NAME"), version=env("ZT_VERSION"),
              require_exe_path=lambda s: s["attributes"]["process.pid"] == srv_pid)
final = env("ZT_FINAL")
f = dict(w.split("=", 1) for w in final.split()[2:])
check(int(f.get("otlp_retries", 0)) >= 3, "final line: expected otlp_retries >= 3: %s" % final)
check(int(f.get("otlp_failures", 0)) >= 3, "final line: expected otlp_failures >= 3: %s" % final)
eq(f.get("otlp_dropped_full"), "0", "final otlp_dropped_full")
eq(f.get("otlp_dropped_failed"), "0", "final otlp_dropped_failed")
note("answers %s; t_ms %s; %s" % (answers, [r["t_ms"] for r in R],
     " ".join(w for w in final.split() if w.startswith("otlp_"))))
done()
PYEOF
zt_pass
