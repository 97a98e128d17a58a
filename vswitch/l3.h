/* SPDX-License-Identifier: MIT */
/*
 * l3.h - small Ethernet, IPv4, IPv6, ARP and ICMP parse and build helpers shared by the
 * routed and NAT modes.
 *
 * Contract: header only, pure functions on caller-supplied byte arrays, no state, so any
 * thread may use them. Parsers take the number of bytes actually present ('avail') and
 * never read past it: input comes from guests and is hostile. Multi-byte fields are read and
 * written in network order through vsw_l3_get16/put16/get32/put32 (no unaligned struct
 * casts). Checks return 0, -EBADMSG for a malformed header (counted as L3_BAD_HDR) or
 * -EMSGSIZE for a header cut short (L3_TRUNCATED).
 */
#ifndef VSW_L3_H
#define VSW_L3_H

#include "vswitch/csum.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VSW_L3_ETH_HLEN	   14
#define VSW_L3_ETH_IP4	   0x0800
#define VSW_L3_ETH_ARP	   0x0806
#define VSW_L3_ETH_IP6	   0x86dd
#define VSW_L3_IP4_HLEN	   20
#define VSW_L3_IP6_HLEN	   40
#define VSW_L3_ARP_LEN	   28
#define VSW_L3_ICMP_HLEN   8
#define VSW_L3_PROTO_ICMP  1
#define VSW_L3_PROTO_TCP   6
#define VSW_L3_PROTO_UDP   17
#define VSW_L3_PROTO_ICMP6 58
#define VSW_L3_ARP_REQUEST 1
#define VSW_L3_ARP_REPLY   2
#define VSW_L3_ND_NS	   135
#define VSW_L3_ND_NA	   136
/* IPv4 flags/fragment-offset field bits. */
#define VSW_L3_IP4_DF	  0x4000
#define VSW_L3_IP4_MF	  0x2000
#define VSW_L3_IP4_OFFSET 0x1fff

static inline uint16_t
vsw_l3_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
vsw_l3_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
vsw_l3_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
vsw_l3_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline bool
vsw_l3_mac_is_mcast(const uint8_t *mac)
{
	return mac[0] & 1;
}

/* Writes an untagged Ethernet header at 'f'. */
static inline void
vsw_l3_eth_build(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memmove(f, dst, 6);
	memmove(f + 6, src, 6);
	vsw_l3_put16(f + 12, type);
}

/*
 * RFC 1624 eqn. 3 incremental update of the checksum at 'csum' after a 16-bit word of the
 * covered data changed from 'old' to 'new': HC' = ~(~HC + ~m + m'). Unlike eqn. 2 it never
 * turns a correct checksum into 0xffff/0x0000 ambiguity.
 */
static inline void
vsw_l3_csum_update16(uint8_t *csum, uint16_t old, uint16_t new_val)
{
	uint32_t sum = (uint16_t)~vsw_l3_get16(csum);

	sum += (uint16_t)~old;
	sum += new_val;
	vsw_l3_put16(csum, vsw_csum_fold(sum));
}

/* Checksum of an IPv4 header of 'hlen' bytes, with its own checksum field counted as is:
 * 0 when the header is correct. */
static inline uint16_t
vsw_l3_ip4_hdr_csum(const uint8_t *ip, unsigned int hlen)
{
	if (hlen == VSW_L3_IP4_HLEN) {
		/* The usual header: five 32-bit loads. A one's-complement sum of words read in
		 * host order is the byte-swapped sum of the big-endian words (RFC 1071). */
		uint32_t w[5], t;
		uint64_t s;

		memcpy(w, ip, sizeof(w));
		s = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
		s = (s & 0xffffffffu) + (s >> 32);
		t = (uint32_t)s + (uint32_t)(s >> 32);
		t = (t & 0xffff) + (t >> 16);
		t = (t & 0xffff) + (t >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		t = __builtin_bswap16((uint16_t)t);
#endif
		return (uint16_t)~t;
	}
	return vsw_csum_fold(vsw_csum_partial(ip, hlen, 0));
}

/* Computes and stores the header checksum of the IPv4 header at 'ip'. */
static inline void
vsw_l3_ip4_set_csum(uint8_t *ip)
{
	unsigned int hlen = (ip[0] & 0xfu) * 4u;

	ip[10] = ip[11] = 0;
	vsw_l3_put16(ip + 10, vsw_l3_ip4_hdr_csum(ip, hlen));
}

/*
 * Validates the IPv4 header at 'ip' ('avail' bytes present): version 4, IHL >= 5, the whole
 * header and total length present, total length >= header length, header checksum.
 * Sets '*hlen' and '*tot_len' on success.
 */
static inline int
vsw_l3_ip4_check(const uint8_t *ip, size_t avail, unsigned int *hlen, unsigned int *tot_len)
{
	unsigned int h, t;

	if (avail < VSW_L3_IP4_HLEN)
		return -EMSGSIZE;
	if ((ip[0] >> 4) != 4)
		return -EBADMSG;
	h = (ip[0] & 0xfu) * 4u;
	if (h < VSW_L3_IP4_HLEN)
		return -EBADMSG;
	if (h > avail)
		return -EMSGSIZE;
	t = vsw_l3_get16(ip + 2);
	if (t < h)
		return -EBADMSG;
	if (t > avail)
		return -EMSGSIZE;
	if (vsw_l3_ip4_hdr_csum(ip, h) != 0)
		return -EBADMSG;
	*hlen = h;
	*tot_len = t;
	return 0;
}

/* Validates the fixed IPv6 header at 'ip': version 6 and the payload present. Sets
 * '*tot_len' (header + payload). */
static inline int
vsw_l3_ip6_check(const uint8_t *ip, size_t avail, unsigned int *tot_len)
{
	unsigned int t;

	if (avail < VSW_L3_IP6_HLEN)
		return -EMSGSIZE;
	if ((ip[0] >> 4) != 6)
		return -EBADMSG;
	t = VSW_L3_IP6_HLEN + vsw_l3_get16(ip + 4);
	if (t > avail)
		return -EMSGSIZE;
	*tot_len = t;
	return 0;
}

/* Whether the IPv4 address at 'a' is multicast, limited broadcast, zero, loopback or class
 * E: never a unicast peer. */
static inline bool
vsw_l3_ip4_is_special(const uint8_t *a)
{
	return a[0] >= 224 || a[0] == 127 || a[0] == 0;
}

static inline bool
vsw_l3_ip6_is_mcast(const uint8_t *a)
{
	return a[0] == 0xff;
}

static inline bool
vsw_l3_ip6_is_unspec(const uint8_t *a)
{
	static const uint8_t zero[16];

	return !memcmp(a, zero, 16);
}

static inline bool
vsw_l3_ip6_is_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* The solicited-node multicast address of 'a' (RFC 4291 2.7.1) into 'out'. */
static inline void
vsw_l3_ip6_solicited(uint8_t *out, const uint8_t *a)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };

	memcpy(out, pfx, 13);
	memcpy(out + 13, a + 13, 3);
}

/* The Ethernet multicast address of IPv6 multicast address 'a' (RFC 2464 7). */
static inline void
vsw_l3_ip6_mcast_mac(uint8_t *mac, const uint8_t *a)
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, a + 12, 4);
}

/* The checksum of an upper-layer payload 'l4' of 'len' bytes over IPv6 (RFC 8200 8.1)
 * between 'src' and 'dst' with next header 'nh': 0 when a received checksum is correct. */
static inline uint16_t
vsw_l3_ip6_l4_csum(const uint8_t *src, const uint8_t *dst, uint8_t nh, const uint8_t *l4,
		   uint32_t len)
{
	uint8_t ph[8];
	uint32_t sum;

	vsw_l3_put32(ph, len);
	ph[4] = ph[5] = ph[6] = 0;
	ph[7] = nh;
	sum = vsw_csum_partial(src, 16, 0);
	sum = vsw_csum_partial(dst, 16, sum);
	sum = vsw_csum_partial(ph, 8, sum);
	return vsw_csum_fold(vsw_csum_partial(l4, len, sum));
}

/* The checksum of an upper-layer payload over IPv4 (pseudo-header of RFC 793). */
static inline uint16_t
vsw_l3_ip4_l4_csum(const uint8_t *src, const uint8_t *dst, uint8_t proto, const uint8_t *l4,
		   uint32_t len)
{
	uint8_t ph[4] = { 0, proto, (uint8_t)(len >> 8), (uint8_t)len };
	uint32_t sum;

	sum = vsw_csum_partial(src, 4, 0);
	sum = vsw_csum_partial(dst, 4, sum);
	sum = vsw_csum_partial(ph, 4, sum);
	return vsw_csum_fold(vsw_csum_partial(l4, len, sum));
}

/* Writes a 20-byte IPv4 header without options at 'ip' (DF clear, id 0) and its checksum. */
static inline void
vsw_l3_ip4_build(uint8_t *ip, uint16_t tot_len, uint8_t ttl, uint8_t proto, const uint8_t *src,
		 const uint8_t *dst)
{
	ip[0] = 0x45;
	ip[1] = 0;
	vsw_l3_put16(ip + 2, tot_len);
	vsw_l3_put32(ip + 4, 0);
	ip[8] = ttl;
	ip[9] = proto;
	memmove(ip + 12, src, 4);
	memmove(ip + 16, dst, 4);
	vsw_l3_ip4_set_csum(ip);
}

/* Writes a fixed IPv6 header at 'ip' (traffic class and flow label 0). */
static inline void
vsw_l3_ip6_build(uint8_t *ip, uint16_t payload_len, uint8_t nh, uint8_t hlim, const uint8_t *src,
		 const uint8_t *dst)
{
	vsw_l3_put32(ip, 0x60000000u);
	vsw_l3_put16(ip + 4, payload_len);
	ip[6] = nh;
	ip[7] = hlim;
	memmove(ip + 8, src, 16);
	memmove(ip + 24, dst, 16);
}

/* An ARP packet for IPv4 over Ethernet. */
struct vsw_l3_arp {
	uint16_t op;
	uint8_t sha[6];
	uint8_t spa[4];
	uint8_t tha[6];
	uint8_t tpa[4];
};

/* Parses the ARP packet at 'a': only Ethernet/IPv4 (htype 1, ptype 0x0800, 6/4). */
static inline int
vsw_l3_arp_parse(const uint8_t *a, size_t avail, struct vsw_l3_arp *arp)
{
	if (avail < VSW_L3_ARP_LEN)
		return -EMSGSIZE;
	if (vsw_l3_get16(a) != 1 || vsw_l3_get16(a + 2) != VSW_L3_ETH_IP4 || a[4] != 6 || a[5] != 4)
		return -EBADMSG;
	arp->op = vsw_l3_get16(a + 6);
	memcpy(arp->sha, a + 8, 6);
	memcpy(arp->spa, a + 14, 4);
	memcpy(arp->tha, a + 18, 6);
	memcpy(arp->tpa, a + 24, 4);
	return 0;
}

/* Writes the 28-byte ARP packet 'arp' at 'a'. */
static inline void
vsw_l3_arp_build(uint8_t *a, const struct vsw_l3_arp *arp)
{
	vsw_l3_put16(a, 1);
	vsw_l3_put16(a + 2, VSW_L3_ETH_IP4);
	a[4] = 6;
	a[5] = 4;
	vsw_l3_put16(a + 6, arp->op);
	memcpy(a + 8, arp->sha, 6);
	memcpy(a + 14, arp->spa, 4);
	memcpy(a + 18, arp->tha, 6);
	memcpy(a + 24, arp->tpa, 4);
}

#endif
