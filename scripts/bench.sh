#!/usr/bin/env bash
# Overhead benchmark (`make bench`): nginx (1 worker, static 1 KB file) on
# loopback under `wrk -t2 -c16 -d10s --latency`, first untraced, then with
# zerotrace attached (--port of nginx, spans to a file). Prints req/s, p99
# latency, their traced/untraced ratios, agent events/s and ring-buffer drops.
# Four arms: plain HTTP, then HTTPS (the same file from a TLS server block;
# wrk and nginx both call OpenSSL, so both take the TLS uprobes), then a Go
# net/http server (tests/integration/runtimes/gosvc, role users, built here)
# traced by default (goroutines named from the thread's TLS slot) and with
# --go-handoffs (the Go runtime uprobes: one spawn a request), then the same
# Go server over HTTPS (crypto/tls, its uprobes on by default; wrk's OpenSSL
# takes the TLS uprobes too). The HTTPS and Go arms also measure the BPF time per request: one more traced run with
# kernel.bpf_stats_enabled=1 (stats cost time themselves, so the ratio comes
# from the run without them), summing run_time_ns of the agent's programs.
#
#   BENCH_ARMS=https scripts/bench.sh     # which arms, in order
#                                         # (default "http https go go-handoffs go-https")
#
#   scripts/bench.sh                      # as root
#   BENCH_DURATION=5 ZT_BIN=build/zerotrace scripts/bench.sh
#   BENCH_RECHECK=1 scripts/bench.sh      # one more untraced run after the agent
#                                         # stopped: shows how noisy the machine is
#   BENCH_ACCURACY=0 scripts/bench.sh     # skip the trace accuracy run at the end
#
# At the end it runs scripts/accuracy.sh (trace accuracy of the 3-service
# scenario at concurrency 1 and 16); its failure to measure fails the bench.
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
cleanup() {
	local rc=$? w
	trap - EXIT INT TERM
	stop_pid "$AGENT_PID" INT 15
	stop_pid "$NGINX_PID" TERM 5
	stop_pid "${GO_TLS_PID:-}" TERM 5
	stop_pid "${GO_PID:-}" TERM 5
	# a run that died while bpf_stats were on leaves them as they were
	[ -n "${STATS_WAS:-}" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS" 2>/dev/null
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
mkdir -p "$TMP/www" "$TMP/tmp" "$TMP/logs"
head -c 1024 /dev/urandom >"$TMP/www/file1k"
cat >"$TMP/nginx.conf" <<EOF
user root root;
worker_processes 1;
master_process on;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/logs/error.log warn;
events { worker_connections 1024; }
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

agent_start() { # ARM PORT [AGENT OPTIONS...]
	local arm=$1 port=$2
	shift 2
	# background jobs start with SIGINT ignored: reset it (exec keeps the pid)
	"$PY" -c 'import os, signal, sys; [signal.signal(s, signal.SIG_DFL) for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGXFSZ)]; os.execv(sys.argv[1], sys.argv[1:])' \
		"$ZT_BIN" --output "${BENCH_OUTPUT:-jsonl}" --port "$port" --state-dir "$TMP/state.$arm" "$@" \
		>"$TMP/spans.$arm.jsonl" 2>"$TMP/agent.$arm.err" &
	AGENT_PID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q "^zerotrace: ready" "$TMP/agent.$arm.err" 2>/dev/null && break
		alive "$AGENT_PID" || die "agent exited before ready: $(cat "$TMP/agent.$arm.err")"
		sleep 0.1
	done
	grep -q '^zerotrace: ready' "$TMP/agent.$arm.err" || die "agent not ready after 30 s: $(cat "$TMP/agent.$arm.err")"
}

agent_stop() { # ARM: leaves the final line in FINAL
	local rc
	kill -INT "$AGENT_PID"
	for ((i = 0; i < 300; i++)); do
		alive "$AGENT_PID" || break
		sleep 0.1
	done
	alive "$AGENT_PID" && die "agent still running 30 s after SIGINT"
	wait "$AGENT_PID"
	rc=$?
	AGENT_PID=""
	FINAL=$(grep '^zerotrace: final ' "$TMP/agent.$1.err" | tail -n 1)
	[ "$rc" -eq 0 ] || echo "bench: WARNING: agent exit status $rc" >&2
	[ -n "$FINAL" ] || die "agent printed no final stats line: $(tail -n 20 "$TMP/agent.$1.err")"
}

# the agent's own CPU (user + system ticks of /proc/PID/stat)
agent_ticks() { awk '{ print $14 + $15 }' "/proc/$AGENT_PID/stat"; }

# "run_time_ns run_cnt" summed over the agent's BPF programs (the prog ids
# its fds hold, from /proc/PID/fdinfo: bpftool here lists no pids)
bpf_time() {
	bpftool -j prog show 2>/dev/null | "$PY" -c '
import json, os, re, sys
d = "/proc/%s/fdinfo" % sys.argv[1]
ids = set()
for fd in os.listdir(d):
    try:
        ids.update(int(m) for m in re.findall(r"^prog_id:\s*(\d+)", open(os.path.join(d, fd)).read(), re.M))
    except OSError:
        pass
ns = cnt = 0
for p in json.load(sys.stdin):
    if p["id"] in ids:
        ns += p.get("run_time_ns", 0)
        cnt += p.get("run_cnt", 0)
print(ns, cnt)' "$AGENT_PID"
}

STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
restore_stats() { sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS" 2>/dev/null || true; }

run_arm() { # ARM PORT URL WHAT [AGENT OPTIONS...]
	local arm=$1 port=$2 url=$3 what=$4 ticks0 ticks1 spans bpf=()
	shift 4
	echo "bench: [$arm] $url: $what; wrk -t$THREADS -c$CONNS -d${DURATION}s --latency" >&2
	timeout 10 wrk -t1 -c4 -d1s "$url" >/dev/null 2>&1 # warm-up, not measured
	echo "bench: [$arm] untraced run..." >&2
	run_wrk "$arm.untraced" "$url"
	echo "bench: [$arm] starting agent..." >&2
	agent_start "$arm" "$port" "$@"
	echo "bench: [$arm] traced run..." >&2
	ticks0=$(agent_ticks)
	run_wrk "$arm.traced" "$url"
	ticks1=$(agent_ticks)
	if [ "${BENCH_BPF_STATS:-1}" = 1 ]; then
		echo "bench: [$arm] traced run with bpf_stats on (BPF ns per request)..." >&2
		sysctl -qw kernel.bpf_stats_enabled=1
		read -r -a bpf <<<"$(bpf_time)"
		run_wrk "$arm.stats" "$url" 5
		read -r -a bpf <<<"${bpf[*]} $(bpf_time)"
		restore_stats
		bpf+=("$TMP/wrk.$arm.stats.out")
	fi
	agent_stop "$arm"
	spans=$(wc -l <"$TMP/spans.$arm.jsonl")
	if [ "${BENCH_RECHECK:-0}" = 1 ]; then
		echo "bench: [$arm] untraced re-check run..." >&2
		run_wrk "$arm.recheck" "$url"
	fi
	echo "==== $arm"
	echo "---- wrk untraced:"
	cat "$TMP/wrk.$arm.untraced.out"
	echo "---- wrk traced:"
	cat "$TMP/wrk.$arm.traced.out"
	echo "---- agent: $FINAL"
	echo "----"
	"$PY" - "$TMP/wrk.$arm.untraced.out" "$TMP/wrk.$arm.traced.out" "$FINAL" "$spans" \
		"$TMP/wrk.$arm.recheck.out" "$((ticks1 - ticks0))" "$(getconf CLK_TCK)" "${bpf[@]}" <<'EOF'
import os, re, sys
def wrk(path):
    m = re.search(r"^ZT_WRK (.*)$", open(path).read(), re.M)
    return {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
u, t = wrk(sys.argv[1]), wrk(sys.argv[2])
final = dict(kv.split("=") for kv in sys.argv[3].split()[2:])
spans = int(sys.argv[4])
ur = u["requests"] / (u["duration_us"] / 1e6)
tr = t["requests"] / (t["duration_us"] / 1e6)
tsec = t["duration_us"] / 1e6
events = int(final.get("events", 0))
print("untraced req/s:        %10.0f" % ur)
print("traced req/s:          %10.0f" % tr)
print("throughput ratio:      %10.3f  (traced/untraced)" % (tr / ur))
print("untraced p99 latency:  %10.3f ms" % (u["p99_us"] / 1000))
print("traced p99 latency:    %10.3f ms" % (t["p99_us"] / 1000))
print("p99 latency ratio:     %10.3f  (traced/untraced)" % (t["p99_us"] / max(u["p99_us"], 1)))
print("agent events/s:        %10.0f  (%d events / %.2f s traced)" % (events / tsec, events, tsec))
print("ringbuf drops:         %10s" % final.get("ringbuf_drops", "?"))
print("parse misses:          %10s" % final.get("parse_misses", "?"))
print("tls unbound:           %10s" % final.get("tls_unbound", "?"))
print("spans written:         %10d  (wrk counted %d requests traced; expect ~2 spans each)" % (spans, t["requests"]))
cpu_s = int(sys.argv[6]) / int(sys.argv[7])
print("agent CPU:             %10.2f s  (%.1f%% of one core; %.2f us per request, %.3f us per event)"
      % (cpu_s, 100 * cpu_s / tsec, 1e6 * cpu_s / max(t["requests"], 1), 1e6 * cpu_s / max(events, 1)))
if len(sys.argv) > 12:
    ns0, cnt0, ns1, cnt1 = (int(x) for x in sys.argv[8:12])
    st = wrk(sys.argv[12])
    print("BPF time per request:  %10.0f ns  (%.1f program runs a request; bpf_stats on adds ~60 ns a run)"
          % ((ns1 - ns0) / max(st["requests"], 1), (cnt1 - cnt0) / max(st["requests"], 1)))
print("wrk errors:            %10d untraced, %d traced" % (u["errors"], t["errors"]))
if os.path.exists(sys.argv[5]):
    r = wrk(sys.argv[5])
    rr = r["requests"] / (r["duration_us"] / 1e6)
    print("re-check untraced:     %10.0f req/s, p99 %.3f ms (noise: %.3f of the first untraced run)"
          % (rr, r["p99_us"] / 1000, rr / ur))
EOF
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

for arm in ${BENCH_ARMS:-http https go go-handoffs go-https}; do
	case $arm in
	http) run_arm http "$PORT" "http://127.0.0.1:$PORT/file1k" "nginx 1 worker, 1 KB file" ;;
	https) run_arm https "$TLS_PORT" "https://127.0.0.1:$TLS_PORT/file1k" "nginx 1 worker, 1 KB file" ;;
	go) go_server && run_arm go "$GO_PORT" "http://127.0.0.1:$GO_PORT/users?rid=1" "Go net/http server" ;;
	go-handoffs) go_server && run_arm go-handoffs "$GO_PORT" "http://127.0.0.1:$GO_PORT/users?rid=1" \
		"Go net/http server" --go-handoffs ;;
	go-https) go_tls_server && run_arm go-https "$GO_TLS_PORT" \
		"https://127.0.0.1:$GO_TLS_PORT/users?rid=1" "Go net/http server, HTTPS (crypto/tls)" ;;
	*) die "BENCH_ARMS: unknown arm $arm (http, https, go, go-handoffs, go-https)" ;;
	esac
done
stop_pid "${GO_TLS_PID:-}" TERM 5
stop_pid "${GO_PID:-}" TERM 5

if [ "${BENCH_ACCURACY:-1}" = 1 ]; then
	stop_pid "$NGINX_PID" TERM 5 # idle, but out of the way
	NGINX_PID=""
	echo "---- trace accuracy (scripts/accuracy.sh):"
	ZT_BIN=$ZT_BIN "$ROOT/scripts/accuracy.sh"
	rc=$?
	[ "$rc" -eq 0 ] || die "scripts/accuracy.sh failed (status $rc)"
fi
