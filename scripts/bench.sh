#!/usr/bin/env bash
# Overhead benchmark (`make bench`): what tracing costs, as ratios and per
# request costs from one run, each goal of issue 14 with PASS or FAIL
# (scripts/bench_report.py prints the table). Arms, in order:
#   tax          dd bs=1 (file read+write) and a getppid loop, ns per syscall,
#                untraced and traced in three pairs (the agent traces all)
#   http         nginx (1 worker, 1 KiB file) under wrk -t2 -c16 --latency,
#                untraced then traced (--port of nginx, output none), then
#                5 s more with kernel.bpf_stats_enabled=1 (only then: stats
#                cost ~60 ns a program run) for BPF ns per program and per
#                socket syscall; the agent's CPU from /proc/PID/stat; then
#                untraced again (each ratio is against the mean of the two
#                untraced runs; redis too)
#   http-jsonl   the same, every span written as a JSON line to a file
#   http-logs-off  nginx's server that writes an access log line per request
#                (a write(2) to an O_APPEND file), JSON lines, without --logs
#   http-logs    the same with --logs: each line becomes a log record (tax:
#                dd with --logs too, the lookup a write of a thread that
#                serves no request pays)
#   http-otlp    the same, spans sent over OTLP (gzip) to a loopback sink
#   redis        redis-server under redis-benchmark -P 1 -t get,set
#   conns        10,000 live connections to nginx (agent on its worker):
#                the agent's peak RSS (VmHWM)
#   https        nginx's TLS server block (nginx and wrk both take the
#                OpenSSL uprobes)
#   go           a Go net/http server (tests/integration/runtimes/gosvc)
#   go-handoffs  the same with --go-handoffs (the Go runtime uprobes)
#   go-https     the Go server over crypto/tls (not in the default list)
#   uprobe       what one uprobe hit costs here, without a BPF program (a
#                tracefs uprobe event): on a function entered by an ordinary
#                instruction (the int3 trap that each probed OpenSSL or Go
#                call takes) and on one entered by a 5-byte nop (which the
#                kernel turns into a call: x86-64, Linux 6.18 on)
#   replay       scripts/replay_cost.sh on a recording of the http arm:
#                instructions per event under callgrind (repeatable)
#
#   scripts/bench.sh                          # as root
#   BENCH_ARMS="tax http" scripts/bench.sh    # which arms, in order
#   BENCH_DURATION=5 ZT_BIN=build/zerotrace scripts/bench.sh
#   BENCH_JSON=figures.json scripts/bench.sh  # the table as JSON too
#   BENCH_ACCURACY=0 scripts/bench.sh         # skip the trace accuracy run
#   BENCH_SMAPS=/tmp/zt scripts/bench.sh     # keep the agent's smaps per arm
#
# At the end it runs scripts/accuracy.sh (trace accuracy of the 3-service
# scenario at concurrency 1 and 16); its failure to measure fails the bench.
# A goal that fails does not: the table says it.
#
# Everything it starts is stopped by pid on exit; its temp dir is removed
# unless BENCH_KEEP=1.
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ZT_BIN=${ZT_BIN:-$ROOT/build/zerotrace}
DURATION=${BENCH_DURATION:-10}
THREADS=2
CONNS=16
PY=/usr/bin/python3

die() {
	echo "bench: $*" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || die "must run as root (the agent loads BPF programs)"
[ -x "$ZT_BIN" ] || die "$ZT_BIN not built (make build/zerotrace)"
[ -x /usr/sbin/nginx ] || die "/usr/sbin/nginx missing (scripts/install-deps.sh)"
command -v wrk >/dev/null || die "wrk missing (scripts/install-deps.sh)"

TMP=$(mktemp -d /tmp/zt-bench.XXXXXX)
chmod 755 "$TMP"
NGINX_PID=""
GO_PID=""
GO_TLS_PID=""
AGENT_PID=""
REDIS_PID=""
SINK_PID=""
CONNS_PID=""
WORKERS=""

alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) [ZX]' "/proc/$1/stat" 2>/dev/null; }
stop_pid() { # PID SIGNAL SECONDS
	local i
	[ -n "$1" ] && alive "$1" || return 0
	kill "-$2" "$1" 2>/dev/null
	for ((i = 0; i < $3 * 10; i++)); do
		alive "$1" || break
		sleep 0.1
	done
	alive "$1" && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# The uprobe arm's tracefs events, by their group: none unless it ran.
UPROBE_GROUP=zt_bench_$$
uprobe_events_remove() {
	local t=/sys/kernel/tracing e
	[ -d "$t/events/$UPROBE_GROUP" ] || return 0
	echo 0 >"$t/events/$UPROBE_GROUP/enable" 2>/dev/null
	for e in int3 nop5; do echo "-:$UPROBE_GROUP/$e" >>"$t/uprobe_events" 2>/dev/null; done
}

cleanup() {
	local rc=$? w
	trap - EXIT INT TERM
	stop_pid "$AGENT_PID" INT 15
	stop_pid "$CONNS_PID" TERM 5
	stop_pid "$NGINX_PID" TERM 5
	stop_pid "$REDIS_PID" TERM 5
	stop_pid "$SINK_PID" TERM 5
	stop_pid "${GO_TLS_PID:-}" TERM 5
	stop_pid "${GO_PID:-}" TERM 5
	# a run that died while bpf_stats were on leaves them as they were
	[ -n "${STATS_WAS:-}" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS" 2>/dev/null
	uprobe_events_remove
	for w in $WORKERS; do alive "$w" && kill -KILL "$w" 2>/dev/null; done
	if [ "${BENCH_KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
		echo "bench: files kept in $TMP" >&2
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
TLS_PORT=$(free_port)
[ "$TLS_PORT" != "$PORT" ] || TLS_PORT=$(free_port)
LOG_PORT=$(free_port)
while [ "$LOG_PORT" = "$PORT" ] || [ "$LOG_PORT" = "$TLS_PORT" ]; do LOG_PORT=$(free_port); done
mkdir -p "$TMP/www" "$TMP/tmp" "$TMP/logs"
head -c 1024 /dev/urandom >"$TMP/www/file1k"
cat >"$TMP/nginx.conf" <<EOF
user root root;
worker_processes 1;
worker_rlimit_nofile 40000;
master_process on;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/logs/error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $TMP/tmp/body;
    proxy_temp_path $TMP/tmp/proxy;
    fastcgi_temp_path $TMP/tmp/fastcgi;
    uwsgi_temp_path $TMP/tmp/uwsgi;
    scgi_temp_path $TMP/tmp/scgi;
    server {
        listen 127.0.0.1:$PORT;
        root $TMP/www;
        location / { }
    }
    server {
        listen 127.0.0.1:$LOG_PORT;
        access_log $TMP/logs/access.log;
        root $TMP/www;
        location / { }
    }
    server {
        listen 127.0.0.1:$TLS_PORT ssl;
        ssl_certificate $TMP/cert.pem;
        ssl_certificate_key $TMP/key.pem;
        root $TMP/www;
        location / { }
    }
}
EOF
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout "$TMP/key.pem" \
	-out "$TMP/cert.pem" >"$TMP/openssl.log" 2>&1 || die "openssl req: $(cat "$TMP/openssl.log")"
# wrk's own exact numbers, from its Lua done hook (latency in microseconds)
cat >"$TMP/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("ZT_WRK requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
EOF

/usr/sbin/nginx -c "$TMP/nginx.conf" -p "$TMP" >"$TMP/nginx.out" 2>&1 &
NGINX_PID=$!
for ((i = 0; i < 100; i++)); do
	curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/file1k" && break
	alive "$NGINX_PID" || die "nginx exited: $(cat "$TMP/nginx.out" "$TMP/logs/error.log" 2>/dev/null)"
	sleep 0.1
done
WORKERS=$(ps -o pid= --ppid "$NGINX_PID" | tr -s ' \n' ' ')
for ((i = 0; i < 100; i++)); do
	curl -sk -o /dev/null --max-time 1 "https://127.0.0.1:$TLS_PORT/file1k" && break
	sleep 0.1
done

run_wrk() { # LABEL URL [SECONDS]
	local secs=${3:-$DURATION}
	timeout $((secs + 30)) wrk -t$THREADS -c$CONNS -d"${secs}s" --latency -s "$TMP/report.lua" "$2" \
		>"$TMP/wrk.$1.out" 2>&1 || die "wrk ($1) failed: $(cat "$TMP/wrk.$1.out")"
	grep -q '^ZT_WRK ' "$TMP/wrk.$1.out" || die "wrk ($1) printed no summary: $(cat "$TMP/wrk.$1.out")"
}

agent_start() { # ARM OUTPUT [AGENT OPTIONS...]
	local arm=$1 output=$2
	shift 2
	# background jobs start with SIGINT ignored: reset it (exec keeps the pid)
	"$PY" -c 'import os, signal, sys; [signal.signal(s, signal.SIG_DFL) for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGXFSZ)]; os.execv(sys.argv[1], sys.argv[1:])' \
		"$ZT_BIN" --output "$output" --metrics-addr off --state-dir "$TMP/state.$arm" "$@" \
		>"$TMP/spans.$arm.jsonl" 2>"$TMP/agent.$arm.err" &
	AGENT_PID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q "^zerotrace: ready" "$TMP/agent.$arm.err" 2>/dev/null && break
		alive "$AGENT_PID" || die "agent exited before ready: $(cat "$TMP/agent.$arm.err")"
		sleep 0.1
	done
	grep -q '^zerotrace: ready' "$TMP/agent.$arm.err" || die "agent not ready after 30 s: $(cat "$TMP/agent.$arm.err")"
}

agent_stop() { # ARM: the final line goes to $TMP/final.ARM, the peak RSS to HWM_KB
	local rc
	HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$AGENT_PID/status")
	# where the memory is, for a look: BENCH_SMAPS=prefix keeps prefix.ARM
	[ -z "${BENCH_SMAPS:-}" ] || cp "/proc/$AGENT_PID/smaps" "$BENCH_SMAPS.$1"
	kill -INT "$AGENT_PID"
	for ((i = 0; i < 300; i++)); do
		alive "$AGENT_PID" || break
		sleep 0.1
	done
	alive "$AGENT_PID" && die "agent still running 30 s after SIGINT"
	wait "$AGENT_PID"
	rc=$?
	AGENT_PID=""
	grep '^zerotrace: final ' "$TMP/agent.$1.err" | tail -n 1 >"$TMP/final.$1"
	[ "$rc" -eq 0 ] || echo "bench: WARNING: agent exit status $rc" >&2
	[ -s "$TMP/final.$1" ] || die "agent printed no final stats line: $(tail -n 20 "$TMP/agent.$1.err")"
}

# the agent's own CPU (user + system ticks of /proc/PID/stat)
agent_ticks() { awk '{ print $14 + $15 }' "/proc/$AGENT_PID/stat"; }

# the agent's BPF programs (the prog ids its fds hold, from
# /proc/PID/fdinfo: bpftool here lists no pids) as bpftool's JSON
bpf_snapshot() { # FILE
	bpftool -j prog show 2>/dev/null | "$PY" -c '
import json, os, re, sys
d = "/proc/%s/fdinfo" % sys.argv[1]
ids = set()
for fd in os.listdir(d):
    try:
        ids.update(int(m) for m in re.findall(r"^prog_id:\s*(\d+)", open(os.path.join(d, fd)).read(), re.M))
    except OSError:
        pass
json.dump([p for p in json.load(sys.stdin) if p["id"] in ids], sys.stdout)' "$AGENT_PID" >"$1"
}

STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
sysctl -qw kernel.bpf_stats_enabled=0

# bpf_stats on for one more run of LOAD (a command), its output in
# $TMP/ARM.stats.out; sets STATS_ARGS for bench_report.py
bpf_stats_window() { # ARM LOAD...
	local arm=$1
	shift
	echo "bench: [$arm] traced run with bpf_stats on (BPF ns per program)..." >&2
	bpf_snapshot "$TMP/bpf0.$arm.json"
	sysctl -qw kernel.bpf_stats_enabled=1
	"$@" >"$TMP/$arm.stats.out" 2>&1 || die "$arm: stats run failed: $(tail -n 5 "$TMP/$arm.stats.out")"
	sysctl -qw kernel.bpf_stats_enabled=0
	bpf_snapshot "$TMP/bpf1.$arm.json"
	STATS_ARGS=(stats_run="$TMP/$arm.stats.out" bpf0="$TMP/bpf0.$arm.json" bpf1="$TMP/bpf1.$arm.json")
}

report_arm() { # ARM KEY=VALUE...
	local arm=$1
	shift
	"$PY" "$ROOT/scripts/bench_report.py" arm "$TMP/arm.$arm.json" "$arm" "$@" ||
		die "$arm: its figures could not be read"
}

wrk_stats() { # URL
	timeout 40 wrk -t$THREADS -c$CONNS -d5s --latency -s "$TMP/report.lua" "$1"
}

run_arm() { # ARM OUTPUT AGENT_FILTER URL WHAT [AGENT OPTIONS...]
	local arm=$1 output=$2 filter=$3 url=$4 what=$5 ticks0 ticks1 spans=()
	shift 5
	echo "bench: [$arm] $url: $what; wrk -t$THREADS -c$CONNS -d${DURATION}s --latency" >&2
	timeout 10 wrk -t1 -c4 -d1s "$url" >/dev/null 2>&1 # warm-up, not measured
	echo "bench: [$arm] untraced run..." >&2
	run_wrk "$arm.untraced" "$url"
	echo "bench: [$arm] starting agent ($output)..." >&2
	# shellcheck disable=SC2086 # the filter is an option and its value
	agent_start "$arm" "$output" $filter "$@"
	echo "bench: [$arm] traced run..." >&2
	ticks0=$(agent_ticks)
	run_wrk "$arm.traced" "$url"
	ticks1=$(agent_ticks)
	STATS_ARGS=()
	[ "${BENCH_BPF_STATS:-1}" = 1 ] && bpf_stats_window "$arm" wrk_stats "$url"
	agent_stop "$arm"
	echo "bench: [$arm] untraced run again..." >&2
	run_wrk "$arm.untraced_after" "$url"
	[ "$output" = jsonl ] && spans=(spans="$(wc -l <"$TMP/spans.$arm.jsonl")")
	report_arm "$arm" untraced="$TMP/wrk.$arm.untraced.out" traced="$TMP/wrk.$arm.traced.out" \
		untraced_after="$TMP/wrk.$arm.untraced_after.out" \
		final="$TMP/final.$arm" ticks=$((ticks1 - ticks0)) hz="$(getconf CLK_TCK)" \
		hwm_kb="$HWM_KB" "${spans[@]}" "${STATS_ARGS[@]}"
}

# ns per syscall of COMMAND making N syscalls
ns_per_syscall() { # N COMMAND...
	local n=$1 t0 t1
	shift
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || die "$*: failed"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / n))
}

tax_arm() {
	local n=1000000 r
	cc -O2 -o "$TMP/getppid_loop" -x c - <<'EOF' || die "cc getppid_loop failed"
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;

	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}
EOF
	: >"$TMP/tax.txt"
	for r in 1 2 3; do
		echo "bench: [tax] pair $r: untraced, traced (agent on every process), traced --logs..." >&2
		local du gu dt gt dl
		du=$(ns_per_syscall $((2 * n)) dd if=/dev/zero of=/dev/null bs=1 count=$n)
		gu=$(ns_per_syscall $n "$TMP/getppid_loop" $n)
		agent_start tax none
		dt=$(ns_per_syscall $((2 * n)) dd if=/dev/zero of=/dev/null bs=1 count=$n)
		gt=$(ns_per_syscall $n "$TMP/getppid_loop" $n)
		agent_stop tax
		agent_start tax-logs none --logs
		dl=$(ns_per_syscall $((2 * n)) dd if=/dev/zero of=/dev/null bs=1 count=$n)
		agent_stop tax-logs
		echo "dd $du $dt" >>"$TMP/tax.txt"
		echo "getppid $gu $gt" >>"$TMP/tax.txt"
		echo "dd_logs $du $dl" >>"$TMP/tax.txt"
	done
	report_arm tax tax="$TMP/tax.txt" final="$TMP/final.tax" hwm_kb="$HWM_KB"
}

# A loopback OTLP/HTTP sink: answers every POST 200 with an empty body.
otlp_sink() {
	[ -n "$SINK_PID" ] && return 0
	SINK_PORT=$(free_port)
	"$PY" - "$SINK_PORT" >"$TMP/sink.out" 2>&1 <<'EOF' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
	SINK_PID=$!
}

redis_load() { # PORT
	timeout 120 redis-benchmark -h 127.0.0.1 -p "$1" -t get,set -n "${BENCH_REDIS_REQUESTS:-100000}" \
		-c 16 -P 1 --csv
}

redis_arm() {
	local port ticks0 ticks1
	command -v redis-benchmark >/dev/null || die "redis-benchmark missing (scripts/install-deps.sh)"
	port=$(free_port)
	redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
		--dir "$TMP" >"$TMP/redis.out" 2>&1 &
	REDIS_PID=$!
	for ((i = 0; i < 100; i++)); do
		redis-cli -p "$port" ping >/dev/null 2>&1 && break
		alive "$REDIS_PID" || die "redis-server exited: $(cat "$TMP/redis.out")"
		sleep 0.1
	done
	echo "bench: [redis] redis-benchmark -P 1 -t get,set, untraced..." >&2
	redis_load "$port" >"$TMP/redis.untraced.out" 2>&1 || die "redis-benchmark failed"
	agent_start redis none --port "$port"
	echo "bench: [redis] traced..." >&2
	ticks0=$(agent_ticks)
	redis_load "$port" >"$TMP/redis.traced.out" 2>&1 || die "redis-benchmark failed"
	ticks1=$(agent_ticks)
	bpf_stats_window redis redis_load "$port"
	agent_stop redis
	echo "bench: [redis] untraced again..." >&2
	redis_load "$port" >"$TMP/redis.untraced_after.out" 2>&1 || die "redis-benchmark failed"
	stop_pid "$REDIS_PID" TERM 5
	REDIS_PID=""
	report_arm redis untraced="$TMP/redis.untraced.out" traced="$TMP/redis.traced.out" \
		untraced_after="$TMP/redis.untraced_after.out" \
		final="$TMP/final.redis" ticks=$((ticks1 - ticks0)) hz="$(getconf CLK_TCK)" \
		requests=$((2 * ${BENCH_REDIS_REQUESTS:-100000})) hwm_kb="$HWM_KB" "${STATS_ARGS[@]}"
}

# 10,000 connections opened to nginx, each with one request answered, then
# held open while the agent (on nginx's worker) tracks them all.
conns_arm() {
	local n=10000 opened
	cat >"$TMP/conns.py" <<'EOF'
import resource, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 1024, n + 1024))
req = b"GET /file1k HTTP/1.1\r\nHost: bench\r\n\r\n"
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(req)
    socks.append(s)
for s in socks:
    got = b""
    while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < 1024:
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit("connection closed early")
        got += chunk
print("open %d" % len(socks), flush=True)
time.sleep(60)
EOF
	# shellcheck disable=SC2086 # one option per worker pid
	agent_start conns none $(for w in $WORKERS; do echo --pid "$w"; done)
	echo "bench: [conns] opening $n connections to nginx..." >&2
	"$PY" "$TMP/conns.py" "$PORT" "$n" >"$TMP/conns.out" 2>&1 &
	CONNS_PID=$!
	for ((i = 0; i < 600; i++)); do
		grep -q '^open' "$TMP/conns.out" && break
		alive "$CONNS_PID" || die "the connection opener failed: $(tail -n 5 "$TMP/conns.out")"
		sleep 0.1
	done
	opened=$(awk '/^open/ { print $2 }' "$TMP/conns.out")
	[ -n "$opened" ] || die "the connection opener did not open $n connections in 60 s"
	sleep 3 # the agent reads what the kernel queued
	agent_stop conns
	stop_pid "$CONNS_PID" TERM 5
	CONNS_PID=""
	report_arm conns final="$TMP/final.conns" hwm_kb="$HWM_KB" open_conns="$opened"
}

replay_arm() {
	[ -x "$ROOT/scripts/replay_cost.sh" ] || die "scripts/replay_cost.sh missing"
	echo "bench: [replay] recording 2 s of the http arm's load..." >&2
	"$ZT_BIN" record "$TMP/http.rec" --output none --metrics-addr off --port "$PORT" \
		--state-dir "$TMP/state.replay" >"$TMP/record.out" 2>&1 &
	AGENT_PID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q "^zerotrace: ready" "$TMP/record.out" 2>/dev/null && break
		alive "$AGENT_PID" || die "record exited before ready: $(cat "$TMP/record.out")"
		sleep 0.1
	done
	timeout 20 wrk -t$THREADS -c$CONNS -d2s "http://127.0.0.1:$PORT/file1k" >/dev/null 2>&1
	stop_pid "$AGENT_PID" INT 15
	AGENT_PID=""
	"$ROOT/scripts/replay_cost.sh" "$TMP/http.rec" >"$TMP/replay.out" 2>&1 ||
		die "replay_cost.sh failed: $(tail -n 5 "$TMP/replay.out")"
	report_arm replay \
		replay_ir_none="$(awk '/^instructions per event \(none\):/ { print $5; exit }' "$TMP/replay.out")" \
		replay_ir_jsonl="$(awk '/^instructions per event \(jsonl\):/ { print $5; exit }' "$TMP/replay.out")"
}

uprobe_arm() {
	local t=/sys/kernel/tracing n=200000 fn off
	[ -e "$t/uprobe_events" ] || mount -t tracefs nodev "$t" 2>/dev/null
	[ -e "$t/uprobe_events" ] || die "uprobe: no $t/uprobe_events (tracefs, CONFIG_UPROBE_EVENTS)"
	# no endbr64 (-fcf-protection=none): each function starts with the
	# instruction its probe replaces
	cc -O2 -fcf-protection=none -o "$TMP/uprobe_loop" -x c - <<'EOF' || die "cc uprobe_loop failed"
#include <stdlib.h>
__attribute__((noinline)) int entry_int3(int x) { __asm__ volatile(""); return x + 1; }
__attribute__((noinline)) int entry_nop5(int x)
{
	__asm__ volatile(".byte 0x0f, 0x1f, 0x44, 0x00, 0x00");
	return x + 1;
}
int main(int argc, char **argv)
{
	int (*fn)(int) = argv[1][0] == 'n' ? entry_nop5 : entry_int3;
	long n = atol(argv[2]);
	volatile int s = 0;

	for (long i = 0; i < n; i++)
		s = fn(s);
	return 0;
}
EOF
	local -A untraced
	for fn in int3 nop5; do
		echo "bench: [uprobe] $n calls of a function entered by $fn, unprobed..." >&2
		untraced[$fn]=$(ns_per_syscall $n "$TMP/uprobe_loop" "$fn" $n)
		off=$(nm "$TMP/uprobe_loop" | awk -v f="entry_$fn" '$3 == f { print $1 }')
		[ -n "$off" ] || die "uprobe: entry_$fn not in the loop's symbols"
		echo "p:$UPROBE_GROUP/$fn $TMP/uprobe_loop:0x$off" >>"$t/uprobe_events" ||
			die "uprobe: cannot add a uprobe event for entry_$fn"
	done
	echo 1 >"$t/events/$UPROBE_GROUP/enable" || die "uprobe: cannot enable its events"
	: >"$TMP/uprobe.txt"
	for fn in int3 nop5; do
		echo "bench: [uprobe] the same, probed..." >&2
		echo "$fn ${untraced[$fn]} $(ns_per_syscall $n "$TMP/uprobe_loop" "$fn" $n)" >>"$TMP/uprobe.txt"
	done
	uprobe_events_remove
	report_arm uprobe uprobe="$TMP/uprobe.txt"
}

# the Go server of the Go arms, started once
go_server() {
	[ -n "${GO_PID:-}" ] && return 0
	command -v go >/dev/null || die "go missing (scripts/install-deps.sh)"
	(cd "$ROOT/tests/integration/runtimes/gosvc" && HOME=${HOME:-/root} GOCACHE=/tmp/zt-gocache \
		GOFLAGS=-mod=mod GOTOOLCHAIN=local go build -o "$TMP/gosvc" .) >"$TMP/go-build.log" 2>&1 ||
		die "go build: $(cat "$TMP/go-build.log")"
	GO_PORT=$(free_port)
	"$TMP/gosvc" --role users --listen "127.0.0.1:$GO_PORT" >"$TMP/gosvc.out" 2>&1 &
	GO_PID=$!
	for ((i = 0; i < 100; i++)); do
		curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$GO_PORT/users?rid=1" && return 0
		alive "$GO_PID" || die "the Go server exited: $(cat "$TMP/gosvc.out")"
		sleep 0.1
	done
	die "the Go server did not answer in 10 s"
}

# The same Go server over HTTPS, with nginx's certificate.
go_tls_server() {
	[ -n "${GO_TLS_PID:-}" ] && return 0
	go_server
	GO_TLS_PORT=$(free_port)
	"$TMP/gosvc" --role users --listen "127.0.0.1:$GO_TLS_PORT" --tls-cert "$TMP/cert.pem" \
		--tls-key "$TMP/key.pem" >"$TMP/gosvc-tls.out" 2>&1 &
	GO_TLS_PID=$!
	for ((i = 0; i < 100; i++)); do
		curl -sk -o /dev/null --max-time 1 "https://127.0.0.1:$GO_TLS_PORT/users?rid=1" && return 0
		alive "$GO_TLS_PID" || die "the Go HTTPS server exited: $(cat "$TMP/gosvc-tls.out")"
		sleep 0.1
	done
	die "the Go HTTPS server did not answer in 10 s"
}

NGINX_URL="http://127.0.0.1:$PORT/file1k"
NGINX_LOG_URL="http://127.0.0.1:$LOG_PORT/file1k"
for arm in ${BENCH_ARMS:-tax http http-jsonl http-logs-off http-logs http-otlp redis conns https go go-handoffs uprobe replay}; do
	case $arm in
	tax) tax_arm ;;
	http) run_arm http none "--port $PORT" "$NGINX_URL" "nginx 1 worker, 1 KiB file" ;;
	http-jsonl) run_arm http-jsonl jsonl "--port $PORT" "$NGINX_URL" "nginx, spans as JSON lines" ;;
	http-logs-off) run_arm http-logs-off jsonl "--port $LOG_PORT" "$NGINX_LOG_URL" \
		"nginx writing an access log line per request, JSON lines, no --logs" ;;
	http-logs) run_arm http-logs jsonl "--port $LOG_PORT" "$NGINX_LOG_URL" \
		"nginx writing an access log line per request, JSON lines, --logs" --logs ;;
	http-otlp) otlp_sink && run_arm http-otlp none "--port $PORT" "$NGINX_URL" "nginx, OTLP gzip" \
		--otlp-endpoint "http://127.0.0.1:$SINK_PORT" --otlp-compression gzip ;;
	redis) redis_arm ;;
	conns) conns_arm ;;
	https) run_arm https none "--port $TLS_PORT" "https://127.0.0.1:$TLS_PORT/file1k" \
		"nginx 1 worker, 1 KiB file over TLS" ;;
	go) go_server && run_arm go none "--port $GO_PORT" "http://127.0.0.1:$GO_PORT/users?rid=1" \
		"Go net/http server" ;;
	go-handoffs) go_server && run_arm go-handoffs none "--port $GO_PORT" \
		"http://127.0.0.1:$GO_PORT/users?rid=1" "Go net/http server" --go-handoffs ;;
	go-https) go_tls_server && run_arm go-https none "--port $GO_TLS_PORT" \
		"https://127.0.0.1:$GO_TLS_PORT/users?rid=1" "Go net/http server, HTTPS (crypto/tls)" ;;
	uprobe) uprobe_arm ;;
	replay) replay_arm ;;
	*) die "BENCH_ARMS: unknown arm $arm (tax http http-jsonl http-logs-off http-logs http-otlp redis conns https go go-handoffs go-https uprobe replay)" ;;
	esac
done
stop_pid "${GO_TLS_PID:-}" TERM 5
stop_pid "${GO_PID:-}" TERM 5

echo "==== figures (scripts/bench_report.py; ratios are traced/untraced, from this run)"
"$PY" "$ROOT/scripts/bench_report.py" report "$TMP" ${BENCH_JSON:+"$BENCH_JSON"} ||
	die "the report failed"

if [ "${BENCH_ACCURACY:-1}" = 1 ]; then
	stop_pid "$NGINX_PID" TERM 5 # idle, but out of the way
	NGINX_PID=""
	echo "---- trace accuracy (scripts/accuracy.sh):"
	ZT_BIN=$ZT_BIN "$ROOT/scripts/accuracy.sh"
	rc=$?
	[ "$rc" -eq 0 ] || die "scripts/accuracy.sh failed (status $rc)"
fi

