/* SPDX-License-Identifier: MIT */
/*
 * xdp-redirect.bpf.c - the XDP program of the "af_xdp" port class (vswitch/port-afxdp.h).
 *
 * Contract: every frame received on an interface this program is attached to is redirected
 * to the AF_XDP socket registered in 'nb_xsks' at the frame's receive queue index; a queue
 * with no socket passes its frames on to the kernel stack unchanged (bpf_redirect_map()'s
 * fallback action, kernel 5.3 and later). The map is filled by the port from user space.
 * The uplink guard (xdp-guard.h) runs first: a frame it drops never reaches the socket. It
 * is off until the port turns it on (guard=1, nb_guard_cfg). One program rather than
 * xdp-guard.bpf.c chained by libxdp's dispatcher: the dispatcher does not load here (see
 * vswitch/port-afxdp.h), and one program costs no tail call.
 */
#include "vswitch/bpf/xdp-guard.h"

#define NB_XSKS_MAX 64 /* receive queues; the port's queue_id= is below it */

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, NB_XSKS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} nb_xsks SEC(".maps");

SEC("xdp")
int
nb_xdp_redirect(struct xdp_md *ctx)
{
	int verdict = nb_guard_check(ctx);

	if (verdict != NB_GUARD_PASS)
		return verdict;
	return (int)bpf_redirect_map(&nb_xsks, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
