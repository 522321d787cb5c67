#!/usr/bin/env bash
# (u) Redis: one redis-server (Debian's, password auth) for the whole suite.
# redis-cli commands (one a WRONGTYPE error), redis-benchmark -n 2000 at
# -P 1 and -P 16 over its default tests (PING_INLINE among them), and a
# python3-redis client inside a traced HTTP handler. Expected counts come
# from the server: INFO commandstats after CONFIG RESETSTAT. Every command
# must be one CLIENT and one SERVER span with the right operation; the
# handler's commands children of its SERVER span; the password nowhere.
. "$(dirname "$0")/lib.sh"
. "$ZT_LIB_DIR/dblib.sh"
zt_init

PW='zt-Redis-s3cret'
zt_redis_start "requirepass $PW"
export REDISCLI_AUTH=$PW
SVC_PORT=$(zt_free_port 4)
REDIS_PASSWORD=$PW zt_bg dbsvc "$PY" "$ZT_LIB_DIR/services/dbsvc.py" --port "$SVC_PORT"
SVC_PID=$ZT_LAST_PID
zt_wait_port 127.0.0.1 "$SVC_PORT" 10
export REDIS_PORT SVC_PORT SVC_PID PW

# LRANGE_600 at -P 16 writes ~86 KiB of replies at loopback speed, every
# byte of which a whole-write capture copies: room for the bursts
zt_agent_start --port "$REDIS_PORT" --port "$SVC_PORT" --ringbuf-size 128M

redis-cli -p "$REDIS_PORT" CONFIG RESETSTAT >/dev/null || zt_fail "CONFIG RESETSTAT failed"
{
	redis-cli -p "$REDIS_PORT" SET user:1001 alice
	redis-cli -p "$REDIS_PORT" GET user:1001
	redis-cli -p "$REDIS_PORT" SELECT 2
	redis-cli -p "$REDIS_PORT" LPUSH user:1001 x
	redis-cli -p "$REDIS_PORT" -n 3 HSET h f v
} >"$TMP/cli.out" 2>&1 || zt_fail "redis-cli failed: $(cat "$TMP/cli.out")"
grep -q WRONGTYPE "$TMP/cli.out" || zt_fail "LPUSH on a string did not fail: $(cat "$TMP/cli.out")"
for p in 1 16; do
	log "redis-benchmark -n 2000 -P $p"
	redis-benchmark -p "$REDIS_PORT" -a "$PW" -n 2000 -c 4 -P "$p" -q >"$TMP/bench$p.out" 2>&1 ||
		zt_fail "redis-benchmark -P $p failed: $(tail -5 "$TMP/bench$p.out")"
done
for rid in $(seq 1 20); do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$SVC_PORT/redis?rid=$rid")
	[ "$code" = 200 ] || zt_fail "GET /redis?rid=$rid answered $code: $(tail -3 "$TMP/dbsvc.err")"
done
zt_settle 1
redis-cli -p "$REDIS_PORT" INFO commandstats >"$TMP/commandstats" || zt_fail "INFO commandstats failed"
zt_settle
zt_agent_stop
export STATS=$TMP/commandstats AGENT_ERR=$ZT_AGENT_ERR FINAL="$ZT_FINAL"

zt_py_check <<'EOF'
from ztcheck import *
import collections, re
port, svc_pid, pw = env("REDIS_PORT", int), env("SVC_PID", int), env("PW")
calls = {}
for line in open(env("STATS")):
    m = re.match(r"cmdstat_([^:]+):calls=(\d+)", line)
    if m:
        calls[m.group(1)] = int(m.group(2))
note("the server counted %d commands: %s" % (sum(calls.values()), calls))
check(calls.get("lrange", 0) > 0 and calls.get("ping", 0) > 0, "redis-benchmark's tests ran")

S = load()
red = [s for s in S if attr(s, "db.system.name") == "redis"]
http = [s for s in S if "http.request.method" in s.get("attributes", {})]
eq(len(red) + len(http), len(S), "every span is a Redis or an HTTP span")
for s in red:
    eq(attr(s, "server.port"), port, "server.port of %s" % summarize(s))
    check(attr(s, "db.operation.name"), "db.operation.name of %s" % summarize(s))

# Redis names a subcommand "config|get"; the span's operation is "CONFIG GET".
def op_key(s):
    return attr(s, "db.operation.name").lower().replace(" ", "|")

# the connection that reset the stats had authenticated before it
reset = [s for s in red if s["kind"] == "CLIENT" and attr(s, "db.operation.name") == "CONFIG RESETSTAT"]
eq(len(reset), 1, "CONFIG RESETSTAT CLIENT spans")
before = {(s["kind"], s["span_id"]) for s in red for r in reset[:1]
          if attr(s, "network.peer.port") in (attr(r, "client.port"), attr(r, "server.port"))
          and attr(s, "client.port") == attr(r, "client.port")
          and s["start_time_unix_nano"] < r["start_time_unix_nano"]}
eq(len(before), 2, "spans before the reset (its connection's AUTH, client and server)")
for kind in ("CLIENT", "SERVER"):
    got = collections.Counter(op_key(s) for s in red if s["kind"] == kind
                              and (kind, s["span_id"]) not in before)
    got.pop("info", None)  # the INFO that read the stats is not in them
    for cmd in sorted(set(calls) | set(got)):
        eq(got.get(cmd, 0), calls.get(cmd, 0), "%s spans of %s" % (kind, cmd))

# the error, as the server answered it
wt = [s for s in red if s["kind"] == "CLIENT" and attr(s, "db.operation.name") == "LPUSH"
      and attr(s, "db.response.status_code")]
eq(len(wt), 1, "CLIENT LPUSH spans with an error")
for s in wt:
    eq(attr(s, "db.response.status_code"), "WRONGTYPE", "the error's prefix")
    eq(attr(s, "db.query.text"), "LPUSH user:1001 ?", "its query text")
    eq(attr(s, "db.namespace"), "0", "its namespace")
    eq(s["name"], "LPUSH user:{id}", "its name")
hs = [s for s in red if s["kind"] == "CLIENT" and attr(s, "db.operation.name") == "HSET"
      and attr(s, "process.executable.name") == "redis-cli"]
eq([attr(s, "db.namespace") for s in hs], ["3"], "HSET after SELECT 3 (redis-cli -n 3)")

# Rule 2: each SERVER span is the child of the CLIENT span of its command.
red_srv = [s for s in red if s["kind"] == "SERVER"]
joined = joined_to_client(red_srv, [s for s in red if s["kind"] == "CLIENT"],
                          lambda c, s: op_key(c) == op_key(s))
eq(len(joined), len(red_srv), "SERVER spans joined to their own command's CLIENT span")

# Rule 3: the handler's commands are children of its SERVER span.
mine = [s for s in red if s["kind"] == "CLIENT" and attr(s, "process.pid") == svc_pid]
eq(len(mine), 80, "Redis CLIENT spans of the handler")
expect_children_of_handler(mine, http, svc_pid, "/redis", 20, "handler command")
ops = collections.Counter(attr(s, "db.operation.name") for s in mine)
# a thread per request, a connection per thread: AUTH each time; INCR is INCRBY 1
eq(dict(ops), {"AUTH": 20, "SET": 20, "GET": 20, "INCRBY": 20}, "the handler's operations")

# the password: in no span, no attribute, no message of the agent
expect_secret_absent(pw, (env("ZT_SPANS"), env("AGENT_ERR")))
auth = [s for s in red if attr(s, "db.operation.name") == "AUTH"]
check(auth and all(attr(s, "db.query.text") == "AUTH ?" for s in auth),
      "AUTH spans, with the password as '?': %s" % [attr(s, "db.query.text") for s in auth][:3])
done()
EOF
for k in ringbuf_drops redis_misses bad_events; do
	v=$(zt_final "$k")
	[ "$v" = 0 ] || zt_fail "final $k=$v, expected 0 ($ZT_FINAL)"
done
zt_pass
