#!/usr/bin/env bash
# (s) The OTLP test receiver itself (tests/otlp/receiver.js), without the
# agent: synthetic requests built with protobufjs and the official OTLP root
# (protobuf, gzip, OTLP/JSON, broken ones) are decoded and recorded right,
# OTLP/JSON mistakes are reported, and --fail-first/--status/--retry-after,
# --slow and --max-seconds behave (tests/otlp/selftest.js).
. "$(dirname "$0")/lib.sh"
zt_init
zt_otlp_setup
(cd "$ZT_OTLP_DIR" && timeout 60 node selftest.js) >"$TMP/selftest.out" 2>&1
rc=$?
grep -v '^ok ' "$TMP/selftest.out"
[ "$rc" -eq 0 ] || zt_fail "tests/otlp/selftest.js failed (status $rc): $(grep -v '^ok ' "$TMP/selftest.out" | tail -n 20)"
zt_pass
