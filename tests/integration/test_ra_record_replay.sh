#!/usr/bin/env bash
# (ra) zerotrace record + replay: a run of the python server and curl,
# including a request with an Authorization header, a cookie and a secret
# query value, is recorded; its replay must give the very spans the live
# run printed (ids too: the recording keeps the id generator's state), the
# file is mode 0600 and holds none of the secrets, and a truncated copy is
# refused with exit 1 and no span.
. "$(dirname "$0")/lib.sh"
zt_init

PORT=$(zt_free_port 4)
OTEL_SERVICE_NAME=zt-replay-server zt_server srv 127.0.0.1 "$PORT" 1.1
SRV_PID=$ZT_LAST_PID

REC=$TMP/run.ztrec
# an older file of that name, with a hard link to it, readable by all:
# the recording must be a new inode that neither of them reaches
echo "older file" >"$REC"
chmod 644 "$REC"
ln "$REC" "$TMP/older.link"
# zt_agent_start runs $ZT_BIN OPTIONS: a wrapper that execs (same pid)
# `zerotrace record FILE OPTIONS`
REAL_BIN=$ZT_BIN
cat >"$TMP/record.sh" <<EOF
#!/bin/sh
exec "$REAL_BIN" record "$REC" --record-max 64M "\$@"
EOF
chmod 755 "$TMP/record.sh"
ZT_BIN=$TMP/record.sh zt_agent_start --port "$PORT"

SECRET_AUTH=ztsecretauth0123456789
SECRET_COOKIE=ztsecretcookie98765
SECRET_QUERY=ztsecretquery4242
base="http://127.0.0.1:$PORT"
for i in 1 2 3; do
	curl -sS -o /dev/null --max-time 10 "$base/items/$i" || zt_fail "curl /items/$i"
done
curl -sS -o /dev/null --max-time 10 -H "Authorization: Bearer $SECRET_AUTH" \
	-H "Cookie: session=$SECRET_COOKIE; theme=dark" \
	"$base/search?q=abc&token=$SECRET_QUERY&page=2" || zt_fail "curl with secrets"
curl -sS -o /dev/null --max-time 10 --data-binary "hello" "$base/upload" || zt_fail "curl POST"
zt_settle
zt_agent_stop
grep -q '^zerotrace record: [0-9]* records in .*, 0 not written' "$ZT_AGENT_ERR" ||
	zt_fail "no 'zerotrace record:' summary: $(grep record "$ZT_AGENT_ERR")"

# (b) mode 0600
mode=$(stat -c %a "$REC")
[ "$mode" = 600 ] || zt_fail "recording mode: expected 600, got $mode"
[ "$(cat "$TMP/older.link")" = "older file" ] || zt_fail "the recording went into the older file's inode"
# (c) no secret anywhere in the file's bytes
for s in "$SECRET_AUTH" "$SECRET_COOKIE" "$SECRET_QUERY"; do
	n=$(grep -c -a -F "$s" "$REC")
	[ "$n" = 0 ] || zt_fail "secret $s found in $n lines of the recording"
done
grep -q -a -F "Authorization: *" "$REC" || zt_fail "the recording lost the Authorization header"

# (a) the replay prints the spans the live run printed; the server is gone
# first, so its resource can come only from the recorded lookups
zt_stop_pid "$SRV_PID"
"$REAL_BIN" replay "$REC" --output jsonl >"$TMP/replay.jsonl" 2>"$TMP/replay.err" ||
	zt_fail "replay exited $?: $(cat "$TMP/replay.err")"
grep -E '^zerotrace replay: records=[0-9]+ events=[0-9]+ spans=[0-9]+ .* process_mismatches=0$' \
	"$TMP/replay.err" >/dev/null || zt_fail "replay summary: $(cat "$TMP/replay.err")"
export REPLAY=$TMP/replay.jsonl
zt_py_check <<'EOF'
from ztcheck import *
import json
live = load()
replay = [json.loads(l) for l in open(env("REPLAY")) if l.strip()]
eq(len(servers(live)), 5, "live SERVER spans")
eq(len(replay), len(live), "replayed spans")
# field by field, nothing of the span ignored: the ids come from the recorded generator
# state, times from the recorded clock offset, resources from the recorded
# process lookups
for i, (a, b) in enumerate(zip(live, replay)):
    for k in sorted(set(a) | set(b)):
        if k == "attributes" or k.startswith("_"):  # load()'s own _line
            continue
        eq(b.get(k), a.get(k), "span #%d %s" % (i, k))
    la, ra = a.get("attributes", {}), b.get("attributes", {})
    for k in sorted(set(la) | set(ra)):
        eq(ra.get(k), la.get(k), "span #%d attribute %s" % (i, k))
q = [s for s in replay if s["attributes"].get("url.path") == "/search"]
eq(len(q), 2, "/search spans in the replay")
for s in q:
    eq(s["attributes"].get("url.query"), "q=abc&token=REDACTED&page=2", "replayed url.query")
done()
EOF

# (d) a truncated copy: exit 1, a message, no span
head -c $(($(stat -c %s "$REC") - 5)) "$REC" >"$TMP/cut.ztrec"
"$REAL_BIN" replay "$TMP/cut.ztrec" --output jsonl >"$TMP/cut.out" 2>"$TMP/cut.err"
rc=$?
[ "$rc" = 1 ] || zt_fail "truncated file: expected exit 1, got $rc"
grep -q 'truncated' "$TMP/cut.err" || zt_fail "truncated file message: $(cat "$TMP/cut.err")"
[ ! -s "$TMP/cut.out" ] || zt_fail "a truncated file printed spans"
"$REAL_BIN" replay "$TMP/missing.ztrec" >/dev/null 2>&1
rc=$?
[ "$rc" = 1 ] || zt_fail "missing file: expected exit 1, got $rc"
"$REAL_BIN" replay >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] || zt_fail "no file: expected exit 2, got $rc"
zt_pass
