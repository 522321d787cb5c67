#!/usr/bin/env bash
# (sb) load feedback on the three python services (started once):
#  a. --sample-ratio 1 (every trace, but sampling taken: the queue may
#     steer it), OTLP to a receiver that answers every request after 1 s
#     (receiver.js --slow), 3,000 requests at concurrency 8 (~21,000 spans, far more
#     than the receiver takes): the sampling ratio falls (zerotrace_sample_ratio
#     below 1 while the load runs, ratio_falls in the final line), spans are
#     sampled out instead of dropped (sampled_out_ratio > 0, the OTLP queue
#     drops nothing), and every trace the receiver got is whole (7 spans of
#     one request, one trace id).
#  b. --cpu-budget 1 (1 % of a CPU, far below what the agent uses under
#     this load), JSON lines: the ratio falls the same way, and every
#     exported request is a whole tree; after the load, the agent idle
#     (well under 1 %), the ratio rises again within 15 s (ratio_rises,
#     /metrics): the CPU reading follows the agent down, not only up.
. "$(dirname "$0")/lib.sh"
. "$ZT_LIB_DIR/services/scenario.sh"
zt_init
zt_otlp_setup

zt_agent_has_flag --cpu-budget || zt_fail "$ZT_BIN --help does not offer --cpu-budget"
sc_start_services feedback

OPORT=$(zt_free_port)
zt_otlp_receiver slow "$OPORT" --slow 1000
MPORT=$(zt_free_port)
zt_agent_start_tag fb --cgroup "$SC_CG" --output none --metrics-addr "127.0.0.1:$MPORT" \
	--otlp-endpoint "http://127.0.0.1:$OPORT" --sample-ratio 1
# the ratio while the load runs, every 0.2 s (bounded: 150 scrapes)
(for ((i = 0; i < 150; i++)); do
	curl -s --max-time 1 "http://127.0.0.1:$MPORT/metrics" |
		sed -n 's/^zerotrace_sample_ratio //p' >>"$TMP/fb.ratios"
	sleep 0.2
done) &
SCRAPER=$!
zt_track "$SCRAPER"
sc_drive fb 3000 8 1
zt_stop_untrack "$SCRAPER"
zt_settle 1
zt_agent_stop_tag fb
echo "$ZT_FINAL" >"$TMP/fb.final"

MPORT=$(zt_free_port)
zt_agent_start_tag cpu --cgroup "$SC_CG" --cpu-budget 1 --metrics-addr "127.0.0.1:$MPORT"
sc_drive cpu 3000 8 100001
# 3 s of calm double the ratio once: wait for it (bounded: 75 scrapes)
low=""
for ((i = 0; i < 75; i++)); do
	r=$(curl -s --max-time 1 "http://127.0.0.1:$MPORT/metrics" | sed -n 's/^zerotrace_sample_ratio //p')
	[ -z "$low" ] && low=$r
	awk -v r="$r" -v l="$low" 'BEGIN { exit !(r < l) }' && low=$r
	awk -v r="$r" -v l="$low" 'BEGIN { exit !(r > l) }' && break
	sleep 0.2
done
log "b: the ratio went from $low to $r, $((i / 5)) s after the load"
zt_agent_stop_tag cpu
echo "$ZT_FINAL" >"$TMP/cpu.final"

export FB_FINAL=$TMP/fb.final FB_RATIOS=$TMP/fb.ratios FB_OTLP=$ZT_OTLP_OUT \
	FB_DRIVER=$TMP/fb.driver.json CPU_FINAL=$TMP/cpu.final CPU_SPANS=$TMP/cpu.spans.jsonl \
	CPU_DRIVER=$TMP/cpu.driver.json
zt_py_check <<'EOF'
from ztcheck import *
import collections, json, os, re, sys
import otlpcheck
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__import__("ztcheck").__file__)), "services"))
import treecheck as tc

def final_counts(path):
    return {k: int(v) for k, v in re.findall(r" ([a-z0-9_]+)=([0-9]+)", open(path).read())}

# a. a slow collector
f = final_counts(env("FB_FINAL"))
ratios = [float(x) for x in open(env("FB_RATIOS")).read().split()]
print("a: final ratio_falls=%d ratio_rises=%d kept_all=%d kept_ratio=%d sampled_out_ratio=%d "
      "otlp_exported=%d otlp_dropped_full=%d otlp_dropped_failed=%d; lowest ratio scraped %s"
      % (f["ratio_falls"], f["ratio_rises"], f["kept_all"], f["kept_ratio"], f["sampled_out_ratio"],
         f["otlp_exported"], f["otlp_dropped_full"], f["otlp_dropped_failed"],
         min(ratios) if ratios else None))
check(f["ratio_falls"] >= 1, "the ratio never fell under a receiver 1 s slow")
check(ratios and min(ratios) < 1, "/metrics never showed a ratio below 1: %s" % ratios[:20])
check(f["sampled_out_ratio"] > 0, "no span sampled out by the lowered ratio")
eq(f["otlp_dropped_full"], 0, "spans dropped from a full OTLP queue")
eq(f["otlp_dropped_failed"], 0, "spans the OTLP export gave up on")
check(not json.load(open(env("FB_DRIVER")))["bad"], "requests failed at the driver")
items = otlpcheck.delivered(otlpcheck.load_requests(env("FB_OTLP")))
eq(len(items), f["otlp_exported"], "spans the receiver got against otlp_exported")
by_rid = collections.defaultdict(list)
for it in items:
    q = it["attrs"].get("url.query", ("", ""))[1]
    m = re.match(r"rid=(\d+)", q or "")
    check(m, "a delivered span without its rid: %s" % it["span"].get("name"))
    if m:
        by_rid[int(m.group(1))].append(it["span"])
partial = {r: len(v) for r, v in by_rid.items() if len(v) != 7 or len({s["traceId"] for s in v}) != 1}
print("a: %d requests delivered, %d spans; %d not whole" % (len(by_rid), len(items), len(partial)))
check(not partial, "traces delivered in part (rid: spans): %s" % sorted(partial.items())[:10])
check(0 < len(by_rid) < 3000, "requests delivered: %d of 3000" % len(by_rid))

# b. a CPU budget far below the agent's use
f = final_counts(env("CPU_FINAL"))
spans = tc.load_spans(env("CPU_SPANS"))
res = json.load(open(env("CPU_DRIVER")))
print("b: final ratio_falls=%d ratio_rises=%d sampled_out_ratio=%d kept_all=%d kept_ratio=%d; "
      "%d span lines" % (f["ratio_falls"], f["ratio_rises"], f["sampled_out_ratio"], f["kept_all"],
                         f["kept_ratio"], len(spans)))
check(f["ratio_falls"] >= 1, "the ratio never fell with --cpu-budget 1")
check(f["sampled_out_ratio"] > 0, "no span sampled out under the CPU budget")
check(f["ratio_rises"] >= 1, "the ratio never rose again once the load was over")
by = tc.spans_by_rid(spans)
index = {s.get("span_id"): s for s in spans}
ports = {"gateway": env("GW_PORT", int), "users": env("USERS_PORT", int), "orders": env("ORDERS_PORT", int)}
rids = range(res["rid_start"], res["rid_start"] + res["n"])
bad = [r for r in rids if by.get(r) and not tc.check_tree(by[r], tc.SPEC_7, ports, index=index).ok]
print("b: %d of %d requests exported, %d not whole" % (sum(1 for r in rids if by.get(r)), len(rids), len(bad)))
check(not bad, "exported requests that are not whole trees: %s" % bad[:10])
done()
EOF
sc_stop_all
zt_pass
