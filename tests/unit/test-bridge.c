/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the switch (switch.c) and the learning bridge mode (bridge.c), on dummy
 * ports. A switch without worker threads is driven step by step with a virtual clock, so
 * learning, flooding, reflection, aging and port removal are checked exactly; one test runs
 * a threaded switch to check that control calls run on the worker.
 */
#include "vswitch/bridge.h"
#include "vswitch/port-dummy.h"
#include "vswitch/switch.h"

#include <pthread.h>
#include <sys/socket.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NS_PER_S 1000000000ull
#define N_PORTS	 3

struct fixture {
	struct vsw_switch *sw;
	struct vsw_net *net;
	struct pkt_pool *pool; /* frames injected by the test */
	struct port *ports[N_PORTS];
	uint64_t now;
};

static const uint8_t MAC_A[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0a };
static const uint8_t MAC_B[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0b };
static const uint8_t MAC_C[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0c };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char name[16];

	assert_non_null(f);
	assert_int_equal(port_dummy_register(), 0);
	assert_int_equal(vsw_switch_create(0, &f->sw), 0);
	assert_int_equal(vsw_net_create(f->sw, "br0", "bridge", "aging=300", &f->net), 0);
	assert_int_equal(pkt_pool_create(256, 2048, &f->pool), 0);
	for (int i = 0; i < N_PORTS; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		assert_int_equal(port_open("dummy", name, NULL, &f->ports[i]), 0);
		assert_int_equal(vsw_net_add_port(f->net, f->ports[i], NULL), 0);
	}
	f->now = 1 * NS_PER_S;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < N_PORTS; i++) {
		if (!f->ports[i])
			continue;
		vsw_net_del_port(f->sw, f->ports[i]);
		port_close(f->ports[i]);
	}
	assert_int_equal(vsw_net_destroy(f->net), 0);
	vsw_switch_destroy(f->sw);
	pkt_pool_destroy(f->pool);
	free(f);
	return 0;
}

static void
inject(struct fixture *f, int port, const uint8_t *dst, const uint8_t *src, uint32_t len)
{
	struct pkt *p = pkt_alloc(f->pool);
	uint8_t *d;

	assert_non_null(p);
	d = pkt_put(p, len);
	assert_non_null(d);
	memset(d, 0x5a, len);
	if (len >= 12) {
		memcpy(d, dst, 6);
		memcpy(d + 6, src, 6);
	}
	if (len >= 14) {
		d[12] = 0x08;
		d[13] = 0x00;
	}
	assert_int_equal(port_dummy_inject(f->ports[port], p), 0);
}

/* Runs the switch once and returns, per port, how many frames it sent (captured). */
static void
run(struct fixture *f, unsigned int got[N_PORTS])
{
	struct pkt *pkts[64];

	vsw_switch_run_once(f->sw, f->now);
	for (int i = 0; i < N_PORTS; i++) {
		unsigned int n = f->ports[i] ? port_dummy_capture(f->ports[i], pkts, 64) : 0;

		got[i] = n;
		pkt_free_bulk(pkts, n);
	}
}

static uint64_t
ctr(struct port *port, enum vsw_counter c)
{
	struct port_stats st;

	assert_int_equal(port_get_stats(port, &st), 0);
	return st.ctrs.c[c];
}

static void
unknown_unicast_floods_to_all_but_the_sender(void **state)
{
	struct fixture *f = *state;
	unsigned int got[N_PORTS];

	inject(f, 0, MAC_B, MAC_A, 60);
	run(f, got);
	assert_int_equal(got[0], 0);
	assert_int_equal(got[1], 1);
	assert_int_equal(got[2], 1);
	assert_int_equal(ctr(f->ports[0], VSW_CTR_FWD_FLOOD), 1);
}

static void
learned_destination_gets_the_frame_alone(void **state)
{
	struct fixture *f = *state;
	unsigned int got[N_PORTS];

	inject(f, 0, MAC_B, MAC_A, 60); /* learns A on p0 */
	run(f, got);
	inject(f, 1, MAC_A, MAC_B, 60); /* learns B on p1, A is known */
	run(f, got);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[1], 0);
	assert_int_equal(got[2], 0);
	inject(f, 0, MAC_B, MAC_A, 60);
	run(f, got);
	assert_int_equal(got[1], 1);
	assert_int_equal(got[0] + got[2], 0);
}

static void
broadcast_and_multicast_reach_every_other_port(void **state)
{
	struct fixture *f = *state;
	unsigned int got[N_PORTS];

	inject(f, 0, MAC_C, MAC_A, 60); /* C unknown */
	inject(f, 1, MAC_A, MAC_C, 60); /* teach the bridge A and C */
	run(f, got);
	inject(f, 2, BCAST, MAC_B, 60);
	run(f, got);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[1], 1);
	assert_int_equal(got[2], 0);
	inject(f, 1, MCAST, MAC_C, 60);
	run(f, got);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[2], 1);
	assert_int_equal(got[1], 0);
}

static void
frame_to_its_own_port_is_not_reflected(void **state)
{
	struct fixture *f = *state;
	unsigned int got[N_PORTS];

	inject(f, 0, MAC_B, MAC_A, 60);
	inject(f, 0, MAC_C, MAC_B, 60); /* B now learned on p0 too (moved) */
	run(f, got);
	inject(f, 0, MAC_B, MAC_A, 60); /* B lives behind p0: do not send back */
	run(f, got);
	assert_int_equal(got[0] + got[1] + got[2], 0);
	assert_int_equal(ctr(f->ports[0], VSW_CTR_FWD_REFLECT), 1);
}

static void
multicast_source_is_dropped_and_counted(void **state)
{
	struct fixture *f = *state;
	unsigned int got[N_PORTS];

	inject(f, 0, MAC_B, MCAST, 60);
	run(f, got);
	assert_int_equal(got[0] + got[1] + got[2], 0);
	assert_int_equal(ctr(f->ports[0], VSW_CTR_RX_BAD_SRC_MAC), 1);
}

static void
runt_is_dropped_and_counted(void **state)
{
	struct fixture *f = *state;
	unsigned int got[N_PORTS];

	inject(f, 1, MAC_B, MAC_A, 13);
	run(f, got);
	assert_int_equal(got[0] + got[1] + got[2], 0);
	assert_int_equal(ctr(f->ports[1], VSW_CTR_RX_RUNT), 1);
}

static void
entries_age_out_with_the_virtual_clock(void **state)
{
	struct fixture *f = *state;
	struct vsw_mac_info infos[8];
	unsigned int got[N_PORTS];

	inject(f, 0, MAC_B, MAC_A, 60);
	run(f, got);
	assert_int_equal(vsw_bridge_fdb(f->net, infos, 8), 1);
	f->now += 299 * NS_PER_S;
	inject(f, 1, MAC_A, MAC_B, 60);
	run(f, got);
	assert_int_equal(got[0], 1); /* A still known at 299 s */
	assert_int_equal(got[2], 0);
	f->now += 2 * NS_PER_S; /* A last seen 301 s ago */
	inject(f, 1, MAC_A, MAC_B, 60);
	run(f, got);
	assert_int_equal(got[0], 1); /* flooded now */
	assert_int_equal(got[2], 1);
	assert_int_equal(vsw_bridge_fdb(f->net, infos, 8), 1); /* only B remains */
	assert_memory_equal(infos[0].mac.ether_addr_octet, MAC_B, 6);
}

static void
removed_port_is_forgotten(void **state)
{
	struct fixture *f = *state;
	struct vsw_mac_info infos[8];
	unsigned int got[N_PORTS];

	inject(f, 2, MAC_B, MAC_C, 60);
	run(f, got);
	assert_int_equal(vsw_bridge_fdb(f->net, infos, 8), 1);
	assert_int_equal(vsw_net_del_port(f->sw, f->ports[2]), 0);
	port_close(f->ports[2]);
	f->ports[2] = NULL;
	assert_int_equal(vsw_bridge_fdb(f->net, infos, 8), 0);
	assert_int_equal(vsw_net_n_ports(f->net), 2);
	inject(f, 0, MAC_C, MAC_A, 60);
	run(f, got);
	assert_int_equal(got[1], 1);
}

static void
net_with_ports_cannot_be_destroyed(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(vsw_net_destroy(f->net), -EBUSY);
	assert_int_equal(vsw_net_create(f->sw, "br0", "bridge", NULL, NULL), -EEXIST);
	assert_int_equal(vsw_net_create(f->sw, "x", "nosuchmode", NULL, NULL), -ENOENT);
	assert_int_equal(vsw_net_create(f->sw, "bad name", "bridge", NULL, NULL), -EINVAL);
	assert_int_equal(vsw_net_create(f->sw, "y", "bridge", "aging=0", NULL), -EINVAL);
	assert_int_equal(vsw_net_add_port(f->net, f->ports[0], NULL), -EBUSY);
}

/* An IPv4/UDP frame from 'src_ip' (host order) to dst port 'dport'. */
static void
inject_ipv4(struct fixture *f, int port, const uint8_t *src_mac, uint32_t src_ip, uint16_t dport)
{
	struct pkt *p = pkt_alloc(f->pool);
	uint8_t *d;

	assert_non_null(p);
	d = pkt_put(p, 60);
	if (!d) {
		fail();
		return;
	}
	memset(d, 0, 60);
	memcpy(d, BCAST, 6);
	memcpy(d + 6, src_mac, 6);
	d[12] = 0x08;
	d[14] = 0x45;
	d[17] = 46; /* total length */
	d[22] = 64;
	d[23] = 17; /* UDP */
	d[26] = (uint8_t)(src_ip >> 24);
	d[27] = (uint8_t)(src_ip >> 16);
	d[28] = (uint8_t)(src_ip >> 8);
	d[29] = (uint8_t)src_ip;
	d[36] = (uint8_t)(dport >> 8);
	d[37] = (uint8_t)dport;
	assert_int_equal(port_dummy_inject(f->ports[port], p), 0);
}

static void
vif_sends_only_from_its_ip(void **state)
{
	struct fixture *f = *state;
	struct vsw_port_cfg cfg = { .role = VSW_PORT_VIF, .n_ips = 1 };
	unsigned int got[N_PORTS];

	/* p0 becomes a vif with ip=10.0.0.5. */
	cfg.ips[0].family = AF_INET;
	cfg.ips[0].prefix = 32;
	memcpy(cfg.ips[0].addr, (uint8_t[]){ 10, 0, 0, 5 }, 4);
	assert_int_equal(vsw_net_del_port(f->sw, f->ports[0]), 0);
	assert_int_equal(vsw_net_add_port(f->net, f->ports[0], &cfg), 0);
	inject_ipv4(f, 0, MAC_A, 0x0a000005, 9);
	run(f, got);
	assert_int_equal(got[1] + got[2], 2);
	inject_ipv4(f, 0, MAC_A, 0x0a000006, 9); /* someone else's address */
	run(f, got);
	assert_int_equal(got[1] + got[2], 0);
	assert_int_equal(ctr(f->ports[0], VSW_CTR_L3_SPOOFED), 1);
	inject_ipv4(f, 0, MAC_A, 0, 67); /* DHCP discover before it has an address */
	run(f, got);
	assert_int_equal(got[1] + got[2], 2);
	inject_ipv4(f, 1, MAC_B, 0x0a000006, 9); /* p1 has no ip=: unrestricted */
	run(f, got);
	assert_int_equal(got[0] + got[2], 2);
}

static int
record_thread(void *arg)
{
	*(pthread_t *)arg = pthread_self();
	return 42;
}

static void
threaded_calls_run_on_the_worker(void **state)
{
	struct vsw_switch *sw;
	struct vsw_net *net;
	pthread_t t = pthread_self();

	(void)state;
	assert_int_equal(vsw_switch_create(2, &sw), 0);
	assert_int_equal(vsw_net_create(sw, "n1", "bridge", NULL, &net), 0);
	assert_int_equal(vsw_net_call(net, record_thread, &t), 42);
	assert_false(pthread_equal(t, pthread_self()));
	assert_int_equal(vsw_net_destroy(net), 0);
	vsw_switch_destroy(sw);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(unknown_unicast_floods_to_all_but_the_sender),
		T(learned_destination_gets_the_frame_alone),
		T(broadcast_and_multicast_reach_every_other_port),
		T(frame_to_its_own_port_is_not_reflected),
		T(multicast_source_is_dropped_and_counted),
		T(runt_is_dropped_and_counted),
		T(entries_age_out_with_the_virtual_clock),
		T(removed_port_is_forgotten),
		T(net_with_ports_cannot_be_destroyed),
		T(vif_sends_only_from_its_ip),
		cmocka_unit_test(threaded_calls_run_on_the_worker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
