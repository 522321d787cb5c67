#!/bin/bash
# SPDX-License-Identifier: MIT
# The OTLP log encoding against the official schema, without the agent:
# the unit test otlp_logs/write_samples writes one batch (an alert with
# every field, a bare one, a note, one with every field full of invalid
# UTF-8) as protobuf and as OTLP/JSON; logs_schema_check.js decodes both
# with the official generated root, requires them to be the same request,
# and the values are checked here. Then receiver.js takes both files on
# POST /v1/logs (the first answered 503 by --logs-fail-first 1) and records
# them decoded.
#   Usage: tests/otlp/logs_schema_test.sh   (after make build/unit_tests)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${ZT_UNIT_TESTS:-$root/build/unit_tests}
[ -x "$bin" ] || { echo "logs_schema_test: $bin not built (make build/unit_tests)" >&2; exit 2; }
[ -d "$here/node_modules/otlp-proto" ] || { echo "logs_schema_test: run npm ci in tests/otlp" >&2; exit 2; }
dir=$(mktemp -d /tmp/zt-logs-schema-XXXXXX)
trap 'rm -rf "$dir"' EXIT
ZT_OTLP_LOGS_SAMPLES=$dir "$bin" --filter 'otlp_logs/write_samples' >"$dir/unit.out" 2>&1 ||
	{ cat "$dir/unit.out" >&2; exit 1; }
if [ ! -s "$dir/logs.pb" ] || [ ! -s "$dir/logs.json" ]; then
	echo "no samples written" >&2
	exit 1
fi
node "$here/logs_schema_check.js" --same "$dir/logs.pb" "$dir/logs.json" >"$dir/check.jsonl" ||
	{ cat "$dir/check.jsonl" >&2; exit 1; }
python3 - "$dir/check.jsonl" <<'PY'
import json, sys
fails = []
def eq(got, want, what):
    if got != want:
        fails.append("%s: %r, want %r" % (what, got, want))
for line in open(sys.argv[1]):
    r = json.loads(line)
    w = r["format"]
    eq(r["log_records"], 4, w + " records")
    eq(r["resource"], [{"service.name": "zerotrace", "host.name": "node-1"}], w + " resource")
    full, bare, note, worst = r["records"]
    eq(full["scope"], {"name": "zerotrace.security", "version": full["scope"]["version"]}, w + " scope")
    eq(full["eventName"], "zerotrace.alert", w + " event")
    eq(full["severityNumber"], 21, w + " severity")
    eq(full["severityText"], "critical", w + " severity text")
    eq(full["timeUnixNano"], "1700000000123456789", w + " time")
    eq(full["traceId"], "0102030405060708090a0b0c0d0e0f10", w + " traceId")
    eq(full["spanId"], "a1a2a3a4a5a6a7a8", w + " spanId")
    eq(full["flags"], 1, w + " flags")
    eq(full["body"], "checkout ran a program through postgresql", w + " body")
    a = full["attributes"]
    eq(a.get("zerotrace.alert.rule"), "sql_command_exec", w + " rule")
    eq(a.get("zerotrace.alert.count"), "3", w + " count")
    eq(a.get("server.port"), "5432", w + " server.port")
    eq(a.get("network.protocol.name"), "postgresql", w + " protocol")
    eq(a.get("zerotrace.source.service.name"), "checkout", w + " source service")
    eq(a.get("zerotrace.source.process.pid"), "4242", w + " source pid")
    eq(a.get("destination.address"), "10.0.0.7", w + " destination")
    eq(bare["traceId"], "", w + " no trace: empty traceId")
    eq(bare["flags"], 0, w + " no trace: flags 0")
    eq(note["eventName"], "zerotrace.audit.head", w + " note event")
    eq(note["attributes"], {"sha256": "9f86d081884c7d65", "seq": "42"}, w + " note attributes")
    eq(note["severityNumber"], 9, w + " note severity")
    eq(worst["body"], "\ufffd" * 255, w + " invalid UTF-8 body")
if fails:
    print("\n".join("FAIL " + f for f in fails))
    sys.exit(1)
print("ok   OTLP logs: protobuf and OTLP/JSON decode with the official schema to the same request")
PY

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
node "$here/receiver.js" --port "$port" --out "$dir/rx.jsonl" --logs-fail-first 1 --max-seconds 30 \
	>"$dir/rx.ready" 2>"$dir/rx.err" &
rx=$!
trap 'kill $rx 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do [ -s "$dir/rx.ready" ] && break; sleep 0.05; done
codes=""
for f in logs.pb logs.pb logs.json; do
	case $f in *.json) ct=application/json ;; *) ct=application/x-protobuf ;; esac
	codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -H "Content-Type: $ct" \
		--data-binary "@$dir/$f" "http://127.0.0.1:$port/v1/logs")"
done
kill $rx
wait $rx 2>/dev/null || true
python3 - "$dir/rx.jsonl" "$codes" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
got = [(r["path"], r["signal"], r["answer"], r["format"], r["error"], r["json_issues"],
        r["log_records"]) for r in recs]
want = [("/v1/logs", "logs", 503, "protobuf", None, [], 4),
        ("/v1/logs", "logs", 200, "protobuf", None, [], 4),
        ("/v1/logs", "logs", 200, "json", None, [], 4)]
if got != want or sys.argv[2].split() != ["503", "200", "200"]:
    print("FAIL receiver.js on /v1/logs: %r (answers %s)" % (got, sys.argv[2]))
    sys.exit(1)
print("ok   receiver.js decodes and records POST /v1/logs (protobuf, OTLP/JSON, --logs-fail-first)")
PY
