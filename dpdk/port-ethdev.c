/* SPDX-License-Identifier: MIT */
/*
 * port-ethdev.c - the "dpdk" port class (see port-ethdev.h): an rte_ethdev with a queue
 * pair per engine worker where the device has them (RSS across the rx queues), whose mbufs
 * are the switch's packets.
 */
#include "dpdk/port-ethdev.h"

#include "dpdk/dpdk.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#define DPDK_PORT_RX_DESC    1024
#define DPDK_PORT_TX_DESC    1024
#define DPDK_DEVNAME_MAX     64
#define DPDK_PORT_QUEUES_MAX 64

struct dpdk_port {
	struct port up;
	uint16_t port_id;
	bool probed;  /* we probed the device, so we remove it */
	bool started; /* rte_eth_dev_start succeeded */
	char devname[DPDK_DEVNAME_MAX];
	struct rte_mempool *tx_mp; /* mbufs for copies of packets of other pools */
	/* Fewer tx queues than engine workers: the workers that share one take its lock. */
	bool tx_locked;
	rte_spinlock_t tx_lock[DPDK_PORT_QUEUES_MAX];
	/* Packet and byte counts per queue, each written by the one worker using that queue
	 * (or under its tx lock), on its own line: no atomic add, no line shared by workers of a
	 * spread network. get_stats sums them. */
	struct dpdk_qstats {
		_Alignas(64) uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	} qs[DPDK_PORT_QUEUES_MAX];
};

/* Ethdev ports taken by an open "dpdk" port (control thread). */
static bool dpdk_port_used[RTE_MAX_ETHPORTS];

static struct dpdk_port *
dpdk_port_cast(struct port *port)
{
	return (struct dpdk_port *)port;
}

static int
dpdk_port_find(struct dpdk_port *dp, const char *args)
{
	size_t n = strcspn(args, ",");
	uint16_t id;
	int err;

	if (n == 0 || n >= sizeof(dp->devname))
		return -EINVAL;
	memcpy(dp->devname, args, n);
	dp->devname[n] = '\0';
	if (rte_eth_dev_get_port_by_name(dp->devname, &id) != 0) {
		err = rte_dev_probe(args);
		if (err && err != -EEXIST)
			return err == -ENOMEM ? err : -ENODEV;
		if (rte_eth_dev_get_port_by_name(dp->devname, &id) != 0)
			return -ENODEV;
		dp->probed = !err;
	}
	dp->port_id = id;
	return 0;
}

/* A device we probed is closed and removed; one that was there before stays, stopped, with
 * its receive queue emptied, so it can be opened again. */
static void
dpdk_port_unprobe(struct dpdk_port *dp)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (!dp->probed) {
		struct rte_mbuf *ms[PKT_BATCH_MAX];
		uint16_t n;

		for (unsigned int q = 0; q < dp->up.n_rxq && dp->started; q++) {
			for (int i = 0; i < 1024; i++) {
				n = rte_eth_rx_burst(dp->port_id, (uint16_t)q, ms, PKT_BATCH_MAX);
				if (!n)
					break;
				rte_pktmbuf_free_bulk(ms, n);
			}
		}
		if (dp->started)
			rte_eth_dev_stop(dp->port_id);
		return;
	}
	if (rte_eth_dev_info_get(dp->port_id, &info) == 0)
		dev = info.device;
	if (dp->started)
		rte_eth_dev_stop(dp->port_id);
	/* Closing frees the mbufs still in the device's queues. */
	rte_eth_dev_close(dp->port_id);
	if (dev)
		rte_dev_remove(dev);
}

/* Queue pairs: one per engine worker where the device has that many, so any worker of a
 * spread network polls and sends on its own; RSS spreads flows over the rx queues when
 * there are several and the device hashes (a device without RSS, such as net_pcap with
 * several rx_pcap streams, fills its queues by itself). */
static int
dpdk_port_setup(struct dpdk_port *dp)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = DPDK_PORT_RX_DESC, nb_txd = DPDK_PORT_TX_DESC;
	unsigned int want = dpdk_engine_n_workers(), n_rxq, n_txq, q;
	int socket, err;

	memset(&conf, 0, sizeof(conf));
	err = rte_eth_dev_info_get(dp->port_id, &info);
	if (err)
		return err;
	if (want < 1)
		want = 1;
	if (want > DPDK_PORT_QUEUES_MAX)
		want = DPDK_PORT_QUEUES_MAX;
	n_rxq = info.max_rx_queues < want ? info.max_rx_queues : want;
	n_txq = info.max_tx_queues < want ? info.max_tx_queues : want;
	if (n_rxq < 1 || n_txq < 1)
		return -ENODEV;
	if (n_rxq > 1 && info.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;
	}
	err = rte_eth_dev_configure(dp->port_id, (uint16_t)n_rxq, (uint16_t)n_txq, &conf);
	if (err)
		return err;
	err = rte_eth_dev_adjust_nb_rx_tx_desc(dp->port_id, &nb_rxd, &nb_txd);
	if (err)
		return err;
	socket = rte_eth_dev_socket_id(dp->port_id);
	if (socket < 0)
		socket = (int)rte_socket_id();
	for (q = 0; q < n_rxq; q++) {
		err = rte_eth_rx_queue_setup(dp->port_id, (uint16_t)q, nb_rxd, (unsigned int)socket,
					     NULL, dp->tx_mp);
		if (err)
			return err;
	}
	for (q = 0; q < n_txq; q++) {
		err = rte_eth_tx_queue_setup(dp->port_id, (uint16_t)q, nb_txd, (unsigned int)socket,
					     NULL);
		if (err)
			return err;
		rte_spinlock_init(&dp->tx_lock[q]);
	}
	dp->up.n_rxq = n_rxq;
	dp->up.n_txq = n_txq;
	dp->tx_locked = n_txq < want;
	err = rte_eth_dev_start(dp->port_id);
	if (err)
		return err;
	dp->started = true;
	/* A switch port sees every frame; devices without the notion say -ENOTSUP. */
	rte_eth_promiscuous_enable(dp->port_id);
	return 0;
}

static int
dpdk_port_construct(struct port *port, const char *args)
{
	struct dpdk_port *dp = dpdk_port_cast(port);
	int err;

	if (!dpdk_eal_ready() || !(dp->tx_mp = dpdk_rx_mempool()))
		return -ENODEV;
	if (!args || !*args)
		return -EINVAL;
	err = dpdk_port_find(dp, args);
	if (err)
		return err;
	if (dpdk_port_used[dp->port_id])
		return -EBUSY;
	err = dpdk_port_setup(dp);
	if (err) {
		dpdk_port_unprobe(dp);
		return err;
	}
	dpdk_port_used[dp->port_id] = true;
	return 0;
}

static void
dpdk_port_destruct(struct port *port)
{
	struct dpdk_port *dp = dpdk_port_cast(port);

	dpdk_port_unprobe(dp);
	dpdk_port_used[dp->port_id] = false;
}

static unsigned int
dpdk_port_rx_burst(struct port *port, unsigned int qid, struct pkt_pool *pool,
		   struct pkt_batch *batch)
{
	struct dpdk_port *dp = dpdk_port_cast(port);
	struct rte_mbuf *ms[PKT_BATCH_MAX];
	bool in_place = dpdk_pool_is_mbuf(pool);
	unsigned int n, i, got = 0, too_big = 0, nobuf = 0;
	uint64_t bytes = 0;

	n = rte_eth_rx_burst(dp->port_id, (uint16_t)qid, ms, (uint16_t)pkt_batch_room(batch));
	/* The frames' first bytes for the whole burst: the modes read them next, and a device
	 * that wrote them a burst ago may have left them in L2. */
	for (i = 0; i < n; i++) {
		rte_prefetch0(rte_pktmbuf_mtod(ms[i], void *));
	}
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = ms[i];
		struct pkt *p;

		if (unlikely(m->nb_segs != 1)) {
			too_big++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (likely(in_place)) {
			/* The packet in the mbuf's private area; it joins this worker's pool. */
			p = rte_mbuf_to_priv(m);
			p->data_off = m->data_off;
			p->len = m->data_len;
			p->in_port = port->index;
			p->flags = 0;
			p->vlan_tci = 0;
			p->gso_size = 0;
			p->gso_type = PKT_GSO_NONE;
			p->timestamp_ns = 0;
			p->in_pool = 0;
			p->pool = pool;
		} else {
			/* A switch without mbuf pools: one copy. */
			p = pkt_alloc(pool);
			if (!p || !pkt_put(p, m->data_len)) {
				if (p)
					too_big++;
				else
					nobuf++;
				pkt_free(p);
				rte_pktmbuf_free(m);
				continue;
			}
			memcpy(pkt_data(p), rte_pktmbuf_mtod(m, const void *), m->data_len);
			rte_pktmbuf_free(m);
		}
		p->in_port = port->index;
		bytes += p->len;
		batch->pkts[batch->count++] = p;
		got++;
	}
	if (got) {
		vsw_counter_add(&dp->qs[qid].rx_packets, got);
		vsw_counter_add(&dp->qs[qid].rx_bytes, bytes);
	}
	if (unlikely(too_big))
		port_count_ctr(port, VSW_CTR_RX_TOO_BIG, too_big);
	if (unlikely(nobuf))
		port_count_ctr(port, VSW_CTR_RX_NOBUF, nobuf);
	return got;
}

/* A tag held in metadata goes into the bytes: the device sends what the modes meant. */
static void
dpdk_port_put_tag(struct pkt *p)
{
	uint8_t *d;

	if (p->len < 12 || !(d = pkt_push(p, PORT_VLAN_HLEN)))
		return;
	memmove(d, d + PORT_VLAN_HLEN, 12);
	d[12] = 0x81;
	d[13] = 0x00;
	d[14] = (uint8_t)(p->vlan_tci >> 8);
	d[15] = (uint8_t)p->vlan_tci;
	p->flags &= (uint16_t)~PKT_F_VLAN;
}

/* Counts what tx queue 'q' took of ms[0..n) ('bytes' in all n); its user only. */
static inline void
dpdk_port_count_tx(struct dpdk_port *dp, uint16_t q, struct rte_mbuf *const *ms, unsigned int n,
		   unsigned int sent, uint64_t bytes)
{
	if (!sent)
		return;
	for (unsigned int i = sent; i < n; i++)
		bytes -= ms[i]->pkt_len;
	vsw_counter_add(&dp->qs[q].tx_packets, sent);
	vsw_counter_add(&dp->qs[q].tx_bytes, bytes);
}

static unsigned int
dpdk_port_tx_burst(struct port *port, unsigned int qid, struct pkt_batch *batch)
{
	struct dpdk_port *dp = dpdk_port_cast(port);
	struct rte_mbuf *ms[PKT_BATCH_MAX];
	unsigned int i, n = 0, sent, too_big = 0, copied = 0, nobuf = 0;
	uint64_t bytes = 0;
	uint16_t q;
	/* Whether a pool is mbuf-backed, asked once per pool met in the burst (usually one). */
	const struct pkt_pool *last_pool = NULL;
	bool last_is_mbuf = false;

	for (i = 0; i < batch->count; i++) {
		struct pkt *p = batch->pkts[i];
		struct rte_mbuf *m;

		if (p->flags & PKT_F_VLAN)
			dpdk_port_put_tag(p);
		if (unlikely(!port_frame_fits(port, p) || p->len > UINT16_MAX)) {
			too_big++;
			pkt_free(p);
			continue;
		}
		if (unlikely(p->pool != last_pool)) {
			last_pool = p->pool;
			last_is_mbuf = dpdk_pool_is_mbuf(p->pool);
		}
		if (likely(last_is_mbuf)) {
			/* The packet is the mbuf's private area (dpdk.h: dpdk_pkt_mbuf). */
			m = (struct rte_mbuf *)((uintptr_t)p - sizeof(struct rte_mbuf));
			uint32_t len = p->len;

			m->data_off = (uint16_t)p->data_off;
			m->data_len = (uint16_t)len;
			m->pkt_len = len;
			m->ol_flags = 0;
			/* From here the mbuf belongs to the device, then to its mempool. */
			p->in_pool = 1;
			bytes += len;
			ms[n++] = m;
			continue;
		} else {
			m = rte_pktmbuf_alloc(dp->tx_mp);
			if (!m || !rte_pktmbuf_append(m, (uint16_t)p->len)) {
				if (m) {
					too_big++;
					rte_pktmbuf_free(m);
				} else {
					nobuf++;
				}
				pkt_free(p);
				continue;
			}
			memcpy(rte_pktmbuf_mtod(m, void *), pkt_data(p), p->len);
			copied++;
			pkt_free(p);
		}
		bytes += m->pkt_len;
		ms[n++] = m;
	}
	batch->count = 0;
	q = (uint16_t)(qid < dp->up.n_txq ? qid : qid % dp->up.n_txq);
	sent = 0;
	if (n && unlikely(dp->tx_locked)) {
		rte_spinlock_lock(&dp->tx_lock[q]);
		sent = rte_eth_tx_burst(dp->port_id, q, ms, (uint16_t)n);
		dpdk_port_count_tx(dp, q, ms, n, sent, bytes);
		rte_spinlock_unlock(&dp->tx_lock[q]);
	} else if (n) {
		sent = rte_eth_tx_burst(dp->port_id, q, ms, (uint16_t)n);
		dpdk_port_count_tx(dp, q, ms, n, sent, bytes);
	}
	if (unlikely(sent < n)) {
		rte_pktmbuf_free_bulk(ms + sent, n - sent);
		port_count_ctr(port, VSW_CTR_TX_QUEUE_FULL, n - sent);
	}
	if (unlikely(too_big))
		port_count_ctr(port, VSW_CTR_TX_TOO_BIG, too_big);
	if (unlikely(nobuf))
		port_count_ctr(port, VSW_CTR_TX_QUEUE_FULL, nobuf);
	if (unlikely(copied))
		port_count_ctr(port, VSW_CTR_TX_COPIED, copied);
	return sent;
}

static int
dpdk_port_get_stats(const struct port *port, struct port_stats *stats)
{
	const struct dpdk_port *dp = (const struct dpdk_port *)port;
	struct rte_eth_stats es;

	stats->rx_packets = vsw_counter_read(&port->stats.rx_packets);
	stats->rx_bytes = vsw_counter_read(&port->stats.rx_bytes);
	stats->tx_packets = vsw_counter_read(&port->stats.tx_packets);
	stats->tx_bytes = vsw_counter_read(&port->stats.tx_bytes);
	for (unsigned int q = 0; q < DPDK_PORT_QUEUES_MAX; q++) {
		stats->rx_packets += vsw_counter_read(&dp->qs[q].rx_packets);
		stats->rx_bytes += vsw_counter_read(&dp->qs[q].rx_bytes);
		stats->tx_packets += vsw_counter_read(&dp->qs[q].tx_packets);
		stats->tx_bytes += vsw_counter_read(&dp->qs[q].tx_bytes);
	}
	vsw_counters_read(&port->stats.ctrs, &stats->ctrs);
	if (rte_eth_stats_get(dp->port_id, &es) == 0) {
		stats->ctrs.c[VSW_CTR_RX_NOBUF] += es.imissed + es.rx_nombuf;
		stats->ctrs.c[VSW_CTR_RX_ERROR] += es.ierrors;
		stats->ctrs.c[VSW_CTR_TX_ERROR] += es.oerrors;
	}
	return 0;
}

static int
dpdk_port_set_mtu(struct port *port, unsigned int mtu)
{
	struct dpdk_port *dp = dpdk_port_cast(port);
	int err = rte_eth_dev_set_mtu(dp->port_id, (uint16_t)mtu);

	return err == -ENOTSUP ? 0 : err;
}

static int
dpdk_port_get_etheraddr(const struct port *port, struct ether_addr *mac)
{
	const struct dpdk_port *dp = (const struct dpdk_port *)port;
	struct rte_ether_addr a;
	int err = rte_eth_macaddr_get(dp->port_id, &a);

	if (err)
		return err;
	memcpy(mac->ether_addr_octet, a.addr_bytes, sizeof(mac->ether_addr_octet));
	return 0;
}

const struct port_class dpdk_port_class = {
	.type = "dpdk",
	.port_size = sizeof(struct dpdk_port),
	.construct = dpdk_port_construct,
	.destruct = dpdk_port_destruct,
	.rx_burst = dpdk_port_rx_burst,
	.tx_burst = dpdk_port_tx_burst,
	.get_stats = dpdk_port_get_stats,
	.set_mtu = dpdk_port_set_mtu,
	.get_etheraddr = dpdk_port_get_etheraddr,
	.multi_worker = true,
};

int
dpdk_port_register(void)
{
	int err = port_class_register(&dpdk_port_class);

	return err == -EEXIST && port_class_lookup("dpdk") == &dpdk_port_class ? 0 : err;
}

int
dpdk_port_id(const struct port *port)
{
	if (!port || port->cls != &dpdk_port_class)
		return -EINVAL;
	return ((const struct dpdk_port *)port)->port_id;
}
