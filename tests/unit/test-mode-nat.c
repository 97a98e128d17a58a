/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the fast-path NAT mode's glue (vswitch/mode-nat.c) on dummy ports: argument
 * checking, port roles, the uplink port's own MAC as the NAT's source, the neighbour
 * resolution round trip and `nat-show`. The forwarding behaviour itself is covered frame by
 * frame by the golden cases in tests/pcap/nat.
 */
#include "vswitch/mode-nat.h"
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
#define ARGS	 "subnet=10.0.0.0/24,uplink_address=192.0.2.2/24,uplink_gateway=192.0.2.1"

enum { VIF, HOST, UPLINK, N_PORTS };

struct fixture {
	struct vsw_switch *sw;
	struct vsw_net *net;
	struct pkt_pool *pool;
	struct port *ports[N_PORTS];
};

static const uint8_t MAC_A[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x0a };
static const uint8_t MAC_H[6] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MAC_UP[6] = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x02 };
static const uint8_t MAC_GW[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

static int
setup(void **state)
{
	static const char *const args[N_PORTS] = { NULL, NULL, "mac=02:00:00:00:01:02" };
	static const enum vsw_port_role roles[N_PORTS] = { VSW_PORT_VIF, VSW_PORT_HOST,
							   VSW_PORT_UPLINK };
	struct fixture *f = calloc(1, sizeof(*f));
	char name[16];

	assert_non_null(f);
	assert_int_equal(port_dummy_register(), 0);
	assert_int_equal(vsw_mode_nat_register(), 0);
	assert_int_equal(vsw_switch_create(0, &f->sw), 0);
	assert_int_equal(vsw_net_create(f->sw, "n0", "nat", ARGS, &f->net), 0);
	assert_int_equal(pkt_pool_create(64, 2048, &f->pool), 0);
	for (int i = 0; i < N_PORTS; i++) {
		struct vsw_port_cfg cfg = { .role = roles[i] };

		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(port_open("dummy", name, args[i], &f->ports[i]), 0);
		assert_int_equal(vsw_net_add_port(f->net, f->ports[i], &cfg), 0);
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < N_PORTS; i++) {
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
inject(struct fixture *f, int port, const uint8_t *frame, uint32_t len)
{
	struct pkt *p = pkt_alloc(f->pool);

	assert_non_null(p);
	memcpy(pkt_put(p, len), frame, len);
	assert_int_equal(port_dummy_inject(f->ports[port], p), 0);
}

static struct pkt *
take(struct fixture *f, int port)
{
	struct pkt *p = NULL;

	return port_dummy_capture(f->ports[port], &p, 1) == 1 ? p : NULL;
}

static uint32_t
udp_frame(uint8_t *b, const uint8_t *dst, const uint8_t *src)
{
	static const uint8_t ip[28] = {
		0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 10,   0,
		0,    10,   198,  51,	100,  7,    0x13, 0x88, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00,
	};
	uint32_t sum = 0;

	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	b[12] = 0x08;
	b[13] = 0x00;
	memcpy(b + 14, ip, sizeof(ip));
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(b[14 + i] << 8 | b[15 + i]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	b[24] = (uint8_t)(~sum >> 8);
	b[25] = (uint8_t)~sum;
	return 14 + sizeof(ip);
}

/* dom0 says something on the host port, so the switch knows the gateway's MAC. */
static void
host_speaks(struct fixture *f)
{
	uint8_t b[64] = { 0 };

	memset(b, 0xff, 6);
	memcpy(b + 6, MAC_H, 6);
	b[12] = 0x88;
	b[13] = 0xb5;
	inject(f, HOST, b, 60);
	vsw_switch_run_once(f->sw, NS_PER_S);
	pkt_free(take(f, VIF));
	assert_null(take(f, UPLINK)); /* inside broadcasts never reach the uplink */
}

static void
outbound_resolves_the_gateway_then_leaves_from_the_uplink_mac(void **state)
{
	struct fixture *f = *state;
	uint8_t b[64], arp[60] = { 0 };
	struct pkt *p;
	uint32_t n;

	host_speaks(f);
	n = udp_frame(b, MAC_H, MAC_A);
	inject(f, VIF, b, n);
	vsw_switch_run_once(f->sw, 2 * NS_PER_S);
	p = take(f, UPLINK);
	assert_non_null(p); /* the ARP request for 192.0.2.1 */
	assert_memory_equal(pkt_data(p) + 6, MAC_UP, 6);
	assert_int_equal(pkt_data(p)[21], 1);
	assert_int_equal(pkt_data(p)[41], 1);
	pkt_free(p);
	assert_null(take(f, UPLINK));

	memcpy(arp, MAC_UP, 6);
	memcpy(arp + 6, MAC_GW, 6);
	arp[12] = 0x08;
	arp[13] = 0x06;
	arp[15] = 1;
	arp[16] = 0x08;
	arp[18] = 6;
	arp[19] = 4;
	arp[21] = 2;
	memcpy(arp + 22, MAC_GW, 6);
	memcpy(arp + 28, (uint8_t[]){ 192, 0, 2, 1 }, 4);
	memcpy(arp + 32, MAC_UP, 6);
	memcpy(arp + 38, (uint8_t[]){ 192, 0, 2, 2 }, 4);
	inject(f, UPLINK, arp, sizeof(arp));
	vsw_switch_run_once(f->sw, 2 * NS_PER_S);
	p = take(f, UPLINK);
	assert_non_null(p); /* the held packet, translated */
	assert_memory_equal(pkt_data(p), MAC_GW, 6);
	assert_memory_equal(pkt_data(p) + 6, MAC_UP, 6);
	assert_memory_equal(pkt_data(p) + 26, ((uint8_t[]){ 192, 0, 2, 2 }), 4);
	assert_int_equal(pkt_data(p)[22], 63);
	pkt_free(p);
}

static void
nat_show_lists_sessions_as_text_and_json(void **state)
{
	struct fixture *f = *state;
	char *argv_text[] = { "nat-show" }, *argv_json[] = { "nat-show", "--json" },
	     *argv_bad[] = { "nat-show", "-x" }, *argv_unknown[] = { "route-add" };
	char *buf = NULL;
	size_t size = 0;
	uint8_t b[64];
	uint32_t n;
	FILE *out;

	host_speaks(f);
	n = udp_frame(b, MAC_H, MAC_A);
	inject(f, VIF, b, n);
	vsw_switch_run_once(f->sw, 2 * NS_PER_S);

	out = open_memstream(&buf, &size);
	assert_int_equal(vsw_net_ctl(f->net, 1, argv_text, out), 0);
	fclose(out);
	assert_non_null(strstr(buf, "udp  10.0.0.10:5000 -> :5000 -> 198.51.100.7:53 udp"));
	free(buf);

	out = open_memstream(&buf, &size);
	assert_int_equal(vsw_net_ctl(f->net, 2, argv_json, out), 0);
	fclose(out);
	assert_non_null(strstr(buf, "[{\"proto\":\"udp\",\"inside\":\"10.0.0.10:5000\","
				    "\"external_port\":5000,\"remote\":\"198.51.100.7:53\""));
	free(buf);

	out = open_memstream(&buf, &size);
	assert_int_equal(vsw_net_ctl(f->net, 2, argv_bad, out), -EINVAL);
	assert_int_equal(vsw_net_ctl(f->net, 1, argv_unknown, out), -EOPNOTSUPP);
	fclose(out);
	free(buf);
	pkt_free(take(f, UPLINK));
}

static void
a_second_uplink_or_host_port_is_refused(void **state)
{
	struct fixture *f = *state;
	struct vsw_port_cfg up = { .role = VSW_PORT_UPLINK }, host = { .role = VSW_PORT_HOST };
	struct port *p;

	assert_int_equal(port_open("dummy", "extra", NULL, &p), 0);
	assert_int_equal(vsw_net_add_port(f->net, p, &up), -EBUSY);
	assert_int_equal(vsw_net_add_port(f->net, p, &host), -EBUSY);
	port_close(p);
}

static void
bad_arguments_are_refused(void **state)
{
	static const char *const bad[] = {
		NULL,
		"uplink_address=192.0.2.2/24",
		"subnet=10.0.0.0/24",
		"subnet=10.0.0.0/31,uplink_address=192.0.2.2/24",
		"subnet=10.0.0.0/24,uplink_address=10.0.0.5/24",
		"subnet=10.0.0.0/24,uplink_address=192.0.2.2/24,uplink_gateway=198.51.100.1",
		"subnet=10.0.0.0/24,uplink_address=192.0.2.2/24,uplink_mac=01:00:5e:00:00:01",
		"subnet=10.0.0.0/24,uplink_address=192.0.2.2/24,port_min=3000,port_max=2000",
		"subnet=10.0.0.0/24,uplink_address=192.0.2.2/24,bogus=1",
		"subnet=10.0.0.0/24,uplink_address=192.0.2.2/24,max_sessions=0",
	};
	struct vsw_switch *sw;
	struct vsw_net *net;

	(void)state;
	assert_int_equal(vsw_mode_nat_register(), 0);
	assert_int_equal(vsw_switch_create(0, &sw), 0);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vsw_net_create(sw, "bad", "nat", bad[i], &net), -EINVAL);
	assert_int_equal(vsw_net_create(sw, "good", "nat",
					ARGS ",port_min=2000,port_max=2001,max_sessions=8", &net),
			 0);
	assert_int_equal(vsw_net_destroy(net), 0);
	vsw_switch_destroy(sw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			outbound_resolves_the_gateway_then_leaves_from_the_uplink_mac, setup,
			teardown),
		cmocka_unit_test_setup_teardown(nat_show_lists_sessions_as_text_and_json, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_second_uplink_or_host_port_is_refused, setup,
						teardown),
		cmocka_unit_test(bad_arguments_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
