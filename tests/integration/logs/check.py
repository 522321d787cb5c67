# SPDX-License-Identifier: MIT
"""Checks of test_sd_logs: the agent's log records (JSON lines, "type":
"log") against the lines py_server.py and node_server.js wrote, the SERVER
spans of the requests they wrote them for, and what the OTLP receiver
decoded (tests/otlp/receiver.js, the official schema).

    python3 check.py wait-otlp JSONL OTLP_OUT T_CUT_NS SECONDS AT_LEAST
        waits until JSONL has AT_LEAST log records timed <= T_CUT_NS and
        every one of them is among the receiver's (exit 1 on timeout: the
        check then says which are missing)
    python3 check.py check
        every check; its inputs in the environment (see main())

How a record is told: by its process and its body. Every line a handler
writes names its request (rid=N, sent by drive.py in the request's query),
so the record's expected ids are those of the SERVER span whose url.query
is rid=N. A linked record whose ids are not that span's is a WRONG link, in
every run and at every concurrency.
"""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "otlp"))

from ztcheck import (attr, check, env, eq, is_int, is_python_exe, load,  # noqa: E402
                     load_logs, note, done, summarize_log)
from otlpcheck import anyvalue, kv_dict, load_requests, typed  # noqa: E402

# The lines, as the agent must make them (secrets redacted): class ->
# (pattern, stream, severity number, accepted severity texts).
# stream: "stdout" | "stderr" | "file" (zerotrace.log.fd, no log.iostream).
PY_LINES = {
    "py.stdout": (r"INFO rid=(\d+) stdout line token=REDACTED", "stdout", 9, ("INFO",)),
    "py.file": (r"\[error\] rid=(\d+) file line", "file", 17, ("error", "[error]")),
    "py.json": (r'\{"level":"warning","rid":(\d+),"msg":"json line","password":"REDACTED"\}',
                "stderr", 13, ("warning",)),
    "py.after": (r"INFO rid=(\d+) after response", "stdout", 9, ("INFO",)),
}
NODE_LINES = {
    "node.stdout": (r"INFO rid=(\d+) stdout line", "stdout", 9, ("INFO",)),
    # pino's 30: the text as written ("30"), or none
    "node.file": (r'\{"level":30,"rid":(\d+),"msg":"file line"\}', "file", 9, ("30", "")),
    "node.stderr": (r"ERROR rid=(\d+) stderr line", "stderr", 17, ("ERROR",)),
    "node.timer": (r"INFO timer line n=(\d+) inflight=(\d+) cur=(\d+|-)", "stdout", 9, ("INFO",)),
}
# Node's inspector prints these to stderr when --node-helper opens it
# (from its own thread, which reads no request: never linked)
NODE_BANNER = re.compile(r"^(Debugger (listening|attached|ending)|For help, see:)")
# The raw line each class came from, in the server's own capture (unredacted)
RAW = {
    "py.stdout": "INFO rid={rid} stdout line token=t0k{rid}",
    "py.file": "[error] rid={rid} file line",
    "py.json": '{{"level":"warning","rid":{rid},"msg":"json line","password":"hunter2"}}',
    "py.after": "INFO rid={rid} after response",
    "node.stdout": "INFO rid={rid} stdout line",
    "node.file": '{{"level":30,"rid":{rid},"msg":"file line"}}',
    "node.stderr": "ERROR rid={rid} stderr line",
}
SECRETS = ("hunter2", "t0k")
# JSON-line attributes OTLP may carry on the Resource instead of the record
RES_FROM_RECORD = ("process.pid", "process.executable.name")
# slack for a record's time against its span's (both the agent's clocks)
SLACK_NS = 10**6


def classify(rec, pids):
    """(server, class, match) of a record, or (server, None, None)."""
    a = rec.get("attributes") or {}
    pid = a.get("process.pid")
    body = rec.get("body")
    server = pids.get(pid)
    table = PY_LINES if server == "py" else NODE_LINES if server == "node" else {}
    if isinstance(body, str):
        for cls, (pat, _, _, _) in table.items():
            m = re.fullmatch(pat, body)
            if m:
                return server, cls, m
        if server == "node" and NODE_BANNER.match(body):
            return server, "node.banner", None
    return server, None, None


def rid_of_span(s):
    q = attr(s, "url.query")
    m = re.fullmatch(r"rid=(\d+)", q) if isinstance(q, str) else None
    return int(m.group(1)) if m else None


def lines_of(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return set(f.read().split("\n"))
    except OSError as e:
        check(False, "cannot read the server's capture %s: %s" % (path, e))
        return set()


def final_counters(line, what):
    words = (line or "").split()[2:]
    out = {}
    for w in words:
        k, _, v = w.partition("=")
        if v.isdigit():
            out[k] = int(v)
    check(out, "%s: no final line: %r" % (what, line))
    return out


def logs_counter(final, name, what):
    if name not in final:
        check(False, "%s: final line has no %s (its logs_* counters: %s)"
              % (what, name, {k: v for k, v in final.items() if k.startswith("logs")}))
        return None
    return final[name]


class Run:
    """One agent run: its output, the phases driven under it, its final line."""

    def __init__(self, tag, path, final, phases, helper, t_cut):
        self.tag, self.path, self.helper, self.t_cut = tag, path, helper, t_cut
        self.final = final_counters(final, tag)
        self.phases = phases  # [(name, server, driver json, requirement)]
        self.spans = load(path)
        self.logs = load_logs(path)


def check_run(run, pids, svc, file_fd, captures, exe):
    w = run.tag
    # every line of this test's output says what it is, first
    with open(run.path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                check(line.startswith('{"type":"span",') or line.startswith('{"type":"log",'),
                      "%s line %d does not start with \"type\": %.80s" % (w, n, line))
    # the SERVER span of every request sent
    sent = {}  # rid -> (phase name, server, requirement)
    path_of = {}  # phase name -> the path it requested
    for name, server, drv, req in run.phases:
        d = json.load(open(drv))
        path_of[name] = d["path"]
        for rid, st, _, _ in d["sent"]:
            eq(st, 200, "%s %s rid %d: status" % (w, name, rid))
            sent[rid] = (name, server, req)
    span_of = {}
    for s in run.spans:
        if s.get("kind") != "SERVER":
            continue
        srv = pids.get(attr(s, "process.pid"))
        check(srv is not None, "%s: a SERVER span of another process: pid %s"
              % (w, attr(s, "process.pid")))
        rid = rid_of_span(s)
        if srv is None or rid is None:
            continue
        check(rid not in span_of, "%s: two SERVER spans for rid %d" % (w, rid))
        span_of[rid] = s
        if rid in sent:
            eq(srv, sent[rid][1], "%s rid %d: the server that answered" % (w, rid))
            eq(s.get("service.name"), svc[srv], "%s rid %d: SERVER span service.name" % (w, rid))
    missing = sorted(r for r in sent if r not in span_of)
    check(not missing, "%s: %d requests without their SERVER span, e.g. rids %s"
          % (w, len(missing), missing[:8]))
    res_of = {}
    for s in run.spans:
        p = attr(s, "process.pid")
        if p in pids and isinstance(s.get("resource"), dict):
            res_of.setdefault(p, s["resource"])

    # every record: its line, stream, severity, process, link
    seen = {}  # (class, rid or n) -> count
    stats = {}  # phase -> [right, unlinked, wrong]
    timer = {"n": 0, "linked": 0}
    banner = 0
    for r in run.logs:
        where = "%s %s" % (w, summarize_log(r))
        a = r.get("attributes") or {}
        server, cls, m = classify(r, pids)
        if server is None:
            check(False, "%s: a record of a process this test did not start" % where)
            continue
        leaked = [x for x in SECRETS if x in str(r.get("body"))]
        if leaked:
            check(False, "%s: the secret %r is not redacted" % (where, leaked))
            continue
        if cls is None:
            check(False, "%s: a record of no line the server writes as one line "
                  "(a two-line write, a part of a line, a tick from a thread that "
                  "never read a request?)" % where)
            continue
        linked = r.get("trace_id") != "" or r.get("span_id") != ""
        eq(r.get("service.name"), svc[server], where + " service.name")
        if server == "py":
            check(is_python_exe(a.get("process.executable.name")),
                  "%s process.executable.name %r" % (where, a.get("process.executable.name")))
        else:
            eq(a.get("process.executable.name"), exe["node"], where + " process.executable.name")
        if a.get("process.pid") in res_of:
            eq(r.get("resource"), res_of[a["process.pid"]], where + " resource (as on the spans)")
        if cls == "node.banner":
            banner += 1
            check(run.helper, where + ": an inspector banner without --node-helper")
            check(not linked, where + ": the inspector's banner is linked")
            continue
        pat, stream, sev, texts = (PY_LINES if server == "py" else NODE_LINES)[cls]
        if stream == "file":
            check("log.iostream" not in a, where + ": a file line with log.iostream")
            if server == "py":
                eq(a.get("zerotrace.log.fd"), file_fd, where + " zerotrace.log.fd")
            else:
                check(is_int(a.get("zerotrace.log.fd")) and a["zerotrace.log.fd"] > 2,
                      where + ": zerotrace.log.fd %r" % a.get("zerotrace.log.fd"))
        else:
            eq(a.get("log.iostream"), stream, where + " log.iostream")
        eq(r.get("severity_number"), sev, where + " severity_number")
        check(r.get("severity_text") in texts, "%s severity_text %r, expected one of %r"
              % (where, r.get("severity_text"), texts))
        if server == "node":
            eq(a.get("thread.id"), a.get("process.pid"), where + " thread.id (the event loop's)")
        if linked:
            eq(r.get("trace_flags"), 1, where + " trace_flags (every trace sampled)")
        if cls == "node.timer":
            n, inflight, cur = int(m.group(1)), int(m.group(2)), m.group(3)
            key = (cls, n)
            seen[key] = seen.get(key, 0) + 1
            timer["n"] += 1
            check(r["body"] in captures["node.stdout"], where + ": not a line node wrote")
            if not linked:
                continue
            # a timer serves no request, even while one is in flight
            # (inflight=1): the agent links an event loop's line only when
            # the helper names its request
            timer["linked"] += 1
            check(False, "%s: a timer line (inflight=%d, cur=%s) is linked" % (
                where, inflight, cur))
            continue
        rid = int(m.group(1))
        key = (cls, rid)
        seen[key] = seen.get(key, 0) + 1
        if rid not in sent:
            check(False, "%s: rid %d was not sent in this run" % (where, rid))
            continue
        phase, _, req = sent[rid]
        st = stats.setdefault(phase, [0, 0, 0])
        span = span_of.get(rid)
        check(RAW[cls].format(rid=rid) in captures[cls.split(".")[0] + "." + stream],
              "%s: the server's capture has no such line" % where)
        if span is None:
            continue
        if server == "py":
            eq(a.get("thread.id"), attr(span, "thread.id"), where + " thread.id (its SERVER span's)")
        t = r.get("time_unix_nano")
        if cls == "py.after":
            # written after the connection was answered and closed
            check(not linked, "%s: a line written after its request ended is linked" % where)
            if is_int(t):
                check(t >= span["end_time_unix_nano"] - SLACK_NS,
                      "%s: time %d before its request's end %d" % (where, t, span["end_time_unix_nano"]))
            continue
        if is_int(t):
            check(span["start_time_unix_nano"] - SLACK_NS <= t <= span["end_time_unix_nano"] + SLACK_NS,
                  "%s: time %d outside its SERVER span %d..%d" % (
                      where, t, span["start_time_unix_nano"], span["end_time_unix_nano"]))
        if req == "none":
            # an event loop without the helper: no line names a request
            st[2 if linked else 1] += 1
            check(not linked, "%s: linked without --node-helper (%s links none)" % (where, phase))
        elif not linked:
            st[1] += 1
            check(False, "%s: not linked to its request (%s must link all)" % (where, phase))
        elif (r.get("trace_id"), r.get("span_id")) == (span.get("trace_id"), span.get("span_id")):
            st[0] += 1
        else:
            st[2] += 1
            check(False, "%s: WRONG link: rid %d's SERVER span is %s/%s" % (
                where, rid, span.get("trace_id"), span.get("span_id")))

    # every line written for a request is a record, exactly once
    for rid, (phase, server, _) in sorted(sent.items()):
        if server == "py":
            want = ("py.stdout", "py.file", "py.json", "py.after") if path_of[phase] == "/work" \
                else ("py.after",)
        else:
            want = ("node.stdout", "node.file", "node.stderr")
        for cls in want:
            eq(seen.get((cls, rid), 0), 1, "%s %s rid %d: records of its %s line" % (w, phase, rid, cls))
    dup = [k for k, v in seen.items() if v > 1 and k[0] == "node.timer"]
    check(not dup, "%s: timer lines made records twice: %s" % (w, dup[:5]))
    check(timer["n"] >= 5, "%s: %d timer lines made records (the event-loop thread reads requests, "
          "the timer writes every 20 ms)" % (w, timer["n"]))
    for phase, (right, unl, wrong) in sorted(stats.items()):
        note("%s %s: %d records linked right, %d unlinked, %d WRONG" % (w, phase, right, unl, wrong))
    note("%s: %d timer records, %d of them linked, %d inspector banner lines"
         % (w, timer["n"], timer["linked"], banner))

    # the final line's counters against the records printed: records
    # without ids are logs_no_request + logs_ambiguous + logs_too_long (no
    # line of these servers is longer than the kernel's 4 KiB copy)
    f = run.final
    linked_n = sum(1 for r in run.logs if r.get("trace_id"))
    eq(logs_counter(f, "logs_linked", w), linked_n, "%s final logs_linked (records with ids)" % w)
    unlinked = sum(logs_counter(f, k, w) for k in ("logs_no_request", "logs_ambiguous",
                                                   "logs_too_long"))
    eq(unlinked, len(run.logs) - linked_n, "%s final unlinked records (without ids)" % w)
    eq(logs_counter(f, "logs_too_long", w), 0, "%s final logs_too_long" % w)
    eq(f.get("otlp_logs_dropped"), 0, "%s final otlp_logs_dropped" % w)
    note("%s final: %s" % (w, " ".join("%s=%d" % kv for kv in f.items() if kv[0].startswith("logs_"))))
    return {(r["attributes"].get("process.pid"), r.get("body"), r.get("time_unix_nano")): r
            for r in run.logs if isinstance(r.get("attributes"), dict)}


def otlp_records(path):
    """Every log record of scope zerotrace.logs in the /v1/logs requests
    answered 200: (resource attrs, scope (name, version), record)."""
    out, other = [], 0
    for r in load_requests(path):
        if r.get("signal") != "logs":
            continue
        wq = "OTLP logs request #%s" % r.get("seq")
        eq(r.get("path"), "/v1/logs", wq + " path")
        eq(r.get("error"), None, wq + " decode error")
        check(not r.get("json_issues"), "%s: OTLP/JSON issues %s" % (wq, r.get("json_issues")))
        if r.get("answer") != 200:
            continue
        for i, rl in enumerate((r.get("body") or {}).get("resourceLogs") or []):
            res = kv_dict((rl.get("resource") or {}).get("attributes"), "%s resourceLogs[%d]" % (wq, i))
            for sl in rl.get("scopeLogs") or []:
                sc = sl.get("scope") or {}
                if sc.get("name") != "zerotrace.logs":
                    other += len(sl.get("logRecords") or [])
                    continue
                for lr in sl.get("logRecords") or []:
                    out.append((res, (sc.get("name"), sc.get("version")), lr))
    return out, other


def otlp_key(res, lr):
    pid = res.get("process.pid", ("none", None))[1]
    body = anyvalue(lr.get("body"))
    return (pid, body[1] if body[0] == "str" else body, int(lr.get("timeUnixNano") or 0))


def check_otlp(path, by_key, cut_of, version):
    got, other = otlp_records(path)
    note("OTLP: %d log records of scope zerotrace.logs (%d of other scopes)" % (len(got), other))
    index = {}
    for res, scope, lr in got:
        index.setdefault(otlp_key(res, lr), []).append((res, scope, lr))
    for key, r in by_key.items():
        w = "OTLP for %s" % summarize_log(r)
        items = index.get(key, [])
        if r["time_unix_nano"] <= cut_of(r):
            if not eq(len(items), 1, w + ": records with this pid, body and time"):
                if not items:
                    continue
        elif not items:
            continue
        else:
            eq(len(items), 1, w + ": records with this pid, body and time (after the cut)")
        res, scope, lr = items[0]
        eq(scope, ("zerotrace.logs", version), w + " scope (name, version)")
        eq(lr.get("traceId") or "", r["trace_id"], w + " traceId")
        eq(lr.get("spanId") or "", r["span_id"], w + " spanId")
        eq(str(lr.get("observedTimeUnixNano")), str(r["observed_time_unix_nano"]),
           w + " observedTimeUnixNano")
        eq(lr.get("severityNumber") or 0, r["severity_number"], w + " severityNumber")
        eq(lr.get("severityText") or "", r["severity_text"], w + " severityText")
        eq((lr.get("flags") or 0) & 0xff, r["trace_flags"], w + " flags (W3C trace flags)")
        eq(anyvalue(lr.get("body"))[0], "str", w + " body is a string")
        got_attrs = kv_dict(lr.get("attributes"), w)
        want = r["attributes"]
        for k in sorted(set(want) | set(got_attrs)):
            if k in RES_FROM_RECORD and k not in got_attrs:
                eq(res.get(k, "<absent>"), typed(want[k]), w + " resource " + k)
                continue
            # the JSON line's true is OTLP's int 1 (zerotrace.log.truncated)
            wv = typed(want[k]) if k in want else "<absent>"
            if wv == ("bool", True):
                wv = ("int", 1)
            eq(got_attrs.get(k, "<absent>"), wv, w + " attribute " + k)
        jres = r.get("resource") or {}
        for k in sorted(set(jres) | set(res)):
            eq(res.get(k, "<absent>"), typed(jres[k]) if k in jres else "<absent>",
               w + " resource " + k + " (OTLP vs JSON line)")
    extra = [k for k in index if k not in by_key]
    check(not extra, "%d OTLP log records are not in the JSON lines, e.g. %s" % (len(extra), extra[:3]))
    text = open(path, encoding="utf-8", errors="replace").read()
    for s in SECRETS:
        check(s not in text, "the secret %r reaches the OTLP receiver" % s)


def wait_otlp(jsonl, otlp, t_cut, secs, at_least):
    end = time.monotonic() + secs
    want = set()
    while True:
        want = set()
        try:
            for line in open(jsonl, encoding="utf-8", errors="replace"):
                if line.startswith('{"type":"log"'):
                    try:
                        r = json.loads(line)
                    except ValueError:
                        continue
                    if r.get("time_unix_nano", 0) <= t_cut:
                        want.add((r["attributes"].get("process.pid"), r.get("body"), r["time_unix_nano"]))
        except OSError:
            pass
        have = set()
        for r in load_requests(otlp) if os.path.exists(otlp) else []:
            if r.get("signal") != "logs" or r.get("answer") != 200:
                continue
            for rl in (r.get("body") or {}).get("resourceLogs") or []:
                res = kv_dict((rl.get("resource") or {}).get("attributes"), "wait")
                for sl in rl.get("scopeLogs") or []:
                    for lr in sl.get("logRecords") or []:
                        have.add(otlp_key(res, lr))
        if len(want) >= at_least and want <= have:
            print("OTLP has the %d log records of the JSON lines up to the cut" % len(want))
            return 0
        if time.monotonic() > end:
            print("OTLP has %d of the %d log records of the JSON lines up to the cut"
                  % (len(want & have), len(want)))
            return 1
        time.sleep(0.3)


def main():
    if len(sys.argv) == 7 and sys.argv[1] == "wait-otlp":
        sys.exit(wait_otlp(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]),
                           int(sys.argv[6])))
    if sys.argv[1:] != ["check"]:
        sys.exit("usage: check.py wait-otlp JSONL OTLP_OUT T_CUT_NS SECONDS AT_LEAST | check.py check")
    tmp = env("TMP")
    pids = {env("PY_PID", int): "py", env("NODE_PID", int): "node"}
    svc = {"py": env("PY_SVC"), "node": env("NODE_SVC")}
    exe = {"node": env("NODE_EXE")}
    captures = {
        "py.stdout": lines_of(env("PY_STDOUT")), "py.stderr": lines_of(env("PY_STDERR")),
        "py.file": lines_of(env("PY_LOG")), "node.stdout": lines_of(env("NODE_STDOUT")),
        "node.stderr": lines_of(env("NODE_STDERR")), "node.file": lines_of(env("NODE_LOG")),
    }
    d = lambda n: os.path.join(tmp, n + ".driver.json")  # noqa: E731
    plain = Run("plain", os.path.join(tmp, "plain.spans.jsonl"), env("FINAL_PLAIN"), [
        ("py c=1", "py", d("py1"), "linked"),
        ("py c=8", "py", d("py8"), "linked"),
        ("py /multi", "py", d("pymulti"), "linked"),
        ("node c=1", "node", d("node1"), "none"),
        ("node c=8", "node", d("node8"), "none"),
    ], False, env("CUT_PLAIN", int))
    helper = Run("helper", os.path.join(tmp, "helper.spans.jsonl"), env("FINAL_HELPER"), [
        ("node c=1 --node-helper", "node", d("nodeh1"), "linked"),
        ("node c=8 --node-helper", "node", d("nodeh8"), "linked"),
    ], True, env("CUT_HELPER", int))
    by_key = {}
    cut = {}
    for run in (plain, helper):
        keys = check_run(run, pids, svc, env("PY_LOG_FD", int), captures, exe)
        for k in keys:
            check(k not in by_key, "the same record (pid, body, time) in both runs: %r" % (k,))
            cut[k] = run.t_cut
        by_key.update(keys)
        with open(run.path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for s in SECRETS:
            check(s not in text, "%s: the secret %r is in the JSON lines" % (run.tag, s))
    # two lines in one write and a part of a line: counted, never records
    eq(logs_counter(plain.final, "logs_not_one_line", "plain"), 4,
       "plain final logs_not_one_line (2 x /multi: a two-line write + a partial line)")
    eq(logs_counter(helper.final, "logs_not_one_line", "helper"), 0, "helper final logs_not_one_line")
    check_otlp(env("OTLP_OUT"), by_key,
               lambda r: cut[(r["attributes"].get("process.pid"), r["body"], r["time_unix_nano"])],
               env("ZT_VERSION"))
    done()


if __name__ == "__main__":
    main()
