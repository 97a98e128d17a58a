/* SPDX-License-Identifier: MIT */
/*
 * counters.h - the named drop and event counters of ports and modes.
 *
 * Contract: VSW_COUNTERS() is the one list of every reason the switch drops a frame (kind
 * DROP) or notes an event worth showing (kind EVENT). Each entry has an upper-case id (the
 * enum member VSW_CTR_<id>), a lower-case name (what `nbctl stats` prints and --json uses
 * as the key) and a one-line description. Every code path that drops a frame bumps one of
 * these; a new drop reason gets a new line here, never a reuse of a vaguer one.
 *
 * A struct vsw_counters has exactly one writer, the worker that owns the port or mode
 * instance, which bumps it with vsw_counter_add() (a relaxed load and store, no locked
 * instruction). Any thread may read it with vsw_counters_read(); values from several
 * workers are summed on read with vsw_counters_sum(). Header only.
 */
#ifndef VSW_COUNTERS_H
#define VSW_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

/* X(ID, name, KIND, description); the tables below rely on this order matching the enum. */
#define VSW_COUNTERS(X)                                                                            \
	X(RX_NOBUF, rx_nobuf, DROP, "received frame dropped: packet pool of the worker empty")     \
	X(RX_QUEUE_FULL, rx_queue_full, DROP, "received frame dropped: port receive queue full")   \
	X(RX_RUNT, rx_runt, DROP, "received frame shorter than an Ethernet header")                \
	X(RX_TOO_BIG, rx_too_big, DROP, "received frame longer than the port MTU allows")          \
	X(RX_BAD_SRC_MAC, rx_bad_src_mac, DROP, "source MAC is multicast, broadcast or zero")      \
	X(RX_BAD_VNET_HDR, rx_bad_vnet_hdr, DROP, "received frame dropped: bad vnet header")       \
	X(RX_FILL_EMPTY, rx_fill_empty, DROP, "received frame dropped: AF_XDP fill ring empty")    \
	X(TX_QUEUE_FULL, tx_queue_full, DROP, "frame dropped: destination transmit queue full")    \
	X(TX_TOO_BIG, tx_too_big, DROP, "frame dropped: longer than the destination MTU allows")   \
	X(TX_PORT_DOWN, tx_port_down, DROP, "frame dropped: destination port down")                \
	X(TX_ERROR, tx_error, DROP, "frame dropped: the destination port refused it")              \
	X(TX_COPIED, tx_copied, EVENT, "frame copied into a device buffer (not from its pool)")    \
	X(FWD_REFLECT, fwd_reflect, DROP, "frame dropped: destination is the ingress port")        \
	X(FWD_FLOOD, fwd_flood, EVENT, "broadcast, multicast or unknown unicast frame flooded")    \
	X(MODE_DENIED, mode_denied, DROP, "frame dropped: the network's mode forbids this path")   \
	X(RX_ERROR, rx_error, DROP, "received frame dropped: the port reported an error")          \
	X(L3_BAD_HDR, l3_bad_hdr, DROP, "IP header invalid: version, length or checksum")          \
	X(L3_TRUNCATED, l3_truncated, DROP, "frame shorter than its IP/ARP/ND headers say")        \
	X(L3_NOT_FOR_US, l3_not_for_us, DROP, "routed mode: frame not addressed to the router")    \
	X(L3_UNSUPPORTED, l3_unsupported, DROP, "routed mode: ethertype or protocol not handled")  \
	X(L3_SPOOFED, l3_spoofed, DROP, "source address not allowed for this port (ip=)")          \
	X(L3_NO_ROUTE, l3_no_route, DROP, "no route to the destination")                           \
	X(L3_TTL_EXCEEDED, l3_ttl_exceeded, DROP, "TTL or hop limit expired")                      \
	X(L3_FRAG_NEEDED, l3_frag_needed, DROP, "too big for the next hop and DF set / IPv6")      \
	X(L3_NEIGH_FAILED, l3_neigh_failed, DROP, "next hop unresolved, or its queue full")        \
	X(L3_ICMP_RATELIMITED, l3_icmp_ratelimited, EVENT, "ICMP error not sent: rate limit")      \
	X(L3_ICMP_SENT, l3_icmp_sent, EVENT, "ICMP or ICMPv6 error sent")                          \
	X(L3_ARP_REPLIED, l3_arp_replied, EVENT, "ARP request or neighbour solicitation answered") \
	X(NAT_NO_SESSION, nat_no_session, DROP, "inbound frame matches no NAT session")            \
	X(NAT_PORTS_EXHAUSTED, nat_ports_exhausted, DROP, "no free NAT port for a new session")    \
	X(NAT_TABLE_FULL, nat_table_full, DROP, "NAT session table full")                          \
	X(NAT_BAD_ICMP, nat_bad_icmp, DROP, "ICMP error whose inner packet cannot be translated")  \
	X(NAT_UNSUPPORTED, nat_unsupported, DROP, "protocol NAT cannot translate")                 \
	X(NAT_HAIRPIN, nat_hairpin, EVENT, "inside-to-inside flow through the public address")     \
	X(TX_GSO_BAD, tx_gso_bad, DROP, "GSO frame dropped: cannot be segmented (bad headers)")    \
	X(TX_GSO_SEGMENTED, tx_gso_segmented, EVENT, "GSO frame segmented in software")            \
	X(TX_CSUM_DONE, tx_csum_done, EVENT, "partial checksum completed in software")             \
	X(XDP_DROP_RUNT, xdp_drop_runt, DROP, "uplink guard (XDP): frame shorter than 14 bytes")   \
	X(XDP_DROP_BAD_SRC_MAC, xdp_drop_bad_src_mac, DROP,                                        \
	  "uplink guard (XDP): source MAC multicast, broadcast or zero")                           \
	X(XDP_DROP_SPOOFED_MAC, xdp_drop_spoofed_mac, DROP,                                        \
	  "uplink guard (XDP): a guest's source MAC arriving from the wire")                       \
	X(XDP_DROP_SPOOFED_IP, xdp_drop_spoofed_ip, DROP,                                          \
	  "uplink guard (XDP): a guest's IPv4 source / ARP sender from the wire")

enum vsw_counter_kind {
	VSW_CTR_KIND_DROP,
	VSW_CTR_KIND_EVENT,
};

/* VSW_CTR_<ID> for each counter, then VSW_CTR_N, the number of counters. */
#define VSW_CTR_ENUM_(id, name, kind, desc) VSW_CTR_##id,
enum vsw_counter { VSW_COUNTERS(VSW_CTR_ENUM_) VSW_CTR_N };
#undef VSW_CTR_ENUM_

struct vsw_counters {
	uint64_t c[VSW_CTR_N]; /* indexed by enum vsw_counter */
};

/* The lower-case name of 'ctr', or NULL if out of range. */
static inline const char *
vsw_counter_name(enum vsw_counter ctr)
{
	static const char *const names[VSW_CTR_N] = {
#define VSW_CTR_NAME_(id, name, kind, desc) #name,
		VSW_COUNTERS(VSW_CTR_NAME_)
#undef VSW_CTR_NAME_
	};

	return (unsigned int)ctr < VSW_CTR_N ? names[ctr] : NULL;
}

/* The description of 'ctr', or NULL if out of range. */
static inline const char *
vsw_counter_desc(enum vsw_counter ctr)
{
	static const char *const descs[VSW_CTR_N] = {
#define VSW_CTR_DESC_(id, name, kind, desc) desc,
		VSW_COUNTERS(VSW_CTR_DESC_)
#undef VSW_CTR_DESC_
	};

	return (unsigned int)ctr < VSW_CTR_N ? descs[ctr] : NULL;
}

/* Whether 'ctr' counts drops or events; out of range reads as an event. */
static inline enum vsw_counter_kind
vsw_counter_kind(enum vsw_counter ctr)
{
	static const unsigned char kinds[VSW_CTR_N] = {
#define VSW_CTR_KIND_(id, name, kind, desc) VSW_CTR_KIND_##kind,
		VSW_COUNTERS(VSW_CTR_KIND_)
#undef VSW_CTR_KIND_
	};

	return (unsigned int)ctr < VSW_CTR_N ? (enum vsw_counter_kind)kinds[ctr]
					     : VSW_CTR_KIND_EVENT;
}

/*
 * Adds 'n' to '*ctr'. Only the single writer may call this: the relaxed load + store is not
 * an atomic increment, it only makes concurrent readers see whole values (and keeps TSan
 * quiet) without a locked instruction on the fast path.
 */
static inline void
vsw_counter_add(uint64_t *ctr, uint64_t n)
{
	__atomic_store_n(ctr, __atomic_load_n(ctr, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* Reads one counter; safe from any thread. */
static inline uint64_t
vsw_counter_read(const uint64_t *ctr)
{
	return __atomic_load_n(ctr, __ATOMIC_RELAXED);
}

/* Copies a consistent-per-counter snapshot of 'src' into 'dst'; safe from any thread. */
static inline void
vsw_counters_read(const struct vsw_counters *src, struct vsw_counters *dst)
{
	for (unsigned int i = 0; i < VSW_CTR_N; i++)
		dst->c[i] = vsw_counter_read(&src->c[i]);
}

/* Adds every counter of 'src' (read from any thread) into 'acc' (private to the caller). */
static inline void
vsw_counters_sum(struct vsw_counters *acc, const struct vsw_counters *src)
{
	for (unsigned int i = 0; i < VSW_CTR_N; i++)
		acc->c[i] += vsw_counter_read(&src->c[i]);
}

#endif
