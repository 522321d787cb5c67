# shellcheck shell=bash
# shellcheck disable=SC2089,SC2090 # HEADERS_JSON is JSON text read by python
# SPDX-License-Identifier: MIT
# Body of tests/integration/test_s_otlp_content_*.sh (sourced; OTLP_MODE set
# by the caller): OTLP content, compared span by span with the JSON lines.
#
# A python server (server_otlp.py: server.py + GET /fail -> 500) started with
# OTEL_SERVICE_NAME=checkout and OTEL_RESOURCE_ATTRIBUTES=deployment.environment=test,service.version=1.2.3,
# 8 curl processes (200, 404, 500, 201, a redacted token, ...). The agent runs
# with --output jsonl and OTLP to tests/otlp/receiver.js, configured per mode:
#   proto       --otlp-endpoint (default protocol: protobuf), --otlp-headers
#   proto_gzip  + --otlp-compression gzip
#   json        --otlp-protocol http/json, --otlp-timeout
#   json_gzip   http/json + gzip
#   env         only OTEL_EXPORTER_OTLP_{ENDPOINT,PROTOCOL,COMPRESSION,HEADERS,TIMEOUT}
#   env_traces  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (full URL, used as is) wins
#               over OTEL_EXPORTER_OTLP_ENDPOINT (a dead port); the flag
#               --otlp-protocol http/protobuf wins over OTEL_EXPORTER_OTLP_PROTOCOL=http/json
# For EVERY JSON-lines span the receiver must have exactly one span with the
# same ids, parent, kind, times, name, attributes, resource, scope, status.
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
zt_init
zt_otlp_require_agent
zt_otlp_setup

PORT=$(zt_free_port 4)
RX_PORT=$(zt_free_port 4)
DEAD_PORT=$(zt_free_port 4)
HOST_NAME=$(hostname)
ZT_VERSION=$(zt_version)
[ -n "$ZT_VERSION" ] || zt_fail "'$ZT_BIN --version' printed no version"
URL=http://127.0.0.1:$RX_PORT

AGENT_ARGS=(--port "$PORT")
ENV_VARS=()
HEADERS_JSON='{}'
case ${OTLP_MODE:?} in
proto)
	FMT=protobuf GZ=0
	AGENT_ARGS+=(--otlp-endpoint "$URL" --otlp-headers "x-zt-tenant=acme,x-zt-run=proto")
	HEADERS_JSON='{"x-zt-tenant": "acme", "x-zt-run": "proto"}' ;;
proto_gzip)
	FMT=protobuf GZ=1
	AGENT_ARGS+=(--otlp-endpoint "$URL/" --otlp-protocol http/protobuf --otlp-compression gzip) ;;
json)
	FMT=json GZ=0
	AGENT_ARGS+=(--otlp-endpoint "$URL" --otlp-protocol http/json --otlp-compression none
		--otlp-timeout 5000) ;;
json_gzip)
	FMT=json GZ=1
	AGENT_ARGS+=(--otlp-endpoint "$URL" --otlp-protocol http/json --otlp-compression gzip) ;;
env)
	FMT=json GZ=1
	ENV_VARS=(OTEL_EXPORTER_OTLP_ENDPOINT="$URL" OTEL_EXPORTER_OTLP_PROTOCOL=http/json
		OTEL_EXPORTER_OTLP_COMPRESSION=gzip OTEL_EXPORTER_OTLP_TIMEOUT=5000
		OTEL_EXPORTER_OTLP_HEADERS="x-zt-tenant=acme,x-zt-run=env")
	HEADERS_JSON='{"x-zt-tenant": "acme", "x-zt-run": "env"}' ;;
env_traces)
	FMT=protobuf GZ=0
	ENV_VARS=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$DEAD_PORT"
		OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="$URL/v1/traces"
		OTEL_EXPORTER_OTLP_PROTOCOL=http/json
		OTEL_EXPORTER_OTLP_HEADERS="x-zt-tenant=acme")
	AGENT_ARGS+=(--otlp-protocol http/protobuf)
	HEADERS_JSON='{"x-zt-tenant": "acme"}' ;;
*) zt_fail "unknown OTLP_MODE $OTLP_MODE" ;;
esac

zt_otlp_receiver rx "$RX_PORT"
RX_PID=$ZT_LAST_PID
RX_OUT=$ZT_OTLP_OUT

OTEL_SERVICE_NAME=checkout \
	OTEL_RESOURCE_ATTRIBUTES=deployment.environment=test,service.version=1.2.3 \
	zt_bg srv "$PY" "$ZT_OTLP_DIR/server_otlp.py" --host 127.0.0.1 --port "$PORT"
SRV_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$PORT" 10
zt_alive "$SRV_PID" || zt_fail "server died: $(cat "$TMP/srv.err")"
SRV_EXE=$(basename "$(readlink "/proc/$SRV_PID/exe")")

# the agent alone gets the OTEL_EXPORTER_OTLP_* variables
for v in "${ENV_VARS[@]}"; do export "${v?}"; log "env $v"; done
zt_agent_start "${AGENT_ARGS[@]}"
for v in "${ENV_VARS[@]}"; do unset "${v%%=*}"; done

head -c 300 /dev/urandom >"$TMP/body300"
REQS=(
	"GET /items/42"
	"GET /missing"
	"GET /fail"
	"POST /upload"
	"GET /search?q=abc&token=secret"
	"DELETE /items/7"
	"GET /fail"
	"GET /users/1/orders/2"
)
: >"$TMP/expected"
for spec in "${REQS[@]}"; do
	read -r method target <<<"$spec"
	args=(-sS -o /dev/null --max-time 10 -w '%{http_code}' -X "$method")
	[ "$method" = POST ] && args+=(--data-binary "@$TMP/body300")
	env -u OTEL_SERVICE_NAME -u OTEL_RESOURCE_ATTRIBUTES \
		curl "${args[@]}" "http://127.0.0.1:$PORT$target" >"$TMP/curl.out" 2>"$TMP/curl.err" &
	cpid=$!
	wait "$cpid" || zt_fail "curl $spec failed: $(cat "$TMP/curl.err")"
	echo "$cpid $method ${target%%\?*} $(cat "$TMP/curl.out")" >>"$TMP/expected"
done
N=$(($(wc -l <"$TMP/expected") * 2))
log "sent ${#REQS[@]} requests; waiting for $N spans at the receiver"
zt_settle
t0=$(date +%s%N)
if zt_otlp_wait_count "$RX_OUT" "$N" 8; then
	log "receiver has $N spans $((($(date +%s%N) - t0) / 1000000)) ms after the last request settled"
else
	log "receiver has only $(zt_otlp_count "$RX_OUT")/$N spans after 8 s; stopping the agent (final drain)"
fi
zt_agent_stop
sleep 0.5
zt_stop_untrack "$RX_PID"
log "receiver: $(wc -l <"$RX_OUT") requests, $(zt_otlp_count "$RX_OUT") spans"

export RX_OUT HOST_NAME ZT_VERSION SRV_PID SRV_EXE FMT GZ HEADERS_JSON ZT_FINAL N OTLP_MODE
export EXPECTED=$TMP/expected
zt_py_check <<'EOF'
import json
from ztcheck import *
from otlpcheck import *

srv_pid, N = env("SRV_PID", int), env("N", int)
status = {"/items/42": 200, "/missing": 404, "/fail": 500, "/upload": 201,
          "/search": 200, "/items/7": 200, "/users/1/orders/2": 200}
curl_pids = set()
for line in open(env("EXPECTED")):
    cpid, method, path, code = line.split()
    curl_pids.add(int(cpid))
    eq(int(code), status[path], "curl status for %s %s" % (method, path))

S = load()
eq(len(S), N, "JSON-lines spans")
eq(len(servers(S)), N // 2, "SERVER spans in the JSON lines")

R = load_requests(env("RX_OUT"))
check_requests(R, fmt=env("FMT"), gzip=env("GZ") == "1",
               headers=json.loads(env("HEADERS_JSON")))
D = delivered(R)
eq(len(D), len(S), "spans delivered to the receiver (answered 200) vs JSON lines")


def res_extra(s):
    pid = s["attributes"]["process.pid"]
    if pid == srv_pid:
        return {"deployment.environment": "test", "service.version": "1.2.3"}
    return {"deployment.environment": None, "service.version": None}


# process.executable.path is read from /proc/PID/exe: required for the
# long-lived server; a curl may be gone before the agent looks (then absent,
# but when present it must be right)
got = compare_spans(S, D, host=env("HOST_NAME"), version=env("ZT_VERSION"),
                    res_extra=res_extra,
                    require_exe_path=lambda s: s["attributes"]["process.pid"] == srv_pid)
paths = sum(1 for d in D if "process.executable.path" in d["resource"]
            and d["resource"]["process.pid"][1] != srv_pid)
note("curl spans with process.executable.path: %d of %d" % (paths, len(D) // 2))

# the contract's examples, spelled out
want = {("SERVER", "/fail"): ("checkout", 2), ("CLIENT", "/fail"): ("curl", 2),
        ("SERVER", "/missing"): ("checkout", 0), ("CLIENT", "/missing"): ("curl", 2),
        ("SERVER", "/items/42"): ("checkout", 0), ("CLIENT", "/items/42"): ("curl", 0),
        ("SERVER", "/upload"): ("checkout", 0)}
seen = set()
for s in S:
    a = s["attributes"]
    k = (s["kind"], a.get("url.path"))
    if k not in want or (s["trace_id"], s["span_id"]) not in got:
        continue
    seen.add(k)
    d = got[(s["trace_id"], s["span_id"])]
    svc, code = want[k]
    w = "%s %s %s" % (s["kind"], a.get("url.path"), a.get("http.response.status_code"))
    eq(d["resource"].get("service.name"), ("str", svc), w + " resource service.name")
    eq((d["span"].get("status") or {}).get("code", 0), code, w + " status.code")
    pid = a["process.pid"]
    if s["kind"] == "SERVER":
        eq(pid, srv_pid, w + " process.pid (the server)")
        eq(d["resource"].get("process.executable.name"), ("str", env("SRV_EXE")),
           w + " process.executable.name (readlink /proc/PID/exe)")
    else:
        check(pid in curl_pids, "%s process.pid %s is not one of the curl pids" % (w, pid))
        eq(d["resource"].get("process.executable.name"), ("str", "curl"),
           w + " process.executable.name")
eq(sorted(seen), sorted(want), "the spans the status examples need")

final = env("ZT_FINAL")
for k in ("otlp_dropped_full", "otlp_dropped_failed", "otlp_failures"):
    check(" %s=0" % k in (final + " "), "final line: expected %s=0: %s" % (k, final))
check(" otlp_exported=" in final, "final line has otlp_exported: %s" % final)
note("mode %s: %d requests, %d spans delivered; %s" % (
    env("OTLP_MODE"), len(R), len(D),
    " ".join(w for w in final.split() if w.startswith("otlp_"))))
done()
EOF
zt_pass
