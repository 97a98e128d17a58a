/* SPDX-License-Identifier: MIT */
/*
 * nft.h - kernel NAT for a nat network: nftables rules in a table of our own, built with
 * libnftnl and applied through libmnl as ONE netlink batch (one atomic transaction).
 *
 * Contract
 * - For network NAME with private subnet S (CIDR), host port H (dom0's TAP, which carries the
 *   gateway address) and uplink U, the table `ip netback_NAME` holds exactly:
 *     chain postrouting { type nat hook postrouting priority 100; policy accept;
 *         ip saddr S oifname U masquerade }
 *     chain forward { type filter hook forward priority 0; policy accept;
 *         iifname H oifname U ip saddr S accept
 *         iifname U oifname H ct state established,related accept
 *         iifname U ip daddr S drop }
 *   so guests reach the outside masqueraded, and the outside reaches them only in reply.
 *   The forward chain's policy stays accept: traffic that is not this network's is not ours
 *   to judge. Enabling ip_forward is the caller's business.
 * - nat_nft_apply() is idempotent: one batch creates the table if missing, deletes it and
 *   creates it again with the chains and rules, so the kernel swaps old for new atomically
 *   and never shows a half-built table. nat_nft_remove() deletes the table (0 also if it was
 *   not there). nat_nft_check() reads the table back and compares it with what apply would
 *   build: 0 if identical, -ENOENT if the table is missing, -ESTALE if anything differs
 *   (a chain or rule deleted, added or changed), so `nbctl nat-check` can restore it.
 * - Arguments: NAME is 1..NAT_NFT_NAME_MAX characters of [A-Za-z0-9_.-]; S is "A.B.C.D/N";
 *   interface names are 1..15 characters. Bad arguments: -EINVAL.
 * - Needs CAP_NET_ADMIN in the network namespace of the caller (-EPERM otherwise). Each call
 *   opens its own netlink socket and waits at most NAT_NFT_TIMEOUT_MS for the kernel.
 * - Threading: no shared state; any thread. Errors: 0 or -errno (the kernel's error for a
 *   refused batch).
 */
#ifndef NAT_NFT_H
#define NAT_NFT_H

#include <stddef.h>
#include <stdint.h>

#define NAT_NFT_NAME_MAX     64
#define NAT_NFT_TIMEOUT_MS   5000
#define NAT_NFT_TABLE_PREFIX "netback_"

int nat_nft_apply(const char *name, const char *subnet, const char *host_if, const char *uplink_if);
int nat_nft_remove(const char *name);
int nat_nft_check(const char *name, const char *subnet, const char *host_if, const char *uplink_if);

/*
 * Builds the batch nat_nft_apply() sends into 'buf' ('size' bytes), netlink sequence numbers
 * from 'seq'; returns its length in bytes, -EINVAL for bad arguments, -E2BIG if 'size' is too
 * small. For tests and for showing what would be applied.
 */
int nat_nft_build(const char *name, const char *subnet, const char *host_if, const char *uplink_if,
		  void *buf, size_t size, uint32_t seq);

#endif
