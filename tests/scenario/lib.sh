# SPDX-License-Identifier: MIT
# Shared helpers for scenario tests. Each test sources this file, registers what it creates
# with the cleanup functions, and reports each check as "ok - NAME" / "not ok - NAME" (counted
# by scripts/run-tests). Everything a test starts or creates is removed on exit, also on
# failure: processes by the pids the test recorded, namespaces by the names it created.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${NB_BIN:-$TOP/build/bin}
N_FAILED=0
_PIDS=()
_NETNS=()
_DIRS=()
# Every private directory lives under one root per test run, so that directories made in
# command substitutions (subshells, which cannot add to _DIRS) are removed too.
_TMPROOT=/tmp/nbtest.$$

ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $*"
	N_FAILED=$((N_FAILED + 1))
}

# check NAME CMD...: runs CMD, reports NAME as ok when it exits 0.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# require NAME CMD...: like check, but a failure ends the test (later checks would only
# repeat it).
require() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else
		not_ok "$name"
		echo "# stopping: later checks depend on this one"
		exit 1
	fi
}

# check_fails NAME CMD...: reports ok when CMD exits non-zero.
check_fails() {
	local name=$1
	shift
	if "$@"; then not_ok "$name"; else ok "$name"; fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"
		echo "#   expected: '$2'"
		echo "#   actual:   '$3'"
	fi
}

track_pid() { _PIDS+=("$1"); }
track_netns() { _NETNS+=("$1"); }

# tmpdir VAR: makes a private directory removed at exit.
make_tmpdir() {
	local d
	mkdir -p -m 700 "$_TMPROOT" && d=$(mktemp -d "$_TMPROOT/XXXXXX") || return 1
	printf '%s\n' "$d"
}

cleanup() {
	local p n d i
	# Keep the daemons' own words in the test log: they explain failures after the fact.
	if [ -n "${RUNDIR:-}" ] && [ -d "$RUNDIR" ] && [ "$N_FAILED" -gt 0 ]; then
		for f in netbackd.log nb-simhv.log hotplug.log; do
			[ -f "$RUNDIR/$f" ] && { echo "# ---- $f"; tail -n 30 "$RUNDIR/$f" | sed 's/^/# /'; }
		done
	fi
	for ((i = ${#_PIDS[@]} - 1; i >= 0; i--)); do
		p=${_PIDS[$i]}
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	# What our daemons started with our temporary directories on its command line (netbackd's
	# dnsmasq, a hotplug script) is ours too; it outlives them if they die unclean (a crash).
	for p in $(pgrep -f -- "$_TMPROOT/"); do
		[ "$p" != $$ ] && kill -TERM "$p" 2>/dev/null
	done
	for n in "${_NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done
	# _KEEP_DIRS=1 cleanup: ends processes and namespaces but keeps the files for later.
	if [ -z "${_KEEP_DIRS:-}" ]; then
		for d in "${_DIRS[@]}"; do rm -rf "$d"; done
		rm -rf "$_TMPROOT"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds or time runs out.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# start_simhv RUNDIR: starts nb-simhv as a daemon on RUNDIR and tracks its pid.
start_simhv() {
	local rundir=$1
	"$BIN/nb-simhv" --rundir "$rundir" || return 1
	track_pid "$(cat "$rundir/nb-simhv.pid")"
}

finish() {
	[ "$N_FAILED" -eq 0 ]
	exit $?
}

# ---- a dom0 with netback, in namespaces of its own ----------------------------------------
# start_dom0 PREFIX: makes namespace PREFIX-dom0 and a run directory, starts nb-simhv and
# netbackd there. Sets DOM0_NS, RUNDIR and exports NETBACK_RUNDIR.
start_dom0() {
	DOM0_NS=$1-dom0
	shift
	ip netns add "$DOM0_NS" || return 1
	track_netns "$DOM0_NS"
	ip -n "$DOM0_NS" link set lo up
	RUNDIR=$(make_tmpdir)
	export NETBACK_RUNDIR=$RUNDIR
	ip netns exec "$DOM0_NS" "$BIN/nb-simhv" --rundir "$RUNDIR" || return 1
	track_pid "$(cat "$RUNDIR/nb-simhv.pid")"
	ip netns exec "$DOM0_NS" "$BIN/netbackd" --rundir "$RUNDIR" "$@" || return 1
	track_pid "$(cat "$RUNDIR/netbackd.pid")"
}

in_dom0() { ip netns exec "$DOM0_NS" "$@"; }
# nbctl reaches netbackd and XenStore through Unix sockets, so it runs in the test's own
# namespaces (ip netns exec would hide the guest namespaces that nbctl create makes).
nbctl() { "$BIN/nbctl" --rundir "$RUNDIR" "$@"; }
xs() { XENSTORED_PATH=$RUNDIR/xenstored/socket "$@"; }

# make_guest NAME IP/PREFIX MAC [BRIDGE [EXTRA]]: writes an xl config and creates the domain;
# EXTRA is appended to its kernel command line; its namespace (NAME) is removed at exit.
make_guest() {
	local name=$1 cidr=$2 mac=$3 bridge=${4:-br0} more=${5:-} cfg
	cfg=$RUNDIR/$name.cfg
	cat >"$cfg" <<CFG
# simulated PV guest for a scenario test
name = "$name"
memory = 64
vcpus = 1
kernel = "/boot/vmlinuz"   # accepted and ignored by the simulated guest
extra = "ip=${cidr%/*} netmask=$(prefix_to_mask "${cidr#*/}")${more:+ $more}"
vif = [ 'mac=$mac,bridge=$bridge' ]
CFG
	track_netns "$name"
	nbctl create "$cfg"
	local gpid
	gpid=$(cat "$RUNDIR/guests/$name.pid" 2>/dev/null) && track_pid "$gpid"
}

prefix_to_mask() {
	local p=$1 m=0 i
	for ((i = 0; i < 32; i++)); do
		m=$(((m << 1) | (i < p ? 1 : 0)))
	done
	echo "$(((m >> 24) & 255)).$(((m >> 16) & 255)).$(((m >> 8) & 255)).$((m & 255))"
}

in_guest() {
	local g=$1
	shift
	ip netns exec "$g" "$@"
}

# be_state DOMID DEVID / fe_state DOMID DEVID: XenbusState numbers from XenStore.
be_state() { xs xenstore-read "/local/domain/0/backend/vif/$1/$2/state" 2>/dev/null; }
fe_state() { xs xenstore-read "/local/domain/$1/device/vif/$2/state" 2>/dev/null; }
domid_of() {
	nbctl list --json | python3 -c "import json,sys; print([d['domid'] for d in json.load(sys.stdin) if d['name']=='$1'][0])"
}
connected() { [ "$(be_state "$1" "$2")" = 4 ] && [ "$(fe_state "$1" "$2")" = 4 ]; }

# make_outside PREFIX [OUT_CIDR]: an "outside" host in namespace PREFIX-out, linked to dom0 by a
# veth pair: "upl0" in dom0's namespace (left without an address: the caller decides who owns
# it), "eth0" outside with OUT_CIDR (default 192.0.2.1/24). Sets OUT_NS.
make_outside() {
	OUT_NS=$1-out
	local cidr=${2:-192.0.2.1/24}
	ip netns add "$OUT_NS" || return 1
	track_netns "$OUT_NS"
	ip -n "$OUT_NS" link set lo up
	ip link add "$1-u" type veth peer name "$1-o" || return 1
	ip link set "$1-u" netns "$DOM0_NS" || return 1
	ip link set "$1-o" netns "$OUT_NS" || return 1
	ip -n "$DOM0_NS" link set "$1-u" name upl0 &&
		ip -n "$DOM0_NS" link set upl0 up &&
		ip -n "$OUT_NS" link set "$1-o" name eth0 &&
		ip -n "$OUT_NS" addr add "$cidr" dev eth0 &&
		ip -n "$OUT_NS" link set eth0 up
}

in_out() { ip netns exec "$OUT_NS" "$@"; }

# make_guest_cfg NAME EXTRA VIFSPEC: like make_guest, with a free-form extra= and vif spec.
make_guest_cfg() {
	local name=$1 extra=$2 vif=$3 cfg gpid
	cfg=$RUNDIR/$name.cfg
	printf 'name = "%s"\nmemory = 64\nextra = "%s"\nvif = [ '"'"'%s'"'"' ]\n' \
		"$name" "$extra" "$vif" >"$cfg"
	track_netns "$name"
	nbctl create "$cfg" || return 1
	gpid=$(cat "$RUNDIR/guests/$name.pid" 2>/dev/null) && track_pid "$gpid"
}

# jumbo_vif GUEST MAC CIDR [BRIDGE]: hot-plugs a second vif with xl mtu=9000 into GUEST
# (eth1), checks it comes up with MTU 9000 and gives it CIDR. The guest then answers ARP only
# on the interface holding the address (two vifs of one guest on one L2).
jumbo_vif() {
	local g=$1 mac=$2 cidr=$3 bridge=${4:-br0}
	check "$g: second vif with mtu=9000" nbctl network-attach "$g" "mac=$mac,bridge=$bridge,mtu=9000"
	check "$g's eth1 is up with MTU 9000" wait_for 15 sh -c "ip -n $g link show eth1 | grep -q 'mtu 9000'"
	in_guest "$g" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
	in_guest "$g" ip addr add "$cidr" dev eth1
}

# guest_ip NAME: the guest's IPv4 address on eth0 (empty until it has one).
guest_ip() {
	ip -n "$1" -4 -o addr show eth0 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -1
}
