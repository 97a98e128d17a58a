/* SPDX-License-Identifier: MIT */
/*
 * mode-route.h - the routed mode ("route"): an IPv4/IPv6 router between the network's guests
 * (vif and host ports, the inside) and its uplink, in the manner of Xen's vif-route.
 *
 * Contract
 * - Mode arguments ("key=value,..."): gateway=GW/PREFIX (required: the router's inside
 *   address; the prefix is the inside subnet, unreachable except through guests' host
 *   routes), gateway6=GW6/PREFIX, uplink_address=CIDR, uplink_address6=CIDR,
 *   uplink_gateway=IP, uplink_gateway6=IP6 (default routes through the uplink),
 *   proxy_arp=0|1 (answer ARP/NS on the uplink for the guests' addresses), mac=MAC (the
 *   router's MAC on every port; default 02:xx.. derived from the network name),
 *   icmp_rate=N, icmp_burst=N (ICMP error token bucket, default 100/s, burst 50),
 *   follow_kernel=0|1 (import dom0's main routing table, see route/krt.h).
 * - Ports: vif and host ports are inside: their ips become /32 and /128 host routes to the
 *   port and are the only sources they may send from (L3_SPOOFED otherwise). One uplink
 *   port at most (-EBUSY for a second). Ports of role "other" may join but are not routed
 *   (MODE_DENIED). Two ports may not claim one address (-EADDRINUSE).
 * - Forwarding: IPv4 packets too big for the egress MTU are fragmented when DF is clear
 *   (ICMP frag needed when set); IPv6 ones get Packet Too Big. GSO frames are not MTU-checked
 *   (their segments are).
 * - Control commands (ctl): route-add PREFIX via NH | route-add PREFIX dev PORT,
 *   route-del PREFIX (static routes only), route-show [--json], neigh-show [--json].
 * - State: on the network's worker only; ctl runs there through vsw_net_call.
 * - Limits of the switch API, by design for now: a mode gets no output context in tick(),
 *   so neighbour solicitation retries are sent from process() (the next time the network
 *   receives anything); a retry due while the network is silent is used up unsent, so an
 *   unanswered resolution still fails after retries x 1 s. New frames (ARP requests,
 *   solicitations) are allocated from the pool of the packet being processed.
 * - Errors: 0 or -errno.
 */
#ifndef VSW_MODE_ROUTE_H
#define VSW_MODE_ROUTE_H

#include "vswitch/switch.h"

extern const struct vsw_mode_ops vsw_mode_route;

/* Registers vsw_mode_route (control thread, at start): 0 also if already registered. */
int vsw_mode_route_register(void);

#endif
