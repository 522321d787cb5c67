# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Helpers of the TLS tests (test_y_tls.sh, test_y2_tls_postgresql.sh), sourced
# after lib.sh and zt_init. Python checks: tls/tlscheck.py (on PYTHONPATH).

export PYTHONPATH="$ZT_LIB_DIR/tls:$PYTHONPATH"

# zt_tls_cert KEY CERT: a self-signed RSA 2048 certificate for CN=localhost,
# valid one day, key unencrypted.
zt_tls_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
		-keyout "$1" -out "$2" >"$TMP/openssl-req.log" 2>&1 ||
		zt_fail "openssl req failed: $(tail -5 "$TMP/openssl-req.log")"
}

# run_bounded SECS IN OUT ERR CMD...: CMD in the background with stdin IN,
# stdout OUT, stderr ERR; its own pid (spans name it, not a wrapper's) is left
# in RB_PID. Stopped (TERM, then KILL) after SECS. Returns its exit status, 1
# when it had to be stopped. The pid is forgotten once it is reaped.
run_bounded() {
	local secs=$1 in=$2 out=$3 err=$4 i
	shift 4
	"$@" <"$in" >"$out" 2>"$err" &
	RB_PID=$!
	zt_track "$RB_PID"
	for ((i = 0; i < secs * 20; i++)); do
		zt_alive "$RB_PID" || break
		sleep 0.05
	done
	if zt_alive "$RB_PID"; then
		echo "run_bounded: $1 still running after ${secs}s, stopped" >>"$err"
		zt_stop_untrack "$RB_PID"
		return 1
	fi
	wait "$RB_PID"
	i=$?
	zt_stop_untrack "$RB_PID"
	return "$i"
}

# zt_tls_nginx NAME TLS_PORT [PLAIN_PORT]: nginx (master and 1 worker) in
# $TMP/NAME, a TLS server block (TLS 1.2 and 1.3, $CERT/$KEY; HTTP/2 too,
# by ALPN, with NGX_H2=1) and optionally
# a plaintext one on the same root: www/file5k (5000 bytes) and
# www/docs/note.txt (100 bytes); access log in $TMP/NAME/logs/access.log.
# Waits until both answer; sets NGX_MASTER and NGX_WORKER.
zt_tls_nginx() {
	local name=$1 port=$2 plain=${3:-} dir=$TMP/$1 i probe plain_block=""
	[ -z "$plain" ] || plain_block="    server { listen 127.0.0.1:$plain; root $dir/www; location / { } }"
	mkdir -p "$dir/www/docs" "$dir/tmp" "$dir/logs"
	head -c 5000 /dev/urandom >"$dir/www/file5k"
	head -c 100 /dev/urandom >"$dir/www/docs/note.txt"
	cat >"$dir/nginx.conf" <<NGX
user root root;
worker_processes 1;
master_process on;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log $dir/logs/access.log;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    keepalive_timeout 60s;
    server {
        listen 127.0.0.1:$port ssl${NGX_H2:+ http2};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        root $dir/www;
        location / { }
    }
$plain_block
}
NGX
	zt_bg "$name" /usr/sbin/nginx -c "$dir/nginx.conf" -p "$dir"
	NGX_MASTER=$ZT_LAST_PID
	zt_wait_port 127.0.0.1 "$port" 10
	[ -z "$plain" ] || zt_wait_port 127.0.0.1 "$plain" 10
	NGX_WORKER=""
	for ((i = 0; i < 50; i++)); do
		NGX_WORKER=$(ps -o pid= --ppid "$NGX_MASTER" | tr -d ' ')
		[ -n "$NGX_WORKER" ] && break
		sleep 0.1
	done
	# the master stops it; killed after the master only if it outlives it
	zt_on_cleanup "for w in $NGX_WORKER; do zt_alive \$w && kill -KILL \$w; done"
	[ "$(wc -w <<<"$NGX_WORKER")" -eq 1 ] ||
		zt_fail "nginx $name: expected 1 worker, found '$NGX_WORKER': $(cat "$dir/logs/error.log" "$TMP/$name.err")"
	probe=$(curl -sS -k --http1.1 --max-time 8 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/file5k" 2>&1)
	[ "$probe" = 200 ] || zt_fail "nginx $name over TLS: probe got '$probe': $(tail -5 "$dir/logs/error.log")"
}
