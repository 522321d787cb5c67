#!/usr/bin/env bash
# (h2 nghttp) HTTP/2 in the clear with prior knowledge, nghttp2's own tools:
# nghttpd serves four files (1000..4000 bytes) and answers 404 for a fifth
# path; h2load -n 2000 -c 4 -m 16 (four connections, 16 streams at once on
# each, the five paths in turn); then nghttp and curl --http2-prior-knowledge
# fetch one file each. Every request h2load reports is one SERVER span
# (nghttpd) and one CLIENT span (h2load) with the path, the status and the
# body size of that path; each SERVER span the child of the CLIENT span of
# its stream (a pairing by order would mix paths as soon as 16 streams
# interleave). Counters: http2_misses=0, frames_lost=0, parse_misses=0.
. "$(dirname "$0")/lib.sh"
zt_init

for b in nghttpd h2load nghttp; do
	command -v "$b" >/dev/null || zt_fail "$b missing (scripts/install-deps.sh brings nghttp2-server, nghttp2-client)"
done
mkdir -p "$TMP/www"
for k in 1 2 3 4; do head -c $((k * 1000)) /dev/zero | tr '\0' "$k" >"$TMP/www/f$k"; done
PORT=$(zt_free_port 1)
zt_bg nghttpd nghttpd --no-tls -d "$TMP/www" "$PORT"
SRV_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$PORT" 10
zt_alive "$SRV_PID" || zt_fail "nghttpd died: $(cat "$TMP/nghttpd.err")"

zt_agent_start --port "$PORT"
U=http://127.0.0.1:$PORT
h2load -n 2000 -c 4 -m 16 "$U/f1" "$U/f2" "$U/f3" "$U/f4" "$U/missing" >"$TMP/h2load.out" 2>&1 ||
	zt_fail "h2load: $(tail -5 "$TMP/h2load.out")"
log "$(grep -E '^(requests|status codes):' "$TMP/h2load.out")"
grep -q '^requests: 2000 total, 2000 started, 2000 done, 1600 succeeded, 400 failed, 0 errored' "$TMP/h2load.out" ||
	zt_fail "h2load did not complete 2000 requests (the 404s count as failed): $(grep '^requests' "$TMP/h2load.out")"
grep -q '^status codes: 1600 2xx, 0 3xx, 400 4xx, 0 5xx' "$TMP/h2load.out" ||
	zt_fail "h2load statuses: $(grep '^status codes' "$TMP/h2load.out")"
nghttp "$U/f2" >"$TMP/nghttp.out" 2>&1 || zt_fail "nghttp: $(tail -3 "$TMP/nghttp.out")"
[ "$(curl -s --http2-prior-knowledge -w '%{http_version}' -o /dev/null "$U/f3")" = 2 ] ||
	zt_fail "curl --http2-prior-knowledge did not speak HTTP/2"
zt_settle 1
zt_agent_stop
export SRV_PID FINAL="$ZT_FINAL"

zt_py_check <<'PYEND'
from ztcheck import *
import collections
spans = load()
srv = env("SRV_PID", int)
want = {"h2load": {"/f1": 400, "/f2": 400, "/f3": 400, "/f4": 400, "/missing": 400},
        "nghttp": {"/f2": 1}, "curl": {"/f3": 1}}
got = collections.Counter((s["kind"], attr(s, "process.executable.name"), attr(s, "url.path"))
                          for s in spans)
for exe, paths in want.items():
    for path, n in paths.items():
        eq(got[("CLIENT", exe, path)], n, "%s CLIENT spans for %s" % (exe, path))
for path in ("/f1", "/f2", "/f3", "/f4", "/missing"):
    n = sum(p.get(path, 0) for p in want.values())
    eq(got[("SERVER", "nghttpd", path)], n, "nghttpd SERVER spans for " + path)
eq(len(spans), 2 * 2002, "spans in all")
for s in spans:
    where = "%s %s %s" % (s["kind"], attr(s, "url.path"), s["span_id"])
    path = attr(s, "url.path")
    eq(attr(s, "network.protocol.version"), "2", where + " version")
    eq(s["name"], "GET " + path, where + " name")
    if path == "/missing":
        eq(attr(s, "http.response.status_code"), 404, where + " status")
    else:
        eq(attr(s, "http.response.status_code"), 200, where + " status")
        eq(attr(s, "http.response.body.size"), int(path[2]) * 1000, where + " body size")
    if s["kind"] == "SERVER":
        eq(attr(s, "process.pid"), srv, where + " server pid")
clients = {s["span_id"]: s for s in spans if s["kind"] == "CLIENT"}
bad = 0
for s in spans:
    if s["kind"] != "SERVER":
        continue
    c = clients.get(s.get("parent_span_id"))
    if c is None or c["trace_id"] != s["trace_id"] or attr(c, "url.path") != attr(s, "url.path") \
            or attr(c, "client.port") != attr(s, "client.port"):
        bad += 1
eq(bad, 0, "SERVER spans that are not the child of their stream's CLIENT span")
fin = env("FINAL") + " "
for k in ("http2_misses", "frames_lost", "parse_misses", "ringbuf_drops"):
    check(" %s=0 " % k in fin, "final %s not 0: %s" % (k, fin))
done()
PYEND
zt_pass
