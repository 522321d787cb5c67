#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Security: where alerts go. One path-traversal request (curl --path-as-is
# to the python test server) makes one alert, sent at once to:
#  - JSON lines (--alerts-output), the reference;
#  - OTLP logs (--otlp-endpoint): tests/otlp/receiver.js decodes the
#    ExportLogsServiceRequest with the official schema; the LogRecord has
#    the alert's trace_id and span_id, severity number 17 and text "high",
#    the rule as attributes, event name zerotrace.alert;
#  - syslog (--syslog-addr udp:, then tcp: with RFC 6587 octet counting):
#    one RFC 5424 line (checked field by field: PRI = authpriv*8+error = 83,
#    version 1, RFC 3339 time, APP-NAME zerotrace, MSGID = the rule id,
#    SD zerotrace@32473 and opentelemetry with the trace ids);
#  - /metrics: zerotrace_alerts_total{rule="http_path_traversal",severity="high"} 1,
#    and the exposition passes promtool.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/security/seclib.sh"
zt_init
zt_otlp_setup

HTTP_PORT=$(zt_free_port 4)
RX_PORT=$(zt_free_port 4)
MPORT=$(zt_free_port 4)
zt_server web 127.0.0.1 "$HTTP_PORT" 1.1
zt_otlp_receiver rx "$RX_PORT"

# run TAG TRANSPORT: one agent run, one alert, the syslog receiver on TRANSPORT
run() {
	local tag=$1 transport=$2 port
	port=$(zt_free_port 4)
	zt_bg "syslog.$tag" "$PY" "$SEC_DIR/syslog_rx.py" "--$transport" "$port" --out "$TMP/syslog.$tag.jsonl"
	for ((i = 0; i < 50; i++)); do grep -q ready "$TMP/syslog.$tag.out" && break; sleep 0.1; done
	grep -q ready "$TMP/syslog.$tag.out" || zt_fail "syslog receiver not ready: $(cat "$TMP/syslog.$tag.err")"
	zt_agent_start --tag "$tag" --port "$HTTP_PORT" --learn 0 --disable-rule new_edge \
		--disable-rule new_listener --disable-rule new_operation \
		--alerts-output "$TMP/alerts.$tag.jsonl" --otlp-endpoint "http://127.0.0.1:$RX_PORT" \
		--syslog-addr "$transport:127.0.0.1:$port" --metrics-addr "127.0.0.1:$MPORT"
	curl -sS --path-as-is -o /dev/null --max-time 5 "http://127.0.0.1:$HTTP_PORT/files/../../etc/passwd" ||
		zt_fail "curl failed"
	for ((i = 0; i < 50; i++)); do [ -s "$TMP/syslog.$tag.jsonl" ] && break; sleep 0.1; done
	curl -sS --max-time 5 -o "$TMP/metrics.$tag.txt" "http://127.0.0.1:$MPORT/metrics" || zt_fail "scrape failed"
	zt_agent_stop
	/usr/bin/promtool check metrics <"$TMP/metrics.$tag.txt" >"$TMP/promtool.$tag" 2>&1 ||
		zt_fail "promtool: $(head -c 2000 "$TMP/promtool.$tag")"
	grep -qx 'zerotrace_alerts_total{rule="http_path_traversal",severity="high"} 1' "$TMP/metrics.$tag.txt" ||
		zt_fail "no alert counter: $(grep alerts "$TMP/metrics.$tag.txt")"
	[ "$(zt_final syslog_sent)" = 1 ] && [ "$(zt_final syslog_dropped)" = 0 ] ||
		zt_fail "syslog counters: $ZT_FINAL"
	[ "$(zt_final otlp_logs_exported)" -ge 1 ] || zt_fail "otlp logs counters: $ZT_FINAL"
}
run udp udp
run tcp tcp

"$PY" - "$TMP" "$ZT_OTLP_OUT" <<'PYEND' || zt_fail "alert sink checks failed"
import datetime, json, re, sys
tmp, rx = sys.argv[1], sys.argv[2]
sys.path.insert(0, "tests/otlp")
ok = True
def check(cond, what):
    global ok
    print(("ok: " if cond else "ASSERT FAILED: ") + what)
    ok &= bool(cond)
alerts = {}
for tag in ("udp", "tcp"):
    lines = [json.loads(l) for l in open("%s/alerts.%s.jsonl" % (tmp, tag))]
    check(len(lines) == 1 and lines[0]["rule"]["id"] == "http_path_traversal", "%s: one JSON alert" % tag)
    alerts[tag] = lines[0]

# OTLP logs, decoded by the receiver with the official schema
reqs = [json.loads(l) for l in open(rx)]
logs = [r for r in reqs if r["path"] == "/v1/logs"]
check(all(r["answer"] == 200 and r["error"] is None and not r["json_issues"] for r in logs), "logs requests decoded and answered 200")
records = []
for r in logs:
    for rl in r["body"]["resourceLogs"]:
        res = {kv["key"]: kv["value"].get("stringValue") for kv in rl["resource"]["attributes"]}
        for sl in rl["scopeLogs"]:
            for lr in sl["logRecords"]:
                records.append((res, sl["scope"]["name"], lr))
check(len(records) == 2, "two log records (one alert per run): %d" % len(records))
for tag in ("udp", "tcp"):
    a = alerts[tag]
    m = [x for x in records if x[2]["traceId"] == a["trace_id"] and x[2]["spanId"] == a["span_id"]]
    check(len(m) == 1, "%s: a LogRecord with the alert's trace_id and span_id" % tag)
    if not m:
        continue
    res, scope, lr = m[0]
    attrs = {kv["key"]: list(kv["value"].values())[0] for kv in lr["attributes"]}
    check(res.get("service.name") == "zerotrace", "resource service.name zerotrace")
    check(scope == "zerotrace.security", "scope zerotrace.security")
    check(lr["severityNumber"] == 17 and lr["severityText"] == "high", "severity 17/high: %r %r" % (lr["severityNumber"], lr["severityText"]))
    check(attrs.get("zerotrace.alert.rule") == "http_path_traversal", "rule attribute: %r" % attrs.get("zerotrace.alert.rule"))
    check(lr.get("eventName") == "zerotrace.alert", "event name")
    check(lr["body"].get("stringValue") == a["reason"], "body is the reason")

# syslog: RFC 5424
HDR = re.compile(r'^<(\d{1,3})>1 (\S+) (\S{1,255}) (\S{1,48}) (\S{1,128}) (\S{1,32}) ((?:\[[^ \]=]+(?: [^ =\]]+="(?:[^"\\\]]|\\.)*")*\])+|-)(?: (.*))?$', re.S)
for tag in ("udp", "tcp"):
    msgs = [json.loads(l)["msg"] for l in open("%s/syslog.%s.jsonl" % (tmp, tag))]
    check(len(msgs) == 1, "%s: one syslog message: %d" % (tag, len(msgs)))
    if not msgs:
        continue
    m = HDR.match(msgs[0])
    check(m is not None, "%s: RFC 5424 syntax: %r" % (tag, msgs[0]))
    if not m:
        continue
    pri, ts, host, app, procid, msgid, sd, text = m.groups()
    check(pri == "83", "PRI 83 (authpriv, error): %s" % pri)
    check(re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$', ts) is not None, "RFC 3339 timestamp %s" % ts)
    check(app == "zerotrace" and msgid == "http_path_traversal", "APP-NAME and MSGID: %s %s" % (app, msgid))
    a = alerts[tag]
    check('[opentelemetry trace_id="%s" span_id="%s"' % (a["trace_id"], a["span_id"]) in sd, "trace context SD: %s" % sd)
    check("[zerotrace@32473 " in sd, "zerotrace SD-ID")
    check(text == a["reason"], "MSG is the reason: %r" % text)
sys.exit(0 if ok else 1)
PYEND
zt_pass
