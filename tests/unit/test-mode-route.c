/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the routed mode (vswitch/mode-route.c) on dummy ports: a switch without
 * worker threads driven with a virtual clock. Frames are built here byte by byte and
 * checksums recomputed by an independent helper, so forwarding, TTL handling with the
 * incremental checksum, ARP/ND answers, neighbour resolution, ICMP errors, anti-spoofing,
 * static routes and the drop counters are all checked exactly.
 */
#include "vswitch/mode-route.h"
#include "vswitch/port-dummy.h"
#include "vswitch/switch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#define NS_PER_S 1000000000ull

enum { VIF1, VIF2, UP, N_PORTS };

struct fixture {
	struct vsw_switch *sw;
	struct vsw_net *net;
	struct pkt_pool *pool;
	struct port *ports[N_PORTS];
	uint64_t now;
};

static const uint8_t RMAC[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t MAC_A[6] = { 0x00, 0x16, 0x3e, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 0x00, 0x16, 0x3e, 0, 0, 0x0b };
static const uint8_t MAC_GW[6] = { 0x02, 0, 0, 0, 0, 0x99 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

#define NET_ARGS                                                                                   \
	"gateway=10.0.0.1/24,gateway6=2001:db8::1/64,uplink_address=192.0.2.2/24,"                 \
	"uplink_address6=2001:db8:f::2/64,uplink_gateway=192.0.2.1,mac=02:00:00:00:00:01,"         \
	"icmp_rate=1000,icmp_burst=100"

/* ---- frame building and checking (independent of the code under test) ------------------ */

static uint16_t
csum(const uint8_t *d, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(d[i] << 8 | d[i + 1]);
	if (n & 1)
		sum += (uint32_t)d[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t
sum16(const uint8_t *d, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(d[i] << 8 | d[i + 1]);
	return s;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
ip4(uint8_t *a, const char *s)
{
	assert_int_equal(inet_pton(AF_INET, s, a), 1);
}

static void
ip6(uint8_t *a, const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

/* An Ethernet + IPv4 frame with 'optlen' bytes of options (NOPs) and an ICMP echo request
 * (proto 1) or UDP (proto 17) payload of 'plen' bytes. Returns its length. */
static size_t
build4(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, const char *src, const char *dst,
       uint8_t ttl, uint8_t proto, uint16_t frag, size_t optlen, size_t plen)
{
	uint8_t *ip = f + 14, *l4;
	size_t hlen = 20 + optlen;

	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, hlen);
	ip[0] = (uint8_t)(0x40 | hlen / 4);
	put16(ip + 2, (uint16_t)(hlen + plen));
	put16(ip + 4, 0x1234);
	put16(ip + 6, frag);
	ip[8] = ttl;
	ip[9] = proto;
	ip4(ip + 12, src);
	ip4(ip + 16, dst);
	memset(ip + 20, 1, optlen); /* NOP options */
	put16(ip + 10, csum(ip, hlen, 0));
	l4 = ip + hlen;
	for (size_t i = 0; i < plen; i++)
		l4[i] = (uint8_t)(i * 7);
	if (proto == 1 && plen >= 8) {
		l4[0] = 8;
		l4[1] = 0;
		l4[2] = l4[3] = 0;
		put16(l4 + 2, csum(l4, plen, 0));
	}
	return 14 + hlen + plen;
}

static uint32_t
pseudo6(const uint8_t *ip, uint32_t len, uint8_t nh)
{
	return sum16(ip + 8, 32) + (len >> 16) + (len & 0xffff) + nh;
}

static size_t
build6(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, const char *src, const char *dst,
       uint8_t hlim, uint8_t nh, size_t plen)
{
	uint8_t *ip = f + 14, *l4 = ip + 40;

	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	put16(f + 12, 0x86dd);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)plen);
	ip[6] = nh;
	ip[7] = hlim;
	ip6(ip + 8, src);
	ip6(ip + 24, dst);
	for (size_t i = 0; i < plen; i++)
		l4[i] = (uint8_t)(i * 3);
	if (nh == 58 && plen >= 8) {
		l4[0] = 128;
		l4[1] = 0;
		l4[2] = l4[3] = 0;
		put16(l4 + 2, csum(l4, plen, pseudo6(ip, (uint32_t)plen, 58)));
	}
	return 14 + 40 + plen;
}

/* A neighbour solicitation (type 135) or advertisement (136) for 'target' with a link-layer
 * option carrying 'smac'. */
static size_t
build_nd(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, const char *src, const char *dst,
	 uint8_t type, const char *target, uint8_t na_flags)
{
	size_t n = build6(f, dmac, smac, src, dst, 255, 58, 32);
	uint8_t *ip = f + 14, *icmp = ip + 40;

	memset(icmp, 0, 32);
	icmp[0] = type;
	icmp[4] = na_flags;
	ip6(icmp + 8, target);
	icmp[24] = type == 135 ? 1 : 2;
	icmp[25] = 1;
	memcpy(icmp + 26, smac, 6);
	put16(icmp + 2, csum(icmp, 32, pseudo6(ip, 32, 58)));
	return n;
}

static size_t
build_arp(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, uint16_t op, const char *spa,
	  const uint8_t *tha, const char *tpa)
{
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, op);
	memcpy(f + 22, smac, 6);
	ip4(f + 28, spa);
	memcpy(f + 32, tha, 6);
	ip4(f + 38, tpa);
	return 42;
}

/* ---- fixture ------------------------------------------------------------------------ */

static void
add_port(struct fixture *fx, int i, const char *name, enum vsw_port_role role, const char *a4,
	 const char *a6)
{
	struct vsw_port_cfg cfg = { .role = role };

	assert_int_equal(port_open("dummy", name, NULL, &fx->ports[i]), 0);
	if (a4) {
		cfg.ips[cfg.n_ips].family = AF_INET;
		ip4(cfg.ips[cfg.n_ips].addr, a4);
		cfg.ips[cfg.n_ips++].prefix = 32;
	}
	if (a6) {
		cfg.ips[cfg.n_ips].family = AF_INET6;
		ip6(cfg.ips[cfg.n_ips].addr, a6);
		cfg.ips[cfg.n_ips++].prefix = 128;
	}
	assert_int_equal(vsw_net_add_port(fx->net, fx->ports[i], &cfg), 0);
}

static int
setup_args(void **state, const char *args)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(port_dummy_register(), 0);
	assert_int_equal(vsw_mode_route_register(), 0);
	assert_int_equal(pkt_pool_create(512, 4096, &fx->pool), 0);
	assert_int_equal(vsw_switch_create(0, &fx->sw), 0);
	assert_int_equal(vsw_net_create(fx->sw, "rt0", "route", args, &fx->net), 0);
	add_port(fx, VIF1, "vif1", VSW_PORT_VIF, "10.0.0.10", "2001:db8::10");
	add_port(fx, VIF2, "vif2", VSW_PORT_VIF, "10.0.0.11", "2001:db8::11");
	add_port(fx, UP, "up", VSW_PORT_UPLINK, NULL, NULL);
	fx->now = NS_PER_S;
	*state = fx;
	return 0;
}

static int
setup(void **state)
{
	return setup_args(state, NET_ARGS);
}

static int
setup_ratelimit(void **state)
{
	return setup_args(state, "gateway=10.0.0.1/24,mac=02:00:00:00:00:01,icmp_rate=1,"
				 "icmp_burst=2");
}

static int
setup_proxy(void **state)
{
	return setup_args(state, NET_ARGS ",proxy_arp=1");
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	for (int i = 0; i < N_PORTS; i++) {
		struct pkt *p;

		vsw_net_del_port(fx->sw, fx->ports[i]);
		while (port_dummy_capture(fx->ports[i], &p, 1))
			pkt_free(p);
		port_close(fx->ports[i]);
	}
	vsw_net_destroy(fx->net);
	vsw_switch_destroy(fx->sw);
	pkt_pool_destroy(fx->pool);
	free(fx);
	return 0;
}

static void
inject(struct fixture *fx, int port, const uint8_t *f, size_t len)
{
	struct pkt *p = pkt_alloc(fx->pool);

	assert_non_null(p);
	memcpy(pkt_put(p, (uint32_t)len), f, len);
	assert_int_equal(port_dummy_inject(fx->ports[port], p), 0);
	vsw_switch_run_once(fx->sw, fx->now);
}

/* Takes the next frame sent on 'port' into 'f' and returns its length (0 if none). */
static size_t
take(struct fixture *fx, int port, uint8_t *f)
{
	struct pkt *p;
	size_t n;

	if (!port_dummy_capture(fx->ports[port], &p, 1))
		return 0;
	n = p->len;
	memcpy(f, pkt_data(p), n);
	pkt_free(p);
	return n;
}

static void
assert_nothing_sent(struct fixture *fx)
{
	for (int i = 0; i < N_PORTS; i++)
		assert_int_equal(port_dummy_tx_queued(fx->ports[i]), 0);
}

static uint64_t
ctr(struct fixture *fx, int port, enum vsw_counter c)
{
	return fx->ports[port]->stats.ctrs.c[c];
}

static int
ctl(struct fixture *fx, const char *cmd, char *out, size_t size)
{
	char buf[256], *argv[8];
	int argc = 0, err;
	FILE *f = fmemopen(out, size, "w");

	assert_non_null(f);
	snprintf(buf, sizeof(buf), "%s", cmd);
	for (char *t = strtok(buf, " "); t && argc < 8; t = strtok(NULL, " "))
		argv[argc++] = t;
	err = vsw_net_ctl(fx->net, argc, argv, f);
	fclose(f);
	return err;
}

/* Lets the router learn vif2's MAC (an ARP request from it, whose answer is discarded). */
static void
learn_vif2(struct fixture *fx)
{
	uint8_t f[128] = { 0 };

	inject(fx, VIF2, f, build_arp(f, BCAST, MAC_B, 1, "10.0.0.11", BCAST, "10.0.0.1"));
	assert_int_equal(take(fx, VIF2, f), 42);
}

/* ---- tests -------------------------------------------------------------------------- */

static void
test_arp_answered_for_others_not_for_own_address(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[128] = { 0 }, g[128] = { 0 };

	inject(fx, VIF1, f, build_arp(f, BCAST, MAC_A, 1, "10.0.0.10", BCAST, "10.0.0.11"));
	assert_int_equal(take(fx, VIF1, g), 42);
	assert_memory_equal(g, MAC_A, 6);
	assert_memory_equal(g + 6, RMAC, 6);
	assert_int_equal(get16(g + 20), 2);
	assert_memory_equal(g + 22, RMAC, 6); /* proxy: the router's MAC for guest 2 */
	assert_memory_equal(g + 28, f + 38, 4);
	assert_memory_equal(g + 32, MAC_A, 6);
	assert_memory_equal(g + 38, f + 28, 4);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_ARP_REPLIED), 1);
	/* Nothing reaches the other guest: proxy ARP, not flooding. */
	assert_int_equal(port_dummy_tx_queued(fx->ports[VIF2]), 0);

	inject(fx, VIF1, f, build_arp(f, BCAST, MAC_A, 1, "10.0.0.10", BCAST, "10.0.0.10"));
	assert_nothing_sent(fx);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_NOT_FOR_US), 1);

	inject(fx, VIF1, f, build_arp(f, BCAST, MAC_A, 1, "10.0.0.77", BCAST, "10.0.0.1"));
	assert_nothing_sent(fx);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_SPOOFED), 1);
}

static void
test_guest_to_guest_routed_with_ttl_decremented(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256] = { 0 }, g[256] = { 0 };
	size_t n;

	learn_vif2(fx);
	n = build4(f, RMAC, MAC_A, "10.0.0.10", "10.0.0.11", 64, 17, 0x4000, 0, 40);
	inject(fx, VIF1, f, n);
	assert_int_equal(take(fx, VIF2, g), n);
	assert_memory_equal(g, MAC_B, 6);
	assert_memory_equal(g + 6, RMAC, 6);
	assert_int_equal(g[14 + 8], 63);
	assert_int_equal(csum(g + 14, 20, 0), 0); /* incremental update left it exact */
	/* Everything but TTL and checksum is untouched. */
	assert_memory_equal(g + 14 + 12, f + 14 + 12, n - 26);
	assert_memory_equal(g + 14, f + 14, 8);
	assert_nothing_sent(fx);
}

static void
test_ip_options_are_forwarded(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256] = { 0 }, g[256] = { 0 };
	size_t n;

	learn_vif2(fx);
	n = build4(f, RMAC, MAC_A, "10.0.0.10", "10.0.0.11", 9, 17, 0, 8, 16);
	inject(fx, VIF1, f, n);
	assert_int_equal(take(fx, VIF2, g), n);
	assert_int_equal(g[14] & 0xf, 7);
	assert_memory_equal(g + 34, f + 34, 8);
	assert_int_equal(g[22], 8);
	assert_int_equal(csum(g + 14, 28, 0), 0);
}

static void
check_time_exceeded(struct fixture *fx, uint8_t ttl)
{
	uint8_t f[256] = { 0 }, g[700] = { 0 };
	size_t n = build4(f, RMAC, MAC_A, "10.0.0.10", "10.0.0.11", ttl, 17, 0, 0, 30);
	uint8_t src[4];

	inject(fx, VIF1, f, n);
	assert_int_equal(take(fx, VIF1, g), 14 + 20 + 8 + (n - 14));
	assert_memory_equal(g, MAC_A, 6);
	assert_memory_equal(g + 6, RMAC, 6);
	ip4(src, "10.0.0.1");
	assert_memory_equal(g + 14 + 12, src, 4);
	assert_memory_equal(g + 14 + 16, f + 14 + 12, 4);
	assert_int_equal(g[14 + 9], 1);
	assert_int_equal(csum(g + 14, 20, 0), 0);
	assert_int_equal(g[34], 11);
	assert_int_equal(g[35], 0);
	assert_int_equal(csum(g + 34, 8 + n - 14, 0), 0);
	assert_memory_equal(g + 42, f + 14, n - 14); /* the original, whole */
	assert_nothing_sent(fx);
}

static void
test_ttl_1_and_0_get_time_exceeded(void **state)
{
	struct fixture *fx = *state;

	learn_vif2(fx);
	check_time_exceeded(fx, 1);
	check_time_exceeded(fx, 0);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_TTL_EXCEEDED), 2);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_ICMP_SENT), 2);
}

static void
test_no_route_gets_unreachable(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256] = { 0 }, g[700] = { 0 };
	char out[256];

	/* Inside subnet, no guest there: host unreachable. */
	inject(fx, VIF1, f, build4(f, RMAC, MAC_A, "10.0.0.10", "10.0.0.99", 64, 17, 0, 0, 8));
	assert_true(take(fx, VIF1, g) > 0);
	assert_int_equal(g[34], 3);
	assert_int_equal(g[35], 1);
	/* No default route: net unreachable. */
	assert_int_equal(ctl(fx, "route-del 0.0.0.0/0", out, sizeof(out)), 0);
	inject(fx, VIF1, f, build4(f, RMAC, MAC_A, "10.0.0.10", "198.51.100.7", 64, 17, 0, 0, 8));
	assert_true(take(fx, VIF1, g) > 0);
	assert_int_equal(g[34], 3);
	assert_int_equal(g[35], 0);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_NO_ROUTE), 2);
	/* IPv6 has no default route in this network. */
	inject(fx, VIF1, f, build6(f, RMAC, MAC_A, "2001:db8::10", "2001:db9::1", 64, 17, 16));
	assert_int_equal(take(fx, VIF1, g), 14 + 40 + 8 + 56);
	assert_int_equal(g[54], 1);
	assert_int_equal(g[55], 0);
	assert_int_equal(csum(g + 54, 64, pseudo6(g + 14, 64, 58)), 0);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_NO_ROUTE), 3);
}

static void
test_frag_needed_with_df_and_fragmented_without(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[1600] = { 0 }, g[1600] = { 0 };
	size_t n;

	assert_int_equal(port_set_mtu(fx->ports[UP], 1000), 0);
	n = build4(f, RMAC, MAC_A, "10.0.0.10", "198.51.100.7", 64, 17, 0x4000, 0, 1100);
	inject(fx, VIF1, f, n);
	assert_int_equal(take(fx, VIF1, g), 14 + 576);
	assert_int_equal(g[34], 3);
	assert_int_equal(g[35], 4);
	assert_int_equal(get16(g + 40), 1000);
	assert_int_equal(get16(g + 16), 576);
	assert_int_equal(csum(g + 34, 556, 0), 0);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_FRAG_NEEDED), 1);
	/* Without DF it is fragmented: the first fragment keeps the options (NOPs here, not
	 * copied), the others get none; offsets in 8-byte units, MF on all but the last. */
	inject(fx, UP, g, build_arp(g, BCAST, MAC_GW, 1, "192.0.2.1", BCAST, "192.0.2.2"));
	assert_int_equal(take(fx, UP, g), 42);
	n = build4(f, RMAC, MAC_A, "10.0.0.10", "198.51.100.7", 64, 17, 0, 8, 1100);
	inject(fx, VIF1, f, n);
	assert_int_equal(take(fx, UP, g), 14 + 28 + 968);
	assert_memory_equal(g, MAC_GW, 6);
	assert_int_equal(g[14], 0x47);
	assert_int_equal(get16(g + 20), 0x2000);
	assert_int_equal(g[22], 63);
	assert_int_equal(csum(g + 14, 28, 0), 0);
	assert_memory_equal(g + 42, f + 42, 968);
	assert_int_equal(take(fx, UP, g), 14 + 20 + 132);
	assert_int_equal(g[14], 0x45);
	assert_int_equal(get16(g + 16), 152);
	assert_int_equal(get16(g + 20), 968 / 8);
	assert_int_equal(g[22], 63);
	assert_memory_equal(g + 26, f + 26, 8);
	assert_int_equal(csum(g + 14, 20, 0), 0);
	assert_memory_equal(g + 34, f + 42 + 968, 132);
	assert_nothing_sent(fx);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_FRAG_NEEDED), 1);
	/* A fragment fragmented again: offsets continue from its own, its last piece keeps
	 * the original MF. */
	n = build4(f, RMAC, MAC_A, "10.0.0.10", "198.51.100.7", 64, 17, 0x2000 | 100, 0, 1100);
	inject(fx, VIF1, f, n);
	assert_int_equal(take(fx, UP, g), 14 + 20 + 976);
	assert_int_equal(get16(g + 20), 0x2000 | 100);
	assert_int_equal(take(fx, UP, g), 14 + 20 + 124);
	assert_int_equal(get16(g + 20), 0x2000 | (100 + 976 / 8));
	assert_nothing_sent(fx);
	/* IPv6: Packet Too Big with the MTU. */
	assert_int_equal(port_set_mtu(fx->ports[VIF2], 1280), 0);
	inject(fx, VIF1, f, build6(f, RMAC, MAC_A, "2001:db8::10", "2001:db8::11", 64, 17, 1300));
	assert_int_equal(take(fx, VIF1, g), 14 + 1280);
	assert_int_equal(g[54], 2);
	assert_int_equal(get16(g + 60), 1280);
	assert_int_equal(csum(g + 54, 1240, pseudo6(g + 14, 1240, 58)), 0);
}

static void
test_ipv6_nd_and_forwarding_with_hop_limit(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256] = { 0 }, g[256] = { 0 }, tgt[16], sol[16];
	size_t n;

	/* Guest 1 resolves its gateway: the router answers with its MAC. */
	inject(fx, VIF1, f,
	       build_nd(f, (const uint8_t[]){ 0x33, 0x33, 0xff, 0, 0, 1 }, MAC_A, "2001:db8::10",
			"ff02::1:ff00:1", 135, "2001:db8::1", 0));
	assert_int_equal(take(fx, VIF1, g), 86);
	assert_memory_equal(g, MAC_A, 6);
	assert_int_equal(g[54], 136);
	assert_int_equal(g[21], 255);
	assert_int_equal(g[58] & 0xe0, 0xe0); /* router, solicited, override */
	ip6(tgt, "2001:db8::1");
	assert_memory_equal(g + 62, tgt, 16);
	assert_memory_equal(g + 80, RMAC, 6);
	assert_int_equal(csum(g + 54, 32, pseudo6(g + 14, 32, 58)), 0);

	/* Guest 1 to guest 2: guest 2 is solicited first, the packet waits for the NA. */
	n = build6(f, RMAC, MAC_A, "2001:db8::10", "2001:db8::11", 64, 17, 24);
	inject(fx, VIF1, f, n);
	assert_int_equal(take(fx, VIF2, g), 86);
	ip6(sol, "ff02::1:ff00:11");
	assert_memory_equal(g + 38, sol, 16);
	assert_int_equal(g[0], 0x33);
	assert_int_equal(g[54], 135);
	assert_int_equal(csum(g + 54, 32, pseudo6(g + 14, 32, 58)), 0);
	assert_int_equal(port_dummy_tx_queued(fx->ports[VIF2]), 0);
	inject(fx, VIF2, g,
	       build_nd(g, RMAC, MAC_B, "2001:db8::11", "2001:db8::1", 136, "2001:db8::11", 0x60));
	assert_int_equal(take(fx, VIF2, g), n);
	assert_memory_equal(g, MAC_B, 6);
	assert_int_equal(g[21], 63);
	assert_memory_equal(g + 22, f + 22, n - 22);
	assert_nothing_sent(fx);
}

static void
test_spoofed_source_dropped(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256] = { 0 };

	learn_vif2(fx);
	inject(fx, VIF1, f, build4(f, RMAC, MAC_A, "10.0.0.11", "10.0.0.11", 64, 17, 0, 0, 8));
	inject(fx, VIF1, f, build6(f, RMAC, MAC_A, "2001:db8::99", "2001:db8::11", 64, 17, 8));
	assert_nothing_sent(fx);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_SPOOFED), 2);
}

static void
test_uplink_resolution_releases_queued_packet(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256] = { 0 }, g[256] = { 0 }, gw[4], me[4];
	size_t n;

	n = build4(f, RMAC, MAC_A, "10.0.0.10", "198.51.100.7", 64, 1, 0, 0, 16);
	inject(fx, VIF1, f, n);
	assert_int_equal(take(fx, UP, g), 42);
	assert_memory_equal(g, BCAST, 6);
	assert_int_equal(get16(g + 20), 1);
	ip4(gw, "192.0.2.1");
	ip4(me, "192.0.2.2");
	assert_memory_equal(g + 28, me, 4);
	assert_memory_equal(g + 38, gw, 4);
	assert_int_equal(port_dummy_tx_queued(fx->ports[UP]), 0);
	fx->now += NS_PER_S / 10;
	inject(fx, UP, g, build_arp(g, RMAC, MAC_GW, 2, "192.0.2.1", RMAC, "192.0.2.2"));
	assert_int_equal(take(fx, UP, g), n);
	assert_memory_equal(g, MAC_GW, 6);
	assert_memory_equal(g + 6, RMAC, 6);
	assert_int_equal(g[22], 63);
	assert_int_equal(csum(g + 14, 20, 0), 0);
	/* Resolved: the next packet goes straight out. */
	inject(fx, VIF1, f, n);
	assert_int_equal(take(fx, UP, g), n);
	assert_nothing_sent(fx);
}

static void
test_unanswered_resolution_fails_and_counts(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256] = { 0 }, g[256] = { 0 };
	size_t n = build4(f, RMAC, MAC_A, "10.0.0.10", "198.51.100.7", 64, 17, 0, 0, 16);

	for (int i = 0; i < 6; i++)
		inject(fx, VIF1, f, n);
	/* One request, four packets queued, two over the per-entry queue. */
	assert_int_equal(take(fx, UP, g), 42);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_NEIGH_FAILED), 2);
	for (int i = 0; i < 5; i++) {
		fx->now += NS_PER_S;
		vsw_switch_run_once(fx->sw, fx->now);
	}
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_NEIGH_FAILED), 6);
	while (take(fx, UP, g))
		;
}

static void
test_static_routes_through_ctl(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256] = { 0 }, g[256] = { 0 }, nh[4];
	char out[2048];

	assert_int_equal(ctl(fx, "route-add 203.0.113.0/24 via 192.0.2.254", out, sizeof(out)), 0);
	inject(fx, VIF1, f, build4(f, RMAC, MAC_A, "10.0.0.10", "203.0.113.5", 64, 17, 0, 0, 8));
	assert_int_equal(take(fx, UP, g), 42);
	ip4(nh, "192.0.2.254");
	assert_memory_equal(g + 38, nh, 4);
	assert_int_equal(ctl(fx, "route-show", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "203.0.113.0/24 via 192.0.2.254 dev up proto static"));
	assert_non_null(strstr(out, "10.0.0.10/32 dev vif1 proto host"));
	assert_int_equal(ctl(fx, "route-show --json", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "{\"prefix\":\"203.0.113.0/24\",\"type\":\"via\""));
	assert_int_equal(ctl(fx, "neigh-show", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "192.0.2.254 dev up lladdr - INCOMPLETE queued 1"));
	assert_int_equal(ctl(fx, "route-add 198.18.0.0/15 via 172.16.0.1", out, sizeof(out)),
			 -ENETUNREACH);
	assert_int_equal(ctl(fx, "route-add 198.18.0.0/15 dev vif2", out, sizeof(out)), 0);
	assert_int_equal(ctl(fx, "route-add 198.18.0.0/15 dev nosuch", out, sizeof(out)), -ENODEV);
	assert_int_equal(ctl(fx, "route-del 10.0.0.10/32", out, sizeof(out)), -EPERM);
	assert_int_equal(ctl(fx, "route-del 203.0.113.0/24", out, sizeof(out)), 0);
	assert_int_equal(ctl(fx, "route-del 203.0.113.0/24", out, sizeof(out)), -ENOENT);
	assert_int_equal(ctl(fx, "route-add bogus via 1.2.3.4", out, sizeof(out)), -EINVAL);
	assert_int_equal(ctl(fx, "frobnicate", out, sizeof(out)), -EOPNOTSUPP);
}

static void
test_bad_checksum_and_truncated_headers_counted(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256] = { 0 };
	size_t n;

	learn_vif2(fx);
	n = build4(f, RMAC, MAC_A, "10.0.0.10", "10.0.0.11", 64, 17, 0, 0, 8);
	f[14 + 10] ^= 0xff;
	inject(fx, VIF1, f, n);
	n = build4(f, RMAC, MAC_A, "10.0.0.10", "10.0.0.11", 64, 17, 0, 0, 8);
	inject(fx, VIF1, f, 14 + 12); /* header cut */
	inject(fx, VIF1, f, n - 4);   /* total length beyond the frame */
	f[14] = 0x44;		      /* IHL 4 */
	inject(fx, VIF1, f, n);
	n = build6(f, RMAC, MAC_A, "2001:db8::10", "2001:db8::11", 64, 17, 8);
	inject(fx, VIF1, f, n - 1);
	inject(fx, VIF1, f, build_arp(f, BCAST, MAC_A, 1, "10.0.0.10", BCAST, "10.0.0.1") - 1);
	assert_nothing_sent(fx);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_BAD_HDR), 2);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_TRUNCATED), 4);
}

static void
test_echo_to_router_answered(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256] = { 0 }, g[256] = { 0 };
	size_t n = build4(f, RMAC, MAC_A, "10.0.0.10", "10.0.0.1", 64, 1, 0, 0, 24);

	inject(fx, VIF1, f, n);
	assert_int_equal(take(fx, VIF1, g), n);
	assert_int_equal(g[34], 0);
	assert_memory_equal(g + 26, f + 30, 4);
	assert_memory_equal(g + 30, f + 26, 4);
	assert_int_equal(csum(g + 14, 20, 0), 0);
	assert_int_equal(csum(g + 34, 24, 0), 0);
	n = build6(f, RMAC, MAC_A, "2001:db8::10", "2001:db8::1", 64, 58, 16);
	inject(fx, VIF1, f, n);
	assert_int_equal(take(fx, VIF1, g), n);
	assert_int_equal(g[54], 129);
	assert_int_equal(csum(g + 54, 16, pseudo6(g + 14, 16, 58)), 0);
}

static void
test_host_port_holding_gateway_address_gets_its_traffic(void **state)
{
	struct fixture *fx = *state;
	struct vsw_port_cfg cfg = { .role = VSW_PORT_HOST, .n_ips = 1 };
	uint8_t f[256] = { 0 }, g[256] = { 0 }, mac_h[6];
	struct port *host;
	struct pkt *p;
	size_t n;

	cfg.ips[0].family = AF_INET;
	ip4(cfg.ips[0].addr, "10.0.0.1");
	cfg.ips[0].prefix = 24;
	assert_int_equal(port_open("dummy", "host", "mac=fe:ff:ff:ff:ff:ff", &host), 0);
	assert_int_equal(vsw_net_add_port(fx->net, host, &cfg), 0);
	memset(mac_h, 0xff, 6);
	mac_h[0] = 0xfe;
	/* dom0 makes itself known, then a guest pings the gateway address: dom0 gets it. */
	p = pkt_alloc(fx->pool);
	assert_non_null(pkt_put(p, 42));
	build_arp(pkt_data(p), BCAST, mac_h, 1, "10.0.0.1", BCAST, "10.0.0.10");
	assert_int_equal(port_dummy_inject(host, p), 0);
	n = build4(f, RMAC, MAC_A, "10.0.0.10", "10.0.0.1", 64, 1, 0, 0, 16);
	inject(fx, VIF1, f, n);
	assert_int_equal(port_dummy_capture(host, &p, 1), 1); /* ARP reply to dom0 */
	pkt_free(p);
	assert_int_equal(port_dummy_capture(host, &p, 1), 1);
	assert_int_equal(p->len, n);
	memcpy(g, pkt_data(p), n);
	pkt_free(p);
	assert_memory_equal(g, mac_h, 6);
	assert_int_equal(g[22], 63);
	assert_int_equal(g[34], 8); /* the request itself, not a reply from the router */
	assert_nothing_sent(fx);
	assert_int_equal(vsw_net_del_port(fx->sw, host), 0);
	port_close(host);
}

static void
test_no_icmp_error_for_icmp_errors_or_later_fragments(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256] = { 0 }, g[256] = { 0 };
	size_t n;

	learn_vif2(fx);
	/* An ICMP error (type 3) with TTL 1: dropped silently. */
	n = build4(f, RMAC, MAC_A, "10.0.0.10", "10.0.0.11", 1, 1, 0, 0, 36);
	f[34] = 3;
	f[36] = f[37] = 0;
	put16(f + 36, csum(f + 34, 36, 0));
	inject(fx, VIF1, f, n);
	/* A non-first fragment with TTL 1: dropped silently. */
	inject(fx, VIF1, f, build4(f, RMAC, MAC_A, "10.0.0.10", "10.0.0.11", 1, 17, 10, 0, 8));
	assert_nothing_sent(fx);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_TTL_EXCEEDED), 2);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_ICMP_SENT), 0);
	/* Fragments are forwarded like any packet. */
	n = build4(f, RMAC, MAC_A, "10.0.0.10", "10.0.0.11", 64, 17, 0x2000 | 10, 0, 16);
	inject(fx, VIF1, f, n);
	assert_int_equal(take(fx, VIF2, g), n);
	assert_int_equal(get16(g + 20), 0x2000 | 10);
}

static void
test_icmp_errors_rate_limited(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256] = { 0 }, g[700] = { 0 };

	learn_vif2(fx);
	for (int i = 0; i < 4; i++)
		inject(fx, VIF1, f,
		       build4(f, RMAC, MAC_A, "10.0.0.10", "10.0.0.11", 1, 17, 0, 0, 8));
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_ICMP_SENT), 2);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_ICMP_RATELIMITED), 2);
	fx->now += NS_PER_S;
	inject(fx, VIF1, f, build4(f, RMAC, MAC_A, "10.0.0.10", "10.0.0.11", 1, 17, 0, 0, 8));
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_ICMP_SENT), 3);
	while (take(fx, VIF1, g))
		;
}

static void
test_uplink_arp_for_router_and_proxied_guests(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[128] = { 0 }, g[128] = { 0 };

	inject(fx, UP, f, build_arp(f, BCAST, MAC_GW, 1, "192.0.2.1", BCAST, "192.0.2.2"));
	assert_int_equal(take(fx, UP, g), 42);
	assert_memory_equal(g + 22, RMAC, 6);
	inject(fx, UP, f, build_arp(f, BCAST, MAC_GW, 1, "192.0.2.1", BCAST, "10.0.0.10"));
	assert_int_equal(take(fx, UP, g), 42);
	assert_memory_equal(g + 28, f + 38, 4);
	inject(fx, UP, f, build_arp(f, BCAST, MAC_GW, 1, "192.0.2.1", BCAST, "10.0.0.99"));
	assert_nothing_sent(fx);
	assert_int_equal(ctr(fx, UP, VSW_CTR_L3_ARP_REPLIED), 2);
	assert_int_equal(ctr(fx, UP, VSW_CTR_L3_NOT_FOR_US), 1);
	/* The request for the router taught it the gateway: traffic leaves at once. */
	inject(fx, VIF1, f, build4(f, RMAC, MAC_A, "10.0.0.10", "198.51.100.7", 64, 17, 0, 0, 8));
	assert_int_equal(take(fx, UP, g), 42);
	assert_memory_equal(g, MAC_GW, 6);
}

static void
test_frames_not_for_router_mac_and_other_ethertypes_dropped(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256] = { 0 };
	size_t n;

	learn_vif2(fx);
	inject(fx, VIF1, f, build4(f, MAC_B, MAC_A, "10.0.0.10", "10.0.0.11", 64, 17, 0, 0, 8));
	inject(fx, VIF1, f, build4(f, BCAST, MAC_A, "10.0.0.10", "10.0.0.255", 64, 17, 0, 0, 8));
	n = build4(f, RMAC, MAC_A, "10.0.0.10", "10.0.0.11", 64, 17, 0, 0, 8);
	put16(f + 12, 0x88cc);
	inject(fx, VIF1, f, n);
	inject(fx, VIF1, f, 10);
	assert_nothing_sent(fx);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_NOT_FOR_US), 2);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_L3_UNSUPPORTED), 1);
	assert_int_equal(ctr(fx, VIF1, VSW_CTR_RX_RUNT), 1);
}

static void
test_bad_arguments_and_duplicate_addresses_refused(void **state)
{
	struct fixture *fx = *state;
	struct vsw_net *net;
	struct port *p;
	struct vsw_port_cfg cfg = { .role = VSW_PORT_VIF, .n_ips = 1 };

	assert_int_equal(vsw_net_create(fx->sw, "x", "route", NULL, &net), -EINVAL);
	assert_int_equal(vsw_net_create(fx->sw, "x", "route", "gateway=10.0.0.1", &net), -EINVAL);
	assert_int_equal(vsw_net_create(fx->sw, "x", "route",
					"gateway=10.0.0.1/24,mac=01:00:00:00:00:01", &net),
			 -EINVAL);
	assert_int_equal(vsw_net_create(fx->sw, "x", "route", "gateway=2001:db8::1/64", &net),
			 -EINVAL);
	assert_int_equal(vsw_net_create(fx->sw, "x", "route", "gateway=10.0.0.1/24,bogus=1", &net),
			 -EINVAL);
	assert_int_equal(port_open("dummy", "dup", NULL, &p), 0);
	cfg.ips[0].family = AF_INET;
	ip4(cfg.ips[0].addr, "10.0.0.10");
	cfg.ips[0].prefix = 32;
	assert_int_equal(vsw_net_add_port(fx->net, p, &cfg), -EADDRINUSE);
	cfg.role = VSW_PORT_UPLINK;
	cfg.n_ips = 0;
	assert_int_equal(vsw_net_add_port(fx->net, p, &cfg), -EBUSY);
	port_close(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arp_answered_for_others_not_for_own_address,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_to_guest_routed_with_ttl_decremented,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ip_options_are_forwarded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl_1_and_0_get_time_exceeded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_route_gets_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frag_needed_with_df_and_fragmented_without,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_nd_and_forwarding_with_hop_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_spoofed_source_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uplink_resolution_releases_queued_packet,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unanswered_resolution_fails_and_counts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_static_routes_through_ctl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_checksum_and_truncated_headers_counted,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_to_router_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_host_port_holding_gateway_address_gets_its_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_no_icmp_error_for_icmp_errors_or_later_fragments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_errors_rate_limited, setup_ratelimit,
						teardown),
		cmocka_unit_test_setup_teardown(test_uplink_arp_for_router_and_proxied_guests,
						setup_proxy, teardown),
		cmocka_unit_test_setup_teardown(
			test_frames_not_for_router_mac_and_other_ethertypes_dropped, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments_and_duplicate_addresses_refused,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
