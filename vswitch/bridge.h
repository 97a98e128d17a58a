/* SPDX-License-Identifier: MIT */
/*
 * bridge.h - the learning bridge mode ("bridge"): MAC learning per {MAC, VLAN} with aging and
 * a size cap (mac-table.h), flooding of broadcast, multicast and unknown unicast, never
 * sending a frame back out of its ingress port, VLAN tags carried through untouched.
 *
 * Mode arguments ("key=value,..."): aging=SECONDS (default 300), max_macs=N (default 8192).
 * The mode state lives on the network's worker; the control thread reads it only through
 * vsw_bridge_fdb() (which runs on the worker). Errors: 0 or -errno.
 */
#ifndef VSW_BRIDGE_H
#define VSW_BRIDGE_H

#include "vswitch/mac-table.h"
#include "vswitch/switch.h"

/* Copies up to 'max' FDB entries of bridge network 'net' into 'infos'; returns the number
 * copied, -EINVAL if 'net' is not a bridge. */
int vsw_bridge_fdb(struct vsw_net *net, struct vsw_mac_info *infos, unsigned int max);

/* MAC table statistics of bridge network 'net'. */
int vsw_bridge_stats(struct vsw_net *net, struct vsw_mac_stats *stats);

#endif
