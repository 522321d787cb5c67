#!/usr/bin/env bash
# (sc) A trace started by a Node client under the OpenTelemetry SDK
# (@opentelemetry/sdk-trace-base, pinned in tests/otel_js): its sampler,
# ParentBased(TraceIdRatioBased(0.3)), decides, and the W3C propagator puts
# the decision on the wire (traceparent flags 01 or 00). 300 requests to a
# python server, the agent tracing both ends with --sample-ratio 0.5 (a
# ratio of its own, not the SDK's): the traces it exports are exactly the
# ones the SDK sampled, each whole (the Node CLIENT span and the server's
# SERVER span under it), and its own 0.5 rule would have kept another set.
. "$(dirname "$0")/lib.sh"
zt_init
zt_npm_ci "$ZT_ROOT/tests/otel_js" @opentelemetry/sdk-trace-base @opentelemetry/core @opentelemetry/api

N=300
PORT=$(zt_free_port 4)
zt_server srv 127.0.0.1 "$PORT" 1.1
zt_agent_start --port "$PORT" --sample-ratio 0.5
node "$ZT_ROOT/tests/otel_js/sdk_client.js" "http://127.0.0.1:$PORT" "$N" 0.3 "$TMP/sdk.jsonl" \
	2>"$TMP/sdk.err" || zt_fail "sdk_client.js failed: $(cat "$TMP/sdk.err")"
log "the SDK sampled $(grep -c '"sampled":true' "$TMP/sdk.jsonl") of $N traces"
zt_settle 1
zt_agent_stop
SDK_OUT=$TMP/sdk.jsonl
export N ZT_FINAL SDK_OUT
zt_py_check <<'PYEOF'
import json
from ztcheck import *

N = env("N", int)
sdk = [json.loads(l) for l in open(env("SDK_OUT"))]
eq(len(sdk), N, "requests the SDK client made")
check(all(r["status"] == 200 for r in sdk), "every request answered 200")
check(all(r["traceparent"] == "00-%s-%s-%s" % (r["trace_id"], r["traceparent"][36:52],
                                               "01" if r["sampled"] else "00") for r in sdk),
      "the traceparent on the wire carries the SDK's decision")
want = {r["trace_id"] for r in sdk if r["sampled"]}
check(0 < len(want) < N, "the SDK sampled some traces, not all: %d of %d" % (len(want), N))
S = load()
got = {}
for s in S:
    got.setdefault(s["trace_id"], []).append(s)
eq(set(got), want, "trace ids exported = the traces the SDK sampled")
whole = [t for t, ss in got.items()
         if sorted(s["kind"] for s in ss) == ["CLIENT", "SERVER"] and
         {s["parent_span_id"] for s in ss if s["kind"] == "SERVER"} ==
         {s["span_id"] for s in ss if s["kind"] == "CLIENT"}]
eq(len(whole), len(got), "exported traces whole: a CLIENT span and its SERVER child")
# the agent's own rule at 0.5: keep when the id's low 56 bits >= 2^55
own = {r["trace_id"] for r in sdk if int(r["trace_id"][18:], 16) >= 1 << 55}
check(own != want, "the agent's own 0.5 rule would keep another set (it followed the SDK)")
final = dict(w.split("=", 1) for w in env("ZT_FINAL").split()[2:])
eq(int(final["kept_parent"]), 2 * len(want), "final kept_parent")
eq(int(final["sampled_out_parent"]), 2 * (N - len(want)), "final sampled_out_parent")
note("SDK sampled %d of %d; exported %d traces, %d spans; the 0.5 rule would have kept %d, %d of them "
     "the SDK's" % (len(want), N, len(got), len(S), len(own), len(own & want)))
done()
PYEOF
zt_pass
