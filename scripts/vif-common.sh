# SPDX-License-Identifier: MIT
# vif-common.sh - shared by netback's vif hotplug scripts (sourced, not run).
#
# netbackd runs a vif's script as libxl does: "SCRIPT online|offline type_if=vif" with
# XENBUS_PATH (backend/vif/<domid>/<devid>, relative to dom0's XenStore home), vif (the dom0
# name of the vif), netdev, script, XENBUS_TYPE and XENBUS_BASE_PATH in the environment, plus
# NETBACK_RUNDIR and, on the simulated hypervisor, XENSTORED_PATH. A script reports with
# success (hotplug-status = connected) or fatal MESSAGE (hotplug-error = MESSAGE,
# hotplug-status = error, exit 1), like Xen's xen-hotplug-common.sh.

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

case "$command" in
online | offline) ;;
*) fatal "unknown command '$command' (expected online or offline)" ;;
esac
