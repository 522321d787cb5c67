#!/usr/bin/env bash
# (y4) trace trees over TLS: test m's three python services (gateway calls
# users then orders, orders calls users; keep-alive connection pools, the
# rid forwarded in the query), every hop HTTPS through Python's ssl module
# (libssl.so.3: SSL_read_ex/SSL_write_ex), a self-signed certificate, no
# verification (scenario.sh with SC_TLS_CERT/SC_TLS_KEY). The services run
# in a cgroup the test makes and are up before the agent, which gets
# --cgroup of it (the filtered mode: uprobes attached per process found in
# the cgroup); the HTTPS load driver is outside it, not traced.
# For every request the whole tree must be right (treecheck.py, as in m):
# 100% of 100 requests at concurrency 1, >= 99% of 400 at concurrency 8.
# Every span: url.scheme=https, tls.protocol.name=tls, a rid the driver
# sent, a process of the cgroup. Final counters: tls_unbound=0 (no
# plaintext call left without its socket), parse_misses=0, http1_misses=0,
# ringbuf_drops=0, tls_libs >= 1, and tls_conns = both ends of every
# service-to-service connection + the gateway's end of every driver
# connection (the driver's end is outside the cgroup).
. "$(dirname "$0")/lib.sh"
. "$ZT_LIB_DIR/services/scenario.sh"
zt_init
. "$ZT_LIB_DIR/tls/tlslib.sh"

zt_agent_has_flag --cgroup || zt_fail "agent has no --cgroup flag (trace stitching not in $ZT_BIN yet)"
command -v openssl >/dev/null || zt_fail "openssl not installed (for the self-signed certificate)"

SC_TLS_CERT=$TMP/cert.pem SC_TLS_KEY=$TMP/key.pem
zt_tls_cert "$SC_TLS_KEY" "$SC_TLS_CERT"
export SC_TLS_CERT SC_TLS_KEY
sc_start_services
[ "$SC_TLS" = 1 ] || zt_fail "scenario.sh did not take the TLS mode (SC_TLS=$SC_TLS)"
# no /metrics listener: another agent on the machine may hold its default port
zt_agent_start_tag run --cgroup "$SC_CG" --metrics-addr off
sc_drive c1 100 1 1
sc_drive c8 400 8 100001
zt_settle 1
zt_agent_stop_tag run
export SPANS=$TMP/run.spans.jsonl C1=$TMP/c1.driver.json C8=$TMP/c8.driver.json FINAL=$ZT_FINAL

zt_py_check <<'EOF'
from ztcheck import *
from tlscheck import *
import collections, json, os, sys
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

# the TLS attributes, on every span (counted per attribute and value, the
# first offender shown, not one line per span)
for k, v in HTTPS.items():
    got = collections.Counter(str(attr(s, k, "<absent>")) for s in spans)
    bad = [s for s in spans if attr(s, k, "<absent>") != v]
    print("%s: %s" % (k, dict(got)))
    check(not bad, "%d of %d spans have %s != %r (%s), first: %s"
          % (len(bad), len(spans), k, v, dict(got), summarize(bad[0]) if bad else ""))

C1, C8 = json.load(open(env("C1"))), json.load(open(env("C8")))
sent = set()
for res in (C1, C8):
    sent |= set(range(res["rid_start"], res["rid_start"] + res["n"]))
norid = [s for s in spans if tc.rid_of(s) not in sent]
check(not norid, "%d spans without a rid the driver sent, first: %s"
      % (len(norid), summarize(norid[0]) if norid else ""))

ports = {"gateway": env("GW_PORT", int), "users": env("USERS_PORT", int), "orders": env("ORDERS_PORT", int)}
# keep-alive pools: few connections per edge, each reused
inner = 0
for svc, dst in (("gateway", "users"), ("gateway", "orders"), ("orders", "users")):
    conns = {attr(s, "client.port") for s in spans if s.get("kind") == "CLIENT"
             and s.get("service.name") == svc and attr(s, "server.port") == ports[dst]}
    print("%s -> %s: %d connections" % (svc, dst, len(conns)))
    check(0 < len(conns) <= 40, "%s -> %s: %d connections for 500 requests (keep-alive pools expected)"
          % (svc, dst, len(conns)))
    inner += len(conns)
outer = len({attr(s, "client.port") for s in spans if s.get("kind") == "SERVER"
             and s.get("service.name") == "gateway"})
print("driver -> gateway: %d connections" % outer)
check(0 < outer <= 20, "driver -> gateway: %d connections (one per driver worker expected)" % outer)

for res, label, want in ((C1, "c=1", 100.0), (C8, "c=8", 99.0)):
    good, total = tc.accuracy(spans, [res], tc.SPEC_7, ports, label, show_bad=5, edges=True)
    check(total > 0 and 100.0 * good / total >= want,
          "trace accuracy %s: %.1f%% (%d/%d), required >= %.0f%% (bad trees above)"
          % (label, 100.0 * good / max(total, 1), good, total, want))
    check(not res["bad"], "%s: %d requests failed at the driver, first: %s"
          % (label, len(res["bad"]), res["bad"][:1]))

C = final_counters()
for k in ("tls_unbound", "parse_misses", "http1_misses", "ringbuf_drops"):
    counter_eq(C, k, 0)
counter_between(C, "tls_libs", 1, 64, "libssl.so.3 at least")
counter_eq(C, "tls_conns", 2 * inner + outer,
           "both ends of %d service-to-service connections + the gateway's end of %d driver connections"
           % (inner, outer))
note_counters(C, ("spans", "conns", "tls_conns", "tls_bytes", "tls_libs", "tls_unbound",
                  "tls_attach_failures", "by_connection", "by_thread", "traces_new"))
done()
EOF
zt_pass
