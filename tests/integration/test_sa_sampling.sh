#!/usr/bin/env bash
# (sa) head sampling on the three python services (gateway -> users, gateway
# -> orders -> users), started once:
#  a. --sample-ratio 0.25 over their cgroup, 2,000 requests at concurrency 8
#     (after b, on the connection pools b left open):
#     20-30 % of the requests are exported, each of them whole (its 7 spans,
#     one trace id, the right parents: treecheck.py), the others not at all;
#     every exported span says ot=th:c and its trace id's low 56 bits are at
#     least 0xc0000000000000; /metrics still counts every server span, and
#     the spans kept and sampled out add up to the spans built. Then 200
#     requests that fail (users answers 500, the gateway 502): every one is
#     exported whole (--sample-keep-errors is on by default), the spans
#     that ended before the error included.
#  b. (run first) two agents at once, one on the gateway (--pid,
#     --inject-traceparent), one on users (--pid), 400 requests: the users
#     agent follows the flag the gateway's kernel wrote, so both keep
#     exactly the same traces.
. "$(dirname "$0")/lib.sh"
. "$ZT_LIB_DIR/services/scenario.sh"
zt_init

zt_agent_has_flag --sample-ratio || zt_fail "$ZT_BIN --help does not offer --sample-ratio"
sc_start_services sampling

# b first: the gateway's kernel injects only on connections it saw open
zt_agent_launch_tag gw --pid "$GW_PID" --sample-ratio 0.25 --inject-traceparent --metrics-addr off
zt_agent_launch_tag users --pid "$USERS_PID" --sample-ratio 0.25 --metrics-addr off
zt_agent_wait_tag gw
zt_agent_wait_tag users
sc_drive two 400 8 100001
zt_settle 1
zt_agent_stop_tag gw
echo "$ZT_FINAL" >"$TMP/gw.final"
zt_agent_stop_tag users

MPORT=$(zt_free_port)
zt_agent_start_tag ratio --cgroup "$SC_CG" --sample-ratio 0.25 --metrics-addr "127.0.0.1:$MPORT"
sc_drive r25 2000 8 1
sc_drive err 200 8 50001 "$GW_PORT" '/api?rid={rid}&fail=1'
zt_settle 1
curl -s --max-time 5 "http://127.0.0.1:$MPORT/metrics" >"$TMP/ratio.metrics" ||
	zt_fail "GET /metrics on 127.0.0.1:$MPORT failed"
zt_agent_stop_tag ratio
echo "$ZT_FINAL" >"$TMP/ratio.final"

export SPANS=$TMP/ratio.spans.jsonl DRIVER=$TMP/r25.driver.json ERR_DRIVER=$TMP/err.driver.json \
	METRICS=$TMP/ratio.metrics \
	FINAL=$TMP/ratio.final GW_SPANS=$TMP/gw.spans.jsonl USERS_SPANS=$TMP/users.spans.jsonl \
	GW_FINAL=$TMP/gw.final
zt_py_check <<'EOF'
from ztcheck import *
import json, os, re, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__import__("ztcheck").__file__)), "services"))
import treecheck as tc

TH = 0xc0000000000000

def final_counts(path):
    return {k: int(v) for k, v in re.findall(r" ([a-z0-9_]+)=([0-9]+)", open(path).read())}

def low56(s):
    return int(s["trace_id"][18:], 16)

rid_of_span = tc.rid_of

# a. one agent, --sample-ratio 0.25
spans = tc.load_spans(env("SPANS"))
res = json.load(open(env("DRIVER")))
check(not res["bad"], "%d requests failed at the driver, first: %s" % (len(res["bad"]), res["bad"][:1]))
by = tc.spans_by_rid(spans)
index = {s.get("span_id"): s for s in spans}
ports = {"gateway": env("GW_PORT", int), "users": env("USERS_PORT", int), "orders": env("ORDERS_PORT", int)}
rids = range(res["rid_start"], res["rid_start"] + res["n"])
kept = [r for r in rids if by.get(r)]
pct = 100.0 * len(kept) / len(rids)
print("a: %d span lines; %d of %d requests exported (%.1f%%)" % (len(spans), len(kept), len(rids), pct))
check(20.0 <= pct <= 30.0, "exported %.1f%% of the requests at --sample-ratio 0.25, want 20-30%%" % pct)
broken = []
for r in kept:
    t = tc.check_tree(by[r], tc.SPEC_7, ports, index=index)
    if not t.ok:
        broken.append((r, t))
check(not broken, "%d exported requests are not whole trees" % len(broken))
for r, t in broken[:3]:
    tc.describe(r, t, tc.SPEC_7)
errs = json.load(open(env("ERR_DRIVER")))
err_rids = range(errs["rid_start"], errs["rid_start"] + errs["n"])
eq(len(errs["bad"]), len(err_rids), "requests asked to fail that failed at the driver")
missing = [r for r in err_rids if not by.get(r)]
broken = []
for r in err_rids:
    t = tc.check_tree(by.get(r, []), tc.SPEC_7, ports, index=index)
    if not t.ok:
        broken.append((r, t))
print("a: %d of %d failing requests exported, %d whole" % (len(err_rids) - len(missing), len(err_rids),
                                                          len(err_rids) - len(broken)))
check(not missing, "%d failing requests not exported (--sample-keep-errors), first %s" % (len(missing), missing[:5]))
check(not broken, "%d failing requests exported but not whole" % len(broken))
for r, t in broken[:3]:
    tc.describe(r, t, tc.SPEC_7)
kept_err = [s for s in spans if rid_of_span(s) in err_rids and low56(s) < TH]
print("a: %d spans of failing requests kept for their error, below the ratio's threshold" % len(kept_err))
check(kept_err, "no failing request below the threshold: the error rule was not exercised")
rids = list(rids) + list(err_rids)
stray = [r for r in by if r not in rids]
check(not stray, "spans of rids that were never requested: %s" % stray[:5])
# kept by the ratio: th:c; kept for an error alone: no th (no probability)
by_error = lambda s: rid_of_span(s) in err_rids and low56(s) < TH
bad_ts = [s for s in spans if attr(s, "w3c.tracestate") != (None if by_error(s) else "ot=th:c")]
check(not bad_ts, "%d spans whose w3c.tracestate is not ot=th:c (or none when kept for an error), "
      "first: %s" % (len(bad_ts), attr(bad_ts[0], "w3c.tracestate") if bad_ts else ""))
low = [s["trace_id"] for s in spans if low56(s) < TH and rid_of_span(s) not in err_rids]
check(not low, "%d spans of traces whose randomness is below the threshold, first %s" % (len(low), low[:1]))

f = final_counts(env("FINAL"))
print("a: final kept_ratio=%d kept_error=%d sampled_out_ratio=%d spans=%d"
      % (f["kept_ratio"], f["kept_error"], f["sampled_out_ratio"], f["spans"]))
eq(f["kept_ratio"] + f["kept_error"], len(spans), "spans kept (final line) against span lines")
eq(f["kept_error"], len(kept_err), "spans kept for an error against those below the threshold")
eq(sum(v for k, v in f.items() if k.startswith(("kept_", "sampled_out_"))), f["spans"],
   "kept + sampled out, every reason, against spans built")
eq(f["kept_all"] + f["sampled_out_all"] + f["kept_parent"] + f["sampled_out_parent"], 0,
   "spans decided by no ratio or by a parent (none carried a context)")

m = open(env("METRICS")).read()
check("zerotrace_sample_ratio 0.25\n" in m, "/metrics has no 'zerotrace_sample_ratio 0.25'")
server_count = sum(float(v) for v in re.findall(
    r'^http_server_request_duration_seconds_count\{[^}]*\} ([0-9.e+]+)$', m, re.M))
print("a: /metrics counts %d server requests; %d server spans exported" %
      (server_count, sum(1 for s in spans if s.get("kind") == "SERVER")))
eq(int(server_count), 4 * len(rids), "server requests /metrics counted (4 a request: every one)")
km = re.search(r'^zerotrace_spans_sampled_total\{decision="kept",reason="ratio"\} ([0-9]+)$', m, re.M)
om = re.search(r'^zerotrace_spans_sampled_total\{decision="sampled_out",reason="ratio"\} ([0-9]+)$', m, re.M)
check(km and om and int(om.group(1)) > int(km.group(1)) > 0,
      "/metrics: kept %s, sampled out %s by the ratio" % (km and km.group(1), om and om.group(1)))

# b. an agent per service: the same traces kept on both sides of the wire
gw = tc.load_spans(env("GW_SPANS"))
us = tc.load_spans(env("USERS_SPANS"))
gf = final_counts(env("GW_FINAL"))
gw_traces = {s["trace_id"] for s in gw}
# users spans whose context came from the gateway's injected traceparent
# (orders is not traced: its calls to users start traces of their own)
gw_calls = {s["span_id"] for s in gw if s.get("kind") == "CLIENT"}
us_joined = {s["trace_id"] for s in us if s.get("parent_span_id") in gw_calls}
us_wire = [s for s in us if s.get("kind") == "SERVER" and s.get("parent_span_id")]
print("b: gateway kept %d traces (%d spans; sampled out %d); users kept %d spans, %d with a parent off the wire"
      % (len(gw_traces), len(gw), gf["sampled_out_ratio"], len(us), len(us_wire)))
check(gf["injected"] >= 800, "the gateway's kernel injected %d traceparents, want >= 800 (2 calls a request)"
      % gf["injected"])
check(40 <= len(gw_traces) <= 160, "gateway agent kept %d of 400 traces at 0.25" % len(gw_traces))
wire_traces = {s["trace_id"] for s in us_wire}
eq(sorted(wire_traces - gw_traces), [], "traces the users agent kept and the gateway agent did not")
eq(sorted(gw_traces - wire_traces), [], "traces the gateway agent kept and the users agent did not")
eq(us_joined, wire_traces, "users spans under a gateway call: their traces")
done()
EOF
sc_stop_all
zt_pass
