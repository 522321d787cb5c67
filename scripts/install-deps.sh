#!/usr/bin/env bash
# Installs every build, run and test dependency from Debian packages.
# Idempotent, and silent when everything is already present.
set -euo pipefail

PKGS=(
	make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev libdeflate-dev bpftool pkg-config
	libcurl4-openssl-dev libcriterion-dev libclang-rt-14-dev
	python3 curl nginx-light wrk iproute2 procps
	libmicrohttpd-dev prometheus
	# security: policy and --config files (libyaml), the audit chain's SHA-256 (libcrypto)
	libyaml-dev libssl-dev
	# Database servers, clients and python drivers for the tests that use
	# tests/integration/dblib.sh (it runs its own instances on free loopback
	# ports; the system services are never used). pgbench is in postgresql-15
	# (/usr/lib/postgresql/15/bin/pgbench; /usr/bin/pgbench is the
	# postgresql-client-common wrapper); postgresql-contrib is its metapackage.
	# libmariadb-dev: the prepared-statement client test_w builds.
	redis-server redis-tools
	postgresql-15 postgresql-client-15 postgresql-contrib
	mariadb-server mariadb-client libmariadb-dev
	python3-redis python3-psycopg2 python3-pymysql
	# TLS tests: certificates and s_server/s_client; libssl3 is what is probed
	openssl libssl3
	# zerotrace graph --format dot: test_z5 renders it with Graphviz (dot -Tsvg)
	graphviz
	# goroutine causality: newproc1's return instructions are found with
	# Capstone; the Go tests build their services with Debian's Go
	libcapstone-dev golang-go
	# HTTP/2: HPACK with libnghttp2's inflater; the gRPC tests run python3-grpcio
	libnghttp2-dev python3-grpcio
	# HTTP/2 in the clear: nghttpd serving files, nghttp and h2load asking;
	# nghttpx upgrading HTTP/1.1 to h2c
	nghttp2-server nghttp2-client nghttp2-proxy
	# DNS: a resolver the test runs in its own network namespace, and dig
	dnsmasq-base bind9-dnsutils
	# the Java chain test runs its services with the JDK's source launcher
	openjdk-17-jdk-headless
	# scripts/replay_cost.sh: a replay's instructions per event under callgrind
	valgrind
)
# The OTLP test receiver runs on Node.js; any packaged node >= 18 with npm will do.
command -v node >/dev/null && command -v npm >/dev/null || PKGS+=(nodejs npm)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]})) || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2

# The postinst scripts of redis-server, postgresql-15 and mariadb-server start
# their system services (6379, 5432, 3306): the tests do not use them and
# they cost time and memory. Both invoke-rc.d and deb-systemd-invoke ask
# /usr/sbin/policy-rc.d first, so while apt runs one that denies everything
# (exit 101) is in place. A policy-rc.d that already denies (docker images
# ship one) is left alone; any other is set aside and put back afterwards,
# also on failure or interruption. Services that already run are not touched.
POLICY=/usr/sbin/policy-rc.d
POLICY_SAVED=$POLICY.zt-install-deps.saved
POLICY_MARK='# temporary: zerotrace scripts/install-deps.sh'
policy_restore() {
	grep -qxF "$POLICY_MARK" "$POLICY" 2>/dev/null || return 0
	if [ -e "$POLICY_SAVED" ]; then
		mv -f "$POLICY_SAVED" "$POLICY"
	else
		rm -f "$POLICY"
	fi
}
policy_restore # left behind by a run that was killed
policy_rc=0
[ -x "$POLICY" ] && { "$POLICY" zt-install-deps start >/dev/null 2>&1 || policy_rc=$?; }
if [ "$policy_rc" -ne 101 ]; then
	trap policy_restore EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if [ -e "$POLICY" ]; then
		mv -f "$POLICY" "$POLICY_SAVED"
	fi
	printf '#!/bin/sh\n%s\nexit 101\n' "$POLICY_MARK" >"$POLICY"
	chmod 755 "$POLICY"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
