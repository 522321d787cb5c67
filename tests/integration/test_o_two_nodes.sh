#!/usr/bin/env bash
# (o) two simulated nodes: network namespaces A and B joined by a veth pair
# (a private /24 that exists only inside them). "front" (ns A, cgroup
# front) answers GET /front?rid=N[&size=S] by POSTing a body to "back" (ns B,
# cgroup back) and returning back's answer; sha256 of both bodies travel in
# X-Body-Sha256 and are checked by each receiver (mismatch -> 500). Two
# agents, one per node: agent A --cgroup front, agent B --cgroup back.
# Run twice, with fresh services and agents each time:
#   inject:   both agents --inject-traceparent -> for every rid, front's
#             CLIENT span (agent A) and back's SERVER span (agent B) share
#             one trace id, back SERVER's parent is front CLIENT's span_id,
#             and back received exactly "traceparent: 00-<that trace>-<that
#             span>-01";
#   plain:    no injection -> different trace ids, back SERVER parent "",
#             back received no traceparent.
# Both runs: 20 requests of up to 6000 bytes plus one of 1 MiB each way;
# every answer 200 with matching checksums; body sizes exact in the spans.
. "$(dirname "$0")/lib.sh"
zt_init

zt_agent_has_flag --inject-traceparent || zt_fail "agent has no --inject-traceparent flag (not in $ZT_BIN yet)"
zt_agent_has_flag --cgroup || zt_fail "agent has no --cgroup flag (not in $ZT_BIN yet)"
SVC=$ZT_LIB_DIR/services
NET=10.213.77
PORT=8080

zt_cgroup_new front
CG_A=$ZT_LAST_CG
zt_cgroup_new back
CG_B=$ZT_LAST_CG
zt_netns_new a
NS_A=$ZT_LAST_NETNS
zt_netns_new b
NS_B=$ZT_LAST_NETNS
VA=zto$$a
VB=zto$$b
ip link add "$VA" netns "$NS_A" type veth peer name "$VB" netns "$NS_B" || zt_fail "cannot create veth pair"
ip -n "$NS_A" addr add "$NET.1/24" dev "$VA" && ip -n "$NS_A" link set "$VA" up &&
	ip -n "$NS_B" addr add "$NET.2/24" dev "$VB" && ip -n "$NS_B" link set "$VB" up ||
	zt_fail "cannot configure the veth pair"
log "nodes: $NS_A ($NET.1, cgroup $CG_A) <-> $NS_B ($NET.2, cgroup $CG_B)"

# ns_wait_port NS HOST PORT: wait (10 s) until HOST:PORT accepts inside NS.
ns_wait_port() {
	ip netns exec "$1" "$PY" - "$2" "$3" <<'EOF' || zt_fail "nothing listening on $2:$3 in $1 after 10s"
import socket, sys, time
end = time.monotonic() + 10
while time.monotonic() < end:
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

# run_mode MODE [AGENT FLAGS...]: services, agents, traffic, stop; files $TMP/MODE.*
run_mode() {
	local mode=$1 back front
	shift
	zt_cg_bg "$mode.back" "$CG_B" ip netns exec "$NS_B" env OTEL_SERVICE_NAME=back "$PY" "$SVC/svc.py" \
		--role back --host "$NET.2" --port "$PORT" --log "$TMP/$mode.back.log"
	back=$ZT_LAST_PID
	zt_cg_bg "$mode.front" "$CG_A" ip netns exec "$NS_A" env OTEL_SERVICE_NAME=front "$PY" "$SVC/svc.py" \
		--role front --host 127.0.0.1 --port "$PORT" --down "back=$NET.2:$PORT"
	front=$ZT_LAST_PID
	ns_wait_port "$NS_B" "$NET.2" "$PORT"
	ns_wait_port "$NS_A" 127.0.0.1 "$PORT"
	zt_in_cgroup "$back" "$CG_B" && zt_in_cgroup "$front" "$CG_A" ||
		zt_fail "front/back not in their cgroups: $(cat "/proc/$front/cgroup" "/proc/$back/cgroup")"
	: >"$TMP/$mode.back.log"
	zt_agent_launch_tag "$mode.A" --cgroup "$CG_A" "$@"
	zt_agent_launch_tag "$mode.B" --cgroup "$CG_B" "$@"
	zt_agent_wait_tag "$mode.A"
	zt_agent_wait_tag "$mode.B"
	drive "$mode" small 20 1 '/front?rid={rid}'
	drive "$mode" big 1 21 '/front?size=1048576&rid={rid}'
	zt_settle 1
	zt_agent_stop_tag "$mode.A"
	zt_agent_stop_tag "$mode.B"
	zt_stop_untrack "$front" "$back"
	echo "$front $back" >"$TMP/$mode.pids"
}

# drive MODE TAG N RID_START PATH: the driver runs in ns A, outside both cgroups
drive() {
	local out=$TMP/$1.$2.driver.json pid
	timeout 60 ip netns exec "$NS_A" "$PY" "$SVC/driver.py" --host 127.0.0.1 --port "$PORT" \
		--path "$5" --n "$3" --c 1 --rid-start "$4" --timeout 40 --check-sha --out "$out" \
		2>"$TMP/$1.$2.driver.err" &
	pid=$!
	zt_track "$pid"
	wait "$pid"
	zt_stop_untrack "$pid"
	log "$1/$2: $(cat "$TMP/$1.$2.driver.err")"
	[ -s "$out" ] || zt_fail "driver $1/$2 wrote no results: $(cat "$TMP/$1.$2.driver.err")"
}

run_mode inject --inject-traceparent
run_mode plain
export TMP PORT

zt_py_check <<'EOF'
from ztcheck import *
import json, re

tmp, port = env("TMP"), env("PORT", int)
BIG = 1048576
TP = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-01$")
for mode in ("inject", "plain"):
    front_pid, back_pid = map(int, open("%s/%s.pids" % (tmp, mode)).read().split())
    res = [json.load(open("%s/%s.%s.driver.json" % (tmp, mode, t))) for t in ("small", "big")]
    rids = [r for x in res for r in range(x["rid_start"], x["rid_start"] + x["n"])]
    for x in res:
        eq(x["bad"], [], "%s: requests that failed (status/checksum) at the driver" % mode)
    A = load("%s/%s.A.spans.jsonl" % (tmp, mode))
    B = load("%s/%s.B.spans.jsonl" % (tmp, mode))
    got = {}
    for line in open("%s/%s.back.log" % (tmp, mode)):
        m = re.match(r"rid=(\d+) traceparent=(\S+) size=(\d+)", line)
        if m:
            got[int(m.group(1))] = m.group(2)

    def rid(s):
        q = attr(s, "url.query") or ""
        m = re.search(r"(?:^|&)rid=(\d+)", q)
        return int(m.group(1)) if m else None

    fc = {rid(s): s for s in clients(A) if s.get("service.name") == "front"}
    fs = {rid(s): s for s in servers(A) if s.get("service.name") == "front"}
    bs = {rid(s): s for s in servers(B) if s.get("service.name") == "back"}
    eq(len(A), 2 * len(rids), "%s: spans of agent A (front SERVER + CLIENT per request)" % mode)
    eq(len(B), len(rids), "%s: spans of agent B (back SERVER per request)" % mode)
    eq(sorted({attr(s, "process.pid") for s in A}), [front_pid], "%s: pids in agent A's spans" % mode)
    eq(sorted({attr(s, "process.pid") for s in B}), [back_pid], "%s: pids in agent B's spans" % mode)
    joined = rule3 = 0
    for r in rids:
        c, b, f = fc.get(r), bs.get(r), fs.get(r)
        if not check(c is not None and b is not None,
                     "%s rid=%d: front CLIENT span %s, back SERVER span %s"
                     % (mode, r, "found" if c else "MISSING", "found" if b else "MISSING")):
            continue
        size = BIG if r == 21 else (r * 7919) % 6000
        expect_span(c, "%s rid=%d front CLIENT" % (mode, r), kind="CLIENT",
                    attrs={"http.request.method": "POST", "url.path": "/back", "server.port": port,
                           "http.request.body.size": size, "http.response.body.size": size,
                           "http.response.status_code": 200})
        expect_span(b, "%s rid=%d back SERVER" % (mode, r), kind="SERVER",
                    attrs={"http.request.method": "POST", "url.path": "/back", "server.port": port,
                           "client.port": attr(c, "client.port"), "http.request.body.size": size,
                           "http.response.body.size": size, "http.response.status_code": 200})
        if f is not None and c.get("parent_span_id") == f.get("span_id"):
            rule3 += 1
        if mode == "inject":
            ok = (b.get("trace_id") == c.get("trace_id") and b.get("parent_span_id") == c.get("span_id"))
            joined += ok
            check(ok, "inject rid=%d: back SERVER trace=%s parent=%r, expected front CLIENT's trace=%s "
                  "and parent=%s" % (r, b.get("trace_id"), b.get("parent_span_id"),
                                     c.get("trace_id"), c.get("span_id")))
            eq(got.get(r, "<no request logged>"), "00-%s-%s-01" % (c.get("trace_id"), c.get("span_id")),
               "inject rid=%d: traceparent back received vs front CLIENT span's ids" % r)
        else:
            ok = b.get("trace_id") != c.get("trace_id") and b.get("parent_span_id") == ""
            joined += b.get("trace_id") == c.get("trace_id")
            check(ok, "plain rid=%d: back SERVER trace=%s parent=%r, expected a different trace than "
                  "front CLIENT's %s and parent \"\"" % (r, b.get("trace_id"), b.get("parent_span_id"),
                                                        c.get("trace_id")))
            eq(got.get(r, "<no request logged>"), "-", "plain rid=%d: traceparent back received" % r)
    print("%s: %d/%d requests with back SERVER joined to front CLIENT (same trace, parent = its span); "
          "%d/%d front CLIENT spans children of their front SERVER span (rule 3, info)"
          % (mode, joined, len(rids), rule3, len(rids)))
done()
EOF
zt_pass
