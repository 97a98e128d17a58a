/* SPDX-License-Identifier: MIT */
/*
 * mode-route.c - the routed mode (see mode-route.h): ARP/ND answering and resolution,
 * anti-spoofing, IPv4/IPv6 forwarding through the LPM FIB with TTL/hop-limit handling,
 * ICMP errors and echo, and the route/neighbour control commands.
 */
#include "vswitch/mode-route.h"

#include "route/fib.h"
#include "route/icmp.h"
#include "route/krt.h"
#include "route/neigh.h"
#include "vswitch/l3.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ROUTE_MAX_ROUTES    4096
#define ROUTE_MAX_NEIGH	    1024
#define ROUTE_ICMP_RATE	    100
#define ROUTE_ICMP_BURST    50
#define ROUTE_NEIGH_RUN_NS  100000000ull
#define ROUTE_ND_LEN	    32 /* NS/NA with one link-layer address option */
#define ROUTE_DUMP_MAX	    ROUTE_MAX_ROUTES
#define ROUTE_KRT_PORT_NONE 0xffff

struct route_port {
	struct port *port;
	enum vsw_port_role role;
	unsigned int n_ips;
	struct vsw_ip ips[VSW_PORT_IPS_MAX];
};

struct route_addr {
	bool set;
	uint8_t a[16];
	unsigned int plen;
};

struct vsw_route {
	uint8_t mac[6];
	struct route_addr gw4, gw6, up4, up6, upgw4, upgw6;
	uint8_t ll6[16]; /* the router's link-local address, from its MAC */
	bool proxy_arp;
	struct fib *fib;
	struct fib_neigh *neigh;
	struct fib_icmp_rl rl;
	struct fib_krt *krt;

	struct route_port ports[VSW_NET_PORTS_MAX];
	unsigned int n_ports;
	uint16_t slot_of[PORT_MAX]; /* port index -> slot + 1, 0 = not ours */
	struct port *uplink;

	/* Context of the process() call in progress. */
	struct vsw_fwd *fwd;
	struct pkt_pool *pool;
	uint64_t now_ns;
	uint64_t next_neigh_run_ns;
};

static const uint8_t route_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- configuration ------------------------------------------------------------------- */

static int
route_parse_cidr(const char *args, const char *key, int family, bool need_plen,
		 struct route_addr *out)
{
	char val[64];
	int fam, err;
	unsigned int plen;

	err = port_args_get(args, key, val, sizeof(val));
	if (err == -ENOENT)
		return 0;
	if (err)
		return -EINVAL;
	if (need_plen && !strchr(val, '/'))
		return -EINVAL;
	if (fib_prefix_parse(val, &fam, out->a, &plen) || fam != family)
		return -EINVAL;
	out->plen = plen;
	out->set = true;
	return 0;
}

static int
route_parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return -EINVAL;
	return 0;
}

static void
route_default_mac(const char *name, uint8_t *mac)
{
	uint32_t h = 2166136261u, h2;

	for (const char *c = name; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	h2 = (h ^ 0x5a) * 16777619u;
	mac[0] = 0x02; /* locally administered, unicast */
	mac[1] = (uint8_t)(h >> 24);
	mac[2] = (uint8_t)(h >> 16);
	mac[3] = (uint8_t)(h >> 8);
	mac[4] = (uint8_t)h;
	mac[5] = (uint8_t)h2;
}

static bool
route_ip_in_subnet(int family, const uint8_t *ip, const struct route_addr *net)
{
	uint8_t a[16] = { 0 }, b[16] = { 0 };
	unsigned int n = family == AF_INET ? 4 : 16;

	if (!net->set)
		return false;
	memcpy(a, ip, n);
	memcpy(b, net->a, n);
	fib_mask(family, a, net->plen);
	fib_mask(family, b, net->plen);
	return !memcmp(a, b, n);
}

static void route_destroy(void *state);
static void route_krt_event(void *arg, bool add, int family, const uint8_t *dst, unsigned int plen,
			    const uint8_t *gw);

static int
route_create(struct vsw_net *net, const char *args, void **statep)
{
	static const char *const keys[] = {
		"gateway",	  "gateway6",	     "uplink_address", "uplink_address6",
		"uplink_gateway", "uplink_gateway6", "proxy_arp",      "mac",
		"follow_kernel",  "icmp_rate",	     "icmp_burst",     NULL
	};
	struct vsw_route *r;
	unsigned int v, rate = ROUTE_ICMP_RATE, burst = ROUTE_ICMP_BURST;
	char val[64];
	int err;

	if (!args || port_args_check(args, keys))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	err = route_parse_cidr(args, "gateway", AF_INET, true, &r->gw4);
	if (!err && !r->gw4.set)
		err = -EINVAL;
	if (!err)
		err = route_parse_cidr(args, "gateway6", AF_INET6, true, &r->gw6);
	if (!err)
		err = route_parse_cidr(args, "uplink_address", AF_INET, true, &r->up4);
	if (!err)
		err = route_parse_cidr(args, "uplink_address6", AF_INET6, true, &r->up6);
	if (!err)
		err = route_parse_cidr(args, "uplink_gateway", AF_INET, false, &r->upgw4);
	if (!err)
		err = route_parse_cidr(args, "uplink_gateway6", AF_INET6, false, &r->upgw6);
	if (!err && (r->upgw4.plen != 32 && r->upgw4.set))
		err = -EINVAL;
	if (!err && (r->upgw6.plen != 128 && r->upgw6.set))
		err = -EINVAL;
	if (!err) {
		err = port_args_get_uint(args, "proxy_arp", 0, 1, &v);
		if (!err)
			r->proxy_arp = v;
		else if (err == -ENOENT)
			err = 0;
	}
	if (!err) {
		err = port_args_get_uint(args, "icmp_rate", 1, 1000000, &rate);
		err = err == -ENOENT ? 0 : err;
	}
	if (!err) {
		err = port_args_get_uint(args, "icmp_burst", 1, 1000000, &burst);
		err = err == -ENOENT ? 0 : err;
	}
	if (!err) {
		err = port_args_get(args, "mac", val, sizeof(val));
		if (!err)
			err = route_parse_mac(val, r->mac);
		else if (err == -ENOENT) {
			route_default_mac(vsw_net_name(net), r->mac);
			err = 0;
		} else {
			err = -EINVAL;
		}
	}
	if (err) {
		free(r);
		return err;
	}
	/* fe80::/64 + modified EUI-64 of the router MAC (RFC 4291 appendix A). */
	r->ll6[0] = 0xfe;
	r->ll6[1] = 0x80;
	r->ll6[8] = r->mac[0] ^ 0x02;
	r->ll6[9] = r->mac[1];
	r->ll6[10] = r->mac[2];
	r->ll6[11] = 0xff;
	r->ll6[12] = 0xfe;
	r->ll6[13] = r->mac[3];
	r->ll6[14] = r->mac[4];
	r->ll6[15] = r->mac[5];
	fib_icmp_rl_init(&r->rl, rate, burst);
	err = fib_create(ROUTE_MAX_ROUTES, &r->fib);
	if (!err)
		err = fib_neigh_create(NULL, &r->neigh);
	if (!err) {
		struct fib_nh nh = { .type = FIB_TYPE_REJECT,
				     .origin = FIB_ORIGIN_CONNECTED,
				     .port = ROUTE_KRT_PORT_NONE };

		/* The inside subnets: an address there that no guest holds is unreachable, not
		 * something to send out of the uplink. */
		err = fib_add(r->fib, AF_INET, r->gw4.a, r->gw4.plen, &nh, true);
		if (!err && r->gw6.set)
			err = fib_add(r->fib, AF_INET6, r->gw6.a, r->gw6.plen, &nh, true);
	}
	if (!err) {
		err = port_args_get_uint(args, "follow_kernel", 0, 1, &v);
		if (err == -ENOENT || (!err && !v))
			err = 0;
		else if (!err)
			err = fib_krt_open(&r->krt);
	}
	if (err) {
		route_destroy(r);
		return err;
	}
	*statep = r;
	return 0;
}

static struct route_port *
route_port_of_index(struct vsw_route *r, unsigned int index)
{
	if (index >= PORT_MAX || !r->slot_of[index])
		return NULL;
	return &r->ports[r->slot_of[index] - 1];
}

/* Drop callback of the neighbour table: counted on the packet's ingress port. */
static void
route_neigh_drop(void *arg, const struct fib_neigh_info *n, struct pkt *p)
{
	struct vsw_route *r = arg;
	struct route_port *rp = route_port_of_index(r, p->in_port);

	if (!rp)
		rp = route_port_of_index(r, n->port);
	if (rp)
		port_count_ctr(rp->port, VSW_CTR_L3_NEIGH_FAILED, 1);
	pkt_free(p);
}

static void
route_destroy(void *state)
{
	struct vsw_route *r = state;

	if (!r)
		return;
	fib_krt_close(r->krt);
	fib_neigh_destroy(r->neigh, route_neigh_drop, r);
	fib_destroy(r->fib);
	free(r);
}

static bool
route_is_inside(const struct route_port *rp)
{
	return rp->role == VSW_PORT_VIF || rp->role == VSW_PORT_HOST;
}

static int
route_add_uplink_routes(struct vsw_route *r, uint16_t idx)
{
	struct fib_nh nh = { .type = FIB_TYPE_DEV, .origin = FIB_ORIGIN_CONNECTED, .port = idx };
	int err = 0;

	if (r->up4.set)
		err = fib_add(r->fib, AF_INET, r->up4.a, r->up4.plen, &nh, true);
	if (!err && r->up6.set)
		err = fib_add(r->fib, AF_INET6, r->up6.a, r->up6.plen, &nh, true);
	nh.type = FIB_TYPE_VIA;
	nh.origin = FIB_ORIGIN_STATIC;
	if (!err && r->upgw4.set) {
		static const uint8_t zero[16];

		memcpy(nh.gw, r->upgw4.a, 16);
		err = fib_add(r->fib, AF_INET, zero, 0, &nh, true);
	}
	if (!err && r->upgw6.set) {
		static const uint8_t zero[16];

		memcpy(nh.gw, r->upgw6.a, 16);
		err = fib_add(r->fib, AF_INET6, zero, 0, &nh, true);
	}
	return err;
}

static bool
route_match_port(void *arg, const struct fib_route *rt)
{
	return rt->nh.type != FIB_TYPE_REJECT && rt->nh.port == *(const uint16_t *)arg;
}

static int
route_port_added(void *state, struct port *port, const struct vsw_port_cfg *cfg)
{
	struct vsw_route *r = state;
	struct route_port *rp;
	uint16_t idx = port->index;
	int err = 0;

	if (r->n_ports >= VSW_NET_PORTS_MAX || idx >= PORT_MAX)
		return -ENOSPC;
	if (cfg->role == VSW_PORT_UPLINK && r->uplink)
		return -EBUSY;
	if (cfg->role == VSW_PORT_VIF || cfg->role == VSW_PORT_HOST) {
		for (unsigned int i = 0; i < cfg->n_ips; i++) {
			const struct vsw_ip *ip = &cfg->ips[i];
			unsigned int plen = ip->family == AF_INET ? 32 : 128;
			const struct fib_route *old;

			if (ip->family != AF_INET && ip->family != AF_INET6)
				return -EINVAL;
			old = fib_get(r->fib, ip->family, ip->addr, plen);
			if (old && old->nh.origin == FIB_ORIGIN_HOST)
				return -EADDRINUSE;
		}
		for (unsigned int i = 0; i < cfg->n_ips && !err; i++) {
			const struct vsw_ip *ip = &cfg->ips[i];
			struct fib_nh nh = { .type = FIB_TYPE_DEV,
					     .origin = FIB_ORIGIN_HOST,
					     .port = idx };

			err = fib_add(r->fib, ip->family, ip->addr,
				      ip->family == AF_INET ? 32 : 128, &nh, true);
		}
	} else if (cfg->role == VSW_PORT_UPLINK) {
		err = route_add_uplink_routes(r, idx);
	}
	if (err) {
		fib_del_if(r->fib, route_match_port, &idx);
		return err;
	}
	rp = &r->ports[r->n_ports];
	memset(rp, 0, sizeof(*rp));
	rp->port = port;
	rp->role = cfg->role;
	rp->n_ips = cfg->n_ips;
	memcpy(rp->ips, cfg->ips, sizeof(rp->ips));
	r->slot_of[idx] = (uint16_t)++r->n_ports;
	if (cfg->role == VSW_PORT_UPLINK) {
		r->uplink = port;
		/* Kernel routes whose gateway lies on the uplink can be taken now. */
		if (r->krt)
			fib_krt_dump(r->krt);
	}
	return 0;
}

static void
route_port_removed(void *state, struct port *port)
{
	struct vsw_route *r = state;
	uint16_t idx = port->index;
	unsigned int slot;

	if (!r->slot_of[idx])
		return;
	fib_del_if(r->fib, route_match_port, &idx);
	fib_neigh_flush_port(r->neigh, idx, route_neigh_drop, r);
	slot = r->slot_of[idx] - 1u;
	r->slot_of[idx] = 0;
	if (r->uplink == port)
		r->uplink = NULL;
	r->n_ports--;
	if (slot != r->n_ports) {
		r->ports[slot] = r->ports[r->n_ports];
		r->slot_of[r->ports[slot].port->index] = (uint16_t)(slot + 1);
	}
}

/* ---- helpers ------------------------------------------------------------------------- */

static bool
route_port_has_ip(const struct route_port *rp, int family, const uint8_t *a)
{
	unsigned int n = family == AF_INET ? 4 : 16;

	for (unsigned int i = 0; i < rp->n_ips; i++)
		if (rp->ips[i].family == family && !memcmp(rp->ips[i].addr, a, n))
			return true;
	return false;
}

/* Whether 'a' is a guest's address (a host route to an inside port). */
static bool
route_is_guest_addr(struct vsw_route *r, int family, const uint8_t *a)
{
	const struct fib_route *rt = fib_get(r->fib, family, a, family == AF_INET ? 32 : 128);
	const struct route_port *rp;

	if (!rt || rt->nh.origin != FIB_ORIGIN_HOST)
		return false;
	rp = route_port_of_index(r, rt->nh.port);
	return rp && route_is_inside(rp);
}

static bool
route_is_local4(const struct vsw_route *r, const uint8_t *a)
{
	return !memcmp(a, r->gw4.a, 4) || (r->up4.set && !memcmp(a, r->up4.a, 4));
}

static bool
route_is_local6(const struct vsw_route *r, const uint8_t *a)
{
	return (r->gw6.set && !memcmp(a, r->gw6.a, 16)) ||
	       (r->up6.set && !memcmp(a, r->up6.a, 16)) || !memcmp(a, r->ll6, 16);
}

/* The router's address to speak from on 'rp' (ICMP errors, ARP/NS). */
static const uint8_t *
route_src4(const struct vsw_route *r, const struct route_port *rp)
{
	if (rp->role == VSW_PORT_UPLINK && r->up4.set)
		return r->up4.a;
	return r->gw4.a;
}

static const uint8_t *
route_src6(const struct vsw_route *r, const struct route_port *rp)
{
	if (rp->role == VSW_PORT_UPLINK && r->up6.set)
		return r->up6.a;
	if (rp->role != VSW_PORT_UPLINK && r->gw6.set)
		return r->gw6.a;
	return r->ll6;
}

/* Sets the frame length of 'p' to 'len' (within its buffer). */
static int
route_set_len(struct pkt *p, uint32_t len)
{
	if (len <= p->len)
		return pkt_trim(p, len);
	return pkt_put(p, len - p->len) ? 0 : -ENOSPC;
}

/* Turns 'p' into a locally generated frame for the wire: no offload state left over. */
static void
route_reset_meta(struct pkt *p)
{
	p->flags = 0;
	p->gso_type = PKT_GSO_NONE;
	p->gso_size = 0;
}

static void
route_output_neigh_released(struct vsw_route *r, const struct fib_neigh_info *n, struct pkt **rel,
			    int count)
{
	struct route_port *rp = route_port_of_index(r, n->port);

	for (int i = 0; i < count; i++) {
		if (!rp) {
			pkt_free(rel[i]);
			continue;
		}
		memcpy(pkt_data(rel[i]), n->mac, 6);
		vsw_fwd_output(r->fwd, rp->port, rel[i]);
	}
}

/* Records 'addr' at 'mac' on 'rp' and sends what waited for it. */
static void
route_learn(struct vsw_route *r, struct route_port *rp, int family, const uint8_t *addr,
	    const uint8_t *mac, bool create)
{
	struct pkt *rel[FIB_NEIGH_QUEUE_MAX];
	struct fib_neigh_info info;
	int n;

	if (fib_neigh_fresh(r->neigh, family, addr, rp->port->index, mac, r->now_ns,
			    FIB_NEIGH_REACHABLE_NS / 2))
		return;
	n = fib_neigh_update(r->neigh, family, addr, rp->port->index, mac, r->now_ns, create, rel);
	if (n > 0 && fib_neigh_get(r->neigh, family, addr, rp->port->index, &info) == 0)
		route_output_neigh_released(r, &info, rel, n);
}

/* Sends an ARP request or a neighbour solicitation for 'n' (neighbour table callback). */
static void
route_solicit(void *arg, const struct fib_neigh_info *n)
{
	struct vsw_route *r = arg;
	struct route_port *rp = route_port_of_index(r, n->port);
	struct pkt *p;
	uint8_t *d;

	if (!rp || !r->pool || !r->fwd)
		return;
	p = pkt_alloc(r->pool);
	if (!p)
		return;
	if (n->family == AF_INET) {
		struct vsw_l3_arp arp = { .op = VSW_L3_ARP_REQUEST };

		d = pkt_put(p, VSW_L3_ETH_HLEN + VSW_L3_ARP_LEN);
		if (!d) {
			pkt_free(p);
			return;
		}
		memcpy(arp.sha, r->mac, 6);
		memcpy(arp.spa, route_src4(r, rp), 4);
		memcpy(arp.tpa, n->addr, 4);
		vsw_l3_eth_build(d, route_bcast, r->mac, VSW_L3_ETH_ARP);
		vsw_l3_arp_build(d + VSW_L3_ETH_HLEN, &arp);
	} else {
		uint8_t dst[16], mac[6], *ip, *icmp;
		const uint8_t *src = route_src6(r, rp);

		d = pkt_put(p, VSW_L3_ETH_HLEN + VSW_L3_IP6_HLEN + ROUTE_ND_LEN);
		if (!d) {
			pkt_free(p);
			return;
		}
		vsw_l3_ip6_solicited(dst, n->addr);
		vsw_l3_ip6_mcast_mac(mac, dst);
		vsw_l3_eth_build(d, mac, r->mac, VSW_L3_ETH_IP6);
		ip = d + VSW_L3_ETH_HLEN;
		vsw_l3_ip6_build(ip, ROUTE_ND_LEN, VSW_L3_PROTO_ICMP6, 255, src, dst);
		icmp = ip + VSW_L3_IP6_HLEN;
		memset(icmp, 0, ROUTE_ND_LEN);
		icmp[0] = VSW_L3_ND_NS;
		memcpy(icmp + 8, n->addr, 16);
		icmp[24] = 1; /* source link-layer address */
		icmp[25] = 1;
		memcpy(icmp + 26, r->mac, 6);
		vsw_l3_put16(icmp + 2,
			     vsw_l3_ip6_l4_csum(src, dst, VSW_L3_PROTO_ICMP6, icmp, ROUTE_ND_LEN));
	}
	vsw_fwd_output(r->fwd, rp->port, p);
}

/*
 * Sends routed packet 'p' (Ethernet source already the router, destination to fill in) to
 * 'nh' on 'out', resolving it first if needed.
 */
static void
route_send(struct vsw_route *r, struct route_port *in, struct route_port *out, int family,
	   const uint8_t *nh, struct pkt *p)
{
	uint8_t mac[6];
	bool solicit;
	int err;

	err = fib_neigh_resolve(r->neigh, family, nh, out->port->index, p, r->now_ns, mac,
				&solicit);
	if (err == 0) {
		memcpy(pkt_data(p), mac, 6);
		vsw_fwd_output(r->fwd, out->port, p);
		return;
	}
	if (err != -EAGAIN) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_NEIGH_FAILED);
		return;
	}
	if (solicit) {
		struct fib_neigh_info info;

		if (fib_neigh_get(r->neigh, family, nh, out->port->index, &info) == 0)
			route_solicit(r, &info);
	}
}

/* Counts 'why' on the ingress port, then answers 'p' (whose IPv4 packet is at offset 14
 * and was validated) with an ICMP error if the rules and the rate limit allow. */
/* The rate limit shared by ICMPv4 and ICMPv6 errors; frees the packet when it says no. */
static bool
route_icmp_allowed(struct vsw_route *r, struct route_port *in, struct pkt *p)
{
	if (fib_icmp_rl_allow(&r->rl, r->now_ns))
		return true;
	port_count_ctr(in->port, VSW_CTR_L3_ICMP_RATELIMITED, 1);
	pkt_free(p);
	return false;
}

/* Sends the error that fib_icmp*_error() wrote in place ('n' bytes or -errno) back to 'peer'. */
static void
route_icmp_send(struct vsw_route *r, struct route_port *in, struct pkt *p, const uint8_t *peer,
		int n, uint16_t ethertype)
{
	if (n < 0 || route_set_len(p, VSW_L3_ETH_HLEN + (uint32_t)n)) {
		pkt_free(p);
		return;
	}
	vsw_l3_eth_build(pkt_data(p), peer, r->mac, ethertype);
	route_reset_meta(p);
	port_count_ctr(in->port, VSW_CTR_L3_ICMP_SENT, 1);
	vsw_fwd_output(r->fwd, in->port, p);
}

static void
route_icmp4_error(struct vsw_route *r, struct route_port *in, struct pkt *p, enum vsw_counter why,
		  uint8_t type, uint8_t code, uint16_t mtu)
{
	uint8_t *d = pkt_data(p), peer[6];
	uint32_t room = p->buf_size - p->data_off - VSW_L3_ETH_HLEN;
	int n;

	port_count_ctr(in->port, why, 1);
	if (!fib_icmp4_may_error(d + VSW_L3_ETH_HLEN, p->len - VSW_L3_ETH_HLEN,
				 vsw_l3_mac_is_mcast(d))) {
		pkt_free(p);
		return;
	}
	if (!route_icmp_allowed(r, in, p))
		return;
	memcpy(peer, d + 6, 6);
	n = fib_icmp4_error(d + VSW_L3_ETH_HLEN, room, route_src4(r, in), d + VSW_L3_ETH_HLEN,
			    p->len - VSW_L3_ETH_HLEN, type, code, mtu);
	route_icmp_send(r, in, p, peer, n, VSW_L3_ETH_IP4);
}

static void
route_icmp6_error(struct vsw_route *r, struct route_port *in, struct pkt *p, enum vsw_counter why,
		  uint8_t type, uint8_t code, uint32_t param)
{
	uint8_t *d = pkt_data(p), peer[6];
	uint32_t room = p->buf_size - p->data_off - VSW_L3_ETH_HLEN;
	int n;

	port_count_ctr(in->port, why, 1);
	if (!fib_icmp6_may_error(d + VSW_L3_ETH_HLEN, p->len - VSW_L3_ETH_HLEN,
				 vsw_l3_mac_is_mcast(d), type == FIB_ICMP6_PKT_TOO_BIG)) {
		pkt_free(p);
		return;
	}
	if (!route_icmp_allowed(r, in, p))
		return;
	memcpy(peer, d + 6, 6);
	n = fib_icmp6_error(d + VSW_L3_ETH_HLEN, room, route_src6(r, in), d + VSW_L3_ETH_HLEN,
			    p->len - VSW_L3_ETH_HLEN, type, code, param);
	route_icmp_send(r, in, p, peer, n, VSW_L3_ETH_IP6);
}

/* ---- ARP and ND ---------------------------------------------------------------------- */

static void
route_arp(struct vsw_route *r, struct route_port *in, struct pkt *p)
{
	uint8_t *d = pkt_data(p);
	static const uint8_t zero4[4];
	struct vsw_l3_arp arp, rep;
	bool reply;
	int err;

	err = vsw_l3_arp_parse(d + VSW_L3_ETH_HLEN, p->len - VSW_L3_ETH_HLEN, &arp);
	if (err) {
		vsw_fwd_drop(r->fwd, in->port, p,
			     err == -EMSGSIZE ? VSW_CTR_L3_TRUNCATED : VSW_CTR_L3_BAD_HDR);
		return;
	}
	if (arp.op != VSW_L3_ARP_REQUEST && arp.op != VSW_L3_ARP_REPLY) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_UNSUPPORTED);
		return;
	}
	if (route_is_inside(in)) {
		bool probe = !memcmp(arp.spa, zero4, 4);

		if (!probe && !route_port_has_ip(in, AF_INET, arp.spa)) {
			vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_SPOOFED);
			return;
		}
		if (!probe && !vsw_l3_mac_is_mcast(arp.sha))
			route_learn(r, in, AF_INET, arp.spa, arp.sha, true);
		/* Proxy ARP for everything but the asker's own addresses: guest-to-guest
		 * traffic goes through the router too. */
		reply = arp.op == VSW_L3_ARP_REQUEST && !route_port_has_ip(in, AF_INET, arp.tpa) &&
			!vsw_l3_ip4_is_special(arp.tpa);
	} else {
		bool for_us = !memcmp(arp.tpa, r->up4.a, 4) && r->up4.set;

		if (!for_us && r->proxy_arp && route_is_guest_addr(r, AF_INET, arp.tpa))
			for_us = true;
		if (!vsw_l3_ip4_is_special(arp.spa) && !vsw_l3_mac_is_mcast(arp.sha))
			route_learn(r, in, AF_INET, arp.spa, arp.sha,
				    for_us && route_ip_in_subnet(AF_INET, arp.spa, &r->up4));
		reply = arp.op == VSW_L3_ARP_REQUEST && for_us;
		if (!reply && arp.op == VSW_L3_ARP_REQUEST) {
			vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_NOT_FOR_US);
			return;
		}
	}
	if (!reply) {
		if (arp.op == VSW_L3_ARP_REQUEST)
			vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_NOT_FOR_US);
		else
			pkt_free(p); /* a reply: consumed by the neighbour table */
		return;
	}
	rep.op = VSW_L3_ARP_REPLY;
	memcpy(rep.sha, r->mac, 6);
	memcpy(rep.spa, arp.tpa, 4);
	memcpy(rep.tha, arp.sha, 6);
	memcpy(rep.tpa, arp.spa, 4);
	if (route_set_len(p, VSW_L3_ETH_HLEN + VSW_L3_ARP_LEN)) {
		pkt_free(p);
		return;
	}
	d = pkt_data(p);
	vsw_l3_eth_build(d, d + 6, r->mac, VSW_L3_ETH_ARP);
	vsw_l3_arp_build(d + VSW_L3_ETH_HLEN, &rep);
	route_reset_meta(p);
	port_count_ctr(in->port, VSW_CTR_L3_ARP_REPLIED, 1);
	vsw_fwd_output(r->fwd, in->port, p);
}

/* The link-layer address option of type 'type' in ND options 'o' ('len' bytes), or NULL. */
static const uint8_t *
route_nd_lladdr(const uint8_t *o, size_t len, uint8_t type)
{
	while (len >= 8) {
		size_t olen = (size_t)o[1] * 8;

		if (olen == 0 || olen > len)
			return NULL;
		if (o[0] == type && olen == 8)
			return o + 2;
		o += olen;
		len -= olen;
	}
	return NULL;
}

/* Handles NS/NA 'icmp' ('len' bytes) of 'p'; the IPv6 header was checked. */
static void
route_nd(struct vsw_route *r, struct route_port *in, struct pkt *p, uint8_t *ip, uint8_t *icmp,
	 uint32_t len)
{
	uint8_t *d = pkt_data(p), src[16], target[16], peer[6];
	const uint8_t *ll;
	bool unspec, reply;

	if (ip[7] != 255 || icmp[1] != 0) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_BAD_HDR);
		return;
	}
	if (len < 24) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_TRUNCATED);
		return;
	}
	if (vsw_l3_ip6_l4_csum(ip + 8, ip + 24, VSW_L3_PROTO_ICMP6, icmp, len) != 0) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_BAD_HDR);
		return;
	}
	memcpy(src, ip + 8, 16);
	memcpy(target, icmp + 8, 16);
	unspec = vsw_l3_ip6_is_unspec(src);
	if (vsw_l3_ip6_is_mcast(target)) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_BAD_HDR);
		return;
	}
	if (icmp[0] == VSW_L3_ND_NA) {
		ll = route_nd_lladdr(icmp + 24, len - 24, 2);
		if (!ll)
			ll = d + 6;
		if (route_is_inside(in)) {
			if (!route_port_has_ip(in, AF_INET6, target)) {
				vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_SPOOFED);
				return;
			}
			route_learn(r, in, AF_INET6, target, ll, true);
		} else {
			route_learn(r, in, AF_INET6, target, ll, (icmp[4] & 0x40) != 0);
		}
		pkt_free(p);
		return;
	}
	/* Neighbour solicitation. */
	ll = unspec ? NULL : route_nd_lladdr(icmp + 24, len - 24, 1);
	if (route_is_inside(in)) {
		if (!unspec && !vsw_l3_ip6_is_linklocal(src) &&
		    !route_port_has_ip(in, AF_INET6, src)) {
			vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_SPOOFED);
			return;
		}
		if (ll && route_port_has_ip(in, AF_INET6, src))
			route_learn(r, in, AF_INET6, src, ll, true);
		reply = !route_port_has_ip(in, AF_INET6, target);
	} else {
		reply = (r->up6.set && !memcmp(target, r->up6.a, 16)) ||
			!memcmp(target, r->ll6, 16) ||
			(r->proxy_arp && route_is_guest_addr(r, AF_INET6, target));
		if (ll)
			route_learn(r, in, AF_INET6, src, ll,
				    reply && route_ip_in_subnet(AF_INET6, src, &r->up6));
	}
	if (!reply) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_NOT_FOR_US);
		return;
	}
	memcpy(peer, ll ? ll : d + 6, 6);
	if (route_set_len(p, VSW_L3_ETH_HLEN + VSW_L3_IP6_HLEN + ROUTE_ND_LEN)) {
		pkt_free(p);
		return;
	}
	d = pkt_data(p);
	ip = d + VSW_L3_ETH_HLEN;
	icmp = ip + VSW_L3_IP6_HLEN;
	if (unspec) {
		static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };

		memcpy(src, all_nodes, 16);
		vsw_l3_ip6_mcast_mac(peer, all_nodes);
	}
	vsw_l3_eth_build(d, peer, r->mac, VSW_L3_ETH_IP6);
	vsw_l3_ip6_build(ip, ROUTE_ND_LEN, VSW_L3_PROTO_ICMP6, 255, target, src);
	memset(icmp, 0, ROUTE_ND_LEN);
	icmp[0] = VSW_L3_ND_NA;
	/* Router; solicited unless answering DAD; override only for our own addresses, as a
	 * proxy must not override a host's own answer (RFC 4861 7.2.8). */
	icmp[4] = (uint8_t)(0x80 | (unspec ? 0 : 0x40) | (route_is_local6(r, target) ? 0x20 : 0));
	memcpy(icmp + 8, target, 16);
	icmp[24] = 2;
	icmp[25] = 1;
	memcpy(icmp + 26, r->mac, 6);
	vsw_l3_put16(icmp + 2,
		     vsw_l3_ip6_l4_csum(ip + 8, ip + 24, VSW_L3_PROTO_ICMP6, icmp, ROUTE_ND_LEN));
	route_reset_meta(p);
	port_count_ctr(in->port, VSW_CTR_L3_ARP_REPLIED, 1);
	vsw_fwd_output(r->fwd, in->port, p);
}

/* ---- IPv4 ---------------------------------------------------------------------------- */

/* Answers an echo request to one of the router's addresses, in place. */
static void
route_echo4(struct vsw_route *r, struct route_port *in, struct pkt *p, unsigned int hlen,
	    unsigned int tot)
{
	uint8_t *d = pkt_data(p), *ip = d + VSW_L3_ETH_HLEN, *icmp = ip + hlen, tmp[4];

	if ((vsw_l3_get16(ip + 6) & (VSW_L3_IP4_MF | VSW_L3_IP4_OFFSET)) ||
	    tot - hlen < VSW_L3_ICMP_HLEN || icmp[0] != FIB_ICMP4_ECHO_REQUEST) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_UNSUPPORTED);
		return;
	}
	if (vsw_csum_fold(vsw_csum_partial(icmp, tot - hlen, 0)) != 0) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_BAD_HDR);
		return;
	}
	icmp[0] = FIB_ICMP4_ECHO_REPLY;
	vsw_l3_csum_update16(icmp + 2, FIB_ICMP4_ECHO_REQUEST << 8, FIB_ICMP4_ECHO_REPLY << 8);
	memcpy(tmp, ip + 12, 4);
	memcpy(ip + 12, ip + 16, 4);
	memcpy(ip + 16, tmp, 4);
	ip[8] = FIB_ICMP_TTL;
	vsw_l3_ip4_set_csum(ip);
	vsw_l3_eth_build(d, d + 6, r->mac, VSW_L3_ETH_IP4);
	route_reset_meta(p);
	vsw_fwd_output(r->fwd, in->port, p);
}

/* The options of IPv4 header 'ip' ('hlen' bytes) that RFC 791 says go into every fragment
 * (copied flag set), written at 'out' and padded to 4 bytes; returns their length. A
 * malformed option list ends the copy there. */
static unsigned int
route_copied_options(const uint8_t *ip, unsigned int hlen, uint8_t *out)
{
	unsigned int i = VSW_L3_IP4_HLEN, n = 0;

	while (i < hlen) {
		unsigned int olen;

		if (ip[i] == 0) /* end of option list */
			break;
		if (ip[i] == 1) { /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= hlen || ip[i + 1] < 2 || i + ip[i + 1] > hlen)
			break;
		olen = ip[i + 1];
		if (ip[i] & 0x80) {
			memcpy(out + n, ip + i, olen);
			n += olen;
		}
		i += olen;
	}
	while (n % 4)
		out[n++] = 0;
	return n;
}

/*
 * Forwards 'p', too big for 'out' and without DF, as fragments (RFC 791, RFC 1812 5.2.6):
 * the first keeps every option, the others only the copied ones; each carries a multiple of
 * 8 bytes but the last, with offsets and MF derived from the original's (which may itself be
 * a fragment). The TTL is decremented in each; 'p' is consumed.
 */
static void
route_fragment4(struct vsw_route *r, struct route_port *in, struct route_port *out,
		const struct fib_route *rt, struct pkt *p, unsigned int hlen, unsigned int tot)
{
	const uint8_t *ip = pkt_data(p) + VSW_L3_ETH_HLEN;
	uint8_t later_opts[40], nh[4];
	unsigned int later_hlen = VSW_L3_IP4_HLEN + route_copied_options(ip, hlen, later_opts);
	uint16_t fl = vsw_l3_get16(ip + 6);
	unsigned int base_off = (fl & VSW_L3_IP4_OFFSET) * 8u, data = tot - hlen, done = 0;

	memcpy(nh, rt->nh.type == FIB_TYPE_VIA ? rt->nh.gw : ip + 16, 4);
	if (out->port->mtu < later_hlen + 8 || out->port->mtu < hlen + 8 || !p->pool) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_FRAG_NEEDED);
		return;
	}
	while (done < data) {
		bool first = done == 0;
		unsigned int h = first ? hlen : later_hlen;
		unsigned int room = (out->port->mtu - h) & ~7u;
		unsigned int n = data - done < room ? data - done : room;
		bool last = done + n == data;
		struct pkt *f = pkt_alloc(p->pool);
		uint8_t *d, *fip;

		if (!f || !(d = pkt_put(f, VSW_L3_ETH_HLEN + h + n))) {
			pkt_free(f);
			port_count_ctr(in->port, VSW_CTR_RX_NOBUF, 1);
			break;
		}
		f->in_port = p->in_port;
		vsw_l3_eth_build(d, route_bcast, r->mac, VSW_L3_ETH_IP4);
		fip = d + VSW_L3_ETH_HLEN;
		memcpy(fip, ip, VSW_L3_IP4_HLEN);
		if (first)
			memcpy(fip + VSW_L3_IP4_HLEN, ip + VSW_L3_IP4_HLEN, hlen - VSW_L3_IP4_HLEN);
		else
			memcpy(fip + VSW_L3_IP4_HLEN, later_opts, h - VSW_L3_IP4_HLEN);
		fip[0] = (uint8_t)(0x40 | h / 4);
		vsw_l3_put16(fip + 2, (uint16_t)(h + n));
		vsw_l3_put16(fip + 6, (uint16_t)((fl & ~VSW_L3_IP4_OFFSET & ~VSW_L3_IP4_MF) |
						 ((base_off + done) / 8) |
						 (last ? (fl & VSW_L3_IP4_MF) : VSW_L3_IP4_MF)));
		fip[8]--;
		memcpy(fip + h, ip + hlen + done, n);
		vsw_l3_ip4_set_csum(fip);
		done += n;
		route_send(r, in, out, AF_INET, nh, f);
	}
	pkt_free(p);
}

static void
route_ip4(struct vsw_route *r, struct route_port *in, struct pkt *p)
{
	uint8_t *d = pkt_data(p), *ip = d + VSW_L3_ETH_HLEN, nh[4];
	unsigned int hlen, tot;
	const struct fib_route *rt;
	struct route_port *out;
	uint16_t old;
	int err;

	err = vsw_l3_ip4_check(ip, p->len - VSW_L3_ETH_HLEN, &hlen, &tot);
	if (err) {
		vsw_fwd_drop(r->fwd, in->port, p,
			     err == -EMSGSIZE ? VSW_CTR_L3_TRUNCATED : VSW_CTR_L3_BAD_HDR);
		return;
	}
	/* Ethernet padding is not part of the packet. */
	pkt_trim(p, VSW_L3_ETH_HLEN + tot);
	if (memcmp(d, r->mac, 6)) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_NOT_FOR_US);
		return;
	}
	if (route_is_inside(in)) {
		if (!route_port_has_ip(in, AF_INET, ip + 12)) {
			vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_SPOOFED);
			return;
		}
		route_learn(r, in, AF_INET, ip + 12, d + 6, true);
	}
	/* The router's own address, unless a port holds it (dom0's host port may carry the
	 * gateway address: then dom0 answers for it, the router only answers ARP). */
	if (route_is_local4(r, ip + 16) && !route_is_guest_addr(r, AF_INET, ip + 16)) {
		if (ip[9] == VSW_L3_PROTO_ICMP)
			route_echo4(r, in, p, hlen, tot);
		else
			vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_UNSUPPORTED);
		return;
	}
	if (vsw_l3_ip4_is_special(ip + 16)) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_NOT_FOR_US);
		return;
	}
	if (ip[8] <= 1) {
		route_icmp4_error(r, in, p, VSW_CTR_L3_TTL_EXCEEDED, FIB_ICMP4_TIME_EXCEED, 0, 0);
		return;
	}
	rt = fib_lookup(r->fib, AF_INET, ip + 16);
	if (!rt || rt->nh.type == FIB_TYPE_REJECT) {
		route_icmp4_error(r, in, p, VSW_CTR_L3_NO_ROUTE, FIB_ICMP4_UNREACH,
				  rt ? FIB_ICMP4_HOST_UNREACH : FIB_ICMP4_NET_UNREACH, 0);
		return;
	}
	out = route_port_of_index(r, rt->nh.port);
	if (!out) {
		route_icmp4_error(r, in, p, VSW_CTR_L3_NO_ROUTE, FIB_ICMP4_UNREACH,
				  FIB_ICMP4_NET_UNREACH, 0);
		return;
	}
	if (tot > out->port->mtu && p->gso_type == PKT_GSO_NONE) {
		if (vsw_l3_get16(ip + 6) & VSW_L3_IP4_DF)
			route_icmp4_error(r, in, p, VSW_CTR_L3_FRAG_NEEDED, FIB_ICMP4_UNREACH,
					  FIB_ICMP4_FRAG_NEEDED, (uint16_t)out->port->mtu);
		else
			route_fragment4(r, in, out, rt, p, hlen, tot);
		return;
	}
	old = vsw_l3_get16(ip + 8);
	ip[8]--;
	vsw_l3_csum_update16(ip + 10, old, vsw_l3_get16(ip + 8));
	memcpy(nh, rt->nh.type == FIB_TYPE_VIA ? rt->nh.gw : ip + 16, 4);
	memcpy(d + 6, r->mac, 6);
	route_send(r, in, out, AF_INET, nh, p);
}

/* ---- IPv6 ---------------------------------------------------------------------------- */

static void
route_echo6(struct vsw_route *r, struct route_port *in, struct pkt *p, uint32_t len)
{
	uint8_t *d = pkt_data(p), *ip = d + VSW_L3_ETH_HLEN, *icmp = ip + VSW_L3_IP6_HLEN;
	uint8_t tmp[16];

	if (len < VSW_L3_ICMP_HLEN || icmp[0] != FIB_ICMP6_ECHO_REQUEST) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_UNSUPPORTED);
		return;
	}
	if (vsw_l3_ip6_l4_csum(ip + 8, ip + 24, VSW_L3_PROTO_ICMP6, icmp, len) != 0) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_BAD_HDR);
		return;
	}
	icmp[0] = FIB_ICMP6_ECHO_REPLY;
	/* The pseudo-header sum is symmetric in source and destination: only the type word
	 * changed. */
	vsw_l3_csum_update16(icmp + 2, FIB_ICMP6_ECHO_REQUEST << 8, FIB_ICMP6_ECHO_REPLY << 8);
	memcpy(tmp, ip + 8, 16);
	memcpy(ip + 8, ip + 24, 16);
	memcpy(ip + 24, tmp, 16);
	ip[7] = FIB_ICMP_TTL;
	vsw_l3_eth_build(d, d + 6, r->mac, VSW_L3_ETH_IP6);
	route_reset_meta(p);
	vsw_fwd_output(r->fwd, in->port, p);
}

static void
route_ip6(struct vsw_route *r, struct route_port *in, struct pkt *p)
{
	uint8_t *d = pkt_data(p), *ip = d + VSW_L3_ETH_HLEN, nh[16];
	const struct fib_route *rt;
	struct route_port *out;
	unsigned int tot;
	int err;

	err = vsw_l3_ip6_check(ip, p->len - VSW_L3_ETH_HLEN, &tot);
	if (err) {
		vsw_fwd_drop(r->fwd, in->port, p,
			     err == -EMSGSIZE ? VSW_CTR_L3_TRUNCATED : VSW_CTR_L3_BAD_HDR);
		return;
	}
	pkt_trim(p, VSW_L3_ETH_HLEN + tot);
	if (ip[6] == VSW_L3_PROTO_ICMP6 && tot > VSW_L3_IP6_HLEN) {
		uint8_t type = ip[VSW_L3_IP6_HLEN];

		if (type == VSW_L3_ND_NS || type == VSW_L3_ND_NA) {
			route_nd(r, in, p, ip, ip + VSW_L3_IP6_HLEN, tot - VSW_L3_IP6_HLEN);
			return;
		}
	}
	if (memcmp(d, r->mac, 6)) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_NOT_FOR_US);
		return;
	}
	if (route_is_inside(in)) {
		if (!route_port_has_ip(in, AF_INET6, ip + 8)) {
			vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_SPOOFED);
			return;
		}
		route_learn(r, in, AF_INET6, ip + 8, d + 6, true);
	}
	if (route_is_local6(r, ip + 24) && !route_is_guest_addr(r, AF_INET6, ip + 24)) {
		if (ip[6] == VSW_L3_PROTO_ICMP6)
			route_echo6(r, in, p, tot - VSW_L3_IP6_HLEN);
		else
			vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_UNSUPPORTED);
		return;
	}
	if (vsw_l3_ip6_is_mcast(ip + 24) || vsw_l3_ip6_is_linklocal(ip + 24) ||
	    vsw_l3_ip6_is_unspec(ip + 24)) {
		vsw_fwd_drop(r->fwd, in->port, p, VSW_CTR_L3_NOT_FOR_US);
		return;
	}
	if (ip[7] <= 1) {
		route_icmp6_error(r, in, p, VSW_CTR_L3_TTL_EXCEEDED, FIB_ICMP6_TIME_EXCEED, 0, 0);
		return;
	}
	rt = fib_lookup(r->fib, AF_INET6, ip + 24);
	out = rt && rt->nh.type != FIB_TYPE_REJECT ? route_port_of_index(r, rt->nh.port) : NULL;
	if (!out) {
		route_icmp6_error(r, in, p, VSW_CTR_L3_NO_ROUTE, FIB_ICMP6_UNREACH,
				  rt ? FIB_ICMP6_ADDR_UNREACH : FIB_ICMP6_NO_ROUTE, 0);
		return;
	}
	if (tot > out->port->mtu && p->gso_type == PKT_GSO_NONE) {
		route_icmp6_error(r, in, p, VSW_CTR_L3_FRAG_NEEDED, FIB_ICMP6_PKT_TOO_BIG, 0,
				  out->port->mtu);
		return;
	}
	ip[7]--;
	memcpy(nh, rt->nh.type == FIB_TYPE_VIA ? rt->nh.gw : ip + 24, 16);
	memcpy(d + 6, r->mac, 6);
	route_send(r, in, out, AF_INET6, nh, p);
}

/* ---- the mode ------------------------------------------------------------------------ */

static void
route_process(void *state, struct vsw_fwd *fwd, struct port *inport, struct pkt_batch *batch,
	      uint64_t now_ns)
{
	struct vsw_route *r = state;
	struct route_port *in = route_port_of_index(r, inport->index);

	r->fwd = fwd;
	r->now_ns = now_ns;
	r->pool = batch->count ? batch->pkts[0]->pool : NULL;
	if (now_ns >= r->next_neigh_run_ns) {
		fib_neigh_run(r->neigh, now_ns, route_solicit, route_neigh_drop, r);
		r->next_neigh_run_ns = now_ns + ROUTE_NEIGH_RUN_NS;
	}
	for (unsigned int i = 0; i < batch->count; i++) {
		struct pkt *p = batch->pkts[i];
		const uint8_t *d = pkt_data(p);
		uint16_t type;

		if (p->len < VSW_L3_ETH_HLEN) {
			vsw_fwd_drop(fwd, inport, p, VSW_CTR_RX_RUNT);
			continue;
		}
		if (!in || in->role == VSW_PORT_OTHER) {
			vsw_fwd_drop(fwd, inport, p, VSW_CTR_MODE_DENIED);
			continue;
		}
		if (vsw_l3_mac_is_mcast(d + 6) || !(d[6] | d[7] | d[8] | d[9] | d[10] | d[11])) {
			vsw_fwd_drop(fwd, inport, p, VSW_CTR_RX_BAD_SRC_MAC);
			continue;
		}
		type = vsw_l3_get16(d + 12);
		if (type == VSW_L3_ETH_ARP)
			route_arp(r, in, p);
		else if (type == VSW_L3_ETH_IP4)
			route_ip4(r, in, p);
		else if (type == VSW_L3_ETH_IP6)
			route_ip6(r, in, p);
		else
			vsw_fwd_drop(fwd, inport, p, VSW_CTR_L3_UNSUPPORTED);
	}
	r->fwd = NULL;
	r->pool = NULL;
}

static void
route_tick(void *state, uint64_t now_ns)
{
	struct vsw_route *r = state;

	r->now_ns = now_ns;
	fib_neigh_run(r->neigh, now_ns, NULL, route_neigh_drop, r);
	if (r->krt)
		fib_krt_poll(r->krt, route_krt_event, r);
}

/* ---- kernel routes ------------------------------------------------------------------- */

/* A route of dom0's main table: kept when its gateway is reachable through one of our
 * directly connected routes (the uplink's subnet); device routes of dom0 name its own
 * interfaces, which mean nothing here, so they are not imported. */
static void
route_krt_event(void *arg, bool add, int family, const uint8_t *dst, unsigned int plen,
		const uint8_t *gw)
{
	struct vsw_route *r = arg;
	const struct fib_route *old = fib_get(r->fib, family, dst, plen);
	const struct fib_route *via;
	struct fib_nh nh = { .type = FIB_TYPE_VIA, .origin = FIB_ORIGIN_KERNEL };

	if (!add) {
		if (old && old->nh.origin == FIB_ORIGIN_KERNEL)
			fib_del(r->fib, family, dst, plen);
		return;
	}
	if (!gw || (old && old->nh.origin != FIB_ORIGIN_KERNEL))
		return;
	via = fib_lookup(r->fib, family, gw);
	if (!via || via->nh.type != FIB_TYPE_DEV || via->nh.origin != FIB_ORIGIN_CONNECTED)
		return;
	nh.port = via->nh.port;
	memcpy(nh.gw, gw, family == AF_INET ? 4 : 16);
	fib_add(r->fib, family, dst, plen, &nh, true);
}

/* ---- control commands ---------------------------------------------------------------- */

static const char *
route_port_name(struct vsw_route *r, uint16_t idx)
{
	struct route_port *rp = route_port_of_index(r, idx);

	return rp ? rp->port->name : "-";
}

static int
route_cmp(const void *a, const void *b)
{
	const struct fib_route *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->plen != y->plen)
		return x->plen > y->plen ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

struct route_dump {
	struct fib_route *routes;
	unsigned int n;
};

static int
route_dump_one(void *arg, const struct fib_route *rt)
{
	struct route_dump *dump = arg;

	if (dump->n < ROUTE_DUMP_MAX)
		dump->routes[dump->n++] = *rt;
	return 0;
}

static int
route_ctl_show(struct vsw_route *r, bool json, FILE *out)
{
	static const char *const types[] = { "dev", "via", "unreachable" };
	static const char *const origins[] = { "host", "connected", "static", "kernel" };
	struct route_dump dump = { calloc(ROUTE_DUMP_MAX, sizeof(struct fib_route)), 0 };

	if (!dump.routes) {
		fprintf(out, "out of memory\n");
		return -ENOMEM;
	}
	fib_foreach(r->fib, route_dump_one, &dump);
	qsort(dump.routes, dump.n, sizeof(*dump.routes), route_cmp);
	if (json)
		fprintf(out, "[");
	for (unsigned int i = 0; i < dump.n; i++) {
		const struct fib_route *rt = &dump.routes[i];
		char a[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN] = "";
		const char *dev =
			rt->nh.type == FIB_TYPE_REJECT ? "-" : route_port_name(r, rt->nh.port);

		inet_ntop(rt->family, rt->addr, a, sizeof(a));
		if (rt->nh.type == FIB_TYPE_VIA)
			inet_ntop(rt->family, rt->nh.gw, g, sizeof(g));
		if (json)
			fprintf(out,
				"%s{\"prefix\":\"%s/%u\",\"type\":\"%s\",\"via\":\"%s\","
				"\"dev\":\"%s\",\"origin\":\"%s\"}",
				i ? "," : "", a, rt->plen, types[rt->nh.type], g, dev,
				origins[rt->nh.origin]);
		else if (rt->nh.type == FIB_TYPE_VIA)
			fprintf(out, "%s/%u via %s dev %s proto %s\n", a, rt->plen, g, dev,
				origins[rt->nh.origin]);
		else if (rt->nh.type == FIB_TYPE_DEV)
			fprintf(out, "%s/%u dev %s proto %s\n", a, rt->plen, dev,
				origins[rt->nh.origin]);
		else
			fprintf(out, "unreachable %s/%u proto %s\n", a, rt->plen,
				origins[rt->nh.origin]);
	}
	if (json)
		fprintf(out, "]\n");
	free(dump.routes);
	return 0;
}

static int
route_ctl_neigh(struct vsw_route *r, bool json, FILE *out)
{
	struct fib_neigh_info *infos = calloc(ROUTE_MAX_NEIGH, sizeof(*infos));
	unsigned int n;

	if (!infos) {
		fprintf(out, "out of memory\n");
		return -ENOMEM;
	}
	n = fib_neigh_dump(r->neigh, infos, ROUTE_MAX_NEIGH);
	if (json)
		fprintf(out, "[");
	for (unsigned int i = 0; i < n; i++) {
		const struct fib_neigh_info *e = &infos[i];
		char a[INET6_ADDRSTRLEN], m[18];
		const char *st = e->state == FIB_NEIGH_REACHABLE ? "REACHABLE" : "INCOMPLETE";

		inet_ntop(e->family, e->addr, a, sizeof(a));
		snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", e->mac[0], e->mac[1],
			 e->mac[2], e->mac[3], e->mac[4], e->mac[5]);
		if (json)
			fprintf(out,
				"%s{\"addr\":\"%s\",\"dev\":\"%s\",\"lladdr\":\"%s\","
				"\"state\":\"%s\",\"queued\":%u}",
				i ? "," : "", a, route_port_name(r, e->port),
				e->state == FIB_NEIGH_REACHABLE ? m : "", st, e->n_queued);
		else
			fprintf(out, "%s dev %s lladdr %s %s queued %u\n", a,
				route_port_name(r, e->port),
				e->state == FIB_NEIGH_REACHABLE ? m : "-", st, e->n_queued);
	}
	if (json)
		fprintf(out, "]\n");
	free(infos);
	return 0;
}

static int
route_ctl_add(struct vsw_route *r, int argc, char **argv, FILE *out)
{
	struct fib_nh nh = { .origin = FIB_ORIGIN_STATIC };
	uint8_t addr[16], gw[16];
	unsigned int plen;
	int family, gfam, err;

	if (argc != 4 || fib_prefix_parse(argv[1], &family, addr, &plen)) {
		fprintf(out, "usage: route-add PREFIX via NEXTHOP | route-add PREFIX dev PORT\n");
		return -EINVAL;
	}
	if (!strcmp(argv[2], "via")) {
		const struct fib_route *via;

		if (fib_addr_parse(argv[3], &gfam, gw) || gfam != family) {
			fprintf(out, "bad next hop '%s'\n", argv[3]);
			return -EINVAL;
		}
		via = fib_lookup(r->fib, family, gw);
		if (!via || via->nh.type != FIB_TYPE_DEV || !route_port_of_index(r, via->nh.port)) {
			fprintf(out, "next hop %s is not directly reachable\n", argv[3]);
			return -ENETUNREACH;
		}
		nh.type = FIB_TYPE_VIA;
		nh.port = via->nh.port;
		memcpy(nh.gw, gw, 16);
	} else if (!strcmp(argv[2], "dev")) {
		unsigned int i;

		for (i = 0; i < r->n_ports; i++)
			if (!strcmp(r->ports[i].port->name, argv[3]))
				break;
		if (i == r->n_ports || r->ports[i].role == VSW_PORT_OTHER) {
			fprintf(out, "no routed port '%s' in this network\n", argv[3]);
			return -ENODEV;
		}
		nh.type = FIB_TYPE_DEV;
		nh.port = r->ports[i].port->index;
	} else {
		fprintf(out, "usage: route-add PREFIX via NEXTHOP | route-add PREFIX dev PORT\n");
		return -EINVAL;
	}
	{
		const struct fib_route *old = fib_get(r->fib, family, addr, plen);

		if (old && old->nh.origin != FIB_ORIGIN_STATIC &&
		    old->nh.origin != FIB_ORIGIN_KERNEL) {
			fprintf(out, "%s: a %s route exists\n", argv[1],
				old->nh.origin == FIB_ORIGIN_HOST ? "host" : "connected");
			return -EEXIST;
		}
	}
	err = fib_add(r->fib, family, addr, plen, &nh, true);
	if (err)
		fprintf(out, "route-add: %s\n", strerror(-err));
	return err;
}

static int
route_ctl_del(struct vsw_route *r, int argc, char **argv, FILE *out)
{
	const struct fib_route *old;
	uint8_t addr[16];
	unsigned int plen;
	int family;

	if (argc != 2 || fib_prefix_parse(argv[1], &family, addr, &plen)) {
		fprintf(out, "usage: route-del PREFIX\n");
		return -EINVAL;
	}
	old = fib_get(r->fib, family, addr, plen);
	if (!old) {
		fprintf(out, "no route %s\n", argv[1]);
		return -ENOENT;
	}
	if (old->nh.origin != FIB_ORIGIN_STATIC && old->nh.origin != FIB_ORIGIN_KERNEL) {
		fprintf(out, "%s is not a static route\n", argv[1]);
		return -EPERM;
	}
	return fib_del(r->fib, family, addr, plen);
}

static int
route_ctl(void *state, int argc, char **argv, FILE *out)
{
	struct vsw_route *r = state;
	bool json = argc == 2 && !strcmp(argv[1], "--json");

	if (argc < 1) {
		fprintf(out, "missing command\n");
		return -EINVAL;
	}
	if (!strcmp(argv[0], "route-add"))
		return route_ctl_add(r, argc, argv, out);
	if (!strcmp(argv[0], "route-del"))
		return route_ctl_del(r, argc, argv, out);
	if ((!strcmp(argv[0], "route-show") || !strcmp(argv[0], "neigh-show")) &&
	    (argc == 1 || json))
		return argv[0][0] == 'r' ? route_ctl_show(r, json, out)
					 : route_ctl_neigh(r, json, out);
	fprintf(out, "unknown route command '%s' (route-add, route-del, route-show, neigh-show)\n",
		argv[0]);
	return -EOPNOTSUPP;
}

const struct vsw_mode_ops vsw_mode_route = {
	.name = "route",
	.create = route_create,
	.destroy = route_destroy,
	.port_added = route_port_added,
	.port_removed = route_port_removed,
	.process = route_process,
	.tick = route_tick,
	.ctl = route_ctl,
};

int
vsw_mode_route_register(void)
{
	return vsw_mode_register(&vsw_mode_route);
}
