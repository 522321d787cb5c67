#!/usr/bin/env bash
# (dns) DNS over UDP and TCP. Inside a network namespace of its own (lo up),
# dnsmasq answers on 127.0.0.1:53 from a zone this test writes, and
# /etc/netns/NAME/resolv.conf names it, so the machine's resolver is never
# touched. dig asks for an A, an AAAA, a name that does not exist (NXDOMAIN)
# and, over TCP, a name with two addresses; Python's getaddrinfo (glibc: A
# and AAAA in one sendmmsg on a connected socket) asks once; an HTTP server
# resolves a name inside its handler. A fake resolver on 127.0.0.2:53 sends
# a truncated response (TC), one whose answer is a compression loop, and
# three bytes of garbage (its query ends when its socket closes, an error
# that says so). Every query is one CLIENT span with its name, type
# and response code, every query dnsmasq or the fake resolver read one
# SERVER span, the child of its CLIENT span (rule 2: same address pair and
# message id); the lookups of the HTTP handler are children of its SERVER
# span (rule 3). NXDOMAIN makes the client's span an error, not the
# server's; a query answered by garbage ends unanswered (counted) and the
# garbage is a parse miss. /metrics counts lookups by type and code.
. "$(dirname "$0")/lib.sh"
zt_init

command -v dnsmasq >/dev/null || zt_fail "dnsmasq missing (scripts/install-deps.sh brings dnsmasq-base)"
command -v dig >/dev/null || zt_fail "dig missing (scripts/install-deps.sh brings bind9-dnsutils)"
zt_netns_new dns
NS=$ZT_LAST_NETNS
in_ns() { ip netns exec "$NS" "$@"; }
mkdir -p "/etc/netns/$NS" || zt_fail "mkdir /etc/netns/$NS"
zt_on_cleanup "rm -rf '/etc/netns/$NS'"
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n' >"/etc/netns/$NS/resolv.conf"
cat >"$TMP/dnsmasq.conf" <<CONF
port=53
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
no-poll
user=root
pid-file=
log-facility=-
local=/zt.test/
host-record=svc.zt.test,10.1.2.3,fd00::3
host-record=two.zt.test,10.1.2.4
host-record=two.zt.test,10.1.2.5
CONF
zt_bg dnsmasq ip netns exec "$NS" dnsmasq --keep-in-foreground --conf-file="$TMP/dnsmasq.conf"
DNSMASQ_PID=$ZT_LAST_PID
zt_bg fake ip netns exec "$NS" /usr/bin/python3 "$ZT_LIB_DIR/dns/fake_resolver.py" 127.0.0.2 53
FAKE_PID=$ZT_LAST_PID
HPORT=8053
zt_bg lookup ip netns exec "$NS" /usr/bin/python3 "$ZT_LIB_DIR/dns/lookup_server.py" 127.0.0.1 $HPORT
LOOKUP_PID=$ZT_LAST_PID
for ((i = 0; i < 100; i++)); do
	[ "$(in_ns dig +short +tries=1 +timeout=1 svc.zt.test 2>/dev/null)" = 10.1.2.3 ] &&
		grep -q ready "$TMP/fake.out" &&
		in_ns curl -sf -o /dev/null "http://127.0.0.1:$HPORT/svc.zt.test" && break
	sleep 0.1
done
((i < 100)) || zt_fail "resolvers not ready: $(tail -3 "$TMP/dnsmasq.err") $(tail -3 "$TMP/fake.err") $(tail -3 "$TMP/lookup.err")"

MPORT=$(zt_free_port 1)
zt_agent_start --metrics-addr "127.0.0.1:$MPORT"
zt_wait_port 127.0.0.1 "$MPORT" 5
out=$(in_ns dig +short svc.zt.test)
[ "$out" = 10.1.2.3 ] || zt_fail "dig svc.zt.test: '$out'"
out=$(in_ns dig +short AAAA svc.zt.test)
[ "$out" = fd00::3 ] || zt_fail "dig AAAA svc.zt.test: '$out'"
in_ns dig nope.zt.test | grep -q 'status: NXDOMAIN' || zt_fail "dig nope.zt.test did not get NXDOMAIN"
out=$(in_ns dig +tcp +short two.zt.test | sort | tr '\n' ' ')
[ "$out" = "10.1.2.4 10.1.2.5 " ] || zt_fail "dig +tcp two.zt.test: '$out'"
GAI_PID=$(in_ns /usr/bin/python3 -c '
import os, socket
got = sorted({a[4][0] for a in socket.getaddrinfo("svc.zt.test", 80, type=socket.SOCK_STREAM)})
assert got == ["10.1.2.3", "fd00::3"], got
print(os.getpid())') || zt_fail "getaddrinfo svc.zt.test failed"
out=$(in_ns curl -sf "http://127.0.0.1:$HPORT/svc.zt.test")
[ "$out" = "10.1.2.3 fd00::3" ] || zt_fail "lookup server: '$out'"
in_ns dig @127.0.0.2 +ignore +tries=1 +timeout=2 tc.zt.test | grep -q 'flags: qr tc' ||
	zt_fail "the fake resolver's TC response did not reach dig"
in_ns dig @127.0.0.2 +tries=1 +timeout=2 loop.zt.test >"$TMP/loop.dig" 2>&1
in_ns dig @127.0.0.2 +tries=1 +timeout=1 garbage.zt.test >"$TMP/garbage.dig" 2>&1 &&
	zt_fail "dig garbage.zt.test succeeded: $(cat "$TMP/garbage.dig")"
# the fake resolver's query for garbage ends unanswered when its socket does
zt_stop_untrack "$FAKE_PID"
zt_settle 1
curl -sS --max-time 5 -o "$TMP/metrics.txt" "http://127.0.0.1:$MPORT/metrics" || zt_fail "scrape of /metrics failed"
promtool check metrics <"$TMP/metrics.txt" >"$TMP/promtool.out" 2>&1 ||
	zt_fail "promtool check metrics: $(head -5 "$TMP/promtool.out")"
zt_agent_stop
export DNSMASQ_PID FAKE_PID LOOKUP_PID GAI_PID FINAL="$ZT_FINAL" METRICS=$TMP/metrics.txt

zt_py_check <<'PYEND'
from ztcheck import *
import collections, re
spans = load()
dnsmasq, fake, lookup, gai = (env(k, int) for k in ("DNSMASQ_PID", "FAKE_PID", "LOOKUP_PID", "GAI_PID"))
by_id = {s["span_id"]: s for s in spans}
dns = [s for s in spans if attr(s, "network.protocol.name") == "dns"]
# dig is gone before its spans are built (its program is read from /proc):
# by pid, every program but dig's is known
programs = {dnsmasq: "dnsmasq", fake: "fake", lookup: "lookup", gai: "gai"}
def program(s):
    pid = attr(s, "process.pid")
    if s["kind"] == "SERVER" and attr(s, "network.transport") == "tcp":
        return "dnsmasq"  # its TCP queries are served by a child it forks
    return programs.get(pid, "dig")
def key(s):
    return (s["kind"], program(s), attr(s, "dns.question.name"), attr(s, "zerotrace.dns.question.type"))
count = collections.Counter(key(s) for s in dns)
note("DNS spans: %s" % dict(count))
want = {("CLIENT", "dig", "svc.zt.test", "A"): 1, ("CLIENT", "dig", "svc.zt.test", "AAAA"): 1,
        ("CLIENT", "dig", "nope.zt.test", "A"): 1, ("CLIENT", "dig", "two.zt.test", "A"): 1,
        ("CLIENT", "gai", "svc.zt.test", "A"): 1, ("CLIENT", "gai", "svc.zt.test", "AAAA"): 1,
        ("CLIENT", "lookup", "svc.zt.test", "A"): 1, ("CLIENT", "lookup", "svc.zt.test", "AAAA"): 1,
        ("CLIENT", "dig", "tc.zt.test", "A"): 1, ("CLIENT", "dig", "loop.zt.test", "A"): 1,
        ("CLIENT", "dig", "garbage.zt.test", "A"): 1,
        ("SERVER", "dnsmasq", "svc.zt.test", "A"): 3, ("SERVER", "dnsmasq", "svc.zt.test", "AAAA"): 3,
        ("SERVER", "dnsmasq", "nope.zt.test", "A"): 1, ("SERVER", "dnsmasq", "two.zt.test", "A"): 1,
        ("SERVER", "fake", "tc.zt.test", "A"): 1, ("SERVER", "fake", "loop.zt.test", "A"): 1,
        ("SERVER", "fake", "garbage.zt.test", "A"): 1}
eq(dict(count), want, "DNS spans by kind, program, name and type")
for s in dns:
    where = "%s %s %s" % (s["kind"], s["name"], attr(s, "dns.question.name"))
    eq(s["name"], "DNS " + attr(s, "zerotrace.dns.question.type"), where + " span name")
    eq(attr(s, "server.port"), 53, where + " server.port")
    tcp = attr(s, "dns.question.name") == "two.zt.test"
    eq(attr(s, "network.transport"), "tcp" if tcp else "udp", where + " transport")
    fake_side = attr(s, "server.address") == "127.0.0.2"
    eq(fake_side, attr(s, "dns.question.name") in ("tc.zt.test", "loop.zt.test", "garbage.zt.test"),
       where + " asked of the fake resolver")
    if s["kind"] == "SERVER":
        if not tcp:
            eq(attr(s, "process.pid"), fake if fake_side else dnsmasq, where + " server pid")
        p = by_id.get(s["parent_span_id"])
        check(p is not None and p["kind"] == "CLIENT" and key(p)[2:] == key(s)[2:]
              and p["trace_id"] == s["trace_id"] and attr(p, "client.port") == attr(s, "client.port"),
              where + " is the child of its query's CLIENT span")
def one(kind, exe, name, qtype="A"):
    got = [s for s in dns if key(s) == (kind, exe, name, qtype)]
    return got[0] if got else {"attributes": {}}
for kind in ("CLIENT", "SERVER"):
    exe = "dig" if kind == "CLIENT" else "dnsmasq"
    s = one(kind, exe, "svc.zt.test")
    eq(attr(s, "zerotrace.dns.response_code"), "NOERROR", kind + " svc A rcode")
    eq(attr(s, "dns.answers"), ["10.1.2.3"], kind + " svc A answers")
    eq(attr(s, "zerotrace.dns.answers.count"), 1, kind + " svc A answer count")
    check("status" not in s, kind + " svc A is no error")
    eq(attr(one(kind, exe, "svc.zt.test", "AAAA"), "dns.answers"), ["fd00::3"], kind + " AAAA answers")
    s = one(kind, exe, "two.zt.test")
    eq(sorted(attr(s, "dns.answers") or []), ["10.1.2.4", "10.1.2.5"], kind + " two (TCP) answers")
    s = one(kind, exe, "nope.zt.test")
    eq(attr(s, "zerotrace.dns.response_code"), "NXDOMAIN", kind + " nope rcode")
    check("dns.answers" not in s["attributes"], kind + " nope has no answers")
    if kind == "CLIENT":
        eq(s.get("status"), {"code": "ERROR", "message": "NXDOMAIN"}, "CLIENT NXDOMAIN is an error")
        eq(attr(s, "error.type"), "NXDOMAIN", "CLIENT NXDOMAIN error.type")
    else:
        check("status" not in s, "SERVER NXDOMAIN is the server's right answer, no error")
# getaddrinfo: A and AAAA from one socket (one sendmmsg)
g = [s for s in dns if attr(s, "process.pid") == gai]
eq(sorted(attr(s, "zerotrace.dns.question.type") for s in g), ["A", "AAAA"], "getaddrinfo queries")
eq(len({attr(s, "client.port") for s in g}), 1, "getaddrinfo's two queries share one socket")
eq(sorted(a for s in g for a in attr(s, "dns.answers") or []), ["10.1.2.3", "fd00::3"], "getaddrinfo answers")
# the HTTP handler's lookups are its children
h = [s for s in spans if s["kind"] == "SERVER" and attr(s, "process.pid") == lookup
     and "http.request.method" in s["attributes"]]
eq(len(h), 1, "the lookup server's HTTP SERVER span")
if h:
    kids = [s for s in dns if attr(s, "process.pid") == lookup]
    eq(sorted(attr(s, "zerotrace.dns.question.type") for s in kids), ["A", "AAAA"], "handler lookups")
    for s in kids:
        eq(s["parent_span_id"], h[0]["span_id"], "handler lookup %s parent" % s["name"])
        eq(s["trace_id"], h[0]["trace_id"], "handler lookup %s trace" % s["name"])
for kind, exe in (("CLIENT", "dig"), ("SERVER", "fake")):
    s = one(kind, exe, "tc.zt.test")
    eq(attr(s, "zerotrace.dns.truncated"), 1, kind + " tc: TC bit")
    eq(attr(s, "zerotrace.dns.answers.count"), 0, kind + " tc: no answers")
    s = one(kind, exe, "loop.zt.test")
    eq(attr(s, "zerotrace.dns.response_code"), "NOERROR", kind + " loop rcode")
    eq(attr(s, "zerotrace.dns.answers.count"), 1, kind + " loop answer count")
    eq(attr(s, "zerotrace.dns.answers.unread"), 1, kind + " loop: its answer unread")
    check("dns.answers" not in s["attributes"], kind + " loop: no address")
    s = one(kind, exe, "garbage.zt.test")
    # dig gives up after 1 s and closes; the fake resolver is stopped
    eq(s.get("status"), {"code": "ERROR", "message": "no response before the socket closed"},
       kind + " garbage: unanswered")
    eq(attr(s, "error.type"), "closed", kind + " garbage error.type")
    check("zerotrace.dns.response_code" not in s["attributes"], kind + " garbage: no response code")
fin = env("FINAL")
for k, v in (("dns_misses", 2), ("dns_unanswered", 2), ("dgrams_unreported", 0), ("ringbuf_drops", 0)):
    check(" %s=%d " % (k, v) in fin + " ", "final %s not %d: %s" % (k, v, fin))
m = open(env("METRICS")).read()
def metric(name, **labels):
    total = 0
    for line in m.splitlines():
        if line.startswith(name + "{") and all('%s="%s"' % kv in line for kv in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total
eq(metric("dns_lookup_duration_seconds_count", dns_question_type="A", dns_response_code="NXDOMAIN"),
   1, "client NXDOMAIN lookups")
eq(metric("dns_lookup_duration_seconds_count", dns_question_type="AAAA", dns_response_code="NOERROR"),
   3, "client AAAA lookups")
eq(metric("zerotrace_dns_server_duration_seconds_count", dns_question_type="A"), 8,
   "A queries as the servers saw them")
done()
PYEND
zt_pass
