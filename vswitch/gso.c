/* SPDX-License-Identifier: MIT */
/*
 * gso.c - TCP segmentation in software (see gso.h).
 */
#include "vswitch/gso.h"

#include "vswitch/csum.h"

#include <errno.h>
#include <string.h>

#define GSO_TCP_FIN 0x01
#define GSO_TCP_PSH 0x08
#define GSO_TCP_CWR 0x80

static inline uint16_t
gso_get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline void
gso_put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline uint32_t
gso_get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline void
gso_put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

int
vsw_gso_segment(const struct pkt *p, struct pkt_pool *pool, struct pkt **segs, unsigned int max)
{
	const uint8_t *d = pkt_data(p);
	uint32_t doff, hdr, payload, mss = p->gso_size, off = 0, seq;
	struct vsw_l4 l4;
	unsigned int n, i;
	uint16_t ip_id = 0;
	uint8_t tcp_flags;

	if ((p->gso_type != PKT_GSO_TCPV4 && p->gso_type != PKT_GSO_TCPV6) || mss == 0)
		return -EINVAL;
	if (vsw_csum_l4_locate(d, p->len, &l4) || l4.proto != 6 ||
	    l4.ipv6 != (p->gso_type == PKT_GSO_TCPV6))
		return -EINVAL;
	doff = (uint32_t)(d[l4.l4_off + 12] >> 4) * 4;
	if (doff < 20 || doff > l4.l4_len)
		return -EINVAL;
	hdr = l4.l4_off + doff;
	payload = l4.l4_len - doff;
	n = payload ? (payload + mss - 1) / mss : 1;
	if (n > max)
		return -E2BIG;
	if (!l4.ipv6)
		ip_id = gso_get16(d + l4.l3_off + 4);
	seq = gso_get32(d + l4.l4_off + 4);
	tcp_flags = d[l4.l4_off + 13];

	for (i = 0; i < n; i++) {
		uint32_t chunk = payload - off < mss ? payload - off : mss;
		struct pkt *s = pkt_alloc(pool);
		uint8_t *sd, f = tcp_flags;

		if (!s || pkt_tailroom(s) < hdr + chunk) {
			pkt_free(s);
			pkt_free_bulk(segs, i);
			return -ENOBUFS;
		}
		sd = pkt_data(s);
		memcpy(sd, d, hdr);
		memcpy(sd + hdr, d + hdr + off, chunk);
		s->len = hdr + chunk;
		s->in_port = p->in_port;
		s->flags = (uint16_t)(p->flags & PKT_F_VLAN);
		s->vlan_tci = p->vlan_tci;
		s->timestamp_ns = p->timestamp_ns;
		if (l4.ipv6) {
			gso_put16(sd + l4.l3_off + 4, (uint16_t)(s->len - l4.l3_off - 40));
		} else {
			uint32_t ihl = (uint32_t)(sd[l4.l3_off] & 0xf) * 4;

			gso_put16(sd + l4.l3_off + 2, (uint16_t)(s->len - l4.l3_off));
			gso_put16(sd + l4.l3_off + 4, (uint16_t)(ip_id + i));
			gso_put16(sd + l4.l3_off + 10, 0);
			gso_put16(sd + l4.l3_off + 10,
				  vsw_csum_fold(vsw_csum_partial(sd + l4.l3_off, ihl, 0)));
		}
		gso_put32(sd + l4.l4_off + 4, seq + off);
		if (i + 1 < n)
			f &= (uint8_t) ~(GSO_TCP_FIN | GSO_TCP_PSH);
		if (i > 0)
			f &= (uint8_t)~GSO_TCP_CWR;
		sd[l4.l4_off + 13] = f;
		if (vsw_csum_complete(s)) {
			pkt_free(s);
			pkt_free_bulk(segs, i);
			return -EINVAL;
		}
		segs[i] = s;
		off += chunk;
	}
	return (int)n;
}
