# SPDX-License-Identifier: MIT
# vif-common.sh - shared by netback's vif hotplug scripts (sourced, not run).
#
# netbackd runs a vif's script as libxl does: "SCRIPT online|offline type_if=vif" with
# XENBUS_PATH (backend/vif/<domid>/<devid>, relative to dom0's XenStore home), vif (the dom0
# name of the vif), netdev (its gatewaydev), script, XENBUS_TYPE and XENBUS_BASE_PATH in the
# environment, plus NETBACK_RUNDIR and, on the simulated hypervisor, XENSTORED_PATH. A script
# reports with success (hotplug-status = connected) or fatal MESSAGE (hotplug-error = MESSAGE,
# hotplug-status = error, exit 1), like Xen's xen-hotplug-common.sh, and runs the post hooks
# in vif-post.d/*.hook (sourced, with the same variables) as Xen's call_hooks does.

set -u
command=
for arg in "$@"; do
	case "$arg" in
	type_if=*) type_if=${arg#type_if=} ;;
	*=*) ;; # other name=value arguments are not used here
	*) [ -z "$command" ] && command=$arg ;;
	esac
done
: "${type_if:=vif}"
: "${XENBUS_PATH:?XENBUS_PATH must be set by the caller}"
: "${vif:?vif must be set by the caller}"
NBCTL=${NBCTL:-nbctl}
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)

log() { echo "$(basename "$0") $command $vif: $*" >&2; }

xs_read() { xenstore-read "$XENBUS_PATH/$1" 2>/dev/null; }
xs_write() { xenstore-write "$XENBUS_PATH/$1" "$2"; }

success() {
	xs_write hotplug-status connected
}

fatal() {
	log "error: $*"
	xenstore-write "$XENBUS_PATH/hotplug-error" "$*" "$XENBUS_PATH/hotplug-status" error
	exit 1
}

# The vif's configuration, as the toolstack wrote it.
bridge=$(xs_read bridge)
ip=$(xs_read ip)
mac=$(xs_read mac)
mtu=$(xs_read mtu)

# join_network MODE...: attaches the vif to its network, which must be one of MODE.
join_network() {
	local want=$* mode
	[ -n "$bridge" ] || fatal "no bridge= given for $vif"
	mode=$($NBCTL net-list --json | python3 -c "
import json, sys
for n in json.load(sys.stdin):
    if n['name'] == sys.argv[1]:
        print(n['mode'])
" "$bridge" 2>/dev/null)
	[ -n "$mode" ] || fatal "no netback network named '$bridge'"
	case " $want " in
	*" $mode "*) ;;
	*) fatal "network '$bridge' is in $mode mode; $(basename "$0") serves: $want" ;;
	esac
	out=$($NBCTL port-attach "$bridge" "$vif" 2>&1) || fatal "attaching $vif to $bridge: $out"
	log "attached to $mode network $bridge${ip:+ (ip $ip)}"
}

leave_network() {
	$NBCTL port-detach "$vif" 2>/dev/null || true
	log "detached"
}

# The MTU the guest may use, in its own frontend directory as Xen's set_mtu does.
publish_mtu() {
	local fe
	[ -n "$mtu" ] || return 0
	fe=$(xs_read frontend) || return 0
	xenstore-write "$fe/mtu" "$mtu" 2>/dev/null || true
}

call_hooks() {
	local h
	for h in "$SCRIPT_DIR"/vif-post.d/*.hook; do
		[ -f "$h" ] || continue
		# shellcheck disable=SC1090
		. "$h"
	done
}

case "$command" in
online | offline) ;;
*) fatal "unknown command '$command' (expected online or offline)" ;;
esac
