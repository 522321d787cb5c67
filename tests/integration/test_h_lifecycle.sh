#!/usr/bin/env bash
# (h) lifecycle: the BPF programs and links the agent holds (ids from its
# /proc fdinfo, else bpftool -j prog/link show before vs after ready) are gone
# (bpftool) after SIGINT (exit status 0) and, for a second run, at most 2 s
# after kill -9, and with --inject-traceparent (sock_ops, sk_msg) at most
# 10 s after kill -9. Matching is by id: BPF ids are never reused while the
# machine is up, and other BPF users (another agent) are not counted.
. "$(dirname "$0")/lib.sh"
zt_init
command -v bpftool >/dev/null || zt_fail "bpftool not installed"

# snapshot FILE: {"progs": {id: "type name"}, "links": {id: "type prog_id"}}
snapshot() {
	"$PY" - "$1" <<'EOF' || zt_fail "bpftool snapshot failed"
import json, subprocess, sys
def show(what):
    out = subprocess.run(["bpftool", "-j", what, "show"], capture_output=True, text=True, timeout=20)
    if out.returncode != 0:
        sys.exit("bpftool %s show: %s" % (what, out.stderr))
    return json.loads(out.stdout or "[]")
progs = {str(p["id"]): "%s %s" % (p.get("type"), p.get("name", "?")) for p in show("prog")}
links = {str(l["id"]): "%s prog=%s" % (l.get("type"), l.get("prog_id")) for l in show("link")}
json.dump({"progs": progs, "links": links}, open(sys.argv[1], "w"))
EOF
}

# added BEFORE DURING PID OUT: the programs and links the agent PID holds
# (prog_id/link_id in /proc/PID/fdinfo: exact even if another BPF user starts
# meanwhile); if it holds none, what DURING has that BEFORE had not.
added() {
	"$PY" - "$@" <<'EOF'
import glob, json, sys
b, d = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
own = {"progs": set(), "links": set()}
for f in glob.glob("/proc/%s/fdinfo/*" % sys.argv[3]):
    try:
        for line in open(f):
            k, _, v = line.partition(":")
            if k == "prog_id":
                own["progs"].add(v.strip())
            elif k == "link_id":
                own["links"].add(v.strip())
    except OSError:
        pass
out = {}
for k in ("progs", "links"):
    new = {i: v for i, v in d[k].items() if i not in b[k]}
    mine = {i: d[k].get(i, "?") for i in own[k]}
    out[k] = mine if mine else new
    if set(new) - set(mine) and mine:
        print("note: %s added meanwhile by someone else: %s" % (k, sorted(set(new) - set(mine))), file=sys.stderr)
json.dump(out, open(sys.argv[4], "w"))
print("%d programs (%s), %d links (%s)" % (len(out["progs"]), ", ".join(sorted(set(out["progs"].values()))),
      len(out["links"]), ", ".join(sorted(set(out["links"].values())))))
EOF
}

# remaining ADDED NOW: prints what of ADDED still exists (by id); rc 1 if any
remaining() {
	"$PY" - "$@" <<'EOF'
import json, sys
a, n = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
left_p = {i: v for i, v in n["progs"].items() if i in a["progs"]}
left_l = {i: v for i, v in n["links"].items() if i in a["links"]}
if left_p or left_l:
    print("still present: %d programs %s; %d links %s" % (len(left_p), left_p, len(left_l), left_l))
    sys.exit(1)
EOF
}

# wait_gone ADDED SECONDS: poll until nothing of ADDED is left
wait_gone() {
	local end=$(($(date +%s%N) + $2 * 1000000000)) last=0
	while [ "$last" -eq 0 ]; do
		[ "$(date +%s%N)" -ge "$end" ] && last=1 # one more look at the deadline
		snapshot "$TMP/now.json"
		remaining "$1" "$TMP/now.json" >"$TMP/remaining.txt" && return 0
		sleep 0.1
	done
	return 1
}

PORT=$(zt_free_port 4)

# --- run 1: SIGINT
snapshot "$TMP/before1.json"
zt_agent_start --tag sigint --port "$PORT"
snapshot "$TMP/during1.json"
log "run 1 added: $(added "$TMP/before1.json" "$TMP/during1.json" "$AGENT_PID" "$TMP/added1.json")"
"$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); sys.exit(0 if a["progs"] else 1)' "$TMP/added1.json" ||
	zt_fail "no BPF program was added by the running agent (bpftool prog show before/after ready)"
zt_agent_stop INT 20 # asserts exit status 0 and the final line
wait_gone "$TMP/added1.json" 2 ||
	zt_fail "2 s after the agent exited on SIGINT: $(cat "$TMP/remaining.txt")"
log "run 1: everything the agent added is gone after SIGINT"

# --- run 2: kill -9
snapshot "$TMP/before2.json"
zt_agent_start --tag sigkill --port "$PORT"
snapshot "$TMP/during2.json"
log "run 2 added: $(added "$TMP/before2.json" "$TMP/during2.json" "$AGENT_PID" "$TMP/added2.json")"
KPID=$AGENT_PID
kill -KILL "$KPID"
wait "$KPID" 2>/dev/null
AGENT_PID=""
wait_gone "$TMP/added2.json" 2 ||
	zt_fail "2 s after kill -9 of the agent: $(cat "$TMP/remaining.txt")"
log "run 2: everything the agent added is gone 2 s after kill -9"

# --- run 3: kill -9 with --inject-traceparent: the cgroup sock_ops link dies
# with the agent's fds, and the sk_msg program with the sockhash that holds
# it (freed by the kernel a little later, hence the longer bound)
snapshot "$TMP/before3.json"
zt_agent_start --tag inject --port "$PORT" --inject-traceparent
snapshot "$TMP/during3.json"
log "run 3 added: $(added "$TMP/before3.json" "$TMP/during3.json" "$AGENT_PID" "$TMP/added3.json")"
"$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); sys.exit(0 if any(v.startswith("sk_msg") for v in a["progs"].values()) else 1)' "$TMP/added3.json" ||
	zt_fail "the agent with --inject-traceparent holds no sk_msg program: $(cat "$TMP/added3.json")"
KPID=$AGENT_PID
kill -KILL "$KPID"
wait "$KPID" 2>/dev/null
AGENT_PID=""
wait_gone "$TMP/added3.json" 10 ||
	zt_fail "10 s after kill -9 of the injecting agent: $(cat "$TMP/remaining.txt")"
log "run 3: sock_ops, sk_msg and every probe gone after kill -9"
zt_pass
