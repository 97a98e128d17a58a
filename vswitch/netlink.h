/* SPDX-License-Identifier: MIT */
/*
 * netlink.h - small rtnetlink helpers (libmnl) for configuring dom0 interfaces the switch
 * creates, such as a network's host port: addresses and link state.
 *
 * Contract: each call opens a NETLINK_ROUTE socket in the caller's network namespace, sends
 * one request with NLM_F_ACK and waits for the kernel's answer (control thread only, never on
 * the data path). Returns 0 or -errno (the kernel's error, e.g. -EEXIST for an address that
 * is already there).
 */
#ifndef VSW_NETLINK_H
#define VSW_NETLINK_H

/* Parses "A.B.C.D/N" or "X:Y::Z/N" into family, address bytes and prefix length. */
int vsw_nl_parse_cidr(const char *cidr, int *family, unsigned char addr[16], unsigned int *prefix);

/* Adds (or removes) address 'cidr' on interface 'ifname'. */
int vsw_nl_addr_add(const char *ifname, const char *cidr);
int vsw_nl_addr_del(const char *ifname, const char *cidr);

/* Sets interface 'ifname' up or down. */
int vsw_nl_link_set_up(const char *ifname, int up);

#endif
