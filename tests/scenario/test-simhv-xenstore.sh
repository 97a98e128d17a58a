#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nb-simhv's xenstored driven by Debian's unmodified xenstore-utils (libxenstore over
# XENSTORED_PATH): write/read/ls/rm/watch/chmod as dom0, then a guest domain whose
# connection may write its own subtree and is refused outside it.
. "$(dirname "$0")/lib.sh"

RUNDIR=$(make_tmpdir)
require "nb-simhv starts as a daemon" start_simhv "$RUNDIR"
export XENSTORED_PATH=$RUNDIR/xenstored/socket
check "xenstored socket is mode 0600" test "$(stat -c %a "$XENSTORED_PATH")" = 600

check "xenstore-write creates nodes and parents" xenstore-write /test/a 1 /test/b "hello world"
check_eq "xenstore-read returns the value" "hello world" "$(xenstore-read /test/b)"
check_eq "xenstore-list lists children in order" "a b" "$(xenstore-list /test | xargs)"
ls_out=$(xenstore-ls /test)
check_eq "xenstore-ls shows the subtree" 'a = "1"
b = "hello world"' "$ls_out"
check "xenstore-rm removes a node" xenstore-rm /test/a
check_fails "a removed node cannot be read" xenstore-read /test/a
check_fails "reading a missing node fails" xenstore-read /no/such/node
check "xenstore-exists sees an existing node" xenstore-exists /test/b

check "xenstore-chmod sets permissions" xenstore-chmod /test/b n0 r1
check "xenstore-ls -p shows them" sh -c "xenstore-ls -p /test | grep -q '^b = \"hello world\" .*(n0,r1)$'"

# A watch fires once at registration and then for a change below the watched path.
WATCH_OUT=$RUNDIR/watch.out
xenstore-watch -n 2 /test/w >"$WATCH_OUT" 2>&1 &
WATCH_PID=$!
track_pid "$WATCH_PID"
wait_for 5 grep -q '^/test/w' "$WATCH_OUT"
xenstore-write /test/w/x 42
wait_for 5 grep -q '^/test/w/x' "$WATCH_OUT"
wait "$WATCH_PID" 2>/dev/null
check_eq "xenstore-watch sees the initial and the change event" "/test/w /test/w/x" \
	"$(awk '{print $1}' "$WATCH_OUT" | xargs)"

# A guest domain: its own subtree is writable through its own connection, dom0's is not.
DOMID=$("$BIN/nb-simhv" --rundir "$RUNDIR" domain-create guest1 --memory 16)
check_eq "domain-create returns domid 1" 1 "$DOMID"
check_eq "the domain's name is in XenStore" guest1 "$(xenstore-read /local/domain/1/name)"
GUEST_SOCK=$RUNDIR/xenstored/dom1.socket
check "the guest has its own xenstored socket" test -S "$GUEST_SOCK"
check "guest writes inside its subtree" env XENSTORED_PATH="$GUEST_SOCK" \
	xenstore-write /local/domain/1/data/x 1
check "guest writes a relative path (resolved to its domain path)" env \
	XENSTORED_PATH="$GUEST_SOCK" xenstore-write data/y 2
check_eq "dom0 reads what the guest wrote relatively" 2 "$(xenstore-read /local/domain/1/data/y)"
check_fails "guest write outside its subtree is refused" env XENSTORED_PATH="$GUEST_SOCK" \
	xenstore-write /local/domain/0/evil 1
check_fails "the refused write left nothing behind" xenstore-read /local/domain/0/evil
check_fails "guest write to another subtree is refused" env XENSTORED_PATH="$GUEST_SOCK" \
	xenstore-write /test/evil 1
check_eq "guest reads a node it was granted read on (r1)" "hello world" \
	"$(XENSTORED_PATH="$GUEST_SOCK" xenstore-read /test/b)"
check_fails "guest cannot read a dom0-only node" env XENSTORED_PATH="$GUEST_SOCK" \
	xenstore-read /local/domain/0
# xenstore-chmod is the tool that prints the errno it got: EACCES, as Xen's rules give.
err=$(env XENSTORED_PATH="$GUEST_SOCK" xenstore-chmod /test/b b1 2>&1)
case "$err" in *"Permission denied"*) ok "guest cannot chmod a node it does not own (EACCES)" ;; *)
	not_ok "guest cannot chmod a node it does not own (EACCES)"
	echo "#   got: $err"
	;;
esac

check "domain-list shows the guest" sh -c "'$BIN/nb-simhv' --rundir '$RUNDIR' domain-list | grep -q '^guest1 '"
check "domain-destroy by name" "$BIN/nb-simhv" --rundir "$RUNDIR" domain-destroy guest1
check_fails "the destroyed domain's XenStore directory is gone" xenstore-read /local/domain/1/name
check_fails "the destroyed domain's socket is gone" test -e "$GUEST_SOCK"
check "dom0 still served after the guest went away" xenstore-write /test/after 1

PID=$(cat "$RUNDIR/nb-simhv.pid")
kill -TERM "$PID"
check "nb-simhv exits on SIGTERM" wait_for 5 sh -c "! kill -0 $PID 2>/dev/null"
check_fails "and removes its pid file" test -e "$RUNDIR/nb-simhv.pid"
finish
