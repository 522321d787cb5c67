#!/usr/bin/env bash
# (s) Zipkin v2 (--zipkin-endpoint, beside --otlp-endpoint). A python server
# "shop" answers 30 curl requests (20 GET /items/N, 10 GET /fail -> 500),
# traced by one agent that sends to an OTLP receiver and to a Zipkin
# receiver, gzipped. The Zipkin receiver is down when the spans are made,
# then comes up answering 503 to the first 2 POSTs: every span reaches it
# exactly once, and the OTLP receiver gets them all too.
# - Every Zipkin request is gzipped application/json, and every span passes
#   Zipkin's v2 API description (tests/otlp/receiver.js).
# - OpenTelemetry's own Zipkin exporter (npm @opentelemetry/exporter-zipkin,
#   pinned in tests/otel_js), fed the same spans rebuilt from the agent's
#   JSON lines, is the reference for what it sets: traceId, id, parentId,
#   kind, name, duration, localEndpoint and tags are equal, key for key,
#   for all 60 spans; timestamp is within 1 us of the reference's, which
#   is fractional (Zipkin's API says int64 microseconds: the agent's is the
#   start rounded half up, exactly).
# - What it leaves out, against the API description: remoteEndpoint is the
#   connection's other end (a CLIENT span: the server's address and port,
#   and server.address as its serviceName; a SERVER span: the client's),
#   and no span is "shared" (ids are unique).
# - The final line counts zipkin_exported = 60, retries >= 1, no drops.
. "$(dirname "$0")/lib.sh"
zt_init
zt_otlp_require_agent
zt_agent_has_flag --zipkin-endpoint || zt_fail "$ZT_BIN has no --zipkin-endpoint flag"
zt_otlp_setup
zt_npm_ci "$ZT_ROOT/tests/otel_js" @opentelemetry/exporter-zipkin @opentelemetry/api @opentelemetry/sdk-trace-base @opentelemetry/core

PORT=$(zt_free_port 4)
OPORT=$(zt_free_port 4)
ZPORT=$(zt_free_port 4)
RPORT=$(zt_free_port 4)
OK=20
FAIL=10
N=$((2 * (OK + FAIL)))

OTEL_SERVICE_NAME=shop zt_otlp_server srv "$PORT"
zt_otlp_receiver otlp "$OPORT"
OTLP_OUT=$ZT_OTLP_OUT
zt_agent_start --port "$PORT" --otlp-endpoint "http://127.0.0.1:$OPORT" \
	--zipkin-endpoint "http://127.0.0.1:$ZPORT/api/v2/spans" --zipkin-compression gzip \
	--otlp-timeout 1000
for ((i = 0; i < OK + FAIL; i++)); do
	path=/items/$i
	((i % 3 == 2)) && path=/fail
	curl -sS -o /dev/null --max-time 10 "http://127.0.0.1:$PORT$path" 2>"$TMP/curl.err" ||
		zt_fail "curl $path failed: $(cat "$TMP/curl.err")"
done
log "sent $((OK + FAIL)) requests with the Zipkin receiver down"
sleep 1
zt_otlp_receiver zipkin "$ZPORT" --fail-first 2
ZIPKIN_OUT=$ZT_OTLP_OUT
zt_otlp_wait_count "$ZIPKIN_OUT" "$N" 30 ||
	zt_fail "the Zipkin receiver has $(zt_otlp_count "$ZIPKIN_OUT") of $N spans after 30 s"
zt_otlp_wait_count "$OTLP_OUT" "$N" 10 ||
	zt_fail "the OTLP receiver has $(zt_otlp_count "$OTLP_OUT") of $N spans"
zt_agent_stop

# The reference: OpenTelemetry's exporter, the same spans, its own receiver.
zt_otlp_receiver reference "$RPORT"
REF_OUT=$ZT_OTLP_OUT
node "$ZT_ROOT/tests/otel_js/zipkin_reference.js" "$ZT_SPANS" "http://127.0.0.1:$RPORT/api/v2/spans" \
	>"$TMP/reference.out" 2>&1 || zt_fail "reference exporter: $(cat "$TMP/reference.out")"
log "reference: $(cat "$TMP/reference.out")"

export ZIPKIN_OUT OTLP_OUT REF_OUT N FAIL ZT_FINAL
zt_py_check <<'PYEOF'
import json
from ztcheck import *
from otlpcheck import delivered, load_requests

N = env("N", int)
S = load()
eq(len(S), N, "JSON-lines spans")
final = dict(w.split("=", 1) for w in env("ZT_FINAL").split()[2:])

def zipkin_spans(path, what, strict=True):
    reqs = load_requests(path)
    out = []
    for r in reqs:
        check(r["path"] == "/api/v2/spans" and r["signal"] == "zipkin", "%s: path %s" % (what, r["path"]))
        if strict:
            check(not r["json_issues"], "%s request %d: %s" % (what, r["seq"], r["json_issues"][:5]))
        if r["answer"] == 202:
            out.extend(r["body"])
    return reqs, out

reqs, got = zipkin_spans(env("ZIPKIN_OUT"), "zerotrace")
eq(sum(1 for r in reqs if r["answer"] == 503), 2, "Zipkin requests answered 503 (scripted)")
check(all(r["content_encoding"] == "gzip" for r in reqs), "every Zipkin request gzipped")
check(all(r["content_type"] == "application/json" for r in reqs), "every Zipkin request JSON")
ids = [z["id"] for z in got]
eq(len(ids), N, "Zipkin spans delivered (202)")
eq(len(set(ids)), N, "distinct Zipkin span ids (each span once)")
eq(sorted(ids), sorted(s["span_id"] for s in S), "the Zipkin spans are the agent's spans")
eq(len(delivered(load_requests(env("OTLP_OUT")))), N, "OTLP spans delivered beside Zipkin")
eq(int(final["zipkin_exported"]), N, "final zipkin_exported")
eq(int(final["zipkin_dropped_full"]) + int(final["zipkin_dropped_failed"]), 0, "final Zipkin drops")
check(int(final["zipkin_retries"]) >= 1, "final zipkin_retries >= 1: %s" % final["zipkin_retries"])
eq(int(final["otlp_exported"]), N, "final otlp_exported")

# The reference writes fractional microseconds as timestamps (its
# hrTimeToMicroseconds does not round, and goes through a double); Zipkin's
# API types timestamp as int64. Its other fields must pass the API.
ref_reqs, ref = zipkin_spans(env("REF_OUT"), "reference", strict=False)
ref_issues = [i for r in ref_reqs for i in r["json_issues"]]
check(all(".timestamp: not microseconds" in i for i in ref_issues),
      "reference: API issues beyond fractional timestamps: %s" % ref_issues[:5])
eq(len(ref), N, "spans through the reference exporter")
ref_by = {z["id"]: z for z in ref}
line_by = {s["span_id"]: s for s in S}
SET_BY_REFERENCE = ("traceId", "id", "parentId", "kind", "name", "timestamp", "duration",
                    "localEndpoint", "tags")
errors = 0
for z in got:
    r = ref_by.get(z["id"])
    if not check(r is not None, "span %s: not in the reference's output" % z["id"]):
        continue
    s = line_by[z["id"]]
    start = s["start_time_unix_nano"]
    eq(z["timestamp"], start // 1000 + (start % 1000 >= 500), "span %s: timestamp, microseconds "
       "rounded half up" % z["id"])
    check(abs(z["timestamp"] - r["timestamp"]) < 1, "span %s: timestamp %d, the reference's %r"
          % (z["id"], z["timestamp"], r["timestamp"]))
    for k in SET_BY_REFERENCE:
        if k != "timestamp" and z.get(k) != r.get(k):
            errors += 1
            check(False, "span %s: %s is %s, the reference's %s" %
                  (z["id"], k, json.dumps(z.get(k)), json.dumps(r.get(k))))
    check(set(r) <= set(SET_BY_REFERENCE), "reference keys beyond the compared ones: %s" % sorted(r))
    extra = set(z) - set(SET_BY_REFERENCE)
    check(extra <= {"remoteEndpoint"}, "span %s: keys the reference does not set: %s" % (z["id"], extra))
    # Zipkin's API: remoteEndpoint is the other end of the connection
    a = s["attributes"]
    want = {"ipv4": a["network.peer.address"], "port": a["network.peer.port"]}
    if s["kind"] == "CLIENT":  # names its server, as OTel's Zipkin mapping ranks it
        want["serviceName"] = a["server.address"]
    peer = (a["server.address"], a["server.port"]) if s["kind"] == "CLIENT" else \
        (a["client.address"], a["client.port"])
    eq((want["ipv4"], want["port"]), peer, "span %s: network.peer is the other end" % z["id"])
    eq(z.get("remoteEndpoint"), want, "span %s: remoteEndpoint" % z["id"])
    check("shared" not in z, "span %s: shared set" % z["id"])
errs = sum(1 for z in got if z.get("tags", {}).get("otel.status_code") == "ERROR")
eq(errs, 2 * env("FAIL", int), "Zipkin spans tagged otel.status_code=ERROR (both ends of GET /fail)")
check(all(z["tags"].get("error") == "HTTP 500" for z in got
          if z.get("tags", {}).get("otel.status_code") == "ERROR"), "error tag: the status message")
note("%d spans compared with the reference, %d field differences; %d error spans carry "
     "otel.status_code=ERROR; the reference's timestamps were fractional in %d spans"
     % (len(got), errors, errs, len(ref_issues)))
done()
PYEOF
zt_pass
