# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Real database servers for the integration tests: Redis, PostgreSQL 15 and
# MariaDB, each started at most once per test file, as a plain process of the
# test (no docker, no systemd, never the system services), listening on
# 127.0.0.1 on a free port, with its config, data and logs in the test's $TMP.
# Sourced after lib.sh (and after zt_init):
#
#   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/dblib.sh"; zt_init
#   zt_redis_start                   # REDIS_PORT REDIS_PID REDIS_LOG REDIS_PASSWORD
#   zt_redis_start "requirepass pw"  # extra redis.conf lines (override defaults)
#   zt_pg_start                      # PG_PORT PG_PID PG_LOG PG_BIN PG_SOCK_DIR and
#                                    # PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE
#   zt_mariadb_start                 # MYSQL_PORT MYSQL_PID MYSQL_SOCK MYSQL_LOG MYSQL_ERR
#
# Credentials: postgres user zt / zt-pw, database ztdb (scram-sha-256 over TCP);
# mariadb user 'zt'@'127.0.0.1' and 'zt'@'localhost' / zt-pw, all privileges
# on database ztdb (root only through the socket, as OS root).
#
# Statements as the servers saw them (their own logs), counted from a mark;
# each *_start sets the mark after its own setup statements:
#   zt_pg_log_mark; ...; zt_pg_log_statements | grep ...; zt_pg_log_count
#   zt_mysql_log_mark; ...; zt_mysql_log_count Query; zt_mysql_log_lines Prepare
#
# Every server is stopped BY PID when the test exits, pass or fail (a
# zt_on_cleanup hook: after the agent and the tracked clients; redis SIGTERM,
# postgres SIGINT = fast shutdown, mariadbd SIGTERM; SIGKILL after a bound),
# and its data goes with $TMP. zt_redis_stop / zt_pg_stop / zt_mariadb_stop
# stop one earlier. Start-up waits are bounded (ZT_DB_START_SECS, default 30 s)
# and fail with the last lines of the server's log.
#
# The packages come from scripts/install-deps.sh (which keeps apt from starting
# the system services; if they run anyway, nothing here uses them).

ZT_DB_START_SECS=${ZT_DB_START_SECS:-30}
ZT_PG_BIN=${ZT_PG_BIN:-/usr/lib/postgresql/15/bin}
declare -gA _ZT_DB_STOPPED=() _ZT_DB_STARTED=()

# Milliseconds since the epoch.
_zt_db_ms() { echo $(($(date +%s%N) / 1000000)); }

# _zt_db_fail MSG LOGFILE...: fail the test with MSG and the logs' last lines.
_zt_db_fail() {
	local msg=$1 f
	shift
	for f in "$@"; do
		if [ -s "$f" ]; then
			msg+=$'\n'"---- last lines of $f:"$'\n'"$(tail -n 25 "$f")"
		else
			msg+=$'\n'"---- $f: empty or missing"
		fi
	done
	zt_fail "$msg"
}

# _zt_db_need CMD...: fail unless every command exists.
_zt_db_need() {
	local c
	for c in "$@"; do
		[ -x "$c" ] || command -v "$c" >/dev/null ||
			zt_fail "$c not found (run scripts/install-deps.sh as root)"
	done
}

# _zt_db_bg LOGFILE CMD...: CMD in the background (stdin /dev/null, stdout and
# stderr to LOGFILE); pid in ZT_LAST_PID. Not in lib.sh's tracked list: the
# caller registers a stop hook with the right signal right away.
_zt_db_bg() {
	local out=$1
	shift
	"$@" </dev/null >"$out" 2>&1 &
	ZT_LAST_PID=$!
}

# _zt_db_wait WHAT PID SECS LOGS CMD...: runs CMD (its output discarded) every
# 0.1 s until it succeeds; fails the test when PID exits first or after SECS.
# LOGS: a space-separated list of files shown on failure.
_zt_db_wait() {
	local what=$1 pid=$2 secs=$3 logs=$4 t0
	shift 4
	t0=$(_zt_db_ms)
	until "$@" >/dev/null 2>&1; do
		# shellcheck disable=SC2086
		zt_alive "$pid" || _zt_db_fail "$what (pid $pid) exited before it was ready" $logs
		# shellcheck disable=SC2086
		(($(_zt_db_ms) - t0 < secs * 1000)) ||
			_zt_db_fail "$what (pid $pid) not ready after ${secs}s" $logs
		sleep 0.1
	done
}

# _zt_db_stop NAME PID SIG SECS: stop a server by pid, once.
_zt_db_stop() {
	local name=$1 pid=$2
	[ -n "$pid" ] || return 0
	[ -z "${_ZT_DB_STOPPED[$name]:-}" ] || return 0
	_ZT_DB_STOPPED[$name]=1
	zt_stop_pid "$pid" "$3" "$4"
}

# _zt_db_took NAME T0: log how long NAME took to start.
_zt_db_took() {
	local ms=$(($(_zt_db_ms) - $2))
	log "$1 ready in $((ms / 1000)).$(printf %03d $((ms % 1000)))s"
}

# ---- Redis ----

# zt_redis_start [EXTRA REDIS.CONF LINES...]: redis-server (as root) on
# 127.0.0.1, config $TMP/redis/redis.conf, log $TMP/redis/redis.log, no
# persistence. A "requirepass PW" line is used by the readiness check (and
# exported as REDIS_PASSWORD). Exports REDIS_PORT REDIS_PID REDIS_LOG
# REDIS_PASSWORD REDIS_CONF.
zt_redis_start() {
	local dir=$TMP/redis port pid line pw="" t0
	[ -z "${_ZT_DB_STARTED[redis]:-}" ] || zt_fail "zt_redis_start: redis was already started in this test (pid ${REDIS_PID:-})"
	_ZT_DB_STARTED[redis]=1
	_zt_db_need redis-server redis-cli
	t0=$(_zt_db_ms)
	mkdir -p "$dir" || zt_fail "cannot create $dir"
	port=$(zt_free_port 4)
	for line in "$@"; do
		if [[ $line =~ ^[[:space:]]*requirepass[[:space:]]+(.*[^[:space:]])[[:space:]]*$ ]]; then
			pw=${BASH_REMATCH[1]}
			[[ $pw == \"*\" ]] && pw=${pw:1:${#pw}-2}
		fi
	done
	{
		echo "bind 127.0.0.1"
		echo "port $port"
		echo "protected-mode yes"
		echo "daemonize no"
		echo "supervised no"
		echo "dir \"$dir\""
		echo "logfile \"$dir/redis.log\""
		echo "loglevel notice"
		# the process title names the config, so ps shows whose it is
		echo 'proc-title-template "{title} {listen-addr} {config-file}"'
		echo 'save ""'
		echo "appendonly no"
		printf '%s\n' "$@"
	} >"$dir/redis.conf"
	_zt_db_bg "$dir/stdout.log" redis-server "$dir/redis.conf"
	pid=$ZT_LAST_PID
	zt_on_cleanup "_zt_db_stop redis $pid TERM 10"
	REDIS_PORT=$port REDIS_PID=$pid REDIS_LOG=$dir/redis.log REDIS_PASSWORD=$pw REDIS_CONF=$dir/redis.conf
	export REDIS_PORT REDIS_PID REDIS_LOG REDIS_PASSWORD REDIS_CONF
	_zt_db_wait "redis-server" "$pid" "$ZT_DB_START_SECS" "$dir/stdout.log $REDIS_LOG" _zt_redis_ping
	_zt_db_took "redis on 127.0.0.1:$port (pid $pid${pw:+, password})" "$t0"
	ZT_LAST_PID=$pid
}

# PONG from our redis (with the password when there is one)?
_zt_redis_ping() {
	[ "$(REDISCLI_AUTH=$REDIS_PASSWORD timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
}

zt_redis_stop() { _zt_db_stop redis "${REDIS_PID:-}" TERM 10; }

# ---- PostgreSQL ----

# The prefix that runs a command as the postgres OS user (initdb and postgres
# refuse root), in $TMP/pg. env and setpriv exec (no fork, no PAM session, no
# terminal needed, unlike su/runuser): the pid is the command's own.
_zt_as_postgres() {
	ZT_AS_POSTGRES=(env -C "$TMP/pg" setpriv --reuid=postgres --regid=postgres --init-groups)
}

# zt_pg_start: a PostgreSQL 15 cluster made by initdb in $TMP/pg/data (owned
# by postgres), the postmaster run directly (as postgres, child of the test)
# on 127.0.0.1:free port, unix socket in $TMP/pg/sock; scram-sha-256 for TCP,
# trust on the socket (setup only); user zt/zt-pw owning database ztdb;
# log_statement=all to $TMP/pg/server.log (stderr of the postmaster);
# cluster_name is $TMP's name, so the backends' titles show it. Exports
# PG_PORT PG_PID PG_LOG PG_BIN PG_SOCK_DIR PG_DATA and PGHOST=127.0.0.1 PGPORT
# PGUSER=zt PGPASSWORD=zt-pw PGDATABASE=ztdb, so psql, pgbench and
# psycopg2.connect("") connect with no arguments.
zt_pg_start() {
	local dir=$TMP/pg port pid t0
	[ -z "${_ZT_DB_STARTED[pg]:-}" ] || zt_fail "zt_pg_start: postgres was already started in this test (pid ${PG_PID:-})"
	_ZT_DB_STARTED[pg]=1
	_zt_db_need "$ZT_PG_BIN/initdb" "$ZT_PG_BIN/postgres" "$ZT_PG_BIN/psql" "$ZT_PG_BIN/pg_isready" setpriv
	id postgres >/dev/null 2>&1 || zt_fail "no postgres OS user (run scripts/install-deps.sh as root)"
	t0=$(_zt_db_ms)
	mkdir -p "$dir/sock" || zt_fail "cannot create $dir"
	chown postgres:postgres "$dir" "$dir/sock"
	chmod 700 "$dir/sock"
	port=$(zt_free_port 4)
	_zt_as_postgres
	"${ZT_AS_POSTGRES[@]}" "$ZT_PG_BIN/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C \
		--auth-local=trust --auth-host=scram-sha-256 --no-sync --no-instructions \
		>"$dir/initdb.log" 2>&1 || _zt_db_fail "initdb failed" "$dir/initdb.log"
	cat >>"$dir/data/postgresql.conf" <<EOF

# ---- zerotrace test cluster (tests/integration/dblib.sh) ----
cluster_name = '${TMP##*/}'
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/sock'
ssl = off
password_encryption = 'scram-sha-256'
max_connections = 50
shared_buffers = 16MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
autovacuum = off
log_destination = 'stderr'
logging_collector = off
log_statement = 'all'
log_line_prefix = '%m [%p] %q%u@%d '
lc_messages = 'C'
EOF
	_zt_db_bg "$dir/server.log" "${ZT_AS_POSTGRES[@]}" "$ZT_PG_BIN/postgres" -D "$dir/data"
	pid=$ZT_LAST_PID
	zt_on_cleanup "_zt_db_stop pg $pid INT 20"
	PG_PORT=$port PG_PID=$pid PG_LOG=$dir/server.log PG_BIN=$ZT_PG_BIN PG_SOCK_DIR=$dir/sock PG_DATA=$dir/data
	export PG_PORT PG_PID PG_LOG PG_BIN PG_SOCK_DIR PG_DATA
	_zt_db_wait "postgres" "$pid" "$ZT_DB_START_SECS" "$PG_LOG" \
		"$ZT_PG_BIN/pg_isready" -q -t 3 -h 127.0.0.1 -p "$port"
	"$ZT_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/sock" -p "$port" -U postgres -d postgres \
		-c "CREATE ROLE zt LOGIN PASSWORD 'zt-pw'" -c "CREATE DATABASE ztdb OWNER zt" \
		>"$dir/setup.log" 2>&1 || _zt_db_fail "postgres setup (role zt, database ztdb) failed" "$dir/setup.log" "$PG_LOG"
	PGHOST=127.0.0.1 PGPORT=$port PGUSER=zt PGPASSWORD=zt-pw PGDATABASE=ztdb
	export PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE
	zt_pg_log_mark
	_zt_db_took "postgres on 127.0.0.1:$port (pid $pid)" "$t0"
	ZT_LAST_PID=$pid
}

zt_pg_stop() { _zt_db_stop pg "${PG_PID:-}" INT 20; }

# zt_pg_log_mark: statements logged from now on are the ones counted.
zt_pg_log_mark() { PG_LOG_MARK=$(stat -c %s "$PG_LOG"); }

# zt_pg_log_statements: the log lines of the statements the server ran since
# the mark: "LOG:  statement: ..." (simple protocol) and "LOG:  execute
# NAME: ..." (extended protocol; NAME is <unnamed> or the prepared
# statement's name), one line per statement (continuation lines of a
# multi-line statement are left out).
zt_pg_log_statements() {
	tail -c "+$((${PG_LOG_MARK:-0} + 1))" "$PG_LOG" | grep -E 'LOG:  (statement|execute [^:]*):'
}

# zt_pg_log_count [ERE]: number of those statements (matching ERE, if given).
zt_pg_log_count() {
	zt_pg_log_statements | grep -cE -- "${1:-.}"
}

# ---- MariaDB ----

# Options of both mariadb-install-db's bootstrap server and mariadbd.
_zt_mysql_opts() {
	local dir=$TMP/mariadb
	echo --datadir="$dir/data" --tmpdir="$dir/tmp" --user=mysql \
		--innodb-buffer-pool-size=16M --innodb-log-file-size=16M \
		--innodb-doublewrite=0 --innodb-flush-log-at-trx-commit=0 \
		--innodb-use-native-aio=0 --skip-log-bin --skip-name-resolve
}

# zt_mariadb_start: mariadb-install-db into $TMP/mariadb/data (root@localhost
# by unix_socket only, no test db), then mariadbd --no-defaults (starts as
# root, runs as mysql; same pid) on 127.0.0.1:free port, socket
# $TMP/mariadb/mysql.sock, general log $TMP/mariadb/general.log, error log
# $TMP/mariadb/server.log; creates database ztdb and 'zt'@'127.0.0.1',
# 'zt'@'localhost' identified by 'zt-pw' with all privileges on ztdb.
# Exports MYSQL_PORT MYSQL_PID MYSQL_SOCK MYSQL_LOG MYSQL_ERR.
#   mariadb -h 127.0.0.1 -P "$MYSQL_PORT" -u zt -pzt-pw ztdb
zt_mariadb_start() {
	local dir=$TMP/mariadb port pid t0
	[ -z "${_ZT_DB_STARTED[mariadb]:-}" ] || zt_fail "zt_mariadb_start: mariadbd was already started in this test (pid ${MYSQL_PID:-})"
	_ZT_DB_STARTED[mariadb]=1
	_zt_db_need mariadbd mariadb-install-db mariadb mariadb-admin
	id mysql >/dev/null 2>&1 || zt_fail "no mysql OS user (run scripts/install-deps.sh as root)"
	t0=$(_zt_db_ms)
	mkdir -p "$dir/tmp" || zt_fail "cannot create $dir"
	chown -R mysql:mysql "$dir"
	port=$(zt_free_port 4)
	# shellcheck disable=SC2046
	mariadb-install-db --no-defaults $(_zt_mysql_opts) --skip-test-db \
		--auth-root-authentication-method=socket --auth-root-socket-user=root \
		>"$dir/install-db.log" 2>&1 || _zt_db_fail "mariadb-install-db failed" "$dir/install-db.log"
	# shellcheck disable=SC2046
	_zt_db_bg "$dir/server.log" mariadbd --no-defaults $(_zt_mysql_opts) \
		--port="$port" --bind-address=127.0.0.1 --socket="$dir/mysql.sock" \
		--pid-file="$dir/mariadbd.pid" --general-log=1 --general-log-file="$dir/general.log" \
		--log-output=FILE --max-allowed-packet=64M --max-connections=100
	pid=$ZT_LAST_PID
	zt_on_cleanup "_zt_db_stop mariadb $pid TERM 30"
	MYSQL_PORT=$port MYSQL_PID=$pid MYSQL_SOCK=$dir/mysql.sock MYSQL_LOG=$dir/general.log MYSQL_ERR=$dir/server.log
	export MYSQL_PORT MYSQL_PID MYSQL_SOCK MYSQL_LOG MYSQL_ERR
	_zt_db_wait "mariadbd" "$pid" "$ZT_DB_START_SECS" "$MYSQL_ERR" \
		timeout 5 mariadb-admin --no-defaults --protocol=socket -S "$MYSQL_SOCK" -u root \
		--connect-timeout=3 status
	zt_mysql_root -e "CREATE DATABASE ztdb;
CREATE USER 'zt'@'127.0.0.1' IDENTIFIED BY 'zt-pw';
CREATE USER 'zt'@'localhost' IDENTIFIED BY 'zt-pw';
GRANT ALL PRIVILEGES ON ztdb.* TO 'zt'@'127.0.0.1';
GRANT ALL PRIVILEGES ON ztdb.* TO 'zt'@'localhost';" >"$dir/setup.log" 2>&1 ||
		_zt_db_fail "mariadb setup (database ztdb, user zt) failed" "$dir/setup.log" "$MYSQL_ERR"
	zt_mysql_log_mark
	_zt_db_took "mariadb on 127.0.0.1:$port (pid $pid)" "$t0"
	ZT_LAST_PID=$pid
}

zt_mariadb_stop() { _zt_db_stop mariadb "${MYSQL_PID:-}" TERM 30; }

# zt_mysql_root ARGS...: the mariadb client as root over the server's socket.
zt_mysql_root() {
	mariadb --no-defaults --protocol=socket -S "$MYSQL_SOCK" -u root "$@"
}

# zt_mysql_log_mark: general-log lines from now on are the ones counted.
zt_mysql_log_mark() { MYSQL_LOG_MARK=$(stat -c %s "$MYSQL_LOG"); }

# zt_mysql_log_lines [CMD]: the general-log entries since the mark, of command
# type CMD if given (Query, Prepare, Execute, Close stmt, Init DB, Connect,
# Quit, ...): "<time>\t<id> <Command>\t<argument>", the time column blank
# when unchanged; continuation lines of multi-line statements are left out.
zt_mysql_log_lines() {
	local cmd=${1:-[A-Z][A-Za-z]*( [A-Za-z]+)?}
	tail -c "+$((${MYSQL_LOG_MARK:-0} + 1))" "$MYSQL_LOG" |
		grep -E "^[^	]*	+ *[0-9]+ ($cmd)(	|\$)"
}

# zt_mysql_log_count CMD: how many general-log entries of that command type
# since the mark.
zt_mysql_log_count() {
	zt_mysql_log_lines "$1" | wc -l | tr -d ' '
}
