/* SPDX-License-Identifier: MIT */
/*
 * mode-nat.c - the fast-path NAT mode (see mode-nat.h): a learning bridge for the inside
 * ports, the NAT44 table between the inside and the uplink, and the little ARP the uplink
 * side needs (answering for the uplink address, resolving next hops). Self-contained on
 * purpose: it shares no L3 helpers with the routed mode.
 */
#include "vswitch/mode-nat.h"
#include "nat/nat44.h"
#include "vswitch/csum.h"
#include "vswitch/mac-table.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ETH_IPV4    0x0800
#define ETH_ARP	    0x0806
#define ETH_VLAN    0x8100
#define ARP_LEN	    28
#define ARP_REQUEST 1
#define ARP_REPLY   2
#define IP_HLEN_MIN 20
#define NS_PER_MS   1000000ull
#define NS_PER_S    1000000000ull
#define HOST_PROBES 8

struct nat_neigh {
	uint32_t ip; /* host order; 0: free */
	uint8_t mac[6];
	bool resolved;
	uint64_t updated_ns; /* last reply (resolved) or creation */
	uint64_t asked_ns;   /* last request sent */
	bool asked;
	struct pkt *held; /* one packet waiting for resolution */
};

struct nat_host {
	uint32_t ip; /* host order; 0: free */
	uint8_t mac[6];
	uint64_t seen_ns;
};

struct vsw_nat {
	struct vsw_net *net;
	struct vsw_mac_table *macs;
	struct nat_ct *ct;
	uint32_t subnet, mask, gw;	  /* host order */
	uint32_t up_addr, up_mask, up_gw; /* host order */
	uint8_t up_mac[6];
	bool up_mac_set;
	uint8_t host_mac[6];
	bool host_mac_known;
	struct port *uplink, *host;
	uint64_t now_ns;
	struct nat_neigh neigh[VSW_NAT_NEIGH_MAX];
	struct nat_host hosts[VSW_NAT_HOSTS_MAX];
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

static int
parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ip = ntohl(a.s_addr);
	return 0;
}

static int
parse_cidr(const char *s, unsigned long max_prefix, uint32_t *ip, uint32_t *mask)
{
	char buf[32];
	char *slash, *end;
	unsigned long n;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	n = strtoul(slash + 1, &end, 10);
	if (*end || end == slash + 1 || n < 1 || n > max_prefix)
		return -EINVAL;
	*mask = n == 32 ? 0xffffffffu : (uint32_t)(0xffffffffu << (32 - n));
	return parse_ip(buf, ip);
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return vsw_mac_is_learnable((const struct ether_addr *)mac) ? 0 : -EINVAL;
}

/* Optional string argument: 0 and the value, 0 with an empty value if absent, or -errno. */
static int
arg_str(const char *args, const char *key, char *val, size_t size)
{
	int err = port_args_get(args, key, val, size);

	if (err == -ENOENT) {
		val[0] = '\0';
		return 0;
	}
	return err;
}

static int
arg_uint(const char *args, const char *key, unsigned int min, unsigned int max, unsigned int *out)
{
	int err = port_args_get_uint(args, key, min, max, out);

	return err == -ENOENT ? 0 : err;
}

static int
nat_parse(struct vsw_nat *st, const char *args, struct nat_ct_cfg *ccfg,
	  struct vsw_mac_table_cfg *mcfg)
{
	static const char *const keys[] = {
		"subnet",   "uplink_address", "uplink_gateway", "uplink_mac", "port_min",
		"port_max", "max_sessions",   "aging",		"max_macs",   NULL
	};
	unsigned int pmin = NAT_PORT_MIN_DEFAULT, pmax = NAT_PORT_MAX_DEFAULT, v;
	char val[64];
	int err;

	if (!args || port_args_check(args, keys))
		return -EINVAL;
	if (port_args_get(args, "subnet", val, sizeof(val)) ||
	    parse_cidr(val, 30, &st->subnet, &st->mask))
		return -EINVAL;
	st->subnet &= st->mask;
	st->gw = st->subnet + 1;
	if (port_args_get(args, "uplink_address", val, sizeof(val)) ||
	    parse_cidr(val, 32, &st->up_addr, &st->up_mask))
		return -EINVAL;
	if ((st->up_addr & st->mask) == st->subnet)
		return -EINVAL;
	err = arg_str(args, "uplink_gateway", val, sizeof(val));
	if (err || (val[0] && parse_ip(val, &st->up_gw)))
		return -EINVAL;
	if (st->up_gw && (st->up_gw & st->up_mask) != (st->up_addr & st->up_mask))
		return -EINVAL;
	err = arg_str(args, "uplink_mac", val, sizeof(val));
	if (err || (val[0] && parse_mac(val, st->up_mac)))
		return -EINVAL;
	st->up_mac_set = val[0] != '\0';
	if (arg_uint(args, "port_min", 1, 65535, &pmin) ||
	    arg_uint(args, "port_max", 1, 65535, &pmax) || pmin > pmax)
		return -EINVAL;
	v = 0;
	if (arg_uint(args, "max_sessions", 1, NAT_MAX_SESSIONS_LIMIT, &v))
		return -EINVAL;
	ccfg->max_sessions = v;
	if (arg_uint(args, "aging", 1, VSW_MAC_AGING_S_MAX, &mcfg->aging_s) ||
	    arg_uint(args, "max_macs", 1, VSW_MAC_MAX_ENTRIES_LIMIT, &mcfg->max_entries))
		return -EINVAL;
	ccfg->ext_addr = htonl(st->up_addr);
	ccfg->int_net = htonl(st->subnet);
	ccfg->int_mask = htonl(st->mask);
	ccfg->port_min = (uint16_t)pmin;
	ccfg->port_max = (uint16_t)pmax;
	return 0;
}

static int
nat_create(struct vsw_net *net, const char *args, void **statep)
{
	struct vsw_mac_table_cfg mcfg = { .max_ports = PORT_MAX };
	struct nat_ct_cfg ccfg = { 0 };
	struct vsw_nat *st = calloc(1, sizeof(*st));
	int err;

	if (!st)
		return -ENOMEM;
	err = nat_parse(st, args, &ccfg, &mcfg);
	if (!err)
		err = vsw_mac_table_create(&mcfg, &st->macs);
	if (!err)
		err = nat_ct_create(&ccfg, &st->ct);
	if (err) {
		vsw_mac_table_destroy(st->macs);
		free(st);
		return err;
	}
	st->net = net;
	*statep = st;
	return 0;
}

static void
neigh_release(struct nat_neigh *n)
{
	if (n->held) {
		struct port *in = port_by_index(n->held->in_port);

		if (in)
			port_count_ctr(in, VSW_CTR_L3_NEIGH_FAILED, 1);
		pkt_free(n->held);
		n->held = NULL;
	}
}

static void
nat_destroy(void *state)
{
	struct vsw_nat *st = state;

	if (!st)
		return;
	for (unsigned int i = 0; i < VSW_NAT_NEIGH_MAX; i++)
		neigh_release(&st->neigh[i]);
	nat_ct_destroy(st->ct);
	vsw_mac_table_destroy(st->macs);
	free(st);
}

static int
nat_port_added(void *state, struct port *port, const struct vsw_port_cfg *cfg)
{
	struct vsw_nat *st = state;

	if (cfg->role == VSW_PORT_UPLINK) {
		struct ether_addr mac;

		if (st->uplink)
			return -EBUSY;
		if (!st->up_mac_set) {
			if (port_get_etheraddr(port, &mac) || !vsw_mac_is_learnable(&mac))
				return -EINVAL;
			memcpy(st->up_mac, mac.ether_addr_octet, 6);
		}
		st->uplink = port;
	} else if (cfg->role == VSW_PORT_HOST) {
		if (st->host)
			return -EBUSY;
		st->host = port;
	}
	return 0;
}

static void
nat_port_removed(void *state, struct port *port)
{
	struct vsw_nat *st = state;

	vsw_mac_flush_port(st->macs, port->index);
	/* Its index may be reused: nothing held may point back at it. */
	for (unsigned int i = 0; i < VSW_NAT_NEIGH_MAX; i++)
		if (st->neigh[i].held && st->neigh[i].held->in_port == port->index)
			neigh_release(&st->neigh[i]);
	if (port == st->uplink) {
		st->uplink = NULL;
		for (unsigned int i = 0; i < VSW_NAT_NEIGH_MAX; i++) {
			neigh_release(&st->neigh[i]);
			memset(&st->neigh[i], 0, sizeof(st->neigh[i]));
		}
	} else if (port == st->host) {
		st->host = NULL;
		st->host_mac_known = false;
	}
}

static inline bool
in_subnet(const struct vsw_nat *st, uint32_t ip)
{
	return (ip & st->mask) == st->subnet;
}

static unsigned int
host_slot(uint32_t ip)
{
	return (unsigned int)((ip * 2654435761u) >> 8) % VSW_NAT_HOSTS_MAX;
}

/* Remembers which MAC an inside address was last seen from, for inbound delivery. Bounded:
 * a full probe window recycles its least recently seen entry. */
static void
host_learn(struct vsw_nat *st, uint32_t ip, const uint8_t *mac, uint64_t now)
{
	unsigned int base = host_slot(ip), victim = base;

	if (!in_subnet(st, ip) || ip == st->subnet || ip == (st->subnet | ~st->mask) ||
	    ip == st->gw)
		return;
	for (unsigned int i = 0; i < HOST_PROBES; i++) {
		struct nat_host *h = &st->hosts[(base + i) % VSW_NAT_HOSTS_MAX];

		if (h->ip == ip || h->ip == 0) {
			victim = (base + i) % VSW_NAT_HOSTS_MAX;
			break;
		}
		if (h->seen_ns < st->hosts[victim].seen_ns)
			victim = (base + i) % VSW_NAT_HOSTS_MAX;
	}
	st->hosts[victim].ip = ip;
	memcpy(st->hosts[victim].mac, mac, 6);
	st->hosts[victim].seen_ns = now;
}

static const uint8_t *
host_mac(const struct vsw_nat *st, uint32_t ip)
{
	unsigned int base = host_slot(ip);

	for (unsigned int i = 0; i < HOST_PROBES; i++) {
		const struct nat_host *h = &st->hosts[(base + i) % VSW_NAT_HOSTS_MAX];

		if (h->ip == ip)
			return h->mac;
	}
	return NULL;
}

static void
drop_verdict(struct vsw_fwd *fwd, struct port *in, struct pkt *p, enum nat_verdict v)
{
	static const enum vsw_counter ctr[] = {
		[NAT_DROP_BAD_HDR] = VSW_CTR_L3_BAD_HDR,
		[NAT_DROP_TRUNCATED] = VSW_CTR_L3_TRUNCATED,
		[NAT_DROP_UNSUPPORTED] = VSW_CTR_NAT_UNSUPPORTED,
		[NAT_DROP_SPOOFED] = VSW_CTR_L3_SPOOFED,
		[NAT_DROP_NO_SESSION] = VSW_CTR_NAT_NO_SESSION,
		[NAT_DROP_PORTS_EXHAUSTED] = VSW_CTR_NAT_PORTS_EXHAUSTED,
		[NAT_DROP_TABLE_FULL] = VSW_CTR_NAT_TABLE_FULL,
		[NAT_DROP_BAD_ICMP] = VSW_CTR_NAT_BAD_ICMP,
	};

	vsw_fwd_drop(fwd, in, p,
		     (unsigned int)v < sizeof(ctr) / sizeof(ctr[0]) && v >= NAT_DROP_BAD_HDR
			     ? ctr[v]
			     : VSW_CTR_NAT_UNSUPPORTED);
}

/* Floods to every inside port but 'in': the uplink never sees inside broadcasts. */
static void
flood_inside(struct vsw_nat *st, struct vsw_fwd *fwd, struct port *in, struct pkt *p)
{
	unsigned int n = vsw_net_n_ports(st->net);
	struct port *last = NULL;

	port_count_ctr(in, VSW_CTR_FWD_FLOOD, 1);
	for (unsigned int i = 0; i < n; i++) {
		struct port *out = vsw_net_port(st->net, i);
		struct pkt *c;

		if (!out || out == in || out == st->uplink)
			continue;
		if (last) {
			c = pkt_copy(p->pool, p);
			if (c)
				vsw_fwd_output(fwd, last, c);
			else
				port_count_ctr(in, VSW_CTR_RX_NOBUF, 1);
		}
		last = out;
	}
	if (last)
		vsw_fwd_output(fwd, last, p);
	else
		pkt_free(p);
}

/* TTL - 1 with the header checksum adjusted (RFC 1624); the caller checked TTL > 1. */
static void
ttl_dec(uint8_t *l3)
{
	uint16_t old = rd16(l3 + 8);
	uint16_t new = (uint16_t)(old - 0x0100);
	uint32_t sum = (uint16_t)~rd16(l3 + 10) + (uint32_t)(uint16_t)~old + new;

	wr16(l3 + 10, vsw_csum_fold(sum));
	l3[8]--;
}

/* Sends a translated packet to the inside host its IPv4 destination names, from the
 * gateway's (host port's) MAC. */
static void
deliver_inside(struct vsw_nat *st, struct vsw_fwd *fwd, struct port *in, struct pkt *p,
	       uint64_t now)
{
	uint8_t *d = pkt_data(p);
	const uint8_t *mac = host_mac(st, rd32(d + 14 + 16));
	uint16_t idx;
	struct port *out;

	if (!mac || !st->host_mac_known) {
		vsw_fwd_drop(fwd, in, p, VSW_CTR_L3_NEIGH_FAILED);
		return;
	}
	memcpy(d, mac, 6);
	memcpy(d + 6, st->host_mac, 6);
	if (vsw_mac_lookup(st->macs, (const struct ether_addr *)mac, 0, now, &idx) == 0 &&
	    (out = port_by_index(idx)) && out != st->uplink)
		vsw_fwd_output(fwd, out, p);
	else
		flood_inside(st, fwd, in, p);
}

static void
arp_build(uint8_t *d, const uint8_t *eth_dst, const uint8_t *sha, uint32_t spa, const uint8_t *tha,
	  uint32_t tpa, uint16_t op)
{
	memcpy(d, eth_dst, 6);
	memcpy(d + 6, sha, 6);
	wr16(d + 12, ETH_ARP);
	wr16(d + 14, 1);
	wr16(d + 16, ETH_IPV4);
	d[18] = 6;
	d[19] = 4;
	wr16(d + 20, op);
	memcpy(d + 22, sha, 6);
	wr32(d + 28, spa);
	memcpy(d + 32, tha, 6);
	wr32(d + 38, tpa);
}

static void
arp_request(struct vsw_nat *st, struct vsw_fwd *fwd, struct nat_neigh *n, struct pkt_pool *pool,
	    uint64_t now)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6] = { 0 };
	struct pkt *r;
	uint8_t *d;

	if (n->asked && now < n->asked_ns + VSW_NAT_ARP_RETRY_MS * NS_PER_MS)
		return;
	r = pkt_alloc(pool);
	if (!r)
		return;
	d = pkt_put(r, 60);
	if (!d) {
		pkt_free(r);
		return;
	}
	memset(d, 0, 60);
	arp_build(d, bcast, st->up_mac, st->up_addr, zero, n->ip, ARP_REQUEST);
	n->asked = true;
	n->asked_ns = now;
	vsw_fwd_output(fwd, st->uplink, r);
}

static struct nat_neigh *
neigh_find(struct vsw_nat *st, uint32_t ip)
{
	for (unsigned int i = 0; i < VSW_NAT_NEIGH_MAX; i++)
		if (st->neigh[i].ip == ip)
			return &st->neigh[i];
	return NULL;
}

/* A slot for 'ip': its own, a free one, or the least recently updated (whose held packet
 * is dropped and counted). */
static struct nat_neigh *
neigh_get(struct vsw_nat *st, uint32_t ip, uint64_t now)
{
	struct nat_neigh *n = neigh_find(st, ip), *victim = &st->neigh[0];

	if (n)
		return n;
	for (unsigned int i = 0; i < VSW_NAT_NEIGH_MAX; i++) {
		if (st->neigh[i].ip == 0) {
			victim = &st->neigh[i];
			break;
		}
		if (st->neigh[i].updated_ns < victim->updated_ns)
			victim = &st->neigh[i];
	}
	neigh_release(victim);
	memset(victim, 0, sizeof(*victim));
	victim->ip = ip;
	victim->updated_ns = now;
	return victim;
}

static void
send_uplink(struct vsw_nat *st, struct vsw_fwd *fwd, struct port *in, struct pkt *p, uint64_t now)
{
	uint8_t *d = pkt_data(p);
	uint32_t dst = rd32(d + 14 + 16), nh;
	struct nat_neigh *n;

	if ((dst & st->up_mask) == (st->up_addr & st->up_mask))
		nh = dst;
	else
		nh = st->up_gw;
	if (!st->uplink || nh == 0) {
		vsw_fwd_drop(fwd, in, p, VSW_CTR_L3_NO_ROUTE);
		return;
	}
	memcpy(d + 6, st->up_mac, 6);
	n = neigh_get(st, nh, now);
	if (n->resolved && now < n->updated_ns + VSW_NAT_NEIGH_TTL_S * NS_PER_S) {
		memcpy(d, n->mac, 6);
		vsw_fwd_output(fwd, st->uplink, p);
		return;
	}
	n->resolved = false;
	neigh_release(n);
	n->held = p;
	arp_request(st, fwd, n, p->pool, now);
}

static bool
ttl_expiring(struct vsw_fwd *fwd, struct port *in, struct pkt *p)
{
	const uint8_t *d = pkt_data(p);

	if (p->len >= 14 + IP_HLEN_MIN && d[14] >> 4 == 4 && d[14 + 8] <= 1) {
		vsw_fwd_drop(fwd, in, p, VSW_CTR_L3_TTL_EXCEEDED);
		return true;
	}
	return false;
}

static void
nat_outbound(struct vsw_nat *st, struct vsw_fwd *fwd, struct port *in, struct pkt *p, uint64_t now)
{
	enum nat_verdict v;

	/* The table needs complete checksums to update them incrementally. */
	if ((p->flags & PKT_F_CSUM_BLANK) && vsw_csum_complete(p)) {
		vsw_fwd_drop(fwd, in, p, VSW_CTR_L3_BAD_HDR);
		return;
	}
	if (ttl_expiring(fwd, in, p))
		return;
	v = nat_ct_out(st->ct, pkt_data(p) + 14, p->len - 14, now);
	if (v == NAT_OUT) {
		ttl_dec(pkt_data(p) + 14);
		send_uplink(st, fwd, in, p, now);
	} else if (v == NAT_HAIRPIN) {
		ttl_dec(pkt_data(p) + 14);
		port_count_ctr(in, VSW_CTR_NAT_HAIRPIN, 1);
		deliver_inside(st, fwd, in, p, now);
	} else {
		drop_verdict(fwd, in, p, v);
	}
}

static void
inside_rx(struct vsw_nat *st, struct vsw_fwd *fwd, struct port *in, struct pkt *p, uint64_t now)
{
	uint8_t *d = pkt_data(p);
	const struct ether_addr *dst = (const struct ether_addr *)d;
	uint16_t type = rd16(d + 12), vlan = 0, idx;
	struct port *out;

	if (type == ETH_VLAN && p->len >= 18)
		vlan = rd16(d + 14) & 0x0fff;
	vsw_mac_learn(st->macs, (const struct ether_addr *)(d + 6), vlan, in->index, now);
	if (in == st->host) {
		memcpy(st->host_mac, d + 6, 6);
		st->host_mac_known = true;
	}
	if (type == ETH_IPV4 && p->len >= 14 + IP_HLEN_MIN)
		host_learn(st, rd32(d + 14 + 12), d + 6, now);
	else if (type == ETH_ARP && p->len >= 14 + ARP_LEN)
		host_learn(st, rd32(d + 28), d + 6, now);
	if (st->host_mac_known && in != st->host && type == ETH_IPV4 &&
	    !memcmp(d, st->host_mac, 6)) {
		if (p->len < 14 + IP_HLEN_MIN) {
			vsw_fwd_drop(fwd, in, p, VSW_CTR_L3_TRUNCATED);
			return;
		}
		if (!in_subnet(st, rd32(d + 14 + 16))) {
			nat_outbound(st, fwd, in, p, now);
			return;
		}
	}
	if (dst->ether_addr_octet[0] & 1) {
		flood_inside(st, fwd, in, p);
		return;
	}
	if (vsw_mac_lookup(st->macs, dst, vlan, now, &idx) != 0 || !(out = port_by_index(idx)) ||
	    out == st->uplink) {
		flood_inside(st, fwd, in, p);
		return;
	}
	if (out == in) {
		vsw_fwd_drop(fwd, in, p, VSW_CTR_FWD_REFLECT);
		return;
	}
	vsw_fwd_output(fwd, out, p);
}

static void
uplink_arp(struct vsw_nat *st, struct vsw_fwd *fwd, struct port *in, struct pkt *p, uint64_t now)
{
	uint8_t *d = pkt_data(p);
	uint8_t sha[6];
	uint32_t spa, tpa;
	uint16_t op;
	struct nat_neigh *n;

	if (p->len < 14 + ARP_LEN) {
		vsw_fwd_drop(fwd, in, p, VSW_CTR_L3_TRUNCATED);
		return;
	}
	if (rd16(d + 14) != 1 || rd16(d + 16) != ETH_IPV4 || d[18] != 6 || d[19] != 4) {
		vsw_fwd_drop(fwd, in, p, VSW_CTR_L3_BAD_HDR);
		return;
	}
	op = rd16(d + 20);
	memcpy(sha, d + 22, 6);
	spa = rd32(d + 28);
	tpa = rd32(d + 38);
	if (tpa != st->up_addr || (op != ARP_REQUEST && op != ARP_REPLY) ||
	    !vsw_mac_is_learnable((const struct ether_addr *)sha)) {
		vsw_fwd_drop(fwd, in, p, VSW_CTR_L3_NOT_FOR_US);
		return;
	}
	/* RFC 826: we are the target, so the sender goes into the table (only next hops we
	 * asked about are kept: a chatty segment cannot churn it). */
	n = neigh_find(st, spa);
	if (n) {
		memcpy(n->mac, sha, 6);
		n->resolved = true;
		n->updated_ns = now;
		if (n->held) {
			memcpy(pkt_data(n->held), sha, 6);
			vsw_fwd_output(fwd, st->uplink, n->held);
			n->held = NULL;
		}
	}
	if (op == ARP_REQUEST) {
		arp_build(d, sha, st->up_mac, st->up_addr, sha, spa, ARP_REPLY);
		port_count_ctr(in, VSW_CTR_L3_ARP_REPLIED, 1);
		vsw_fwd_output(fwd, st->uplink, p);
		return;
	}
	pkt_free(p);
}

static void
uplink_rx(struct vsw_nat *st, struct vsw_fwd *fwd, struct port *in, struct pkt *p, uint64_t now)
{
	uint8_t *d = pkt_data(p);
	uint16_t type = rd16(d + 12);
	enum nat_verdict v;

	if (type == ETH_ARP) {
		uplink_arp(st, fwd, in, p, now);
		return;
	}
	if (type != ETH_IPV4) {
		vsw_fwd_drop(fwd, in, p, VSW_CTR_L3_UNSUPPORTED);
		return;
	}
	if (memcmp(d, st->up_mac, 6)) {
		vsw_fwd_drop(fwd, in, p, VSW_CTR_L3_NOT_FOR_US);
		return;
	}
	if (ttl_expiring(fwd, in, p))
		return;
	v = nat_ct_in(st->ct, d + 14, p->len - 14, now);
	if (v != NAT_DELIVER) {
		drop_verdict(fwd, in, p, v);
		return;
	}
	ttl_dec(d + 14);
	deliver_inside(st, fwd, in, p, now);
}

static void
nat_process(void *state, struct vsw_fwd *fwd, struct port *in, struct pkt_batch *batch,
	    uint64_t now_ns)
{
	struct vsw_nat *st = state;

	if (now_ns > st->now_ns)
		st->now_ns = now_ns;
	for (unsigned int i = 0; i < batch->count; i++) {
		struct pkt *p = batch->pkts[i];

		if (p->len < PORT_ETH_HLEN) {
			vsw_fwd_drop(fwd, in, p, VSW_CTR_RX_RUNT);
			continue;
		}
		if (!vsw_mac_is_learnable((const struct ether_addr *)(pkt_data(p) + 6))) {
			vsw_fwd_drop(fwd, in, p, VSW_CTR_RX_BAD_SRC_MAC);
			continue;
		}
		if (in == st->uplink)
			uplink_rx(st, fwd, in, p, st->now_ns);
		else
			inside_rx(st, fwd, in, p, st->now_ns);
	}
}

static void
nat_tick(void *state, uint64_t now_ns)
{
	struct vsw_nat *st = state;

	if (now_ns > st->now_ns)
		st->now_ns = now_ns;
	vsw_mac_age(st->macs, st->now_ns);
	nat_ct_expire(st->ct, st->now_ns);
}

struct show_ctx {
	FILE *out;
	bool json;
	unsigned int n;
};

static int
show_one(void *arg, const struct nat_session_info *info)
{
	static const char *const protos[] = { "tcp", "udp", "icmp" };
	struct show_ctx *c = arg;
	char ia[INET_ADDRSTRLEN], ra[INET_ADDRSTRLEN];
	struct in_addr a;

	a.s_addr = info->int_addr;
	inet_ntop(AF_INET, &a, ia, sizeof(ia));
	a.s_addr = info->rem_addr;
	inet_ntop(AF_INET, &a, ra, sizeof(ra));
	if (c->json)
		fprintf(c->out,
			"%s{\"proto\":\"%s\",\"inside\":\"%s:%u\",\"external_port\":%u,"
			"\"remote\":\"%s:%u\",\"state\":\"%s\",\"expires_s\":%llu}",
			c->n ? "," : "", protos[info->proto], ia, info->int_port, info->ext_port,
			ra, info->rem_port, info->state,
			(unsigned long long)(info->expires_ns / NS_PER_S));
	else
		fprintf(c->out, "%-4s %s:%u -> :%u -> %s:%u %s expires %llus\n",
			protos[info->proto], ia, info->int_port, info->ext_port, ra, info->rem_port,
			info->state, (unsigned long long)(info->expires_ns / NS_PER_S));
	c->n++;
	return 0;
}

static int
nat_ctl(void *state, int argc, char **argv, FILE *out)
{
	struct vsw_nat *st = state;
	struct show_ctx c = { .out = out };

	if (argc < 1 || strcmp(argv[0], "nat-show")) {
		fprintf(out, "unknown command (nat mode: nat-show [--json])\n");
		return -EOPNOTSUPP;
	}
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json"))) {
		fprintf(out, "usage: nat-show [--json]\n");
		return -EINVAL;
	}
	c.json = argc == 2;
	if (c.json)
		fputc('[', out);
	nat_ct_dump(st->ct, st->now_ns, show_one, &c);
	if (c.json)
		fputs("]\n", out);
	return 0;
}

const struct vsw_mode_ops vsw_mode_nat = {
	.name = "nat",
	.create = nat_create,
	.destroy = nat_destroy,
	.port_added = nat_port_added,
	.port_removed = nat_port_removed,
	.process = nat_process,
	.tick = nat_tick,
	.ctl = nat_ctl,
};

int
vsw_mode_nat_register(void)
{
	return vsw_mode_register(&vsw_mode_nat);
}
