#!/usr/bin/env bash
# e2e_demo.sh: `echover demo` (the README's first command) runs to the end,
# every step it checks passes, and it shows the two properties it promises:
# a joiner cannot read the past, a leaver cannot read the future.
set -u
bin=${ECHOVER_BIN:-./echover}
passed=0 failed=0
check() { # NAME CONDITION...
	local name=$1; shift
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL demo: $name"; fi
}
out=$(timeout 60 "$bin" demo 2>&1); rc=$?
check "exits 0" test "$rc" -eq 0
check "no failed step" bash -c '! grep -q "\[FAIL\]" <<<"$0"' "$out"
check "at least 20 checked steps" test "$(grep -c '\[ok\]' <<<"$out")" -ge 20
check "joiner cannot read the past" grep -q "bob cannot read alice's message from before he joined" <<<"$out"
check "leaver cannot read the future" grep -q "bob cannot read it" <<<"$out"
check "relay stores ciphertext only" bash -c '! grep -q "plaintext appears" <<<"$0"' "$out"
check "usage error exits 2" bash -c '"$0" demo --bogus >/dev/null 2>&1; test $? -eq 2' "$bin"
check "--help exits 0" bash -c '"$0" demo --help >/dev/null' "$bin"
echo "RESULT $passed $failed 0"
[ "$failed" -eq 0 ]
