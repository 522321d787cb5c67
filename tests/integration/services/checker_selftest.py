#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Self-test of treecheck.py on synthetic span files (no agent, no BPF):
right trees count as right, and each kind of damage is caught and named.
Run: python3 tests/integration/services/checker_selftest.py  (exit 0 = ok)
"""
import io
import json
import os
import random
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import treecheck as tc  # noqa: E402

PORTS = {"gateway": 8001, "users": 8002, "orders": 8003, "nginx": 8000}
rng = random.Random(7)
FAILS = []


def hexid(n):
    return "%0*x" % (n, rng.getrandbits(4 * n))


def tree(rid, spec, t0):
    """One right tree for rid under spec, as JSON-able spans."""
    trace = hexid(32)
    spans, by = [], {}
    for i, n in enumerate(spec):
        s = {"trace_id": trace, "span_id": hexid(16), "parent_span_id": "",
             "name": "GET /x", "kind": n.kind, "start_time_unix_nano": t0 + i,
             "end_time_unix_nano": t0 + 100 - i, "service.name": n.svc,
             "attributes": {"url.query": "rid=%d" % rid, "thread.id": 100 + i,
                            "process.executable.name": "nginx" if n.svc == "nginx" else "python3"}}
        if n.svc == "nginx":
            s["service.name"] = "nginx-garbled-env"
        if n.parent:
            s["parent_span_id"] = by[n.parent]["span_id"]
        if n.kind == "CLIENT":
            s["attributes"].update({"server.port": PORTS[n.dst], "client.port": rng.randint(30000, 60000)})
        elif n.parent:
            c = by[n.parent]
            s["attributes"].update({"server.port": c["attributes"]["server.port"],
                                    "client.port": c["attributes"]["client.port"]})
        else:
            s["attributes"].update({"server.port": PORTS[n.svc], "client.port": rng.randint(30000, 60000)})
        by[n.name] = s
        spans.append(s)
    return spans, by


def run(spec, label, n, damage):
    spans, trees = [], {}
    for rid in range(1, n + 1):
        t, by = tree(rid, spec, rid * 1000)
        trees[rid] = by
        spans += t
    expect_bad = {}
    for rid, (fn, key) in damage.items():
        fn(trees, spans, rid)
        expect_bad[rid] = key
    rng.shuffle(spans)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for s in spans:
            f.write(json.dumps(s) + "\n")
        path = f.name
    loaded = tc.load_spans(path)
    os.unlink(path)
    out = io.StringIO()
    res = {"n": n, "c": 1, "rid_start": 1, "ok": [], "bad": [[n, "status 502: x"]]}
    expect_bad[n] = "request failed at the driver"
    good, total = tc.accuracy(loaded, [res], spec, PORTS, label, show_bad=50, edges=True, out=out)
    text = out.getvalue()
    print(text)
    if (good, total) != (n - len(expect_bad), n):
        FAILS.append("%s: got %d/%d, expected %d/%d" % (label, good, total, n - len(expect_bad), n))
    index = {s["span_id"]: s for s in loaded}
    byrid = tc.spans_by_rid(loaded)
    for rid, key in expect_bad.items():
        r = tc.check_tree(byrid.get(rid, []), spec, PORTS, index=index)
        if rid != n and r.ok:
            FAILS.append("%s rid %d: damage (%s) not detected" % (label, rid, key))
        if rid != n and not any(key in k for k in r.keys):
            FAILS.append("%s rid %d: expected a problem %r, got %r" % (label, rid, key, r.keys))
    for rid in range(1, n):
        if rid not in expect_bad and not tc.check_tree(byrid[rid], spec, PORTS, index=index).ok:
            FAILS.append("%s rid %d: right tree reported bad" % (label, rid))
    if "rid=%d:" % min(expect_bad) not in text:
        FAILS.append("%s: first bad tree not described" % label)


def new_root(trees, spans, rid):  # users SERVER (from orders) starts a fresh trace
    s = trees[rid]["users SERVER (from orders)"]
    s["parent_span_id"], s["trace_id"] = "", hexid(32)


def drop(name):
    def f(trees, spans, rid):
        spans.remove(trees[rid][name])
    return f


def other_rid_parent(trees, spans, rid):  # parent is another request's gateway SERVER
    other = trees[rid + 1]["gateway SERVER"]
    s = trees[rid]["gateway->users CLIENT"]
    s["parent_span_id"], s["trace_id"] = other["span_id"], other["trace_id"]


def duplicate(trees, spans, rid):
    d = dict(trees[rid]["orders->users CLIENT"])
    d["span_id"] = hexid(16)
    spans.append(d)


def root_has_parent(trees, spans, rid):
    trees[rid][tc.SPEC_NGINX[0].name if "nginx SERVER" in trees[rid] else "gateway SERVER"][
        "parent_span_id"] = hexid(16)


def trace_only(trees, spans, rid):  # right parent span id, wrong trace id
    trees[rid]["orders SERVER"]["trace_id"] = hexid(32)


def swapped_users(trees, spans, rid):  # users SERVER parents crossed over
    a, b = trees[rid]["users SERVER (from gateway)"], trees[rid]["users SERVER (from orders)"]
    a["parent_span_id"], b["parent_span_id"] = b["parent_span_id"], a["parent_span_id"]


run(tc.SPEC_7, "synthetic 7", 40, {
    3: (new_root, "wrong parent: orders->users CLIENT -> users SERVER (from orders)"),
    5: (drop("gateway->orders CLIENT"), "missing span: gateway->orders CLIENT"),
    7: (other_rid_parent, "wrong parent: gateway SERVER -> gateway->users CLIENT"),
    9: (duplicate, "extra span"),
    11: (root_has_parent, "wrong parent: root gateway SERVER"),
    13: (trace_only, "trace id differs"),
    15: (swapped_users, "wrong parent: gateway->users CLIENT -> users SERVER (from gateway)"),
    17: (drop("users SERVER (from orders)"), "missing span: users SERVER (from orders)"),
})
run(tc.SPEC_NGINX, "synthetic nginx", 30, {
    4: (drop("nginx->gateway CLIENT"), "missing span: nginx->gateway CLIENT"),
    6: (root_has_parent, "wrong parent: root nginx SERVER"),
})
# the right root parent / trace id can be required
t, by = tree(1, tc.SPEC_7, 0)
want = hexid(16)
by["gateway SERVER"]["parent_span_id"] = want
r = tc.check_tree(t, tc.SPEC_7, PORTS, root_parent=want, trace_id=by["gateway SERVER"]["trace_id"])
if not r.ok:
    FAILS.append("given root parent: %r" % r.problems)
r = tc.check_tree(t, tc.SPEC_7, PORTS, root_parent=want, trace_id="0" * 32)
if r.ok:
    FAILS.append("wrong required trace id not detected")

for f in FAILS:
    print("ASSERT FAILED:", f)
print("checker self-test:", "ok" if not FAILS else "%d failure(s)" % len(FAILS))
sys.exit(1 if FAILS else 0)
