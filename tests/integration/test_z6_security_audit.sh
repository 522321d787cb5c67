#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Security: the audit trail (--audit-dir).
#  - Load through a traced python server (svc.py users) (loadgen and server both traced:
#    two spans a request) with --audit-max-size 4K: several closed files;
#    every file reads back with gzip (zcat | jq works), holds a header line,
#    and the span records over all files are exactly the spans the agent
#    printed (same ids); alerts are recorded too.
#  - Each rotation's head left the node: OTLP log records (the receiver
#    decodes them with the official schema) and syslog lines (udp), both
#    with the same SHA-256, the last one the newest closed file's.
#  - `zerotrace audit verify DIR --head HEAD` passes, then fails after one
#    byte of one file is changed, a middle file is removed, two files swap
#    names, the newest file is changed or removed (audit_tamper.sh).
#  - A full disk (a 16 KiB tmpfs): records lost are counted, one
#    audit_write_failed alert, the agent keeps tracing and exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/security/seclib.sh"
. "$(dirname "$0")/security/audit_tamper.sh"
zt_init
zt_otlp_setup

HTTP_PORT=$(zt_free_port 4)
RX_PORT=$(zt_free_port 4)
SYSLOG_PORT=$(zt_free_port 4)
zt_bg users "$PY" "$ZT_LIB_DIR/services/svc.py" --role users --host 127.0.0.1 --port "$HTTP_PORT"
zt_wait_port 127.0.0.1 "$HTTP_PORT" 10
zt_otlp_receiver rx "$RX_PORT"
zt_bg syslog "$PY" "$SEC_DIR/syslog_rx.py" --udp "$SYSLOG_PORT" --out "$TMP/syslog.jsonl"
for ((i = 0; i < 50; i++)); do grep -q ready "$TMP/syslog.out" && break; sleep 0.1; done
AUDIT=$TMP/audit
ALERTS=$TMP/alerts.jsonl
zt_agent_start --port "$HTTP_PORT" --learn 0 --disable-rule new_edge --disable-rule new_listener \
	--disable-rule new_operation --audit-dir "$AUDIT" --audit-max-size 4K --audit-keep 100 \
	--alerts-output "$ALERTS" --otlp-endpoint "http://127.0.0.1:$RX_PORT" \
	--syslog-addr "udp:127.0.0.1:$SYSLOG_PORT"
load() {
	"$PY" "$SEC_DIR/sec_load.py" --url "http://127.0.0.1:$HTTP_PORT/users" --rate 200 --seconds "$2" \
		>>"$TMP/load.out" 2>&1 || zt_fail "load failed: $(cat "$TMP/load.out")"
}
load items 2
curl -sS --path-as-is -o /dev/null --max-time 5 "http://127.0.0.1:$HTTP_PORT/a/../../etc/passwd"
load more 2
zt_settle 1
zt_agent_stop
FILES=$(find "$AUDIT" -name 'audit-*.jsonl.gz' | wc -l)
((FILES >= 3)) || zt_fail "expected at least 3 closed audit files, got $FILES: $(ls -la "$AUDIT")"
[ "$(zt_final audit_records_lost)" = 0 ] || zt_fail "records lost: $ZT_FINAL"
log "$FILES closed audit files, $(du -sh "$AUDIT" | cut -f1); final: audit_records=$(zt_final audit_records) heads=$(zt_final audit_heads_sent)"
FIRST=$(zcat "$AUDIT"/audit-00000001.jsonl.gz | head -n 1)
"$PY" -m json.tool <<<"$FIRST" >/dev/null || zt_fail "zcat | json of the first file failed: $FIRST"

HEAD=$("$PY" - "$AUDIT" "$ZT_SPANS" "$ZT_OTLP_OUT" "$TMP/syslog.jsonl" "$ALERTS" <<'PYEND'
import glob, gzip, hashlib, json, os, sys
audit, spans_path, rx, syslog_path, alerts_path = sys.argv[1:]
fails = []
def check(c, what):
    if not c:
        fails.append(what)
    print(("ok: " if c else "ASSERT FAILED: ") + what, file=sys.stderr)
files = sorted(glob.glob(os.path.join(audit, "audit-*.jsonl.gz")))
span_ids, types = [], {}
for f in files:
    lines = gzip.open(f, "rt", encoding="utf-8").read().splitlines()
    recs = [json.loads(l) for l in lines]
    check(recs and recs[0]["type"] == "audit_header", "%s starts with its header" % os.path.basename(f))
    for r in recs:
        types[r["type"]] = types.get(r["type"], 0) + 1
        if r["type"] == "span":
            span_ids.append((r["trace_id"], r["span_id"]))
printed = [json.loads(l) for l in open(spans_path) if l.strip()]
check(sorted(span_ids) == sorted((s["trace_id"], s["span_id"]) for s in printed),
      "the audit holds exactly the %d printed spans (%d span records)" % (len(printed), len(span_ids)))
alerts = [json.loads(l) for l in open(alerts_path)]
check(types.get("alert") == len(alerts) == 1, "the alert is in the audit: %r" % types)
# heads off the node
notes = []
for r in map(json.loads, open(rx)):
    if r["path"] != "/v1/logs" or r["answer"] != 200:
        continue
    for rl in r["body"]["resourceLogs"]:
        for sl in rl["scopeLogs"]:
            for lr in sl["logRecords"]:
                if lr.get("eventName") == "zerotrace.audit.head":
                    a = {kv["key"]: list(kv["value"].values())[0] for kv in lr["attributes"]}
                    notes.append(a)
sys_heads = [json.loads(l)["msg"] for l in open(syslog_path)]
sys_heads = [m for m in sys_heads if " zerotrace.audit.head " in m]
sha = {os.path.basename(f): hashlib.sha256(open(f, "rb").read()).hexdigest() for f in files}
otlp_heads = [(n.get("file"), n.get("sha256")) for n in notes]
check(len(otlp_heads) >= len(files), "an OTLP head per closed file: %d heads, %d files" % (len(otlp_heads), len(files)))
check(all(sha.get(f) == h for f, h in otlp_heads if f in sha), "every OTLP head is its file's SHA-256")
check(len(sys_heads) == len(otlp_heads), "a syslog line per head: %d" % len(sys_heads))
newest = os.path.basename(files[-1])
check(otlp_heads and otlp_heads[-1] == (newest, sha[newest]), "the last head names the newest file")
check(any(sha[newest] in m for m in sys_heads), "syslog carries the newest head")
if fails:
    sys.exit(1)
print(sha[newest])
PYEND
) || zt_fail "audit content checks failed"
log "head sent off the node: $HEAD"
audit_tamper_cases "$AUDIT" "$HEAD" || zt_fail "audit verify tamper cases failed"

# ---- a full disk ----
FULL=$TMP/full
mkdir -p "$FULL"
mount -t tmpfs -o size=16k zt-audit-full "$FULL" || zt_fail "mount a tmpfs on $FULL"
zt_on_cleanup "umount '$FULL'"
: >"$ALERTS"
zt_agent_start --tag full --port "$HTTP_PORT" --learn 0 --disable-rule new_edge \
	--disable-rule new_listener --disable-rule new_operation --audit-dir "$FULL" \
	--audit-max-size 1M --alerts-output "$ALERTS"
load full 3
zt_settle 2
zt_agent_stop
LOST=$(zt_final audit_records_lost)
[ "${LOST:-0}" -gt 0 ] || zt_fail "a full disk lost no records? $ZT_FINAL"
sec_expect_count "$ALERTS" audit_write_failed 1 "the full disk"
log "full disk: $LOST records lost and counted, $(zt_final audit_write_errors) write errors, one alert"
zt_pass
