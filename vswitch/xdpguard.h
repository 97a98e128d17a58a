/* SPDX-License-Identifier: MIT */
/*
 * xdpguard.h - the uplink guard: an XDP program on a network's uplink interface that drops,
 * before they cost a copy into the switch, frames the switch would drop anyway or that
 * impersonate the network's guests (the checks and maps: vswitch/bpf/xdp-guard.h).
 *
 * Contract:
 * - Two ways to have one. xdpg_open() loads vswitch/bpf/xdp-guard.bpf.c (XDPG_PROG_FILE,
 *   found like the af_xdp port's program: $NB_BPF_DIR, else ../bpf beside the executable)
 *   and xdpg_attach() attaches it to an interface through a BPF link, in driver mode, else
 *   generic (skb) mode: -EBUSY if an XDP program is there already. The link belongs to the
 *   process, so the program goes with xdpg_close() and also when the process dies, however.
 *   The af_packet port does this (guard=1). xdpg_borrow() wraps the guard maps of a program
 *   already loaded by someone else (the af_xdp port's xdp-redirect.bpf.c, which runs the
 *   same checks before its redirect) and turns the guard on; xdpg_close() turns it off and
 *   leaves that program alone.
 * - The maps: xdpg_sync() makes the guest MAC and IPv4 maps hold exactly what 'want' holds
 *   (stale keys deleted, new ones added). xdpg_set_from_net() collects 'want' from a
 *   network: the MAC (port_get_etheraddr) and the IPv4 addresses (their ip=, prefixes too)
 *   of every port added with the VIF role. Control thread, after every change of the
 *   network's ports.
 * - xdpg_add_counters() adds the per-CPU drop counters to a port's counters
 *   (VSW_CTR_XDP_DROP_RUNT, _BAD_SRC_MAC, _SPOOFED_MAC, _SPOOFED_IP); from get_stats.
 * - Errors: 0 or -errno (-EPERM without CAP_BPF/CAP_NET_ADMIN, -ENOENT without the program
 *   file, -E2BIG when 'want' exceeds a map). Control thread only.
 */
#ifndef VSW_XDPGUARD_H
#define VSW_XDPGUARD_H

#include "vswitch/bpf/xdp-guard.h"
#include "vswitch/counters.h"
#include "vswitch/switch.h"

#include <stdint.h>

#define XDPG_PROG_FILE "xdp-guard.bpf.o"
#define XDPG_PROG_NAME "nb_xdp_guard"

struct xdpg;
struct bpf_object;

/* What the guard's maps should hold. */
struct xdpg_set {
	unsigned int n_macs, n_ip4;
	struct nb_guard_mac macs[NB_GUARD_MACS_MAX];
	struct nb_guard_ip4 ip4[NB_GUARD_IP4_MAX];
};

/* Loads the guard program from 'path' (NULL: the default place), guard on, not attached. */
int xdpg_open(const char *path, struct xdpg **gp);

/* Attaches an xdpg_open()ed guard to 'ifindex' (driver mode, else generic mode). */
int xdpg_attach(struct xdpg *g, int ifindex);

/* "driver mode" or "generic mode" once attached, else NULL. */
const char *xdpg_mode(const struct xdpg *g);

/* The guard maps of 'obj' (loaded, not owned), turned on. -ENOENT if it has none. */
int xdpg_borrow(struct bpf_object *obj, struct xdpg **gp);

/* Detaches and unloads what xdpg_open() made, or turns a borrowed guard off. NULL ok. */
void xdpg_close(struct xdpg *g);

/* The program's fd (for tests: bpf_prog_test_run), -1 for a borrowed guard. */
int xdpg_prog_fd(const struct xdpg *g);

int xdpg_sync(struct xdpg *g, const struct xdpg_set *want);

/* Fills 'set' from the VIF-role ports of 'net' (MACs and IPv4 addresses de-duplicated);
 * -E2BIG if they do not fit. */
int xdpg_set_from_net(const struct vsw_switch *sw, const struct vsw_net *net, struct xdpg_set *set);

/* Drops per reason (summed over CPUs) into 'drops'. */
int xdpg_read(const struct xdpg *g, uint64_t drops[NB_GUARD_REASONS]);

/* Adds the drops to the counters XDP_DROP_*; nothing if they cannot be read. */
void xdpg_add_counters(const struct xdpg *g, struct vsw_counters *ctrs);

#endif
