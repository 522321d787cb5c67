# SPDX-License-Identifier: MIT
"""Checks of what tests/otlp/receiver.js recorded against the agent's JSON
lines (the ground truth: same spans, same ids). Imported by the inline python
of tests/integration/test_s_otlp_*.sh next to ztcheck; failures go to
ztcheck's list, so ztcheck.done() reports everything at once.

    from ztcheck import *
    from otlpcheck import *
    R = load_requests(env("RX_OUT"))
    check_requests(R, fmt="protobuf", gzip=False, headers={"x-zt-tenant": "acme"})
    D = delivered(R)                     # spans of the requests answered 200
    by_id = compare_spans(load(), D, host=env("HOST_NAME"), version=env("ZT_VERSION"))

CLI (for polling from shell): python3 otlpcheck.py count FILE
    prints the number of spans in the requests answered 200 (Zipkin: 202) so far.
"""
import json
import os
import sys

try:
    from ztcheck import FAILS, check, eq, note
except ImportError:  # the CLI needs none of it
    FAILS, check, eq, note = [], None, None, None

KIND = {"SERVER": 2, "CLIENT": 3}
# JSON-lines attributes that are resource attributes in OTLP
RES_FROM_SPAN = ("process.pid", "process.executable.name")
# resource attributes the agent may add depending on where it runs
RES_OPTIONAL = ("container.id", "k8s.pod.name", "k8s.namespace.name")


def load_requests(path):
    recs = []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    recs.append(json.loads(line))
                except ValueError as e:
                    if check is not None:
                        check(False, "receiver output %s line %d is not JSON: %s" % (path, n, e))
    except OSError as e:
        if check is not None:
            check(False, "cannot read receiver output %s: %s" % (path, e))
    return recs


def anyvalue(v):
    """An OTLP AnyValue (as the receiver records it) -> (type, python value)."""
    if not isinstance(v, dict):
        return ("none", None)
    if "stringValue" in v:
        return ("str", v["stringValue"])
    if "intValue" in v:
        try:
            return ("int", int(v["intValue"]))
        except (TypeError, ValueError):
            return ("bad-int", v["intValue"])
    if "boolValue" in v:
        return ("bool", v["boolValue"])
    if "doubleValue" in v:
        return ("double", v["doubleValue"])
    return ("other", v)


def typed(v):
    """A JSON-lines attribute value -> the (type, value) OTLP must carry."""
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, int):
        return ("int", v)
    if isinstance(v, float):
        return ("double", v)
    return ("str", v)


def kv_dict(kvs, where):
    out = {}
    for kv in kvs or []:
        k = kv.get("key")
        if k in out:
            check(False, "%s: attribute %r appears twice" % (where, k))
        out[k] = anyvalue(kv.get("value"))
    return out


def delivered(recs, answers=(200,)):
    """Every span of the requests answered with one of `answers`, flattened:
    dicts with req (seq), resource (key -> (type, value)), scope (name,
    version), span (as recorded) and attrs (key -> (type, value))."""
    items = []
    for r in recs:
        if r.get("answer") not in answers or not r.get("body"):
            continue
        for i, rs in enumerate(r["body"].get("resourceSpans") or []):
            where = "request #%d resourceSpans[%d]" % (r["seq"], i)
            res = kv_dict(((rs.get("resource") or {}).get("attributes")), where + " resource")
            for j, ss in enumerate(rs.get("scopeSpans") or []):
                sc = ss.get("scope") or {}
                for k, sp in enumerate(ss.get("spans") or []):
                    items.append(dict(
                        req=r["seq"], rs=i, resource=res,
                        scope=(sc.get("name"), sc.get("version")), span=sp,
                        attrs=kv_dict(sp.get("attributes"),
                                      "%s scopeSpans[%d] spans[%d]" % (where, j, k))))
    return items


def span_count(recs, answers=(200, 202)):
    return sum(r.get("spans", 0) for r in recs if r.get("answer") in answers)


def check_requests(recs, fmt=None, gzip=None, headers=None, path="/v1/traces",
                   answers=(200,), forbidden=("secret",)):
    """Every request: POST to path, decoded without error, the right format
    (protobuf/json) and Content-Type, gzip or not, no OTLP/JSON issues, the
    custom headers, the answer among `answers`, and no forbidden string
    anywhere (redaction)."""
    check(len(recs) > 0, "the receiver got no request at all")
    ctype = {"protobuf": "application/x-protobuf", "json": "application/json"}
    for r in recs:
        w = "request #%s" % r.get("seq")
        eq(r.get("method"), "POST", w + " method")
        eq(r.get("path"), path, w + " path")
        eq(r.get("error"), None, w + " decode error")
        check(r.get("answer") in answers, "%s answered %r, expected one of %r"
              % (w, r.get("answer"), answers))
        if fmt is not None:
            eq(r.get("format"), fmt, w + " format")
            ct = (r.get("content_type") or "").split(";")[0].strip().lower()
            eq(ct, ctype[fmt], w + " Content-Type")
        if gzip is not None:
            enc = (r.get("content_encoding") or "identity").lower()
            eq(enc, "gzip" if gzip else "identity", w + " Content-Encoding")
        issues = r.get("json_issues") or []
        check(not issues, "%s: OTLP/JSON issues: %s" % (w, "; ".join(issues[:10])))
        for k, v in (headers or {}).items():
            eq((r.get("headers") or {}).get(k.lower()), v, w + " header " + k)
        text = json.dumps(r.get("body"))
        for s in forbidden:
            check(s not in text, "%s: the string %r appears in the exported spans" % (w, s))
        # one ResourceSpans per process in one request
        pids = []
        for rs in (r.get("body") or {}).get("resourceSpans") or []:
            res = kv_dict((rs.get("resource") or {}).get("attributes"), w)
            pids.append(res.get("process.pid"))
            check(len(rs.get("scopeSpans") or []) >= 1 and
                  all(ss.get("spans") for ss in rs.get("scopeSpans") or []),
                  "%s: a ResourceSpans/ScopeSpans without spans" % w)
        dup = sorted({str(p) for p in pids if pids.count(p) > 1})
        check(not dup, "%s: several ResourceSpans for the same process.pid %s "
              "(spans must be grouped per process)" % (w, dup))


def expected_status(s):
    """The contract: HTTP: ERROR (2) for SERVER 5xx, CLIENT 4xx/5xx, or no
    response; a database span: ERROR when the database answered an error."""
    a = s.get("attributes", {})
    if "db.system.name" in a:
        return 2 if "db.response.status_code" in a else 0
    st = a.get("http.response.status_code")
    if st is None:
        return 2
    if s.get("kind") == "SERVER" and st >= 500:
        return 2
    if s.get("kind") == "CLIENT" and st >= 400:
        return 2
    return 0


def compare_spans(S, D, host, version, res_extra=None, require_exe_path=None):
    """For EVERY JSON-lines span: exactly one delivered span with the same
    trace/span id, and the same parent, kind, times, name, attributes (value
    and type), resource (service.name, process.pid, process.executable.name,
    process.executable.path, host.name, plus res_extra(span): key -> value,
    or None for "must be absent"), scope and status. No delivered span may be
    missing from the JSON lines. Returns {(trace_id, span_id): item}."""
    index = {}
    for d in D:
        index.setdefault((d["span"].get("traceId"), d["span"].get("spanId")), []).append(d)
    jkeys = set()
    out = {}
    for s in S:
        key = (s.get("trace_id"), s.get("span_id"))
        jkeys.add(key)
        a = s.get("attributes", {})
        w = "span %s/%s (%s %s %s pid %s)" % (key[0], key[1], s.get("kind"), s.get("name"),
                                             a.get("http.response.status_code"),
                                             a.get("process.pid"))
        got = index.get(key, [])
        if not eq(len(got), 1, w + ": number of OTLP spans with these ids"):
            if not got:
                continue
        d = got[0]
        out[key] = d
        sp = d["span"]
        eq(sp.get("parentSpanId"), s.get("parent_span_id"), w + " parentSpanId")
        eq(sp.get("kind"), KIND.get(s.get("kind")), w + " kind")
        eq(sp.get("startTimeUnixNano"), str(s.get("start_time_unix_nano")), w + " startTimeUnixNano")
        eq(sp.get("endTimeUnixNano"), str(s.get("end_time_unix_nano")), w + " endTimeUnixNano")
        eq(sp.get("name"), s.get("name"), w + " name")
        eq(sp.get("traceState"), "", w + " traceState")
        want = {k: typed(v) for k, v in a.items() if k not in RES_FROM_SPAN}
        for k in sorted(set(want) | set(d["attrs"])):
            eq(d["attrs"].get(k, "<absent>"), want.get(k, "<absent>"), w + " attribute " + k)
        # resource
        res = d["resource"]
        rw = {"service.name": ("str", s.get("service.name")),
              "process.pid": ("int", a.get("process.pid")),
              "process.executable.name": ("str", a.get("process.executable.name")),
              "host.name": ("str", host)}
        extra = res_extra(s) if res_extra else {}
        for k, v in extra.items():
            rw[k] = None if v is None else typed(v)
        for k, v in rw.items():
            if v is None:
                check(k not in res, "%s resource attribute %s should be absent, is %r"
                      % (w, k, res.get(k)))
            else:
                eq(res.get(k, "<absent>"), v, w + " resource " + k)
        path = res.get("process.executable.path")
        if path is not None:
            check(path[0] == "str" and path[1].startswith("/") and
                  os.path.basename(path[1]) == a.get("process.executable.name"),
                  "%s resource process.executable.path %r does not end in %r"
                  % (w, path, a.get("process.executable.name")))
        elif require_exe_path is None or require_exe_path(s):
            check(False, "%s resource process.executable.path is absent" % w)
        # the JSON line carries the same resource as the OTLP export
        jres = s.get("resource") or {}
        for k in sorted(set(jres) | set(res)):
            eq(res.get(k, "<absent>"), typed(jres[k]) if k in jres else "<absent>",
               w + " resource " + k + " (OTLP vs JSON line)")
        unexpected = set(res) - set(rw) - {"process.executable.path"} - set(RES_OPTIONAL)
        check(not unexpected, "%s unexpected resource attributes %s"
              % (w, {k: res[k] for k in sorted(unexpected)}))
        eq(d["scope"], ("zerotrace", version), w + " scope (name, version)")
        st = (sp.get("status") or {}).get("code", 0)
        eq(st, expected_status(s), w + " status.code")
    extra_ids = [k for k in index if k not in jkeys]
    check(not extra_ids, "%d OTLP span(s) are not in the JSON lines, e.g. %s"
          % (len(extra_ids), extra_ids[:3]))
    return out


def _cli():
    if len(sys.argv) == 3 and sys.argv[1] == "count":
        recs = []
        try:
            with open(sys.argv[2], encoding="utf-8") as f:
                for line in f:
                    try:
                        recs.append(json.loads(line))
                    except ValueError:
                        pass
        except OSError:
            pass
        print(span_count(recs))
        return 0
    sys.stderr.write("usage: otlpcheck.py count FILE\n")
    return 2


if __name__ == "__main__":
    sys.exit(_cli())
