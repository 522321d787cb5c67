#!/usr/bin/env bash
# (s) OTLP faults: the receiver never comes up. The agent keeps working: it
# prints every span as JSON lines during a 5,000-request load (10,000 spans,
# more than the export queue holds) and still for a new request 10 s
# later and through a second 1,000-request wave; its RSS grows by < 64 MB
# over all of it; it exits 0 within the usual bound, and its final line
# counts the drops (otlp_dropped_full or otlp_dropped_failed > 0) and no
# export.
. "$(dirname "$0")/lib.sh"
zt_init
zt_otlp_require_agent

PORT=$(zt_free_port 4)
DEAD_PORT=$(zt_free_port 4)
zt_otlp_server srv "$PORT"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$AGENT_PID/status"; }

zt_agent_start --port "$PORT" --otlp-endpoint "http://127.0.0.1:$DEAD_PORT" --otlp-timeout 1000
# warm up the agent's tables with a few requests first
zt_otlp_load warm "$PORT" 1 20
zt_settle
RSS0=$(rss_kb)
t0=$(date +%s%N)
zt_otlp_load load "$PORT" 4 1250
zt_settle 1
RSS1=$(rss_kb)
N=$((2 * (20 + 5000)))
log "5000 requests in $((($(date +%s%N) - t0) / 1000000)) ms; agent VmRSS ${RSS0} kB -> ${RSS1} kB ($(((RSS1 - RSS0) / 1024)) MB); $(zt_span_lines)/$N span lines"
[ "$(zt_span_lines)" -ge "$N" ] || log "WARNING: fewer span lines than expected so far"

log "waiting 10 s with nothing listening on $DEAD_PORT"
sleep 10
zt_alive "$AGENT_PID" || zt_fail "agent died while the receiver was down"
before=$(zt_span_lines)
CURL_PID=""
curl -sS -o /dev/null --max-time 10 "http://127.0.0.1:$PORT/items/late" &
CURL_PID=$!
wait "$CURL_PID" || zt_fail "curl 10 s later failed"
for ((i = 0; i < 50; i++)); do
	[ "$(zt_span_lines)" -ge $((before + 2)) ] && break
	sleep 0.1
done
RSS2=$(rss_kb)
log "10 s later: $(($(zt_span_lines) - before)) new span lines; VmRSS ${RSS2} kB"
# a second wave with the export queue already full: shows the bound (info)
zt_otlp_load wave2 "$PORT" 2 500
zt_settle
RSS3=$(rss_kb)
N=$((N + 2000))
log "second wave of 1000 requests: VmRSS ${RSS3} kB"
t1=$(date +%s%N)
zt_agent_stop INT 20
log "agent stopped in $((($(date +%s%N) - t1) / 1000000)) ms"

export RSS0 RSS1 RSS2 RSS3 N ZT_FINAL CURL_PID
zt_py_check <<'PYEOF'
from ztcheck import *
rss0, rss1, rss2, N = env("RSS0", int), env("RSS1", int), env("RSS2", int), env("N", int)
S = load()
final = env("ZT_FINAL")
f = {k: int(v) for k, v in (w.split("=", 1) for w in final.split()[2:])}
if f["ringbuf_drops"] == 0:
    eq(len(S), N + 2, "JSON-lines spans (warm-up + load + the late curl + second wave)")
else:
    note("ringbuf_drops=%d: span count not asserted (%d)" % (f["ringbuf_drops"], len(S)))
late = [s for s in S if s["attributes"].get("url.path") == "/items/late"]
eq(len(late), 2, "spans of the request sent 10 s later")
eq(sorted(s["kind"] for s in late), ["CLIENT", "SERVER"], "kinds of the late request's spans")
curl_pid = env("CURL_PID", int)
check(any(s["attributes"]["process.pid"] == curl_pid for s in late),
      "the late CLIENT span has curl's pid %d" % curl_pid)
check(rss1 - rss0 < 64 * 1024, "VmRSS grew by %d kB over the load (limit 64 MB): %d -> %d"
      % (rss1 - rss0, rss0, rss1))
check(rss2 - rss0 < 64 * 1024, "VmRSS grew by %d kB by 10 s later (limit 64 MB): %d -> %d"
      % (rss2 - rss0, rss0, rss2))
check(f["otlp_dropped_full"] + f["otlp_dropped_failed"] > 0,
      "final line: drops not counted (otlp_dropped_full + otlp_dropped_failed == 0): %s" % final)
eq(f["otlp_exported"], 0, "final otlp_exported (nothing listens)")
check(f["otlp_failures"] > 0, "final otlp_failures > 0: %s" % final)
rss3 = env("RSS3", int)
check(rss3 - rss0 < 64 * 1024, "VmRSS grew by %d kB after a second wave (limit 64 MB): %d -> %d"
      % (rss3 - rss0, rss0, rss3))
note("VmRSS %d -> %d (load) -> %d (10 s later) -> %d kB (second wave); %s" % (rss0, rss1, rss2, rss3,
     " ".join(w for w in final.split() if w.startswith("otlp_") or w.startswith("ringbuf"))))
done()
PYEOF
zt_pass
