/* SPDX-License-Identifier: MIT */
/*
 * csum.c - TCP/UDP checksums over IPv4/IPv6 in Ethernet frames (see csum.h). Parsing follows
 * the frame bytes with explicit bounds checks; nothing is read beyond p->len.
 */
#include "vswitch/csum.h"
#include "vswitch/pkt.h"

#include <errno.h>
#include <string.h>

#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_IPV6 0x86dd
#define ETH_TYPE_VLAN 0x8100
#define ETH_TYPE_QINQ 0x88a8
#define IPPROTO_TCP_  6
#define IPPROTO_UDP_  17

uint32_t
vsw_csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *b = data;
	uint64_t acc = 0;
	uint32_t fold;

	/* RFC 1071: the one's-complement sum is byte-order independent, so add native 32-bit
	 * words into a 64-bit accumulator and swap once at the end (GSO frames are 64 KiB). */
	while (len >= 16) {
		uint32_t w[4];

		memcpy(w, b, sizeof(w));
		acc += (uint64_t)w[0] + w[1] + w[2] + w[3];
		b += 16;
		len -= 16;
	}
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, b, sizeof(w));
		acc += w;
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;

		memcpy(&h, b, sizeof(h));
		acc += h;
		b += 2;
		len -= 2;
	}
	if (len) {
		/* The last odd byte is the high byte of a big-endian 16-bit word. */
		uint8_t last[2] = { b[0], 0 };
		uint16_t h;

		memcpy(&h, last, sizeof(h));
		acc += h;
	}
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	fold = (uint32_t)acc;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	fold = ((fold & 0xff) << 8) | (fold >> 8);
#endif
	acc = (uint64_t)sum + fold;
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

int
vsw_csum_l4_locate(const uint8_t *d, uint32_t len, struct vsw_l4 *loc)
{
	uint32_t off = 12, l3;
	uint16_t type;
	int tags = 0;

	if (len < 14)
		return -EINVAL;
	type = (uint16_t)(d[12] << 8 | d[13]);
	off = 14;
	while ((type == ETH_TYPE_VLAN || type == ETH_TYPE_QINQ) && tags++ < 2) {
		if (len < off + 4)
			return -EINVAL;
		type = (uint16_t)(d[off + 2] << 8 | d[off + 3]);
		off += 4;
	}
	l3 = off;
	loc->l3_off = l3;
	if (type == ETH_TYPE_IPV4) {
		uint32_t ihl, tot;

		if (len < l3 + 20 || (d[l3] >> 4) != 4)
			return -EINVAL;
		ihl = (uint32_t)(d[l3] & 0xf) * 4;
		tot = (uint32_t)(d[l3 + 2] << 8 | d[l3 + 3]);
		if (ihl < 20 || tot < ihl || len < l3 + tot)
			return -EINVAL;
		/* A fragment's checksum covers the whole datagram: not ours to compute. */
		if ((d[l3 + 6] & 0x3f) || d[l3 + 7])
			return -EPROTONOSUPPORT;
		loc->proto = d[l3 + 9];
		loc->l4_off = l3 + ihl;
		loc->l4_len = tot - ihl;
		loc->pseudo = vsw_csum_partial(d + l3 + 12, 8, 0);
		loc->ipv6 = false;
	} else if (type == ETH_TYPE_IPV6) {
		uint32_t plen, hdr = l3 + 40;
		uint8_t nh;
		int ext = 0;

		if (len < l3 + 40 || (d[l3] >> 4) != 6)
			return -EINVAL;
		plen = (uint32_t)(d[l3 + 4] << 8 | d[l3 + 5]);
		if (len < l3 + 40 + plen)
			return -EINVAL;
		nh = d[l3 + 6];
		/* Skip hop-by-hop (0), routing (43) and destination options (60). */
		while ((nh == 0 || nh == 43 || nh == 60) && ext++ < 8) {
			if (l3 + 40 + plen < hdr + 8)
				return -EINVAL;
			nh = d[hdr];
			hdr += 8 + (uint32_t)d[hdr + 1] * 8;
			if (hdr > l3 + 40 + plen)
				return -EINVAL;
		}
		loc->proto = nh;
		loc->l4_off = hdr;
		loc->l4_len = l3 + 40 + plen - hdr;
		loc->pseudo = vsw_csum_partial(d + l3 + 8, 32, 0);
		loc->ipv6 = true;
	} else {
		return -EPROTONOSUPPORT;
	}
	if (loc->proto == IPPROTO_TCP_) {
		if (loc->l4_len < 20)
			return -EINVAL;
		loc->csum_off = loc->l4_off + 16;
	} else if (loc->proto == IPPROTO_UDP_) {
		if (loc->l4_len < 8)
			return -EINVAL;
		loc->csum_off = loc->l4_off + 6;
	} else {
		return -EPROTONOSUPPORT;
	}
	loc->pseudo += loc->proto;
	loc->pseudo += loc->l4_len;
	return 0;
}

int
vsw_csum_complete(struct pkt *p)
{
	uint8_t *d = pkt_data(p);
	struct vsw_l4 loc;
	uint16_t c;
	int err;

	err = vsw_csum_l4_locate(d, p->len, &loc);
	if (err)
		return err;
	d[loc.csum_off] = 0;
	d[loc.csum_off + 1] = 0;
	c = vsw_csum_fold(vsw_csum_partial(d + loc.l4_off, loc.l4_len, loc.pseudo));
	/* UDP sends an all-zero result as all ones (zero means "no checksum"). */
	if (c == 0 && loc.proto == IPPROTO_UDP_)
		c = 0xffff;
	d[loc.csum_off] = (uint8_t)(c >> 8);
	d[loc.csum_off + 1] = (uint8_t)c;
	p->flags = (uint16_t)((p->flags & ~PKT_F_CSUM_BLANK) | PKT_F_DATA_VALIDATED);
	return 0;
}

int
vsw_csum_verify(const struct pkt *p)
{
	const uint8_t *d = pkt_data(p);
	struct vsw_l4 loc;
	int err;

	err = vsw_csum_l4_locate(d, p->len, &loc);
	if (err)
		return err;
	if (loc.proto == IPPROTO_UDP_ && !d[loc.csum_off] && !d[loc.csum_off + 1])
		return 0; /* IPv4 UDP without checksum */
	return vsw_csum_fold(vsw_csum_partial(d + loc.l4_off, loc.l4_len, loc.pseudo)) == 0
		       ? 0
		       : -EBADMSG;
}

int
vsw_csum_prepare_partial(uint8_t *d, uint32_t len, struct vsw_l4 *l4)
{
	uint16_t pseudo;
	int err = vsw_csum_l4_locate(d, len, l4);

	if (err)
		return err;
	pseudo = (uint16_t)~vsw_csum_fold(l4->pseudo);
	d[l4->csum_off] = (uint8_t)(pseudo >> 8);
	d[l4->csum_off + 1] = (uint8_t)pseudo;
	return 0;
}
