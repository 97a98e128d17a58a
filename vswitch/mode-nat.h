/* SPDX-License-Identifier: MIT */
/*
 * mode-nat.h - the fast-path NAT mode ("nat"): a private subnet whose guests and dom0 share a
 * learning bridge, and whose outbound IPv4 traffic is masqueraded behind the uplink address
 * by the NAT44 connection table (nat/nat44.h), in the switch instead of dom0's kernel.
 *
 * Ports: VIF (and OTHER) ports and the one HOST port are inside; the one UPLINK port is the
 * outside. Inside frames are bridged among inside ports only (never flooded to the uplink).
 * A guest frame sent to the host port's MAC (learned from the host port's frames: dom0 owns
 * the gateway address) whose IPv4 destination is outside the subnet is translated
 * (nat_ct_out), its TTL decremented, and sent out of the uplink from the uplink MAC to the
 * next hop's MAC (the destination when on the uplink's link, else uplink_gateway). To the
 * uplink address itself it is hairpinned back inside. The mode resolves next hops with its
 * own small ARP table (NAT_NEIGH_MAX entries, one packet held per unresolved entry) and
 * answers ARP for the uplink address. From the uplink, IPv4 to the uplink address is
 * translated (nat_ct_in) and delivered to the inside host with the host port's MAC as
 * source, so the guest sees it come from its gateway; everything else is dropped and
 * counted (NAT_NO_SESSION, or the L3_* counter of a malformed header).
 *
 * Arguments ("key=value,..."): subnet=A.B.C.D/N (required; the gateway is its first
 * address, owned by dom0 on the host port), uplink_address=A.B.C.D/N (required; the NAT's
 * external address), uplink_gateway=A.B.C.D (default route; without it only on-link
 * destinations are reached), uplink_mac=xx:xx:xx:xx:xx:xx (default: the uplink port's MAC),
 * port_min=N, port_max=N (external ports, default 1024..65535), max_sessions=N (default
 * NAT_MAX_SESSIONS_DEFAULT), aging=SECONDS and max_macs=N (the bridge's MAC table).
 *
 * Control command (vsw_net_ctl): `nat-show [--json]` lists the live sessions.
 * Threading and errors as every mode (switch.h): state on the network's worker; 0 or -errno.
 */
#ifndef VSW_MODE_NAT_H
#define VSW_MODE_NAT_H

#include "vswitch/switch.h"

#define VSW_NAT_NEIGH_MAX    16
#define VSW_NAT_HOSTS_MAX    1024 /* inside IPv4 -> MAC entries */
#define VSW_NAT_NEIGH_TTL_S  600  /* a resolved uplink neighbour is trusted this long */
#define VSW_NAT_ARP_RETRY_MS 1000 /* at most one ARP request per neighbour per this time */

extern const struct vsw_mode_ops vsw_mode_nat;

/* Registers vsw_mode_nat (vsw_mode_register()). */
int vsw_mode_nat_register(void);

#endif
