#!/usr/bin/env bash
# (h2 tls) HTTP/2 over TLS, chosen by ALPN: nginx (listen ... ssl http2) and
# curl --http2 (libcurl's nghttp2 over OpenSSL), both traced through
# OpenSSL's uprobes. One curl process fetches 40 files and 10 missing paths
# with --parallel (one connection, its streams multiplexed). Every request
# must be one SERVER span (nginx) and one CLIENT span (curl) with
# network.protocol.version=2, url.scheme=https, tls.protocol.name=tls, the
# path curl asked for, status 200 (5000-byte body) or 404; each SERVER span
# the child of the CLIENT span of its stream; the access log counts 50
# HTTP/2.0 requests. Counters: http2_misses=0, frames_lost=0, tls_unbound=0.
. "$(dirname "$0")/lib.sh"
zt_init
. "$ZT_LIB_DIR/tls/tlslib.sh"

command -v curl >/dev/null && curl --version | grep -q nghttp2 || zt_fail "curl without HTTP/2 (nghttp2)"
CERT=$TMP/cert.pem KEY=$TMP/key.pem
zt_tls_cert "$KEY" "$CERT"
PORT=$(zt_free_port 1)
NGX_H2=1 zt_tls_nginx ngx "$PORT"

zt_agent_start --port "$PORT"
urls=()
for i in $(seq 1 40); do urls+=("https://127.0.0.1:$PORT/file5k?n=$i"); done
for i in $(seq 1 10); do urls+=("https://127.0.0.1:$PORT/nope/$i"); done
curl -sk --http2 --parallel --parallel-max 8 -w '%{http_version} %{response_code}\n' \
	$(printf -- '-o /dev/null %s ' "${urls[@]}") >"$TMP/curl.out" 2>"$TMP/curl.err" ||
	zt_fail "curl: $(tail -3 "$TMP/curl.err")"
[ "$(grep -c '^2 200$' "$TMP/curl.out")" = 40 ] && [ "$(grep -c '^2 404$' "$TMP/curl.out")" = 10 ] ||
	zt_fail "curl did not get 40 x 200 and 10 x 404 over HTTP/2: $(sort "$TMP/curl.out" | uniq -c)"
zt_settle 1
zt_agent_stop
export NGX_WORKER CURL_LOG=$TMP/ngx/logs/access.log FINAL="$ZT_FINAL"

zt_py_check <<'PYEND'
from ztcheck import *
from tlscheck import *
import collections
spans = load()
log_lines = [l for l in open(env("CURL_LOG")) if '"GET ' in l]
eq(sum(1 for l in log_lines if "HTTP/2.0" in l), 50, "HTTP/2.0 requests in nginx's access log")
for kind in ("SERVER", "CLIENT"):
    mine = [s for s in spans if s["kind"] == kind]
    eq(len(mine), 50, kind + " spans")
    eq(collections.Counter(attr(s, "http.response.status_code") for s in mine), {200: 40, 404: 10},
       kind + " statuses")
    eq(sorted(attr(s, "url.path") for s in mine if attr(s, "http.response.status_code") == 404),
       sorted("/nope/%d" % i for i in range(1, 11)), kind + " 404 paths")
    eq(sorted(attr(s, "url.query") for s in mine if attr(s, "http.response.status_code") == 200),
       sorted("n=%d" % i for i in range(1, 41)), kind + " queries")
for s in spans:
    where = "%s %s" % (s["kind"], s["span_id"])
    eq(attr(s, "network.protocol.version"), "2", where + " version")
    expect_tls(s, where)
    if attr(s, "http.response.status_code") == 200:
        eq(attr(s, "http.response.body.size"), 5000, where + " body")
    if s["kind"] == "SERVER":
        eq(attr(s, "process.pid"), env("NGX_WORKER", int), where + " the nginx worker")
clients = {s["span_id"]: s for s in spans if s["kind"] == "CLIENT"}
for s in spans:
    if s["kind"] != "SERVER":
        continue
    c = clients.get(s.get("parent_span_id"))
    check(c is not None and c["trace_id"] == s["trace_id"] and
          (attr(c, "url.path"), attr(c, "url.query")) == (attr(s, "url.path"), attr(s, "url.query")),
          "SERVER %s %s?%s is not the child of its stream's CLIENT span (parent %s)"
          % (s["span_id"], attr(s, "url.path"), attr(s, "url.query"), s.get("parent_span_id")))
C = final_counters()
for k in ("http2_misses", "frames_lost", "tls_unbound", "parse_misses"):
    counter_eq(C, k, 0)
done()
PYEND
zt_pass
