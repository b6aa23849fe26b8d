#!/usr/bin/env bash
# e2e_demo.sh: `echover demo` (the README's first command) runs to the end,
# every step it checks passes, and it shows the two properties it promises:
# a joiner cannot read the past (his state holds no key for its epoch), a
# leaver cannot read the future (also once his last state processed the
# commit that removed him); and that
# it cleans up: its server child is gone and its temporary folder removed,
# also when it is interrupted halfway.
set -u
e2e_name=demo
. "$(dirname "$0")/e2e_lib.sh"
# A step the demo reports as not in this build yet ("[--] ... WHAT") is
# counted as skipped, never as passed.
check_unless_missing() { # WHAT NAME CONDITION...
	local what=$1; shift
	if grep -q "^   \[--\]   not in this build yet: .*$what" <<<"$out"; then
		skip "$1" "$what not in this build yet"
	else
		check "$@"
	fi
}
# The demo runs with TMPDIR=$dir, so everything it makes is under $dir;
# the log of the interrupted run stays outside it.
e2e_cleanup_extra() { rm -f "$dir.int"; }
# The demo's server runs with --db under $dir; pgrep never matches itself.
no_server() { ! pgrep -f -- "--db $dir/" >/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }
start=$SECONDS
out=$(TMPDIR=$dir timeout 60 "$bin" demo 2>&1); rc=$?
took=$((SECONDS - start))
echo "demo took ${took} s"
check "exits 0" test "$rc" -eq 0
check "finishes in under 60 s" test "$took" -lt 60
check "leaves no temporary files" test -z "$(ls -A "$dir")"
check "leaves no server running" no_server
check "talks to a real server process" grep -q "server listening on 127.0.0.1:" <<<"$out"
check_unless_missing "DM_CREATE" "a DM reaches an offline user" grep -q "dave reads alice's DM" <<<"$out"
check_unless_missing "BLOB_CREATE" "a file goes through" grep -q "dave's copy is byte for byte alice's" <<<"$out"
check "safety numbers agree" grep -q "the two numbers are the same" <<<"$out"
check "no failed step" bash -c '! grep -q "\[FAIL\]" <<<"$0"' "$out"
check "at least 20 checked steps" test "$(grep -c '\[ok\]' <<<"$out")" -ge 20
check "joiner cannot read the past" grep -q "bob cannot read alice's message from before he joined" <<<"$out"
check "leaver cannot read the future" grep -q "bob cannot read it" <<<"$out"
check "joiner's state holds no key for epoch 0" grep -q "\[ok\] .*bob's state holds the keys of epoch [0-9]* only: none for epoch 0" <<<"$out"
check "leaver's state processed his removal" grep -q "\[ok\] .*his state says he is removed" <<<"$out"
check "leaver's state after his removal cannot read" grep -q "\[ok\] .*bob cannot read it with the state that followed his removal" <<<"$out"
check "relay stores ciphertext only" bash -c '! grep -q "plaintext appears" <<<"$0"' "$out"
# Interrupted in the middle: the server child stops and the folder goes.
TMPDIR=$dir "$bin" demo >"$dir.int" 2>&1 &
pid=$!
wait_for 10 grep -qs "^3\. " "$dir.int"
kill -INT "$pid" 2>/dev/null
wait_for 10 gone "$pid"
wait "$pid"; irc=$?
check "an interrupted demo exits 1" test "$irc" -eq 1
check "an interrupted demo says so" grep -q "Interrupted" "$dir.int"
check "an interrupted demo leaves no files" test -z "$(ls -A "$dir")"
check "an interrupted demo leaves no server" no_server
check "usage error exits 2" bash -c '"$0" demo --bogus >/dev/null 2>&1; test $? -eq 2' "$bin"
check "--help exits 0" bash -c '"$0" demo --help >/dev/null' "$bin"
finish
