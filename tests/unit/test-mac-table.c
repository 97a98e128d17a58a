/* SPDX-License-Identifier: MIT */
/*
 * test-mac-table.c - unit tests of vswitch/mac-table: learn and lookup, aging at its
 * boundary, the size cap and fair eviction (least recently learned to within the refresh
 * time), the chain bound, bursts, moves, refusal of multicast sources, flushes, dumps, and
 * 100k random operations checked against a simple reference model of the contract.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vswitch/mac-table.h"

#define S 1000000000ull /* ns */

static struct ether_addr
mac_of(uint32_t i)
{
	struct ether_addr m = { { 0x02, 0x00, (uint8_t)(i >> 24), (uint8_t)(i >> 16),
				  (uint8_t)(i >> 8), (uint8_t)i } };

	return m;
}

static struct vsw_mac_table *
make_table(unsigned int max_entries, unsigned int aging_s, unsigned int max_ports)
{
	struct vsw_mac_table_cfg cfg = {
		.max_entries = max_entries,
		.aging_s = aging_s,
		.max_ports = max_ports,
	};
	struct vsw_mac_table *t = NULL;

	assert_int_equal(vsw_mac_table_create(&cfg, &t), 0);
	assert_non_null(t);
	return t;
}

/* The port of 'mac' on 'vlan' at 'now', or -1 if the lookup fails. */
static int
port_of(const struct vsw_mac_table *t, struct ether_addr mac, uint16_t vlan, uint64_t now)
{
	uint16_t port = 0xffff;

	if (vsw_mac_lookup(t, &mac, vlan, now, &port))
		return -1;
	return port;
}

static void
create_rejects_bad_config(void **state)
{
	struct vsw_mac_table_cfg cfg = { 0 };
	struct vsw_mac_table *t = NULL;
	struct vsw_mac_stats st;

	(void)state;
	cfg.max_entries = VSW_MAC_MAX_ENTRIES_LIMIT + 1;
	assert_int_equal(vsw_mac_table_create(&cfg, &t), -EINVAL);
	cfg.max_entries = 0;
	cfg.aging_s = VSW_MAC_AGING_S_MAX + 1;
	assert_int_equal(vsw_mac_table_create(&cfg, &t), -EINVAL);
	cfg.aging_s = 0;
	cfg.max_ports = VSW_MAC_MAX_PORTS_LIMIT + 1;
	assert_int_equal(vsw_mac_table_create(&cfg, &t), -EINVAL);
	assert_null(t);

	assert_int_equal(vsw_mac_table_create(NULL, &t), 0);
	vsw_mac_get_stats(t, &st);
	assert_int_equal(st.n_entries, 0);
	assert_int_equal(vsw_mac_table_set_aging(t, 0), -EINVAL);
	assert_int_equal(vsw_mac_table_set_aging(t, VSW_MAC_AGING_S_MAX + 1), -EINVAL);
	vsw_mac_table_destroy(t);
	vsw_mac_table_destroy(NULL);
}

static void
learned_mac_is_found_on_its_port_and_vlan_only(void **state)
{
	struct vsw_mac_table *t = make_table(0, 0, 0);
	struct vsw_mac_stats st;

	(void)state;
	assert_int_equal(port_of(t, mac_of(1), 0, 0), -1);
	{
		struct ether_addr a = mac_of(1), b = mac_of(2);

		assert_int_equal(vsw_mac_learn(t, &a, 10, 3, 5 * S), 0);
		assert_int_equal(vsw_mac_learn(t, &b, 10, 4, 5 * S), 0);
		assert_int_equal(vsw_mac_learn(t, &a, 11, 5, 5 * S), 0);
	}
	assert_int_equal(port_of(t, mac_of(1), 10, 6 * S), 3);
	assert_int_equal(port_of(t, mac_of(2), 10, 6 * S), 4);
	assert_int_equal(port_of(t, mac_of(1), 11, 6 * S), 5);
	assert_int_equal(port_of(t, mac_of(1), 12, 6 * S), -1);
	assert_int_equal(port_of(t, mac_of(3), 10, 6 * S), -1);
	assert_int_equal(port_of(t, mac_of(1), 4096, 6 * S), -1);
	assert_int_equal(vsw_mac_count(t), 3);
	vsw_mac_get_stats(t, &st);
	assert_int_equal(st.learned, 3);
	assert_int_equal(st.moved, 0);
	vsw_mac_table_destroy(t);
}

static void
entry_ages_out_at_the_aging_boundary(void **state)
{
	struct vsw_mac_table *t = make_table(0, 0, 0);
	struct ether_addr a = mac_of(7);
	const uint64_t t0 = 1000 * S;
	struct vsw_mac_stats st;

	(void)state;
	assert_int_equal(vsw_mac_learn(t, &a, 0, 1, t0), 0);
	assert_int_equal(port_of(t, a, 0, t0 + 299 * S), 1);
	assert_int_equal(vsw_mac_age(t, t0 + 299 * S), 0);
	assert_int_equal(port_of(t, a, 0, t0 + 300 * S - 1), 1);
	/* Expired for lookups at once, even before vsw_mac_age() frees it. */
	assert_int_equal(port_of(t, a, 0, t0 + 300 * S), -1);
	assert_int_equal(port_of(t, a, 0, t0 + 301 * S), -1);
	assert_int_equal(vsw_mac_count(t), 1);
	assert_int_equal(vsw_mac_age(t, t0 + 301 * S), 1);
	assert_int_equal(vsw_mac_count(t), 0);
	vsw_mac_get_stats(t, &st);
	assert_int_equal(st.aged, 1);
	vsw_mac_table_destroy(t);
}

static void
relearning_refreshes_the_age(void **state)
{
	struct vsw_mac_table *t = make_table(0, 0, 0);
	struct ether_addr a = mac_of(7);

	(void)state;
	assert_int_equal(vsw_mac_learn(t, &a, 0, 1, 0), 0);
	assert_int_equal(vsw_mac_learn(t, &a, 0, 1, 200 * S), 0);
	assert_int_equal(vsw_mac_age(t, 450 * S), 0);
	assert_int_equal(port_of(t, a, 0, 450 * S), 1);
	assert_int_equal(vsw_mac_age(t, 500 * S), 1);
	vsw_mac_table_destroy(t);
}

static void
aging_time_can_be_changed(void **state)
{
	struct vsw_mac_table *t = make_table(0, 0, 0);
	struct ether_addr a = mac_of(7);

	(void)state;
	assert_int_equal(vsw_mac_learn(t, &a, 0, 1, 0), 0);
	assert_int_equal(vsw_mac_table_set_aging(t, 10), 0);
	assert_int_equal(port_of(t, a, 0, 9 * S), 1);
	assert_int_equal(port_of(t, a, 0, 10 * S), -1);
	assert_int_equal(vsw_mac_age(t, 10 * S), 1);
	vsw_mac_table_destroy(t);
}

static void
time_going_backwards_does_not_extend_lives(void **state)
{
	struct vsw_mac_table *t = make_table(0, 0, 0);
	struct ether_addr a = mac_of(1), b = mac_of(2);

	(void)state;
	assert_int_equal(vsw_mac_learn(t, &a, 0, 1, 1000 * S), 0);
	/* A caller clock that jumps back (a pcap out of order) is read as "no time passed". */
	assert_int_equal(vsw_mac_learn(t, &b, 0, 1, 5 * S), 0);
	assert_int_equal(port_of(t, b, 0, 6 * S), 1);
	assert_int_equal(vsw_mac_age(t, 1299 * S), 0);
	assert_int_equal(vsw_mac_age(t, 1300 * S), 2);
	assert_int_equal(vsw_mac_count(t), 0);
	vsw_mac_table_destroy(t);
}

static void
size_cap_is_never_exceeded(void **state)
{
	struct vsw_mac_table *t = make_table(16, 0, 8);
	struct vsw_mac_stats st;

	(void)state;
	for (uint32_t i = 0; i < 100; i++) {
		struct ether_addr m = mac_of(i);

		assert_int_equal(vsw_mac_learn(t, &m, 0, (uint16_t)(i % 5), i * S / 10), 0);
		assert_true(vsw_mac_count(t) <= 16);
		assert_int_equal(vsw_mac_count(t), i < 16 ? i + 1 : 16);
	}
	vsw_mac_get_stats(t, &st);
	assert_int_equal(st.learned, 100);
	assert_int_equal(st.evicted, 84);
	assert_int_equal(st.n_entries, 16);
	vsw_mac_table_destroy(t);
}

static void
flooding_port_cannot_evict_other_ports_mac(void **state)
{
	struct vsw_mac_table *t = make_table(0, 0, 0); /* defaults: 8192 entries, 300 s */
	struct ether_addr victim = mac_of(0xffffff);
	struct vsw_mac_stats st;

	(void)state;
	assert_int_equal(vsw_mac_learn(t, &victim, 0, 2, 0), 0);
	for (uint32_t i = 0; i < 10000; i++) {
		struct ether_addr m = mac_of(i);

		assert_int_equal(vsw_mac_learn(t, &m, 0, 1, (uint64_t)i * 1000000), 0);
	}
	assert_int_equal(port_of(t, victim, 0, 11 * S), 2);
	assert_int_equal(vsw_mac_count(t), VSW_MAC_MAX_ENTRIES_DEFAULT);
	assert_int_equal(vsw_mac_port_count(t, 2), 1);
	assert_int_equal(vsw_mac_port_count(t, 1), VSW_MAC_MAX_ENTRIES_DEFAULT - 1);
	vsw_mac_get_stats(t, &st);
	assert_int_equal(st.evicted, 10001 - VSW_MAC_MAX_ENTRIES_DEFAULT);
	/* The flooder lost its own oldest entries: 0..1808 gone, 1809.. kept. */
	assert_int_equal(port_of(t, mac_of(0), 0, 11 * S), -1);
	assert_int_equal(port_of(t, mac_of(1808), 0, 11 * S), -1);
	assert_int_equal(port_of(t, mac_of(1809), 0, 11 * S), 1);
	assert_int_equal(port_of(t, mac_of(9999), 0, 11 * S), 1);
	vsw_mac_table_destroy(t);
}

static void
eviction_takes_oldest_entry_of_biggest_port(void **state)
{
	struct vsw_mac_table *t = make_table(8, 0, 4);
	uint64_t now = 0;

	(void)state;
	/* Port 1 owns a0..a4 (oldest first), port 2 owns b0..b2: the table is full. */
	for (uint32_t i = 0; i < 5; i++) {
		struct ether_addr m = mac_of(0x100 + i);

		assert_int_equal(vsw_mac_learn(t, &m, 0, 1, now++ * S), 0);
	}
	for (uint32_t i = 0; i < 3; i++) {
		struct ether_addr m = mac_of(0x200 + i);

		assert_int_equal(vsw_mac_learn(t, &m, 0, 2, now++ * S), 0);
	}
	/* The biggest owner loses its oldest, even though port 2's entries are younger. */
	{
		struct ether_addr c0 = mac_of(0x300), c1 = mac_of(0x301), a1 = mac_of(0x101);

		assert_int_equal(vsw_mac_learn(t, &c0, 0, 3, now++ * S), 0);
		assert_int_equal(port_of(t, mac_of(0x100), 0, now * S), -1);
		assert_int_equal(port_of(t, mac_of(0x101), 0, now * S), 1);
		assert_int_equal(vsw_mac_port_count(t, 1), 4);
		assert_int_equal(vsw_mac_port_count(t, 2), 3);

		/* Refreshing a1 makes a2 the oldest of port 1. */
		assert_int_equal(vsw_mac_learn(t, &a1, 0, 1, now++ * S), 0);
		assert_int_equal(vsw_mac_learn(t, &c1, 0, 3, now++ * S), 0);
		assert_int_equal(port_of(t, mac_of(0x101), 0, now * S), 1);
		assert_int_equal(port_of(t, mac_of(0x102), 0, now * S), -1);
		assert_int_equal(port_of(t, mac_of(0x103), 0, now * S), 1);
	}
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(port_of(t, mac_of(0x200 + i), 0, now * S), 2);
	assert_int_equal(vsw_mac_count(t), 8);
	vsw_mac_table_destroy(t);
}

static void
eviction_order_is_learn_order_to_within_the_refresh_time(void **state)
{
	struct vsw_mac_table *t = make_table(3, 0, 4);
	struct ether_addr a = mac_of(1), b = mac_of(2), c = mac_of(3), d = mac_of(4), e = mac_of(5);
	int pa, pb;

	(void)state;
	/* a, b, c learned 0.1 s apart; a learned again at 0.5 s, still within the refresh
	 * time of b's last learn: either a or b may go, never c, and exactly one of them. */
	assert_int_equal(vsw_mac_learn(t, &a, 0, 1, 0), 0);
	assert_int_equal(vsw_mac_learn(t, &b, 0, 1, S / 10), 0);
	assert_int_equal(vsw_mac_learn(t, &c, 0, 1, 2 * S / 10), 0);
	assert_int_equal(vsw_mac_learn(t, &a, 0, 1, 5 * S / 10), 0);
	assert_int_equal(vsw_mac_learn(t, &d, 0, 1, 6 * S / 10), 0);
	pa = port_of(t, a, 0, S);
	pb = port_of(t, b, 0, S);
	assert_true((pa == 1 && pb == -1) || (pa == -1 && pb == 1));
	assert_int_equal(port_of(t, c, 0, S), 1);
	assert_int_equal(port_of(t, d, 0, S), 1);
	/* Learned again a refresh time later, c is younger than d: d goes next. */
	assert_int_equal(vsw_mac_learn(t, &c, 0, 1, 2 * S / 10 + VSW_MAC_REFRESH_NS), 0);
	if (pa == 1)
		assert_int_equal(vsw_mac_learn(t, &a, 0, 1, 5 * S / 10 + VSW_MAC_REFRESH_NS), 0);
	else
		assert_int_equal(vsw_mac_learn(t, &b, 0, 1, S / 10 + VSW_MAC_REFRESH_NS), 0);
	assert_int_equal(vsw_mac_learn(t, &e, 0, 1, 2 * VSW_MAC_REFRESH_NS), 0);
	assert_int_equal(port_of(t, d, 0, 2 * VSW_MAC_REFRESH_NS), -1);
	assert_int_equal(port_of(t, c, 0, 2 * VSW_MAC_REFRESH_NS), 1);
	assert_int_equal(port_of(t, e, 0, 2 * VSW_MAC_REFRESH_NS), 1);
	assert_int_equal(vsw_mac_count(t), 3);
	vsw_mac_table_destroy(t);
}

static void
honest_macs_never_hit_the_chain_bound(void **state)
{
	struct vsw_mac_table *t = make_table(65536, 0, 0);
	struct vsw_mac_stats st;

	(void)state;
	/* A full table of sequential MACs (what a naive hash would pile up): every one is
	 * learned and found. */
	for (uint32_t i = 0; i < 65536; i++) {
		struct ether_addr m = mac_of(i << 8);

		assert_int_equal(vsw_mac_learn(t, &m, (uint16_t)(i & 7), 1, 0), 0);
	}
	for (uint32_t i = 0; i < 65536; i += 97)
		assert_int_equal(port_of(t, mac_of(i << 8), (uint16_t)(i & 7), 0), 1);
	vsw_mac_get_stats(t, &st);
	assert_int_equal(st.chain_full, 0);
	assert_int_equal(st.evicted, 0);
	assert_int_equal(vsw_mac_count(t), 65536);
	vsw_mac_table_destroy(t);
}

#define K(m) vsw_mac_key_of((m).ether_addr_octet, 0)

static void
burst_is_learn_then_lookup_per_frame(void **state)
{
	struct vsw_mac_table *t = make_table(0, 0, 8);
	struct ether_addr a = mac_of(1), b = mac_of(2), c = mac_of(3),
			  bad = { { 1, 0, 0, 0, 0, 1 } };
	struct vsw_mac_req r[5] = {
		{ .src_key = K(a), .dst_key = K(b), .in_port = 1 },   /* b unknown yet */
		{ .src_key = K(b), .dst_key = K(a), .in_port = 2 },   /* a learned before */
		{ .src_key = K(a), .dst_key = K(b), .in_port = 1 },   /* b known now */
		{ .src_key = K(bad), .dst_key = K(c), .in_port = 3 }, /* refused, c unknown */
		{ .src_key = 0, .dst_key = 0, .in_port = 3 },
	};
	struct vsw_mac_stats st;

	(void)state;
	vsw_mac_learn_lookup_burst(t, r, 5, S);
	assert_int_equal(r[0].out_port, VSW_MAC_PORT_NONE);
	assert_int_equal(r[1].out_port, 1);
	assert_int_equal(r[2].out_port, 2);
	assert_int_equal(r[3].out_port, VSW_MAC_PORT_NONE);
	assert_int_equal(r[4].out_port, VSW_MAC_PORT_NONE);
	vsw_mac_get_stats(t, &st);
	assert_int_equal(st.learned, 2);
	assert_int_equal(st.refused, 1);
	assert_int_equal(vsw_mac_count(t), 2);
	/* Expired entries are not found by a burst either. */
	r[0].src_key = 0;
	vsw_mac_learn_lookup_burst(t, r, 1, S + 300 * S);
	assert_int_equal(r[0].out_port, VSW_MAC_PORT_NONE);
	vsw_mac_table_destroy(t);
}

static void
burst_keys_checked_like_learn(void **state)
{
	struct vsw_mac_table *t = make_table(0, 0, 8);
	struct ether_addr a = mac_of(1), zero = { { 0 } },
			  bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct vsw_mac_req r[3] = {
		{ .src_key = vsw_mac_key_of(a.ether_addr_octet, 4096),
		  .in_port = 1 }, /* VLAN too big */
		{ .src_key = vsw_mac_key_of(zero.ether_addr_octet, 7), .in_port = 1 },
		{ .src_key = vsw_mac_key_of(a.ether_addr_octet, 7),
		  .in_port = 8 }, /* no such port */
	};
	struct vsw_mac_stats st;

	(void)state;
	assert_true(vsw_mac_key_is_learnable(K(a)));
	assert_false(vsw_mac_key_is_learnable(K(bcast)));
	assert_false(vsw_mac_key_is_learnable(K(zero)));
	assert_int_equal(vsw_mac_key_of(a.ether_addr_octet, 7),
			 vsw_mac_key_of(a.ether_addr_octet, 0) | 7);
	vsw_mac_learn_lookup_burst(t, r, 3, S);
	vsw_mac_get_stats(t, &st);
	assert_int_equal(st.refused, 3);
	assert_int_equal(vsw_mac_count(t), 0);
	vsw_mac_table_destroy(t);
}

static void
mac_seen_on_another_port_moves(void **state)
{
	struct vsw_mac_table *t = make_table(0, 0, 0);
	struct ether_addr a = mac_of(5);
	struct vsw_mac_stats st;

	(void)state;
	assert_int_equal(vsw_mac_learn(t, &a, 3, 1, 0), 0);
	assert_int_equal(vsw_mac_learn(t, &a, 3, 2, S), 0);
	assert_int_equal(port_of(t, a, 3, 2 * S), 2);
	assert_int_equal(vsw_mac_count(t), 1);
	assert_int_equal(vsw_mac_port_count(t, 1), 0);
	assert_int_equal(vsw_mac_port_count(t, 2), 1);
	vsw_mac_get_stats(t, &st);
	assert_int_equal(st.moved, 1);
	assert_int_equal(st.learned, 1);
	/* The entry now belongs to port 2: flushing port 1 leaves it. */
	assert_int_equal(vsw_mac_flush_port(t, 1), 0);
	assert_int_equal(port_of(t, a, 3, 2 * S), 2);
	vsw_mac_table_destroy(t);
}

static void
multicast_broadcast_and_zero_sources_are_not_learned(void **state)
{
	static const struct ether_addr bad[] = {
		{ { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
		{ { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } },
		{ { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 } },
		{ { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x00 } },
		{ { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 } },
	};
	struct vsw_mac_table *t = make_table(0, 0, 0);
	struct vsw_mac_stats st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(vsw_mac_is_learnable(&bad[i]));
		assert_int_equal(vsw_mac_learn(t, &bad[i], 0, 1, 0), -EINVAL);
		assert_int_equal(port_of(t, bad[i], 0, 0), -1);
	}
	assert_int_equal(vsw_mac_count(t), 0);
	vsw_mac_get_stats(t, &st);
	assert_int_equal(st.refused, 5);
	{
		struct ether_addr ok = { { 0x02, 0, 0, 0, 0, 1 } };

		assert_true(vsw_mac_is_learnable(&ok));
	}
	vsw_mac_table_destroy(t);
}

static void
bad_vlan_or_port_is_refused(void **state)
{
	struct vsw_mac_table *t = make_table(0, 0, 4);
	struct ether_addr a = mac_of(1);

	(void)state;
	assert_int_equal(vsw_mac_learn(t, &a, VSW_MAC_VLAN_MAX + 1, 1, 0), -EINVAL);
	assert_int_equal(vsw_mac_learn(t, &a, 0, 4, 0), -EINVAL);
	assert_int_equal(vsw_mac_learn(t, &a, VSW_MAC_VLAN_MAX, 3, 0), 0);
	assert_int_equal(vsw_mac_count(t), 1);
	assert_int_equal(vsw_mac_flush_port(t, 4), 0);
	assert_int_equal(vsw_mac_port_count(t, 4), 0);
	vsw_mac_table_destroy(t);
}

static void
flush_port_removes_only_that_port(void **state)
{
	struct vsw_mac_table *t = make_table(64, 0, 8);
	struct vsw_mac_stats st;

	(void)state;
	for (uint32_t i = 0; i < 30; i++) {
		struct ether_addr m = mac_of(i);

		assert_int_equal(vsw_mac_learn(t, &m, 0, (uint16_t)(i % 3), 0), 0);
	}
	assert_int_equal(vsw_mac_flush_port(t, 1), 10);
	assert_int_equal(vsw_mac_count(t), 20);
	for (uint32_t i = 0; i < 30; i++)
		assert_int_equal(port_of(t, mac_of(i), 0, 0), i % 3 == 1 ? -1 : (int)(i % 3));
	assert_int_equal(vsw_mac_flush_port(t, 1), 0);

	/* Freed entries are reusable: the table fills to its cap again. */
	for (uint32_t i = 100; i < 144; i++) {
		struct ether_addr m = mac_of(i);

		assert_int_equal(vsw_mac_learn(t, &m, 0, 5, 0), 0);
	}
	assert_int_equal(vsw_mac_count(t), 64);
	vsw_mac_get_stats(t, &st);
	assert_int_equal(st.evicted, 0);

	assert_int_equal(vsw_mac_flush_all(t), 64);
	assert_int_equal(vsw_mac_count(t), 0);
	assert_int_equal(port_of(t, mac_of(0), 0, 0), -1);
	assert_int_equal(vsw_mac_port_count(t, 5), 0);
	for (uint32_t i = 0; i < 64; i++) {
		struct ether_addr m = mac_of(i);

		assert_int_equal(vsw_mac_learn(t, &m, 0, 2, 0), 0);
	}
	assert_int_equal(vsw_mac_count(t), 64);
	vsw_mac_get_stats(t, &st);
	assert_int_equal(st.evicted, 0);
	assert_int_equal(st.flushed, 74);
	vsw_mac_table_destroy(t);
}

struct dump_acc {
	unsigned int n;
	unsigned int stop_after;
	struct vsw_mac_info seen[8];
};

static int
dump_collect(void *arg, const struct vsw_mac_info *info)
{
	struct dump_acc *acc = arg;

	if (acc->n < 8)
		acc->seen[acc->n] = *info;
	acc->n++;
	return acc->stop_after && acc->n >= acc->stop_after ? 42 : 0;
}

static void
dump_lists_live_entries_and_can_stop(void **state)
{
	struct vsw_mac_table *t = make_table(0, 0, 0);
	struct ether_addr a = { { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } }, b = mac_of(2),
			  c = mac_of(3);
	struct dump_acc acc = { 0 };

	(void)state;
	assert_int_equal(vsw_mac_learn(t, &a, 4094, 7, 100 * S), 0);
	assert_int_equal(vsw_mac_learn(t, &b, 1, 8, 300 * S), 0);
	assert_int_equal(vsw_mac_learn(t, &c, 1, 9, 350 * S), 0);
	/* At 400 s, a (learned at 100 s) has expired and is not shown. */
	assert_int_equal(vsw_mac_dump(t, 400 * S, dump_collect, &acc), 0);
	assert_int_equal(acc.n, 2);
	for (unsigned int i = 0; i < 2; i++) {
		const struct vsw_mac_info *in = &acc.seen[i];

		if (in->port == 8) {
			assert_memory_equal(in->mac.ether_addr_octet, b.ether_addr_octet, 6);
			assert_int_equal(in->vlan, 1);
			assert_int_equal(in->age_ns, 100 * S);
		} else {
			assert_int_equal(in->port, 9);
			assert_memory_equal(in->mac.ether_addr_octet, c.ether_addr_octet, 6);
			assert_int_equal(in->age_ns, 50 * S);
		}
	}

	memset(&acc, 0, sizeof(acc));
	assert_int_equal(vsw_mac_dump(t, 200 * S, dump_collect, &acc), 0);
	assert_int_equal(acc.n, 3);
	for (unsigned int i = 0; i < 3; i++)
		if (acc.seen[i].port == 7) {
			assert_memory_equal(acc.seen[i].mac.ether_addr_octet, a.ether_addr_octet,
					    6);
			assert_int_equal(acc.seen[i].vlan, 4094);
		}

	memset(&acc, 0, sizeof(acc));
	acc.stop_after = 1;
	assert_int_equal(vsw_mac_dump(t, 350 * S, dump_collect, &acc), 42);
	assert_int_equal(acc.n, 1);
	vsw_mac_table_destroy(t);
}

/* ---- random operations against a reference model ------------------------------------- */

#define M_PORTS	  6
#define M_MAX	  48
#define M_AGING_S 30
#define M_MACS	  120
#define M_VLANS	  3
#define M_OPS	  100000

struct model_entry {
	bool used;
	uint32_t mac_idx;
	uint16_t vlan;
	uint16_t port;
	uint64_t last_seen;
};

struct model {
	struct model_entry e[M_MAX];
	unsigned int n;
	uint64_t clock;
};

static const uint16_t m_vlans[M_VLANS] = { 0, 7, 4095 };
static struct ether_addr m_macs[M_MACS];
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t
m_now(const struct model *m, uint64_t now)
{
	return now > m->clock ? now : m->clock;
}

static int
m_find(const struct model *m, uint32_t mac_idx, uint16_t vlan)
{
	for (int i = 0; i < M_MAX; i++)
		if (m->e[i].used && m->e[i].mac_idx == mac_idx && m->e[i].vlan == vlan)
			return i;
	return -1;
}

static unsigned int
m_port_count(const struct model *m, uint16_t port)
{
	unsigned int n = 0;

	for (int i = 0; i < M_MAX; i++)
		n += m->e[i].used && m->e[i].port == port;
	return n;
}

static int
m_expected_port(const struct model *m, uint32_t mac_idx, uint16_t vlan, uint64_t now)
{
	int i = m_find(m, mac_idx, vlan);

	if (i < 0 || m_now(m, now) - m->e[i].last_seen >= M_AGING_S * S)
		return -1;
	return m->e[i].port;
}

static void
m_check_counts(const struct vsw_mac_table *t, const struct model *m)
{
	assert_int_equal(vsw_mac_count(t), m->n);
	for (uint16_t p = 0; p < M_PORTS; p++)
		assert_int_equal(vsw_mac_port_count(t, p), m_port_count(m, p));
}

static void
m_check_key(const struct vsw_mac_table *t, const struct model *m, uint32_t mac_idx, uint16_t vlan,
	    uint64_t now)
{
	assert_int_equal(port_of(t, m_macs[mac_idx], vlan, now),
			 m_expected_port(m, mac_idx, vlan, now));
}

static unsigned int m_age(struct model *m, uint64_t now);

static void
m_learn(struct vsw_mac_table *t, struct model *m, uint32_t mac_idx, uint16_t vlan, uint16_t port,
	uint64_t now)
{
	int i, rc;

	if (!vsw_mac_is_learnable(&m_macs[mac_idx])) {
		assert_int_equal(vsw_mac_learn(t, &m_macs[mac_idx], vlan, port, now), -EINVAL);
		return;
	}
	m->clock = m_now(m, now);
	i = m_find(m, mac_idx, vlan);
	if (i < 0 && m->n == M_MAX) {
		unsigned int counts[M_PORTS], max = 0;
		int victim = -1, oldest = -1, gone = -1;

		for (uint16_t p = 0; p < M_PORTS; p++) {
			counts[p] = m_port_count(m, p);
			if (counts[p] > max)
				max = counts[p];
		}
		rc = vsw_mac_learn(t, &m_macs[mac_idx], vlan, port, now);
		assert_int_equal(rc, 0);
		/* Exactly one of the biggest owners must have lost one entry. */
		for (uint16_t p = 0; p < M_PORTS; p++) {
			unsigned int after = vsw_mac_port_count(t, p);
			unsigned int gained = p == port;

			if (counts[p] == max && after == counts[p] - 1 + gained) {
				assert_int_equal(victim, -1);
				victim = p;
			} else {
				assert_int_equal(after, counts[p] + gained);
			}
		}
		assert_int_not_equal(victim, -1);
		/* Which entry went: a live one no longer found, or else an expired one. The
		 * contract: its last learn is less than VSW_MAC_REFRESH_NS after the oldest
		 * last learn of the victim port (least recently learned to within that). */
		for (int j = 0; j < M_MAX; j++)
			if (m->e[j].used && m->e[j].port == victim &&
			    (oldest < 0 || m->e[j].last_seen < m->e[oldest].last_seen))
				oldest = j;
		assert_int_not_equal(oldest, -1);
		for (int j = 0; j < M_MAX; j++) {
			if (!m->e[j].used || m->e[j].port != victim ||
			    m_expected_port(m, m->e[j].mac_idx, m->e[j].vlan, now) < 0)
				continue;
			if (port_of(t, m_macs[m->e[j].mac_idx], m->e[j].vlan, now) < 0) {
				assert_int_equal(gone, -1);
				gone = j;
			}
		}
		if (gone >= 0) {
			assert_true(m->e[gone].last_seen <
				    m->e[oldest].last_seen + VSW_MAC_REFRESH_NS);
			m->e[gone].used = false;
			m->n--;
		} else {
			/* An expired entry of that port went (the oldest one is expired, so
			 * any expired one is within the contract). Which one is invisible
			 * until they are freed: free them all now, on both sides. */
			unsigned int expired = 0;

			for (int j = 0; j < M_MAX; j++)
				expired += m->e[j].used && m->e[j].port == victim &&
					   m->clock - m->e[j].last_seen >= M_AGING_S * S;
			assert_true(expired > 0);
			assert_int_equal(vsw_mac_age(t, now), m_age(m, now) - 1);
		}
	} else {
		assert_int_equal(vsw_mac_learn(t, &m_macs[mac_idx], vlan, port, now), 0);
	}
	if (i < 0) {
		for (i = 0; m->e[i].used; i++)
			;
		m->e[i].used = true;
		m->e[i].mac_idx = mac_idx;
		m->e[i].vlan = vlan;
		m->n++;
	}
	m->e[i].port = port;
	m->e[i].last_seen = m->clock;
}

static unsigned int
m_age(struct model *m, uint64_t now)
{
	unsigned int n = 0;

	m->clock = m_now(m, now);
	for (int i = 0; i < M_MAX; i++)
		if (m->e[i].used && m->clock - m->e[i].last_seen >= M_AGING_S * S) {
			m->e[i].used = false;
			m->n--;
			n++;
		}
	return n;
}

static unsigned int
m_flush_port(struct model *m, uint16_t port)
{
	unsigned int n = 0;

	for (int i = 0; i < M_MAX; i++)
		if (m->e[i].used && m->e[i].port == port) {
			m->e[i].used = false;
			m->n--;
			n++;
		}
	return n;
}

struct m_dump_ctx {
	const struct model *m;
	uint64_t now;
	unsigned int n;
};

static int
m_dump_check(void *arg, const struct vsw_mac_info *info)
{
	struct m_dump_ctx *ctx = arg;
	int found = -1;

	for (uint32_t k = 0; k < M_MACS && found < 0; k++)
		if (!memcmp(&m_macs[k], &info->mac, sizeof(info->mac)))
			found = m_find(ctx->m, k, info->vlan);
	assert_int_not_equal(found, -1);
	assert_int_equal(info->port, ctx->m->e[found].port);
	assert_int_equal(info->age_ns, m_now(ctx->m, ctx->now) - ctx->m->e[found].last_seen);
	assert_true(info->age_ns < M_AGING_S * S);
	ctx->n++;
	return 0;
}

static void
m_check_all(const struct vsw_mac_table *t, const struct model *m, uint64_t now)
{
	struct m_dump_ctx ctx = { .m = m, .now = now };
	unsigned int live = 0;

	for (uint32_t k = 0; k < M_MACS; k++)
		for (int v = 0; v < M_VLANS; v++) {
			m_check_key(t, m, k, m_vlans[v], now);
			live += m_expected_port(m, k, m_vlans[v], now) >= 0;
		}
	assert_int_equal(vsw_mac_dump(t, now, m_dump_check, &ctx), 0);
	assert_int_equal(ctx.n, live);
	m_check_counts(t, m);
}

static void
random_ops_match_reference_model(void **state)
{
	static struct model m;
	struct vsw_mac_table *t = make_table(M_MAX, M_AGING_S, M_PORTS);
	uint64_t now = 1000 * S;
	struct vsw_mac_stats st;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (uint32_t k = 0; k < M_MACS; k++) {
		uint64_t r = rng();

		memcpy(m_macs[k].ether_addr_octet, &r, 6);
		m_macs[k].ether_addr_octet[0] &= 0xfe;
		/* Every 16th source is multicast, every 61st all zeros: never learned. */
		if (k % 16 == 15)
			m_macs[k].ether_addr_octet[0] |= 1;
		if (k % 61 == 60)
			memset(m_macs[k].ether_addr_octet, 0, 6);
	}
	for (uint32_t k = 0; k < M_MACS; k++)
		for (uint32_t j = 0; j < k; j++)
			if (!memcmp(&m_macs[k], &m_macs[j], 6) && vsw_mac_is_learnable(&m_macs[k]))
				fail_msg("duplicate random MAC %u/%u", j, k);

	for (unsigned int op = 0; op < M_OPS; op++) {
		unsigned int r = (unsigned int)(rng() % 1000);
		uint32_t k = (uint32_t)(rng() % M_MACS);
		uint16_t vlan = m_vlans[rng() % M_VLANS];
		uint16_t port = (uint16_t)(rng() % M_PORTS);

		/* Mostly small steps; sometimes a long idle; rarely a clock that steps back. */
		if (r < 10)
			now += rng() % (60 * S);
		else if (r < 15)
			now -= rng() % (10 * S);
		else
			now += rng() % (S / 5);

		if (r < 550) {
			m_learn(t, &m, k, vlan, port, now);
			m_check_key(t, &m, k, vlan, now);
		} else if (r < 800) {
			m_check_key(t, &m, k, vlan, now);
		} else if (r < 880) {
			assert_int_equal(vsw_mac_age(t, now), m_age(&m, now));
		} else if (r < 890) {
			assert_int_equal(vsw_mac_flush_port(t, port), m_flush_port(&m, port));
		} else if (r < 891) {
			assert_int_equal(vsw_mac_flush_all(t), m.n);
			memset(m.e, 0, sizeof(m.e));
			m.n = 0;
		} else if (r < 940) {
			struct ether_addr mac = m_macs[k];

			/* Refused learns change nothing, not even the table's clock. */
			assert_int_equal(vsw_mac_learn(t, &mac, 4096 + vlan, port, now + 1000 * S),
					 -EINVAL);
			assert_int_equal(
				vsw_mac_learn(t, &mac, vlan, M_PORTS + port, now + 1000 * S),
				-EINVAL);
		} else {
			for (int j = 0; j < 4; j++)
				m_check_key(t, &m, (uint32_t)(rng() % M_MACS),
					    m_vlans[rng() % M_VLANS], now);
		}
		m_check_counts(t, &m);
		if (op % 2000 == 1999)
			m_check_all(t, &m, now);
	}
	m_check_all(t, &m, now);
	vsw_mac_get_stats(t, &st);
	/* The run did exercise what it is meant to check. */
	assert_true(st.evicted > 1000);
	assert_true(st.moved > 1000);
	assert_true(st.aged > 1000);
	assert_true(st.refused > 1000);
	vsw_mac_table_destroy(t);
}

/* Two threads share one table as the workers of a spread bridge do: each learns its own
 * MACs on its own port and looks up the other's, both fight over a third set (moves), the
 * table is too small for everything (evictions) and one thread also ages it. A lookup may
 * miss, but must never return a port the MAC was not learned on, and the table must be
 * consistent afterwards. (The instant between finding an entry and reading its port, when a
 * recycle would be caught by vsw_mac_read(), is too short for this test to hit on demand.) */
#define SH_N	 400
#define SH_ITERS 4000

struct sh_arg {
	struct vsw_mac_table *t;
	unsigned int self;  /* 0 or 1 */
	unsigned int wrong; /* lookups that returned an impossible port */
	unsigned int hits;
};

static struct ether_addr
sh_mac(unsigned int set, unsigned int i)
{
	struct ether_addr m = { { 0x02, 0, (uint8_t)set, 0, (uint8_t)(i >> 8), (uint8_t)i } };

	return m;
}

static void *
sh_worker(void *p)
{
	struct sh_arg *a = p;
	unsigned int mine = a->self, other = !a->self;
	struct vsw_mac_req r[VSW_MAC_BURST_MAX];
	uint64_t now = S;

	for (unsigned int it = 0; it < SH_ITERS; it++, now += 1000000) {
		for (unsigned int k = 0; k < VSW_MAC_BURST_MAX; k++) {
			unsigned int i = (it * VSW_MAC_BURST_MAX + k) % SH_N;
			struct ether_addr src = sh_mac(mine, i), dst = sh_mac(other, i);

			if (k % 8 == 0) /* the disputed set: ports 3 and 4 */
				src = sh_mac(2, i % 64);
			r[k].src_key = vsw_mac_key_of(src.ether_addr_octet, 0);
			r[k].dst_key = vsw_mac_key_of(k % 5 ? dst.ether_addr_octet
							    : sh_mac(2, i % 64).ether_addr_octet,
						      0);
			r[k].in_port = (uint16_t)(k % 8 == 0 ? 3 + mine : 1 + mine);
		}
		vsw_mac_learn_lookup_burst(a->t, r, VSW_MAC_BURST_MAX, now);
		for (unsigned int k = 0; k < VSW_MAC_BURST_MAX; k++) {
			uint16_t o = r[k].out_port;

			if (o == VSW_MAC_PORT_NONE)
				continue;
			a->hits++;
			if (k % 5 ? o != 1 + other : o != 3 && o != 4)
				a->wrong++;
		}
		if (mine == 0 && it % 64 == 0)
			vsw_mac_age(a->t, now);
	}
	return NULL;
}

static void
shared_table_survives_two_writers(void **state)
{
	struct vsw_mac_table *t = make_table(512, 1, 8);
	struct sh_arg a[2] = { { .t = t, .self = 0 }, { .t = t, .self = 1 } };
	pthread_t th[2];
	struct vsw_mac_stats st;

	(void)state;
	vsw_mac_table_set_shared(t, true);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, sh_worker, &a[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	vsw_mac_get_stats(t, &st);
	print_message("# shared table: hits %u + %u, evicted %llu, moved %llu, aged %llu\n",
		      a[0].hits, a[1].hits, (unsigned long long)st.evicted,
		      (unsigned long long)st.moved, (unsigned long long)st.aged);
	assert_int_equal(a[0].wrong + a[1].wrong, 0);
	assert_true(a[0].hits > 0 && a[1].hits > 0);
	assert_true(st.evicted > 0 && st.moved > 0);
	assert_true(vsw_mac_count(t) <= 512);
	vsw_mac_table_set_shared(t, false);
	/* Still a consistent table afterwards: every port's list adds up to the count. */
	{
		unsigned int sum = 0;

		for (uint16_t p = 0; p < 8; p++)
			sum += vsw_mac_port_count(t, p);
		assert_int_equal(sum, vsw_mac_count(t));
	}
	vsw_mac_table_destroy(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_rejects_bad_config),
		cmocka_unit_test(learned_mac_is_found_on_its_port_and_vlan_only),
		cmocka_unit_test(entry_ages_out_at_the_aging_boundary),
		cmocka_unit_test(relearning_refreshes_the_age),
		cmocka_unit_test(aging_time_can_be_changed),
		cmocka_unit_test(time_going_backwards_does_not_extend_lives),
		cmocka_unit_test(size_cap_is_never_exceeded),
		cmocka_unit_test(flooding_port_cannot_evict_other_ports_mac),
		cmocka_unit_test(eviction_takes_oldest_entry_of_biggest_port),
		cmocka_unit_test(eviction_order_is_learn_order_to_within_the_refresh_time),
		cmocka_unit_test(honest_macs_never_hit_the_chain_bound),
		cmocka_unit_test(burst_is_learn_then_lookup_per_frame),
		cmocka_unit_test(burst_keys_checked_like_learn),
		cmocka_unit_test(shared_table_survives_two_writers),
		cmocka_unit_test(mac_seen_on_another_port_moves),
		cmocka_unit_test(multicast_broadcast_and_zero_sources_are_not_learned),
		cmocka_unit_test(bad_vlan_or_port_is_refused),
		cmocka_unit_test(flush_port_removes_only_that_port),
		cmocka_unit_test(dump_lists_live_entries_and_can_stop),
		cmocka_unit_test(random_ops_match_reference_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
