/* SPDX-License-Identifier: MIT */
/*
 * nat44.c - the NAT44 connection table (see nat44.h). Two levels, as in RFC 4787: mappings
 * (inside endpoint <-> external port, endpoint independent) and sessions (a mapping and one
 * remote endpoint, the unit of filtering and timeouts). Mappings are found by inside endpoint
 * through a hash and by external port through a direct array per protocol; sessions by
 * {mapping, remote endpoint} through one hash that serves both directions. Everything lives
 * in arrays allocated at create and linked by 32-bit indexes.
 */
#include "nat/nat44.h"
#include "vswitch/csum.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define NIL		UINT32_MAX
#define NS_PER_S	1000000000ull
#define IP_HLEN_MIN	20
#define IPPROTO_ICMP_	1
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define ICMP_ECHOREPLY_ 0
#define ICMP_UNREACH_	3
#define ICMP_ECHO_	8
#define ICMP_TIMXCEED_	11
#define ICMP_PARAMPROB_ 12
#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_ACK		0x10
/* Expired sessions looked at, from the least recently used end, before refusing a new one. */
#define RECLAIM_SCAN_MAX 64

enum sess_state {
	S_UDP,
	S_ICMP,
	S_SYN_SENT,
	S_EST,
	S_CLOSING,
};

#define F_FIN_OUT 0x1
#define F_FIN_IN  0x2

struct nat_map {
	uint32_t int_addr; /* host order */
	uint16_t int_port;
	uint16_t ext_port;
	uint8_t proto;	 /* enum nat_proto */
	uint32_t n_sess; /* sessions using it; freed at 0 */
	uint32_t next;	 /* hash chain, or free list */
};

struct nat_sess {
	uint32_t map;	   /* NIL while free */
	uint32_t rem_addr; /* host order */
	uint16_t rem_port;
	uint8_t state; /* enum sess_state */
	uint8_t flags; /* F_FIN_* */
	uint64_t last_ns;
	uint32_t next; /* hash chain, or free list */
	uint32_t lru_prev, lru_next;
};

struct nat_ct {
	uint32_t ext_addr, int_net, int_mask; /* host order */
	uint16_t port_min, port_max;	      /* TCP and UDP external ports (configured) */
	uint32_t pmin[NAT_PROTO_N];	      /* first external port/identifier, per protocol */
	uint32_t n_ports[NAT_PROTO_N];	      /* how many, per protocol */
	uint64_t to_ns[S_CLOSING + 1];	      /* timeout per state */
	uint32_t max;
	uint32_t mask; /* hash buckets - 1 */
	struct nat_map *maps;
	struct nat_sess *sess;
	uint32_t *map_bucket;
	uint32_t *sess_bucket;
	uint32_t *ext_map[NAT_PROTO_N]; /* port - port_min -> mapping */
	uint32_t free_ports[NAT_PROTO_N];
	uint32_t cursor[NAT_PROTO_N];
	uint32_t map_free, sess_free;
	uint32_t lru_head, lru_tail;
	uint64_t secret[2];
	uint64_t now_ns;
	struct nat_ct_stats st;
};

/* Parsed outer IPv4 header. */
struct ip4 {
	uint8_t *h;
	uint32_t hl, tot;
	uint8_t proto;
	uint32_t src, dst;
	uint8_t *l4;
	uint32_t l4len;
};

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
static void
csum_adj16(uint8_t *field, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~rd16(field) + (uint32_t)(uint16_t)~old + new;

	wr16(field, vsw_csum_fold(sum));
}

static void
csum_adj32(uint8_t *field, uint32_t old, uint32_t new)
{
	csum_adj16(field, (uint16_t)(old >> 16), (uint16_t)(new >> 16));
	csum_adj16(field, (uint16_t)old, (uint16_t) new);
}

/* UDP's checksum 0 means "none" and must stay so; a computed 0 is sent as 0xffff. */
static void
udp_csum_adj32(uint8_t *field, uint32_t old, uint32_t new)
{
	if (rd16(field) == 0)
		return;
	csum_adj32(field, old, new);
	if (rd16(field) == 0)
		wr16(field, 0xffff);
}

static void
udp_csum_adj16(uint8_t *field, uint16_t old, uint16_t new)
{
	if (rd16(field) == 0)
		return;
	csum_adj16(field, old, new);
	if (rd16(field) == 0)
		wr16(field, 0xffff);
}

static inline uint64_t
mix64(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

static inline uint32_t
hash2(const struct nat_ct *ct, uint64_t a, uint64_t b)
{
	return (uint32_t)mix64(mix64(a ^ ct->secret[0]) ^ b ^ ct->secret[1]) & ct->mask;
}

static inline uint32_t
map_hash(const struct nat_ct *ct, unsigned int proto, uint32_t addr, uint16_t port)
{
	return hash2(ct, (uint64_t)proto << 48 | (uint64_t)port << 32 | addr, 0);
}

static inline uint32_t
sess_hash(const struct nat_ct *ct, uint32_t map, uint32_t rem, uint16_t rport)
{
	return hash2(ct, map, (uint64_t)rem << 16 | rport);
}

static inline bool
sess_live(const struct nat_ct *ct, const struct nat_sess *s, uint64_t now)
{
	return now < s->last_ns + ct->to_ns[s->state];
}

static uint32_t
map_find(const struct nat_ct *ct, unsigned int proto, uint32_t addr, uint16_t port)
{
	uint32_t i = ct->map_bucket[map_hash(ct, proto, addr, port)];

	for (; i != NIL; i = ct->maps[i].next) {
		const struct nat_map *m = &ct->maps[i];

		if (m->proto == proto && m->int_addr == addr && m->int_port == port)
			return i;
	}
	return NIL;
}

static uint32_t
map_by_ext(const struct nat_ct *ct, unsigned int proto, uint16_t port)
{
	if (port < ct->pmin[proto] || port >= ct->pmin[proto] + ct->n_ports[proto])
		return NIL;
	return ct->ext_map[proto][port - ct->pmin[proto]];
}

static uint32_t
sess_find(const struct nat_ct *ct, uint32_t map, uint32_t rem, uint16_t rport)
{
	uint32_t i;

	if (map == NIL)
		return NIL;
	for (i = ct->sess_bucket[sess_hash(ct, map, rem, rport)]; i != NIL; i = ct->sess[i].next) {
		const struct nat_sess *s = &ct->sess[i];

		if (s->map == map && s->rem_addr == rem && s->rem_port == rport)
			return i;
	}
	return NIL;
}

static void
lru_unlink(struct nat_ct *ct, uint32_t i)
{
	struct nat_sess *s = &ct->sess[i];

	if (s->lru_prev != NIL)
		ct->sess[s->lru_prev].lru_next = s->lru_next;
	else
		ct->lru_head = s->lru_next;
	if (s->lru_next != NIL)
		ct->sess[s->lru_next].lru_prev = s->lru_prev;
	else
		ct->lru_tail = s->lru_prev;
}

static void
lru_append(struct nat_ct *ct, uint32_t i)
{
	struct nat_sess *s = &ct->sess[i];

	s->lru_next = NIL;
	s->lru_prev = ct->lru_tail;
	if (ct->lru_tail != NIL)
		ct->sess[ct->lru_tail].lru_next = i;
	else
		ct->lru_head = i;
	ct->lru_tail = i;
}

static void
sess_touch(struct nat_ct *ct, uint32_t i, uint64_t now)
{
	ct->sess[i].last_ns = now;
	lru_unlink(ct, i);
	lru_append(ct, i);
}

static void
map_free(struct nat_ct *ct, uint32_t mi)
{
	struct nat_map *m = &ct->maps[mi];
	uint32_t *pp = &ct->map_bucket[map_hash(ct, m->proto, m->int_addr, m->int_port)];

	while (*pp != mi)
		pp = &ct->maps[*pp].next;
	*pp = m->next;
	ct->ext_map[m->proto][m->ext_port - ct->pmin[m->proto]] = NIL;
	ct->free_ports[m->proto]++;
	m->next = ct->map_free;
	ct->map_free = mi;
	ct->st.n_mappings--;
}

static void
sess_free(struct nat_ct *ct, uint32_t i)
{
	struct nat_sess *s = &ct->sess[i];
	uint32_t mi = s->map;
	uint32_t *pp = &ct->sess_bucket[sess_hash(ct, mi, s->rem_addr, s->rem_port)];

	while (*pp != i)
		pp = &ct->sess[*pp].next;
	*pp = s->next;
	lru_unlink(ct, i);
	s->map = NIL;
	s->next = ct->sess_free;
	ct->sess_free = i;
	ct->st.n_sessions--;
	if (--ct->maps[mi].n_sess == 0)
		map_free(ct, mi);
}

/* Frees expired sessions among the RECLAIM_SCAN_MAX least recently used, sparing those of
 * mapping 'keep' (which the caller holds). */
static void
reclaim(struct nat_ct *ct, uint32_t keep, uint64_t now)
{
	uint32_t i = ct->lru_head;

	for (unsigned int n = 0; i != NIL && n < RECLAIM_SCAN_MAX; n++) {
		uint32_t next = ct->sess[i].lru_next;

		if (ct->sess[i].map != keep && !sess_live(ct, &ct->sess[i], now)) {
			sess_free(ct, i);
			ct->st.expired++;
		}
		i = next;
	}
}

/* Picks a free external port for a new mapping, keeping 'want' when possible. */
static int
port_pick(struct nat_ct *ct, unsigned int proto, uint16_t want, uint16_t *port)
{
	uint32_t *slots = ct->ext_map[proto];

	if (ct->free_ports[proto] == 0)
		return -ENOSPC;
	uint32_t lo = ct->pmin[proto], n_ports = ct->n_ports[proto];

	if (want >= lo && want < lo + n_ports && slots[want - lo] == NIL) {
		*port = want;
		return 0;
	}
	for (uint32_t n = 0; n < n_ports; n++) {
		uint32_t off = (ct->cursor[proto] + n) % n_ports;

		if (slots[off] == NIL) {
			ct->cursor[proto] = (off + 1) % n_ports;
			*port = (uint16_t)(lo + off);
			return 0;
		}
	}
	return -ENOSPC;
}

/* Finds or creates the session {inside endpoint, remote endpoint}. 'create' says whether
 * this packet may open one; an expired session counts as absent and is reopened in place. */
static enum nat_verdict
sess_get(struct nat_ct *ct, unsigned int proto, uint32_t int_addr, uint16_t int_port, uint32_t rem,
	 uint16_t rport, bool create, uint8_t state, uint64_t now, uint32_t *sp)
{
	uint32_t mi = map_find(ct, proto, int_addr, int_port);
	uint32_t si = sess_find(ct, mi, rem, rport);
	struct nat_sess *s;
	uint16_t port;
	uint32_t b;

	if (si != NIL && sess_live(ct, &ct->sess[si], now)) {
		*sp = si;
		return NAT_OUT;
	}
	if (!create)
		return NAT_DROP_NO_SESSION;
	if (si != NIL) {
		s = &ct->sess[si];
		s->state = state;
		s->flags = 0;
		ct->st.created++;
		*sp = si;
		return NAT_OUT;
	}
	if (ct->sess_free == NIL)
		reclaim(ct, mi, now);
	if (ct->sess_free == NIL)
		return NAT_DROP_TABLE_FULL;
	if (mi == NIL) {
		struct nat_map *m;

		if (port_pick(ct, proto, int_port, &port))
			return NAT_DROP_PORTS_EXHAUSTED;
		/* A free session implies a free mapping: each mapping holds a session. */
		mi = ct->map_free;
		m = &ct->maps[mi];
		ct->map_free = m->next;
		m->proto = (uint8_t)proto;
		m->int_addr = int_addr;
		m->int_port = int_port;
		m->ext_port = port;
		m->n_sess = 0;
		b = map_hash(ct, proto, int_addr, int_port);
		m->next = ct->map_bucket[b];
		ct->map_bucket[b] = mi;
		ct->ext_map[proto][port - ct->pmin[proto]] = mi;
		ct->free_ports[proto]--;
		ct->st.n_mappings++;
	}
	si = ct->sess_free;
	s = &ct->sess[si];
	ct->sess_free = s->next;
	s->map = mi;
	s->rem_addr = rem;
	s->rem_port = rport;
	s->state = state;
	s->flags = 0;
	s->last_ns = now;
	b = sess_hash(ct, mi, rem, rport);
	s->next = ct->sess_bucket[b];
	ct->sess_bucket[b] = si;
	lru_append(ct, si);
	ct->maps[mi].n_sess++;
	ct->st.n_sessions++;
	ct->st.created++;
	*sp = si;
	return NAT_OUT;
}

/* RFC 5382 state: transitory until the remote answers the SYN, established until FIN has
 * gone both ways or a RST is seen; a new SYN from inside reopens a closing session. */
static void
tcp_track(struct nat_sess *s, uint8_t flags, bool out)
{
	if (flags & TCP_RST) {
		s->state = S_CLOSING;
		return;
	}
	if (flags & TCP_SYN) {
		if (out && s->state == S_CLOSING && !(flags & TCP_ACK)) {
			s->state = S_SYN_SENT;
			s->flags = 0;
		} else if (!out && s->state == S_SYN_SENT) {
			s->state = S_EST;
		}
	}
	if (flags & TCP_FIN)
		s->flags |= out ? F_FIN_OUT : F_FIN_IN;
	if ((s->flags & (F_FIN_OUT | F_FIN_IN)) == (F_FIN_OUT | F_FIN_IN))
		s->state = S_CLOSING;
}

static enum nat_verdict
ip_parse(uint8_t *l3, uint32_t len, struct ip4 *ip)
{
	if (len < IP_HLEN_MIN)
		return NAT_DROP_TRUNCATED;
	if (l3[0] >> 4 != 4 || (l3[0] & 0xf) < 5)
		return NAT_DROP_BAD_HDR;
	ip->h = l3;
	ip->hl = (uint32_t)(l3[0] & 0xf) * 4;
	ip->tot = rd16(l3 + 2);
	if (ip->hl > len)
		return NAT_DROP_TRUNCATED;
	if (ip->tot < ip->hl)
		return NAT_DROP_BAD_HDR;
	if (ip->tot > len)
		return NAT_DROP_TRUNCATED;
	if (vsw_csum_fold(vsw_csum_partial(l3, ip->hl, 0)) != 0)
		return NAT_DROP_BAD_HDR;
	if (rd16(l3 + 6) & 0x3fff)
		return NAT_DROP_UNSUPPORTED;
	ip->proto = l3[9];
	ip->src = rd32(l3 + 12);
	ip->dst = rd32(l3 + 16);
	ip->l4 = l3 + ip->hl;
	ip->l4len = ip->tot - ip->hl;
	return NAT_OUT;
}

/* The protocol index and the minimum L4 header of 'proto', or -1. */
static int
l4_proto(uint8_t proto, uint32_t *min)
{
	switch (proto) {
	case IPPROTO_TCP_:
		*min = 20;
		return NAT_PROTO_TCP;
	case IPPROTO_UDP_:
		*min = 8;
		return NAT_PROTO_UDP;
	case IPPROTO_ICMP_:
		*min = 8;
		return NAT_PROTO_ICMP;
	default:
		return -1;
	}
}

static bool
icmp_is_error(uint8_t type)
{
	return type == ICMP_UNREACH_ || type == ICMP_TIMXCEED_ || type == ICMP_PARAMPROB_;
}

/* Replaces the address at 'field' (source or destination of the IP header 'iph' whose L4
 * header 'l4' has 'l4len' bytes of protocol 'proto' here) and fixes the checksums that
 * cover it: the IP header's, and TCP/UDP's through the pseudo-header when present. */
static void
rewrite_addr(uint8_t *iph, uint8_t *field, uint32_t new, int proto, uint8_t *l4, uint32_t l4len)
{
	uint32_t old = rd32(field);

	csum_adj32(iph + 10, old, new);
	if (proto == NAT_PROTO_TCP && l4len >= 18)
		csum_adj32(l4 + 16, old, new);
	else if (proto == NAT_PROTO_UDP && l4len >= 8)
		udp_csum_adj32(l4 + 6, old, new);
	wr32(field, new);
}

/* Replaces the port or ICMP identifier at 'field' of the L4 header 'l4' and fixes the L4
 * checksum when the quoted bytes include it. */
static void
rewrite_port(uint8_t *field, uint16_t new, int proto, uint8_t *l4, uint32_t l4len)
{
	uint16_t old = rd16(field);

	if (proto == NAT_PROTO_TCP && l4len >= 18)
		csum_adj16(l4 + 16, old, new);
	else if (proto == NAT_PROTO_UDP && l4len >= 8)
		udp_csum_adj16(l4 + 6, old, new);
	else if (proto == NAT_PROTO_ICMP && l4len >= 4)
		csum_adj16(l4 + 2, old, new);
	wr16(field, new);
}

/* The embedded packet of an ICMP error at 'ip->l4': checks the ICMP checksum and that the
 * quoted IP header and the first 8 L4 bytes are there. */
struct inner {
	uint8_t *h;
	uint32_t hl;
	int proto;
	uint8_t *l4;
	uint32_t l4len; /* quoted L4 bytes, >= 8 */
	uint32_t src, dst;
	uint16_t sport, dport; /* ICMP: identifier in both */
};

static enum nat_verdict
inner_parse(const struct ip4 *ip, struct inner *in)
{
	uint32_t ilen, min;
	uint8_t *h;

	if (ip->l4len < 8 + IP_HLEN_MIN + 8)
		return NAT_DROP_BAD_ICMP;
	if (vsw_csum_fold(vsw_csum_partial(ip->l4, ip->l4len, 0)) != 0)
		return NAT_DROP_BAD_ICMP;
	h = ip->l4 + 8;
	ilen = ip->l4len - 8;
	if (h[0] >> 4 != 4 || (h[0] & 0xf) < 5)
		return NAT_DROP_BAD_ICMP;
	in->h = h;
	in->hl = (uint32_t)(h[0] & 0xf) * 4;
	if (in->hl + 8 > ilen)
		return NAT_DROP_BAD_ICMP;
	/* A non-first fragment quotes no L4 header to translate. */
	if (rd16(h + 6) & 0x1fff)
		return NAT_DROP_BAD_ICMP;
	in->proto = l4_proto(h[9], &min);
	if (in->proto < 0)
		return NAT_DROP_BAD_ICMP;
	in->l4 = h + in->hl;
	in->l4len = ilen - in->hl;
	in->src = rd32(h + 12);
	in->dst = rd32(h + 16);
	if (in->proto == NAT_PROTO_ICMP) {
		if (in->l4[0] != ICMP_ECHO_ && in->l4[0] != ICMP_ECHOREPLY_)
			return NAT_DROP_BAD_ICMP;
		in->sport = in->dport = rd16(in->l4 + 4);
	} else {
		in->sport = rd16(in->l4);
		in->dport = rd16(in->l4 + 2);
	}
	return NAT_OUT;
}

static void
icmp_recompute(const struct ip4 *ip)
{
	wr16(ip->l4 + 2, 0);
	wr16(ip->l4 + 2, vsw_csum_fold(vsw_csum_partial(ip->l4, ip->l4len, 0)));
}

/* An ICMP error from outside about a packet we sent: the quoted packet went from the
 * external address and port to the remote endpoint. */
static enum nat_verdict
icmp_error_in(struct nat_ct *ct, struct ip4 *ip, uint64_t now)
{
	struct inner in;
	enum nat_verdict v = inner_parse(ip, &in);
	uint32_t mi, si;
	struct nat_map *m;

	if (v != NAT_OUT)
		return v;
	if (in.src != ct->ext_addr)
		return NAT_DROP_NO_SESSION;
	mi = map_by_ext(ct, (unsigned int)in.proto, in.sport);
	si = sess_find(ct, mi, in.dst, in.proto == NAT_PROTO_ICMP ? 0 : in.dport);
	if (si == NIL || !sess_live(ct, &ct->sess[si], now))
		return NAT_DROP_NO_SESSION;
	m = &ct->maps[mi];
	rewrite_addr(ip->h, ip->h + 16, m->int_addr, -1, NULL, 0);
	rewrite_addr(in.h, in.h + 12, m->int_addr, in.proto, in.l4, in.l4len);
	rewrite_port(in.proto == NAT_PROTO_ICMP ? in.l4 + 4 : in.l4, m->int_port, in.proto, in.l4,
		     in.l4len);
	icmp_recompute(ip);
	return NAT_DELIVER;
}

/* An ICMP error from inside about a packet it received through us: the quoted packet went
 * from the remote endpoint to the inside endpoint. */
static enum nat_verdict
icmp_error_out(struct nat_ct *ct, struct ip4 *ip, uint64_t now)
{
	struct inner in;
	enum nat_verdict v = inner_parse(ip, &in);
	uint32_t mi, si;
	struct nat_map *m;

	if (v != NAT_OUT)
		return v;
	mi = map_find(ct, (unsigned int)in.proto, in.dst, in.dport);
	si = sess_find(ct, mi, in.src, in.proto == NAT_PROTO_ICMP ? 0 : in.sport);
	if (si == NIL || !sess_live(ct, &ct->sess[si], now))
		return NAT_DROP_NO_SESSION;
	m = &ct->maps[mi];
	rewrite_addr(ip->h, ip->h + 12, ct->ext_addr, -1, NULL, 0);
	rewrite_addr(in.h, in.h + 16, ct->ext_addr, in.proto, in.l4, in.l4len);
	rewrite_port(in.proto == NAT_PROTO_ICMP ? in.l4 + 4 : in.l4 + 2, m->ext_port, in.proto,
		     in.l4, in.l4len);
	icmp_recompute(ip);
	return NAT_OUT;
}

static uint64_t
clock_update(struct nat_ct *ct, uint64_t now)
{
	if (now > ct->now_ns)
		ct->now_ns = now;
	return ct->now_ns;
}

enum nat_verdict
nat_ct_out(struct nat_ct *ct, uint8_t *l3, uint32_t len, uint64_t now_ns)
{
	struct ip4 ip;
	enum nat_verdict v = ip_parse(l3, len, &ip);
	uint32_t min, si, hmi = NIL, hsi;
	uint16_t sport, dport;
	uint8_t flags = 0, state;
	bool create;
	int proto;

	if (v != NAT_OUT)
		return v;
	now_ns = clock_update(ct, now_ns);
	if ((ip.src & ct->int_mask) != ct->int_net || ip.src == ct->ext_addr)
		return NAT_DROP_SPOOFED;
	proto = l4_proto(ip.proto, &min);
	if (proto < 0)
		return NAT_DROP_UNSUPPORTED;
	if (ip.l4len < min)
		return NAT_DROP_TRUNCATED;
	if (proto == NAT_PROTO_ICMP) {
		if (icmp_is_error(ip.l4[0]))
			return ip.dst == ct->ext_addr ? NAT_DROP_UNSUPPORTED
						      : icmp_error_out(ct, &ip, now_ns);
		if (ip.l4[0] != ICMP_ECHO_)
			return NAT_DROP_UNSUPPORTED;
		sport = rd16(ip.l4 + 4);
		dport = 0;
		create = true;
		state = S_ICMP;
	} else {
		sport = rd16(ip.l4);
		dport = rd16(ip.l4 + 2);
		if (proto == NAT_PROTO_TCP) {
			flags = ip.l4[13];
			create = (flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN;
			state = S_SYN_SENT;
		} else {
			create = true;
			state = S_UDP;
		}
	}
	if (ip.dst == ct->ext_addr) {
		/* Hairpin: the target must be a mapping held now. */
		if (proto == NAT_PROTO_ICMP)
			return NAT_DROP_NO_SESSION;
		hmi = map_by_ext(ct, (unsigned int)proto, dport);
		if (hmi == NIL)
			return NAT_DROP_NO_SESSION;
	}
	v = sess_get(ct, (unsigned int)proto, ip.src, sport, ip.dst, dport, create, state, now_ns,
		     &si);
	if (v != NAT_OUT)
		return v;
	if (proto == NAT_PROTO_TCP)
		tcp_track(&ct->sess[si], flags, true);
	sess_touch(ct, si, now_ns);
	/* Making room for A's session may have reclaimed B's expired mapping: look again. */
	if (hmi != NIL)
		hmi = map_by_ext(ct, (unsigned int)proto, dport);
	if (ip.dst == ct->ext_addr && hmi == NIL)
		return NAT_DROP_NO_SESSION;
	if (hmi != NIL) {
		struct nat_map *a = &ct->maps[ct->sess[si].map];
		struct nat_map *b = &ct->maps[hmi];

		/* The receiver's side of a hairpin is inbound to it: its session back to the
		 * sender's external endpoint is opened by this packet. */
		v = sess_get(ct, (unsigned int)proto, b->int_addr, b->int_port, ct->ext_addr,
			     a->ext_port, true, state, now_ns, &hsi);
		if (v != NAT_OUT)
			return v;
		if (proto == NAT_PROTO_TCP)
			tcp_track(&ct->sess[hsi], flags, false);
		sess_touch(ct, hsi, now_ns);
		rewrite_addr(l3, l3 + 12, ct->ext_addr, proto, ip.l4, ip.l4len);
		rewrite_port(ip.l4, a->ext_port, proto, ip.l4, ip.l4len);
		rewrite_addr(l3, l3 + 16, b->int_addr, proto, ip.l4, ip.l4len);
		rewrite_port(ip.l4 + 2, b->int_port, proto, ip.l4, ip.l4len);
		ct->st.hairpins++;
		return NAT_HAIRPIN;
	}
	rewrite_addr(l3, l3 + 12, ct->ext_addr, proto, ip.l4, ip.l4len);
	rewrite_port(proto == NAT_PROTO_ICMP ? ip.l4 + 4 : ip.l4,
		     ct->maps[ct->sess[si].map].ext_port, proto, ip.l4, ip.l4len);
	return NAT_OUT;
}

enum nat_verdict
nat_ct_in(struct nat_ct *ct, uint8_t *l3, uint32_t len, uint64_t now_ns)
{
	struct ip4 ip;
	enum nat_verdict v = ip_parse(l3, len, &ip);
	uint32_t min, mi, si;
	uint16_t dport, rport;
	struct nat_map *m;
	int proto;

	if (v != NAT_OUT)
		return v;
	now_ns = clock_update(ct, now_ns);
	if (ip.dst != ct->ext_addr)
		return NAT_DROP_NO_SESSION;
	proto = l4_proto(ip.proto, &min);
	if (proto < 0)
		return NAT_DROP_UNSUPPORTED;
	if (ip.l4len < min)
		return NAT_DROP_TRUNCATED;
	if (proto == NAT_PROTO_ICMP) {
		if (icmp_is_error(ip.l4[0]))
			return icmp_error_in(ct, &ip, now_ns);
		if (ip.l4[0] != ICMP_ECHOREPLY_)
			return ip.l4[0] == ICMP_ECHO_ ? NAT_DROP_NO_SESSION : NAT_DROP_UNSUPPORTED;
		dport = rd16(ip.l4 + 4);
		rport = 0;
	} else {
		rport = rd16(ip.l4);
		dport = rd16(ip.l4 + 2);
	}
	mi = map_by_ext(ct, (unsigned int)proto, dport);
	si = sess_find(ct, mi, ip.src, rport);
	if (si == NIL || !sess_live(ct, &ct->sess[si], now_ns))
		return NAT_DROP_NO_SESSION;
	if (proto == NAT_PROTO_TCP)
		tcp_track(&ct->sess[si], ip.l4[13], false);
	sess_touch(ct, si, now_ns);
	m = &ct->maps[mi];
	rewrite_addr(l3, l3 + 16, m->int_addr, proto, ip.l4, ip.l4len);
	rewrite_port(proto == NAT_PROTO_ICMP ? ip.l4 + 4 : ip.l4 + 2, m->int_port, proto, ip.l4,
		     ip.l4len);
	return NAT_DELIVER;
}

unsigned int
nat_ct_expire(struct nat_ct *ct, uint64_t now_ns)
{
	uint32_t i = ct->lru_head;
	unsigned int n = 0;

	now_ns = clock_update(ct, now_ns);
	while (i != NIL) {
		uint32_t next = ct->sess[i].lru_next;

		if (!sess_live(ct, &ct->sess[i], now_ns)) {
			sess_free(ct, i);
			n++;
		}
		i = next;
	}
	ct->st.expired += n;
	return n;
}

int
nat_ct_dump(const struct nat_ct *ct, uint64_t now_ns, nat_ct_dump_fn *fn, void *arg)
{
	static const char *const names[] = { "udp", "icmp", "syn_sent", "established", "closing" };

	for (uint32_t i = ct->lru_head; i != NIL; i = ct->sess[i].lru_next) {
		const struct nat_sess *s = &ct->sess[i];
		const struct nat_map *m = &ct->maps[s->map];
		struct nat_session_info info;
		int ret;

		if (!sess_live(ct, s, now_ns))
			continue;
		info.proto = (enum nat_proto)m->proto;
		info.int_addr = __builtin_bswap32(m->int_addr);
		info.int_port = m->int_port;
		info.ext_port = m->ext_port;
		info.rem_addr = __builtin_bswap32(s->rem_addr);
		info.rem_port = s->rem_port;
		info.state = names[s->state];
		info.expires_ns = s->last_ns + ct->to_ns[s->state] - now_ns;
		ret = fn(arg, &info);
		if (ret)
			return ret;
	}
	return 0;
}

void
nat_ct_get_stats(const struct nat_ct *ct, struct nat_ct_stats *stats)
{
	*stats = ct->st;
}

const char *
nat_verdict_name(enum nat_verdict v)
{
	static const char *const names[] = {
		[NAT_OUT] = "out",
		[NAT_DELIVER] = "deliver",
		[NAT_HAIRPIN] = "hairpin",
		[NAT_DROP_BAD_HDR] = "bad_hdr",
		[NAT_DROP_TRUNCATED] = "truncated",
		[NAT_DROP_UNSUPPORTED] = "unsupported",
		[NAT_DROP_SPOOFED] = "spoofed",
		[NAT_DROP_NO_SESSION] = "no_session",
		[NAT_DROP_PORTS_EXHAUSTED] = "ports_exhausted",
		[NAT_DROP_TABLE_FULL] = "table_full",
		[NAT_DROP_BAD_ICMP] = "bad_icmp",
	};

	return (unsigned int)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

static int
timeout_ns(uint32_t s, uint32_t def, uint32_t min, uint64_t *ns)
{
	if (s == 0)
		s = def;
	if (s < min || s > NAT_TIMEOUT_S_MAX)
		return -EINVAL;
	*ns = (uint64_t)s * NS_PER_S;
	return 0;
}

int
nat_ct_create(const struct nat_ct_cfg *cfg, struct nat_ct **ctp)
{
	struct nat_ct *ct;
	uint32_t buckets = 1;
	ssize_t got;

	if (!cfg || !ctp)
		return -EINVAL;
	ct = calloc(1, sizeof(*ct));
	if (!ct)
		return -ENOMEM;
	ct->ext_addr = __builtin_bswap32(cfg->ext_addr);
	ct->int_mask = __builtin_bswap32(cfg->int_mask);
	ct->int_net = __builtin_bswap32(cfg->int_net) & ct->int_mask;
	ct->port_min = cfg->port_min ? cfg->port_min : NAT_PORT_MIN_DEFAULT;
	ct->port_max = cfg->port_max ? cfg->port_max : NAT_PORT_MAX_DEFAULT;
	ct->max = cfg->max_sessions ? cfg->max_sessions : NAT_MAX_SESSIONS_DEFAULT;
	if (ct->port_min > ct->port_max || ct->max > NAT_MAX_SESSIONS_LIMIT ||
	    (uint32_t)~ct->int_mask & ((uint32_t)~ct->int_mask + 1) ||
	    timeout_ns(cfg->udp_timeout_s, NAT_UDP_TIMEOUT_S_DEFAULT, NAT_UDP_TIMEOUT_S_MIN,
		       &ct->to_ns[S_UDP]) ||
	    timeout_ns(cfg->icmp_timeout_s, NAT_ICMP_TIMEOUT_S_DEFAULT, 1, &ct->to_ns[S_ICMP]) ||
	    timeout_ns(cfg->tcp_est_timeout_s, NAT_TCP_EST_TIMEOUT_S, 1, &ct->to_ns[S_EST]) ||
	    timeout_ns(cfg->tcp_trans_timeout_s, NAT_TCP_TRANS_TIMEOUT_S, 1,
		       &ct->to_ns[S_SYN_SENT])) {
		free(ct);
		return -EINVAL;
	}
	ct->to_ns[S_CLOSING] = ct->to_ns[S_SYN_SENT];
	/* TCP and UDP use the configured range; ICMP identifiers are not ports and keep the
	 * whole 16-bit space, as Linux's NAT does, so an identifier is kept whenever free. */
	for (int p = 0; p < NAT_PROTO_N; p++) {
		ct->pmin[p] = p == NAT_PROTO_ICMP ? 0 : ct->port_min;
		ct->n_ports[p] =
			p == NAT_PROTO_ICMP ? 65536u : (uint32_t)ct->port_max - ct->port_min + 1;
	}
	while (buckets < ct->max)
		buckets <<= 1;
	ct->mask = buckets - 1;
	ct->maps = calloc(ct->max, sizeof(*ct->maps));
	ct->sess = calloc(ct->max, sizeof(*ct->sess));
	ct->map_bucket = malloc(buckets * sizeof(uint32_t));
	ct->sess_bucket = malloc(buckets * sizeof(uint32_t));
	for (int p = 0; p < NAT_PROTO_N; p++) {
		ct->ext_map[p] = malloc(ct->n_ports[p] * sizeof(uint32_t));
		if (ct->ext_map[p])
			memset(ct->ext_map[p], 0xff, ct->n_ports[p] * sizeof(uint32_t));
		ct->free_ports[p] = ct->n_ports[p];
	}
	if (!ct->maps || !ct->sess || !ct->map_bucket || !ct->sess_bucket || !ct->ext_map[0] ||
	    !ct->ext_map[1] || !ct->ext_map[2]) {
		nat_ct_destroy(ct);
		return -ENOMEM;
	}
	memset(ct->map_bucket, 0xff, buckets * sizeof(uint32_t));
	memset(ct->sess_bucket, 0xff, buckets * sizeof(uint32_t));
	for (uint32_t i = 0; i < ct->max; i++) {
		ct->maps[i].next = i + 1 < ct->max ? i + 1 : NIL;
		ct->sess[i].next = i + 1 < ct->max ? i + 1 : NIL;
		ct->sess[i].map = NIL;
	}
	ct->map_free = 0;
	ct->sess_free = 0;
	ct->lru_head = ct->lru_tail = NIL;
	got = getrandom(ct->secret, sizeof(ct->secret), 0);
	if (got != (ssize_t)sizeof(ct->secret)) {
		nat_ct_destroy(ct);
		return got < 0 ? -errno : -EIO;
	}
	*ctp = ct;
	return 0;
}

void
nat_ct_destroy(struct nat_ct *ct)
{
	if (!ct)
		return;
	for (int p = 0; p < NAT_PROTO_N; p++)
		free(ct->ext_map[p]);
	free(ct->maps);
	free(ct->sess);
	free(ct->map_bucket);
	free(ct->sess_bucket);
	free(ct);
}
