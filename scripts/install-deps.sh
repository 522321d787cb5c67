#!/usr/bin/env bash
# Installs every build, run and test dependency from Debian packages.
# Idempotent, and silent when everything is already present.
set -euo pipefail

PKGS=(
	make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool pkg-config
	libcurl4-openssl-dev libcriterion-dev libclang-rt-14-dev
	python3 curl nginx-light wrk iproute2 procps
	libmicrohttpd-dev prometheus
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
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
