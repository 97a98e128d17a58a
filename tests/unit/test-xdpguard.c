/* SPDX-License-Identifier: MIT */
/*
 * test-xdpguard.c - unit tests of the uplink guard (vswitch/xdpguard.c and the checks of
 * vswitch/bpf/xdp-guard.h): the guard program and the af_xdp port's program are loaded (not
 * attached to any interface) and run on crafted frames with BPF_PROG_TEST_RUN, so the
 * verdicts, the per-reason counters and xdpg_sync()'s map updates are checked without a
 * network; xdpg_set_from_net() is checked on a switch without threads and dummy ports.
 * Needs root (CAP_BPF) and the programs built next to this binary (build/bpf/, `make
 * unit-build`).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "vswitch/port-afxdp.h"
#include "vswitch/port-dummy.h"
#include "vswitch/switch.h"
#include "vswitch/xdpguard.h"

static const uint8_t guest_mac[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01 };
static const uint8_t other_mac[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x99 };
static const uint8_t dst_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

/* Builds an Ethernet frame from 'src' with 'tags' VLAN tags, then ethertype 'type' and, for
 * IPv4, a 20-byte header from 'ip_src', for ARP a request from sender 'ip_src'. */
static size_t
frame(uint8_t *f, const uint8_t *src, unsigned int tags, uint16_t type, const char *ip_src)
{
	size_t n = 0;
	struct in_addr a = { 0 };

	memset(f, 0, 128);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src, 6);
	n = 12;
	for (unsigned int i = 0; i < tags; i++) {
		f[n++] = i == 0 && tags == 2 ? 0x88 : 0x81;
		f[n++] = i == 0 && tags == 2 ? 0xa8 : 0x00;
		f[n++] = 0;
		f[n++] = (uint8_t)(10 + i);
	}
	f[n++] = (uint8_t)(type >> 8);
	f[n++] = (uint8_t)type;
	if (ip_src)
		assert_int_equal(inet_pton(AF_INET, ip_src, &a), 1);
	if (type == ETH_P_IP) {
		f[n] = 0x45;
		f[n + 3] = 20;
		f[n + 8] = 64;
		f[n + 9] = 17;
		memcpy(f + n + 12, &a, 4);
		memcpy(f + n + 16, "\x0a\x00\x00\x01", 4);
		n += 20;
	} else if (type == ETH_P_ARP) {
		f[n + 1] = 1; /* Ethernet */
		f[n + 2] = 0x08;
		f[n + 4] = 6;
		f[n + 5] = 4;
		f[n + 7] = 1; /* request */
		memcpy(f + n + 8, src, 6);
		memcpy(f + n + 14, &a, 4);
		n += 28;
	} else {
		n += 40; /* some payload */
	}
	return n < 60 ? 60 : n;
}

static int
run(int prog_fd, const uint8_t *f, size_t len)
{
	uint8_t out[256];
	struct bpf_test_run_opts o;

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.data_in = f;
	o.data_size_in = (uint32_t)len;
	o.data_out = out;
	o.data_size_out = sizeof(out);
	o.repeat = 1;
	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &o), 0);
	return (int)o.retval;
}

static void
set_ip4(struct xdpg_set *set, const char *addr, unsigned int prefix)
{
	struct nb_guard_ip4 *k = &set->ip4[set->n_ip4++];

	memset(k, 0, sizeof(*k));
	k->prefixlen = prefix;
	assert_int_equal(inet_pton(AF_INET, addr, k->addr), 1);
}

static void
guard_program_drops_by_reason(void **state)
{
	struct xdpg_set *set = calloc(1, sizeof(*set));
	uint64_t drops[NB_GUARD_REASONS];
	uint8_t f[128];
	struct xdpg *g;
	int fd;

	(void)state;
	assert_non_null(set);
	assert_int_equal(xdpg_open(NULL, &g), 0);
	fd = xdpg_prog_fd(g);
	assert_true(fd >= 0);
	memcpy(set->macs[set->n_macs++].addr, guest_mac, 6);
	set_ip4(set, "10.0.0.5", 32);
	set_ip4(set, "10.9.0.0", 16);
	assert_int_equal(xdpg_sync(g, set), 0);

	/* Allowed: another MAC, another source address, IPv6, a truncated IPv4 header. */
	assert_int_equal(run(fd, f, frame(f, other_mac, 0, ETH_P_IP, "10.0.0.6")), XDP_PASS);
	assert_int_equal(run(fd, f, frame(f, other_mac, 1, ETH_P_IP, "10.8.255.255")), XDP_PASS);
	assert_int_equal(run(fd, f, frame(f, other_mac, 0, ETH_P_IPV6, NULL)), XDP_PASS);
	frame(f, other_mac, 0, ETH_P_IP, "10.0.0.5");
	assert_int_equal(run(fd, f, 14 + 10), XDP_PASS);
	assert_int_equal(run(fd, f, frame(f, other_mac, 0, ETH_P_ARP, "10.0.0.6")), XDP_PASS);

	/* Bad source MACs: multicast, broadcast, zero. */
	assert_int_equal(
		run(fd, f,
		    frame(f, (const uint8_t *)"\x01\x00\x5e\x00\x00\x01", 0, ETH_P_IP, "1.2.3.4")),
		XDP_DROP);
	assert_int_equal(
		run(fd, f,
		    frame(f, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", 0, ETH_P_IP, "1.2.3.4")),
		XDP_DROP);
	assert_int_equal(
		run(fd, f, frame(f, (const uint8_t *)"\0\0\0\0\0\0", 0, ETH_P_IP, "1.2.3.4")),
		XDP_DROP);
	/* A guest's MAC from the wire. */
	assert_int_equal(run(fd, f, frame(f, guest_mac, 0, ETH_P_IPV6, NULL)), XDP_DROP);
	/* A guest's address: untagged, 802.1Q, 802.1ad + 802.1Q (prefix entry), ARP. */
	assert_int_equal(run(fd, f, frame(f, other_mac, 0, ETH_P_IP, "10.0.0.5")), XDP_DROP);
	assert_int_equal(run(fd, f, frame(f, other_mac, 1, ETH_P_IP, "10.0.0.5")), XDP_DROP);
	assert_int_equal(run(fd, f, frame(f, other_mac, 2, ETH_P_IP, "10.9.3.4")), XDP_DROP);
	assert_int_equal(run(fd, f, frame(f, other_mac, 0, ETH_P_ARP, "10.0.0.5")), XDP_DROP);

	assert_int_equal(xdpg_read(g, drops), 0);
	assert_int_equal(drops[NB_GUARD_RUNT], 0);
	assert_int_equal(drops[NB_GUARD_BAD_SRC_MAC], 3);
	assert_int_equal(drops[NB_GUARD_SPOOFED_MAC], 1);
	assert_int_equal(drops[NB_GUARD_SPOOFED_IP], 4);
	{
		struct vsw_counters c;

		memset(&c, 0, sizeof(c));
		xdpg_add_counters(g, &c);
		assert_int_equal(c.c[VSW_CTR_XDP_DROP_BAD_SRC_MAC], 3);
		assert_int_equal(c.c[VSW_CTR_XDP_DROP_SPOOFED_MAC], 1);
		assert_int_equal(c.c[VSW_CTR_XDP_DROP_SPOOFED_IP], 4);
		assert_int_equal(c.c[VSW_CTR_XDP_DROP_RUNT], 0);
	}
	xdpg_close(g);
	free(set);
}

static void
sync_replaces_the_maps(void **state)
{
	struct xdpg_set *set = calloc(1, sizeof(*set));
	uint8_t f[128];
	struct xdpg *g;
	int fd;

	(void)state;
	assert_non_null(set);
	assert_int_equal(xdpg_open(NULL, &g), 0);
	fd = xdpg_prog_fd(g);
	memcpy(set->macs[set->n_macs++].addr, guest_mac, 6);
	set_ip4(set, "10.0.0.5", 32);
	assert_int_equal(xdpg_sync(g, set), 0);
	assert_int_equal(xdpg_sync(g, set), 0); /* idempotent */
	assert_int_equal(run(fd, f, frame(f, guest_mac, 0, ETH_P_IPV6, NULL)), XDP_DROP);
	assert_int_equal(run(fd, f, frame(f, other_mac, 0, ETH_P_IP, "10.0.0.5")), XDP_DROP);

	/* The guest left, another came: the old keys are gone, the new ones there. */
	memset(set, 0, sizeof(*set));
	memcpy(set->macs[set->n_macs++].addr, other_mac, 6);
	set_ip4(set, "10.0.0.6", 32);
	assert_int_equal(xdpg_sync(g, set), 0);
	assert_int_equal(run(fd, f, frame(f, guest_mac, 0, ETH_P_IP, "10.0.0.5")), XDP_PASS);
	assert_int_equal(run(fd, f, frame(f, other_mac, 0, ETH_P_IPV6, NULL)), XDP_DROP);
	assert_int_equal(run(fd, f, frame(f, guest_mac, 0, ETH_P_IP, "10.0.0.6")), XDP_DROP);

	/* Empty: everything from a unicast source passes. */
	memset(set, 0, sizeof(*set));
	assert_int_equal(xdpg_sync(g, set), 0);
	assert_int_equal(run(fd, f, frame(f, other_mac, 0, ETH_P_IP, "10.0.0.6")), XDP_PASS);
	set->n_macs = NB_GUARD_MACS_MAX + 1;
	assert_int_equal(xdpg_sync(g, set), -E2BIG);
	xdpg_close(g);
	free(set);
}

/* The af_xdp port's program carries the same guard, off until borrowed. */
static void
redirect_program_guard_on_and_off(void **state)
{
	char path[PATH_MAX];
	struct xdpg_set *set = calloc(1, sizeof(*set));
	struct bpf_object *obj;
	struct bpf_program *prog;
	uint8_t f[128];
	struct xdpg *g;
	int fd;

	(void)state;
	assert_non_null(set);
	assert_int_equal(port_afxdp_bpf_file(PORT_AFXDP_PROG_FILE, path, sizeof(path)), 0);
	obj = bpf_object__open_file(path, NULL);
	assert_int_equal(libbpf_get_error(obj), 0);
	assert_int_equal(bpf_object__load(obj), 0);
	prog = bpf_object__find_program_by_name(obj, PORT_AFXDP_PROG_NAME);
	assert_non_null(prog);
	fd = bpf_program__fd(prog);
	/* Guard off: a multicast source goes on (no socket in the map: XDP_PASS). */
	assert_int_equal(
		run(fd, f, frame(f, (const uint8_t *)"\x01\0\0\0\0\x01", 0, ETH_P_IP, "1.2.3.4")),
		XDP_PASS);
	assert_int_equal(xdpg_borrow(obj, &g), 0);
	assert_int_equal(xdpg_prog_fd(g), -1);
	memcpy(set->macs[set->n_macs++].addr, guest_mac, 6);
	assert_int_equal(xdpg_sync(g, set), 0);
	assert_int_equal(
		run(fd, f, frame(f, (const uint8_t *)"\x01\0\0\0\0\x01", 0, ETH_P_IP, "1.2.3.4")),
		XDP_DROP);
	assert_int_equal(run(fd, f, frame(f, guest_mac, 0, ETH_P_IP, "1.2.3.4")), XDP_DROP);
	assert_int_equal(run(fd, f, frame(f, other_mac, 0, ETH_P_IP, "1.2.3.4")), XDP_PASS);
	xdpg_close(g); /* off again, the program stays */
	assert_int_equal(run(fd, f, frame(f, guest_mac, 0, ETH_P_IP, "1.2.3.4")), XDP_PASS);
	bpf_object__close(obj);
	free(set);
}

static void
set_from_net_takes_vifs_only(void **state)
{
	struct vsw_switch *sw;
	struct vsw_net *net;
	struct port *vif1, *vif2, *up;
	struct vsw_port_cfg c1 = { .role = VSW_PORT_VIF, .n_ips = 3 };
	struct vsw_port_cfg c2 = { .role = VSW_PORT_VIF, .n_ips = 1 };
	struct vsw_port_cfg cu = { .role = VSW_PORT_UPLINK, .n_ips = 1 };
	struct xdpg_set *set = calloc(1, sizeof(*set));

	(void)state;
	assert_non_null(set);
	c1.ips[0] = (struct vsw_ip){ .family = AF_INET, .prefix = 32 };
	inet_pton(AF_INET, "10.0.0.5", c1.ips[0].addr);
	c1.ips[1] = (struct vsw_ip){ .family = AF_INET6, .prefix = 128 };
	inet_pton(AF_INET6, "fd00::5", c1.ips[1].addr);
	c1.ips[2] = (struct vsw_ip){ .family = AF_INET, .prefix = 24 };
	inet_pton(AF_INET, "10.7.7.7", c1.ips[2].addr); /* a prefix: host bits cleared */
	c2.ips[0] = c1.ips[0];				/* the same address twice: one key */
	cu.ips[0] = (struct vsw_ip){ .family = AF_INET, .prefix = 24 };
	inet_pton(AF_INET, "192.0.2.1", cu.ips[0].addr);
	assert_int_equal(port_dummy_register(), 0);
	assert_int_equal(vsw_switch_create(0, &sw), 0);
	assert_int_equal(vsw_net_create(sw, "g", "bridge", NULL, &net), 0);
	assert_int_equal(port_open("dummy", "xg-v1", "mac=00:16:3e:00:00:01", &vif1), 0);
	assert_int_equal(port_open("dummy", "xg-v2", "mac=00:16:3e:00:00:02", &vif2), 0);
	assert_int_equal(port_open("dummy", "xg-up", "mac=02:00:00:00:00:99", &up), 0);
	assert_int_equal(vsw_net_add_port(net, up, &cu), 0);
	assert_int_equal(vsw_net_add_port(net, vif1, &c1), 0);
	assert_int_equal(vsw_net_add_port(net, vif2, &c2), 0);

	assert_int_equal(xdpg_set_from_net(sw, net, set), 0);
	assert_int_equal(set->n_macs, 2);
	assert_memory_equal(set->macs[0].addr, "\x00\x16\x3e\x00\x00\x01", 6);
	assert_memory_equal(set->macs[1].addr, "\x00\x16\x3e\x00\x00\x02", 6);
	assert_int_equal(set->n_ip4, 2);
	assert_int_equal(set->ip4[0].prefixlen, 32);
	assert_memory_equal(set->ip4[0].addr, "\x0a\x00\x00\x05", 4);
	assert_int_equal(set->ip4[1].prefixlen, 24);
	assert_memory_equal(set->ip4[1].addr, "\x0a\x07\x07\x00", 4);

	/* A vif leaves: its MAC goes, the address vif2 shares stays. */
	assert_int_equal(vsw_net_del_port(sw, vif1), 0);
	assert_int_equal(xdpg_set_from_net(sw, net, set), 0);
	assert_int_equal(set->n_macs, 1);
	assert_memory_equal(set->macs[0].addr, "\x00\x16\x3e\x00\x00\x02", 6);
	assert_int_equal(set->n_ip4, 1);
	assert_memory_equal(set->ip4[0].addr, "\x0a\x00\x00\x05", 4);

	vsw_net_del_port(sw, vif2);
	vsw_net_del_port(sw, up);
	port_close(vif1);
	port_close(vif2);
	port_close(up);
	vsw_net_destroy(net);
	vsw_switch_destroy(sw);
	free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guard_program_drops_by_reason),
		cmocka_unit_test(sync_replaces_the_maps),
		cmocka_unit_test(redirect_program_guard_on_and_off),
		cmocka_unit_test(set_from_net_takes_vifs_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
