#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The hostile-frontend suite: one case per entry of the fact sheet's XSA table and §4.4
# checklist (xen-netif.md) that the backend implements. For each, a fresh simulated domain gets
# a vif on the bridge and nb-hostile attacks through it; the case asserts the tier netbackd
# chose:
#   error   - error responses to the guest, the vif stays Connected and still forwards (probe)
#   grant   - the same, and the vif's tx_grant_errors counter moved
#   rxgrant - copies into the guest's RX buffers fail: rx_grant_errors counted, the vif stays
#             Connected and forwards once the guest posts good buffers
#   accept  - every slot answered OKAY, and the frame's echo reply came back (delivered intact)
#   fatal   - the vif is disabled: backend Closing, error node naming the reason
#   xs      - the handshake is refused: backend Closing, error node naming the key
#   reconnect - five times disabled (20 slots) and reconnected with fresh rings: Connected at
#             the end, the error node cleared, and the vif forwards
#   any     - unpredictable input: either still Connected and forwarding, or disabled with a
#             reason; never a crash
#   live    - not a violation (event storm): stays Connected, forwards, and the good guest's
#             ping during the storm succeeds
#   mcast   - multicast-filter additions: the first 64 OKAY, the rest ERROR (Linux's bound),
#             refusals counted, the vif stays Connected
#   ctrl    - control-ring requests with bad mappings (XSA-270): INVALID_PARAMETER for each,
#             the vif stays Connected, no XenStore error
#   notyet  - a feature under attack that is not offered: run for liveness only, reported as
#             not testable, never counted as a pass (no case uses it now)
# After every case a well-behaved guest on the same network still pings dom0 and netbackd still
# runs; at the end netbackd's VmRSS has grown by less than 32 MiB.
. "$(dirname "$0")/lib.sh"

P=nbhs$$
GOOD=$P-good
NET=10.79.0
PEER=$NET.1

# gping ARGS: the good guest pings dom0's host port, quietly.
gping() { in_guest "$GOOD" ping -q -W 2 "$@" $PEER >/dev/null; }

# attack        tier    expected (fatal: reason; xs: key in the error node; error, grant:
#                       ERROR responses; accept: OKAY responses, i.e. the frame's slots)
# Slot counts are total slots (first request included), as netback/nb-private.h counts them;
# Linux counts the fragments after the first (drop at 19+ fragments, fatal at 21+).
CASES="
ring-garbage       any     -
prod-overflow      fatal   producer index more than a ring ahead
rx-prod-overflow   fatal   RX ring protocol violation
prod-backwards     fatal   producer index more than a ring ahead
slots-19           error   19
slots-20           fatal   20 or more slots
frame-64k          error   18
frag-too-big       error   2
page-cross         fatal   crosses a 4 KiB page
zero-frags         accept  6
tiny-18            accept  18
split-headers      accept  5
runt               error   2
bad-extra          fatal   extra-info of invalid type
missing-extra      fatal   extra-info slot past the producer
missing-slot       fatal   packet continues past the producer
gso-size0          fatal   GSO extra with size 0
gso-type           fatal   GSO extra of unknown type
grant-revoked      grant   2
rx-bad-grant       rxgrant -
fatal-reconnect    reconnect -
concurrent-writer  any     -
event-storm        live    -
mcast-flood        mcast   64 36
ctrl-bad-mapping   ctrl    responses=6 invalid=4 success=2
xs-num-queues-0    xs      multi-queue-num-queues
xs-tx-ring-ref-nan xs      tx-ring-ref
xs-no-event-channel xs     event-channel
xs-rx-copy-0       xs      request-rx-copy
xs-ring-ref-ungranted xs   mapping rings
xs-evtchn-unbound  xs      binding channels
"

require "dom0 starts" start_dom0 "$P"
require "bridge network with a host port" nbctl net-create br0 --mode bridge \
	--host-port nbhs0 --address $PEER/24
require "well-behaved guest created" make_guest "$GOOD" $NET.11/24 00:16:3e:00:07:01
DG=$(domid_of "$GOOD")
NBPID=$(cat "$RUNDIR/netbackd.pid")
check "well-behaved guest connected" wait_for 15 connected "$DG" 0
require "well-behaved guest reaches dom0 before the attacks" wait_for 10 \
	gping -c 1

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
RSS0=$(rss_kib "$NBPID")

err_node() { xs xenstore-read "/local/domain/0/error/backend/vif/$1/0/error" 2>/dev/null; }
vif_stat() {
	nbctl stats "vif$1.0" --json | python3 -c \
		"import json,sys; print(json.load(sys.stdin)[0]['vif']['$2'])"
}
# field OUT KEY: the number after KEY= on the "responses" line of nb-hostile's output.
field() { sed -n "s/^responses .*$2=\([0-9]*\).*/\1/p" "$1"; }
closing() { [ "$(be_state "$1" 0)" = 5 ]; }

n=0
N_NOTYET=0
while read -r attack tier text; do
	[ -n "$attack" ] || continue
	n=$((n + 1))
	name=$P-h$n
	domid=$("$BIN/nb-simhv" --rundir "$RUNDIR" domain-create "$name" --memory 16)
	nbctl network-attach "$name" "bridge=br0" >/dev/null
	out=$(make_tmpdir)/hostile && : >"$out"
	probe=--probe
	case $tier in fatal | xs | notyet) probe= ;; esac
	timeout -k 5 60 "$BIN/nb-hostile" --rundir "$RUNDIR" --domid "$domid" --attack "$attack" \
		--ip $NET.$((100 + n)) --peer $PEER $probe --seconds 4 --seed $n >"$out" 2>&1 &
	hpid=$!
	track_pid $hpid
	if [ "$tier" = live ]; then
		# The other guest pings while the storm blows.
		wait_for 15 grep -q "connected; attacking" "$out"
		check "$attack: the good guest pings during the storm" \
			gping -c 8 -i 0.3
	fi
	if ! wait_for 30 grep -q '^done' "$out"; then
		not_ok "$attack: nb-hostile finished its attack"
		sed 's/^/#   /' "$out"
	fi
	case $tier in
	error | grant)
		check_eq "$attack: ERROR responses to the guest, one per slot" "$text" \
			"$(field "$out" error)"
		check_eq "$attack: no OKAY response" 0 "$(field "$out" okay)"
		check_eq "$attack: vif still Connected" 4 "$(be_state "$domid" 0)"
		check "$attack: the vif still forwards (probe)" grep -q '^probe ok' "$out"
		check_eq "$attack: no XenStore error" "" "$(err_node "$domid")"
		if [ "$tier" = grant ]; then
			g=$(vif_stat "$domid" tx_grant_errors)
			check "$attack: grant error counted ($g)" [ "${g:-0}" -ge 1 ]
		fi
		;;
	reconnect)
		check "$attack: five rounds of disable and reconnect" grep -q '^reconnects 5' "$out"
		check_eq "$attack: vif Connected again" 4 "$(be_state "$domid" 0)"
		check_eq "$attack: the error node was cleared" "" "$(err_node "$domid")"
		check "$attack: the vif forwards again (probe)" grep -q '^probe ok' "$out"
		;;
	rxgrant)
		g=$(vif_stat "$domid" rx_grant_errors)
		check "$attack: RX grant errors counted (${g:-none})" [ "${g:-0}" -ge 1 ]
		check_eq "$attack: vif still Connected" 4 "$(be_state "$domid" 0)"
		check "$attack: the vif still forwards (probe)" grep -q '^probe ok' "$out"
		check_eq "$attack: no XenStore error" "" "$(err_node "$domid")"
		;;
	accept)
		check_eq "$attack: every slot answered OKAY" "$text" "$(field "$out" okay)"
		check_eq "$attack: no ERROR response" 0 "$(field "$out" error)"
		check "$attack: the frame was delivered intact (echo reply)" \
			grep -q '^echo-reply ok' "$out"
		check_eq "$attack: vif still Connected" 4 "$(be_state "$domid" 0)"
		;;
	fatal)
		check "$attack: backend goes Closing" wait_for 5 closing "$domid"
		err=$(err_node "$domid")
		case "$err" in
		*"disabling device"*"$text"*) ok "$attack: vif disabled, reason in XenStore ($err)" ;;
		*) not_ok "$attack: vif disabled, reason '$text' in XenStore (got '$err')" ;;
		esac
		;;
	xs)
		check "$attack: backend goes Closing" wait_for 5 closing "$domid"
		err=$(err_node "$domid")
		case "$err" in
		*"$text"*) ok "$attack: XenStore error node ($err)" ;;
		*) not_ok "$attack: XenStore error node naming $text (got '$err')" ;;
		esac
		;;
	any)
		st=$(be_state "$domid" 0)
		err=$(err_node "$domid")
		if [ "$st" = 4 ] && grep -q '^probe ok' "$out"; then
			ok "$attack: vif survived and still forwards ($(grep '^responses' "$out"))"
		elif [ "$st" = 5 ] && [[ "$err" == *"disabling device"* ]]; then
			ok "$attack: vif disabled with a reason ($err)"
		else
			not_ok "$attack: vif working or disabled with a reason (state $st, error '$err')"
		fi
		;;
	live)
		check "$attack: the storm ran" grep -q '^notifies=' "$out"
		check_eq "$attack: vif still Connected" 4 "$(be_state "$domid" 0)"
		check "$attack: the vif still forwards (probe)" grep -q '^probe ok' "$out"
		ev=$(vif_stat "$domid" events)
		echo "# $attack: $(grep '^notifies=' "$out"), backend saw events=$ev"
		;;
	mcast)
		check_eq "$attack: the first 64 additions OKAY, the rest ERROR" "$text" \
			"$(field "$out" okay) $(field "$out" error)"
		check_eq "$attack: vif still Connected" 4 "$(be_state "$domid" 0)"
		r=$(vif_stat "$domid" tx_mcast_refused)
		check_eq "$attack: refusals counted" 36 "${r:-0}"
		;;
	ctrl)
		check "$attack: each bad mapping answered INVALID_PARAMETER ($text)" \
			grep -q "^ctrl feature-ctrl-ring=1 $text" "$out"
		check_eq "$attack: vif still Connected" 4 "$(be_state "$domid" 0)"
		check_eq "$attack: no XenStore error" "" "$(err_node "$domid")"
		;;
	notyet)
		N_NOTYET=$((N_NOTYET + 1))
		# What the backend offers decides: these features are not advertised yet.
		echo "# NOT TESTABLE YET: $attack (the feature under attack is not offered; observed:" \
			"$(grep '^responses\|^ctrl' "$out" | tr '\n' ' ')be state $(be_state "$domid" 0))"
		;;
	esac
	check "$attack: netbackd still runs" kill -0 "$NBPID"
	check "$attack: the good guest still reaches dom0" \
		gping -c 2 -i 0.2
	check "$attack: the good guest's vif is still connected" connected "$DG" 0
	kill -TERM $hpid 2>/dev/null
	wait $hpid 2>/dev/null
done <<<"$CASES"

RSS1=$(rss_kib "$NBPID")
echo "# netbackd VmRSS: ${RSS0} KiB before, ${RSS1} KiB after $n cases"
check "netbackd memory bounded (growth $((RSS1 - RSS0)) KiB < 32 MiB)" \
	[ $((RSS1 - RSS0)) -lt $((32 * 1024)) ]
echo "# $N_NOTYET case(s) not testable yet"
finish
