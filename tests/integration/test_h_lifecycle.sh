#!/usr/bin/env bash
# (h) lifecycle: the BPF programs and links the agent adds (bpftool -j
# prog/link show, before vs after ready) are gone after SIGINT (exit status 0)
# and, for a second run, at most 2 s after kill -9.
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

# added BEFORE DURING OUT: what DURING has that BEFORE had not -> OUT
added() {
	"$PY" - "$@" <<'EOF'
import json, sys
b, d = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
out = {k: {i: v for i, v in d[k].items() if i not in b[k]} for k in ("progs", "links")}
json.dump(out, open(sys.argv[3], "w"))
print("%d programs (%s), %d links" % (len(out["progs"]), ", ".join(sorted(set(out["progs"].values()))), len(out["links"])))
EOF
}

# remaining ADDED NOW: prints what of ADDED still exists (by id, or by program name); rc 1 if any
remaining() {
	"$PY" - "$@" <<'EOF'
import json, sys
a, n = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
names = {v for v in a["progs"].values()}
left_p = {i: v for i, v in n["progs"].items() if i in a["progs"]}
left_l = {i: v for i, v in n["links"].items() if i in a["links"]}
new_same_name = {i: v for i, v in n["progs"].items() if v in names and i not in a["progs"]}
if left_p or left_l or new_same_name:
    print("still present: programs %s; links %s; other programs with the agent's names %s"
          % (left_p, left_l, new_same_name))
    sys.exit(1)
EOF
}

# wait_gone ADDED SECONDS: poll until nothing of ADDED is left
wait_gone() {
	local i
	for ((i = 0; i <= $2 * 10; i++)); do
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
log "run 1 added: $(added "$TMP/before1.json" "$TMP/during1.json" "$TMP/added1.json")"
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
log "run 2 added: $(added "$TMP/before2.json" "$TMP/during2.json" "$TMP/added2.json")"
KPID=$AGENT_PID
kill -KILL "$KPID"
wait "$KPID" 2>/dev/null
AGENT_PID=""
wait_gone "$TMP/added2.json" 2 ||
	zt_fail "2 s after kill -9 of the agent: $(cat "$TMP/remaining.txt")"
log "run 2: everything the agent added is gone 2 s after kill -9"
zt_pass
