#!/usr/bin/env bash
# (s) OTLP faults: a receiver that answers every request 2 s late while a
# bounded load runs (4 keep-alive clients x 750 requests). Export never
# holds up the event loop: ringbuf_drops=0, every span still printed as a
# JSON line, the spans that did arrive are exactly the JSON-lines ones
# (no duplicate, no change), and the agent stops within the usual bound.
. "$(dirname "$0")/lib.sh"
zt_init
zt_otlp_require_agent
zt_otlp_setup

PORT=$(zt_free_port 4)
RX_PORT=$(zt_free_port 4)
zt_otlp_receiver rx "$RX_PORT" --slow 2000
RX_PID=$ZT_LAST_PID
RX_OUT=$ZT_OTLP_OUT
zt_otlp_server srv "$PORT"
SRV_PID=$ZT_LAST_PID

zt_agent_start --port "$PORT" --otlp-endpoint "http://127.0.0.1:$RX_PORT"
t0=$(date +%s%N)
zt_otlp_load load "$PORT" 4 750
N=$((2 * 3000))
zt_settle 1
log "3000 requests in $((($(date +%s%N) - t0) / 1000000)) ms; $(zt_span_lines)/$N span lines; receiver so far: $(wc -l <"$RX_OUT") requests"
t1=$(date +%s%N)
zt_agent_stop INT 20
log "agent stopped in $((($(date +%s%N) - t1) / 1000000)) ms"
sleep 2.5 # the last answer is 2 s late
zt_stop_untrack "$RX_PID"
log "receiver: $(wc -l <"$RX_OUT") requests, $(zt_otlp_count "$RX_OUT") spans"

export RX_OUT SRV_PID N ZT_FINAL HOST_NAME ZT_VERSION
HOST_NAME=$(hostname) ZT_VERSION=$(zt_version)
zt_py_check <<'PYEOF'
from ztcheck import *
from otlpcheck import *
srv_pid, N = env("SRV_PID", int), env("N", int)
final = env("ZT_FINAL")
f = {k: int(v) for k, v in (w.split("=", 1) for w in final.split()[2:])}
eq(f["ringbuf_drops"], 0, "final ringbuf_drops")
S = load()
eq(len(S), N, "JSON-lines spans")
R = load_requests(env("RX_OUT"))
check_requests(R, fmt="protobuf", gzip=False)
D = delivered(R)
check(len(D) > 0, "the slow receiver got no span at all")
# every delivered span is a JSON-lines span, unchanged, once
ids = {(d["span"]["traceId"], d["span"]["spanId"]) for d in D}
eq(len(ids), len(D), "distinct spans among the delivered ones")
compare_spans([s for s in S if (s["trace_id"], s["span_id"]) in ids], D,
              host=env("HOST_NAME"), version=env("ZT_VERSION"),
              require_exe_path=lambda s: s["attributes"]["process.pid"] == srv_pid)
note("%d requests, %d of %d spans delivered; %s" % (len(R), len(D), N,
     " ".join(w for w in final.split() if w.startswith("otlp_"))))
done()
PYEOF
zt_pass
