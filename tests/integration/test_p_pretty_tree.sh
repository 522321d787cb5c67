#!/usr/bin/env bash
# (p) smoke of --output pretty on the 3-service scenario (see test_m), 3
# requests: the output has 3 "trace <32 hex>" header lines (distinct ids),
# each followed by exactly 7 span lines (the driver is outside the traced
# cgroup), the first the gateway SERVER span, the others indented by their
# depth under it; the tree rebuilt from the indentation is the expected one
# (gateway CLIENT GET /users +1 -> users SERVER +2; gateway CLIENT GET
# /orders +1 -> orders SERVER +2 -> orders CLIENT GET /users +3 -> users
# SERVER +4), and each line's pid is its service's.
. "$(dirname "$0")/lib.sh"
. "$ZT_LIB_DIR/services/scenario.sh"
zt_init

zt_agent_has_flag --cgroup || zt_fail "agent has no --cgroup flag (trace stitching not in $ZT_BIN yet)"
sc_start_services
zt_agent_start_tag pretty --output pretty --cgroup "$SC_CG"
sc_drive p 3 1 1
zt_settle 1
zt_agent_stop_tag pretty
export OUT=$ZT_OUT
echo "---- pretty output:"
cut -c1-220 "$OUT" | head -n 60
echo "----"

zt_py_check <<'EOF'
from ztcheck import *
import re

pids = {"gateway": env("GW_PID", int), "users": env("USERS_PID", int), "orders": env("ORDERS_PID", int)}
HEAD = re.compile(r"^\s*trace ([0-9a-f]{32})\b(?:.*?\b(\d+) spans\b)?")
SPAN = re.compile(r"\b(SERVER|CLIENT)\s+([^\s\[]+)\[(\d+)\]\s+(\S+)\s+(\S+)")
# the expected tree: (kind, service, name, children), children in any order
EXPECT = ("SERVER", "gateway", "GET /api", [
    ("CLIENT", "gateway", "GET /users", [("SERVER", "users", "GET /users", [])]),
    ("CLIENT", "gateway", "GET /orders", [
        ("SERVER", "orders", "GET /orders", [
            ("CLIENT", "orders", "GET /users", [("SERVER", "users", "GET /users", [])])])])])

def canon(t):
    return (t[0], t[1], t[2], sorted(canon(c) for c in t[3]))

def show(t, d=0):
    return "\n".join(["      " + "  " * d + " ".join(t[:3])] + [show(c, d + 1) for c in t[3]])

lines = open(env("OUT"), encoding="utf-8", errors="replace").read().split("\n")
traces, cur = [], None
for n, ln in enumerate(lines, 1):
    m = HEAD.match(ln)
    if m:
        cur = {"id": m.group(1), "count": m.group(2), "spans": [], "line": n}
        traces.append(cur)
        continue
    m = SPAN.search(ln)
    if m and cur is not None:
        cur["spans"].append({"kind": m.group(1), "svc": m.group(2), "pid": int(m.group(3)),
                             "name": m.group(4) + " " + m.group(5), "col": m.start(1), "text": ln})
    elif ln.strip() == "":
        cur = None
eq(len(traces), 3, "number of 'trace <32hex>' header lines")
eq(len({t["id"] for t in traces}), len(traces), "distinct trace ids in the headers")
for i, t in enumerate(traces):
    where = "trace %d (%s, output line %d)" % (i, t["id"], t["line"])
    sp = t["spans"]
    eq(len(sp), 7, "%s: span lines after its header" % where)
    if t["count"] is not None:
        eq(int(t["count"]), 7, "%s: span count in the header line" % where)
    if not sp:
        continue
    root = sp[0]
    check((root["kind"], root["svc"]) == ("SERVER", "gateway"),
          "%s: first span line is %s %s, expected the gateway SERVER span" % (where, root["kind"], root["svc"]))
    check(all(s["col"] > root["col"] for s in sp[1:]), "%s: span lines not indented under the first" % where)
    for s in sp:
        check(pids.get(s["svc"]) == s["pid"], "%s: %r: pid is not the %s service's" % (where, s["text"].strip(), s["svc"]))
    # rebuild the tree from the indentation; depth = indent steps under the first line
    cols = sorted({s["col"] for s in sp})
    unit = cols[1] - cols[0] if len(cols) > 1 else 0
    check(unit > 0 and all((c - cols[0]) % unit == 0 for c in cols),
          "%s: indentation is not in steps of one width: columns %s" % (where, cols))
    nodes, stack = [], []
    for s in sp:
        d = (s["col"] - root["col"]) // unit if unit > 0 else 0
        node = [s["kind"], s["svc"], s["name"], [], d]
        while stack and stack[-1][4] >= d:
            stack.pop()
        if stack:
            check(d == stack[-1][4] + 1, "%s: %r is %d levels under its parent line" % (where, s["text"].strip(), d - stack[-1][4]))
            stack[-1][3].append(node)
        nodes.append(node)
        stack.append(node)
    got = canon(tuple(nodes[0][:4])) if nodes else None
    if not check(got == canon(EXPECT), "%s: tree shape differs from the expected one" % where):
        print("  %s: expected\n%s\n  got\n%s" % (where, show(EXPECT), "\n".join("      " + s["text"] for s in sp)))
    deep = [n for n in nodes if n[:3] == ["CLIENT", "orders", "GET /users"]]
    leaf = [n for n in nodes if n[:3] == ["SERVER", "users", "GET /users"] and n[4] > 2]
    eq([n[4] for n in deep], [3], "%s: depth of the orders->users CLIENT line under gateway SERVER" % where)
    eq([n[4] for n in leaf], [4], "%s: depth of the users SERVER line (called from orders) under gateway SERVER" % where)
    print("%s: %d span lines, depths %s" % (where, len(sp), [n[4] for n in nodes]))
done()
EOF
zt_pass
