#!/usr/bin/env bash
# e2e_client.sh: the one-shot client subcommands against a real
# `echover server` on 127.0.0.1 (a free port, temporary folders, removed by
# the trap): registration (open and by invite), a group's life (create, add,
# messages, leave, remove, the owner leaving), who reads what (a joiner not
# the past, a leaver not the future), a member who was away, two commits at
# once, and the exit codes scripts rely on (2 usage, 3 unreachable, 4 wrong
# passphrase or invite, 5 changed server key). Every wait is bounded.
set -u
bin=${ECHOVER_BIN:-./echover}
passed=0 failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/echover-e2e-client-XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

check() { # NAME CONDITION...
	local name=$1; shift
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL client: $name"; fi
}
has() { grep -qF -- "$2" <<<"$1"; }
hasnt() { ! grep -qF -- "$2" <<<"$1"; }

# start_server NAME POLICY [PORT]: sets port and srv_pid.
start_server() {
	local name=$1 policy=$2 want=${3:-} i
	for i in 1 2 3 4 5; do
		port=${want:-$((20000 + RANDOM % 40000))}
		"$bin" server --listen 127.0.0.1:$port --db "$tmp/$name.db" --policy "$policy" --hash-workers 1 \
			>"$tmp/$name.log" 2>&1 &
		srv_pid=$!
		local t
		for t in $(seq 1 100); do
			grep -q listening "$tmp/$name.log" 2>/dev/null && { pids+=("$srv_pid"); return 0; }
			kill -0 "$srv_pid" 2>/dev/null || break
			sleep 0.05
		done
		kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null
		[ -n "$want" ] && sleep 0.2
	done
	echo "FAIL client: no server started"; return 1
}
stop_server() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

export ECHOVER_HOME=$tmp/home ECHOVER_PASSPHRASE="a long passphrase" ECHOVER_PASSWORD="password for tests"
# ev USER ARGS...: runs a subcommand as USER against the current server; rc in $rc.
ev() {
	local u=$1; shift
	out=$(timeout 30 "$bin" "$@" --user "$u" --server 127.0.0.1:$port --timeout 10 2>&1); rc=$?
}

start_server s open || exit 1
for u in alice bob carol dave; do
	ev $u register --cheap-kdf
	check "$u registers" test $rc -eq 0
done
ev alice register --cheap-kdf
check "registering twice fails" test $rc -eq 1

# A group: alice creates it and writes before bob is in.
ev alice group create team;             check "create" test $rc -eq 0
ev alice group create team;             check "create taken fails" test $rc -ne 0
ev alice send team "before bob joined"; check "send" test $rc -eq 0
ev alice group add team bob;            check "add bob" test $rc -eq 0
ev alice send team "hello bob";         check "send after add" test $rc -eq 0
ev bob recv team
check "bob joins from the Welcome" has "$out" "[team] joined"
check "bob reads from his join on" has "$out" "alice: hello bob"
check "bob cannot read the past" hasnt "$out" "before bob joined"
ev bob recv
check "nothing is delivered twice" test -z "$out"
ev bob send team "hi alice, bob here"
ev alice recv --json
check "alice reads bob (json)" has "$out" '{"event":"message","group":"team","from":"bob","text":"hi alice, bob here"'
ev alice send team 'quote " backslash \ tab	end'
ev bob recv --json
check "json escapes strings" has "$out" '"text":"quote \" backslash \\ tab\tend"'

# carol joins; bob leaves (a proposal) and an online member commits it.
ev alice group add team carol;  check "add carol" test $rc -eq 0
ev carol recv team;             check "carol joins" has "$out" "[team] joined"
ev bob recv;                    check "bob sees carol join" has "$out" "carol joined"
ev bob group leave team;        check "bob asks to leave" test $rc -eq 0
ev carol recv;                  check "carol commits bob's leave" has "$out" "bob left"
ev alice send team "after bob left"
ev bob recv
check "bob learns he is out" has "$out" "no longer a member"
check "bob cannot read the future" hasnt "$out" "after bob left"
ev carol recv
check "alice and carol go on" has "$out" "alice: after bob left"
ev bob send team "still here?"
check "a leaver cannot send" test $rc -eq 6

# A member who was away processes every commit and message in order.
ev alice group create ops
ev alice group add ops dave
ev dave recv ops
for i in 1 2 3; do ev alice send ops "ops message $i"; done
ev alice group add ops bob
ev alice send ops "ops message 4"
ev bob recv ops
check "bob (added later) reads only message 4" bash -c 'grep -q "ops message 4" <<<"$0" && ! grep -q "ops message 3" <<<"$0"' "$out"
ev dave recv
order=$(grep -o "ops message [0-9]\|bob joined" <<<"$out" | tr '\n' ,)
check "dave, away, gets everything in order" test "$order" = "ops message 1,ops message 2,ops message 3,bob joined,ops message 4,"

# An admin removes a member, who cannot read what follows.
ev alice group remove ops dave; check "remove dave" test $rc -eq 0
ev alice send ops "without dave"
ev dave recv;                   check "dave is out" bash -c 'grep -q "no longer a member" <<<"$0" && ! grep -q "without dave" <<<"$0"' "$out"
ev bob recv;                    check "bob sees dave removed and reads on" bash -c 'grep -q "dave left" <<<"$0" && grep -q "without dave" <<<"$0"' "$out"

# Two members commit at once: one wins, the other syncs and retries; no fork.
ev bob recv
( timeout 30 "$bin" group update ops --user alice --server 127.0.0.1:$port >"$tmp/u1" 2>&1; echo $? >"$tmp/u1.rc" ) &
u1=$!
( timeout 30 "$bin" group update ops --user bob --server 127.0.0.1:$port >"$tmp/u2" 2>&1; echo $? >"$tmp/u2.rc" ) &
u2=$!
wait "$u1" "$u2"
check "both concurrent commits land" test "$(cat "$tmp/u1.rc")$(cat "$tmp/u2.rc")" = 00
ev alice send ops "after the race, from alice"
ev bob recv;   check "bob reads alice after the race" has "$out" "after the race, from alice"
ev bob send ops "after the race, from bob"
ev alice recv; check "alice reads bob after the race" has "$out" "after the race, from bob"

# The owner leaves; the group goes on.
ev alice group leave team; check "the owner asks to leave" test $rc -eq 0
ev carol recv;             check "carol commits the owner's leave" has "$out" "alice left"
ev alice recv;             check "the owner is out" has "$out" "no longer a member"
ev carol send team "the group goes on"
check "the group goes on without its owner" test $rc -eq 0
ev carol history team
check "history keeps what carol read and sent" bash -c 'grep -q "alice: after bob left" <<<"$0" && grep -q "carol: the group goes on" <<<"$0"' "$out"

# Keys: fingerprints agree on both sides.
ev alice fingerprint bob; a=$(sed -n 2p <<<"$out")
ev bob fingerprint alice; b=$(sed -n 2p <<<"$out")
check "safety numbers agree" test -n "$a" -a "$a" = "$b"
ev alice trust bob --verified; check "trust --verified" test $rc -eq 0

# Exit codes.
ECHOVER_PASSPHRASE=wrong ev alice recv
check "wrong passphrase exits 4" test $rc -eq 4
ECHOVER_PASSWORD=wrong-password ev alice recv
check "wrong password exits 4" test $rc -eq 4
ev erin recv
check "no identity exits 6" test $rc -eq 6
ev alice send nosuchgroup hi
check "unknown group exits 6" test $rc -eq 6
ev alice send
check "usage exits 2" test $rc -eq 2
ev alice send team hi --bogus
check "unknown option exits 2" test $rc -eq 2
"$bin" send --help >/dev/null; check "--help exits 0" test $? -eq 0
out=$(timeout 10 "$bin" send team hi --user alice --server 127.0.0.1:$port --passphrase-fd 9 9</dev/null 2>&1); rc=$?
check "empty passphrase descriptor exits 2" test $rc -eq 2
printf 'a long passphrase\n' >"$tmp/pp"
out=$(timeout 10 "$bin" recv --user alice --server 127.0.0.1:$port --passphrase-fd 9 9<"$tmp/pp" 2>&1); rc=$?
check "passphrase from a descriptor" test $rc -eq 0

# The server restarts with another key on the same port: refused, exit 5.
old=$port
stop_server "$srv_pid"
ev alice recv
check "server down exits 3" test $rc -eq 3
start_server s2 open "$old"
ev alice recv
check "changed server key exits 5" test $rc -eq 5
check "the message names both pins" bash -c 'grep -q "pinned SHA256:" <<<"$0" && grep -q "presented SHA256:" <<<"$0"' "$out"
stop_server "$srv_pid"

# Registration by invite.
start_server inv invite || exit 1
ev frank register --cheap-kdf
check "invite policy: no code exits 4" test $rc -eq 4
code=$("$bin" server --db "$tmp/inv.db" invite 2>/dev/null | head -1)
ev grace register --cheap-kdf --invite "$code"
check "invite policy: a code registers" test $rc -eq 0
ev heidi register --cheap-kdf --invite "$code"
check "an invite code works once" test $rc -eq 4

echo "RESULT $passed $failed 0"
[ "$failed" -eq 0 ]
