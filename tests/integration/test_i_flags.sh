#!/usr/bin/env bash
# (i) flags: --help exits 0 and lists the flags; bad values exit 2 with a
# message on stderr naming the flag.
. "$(dirname "$0")/lib.sh"
zt_init

timeout 10 "$ZT_BIN" --help >"$TMP/help.out" 2>"$TMP/help.err"
rc=$?
[ "$rc" -eq 0 ] || zt_fail "--help: exit status $rc, expected 0; stderr: $(cat "$TMP/help.err")"
for f in --capture-bytes --ringbuf-size --pid --comm --port --output --stats-interval; do
	grep -q -e "$f" "$TMP/help.out" "$TMP/help.err" ||
		zt_fail "--help output does not mention $f: $(cat "$TMP/help.out" "$TMP/help.err")"
done
log "--help: exit 0, lists all flags"

fails=()
check_bad() { # FLAG ARGS...
	local flag=$1 rc
	shift
	timeout 10 "$ZT_BIN" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err"
	rc=$?
	if [ "$rc" -ne 2 ]; then
		fails+=("'$*': exit status $rc, expected 2 (stderr: $(head -c 300 "$TMP/bad.err"))")
	elif ! grep -q -e "$flag" "$TMP/bad.err"; then
		fails+=("'$*': stderr does not name $flag: '$(head -c 300 "$TMP/bad.err")'")
	else
		log "'$*' -> 2: $(head -n 1 "$TMP/bad.err")"
	fi
}
check_bad --capture-bytes --output jsonl --capture-bytes 0
check_bad --capture-bytes --output jsonl --capture-bytes 5000
check_bad --ringbuf-size --output jsonl --ringbuf-size 3M
check_bad --port --output jsonl --port 70000
check_bad --output --output xml
check_bad --bogus --output jsonl --bogus
if ((${#fails[@]})); then
	printf 'ASSERT FAILED: %s\n' "${fails[@]}"
	zt_fail "${#fails[@]} flag check(s) failed"
fi
zt_pass
