# SPDX-License-Identifier: MIT
"""Checks shared by the TLS tests (test_y_tls.sh, test_y2_tls_postgresql.sh),
on top of ztcheck (whose FAILS/NOTES they record into).

    from ztcheck import *
    from tlscheck import *
    C = final_counters()            # $FINAL: the agent's "zerotrace: final ..." line
    counter_eq(C, "tls_unbound", 0)
    expect_tls(span, where)         # url.scheme=https (HTTP spans), tls.protocol.name=tls
"""
import os

from ztcheck import FAILS, NOTES, attr, check, eq, is_int

# What the TLS contract adds to an HTTP span.
HTTPS = {"url.scheme": "https", "tls.protocol.name": "tls"}


def final_counters(line=None):
    """{name: int} of a final stats line ($FINAL when not given)."""
    line = os.environ.get("FINAL", "") if line is None else line
    out = {}
    for tok in line.split()[2:]:
        k, sep, v = tok.partition("=")
        if sep and v.isdigit():
            out[k] = int(v)
    if not out:
        FAILS.append("no final stats line to read counters from: %r" % line)
    return out


def counter(C, name):
    """The counter's value, or None (recorded as a failure) when the final
    line has no such counter."""
    if name not in C:
        FAILS.append("counter %s missing from the agent's final line (%d other counters there)"
                     % (name, len(C)))
        return None
    return C[name]


def counter_eq(C, name, want, why=""):
    v = counter(C, name)
    if v is not None:
        eq(v, want, "final %s%s" % (name, (" (" + why + ")") if why else ""))


def counter_between(C, name, lo, hi, why=""):
    v = counter(C, name)
    if v is not None:
        check(lo <= v <= hi, "final %s=%d, expected %d..%d%s"
              % (name, v, lo, hi, (" (" + why + ")") if why else ""))


def note_counters(C, names):
    NOTES.append("final: " + " ".join("%s=%s" % (n, C.get(n, "<absent>")) for n in names))


def expect_tls(s, where, http=True):
    """The TLS attributes of a span that went through OpenSSL."""
    want = dict(HTTPS) if http else {"tls.protocol.name": "tls"}
    for k, v in want.items():
        eq(attr(s, k, "<absent>"), v, "%s attribute %s" % (where, k))


def expect_plain_http(s, where):
    eq(attr(s, "url.scheme", "<absent>"), "http", "%s attribute url.scheme" % where)
    check("tls.protocol.name" not in s.get("attributes", {}),
          "%s: plaintext span has tls.protocol.name=%r" % (where, attr(s, "tls.protocol.name")))


def expect_joined(srv, cli, where):
    """rule 2: the SERVER span is the child of the CLIENT span on the other
    end of its connection (same trace id, parent id == the CLIENT's id)."""
    if srv is None or cli is None:
        return check(False, "%s: %s span missing, cannot check the join"
                     % (where, "SERVER" if srv is None else "CLIENT"))
    ok = eq(srv.get("trace_id"), cli.get("trace_id"), "%s: SERVER trace_id == CLIENT trace_id" % where)
    ok &= eq(srv.get("parent_span_id"), cli.get("span_id"),
             "%s: SERVER parent_span_id == CLIENT span_id" % where)
    return ok


def one(spans, where, pred):
    """The one span matching pred; a failure (and None) unless exactly one."""
    got = [s for s in spans if pred(s)]
    if len(got) != 1:
        FAILS.append("%s: expected exactly 1 span, found %d" % (where, len(got)))
        return None
    return got[0]


def int_or_none(v):
    return v if is_int(v) else None
