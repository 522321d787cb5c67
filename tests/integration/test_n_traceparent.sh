#!/usr/bin/env bash
# (n) context already on the wire, 3-service scenario (see test_m), curl
# (outside the traced cgroup) to the gateway:
#   rid 900001: traceparent 00-<T>-<S>-01 + tracestate a=b -> all 7 spans of
#               the rid in trace T, gateway SERVER's parent S, its attributes
#               have "w3c.tracestate": "a=b", and the tree is right;
#   rid 900002: a malformed traceparent (uppercase hex) -> a fresh trace
#               (not the bad one's id), gateway SERVER parent "", right tree;
#   rid 900003: single b3 header <T>-<S>-1 -> trace T, parent S, right tree;
#   rid 900004: X-B3-TraceId/X-B3-SpanId/X-B3-Sampled -> trace T, parent S.
. "$(dirname "$0")/lib.sh"
. "$ZT_LIB_DIR/services/scenario.sh"
zt_init

zt_agent_has_flag --cgroup || zt_fail "agent has no --cgroup flag (trace stitching not in $ZT_BIN yet)"
sc_start_services
# random ids; the malformed one has letters, so upper-casing really changes it
read -r T1 S1 T2 S2 T3 S3 T4 S4 <<<"$("$PY" -c '
import secrets
def h(n, letter=False):
    while True:
        v = secrets.token_hex(n)
        if v.strip("0") and (not letter or any(c in "abcdef" for c in v)):
            return v
print(h(16), h(8), h(16, True), h(8, True), h(16), h(8), h(16), h(8))')"
export T1 S1 T2 S2 T3 S3 T4 S4

zt_agent_start_tag run --cgroup "$SC_CG"
curl_gw() { # RID HEADER...
	local rid=$1 args=() h code
	shift
	for h in "$@"; do args+=(-H "$h"); done
	code=$(curl -sS --max-time 10 -o "$TMP/curl.$rid.out" -w '%{http_code}' "${args[@]}" \
		"http://127.0.0.1:$GW_PORT/api?rid=$rid" 2>"$TMP/curl.$rid.err")
	[ "$code" = 200 ] || zt_fail "curl rid=$rid: status '$code': $(cat "$TMP/curl.$rid.err" "$TMP/curl.$rid.out")"
	log "curl rid=$rid ($*): $code"
}
curl_gw 900001 "traceparent: 00-$T1-$S1-01" "tracestate: a=b"
curl_gw 900002 "traceparent: 00-${T2^^}-${S2^^}-01" "tracestate: c=d"
curl_gw 900003 "b3: $T3-$S3-1"
curl_gw 900004 "X-B3-TraceId: $T4" "X-B3-SpanId: $S4" "X-B3-Sampled: 1"
zt_settle 1
zt_agent_stop_tag run
export SPANS=$TMP/run.spans.jsonl

zt_py_check <<'EOF'
from ztcheck import *
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__import__("ztcheck").__file__)), "services"))
import treecheck as tc

spans = load(env("SPANS"))
ports = {"gateway": env("GW_PORT", int), "users": env("USERS_PORT", int), "orders": env("ORDERS_PORT", int)}
by = tc.spans_by_rid(spans)
index = {s.get("span_id"): s for s in spans}

def tree(rid, what, **kw):
    r = tc.check_tree(by.get(rid, []), tc.SPEC_7, ports, index=index, **kw)
    print("rid=%d (%s): %s" % (rid, what, "tree right" if r.ok else "tree WRONG"))
    if not r.ok:
        tc.describe(rid, r, tc.SPEC_7)
    check(r.ok, "rid=%d (%s): tree wrong: %s" % (rid, what, "; ".join(r.problems)))
    return r

T1, S1, T2, S2 = env("T1"), env("S1"), env("T2"), env("S2")
r = tree(900001, "valid traceparent + tracestate", root_parent=S1, trace_id=T1)
eq(sorted({s.get("trace_id") for s in by.get(900001, [])}), [T1], "rid=900001: trace ids of its spans")
g = r.nodes.get("gateway SERVER")
if check(g is not None, "rid=900001: no gateway SERVER span"):
    eq(g.get("parent_span_id"), S1, "rid=900001: gateway SERVER parent_span_id (the traceparent's span id)")
    eq(attr(g, "w3c.tracestate", "<absent>"), "a=b", "rid=900001: gateway SERVER attribute w3c.tracestate")

r = tree(900002, "malformed traceparent (uppercase hex)")
g = r.nodes.get("gateway SERVER")
if check(g is not None, "rid=900002: no gateway SERVER span"):
    check(g.get("trace_id") not in (T2, T2.upper()),
          "rid=900002: the malformed traceparent's trace id %s was adopted" % T2)
    eq(g.get("parent_span_id"), "", "rid=900002: gateway SERVER parent_span_id")
    note("rid=900002 (malformed traceparent + tracestate c=d): w3c.tracestate is %r (info only)"
         % attr(g, "w3c.tracestate", "<absent>"))

T3, S3, T4, S4 = env("T3"), env("S3"), env("T4"), env("S4")
tree(900003, "b3 single header", root_parent=S3, trace_id=T3)
eq(sorted({s.get("trace_id") for s in by.get(900003, [])}), [T3], "rid=900003 (b3): trace ids of its spans")
tree(900004, "X-B3-* headers", root_parent=S4, trace_id=T4)
eq(sorted({s.get("trace_id") for s in by.get(900004, [])}), [T4], "rid=900004 (X-B3-*): trace ids of its spans")
eq(len(spans), 28, "number of spans (4 requests x 7)")
done()
EOF
zt_pass
