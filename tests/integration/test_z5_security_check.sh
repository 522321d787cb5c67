#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Security: trace checks for CI. `zerotrace check --expect FILE -- CMD`
# runs CMD under the agent (by a cgroup of its own) and compares the
# service graph it made with FILE; `zerotrace graph` writes a baseline's
# graph as YAML (an expect file), DOT and Mermaid. CMD is ci.sh (below): it
# starts users, orders and gateway (services/svc.py) on free loopback
# ports, drives five requests through the gateway from inside (service
# ci-driver), stops the services by pid, and leaves a `sleep` running.
#  1..3 run side by side, an agent and a cgroup each.
#  1. good.yaml: exit 0; the sleep it left was stopped; the cgroup and the
#     work directory are gone; --state-dir keeps the baseline.
#  2. an expect file without orders -> users and with a required
#     gateway -> payments: exit 1, exactly "- edge gateway -> payments
#     http", "+ edge orders -> users ..." and its operation.
#  3. ci.sh redis (users also calls a redis-server the script starts; the
#     agent gets --protocols): exit 1, the redis edge and its operations,
#     nothing else.
#  4. `graph --format yaml --no-ports` of 1's baseline is accepted back as
#     --expect by a new run (exit 0); `dot -Tsvg` renders the DOT; the
#     Mermaid is a flowchart.
#  5. a failing command: exit 3; a bad expect file: exit 2 with its
#     FILE:LINE:COL; an option the agent refuses, or one check sets itself:
#     exit 2.
. "$(dirname "$0")/lib.sh"
zt_init

command -v dot >/dev/null || zt_fail "graphviz's dot is not installed (scripts/install-deps.sh installs it)"
command -v redis-server >/dev/null || zt_fail "redis-server is not installed (scripts/install-deps.sh installs it)"
CGROOT=$(zt_cgroup2_mount)
[ -n "$CGROOT" ] || zt_fail "no cgroup2 mount in /proc/mounts"
# check's work directories go here, to see that each is removed
export TMPDIR=$TMP/tmpdir
mkdir -p "$TMPDIR"
SVC_DIR=$ZT_LIB_DIR/services
export PY SVC_DIR

cat >"$TMP/ci.sh" <<'EOF'
#!/usr/bin/env bash
# ci.sh MODE OUT: a service's "integration tests", run by zerotrace check.
# Everything here is in check's cgroup: the services, the driver, redis.
set -u
mode=$1 out=$2
pids=()
stop() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
}
trap stop EXIT
read -r U O G R <<<"$("$PY" -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')"
echo "$U $O $G $R" >"$out.ports"
svc() {
	OTEL_SERVICE_NAME=$1 "$PY" "$SVC_DIR/svc.py" --role "$1" --host 127.0.0.1 --port "$2" "${@:3}" \
		>/dev/null 2>"$out.$1.err" &
	pids+=($!)
}
svc users "$U"
svc orders "$O" --down "users=127.0.0.1:$U"
svc gateway "$G" --down "users=127.0.0.1:$U" --down "orders=127.0.0.1:$O"
if [ "$mode" = redis ]; then
	redis-server --port "$R" --bind 127.0.0.1 --save "" --appendonly no >"$out.redis.log" 2>&1 &
	pids+=($!)
fi
# left running on purpose: check stops what a command leaves behind
sleep 120 &
echo $! >"$out.left.pid"
# The clients use plain sockets: no TLS library for the agent to probe, so
# nothing holds up its reading of their environment (their service.name)
OTEL_SERVICE_NAME=ci-driver "$PY" - "$G" "$U" "$O" <<'PY' || exit 1
import socket, sys, time
ports = [int(p) for p in sys.argv[1:]]
end = time.monotonic() + 10
for p in ports:
    while True:
        try:
            socket.create_connection(("127.0.0.1", p), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > end:
                sys.exit("nothing listening on %d" % p)
            time.sleep(0.05)
s = socket.create_connection(("127.0.0.1", ports[0]), timeout=10)
f = s.makefile("rb")
for rid in range(1, 6):
    s.sendall(b"GET /api?rid=%d HTTP/1.1\r\nHost: gateway\r\n\r\n" % rid)
    status = f.readline().split()
    length = 0
    while True:
        h = f.readline().strip()
        if not h:
            break
        if h.lower().startswith(b"content-length:"):
            length = int(h.split(b":")[1])
    f.read(length)
    if status[1] != b"200":
        sys.exit("GET /api?rid=%d: %r" % (rid, status))
s.close()
# a service lives on: the agent reads its environment after its first span
time.sleep(1.5)
PY
if [ "$mode" = redis ]; then
	OTEL_SERVICE_NAME=users "$PY" - "$R" <<'PY' || exit 1
import socket, sys, time
end = time.monotonic() + 10
while True:
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
        break
    except OSError:
        if time.monotonic() > end:
            raise
        time.sleep(0.05)
f = s.makefile("rb")
for cmd, want in ((b"*3\r\n$3\r\nSET\r\n$9\r\nsession:1\r\n$1\r\nx\r\n", b"+OK\r\n"),
                  (b"*2\r\n$3\r\nGET\r\n$9\r\nsession:1\r\n", b"$1\r\n")):
    s.sendall(cmd)
    got = f.readline()
    assert got == want, got
f.readline()
s.close()
time.sleep(1.5)
PY
fi
exit 0
EOF

cat >"$TMP/good.yaml" <<'EOF'
# what the three services may do, whatever their ports
version: 1
edges:
  - from: ci-driver
    to: gateway
    protocol: http
    operations: ["GET /api"]
  - from: gateway
    to: users
    protocol: http
    operations: ["GET /users"]
  - from: gateway
    to: orders
    protocol: http
    required_operations: ["GET /orders"]
  - from: orders
    to: "use*"
    protocol: http
    operations: ["GET /users*"]
EOF

# zcheck_start TAG ARGS...: zerotrace check ARGS in the background, stdout
# and stderr in $TMP/TAG.out and .err. Several run at once, an agent and a
# cgroup each: an agent's stop waits out the kernel's detaching of its TLS
# probes for seconds, and side by side those waits overlap.
declare -A CHECKS=()
zcheck_start() {
	local tag=$1
	shift
	log "check $tag: zerotrace check $*"
	"$ZT_BIN" check "$@" >"$TMP/$tag.out" 2>"$TMP/$tag.err" &
	CHECKS[$tag]=$!
	zt_track "${CHECKS[$tag]}"
}

# zcheck_wait TAG STATUS: fails unless check TAG exits STATUS and leaves
# no cgroup.
zcheck_wait() {
	local tag=$1 want=$2 pid=${CHECKS[$1]} st
	wait "$pid"
	st=$?
	zt_stop_untrack "$pid"
	log "check $tag: exit $st: $(tail -n 1 "$TMP/$tag.err")"
	[ "$st" -eq "$want" ] ||
		zt_fail "check $tag: exit $st, expected $want; stdout:
$(cat "$TMP/$tag.out")
stderr:
$(cat "$TMP/$tag.err")"
	[ ! -e "$CGROOT/zerotrace-check-$pid" ] || zt_fail "check $tag left its cgroup $CGROOT/zerotrace-check-$pid"
}

# Once the checks are done: none left its work directory.
no_work_dirs() {
	[ -z "$(ls -A "$TMPDIR")" ] || zt_fail "a check left its work directory: $(ls -A "$TMPDIR")"
}

# The ports ci.sh picked in run TAG: U O G R.
ports() { cat "$TMP/$1.ports"; }

# expect_out TAG TEXT: the difference check TAG printed is exactly TEXT.
expect_out() {
	[ "$(cat "$TMP/$1.out")" = "$2" ] || zt_fail "check $1: the difference is
$(cat "$TMP/$1.out")
expected
$2"
}

sed -e '/- from: orders/,$d' "$TMP/good.yaml" >"$TMP/missing.yaml"
cat >>"$TMP/missing.yaml" <<'EOF'
  - from: gateway
    to: payments
    protocol: http
EOF

# ---- 1..3, side by side ----
zcheck_start good --expect "$TMP/good.yaml" --settle 1 --state-dir "$TMP/state1" \
	-- bash "$TMP/ci.sh" plain "$TMP/good"
zcheck_start missing --expect "$TMP/missing.yaml" --settle 1 -- bash "$TMP/ci.sh" plain "$TMP/missing"
zcheck_start redis --expect "$TMP/good.yaml" --settle 1 --protocols http1,redis \
	-- bash "$TMP/ci.sh" redis "$TMP/redis"
zcheck_wait good 0
zcheck_wait missing 1
zcheck_wait redis 1
no_work_dirs

# 1. the graph matches
expect_out good ""
grep -q "^zerotrace check: the observed graph matches $TMP/good.yaml (4 edges, 4 operations)$" "$TMP/good.err" ||
	zt_fail "no match summary: $(cat "$TMP/good.err")"
grep -q "^zerotrace check: stopped 1 processes the command left running$" "$TMP/good.err" ||
	zt_fail "the sleep left running was not reported: $(cat "$TMP/good.err")"
LEFT=$(cat "$TMP/good.left.pid")
zt_alive "$LEFT" && zt_fail "the sleep ci.sh left (pid $LEFT) still runs"
[ -s "$TMP/state1/baseline.v1" ] || zt_fail "--state-dir kept no baseline: $(ls -la "$TMP/state1")"

# 2. an edge the expect file lacks, and one it requires
read -r U O G R <<<"$(ports missing)"
expect_out missing "- edge gateway -> payments http
+ edge orders -> users http port $U
+ operation orders -> users http port $U: GET /users"
grep -q "does not match $TMP/missing.yaml: 2 extra, 1 missing$" "$TMP/missing.err" ||
	zt_fail "no mismatch summary: $(cat "$TMP/missing.err")"

# 3. a new call, users -> redis-server (Debian's is a link to redis-check-rdb,
# the name of its executable)
read -r U O G R <<<"$(ports redis)"
expect_out redis "+ edge users -> redis-check-rdb redis port $R
+ operation users -> redis-check-rdb redis port $R: GET session:{id}
+ operation users -> redis-check-rdb redis port $R: SET session:{id}"

# ---- 4. zerotrace graph: the YAML round trip, DOT, Mermaid; 5. failures ----
"$ZT_BIN" graph --state-dir "$TMP/state1" --format yaml --no-ports >"$TMP/rt.yaml" 2>"$TMP/graph.err" ||
	zt_fail "graph --format yaml failed: $(cat "$TMP/graph.err")"
for e in '"ci-driver"' '"gateway"' '"orders"'; do
	grep -q "^  - from: $e$" "$TMP/rt.yaml" || zt_fail "graph yaml lacks from: $e: $(cat "$TMP/rt.yaml")"
done
[ "$(grep -c '^  - from: ' "$TMP/rt.yaml")" -eq 4 ] || zt_fail "graph yaml: not 4 edges: $(cat "$TMP/rt.yaml")"
zcheck_start roundtrip --expect "$TMP/rt.yaml" --settle 1 -- bash "$TMP/ci.sh" plain "$TMP/roundtrip"
printf 'version: 1\nedges: []\n' >"$TMP/empty.yaml"
zcheck_start false --expect "$TMP/empty.yaml" --settle 0 -- false

"$ZT_BIN" graph --state-dir "$TMP/state1" --format dot >"$TMP/g.dot" 2>"$TMP/graph.err" ||
	zt_fail "graph --format dot failed: $(cat "$TMP/graph.err")"
dot -Tsvg "$TMP/g.dot" >"$TMP/g.svg" 2>"$TMP/dot.err" ||
	zt_fail "dot -Tsvg refused the graph: $(cat "$TMP/dot.err") $(cat "$TMP/g.dot")"
grep -q '<svg' "$TMP/g.svg" && grep -q '>ci&#45;driver<' "$TMP/g.svg" ||
	zt_fail "the SVG lacks the ci-driver node: $(head -c 2000 "$TMP/g.svg")"
"$ZT_BIN" graph --state-dir "$TMP/state1" --format mermaid >"$TMP/g.mmd" 2>"$TMP/graph.err" ||
	zt_fail "graph --format mermaid failed: $(cat "$TMP/graph.err")"
[ "$(head -n 1 "$TMP/g.mmd")" = "flowchart LR" ] &&
	grep -q '^  n[0-9] -->|"http:[0-9]*, 5 calls"| n[0-9]$' "$TMP/g.mmd" ||
	zt_fail "not a Mermaid flowchart: $(cat "$TMP/g.mmd")"

printf 'version: 1\nedges:\n  - from: a\n    to: b\n    port: 0\n' >"$TMP/bad.yaml"
zcheck_start bad --expect "$TMP/bad.yaml" -- true
zcheck_wait bad 2
grep -qx "zerotrace check: $TMP/bad.yaml:5:11: port: must be a number 1..65535 (got '0')" "$TMP/bad.err" ||
	zt_fail "no FILE:LINE:COL for the bad expect file: $(cat "$TMP/bad.err")"
zcheck_start badopt --expect "$TMP/empty.yaml" --no-such-option -- true
zcheck_wait badopt 2
grep -q "unknown option" "$TMP/badopt.err" || zt_fail "the agent's refusal is not shown: $(cat "$TMP/badopt.err")"
zcheck_start reserved --expect "$TMP/empty.yaml" --output jsonl -- true
zcheck_wait reserved 2
grep -q "^zerotrace check: --output: check sets it for the agent$" "$TMP/reserved.err" ||
	zt_fail "--output was not refused: $(cat "$TMP/reserved.err")"

zcheck_wait false 3
expect_out false ""
grep -q "^zerotrace check: the command exited with status 1$" "$TMP/false.err" ||
	zt_fail "no command status: $(cat "$TMP/false.err")"
zcheck_wait roundtrip 0
no_work_dirs
zt_pass
