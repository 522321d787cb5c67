#!/usr/bin/env bash
# (rt4) --node-helper and a timer's calls on a pooled socket: a Node service
# (runtimes/node_timer.js) with one keep-alive upstream socket that carries
# both each request's call and a call a timer makes every 5 ms under no
# request. One keep-alive client sends 300 requests back to back, so a
# request is nearly always in flight on the same incoming fd when the timer
# writes. The helper's link of the pooled fd must follow who writes: every
# timer call is a root (no parent: no request made it), and the requests'
# calls are children of their own request's SERVER span (the call's path
# carries the request's: >= 95 %, and none under another request). Before the
# helper reported "none" for a write under no request, timer calls took the
# parent of the request in flight.
. "$(dirname "$0")/lib.sh"
zt_init
command -v node >/dev/null || zt_fail "node not installed (scripts/install-deps.sh brings nodejs)"

N=300
UP=$(zt_free_port 4)
PORT=$(zt_free_port 4)
zt_cgroup_new timer
CG=$ZT_LAST_CG
# TCP_NODELAY: a keep-alive call must not wait for a delayed ACK
zt_cg_bg upstream "$CG" "$PY" "$ZT_OTLP_DIR/server_otlp.py" --host 127.0.0.1 --port "$UP"
zt_wait_port 127.0.0.1 "$UP" 10
zt_agent_start --cgroup "$CG" --node-helper
zt_cg_bg nodetimer "$CG" node "$ZT_LIB_DIR/runtimes/node_timer.js" "$PORT" "$UP" 5
NODE_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$PORT" 10
for _ in $(seq 100); do
	grep -q "node helper: pid $NODE_PID: script in" "$ZT_AGENT_ERR" && break
	sleep 0.1
done
grep -q "node helper: pid $NODE_PID: script in" "$ZT_AGENT_ERR" ||
	zt_fail "the helper did not get into the Node service in 10 s: $(grep "node helper" "$ZT_AGENT_ERR")"
zt_cg_bg client "$CG" "$PY" "$ZT_LIB_DIR/keepalive_client.py" 127.0.0.1 "$PORT" "$N*GET:/work/"
CLIENT_PID=$ZT_LAST_PID
wait "$CLIENT_PID" || zt_fail "the client failed: $(cat "$TMP/client.err")"
zt_settle 1
zt_agent_stop
export NODE_PID N PORT
zt_py_check <<'PYEOF'
from ztcheck import *

node, N = env("NODE_PID", int), env("N", int)
S = load()
by_id = {s["span_id"]: s for s in S}
# (the helper's own inspector requests are SERVER spans on 9229)
servers = [s for s in S if s["kind"] == "SERVER" and s["attributes"]["process.pid"] == node and
           s["attributes"]["server.port"] == env("PORT", int)]
eq(len(servers), N, "the Node service's SERVER spans")
calls = [s for s in S if s["kind"] == "CLIENT" and s["attributes"]["process.pid"] == node]
timer = [s for s in calls if s["attributes"]["url.path"].startswith("/items/timer")]
req = [s for s in calls if s["attributes"]["url.path"].startswith("/items/req")]
eq(len(req), N, "the requests' upstream calls")
check(len(timer) >= 50, "timer calls seen: %d" % len(timer))
wrong = [s for s in timer if s["parent_span_id"]]
check(not wrong, "%d of %d timer calls got a parent (no request made them): %s" %
      (len(wrong), len(timer), [(s["attributes"]["url.path"],
                                 by_id.get(s["parent_span_id"], {}).get("name")) for s in wrong[:5]]))
def own(s):  # the SERVER span of the request whose path the call carries
    p = by_id.get(s["parent_span_id"], {})
    return p.get("kind") == "SERVER" and p["attributes"]["url.path"] == \
        s["attributes"]["url.path"][len("/items/req"):]
linked = [s for s in req if own(s)]
other = [s for s in req if s["parent_span_id"] and not own(s)]
check(len(linked) >= 0.95 * N, "requests' calls under their request: %d of %d" % (len(linked), N))
check(not other, "requests' calls under another parent: %d" % len(other))
note("%d timer calls, %d with a parent; %d of %d request calls linked" %
     (len(timer), len(wrong), len(linked), N))
done()
PYEOF
zt_pass
