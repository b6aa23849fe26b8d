# e2e_lib.sh: what the end-to-end shell tests share (sourced, not run):
# counting checks, bounded waits, a temporary folder removed on exit, and a
# real `echover server` on 127.0.0.1 with a free port. Each test prints one
# "RESULT passed failed skipped" line, which build.sh adds up.
bin=${ECHOVER_BIN:-./echover}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
passed=0 failed=0 skipped=0
e2e_name=${e2e_name:-e2e}

check() { # NAME COMMAND...: counts one check
	local name=$1; shift
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $e2e_name: $name"; fi
}
skip() { # NAME REASON: a check that could not run here, never counted as passed
	skipped=$((skipped + 1)); echo "SKIP $e2e_name: $1 ($2)"
}
finish() {
	echo "RESULT $passed $failed $skipped"
	[ "$failed" -eq 0 ]
	exit
}

# wait_for SECONDS COMMAND...: polls until the command succeeds.
wait_for() {
	local end=$((SECONDS + $1)); shift
	while [ $SECONDS -lt "$end" ]; do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/echover-$e2e_name-XXXXXX")
server_pid=
port=
e2e_cleanup_extra() { :; }
e2e_cleanup() {
	e2e_cleanup_extra
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$dir"
}
trap e2e_cleanup EXIT

# start_server [OPTIONS...]: `echover server` with its database (and so its
# key) in $dir/$server_db.db, log in $dir/$server_db.log (server_db defaults
# to "server"), on a free port or on $server_port when set (a restart on the
# same port); sets port and server_pid (empty when it did not start). One
# server at a time: stop_server before starting another. Both variables can
# be given for one call: server_db=b server_port=$port start_server ...
start_server() {
	local attempt name=${server_db:-server} want=${server_port:-}
	for attempt in 1 2 3 4 5; do
		port=${want:-$((20000 + RANDOM % 40000))}
		[ -z "$want" ] && port_open "$port" && continue
		"$bin" server --listen "127.0.0.1:$port" --db "$dir/$name.db" "$@" >>"$dir/$name.log" 2>&1 &
		server_pid=$!
		wait_for 10 port_open "$port" && return 0
		kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; server_pid=
		[ -n "$want" ] && sleep 0.2 # the old server's socket may linger a moment
	done
	return 1
}
stop_server() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	server_pid=
}
