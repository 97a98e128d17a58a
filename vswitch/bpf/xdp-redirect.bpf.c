/* SPDX-License-Identifier: MIT */
/*
 * xdp-redirect.bpf.c - the XDP program of the "af_xdp" port class (vswitch/port-afxdp.h).
 *
 * Contract: every frame received on an interface this program is attached to is redirected
 * to the AF_XDP socket registered in 'nb_xsks' at the frame's receive queue index; a queue
 * with no socket passes its frames on to the kernel stack unchanged (bpf_redirect_map()'s
 * fallback action, kernel 5.3 and later). The map is filled by the port from user space.
 */
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#ifndef SEC /* for cppcheck (make lint), which does not read bpf_helpers.h */
#define SEC(name)
#endif

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
	return (int)bpf_redirect_map(&nb_xsks, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
