#!/usr/bin/env bash
# e2e_client.sh: the one-shot client subcommands against a real
# `echover server` on 127.0.0.1 (a free port, temporary folders, removed by
# the trap): registration (open and by invite), a group's life (create, add,
# messages, leave, remove, roles, the owner leaving), DMs named by their
# peer, a failed registration retried, who reads what (a joiner not
# the past, a leaver not the future), a member who was away, two commits at
# once, and the exit codes scripts rely on (2 usage, 3 unreachable, 4 wrong
# passphrase or invite, 5 changed server key). Every wait is bounded.
set -u
e2e_name=client
. "$(dirname "$0")/e2e_lib.sh"
tmp=$dir
# Background clients are waited for; the server goes first, as it never ends by itself.
e2e_cleanup_extra() { stop_server; wait 2>/dev/null; }
has() { grep -qF -- "$2" <<<"$1"; }
hasnt() { ! grep -qF -- "$2" <<<"$1"; }

# server_at NAME POLICY [PORT]: a server with its own database (so its own
# key) on a free port, or on PORT; a server that does not start fails the test.
server_at() {
	server_db=$1 server_port=${3:-} start_server --policy "$2" --hash-workers 1 && return 0
	check "a server starts" false
	finish
}

export ECHOVER_HOME=$tmp/home ECHOVER_PASSPHRASE="a long passphrase" ECHOVER_PASSWORD="password for tests"
# ev USER ARGS...: runs a subcommand as USER against the current server; rc in $rc.
ev() {
	local u=$1; shift
	out=$(timeout 30 "$bin" "$@" --user "$u" --server 127.0.0.1:$port --timeout 10 2>&1); rc=$?
}

server_at s open
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
# A script's retry with the same --id is one message; other ids are others.
ev alice send team "once, by id" --id 0123456789abcdef0123456789ABCDEF; check "send --id" test $rc -eq 0
ev alice send team "once, by id" --id 0123456789abcdef0123456789ABCDEF; check "send --id again" test $rc -eq 0
ev alice send team "twice, by id" --id 11111111111111111111111111111111
ev alice send team "twice, by id" --id 22222222222222222222222222222222
ev alice send team "twice, by id" --id 1234; check "a short --id exits 2" test $rc -eq 2
ev bob recv
check "a retried id is shown once" test "$(grep -c "alice: once, by id" <<<"$out")" -eq 1
check "two ids are shown twice" test "$(grep -c "alice: twice, by id" <<<"$out")" -eq 2
ev alice history team
check "the sender's history holds it once" test "$(grep -c "once, by id" <<<"$out")" -eq 1

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

# Joining by request: the owner's client approves when it syncs.
ev dave group join team;   check "dave asks to join a group" test $rc -eq 0
ev dave group join team;   check "one pending request per user" test $rc -ne 0
ev carol recv;             check "the owner sees the request and approves it" bash -c 'grep -q "dave asks to join" <<<"$0" && grep -q "dave joined" <<<"$0"' "$out"
ev dave recv;              check "dave joins by request" has "$out" "[team] joined"
ev carol send team "welcome dave"
ev dave recv;              check "dave reads after joining" has "$out" "carol: welcome dave"
ev dave group members team
check "members lists roles" bash -c 'grep -q "^carol .*owner" <<<"$0" && grep -q "^dave .*member" <<<"$0"' "$out"

# Roles: a plain member may not remove or promote (exit 4); the owner makes
# dave admin, and dave then may remove.
ev dave group remove team carol
check "a member cannot remove (exit 4)" bash -c 'test $0 -eq 4 && grep -q "only an admin or the owner" <<<"$1"' "$rc" "$out"
ev dave group role team dave admin; check "a member cannot change roles (exit 4)" test $rc -eq 4
ev carol group role team dave owner; check "role takes admin or member" test $rc -eq 2
ev carol group role team dave admin; check "the owner makes dave admin" test $rc -eq 0
ev dave group members team;          check "members shows the new admin" grep -q "^dave .*admin" <<<"$out"
ev dave group add team bob;          check "the new admin adds bob" test $rc -eq 0
ev dave group remove team bob;       check "the new admin removes bob" test $rc -eq 0

# A direct message to a user who is offline, read later.
ev carol dm bob "psst, bob";  check "dm to an offline peer" test $rc -eq 0
ev carol dm bob "second dm";  check "dm again (the group exists)" test $rc -eq 0
ev bob recv;                  check "bob reads his DMs later" bash -c 'grep -q "carol: psst, bob" <<<"$0" && grep -q "carol: second dm" <<<"$0"' "$out"
check "a DM reads as its peer, not its id" bash -c 'grep -q "^\[dm with carol\] carol: psst, bob" <<<"$0" && ! grep -q "dm-" <<<"$0"' "$out"
ev bob dm carol "reply";      check "bob replies in the same DM" test $rc -eq 0
ev carol recv;                check "carol reads the reply" has "$out" "bob: reply"
ev bob group list;            check "the DM shows its peer" bash -c 'grep -q "^dm with carol " <<<"$0" && ! grep -q "dm-" <<<"$0"' "$out"
ev bob group list --json;     check "json keeps the DM id and adds the peer" bash -c 'grep -q "\"group\":\"dm-[0-9a-f]*\".*\"peer\":\"carol\"" <<<"$0"' "$out"
ev carol dm bob "json dm"
ev bob recv --json;           check "json events of a DM name the peer" has "$out" '"from":"carol","peer":"carol","text":"json dm"'
ev bob history @carol;        check "history @PEER reads the DM" bash -c 'grep -q "^dm with carol:" <<<"$0" && grep -q "carol: psst, bob" <<<"$0"' "$out"

# Notifications: bob waits; carol writes; bob's client gets it while waiting.
timeout 30 "$bin" recv --wait 4 --user bob --server 127.0.0.1:$port >"$tmp/wait.out" 2>&1 &
waiter=$!
sleep 1.5
ev carol who;                 check "presence: bob is online" has "$out" "bob"
ev carol dm bob "while you wait"
wait "$waiter"
check "recv --wait prints what a notification brought" grep -q "carol: while you wait" "$tmp/wait.out"
ev carol who;                 check "presence: bob is gone" hasnt "$out" "bob"
check "presence: an empty list says so" has "$out" "nobody you share a group with is online"

# Files: empty and a few MiB, announced in the group, fetched and verified.
: >"$tmp/empty.bin"
head -c $((3 * 1024 * 1024 + 17)) /dev/urandom >"$tmp/big.bin"
ev carol send-file team "$tmp/empty.bin"; check "send an empty file" test $rc -eq 0
ev carol send-file team "$tmp/big.bin";   check "send a 3 MiB file" test $rc -eq 0
ev dave recv --json
refs=$(grep -o '"ref":"[^"]*"' <<<"$out" | cut -d'"' -f4)
check "two file announcements" test "$(wc -l <<<"$refs")" -eq 2
r1=$(sed -n 1p <<<"$refs"); r2=$(sed -n 2p <<<"$refs")
ev dave get-file "$r1" "$tmp/empty.out"; check "fetch the empty file" cmp -s "$tmp/empty.bin" "$tmp/empty.out"
ev dave get-file "$r2" "$tmp/big.out";   check "fetch the 3 MiB file" cmp -s "$tmp/big.bin" "$tmp/big.out"
bad=$(sed 's/.$/0/' <<<"$r2"); [ "$bad" = "$r2" ] && bad=$(sed 's/.$/1/' <<<"$r2")
ev dave get-file "$bad" "$tmp/bad.out"
check "a tampered reference fetches nothing" bash -c 'test $0 -ne 0 && ! test -e "$1"' "$rc" "$tmp/bad.out"

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
# Each mode's help: its own usage and options, not the others'.
help=$("$bin" send --help)
check "send --help shows its usage" has "$help" "usage: echover send GROUP TEXT"
check "send --help lists --id and --json" bash -c 'grep -q -- "--id HEX32" <<<"$0" && grep -q -- "--json" <<<"$0"' "$help"
check "send --help lists no --invite, --wait" bash -c '! grep -qE -- "--(invite|wait|limit|verified)" <<<"$0"' "$help"
help=$("$bin" group --help)
for u in "create GROUP" "join GROUP" "leave GROUP" "update GROUP" "list" "add GROUP USER" "remove GROUP USER" \
	"role GROUP USER admin|member" "members GROUP"; do
	check "group --help shows: group $u" has "$help" "echover group $u [OPTIONS]"
done
check "group --help lists no --invite" hasnt "$help" "--invite"
help=$("$bin" register --help)
check "register --help lists --invite, not --id" bash -c 'grep -q -- "--invite CODE" <<<"$0" && ! grep -q -- "--id" <<<"$0"' "$help"
help=$("$bin" client --help)
check "client --help lists no --json" hasnt "$help" "--json"
ev alice send team hi --invite CODE
check "a foreign option exits 2" test $rc -eq 2
check "a foreign option is named" has "$out" "--invite is not an option of \`echover send\`"
ev alice recv --limit 3
check "history's --limit is not recv's" test $rc -eq 2
out=$(timeout 10 "$bin" send team hi --user alice --server 127.0.0.1:$port --passphrase-fd 9 9</dev/null 2>&1); rc=$?
check "empty passphrase descriptor exits 2" test $rc -eq 2
printf 'a long passphrase\n' >"$tmp/pp"
out=$(timeout 10 "$bin" recv --user alice --server 127.0.0.1:$port --passphrase-fd 9 9<"$tmp/pp" 2>&1); rc=$?
check "passphrase from a descriptor" test $rc -eq 0

# The server restarts with another key on the same port: refused, exit 5.
old=$port
stop_server
ev alice recv
check "server down exits 3" test $rc -eq 3
server_at s2 open "$old"
ev alice recv
check "changed server key exits 5" test $rc -eq 5
check "the message names both pins" bash -c 'grep -q "pinned SHA256:" <<<"$0" && grep -q "presented SHA256:" <<<"$0"' "$out"
stop_server

# Registration by invite.
server_at inv invite
ev frank register --cheap-kdf
check "invite policy: no code exits 4" test $rc -eq 4
check "a failed registration says it can be retried" has "$out" "run register again"
ev frank recv
check "an unregistered identity does not open (exit 6)" test $rc -eq 6
code=$("$bin" server --db "$tmp/inv.db" invite 2>/dev/null | head -1)
ev frank register --cheap-kdf --invite "$code"
check "the retry with a code registers the kept identity" test $rc -eq 0
ev frank recv
check "frank, registered on the retry, logs in" test $rc -eq 0
code2=$("$bin" server --db "$tmp/inv.db" invite 2>/dev/null | head -1)
ev grace register --cheap-kdf --invite "$code2"
check "invite policy: a code registers" test $rc -eq 0
ev heidi register --cheap-kdf --invite "$code"
check "an invite code works once" test $rc -eq 4

finish
