/* SPDX-License-Identifier: MIT */
/*
 * xdp-guard.h - the uplink guard's checks, shared by the XDP programs that include it
 * (xdp-guard.bpf.c on its own, xdp-redirect.bpf.c in front of its redirect) and the names
 * and layouts user space (vswitch/xdpguard.h) fills and reads.
 *
 * Contract: nb_guard_check() returns XDP_DROP, counted in nb_guard_drops[reason] (per CPU),
 * for a frame shorter than an Ethernet header, one whose source MAC is multicast, broadcast
 * or all-zero, one whose source MAC is in nb_guard_macs (a guest's: spoofed when it comes
 * from the wire), and an IPv4 packet or ARP message (untagged, or behind one or two VLAN
 * tags) whose source / sender address is in nb_guard_ip4 (a guest's ip=, LPM: host
 * addresses and prefixes); anything else, including headers too short to look at past the
 * Ethernet header, is NB_GUARD_PASS (the switch decides). When nb_guard_cfg[0] is 0 the
 * guard is off and every frame is NB_GUARD_PASS. The maps are written by user space only.
 */
#ifndef NB_BPF_XDP_GUARD_H
#define NB_BPF_XDP_GUARD_H

/* Drop reasons: the index into nb_guard_drops. */
#define NB_GUARD_RUNT	     0
#define NB_GUARD_BAD_SRC_MAC 1
#define NB_GUARD_SPOOFED_MAC 2
#define NB_GUARD_SPOOFED_IP  3
#define NB_GUARD_REASONS     4

#define NB_GUARD_MACS_MAX 1024 /* guest MACs of one network */
#define NB_GUARD_IP4_MAX  4096 /* guest IPv4 addresses/prefixes of one network */

#define NB_GUARD_MAP_MACS  "nb_guard_macs"
#define NB_GUARD_MAP_IP4   "nb_guard_ip4"
#define NB_GUARD_MAP_DROPS "nb_guard_drops"
#define NB_GUARD_MAP_CFG   "nb_guard_cfg"

/* nb_guard_macs' key; the value is a __u8, unused. */
struct nb_guard_mac {
	unsigned char addr[6];
};

/* nb_guard_ip4's key (LPM trie layout: prefix length, then the address in network order). */
struct nb_guard_ip4 {
	unsigned int prefixlen;
	unsigned char addr[4];
};

#if defined(__bpf__)
#include <linux/bpf.h>
#include <linux/if_ether.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define NB_GUARD_PASS (-1)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_GUARD_MACS_MAX);
	__type(key, struct nb_guard_mac);
	__type(value, __u8);
} nb_guard_macs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NB_GUARD_IP4_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct nb_guard_ip4);
	__type(value, __u8);
} nb_guard_ip4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NB_GUARD_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} nb_guard_drops SEC(".maps");

/* [0]: 1 = guard on. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} nb_guard_cfg SEC(".maps");

static __always_inline int
nb_guard_drop(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&nb_guard_drops, &reason);

	if (n)
		*n += 1; /* this CPU's slot: no other writer */
	return XDP_DROP;
}

static __always_inline int
nb_guard_src_ip4(const unsigned char *a)
{
	struct nb_guard_ip4 key = { .prefixlen = 32 };

	__builtin_memcpy(key.addr, a, 4);
	return bpf_map_lookup_elem(&nb_guard_ip4, &key) ? nb_guard_drop(NB_GUARD_SPOOFED_IP)
							: NB_GUARD_PASS;
}

static __always_inline int
nb_guard_check(struct xdp_md *ctx)
{
	const unsigned char *data = (const unsigned char *)(long)ctx->data;
	const unsigned char *end = (const unsigned char *)(long)ctx->data_end;
	const unsigned char *src, *l3;
	struct nb_guard_mac mac;
	__u32 zero = 0, *on;
	__u16 proto;

	on = bpf_map_lookup_elem(&nb_guard_cfg, &zero);
	if (!on || !*on)
		return NB_GUARD_PASS;
	if (data + ETH_HLEN > end)
		return nb_guard_drop(NB_GUARD_RUNT);
	src = data + ETH_ALEN;
	if ((src[0] & 1) || !(src[0] | src[1] | src[2] | src[3] | src[4] | src[5]))
		return nb_guard_drop(NB_GUARD_BAD_SRC_MAC);
	__builtin_memcpy(mac.addr, src, ETH_ALEN);
	if (bpf_map_lookup_elem(&nb_guard_macs, &mac))
		return nb_guard_drop(NB_GUARD_SPOOFED_MAC);
	proto = (__u16)(data[12] << 8 | data[13]);
	l3 = data + ETH_HLEN;
	/* Up to two VLAN tags (802.1Q, 802.1ad). */
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if (l3 + 4 > end)
			return NB_GUARD_PASS;
		proto = (__u16)(l3[2] << 8 | l3[3]);
		l3 += 4;
	}
	if (proto == ETH_P_IP) {
		if (l3 + 20 > end)
			return NB_GUARD_PASS;
		return nb_guard_src_ip4(l3 + 12);
	}
	if (proto == ETH_P_ARP) {
		/* Ethernet/IPv4 ARP: the sender's protocol address at offset 14. */
		if (l3 + 28 > end || l3[4] != 6 || l3[5] != 4)
			return NB_GUARD_PASS;
		return nb_guard_src_ip4(l3 + 14);
	}
	return NB_GUARD_PASS;
}
#endif /* __bpf__ */

#ifndef SEC /* for cppcheck (make lint), which reads neither bpf_helpers.h nor the above */
#define SEC(name)
#endif

#endif
