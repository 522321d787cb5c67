#!/usr/bin/env bash
# (y5) TLS probes: containers, process isolation, hostile input. Each part
# with agent runs of its own (--tag), so its counters are its own.
#  a. A "container" process: tls/https_server.py under `unshare -m` with a
#     byte copy of libssl.so.3 bind-mounted over /usr/lib/x86_64-linux-gnu/
#     libssl.so.3 in its private mount namespace: its maps show the copy's
#     inode at the host's path (verified: maps, stat through /proc/PID/root,
#     the host's stat). The agent must open the file through /proc/PID/root
#     and probe it as a second file. a1: server started before the agent
#     (found by the start scan); a2: agent first (found by the exec/mmap
#     event). 3 curl -k requests each: 3 SERVER spans of that server
#     (url.scheme=https) + 3 curl CLIENT spans; tls_libs = 2 (the host's
#     libssl.so.3, probed at start, and the copy) plus any OpenSSL file other
#     processes of the machine map at that moment (other tests; normally 0);
#     12 uprobe links (7 entry: SSL_read, SSL_write, SSL_read_ex,
#     SSL_write_ex, SSL_do_handshake, SSL_shutdown, SSL_free; 5 return) made
#     through /proc/<server>/root.
#  b. --pid isolation: two nginx (A and B, 1 worker each). b1: agent with
#     --pid <A master> --pid <A worker> (the filter is per process, tgid: the
#     worker does the TLS I/O), --port of both: only A's N SERVER spans (curl
#     is not traced: no CLIENT span); the uprobes are attached per process
#     (tls_libs = 2: A's master and A's worker, 12 links each, none global).
#     With BPF run-time statistics on (this part only: bpf(BPF_ENABLE_STATS),
#     held by a helper process, rather than `sysctl -w
#     kernel.bpf_stats_enabled=1`: another test on the machine wrote 0 to
#     that sysctl in the middle of a run, which turned the counts off and
#     failed it; the fd is a reference of its own and ends with its holder),
#     the run counts of THIS agent's tls_enter/tls_exit/tls_forget (program
#     ids from its fds, counts from bpftool): N requests to B
#     -> delta exactly 0 (B never takes the trap); N requests to A ->
#     tls_enter >= 3N, tls_exit == tls_enter, tls_forget == 2N (SSL_shutdown,
#     SSL_free). b2: the same without --pid (global attachment): N requests
#     to B -> B's N SERVER (+N curl CLIENT) spans and run-count deltas >= 4N
#     entries and returns, >= 2N forgets (curl's and B's calls).
#  c. Hostile input (agent global, --port of nginx A):
#     (1) TLS clients (python ssl) that complete the handshake, then send
#     garbage plaintext and read to the close; nginx answers 400 to both:
#       - 4096 seeded random bytes: never sniffed as any protocol: no span,
#         unsniffed=2 (both ends);
#       - "GET /items/1 HTTP/1.1\r\nHost: x\r\n" + the same bytes: the head
#         loses its framing (the first garbage line, bytes 32..262 up to a
#         LF, has no colon; the data has no end of head), the message runs to
#         the answer: one SERVER and one CLIENT
#         span "GET /items/{id}" status 400 (request body: what each end
#         moved after byte 263: nginx read 1024, python wrote 4128),
#         http1_misses=2, parse_misses=2.
#     (2) a process that loads a copy of libssl.so.3 with ctypes, calls into
#     it (SSL_CTX_new, SSL_new, SSL_read/SSL_write on no socket, SSL_free),
#     dlclose()s it (a no-op: Debian's libssl is NODELETE) and munmap()s its
#     5 mappings by hand, then maps a file executable: the agent's 12 links
#     through the copy appear, then are gone once it read the maps again;
#     (3) a process that makes an HTTPS request (python, connection left
#     open: its SSL never freed) and execs curl (same pid), which makes
#     another: both traced, each with its executable's name. Then 3 good curl
#     requests: traced. The agent exits 0 with its final line; tls_libs=1
#     (+ foreign), no attach failure, no unbound call, tls_conns=14.
. "$(dirname "$0")/lib.sh"
zt_init
. "$ZT_LIB_DIR/tls/tlslib.sh"

HOST_LIB=/usr/lib/x86_64-linux-gnu/libssl.so.3
PROBES=$ZT_LIB_DIR/tls/y5_probes.py
HOSTILE=$ZT_LIB_DIR/tls/y5_hostile.py
[ -f "$HOST_LIB" ] || zt_fail "$HOST_LIB not found"
[ -x /usr/sbin/nginx ] || zt_fail "/usr/sbin/nginx not installed"
/usr/sbin/nginx -V 2>&1 | grep -q -- --with-http_ssl_module || zt_fail "/usr/sbin/nginx has no http_ssl_module"
for c in openssl curl unshare mount bpftool; do command -v "$c" >/dev/null || zt_fail "$c not installed"; done

CERT=$TMP/cert.pem KEY=$TMP/key.pem
export Y5_DIR=$TMP
zt_tls_cert "$KEY" "$CERT"
export HOST_LIB

agent_start() {
	local tag=$1
	shift
	zt_agent_start --tag "$tag" --metrics-addr off "$@"
}
# (its shutdown takes ~5.5 s on this machine, whatever it had attached)
agent_stop() {
	log "SIGINT to the agent (pid $AGENT_PID)"
	zt_agent_stop INT 20
}

FAILED_PARTS=()
part_check() {
	if "$PY" -; then
		log "part $1: checks ok"
	else
		log "part $1: FAILED (ASSERT FAILED lines above)"
		FAILED_PARTS+=("$1")
	fi
}

# curls TAG N URL...: N curl -k processes per URL, one after the other;
# appends "pid url status local_port size" to $TMP/TAG.curls.
curls() {
	local tag=$1 n=$2 url k
	shift 2
	for url in "$@"; do
		for ((k = 0; k < n; k++)); do
			run_bounded 10 /dev/null "$TMP/curl.out" "$TMP/curl.err" curl -sS -k --http1.1 --max-time 8 \
				-o /dev/null -w '%{http_code} %{local_port} %{size_download}' "$url" ||
				zt_fail "curl $url failed: $(tail -3 "$TMP/curl.err")"
			echo "$RB_PID $url $(cat "$TMP/curl.out")" >>"$TMP/$tag.curls"
		done
	done
}

# OpenSSL files other processes of the machine map now (other tests), not
# the host's libssl.so.3 nor the test's copy: what a global agent probes too.
foreign_tls() {
	local out
	out=$("$PY" "$PROBES" foreign-tls "$HOST_INO" "$COPY_INO") || zt_fail "y5_probes.py foreign-tls failed"
	[ "${out%% *}" = 0 ] || log "other OpenSSL files mapped on this machine: $out" >&2
	echo "${out%% *}"
}

# ---- the copy of libssl.so.3 ----
mkdir -p "$TMP/y5lib"
COPY=$TMP/y5lib/libssl.so.3
cp "$HOST_LIB" "$COPY" || zt_fail "cannot copy $HOST_LIB"
cmp -s "$HOST_LIB" "$COPY" || zt_fail "the copy differs from $HOST_LIB"
HOST_INO=$(stat -c %i "$HOST_LIB")
COPY_INO=$(stat -c %i "$COPY")
[ "$HOST_INO" != "$COPY_INO" ] || zt_fail "copy and host libssl share inode $HOST_INO"
export COPY HOST_INO COPY_INO

# ======== (a) a process in a private mount namespace with its own libssl.so.3 ========

# ns_server NAME PORT: https_server.py under unshare -m with the copy mounted
# over $HOST_LIB (the pid: unshare execs sh, which execs python); waits for it
# and checks the namespace: sets NS_PID.
ns_server() {
	local name=$1 port=$2 ino
	# shellcheck disable=SC2016 # expanded by the inner sh
	zt_bg "$name" unshare -m --propagation private /bin/sh -c \
		'mount --bind "$1" "$2" && exec "$3" "$4" --host 127.0.0.1 --port "$5" --cert "$6" --key "$7"' \
		y5ns "$COPY" "$HOST_LIB" "$PY" "$ZT_LIB_DIR/tls/https_server.py" "$port" "$CERT" "$KEY"
	NS_PID=$ZT_LAST_PID
	zt_wait_port 127.0.0.1 "$port" 10
	zt_alive "$NS_PID" || zt_fail "server $name died: $(cat "$TMP/$name.err")"
	[ "$(readlink "/proc/$NS_PID/exe")" = "$(readlink -f "$PY")" ] ||
		zt_fail "pid $NS_PID is $(readlink "/proc/$NS_PID/exe"), not python"
	[ "$(readlink "/proc/$NS_PID/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] ||
		zt_fail "server $name is in the test's own mount namespace"
	ino=$("$PY" "$PROBES" maps-inode "$NS_PID" "$HOST_LIB")
	[ "$ino" = "$COPY_INO" ] ||
		zt_fail "server $name maps $HOST_LIB with inode '$ino', expected the copy's $COPY_INO (host: $HOST_INO)"
	ino=$(stat -L -c %i "/proc/$NS_PID/root$HOST_LIB")
	[ "$ino" = "$COPY_INO" ] || zt_fail "/proc/$NS_PID/root$HOST_LIB has inode $ino, expected $COPY_INO"
	[ "$(stat -c %i "$HOST_LIB")" = "$HOST_INO" ] || zt_fail "the bind mount leaked into the host's namespace"
	! grep -q " $HOST_LIB " /proc/self/mountinfo || zt_fail "a mount on $HOST_LIB in the host's namespace"
	log "server $name: pid $NS_PID :$port, maps $HOST_LIB with inode $COPY_INO (host's: $HOST_INO)"
}

part_a_check() {
	local tag=$1 port=$2 pid=$3 foreign=$4
	TAG=$tag PORT=$port SRV_PID=$pid FOREIGN=$foreign CURLS=$TMP/$tag.curls \
		LINKS=$TMP/$tag.links.json FINAL=$ZT_FINAL part_check "$tag" <<'EOF'
from ztcheck import *
from tlscheck import *
import json
tag, port, srv_pid, foreign = env("TAG"), env("PORT", int), env("SRV_PID", int), env("FOREIGN", int)
curls = [l.split() for l in open(env("CURLS"))]
eq([(c[2], c[4]) for c in curls], [("200", "1234")] * 3, "%s: curl status and size" % tag)
S = load()
srv, cli = servers(S), clients(S)
eq(len(srv), 3, "%s: SERVER spans (https_server.py in its mount namespace)" % tag)
eq(len(cli), 3, "%s: CLIENT spans (curl, host namespace)" % tag)
eq(len(S), 6, "%s: total spans" % tag)
for i, c in enumerate(curls):
    cpid, lport = int(c[0]), int(c[3])
    where = "%s request #%d (curl %d, port %d)" % (tag, i, cpid, lport)
    s = one(srv, "SERVER " + where, lambda s: attr(s, "client.port") == lport)
    k = one(cli, "CLIENT " + where, lambda s: attr(s, "client.port") == lport)
    common = {"http.request.method": "GET", "http.response.status_code": 200,
              "http.response.body.size": 1234, "server.port": port, "client.port": lport}
    if s is not None:
        expect_span(s, "SERVER " + where, kind="SERVER", name="GET /items/{id}",
                    attrs=dict(common, **{"process.pid": srv_pid, "process.executable.name": is_python_exe}))
        expect_tls(s, "SERVER " + where)
    if k is not None:
        expect_span(k, "CLIENT " + where, kind="CLIENT",
                    attrs=dict(common, **{"process.pid": cpid, "process.executable.name": "curl"}))
        expect_tls(k, "CLIENT " + where)
    expect_joined(s, k, where)
C = final_counters()
# the host's libssl.so.3 (probed at start, held for the agent's life) and the
# copy the server maps at the same path: 2 files (+ other tests' own)
counter_eq(C, "tls_libs", 2 + foreign, "host libssl.so.3 + the server's copy + %d foreign" % foreign)
for k in ("tls_attach_failures", "tls_table_full", "tls_unbound", "parse_misses", "http1_misses",
          "ringbuf_drops"):
    counter_eq(C, k, 0)
counter_eq(C, "tls_conns", 6, "both ends of 3 TLS connections")
links = json.load(open(env("LINKS")))
copy_name = "/proc/%d/root%s" % (srv_pid, env("HOST_LIB"))
mine = [l for l in links if l["name"] == copy_name]
eq(sorted(l["type"] for l in mine), ["uprobe"] * 7 + ["uretprobe"] * 5,
   "%s: uprobe links attached through %s" % (tag, copy_name))
eq(len({l["offset"] for l in mine if l["type"] == "uprobe"}), 7, "%s: distinct offsets of the copy's entry probes" % tag)
if C.get("tls_libs") is not None:
    eq(len(links), 12 * C["tls_libs"], "%s: the agent's uprobe links (12 per probed file)" % tag)
note("%s: links by file: %s" % (tag, sorted({(l["name"], sum(1 for m in links if m["name"] == l["name"])) for l in links})))
note_counters(C, ("tls_libs", "tls_conns", "tls_bytes", "tls_unbound", "tls_attach_failures", "spans"))
done()
EOF
}

# a1: the server first, then the agent (the start scan finds the copy)
PA1=$(zt_free_port 4)
ns_server nsrv1 "$PA1"
NS1=$NS_PID
agent_start a1 --port "$PA1"
curls a1 1 "https://127.0.0.1:$PA1/items/1" "https://127.0.0.1:$PA1/items/2" "https://127.0.0.1:$PA1/items/3"
zt_settle 0.3
"$PY" "$PROBES" links "$AGENT_PID" >"$TMP/a1.links.json" || zt_fail "y5_probes.py links failed"
FOREIGN=$(foreign_tls)
agent_stop
part_a_check a1 "$PA1" "$NS1" "$FOREIGN"
zt_stop_untrack "$NS1"

# a2: the agent first, then the server (its exec and its mmap of libssl)
PA2=$(zt_free_port 4)
agent_start a2 --port "$PA2"
ns_server nsrv2 "$PA2"
NS2=$NS_PID
curls a2 1 "https://127.0.0.1:$PA2/items/1" "https://127.0.0.1:$PA2/items/2" "https://127.0.0.1:$PA2/items/3"
zt_settle 0.3
"$PY" "$PROBES" links "$AGENT_PID" >"$TMP/a2.links.json" || zt_fail "y5_probes.py links failed"
FOREIGN=$(foreign_tls)
agent_stop
part_a_check a2 "$PA2" "$NS2" "$FOREIGN"
zt_stop_untrack "$NS2"

# ======== (b) --pid isolation, two nginx ========

PORT_A=$(zt_free_port 4)
zt_tls_nginx ngxA "$PORT_A"
A_MASTER=$NGX_MASTER A_WORKER=$NGX_WORKER
for ((i = 0; i < 10; i++)); do
	PORT_B=$(zt_free_port 4)
	[ "$PORT_B" != "$PORT_A" ] && break
done
zt_tls_nginx ngxB "$PORT_B"
B_MASTER=$NGX_MASTER B_WORKER=$NGX_WORKER
export PORT_A PORT_B A_MASTER A_WORKER B_MASTER B_WORKER

# BPF run counts: statistics on for this part only
# (bpf(BPF_ENABLE_STATS) held by a helper, at most 60 s, stopped by pid after
# part b; the kernel drops it with the helper's fd however the helper ends)
zt_bg stats "$PY" "$PROBES" hold-stats "$TMP/stats.ready" 60
STATS_PID=$ZT_LAST_PID
for ((i = 0; i < 100; i++)); do
	[ -e "$TMP/stats.ready" ] && break
	zt_alive "$STATS_PID" || break
	sleep 0.05
done
[ -e "$TMP/stats.ready" ] || zt_fail "BPF_ENABLE_STATS helper failed: $(cat "$TMP/stats.err")"
log "BPF run-time statistics on (helper pid $STATS_PID, $(cat "$TMP/stats.ready");" \
	"kernel.bpf_stats_enabled reads $(cat /proc/sys/kernel/bpf_stats_enabled))"
runs() {
	zt_alive "$STATS_PID" || zt_fail "BPF_ENABLE_STATS helper $STATS_PID died: $(cat "$TMP/stats.err")"
	"$PY" "$PROBES" runs "$AGENT_PID" >"$TMP/$1.runs.json" ||
		zt_fail "y5_probes.py runs failed: $(cat "$TMP/$1.runs.json")"
}
N=5

# b1: --pid of A's master and worker
agent_start b1 --pid "$A_MASTER" --pid "$A_WORKER" --port "$PORT_A" --port "$PORT_B"
"$PY" "$PROBES" links "$AGENT_PID" >"$TMP/b1.links.json" || zt_fail "y5_probes.py links failed"
runs b1.r0
curls b1 "$N" "https://127.0.0.1:$PORT_B/file5k"
zt_settle 0.3
runs b1.r1
curls b1 "$N" "https://127.0.0.1:$PORT_A/docs/note.txt"
zt_settle 0.3
runs b1.r2
agent_stop
log "b1 run counts: $(cat "$TMP/b1.r0.runs.json") -> (B) $(cat "$TMP/b1.r1.runs.json") -> (A) $(cat "$TMP/b1.r2.runs.json")"
FINAL=$ZT_FINAL part_check b1 <<'EOF'
from ztcheck import *
from tlscheck import *
import json, os
T = env("Y5_DIR")
pa, pb, am, aw = (env(k, int) for k in ("PORT_A", "PORT_B", "A_MASTER", "A_WORKER"))
N = 5
curls = [l.split() for l in open(T + "/b1.curls")]
eq([(c[1].split("/")[2], c[2]) for c in curls],
   [("127.0.0.1:%d" % pb, "200")] * N + [("127.0.0.1:%d" % pa, "200")] * N, "b1: curl targets and statuses")
r0, r1, r2 = (json.load(open(T + "/b1.r%d.runs.json" % i)) for i in range(3))
names = ("tls_enter", "tls_exit", "tls_forget")
dB = {k: r1[k] - r0[k] for k in names}
dA = {k: r2[k] - r1[k] for k in names}
note("b1: run_cnt deltas, %d requests to B: %s; %d requests to A: %s" % (N, dB, N, dA))
eq(dB, {k: 0 for k in names}, "b1: run_cnt delta of the agent's TLS programs over %d TLS requests to "
   "nginx B (not in --pid: its calls must never trap)" % N)
# A's worker per request: SSL_do_handshake (1 or more, as epoll wakes it),
# SSL_read (the request, then would-block / the close), SSL_write; then
# SSL_shutdown and SSL_free once each
check(dA["tls_enter"] >= 3 * N, "b1: tls_enter runs over %d requests to nginx A (in --pid): %d, "
      "expected >= %d" % (N, dA["tls_enter"], 3 * N))
eq(dA["tls_exit"], dA["tls_enter"], "b1: A's uretprobe runs == uprobe runs (every call returned)")
eq(dA["tls_forget"], 2 * N, "b1: A's tls_forget runs (SSL_shutdown + SSL_free per connection)")
S = load()
eq(len(clients(S)), 0, "b1: CLIENT spans (curl is not in --pid)")
srv = servers(S)
eq(len(srv), N, "b1: SERVER spans (nginx A's worker)")
eq(sorted({(attr(s, "process.pid"), attr(s, "server.port")) for s in S}), [(aw, pa)],
   "b1: (process.pid, server.port) of all spans")
lports = sorted(int(c[3]) for c in curls[N:])
eq(sorted(attr(s, "client.port") for s in srv), lports, "b1: SERVER spans' client.port == A's curls'")
for i, s in enumerate(srv):
    expect_span(s, "b1 SERVER #%d" % i, kind="SERVER", name="GET /docs/note.txt", attrs={
        "url.path": "/docs/note.txt", "http.response.status_code": 200, "http.response.body.size": 100,
        "process.executable.name": "nginx"})
    expect_tls(s, "b1 SERVER #%d" % i)
C = final_counters()
# per-process attachment: one file slot per (file, traced process): A's master and A's worker
counter_eq(C, "tls_libs", 2, "A's master and A's worker, each its own per-process attachment")
for k in ("tls_attach_failures", "tls_table_full", "tls_unbound", "parse_misses", "http1_misses", "ringbuf_drops"):
    counter_eq(C, k, 0)
counter_eq(C, "tls_conns", N, "A's server ends only (curl and B are not traced)")
links = json.load(open(T + "/b1.links.json"))
by = {}
for l in links:
    by.setdefault(l["name"], []).append(l["type"])
lib = "/usr/lib/x86_64-linux-gnu/libssl.so.3"
eq(sorted(by), sorted("/proc/%d/root%s" % (p, lib) for p in (am, aw)),
   "b1: the files the agent's uprobe links were attached through (A's master, A's worker)")
for name, types in by.items():
    eq(sorted(types), ["uprobe"] * 7 + ["uretprobe"] * 5, "b1: links through %s" % name)
note_counters(C, ("tls_libs", "tls_conns", "tls_bytes", "spans", "events"))
done()
EOF

# b2: the same, no --pid: the host's libssl.so.3 probed for every process
agent_start b2 --port "$PORT_A" --port "$PORT_B"
runs b2.r0
curls b2 "$N" "https://127.0.0.1:$PORT_B/file5k"
zt_settle 0.3
runs b2.r1
FOREIGN=$(foreign_tls)
agent_stop
zt_stop_untrack "$STATS_PID"
log "BPF run-time statistics helper stopped"
log "b2 run counts: $(cat "$TMP/b2.r0.runs.json") -> (B) $(cat "$TMP/b2.r1.runs.json")"
FOREIGN=$FOREIGN FINAL=$ZT_FINAL part_check b2 <<'EOF'
from ztcheck import *
from tlscheck import *
import json, os
T = env("Y5_DIR")
pa, pb, bw = (env(k, int) for k in ("PORT_A", "PORT_B", "B_WORKER"))
N = 5
curls = [l.split() for l in open(T + "/b2.curls")]
eq([c[2] for c in curls], ["200"] * N, "b2: curl statuses")
r0, r1 = (json.load(open(T + "/b2.r%d.runs.json" % i)) for i in range(2))
d = {k: r1[k] - r0[k] for k in ("tls_enter", "tls_exit", "tls_forget")}
note("b2: run_cnt deltas over %d requests to B, global attachment: %s" % (N, d))
# each request: curl and B's worker both handshake, write, read, shut down and free
check(d["tls_enter"] >= 4 * N and d["tls_exit"] >= 4 * N and d["tls_forget"] >= 2 * N,
      "b2: run_cnt deltas %s, expected >= %d entries/returns and >= %d forgets" % (d, 4 * N, 2 * N))
S = load()
srv, cli = servers(S), clients(S)
eq(len(srv), N, "b2: SERVER spans (nginx B)")
eq(len(cli), N, "b2: CLIENT spans (curl)")
eq(sorted({attr(s, "process.pid") for s in srv}), [bw], "b2: SERVER spans' process.pid (B's worker)")
eq(sorted(attr(s, "client.port") for s in srv), sorted(int(c[3]) for c in curls), "b2: SERVER client.port")
for s in S:
    expect_tls(s, "b2 %s %s" % (s.get("kind"), attr(s, "client.port")))
    eq(attr(s, "server.port"), pb, "b2 span server.port")
C = final_counters()
foreign = env("FOREIGN", int)
counter_eq(C, "tls_libs", 1 + foreign, "the host's libssl.so.3 for every process (+%d foreign)" % foreign)
for k in ("tls_attach_failures", "tls_table_full", "tls_unbound", "parse_misses", "http1_misses", "ringbuf_drops"):
    counter_eq(C, k, 0)
counter_eq(C, "tls_conns", 2 * N, "both ends of %d connections" % N)
note_counters(C, ("tls_libs", "tls_conns", "tls_bytes", "spans", "events"))
done()
EOF
zt_stop_untrack "$B_MASTER"

# ======== (c) hostile input ========
agent_start c --port "$PORT_A"
: >"$TMP/ngxA/logs/access.log"
# (1) garbage after the handshake: pure, and behind a request line
for v in "1|" "2|GET /items/1 HTTP/1.1\\r\\nHost: x\\r\\n"; do
	k=${v%%|*}
	run_bounded 15 /dev/null "$TMP/c.garbage$k.json" "$TMP/c.garbage$k.err" \
		"$PY" "$HOSTILE" garbage 127.0.0.1 "$PORT_A" 5 4096 "${v#*|}" ||
		zt_fail "garbage client $k failed: $(tail -5 "$TMP/c.garbage$k.err")"
	log "garbage client $k: $(cat "$TMP/c.garbage$k.json")"
done
zt_alive "$AGENT_PID" || zt_fail "agent died after the garbage clients"

# (2) a copy of libssl.so.3 loaded, called, unmapped
rm -f "$TMP/unmap.ready."* "$TMP/unmap.go."*
zt_bg unmap "$PY" "$HOSTILE" unmap "$COPY" "$TMP/unmap.ready" "$TMP/unmap.go"
UNMAP_PID=$ZT_LAST_PID
COPY_LINK=/proc/$UNMAP_PID/root$COPY
# copy_links: how many of the agent's uprobe links go through the copy
copy_links() {
	"$PY" "$PROBES" links "$AGENT_PID" | NAME=$COPY_LINK "$PY" -c '
import json, os, sys
print(sum(1 for l in json.load(sys.stdin) if l["name"] == os.environ["NAME"]))'
}
# wait_copy_links WANT: up to 3 s
wait_copy_links() {
	local i n
	for ((i = 0; i < 30; i++)); do
		n=$(copy_links)
		[ "$n" = "$1" ] && break
		sleep 0.1
	done
	echo "$n"
}
for ((i = 0; i < 100; i++)); do
	[ -e "$TMP/unmap.ready.1" ] && break
	zt_alive "$UNMAP_PID" || break
	sleep 0.05
done
[ -e "$TMP/unmap.ready.1" ] || zt_fail "unmap helper did not load the copy: $(cat "$TMP/unmap.err")"
UNMAP_LINKS1=$(wait_copy_links 12)
log "unmap helper: $(cat "$TMP/unmap.ready.1"); the agent's links through $COPY_LINK: $UNMAP_LINKS1"
touch "$TMP/unmap.go.1"
for ((i = 0; i < 100; i++)); do
	[ -e "$TMP/unmap.ready.2" ] && break
	zt_alive "$UNMAP_PID" || break
	sleep 0.05
done
[ -e "$TMP/unmap.ready.2" ] || zt_fail "unmap helper did not unmap the copy: $(cat "$TMP/unmap.err")"
UNMAP_LINKS2=$(wait_copy_links 0)
log "unmap helper: $(cat "$TMP/unmap.ready.2"); links through the copy now: $UNMAP_LINKS2"
touch "$TMP/unmap.go.2"
for ((i = 0; i < 100; i++)); do
	zt_alive "$UNMAP_PID" || break
	sleep 0.05
done
zt_alive "$UNMAP_PID" && zt_fail "unmap helper did not exit"
wait "$UNMAP_PID"
UNMAP_RC=$?
zt_stop_untrack "$UNMAP_PID"
zt_alive "$AGENT_PID" || zt_fail "agent died after the unmap helper"

# (3) TLS in python, then exec into curl (same pid)
run_bounded 15 /dev/null "$TMP/c.exec.out" "$TMP/c.exec.err" "$PY" "$HOSTILE" exec 127.0.0.1 "$PORT_A" \
	"/file5k?from=python" "https://127.0.0.1:$PORT_A/docs/note.txt?from=curl" ||
	zt_fail "exec helper failed: $(tail -5 "$TMP/c.exec.err")"
EXEC_PID=$RB_PID
log "exec helper (pid $EXEC_PID): $(tr '\n' ' ' <"$TMP/c.exec.out")"

# good requests afterwards
curls c 3 "https://127.0.0.1:$PORT_A/file5k?after=1"
zt_settle 0.3
zt_alive "$AGENT_PID" || zt_fail "agent died during part c"
FOREIGN=$(foreign_tls)
agent_stop
cp "$TMP/ngxA/logs/access.log" "$TMP/c.access.log"
UNMAP_LINKS1=$UNMAP_LINKS1 UNMAP_LINKS2=$UNMAP_LINKS2 UNMAP_RC=$UNMAP_RC EXEC_PID=$EXEC_PID \
	FOREIGN=$FOREIGN FINAL=$ZT_FINAL part_check c <<'EOF'
from ztcheck import *
from tlscheck import *
import json, os
T = env("Y5_DIR")
pa, aw, xpid = env("PORT_A", int), env("A_WORKER", int), env("EXEC_PID", int)
g = [json.load(open(T + "/c.garbage%d.json" % k)) for k in (1, 2)]
for k, r in enumerate(g, 1):
    note("garbage client %d: %s" % (k, r))
    eq((r["first_line"], r["end"]), ("HTTP/1.1 400 Bad Request", "eof"), "garbage client %d: nginx's answer" % k)
eq([r["sent"] for r in g], [4096, 32 + 4096], "garbage clients: plaintext bytes sent")
# unmap helper
u1 = open(T + "/unmap.ready.1").read().split()
u2 = open(T + "/unmap.ready.2").read().split()
eq(u1[1:], ["mapped", "5", "-1", "-1"], "unmap helper: copy mapped (5 segments), SSL_read/SSL_write on no socket fail")
eq(u2[1:5], ["unmapped", "5", "0", "5"], "unmap helper: segments before, after munmap, after dlclose (NODELETE keeps them)")
eq(env("UNMAP_RC", int), 0, "unmap helper exit status")
eq(env("UNMAP_LINKS1", int), 12, "agent's links through the copy while the helper maps it")
eq(env("UNMAP_LINKS2", int), 0, "agent's links through the copy once the helper unmapped it (and mapped code again)")
# exec helper: python's request, then curl's, same pid
ex = open(T + "/c.exec.out").read().splitlines()
pyr = json.loads(ex[0])
eq((pyr["pid"], pyr["status"], pyr["size"]), (xpid, 200, 5000), "exec helper: python's request")
cst, clp, csz = ex[1].split()
eq((cst, csz), ("200", "100"), "exec helper: curl's request after the exec")
good = [l.split() for l in open(T + "/c.curls")]
eq([(c[2], c[4]) for c in good], [("200", "5000")] * 3, "good curls after")
S = load()
srv, cli = servers(S), clients(S)
want = [(xpid, pyr["local_port"], "/file5k", "from=python", 5000, is_python_exe),
        (xpid, int(clp), "/docs/note.txt", "from=curl", 100, "curl")]
want += [(int(c[0]), int(c[3]), "/file5k", "after=1", 5000, "curl") for c in good]
for cpid, lport, path, q, size, exe in want:
    where = "%s?%s (pid %d, port %d)" % (path, q, cpid, lport)
    s = one(srv, "SERVER " + where, lambda s: attr(s, "client.port") == lport)
    k = one(cli, "CLIENT " + where, lambda s: attr(s, "client.port") == lport)
    common = {"url.path": path, "url.query": q, "http.response.status_code": 200,
              "http.response.body.size": size, "server.port": pa, "client.port": lport}
    if s is not None:
        expect_span(s, "SERVER " + where, kind="SERVER",
                    attrs=dict(common, **{"process.pid": aw, "process.executable.name": "nginx"}))
        expect_tls(s, "SERVER " + where)
    if k is not None:
        expect_span(k, "CLIENT " + where, kind="CLIENT",
                    attrs=dict(common, **{"process.pid": cpid, "process.executable.name": exe}))
        expect_tls(k, "CLIENT " + where)
    expect_joined(s, k, where)
# garbage client 2: a request line, "Host: x", then the garbage: the head's
# framing is lost at the first line without a colon (bytes 32..262, the
# first garbage line); the message then runs to the peer's answer. nginx reads 1024 bytes (its 1 KiB header buffer) and
# answers 400; python wrote all 4128 at once: 263 bytes of head, the rest
# counted as the request body at each end.
g2 = g[1]["local_port"]
for kind, spans, body, pid in (("SERVER", srv, 1024 - 263, aw), ("CLIENT", cli, 4128 - 263, g[1]["pid"])):
    s = one(spans, "%s span of garbage client 2" % kind, lambda s: attr(s, "client.port") == g2)
    if s is not None:
        expect_span(s, "%s garbage client 2" % kind, kind=kind, name="GET /items/{id}", attrs={
            "url.path": "/items/1", "http.response.status_code": 400, "http.request.body.size": body,
            "http.response.body.size": 157, "process.pid": pid})
        expect_tls(s, "%s garbage client 2" % kind)
g1 = g[0]["local_port"]
eq([s for s in S if attr(s, "client.port") == g1], [], "spans of garbage client 1 (random bytes: never sniffed)")
eq(len(S), 2 * len(want) + 2, "c: total spans")
C = final_counters()
foreign = env("FOREIGN", int)
counter_eq(C, "tls_libs", 1 + foreign, "the host's libssl.so.3 (+%d foreign); the copy let go" % foreign)
for k in ("tls_attach_failures", "tls_table_full", "ringbuf_drops", "bad_events", "tls_unbound",
          "unknown_protocol", "stash_drops", "read_faults"):
    counter_eq(C, k, 0)
# garbage client 1: its two ends never look like any protocol
counter_eq(C, "unsniffed", 2, "both ends of garbage client 1")
# garbage client 2: the head lost at each end
counter_eq(C, "http1_misses", 2, "both ends of garbage client 2")
counter_eq(C, "parse_misses", 2, "both ends of garbage client 2")
counter_eq(C, "spans", 2 * len(want) + 2)
counter_eq(C, "tls_conns", 2 * (2 + len(want)), "both ends of the 2 garbage and %d good connections" % len(want))
note_counters(C, ("tls_libs", "tls_conns", "tls_bytes", "tls_unbound", "parse_misses", "http1_misses",
                  "unknown_protocol", "unsniffed", "spans", "events", "stash_drops", "read_faults"))
note("final: " + env("FINAL"))
done()
EOF

if ((${#FAILED_PARTS[@]})); then
	zt_fail "checks failed in part(s): ${FAILED_PARTS[*]} (see ASSERT FAILED lines above)"
fi
zt_pass
