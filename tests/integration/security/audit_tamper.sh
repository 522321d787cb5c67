#!/usr/bin/env bash
# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# Tamper cases for an audit directory (--audit-dir), each on its own copy:
# the untouched copy verifies (with and without --head), then one changed
# byte in a middle file, a removed middle file, two swapped names, a changed
# byte in the newest closed file and the newest closed file removed must all
# fail `zerotrace audit verify` with exit 1 and name the file.
#
#   tests/integration/security/audit_tamper.sh DIR [HEAD]      # standalone
#   source tests/integration/security/audit_tamper.sh           # from a test:
#   audit_tamper_cases "$DIR" "$HEAD" || zt_fail "audit tamper cases"
#
# DIR needs at least 3 closed files (audit-<seq>.jsonl.gz); it is never
# modified. HEAD: the newest head the agent sent off the node (its on-head
# OTLP log record or syslog line); without it, the SHA-256 of the newest
# closed file in DIR is used, which proves nothing about DIR itself but
# still checks that removing or changing that file is caught with --head.
# Environment: ZT_BIN (default build/zerotrace); AUDIT_VERIFY_CMD replaces
# "$ZT_BIN audit verify" (word-split), for tests of the verifier alone.

_audit_tamper_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

_at_log() { printf '[audit_tamper] %s\n' "$*"; }

# Runs the verifier on a dir; prints its report; returns its exit code.
_at_verify() {
	local dir=$1 head=${2:-} cmd
	if [ -n "${AUDIT_VERIFY_CMD:-}" ]; then
		read -r -a cmd <<<"$AUDIT_VERIFY_CMD"
	else
		cmd=("${ZT_BIN:-$_audit_tamper_root/build/zerotrace}" audit verify)
	fi
	if [ -n "$head" ]; then
		"${cmd[@]}" "$dir" --head "$head"
	else
		"${cmd[@]}" "$dir"
	fi
}

# _at_expect NAME WANT_RC NEEDLE DIR [HEAD]: the verifier's exit code is
# WANT_RC and its report holds NEEDLE (when not empty).
_at_expect() {
	local name=$1 want=$2 needle=$3 dir=$4 head=${5:-} out rc
	out=$(_at_verify "$dir" "$head" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		_at_log "FAIL $name: exit $rc, want $want"
		printf '%s\n' "$out" | sed 's/^/    /'
		return 1
	fi
	if [ -n "$needle" ] && ! grep -qF -- "$needle" <<<"$out"; then
		_at_log "FAIL $name: the report does not say \"$needle\""
		printf '%s\n' "$out" | sed 's/^/    /'
		return 1
	fi
	_at_log "ok   $name (exit $rc)"
	return 0
}

# Flips the lowest bit of the byte at OFFSET (negative: from the end).
_at_flip_byte() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import sys
path, off = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    data = bytearray(f.read())
    data[off] ^= 1
    f.seek(0)
    f.write(data)
EOF
}

# A fresh copy of the audit dir in a temp dir; prints its path.
_at_copy() {
	local copy
	copy=$(mktemp -d /tmp/zt-audit-tamper.XXXXXX) || return 1
	cp -a "$1"/. "$copy"/ || return 1
	printf '%s\n' "$copy"
}

audit_tamper_cases() {
	local src=$1 head=${2:-} files=() n mid newest next copy size fails=0 f
	if [ ! -d "$src" ]; then
		_at_log "FAIL: $src is not a directory"
		return 1
	fi
	# closed files, oldest first (sort -V: seqs past 8 digits too)
	mapfile -t files < <(for f in "$src"/audit-*.jsonl.gz; do
		f=${f##*/}
		[[ $f =~ ^audit-[0-9]{8,}\.jsonl\.gz$ ]] && printf '%s\n' "$f"
	done | sort -V)
	n=${#files[@]}
	if [ "$n" -lt 3 ]; then
		_at_log "FAIL: $src holds $n closed audit files; the cases need 3"
		return 1
	fi
	mid=${files[$((n / 2 - (n % 2 == 0 ? 1 : 0)))]}
	next=${files[$((n / 2 - (n % 2 == 0 ? 1 : 0) + 1))]}
	newest=${files[$((n - 1))]}
	if [ -z "$head" ]; then
		head=$(sha256sum "$src/$newest" | cut -d' ' -f1)
		_at_log "no head given: using the SHA-256 of $newest"
	fi
	_at_log "$n closed files; middle $mid, newest $newest"

	copy=$(_at_copy "$src") || return 1
	_at_expect "untouched" 0 "OK" "$copy" || fails=$((fails + 1))
	_at_expect "untouched, --head" 0 "is the file the head names" "$copy" "$head" ||
		fails=$((fails + 1))
	rm -rf "$copy"

	copy=$(_at_copy "$src") || return 1
	size=$(stat -c %s "$copy/$mid")
	_at_flip_byte "$copy/$mid" $((size / 2))
	_at_expect "one byte of $mid changed" 1 "BROKEN $mid changed" "$copy" ||
		fails=$((fails + 1))
	rm -rf "$copy"

	copy=$(_at_copy "$src") || return 1
	rm -f "$copy/$mid"
	_at_expect "$mid removed" 1 "BROKEN $mid is missing" "$copy" || fails=$((fails + 1))
	rm -rf "$copy"

	copy=$(_at_copy "$src") || return 1
	mv "$copy/$mid" "$copy/$mid.swap" && mv "$copy/$next" "$copy/$mid" &&
		mv "$copy/$mid.swap" "$copy/$next"
	_at_expect "$mid and $next swapped" 1 "renamed or reordered" "$copy" ||
		fails=$((fails + 1))
	rm -rf "$copy"

	copy=$(_at_copy "$src") || return 1
	_at_flip_byte "$copy/$newest" 4 # MTIME of its first gzip member: no CRC covers it
	_at_expect "one byte of the newest file $newest changed, --head" 1 \
		"no file here has the head's SHA-256" "$copy" "$head" || fails=$((fails + 1))
	rm -rf "$copy"

	copy=$(_at_copy "$src") || return 1
	rm -f "$copy/$newest"
	_at_expect "the newest file $newest removed, --head" 1 \
		"no file here has the head's SHA-256" "$copy" "$head" || fails=$((fails + 1))
	rm -rf "$copy"

	if [ "$fails" -ne 0 ]; then
		_at_log "FAIL: $fails case(s)"
		return 1
	fi
	_at_log "all tamper cases caught"
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	if [ $# -lt 1 ] || [ $# -gt 2 ]; then
		echo "usage: $0 AUDIT_DIR [HEAD]" >&2
		exit 2
	fi
	audit_tamper_cases "$@"
	exit $?
fi
