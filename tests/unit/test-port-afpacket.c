/* SPDX-License-Identifier: MIT */
/*
 * test-port-afpacket.c - unit tests of the "af_packet" port class (vswitch/port-afpacket.c)
 * on a veth pair: the port is bound to one end, a plain AF_PACKET socket on the other end
 * plays the outside world. Each test runs in a forked child inside a network namespace of its
 * own (unshare), so the veth pair disappears with the child, also when a check fails; the
 * child reports a failed check through a pipe and is killed if it outlives CHILD_TIMEOUT_MS.
 * Needs root (CAP_NET_ADMIN, CAP_NET_RAW) and the `ip` command; the host namespace is never
 * touched.
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
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/netns-child.h"
#include "vswitch/pkt.h"
#include "vswitch/port-afpacket.h"
#include "vswitch/port.h"

#define IF_PORT		 "nbv0"
#define IF_PEER		 "nbv1"
#define TEST_ETHERTYPE	 0x88b5 /* IEEE local experimental: nothing else sends it */
#define CHILD_TIMEOUT_MS 15000
#define WAIT_MS		 3000
#define BURST_FRAMES	 1000

/* ---- child side: checks that report through the pipe ------------------------------------ */

/* The test bodies run in a child with a network namespace of its own (netns-child.h). */
static void
run_in_netns(void (*body)(void))
{
	tnet_run_in_netns("ip link add " IF_PORT " type veth peer name " IF_PEER
			  " && ip link set " IF_PORT " up && ip link set " IF_PEER " up",
			  CHILD_TIMEOUT_MS, body);
}

/* ---- child side: fixtures --------------------------------------------------------------- */

static const uint8_t mac_dst[6] = { 0x02, 0xaa, 0, 0, 0, 1 };
static const uint8_t mac_src[6] = { 0x02, 0xaa, 0, 0, 0, 2 };

/* The outside world: a raw socket on the peer end. */
static int
peer_socket(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	CHECK(fd >= 0);
	sll.sll_ifindex = (int)if_nametoindex(IF_PEER);
	CHECK(sll.sll_ifindex > 0);
	CHECK(bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == 0);
	return fd;
}

/* A frame of 'len' bytes of TEST_ETHERTYPE whose payload starts with 'seq' (big endian). */
static size_t
make_frame(uint8_t *buf, size_t len, uint32_t seq)
{
	memcpy(buf, mac_dst, 6);
	memcpy(buf + 6, mac_src, 6);
	buf[12] = TEST_ETHERTYPE >> 8;
	buf[13] = TEST_ETHERTYPE & 0xff;
	for (size_t i = 14; i < len; i++)
		buf[i] = (uint8_t)i;
	buf[14] = (uint8_t)(seq >> 24);
	buf[15] = (uint8_t)(seq >> 16);
	buf[16] = (uint8_t)(seq >> 8);
	buf[17] = (uint8_t)seq;
	return len;
}

static struct port *
open_port(void)
{
	struct port *port = NULL;

	CHECK_EQ(port_afpacket_register(), 0);
	CHECK_EQ(port_open("af_packet", "up0", "ifname=" IF_PORT, &port), 0);
	return port;
}

/* Receives until 'want' frames are in 'batch' (or the batch is full) or WAIT_MS pass. */
static unsigned int
port_receive(struct port *port, struct pkt_pool *pool, struct pkt_batch *batch, unsigned int want)
{
	uint64_t end = tnet_now_ms() + WAIT_MS;

	while (batch->count < want && tnet_now_ms() < end) {
		struct pollfd p = { .fd = port->cls->wait_fd(port), .events = POLLIN };

		if (port_rx_burst(port, 0, pool, batch) == 0)
			poll(&p, 1, 10);
	}
	return batch->count;
}

/* Reads frames of TEST_ETHERTYPE from the peer socket, skipping anything else. */
static ssize_t
peer_receive(int fd, uint8_t *buf, size_t size)
{
	uint64_t end = tnet_now_ms() + WAIT_MS;

	while (tnet_now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10) <= 0)
			continue;
		n = recv(fd, buf, size, MSG_DONTWAIT);
		if (n >= 14 && buf[12] == (TEST_ETHERTYPE >> 8) &&
		    buf[13] == (TEST_ETHERTYPE & 0xff))
			return n;
	}
	return -1;
}

static uint64_t
ctr(struct port *port, enum vsw_counter c)
{
	struct port_stats st;

	CHECK_EQ(port_get_stats(port, &st), 0);
	return st.ctrs.c[c];
}

/* ---- bodies ------------------------------------------------------------------------------ */

static void
body_frames_pass_both_ways(void)
{
	struct port *port = open_port();
	struct pkt_batch b = { 0 };
	struct pkt_pool *pool;
	uint8_t buf[2048], got[2048];
	int peer = peer_socket();
	size_t len;
	struct pkt *p;
	ssize_t n;

	CHECK_EQ(pkt_pool_create(64, 2048, &pool), 0);
	/* Outside -> port, bytes unchanged. */
	len = make_frame(buf, 100, 1);
	CHECK_EQ(send(peer, buf, len, 0), len);
	CHECK_EQ(port_receive(port, pool, &b, 1), 1);
	CHECK_EQ(b.pkts[0]->len, len);
	CHECK(memcmp(pkt_data(b.pkts[0]), buf, len) == 0);
	CHECK_EQ(b.pkts[0]->in_port, port->index);
	CHECK_EQ(port->stats.rx_packets, 1);
	pkt_batch_free(&b);
	/* Port -> outside. */
	p = pkt_alloc(pool);
	CHECK(p != NULL);
	len = make_frame(buf, 200, 2);
	CHECK(pkt_put(p, (uint32_t)len) != NULL);
	memcpy(pkt_data(p), buf, len);
	b.pkts[b.count++] = p;
	CHECK_EQ(port_tx_burst(port, 0, &b), 1);
	CHECK_EQ(b.count, 0);
	n = peer_receive(peer, got, sizeof(got));
	CHECK_EQ(n, len);
	CHECK(memcmp(got, buf, len) == 0);
	CHECK_EQ(port->stats.tx_packets, 1);
	/* What the port sent itself is not received back (PACKET_OUTGOING). */
	usleep(50 * 1000);
	CHECK_EQ(port_rx_burst(port, 0, pool, &b), 0);
	close(peer);
	port_close(port);
	pkt_pool_destroy(pool);
}

static void
body_vlan_tag_stripped_by_kernel_is_restored(void)
{
	struct port *port = open_port();
	struct pkt_batch b = { 0 };
	struct pkt_pool *pool;
	uint8_t buf[2048];
	int peer = peer_socket();

	CHECK_EQ(pkt_pool_create(64, 2048, &pool), 0);
	/* dst, src, 802.1Q tag VID 42 PCP 5, then the inner ethertype and a payload. */
	memcpy(buf, mac_dst, 6);
	memcpy(buf + 6, mac_src, 6);
	buf[12] = 0x81;
	buf[13] = 0x00;
	buf[14] = 0xa0;
	buf[15] = 0x2a;
	buf[16] = TEST_ETHERTYPE >> 8;
	buf[17] = TEST_ETHERTYPE & 0xff;
	for (int i = 18; i < 90; i++)
		buf[i] = (uint8_t)i;
	CHECK_EQ(send(peer, buf, 90, 0), 90);
	CHECK_EQ(port_receive(port, pool, &b, 1), 1);
	CHECK_EQ(b.pkts[0]->len, 90);
	CHECK(memcmp(pkt_data(b.pkts[0]), buf, 90) == 0);
	pkt_batch_free(&b);
	close(peer);
	port_close(port);
	pkt_pool_destroy(pool);
}

static void
body_burst_of_1000_frames_is_counted_exactly(void)
{
	struct port *port = open_port();
	struct pkt_batch b = { 0 };
	struct pkt_pool *pool;
	uint8_t buf[128];
	unsigned int got = 0;
	uint32_t expect = 0;
	uint64_t end;
	int peer = peer_socket();

	CHECK_EQ(pkt_pool_create(256, 2048, &pool), 0);
	for (uint32_t i = 0; i < BURST_FRAMES; i++) {
		size_t len = make_frame(buf, 64 + i % 64, i);

		CHECK_EQ(send(peer, buf, len, 0), len);
	}
	end = tnet_now_ms() + WAIT_MS;
	while (got < BURST_FRAMES && tnet_now_ms() < end) {
		b.count = 0;
		if (port_receive(port, pool, &b, 1) == 0)
			continue;
		for (unsigned int i = 0; i < b.count; i++) {
			const uint8_t *d = pkt_data(b.pkts[i]);
			uint32_t seq = (uint32_t)d[14] << 24 | (uint32_t)d[15] << 16 |
				       (uint32_t)d[16] << 8 | d[17];

			/* In order, none lost, none twice. */
			CHECK_EQ(seq, expect);
			CHECK_EQ(b.pkts[i]->len, 64 + seq % 64);
			expect++;
		}
		got += b.count;
		pkt_batch_free(&b);
	}
	CHECK_EQ(got, BURST_FRAMES);
	usleep(50 * 1000);
	b.count = 0;
	CHECK_EQ(port_rx_burst(port, 0, pool, &b), 0);
	CHECK_EQ(port->stats.rx_packets, BURST_FRAMES);
	CHECK_EQ(ctr(port, VSW_CTR_RX_NOBUF), 0);
	close(peer);
	port_close(port);
	pkt_pool_destroy(pool);
}

static void
body_oversized_tx_is_dropped_and_counted(void)
{
	struct port *port = open_port();
	struct pkt_batch b = { 0 };
	struct pkt_pool *pool;
	struct pkt *p;

	CHECK_EQ(pkt_pool_create(8, 0, &pool), 0);
	CHECK_EQ(port->mtu, 1500);
	p = pkt_alloc(pool);
	CHECK(p != NULL);
	CHECK(pkt_put(p, 1515) != NULL);
	make_frame(pkt_data(p), 1515, 0);
	b.pkts[b.count++] = p;
	CHECK_EQ(port_tx_burst(port, 0, &b), 0);
	CHECK_EQ(ctr(port, VSW_CTR_TX_TOO_BIG), 1);
	CHECK_EQ(port->stats.tx_packets, 0);
	port_close(port);
	pkt_pool_destroy(pool);
}

static void
body_bad_args_are_refused(void)
{
	struct port *port = NULL;

	CHECK_EQ(port_afpacket_register(), 0);
	CHECK_EQ(port_open("af_packet", "up0", NULL, &port), -EINVAL);
	CHECK_EQ(port_open("af_packet", "up0", "ifname=", &port), -EINVAL);
	CHECK_EQ(port_open("af_packet", "up0", "ifname=nosuchif0", &port), -ENODEV);
	CHECK_EQ(port_open("af_packet", "up0", "ifname=" IF_PORT ",blocks=1", &port), -EINVAL);
	CHECK_EQ(port_open("af_packet", "up0", "ifname=" IF_PORT ",color=red", &port), -EINVAL);
	CHECK(port_lookup("up0") == NULL);
}

/* ---- parent side -------------------------------------------------------------------------- */

static void
frames_pass_both_ways(void **state)
{
	(void)state;
	run_in_netns(body_frames_pass_both_ways);
}

static void
vlan_tag_stripped_by_kernel_is_restored(void **state)
{
	(void)state;
	run_in_netns(body_vlan_tag_stripped_by_kernel_is_restored);
}

static void
burst_of_1000_frames_is_counted_exactly(void **state)
{
	(void)state;
	run_in_netns(body_burst_of_1000_frames_is_counted_exactly);
}

static void
oversized_tx_is_dropped_and_counted(void **state)
{
	(void)state;
	run_in_netns(body_oversized_tx_is_dropped_and_counted);
}

static void
bad_args_are_refused(void **state)
{
	(void)state;
	run_in_netns(body_bad_args_are_refused);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frames_pass_both_ways),
		cmocka_unit_test(vlan_tag_stripped_by_kernel_is_restored),
		cmocka_unit_test(burst_of_1000_frames_is_counted_exactly),
		cmocka_unit_test(oversized_tx_is_dropped_and_counted),
		cmocka_unit_test(bad_args_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
