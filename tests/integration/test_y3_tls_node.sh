#!/usr/bin/env bash
# (y3) TLS plaintext from Node: the `node` on the machine (NodeSource's
# links OpenSSL in and exports its symbols; Debian's nodejs maps
# libssl.so.3: the agent probes whichever it finds). Node's OpenSSL works on
# memory BIOs, so no syscall happens inside SSL_read/SSL_write: the agent
# ties an SSL to the socket whose ciphertext its thread read last.
#  - a Node https server, a Node client on one keep-alive connection
#    (GET 10 B, POST 1000 B, GET 20000 B) and 2 curl requests to it:
#    5 SERVER and 5 CLIENT spans, each with its connection's addresses and
#    ports, url.scheme=https, every CLIENT span the parent of its SERVER span;
#    nothing parsed twice (one span per request, no parse misses) and no
#    plaintext call left unbound.
. "$(dirname "$0")/lib.sh"
zt_init
. "$ZT_LIB_DIR/tls/tlslib.sh"

NODE=$(command -v node || command -v nodejs) || zt_fail "node is not installed"
NODE_EXE=$(readlink -f "$NODE")
if grep -q ' SSL_write$' <(nm -D --defined-only "$NODE_EXE" 2>/dev/null); then
	log "node: $NODE_EXE ($("$NODE" --version)), OpenSSL linked in, symbols exported"
elif grep -q 'libssl\.so' <(ldd "$NODE_EXE" 2>/dev/null); then
	log "node: $NODE_EXE ($("$NODE" --version)), OpenSSL from $(ldd "$NODE_EXE" | grep -o '/[^ ]*libssl[^ ]*')"
else
	zt_fail "$NODE_EXE neither exports OpenSSL's symbols nor maps libssl.so: the agent cannot probe it"
fi

CERT=$TMP/cert.pem KEY=$TMP/key.pem
zt_tls_cert "$KEY" "$CERT"
PORT=$(zt_free_port 4)
zt_bg node_srv "$NODE" "$ZT_LIB_DIR/tls/node_https_server.js" "$PORT" "$KEY" "$CERT"
SRV_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$PORT" 15
export PORT SRV_PID

zt_agent_start --port "$PORT" --metrics-addr off
timeout 30 "$NODE" "$ZT_LIB_DIR/tls/node_https_client.js" "$PORT" GET:/size/10 POST:/echo:1000 \
	GET:/size/20000 >"$TMP/client.json" 2>"$TMP/client.err" </dev/null ||
	zt_fail "node client failed: $(tail -c 600 "$TMP/client.err")"
log "node client: $(cat "$TMP/client.json")"
: >"$TMP/curl.list"
for p in /size/300 /nothing; do
	curl -sk -o /dev/null --max-time 10 -w '%{http_code} %{local_port} %{size_download}' \
		"https://127.0.0.1:$PORT$p" >"$TMP/curl.out" 2>"$TMP/curl.err" &
	cpid=$!
	wait "$cpid" || zt_fail "curl $p failed: $(cat "$TMP/curl.err")"
	echo "$cpid $p $(cat "$TMP/curl.out")" >>"$TMP/curl.list"
done
zt_settle
zt_agent_stop
export CLIENT_JSON=$TMP/client.json CURLS=$TMP/curl.list FINAL=$ZT_FINAL

zt_py_check <<'PY'
from ztcheck import *
from tlscheck import *
import json
port, srv_pid = env("PORT", int), env("SRV_PID", int)
c = json.load(open(env("CLIENT_JSON")))
eq(c["results"], [["GET", "/size/10", 200, 10], ["POST", "/echo", 200, 8], ["GET", "/size/20000", 200, 20000]],
   "what the node client got")
want = [("GET", "/size/10", 200, 0, 10, c["local_port"], c["pid"], "node"),
        ("POST", "/echo", 200, 1000, 8, c["local_port"], c["pid"], "node"),
        ("GET", "/size/20000", 200, 0, 20000, c["local_port"], c["pid"], "node")]
for line in open(env("CURLS")):
    cpid, path, st, lport, size = line.split()
    want.append(("GET", path, int(st), 0, int(size), int(lport), int(cpid), "curl"))
eq([w[2] for w in want[3:]], [200, 404], "curl statuses")
S = load()
srv, cli = servers(S), clients(S)
eq(len(srv), len(want), "number of SERVER spans")
eq(len(cli), len(want), "number of CLIENT spans")
for i, (m, p, st, req, resp, lport, cpid, exe) in enumerate(want):
    for kind, spans in (("SERVER", srv), ("CLIENT", cli)):
        s = one(spans, "%s %s %s from port %d" % (kind, m, p, lport),
                lambda s: attr(s, "url.path") == p and attr(s, "client.port") == lport)
        where = "%s #%d %s %s" % (kind, i, m, p)
        expect_span(s, where, kind=kind, attrs={
            "http.request.method": m, "http.response.status_code": st,
            "http.request.body.size": req, "http.response.body.size": resp,
            "server.address": "127.0.0.1", "server.port": port,
            "client.address": "127.0.0.1", "client.port": lport,
            "network.peer.port": lport if kind == "SERVER" else port,
            "process.pid": srv_pid if kind == "SERVER" else cpid,
            "process.executable.name": "node" if kind == "SERVER" else exe})
        if s:
            expect_tls(s, where)
        if kind == "SERVER":
            server = s
    client = one(cli, "CLIENT %s %s from port %d" % (m, p, lport),
                 lambda s: attr(s, "url.path") == p and attr(s, "client.port") == lport)
    expect_joined(server, client, "%s %s from port %d" % (m, p, lport))
C = final_counters()
for k in ("tls_unbound", "parse_misses", "http1_misses", "ringbuf_drops", "record_gaps"):
    counter_eq(C, k, 0)
counter_eq(C, "tls_conns", 2 * 3, "both ends of 3 TLS connections")
counter_between(C, "tls_libs", 1, 64, "node (or its libssl.so.3)")
note_counters(C, ("conns", "tls_conns", "tls_bytes", "tls_libs", "tls_unbound", "events", "spans"))
done()
PY
zt_pass
