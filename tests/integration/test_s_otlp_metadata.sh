#!/usr/bin/env bash
# (s) OTLP process metadata (resource attributes), four python servers and
# a curl for each:
#   A  OTEL_SERVICE_NAME=checkout                           -> "checkout"
#   B  no OTEL_* variable                                   -> its executable
#      name (basename of readlink /proc/PID/exe, e.g. python3.11)
#   C  OTEL_RESOURCE_ATTRIBUTES=service.name=from-attrs,team=payments
#                                                           -> "from-attrs", team=payments
#   D  OTEL_SERVICE_NAME=winner + OTEL_RESOURCE_ATTRIBUTES=service.name=loser,tier=gold
#                                                           -> "winner" (once), tier=gold
# and every curl -> "curl". process.pid, process.executable.name and
# process.executable.path (readlink /proc/PID/exe) and host.name
# (hostname) are checked for the servers; no attribute leaks from one
# process to another.
. "$(dirname "$0")/lib.sh"
zt_init
zt_otlp_require_agent
zt_otlp_setup

RX_PORT=$(zt_free_port 4)
zt_otlp_receiver rx "$RX_PORT"
RX_PID=$ZT_LAST_PID
RX_OUT=$ZT_OTLP_OUT

declare -A P SP EXE_PATH
# distinct ports: a port just closed may be handed out again
for s in A B C D; do
	while :; do
		p=$(zt_free_port 4)
		[[ " ${P[*]} $RX_PORT " == *" $p "* ]] || break
	done
	P[$s]=$p
done
OTEL_SERVICE_NAME=checkout zt_otlp_server A "${P[A]}"
SP[A]=$ZT_LAST_PID
# env -u: B must not inherit any OTEL_* variable from whoever runs the test
env -u OTEL_SERVICE_NAME -u OTEL_RESOURCE_ATTRIBUTES \
	"$PY" "$ZT_OTLP_DIR/server_otlp.py" --host 127.0.0.1 --port "${P[B]}" >"$TMP/B.out" 2>"$TMP/B.err" &
SP[B]=$!
zt_track "${SP[B]}"
zt_wait_port 127.0.0.1 "${P[B]}" 10
zt_alive "${SP[B]}" || zt_fail "server B died: $(cat "$TMP/B.err")"
OTEL_RESOURCE_ATTRIBUTES=service.name=from-attrs,team=payments zt_otlp_server C "${P[C]}"
SP[C]=$ZT_LAST_PID
OTEL_SERVICE_NAME=winner OTEL_RESOURCE_ATTRIBUTES=service.name=loser,tier=gold zt_otlp_server D "${P[D]}"
SP[D]=$ZT_LAST_PID
for s in A B C D; do
	EXE_PATH[$s]=$(readlink "/proc/${SP[$s]}/exe") || zt_fail "readlink /proc/${SP[$s]}/exe"
done

zt_agent_start --port "${P[A]}" --port "${P[B]}" --port "${P[C]}" --port "${P[D]}" \
	--otlp-endpoint "http://127.0.0.1:$RX_PORT"
: >"$TMP/curls"
for s in A B C D; do
	env -u OTEL_SERVICE_NAME -u OTEL_RESOURCE_ATTRIBUTES \
		curl -sS -o /dev/null --max-time 10 "http://127.0.0.1:${P[$s]}/items/$s" &
	cpid=$!
	wait "$cpid" || zt_fail "curl to $s failed"
	echo "$s $cpid" >>"$TMP/curls"
done
zt_settle
zt_otlp_wait_count "$RX_OUT" 8 8 || log "receiver has only $(zt_otlp_count "$RX_OUT")/8 spans after 8 s"
zt_agent_stop
sleep 0.5
zt_stop_untrack "$RX_PID"

export RX_OUT HOST_NAME ZT_VERSION CURLS=$TMP/curls
HOST_NAME=$(hostname) ZT_VERSION=$(zt_version)
for s in A B C D; do export "SRV_PID_$s=${SP[$s]}" "EXE_PATH_$s=${EXE_PATH[$s]}" "PORT_$s=${P[$s]}"; done
zt_py_check <<'PYEOF'
import os
from ztcheck import *
from otlpcheck import *
S = load()
eq(len(S), 8, "JSON-lines spans")
R = load_requests(env("RX_OUT"))
check_requests(R, fmt="protobuf", gzip=False)
D = delivered(R)
host = env("HOST_NAME")
srv = {s: env("SRV_PID_" + s, int) for s in "ABCD"}
curls = {int(p): s for s, p in (l.split() for l in open(env("CURLS")))}
exe_b = os.path.basename(env("EXE_PATH_B"))
want_svc = {"A": "checkout", "B": exe_b, "C": "from-attrs", "D": "winner"}
extra = {"A": {}, "B": {}, "C": {"team": "payments"}, "D": {"tier": "gold"}}
ALL_EXTRA = ("team", "tier", "deployment.environment", "service.version")


def res_extra(s):
    pid = s["attributes"]["process.pid"]
    for k, p in srv.items():
        if p == pid:
            out = {x: None for x in ALL_EXTRA}
            out.update(extra[k])
            return out
    return {x: None for x in ALL_EXTRA}


got = compare_spans(S, D, host=host, version=env("ZT_VERSION"), res_extra=res_extra,
                    require_exe_path=lambda s: s["attributes"]["process.pid"] in srv.values())
seen = set()
for s in S:
    d = got.get((s["trace_id"], s["span_id"]))
    if d is None:
        continue
    pid = s["attributes"]["process.pid"]
    res = d["resource"]
    if s["kind"] == "SERVER":
        k = [x for x, p in srv.items() if p == pid]
        if not check(len(k) == 1, "SERVER span pid %d is none of the servers %s" % (pid, srv)):
            continue
        k = k[0]
        seen.add(k)
        w = "server %s (pid %d)" % (k, pid)
        eq(res.get("service.name"), ("str", want_svc[k]), w + " resource service.name")
        eq(res.get("process.executable.name"), ("str", exe_b), w + " process.executable.name")
        eq(res.get("process.executable.path"), ("str", env("EXE_PATH_" + k)),
           w + " process.executable.path (readlink /proc/PID/exe)")
        eq(s["attributes"].get("url.path"), "/items/" + k, w + " url.path")
    else:
        check(pid in curls, "CLIENT span pid %d is none of the curls %s" % (pid, curls))
        eq(res.get("service.name"), ("str", "curl"), "curl pid %d resource service.name" % pid)
        eq(res.get("process.executable.name"), ("str", "curl"), "curl pid %d exe name" % pid)
eq(sorted(seen), list("ABCD"), "servers seen")
note("service names: %s (B's executable: %s)" % (want_svc, env("EXE_PATH_B")))
done()
PYEOF
zt_pass
