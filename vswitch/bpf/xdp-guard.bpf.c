/* SPDX-License-Identifier: MIT */
/*
 * xdp-guard.bpf.c - the uplink guard on its own (vswitch/xdpguard.h), attached to an
 * af_packet uplink: frames the guard drops (xdp-guard.h) die here, everything else goes on
 * to the kernel stack and the port's packet socket (XDP_PASS).
 */
#include "vswitch/bpf/xdp-guard.h"

SEC("xdp")
int
nb_xdp_guard(struct xdp_md *ctx)
{
	int verdict = nb_guard_check(ctx);

	return verdict == NB_GUARD_PASS ? XDP_PASS : verdict;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
