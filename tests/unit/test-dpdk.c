/* SPDX-License-Identifier: MIT */
/*
 * test-dpdk.c - unit tests of dpdk/: mbuf-backed packet pools (the struct pkt in the mbuf's
 * private area, buffers shared, alloc/free/double free, everything back in the mempool) and
 * the "dpdk" port class on net_ring (a loopback: what is sent comes back, the same mbuf) and
 * net_pcap (files in, files out). EAL runs once for the whole group with --no-huge --no-pci
 * and a file prefix of its own, whose runtime directory must be gone at the end.
 */
#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dpdk/dpdk.h"
#include "dpdk/port-ethdev.h"

#define TEST_MBUFS 2048

static struct pkt_pool *pool;
static char runtime_dir[PATH_MAX];
static char tmpdir[] = "/tmp/nb-test-dpdk.XXXXXX";

static int
group_setup(void **state)
{
	char args[512];

	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(args, sizeof(args),
		 "-l 0 --no-huge --no-pci -m 128 --no-telemetry --log-level=lib.eal:error "
		 "--file-prefix=nb-unit-dpdk-%ld --vdev=net_ring0",
		 (long)getpid());
	if (dpdk_eal_init(args))
		return -1;
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	if (dpdk_pool_create(0, TEST_MBUFS, 0, &pool) || dpdk_port_register())
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[64 + sizeof(tmpdir)];

	(void)state;
	dpdk_pool_destroy(pool);
	dpdk_eal_fini();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return -1;
	/* The EAL runtime directory of our prefix is removed. */
	return access(runtime_dir, F_OK) == 0 ? -1 : 0;
}

static unsigned int
mempool_avail(void)
{
	return rte_mempool_avail_count(dpdk_pool_mempool(pool));
}

static struct pkt *
frame(struct pkt_pool *from, uint8_t fill, uint32_t len)
{
	struct pkt *p = pkt_alloc(from);
	uint8_t *d;

	assert_non_null(p);
	d = pkt_put(p, len);
	assert_non_null(d);
	memset(d, fill, len);
	/* A unicast destination and a source, so nothing looks odd. */
	memcpy(d, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	return p;
}

static void
pool_packet_lives_in_its_mbuf(void **state)
{
	struct pkt *p;
	struct rte_mbuf *m;

	(void)state;
	assert_true(dpdk_pool_is_mbuf(pool));
	p = pkt_alloc(pool);
	assert_non_null(p);
	m = dpdk_pkt_mbuf(p);
	assert_ptr_equal(rte_mbuf_to_priv(m), p);
	assert_ptr_equal(dpdk_mbuf_pkt(m), p);
	assert_ptr_equal(p->buf, m->buf_addr);
	assert_int_equal(p->buf_size, m->buf_len);
	assert_int_equal(p->buf_size, DPDK_DATA_ROOM_DEFAULT + PKT_HEADROOM_BYTES);
	assert_int_equal(pkt_headroom(p), RTE_PKTMBUF_HEADROOM);
	assert_ptr_equal(p->pool, pool);
	assert_ptr_equal(m->pool, dpdk_pool_mempool(pool));
	pkt_free(p);
}

static void
pool_alloc_free_double_free_and_exhaustion(void **state)
{
	static struct pkt *all[TEST_MBUFS + 1];
	unsigned int before = mempool_avail(), n = 0;
	struct pkt_pool_stats st0, st;
	struct pkt *p;

	(void)state;
	pkt_pool_get_stats(pool, &st0);
	p = pkt_alloc(pool);
	pkt_free(p);
	assert_ptr_equal(pkt_alloc(pool), p); /* LIFO */
	pkt_free(p);
	pkt_free(p);
	pkt_pool_get_stats(pool, &st);
	assert_int_equal(st.double_free, st0.double_free + 1);
	/* Every mbuf can be had, then the pool says no and counts it. */
	while ((p = pkt_alloc(pool)) && n < TEST_MBUFS)
		all[n++] = p;
	assert_null(p);
	assert_int_equal(n, TEST_MBUFS);
	assert_int_equal(mempool_avail(), 0);
	pkt_pool_get_stats(pool, &st);
	assert_true(st.alloc_fail > st0.alloc_fail);
	pkt_free_bulk(all, n);
	/* The free stack keeps at most DPDK_POOL_CACHE_PKTS, the rest went back. */
	pkt_pool_get_stats(pool, &st);
	assert_true(st.n_free <= DPDK_POOL_CACHE_PKTS);
	assert_int_equal(mempool_avail() + st.n_free, before + st0.n_free);
}

static void
pool_refuses_frames_beyond_its_data_room(void **state)
{
	struct pkt_pool *big = NULL;
	struct pkt *src, *c;

	(void)state;
	assert_int_equal(pkt_pool_create(2, 0, &big), 0);
	src = frame(big, 0x11, DPDK_DATA_ROOM_DEFAULT + PKT_HEADROOM_BYTES + 1);
	assert_null(pkt_copy(pool, src));
	assert_int_equal(pkt_trim(src, 1500), 0);
	c = pkt_copy(pool, src);
	assert_non_null(c);
	assert_memory_equal(pkt_data(c), pkt_data(src), 1500);
	pkt_free(c);
	pkt_free(src);
	pkt_pool_destroy(big);
}

static void
ring_port_sends_and_receives_the_same_mbufs(void **state)
{
	struct pkt_batch b = { .count = 0 };
	struct pkt *sent[3];
	struct port *port = NULL;
	struct port_stats st;
	unsigned int i, got = 0;

	(void)state;
	/* net_ring0 was made by EAL (--vdev): the port takes the existing device. */
	assert_int_equal(port_open("dpdk", "ring0", "net_ring0", &port), 0);
	assert_true(dpdk_port_id(port) >= 0);
	for (i = 0; i < 3; i++) {
		sent[i] = frame(pool, (uint8_t)(0x30 + i), 60 + i);
		pkt_batch_add(&b, sent[i]);
	}
	assert_int_equal(port_tx_burst(port, 0, &b), 3);
	assert_int_equal(b.count, 0);
	for (int tries = 0; tries < 100 && got < 3; tries++)
		got += port_rx_burst(port, 0, pool, &b);
	assert_int_equal(got, 3);
	for (i = 0; i < 3; i++) {
		/* No copy: the very packets sent come back, in order, bytes intact. */
		assert_ptr_equal(b.pkts[i], sent[i]);
		assert_int_equal(b.pkts[i]->len, 60 + i);
		assert_int_equal(pkt_data(b.pkts[i])[20], 0x30 + i);
		assert_int_equal(b.pkts[i]->in_port, port->index);
		assert_int_equal(b.pkts[i]->in_pool, 0);
	}
	pkt_batch_free(&b);
	assert_int_equal(port_get_stats(port, &st), 0);
	assert_int_equal(st.tx_packets, 3);
	assert_int_equal(st.rx_packets, 3);
	assert_int_equal(st.rx_bytes, 60 + 61 + 62);
	assert_int_equal(st.ctrs.c[VSW_CTR_TX_COPIED], 0);
	port_close(port);
}

static void
ring_port_copies_packets_of_other_pools_once(void **state)
{
	struct pkt_pool *native = NULL;
	struct pkt_batch b = { .count = 0 };
	struct port *port = NULL, *again = NULL;
	struct port_stats st;
	unsigned int got = 0;

	(void)state;
	assert_int_equal(pkt_pool_create(4, 0, &native), 0);
	assert_int_equal(port_open("dpdk", "ring0", "net_ring0", &port), 0);
	/* One device, one port. */
	assert_int_equal(port_open("dpdk", "ring0b", "net_ring0", &again), -EBUSY);
	pkt_batch_add(&b, frame(native, 0x77, 100));
	assert_int_equal(port_tx_burst(port, 0, &b), 1);
	for (int tries = 0; tries < 100 && !got; tries++)
		got = port_rx_burst(port, 0, pool, &b);
	assert_int_equal(got, 1);
	assert_ptr_equal(b.pkts[0]->pool, pool);
	assert_int_equal(b.pkts[0]->len, 100);
	assert_int_equal(pkt_data(b.pkts[0])[50], 0x77);
	pkt_batch_free(&b);
	port_get_stats(port, &st);
	assert_int_equal(st.ctrs.c[VSW_CTR_TX_COPIED], 1);
	/* The native packet was freed after the copy. */
	{
		struct pkt_pool_stats ps;

		pkt_pool_get_stats(native, &ps);
		assert_int_equal(ps.n_free, 4);
	}
	/* Too big for the MTU: dropped and counted, never sent. */
	pkt_batch_add(&b, frame(pool, 0x1, 1500 + 14 + 1));
	assert_int_equal(port_tx_burst(port, 0, &b), 0);
	port_get_stats(port, &st);
	assert_int_equal(st.ctrs.c[VSW_CTR_TX_TOO_BIG], 1);
	port_close(port);
	pkt_pool_destroy(native);
}

static void
write_pcap(const char *path, unsigned int n)
{
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(pd, path);
	uint8_t buf[64];

	assert_non_null(d);
	for (unsigned int i = 0; i < n; i++) {
		struct pcap_pkthdr h = { .caplen = sizeof(buf), .len = sizeof(buf) };

		memset(buf, (int)(0x40 + i), sizeof(buf));
		memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
		h.ts.tv_sec = (long)i;
		pcap_dump((u_char *)d, &h, buf);
	}
	pcap_dump_close(d);
	pcap_close(pd);
}

static unsigned int
count_pcap(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = pcap_open_offline(path, err);
	unsigned int n = 0;

	assert_non_null(p);
	while (pcap_next_ex(p, &h, &data) == 1)
		n++;
	pcap_close(p);
	return n;
}

static void
pcap_port_reads_and_writes_files(void **state)
{
	char in[sizeof(tmpdir) + 16], out[sizeof(tmpdir) + 16], args[256];
	struct pkt_batch b = { .count = 0 };
	struct port *port = NULL;
	unsigned int got = 0;

	(void)state;
	snprintf(in, sizeof(in), "%s/in.pcap", tmpdir);
	snprintf(out, sizeof(out), "%s/out.pcap", tmpdir);
	write_pcap(in, 5);
	snprintf(args, sizeof(args), "net_pcap7,rx_pcap=%s,tx_pcap=%s", in, out);
	/* Not made by EAL: the port probes it, and removes it when closed. */
	assert_int_equal(port_open("dpdk", "pcap7", args, &port), 0);
	for (int tries = 0; tries < 1000 && got < 5; tries++) {
		got += port_rx_burst(port, 0, pool, &b);
		if (b.count) {
			assert_int_equal(b.pkts[0]->len, 64);
			/* Send them back out, through the tx file. */
			port_tx_burst(port, 0, &b);
		}
	}
	assert_int_equal(got, 5);
	port_close(port);
	assert_int_equal(count_pcap(out), 5);
	/* Removed: the name can be probed again. */
	assert_int_equal(port_open("dpdk", "pcap7", args, &port), 0);
	port_close(port);
	assert_int_equal(port_open("dpdk", "nodev", "net_nosuchpmd0", &port), -ENODEV);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pool_packet_lives_in_its_mbuf),
		cmocka_unit_test(pool_alloc_free_double_free_and_exhaustion),
		cmocka_unit_test(pool_refuses_frames_beyond_its_data_room),
		cmocka_unit_test(ring_port_sends_and_receives_the_same_mbufs),
		cmocka_unit_test(ring_port_copies_packets_of_other_pools_once),
		cmocka_unit_test(pcap_port_reads_and_writes_files),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
