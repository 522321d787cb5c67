#!/usr/bin/env bash
# (r) /metrics: python server "checkout" (OTEL_SERVICE_NAME) + 7 curl
# requests, the agent with --metrics-addr -> the exposition passes
# `promtool check metrics`; checkout's SERVER histogram counts exactly 7, and
# so do curl's CLIENT histogram and the service graph edge curl -> checkout
# (Tempo's traces_service_graph_* names); / is 404 and POST /metrics 405;
# then a real Prometheus scraping the agent every second answers
# sum(http_server_request_duration_seconds_count{service_name="checkout"}) = 7
# and sum(traces_service_graph_request_total{client="curl",server="checkout"}) = 7.
# Exemplars: a scrape asking for OpenMetrics gets it (its content type,
# "# EOF", counters named without _total), and the buckets of checkout's
# SERVER and curl's CLIENT histograms carry exemplars, each naming a span
# of that kind and service that the agent exported, with its duration;
# the Prometheus runs with exemplar storage, and its query_exemplars API
# returns for checkout's buckets only trace ids of spans the agent exported.
# A second agent whose --metrics-addr is taken keeps tracing and counts it
# (metrics_unserved=1).
. "$(dirname "$0")/lib.sh"
zt_init

N=7
PROMETHEUS=${PROMETHEUS:-/usr/bin/prometheus}
PROMTOOL=${PROMTOOL:-/usr/bin/promtool}
for t in "$PROMETHEUS" "$PROMTOOL" /usr/bin/curl; do
	[ -x "$t" ] || zt_fail "$t is not installed (make deps)"
done
zt_agent_has_flag --metrics-addr || zt_fail "$ZT_BIN --help does not offer --metrics-addr"

PORT=$(zt_free_port 4)
MPORT=$(zt_free_port 4)
PPORT=$(zt_free_port 4)
OTEL_SERVICE_NAME=checkout zt_server srv 127.0.0.1 "$PORT" 1.1
zt_agent_start --port "$PORT" --metrics-addr "127.0.0.1:$MPORT"
zt_wait_port 127.0.0.1 "$MPORT" 5
MURL=http://127.0.0.1:$MPORT/metrics

for ((i = 0; i < N; i++)); do
	curl -sS -o /dev/null --max-time 10 "http://127.0.0.1:$PORT/items/42" 2>"$TMP/curl.err" ||
		zt_fail "curl #$i failed: $(cat "$TMP/curl.err")"
done
log "sent $N requests"

# Value of one sample line (exact series text) in file $2; empty if absent.
sample() { awk -v s="$1" 'substr($0, 1, length(s) + 1) == s " " { print $NF }' "$2"; }
# Sum of the samples of family lines starting with prefix $1 in file $2.
sample_sum() { awk -v p="$1" 'index($0, p) == 1 { n += $NF } END { print n + 0 }' "$2"; }

SRV_LABELS='service_name="checkout",http_request_method="GET",http_route="/items/{id}",http_response_status_code="200"'
SRV_COUNT="http_server_request_duration_seconds_count{$SRV_LABELS}"
SRV_INF="http_server_request_duration_seconds_bucket{$SRV_LABELS,le=\"+Inf\"}"
CLI_COUNT='http_client_request_duration_seconds_count{service_name="curl",http_request_method="GET",http_route="/items/{id}",http_response_status_code="200"}'

# Spans reach the registry after the reorder window: scrape until all are in
# (bounded), then once more after a pause to see nothing more arrives.
for ((i = 0; i < 100; i++)); do
	curl -sS --max-time 5 -D "$TMP/metrics.head" -o "$TMP/metrics.txt" "$MURL" 2>"$TMP/curl.err" ||
		zt_fail "GET $MURL failed: $(cat "$TMP/curl.err")"
	srv=$(sample_sum 'http_server_request_duration_seconds_count{service_name="checkout",' "$TMP/metrics.txt")
	cli=$(sample_sum 'http_client_request_duration_seconds_count{service_name="curl",' "$TMP/metrics.txt")
	graph=$(sample_sum 'traces_service_graph_request_total{client="curl",' "$TMP/metrics.txt")
	((srv >= N && cli >= N && graph >= N)) && break
	sleep 0.1
done
sleep 1
curl -sS --max-time 5 -D "$TMP/metrics.head" -o "$TMP/metrics.txt" "$MURL" 2>"$TMP/curl.err" ||
	zt_fail "GET $MURL failed: $(cat "$TMP/curl.err")"
log "scraped $(wc -l <"$TMP/metrics.txt") lines from $MURL"

fails=()
expect() { # WHAT GOT WANT
	if [ "$2" != "$3" ]; then
		fails+=("$1: got '$2', want '$3'")
	else
		log "$1 = $2"
	fi
}
expect "HTTP status" "$(head -n 1 "$TMP/metrics.head" | tr -d '\r' | cut -d' ' -f2)" 200
expect "Content-Type" "$(grep -i '^content-type:' "$TMP/metrics.head" | tr -d '\r' | cut -d' ' -f2-3)" \
	"text/plain; version=0.0.4;"
if "$PROMTOOL" check metrics <"$TMP/metrics.txt" >"$TMP/promtool.out" 2>&1; then
	log "promtool check metrics: OK"
else
	fails+=("promtool check metrics failed: $(head -c 2000 "$TMP/promtool.out")")
fi
expect "checkout SERVER count ($SRV_COUNT)" "$(sample "$SRV_COUNT" "$TMP/metrics.txt")" "$N"
expect "checkout SERVER count, all series" \
	"$(sample_sum 'http_server_request_duration_seconds_count{service_name="checkout",' "$TMP/metrics.txt")" "$N"
expect "checkout SERVER +Inf bucket" "$(sample "$SRV_INF" "$TMP/metrics.txt")" "$N"
expect "curl CLIENT count ($CLI_COUNT)" "$(sample "$CLI_COUNT" "$TMP/metrics.txt")" "$N"
# curl's CLIENT span and checkout's SERVER span (joined by connection) are
# one call: one edge, both durations.
GRAPH='{client="curl",server="checkout",connection_type=""}'
expect "service graph requests from curl, all servers" \
	"$(sample_sum 'traces_service_graph_request_total{client="curl",' "$TMP/metrics.txt")" "$N"
expect "service graph curl -> checkout" \
	"$(sample "traces_service_graph_request_total$GRAPH" "$TMP/metrics.txt")" "$N"
expect "service graph server durations" \
	"$(sample "traces_service_graph_request_server_seconds_count$GRAPH" "$TMP/metrics.txt")" "$N"
expect "service graph client durations" \
	"$(sample "traces_service_graph_request_client_seconds_count$GRAPH" "$TMP/metrics.txt")" "$N"
[ -z "$(grep '^traces_service_graph_request_failed_total' "$TMP/metrics.txt")" ] ||
	fails+=("failed requests counted: $(grep '^traces_service_graph_request_failed_total' "$TMP/metrics.txt")")
expect "zerotrace_metric_series_overflow_total" \
	"$(sample zerotrace_metric_series_overflow_total "$TMP/metrics.txt")" 0
for name in zerotrace_events_total zerotrace_spans_total zerotrace_connections_tracked; do
	[ -n "$(sample "$name" "$TMP/metrics.txt")" ] || fails+=("no sample $name")
done
expect "GET / status" "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$MPORT/")" 404
expect "POST /metrics status" "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -X POST -d x "$MURL")" 405

# OpenMetrics, as Prometheus asks for it.
OM_ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
curl -sS --max-time 5 -H "Accept: $OM_ACCEPT" -D "$TMP/om.head" -o "$TMP/metrics.om" "$MURL" \
	2>"$TMP/curl.err" || zt_fail "GET $MURL (OpenMetrics) failed: $(cat "$TMP/curl.err")"
expect "OpenMetrics Content-Type" "$(grep -i '^content-type:' "$TMP/om.head" | tr -d '\r' | cut -d' ' -f2-)" \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"
expect "OpenMetrics last line" "$(tail -n 1 "$TMP/metrics.om")" "# EOF"
expect "OpenMetrics counter family" "$(grep -c '^# TYPE zerotrace_events counter$' "$TMP/metrics.om")" 1
# Every exemplar names a span of that family's kind and service that the
# agent exported, with its duration and end.
"$PY" - "$TMP/metrics.om" "$ZT_SPANS" >"$TMP/om.check" 2>&1 <<'PYCHECK' || fails+=("OpenMetrics exemplars: $(cat "$TMP/om.check")")
import json, re, sys
spans = {}
for line in open(sys.argv[2]):
    s = json.loads(line)
    spans[(s["trace_id"], s["span_id"])] = s
ex = re.compile(r'^http_(server|client)_request_duration_seconds_bucket\{service_name="([^"]*)",.*,le="[^"]+"\} \d+ '
                r'# \{trace_id="([0-9a-f]{32})",span_id="([0-9a-f]{16})"\} ([0-9.]+) ([0-9.]+)$')
seen = {}
for line in open(sys.argv[1]):
    if " # {" not in line:
        continue
    m = ex.match(line.rstrip("\n"))
    if not m:
        sys.exit("an exemplar not on an HTTP bucket line: " + line)
    kind, service, trace, span, value, ts = m.groups()
    # the exemplar lies in its bucket: above the bound before, at most its own
    le = re.search(r',le="([^"]+)"\} ', line).group(1)
    bounds = [0.0, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
    hi = float("inf") if le == "+Inf" else float(le)
    lo = max([b for b in bounds if b < hi], default=0.0) if le != "0.005" else -1.0
    if not (lo < float(value) <= hi):
        sys.exit("exemplar %s on le=%s lies outside (%s, %s]" % (value, le, lo, hi))
    s = spans.get((trace, span))
    if not s or s["kind"] != kind.upper() or s["service.name"] != service:
        sys.exit("exemplar %s/%s is no exported %s span of %s" % (trace, span, kind, service))
    ns = s["end_time_unix_nano"] - s["start_time_unix_nano"]
    if abs(float(value) - ns / 1e9) > 1e-9 or abs(float(ts) - s["end_time_unix_nano"] / 1e9) > 1e-3:
        sys.exit("exemplar %s/%s: value %s at %s, the span lasted %d ns to %d" %
                 (trace, span, value, ts, ns, s["end_time_unix_nano"]))
    seen[kind + " " + service] = seen.get(kind + " " + service, 0) + 1
if set(seen) != {"server checkout", "client curl"}:
    sys.exit("exemplars on %s, want checkout's SERVER and curl's CLIENT buckets" % seen)
print(seen)
PYCHECK
log "OpenMetrics scrape: exemplars $(cat "$TMP/om.check"), each an exported span with its duration"
if ((${#fails[@]})); then
	printf 'ASSERT FAILED: %s\n' "${fails[@]}"
	zt_fail "${#fails[@]} metrics check(s) failed; scrape kept in $TMP/metrics.txt"
fi

# A real Prometheus scrapes the agent every second.
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: zerotrace
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
"$PROMTOOL" check config "$TMP/prometheus.yml" >"$TMP/promtool-config.out" 2>&1 ||
	zt_fail "promtool check config: $(cat "$TMP/promtool-config.out")"
zt_bg prometheus "$PROMETHEUS" --config.file="$TMP/prometheus.yml" --enable-feature=exemplar-storage \
	--storage.tsdb.path="$TMP/tsdb" --web.listen-address="127.0.0.1:$PPORT"
PROM_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$PPORT" 10
QUERY='sum(http_server_request_duration_seconds_count{service_name="checkout"})'
got=""
t0=$(date +%s%N)
while (($(date +%s%N) - t0 < 20000000000)); do
	zt_alive "$PROM_PID" || zt_fail "prometheus exited: $(tail -n 5 "$TMP/prometheus.err")"
	got=$(curl -sS --max-time 2 --get --data-urlencode "query=$QUERY" \
		"http://127.0.0.1:$PPORT/api/v1/query" 2>/dev/null |
		"$PY" -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null)
	[ "$got" = "$N" ] && break
	sleep 0.5
done
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$got" = "$N" ] ||
	zt_fail "prometheus: $QUERY = '$got' after ${ms} ms, want $N; its log: $(tail -n 5 "$TMP/prometheus.err")"
log "prometheus: $QUERY = $got after $ms ms"
up=$(curl -sS --max-time 2 --get --data-urlencode 'query=up{job="zerotrace"}' \
	"http://127.0.0.1:$PPORT/api/v1/query" | "$PY" -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")')
[ "$up" = 1 ] || zt_fail "prometheus: up{job=\"zerotrace\"} = '$up', want 1"
graph=$(curl -sS --max-time 2 --get --data-urlencode 'query=sum(traces_service_graph_request_total{client="curl",server="checkout"})' \
	"http://127.0.0.1:$PPORT/api/v1/query" | "$PY" -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")')
[ "$graph" = "$N" ] || zt_fail "prometheus: the service graph curl -> checkout = '$graph', want $N"
log "prometheus: traces_service_graph_request_total curl -> checkout = $graph"
# Prometheus stored the exemplars: each is a trace id the agent exported.
EXQ='http_server_request_duration_seconds_bucket{service_name="checkout"}'
t0=$(date +%s%N)
while :; do
	curl -sS --max-time 2 --get --data-urlencode "query=$EXQ" \
		--data-urlencode "start=$(($(date +%s) - 600))" --data-urlencode "end=$(($(date +%s) + 60))" \
		"http://127.0.0.1:$PPORT/api/v1/query_exemplars" >"$TMP/exemplars.json" 2>/dev/null
	exm=$("$PY" - "$TMP/exemplars.json" "$ZT_SPANS" 2>&1 <<'PYCHECK'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "success", r
traces = {json.loads(l)["trace_id"] for l in open(sys.argv[2])}
got = [e["labels"]["trace_id"] for d in r["data"] for e in d["exemplars"]]
bad = [t for t in got if t not in traces]
if bad:
    sys.exit("not exported: %s" % bad)
print(len(got))
PYCHECK
	) || zt_fail "prometheus exemplars: $exm"
	[ "${exm:-0}" -ge 1 ] && break
	(($(date +%s%N) - t0 < 20000000000)) ||
		zt_fail "prometheus: no exemplar for $EXQ after 20 s: $(head -c 1000 "$TMP/exemplars.json")"
	sleep 0.5
done
log "prometheus: query_exemplars $EXQ -> $exm exemplar(s), every trace id one the agent exported"
zt_stop_untrack "$PROM_PID"

# A well-formed address that is taken (by this agent): the second agent
# says so, keeps tracing, and counts it.
FIRST=("$AGENT_PID" "$ZT_SPANS" "$ZT_AGENT_ERR")
zt_track "$AGENT_PID" # stopped by the trap if the test fails before its turn
zt_agent_start --tag taken --port "$PORT" --metrics-addr "127.0.0.1:$MPORT"
grep -q "/metrics is not served (see above); tracing goes on" "$ZT_AGENT_ERR" ||
	zt_fail "no message for a taken address: $(cat "$ZT_AGENT_ERR")"
curl -sS -o /dev/null --max-time 10 "http://127.0.0.1:$PORT/items/7" || zt_fail "curl failed"
zt_settle 1
zt_agent_stop
[ "$(zt_final metrics_unserved)" = 1 ] || zt_fail "metrics_unserved not counted: $ZT_FINAL"
[ "$(wc -l <"$ZT_SPANS")" -ge 2 ] || zt_fail "the agent with a taken /metrics address traced nothing"
AGENT_PID=${FIRST[0]} ZT_SPANS=${FIRST[1]} ZT_AGENT_ERR=${FIRST[2]}

zt_agent_stop
zt_pass
