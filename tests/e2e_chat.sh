#!/usr/bin/env bash
# e2e_chat.sh: the interactive chat (`echover client`) in real terminals.
# A server on 127.0.0.1 (a free port, a temporary database); alice and bob
# each run the chat in a tmux pane (a private tmux server). alice writes
# while bob has half a line typed: the message appears on bob's screen and
# his half line is still there, and he can finish and send it. /quit and
# SIGTERM restore the terminal's settings (stty before and after compared).
# While the server is away, a typed message waits in the outbox and is sent
# once the chat has reconnected, exactly once.
# Commands piped into the chat (no terminal) work as well. Every wait is
# bounded; everything is removed at the end, also on failure.
set -u
e2e_name=chat
. "$(dirname "$0")/e2e_lib.sh"
if ! command -v tmux >/dev/null; then
	echo "FAIL chat: tmux is not installed (build.sh test installs it)"
	failed=1
	finish
fi

sock=$dir/tmux.sock
e2e_cleanup_extra() { tmux -S "$sock" kill-server 2>/dev/null; }

start_server
check "server starts" test -n "$server_pid"
[ -n "$server_pid" ] || finish

chat_env() { # USER: the environment a user's chat runs with
	echo "ECHOVER_PASSPHRASE='passphrase of $1' ECHOVER_PASSWORD='password of $1'"
}
piped() { # USER ARGS... < commands: the chat with stdin not a terminal
	local u=$1; shift
	env ECHOVER_PASSPHRASE="passphrase of $u" ECHOVER_PASSWORD="password of $u" \
		timeout 30 "$bin" client --server "127.0.0.1:$port" --user "$u" --db "$dir/$u.db" "$@"
}

# Accounts and the group, by piped commands (the script interface).
register() { # USER
	env ECHOVER_PASSPHRASE="passphrase of $1" ECHOVER_PASSWORD="password of $1" timeout 30 \
		"$bin" register --server "127.0.0.1:$port" --user "$1" --db "$dir/$1.db" --cheap-kdf >/dev/null 2>&1
}
register bob; rc=$?
check "bob registers" test "$rc" -eq 0
register alice; rc=$?
check "alice registers" test "$rc" -eq 0
out=$(printf '/create room\n/add room bob\n/groups\n' | piped alice 2>&1); rc=$?
check "alice creates room and adds bob (piped commands)" test "$rc" -eq 0
check "piped /groups lists room" grep -q "room" <<<"$out"
out=$(printf '/bogus\n/msg\n' | piped alice 2>&1); rc=$?
check "a bad command is reported, not fatal" bash -c 'grep -q "unknown command" <<<"$0" && grep -q "usage: /msg GROUP TEXT" <<<"$0"' "$out"
out=$(piped alice --bogus </dev/null 2>&1); rc=$?
check "unknown option exits 2" test "$rc" -eq 2
"$bin" client --help >/dev/null; rc=$?
check "--help exits 0" test "$rc" -eq 0

# The interactive chats, each in a pane running a shell that records the
# terminal settings before and after the chat.
start_pane() { # USER
	local u=$1
	tmux -S "$sock" new-session -d -s "$u" -x 100 -y 30 \
		"stty -a >'$dir/$u.stty.before'; env $(chat_env "$u") '$bin' client --server 127.0.0.1:$port \
		--user $u --db '$dir/$u.db'; echo \"exit=\$?\" >'$dir/$u.exit'; stty -a >'$dir/$u.stty.after'; sleep 30"
}
screen() { tmux -S "$sock" capture-pane -p -t "$1"; }
screen_has() { screen "$1" | grep -qF -- "$2"; }
# tmux drops trailing spaces of a row: compare without them.
last_line() { screen "$1" | sed -e 's/ *$//' -e '/^$/d' | tail -1; }
last_is() { [ "$(last_line "$1")" = "$(sed 's/ *$//' <<<"$2")" ]; }

start_pane alice
start_pane bob
check "alice's chat is up" wait_for 15 screen_has alice "/help lists the commands"
check "bob's chat is up" wait_for 15 screen_has bob "/help lists the commands"
# alice added bob while he was away: /switch picks the group up.
tmux -S "$sock" send-keys -t bob -l "/switch room"
tmux -S "$sock" send-keys -t bob Enter
check "bob switches to room, which alice added him to" wait_for 10 last_is bob "[room] "
check "bob is told he joined room" screen_has bob "you joined room"

tmux -S "$sock" send-keys -t bob -l "half a li"
check "bob's half line is shown" wait_for 5 last_is bob "[room] half a li"
tmux -S "$sock" send-keys -t alice -l "/msg room hello from alice"
tmux -S "$sock" send-keys -t alice Enter
check "alice's message appears on bob's screen" wait_for 15 screen_has bob "<alice@room> hello from alice"
check "bob's half line is still there, after the message" last_is bob "[room] half a li"
# The message sits above the input row, not mixed into it.
check "the message has its own row" bash -c 'tmux -S "$0" capture-pane -p -t bob | grep -q "^[0-9-][0-9-]:[0-9-][0-9-] <alice@room> hello from alice$"' "$sock"

tmux -S "$sock" send-keys -t bob -l "ne"
tmux -S "$sock" send-keys -t bob Enter
check "bob finishes and sends the line; alice reads it" wait_for 15 screen_has alice "<bob@room> half a line"
check "bob's input row is empty again" wait_for 5 last_is bob "[room] "
# Editing keys: ctrl-U clears, backspace removes.
tmux -S "$sock" send-keys -t bob -l "typo"
tmux -S "$sock" send-keys -t bob C-u
tmux -S "$sock" send-keys -t bob -l "abc"
tmux -S "$sock" send-keys -t bob BSpace
check "ctrl-U and backspace edit the line" wait_for 5 last_is bob "[room] ab"
tmux -S "$sock" send-keys -t bob C-u

# The server goes away and comes back on the same port and database: both
# chats say so, reconnect with back-off, and go on.
stop_server
check "bob is told the server went away" wait_for 15 screen_has bob "lost the server; reconnecting"
# Typed while the server is away: queued, and sent once it is back.
tmux -S "$sock" send-keys -t bob -l "/msg room queued while away"
tmux -S "$sock" send-keys -t bob Enter
check "bob's message is queued while the server is away" wait_for 10 screen_has bob "queued for room"
# Same port, same database: the chats must find it where it was.
server_port=$port
check "the server restarts" start_server
server_port=
check "bob's chat reconnects" wait_for 30 screen_has bob "connected again"
check "alice's chat reconnects" wait_for 30 screen_has alice "connected again"
check "bob's chat sends the queued message" wait_for 15 screen_has bob "sent 1 queued message(s)"
check "alice reads the queued message" wait_for 15 screen_has alice "<bob@room> queued while away"
tmux -S "$sock" send-keys -t alice -l "/msg room after the restart"
tmux -S "$sock" send-keys -t alice Enter
check "messages flow again after the restart" wait_for 15 screen_has bob "<alice@room> after the restart"

tmux -S "$sock" send-keys -t bob -l "/quit"
tmux -S "$sock" send-keys -t bob Enter
check "bob's /quit exits 0" wait_for 10 grep -qsx "exit=0" "$dir/bob.exit"
check "/quit restores bob's terminal settings" wait_for 5 cmp -s "$dir/bob.stty.before" "$dir/bob.stty.after"

# SIGTERM (e.g. the terminal's owner going away) restores it as well.
pid=$(pgrep -f -- "--user alice --db $dir/alice.db" | head -1)
check "alice's chat process found" test -n "$pid"
[ -n "$pid" ] && kill -TERM "$pid"
check "alice's chat ends on SIGTERM" wait_for 10 test -s "$dir/alice.exit"
check "SIGTERM restores alice's terminal settings" wait_for 5 cmp -s "$dir/alice.stty.before" "$dir/alice.stty.after"

# Piped history: what bob typed is in alice's history.
out=$(printf '/history room\n' | piped alice 2>&1)
check "piped /history shows bob's line" grep -q "<bob> half a line" <<<"$out"
check "the queued message arrived exactly once" test "$(grep -c "<bob> queued while away" <<<"$out")" -eq 1
finish
