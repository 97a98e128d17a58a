/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the hostonly and isolated modes (vswitch/mode-basic.c) on dummy ports, in a
 * switch without threads driven by a virtual clock: which port roles may join, and that an
 * isolated network lets frames leave through guests' ports only.
 */
#include "vswitch/bridge.h"
#include "vswitch/mode-basic.h"
#include "vswitch/port-dummy.h"
#include "vswitch/switch.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NS_PER_S 1000000000ull
#define N_PORTS	 4

/* Ports of the fixture, one per role. */
enum { P_VIF_A, P_VIF_B, P_HOST, P_OTHER };

struct fixture {
	struct vsw_switch *sw;
	struct vsw_net *net;
	struct pkt_pool *pool;
	struct port *ports[N_PORTS];
	bool joined[N_PORTS];
	uint64_t now;
};

static const uint8_t MAC_A[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0a };
static const uint8_t MAC_B[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0b };
static const uint8_t MAC_H[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t MAC_O[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0f };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct fixture *
fixture_new(const char *mode)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char name[16];

	assert_non_null(f);
	assert_int_equal(port_dummy_register(), 0);
	assert_int_equal(vsw_mode_hostonly_register(), 0);
	assert_int_equal(vsw_mode_isolated_register(), 0);
	assert_int_equal(vsw_switch_create(0, &f->sw), 0);
	assert_int_equal(vsw_net_create(f->sw, "n0", mode, "aging=300", &f->net), 0);
	assert_int_equal(pkt_pool_create(256, 2048, &f->pool), 0);
	for (int i = 0; i < N_PORTS; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		assert_int_equal(port_open("dummy", name, NULL, &f->ports[i]), 0);
	}
	f->now = NS_PER_S;
	return f;
}

static int
join(struct fixture *f, int i, enum vsw_port_role role)
{
	struct vsw_port_cfg cfg = { .role = role };
	int err = vsw_net_add_port(f->net, f->ports[i], &cfg);

	if (err == 0)
		f->joined[i] = true;
	return err;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	for (int i = 0; i < N_PORTS; i++) {
		if (f->joined[i])
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
inject(struct fixture *f, int port, const uint8_t *dst, const uint8_t *src)
{
	struct pkt *p = pkt_alloc(f->pool);
	uint8_t frame[60] = { 0 };
	uint8_t *d;

	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	assert_non_null(p);
	d = pkt_put(p, sizeof(frame));
	assert_non_null(d);
	memcpy(d, frame, sizeof(frame));
	assert_int_equal(port_dummy_inject(f->ports[port], p), 0);
}

static void
run(struct fixture *f, unsigned int got[N_PORTS])
{
	struct pkt *pkts[64];

	vsw_switch_run_once(f->sw, f->now);
	f->now += NS_PER_S;
	for (int i = 0; i < N_PORTS; i++) {
		unsigned int n = port_dummy_capture(f->ports[i], pkts, 64);

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
hostonly_refuses_an_uplink_and_takes_the_other_roles(void **state)
{
	struct fixture *f = fixture_new("hostonly");

	*state = f;
	assert_int_equal(join(f, P_OTHER, VSW_PORT_UPLINK), -EPERM);
	assert_null(vsw_port_net(f->sw, f->ports[P_OTHER]));
	assert_int_equal(join(f, P_VIF_A, VSW_PORT_VIF), 0);
	assert_int_equal(join(f, P_HOST, VSW_PORT_HOST), 0);
	assert_int_equal(join(f, P_OTHER, VSW_PORT_OTHER), 0);
	assert_int_equal(vsw_net_n_ports(f->net), 3);
}

static void
hostonly_guest_and_host_reach_each_other(void **state)
{
	struct fixture *f = fixture_new("hostonly");
	unsigned int got[N_PORTS];

	*state = f;
	assert_int_equal(join(f, P_VIF_A, VSW_PORT_VIF), 0);
	assert_int_equal(join(f, P_VIF_B, VSW_PORT_VIF), 0);
	assert_int_equal(join(f, P_HOST, VSW_PORT_HOST), 0);
	inject(f, P_HOST, BCAST, MAC_H);
	run(f, got);
	assert_int_equal(got[P_VIF_A], 1);
	assert_int_equal(got[P_VIF_B], 1);
	assert_int_equal(got[P_HOST], 0);
	inject(f, P_VIF_A, MAC_H, MAC_A);
	run(f, got);
	assert_int_equal(got[P_HOST], 1);
	assert_int_equal(got[P_VIF_B], 0);
	inject(f, P_HOST, MAC_A, MAC_H);
	run(f, got);
	assert_int_equal(got[P_VIF_A], 1);
	assert_int_equal(got[P_VIF_B], 0);
}

static void
isolated_refuses_host_and_uplink(void **state)
{
	struct fixture *f = fixture_new("isolated");

	*state = f;
	assert_int_equal(join(f, P_HOST, VSW_PORT_HOST), -EPERM);
	assert_int_equal(join(f, P_HOST, VSW_PORT_UPLINK), -EPERM);
	assert_int_equal(join(f, P_VIF_A, VSW_PORT_VIF), 0);
	assert_int_equal(join(f, P_OTHER, VSW_PORT_OTHER), 0);
	assert_int_equal(vsw_net_n_ports(f->net), 2);
}

static void
isolated_broadcast_and_unknown_unicast_reach_guests_only(void **state)
{
	struct fixture *f = fixture_new("isolated");
	unsigned int got[N_PORTS];

	*state = f;
	assert_int_equal(join(f, P_VIF_A, VSW_PORT_VIF), 0);
	assert_int_equal(join(f, P_VIF_B, VSW_PORT_VIF), 0);
	assert_int_equal(join(f, P_OTHER, VSW_PORT_OTHER), 0);
	inject(f, P_VIF_A, BCAST, MAC_A);
	run(f, got);
	assert_int_equal(got[P_VIF_B], 1);
	assert_int_equal(got[P_OTHER], 0);
	inject(f, P_VIF_A, MAC_O, MAC_A);
	run(f, got);
	assert_int_equal(got[P_VIF_B], 1);
	assert_int_equal(got[P_OTHER], 0);
	assert_int_equal(ctr(f->ports[P_VIF_A], VSW_CTR_FWD_FLOOD), 2);
}

static void
isolated_unicast_to_a_learned_non_guest_is_denied(void **state)
{
	struct fixture *f = fixture_new("isolated");
	unsigned int got[N_PORTS];

	*state = f;
	assert_int_equal(join(f, P_VIF_A, VSW_PORT_VIF), 0);
	assert_int_equal(join(f, P_VIF_B, VSW_PORT_VIF), 0);
	assert_int_equal(join(f, P_OTHER, VSW_PORT_OTHER), 0);
	/* The OTHER port's MAC is learned from its own frame, which guests still get. */
	inject(f, P_OTHER, BCAST, MAC_O);
	run(f, got);
	assert_int_equal(got[P_VIF_A], 1);
	assert_int_equal(got[P_VIF_B], 1);
	inject(f, P_VIF_A, MAC_O, MAC_A);
	run(f, got);
	assert_int_equal(got[P_OTHER], 0);
	assert_int_equal(got[P_VIF_B], 0);
	assert_int_equal(ctr(f->ports[P_VIF_A], VSW_CTR_MODE_DENIED), 1);
}

static void
isolated_guests_reach_each_other_by_learned_unicast(void **state)
{
	struct fixture *f = fixture_new("isolated");
	struct vsw_mac_info infos[8];
	unsigned int got[N_PORTS];

	*state = f;
	assert_int_equal(join(f, P_VIF_A, VSW_PORT_VIF), 0);
	assert_int_equal(join(f, P_VIF_B, VSW_PORT_VIF), 0);
	assert_int_equal(join(f, P_OTHER, VSW_PORT_OTHER), 0);
	inject(f, P_VIF_B, BCAST, MAC_B);
	run(f, got);
	inject(f, P_VIF_A, MAC_B, MAC_A);
	run(f, got);
	assert_int_equal(got[P_VIF_B], 1);
	assert_int_equal(got[P_OTHER], 0);
	assert_int_equal(ctr(f->ports[P_VIF_A], VSW_CTR_FWD_FLOOD), 0);
	assert_int_equal(ctr(f->ports[P_VIF_A], VSW_CTR_MODE_DENIED), 0);
	assert_int_equal(vsw_bridge_fdb(f->net, infos, 8), 2);
}

static void
plain_bridge_still_takes_every_role(void **state)
{
	struct fixture *f = fixture_new("bridge");

	*state = f;
	assert_int_equal(join(f, P_VIF_A, VSW_PORT_VIF), 0);
	assert_int_equal(join(f, P_HOST, VSW_PORT_HOST), 0);
	assert_int_equal(join(f, P_OTHER, VSW_PORT_UPLINK), 0);
}

static void
registering_twice_is_accepted(void **state)
{
	(void)state;
	assert_int_equal(vsw_mode_hostonly_register(), 0);
	assert_int_equal(vsw_mode_hostonly_register(), 0);
	assert_int_equal(vsw_mode_isolated_register(), 0);
	assert_non_null(vsw_mode_lookup("hostonly"));
	assert_non_null(vsw_mode_lookup("isolated"));
}

#define T(fn) cmocka_unit_test_teardown(fn, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(hostonly_refuses_an_uplink_and_takes_the_other_roles),
		T(hostonly_guest_and_host_reach_each_other),
		T(isolated_refuses_host_and_uplink),
		T(isolated_broadcast_and_unknown_unicast_reach_guests_only),
		T(isolated_unicast_to_a_learned_non_guest_is_denied),
		T(isolated_guests_reach_each_other_by_learned_unicast),
		T(plain_bridge_still_takes_every_role),
		cmocka_unit_test(registering_twice_is_accepted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
