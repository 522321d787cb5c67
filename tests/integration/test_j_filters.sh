#!/usr/bin/env bash
# (j) filters, combined with --port of the test's two servers:
#   run 1: --pid of server A   -> only A's SERVER spans (3), nothing else;
#   run 2: --comm curl         -> only curl's CLIENT spans (4), nothing from
#          the servers or from a python client.
. "$(dirname "$0")/lib.sh"
zt_init

PA=$(zt_free_port 4)
PB=$(zt_free_port 4)
while [ "$PB" = "$PA" ]; do PB=$(zt_free_port 4); done
zt_server srvA 127.0.0.1 "$PA" 1.1
PIDA=$ZT_LAST_PID
zt_server srvB 127.0.0.1 "$PB" 1.1
PIDB=$ZT_LAST_PID
export PA PB PIDA PIDB

# curl_req PORT PATH: one curl process; appends "pid port path status lport" to $TMP/curls.$RUN
curl_req() {
	curl -sS --max-time 10 -o /dev/null -w '%{http_code} %{local_port}' "http://127.0.0.1:$1$2" \
		>"$TMP/curl.out" 2>"$TMP/curl.err" &
	local cpid=$!
	wait "$cpid" || zt_fail "curl :$1$2 failed: $(cat "$TMP/curl.err")"
	echo "$cpid $1 $2 $(cat "$TMP/curl.out")" >>"$TMP/curls.$RUN"
}

# --- run 1: --pid A
RUN="pid"
: >"$TMP/curls.$RUN"
zt_agent_start --tag pid --pid "$PIDA" --port "$PA" --port "$PB"
for i in 1 2 3; do
	curl_req "$PA" "/items/$i"
	curl_req "$PB" "/items/$i"
done
zt_settle
zt_agent_stop
export SPANS_PID=$ZT_SPANS CURLS_PID=$TMP/curls.pid

# --- run 2: --comm curl
RUN="comm"
: >"$TMP/curls.$RUN"
zt_agent_start --tag comm --comm curl --port "$PA" --port "$PB"
curl_req "$PA" /items/1
curl_req "$PB" /items/2
curl_req "$PA" /search
curl_req "$PB" /missing
timeout 20 "$PY" "$ZT_LIB_DIR/keepalive_client.py" 127.0.0.1 "$PA" GET:/items/7 GET:/items/8 \
	>"$TMP/pyclient.json" 2>"$TMP/pyclient.err" || zt_fail "python client failed: $(cat "$TMP/pyclient.err")"
zt_settle
zt_agent_stop
export SPANS_COMM=$ZT_SPANS CURLS_COMM=$TMP/curls.comm

zt_py_check <<'EOF'
from ztcheck import *
pa, pb, pida, pidb = (env(k, int) for k in ("PA", "PB", "PIDA", "PIDB"))

# run 1: --pid A
curls = [l.split() for l in open(env("CURLS_PID"))]
S = load(env("SPANS_PID"))
eq(len(S), 3, "run --pid A: number of spans (only server A's SERVER spans)")
eq(sorted({(s.get("kind"), attr(s, "process.pid")) for s in S}), [("SERVER", pida)],
   "run --pid A: set of (kind, process.pid)")
a_reqs = [c for c in curls if int(c[1]) == pa]
srv = servers(S)
for i, c in enumerate(a_reqs[:len(srv)]):
    expect_span(srv[i], "run --pid A SERVER #%d" % i, kind="SERVER", name="GET /items/{id}",
                attrs={"url.path": c[2], "http.response.status_code": 200, "server.port": pa,
                       "client.port": int(c[4]), "process.pid": pida})

# run 2: --comm curl
curls = [l.split() for l in open(env("CURLS_COMM"))]
S = load(env("SPANS_COMM"))
eq(len(S), 4, "run --comm curl: number of spans (only curl's CLIENT spans)")
eq(sorted({(s.get("kind"), attr(s, "process.executable.name")) for s in S}), [("CLIENT", "curl")],
   "run --comm curl: set of (kind, process.executable.name)")
cli = clients(S)
names = {"/items/1": "GET /items/{id}", "/items/2": "GET /items/{id}", "/search": "GET /search", "/missing": "GET /missing"}
for i, c in enumerate(curls[:len(cli)]):
    expect_span(cli[i], "run --comm curl CLIENT #%d" % i, kind="CLIENT", name=names[c[2]],
                attrs={"url.path": c[2], "http.response.status_code": int(c[3]),
                       "server.port": int(c[1]), "client.port": int(c[4]),
                       "process.pid": int(c[0]), "process.executable.name": "curl"})
done()
EOF
zt_pass
