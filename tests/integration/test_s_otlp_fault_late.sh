#!/usr/bin/env bash
# (s) OTLP faults: the receiver is down when the agent starts and comes up
# ~3 s later. Every span the agent printed (JSON lines) reaches the receiver
# exactly once, unchanged, after retries; nothing is counted as dropped.
. "$(dirname "$0")/lib.sh"
zt_init
zt_otlp_require_agent
zt_otlp_setup

PORT=$(zt_free_port 4)
RX_PORT=$(zt_free_port 4)
zt_otlp_server srv "$PORT"
SRV_PID=$ZT_LAST_PID

zt_agent_start --port "$PORT" --otlp-endpoint "http://127.0.0.1:$RX_PORT"
T0=$(date +%s%N)
zt_otlp_load load "$PORT" 2 100
for i in 1 2 3 4; do
	curl -sS -o /dev/null --max-time 10 "http://127.0.0.1:$PORT/items/c$i" || zt_fail "curl $i failed"
done
N=$((2 * (2 * 100 + 4)))
log "sent $((N / 2)) requests while nothing listens on $RX_PORT"
# the receiver comes up 3 s after the agent got ready
while (($(date +%s%N) - T0 < 3000000000)); do sleep 0.1; done
zt_otlp_receiver rx "$RX_PORT"
RX_PID=$ZT_LAST_PID
RX_OUT=$ZT_OTLP_OUT
t1=$(date +%s%N)
if zt_otlp_wait_count "$RX_OUT" "$N" 15; then
	log "receiver has all $N spans $((($(date +%s%N) - t1) / 1000000)) ms after it started"
else
	log "receiver has only $(zt_otlp_count "$RX_OUT")/$N spans 15 s after it started"
fi
zt_agent_stop
sleep 0.5
zt_stop_untrack "$RX_PID"
log "receiver: $(wc -l <"$RX_OUT") requests, $(zt_otlp_count "$RX_OUT") spans"

export RX_OUT SRV_PID N ZT_FINAL HOST_NAME ZT_VERSION
HOST_NAME=$(hostname) ZT_VERSION=$(zt_version)
zt_py_check <<'PYEOF'
from ztcheck import *
from otlpcheck import *
srv_pid, N = env("SRV_PID", int), env("N", int)
S = load()
eq(len(S), N, "JSON-lines spans")
R = load_requests(env("RX_OUT"))
check_requests(R, fmt="protobuf", gzip=False)
D = delivered(R)
eq(len(D), N, "spans delivered (every JSON-lines span, once)")
compare_spans(S, D, host=env("HOST_NAME"), version=env("ZT_VERSION"),
              require_exe_path=lambda s: s["attributes"]["process.pid"] == srv_pid)
final = env("ZT_FINAL")
f = dict(w.split("=", 1) for w in final.split()[2:])
check(int(f.get("otlp_retries", 0)) > 0 and int(f.get("otlp_failures", 0)) > 0,
      "final line: expected otlp_retries > 0 and otlp_failures > 0 (connection refused "
      "for ~3 s): %s" % final)
eq(f.get("otlp_dropped_full"), "0", "final otlp_dropped_full")
eq(f.get("otlp_dropped_failed"), "0", "final otlp_dropped_failed")
note("%d requests; %s" % (len(R), " ".join(w for w in final.split() if w.startswith("otlp_"))))
done()
PYEOF
zt_pass
