/* SPDX-License-Identifier: MIT */
/*
 * test-port-afxdp.c - unit tests of the "af_xdp" port class (vswitch/port-afxdp.c) on a veth
 * pair: the port (XDP program + AF_XDP socket, copy mode as veth allows) is bound to one end,
 * a plain AF_PACKET socket on the other end plays the outside world. Each test runs in a forked child inside a network namespace of its
 * own (unshare), so the veth pair disappears with the child, also when a check fails; the
 * child reports a failed check through a pipe and is killed if it outlives CHILD_TIMEOUT_MS.
 * Needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF), `ip`, `ethtool` and the XDP program
 * built next to this binary (build/bpf/xdp-redirect.bpf.o, `make unit-build`); the host
 * namespace is never touched.
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
#include "vswitch/port-afxdp.h"
#include "vswitch/port.h"

#define IF_PORT		 "nbx0"
#define IF_PEER		 "nbx1"
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
open_port_args(const char *args)
{
	struct port *port = NULL;

	CHECK_EQ(port_afxdp_register(), 0);
	CHECK_EQ(port_open("af_xdp", "up0", args, &port), 0);
	return port;
}

static struct port *
open_port(void)
{
	return open_port_args("ifname=" IF_PORT);
}

/* Receives until 'want' frames are in 'batch' (or the batch is full) or WAIT_MS pass. */
static unsigned int
port_receive(struct port *port, struct pkt_pool *pool, struct pkt_batch *batch, unsigned int want)
{
	uint64_t end = tnet_now_ms() + WAIT_MS;

	while (batch->count < want && tnet_now_ms() < end) {
		struct pollfd p = { .fd = port->cls->wait_fd(port), .events = POLLIN };

		if (port_rx_burst(port, 0, pool, batch) == 0 && !port->cls->arm(port))
			poll(&p, 1, 10);
	}
	return batch->count;
}

/* Reads frames of TEST_ETHERTYPE from the peer socket, skipping anything else. */
static ssize_t
peer_receive_wait(int fd, uint8_t *buf, size_t size, unsigned int wait_ms)
{
	uint64_t end = tnet_now_ms() + wait_ms;

	do {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, wait_ms ? 10 : 0) <= 0)
			continue;
		n = recv(fd, buf, size, MSG_DONTWAIT);
		if (n >= 14 && buf[12] == (TEST_ETHERTYPE >> 8) &&
		    buf[13] == (TEST_ETHERTYPE & 0xff))
			return n;
	} while (tnet_now_ms() < end);
	return -1;
}

static ssize_t
peer_receive(int fd, uint8_t *buf, size_t size)
{
	return peer_receive_wait(fd, buf, size, WAIT_MS);
}

static uint64_t
ctr(struct port *port, enum vsw_counter c)
{
	struct port_stats st;

	CHECK_EQ(port_get_stats(port, &st), 0);
	return st.ctrs.c[c];
}

static uint32_t
frame_seq(const uint8_t *d)
{
	return (uint32_t)d[14] << 24 | (uint32_t)d[15] << 16 | (uint32_t)d[16] << 8 | d[17];
}

/* Whether `ip link show IF_PORT` lists an XDP program. */
static bool
xdp_attached(void)
{
	return system("ip -d link show " IF_PORT " | grep -q 'prog/xdp'") == 0;
}

/* ---- bodies ------------------------------------------------------------------------------ */

/* 'kind' is how `ip link` shows the attachment: "xdp" (driver mode) or "xdpgeneric". */
static void
check_both_ways(const char *args, const char *kind)
{
	char cmd[128];

	struct port *port = open_port_args(args);
	struct pkt_batch b = { 0 };
	struct pkt_pool *pool;
	uint8_t buf[2048], got[2048];
	int peer = peer_socket();
	size_t len;
	struct pkt *p;
	ssize_t n;

	CHECK(xdp_attached());
	snprintf(cmd, sizeof(cmd), "ip link show " IF_PORT " | grep -q ' %s qdisc '", kind);
	CHECK(system(cmd) == 0);
	CHECK(strcmp(port_afxdp_mode(port),
		     strcmp(kind, "xdp") ? "generic mode, copy" : "driver mode, copy") == 0);
	CHECK_EQ(pkt_pool_create(64, 2048, &pool), 0);
	/* Outside -> port, bytes unchanged, a small and a full-size frame. */
	len = make_frame(buf, 100, 1);
	CHECK_EQ(send(peer, buf, len, 0), len);
	CHECK_EQ(port_receive(port, pool, &b, 1), 1);
	CHECK_EQ(b.pkts[0]->len, len);
	CHECK(memcmp(pkt_data(b.pkts[0]), buf, len) == 0);
	CHECK_EQ(b.pkts[0]->in_port, port->index);
	pkt_batch_free(&b);
	len = make_frame(buf, 1514, 2);
	CHECK_EQ(send(peer, buf, len, 0), len);
	CHECK_EQ(port_receive(port, pool, &b, 1), 1);
	CHECK_EQ(b.pkts[0]->len, len);
	CHECK(memcmp(pkt_data(b.pkts[0]), buf, len) == 0);
	pkt_batch_free(&b);
	CHECK_EQ(port->stats.rx_packets, 2);
	CHECK_EQ(port->stats.rx_bytes, 100 + 1514);
	/* Port -> outside. */
	p = pkt_alloc(pool);
	CHECK(p != NULL);
	len = make_frame(buf, 200, 3);
	CHECK(pkt_put(p, (uint32_t)len) != NULL);
	memcpy(pkt_data(p), buf, len);
	b.pkts[b.count++] = p;
	CHECK_EQ(port_tx_burst(port, 0, &b), 1);
	CHECK_EQ(b.count, 0);
	n = peer_receive(peer, got, sizeof(got));
	CHECK_EQ(n, len);
	CHECK(memcmp(got, buf, len) == 0);
	CHECK_EQ(port->stats.tx_packets, 1);
	CHECK_EQ(port->stats.tx_bytes, 200);
	/* What the port sent does not come back to it. */
	usleep(50 * 1000);
	CHECK_EQ(port_rx_burst(port, 0, pool, &b), 0);
	close(peer);
	port_close(port);
	/* Closing the port detaches its program: the interface is as it was. */
	CHECK(!xdp_attached());
	pkt_pool_destroy(pool);
}

static void
body_frames_pass_both_ways(void)
{
	check_both_ways("ifname=" IF_PORT, "xdp");
}

static void
body_frames_pass_both_ways_generic(void)
{
	check_both_ways("ifname=" IF_PORT ",xdp_mode=generic,bind=copy", "xdpgeneric");
}

static void
body_vlan_tagged_frame_is_unchanged(void)
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
		if (i % 64 == 63) /* the veth's own queue holds a few hundred */
			usleep(1000);
	}
	end = tnet_now_ms() + WAIT_MS;
	while (got < BURST_FRAMES && tnet_now_ms() < end) {
		b.count = 0;
		if (port_receive(port, pool, &b, 1) == 0)
			continue;
		for (unsigned int i = 0; i < b.count; i++) {
			uint32_t seq = frame_seq(pkt_data(b.pkts[i]));

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
	CHECK_EQ(ctr(port, VSW_CTR_RX_FILL_EMPTY), 0);
	CHECK_EQ(ctr(port, VSW_CTR_RX_QUEUE_FULL), 0);
	close(peer);
	port_close(port);
	pkt_pool_destroy(pool);
}

/* More frames than the UMEM holds go out in bursts: TX frames are reclaimed and reused. */
static void
body_tx_bursts_reuse_umem_frames(void)
{
	const uint32_t total = 3 * PORT_AFXDP_FRAMES;
	struct port *port = open_port();
	struct pkt_batch b = { 0 };
	struct pkt_pool *pool;
	uint8_t buf[2048];
	uint32_t seq = 0, expect = 0;
	int peer = peer_socket();
	uint64_t end;

	CHECK_EQ(pkt_pool_create(64, 2048, &pool), 0);
	end = tnet_now_ms() + 2 * WAIT_MS;
	while (expect < total && tnet_now_ms() < end) {
		ssize_t n;

		while (seq < total && seq - expect < PKT_BATCH_MAX * 4 && !pkt_batch_is_full(&b)) {
			struct pkt *p = pkt_alloc(pool);
			size_t len = make_frame(buf, 60 + seq % 100, seq);

			CHECK(p != NULL);
			CHECK(pkt_put(p, (uint32_t)len) != NULL);
			memcpy(pkt_data(p), buf, len);
			b.pkts[b.count++] = p;
			seq++;
		}
		if (b.count) {
			unsigned int k = b.count;

			CHECK_EQ(port_tx_burst(port, 0, &b), k);
		}
		port->cls->poll(port);
		while ((n = peer_receive_wait(peer, buf, sizeof(buf), 0)) > 0) {
			CHECK_EQ(frame_seq(buf), expect);
			CHECK_EQ(n, 60 + expect % 100);
			expect++;
		}
		if (seq - expect >= PKT_BATCH_MAX * 4)
			usleep(100);
	}
	CHECK_EQ(expect, total);
	CHECK_EQ(port->stats.tx_packets, total);
	CHECK_EQ(ctr(port, VSW_CTR_TX_QUEUE_FULL), 0);
	close(peer);
	port_close(port);
	pkt_pool_destroy(pool);
}

/* With no rx_burst to give frames back, the fill ring runs dry: those drops are counted. */
static void
body_fill_ring_starvation_is_counted(void)
{
	const unsigned int sent = PORT_AFXDP_FRAMES / 2 + 100;
	struct port *port = open_port();
	struct pkt_batch b = { 0 };
	struct pkt_pool *pool;
	uint8_t buf[128];
	unsigned int got = 0;
	int peer = peer_socket();

	CHECK_EQ(pkt_pool_create(256, 2048, &pool), 0);
	for (uint32_t i = 0; i < sent; i++) {
		CHECK_EQ(send(peer, buf, make_frame(buf, 64, i), 0), 64);
		if (i % 64 == 63)
			usleep(1000);
	}
	usleep(50 * 1000);
	CHECK_EQ(ctr(port, VSW_CTR_RX_FILL_EMPTY), sent - PORT_AFXDP_FRAMES / 2);
	while (port_receive(port, pool, &b, 1) > 0) {
		got += b.count;
		pkt_batch_free(&b);
	}
	CHECK_EQ(got, PORT_AFXDP_FRAMES / 2);
	/* Frames given back: reception goes on. */
	CHECK_EQ(send(peer, buf, make_frame(buf, 64, sent), 0), 64);
	CHECK_EQ(port_receive(port, pool, &b, 1), 1);
	CHECK_EQ(frame_seq(pkt_data(b.pkts[0])), sent);
	pkt_batch_free(&b);
	close(peer);
	port_close(port);
	pkt_pool_destroy(pool);
}

/* While the interface is down frames wait on the TX ring; once it is full they are dropped as
 * tx_port_down; after the link comes back the next burst's kick sends what waited. */
static void
body_tx_while_down_is_counted_and_resumes(void)
{
	struct port *port = open_port();
	struct pkt_batch b = { 0 };
	struct pkt_pool *pool;
	uint8_t buf[2048];
	unsigned int queued = 0, got = 0;
	int peer = peer_socket();
	ssize_t n;

	CHECK_EQ(pkt_pool_create(64, 2048, &pool), 0);
	CHECK(system("ip link set " IF_PORT " down") == 0);
	for (uint32_t seq = 0; seq < PORT_AFXDP_RING + 2 * PKT_BATCH_MAX; seq++) {
		struct pkt *p = pkt_alloc(pool);
		size_t len = make_frame(buf, 80, seq);

		CHECK(p != NULL);
		CHECK(pkt_put(p, (uint32_t)len) != NULL);
		memcpy(pkt_data(p), buf, len);
		b.pkts[b.count++] = p;
		if (pkt_batch_is_full(&b))
			queued += port_tx_burst(port, 0, &b);
	}
	queued += port_tx_burst(port, 0, &b);
	CHECK_EQ(queued, PORT_AFXDP_RING);
	CHECK_EQ(ctr(port, VSW_CTR_TX_PORT_DOWN), 2 * PKT_BATCH_MAX);
	CHECK_EQ(ctr(port, VSW_CTR_TX_QUEUE_FULL), 0);
	CHECK(system("ip link set " IF_PORT " up") == 0);
	usleep(200 * 1000);
	/* One more frame: its burst kicks the ring. */
	{
		struct pkt *p = pkt_alloc(pool);

		CHECK(p != NULL);
		CHECK(pkt_put(p, 80) != NULL);
		make_frame(pkt_data(p), 80, 99999);
		b.pkts[b.count++] = p;
	}
	for (uint64_t end = tnet_now_ms() + WAIT_MS;
	     tnet_now_ms() < end && got < PORT_AFXDP_RING;) {
		if (b.count) {
			unsigned int sent = port_tx_burst(port, 0, &b);

			CHECK(sent <= 1);
		}
		port->cls->poll(port);
		while ((n = peer_receive_wait(peer, buf, sizeof(buf), 0)) > 0) {
			CHECK_EQ(frame_seq(buf), got);
			got++;
		}
		usleep(1000);
	}
	CHECK_EQ(got, PORT_AFXDP_RING);
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

/* Where XDP cannot be used the port refuses to open, so the caller can fall back. */
static void
body_unusable_interface_is_refused(void)
{
	struct port *port = NULL, *other = NULL;

	/* A frame of this MTU cannot fit a UMEM frame. */
	CHECK(system("ip link set " IF_PORT " mtu 9000") == 0);
	CHECK_EQ(port_afxdp_register(), 0);
	CHECK_EQ(port_open("af_xdp", "up0", "ifname=" IF_PORT, &port), -EMSGSIZE);
	CHECK(!xdp_attached());
	CHECK(system("ip link set " IF_PORT " mtu 1500") == 0);
	/* Another XDP program is there already (here: the first port's): not replaced. */
	port = open_port();
	CHECK_EQ(port_open("af_xdp", "up1", "ifname=" IF_PORT, &other), -EBUSY);
	CHECK(port_lookup("up1") == NULL);
	CHECK(xdp_attached());
	port_close(port);
	CHECK(!xdp_attached());
	/* veth has no zero-copy. */
	CHECK(port_open("af_xdp", "up0", "ifname=" IF_PORT ",bind=zerocopy", &port) < 0);
	CHECK(!xdp_attached());
	/* No program file. */
	CHECK_EQ(port_open("af_xdp", "up0", "ifname=" IF_PORT ",prog=/nonexistent/x.o", &port),
		 -ENOENT);
	CHECK(port_lookup("up0") == NULL);
	/* Two RX queues: only with an explicit queue_id=. */
	CHECK(system("ethtool -L " IF_PORT " rx 2 >/dev/null") == 0);
	CHECK_EQ(port_open("af_xdp", "up0", "ifname=" IF_PORT, &port), -EOPNOTSUPP);
	CHECK(!xdp_attached());
	port = open_port_args("ifname=" IF_PORT ",queue_id=1");
	port_close(port);
}

static void
body_bad_args_are_refused(void)
{
	struct port *port = NULL;

	CHECK_EQ(port_afxdp_register(), 0);
	CHECK_EQ(port_open("af_xdp", "up0", NULL, &port), -EINVAL);
	CHECK_EQ(port_open("af_xdp", "up0", "ifname=", &port), -EINVAL);
	CHECK_EQ(port_open("af_xdp", "up0", "ifname=nosuchif0", &port), -ENODEV);
	CHECK_EQ(port_open("af_xdp", "up0", "ifname=" IF_PORT ",queue_id=64", &port), -EINVAL);
	CHECK_EQ(port_open("af_xdp", "up0", "ifname=" IF_PORT ",queue_id=x", &port), -EINVAL);
	CHECK_EQ(port_open("af_xdp", "up0", "ifname=" IF_PORT ",xdp_mode=fast", &port), -EINVAL);
	CHECK_EQ(port_open("af_xdp", "up0", "ifname=" IF_PORT ",bind=maybe", &port), -EINVAL);
	CHECK_EQ(port_open("af_xdp", "up0", "ifname=" IF_PORT ",prog=", &port), -EINVAL);
	CHECK_EQ(port_open("af_xdp", "up0", "ifname=" IF_PORT ",color=red", &port), -EINVAL);
	/* queue 1 does not exist on a single-queue veth. */
	CHECK(port_open("af_xdp", "up0", "ifname=" IF_PORT ",queue_id=1", &port) < 0);
	CHECK(port_lookup("up0") == NULL);
	CHECK(!xdp_attached());
}

/* ---- parent side -------------------------------------------------------------------------- */

#define NETNS_TEST(name)                                                                           \
	static void name(void **state)                                                             \
	{                                                                                          \
		(void)state;                                                                       \
		run_in_netns(body_##name);                                                         \
	}

NETNS_TEST(frames_pass_both_ways)
NETNS_TEST(frames_pass_both_ways_generic)
NETNS_TEST(vlan_tagged_frame_is_unchanged)
NETNS_TEST(burst_of_1000_frames_is_counted_exactly)
NETNS_TEST(tx_bursts_reuse_umem_frames)
NETNS_TEST(fill_ring_starvation_is_counted)
NETNS_TEST(tx_while_down_is_counted_and_resumes)
NETNS_TEST(oversized_tx_is_dropped_and_counted)
NETNS_TEST(unusable_interface_is_refused)
NETNS_TEST(bad_args_are_refused)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frames_pass_both_ways),
		cmocka_unit_test(frames_pass_both_ways_generic),
		cmocka_unit_test(vlan_tagged_frame_is_unchanged),
		cmocka_unit_test(burst_of_1000_frames_is_counted_exactly),
		cmocka_unit_test(tx_bursts_reuse_umem_frames),
		cmocka_unit_test(fill_ring_starvation_is_counted),
		cmocka_unit_test(tx_while_down_is_counted_and_resumes),
		cmocka_unit_test(oversized_tx_is_dropped_and_counted),
		cmocka_unit_test(unusable_interface_is_refused),
		cmocka_unit_test(bad_args_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
