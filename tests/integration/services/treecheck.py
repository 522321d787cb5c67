#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Trace-tree checker for the multi-service tests (m..q) and
scripts/accuracy.sh: for every request id (rid) the driver sent, finds the
spans that carry that rid in url.query and says whether their whole tree is
right.

A tree is described by a spec: one node per expected span, each with its
kind, its service and its parent node; a CLIENT node also names the service
it calls. The spans of one rid are matched to nodes so:
  - CLIENT node: kind CLIENT, that service, server.port == the callee's port;
  - SERVER node under a CLIENT node: kind SERVER, that service, on the
    connection of that CLIENT span (client.port and server.port equal);
  - the root SERVER node (and a SERVER node whose CLIENT span is missing):
    kind SERVER, that service, among the spans left.
A tree is right when there are exactly as many spans as nodes, every node has
its span, every span's parent_span_id is its parent node's span_id with the
same trace_id, and the root's parent_span_id is the expected one ("" unless
given; a trace id can be required too).

    treecheck.py --spans F --driver D.json --ports gateway=P,users=P,orders=P \
        [--spec 7|nginx|redis] [--label L] [--min-pct X] [--show-bad K] [--edges]

prints "trace accuracy L: X% (n/N)" (N = requests the driver was asked to
send; a request that failed counts as a bad tree), with --edges the share of
right parent links per edge, then the first K bad trees with what was wrong.
Exit 1 when --min-pct is given and not reached. Importable: check_tree(),
accuracy(), spans_by_rid(), SPEC_7, SPEC_NGINX.
"""
import argparse
import collections
import json
import re
import sys
import urllib.parse

Node = collections.namedtuple("Node", "name kind svc parent dst")

# gateway -> users, gateway -> orders -> users
SPEC_7 = [
    Node("gateway SERVER", "SERVER", "gateway", None, None),
    Node("gateway->users CLIENT", "CLIENT", "gateway", "gateway SERVER", "users"),
    Node("users SERVER (from gateway)", "SERVER", "users", "gateway->users CLIENT", None),
    Node("gateway->orders CLIENT", "CLIENT", "gateway", "gateway SERVER", "orders"),
    Node("orders SERVER", "SERVER", "orders", "gateway->orders CLIENT", None),
    Node("orders->users CLIENT", "CLIENT", "orders", "orders SERVER", "users"),
    Node("users SERVER (from orders)", "SERVER", "users", "orders->users CLIENT", None),
]
# nginx in front of the gateway
SPEC_NGINX = [
    Node("nginx SERVER", "SERVER", "nginx", None, None),
    Node("nginx->gateway CLIENT", "CLIENT", "nginx", "nginx SERVER", "gateway"),
    SPEC_7[0]._replace(parent="nginx->gateway CLIENT"),
] + SPEC_7[1:]
# orders also reads Redis (GET rid:N) before it calls users
SPEC_REDIS = SPEC_7 + [
    Node("orders->redis CLIENT", "CLIENT", "orders", "orders SERVER", "redis"),
]
SPECS = {"7": SPEC_7, "nginx": SPEC_NGINX, "redis": SPEC_REDIS}


def attr(s, k, default=None):
    a = s.get("attributes")
    return a.get(k, default) if isinstance(a, dict) else default


def svc_of(s):
    """The service a span belongs to: service.name, except nginx (its workers
    rewrite their environment) is known by its executable."""
    if attr(s, "process.executable.name") == "nginx":
        return "nginx"
    return s.get("service.name")


def rid_of(s):
    q = attr(s, "url.query")
    if not isinstance(q, str):
        # a database call names the request in its key: GET rid:N
        m = re.search(r"\brid:(\d+)\b", str(attr(s, "db.query.text", "")))
        return int(m.group(1)) if m else None
    v = urllib.parse.parse_qs(q).get("rid")
    try:
        return int(v[0]) if v else None
    except ValueError:
        return None


def load_spans(path):
    spans = []
    with open(path, "rb") as f:
        for n, line in enumerate(f.read().decode("utf-8", "replace").split("\n"), 1):
            if not line.strip():
                continue
            try:
                s = json.loads(line)
            except ValueError:
                continue
            if isinstance(s, dict):
                s.setdefault("_line", n)
                spans.append(s)
    return spans


def spans_by_rid(spans):
    by = collections.defaultdict(list)
    for s in spans:
        r = rid_of(s)
        if r is not None:
            by[r].append(s)
    for v in by.values():
        v.sort(key=lambda s: (s.get("start_time_unix_nano", 0), s.get("_line", 0)))
    return by


def edge_name(spec, node):
    if node.parent is None:
        return "root %s: parent_span_id" % node.name
    p = next(n for n in spec if n.name == node.parent)
    rule = "rule 2, same connection" if node.kind == "SERVER" else "rule 3, in-process"
    return "%s -> %s (%s)" % (p.name, node.name, rule)


def edge_names(spec):
    return [edge_name(spec, n) for n in spec]


class Result:
    def __init__(self):
        self.ok = False
        self.problems = []
        self.keys = []  # one short category per problem, for the summary
        self.nodes = {}
        self.edges = {}  # edge name -> True / False / None (could not be judged)
        self.spans = []

    def prob(self, key, text):
        self.keys.append(key)
        self.problems.append(text)


def short(s):
    if s is None:
        return "-"
    return "%s %s tid=%s %s:%s<-:%s trace=%.8s span=%.8s parent=%s" % (
        s.get("kind"), svc_of(s), attr(s, "thread.id"), attr(s, "server.address"),
        attr(s, "server.port"), attr(s, "client.port"), s.get("trace_id"), s.get("span_id"),
        (s.get("parent_span_id") or '""')[:8])


def check_tree(spans, spec, ports, root_parent="", trace_id=None, index=None):
    """spans: those of one rid. ports: service -> listening port. index:
    span_id -> span over the whole file (to say where a wrong parent points).
    Returns a Result."""
    r = Result()
    r.spans = spans
    used = set()
    nodes = r.nodes
    byname = {n.name: n for n in spec}

    def take(n, cands, how):
        if not cands:
            return
        if len(cands) > 1:
            r.prob("several candidates: " + n.name,
                   "%s: %d candidate spans %s" % (n.name, len(cands), how))
        nodes[n.name] = cands[0]
        used.add(id(cands[0]))

    for n in spec:
        if n.kind == "CLIENT":
            take(n, [s for s in spans if id(s) not in used and s.get("kind") == "CLIENT"
                     and svc_of(s) == n.svc and attr(s, "server.port") == ports.get(n.dst)],
                 "(CLIENT to port %s)" % ports.get(n.dst))
    for n in spec:
        if n.kind == "SERVER" and n.parent in nodes:
            c = nodes[n.parent]
            take(n, [s for s in spans if id(s) not in used and s.get("kind") == "SERVER"
                     and svc_of(s) == n.svc and attr(s, "client.port") == attr(c, "client.port")
                     and attr(s, "server.port") == attr(c, "server.port")],
                 "on the connection of %s" % n.parent)
            if n.name not in nodes:
                r.prob("no span on the connection: " + n.name,
                       "%s: no SERVER span on the connection of %s (client.port %s)"
                       % (n.name, n.parent, attr(c, "client.port")))
    for n in spec:
        if n.kind == "SERVER" and n.name not in nodes:
            left = [s for s in spans if id(s) not in used and s.get("kind") == "SERVER"
                    and svc_of(s) == n.svc]
            if n.parent is not None and left:
                r.prob("matched by elimination: " + n.name,
                       "%s: matched by elimination, not by connection" % n.name)
            take(n, left[:1], "")
    for n in spec:
        if n.name not in nodes:
            r.prob("missing span: " + n.name, "missing span: %s" % n.name)
    extra = [s for s in spans if id(s) not in used]
    for s in extra:
        r.prob("extra span: %s %s" % (s.get("kind"), svc_of(s)), "extra span: %s" % short(s))
    if len(spans) != len(spec):
        r.prob("span count != %d" % len(spec),
               "%d spans carry this rid, expected %d" % (len(spans), len(spec)))

    span_owner = {nodes[k].get("span_id"): k for k in nodes}

    def where(pid):
        if pid == "":
            return '"" (a root)'
        if pid in span_owner:
            return "%.8s = %s" % (pid, span_owner[pid])
        if index is not None and pid in index:
            o = index[pid]
            return "%.8s = a span of rid=%s (%s %s)" % (pid, rid_of(o), o.get("kind"), svc_of(o))
        return "%.8s (no span has that id)" % pid

    for n in spec:
        e = edge_name(spec, n)
        s = nodes.get(n.name)
        if s is None:
            r.edges[e] = None
            continue
        if n.parent is None:
            good = s.get("parent_span_id") == root_parent
            if not good:
                r.prob("wrong parent: " + e,
                       "%s: parent_span_id is %s, expected %s"
                       % (n.name, where(s.get("parent_span_id")), root_parent or '""'))
            if trace_id is not None and s.get("trace_id") != trace_id:
                good = False
                r.prob("wrong trace id: " + n.name,
                       "%s: trace_id %s, expected %s" % (n.name, s.get("trace_id"), trace_id))
            r.edges[e] = good
            continue
        p = nodes.get(n.parent)
        if p is None:
            r.edges[e] = None
            continue
        good = s.get("parent_span_id") == p.get("span_id")
        if not good:
            r.prob("wrong parent: " + e,
                   "edge %s: parent_span_id is %s, expected %.8s = %s"
                   % (e, where(s.get("parent_span_id")), p.get("span_id"), n.parent))
        if s.get("trace_id") != p.get("trace_id"):
            good = False
            r.prob("trace id differs from the parent's: " + e,
                   "edge %s: trace_id %.8s differs from the parent's %.8s"
                   % (e, s.get("trace_id"), p.get("trace_id")))
        r.edges[e] = good
    traces = {s.get("trace_id") for s in spans}
    if len(traces) > 1:
        r.prob("several trace ids in one tree",
               "%d distinct trace ids among the spans of this rid" % len(traces))
    r.ok = not r.problems
    return r


def false_links(spans):
    """Links that join two requests: spans (of any rid) whose parent is a span
    of another rid, and trace ids that hold spans of more than one rid.
    Returns (wrong_parents, mixed_traces, first example)."""
    index = {s.get("span_id"): s for s in spans}
    wrong, first = 0, None
    by_trace = collections.defaultdict(set)
    for s in spans:
        rid = rid_of(s)
        if rid is None:
            continue
        by_trace[s.get("trace_id")].add(rid)
        p = index.get(s.get("parent_span_id"))
        if p is not None and rid_of(p) is not None and rid_of(p) != rid:
            wrong += 1
            if first is None:
                first = "%s (rid=%s) has parent %s (rid=%s)" % (short(s), rid, short(p), rid_of(p))
    mixed = sum(1 for v in by_trace.values() if len(v) > 1)
    return wrong, mixed, first


def describe(rid, r, spec, out=sys.stdout):
    out.write("  bad tree rid=%s:\n" % rid)
    for p in r.problems:
        out.write("    - %s\n" % p)
    for n in spec:
        out.write("      %-28s %s\n" % (n.name, short(r.nodes.get(n.name))))


def accuracy(spans, results, spec, ports, label, show_bad=5, edges=False, out=sys.stdout,
             root_parent=""):
    """results: driver JSON dicts. Returns (good, total)."""
    by = spans_by_rid(spans)
    index = {s.get("span_id"): s for s in spans}
    requested, failed = [], {}
    for res in results:
        requested += list(range(res["rid_start"], res["rid_start"] + res["n"]))
        failed.update({b[0]: b[1] for b in res["bad"]})
    good, bad = 0, []
    ecount = collections.OrderedDict((e, [0, 0]) for e in edge_names(spec))
    for rid in requested:
        r = check_tree(by.get(rid, []), spec, ports, root_parent=root_parent, index=index)
        if rid in failed:
            r.ok = False
            r.keys.insert(0, "request failed at the driver")
            r.problems.insert(0, "the request failed at the driver: %s" % failed[rid])
        for e, v in r.edges.items():
            ecount[e][1] += 1
            ecount[e][0] += 1 if v else 0
        if r.ok:
            good += 1
        else:
            bad.append((rid, r))
    total = len(requested)
    pct = 100.0 * good / total if total else 0.0
    out.write("trace accuracy %s: %.1f%% (%d/%d)\n" % (label, pct, good, total))
    if edges:
        for e, (g, t) in ecount.items():
            out.write("  edge %-72s %6.1f%% (%d/%d)\n" % (e, 100.0 * g / t if t else 0.0, g, t))
    if bad and show_bad:
        kinds = collections.Counter()
        for _, r in bad:
            kinds.update(set(r.keys))
        out.write("  bad trees: %d; problems (number of trees with each):\n" % len(bad))
        for k, v in kinds.most_common(12):
            out.write("    %5d x %s\n" % (v, k))
        for rid, r in bad[:show_bad]:
            describe(rid, r, spec, out)
    out.flush()
    return good, total


def parse_ports(s):
    d = {}
    for kv in s.split(","):
        k, v = kv.split("=", 1)
        d[k] = int(v)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spans", required=True)
    ap.add_argument("--driver", action="append", required=True)
    ap.add_argument("--ports", required=True)
    ap.add_argument("--spec", default="7", choices=sorted(SPECS))
    ap.add_argument("--label", default="")
    ap.add_argument("--min-pct", type=float)
    ap.add_argument("--show-bad", type=int, default=5)
    ap.add_argument("--edges", action="store_true")
    ap.add_argument("--max-false-links", type=int,
                    help="fail when more parent links than this join two requests")
    a = ap.parse_args()
    results = [json.load(open(p)) for p in a.driver]
    spans = load_spans(a.spans)
    good, total = accuracy(spans, results, SPECS[a.spec], parse_ports(a.ports),
                           a.label or "c=%s" % ",".join(str(r["c"]) for r in results),
                           a.show_bad, a.edges)
    wrong, mixed, first = false_links(spans)
    print("false links %s: %d parent links across requests, %d traces mixing requests%s"
          % (a.label, wrong, mixed, "; first: " + first if first else ""))
    failed = False
    if a.min_pct is not None and (total == 0 or 100.0 * good / total < a.min_pct):
        print("ASSERT FAILED: trace accuracy %.2f%% < %.2f%%" % (100.0 * good / max(total, 1), a.min_pct))
        failed = True
    if a.max_false_links is not None and (wrong > a.max_false_links or mixed > a.max_false_links):
        print("ASSERT FAILED: %d false parent links and %d mixed traces, at most %d allowed"
              % (wrong, mixed, a.max_false_links))
        failed = True
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
