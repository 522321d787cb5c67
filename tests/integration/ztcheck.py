# SPDX-License-Identifier: MIT
"""Span checks for zerotrace integration tests (imported by the tests' inline
python; never needs jq).

    from ztcheck import *
    S = load()                 # $ZT_SPANS, every line validated against the contract
    srv, cli = servers(S), clients(S)
    eq(len(srv), 20, "SERVER span count")
    ...
    done()                     # prints every failed assertion + the spans, exit 1

Every assertion is recorded (not raised) so one run reports all that is wrong.
"""
import json
import os
import re
import sys
import time

FAILS = []
NOTES = []

TOP_KEYS = {"trace_id", "span_id", "parent_span_id", "name", "kind",
            "start_time_unix_nano", "end_time_unix_nano", "service.name",
            "attributes", "resource"}
# A span line may start with "type": "span" (the agent writes it since the
# log records, "type": "log", share the output); both forms pass for now.
# A log record line (--logs): exactly these keys.
LOG_TOP_KEYS = {"type", "time_unix_nano", "observed_time_unix_nano", "severity_number",
                "severity_text", "body", "trace_id", "span_id", "trace_flags",
                "service.name", "attributes", "resource"}
LOG_ATTR_INT = ("process.pid", "thread.id")
LOG_IOSTREAMS = ("stdout", "stderr")
# Every span: the connection and the process.
ATTR_INT = ("server.port", "client.port", "network.peer.port", "process.pid", "thread.id")
ATTR_STR = ("server.address", "client.address", "network.peer.address",
            "process.executable.name")
# An HTTP span (it has http.request.method), a database span (db.system.name).
HTTP_INT = ("http.response.status_code", "http.request.body.size", "http.response.body.size")
HTTP_STR = ("http.request.method", "url.path", "network.protocol.version")
DB_SYSTEMS = ("redis", "postgresql", "mysql", "mariadb")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")


def env(name, conv=str, default=None):
    v = os.environ.get(name, default)
    if v is None:
        raise SystemExit("ztcheck: environment variable %s is not set" % name)
    return conv(v)


def check(cond, msg):
    if not cond:
        FAILS.append(msg)
    return bool(cond)


def eq(actual, expected, what):
    return check(actual == expected,
                 "%s: expected %r, got %r" % (what, expected, actual))


def note(msg):
    NOTES.append(msg)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def attr(span, key, default=None):
    return span.get("attributes", {}).get(key, default)


def validate(span, where, allow_no_response=False):
    """Checks one span against the output contract; records failures."""
    ok = True

    def bad(msg):
        nonlocal ok
        ok = False
        FAILS.append("%s: %s" % (where, msg))

    if not isinstance(span, dict):
        bad("not a JSON object")
        return False
    keys = set(span) - {"status"}
    if "type" in span:
        keys.discard("type")
        if span["type"] != "span":
            bad("type %r is not \"span\"" % (span["type"],))
    if "status" in span and not (isinstance(span["status"], dict)
                                 and span["status"].get("code") == "ERROR"
                                 and isinstance(span["status"].get("message"), str)):
        bad("status %r is not {\"code\": \"ERROR\", \"message\": ...}" % (span["status"],))
    if keys != TOP_KEYS:
        bad("top-level keys differ: missing %s, extra %s"
            % (sorted(TOP_KEYS - keys), sorted(keys - TOP_KEYS)))
    if not HEX32.match(str(span.get("trace_id", ""))) or span.get("trace_id") == "0" * 32:
        bad("trace_id %r is not 32 lowercase hex (non-zero)" % span.get("trace_id"))
    if not HEX16.match(str(span.get("span_id", ""))) or span.get("span_id") == "0" * 16:
        bad("span_id %r is not 16 lowercase hex (non-zero)" % span.get("span_id"))
    p = span.get("parent_span_id")
    if not (p == "" or (isinstance(p, str) and HEX16.match(p))):
        bad("parent_span_id %r is neither \"\" nor 16 hex" % p)
    if span.get("kind") not in ("SERVER", "CLIENT"):
        bad("kind %r" % span.get("kind"))
    st, en = span.get("start_time_unix_nano"), span.get("end_time_unix_nano")
    if not (is_int(st) and is_int(en)):
        bad("start/end time not integers: %r %r" % (st, en))
    else:
        if st > en:
            bad("start_time %d > end_time %d" % (st, en))
        t0 = int(os.environ.get("ZT_T0_NS", "0"))
        now = time.time_ns()
        if t0 and not (t0 - 5 * 10**9 <= st <= now and en <= now + 5 * 10**9):
            bad("times not wall-clock ns inside the test window [%d, %d]: %d..%d"
                % (t0, now, st, en))
    if not isinstance(span.get("service.name"), str) or not span.get("service.name"):
        bad("service.name %r" % span.get("service.name"))
    a = span.get("attributes")
    if not isinstance(a, dict):
        bad("attributes is not an object")
        return ok
    r = span.get("resource")
    if not isinstance(r, dict):
        bad("resource is not an object")
    else:
        if r.get("service.name") != span.get("service.name"):
            bad("resource service.name %r != service.name %r"
                % (r.get("service.name"), span.get("service.name")))
        if r.get("process.pid") != a.get("process.pid"):
            bad("resource process.pid %r != attribute %r" % (r.get("process.pid"), a.get("process.pid")))
        if not isinstance(r.get("host.name"), str) or not r.get("host.name"):
            bad("resource host.name %r" % r.get("host.name"))
    is_http = "http.request.method" in a
    is_db = "db.system.name" in a
    is_dns = a.get("network.protocol.name") == "dns"
    if is_http + is_db + is_dns != 1:
        bad("not one of an HTTP, a database or a DNS span: attributes %s" % sorted(a))
    ints, strs = ATTR_INT + (HTTP_INT if is_http else ()), ATTR_STR + (HTTP_STR if is_http else ())
    # an HTTP/2 stream whose header fields could not all be read (its
    # HPACK table partly unknown) may lack its path: never a guessed one
    incomplete = a.get("zerotrace.hpack.incomplete") == 1
    if incomplete:
        strs = tuple(k for k in strs if k != "url.path")
    for k in ints:
        if k == "http.response.status_code" and allow_no_response and span.get("kind") == "CLIENT":
            continue
        if not is_int(a.get(k)):
            bad("attribute %s = %r is not an integer" % (k, a.get(k)))
    for k in strs:
        if not isinstance(a.get(k), str) or not a.get(k):
            bad("attribute %s = %r is not a non-empty string" % (k, a.get(k)))
    if is_http:
        if a.get("network.protocol.version") not in ("1.1", "1.0", "2"):
            bad("network.protocol.version %r" % a.get("network.protocol.version"))
        if "url.query" in a and (not isinstance(a["url.query"], str) or a["url.query"] == ""):
            bad("url.query present but %r" % a.get("url.query"))
        m, route = a.get("http.request.method"), span.get("name")
        if a.get("rpc.system.name") == "grpc":
            # a gRPC call is named "{service}/{method}", its rpc.method
            if route != a.get("rpc.method") or "/" + str(route) != a.get("url.path"):
                bad("gRPC span name %r is not its rpc.method %r (path %r)"
                    % (route, a.get("rpc.method"), a.get("url.path")))
        elif isinstance(route, str) and isinstance(m, str) and not route.startswith(m + " ") \
                and not (incomplete and "url.path" not in a and route == m):
            bad("name %r does not start with the method %r" % (route, m))
    if is_dns:
        if a.get("network.transport") not in ("udp", "tcp"):
            bad("network.transport %r" % a.get("network.transport"))
        if not isinstance(a.get("dns.question.name"), str):
            bad("dns.question.name %r" % a.get("dns.question.name"))
        if "dns.answers" in a and not (isinstance(a["dns.answers"], list)
                                       and all(isinstance(x, str) for x in a["dns.answers"])):
            bad("dns.answers %r is not a list of strings" % (a["dns.answers"],))
    if is_db:
        if a.get("db.system.name") not in DB_SYSTEMS:
            bad("db.system.name %r" % a.get("db.system.name"))
        for k in ("db.operation.name", "db.query.text", "db.namespace", "db.response.status_code",
                  "db.collection.name"):
            if k in a and not isinstance(a[k], str):
                bad("attribute %s = %r is not a string" % (k, a[k]))
        if "db.response.returned_rows" in a and not (is_int(a["db.response.returned_rows"])
                                                     and a["db.response.returned_rows"] >= 0):
            bad("db.response.returned_rows %r" % a["db.response.returned_rows"])
    return ok


def check_log_record(rec, where):
    """Checks one log record line (--logs) against the output contract;
    records failures. Extra attributes are allowed, the listed ones are
    checked; a linked record has both ids, an unlinked one neither (and
    trace_flags 0)."""
    ok = True

    def bad(msg):
        nonlocal ok
        ok = False
        FAILS.append("%s: %s" % (where, msg))

    if not isinstance(rec, dict):
        bad("not a JSON object")
        return False
    keys = set(rec) - {"_line"}
    if keys != LOG_TOP_KEYS:
        bad("log record top-level keys differ: missing %s, extra %s"
            % (sorted(LOG_TOP_KEYS - keys), sorted(keys - LOG_TOP_KEYS)))
    if rec.get("type") != "log":
        bad("type %r is not \"log\"" % (rec.get("type"),))
    t, ot = rec.get("time_unix_nano"), rec.get("observed_time_unix_nano")
    if not (is_int(t) and is_int(ot)):
        bad("time/observed_time not integers: %r %r" % (t, ot))
    else:
        t0 = int(os.environ.get("ZT_T0_NS", "0"))
        now = time.time_ns()
        if t0 and not (t0 - 5 * 10**9 <= t <= now and ot <= now + 5 * 10**9):
            bad("times not wall-clock ns inside the test window [%d, %d]: %d, observed %d"
                % (t0, now, t, ot))
        if ot < t - 10**6:
            bad("observed_time_unix_nano %d more than 1 ms before time_unix_nano %d" % (ot, t))
    sn = rec.get("severity_number")
    if not (is_int(sn) and 0 <= sn <= 24):
        bad("severity_number %r is not an OTel SeverityNumber 0..24" % (sn,))
    if not isinstance(rec.get("severity_text"), str):
        bad("severity_text %r is not a string" % (rec.get("severity_text"),))
    if not isinstance(rec.get("body"), str):
        bad("body %r is not a string" % (rec.get("body"),))
    elif rec["body"].endswith("\n"):
        bad("body keeps its line end: %.200r" % rec["body"])
    tid, sid = rec.get("trace_id"), rec.get("span_id")
    if tid == "" and sid == "":
        if rec.get("trace_flags") != 0:
            bad("unlinked record with trace_flags %r (0 expected)" % (rec.get("trace_flags"),))
    else:
        if not (isinstance(tid, str) and HEX32.match(tid)) or tid == "0" * 32:
            bad("trace_id %r is neither \"\" nor 32 lowercase hex (non-zero)" % (tid,))
        if not (isinstance(sid, str) and HEX16.match(sid)) or sid == "0" * 16:
            bad("span_id %r is neither \"\" nor 16 lowercase hex (non-zero)" % (sid,))
    if rec.get("trace_flags") not in (0, 1) or isinstance(rec.get("trace_flags"), bool):
        bad("trace_flags %r is not 0 or 1" % (rec.get("trace_flags"),))
    svc = rec.get("service.name")
    if not isinstance(svc, str) or not svc:
        bad("service.name %r" % (svc,))
    a = rec.get("attributes")
    if not isinstance(a, dict):
        bad("attributes is not an object")
        return ok
    for k in LOG_ATTR_INT:
        if not is_int(a.get(k)):
            bad("attribute %s = %r is not an integer" % (k, a.get(k)))
    if not isinstance(a.get("process.executable.name"), str) or not a.get("process.executable.name"):
        bad("attribute process.executable.name = %r" % (a.get("process.executable.name"),))
    if "log.iostream" in a:
        if a["log.iostream"] not in LOG_IOSTREAMS:
            bad("log.iostream %r is not stdout or stderr" % (a["log.iostream"],))
        if "zerotrace.log.fd" in a:
            bad("both log.iostream and zerotrace.log.fd (the fd is for files only)")
    elif not (is_int(a.get("zerotrace.log.fd")) and a["zerotrace.log.fd"] >= 0):
        bad("neither log.iostream nor an integer zerotrace.log.fd: %r" % (a.get("zerotrace.log.fd"),))
    r = rec.get("resource")
    if not isinstance(r, dict):
        bad("resource is not an object")
    else:
        if r.get("service.name") != svc:
            bad("resource service.name %r != service.name %r" % (r.get("service.name"), svc))
        if r.get("process.pid") != a.get("process.pid"):
            bad("resource process.pid %r != attribute %r" % (r.get("process.pid"), a.get("process.pid")))
        if not isinstance(r.get("host.name"), str) or not r.get("host.name"):
            bad("resource host.name %r" % (r.get("host.name"),))
    return ok


_LOADED = {}
_LOADED_LOGS = {}


def _read_lines(path, what):
    """(line number, parsed object) of every non-empty line; unparsable lines
    are failures."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        FAILS.append("cannot read %s file %s: %s" % (what, path, e))
        return
    text = data.decode("utf-8", errors="replace")
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except ValueError as e:
            FAILS.append("line %d is not JSON (%s): %.200s" % (n, e, line))


def is_log_line(obj):
    return isinstance(obj, dict) and obj.get("type") == "log"


def load(path=None, allow_no_response=False):
    """Reads a JSONL spans file; every line must be one valid span. Log
    record lines ("type": "log", --logs) are skipped here: load_logs()."""
    path = path or env("ZT_SPANS")
    spans = []
    for n, s in _read_lines(path, "spans"):
        if is_log_line(s):
            continue
        validate(s, "line %d" % n, allow_no_response)
        if isinstance(s, dict):
            s["_line"] = n
        spans.append(s)
    _LOADED[path] = spans
    return spans


def load_logs(path=None):
    """The log record lines ("type": "log") of a JSONL output file, each
    validated by check_log_record; "_line" is its line number."""
    path = path or env("ZT_SPANS")
    recs = []
    for n, r in _read_lines(path, "spans"):
        if not is_log_line(r):
            continue
        check_log_record(r, "line %d (log)" % n)
        r["_line"] = n
        recs.append(r)
    _LOADED_LOGS[path] = recs
    return recs


def summarize_log(r):
    a = r.get("attributes", {})
    where = a.get("log.iostream") or "fd %s" % a.get("zerotrace.log.fd")
    return ("L%-4s LOG pid=%s tid=%s %-6s sev=%s/%r trace=%.8s span=%.8s %.120r" % (
        r.get("_line"), a.get("process.pid"), a.get("thread.id"), where,
        r.get("severity_number"), r.get("severity_text"), r.get("trace_id"),
        r.get("span_id"), r.get("body")))


def _order(s):
    return (s.get("start_time_unix_nano", 0), s.get("end_time_unix_nano", 0), s.get("_line", 0))


def servers(spans):
    return sorted((s for s in spans if s.get("kind") == "SERVER"), key=_order)


def clients(spans):
    return sorted((s for s in spans if s.get("kind") == "CLIENT"), key=_order)


def summarize(s):
    a = s.get("attributes", {})
    q = a.get("url.query")
    return ("L%-4s %-6s %-28s %s%s -> %s req=%s resp=%s %s:%s<-%s:%s peer=%s:%s v%s "
            "pid=%s tid=%s exe=%s svc=%s trace=%.8s span=%.8s parent=%.8s" % (
                s.get("_line"), s.get("kind"), s.get("name"), a.get("url.path"),
                ("?" + q) if q is not None else "", a.get("http.response.status_code"),
                a.get("http.request.body.size"), a.get("http.response.body.size"),
                a.get("server.address"), a.get("server.port"), a.get("client.address"),
                a.get("client.port"), a.get("network.peer.address"),
                a.get("network.peer.port"), a.get("network.protocol.version"),
                a.get("process.pid"), a.get("thread.id"),
                a.get("process.executable.name"), s.get("service.name"),
                s.get("trace_id"), s.get("span_id"), s.get("parent_span_id")))


def is_python_exe(name):
    return name in ("python3", "python3.11") or (
        isinstance(name, str) and re.match(r"^python3(\.\d+)?$", name) is not None)


def expect_span(s, where, **want):
    """want: kind, name, and attribute values with '.' written as '_' after
    the prefix, passed as a dict instead for clarity: expect_span(s, 'x',
    kind='SERVER', name='GET /a', attrs={...}, no_attrs=[...])."""
    if s is None:
        return check(False, "%s: span missing" % where)
    ok = True
    for k in ("kind", "name", "service.name"):
        if k in want:
            ok &= eq(s.get(k), want[k], "%s %s" % (where, k))
    if "service_name" in want:
        ok &= eq(s.get("service.name"), want["service_name"], "%s service.name" % where)
    for k, v in want.get("attrs", {}).items():
        if callable(v):
            ok &= check(v(attr(s, k)), "%s attribute %s: unexpected value %r"
                        % (where, k, attr(s, k)))
        else:
            ok &= eq(attr(s, k, "<absent>"), v, "%s attribute %s" % (where, k))
    for k in want.get("no_attrs", []):
        ok &= check(k not in s.get("attributes", {}),
                    "%s attribute %s should be absent, is %r" % (where, k, attr(s, k)))
    return ok


def stitch_report(srv, cli):
    """Informational: how many SERVER spans are children of a CLIENT span of
    the same connection (DESIGN rule 2). Never fails a test."""
    by_id = {c.get("span_id"): c for c in cli}
    linked = sum(1 for s in srv if s.get("parent_span_id") in by_id
                 and by_id[s["parent_span_id"]].get("trace_id") == s.get("trace_id"))
    note("stitching (info only): %d/%d SERVER spans have their CLIENT span as parent "
         "with the same trace_id" % (linked, len(srv)))


def joined_to_client(srv, cli, same):
    """Rule 2 on one node: the SERVER spans whose parent is a CLIENT span of
    the same trace for which same(client, server) holds (the same command)."""
    by_id = {c["span_id"]: c for c in cli}
    return [s for s in srv if s.get("parent_span_id") in by_id
            and by_id[s["parent_span_id"]].get("trace_id") == s.get("trace_id")
            and same(by_id[s["parent_span_id"]], s)]


def expect_children_of_handler(calls, http, pid, path, n_handler, what):
    """Rule 3: the CLIENT spans `calls` a service made while serving GET
    `path` (n_handler SERVER spans of process pid) are children of them."""
    handler = {s["span_id"]: s for s in http if s.get("kind") == "SERVER"
               and attr(s, "process.pid") == pid and attr(s, "url.path") == path}
    eq(len(handler), n_handler, "SERVER spans of GET %s" % path)
    for s in calls:
        p = handler.get(s.get("parent_span_id"))
        check(p is not None and p.get("trace_id") == s.get("trace_id"),
              "%s not a child of its SERVER span: %s" % (what, summarize(s)))


def expect_secret_absent(secret, paths):
    """A credential appears in none of the files (spans, the agent's stderr)."""
    for path in paths:
        check(secret not in open(path, errors="replace").read(),
              "the password appears in %s" % path)


def done(max_dump=60):
    for n in NOTES:
        print("NOTE:", n)
    if not FAILS:
        print("checks ok")
        sys.exit(0)
    print("%d failed assertion(s):" % len(FAILS))
    for f in FAILS[:80]:
        print("  ASSERT FAILED:", f)
    if len(FAILS) > 80:
        print("  ... and %d more" % (len(FAILS) - 80))
    for path, spans in _LOADED.items():
        print("spans in %s (%d):" % (path, len(spans)))
        shown = spans if len(spans) <= max_dump else spans[:max_dump - 10] + spans[-10:]
        if len(spans) > max_dump:
            print("  (showing the first %d and the last 10)" % (max_dump - 10))
        for s in shown:
            print("  " + (summarize(s) if isinstance(s, dict) else repr(s)))
    for path, recs in _LOADED_LOGS.items():
        print("log records in %s (%d):" % (path, len(recs)))
        shown = recs if len(recs) <= max_dump else recs[:max_dump - 10] + recs[-10:]
        if len(recs) > max_dump:
            print("  (showing the first %d and the last 10)" % (max_dump - 10))
        for r in shown:
            print("  " + (summarize_log(r) if isinstance(r, dict) else repr(r)))
    sys.exit(1)
