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

/* Which port roles may join a bridge variant: a mask of VSW_BRIDGE_ROLE(role) bits. */
#define VSW_BRIDGE_ROLE(role) (1u << (unsigned int)(role))
#define VSW_BRIDGE_ROLES_ALL                                                                       \
	(VSW_BRIDGE_ROLE(VSW_PORT_OTHER) | VSW_BRIDGE_ROLE(VSW_PORT_VIF) |                         \
	 VSW_BRIDGE_ROLE(VSW_PORT_HOST) | VSW_BRIDGE_ROLE(VSW_PORT_UPLINK))

/* The policy of a bridge variant (hostonly, isolated: mode-basic.h). */
struct vsw_bridge_policy {
	uint32_t roles; /* roles port_added accepts; others get -EPERM */
	bool vif_only;	/* frames leave only through VIF ports: floods skip other roles,
			 * unicast to another role is dropped (MODE_DENIED) */
};

/* The "bridge" mode; variants reuse its members other than create. */
extern const struct vsw_mode_ops vsw_mode_bridge;

/* The bridge's create() with 'policy' (copied) instead of the open one; for variants whose
 * ops use vsw_mode_bridge's other members on the state it makes. Same arguments and errors as
 * a "bridge" network. */
int vsw_bridge_create_policy(struct vsw_net *net, const char *args,
			     const struct vsw_bridge_policy *policy, void **statep);

/* Copies up to 'max' FDB entries of bridge network 'net' into 'infos'; returns the number
 * copied, -EINVAL if 'net' is not a bridge. */
int vsw_bridge_fdb(struct vsw_net *net, struct vsw_mac_info *infos, unsigned int max);

/* MAC table statistics of bridge network 'net'. */
int vsw_bridge_stats(struct vsw_net *net, struct vsw_mac_stats *stats);

#endif
