#!/usr/bin/env bash
# (m) trace trees across three python services on one node: gateway calls
# users then orders, orders calls users (keep-alive connection pools, the
# request id forwarded in the query). The services run in a cgroup the test
# makes; the agent gets --cgroup of it, so the load driver is not traced.
# For every request the whole tree must be right (treecheck.py: 7 spans with
# that rid, one trace id, every SERVER's parent its CLIENT span on the same
# connection, every CLIENT's parent its enclosing SERVER, the root's parent
# ""): 100% of 200 requests at concurrency 1, >= 99% of 1,000 at concurrency 16.
. "$(dirname "$0")/lib.sh"
. "$ZT_LIB_DIR/services/scenario.sh"
zt_init

zt_agent_has_flag --cgroup || zt_fail "agent has no --cgroup flag (trace stitching not in $ZT_BIN yet)"
sc_start_services
zt_agent_start_tag run --cgroup "$SC_CG"
sc_drive c1 200 1 1
sc_drive c16 1000 16 100001
zt_settle 1
zt_agent_stop_tag run
export SPANS=$TMP/run.spans.jsonl C1=$TMP/c1.driver.json C16=$TMP/c16.driver.json

zt_py_check <<'EOF'
from ztcheck import *
import json, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__import__("ztcheck").__file__)), "services"))
import treecheck as tc

spans = tc.load_spans(env("SPANS"))
print("%d span lines" % len(spans))
for s in spans:
    validate({k: v for k, v in s.items() if k != "_line"}, "line %s" % s.get("_line"))
if len(FAILS) > 20:  # the first contract violations are enough
    FAILS[20:] = ["... %d contract violations in all" % len(FAILS)]
pids = {env("GW_PID", int): "gateway", env("USERS_PID", int): "users", env("ORDERS_PID", int): "orders"}
outside = [s for s in spans if attr(s, "process.pid") not in pids]
check(not outside, "%d spans of processes outside the services' cgroup (--cgroup), first: %s"
      % (len(outside), summarize(outside[0]) if outside else ""))
wrong_svc = [s for s in spans if pids.get(attr(s, "process.pid"), s.get("service.name")) != s.get("service.name")]
check(not wrong_svc, "%d spans whose service.name is not the OTEL_SERVICE_NAME of their process, first: %s"
      % (len(wrong_svc), summarize(wrong_svc[0]) if wrong_svc else ""))
ports = {"gateway": env("GW_PORT", int), "users": env("USERS_PORT", int), "orders": env("ORDERS_PORT", int)}
# the scenario is the keep-alive one: few connections per edge, each reused
for svc, dst in (("gateway", "users"), ("gateway", "orders"), ("orders", "users")):
    conns = {attr(s, "client.port") for s in spans if s.get("kind") == "CLIENT"
             and s.get("service.name") == svc and attr(s, "server.port") == ports[dst]}
    print("%s -> %s: %d connections" % (svc, dst, len(conns)))
    check(0 < len(conns) <= 40, "%s -> %s: %d connections for 1,200 requests (keep-alive pools expected)"
          % (svc, dst, len(conns)))
for path, label, want in ((env("C1"), "c=1", 100.0), (env("C16"), "c=16", 99.0)):
    res = json.load(open(path))
    good, total = tc.accuracy(spans, [res], tc.SPEC_7, ports, label, show_bad=5, edges=True)
    check(total > 0 and 100.0 * good / total >= want,
          "trace accuracy %s: %.1f%% (%d/%d), required >= %.0f%% (bad trees above)"
          % (label, 100.0 * good / max(total, 1), good, total, want))
    check(not res["bad"], "%s: %d requests failed at the driver, first: %s"
          % (label, len(res["bad"]), res["bad"][:1]))
done()
EOF
zt_pass
